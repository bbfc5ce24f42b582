"""What every socket transport shares: datagram vs framed stream, the peer-close check, fork."""

from __future__ import annotations

import socket
import time
from typing import Sequence

from ._framing import FRAMINGS, Framer
from ._sockets import StreamWriteError, peer_closed, send_all, wait
from ._transport import PartialSendError, Transport


class SocketTransport(Transport):
    """Base of the UDP, TCP, TLS and Unix transports: subclasses only say how to connect.

    `framing=None` means datagrams (one message per send, no framing); otherwise
    a stream framed as named ("octet-counting" or "lf").
    """

    def __init__(self, *, timeout: float, framing: str | None) -> None:
        self.timeout = timeout
        self.framing = framing
        self._framer: Framer | None = FRAMINGS[framing] if framing else None
        self._sock: socket.socket | None = None

    @property
    def carries_newlines(self) -> bool:
        return self.framing != "lf"

    @property
    def datagram(self) -> bool:
        return self._framer is None

    def _connect(self) -> socket.socket:  # pragma: no cover - abstract
        """A connected, non-blocking socket (the timeout bounds every step)."""
        raise NotImplementedError

    def open(self) -> None:
        self.close()
        self._sock = self._connect()

    def send(self, message: bytes) -> None:
        sock = self._sock
        if sock is None:
            raise ConnectionError("not connected")
        if self._framer is None:
            try:
                sock.send(message)
            except BlockingIOError:  # the receiver's queue is full: wait, within the timeout
                wait(sock, time.monotonic() + self.timeout)
                sock.send(message)
            return
        if peer_closed(sock):
            raise ConnectionResetError("the peer closed the connection")
        send_all(sock, self._framer(message), self.timeout)

    def send_many(self, messages: Sequence[bytes]) -> None:
        framer, sock = self._framer, self._sock
        if framer is None or sock is None:
            super().send_many(messages)
            return
        if peer_closed(sock):
            raise PartialSendError(0, ConnectionResetError("the peer closed the connection"))
        frames = [framer(message) for message in messages]
        try:
            send_all(sock, b"".join(frames), self.timeout)
        except StreamWriteError as exc:
            # Only frames that went out whole count; the partial one goes again
            # on the next connection (this one is dropped, so it cannot corrupt it).
            whole, written = 0, 0
            for frame in frames:
                written += len(frame)
                if written > exc.sent:
                    break
                whole += 1
            raise PartialSendError(whole, exc.cause) from exc

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()

    def forget(self) -> None:
        # Only the child's descriptor: no shutdown(), no TLS close_notify.
        self.close()
