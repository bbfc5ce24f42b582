"""Truncation is the formatter's: a message never leaves with a broken SD element (issue 10).

The reproduction of issue 10 (UDP, max_message_size=200000, a 70 kB bound extra: the datagram
ended inside `[loguru@32473 big="xxx...`), `Formatter.recut` on its own, and the re-cut after a
datagram socket refuses a message for its size (EMSGSIZE): scripted with a MemoryTransport, and
from a real kernel on a unix datagram socket with a small send buffer.
"""

from __future__ import annotations

import errno
import socket
import sys
from pathlib import Path
from typing import Any, Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import UdpReceiver, make_message
from loguru_syslog import MemoryTransport, SyslogSink, UnixTransport
from loguru_syslog._counters import Counters
from loguru_syslog._datagram import DATAGRAM_SIZES
from loguru_syslog._format import Formatter, sd_span
from loguru_syslog._severity import SeverityTable
from loguru_syslog._structured import StructuredData
from rfc5424 import parse

SD_ID = "loguru@32473"


def sd_text(data: bytes) -> bytes:
    """The STRUCTURED-DATA of an RFC 5424 message, as it is on the wire."""
    span = sd_span(data)
    assert span is not None, data[:200]
    return data[span[0] : span[1]]


def assert_whole_or_nil(data: bytes, original_sd: bytes) -> bytes:
    """`data` is valid RFC 5424 in valid UTF-8, and its SD is the original one, whole, or `-`."""
    parse(data)  # raises GrammarError on an SD element that does not end
    data.decode("utf-8")
    sd = sd_text(data)
    assert sd in (original_sd, b"-"), sd[:80] + b"..." + sd[-80:]
    return sd


def formatter(max_message_size: int = 65507, counters: Counters | None = None, header: str = "rfc5424") -> Formatter:
    return Formatter(
        header=header,
        facility=1,
        severities=SeverityTable(),
        hostname="host.example.com",
        app_name="billing",
        msgid=None,
        structured_data=StructuredData(SD_ID),
        max_message_size=max_message_size,
        keep_newlines=False,
        replacement=" ",
        bom=False,
        counters=counters or Counters(),
    )


def formatted(text: str, extra: dict[str, Any]) -> bytes:
    message = make_message(text, extra=extra)
    return formatter(max_message_size=1 << 24).format(message, message.record)  # type: ignore[arg-type]


# -- the reproduction of issue 10: a real UDP datagram --------------------------------------------------


@pytest.mark.parametrize(
    ("big", "sd_kept"),
    [
        ("x" * 70000, False),  # the case: the SD cannot fit in a datagram
        ("é" * 35000, False),  # the same in two-octet characters
        ("x" * 60000, True),  # it can: it arrives whole
    ],
)
def test_a_70_kb_extra_over_udp_arrives_as_valid_rfc5424(
    fresh_logger: Any, udp_receiver: UdpReceiver, big: str, sd_kept: bool
) -> None:
    sink = SyslogSink(udp_receiver.url, max_message_size=200000)
    assert sink.max_message_size == 65507  # what a UDP datagram can carry, whatever was asked
    fresh_logger.add(sink, format="{message}", catch=False)
    fresh_logger.bind(big=big).info("hello")
    data = udp_receiver.receive()[0]
    assert len(data) <= 65507
    message = parse(data)
    data.decode("utf-8")
    assert message.msg == b"hello"  # the message itself is never given up for the extras
    if sd_kept:
        assert message.sd == {SD_ID: [("big", big)]}
        assert sd_text(data).endswith(b'"]')
    else:
        assert message.sd == {} and sd_text(data) == b"-"
    stats = sink.stats
    assert (stats.sent, stats.dropped, stats.errors) == (1, 0, 0)
    assert stats.truncated == (0 if sd_kept else 1)


# -- Formatter.recut --------------------------------------------------------------------------------------

EXTRA = {"user": 'a"b]c\\d', "request_id": "r-42", "note": "çà ü"}


def test_sd_span_finds_the_structured_data_escapes_included() -> None:
    data = formatted('hello ] [x] "q"', EXTRA)
    sd = sd_text(data)
    assert sd == '[loguru@32473 user="a\\"b\\]c\\\\d" request_id="r-42" note="çà ü"]'.encode()
    assert data.endswith(b'] hello ] [x] "q"')
    nil = formatted("hello", {})
    assert sd_text(nil) == b"-"
    assert sd_span(b"<14>1 - - -") is None  # too few fields to tell
    assert sd_span(b'<14>1 - h a 1 - [x@1 k="unterminated') is None


