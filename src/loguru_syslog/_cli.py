"""The `loguru-syslog` command (`python -m loguru_syslog`): `check` and `send`.

Both read the same SYSLOG_* environment as `SyslogSink.from_env()`, and accept
every option as a flag (`--facility`, `--app-name`, ..., `--url`); flags win over
the environment. Exit status: 0 delivered (as far as the transport can tell), 1
the transport failed, 2 a configuration or usage error.

The command owns loguru's global logger while it runs: it removes loguru's
default handler, so that only the sink receives the messages it sends.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from dataclasses import dataclass
from typing import IO, Any, Sequence

from ._env import ARGUMENT, DEFAULT, DEFAULT_PREFIX, URL_QUERY, URL_SUFFIX, config_from_env
from ._errors import SyslogConfigError
from ._failover import FailoverTransport
from ._options import OPTIONS, parse_bool
from ._severity import BUILTIN_LEVELS, FACILITIES, SEVERITIES
from ._sink import SyslogSink
from ._socket_transport import SocketTransport
from ._stdio import StdioTransport
from ._transport import Transport
from ._udp import UDPTransport

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2
PROG = "loguru-syslog"
#: How long to wait for an ICMP "port unreachable" after the last datagram. On
#: loopback it is there before send() returns; a remote host answers within a round trip.
DATAGRAM_ERROR_WAIT = 0.5
_SEVERITY_NAMES = {code: name for name, code in reversed(list(SEVERITIES.items()))}
_FACILITY_NAMES = {code: name for name, code in FACILITIES.items()}


def flag(name: str) -> str:
    """The command-line flag of an option: app_name -> --app-name."""
    return "--" + name.replace("_", "-")


def option_flags() -> dict[str, str]:
    """Every option the command accepts as a flag -> its flag (the docs list them all)."""
    return {name: flag(name) for name, option in OPTIONS.items() if option.textual}


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("sink options (each overrides its SYSLOG_* variable)")
    group.add_argument("--url", metavar="URL", help="the address, e.g. udp://logs:514 (overrides SYSLOG_URL)")
    group.add_argument(
        "--prefix",
        default=DEFAULT_PREFIX,
        metavar="PREFIX",
        help=f"of the variables to read (default {DEFAULT_PREFIX})",
    )
    for name, option_flag in option_flags().items():
        option = OPTIONS[name]
        if option.parse is parse_bool:
            group.add_argument(
                option_flag, dest=name, action=argparse.BooleanOptionalAction, default=None, help=option.help
            )
        else:
            group.add_argument(option_flag, dest=name, metavar=name.upper(), help=option.help)

    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Check or use a loguru-syslog configuration from the environment (SYSLOG_*) and flags.",
        epilog="Exit status: 0 delivered, 1 the transport failed, 2 configuration error.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    commands.add_parser(
        "check",
        parents=[common],
        help="show the configuration, open the transport, send one test message per level",
        description="Print the resolved configuration and where each value came from, open the transport, "
        "send one test message per loguru level and report what happened.",
    )
    send = commands.add_parser(
        "send",
        parents=[common],
        help="send one message (like logger(1))",
        description="Send TEXT as one message; without TEXT, each line of standard input is a message.",
    )
    send.add_argument("text", nargs="?", metavar="TEXT", help="the message (default: read lines from stdin)")
    send.add_argument("--level", default="INFO", help="loguru level name or number (default INFO)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """The console script. Returns the exit status.

    Standard output or error may be None (closed at start: `check >&-`, pythonw):
    `check` then has nowhere to report and exits with EXIT_CONFIG, saying so on
    stderr if it can; without stderr, messages are dropped, the status remains.
    """
    import io

    args = build_parser().parse_args(argv)
    out, err = sys.stdout, sys.stderr if sys.stderr is not None else io.StringIO()
    if out is None and args.command == "check":
        err.write(f"{PROG}: check: standard output is closed, so the report has nowhere to go\n")
        return EXIT_CONFIG
    if sys.stdin is None and args.command == "send" and args.text is None:
        err.write(f"{PROG}: send: standard input is closed; give the message as TEXT\n")
        return EXIT_CONFIG
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            sink = _make_sink(args)
        for warning in caught:
            err.write(f"{PROG}: warning: {warning.message}\n")
        if args.command == "send":
            level = _parse_level(args.level)
            lines = [args.text] if args.text is not None else [line.rstrip("\n") for line in sys.stdin]
            return _send(sink, level, lines, err)
    except SyslogConfigError as exc:
        err.write(f"{PROG}: configuration error: {exc}\n")
        return EXIT_CONFIG
    return _check(sink, args.prefix, out, err)


def _make_sink(args: argparse.Namespace) -> SyslogSink:
    overrides: dict[str, Any] = {name: getattr(args, name) for name in option_flags()}
    overrides["address"] = args.url
    labels = {name: flag(name) for name in option_flags()}
    labels["address"] = "--url"
    return SyslogSink(config=config_from_env(args.prefix, os.environ, overrides, labels))


def _parse_level(text: str) -> str | int:
    value = text.strip()
    if value.isdigit():
        return int(value)
    for name, _, _ in BUILTIN_LEVELS:
        if value.upper() == name:
            return name
    raise SyslogConfigError(
        "--level", text, f"a loguru level name ({', '.join(n for n, _, _ in BUILTIN_LEVELS)}) or number"
    )


# -- sending -----------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What happened to the messages: None reason means delivered as far as we can tell."""

    reason: str | None
    statuses: list[str]


