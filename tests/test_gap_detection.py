"""Gap detection, origin, per-record facility and SD elements, through real daemons.

- rsyslog (mmpstrucdata) decodes `[meta sequenceId]` and `[origin]`;
- syslog-ng keeps the sequenceId a sender sent; on a unix socket it numbers only the
  messages that come without one (its `$SDATA` adds `[meta sequenceId]` for local
  messages only when the message has none); on a network source it adds nothing;
- messages the sink really drops (a tiny buffer while the daemon is down) are exactly the
  numbers missing at the receiver;
- a record's `syslog_facility` and `syslog_sd` arrive decoded;
- the RainerScript snippet of docs/production.md alerts on a real gap, and only then.

A missing daemon is an error, never a skip (tests/daemons.py).
"""

from __future__ import annotations

import logging
import socket
import threading
from pathlib import Path
from typing import Any, Callable

import pytest

from conftest import make_message
from daemons import DaemonFactory, Input, Message, Rsyslog, SyslogDaemon, SyslogNg
from loguru_syslog import SyslogHandler, SyslogSink, __version__
from loguru_syslog._structured import MAX_SEQUENCE_ID

pytestmark = pytest.mark.daemon

DOCS = Path(__file__).resolve().parent.parent / "docs" / "production.md"
ORIGIN = {"software": "loguru-syslog", "swVersion": __version__}

#: The gap alert of docs/production.md, verbatim (test_the_docs_hold_the_tested_snippet).
GAP_ALERT = """\
module(load="mmpstrucdata")
template(name="gap_alert" type="string"
         string="gap from %hostname% %app-name%[%procid%]: expected sequenceId %$.expected%, got %$.seq%\\n")
ruleset(name="gap_check") {
  action(type="mmpstrucdata")
  if $!rfc5424-sd!meta!sequenceid != "" then {
    set $.seq = cnum($!rfc5424-sd!meta!sequenceid);
    set $.expected = cnum($/expected);
    # 0: the first message seen; 1: the sender (re)started (a new sink, process or fork)
    if cnum($.expected) != 0 and cnum($.seq) != 1 and cnum($.seq) != cnum($.expected) then {
      action(type="omfile" file="/var/log/syslog-gaps.log" template="gap_alert")
    }
    if cnum($.seq) >= 2147483647 then {
      set $/expected = 1;
    } else {
      set $/expected = $.seq + 1;
    }
  }
}
"""
ALERT_FILE = "/var/log/syslog-gaps.log"


def sequence_ids(messages: list[Message]) -> list[int]:
    return [int(m["sd"]["meta"]["sequenceId"]) for m in messages if "sequenceId" in m["sd"].get("meta", {})]


def log(sink: SyslogSink, *texts: str, extra: dict[str, Any] | None = None) -> None:
    for text in texts:
        sink.write(make_message(text, extra=extra))


# -- (a) rsyslog decodes meta and origin ---------------------------------------------------------


def test_rsyslog_mmpstrucdata_decodes_meta_sequence_id_and_origin(rsyslog_factory: DaemonFactory) -> None:
    daemon = rsyslog_factory()
    daemon.add_input("net", "tcp")
    daemon.start()
    sink = SyslogSink(daemon.url("net"), sequence_id=True, origin=True, app_name="seq")
    log(sink, "one", "two")
    log(sink, "three", extra={"order": 7})
    sink.stop()
    got = daemon.wait_for(3)
    assert [m["msg"] for m in got] == ["one", "two", "three"]
    assert sequence_ids(got) == [1, 2, 3]
    assert all(m["sd"]["origin"] == ORIGIN for m in got)
    assert got[2]["sd"]["loguru@32473"] == {"order": "7"}


# -- (b) syslog-ng: our sequenceId kept; its own only for messages without one ----------------------


class SyslogNgUnix5424(SyslogNg):
    """syslog-ng whose unix sources parse RFC 5424 (flags(syslog-protocol)), and whose
    decoded messages keep the raw $SDATA (the base class hides syslog-ng's own meta)."""

    def _source(self, inp: Input) -> str:
        if inp.kind in ("unix-dgram", "unix-stream"):
            return f'{inp.kind}("{inp.path}" flags(syslog-protocol, store-raw-message));'
        return super()._source(inp)

    def decode(self, record: dict[str, Any]) -> Message:
        message = super().decode(record)
        message["sdata"] = str(record.get("sd", ""))
        return message


