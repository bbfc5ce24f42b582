"""Self-tests of the real-daemon test peers in daemons.py.

Hand-written syslog messages go out through plain sockets and ssl (never loguru_syslog),
so a failure here is the test infrastructure's or the daemon's, not the sink's.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import ssl
import time
from pathlib import Path
from typing import Any, Callable

import pytest

from daemons import (
    DAEMONS,
    DaemonError,
    DaemonFactory,
    DaemonTimeout,
    Message,
    Rsyslog,
    SyslogDaemon,
    SyslogNg,
    TlsCerts,
    parse_sd,
)

pytestmark = pytest.mark.daemon

# RFC 5424 with SD: escaped '"', '\' and ']' in a value, non-ASCII in a value and in a
# MSG that starts with a BOM.
RFC5424 = (
    "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog 1234 ID47 "
    '[exampleSDID@32473 iut="3" eventSource="Ap\\"p\\\\li\\]cation" eventID="1011"]'
    '[x@32473 name="Grüße ✓"] \ufeffAn application event log entry \u2013 ü'
)
RFC5424_FIELDS: Message = {
    "facility": 20,
    "severity": 5,
    "hostname": "mymachine.example.com",
    "app_name": "evntslog",
    "procid": "1234",
    "msgid": "ID47",
    "sd": {
        "exampleSDID@32473": {"iut": "3", "eventSource": 'Ap"p\\li]cation', "eventID": "1011"},
        "x@32473": {"name": "Grüße ✓"},
    },
    "msg": "An application event log entry \u2013 ü",
    "raw": RFC5424,
}

RFC3164 = "<34>Oct 11 22:14:15 mymachine su[77]: 'su root' failed for lonvick on /dev/pts/8"
RFC3164_FIELDS: Message = {
    "facility": 4,
    "severity": 2,
    "hostname": "mymachine",
    "app_name": "su",
    "procid": "77",
    "msgid": "",
    "sd": {},
    "msg": "'su root' failed for lonvick on /dev/pts/8",
    "raw": RFC3164,
}

# What syslog(3) writes to /dev/log: no hostname.
LOCAL = "<13>Oct 11 22:14:15 myprog[42]: local message ü"
LOCAL_FIELDS: Message = {
    "facility": 1,
    "severity": 5,
    # Both daemons fill in the short local host name.
    "hostname": socket.gethostname().split(".")[0],
    "app_name": "myprog",
    "procid": "42",
    "msgid": "",
    "sd": {},
    "msg": "local message ü",
    "raw": LOCAL,
}

FACTORY_FIXTURES = {"rsyslog": "rsyslog_factory", "syslog-ng": "syslog_ng_factory"}


def daemon_kind_params(kinds: set[str]) -> list[Any]:
    """(daemon, kind) for each daemon and each of ``kinds`` that daemon has."""
    return [
        pytest.param(name, kind, id=f"{name}-{kind}")
        for name, cls in DAEMONS.items()
        for kind in sorted(kinds & cls.kinds)
    ]


@pytest.fixture
def make_daemon(request: pytest.FixtureRequest) -> Callable[[str], SyslogDaemon]:
    """``make_daemon("rsyslog")``: an un-started daemon from that daemon's factory."""

    def make(name: str) -> SyslogDaemon:
        factory: DaemonFactory = request.getfixturevalue(FACTORY_FIXTURES[name])
        return factory()

    return make


# ---- senders --------------------------------------------------------------------------


def octet_frame(message: str) -> bytes:
    data = message.encode()
    return b"%d %s" % (len(data), data)


def lf_frame(message: str) -> bytes:
    return message.encode() + b"\n"


def send_udp(address: tuple[str, int], *messages: bytes) -> None:
    family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        for message in messages:
            sock.sendto(message, address)


def send_tcp(address: tuple[str, int], data: bytes) -> None:
    with socket.create_connection(address, timeout=5) as sock:
        sock.sendall(data)


