"""stdout / stderr: one line per message, for journald, Docker and Kubernetes."""

from __future__ import annotations

import sys
from typing import TextIO

from ._framing import lf
from ._transport import Transport

STREAMS = ("stdout", "stderr")


class StdioTransport(Transport):
    """Writes each message as one line to the process's stdout or stderr.

    The stream is looked up at every write, so redirections (pytest's capture,
    `contextlib.redirect_stdout`) are honoured. The default header is `pri` and
    the default facility kern (0), so each line starts with the bare severity,
    `<6>text`: the only prefix systemd's `SyslogLevelPrefix=` (journald) parses.
    """

    default_header = "pri"
    # 0 (kern) makes the PRI the bare severity, `<6>text`: journald's stream parser
    # (SyslogLevelPrefix=, sd-daemon(3)) accepts only <0>..<7> and leaves <14> in
    # the text. Container runtimes do not care either way.
    default_facility = 0
    default_max_message_size = 49152  # journald's default LineMax (48 KiB)

    @property
    def carries_newlines(self) -> bool:
        return False

    def __init__(self, stream: str = "stdout") -> None:
        if stream not in STREAMS:
            raise ValueError(f"stream must be one of {STREAMS}, not {stream!r}")
        self.stream = stream

    def _target(self) -> TextIO:
        return sys.stdout if self.stream == "stdout" else sys.stderr

    def send(self, message: bytes) -> None:
        target = self._target()
        line = lf(message)
        buffer = getattr(target, "buffer", None)
        if buffer is None:  # a text-only stream (StringIO, some test captures)
            target.write(line.decode("utf-8", "replace"))
            target.flush()
            return
        target.flush()  # what was printed before us must stay before us
        buffer.write(line)
        buffer.flush()

    def __repr__(self) -> str:
        return f"StdioTransport({self.stream!r})"
