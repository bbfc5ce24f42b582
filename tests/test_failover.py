"""Failover (issue 15, item 1; API.md "Operator features"): several targets, one delivery policy.

Part 1, without daemons: scripted `MemoryTransport` targets behind a `FailoverTransport`
(order across a switch, the buffer and a half-sent batch going to the next target, a stall
that is not a failure, failback with its own backoff or not at all, every target down, the
per-target stats, the stderr lines, fork and stop()), and the configuration (a list of URLs,
SYSLOG_URL with commas, options that fit no target, failback with one address).

Part 2, against real daemons: rsyslog (RELP, then plain TCP) as the primary and syslog-ng
(TCP) as the secondary, the primary SIGKILLed under a steady load and started again on the
same port: every message arrives somewhere (RELP), in order per receiver, the secondary takes
the outage and the primary takes the traffic back. Each prints a FIGURES line (messages on
each target, lost, duplicated, out of order, seconds to fail over and back); the durations
are measured and printed, never asserted. Plus a primary frozen (SIGSTOP: a stall, no switch)
and then killed (the secondary takes the waiting messages), a dead secondary that is never
used, and the `check` command against a list of targets.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import Any, Iterator

import pytest

import loguru_syslog
from conftest import make_message, started
from loguru_syslog import (
    FailoverTransport,
    MemoryTransport,
    RELPTransport,
    SyslogConfigError,
    SyslogSink,
    TargetStats,
    TCPTransport,
    TransportTimeout,
    UDPTransport,
)
from test_promises import body, collect, figures, paced, restarted_during, tally

_SEQ = re.compile(rb"seq=(\d+)")

# -- part 1: scripted targets ----------------------------------------------------------------


class Target(MemoryTransport):
    """A scripted stream target. `state`: "up"; "down" (connections refused, sends reset);
    "stalled" (sends time out: the peer is there but takes nothing); "blocked" (a send
    waits until abort(), like a peer that never reads, then fails). `accept` caps how many
    messages it takes before it goes down by itself (in the middle of a batch)."""

    def __init__(self, name: str, state: str = "up", accept: int | None = None) -> None:
        super().__init__(fail=self._fail, datagram=False)
        self.name = name
        self.state = state
        self.accept = accept
        self.aborted = threading.Event()

    def _fail(self, message: bytes | None) -> BaseException | None:
        if self.accept is not None and message is not None and len(self.messages) >= self.accept:
            self.state = "down"
        if self.state == "down":
            if message is None:
                return ConnectionRefusedError(111, f"{self.name} refuses")
            return ConnectionResetError(104, f"{self.name} reset")
        if self.state == "stalled" and message is not None:
            return TransportTimeout(f"{self.name} takes nothing")
        if self.state == "blocked" and message is not None:
            self.aborted.wait(30)
            return ConnectionAbortedError(103, f"{self.name} aborted")
        return None

    def abort(self) -> None:
        self.aborted.set()

    def seqs(self) -> list[int]:
        """The message numbers it took, in order."""
        return [int(m[1]) for m in (_SEQ.search(message) for message in self.messages) if m]

    def __repr__(self) -> str:
        return self.name


class AckTarget(Target):
    """A scripted acknowledging target (like RELP): what it takes waits for an
    acknowledgement; with `acking` every send (and settle()) acknowledges everything taken
    so far, without it nothing is acknowledged and settle() times out. When it fails, the
    unacknowledged go back to the delivery (`take_unacknowledged`)."""

    acknowledges = True

    def __init__(self, name: str, state: str = "up", acking: bool = True) -> None:
        super().__init__(name, state)
        self.acking = acking
        self.acknowledged = 0
        self.unacked: list[bytes] = []

    def send(self, message: bytes) -> None:
        super().send(message)
        self.unacked.append(message)
        if self.acking:
            self.settle()

    def settle(self) -> None:
        if not self.acking:
            if self.unacked:
                raise TransportTimeout(f"{self.name} does not answer")
            return
        self.acknowledged += len(self.unacked)
        self.unacked.clear()

    def awaiting(self) -> int:
        return len(self.unacked)

    def take_unacknowledged(self) -> list[bytes]:
        taken, self.unacked = self.unacked, []
        return taken


def pair(
    a: str = "up", b: str = "up", *, failback: bool = True, backoff: float = 0.01, **options: Any
) -> tuple[SyslogSink, Target, Target]:
    """A sink over a FailoverTransport of two scripted targets ("memory-a" first)."""
    first, second = Target("memory-a", a), Target("memory-b", b)
    transport = FailoverTransport([first, second], failback=failback, backoff_min=backoff, backoff_max=2 * backoff)
    return SyslogSink(transport, **options), first, second


def log(sink: SyslogSink, numbers: range) -> None:
    for n in numbers:
        sink.write(make_message(f"seq={n} x"))


def log_until(sink: SyslogSink, start: int, done: Any, timeout: float = 5.0) -> int:
    """Log numbered messages from `start`, a few ms apart, until `done()` (an event the sink
    causes, such as a failback, which needs both a due backoff and a message to carry it) or
    the timeout. Returns the next number."""
    deadline = time.monotonic() + timeout
    n = start
    while not done() and time.monotonic() < deadline:
        log(sink, range(n, n + 1))
        n += 1
        time.sleep(0.005)
    return n


def lines_with(err: str, *words: str) -> list[str]:
    return [line for line in err.splitlines() if all(word in line for word in words)]


def test_messages_go_to_the_first_target_that_works() -> None:
    sink, a, b = pair()
    assert isinstance(sink.transport, FailoverTransport) and sink.transport.active is None
    log(sink, range(5))
    assert a.seqs() == list(range(5)) and b.messages == [] and b.opened == 0
    assert sink.transport.active == 0
    stats = sink.stats
    assert stats.targets == (
        TargetStats(address="memory-a", active=True, sent=5, errors=0, connections=1),
        TargetStats(address="memory-b", active=False, sent=0, errors=0, connections=0),
    )
    assert stats.sent == 5 and stats.errors == 0


def test_order_is_kept_across_a_switch_and_one_line_tells_it(capsys: pytest.CaptureFixture[str]) -> None:
    sink, a, b = pair(backoff=0.5)  # no failback probe succeeds here anyway: memory-a stays down
    log(sink, range(10))
    a.state = "down"
    log(sink, range(10, 30))
    assert a.seqs() == list(range(10)), a.seqs()
    assert b.seqs() == list(range(10, 30)), b.seqs()
    err = capsys.readouterr().err
    switches = lines_with(err, "switch")
    assert len(switches) == 1 and "memory-b" in switches[0], err
    assert "cannot send" not in err, err  # the delivery saw no outage: the next target took over
    stats = sink.stats
    assert stats.sent == 30 and stats.dropped == 0 and stats.buffered == 0, stats
    first, second = stats.targets
    assert (first.address, first.active, first.sent, first.connections) == ("memory-a", False, 10, 1), first
    assert first.errors >= 1, first
    assert (second.address, second.active, second.sent, second.errors) == ("memory-b", True, 20, 0), second
    assert second.connections == b.opened == 1, second
    assert sink.transport.active == 1


def test_the_first_target_down_from_the_start_sends_everything_to_the_second(
    capsys: pytest.CaptureFixture[str],
) -> None:
    sink, a, b = pair(a="down", backoff=0.5)
    log(sink, range(20))
    assert a.messages == [] and b.seqs() == list(range(20))
    err = capsys.readouterr().err
    assert len(lines_with(err, "memory-b")) == 1, err  # one line: memory-a is unreachable, memory-b takes over
    assert sink.stats.dropped == 0 and sink.stats.targets[0].errors >= 1


def test_a_half_sent_batch_goes_on_at_the_next_target_in_order() -> None:
    """background=True: the writer sends batches; memory-a takes 20 messages of one and
    goes down: the rest of the batch, and every batch after it, go to memory-b in order."""
    sink, a, b = pair(background=True, stop_timeout=10)
    a.accept = 20
    log(sink, range(500))
    sink.stop()
    assert a.seqs() == list(range(20)), a.seqs()
    assert b.seqs() == list(range(20, 500)), b.seqs()[:30]
    stats = sink.stats
    assert stats.sent == 500 and stats.dropped == 0 and stats.resent == 0, stats
    assert [t.sent for t in stats.targets] == [20, 480], stats.targets


def test_a_stall_is_not_a_failure_and_switches_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    """A target that is there but takes nothing (a SIGSTOPped daemon) keeps its connection:
    the messages wait in order for it; the next target is not even opened."""
    sink, a, b = pair()
    log(sink, range(5))
    a.state = "stalled"
    log(sink, range(5, 10))
    assert sink.stats.buffered == 5 and b.opened == 0 and b.messages == [], sink.stats
    a.state = "up"
    log(sink, range(10, 11))
    assert a.seqs() == list(range(11)) and b.messages == []
    err = capsys.readouterr().err
    assert not lines_with(err, "switch"), err
    assert sink.stats.targets[1].connections == 0


def test_a_stalled_target_that_then_dies_hands_its_buffer_to_the_next_one() -> None:
    """SIGSTOP, then SIGKILL: the buffered messages go to the next target, first and in
    order, once the stalled target is seen dead (no later than a few calls after)."""
    sink, a, b = pair()
    log(sink, range(5))
    a.state = "stalled"
    log(sink, range(5, 10))
    a.state = "down"
    n = log_until(sink, 10, lambda: bool(b.messages), timeout=3.0)
    assert b.messages, f"memory-b never took over after memory-a died stalled: {sink.stats}"
    log(sink, range(n, n + 5))
    assert a.seqs() == list(range(5)), a.seqs()
    assert b.seqs() == list(range(5, n + 5)), b.seqs()
    assert sink.stats.dropped == 0 and sink.stats.buffered == 0, sink.stats


def test_failback_once_the_first_target_works_again(capsys: pytest.CaptureFixture[str]) -> None:
    sink, a, b = pair(a="down", backoff=0.01)
    log(sink, range(10))
    assert b.seqs() == list(range(10))
    a.state = "up"
    n = log_until(sink, 10, lambda: bool(a.messages))
    assert a.messages, f"no failback within 5 s with backoff_max=0.02: {sink.stats}"
    log(sink, range(n, n + 10))
    back = a.seqs()[0]
    assert b.seqs() == list(range(back)), b.seqs()
    assert a.seqs() == list(range(back, n + 10)), a.seqs()
    err = capsys.readouterr().err
    assert lines_with(err, "memory-a", "switch"), err
    stats = sink.stats
    assert [t.active for t in stats.targets] == [True, False], stats.targets
    assert [t.sent for t in stats.targets] == [len(a.messages), len(b.messages)], stats.targets
    assert stats.sent == n + 10 and stats.dropped == 0, stats
    assert sink.transport.active == 0


def test_without_failback_the_second_target_keeps_the_messages() -> None:
    sink, a, b = pair(a="down", failback=False, backoff=0.01)
    log(sink, range(5))
    a.state = "up"
    for n in range(5, 45):  # 0.2 s: ten times the longest backoff
        log(sink, range(n, n + 1))
        time.sleep(0.005)
    assert a.messages == [] and b.seqs() == list(range(45)), (a.seqs(), sink.stats)
    b.state = "down"  # now memory-a is the one that works
    log(sink, range(45, 50))
    assert a.seqs() == list(range(45, 50)), (a.seqs(), b.seqs())
    assert sink.stats.dropped == 0


def test_every_target_down_buffers_in_order_and_the_first_to_come_back_gets_it_all(
    capsys: pytest.CaptureFixture[str],
) -> None:
    sink, a, b = pair(a="down", b="down", backoff=0.01, backoff_min=0.01, backoff_max=0.02)
    log(sink, range(10))
    stats = sink.stats
    assert stats.buffered == 10 and stats.sent == 0 and stats.dropped == 0, stats
    assert a.messages == [] == b.messages
    err = capsys.readouterr().err
    assert len(lines_with(err, "cannot send")) == 1, err  # one outage line, as for one target
    b.state = "up"
    n = log_until(sink, 10, lambda: bool(b.messages))
    assert b.seqs() == list(range(n)), b.seqs()
    stats = sink.stats
    assert stats.buffered == 0 and stats.sent == n and stats.dropped == 0, stats
    assert [t.sent for t in stats.targets] == [0, n] and stats.targets[1].active, stats.targets


def test_what_the_failed_target_never_acknowledged_goes_first_to_the_next_one() -> None:
    """At-least-once across targets: an acknowledging primary took 0..9 and acknowledged
    0..4 when it died; 5..9 go again, first and in order, to the secondary (duplicates of
    what the primary may have kept, counted in `resent`, never lost)."""
    a, b = AckTarget("ack-a"), Target("memory-b")
    sink = SyslogSink(FailoverTransport([a, b], backoff_min=0.5, backoff_max=1.0))
    log(sink, range(5))
    a.acking = False
    log(sink, range(5, 10))
    a.state = "down"
    log(sink, range(10, 15))
    assert a.seqs() == list(range(10)), a.seqs()
    assert b.seqs() == list(range(5, 15)), b.seqs()
    stats = sink.stats
    assert stats.resent == 5 and stats.dropped == 0 and stats.buffered == 0, stats
    assert [t.sent for t in stats.targets] == [5, 10] and stats.sent == 15, stats


def test_failback_waits_until_the_active_target_has_nothing_in_flight() -> None:
    """The active target (acknowledging) has unacknowledged messages: the first target,
    back, does not take over until they are acknowledged; nothing is sent twice."""
    a, b = Target("memory-a", "down"), AckTarget("ack-b", acking=False)
    sink = SyslogSink(FailoverTransport([a, b], backoff_min=0.01, backoff_max=0.02), stop_timeout=2)
    log(sink, range(5))
    assert b.seqs() == list(range(5)) and b.awaiting() == 5
    a.state = "up"
    for n in range(5, 25):  # 0.1 s and more: five times the longest backoff
        log(sink, range(n, n + 1))
        time.sleep(0.005)
    assert a.messages == [], f"failback while ack-b had {b.awaiting()} messages unacknowledged: {a.seqs()}"
    b.acking = True
    n = log_until(sink, 25, lambda: bool(a.messages))
    assert a.messages, f"no failback once ack-b acknowledged everything: {sink.stats}"
    log(sink, range(n, n + 5))
    sink.stop()
    back = a.seqs()[0]
    assert b.seqs() == list(range(back)) and a.seqs() == list(range(back, n + 5)), (b.seqs(), a.seqs())
    stats = sink.stats
    assert stats.resent == 0 and stats.dropped == 0 and stats.sent == n + 5, stats


def test_a_sink_with_one_address_has_no_target_stats() -> None:
    assert SyslogSink(Target("alone")).stats.targets == ()
    assert SyslogSink("udp://127.0.0.1:9").stats.targets == ()


def test_stop_closes_every_target_and_is_bounded_with_a_target_that_blocks() -> None:
    sink, a, b = pair()
    log(sink, range(3))
    a.state = "down"
    log(sink, range(3, 6))
    closed = (a.closed, b.closed)
    sink.stop()
    assert a.closed > closed[0] and b.closed > closed[1], (closed, a.closed, b.closed)
    assert sink.transport.active is None
    assert not any(t.active for t in sink.stats.targets)

    blocked, a2, b2 = pair(a="down", b="blocked", background=True, stop_timeout=0.5)
    log(blocked, range(3))
    began = time.monotonic()
    blocked.stop()
    took = time.monotonic() - began
    assert took < 0.5 + 2.0, f"stop() took {took:.2f} s with stop_timeout=0.5"  # the promise, with slack
    waited = time.monotonic() + 2.0  # the aborted send returns in the writer thread, then it closes
    while not (a2.closed and b2.closed) and time.monotonic() < waited:
        time.sleep(0.01)
    assert a2.closed >= 1 and b2.closed >= 1, (a2.closed, b2.closed)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_a_forked_child_drops_the_parents_connections_and_opens_its_own() -> None:
    sink, a, b = pair()
    log(sink, range(3))
    assert sink.transport.active == 0
    closed_before = (a.closed, b.closed)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report through the pipe, never return into pytest
        try:
            report = {"active_after_fork": sink.transport.active, "closed": [a.closed, b.closed]}
            report["stats_after_fork"] = [[t.sent, t.connections] for t in sink.stats.targets]
            log(sink, range(100, 102))
            report["child_seqs"] = a.seqs()
            report["opened"] = a.opened
            report["stats"] = [[t.sent, t.connections, t.active] for t in sink.stats.targets]
            os.write(write_end, json.dumps(report).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    child = json.loads(data)
    assert child["active_after_fork"] is None, child
    assert child["closed"] == [closed_before[0] + 1, closed_before[1] + 1], child  # after_fork on every target
    assert child["stats_after_fork"] == [[0, 0], [0, 0]], child
    assert child["child_seqs"] == [0, 1, 2, 100, 101] and child["opened"] == 2, child
    assert child["stats"] == [[2, 1, True], [0, 0, False]], child
    # The parent's connection was not touched.
    assert (a.closed, b.closed) == closed_before and sink.transport.active == 0
    log(sink, range(3, 4))
    assert a.seqs() == [0, 1, 2, 3]


def test_header_and_size_defaults_are_the_first_targets() -> None:
    first = MemoryTransport(default_header="rfc3164", default_max_message_size=1000, datagram=False)
    second = MemoryTransport(default_header="rfc5424", default_max_message_size=4000, datagram=False)
    sink = SyslogSink(FailoverTransport([first, second]))
    assert sink.header == "rfc3164" and sink.max_message_size == 1000


# -- part 1: configuration --------------------------------------------------------------------


def test_a_list_of_urls_makes_a_failover_with_mixed_transports() -> None:
    sink = SyslogSink(["relp://127.0.0.1:1", "tcp://127.0.0.1:2", "udp://127.0.0.1:3"], relp_window=16, framing="lf")
    transport = sink.transport
    assert isinstance(transport, FailoverTransport) and "FailoverTransport" in loguru_syslog.__all__
    relp, tcp, udp = transport.targets
    assert isinstance(relp, RELPTransport) and isinstance(tcp, TCPTransport) and isinstance(udp, UDPTransport)
    assert relp.window == 16 and tcp.framing == "lf"
    assert transport.active is None and transport.failback is True
    assert [t.address for t in sink.stats.targets] == ["relp://127.0.0.1:1", "tcp://127.0.0.1:2", "udp://127.0.0.1:3"]
    assert sink.header == "rfc5424"  # the first target's default

    as_tuple = SyslogSink(("tcp://127.0.0.1:1", "tcp://127.0.0.1:2"), failback=False)
    assert isinstance(as_tuple.transport, FailoverTransport) and as_tuple.transport.failback is False


def test_from_env_splits_syslog_url_at_commas_but_not_inside_a_query() -> None:
    environ = {"SYSLOG_URL": "tcp://127.0.0.1:1?structured_data=a,b,tcp://127.0.0.1:2", "SYSLOG_FAILBACK": "false"}
    sink = SyslogSink.from_env(environ=environ)
    transport = sink.transport
    assert isinstance(transport, FailoverTransport), transport
    assert [(t.host, t.port) for t in transport.targets] == [("127.0.0.1", 1), ("127.0.0.1", 2)]
    assert sink.config.structured_data == frozenset({"a", "b"})
    assert sink.config.failback is False and transport.failback is False

    relp_first = SyslogSink.from_env(environ={"SYSLOG_URL": "relp://127.0.0.1:1, tcp://127.0.0.1:2"})
    assert [type(t) for t in relp_first.transport.targets] == [RELPTransport, TCPTransport]


@pytest.mark.parametrize(
    ("address", "options", "named"),
    [
        ("tcp://127.0.0.1:1", {"failback": False}, "failback"),
        ("tcp://127.0.0.1:1", {"failback": True}, "failback"),
        (["tcp://127.0.0.1:1", "relp://127.0.0.1:2"], {"tls_server_name": "logs"}, "tls_server_name"),
        (["tcp://127.0.0.1:1", "udp://127.0.0.1:2"], {"relp_window": 8}, "relp_window"),
        (["udp://127.0.0.1:1", "relp://127.0.0.1:2"], {"framing": "lf"}, "framing"),
        (["journald:///tmp/failover-journal.sock", "tcp://127.0.0.1:2"], {}, "address"),
        (["tcp://127.0.0.1:2", "journald:///tmp/failover-journal.sock"], {}, "address"),
    ],
)
def test_options_that_fit_no_target_and_mixtures_that_cannot_work_are_errors(
    address: Any, options: dict[str, Any], named: str
) -> None:
    with pytest.raises(SyslogConfigError) as caught:
        SyslogSink(address, **options)
    assert named in str(caught.value), caught.value


def test_failback_from_the_environment_with_one_address_is_an_error_naming_the_variable() -> None:
    with pytest.raises(SyslogConfigError, match="SYSLOG_FAILBACK"):
        SyslogSink.from_env(environ={"SYSLOG_URL": "tcp://127.0.0.1:1", "SYSLOG_FAILBACK": "true"})


def test_transport_options_that_fit_one_target_are_accepted() -> None:
    sink = SyslogSink(["tls://localhost:1", "tcp://127.0.0.1:2"], tls_server_name="logs.example")
    assert sink.transport.targets[0].server_name == "logs.example"


# -- part 2: real daemons -----------------------------------------------------------------------

RATE, SECONDS = 2000, 6.0
COUNT = int(RATE * SECONDS)
KILL_AT, DOWN_FOR = 1.5, 2.0
WINDOW = 128  # the default relp_window


@pytest.fixture
def refused_port() -> Iterator[int]:
    """A TCP port bound but not listening: connecting is refused for as long as the test runs."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    yield sock.getsockname()[1]
    sock.close()


