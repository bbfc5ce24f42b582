"""The delivery policy, written once for every transport.

Connect lazily; on failure keep the message, close, and retry: at once after a
working connection breaks (a restarted daemon), then with exponential backoff
and jitter. While down, up to `buffer_size` messages wait in order and go out
first after reconnecting; past that the oldest are dropped and counted. One
line on stderr per outage; after recovery one warning-severity message to the
daemon says how many were dropped. Nothing here raises into the application.
"""

from __future__ import annotations

import errno
import os
import random
import socket
import sys
import threading
import time
import weakref
from collections import deque
from itertools import islice
from typing import Callable, Sequence

from ._sanitize import truncate_utf8
from ._transport import PartialSendError, Transport

#: Datagram sizes tried, largest first, when the socket says EMSGSIZE.
_DATAGRAM_SIZES = (65507, 32768, 16384, 8192, 4096, 2048, 1024, 480)
#: What a timed-out socket operation raises (socket.timeout is TimeoutError from 3.10 on).
_TIMEOUTS = (TimeoutError, socket.timeout)
#: Messages handed to one `send_many` while draining the buffer.
_BATCH = 4096

_live: weakref.WeakSet[Delivery] = weakref.WeakSet()


def report(text: str) -> None:
    """One line on stderr, ours (not through loguru: that could recurse into this sink)."""
    try:
        sys.stderr.write(f"loguru-syslog: {text}\n")
        sys.stderr.flush()
    except Exception:  # stderr closed or broken: nothing better to do
        pass


