"""Unix sockets: the local syslog daemon (/dev/log), datagram or stream."""

from __future__ import annotations

import errno
import socket
import time

from ._framing import FRAMINGS
from ._socket_transport import SocketTransport
from ._sockets import wait
from ._udp import DEFAULT_TIMEOUT

KINDS = ("auto", "dgram", "stream")
#: Where syslog daemons listen, in the order the sink looks for them.
LOCAL_SOCKET_PATHS = ("/dev/log", "/var/run/syslog", "/var/run/log")


class UnixTransport(SocketTransport):
    """A Unix socket at `path`: `kind="auto"` tries a datagram socket, then a stream.

    Stream sockets are framed with LF by default, as syslog(3) readers such as
    syslog-ng's `unix-stream()` expect; datagrams carry one message each.
    """

    default_header = "local"  # stock daemons mangle rfc5424 on the local socket
    default_max_message_size = 8192

    def __init__(
        self,
        path: str,
        *,
        kind: str = "auto",
        framing: str = "lf",
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        super().__init__(timeout=timeout, framing=None if kind == "dgram" else framing)
        self.path = path
        self.kind = kind
        self._stream_framing = framing

    @property
    def carries_newlines(self) -> bool:
        # "auto" may end up on an LF-framed stream: promise only what both can carry.
        return self.kind == "dgram" or self._stream_framing != "lf"

    def _connect(self) -> socket.socket:
        if self.kind != "stream":
            try:
                return self._connect_as(socket.SOCK_DGRAM)
            except OSError as exc:
                if self.kind == "dgram" or exc.errno != errno.EPROTOTYPE:
                    raise
        return self._connect_as(socket.SOCK_STREAM)

    def _connect_as(self, socktype: int) -> socket.socket:
        sock = socket.socket(socket.AF_UNIX, socktype)
        try:
            sock.setblocking(False)
            try:
                sock.connect(self.path)
            except BlockingIOError:  # a stream listener with a full backlog
                wait(sock, time.monotonic() + self.timeout)
                err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    raise OSError(err, f"connect to {self.path}") from None
        except BaseException:
            sock.close()
            raise
        self.framing = None if socktype == socket.SOCK_DGRAM else self._stream_framing
        self._framer = FRAMINGS[self.framing] if self.framing else None
        return sock

    def __repr__(self) -> str:
        return f"UnixTransport({self.path!r}, kind={self.kind!r})"
