"""SyslogHandler, the stdlib `logging` front (issue 14, API.md "The stdlib adapter").

The same golden wire strings and property checks as the sink (shared with test_format.py
and test_properties.py, not copied), each header against a real rsyslog, the stdlib's
configuration paths (dictConfig, fileConfig, from_env), QueueHandler, a library on
`logging` beside an app on loguru in one rsyslog, the delivery promises (bounded close,
one report per outage), fork, RELP and journald.
"""

from __future__ import annotations

import inspect
import logging
import logging.config
import logging.handlers
import multiprocessing
import os
import queue
import socket
import sys
import threading
import time
from typing import Any, Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import FIXED_PID, make_log_record, make_message, started
from loguru_syslog import MemoryTransport, SyslogConfigError, SyslogHandler, SyslogSink
from peers import SilentPeer
from rfc5424 import parse
from test_format import GOLDEN, LEVELS, sink_and_wire
from test_properties import SETTINGS, any_text, names, sizes, values

HOSTNAME, APP_NAME = "host.example.com", "billing"  # sink_and_wire's defaults


# -- helpers and fixtures ------------------------------------------------------------------------


def handler_and_wire(**kwargs: Any) -> tuple[SyslogHandler, list[bytes]]:
    """A handler on a MemoryTransport with sink_and_wire's defaults; the wire it writes."""
    transport = MemoryTransport()
    kwargs.setdefault("hostname", HOSTNAME)
    kwargs.setdefault("app_name", APP_NAME)
    handler = SyslogHandler(transport, **kwargs)
    return handler, transport.messages


def sink_wire(message: Any, **kwargs: Any) -> bytes:
    """What the sink sends for `message` (a make_message()) with the same options."""
    sink, wire = sink_and_wire(**kwargs)
    sink.write(message)
    assert len(wire) == 1
    return wire[0]


@pytest.fixture
def fixed_tz() -> Iterator[None]:
    """Local time at +01:00 (FIXED_TIME's offset): a LogRecord carries only a timestamp and
    the handler shows it in local time, as loguru does."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "<+01>-1"  # POSIX: one hour east of UTC, no tzdata needed
    time.tzset()
    yield
    if old is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = old
    time.tzset()


@pytest.fixture
def level_names() -> Iterator[None]:
    """logging.addLevelName() is global: what a test registers is forgotten after it."""
    to_name, to_level = dict(logging._levelToName), dict(logging._nameToLevel)
    yield
    logging._levelToName.clear()
    logging._levelToName.update(to_name)
    logging._nameToLevel.clear()
    logging._nameToLevel.update(to_level)


_counter = iter(range(1_000_000))


@pytest.fixture
def std_logger() -> Iterator[logging.Logger]:
    """A fresh `logging` logger of its own (no propagation, every level); the handlers a test
    attaches are removed and closed after it."""
    logger = logging.getLogger(f"test_handler.n{next(_counter)}")
    logger.propagate = False
    logger.setLevel(1)
    yield logger
    for handler in logger.handlers[:]:
        logger.removeHandler(handler)
        handler.close()


@pytest.fixture
def logging_state() -> Iterator[None]:
    """dictConfig/fileConfig reconfigure the root logger: put it back as it was."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    for handler in handlers:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(level)


