"""Smoke tests of examples/: each example runs in a subprocess and what it sent is checked.

Every example takes its address from argv (or SYSLOG_URL); here it points at a loopback
receiver written below (UDP, TCP with octet counting, TLS requiring a client certificate)
or its stdout is captured. The assertions are on what arrived: PRI, APP-NAME, PROCID,
MSGID, STRUCTURED-DATA and the message text, not only on the exit status. Two more tests
run examples against a real rsyslog (the `daemon` marker, like tests/test_transports.py).
"""

from __future__ import annotations

import json
import os
import re
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from conftest import UdpReceiver, started, tls_input

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

# <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG (SD: "-" or elements; MSG may be absent)
RFC5424 = re.compile(
    r"^<(?P<pri>\d{1,3})>1 (?P<timestamp>\S+) (?P<hostname>\S+) (?P<app_name>\S+) (?P<procid>\S+) "
    r"(?P<msgid>\S+) (?P<sd>-|(?:\[(?:[^\]\\]|\\.)*\])+)(?: (?P<msg>.*))?$",
    re.S,
)
PRI_LINE = re.compile(r"^<(?P<pri>\d{1,3})>(?P<msg>.*)$")


def parse(message: bytes | str) -> dict[str, Any]:
    text = message.decode() if isinstance(message, bytes) else message
    match = RFC5424.match(text)
    assert match, f"not an RFC 5424 message: {text!r}"
    fields: dict[str, Any] = match.groupdict()
    fields["pri"] = int(fields["pri"])
    fields["msg"] = fields["msg"] or ""
    return fields


def run_example(name: str, *args: str, env: dict[str, str] | None = None, check: bool = True) -> Any:
    """Run examples/<name> with this interpreter; SYSLOG_* of the outer environment are left out."""
    environ = {key: value for key, value in os.environ.items() if not key.startswith("SYSLOG_")}
    environ.update(env or {})
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        capture_output=True,
        text=True,
        timeout=30,
        env=environ,
        cwd=ROOT,
    )
    if check:
        assert proc.returncode == 0, f"{name} exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    return proc


# -- loopback receivers ------------------------------------------------------------------------


class StreamReceiver:
    """TCP (optionally TLS) on 127.0.0.1: octet-counted or LF frames, noted per connection."""

    def __init__(self, context: ssl.SSLContext | None = None) -> None:
        self.context = context
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"{'tls' if context else 'tcp'}://127.0.0.1:{self.port}"
        self.frames: list[tuple[int, bytes]] = []  # (connection number, message)
        self.peer_certs: list[dict[str, Any]] = []
        self.errors: list[BaseException] = []
        self._lock = threading.Lock()
        self._connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with self._lock:
                self._connections += 1
                number = self._connections
            threading.Thread(target=self._read, args=(conn, number), daemon=True).start()

    def _read(self, conn: socket.socket, number: int) -> None:
        try:
            if self.context is not None:
                conn = self.context.wrap_socket(conn, server_side=True)
                self.peer_certs.append(conn.getpeercert() or {})
            buffer = b""
            while True:
                data = conn.recv(1 << 16)
                if not data:
                    break
                buffer += data
                while True:
                    counted = re.match(rb"(\d+) ", buffer)
                    if counted:
                        end = counted.end() + int(counted[1])
                        if len(buffer) < end:
                            break
                        frame, buffer = buffer[counted.end() : end], buffer[end:]
                    elif b"\n" in buffer:
                        frame, buffer = buffer.split(b"\n", 1)
                    else:
                        break
                    with self._lock:
                        self.frames.append((number, frame))
        except (OSError, ssl.SSLError) as exc:  # a rejected handshake, a reset...
            self.errors.append(exc)
        finally:
            conn.close()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[tuple[int, bytes]]:
        deadline = time.monotonic() + timeout
        while len(self.frames) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(self.frames) >= count, f"{len(self.frames)} of {count} frames arrived: {self.frames}"
        return list(self.frames)

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def udp() -> Iterator[UdpReceiver]:
    receiver = UdpReceiver()
    yield receiver
    receiver.sock.close()


