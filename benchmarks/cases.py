"""The benchmark cases: what each one sets up, times, and tears down.

Every case is a `Case` whose `run(env, count)` does one repetition and returns
a `Sample`. The timed region is only the loop of logging calls (for the
end-to-end case: until the daemon wrote the last line); building sinks,
connecting and warming up happen before it, draining and closing after it.

The RELP cases (`ours-relp`, `ours-relp-background`, `rsyslog-relp-e2e`, and
`ours-tcp-rsyslog`, TCP into the same kind of daemon for a like-for-like per-call
comparison) and the journald cases (`ours-journald`, `logging-journald`, into a private
systemd-journald: journald.py) are `optional`: they run when named in `--only`, not by
default. So are the stdlib-logging rows without loguru (`stdlib-ours-udp`: our
`SyslogHandler`; `stdlib-sysloghandler-udp`: the standard `SysLogHandler`), beside
`stdlib-rfc5424-udp` (rfc5424-logging-handler, which is in the default set).
"""

from __future__ import annotations

import gc
import importlib.util
import logging
import logging.handlers
import socket
import ssl
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import trustme
from journald import Journald
from journald import unavailable as journald_unavailable
from loguru import logger
from receivers import Receivers, ReceiverSpec
from rfc5424logging import Rfc5424SysLogHandler
from rsyslog import Rsyslog, find_rsyslogd

import loguru_syslog
from loguru_syslog import MemoryTransport, SyslogSink

#: What every case logs: about the size of a real log line (the RFC 5424 datagram is ~120 octets).
MESSAGE = "user 4242 logged in from 127.0.0.1 via password, session 7f3a9c"
#: Untimed calls after adding a handler: connect, fill caches, start threads.
WARM_CALLS = 300
#: Longest wait for a background queue or loguru's enqueue queue to empty after a run.
DRAIN_TIMEOUT = 60.0
FORMAT = "{message}"


@dataclass
class Env:
    """What the cases share: the receiver process, TLS trust, the rsyslog daemon (or why there is none)."""

    receivers: Receivers
    client_tls: ssl.SSLContext
    payload: bytes  # the raw-sendto datagram: what our sink sends for MESSAGE
    rsyslog: Rsyslog | None = None  # imtcp
    rsyslog_relp: Rsyslog | None = None  # imrelp, the same configuration otherwise
    journald: Journald | None = None  # a private systemd-journald (journald.py)
    #: Per journald case: the logging calls it made (warm-up included), and, after
    #: teardown, the entries of its SYSLOG_IDENTIFIER the journal holds.
    journal_calls: dict[str, int] = field(default_factory=dict)
    journal_entries: dict[str, int] = field(default_factory=dict)

    def journald_socket(self) -> str:
        assert self.journald is not None
        return self.journald.socket_path

    def daemon(self, protocol: str) -> Rsyslog:
        daemon = self.rsyslog_relp if protocol == "relp" else self.rsyslog
        assert daemon is not None
        return daemon


@dataclass
class Sample:
    """One repetition of one case."""

    #: Microseconds per logging call in the application thread (per message for end-to-end).
    us: float
    #: Extra figures: `drained_us` (per message until async queues are empty),
    #: `msgs_per_s` (end-to-end), sink stats (`dropped`, `errors`...).
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Case:
    name: str
    label: str
    group: str  # "floor", "stdlib" or "ours": the chart colours by it
    run: Callable[[Env, int], Sample]
    #: Receiver sockets the case needs: (kind, name) with kind udp/tcp/tls/unix.
    sockets: tuple[tuple[str, str], ...] = ()
    #: Needs rsyslogd: "tcp" (imtcp), "relp" (imrelp) or "" (none).
    rsyslog: str = ""
    #: Timed per message from the first call until rsyslogd wrote the last line (else: per call).
    end_to_end: bool = False
    #: Run only when named in `--only` (not in the default set, which tests pin).
    optional: bool = False
    #: Logs into the private systemd-journald with this SYSLOG_IDENTIFIER ("": not a journald case).
    journald: str = ""

    @property
    def needs_rsyslog(self) -> bool:
        return bool(self.rsyslog)


