"""The delivery policy's parts, each on its own: Backoff, Buffer, Outage, DatagramRecovery, Counters.

No sleeps (clocks and jitter are injected) and no private attributes: only what each part
offers the delivery that composes them.
"""

from __future__ import annotations

import dataclasses
import errno
from typing import Any, Callable

import pytest

from loguru_syslog import MemoryTransport, SyslogStats
from loguru_syslog._backoff import Backoff
from loguru_syslog._buffer import BATCH, Buffer
from loguru_syslog._counters import Counters
from loguru_syslog._datagram import DATAGRAM_SIZES, DatagramRecovery
from loguru_syslog._outage import Outage


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def constant(value: float) -> Callable[[], float]:
    return lambda: value


# -- Backoff --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("jitter", [0.0, 0.25, 0.5, 0.999, 1.0])
def test_backoff_doubles_from_low_to_high_with_jitter_between_half_and_all_of_it(jitter: float) -> None:
    clock = Clock()
    backoff = Backoff(0.1, 3.0, clock=clock, jitter=constant(jitter))
    nominal = [0.1, 0.2, 0.4, 0.8, 1.6, 3.0, 3.0, 3.0]
    for expected in nominal:
        delay = backoff.failed()
        assert expected / 2 <= delay <= expected
        assert delay == pytest.approx(expected * (0.5 + jitter / 2))
        assert backoff.remaining() == pytest.approx(delay)
        clock.advance(delay)
    assert backoff.failed() <= 3.0  # capped at high, however many failures


def test_backoff_is_due_only_when_its_delay_is_over() -> None:
    clock = Clock()
    backoff = Backoff(1.0, 8.0, clock=clock, jitter=constant(1.0))
    assert backoff.due() and backoff.remaining() == 0.0  # nothing failed yet
    assert backoff.failed() == 1.0
    assert not backoff.due()
    clock.advance(0.75)
    assert not backoff.due() and backoff.remaining() == pytest.approx(0.25)
    clock.advance(0.25)
    assert backoff.due() and backoff.remaining() == 0.0
    clock.advance(100.0)
    assert backoff.remaining() == 0.0  # never negative


def test_backoff_jitter_spreads_clients_that_failed_together() -> None:
    values = iter([0.0, 1.0])
    first = Backoff(2.0, 60.0, clock=Clock(), jitter=lambda: next(values))
    second = Backoff(2.0, 60.0, clock=Clock(), jitter=lambda: next(values))
    assert (first.failed(), second.failed()) == (1.0, 2.0)


def test_backoff_now_makes_the_next_attempt_due_but_keeps_the_growth() -> None:
    clock = Clock()
    backoff = Backoff(1.0, 100.0, clock=clock, jitter=constant(1.0))
    assert [backoff.failed(), backoff.failed()] == [1.0, 2.0]
    backoff.now()  # a working connection broke, or stop(): try at once
    assert backoff.due() and backoff.remaining() == 0.0
    assert backoff.failed() == 4.0  # still failing: the delay goes on growing


def test_backoff_reset_starts_again_from_low() -> None:
    clock = Clock()
    backoff = Backoff(0.5, 30.0, clock=clock, jitter=constant(1.0))
    for _ in range(6):
        backoff.failed()
    assert not backoff.due()
    backoff.reset()  # a success
    assert backoff.due()
    assert backoff.failed() == 0.5


def test_backoff_with_low_equal_to_high_is_constant() -> None:
    backoff = Backoff(0.05, 0.05, clock=Clock(), jitter=constant(1.0))
    assert [backoff.failed() for _ in range(5)] == [0.05] * 5


def test_backoff_defaults_to_the_monotonic_clock_and_random_jitter() -> None:
    backoff = Backoff(10.0, 10.0)
    delay = backoff.failed()
    assert 5.0 <= delay <= 10.0
    assert not backoff.due() and 0.0 < backoff.remaining() <= delay


