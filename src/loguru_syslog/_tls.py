"""TLS (RFC 5425): TCP with certificate and host-name verification on by default."""

from __future__ import annotations

import errno
import hashlib
import os
import select
import socket
import ssl
from typing import Iterable, Protocol, Tuple, Union

from ._address import DEFAULT_PORTS
from ._errors import SyslogConfigError, warn_config
from ._options import DEFAULT_TIMEOUT, parse_pins
from ._outage import report
from ._sockets import Aborter, connect, handshake
from ._tcp import TCPTransport

#: How long open() waits, at most, for a TLS 1.3 server's verdict on our certificate.
VERDICT_WAIT = 0.2


def make_context(
    *,
    ca_file: str | None = None,
    cert_file: str | None = None,
    key_file: str | None = None,
    verify: bool = True,
) -> ssl.SSLContext:
    """A client context: the system CAs (or `ca_file` instead), an optional client certificate.

    Bad files raise SyslogConfigError now, not a handshake failure later.
    `verify=False` warns (SyslogConfigWarning): anyone on the path can read the logs.
    """
    return _build_context(ca_file=ca_file, cert_file=cert_file, key_file=key_file, verify=verify, warn=True)


def _build_context(
    *, ca_file: str | None, cert_file: str | None, key_file: str | None, verify: bool, warn: bool
) -> ssl.SSLContext:
    """make_context(), with the `verify=False` warning only when `warn`."""
    for name, path in (("tls_ca_file", ca_file), ("tls_cert_file", cert_file), ("tls_key_file", key_file)):
        if path is not None and not os.path.isfile(path):
            raise SyslogConfigError(name, path, "the path of a readable PEM file")
    if key_file and not cert_file:
        raise SyslogConfigError("tls_key_file", key_file, "a key goes with tls_cert_file")
    try:
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca_file)
    except ssl.SSLError as exc:
        raise SyslogConfigError("tls_ca_file", ca_file, f"PEM CA certificates ({exc})") from exc
    if not verify and warn:
        warn_config(
            "tls_verify is off: the server's certificate and name are not checked, so anyone "
            "on the network path can read or redirect the logs"
        )
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if cert_file:
        try:
            context.load_cert_chain(cert_file, key_file)
        except (ssl.SSLError, OSError) as exc:
            raise SyslogConfigError(
                "tls_cert_file", cert_file, f"a PEM certificate whose key is in it or in tls_key_file ({exc})"
            ) from exc
    return context


#: A file's identity and version, or None when it cannot be looked at.
_Signature = Union[Tuple[int, int, int, int], None]


