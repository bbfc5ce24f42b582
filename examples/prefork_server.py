"""Pre-fork server: the parent adds one sink, then forks workers that all log through it.

What it shows:

- the sink is fork-safe: a forked child never writes into its parent's connection
  (bytes of two processes interleaved on one TCP stream would corrupt both). After
  `fork()` the child drops its copy of the socket, without shutting the parent's down,
  and opens its own connection on its first message;
- the child starts with an empty buffer: what the parent still holds, the parent sends;
- PROCID in each message is the pid of the process that logged it;
- multiprocessing children end with `os._exit()`, so loguru never calls the sink's
  `stop()` there: call `logger.remove()` at the end of a worker (it matters with
  `background=True`, where messages may still wait in the queue).

Run it (POSIX only: it uses the "fork" start method, like gunicorn or uWSGI pre-fork):

    python examples/prefork_server.py                          # its own loopback TCP receiver
    python examples/prefork_server.py tcp://127.0.0.1:5514 --workers 4 --requests 3

Without an address it starts a small TCP receiver (a process) and prints, per TCP
connection it accepted, the messages and the pids that sent them: one connection for
the parent and one for each worker.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import selectors
import socket
import time
from multiprocessing.connection import Connection

from loguru import logger

from loguru_syslog import SyslogSink


def worker(number: int, requests: int) -> None:
    for request in range(1, requests + 1):
        logger.info("worker {} handled request {}", number, request)
    logger.remove()  # stop() the sink in this process: multiprocessing exits with os._exit()


def receive(listener: socket.socket, expected: int, results: Connection) -> None:
    """A stand-in for a syslog daemon: octet-counted frames over TCP, noted per connection."""
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    buffers: dict[socket.socket, bytes] = {}
    received: list[tuple[int, str]] = []  # (connection number, message)
    numbers: dict[socket.socket, int] = {}
    deadline = time.monotonic() + 10
    while len(received) < expected and time.monotonic() < deadline:
        for key, _ in selector.select(timeout=0.1):
            if key.fileobj is listener:
                conn, _ = listener.accept()
                numbers[conn], buffers[conn] = len(numbers) + 1, b""
                selector.register(conn, selectors.EVENT_READ)
                continue
            conn = key.fileobj  # type: ignore[assignment]
            data = conn.recv(65536)
            if not data:
                selector.unregister(conn)
                continue
            buffers[conn] += data
            while True:  # "LEN SP MSG" frames (RFC 6587 octet counting)
                frame = re.match(rb"(\d+) ", buffers[conn])
                if not frame or len(buffers[conn]) < frame.end() + int(frame[1]):
                    break
                end = frame.end() + int(frame[1])
                received.append((numbers[conn], buffers[conn][frame.end() : end].decode()))
                buffers[conn] = buffers[conn][end:]
    for sock in (*buffers, listener):
        sock.close()
    results.send(received)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default=os.environ.get("SYSLOG_URL"), help="syslog address (or SYSLOG_URL)")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--requests", type=int, default=2, help="messages per worker")
    args = parser.parse_args()
    fork = multiprocessing.get_context("fork")

    url, results = args.url, None
    if url is None:  # start our own receiver, in a process: forking a process with threads is unsafe
        listener = socket.create_server(("127.0.0.1", 0))
        url = f"tcp://127.0.0.1:{listener.getsockname()[1]}"
        results, child_end = fork.Pipe(duplex=False)
        fork.Process(target=receive, args=(listener, 2 + args.workers * args.requests, child_end)).start()
        listener.close()

    logger.remove()
    logger.add(SyslogSink(url, app_name="prefork"), format="{message}")
    logger.info("parent (pid {}) starts {} workers", os.getpid(), args.workers)  # opens the parent's connection

    workers = [fork.Process(target=worker, args=(n, args.requests)) for n in range(1, args.workers + 1)]
    for process in workers:
        process.start()
    for process in workers:
        process.join()
    logger.info("parent (pid {}): all workers done", os.getpid())
    logger.remove()  # stop(): delivers and closes the parent's connection

    if results is not None:
        connections: dict[int, list[str]] = {}
        for number, message in results.recv():
            connections.setdefault(number, []).append(message)
        for number, messages in sorted(connections.items()):
            pids = sorted({message.split(" ")[4] for message in messages})  # PROCID, the 5th header field
            print(f"connection {number}: {len(messages)} messages from pid {', '.join(pids)}")
            for message in messages:
                print(f"    {message}")


if __name__ == "__main__":
    main()
