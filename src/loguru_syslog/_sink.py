"""SyslogSink: loguru's sink protocol in front of the core (config, formatter, delivery)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Callable, Mapping

from ._background import BackgroundWriter
from ._backoff import Backoff
from ._buffer import Buffer
from ._config import AddressLike, SyslogConfig, closest, resolve
from ._counters import Counters, SyslogStats
from ._delivery import Delivery
from ._env import config_from_env
from ._errors import SyslogConfigError
from ._format import Formatter
from ._options import OPTIONS, SinkOptions
from ._outage import Outage
from ._structured import StructuredData
from ._transport import Transport

if TYPE_CHECKING:
    from loguru import Message
    from typing_extensions import Unpack

_WARNING = 4


class SyslogSink:
    """A loguru sink that sends each record to syslog.

    `logger.add(SyslogSink("udp://logs.example.com:514", facility="local0"), format="{message}")`

    The options (`facility`, `header`, ..., see `SinkOptions` and the
    configuration page) default to None, meaning: the value from the address's
    URL query (`?facility=local0`), else the documented default (some depend on
    the transport). Every invalid value raises SyslogConfigError here, never while
    logging; a peer that is down is not an error (messages wait and retry).
    `transport=` takes a Transport of your own (as `address` does); `config=` a
    configuration resolved already (what `from_env` passes).
    """

    def __init__(
        self,
        address: AddressLike = None,
        *,
        transport: Transport | None = None,
        config: SyslogConfig | None = None,
        **options: Unpack[SinkOptions],
    ) -> None:
        unknown = sorted(set(options) - set(OPTIONS))
        if unknown:  # a misspelt option must not pass silently
            guess = closest(unknown[0], list(OPTIONS))
            hint = f"; did you mean {guess}?" if guess else ""
            raise TypeError(f"SyslogSink() got an unexpected keyword argument {unknown[0]!r}{hint}")
        given: dict[str, Any] = {name: value for name, value in options.items() if value is not None}
        if config is not None:
            if given or address is not None or transport is not None:
                raise SyslogConfigError("config", config, "alone: the options are in it already")
        else:
            if transport is not None:
                given["transport"] = transport
            config = resolve(address, given)
        self.config = config
        self.transport = config.transport
        self._counters = counters = Counters()
        self._formatter = formatter = Formatter(
            header=config.header,
            facility=config.facility,
            severities=config.severities,
            hostname=config.hostname,
            app_name=config.app_name,
            msgid=config.msgid,
            structured_data=_structured_data(config),
            max_message_size=config.max_message_size,
            keep_newlines=config.keep_newlines and config.transport.carries_newlines,
            replacement=config.replacement,
            bom=config.bom,
            counters=counters,
        )
        self._delivery = Delivery(
            config.transport,
            counters=counters,
            buffer=Buffer(config.buffer_size, config.buffer_bytes),
            backoff=Backoff(config.backoff_min, config.backoff_max),
            outage=Outage(config.address, f"up to {config.buffer_size} messages"),
            recut=formatter.recut,
            notice=self._dropped_notice,
        )
        self._writer = BackgroundWriter(self._delivery, config.queue_size, counters) if config.background else None
        self._format = formatter.format
        self._deliver: Callable[[bytes], None] = self._started_deliver()

    @classmethod
    def from_env(
        cls, prefix: str = "SYSLOG_", environ: Mapping[str, str] | None = None, **overrides: Any
    ) -> SyslogSink:
        """A sink configured from SYSLOG_* variables (twelve-factor); keyword overrides win.

        Precedence: keyword overrides, then the dedicated variable (SYSLOG_FACILITY...),
        then query parameters of SYSLOG_URL, then defaults.
        """
        return cls(config=config_from_env(prefix, environ, overrides))

    # -- loguru's sink protocol -----------------------------------------------------------

    def write(self, message: Message) -> None:
        """Format and send one loguru message. Never raises a failure into the application."""
        try:
            data = self._format(message, message.record)
        except Exception:
            # Not a loguru message (a direct call), or a record we did not foresee:
            # the text still goes out, at info severity.
            self._counters.errors += 1
            try:
                data = self._formatter.format_text(_text_of(message), self.severity_for("INFO", 20))
            except Exception:  # our own bug: better a count than an exception in the app
                return
        self._deliver(data)

    __call__ = write

    def stop(self) -> None:
        """Deliver what is queued or buffered, within stop_timeout, then close.

        Bounded and final: afterwards no thread of the sink runs and nothing is
        sent; added to loguru again, the sink starts anew.
        """
        deadline = time.monotonic() + self.config.stop_timeout
        self._delivery.finish_by(deadline)
        if self._writer is not None:
            self._writer.stop(deadline)
        self._delivery.close(deadline)
        self._deliver = self._restart

    # -- the rest of the public surface ---------------------------------------------------

    @property
    def address(self) -> str:
        """Where the messages go, as text (the URL, or the transport's repr)."""
        return self.config.address

    @property
    def header(self) -> str:
        return self.config.header

    @property
    def max_message_size(self) -> int:
        return self.config.max_message_size

    def severity_for(self, level_name: str, level_no: int) -> int:
        """The syslog severity (0..7) a loguru level maps to with this sink's table."""
        return self.config.severities.severity_for(level_name, level_no)

    @property
    def stats(self) -> SyslogStats:
        """A snapshot of the counters: what was sent, dropped, truncated, retried."""
        writer = self._writer
        return self._counters.snapshot(self._delivery.buffered, writer.queued if writer else 0)

    def __repr__(self) -> str:
        return f"SyslogSink({self.address!r}, header={self.header!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled (spawn, forkserver): the child rebuilds the sink from its configuration
        and opens its own connection."""
        return (_rebuild, (type(self), self.config.rebuild_inputs()))

    # -- internals --------------------------------------------------------------------------

    def _started_deliver(self) -> Callable[[bytes], None]:
        return self._writer.put if self._writer is not None else self._delivery.send

    def _restart(self, data: bytes) -> None:
        """The first message after stop(): the sink was added again; start anew."""
        self._delivery.reopen()
        self._deliver = self._started_deliver()
        self._deliver(data)

    def _dropped_notice(self, count: int) -> bytes:
        return self._formatter.format_text(
            f"loguru-syslog: {count} messages were dropped while {self.address} was unreachable", _WARNING
        )


def _structured_data(config: SyslogConfig) -> StructuredData | None:
    option = config.structured_data
    if config.header != "rfc5424" or option is False:
        return None
    return StructuredData(config.sd_id, None if option is True else option, config.replacement)


def _text_of(message: object) -> str:
    try:
        return str(message)
    except Exception:
        return f"<unprintable {type(message).__name__}>"


def _rebuild(cls: type[SyslogSink], inputs: tuple[Any, Mapping[str, Any], Mapping[str, str]]) -> SyslogSink:
    address, given, sources = inputs
    return cls(config=resolve(address, given, sources))
