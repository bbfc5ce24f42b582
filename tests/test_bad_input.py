"""Bad input never crashes the application or loses the record: it goes out sanitised and counted."""

from __future__ import annotations

from typing import Any

from conftest import UdpReceiver
from loguru_syslog import SyslogSink
from rfc5424 import parse


class Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no str for you")


def test_lone_surrogates_go_out_escaped(fresh_logger: Any, udp_receiver: UdpReceiver) -> None:
    sink = SyslogSink(udp_receiver.url, app_name="t")
    fresh_logger.add(sink, format="{message}", catch=False)
    undecodable = b"caf\xe9 \xff".decode("utf-8", "surrogateescape")
    fresh_logger.bind(path=undecodable).info("file {}", undecodable)
    data = udp_receiver.receive()[0]
    parsed = parse(data)
    assert parsed.msg == b"file caf\\udce9 \\udcff"
    assert parsed.sd["loguru@32473"] == [("path", "caf\\udce9 \\udcff")]
    assert sink.stats.sanitized == 1 and sink.stats.sent == 1


def test_extra_whose_str_raises_is_named_not_fatal(fresh_logger: Any, udp_receiver: UdpReceiver) -> None:
    sink = SyslogSink(udp_receiver.url)
    fresh_logger.add(sink, format="{message}", catch=False)
    # loguru itself calls str() on extras only if the format uses them: "{message}" does not.
    fresh_logger.bind(obj=Unprintable(), ok=1).warning("still here")
    parsed = parse(udp_receiver.receive()[0])
    assert parsed.msg == b"still here"
    assert parsed.sd["loguru@32473"] == [("obj", "<unprintable Unprintable>"), ("ok", "1")]


def test_one_megabyte_message_is_cut_to_the_limit_and_counted(fresh_logger: Any, udp_receiver: UdpReceiver) -> None:
    sink = SyslogSink(udp_receiver.url)
    fresh_logger.add(sink, format="{message}", catch=False)
    fresh_logger.info("x" * 1_000_000)
    data = udp_receiver.receive()[0]
    assert len(data) == 2048
    assert parse(data).msg == b"x" * len(parse(data).msg)
    assert sink.stats.truncated == 1 and sink.stats.sent == 1


def test_a_huge_limit_still_fits_a_udp_datagram(fresh_logger: Any, udp_receiver: UdpReceiver) -> None:
    # 200 000 octets cannot be one UDP datagram (65507 max): the socket says EMSGSIZE,
    # and the message is cut further instead of being lost.
    sink = SyslogSink(udp_receiver.url, max_message_size=200_000)
    fresh_logger.add(sink, format="{message}", catch=False)
    fresh_logger.info("y" * 150_000)
    data = udp_receiver.receive()[0]
    assert 480 <= len(data) <= 65507
    assert sink.stats.truncated == 1 and sink.stats.sent == 1 and sink.stats.dropped == 0


def test_nul_and_escape_bytes_never_reach_the_wire(fresh_logger: Any, udp_receiver: UdpReceiver) -> None:
    sink = SyslogSink(udp_receiver.url, header="rfc3164")
    fresh_logger.add(sink, format="{message}", catch=False)
    fresh_logger.error("a\x00b\x1b[2Jc\nd")
    data = udp_receiver.receive()[0]
    assert data.endswith(b"]: a b [2Jc d")
    assert sink.stats.sanitized == 1


def test_multiline_exception_is_one_message(fresh_logger: Any, udp_receiver: UdpReceiver) -> None:
    sink = SyslogSink(udp_receiver.url, max_message_size=60000)
    fresh_logger.add(sink, format="{message}", catch=False, backtrace=False, diagnose=False)
    try:
        1 / 0  # noqa: B018
    except ZeroDivisionError:
        fresh_logger.exception("failed")
    data = udp_receiver.receive()[0]
    assert b"\n" not in data
    assert parse(data).msg.startswith(b"failed Traceback (most recent call last):")
    assert data.endswith(b"ZeroDivisionError: division by zero")
    assert udp_receiver.pending() == []


def test_format_errors_do_not_raise_into_the_application(fresh_logger: Any) -> None:
    sink = SyslogSink("udp://127.0.0.1:9", app_name="t")
    # A sink called by hand with something that is not a loguru message.
    sink.write(12345)  # type: ignore[arg-type]
    sink(Unprintable())  # type: ignore[arg-type]
    assert sink.stats.errors >= 1
