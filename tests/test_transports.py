"""Transports against a real rsyslog (and syslog-ng for Unix streams): framing, TLS, Unix, stdio."""

from __future__ import annotations

import os
import ssl
import time
from typing import Any

import pytest

from conftest import started, tls_input
from loguru_syslog import (
    StdioTransport,
    SyslogConfigError,
    SyslogConfigWarning,
    SyslogSink,
    TCPTransport,
    TLSTransport,
    UDPTransport,
    UnixTransport,
    make_context,
)


def log_and_collect(logger: Any, sink: SyslogSink, daemon: Any, texts: list[str], **bind: Any) -> list[dict[str, Any]]:
    logger.add(sink, format="{message}", level="TRACE", catch=False)
    for text in texts:
        logger.bind(**bind).info(text)
    return daemon.wait_for(len(texts))  # type: ignore[no-any-return]


@pytest.mark.parametrize("framing", ["octet-counting", "lf"])
def test_tcp_both_framings_into_rsyslog(rsyslog_factory: Any, fresh_logger: Any, framing: str) -> None:
    rsyslog = started(rsyslog_factory(), "tcp", "tcp")
    sink = SyslogSink(rsyslog.url("tcp"), framing=framing, app_name="api", facility="daemon")
    texts = [f"message {i} ✓ with spaces" for i in range(50)] + ["multi\nline"]
    got = log_and_collect(fresh_logger, sink, rsyslog, texts, request_id="r-1")
    expected = [*texts[:-1], "multi line"]  # default: control characters replaced on every transport
    assert [m["msg"] for m in got] == expected
    assert {(m["facility"], m["severity"], m["app_name"], m["procid"]) for m in got} == {
        (3, 6, "api", str(os.getpid()))
    }
    assert got[0]["sd"] == {"loguru@32473": {"request_id": "r-1"}}
    assert got[0]["raw"].startswith("<")  # no octet count or LF leaked into the message


def test_octet_counting_carries_newlines_when_asked(rsyslog_factory: Any, fresh_logger: Any) -> None:
    rsyslog = started(rsyslog_factory(), "tcp", "tcp")
    sink = SyslogSink(rsyslog.url("tcp"), keep_newlines=True)
    got = log_and_collect(fresh_logger, sink, rsyslog, ["first\nsecond", "after"])
    assert [m["msg"] for m in got] == ["first\nsecond", "after"]


def test_lf_framing_never_splits_a_message_even_with_keep_newlines(rsyslog_factory: Any, fresh_logger: Any) -> None:
    rsyslog = started(rsyslog_factory(), "tcp", "tcp")
    sink = SyslogSink(rsyslog.url("tcp"), framing="lf", keep_newlines=True)
    got = log_and_collect(fresh_logger, sink, rsyslog, ["first\nsecond", "after"])
    assert [m["msg"] for m in got] == ["first second", "after"]


def test_tls_verified_against_the_ca(rsyslog_factory: Any, fresh_logger: Any, tls_certs: Any) -> None:
    rsyslog = started(rsyslog_factory(), "tls", "tls", **tls_input(tls_certs))
    url = f"tls://localhost:{rsyslog.port('tls')}"
    sink = SyslogSink(url, tls_ca_file=str(tls_certs.ca_file), app_name="secure")
    got = log_and_collect(fresh_logger, sink, rsyslog, ["over tls 1", "over tls 2"], user="u")
    assert [(m["msg"], m["app_name"], m["sd"]) for m in got] == [
        ("over tls 1", "secure", {"loguru@32473": {"user": "u"}}),
        ("over tls 2", "secure", {"loguru@32473": {"user": "u"}}),
    ]


def test_mutual_tls_with_a_client_certificate(rsyslog_factory: Any, fresh_logger: Any, tls_certs: Any) -> None:
    rsyslog = started(rsyslog_factory(), "tls", "tls", **tls_input(tls_certs, require_client_cert=True))
    sink = SyslogSink(
        f"tls://localhost:{rsyslog.port('tls')}",
        tls_ca_file=str(tls_certs.ca_file),
        tls_cert_file=str(tls_certs.client_cert_file),
        tls_key_file=str(tls_certs.client_key_file),
    )
    got = log_and_collect(fresh_logger, sink, rsyslog, ["client authenticated"])
    assert got[0]["msg"] == "client authenticated"


