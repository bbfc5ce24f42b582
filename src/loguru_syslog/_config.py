"""The one resolver: arguments, URL query and environment -> a frozen, typed SyslogConfig.

Precedence, highest first: explicit values (constructor keywords, or what
`from_env` gathered: its overrides, then the dedicated SYSLOG_* variables),
then the address URL's query parameters, then the defaults of the OPTIONS
table, then the transport's own defaults (header, facility, size). Every value
is parsed by the OPTIONS table, so it is valid or invalid the same way
everywhere, and every error names where the value came from.
"""

from __future__ import annotations

import difflib
import socket
import ssl
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence, Tuple, Union

from ._address import (
    RELP_SCHEMES,
    STREAMS,
    TLS_SCHEMES,
    UNIX_KINDS,
    Address,
    find_local_socket,
    parse_url,
    split_urls,
)
from ._errors import SyslogConfigError
from ._failover import FailoverTransport
from ._format import default_app_name
from ._journald import JournaldTransport
from ._options import OPTIONS
from ._relp import RELPTransport
from ._severity import SeverityTable
from ._stdio import StdioTransport
from ._tcp import TCPTransport
from ._tls import TLSCredentials, TLSTransport
from ._transport import Transport
from ._udp import UDPTransport
from ._unix import UnixTransport

AddressLike = Union[str, Tuple[str, int], Sequence[str], Transport, None]

#: Where a value came from, besides variable names, flags and "address?key".
ARGUMENT, URL_QUERY, DEFAULT = "argument", "URL query", "default"
#: The header whose packets RFC 3164 section 4.1 limits to 1024 octets.
RFC3164_MAX = 1024
_TLS_OPTIONS = (
    "tls_context",
    "tls_ca_file",
    "tls_cert_file",
    "tls_key_file",
    "tls_verify",
    "tls_server_name",
    "tls_pin_sha256",
)
#: Options that mean nothing to journald's native protocol (fields, never cut).
_NOT_FOR_JOURNALD = (
    "header",
    "framing",
    "hostname",
    "msgid",
    "max_message_size",
    "keep_newlines",
    "replacement",
    "bom",
    "sd_id",
    "sequence_id",
    "origin",
    *_TLS_OPTIONS,
)


@dataclass(frozen=True)
class SyslogConfig:
    """Every option of a sink, resolved: typed values, transport defaults applied.

    `sources` says where each value came from ("argument", "default", "URL
    query", a variable such as "SYSLOG_FACILITY", a flag such as "--facility");
    `explicit` names the options the user set (the rest are defaults).
    """

    address: str
    facility: int
    header: str
    app_name: str
    hostname: str
    msgid: str | None
    severities: SeverityTable
    framing: str | None
    max_message_size: int
    timeout: float
    background: bool
    queue_size: int
    buffer_size: int
    buffer_bytes: int
    backoff_min: float
    backoff_max: float
    stop_timeout: float
    structured_data: bool | frozenset[str]
    sd_id: str
    keep_newlines: bool
    replacement: str
    bom: bool
    tls_context: ssl.SSLContext | None
    tls_ca_file: str | None
    tls_cert_file: str | None
    tls_key_file: str | None
    tls_verify: bool
    tls_server_name: str | None
    relp_window: int
    failback: bool
    sequence_id: bool
    origin: bool
    tls_pin_sha256: tuple[str, ...] | None
    #: The transport built from the address (or the one given).
    transport: Transport = field(compare=False, repr=False)
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)
    explicit: frozenset[str] = frozenset()
    #: What it was resolved from: the address and the explicit values with their labels.
    inputs: tuple[AddressLike, Mapping[str, Any], Mapping[str, str]] = field(
        default=(None, {}, {}), compare=False, repr=False
    )

    def rebuild_inputs(self) -> tuple[AddressLike, Mapping[str, Any], Mapping[str, str]]:
        """What a pickled sink is rebuilt from in a child process (spawn, forkserver).

        A Transport instance or an ssl.SSLContext cannot cross a process boundary:
        TypeError, saying what to do instead.
        """
        address, given, sources = self.inputs
        if isinstance(address, Transport) or any(given.get(name) is not None for name in ("transport", "tls_context")):
            raise TypeError(
                "a SyslogSink built with a Transport instance or an ssl.SSLContext cannot be pickled "
                "for a child process: give the child an address (and tls_* files) instead, build the "
                "sink in the child, or add it to loguru with enqueue=True"
            )
        return address, given, sources