@pytest.mark.parametrize(("kind", "scheme"), [("unix-dgram", "unixgram"), ("unix-stream", "unixstream")])
def test_syslog_ng_keeps_our_sequence_id_on_a_unix_socket(tmp_path: Path, kind: str, scheme: str) -> None:
    daemon = SyslogNgUnix5424(tmp_path / "ng")
    try:
        daemon.add_input("local", kind)
        daemon.start()
        url = f"{scheme}://{daemon.path('local')}"
        numbered = SyslogSink(url, header="rfc5424", sequence_id=True, app_name="seq")
        log(numbered, "a", "b", "c")
        numbered.stop()
        daemon.wait_for(3)  # (two stream connections: syslog-ng may read the second one first)
        plain = SyslogSink(url, header="rfc5424", app_name="plain")
        log(plain, "d")
        plain.stop()
        got = daemon.wait_for(4)
    finally:
        daemon.close()
    # Ours: as sent, not renumbered, no second meta element.
    assert [m["sdata"] for m in got[:3]] == [f'[meta sequenceId="{n}"]' for n in (1, 2, 3)]
    # A message without one: syslog-ng numbers it itself (a local message), with its own
    # count of the local messages it has written (ours included): 4.
    assert got[3]["msg"] == "d" and got[3]["sdata"] == '[meta sequenceId="4"]'


@pytest.mark.parametrize("kind", ["udp", "tcp-octet"])
def test_syslog_ng_keeps_our_sequence_id_on_a_network_source_and_adds_none(
    syslog_ng_factory: DaemonFactory, kind: str
) -> None:
    daemon = syslog_ng_factory()
    daemon.add_input("net", kind)
    daemon.start()
    numbered = SyslogSink(daemon.url("net"), sequence_id=True, origin=True, app_name="seq")
    log(numbered, "a", "b")
    numbered.stop()
    plain = SyslogSink(daemon.url("net"), app_name="plain")
    log(plain, "c")
    plain.stop()
    got = daemon.wait_for(3)
    assert sequence_ids(got) == [1, 2]
    assert [m["sd"].get("origin") for m in got] == [ORIGIN, ORIGIN, None]
    assert got[2]["raw"].split(" ")[6] == "-" and got[2]["sd"] == {}  # nothing added to it


# -- (c) a real gap: exactly the dropped numbers are missing ------------------------------------------


def drop_while_down(
    daemon: SyslogDaemon, url: str, down: Callable[[], None], up: Callable[[], None], seen: int = 0
) -> SyslogSink:
    """1..3 delivered, then the peer down while 4..13 are logged with room for 3: 4..10 are
    dropped, 11..13 wait; the peer back; stop() delivers them. Returns the stopped sink."""
    sink = SyslogSink(url, sequence_id=True, buffer_size=3, app_name="gappy")
    log(sink, "up 1", "up 2", "up 3")
    daemon.wait_for(seen + 3)
    down()
    log(sink, *(f"down {n}" for n in range(4, 14)))
    assert sink.stats.dropped == 7 and sink.stats.buffered == 3
    up()
    sink.stop()  # delivers what waits (no backoff at stop)
    return sink


