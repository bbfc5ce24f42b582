"""Where the microseconds go on the hot path: loguru + SyslogSink, UDP, rfc5424, direct mode.

    python benchmarks/profile_hot_path.py [--calls N] [--runs N] [--section NAME ...] [--quick]

Prints (markdown) the numbers benchmarks/PROFILE.md is written from:

- `cprofile`: loguru + the sink under cProfile (the shape: which functions, how often);
- `parts`: each stage of the current code timed alone with timeit on the real objects;
  a stub socket (`send` = a C builtin) separates our Python code from the syscall;
- `insitu`: the same stages as loguru sinks (tight loops flatter small functions:
  inside loguru the caches are cold and every record is new), next to a hand-written
  sink and to `inlined_fast_path`, the whole fast path in one function (what is left
  to gain from removing Python frames);
- `steps`: the formatter's fast path rebuilt one step at a time inside loguru;
- `background`: background=True with a healthy TCP peer and loguru at full speed,
  default queue_size: queue depth and drops per run; the previous batch sizes against
  the current ones at two GIL switch intervals; then bare `write()` bursts;
- `rsyslog`: the sink alone (no loguru) into rsyslogd over TCP, end to end.

It reads private attributes of the sink (`_formatter._parts`, `_delivery`...): it is
a tool for the developers, not an example, and needs updating when they change.
"""

from __future__ import annotations

import argparse
import cProfile
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
from loguru_syslog import SyslogSink

MESSAGE = "user 4242 logged in from 127.0.0.1 via password, session 7f3a9c"
REPEAT = 7


def per_call_us(function: Callable[[], object], number: int) -> tuple[float, float]:
    """(median, min) microseconds per call over REPEAT runs of `number` calls."""
    runs = timeit.repeat(function, number=number, repeat=REPEAT)
    per_call = [run / number * 1e6 for run in runs]
    return statistics.median(per_call), min(per_call)


def captured_message(bound: dict[str, Any] | None = None) -> Any:
    """A real loguru message (a str with .record), as our sink receives it."""
    seen: list[Any] = []
    handler = logger.add(seen.append, format="{message}")
    (logger.bind(**bound) if bound else logger).info(MESSAGE)
    logger.remove(handler)
    return seen[0]


def table(rows: list[tuple[str, float, float]]) -> None:
    print("| what | median us/call | min |")
    print("| --- | ---: | ---: |")
    for name, median, low in rows:
        print(f"| {name} | {median:.3f} | {low:.3f} |")
    print()


class StubSocket:
    """Stands in for the connected UDP socket: `send` is a C builtin that costs ~30 ns.

    With it, what is timed is our Python code alone, without the syscall's noise
    (a real send costs ~3 us and moves by +-0.5 us from run to run on this machine).
    """

    send = staticmethod(len)


def udp_sink(port: int, stub: bool) -> SyslogSink:
    sink = SyslogSink(f"udp://127.0.0.1:{port}", app_name="bench")
    sink.write(captured_message())  # connect now, fill the caches
    assert sink._delivery._datagram_ready, "the lock-free datagram path is not armed"
    if stub:
        sink._delivery.transport._sock.close()
        sink._delivery.transport._sock = StubSocket()
    return sink


def inlined_fast_path(sink: SyslogSink) -> Callable[[Any], None]:
    """Not the sink's code: the current fast path written as one function, to measure
    what the remaining Python frames (`SyslogSink.write` -> `Formatter.format` ->
    `Delivery.send` -> `SocketTransport.send`) cost. Same cache (`Formatter._parts`),
    same checks, same bytes (asserted in `insitu`); anything uncommon goes through
    `sink.write`. A sketch: a failed send is not handed to Delivery's failure policy."""
    formatter, delivery = sink._formatter, sink._delivery
    transport = delivery.transport
    parts_cache, limit = formatter._parts, formatter._max
    full_write = sink.write

    def write(message: Any) -> None:
        record = message.record
        t = record["time"]
        parts = parts_cache.get(record["level"].name)
        text = message.rstrip("\r\n")
        if (
            parts is None
            or record["extra"]
            or not text.isprintable()
            or not delivery._datagram_ready
            or parts[0] != (t.second, t.minute, t.hour, t.day, t.month, t.year, t.tzinfo, t.fold, record["process"].id)
        ):
            full_write(message)
            return
        data = ("%s%06d%s%s" % (parts[1], t.microsecond, parts[3], text)).encode()  # noqa: UP031
        if len(data) > limit:
            full_write(message)
            return
        transport._sock.send(data)
        delivery.sent += 1

    return write


