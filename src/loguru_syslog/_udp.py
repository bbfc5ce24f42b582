"""UDP (RFC 5426): one datagram per message."""

from __future__ import annotations

import socket

from ._address import DEFAULT_PORTS, check_host
from ._options import DEFAULT_TIMEOUT, parse_port, parse_seconds
from ._socket_transport import SocketTransport
from ._sockets import connect

#: The largest UDP payload over IPv4 (65535 - 8 - 20); IPv6 allows 20 more.
UDP_MAX_PAYLOAD = 65507


class UDPTransport(SocketTransport):
    """Datagrams to `host:port` (IPv4 or IPv6; names resolved within the timeout).

    The socket is connected, so an ICMP "port unreachable" from a host with no
    receiver shows up as ConnectionRefusedError on a later send: counted, and
    reported once, instead of vanishing. UDP still never confirms delivery.
    """

    default_port = DEFAULT_PORTS["udp"]
    default_max_message_size = 2048  # RFC 5426: receivers SHOULD accept 2048 octets
    size_limit = UDP_MAX_PAYLOAD

    def __init__(self, host: str, port: int = default_port, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        super().__init__(timeout=parse_seconds(timeout, "timeout"), framer=None)
        self.host = check_host(host, "host")
        self.port = parse_port(port, "port")

    def dial(self) -> socket.socket:
        return connect(self.host, self.port, socket.SOCK_DGRAM, self.deadline_after_timeout(), self.aborter)

    def __repr__(self) -> str:
        return f"UDPTransport({self.host!r}, {self.port})"
