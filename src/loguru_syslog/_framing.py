"""Framing a syslog message for a stream (RFC 6587): octet counting or an LF trailer.

Never a NUL trailer: some receivers (go-syslog, rsyslog's `#000`) take it as
part of the message. Framers do not touch the message: newlines inside it are
the formatter's business (it replaces them where `carries_newlines` is False).
"""

from __future__ import annotations

from ._errors import SyslogConfigError


class Framer:
    """Frames one message for a stream. Subclass it for a framing of your own."""

    #: The name used in `framing=` and URLs.
    name: str = ""
    #: Whether a raw LF inside a message survives this framing.
    carries_newlines: bool = True

    def __call__(self, message: bytes) -> bytes:  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<framing {self.name}>"


class OctetCounting(Framer):
    """`LEN SP MSG`, LEN counting octets (of the message as it is, after truncation)."""

    name = "octet-counting"

    def __call__(self, message: bytes) -> bytes:
        return b"%d %b" % (len(message), message)


class LineFeed(Framer):
    """`MSG LF`: the message must hold no LF (the formatter sees to it)."""

    name = "lf"
    carries_newlines = False

    def __call__(self, message: bytes) -> bytes:
        return message + b"\n"


octet_counting = OctetCounting()
lf = LineFeed()
FRAMINGS: dict[str, Framer] = {framer.name: framer for framer in (octet_counting, lf)}


def parse_framing(value: object, name: str = "framing") -> str:
    if isinstance(value, str) and value.strip().lower() in FRAMINGS:
        return value.strip().lower()
    raise SyslogConfigError(name, value, f"use one of {', '.join(FRAMINGS)}")
