"""TLS (RFC 5425): TCP with certificate and host-name verification on by default."""

from __future__ import annotations

import errno
import os
import select
import socket
import ssl

from ._address import DEFAULT_PORTS
from ._errors import SyslogConfigError, warn_config
from ._options import DEFAULT_TIMEOUT
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
    for name, path in (("tls_ca_file", ca_file), ("tls_cert_file", cert_file), ("tls_key_file", key_file)):
        if path is not None and not os.path.isfile(path):
            raise SyslogConfigError(name, path, "the path of a readable PEM file")
    if key_file and not cert_file:
        raise SyslogConfigError("tls_key_file", key_file, "a key goes with tls_cert_file")
    try:
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca_file)
    except ssl.SSLError as exc:
        raise SyslogConfigError("tls_ca_file", ca_file, f"PEM CA certificates ({exc})") from exc
    if not verify:
        warn_config(
            "tls_verify is off: the server's certificate and name are not checked, so anyone "
            "on the network path can read or redirect the logs"
        )
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


class TLSTransport(TCPTransport):
    """TCP + TLS to `host:port` (6514 by default), octet-counted as RFC 5425 requires.

    The certificate is verified against `context`'s CAs and `server_name`
    (default: `host`). The handshake is bounded by `timeout`.
    """

    default_port = DEFAULT_PORTS["tls"]

    def __init__(
        self,
        host: str,
        port: int | None = None,
        *,
        context: ssl.SSLContext | None = None,
        server_name: str | None = None,
        framing: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        super().__init__(host, port, framing=framing, timeout=timeout)
        self.context = context or make_context()
        self.server_name = server_name or host

    def dial(self) -> socket.socket:
        deadline = self.deadline_after_timeout()
        raw = connect(self.host, self.port, socket.SOCK_STREAM, deadline, self.aborter)
        return wrap(raw, self.context, self.server_name, deadline, self.aborter, self.timeout)

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


def wrap(
    raw: socket.socket, context: ssl.SSLContext, server_name: str, deadline: float, aborter: Aborter, timeout: float
) -> ssl.SSLSocket:
    """TLS over a connected socket: the handshake bounded by `deadline`, and with TLS 1.3
    a short wait for the server's verdict on our certificate. Closes `raw` on failure."""
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
        handshake(sock, deadline, aborter)
        if sock.version() == "TLSv1.3":
            _await_verdict(sock, min(timeout, VERDICT_WAIT))
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
