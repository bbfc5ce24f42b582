"""SyslogSink.from_env(): every variable, every error, precedence, warnings; and the docs page agrees with the code."""

from __future__ import annotations

import ast
import os
import re
import socket
import subprocess
import sys
import threading
import warnings
from pathlib import Path
from typing import Any, Callable

import pytest

from conftest import UdpReceiver, make_message
from loguru_syslog import (
    MemoryTransport,
    SyslogConfigError,
    SyslogConfigWarning,
    SyslogSink,
    TLSTransport,
    UDPTransport,
    _address,
)
from loguru_syslog._cli import build_parser, option_flags
from loguru_syslog._env import variable_names
from loguru_syslog._options import OPTIONS, parse_bool
from loguru_syslog._severity import SeverityTable, parse_facility
from rfc5424 import parse

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "configuration.md"
TEXTUAL = {name for name, option in OPTIONS.items() if option.textual}


def url_for(name: str) -> str:
    """An address every option applies to: TLS for tls_*, RELP for relp_*, TCP (framing applies) otherwise."""
    if name.startswith("relp_"):
        return "relp://127.0.0.1:2514"
    if name == "failback":
        return "tcp://127.0.0.1:1514,tcp://127.0.0.1:1515"
    return "tls://localhost:6514" if name.startswith("tls_") else "tcp://127.0.0.1:1514"


def samples(certs: Any) -> dict[str, tuple[str, Any]]:
    """A valid, non-default text for every variable, and what the sink must hold for it."""
    return {
        "facility": ("LOCAL4", 20),
        "header": ("rfc3164", "rfc3164"),
        "app_name": ("billing", "billing"),
        "hostname": ("web-7", "web-7"),
        "msgid": ("PAY", "PAY"),
        "severities": ("TRACE=debug,SUCCESS=notice,AUDIT=alert,45=alert", SeverityTable),
        "framing": ("lf", "lf"),
        "max_message_size": ("4096", 4096),
        "timeout": ("0.25", 0.25),
        "background": ("yes", True),
        "queue_size": ("50", 50),
        "buffer_size": ("0", 0),
        "buffer_bytes": ("1048576", 1048576),
        "backoff_min": ("0.05", 0.05),
        "backoff_max": ("2", 2.0),
        "stop_timeout": ("1.5", 1.5),
        "structured_data": ("request_id, user", frozenset({"request_id", "user"})),
        "sd_id": ("shop@32473", "shop@32473"),
        "keep_newlines": ("on", True),
        "replacement": ("_", "_"),
        "bom": ("TRUE", True),
        "tls_ca_file": (str(certs.ca_file), str(certs.ca_file)),
        "tls_cert_file": (str(certs.client_cert_file), str(certs.client_cert_file)),
        "tls_key_file": (str(certs.client_key_file), str(certs.client_key_file)),
        "tls_verify": ("off", False),
        "tls_server_name": ("logs.internal", "logs.internal"),
        "relp_window": ("64", 64),
        "failback": ("off", False),
        "sequence_id": ("yes", True),
        "origin": ("1", True),
        "tls_pin_sha256": ("AB" * 32 + ", " + "cd" * 32, ("ab" * 32, "cd" * 32)),
    }


INSECURE = "tls_verify is off"


