"""Generate the example lines of docs/wire-format.md by really running the sink.

    python docs/_scripts/wire_examples.py

Every line is what a receiver got: UDP datagrams, a unix datagram socket, TCP streams
(framing shown as Python bytes so that LF and spaces are visible) and this process's
stdout. Hostname and app-name are fixed; the time zone is Europe/Paris so that the
RFC 5424 timestamp shows a UTC offset. Timestamps and PIDs are the real ones of the run.
"""

from __future__ import annotations

import contextlib
import io
import os
import socket
import sys
import tempfile
import time

os.environ["TZ"] = "Europe/Paris"
time.tzset()

from loguru import logger  # noqa: E402

from loguru_syslog import SyslogSink  # noqa: E402

APP = compile(
    """\
def find(orders, key):
    return orders[key]

try:
    find({}, "A-113")
except KeyError:
    logger.exception("lookup failed")
""",
    "app.py",
    "exec",
)
COMMON = {"facility": "local0", "hostname": "web-1.example.com", "app_name": "billing"}


def udp(**options: object) -> tuple[str, socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(2)
    return f"udp://127.0.0.1:{sock.getsockname()[1]}", sock


def log_some(sink: SyslogSink) -> None:
    handler = logger.add(sink, level="TRACE", format="{message}")
    logger.info("user ann logged in")
    logger.bind(msgid="PAYMENT", order_id=42, user="ann").success("order paid")
    logger.remove(handler)


def show(title: str, lines: list[bytes]) -> None:
    print(f"## {title}")
    for line in lines:
        print(line.decode("utf-8", "backslashreplace"))
    print()


def show_raw(title: str, data: bytes) -> None:
    print(f"## {title} (raw bytes)")
    print(repr(data))
    print()


def main() -> None:
    logger.remove()
    for header in ("rfc5424", "rfc3164"):
        url, sock = udp()
        log_some(SyslogSink(url, header=header, **COMMON))
        show(f"UDP, header={header}", [sock.recv(65535) for _ in range(2)])

    # STRUCTURED-DATA escaping, and names that are not SD-NAMEs.
    url, sock = udp()
    handler = logger.add(SyslogSink(url, **COMMON), format="{message}")
    logger.bind(query='name="x"] or \\', **{"user id": 7}).info("search")
    logger.remove(handler)
    show("UDP, rfc5424, STRUCTURED-DATA escaping", [sock.recv(65535)])

    # Several SD elements: meta (sequence_id), origin, the extras', then syslog_sd's.
    url, sock = udp()
    handler = logger.add(SyslogSink(url, sequence_id=True, origin=True, **COMMON), format="{message}")
    logger.bind(user="ann", syslog_sd={"origin": {"ip": "10.0.0.1"}, "x@32473": {"k": "v"}}).info("hi")
    logger.remove(handler)
    show("UDP, rfc5424, sequence_id=True, origin=True, syslog_sd", [sock.recv(65535)])

    # bom=True: a UTF-8 BOM before MSG (RFC 5424 only).
    url, sock = udp()
    handler = logger.add(SyslogSink(url, bom=True, **COMMON), format="{message}")
    logger.info('{"event": "login", "user": "ann"}')
    logger.remove(handler)
    show_raw("UDP, rfc5424, bom=True", sock.recv(65535))

    # The local socket form, received on a real unix datagram socket.
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "log")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(path)
        sock.settimeout(2)
        log_some(SyslogSink(f"unix://{path}", **COMMON))
        show("unix socket, default header (local)", [sock.recv(65535) for _ in range(2)])

    # stdout: the pri header; the default facility there is kern (the bare severity).
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        log_some(SyslogSink("stdout", hostname="web-1.example.com", app_name="billing"))
        log_some(SyslogSink("stdout", **COMMON))
    show(
        "stdout, default header (pri) and facility (kern); then with facility=local0",
        [line.encode() for line in out.getvalue().splitlines()],
    )

    # An exception: one line by default; keep_newlines=True keeps the LFs over UDP.
    for keep in (False, True):
        url, sock = udp()
        handler = logger.add(SyslogSink(url, keep_newlines=keep, **COMMON), format="{message}", backtrace=False)
        exec(APP, {"logger": logger})  # code compiled as "app.py": a short path in the traceback
        logger.remove(handler)
        data = sock.recv(65535)
        show_raw(f"exception over UDP, keep_newlines={keep}", data)

    # TCP framings: what goes on the stream.
    for framing in ("octet-counting", "lf"):
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen()
        url = f"tcp://127.0.0.1:{server.getsockname()[1]}"
        sink = SyslogSink(url, framing=framing, **COMMON)
        log_some(sink)  # logger.remove() called sink.stop(): the connection is closed
        conn, _ = server.accept()
        conn.settimeout(2)
        data = b""
        while chunk := conn.recv(65535):
            data += chunk
        show_raw(f"TCP, framing={framing}", data)

    # Truncation: max_message_size counts the whole message, in octets.
    url, sock = udp()
    handler = logger.add(SyslogSink(url, max_message_size=480, **COMMON), format="{message}")
    logger.info("é" * 300)
    logger.remove(handler)
    data = sock.recv(65535)
    print(f"## truncated to max_message_size=480: {len(data)} octets, ends with {data[-12:]!r}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
