"""Addresses: URLs, host names and socket paths, parsed and checked (no transport here)."""

from __future__ import annotations

import ipaddress
import os
import re
import stat
import sys
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import parse_qsl, unquote, urlsplit

from ._errors import SyslogConfigError

#: The ports of the network schemes (the transports' defaults too).
DEFAULT_PORTS = {"udp": 514, "tcp": 514, "tls": 6514, "relp": 2514, "relp+tls": 2514}
#: The schemes whose transport speaks TLS (the tls_* options apply).
TLS_SCHEMES = ("tls", "relp+tls")
#: The schemes of RELP (relp_window applies).
RELP_SCHEMES = ("relp", "relp+tls")
#: The process's own streams, as addresses.
STREAMS = ("stdout", "stderr")
#: Where syslog daemons listen, in the order the sink looks for them.
LOCAL_SOCKET_PATHS = ("/dev/log", "/var/run/syslog", "/var/run/log")
#: systemd-journald's socket for the native protocol (journald://).
JOURNAL_SOCKET = "/run/systemd/journal/socket"
#: Unix socket schemes and the socket kind each asks for.
UNIX_KINDS = {"unix": "auto", "unixgram": "dgram", "unixstream": "stream"}
_ALIASES = {"tcp+tls": "tls"}
SCHEMES = ("udp", "tcp", "tls", "tcp+tls", "relp", "relp+tls", "journald", *UNIX_KINDS, *STREAMS)
_ACCEPTED = (
    "a URL such as udp://host:514, tcp://host:514, tls://host:6514, relp://host:2514, "
    "relp+tls://host:2514, journald://, unix:///dev/log, "
    "unixgram:///path, unixstream:///path, stdout or stderr; a (host, port) tuple; a Transport; or None"
)


@dataclass(frozen=True)
class Address:
    """A parsed address: scheme (canonical), host, port, path, and query parameters."""

    scheme: str
    host: str = ""
    port: int = 0
    path: str = ""
    query: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        if self.scheme in STREAMS:
            return self.scheme
        if self.path:
            return f"{self.scheme}://{self.path}"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"


#: A comma that starts the next address of a list: followed by a scheme ("tcp://...")
#: or stdout/stderr. A comma inside a query (`structured_data=a,b`) is not one.
_NEXT_URL = re.compile(r",\s*(?=[A-Za-z][A-Za-z0-9+.\-]*://|(?:stdout|stderr)\s*(?:,|$))")


def split_urls(text: str) -> list[str]:
    """The addresses of a comma-separated list (SYSLOG_URL, --url), in order; one
    address gives a list of one. A comma inside a URL's query stays in that URL."""
    return [part.strip() for part in _NEXT_URL.split(text)]