def test_a_server_refusing_our_client_certificate_is_an_outage_not_silent_loss(
    rsyslog_factory: Any, fresh_logger: Any, tls_certs: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # TLS 1.3: the server judges the client certificate after the handshake; without
    # the verdict check in open(), the first message of every connection was lost.
    rsyslog = started(rsyslog_factory(), "tls", "tls", **tls_input(tls_certs, require_client_cert=True))
    sink = SyslogSink(
        f"tls://localhost:{rsyslog.port('tls')}", tls_ca_file=str(tls_certs.ca_file), backoff_min=0.01, backoff_max=0.02
    )
    fresh_logger.add(sink, format="{message}", catch=False)
    for i in range(10):
        fresh_logger.info(f"no client certificate {i}")
        time.sleep(0.03)  # past the backoff: every call tries to connect again
    stats = sink.stats
    assert stats.sent == 0 and stats.buffered == 10 and stats.errors >= 5
    assert capsys.readouterr().err.count("loguru-syslog: cannot send to") == 1
    assert rsyslog.messages() == []
    # The refusal is seen by open() itself, not by luck on the next send (on a
    # remote link the alert may come after the first message has gone).
    transport = TLSTransport("localhost", rsyslog.port("tls"), context=make_context(ca_file=str(tls_certs.ca_file)))
    with pytest.raises(OSError):
        transport.open()
    transport.close()


def test_tls_with_a_user_ssl_context_and_server_name(rsyslog_factory: Any, fresh_logger: Any, tls_certs: Any) -> None:
    rsyslog = started(rsyslog_factory(), "tls", "tls", **tls_input(tls_certs))
    context = ssl.create_default_context(cafile=str(tls_certs.ca_file))
    # Connect by IP address, verify the name the certificate carries.
    sink = SyslogSink(f"tls://127.0.0.1:{rsyslog.port('tls')}", tls_context=context, tls_server_name="localhost")
    got = log_and_collect(fresh_logger, sink, rsyslog, ["custom context"])
    assert got[0]["msg"] == "custom context"


def test_wrong_ca_is_refused_counted_reported_once_and_never_raises(
    rsyslog_factory: Any, fresh_logger: Any, tls_certs: Any, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    import trustme

    other_ca = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other_ca))
    rsyslog = started(rsyslog_factory(), "tls", "tls", **tls_input(tls_certs))
    sink = SyslogSink(f"tls://localhost:{rsyslog.port('tls')}", tls_ca_file=str(other_ca), stop_timeout=1)
    fresh_logger.add(sink, format="{message}", catch=False)
    for i in range(20):
        fresh_logger.info(f"must not arrive {i}")
    stats = sink.stats
    assert stats.sent == 0 and stats.errors >= 1 and stats.buffered == 20
    err = capsys.readouterr().err
    assert err.count("loguru-syslog: cannot send to") == 1
    assert "CERTIFICATE_VERIFY_FAILED" in err
    fresh_logger.remove()
    assert sink.stats.dropped == 20
    assert rsyslog.messages() == []


def test_tls_verification_can_be_turned_off_explicitly(rsyslog_factory: Any, fresh_logger: Any, tls_certs: Any) -> None:
    rsyslog = started(rsyslog_factory(), "tls", "tls", **tls_input(tls_certs))
    with pytest.warns(SyslogConfigWarning, match="tls_verify is off") as caught:
        sink = SyslogSink(f"tls://127.0.0.1:{rsyslog.port('tls')}", tls_verify=False)
    ours = [w for w in caught if issubclass(w.category, SyslogConfigWarning)]  # not stray ResourceWarnings
    assert ours[0].filename == __file__  # it points at the line that built the sink
    got = log_and_collect(fresh_logger, sink, rsyslog, ["unverified"])
    assert got[0]["msg"] == "unverified"


@pytest.mark.parametrize("scheme", ["unix", "unixgram"])
def test_unix_datagram_with_the_local_header(rsyslog_factory: Any, fresh_logger: Any, scheme: str) -> None:
    rsyslog = started(rsyslog_factory(), "log", "unix-dgram")
    sink = SyslogSink(f"{scheme}://{rsyslog.path('log')}", app_name="worker", facility="local1")
    assert sink.header == "local"
    fresh_logger.add(sink, format="{message}", level="TRACE", catch=False)
    fresh_logger.trace("traced")
    fresh_logger.success("done ünï")
    got = rsyslog.wait_for(2)
    assert [(m["msg"], m["severity"], m["facility"], m["app_name"], m["procid"]) for m in got] == [
        ("traced", 7, 17, "worker", str(os.getpid())),
        ("done ünï", 5, 17, "worker", str(os.getpid())),
    ]