def query_parameters() -> tuple[str, ...]:
    """The query parameters an address URL may carry: every option that can be written as text."""
    return tuple(name for name, option in OPTIONS.items() if option.textual)


def closest(word: str, candidates: list[str]) -> str | None:
    """The candidate a typo most likely meant, or None."""
    matches = difflib.get_close_matches(word.lower(), [c.lower() for c in candidates], n=1, cutoff=0.6)
    if not matches:
        return None
    return next(c for c in candidates if c.lower() == matches[0])


def check_query(address: Address, name: str, skip: frozenset[str] = frozenset()) -> None:
    """Validate the URL's query parameters now, so that errors name `name` (the variable).

    Unknown parameters are errors (with the closest known one); values go through
    the OPTIONS parsers. Parameters in `skip` are overridden and not looked at.
    """
    known = query_parameters()
    for key, text in address.query.items():
        if key not in known:
            guess = closest(key, list(known))
            hint = f"did you mean {guess}? " if guess else ""
            raise SyslogConfigError(
                f"{name}?{key}", text, f"{hint}it is an unknown query parameter; known ones are {', '.join(known)}"
            )
        if key not in skip:
            OPTIONS[key].parse(text, f"{name}?{key}")


def resolve(address: AddressLike, given: Mapping[str, Any], sources: Mapping[str, str] | None = None) -> SyslogConfig:
    """The config and transport for `address` and the explicit option values `given`.

    `sources` names where each given value came from (default: "argument"); the
    errors use those names.
    """
    labels = dict(sources or {})
    inputs = (address, dict(given), labels)
    transport_given = given.get("transport")
    if transport_given is not None:
        if address is not None:
            raise SyslogConfigError("transport", transport_given, "either an address or a transport, not both")
        address = transport_given
        given = {k: v for k, v in given.items() if k != "transport"}
    url_label = labels.get("address", "address") if isinstance(address, str) else "address"
    addresses = parse_addresses(address, url_label)
    # Unknown or bad query parameters: an error naming "address?key".
    query = merged_query(addresses, url_label, frozenset(given))
    values: dict[str, Any] = {}
    where: dict[str, str] = {"address": labels.get("address", ARGUMENT if address is not None else DEFAULT)}
    explicit: set[str] = set()
    for name, option in OPTIONS.items():
        if name in given:
            label = labels.get(name, name)
            values[name] = option.parse(given[name], label)
            where[name] = labels.get(name, ARGUMENT)
            explicit.add(name)
        elif name in query and option.textual:
            values[name] = option.parse(query[name], f"{labels.get('address', 'address')}?{name}")
            where[name] = URL_QUERY
            explicit.add(name)
        else:
            values[name] = None if option.default is None else option.parse(option.default, name)
            where[name] = DEFAULT
    address_label = labels.get("address", "address")
    if address_label in (ARGUMENT, DEFAULT, URL_QUERY):  # a source word, not a name the user typed
        address_label = "address"

    def origin(name: str) -> tuple[str, Any]:
        """Where an option's value came from, as the user wrote it (for errors)."""
        if name in given:
            return labels.get(name, name), given[name]
        if name in query:
            return f"{address_label}?{name}", query[name]
        return name, values[name]

    if values["backoff_max"] < values["backoff_min"]:
        label, raw = origin("backoff_max")
        raise SyslogConfigError(label, raw, f">= backoff_min ({values['backoff_min']})")
    try:
        transport = address if isinstance(address, Transport) else _transport_for(addresses, values)
        _check_applicable(transport, addresses, values, explicit)
    except SyslogConfigError as exc:
        if exc.name not in OPTIONS:
            raise
        label, raw = origin(exc.name)  # a check across options: name the value's own source
        raise SyslogConfigError(label, raw, exc.accepted) from None
    header = values["header"] or transport.default_header
    for name in ("sequence_id", "origin"):
        if values[name] and header != "rfc5424":
            label, raw = origin(name)
            raise SyslogConfigError(label, raw, f"only with header=rfc5424 (the header here is {header})")
    size = values["max_message_size"]
    if size is None:
        size = transport.default_max_message_size
        if header == "rfc3164":
            size = min(size, RFC3164_MAX)  # RFC 3164 section 4.1, unless set explicitly
    if transport.size_limit is not None:
        size = min(size, transport.size_limit)
    values.update(
        address=",".join(str(parsed) for parsed in addresses) if addresses else repr(transport),
        header=header,
        max_message_size=size,
        facility=transport.default_facility if values["facility"] is None else values["facility"],
        app_name=default_app_name() if values["app_name"] is None else values["app_name"],
        hostname=socket.gethostname() if values["hostname"] is None else values["hostname"],
        severities=values["severities"] or SeverityTable(),
        framing=values["framing"] or getattr(transport, "framing", None),
        transport=transport,
        sources=where,
        explicit=frozenset(explicit),
        inputs=inputs,
    )
    return SyslogConfig(**values)


