"""SyslogHandler: the stdlib `logging` front over the same core as the loguru sink.

A LogRecord is shown to the formatter as the loguru record it stands for (time,
level, process, extras, call site, exception), so the same formatter, delivery
and transports serve code that logs with `logging`: one table of levels, one
wire format, one set of guarantees.
"""

from __future__ import annotations

import logging
import os
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
    id: int


class _File(NamedTuple):
    path: str


class _Thread(NamedTuple):
    name: str | None


class _Exception(NamedTuple):
    type: Any
    value: Any
    traceback: Any


_LEVELS: dict[tuple[str, int], _Level] = {}
#: The local UTC offset, found again when the second changes (DST), as [second, tzinfo].
_LOCAL_OFFSET: list[Any] = [None, None]
_PROCESSES: dict[int, _Process] = {}
_CACHE_SIZE = 256


def record_view(record: logging.LogRecord, call_site: bool = True) -> dict[str, Any]:
    """The loguru record a LogRecord stands for, as far as the formatters read one
    (`call_site=False`: without the call site and exception, which only journal entries use)."""
    level = _LEVELS.get((record.levelname, record.levelno))
    if level is None:
        if len(_LEVELS) >= _CACHE_SIZE:
            _LEVELS.clear()
        level = _LEVELS[(record.levelname, record.levelno)] = _Level(record.levelname, record.levelno)
    pid = record.process if record.process is not None else os.getpid()  # logging.logProcesses = False
    process = _PROCESSES.get(pid)
    if process is None:
        if len(_PROCESSES) >= _CACHE_SIZE:  # a pre-fork server's children come and go
            _PROCESSES.clear()
        process = _PROCESSES[pid] = _Process(pid)
    attributes = record.__dict__
    keys = attributes.keys() - PLAIN_ATTRIBUTES
    created = record.created
    second = int(created)
    if _LOCAL_OFFSET[0] != second:
        _LOCAL_OFFSET[:] = [second, datetime.fromtimestamp(second).astimezone().tzinfo]
    view = {
        "time": datetime.fromtimestamp(created, _LOCAL_OFFSET[1]),
        "level": level,
        "process": process,
        # In the order given (`extra=`), as the sink keeps it; the set only says which.
        "extra": {key: value for key, value in attributes.items() if key in keys} if keys else {},
    }
    if call_site:
        exc_info = record.exc_info
        view.update(
            file=_File(record.pathname),
            function=record.funcName,
            line=record.lineno,
            name=record.name,
            thread=_Thread(record.threadName),
            exception=_Exception(*exc_info) if exc_info and exc_info[0] is not None else None,
        )
    return view


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
        self._call_site = self.transport.payload == "journal"  # only journal entries hold it

    @classmethod
    def from_env(
        cls, prefix: str = "SYSLOG_", environ: Mapping[str, str] | None = None, **overrides: Any
    ) -> SyslogHandler:
        """A handler configured from SYSLOG_* variables; keyword overrides win (`level` too)."""
        level = overrides.pop("level", logging.NOTSET)
        return cls(config=config_from_env(prefix, environ, overrides), level=level)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            view = record_view(record, self._call_site)
            data = self._format_record(self.format(record), cast("Record", view))
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
