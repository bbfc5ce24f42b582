"""RELP (``relp://``, ``relp+tls://``) against a real rsyslog ``imrelp`` (package rsyslog-relp).

Public API only. The daemon side comes from ``tests/daemons.py`` (input kinds ``relp`` and
``relp-tls``): its RELP ruleset has a ``Direct`` queue and the file action flushes at the end
of each transaction, so an ack from rsyslog means the message is in the file and a SIGKILL
loses nothing that was acked. Whatever is missing after a kill is the client's loss.

What imrelp (rsyslog 8.2302, librelp 1.11) answers, measured by hand (see also the notes):

- ``open`` -> ``1 rsp 93 200 OK\\nrelp_version=0\\nrelp_software=librelp,1.11.0,...\\ncommands=syslog\\n``
- ``syslog`` -> ``N rsp 6 200 OK\\n``; ``close`` -> ``N rsp 0\\n0 serverclose 0\\n`` then EOF;
  SIGTERM -> ``0 serverclose 0\\n`` then EOF.
- A frame over ``maxDataSize``: ``oversizeMode="truncate"`` (default) cuts it and acks ``200``;
  ``"abort"`` sends ``0 serverclose 0\\n`` and closes (no ``500``, the frame is never acked).
- The only ``500`` librelp gives to ``syslog`` is ``500 command disabled`` (no ``open`` that
  enabled ``syslog``): a client that opens properly never gets one from rsyslog. The
  ``rejected`` counter is therefore tested against a scripted RELP peer (RelpPeer below),
  the only test here without a real daemon.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from typing import Any

import pytest

import loguru_syslog
from conftest import ensure_level, started, tls_input
from loguru_syslog import SyslogConfigError, SyslogSink
from test_promises import body, collect, figures, frozen_during, paced, restarted_during, tally

MAX = 16384  # the daemon's maxMessageSize = imrelp maxDataSize in the matrix
WINDOW = 128  # the default relp_window, spelled out where a test counts with it
SD_ID = "relp@32473"
LEVELS = [  # API.md severity table; a custom level takes the highest built-in at or below it
    ("TRACE", 7),
    ("DEBUG", 7),
    ("INFO", 6),
    ("SUCCESS", 5),
    ("WARNING", 4),
    ("ERROR", 3),
    ("CRITICAL", 2),
    ("RELP_AUDIT", 3),  # no=45 -> ERROR's severity
]


def relp_rsyslog(factory: Any, transport: str, certs: Any, max_message_size: int = MAX, **input_options: Any) -> Any:
    """A started rsyslog with one RELP input named "relp"; returns (daemon, url, sink TLS options)."""
    rsyslog = factory(max_message_size=max_message_size)
    mtls = transport == "relp+tls-mtls"
    if transport == "relp":
        rsyslog.add_input("relp", "relp", **input_options)
    else:
        rsyslog.add_input("relp", "relp-tls", **tls_input(certs, require_client_cert=mtls), **input_options)
    rsyslog.start()
    if transport == "relp":
        return rsyslog, rsyslog.url("relp"), {}
    options = {"tls_ca_file": str(certs.ca_file)}
    if mtls:
        options.update(tls_cert_file=str(certs.client_cert_file), tls_key_file=str(certs.client_key_file))
    return rsyslog, f"relp+tls://localhost:{rsyslog.port('relp')}", options


def settled(daemon: Any, want: int, timeout: float = 10.0) -> list[dict[str, Any]]:
    """The daemon's messages once it has `want`, plus anything that comes within 0.3 s."""
    daemon.wait_for(want, timeout)
    time.sleep(0.3)
    messages: list[dict[str, Any]] = daemon.messages()
    return messages


# -- 1. The basic matrix --------------------------------------------------------------------