def test_recut_below_the_end_of_the_sd_gives_nil_sd_and_valid_utf8() -> None:
    data = formatted("é" * 200, {"big": "ü" * 300, **EXTRA})
    original_sd = sd_text(data)
    start, end = sd_span(data) or (0, 0)
    for limit in (start + 1, start + 50, 480, 500, end - 100, end - 1):
        assert limit < end
        counters = Counters()
        cut = formatter(counters=counters).recut(data, limit)
        assert len(cut) <= limit
        assert assert_whole_or_nil(cut, original_sd) == b"-"
        assert parse(cut).msg.decode("utf-8") in parse(data).msg.decode("utf-8")
        assert cut.startswith(data[:start])  # the header is untouched
        # The message keeps as much of its text as fits, cut at a character boundary.
        assert len(cut) > limit - 2 or cut == data[:start] + b"-" + data[end:]


def test_recut_after_the_end_of_the_sd_keeps_the_sd() -> None:
    data = formatted("é" * 500, EXTRA)
    original_sd = sd_text(data)
    end = (sd_span(data) or (0, 0))[1]
    for limit in (end, end + 1, end + 2, end + 3, end + 100, len(data) - 1):
        cut = formatter().recut(data, limit)
        assert len(cut) <= limit and len(cut) >= limit - 1  # one octet at most: half an é
        assert assert_whole_or_nil(cut, original_sd) == original_sd
        assert parse(cut).sd == parse(data).sd
        assert data.startswith(cut)  # cut at the end, nothing else changed


def test_recut_of_a_message_that_fits_changes_nothing() -> None:
    data = formatted("hello", EXTRA)
    assert formatter().recut(data, len(data)) is data
    assert formatter().recut(data, 65507) is data


def test_recut_of_other_headers_cuts_at_the_end_without_splitting_utf8() -> None:
    fmt = formatter(1 << 24, header="rfc3164")
    message = make_message("é" * 1000)
    data = fmt.format(message, message.record)  # type: ignore[arg-type]
    for limit in (480, 481, 1000, 1001):
        cut = fmt.recut(data, limit)
        assert data.startswith(cut) and limit - 1 <= len(cut) <= limit
        cut.decode("utf-8")


printable_keys = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=12)
values = st.text(max_size=400)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.text(max_size=600),
    extra=st.dictionaries(printable_keys, values, max_size=5),
    data=st.data(),
)
def test_recut_never_leaves_a_broken_sd_element(text: str, extra: dict[str, str], data: Any) -> None:
    clean = {k: v for k, v in extra.items() if k != "msgid"}
    message = formatted(text, clean)
    original_sd = sd_text(message)
    limit = data.draw(st.integers(min_value=480, max_value=max(480, len(message))))
    cut = formatter().recut(message, limit)
    assert len(cut) <= limit
    assert assert_whole_or_nil(cut, original_sd) in (original_sd, b"-")
    if len(message) <= limit:
        assert cut == message


# -- the re-cut after EMSGSIZE, through the sink ---------------------------------------------------------


def refusing_above(limit: int) -> Callable[[bytes | None], BaseException | None]:
    """A datagram socket whose kernel refuses messages over `limit` octets, as Linux does."""

    def fail(message: bytes | None) -> BaseException | None:
        if message is not None and len(message) > limit:
            return OSError(errno.EMSGSIZE, "Message too long")
        return None

    return fail


def datagram_sink(limit: int, **options: Any) -> tuple[SyslogSink, MemoryTransport]:
    transport = MemoryTransport(datagram=True, fail=refusing_above(limit))
    options.setdefault("max_message_size", 60000)
    return SyslogSink(transport, hostname="h", app_name="a", **options), transport


def test_emsgsize_re_cuts_a_large_sd_to_nil_and_keeps_the_message() -> None:
    sink, transport = datagram_sink(3000)
    sink.write(make_message("hello", extra={"big": "x" * 5000}))
    (data,) = transport.messages
    assert len(data) <= 3000
    assert parse(data).sd == {} and sd_text(data) == b"-" and parse(data).msg == b"hello"
    stats = sink.stats
    assert (stats.sent, stats.dropped, stats.buffered) == (1, 0, 0)
    assert stats.truncated >= 1


def test_emsgsize_re_cuts_a_long_message_and_keeps_a_small_sd() -> None:
    sink, transport = datagram_sink(3000)
    sink.write(make_message("é" * 3000, extra={"request_id": "r-42"}))
    (data,) = transport.messages
    assert len(data) <= 2048  # the sizes tried: 4096 (refused), then 2048
    data.decode("utf-8")
    message = parse(data)
    assert message.sd == {SD_ID: [("request_id", "r-42")]}
    assert set(message.msg.decode()) == {"é"}
    assert (sink.stats.sent, sink.stats.dropped) == (1, 0)


