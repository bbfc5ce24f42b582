"""The transport's connection, as the delivery sees it: up or not, and was it a working one."""

from __future__ import annotations

import time
from typing import Callable, Sequence

from ._counters import Counters
from ._transport import Transport, close_quietly

#: A connection that broke sooner than this after opening died "right after opening":
#: the first such death is retried at once (a daemon restarted just then), the next
#: ones in a row back off (a peer that accepts and closes at once gets no storm).
HEALTHY_AFTER = 1.0


class Link:
    """Opens and closes the transport, counts reconnects, and judges a broken
    connection: a working one is retried at once, one that carried nothing, or
    that keeps dying right after opening, waits for the backoff."""

    def __init__(self, transport: Transport, counters: Counters, clock: Callable[[], float] = time.monotonic) -> None:
        self.transport = transport
        #: Open (as far as we know).
        self.up = False
        #: A message went out on the current connection.
        self.used = False
        self._counters = counters
        self._clock = clock
        self._opened_at = 0.0
        self._ever_up = False
        self._quick_deaths = 0  # connections in a row that broke right after opening

    def open(self) -> None:
        """Open the transport (it raises when the peer is unreachable)."""
        try:
            self.transport.open()
        except BaseException:
            close_quietly(self.transport)
            raise
        self.up, self.used = True, False
        self._opened_at = self._clock()
        if self._ever_up:
            self._counters.reconnects += 1
        self._ever_up = True

    def broke(self) -> str:
        """The connection failed: "working" (it was: retry at once, backoff from the
        start), "suspect" (it died right after opening, the first time in a row: retry at
        once), or "failed" (nothing went out on it, or it keeps dying: back off)."""
        if not self.used:
            return "failed"
        if self._clock() - self._opened_at >= HEALTHY_AFTER:
            self._quick_deaths = 0
            return "working"
        self._quick_deaths += 1
        return "suspect" if self._quick_deaths == 1 else "failed"

    def close(self) -> Sequence[bytes]:
        """Close the transport; returns what it sent but never had acknowledged (to send again)."""
        unacknowledged = self.transport.take_unacknowledged() if self.up else ()
        self.up = False
        close_quietly(self.transport)
        return unacknowledged

    def reset_after_fork(self) -> None:
        try:
            self.transport.after_fork()
        except Exception:
            pass
        self.up = self.used = False
        self._quick_deaths = 0