def _timed_loguru(count: int, cpu: dict[str, Any] | None = None) -> tuple[float, float]:
    """(start, end) of `count` logging calls; `cpu["cpu_us"]`, when given, gets this thread's
    CPU time per call (what the calls cost without the time the machine gave to others)."""
    info = logger.info
    gc.collect()
    cpu_start = time.thread_time()
    start = time.perf_counter()
    for _ in range(count):
        info(MESSAGE)
    end = time.perf_counter()
    if cpu is not None:
        cpu["cpu_us"] = (time.thread_time() - cpu_start) / count * 1e6
    return start, end


def _warm(calls: int = WARM_CALLS) -> None:
    for _ in range(calls):
        logger.info(MESSAGE)


def _ours_stats(sink: SyslogSink) -> dict[str, Any]:
    stats = sink.stats
    figures = {"sent": stats.sent, "dropped": stats.dropped, "errors": stats.errors, "truncated": stats.truncated}
    for name in ("resent", "rejected"):  # RELP's (0 on the other transports)
        if hasattr(stats, name):
            figures[name] = getattr(stats, name)
    return figures


def _wait_background(sink: SyslogSink) -> None:
    deadline = time.monotonic() + DRAIN_TIMEOUT
    while time.monotonic() < deadline:
        stats = sink.stats
        if not stats.queued and not stats.buffered:
            return
        time.sleep(0.0005)


def loguru_ours(
    make_sink: Callable[[Env], SyslogSink], *, enqueue: bool = False, background: bool = False
) -> Callable[[Env, int], Sample]:
    """loguru + our sink: direct, `background=True` (the sink made so) or loguru's `enqueue=True`.

    Over RELP, draining ends when the writer has sent everything; the last acknowledgements
    are read by `stop()` (`logger.remove()`), outside the timed region.
    """

    def run(env: Env, count: int) -> Sample:
        sink = make_sink(env)
        handler = logger.add(sink, format=FORMAT, enqueue=enqueue)
        try:
            _warm()
            drain = logger.complete if enqueue else (lambda: _wait_background(sink))
            drain()
            cpu: dict[str, Any] = {}
            start, end = _timed_loguru(count, cpu)
            drain()
            drained = time.perf_counter()
        finally:
            logger.remove(handler)  # stop(): delivers what is left, closes
        extra = {**_ours_stats(sink), **cpu}
        if enqueue or background:
            extra["drained_us"] = (drained - start) / count * 1e6
        return Sample((end - start) / count * 1e6, extra)

    return run


def loguru_sink(make_sink: Callable[[Env], Any]) -> Callable[[Env, int], Sample]:
    """loguru + any other sink (a no-op function, a stdlib handler)."""

    def run(env: Env, count: int) -> Sample:
        sink = make_sink(env)
        handler = logger.add(sink, format=FORMAT)
        cpu: dict[str, Any] = {}
        try:
            _warm()
            start, end = _timed_loguru(count, cpu)
        finally:
            logger.remove(handler)
        return Sample((end - start) / count * 1e6, cpu)

    return run


def stdlib_logging(name: str, make_handler: Callable[[Env], logging.Handler]) -> Callable[[Env, int], Sample]:
    """stdlib logging (no loguru) + a `logging.Handler`: the same logger setup, message and
    timed loop for every handler (rfc5424-logging-handler, the stdlib's `SysLogHandler`, ours)."""

    def run(env: Env, count: int) -> Sample:
        handler = make_handler(env)
        log = logging.getLogger(f"bench.{name}")
        log.propagate = False
        log.setLevel(logging.INFO)
        log.addHandler(handler)
        cpu: dict[str, Any] = {}
        try:
            info = log.info
            for _ in range(WARM_CALLS):
                info(MESSAGE)
            gc.collect()
            cpu_start = time.thread_time()
            start = time.perf_counter()
            for _ in range(count):
                info(MESSAGE)
            end = time.perf_counter()
            cpu["cpu_us"] = (time.thread_time() - cpu_start) / count * 1e6
        finally:
            log.removeHandler(handler)
            handler.close()
        stats = getattr(handler, "stats", None)  # ours: the same counters as the sink's
        if stats is not None:
            cpu.update(sent=stats.sent, dropped=stats.dropped, errors=stats.errors, truncated=stats.truncated)
        return Sample((end - start) / count * 1e6, cpu)

    return run


