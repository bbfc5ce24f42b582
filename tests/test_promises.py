"""The promises of API.md "Delivery guarantees" / "Strengthened", each proved against the
fault that breaks it: a signal in a blocked send, a stalled daemon, stop() against a peer
that never reads, a stdout pipe nobody reads, a daemon restart under load, a peer that
closes every connection; plus the RFC 3164 size default and an unprintable msgid.

Public API only. Every message is numbered (``seq=N``) and built so that the receiver can
tell an intact message from a cut or glued one: each test counts lost, duplicated,
out-of-order and garbled messages at the receiver and compares them with ``sink.stats``.
Time bounds asserted here are the promises themselves (a call bounded by ``timeout``,
``stop()`` by ``stop_timeout``), with generous slack; none is a speed requirement.
"""

from __future__ import annotations

import os
import re
import signal
import string
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Mapping

import pytest

import loguru_syslog
from conftest import started, tls_input
from loguru_syslog import SyslogSink
from peers import ClosingPeer, SilentPeer, StrictOctetReceiver
from rfc5424 import parse as parse_5424

# -- numbered messages and what the receiver made of them ----------------------------------

_SEQ = re.compile(r"seq=(\d+) ")
_FILL = string.ascii_letters * 200  # 10 400 characters


def body(n: int, size: int = 100) -> str:
    """Message number `n`, `size` characters: `seq=N <filler> end=N` (a cut or a glued
    message never equals any of these)."""
    head, tail = f"seq={n} ", f" end={n}"
    room = max(size - len(head) - len(tail), 0)
    fill = (_FILL * (room // len(_FILL) + 1))[n % 52 : n % 52 + room]
    return head + fill + tail


def seq_of(text: str) -> int:
    """The N of a text that starts `seq=N `, else -1."""
    match = _SEQ.match(text)
    return int(match[1]) if match else -1


@dataclass
class Tally:
    """What arrived, against what was logged."""

    expected: int
    received: int = 0
    intact: int = 0
    lost: list[int] = field(default_factory=list)
    duplicated: int = 0
    out_of_order: int = 0
    garbled: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # the sink's own "N messages were dropped"

    def figures(self) -> str:
        lost = self.lost if len(self.lost) <= 6 else f"{self.lost[:3]}...{self.lost[-3:]}"
        garbled = [g[:60] + ("..." if len(g) > 60 else "") + f" ({len(g)} chars)" for g in self.garbled[:3]]
        return (
            f"expected {self.expected}, received {self.received}, intact {self.intact}, "
            f"lost {len(self.lost)} {lost}, duplicated {self.duplicated}, out of order {self.out_of_order}, "
            f"garbled {len(self.garbled)} {garbled}, notices {self.notices}"
        )


def tally(received: Iterable[str], expected: Mapping[int, str]) -> Tally:
    result = Tally(expected=len(expected))
    seen: Counter[int] = Counter()
    highest = -1
    for text in received:
        result.received += 1
        match = _SEQ.match(text)
        n = int(match[1]) if match else -1
        if n in expected and expected[n] == text:
            seen[n] += 1
            if seen[n] == 1:
                if n < highest:
                    result.out_of_order += 1
                highest = max(highest, n)
        elif text.startswith("loguru-syslog:"):
            result.notices.append(text)
        else:
            result.garbled.append(text)
    result.intact = sum(seen.values())
    result.duplicated = sum(count - 1 for count in seen.values())
    result.lost = sorted(set(expected) - set(seen))
    return result


def collect(daemon: Any, want: int, last: str | None = None, timeout: float = 15.0, quiet: float = 2.0) -> list[str]:
    """The daemon's messages once it has `want` of them (and `last` among them), or once
    nothing new came for `quiet` seconds (a receiver that lost some never gets there)."""
    deadline = time.monotonic() + timeout
    count, changed = -1, time.monotonic()
    while True:
        texts = [m["msg"] for m in daemon.messages()]
        now = time.monotonic()
        if len(texts) != count:
            count, changed = len(texts), now
        if len(texts) >= want and (last is None or last in texts):
            time.sleep(0.3)  # late duplicates or garbage would show up now
            return [m["msg"] for m in daemon.messages()]
        if now - changed > quiet or now > deadline:
            return texts
        time.sleep(0.02)


def sink_threads(include_helpers: bool = True, besides: Iterable[threading.Thread] = ()) -> list[threading.Thread]:
    """Alive threads of sinks (named "loguru-syslog..."), except those in `besides` (there
    before the test: another test's leak is not this one's); without helpers: writers only."""
    known = set(besides)
    return [
        t
        for t in threading.enumerate()
        if "loguru-syslog" in t.name and t.is_alive() and t not in known and (include_helpers or "dns" not in t.name)
    ]


def own_connections(port: int) -> set[int]:
    """Local ports of this process's open TCP sockets whose peer port is `port` (Linux /proc)."""
    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[8:-1]))
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as fh:
                lines = fh.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if int(fields[9]) in inodes and int(fields[2].rsplit(":", 1)[1], 16) == port:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def paced(rate: float, count: int, log: Callable[[int], None]) -> list[float]:
    """Call log(n) for n in 0..count-1 at `rate` per second; return each call's duration."""
    durations = []
    start = time.monotonic()
    for n in range(count):
        delay = start + n / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        began = time.monotonic()
        log(n)
        durations.append(time.monotonic() - began)
    return durations


