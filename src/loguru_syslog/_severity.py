"""Facilities, severities, and the table that maps loguru levels to syslog severities."""

from __future__ import annotations

import difflib
import re
from bisect import bisect_right
from typing import Iterable, Mapping, Tuple, Union

from ._errors import SyslogConfigError, warn_config

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

#: Other spellings of built-in levels that no edit distance finds (the stdlib's FATAL).
_ALIASES = {"FATAL": "CRITICAL"}

SeverityValue = Union[str, int]
SeverityMapping = Mapping[Union[str, int], SeverityValue]
SeverityPairs = Iterable[Tuple[Union[str, int], SeverityValue]]

_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_INTEGER = re.compile(r"[+-]?[0-9]+")


def ascii_number_text(text: str, *, integer: bool = False) -> bool:
    """Whether `text` (surrounding spaces aside) is a number written with the digits 0-9.

    int() and float() also take other scripts' digits (Arabic-Indic ones...), '1_000', 'inf' and
    'nan'; a configuration value should not. With `integer`, a whole number
    only (an optional sign and digits).
    """
    pattern = _INTEGER if integer else _NUMBER
    return pattern.fullmatch(text.strip(" \t")) is not None


def _parse_code(value: object, name: str, names: dict[str, int], high: int) -> int:
    """A name from `names` (case-insensitive) or a number 0..high, as int or text."""
    if isinstance(value, int) and not isinstance(value, bool):
        if 0 <= value <= high:
            return value
    elif isinstance(value, str):
        text = value.strip().lower()
        if text in names:
            return names[text]
        if text.isascii() and text.isdigit() and 0 <= int(text) <= high:  # not Arabic-Indic digits or '²'
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


def parse_severities(value: object, name: str) -> SeverityTable:
    """A SeverityTable, a mapping, or text like `TRACE=debug,SUCCESS=notice,AUDIT=alert,45=alert`.

    The text is read as pairs, so a level written twice is an error (not the
    last one silently winning).
    """
    if isinstance(value, SeverityTable):
        return value
    if isinstance(value, str):
        entries: list[tuple[str | int, SeverityValue]] = []
        for item in filter(None, (part.strip() for part in value.split(","))):
            level, sep, severity = item.partition("=")
            if not sep or not level.strip() or not severity.strip():
                raise SyslogConfigError(name, value, "comma-separated LEVEL=severity pairs, e.g. TRACE=debug,45=alert")
            entries.append((level.strip(), severity.strip()))
        return SeverityTable(entries, name)
    if isinstance(value, Mapping):
        return SeverityTable(value, name)
    raise SyslogConfigError(name, value, "a mapping of loguru level name or number to syslog severity")


class SeverityTable:
    """Maps a loguru level (name, number) to a syslog severity 0..7.

    Resolution order: a user entry keyed by the level's name; an entry keyed by
    its number (user entries merged over the built-in numbers); otherwise the
    severity of the highest built-in level whose number is <= the level's
    number (below TRACE: debug). Never the stdlib's silent "warning".

    A level given twice (INFO and info, 45 and "45") is an error; a name close
    to a built-in one (WARN, eror) gets a SyslogConfigWarning, since an entry
    for a level nobody logs at has no effect.
    """

    def __init__(self, overrides: SeverityMapping | SeverityPairs | None = None, name: str = "severities") -> None:
        self._by_name: dict[str, int] = {}
        self._by_number: dict[int, int] = {no: sev for _, no, sev in BUILTIN_LEVELS}
        pairs = list(overrides.items()) if isinstance(overrides, Mapping) else list(overrides or ())
        seen: dict[str | int, str | int] = {}  # the level (name or number) -> the key it was given as
        for key, value in pairs:
            severity = parse_severity(value, f"{name}[{key!r}]")
            level = _level_key(key, name)
            if level in seen:
                raise SyslogConfigError(
                    name,
                    key,
                    f"each level once; {level} is given more than once (as {seen[level]!r} and {key!r})",
                )
            seen[level] = key
            if isinstance(level, int):
                self._by_number[level] = severity
            else:
                _warn_if_misspelt(level, name)
                self._by_name[level] = severity
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


def _level_key(key: object, name: str) -> str | int:
    """The level a severities key means: a number, or a name (built-in names in any case)."""
    if isinstance(key, int) and not isinstance(key, bool):
        if key < 0:
            raise SyslogConfigError(name, key, "level numbers are >= 0")
        return key
    if not isinstance(key, str) or not key.strip():
        raise SyslogConfigError(name, key, "keys are loguru level names or numbers")
    text = key.strip()
    if ascii_number_text(text, integer=True):
        if int(text) < 0:
            raise SyslogConfigError(name, key, "level numbers are >= 0")
        return int(text)
    if text.lstrip("+-").isdigit():  # Arabic-Indic digits, '²', '+-5'
        raise SyslogConfigError(name, key, "level numbers written with the digits 0-9, >= 0")
    # loguru's level names are case-sensitive; "trace" in a variable
    # surely means TRACE, which is never spelt otherwise.
    upper = text.upper()
    return upper if upper in _BUILTIN_NAMES else text


def closest_builtin_level(level: str) -> str | None:
    """The built-in level a custom level name is probably a typo of, or None.

    Close means: an abbreviation of at least 3 letters (WARN, CRIT, ERR), a known
    alias (FATAL), or one edit away (eror, INFOO, SUCESS), ignoring case. A
    built-in name followed by digits (DEBUG2) is taken as a deliberate custom level.
    """
    upper = level.upper()
    if upper in _BUILTIN_NAMES:
        return None
    if upper in _ALIASES:
        return _ALIASES[upper]
    if upper.rstrip("0123456789") in _BUILTIN_NAMES:
        return None
    for builtin in _BUILTIN_NAMES_ORDERED:
        if len(upper) >= 3 and builtin.startswith(upper):
            return builtin
    for builtin in _BUILTIN_NAMES_ORDERED:
        if _edit_distance(upper, builtin) <= 1:
            return builtin
    return None


_BUILTIN_NAMES_ORDERED = tuple(level for level, _, _ in BUILTIN_LEVELS)


def _edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance (insert, delete, substitute, swap two neighbours)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def _warn_if_misspelt(level: str, name: str) -> None:
    guess = closest_builtin_level(level)
    if guess is None:
        return
    warn_config(
        f"{name}: {level!r} is not a built-in loguru level; did you mean {guess}? Level names are "
        f"case-sensitive, and an entry for a level nothing logs at has no effect (if {level} is a level "
        "you add with logger.level(), ignore this warning)"
    )
