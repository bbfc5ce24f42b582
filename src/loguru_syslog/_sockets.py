"""Socket operations bounded by a timeout: DNS, connect, send, and the peer-close check.

Sockets are kept non-blocking. A socket with `settimeout()` makes CPython poll
before every send (an extra syscall per message) and would make the peer-close
peek wait; a non-blocking socket sends at once and only waits, with `select`,
when the kernel buffer is full.
"""

from __future__ import annotations

import select
import socket
import ssl
import threading
import time
from typing import Any, List, Tuple

AddrInfo = Tuple[Any, Any, int, str, Any]


def resolve(host: str, port: int, socktype: int, timeout: float) -> list[AddrInfo]:
    """getaddrinfo, bounded by `timeout` (it has no timeout of its own).

    A lookup that does not finish in time is abandoned in a daemon thread: the
    caller gets TimeoutError and the application goes on.
    """
    result: List[Any] = []

    def lookup() -> None:
        try:
            result.append(socket.getaddrinfo(host, port, type=socktype))
        except Exception as exc:  # handed to the caller below
            result.append(exc)

    worker = threading.Thread(target=lookup, name="loguru-syslog-dns", daemon=True)
    worker.start()
    worker.join(timeout)
    if not result:
        raise TimeoutError(f"DNS lookup of {host!r} took longer than {timeout:g} s")
    if isinstance(result[0], Exception):
        raise result[0]
    return list(result[0])


def connect(host: str, port: int, socktype: int, timeout: float) -> socket.socket:
    """A connected non-blocking socket to the first address of `host` that answers in time."""
    deadline = time.monotonic() + timeout
    error: Exception = OSError(f"no address for {host!r}")
    for family, _, proto, _, address in resolve(host, port, socktype, timeout):
        sock = socket.socket(family, socktype, proto)
        try:
            sock.settimeout(max(deadline - time.monotonic(), 0.001))
            sock.connect(address)
            sock.setblocking(False)
            return sock
        except OSError as exc:
            sock.close()
            error = exc
        if time.monotonic() >= deadline:
            break
    raise error


def wait(sock: socket.socket, deadline: float, writable: bool = True) -> None:
    """Block until `sock` is writable (or readable), or raise TimeoutError at `deadline`."""
    remaining = deadline - time.monotonic()
    if remaining > 0:
        if writable:
            ready = select.select([], [sock], [], remaining)[1]
        else:
            ready = select.select([sock], [], [], remaining)[0]
        if ready:
            return
    raise TimeoutError(f"the peer did not take the message within the timeout ({sock!r})")


class StreamWriteError(OSError):
    """Writing to a stream failed after `sent` octets had been written."""

    def __init__(self, sent: int, cause: BaseException) -> None:
        super().__init__(f"{cause!r} after {sent} octets")
        self.sent = sent
        self.cause = cause


def send_all(sock: socket.socket, data: bytes, timeout: float) -> None:
    """Write all of `data` to a non-blocking stream socket within `timeout`.

    On failure raises StreamWriteError saying how much was written: the caller
    must then drop the connection, since a partial frame is on the wire.
    """
    sent = 0
    deadline = 0.0
    view = memoryview(data)
    try:
        while sent < len(data):
            try:
                sent += sock.send(view[sent:])
                continue
            except (BlockingIOError, ssl.SSLWantWriteError):
                writable = True
            except ssl.SSLWantReadError:
                writable = False
            if not deadline:
                deadline = time.monotonic() + timeout
            wait(sock, deadline, writable)
    except OSError as exc:
        raise StreamWriteError(sent, exc) from exc


def peer_closed(sock: socket.socket) -> bool:
    """Whether the peer has closed (FIN) or reset the connection, without blocking.

    Checked before each send on a stream: after a daemon restart the first send
    on the old connection "succeeds" and is silently lost, and only the next
    one fails. Looking first loses nothing.
    """
    try:
        if isinstance(sock, ssl.SSLSocket):
            # recv() flags are not allowed on TLS sockets: look with select, then
            # read (a syslog receiver never sends application data).
            if not select.select([sock], [], [], 0)[0]:
                return False
            return sock.recv(1) == b""
        return sock.recv(1, socket.MSG_PEEK) == b""
    except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
        return False
    except OSError:  # ECONNRESET, a TLS alert such as a rejected certificate, ...
        return True
