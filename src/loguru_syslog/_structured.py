"""RFC 5424 STRUCTURED-DATA from the extras bound with `logger.bind()` / `contextualize()`."""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

from ._counters import Counters
from ._errors import SyslogConfigError
from ._sanitize import NILVALUE, sd_name, sd_value
from ._severity import parse_facility
from ._version import __version__

#: Extra keys that configure the message instead of becoming SD-PARAMs: `msgid` (the
#: MSGID), `syslog_facility` (this record's facility), `syslog_sd` (SD elements of its own).
RESERVED_KEYS = frozenset({"msgid", "syslog_facility", "syslog_sd"})
#: The largest sequenceId (RFC 5424 section 7.3.1: 1..2147483647, then 1 again).
MAX_SEQUENCE_ID = 2147483647
#: The origin element (RFC 5424 section 7.2): this software and its version.
ORIGIN = f'[origin software="loguru-syslog" swVersion="{sd_value(__version__, " ")}"]'
_OWN_PARAMS = {"meta": frozenset({"sequenceId"}), "origin": frozenset({"software", "swVersion"})}

#: The default SD-ID. 32473 is the Private Enterprise Number that RFC 5612
#: reserves for documentation and examples: loguru-syslog owns no PEN, and an
#: SD-ID without "@" must be registered with IANA (RFC 5424 section 7).
DEFAULT_SD_ID = "loguru@32473"

# The SD-IDs IANA has registered (RFC 5424 section 9.2); any other needs "@PEN".
IANA_SD_IDS = frozenset({"timeQuality", "origin", "meta"})
_SD_ID = re.compile(r"^[\x21-\x7e]{1,32}$")
_NAME_CACHE_SIZE = 1024
_ENTERPRISE_ID = re.compile(r"^[^@=\]\" ]+@[0-9]+(\.[0-9]+)*$")


def parse_sd_id(value: object, name: str = "sd_id") -> str:
    """Validate an SD-ID: SD-NAME grammar, and "@number" unless IANA registered."""
    accepted = (
        'an SD-ID such as "myapp@32473": <= 32 printable ASCII characters, no = ] " or space, '
        'and "@" with an enterprise number unless registered with IANA'
    )
    if not isinstance(value, str) or not _SD_ID.match(value) or any(c in value for c in '=]"'):
        raise SyslogConfigError(name, value, accepted)
    if value not in IANA_SD_IDS and not _ENTERPRISE_ID.match(value):
        raise SyslogConfigError(name, value, accepted)
    return value


# Values of `syslog_facility` and SD-IDs of `syslog_sd` seen, checked once (they repeat):
# value -> facility (None: invalid), value -> SD-ID ("": invalid). Bounded: cleared when full.
_facilities: dict[tuple[type, Any], int | None] = {}
_sd_ids: dict[tuple[type, Any], str] = {}


def record_facility(value: Any) -> int | None:
    """The facility a record gives with `syslog_facility` (a name as for `facility=`, or
    0..23), or None when it is not one."""
    key = (value.__class__, value)  # True == 1 and 1.0 == 1, but only 1 is a facility
    try:
        return _facilities[key]
    except KeyError:
        pass
    except TypeError:  # unhashable: not a name or a number
        return None
    try:
        facility: int | None = parse_facility(value, "syslog_facility")
    except SyslogConfigError:
        facility = None
    if len(_facilities) >= _NAME_CACHE_SIZE:
        _facilities.clear()
    _facilities[key] = facility
    return facility


def record_sd_id(value: Any) -> str:
    """An SD-ID of a record's `syslog_sd` if valid (as `parse_sd_id`), else ""."""
    key = (value.__class__, value)
    try:
        return _sd_ids[key]
    except KeyError:
        pass
    except TypeError:  # unhashable: not a str, so not an SD-ID
        return ""
    try:
        checked = parse_sd_id(value, "syslog_sd")
    except SyslogConfigError:
        checked = ""
    if len(_sd_ids) >= _NAME_CACHE_SIZE:
        _sd_ids.clear()
    _sd_ids[key] = checked
    return checked


def printable(value: Any) -> str:
    """str(value), or a placeholder naming the type when str() itself raises."""
    try:
        return str(value)
    except Exception:  # a user object's __str__ can raise anything; the record still goes out
        return f"<unprintable {type(value).__name__}>"


