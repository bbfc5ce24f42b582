"""MemoryTransport: a transport that keeps what it is sent, for tests and examples."""

from __future__ import annotations

import threading
from typing import Callable

from ._transport import Transport


class MemoryTransport(Transport):
    """Keeps every message it is sent, in order, in `messages` (bytes, unframed).

    For tests of code that logs, and for this project's own tests and benchmarks.
    `fail` makes it fail on purpose: a callable given each message (or None for
    `open()`) that returns an exception to raise, or None to accept. Every
    keyword of the constructor sets the attribute of the same name that the sink
    reads (`datagram`, `default_header`, `timeout`, ...).
    """

    def __init__(
        self,
        *,
        fail: Callable[[bytes | None], BaseException | None] | None = None,
        datagram: bool = True,
        carries_newlines: bool = True,
        default_header: str = "rfc5424",
        default_max_message_size: int = 8192,
        size_limit: int | None = None,
        timeout: float = 3.0,
    ) -> None:
        self.messages: list[bytes] = []
        self.opened = 0
        self.closed = 0
        self.fail = fail
        self.datagram = datagram
        self.carries_newlines = carries_newlines
        self.default_header = default_header
        self.default_max_message_size = default_max_message_size
        self.size_limit = size_limit
        self.timeout = timeout
        self._lock = threading.Lock()

    def open(self) -> None:
        self._check(None)
        self.opened += 1

    def send(self, message: bytes) -> None:
        self._check(message)
        with self._lock:
            self.messages.append(message)

    def close(self) -> None:
        self.closed += 1

    @property
    def texts(self) -> list[str]:
        """The messages as text."""
        return [message.decode("utf-8", "replace") for message in self.messages]

    def _check(self, message: bytes | None) -> None:
        if self.fail is not None:
            error = self.fail(message)
            if error is not None:
                raise error

    def __repr__(self) -> str:
        return f"MemoryTransport({len(self.messages)} messages)"