def client_context(certs: TlsCerts, *, with_cert: bool) -> ssl.SSLContext:
    """Verifies the daemon's certificate and host name against the test CA."""
    context = ssl.create_default_context(cafile=str(certs.ca_file))
    if with_cert:
        context.load_cert_chain(str(certs.client_cert_file), str(certs.client_key_file))
    return context


def tls_connect(address: tuple[str, int], context: ssl.SSLContext, server_name: str = "localhost") -> ssl.SSLSocket:
    raw = socket.create_connection(address, timeout=5)
    try:
        return context.wrap_socket(raw, server_hostname=server_name)
    except BaseException:
        raw.close()
        raise


def send_tls(address: tuple[str, int], context: ssl.SSLContext, data: bytes) -> None:
    with tls_connect(address, context) as sock:
        sock.sendall(data)


def send_network(daemon: SyslogDaemon, name: str, kind: str, certs: TlsCerts, *messages: str) -> None:
    """Send each message with the framing ``kind`` calls for; for rsyslog's
    auto-detecting "tcp", alternate octet-counting and LF on one connection."""
    address = daemon.address(name)
    if kind == "udp":
        send_udp(address, *(m.encode() for m in messages))
    elif kind == "tls":
        send_tls(address, client_context(certs, with_cert=False), b"".join(map(octet_frame, messages)))
    else:
        framers = {"tcp-octet": [octet_frame], "tcp-lf": [lf_frame], "tcp": [octet_frame, lf_frame]}[kind]
        send_tcp(address, b"".join(framers[i % len(framers)](m) for i, m in enumerate(messages)))


def assert_fields(daemon: SyslogDaemon, got: Message, expected: Message) -> None:
    """``got`` has ``expected``'s values (and the other keys); quote the daemon's log if not."""
    subset = {key: got.get(key) for key in expected}
    assert subset == expected, f"{daemon.name} decoded differently:\n{got}\n{daemon.internal_log()}"
    assert set(got) == {"input", "facility", "severity", "hostname", "app_name", "procid", "msgid", "sd", "msg", "raw"}


def add_tls_input(daemon: SyslogDaemon, name: str, certs: TlsCerts, *, require_client_cert: bool = False) -> None:
    daemon.add_input(
        name,
        "tls",
        cert_file=certs.server_cert_file,
        key_file=certs.server_key_file,
        ca_file=certs.ca_file,
        require_client_cert=require_client_cert,
    )


# ---- decoding of what arrives ---------------------------------------------------------


@pytest.mark.parametrize(("daemon_name", "kind"), daemon_kind_params({"udp", "tcp", "tcp-octet", "tcp-lf", "tls"}))
def test_network_input_decodes_rfc5424_and_rfc3164(
    make_daemon: Callable[[str], SyslogDaemon], tls_certs: TlsCerts, daemon_name: str, kind: str
) -> None:
    daemon = make_daemon(daemon_name)
    if kind == "tls":
        add_tls_input(daemon, "net", tls_certs)
    else:
        daemon.add_input("net", kind)
    daemon.start()
    # Twice each, so rsyslog's "tcp" sees both messages with both framings.
    send_network(daemon, "net", kind, tls_certs, RFC5424, RFC3164, RFC3164, RFC5424)
    got = daemon.wait_for(4)
    assert len(got) == 4, got
    for message in got:
        assert message["input"] == "net"
        assert_fields(daemon, message, RFC5424_FIELDS if message["app_name"] == "evntslog" else RFC3164_FIELDS)
    assert [m["app_name"] for m in got].count("evntslog") == 2


