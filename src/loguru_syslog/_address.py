"""Addresses: URLs, (host, port) tuples, None (the local socket) -> a Transport."""

from __future__ import annotations

import os
import ssl
import stat
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from ._errors import SyslogConfigError
from ._stdio import STREAMS, StdioTransport
from ._tcp import TCPTransport
from ._tls import TLSTransport, make_context
from ._transport import Transport
from ._udp import UDPTransport
from ._unix import LOCAL_SOCKET_PATHS, UnixTransport

DEFAULT_PORTS = {"udp": 514, "tcp": 514, "tls": 6514}
_UNIX_KINDS = {"unix": "auto", "unixgram": "dgram", "unixstream": "stream"}
_ALIASES = {"tcp+tls": "tls"}
SCHEMES = ("udp", "tcp", "tls", "tcp+tls", *_UNIX_KINDS, *STREAMS)
_ACCEPTED = (
    "a URL such as udp://host:514, tcp://host:514, tls://host:6514, unix:///dev/log, "
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


def parse_url(url: str, name: str = "address") -> Address:
    """Parse an address URL. Query parameters are returned as text, not yet validated."""
    text = url.strip()
    bare, _, bare_query = text.partition("?")
    if bare.lower().rstrip("/").rstrip(":") in STREAMS:  # stdout, stdout:, stdout://, with or without ?query
        text = f"{bare.lower().rstrip('/').rstrip(':')}://" + (f"?{bare_query}" if bare_query else "")
    try:
        parts = urlsplit(text)
        pairs = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except ValueError as exc:
        raise SyslogConfigError(name, url, f"{_ACCEPTED} ({exc})") from None
    query = dict(pairs)
    if len(query) < len(pairs):
        twice = sorted({key for key, _ in pairs if sum(k == key for k, _ in pairs) > 1})
        raise SyslogConfigError(name, url, f"each query parameter once; given more than once: {', '.join(twice)}")
    if parts.fragment or text.endswith("#"):
        raise SyslogConfigError(name, url, "no #fragment (write # in a path or value as %23)")
    scheme = _ALIASES.get(parts.scheme.lower(), parts.scheme.lower())
    if scheme in STREAMS:
        if parts.netloc or parts.path not in ("", "/"):
            raise SyslogConfigError(name, url, f"{scheme} alone, or {scheme}://?name=value")
        return Address(scheme, query=query)
    if scheme in _UNIX_KINDS:
        path = unquote((parts.netloc + parts.path) if parts.netloc else parts.path)
        if not path:
            raise SyslogConfigError(name, url, "a socket path, e.g. unix:///dev/log")
        return Address(scheme, path=path, query=query)
    if scheme not in DEFAULT_PORTS:
        raise SyslogConfigError(name, url, _ACCEPTED)
    if parts.netloc.count(":") > 1 and not parts.netloc.startswith("["):
        raise SyslogConfigError(
            name, url, f"an IPv6 address in brackets, e.g. {scheme}://[::1]:{DEFAULT_PORTS[scheme]}"
        )
    try:
        host, port = parts.hostname, parts.port
    except ValueError:  # port out of range or not a number
        raise SyslogConfigError(name, url, "a port from 1 to 65535") from None
    if not host:
        raise SyslogConfigError(name, url, f"a host, e.g. {scheme}://logs.example.com")
    if parts.path not in ("", "/") or parts.username or parts.password:
        raise SyslogConfigError(name, url, f"{scheme}://host:port with no path or user")
    if port == 0:
        raise SyslogConfigError(name, url, "a port from 1 to 65535")
    # An IPv6 zone is percent-encoded in a URL (RFC 6874: [fe80::1%25eth0]).
    return Address(scheme, host=unquote(host), port=port or DEFAULT_PORTS[scheme], query=query)


def find_local_socket(paths: tuple[str, ...] = LOCAL_SOCKET_PATHS) -> str:
    """The first of `paths` that is a socket (a directory or file of that name is skipped)."""
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


def build_transport(address: Address, options: dict[str, Any]) -> Transport:
    """The transport for a parsed address; `options` are the resolved sink options."""
    timeout = options["timeout"]
    framing = options["framing"]
    if address.scheme in STREAMS:
        return StdioTransport(address.scheme)
    if address.scheme in _UNIX_KINDS:
        return UnixTransport(address.path, kind=_UNIX_KINDS[address.scheme], framing=framing or "lf", timeout=timeout)
    if address.scheme == "udp":
        return UDPTransport(address.host, address.port, timeout=timeout)
    if address.scheme == "tcp":
        return TCPTransport(address.host, address.port, framing=framing or "octet-counting", timeout=timeout)
    return TLSTransport(
        address.host,
        address.port,
        context=tls_context(options),
        server_name=options["tls_server_name"],
        framing=framing or "octet-counting",
        timeout=timeout,
    )


def tls_context(options: dict[str, Any]) -> ssl.SSLContext:
    """The user's context, or one made from the tls_* options."""
    context: ssl.SSLContext | None = options["tls_context"]
    if context is not None:
        for name in ("tls_ca_file", "tls_cert_file", "tls_key_file"):
            if options[name] is not None:
                raise SyslogConfigError(name, options[name], "leave it out when tls_context is given")
        return context
    return make_context(
        ca_file=options["tls_ca_file"],
        cert_file=options["tls_cert_file"],
        key_file=options["tls_key_file"],
        verify=options["tls_verify"],
    )