@contextmanager
def frozen_during(pid: int, freeze_at: float, thaw_at: float) -> Iterator[None]:
    """While the body runs: SIGSTOP `pid` after `freeze_at` s, SIGCONT it at `thaw_at` s
    (and in any case when the body ends)."""
    timers = [
        threading.Timer(freeze_at, os.kill, (pid, signal.SIGSTOP)),
        threading.Timer(thaw_at, os.kill, (pid, signal.SIGCONT)),
    ]
    for timer in timers:
        timer.start()
    try:
        yield
    finally:
        for timer in timers:
            timer.cancel()
        os.kill(pid, signal.SIGCONT)


@contextmanager
def restarted_during(daemon: Any, current: list[int], kill_at: float, down_for: float) -> Iterator[dict[str, float]]:
    """While the body runs: SIGKILL `daemon` after `kill_at` s, start it again `down_for` s
    later. Yields the marks: the message number `current[0]` at the kill, once dead, at the
    restart, once up ("kill", "dead", "restart", "up"), and the monotonic times once dead,
    at the restart and once listening again ("killed_at", "restart_at", "up_at"). The
    thread that starts the daemon must outlive its use (the daemon gets PR_SET_PDEATHSIG
    from its launcher): it waits for the body to end."""
    marks: dict[str, float] = {}
    finished = threading.Event()

    def chaos() -> None:
        time.sleep(kill_at)
        marks["kill"] = current[0]
        daemon.kill(signal.SIGKILL)  # returns once it has exited: its sockets are closed
        marks["killed_at"] = time.monotonic()
        marks["dead"] = current[0] + 1
        time.sleep(down_for)
        marks["restart"] = current[0] + 1
        marks["restart_at"] = time.monotonic()
        daemon.start()
        marks["up_at"] = time.monotonic()
        marks["up"] = current[0] + 1
        finished.wait(120)

    killer = threading.Thread(target=chaos)
    killer.start()
    try:
        yield marks
    finally:
        finished.set()
        killer.join()


def figures(name: str, **values: Any) -> None:
    """One line of figures on stdout (`pytest -s` shows them; the report quotes them)."""
    print(f"\nFIGURES {name}: " + ", ".join(f"{k}={v}" for k, v in values.items()))


# -- 1. A signal during a blocked send must not corrupt the stream --------------------------


class JobTimeout(Exception):
    """What a job runner's time limit raises from its SIGALRM handler."""


BIG = 2000  # characters per message while the daemon is frozen: ~2 200 buffered octets a call