def stdlib_rfc5424(socktype: int, name: str) -> Callable[[Env, int], Sample]:
    """stdlib logging (no loguru) + rfc5424-logging-handler."""
    return stdlib_logging(
        name,
        lambda env: Rfc5424SysLogHandler(
            address=("127.0.0.1", env.receivers.ports[name]), socktype=socktype, appname="bench"
        ),
    )


def stdlib_ours_udp(name: str) -> Callable[[Env, int], Sample]:
    """stdlib logging (no loguru) + our `SyslogHandler` over UDP, RFC 5424 (the default header),
    with the same app-name as the rfc5424-logging-handler case."""

    def make(env: Env) -> logging.Handler:
        return loguru_syslog.SyslogHandler(f"udp://127.0.0.1:{env.receivers.ports[name]}", app_name="bench")

    return stdlib_logging(name, make)


def raw_sendto(env: Env, count: int) -> Sample:
    """The syscall floor: one sendto() of a ready datagram per call, nothing else."""
    address = ("127.0.0.1", env.receivers.ports["raw"])
    payload = env.payload
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sendto = sock.sendto
        for _ in range(WARM_CALLS):
            sendto(payload, address)
        gc.collect()
        cpu_start = time.thread_time()
        start = time.perf_counter()
        for _ in range(count):
            sendto(payload, address)
        end = time.perf_counter()
        cpu_us = (time.thread_time() - cpu_start) / count * 1e6
    return Sample((end - start) / count * 1e6, {"cpu_us": cpu_us})


def rsyslog_end_to_end(background: bool, protocol: str = "tcp") -> Callable[[Env, int], Sample]:
    """loguru + our sink over TCP or RELP into rsyslogd: from the first call until rsyslog wrote the last line.

    The background queue holds the whole burst, so that every message is delivered and the
    figure is throughput: over RELP the writer is slower than loguru's calls, and the default
    queue (10000) would drop part of a 20000-call burst.
    """

    def run(env: Env, count: int) -> Sample:
        daemon = env.daemon(protocol)
        sink = SyslogSink(
            f"{protocol}://127.0.0.1:{daemon.port}",
            app_name="bench",
            background=background,
            queue_size=max(count + WARM_CALLS, 10_000),
        )
        handler = logger.add(sink, format=FORMAT)
        try:
            daemon.mark()
            _warm()
            daemon.wait_for(WARM_CALLS, timeout=10)
            daemon.mark()
            start, end = _timed_loguru(count)
            seen, done = daemon.wait_for(count, timeout=max(30.0, count / 10_000))
        finally:
            logger.remove(handler)
        elapsed = done - start
        extra = _ours_stats(sink)
        extra.update(lines=seen, msgs_per_s=seen / elapsed, calls_per_s=count / (end - start))
        return Sample(elapsed / count * 1e6, extra)

    return run


def rsyslog_sink_alone(env: Env, count: int) -> Sample:
    """Our sink without loguru in front (real loguru messages, captured beforehand), background=True,
    over TCP into rsyslogd: what the sink itself can carry, since loguru's own floor caps one
    thread at about 1 / 9 us = 110k calls/s."""
    daemon = env.rsyslog
    assert daemon is not None
    captured: list[Any] = []
    handler = logger.add(captured.append, format=FORMAT)
    for i in range(min(count, 1000)):
        logger.info("user {} logged in", i)
    logger.remove(handler)
    messages = [captured[i % len(captured)] for i in range(count)]
    sink = SyslogSink(
        f"tcp://127.0.0.1:{daemon.port}", app_name="bench", background=True, queue_size=max(count, 10_000)
    )
    try:
        daemon.mark()
        write = sink.write
        start = time.perf_counter()
        for message in messages:
            write(message)
        end = time.perf_counter()
        seen, done = daemon.wait_for(count, timeout=max(30.0, count / 10_000))
    finally:
        sink.stop()
    elapsed = done - start
    extra = _ours_stats(sink)
    extra.update(lines=seen, msgs_per_s=seen / elapsed, calls_per_s=count / (end - start))
    return Sample(elapsed / count * 1e6, extra)


def into_journald(name: str, run: Callable[[Env, int], Sample]) -> Callable[[Env, int], Sample]:
    """`run` (which makes `count` + WARM_CALLS logging calls), its calls counted for the
    delivery check at teardown (the journal's entries of the case's identifier)."""

    def counted(env: Env, count: int) -> Sample:
        env.journal_calls[name] = env.journal_calls.get(name, 0) + count + WARM_CALLS
        return run(env, count)

    return counted