@pytest.fixture
def tcp() -> Iterator[StreamReceiver]:
    receiver = StreamReceiver()
    yield receiver
    receiver.close()


# -- quickstart.py ----------------------------------------------------------------------------

#: What quickstart.py logs, in order: (severity, start of the message); facility local0 (16).
QUICKSTART = [
    (7, "entering checkout()"),
    (7, "cart has 3 items"),
    (6, "user ann logged in"),
    (5, "payment accepted"),
    (4, "stock is low for sku A-113"),
    (3, "payment gateway answered 502"),
    (2, "database unreachable"),
    (6, "order placed"),
    (3, "could not compute the discount Traceback (most recent call last):"),
]


def check_quickstart(messages: list[dict[str, Any]], pid: str | None = None) -> None:
    assert [(m["pri"], m["msg"][: len(text)]) for m, (_, text) in zip(messages, QUICKSTART)] == [
        (16 * 8 + severity, text) for severity, text in QUICKSTART
    ]
    assert len(messages) == len(QUICKSTART)
    assert {m["app_name"] for m in messages} == {"quickstart"}
    assert len({m["procid"] for m in messages}) == 1
    if pid is not None:
        assert messages[0]["procid"] == pid
    bound = messages[7]
    assert (bound["msgid"], bound["sd"]) == ("ORDER", '[loguru@32473 order_id="42" user="ann"]')
    assert all(m["sd"] == "-" and m["msgid"] == "-" for i, m in enumerate(messages) if i != 7)
    exception = messages[8]["msg"]
    assert "\n" not in exception and exception.endswith("ZeroDivisionError: division by zero")


def test_quickstart_needs_no_daemon() -> None:
    out = run_example("quickstart.py").stdout
    received, _, stdout_part = out.partition("--- the same on stdout (header 'pri'):\n")
    header, *datagrams = received.splitlines()
    assert re.fullmatch(r"--- what a syslog daemon on udp://127\.0\.0\.1:\d+ received:", header)
    check_quickstart([parse(line) for line in datagrams])
    lines = stdout_part.splitlines()
    assert [PRI_LINE.match(line).group("pri") for line in lines] == [  # type: ignore[union-attr]
        str(16 * 8 + severity) for severity, _ in QUICKSTART
    ]
    assert lines[0] == "<135>entering checkout()"
    assert lines[7] == "<134>order placed"  # no header, so no extras either


def test_quickstart_to_a_udp_receiver(udp: UdpReceiver) -> None:
    out = run_example("quickstart.py", udp.url).stdout
    check_quickstart([parse(d) for d in udp.receive(len(QUICKSTART))])
    assert "sent=9, dropped=0" in out


def test_quickstart_to_a_tcp_receiver_from_syslog_url(tcp: StreamReceiver) -> None:
    run_example("quickstart.py", env={"SYSLOG_URL": tcp.url})
    frames = tcp.wait_for(len(QUICKSTART))
    assert {number for number, _ in frames} == {1}  # one connection, octet-counted frames
    check_quickstart([parse(frame) for _, frame in frames])


# -- tls_client_cert.py -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    trustme = pytest.importorskip("trustme")
    base = tmp_path_factory.mktemp("example-tls")
    ca = trustme.CA()
    server = ca.issue_cert("localhost", "127.0.0.1")
    client = ca.issue_cert("client.example")
    paths = {name: str(base / name) for name in ("ca.pem", "client.pem", "client.key")}
    ca.cert_pem.write_to_path(paths["ca.pem"])
    client.cert_chain_pems[0].write_to_path(paths["client.pem"])
    client.private_key_pem.write_to_path(paths["client.key"])
    return {"ca": ca, "server": server, **paths}