class DaemonPeer:
    """A real daemon as the peer of test 1: frozen with SIGSTOP, thawed with SIGCONT."""

    def __init__(self, daemon: Any) -> None:
        self.daemon = daemon
        self.name = daemon.name
        self.url = daemon.url("tcp")

    def freeze(self) -> None:
        os.kill(self.daemon.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        os.kill(self.daemon.pid, signal.SIGCONT)

    def collect(self, want: int, last: str | None = None) -> list[str]:
        return collect(self.daemon, want, last)

    def faults(self) -> tuple[list[str], int]:
        """Frame faults seen (beyond garbled messages), and frames cut by a connection's end."""
        return [], self.daemon.internal_log().count("Incomplete frame")


class StrictPeer:
    """The strict octet-counting receiver as the peer of test 1: it reports every frame
    that is not exactly `LEN SP <PRI>...`, where a daemon may quietly resynchronise."""

    name = "strict"

    def __init__(self) -> None:
        self.receiver = StrictOctetReceiver()
        self.url = self.receiver.url

    def freeze(self) -> None:
        self.receiver.pause()

    def thaw(self) -> None:
        self.receiver.resume()

    def messages(self) -> list[dict[str, str]]:
        out = []
        for frame in self.receiver.report().frames:
            try:
                text = parse_5424(frame.body).msg.decode("utf-8", "replace")
            except AssertionError:  # not RFC 5424: garbage, shown as it came
                text = frame.body.decode("utf-8", "replace")
            out.append({"msg": text})
        return out

    def collect(self, want: int, last: str | None = None) -> list[str]:
        return collect(self, want, last)

    def faults(self) -> tuple[list[str], int]:
        bad = self.receiver.report().bad
        cut = [b for b in bad if "frame cut by the end of the connection" in b]
        return [b for b in bad if b not in cut], len(cut)

    def close(self) -> None:
        self.receiver.close()


@pytest.fixture(params=["rsyslog", "syslog-ng", "strict"])
def frozen_peer(request: pytest.FixtureRequest, rsyslog_factory: Any, syslog_ng_factory: Any) -> Iterator[Any]:
    if request.param == "strict":
        peer = StrictPeer()
        yield peer
        peer.close()
        return
    factory = rsyslog_factory if request.param == "rsyslog" else syslog_ng_factory
    yield DaemonPeer(started(factory(), "tcp", "tcp-octet"))


@pytest.mark.parametrize("interrupt", ["KeyboardInterrupt", "JobTimeout"])
def test_a_signal_during_a_blocked_send_does_not_corrupt_the_stream(
    frozen_peer: Any, fresh_logger: Any, interrupt: str
) -> None:
    """Promise "A stream is never corrupted": octet-counted TCP to a peer that stops reading
    (a daemon frozen with SIGSTOP; the strict receiver paused); a SIGALRM handler raises in
    the call that blocks on the full send buffer (^C with a 0.2 s timer, a job runner's 1 s
    time limit). The exception reaches the app within the limit; after the peer reads
    again, 200 more messages all arrive intact, once, in order, and the peer receives no
    garbled frame (only the interrupted message may arrive cut, its connection dropped)."""
    peer = frozen_peer
    exc_type: type[BaseException] = KeyboardInterrupt if interrupt == "KeyboardInterrupt" else JobTimeout
    limit = 0.2 if exc_type is KeyboardInterrupt else 1.0
    # The sink's own timeout is far longer than the limit: it is the signal that ends the wait.
    sink = SyslogSink(peer.url, timeout=5)
    fresh_logger.add(sink, format="{message}", catch=False)
    expected = {0: body(0)}
    fresh_logger.info(expected[0])
    peer.collect(1)

    fired: list[float] = []

    def on_alarm(signum: int, frame: Any) -> None:
        fired.append(time.monotonic())
        raise exc_type(f"job time limit of {limit} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    peer.freeze()
    interrupted, raised, took = None, False, 0.0
    try:
        for n in range(1, 20_000):  # up to ~44 MB; the kernel buffers hold ~4-8 MB
            expected[n] = body(n, BIG)
            began = time.monotonic()
            try:
                try:
                    signal.setitimer(signal.ITIMER_REAL, limit)
                    fresh_logger.info(expected[n])
                finally:
                    signal.setitimer(signal.ITIMER_REAL, 0)
            except exc_type:
                raised = True
            took = time.monotonic() - began
            if fired or raised:
                interrupted = n
                break
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        peer.thaw()
    assert interrupted is not None, "no call ever blocked: the test did not fill the send buffer"

    later = {100_000 + i: body(100_000 + i) for i in range(200)}
    for text in later.values():
        fresh_logger.info(text)
    cut = expected.pop(interrupted)
    want = len(expected) + len(later)
    received = peer.collect(want, last=later[100_199])
    # The interrupted message may arrive whole, or cut short (the connection dropped under it).
    received_cut = [t for t in received if t != cut and t.startswith(f"seq={interrupted} ") and cut.startswith(t)]
    interrupted_whole = received.count(cut)
    rest = [t for t in received if t != cut and t not in received_cut]
    before = tally([t for t in rest if 0 <= seq_of(t) < 100_000], expected)
    after = tally([t for t in rest if not 0 <= seq_of(t) < 100_000], later)
    bad_frames, frames_cut_by_close = peer.faults()
    stats = sink.stats
    figures(
        f"1 {peer.name} {interrupt}",
        interrupted_call=interrupted,
        call_seconds=f"{took:.3f}",
        limit=limit,
        exception_reached_app=raised,
        interrupted_message_whole=interrupted_whole,
        interrupted_message_cut=len(received_cut),
        frames_cut_by_close=frames_cut_by_close,
        bad_frames=f"{len(bad_frames)} {bad_frames[:2]}",
        before=before.figures(),
        later=after.figures(),
        stats=stats,
    )
    assert raised, f"the {interrupt} raised by the signal handler never reached the application (swallowed)"
    assert took < limit + 1.0, f"the interrupted call took {took:.2f} s with a {limit} s limit"
    assert not after.lost and not after.duplicated and not after.out_of_order, after.figures()
    assert not after.garbled and not before.garbled, (
        f"garbled frames: later {after.figures()}; before {before.figures()}"
    )
    assert not bad_frames, bad_frames[:5]
    assert not before.duplicated and not before.out_of_order, before.figures()
    assert len(received_cut) <= 1 and interrupted_whole + len(received_cut) <= 1
    assert frames_cut_by_close <= 1  # at most the interrupted frame, on the connection dropped for it
    # What the peer took whole is at most what the sink counted as sent (+ the interrupted one).
    assert before.intact + after.intact <= stats.sent + 1


# -- 2. A stalled peer costs neither order nor integrity -----------------------------------


@pytest.mark.parametrize("peer", ["rsyslog-tcp", "syslog-ng-tcp", "rsyslog-tls"])
def test_a_stalled_daemon_costs_neither_order_nor_integrity(
    rsyslog_factory: Any, syslog_ng_factory: Any, tls_certs: Any, fresh_logger: Any, peer: str
) -> None:
    """Promise "A stall is not a failure": 2000 msg/s for 4 s to the daemon over TCP (or
    TLS), frozen (SIGSTOP) from 1 s to 3 s, enough octets to fill the kernel buffers.
    Every message arrives exactly once, in order, whole; rsyslog reports no incomplete
    frame; no call waits longer than the timeout (+0.5 s)."""
    timeout, rate, count, size = 1.0, 2000, 8000, 2500
    if peer == "rsyslog-tls":
        rsyslog = started(rsyslog_factory(), "tls", "tls", **tls_input(tls_certs))
        url = f"tls://localhost:{rsyslog.port('tls')}"
        sink = SyslogSink(url, timeout=timeout, buffer_size=50_000, tls_ca_file=str(tls_certs.ca_file))
    else:
        factory, kind = (rsyslog_factory, "tcp") if peer == "rsyslog-tcp" else (syslog_ng_factory, "tcp-octet")
        rsyslog = started(factory(), "tcp", kind)
        sink = SyslogSink(rsyslog.url("tcp"), timeout=timeout, buffer_size=50_000)
    fresh_logger.add(sink, format="{message}", catch=False)
    expected = {n: body(n, size) for n in range(count)}
    with frozen_during(rsyslog.pid, freeze_at=1.0, thaw_at=3.0):
        durations = paced(rate, count, lambda n: fresh_logger.info(expected[n]))
    began = time.monotonic()
    fresh_logger.remove()  # stop(): what still waits goes out now
    stop_seconds = time.monotonic() - began
    result = tally(collect(rsyslog, count, last=expected[count - 1]), expected)
    incomplete = rsyslog.internal_log().count("Incomplete frame")
    stats = sink.stats
    slow = [d for d in durations if d > timeout + 0.5]
    figures(
        f"2 stall {peer}",
        result=result.figures(),
        incomplete_frames=incomplete,
        slowest_call=f"{max(durations):.3f}",
        calls_over_bound=len(slow),
        stop_seconds=f"{stop_seconds:.3f}",
        stats=stats,
    )
    assert not result.lost and not result.duplicated and not result.out_of_order, result.figures()
    assert not result.garbled and not result.notices, result.figures()
    assert incomplete == 0, "rsyslog saw a connection end inside a frame: " + rsyslog.internal_log()[-2000:]
    assert max(durations) < timeout + 0.5, f"{len(slow)} calls over {timeout + 0.5} s, slowest {max(durations):.2f} s"
    assert stats.dropped == 0 and stats.sent == count, stats


# -- 3. stop() is bounded and final ---------------------------------------------------------


def _wait_stable(read: Callable[[], int], settle: float = 0.3, timeout: float = 2.0) -> int:
    """Wait until read() has not changed for `settle` seconds (or `timeout`); return it."""
    deadline = time.monotonic() + timeout
    value, since = read(), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.05)
        now = read()
        if now != value:
            value, since = now, time.monotonic()
        elif time.monotonic() - since >= settle:
            break
    return value


def test_stop_against_a_peer_that_never_reads_is_bounded_and_final(fresh_logger: Any) -> None:
    """Promise "stop() is bounded and final": background writer, a peer that accepts and
    never reads, 80 MB logged. logger.remove() returns within stop_timeout + 1 s; then no
    sink thread is alive, and over 1.5 s the peer sees no new connection and no new byte."""
    baseline = sink_threads()
    peer = SilentPeer()
    try:
        stop_timeout = 1.0
        sink = SyslogSink(peer.url, background=True, stop_timeout=stop_timeout, timeout=0.5, max_message_size=65536)
        fresh_logger.add(sink, format="{message}", catch=False)
        for n in range(10_000):  # 80 MB: many times what the socket buffers hold (~4 MB)
            fresh_logger.info(body(n, 8000))
        _wait_stable(peer.pending_bytes, settle=0.2, timeout=1.0)  # the writer is blocked
        began = time.monotonic()
        fresh_logger.remove()
        took = time.monotonic() - began
        connections_at_stop, bytes_at_stop = peer.connections, peer.pending_bytes()
        deadline = time.monotonic() + 0.25  # the thread may take a moment to end after the join
        while sink_threads(besides=baseline) and time.monotonic() < deadline:
            time.sleep(0.01)
        alive = [t.name for t in sink_threads(besides=baseline)]
        most_bytes = bytes_at_stop
        end = time.monotonic() + 1.5
        while time.monotonic() < end:
            most_bytes = max(most_bytes, peer.pending_bytes())
            time.sleep(0.05)
        stats = sink.stats
        figures(
            "3 stop vs silent peer",
            remove_seconds=f"{took:.3f}",
            threads_alive_after=alive,
            connections_at_stop=connections_at_stop,
            connections_after=peer.connections,
            bytes_at_stop=bytes_at_stop,
            bytes_after=most_bytes,
            stats=stats,
        )
        assert took < stop_timeout + 1.0, f"logger.remove() took {took:.2f} s with stop_timeout={stop_timeout}"
        assert not alive, f"sink threads still running after stop(): {alive}"
        assert peer.connections == connections_at_stop, (
            f"{peer.connections - connections_at_stop} connections opened after stop()"
        )
        assert most_bytes <= bytes_at_stop, f"{most_bytes - bytes_at_stop} octets sent after stop()"
    finally:
        fresh_logger.remove()
        peer.close()


def test_the_same_sink_added_again_after_a_stalled_stop_works_as_new_with_one_writer(
    rsyslog_factory: Any, fresh_logger: Any
) -> None:
    """Promise "stop() is bounded and final", second half: stop() against a frozen rsyslog
    (SIGSTOP, 60 MB queued), then SIGCONT and the same sink added again: one writer thread,
    one connection, and 2000 messages arrive exactly once, in order, whole."""
    baseline = sink_threads()
    rsyslog = started(rsyslog_factory(), "tcp", "tcp")
    port = rsyslog.port("tcp")
    stop_timeout = 1.0
    sink = SyslogSink(rsyslog.url("tcp"), background=True, stop_timeout=stop_timeout, timeout=0.5)
    fresh_logger.add(sink, format="{message}", catch=False)
    fresh_logger.info(body(0))
    rsyslog.wait_for(1)
    os.kill(rsyslog.pid, signal.SIGSTOP)
    try:
        for n in range(1, 10_001):  # 60 MB: many times what the socket buffers hold (~4 MB)
            fresh_logger.info(body(n, 6000))
        time.sleep(0.5)  # the writer is blocked on the full buffers
        began = time.monotonic()
        fresh_logger.remove()
        took = time.monotonic() - began
    finally:
        os.kill(rsyslog.pid, signal.SIGCONT)
    collect(rsyslog, 10_001, quiet=1.0, timeout=5)  # whatever phase one delivers, let it land
    stats_before = sink.stats

    # Phase two: the same object, added again.
    expected = {100_000 + i: body(100_000 + i) for i in range(2000)}
    writers: list[int] = []
    connections: set[int] = set()
    sampling = threading.Event()

    def sample() -> None:
        while not sampling.is_set():
            writers.append(len(sink_threads(include_helpers=False, besides=baseline)))
            connections.update(own_connections(port))
            time.sleep(0.005)

    fresh_logger.add(sink, format="{message}", catch=False)
    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        for text in expected.values():
            fresh_logger.info(text)
        time.sleep(0.5)
    finally:
        sampling.set()
        sampler.join()
    writers_before_remove = len(sink_threads(include_helpers=False, besides=baseline))
    fresh_logger.remove()
    received = collect(rsyslog, 0, last=expected[101_999], quiet=2.0)
    phase_two = [t for t in received if not 0 <= seq_of(t) < 100_000]
    result = tally(phase_two, expected)
    stats = sink.stats
    figures(
        "3 re-add",
        first_remove_seconds=f"{took:.3f}",
        writer_threads_seen=sorted(Counter(writers).items()),
        writer_threads_at_end=writers_before_remove,
        connections_seen=len(connections),
        result=result.figures(),
        reconnects=stats.reconnects - stats_before.reconnects,
        errors=stats.errors - stats_before.errors,
        stats=stats,
    )
    assert took < stop_timeout + 1.0, f"logger.remove() took {took:.2f} s with stop_timeout={stop_timeout}"
    assert max(writers) == 1 and 1 in writers, f"writer threads seen (count: samples): {Counter(writers)}"
    assert len(connections) == 1, f"{len(connections)} connections to the daemon in phase two"
    assert stats.errors == stats_before.errors, (stats_before, stats)
    assert not result.lost and not result.duplicated and not result.out_of_order, result.figures()
    assert not result.garbled, result.figures()


# -- 4. stdout is bounded by the timeout ----------------------------------------------------

_CHILD = r"""
import sys, time
from loguru import logger
from loguru_syslog import SyslogSink

logger.remove()
sink = SyslogSink.from_env(timeout=0.5, **OPTIONS)
logger.add(sink, format="{message}", catch=False)
line = "x" * 2000
worst = 0.0
began = time.monotonic()
for n in range(1000):  # ~2 MB; the pipe holds 64 KiB
    t = time.monotonic()
    logger.info(f"seq={n} {line}")
    worst = max(worst, time.monotonic() - t)
    if n % 10 == 9:  # progress, so a child killed at the limit still tells how far it got
        sys.stderr.write(f"PROGRESS calls={n + 1} seconds={time.monotonic() - began:.3f} worst_call={worst:.3f}\n")
        sys.stderr.flush()
logged = time.monotonic() - began
t = time.monotonic()
logger.remove()
removed = time.monotonic() - t
sys.stderr.write(f"RESULT logged={logged:.3f} worst_call={worst:.3f} remove={removed:.3f} stats={sink.stats}\n")
sys.stderr.flush()
"""


@pytest.mark.parametrize("mode", ["direct", "background"])
def test_stdout_that_nobody_reads_is_bounded_by_the_timeout(tmp_path: Any, mode: str) -> None:
    """Promise "Every transport is bounded by timeout, stdout included": a child logging
    ~2 MB to SYSLOG_URL=stdout, a pipe the parent never reads, timeout=0.5 (and
    background=True, stop_timeout=1): the child finishes within 10 s, no call waits longer
    than timeout + 1 s, and remove() returns within stop_timeout + 1 s."""
    options: dict[str, Any] = {} if mode == "direct" else {"background": True, "stop_timeout": 1}
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(loguru_syslog.__file__)))
    env = dict(os.environ, SYSLOG_URL="stdout")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    errors = tmp_path / "stderr.txt"
    limit = 10.0
    with open(errors, "wb") as err:
        child = subprocess.Popen(
            [sys.executable, "-c", _CHILD.replace("OPTIONS", repr(options))],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,  # never read
            stderr=err,
            env=env,
        )
        began = time.monotonic()
        try:
            child.wait(timeout=limit)
            finished = True
        except subprocess.TimeoutExpired:
            finished = False
            child.kill()
            child.wait()
        finally:
            seconds = time.monotonic() - began
            assert child.stdout is not None
            child.stdout.close()
    output = errors.read_text(errors="replace")
    found = re.search(r"RESULT logged=([\d.]+) worst_call=([\d.]+) remove=([\d.]+)", output)
    figures(
        f"4 stdout {mode}",
        finished=finished,
        child_seconds=f"{seconds:.2f}",
        child_said=output.strip().splitlines()[-1:],
    )
    assert finished, (
        f"the child logging to an unread stdout pipe was still running after {limit} s (killed); "
        f"it said: {output.strip().splitlines()[-1:]}"
    )
    assert child.returncode == 0 and found, output[-2000:]
    worst_call, removed = float(found[2]), float(found[3])
    assert worst_call < 0.5 + 1.0, f"a call took {worst_call} s with timeout=0.5"
    assert removed < (1.0 if mode == "background" else 3.0) + 1.0, f"remove() took {removed} s"


