"""SyslogHandler: the stdlib `logging` front over the same core as the loguru sink.

A LogRecord is shown to the formatter as the loguru record it stands for (time,
level, process, extras, call site, exception), so the same formatter, delivery
and transports serve code that logs with `logging`: one table of levels, one
wire format, one set of guarantees.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any, Mapping, NamedTuple, cast

from ._config import AddressLike, SyslogConfig, configure
from ._core import Core
from ._counters import SyslogStats
from ._env import config_from_env
from ._options import SinkOptions
from ._transport import Transport

if TYPE_CHECKING:
    from loguru import Record
    from typing_extensions import Unpack

#: The attributes every LogRecord has (and those logging adds while formatting): the
#: others came from `extra=` and become structured data (or journal fields).
PLAIN_ATTRIBUTES = frozenset(
    vars(logging.LogRecord("name", logging.INFO, "path", 1, "msg", None, None)).keys()
    | {"message", "asctime", "taskName"}
)


class _Level(NamedTuple):
    name: str
    no: int


class _Process(NamedTuple):
    id: int | None


class _File(NamedTuple):
    path: str


class _Thread(NamedTuple):
    name: str | None


class _Exception(NamedTuple):
    type: Any
    value: Any
    traceback: Any


def record_view(record: logging.LogRecord) -> dict[str, Any]:
    """The loguru record a LogRecord stands for, as far as the formatters read one."""
    keys = record.__dict__.keys() - PLAIN_ATTRIBUTES
    exc_info = record.exc_info
    return {
        "time": datetime.fromtimestamp(record.created).astimezone(),
        "level": _Level(record.levelname, record.levelno),
        "process": _Process(record.process),
        "extra": {key: record.__dict__[key] for key in keys} if keys else {},
        "file": _File(record.pathname),
        "function": record.funcName,
        "line": record.lineno,
        "name": record.name,
        "thread": _Thread(record.threadName),
        "exception": _Exception(*exc_info) if exc_info and exc_info[0] is not None else None,
    }


class SyslogHandler(logging.Handler):
    """A `logging.Handler` that sends each record to syslog, with every option of the sink.

    `logging.getLogger().addHandler(SyslogHandler("udp://logs:514", app_name="api"))`,
    or from `logging.config.dictConfig` (`"class": "loguru_syslog.SyslogHandler"` or
    `"()"`, the options as keys). MSG is the handler's formatted text (`%(message)s` by
    default) with the traceback on the same line; attributes given with `extra=`
    become structured data (`msgid` the MSGID). Failures never raise into the code
    that logs: they are counted in `stats` and reported once per outage.
    """

    def __init__(
        self,
        address: AddressLike = None,
        *,
        transport: Transport | None = None,
        config: SyslogConfig | None = None,
        level: int | str = logging.NOTSET,
        **options: Unpack[SinkOptions],
    ) -> None:
        self.config = configure("SyslogHandler", address, transport, config, options)
        super().__init__(level)
        self.transport = self.config.transport
        self._core = Core(self.config)
        self._format_record = self._core.formatter.format

    @classmethod
    def from_env(
        cls, prefix: str = "SYSLOG_", environ: Mapping[str, str] | None = None, **overrides: Any
    ) -> SyslogHandler:
        """A handler configured from SYSLOG_* variables; keyword overrides win (`level` too)."""
        level = overrides.pop("level", logging.NOTSET)
        return cls(config=config_from_env(prefix, environ, overrides), level=level)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            data = self._format_record(self.format(record), cast("Record", record_view(record)))
        except Exception:
            self.handleError(record)  # a bad record (a failing %-format): the stdlib's way
            return
        self._core.deliver(data)

    def close(self) -> None:
        """Deliver what waits (within stop_timeout), then close; bounded and final."""
        try:
            self._core.stop()
        finally:
            super().close()

    @property
    def stats(self) -> SyslogStats:
        """A snapshot of the counters, as `SyslogSink.stats`."""
        return self._core.stats()

    def severity_for(self, level_name: str, level_no: int) -> int:
        """The syslog severity (0..7) a logging level maps to with this handler's table."""
        return self.config.severities.severity_for(level_name, level_no)

    def __repr__(self) -> str:
        return f"<SyslogHandler {self.config.address} ({logging.getLevelName(self.level)})>"
