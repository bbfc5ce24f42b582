"""Golden wire strings: what each header puts on the wire for a fixed record."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from conftest import FIXED_PID, make_message
from loguru_syslog import MemoryTransport, SyslogConfigError, SyslogSink


def sink_and_wire(**kwargs: Any) -> tuple[SyslogSink, list[bytes]]:
    transport = MemoryTransport()
    kwargs.setdefault("hostname", "host.example.com")
    kwargs.setdefault("app_name", "billing")
    sink = SyslogSink(transport, **kwargs)
    return sink, transport.messages


GOLDEN = {
    "rfc5424": b"<134>1 2026-11-21T06:49:13.004200+01:00 host.example.com billing 4242 - - hello",
    "rfc3164": b"<134>Nov 21 06:49:13 host billing[4242]: hello",
    "local": b"<134>Nov 21 06:49:13 billing[4242]: hello",
    "pri": b"<134>hello",
}


@pytest.mark.parametrize("header", sorted(GOLDEN))
def test_each_header_has_its_exact_shape(header: str) -> None:
    sink, wire = sink_and_wire(facility="local0", header=header)
    sink.write(make_message("hello"))
    assert wire == [GOLDEN[header]]


@pytest.mark.parametrize("header", sorted(GOLDEN))
def test_the_transport_keyword_is_the_same_sink(header: str) -> None:
    # SyslogSink(transport=...) as SyslogSink(<a Transport as address>), and a transport's own
    # default header (an instance attribute) is the sink's unless one is given.
    transport = MemoryTransport(default_header=header)
    sink = SyslogSink(transport=transport, facility="local0", hostname="host.example.com", app_name="billing")
    assert sink.transport is transport and sink.header == header and "header" not in sink.config.explicit
    sink.write(make_message("hello"))
    assert transport.messages == [GOLDEN[header]]
    with pytest.raises(SyslogConfigError, match="either an address or a transport"):
        SyslogSink("udp://127.0.0.1:9", transport=MemoryTransport())


def test_rfc5424_utc_offset_is_z_and_microseconds_always_six_digits() -> None:
    sink, wire = sink_and_wire()
    utc = datetime(2026, 1, 2, 3, 4, 5, 0, tzinfo=timezone.utc)
    sink.write(make_message("x", time=utc))
    sink.write(
        make_message("x", time=datetime(2026, 1, 2, 3, 4, 5, 7, tzinfo=timezone(timedelta(hours=-5, minutes=-30))))
    )
    assert wire[0].startswith(b"<14>1 2026-01-02T03:04:05.000000Z ")
    assert wire[1].startswith(b"<14>1 2026-01-02T03:04:05.000007-05:30 ")


def test_same_second_with_another_offset_is_not_served_from_the_cache() -> None:
    sink, wire = sink_and_wire()
    instant = datetime(2026, 3, 29, 1, 0, 0, 1, tzinfo=timezone.utc)
    sink.write(make_message("a", time=instant))
    sink.write(make_message("b", time=instant.astimezone(timezone(timedelta(hours=2)))))
    assert b" 2026-03-29T01:00:00.000001Z " in wire[0]
    assert b" 2026-03-29T03:00:00.000001+02:00 " in wire[1]


def test_rfc3164_day_is_space_padded_and_month_english() -> None:
    sink, wire = sink_and_wire(header="rfc3164")
    sink.write(make_message("x", time=datetime(2026, 3, 1, 9, 5, 7, tzinfo=timezone.utc)))
    assert wire == [b"<14>Mar  1 09:05:07 host billing[4242]: x"]


LEVELS = [
    ("TRACE", 5, 7),
    ("DEBUG", 10, 7),
    ("INFO", 20, 6),
    ("SUCCESS", 25, 5),
    ("WARNING", 30, 4),
    ("ERROR", 40, 3),
    ("CRITICAL", 50, 2),
    ("AUDIT", 45, 3),  # custom: highest built-in <= 45 is ERROR
    ("NOTICE_ME", 27, 5),  # custom between SUCCESS and WARNING
    ("Level 15", 15, 7),  # logger.log(15, ...)
    ("Level 3", 3, 7),  # below TRACE: debug
    ("Level 60", 60, 2),  # above CRITICAL: crit
]


@pytest.mark.parametrize(("name", "no", "severity"), LEVELS)
def test_every_level_maps_to_its_severity_never_a_silent_warning(name: str, no: int, severity: int) -> None:
    sink, wire = sink_and_wire(facility="user", header="pri")
    sink.write(make_message("m", level=name, no=no))
    assert wire == [b"<%d>m" % (8 + severity)]
    assert sink.severity_for(name, no) == severity


def test_severity_overrides_by_name_win_over_numbers() -> None:
    sink, _ = sink_and_wire(severities={"AUDIT": "alert", 45: "emerg", "TRACE": 6, 30: "err"})
    assert sink.severity_for("AUDIT", 45) == 1
    assert sink.severity_for("OTHER45", 45) == 0
    assert sink.severity_for("TRACE", 5) == 6
    assert sink.severity_for("WARNING", 30) == 3
    assert sink.severity_for("Level 35", 35) == 3  # falls back to WARNING, as configured


def test_severity_table_from_text() -> None:
    sink, _ = sink_and_wire(severities="TRACE=info, SUCCESS=warning,45=alert")
    assert (sink.severity_for("TRACE", 5), sink.severity_for("SUCCESS", 25), sink.severity_for("X", 45)) == (6, 4, 1)


@pytest.mark.parametrize(
    ("facility", "code"),
    [
        ("kern", 0),
        ("user", 1),
        ("mail", 2),
        ("daemon", 3),
        ("auth", 4),
        ("syslog", 5),
        ("lpr", 6),
        ("news", 7),
        ("uucp", 8),
        ("cron", 9),
        ("authpriv", 10),
        ("ftp", 11),
        ("ntp", 12),
        ("security", 13),
        ("console", 14),
        ("solaris-cron", 15),
        ("local0", 16),
        ("local7", 23),
        ("LOCAL3", 19),
        (0, 0),
        (23, 23),
        ("17", 17),
    ],
)
def test_facility_names_and_numbers(facility: Any, code: int) -> None:
    sink, wire = sink_and_wire(facility=facility, header="pri")
    sink.write(make_message("m", level="CRITICAL", no=50))
    assert wire == [b"<%d>m" % (code * 8 + 2)]


def test_pri_extremes_have_no_leading_zeros() -> None:
    sink, wire = sink_and_wire(facility="kern", header="pri", severities={"INFO": "emerg"})
    sink.write(make_message("m"))
    sink2, wire2 = sink_and_wire(facility="local7", header="pri")
    sink2.write(make_message("m", level="DEBUG", no=10))
    assert wire == [b"<0>m"]
    assert wire2 == [b"<191>m"]


def test_msgid_argument_and_bound_msgid_wins() -> None:
    sink, wire = sink_and_wire(msgid="TXN")
    sink.write(make_message("a"))
    sink.write(make_message("b", extra={"msgid": "LOGIN FAIL"}))
    assert b" 4242 TXN - a" in wire[0]
    assert b" 4242 LOGIN_FAIL - b" in wire[1]  # printable ASCII only, not repeated in SD


def test_structured_data_from_extras_escaped_and_sanitised() -> None:
    sink, wire = sink_and_wire()
    sink.write(make_message("m", extra={"user": 'a"b]c\\d', "a key=x": 1, "k" * 40: None, "ünï": "çà"}))
    expected_sd = b'[loguru@32473 user="a\\"b\\]c\\\\d" a_key_x="1" ' + b"k" * 32 + b'="None" _n_="\xc3\xa7\xc3\xa0"]'
    assert wire == [b"<14>1 2026-11-21T06:49:13.004200+01:00 host.example.com billing 4242 - " + expected_sd + b" m"]


def test_structured_data_off_selected_keys_and_custom_sd_id() -> None:
    off, wire_off = sink_and_wire(structured_data=False)
    some, wire_some = sink_and_wire(structured_data=["request_id"], sd_id="app@12345")
    for sink in (off, some):
        sink.write(make_message("m", extra={"request_id": "r1", "secret": "s"}))
    assert b" - - m" in wire_off[0]
    assert b' - [app@12345 request_id="r1"] m' in wire_some[0]


def test_structured_data_only_in_rfc5424() -> None:
    sink, wire = sink_and_wire(header="rfc3164")
    sink.write(make_message("m", extra={"user": "u"}))
    assert wire == [b"<14>Nov 21 06:49:13 host billing[4242]: m"]


@pytest.mark.parametrize("sd_id", ["nope", "a b@1", "x@y", "too]@1", "", "a" * 30 + "@123"])
def test_sd_id_must_be_registered_or_carry_an_enterprise_number(sd_id: str) -> None:
    with pytest.raises(SyslogConfigError, match="sd_id"):
        sink_and_wire(sd_id=sd_id)


def test_header_fields_are_printable_ascii_and_cut() -> None:
    sink, wire = sink_and_wire(hostname="h\u00f6st name", app_name="a" * 60 + "\n")
    sink.write(make_message("m"))
    assert wire[0].startswith(b"<14>1 2026-11-21T06:49:13.004200+01:00 h_st_name " + b"a" * 48 + b" 4242 ")


def test_empty_header_fields_are_nilvalue() -> None:
    sink, wire = sink_and_wire(hostname="", app_name="")
    sink.write(make_message("m"))
    assert wire == [b"<14>1 2026-11-21T06:49:13.004200+01:00 - - 4242 - - m"]


def test_rfc3164_tag_is_cut_to_32_and_cannot_break_the_tag_syntax() -> None:
    sink, wire = sink_and_wire(header="local", app_name="my app:[x]" + "t" * 40)
    sink.write(make_message("m"))
    assert wire == [b"<14>Nov 21 06:49:13 my_app__x_" + b"t" * 22 + b"[4242]: m"]


def test_bom_is_off_by_default_and_optional() -> None:
    plain, wire_plain = sink_and_wire()
    bom, wire_bom = sink_and_wire(bom=True)
    plain.write(make_message("m"))
    bom.write(make_message("m"))
    assert wire_plain[0].endswith(b" - - m")
    assert wire_bom[0].endswith(b" - - \xef\xbb\xbfm")


def test_message_is_one_line_control_characters_replaced_and_counted() -> None:
    sink, wire = sink_and_wire(header="pri")
    sink.write(make_message("line1\nline2\r\x00\x1b[31mred\x7f\u2028end"))
    assert wire == [b"<14>line1 line2   [31mred  end"]
    assert sink.stats.sanitized == 1


def test_replacement_is_configurable_and_newlines_can_be_kept_on_datagrams() -> None:
    sink, wire = sink_and_wire(header="pri", replacement="#")
    sink.write(make_message("a\nb\tc"))
    kept, wire_kept = sink_and_wire(header="pri", keep_newlines=True)
    kept.write(make_message("a\nb\tc\x00d"))
    assert wire == [b"<14>a#b#c"]
    assert wire_kept == [b"<14>a\nb\tc d"]


def test_trailing_newlines_of_the_formatted_message_are_not_sent() -> None:
    sink, wire = sink_and_wire(header="pri")
    sink.write(make_message("traceback\n", newline=True))
    assert wire == [b"<14>traceback"]


def test_truncation_cuts_at_the_end_in_octets_without_splitting_utf8() -> None:
    sink, wire = sink_and_wire(header="pri", max_message_size=480)
    sink.write(make_message("é" * 400))  # 800 octets of body
    assert len(wire[0]) <= 480
    assert wire[0].startswith(b"<14>")
    wire[0].decode("utf-8")  # no split sequence
    assert wire[0] == b"<14>" + "é".encode() * 238  # 4 + 476 octets: exactly the limit
    assert sink.stats.truncated == 1


def test_default_size_limits_follow_the_transport() -> None:
    assert SyslogSink("udp://127.0.0.1:9").max_message_size == 2048
    assert SyslogSink("tcp://127.0.0.1:9").max_message_size == 8192
    # 49151 (issue 11): with its newline a line is 49152 octets, journald's LineMax default.
    assert SyslogSink("stdout").max_message_size == 49151
    assert SyslogSink("stdout").config.max_message_size == 49151


def test_rfc3164_defaults_to_1024_octets_unless_set_explicitly() -> None:
    # RFC 3164 section 4.1: a packet is at most 1024 octets; an explicit size wins.
    assert SyslogSink("tcp://127.0.0.1:9", header="rfc3164").max_message_size == 1024
    assert SyslogSink("udp://127.0.0.1:9", header="rfc3164").max_message_size == 1024
    assert SyslogSink("tcp://127.0.0.1:9?header=rfc3164").max_message_size == 1024
    explicit = SyslogSink("tcp://127.0.0.1:9", header="rfc3164", max_message_size=4096)
    assert explicit.max_message_size == 4096 and "max_message_size" in explicit.config.explicit
    assert "max_message_size" not in SyslogSink("tcp://127.0.0.1:9", header="rfc3164").config.explicit
    # A transport whose own default is smaller keeps it.
    small = SyslogSink(MemoryTransport(default_max_message_size=600), header="rfc3164")
    assert small.max_message_size == 600


def test_udp_size_is_capped_at_what_a_datagram_can_carry() -> None:
    assert SyslogSink("udp://127.0.0.1:9", max_message_size=200000).max_message_size == 65507
    assert SyslogSink("udp://127.0.0.1:9", max_message_size=65507).max_message_size == 65507
    assert SyslogSink("udp://127.0.0.1:9", max_message_size=9000).max_message_size == 9000
    # Any transport's size_limit, a MemoryTransport's too: the formatter never makes a longer message.
    uncapped, _ = sink_and_wire(header="pri", max_message_size=100000)
    transport = MemoryTransport(size_limit=1000)
    capped = SyslogSink(transport, header="pri", max_message_size=100000)
    assert (uncapped.max_message_size, capped.max_message_size) == (100000, 1000)
    capped.write(make_message("x" * 5000))
    assert len(transport.messages[0]) == 1000
    assert capped.stats.truncated == 1


def test_default_headers_follow_the_transport(tmp_path: Any) -> None:
    assert SyslogSink("udp://127.0.0.1:9").header == "rfc5424"
    assert SyslogSink("tcp://127.0.0.1:9").header == "rfc5424"
    assert SyslogSink(f"unix://{tmp_path}/log").header == "local"
    assert SyslogSink("stderr").header == "pri"


def test_default_app_name_and_hostname(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket
    import sys

    monkeypatch.setattr(sys, "argv", ["/srv/app/worker.py"])
    monkeypatch.setattr(socket, "gethostname", lambda: "web1.example.com")
    transport = MemoryTransport()
    SyslogSink(transport).write(make_message("m"))
    SyslogSink(transport, header="rfc3164").write(make_message("m"))
    assert b" web1.example.com worker 4242 " in transport.messages[0]
    assert b" web1 worker[4242]: " in transport.messages[1]
    monkeypatch.setattr(sys, "argv", ["-c"])
    SyslogSink(transport).write(make_message("m"))
    assert b" python 4242 " in transport.messages[2]


def test_direct_call_without_a_record_still_goes_out() -> None:
    sink, wire = sink_and_wire(header="pri")
    sink("plain text\n")
    assert wire == [b"<14>plain text"]
    # Not a loguru message: the fallback format, counted among the errors (issue 11), still sent.
    assert (sink.stats.errors, sink.stats.sent) == (1, 1)


def test_procid_is_the_records_process() -> None:
    sink, wire = sink_and_wire()
    sink.write(make_message("m", pid=77))
    assert b" billing 77 - - m" in wire[0]
    assert FIXED_PID != 77


def test_stdout_defaults_to_the_bare_severity_journald_parses(capfd: pytest.CaptureFixture[str]) -> None:
    SyslogSink("stdout").write(make_message("m", level="WARNING", no=30))
    SyslogSink("stdout", facility="local0").write(make_message("m", level="WARNING", no=30))
    assert capfd.readouterr().out == "<4>m\n<132>m\n"


def test_severity_names_of_builtin_levels_are_case_insensitive_in_the_table() -> None:
    sink, _ = sink_and_wire(severities="trace=info,Audit=alert")
    assert sink.severity_for("TRACE", 5) == 6
    assert sink.severity_for("Audit", 45) == 1  # custom names keep their case
    assert sink.severity_for("AUDIT", 45) == 3
    with pytest.raises(SyslogConfigError, match="level numbers are >= 0"):
        sink_and_wire(severities="-5=debug")


def test_a_misspelt_facility_or_severity_gets_a_suggestion() -> None:
    with pytest.raises(SyslogConfigError, match="did you mean local0"):
        sink_and_wire(facility="locl0")
    with pytest.raises(SyslogConfigError, match=r"severities\['INFO'\]='warnig' is invalid: did you mean warning"):
        sink_and_wire(severities={"INFO": "warnig"})
