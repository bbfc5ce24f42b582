"""The core that every front shares: from a resolved config, the formatter, the delivery
and (with background=True) the writer, all counting into one Counters.

`SyslogSink` (loguru) is a thin front over it; the stdlib `logging` handler of the
next release is another. A front only turns its record into bytes with `formatter`
and hands them to `deliver`.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Callable, Protocol

from ._background import BackgroundWriter
from ._backoff import Backoff
from ._buffer import Buffer
from ._config import SyslogConfig
from ._counters import Counters, SyslogStats
from ._delivery import Delivery
from ._failover import FailoverTransport
from ._format import Formatter, NumberedFormatter
from ._journal_format import JournalFormatter
from ._outage import Outage
from ._structured import StructuredData

if TYPE_CHECKING:
    from loguru import Record

_WARNING = 4


class Core:
    """Formatter, delivery and writer of one sink, built once from its config."""

    def __init__(self, config: SyslogConfig) -> None:
        self.config = config
        self.counters = counters = Counters()
        self.formatter: RecordFormatter = make_formatter(config, counters)
        self.delivery = Delivery(
            config.transport,
            counters=counters,
            buffer=Buffer(config.buffer_size, config.buffer_bytes),
            backoff=Backoff(config.backoff_min, config.backoff_max),
            outage=Outage(config.address, f"up to {config.buffer_size} messages"),
            recut=self.formatter.recut,
            notice=self._dropped_notice,
        )
        self.writer = BackgroundWriter(self.delivery, config.queue_size, counters) if config.background else None
        #: Hands one formatted message on: to the writer's queue, or to the delivery.
        self.deliver: Callable[[bytes], None] = self._started()

    def stop(self) -> None:
        """Deliver what is queued or buffered, within stop_timeout, then close (bounded
        and final); the next `deliver` starts anew."""
        deadline = time.monotonic() + self.config.stop_timeout
        self.delivery.finish_by(deadline)
        if self.writer is not None:
            self.writer.stop(deadline)
        self.delivery.close(deadline)
        self.deliver = self._restart

    def stats(self) -> SyslogStats:
        writer, transport = self.writer, self.config.transport
        return self.counters.snapshot(
            self.delivery.buffered,
            writer.queued if writer else 0,
            transport.acknowledged,
            transport.rejected,
            transport.target_stats() if isinstance(transport, FailoverTransport) else (),
        )

    def _started(self) -> Callable[[bytes], None]:
        return self.writer.put if self.writer is not None else self.delivery.send

    def _restart(self, data: bytes) -> None:
        """The first message after stop(): the front was started again."""
        self.delivery.reopen()
        self.deliver = self._started()
        self.deliver(data)

    def _dropped_notice(self, count: int) -> bytes:
        return self.formatter.format_text(
            f"loguru-syslog: {count} messages were dropped while {self.config.address} was unreachable", _WARNING
        )


class RecordFormatter(Protocol):
    """What a front needs of a formatter: a record to bytes, a text without a record to
    bytes, and a message cut again smaller (after EMSGSIZE)."""

    def format(self, message: str, record: Record) -> bytes: ...

    def format_text(self, text: str, severity: int) -> bytes: ...

    def recut(self, data: bytes, limit: int) -> bytes: ...


def make_formatter(config: SyslogConfig, counters: Counters) -> RecordFormatter:
    """The formatter for what the transport takes: syslog lines, or journal entries."""
    if config.transport.payload == "journal":
        return JournalFormatter(
            facility=config.facility,
            severities=config.severities,
            app_name=config.app_name,
            extras=config.structured_data,
            counters=counters,
        )
    numbered = config.sequence_id and config.header == "rfc5424"
    return (NumberedFormatter if numbered else Formatter)(
        header=config.header,
        facility=config.facility,
        severities=config.severities,
        hostname=config.hostname,
        app_name=config.app_name,
        msgid=config.msgid,
        structured_data=structured_data(config, counters),
        max_message_size=config.max_message_size,
        keep_newlines=config.keep_newlines and config.transport.carries_newlines,
        replacement=config.replacement,
        bom=config.bom,
        counters=counters,
    )


def structured_data(config: SyslogConfig, counters: Counters | None = None) -> StructuredData | None:
    """The STRUCTURED-DATA of this config (rfc5424 only), or None: the origin element, the
    extras' element (not with structured_data=False) and the records' syslog_sd elements."""
    option = config.structured_data
    if config.header != "rfc5424":
        return None
    return StructuredData(
        config.sd_id,
        None if isinstance(option, bool) else option,
        config.replacement,
        extras=option is not False,
        origin=config.origin,
        counters=counters,
    )
