"""Hand-written loopback TCP peers for faults a real syslog daemon cannot produce.

- :class:`SilentPeer` accepts every connection and never reads from it. What has arrived is
  measured without reading (``FIONREAD`` on each accepted socket), so the peer stays stuck.
- :class:`ClosingPeer` accepts every connection and closes it at once (or once its first
  octets have arrived).
- :class:`StrictOctetReceiver` reads RFC 6587 octet-counted frames and reports every frame
  that is not exactly ``LEN SP <PRI>...`` (a LEN that is not digits, no SP, a body that does
  not start with ``<digits>``, a frame cut by the end of its connection); it can be paused
  (stops reading, like a frozen daemon) and resumed.

Each peer listens on 127.0.0.1 on a free port (``peer.url``) and runs one daemon thread;
``close()`` stops it. All counters are read under a lock.
"""

from __future__ import annotations

import fcntl
import re
import select
import socket
import struct
import termios
import threading
import time
from dataclasses import dataclass, field


class _Listener:
    def __init__(self, rcvbuf: int | None = None) -> None:
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if rcvbuf is not None:  # inherited by accepted sockets
            self.server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(128)
        self.port: int = self.server.getsockname()[1]
        self.url = f"tcp://127.0.0.1:{self.port}"
        self.lock = threading.Lock()
        self.closing = False
        self.connections = 0
        self.thread = threading.Thread(target=self._run, name=f"peer-{type(self).__name__}", daemon=True)
        self.thread.start()

    def _accept(self, timeout: float = 0.05) -> socket.socket | None:
        if not select.select([self.server], [], [], timeout)[0]:
            return None
        try:
            conn, _ = self.server.accept()
        except OSError:
            return None
        with self.lock:
            self.connections += 1
        return conn

    def _run(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def close(self) -> None:
        self.closing = True
        self.thread.join(2)
        self.server.close()


class SilentPeer(_Listener):
    """Accepts and never reads. `pending_bytes()`: octets waiting, unread, on all connections."""

    def __init__(self, rcvbuf: int | None = None) -> None:
        self.conns: list[socket.socket] = []
        super().__init__(rcvbuf)

    def _run(self) -> None:
        while not self.closing:
            conn = self._accept()
            if conn is not None:
                with self.lock:
                    self.conns.append(conn)

    def pending_bytes(self) -> int:
        total = 0
        with self.lock:
            conns = list(self.conns)
        for conn in conns:
            try:
                buf = fcntl.ioctl(conn.fileno(), termios.FIONREAD, b"\0\0\0\0")
                total += struct.unpack("i", buf)[0]
            except OSError:
                pass
        return total

    def close(self) -> None:
        super().close()
        with self.lock:
            for conn in self.conns:
                conn.close()


class ClosingPeer(_Listener):
    """Accepts each connection and closes it at once (a receiver that refuses the client).

    With `after_first_data=True` it closes a connection as soon as its first octets have
    arrived (unread, so the close is a reset), at most 1 s after accepting it: a receiver
    that rejects what the client sends, and a close that always comes after the first send.
    """

    def __init__(self, after_first_data: bool = False) -> None:
        self.after_first_data = after_first_data
        super().__init__()

    def _run(self) -> None:
        while not self.closing:
            conn = self._accept()
            if conn is not None:
                if self.after_first_data:
                    select.select([conn], [], [], 1.0)
                conn.close()


_LEN = re.compile(rb"[1-9][0-9]{0,8}")
_PRI = re.compile(rb"<[0-9]{1,3}>")


@dataclass
class Frame:
    connection: int  # 1, 2, ... in accept order
    body: bytes


@dataclass
class StrictReport:
    frames: list[Frame] = field(default_factory=list)
    bad: list[str] = field(default_factory=list)  # what was wrong, with the offending bytes


class StrictOctetReceiver(_Listener):
    """Reads octet-counted frames strictly; `report()` gives the good frames and every fault.

    After a bad LEN the rest of that connection cannot be framed any more: it is reported
    once (with the bytes where it went wrong) and the connection's remaining data is skipped.
    """

    def __init__(self) -> None:
        self._report = StrictReport()
        self._running = threading.Event()
        self._running.set()
        super().__init__()

    def pause(self) -> None:
        """Stop reading (connections stay open; the sender's buffers fill)."""
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def report(self) -> StrictReport:
        with self.lock:
            return StrictReport(list(self._report.frames), list(self._report.bad))

    def _bad(self, text: str) -> None:
        with self.lock:
            self._report.bad.append(text)

    def _run(self) -> None:
        conns: dict[socket.socket, tuple[int, bytearray, list[bool]]] = {}
        while not self.closing:
            conn = self._accept(0)
            if conn is not None:
                conn.setblocking(False)
                conns[conn] = (self.connections, bytearray(), [False])
            if not self._running.is_set() or not conns:
                time.sleep(0.01)
                continue
            readable = select.select(list(conns), [], [], 0.02)[0]
            for sock in readable:
                number, buf, broken = conns[sock]
                try:
                    data = sock.recv(1 << 20)
                except BlockingIOError:
                    continue
                except OSError as exc:
                    data = b""
                    self._bad(f"connection {number}: {exc!r}")
                if not data:
                    if buf and not broken[0]:
                        self._bad(f"connection {number}: frame cut by the end of the connection: {bytes(buf[:80])!r}")
                    sock.close()
                    del conns[sock]
                    continue
                if broken[0]:
                    continue
                buf += data
                self._parse(number, buf, broken)
        for sock in conns:
            sock.close()

    def _parse(self, number: int, buf: bytearray, broken: list[bool]) -> None:
        while buf:
            space = buf.find(b" ", 0, 11)
            if space < 0:
                if len(buf) >= 11 or not buf.isdigit():
                    self._bad(f"connection {number}: no 'LEN SP' at {bytes(buf[:80])!r}")
                    broken[0] = True
                return
            if not _LEN.fullmatch(bytes(buf[:space])):
                self._bad(f"connection {number}: bad LEN at {bytes(buf[:80])!r}")
                broken[0] = True
                return
            length = int(buf[:space])
            end = space + 1 + length
            if len(buf) < end:
                return
            body = bytes(buf[space + 1 : end])
            del buf[:end]
            if not _PRI.match(body):
                self._bad(f"connection {number}: frame does not start with <PRI>: {body[:80]!r}")
            with self.lock:
                self._report.frames.append(Frame(number, body))