# -- 5. A short daemon restart under load drops nothing from the sink's buffer --------------


def test_a_short_daemon_restart_under_load_drops_nothing_from_the_sinks_buffer(
    rsyslog_factory: Any, fresh_logger: Any
) -> None:
    """Promise "A short daemon restart under load drops nothing from the sink's own buffer
    (defaults sized for it)": default settings, 2000 msg/s for 5 s to rsyslog over TCP,
    rsyslog SIGKILLed at 1.5 s and started again 1 s later. The sink drops nothing; every
    message logged once the daemon was dead arrives, once and in order; what is missing was
    all logged before it died (what the dead daemon had taken)."""
    rsyslog = started(rsyslog_factory(), "tcp", "tcp")
    sink = SyslogSink(rsyslog.url("tcp"))  # the defaults are the point
    fresh_logger.add(sink, format="{message}", catch=False)
    rate, count = 2000, 10_000
    expected = {n: body(n) for n in range(count)}
    current = [0]

    def log(n: int) -> None:
        current[0] = n
        fresh_logger.info(expected[n])

    with restarted_during(rsyslog, current, kill_at=1.5, down_for=1.0) as marks:
        durations = paced(rate, count, log)
        stats_at_end = sink.stats
        fresh_logger.remove()
        result = tally(collect(rsyslog, count, last=expected[count - 1]), expected)
    stats = sink.stats
    after_death = [n for n in result.lost if n >= marks["dead"]]
    after_restart = [n for n in result.lost if n >= marks["restart"]]
    figures(
        "5 restart",
        marks=marks,
        result=result.figures(),
        lost_logged_before_kill=len([n for n in result.lost if n <= marks["kill"]]),
        lost_logged_after_death=len(after_death),
        lost_logged_after_restart_began=len(after_restart),
        slowest_call=f"{max(durations):.3f}",
        stats_before_remove=stats_at_end,
        stats=stats,
    )
    assert stats.dropped == 0, f"the sink itself dropped {stats.dropped} messages: {result.figures()}"
    assert not after_death, f"{len(after_death)} messages logged after the daemon died are missing: {result.figures()}"
    assert not result.duplicated and not result.out_of_order and not result.garbled, result.figures()


