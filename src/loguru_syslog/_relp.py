"""RELP (librelp's protocol, rsyslog imrelp): every message acknowledged by the server.

A frame is `TXNR SP COMMAND SP DATALEN [SP DATA] LF`. The session opens with
`open` and is usable after `200 OK`; each message is one `syslog` command with
its transaction number; the server answers each with `rsp` (`200 OK`, or `500`
for a message it refuses) and may send `serverclose` before it goes away.
Up to `window` messages may wait for their answer; what was never answered goes
back to the delivery when the connection ends, to be sent again, first.
"""

from __future__ import annotations

import errno
import socket
import ssl
import time
from collections import OrderedDict
from typing import Iterable, Sequence

from ._address import DEFAULT_PORTS, check_host
from ._errors import SyslogConfigError
from ._options import DEFAULT_TIMEOUT, OPTIONS, parse_port, parse_seconds
from ._outage import report
from ._socket_transport import SocketTransport
from ._sockets import closed_on_error, connect, wait
from ._tls import TLSCredentials, close_notify, credentials_for, parse_pin_list, wrap
from ._transport import TransportTimeout

#: Transaction numbers run from 1 to this, then wrap to 1 (as librelp does).
TXNR_MAX = 999_999_999
#: Sessions in a row that may end with the same oldest message unanswered and nothing
#: answered at all, before that message is given up (a server that aborts on it, e.g.
#: imrelp's oversizeMode="abort" for a message over its maxDataSize).
POISON_SESSIONS = 3
DEFAULT_WINDOW: int = OPTIONS["relp_window"].default
_OFFERS = b"relp_version=0\nrelp_software=loguru-syslog,https://pypi.org/project/loguru-syslog/\ncommands=syslog"
_WOULD_BLOCK = (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError)


class RELPError(ConnectionError):
    """The server broke the protocol or refused the session (it carries an errno: a failure)."""

    def __init__(self, what: str) -> None:
        super().__init__(errno.EPROTO, what)


