"""Every sink option in one table: what values are valid, defaults, and their SYSLOG_* names.

The constructor, `from_env()` and URL query parameters all parse through here,
so a facility, a size or a boolean is valid or invalid the same way everywhere.
Parsers take the native Python value or its text (from a variable or a URL) and
the name to blame in a SyslogConfigError.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import Any, Callable, Iterable, TypedDict

from ._errors import SyslogConfigError
from ._format import HEADERS
from ._framing import parse_framing
from ._severity import SeverityMapping, parse_facility, parse_severities
from ._structured import DEFAULT_SD_ID, parse_sd_id

#: The default of `timeout`, also the transports' own (one place for it).
DEFAULT_TIMEOUT = 3.0
MIN_MESSAGE_SIZE = 480  # RFC 5424: every receiver MUST accept 480 octets
MAX_MESSAGE_SIZE = 1 << 24
_TRUE = ("1", "true", "yes", "y", "ok", "on")  # the words loguru's LOGURU_* variables accept
_FALSE = ("0", "false", "no", "n", "nok", "off")


def parse_bool(value: object, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    raise SyslogConfigError(name, value, f"a boolean: {'/'.join(_TRUE)} or {'/'.join(_FALSE)}")


def _is_ascii_number(text: str) -> bool:
    """Digits, sign, point and exponent in ASCII only: int() and float() also take
    Arabic-Indic and other Unicode digits, which no configuration means."""
    return text.isascii() and text != ""


def _number(value: object, name: str, low: float, high: float, accepted: str, whole: bool) -> float:
    """A number in [low, high] (not NaN), as a Python number or text (ASCII digits only);
    `whole`: an int (text without a point or exponent)."""
    number: object = value
    if isinstance(value, str):
        text = value.strip()
        try:
            number = (int(text) if whole else float(text)) if _is_ascii_number(text) else None
        except ValueError:
            number = None
    kinds = int if whole else (int, float)
    if isinstance(number, bool) or not isinstance(number, kinds) or not low <= number <= high:
        raise SyslogConfigError(name, value, accepted)  # the value as the user wrote it; NaN fails too
    return number


def parse_int(value: object, name: str, low: int, high: int, accepted: str) -> int:
    """A whole number in [low, high], as int or text (ASCII digits)."""
    return int(_number(value, name, low, high, accepted, whole=True))


def parse_float(value: object, name: str, low: float, high: float, accepted: str) -> float:
    """A number in [low, high], as int, float or text (ASCII digits)."""
    return float(_number(value, name, low, high, accepted, whole=False))


def parse_seconds(value: object, name: str) -> float:
    return parse_float(value, name, 0.001, 86400.0, "seconds, a number from 0.001 to 86400")


def parse_port(value: object, name: str) -> int:
    return parse_int(value, name, 1, 65535, "a port from 1 to 65535")


def _count(value: object, name: str) -> int:
    return parse_int(value, name, 0, 10**9, "a whole number >= 0")


def _positive_count(value: object, name: str) -> int:
    return parse_int(value, name, 1, 10**9, "a whole number >= 1")


def _relp_window(value: object, name: str) -> int:
    return parse_int(value, name, 1, 100_000, "a whole number of messages from 1 to 100000")


def _octets(value: object, name: str) -> int:
    return parse_int(value, name, 0, 1 << 40, "octets, a whole number >= 0")


def _message_size(value: object, name: str) -> int:
    return parse_int(
        value,
        name,
        MIN_MESSAGE_SIZE,
        MAX_MESSAGE_SIZE,
        f"octets, a whole number from {MIN_MESSAGE_SIZE} (the RFC 5424 minimum) to {MAX_MESSAGE_SIZE}",
    )


def _text(value: object, name: str) -> str:
    if isinstance(value, str):
        return value
    raise SyslogConfigError(name, value, "a string")


def _header(value: object, name: str) -> str:
    if isinstance(value, str) and value.strip().lower() in HEADERS:
        return value.strip().lower()
    raise SyslogConfigError(name, value, f"one of {', '.join(HEADERS)}")


def _replacement(value: object, name: str) -> str:
    if isinstance(value, str) and (value == "" or value.isprintable()):
        return value
    raise SyslogConfigError(name, value, "printable text (it replaces control characters, so it may not contain any)")


def parse_structured_data(value: object, name: str) -> bool | frozenset[str]:
    """True (all extras), False (none), or the extra keys to include."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return parse_bool(value, name)
        except SyslogConfigError:
            keys = [key.strip() for key in value.split(",") if key.strip()]
            if keys:
                return frozenset(keys)
    elif isinstance(value, (list, tuple, set, frozenset)) and all(isinstance(k, str) for k in value):
        return frozenset(value)
    raise SyslogConfigError(name, value, "true (every extra), false (none), or the extra keys to include")


def parse_pins(value: object, name: str) -> tuple[str, ...]:
    """SHA-256 fingerprints of acceptable server certificates: 64 hex digits each (colons
    allowed, as `openssl x509 -fingerprint -sha256` prints them), comma-separated or a list."""
    items: object = value
    if isinstance(value, str):
        items = [part for part in value.split(",") if part.strip()]
    accepted = "SHA-256 fingerprints of the server certificate (DER): 64 hex digits each, comma-separated"
    if not isinstance(items, (list, tuple, set, frozenset)) or not items:
        raise SyslogConfigError(name, value, accepted)
    pins = []
    for item in items:
        text = item.strip().replace(":", "").lower() if isinstance(item, str) else ""
        if len(text) != 64 or not text.isascii() or any(c not in "0123456789abcdef" for c in text):
            raise SyslogConfigError(name, value, accepted)
        pins.append(text)
    return tuple(dict.fromkeys(pins))


