"""Address URLs: every form of the contract, default ports, query parameters, and every way to get one wrong."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

import pytest

from conftest import UdpReceiver
from loguru_syslog import (
    StdioTransport,
    SyslogConfigError,
    SyslogConfigWarning,
    SyslogSink,
    TCPTransport,
    TLSTransport,
    UDPTransport,
    UnixTransport,
)
from loguru_syslog._address import parse_url
from loguru_syslog._env import query_parameters
from loguru_syslog._options import OPTIONS
from rfc5424 import parse

# -- every address form: parsed, and the transport the sink builds ---------------------------------


@pytest.mark.parametrize(
    ("url", "scheme", "host", "port", "transport"),
    [
        ("udp://logs.example.com:5514", "udp", "logs.example.com", 5514, UDPTransport),
        ("udp://logs.example.com", "udp", "logs.example.com", 514, UDPTransport),
        ("udp://logs.example.com:", "udp", "logs.example.com", 514, UDPTransport),
        ("udp://[::1]:5514", "udp", "::1", 5514, UDPTransport),
        ("udp://[::1]", "udp", "::1", 514, UDPTransport),
        ("udp://[2001:db8::7]:514", "udp", "2001:db8::7", 514, UDPTransport),
        ("udp://[fe80::1%25eth0]:514", "udp", "fe80::1%eth0", 514, UDPTransport),
        ("udp://192.0.2.1", "udp", "192.0.2.1", 514, UDPTransport),
        ("tcp://logs:1514", "tcp", "logs", 1514, TCPTransport),
        ("tcp://logs", "tcp", "logs", 514, TCPTransport),
        ("tcp://[::1]", "tcp", "::1", 514, TCPTransport),
        ("tls://logs", "tls", "logs", 6514, TLSTransport),
        ("tls://logs:10514", "tls", "logs", 10514, TLSTransport),
        ("tcp+tls://logs", "tls", "logs", 6514, TLSTransport),
        ("tcp+tls://[::1]:6515", "tls", "::1", 6515, TLSTransport),
        ("UDP://Logs.Example.COM:514", "udp", "logs.example.com", 514, UDPTransport),
        ("  udp://logs:514  ", "udp", "logs", 514, UDPTransport),
        ("udp://logs:514/", "udp", "logs", 514, UDPTransport),
    ],
)
def test_network_urls(url: str, scheme: str, host: str, port: int, transport: type) -> None:
    address = parse_url(url)
    assert (address.scheme, address.host, address.port, address.query) == (scheme, host, port, {})
    # Construction never connects: an unresolvable or dead host is not a config error.
    sink = SyslogSink(url)
    assert type(sink.transport) is transport
    assert (sink.transport.host, sink.transport.port) == (host, port)  # type: ignore[attr-defined]
    assert sink.header == "rfc5424"


@pytest.mark.parametrize(
    ("url", "scheme", "path", "kind"),
    [
        ("unix:///dev/log", "unix", "/dev/log", "auto"),
        ("unix:/dev/log", "unix", "/dev/log", "auto"),
        ("unixgram:///run/syslog.sock", "unixgram", "/run/syslog.sock", "dgram"),
        ("unixstream:///run/syslog.sock", "unixstream", "/run/syslog.sock", "stream"),
        ("unix:///run/my%20app/log", "unix", "/run/my app/log", "auto"),
    ],
)
def test_unix_urls(url: str, scheme: str, path: str, kind: str) -> None:
    address = parse_url(url)
    assert (address.scheme, address.path) == (scheme, path)
    sink = SyslogSink(url)
    assert isinstance(sink.transport, UnixTransport)
    assert (sink.transport.path, sink.transport.kind) == (path, kind)
    assert sink.header == "local"


@pytest.mark.parametrize("url", ["stdout", "stdout:", "stdout://", "STDOUT", "stderr", "stderr://", "stderr:"])
def test_stream_urls(url: str) -> None:
    sink = SyslogSink(url)
    assert isinstance(sink.transport, StdioTransport)
    assert sink.transport.stream == url.lower().split(":")[0]
    assert sink.header == "pri"
    assert sink.address == url.lower().split(":")[0]


def test_stdout_url_with_a_query_configures_the_sink(capfd: Any, fresh_logger: Any) -> None:
    sink = SyslogSink("stdout?facility=kern&app_name=api")
    assert sink.config.facility == 0 and sink.config.app_name == "api"
    fresh_logger.add(sink, format="{message}")
    fresh_logger.warning("careful")
    fresh_logger.remove()
    assert capfd.readouterr().out == "<4>careful\n"


def test_ipv6_udp_url_really_sends(fresh_logger: Any) -> None:
    receiver = UdpReceiver("::1")
    try:
        fresh_logger.add(SyslogSink(f"udp://[::1]:{receiver.port}?app_name=v6"), format="{message}")
        fresh_logger.info("over IPv6")
        message = parse(receiver.receive()[0])
    finally:
        receiver.close()
    assert (message.app_name, message.msg) == ("v6", b"over IPv6")


def test_unix_datagram_url_really_sends(tmp_path: Path, fresh_logger: Any) -> None:
    path = tmp_path / "log.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(str(path))
    server.settimeout(5)
    try:
        fresh_logger.add(SyslogSink(f"unix://{path}?facility=local1&app_name=t"), format="{message}")
        fresh_logger.error("local")
        data = server.recv(4096)
    finally:
        server.close()
    assert data.startswith(b"<139>") and data.endswith(b" t[%d]: local" % os.getpid())


# -- query parameters: every option -----------------------------------------------------------------

#: A valid non-default value of every option, as URL query text, and the value it parses to.
QUERY_SAMPLES: dict[str, tuple[str, Any]] = {
    "relp_window": ("16", 16),
    "sequence_id": ("on", True),
    "origin": ("true", True),
    "tls_pin_sha256": ("AA:" * 31 + "AA", ("aa" * 32,)),
    "facility": ("local5", 21),
    "header": ("rfc3164", "rfc3164"),
    "app_name": ("api+v2", "api v2"),
    "hostname": ("web-3", "web-3"),
    "msgid": ("ORDER", "ORDER"),
    "framing": ("lf", "lf"),
    "max_message_size": ("4096", 4096),
    "timeout": ("0.5", 0.5),
    "background": ("yes", True),
    "queue_size": ("77", 77),
    "buffer_size": ("0", 0),
    "buffer_bytes": ("65536", 65536),
    "backoff_min": ("0.01", 0.01),
    "backoff_max": ("9", 9.0),
    "stop_timeout": ("1", 1.0),
    "structured_data": ("request_id,user", frozenset({"request_id", "user"})),
    "sd_id": ("shop%4032473", "shop@32473"),
    "keep_newlines": ("on", True),
    "replacement": ("%E2%90%A4", "\u2424"),
    "bom": ("true", True),
    "tls_verify": ("false", False),
    "tls_server_name": ("logs.internal", "logs.internal"),
}


def test_query_parameters_are_exactly_the_textual_options() -> None:
    assert set(query_parameters()) == {name for name, option in OPTIONS.items() if option.textual}
    assert set(QUERY_SAMPLES) == set(query_parameters()) - {
        "severities",
        "tls_ca_file",
        "tls_cert_file",
        "tls_key_file",
        "failback",  # several addresses only: tests/test_failover.py
    }
    assert "tls_context" not in query_parameters()


@pytest.mark.parametrize("name", sorted(QUERY_SAMPLES))
def test_every_option_as_a_query_parameter(name: str) -> None:
    text, expected = QUERY_SAMPLES[name]
    scheme = "tls" if name.startswith("tls_") else "relp" if name.startswith("relp_") else "tcp"
    url = f"{scheme}://logs:1514?{name}={text}"
    if name == "tls_verify":  # off: the sink must say, once, that anyone on the path can read the logs
        with pytest.warns(SyslogConfigWarning, match="tls_verify is off") as caught:
            sink = SyslogSink(url)
        # Ours only: a ResourceWarning of an earlier test's garbage may land in the block too.
        assert len([w for w in caught if issubclass(w.category, SyslogConfigWarning)]) == 1
    else:
        sink = SyslogSink(url)
    assert getattr(sink.config, name) == expected
    assert sink.config.sources[name] == "URL query"
    assert sink.config.explicit == {name}  # a query value is the user's, not a default
    assert sink.address == f"{scheme}://logs:1514"  # the query is not part of the address shown


def test_severities_query_parameter(fresh_logger: Any, udp_receiver: UdpReceiver) -> None:
    sink = SyslogSink(f"{udp_receiver.url}?severities=TRACE%3Dinfo,AUDIT%3Dalert,45%3Demerg")
    assert sink.config.sources["severities"] == "URL query"
    assert sink.severity_for("TRACE", 5) == 6
    assert sink.severity_for("AUDIT", 45) == 1
    assert sink.severity_for("Level 45", 45) == 0


def test_query_tls_files(tls_certs: Any) -> None:
    sink = SyslogSink(f"tls://localhost:6514?tls_ca_file={tls_certs.ca_file}")
    assert sink.config.tls_ca_file == str(tls_certs.ca_file)
    assert sink.transport.context.verify_mode.name == "CERT_REQUIRED"  # type: ignore[attr-defined]


def test_query_tls_client_certificate(tls_certs: Any) -> None:
    sink = SyslogSink(
        f"tls://localhost?tls_cert_file={tls_certs.client_cert_file}&tls_key_file={tls_certs.client_key_file}"
    )
    assert sink.config.tls_cert_file == str(tls_certs.client_cert_file)
    assert sink.config.tls_key_file == str(tls_certs.client_key_file)


def test_a_keyword_argument_wins_over_the_query() -> None:
    sink = SyslogSink("udp://logs?facility=local0&app_name=url", facility="local7")
    assert sink.config.facility == 23 and sink.config.sources["facility"] == "argument"
    assert sink.config.app_name == "url" and sink.config.sources["app_name"] == "URL query"


def test_an_empty_query_value_is_the_empty_string() -> None:
    sink = SyslogSink("udp://logs?replacement=")
    assert sink.config.replacement == ""


# -- errors: each names the address, the bad value and what is accepted ------------------------------


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        ("http://logs:514", "a URL such as udp://host:514"),
        ("logs:514", "a URL such as udp://host:514"),
        ("", "a URL such as udp://host:514"),
        ("udp://", "a host"),
        ("udp://:514", "a host"),
        ("udp://logs:0", "a port from 1 to 65535"),
        ("udp://logs:65536", "a port from 1 to 65535"),
        ("udp://logs:five", "a port from 1 to 65535"),
        ("udp://::1:514", "an IPv6 address in brackets, e.g. udp://[::1]:514"),
        ("tls://::1", "an IPv6 address in brackets, e.g. tls://[::1]:6514"),
        ("udp://[::1", "Invalid IPv6 URL"),
        ("udp://user@logs", "no path or user"),
        ("udp://user:secret@logs", "no path or user"),
        ("tcp://logs/path", "no path or user"),
        ("unix://", "a socket path"),
        ("stdout://somewhere", "stdout alone, or stdout://?name=value"),
        ("stdout:/x", "stdout alone"),
        ("udp://logs#frag", "no #fragment"),
        ("unix:///tmp/a#b", "no #fragment"),
        ("udp://logs?facility", "bad query field"),
        ("udp://logs?facility=local0&facility=local1", "given more than once: facility"),
    ],
)
def test_bad_urls(url: str, accepted: str) -> None:
    with pytest.raises(SyslogConfigError) as caught:
        SyslogSink(url)
    shown = url.replace(":secret@", ":***@")  # an error never repeats a password given in a URL
    assert caught.value.name == "address"
    assert caught.value.value == shown
    assert accepted in caught.value.accepted
    assert str(caught.value).startswith(f"address={shown!r} is invalid: ")
    assert "secret" not in str(caught.value)


def test_parse_url_names_the_variable_it_is_given() -> None:
    with pytest.raises(SyslogConfigError, match=r"^SYSLOG_URL='udp://logs:0' is invalid"):
        parse_url("udp://logs:0", "SYSLOG_URL")


@pytest.mark.parametrize(
    ("query", "name", "accepted"),
    [
        ("facility=locl0", "facility", "one of kern, user"),
        ("header=5424", "header", "rfc5424, rfc3164, local, pri"),
        ("max_message_size=100", "max_message_size", "from 480"),
        ("timeout=3s", "timeout", "seconds"),
        ("background=maybe", "background", "a boolean"),
        ("framing=nul", "framing", "octet-counting, lf"),
        ("sd_id=nopen", "sd_id", "enterprise number"),
    ],
)
def test_bad_query_values_name_the_parameter(query: str, name: str, accepted: str) -> None:
    with pytest.raises(SyslogConfigError) as caught:
        SyslogSink(f"tcp://logs?{query}")
    assert name in caught.value.name
    assert accepted in caught.value.accepted


def test_unknown_query_parameter_is_an_error() -> None:
    with pytest.raises(SyslogConfigError, match="unknown") as caught:
        SyslogSink("udp://logs?facilty=local0")
    assert "facilty" in str(caught.value)


def test_tls_context_is_not_a_query_parameter() -> None:
    with pytest.raises(SyslogConfigError, match="unknown"):
        SyslogSink("tls://logs?tls_context=x")


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("udp://logs?tls_verify=false", "tls_verify"),
        ("tcp://logs?tls_server_name=x", "tls_server_name"),
        ("udp://logs?framing=lf", "framing"),
        ("stdout?framing=lf", "framing"),
        ("unixgram:///dev/log?framing=lf", "framing"),
    ],
)
def test_query_options_that_cannot_apply_are_errors(url: str, name: str) -> None:
    with pytest.raises(SyslogConfigError) as caught:
        SyslogSink(url)
    assert caught.value.name == f"address?{name}"  # where the value came from, as everywhere