def parse_url(url: str, name: str = "address") -> Address:
    """Parse an address URL. Query parameters are returned as text, not yet validated.

    Errors show the URL with the password of any user info replaced by ***.
    """
    shown, secret = _masked(url)

    def error(accepted: str) -> SyslogConfigError:
        return SyslogConfigError(name, shown, accepted.replace(secret, "***") if secret else accepted)

    text = url.strip()
    bad = _first_unprintable(text)
    if bad is not None:  # urlsplit would silently drop a TAB, CR or LF
        raise error(f"no control characters or line breaks in a URL (found {bad!r}; percent-encode it)")
    bare, _, bare_query = text.partition("?")
    if bare.lower().rstrip("/").rstrip(":") in STREAMS:  # stdout, stdout:, stdout://, with or without ?query
        text = f"{bare.lower().rstrip('/').rstrip(':')}://" + (f"?{bare_query}" if bare_query else "")
    try:
        parts = urlsplit(text)
        pairs = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except ValueError as exc:
        raise error(f"{_ACCEPTED} ({exc})") from None
    query = dict(pairs)
    if len(query) < len(pairs):
        twice = sorted({key for key, _ in pairs if sum(k == key for k, _ in pairs) > 1})
        raise error(f"each query parameter once; given more than once: {', '.join(twice)}")
    if parts.fragment or text.endswith("#"):
        raise error("no #fragment (write # in a path or value as %23)")
    scheme = _ALIASES.get(parts.scheme.lower(), parts.scheme.lower())
    if scheme in STREAMS:
        if parts.netloc or parts.path not in ("", "/"):
            raise error(f"{scheme} alone, or {scheme}://?name=value")
        return Address(scheme, query=query)
    if scheme in UNIX_KINDS or scheme == "journald":
        path = unquote((parts.netloc + parts.path) if parts.netloc else parts.path)
        if scheme == "journald" and path in ("", "/"):
            return Address(scheme, path=JOURNAL_SOCKET, query=query)
        if not path:
            raise error("a socket path, e.g. unix:///dev/log")
        problem = _unix_path_problem(path)
        if problem is not None:
            raise error(problem)
        return Address(scheme, path=path, query=query)
    if scheme not in DEFAULT_PORTS:
        raise error(_ACCEPTED)
    _, at, hostport = parts.netloc.rpartition("@")
    # A password with an unencoded / ? or # ends the netloc early: still user info, not a bad port.
    port_like = re.split(r"[/?#]", secret, maxsplit=1)[0]
    if at or (secret and not (port_like == "" or _ascii_digits(port_like))):
        raise error(
            f"{scheme}://host:port with no path or user: user info (user@ or user:password@) "
            "is not supported in syslog URLs; give the host and port only"
        )
    if "[" in hostport or "]" in hostport:
        match = re.fullmatch(r"\[([^\[\]]*)\](?::([^\[\]]*))?", hostport)
        if match is None:
            raise error(f"an IPv6 address in well-formed brackets, e.g. {scheme}://[::1]:{DEFAULT_PORTS[scheme]}")
        host_text, port_text = match.group(1), match.group(2) or ""
        if not _is_ipv6(unquote(host_text)):
            raise error(f"an IPv6 address in the brackets, e.g. {scheme}://[::1]:{DEFAULT_PORTS[scheme]}")
    elif hostport.count(":") > 1:
        raise error(f"an IPv6 address in brackets, e.g. {scheme}://[::1]:{DEFAULT_PORTS[scheme]}")
    else:
        host_text, _, port_text = hostport.partition(":")
    port = DEFAULT_PORTS[scheme]
    if port_text:
        if not _ascii_digits(port_text) or not 0 < int(port_text) < 65536:
            raise error("a port from 1 to 65535 (digits 0-9)")
        port = int(port_text)
    if not host_text:
        raise error(f"a host, e.g. {scheme}://logs.example.com")
    if parts.path not in ("", "/"):
        raise error(f"{scheme}://host:port with no path or user")
    # An IPv6 zone is percent-encoded in a URL (RFC 6874: [fe80::1%25eth0]).
    host = unquote(host_text.lower())
    problem = _host_problem(host)
    if problem is not None:
        raise error(problem)
    return Address(scheme, host=host, port=port, query=query)


#: The longest socket path connect() takes, in bytes: sun_path holds 108 bytes on Linux
#: (104 on macOS and the BSDs), the terminating NUL included.
UNIX_PATH_MAX = 103 if sys.platform == "darwin" or "bsd" in sys.platform else 107
#: DNS limits (RFC 1035): a name of at most 253 characters (without the final dot), labels of 1 to 63.
HOST_NAME_MAX, HOST_LABEL_MAX = 253, 63


def check_unix_path(path: str, name: str) -> str:
    """`path` if a unix socket can be reached through it, else a SyslogConfigError naming `name`.

    A path over the kernel's limit (UNIX_PATH_MAX bytes, encoded) or with a NUL
    would be accepted here and fail at every connect.
    """
    if not isinstance(path, str) or not path:
        raise SyslogConfigError(name, path, "a socket path (a non-empty str), e.g. /dev/log")
    problem = _unix_path_problem(path)
    if problem is not None:
        raise SyslogConfigError(name, path, problem)
    return path


def check_host(host: str, name: str) -> str:
    """`host` if it is a possible host name or IP address, else a SyslogConfigError naming `name`.

    Rejected: empty, whitespace or control characters (NUL, U+2028...), empty labels
    (`..`), names over 253 characters or labels over 63 (RFC 1035), a name with a
    colon that is not an IPv6 address. IP literals are accepted as they are.
    """
    if not isinstance(host, str):
        raise SyslogConfigError(name, host, "a host name or IP address (a str)")
    problem = _host_problem(host)
    if problem is not None:
        raise SyslogConfigError(name, host, problem)
    return host