def _deliver(sink: SyslogSink, messages: Sequence[tuple[str | int, str]], error: Exception | None) -> Outcome:
    """Log `messages` through loguru, unless `error` (what opening the transport once,
    to see whether it can, raised: `_open_error`) says it cannot.

    Failure: the transport does not open, a send fails or anything is dropped
    (`sink.stats`), or a datagram socket holds an error (ICMP port unreachable).
    """
    if error is not None:
        return Outcome(f"cannot open {sink.address}: {_describe(error)}", [])
    from loguru import logger

    logger.remove()  # the default stderr handler would print our test messages too
    handler = logger.add(sink, level=0, format="{message}", catch=True)
    statuses = []
    pending: OSError | None = None
    try:
        for level, text in messages:
            before = sink.stats
            logger.log(level, text)
            if sink.transport.acknowledges and not sink.config.background:
                _await_acknowledgement(sink)
            statuses.append(_status(before, sink))
        pending = _pending_error(sink.transport, min(DATAGRAM_ERROR_WAIT, sink.config.timeout))
    finally:
        logger.remove(handler)  # stops the sink: delivers what waits, closes
    stats = sink.stats
    if pending is not None:
        reason = f"{sink.address} refused the messages: {_describe(pending)}"
    elif stats.errors or stats.dropped:
        reason = f"{sink.address}: {stats.errors} failed send attempts, {stats.dropped} messages dropped"
    else:
        reason = None
    return Outcome(reason, statuses)


def _open_error(transport: Transport) -> Exception | None:
    try:
        transport.open()
    except Exception as exc:
        return exc
    finally:
        transport.close()
    return None


def _pending_error(transport: Transport, wait: float) -> OSError | None:
    """A datagram socket's pending error (ICMP "port unreachable"), waiting up to `wait`.

    A connected UDP socket learns of it asynchronously: the send that caused it
    succeeded, and only the next one (or SO_ERROR) tells.
    """
    return transport.pending_error(wait) if isinstance(transport, SocketTransport) else None


def _status(before: Any, sink: SyslogSink) -> str:
    after = sink.stats
    sent, errors = after.sent - before.sent, after.errors - before.errors
    note = f" (after {errors} error{'s' if errors > 1 else ''})" if errors else ""
    if sent:
        return "sent" + note
    if after.queued > before.queued:
        return "queued for the writer thread"
    if after.dropped > before.dropped:
        return "dropped" + note
    if after.buffered > before.buffered:
        return "kept for retry: the peer is unreachable" + note
    return "not sent" + note


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _send(sink: SyslogSink, level: str | int, lines: Sequence[str], err: IO[str]) -> int:
    outcome = _deliver(sink, [(level, line) for line in lines], _open_error(sink.transport))
    if outcome.reason is not None:
        err.write(f"{PROG}: send failed: {outcome.reason}\n")
        return EXIT_FAILED
    return EXIT_OK


# -- check ---------------------------------------------------------------------------------------