class Watch:
    """Samples `sink.stats.targets` every few milliseconds from its own thread: when each
    target's `sent` moved and which target was active, with monotonic timestamps."""

    def __init__(self, sink: SyslogSink, every: float = 0.005) -> None:
        self.sink = sink
        self.every = every
        self.samples: list[tuple[float, tuple[int, ...], int | None]] = []
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="failover-watch", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._done.wait(self.every):
            targets = self.sink.stats.targets
            active = next((i for i, t in enumerate(targets) if t.active), None)
            self.samples.append((time.monotonic(), tuple(t.sent for t in targets), active))

    def stop(self) -> None:
        self._done.set()
        self._thread.join(5)

    def first_growth(self, target: int, after: float) -> float | None:
        """When `target`'s sent count first grew after the moment `after`."""
        base = None
        for at, sent, _ in self.samples:
            if at < after:
                base = sent[target]
                continue
            if base is None:
                base = sent[target]
            elif sent[target] > base:
                return at
        return None

    def first_active(self, target: int, after: float) -> float | None:
        return next((at for at, _, active in self.samples if at >= after and active == target), None)


def seconds(end: float | None, start: float | None) -> str:
    return "never" if end is None or start is None else f"{end - start:.3f}"


def kill_primary_under_load(
    primary: Any, secondary: Any, primary_url: str, fresh_logger: Any, capsys: pytest.CaptureFixture[str], name: str
) -> dict[str, Any]:
    """Send COUNT numbered messages at RATE to [primary, secondary], SIGKILL the primary at
    KILL_AT and start it again DOWN_FOR later; collect what each receiver got; print FIGURES.
    Returns what the assertions need."""
    secondary_url = secondary.url("s")
    sink = SyslogSink([primary_url, secondary_url], backoff_max=1.0, stop_timeout=20)
    fresh_logger.add(sink, format="{message}", catch=False)
    expected = {n: body(n) for n in range(COUNT)}
    current = [0]

    def log_one(n: int) -> None:
        current[0] = n
        fresh_logger.info(expected[n])

    watch = Watch(sink)
    try:
        with restarted_during(primary, current, KILL_AT, DOWN_FOR) as marks:
            durations = paced(RATE, COUNT, log_one)
            at_end = sink.stats
            fresh_logger.remove()  # stop(): every acknowledgement, then close
    finally:
        watch.stop()
    stats = sink.stats
    on_primary, on_secondary = stats.targets[0].sent, stats.targets[1].sent
    secondary_texts = collect(secondary, on_secondary, timeout=20)
    primary_texts = collect(primary, on_primary, last=expected[COUNT - 1], timeout=20)
    first, second = tally(primary_texts, expected), tally(secondary_texts, expected)
    received = set(primary_texts) | set(secondary_texts)
    arrived = {n for n, text in expected.items() if text in received}
    lost = sorted(set(expected) - arrived)
    duplicated = first.intact + second.intact - len(arrived)
    failover_s = seconds(watch.first_growth(1, marks["killed_at"]), marks.get("killed_at"))
    switched_s = seconds(watch.first_active(1, marks["killed_at"]), marks.get("killed_at"))
    failback_s = seconds(watch.first_growth(0, marks["up_at"]), marks.get("up_at"))
    switched_back_s = seconds(watch.first_active(0, marks["up_at"]), marks.get("up_at"))
    err = capsys.readouterr().err
    with capsys.disabled():
        figures(
            name,
            on_primary=first.intact,
            on_secondary=second.intact,
            lost=len(lost),
            duplicated=duplicated,
            out_of_order=first.out_of_order + second.out_of_order,
            failover_s=failover_s,
            failback_s=failback_s,
            switch_s=switched_s,
            switch_back_s=switched_back_s,
            count=COUNT,
            rate=RATE,
            kill_at=KILL_AT,
            down_for=DOWN_FOR,
            marks={k: v for k, v in marks.items() if not k.endswith("_at")},
            slowest_call=f"{max(durations):.3f}",
            primary=first.figures(),
            secondary=second.figures(),
            stats=stats,
            stderr=err.strip().splitlines()[:6],
        )
    return {
        "sink": sink,
        "stats": stats,
        "at_end": at_end,
        "marks": marks,
        "first": first,
        "second": second,
        "lost": lost,
        "duplicated": duplicated,
        "err": err,
        "expected": expected,
        "primary_texts": primary_texts,
        "secondary_url": secondary_url,
    }