def _unix_path_problem(path: str) -> str | None:
    """What is wrong with a unix socket path (as `accepted` text), or None."""
    if "\0" in path:
        return "a socket path without NUL characters"
    try:
        size = len(os.fsencode(path))
    except UnicodeError:
        return "a socket path the file system encoding can represent"
    if size > UNIX_PATH_MAX:
        return (
            f"a socket path of at most {UNIX_PATH_MAX} bytes, the kernel's limit (this one has {size}); "
            "use a shorter path, e.g. a symbolic link to the socket"
        )
    return None


def _host_problem(host: str) -> str | None:
    """What is wrong with a host name or IP address (as `accepted` text), or None."""
    if not host:
        return "a host name or IP address"
    bad = next((char for char in host if char.isspace() or not char.isprintable()), None)
    if bad is not None:
        return f"a host name or IP address, with no whitespace or control characters (found {bad!r})"
    if ":" in host:
        return None if _is_ipv6(host) else "an IPv6 address (in brackets in a URL) or a host name without ':'"
    if _is_ip(host):
        return None
    labels = (host[:-1] if host.endswith(".") else host).split(".")
    if "" in labels:
        return "a host name with no empty label (nothing between two dots, no leading dot)"
    size = len(labels) - 1
    for label in labels:
        try:
            octets = len(label.encode("ascii") if label.isascii() else label.encode("idna"))
        except UnicodeError as exc:
            return f"a host name whose labels DNS can carry ({label!r}: {exc})"
        if octets > HOST_LABEL_MAX:
            return f"a host name with labels of at most {HOST_LABEL_MAX} characters (one has {octets})"
        size += octets
    if size > HOST_NAME_MAX:
        return f"a host name of at most {HOST_NAME_MAX} characters (this one has {size})"
    return None


def _is_ip(text: str, parse: Callable[[str], object] = ipaddress.ip_address) -> bool:
    """An IP address (`parse=ipaddress.IPv6Address`: an IPv6 one, with or without a zone)."""
    try:
        parse(text)
    except ValueError:
        return False
    return True


def _is_ipv6(text: str) -> bool:
    return _is_ip(text, ipaddress.IPv6Address)


def _ascii_digits(text: str) -> bool:
    """Digits 0-9 only: str.isdigit() and int() take other scripts' digits (Arabic-Indic...) too."""
    return text.isascii() and text.isdigit()


def _first_unprintable(text: str) -> str | None:
    return next((char for char in text if not char.isprintable()), None)


def _masked(url: str) -> tuple[str, str]:
    """`url` with the password of its user info (scheme://user:password@host) as ***, and the password.

    Errs on the side of hiding: from the first colon of the user info to the last
    @ before the query (a password may contain an unencoded ? or @).
    """
    start = url.find("://")
    if start < 0:
        return url, ""
    start += 3
    first_at = url.find("@", start)
    if first_at < 0:
        return url, ""
    user, colon, _ = url[start:first_at].partition(":")
    if not colon or any(char in user for char in "/?#"):
        return url, ""
    query = url.find("?", first_at)
    last_at = url.rfind("@", first_at, query if query >= 0 else len(url))
    secret = url[start + len(user) + 1 : last_at]
    return url[: start + len(user) + 1] + "***" + url[last_at:], secret


def find_local_socket(paths: tuple[str, ...] | None = None) -> str:
    """The first of `paths` (default LOCAL_SOCKET_PATHS) that is a socket (a directory or
    file of that name is skipped)."""
    paths = LOCAL_SOCKET_PATHS if paths is None else paths
    for path in paths:
        try:
            if stat.S_ISSOCK(os.stat(path).st_mode):
                return path
        except OSError:
            continue
    raise SyslogConfigError(
        "address",
        None,
        f"no local syslog socket: tried {', '.join(paths)}; start a syslog daemon, "
        "or give an address (or set SYSLOG_URL), e.g. udp://localhost:514 or stdout",
    )
