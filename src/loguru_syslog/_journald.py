"""journald:// -- systemd-journald's native protocol over its Unix datagram socket.

One datagram per entry; an entry too big for one datagram goes through a
sealed memfd passed with SCM_RIGHTS (as sd_journal_sendv does), so a long
message or a traceback is never cut.
"""

from __future__ import annotations

import array
import errno
import fcntl
import os
import socket

from ._address import JOURNAL_SOCKET, check_unix_path
from ._options import DEFAULT_TIMEOUT, parse_seconds
from ._sockets import Aborter, connect_socket, deadline_after, wait
from ._transport import Transport

#: The send buffer asked for (the kernel caps it at net.core.wmem_max): fewer entries
#: need the memfd, and a burst waits less.
SEND_BUFFER = 8 << 20
_SEALS = (
    getattr(fcntl, "F_SEAL_SHRINK", 2)
    | getattr(fcntl, "F_SEAL_GROW", 4)
    | getattr(fcntl, "F_SEAL_WRITE", 8)
    | getattr(fcntl, "F_SEAL_SEAL", 1)
)


class JournaldTransport(Transport):
    """Entries to systemd-journald at `path` (its native socket by default)."""

    payload = "journal"
    default_header = "pri"  # not used: journald takes fields, not a header
    default_max_message_size = 1 << 24  # not used: entries are never cut
    carries_newlines = True
    datagram = False  # one datagram each, but too-big ones go by memfd: no datagram recovery

    def __init__(self, path: str = JOURNAL_SOCKET, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.path = check_unix_path(path, "path")
        self.timeout = parse_seconds(timeout, "timeout")
        self.aborter = Aborter()
        self._sock: socket.socket | None = None

    def is_failure(self, exc: BaseException) -> bool:
        return isinstance(exc, OSError) and exc.errno is not None

    def open(self) -> None:
        self.close()
        self.aborter.reset()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
            except OSError:
                pass
            connect_socket(sock, self.path, deadline_after(self.timeout, self.deadline), self.aborter)
        except BaseException:
            sock.close()
            raise
        self._sock = sock

    def send(self, message: bytes) -> None:
        sock = self._sock
        if sock is None:
            raise ConnectionError(errno.ENOTCONN, "not connected")
        try:
            try:
                sock.send(message)
            except BlockingIOError:  # journald's queue is full: wait, within the timeout
                wait(sock, deadline_after(self.timeout, self.deadline), self.aborter)
                sock.send(message)
        except OSError as exc:
            if exc.errno not in (errno.EMSGSIZE, errno.ENOBUFS):
                raise
            self._send_memfd(sock, message)

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()

    def abort(self) -> None:
        self.aborter.abort()

    def after_fork(self) -> None:
        self.aborter.discard()
        self.close()

    def _send_memfd(self, sock: socket.socket, entry: bytes) -> None:
        """The entry in a sealed memfd, the descriptor passed to journald."""
        fd = os.memfd_create("loguru-syslog", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
        try:
            view = memoryview(entry)
            while view:
                view = view[os.write(fd, view) :]
            fcntl.fcntl(fd, fcntl.F_ADD_SEALS, _SEALS)
            rights = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd]).tobytes())]
            try:
                sock.sendmsg([], rights)
            except BlockingIOError:
                wait(sock, deadline_after(self.timeout, self.deadline), self.aborter)
                sock.sendmsg([], rights)
        finally:
            os.close(fd)

    def __repr__(self) -> str:
        return f"JournaldTransport({self.path!r})"