def _ssl_context(value: object, name: str) -> ssl.SSLContext:
    if isinstance(value, ssl.SSLContext):
        return value
    raise SyslogConfigError(name, value, "an ssl.SSLContext (only from Python; use the tls_* files in the environment)")


class SinkOptions(TypedDict, total=False):
    """The keyword options of `SyslogSink` (and of `from_env`), with their types."""

    facility: str | int | None
    header: str | None
    app_name: str | None
    hostname: str | None
    msgid: str | None
    severities: SeverityMapping | str | None
    framing: str | None
    max_message_size: int | str | None
    timeout: float | str | None
    background: bool | str | None
    queue_size: int | str | None
    buffer_size: int | str | None
    buffer_bytes: int | str | None
    backoff_min: float | str | None
    backoff_max: float | str | None
    stop_timeout: float | str | None
    structured_data: bool | Iterable[str] | None
    sd_id: str | None
    keep_newlines: bool | str | None
    replacement: str | None
    bom: bool | str | None
    tls_context: ssl.SSLContext | None
    tls_ca_file: str | None
    tls_cert_file: str | None
    tls_key_file: str | None
    tls_verify: bool | str | None
    tls_server_name: str | None
    relp_window: int | str | None
    failback: bool | str | None
    sequence_id: bool | str | None
    origin: bool | str | None
    tls_pin_sha256: str | Iterable[str] | None


@dataclass(frozen=True)
class Option:
    """One sink option: its parser, its default (None: decided by the transport), its help."""

    name: str
    parse: Callable[[object, str], Any]
    default: Any
    help: str
    #: Settable from SYSLOG_<NAME> and as a URL query parameter (Python objects are not).
    textual: bool = True


OPTIONS: dict[str, Option] = {
    option.name: option
    for option in (
        Option(
            "facility", parse_facility, None, "facility name or number 0..23 (default: user; kern on stdout/stderr)"
        ),
        Option("header", _header, None, "rfc5424, rfc3164, local or pri (default: by transport)"),
        Option("app_name", _text, None, "APP-NAME / TAG (default: the program name)"),
        Option("hostname", _text, None, "HOSTNAME (default: socket.gethostname())"),
        Option("msgid", _text, None, "MSGID; logger.bind(msgid=...) wins per record"),
        Option("severities", parse_severities, None, "level-to-severity entries over the default table"),
        Option("framing", parse_framing, None, "octet-counting or lf, stream transports only"),
        Option("relp_window", _relp_window, 128, "RELP messages that may wait for their acknowledgement"),
        Option("failback", parse_bool, True, "with several addresses: go back to the first when it works again"),
        Option("max_message_size", _message_size, None, "octets of the whole message (default: by transport)"),
        Option("timeout", parse_seconds, DEFAULT_TIMEOUT, "seconds any single write may block"),
        Option("background", parse_bool, False, "send from a writer thread; write() only enqueues"),
        Option("queue_size", _positive_count, 10000, "messages the background queue holds"),
        Option("buffer_size", _count, 20000, "messages kept while the peer is down or slow"),
        Option("buffer_bytes", _octets, 16 << 20, "octets kept while the peer is down or slow"),
        Option("backoff_min", parse_seconds, 0.1, "first reconnect delay after a failed attempt, seconds"),
        Option("backoff_max", parse_seconds, 30.0, "longest reconnect delay, seconds"),
        Option("stop_timeout", parse_seconds, 5.0, "seconds stop() may wait to deliver what is queued"),
        Option("structured_data", parse_structured_data, True, "true, false, or extra keys to put in SD"),
        Option("sd_id", parse_sd_id, DEFAULT_SD_ID, "the SD-ID of the extras' SD-ELEMENT"),
        Option("keep_newlines", parse_bool, False, "keep TAB/LF/CR where the framing can carry them"),
        Option("replacement", _replacement, " ", "what replaces each control character in MSG"),
        Option("bom", parse_bool, False, "put a UTF-8 BOM before MSG (rfc5424)"),
        Option("sequence_id", parse_bool, False, 'number messages: [meta sequenceId="N"] (rfc5424)'),
        Option("origin", parse_bool, False, "name the software: [origin software=... swVersion=...] (rfc5424)"),
        Option("tls_context", _ssl_context, None, "an ssl.SSLContext (Python only)", textual=False),
        Option("tls_ca_file", _text, None, "CA certificates (PEM) instead of the system's"),
        Option("tls_cert_file", _text, None, "client certificate (PEM) for mutual TLS"),
        Option("tls_key_file", _text, None, "client key (PEM), if not in tls_cert_file"),
        Option("tls_verify", parse_bool, True, "verify the server certificate and name"),
        Option("tls_server_name", _text, None, "name to verify and send as SNI (default: the host)"),
        Option("tls_pin_sha256", parse_pins, None, "accept only server certificates with these SHA-256 fingerprints"),
    )
}