# -- sections ------------------------------------------------------------------------------


def section_cprofile(port: int, calls: int) -> None:
    print(f"## cProfile: {calls} x logger.info, loguru + SyslogSink UDP rfc5424 (direct)\n")
    sink = SyslogSink(f"udp://127.0.0.1:{port}", app_name="bench")
    handler = logger.add(sink, format="{message}")
    for _ in range(1000):
        logger.info(MESSAGE)
    profiler = cProfile.Profile()
    info = logger.info
    profiler.enable()
    for _ in range(calls):
        info(MESSAGE)
    profiler.disable()
    logger.remove(handler)
    stats = pstats.Stats(profiler)
    rows = []
    total = 0.0
    for (filename, line, function), (_, ncalls, tottime, cumtime, _) in stats.stats.items():  # type: ignore[attr-defined]
        total += tottime
        if "loguru_syslog" in filename or "socket" in function or "lock" in function:
            where = f"{Path(filename).name}:{line} {function}" if line else function
            rows.append((tottime, cumtime, ncalls, where))
    rows.sort(reverse=True)
    print(f"total profiled time: {total / calls * 1e6:.2f} us per logger.info (profiler overhead included)\n")
    print("| function | calls per log call | own us/log call | cumulative us/log call |")
    print("| --- | ---: | ---: | ---: |")
    for tottime, cumtime, ncalls, where in rows[:14]:
        print(f"| `{where}` | {ncalls / calls:.2f} | {tottime / calls * 1e6:.3f} | {cumtime / calls * 1e6:.3f} |")
    print()


def section_parts(port: int, number: int) -> None:
    print(f"## Stages timed alone (timeit, median and min of {REPEAT} x {number} calls, real objects)\n")
    message = captured_message()
    record = message.record
    real, stubbed = udp_sink(port, stub=False), udp_sink(port, stub=True)
    formatter, delivery = stubbed._formatter, stubbed._delivery
    data = formatter.format(message, record)
    t, level, pid = record["time"], record["level"], record["process"].id
    key = (t.second, t.minute, t.hour, t.day, t.month, t.year, t.tzinfo, t.fold, pid)
    parts = formatter._parts[level.name]
    assert parts[0] == key, "the record's second is not the cached one"
    text = message.rstrip("\r\n")
    assert ("%s%06d%s%s" % (parts[1], t.microsecond, parts[3], text)).encode() == data  # noqa: UP031
    bound = captured_message({"request_id": "7f3a9c"})
    raw = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    raw.connect(("127.0.0.1", port))
    address = ("127.0.0.1", port)
    parts_cache = formatter._parts

    def cache_check() -> bool:  # _format_rfc5424's record lookups, key tuple and comparison
        t = record["time"]
        name = record["level"].name
        pid = record["process"].id
        key = (t.second, t.minute, t.hour, t.day, t.month, t.year, t.tzinfo, t.fold, pid)
        return parts_cache.get(name)[0] != key  # type: ignore[index]

    def locked_send() -> None:  # the path every send took before the lock-free fast path
        with delivery._lock:
            delivery._send_now(data)

    class Empty:
        def call(self, value: object) -> None:
            pass

    empty = Empty()
    rows = [
        ("SyslogSink.write(message), real UDP socket", lambda: real.write(message)),
        ("raw sock.send(data), connected UDP socket (the syscall)", lambda: raw.send(data)),
        ("raw sock.sendto(data, address), unconnected (the run.py floor)", lambda: raw.sendto(data, address)),
        ("SyslogSink.write(message), stub socket: **our Python code**", lambda: stubbed.write(message)),
        (
            "  Formatter.format(message, record) (`_format_rfc5424`, cache hit)",
            lambda: formatter.format(message, record),
        ),
        ("    record lookups + cache key tuple + comparison", cache_check),
        ("    `message.rstrip('\\r\\n').isprintable()`", lambda: message.rstrip("\r\n").isprintable()),
        (
            f"    `'%s%06d%s%s' % (...)` + encode ({len(data)} octets)",
            lambda: ("%s%06d%s%s" % (parts[1], t.microsecond, parts[3], text)).encode(),  # noqa: UP031
        ),
        ("  Delivery.send(data), stub socket (lock-free datagram path)", lambda: delivery.send(data)),
        ("    SocketTransport.send(data), stub socket", lambda: delivery.transport.send(data)),
        ("  (before) the locked path: `with lock: Delivery._send_now(data)`", locked_send),
        (
            "Formatter._rfc5424_parts (a cache miss: once a second per level)",
            lambda: formatter._rfc5424_parts(level, t, pid, key),
        ),
        (
            "Formatter.format, a record with one bound extra (structured data)",
            lambda: formatter.format(bound, bound.record),
        ),
        ("(scale) an empty Python method call", lambda: empty.call(data)),
        ("(scale) the lambda wrapper alone (included in every row)", lambda: None),
    ]
    table([(name, *per_call_us(function, number)) for name, function in rows])
    real.stop()
    stubbed.stop()
    raw.close()


