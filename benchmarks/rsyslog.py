"""A private rsyslogd for the end-to-end cases: imtcp or imrelp on a free loopback port, a line per message."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

#: Seconds between two looks at the output file while waiting.
POLL_INTERVAL = 0.002
START_TIMEOUT = 10.0


#: Names the rsyslogd binary to use instead of looking for one (tests use it to simulate a missing one).
BINARY_ENV = "LOGURU_SYSLOG_BENCH_RSYSLOGD"


def find_rsyslogd() -> str | None:
    override = os.environ.get(BINARY_ENV)
    if override is not None:
        return override if os.access(override, os.X_OK) else None
    return shutil.which("rsyslogd") or shutil.which("rsyslogd", path="/usr/sbin:/sbin")


#: The inputs a daemon can listen with: the module to load and its `input()` (RELP: package rsyslog-relp).
INPUTS = {
    "tcp": (
        'module(load="imtcp" maxSessions="100")',
        'input(type="imtcp" address="127.0.0.1" port="{port}" ruleset="bench")',
    ),
    "relp": ('module(load="imrelp")', 'input(type="imrelp" address="127.0.0.1" port="{port}" ruleset="bench")'),
}


class Rsyslog:
    """rsyslogd in the foreground (`-n`) from `workdir`, writing `%msg%` lines to `messages.log`.

    `protocol` is its one input: "tcp" (imtcp) or "relp" (imrelp). Everything else (the main
    queue, the ruleset, the omfile) is the same, so that the two compare like for like: the
    ruleset has no queue of its own, so an imrelp ack means "in the main queue", as with
    rsyslog's defaults.
    """

    def __init__(self, binary: str, workdir: Path, protocol: str = "tcp") -> None:
        self.binary = binary
        self.workdir = workdir
        self.protocol = protocol
        self.output = workdir / "messages.log"
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._offset = 0  # octets of the output already counted

    def start(self) -> None:
        self.port = _free_port()
        config = self.workdir / "rsyslog.conf"
        module, listen = INPUTS[self.protocol]
        config.write_text(
            f'global(workDirectory="{self.workdir}" processInternalMessages="on")\n'
            'main_queue(queue.size="400000")\n'
            f"{module}\n"
            'template(name="bench_line" type="string" string="%msg%\\n")\n'
            'ruleset(name="bench") {\n'
            f'  action(type="omfile" file="{self.output}" template="bench_line")\n'
            "}\n"
            f"{listen.format(port=self.port)}\n"
            f'*.* action(type="omfile" file="{self.workdir / "internal.log"}")\n'
        )
        stderr = open(self.workdir / "stderr.log", "wb")  # noqa: SIM115 - kept open for the daemon's life
        self._process = subprocess.Popen(
            [self.binary, "-n", "-f", str(config), "-i", str(self.workdir / "rsyslogd.pid")],
            stdout=stderr,
            stderr=subprocess.STDOUT,
        )
        stderr.close()
        self._wait_listening()

    def _wait_listening(self) -> None:
        """Wait until the port accepts connections (rsyslogd does not exit when it cannot bind)."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"rsyslogd exited at start: {self._diagnostics()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"rsyslogd did not listen on port {self.port}: {self._diagnostics()}")

    def mark(self) -> None:
        """Count from the current end of the output file from now on."""
        try:
            self._offset = os.path.getsize(self.output)
        except FileNotFoundError:
            self._offset = 0

    def wait_for(self, count: int, timeout: float, idle: float = 3.0) -> tuple[int, float]:
        """Wait until `count` lines arrived after the mark: (lines seen, monotonic time of the last one seen).

        Gives up at `timeout`, or after `idle` seconds without a new line (messages were lost).
        """
        deadline = time.monotonic() + timeout
        seen, offset = 0, self._offset
        last_progress = time.monotonic()
        with open(self.output, "ab+") as file:
            while seen < count:
                now = time.monotonic()
                if now >= deadline or now - last_progress >= idle:
                    break
                file.seek(offset)
                chunk = file.read()
                # Only count up to the last newline: a line being written is not there yet.
                end = chunk.rfind(b"\n") + 1
                if end:
                    seen += chunk[:end].count(b"\n")
                    offset += end
                    last_progress = time.monotonic()
                if seen < count:
                    time.sleep(POLL_INTERVAL)  # the sender's writer thread may still need this CPU
        return seen, last_progress

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)

    def _diagnostics(self) -> str:
        texts = []
        for name in ("stderr.log", "internal.log"):
            path = self.workdir / name
            if path.exists():
                texts.append(f"{name}: {path.read_text(errors='replace')[-2000:]}")
        return "; ".join(texts) or "no output"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