class StructuredData:
    """Turns a record's extras into its STRUCTURED-DATA (or NILVALUE when there is nothing).

    In this order: `[meta sequenceId="N"]` (when the formatter numbers records),
    `[origin ...]` (`origin=True`), the element of the extras (SD-ID `sd_id`; not with
    `extras=False`), then the elements the record brings in its `syslog_sd` extra, in
    their order. One element per SD-ID (RFC 5424 section 6.3.2): a `syslog_sd` element
    with the SD-ID of one of the sink's own is merged into it, the sink's params first
    and winning over a user param of the same name. What cannot be sent (an invalid
    SD-ID, a `syslog_sd` that is not a mapping of mappings) is left out and counted in
    `counters.sanitized`; the record still goes out.
    """

    def __init__(
        self,
        sd_id: str = DEFAULT_SD_ID,
        keys: Iterable[str] | None = None,
        replacement: str = " ",
        *,
        extras: bool = True,
        origin: bool = False,
        counters: Counters | None = None,
    ) -> None:
        self._sd_id = sd_id
        self._open = "[" + sd_id
        self._keys = None if keys is None else frozenset(keys)
        self._replacement = replacement
        self._extras = extras
        #: The origin element's text ("" without origin=True): it never changes.
        self.origin = ORIGIN if origin else ""
        #: Where invalid `syslog_sd` values are counted (the formatter sets its own).
        self.counters = counters if counters is not None else Counters()
        # Sanitised PARAM-NAMEs by extra key: keys repeat on every record.
        self._names: dict[str, str] = {}

    def render(self, extra: Mapping[str, Any], number: int = 0) -> str:
        """The STRUCTURED-DATA for these extras (reserved and unselected keys left out),
        with `[meta sequenceId="number"]` first unless `number` is 0."""
        params = []
        user = None
        if self._extras:
            for key, value in extra.items():
                if key in RESERVED_KEYS:
                    if key == "syslog_sd":
                        user = value
                    continue
                if self._keys is not None and key not in self._keys:
                    continue
                name = self._names.get(key)
                if name is None:
                    if len(self._names) >= _NAME_CACHE_SIZE:  # keys made per record: stay bounded
                        self._names.clear()
                    name = self._names[key] = sd_name(printable(key))
                params.append(f' {name}="{sd_value(printable(value), self._replacement)}"')
        else:
            user = extra.get("syslog_sd")
        if user is None:
            own = f'[meta sequenceId="{number}"]{self.origin}' if number else self.origin
            if not params:
                return own or NILVALUE
            return own + self._open + "".join(params) + "]"
        return self._merged(params, user, number)

    def own(self, number: int = 0) -> str:
        """Only the sink's own elements (meta, origin): what a cut message keeps first."""
        return f'[meta sequenceId="{number}"]{self.origin}' if number else self.origin

    def _merged(self, params: list[str], user: Any, number: int) -> str:
        """Own elements, the extras' element and the record's `syslog_sd` elements, one per SD-ID."""
        # SD-ID -> (names the sink set, param texts); dicts keep the order of insertion.
        elements: dict[str, tuple[frozenset[str] | None, list[str]]] = {}
        if number:
            elements["meta"] = (_OWN_PARAMS["meta"], [f' sequenceId="{number}"'])
        if self.origin:
            elements["origin"] = (_OWN_PARAMS["origin"], [self.origin[7:-1]])
        if params:
            names = frozenset(text[1 : text.index("=")] for text in params)
            elements[self._sd_id] = (names, params)
        if not isinstance(user, Mapping):
            self.counters.sanitized += 1  # not a mapping of SD-ID -> params: left out whole
            user = {}
        for sd_id, user_params in user.items():
            checked = record_sd_id(sd_id)
            if not checked or not isinstance(user_params, Mapping):
                self.counters.sanitized += 1
                continue
            texts = []
            for key, value in user_params.items():
                name = sd_name(printable(key))
                texts.append((name, f' {name}="{sd_value(printable(value), self._replacement)}"'))
            found = elements.get(checked)
            if found is None:
                elements[checked] = (None, [text for _, text in texts])
            else:  # the SD-ID of one of the sink's elements: its params first, and they win
                taken, existing = found
                existing.extend(text for name, text in texts if taken is None or name not in taken)
        if not elements:
            return NILVALUE
        return "".join(f"[{sd_id}{''.join(texts)}]" for sd_id, (_, texts) in elements.items())
