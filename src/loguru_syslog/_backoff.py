"""When to try connecting again: exponential backoff with jitter."""

from __future__ import annotations

import random
import time
from typing import Callable


class Backoff:
    """Delays between failed attempts: `low`, doubling up to `high`, each with jitter
    (a random 50-100 % of the delay, so that many clients do not retry in step).

    `clock` and `jitter` are injectable, so it is tested without sleeping.
    """

    def __init__(
        self,
        low: float,
        high: float,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.low = low
        self.high = high
        self._clock = clock
        self._jitter = jitter
        self._attempts = 0  # failed attempts since the last success: the exponent
        self._at = 0.0  # when the next attempt is due

    @property
    def failures(self) -> int:
        """Failed attempts since the last success."""
        return self._attempts

    def due(self) -> bool:
        """Whether an attempt may be made now."""
        return self._clock() >= self._at

    def remaining(self) -> float:
        """Seconds until the next attempt is due (0 when it is)."""
        return max(self._at - self._clock(), 0.0)

    def failed(self) -> float:
        """A failed attempt: the next one waits. Returns that delay."""
        delay: float = min(self.high, self.low * 2.0**self._attempts) * (0.5 + self._jitter() / 2)
        self._attempts += 1
        self._at = self._clock() + delay
        return delay

    def now(self) -> None:
        """The next attempt may be made at once (a working connection broke; stop())."""
        self._at = 0.0

    def reset(self) -> None:
        """A success: the next failure starts from `low` again."""
        self._attempts = 0
        self._at = 0.0