def free_port() -> int:
    """A loopback TCP port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def exc_info_of_division() -> Any:
    try:
        1 / 0  # noqa: B018
    except ZeroDivisionError:
        return sys.exc_info()


# -- the golden wire strings, the sink's -----------------------------------------------------------


@pytest.mark.parametrize("header", sorted(GOLDEN))
def test_each_header_has_the_sinks_exact_golden_shape(header: str, fixed_tz: None) -> None:
    handler, wire = handler_and_wire(facility="local0", header=header)
    handler.handle(make_log_record("hello"))
    assert wire == [GOLDEN[header]]
    assert wire[0] == sink_wire(make_message("hello"), facility="local0", header=header)


def test_extras_become_the_sinks_structured_data_and_msgid_the_msgid(fixed_tz: None) -> None:
    handler, wire = handler_and_wire(msgid="TXN")
    handler.handle(make_log_record("a"))
    handler.handle(make_log_record("b", extra={"msgid": "LOGIN FAIL"}))
    handler.handle(make_log_record("c", extra={"user": 'a"b]c\\d'}))
    handler.handle(make_log_record("d", extra={"msgid": "M1", "request_id": "r1"}))
    assert wire[0] == sink_wire(make_message("a"), msgid="TXN")
    assert wire[1] == sink_wire(make_message("b", extra={"msgid": "LOGIN FAIL"}), msgid="TXN")
    assert b" 4242 LOGIN_FAIL - b" in wire[1]
    assert wire[2] == sink_wire(make_message("c", extra={"user": 'a"b]c\\d'}), msgid="TXN")
    assert wire[2].endswith(b' 4242 TXN [loguru@32473 user="a\\"b\\]c\\\\d"] c')
    assert wire[3].endswith(b' 4242 M1 [loguru@32473 request_id="r1"] d')


def test_many_extras_give_the_same_parameters_as_the_sink(fixed_tz: None) -> None:
    extra = {"user": "alice", "a key=x": 1, "k" * 40: None, "ünï": "çà", "attempt": [1, 2]}
    handler, wire = handler_and_wire()
    handler.handle(make_log_record("m", extra=extra))
    ours, sinks = parse(wire[0]), parse(sink_wire(make_message("m", extra=extra)))
    assert sorted(ours.sd["loguru@32473"]) == sorted(sinks.sd["loguru@32473"])
    assert (ours.msg, ours.pri, ours.timestamp, ours.procid) == (sinks.msg, sinks.pri, sinks.timestamp, sinks.procid)


def test_extras_keep_the_order_they_were_given_in(fixed_tz: None) -> None:
    keys = [f"key_{c}" for c in "qwertyuiopas"]  # twelve: hash order matching by chance is ~never
    extra = {key: str(i) for i, key in enumerate(keys)}
    handler, wire = handler_and_wire()
    handler.handle(make_log_record("m", extra=extra))
    assert [name for name, _ in parse(wire[0]).sd["loguru@32473"]] == keys
    assert wire[0] == sink_wire(make_message("m", extra=extra))


def test_extras_only_in_rfc5424_and_never_plain_attributes(fixed_tz: None) -> None:
    handler, wire = handler_and_wire(header="rfc3164")
    handler.handle(make_log_record("m", extra={"user": "u"}))
    assert wire == [sink_wire(make_message("m"), header="rfc3164")]
    # A plain record (formatted, with asctime and a traceback cached on it) has no SD at all.
    plain, plain_wire = handler_and_wire()
    plain.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    record = make_log_record("m", exc_info=exc_info_of_division())
    plain.handle(record)
    assert parse(plain_wire[0]).sd == {}


def test_a_traceback_is_on_the_same_line_sanitised_as_the_sink_does(fixed_tz: None) -> None:
    handler, wire = handler_and_wire(header="rfc5424")
    exc_info = exc_info_of_division()
    handler.handle(make_log_record("boom", level=logging.ERROR, exc_info=exc_info))
    text = logging.Formatter().format(make_log_record("boom", exc_info=exc_info))
    assert text.startswith("boom\nTraceback (most recent call last):\n") and "ZeroDivisionError" in text
    assert wire == [sink_wire(make_message(text, level="ERROR", no=40))]
    assert b"\n" not in wire[0] and b"boom Traceback (most recent call last):   File " in wire[0]
    assert wire[0].endswith(b" ZeroDivisionError: division by zero")
    assert handler.stats.sanitized == 1


def test_msg_is_the_handlers_formatted_text(fixed_tz: None) -> None:
    handler, wire = handler_and_wire(header="pri", facility="user")
    handler.setFormatter(logging.Formatter("%(name)s:%(levelname)s:%(message)s"))
    record = make_log_record("hi %s", name="lib.part")
    record.args = ("there",)
    handler.handle(record)
    assert wire == [b"<14>lib.part:INFO:hi there"]


@pytest.mark.parametrize(("name", "no", "severity"), LEVELS)
def test_every_level_maps_through_the_sinks_table(name: str, no: int, severity: int, level_names: None) -> None:
    if not name.startswith("Level "):  # "Level 15": what logging names an unregistered number
        logging.addLevelName(no, name)
    assert logging.getLevelName(no) == name
    handler, wire = handler_and_wire(facility="user", header="pri")
    handler.handle(make_log_record("m", level=no))
    assert wire == [b"<%d>m" % (8 + severity)]
    assert handler.severity_for(name, no) == severity


def test_stdlib_levels_and_a_registered_name_first(level_names: None) -> None:
    handler, wire = handler_and_wire(facility="user", header="pri", severities={"AUDIT": "alert"})
    for no in (logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR, logging.CRITICAL, 15, 25, 35, 1):
        handler.handle(make_log_record("m", level=no))
    assert wire == [b"<%d>m" % (8 + s) for s in (7, 6, 4, 3, 2, 7, 5, 4, 7)]
    wire.clear()
    handler.handle(make_log_record("m", level=45))  # "Level 45": by number, ERROR's
    logging.addLevelName(45, "AUDIT")
    logging.addLevelName(5, "TRACE")
    handler.handle(make_log_record("m", level=45))  # now by its name
    handler.handle(make_log_record("m", level=5))
    assert wire == [b"<11>m", b"<9>m", b"<15>m"]


def test_procid_is_the_records_process(fixed_tz: None) -> None:
    handler, wire = handler_and_wire()
    handler.handle(make_log_record("m", pid=77))
    assert b" billing 77 - - m" in wire[0] and FIXED_PID != 77
    logger = logging.getLogger("test_handler.procid")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        logger.warning("live")
    finally:
        logger.removeHandler(handler)
    assert parse(wire[1]).procid == str(os.getpid())


def test_a_record_without_a_process_gets_no_none_procid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logging, "logProcesses", False)
    record = logging.getLogger("test_handler.noprocess").makeRecord("x", 20, "f.py", 1, "m", (), None)
    assert record.process is None
    handler, wire = handler_and_wire()
    handler.handle(record)
    assert parse(wire[0]).procid in ("-", str(os.getpid()))


# -- the property test, the sink's --------------------------------------------------------------

# Names logging itself gives a record (makeRecord refuses "message" and "asctime" in extra=).
_RESERVED = set(vars(logging.LogRecord("n", 20, "p", 1, "m", None, None))) | {"message", "asctime", "taskName"}
extra_keys = st.text(min_size=1, max_size=40).filter(lambda key: key not in _RESERVED)
record_extras = st.dictionaries(extra_keys, values, max_size=6)


@SETTINGS
@given(
    text=any_text,
    extra=record_extras,
    app=names,
    host=names,
    size=sizes,
    msgid=st.one_of(st.none(), names),
    error=st.booleans(),
)
def test_any_record_gives_one_valid_rfc5424_line_within_size(
    text: str, extra: dict[str, Any], app: str, host: str, size: int, msgid: str | None, error: bool
) -> None:
    handler, wire = handler_and_wire(app_name=app, hostname=host, max_message_size=size, msgid=msgid or None)
    handler.handle(make_log_record(text, extra=extra, exc_info=exc_info_of_division() if error else None))
    assert len(wire) == 1, "the record must go out, exactly once"
    data = wire[0]
    assert len(data) <= size
    assert b"\n" not in data and b"\r" not in data and b"\x00" not in data
    parsed = parse(data)
    data.decode("utf-8")
    assert parsed.pri == 14 and parsed.procid == str(FIXED_PID)
    assert len(parsed.app_name) <= 48 and len(parsed.hostname) <= 255 and len(parsed.msgid) <= 32


# -- a real rsyslog, one per header ---------------------------------------------------------------

#: (input kind, header): udp rfc5424, tcp rfc5424, the local socket, rfc3164 over udp.
DAEMON_CASES = [("udp", "rfc5424"), ("tcp", "rfc5424"), ("unix-dgram", "local"), ("udp", "rfc3164")]
#: What each logging call becomes: (level number, severity). 5 is registered as TRACE.
DAEMON_LEVELS = [(5, 7), (10, 7), (20, 6), (25, 5), (30, 4), (40, 3), (50, 2), (15, 7)]


@pytest.mark.parametrize(("kind", "header"), DAEMON_CASES, ids=[f"{k}-{h}" for k, h in DAEMON_CASES])
def test_each_header_through_a_real_rsyslog(
    rsyslog_factory: Any, std_logger: logging.Logger, level_names: None, kind: str, header: str
) -> None:
    logging.addLevelName(5, "TRACE")
    rsyslog = started(rsyslog_factory(), "net", kind)
    handler = SyslogHandler(
        rsyslog.url("net"), header=header, facility="local1", app_name="hdl-app", hostname="hdl-host"
    )
    std_logger.addHandler(handler)
    for no, _ in DAEMON_LEVELS:
        std_logger.log(no, "level %d", no)
    std_logger.warning("with extras", extra={"msgid": "ORDER", "user": "alice", "attempt": 3})
    got = rsyslog.wait_for(len(DAEMON_LEVELS) + 1)
    assert [m["msg"] for m in got] == [f"level {no}" for no, _ in DAEMON_LEVELS] + ["with extras"]
    assert [m["severity"] for m in got] == [s for _, s in DAEMON_LEVELS] + [4]
    assert {m["facility"] for m in got} == {17}
    assert {(m["app_name"], m["procid"]) for m in got} == {("hdl-app", str(os.getpid()))}
    if header == "rfc5424":
        assert {m["hostname"] for m in got} == {"hdl-host"}
        assert (got[-1]["msgid"], got[-1]["sd"]) == ("ORDER", {"loguru@32473": {"user": "alice", "attempt": "3"}})
        assert all(m["msgid"] == "" and m["sd"] == {} for m in got[:-1])
    else:
        expected_host = "hdl-host" if header == "rfc3164" else socket.gethostname().split(".")[0]
        assert {m["hostname"] for m in got} == {expected_host}
        assert all(m["msgid"] == "" and m["sd"] == {} for m in got)
    assert handler.stats.sent == len(got) and handler.stats.errors == 0


# -- the stdlib's configuration paths ---------------------------------------------------------------


def _received(receiver: Any) -> Any:
    return parse(receiver.receive(1)[0])


@pytest.mark.parametrize("key", ["class", "()"])
def test_dict_config_with_options_as_keys(udp_receiver: Any, logging_state: None, key: str) -> None:
    name = f"test_handler.dict.{'cls' if key == 'class' else 'factory'}"
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"short": {"format": "%(levelname)s %(message)s"}},
            "handlers": {
                "syslog": {
                    key: "loguru_syslog.SyslogHandler",
                    "address": udp_receiver.url,
                    "facility": "local2",
                    "app_name": "dict-app",
                    "level": "WARNING",
                    "formatter": "short",
                    "max_message_size": 1000,
                }
            },
            "loggers": {name: {"handlers": ["syslog"], "level": "DEBUG", "propagate": False}},
        }
    )
    logger = logging.getLogger(name)
    (handler,) = logger.handlers
    try:
        assert isinstance(handler, SyslogHandler) and handler.level == logging.WARNING
        assert handler.config.max_message_size == 1000
        logger.info("filtered out by the handler's level")
        logger.error("configured")
        got = _received(udp_receiver)
        assert (got.pri, got.app_name, got.msg) == (18 * 8 + 3, "dict-app", b"ERROR configured")
        assert udp_receiver.pending() == []
    finally:
        logger.removeHandler(handler)
        handler.close()


def test_dict_config_refuses_a_bad_option_with_the_sinks_error(logging_state: None) -> None:
    base = {"class": "loguru_syslog.SyslogHandler", "address": "udp://127.0.0.1:9"}
    for extra, error in ((({"facility": "locl0"}), SyslogConfigError), ({"facilty": "local0"}, TypeError)):
        with pytest.raises(ValueError, match="Unable to configure handler 'bad'") as excinfo:
            logging.config.dictConfig(
                {"version": 1, "disable_existing_loggers": False, "handlers": {"bad": {**base, **extra}}}
            )
        assert isinstance(excinfo.value.__cause__, error), excinfo.value.__cause__


def test_file_config_with_args_and_kwargs(udp_receiver: Any, logging_state: None, tmp_path: Any) -> None:
    ini = tmp_path / "logging.ini"
    ini.write_text(
        f"""
