"""The delivery guarantees against real peers: restarts, a peer down at start, a peer that
stops reading, connect timeouts, fork, and the background writer."""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import threading
import time
from typing import Any

import pytest

from conftest import make_message, started, tls_input
from loguru_syslog import SyslogConfigWarning, SyslogSink


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
@pytest.mark.parametrize("framing", ["octet-counting", "lf"])
def test_idle_connection_to_a_restarted_daemon_loses_nothing(
    rsyslog_factory: Any, fresh_logger: Any, sig: int, framing: str, capsys: pytest.CaptureFixture[str]
) -> None:
    rsyslog = started(rsyslog_factory(), "tcp", "tcp")
    sink = SyslogSink(rsyslog.url("tcp"), framing=framing)
    fresh_logger.add(sink, format="{message}", catch=False)
    fresh_logger.info("before")
    rsyslog.wait_for(1)
    rsyslog.kill(sig)  # the connection is idle: nothing in flight
    rsyslog.start()  # same port
    for i in range(20):
        fresh_logger.info(f"after {i}")
    got = rsyslog.wait_for(21)
    assert [m["msg"] for m in got] == ["before"] + [f"after {i}" for i in range(20)]
    assert sink.stats.reconnects == 1 and sink.stats.dropped == 0
    assert "cannot send" not in capsys.readouterr().err