@pytest.fixture
def tls_server(certs: dict[str, Any]) -> Iterator[StreamReceiver]:
    """A TLS syslog receiver that requires a client certificate signed by the test CA."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certs["server"].configure_cert(context)
    certs["ca"].configure_trust(context)
    context.verify_mode = ssl.CERT_REQUIRED
    receiver = StreamReceiver(context)
    yield receiver
    receiver.close()


def test_tls_client_cert_reaches_a_server_that_requires_one(certs: dict[str, Any], tls_server: StreamReceiver) -> None:
    proc = run_example(
        "tls_client_cert.py",
        *("--host", "127.0.0.1", "--port", str(tls_server.port)),
        *("--ca", certs["ca.pem"], "--cert", certs["client.pem"], "--key", certs["client.key"]),
    )
    frames = tls_server.wait_for(3)
    messages = [parse(frame) for _, frame in frames]
    assert [(m["pri"], m["app_name"], m["sd"], m["msg"]) for m in messages] == [
        (134, "tls-example", f'[loguru@32473 seq="{n}"]', f"message {n} of 3 over mutual TLS") for n in (1, 2, 3)
    ]
    # The server saw the client's certificate.
    assert tls_server.peer_certs[0]["subjectAltName"] == (("DNS", "client.example"),)
    assert "sent=3, dropped=0" in proc.stdout


def test_tls_client_cert_refuses_an_unverified_server(tls_server: StreamReceiver) -> None:
    # No --ca: the system CAs do not know the test CA, so the handshake fails on our side.
    proc = run_example("tls_client_cert.py", "--host", "127.0.0.1", "--port", str(tls_server.port), check=False)
    assert proc.returncode == 1
    assert "CERTIFICATE_VERIFY_FAILED" in proc.stderr
    assert "dropped=3" in proc.stdout
    assert tls_server.frames == []


def test_tls_client_cert_bad_path_is_a_config_error(tls_server: StreamReceiver) -> None:
    proc = run_example("tls_client_cert.py", "--port", str(tls_server.port), "--ca", "/nonexistent.pem", check=False)
    assert proc.returncode == 2
    assert "configuration error: tls_ca_file='/nonexistent.pem' is invalid" in proc.stderr
    assert tls_server.frames == []


# -- custom_levels.py -------------------------------------------------------------------------

CUSTOM = {
    "TRACE": 7,
    "DEBUG": 7,
    "INFO": 6,
    "SUCCESS": 5,
    "WARNING": 4,
    "ERROR": 3,
    "CRITICAL": 2,
    "VERBOSE": 7,  # no entry: falls back to DEBUG
    "AUDIT": 5,  # severities="AUDIT=notice,..."
    "SECURITY": 1,  # "...,SECURITY=alert"
    "Level 42": 3,  # logger.log(42, ...): falls back to ERROR
}


def test_custom_levels_on_stdout() -> None:
    out = run_example("custom_levels.py").stdout.splitlines()
    table = [line for line in out if line.startswith("# ") and not line.startswith("# loguru")]
    assert len(table) == len(CUSTOM)
    for row in table:
        name = row[2:20].strip()
        assert row.endswith(f"<{128 + CUSTOM[name]}>"), row
    sent = {}
    for line in out:
        if line.startswith("<"):
            match = PRI_LINE.match(line)
            assert match, line
            name = match["msg"].split(":")[0]
            sent[name] = int(match["pri"]) - 128
    assert sent == CUSTOM


def test_custom_levels_to_a_udp_receiver(udp: UdpReceiver) -> None:
    run_example("custom_levels.py", udp.url)
    messages = [parse(d) for d in udp.receive(len(CUSTOM))]
    assert {m["msg"].split(":")[0]: m["pri"] - 128 for m in messages} == CUSTOM
    assert {m["app_name"] for m in messages} == {"custom-levels"}


# -- containers_stdout.py ---------------------------------------------------------------------


def test_containers_stdout_bare_severity_prefix_one_line_per_record() -> None:
    proc = run_example("containers_stdout.py")
    lines = proc.stdout.splitlines()
    # No facility given: on stdout it defaults to kern, so the prefix is the bare
    # severity, the only form journald's SyslogLevelPrefix= understands.
    assert all(re.match(r"^<[0-7]>[^<]", line) for line in lines), lines
    assert [line[1] for line in lines] == ["7", "6", "6", "4", "6", "3", "5"]
    assert lines[3].endswith("{'path': '/slow'} - took 1830 ms")
    failure = lines[5]
    assert "request failed Traceback (most recent call last):" in failure
    assert failure.endswith("RuntimeError: backend said no")
    assert proc.stderr == ""  # loguru's default stderr handler was removed


def test_containers_stderr_from_syslog_url() -> None:
    proc = run_example("containers_stdout.py", env={"SYSLOG_URL": "stderr"})
    assert proc.stdout == ""
    assert [line[:3] for line in proc.stderr.splitlines()] == ["<7>", "<6>", "<6>", "<4>", "<6>", "<3>", "<5>"]


def test_containers_stdout_explicit_facility_goes_into_the_prefix() -> None:
    # docs/containers.md: a facility set explicitly is in the PRI (for a pipeline that wants it).
    proc = run_example("containers_stdout.py", env={"SYSLOG_URL": "stdout?facility=local0"})
    lines = proc.stdout.splitlines()
    assert [PRI_LINE.match(line).group("pri") for line in lines] == [  # type: ignore[union-attr]
        str(16 * 8 + severity) for severity in (7, 6, 6, 4, 6, 3, 5)
    ]


# -- prefork_server.py ------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the fork start method is POSIX only")
def test_prefork_each_process_has_its_own_connection(tcp: StreamReceiver) -> None:
    workers, requests = 3, 2
    run_example("prefork_server.py", tcp.url, "--workers", str(workers), "--requests", str(requests))
    frames = tcp.wait_for(2 + workers * requests)
    by_connection: dict[int, list[dict[str, Any]]] = {}
    for number, frame in frames:
        by_connection.setdefault(number, []).append(parse(frame))
    assert len(by_connection) == 1 + workers
    for messages in by_connection.values():
        assert len({m["procid"] for m in messages}) == 1  # never two processes on one connection
        assert {m["app_name"] for m in messages} == {"prefork"}
    parent = [msgs for msgs in by_connection.values() if msgs[0]["msg"].startswith("parent")]
    assert len(parent) == 1 and len(parent[0]) == 2
    assert parent[0][0]["msg"] == f"parent (pid {parent[0][0]['procid']}) starts {workers} workers"
    worker_texts = sorted(m["msg"] for msgs in by_connection.values() for m in msgs if m["msg"].startswith("worker"))
    assert worker_texts == sorted(
        f"worker {w} handled request {r}" for w in range(1, workers + 1) for r in range(1, requests + 1)
    )
    pids = {msgs[0]["procid"] for msgs in by_connection.values()}
    assert len(pids) == 1 + workers


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the fork start method is POSIX only")
def test_prefork_needs_no_daemon() -> None:
    out = run_example("prefork_server.py", "--workers", "2").stdout
    summaries = re.findall(r"^connection (\d): (\d) messages from pid (\d+)$", out, re.M)
    assert len(summaries) == 3
    assert len({pid for _, _, pid in summaries}) == 3


# -- background_writer.py ---------------------------------------------------------------------


def test_background_writer_delivers_everything_in_order(tcp: StreamReceiver) -> None:
    count = 300
    out = run_example("background_writer.py", tcp.url, "--count", str(count)).stdout
    frames = tcp.wait_for(2 * count)
    assert {number for number, _ in frames} == {1, 2}  # one sink (one connection) per run
    for number, background in ((1, False), (2, True)):
        texts = [parse(frame)["msg"] for n, frame in frames if n == number]
        assert texts == [f"request {i} served (background={background})" for i in range(1, count + 1)]
    assert out.count(f"sent={count}, dropped=0") == 2


def test_background_writer_needs_no_daemon() -> None:
    out = run_example("background_writer.py", "--count", "200").stdout
    assert out.count("sent=200, dropped=0") == 2


# -- the same examples against a real rsyslog ---------------------------------------------------


def test_quickstart_into_rsyslog(rsyslog_factory: Any) -> None:
    rsyslog = started(rsyslog_factory(), "udp", "udp")
    run_example("quickstart.py", rsyslog.url("udp"))
    got = rsyslog.wait_for(len(QUICKSTART))
    assert [(m["facility"], m["severity"], m["app_name"]) for m in got] == [
        (16, severity, "quickstart") for severity, _ in QUICKSTART
    ]
    assert got[7]["msgid"] == "ORDER"
    assert got[7]["sd"] == {"loguru@32473": {"order_id": "42", "user": "ann"}}
    assert got[8]["msg"].endswith("ZeroDivisionError: division by zero")


def test_tls_client_cert_into_rsyslog(rsyslog_factory: Any, tls_certs: Any) -> None:
    rsyslog = started(rsyslog_factory(), "tls", "tls", **tls_input(tls_certs, require_client_cert=True))
    run_example(
        "tls_client_cert.py",
        *("--host", "localhost", "--port", str(rsyslog.port("tls")), "--ca", str(tls_certs.ca_file)),
        *("--cert", str(tls_certs.client_cert_file), "--key", str(tls_certs.client_key_file)),
    )
    got = rsyslog.wait_for(3)
    assert [(m["app_name"], m["severity"], m["msg"]) for m in got] == [
        ("tls-example", 6, f"message {n} of 3 over mutual TLS") for n in (1, 2, 3)
    ]


# -- docs/wire-format.md shows what the code really sends ----------------------------------------

_VARYING = [
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(?:Z|[+-]\d\d:\d\d)"), "TIMESTAMP"),
    (re.compile(r"[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d"), "BSDTIME"),
    (re.compile(r"billing(\[| )\d+"), r"billing\1PID"),
    (re.compile(r"\d+ <(\d+)>1 "), r"LEN <\1>1 "),  # octet counts change with the pid's length
]


def _normalise(line: str) -> str:
    for pattern, replacement in _VARYING:
        line = pattern.sub(replacement, line)
    return line


def test_wire_format_page_matches_the_code() -> None:
    script = ROOT / "docs" / "_scripts" / "wire_examples.py"
    proc = subprocess.run(
        [sys.executable, script.name], capture_output=True, text=True, timeout=30, cwd=script.parent, check=True
    )
    generated = {_normalise(line) for line in proc.stdout.splitlines()}
    page = (ROOT / "docs" / "wire-format.md").read_text(encoding="utf-8")
    shown = [
        line
        for block in re.findall(r"```text\n(.*?)```", page, re.S)
        for line in block.splitlines()
        if line.startswith(("<", "b'"))
    ]
    assert len(shown) >= 12
    missing = [line for line in shown if _normalise(line) not in generated]
    assert not missing, "docs/wire-format.md shows lines the sink no longer sends (re-run the script):\n" + "\n".join(
        missing
    )


# -- custom_transport.py ------------------------------------------------------------------------


def test_custom_transport_example_delivers_through_both_transports() -> None:
    # The API page's "writing your own transport" example: a SocketTransport bound to a
    # source address, and a plain Transport writing JSON lines.
    out = run_example("custom_transport.py").stdout
    tcp_line = next(line for line in out.splitlines() if line.startswith("TCP receiver got:"))
    assert tcp_line.startswith("TCP receiver got: from 127.0.0.2: ")  # the bound source address
    frame = tcp_line.split(": ", 2)[2]
    length, _, message = frame.partition(" ")
    assert int(length) == len(message.encode())  # octet-counted, as the framer says
    assert message.startswith("<13>1 ") and message.endswith('[loguru@32473 user="alice"] payment accepted')
    json_line = next(line for line in out.splitlines() if line.startswith("JSON lines file has:"))
    record = json.loads(json_line.split(": ", 1)[1])
    assert " demo " in record["syslog"] and record["syslog"].endswith("payment accepted")
