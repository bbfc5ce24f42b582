"""The delivery policy with a scripted transport: buffer, drop oldest, notice, backoff, report once."""

from __future__ import annotations

import time
from typing import Any

import pytest

from conftest import make_message
from loguru_syslog import PartialSendError, SyslogSink, Transport


class FlakyTransport(Transport):
    """A peer we switch up and down; records what arrived and how often we tried."""

    default_header = "pri"

    def __init__(self, up: bool = True) -> None:
        self.up = up
        self.received: list[bytes] = []
        self.opens = 0
        self.closes = 0

    def open(self) -> None:
        self.opens += 1
        if not self.up:
            raise ConnectionRefusedError("peer down")

    def send(self, message: bytes) -> None:
        if not self.up:
            raise BrokenPipeError("peer went away")
        self.received.append(message)

    def close(self) -> None:
        self.closes += 1


def texts(transport: FlakyTransport) -> list[str]:
    return [m.decode()[m.index(b">") + 1 :] for m in transport.received]


def wait_backoff(sink: SyslogSink) -> None:
    time.sleep(sink._delivery.retry_delay() + 0.01)


def test_messages_wait_in_order_while_down_and_go_first_after_reconnect(capsys: pytest.CaptureFixture[str]) -> None:
    transport = FlakyTransport(up=False)
    sink = SyslogSink(transport, backoff_min=0.05, backoff_max=0.05)
    for i in range(5):
        sink.write(make_message(f"m{i}"))
    assert transport.received == [] and sink.stats.buffered == 5
    transport.up = True
    wait_backoff(sink)
    sink.write(make_message("m5"))
    assert texts(transport) == [f"m{i}" for i in range(6)]
    assert sink.stats.sent == 6 and sink.stats.dropped == 0 and sink.stats.buffered == 0
    err = capsys.readouterr().err
    assert err.count("loguru-syslog: cannot send to") == 1  # once per outage, not per message


def test_past_the_buffer_the_oldest_are_dropped_counted_and_announced(capsys: pytest.CaptureFixture[str]) -> None:
    transport = FlakyTransport(up=False)
    sink = SyslogSink(transport, buffer_size=3, backoff_min=0.05, backoff_max=0.05)
    for i in range(10):
        sink.write(make_message(f"m{i}"))
    assert sink.stats.dropped == 7 and sink.stats.buffered == 3
    transport.up = True
    wait_backoff(sink)
    sink.write(make_message("m10"))
    got = texts(transport)
    assert got[0] == "loguru-syslog: 7 messages were dropped while " + sink.address + " was unreachable"
    assert transport.received[0].startswith(b"<12>")  # user.warning
    assert got[1:] == ["m7", "m8", "m9", "m10"]
    assert capsys.readouterr().err.count("cannot send to") == 1


def test_a_broken_connection_is_retried_at_once_without_losing_the_message(capsys: pytest.CaptureFixture[str]) -> None:
    transport = FlakyTransport()
    sink = SyslogSink(transport)
    sink.write(make_message("a"))

    original_send = transport.send
    calls = {"n": 0}

    def fail_once(message: bytes) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionResetError("daemon restarted")
        original_send(message)

    transport.send = fail_once  # type: ignore[method-assign]
    sink.write(make_message("b"))
    assert texts(transport) == ["a", "b"]
    assert sink.stats.reconnects == 1 and sink.stats.errors == 1 and sink.stats.dropped == 0
    assert capsys.readouterr().err == ""  # a reconnect that works is not an outage


def test_peer_down_at_start_costs_a_few_attempts_not_one_per_message() -> None:
    transport = FlakyTransport(up=False)
    sink = SyslogSink(transport, backoff_min=0.5)
    for i in range(2000):
        sink.write(make_message(f"m{i}"))
    assert transport.opens <= 2
    assert sink.stats.buffered == 1000 and sink.stats.dropped == 1000


def test_backoff_grows_exponentially_with_jitter_up_to_the_maximum() -> None:
    transport = FlakyTransport(up=False)
    sink = SyslogSink(transport, backoff_min=0.01, backoff_max=0.08)
    windows = []
    for _ in range(7):
        sink._delivery._retry_at = 0.0  # make the next attempt happen now, and see the delay it sets
        before = time.monotonic()
        sink._delivery.send_many([])  # one failed connect: it sets the next retry time
        after = time.monotonic()
        retry_at = sink._delivery._retry_at
        # The delay chosen lies between these two, whatever the machine's load.
        windows.append((retry_at - after, retry_at - before))
    # failures 1.. -> nominal 0.01, 0.02, 0.04, 0.08, 0.08 ...; jitter keeps each within [1/2, 1] of it
    nominal = [min(0.08, 0.01 * 2**i) for i in range(len(windows))]
    for (low, high), expected in zip(windows, nominal):
        assert low <= expected and high >= expected / 2, (low, high, expected)
    assert transport.opens == 7


def test_stop_delivers_what_waits_when_the_peer_is_back() -> None:
    transport = FlakyTransport(up=False)
    sink = SyslogSink(transport, backoff_min=30, backoff_max=30)
    sink.write(make_message("late"))
    transport.up = True
    sink.stop()  # ignores the 30 s backoff: this is the last chance
    assert texts(transport) == ["late"]


def test_stop_counts_what_cannot_be_delivered(capsys: pytest.CaptureFixture[str]) -> None:
    transport = FlakyTransport(up=False)
    sink = SyslogSink(transport, stop_timeout=0.2)
    sink.write(make_message("lost"))
    sink.stop()
    assert sink.stats.dropped == 1 and sink.stats.buffered == 0
    assert "1 messages for" in capsys.readouterr().err


class BatchTransport(FlakyTransport):
    def send_many(self, messages: Any) -> None:
        self.received.append(messages[0])
        raise PartialSendError(1, BrokenPipeError("after the first"))


def test_a_partial_batch_is_neither_lost_nor_duplicated() -> None:
    transport = BatchTransport(up=False)
    sink = SyslogSink(transport, backoff_min=0.01, backoff_max=0.01)
    for i in range(3):
        sink.write(make_message(f"m{i}"))
    transport.up = True
    wait_backoff(sink)
    sink.write(make_message("m3"))  # drains: batch of 4, one goes, then each remaining singly
    assert texts(transport) == ["m0", "m1", "m2", "m3"]
    assert sink.stats.sent == 4


def test_a_transport_that_raises_anything_never_raises_into_the_app() -> None:
    class Buggy(Transport):
        def send(self, message: bytes) -> None:
            raise TypeError("bug in a user transport")

    sink = SyslogSink(Buggy(), backoff_min=0.01)
    for _ in range(3):
        sink.write(make_message("x"))
    assert sink.stats.errors >= 1 and sink.stats.sent == 0