@pytest.mark.parametrize("daemon_name", list(DAEMONS))
def test_ipv6_udp_and_tcp(make_daemon: Callable[[str], SyslogDaemon], daemon_name: str) -> None:
    daemon = make_daemon(daemon_name)
    daemon.add_input("udp6", "udp", host="::1")
    daemon.add_input("tcp6", "tcp-octet", host="::1")
    daemon.start()
    assert daemon.url("udp6") == f"udp://[::1]:{daemon.port('udp6')}"
    send_udp(daemon.address("udp6"), RFC5424.encode())
    send_tcp(daemon.address("tcp6"), octet_frame(RFC5424))
    got = daemon.wait_for(2)
    assert sorted(m["input"] for m in got) == ["tcp6", "udp6"]
    for message in got:
        assert_fields(daemon, message, RFC5424_FIELDS)


@pytest.mark.parametrize(("daemon_name", "kind"), daemon_kind_params({"unix-dgram", "unix-stream"}))
def test_unix_input_decodes_local_form(make_daemon: Callable[[str], SyslogDaemon], daemon_name: str, kind: str) -> None:
    daemon = make_daemon(daemon_name)
    daemon.add_input("local", kind)
    daemon.start()
    if kind == "unix-dgram":
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.sendto(LOCAL.encode(), daemon.path("local"))
    else:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.connect(daemon.path("local"))
            sock.sendall(lf_frame(LOCAL))
    (message,) = daemon.wait_for(1)
    assert message["input"] == "local"
    assert_fields(daemon, message, LOCAL_FIELDS)


@pytest.mark.parametrize("daemon_name", list(DAEMONS))
@pytest.mark.parametrize("protocol", ["rfc5424", "rfc3164"])
def test_pinned_protocol(make_daemon: Callable[[str], SyslogDaemon], daemon_name: str, protocol: str) -> None:
    daemon = make_daemon(daemon_name)
    daemon.add_input("net", "udp", protocol=protocol)
    daemon.start()
    message, fields = (RFC5424, RFC5424_FIELDS) if protocol == "rfc5424" else (RFC3164, RFC3164_FIELDS)
    send_udp(daemon.address("net"), message.encode())
    (got,) = daemon.wait_for(1)
    assert_fields(daemon, got, fields)


@pytest.mark.parametrize("daemon_name", list(DAEMONS))
def test_control_characters_and_invalid_utf8(make_daemon: Callable[[str], SyslogDaemon], daemon_name: str) -> None:
    """The documented differences: LF and TAB kept by both; invalid UTF-8 as surrogates
    (rsyslog) or as the text \\xNN (syslog-ng)."""
    daemon = make_daemon(daemon_name)
    daemon.add_input("net", "udp")
    daemon.start()
    send_udp(daemon.address("net"), b"<14>1 - h app - - - line1\nline2\tend \xff")
    (got,) = daemon.wait_for(1)
    invalid = "\udcff" if daemon_name == "rsyslog" else "\\xff"
    assert got["msg"] == f"line1\nline2\tend {invalid}", got


@pytest.mark.parametrize("daemon_name", list(DAEMONS))
def test_max_message_size_is_64k(make_daemon: Callable[[str], SyslogDaemon], daemon_name: str) -> None:
    """Not rsyslog's 8 KiB default: both daemons take what a UDP datagram can carry."""
    daemon = make_daemon(daemon_name)
    daemon.add_input("udp", "udp")
    daemon.add_input("tcp", "tcp-octet")
    daemon.start()
    big = "<14>1 - h app - - - " + "x" * 60000
    send_udp(daemon.address("udp"), big.encode())
    send_tcp(daemon.address("tcp"), octet_frame(big))
    got = daemon.wait_for(2)
    assert [len(m["msg"]) for m in got] == [60000, 60000]


# ---- TLS ----------------------------------------------------------------------------