@pytest.mark.parametrize("transport", ["relp", "relp+tls", "relp+tls-mtls"])
def test_every_level_sd_and_messages_up_to_max_data_size_arrive(
    rsyslog_factory: Any, tls_certs: Any, fresh_logger: Any, transport: str
) -> None:
    """Every level with its severity, SD from bound extras, a message just under imrelp's
    maxDataSize arriving whole and one cut by the sink to exactly maxDataSize octets
    (rsyslog takes it whole: raw == what was sent); every message acked once, nothing
    resent or rejected."""
    ensure_level(fresh_logger, "RELP_AUDIT", 45)
    rsyslog, url, tls = relp_rsyslog(rsyslog_factory, transport, tls_certs)
    sink = SyslogSink(url, app_name="relp-test", hostname="relp-host", sd_id=SD_ID, max_message_size=MAX, **tls)
    fresh_logger.add(sink, level=0, format="{message}", catch=False)
    for name, _ in LEVELS:
        fresh_logger.log(name, f"level {name}")
    fresh_logger.bind(user="alice", attempt=3).info("with extras")
    whole = "".join(chr(0x41 + i % 26) for i in range(MAX - 600))  # the header is < 600 octets
    fresh_logger.info(whole)
    longer = "".join(chr(0x61 + i % 26) for i in range(MAX + 1000))
    fresh_logger.info(longer)
    fresh_logger.info("last")
    logged = len(LEVELS) + 4
    fresh_logger.remove()  # stop(): waits for every ack
    stats = sink.stats
    got = settled(rsyslog, logged)

    assert [m["msg"] for m in got] == [f"level {n}" for n, _ in LEVELS] + ["with extras", whole, got[-2]["msg"], "last"]
    for message, (name, severity) in zip(got, LEVELS):
        assert (message["severity"], message["facility"]) == (severity, 1), (name, message)
    assert all(m["app_name"] == "relp-test" and m["hostname"] == "relp-host" for m in got), got[0]
    assert got[len(LEVELS)]["sd"] == {SD_ID: {"user": "alice", "attempt": "3"}}
    cut = got[-2]
    assert len(cut["raw"].encode("utf-8", "surrogateescape")) == MAX, "not cut to exactly max_message_size"
    assert longer.startswith(cut["msg"]) and len(cut["msg"]) > MAX - 600
    assert "too long" not in rsyslog.internal_log(), rsyslog.internal_log()[-2000:]
    assert (stats.sent, stats.resent, stats.rejected, stats.dropped, stats.truncated) == (logged, 0, 0, 0, 1), stats


# -- 2. Refusals: a 500, and imrelp's own oversize handling ----------------------------------