class RELPTransport(SocketTransport):
    """RELP to `host:port` (2514 by default); TLS when `context` is given (relp+tls://).

    `context`, `pins` and `peer_sha256` work as for `TLSTransport`: an
    `ssl.SSLContext` used as it is, or a `TLSCredentials` whose files are read
    again at a new connection when they changed; `pins` (only with a `context`)
    are the SHA-256 fingerprints of the server certificates accepted.

    `sent` counts only what the server acknowledged (`acknowledged`); a `500`
    answer is counted in `rejected` and reported, not sent again.
    """

    default_port = DEFAULT_PORTS["relp"]
    default_max_message_size = 8192  # rsyslog's default maxMessageSize
    acknowledges = True

    def __init__(
        self,
        host: str,
        port: int | None = None,
        *,
        window: int = DEFAULT_WINDOW,
        timeout: float = DEFAULT_TIMEOUT,
        context: ssl.SSLContext | TLSCredentials | None = None,
        server_name: str | None = None,
        pins: str | Iterable[str] | None = None,
    ) -> None:
        super().__init__(timeout=parse_seconds(timeout, "timeout"), framer=None)
        self.datagram = False  # a stream, framed by RELP itself
        self.carries_newlines = True  # DATALEN frames any octet
        self.host = check_host(host, "host")
        self.port = parse_port(self.default_port if port is None else port, "port")
        self.window: int = OPTIONS["relp_window"].parse(window, "relp_window")
        if context is None and pins is not None:
            raise SyslogConfigError("pins", pins, "only with TLS: give a context (relp+tls://) too")
        #: The TLS context's source, None for plain RELP.
        self.credentials: TLSCredentials | None = None if context is None else credentials_for(context, pins)
        #: The accepted server certificates' SHA-256, or None: no pinning.
        self.pins = parse_pin_list(pins, "pins")
        if self.pins is None and self.credentials is not None:
            self.pins = self.credentials.pins
        self.server_name = server_name or host
        #: SHA-256 (lowercase hex) of the server certificate seen at the last TLS handshake.
        self.peer_sha256: str | None = None
        self.acknowledged = 0
        self.rejected = 0
        self._unacked: OrderedDict[int, bytes] = OrderedDict()
        self._txnr = 0
        self._inbox = bytearray()
        self._answered = 0  # answers in this session
        self._suspect: bytes | None = None  # the oldest unanswered message of the last sessions
        self._suspect_sessions = 0

    @property
    def context(self) -> ssl.SSLContext | None:
        """The `ssl.SSLContext` in use (None for plain RELP)."""
        return None if self.credentials is None else self.credentials.current

    # -- the session ----------------------------------------------------------------------------

    def dial(self) -> socket.socket:
        deadline = self.deadline_after_timeout()
        context = None if self.credentials is None else self.credentials.context()  # rebuilt if its files changed
        sock = connect(self.host, self.port, socket.SOCK_STREAM, deadline, self.aborter)
        if context is not None:
            sock = wrap(sock, context, deadline, self)
        with closed_on_error(sock):
            self._inbox.clear()
            self._answered = 0
            self._txnr = 1
            _send_all(sock, b"1 open %d %b\n" % (len(_OFFERS), _OFFERS), deadline, self)
            txnr, command, data = self._next_frame(sock, deadline)
            if txnr != 1 or command != b"rsp" or not data.startswith(b"200"):
                raise RELPError(f"the server refused the RELP session: {txnr} {command!r} {data[:200]!r}")
            if b"commands=" in data and b"syslog" not in data.split(b"commands=", 1)[1].split(b"\n", 1)[0]:
                raise RELPError("the server does not offer the syslog command")
        return sock

    def send(self, message: bytes) -> None:
        sock = self.current_socket()
        if len(self._unacked) >= self.window:
            self._await_room(sock)
        txnr = self._txnr % TXNR_MAX + 1
        frame = b"%d syslog %d %b\n" % (txnr, len(message), message)
        try:
            self.write_stream(sock, frame, ())
        except BaseException:
            if self.taken():  # started on the wire: its answer will come
                self._txnr = txnr
                self._unacked[txnr] = message
            raise
        self._txnr = txnr
        self._unacked[txnr] = message

    def settle(self) -> None:
        """Wait (until `deadline`) for the answers to everything sent."""
        sock = self._sock
        if sock is None:
            return
        self._read(sock, 0.0)  # what has arrived already
        deadline = self.deadline_after_timeout()
        while self._unacked and time.monotonic() < deadline:
            self._read(sock, deadline)

    def awaiting(self) -> int:
        return len(self._unacked)

    def close(self) -> None:
        sock = self._sock
        if sock is not None:
            try:  # best effort: a polite end of the session, never waited for
                sock.send(b"%d close 0\n" % (self._txnr % TXNR_MAX + 1))
            except (OSError, ValueError):
                pass
            close_notify(sock)
        super().close()

    def take_unacknowledged(self) -> Sequence[bytes]:
        messages = list(self._unacked.values())
        self._unacked.clear()
        if not messages:
            return messages
        if self._answered == 0 and messages[0] == self._suspect:
            self._suspect_sessions += 1
        else:
            self._suspect, self._suspect_sessions = messages[0], 1
        if self._suspect_sessions >= POISON_SESSIONS:
            # The server ends every session on this message: give it up, or it would
            # hold back everything behind it. Counted as rejected.
            self.rejected += 1
            report(
                f"the RELP server ended {POISON_SESSIONS} sessions in a row on the same message "
                f"({len(messages[0])} octets; is it over the server's maxDataSize?): it is given up, "
                "counted in rejected"
            )
            self._suspect, self._suspect_sessions = None, 0
            return messages[1:]
        return messages

    def after_fork(self) -> None:
        self._unacked.clear()  # the parent's to answer for
        self.acknowledged = self.rejected = 0
        super().after_fork()

    # -- reading what the server says -----------------------------------------------------------

    def check_peer(self, sock: socket.socket) -> None:
        # The server talks back: read its answers (and a close) instead of peeking.
        self._read(sock, 0.0)

    def _await_room(self, sock: socket.socket) -> None:
        """The window is full: read answers until there is room, within the deadline."""
        deadline = self.deadline_after_timeout()
        while len(self._unacked) >= self.window:
            self._read(sock, deadline)
            if len(self._unacked) >= self.window and time.monotonic() >= deadline:
                raise TransportTimeout(f"no RELP answer within the timeout ({len(self._unacked)} unanswered)")

    def _read(self, sock: socket.socket, deadline: float) -> None:
        """Read and apply what has arrived; wait for more until `deadline` (0: do not wait)."""
        try:
            data = sock.recv(65536)
        except _WOULD_BLOCK:
            if not deadline:
                return
            try:
                wait(sock, deadline, self.aborter, writable=False)
            except TransportTimeout:
                return
            data = sock.recv(65536)
        if not data:
            raise ConnectionResetError(errno.ECONNRESET, "the RELP server closed the connection")
        self._inbox += data
        while True:
            parsed = _parse(self._inbox)
            if parsed is None:
                return
            self._apply(*parsed)

    def _apply(self, txnr: int, command: bytes, data: bytes) -> None:
        if command == b"serverclose":
            raise ConnectionResetError(errno.ECONNRESET, "the RELP server closed the session (serverclose)")
        if command != b"rsp":
            raise RELPError(f"unexpected RELP command {command!r}")
        message = self._unacked.pop(txnr, None)
        if message is None:
            return  # the answer to `close`, or to a message of an earlier session
        self._answered += 1
        if data.startswith(b"200"):
            self.acknowledged += 1
            return
        self.rejected += 1
        if self.rejected == 1:
            report(f"the RELP server refused a message ({data[:200]!r}); refused messages are counted in rejected")

    def _next_frame(self, sock: socket.socket, deadline: float) -> tuple[int, bytes, bytes]:
        """The next whole frame, waiting until `deadline` (during open)."""
        while True:
            parsed = _parse(self._inbox)
            if parsed is not None:
                return parsed
            try:
                data = sock.recv(65536)
            except _WOULD_BLOCK:
                wait(sock, deadline, self.aborter, writable=False)
                continue
            if not data:
                raise ConnectionResetError(errno.ECONNRESET, "the RELP server closed the connection")
            self._inbox += data

    def __repr__(self) -> str:
        scheme = "relp+tls" if self.credentials is not None else "relp"
        return f"RELPTransport({scheme}://{self.host}:{self.port}, window={self.window})"