#: The identifiers (SYSLOG_IDENTIFIER) of the journald cases: each counts its own entries.
JOURNALD_IDS = {"ours-journald": "bench-ours", "logging-journald": "bench-logging-journald"}


def _journald(env: Env) -> SyslogSink:
    return SyslogSink(f"journald://{env.journald_socket()}", app_name=JOURNALD_IDS["ours-journald"])


def _logging_journald(env: Env) -> logging.Handler:
    """logging_journald's handler (PyPI logging-journald, the pure-Python peer) at the same
    socket, with its defaults (it computes a MESSAGE_ID per record, and sends the record's
    attributes as fields)."""
    from logging_journald import JournaldLogHandler

    return JournaldLogHandler(identifier=JOURNALD_IDS["logging-journald"], socket_path=env.journald_socket())


def our_datagram() -> bytes:
    """The exact RFC 5424 datagram our sink sends for MESSAGE: the raw-sendto payload."""
    memory = MemoryTransport()
    handler = logger.add(SyslogSink(transport=memory, app_name="bench"), format=FORMAT)
    try:
        logger.info(MESSAGE)
    finally:
        logger.remove(handler)
    return memory.messages[0]


def _udp(header: str) -> Callable[[Env], SyslogSink]:
    name = f"ours-udp-{header}"
    return lambda env: SyslogSink(f"udp://127.0.0.1:{env.receivers.ports[name]}", app_name="bench", header=header)


def _tcp(name: str, background: bool = False) -> Callable[[Env], SyslogSink]:
    return lambda env: SyslogSink(
        f"tcp://127.0.0.1:{env.receivers.ports[name]}", app_name="bench", background=background
    )


def _tls(env: Env) -> SyslogSink:
    address = f"tls://127.0.0.1:{env.receivers.ports['ours-tls']}"
    return SyslogSink(address, app_name="bench", tls_context=env.client_tls)


def _into_rsyslog(protocol: str, background: bool = False) -> Callable[[Env], SyslogSink]:
    """Our sink into the private rsyslogd of `protocol` (RELP has no receiver in receivers.py)."""
    return lambda env: SyslogSink(
        f"{protocol}://127.0.0.1:{env.daemon(protocol).port}", app_name="bench", background=background
    )


def _unix(env: Env) -> SyslogSink:
    return SyslogSink(f"unixgram://{env.receivers.paths['ours-unix']}", app_name="bench")


def _stdlib_handler(name: str, socktype: int) -> Callable[[Env], logging.Handler]:
    return lambda env: logging.handlers.SysLogHandler(("127.0.0.1", env.receivers.ports[name]), socktype=socktype)


def _noop(message: Any) -> None:
    pass


