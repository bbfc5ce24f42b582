"""The delivery policy with a scripted transport: buffer, drop oldest, notice, backoff, report once.

The transport is the public `MemoryTransport` failing on purpose (`fail=`); the policy parts
themselves (Backoff, Buffer, Outage, DatagramRecovery) have their own tests in test_parts.py.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from conftest import make_message
from loguru_syslog import MemoryTransport, PartialSendError, SyslogSink, Transport, TransportTimeout
from loguru_syslog._backoff import Backoff


class FlakyTransport(MemoryTransport):
    """A peer we switch up and down: `messages` is what arrived, `opens` how often we tried."""

    def __init__(self, up: bool = True) -> None:
        super().__init__(fail=self._fail, datagram=False, default_header="pri")
        self.up = up
        self.opens = 0

    def _fail(self, message: bytes | None) -> BaseException | None:
        if message is None:
            self.opens += 1
        if self.up:
            return None
        return ConnectionRefusedError("peer down") if message is None else BrokenPipeError("peer went away")


def texts(transport: MemoryTransport) -> list[str]:
    return [m.decode()[m.index(b">") + 1 :] for m in transport.messages]


def wait_backoff(sink: SyslogSink) -> None:
    """Past the longest delay the sink's backoff can have chosen (jitter keeps it <= backoff_max)."""
    time.sleep(sink.config.backoff_max + 0.01)


def test_messages_wait_in_order_while_down_and_go_first_after_reconnect(capsys: pytest.CaptureFixture[str]) -> None:
    transport = FlakyTransport(up=False)
    sink = SyslogSink(transport, backoff_min=0.05, backoff_max=0.05)
    for i in range(5):
        sink.write(make_message(f"m{i}"))
    assert transport.messages == [] and sink.stats.buffered == 5
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
    assert transport.messages[0].startswith(b"<12>")  # user.warning
    assert got[1:] == ["m7", "m8", "m9", "m10"]
    assert capsys.readouterr().err.count("cannot send to") == 1


def test_a_broken_connection_is_retried_at_once_without_losing_the_message(capsys: pytest.CaptureFixture[str]) -> None:
    transport = FlakyTransport()
    sink = SyslogSink(transport)
    sink.write(make_message("a"))
    # The connection carried a message: its first break is retried at once, however
    # young it is (a daemon restarted just then). Connections that keep dying right
    # after opening back off instead: test_parts.py (Link) and test_promises.py.

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
    sink = SyslogSink(transport, backoff_min=0.5, buffer_size=1000)
    for i in range(2000):
        sink.write(make_message(f"m{i}"))
    assert transport.opens <= 2
    assert sink.stats.buffered == 1000 and sink.stats.dropped == 1000


def test_the_default_buffer_keeps_a_short_outage_under_load() -> None:
    # issue 11: 20000 messages (and 16 MiB) wait by default, no longer 1000.
    transport = FlakyTransport(up=False)
    sink = SyslogSink(transport, backoff_min=0.5)
    assert (sink.config.buffer_size, sink.config.buffer_bytes) == (20000, 16 << 20)
    assert SyslogSink(MemoryTransport()).config.backoff_min == 0.1  # was 0.5
    for i in range(2000):
        sink.write(make_message(f"m{i}"))
    assert transport.opens <= 2
    assert sink.stats.buffered == 2000 and sink.stats.dropped == 0


def test_the_buffer_is_bounded_by_octets_too() -> None:
    transport = FlakyTransport(up=False)
    sink = SyslogSink(transport, backoff_min=30, backoff_max=30, buffer_bytes=1000)
    for i in range(100):
        sink.write(make_message(f"m{i:02d}" + "x" * 95))  # "<14>" + 100 octets each
    assert sink.stats.buffered == 9 and sink.stats.dropped == 91  # 9 * 104 <= 1000 < 10 * 104
    transport.up = True
    sink.stop()  # the last chance ignores the backoff
    got = texts(transport)
    assert got[0].startswith("loguru-syslog: 91 messages were dropped while ")
    assert [text[:3] for text in got[1:]] == [f"m{i}" for i in range(91, 100)]


@pytest.mark.parametrize("jitter", [0.0, 0.5, 1.0])  # the extremes and the middle of random.random()
def test_backoff_grows_exponentially_with_jitter_up_to_the_maximum(jitter: float) -> None:
    # The policy part itself, on an injected clock: no sleeping, no private attributes.
    now = [100.0]
    backoff = Backoff(0.01, 0.08, clock=lambda: now[0], jitter=lambda: jitter)
    delays = []
    for _ in range(7):
        assert backoff.due()  # the clock is moved to the due time each round
        delay = backoff.failed()
        delays.append(delay)
        assert not backoff.due() and backoff.remaining() == pytest.approx(delay)
        now[0] += delay
    # failures 1.. -> nominal 0.01, 0.02, 0.04, 0.08, 0.08 ...; jitter keeps each within [1/2, 1] of it
    nominal = [min(0.08, 0.01 * 2**i) for i in range(len(delays))]
    for delay, expected in zip(delays, nominal):
        assert expected / 2 <= delay <= expected, (delay, expected)
        assert delay == pytest.approx(expected * (0.5 + jitter / 2))


