"""Facilities, severities, and the table that maps loguru levels to syslog severities."""

from __future__ import annotations

import difflib
from bisect import bisect_right
from typing import Mapping, Union

from ._errors import SyslogConfigError

FACILITIES: dict[str, int] = {
    "kern": 0,
    "user": 1,
    "mail": 2,
    "daemon": 3,
    "auth": 4,
    "syslog": 5,
    "lpr": 6,
    "news": 7,
    "uucp": 8,
    "cron": 9,
    "authpriv": 10,
    "ftp": 11,
    "ntp": 12,
    "security": 13,
    "console": 14,
    "solaris-cron": 15,
    **{f"local{n}": 16 + n for n in range(8)},
}

SEVERITIES: dict[str, int] = {
    "emerg": 0,
    "emergency": 0,
    "panic": 0,
    "alert": 1,
    "crit": 2,
    "critical": 2,
    "err": 3,
    "error": 3,
    "warning": 4,
    "warn": 4,
    "notice": 5,
    "info": 6,
    "informational": 6,
    "debug": 7,
}

#: The built-in loguru levels (name, number) and the severity each maps to by default.
BUILTIN_LEVELS: tuple[tuple[str, int, int], ...] = (
    ("TRACE", 5, 7),
    ("DEBUG", 10, 7),
    ("INFO", 20, 6),
    ("SUCCESS", 25, 5),
    ("WARNING", 30, 4),
    ("ERROR", 40, 3),
    ("CRITICAL", 50, 2),
)

_BUILTIN_NAMES = frozenset(level for level, _, _ in BUILTIN_LEVELS)

SeverityValue = Union[str, int]
SeverityMapping = Mapping[Union[str, int], SeverityValue]


def _parse_code(value: object, name: str, names: dict[str, int], high: int) -> int:
    """A name from `names` (case-insensitive) or a number 0..high, as int or text."""
    if isinstance(value, int) and not isinstance(value, bool):
        if 0 <= value <= high:
            return value
    elif isinstance(value, str):
        text = value.strip().lower()
        if text in names:
            return names[text]
        if text.isdigit() and 0 <= int(text) <= high:
            return int(text)
    guess = difflib.get_close_matches(str(value).strip().lower(), list(names), n=1)
    hint = f"did you mean {guess[0]}? " if guess else ""
    raise SyslogConfigError(name, value, f"{hint}use a number 0..{high} or one of {', '.join(names)}")


def parse_facility(value: object, name: str = "facility") -> int:
    """A facility name (case-insensitive) or number 0..23."""
    return _parse_code(value, name, FACILITIES, 23)


def parse_severity(value: object, name: str = "severity") -> int:
    """A severity name (case-insensitive) or number 0..7."""
    return _parse_code(value, name, SEVERITIES, 7)


class SeverityTable:
    """Maps a loguru level (name, number) to a syslog severity 0..7.

    Resolution order: a user entry keyed by the level's name; an entry keyed by
    its number (user entries merged over the built-in numbers); otherwise the
    severity of the highest built-in level whose number is <= the level's
    number (below TRACE: debug). Never the stdlib's silent "warning".
    """

    def __init__(self, overrides: SeverityMapping | None = None, name: str = "severities") -> None:
        self._by_name: dict[str, int] = {}
        self._by_number: dict[int, int] = {no: sev for _, no, sev in BUILTIN_LEVELS}
        for key, value in (overrides or {}).items():
            severity = parse_severity(value, f"{name}[{key!r}]")
            if isinstance(key, int) and not isinstance(key, bool):
                if key < 0:
                    raise SyslogConfigError(name, key, "level numbers are >= 0")
                self._by_number[key] = severity
            elif isinstance(key, str) and key.strip():
                text = key.strip()
                if text.lstrip("+-").isdigit():
                    if int(text) < 0:
                        raise SyslogConfigError(name, key, "level numbers are >= 0")
                    self._by_number[int(text)] = severity
                else:
                    # loguru's level names are case-sensitive; "trace" in a variable
                    # surely means TRACE, which is never spelt otherwise.
                    upper = text.upper()
                    self._by_name[upper if upper in _BUILTIN_NAMES else text] = severity
            else:
                raise SyslogConfigError(name, key, "keys are loguru level names or numbers")
        self._builtin_numbers = [no for _, no, _ in BUILTIN_LEVELS]
        self._builtin_names = [level for level, _, _ in BUILTIN_LEVELS]

    def severity_for(self, level_name: str, level_no: int) -> int:
        """The syslog severity (0..7) for a loguru level."""
        if level_name in self._by_name:
            return self._by_name[level_name]
        if level_no in self._by_number:
            return self._by_number[level_no]
        index = bisect_right(self._builtin_numbers, level_no) - 1
        if index < 0:
            return SEVERITIES["debug"]
        return self.severity_for(self._builtin_names[index], self._builtin_numbers[index])

    def as_dict(self) -> dict[str | int, int]:
        """The explicit entries (names and numbers), for display by the `check` command."""
        entries: dict[str | int, int] = {}
        for number, severity in self._by_number.items():
            entries[number] = severity
        entries.update(self._by_name)
        return entries