class TLSCredentials:
    """The `ssl.SSLContext` of a TLS transport, kept up to date with its files.

    Built from the files now (bad files raise `SyslogConfigError` here, as
    `make_context()` does), then looked at again before each new connection:
    when the CA file, the client certificate or its key changed on disk (their
    device, inode, size or modification time), the context is built again from
    them, so that certificates renewed by certbot or cert-manager are presented
    without a restart. A connection without a change costs a few `stat()` calls.
    If the files cannot be read then (a rotation half done: a key that does not
    match the new certificate yet, a file half written), the previous context is
    kept, this is said once on stderr, and the files are read again at the next
    connection.

    `context=` gives your own `ssl.SSLContext` instead of the files: it is used
    as it is, never rebuilt. `pins` are SHA-256 fingerprints of the server
    certificates accepted (64 hex digits, colons allowed; a comma-separated
    string or a list), checked after the handshake, on top of the chain check,
    or instead of it with `verify=False` (which then does not warn: the pin
    protects the connection).
    """

    def __init__(
        self,
        *,
        ca_file: str | None = None,
        cert_file: str | None = None,
        key_file: str | None = None,
        verify: bool = True,
        pins: str | Iterable[str] | None = None,
        context: ssl.SSLContext | None = None,
    ) -> None:
        self.ca_file = ca_file
        self.cert_file = cert_file
        self.key_file = key_file
        self.verify = verify
        #: The accepted server certificates' SHA-256 (lowercase hex), or None: no pinning.
        self.pins: tuple[str, ...] | None = parse_pin_list(pins, "pins")
        #: How many times a context was built from the files (1 after construction; 0 for `context=`).
        self.builds = 0
        self._failing = False
        self._signature: tuple[_Signature, ...] = ()
        if context is not None:
            for name, path in (("tls_ca_file", ca_file), ("tls_cert_file", cert_file), ("tls_key_file", key_file)):
                if path is not None:
                    raise SyslogConfigError(name, path, "leave it out when tls_context is given")
            self.rotates = False
            self._context = context
            return
        #: Whether the files are looked at again before each connection (not for `context=`).
        self.rotates = any(path is not None for path in (ca_file, cert_file, key_file))
        self._signature = self._look()  # before reading: a change while reading is seen next time
        self._context = self._build(warn=self.pins is None)

    @property
    def current(self) -> ssl.SSLContext:
        """The context in use now (without looking at the files)."""
        return self._context

    def context(self) -> ssl.SSLContext:
        """The context for a new connection: rebuilt first if a file changed on disk."""
        if not self.rotates:
            return self._context
        signature = self._look()
        if signature == self._signature:
            return self._context
        try:
            context = self._build(warn=False)
        except (ValueError, OSError) as exc:  # SyslogConfigError, ssl.SSLError, a file gone
            if not self._failing:
                self._failing = True
                report(
                    f"cannot read the changed TLS files again ({exc}); keeping the previous "
                    "certificate, key and CA, and trying again at the next connection"
                )
            return self._context
        self._context, self._signature, self._failing = context, signature, False
        return context

    def _build(self, *, warn: bool) -> ssl.SSLContext:
        context = _build_context(
            ca_file=self.ca_file, cert_file=self.cert_file, key_file=self.key_file, verify=self.verify, warn=warn
        )
        self.builds += 1
        return context

    def _look(self) -> tuple[_Signature, ...]:
        return tuple(_signature(path) for path in (self.ca_file, self.cert_file, self.key_file))

    def __repr__(self) -> str:
        files = ", ".join(
            f"{name}={path!r}"
            for name, path in (("ca_file", self.ca_file), ("cert_file", self.cert_file), ("key_file", self.key_file))
            if path is not None
        )
        return f"TLSCredentials({files or 'context'}, verify={self.verify}, pins={self.pins})"


def _signature(path: str | None) -> _Signature:
    if path is None:
        return None
    try:
        st = os.stat(path)  # follows symbolic links (Kubernetes secret volumes swap a link)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def parse_pin_list(value: str | Iterable[str] | None, name: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, str):
        value = list(value)
    return parse_pins(value, name)


class PinMismatchError(ConnectionError):
    """The server's certificate is not one of the pinned ones (a failure: counted, retried).

    `actual` is its SHA-256 (lowercase hex), `pins` the accepted ones.
    """

    def __init__(self, actual: str, pins: tuple[str, ...]) -> None:
        self.actual = actual
        self.pins = pins
        super().__init__(
            errno.EACCES,
            f"the server's certificate has SHA-256 {actual}, which is not pinned "
            f"(the pins expected: {', '.join(pins)})",
        )


def certificate_sha256(sock: ssl.SSLSocket) -> str:
    """SHA-256 (lowercase hex) of the DER of the certificate the peer presented."""
    der = sock.getpeercert(binary_form=True)
    if der is None:  # pragma: no cover - a TLS server always presents one
        raise ConnectionResetError(errno.ECONNRESET, "the server presented no certificate")
    return hashlib.sha256(der).hexdigest()


def credentials_for(
    context: ssl.SSLContext | TLSCredentials | None, pins: str | Iterable[str] | None
) -> TLSCredentials:
    """What a transport's `context=` means: a TLSCredentials (given, or made here with
    `pins`, used for the verify=False warning: a TLSCredentials given is used as it is)."""
    if isinstance(context, TLSCredentials):
        return context
    if context is None:
        return TLSCredentials(pins=pins)
    if not isinstance(context, ssl.SSLContext):
        raise SyslogConfigError("context", context, "an ssl.SSLContext or a TLSCredentials")
    return TLSCredentials(context=context, pins=pins)


