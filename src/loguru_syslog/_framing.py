"""Framing a syslog message for a stream (RFC 6587): octet counting or an LF trailer.

Never a NUL trailer: some receivers (go-syslog, rsyslog's `#000`) take it as
part of the message.
"""

from __future__ import annotations

from typing import Callable

from ._errors import SyslogConfigError

Framer = Callable[[bytes], bytes]


def octet_counting(message: bytes) -> bytes:
    """`LEN SP MSG`, LEN counting octets (of the message as it is, after truncation)."""
    return b"%d %b" % (len(message), message)


def lf(message: bytes) -> bytes:
    """`MSG LF`. A raw LF inside the message would split it in two: it becomes a space."""
    if b"\n" in message:
        message = message.replace(b"\n", b" ")
    return message + b"\n"


FRAMINGS: dict[str, Framer] = {"octet-counting": octet_counting, "lf": lf}


def parse_framing(value: object, name: str = "framing") -> str:
    if isinstance(value, str) and value.strip().lower() in FRAMINGS:
        return value.strip().lower()
    raise SyslogConfigError(name, value, f"use one of {', '.join(FRAMINGS)}")