def _check(sink: SyslogSink, prefix: str, out: IO[str], err: IO[str]) -> int:
    sources = sink.config.sources
    rows = [("address", sink.address, _source(sources.get("address", DEFAULT), prefix))]
    rows.append(("transport", repr(sink.transport), ""))
    for name in OPTIONS:
        rows.append((name, _shown(sink, name), _source(sources.get(name, DEFAULT), prefix)))
    width = max(len(name) for name, _, _ in rows)
    value_width = min(max(len(value) for _, value, _ in rows), 48)
    out.write(f"{PROG} check: configuration (variables with prefix {prefix})\n")
    for name, value, source in rows:
        out.write(f"  {name:<{width}}  {value:<{value_width}}  {source}".rstrip() + "\n")
    unreachable = _open_targets(sink, out)
    error = _open_error(sink.transport)  # a failover: whether any target opens
    if error is None and not isinstance(sink.transport, FailoverTransport):
        _show_opened(sink.address, sink.transport, out, always=False)
    out.write(f"\nsending one test message per loguru level to {sink.address}:\n")
    out.flush()
    levels = [(name, no) for name, no, _ in BUILTIN_LEVELS]
    messages = [(name, f"loguru-syslog check: test message at {name}") for name, _ in levels]
    outcome = _deliver(sink, messages, error)
    if not outcome.statuses:
        out.write("  not sent: the transport did not open\n")
    for (name, no), status in zip(levels, outcome.statuses):
        severity = sink.severity_for(name, no)
        pri = sink.config.facility * 8 + severity
        out.write(f"  {name:<8} -> {_SEVERITY_NAMES[severity]} ({severity}), PRI {pri}: {status}\n")
    stats = sink.stats
    out.write(
        f"\nstats: sent={stats.sent} errors={stats.errors} dropped={stats.dropped} "
        f"reconnects={stats.reconnects} truncated={stats.truncated}\n"
    )
    for target in stats.targets:
        out.write(
            f"  {target.address}: sent={target.sent} errors={target.errors} "
            f"connections={target.connections}{' (active)' if target.active else ''}\n"
        )
    if outcome.reason is None and unreachable:
        count = f"{len(unreachable)} of {len(stats.targets)}"
        outcome.reason = f"{count} targets cannot be opened: {', '.join(unreachable)}"
    if outcome.reason is not None:
        out.write(f"FAILED: {outcome.reason}\n")
        out.flush()
        err.write(f"{PROG}: check failed: {outcome.reason}\n")
        return EXIT_FAILED
    out.write(f"OK: {stats.sent} messages handed to {sink.address}{_caveat(sink.transport)}\n")
    return EXIT_OK


def _open_targets(sink: SyslogSink, out: IO[str]) -> list[str]:
    """With several addresses: open each target once and say how it went. Returns the
    addresses that could not be opened (none for a single address: `_deliver` tells)."""
    transport = sink.transport
    if not isinstance(transport, FailoverTransport):
        return []
    out.write("\nopening each target, in order of preference:\n")
    unreachable = []
    for name, target in zip(transport.names, transport.targets):
        error = _open_error(target)
        if error is None:
            _show_opened(name, target, out)
        else:
            unreachable.append(name)
            out.write(f"  {name}: cannot open: {_describe(error)}\n")
    return unreachable


def _show_opened(name: str, transport: Transport, out: IO[str], always: bool = True) -> None:
    """A target that opened, with the server certificate's SHA-256 for TLS (what
    `tls_pin_sha256` takes); not `always`: only when there is a certificate to show."""
    pin = getattr(transport, "peer_sha256", None)
    if pin:
        out.write(f"  {name}: opened; server certificate SHA-256 {pin}\n")
    elif always:
        out.write(f"  {name}: opened\n")


def _await_acknowledgement(sink: SyslogSink) -> None:
    """RELP: a message counts as sent when the server acknowledges it; wait for that
    (within the timeout) so that each level's line tells what happened to it."""
    transport = sink.transport
    transport.deadline = time.monotonic() + sink.config.timeout
    try:
        transport.settle()
    except Exception:  # a failure shows in the stats and in the verdict below
        pass
    finally:
        transport.deadline = 0.0


def _caveat(transport: Transport) -> str:
    if transport.acknowledges:
        return " (acknowledged by the server)"
    if isinstance(transport, UDPTransport):
        return (
            f" (UDP does not confirm delivery: no error came back within {DATAGRAM_ERROR_WAIT:g} s;"
            " look for them at the receiver)"
        )
    if isinstance(transport, StdioTransport):
        return ""
    return " (accepted by the peer's socket; look for them at the receiver)"


def _source(source: str, prefix: str) -> str:
    if source == URL_QUERY:
        return f"{prefix}{URL_SUFFIX} query"
    if source == DEFAULT:
        return "default"
    if source == ARGUMENT:
        return "argument"
    return source


def _shown(sink: SyslogSink, name: str) -> str:
    """An option's effective value, as text (defaults decided by the transport say so)."""
    config = sink.config
    value = getattr(config, name)
    explicit = name in config.explicit
    if name == "facility":
        return f"{_FACILITY_NAMES.get(value, value)} ({value})"
    if name in ("header", "max_message_size", "framing") and not explicit:
        if value is None:
            return "- (datagrams: none)"
        return f"{value} (by transport)"
    if name == "app_name" and not explicit:
        return f"{value} (the program name)"
    if name == "hostname" and not explicit:
        return f"{value} (this host)"
    if name == "severities":
        table: dict[str | int, int] = value.as_dict()
        builtin: dict[str | int, int] = {no: severity for _, no, severity in BUILTIN_LEVELS}
        entries = [f"{key}={_SEVERITY_NAMES[sev]}" for key, sev in table.items() if builtin.get(key) != sev]
        return ",".join(entries) if entries else "the default table"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, frozenset):
        return ",".join(sorted(value))
    if isinstance(value, tuple):  # tls_pin_sha256: as it is written
        return ",".join(value)
    if value is None:
        return "-"
    if name == "replacement":
        return repr(value)
    return str(value)


def _version() -> str:
    from . import __version__

    return __version__
