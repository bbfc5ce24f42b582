"""Loopback receivers for the benchmarks, in a process of their own.

One child process owns every listening socket (one per case, so no case reads
another's traffic) and drains them all in a polling loop: look at every socket,
read whatever is there without blocking, then sleep a millisecond. A receiver
blocked in recv() wakes up for every datagram and, on a 2-vCPU machine, slows
the sender it is supposed to measure; a polling one wakes a thousand times a
second whatever the rate.

One exception: a Unix datagram socket only queues `net.unix.max_dgram_qlen`
datagrams (10 by default on Linux) before the sender blocks, which a 1 ms poll
would turn into waiting. The Unix socket is therefore read by a thread blocked
in recv(), as a syslog daemon's /dev/log reader is.
"""

from __future__ import annotations

import multiprocessing
import os
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from typing import Any

#: Seconds the polling loop sleeps after each sweep over the sockets.
POLL_INTERVAL = 0.001
#: Octets asked for per recv(): a datagram whole, or a large bite of a stream.
RECV_SIZE = 1 << 20
#: Reads per socket per sweep, so one busy socket cannot starve the others.
READS_PER_SWEEP = 4096
#: The receiver process ends by itself after this long, whatever happens to its parent.
MAX_LIFETIME = 3600.0
#: Socket receive buffer asked for (4 MiB: /proc/sys/net/core/rmem_max here).
RCVBUF = 4 << 20


@dataclass
class ReceiverSpec:
    """What to listen on: names of UDP, TCP and TLS sockets, and Unix datagram paths."""

    udp: list[str] = field(default_factory=list)
    tcp: list[str] = field(default_factory=list)
    tls: list[str] = field(default_factory=list)
    unix: dict[str, str] = field(default_factory=dict)
    #: PEM file paths of the TLS server certificate and key (needed when `tls` is not empty).
    cert_file: str = ""
    key_file: str = ""


class Receivers:
    """The receiver process seen from the benchmark: `ports[name]`, `paths[name]`, `stop()`."""

    def __init__(self, spec: ReceiverSpec, start_timeout: float = 30.0) -> None:
        context = multiprocessing.get_context("spawn")  # a clean child: no inherited loguru or sockets
        self._conn, child_conn = context.Pipe()
        self._process = context.Process(target=serve, args=(child_conn, spec), name="bench-receivers", daemon=True)
        self._process.start()
        child_conn.close()
        try:
            if not self._conn.poll(start_timeout):
                raise EOFError("no answer in time")
            self.ports: dict[str, int] = self._conn.recv()
        except (EOFError, OSError) as exc:
            self.stop()
            raise RuntimeError(f"the receiver process did not start ({exc!r}); see its traceback above") from exc
        self.paths = dict(spec.unix)

    def stop(self) -> dict[str, int]:
        """End the process; returns the octets each socket received (a sanity check)."""
        received: dict[str, int] = {}
        try:
            self._conn.send("stop")
            if self._conn.poll(10):
                received = self._conn.recv()
        except (OSError, EOFError):
            pass
        self._process.join(10)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(5)
        return received


def serve(conn: Any, spec: ReceiverSpec) -> None:
    """The child's main: bind everything, report the ports, drain until told to stop."""
    sockets = _Sockets(spec)
    conn.send(sockets.ports)
    deadline = time.monotonic() + MAX_LIFETIME
    while time.monotonic() < deadline and not conn.poll():
        sockets.sweep()
        time.sleep(POLL_INTERVAL)
    sockets.sweep()  # what the last case sent just before the stop
    try:
        conn.send(sockets.close())
    except OSError:
        pass


class _Sockets:
    """Every socket of the receiver process, and the octets each name received."""

    def __init__(self, spec: ReceiverSpec) -> None:
        self.ports: dict[str, int] = {}
        self.received: dict[str, int] = {}
        self._datagram: dict[str, socket.socket] = {}
        self._listeners: dict[str, tuple[socket.socket, ssl.SSLContext | None]] = {}
        self._streams: list[tuple[str, socket.socket]] = []
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        for name in spec.udp:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            _big_buffer(sock)
            sock.bind(("127.0.0.1", 0))
            sock.setblocking(False)
            self._datagram[name] = sock
            self._add(name, sock)
        server_context = None
        if spec.tls:
            server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            server_context.load_cert_chain(spec.cert_file, spec.key_file)
        for name, context in [(n, None) for n in spec.tcp] + [(n, server_context) for n in spec.tls]:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", 0))
            sock.listen(16)
            sock.setblocking(False)
            self._listeners[name] = (sock, context)
            self._add(name, sock)
        for name, path in spec.unix.items():
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            _big_buffer(sock)
            if os.path.exists(path):
                os.unlink(path)
            sock.bind(path)
            sock.settimeout(0.1)  # so that the reading thread notices the stop
            self.received[name] = 0
            thread = threading.Thread(target=self._read_blocking, args=(name, sock), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _add(self, name: str, sock: socket.socket) -> None:
        self.ports[name] = sock.getsockname()[1]
        self.received[name] = 0

    def sweep(self) -> None:
        """One look at every socket: accept new connections, read what waits."""
        for name, sock in self._datagram.items():
            self.received[name] += _drain(sock)[0]
        for name, (listener, context) in self._listeners.items():
            accepted = _accept(listener, context)
            if accepted is not None:
                self._streams.append((name, accepted))
        for name, sock in list(self._streams):
            count, closed = _drain(sock)
            self.received[name] += count
            if closed:
                self._streams.remove((name, sock))
                sock.close()

    def close(self) -> dict[str, int]:
        self._stopping.set()
        for thread in self._threads:
            thread.join(1)
        return dict(self.received)

    def _read_blocking(self, name: str, sock: socket.socket) -> None:
        while not self._stopping.is_set():
            try:
                self.received[name] += len(sock.recv(RECV_SIZE))
            except socket.timeout:  # TimeoutError from 3.10 on; not a subclass of it on 3.9
                continue
            except OSError:
                return


def _big_buffer(sock: socket.socket) -> None:
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF)
    except OSError:
        pass


def _drain(sock: socket.socket) -> tuple[int, bool]:
    """Read what is there without blocking: (octets read, whether the peer closed)."""
    total = 0
    for _ in range(READS_PER_SWEEP):
        try:
            data = sock.recv(RECV_SIZE)
        except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
            return total, False
        except OSError:  # reset, or a TLS alert: the connection is over
            return total, True
        if not data and sock.type == socket.SOCK_STREAM:
            return total, True
        total += len(data)
    return total, False


def _accept(listener: socket.socket, context: ssl.SSLContext | None) -> socket.socket | None:
    try:
        sock, _ = listener.accept()
    except BlockingIOError:
        return None
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF)
    if context is not None:
        sock.settimeout(10)
        try:
            sock = context.wrap_socket(sock, server_side=True)
        except (OSError, ssl.SSLError):
            sock.close()
            return None
    sock.setblocking(False)
    return sock