def _in_loguru(variants: dict[str, Callable[[Any], None]], rounds: int, calls: int, warm: int = 500) -> None:
    """Each variant as a loguru sink, interleaved; the first variant is the baseline."""
    results: dict[str, list[float]] = {name: [] for name in variants}
    info = logger.info
    for _ in range(rounds):
        for name, function in variants.items():
            handler = logger.add(function, format="{message}")
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
    stubbed, real = udp_sink(port, stub=True), udp_sink(port, stub=False)
    real_sock = real._delivery.transport._sock

    # The inlined sketch must send exactly what the sink sends.
    sent: list[bytes] = []
    probe = udp_sink(port, stub=True)
    probe._delivery.transport._sock = type("Probe", (), {"send": staticmethod(sent.append)})()
    message = captured_message()
    probe.write(message)
    inlined_fast_path(probe)(message)
    assert len(sent) == 2 and sent[0] == sent[1], sent
    probe.stop()

    def noop(message: Any) -> None:
        pass

    def format_only(message: Any, format: Callable[..., bytes] = stubbed._formatter.format) -> None:
        format(message, message.record)

    def format_and_deliver(
        message: Any,
        format: Callable[..., bytes] = stubbed._formatter.format,
        deliver: Callable[[bytes], None] = stubbed._delivery.send,
    ) -> None:
        deliver(format(message, message.record))

    def hand_written(message: Any, send: Callable[[bytes], int] = real_sock.send) -> None:
        send(message.encode())  # no header at all: the floor of any sink that sends

    _in_loguru(
        {
            "no-op sink (the floor)": noop,
            "Formatter.format only": format_only,
            "format + Delivery.send, stub socket": format_and_deliver,
            "SyslogSink.write, stub socket": stubbed.write,
            "inlined fast path (sketch), stub socket": inlined_fast_path(stubbed),
            "SyslogSink.write, real UDP": real.write,
            "inlined fast path (sketch), real UDP": inlined_fast_path(real),
            "hand-written: sock.send(message.encode()), real UDP": hand_written,
        },
        rounds,
        calls,
    )
    stubbed.stop()
    real.stop()


def section_steps(port: int, rounds: int = 11, calls: int = 20_000) -> None:
    """`_format_rfc5424`'s fast path rebuilt one step at a time, inside loguru (what each costs in situ)."""
    print(
        f"## The formatter's fast path, one step at a time inside loguru (median of {rounds} rounds of {calls} calls)\n"
    )
    sink = udp_sink(port, stub=True)
    parts_cache = sink._formatter._parts
    send = sink._delivery.send

    def noop(message: Any) -> None:
        pass

    def lookups(message: Any) -> None:
        record = message.record
        record["time"], parts_cache.get(record["level"].name), record["process"].id, record["extra"]

    def key(message: Any) -> None:
        record = message.record
        t, level, pid = record["time"], record["level"], record["process"].id
        parts = parts_cache.get(level.name)
        _ = parts[0] != (t.second, t.minute, t.hour, t.day, t.month, t.year, t.tzinfo, t.fold, pid)
        record["extra"]

    def clean(message: Any) -> None:
        record = message.record
        t, level, pid = record["time"], record["level"], record["process"].id
        parts = parts_cache.get(level.name)
        _ = parts[0] != (t.second, t.minute, t.hour, t.day, t.month, t.year, t.tzinfo, t.fold, pid)
        message.rstrip("\r\n").isprintable()
        record["extra"]

    def line(message: Any) -> bytes:
        record = message.record
        t, level, pid = record["time"], record["level"], record["process"].id
        parts = parts_cache.get(level.name)
        _ = parts[0] != (t.second, t.minute, t.hour, t.day, t.month, t.year, t.tzinfo, t.fold, pid)
        text = message.rstrip("\r\n")
        text.isprintable()
        record["extra"]
        return ("%s%06d%s%s" % (parts[1], t.microsecond, parts[3], text)).encode()  # noqa: UP031

    def line_and_send(message: Any) -> None:
        send(line(message))

    _in_loguru(
        {
            "no-op": noop,
            "+ record lookups (time, level, pid, parts, extra)": lookups,
            "+ cache key tuple and comparison": key,
            "+ rstrip + isprintable": clean,
            "+ the line (%-format of 4) + encode": line,
            "+ Delivery.send, stub socket (2 more frames)": line_and_send,
            "SyslogSink.write, stub socket (the real code)": sink.write,
        },
        rounds,
        calls,
    )
    sink.stop()


