"""Where the microseconds go on the hot path: loguru + SyslogSink, UDP, rfc5424, direct mode.

    python benchmarks/profile_hot_path.py [--calls N] [--section NAME ...]

Prints (markdown) the numbers benchmarks/PROFILE.md is written from:

- `cprofile`: loguru + the sink under cProfile (the shape: which functions, how often);
- `parts`: each stage timed alone with timeit on the real objects; a stub socket
  (`send` = a C builtin) separates our Python code from the syscall;
- `ideas`: prototypes of cheaper code next to the current code, same inputs, tight loop;
- `insitu`: the same variants as loguru sinks (tight loops flatter small functions:
  inside loguru the caches are cold and every record is new);
- `steps`: the fast path's steps added one at a time inside loguru, and ways to build the line;
- `background`: background=True with a healthy peer: queue depth and drops;
- `rsyslog`: the sink alone (no loguru) into rsyslogd over TCP, end to end.

It reads private attributes of the sink (`_formatter`, `_delivery`...): it is a tool
for the developers, not an example, and needs updating when they change.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import os
import pstats
import socket
import statistics
import sys
import tempfile
import threading
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


def captured_message() -> Any:
    """A real loguru message (a str with .record), as our sink receives it."""
    seen: list[Any] = []
    handler = logger.add(seen.append, format="{message}")
    logger.info(MESSAGE)
    logger.remove(handler)
    return seen[0]


def table(rows: list[tuple[str, float, float]]) -> None:
    print("| what | median us/call | min |")
    print("| --- | ---: | ---: |")
    for name, median, low in rows:
        print(f"| {name} | {median:.3f} | {low:.3f} |")
    print()


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


class StubSocket:
    """Stands in for the connected UDP socket: `send` is a C builtin that costs ~30 ns.

    With it, what is timed is our Python code alone, without the syscall's noise
    (a real send costs ~3 us and moves by +-0.5 us from run to run on this machine).
    """

    send = staticmethod(len)


def udp_sink(port: int, stub: bool) -> SyslogSink:
    sink = SyslogSink(f"udp://127.0.0.1:{port}", app_name="bench")
    sink.write(captured_message())  # connect now, fill the caches
    if stub:
        sink._delivery.transport._sock.close()
        sink._delivery.transport._sock = StubSocket()
    return sink


def section_parts(port: int, number: int) -> None:
    print(f"## Stages timed alone (timeit, median and min of {REPEAT} x {number} calls, real objects)\n")
    message = captured_message()
    record = message.record
    real, stubbed = udp_sink(port, stub=False), udp_sink(port, stub=True)
    formatter, delivery = stubbed._formatter, stubbed._delivery
    data = formatter.format(message, record)
    stamp = record["time"]
    line = data.decode()
    raw = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    raw.connect(("127.0.0.1", port))
    address = ("127.0.0.1", port)

    class Empty:
        def call(self, value: object) -> None:
            pass

    empty = Empty()
    parts = [
        ("SyslogSink.write(message), real UDP socket", lambda: real.write(message)),
        ("raw sock.send(data), connected UDP socket (the syscall)", lambda: raw.send(data)),
        ("raw sock.sendto(data, address), unconnected (the run.py floor)", lambda: raw.sendto(data, address)),
        ("SyslogSink.write(message), stub socket: **our Python code**", lambda: stubbed.write(message)),
        ("  Formatter.format(message, record)", lambda: formatter.format(message, record)),
        ("    _TimeText.rfc5424(t) (cache hit)", lambda: formatter._time.rfc5424(stamp)),
        ("    Formatter._clean(message)", lambda: formatter._clean(message)),
        (f"    line.encode() (the {len(line)}-character line)", lambda: line.encode()),
        ("  Delivery.send(data), stub socket", lambda: delivery.send(data)),
        ("    SocketTransport.send(data), stub socket", lambda: delivery.transport.send(data)),
        ("(scale) an empty Python method call", lambda: empty.call(data)),
        ("(scale) the lambda wrapper alone (included in every row)", lambda: None),
    ]
    rows = [(name, *per_call_us(function, number)) for name, function in parts]
    table(rows)
    real.stop()
    stubbed.stop()
    raw.close()


def flat_write_prototype(sink: SyslogSink, locked: bool = True) -> Callable[[Any], None]:
    """The common case in one function: known level, no extras, clean text, the same
    second as the previous record, connected datagram socket, nothing buffered. Any
    other record takes the sink's full path. With `locked=False` it sends without
    Delivery's lock (loguru already serialises calls to one handler's sink; see
    PROFILE.md for what that gives up)."""
    formatter, delivery = sink._formatter, sink._delivery
    transport = delivery.transport
    lock = delivery._lock if locked else contextlib.nullcontext()
    time_text = formatter._time
    prefixes = formatter._prefixes
    fields, msgid, limit = formatter._fields, formatter._msgid, formatter._max
    full_write = sink.write

    def write(message: Any) -> None:
        record = message.record
        t = record["time"]
        prefix = prefixes.get(record["level"].name)
        text = message.rstrip("\r\n")
        if (
            prefix is None
            or record["extra"]
            or not text.isprintable()
            or delivery._backlog
            or not delivery._connected
            or (t.second, t.minute, t.hour, t.day, t.month, t.year, t.tzinfo, t.fold) != time_text._key5424
        ):
            full_write(message)
            return
        data = (
            "%s%s%06d%s %s %d %s - %s"  # noqa: UP031 - measured faster than an f-string here
            % (
                prefix,
                time_text._date_time,
                t.microsecond,
                time_text._offset,
                fields,
                record["process"].id,
                msgid,
                text,
            )
        ).encode()
        if len(data) > limit:
            full_write(message)
            return
        with lock:
            try:
                transport._sock.send(data)
            except Exception:
                full_write(message)  # sketch only: the real one hands `data` to Delivery's failure path
                return
            delivery.sent += 1

    return write


def cached_line_prototype(sink: SyslogSink) -> Callable[[Any], None]:
    """The flat fast path (with the lock) plus a per-level cache of the line's fixed parts:
    `head` = PRI, version and date-time up to the second, `tail` = UTC offset, HOSTNAME,
    APP-NAME, PROCID, MSGID and NIL structured data. They change once a second (or with
    the process id); a record then costs one microsecond format and two concatenations."""
    formatter, delivery = sink._formatter, sink._delivery
    transport = delivery.transport
    lock = delivery._lock
    time_text, prefixes = formatter._time, formatter._prefixes
    fields, msgid, limit = formatter._fields, formatter._msgid, formatter._max
    full_write = sink.write
    parts: dict[str, tuple[tuple[object, ...], str, str]] = {}  # level name -> (key, head, tail)

    def write(message: Any) -> None:
        record = message.record
        t = record["time"]
        name = record["level"].name
        text = message.rstrip("\r\n")
        if record["extra"] or not text.isprintable() or delivery._backlog or not delivery._connected:
            full_write(message)
            return
        pid = record["process"].id
        key = (t.second, t.minute, t.hour, t.day, t.month, t.year, t.tzinfo, t.fold, pid)
        cached = parts.get(name)
        if cached is None or cached[0] != key:
            prefix = prefixes.get(name)
            if prefix is None:
                full_write(message)  # a level not seen yet: the full path learns it
                return
            time_text.rfc5424(t)  # refreshes the date-time and offset texts for this second
            cached = (key, f"{prefix}{time_text._date_time}", f"{time_text._offset} {fields} {pid} {msgid} - ")
            parts[name] = cached
        data = (cached[1] + "%06d" % t.microsecond + cached[2] + text).encode()  # noqa: UP031
        if len(data) > limit:
            full_write(message)
            return
        with lock:
            try:
                transport._sock.send(data)
            except Exception:
                full_write(message)  # sketch only: the real one hands `data` to Delivery's failure path
                return
            delivery.sent += 1

    return write


def section_ideas(port: int, number: int) -> None:
    print("## Prototypes against the current code (stub socket: Python cost only; lower is better)\n")
    message = captured_message()
    record = message.record
    sink = udp_sink(port, stub=True)
    formatter, delivery = sink._formatter, sink._delivery
    transport = delivery.transport
    data = formatter.format(message, record)
    t = record["time"]
    time_text = formatter._time
    lock = threading.Lock()
    stub = transport._sock
    flat = flat_write_prototype(sink)

    # The prototype must produce exactly what the sink produces.
    sent: list[bytes] = []
    transport._sock = type("Probe", (), {"send": staticmethod(sent.append)})()
    cached = cached_line_prototype(sink)
    sink.write(message)
    flat(message)
    cached(message)
    cached(message)  # the second one from the cache
    transport._sock = stub
    assert sent[0] == sent[1] == sent[2] == sent[3], sent

    prefix = formatter._prefixes["INFO"]
    fields, msgid, pid = formatter._fields, formatter._msgid, record["process"].id
    text = formatter._clean(message)

    def three_steps() -> bytes:  # what _render_rfc5424 does for a record without extras
        head = f"{prefix}{time_text.rfc5424(t)} {fields} {pid} {msgid} "
        return f"{head}- {text}".encode()

    def one_format() -> bytes:
        time_text.rfc5424(t)  # the cache check stays; its text is used directly below
        return (
            "%s%s%06d%s %s %d %s - %s"  # noqa: UP031
            % (prefix, time_text._date_time, t.microsecond, time_text._offset, fields, pid, msgid, text)
        ).encode()

    def with_lock() -> None:
        with lock:
            stub.send(data)

    def without_lock() -> None:
        stub.send(data)

    pairs = [
        ("SyslogSink.write", lambda: sink.write(message), "flat fast path (prototype)", lambda: flat(message)),
        (
            "SyslogSink.write",
            lambda: sink.write(message),
            "flat + cached line parts (prototype)",
            lambda: cached(message),
        ),
        (
            "Delivery.send -> SocketTransport.send -> sock.send",
            lambda: delivery.send(data),
            "with lock: sock.send (one frame, no checks)",
            with_lock,
        ),
        ("with lock: sock.send", with_lock, "sock.send without Delivery's lock", without_lock),
        ("rfc5424() + 2 f-strings + encode", three_steps, "one %-format + encode", one_format),
    ]
    print("| current | us | alternative | us | saving us |")
    print("| --- | ---: | --- | ---: | ---: |")
    for name, function, other_name, other in pairs:
        current = per_call_us(function, number)[0]
        alternative = per_call_us(other, number)[0]
        print(f"| {name} | {current:.3f} | {other_name} | {alternative:.3f} | {current - alternative:.3f} |")
    print()

    sink.stop()


def section_insitu(port: int, rounds: int = 9, calls: int = 20_000) -> None:
    """The same stages as loguru sinks: timed in a tight loop they look ~2x cheaper than inside
    loguru (hot caches, one reused record); this is what an application pays."""
    print(f"## Inside loguru: each variant as the sink (interleaved, median of {rounds} rounds of {calls} calls)\n")
    stubbed, real = udp_sink(port, stub=True), udp_sink(port, stub=False)
    real_sock = real._delivery.transport._sock
    variants: dict[str, Callable[[Any], None]] = {}

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
        send(message.encode())  # no header at all: the notes' "hand-written sink"

    variants = {
        "no-op sink (the floor)": noop,
        "Formatter.format only": format_only,
        "format + Delivery.send, stub socket": format_and_deliver,
        "SyslogSink.write, stub socket": stubbed.write,
        "flat prototype, stub socket": flat_write_prototype(stubbed),
        "flat prototype without the lock, stub socket": flat_write_prototype(stubbed, locked=False),
        "flat + cached line parts, stub socket": cached_line_prototype(stubbed),
        "SyslogSink.write, real UDP": real.write,
        "flat prototype, real UDP": flat_write_prototype(real),
        "flat prototype without the lock, real UDP": flat_write_prototype(real, locked=False),
        "flat + cached line parts, real UDP": cached_line_prototype(real),
        "hand-written: sock.send(message.encode()), real UDP": hand_written,
    }
    results: dict[str, list[float]] = {name: [] for name in variants}
    info = logger.info
    for _ in range(rounds):
        for name, function in variants.items():
            handler = logger.add(function, format="{message}")
            for _ in range(500):
                info(MESSAGE)
            start = time.perf_counter()
            for _ in range(calls):
                info(MESSAGE)
            results[name].append((time.perf_counter() - start) / calls * 1e6)
            logger.remove(handler)
    floor = statistics.median(results["no-op sink (the floor)"])
    print("| sink | us/call | minus the floor | min..max of rounds |")
    print("| --- | ---: | ---: | ---: |")
    for name, values in results.items():
        value = statistics.median(values)
        print(f"| {name} | {value:.2f} | {value - floor:.2f} | {min(values):.2f}..{max(values):.2f} |")
    print()
    stubbed.stop()
    real.stop()


def _in_loguru(variants: dict[str, Callable[[Any], None]], rounds: int = 11, calls: int = 20_000) -> None:
    """Each variant as a loguru sink, interleaved; the first variant is the baseline."""
    results: dict[str, list[float]] = {name: [] for name in variants}
    info = logger.info
    for _ in range(rounds):
        for name, function in variants.items():
            handler = logger.add(function, format="{message}")
            for _ in range(300):
                info(MESSAGE)
            start = time.perf_counter()
            for _ in range(calls):
                info(MESSAGE)
            results[name].append((time.perf_counter() - start) / calls * 1e6)
            logger.remove(handler)
    base_name = next(iter(variants))
    base = statistics.median(results[base_name])
    print(f"| sink | us/call | minus `{base_name}` |")
    print("| --- | ---: | ---: |")
    for name, values in results.items():
        value = statistics.median(values)
        print(f"| {name} | {value:.2f} | {value - base:.2f} |")
    print()


def section_steps(port: int) -> None:
    """The flat path's steps added one at a time, inside loguru (what each costs in situ)."""
    print("## The fast path's steps, added one at a time inside loguru (median of 11 rounds of 20000 calls)\n")
    sink = udp_sink(port, stub=True)
    formatter = sink._formatter
    time_text, prefixes = formatter._time, formatter._prefixes
    fields, msgid = formatter._fields, formatter._msgid

    def noop(message: Any) -> None:
        pass

    def lookups(message: Any) -> None:
        record = message.record
        record["time"], prefixes.get(record["level"].name), record["extra"], record["process"].id

    def clean(message: Any) -> None:
        record = message.record
        record["time"], prefixes.get(record["level"].name), record["extra"], record["process"].id
        message.rstrip("\r\n").isprintable()

    def time_key(message: Any) -> None:
        record = message.record
        t = record["time"]
        prefixes.get(record["level"].name), record["extra"], record["process"].id
        message.rstrip("\r\n").isprintable()
        return (t.second, t.minute, t.hour, t.day, t.month, t.year, t.tzinfo, t.fold) != time_text._key5424

    def line(message: Any) -> None:
        record = message.record
        t = record["time"]
        prefix, _ = prefixes.get(record["level"].name), record["extra"]
        text = message.rstrip("\r\n")
        text.isprintable()
        _ = (t.second, t.minute, t.hour, t.day, t.month, t.year, t.tzinfo, t.fold) != time_text._key5424
        (
            "%s%s%06d%s %s %d %s - %s"  # noqa: UP031
            % (
                prefix,
                time_text._date_time,
                t.microsecond,
                time_text._offset,
                fields,
                record["process"].id,
                msgid,
                text,
            )
        ).encode()

    _in_loguru(
        {
            "no-op": noop,
            "+ record lookups": lookups,
            "+ rstrip + isprintable": clean,
            "+ time-cache key": time_key,
            "+ the line (%-format, 8 fields) + encode": line,
        }
    )

    print("### Building the line: alternatives, inside loguru\n")
    head = f"{prefixes['INFO']}{time_text._date_time}"  # per level and second
    tail = f"{time_text._offset} {fields} {os.getpid()} {msgid} - "  # per offset and process id
    head_bytes, tail_bytes = head.encode(), tail.encode()
    prefix = prefixes["INFO"]

    def base(message: Any) -> None:
        message.record["time"], message.rstrip("\r\n")

    def eight_fields(message: Any) -> None:
        record = message.record
        t, text = record["time"], message.rstrip("\r\n")
        (
            "%s%s%06d%s %s %d %s - %s"  # noqa: UP031
            % (
                prefix,
                time_text._date_time,
                t.microsecond,
                time_text._offset,
                fields,
                record["process"].id,
                msgid,
                text,
            )
        ).encode()

    def cached_concat(message: Any) -> None:
        t, text = message.record["time"], message.rstrip("\r\n")
        (head + "%06d" % t.microsecond + tail + text).encode()  # noqa: UP031

    def cached_percent(message: Any) -> None:
        t, text = message.record["time"], message.rstrip("\r\n")
        ("%s%06d%s%s" % (head, t.microsecond, tail, text)).encode()  # noqa: UP031

    def cached_bytes(message: Any) -> None:
        t, text = message.record["time"], message.rstrip("\r\n")
        b"%b%06d%b%b" % (head_bytes, t.microsecond, tail_bytes, text.encode())

    def cached_fstring(message: Any) -> None:
        t, text = message.record["time"], message.rstrip("\r\n")
        f"{head}{t.microsecond:06d}{tail}{text}".encode()

    _in_loguru(
        {
            "record time + rstrip": base,
            "%-format of 8 fields (as now)": eight_fields,
            "cached head/tail, concatenation": cached_concat,
            "cached head/tail, %-format of 4": cached_percent,
            "cached head/tail as bytes, bytes %": cached_bytes,
            "cached head/tail, f-string": cached_fstring,
        }
    )
    sink.stop()