@pytest.mark.parametrize("scheme", ["unix", "unixstream"])
def test_unix_stream_into_syslog_ng(syslog_ng_factory: Any, fresh_logger: Any, scheme: str) -> None:
    ng = started(syslog_ng_factory(), "log", "unix-stream")
    sink = SyslogSink(f"{scheme}://{ng.path('log')}", app_name="worker")
    got = log_and_collect(fresh_logger, sink, ng, ["one", "two\nlines", "three"])
    assert [(m["msg"], m["app_name"], m["severity"]) for m in got] == [
        ("one", "worker", 6),
        ("two lines", "worker", 6),
        ("three", "worker", 6),
    ]


def test_unix_datagram_too_large_is_shrunk_not_lost(rsyslog_factory: Any, fresh_logger: Any) -> None:
    rsyslog = started(rsyslog_factory(max_message_size=1 << 20), "log", "unix-dgram")
    # Larger than any datagram the socket takes (net.core.wmem_default, ~208 KiB).
    sink = SyslogSink(f"unixgram://{rsyslog.path('log')}", max_message_size=1 << 23)
    fresh_logger.add(sink, format="{message}", catch=False)
    fresh_logger.info("z" * (1 << 22))
    got = rsyslog.wait_for(1)
    assert 1000 < len(got[0]["msg"]) < (1 << 22) and set(got[0]["msg"]) == {"z"}
    assert sink.stats.truncated >= 1 and sink.stats.sent == 1 and sink.stats.dropped == 0


@pytest.mark.parametrize("stream", ["stdout", "stderr"])
def test_stdout_and_stderr_one_line_each_with_pri(
    fresh_logger: Any, capfd: pytest.CaptureFixture[str], stream: str
) -> None:
    sink = SyslogSink(stream, facility="daemon")
    fresh_logger.add(sink, format="{message}", level="TRACE", catch=False)
    fresh_logger.trace("t")
    fresh_logger.error("multi\nline")
    fresh_logger.success("ok")
    out, err = capfd.readouterr()
    assert (out if stream == "stdout" else err) == "<31>t\n<27>multi line\n<29>ok\n"


def test_default_address_is_the_first_local_socket_dirs_and_files_skipped(
    rsyslog_factory: Any, fresh_logger: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from loguru_syslog import _address

    rsyslog = started(rsyslog_factory(), "log", "unix-dgram")
    directory, plain = tmp_path / "dir", tmp_path / "file"
    directory.mkdir()
    plain.write_text("")
    candidates = (str(tmp_path / "missing"), str(directory), str(plain), rsyslog.path("log"))
    monkeypatch.setattr(_address, "LOCAL_SOCKET_PATHS", candidates)
    sink = SyslogSink(app_name="local")
    assert sink.address == f"unix://{rsyslog.path('log')}" and sink.header == "local"
    fresh_logger.add(sink, format="{message}", catch=False)
    fresh_logger.warning("to the local daemon")
    got = rsyslog.wait_for(1)
    assert (got[0]["msg"], got[0]["app_name"], got[0]["severity"], got[0]["facility"]) == (
        "to the local daemon",
        "local",
        4,
        1,
    )
    with pytest.raises(SyslogConfigError, match="SYSLOG_URL") as caught:
        _address.find_local_socket(candidates[:3])
    assert all(path in str(caught.value) for path in candidates[:3])


@pytest.mark.parametrize(
    ("make", "name"),
    [
        (lambda: TCPTransport("logs", framing="bogus"), "framing"),
        (lambda: UDPTransport("logs", port=0), "port"),
        (lambda: UDPTransport("logs", port=70000), "port"),
        (lambda: TCPTransport("logs", timeout=0), "timeout"),
        (lambda: TCPTransport("log host"), "host"),
        (lambda: UDPTransport("a" * 300), "host"),
        (lambda: UnixTransport("/tmp/" + "x" * 120), "path"),
        (lambda: UnixTransport("/dev/log\x00"), "path"),
        (lambda: UnixTransport("/dev/log", kind="seqpacket"), "kind"),
        (lambda: StdioTransport("stdin"), "stream"),
    ],
)
def test_public_transport_constructors_validate_like_the_sink(make: Any, name: str) -> None:
    # The same parsers as the sink's options: a SyslogConfigError naming the argument.
    with pytest.raises(SyslogConfigError) as caught:
        make()
    assert caught.value.name == name