@pytest.mark.parametrize("daemon_name", list(DAEMONS))
def test_tls_server_certificate_is_verified(
    make_daemon: Callable[[str], SyslogDaemon], tls_certs: TlsCerts, daemon_name: str
) -> None:
    daemon = make_daemon(daemon_name)
    add_tls_input(daemon, "tls", tls_certs)
    daemon.start()
    untrusting = ssl.create_default_context()  # system CAs only: must refuse the test CA
    with pytest.raises(ssl.SSLCertVerificationError):
        send_tls(daemon.address("tls"), untrusting, octet_frame(RFC5424))
    wrong_name = client_context(tls_certs, with_cert=False)
    with pytest.raises(ssl.SSLCertVerificationError):
        tls_connect(daemon.address("tls"), wrong_name, server_name="not-this-host.example").close()
    # A client certificate is accepted but not needed.
    send_tls(daemon.address("tls"), client_context(tls_certs, with_cert=True), octet_frame(RFC5424))
    (got,) = daemon.wait_for(1)
    assert_fields(daemon, got, RFC5424_FIELDS)


def rejected(address: tuple[str, int], context: ssl.SSLContext, data: bytes) -> bool:
    """Did the server refuse this client? With TLS 1.3 the server checks the client
    certificate after the client's handshake is done: the refusal shows on the next read."""
    try:
        with tls_connect(address, context) as sock:
            sock.sendall(data)
            return sock.recv(1) == b""
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:  # not TimeoutError: that alias is Python >= 3.10
        return False  # the connection stayed open: accepted


@pytest.mark.parametrize("daemon_name", list(DAEMONS))
def test_mtls_requires_client_certificate(
    make_daemon: Callable[[str], SyslogDaemon], tls_certs: TlsCerts, daemon_name: str
) -> None:
    daemon = make_daemon(daemon_name)
    add_tls_input(daemon, "mtls", tls_certs, require_client_cert=True)
    daemon.start()
    assert rejected(daemon.address("mtls"), client_context(tls_certs, with_cert=False), octet_frame(RFC3164))
    send_tls(daemon.address("mtls"), client_context(tls_certs, with_cert=True), octet_frame(RFC5424))
    daemon.wait_for(1)
    time.sleep(0.2)  # the refused message, had it been taken, would be there by now
    got = daemon.messages()
    assert len(got) == 1, got
    assert_fields(daemon, got[0], RFC5424_FIELDS)


# ---- lifecycle ------------------------------------------------------------------------


@pytest.mark.parametrize("daemon_name", list(DAEMONS))
def test_kill_and_restart_on_same_port_and_path(make_daemon: Callable[[str], SyslogDaemon], daemon_name: str) -> None:
    daemon = make_daemon(daemon_name)
    daemon.add_input("tcp", "tcp-octet")
    daemon.add_input("local", "unix-dgram")
    daemon.start()
    port, path, pid = daemon.port("tcp"), daemon.path("local"), daemon.pid
    send_tcp(daemon.address("tcp"), octet_frame(RFC5424))
    daemon.wait_for(1)

    daemon.kill(signal.SIGKILL)
    assert not daemon.running
    with pytest.raises(ConnectionRefusedError):
        send_tcp(daemon.address("tcp"), octet_frame(RFC5424))

    daemon.restart()
    assert daemon.running and daemon.pid != pid
    assert (daemon.port("tcp"), daemon.path("local")) == (port, path)
    send_tcp(daemon.address("tcp"), octet_frame(RFC3164))
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.sendto(LOCAL.encode(), path)
    got = daemon.wait_for(3)
    assert sorted(m["app_name"] for m in got) == ["evntslog", "myprog", "su"]

    daemon.stop()
    assert not daemon.running
    daemon.stop()  # idempotent


@pytest.mark.parametrize("daemon_name", list(DAEMONS))
def test_taken_port_fails_start(make_daemon: Callable[[str], SyslogDaemon], daemon_name: str) -> None:
    """rsyslog runs on without a listener whose port is taken: start() must notice."""
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        daemon = make_daemon(daemon_name)
        daemon.add_input("tcp", "tcp-octet", port=squatter.getsockname()[1])
        with pytest.raises(DaemonError, match="taken by another process"):
            daemon.start()
    assert not daemon.running