def _parse(inbox: bytearray) -> tuple[int, bytes, bytes] | None:
    """Take one whole frame off the front of `inbox`, or None while it is incomplete."""
    first = inbox.find(b" ")
    second = inbox.find(b" ", first + 1) if first >= 0 else -1
    if second < 0:
        if len(inbox) > 64 and (first < 0 or second < 0):
            raise RELPError(f"not a RELP frame: {bytes(inbox[:64])!r}")
        return None
    end_of_length = second + 1
    while end_of_length < len(inbox) and inbox[end_of_length : end_of_length + 1].isdigit():
        end_of_length += 1
    if end_of_length == len(inbox):
        return None
    try:
        txnr = int(inbox[:first])
        length = int(inbox[second + 1 : end_of_length])
    except ValueError:
        raise RELPError(f"not a RELP frame: {bytes(inbox[:64])!r}") from None
    command = bytes(inbox[first + 1 : second])
    start = end_of_length + (1 if length else 0)  # SP before DATA
    end = start + length
    if len(inbox) < end + 1:
        return None
    if inbox[end : end + 1] != b"\n":
        raise RELPError(f"a RELP frame without its trailer: {bytes(inbox[: end + 1][-64:])!r}")
    data = bytes(inbox[start:end])
    del inbox[: end + 1]
    return txnr, command, data


def _send_all(sock: socket.socket, data: bytes, deadline: float, transport: SocketTransport) -> None:
    """Write a whole frame during the opening (nothing else is on the connection yet)."""
    view = memoryview(data)
    while view:
        try:
            view = view[sock.send(view) :]
        except _WOULD_BLOCK:
            wait(sock, deadline, transport.aborter)