@pytest.mark.parametrize("limit", [600, 1100, 2100, 4500, 9000, 20000, 40000])
@pytest.mark.parametrize("sd_size", [10, 500, 1500, 3000, 7000, 15000, 30000])
def test_after_emsgsize_the_sd_is_whole_or_nil_never_broken(limit: int, sd_size: int) -> None:
    sink, transport = datagram_sink(limit)
    reference = formatted("m" * 30000, {"big": "ß" * (sd_size // 2)})
    sink.write(make_message("m" * 30000, extra={"big": "ß" * (sd_size // 2)}))
    (data,) = transport.messages  # it arrives: re-cut as often as it takes
    assert len(data) <= limit
    sd = assert_whole_or_nil(data, sd_text(reference))
    end = (sd_span(reference) or (0, 0))[1]
    # The SD is given up only when it could not fit in the size that went out.
    assert (sd == b"-") == (end > size_sent(limit))
    assert (sink.stats.sent, sink.stats.dropped, sink.stats.buffered) == (1, 0, 0)


def size_sent(limit: int) -> int:
    """The datagram size the re-cuts end at for a socket that takes `limit` octets."""
    return next(size for size in DATAGRAM_SIZES if size <= limit)


def test_emsgsize_below_480_octets_drops_and_counts(capsys: pytest.CaptureFixture[str]) -> None:
    sink, transport = datagram_sink(300)
    sink.write(make_message("x" * 1000))
    assert transport.messages == []
    assert (sink.stats.sent, sink.stats.dropped, sink.stats.buffered) == (0, 1, 0)
    sink.write(make_message("ok"))  # a small one still goes: the socket works
    assert transport.texts[-1].endswith(" ok")
    assert sink.stats.sent == 1
    assert "cannot send" not in capsys.readouterr().err  # a size refusal is not an outage


def test_one_message_re_cut_once_counts_once_in_truncated() -> None:
    sink, transport = datagram_sink(3000)
    sink.write(make_message("hello", extra={"big": "x" * 3500}))  # fits max_message_size: not cut there
    assert len(transport.messages) == 1
    assert sink.stats.truncated == 1


# -- a real kernel EMSGSIZE: a unix datagram socket with a small send buffer -----------------------------


SNDBUF = 4096


class SmallSendBuffer(UnixTransport):
    """A unixgram transport whose socket has a small send buffer: Linux refuses a datagram
    larger than about the buffer with EMSGSIZE (the public `dial()` hook sets it)."""

    def dial(self) -> socket.socket:
        sock = super().dial()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SNDBUF)
        return sock


def kernel_refuses(directory: Path, size: int) -> bool:
    """Whether this kernel answers EMSGSIZE for `size` octets on such a socket (a probe
    on a socket of its own)."""
    path = directory / f"probe-{size}.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(str(path))
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SNDBUF)
            sock.connect(str(path))
            try:
                sock.send(b"x" * size)
            except OSError as exc:
                return exc.errno == errno.EMSGSIZE
    return False


@pytest.mark.skipif(sys.platform != "linux", reason="the send-buffer limit of unix datagrams is Linux's")
def test_a_real_emsgsize_on_a_unix_datagram_socket_re_cuts_without_breaking_the_sd(tmp_path: Path) -> None:
    if not kernel_refuses(tmp_path, 20000) or kernel_refuses(tmp_path, 4096):
        pytest.skip("this kernel does not refuse unix datagrams by send-buffer size as expected")
    path = tmp_path / "log.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(str(path))
    server.settimeout(5)
    try:
        transport = SmallSendBuffer(str(path), kind="dgram")
        sink = SyslogSink(transport, header="rfc5424", max_message_size=60000, hostname="h", app_name="a")
        sink.write(make_message("hello", extra={"big": "x" * 30000}))
        sink.write(make_message("é" * 20000, extra={"request_id": "r-42"}))
        first, second = server.recv(1 << 17), server.recv(1 << 17)
    finally:
        server.close()
    # The first: its SD could not fit in what the socket takes: NIL, and the message whole.
    assert parse(first).sd == {} and sd_text(first) == b"-" and parse(first).msg == b"hello"
    # The second: its small SD whole, the message cut at a character boundary.
    assert len(second) <= 4096
    second.decode("utf-8")
    assert parse(second).sd == {SD_ID: [("request_id", "r-42")]}
    assert (sink.stats.sent, sink.stats.dropped) == (2, 0)
