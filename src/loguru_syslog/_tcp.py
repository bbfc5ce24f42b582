"""TCP (RFC 6587): a stream of framed messages."""

from __future__ import annotations

import socket

from ._address import DEFAULT_PORTS, check_host
from ._framing import FRAMINGS, parse_framing
from ._options import DEFAULT_TIMEOUT, parse_port, parse_seconds
from ._socket_transport import SocketTransport
from ._sockets import connect


class TCPTransport(SocketTransport):
    """A TCP connection to `host:port`, messages framed by octet counting (default) or LF.

    Before each send the connection is checked for a close or reset by the
    peer, so that a restarted daemon costs a reconnect, not a lost message.
    """

    default_port = DEFAULT_PORTS["tcp"]
    default_framing = "octet-counting"
    default_max_message_size = 8192  # rsyslog's default maxMessageSize

    def __init__(
        self,
        host: str,
        port: int | None = None,
        *,
        framing: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        framing = parse_framing(framing or self.default_framing)
        super().__init__(timeout=parse_seconds(timeout, "timeout"), framer=FRAMINGS[framing])
        self.host = check_host(host, "host")
        self.port = parse_port(self.default_port if port is None else port, "port")

    def dial(self) -> socket.socket:
        return connect(self.host, self.port, socket.SOCK_STREAM, self.deadline_after_timeout(), self.aborter)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.host!r}, {self.port}, framing={self.framing!r})"
