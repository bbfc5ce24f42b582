"""Where the microseconds go on the hot path: loguru + SyslogSink, UDP, rfc5424, direct mode.

    python benchmarks/profile_hot_path.py [--calls N] [--runs N] [--section NAME ...] [--quick]

Prints (markdown) the numbers benchmarks/PROFILE.md is written from:

- `cprofile`: loguru + the sink (UDP, then TCP) under cProfile (the shape: which functions, how often,
  their own time);
- `parts`: each stage of the real code timed alone with timeit: `SyslogSink.write` (UDP,
  TCP), `Formatter.format`, `Delivery.send`, the transport's `send`, next to the raw syscall;
- `insitu`: the same stages as loguru sinks (tight loops flatter small functions:
  inside loguru the caches are cold and every record is new), next to a hand-written
  sink that only sends;
- `background`: background=True with a healthy TCP peer and loguru at full speed,
  default queue_size: queue depth and drops per run, at three GIL switch intervals;
  then bare `write()` bursts;
- `rsyslog`: the sink alone (no loguru) into rsyslogd over TCP, end to end.

It holds no copy of the hot path: every figure is the package's own code. The sink is
driven through its public seams only: a real UDP socket on loopback, `transport=` with
a `Transport` subclass that drops what it is given (to time our Python code without
the syscall), `sink.transport`, `sink.config`, `sink.stats`. `Formatter` and `Delivery`
are timed alone by building them from `sink.config` the way `SyslogSink` does (the
only internal names used, imported from their modules); each is checked to produce
exactly what the sink sends, so a change in the sink's wiring fails here instead of
silently measuring something else (`--quick` runs every section and every check; the
benchmark smoke test runs it).
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import pstats
import socket
import statistics
import sys
import tempfile
import time
import timeit
from pathlib import Path
from typing import Any, Callable

from loguru import logger
from receivers import Receivers, ReceiverSpec
from rsyslog import Rsyslog, find_rsyslogd

import loguru_syslog
from loguru_syslog import MemoryTransport, SyslogSink, Transport
from loguru_syslog._core import Core
from loguru_syslog._delivery import Delivery
from loguru_syslog._format import Formatter

MESSAGE = "user 4242 logged in from 127.0.0.1 via password, session 7f3a9c"
FORMAT = "{message}"
REPEAT = 7
#: GIL switch intervals the background section compares (seconds); the first is the default.
SWITCH_INTERVALS = (sys.getswitchinterval(), 0.001, 0.02)


def per_call_us(function: Callable[[], object], number: int) -> tuple[float, float]:
    """(median, min) microseconds per call over REPEAT runs of `number` calls."""
    runs = timeit.repeat(function, number=number, repeat=REPEAT)
    per_call = [run / number * 1e6 for run in runs]
    return statistics.median(per_call), min(per_call)


def captured_message(bound: dict[str, Any] | None = None) -> Any:
    """A real loguru message (a str with .record), as our sink receives it."""
    seen: list[Any] = []
    handler = logger.add(seen.append, format=FORMAT)
    (logger.bind(**bound) if bound else logger).info(MESSAGE)
    logger.remove(handler)
    return seen[0]


def table(rows: list[tuple[str, float, float]]) -> None:
    print("| what | median us/call | min |")
    print("| --- | ---: | ---: |")
    for name, median, low in rows:
        print(f"| {name} | {median:.3f} | {low:.3f} |")
    print()


# -- the objects timed: the package's own, through its public seams --------------------------


class NullTransport(Transport):
    """A datagram transport that drops what it is given: with it, what is timed is our
    Python code above the socket (the syscall costs ~3 us and moves by +-0.5 us from run
    to run on this machine). `datagram=False` makes it look like a stream to the delivery
    (which then takes its locked policy path instead of the lock-free datagram one)."""

    def __init__(self, *, datagram: bool = True) -> None:
        self.datagram = datagram

    def send(self, message: bytes) -> None:
        pass


def udp_sink(port: int, scheme: str = "udp") -> SyslogSink:
    """A sink on a real UDP (or TCP) socket, connected and with its caches filled."""
    sink = SyslogSink(f"{scheme}://127.0.0.1:{port}", app_name="bench")
    sink.write(captured_message())
    assert sink.stats.sent == 1 and not sink.stats.errors, sink.stats
    return sink


def null_sink(datagram: bool = True) -> SyslogSink:
    """A sink whose transport drops everything (see NullTransport), warmed up."""
    sink = SyslogSink(transport=NullTransport(datagram=datagram), app_name="bench")
    sink.write(captured_message())
    assert sink.stats.sent == 1 and not sink.stats.errors, sink.stats
    return sink


def formatter_of(sink: SyslogSink) -> Formatter:
    """A formatter with the sink's settings, from the same core the sink is built on."""
    return Core(sink.config).formatter


