"""Keeping a byte stream whole when a write is interrupted, for every stream transport.

A write can end early for many reasons: a socket error, the timeout (a peer
that stopped reading), KeyboardInterrupt, an exception from the application's
own signal handler. Whatever it was, the next byte on the stream must be the
rest of the interrupted frame, or nothing. `StreamWriter` keeps that promise:
a frame that has started is finished before anything else (its rest is kept);
when how much went out cannot be known, the caller is told to drop the stream.
"""

from __future__ import annotations

import ssl
from typing import Callable, Sequence

from ._transport import TransportTimeout

#: "Not now": the kernel buffer is full (or TLS needs to read or write first).
WOULD_BLOCK = (BlockingIOError, ssl.SSLWantWriteError, ssl.SSLWantReadError)

Send = Callable[[memoryview], int]
Wait = Callable[[float, bool], None]


class StreamWriter:
    """The write loop of a stream transport, and what an interrupted write left behind.

    `send(view)` writes a prefix of `view` and returns its length, or raises one
    of WOULD_BLOCK; `wait(deadline, writable)` blocks until it may try again or
    raises (TransportTimeout at the deadline).
    """

    def __init__(self) -> None:
        #: The unwritten end of a frame already started on the stream: written first.
        self.rest = b""
        #: After a write of new frames raised: whether they were taken anyway (started).
        self.taken = False
        #: After an interrupted write of several frames: how many went out whole.
        self.whole = 0
        #: After a write raised: whether the stream must be dropped.
        self.broken = False
        self._unsure = False  # inside send(): how much went out is not known

    def reset(self) -> None:
        """A new stream: nothing pending."""
        self.rest = b""
        self.taken = False
        self.whole = 0
        self.broken = False
        self._unsure = False

    def finish_rest(self, send: Send, wait: Wait, deadline: Callable[[], float]) -> None:
        """Write a started frame's rest, if any, before anything else."""
        if self.rest:
            rest, self.rest = self.rest, b""
            self.write(rest, send, wait, deadline, continuing=True)

    def write(
        self,
        data: bytes,
        send: Send,
        wait: Wait,
        deadline: Callable[[], float],
        frames: Sequence[bytes] = (),
        continuing: bool = False,
    ) -> None:
        """Write `data` (the concatenation of `frames`, when given) whole.

        On any exception the state is settled (`broken`, `taken`, `whole`: read
        them only after an exception), then the exception propagates; when the
        stream must be dropped, `broken` is set first (the transport closes it).
        """
        view = memoryview(data)
        sent = 0
        until = 0.0
        committed = False  # TLS said "want": OpenSSL holds this buffer, a retry must offer it again
        try:
            while sent < len(data):
                try:
                    self._unsure = True
                    sent += send(view[sent:])
                    self._unsure = False
                    continue
                except WOULD_BLOCK as exc:
                    self._unsure = False
                    writable = not isinstance(exc, ssl.SSLWantReadError)
                    committed = committed or isinstance(exc, ssl.SSLError)
                if not until:
                    until = deadline()
                wait(until, writable)
        except BaseException as exc:
            self.broken = self._settle(exc, data, sent, frames, continuing, committed)
            raise

    def _settle(
        self, exc: BaseException, data: bytes, sent: int, frames: Sequence[bytes], continuing: bool, committed: bool
    ) -> bool:
        """What an interrupted write leaves: True when the stream must be dropped.

        `continuing`: `data` is an older frame's rest (no new frame has started).
        `committed`: a TLS write that OpenSSL has begun: its retry must offer the
        same bytes, and no fewer, so all of `data` from `sent` on goes first."""
        self.taken = False
        self.whole = 0
        if self._unsure:
            # Interrupted inside send(): the peer may hold any prefix. Drop the
            # stream; the peer discards the incomplete frame at its end.
            self._unsure = False
            self.rest = b""
            return True
        if isinstance(exc, OSError) and not isinstance(exc, TransportTimeout):
            self.rest = b""
            return True  # the stream is broken: nothing more goes on it
        frames = frames or (data,)
        if continuing or committed:
            self.rest = data[sent:]
            self.taken = not continuing  # a TLS write begun: every frame of it is taken
            return False
        start = 0
        for frame in frames:
            if start + len(frame) > sent:
                break
            start += len(frame)
            self.whole += 1
        if sent > start:
            # The frame at `whole` has started: its rest goes first, and it counts as
            # gone out; the frames after it have not started and stay with the caller.
            self.rest = data[sent : start + len(frames[self.whole])]
            self.whole += 1
            self.taken = self.whole == len(frames)
        return False
