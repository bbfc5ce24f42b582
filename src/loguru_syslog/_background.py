"""background=True: the application only enqueues; a writer thread sends in batches."""

from __future__ import annotations

import os
import threading
import weakref
from collections import deque

from ._delivery import Delivery

_BATCH = 4096  # frames coalesced into one write on stream transports
_live: weakref.WeakSet[BackgroundWriter] = weakref.WeakSet()


class BackgroundWriter:
    """A bounded queue in front of a Delivery, drained by one daemon thread.

    `put()` costs an append (and, when the writer sleeps, one Event.set). A full
    queue drops its oldest message and counts it: memory never grows without
    bound, and the application never waits for the network.
    """

    def __init__(self, delivery: Delivery, queue_size: int) -> None:
        self._delivery = delivery
        self._size = queue_size
        self._queue: deque[bytes] = deque()
        self._wake = threading.Event()
        self._idle = False
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        #: Messages dropped because the queue was full.
        self.dropped = 0
        self._dropped_reported = 0  # of those, how many the delivery has been told of
        self._in_flight = 0  # messages taken off the queue and being handed to the delivery
        _live.add(self)

    @property
    def queued(self) -> int:
        """Messages not yet handed to the delivery (the queue and the batch being handed over)."""
        return len(self._queue) + self._in_flight

    def put(self, message: bytes) -> None:
        if self._thread is None:
            self._start()
        queue = self._queue
        if len(queue) >= self._size:
            try:
                queue.popleft()
                self.dropped += 1
            except IndexError:  # the writer emptied it meanwhile
                pass
        queue.append(message)
        if self._idle:
            self._wake.set()

    def stop(self, timeout: float) -> None:
        """Send what is queued (waiting at most `timeout`), then let the thread end."""
        thread = self._thread
        if thread is None:
            return
        self._stopping = True
        self._wake.set()
        thread.join(timeout)
        self._thread = None
        self._stopping = False

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is None:
                self._stopping = False
                self._thread = threading.Thread(target=self._run, name="loguru-syslog-writer", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        queue, delivery = self._queue, self._delivery
        while True:
            if queue:
                batch = []
                try:
                    for _ in range(min(len(queue), _BATCH)):
                        batch.append(queue.popleft())
                except IndexError:
                    pass
                dropped, self._dropped_reported = self.dropped - self._dropped_reported, self.dropped
                self._in_flight = len(batch)
                try:
                    delivery.send_many(batch, dropped)
                finally:
                    self._in_flight = 0
                continue
            if self._stopping:
                return
            # Announce sleep before the last look at the queue: a put() after the
            # look sees _idle and wakes us; a put() before it is seen by the look.
            self._idle = True
            if not queue and not self._stopping:
                self._wake.wait(delivery.retry_delay() if delivery.buffered else None)
                self._wake.clear()
            self._idle = False
            if not queue and delivery.buffered:
                delivery.send_many(())  # the peer may be back: retry what waits

    def _after_fork_in_child(self) -> None:
        # The thread did not survive the fork; what it held is the parent's to send.
        self._queue.clear()
        self._thread = None
        self._idle = False
        self._stopping = False
        self._wake = threading.Event()
        self._start_lock = threading.Lock()
        self.dropped = self._dropped_reported = self._in_flight = 0


def _reset_all_after_fork() -> None:
    for writer in list(_live):
        writer._after_fork_in_child()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_all_after_fork)
