"""journald:// against a real systemd-journald (a private one per test: tests/daemons.py).

The first tests prove the fixture with datagrams made by hand; the others check every field
of the contract (docs/API: "Transports added in the second round") as journalctl reads it back.
"""

from __future__ import annotations

import array
import fcntl
import inspect
import os
import socket
import struct
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import loguru_syslog
from conftest import ensure_level
from loguru_syslog import SyslogConfigError, SyslogSink

# -- the fixture, by hand ---------------------------------------------------------------------


def _send(path: str, entry: bytes) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.sendto(entry, path)


def _binary_field(name: bytes, value: bytes) -> bytes:
    return name + b"\n" + struct.pack("<Q", len(value)) + value + b"\n"


def test_fixture_reads_back_native_datagrams_sent_by_hand(journald: Any) -> None:
    _send(journald.socket_path, b"MESSAGE=hi\nPRIORITY=5\nSYSLOG_IDENTIFIER=probe\n")
    # The same socket seen from outside the namespace through /proc/<pid>/root; a
    # binary-safe value with a newline and a value that is not UTF-8.
    entry = _binary_field(b"MESSAGE", b"two\nlines") + b"SYSLOG_IDENTIFIER=probe\n"
    _send(journald.proc_socket_path, entry + _binary_field(b"BLOB", b"\xff\xfe ok"))
    first, second = journald.wait_for(2, identifier="probe")
    assert (first["MESSAGE"], first["PRIORITY"], first["_TRANSPORT"]) == ("hi", "5", "journal")
    assert first["_PID"] == str(os.getpid())  # journald's own credentials of the sender
    assert second["MESSAGE"] == "two\nlines"
    assert second["BLOB"] == "\udcff\udcfe ok"  # journalctl's byte array, decoded
    assert journald.entries(SYSLOG_IDENTIFIER="nobody") == []


def test_fixture_takes_a_sealed_memfd_and_survives_a_restart(journald: Any) -> None:
    text = "memfd " + "0123456789" * 100_000  # 1 MB: over the default datagram size
    fd = os.memfd_create("probe", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    try:
        os.write(fd, b"MESSAGE=" + text.encode() + b"\nSYSLOG_IDENTIFIER=probe\n")
        seals = fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_WRITE | fcntl.F_SEAL_SEAL
        fcntl.fcntl(fd, fcntl.F_ADD_SEALS, seals)
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            rights = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd]).tobytes())]
            sock.sendmsg([], rights, 0, journald.socket_path)
    finally:
        os.close(fd)
    assert journald.wait_for(1, identifier="probe")[0]["MESSAGE"] == text
    # restart(): the same socket path, a new process, the journal kept.
    old_pid, path = journald.pid, journald.socket_path
    journald.restart()
    assert journald.pid != old_pid and journald.socket_path == path
    _send(path, b"MESSAGE=after\nSYSLOG_IDENTIFIER=probe\n")
    assert [e["MESSAGE"][:6] for e in journald.wait_for(2, identifier="probe")] == ["memfd ", "after"]


# -- the sink -----------------------------------------------------------------------------------


class Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no text for you")


#: Extras with hostile names: what each becomes (None: dropped, counted in stats.sanitized).
EXTRAS: dict[str, tuple[Any, str | None, str]] = {
    # key: (value, field name, field value)
    "order_id": (42, "ORDER_ID", "42"),
    "x-y.z": ("dots", "X_Y_Z", "dots"),
    "__secret": ("s3", "SECRET", "s3"),
    "9lives": ("cat", "LIVES", "cat"),
    "--": ("gone", None, ""),
    "a" * 100: ("long", "A" * 64, "long"),
    "multi": ("line1\nline2\n", "MULTI", "line1\nline2\n"),
    "obj": (Unprintable(), "OBJ", "<unprintable Unprintable>"),
    "msgid": ("0123456789abcdef0123456789ABCDEF", "MESSAGE_ID", "0123456789abcdef0123456789ABCDEF"),
}


def _log_an_exception(logger: Any) -> int:
    """Log a caught ZeroDivisionError with every extra; return the line of the call."""
    try:
        1 / 0  # noqa: B018
    except ZeroDivisionError:
        frame = inspect.currentframe()
        assert frame is not None
        line = frame.f_lineno + 1
        logger.bind(**{key: value for key, (value, _, _) in EXTRAS.items()}).exception("failed: order 42")
    return line