def configure(
    front: str,
    address: AddressLike,
    transport: Transport | None,
    config: SyslogConfig | None,
    options: Mapping[str, Any],
) -> SyslogConfig:
    """What a front's constructor does with its arguments (the sink's, the handler's):
    a config given whole, or one resolved from the address and the keyword options.
    A misspelt option is a TypeError naming `front`, as Python's own would be."""
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:  # a misspelt option must not pass silently
        guess = closest(unknown[0], list(OPTIONS))
        hint = f"; did you mean {guess}?" if guess else ""
        raise TypeError(f"{front}() got an unexpected keyword argument {unknown[0]!r}{hint}")
    given: dict[str, Any] = {name: value for name, value in options.items() if value is not None}
    if config is not None:
        if given or address is not None or transport is not None:
            raise SyslogConfigError("config", config, "alone: the options are in it already")
        return config
    if transport is not None:
        given["transport"] = transport
    return resolve(address, given)


def parse_addresses(address: AddressLike, name: str = "address") -> list[Address]:
    """The parsed addresses, in order: one, several (failover: a list of URLs, or URLs
    separated by commas), or none for a Transport instance."""
    if isinstance(address, str):
        return [parse_url(url, name) for url in split_urls(address)]
    if isinstance(address, (list, tuple)) and address and all(isinstance(url, str) for url in address):
        return [parsed for url in address for parsed in parse_addresses(url, name)]
    if isinstance(address, tuple):
        if (
            len(address) == 2
            and isinstance(address[0], str)
            and isinstance(address[1], int)
            and not isinstance(address[1], bool)
            and 0 < address[1] < 65536
        ):
            return [Address("udp", host=address[0], port=address[1])]
        raise SyslogConfigError("address", address, "a (host, port) tuple with a port from 1 to 65535")
    if address is None:
        return [Address("unix", path=find_local_socket())]
    if isinstance(address, Transport):
        return []
    raise SyslogConfigError("address", address, "a URL, a list of URLs, a (host, port) tuple, a Transport, or None")


def merged_query(addresses: Sequence[Address], name: str, skip: frozenset[str] = frozenset()) -> dict[str, str]:
    """The query parameters of every address, checked (see `check_query`). They set the
    sink's options, whichever address carries them: two that disagree are an error."""
    query: dict[str, str] = {}
    for parsed in addresses:
        check_query(parsed, name, skip)
        for key, text in parsed.query.items():
            if query.get(key, text) != text:
                accepted = f"the same value as in the other address ({query[key]!r}): options are per sink"
                raise SyslogConfigError(f"{name}?{key}", text, accepted)
            query[key] = text
    return query


