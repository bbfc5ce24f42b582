"""An RFC 5424 checker written from the ABNF of section 6, for the property tests.

SYSLOG-MSG      = HEADER SP STRUCTURED-DATA [SP MSG]
HEADER          = PRI VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID
PRI             = "<" PRIVAL ">"           ; PRIVAL 0..191, no leading zeros
VERSION         = NONZERO-DIGIT 0*2DIGIT
HOSTNAME        = NILVALUE / 1*255PRINTUSASCII
APP-NAME        = NILVALUE / 1*48PRINTUSASCII
PROCID          = NILVALUE / 1*128PRINTUSASCII
MSGID           = NILVALUE / 1*32PRINTUSASCII
TIMESTAMP       = NILVALUE / FULL-DATE "T" FULL-TIME
FULL-TIME       = PARTIAL-TIME TIME-OFFSET ; TIME-SECFRAC = "." 1*6DIGIT
TIME-OFFSET     = "Z" / TIME-NUMOFFSET     ; ("+" / "-") TIME-HOUR ":" TIME-MINUTE
STRUCTURED-DATA = NILVALUE / 1*SD-ELEMENT
SD-ELEMENT      = "[" SD-ID *(SP SD-PARAM) "]"
SD-PARAM        = PARAM-NAME "=" %d34 PARAM-VALUE %d34
SD-NAME         = 1*32PRINTUSASCII except '=', SP, ']', %d34
PARAM-VALUE     = UTF-8-STRING ; '"', '\\' and ']' MUST be escaped
MSG             = MSG-ANY / MSG-UTF8
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_HEADER = re.compile(
    rb"<(?P<pri>0|[1-9][0-9]{0,2})>(?P<version>[1-9][0-9]{0,2}) "
    rb"(?P<timestamp>-|[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
    rb"(?:\.[0-9]{1,6})?(?:Z|[+-][0-9]{2}:[0-9]{2})) "
    rb"(?P<hostname>[\x21-\x7e]{1,255}) (?P<app_name>[\x21-\x7e]{1,48}) "
    rb"(?P<procid>[\x21-\x7e]{1,128}) (?P<msgid>[\x21-\x7e]{1,32}) "
)
_SD_NAME = rb'[^\x00-\x20\x7f-\xff="\]]{1,32}'
_SD_ELEMENT = re.compile(rb"\[(" + _SD_NAME + rb")((?: " + _SD_NAME + rb'="(?:[^"\\\]]|\\["\\\]])*")*)\]', re.S)
_SD_PARAM = re.compile(rb"(" + _SD_NAME + rb')="((?:[^"\\\]]|\\["\\\]])*)"', re.S)


@dataclass
class Rfc5424Message:
    pri: int
    timestamp: str
    hostname: str
    app_name: str
    procid: str
    msgid: str
    sd: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    msg: bytes = b""


class GrammarError(AssertionError):
    pass


def parse(data: bytes) -> Rfc5424Message:
    """Parse and validate one message; raise GrammarError where it breaks the ABNF."""
    header = _HEADER.match(data)
    if not header:
        raise GrammarError(f"bad HEADER: {data[:120]!r}")
    if int(header["pri"]) > 191:
        raise GrammarError(f"PRIVAL > 191: {data[:20]!r}")
    rest = data[header.end() :]
    sd: dict[str, list[tuple[str, str]]] = {}
    if rest.startswith(b"-"):
        rest = rest[1:]
    else:
        if not rest.startswith(b"["):
            raise GrammarError(f"bad STRUCTURED-DATA: {rest[:80]!r}")
        while rest.startswith(b"["):
            element = _SD_ELEMENT.match(rest)
            if not element:
                raise GrammarError(f"bad SD-ELEMENT: {rest[:200]!r}")
            # A list, not a dict: a PARAM-NAME may repeat within an SD-ELEMENT.
            params = [
                (name.decode(), re.sub(rb'\\(["\\\]])', rb"\1", value).decode())
                for name, value in _SD_PARAM.findall(element[2])
            ]
            sd_id = element[1].decode()
            if sd_id in sd:
                raise GrammarError(f"SD-ID {sd_id} twice")
            sd[sd_id] = params
            rest = rest[element.end() :]
    if rest and not rest.startswith(b" "):
        raise GrammarError(f"no SP before MSG: {rest[:40]!r}")
    msg = rest[1:]
    if msg.startswith(b"\xef\xbb\xbf"):
        try:
            msg[3:].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise GrammarError(f"MSG-UTF8 is not UTF-8: {exc}") from None
    return Rfc5424Message(
        pri=int(header["pri"]),
        timestamp=header["timestamp"].decode(),
        hostname=header["hostname"].decode(),
        app_name=header["app_name"].decode(),
        procid=header["procid"].decode(),
        msgid=header["msgid"].decode(),
        sd=sd,
        msg=msg,
    )