# -- 6. A peer that accepts and closes at once gets no connection storm ---------------------


@pytest.mark.parametrize("when", ["at-once", "after-first-data"])
def test_a_peer_that_closes_every_connection_at_once_gets_no_connection_storm(fresh_logger: Any, when: str) -> None:
    """Promise "Reconnect with exponential backoff": connections that die right after
    opening are failures too (whether the close comes before the first send or right after
    it); 1000 messages over 1.3 s make at most 15 connections."""
    peer = ClosingPeer(after_first_data=when == "after-first-data")
    try:
        sink = SyslogSink(peer.url, timeout=0.5)
        fresh_logger.add(sink, format="{message}", catch=False)
        paced(1000 / 1.3, 1000, lambda n: fresh_logger.info(body(n)))
        time.sleep(0.1)
        figures(f"6 closing peer {when}", connections=peer.connections, stats=sink.stats)
        assert peer.connections <= 15, f"{peer.connections} connections for 1000 messages in 1.3 s"
    finally:
        fresh_logger.remove()
        peer.close()


# -- 7. RFC 3164 over UDP: 1024 octets unless told otherwise ---------------------------------


def test_rfc3164_over_udp_is_cut_at_1024_octets_unless_max_message_size_is_set(
    udp_receiver: Any, fresh_logger: Any
) -> None:
    """API.md: max_message_size "with header="rfc3164" at most 1024 (RFC 3164 section 4.1)
    unless set explicitly"."""
    sink = SyslogSink(udp_receiver.url, header="rfc3164")
    fresh_logger.add(sink, format="{message}", catch=False)
    fresh_logger.info("y" * 3000)
    [packet] = udp_receiver.receive(1)
    fresh_logger.remove()
    assert len(packet) == 1024 and sink.stats.truncated == 1, (len(packet), sink.stats)

    explicit = SyslogSink(udp_receiver.url, header="rfc3164", max_message_size=2048)
    fresh_logger.add(explicit, format="{message}", catch=False)
    fresh_logger.info("y" * 3000)
    [packet] = udp_receiver.receive(1)
    assert len(packet) == 2048


