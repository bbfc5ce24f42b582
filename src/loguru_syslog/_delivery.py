"""The delivery policy, written once for every transport, composed of small parts.

Connect lazily. A message goes out behind every message that waits (order is
kept, oldest first, always). When the transport fails, the message waits in
the buffer and the connection is opened again: at once when a working
connection broke (a restarted daemon), then with backoff. A stall (the peer is
there but takes nothing within the timeout) is not a failure: the connection
is kept and the messages wait in order. One line on stderr per outage; after
it, one warning-severity message tells the daemon how many were dropped.
Nothing here raises into the application, except what the application raised
itself (KeyboardInterrupt, its signal handler's exceptions), after the message
has been kept.

The parts: `Buffer` (what waits), `Backoff` (when to retry), `Link` (the
connection, and whether a broken one was working), `Outage` (what to tell),
`DatagramRecovery` (the datagram-only rules), `Counters` (what happened).
"""

from __future__ import annotations

import threading
import time
from typing import Callable, Sequence

from . import _fork
from ._backoff import Backoff
from ._buffer import BATCH, Buffer
from ._counters import Counters
from ._datagram import DatagramRecovery
from ._link import Link
from ._outage import Outage, report
from ._transport import PartialSendError, Transport, TransportTimeout

#: Seconds stop() waits, past its timeout, for an interrupted operation to return.
ABORT_GRACE = 0.25
#: How often an idle background writer reads a receiver's late acknowledgements.
ACK_POLL = 0.1


