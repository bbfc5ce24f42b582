"""SyslogSink: loguru's sink protocol in front of the core (config, formatter, delivery)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from ._config import AddressLike, SyslogConfig, configure, resolve
from ._core import Core
from ._counters import SyslogStats
from ._env import config_from_env
from ._options import SinkOptions
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
        config = configure("SyslogSink", address, transport, config, options)
        self.config = config
        self.transport = config.transport
        self._core = Core(config)
        self._format = self._core.formatter.format

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
            self._core.counters.errors += 1
            try:
                data = self._core.formatter.format_text(_text_of(message), self.severity_for("INFO", 20))
            except Exception:  # our own bug: better a count than an exception in the app
                return
        self._core.deliver(data)

    __call__ = write

    def stop(self) -> None:
        """Deliver what is queued or buffered, within stop_timeout, then close.

        Bounded and final: afterwards no thread of the sink runs and nothing is
        sent; added to loguru again, the sink starts anew.
        """
        self._core.stop()

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
        return self._core.stats()

    def __repr__(self) -> str:
        return f"SyslogSink({self.address!r}, header={self.header!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled (spawn, forkserver): the child rebuilds the sink from its configuration
        and opens its own connection."""
        return (_rebuild, (type(self), self.config.rebuild_inputs()))


def _text_of(message: object) -> str:
    try:
        return str(message)
    except Exception:
        return f"<unprintable {type(message).__name__}>"


def _rebuild(cls: type[SyslogSink], inputs: tuple[Any, Mapping[str, Any], Mapping[str, str]]) -> SyslogSink:
    address, given, sources = inputs
    return cls(config=resolve(address, given, sources))