# -- 8. An extra whose str() raises costs neither the severity nor the other extras ----------


class Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no text for this object")


def test_an_unprintable_msgid_keeps_the_severity_and_the_other_extras(udp_receiver: Any, fresh_logger: Any) -> None:
    sink = SyslogSink(udp_receiver.url)  # rfc5424, facility user (1)
    fresh_logger.add(sink, format="{message}", catch=False)
    fresh_logger.bind(msgid=Unprintable(), user="alice", request=42).error("x")
    [packet] = udp_receiver.receive(1)
    message = parse_5424(packet)
    assert message.pri == 1 * 8 + 3, f"severity {message.pri % 8}, not 3 (err): {packet!r}"
    params = {name: value for element in message.sd.values() for name, value in element}
    assert params.get("user") == "alice" and params.get("request") == "42", packet
    assert message.msg.lstrip(b"\xef\xbb\xbf") == b"x", packet


# -- 8b. spawn / forkserver children: the sink is pickled and rebuilt -------------------------------


def _spawned_child(sink: SyslogSink, count: int) -> None:
    from loguru import logger

    logger.remove()
    logger.add(sink, format="{message}", catch=False)
    for i in range(count):
        logger.info(f"child seq={i}")
    logger.remove()


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_a_spawned_child_rebuilds_the_sink_and_opens_its_own_connection(
    rsyslog_factory: Any, fresh_logger: Any, method: str
) -> None:
    import multiprocessing

    rsyslog = started(rsyslog_factory(), "tcp", "tcp")
    sink = SyslogSink(rsyslog.url("tcp"), app_name="parent", facility="local3")
    fresh_logger.add(sink, format="{message}", catch=False)
    fresh_logger.info("parent before")
    child = multiprocessing.get_context(method).Process(target=_spawned_child, args=(sink, 50))
    child.start()
    child.join(30)
    assert child.exitcode == 0
    fresh_logger.info("parent after")
    got = rsyslog.wait_for(52)
    from_child = [m for m in got if m["msg"].startswith("child")]
    assert [m["msg"] for m in from_child] == [f"child seq={i}" for i in range(50)]
    # Rebuilt from the same configuration, in the child's own process.
    assert {(m["app_name"], m["facility"]) for m in from_child} == {("parent", 19)}
    assert {m["procid"] for m in from_child} == {str(child.pid)}
    assert [m["msg"] for m in got if m["msg"].startswith("parent")] == ["parent before", "parent after"]