def delivery_for(sink: SyslogSink, transport: Transport) -> Delivery:
    """A Delivery over `transport` with the sink's settings, from the same core."""
    return Core(dataclasses.replace(sink.config, transport=transport)).delivery


def check_rebuilt_parts() -> None:
    """The formatter and delivery built here send exactly what the sink sends."""
    message = captured_message()
    memory, other = MemoryTransport(), MemoryTransport()
    sink = SyslogSink(transport=memory, app_name="bench")
    sink.write(message)
    delivery = delivery_for(sink, other)
    delivery.send(formatter_of(sink).format(message, message.record))
    assert memory.messages and memory.messages == other.messages, (memory.messages, other.messages)
    sink.stop()
    delivery.close(time.monotonic() + 1)


# -- sections ------------------------------------------------------------------------------


def section_cprofile(ports: dict[str, int], calls: int) -> None:
    for scheme in ("udp", "tcp"):
        profile_sink(scheme, ports[scheme], calls)


def profile_sink(scheme: str, port: int, calls: int) -> None:
    print(f"## cProfile: {calls} x logger.info, loguru + SyslogSink {scheme.upper()} rfc5424 (direct)\n")
    sink = SyslogSink(f"{scheme}://127.0.0.1:{port}", app_name="bench")
    handler = logger.add(sink, format=FORMAT)
    for _ in range(1000):
        logger.info(MESSAGE)
    profiler = cProfile.Profile()
    info = logger.info
    profiler.enable()
    for _ in range(calls):
        info(MESSAGE)
    profiler.disable()
    logger.remove(handler)
    assert sink.stats.sent == calls + 1000 and not sink.stats.errors, sink.stats
    stats = pstats.Stats(profiler)
    rows = []
    total = 0.0
    for (filename, line, function), (_, ncalls, tottime, cumtime, _) in stats.stats.items():  # type: ignore[attr-defined]
        total += tottime
        if "loguru_syslog" in filename or "socket" in function or "lock" in function or "select" in function:
            where = f"{Path(filename).name}:{line} {function}" if line else function
            rows.append((tottime, cumtime, ncalls, where))
    rows.sort(reverse=True)
    assert any("_format.py" in row[3] for row in rows), "the formatter did not show up in the profile"
    print(f"total profiled time: {total / calls * 1e6:.2f} us per logger.info (profiler overhead included)\n")
    print("| function | calls per log call | own us/log call | cumulative us/log call |")
    print("| --- | ---: | ---: | ---: |")
    for tottime, cumtime, ncalls, where in rows[:20]:
        print(f"| `{where}` | {ncalls / calls:.2f} | {tottime / calls * 1e6:.3f} | {cumtime / calls * 1e6:.3f} |")
    print()


