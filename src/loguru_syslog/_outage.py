"""Telling the operator about an outage: one stderr line when it starts, a count when it ends."""

from __future__ import annotations

import sys
import time
from typing import Callable


def report(text: str) -> None:
    """One line on stderr, ours (not through loguru: that could recurse into this sink)."""
    try:
        sys.stderr.write(f"loguru-syslog: {text}\n")
        sys.stderr.flush()
    except Exception:  # stderr closed or broken: nothing better to do
        pass


class Outage:
    """One outage (or stall) at a time: reported once when it starts, not once per
    message; the messages dropped during it are counted for the notice that the
    delivery sends the daemon when it is over."""

    def __init__(
        self,
        name: str,
        keeping: str,
        write: Callable[[str], None] = report,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.keeping = keeping  # "up to N messages": what the buffer holds meanwhile
        self.active = False
        self.stalled = False
        #: Messages dropped during this outage (for the notice).
        self.dropped = 0
        self._write = write
        self._clock = clock
        self._last_failure = 0.0

    def failed(self, exc: BaseException) -> None:
        self._last_failure = self._clock()
        if not self.active:
            self.active = True
            self._write(
                f"cannot send to {self.name} ({type(exc).__name__}: {exc}); keeping {self.keeping} and retrying"
            )

    def stall(self) -> None:
        if not self.stalled:
            self.stalled = True
            self._write(
                f"{self.name} takes no data (the peer is slow or stopped); keeping the connection, "
                f"and {self.keeping} in order"
            )

    def count_dropped(self, count: int) -> None:
        self.dropped += count

    def ended(self, quiet_for: float = 0.0) -> int:
        """A message went out: the outage is over (after `quiet_for` seconds without a
        failure, for datagrams, whose refusals arrive late). Returns the messages dropped
        during it, for the notice (0 while it is not over)."""
        self.stalled = False
        if self.active and self._clock() - self._last_failure < quiet_for:
            return 0
        self.active = False
        dropped, self.dropped = self.dropped, 0
        return dropped

    def reset(self) -> None:
        self.active = self.stalled = False
        self.dropped = 0
