"""SocketTransport: datagrams or a framed stream over any socket; subclasses only `dial()`.

On a stream, whatever interrupts a write (a socket error, the timeout,
KeyboardInterrupt, an exception from the application's signal handler), the
next byte on the connection is the rest of the interrupted frame, or nothing
(see `_stream`).
"""

from __future__ import annotations

import errno
import os
import select
import socket
from typing import Callable, Sequence

from ._framing import Framer
from ._sockets import Aborter, deadline_after, peer_closed, wait
from ._stream import StreamWriter
from ._transport import PartialSendError, Transport


class SocketTransport(Transport):
    """Base of the UDP, TCP, TLS and Unix transports, and of your own socket transports.

    Subclass it and implement `dial()`, returning a connected non-blocking
    socket; use `connect()` (or `connect_socket()` for a socket you made) with
    `self.deadline_after_timeout()` and `self.aborter`, so that it is bounded
    and `stop()` can interrupt it. `framer=None` sends datagrams (one message
    per send); a framer (`octet_counting`, `lf`) makes it a stream.
    """

    def __init__(self, *, timeout: float = 3.0, framer: Framer | None = None) -> None:
        self.timeout = timeout
        self.framer: Framer | None = None
        self.use_framer(framer)
        self.aborter = Aborter()
        self._sock: socket.socket | None = None
        self._sock_send: Callable[[memoryview], int] = _not_connected
        self._writer = StreamWriter()
        self._wait_fn = self._wait  # bound once: the write loop's helpers
        self._deadline_fn = self.deadline_after_timeout

    def dial(self) -> socket.socket:  # pragma: no cover - abstract
        """A connected, non-blocking socket (within `self.timeout` and `self.deadline`)."""
        raise NotImplementedError

    def use_framer(self, framer: Framer | None) -> None:
        """Datagrams (None) or a stream framed by `framer`; what the delivery reads follows."""
        self.framer = framer
        self._frame = None if framer is None else framer.__call__  # a bound method: the cheapest call
        self.datagram = framer is None
        self.carries_newlines = framer is None or framer.carries_newlines

    @property
    def framing(self) -> str | None:
        """The framing's name, None for datagrams."""
        return None if self.framer is None else self.framer.name

    def pending_error(self, within: float) -> OSError | None:
        """A datagram socket's pending error (an ICMP "port unreachable" for an earlier
        datagram), waiting up to `within` seconds for one to arrive; None for streams."""
        sock = self._sock
        if sock is None or not self.datagram or sock.fileno() < 0:
            return None
        code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if not code:
            select.select([sock], [], [], within)  # readable as soon as an error arrives
            code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        return OSError(code, os.strerror(code)) if code else None

    def deadline_after_timeout(self) -> float:
        """When an operation starting now must end: the timeout, capped by `deadline`."""
        return deadline_after(self.timeout, self.deadline)

    def is_failure(self, exc: BaseException) -> bool:
        # Socket operations fail with an OSError carrying an errno (ours too: see
        # _sockets). Anything else came from the application (a signal handler).
        if isinstance(exc, PartialSendError):
            exc = exc.cause
        return isinstance(exc, OSError) and exc.errno is not None

    def taken(self) -> bool:
        return self._writer.taken

    def in_flight(self) -> bool:
        return bool(self._writer.rest) or self.awaiting() > 0

    def open(self) -> None:
        self.close()
        self.aborter.reset()
        self._sock = sock = self.dial()
        self._sock_send = sock.send

    def send(self, message: bytes) -> None:
        sock = self._sock
        if sock is None:
            raise ConnectionError(errno.ENOTCONN, "not connected")
        frame = self._frame
        if frame is None:
            try:
                sock.send(message)
            except BlockingIOError:  # the receiver's queue is full: wait, within the timeout
                wait(sock, self.deadline_after_timeout(), self.aborter)
                sock.send(message)
            return
        self.write_stream(sock, frame(message), ())

    def send_many(self, messages: Sequence[bytes]) -> None:
        framer = self.framer
        if framer is None:
            super().send_many(messages)
            return
        frames = [framer(message) for message in messages]
        try:
            self.write_stream(self.current_socket(), b"".join(frames), frames)
        except BaseException as exc:
            if self._writer.whole:
                raise PartialSendError(self._writer.whole, exc) from exc
            raise

    def close(self) -> None:
        sock, self._sock = self._sock, None
        self._sock_send = _not_connected
        self._writer.reset()
        if sock is not None:
            sock.close()

    def abort(self) -> None:
        self.aborter.abort()

    def after_fork(self) -> None:
        # Only the child's descriptors: no shutdown(), no TLS close_notify.
        self.aborter.discard()
        SocketTransport.close(self)

    def current_socket(self) -> socket.socket:
        sock = self._sock
        if sock is None:
            raise ConnectionError(errno.ENOTCONN, "not connected")
        return sock

    def write_stream(self, sock: socket.socket, data: bytes, frames: Sequence[bytes]) -> None:
        """Finish a started frame, check the peer is there, then write `data` whole."""
        writer = self._writer
        writer.taken = False
        try:
            if writer.rest:
                writer.finish_rest(self._sock_send, self._wait_fn, self._deadline_fn)
            else:
                self.check_peer(sock)
            writer.write(data, self._sock_send, self._wait_fn, self._deadline_fn, frames)
        except BaseException:
            if writer.broken:
                SocketTransport.close(self)  # no TLS close_notify after half a record
            raise

    def check_peer(self, sock: socket.socket) -> None:
        """Before a new frame: raise if the peer has gone (FIN or RST), without blocking.

        After a daemon restart the first send on the old connection "succeeds" and
        is silently lost; only the next one fails. Looking first loses nothing.
        A transport whose peer talks back (RELP) reads what it says here instead.
        """
        if peer_closed(sock):
            raise ConnectionResetError(errno.ECONNRESET, "the peer closed the connection")

    def _wait(self, deadline: float, writable: bool) -> None:
        wait(self.current_socket(), deadline, self.aborter, writable)


def _not_connected(data: memoryview) -> int:
    raise ConnectionError(errno.ENOTCONN, "not connected")