class Forwarder:
    """A TCP relay in front of a daemon that can be cut (the sender sees its peer close and
    the port refuse) and restored on the same port, while the daemon itself keeps running
    (and keeps its state: rsyslog's global variables do not survive a restart)."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self.port = 0
        self.restore()

    @property
    def url(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(8)
        self.port = listener.getsockname()[1]
        self._sockets = [listener]
        self._spawn(self._accept, listener)

    def cut(self) -> None:
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()/recv()
            except OSError:
                pass
            sock.close()
        for thread in self._threads:
            thread.join()
        self._threads = []

    def _spawn(self, target: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._sockets += [client, upstream]
            self._spawn(self._pump, client, upstream)

    @staticmethod
    def _pump(client: socket.socket, upstream: socket.socket) -> None:
        while True:
            try:
                data = client.recv(65536)
            except OSError:
                data = b""
            if not data:
                return
            upstream.sendall(data)


@pytest.mark.parametrize("kind", ["tcp-octet"])
def test_the_receiver_sees_exactly_the_dropped_messages_as_a_gap(daemon_factory: DaemonFactory, kind: str) -> None:
    daemon = daemon_factory()
    daemon.add_input("net", kind)
    daemon.start()
    sink = drop_while_down(daemon, daemon.url("net"), daemon.stop, daemon.start)  # the same port again
    got = daemon.wait_for(3 + 3 + 1)  # and the notice of the drop
    numbers = sequence_ids(got)
    assert numbers == [1, 2, 3, 11, 12, 13]
    missing = sorted(set(range(1, max(numbers) + 1)) - set(numbers))
    assert missing == list(range(4, 11)) and len(missing) == sink.stats.dropped == 7
    notices = [m for m in got if m["app_name"] == "gappy" and "were dropped" in m["msg"]]
    assert len(notices) == 1 and "7 messages were dropped" in notices[0]["msg"]
    assert "sequenceId" not in notices[0]["raw"]  # the notice takes no number: the gap stays a gap


# -- (d) per-record facility and SD elements, decoded by the daemon ---------------------------------


def test_per_record_facility_and_sd_elements_arrive_decoded(daemon_factory: DaemonFactory) -> None:
    daemon = daemon_factory()
    daemon.add_input("net", "udp")
    daemon.start()
    sink = SyslogSink(daemon.url("net"), facility="local0", origin=True, sequence_id=True, app_name="per")
    sd = {"origin": {"ip": "10.0.0.1"}, "x@32473": {"path": 'C:\\dir "a" [b]'}, "bad id": {"a": "1"}}
    log(sink, "auth", extra={"syslog_facility": "auth", "syslog_sd": sd, "user": "ann"})
    log(sink, "own")
    sink.stop()
    handler = SyslogHandler(daemon.url("net"), facility="local0", app_name="per-std")
    std = logging.getLogger("test_gap_detection.handler")
    std.propagate = False
    std.addHandler(handler)
    try:
        std.warning("std", extra={"syslog_facility": "daemon", "syslog_sd": {"x@1": {"k": "v"}}})
    finally:
        std.removeHandler(handler)
        handler.close()
    got = {m["msg"]: m for m in daemon.wait_for(3)}
    auth, own, std_message = got["auth"], got["own"], got["std"]
    assert (auth["facility"], auth["severity"]) == (4, 6) and own["facility"] == 16
    assert auth["sd"] == {
        "meta": {"sequenceId": "1"},
        "origin": {**ORIGIN, "ip": "10.0.0.1"},
        "loguru@32473": {"user": "ann"},
        "x@32473": {"path": 'C:\\dir "a" [b]'},
    }
    assert sink.stats.sanitized == 1  # "bad id"
    assert (std_message["facility"], std_message["severity"]) == (3, 4)
    assert std_message["sd"] == {"x@1": {"k": "v"}}


# -- (e) the rsyslog gap alert of the docs ------------------------------------------------------------


class RsyslogWithGapAlert(Rsyslog):
    """rsyslog running the docs' gap alert on every input (after the collecting ruleset)."""

    def __init__(self, workdir: Path, alerts: Path) -> None:
        super().__init__(workdir)
        self.alerts = alerts

    def config(self) -> str:
        snippet = GAP_ALERT.replace(ALERT_FILE, str(self.alerts))
        base = super().config()
        assert 'module(load="mmpstrucdata")' in base
        return base.replace('module(load="mmpstrucdata")', snippet, 1)

    @staticmethod
    def _ruleset(inp: Input) -> str:
        return Rsyslog._ruleset(inp).replace("call collect\n", "call collect\n  call gap_check\n")


def test_the_rsyslog_gap_alert_fires_for_a_real_gap_and_only_then(tmp_path: Path) -> None:
    alerts = tmp_path / "gaps.log"
    daemon = RsyslogWithGapAlert(tmp_path / "rsyslog", alerts)
    try:
        daemon.add_input("net", "tcp")
        daemon.start()
        # No gap: a first sink going round (the first number seen, 2147483646, then
        # 2147483647, 1 and 2), then two sinks each starting again at 1 (a restart, not a gap).
        wrapped = [MAX_SEQUENCE_ID - 1, MAX_SEQUENCE_ID, 1, 2]
        for numbers in (
            iter([MAX_SEQUENCE_ID - 1, MAX_SEQUENCE_ID, MAX_SEQUENCE_ID + 1, 2 * MAX_SEQUENCE_ID + 2]),
            None,
            None,
        ):
            sink = SyslogSink(daemon.url("net"), sequence_id=True, app_name="clean")
            if numbers is not None:
                sink._core.formatter._numbers = numbers  # type: ignore[attr-defined]
            log(sink, "a", "b", "c", "d")
            sink.stop()
        daemon.wait_for(12)
        # A real gap: 4..10 dropped by the sink while the way to rsyslog was cut.
        relay = Forwarder(daemon.address("net"))
        try:
            drop_while_down(daemon, relay.url, relay.cut, relay.restore, seen=12)
            got = daemon.wait_for(12 + 3 + 3 + 1)  # through the relay before it closes
        finally:
            relay.cut()
        assert sequence_ids(got) == [*wrapped, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 11, 12, 13]
    finally:
        daemon.close()
    # rsyslog has stopped: its files are complete. One alert, for the one gap.
    lines = alerts.read_text().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("gap from ") and " gappy[" in lines[0]
    assert lines[0].endswith(": expected sequenceId 4, got 11")


def test_the_docs_hold_the_tested_snippet() -> None:
    assert GAP_ALERT in DOCS.read_text()