[loggers]
keys=root,app

[handlers]
keys=syslog

[formatters]
keys=

[logger_root]
level=WARNING
handlers=

[logger_app]
level=DEBUG
handlers=syslog
qualname=test_handler.fileconfig
propagate=0

[handler_syslog]
class=loguru_syslog.SyslogHandler
level=INFO
args=('{udp_receiver.url}',)
kwargs={{'facility': 'local1', 'app_name': 'ini-app'}}
"""
    )
    logging.config.fileConfig(ini, disable_existing_loggers=False)
    logger = logging.getLogger("test_handler.fileconfig")
    (handler,) = logger.handlers
    try:
        assert isinstance(handler, SyslogHandler)
        logger.debug("below the handler's level")
        logger.info("from an ini file")
        got = _received(udp_receiver)
        assert (got.pri, got.app_name, got.msg) == (17 * 8 + 6, "ini-app", b"from an ini file")
        assert udp_receiver.pending() == []
    finally:
        logger.removeHandler(handler)
        handler.close()


def test_from_env(udp_receiver: Any, std_logger: logging.Logger) -> None:
    environ = {"SYSLOG_URL": udp_receiver.url, "SYSLOG_FACILITY": "local4", "SYSLOG_APP_NAME": "env-app"}
    handler = SyslogHandler.from_env(environ=environ, level="WARNING", msgid="ENV")
    std_logger.addHandler(handler)
    assert handler.level == logging.WARNING and handler.config.sources["facility"] == "SYSLOG_FACILITY"
    std_logger.info("below the level")
    std_logger.warning("from the environment")
    got = _received(udp_receiver)
    assert (got.pri, got.app_name, got.msgid, got.msg) == (20 * 8 + 4, "env-app", "ENV", b"from the environment")
    with pytest.raises(SyslogConfigError, match="SYSLOG_FACILITY"):
        SyslogHandler.from_env(environ={**environ, "SYSLOG_FACILITY": "locl4"})
    with pytest.raises(TypeError, match="facilty"):
        SyslogHandler.from_env(environ=environ, facilty="local0")


def test_a_bad_option_is_a_config_error_and_a_misspelt_one_a_type_error() -> None:
    with pytest.raises(SyslogConfigError, match="did you mean local0"):
        SyslogHandler("udp://127.0.0.1:9", facility="locl0")
    with pytest.raises(SyslogConfigError, match="sd_id"):
        SyslogHandler("udp://127.0.0.1:9", sd_id="nope")
    with pytest.raises(TypeError, match=r"SyslogHandler\(\) got an unexpected keyword argument 'facilty'.*facility"):
        SyslogHandler("udp://127.0.0.1:9", facilty="local0")
    with pytest.raises(SyslogConfigError, match="either an address or a transport"):
        SyslogHandler("udp://127.0.0.1:9", transport=MemoryTransport())


# -- with QueueHandler, and beside loguru -----------------------------------------------------------


def test_queue_handler_and_listener_deliver_everything_in_order(
    rsyslog_factory: Any, std_logger: logging.Logger
) -> None:
    rsyslog = started(rsyslog_factory(), "tcp", "tcp")
    handler = SyslogHandler(rsyslog.url("tcp"), app_name="queued")
    records: queue.Queue[Any] = queue.Queue()
    listener = logging.handlers.QueueListener(records, handler)
    std_logger.addHandler(logging.handlers.QueueHandler(records))
    listener.start()
    try:
        for i in range(500):
            std_logger.info("queued %d", i, extra={"seq": i} if i % 100 == 0 else None)
    finally:
        listener.stop()  # every record handed to the handler before it returns
        handler.close()
    got = rsyslog.wait_for(500)
    assert [m["msg"] for m in got] == [f"queued {i}" for i in range(500)]
    assert [m["sd"] for m in got if m["sd"]] == [{"loguru@32473": {"seq": str(i)}} for i in range(0, 500, 100)]
    assert {m["procid"] for m in got} == {str(os.getpid())}
    assert handler.stats.sent == 500 and handler.stats.dropped == 0


def test_a_library_on_logging_inside_an_app_on_loguru_one_rsyslog(
    rsyslog_factory: Any, fresh_logger: Any, std_logger: logging.Logger
) -> None:
    rsyslog = started(rsyslog_factory(), "udp", "udp")
    url = rsyslog.url("udp")
    library = std_logger  # what `logging.getLogger("somelib")` would be
    library.addHandler(SyslogHandler(url, app_name="shop", facility="local0"))
    fresh_logger.add(SyslogSink(url, app_name="shop", facility="local0"), format="{message}", level="TRACE")
    fresh_logger.info("app starts")
    library.debug("lib connects")
    fresh_logger.success("app ready")
    library.warning("lib retries", extra={"attempt": 2})
    fresh_logger.error("app fails")
    library.critical("lib gives up")
    fresh_logger.trace("app trace")
    got = rsyslog.wait_for(7)
    assert [(m["msg"], m["severity"]) for m in got] == [
        ("app starts", 6),
        ("lib connects", 7),
        ("app ready", 5),
        ("lib retries", 4),
        ("app fails", 3),
        ("lib gives up", 2),
        ("app trace", 7),
    ]
    assert {(m["facility"], m["app_name"], m["procid"]) for m in got} == {(16, "shop", str(os.getpid()))}
    assert got[3]["sd"] == {"loguru@32473": {"attempt": "2"}}


# -- the delivery promises -----------------------------------------------------------------------


def test_close_is_bounded_against_a_peer_that_never_reads(std_logger: logging.Logger) -> None:
    peer = SilentPeer()
    try:
        stop_timeout = 1.0
        handler = SyslogHandler(
            peer.url, background=True, stop_timeout=stop_timeout, timeout=0.5, max_message_size=65536
        )
        std_logger.addHandler(handler)
        filler = "x" * 8000
        for i in range(4000):  # 32 MB: many times what the socket buffers hold
            std_logger.info("%d %s", i, filler)
        began = time.monotonic()
        std_logger.removeHandler(handler)
        handler.close()
        took = time.monotonic() - began
        assert took < stop_timeout + 1.0, took
        stats = handler.stats
        assert stats.sent < 4000 and peer.connections >= 1, stats
    finally:
        peer.close()


@pytest.mark.parametrize("scheme", ["tcp", "udp"])
def test_a_peer_that_is_down_is_reported_once_never_a_traceback_per_record(
    std_logger: logging.Logger, capfd: pytest.CaptureFixture[str], scheme: str
) -> None:
    handler = SyslogHandler(f"{scheme}://127.0.0.1:{free_port()}", timeout=0.5, backoff_min=0.01, backoff_max=0.05)
    std_logger.addHandler(handler)
    for i in range(50):
        std_logger.error("record %d", i)
        if i % 10 == 0:
            time.sleep(0.02)  # let UDP refusals arrive and backoffs end
    err = capfd.readouterr().err
    assert err.count("cannot send") <= 1, err
    assert "Traceback" not in err and "Logging error" not in err, err
    assert handler.stats.errors >= 1, handler.stats


# -- fork ---------------------------------------------------------------------------------------------


def _child_logs(name: str, worker: int) -> None:
    logger = logging.getLogger(name)
    for i in range(100):
        logger.info("child %d message %d", worker, i)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_forked_children_open_their_own_connections(rsyslog_factory: Any, std_logger: logging.Logger) -> None:
    rsyslog = started(rsyslog_factory(), "tcp", "tcp")
    handler = SyslogHandler(rsyslog.url("tcp"), app_name="forked")
    std_logger.addHandler(handler)
    std_logger.info("parent before fork")  # connected when it forks
    context = multiprocessing.get_context("fork")
    children = [context.Process(target=_child_logs, args=(std_logger.name, n)) for n in range(3)]
    for child in children:
        child.start()
    for i in range(100):
        std_logger.info("parent message %d", i)
    for child in children:
        child.join(30)
        assert child.exitcode == 0
    got = rsyslog.wait_for(1 + 3 * 100 + 100, timeout=20)
    texts = [m["msg"] for m in got]
    expected = {"parent before fork"} | {f"parent message {i}" for i in range(100)}
    expected |= {f"child {w} message {i}" for w in range(3) for i in range(100)}
    assert len(texts) == len(expected) and set(texts) == expected  # intact, none twice, none garbled
    assert len({m["procid"] for m in got}) == 4
    for worker in range(3):
        assert [t for t in texts if t.startswith(f"child {worker} ")] == [
            f"child {worker} message {i}" for i in range(100)
        ]
    assert handler.stats.reconnects == 0


# -- RELP and journald ---------------------------------------------------------------------------------


def test_relp_one_record(rsyslog_factory: Any, std_logger: logging.Logger) -> None:
    rsyslog = started(rsyslog_factory(), "relp", "relp")
    handler = SyslogHandler(rsyslog.url("relp"), app_name="relp-hdl", facility="local5")
    std_logger.addHandler(handler)
    std_logger.error("over relp", extra={"msgid": "R1", "order": 42})
    std_logger.removeHandler(handler)
    handler.close()  # waits for the ack
    stats = handler.stats
    (got,) = rsyslog.wait_for(1)
    assert (got["msg"], got["severity"], got["facility"]) == ("over relp", 3, 21)
    assert (got["app_name"], got["procid"], got["msgid"]) == ("relp-hdl", str(os.getpid()), "R1")
    assert got["sd"] == {"loguru@32473": {"order": "42"}}
    assert (stats.sent, stats.rejected, stats.dropped) == (1, 0, 0), stats


def _log_to_journal(logger: logging.Logger) -> int:
    """Log a caught ZeroDivisionError with extras; return the line of the call."""
    try:
        1 / 0  # noqa: B018
    except ZeroDivisionError:
        frame = inspect.currentframe()
        assert frame is not None
        line = frame.f_lineno + 1
        logger.exception("failed: order %d", 42, extra={"order_id": 42, "msgid": "ORDER"})
    return line


def test_journald_fields_come_from_the_log_record(journald: Any, std_logger: logging.Logger) -> None:
    handler = SyslogHandler(journald.url, app_name="jd-hdl", facility="local3")
    std_logger.addHandler(handler)
    line = _log_to_journal(std_logger)
    std_logger.info("plain")
    entry, plain = journald.wait_for(2, identifier="jd-hdl")
    assert entry["_TRANSPORT"] == "journal"
    assert entry["MESSAGE"].split("\n")[0] == "failed: order 42"
    assert (entry["PRIORITY"], entry["SYSLOG_FACILITY"], entry["SYSLOG_PID"]) == ("3", "19", str(os.getpid()))
    assert entry["CODE_FILE"] == __file__
    assert entry["CODE_LINE"] == str(line)
    assert entry["CODE_FUNC"] == "_log_to_journal"
    assert entry["LOGGER"] == std_logger.name
    assert entry["THREAD_NAME"] == threading.current_thread().name
    traceback_text = entry["TRACEBACK"]
    assert traceback_text.startswith("Traceback (most recent call last):\n")
    assert "in _log_to_journal" in traceback_text and "1 / 0" in traceback_text
    assert traceback_text.endswith("ZeroDivisionError: division by zero")
    assert (entry["ORDER_ID"], entry["MSGID"]) == ("42", "ORDER")
    assert (plain["MESSAGE"], plain["PRIORITY"]) == ("plain", "6")
    assert "TRACEBACK" not in plain and plain["CODE_FUNC"] == "test_journald_fields_come_from_the_log_record"


def test_journald_takes_records_without_thread_name_or_function(
    journald: Any, std_logger: logging.Logger, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    handler = SyslogHandler(journald.url, app_name="jd-none")
    std_logger.addHandler(handler)
    monkeypatch.setattr(logging, "logThreads", False)
    std_logger.warning("no thread name")
    handler.handle(logging.makeLogRecord({"msg": "rebuilt", "levelno": 30, "levelname": "WARNING"}))
    assert "Traceback" not in capfd.readouterr().err
    assert [e["MESSAGE"] for e in journald.wait_for(2, identifier="jd-none", timeout=3)] == [
        "no thread name",
        "rebuilt",
    ]


# -- operator features through extra= (issue 15) -------------------------------------------------


@pytest.mark.parametrize("header", sorted(GOLDEN))
def test_syslog_facility_from_extra_sets_that_records_pri(header: str, fixed_tz: None) -> None:
    handler, wire = handler_and_wire(facility="local0", header=header)
    handler.handle(make_log_record("hello", extra={"syslog_facility": "auth"}))
    handler.handle(make_log_record("hello", extra={"syslog_facility": "nope"}))
    handler.handle(make_log_record("hello"))
    assert wire[0] == sink_wire(
        make_message("hello", extra={"syslog_facility": "auth"}), facility="local0", header=header
    )
    assert wire[0].startswith(b"<38>") and wire[1] == wire[2] == GOLDEN[header]
    assert handler.stats.sanitized == 1


def test_syslog_sd_from_extra_gives_the_sinks_elements(fixed_tz: None) -> None:
    extra = {
        "user": "ann",
        "syslog_facility": 10,
        "syslog_sd": {"origin": {"ip": "10.0.0.1"}, "x@32473": {"k": 'v"]'}, "bad id": {"a": 1}},
    }
    handler, wire = handler_and_wire(sequence_id=True, origin=True)
    handler.handle(make_log_record("m", level=logging.ERROR, extra=extra))
    assert wire[0] == sink_wire(make_message("m", level="ERROR", no=40, extra=extra), sequence_id=True, origin=True)
    message = parse(wire[0])
    assert message.pri == 10 * 8 + 3
    assert list(message.sd) == ["meta", "origin", "loguru@32473", "x@32473"]
    assert message.sd["origin"][2:] == [("ip", "10.0.0.1")] and message.sd["x@32473"] == [("k", 'v"]')]
    assert message.sd["loguru@32473"] == [("user", "ann")] and handler.stats.sanitized == 1


def test_the_handler_numbers_its_records_from_one(std_logger: logging.Logger) -> None:
    handler, wire = handler_and_wire(sequence_id=True)
    std_logger.addHandler(handler)
    for i in range(3):
        std_logger.info("n %d", i)
    std_logger.info("with extra", extra={"k": "v"})
    assert [parse(m).sd["meta"] for m in wire] == [[("sequenceId", str(n))] for n in range(1, 5)]
