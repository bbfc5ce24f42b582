"""TCP (RFC 6587): a stream of framed messages."""

from __future__ import annotations

import socket

from ._socket_transport import SocketTransport
from ._sockets import connect
from ._udp import DEFAULT_TIMEOUT


class TCPTransport(SocketTransport):
    """A TCP connection to `host:port`, messages framed by octet counting (default) or LF.

    Before each send the connection is checked for a close or reset by the
    peer, so that a restarted daemon costs a reconnect, not a lost message.
    """

    default_max_message_size = 8192  # rsyslog's default maxMessageSize

    def __init__(
        self,
        host: str,
        port: int = 514,
        *,
        framing: str = "octet-counting",
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        super().__init__(timeout=timeout, framing=framing)
        self.host = host
        self.port = port

    def _connect(self) -> socket.socket:
        return connect(self.host, self.port, socket.SOCK_STREAM, self.timeout)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.host!r}, {self.port}, framing={self.framing!r})"
