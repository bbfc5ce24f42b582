"""SyslogSink: composes formatter, delivery and transport, and speaks loguru's sink protocol."""

from __future__ import annotations

import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Union

from ._address import Address, build_transport, find_local_socket, parse_url
from ._background import BackgroundWriter
from ._delivery import Delivery
from ._env import check_query
from ._errors import SyslogConfigError
from ._format import Formatter, default_app_name
from ._options import OPTIONS
from ._severity import SeverityMapping, SeverityTable
from ._structured import StructuredData
from ._transport import Transport

AddressLike = Union[str, "tuple[str, int]", Transport, None]
# Options that only mean something for some transports.
_TLS_OPTIONS = ("tls_context", "tls_ca_file", "tls_cert_file", "tls_key_file", "tls_verify", "tls_server_name")
_WARNING = 4


@dataclass(frozen=True)
class SyslogStats:
    """A snapshot of a sink's counters (`sink.stats`). All counts are of messages."""

    sent: int
    """Handed to the transport without error (for UDP and TCP: to the kernel)."""
    dropped: int
    """Lost for good: the oldest pushed out of a full buffer or queue, or left unsent at stop()."""
    truncated: int
    """Cut to max_message_size (or further, to what a datagram socket accepts)."""
    reconnects: int
    """Successful connections after a failure."""
    errors: int
    """Failed connect or send attempts (each one retried, or counted in dropped), plus
    records that could not be formatted normally (sent through the fallback)."""
    sanitized: int
    """Messages whose control characters were replaced or whose text could not be encoded."""
    buffered: int
    """Waiting for the peer to come back, now."""
    queued: int
    """Waiting in the background queue, now."""


class SyslogSink:
    """A loguru sink that sends each record to syslog.

    `logger.add(SyslogSink("udp://logs.example.com:514", facility="local0"), format="{message}")`

    Every keyword defaults to None, meaning: the value from the address's URL
    query (`?facility=local0`), else the documented default (some depend on the
    transport). Every invalid value raises SyslogConfigError here, never while
    logging; a peer that is down is not an error (messages wait and retry).
    """

    def __init__(
        self,
        address: AddressLike = None,
        *,
        facility: str | int | None = None,
        header: str | None = None,
        app_name: str | None = None,
        hostname: str | None = None,
        msgid: str | None = None,
        severities: SeverityMapping | str | None = None,
        framing: str | None = None,
        max_message_size: int | None = None,
        timeout: float | None = None,
        background: bool | None = None,
        queue_size: int | None = None,
        buffer_size: int | None = None,
        backoff_min: float | None = None,
        backoff_max: float | None = None,
        stop_timeout: float | None = None,
        structured_data: bool | Iterable[str] | None = None,
        sd_id: str | None = None,
        keep_newlines: bool | None = None,
        replacement: str | None = None,
        bom: bool | None = None,
        tls_context: ssl.SSLContext | None = None,
        tls_ca_file: str | None = None,
        tls_cert_file: str | None = None,
        tls_key_file: str | None = None,
        tls_verify: bool | None = None,
        tls_server_name: str | None = None,
    ) -> None:
        given = {name: value for name, value in locals().items() if name in OPTIONS and value is not None}
        self._init(address, given, sources={})

    def _init(self, address: AddressLike, given: Mapping[str, Any], sources: dict[str, str]) -> None:
        """Build the sink from explicit values (`given`) over the URL query over defaults.

        `sources` records where each value came from (for the `check` command).
        """
        parsed = _parse_address(address)
        if parsed is not None:  # unknown or bad query parameters: an error naming "address?key"
            check_query(parsed, "address", skip=frozenset(given))
        values: dict[str, Any] = {}
        for name, option in OPTIONS.items():
            if name in given:
                values[name] = option.parse(given[name], sources.get(name, name))
                sources.setdefault(name, "argument")
            elif parsed is not None and name in parsed.query and option.textual:
                values[name] = option.parse(parsed.query[name], f"address?{name}")
                sources[name] = "URL query"
            else:
                values[name] = None if option.default is None else option.parse(option.default, name)
                sources.setdefault(name, "default")
        if values["backoff_max"] < values["backoff_min"]:
            raise SyslogConfigError("backoff_max", values["backoff_max"], f">= backoff_min ({values['backoff_min']})")

        transport = _make_transport(address, parsed, values)
        _check_applicable(transport, parsed, values, given)
        self.transport = transport
        self.address = str(parsed) if parsed is not None else repr(transport)
        header = values["header"] or transport.default_header
        if values["facility"] is None:
            values["facility"] = transport.default_facility
        sd_option = values["structured_data"]
        structured = None
        if header == "rfc5424" and sd_option is not False:
            structured = StructuredData(
                values["sd_id"], None if sd_option is True else sd_option, values["replacement"]
            )
        self.options = values
        self.sources = sources
        self._severities: SeverityTable = values["severities"] or SeverityTable()
        self.header = header
        self.max_message_size: int = values["max_message_size"] or transport.default_max_message_size
        self._formatter = Formatter(
            header=header,
            facility=values["facility"],
            severities=self._severities,
            hostname=values["hostname"] if values["hostname"] is not None else socket.gethostname(),
            app_name=values["app_name"] if values["app_name"] is not None else default_app_name(),
            msgid=values["msgid"],
            structured_data=structured,
            max_message_size=self.max_message_size,
            keep_newlines=values["keep_newlines"] and transport.carries_newlines,
            replacement=values["replacement"],
            bom=values["bom"],
        )
        self._delivery = Delivery(
            transport,
            buffer_size=values["buffer_size"],
            timeout=values["timeout"],
            backoff_min=values["backoff_min"],
            backoff_max=values["backoff_max"],
            dropped_notice=self._dropped_notice,
            name=self.address,
        )
        self._writer = BackgroundWriter(self._delivery, values["queue_size"]) if values["background"] else None
        self._stop_timeout: float = values["stop_timeout"]
        self._format = self._formatter.format
        self._deliver = self._writer.put if self._writer is not None else self._delivery.send
        self._fallbacks = 0

    @classmethod
    def from_env(
        cls, prefix: str = "SYSLOG_", environ: Mapping[str, str] | None = None, **overrides: Any
    ) -> SyslogSink:
        """A sink configured from SYSLOG_* variables (twelve-factor); keyword overrides win.

        Precedence: keyword overrides, then the dedicated variable (SYSLOG_FACILITY...),
        then query parameters of SYSLOG_URL, then defaults.
        """
        from ._env import sink_from_env

        return sink_from_env(cls, prefix, environ, overrides)

    # -- loguru's sink protocol -----------------------------------------------------------

    def write(self, message: str) -> None:
        """Format and send one loguru message. Never raises into the application."""
        try:
            data = self._format(message, message.record)  # type: ignore[attr-defined]
        except Exception:
            # Not a loguru message (a direct call), or a record we did not foresee:
            # the text still goes out, at info severity.
            self._fallbacks += 1
            try:
                data = self._fallback(message)
            except Exception:  # our own bug: better a count than an exception in the app
                return
        self._deliver(data)

    __call__ = write

    def stop(self) -> None:
        """Deliver what is queued or buffered (bounded by stop_timeout), then close."""
        deadline = time.monotonic() + self._stop_timeout
        if self._writer is not None:
            self._writer.stop(self._stop_timeout)
        self._delivery.close(max(deadline - time.monotonic(), 0.0))

    # -- the rest of the public surface ---------------------------------------------------

    def severity_for(self, level_name: str, level_no: int) -> int:
        """The syslog severity (0..7) a loguru level maps to with this sink's table."""
        return self._severities.severity_for(level_name, level_no)

    @property
    def stats(self) -> SyslogStats:
        """A snapshot of the counters: what was sent, dropped, truncated, retried."""
        writer, delivery, formatter = self._writer, self._delivery, self._formatter
        return SyslogStats(
            sent=delivery.sent,
            dropped=delivery.dropped + (writer.dropped if writer else 0),
            truncated=formatter.truncated + delivery.truncated,
            reconnects=delivery.reconnects,
            errors=delivery.errors + self._fallbacks,
            sanitized=formatter.sanitized,
            buffered=delivery.buffered,
            queued=writer.queued if writer else 0,
        )

    def __repr__(self) -> str:
        return f"SyslogSink({self.address!r}, header={self.header!r})"

    # -- internals --------------------------------------------------------------------------

    def _fallback(self, message: Any) -> bytes:
        try:
            text = str(message)
        except Exception:
            text = f"<unprintable {type(message).__name__}>"
        return self._formatter.format_text(text, self._severities.severity_for("INFO", 20))

    def _dropped_notice(self, count: int) -> bytes:
        return self._formatter.format_text(
            f"loguru-syslog: {count} messages were dropped while {self.address} was unreachable", _WARNING
        )


