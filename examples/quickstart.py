"""Quick start: send loguru records to syslog. Needs no syslog daemon.

What it shows:

- `logger.add(SyslogSink(url), format="{message}")` is the whole setup;
- every loguru level has its own syslog severity (TRACE and SUCCESS included);
- `logger.bind()` extras become RFC 5424 STRUCTURED-DATA, `msgid=` becomes the MSGID;
- an exception and its traceback arrive as one message on one line;
- the same records on stdout with only a `<PRI>` prefix (for journald and containers).

Run it:

    python examples/quickstart.py                       # starts its own loopback UDP receiver
    python examples/quickstart.py udp://127.0.0.1:5514  # or send to your daemon instead
    SYSLOG_URL=tcp://127.0.0.1:5514 python examples/quickstart.py

Without an address it starts a tiny UDP receiver on 127.0.0.1 (a thread), sends to it and
prints every datagram exactly as a syslog daemon would receive it.
"""

from __future__ import annotations

import argparse
import os
import socket
import threading

from loguru import logger

from loguru_syslog import SyslogSink

MESSAGES = 9  # seven levels, one with extras, one exception


class LoopbackReceiver:
    """A stand-in for a syslog daemon: collects UDP datagrams on 127.0.0.1."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"udp://127.0.0.1:{self.sock.getsockname()[1]}"
        self.datagrams: list[bytes] = []
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        self.sock.settimeout(5)
        try:
            while len(self.datagrams) < MESSAGES:
                self.datagrams.append(self.sock.recv(65535))
        except OSError:  # timeout: print what arrived
            pass

    def wait(self) -> list[bytes]:
        self._thread.join()
        self.sock.close()
        return self.datagrams


def log_a_bit() -> None:
    logger.trace("entering checkout()")
    logger.debug("cart has {} items", 3)
    logger.info("user ann logged in")
    logger.success("payment accepted")
    logger.warning("stock is low for sku {}", "A-113")
    logger.error("payment gateway answered 502")
    logger.critical("database unreachable")
    # Extras go into STRUCTURED-DATA; the reserved extra "msgid" becomes the MSGID.
    logger.bind(msgid="ORDER", order_id=42, user="ann").info("order placed")
    try:
        print(1 / 0)
    except ZeroDivisionError:
        logger.exception("could not compute the discount")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default=os.environ.get("SYSLOG_URL"), help="syslog address (or SYSLOG_URL)")
    args = parser.parse_args()

    receiver = None if args.url else LoopbackReceiver()
    url = args.url or receiver.url  # type: ignore[union-attr]

    logger.remove()  # drop loguru's default stderr handler, so the output below stays readable
    # The header already carries time, host, app-name and pid: format="{message}" avoids repeating them.
    # diagnose=False keeps variable values out of tracebacks (loguru's advice for production logs).
    sink = SyslogSink(url, facility="local0", app_name="quickstart")
    logger.add(sink, level="TRACE", format="{message}", diagnose=False)
    log_a_bit()
    logger.remove()  # calls the sink's stop(): delivers what waits, closes the socket

    if receiver is not None:
        print(f"--- what a syslog daemon on {url} received:")
        for datagram in receiver.wait():
            print(datagram.decode("utf-8", "backslashreplace"))
    else:
        print(f"--- sent {MESSAGES} messages to {url}: {sink.stats}")

    # The same records on stdout: only "<PRI>" in front, for journald / Docker / Kubernetes.
    print("--- the same on stdout (header 'pri'):", flush=True)
    logger.add(
        SyslogSink("stdout", facility="local0", app_name="quickstart"),
        level="TRACE",
        format="{message}",
        diagnose=False,
    )
    log_a_bit()
    logger.remove()


if __name__ == "__main__":
    main()
