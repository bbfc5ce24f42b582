"""RFC 5424 STRUCTURED-DATA from the extras bound with `logger.bind()` / `contextualize()`."""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

from ._errors import SyslogConfigError
from ._sanitize import NILVALUE, sd_name, sd_value

#: Extra keys that configure the message instead of becoming SD-PARAMs.
RESERVED_KEYS = frozenset({"msgid"})

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


def printable(value: Any) -> str:
    """str(value), or a placeholder naming the type when str() itself raises."""
    try:
        return str(value)
    except Exception:  # a user object's __str__ can raise anything; the record still goes out
        return f"<unprintable {type(value).__name__}>"


class StructuredData:
    """Turns a record's extras into one SD-ELEMENT (or NILVALUE when there is nothing)."""

    def __init__(
        self,
        sd_id: str = DEFAULT_SD_ID,
        keys: Iterable[str] | None = None,
        replacement: str = " ",
    ) -> None:
        self._open = "[" + sd_id
        self._keys = None if keys is None else frozenset(keys)
        self._replacement = replacement
        # Sanitised PARAM-NAMEs by extra key: keys repeat on every record.
        self._names: dict[str, str] = {}

    def render(self, extra: Mapping[str, Any]) -> str:
        """The SD-ELEMENT for these extras, reserved and unselected keys left out."""
        params = []
        for key, value in extra.items():
            if key in RESERVED_KEYS or (self._keys is not None and key not in self._keys):
                continue
            name = self._names.get(key)
            if name is None:
                if len(self._names) >= _NAME_CACHE_SIZE:  # keys made per record: stay bounded
                    self._names.clear()
                name = self._names[key] = sd_name(printable(key))
            params.append(f' {name}="{sd_value(printable(value), self._replacement)}"')
        if not params:
            return NILVALUE
        return self._open + "".join(params) + "]"