class TLSTransport(TCPTransport):
    """TCP + TLS to `host:port` (6514 by default), octet-counted as RFC 5425 requires.

    The certificate is verified against the context's CAs and `server_name`
    (default: `host`). The handshake is bounded by `timeout`.

    `context` is an `ssl.SSLContext` (used as it is), or a `TLSCredentials`
    (files read again at a new connection when they changed on disk); by
    default `TLSCredentials()`: the system CAs. `pins` (SHA-256 fingerprints of
    the server certificates accepted, default: the credentials' pins) are
    checked after each handshake: another certificate fails the connection
    with `PinMismatchError`. `peer_sha256` is the SHA-256 of the certificate the
    server presented at the last handshake (None before the first one).
    """

    default_port = DEFAULT_PORTS["tls"]

    def __init__(
        self,
        host: str,
        port: int | None = None,
        *,
        context: ssl.SSLContext | TLSCredentials | None = None,
        server_name: str | None = None,
        framing: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        pins: str | Iterable[str] | None = None,
    ) -> None:
        super().__init__(host, port, framing=framing, timeout=timeout)
        self.credentials = credentials_for(context, pins)
        #: The accepted server certificates' SHA-256, or None: no pinning.
        self.pins = self.credentials.pins if pins is None else parse_pin_list(pins, "pins")
        self.server_name = server_name or host
        #: SHA-256 (lowercase hex) of the server certificate seen at the last handshake.
        self.peer_sha256: str | None = None

    @property
    def context(self) -> ssl.SSLContext:
        """The `ssl.SSLContext` in use (the latest built from the credentials' files)."""
        return self.credentials.current

    @context.setter
    def context(self, context: ssl.SSLContext) -> None:
        self.credentials = credentials_for(context, self.pins)

    def dial(self) -> socket.socket:
        deadline = self.deadline_after_timeout()
        context = self.credentials.context()  # rebuilt first if its files changed
        raw = connect(self.host, self.port, socket.SOCK_STREAM, deadline, self.aborter)
        return wrap(raw, context, deadline, self)

    def close(self) -> None:
        close_notify(self._sock)
        super().close()


def close_notify(sock: socket.socket | None) -> None:
    """RFC 5425: end a TLS session with close_notify, without waiting for the peer's
    (rsyslog's gtls driver never answers): the socket is non-blocking. Never raises."""
    if isinstance(sock, ssl.SSLSocket):
        try:
            sock.unwrap()
        except (OSError, ValueError):
            pass


class TLSPeer(Protocol):
    """What `wrap` needs of the transport it secures (TLSTransport, RELPTransport)."""

    server_name: str
    aborter: Aborter
    timeout: float
    pins: tuple[str, ...] | None
    #: Set by `wrap`: the SHA-256 of the server certificate at the last handshake.
    peer_sha256: str | None


def wrap(raw: socket.socket, context: ssl.SSLContext, deadline: float, peer: TLSPeer) -> ssl.SSLSocket:
    """TLS over a connected socket, for the transport `peer`: the handshake bounded by
    `deadline` (and `peer.aborter`), the server certificate's SHA-256 kept in
    `peer.peer_sha256` and checked against `peer.pins`, and with TLS 1.3 a short wait
    for the server's verdict on our certificate. Closes `raw` on failure."""
    server_name = peer.server_name
    try:
        sock = context.wrap_socket(
            raw,
            server_hostname=server_name if context.check_hostname or server_name else None,
            do_handshake_on_connect=False,
        )
    except BaseException:
        raw.close()
        raise
    try:
        handshake(sock, deadline, peer.aborter)
        peer.peer_sha256 = actual = certificate_sha256(sock)
        if peer.pins is not None and actual not in peer.pins:
            raise PinMismatchError(actual, peer.pins)
        if sock.version() == "TLSv1.3":
            _await_verdict(sock, min(peer.timeout, VERDICT_WAIT))
    except BaseException:
        sock.close()
        raise
    return sock


def _await_verdict(sock: ssl.SSLSocket, wait: float) -> None:
    """Raise if a TLS 1.3 server refuses the connection right after the handshake.

    In TLS 1.3 the server judges the client certificate after the client's
    handshake has completed: a refusal (or a missing certificate) arrives as an
    alert on the first read, and the first message sent would be lost. Its first
    record is either session tickets (accepted) or that alert, so wait briefly for
    it; a server that sends nothing within `wait` is taken to have accepted.
    """
    if not select.select([sock], [], [], wait)[0]:
        return
    try:
        data = sock.recv(1)
    except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
        return  # a session ticket, processed: the server goes on with us
    if data == b"":
        raise ConnectionResetError(errno.ECONNRESET, "the server closed the connection after the TLS handshake")
    # Application data from a syslog server: unusual, but not a refusal.