class Delivery:
    """Owns one transport and every failure policy around it. Thread-safe."""

    def __init__(
        self,
        transport: Transport,
        *,
        buffer_size: int = 1000,
        timeout: float = 3.0,
        backoff_min: float = 0.5,
        backoff_max: float = 30.0,
        dropped_notice: Callable[[int], bytes] | None = None,
        name: str = "",
    ) -> None:
        self.transport = transport
        self.name = name or repr(transport)
        self.sent = 0
        self.dropped = 0
        self.errors = 0
        self.reconnects = 0
        self.truncated = 0
        self._buffer_size = buffer_size
        self._timeout = timeout
        self._call_deadline = 0.0  # when the current send() call has waited long enough
        self._backoff_min = backoff_min
        self._backoff_max = backoff_max
        self._dropped_notice = dropped_notice
        self._backlog: deque[bytes] = deque()
        self._lock = threading.Lock()
        self._connected = False
        self._datagram_ready = False  # connected, a datagram transport, nothing waiting
        self._ever_connected = False
        self._failures = 0  # consecutive failures since the last successful send
        self._delays = 0  # backoff delays taken since then (the exponent)
        self._refused = False  # a datagram refused and being sent again
        self._last_failure = 0.0
        self._retry_at = 0.0
        self._in_outage = False
        self._outage_dropped = 0
        _live.add(self)

    def retry_delay(self) -> float:
        """Seconds until the next reconnect attempt is due (0 when it is)."""
        return max(self._retry_at - time.monotonic(), 0.0)

    @property
    def buffered(self) -> int:
        """Messages waiting for the peer to come back."""
        return len(self._backlog)

    def send(self, message: bytes) -> None:
        """Deliver one message now, or keep it for later. Never raises."""
        failure: Exception | None = None
        if self._datagram_ready:
            # A connected datagram socket with nothing waiting: there is no stream
            # to keep whole, so no lock (loguru serialises each handler's calls
            # already; measured 0.15 us a call). Any failure takes the locked path.
            try:
                self.transport.send(message)
            except Exception as exc:
                failure = exc
            else:
                self.sent += 1
                if self._failures or self._in_outage:
                    with self._lock:
                        self._sent_ok()
                return
        with self._lock:
            if failure is not None:
                self._send_failed(message, failure)
            elif not self._connected or self._backlog:
                self._call_deadline = time.monotonic() + self._timeout
                # Reconnect if due and send what waits, before this message: it
                # must not push an older one out of a full buffer for nothing.
                if not self._connected:
                    self._connect()
                self._drain()
                if self._connected and not self._backlog:
                    self._send_now(message)
                else:
                    self._keep(message)
            else:
                self._send_now(message)
            self._update_ready()

    def send_many(self, messages: Sequence[bytes], dropped_before: int = 0) -> None:
        """Deliver a batch in order (the background writer). Never raises.

        `dropped_before`: messages the caller had to drop (a full queue) since its
        last batch; they count in this outage's "N messages were dropped" notice.
        """
        with self._lock:
            self._call_deadline = time.monotonic() + self._timeout
            if not self._connected or self._in_outage:
                # Drops while the peer is up (a writer outpaced) are in stats.dropped;
                # the notice after an outage speaks of that outage only.
                self._outage_dropped += dropped_before
            if not self._connected:
                self._connect()
            # The batch joins what waits and goes out behind it; only what is
            # still unsent afterwards is subject to the buffer's bound.
            self._backlog.extend(messages)
            self._drain()
            excess = len(self._backlog) - self._buffer_size
            for _ in range(max(excess, 0)):
                self._backlog.popleft()
            if excess > 0:
                self._count_dropped(excess)
            self._update_ready()

    def close(self, timeout: float) -> None:
        """Deliver what waits (one connection attempt at most, within `timeout`), then close."""
        with self._lock:
            if self._backlog:
                self._retry_at = 0.0  # no backoff now: this is the last chance
                deadline = self._call_deadline = time.monotonic() + timeout
                while self._backlog and time.monotonic() < deadline:
                    before = len(self._backlog)
                    self._drain()
                    if len(self._backlog) == before and not self._connected:
                        break
                if self._backlog:
                    lost = len(self._backlog)
                    self.dropped += lost
                    self._backlog.clear()
                    report(f"{lost} messages for {self.name} were dropped at stop(): the peer is unreachable")
            self._connected = False
            self._datagram_ready = False
            self._close_transport()

    # -- internals, called with the lock held ---------------------------------------

    def _send_now(self, message: bytes) -> None:
        try:
            self.transport.send(message)
        except Exception as exc:
            self._send_failed(message, exc)
        else:
            self.sent += 1
            if self._failures or self._in_outage:
                self._sent_ok()

    def _send_failed(self, message: bytes, exc: Exception) -> None:
        """The message at hand failed: it waits (first in line), and the policy decides."""
        self._call_deadline = time.monotonic() + self._timeout
        self._backlog.append(message)
        self._failed(exc)
        self._drain()

    def _update_ready(self) -> None:
        self._datagram_ready = self._connected and not self._backlog and self.transport.datagram

    def _keep(self, message: bytes) -> None:
        if len(self._backlog) >= self._buffer_size:
            if not self._backlog:  # buffer_size 0: nothing may wait
                self._count_dropped(1)
                return
            self._backlog.popleft()
            self._count_dropped(1)
        self._backlog.append(message)

    def _count_dropped(self, count: int) -> None:
        self.dropped += count
        self._outage_dropped += count

    def _drain(self) -> None:
        """Connect if due, then send the backlog in order until it is empty or sending fails."""
        while self._backlog:
            if not self._connected and not self._connect():
                return
            batch = list(islice(self._backlog, 0, _BATCH))
            try:
                if len(batch) == 1:
                    self.transport.send(batch[0])
                else:
                    self.transport.send_many(batch)
            except PartialSendError as exc:
                self._sent_from_backlog(exc.sent)
                self._failed(exc.cause)
            except Exception as exc:
                self._failed(exc)
            else:
                self._sent_from_backlog(len(batch))

    def _sent_from_backlog(self, count: int) -> None:
        for _ in range(count):
            self._backlog.popleft()
        self.sent += count
        if count:
            self._sent_ok()

    def _connect(self) -> bool:
        now = time.monotonic()
        if now < self._retry_at:
            return False
        if now >= self._call_deadline:
            # This call has already waited its timeout (a send that stalled):
            # the reconnect is for the next call, the message waits in order.
            return False
        try:
            self.transport.open()
        except Exception as exc:
            self._failed(exc, connecting=True)
            return False
        self._connected = True
        if self._ever_connected:
            self.reconnects += 1
        self._ever_connected = True
        dropped, self._outage_dropped = self._outage_dropped, 0
        if self._in_outage and dropped and self._dropped_notice is not None:
            # Before the survivors: it speaks of older messages than theirs. The
            # outage itself ends at the first message that goes out (_sent_ok):
            # a peer that accepts connections but fails every send is one outage.
            self._backlog.appendleft(self._dropped_notice(dropped))
        return True

    def _failed(self, exc: BaseException, connecting: bool = False) -> None:
        """Account for a failed open/send; decide when to try again."""
        self.errors += 1
        if isinstance(exc, _TIMEOUTS) or isinstance(getattr(exc, "cause", None), _TIMEOUTS):
            # This call has waited its timeout already: no reconnect in it (no call
            # waits much longer than the timeout); the next call will.
            self._call_deadline = 0.0
        if not connecting and self._backlog and self.transport.datagram:
            if _is_emsgsize(exc):
                self._shrink_head()
                return
            if isinstance(exc, ConnectionRefusedError) and not self._refused:
                # A connected datagram socket reports the ICMP "port unreachable"
                # of an earlier datagram on a later send, and that send did not
                # happen: send it again once, on the same socket. The outage is
                # reported once; the earlier datagram is lost, as UDP loses.
                self._refused = True
                self._report_outage(exc)
                return
        self._connected = False
        self._close_transport()
        self._failures += 1
        if self._failures == 1 and not connecting:
            # A working connection broke (most often a restarted daemon): try
            # again at once, the message is still at the head of the backlog.
            self._retry_at = 0.0
            return
        delay = min(self._backoff_max, self._backoff_min * 2**self._delays)
        self._delays += 1
        self._retry_at = time.monotonic() + delay * (0.5 + random.random() / 2)
        self._report_outage(exc)

    def _report_outage(self, exc: BaseException) -> None:
        """One stderr line per outage, not per message."""
        self._last_failure = time.monotonic()
        if not self._in_outage:
            self._in_outage = True
            report(
                f"cannot send to {self.name} ({type(exc).__name__}: {exc}); "
                f"keeping up to {self._buffer_size} messages and retrying"
            )

    def _sent_ok(self) -> None:
        """After a successful send: the failure streak, and a datagram outage, are over."""
        self._failures = self._delays = 0
        self._refused = False
        if self._in_outage and (
            not self.transport.datagram or time.monotonic() - self._last_failure > self._backoff_max
        ):
            # A datagram socket never reconnects and reports refusals late, so
            # its outage ends after a quiet spell; a stream's at the first success.
            self._in_outage = False

    def _shrink_head(self) -> None:
        """The datagram was too large for the socket: cut it to the next size down, or drop it."""
        head = self._backlog[0]
        smaller = [size for size in _DATAGRAM_SIZES if size < len(head)]
        if smaller:
            self._backlog[0] = truncate_utf8(head, smaller[0])
            self.truncated += 1
        else:
            self._backlog.popleft()
            self._count_dropped(1)

    def _close_transport(self) -> None:
        try:
            self.transport.close()
        except Exception:  # a user transport's close() must not break us
            pass

    def _after_fork_in_child(self) -> None:
        # The child must not write into the parent's connection, nor send what
        # the parent still holds (the parent will): start empty, open anew.
        self._lock = threading.Lock()
        self._backlog.clear()
        if self._connected:
            try:
                self.transport.forget()
            except Exception:
                pass
        self._connected = False
        self._datagram_ready = False
        self._failures = self._delays = 0
        self._retry_at = 0.0
        self._in_outage = False
        self._outage_dropped = 0
        self.sent = self.dropped = self.errors = self.reconnects = self.truncated = 0


def _is_emsgsize(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno == errno.EMSGSIZE


def _reset_all_after_fork() -> None:
    for delivery in list(_live):
        delivery._after_fork_in_child()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_all_after_fork)