def test_the_sink_waits_out_its_backoff_between_connect_attempts() -> None:
    transport = FlakyTransport(up=False)
    sink = SyslogSink(transport, backoff_min=0.05, backoff_max=0.05)
    started = time.monotonic()
    sink.write(make_message("m0"))  # the first attempt: refused; the next one waits 0.025..0.05 s
    for i in range(1, 20):
        sink.write(make_message(f"m{i}"))
        if time.monotonic() - started < 0.025:
            assert transport.opens == 1  # no attempt before the backoff is over
    attempts = transport.opens
    wait_backoff(sink)
    sink.write(make_message("m20"))
    assert transport.opens == attempts + 1  # due again: exactly one attempt, not one per message
    assert sink.stats.errors == transport.opens and sink.stats.buffered == 21


def test_a_connection_on_which_nothing_went_out_counts_as_a_failed_attempt(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A peer that accepts the connection and fails every send (one that closes at once):
    # no connection storm, one attempt per backoff, one report.
    transport = MemoryTransport(datagram=False, default_header="pri", fail=lambda m: m and BrokenPipeError("closed"))
    sink = SyslogSink(transport, backoff_min=30, backoff_max=30)
    for i in range(50):
        sink.write(make_message(f"m{i}"))
    assert transport.opened == 1 and transport.messages == []
    assert sink.stats.errors == 1 and sink.stats.buffered == 50 and sink.stats.reconnects == 0
    assert capsys.readouterr().err.count("loguru-syslog: cannot send to") == 1


def test_background_queue_drops_count_in_dropped_at_once() -> None:
    entered, release = threading.Event(), threading.Event()

    def block_on_m0(message: bytes | None) -> None:
        if message is not None and message.endswith(b">m0"):
            entered.set()
            release.wait(10)

    transport = MemoryTransport(datagram=False, default_header="pri", fail=block_on_m0)  # type: ignore[arg-type]
    sink = SyslogSink(transport, background=True, queue_size=2)
    try:
        sink.write(make_message("m0"))
        assert entered.wait(10)  # the writer holds m0 in a send that does not return
        for i in range(1, 10):
            sink.write(make_message(f"m{i}"))
        stats = sink.stats
        # m1..m7 pushed out; m8, m9 queued; m0 handed over (in the delivery's buffer, being sent)
        assert (stats.dropped, stats.queued, stats.buffered) == (7, 2, 1)
    finally:
        release.set()
        sink.stop()
    assert texts(transport) == ["m0", "m8", "m9"]
    assert sink.stats.dropped == 7 and sink.stats.sent == 3


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
    """A connection that breaks in the middle of its first batch, after the first message."""

    broke = False

    def send_many(self, messages: Any) -> None:
        if self.broke:
            super().send_many(messages)
            return
        self.broke = True
        self.messages.append(messages[0])
        raise PartialSendError(1, BrokenPipeError("after the first"))


def test_a_partial_batch_is_neither_lost_nor_duplicated() -> None:
    transport = BatchTransport(up=False)
    sink = SyslogSink(transport, backoff_min=0.01, backoff_max=0.01)
    for i in range(3):
        sink.write(make_message(f"m{i}"))
    transport.up = True
    wait_backoff(sink)
    sink.write(make_message("m3"))  # a batch of 4: m0 goes, then the connection breaks
    assert texts(transport)[0] == "m0" and sink.stats.sent >= 1
    wait_backoff(sink)  # (the connection broke at once: the next attempt may back off)
    sink.write(make_message("m4"))  # the rest, in order, on a new connection
    assert texts(transport) == ["m0", "m1", "m2", "m3", "m4"]
    assert sink.stats.sent == 5 and sink.stats.buffered == 0 and sink.stats.dropped == 0


def test_a_transport_that_raises_anything_never_raises_into_the_app() -> None:
    class Buggy(Transport):
        def send(self, message: bytes) -> None:
            raise TypeError("bug in a user transport")

    sink = SyslogSink(Buggy(), backoff_min=0.01)
    for _ in range(3):
        sink.write(make_message("x"))
    assert sink.stats.errors >= 1 and sink.stats.sent == 0


def test_a_stalled_peer_that_then_dies_is_reconnected_at_the_next_call() -> None:
    """SIGSTOP, then SIGKILL: a stall that ends in a failure is no longer a stall, so
    the next application call may wait to reconnect (before the fix, only stop() or the
    background writer ever did: the buffer grew while the peer was back)."""
    state = ["up"]

    def fail(message: bytes | None) -> BaseException | None:
        if state[0] == "stalled" and message is not None:
            return TransportTimeout("the peer takes nothing")
        if state[0] == "dead":
            return ConnectionRefusedError("peer down") if message is None else ConnectionResetError("peer gone")
        return None

    transport = MemoryTransport(fail=fail, datagram=False, default_header="pri")
    sink = SyslogSink(transport, backoff_min=0.01, backoff_max=0.01)
    sink.write(make_message("a"))
    state[0] = "stalled"
    sink.write(make_message("b"))
    sink.write(make_message("c"))
    state[0] = "dead"
    sink.write(make_message("d"))
    state[0] = "up"
    wait_backoff(sink)
    sink.write(make_message("e"))
    assert texts(transport) == ["a", "b", "c", "d", "e"]
    assert sink.stats.buffered == 0 and sink.stats.dropped == 0 and sink.stats.reconnects == 1