def assert_failed_over_and_back(run: dict[str, Any], primary_port: int, secondary_port: int) -> None:
    stats, at_end, first, second = run["stats"], run["at_end"], run["first"], run["second"]
    marks, err, expected = run["marks"], run["err"], run["expected"]
    assert "killed_at" in marks and "up_at" in marks, marks
    assert stats.dropped == 0, f"the sink dropped {stats.dropped}: {stats}"
    assert not first.out_of_order and not second.out_of_order, (first.figures(), second.figures())
    assert not first.garbled and not second.garbled and not first.notices and not second.notices
    # The secondary took the outage; the primary took the traffic back.
    assert second.intact > 0, f"nothing reached the secondary: {second.figures()}"
    assert expected[COUNT - 1] in run["primary_texts"], "the last message is not on the primary: no failback"
    assert at_end.targets[0].active and not at_end.targets[1].active, at_end.targets
    assert stats.targets[1].connections >= 1 and stats.targets[0].connections >= 2, stats.targets
    # One line per switch, naming where the messages go; the delivery itself saw no outage.
    to_secondary = lines_with(err, f":{secondary_port}", "switch")
    back = lines_with(err, f":{primary_port}", "switch", "again")
    assert to_secondary and back, err
    assert len(lines_with(err, "switch")) <= sum(t.connections for t in stats.targets) - 1, err
    assert "cannot send" not in err, err
    # The secondary (TCP, alive throughout) received exactly what the sink counted for it.
    assert second.intact == stats.targets[1].sent, (second.figures(), stats.targets)
    assert stats.sent == sum(t.sent for t in stats.targets), stats