CASES: list[Case] = [
    Case("loguru-noop", "loguru, no-op sink (floor)", "floor", loguru_sink(lambda env: _noop)),
    Case("raw-sendto", "raw sendto() of the datagram (floor)", "floor", raw_sendto, (("udp", "raw"),)),
    Case(
        "loguru-stdlib-udp",
        "loguru + stdlib SysLogHandler, UDP",
        "stdlib",
        loguru_sink(_stdlib_handler("loguru-stdlib-udp", socket.SOCK_DGRAM)),
        (("udp", "loguru-stdlib-udp"),),
    ),
    Case(
        "loguru-stdlib-tcp",
        "loguru + stdlib SysLogHandler, TCP",
        "stdlib",
        loguru_sink(_stdlib_handler("loguru-stdlib-tcp", socket.SOCK_STREAM)),
        (("tcp", "loguru-stdlib-tcp"),),
    ),
    Case(
        "stdlib-rfc5424-udp",
        "logging + rfc5424-logging-handler, UDP",
        "stdlib",
        stdlib_rfc5424(socket.SOCK_DGRAM, "stdlib-rfc5424-udp"),
        (("udp", "stdlib-rfc5424-udp"),),
    ),
    Case(
        "stdlib-rfc5424-tcp",
        "logging + rfc5424-logging-handler, TCP",
        "stdlib",
        stdlib_rfc5424(socket.SOCK_STREAM, "stdlib-rfc5424-tcp"),
        (("tcp", "stdlib-rfc5424-tcp"),),
    ),
    # stdlib logging without loguru (optional: run with --only, beside stdlib-rfc5424-udp):
    # our SyslogHandler, and the standard SysLogHandler, same logger setup, message, receiver.
    Case(
        "stdlib-ours-udp",
        "logging + SyslogHandler, UDP rfc5424",
        "ours",
        stdlib_ours_udp("stdlib-ours-udp"),
        (("udp", "stdlib-ours-udp"),),
        optional=True,
    ),
    Case(
        "stdlib-sysloghandler-udp",
        "logging + stdlib SysLogHandler, UDP",
        "stdlib",
        stdlib_logging("stdlib-sysloghandler-udp", _stdlib_handler("stdlib-sysloghandler-udp", socket.SOCK_DGRAM)),
        (("udp", "stdlib-sysloghandler-udp"),),
        optional=True,
    ),
    Case(
        "ours-udp-rfc5424",
        "loguru + SyslogSink, UDP rfc5424",
        "ours",
        loguru_ours(_udp("rfc5424")),
        (("udp", "ours-udp-rfc5424"),),
    ),
    Case(
        "ours-udp-rfc3164",
        "loguru + SyslogSink, UDP rfc3164",
        "ours",
        loguru_ours(_udp("rfc3164")),
        (("udp", "ours-udp-rfc3164"),),
    ),
    Case("ours-tcp", "loguru + SyslogSink, TCP", "ours", loguru_ours(_tcp("ours-tcp")), (("tcp", "ours-tcp"),)),
    Case(
        "ours-tcp-background",
        "loguru + SyslogSink, TCP, background=True",
        "ours",
        loguru_ours(_tcp("ours-tcp-background", background=True), background=True),
        (("tcp", "ours-tcp-background"),),
    ),
    Case("ours-tls", "loguru + SyslogSink, TLS", "ours", loguru_ours(_tls), (("tls", "ours-tls"),)),
    Case("ours-unix", "loguru + SyslogSink, Unix datagram", "ours", loguru_ours(_unix), (("unix", "ours-unix"),)),
    Case(
        "ours-tcp-enqueue",
        "loguru enqueue=True + SyslogSink, TCP",
        "ours",
        loguru_ours(_tcp("ours-tcp-enqueue"), enqueue=True),
        (("tcp", "ours-tcp-enqueue"),),
    ),
    Case(
        "rsyslog-tcp-e2e",
        "end to end into rsyslogd, TCP, background=True",
        "ours",
        rsyslog_end_to_end(background=True),
        rsyslog="tcp",
        end_to_end=True,
    ),
    Case(
        "rsyslog-tcp-e2e-sink-alone",
        "end to end into rsyslogd, TCP, background=True, the sink without loguru",
        "ours",
        rsyslog_sink_alone,
        rsyslog="tcp",
        end_to_end=True,
    ),
    # RELP (optional: run with --only). Per call into a real rsyslogd imrelp (acks included),
    # TCP per call into the same kind of daemon beside it, and end to end like rsyslog-tcp-e2e.
    Case(
        "ours-tcp-rsyslog",
        "loguru + SyslogSink, TCP into rsyslogd imtcp",
        "ours",
        loguru_ours(_into_rsyslog("tcp")),
        rsyslog="tcp",
        optional=True,
    ),
    Case(
        "ours-relp",
        "loguru + SyslogSink, RELP into rsyslogd imrelp",
        "ours",
        loguru_ours(_into_rsyslog("relp")),
        rsyslog="relp",
        optional=True,
    ),
    Case(
        "ours-relp-background",
        "loguru + SyslogSink, RELP, background=True",
        "ours",
        loguru_ours(_into_rsyslog("relp", background=True), background=True),
        rsyslog="relp",
        optional=True,
    ),
    Case(
        "rsyslog-relp-e2e",
        "end to end into rsyslogd, RELP, background=True",
        "ours",
        rsyslog_end_to_end(background=True, protocol="relp"),
        rsyslog="relp",
        end_to_end=True,
        optional=True,
    ),
    # journald (optional: run with --only, as root). Per call into a real systemd-journald
    # in a private mount namespace, over its native socket: ours, and logging-journald's
    # handler as a loguru sink (loguru in front of both, as for loguru-stdlib-udp).
    Case(
        "ours-journald",
        "loguru + SyslogSink, journald native",
        "ours",
        into_journald("ours-journald", loguru_ours(_journald)),
        optional=True,
        journald=JOURNALD_IDS["ours-journald"],
    ),
    Case(
        "logging-journald",
        "loguru + logging-journald handler",
        "stdlib",
        into_journald("logging-journald", loguru_sink(_logging_journald)),
        optional=True,
        journald=JOURNALD_IDS["logging-journald"],
    ),
]