class Delivery:
    """Owns one transport and every failure policy around it. Thread-safe."""

    def __init__(
        self,
        transport: Transport,
        *,
        counters: Counters,
        buffer: Buffer,
        backoff: Backoff,
        outage: Outage,
        recut: Callable[[bytes, int], bytes],
        notice: Callable[[int], bytes] | None = None,
    ) -> None:
        self.transport = transport
        self._counters, self._buffer, self._backoff, self._outage = counters, buffer, backoff, outage
        self._recovery = DatagramRecovery(recut, counters)
        self._notice = notice
        self._link = Link(transport, counters)
        self._lock = threading.RLock()
        self._closed = False  # stopped (or aborted): nothing connects or sends until reopen()
        self._fast = False  # connected datagram transport, nothing waiting: no lock needed
        self._deadline = 0.0  # when the current call must end
        self._finish_by = 0.0  # set by stop(): no call waits past it
        self._gave_up = False  # this call met a failure or a stall: no further attempt in it
        self._troubled = False  # a failure or stall since the last message went out
        self._counts_sent = 0 if transport.acknowledges else 1  # acknowledging transports count acks
        _fork.register(self)

    @property
    def buffered(self) -> int:
        """Messages waiting for the peer."""
        return len(self._buffer)

    def retry_delay(self) -> float:
        """Seconds until a reconnect attempt is due (0 when it is, or when connected)."""
        return 0.0 if self._link.up else self._backoff.remaining()

    def idle_wait(self) -> float | None:
        """How long an idle writer may sleep: until a retry is due while messages wait;
        a moment while an acknowledging transport has answers to read; else for ever."""
        if self._buffer:
            return self.retry_delay()
        if self._link.up and self.transport.awaiting():
            return ACK_POLL
        return None

    def idle(self) -> None:
        """From an idle writer: retry what waits, or read the answers that came in since
        (so that `sent` counts them without waiting for the next message or stop())."""
        if self._buffer:
            self.send_many(())
        elif self._link.up and self.transport.awaiting():
            with self._lock:
                self.transport.deadline = time.monotonic()  # read what is there, do not wait
                try:
                    self.transport.settle()
                except BaseException as exc:
                    if self._foreign(exc):
                        raise
                    self._begin(patient=True)
                    try:
                        self._settle(exc, ())
                    finally:
                        self._end()
                finally:
                    self.transport.deadline = 0.0

    # -- what the sink and the background writer call ----------------------------------------

    def send(self, message: bytes) -> None:
        """Deliver one message now, or keep it for later. Never raises a failure."""
        if self._fast:
            # A connected datagram transport with nothing waiting: there is no stream
            # to keep whole, so no lock (loguru serialises each handler's calls).
            self._send_one(message)
            return
        with self._lock:
            if not self._buffer and self._link.up and not self._troubled and not self._finish_by:
                self._send_one(message)
                return
            self._begin()
            try:
                if self._buffer:
                    # What waits goes first: a message must not push an older one
                    # out of a full buffer when the older could still go out.
                    self._pump()
                self._keep([message])
                self._pump()
            finally:
                self._end()

    def _send_one(self, message: bytes) -> None:
        """Nothing waits and nothing failed: one attempt, bounded by the transport's own
        timeout; the message enters the buffer, and the policy, only if it fails."""
        try:
            self.transport.send(message)
        except BaseException as exc:
            with self._lock:  # re-entrant: the stream caller holds it already
                self._begin()
                try:
                    if self._settle(exc, [message], kept=False):
                        raise
                    self._pump()
                finally:
                    self._end()
        else:
            self._counters.sent += self._counts_sent
            self._link.used = True

    def send_many(
        self, messages: Sequence[bytes], dropped_before: int = 0, handed_over: Callable[[], None] | None = None
    ) -> None:
        """Deliver a batch in order (the background writer). Never raises a failure.

        `dropped_before`: messages the caller had to drop (a full queue) since its
        last batch; during an outage they count in its "N messages were dropped" notice.
        `handed_over` is called once the batch is in the buffer (the caller stops
        counting it as its own, so that no message is counted in two places).
        """
        with self._lock:
            self._begin(patient=True)
            try:
                if dropped_before and (self._outage.active or self._outage.stalled or not self._link.up):
                    self._outage.count_dropped(dropped_before)
                # The batch joins what waits and goes out behind it; only what is
                # still unsent afterwards is subject to the buffer's bound.
                self._keep(messages, trim=False)
                if handed_over is not None:
                    handed_over()
                self._pump()
                self._count_dropped(self._buffer.trim())
            finally:
                self._end()

    def finish_by(self, deadline: float) -> None:
        """From stop(): no call, from now on, waits past `deadline`."""
        self._finish_by = deadline

    def abort(self) -> None:
        """From stop(), another thread: nothing more is sent; a blocked operation returns."""
        self._closed = True
        self._fast = False
        self.transport.abort()

    def close(self, deadline: float) -> None:
        """Deliver what waits until `deadline`, then close. Returns by `deadline` plus
        ABORT_GRACE: a call blocked in another thread is aborted when the time is up."""
        self._finish_by = deadline
        if not self._lock.acquire(timeout=max(deadline - time.monotonic(), 0.0)):
            self.abort()
            if not self._lock.acquire(timeout=ABORT_GRACE):
                return  # the other thread will find the delivery closed
        try:
            if self._buffer and not self._closed:
                self._backoff.now()  # no backoff now: this is the last chance
                while self._buffer and time.monotonic() < deadline:
                    self._begin(patient=True)
                    before = len(self._buffer)
                    self._pump()
                    if len(self._buffer) == before:
                        break
            if self._link.up and not self._closed:
                self._settle_acks(deadline)
            self._closed = True
            self._disconnect(resend=False)  # what was never acknowledged is left over too
            left = self._buffer.clear()
            if left:
                self._counters.dropped += left
                report(
                    f"{left} messages for {self._outage.name} were dropped at stop(): "
                    "they could not be delivered in time"
                )
        finally:
            self._end()
            self._lock.release()

    def reopen(self) -> None:
        """After stop(): ready to deliver again (the sink was added to loguru again)."""
        with self._lock:
            self._closed = False
            self._finish_by = 0.0
            self._backoff.reset()

    def reset_after_fork(self) -> None:
        # The child must not write into the parent's connection, nor send what
        # the parent still holds (the parent will): start empty, open anew.
        self._lock = threading.RLock()
        self._buffer.clear()
        self._link.reset_after_fork()
        self._fast = self._gave_up = self._troubled = False
        self._backoff.reset()
        self._outage.reset()
        self._counters.reset()

    # -- the one policy, with the lock held ----------------------------------------------------

    def _begin(self, patient: bool = False) -> None:
        """A call starts: it may wait up to the timeout, unless the peer is stalled
        and the caller is the application (not `patient`): then it only tries what
        goes without waiting, and the messages wait in order in the buffer. One
        call has waited the timeout already; the others need not."""
        now = time.monotonic()
        deadline = now if self._outage.stalled and not patient else now + self.transport.timeout
        self._deadline = min(deadline, self._finish_by) if self._finish_by else deadline
        self._gave_up = False

    def _end(self) -> None:
        self.transport.deadline = 0.0
        self._fast = (
            self.transport.datagram and self._link.up and not self._buffer and not self._troubled and not self._closed
        )

    def _keep(self, messages: Sequence[bytes], trim: bool = True) -> None:
        if self._closed:
            self._counters.dropped += len(messages)
            return
        self._count_dropped(self._buffer.extend(messages, trim))

    def _count_dropped(self, count: int) -> None:
        if count:
            self._counters.dropped += count
            self._outage.count_dropped(count)

    def _pump(self) -> None:
        """Send what waits, in order, until it is all out or this call must stop trying."""
        while self._buffer and not self._gave_up and not self._closed:
            if not self._link.up and not self._connect():
                return
            self._attempt(self._buffer.head(BATCH))

    def _attempt(self, batch: list[bytes], kept: bool = True) -> None:
        """The one attempt: send `batch` (the head of the buffer, or not `kept` there
        yet), count what went out, settle what did not."""
        transport = self.transport
        transport.deadline = self._deadline
        try:
            if len(batch) == 1:
                transport.send(batch[0])
            else:
                transport.send_many(batch)
        except BaseException as exc:
            if self._settle(exc, batch, kept):
                raise  # the application's own exception: it goes on, the messages are kept
        else:
            self._went_out(len(batch), kept)

    def _foreign(self, exc: BaseException) -> bool:
        """Raised by the application (KeyboardInterrupt, its signal handler), not a failure."""
        return not isinstance(exc, TransportTimeout) and not self.transport.is_failure(exc)

    def _settle(self, exc: BaseException, batch: Sequence[bytes], kept: bool = True) -> bool:
        """After an attempt raised: keep what did not go out, count what did, apply the
        policy. Returns whether the exception is the application's own (to re-raise)."""
        transport = self.transport
        self._troubled = True
        done = exc.sent if isinstance(exc, PartialSendError) else 0
        if transport.taken():
            done = len(batch)  # started on the wire: the transport finishes it first
        if not kept:
            self._keep(batch[done:])  # only what did not go out waits
        self._went_out(done, kept)
        cause = exc.cause if isinstance(exc, PartialSendError) else exc
        if isinstance(cause, TransportTimeout):
            # A stall: the peer is there but slow. Keep the connection and the order.
            self._gave_up = True
            if not self._closed:
                self._outage.stall()
            return False
        if self._foreign(exc):
            self._gave_up = True
            return True
        self._counters.errors += 1
        # A peer that stalled and is now gone (SIGSTOP, then SIGKILL) is no longer a
        # stall: the next call may wait to reconnect (or to fail over) again.
        self._outage.stalled = False
        if self._closed:
            self._disconnect()
            return False
        if transport.datagram and self._buffer:
            rule = self._recovery.handle(cause, self._buffer)
            if rule == "refused":
                self._outage.failed(cause)
            if rule is not None:
                return False  # sent again at once, on the same socket
        verdict = self._link.broke()
        self._disconnect()
        if verdict != "failed":
            # A working connection broke (most often a restarted daemon): try
            # again at once; the message is still first in line.
            if verdict == "working":
                self._backoff.reset()
            return False
        # Nothing went out on it, or connections keep dying right after opening
        # (a peer that accepts and closes at once): a failed attempt, with backoff.
        self._backoff.failed()
        self._outage.failed(cause)
        self._gave_up = True
        return False

    def _went_out(self, count: int, kept: bool = True) -> None:
        if not count:
            return
        if kept:
            self._buffer.remove(count)
        if self._counts_sent:
            self._counters.sent += count
        self._link.used = True
        if self._troubled:
            self._recover()

    def _recover(self) -> None:
        """A message went out after a failure or a stall."""
        self._recovery.succeeded()
        if self._outage.active or self._outage.stalled:
            # A datagram socket never reconnects and reports refusals late, so
            # its outage ends after a quiet spell; a stream's at the first success.
            was_stalled = self._outage.stalled
            dropped = self._outage.ended(self._backoff.high if self.transport.datagram else 0.0)
            if was_stalled and self._link.up:
                self._announce(dropped)
        self._troubled = self._outage.active

    def _connect(self) -> bool:
        if self._closed or not self._backoff.due():
            self._gave_up = True
            return False
        if time.monotonic() >= self._deadline:
            # This call has already waited its timeout (a send that stalled):
            # the reconnect is for the next call, the message waits in order.
            self._gave_up = True
            return False
        self.transport.deadline = self._deadline
        try:
            self._link.open()
        except BaseException as exc:
            self._gave_up = True
            if not self.transport.is_failure(exc):
                raise
            self._counters.errors += 1
            self._troubled = True
            self._backoff.failed()
            if not self._closed:
                self._outage.failed(exc)
            return False
        if self._outage.active or self._outage.dropped:
            # Before the survivors: it speaks of older messages than theirs. The
            # outage itself ends at the first message that goes out: a peer that
            # accepts connections but fails every send is one outage.
            self._announce(self._outage.dropped)
            self._outage.dropped = 0
        return True

    def _announce(self, dropped: int) -> None:
        if dropped and self._notice is not None:
            self._buffer.prepend([self._notice(dropped)])

    def _disconnect(self, resend: bool = True) -> None:
        unacknowledged = self._link.close()
        if unacknowledged:  # what was never acknowledged goes again, first
            self._buffer.prepend(unacknowledged)
            if resend:
                self._counters.resent += len(unacknowledged)
        self._fast = False

    def _settle_acks(self, deadline: float) -> None:
        """At stop(): wait, until `deadline`, for the receiver's acknowledgements."""
        self.transport.deadline = deadline
        try:
            self.transport.settle()
        except BaseException as exc:
            if self._foreign(exc):
                raise
