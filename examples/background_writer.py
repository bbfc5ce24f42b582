"""background=True for a latency-sensitive app: the logging call only enqueues.

What it shows:

- with `background=True` the sink's `write()` appends the finished message to a bounded
  queue (`queue_size`, default 10000) and returns; one writer thread
  ("loguru-syslog-writer") sends in batches. DNS, connecting, TLS handshakes, a full
  socket buffer or a daemon that is down never cost the logging call any time;
- a full queue drops its oldest message and counts it in `sink.stats.dropped`: memory
  stays bounded, and the application never waits;
- `logger.remove()` (loguru also does it at interpreter exit) calls `stop()`, which sends
  what is still queued, waiting at most `stop_timeout` (default 5 s);
- the time a `logger.info()` call takes, with and without `background`, on one receiver.
  (No need for loguru's `enqueue=True`: it pickles every record through a pipe.)

Run it:

    python examples/background_writer.py                          # its own loopback TCP receiver
    python examples/background_writer.py tcp://127.0.0.1:5514 --count 5000   # or SYSLOG_URL=...
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import threading
import time

from loguru import logger

from loguru_syslog import SyslogSink


def serve(listener: socket.socket) -> None:
    """A stand-in for a syslog daemon: accepts TCP connections and reads them to the end."""
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=read_all, args=(conn,), daemon=True).start()


def read_all(conn: socket.socket) -> None:
    with conn:
        while conn.recv(1 << 16):
            pass


def run(url: str, background: bool, count: int) -> None:
    sink = SyslogSink(url, app_name="background", background=background)
    handler = logger.add(sink, format="{message}")
    timings = []
    for number in range(1, count + 1):
        start = time.perf_counter_ns()
        logger.info("request {} served (background={})", number, background)
        timings.append(time.perf_counter_ns() - start)
    returned = time.perf_counter()
    logger.remove(handler)  # stop(): sends what is still queued, then closes
    timings.sort()
    print(
        f"background={background!s:<5}  logger.info() median {statistics.median(timings) / 1000:6.1f} us, "
        f"p99 {timings[int(len(timings) * 0.99)] / 1000:7.1f} us; stop() took {time.perf_counter() - returned:.3f} s"
    )
    print(f"    {sink.stats}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default=os.environ.get("SYSLOG_URL"), help="syslog address (or SYSLOG_URL)")
    parser.add_argument("--count", type=int, default=2000, help="messages per run (2000)")
    args = parser.parse_args()

    url = args.url
    if url is None:
        listener = socket.create_server(("127.0.0.1", 0))
        threading.Thread(target=serve, args=(listener,), daemon=True).start()
        url = f"tcp://127.0.0.1:{listener.getsockname()[1]}"

    logger.remove()
    for background in (False, True):
        run(url, background, args.count)


if __name__ == "__main__":
    main()