def _transport_for(addresses: Sequence[Address], values: Mapping[str, Any]) -> Transport:
    """One address's transport, or a failover across several."""
    transports = [build_transport(parsed, values) for parsed in addresses]
    if len(transports) == 1:
        return transports[0]
    try:
        return FailoverTransport(
            transports,
            names=[str(parsed) for parsed in addresses],
            failback=values["failback"],
            backoff_min=values["backoff_min"],
            backoff_max=values["backoff_max"],
        )
    except ValueError as exc:
        raise SyslogConfigError("address", ",".join(map(str, addresses)), str(exc)) from None


def build_transport(address: Address, values: Mapping[str, Any]) -> Transport:
    """The transport for a parsed address; `values` are the resolved options."""
    timeout, framing = values["timeout"], values["framing"]
    if address.scheme in STREAMS:
        return StdioTransport(address.scheme, timeout=timeout)
    if address.scheme == "journald":
        return JournaldTransport(address.path, timeout=timeout)
    if address.scheme in UNIX_KINDS:
        return UnixTransport(address.path, kind=UNIX_KINDS[address.scheme], framing=framing, timeout=timeout)
    if address.scheme == "udp":
        return UDPTransport(address.host, address.port, timeout=timeout)
    if address.scheme == "tcp":
        return TCPTransport(address.host, address.port, framing=framing, timeout=timeout)
    if address.scheme in RELP_SCHEMES:
        tls = address.scheme in TLS_SCHEMES
        return RELPTransport(
            address.host,
            address.port,
            window=values["relp_window"],
            timeout=timeout,
            context=tls_context(values) if tls else None,
            server_name=values["tls_server_name"] if tls else None,
        )
    return TLSTransport(
        address.host,
        address.port,
        context=tls_context(values),
        server_name=values["tls_server_name"],
        framing=framing,
        timeout=timeout,
    )


def tls_context(values: Mapping[str, Any]) -> TLSCredentials:
    """Where the TLS context comes from: the user's `tls_context` as it is, or the tls_*
    files (checked now, read again at a new connection when they changed); the pins."""
    return TLSCredentials(
        ca_file=values["tls_ca_file"],
        cert_file=values["tls_cert_file"],
        key_file=values["tls_key_file"],
        verify=values["tls_verify"],
        pins=values["tls_pin_sha256"],
        context=values["tls_context"],
    )


def _check_applicable(
    transport: Transport, addresses: Sequence[Address], values: Mapping[str, Any], set_here: set[str]
) -> None:
    """Options that cannot apply to this transport are mistakes: say so instead of ignoring them.
    With several addresses (failover), an option must apply to at least one of them."""
    if transport.payload == "journal":
        for name in _NOT_FOR_JOURNALD:
            if name in set_here:
                raise SyslogConfigError(
                    name,
                    values[name],
                    "not for journald:// (it takes fields, kept whole: no header, framing, size, "
                    "newline handling or TLS)",
                )
    if "failback" in set_here and len(addresses) < 2:
        raise SyslogConfigError("failback", values["failback"], "only with several addresses (failover)")
    if not addresses:
        for name in ("framing", "timeout", *_TLS_OPTIONS):
            if name in set_here:
                raise SyslogConfigError(name, values[name], "configure it on the Transport instance you passed")
        return
    schemes = [parsed.scheme for parsed in addresses]
    if not any(scheme in TLS_SCHEMES for scheme in schemes):
        for name in _TLS_OPTIONS:
            if name in set_here:
                raise SyslogConfigError(name, values[name], "only for tls:// and relp+tls:// addresses")
    if not any(scheme in RELP_SCHEMES for scheme in schemes) and "relp_window" in set_here:
        raise SyslogConfigError("relp_window", values["relp_window"], "only for relp:// and relp+tls:// addresses")
    # Known before connecting: UDP and unixgram:// are datagrams; unix:// may become a stream.
    targets = transport.targets if isinstance(transport, FailoverTransport) else [transport]
    framed = [
        not target.datagram and scheme not in (*STREAMS, *RELP_SCHEMES) for target, scheme in zip(targets, schemes)
    ]
    if "framing" in set_here and not any(framed):
        raise SyslogConfigError("framing", values["framing"], "only for stream transports (tcp, tls, unix streams)")
