"""Operator features of the formatter: per-record facility (`syslog_facility`), several SD
elements (`syslog_sd`), `sequence_id=True` ([meta sequenceId]) and `origin=True`.

Golden wire strings (exact bytes) and property tests: whatever a record binds, the output
parses as RFC 5424, has one element per SD-ID, the values come back after unescaping,
the PRI is right, and nothing raises.
"""

from __future__ import annotations

import dataclasses
import os
import re
import threading
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import make_message
from loguru_syslog import MemoryTransport, SyslogSink, __version__
from loguru_syslog._core import make_formatter
from loguru_syslog._counters import Counters
from loguru_syslog._format import sd_span
from loguru_syslog._severity import FACILITIES
from loguru_syslog._structured import MAX_SEQUENCE_ID
from rfc5424 import parse
from test_format import sink_and_wire
from test_properties import SETTINGS, any_text, values

HEAD = b"1 2026-11-21T06:49:13.004200+01:00 host.example.com billing 4242 -"
ORIGIN = f'[origin software="loguru-syslog" swVersion="{__version__}"]'.encode()


def wire_of(*extras: dict[str, Any] | None, **options: Any) -> tuple[SyslogSink, list[bytes]]:
    sink, wire = sink_and_wire(**options)
    for extra in extras:
        sink.write(make_message("hello", extra=extra))
    return sink, wire


# -- golden: per-record facility ----------------------------------------------------------------


GOLDEN_FACILITY = {
    "rfc5424": b"<38>" + HEAD + b" - hello",
    "rfc3164": b"<38>Nov 21 06:49:13 host billing[4242]: hello",
    "local": b"<38>Nov 21 06:49:13 billing[4242]: hello",
    "pri": b"<38>hello",
}


@pytest.mark.parametrize("header", sorted(GOLDEN_FACILITY))
@pytest.mark.parametrize("value", ["auth", "AUTH", 4, "4"])
def test_syslog_facility_sets_the_pri_of_that_record_only(header: str, value: Any) -> None:
    sink, wire = wire_of({"syslog_facility": value}, None, header=header, facility="local0")
    assert wire[0] == GOLDEN_FACILITY[header]
    assert wire[1].startswith(b"<134>")  # the next record: the sink's own facility again
    assert sink.stats.sanitized == 0


@pytest.mark.parametrize("header", sorted(GOLDEN_FACILITY))
@pytest.mark.parametrize("value", ["nope", 24, -1, True, 4.0, None, [4], {"a": 1}, b"auth"])
def test_an_invalid_syslog_facility_is_counted_and_the_sinks_facility_used(header: str, value: Any) -> None:
    sink, wire = wire_of({"syslog_facility": value}, header=header, facility="local0")
    assert wire[0].startswith(b"<134>") and wire[0].endswith(b"hello")
    assert sink.stats.sanitized == 1


def test_syslog_facility_keeps_the_severity_of_the_level() -> None:
    sink, wire = sink_and_wire(facility="local0")
    sink.write(make_message("x", level="ERROR", no=40, extra={"syslog_facility": "authpriv"}))
    assert wire[0].startswith(b"<83>1 ")  # 10 * 8 + 3


def test_reserved_keys_never_become_sd_params() -> None:
    _, wire = wire_of({"syslog_facility": "auth", "syslog_sd": {}, "msgid": "M1", "k": "v"})
    assert wire == [
        b"<38>1 2026-11-21T06:49:13.004200+01:00 host.example.com billing 4242 M1 " + b'[loguru@32473 k="v"] hello'
    ]


# -- golden: syslog_sd --------------------------------------------------------------------------


def test_syslog_sd_gives_one_element_per_sd_id_after_the_extras_element() -> None:
    sd = {"origin": {"ip": "10.0.0.1"}, "x@32473": {"k": 'a"b\\c]d', "n": 7}}
    _, wire = wire_of({"user": "ann", "syslog_sd": sd})
    assert wire == [
        b"<14>" + HEAD + b' [loguru@32473 user="ann"][origin ip="10.0.0.1"][x@32473 k="a\\"b\\\\c\\]d" n="7"] hello'
    ]


def test_syslog_sd_alone_and_with_structured_data_off() -> None:
    sd = {"timeQuality": {"tzKnown": 1}}
    _, wire = wire_of({"syslog_sd": sd}, {"syslog_sd": sd, "k": "v"}, structured_data=False)
    assert wire == [b"<14>" + HEAD + b' [timeQuality tzKnown="1"] hello'] * 2


