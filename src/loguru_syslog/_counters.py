"""What a sink counts, written by every part that counts, read as one snapshot (`sink.stats`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TargetStats:
    """One target of a sink with several addresses (failover), in `SyslogStats.targets`."""

    address: str
    """The target's address, as configured (passwords masked)."""
    active: bool
    """Whether it is the target messages go to now (connected)."""
    sent: int
    """Messages it took (acknowledged, for RELP)."""
    errors: int
    """Failed connect or send attempts on it."""
    connections: int
    """Connections opened to it."""


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
    """Waiting for the peer to come back (or to read again), now."""
    queued: int
    """Waiting in the background queue, now."""
    resent: int = 0
    """Sent again on a new connection because the old one ended before the receiver
    acknowledged them (RELP; 0 for transports without acknowledgements)."""
    rejected: int = 0
    """Refused by the receiver (a RELP `500`): counted, reported once, not sent again."""
    targets: tuple[TargetStats, ...] = ()
    """With several addresses (failover): what each target did, in the order given;
    empty for a sink with one address. `sent` is the sum of the targets' `sent`."""


class Counters:
    """The running counts of one sink: the formatter, the delivery and the background
    writer add to the same object, so a snapshot needs no arithmetic."""

    __slots__ = ("dropped", "errors", "reconnects", "resent", "sanitized", "sent", "truncated")

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.sent = self.dropped = self.truncated = self.reconnects = self.errors = self.sanitized = 0
        self.resent = 0

    def snapshot(
        self,
        buffered: int,
        queued: int,
        acknowledged: int = 0,
        rejected: int = 0,
        targets: tuple[TargetStats, ...] = (),
    ) -> SyslogStats:
        """The counts; `acknowledged` and `rejected` come from an acknowledging transport
        (its acknowledgements are what counts as sent)."""
        counts = {name: getattr(self, name) for name in self.__slots__}
        counts["sent"] += acknowledged
        return SyslogStats(buffered=buffered, queued=queued, rejected=rejected, targets=targets, **counts)
