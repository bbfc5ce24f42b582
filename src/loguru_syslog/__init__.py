"""loguru-syslog: a loguru sink that gets every record into syslog, correctly and without losing it.

Usage::

    from loguru import logger
    from loguru_syslog import SyslogSink

    logger.add(SyslogSink("udp://logs.example.com:514", facility="local0"), format="{message}")

The transport toolkit (for transports of your own): `Transport`, `SocketTransport`
with the bounded socket helpers `connect` and `connect_socket`, the framers
`octet_counting` and `lf`, and `MemoryTransport` for tests.
"""

from ._config import SyslogConfig
from ._counters import SyslogStats, TargetStats
from ._errors import SyslogConfigError, SyslogConfigWarning
from ._failover import FailoverTransport
from ._framing import Framer, LineFeed, OctetCounting, lf, octet_counting
from ._handler import SyslogHandler
from ._journald import JournaldTransport
from ._memory import MemoryTransport
from ._relp import RELPTransport
from ._sink import SyslogSink
from ._socket_transport import SocketTransport
from ._sockets import Aborter, connect, connect_socket
from ._stdio import StdioTransport
from ._tcp import TCPTransport
from ._tls import PinMismatchError, TLSCredentials, TLSTransport, make_context
from ._transport import PartialSendError, Transport, TransportTimeout
from ._udp import UDPTransport
from ._unix import UnixTransport
from ._version import __version__ as __version__

__all__ = [
    "Aborter",
    "FailoverTransport",
    "Framer",
    "JournaldTransport",
    "LineFeed",
    "MemoryTransport",
    "OctetCounting",
    "PartialSendError",
    "PinMismatchError",
    "RELPTransport",
    "SocketTransport",
    "StdioTransport",
    "SyslogConfig",
    "SyslogConfigError",
    "SyslogConfigWarning",
    "SyslogHandler",
    "SyslogSink",
    "SyslogStats",
    "TCPTransport",
    "TLSCredentials",
    "TLSTransport",
    "TargetStats",
    "Transport",
    "TransportTimeout",
    "UDPTransport",
    "UnixTransport",
    "connect",
    "connect_socket",
    "lf",
    "make_context",
    "octet_counting",
]
