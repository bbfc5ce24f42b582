"""Making arbitrary text safe for the wire: header fields, SD names and values, MSG.

Every function here is total: whatever it is given (control characters, lone
surrogates, empty strings) it returns something valid, never raises.
"""

from __future__ import annotations

import re

NILVALUE = "-"

# RFC 5424 header fields and SD-NAMEs are PRINTUSASCII (33..126). Anything else
# becomes "_" rather than disappearing, so that two different names rarely collide.
_NOT_PRINTUSASCII = re.compile(r"[^\x21-\x7e]")
# SD-NAME additionally excludes '=', ']' and '"' (SP is already outside 33..126).
_NOT_SD_NAME = re.compile(r'[^\x21-\x7e]|[=\]"]')
# An RFC 3164 TAG ends at the first non-alphanumeric character for many parsers;
# ':' '[' ']' would end it early and a space would make the rest look like MSG.
_NOT_TAG = re.compile(r"[^\x21-\x7e]|[:\[\]]")
# C0, DEL, C1 and the Unicode line/paragraph separators: anything a receiver or a
# log viewer may take as the end of a line or as a terminal escape.
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# The same, less the three characters a user may opt in to keep (TAB, LF, CR)
# where the framing can carry them.
CONTROL_EXCEPT_NEWLINES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
_SD_VALUE_SPECIALS = re.compile(r'([\\"\]])')


def header_field(text: str, limit: int, pattern: re.Pattern[str] = _NOT_PRINTUSASCII) -> str:
    """A header field: printable US-ASCII only, at most `limit` characters, NILVALUE if empty."""
    cleaned = pattern.sub("_", text)[:limit]
    return cleaned or NILVALUE


def tag(text: str, limit: int = 32) -> str:
    """An RFC 3164 TAG (also the local-socket form's): no space, ':' or brackets."""
    return header_field(text, limit, _NOT_TAG)


def sd_name(text: str) -> str:
    """An SD-NAME / PARAM-NAME: 1..32 printable US-ASCII except '=', ' ', ']' and '"'."""
    return _NOT_SD_NAME.sub("_", text)[:32] or "_"


def clean(text: str, control: re.Pattern[str], replacement: str) -> tuple[str, bool]:
    """`text` with control characters replaced and lone surrogates escaped; whether it changed.

    Lone surrogates (undecodable bytes smuggled in with surrogateescape, broken
    JSON, ...) cannot be encoded as UTF-8: they become visible `\\udcxx` text here,
    before any escaping, so that SD escaping still sees every backslash.
    """
    cleaned = control.sub(replacement, text)
    try:
        cleaned.encode()
    except UnicodeEncodeError:
        cleaned = cleaned.encode("utf-8", "backslashreplace").decode()
    return cleaned, cleaned != text


def sd_value(text: str, replacement: str) -> str:
    """A PARAM-VALUE: '"', '\\' and ']' escaped, control characters replaced (one line)."""
    if not text.isprintable():  # fast check: most values are clean
        text = clean(text, CONTROL, replacement)[0]
    return _SD_VALUE_SPECIALS.sub(r"\\\1", text)


def encode(text: str) -> tuple[bytes, bool]:
    """UTF-8 bytes of `text` and whether it had to be repaired (a safety net: `clean`
    has already escaped lone surrogates in MSG and SD values)."""
    try:
        return text.encode(), False
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace"), True


def truncate_utf8(data: bytes, limit: int) -> bytes:
    """The first `limit` octets of valid UTF-8 `data`, never ending inside a sequence."""
    if len(data) <= limit:
        return data
    end = limit
    # data[end] is the first octet cut off; while it is a continuation octet
    # (10xxxxxx) the character it belongs to started before the cut: drop it whole.
    while end > 0 and data[end] & 0xC0 == 0x80:
        end -= 1
    return data[:end]