def test_every_field_of_a_record_with_extras_and_a_traceback(journald: Any, fresh_logger: Any) -> None:
    sink = SyslogSink(journald.url, app_name="fields-app", facility="local3")
    fresh_logger.add(sink, format="{message}", level="TRACE", catch=False)
    line = _log_an_exception(fresh_logger)
    (entry,) = journald.wait_for(1, identifier="fields-app")

    assert entry["_TRANSPORT"] == "journal"  # the native protocol, not syslog or stdout
    assert entry["MESSAGE"].split("\n")[0] == "failed: order 42"
    assert not entry["MESSAGE"].endswith("\n")
    assert entry["PRIORITY"] == "3"  # ERROR
    assert entry["SYSLOG_FACILITY"] == "19"  # local3
    assert entry["SYSLOG_IDENTIFIER"] == "fields-app"
    assert entry["SYSLOG_PID"] == str(os.getpid())
    assert entry["CODE_FILE"] == __file__
    assert entry["CODE_LINE"] == str(line)
    assert entry["CODE_FUNC"] == "_log_an_exception"
    assert entry["LOGGER"] == __name__
    assert entry["THREAD_NAME"] == threading.current_thread().name

    traceback_text = entry["TRACEBACK"]
    assert traceback_text.startswith("Traceback (most recent call last):\n")
    assert "in _log_an_exception" in traceback_text and "1 / 0" in traceback_text
    assert traceback_text.rstrip("\n").endswith("ZeroDivisionError: division by zero")

    for key, (_, name, value) in EXTRAS.items():
        if name is not None:
            assert entry.get(name) == value, key
    # Every field of the entry is accounted for: ours, journald's (_X, __X), the extras.
    ours = {
        "MESSAGE", "PRIORITY", "SYSLOG_FACILITY", "SYSLOG_IDENTIFIER", "SYSLOG_PID", "CODE_FILE",
        "CODE_LINE", "CODE_FUNC", "LOGGER", "THREAD_NAME", "TRACEBACK",
    }  # fmt: skip
    extras = {name for _, name, _ in EXTRAS.values() if name is not None}
    assert {k for k in entry if not k.startswith("_")} == ours | extras
    assert sink.stats.sanitized == 1  # "--": nothing left of the name, dropped and counted
    assert (sink.stats.sent, sink.stats.dropped, sink.stats.errors) == (1, 0, 0)


def test_an_extra_never_overrides_the_entry_own_fields(journald: Any, fresh_logger: Any) -> None:
    sink = SyslogSink(journald.url, app_name="own-fields")
    fresh_logger.add(sink, format="{message}", catch=False)
    fresh_logger.bind(priority="0", message="forged", syslog_identifier="other").warning("real")
    (entry,) = journald.wait_for(1, identifier="own-fields")
    assert (entry["MESSAGE"], entry["PRIORITY"], entry["SYSLOG_IDENTIFIER"]) == ("real", "4", "own-fields")


def test_multi_line_messages_are_kept(journald: Any, fresh_logger: Any) -> None:
    sink = SyslogSink(journald.url, app_name="multi")
    fresh_logger.add(sink, format="{message}", catch=False)
    texts = ["first\nsecond", "line1\nline2\n\nline4", "tab\tand\rcr", "ends with newline\n", "\n", "ünï\n✓"]
    for text in texts:
        fresh_logger.info(text)
    got = journald.wait_for(len(texts), identifier="multi")
    assert [e["MESSAGE"] for e in got] == texts
    assert sink.stats.sanitized == 0 and sink.stats.truncated == 0


def test_every_level_has_its_priority(journald: Any, fresh_logger: Any) -> None:
    ensure_level(fresh_logger, "AUDIT", 45)  # not in the table: the highest built-in below (ERROR)
    ensure_level(fresh_logger, "PAGE", 35)  # in the user's table
    sink = SyslogSink(journald.url, app_name="levels", severities={"PAGE": "alert"})
    fresh_logger.add(sink, format="{message}", level="TRACE", catch=False)
    expected = [
        ("TRACE", "7"), ("DEBUG", "7"), ("INFO", "6"), ("SUCCESS", "5"), ("WARNING", "4"),
        ("ERROR", "3"), ("CRITICAL", "2"), ("AUDIT", "3"), ("PAGE", "1"),
    ]  # fmt: skip
    for name, _ in expected:
        fresh_logger.log(name, name)
    fresh_logger.log(15, "Level 15")  # a bare number: debug
    got = journald.wait_for(len(expected) + 1, identifier="levels")
    assert [(e["MESSAGE"], e["PRIORITY"]) for e in got] == [*expected, ("Level 15", "7")]