def section_background(port: int, count: int = 100_000, runs: int = 3) -> None:
    print(
        f"## background=True with a healthy peer: queue depth and drops "
        f"(TCP to the polling receiver, {runs} runs of {count} messages per row)\n"
    )
    import loguru_syslog._background as background

    message = captured_message()
    original = background._BATCH
    # (producer, writer batch, queue_size, buffer_size)
    setups = [
        ("logger.info", original, 10_000, 1000),
        ("logger.info", 4096, 10_000, 1000),
        ("logger.info", original, 10_000, 100),
        ("sink.write burst", original, 10_000, 1000),
        ("sink.write burst", original, count, 1000),
    ]
    print("| producer | writer batch | queue_size | buffer_size | us/call | peak queued | dropped (all runs) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    try:
        for producer, batch, queue_size, buffer_size in setups:
            background._BATCH = batch
            dropped, peak, per_call = 0, 0, []
            for _ in range(runs):
                sink = SyslogSink(
                    f"tcp://127.0.0.1:{port}",
                    app_name="bench",
                    background=True,
                    queue_size=queue_size,
                    buffer_size=buffer_size,
                )
                handler = logger.add(sink, format="{message}")
                call = logger.info if producer == "logger.info" else sink.write
                argument = MESSAGE if producer == "logger.info" else message
                elapsed = 0.0
                for _ in range(count // 1000):
                    start = time.perf_counter()
                    for _ in range(1000):
                        call(argument)
                    elapsed += time.perf_counter() - start
                    peak = max(peak, sink.stats.queued)
                logger.remove(handler)  # stop(): sends what is queued
                dropped += sink.stats.dropped
                per_call.append(elapsed / count * 1e6)
            print(
                f"| {producer} | {batch} | {queue_size} | {buffer_size} | {statistics.median(per_call):.2f} "
                f"| {peak} | {dropped} ({dropped / count / runs:.1%}) |"
            )
    finally:
        background._BATCH = original
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


SECTIONS = ("cprofile", "parts", "ideas", "insitu", "steps", "background", "rsyslog")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100_000, help="calls per measurement")
    parser.add_argument("--section", choices=SECTIONS, action="append", help="only these sections")
    args = parser.parse_args()
    logger.remove()
    print(f"loguru-syslog {loguru_syslog.__version__}, Python {sys.version.split()[0]}\n")
    receivers = Receivers(ReceiverSpec(udp=["udp"], tcp=["tcp"]))
    try:
        port = receivers.ports["udp"]
        for name in args.section or SECTIONS:
            if name == "cprofile":
                section_cprofile(port, args.calls)
            elif name == "parts":
                section_parts(port, args.calls)
            elif name == "ideas":
                section_ideas(port, args.calls)
            elif name == "insitu":
                section_insitu(port)
            elif name == "steps":
                section_steps(port)
            elif name == "background":
                section_background(receivers.ports["tcp"])
            else:
                section_rsyslog()
    finally:
        receivers.stop()


if __name__ == "__main__":
    main()