def from_env(env: dict[str, str], **overrides: Any) -> SyslogSink:
    """`SyslogSink.from_env(environ=env, **overrides)`; any warning fails the test (an unexpected
    "unknown variable" warning above all), except the one a TLS sink with tls_verify off must give:
    that one is required, exactly once."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            sink = SyslogSink.from_env(environ=env, **overrides)
        finally:
            unexpected = [str(w.message) for w in caught if not str(w.message).startswith(INSECURE)]
            assert unexpected == []
    insecure = [w for w in caught if str(w.message).startswith(INSECURE)]
    assert all(w.category is SyslogConfigWarning for w in insecure)
    expected = (
        isinstance(sink.transport, TLSTransport)
        and not sink.config.tls_verify
        and not sink.config.tls_context
        and not sink.config.tls_pin_sha256  # a pinned certificate is checked, so no warning
    )
    assert len(insecure) == (1 if expected else 0)
    return sink


# -- every variable ------------------------------------------------------------------------------------


def test_the_variables_are_the_url_and_every_textual_option() -> None:
    expected = {"SYSLOG_URL"} | {f"SYSLOG_{name.upper()}" for name in TEXTUAL}
    assert set(variable_names()) == expected
    # The contract's table (docs/API.md, "Environment"), spelled out: none may go missing.
    contract = (
        "URL FACILITY APP_NAME HOSTNAME MSGID HEADER SEVERITIES FRAMING MAX_MESSAGE_SIZE TIMEOUT BACKGROUND "
        "TLS_CA_FILE TLS_CERT_FILE TLS_KEY_FILE TLS_VERIFY TLS_SERVER_NAME"
    )
    assert {f"SYSLOG_{n}" for n in contract.split()} <= expected


def test_samples_cover_every_variable(tls_certs: Any) -> None:
    assert set(samples(tls_certs)) == TEXTUAL


@pytest.mark.parametrize("name", sorted(TEXTUAL))
def test_every_variable_sets_its_option(name: str, tls_certs: Any) -> None:
    text, expected = samples(tls_certs)[name]
    variable = f"SYSLOG_{name.upper()}"
    env = {"SYSLOG_URL": url_for(name), variable: text}
    # The client certificate and its key (in two files) go together.
    pair = {"tls_key_file": "tls_cert_file", "tls_cert_file": "tls_key_file"}.get(name)
    if pair:
        env[f"SYSLOG_{pair.upper()}"] = samples(tls_certs)[pair][0]
    sink = from_env(env)
    if expected is SeverityTable:
        assert sink.severity_for("TRACE", 5) == 7
        assert sink.severity_for("SUCCESS", 25) == 5
        assert sink.severity_for("AUDIT", 45) == 1
        assert sink.severity_for("Level 45", 45) == 1
        assert sink.severity_for("ERROR", 40) == 3  # the rest of the default table stays
    else:
        assert getattr(sink.config, name) == expected
    assert sink.config.sources[name] == variable
    assert sink.config.sources["address"] == "SYSLOG_URL"
    assert sink.config.explicit == {name, pair} - {None}  # the rest are defaults
    assert all(source == "default" for key, source in sink.config.sources.items() if key not in (name, "address", pair))


def test_variables_reach_the_wire(fresh_logger: Any, udp_receiver: UdpReceiver) -> None:
    sink = from_env(
        {
            "SYSLOG_URL": udp_receiver.url,
            "SYSLOG_FACILITY": "local3",
            "SYSLOG_APP_NAME": "billing",
            "SYSLOG_HOSTNAME": "web-7",
            "SYSLOG_MSGID": "PAY",
            "SYSLOG_SEVERITIES": "TRACE=debug,SUCCESS=alert",
            "SYSLOG_SD_ID": "shop@32473",
            "SYSLOG_STRUCTURED_DATA": "order",
            "SYSLOG_REPLACEMENT": "|",
        }
    )
    fresh_logger.add(sink, format="{message}", level="TRACE", catch=False)
    fresh_logger.bind(order=42, secret="x").success("paid\nin full")
    message = parse(udp_receiver.receive()[0])
    assert message.pri == 19 * 8 + 1
    assert (message.hostname, message.app_name, message.msgid) == ("web-7", "billing", "PAY")
    assert message.sd == {"shop@32473": [("order", "42")]}
    assert message.msg == b"paid|in full"


def test_timeout_reaches_the_transport_and_tls_files_the_context(tls_certs: Any) -> None:
    sink = from_env(
        {
            "SYSLOG_URL": "tls://localhost",
            "SYSLOG_TIMEOUT": "0.75",
            "SYSLOG_TLS_CA_FILE": str(tls_certs.ca_file),
            "SYSLOG_TLS_SERVER_NAME": "logs.internal",
        }
    )
    assert isinstance(sink.transport, TLSTransport)
    assert sink.transport.timeout == 0.75
    assert sink.transport.server_name == "logs.internal"
    assert sink.transport.context.get_ca_certs()  # the CA from the file is loaded


def test_background_variable_makes_a_writer_thread() -> None:
    sink = from_env({"SYSLOG_URL": "udp://127.0.0.1:9", "SYSLOG_BACKGROUND": "1", "SYSLOG_QUEUE_SIZE": "5"})
    try:
        assert sink.config.background is True and sink.config.queue_size == 5
    finally:
        sink.stop()
    # And it does: the message is sent from the writer thread, not from the caller's.
    senders: list[str] = []
    transport = MemoryTransport(fail=lambda message: senders.append(threading.current_thread().name))
    sink = from_env({"SYSLOG_BACKGROUND": "1"}, transport=transport)
    try:
        sink.write(make_message("queued"))
    finally:
        sink.stop()
    assert transport.texts[-1].endswith(" queued")
    assert senders[-1] != threading.current_thread().name


@pytest.mark.parametrize(
    ("text", "expected"),
    [(word, True) for word in ("1", "true", "yes", "y", "ok", "on", "TRUE", "Yes", " on ")]
    + [(word, False) for word in ("0", "false", "no", "n", "nok", "off", "FALSE", "Off")],
)
def test_booleans_are_the_words_loguru_accepts(text: str, expected: bool) -> None:
    # loguru's own LOGURU_* variables take exactly these words (loguru._defaults.env).
    sink = from_env({"SYSLOG_URL": "tls://localhost", "SYSLOG_TLS_VERIFY": text, "SYSLOG_BOM": text})
    assert sink.config.tls_verify is expected and sink.config.bom is expected


# -- every error names the variable -------------------------------------------------------------------

#: Text no parser accepts, per variable. Options whose values are free text are listed apart.
INVALID: dict[str, list[str]] = {
    "facility": ["locl0", "24", "-1"],
    "header": ["5424", "json"],
    "severities": ["AUDIT", "=alert", "AUDIT=bogus", "AUDIT=8", "TRACE=", "45"],
    "framing": ["nul", "octet"],
    "max_message_size": ["100", "8k", "1.5", "99999999"],
    "timeout": ["3s", "0", "-1", "nan", "inf"],
    "background": ["maybe", "2"],
    "queue_size": ["0", "ten"],
    "buffer_size": ["-1", "1e3"],
    "buffer_bytes": ["-1", "16M", "1.5", str((1 << 40) + 1)],
    "backoff_min": ["0", "soon"],
    "backoff_max": ["abc"],
    "stop_timeout": ["-5"],
    "structured_data": [",", " , "],
    "sd_id": ["no-at-sign", "a=b@1", "x" * 40 + "@1"],
    "keep_newlines": ["sometimes"],
    "replacement": ["\t", "a\x1bb"],
    "bom": ["si"],
    "tls_ca_file": ["/nonexistent/ca.pem"],
    "tls_cert_file": ["/nonexistent/cert.pem"],
    "tls_verify": ["perhaps"],
    "relp_window": ["0", "many", "100001"],
    "failback": ["later"],
    "sequence_id": ["count"],
    "origin": ["2"],
    "tls_pin_sha256": ["abc", "zz" * 32, "ab" * 32 + ",ab", ","],
}
FREE_TEXT = {"app_name", "hostname", "msgid", "tls_server_name"}
# tls_key_file: a missing file is caught like the others, but only with a certificate (below).


def test_every_variable_has_an_error_case_or_takes_any_text() -> None:
    assert set(INVALID) | FREE_TEXT | {"tls_key_file"} == TEXTUAL
    for name in FREE_TEXT:
        assert OPTIONS[name].parse("any text at all ✓", name) == "any text at all ✓"


@pytest.mark.parametrize(("name", "text"), [(name, text) for name, texts in INVALID.items() for text in texts])
def test_bad_value_names_the_variable(name: str, text: str) -> None:
    variable = f"SYSLOG_{name.upper()}"
    with pytest.raises(SyslogConfigError) as caught:
        from_env({"SYSLOG_URL": url_for(name), variable: text})
    error = caught.value
    assert error.name.startswith(variable)  # SYSLOG_SEVERITIES['AUDIT'] names the entry too
    assert variable in str(error)
    assert error.accepted
    if error.name == variable:
        assert error.value == text
        assert str(error).startswith(f"{variable}={text!r} is invalid: ")


def test_bad_severity_entry_names_the_variable_and_the_level() -> None:
    with pytest.raises(SyslogConfigError) as caught:
        from_env({"SYSLOG_URL": "udp://h", "SYSLOG_SEVERITIES": "TRACE=debug,AUDIT=loud"})
    assert str(caught.value).startswith("SYSLOG_SEVERITIES['AUDIT']='loud' is invalid: use a number 0..7 or one of")


def test_bad_key_file_names_its_variable(tls_certs: Any) -> None:
    env = {
        "SYSLOG_URL": "tls://localhost",
        "SYSLOG_TLS_CERT_FILE": str(tls_certs.client_cert_file),
        "SYSLOG_TLS_KEY_FILE": "/nonexistent/key.pem",
    }
    with pytest.raises(SyslogConfigError, match=r"^SYSLOG_TLS_KEY_FILE='/nonexistent/key.pem' is invalid"):
        from_env(env)
    env["SYSLOG_TLS_KEY_FILE"] = str(tls_certs.client_key_file)
    del env["SYSLOG_TLS_CERT_FILE"]
    with pytest.raises(SyslogConfigError, match=r"^SYSLOG_TLS_KEY_FILE=.* a key goes with tls_cert_file"):
        from_env(env)


def test_a_file_that_is_not_pem_names_its_variable(tmp_path: Path) -> None:
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate")
    with pytest.raises(SyslogConfigError, match=r"^SYSLOG_TLS_CA_FILE="):
        from_env({"SYSLOG_URL": "tls://localhost", "SYSLOG_TLS_CA_FILE": str(junk)})
    with pytest.raises(SyslogConfigError, match=r"^SYSLOG_TLS_CERT_FILE="):
        from_env({"SYSLOG_URL": "tls://localhost", "SYSLOG_TLS_CERT_FILE": str(junk)})


@pytest.mark.parametrize(
    ("env", "name", "value", "accepted"),
    [
        ({"SYSLOG_URL": "udp://h", "SYSLOG_TLS_VERIFY": "no"}, "SYSLOG_TLS_VERIFY", "no", "only for tls://"),
        ({"SYSLOG_URL": "tcp://h", "SYSLOG_TLS_CA_FILE": "/x"}, "SYSLOG_TLS_CA_FILE", "/x", "only for tls://"),
        ({"SYSLOG_URL": "udp://h", "SYSLOG_FRAMING": "lf"}, "SYSLOG_FRAMING", "lf", "only for stream transports"),
        ({"SYSLOG_URL": "stdout", "SYSLOG_FRAMING": "lf"}, "SYSLOG_FRAMING", "lf", "only for stream transports"),
        pytest.param(
            {"SYSLOG_URL": "udp://h", "SYSLOG_BACKOFF_MIN": "10", "SYSLOG_BACKOFF_MAX": "1"},
            "SYSLOG_BACKOFF_MAX",
            "1",
            ">= backoff_min",
        ),
        pytest.param(
            {"SYSLOG_URL": "udp://h?tls_verify=no"},
            "SYSLOG_URL?tls_verify",
            "no",
            "only for tls://",
        ),
        pytest.param(
            {"SYSLOG_URL": "udp://h?framing=lf"},
            "SYSLOG_URL?framing",
            "lf",
            "only for stream transports",
        ),
    ],
)
def test_options_that_cannot_apply_name_where_they_came_from(
    env: dict[str, str], name: str, value: str, accepted: str
) -> None:
    with pytest.raises(SyslogConfigError) as caught:
        from_env(env)
    assert (caught.value.name, caught.value.value) == (name, value)
    assert accepted in caught.value.accepted


@pytest.mark.parametrize(
    ("url", "name", "accepted"),
    [
        ("udp://h:0", "SYSLOG_URL", "a port from 1 to 65535"),
        ("syslog://h", "SYSLOG_URL", "a URL such as"),
        ("udp://::1", "SYSLOG_URL", "in brackets"),
        ("udp://h?facility=locl0", "SYSLOG_URL?facility", "one of kern, user"),
        ("udp://h?timeout=3s", "SYSLOG_URL?timeout", "seconds"),
        ("udp://h?facilty=local0", "SYSLOG_URL?facilty", "did you mean facility?"),
        (
            "udp://h?tls_context=x",
            "SYSLOG_URL?tls_context",
            "it is an unknown query parameter; known ones are facility",
        ),
        pytest.param("tls://h?tls_ca_file=/nonexistent", "SYSLOG_URL?tls_ca_file", "readable PEM file"),
    ],
)
def test_url_errors_name_the_variable(url: str, name: str, accepted: str) -> None:
    with pytest.raises(SyslogConfigError) as caught:
        from_env({"SYSLOG_URL": url})
    assert caught.value.name == name
    assert accepted in caught.value.accepted
    assert str(caught.value).startswith(f"{name}=")


def test_an_address_override_keeps_the_constructor_s_error_names() -> None:
    with pytest.raises(SyslogConfigError) as caught:
        from_env({}, address="udp://h?tls_verify=no")
    # As the constructor names it: the query parameter of the address, as written.
    assert (caught.value.name, caught.value.value) == ("address?tls_verify", "no")
    with pytest.raises(SyslogConfigError) as direct:
        SyslogSink("udp://h?tls_verify=no")
    assert (direct.value.name, direct.value.value) == (caught.value.name, caught.value.value)
    with pytest.raises(SyslogConfigError) as caught:
        from_env({}, address="udp://h:0")
    assert caught.value.name == "address"


def test_a_query_value_overridden_by_a_variable_is_not_looked_at() -> None:
    # The variable wins, so the (bad) query value never matters: as with the constructor.
    sink = from_env({"SYSLOG_URL": "udp://h?facility=bogus", "SYSLOG_FACILITY": "local1"})
    assert sink.config.facility == 17


# -- precedence: overrides, then the variable, then the URL query, then the default -------------------


@pytest.mark.parametrize(
    ("query", "variable", "override", "expected", "source"),
    [
        (None, None, None, 1, "default"),
        ("local1", None, None, 17, "URL query"),
        ("local1", "local2", None, 18, "SYSLOG_FACILITY"),
        (None, "local2", None, 18, "SYSLOG_FACILITY"),
        ("local1", "local2", "local3", 19, "argument"),
        ("local1", None, "local3", 19, "argument"),
        (None, None, "local3", 19, "argument"),
    ],
)
def test_precedence(query: str | None, variable: str | None, override: str | None, expected: int, source: str) -> None:
    env = {"SYSLOG_URL": "udp://127.0.0.1:9" + (f"?facility={query}" if query else "")}
    if variable:
        env["SYSLOG_FACILITY"] = variable
    sink = from_env(env, **({"facility": override} if override else {}))
    assert sink.config.facility == expected
    assert sink.config.sources["facility"] == source


def test_precedence_on_the_wire(fresh_logger: Any, udp_receiver: UdpReceiver) -> None:
    env = {
        "SYSLOG_URL": f"{udp_receiver.url}?facility=local1&app_name=from-url&hostname=url-host&msgid=URL",
        "SYSLOG_APP_NAME": "from-variable",
        "SYSLOG_HOSTNAME": "variable-host",
    }
    fresh_logger.add(from_env(env, hostname="override-host"), format="{message}", catch=False)
    fresh_logger.info("x")
    message = parse(udp_receiver.receive()[0])
    assert message.pri == 17 * 8 + 6
    assert (message.app_name, message.hostname, message.msgid) == ("from-variable", "override-host", "URL")


def test_an_address_override_replaces_the_url_and_its_query() -> None:
    sink = from_env({"SYSLOG_URL": "tcp://elsewhere?facility=local1&app_name=x"}, address="udp://127.0.0.1:9")
    assert isinstance(sink.transport, UDPTransport)
    assert sink.config.sources["address"] == "argument"
    assert sink.config.facility == 1 and sink.config.sources["facility"] == "default"


def test_an_override_of_none_is_not_given() -> None:
    sink = from_env({"SYSLOG_URL": "udp://127.0.0.1:9", "SYSLOG_FACILITY": "local2"}, facility=None, address=None)
    assert sink.config.facility == 18 and sink.config.sources["facility"] == "SYSLOG_FACILITY"
    assert sink.config.sources["address"] == "SYSLOG_URL"


def test_an_override_takes_python_values_and_names_itself_in_errors() -> None:
    sink = from_env({"SYSLOG_URL": "udp://127.0.0.1:9"}, severities={"AUDIT": "alert", 15: 0}, background=False)
    assert sink.severity_for("AUDIT", 45) == 1 and sink.severity_for("Level 15", 15) == 0
    with pytest.raises(SyslogConfigError, match=r"^facility='bogus' is invalid"):
        from_env({"SYSLOG_URL": "udp://127.0.0.1:9", "SYSLOG_FACILITY": "local0"}, facility="bogus")


def test_a_tls_context_override(tls_certs: Any) -> None:
    import ssl

    context = ssl.create_default_context(cafile=str(tls_certs.ca_file))
    sink = from_env({"SYSLOG_URL": "tls://localhost"}, tls_context=context)
    assert sink.transport.context is context  # type: ignore[attr-defined]


def test_an_unknown_override_is_a_type_error_with_a_suggestion() -> None:
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'facilty'; did you mean facility\?"):
        from_env({"SYSLOG_URL": "udp://h"}, facilty="local0")


# -- empty, unset, os.environ, prefix -------------------------------------------------------------------


def test_an_empty_variable_is_unset() -> None:
    env = {name: "" for name in variable_names() if name != "SYSLOG_URL"}
    env["SYSLOG_URL"] = "udp://127.0.0.1:9"
    sink = from_env(env)
    assert all(source == "default" for key, source in sink.config.sources.items() if key != "address")
    assert sink.config.facility == 1 and sink.config.replacement == " "
    assert sink.config.explicit == frozenset()


def test_no_url_means_the_local_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "log"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(str(path))
    try:
        monkeypatch.setattr(_address, "LOCAL_SOCKET_PATHS", ("/nonexistent/log", str(path)))
        for env in ({}, {"SYSLOG_URL": ""}):
            sink = from_env(dict(env, SYSLOG_FACILITY="daemon"))
            assert sink.address == f"unix://{path}"
            assert sink.config.sources["address"] == "default"
            assert sink.header == "local"
    finally:
        server.close()


@pytest.mark.parametrize("prefix", ["SYSLOG_", "MYAPP_LOG_"])
def test_no_local_socket_names_the_url_variable(prefix: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_address, "LOCAL_SOCKET_PATHS", ("/nonexistent/log",))
    with pytest.raises(SyslogConfigError) as caught:
        from_env({}) if prefix == "SYSLOG_" else SyslogSink.from_env(prefix, {})
    assert "tried /nonexistent/log" in caught.value.accepted
    assert f"set {prefix}URL" in caught.value.accepted


def test_environ_defaults_to_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("SYSLOG_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("SYSLOG_URL", "udp://127.0.0.1:9?app_name=env")
    monkeypatch.setenv("SYSLOG_FACILITY", "local6")
    sink = SyslogSink.from_env()
    assert sink.config.facility == 22 and sink.config.app_name == "env"


def test_a_custom_prefix_reads_only_its_variables() -> None:
    env = {
        "BILLING_LOG_URL": "udp://127.0.0.1:9",
        "BILLING_LOG_FACILITY": "local2",
        "SYSLOG_FACILITY": "local5",  # another prefix: not ours, not warned about
        "SYSLOG_URL": "tcp://other",
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sink = SyslogSink.from_env("BILLING_LOG_", env)
    assert isinstance(sink.transport, UDPTransport)
    assert sink.config.facility == 18 and sink.config.sources["facility"] == "BILLING_LOG_FACILITY"
    with pytest.raises(SyslogConfigError, match=r"^BILLING_LOG_TIMEOUT='soon' is invalid"):
        SyslogSink.from_env("BILLING_LOG_", dict(env, BILLING_LOG_TIMEOUT="soon"))


@pytest.mark.parametrize("prefix", ["", None, 5])
def test_the_prefix_must_be_a_non_empty_string(prefix: Any) -> None:
    with pytest.raises(SyslogConfigError) as caught:
        SyslogSink.from_env(prefix, {})
    assert caught.value.name == "prefix"


def test_a_subclass_gets_its_own_class() -> None:
    class MySink(SyslogSink):
        pass

    sink = MySink.from_env(environ={"SYSLOG_URL": "udp://127.0.0.1:9"})
    assert type(sink) is MySink


# -- unknown variables: a warning naming the closest known one -----------------------------------------


@pytest.mark.parametrize(
    ("variable", "hint"),
    [
        ("SYSLOG_FACILTY", "did you mean SYSLOG_FACILITY?"),
        ("SYSLOG_URI", "did you mean SYSLOG_URL?"),
        ("SYSLOG_APPNAME", "did you mean SYSLOG_APP_NAME?"),
        ("SYSLOG_facility", "did you mean SYSLOG_FACILITY?"),
        ("SYSLOG_TLS_VERIFY_PEER", "did you mean SYSLOG_TLS_VERIFY?"),
        ("SYSLOG_MAX_SIZE", "did you mean SYSLOG_MAX_MESSAGE_SIZE?"),
        ("SYSLOG_QWERTYUIOP", "known variables: SYSLOG_URL, SYSLOG_FACILITY,"),
        ("SYSLOG_TLS_CONTEXT", "tls_context cannot come from the environment"),
    ],
)
def test_unknown_variable_warns_with_the_closest_known_one(variable: str, hint: str) -> None:
    env = {"SYSLOG_URL": "udp://127.0.0.1:9", variable: "local0"}
    with pytest.warns(UserWarning) as caught:
        sink = SyslogSink.from_env(environ=env)
    # Ours only: a ResourceWarning of an earlier test's garbage may land in the block too.
    caught = [w for w in caught if issubclass(w.category, SyslogConfigWarning)]  # type: ignore[assignment]
    assert len(caught) == 1
    message = str(caught[0].message)
    assert message.startswith(f"{variable} ")
    assert hint in message
    assert caught[0].filename == __file__  # points at the caller's from_env() line
    assert sink.config.facility == 1  # and the value is ignored


def test_known_and_foreign_variables_do_not_warn(tls_certs: Any) -> None:
    env = {name: text for name, (text, _) in ((f"SYSLOG_{n.upper()}", v) for n, v in samples(tls_certs).items())}
    env.update({"SYSLOG_URL": "tls://localhost", "PATH": "/bin", "SYSLOGD_OPTS": "-n", "MY_SYSLOG_X": "1"})
    env["SYSLOG_FRAMING"] = "octet-counting"
    del env["SYSLOG_RELP_WINDOW"]  # RELP only: an error (not a warning) for tls://, tested apart
    del env["SYSLOG_FAILBACK"]  # several addresses only: likewise
    del env["SYSLOG_SEQUENCE_ID"], env["SYSLOG_ORIGIN"]  # rfc5424 only, and the header sample is rfc3164
    # No warning but the one tls_verify=off (a sample) must give: from_env() checks both.
    assert from_env(env).config.tls_verify is False


# -- the docs page lists every variable, query parameter and flag, with the right defaults -----------


def docs_table() -> dict[str, dict[str, str]]:
    """The "Every option" table of docs/configuration.md: argument -> {column: cell}."""
    lines = DOCS.read_text(encoding="utf-8").splitlines()
    header = "| argument | variable | query parameter | flag | default | accepted values |"
    start = lines.index(header)
    rows: dict[str, dict[str, str]] = {}
    columns = [c.strip() for c in header.strip("|").split("|")]
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        assert len(cells) == len(columns), line
        row = dict(zip(columns, cells))
        argument = code_spans(row["argument"])
        assert len(argument) == 1, line
        assert argument[0] not in rows, f"{argument[0]} listed twice"
        rows[argument[0]] = row
    return rows


def code_spans(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


def test_docs_list_every_option_and_nothing_else() -> None:
    assert set(docs_table()) == {"address", *OPTIONS}


def test_docs_variables_query_parameters_and_flags_match_the_code() -> None:
    table = docs_table()
    variables = variable_names()
    flags = option_flags()
    parser = build_parser()
    for argument, row in table.items():
        textual = argument == "address" or OPTIONS[argument].textual
        if not textual:
            assert row["variable"] == row["query parameter"] == row["flag"] == "—", argument
            continue
        assert code_spans(row["variable"]) == [next(v for v, n in variables.items() if n == argument)]
        if argument == "address":
            assert row["query parameter"] == "—"
            assert code_spans(row["flag"]) == ["--url"]
            continue
        assert code_spans(row["query parameter"]) == [argument]
        documented_flags = code_spans(row["flag"])
        assert documented_flags[0] == flags[argument], argument
        boolean = OPTIONS[argument].parse is parse_bool
        for documented in documented_flags:  # --background and --no-background both work
            parsed = parser.parse_args(["check", documented, *([] if boolean else ["x"])])
            expected = (not documented.startswith("--no-")) if boolean else "x"
            assert getattr(parsed, argument) == expected, documented
    assert set(variables) == {code_spans(r["variable"])[0] for r in table.values() if r["variable"] != "—"}


def test_docs_defaults_match_the_code() -> None:
    for argument, row in docs_table().items():
        assert row["accepted values"], argument
        if argument == "address":
            continue
        option = OPTIONS[argument]
        spans = code_spans(row["default"])
        if option.default is None:
            # Decided later (by transport, host name, program name): described in words.
            assert not row["default"].startswith("`"), f"{argument}: documented as a literal but has no default"
            continue
        assert row["default"] == f"`{spans[0]}`", f"{argument}: the default cell should be one literal"
        expected = option.parse(option.default, argument)
        assert parse_literal(option.parse, spans[0], argument) == expected, argument


def parse_literal(parse: Callable[[object, str], Any], text: str, name: str) -> Any:
    """What the docs' default parses to: as it would from a variable, or quoted as in Python (`" "`)."""
    if text[:1] in "\"'":
        return parse(ast.literal_eval(text), name)
    return parse(text, name)


