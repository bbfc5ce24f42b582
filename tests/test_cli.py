"""The `loguru-syslog` command: `check` and `send`, against a real rsyslog and against dead ports."""

from __future__ import annotations

import hashlib
import os
import socket
import ssl
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Iterator

import pytest

from conftest import started, tls_input
from loguru_syslog import _address
from loguru_syslog._cli import main, option_flags
from loguru_syslog._options import OPTIONS

LEVELS = [("TRACE", 7), ("DEBUG", 7), ("INFO", 6), ("SUCCESS", 5), ("WARNING", 4), ("ERROR", 3), ("CRITICAL", 2)]


def run(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m loguru_syslog ARGS` in a clean environment (no SYSLOG_* of ours) plus `env`."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("SYSLOG_")}
    full.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "loguru_syslog", *args],
        env=full,
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def refused_tcp_port() -> Iterator[int]:
    """A TCP port bound but not listening: connecting is refused for as long as the test runs."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    yield sock.getsockname()[1]
    sock.close()


@pytest.fixture
def dead_udp_port() -> int:
    """A UDP port nobody listens on (loopback answers with ICMP port unreachable)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("SYSLOG_")]:
        monkeypatch.delenv(name)


def rows(stdout: str) -> dict[str, str]:
    """The configuration table of `check`: option -> its line."""
    table = {}
    for line in stdout.splitlines():
        if line.startswith("  ") and line.split():
            table.setdefault(line.split()[0], line)
    return table


# -- check against a real rsyslog ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["udp", "tcp"])
def test_check_against_rsyslog(rsyslog_factory: Any, kind: str) -> None:
    rsyslog = started(rsyslog_factory(), "net", kind)
    env = {
        "SYSLOG_URL": f"{rsyslog.url('net')}?facility=local0&app_name=from-url",
        "SYSLOG_APP_NAME": "from-variable",
        "SYSLOG_SEVERITIES": "TRACE=info",
    }
    done = run("check", "--app-name", "from-flag", "--msgid", "CHECK", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr == ""
    table = rows(done.stdout)
    # Every option, its value and where it came from.
    assert set(OPTIONS) | {"address", "transport"} <= set(table)
    assert table["address"].split()[1:] == [rsyslog.url("net"), "SYSLOG_URL"]
    assert table["facility"].split()[1:] == ["local0", "(16)", "SYSLOG_URL", "query"]
    assert table["app_name"].split()[1:] == ["from-flag", "--app-name"]
    assert table["severities"].split()[1:] == ["TRACE=info", "SYSLOG_SEVERITIES"]
    assert table["timeout"].split()[1:] == ["3.0", "default"]
    assert "OK: 7 messages handed to" in done.stdout
    for name, severity in LEVELS:
        severity = 6 if name == "TRACE" else severity
        assert f"  {name:<8} -> " in done.stdout and f"({severity}), PRI {16 * 8 + severity}: sent" in done.stdout

    got = rsyslog.wait_for(7)
    assert [m["msg"] for m in got] == [f"loguru-syslog check: test message at {name}" for name, _ in LEVELS]
    assert [m["severity"] for m in got] == [6, 7, 6, 5, 4, 3, 2]
    assert all(m["facility"] == 16 and m["app_name"] == "from-flag" and m["msgid"] == "CHECK" for m in got)


def test_check_tls_with_the_ca_from_the_environment(rsyslog_factory: Any, tls_certs: Any) -> None:
    rsyslog = started(rsyslog_factory(), "sec", "tls", **tls_input(tls_certs))
    url = f"tls://localhost:{rsyslog.port('sec')}"

    untrusted = run("check", env={"SYSLOG_URL": url})
    assert untrusted.returncode == 1
    assert untrusted.stderr.count("\n") == 1
    assert untrusted.stderr.startswith(f"loguru-syslog: check failed: cannot open {url}: SSLCertVerificationError")

    trusted = run("check", env={"SYSLOG_URL": url, "SYSLOG_TLS_CA_FILE": str(tls_certs.ca_file)})
    assert trusted.returncode == 0, trusted.stdout + trusted.stderr
    assert rows(trusted.stdout)["tls_ca_file"].split()[1:] == [str(tls_certs.ca_file), "SYSLOG_TLS_CA_FILE"]
    assert len(rsyslog.wait_for(7)) == 7
    # check shows the server certificate's SHA-256, the value tls_pin_sha256 takes.
    leaf = Path(tls_certs.server_cert_file).read_text().split("-----END CERTIFICATE-----")[0]
    pin = hashlib.sha256(ssl.PEM_cert_to_DER_cert(leaf + "-----END CERTIFICATE-----\n")).hexdigest()
    assert f"  {url}: opened; server certificate SHA-256 {pin}\n" in trusted.stdout, trusted.stdout
    pinned = run(
        "check", env={"SYSLOG_URL": url, "SYSLOG_TLS_CA_FILE": str(tls_certs.ca_file), "SYSLOG_TLS_PIN_SHA256": pin}
    )
    assert pinned.returncode == 0, pinned.stdout + pinned.stderr
    assert rows(pinned.stdout)["tls_pin_sha256"].split()[1:] == [pin, "SYSLOG_TLS_PIN_SHA256"]
    wrong = run(
        "check",
        env={"SYSLOG_URL": url, "SYSLOG_TLS_CA_FILE": str(tls_certs.ca_file), "SYSLOG_TLS_PIN_SHA256": "0" * 64},
    )
    assert wrong.returncode == 1
    assert wrong.stderr.startswith(f"loguru-syslog: check failed: cannot open {url}: PinMismatchError"), wrong.stderr
    assert pin in wrong.stderr  # the certificate's actual SHA-256, to compare with the pin


# -- check against dead ports: exit status 1 and a one-line reason ------------------------------------


def test_check_dead_tcp_port(refused_tcp_port: int) -> None:
    url = f"tcp://127.0.0.1:{refused_tcp_port}"
    done = run("check", env={"SYSLOG_URL": url})
    assert done.returncode == 1
    reason = f"cannot open {url}: ConnectionRefusedError: [Errno 111] Connection refused"
    assert done.stderr == f"loguru-syslog: check failed: {reason}\n"
    assert f"FAILED: {reason}" in done.stdout
    assert "not sent: the transport did not open" in done.stdout


def test_check_dead_udp_port(dead_udp_port: int) -> None:
    url = f"udp://127.0.0.1:{dead_udp_port}"
    done = run("check", "--url", url)
    assert done.returncode == 1
    # The sink's own once-per-outage line, then the command's one-line verdict.
    outage, verdict = done.stderr.splitlines()
    assert outage.startswith(f"loguru-syslog: cannot send to {url} (ConnectionRefusedError")
    assert verdict.startswith(f"loguru-syslog: check failed: {url} refused the messages: ConnectionRefusedError")
    assert "FAILED:" in done.stdout


def test_check_to_stdout_shows_the_messages() -> None:
    done = run("check", env={"SYSLOG_URL": "stdout", "SYSLOG_FACILITY": "kern"})
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    for name, severity in LEVELS:
        assert f"<{severity}>loguru-syslog check: test message at {name}" in lines
    assert lines[-1] == "OK: 7 messages handed to stdout"


# -- send -----------------------------------------------------------------------------------------------


def test_send_to_rsyslog_like_logger(rsyslog_factory: Any) -> None:
    rsyslog = started(rsyslog_factory(), "net", "udp")
    env = {"SYSLOG_URL": rsyslog.url("net"), "SYSLOG_FACILITY": "local1", "SYSLOG_APP_NAME": "cron-job"}
    done = run("send", "--level", "warning", "--facility", "local2", "backup took 3 h", env=env)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    numbered = run("send", "--level", "45", "custom level number", env=dict(env, SYSLOG_SEVERITIES="45=alert"))
    assert numbered.returncode == 0, numbered.stderr
    piped = run("send", "--level", "ERROR", env=env, stdin="first line\nsecond line\n")
    assert piped.returncode == 0, piped.stderr

    got = rsyslog.wait_for(4)
    assert [(m["msg"], m["severity"], m["facility"]) for m in got] == [
        ("backup took 3 h", 4, 18),  # the flag wins over SYSLOG_FACILITY
        ("custom level number", 1, 17),
        ("first line", 3, 17),
        ("second line", 3, 17),
    ]
    assert all(m["app_name"] == "cron-job" for m in got)


def test_send_to_a_dead_tcp_port(refused_tcp_port: int) -> None:
    url = f"tcp://127.0.0.1:{refused_tcp_port}"
    done = run("send", "--url", url, "lost")
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == (
        f"loguru-syslog: send failed: cannot open {url}: ConnectionRefusedError: [Errno 111] Connection refused\n"
    )


def test_send_to_a_dead_udp_port(dead_udp_port: int) -> None:
    url = f"udp://127.0.0.1:{dead_udp_port}"
    done = run("send", "lost", env={"SYSLOG_URL": url})
    assert done.returncode == 1
    assert done.stderr.startswith(f"loguru-syslog: send failed: {url} refused the messages: ConnectionRefusedError")
    assert done.stderr.count("\n") == 1


def test_send_with_another_prefix() -> None:
    done = run("send", "--prefix", "MYAPP_LOG_", "hi", env={"MYAPP_LOG_URL": "stdout", "MYAPP_LOG_FACILITY": "kern"})
    assert (done.returncode, done.stdout, done.stderr) == (0, "<6>hi\n", "")


def test_unknown_variables_are_reported_as_warnings() -> None:
    done = run("send", "hi", env={"SYSLOG_URL": "stdout", "SYSLOG_FACILTY": "local0"})
    assert done.returncode == 0
    assert done.stdout == "<6>hi\n"  # the misspelt facility is not applied: stdout's default, kern
    assert done.stderr == (
        "loguru-syslog: warning: SYSLOG_FACILTY is not a loguru-syslog variable and is ignored; "
        "did you mean SYSLOG_FACILITY?\n"
    )


# -- configuration errors: exit status 2, the message, no traceback -------------------------------------


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["check"], {"SYSLOG_URL": "stdout", "SYSLOG_FACILITY": "locl0"}, "SYSLOG_FACILITY='locl0' is invalid: "),
        (["check"], {"SYSLOG_URL": "udp://h:0"}, "SYSLOG_URL='udp://h:0' is invalid: a port from 1 to 65535"),
        (["check"], {"SYSLOG_URL": "udp://h?facilty=x"}, "SYSLOG_URL?facilty='x' is invalid: did you mean facility?"),
        (["check", "--url", "udp://h", "--timeout", "3s"], {}, "--timeout='3s' is invalid: seconds"),
        (["send", "--url", "bogus", "x"], {"SYSLOG_URL": "stdout"}, "--url='bogus' is invalid: a URL such as"),
        (["send", "--url", "udp://h", "--tls-verify", "x"], {}, "--tls-verify=True is invalid: only for tls://"),
        (["send", "--level", "LOUD", "x"], {"SYSLOG_URL": "stdout"}, "--level='LOUD' is invalid: a loguru level"),
        (["check", "--url", "udp://h?timeout=3s"], {}, "--url?timeout='3s' is invalid: seconds"),
        (["check", "--url", "udp://h?tls_verify=no"], {}, "--url?tls_verify='no' is invalid: only for tls://"),
        (["check", "--url", "stdout", "--severities", "AUDIT=loud"], {}, "--severities['AUDIT']='loud' is invalid"),
    ],
)
def test_configuration_errors_exit_2_with_the_message(args: list[str], env: dict[str, str], message: str) -> None:
    done = run(*args, env=env)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith(f"loguru-syslog: configuration error: {message}")
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def test_no_local_socket_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], clean_environ: None
) -> None:
    monkeypatch.setattr(_address, "LOCAL_SOCKET_PATHS", ("/nonexistent/log",))
    assert main(["check"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("loguru-syslog: configuration error: address=None is invalid: no local syslog")
    assert "set SYSLOG_URL" in captured.err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in ([], ["frobnicate"], ["check", "--facility"], ["send", "--no-such-flag", "x"]):
        with pytest.raises(SystemExit) as caught:
            main(argv)
        assert caught.value.code == 2
    assert "usage: loguru-syslog" in capsys.readouterr().err


def test_every_textual_option_is_a_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["check", "--help"])
    assert caught.value.code == 0
    help_text = capsys.readouterr().out
    assert set(option_flags()) == {name for name, option in OPTIONS.items() if option.textual}
    for name, flag in option_flags().items():
        assert flag in help_text, name
    assert "--url" in help_text and "--prefix" in help_text


def test_the_console_script_is_main() -> None:
    found = entry_points()
    scripts = found.select(group="console_scripts") if hasattr(found, "select") else found["console_scripts"]
    (script,) = [ep for ep in scripts if ep.name == "loguru-syslog"]
    assert script.value == "loguru_syslog.__main__:main"
    assert script.load() is main


def test_version() -> None:
    done = run("--version")
    assert done.returncode == 0
    assert done.stdout.startswith("loguru-syslog 0.")