def test_syslog_sd_names_are_sanitised_and_values_made_one_line() -> None:
    _, wire = wire_of({"syslog_sd": {"x@1": {'a b=c]"d': "line1\nline2", "": "e"}}})
    assert wire == [b"<14>" + HEAD + b' [x@1 a_b_c__d="line1 line2" _="e"] hello']


@pytest.mark.parametrize(
    ("sd", "kept", "counted"),
    [
        ({"bad id": {"a": 1}, "x@1": {"b": 2}}, b'[x@1 b="2"]', 1),
        ({"unregistered": {"a": 1}}, b"-", 1),  # no "@": must be IANA-registered
        ({"x@": {"a": 1}, "x@1.a": {"a": 1}, "a" * 30 + "@123": {"a": 1}}, b"-", 3),
        ({7: {"a": 1}, ("t",): {"a": 1}}, b"-", 2),
        ({"x@1": "not a mapping", "x@2": ["a"], "x@3": {}}, b"[x@3]", 2),
        ("not a mapping", b"-", 1),
        (["x@1", {"a": 1}], b"-", 1),
        ({}, b"-", 0),
    ],
)
def test_what_cannot_be_sent_is_left_out_and_counted(sd: Any, kept: bytes, counted: int) -> None:
    sink, wire = wire_of({"syslog_sd": sd})
    assert wire == [b"<14>" + HEAD + b" " + kept + b" hello"]
    assert sink.stats.sanitized == counted


@pytest.mark.parametrize("header", ["rfc3164", "local", "pri"])
def test_syslog_sd_is_ignored_without_rfc5424_and_not_counted(header: str) -> None:
    sink, wire = wire_of({"syslog_sd": {"x@1": {"a": 1}}, "syslog_facility": "auth"}, header=header)
    assert wire == [GOLDEN_FACILITY[header]] and sink.stats.sanitized == 0


def test_a_user_element_with_the_sinks_sd_id_is_merged_own_params_first_and_winning() -> None:
    sd = {"loguru@32473": {"user": "mallory", "extra": "1"}, "x@1": {"a": "b"}}
    _, wire = wire_of({"user": "ann", "syslog_sd": sd})
    assert wire == [b"<14>" + HEAD + b' [loguru@32473 user="ann" extra="1"][x@1 a="b"] hello']


def test_merged_into_meta_and_origin() -> None:
    sd = {"origin": {"ip": "10.0.0.1", "software": "fake"}, "meta": {"sequenceId": "99", "sysUpTime": "5"}}
    _, wire = wire_of({"syslog_sd": sd}, sequence_id=True, origin=True)
    expected = b'[meta sequenceId="1" sysUpTime="5"]' + ORIGIN[:-1] + b' ip="10.0.0.1"] hello'
    assert wire == [b"<14>" + HEAD + b" " + expected]


# -- golden: sequence_id and origin -------------------------------------------------------------


def test_origin_names_the_software_and_its_version() -> None:
    _, wire = wire_of(None, {"k": "v"}, origin=True)
    assert wire == [
        b"<14>" + HEAD + b" " + ORIGIN + b" hello",
        b"<14>" + HEAD + b" " + ORIGIN + b'[loguru@32473 k="v"] hello',
    ]
    assert re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+.*", __version__)


def test_sequence_ids_count_from_one_and_come_first() -> None:
    extras = [None, {"k": "v"}, {"syslog_sd": {"x@1": {"a": "1"}}}, {"msgid": "M"}]
    _, wire = wire_of(*extras, sequence_id=True, origin=True, structured_data=["k"])
    assert wire == [
        b"<14>" + HEAD + b' [meta sequenceId="1"]' + ORIGIN + b" hello",
        b"<14>" + HEAD + b' [meta sequenceId="2"]' + ORIGIN + b'[loguru@32473 k="v"] hello',
        b"<14>" + HEAD + b' [meta sequenceId="3"]' + ORIGIN + b'[x@1 a="1"] hello',
        b"<14>1 2026-11-21T06:49:13.004200+01:00 host.example.com billing 4242 M"
        + b' [meta sequenceId="4"]'
        + ORIGIN
        + b" hello",
    ]


def test_sequence_ids_with_structured_data_off_and_the_bom() -> None:
    _, wire = wire_of(None, {"k": "v"}, sequence_id=True, structured_data=False, bom=True)
    assert wire == [
        b"<14>" + HEAD + b' [meta sequenceId="1"] \xef\xbb\xbfhello',
        b"<14>" + HEAD + b' [meta sequenceId="2"] \xef\xbb\xbfhello',
    ]


