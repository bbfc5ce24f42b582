"""loguru-syslog: a loguru sink that gets every record into syslog, correctly and without losing it.

Usage::

    from loguru import logger
    from loguru_syslog import SyslogSink

    logger.add(SyslogSink("udp://logs.example.com:514", facility="local0"), format="{message}")
"""

from ._errors import SyslogConfigError, SyslogConfigWarning
from ._sink import SyslogSink, SyslogStats
from ._stdio import StdioTransport
from ._tcp import TCPTransport
from ._tls import TLSTransport, make_context
from ._transport import PartialSendError, Transport
from ._udp import UDPTransport
from ._unix import UnixTransport

__version__ = "0.1.0"

__all__ = [
    "PartialSendError",
    "StdioTransport",
    "SyslogConfigError",
    "SyslogConfigWarning",
    "SyslogSink",
    "SyslogStats",
    "TCPTransport",
    "TLSTransport",
    "Transport",
    "UDPTransport",
    "UnixTransport",
    "make_context",
]
