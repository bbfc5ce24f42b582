"""Record -> bytes: the PRI, one of four headers, structured data, and a clean MSG.

Everything that does not change per record (PRI per level, the hostname and
app-name text, the date-time text within one second) is computed once and
cached; a record only pays for what varies.
"""

from __future__ import annotations

import ipaddress
import itertools
import os
import sys
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from . import _fork
from ._counters import Counters
from ._sanitize import (
    CONTROL,
    CONTROL_EXCEPT_NEWLINES,
    NILVALUE,
    clean,
    encode,
    header_field,
    tag,
    truncate_utf8,
)
from ._severity import SeverityTable
from ._structured import MAX_SEQUENCE_ID, StructuredData, printable, record_facility

if TYPE_CHECKING:
    from loguru import Record

HEADERS = ("rfc5424", "rfc3164", "local", "pri")
_MONTHS = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_BOM = "\ufeff"
_ZERO = timedelta(0)


def default_app_name() -> str:
    """The program name from sys.argv[0]: the script, or the package run with -m."""
    argv0 = sys.argv[0] if sys.argv else ""
    if argv0 in ("", "-", "-c"):
        return "python"
    base = os.path.basename(argv0)
    if base == "__main__.py":  # python -m package: name the package, not __main__
        base = os.path.basename(os.path.dirname(argv0))
    if base.endswith(".py"):
        base = base[:-3]
    return base or "python"


def short_hostname(name: str) -> str:
    """The host name without its domain (RFC 3164), IP addresses left whole."""
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return name.split(".", 1)[0] or name
    return name


def _offset_text(offset: timedelta) -> str:
    if offset == _ZERO:
        return "Z"
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    hours, minutes = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


#: Pseudo level names for messages without a record (our notices): their severity
#: is given, not looked up. NUL cannot appear in a loguru level name.
_GIVEN_SEVERITY = {f"\x00severity {severity}": severity for severity in range(8)}


class _NoticeLevel:
    __slots__ = ("name", "no")

    def __init__(self, severity: int) -> None:
        self.name = f"\x00severity {severity}"
        self.no = -1


class _NoticeProcess:
    __slots__ = ("id",)

    def __init__(self, pid: int) -> None:
        self.id = pid


#: Level names kept in the per-level cache before it is cleared (logger.log(N, ...)
#: makes a new "Level N" name per number: the cache must stay bounded).
_CACHE_SIZE = 256


class _Entry:
    """What a record of one level, second and process shares with its neighbours."""

    __slots__ = ("head", "key", "micro", "nil_tail", "pri_end", "severity", "tail")

    def __init__(
        self, key: tuple[Any, ...], head: str, micro: bool, tail: str, nil_tail: str, severity: int = 0
    ) -> None:
        self.key = key
        #: The severity of the level (for a PRI with another facility: `syslog_facility`).
        self.severity = severity
        #: Where the PRI ends in `head`.
        self.pri_end = head.index(">") + 1
        #: Everything before the microseconds (rfc5424) or before MSG (the others).
        self.head = head
        #: Whether the microseconds and `tail` follow `head` (rfc5424).
        self.micro = micro
        #: After the microseconds: UTC offset, HOSTNAME, APP-NAME, PROCID, SP.
        self.tail = tail
        #: `tail` with the sink's MSGID, the structured data of a record without extras
        #: (NILVALUE, or the origin element) and the BOM.
        self.nil_tail = nil_tail


