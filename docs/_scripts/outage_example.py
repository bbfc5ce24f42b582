"""Generate the outage example of docs/transports.md: a TCP peer goes away and comes back.

    python docs/_scripts/outage_example.py

The receiver is a plain TCP server in this process; "down" closes its listening socket
and its connections, "up" listens again on the same port. The sink keeps at most
buffer_size=3 messages while the peer is down. Prints what the application's stderr
got, what the receiver got, and the sink's stats.
"""

from __future__ import annotations

import contextlib
import io
import socket
import threading
import time

from loguru import logger

from loguru_syslog import SyslogSink


class Peer:
    def __init__(self, port: int = 0) -> None:
        self.listener = socket.create_server(("127.0.0.1", port))
        self.port = self.listener.getsockname()[1]
        self.conns: list[socket.socket] = []
        self.data = b""
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.conns.append(conn)
            threading.Thread(target=self._read, args=(conn,), daemon=True).start()

    def _read(self, conn: socket.socket) -> None:
        while True:
            try:
                chunk = conn.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            self.data += chunk

    def down(self) -> None:
        for sock in (self.listener, *self.conns):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


def main() -> None:
    peer = Peer()
    url = f"tcp://127.0.0.1:{peer.port}"
    logger.remove()
    sink = SyslogSink(url, hostname="web-1", app_name="billing", buffer_size=3)
    logger.add(sink, format="{message}")
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        logger.info("before the outage")
        time.sleep(0.1)
        peer.down()
        time.sleep(0.1)
        for number in range(1, 6):
            logger.info("during the outage, message {}", number)
        during = sink.stats
        peer = Peer(peer.port)
        time.sleep(1.1)  # past the first backoff delay (backoff_min=0.5 s, jittered to 0.25..0.5 s)
        logger.info("after the outage")
        time.sleep(0.1)
    logger.remove()
    print("## stderr of the application")
    print(stderr.getvalue(), end="")
    print("## stats while down")
    print(during)
    print("## what the restarted receiver got (octet-counted frames)")
    print(peer.data.decode())
    print("## stats at the end")
    print(sink.stats)


if __name__ == "__main__":
    main()