def test_docs_transport_defaults_match_the_code() -> None:
    text = DOCS.read_text(encoding="utf-8")
    section = text[text.index("### Defaults that depend on the transport") :]
    rows = {}
    for line in section.splitlines()[4:]:
        if not line.startswith("|"):
            break
        transport, facility, header, size, framing = (c.strip() for c in line.strip().strip("|").split(" | "))
        rows[transport] = (parse_facility(facility.strip("`")), header.strip("`"), int(size), framing)
    cases = {
        "UDP": "udp://h",
        "TCP": "tcp://h",
        "TLS": "tls://h",
        "Unix socket": "unixstream:///dev/log",
        "stdout, stderr": "stdout",
    }
    assert set(rows) == set(cases)
    for transport, url in cases.items():
        sink = SyslogSink(url)
        facility, header, size, framing = rows[transport]
        assert (sink.config.facility, sink.header, sink.max_message_size) == (facility, header, size), transport
        assert (sink.config.header, sink.config.max_message_size) == (header, size), transport
        framing_used = getattr(sink.transport, "framing", None)
        assert (framing_used is None) == (framing == "—"), transport
        if framing_used:
            assert f"`{framing_used}`" in framing, transport


def test_docs_severity_table_matches_the_code() -> None:
    text = DOCS.read_text(encoding="utf-8")
    levels = re.search(r"\| loguru level \|(.*)\|\n.*\n\s*\| syslog severity \|(.*)\|", text)
    assert levels is not None
    names = [c.strip() for c in levels.group(1).split("|")]
    severities = [c.strip() for c in levels.group(2).split("|")]
    table = SeverityTable()
    from loguru_syslog._severity import BUILTIN_LEVELS, SEVERITIES

    assert names == [name for name, _, _ in BUILTIN_LEVELS]
    for (name, no, _), severity in zip(BUILTIN_LEVELS, severities):
        assert table.severity_for(name, no) == SEVERITIES[severity]


