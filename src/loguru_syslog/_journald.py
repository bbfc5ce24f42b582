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
from ._socket_transport import SocketTransport
from ._sockets import closed_on_error, connect_socket, wait

#: The send buffer asked for (the kernel caps it at net.core.wmem_max): fewer entries
#: need the memfd, and a burst waits less.
SEND_BUFFER = 8 << 20
_SEALS = (
    getattr(fcntl, "F_SEAL_SHRINK", 2)
    | getattr(fcntl, "F_SEAL_GROW", 4)
    | getattr(fcntl, "F_SEAL_WRITE", 8)
    | getattr(fcntl, "F_SEAL_SEAL", 1)
)


class JournaldTransport(SocketTransport):
    """Entries to systemd-journald at `path` (its native socket by default)."""

    payload = "journal"
    default_header = "pri"  # not used: journald takes fields, not a header
    default_max_message_size = 1 << 24  # not used: entries are never cut

    def __init__(self, path: str = JOURNAL_SOCKET, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        super().__init__(timeout=parse_seconds(timeout, "timeout"), framer=None)
        self.datagram = False  # one datagram each, but too-big ones go by memfd: no datagram recovery
        self.carries_newlines = True
        self.path = check_unix_path(path, "path")

    def dial(self) -> socket.socket:
        with closed_on_error(socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)) as sock:
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
            except OSError:
                pass
            connect_socket(sock, self.path, self.deadline_after_timeout(), self.aborter)
        return sock

    def send(self, message: bytes) -> None:
        try:
            super().send(message)  # one datagram, bounded by the timeout
        except OSError as exc:
            if exc.errno not in (errno.EMSGSIZE, errno.ENOBUFS):
                raise
            self._send_memfd(self.current_socket(), message)

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
                wait(sock, self.deadline_after_timeout(), self.aborter)
                sock.sendmsg([], rights)
        finally:
            os.close(fd)

    def __repr__(self) -> str:
        return f"JournaldTransport({self.path!r})"