class RelpPeer:
    """A scripted RELP server on loopback, for the one answer rsyslog never gives an opened
    session: ``500``. Answers ``open`` as imrelp 1.11 does, ``syslog`` with ``500`` when the
    data contains ``REJECT`` (else ``200 OK``), ``close`` with ``rsp 0`` then
    ``serverclose``. Records the data of every ``syslog`` command."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"relp://127.0.0.1:{self.server.getsockname()[1]}"
        self.received: list[bytes] = []
        self.connections = 0
        self.commands: list[bytes] = []
        self._stop = False
        self._thread = threading.Thread(target=self._serve, name="relp-peer", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        self.server.settimeout(0.1)
        while not self._stop:
            try:
                conn, _ = self.server.accept()
            except (socket.timeout, OSError):
                continue
            self.connections += 1
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _session(self, conn: socket.socket) -> None:
        buf = b""
        with conn:
            conn.settimeout(0.2)
            while not self._stop:
                try:
                    chunk = conn.recv(65536)
                except socket.timeout:
                    continue
                except OSError:
                    return
                if not chunk:
                    return
                buf += chunk
                while True:
                    frame, buf = self._frame(buf)
                    if frame is None:
                        break
                    if not self._answer(conn, *frame):
                        return

    @staticmethod
    def _frame(buf: bytes) -> tuple[tuple[int, bytes, bytes] | None, bytes]:
        """(txnr, command, data) of the first whole frame of `buf`, and the rest."""
        parts = buf.split(b" ", 3)
        if len(parts) < 3:
            return None, buf
        txnr, command = int(parts[0]), parts[1]
        length_text = parts[2].split(b"\n", 1)[0]
        if len(length_text) == len(parts[2]) and len(parts) == 3:
            return None, buf  # DATALEN not complete yet
        length = int(length_text)
        head = len(parts[0]) + len(parts[1]) + len(length_text) + 2
        if length == 0:
            end = head + 1
            data = b""
        else:
            end = head + 1 + length + 1
            data = buf[head + 1 : head + 1 + length]
        if len(buf) < end:
            return None, buf
        assert buf[end - 1 : end] == b"\n", buf[:end]
        return (txnr, command, data), buf[end:]

    def _answer(self, conn: socket.socket, txnr: int, command: bytes, data: bytes) -> bool:
        self.commands.append(command)

        def rsp(text: bytes) -> bytes:
            return b"%d rsp %d %s\n" % (txnr, len(text), text) if text else b"%d rsp 0\n" % txnr

        if command == b"open":
            conn.sendall(rsp(b"200 OK\nrelp_version=0\nrelp_software=test-peer\ncommands=syslog"))
        elif command == b"syslog":
            self.received.append(data)
            conn.sendall(rsp(b"500 refused by the test peer" if b"REJECT" in data else b"200 OK"))
        elif command == b"close":
            conn.sendall(rsp(b"") + b"0 serverclose 0\n")
            return False
        else:
            conn.sendall(b"0 serverclose 0\n")
            return False
        return True

    def close(self) -> None:
        self._stop = True
        self.server.close()
        self._thread.join(2)


def test_a_500_is_counted_as_rejected_not_resent_and_later_messages_still_arrive(fresh_logger: Any) -> None:
    """A scripted peer (rsyslog never answers 500 to an opened session): two of six
    messages get ``500``. stats.rejected == 2, stats.sent == 4, each message reached the peer
    exactly once, in order (a refused message is not sent again), one connection, and the
    session ends with ``close``."""
    peer = RelpPeer()
    try:
        sink = SyslogSink(peer.url, header="pri", timeout=2.0)
        fresh_logger.add(sink, format="{message}", catch=False)
        texts = ["m0", "REJECT m1", "m2", "m3", "REJECT m4", "m5"]
        for text in texts:
            fresh_logger.info(text)
        fresh_logger.remove()
        stats = sink.stats
        figures("relp 500", received=peer.received, commands=peer.commands, stats=stats)
        assert [d.split(b">", 1)[1].decode() for d in peer.received] == texts
        assert (stats.rejected, stats.sent, stats.resent, stats.dropped) == (2, 4, 0, 0), stats
        assert peer.connections == 1
        # `close` is sent, not waited for: give the peer's thread a moment to read it.
        waited = time.monotonic() + 2.0
        while peer.commands[-1] != b"close" and time.monotonic() < waited:
            time.sleep(0.01)
        assert peer.commands[0] == b"open" and peer.commands[-1] == b"close", peer.commands
    finally:
        peer.close()


def test_oversize_abort_never_fires_when_max_message_size_matches_max_data_size(
    rsyslog_factory: Any, tls_certs: Any, fresh_logger: Any
) -> None:
    """imrelp with oversizeMode="abort" and maxDataSize 4096, the sink with
    max_message_size=4096: an oversized record is cut by the sink (counted in truncated),
    acked, and the session goes on: later messages arrive, nothing rejected or resent."""
    size = 4096
    rsyslog, url, _ = relp_rsyslog(rsyslog_factory, "relp", tls_certs, max_message_size=size, oversize_mode="abort")
    sink = SyslogSink(url, max_message_size=size, timeout=2.0)
    fresh_logger.add(sink, format="{message}", catch=False)
    fresh_logger.info("before")
    fresh_logger.info("x" * 3 * size)
    for n in range(3):
        fresh_logger.info(f"after {n}")
    fresh_logger.remove()
    stats = sink.stats
    got = settled(rsyslog, 5)
    assert [m["msg"][:6] for m in got] == ["before", "xxxxxx", "after ", "after ", "after "]
    assert len(got[1]["raw"]) == size
    assert "session will be closed" not in rsyslog.internal_log()
    assert (stats.sent, stats.truncated, stats.rejected, stats.resent, stats.reconnects) == (5, 1, 0, 0, 0), stats


def test_a_frame_imrelp_aborts_on_costs_bounded_calls_and_a_bounded_stop(
    rsyslog_factory: Any, tls_certs: Any, fresh_logger: Any
) -> None:
    """What really happens with oversizeMode="abort": a frame over maxDataSize gets no
    ``500`` but ``0 serverclose 0`` and a closed connection, and again on every session it is
    sent again in (at-least-once: it stays the oldest unacked message). Whatever the sink
    does about it, the promises hold: no call waits longer than timeout (+0.5 s), stop()
    returns within stop_timeout (+1 s), the message before it was delivered."""
    size, timeout, stop_timeout = 4096, 0.5, 2.0
    rsyslog, url, _ = relp_rsyslog(rsyslog_factory, "relp", tls_certs, max_message_size=size, oversize_mode="abort")
    sink = SyslogSink(
        url, max_message_size=4 * size, timeout=timeout, stop_timeout=stop_timeout, backoff_min=0.01, backoff_max=0.05
    )
    fresh_logger.add(sink, format="{message}", catch=False)
    durations = []
    for text in ["before", "y" * 2 * size] + [f"after {n}" for n in range(20)]:
        began = time.monotonic()
        fresh_logger.info(text)
        durations.append(time.monotonic() - began)
        time.sleep(0.05)
    began = time.monotonic()
    fresh_logger.remove()
    removed = time.monotonic() - began
    stats = sink.stats
    time.sleep(0.3)
    got = [m["msg"][:8] for m in rsyslog.messages()]
    aborts = rsyslog.internal_log().count("session will be closed")
    figures(
        "relp oversize abort",
        arrived=len(got),
        distinct=sorted(set(got)),
        aborted_sessions=aborts,
        slowest_call=f"{max(durations):.3f}",
        remove_seconds=f"{removed:.3f}",
        stats=stats,
    )
    assert aborts >= 1, "imrelp did not abort the session: " + rsyslog.internal_log()[-2000:]
    assert "before" in got
    assert max(durations) < timeout + 0.5, durations
    assert removed < stop_timeout + 1.0, removed
    # The message that kills every session is given up after three sessions in a row
    # (counted as rejected), so it does not hold back the twenty behind it.
    assert stats.rejected == 1, stats
    assert [m for m in got if m.startswith("after")] == [f"after {n}"[:8] for n in range(20)]
    assert stats.sent == 21 and stats.dropped == 0, stats


# -- 3. The guarantee: SIGKILL under load -----------------------------------------------------


@pytest.mark.parametrize("mode", ["direct", "background"])
def test_rsyslog_sigkilled_under_load_and_restarted_loses_nothing(
    rsyslog_factory: Any, fresh_logger: Any, mode: str
) -> None:
    """2500 msg/s for 4 s over relp://, rsyslog SIGKILLed at 1.5 s and started again 0.75 s
    later. Every message arrives at least once (0 lost); duplicates (the acks the kill ate)
    at most one window and never more than were resent; first arrivals in order; every
    message acked exactly once (stats.sent == count)."""
    rsyslog = started(rsyslog_factory(), "relp", "relp")
    options: dict[str, Any] = {"background": True} if mode == "background" else {}
    sink = SyslogSink(rsyslog.url("relp"), relp_window=WINDOW, stop_timeout=20, **options)
    fresh_logger.add(sink, format="{message}", catch=False)
    rate, count = 2500, 10_000
    expected = {n: body(n) for n in range(count)}
    current = [0]

    def log(n: int) -> None:
        current[0] = n
        fresh_logger.info(expected[n])

    began = time.monotonic()
    with restarted_during(rsyslog, current, kill_at=1.5, down_for=0.75) as marks:
        durations = paced(rate, count, log)
        fresh_logger.remove()  # stop(): every ack, then close
        seconds = time.monotonic() - began
        result = tally(collect(rsyslog, count, last=expected[count - 1], timeout=20), expected)
    stats = sink.stats
    figures(
        f"relp sigkill {mode}",
        lost=len(result.lost),
        duplicated=result.duplicated,
        resent=stats.resent,
        seconds=f"{seconds:.2f}",
        marks=marks,
        slowest_call=f"{max(durations):.3f}",
        result=result.figures(),
        stats=stats,
    )
    assert "kill" in marks and "up" in marks, marks
    assert not result.lost, result.figures()
    assert result.duplicated <= WINDOW, result.figures()
    assert result.duplicated <= stats.resent, (result.figures(), stats)
    assert not result.out_of_order and not result.garbled and not result.notices, result.figures()
    assert (stats.sent, stats.dropped, stats.rejected) == (count, 0, 0), stats
    assert stats.reconnects >= 1, stats


# -- 4. A daemon that stops reading ------------------------------------------------------------


def test_a_frozen_rsyslog_costs_bounded_calls_and_nothing_is_lost(rsyslog_factory: Any, fresh_logger: Any) -> None:
    """2000 msg/s for 4 s over relp://, rsyslog frozen (SIGSTOP) from 1 s to 3 s: the
    window fills and calls wait, but none longer than timeout (+0.5 s); the connection is
    kept (a stall is not a failure): every message arrives exactly once, in order, acked
    once, nothing resent."""
    timeout, rate, count = 1.0, 2000, 8000
    rsyslog = started(rsyslog_factory(), "relp", "relp")
    sink = SyslogSink(rsyslog.url("relp"), timeout=timeout, buffer_size=50_000, stop_timeout=20)
    fresh_logger.add(sink, format="{message}", catch=False)
    expected = {n: body(n, 300) for n in range(count)}
    began = time.monotonic()
    with frozen_during(rsyslog.pid, freeze_at=1.0, thaw_at=3.0):
        durations = paced(rate, count, lambda n: fresh_logger.info(expected[n]))
    fresh_logger.remove()
    seconds = time.monotonic() - began
    result = tally(collect(rsyslog, count, last=expected[count - 1], timeout=20), expected)
    stats = sink.stats
    slow = [d for d in durations if d > timeout + 0.5]
    figures(
        "relp sigstop",
        lost=len(result.lost),
        duplicated=result.duplicated,
        resent=stats.resent,
        seconds=f"{seconds:.2f}",
        slowest_call=f"{max(durations):.3f}",
        calls_over_bound=len(slow),
        result=result.figures(),
        stats=stats,
    )
    assert not slow, f"{len(slow)} calls over {timeout + 0.5} s, slowest {max(durations):.2f} s"
    assert not result.lost and not result.duplicated and not result.out_of_order, result.figures()
    assert not result.garbled and not result.notices, result.figures()
    assert (stats.sent, stats.dropped, stats.resent, stats.rejected, stats.reconnects) == (count, 0, 0, 0, 0), stats


# -- 5. Configuration ---------------------------------------------------------------------------


def test_relp_window_is_an_option_of_relp_addresses_only() -> None:
    assert loguru_syslog.RELPTransport is not None
    with pytest.raises(SyslogConfigError, match=r"(?i)relp_window"):
        SyslogSink("tcp://h:1", relp_window=5)
    with pytest.raises(SyslogConfigError, match=r"(?i)relp_window"):
        SyslogSink("relp://h?relp_window=0")
    with pytest.raises(SyslogConfigError, match=r"(?i)relp_window"):
        SyslogSink("relp://127.0.0.1:1", relp_window=0)
    with pytest.raises(SyslogConfigError, match=r"(?i)relp_window"):
        SyslogSink.from_env(environ={"SYSLOG_URL": "relp://127.0.0.1:1", "SYSLOG_RELP_WINDOW": "-1"})
    for sink in (
        SyslogSink("relp://127.0.0.1:1", relp_window=5),
        SyslogSink("relp://127.0.0.1:1?relp_window=7"),
        SyslogSink.from_env(environ={"SYSLOG_URL": "relp+tls://localhost:1", "SYSLOG_RELP_WINDOW": "9"}),
    ):
        sink.stop()


# -- the check command ---------------------------------------------------------------------------


def test_check_reports_each_level_acknowledged_by_a_real_imrelp(rsyslog_factory: Any, tls_certs: Any) -> None:
    import subprocess
    import sys

    rsyslog, url, _ = relp_rsyslog(rsyslog_factory, "relp", tls_certs)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYSLOG_")}
    env["SYSLOG_URL"] = url
    done = subprocess.run(
        [sys.executable, "-m", "loguru_syslog", "check"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if "-> " in line and "PRI" in line]
    assert len(lines) == 7 and all(line.endswith(": sent") for line in lines), done.stdout
    assert "(acknowledged by the server)" in done.stdout
    assert len(rsyslog.wait_for(7)) == 7


def test_background_counts_acknowledgements_while_the_application_is_idle(
    rsyslog_factory: Any, tls_certs: Any, fresh_logger: Any
) -> None:
    """With background=True the writer reads late acknowledgements while idle: `sent`
    reaches the number logged without another message or stop()."""
    rsyslog, url, _ = relp_rsyslog(rsyslog_factory, "relp", tls_certs)
    sink = SyslogSink(url, background=True)
    fresh_logger.add(sink, format="{message}", catch=False)
    for n in range(10):
        fresh_logger.info(f"idle {n}")
    rsyslog.wait_for(10)
    waited = time.monotonic() + 3.0
    while sink.stats.sent < 10 and time.monotonic() < waited:
        time.sleep(0.02)
    assert sink.stats.sent == 10 and sink.stats.queued == 0, sink.stats
