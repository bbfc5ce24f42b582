"""Socket operations bounded by a deadline and interruptible: DNS, connect, wait, peer close.

Sockets are kept non-blocking. A socket with `settimeout()` makes CPython poll
before every send (an extra syscall per message) and would make the peer-close
peek wait; a non-blocking socket sends at once and only waits, with `select`,
when the kernel buffer is full. Every wait also watches an `Aborter`, so that
`stop()` can end a blocked operation from another thread at once.

Every error raised here is an OSError with an errno: the socket transports
count exactly those as failures (anything else came from the application).
"""

from __future__ import annotations

import errno
import os
import select
import socket
import ssl
import threading
import time
from contextlib import contextmanager
from typing import Any, Iterator, List, Tuple

from ._transport import TransportTimeout

AddrInfo = Tuple[Any, Any, int, str, Any]
#: How often a DNS wait looks at the aborter (the lookup itself cannot be woken).
_DNS_POLL = 0.05


class Aborter:
    """A self-pipe: `abort()` from any thread wakes every `wait()` that watches it."""

    def __init__(self) -> None:
        self._pair: tuple[socket.socket, socket.socket] | None = None
        self.aborted = threading.Event()

    def fileno(self) -> int:
        if self._pair is None:
            self._pair = socket.socketpair()
            self._pair[0].setblocking(False)
            self._pair[1].setblocking(False)
            if self.aborted.is_set():
                self._pair[1].send(b"x")
        return self._pair[0].fileno()

    def abort(self) -> None:
        self.aborted.set()
        pair = self._pair
        if pair is not None:
            try:
                pair[1].send(b"x")
            except OSError:
                pass

    def reset(self) -> None:
        """Ready for new operations (at open())."""
        self.aborted.clear()
        pair = self._pair
        if pair is not None:
            try:
                while pair[0].recv(64):
                    pass
            except OSError:
                pass

    def check(self) -> None:
        if self.aborted.is_set():
            raise ConnectionAbortedError(errno.ECONNABORTED, "stopped: the sink is shutting down")

    def discard(self) -> None:
        """In a forked child: the pair is shared with the parent; make our own later."""
        pair, self._pair = self._pair, None
        if pair is not None:
            pair[0].close()
            pair[1].close()
        self.aborted = threading.Event()


@contextmanager
def closed_on_error(sock: socket.socket) -> Iterator[socket.socket]:
    """The socket, closed if the block raises anything (a half-made connection is not kept)."""
    try:
        yield sock
    except BaseException:
        sock.close()
        raise


def deadline_after(timeout: float, cap: float = 0.0) -> float:
    """now + timeout, but no later than `cap` when a cap is set (a transport's `deadline`)."""
    deadline = time.monotonic() + timeout
    return min(deadline, cap) if cap else deadline


def wait(sock: socket.socket | int, deadline: float, aborter: Aborter, writable: bool = True, what: str = "") -> None:
    """Block until `sock` (a socket, or a file descriptor) is writable (or readable);
    TransportTimeout at `deadline`, saying `what` waited."""
    remaining = deadline - time.monotonic()
    aborter.check()
    if remaining > 0:
        fd, stop = sock if isinstance(sock, int) else sock.fileno(), aborter.fileno()
        if writable:
            ready = fd in select.select([stop], [fd], [], remaining)[1]
        else:
            ready = fd in select.select([fd, stop], [], [], remaining)[0]
        aborter.check()
        if ready:
            return
    raise TransportTimeout(what or f"the peer took no data within the timeout ({sock!r})")


def resolve(host: str, port: int, socktype: int, deadline: float, aborter: Aborter) -> list[AddrInfo]:
    """getaddrinfo, bounded by `deadline` (it has no timeout of its own).

    A lookup that does not finish in time is abandoned in a daemon thread: the
    caller gets TransportTimeout and the application goes on.
    """
    result: List[Any] = []
    done = threading.Event()

    def lookup() -> None:
        try:
            result.append(socket.getaddrinfo(host, port, type=socktype))
        except Exception as exc:  # handed to the caller below
            result.append(exc)
        done.set()

    threading.Thread(target=lookup, name="loguru-syslog-dns", daemon=True).start()
    while not done.wait(min(_DNS_POLL, max(deadline - time.monotonic(), 0.0))):
        aborter.check()
        if time.monotonic() >= deadline:
            raise TransportTimeout(f"the DNS lookup of {host!r} took longer than the timeout")
    if isinstance(result[0], OSError) and result[0].errno is not None:
        raise result[0]
    if isinstance(result[0], Exception):  # the lookup ran in its own thread: a failure of ours
        raise OSError(errno.EINVAL, f"cannot resolve {host!r}: {result[0]}")
    return list(result[0])


def connect(host: str, port: int, socktype: int, deadline: float, aborter: Aborter) -> socket.socket:
    """A connected non-blocking socket to the first address of `host` that answers in time."""
    error: OSError = OSError(errno.EADDRNOTAVAIL, f"no address for {host!r}")
    for family, _, proto, _, address in resolve(host, port, socktype, deadline, aborter):
        sock = socket.socket(family, socktype, proto)
        try:
            connect_socket(sock, address, deadline, aborter)
            return sock
        except OSError as exc:
            sock.close()
            error = exc
            if isinstance(exc, ConnectionAbortedError) or time.monotonic() >= deadline:
                break
        except BaseException:
            sock.close()
            raise
    raise error


def connect_socket(sock: socket.socket, address: Any, deadline: float, aborter: Aborter) -> None:
    """Connect a socket without blocking past `deadline`; it is left non-blocking."""
    sock.setblocking(False)
    code = sock.connect_ex(address)
    if code in (errno.EINPROGRESS, errno.EAGAIN, errno.EWOULDBLOCK):
        wait(sock, deadline, aborter)
        code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    if code and code != errno.EISCONN:
        raise OSError(code, os.strerror(code))


def handshake(sock: ssl.SSLSocket, deadline: float, aborter: Aborter) -> None:
    """A TLS handshake on a non-blocking socket, bounded by `deadline`."""
    while True:
        try:
            sock.do_handshake()
            return
        except ssl.SSLWantReadError:
            wait(sock, deadline, aborter, writable=False)
        except ssl.SSLWantWriteError:
            wait(sock, deadline, aborter)


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
