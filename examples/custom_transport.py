"""Transports of your own, built on the public toolkit.

Two small transports, each a few lines, that keep every guarantee of the sink
(bounded calls, reconnects, the buffer, stream integrity) because they only say
how to connect or where a message goes:

- `SourceBoundTCP`: TCP from a fixed local address (a firewall that allows one
  source), a `SocketTransport` whose `dial()` binds before connecting;
- `JsonLinesFile`: each message as one JSON line in a file, a plain `Transport`.

Run it: it starts its own loopback TCP receiver, logs through both, and prints
what each received.

    python examples/custom_transport.py
"""

from __future__ import annotations

import json
import socket
import sys
import tempfile
import threading
from pathlib import Path

from loguru import logger

from loguru_syslog import SocketTransport, SyslogSink, Transport, connect_socket, octet_counting


class SourceBoundTCP(SocketTransport):
    """TCP to `host:port` from `source` (an address of this host), octet-counted."""

    default_max_message_size = 8192

    def __init__(self, host: str, port: int, *, source: str, timeout: float = 3.0) -> None:
        super().__init__(timeout=timeout, framer=octet_counting)
        self.host, self.port, self.source = host, port, source

    def dial(self) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind((self.source, 0))
            # Bounded by the timeout and interruptible by stop(), like the built-in ones.
            connect_socket(sock, (self.host, self.port), self.deadline_after_timeout(), self.aborter)
        except BaseException:
            sock.close()
            raise
        return sock


class JsonLinesFile(Transport):
    """Appends each syslog message as a JSON line {"syslog": "..."} to `path`."""

    default_header = "rfc5424"
    carries_newlines = False  # one message per line: the formatter replaces newlines

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = None

    def open(self) -> None:
        self._file = self.path.open("a", encoding="utf-8")

    def send(self, message: bytes) -> None:
        assert self._file is not None
        self._file.write(json.dumps({"syslog": message.decode()}) + "\n")
        self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def receive(server: socket.socket, got: list[bytes]) -> None:
    conn, peer = server.accept()
    got.append(f"from {peer[0]}: ".encode())
    with conn:
        while chunk := conn.recv(65536):
            got.append(chunk)


def main() -> int:
    server = socket.create_server(("127.0.0.1", 0))
    received: list[bytes] = []
    reader = threading.Thread(target=receive, args=(server, received), daemon=True)
    reader.start()
    lines = Path(tempfile.mkdtemp()) / "log.jsonl"

    logger.remove()
    tcp = SyslogSink(transport=SourceBoundTCP("127.0.0.1", server.getsockname()[1], source="127.0.0.2"))
    logger.add(tcp, format="{message}")
    logger.add(SyslogSink(transport=JsonLinesFile(lines), app_name="demo"), format="{message}")
    logger.bind(user="alice").success("payment accepted")
    logger.remove()  # stops both sinks: delivers what waits, closes
    reader.join(5)
    server.close()

    print("TCP receiver got:", b"".join(received).decode())
    print("JSON lines file has:", lines.read_text().strip())
    return 0 if received and lines.read_text() else 1


if __name__ == "__main__":
    sys.exit(main())
