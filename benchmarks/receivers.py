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
        if not self._conn.poll(start_timeout):
            self.stop()
            raise RuntimeError("the receiver process did not start in time")
        self.ports: dict[str, int] = self._conn.recv()
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
    received: dict[str, int] = {}
    datagram: dict[str, socket.socket] = {}
    listeners: dict[str, tuple[socket.socket, ssl.SSLContext | None]] = {}
    streams: list[tuple[str, socket.socket]] = []
    ports: dict[str, int] = {}

    for name in spec.udp:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        _big_buffer(sock)
        sock.bind(("127.0.0.1", 0))
        sock.setblocking(False)
        datagram[name] = sock
        ports[name] = sock.getsockname()[1]
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
        listeners[name] = (sock, context)
        ports[name] = sock.getsockname()[1]
    unix_threads = []
    stopping = threading.Event()
    for name, path in spec.unix.items():
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        _big_buffer(sock)
        if os.path.exists(path):
            os.unlink(path)
        sock.bind(path)
        sock.settimeout(0.1)  # so the thread notices `stopping`
        received[name] = 0
        thread = threading.Thread(target=_read_blocking, args=(name, sock, received, stopping), daemon=True)
        thread.start()
        unix_threads.append(thread)

    conn.send(ports)
    deadline = time.monotonic() + MAX_LIFETIME
    while time.monotonic() < deadline and not conn.poll():
        for name, sock in datagram.items():
            received[name] = received.get(name, 0) + _drain(sock)
        for name, (listener, context) in listeners.items():
            accepted = _accept(listener, context)
            if accepted is not None:
                streams.append((name, accepted))
        for name, sock in list(streams):
            count = _drain(sock)
            if count < 0:  # closed by the sender
                streams.remove((name, sock))
                sock.close()
                count = 0
            received[name] = received.get(name, 0) + count
        time.sleep(POLL_INTERVAL)

    stopping.set()
    for thread in unix_threads:
        thread.join(1)
    try:
        conn.send(received)
    except OSError:
        pass


def _big_buffer(sock: socket.socket) -> None:
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF)
    except OSError:
        pass


def _drain(sock: socket.socket) -> int:
    """Read what is there without blocking: the octets read, or -1 when the peer closed."""
    total = 0
    for _ in range(READS_PER_SWEEP):
        try:
            data = sock.recv(RECV_SIZE)
        except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
            return total
        except OSError:  # reset, or a TLS alert: the connection is over
            return -1
        if not data and sock.type == socket.SOCK_STREAM:
            return -1
        total += len(data)
    return total


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


def _read_blocking(name: str, sock: socket.socket, received: dict[str, int], stopping: threading.Event) -> None:
    while not stopping.is_set():
        try:
            received[name] += len(sock.recv(RECV_SIZE))
        except TimeoutError:
            continue
        except OSError:
            return
