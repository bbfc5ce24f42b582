"""A private systemd-journald for the journald cases, without systemd as PID 1.

As root: `unshare -m` into a private mount namespace, fresh tmpfs on journald's
directories (`/run/systemd`, `/run/log`, and `/var/log/journal` when it exists), a private
`journald.conf` bind-mounted over the host's (volatile storage, nothing forwarded, no rate
limit), then `systemd-journald` itself. Nothing it mounts is seen outside the namespace,
and every mount goes away with the process. From outside, its native socket is
`/proc/<pid>/root/run/systemd/journal/socket`, and `journalctl
--directory=/proc/<pid>/root/run/log/journal` reads the journal (the approach of
tests/daemons.py, whose `Journald` the tests use; this one only starts, counts and stops).

Never run `systemd-journald --help` or `--version` on the host: it takes any argument as
the name of a journal namespace and starts one, in the host's /run.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

START_TIMEOUT = 10.0
POLL_INTERVAL = 0.05
BINARIES = ("/lib/systemd/systemd-journald", "/usr/lib/systemd/systemd-journald")
#: Names the journald binary to use instead of looking for one (to simulate a missing one).
BINARY_ENV = "LOGURU_SYSLOG_BENCH_JOURNALD"

# Run as `unshare -m --propagation private sh -c SCRIPT sh CONF BINARY`. No directory is
# created outside the namespace: a missing /run/systemd or /run/log is made inside a tmpfs
# over /run; a missing /var/log/journal is left alone (Storage=volatile never looks there).
# The drop-in directories are masked so that the host's drop-ins do not apply.
_SCRIPT = r"""
set -eu
conf=$1 binary=$2
if [ ! -d /run/systemd ] || [ ! -d /run/log ]; then
    mount -t tmpfs -o mode=0755 tmpfs /run
    mkdir -p /run/systemd /run/log
fi
mount -t tmpfs -o mode=0755 tmpfs /run/systemd
mount -t tmpfs -o mode=0755 tmpfs /run/log
if [ -d /var/log/journal ]; then mount -t tmpfs -o mode=2755 tmpfs /var/log/journal; fi
mount --bind "$conf" /etc/systemd/journald.conf
for d in /etc/systemd/journald.conf.d /usr/local/lib/systemd/journald.conf.d /usr/lib/systemd/journald.conf.d \
         /lib/systemd/journald.conf.d; do
    if [ -d "$d" ]; then mount -t tmpfs -o mode=0755 tmpfs "$d"; fi
done
mkdir -p /run/systemd/journal /run/log/journal
exec "$binary"
"""

#: Volatile storage, nothing forwarded or read from elsewhere, no rate limit (the cases log
#: bursts of tens of thousands of entries), room for every entry of a run.
CONF = """\
[Journal]
Storage=volatile
Compress=yes
Seal=no
ReadKMsg=no
Audit=no
ForwardToSyslog=no
ForwardToKMsg=no
ForwardToConsole=no
ForwardToWall=no
RateLimitIntervalSec=0
RateLimitBurst=0
RuntimeMaxUse=1G
RuntimeMaxFileSize=128M
MaxLevelStore=debug
"""


def find_journald() -> str | None:
    override = os.environ.get(BINARY_ENV)
    if override is not None:
        return override if os.access(override, os.X_OK) else None
    return next((path for path in BINARIES if os.access(path, os.X_OK)), None)


def unavailable() -> str | None:
    """Why a private journald cannot be started here, or None."""
    if find_journald() is None:
        return "systemd-journald not found"
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "a private journald needs root (unshare -m, mount)"
    for tool in ("unshare", "journalctl"):
        if _which(tool) is None:
            return f"{tool} not found"
    return None


def _die_with_parent() -> None:
    """In the child before exec: SIGKILL when the benchmark process dies, even by SIGKILL
    (a journald left behind would keep its namespace and its memory)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _which(name: str) -> str | None:
    return shutil.which(name) or shutil.which(name, path="/usr/bin:/bin:/usr/sbin:/sbin")


class Journald:
    """systemd-journald in its own mount namespace, its files under `workdir`."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self._process is not None, "journald was not started"
        return self._process.pid

    @property
    def socket_path(self) -> str:
        """The native socket, seen from outside the namespace."""
        return f"/proc/{self.pid}/root/run/systemd/journal/socket"

    @property
    def journal_dir(self) -> str:
        return f"/proc/{self.pid}/root/run/log/journal"

    def start(self) -> None:
        binary, unshare = find_journald(), _which("unshare")
        if binary is None or unshare is None:
            raise RuntimeError(unavailable() or "systemd-journald not found")
        config = self.workdir / "journald.conf"
        config.write_text(CONF)
        stderr = open(self.workdir / "stderr.log", "wb")  # noqa: SIM115 - kept open for the daemon's life
        self._process = subprocess.Popen(
            [unshare, "-m", "--propagation", "private", "sh", "-c", _SCRIPT, "sh", str(config), binary],
            stdin=subprocess.DEVNULL,
            stdout=stderr,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        stderr.close()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._listening():
            if self._process.poll() is not None:
                raise RuntimeError(f"journald exited at start: {self._diagnostics()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"journald has no native socket after {START_TIMEOUT} s: {self._diagnostics()}")
            time.sleep(POLL_INTERVAL)

    def _listening(self) -> bool:
        """The socket exists in the namespace's fresh /run (no stale file possible) and takes a datagram."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            try:
                sock.connect(self.socket_path)
            except OSError:
                return False
        return True

    def count(self, identifier: str) -> int:
        """Entries in the journal whose SYSLOG_IDENTIFIER is `identifier`."""
        done = subprocess.run(
            [
                _which("journalctl") or "journalctl",
                f"--directory={self.journal_dir}",
                "--no-pager",
                "--quiet",
                "-o",
                "json",
                "--output-fields=SYSLOG_IDENTIFIER",
                f"SYSLOG_IDENTIFIER={identifier}",
            ],
            capture_output=True,
            timeout=120,
        )
        return done.stdout.count(b"\n")

    def wait_for(self, identifier: str, count: int, timeout: float = 60.0, idle: float = 3.0) -> int:
        """Wait until `count` entries of `identifier` are in the journal, or `idle` seconds pass
        without a new one (or `timeout`); returns how many there are."""
        deadline = time.monotonic() + timeout
        seen, last_progress = -1, time.monotonic()
        while True:
            now_seen = self.count(identifier)
            now = time.monotonic()
            if now_seen != seen:
                seen, last_progress = now_seen, now
            if seen >= count or now >= deadline or now - last_progress >= idle:
                return seen
            time.sleep(0.2)

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)

    def _diagnostics(self) -> str:
        path = self.workdir / "stderr.log"
        text = path.read_text(errors="replace")[-2000:] if path.exists() else ""
        return text.strip() or "no output"