def test_a_sink_that_cannot_cross_a_process_boundary_says_so() -> None:
    import pickle
    import ssl

    from loguru_syslog import MemoryTransport

    for sink in (
        SyslogSink(transport=MemoryTransport()),
        SyslogSink("tls://logs.example.com", tls_context=ssl.create_default_context()),
    ):
        with pytest.raises(TypeError, match=r"cannot be pickled for a child process.*enqueue=True"):
            pickle.dumps(sink)


@pytest.mark.parametrize(
    "make",
    [
        lambda: SyslogSink("tls://127.0.0.1:6514", tls_verify=False),
        lambda: SyslogSink("tls://127.0.0.1:6514?tls_verify=off"),
        lambda: SyslogSink.from_env(environ={"SYSLOG_URL": "tls://127.0.0.1:6514", "SYSLOG_TLS_VERIFY": "no"}),
    ],
    ids=["argument", "query", "environment"],
)
def test_turning_tls_verification_off_warns_once(make: Callable[[], SyslogSink]) -> None:
    import warnings

    from loguru_syslog import SyslogConfigWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        make()
    found = [w for w in caught if issubclass(w.category, SyslogConfigWarning)]
    assert len(found) == 1 and "tls_verify is off" in str(found[0].message)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        SyslogSink("tls://127.0.0.1:6514")
    assert not [w for w in caught if issubclass(w.category, SyslogConfigWarning)]