def test_relp_primary_sigkilled_under_load_fails_over_to_tcp_and_back_losing_nothing(
    rsyslog_factory: Any, syslog_ng_factory: Any, fresh_logger: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """rsyslog imrelp first, syslog-ng TCP second; 2000 msg/s for 6 s, the primary SIGKILLed
    at 1.5 s and started again 2 s later. RELP keeps what was not acknowledged: every message
    arrives somewhere (duplicates only of what the kill left unacknowledged), in order per
    receiver; the sink drops nothing; the stats per target match the receivers."""
    primary = started(rsyslog_factory(), "p", "relp")
    secondary = started(syslog_ng_factory(), "s", "tcp-octet")
    run = kill_primary_under_load(primary, secondary, primary.url("p"), fresh_logger, capsys, "failover relp->tcp")
    stats, first, second = run["stats"], run["first"], run["second"]
    assert_failed_over_and_back(run, primary.port("p"), secondary.port("s"))
    assert not run["lost"], f"lost {len(run['lost'])}: {run['lost'][:10]}"
    assert stats.sent == COUNT, stats  # each message acknowledged by the primary or taken by the secondary once
    # Duplicates: what the primary wrote but whose acknowledgement the kill ate, sent again.
    assert run["duplicated"] <= min(WINDOW, stats.resent), (run["duplicated"], stats)
    assert first.intact >= stats.targets[0].sent, (first.figures(), stats.targets)
    assert first.intact - stats.targets[0].sent <= WINDOW, (first.figures(), stats.targets)
    assert not second.duplicated, second.figures()


def test_tcp_primary_sigkilled_under_load_fails_over_and_back_and_the_sink_drops_nothing(
    rsyslog_factory: Any, syslog_ng_factory: Any, fresh_logger: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same with plain TCP to both: what was written into the dying daemon's socket before
    the sink learnt of the death is lost (TCP cannot know), and counted as sent to the
    primary. The sink drops nothing, order holds per receiver, nothing is sent twice, and
    failover and failback happen; the lost count is printed, not asserted."""
    primary = started(rsyslog_factory(), "p", "tcp")
    secondary = started(syslog_ng_factory(), "s", "tcp-octet")
    run = kill_primary_under_load(primary, secondary, primary.url("p"), fresh_logger, capsys, "failover tcp->tcp")
    stats, first, second = run["stats"], run["first"], run["second"]
    assert_failed_over_and_back(run, primary.port("p"), secondary.port("s"))
    assert stats.sent == COUNT, stats
    assert not run["duplicated"], (first.figures(), second.figures())
    assert first.intact <= stats.targets[0].sent, (first.figures(), stats.targets)
    assert len(run["lost"]) == stats.targets[0].sent - first.intact, (len(run["lost"]), stats.targets)


def test_a_dead_secondary_is_never_tried_while_the_primary_works(
    rsyslog_factory: Any, refused_port: int, fresh_logger: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    primary = started(rsyslog_factory(), "p", "relp")
    sink = SyslogSink([primary.url("p"), f"tcp://127.0.0.1:{refused_port}"])
    fresh_logger.add(sink, format="{message}", catch=False)
    count = 2000
    expected = {n: body(n) for n in range(count)}
    paced(4000, count, lambda n: fresh_logger.info(expected[n]))
    fresh_logger.remove()
    result = tally(collect(primary, count, last=expected[count - 1]), expected)
    stats = sink.stats
    err = capsys.readouterr().err
    assert not result.lost and not result.duplicated and not result.out_of_order, result.figures()
    assert stats.sent == count and stats.dropped == 0 and stats.errors == 0, stats
    assert [(t.sent, t.errors, t.connections) for t in stats.targets] == [(count, 0, 1), (0, 0, 0)], stats.targets
    assert "switch" not in err and str(refused_port) not in err, err


@pytest.mark.parametrize("mode", ["direct", "background"])
def test_a_frozen_primary_keeps_the_messages_and_once_killed_the_secondary_takes_them(
    rsyslog_factory: Any, syslog_ng_factory: Any, fresh_logger: Any, mode: str
) -> None:
    """rsyslog imrelp SIGSTOPped: a stall, not a failure: the messages wait in order and the
    secondary gets nothing. Then SIGKILLed: the secondary takes the waiting messages, and
    those the primary never acknowledged, first and in order; nothing is lost."""
    primary = started(rsyslog_factory(), "p", "relp")
    secondary = started(syslog_ng_factory(), "s", "tcp-octet")
    options: dict[str, Any] = {"background": True} if mode == "background" else {}
    sink = SyslogSink([primary.url("p"), secondary.url("s")], timeout=0.5, backoff_max=1.0, stop_timeout=10, **options)
    fresh_logger.add(sink, format="{message}", catch=False)
    count = 1000
    expected = {n: body(n) for n in range(count)}
    paced(1000, 100, lambda n: fresh_logger.info(expected[n]))
    primary.wait_for(100)
    primary.kill(signal.SIGSTOP)
    paced(1000, 300, lambda n: fresh_logger.info(expected[100 + n]))  # more than a RELP window
    frozen = sink.stats
    assert secondary.messages() == [] and frozen.targets[1].connections == 0, frozen
    primary.kill(signal.SIGKILL)
    n, deadline = 400, time.monotonic() + 5.0  # until the secondary took a message (or 5 s)
    while n < count - 100 and not sink.stats.targets[1].sent and time.monotonic() < deadline:
        fresh_logger.info(expected[n])
        n += 1
        time.sleep(0.002)
    moved = sink.stats
    paced(1000, count - n, lambda k: fresh_logger.info(expected[n + k]))
    fresh_logger.remove()
    stats = sink.stats
    first = tally([m["msg"] for m in primary.messages()], expected)
    second = tally(collect(secondary, stats.targets[1].sent, last=expected[count - 1]), expected)
    missing_first, missing_second = set(first.lost), set(second.lost)
    arrived = {k for k in expected if k not in missing_first or k not in missing_second}
    figures(
        f"failover frozen then killed {mode}",
        frozen=frozen,
        after_kill=moved,
        stats=stats,
        primary=first.figures(),
        secondary=second.figures(),
        lost=count - len(arrived),
    )
    assert moved.targets[1].sent, f"the secondary took nothing after the frozen primary was killed: {moved}"
    assert len(arrived) == count, f"lost {count - len(arrived)}"
    assert not first.out_of_order and not second.out_of_order, (first.figures(), second.figures())
    assert stats.dropped == 0, stats


def check(url: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYSLOG_")}
    return subprocess.run(
        [sys.executable, "-m", "loguru_syslog", "check", "--url", url],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_tests_every_target(rsyslog_factory: Any, syslog_ng_factory: Any, refused_port: int) -> None:
    primary = started(rsyslog_factory(), "p", "relp")
    secondary = started(syslog_ng_factory(), "s", "tcp-octet")
    dead = f"tcp://127.0.0.1:{refused_port}"

    both = [primary.url("p"), secondary.url("s")]
    done = check(",".join(both))
    assert done.returncode == 0, done.stdout + done.stderr
    assert_a_line_per_target(done.stdout, both)
    assert "OK" in done.stdout, done.stdout

    for urls in ([primary.url("p"), dead], [dead, secondary.url("s")]):
        one_down = check(",".join(urls))
        assert one_down.returncode == 1, one_down.stdout + one_down.stderr
        assert_a_line_per_target(one_down.stdout, urls)
        assert "FAILED" in one_down.stdout, one_down.stdout


def assert_a_line_per_target(stdout: str, urls: list[str]) -> None:
    """Each target has a line of its own (naming it and not the other)."""
    for url in urls:
        others = [other for other in urls if other != url]
        own = [line for line in stdout.splitlines() if url in line and not any(o in line for o in others)]
        assert own, f"no line of its own for {url}:\n{stdout}"