def test_without_the_options_nothing_changes() -> None:
    _, wire = wire_of(None, {"k": "v"})
    assert wire == [b"<14>" + HEAD + b" - hello", b"<14>" + HEAD + b' [loguru@32473 k="v"] hello']


def test_the_numbers_wrap_after_2147483647_to_1() -> None:
    sink, wire = sink_and_wire(sequence_id=True)
    formatter = sink._core.formatter
    # What the counter would give after 2**31 - 2 records (and after going round twice).
    formatter._numbers = iter([MAX_SEQUENCE_ID - 1, MAX_SEQUENCE_ID, MAX_SEQUENCE_ID + 1, 2 * MAX_SEQUENCE_ID + 6])  # type: ignore[attr-defined]
    for _ in range(4):
        sink.write(make_message("x"))
    numbers = [parse(m).sd["meta"] for m in wire]
    assert numbers == [[("sequenceId", str(n))] for n in (MAX_SEQUENCE_ID - 1, MAX_SEQUENCE_ID, 1, 6)]


def test_our_notices_carry_no_sequence_id_and_take_no_number() -> None:
    sink, wire = sink_and_wire(sequence_id=True, origin=True)
    sink.write(make_message("a"))
    notice = sink._core.formatter.format_text("loguru-syslog: 3 messages were dropped", 4)
    sink.write(make_message("b"))
    assert parse(notice).sd == {"origin": [("software", "loguru-syslog"), ("swVersion", __version__)]}
    assert [parse(m).sd["meta"] for m in wire] == [[("sequenceId", "1")], [("sequenceId", "2")]]


def test_a_record_that_cannot_be_formatted_goes_out_without_a_number() -> None:
    sink, wire = sink_and_wire(sequence_id=True)
    sink.write("not a loguru message")  # type: ignore[arg-type]
    sink.write(make_message("b"))
    assert b"sequenceId" not in wire[0] and parse(wire[1]).sd["meta"] == [("sequenceId", "1")]


def test_each_sink_counts_on_its_own() -> None:
    a, wire_a = sink_and_wire(sequence_id=True)
    b, wire_b = sink_and_wire(sequence_id=True)
    for sink in (a, b, a):
        sink.write(make_message("x"))
    assert [parse(m).sd["meta"][0][1] for m in wire_a + wire_b] == ["1", "2", "1"]