def _parse_address(address: AddressLike) -> Address | None:
    if isinstance(address, str):
        return parse_url(address)
    if isinstance(address, tuple):
        if (
            len(address) == 2
            and isinstance(address[0], str)
            and isinstance(address[1], int)
            and not isinstance(address[1], bool)
            and 0 < address[1] < 65536
        ):
            return Address("udp", host=address[0], port=address[1])
        raise SyslogConfigError("address", address, "a (host, port) tuple with a port from 1 to 65535")
    if address is None:
        return Address("unix", path=find_local_socket())
    if isinstance(address, Transport):
        return None
    raise SyslogConfigError("address", address, "a URL, a (host, port) tuple, a Transport, or None")


def _make_transport(address: AddressLike, parsed: Address | None, values: dict[str, Any]) -> Transport:
    if parsed is None:
        assert isinstance(address, Transport)
        return address
    return build_transport(parsed, values)


def _check_applicable(
    transport: Transport, parsed: Address | None, values: dict[str, Any], given: Mapping[str, Any]
) -> None:
    """Options that cannot apply to this transport are mistakes: say so instead of ignoring them."""
    set_here = set(given) | (set(parsed.query) if parsed is not None else set())
    if parsed is None:
        for name in ("framing", "timeout", *_TLS_OPTIONS):
            if name in set_here:
                raise SyslogConfigError(name, values[name], "configure it on the Transport instance you passed")
        return
    if parsed.scheme != "tls":
        for name in _TLS_OPTIONS:
            if name in set_here:
                raise SyslogConfigError(name, values[name], "only for tls:// addresses")
    # Known before connecting: UDP and unixgram:// are datagrams; unix:// may become a stream.
    if "framing" in set_here and (transport.datagram or parsed.scheme in ("stdout", "stderr")):
        raise SyslogConfigError("framing", values["framing"], "only for stream transports (tcp, tls, unix streams)")
