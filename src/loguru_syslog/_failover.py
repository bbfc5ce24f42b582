"""FailoverTransport: several targets behind one transport, under one delivery policy.

The delivery sees one transport: it buffers, counts, backs off and reports as for
any other. Behind it, the first target that works takes the messages. When the
active target fails, the delivery reconnects at once (a working connection broke),
and `open()` goes to the next target whose own backoff is due: the buffered
messages, and for RELP those never acknowledged, go there first, in order. A
failed target waits for its own backoff; with `failback`, an earlier target is
probed when its backoff is due, during a later send, and takes over once it
connects and the active target has nothing in flight (a started frame, an
unacknowledged RELP message). A stall is not a failure: a target that is there
but slow keeps its connection, as with one target.
"""

from __future__ import annotations

import errno
import math
import time
from typing import Callable, Sequence

from ._backoff import Backoff
from ._counters import TargetStats
from ._link import HEALTHY_AFTER
from ._outage import report
from ._transport import PartialSendError, Transport, TransportTimeout, close_quietly

#: How long a failback waits, at most, for the active target's answers to what is in
#: flight (RELP acknowledgements) before it switches; past it, it tries at a later send.
SETTLE_BEFORE_SWITCH = 0.2


class FailoverTransport(Transport):
    """Sends to the first of `targets` that works; the next takes over when it fails.

    `names` label the targets in reports and `stats` (default: their repr).
    `failback`: go back to an earlier target once it works again (probed with
    its own backoff, from `backoff_min` doubling to `backoff_max`, with jitter).
    What the sink reads (header, facility, size) comes from the first target;
    `size_limit` is the smallest of all; `carries_newlines` and `datagram` hold
    only when they hold for every target.

    Every message counts as acknowledged when its target took it (or, for an
    acknowledging target such as RELP, when the receiver acknowledged it), so
    the sink's `sent` is the total over the targets.
    """

    def __init__(
        self,
        targets: Sequence[Transport],
        *,
        names: Sequence[str] | None = None,
        failback: bool = True,
        backoff_min: float = 0.1,
        backoff_max: float = 30.0,
        write: Callable[[str], None] = report,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if len(targets) < 2 or not all(isinstance(t, Transport) for t in targets):
            raise ValueError("a FailoverTransport needs at least two Transport instances")
        first = targets[0]
        if any(t.payload != first.payload for t in targets):
            raise ValueError("the targets of a failover must take the same payload (journald cannot mix with syslog)")
        self.targets: list[Transport] = list(targets)
        self.names = list(names) if names is not None else [repr(t) for t in targets]
        if len(self.names) != len(self.targets):
            raise ValueError("one name per target")
        self.failback = failback
        self.default_header = first.default_header
        self.default_max_message_size = first.default_max_message_size
        self.default_facility = first.default_facility
        limits = [t.size_limit for t in targets if t.size_limit is not None]
        self.size_limit = min(limits) if limits else None
        self.timeout = max(t.timeout for t in targets)
        self.carries_newlines = all(t.carries_newlines for t in targets)
        self.datagram = all(t.datagram for t in targets)
        self.payload = first.payload
        self.acknowledges = True
        self.acknowledged = 0
        #: Index of the connected target, or None.
        self.active: int | None = None
        self._write = write
        self._clock = clock
        self._retry = [Backoff(backoff_min, backoff_max, clock) for _ in targets]
        self._sent = [0] * len(targets)  # taken by targets that do not acknowledge
        self._errors = [0] * len(targets)
        self._connections = [0] * len(targets)
        self._acknowledging = [i for i, t in enumerate(targets) if t.acknowledges]
        self._current = 0  # the target the last operation used (for taken() and is_failure())
        self._last: int | None = None  # the target used before (to report a switch)
        self._reason = ""  # why the last target failed, for the report
        self._check_at = math.inf  # when to probe an earlier target, or to trust the active one
        self._opened_at = 0.0

    # -- the Transport contract -----------------------------------------------------------------

    def open(self) -> None:
        self.close()
        due = [i for i, retry in enumerate(self._retry) if retry.due()]
        if not due:  # every target waits: the one due soonest (the delivery's backoff has run)
            due = [min(range(len(self.targets)), key=lambda i: self._retry[i].remaining())]
        error: BaseException | None = None
        for index in due:
            if error is not None and self.deadline and self._clock() >= self.deadline:
                break  # this call's time is up: the next call tries the rest
            try:
                self._open(index)
            except BaseException as exc:
                if not self.targets[index].is_failure(exc):
                    raise
                error = exc
                continue
            self._activate(index)
            return
        assert error is not None
        raise error

    def send(self, message: bytes) -> None:
        self.send_many((message,))

    def send_many(self, messages: Sequence[bytes]) -> None:
        index = self._index()
        target = self.targets[index]
        try:
            if self._check_at != math.inf and self._clock() >= self._check_at:
                index, target = self._check(index)
            target.deadline = self.deadline
            if len(messages) == 1:
                target.send(messages[0])
            else:
                target.send_many(messages)
        except BaseException as exc:
            done = exc.sent if isinstance(exc, PartialSendError) else 0
            self._failed(index, exc, len(messages) if target.taken() else done)
            raise
        self._took(index, len(messages))

    def settle(self) -> None:
        index = self.active
        if index is None:
            return
        target = self.targets[index]
        target.deadline = self.deadline
        try:
            target.settle()
        except BaseException as exc:
            self._failed(index, exc, 0)
            raise
        finally:
            self._tally()

    def close(self) -> None:
        self.active = None
        for index in range(len(self.targets)):
            close_quietly(self.targets[index])
        self._tally()

    def abort(self) -> None:
        for target in self.targets:
            target.abort()

    def after_fork(self) -> None:
        self.active = self._last = None
        self._check_at = math.inf
        for index, target in enumerate(self.targets):
            target.after_fork()
            self._retry[index].reset()
            self._sent[index] = self._errors[index] = self._connections[index] = 0
        self._tally()

    def is_failure(self, exc: BaseException) -> bool:
        return self.targets[self._current].is_failure(exc)

    def taken(self) -> bool:
        return self.targets[self._current].taken()

    def awaiting(self) -> int:
        return 0 if self.active is None else self.targets[self.active].awaiting()

    def in_flight(self) -> bool:
        return self.active is not None and self.targets[self.active].in_flight()

    def take_unacknowledged(self) -> Sequence[bytes]:
        if self.active is None:
            return ()
        messages = self.targets[self.active].take_unacknowledged()
        self._tally()
        return messages

    # -- per target -----------------------------------------------------------------------------

    def target_stats(self) -> tuple[TargetStats, ...]:
        """What each target did, in the order given."""
        return tuple(
            TargetStats(
                address=self.names[i],
                active=self.active == i,
                sent=target.acknowledged if target.acknowledges else self._sent[i],
                errors=self._errors[i],
                connections=self._connections[i],
            )
            for i, target in enumerate(self.targets)
        )

    def _index(self) -> int:
        if self.active is None:
            raise ConnectionError(errno.ENOTCONN, "not connected")
        self._current = self.active
        return self.active

    def _open(self, index: int) -> None:
        """Connect one target; a failure is counted and puts it on its backoff."""
        target = self.targets[index]
        self._current = index
        target.deadline = self.deadline
        try:
            target.open()
        except BaseException as exc:
            close_quietly(self.targets[index])
            if target.is_failure(exc):
                self._errors[index] += 1
                self._retry[index].failed()
                self._reason = f"{type(exc).__name__}: {exc}"
            raise
        self._connections[index] += 1

    def _activate(self, index: int) -> None:
        """`index` is connected: it takes the messages from now on."""
        previous, self._last, self.active = self._last, index, index
        self._opened_at = self._clock()
        if previous is None and index > 0:
            self._write(f"{self.names[0]} is unreachable ({self._reason}); sending to {self.names[index]}")
        elif previous is not None and previous != index:
            if index < previous and not self._reason:
                self._write(f"{self.names[index]} works again; switching back to it from {self.names[previous]}")
            else:
                self._write(
                    f"{self.names[previous]} failed ({self._reason or 'closed'}); switching to {self.names[index]}"
                )
        self._reason = ""
        self._schedule()

    def _schedule(self) -> None:
        """When the next send must look around: an earlier target's probe is due, or the
        active target has been up long enough for its backoff to start from the bottom."""
        index = self.active
        when = math.inf
        if index is not None:
            if self.failback and index > 0:
                when = self._clock() + min(self._retry[i].remaining() for i in range(index))
            if self._retry[index].failures:
                when = min(when, self._opened_at + HEALTHY_AFTER)
        self._check_at = when

    def _check(self, index: int) -> tuple[int, Transport]:
        """Before a send: trust a target that has worked for a while again, and fail back
        to an earlier one that connects. Returns the target to send to."""
        now = self._clock()
        if self._retry[index].failures and now - self._opened_at >= HEALTHY_AFTER:
            self._retry[index].reset()
        if self.failback and index > 0 and any(self._retry[i].due() for i in range(index)):
            if not self._quiet(index):
                self._check_at = now + SETTLE_BEFORE_SWITCH  # in flight: look again a little later
                return index, self.targets[index]
            for earlier in range(index):
                if not self._retry[earlier].due():
                    continue
                try:
                    self._open(earlier)
                except BaseException as exc:
                    if not self.targets[earlier].is_failure(exc):
                        self._current = index
                        raise
                    continue
                self._current = earlier
                close_quietly(self.targets[index])
                self._reason = ""
                self._activate(earlier)
                return earlier, self.targets[earlier]
            self._current = index
        self._schedule()
        return index, self.targets[index]

    def _quiet(self, index: int) -> bool:
        """Whether the active target has nothing in flight (waiting briefly for answers)."""
        target = self.targets[index]
        if not target.in_flight():
            return True
        if not target.awaiting():
            return False  # a started frame's rest waits for a stalled peer
        target.deadline = min(self._clock() + SETTLE_BEFORE_SWITCH, self.deadline or math.inf)
        try:
            target.settle()
        except TransportTimeout:
            return False
        finally:
            self._tally()
        return not target.in_flight()

    def _failed(self, index: int, exc: BaseException, done: int) -> None:
        """A send or settle on `index` raised: count what it took; a failure puts the
        target on its backoff, so that the next open() tries the next target first."""
        self._current = index
        self._took(index, done)
        if isinstance(exc, PartialSendError):
            exc = exc.cause
        if isinstance(exc, TransportTimeout) or not self.targets[index].is_failure(exc):
            return  # a stall keeps its connection; the application's exception is not ours
        self._errors[index] += 1
        self._retry[index].failed()
        self._reason = f"{type(exc).__name__}: {exc}"

    def _took(self, index: int, count: int) -> None:
        if self.targets[index].acknowledges:
            self._tally()  # it counts its acknowledgements itself, read during the send
        elif count:
            self._sent[index] += count
            self.acknowledged += count

    def _tally(self) -> None:
        self.acknowledged = sum(self._sent) + sum(self.targets[i].acknowledged for i in self._acknowledging)
        self.rejected = sum(self.targets[i].rejected for i in self._acknowledging)

    def __repr__(self) -> str:
        return f"FailoverTransport({', '.join(self.names)})"