# -- Buffer ---------------------------------------------------------------------------------------------


def contents(buffer: Buffer) -> list[bytes]:
    return buffer.head(len(buffer) + 1)


def test_buffer_keeps_order_and_drops_the_oldest_past_max_count() -> None:
    buffer = Buffer(3, 1 << 20)
    assert [buffer.append(b"m%d" % i) for i in range(3)] == [0, 0, 0]
    assert buffer.append(b"m3") == 1
    assert contents(buffer) == [b"m1", b"m2", b"m3"]
    assert buffer.extend([b"m4", b"m5"]) == 2
    assert contents(buffer) == [b"m3", b"m4", b"m5"]
    assert len(buffer) == 3 and buffer.nbytes == 6


def test_buffer_is_bounded_by_octets_and_always_keeps_the_newest() -> None:
    buffer = Buffer(1000, 10)
    assert buffer.append(b"aaaa") == 0
    assert buffer.append(b"bbbb") == 0
    assert buffer.append(b"cccc") == 1  # 12 octets > 10: the oldest goes
    assert contents(buffer) == [b"bbbb", b"cccc"] and buffer.nbytes == 8
    # A message larger than the whole bound still waits: alone.
    assert buffer.append(b"x" * 50) == 2
    assert contents(buffer) == [b"x" * 50] and buffer.nbytes == 50
    assert buffer.append(b"y") == 1
    assert contents(buffer) == [b"y"] and buffer.nbytes == 1


def test_buffer_of_max_count_zero_keeps_nothing() -> None:
    buffer = Buffer(0, 1 << 20)
    assert buffer.append(b"m") == 1
    assert len(buffer) == 0 and buffer.nbytes == 0 and not buffer
    assert buffer.extend([b"a", b"b"]) == 2
    assert len(buffer) == 0 and buffer.nbytes == 0


def test_buffer_extend_without_trim_applies_the_bound_later() -> None:
    buffer = Buffer(2, 1 << 20)
    assert buffer.extend([b"a", b"b", b"c", b"d"], trim=False) == 0
    assert len(buffer) == 4  # a batch joins what waits; the bound applies to what is left unsent
    buffer.remove(1)  # one went out
    assert buffer.trim() == 1
    assert contents(buffer) == [b"c", b"d"] and buffer.nbytes == 2


def test_buffer_octet_bookkeeping_through_prepend_remove_replace_head_and_clear() -> None:
    buffer = Buffer(10, 1000)

    def check() -> None:
        assert buffer.nbytes == sum(len(m) for m in contents(buffer))

    buffer.extend([b"ccc", b"dddd"])
    check()
    buffer.prepend([b"a", b"bb"])  # older than what waits, order kept
    assert contents(buffer) == [b"a", b"bb", b"ccc", b"dddd"]
    check()
    buffer.replace_head(b"AAAAAA")  # a re-cut (here longer: any size)
    assert contents(buffer)[0] == b"AAAAAA"
    check()
    buffer.replace_head(b"A")
    check()
    assert buffer.head(2) == [b"A", b"bb"] and len(buffer) == 4  # head() does not remove
    buffer.remove(2)
    assert contents(buffer) == [b"ccc", b"dddd"]
    check()
    assert buffer.nbytes == 7
    assert buffer.clear() == 2
    assert len(buffer) == 0 and buffer.nbytes == 0


def test_buffer_prepend_is_not_bounded() -> None:
    # What comes back (a notice, unacknowledged messages) is older than what waits: it is
    # never pushed out by the bound on the way in.
    buffer = Buffer(2, 4)
    buffer.extend([b"cc", b"dd"])
    buffer.prepend([b"aa", b"bb"])
    assert contents(buffer) == [b"aa", b"bb", b"cc", b"dd"] and buffer.nbytes == 8
    assert buffer.trim() == 2  # until the bound is applied again
    assert contents(buffer) == [b"cc", b"dd"] and buffer.nbytes == 4