# -- the example runs from the environment alone --------------------------------------------------------


def test_the_twelve_factor_example_is_configured_by_the_environment_only(rsyslog_factory: Any) -> None:
    rsyslog = rsyslog_factory()
    rsyslog.add_input("udp", "udp")
    rsyslog.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYSLOG_")}
    env.update(
        SYSLOG_URL=f"{rsyslog.url('udp')}?facility=local0",
        SYSLOG_APP_NAME="worker",
        SYSLOG_SEVERITIES="AUDIT=notice",
    )
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "twelve_factor_app.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == done.stderr == ""
    got = rsyslog.wait_for(9)  # started, 3 x (debug, done), failed, audit
    assert all(m["facility"] == 16 and m["app_name"] == "worker" for m in got)
    assert got[0]["msg"] == "worker started, 4 jobs queued"
    assert got[-1]["msg"] == "worker processed 4 jobs" and got[-1]["severity"] == 5  # AUDIT=notice
    failed = next(m for m in got if m["msg"].startswith("job 4 failed"))
    assert failed["severity"] == 3 and failed["sd"] == {"loguru@32473": {"job_id": "4", "kind": "resize"}}


def test_the_example_stops_at_start_up_on_a_bad_variable() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYSLOG_")}
    env.update(SYSLOG_URL="stdout", SYSLOG_FACILITY="locl0")
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "twelve_factor_app.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith("logging configuration: SYSLOG_FACILITY='locl0' is invalid: ")