def test_threads_get_distinct_numbers_without_gaps() -> None:
    sink, wire = sink_and_wire(sequence_id=True)
    message = make_message("x")

    def log() -> None:
        for _ in range(2000):
            sink.write(message)

    threads = [threading.Thread(target=log) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    numbers = sorted(int(parse(m).sd["meta"][0][1]) for m in wire)
    assert numbers == list(range(1, 8001))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork() only")
def test_a_forked_child_counts_again_from_one() -> None:
    sink, wire = sink_and_wire(sequence_id=True)
    sink.write(make_message("parent 1"))
    sink.write(make_message("parent 2"))
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: two records, their SD back through the pipe
        try:
            sink.write(make_message("child 1"))
            sink.write(make_message("child 2"))
            os.write(write, b"|".join(m[sd_span(m)[0] : sd_span(m)[1]] for m in wire[-2:]))  # type: ignore[index]
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        child = pipe.read()
    os.waitpid(pid, 0)
    sink.write(make_message("parent 3"))
    assert child == b'[meta sequenceId="1"]|[meta sequenceId="2"]'
    assert parse(wire[-1]).sd["meta"] == [("sequenceId", "3")]


# -- truncation: meta and origin are kept before the rest -----------------------------------------


def test_a_cut_message_keeps_meta_and_origin_and_drops_the_rest_of_the_sd() -> None:
    sink, wire = sink_and_wire(sequence_id=True, origin=True, max_message_size=480)
    sink.write(make_message("m" * 100, extra={"big": "v" * 600, "syslog_sd": {"x@1": {"a": "b" * 100}}}))
    message = parse(wire[0])
    assert list(message.sd) == ["meta", "origin"] and message.sd["meta"] == [("sequenceId", "1")]
    assert len(wire[0]) <= 480 and message.msg.startswith(b"m") and sink.stats.truncated == 1


def test_a_cut_message_keeps_meta_alone_then_nothing_as_the_room_shrinks() -> None:
    sink, _ = sink_and_wire(sequence_id=True, origin=True)
    counters = Counters()
    # Smaller than any sink accepts: HEADER + meta + origin alone would not fit.
    message = make_message("m" * 100, extra={"big": "v" * 600})
    kept = {}
    for size in (160, 120, 80):
        formatter = make_formatter(dataclasses.replace(sink.config, max_message_size=size), counters)
        data = formatter.format(message, message.record)  # type: ignore[arg-type]
        assert len(data) <= size and parse(data).msg.startswith(b"m")
        kept[size] = list(parse(data).sd)
    assert kept == {160: ["meta", "origin"], 120: ["meta"], 80: []} and counters.truncated == 3


def test_recut_keeps_the_leading_meta_and_origin_elements_that_fit() -> None:
    sink, wire = sink_and_wire(sequence_id=True, origin=True)
    sink.write(make_message("m" * 50, extra={"big": "v" * 2000}))
    formatter = sink._core.formatter
    full = wire[0]
    cut = formatter.recut(full, 400)
    assert list(parse(cut).sd) == ["meta", "origin"] and len(cut) <= 400 and parse(cut).msg.startswith(b"m")
    span = sd_span(full)
    assert span is not None
    meta_end = full.index(b"]", span[0]) + 1
    tighter = formatter.recut(full, meta_end + 2)
    assert list(parse(tighter).sd) == ["meta"]
    assert parse(formatter.recut(full, meta_end - 1)).sd == {}


# -- properties ---------------------------------------------------------------------------------

sd_ids = st.one_of(
    st.sampled_from(["origin", "meta", "timeQuality", "x@32473", "loguru@32473", "a@1.2.3"]),
    st.from_regex(r"[a-zA-Z]{1,10}@[0-9]{1,6}", fullmatch=True),
    any_text,  # mostly invalid
    st.integers(),
)
params = st.one_of(st.dictionaries(st.one_of(any_text, st.integers()), values, max_size=4), values)
user_sd = st.one_of(st.dictionaries(sd_ids, params, max_size=5), values)
facilities = st.one_of(st.sampled_from(sorted(FACILITIES)), st.integers(-2, 30), any_text, st.none(), st.booleans())


def expected_facility(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value <= 23 else None
    if isinstance(value, str):
        text = value.strip().lower()
        if text in FACILITIES:
            return FACILITIES[text]
        if text.isascii() and text.isdigit() and int(text) <= 23:
            return int(text)
    return None


@SETTINGS
@given(
    sd=user_sd,
    facility=facilities,
    extra=st.dictionaries(st.text(min_size=1, max_size=10), values, max_size=3),
    sequence_id=st.booleans(),
    origin=st.booleans(),
    size=st.integers(min_value=480, max_value=4096),
    text=any_text,
)
def test_any_syslog_sd_and_facility_parse_as_rfc5424(
    sd: Any, facility: Any, extra: dict[str, Any], sequence_id: bool, origin: bool, size: int, text: str
) -> None:
    transport = MemoryTransport()
    sink = SyslogSink(transport, facility="local0", sequence_id=sequence_id, origin=origin, max_message_size=size)
    record_extra = {**extra, "syslog_sd": sd, "syslog_facility": facility}
    sink.write(make_message(text, extra=record_extra))
    assert len(transport.messages) == 1
    data = transport.messages[0]
    message = parse(data)  # one element per SD-ID: parse() refuses a repeated one
    wanted = expected_facility(facility)
    assert message.pri == (16 if wanted is None else wanted) * 8 + 6
    assert len(data) <= size
    assert "syslog_sd" not in str(message.sd) and "syslog_facility" not in str(message.sd)
    if sequence_id:
        assert message.sd["meta"][0] == ("sequenceId", "1")
    if origin:
        assert message.sd["origin"][:2] == [("software", "loguru-syslog"), ("swVersion", __version__)]
    if sink.stats.truncated == 0 and isinstance(sd, dict):
        for sd_id, element in sd.items():
            if isinstance(sd_id, str) and sd_id in message.sd and isinstance(element, dict) and element:
                got = message.sd[sd_id]
                for key, value in element.items():
                    name = re.sub(r'[^\x21-\x7e]|[=\]"]', "_", str(key))[:32] or "_"
                    shown = re.sub("[\x00-\x1f\x7f-\x9f\u2028\u2029]", " ", str(value))
                    shown = shown.encode("utf-8", "backslashreplace").decode()
                    if sd_id in ("meta", "origin") and name in ("sequenceId", "software", "swVersion"):
                        continue  # the sink's own params win
                    if sd_id == "loguru@32473" and name in {re.sub(r'[^\x21-\x7e]|[=\]"]', "_", k)[:32] for k in extra}:
                        continue  # the extras' params win
                    assert (name, shown) in got, (sd_id, name, shown, got)
