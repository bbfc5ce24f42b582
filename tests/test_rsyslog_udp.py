"""A real rsyslog decodes what we send over UDP: facility, severity, header fields, SD, msg."""

from __future__ import annotations

import os
from typing import Any

import pytest

from conftest import ensure_level, started
from loguru_syslog import SyslogSink

LEVELS = [("TRACE", 7), ("DEBUG", 7), ("INFO", 6), ("SUCCESS", 5), ("WARNING", 4), ("ERROR", 3), ("CRITICAL", 2)]


@pytest.mark.daemon
@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
def test_rsyslog_decodes_every_level_custom_levels_and_extras(
    rsyslog_factory: Any, fresh_logger: Any, host: str
) -> None:
    rsyslog = started(rsyslog_factory(), "udp", "udp", host=host)
    url = f"udp://[{host}]:{rsyslog.port('udp')}" if ":" in host else f"udp://{host}:{rsyslog.port('udp')}"
    sink = SyslogSink(url, facility="local3", app_name="billing", hostname="web-1")
    fresh_logger.add(sink, format="{message}", level="TRACE", catch=False)
    ensure_level(fresh_logger, "AUDIT", 45)
    for name, _ in LEVELS:
        fresh_logger.log(name, "level {} ünïcode", name)
    fresh_logger.log("AUDIT", "custom level")
    fresh_logger.log(15, "numeric level")
    fresh_logger.bind(user='o"hara', path="C:\\tmp]", msgid="LOGIN").info("with extras")

    got = rsyslog.wait_for(len(LEVELS) + 3)
    expected = [(f"level {name} ünïcode", sev) for name, sev in LEVELS]
    expected += [("custom level", 3), ("numeric level", 7), ("with extras", 6)]
    assert [(m["msg"], m["severity"]) for m in got] == expected
    for message in got:
        assert message["facility"] == 19
        assert message["app_name"] == "billing"
        assert message["hostname"] == "web-1"
        assert message["procid"] == str(os.getpid())
    assert got[-1]["msgid"] == "LOGIN"
    assert got[-1]["sd"] == {"loguru@32473": {"user": 'o"hara', "path": "C:\\tmp]"}}
    assert all(m["sd"] == {} and m["msgid"] == "" for m in got[:-1])
    assert sink.stats.sent == len(LEVELS) + 3 and sink.stats.errors == 0
