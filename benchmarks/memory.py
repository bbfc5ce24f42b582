"""RSS growth while logging with the peer down: run by run.py in a fresh process per mode.

`python benchmarks/memory.py --mode direct|background --count N` prints one JSON object.
The peer is a loopback TCP port that is bound but not listening (connect is
refused at once), held by this process so that nothing else can take it.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import time

from loguru import logger

from loguru_syslog import SyslogSink

MESSAGE = "user 4242 logged in from 127.0.0.1 via password, session 7f3a9c"
WARM_CALLS = 2000


def rss_kib(field: str = "VmRSS") -> int:
    """This process's resident set (or its peak, `VmHWM`), KiB, from /proc."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def measure(mode: str, count: int) -> dict[str, object]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as closed:
        closed.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        port = closed.getsockname()[1]
        sink = SyslogSink(
            f"tcp://127.0.0.1:{port}", app_name="bench", background=mode == "background", stop_timeout=0.2
        )
        logger.remove()
        logger.add(sink, format="{message}")
        info = logger.info
        for _ in range(WARM_CALLS):  # lazy set-up (loguru, the writer thread, the first outage) out of the baseline
            info(MESSAGE)
        before = rss_kib()
        start = time.perf_counter()
        for _ in range(count):
            info(MESSAGE)
        elapsed = time.perf_counter() - start
        after = rss_kib()
        stats = sink.stats
        logger.remove()
    return {
        "mode": mode,
        "count": count,
        "rss_before_mb": before / 1024,
        "rss_after_mb": after / 1024,
        "rss_peak_mb": rss_kib("VmHWM") / 1024,
        "growth_mb": (after - before) / 1024,
        "us_per_call": elapsed / count * 1e6,
        "dropped": stats.dropped,
        "buffered": stats.buffered,
        "queued": stats.queued,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("direct", "background"), required=True)
    parser.add_argument("--count", type=int, default=1_000_000)
    args = parser.parse_args()
    logger.remove()  # loguru's default stderr handler would print every message
    json.dump(measure(args.mode, args.count), sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
