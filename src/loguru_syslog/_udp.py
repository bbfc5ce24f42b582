"""UDP (RFC 5426): one datagram per message."""

from __future__ import annotations

import socket

from ._socket_transport import SocketTransport
from ._sockets import connect

DEFAULT_TIMEOUT = 3.0


class UDPTransport(SocketTransport):
    """Datagrams to `host:port` (IPv4 or IPv6; names resolved within the timeout).

    The socket is connected, so an ICMP "port unreachable" from a host with no
    receiver shows up as ConnectionRefusedError on a later send: counted, and
    reported once, instead of vanishing. UDP still never confirms delivery.
    """

    default_max_message_size = 2048  # RFC 5426: receivers SHOULD accept 2048 octets

    def __init__(self, host: str, port: int = 514, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        super().__init__(timeout=timeout, framing=None)
        self.host = host
        self.port = port

    def _connect(self) -> socket.socket:
        return connect(self.host, self.port, socket.SOCK_DGRAM, self.timeout)

    def __repr__(self) -> str:
        return f"UDPTransport({self.host!r}, {self.port})"
