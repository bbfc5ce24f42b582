"""The journal entry format on its own: field encoding, field names from extras."""

from __future__ import annotations

import struct

import pytest

from conftest import make_message
from loguru_syslog import MemoryTransport, SyslogConfigError, SyslogSink
from loguru_syslog._journal_format import field, field_name


def test_a_plain_value_is_key_equals_value() -> None:
    assert field(b"PRIORITY", "6") == b"PRIORITY=6\n"


def test_a_value_with_a_newline_is_length_prefixed_and_binary_safe() -> None:
    value = "two\nlines = x\x00"
    data = value.encode()
    assert field(b"MESSAGE", value) == b"MESSAGE\n" + struct.pack("<Q", len(data)) + data + b"\n"


def test_lone_surrogates_are_escaped_not_an_error() -> None:
    assert field(b"X", "a\udcff") == b"X=a\\udcff\n"


@pytest.mark.parametrize(
    ("key", "name"),
    [
        ("order_id", "ORDER_ID"),
        ("x-y.z", "X_Y_Z"),
        ("__secret", "SECRET"),
        ("9lives", "LIVES"),
        ("--", ""),
        ("é", ""),
        ("a" * 100, "A" * 64),
        ("message", "EXTRA_MESSAGE"),  # our own fields cannot be overwritten by an extra
        ("priority", "EXTRA_PRIORITY"),
    ],
)
def test_extra_names_become_journal_field_names(key: str, name: str) -> None:
    assert field_name(key) == name


def journal_sink(**options: object) -> tuple[SyslogSink, MemoryTransport]:
    transport = MemoryTransport(datagram=False)
    transport.payload = "journal"
    return SyslogSink(transport=transport, app_name="app", **options), transport  # type: ignore[arg-type]


def entry(data: bytes) -> dict[str, str]:
    """Parse a native-protocol entry (the plain and the length-prefixed forms)."""
    fields: dict[str, str] = {}
    while data:
        line, _, rest = data.partition(b"\n")
        if b"=" in line:
            key, _, value = line.partition(b"=")
            fields[key.decode()] = value.decode()
            data = rest
        else:
            (size,) = struct.unpack("<Q", rest[:8])
            fields[line.decode()] = rest[8 : 8 + size].decode()
            data = rest[8 + size + 1 :]
    return fields


def test_a_record_becomes_every_field_and_a_bad_name_is_counted() -> None:
    sink, transport = journal_sink()
    sink.write(make_message("multi\nline", level="SUCCESS", no=25, extra={"order_id": 42, "--": "x", "msgid": "M1"}))
    fields = entry(transport.messages[0])
    assert fields["MESSAGE"] == "multi\nline"
    assert (fields["PRIORITY"], fields["SYSLOG_FACILITY"], fields["SYSLOG_IDENTIFIER"]) == ("5", "1", "app")
    assert fields["SYSLOG_PID"] == "4242" and fields["ORDER_ID"] == "42" and fields["MSGID"] == "M1"
    assert "MESSAGE_ID" not in fields and sink.stats.sanitized == 1


def test_every_level_maps_through_the_severity_table() -> None:
    sink, transport = journal_sink(severities={"AUDIT": "alert"})
    levels = [("TRACE", 5), ("DEBUG", 10), ("INFO", 20), ("SUCCESS", 25), ("WARNING", 30), ("ERROR", 40)]
    levels += [("CRITICAL", 50), ("AUDIT", 45), ("Level 15", 15)]
    for name, no in levels:
        sink.write(make_message("x", level=name, no=no))
    assert [entry(m)["PRIORITY"] for m in transport.messages] == ["7", "7", "6", "5", "4", "3", "2", "1", "7"]


@pytest.mark.parametrize("option", ["header", "framing", "hostname", "max_message_size", "tls_verify"])
def test_options_that_mean_nothing_to_journald_are_errors(option: str) -> None:
    value = {"header": "rfc5424", "framing": "lf", "hostname": "h", "max_message_size": 4096, "tls_verify": False}
    with pytest.raises(SyslogConfigError) as caught:
        SyslogSink("journald:///run/x/socket", **{option: value[option]})  # type: ignore[arg-type]
    assert caught.value.name == option and "journald" in caught.value.accepted


def test_journald_urls() -> None:
    assert SyslogSink("journald://").address == "journald:///run/systemd/journal/socket"
    assert SyslogSink("journald:///tmp/j/socket").address == "journald:///tmp/j/socket"


# -- operator features (issue 15) -----------------------------------------------------------------


def test_syslog_facility_sets_that_entrys_syslog_facility() -> None:
    sink, transport = journal_sink(facility="local0")
    sink.write(make_message("a", extra={"syslog_facility": "auth"}))
    sink.write(make_message("b", extra={"syslog_facility": 23}))
    sink.write(make_message("c", extra={"syslog_facility": "nope"}))
    sink.write(make_message("d"))
    entries = [entry(m) for m in transport.messages]
    assert [e["SYSLOG_FACILITY"] for e in entries] == ["4", "23", "16", "16"]
    assert all(e["SYSLOG_IDENTIFIER"] == "app" for e in entries)
    assert sink.stats.sanitized == 1


def test_syslog_sd_params_become_sdid_param_fields() -> None:
    sink, transport = journal_sink()
    sd = {"origin": {"ip": "10.0.0.1"}, "x@32473": {"k-1": "v\nw"}, "meta": {"message": "m"}}
    sink.write(make_message("a", extra={"user": "ann", "syslog_sd": sd, "syslog_facility": "auth"}))
    fields = entry(transport.messages[0])
    assert fields["ORIGIN_IP"] == "10.0.0.1" and fields["X_32473_K_1"] == "v\nw" and fields["META_MESSAGE"] == "m"
    assert fields["USER"] == "ann" and fields["SYSLOG_FACILITY"] == "4"
    assert not any(name.startswith(("SYSLOG_SD", "SYSLOG_FACILITY_")) for name in fields)
    assert sink.stats.sanitized == 0


@pytest.mark.parametrize(
    ("sd", "counted"),
    [("not a mapping", 1), ({"bad id": {"a": 1}, "x@1": {"b": 2}}, 1), ({"x@1": "nope", "x@2": {"b": 2}}, 1)],
)
def test_syslog_sd_that_cannot_be_sent_is_left_out_and_counted(sd: object, counted: int) -> None:
    sink, transport = journal_sink()
    sink.write(make_message("a", extra={"syslog_sd": sd}))
    fields = entry(transport.messages[0])
    assert fields["MESSAGE"] == "a" and sink.stats.sanitized == counted
    assert "X_2_B" in fields or "X_1_B" in fields or sd == "not a mapping"


def test_with_structured_data_off_facility_and_syslog_sd_still_apply() -> None:
    sink, transport = journal_sink(structured_data=False)
    sink.write(make_message("a", extra={"user": "ann", "syslog_sd": {"x@1": {"k": "v"}}, "syslog_facility": 4}))
    fields = entry(transport.messages[0])
    assert fields["X_1_K"] == "v" and fields["SYSLOG_FACILITY"] == "4" and "USER" not in fields
