"""Unix sockets: the local syslog daemon (/dev/log), datagram or stream."""

from __future__ import annotations

import errno
import socket

from ._address import check_unix_path
from ._errors import SyslogConfigError
from ._framing import FRAMINGS, parse_framing
from ._options import DEFAULT_TIMEOUT, parse_seconds
from ._socket_transport import SocketTransport
from ._sockets import connect_socket

KINDS = ("auto", "dgram", "stream")


class UnixTransport(SocketTransport):
    """A Unix socket at `path`: `kind="auto"` tries a datagram socket, then a stream.

    Stream sockets are framed with LF by default, as syslog(3) readers such as
    syslog-ng's `unix-stream()` expect; datagrams carry one message each.
    """

    default_header = "local"  # stock daemons mangle rfc5424 on the local socket
    default_framing = "lf"
    default_max_message_size = 8192

    def __init__(
        self,
        path: str,
        *,
        kind: str = "auto",
        framing: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        if kind not in KINDS:
            raise SyslogConfigError("kind", kind, f"one of {', '.join(KINDS)}")
        self._stream_framer = FRAMINGS[parse_framing(framing or self.default_framing)]
        super().__init__(timeout=parse_seconds(timeout, "timeout"), framer=None)
        self.path = check_unix_path(path, "path")
        self.kind = kind
        if kind == "stream":
            self.use_framer(self._stream_framer)
        # "auto" may end up on a stream: promise only what both can carry.
        self.carries_newlines = kind == "dgram" or self._stream_framer.carries_newlines

    def dial(self) -> socket.socket:
        if self.kind != "stream":
            try:
                return self._dial_as(socket.SOCK_DGRAM)
            except OSError as exc:
                if self.kind == "dgram" or exc.errno != errno.EPROTOTYPE:
                    raise
        return self._dial_as(socket.SOCK_STREAM)

    def _dial_as(self, socktype: int) -> socket.socket:
        sock = socket.socket(socket.AF_UNIX, socktype)
        try:
            connect_socket(sock, self.path, self.deadline_after_timeout(), self.aborter)
        except BaseException:
            sock.close()
            raise
        carries = self.carries_newlines
        self.use_framer(None if socktype == socket.SOCK_DGRAM else self._stream_framer)
        self.carries_newlines = carries  # what the formatter was promised stays true
        return sock

    def __repr__(self) -> str:
        return f"UnixTransport({self.path!r}, kind={self.kind!r})"
