"""Property tests: whatever the text, extras and names, the output is valid, one line, within size."""

from __future__ import annotations

import string
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import make_message
from loguru_syslog import MemoryTransport, SyslogSink
from rfc5424 import parse

# Any text, lone surrogates included (what surrogateescape makes of undecodable bytes).
any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=300)
keys = st.text(min_size=1, max_size=40)
values = st.one_of(any_text, st.integers(), st.floats(allow_nan=True), st.none(), st.lists(st.integers(), max_size=3))
extras = st.dictionaries(keys, values, max_size=6)
names = st.text(max_size=80)
sizes = st.integers(min_value=480, max_value=4096)

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def one_message(message: Any, **kwargs: Any) -> bytes:
    transport = MemoryTransport()
    SyslogSink(transport, **kwargs).write(message)
    assert len(transport.messages) == 1, "the record must go out, exactly once"
    return transport.messages[0]


@SETTINGS
@given(text=any_text, extra=extras, app=names, host=names, size=sizes, msgid=st.one_of(st.none(), names))
def test_rfc5424_output_matches_the_grammar_is_one_line_and_fits(
    text: str, extra: dict[str, Any], app: str, host: str, size: int, msgid: str | None
) -> None:
    data = one_message(
        make_message(text, extra=extra), app_name=app, hostname=host, max_message_size=size, msgid=msgid or None
    )
    assert len(data) <= size
    assert b"\n" not in data and b"\r" not in data and b"\x00" not in data
    parsed = parse(data)
    data.decode("utf-8")  # valid UTF-8 throughout: sanitised, never split
    assert parsed.pri == 14
    assert len(parsed.app_name) <= 48 and len(parsed.hostname) <= 255 and len(parsed.msgid) <= 32


@SETTINGS
@given(text=any_text, extra=extras)
def test_extras_round_trip_through_sd_escaping(text: str, extra: dict[str, Any]) -> None:
    clean = {k: v for k, v in extra.items() if k != "msgid"}
    data = one_message(make_message("m", extra=clean), max_message_size=65536, replacement=" ")
    parsed = parse(data)
    if not clean:
        assert parsed.sd == {}
        return
    params = parsed.sd["loguru@32473"]
    for value in clean.values():
        shown = str(value)
        # What a receiver decodes is the value itself, unless it held control
        # characters (replaced) or lone surrogates (escaped): then it is sanitised.
        if shown.isprintable() and shown.encode("utf-8", "surrogatepass").decode("utf-8", "ignore") == shown:
            assert shown in [value for _, value in params]
    assert len(params) == len(clean)
    assert all(1 <= len(name) <= 32 for name, _ in params)


@SETTINGS
@given(text=any_text, header=st.sampled_from(["rfc3164", "local", "pri"]), app=names, size=sizes)
def test_other_headers_are_one_line_and_fit(text: str, header: str, app: str, size: int) -> None:
    data = one_message(make_message(text), header=header, app_name=app, hostname="h", max_message_size=size)
    assert len(data) <= size
    assert data.startswith(b"<14>")
    assert not set(data) & set(range(0x20)) - {0x20}
    data.decode("utf-8")
    if header != "pri":
        tag = data.split(b" ", 4 if header == "rfc3164" else 3)[-1].split(b"[", 1)[0]
        assert tag and len(tag) <= 32 and not set(tag.decode()) & set(string.whitespace + ":[]")