def _message_of(chars: int) -> str:
    """`chars` characters, 2 bytes each on average (a, é, €), lines of 100."""
    pattern = ("aé€" * 33 + "\n")[:100]
    text = (pattern * (chars // 100 + 1))[:chars]
    return text


def test_a_300000_character_message_arrives_whole(journald: Any, fresh_logger: Any) -> None:
    # 300 000 characters, about 600 000 bytes: over a datagram with the kernel's default
    # net.core.wmem_max (212 992, a 425 984-byte send buffer), so the memfd path there.
    text = _message_of(300_000)
    sink = SyslogSink(journald.url, app_name="big")
    fresh_logger.add(sink, format="{message}", catch=False)
    fresh_logger.info(text)
    (entry,) = journald.wait_for(1, identifier="big")
    assert len(entry["MESSAGE"]) == 300_000 and entry["MESSAGE"] == text
    assert (sink.stats.sent, sink.stats.truncated, sink.stats.dropped) == (1, 0, 0)


def test_an_entry_larger_than_any_datagram_goes_by_memfd(
    journald: Any, fresh_logger: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Larger than the biggest send buffer this machine allows (twice net.core.wmem_max):
    # no datagram can carry it, whatever the sink asks for.
    wmem_max = int(Path("/proc/sys/net/core/wmem_max").read_text())
    text = _message_of(max(300_000, int(wmem_max * 1.1) + (1 << 16)))  # ~1.99 bytes a character
    memfds = []
    real = os.memfd_create

    def spy(name: str, flags: int = os.MFD_CLOEXEC) -> int:
        fd = real(name, flags)
        memfds.append(fd)
        return fd

    monkeypatch.setattr(os, "memfd_create", spy)
    sink = SyslogSink(journald.url, app_name="huge")
    fresh_logger.add(sink, format="{message}", catch=False)
    fresh_logger.warning(text)
    (entry,) = journald.wait_for(1, identifier="huge", timeout=20)
    assert len(memfds) == 1
    assert entry["MESSAGE"] == text and entry["PRIORITY"] == "4"
    assert (sink.stats.sent, sink.stats.truncated) == (1, 0)


def test_pid_thread_and_code_location_are_those_of_the_logging_call(journald: Any, fresh_logger: Any) -> None:
    sink = SyslogSink(journald.url, app_name="where")
    fresh_logger.add(sink, format="{message}", catch=False)
    lines: list[int] = []

    def in_a_thread() -> None:
        frame = inspect.currentframe()
        assert frame is not None
        lines.append(frame.f_lineno + 1)
        fresh_logger.info("from the worker")

    worker = threading.Thread(target=in_a_thread, name="worker-7")
    worker.start()
    worker.join()
    (entry,) = journald.wait_for(1, identifier="where")
    assert (entry["SYSLOG_PID"], entry["_PID"]) == (str(os.getpid()), str(os.getpid()))
    assert (entry["CODE_FILE"], entry["CODE_LINE"], entry["CODE_FUNC"]) == (__file__, str(lines[0]), "in_a_thread")
    assert (entry["THREAD_NAME"], entry["LOGGER"]) == ("worker-7", __name__)
    assert "TRACEBACK" not in entry  # no exception, no field


def test_msgid_of_32_hex_digits_is_the_message_id(journald: Any, fresh_logger: Any) -> None:
    sink = SyslogSink(journald.url, app_name="msgid")
    fresh_logger.add(sink, format="{message}", catch=False)
    fresh_logger.bind(msgid="f77379a8490b408bbe5f6940505a777b").info("catalogued")
    fresh_logger.bind(msgid="order-flow").info("not an id128")
    first, second = journald.wait_for(2, identifier="msgid")
    assert first["MESSAGE_ID"] == "f77379a8490b408bbe5f6940505a777b"
    assert "MESSAGE_ID" not in second and second["MESSAGE"] == "not an id128"


@pytest.mark.parametrize(
    "option",
    [{"header": "rfc5424"}, {"framing": "lf"}, {"hostname": "web1"}, {"tls_verify": False}, {"tls_ca_file": "/x.pem"}],
    ids=lambda option: next(iter(option)),
)
def test_options_that_do_not_apply_are_config_errors(option: dict[str, Any]) -> None:
    for address in ("journald://", "journald:///tmp/some.sock"):
        with pytest.raises(SyslogConfigError, match=next(iter(option))):
            SyslogSink(address, **option)


def test_the_url_forms_and_the_public_transport(journald: Any, fresh_logger: Any) -> None:
    transport_cls = loguru_syslog.JournaldTransport
    # The system socket: nothing connects at construction (there may be no journald here).
    assert isinstance(SyslogSink("journald://").transport, transport_cls)
    sinks = [
        SyslogSink.from_env(environ={"SYSLOG_URL": journald.url, "SYSLOG_APP_NAME": "forms"}),
        SyslogSink(transport_cls(journald.socket_path, timeout=1.0), app_name="forms"),
        SyslogSink(f"journald://{journald.socket_path}", app_name="forms"),
    ]
    for number, sink in enumerate(sinks):
        handler = fresh_logger.add(sink, format="{message}", catch=False)
        fresh_logger.info(f"via {number}")
        fresh_logger.remove(handler)
    got = journald.wait_for(len(sinks), identifier="forms")
    assert [e["MESSAGE"] for e in got] == ["via 0", "via 1", "via 2"]


def test_a_journald_not_there_yet_gets_the_messages_once_it_is(journald_factory: Any, fresh_logger: Any) -> None:
    journald = journald_factory()  # not started: the socket path does not exist
    assert not os.path.exists(journald.socket_path)
    sink = SyslogSink(journald.url, app_name="late", backoff_min=0.05, backoff_max=0.2, timeout=1.0)
    fresh_logger.add(sink, format="{message}", catch=False)
    started = time.monotonic()
    for i in range(3):
        fresh_logger.info(f"early {i}")  # never raises (catch=False would let it through)
    assert time.monotonic() - started < 3.0
    assert sink.stats.sent == 0 and sink.stats.buffered == 3 and sink.stats.dropped == 0
    journald.start()
    time.sleep(0.5)  # past backoff_max (and its jitter)
    fresh_logger.info("after start")
    got = journald.wait_for(4, identifier="late")
    assert [e["MESSAGE"] for e in got] == ["early 0", "early 1", "early 2", "after start"]
    assert (sink.stats.sent, sink.stats.buffered, sink.stats.dropped) == (4, 0, 0)


def test_a_record_facility_and_its_sd_elements_reach_the_journal(journald: Any, fresh_logger: Any) -> None:
    """`syslog_facility` sets that entry's SYSLOG_FACILITY (an invalid one: the sink's, counted);
    `syslog_sd` params become `<SDID>_<PARAM>` fields; neither is a field of its own."""
    sink = SyslogSink(journald.url, app_name="per-record", facility="local3")
    fresh_logger.add(sink, format="{message}", catch=False)
    sd = {"origin": {"ip": "10.0.0.1"}, "x@32473": {"k": "v w"}}
    fresh_logger.bind(syslog_facility="auth", syslog_sd=sd, user="alice").info("first")
    fresh_logger.bind(syslog_facility="nonsense").info("second")
    fresh_logger.info("third")
    first, second, third = journald.wait_for(3, identifier="per-record")
    assert [e["MESSAGE"] for e in (first, second, third)] == ["first", "second", "third"]
    assert [e["SYSLOG_FACILITY"] for e in (first, second, third)] == ["4", "19", "19"]
    assert (first["ORIGIN_IP"], first["X_32473_K"], first["USER"]) == ("10.0.0.1", "v w", "alice")
    for entry in (first, second):
        assert "SYSLOG_SD" not in entry and "EXTRA_SYSLOG_FACILITY" not in entry
        assert not any(name.startswith("SYSLOG_SD") for name in entry), sorted(entry)
    assert sink.stats.sanitized == 1 and sink.stats.sent == 3
