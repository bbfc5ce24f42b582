"""The messages waiting for the peer, in order, bounded by count and by octets."""

from __future__ import annotations

from collections import deque
from itertools import islice, repeat
from typing import Iterable, Sequence

#: Messages handed to one `send_many` (stream transports write them in one call),
#: and taken off the background queue at once.
BATCH = 4096


class Buffer:
    """A FIFO of messages that drops its oldest past `max_count` messages or `max_bytes`
    octets (at least the newest message always fits). Adding returns how many it dropped."""

    def __init__(self, max_count: int, max_bytes: int) -> None:
        self.max_count = max_count
        self.max_bytes = max_bytes
        self.nbytes = 0
        self._items: deque[bytes] = deque()

    def __len__(self) -> int:
        return len(self._items)

    def append(self, message: bytes) -> int:
        """Add the newest message; returns the number of messages dropped to make room."""
        if self.max_count == 0:
            return 1  # nothing may wait
        self._items.append(message)
        self.nbytes += len(message)
        return self.trim()

    def extend(self, messages: Sequence[bytes], trim: bool = True) -> int:
        """Add messages, newest last; with `trim=False` the bound is applied later, by `trim()`."""
        self._items.extend(messages)
        self.nbytes += sum(map(len, messages))
        return self.trim() if trim else 0

    def prepend(self, messages: Iterable[bytes]) -> None:
        """Put messages before everything that waits (they are older); no bound applies."""
        for message in reversed(list(messages)):
            self._items.appendleft(message)
            self.nbytes += len(message)

    def head(self, count: int = BATCH) -> list[bytes]:
        """The oldest `count` messages (not removed)."""
        return list(islice(self._items, 0, count))

    def remove(self, count: int) -> None:
        """Remove the oldest `count` messages (they went out)."""
        items = self._items
        if count >= len(items):  # the common case: everything that waited went out
            self.clear()
            return
        self.nbytes -= sum(map(len, islice(items, count)))
        popleft = items.popleft
        for _ in repeat(None, count):
            popleft()

    def replace_head(self, message: bytes) -> None:
        self.nbytes += len(message) - len(self._items[0])
        self._items[0] = message

    def clear(self) -> int:
        """Remove everything; returns how many messages there were."""
        count = len(self._items)
        self._items.clear()
        self.nbytes = 0
        return count

    def trim(self) -> int:
        """Drop the oldest past the bounds; returns how many."""
        dropped = 0
        items = self._items
        while len(items) > self.max_count or (self.nbytes > self.max_bytes and len(items) > 1):
            self.nbytes -= len(items.popleft())
            dropped += 1
        return dropped
