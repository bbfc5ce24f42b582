"""The benchmark command runs end to end on a tiny count (it is not a performance test)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

RUN = Path(__file__).resolve().parent.parent / "benchmarks" / "run.py"
PROFILE = RUN.parent / "profile_hot_path.py"
CASES = [
    "loguru-noop",
    "raw-sendto",
    "loguru-stdlib-udp",
    "loguru-stdlib-tcp",
    "stdlib-rfc5424-udp",
    "stdlib-rfc5424-tcp",
    "ours-udp-rfc5424",
    "ours-udp-rfc3164",
    "ours-tcp",
    "ours-tcp-background",
    "ours-tls",
    "ours-unix",
    "ours-tcp-enqueue",
    "rsyslog-tcp-e2e",
    "rsyslog-tcp-e2e-sink-alone",
    "memory-peer-down-direct",
    "memory-peer-down-background",
]
TARGETS = ["udp-vs-stdlib", "own-cost-vs-sendto", "background-vs-enqueue", "rsyslog-e2e", "memory-peer-down"]


@pytest.mark.timeout(60)
def test_benchmark_command_runs_every_case_on_a_tiny_count(tmp_path: Path) -> None:
    json_path, png_path = tmp_path / "results.json", tmp_path / "chart.png"
    command = [sys.executable, str(RUN), "--count", "100", "--repeat", "2", "--memory-count", "2000"]
    command += ["--json", str(json_path), "--png", str(png_path)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=55)
    assert done.returncode == 0, done.stderr[-3000:]

    results = json.loads(json_path.read_text())
    assert list(results["cases"]) == CASES
    for name, case in results["cases"].items():
        if name.startswith("rsyslog-") and case["status"] == "skipped: rsyslogd not found":
            continue
        assert case["status"] == "ok", (name, case["status"])
        assert len(case["samples"]) == (1 if name.startswith("memory-") else 2)
        assert case["min"] <= case["median"] <= case["max"]
    assert [target["name"] for target in results["targets"]] == TARGETS
    for target in results["targets"]:
        assert target["verdict"] in ("PASS", "FAIL") or target["verdict"].startswith("n/a"), target
    assert png_path.read_bytes().startswith(b"\x89PNG")
    for name in CASES:
        assert name in done.stdout  # the table


@pytest.mark.timeout(30)
def test_a_missing_rsyslogd_skips_its_case_instead_of_failing(tmp_path: Path) -> None:
    json_path = tmp_path / "results.json"
    command = [sys.executable, str(RUN), "--count", "50", "--repeat", "1", "--only", "rsyslog-tcp-e2e,loguru-noop"]
    command += ["--json", str(json_path), "--png", str(tmp_path / "chart.png")]
    environ = {**os.environ, "LOGURU_SYSLOG_BENCH_RSYSLOGD": str(tmp_path / "no-such-rsyslogd")}
    done = subprocess.run(command, capture_output=True, text=True, timeout=25, env=environ)
    assert done.returncode == 0, done.stderr[-3000:]

    cases = json.loads(json_path.read_text())["cases"]
    assert list(cases) == ["loguru-noop", "rsyslog-tcp-e2e"]
    assert cases["loguru-noop"]["status"] == "ok"
    assert cases["rsyslog-tcp-e2e"]["status"] == "skipped: rsyslogd not found"
    assert "skipped: rsyslogd not found" in done.stdout


@pytest.mark.timeout(60)
def test_the_profile_tool_runs_every_section_against_the_current_code() -> None:
    # It times the package's own functions (no copy of the hot path) and checks that the
    # formatter and delivery it builds send what the sink sends: this catches it falling
    # behind the code.
    done = subprocess.run(
        [sys.executable, str(PROFILE), "--quick"], capture_output=True, text=True, timeout=55, cwd=RUN.parent
    )
    assert done.returncode == 0, done.stderr[-3000:]
    for heading in (
        "## cProfile",
        "## Stages timed alone",
        "## Inside loguru",
        "## background=True with a healthy peer",
        "## Into rsyslogd",
    ):
        assert heading in done.stdout, heading
    for row in (
        "| `_format.py:",  # the real formatter, seen by cProfile
        "| SyslogSink.write(message), real UDP socket |",
        "|   Formatter.format(message, record), cache hit",
        "|   Delivery.send(data), NullTransport (lock-free datagram path) |",
        "| SyslogSink.write, real UDP |",
        "A cache miss",
    ):
        assert row in done.stdout, row
