"""Shared fixtures: fake loguru messages with fixed records, and loopback receivers."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any, Iterator

import pytest

pytest_plugins = ["daemons"]

#: A fixed instant for golden strings: 2026-11-21 06:49:13.004200 at +01:00.
FIXED_TIME = datetime(2026, 11, 21, 6, 49, 13, 4200, tzinfo=timezone(timedelta(hours=1)))
FIXED_PID = 4242


class FakeMessage(str):
    """What loguru hands a sink: the formatted text (with its newline) and `.record`."""

    record: dict[str, Any]


def make_message(
    text: str = "hello",
    *,
    level: str = "INFO",
    no: int = 20,
    extra: dict[str, Any] | None = None,
    time: datetime = FIXED_TIME,
    pid: int = FIXED_PID,
    newline: bool = True,
) -> FakeMessage:
    message = FakeMessage(text + ("\n" if newline else ""))
    message.record = {
        "level": SimpleNamespace(name=level, no=no, icon=""),
        "time": time,
        "process": SimpleNamespace(id=pid, name="MainProcess"),
        "extra": extra or {},
        "message": text,
    }
    return message


class UdpReceiver:
    """A loopback UDP socket that collects datagrams for assertions."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock.bind((host, 0))
        self.port: int = self.sock.getsockname()[1]
        self.url = f"udp://[{host}]:{self.port}" if ":" in host else f"udp://{host}:{self.port}"

    def receive(self, count: int = 1, timeout: float = 5.0) -> list[bytes]:
        self.sock.settimeout(timeout)
        return [self.sock.recv(1 << 17) for _ in range(count)]

    def pending(self) -> list[bytes]:
        """Whatever has arrived, without waiting."""
        self.sock.setblocking(False)
        out = []
        try:
            while True:
                out.append(self.sock.recv(1 << 17))
        except BlockingIOError:
            return out

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def udp_receiver() -> Iterator[UdpReceiver]:
    receiver = UdpReceiver()
    yield receiver
    receiver.close()


@pytest.fixture
def fresh_logger() -> Iterator[Any]:
    """loguru's logger with no handlers; whatever a test adds is removed (and stopped) after."""
    from loguru import logger

    logger.remove()
    yield logger
    logger.remove()


def started(daemon: Any, name: str, kind: str, **options: Any) -> Any:
    """`daemon` (from a daemon factory) with one input, started."""
    daemon.add_input(name, kind, **options)
    daemon.start()
    return daemon


def tls_input(certs: Any, *, require_client_cert: bool = False) -> dict[str, Any]:
    """The add_input() options of a TLS input with the test CA's server certificate
    (and, with `require_client_cert`, that CA to verify clients)."""
    options: dict[str, Any] = {"cert_file": certs.server_cert_file, "key_file": certs.server_key_file}
    if require_client_cert:
        options.update(ca_file=certs.ca_file, require_client_cert=True)
    return options


def ensure_level(logger: Any, name: str, no: int) -> None:
    """Add a custom level once (loguru's level registry outlives logger.remove())."""
    try:
        logger.level(name)
    except ValueError:
        logger.level(name, no=no)


# -- in CI a skipped real-daemon test is a failure, not a quiet pass -------------------------

_skipped_daemon_tests: list[str] = []
_DAEMON_FIXTURES = {"rsyslog_factory", "syslog_ng_factory", "daemon_factory", "journald", "journald_factory"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that uses a real daemon carries the `daemon` marker (`-m daemon` selects them)."""
    for item in items:
        if _DAEMON_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.daemon)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and "daemon" in report.keywords:
        _skipped_daemon_tests.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _skipped_daemon_tests and os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        print(f"\nCI: {len(_skipped_daemon_tests)} real-daemon tests were skipped; that is a failure here:")
        for nodeid in _skipped_daemon_tests:
            print(f"  {nodeid}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def make_log_record(
    text: str = "hello",
    *,
    level: int = 20,
    name: str = "golden",
    extra: dict[str, Any] | None = None,
    exc_info: Any = None,
    time: datetime = FIXED_TIME,
    pid: int = FIXED_PID,
    pathname: str = "/srv/app/golden.py",
    lineno: int = 12,
    func: str = "handler",
) -> Any:
    """The stdlib's LogRecord for what make_message() gives the sink: the same text, level
    number, time and process (the level name is the one `logging` has for `level`)."""
    import logging

    record = logging.getLogger(name).makeRecord(name, level, pathname, lineno, text, None, exc_info, func, extra)
    record.created = time.timestamp()
    record.msecs = time.microsecond / 1000
    record.process = pid
    return record