def section_parts(port: int, tcp_port: int, number: int) -> None:
    print(f"## Stages timed alone (timeit, median and min of {REPEAT} x {number} calls, real objects)\n")
    check_rebuilt_parts()
    message = captured_message()
    record = message.record
    bound = captured_message({"request_id": "7f3a9c"})
    real, null, tcp = udp_sink(port), null_sink(), udp_sink(tcp_port, "tcp")
    formatter = formatter_of(null)
    data = formatter.format(message, record)
    transport, tcp_transport = real.transport, tcp.transport  # connected by the sinks' first message
    fast, locked = delivery_for(null, NullTransport()), delivery_for(null, NullTransport(datagram=False))
    fast.send(data)  # connects: from now on the lock-free datagram path
    locked.send(data)
    raw = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    raw.connect(("127.0.0.1", port))
    address = ("127.0.0.1", port)

    class Empty:
        def call(self, value: object) -> None:
            pass

    empty = Empty()
    rows = [
        ("SyslogSink.write(message), real UDP socket", lambda: real.write(message)),
        ("raw sock.send(data), connected UDP socket (the syscall)", lambda: raw.send(data)),
        ("raw sock.sendto(data, address), unconnected (the run.py floor)", lambda: raw.sendto(data, address)),
        ("  sink.transport.send(data): UDPTransport (SocketTransport.send), real socket", lambda: transport.send(data)),
        ("SyslogSink.write(message), real TCP socket", lambda: tcp.write(message)),
        ("  sink.transport.send(data): TCPTransport (octet counting), real socket", lambda: tcp_transport.send(data)),
        ("SyslogSink.write(message), NullTransport: **our Python code**", lambda: null.write(message)),
        (
            f"  Formatter.format(message, record), cache hit ({len(data)} octets)",
            lambda: formatter.format(message, record),
        ),
        ("  Delivery.send(data), NullTransport (lock-free datagram path)", lambda: fast.send(data)),
        ("  Delivery.send(data), NullTransport(datagram=False) (the locked policy)", lambda: locked.send(data)),
        (
            "SyslogSink.write, a record with one bound extra (structured data), NullTransport",
            lambda: null.write(bound),
        ),
        ("(scale) an empty Python method call", lambda: empty.call(data)),
        ("(scale) the lambda wrapper alone (included in every row)", lambda: None),
    ]
    table([(name, *per_call_us(function, number)) for name, function in rows])
    # A cache miss (once a second per level), through the real format(): records of two
    # seconds in turn, so that every call builds the level's cache entry again.
    other = {**record, "time": record["time"].replace(year=record["time"].year + 1)}
    missing = formatter_of(null)

    def cache_miss(format: Callable[..., bytes] = missing.format) -> None:
        format(message, record)
        format(message, other)

    median, low = per_call_us(cache_miss, max(number // 10, 1))
    print(f"A cache miss (`Formatter.format` of a record of a new second): {median / 2:.3f} us (min {low / 2:.3f})\n")
    for sink in (real, null, tcp):
        sink.stop()
    for delivery in (fast, locked):
        delivery.close(time.monotonic() + 1)
    raw.close()


def _in_loguru(variants: dict[str, Callable[[Any], None]], rounds: int, calls: int, warm: int = 500) -> None:
    """Each variant as a loguru sink, interleaved; the first variant is the baseline."""
    results: dict[str, list[float]] = {name: [] for name in variants}
    info = logger.info
    for _ in range(rounds):
        for name, function in variants.items():
            handler = logger.add(function, format=FORMAT)
            for _ in range(warm):
                info(MESSAGE)
            start = time.perf_counter()
            for _ in range(calls):
                info(MESSAGE)
            results[name].append((time.perf_counter() - start) / calls * 1e6)
            logger.remove(handler)
    base_name = next(iter(variants))
    base = statistics.median(results[base_name])
    print(f"| sink | us/call | minus `{base_name}` | min..max of rounds |")
    print("| --- | ---: | ---: | ---: |")
    for name, values in results.items():
        value = statistics.median(values)
        print(f"| {name} | {value:.2f} | {value - base:.2f} | {min(values):.2f}..{max(values):.2f} |")
    print()


def section_insitu(port: int, rounds: int = 9, calls: int = 20_000) -> None:
    """The same stages as loguru sinks: timed in a tight loop they look ~2x cheaper than inside
    loguru (hot caches, one reused record); this is what an application pays."""
    print(f"## Inside loguru: each variant as the sink (interleaved, median of {rounds} rounds of {calls} calls)\n")
    null, real = null_sink(), udp_sink(port)
    formatter = formatter_of(null)
    delivery = delivery_for(null, NullTransport())
    message = captured_message()
    delivery.send(formatter.format(message, message.record))  # connects: the lock-free path from now on
    raw = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    raw.connect(("127.0.0.1", port))

    def noop(message: Any) -> None:
        pass

    def format_only(message: Any, format: Callable[..., bytes] = formatter.format) -> None:
        format(message, message.record)

    def format_and_deliver(
        message: Any, format: Callable[..., bytes] = formatter.format, deliver: Callable[[bytes], None] = delivery.send
    ) -> None:
        deliver(format(message, message.record))

    def hand_written(message: Any, send: Callable[[bytes], int] = raw.send) -> None:
        send(message.encode())  # no header at all: the floor of any sink that sends

    _in_loguru(
        {
            "no-op sink (the floor)": noop,
            "Formatter.format only": format_only,
            "Formatter.format + Delivery.send, NullTransport": format_and_deliver,
            "SyslogSink.write, NullTransport": null.write,
            "SyslogSink.write, real UDP": real.write,
            "hand-written: sock.send(message.encode()), real UDP": hand_written,
        },
        rounds,
        calls,
    )
    null.stop()
    real.stop()
    delivery.close(time.monotonic() + 1)
    raw.close()


def _background_run(port: int, producer: str, count: int, queue_size: int) -> tuple[float, int, int, int]:
    """One run: (us per call, peak queued, dropped, sent). The peak is sampled every 100 calls."""
    sink = SyslogSink(f"tcp://127.0.0.1:{port}", app_name="bench", background=True, queue_size=queue_size)
    handler = logger.add(sink, format=FORMAT)
    call = logger.info if producer == "logger.info" else sink.write
    argument = MESSAGE if producer == "logger.info" else captured_message()
    for _ in range(300):
        call(argument)
    peak, elapsed = 0, 0.0
    for _ in range(max(count // 100, 1)):
        start = time.perf_counter()
        for _ in range(100):
            call(argument)
        elapsed += time.perf_counter() - start
        queued = sink.stats.queued
        if queued > peak:
            peak = queued
    logger.remove(handler)  # stop(): sends what is queued
    stats = sink.stats
    return elapsed / count * 1e6, peak, stats.dropped, stats.sent


def section_background(port: int, runs: int, count: int = 100_000) -> None:
    print(f"## background=True with a healthy peer (TCP to the polling receiver, {count} messages a run)\n")
    print(f"### logger.info at full speed, default queue_size=10000, buffer_size=1000: {runs} runs\n")
    print("| run | us/call | peak queued | dropped | sent |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    per_call, peaks, drops = [], [], []
    for run in range(1, runs + 1):
        us, peak, dropped, sent = _background_run(port, "logger.info", count, 10_000)
        per_call.append(us)
        peaks.append(peak)
        drops.append(dropped)
        print(f"| {run} | {us:.2f} | {peak} | {dropped} | {sent} |")
    print()
    print(
        f"Summary: {sum(1 for d in drops if d)} of {runs} runs dropped, {sum(drops)} messages in all "
        f"({sum(drops) / count / runs:.3%}); us/call median {statistics.median(per_call):.2f}; peak queued "
        f"min {min(peaks)}, median {statistics.median(peaks):.0f}, max {max(peaks)}; "
        f"runs with a peak above 5000: {sum(1 for p in peaks if p > 5000)}\n"
    )

    # The writer needs the GIL back after each syscall (the peer-close check, each send); with the
    # application thread busy in Python it gets it after sys.getswitchinterval() (5 ms by default).
    # So a writer turn costs a few switch intervals whatever its size: the interval sets the margin.
    each = max(runs // 4, 1)
    default = sys.getswitchinterval()
    print(f"### The GIL switch interval, interleaved: {each} runs each\n")
    print("| switch interval | us/call | peak queued (each run, sorted) | runs that dropped | dropped |")
    print("| ---: | ---: | --- | ---: | ---: |")
    compared: dict[float, list[tuple[float, int, int, int]]] = {interval: [] for interval in SWITCH_INTERVALS}
    try:
        for _ in range(each):
            for interval, results in compared.items():
                sys.setswitchinterval(interval)
                results.append(_background_run(port, "logger.info", count, 10_000))
    finally:
        sys.setswitchinterval(default)
    for interval, results in compared.items():
        peaks_text = ", ".join(str(peak) for peak in sorted(r[1] for r in results))
        print(
            f"| {interval * 1000:g} ms | {statistics.median(r[0] for r in results):.2f} | {peaks_text} "
            f"| {sum(1 for r in results if r[2])} | {sum(r[2] for r in results)} |"
        )
    print()

    print("### Bursts of bare sink.write() (no loguru in front): 3 runs each\n")
    print("| producer | queue_size | us/call | peak queued | dropped (all runs) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for queue_size in (10_000, count):
        results = [_background_run(port, "sink.write", count, queue_size) for _ in range(3)]
        dropped = sum(r[2] for r in results)
        print(
            f"| sink.write burst | {queue_size} | {statistics.median(r[0] for r in results):.2f} "
            f"| {max(r[1] for r in results)} | {dropped} ({dropped / count / 3:.1%}) |"
        )
    print()


def section_rsyslog(count: int = 100_000) -> None:
    """How fast the sink alone (no loguru in front) gets messages into rsyslogd over TCP."""
    binary = find_rsyslogd()
    if binary is None:
        print("## Into rsyslogd without loguru: skipped (rsyslogd not found)\n")
        return
    print(f"## Into rsyslogd over TCP, SyslogSink.write in a loop without loguru ({count} messages)\n")
    message = captured_message()
    print("| mode | write() calls/s | end to end msgs/s | lines written | dropped |")
    print("| --- | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory(prefix="loguru-syslog-profile-") as tmp:
        daemon = Rsyslog(binary, Path(tmp))
        daemon.start()
        try:
            for label, options in (
                ("direct", {}),
                ("background=True (queue_size 10000)", {"background": True}),
                (f"background=True, queue_size={count}", {"background": True, "queue_size": count}),
            ):
                sink = SyslogSink(f"tcp://127.0.0.1:{daemon.port}", app_name="bench", **options)
                daemon.mark()
                for _ in range(300):
                    sink.write(message)
                daemon.wait_for(300, timeout=10)
                daemon.mark()
                write = sink.write
                start = time.perf_counter()
                for _ in range(count):
                    write(message)
                calls = time.perf_counter() - start
                seen, done = daemon.wait_for(count, timeout=60)
                sink.stop()
                print(
                    f"| {label} | {count / calls:,.0f} | {seen / (done - start):,.0f} | {seen} | {sink.stats.dropped} |"
                )
        finally:
            daemon.stop()
    print()


SECTIONS = ("cprofile", "parts", "insitu", "background", "rsyslog")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100_000, help="calls per measurement (cprofile, parts)")
    parser.add_argument("--runs", type=int, default=20, help="runs of 100,000 messages in the background section")
    parser.add_argument("--section", choices=SECTIONS, action="append", help="only these sections")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tiny counts everywhere: only checks that every section still runs (the figures mean nothing)",
    )
    args = parser.parse_args(argv)
    # (calls, rounds and calls inside loguru, background runs and messages per run, rsyslog messages)
    if args.quick:
        calls, rounds, loguru_calls, runs, count = 1000, 1, 500, 1, 1000
    else:
        calls, rounds, loguru_calls, runs, count = args.calls, 9, 20_000, args.runs, 100_000
    logger.remove()
    print(f"loguru-syslog {loguru_syslog.__version__}, Python {sys.version.split()[0]}\n")
    receivers = Receivers(ReceiverSpec(udp=["udp"], tcp=["tcp"]))
    try:
        port = receivers.ports["udp"]
        for name in args.section or SECTIONS:
            if name == "cprofile":
                section_cprofile(receivers.ports, calls)
            elif name == "parts":
                section_parts(port, receivers.ports["tcp"], calls)
            elif name == "insitu":
                section_insitu(port, rounds, loguru_calls)
            elif name == "background":
                section_background(receivers.ports["tcp"], runs, count)
            else:
                section_rsyslog(count)
    finally:
        receivers.stop()


if __name__ == "__main__":
    main()