def test_messages_logged_while_the_daemon_is_down_arrive_after_it_is_back(
    rsyslog_factory: Any, fresh_logger: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    rsyslog = started(rsyslog_factory(), "tcp", "tcp")
    sink = SyslogSink(rsyslog.url("tcp"), backoff_min=0.05, backoff_max=0.2)
    fresh_logger.add(sink, format="{message}", catch=False)
    fresh_logger.info("up")
    rsyslog.wait_for(1)
    rsyslog.kill(signal.SIGKILL)
    for i in range(10):
        fresh_logger.info(f"while down {i}")
    assert sink.stats.buffered == 10
    rsyslog.start()
    time.sleep(0.25)  # the longest backoff
    fresh_logger.info("back")
    got = rsyslog.wait_for(12)
    assert [m["msg"] for m in got] == ["up"] + [f"while down {i}" for i in range(10)] + ["back"]
    assert capsys.readouterr().err.count("loguru-syslog: cannot send to") == 1


def test_peer_down_at_start_then_buffered_messages_arrive_in_order_and_drops_are_reported(
    rsyslog_factory: Any, fresh_logger: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    rsyslog = started(rsyslog_factory(), "tcp", "tcp")
    url = rsyslog.url("tcp")
    rsyslog.stop()  # the port is known and nobody listens
    sink = SyslogSink(url, timeout=1, buffer_size=500, backoff_min=0.2, backoff_max=0.2)
    opens = 0
    original_open = sink.transport.open

    def counting_open() -> None:
        nonlocal opens
        opens += 1
        original_open()

    sink.transport.open = counting_open  # type: ignore[method-assign]
    fresh_logger.add(sink, format="{message}", catch=False)
    for i in range(2000):
        fresh_logger.info(f"m{i}")
    # No per-message connect stall: a refused connection is not retried before the backoff.
    assert opens <= 3
    assert sink.stats.dropped == 1500 and sink.stats.buffered == 500
    rsyslog.start()
    time.sleep(0.25)
    fresh_logger.info("last")
    got = rsyslog.wait_for(502)
    assert got[0]["msg"] == f"loguru-syslog: 1500 messages were dropped while {url} was unreachable"
    assert got[0]["severity"] == 4
    assert [m["msg"] for m in got[1:]] == [f"m{i}" for i in range(1500, 2000)] + ["last"]
    assert capsys.readouterr().err.count("loguru-syslog: cannot send to") == 1


def test_a_peer_that_never_reads_cannot_block_a_call_beyond_the_timeout(fresh_logger: Any) -> None:
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    sink = SyslogSink(f"tcp://127.0.0.1:{server.getsockname()[1]}", timeout=0.3, max_message_size=65536)
    fresh_logger.add(sink, format="{message}", catch=False)
    conn = None
    try:
        slowest = 0.0
        for _ in range(60):  # ~3.6 MB: far more than the socket buffers hold
            start = time.monotonic()
            fresh_logger.info("x" * 60000)
            slowest = max(slowest, time.monotonic() - start)
            if conn is None:
                conn, _ = server.accept()  # accepted, and never read
        # A call may wait once for the timeout (then messages wait in the buffer, in
        # order); it never waits for the peer indefinitely. A stall is not a failure:
        # the connection is kept, nothing is resent on a second one.
        assert slowest < 0.3 + 0.7
        stats = sink.stats
        assert stats.errors == 0 and stats.reconnects == 0 and stats.buffered > 0
        assert stats.buffered + stats.sent + stats.dropped == 60
    finally:
        fresh_logger.remove()
        if conn:
            conn.close()
        server.close()


def test_connect_to_a_listener_that_never_accepts_is_bounded_by_the_timeout(fresh_logger: Any) -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    fillers = []
    for _ in range(8):  # fill the accept queue: later SYNs are dropped and connect() hangs
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
        fillers.append(filler)
    try:
        sink = SyslogSink(f"tcp://127.0.0.1:{port}", timeout=0.3)
        fresh_logger.add(sink, format="{message}", catch=False)
        start = time.monotonic()
        fresh_logger.info("x")
        fresh_logger.info("y")  # within the backoff: no second connect attempt
        assert time.monotonic() - start < 0.3 + 0.7
        assert sink.stats.buffered == 2
    finally:
        fresh_logger.remove()
        for filler in fillers:
            filler.close()
        server.close()


def _child_logs(logger: Any, worker: int) -> None:
    for i in range(500):
        logger.info(f"child {worker} message {i} " + "p" * 40)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_forked_children_open_their_own_connections_and_no_frame_is_garbled(
    rsyslog_factory: Any, fresh_logger: Any
) -> None:
    rsyslog = started(rsyslog_factory(), "tcp", "tcp")
    sink = SyslogSink(rsyslog.url("tcp"))
    fresh_logger.add(sink, format="{message}", catch=False)
    fresh_logger.info("parent before fork")  # the parent is connected when it forks
    context = multiprocessing.get_context("fork")
    children = [context.Process(target=_child_logs, args=(fresh_logger, n)) for n in range(4)]
    for child in children:
        child.start()
    for i in range(200):
        fresh_logger.info(f"parent message {i}")
    for child in children:
        child.join(30)
        assert child.exitcode == 0
    got = rsyslog.wait_for(1 + 4 * 500 + 200, timeout=30)
    texts = [m["msg"] for m in got]
    expected = {"parent before fork"} | {f"parent message {i}" for i in range(200)}
    expected |= {f"child {w} message {i} " + "p" * 40 for w in range(4) for i in range(500)}
    assert len(texts) == len(expected) and set(texts) == expected  # intact, none twice, none garbled
    pids = {m["procid"] for m in got}
    assert len(pids) == 5
    for worker in range(4):  # each child's own messages in order
        own = [t for t in texts if t.startswith(f"child {worker} ")]
        assert own == [f"child {worker} message {i} " + "p" * 40 for i in range(500)]


@pytest.mark.parametrize("transport", ["tcp", "udp"])
def test_background_writer_delivers_everything_at_remove(
    rsyslog_factory: Any, fresh_logger: Any, transport: str
) -> None:
    rsyslog = started(rsyslog_factory(), "net", transport)
    count = 20_000 if transport == "tcp" else 2_000  # UDP has no flow control: keep it lossless
    sink = SyslogSink(rsyslog.url("net"), background=True, queue_size=count)
    fresh_logger.add(sink, format="{message}", catch=False)
    for i in range(count):
        fresh_logger.info(f"bg {i}")
    fresh_logger.remove()  # stop(): drains the queue before returning
    assert sink.stats.sent == count and sink.stats.dropped == 0 and sink.stats.queued == 0
    got = rsyslog.wait_for(count, timeout=60)
    assert [m["msg"] for m in got] == [f"bg {i}" for i in range(count)]


def test_background_queue_is_bounded_and_counts_drops() -> None:
    sink = SyslogSink(
        "tcp://127.0.0.1:9",
        background=True,
        queue_size=100,
        buffer_size=50,
        backoff_min=60,
        backoff_max=60,
        stop_timeout=0.2,
    )
    for i in range(10_000):
        sink.write(make_message(f"m{i}"))
    stats = sink.stats
    # The queue, plus the batch the writer is handing over (at most the queue's size), plus the buffer.
    assert stats.queued + stats.buffered <= 100 + 100 + 50
    assert stats.dropped + stats.queued + stats.buffered + stats.sent == 10_000
    sink.stop()


def test_background_writer_with_loguru_enqueue(rsyslog_factory: Any, fresh_logger: Any) -> None:
    rsyslog = started(rsyslog_factory(), "tcp", "tcp")
    sink = SyslogSink(rsyslog.url("tcp"), background=True)
    fresh_logger.add(sink, format="{message}", enqueue=True, catch=False)
    for i in range(500):
        fresh_logger.info(f"q {i}")
    fresh_logger.complete()
    fresh_logger.remove()
    got = rsyslog.wait_for(500)
    assert [m["msg"] for m in got] == [f"q {i}" for i in range(500)]


def one_call_is_bounded_and_keeps_the_message(logger: Any, sink: SyslogSink, timeout: float) -> None:
    """One logging call against a stuck peer returns within the timeout (plus scheduling
    slack, not a speed bound) and keeps the message for later."""
    logger.add(sink, format="{message}", catch=False)
    start = time.monotonic()
    logger.info("x")
    assert time.monotonic() - start < timeout + 0.7
    assert sink.stats.errors == 1 and sink.stats.buffered == 1


def test_a_tls_handshake_the_server_never_answers_is_bounded_by_the_timeout(fresh_logger: Any) -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)  # the kernel accepts the TCP connection; nobody speaks TLS
    try:
        with pytest.warns(SyslogConfigWarning):
            sink = SyslogSink(f"tls://127.0.0.1:{server.getsockname()[1]}", timeout=0.3, tls_verify=False)
        one_call_is_bounded_and_keeps_the_message(fresh_logger, sink, 0.3)
    finally:
        fresh_logger.remove()
        server.close()


def test_a_dns_lookup_that_hangs_is_bounded_by_the_timeout(fresh_logger: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()

    def hanging_getaddrinfo(*args: Any, **kwargs: Any) -> Any:
        release.wait(10)
        raise socket.gaierror("too late")

    monkeypatch.setattr(socket, "getaddrinfo", hanging_getaddrinfo)
    sink = SyslogSink("tcp://logs.invalid:514", timeout=0.3)
    try:
        one_call_is_bounded_and_keeps_the_message(fresh_logger, sink, 0.3)
    finally:
        release.set()
        fresh_logger.remove()


def test_idle_tls_connection_to_a_restarted_daemon_loses_nothing(
    rsyslog_factory: Any, fresh_logger: Any, tls_certs: Any
) -> None:
    rsyslog = started(rsyslog_factory(), "tls", "tls", **tls_input(tls_certs))
    sink = SyslogSink(f"tls://localhost:{rsyslog.port('tls')}", tls_ca_file=str(tls_certs.ca_file))
    fresh_logger.add(sink, format="{message}", catch=False)
    fresh_logger.info("before")
    rsyslog.wait_for(1)
    rsyslog.kill(signal.SIGKILL)
    rsyslog.start()
    for i in range(5):
        fresh_logger.info(f"after {i}")
    got = rsyslog.wait_for(6)
    assert [m["msg"] for m in got] == ["before"] + [f"after {i}" for i in range(5)]
    assert sink.stats.reconnects == 1 and sink.stats.dropped == 0


def test_udp_to_a_dead_port_is_reported_once_and_counted(fresh_logger: Any, capsys: pytest.CaptureFixture[str]) -> None:
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nobody listens there: the kernel answers with ICMP port unreachable
    sink = SyslogSink(f"udp://127.0.0.1:{port}")
    fresh_logger.add(sink, format="{message}", catch=False)
    for i in range(20):
        fresh_logger.info(f"into the void {i}")
        time.sleep(0.001)  # let the ICMP error arrive
    assert sink.stats.errors >= 5
    assert sink.stats.reconnects == 0
    assert capsys.readouterr().err.count("loguru-syslog: cannot send to") == 1


def test_background_with_a_small_buffer_drops_nothing_while_the_peer_is_up(
    rsyslog_factory: Any, fresh_logger: Any
) -> None:
    rsyslog = started(rsyslog_factory(), "tcp", "tcp")
    sink = SyslogSink(rsyslog.url("tcp"), background=True, buffer_size=10)
    fresh_logger.add(sink, format="{message}", catch=False)
    for i in range(3000):
        fresh_logger.info(f"m{i}")
    fresh_logger.remove()
    assert sink.stats.dropped == 0 and sink.stats.sent == 3000
    assert len(rsyslog.wait_for(3000)) == 3000