#: Cases measured once, each in a fresh child process (see memory.py).
MEMORY_CASES = {
    "memory-peer-down-direct": "RSS growth, peer down, direct",
    "memory-peer-down-background": "RSS growth, peer down, background=True",
}


def setup(cases: list[Case], tmp: Path) -> tuple[Env, dict[str, str]]:
    """Start what `cases` need: the receiver process (TLS with a trustme CA), rsyslogd,
    a private systemd-journald.

    Returns the environment and, for cases that cannot run here, why ("skipped: ...").
    """
    logger.remove()  # loguru's default stderr handler would print every message of every case
    ca = trustme.CA()
    server = ca.issue_cert("127.0.0.1", "localhost")
    spec = ReceiverSpec(cert_file=str(tmp / "server.pem"), key_file=str(tmp / "server.key"))
    server.private_key_and_cert_chain_pem.write_to_path(spec.cert_file)
    server.private_key_pem.write_to_path(spec.key_file)
    for case in cases:
        for kind, name in case.sockets:
            if kind == "unix":
                spec.unix[name] = str(tmp / f"{name}.sock")
            else:
                getattr(spec, kind).append(name)
    client_tls = ssl.create_default_context()
    ca.configure_trust(client_tls)
    env = Env(receivers=Receivers(spec), client_tls=client_tls, payload=our_datagram())
    skipped: dict[str, str] = {}
    for protocol, attribute, directory in (("tcp", "rsyslog", "rsyslog"), ("relp", "rsyslog_relp", "rsyslog-relp")):
        rsyslog_cases = [case.name for case in cases if case.rsyslog == protocol]
        if not rsyslog_cases:
            continue
        binary = find_rsyslogd()
        why = "skipped: rsyslogd not found"
        if protocol == "relp" and not hasattr(loguru_syslog, "RELPTransport"):
            binary, why = None, "skipped: this loguru_syslog has no RELP transport"
        if binary is not None:
            (tmp / directory).mkdir()
            daemon = Rsyslog(binary, tmp / directory, protocol)
            try:
                daemon.start()
                setattr(env, attribute, daemon)
            except RuntimeError as exc:
                why = f"skipped: rsyslogd did not start ({exc})"
        if getattr(env, attribute) is None:
            skipped.update(dict.fromkeys(rsyslog_cases, why))
    journald_cases = [case.name for case in cases if case.journald]
    for name in journald_cases:
        why = _journald_case_unavailable(name)
        if why:
            skipped[name] = why
    if any(name not in skipped for name in journald_cases):
        reason = journald_unavailable()
        if reason is None:
            (tmp / "journald").mkdir()
            daemon = Journald(tmp / "journald")
            try:
                daemon.start()
                env.journald = daemon
            except RuntimeError as exc:
                reason = f"journald did not start ({exc})"
        if env.journald is None:
            skipped.update({name: f"skipped: {reason}" for name in journald_cases if name not in skipped})
    return env, skipped


def _journald_case_unavailable(name: str) -> str | None:
    """Why a journald case cannot run with what is installed, or None."""
    if name == "ours-journald" and not hasattr(loguru_syslog, "JournaldTransport"):
        return "skipped: this loguru_syslog has no journald transport"
    if name == "logging-journald" and importlib.util.find_spec("logging_journald") is None:
        return "skipped: logging-journald not installed (pip install logging-journald; Python >= 3.10)"
    return None


def teardown(env: Env) -> dict[str, int]:
    """Stop the daemons and the receivers; returns the octets each receiver socket got.

    Before journald stops, `env.journal_entries` gets the entries each journald case left
    in the journal (to compare with `env.journal_calls`: what the cases logged).
    """
    if env.journald is not None:
        try:
            for name, calls in env.journal_calls.items():
                identifier = JOURNALD_IDS[name]
                env.journal_entries[name] = env.journald.wait_for(identifier, calls)
        finally:
            env.journald.stop()
    for daemon in (env.rsyslog, env.rsyslog_relp):
        if daemon is not None:
            daemon.stop()
    return env.receivers.stop()
