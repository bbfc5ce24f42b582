"""background=True: the application only enqueues; one writer thread sends in batches."""

from __future__ import annotations

import threading
import time
from collections import deque

from . import _fork
from ._buffer import BATCH
from ._counters import Counters
from ._delivery import ABORT_GRACE, Delivery
from ._outage import report


class BackgroundWriter:
    """A bounded queue in front of a Delivery, drained by one daemon thread.

    `put()` costs an append (and, when the writer sleeps, one Event.set). A full
    queue drops its oldest message and counts it: memory never grows without
    bound, and the application never waits for the network.

    `stop()` is bounded and final: when its time is up it aborts the delivery,
    so the thread ends within ABORT_GRACE; `put()` after it starts a new thread.
    """

    def __init__(self, delivery: Delivery, queue_size: int, counters: Counters) -> None:
        self._delivery = delivery
        self._counters = counters
        self._size = queue_size
        self._queue: deque[bytes] = deque()
        self._wake = threading.Event()
        self._idle = False
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()  # the current thread's: set by stop()
        self._start_lock = threading.Lock()
        self._dropped = 0  # messages dropped because the queue was full
        self._dropped_reported = 0  # of those, how many the delivery has been told of
        self._in_flight = 0  # messages taken off the queue and being handed to the delivery
        _fork.register(self)

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
                self._dropped += 1
                self._counters.dropped += 1
            except IndexError:  # the writer emptied it meanwhile
                pass
        queue.append(message)
        if self._idle:
            self._wake.set()

    def stop(self, deadline: float) -> None:
        """Hand what is queued to the delivery until `deadline`, then end the thread."""
        thread = self._thread
        if thread is None:
            return
        self._stopping.set()
        self._wake.set()
        thread.join(max(deadline - time.monotonic(), 0.0))
        if thread.is_alive():
            self._delivery.abort()  # wakes a blocked send; the thread then drops what is left
            thread.join(ABORT_GRACE)
        self._thread = None
        left = len(self._queue)
        if left:
            self._queue.clear()
            self._counters.dropped += left
            report(f"{left} queued messages were dropped at stop(): they could not be handed over in time")

    def _handed_over(self) -> None:
        self._in_flight = 0

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is None:
                self._stopping = threading.Event()
                thread = threading.Thread(
                    target=self._run, args=(self._stopping,), name="loguru-syslog-writer", daemon=True
                )
                self._thread = thread
                thread.start()

    def _run(self, stopping: threading.Event) -> None:
        queue, delivery = self._queue, self._delivery
        while True:
            if queue:
                batch = []
                try:
                    for _ in range(min(len(queue), BATCH)):
                        batch.append(queue.popleft())
                except IndexError:
                    pass
                dropped, self._dropped_reported = self._dropped - self._dropped_reported, self._dropped
                self._in_flight = len(batch)
                try:
                    delivery.send_many(batch, dropped, self._handed_over)
                finally:
                    self._in_flight = 0
                continue
            if stopping.is_set():
                return
            # Announce sleep before the last look at the queue: a put() after the
            # look sees _idle and wakes us; a put() before it is seen by the look.
            self._idle = True
            if not queue and not stopping.is_set():
                self._wake.wait(delivery.idle_wait())
                self._wake.clear()
            self._idle = False
            if not queue and not stopping.is_set():
                delivery.idle()  # retry what waits (the peer may be back), read late acknowledgements

    def reset_after_fork(self) -> None:
        # The thread did not survive the fork; what it held is the parent's to send.
        self._queue.clear()
        self._thread = None
        self._idle = False
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._start_lock = threading.Lock()
        self._dropped = self._dropped_reported = self._in_flight = 0