class Formatter:
    """Turns one loguru message and its record into one syslog message (bytes, unframed).

    It alone owns what a message may hold: it strips the trailing newline that
    loguru adds, replaces control characters (newlines included, unless
    `keep_newlines` and the transport carries them), and cuts the message to
    `max_message_size` at the end, never inside a character or the structured
    data; `recut()` does the same for a smaller size after the fact (EMSGSIZE).

    The header around MSG changes once a second: per level it is cached as the
    text before the microseconds (PRI, version, date and time) and the text after
    them (UTC offset, HOSTNAME, APP-NAME, PROCID, MSGID, NIL structured data). A
    record then costs one key comparison, one microsecond format and one encode.
    The key is the record's wall-clock fields with its tzinfo and fold (they fix
    the UTC offset: `logger.patch` and DST can give two records of the same second
    different offsets) and its process id: comparing those fields is several times
    cheaper than `t.timestamp()` or `t.replace()` (measured ~0.15 us vs ~0.6 us).
    """

    def __init__(
        self,
        *,
        header: str,
        facility: int,
        severities: SeverityTable,
        hostname: str,
        app_name: str,
        msgid: str | None,
        structured_data: StructuredData | None,
        max_message_size: int,
        keep_newlines: bool,
        replacement: str,
        bom: bool,
        counters: Counters,
    ) -> None:
        self.header = header
        self._counters = counters
        self._facility = facility
        self._severities = severities
        self._max = max_message_size
        self._msgid = header_field(msgid, 32) if msgid else NILVALUE
        self._rfc5424 = header == "rfc5424"
        if structured_data is None:  # no extras' element; syslog_sd (rfc5424) still applies
            structured_data = StructuredData(replacement=replacement, extras=False)
        structured_data.counters = counters
        self._sd = structured_data
        #: The SD of a record without extras, in every cache entry: NILVALUE or the origin.
        self._nil_sd = structured_data.origin or NILVALUE
        self._control = CONTROL_EXCEPT_NEWLINES if keep_newlines else CONTROL
        self._replacement = replacement
        self._bom = _BOM if bom else ""
        if header == "rfc5424":
            self._fields = f"{header_field(hostname, 255)} {header_field(app_name, 48)}"
        elif header == "rfc3164":
            self._fields = f"{header_field(short_hostname(hostname), 255)} {tag(app_name)}"
        else:
            self._fields = tag(app_name)
        self._entries: dict[str, _Entry] = {}

    def format(self, message: str, record: Record) -> bytes:
        """The syslog message for one loguru message (the hot path: one per record)."""
        entry, text = self._prepare(message, record)
        extra = record["extra"]
        if not extra:
            if not entry.micro:
                return self._finish(entry.head, "", text)
            # %-formatting: measured faster than an f-string with a :06d spec.
            return self._finish("%s%06d%s" % (entry.head, record["time"].microsecond, entry.nil_tail), "", text)  # noqa: UP031
        if not entry.micro:  # no SD in these headers: only the facility can change
            head = entry.head if "syslog_facility" not in extra else self._head(entry, extra["syslog_facility"])
            return self._finish(head, "", text)
        return self._structured(entry, record["time"].microsecond, text, extra, 0)

    def _prepare(self, message: str, record: Record) -> tuple[_Entry, str]:
        """The cache entry of the record's level, second and process, and its clean text."""
        t = record["time"]
        level = record["level"]
        pid = record["process"].id
        key = (t.second, t.minute, t.hour, t.day, t.month, t.year, t.tzinfo, t.fold, pid)
        entry = self._entries.get(level.name)
        if entry is None or entry.key != key:
            entry = self._entry(level.name, level.no, t, pid, key)
        text = message.rstrip("\r\n")
        if not text.isprintable():  # fast check: almost every message is clean
            text = self._clean(text)
        return entry, text

    def _structured(self, entry: _Entry, micro: int, text: str, extra: Any, number: int) -> bytes:
        """rfc5424 with extras or a sequence number: MSGID from `msgid`, the PRI from
        `syslog_facility`, the rest as STRUCTURED-DATA."""
        msgid = header_field(printable(extra["msgid"]), 32) if "msgid" in extra else self._msgid
        head = entry.head if "syslog_facility" not in extra else self._head(entry, extra["syslog_facility"])
        sd = self._sd.render(extra, number)
        head = "%s%06d%s%s " % (head, micro, entry.tail, msgid)  # noqa: UP031
        if number or self._nil_sd != NILVALUE:
            return self._finish(head, sd, f" {self._bom}{text}", self._sd.own(number))
        return self._finish(head, sd, f" {self._bom}{text}")

    def format_text(self, text: str, severity: int) -> bytes:
        """A message without a record (our own notices, direct calls): now, this process."""
        record = {
            "level": _NoticeLevel(severity),
            "time": datetime.now().astimezone(),
            "process": _NoticeProcess(os.getpid()),
            "extra": {},
        }
        # Formatter.format, not the numbered one: notices carry no sequenceId, so that
        # the receiver sees the messages they tell of as a gap.
        return Formatter.format(self, text, cast("Record", record))

    def recut(self, data: bytes, limit: int) -> bytes:
        """A message this formatter made, cut again to `limit` octets (a datagram socket
        refused its size): at the end, never inside a character or the structured data."""
        if len(data) <= limit:
            return data
        if self._rfc5424:
            span = sd_span(data)
            if span is not None and span[1] > limit and data[span[0] : span[1]] != b"-":
                # Give up the extras, not the message; keep the sink's own leading elements
                # (meta: without its sequenceId the receiver would see a false gap) if they fit.
                start, end = span
                keep = start
                for element_end in _own_element_ends(data, start, end):
                    if element_end >= limit:
                        break
                    keep = element_end
                data = data[:start] + (data[start:keep] or b"-") + data[end:]
        return truncate_utf8(data, limit)

    # -- per record, the tail ------------------------------------------------------------------

    def _finish(self, head: str, sd: str, body: str, own: str = NILVALUE) -> bytes:
        """head + sd + body, encoded; cut at the end when longer than max_message_size
        (`own`: the sink's own SD elements, kept when the rest of `sd` does not fit)."""
        line = head + sd + body
        try:
            data = line.encode()
        except UnicodeEncodeError:  # a safety net: _clean() already escaped lone surrogates
            self._counters.sanitized += 1
            data = encode(line)[0]
        return data if len(data) <= self._max else self._truncate(head, sd, body, own)

    # -- once per second, per level, or when something goes wrong ----------------------------

    def _entry(self, name: str, no: int, t: datetime, pid: int, key: tuple[Any, ...]) -> _Entry:
        """The cache entry of a level for this second and process."""
        severity = _GIVEN_SEVERITY.get(name)
        if severity is None:
            severity = self._severities.severity_for(name, no)
        pri = f"<{self._facility * 8 + severity}>"
        if self._rfc5424:
            offset = t.utcoffset()
            if offset is None:  # a naive time from logger.patch: it is local time
                offset = t.astimezone().utcoffset() or _ZERO
            head = f"{pri}1 {t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}."
            tail = f"{_offset_text(offset)} {self._fields} {pid} "
            entry = _Entry(key, head, True, tail, f"{tail}{self._msgid} {self._nil_sd} {self._bom}", severity)
        elif self.header == "pri":
            entry = _Entry(key, pri, False, "", "", severity)
        else:  # rfc3164 and local differ only in self._fields ("HOSTNAME TAG" or "TAG")
            stamp = f"{_MONTHS[t.month]} {t.day:2d} {t.hour:02d}:{t.minute:02d}:{t.second:02d}"
            entry = _Entry(key, f"{pri}{stamp} {self._fields}[{pid}]: ", False, "", "", severity)
        if len(self._entries) >= _CACHE_SIZE:
            self._entries.clear()
        self._entries[name] = entry
        return entry

    def _head(self, entry: _Entry, value: Any) -> str:
        """`entry.head` with the PRI of the facility a record gives (`syslog_facility`);
        an invalid one is counted in `sanitized` and the sink's own facility kept."""
        facility = record_facility(value)
        if facility is None:
            self._counters.sanitized += 1
            return entry.head
        return f"<{facility * 8 + entry.severity}>{entry.head[entry.pri_end :]}"

    def _clean(self, text: str) -> str:
        """Control characters replaced, lone surrogates escaped; counted when anything changed."""
        cleaned, changed = clean(text, self._control, self._replacement)
        if changed:
            self._counters.sanitized += 1
        return cleaned

    def _truncate(self, head: str, sd: str, body: str, own: str = NILVALUE) -> bytes:
        """head + sd + body cut at the end to max_message_size, never inside SD or a character."""
        self._counters.truncated += 1
        if sd and sd != NILVALUE and len(encode(head + sd)[0]) >= self._max:
            # Cutting inside STRUCTURED-DATA would break the header grammar: give up the
            # extras rather than the message, but keep the sink's own elements (meta, origin)
            # when they fit: without its sequenceId a receiver would see a false gap.
            sd = NILVALUE
            meta = own[: own.find("]") + 1] if own.startswith("[meta ") else NILVALUE
            for kept in (own, meta):  # meta and origin, else meta alone, else nothing
                if kept != NILVALUE and len(encode(head + kept)[0]) < self._max:
                    sd = kept
                    break
        return truncate_utf8(encode(head + sd + body)[0], self._max)