def test_buffer_head_is_limited_to_a_batch_by_default() -> None:
    buffer = Buffer(BATCH + 10, 1 << 30)
    buffer.extend(b"%d" % i for i in range(BATCH + 10))
    assert len(buffer.head()) == BATCH
    assert buffer.head(3) == [b"0", b"1", b"2"]


# -- Outage ---------------------------------------------------------------------------------------------


def outage(clock: Clock | None = None) -> tuple[Outage, list[str]]:
    lines: list[str] = []
    return Outage("udp://logs:514", "up to 20000 messages", write=lines.append, clock=clock or Clock()), lines


def test_an_outage_is_reported_once_not_once_per_failure() -> None:
    part, lines = outage()
    part.failed(ConnectionRefusedError(111, "Connection refused"))
    part.failed(ConnectionRefusedError(111, "Connection refused"))
    part.failed(BrokenPipeError("gone"))
    assert lines == [
        "cannot send to udp://logs:514 (ConnectionRefusedError: [Errno 111] Connection refused); "
        "keeping up to 20000 messages and retrying"
    ]
    assert part.active
    assert part.ended() == 0
    assert not part.active
    part.failed(TimeoutError("again"))  # a new outage: a new line
    assert len(lines) == 2 and "TimeoutError: again" in lines[1]


def test_a_stall_is_reported_once_until_data_moves_again() -> None:
    part, lines = outage()
    part.stall()
    part.stall()
    assert len(lines) == 1 and lines[0].startswith("udp://logs:514 takes no data")
    assert "keeping the connection" in lines[0] and "up to 20000 messages in order" in lines[0]
    assert part.stalled and not part.active  # a stall is not a failure
    assert part.ended() == 0 and not part.stalled
    part.stall()
    assert len(lines) == 2


def test_dropped_messages_are_counted_and_given_back_once_when_the_outage_ends() -> None:
    part, _ = outage()
    part.failed(OSError(errno.ENETUNREACH, "unreachable"))
    part.count_dropped(3)
    part.count_dropped(4)
    assert part.dropped == 7
    assert part.ended() == 7  # for the notice to the daemon
    assert part.ended() == 0  # once
    assert part.dropped == 0


def test_a_datagram_outage_ends_only_after_a_quiet_period() -> None:
    # Refusals of datagrams arrive late: one success between two refusals is not the end.
    clock = Clock()
    part, lines = outage(clock)
    part.failed(ConnectionRefusedError(111, "refused"))
    part.count_dropped(5)
    clock.advance(0.4)
    assert part.ended(quiet_for=1.0) == 0
    assert part.active and part.dropped == 5
    part.failed(ConnectionRefusedError(111, "refused"))  # still the same outage: no new line
    clock.advance(0.9)
    assert part.ended(quiet_for=1.0) == 0 and part.active
    clock.advance(0.1)  # 1.0 s since the last failure
    assert part.ended(quiet_for=1.0) == 5
    assert not part.active and len(lines) == 1


def test_ended_without_an_outage_is_harmless() -> None:
    part, lines = outage()
    assert part.ended() == 0 and part.ended(quiet_for=10.0) == 0
    assert lines == [] and not part.active and not part.stalled


def test_outage_reset_forgets_everything() -> None:
    part, lines = outage()
    part.failed(OSError(errno.EHOSTDOWN, "down"))
    part.stall()
    part.count_dropped(9)
    part.reset()  # after a fork: the child starts clean
    assert (part.active, part.stalled, part.dropped) == (False, False, 0)
    part.failed(OSError(errno.EHOSTDOWN, "down"))
    assert len(lines) == 3  # a new outage is reported again


# -- DatagramRecovery -----------------------------------------------------------------------------------


