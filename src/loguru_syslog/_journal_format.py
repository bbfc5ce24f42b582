"""Record -> systemd-journald's native protocol: one entry of KEY=value fields.

A value without a newline is `KEY=value\\n`; one with a newline (a multi-line
message, a traceback) is `KEY\\n`, its length as 64-bit little endian, the
value, `\\n`. Nothing is cut: the transport sends what is too big for one
datagram through a memfd.
"""

from __future__ import annotations

import os
import re
import struct
import traceback
from datetime import datetime
from typing import TYPE_CHECKING, Any, Mapping, cast

from ._counters import Counters
from ._severity import SeverityTable
from ._structured import printable, record_facility, record_sd_id

if TYPE_CHECKING:
    from loguru import Record

#: The fields every entry has (an extra of the same name is written EXTRA_<NAME>).
OWN_FIELDS = frozenset(
    {
        "MESSAGE",
        "MESSAGE_ID",
        "PRIORITY",
        "SYSLOG_FACILITY",
        "SYSLOG_IDENTIFIER",
        "SYSLOG_PID",
        "CODE_FILE",
        "CODE_LINE",
        "CODE_FUNC",
        "LOGGER",
        "THREAD_NAME",
        "TRACEBACK",
    }
)
_NOT_FIELD_CHAR = re.compile(r"[^A-Z0-9_]")
_MESSAGE_ID = re.compile(r"^[0-9a-fA-F]{32}$")
_FIELD_MAX = 64
_CACHE_SIZE = 1024


def field(name: bytes, value: str) -> bytes:
    """One field of an entry, binary-safe."""
    data = value.encode("utf-8", "backslashreplace")
    if b"\n" in data:
        return name + b"\n" + struct.pack("<Q", len(data)) + data + b"\n"
    return name + b"=" + data + b"\n"


def field_name(key: str) -> str:
    """An extra's name as a journal field: upper case, A-Z 0-9 _ only, no leading `_` or
    digit, at most 64 characters; "" when nothing is left."""
    name = _NOT_FIELD_CHAR.sub("_", key.upper()).lstrip("_0123456789")[:_FIELD_MAX]
    if name in OWN_FIELDS:
        name = f"EXTRA_{name}"[:_FIELD_MAX]
    return name


class JournalFormatter:
    """Turns one loguru message and its record into one journal entry (bytes)."""

    def __init__(
        self,
        *,
        facility: int,
        severities: SeverityTable,
        app_name: str,
        extras: bool | frozenset[str],
        counters: Counters,
    ) -> None:
        self._severities = severities
        self._counters = counters
        self._extras = extras
        self._identifier = field(b"SYSLOG_IDENTIFIER", app_name)
        self._constant = field(b"SYSLOG_FACILITY", str(facility)) + self._identifier
        self._priorities: dict[str, bytes] = {}  # level name -> PRIORITY field
        self._names: dict[str, bytes] = {}  # extra key -> field name ("" when dropped)

    def format(self, message: str, record: Record) -> bytes:
        level = record["level"]
        priority = self._priorities.get(level.name)
        if priority is None:
            priority = self._priority(level.name, level.no)
        parts = [
            field(b"MESSAGE", message[:-1] if message.endswith("\n") else message),
            priority,
            self._constant,
            field(b"SYSLOG_PID", str(record["process"].id)),
        ]
        file, function, line = record.get("file"), record.get("function"), record.get("line")
        if file is not None and file.path is not None:
            parts.append(field(b"CODE_FILE", file.path))
        if line is not None:
            parts.append(field(b"CODE_LINE", str(line)))
        if function is not None:
            parts.append(field(b"CODE_FUNC", function))
        name, thread = record.get("name"), record.get("thread")
        if name is not None:
            parts.append(field(b"LOGGER", name))
        if thread is not None and thread.name is not None:  # None: logging.logThreads = False
            parts.append(field(b"THREAD_NAME", thread.name))
        exception = record.get("exception")
        if exception is not None and exception.type is not None:
            text = "".join(traceback.format_exception(exception.type, exception.value, exception.traceback))
            parts.append(field(b"TRACEBACK", text.rstrip("\n")))
        extra = record["extra"]
        if extra:
            if "syslog_facility" in extra:  # this record's facility
                facility = record_facility(extra["syslog_facility"])
                if facility is None:
                    self._counters.sanitized += 1
                else:
                    parts[2] = field(b"SYSLOG_FACILITY", str(facility)) + self._identifier
            if self._extras is not False:
                parts.extend(self._extra_fields(extra))
            if "syslog_sd" in extra:
                parts.extend(self._sd_fields(extra["syslog_sd"]))
        return b"".join(parts)

    def format_text(self, text: str, severity: int) -> bytes:
        """An entry without a record (our own notices, direct calls): now, this process."""
        record = {
            "level": _GivenLevel(f"\x00severity {severity}", severity),
            "time": datetime.now().astimezone(),
            "process": _Process(os.getpid()),
            "extra": {},
        }
        return self.format(text, cast("Record", record))

    def recut(self, data: bytes, limit: int) -> bytes:
        """Entries are never cut (the transport sends big ones through a memfd)."""
        return data

    def _priority(self, name: str, no: int) -> bytes:
        severity = no if name.startswith("\x00severity ") else self._severities.severity_for(name, no)
        if len(self._priorities) >= _CACHE_SIZE:
            self._priorities.clear()
        priority = self._priorities[name] = field(b"PRIORITY", str(severity))
        return priority

    def _extra_fields(self, extra: dict[Any, Any]) -> list[bytes]:
        fields = []
        for key, value in extra.items():
            if key == "msgid":
                text = printable(value)
                fields.append(field(b"MESSAGE_ID" if _MESSAGE_ID.match(text) else b"MSGID", text))
                continue
            if key == "syslog_facility" or key == "syslog_sd":  # reserved: not fields
                continue
            selected = self._extras
            if isinstance(selected, frozenset) and key not in selected:
                continue
            name = self._names.get(key)
            if name is None:
                if len(self._names) >= _CACHE_SIZE:  # keys made per record: stay bounded
                    self._names.clear()
                name = self._names[key] = field_name(printable(key)).encode()
            if not name:
                self._counters.sanitized += 1  # a name with nothing a journal field may hold
                continue
            fields.append(field(name, printable(value)))
        return fields

    def _sd_fields(self, elements: Any) -> list[bytes]:
        """A record's `syslog_sd` as fields `<SDID>_<PARAM>` (the field name rule of extras);
        what the syslog formatter would leave out (an invalid SD-ID, not a mapping of
        mappings) is left out here too, and counted."""
        if not isinstance(elements, Mapping):
            self._counters.sanitized += 1
            return []
        fields = []
        for sd_id, params in elements.items():
            checked = record_sd_id(sd_id)
            if not checked or not isinstance(params, Mapping):
                self._counters.sanitized += 1
                continue
            for key, value in params.items():
                name = field_name(f"{checked}_{printable(key)}")
                if not name:
                    self._counters.sanitized += 1
                    continue
                fields.append(field(name.encode(), printable(value)))
        return fields


class _GivenLevel:
    __slots__ = ("name", "no")

    def __init__(self, name: str, severity: int) -> None:
        self.name = name
        self.no = severity


class _Process:
    __slots__ = ("id",)

    def __init__(self, pid: int) -> None:
        self.id = pid