class NumberedFormatter(Formatter):
    """A Formatter that numbers every record (`sequence_id=True`, rfc5424 only):
    `[meta sequenceId="N"]`, N from 1, wrapping after MAX_SEQUENCE_ID to 1. The
    notices (`format_text`) are not numbered, so the receiver sees the messages they
    tell of as a gap. In a forked child (its own PROCID) the numbering starts again.

    `next()` of an itertools.count is one C call, atomic under the GIL; the calls are
    serialised anyway (loguru's handler lock, logging's handler lock).
    """

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._numbers = itertools.count(1)
        _fork.register(self)

    def format(self, message: str, record: Record) -> bytes:
        entry, text = self._prepare(message, record)
        number = next(self._numbers)  # taken last: nothing can fail before it is handed on
        if number > MAX_SEQUENCE_ID:
            number = (number - 1) % MAX_SEQUENCE_ID + 1
        return self._structured(entry, record["time"].microsecond, text, record["extra"], number)

    def reset_after_fork(self) -> None:
        self._numbers = itertools.count(1)


_OWN_SD_IDS = (b"[meta ", b"[meta]", b"[origin ", b"[origin]")


def _own_element_ends(data: bytes, start: int, end: int) -> list[int]:
    """Where each leading `meta` / `origin` SD-ELEMENT of the SD at data[start:end] ends."""
    ends = []
    pos = start
    while pos < end and data.startswith(_OWN_SD_IDS, pos):
        element = _first_element_end(data, pos)
        if element is None or element > end:
            break
        ends.append(element)
        pos = element
    return ends


def _first_element_end(data: bytes, start: int) -> int | None:
    """The end of the SD-ELEMENT that starts at data[start] ("["), quoted values skipped."""
    try:
        end = start + 1
        while data[end] != 0x5D:  # ]
            if data[end] == 0x22:  # a PARAM-VALUE: up to its closing quote, escapes skipped
                end += 1
                while data[end] != 0x22:
                    end += 2 if data[end] == 0x5C else 1
            end += 1
        return end + 1
    except IndexError:
        return None


def sd_span(data: bytes) -> tuple[int, int] | None:
    """Where STRUCTURED-DATA starts and ends in an RFC 5424 message, or None if it cannot tell."""
    try:
        start = 0
        for _ in range(6):  # <PRI>VERSION, TIMESTAMP, HOSTNAME, APP-NAME, PROCID, MSGID
            start = data.index(b" ", start) + 1
        if data[start : start + 1] == b"-":
            return start, start + 1
    except ValueError:
        return None
    end: int | None = start
    while end is not None and data[end : end + 1] == b"[":
        end = _first_element_end(data, end)
    return (start, end) if end is not None and end > start else None