class Recut:
    """Stands for Formatter.recut: records the calls, cuts at the end."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []

    def __call__(self, data: bytes, limit: int) -> bytes:
        self.calls.append((len(data), limit))
        return data[:limit]


def emsgsize() -> OSError:
    return OSError(errno.EMSGSIZE, "Message too long")


def recovery() -> tuple[DatagramRecovery, Recut, Counters, Buffer]:
    recut, counters = Recut(), Counters()
    return DatagramRecovery(recut, counters), recut, counters, Buffer(100, 1 << 30)


def test_emsgsize_re_cuts_the_head_through_the_formatter_to_the_next_size_down() -> None:
    rules, recut, counters, buffer = recovery()
    buffer.extend([b"x" * 70000, b"next"])
    assert rules.handle(emsgsize(), buffer) == "resized"
    assert recut.calls == [(70000, 65507)]
    assert [len(m) for m in buffer.head()] == [65507, 4]  # in place: still first in line
    assert buffer.nbytes == 65507 + 4
    assert (counters.truncated, counters.dropped) == (1, 0)
    # Refused again: the next size down, each time.
    assert rules.handle(emsgsize(), buffer) == "resized"
    assert rules.handle(emsgsize(), buffer) == "resized"
    assert recut.calls[1:] == [(65507, 32768), (32768, 16384)]
    assert len(buffer.head(1)[0]) == 16384


def test_emsgsize_skips_the_sizes_the_message_is_under_already() -> None:
    rules, recut, _, buffer = recovery()
    buffer.append(b"y" * 3000)
    assert rules.handle(emsgsize(), buffer) == "resized"
    assert recut.calls == [(3000, 2048)]


@pytest.mark.parametrize("size", [480, 479, 100, 1])
def test_emsgsize_at_or_below_480_octets_drops_the_message_and_counts_it(size: int) -> None:
    # 480 is what every receiver must accept (RFC 5424): nothing smaller is tried.
    rules, recut, counters, buffer = recovery()
    buffer.extend([b"z" * size, b"next"])
    assert rules.handle(emsgsize(), buffer) == "resized"
    assert recut.calls == []
    assert buffer.head() == [b"next"] and buffer.nbytes == 4
    assert (counters.dropped, counters.truncated) == (1, 0)


def test_the_smallest_re_cut_size_is_480() -> None:
    assert DATAGRAM_SIZES[0] == 65507 and DATAGRAM_SIZES[-1] == 480
    assert list(DATAGRAM_SIZES) == sorted(DATAGRAM_SIZES, reverse=True)
    rules, recut, counters, buffer = recovery()
    buffer.append(b"w" * 1000)
    rules.handle(emsgsize(), buffer)
    assert recut.calls == [(1000, 480)]
    rules.handle(emsgsize(), buffer)  # 480 refused too: dropped
    assert len(buffer) == 0 and counters.dropped == 1


def test_a_refusal_is_resent_once_then_it_is_a_real_failure() -> None:
    rules, recut, counters, buffer = recovery()
    buffer.append(b"m")
    refused = ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused")
    assert rules.handle(refused, buffer) == "refused"  # an earlier datagram's ICMP: send this one again
    assert rules.handle(refused, buffer) is None  # refused twice in a row: the peer is down
    assert rules.handle(refused, buffer) is None
    assert buffer.head() == [b"m"] and recut.calls == []
    assert (counters.dropped, counters.truncated) == (0, 0)
    rules.succeeded()  # a datagram went out: the next refusal is again one of an earlier one
    assert rules.handle(refused, buffer) == "refused"


@pytest.mark.parametrize(
    "exc",
    [
        BrokenPipeError(errno.EPIPE, "Broken pipe"),
        OSError(errno.ENETUNREACH, "Network is unreachable"),
        TimeoutError("timed out"),
        ValueError("not a socket error"),
    ],
)
def test_other_failures_are_not_datagram_rules(exc: BaseException) -> None:
    rules, recut, counters, buffer = recovery()
    buffer.append(b"m")
    assert rules.handle(exc, buffer) is None
    assert buffer.head() == [b"m"] and recut.calls == []
    assert (counters.dropped, counters.truncated) == (0, 0)


# -- Counters -------------------------------------------------------------------------------------------


def test_counters_snapshot_is_a_frozen_syslog_stats() -> None:
    counters = Counters()
    assert counters.snapshot(0, 0) == SyslogStats(0, 0, 0, 0, 0, 0, 0, 0)
    counters.sent += 5
    counters.dropped += 4
    counters.truncated += 3
    counters.reconnects += 2
    counters.errors += 1
    counters.sanitized += 6
    stats = counters.snapshot(buffered=7, queued=8)
    assert stats == SyslogStats(
        sent=5, dropped=4, truncated=3, reconnects=2, errors=1, sanitized=6, buffered=7, queued=8
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        stats.sent = 0  # type: ignore[misc]
    counters.sent += 1
    assert stats.sent == 5 and counters.snapshot(0, 0).sent == 6  # a snapshot, not a view


def test_counters_reset_and_only_known_counts() -> None:
    counters = Counters()
    counters.sent = counters.errors = 3
    counters.reset()
    assert counters.snapshot(1, 2) == SyslogStats(0, 0, 0, 0, 0, 0, 1, 2)
    with pytest.raises(AttributeError):
        counters.sentt = 1  # type: ignore[attr-defined]  # a typo cannot create a new count
    assert [f.name for f in dataclasses.fields(SyslogStats)] == [
        "sent",
        "dropped",
        "truncated",
        "reconnects",
        "errors",
        "sanitized",
        "buffered",
        "queued",
        "resent",
        "rejected",
        "targets",
    ]


# -- Link: the connection, and whether a broken one was working ---------------------------------------


def make_link(clock: list[float]) -> tuple[Any, Counters, MemoryTransport]:
    from loguru_syslog._link import HEALTHY_AFTER, Link

    assert HEALTHY_AFTER == 1.0
    counters = Counters()
    transport = MemoryTransport()
    return Link(transport, counters, clock=lambda: clock[0]), counters, transport


def test_link_counts_reconnects_not_the_first_connection() -> None:
    clock = [0.0]
    link, counters, transport = make_link(clock)
    link.open()
    assert link.up and not link.used and counters.reconnects == 0
    link.close()
    assert not link.up and transport.closed == 1
    link.open()
    assert counters.reconnects == 1 and transport.opened == 2


def test_link_judges_a_broken_connection() -> None:
    clock = [0.0]
    link, _, _ = make_link(clock)
    link.open()
    assert link.broke() == "failed"  # nothing went out on it
    link.open()
    link.used = True
    clock[0] += 5.0
    assert link.broke() == "working"  # it carried messages for seconds: a restart
    for expected in ("suspect", "failed", "failed"):  # dying right after opening, again and again
        link.open()
        link.used = True
        clock[0] += 0.01
        assert link.broke() == expected
    link.open()
    link.used = True
    clock[0] += 2.0
    assert link.broke() == "working"  # a healthy connection ends the streak


def test_link_gives_back_what_an_acknowledging_transport_never_had_acknowledged() -> None:
    clock = [0.0]
    link, _, transport = make_link(clock)
    transport.take_unacknowledged = lambda: [b"m1", b"m2"]  # type: ignore[method-assign]
    assert link.close() == ()  # not up: nothing to give back
    link.open()
    assert list(link.close()) == [b"m1", b"m2"]


def test_link_open_failure_closes_the_transport_and_raises() -> None:
    clock = [0.0]
    link, counters, transport = make_link(clock)
    transport.fail = lambda message: ConnectionRefusedError(111, "refused") if message is None else None
    with pytest.raises(ConnectionRefusedError):
        link.open()
    assert not link.up and transport.closed == 1 and counters.reconnects == 0


# -- StreamWriter: what an interrupted write leaves behind --------------------------------------------


def stalled_writer(accept: int, first: BaseException | None = None) -> tuple[Any, Any, Any, bytearray]:
    """A StreamWriter over a peer that takes `accept` octets, then says `first` (would
    block) and never takes more: the wait raises TransportTimeout (a stall)."""
    from loguru_syslog import TransportTimeout
    from loguru_syslog._stream import StreamWriter

    taken = bytearray()
    refusal = first if first is not None else BlockingIOError()

    def send(view: memoryview) -> int:
        room = accept - len(taken)
        if room <= 0:
            raise refusal
        taken.extend(view[:room])
        return min(room, len(view))

    def wait(deadline: float, writable: bool) -> None:
        raise TransportTimeout("stalled")

    return StreamWriter(), send, wait, taken


def test_a_stalled_single_frame_keeps_its_rest_and_is_taken() -> None:
    from loguru_syslog import TransportTimeout

    writer, send, wait, taken = stalled_writer(3)
    with pytest.raises(TransportTimeout):
        writer.write(b"5 hello", send, wait, lambda: 1.0)
    assert (bytes(taken), writer.rest, writer.taken, writer.whole, writer.broken) == (b"5 h", b"ello", True, 1, False)


def test_a_stall_before_the_first_octet_takes_nothing() -> None:
    from loguru_syslog import TransportTimeout

    writer, send, wait, _ = stalled_writer(0)
    with pytest.raises(TransportTimeout):
        writer.write(b"5 hello", send, wait, lambda: 1.0)
    assert (writer.rest, writer.taken, writer.whole) == (b"", False, 0)


def test_a_stalled_batch_finishes_only_the_started_frame() -> None:
    # Three frames; the peer took the first whole and two octets of the second: the
    # second's rest goes first and it counts as gone out; the third stays with the caller.
    from loguru_syslog import TransportTimeout

    frames = [b"1 a", b"3 bcd", b"1 e"]
    writer, send, wait, _ = stalled_writer(len(frames[0]) + 2)
    with pytest.raises(TransportTimeout):
        writer.write(b"".join(frames), send, wait, lambda: 1.0, frames)
    assert (writer.rest, writer.whole, writer.taken) == (b"bcd", 2, False)


def test_a_tls_write_that_openssl_began_is_finished_whole() -> None:
    # SSLWantWriteError: OpenSSL holds the buffer, the retry must offer the same bytes.
    import ssl

    from loguru_syslog import TransportTimeout

    frames = [b"1 a", b"1 b"]
    writer, send, wait, _ = stalled_writer(0, ssl.SSLWantWriteError())
    with pytest.raises(TransportTimeout):
        writer.write(b"".join(frames), send, wait, lambda: 1.0, frames)
    assert (writer.rest, writer.taken) == (b"1 a1 b", True)


def test_an_interrupt_inside_send_breaks_the_stream_and_a_socket_error_too() -> None:
    from loguru_syslog._stream import StreamWriter

    def interrupted(view: memoryview) -> int:
        raise KeyboardInterrupt  # as if it landed as send() returned: how much went out is unknown

    writer = StreamWriter()
    with pytest.raises(KeyboardInterrupt):
        writer.write(b"5 hello", interrupted, lambda d, w: None, lambda: 1.0)
    assert writer.broken and writer.rest == b"" and not writer.taken

    def broken(view: memoryview) -> int:
        raise BrokenPipeError(32, "EPIPE")

    with pytest.raises(BrokenPipeError):
        writer.write(b"5 hello", broken, lambda d, w: None, lambda: 1.0)
    assert writer.broken and writer.rest == b""


def test_an_interrupt_while_waiting_keeps_the_rest() -> None:
    # The application's exception raised during the wait (select): the count is known.
    writer, send, _, _ = stalled_writer(2)

    def wait(deadline: float, writable: bool) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        writer.write(b"5 hello", send, wait, lambda: 1.0)
    assert (writer.rest, writer.taken, writer.broken) == (b"hello", True, False)