def test_missing_syslog_ng_is_an_error(
    monkeypatch: pytest.MonkeyPatch, syslog_ng_factory: DaemonFactory, tmp_path: Path
) -> None:
    monkeypatch.setenv("LOGURU_SYSLOG_NG_PREFIX", str(tmp_path / "nowhere"))
    daemon = syslog_ng_factory()
    daemon.add_input("udp", "udp")
    with pytest.raises(DaemonError, match=r"install-daemons\.sh"):
        daemon.start()


@pytest.mark.parametrize(("daemon_cls", "kind"), [(Rsyslog, "unix-stream"), (SyslogNg, "tcp")])
def test_unsupported_kind_says_why(daemon_cls: type[SyslogDaemon], kind: str, tmp_path: Path) -> None:
    with contextlib.closing(daemon_cls(tmp_path)) as daemon, pytest.raises(NotImplementedError, match=kind):
        daemon.add_input("x", kind)


def test_internal_log_and_timeout_report(daemon_factory: DaemonFactory) -> None:
    daemon = daemon_factory()
    daemon.add_input("udp", "udp")
    daemon.start()
    # Both daemons log their own start.
    deadline = time.monotonic() + 5
    while "start" not in daemon.internal_log() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert "start" in daemon.internal_log()
    with pytest.raises(DaemonTimeout, match="internal log") as excinfo:
        daemon.wait_for(1, timeout=0.2)
    assert "0 of 1 messages" in str(excinfo.value)


def test_daemon_factory_url_forms(daemon_factory: DaemonFactory, tls_certs: TlsCerts) -> None:
    daemon = daemon_factory()
    daemon.add_input("u", "udp")
    daemon.add_input("t", "tcp-lf")
    add_tls_input(daemon, "s", tls_certs)
    daemon.add_input("g", "unix-dgram")
    daemon.start()
    assert daemon.url("u") == f"udp://127.0.0.1:{daemon.port('u')}"
    assert daemon.url("t") == f"tcp://127.0.0.1:{daemon.port('t')}"
    assert daemon.url("s") == f"tls://127.0.0.1:{daemon.port('s')}"
    assert daemon.url("g") == f"unixgram://{daemon.path('g')}"
    assert len({daemon.port("u"), daemon.port("t"), daemon.port("s")}) == 3


def test_parallel_instances_do_not_share_anything(rsyslog_factory: DaemonFactory) -> None:
    first, second = rsyslog_factory(), rsyslog_factory()
    for daemon in (first, second):
        daemon.add_input("udp", "udp")
        daemon.start()
    assert first.port("udp") != second.port("udp")
    send_udp(first.address("udp"), RFC3164.encode())
    assert len(first.wait_for(1)) == 1
    assert second.messages() == []


# ---- the SD parser used for syslog-ng ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-", {}),
        ("", {}),
        ("[a@1]", {"a@1": {}}),
        ('[a@1 x="1" y=""][b z="é"]', {"a@1": {"x": "1", "y": ""}, "b": {"z": "é"}}),
        ('[a k="q\\"b\\\\s\\]e"]', {"a": {"k": 'q"b\\s]e'}}),
        ('[a k="\\n stays"]', {"a": {"k": "\\n stays"}}),
    ],
)
def test_parse_sd(text: str, expected: dict[str, dict[str, str]]) -> None:
    assert parse_sd(text) == expected


@pytest.mark.parametrize("text", ["x", "[a", '[a k="v]', "[a k=v]", '[a k="v"', "[a k", "[a]x"])
def test_parse_sd_rejects_malformed(text: str) -> None:
    with pytest.raises(ValueError):
        parse_sd(text)


def test_no_daemon_left_behind(rsyslog_factory: DaemonFactory) -> None:
    daemon = rsyslog_factory()
    daemon.add_input("udp", "udp")
    daemon.start()
    pid = daemon.pid
    assert pid is not None
    daemon.close()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # reaped, not a zombie