def _background_run(port: int, producer: str, count: int, queue_size: int) -> tuple[float, int, int, int]:
    """One run: (us per call, peak queued, dropped, sent). The peak is sampled every 100 calls."""
    sink = SyslogSink(f"tcp://127.0.0.1:{port}", app_name="bench", background=True, queue_size=queue_size)
    writer = sink._writer
    assert writer is not None
    handler = logger.add(sink, format="{message}")
    call = logger.info if producer == "logger.info" else sink.write
    argument = MESSAGE if producer == "logger.info" else captured_message()
    for _ in range(300):
        call(argument)
    peak, elapsed = 0, 0.0
    for _ in range(count // 100):
        start = time.perf_counter()
        for _ in range(100):
            call(argument)
        elapsed += time.perf_counter() - start
        queued = writer.queued
        if queued > peak:
            peak = queued
    logger.remove(handler)  # stop(): sends what is queued
    stats = sink.stats
    return elapsed / count * 1e6, peak, stats.dropped, stats.sent


def section_background(port: int, runs: int, count: int = 100_000) -> None:
    import loguru_syslog._background as background
    import loguru_syslog._delivery as delivery

    print(
        f"## background=True with a healthy peer (TCP to the polling receiver, {count} messages a run, "
        f"writer batch {background._BATCH}, send batch {delivery._BATCH})\n"
    )
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
    # So a writer turn costs a few switch intervals whatever its size, and the batch size sets how
    # many messages one turn carries: the previous sizes against the current ones, at two intervals.
    each = max(runs // 4, 1)
    current = (background._BATCH, delivery._BATCH)
    interval = sys.getswitchinterval()
    setups = [(512, 256, interval), (*current, interval), (512, 256, 0.001), (*current, 0.02)]
    print(
        f"### Batch sizes and the GIL switch interval (previous: writer 512, send 256), interleaved: {each} runs each\n"
    )
    print(
        "| writer batch | send batch | switch interval | us/call | peak queued (each run, sorted) "
        "| runs that dropped | dropped |"
    )
    print("| ---: | ---: | ---: | ---: | --- | ---: | ---: |")
    compared: dict[tuple[int, int, float], list[tuple[float, int, int, int]]] = {setup: [] for setup in setups}
    try:
        for _ in range(each):
            for (writer_batch, send_batch, switch), results in compared.items():
                background._BATCH, delivery._BATCH = writer_batch, send_batch
                sys.setswitchinterval(switch)
                results.append(_background_run(port, "logger.info", count, 10_000))
    finally:
        background._BATCH, delivery._BATCH = current
        sys.setswitchinterval(interval)
    for (writer_batch, send_batch, switch), results in compared.items():
        peaks = ", ".join(str(peak) for peak in sorted(r[1] for r in results))
        print(
            f"| {writer_batch} | {send_batch} | {switch * 1000:g} ms | {statistics.median(r[0] for r in results):.2f} "
            f"| {peaks} | {sum(1 for r in results if r[2])} | {sum(r[2] for r in results)} |"
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


SECTIONS = ("cprofile", "parts", "insitu", "steps", "background", "rsyslog")


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
        calls, rounds, loguru_calls, runs, count = args.calls, 0, 20_000, args.runs, 100_000
    logger.remove()
    print(f"loguru-syslog {loguru_syslog.__version__}, Python {sys.version.split()[0]}\n")
    receivers = Receivers(ReceiverSpec(udp=["udp"], tcp=["tcp"]))
    try:
        port = receivers.ports["udp"]
        for name in args.section or SECTIONS:
            if name == "cprofile":
                section_cprofile(port, calls)
            elif name == "parts":
                section_parts(port, calls)
            elif name == "insitu":
                section_insitu(port, rounds or 9, loguru_calls)
            elif name == "steps":
                section_steps(port, rounds or 11, loguru_calls)
            elif name == "background":
                section_background(receivers.ports["tcp"], runs, count)
            else:
                section_rsyslog(count)
    finally:
        receivers.stop()


if __name__ == "__main__":
    main()
