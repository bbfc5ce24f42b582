"""Configuration that cannot work fails at construction (issue 11, item 7).

Unix paths over the kernel's limit, NUL, whitespace and control characters in hosts
and paths, malformed brackets, over-long host names, other scripts' digits, user info
in URLs (never repeating the password), misspelt or repeated severities keys, and
`check` with its standard output closed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from typing import Any

import pytest

from conftest import UdpReceiver
from loguru_syslog import SyslogConfigError, SyslogConfigWarning, SyslogSink
from loguru_syslog._address import UNIX_PATH_MAX, check_host, check_unix_path
from loguru_syslog._cli import main
from loguru_syslog._severity import ascii_number_text, closest_builtin_level, parse_severities

ARABIC_45 = "\u0664\u0665"  # '٤٥': int() and str.isdigit() take it
ARABIC_514 = "\u0665\u0661\u0664"
URL = "udp://127.0.0.1:514"


def from_env(**variables: str) -> SyslogSink:
    return SyslogSink.from_env(environ={"SYSLOG_URL": URL, **variables})


def config_error(call: Any, *args: Any, **kwargs: Any) -> SyslogConfigError:
    with pytest.raises(SyslogConfigError) as caught:
        call(*args, **kwargs)
    return caught.value


# -- unix socket paths --------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["unix", "unixgram", "unixstream"])
def test_a_unix_path_over_the_kernel_limit_is_an_error(scheme: str) -> None:
    path = "/tmp/" + "s" * (UNIX_PATH_MAX - 4)  # one byte too many
    error = config_error(SyslogSink, f"{scheme}://{path}")
    assert error.name == "address" and error.value == f"{scheme}://{path}"
    assert f"at most {UNIX_PATH_MAX} bytes" in error.accepted


def test_the_unix_path_limit_counts_bytes_not_characters() -> None:
    path = "/tmp/" + "\u00e9" * 52  # 57 characters, 109 bytes in UTF-8
    assert "bytes" in config_error(SyslogSink, "unix://" + path.replace("\u00e9", "%C3%A9")).accepted
    SyslogSink("unix:///tmp/" + "s" * (UNIX_PATH_MAX - 5))  # exactly at the limit: fine (no connect yet)


def test_a_unix_path_with_nul_is_an_error() -> None:
    error = config_error(SyslogSink, "unix:///run/log%00x")
    assert "NUL" in error.accepted
    error = config_error(from_env, SYSLOG_URL="unixgram:///run/log%00x")
    assert error.name == "SYSLOG_URL"


def test_check_unix_path_for_transport_constructors() -> None:
    assert check_unix_path("/dev/log", "path") == "/dev/log"
    assert config_error(check_unix_path, "/run/a\0b", "path").name == "path"
    assert config_error(check_unix_path, "/" + "x" * UNIX_PATH_MAX, "path").value == "/" + "x" * UNIX_PATH_MAX
    assert config_error(check_unix_path, "", "path").name == "path"


# -- hosts ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        ("udp://log%00host:514", "control characters"),
        ("udp://log%20host:514", "whitespace"),
        ("tcp://log%09host", "whitespace"),
        ("udp://log%E2%80%A8host:514", "whitespace"),  # U+2028 LINE SEPARATOR, percent-encoded
        ("udp://..:514", "empty label"),
        ("udp://.logs:514", "empty label"),
        ("udp://logs..example.com:514", "empty label"),
        ("udp://" + "a" * 300 + ":514", "at most 63"),
        ("udp://" + ".".join(["a" * 60] * 5) + ":514", "at most 253"),
        ("tls://" + "b" * 64 + ".example.com", "at most 63"),
    ],
)
def test_hosts_that_cannot_resolve_are_errors(url: str, accepted: str) -> None:
    error = config_error(SyslogSink, url)
    assert error.name == "address" and error.value == url
    assert accepted in error.accepted


@pytest.mark.parametrize("text", ["udp://log\u2028host:514", "udp://log\nhost:514", "udp://logs:514\t?facility=kern"])
def test_raw_control_characters_in_a_url_are_errors_not_dropped(text: str) -> None:
    # urlsplit() silently deletes TAB, CR and LF: "log\nhost" would become "loghost".
    error = config_error(SyslogSink, text)
    assert "control characters" in error.accepted
    assert "\u2028" not in str(error) and "\n" not in str(error)  # shown escaped, on one line


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("udp://" + ".".join(["a" * 63] * 3) + ".example:514", ".".join(["a" * 63] * 3) + ".example"),
        ("udp://logs.example.com.:514", "logs.example.com."),
        ("udp://192.0.2.1:514", "192.0.2.1"),
        ("udp://[2001:db8::1]:514", "2001:db8::1"),
        ("udp://[fe80::1%25eth0]:514", "fe80::1%eth0"),
        ("udp://b\u00fccher.example:514", "b\u00fccher.example"),
        ("udp://my_host:514", "my_host"),
    ],
)
def test_valid_hosts_stay_valid(url: str, host: str) -> None:
    assert SyslogSink(url).transport.host == host  # type: ignore[attr-defined]


def test_check_host_for_transport_constructors() -> None:
    assert check_host("logs.example.com", "host") == "logs.example.com"
    assert check_host("::1", "host") == "::1"
    for bad in ["", "a b", "a\0b", "..", "a\u2028b", "x" * 300, "not:ipv6"]:
        error = config_error(check_host, bad, "host")
        assert (error.name, error.value) == ("host", bad)


# -- brackets and ports -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["tls://[::1]]:6514", "udp://[::1]x:514", "udp://[::1]:5[14", "tcp://[[::1]]:514", "udp://x[::1]:514"]
)
def test_malformed_brackets_are_errors(url: str) -> None:
    error = config_error(SyslogSink, url)
    assert error.name == "address" and error.value == url


@pytest.mark.parametrize("url", [f"udp://logs:{ARABIC_514}", f"tls://[::1]:{ARABIC_514}"])
def test_a_port_in_other_digits_is_an_error(url: str) -> None:
    # Python < 3.11.4 urllib takes these; the check is the package's own.
    assert "port" in config_error(SyslogSink, url).accepted


# -- user info: an error that says so and never repeats the password ---------------------------------------


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("udp://user:s3cret@host:514", "udp://user:***@host:514"),
        ("tls://user:s3cret@[::1]:6514", "tls://user:***@[::1]:6514"),
        ("tcp://user:s3c@ret@host", "tcp://user:***@host"),
        ("tcp://user:s3c?ret@host?facility=kern", "tcp://user:***@host?facility=kern"),
    ],
)
def test_user_info_is_an_error_without_the_password(url: str, shown: str) -> None:
    error = config_error(SyslogSink, url)
    assert error.value == shown
    assert "s3c" not in str(error) and "ret" not in str(error).replace("syslog", "")
    assert "user info" in error.accepted and "not supported in syslog URLs" in error.accepted


def test_user_info_in_the_environment_and_on_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    error = config_error(from_env, SYSLOG_URL="udp://user:s3cret@host:514")
    assert error.name == "SYSLOG_URL" and "s3cret" not in str(error)
    assert main(["send", "--url", "udp://user:s3cret@host:514", "hi"]) == 2
    err = capsys.readouterr().err
    assert "user:***@host" in err and "s3cret" not in err


# -- digits: 0-9 only ------------------------------------------------------------------------------------------


def test_other_digits_are_not_numbers() -> None:
    assert config_error(SyslogSink, URL, facility="\u0661\u0662").name == "facility"
    assert config_error(from_env, SYSLOG_FACILITY="\u0661\u0662").name == "SYSLOG_FACILITY"
    assert config_error(from_env, SYSLOG_SEVERITIES=f"{ARABIC_45}=crit").name == "SYSLOG_SEVERITIES"
    assert config_error(from_env, SYSLOG_SEVERITIES="AUDIT=\u0665").name == "SYSLOG_SEVERITIES['AUDIT']"
    assert config_error(SyslogSink, URL, severities={ARABIC_45: "crit"}).name == "severities"


@pytest.mark.parametrize("key", ["+-5", "\u00b2", "--45"])
def test_odd_numeric_keys_are_config_errors_not_value_errors(key: str) -> None:
    # They used to escape as a bare ValueError from int().
    assert config_error(from_env, SYSLOG_SEVERITIES=f"{key}=crit").value == key


def test_ascii_number_text() -> None:
    for good in ["0", "45", " 45 ", "+3", "-1", "0.5", ".5", "5.", "1e3", "2.5E-2"]:
        assert ascii_number_text(good), good
    for bad in [ARABIC_45, f"{ARABIC_45}.5", "1_000", "inf", "nan", "", "\u00b2", "0x10", "4 5", "1e"]:
        assert not ascii_number_text(bad), bad
    assert ascii_number_text("45", integer=True) and ascii_number_text("-1", integer=True)
    assert not ascii_number_text("4.5", integer=True) and not ascii_number_text(ARABIC_45, integer=True)


def test_other_digits_in_numeric_options_are_errors() -> None:
    # Fixed in the options module (its own ASCII check), not here.
    assert config_error(from_env, SYSLOG_MAX_MESSAGE_SIZE="\u0664\u0668\u0660\u0660").name == "SYSLOG_MAX_MESSAGE_SIZE"


# -- severities keys: misspelt built-in levels warn, repeated levels are errors ------------------------


@pytest.mark.parametrize(
    ("key", "guess"),
    [("WARN", "WARNING"), ("eror", "ERROR"), ("Infoo", "INFO"), ("SUCESS", "SUCCESS"), ("FATAL", "CRITICAL")],
)
def test_a_key_close_to_a_builtin_level_warns(key: str, guess: str) -> None:
    with pytest.warns(SyslogConfigWarning, match=f"did you mean {guess}") as caught:
        from_env(SYSLOG_SEVERITIES=f"{key}=crit")
    ours = [w for w in caught if issubclass(w.category, SyslogConfigWarning)]  # not stray ResourceWarnings
    assert "SYSLOG_SEVERITIES" in str(ours[0].message) and repr(key) in str(ours[0].message)
    assert ours[0].filename == __file__  # points at the caller, not into the package
    with pytest.warns(SyslogConfigWarning, match=f"did you mean {guess}"):
        SyslogSink(URL, severities={key: "crit"})


@pytest.mark.parametrize("key", ["AUDIT", "NOTICE", "ACCESS", "SECURITY", "DEBUG2", "trace", "Warning", "45"])
def test_custom_levels_and_builtin_spellings_do_not_warn(key: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from_env(SYSLOG_SEVERITIES=f"{key}=crit")
    assert closest_builtin_level(key) is None


def test_the_cli_reports_the_warning(capsys: pytest.CaptureFixture[str], udp_receiver: UdpReceiver) -> None:
    assert main(["send", "--url", udp_receiver.url, "--severities", "WARN=crit", "hi"]) == 0
    assert "warning: --severities: 'WARN' is not a built-in loguru level; did you mean WARNING?" in (
        capsys.readouterr().err
    )


@pytest.mark.parametrize(
    ("severities", "level"),
    [
        ({"INFO": "err", "info": "debug"}, "INFO"),
        ({"trace": "err", "TRACE": "debug"}, "TRACE"),
        ({"AUDIT": "err", " AUDIT ": "debug"}, "AUDIT"),
        ({45: "err", "45": "debug"}, "45"),
        ({"45": "err", "+45": "debug"}, "45"),
    ],
)
def test_a_level_given_twice_is_an_error(severities: dict[Any, str], level: str) -> None:
    error = config_error(SyslogSink, URL, severities=severities)
    assert error.name == "severities" and f"{level} is given more than once" in error.accepted


def test_a_level_given_twice_in_the_environment_is_an_error() -> None:
    error = config_error(from_env, SYSLOG_SEVERITIES="INFO=err,info=debug")
    assert error.name == "SYSLOG_SEVERITIES" and "INFO is given more than once" in error.accepted
    # A name and its number are different entries (the name wins): not a repeat.
    assert from_env(SYSLOG_SEVERITIES="INFO=err,20=debug").severity_for("INFO", 20) == 3


def test_parse_severities_reads_text_as_pairs() -> None:
    error = config_error(parse_severities, "INFO=err,INFO=debug", "SYSLOG_SEVERITIES")
    assert error.name == "SYSLOG_SEVERITIES" and "INFO is given more than once" in error.accepted
    table = parse_severities("TRACE=info,AUDIT=alert,45=emerg", "SYSLOG_SEVERITIES")
    assert (table.severity_for("TRACE", 5), table.severity_for("AUDIT", 45), table.severity_for("Level 45", 45)) == (
        6,
        1,
        0,
    )


def test_the_same_text_entry_twice_is_an_error() -> None:
    assert "INFO is given more than once" in config_error(from_env, SYSLOG_SEVERITIES="INFO=err,INFO=debug").accepted


# -- check with standard output closed ------------------------------------------------------------------------


def _run_closed(redirect: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYSLOG_")}
    env["SYSLOG_URL"] = "udp://127.0.0.1:9"
    return subprocess.run(
        ["sh", "-c", f'exec "$0" -m loguru_syslog check {redirect}', sys.executable],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_check_with_stdout_closed_explains_on_stderr() -> None:
    result = _run_closed(">&-")
    assert result.returncode == 2
    assert "standard output is closed" in result.stderr and "Traceback" not in result.stderr


def test_check_with_stdout_and_stderr_closed_exits_quietly_non_zero() -> None:
    result = _run_closed(">&- 2>&-")
    assert result.returncode == 2 and result.stdout == result.stderr == ""
