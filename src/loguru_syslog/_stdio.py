"""stdout / stderr: one line per message, for journald, Docker and Kubernetes.

Bounded like every transport: a pipe nobody reads (a stuck collector) costs a
call at most `timeout`, and a line that has started is finished before the
next one (see `_stream`).
"""

from __future__ import annotations

import errno
import os
import select
import sys
from typing import TextIO

from ._address import STREAMS
from ._errors import SyslogConfigError
from ._framing import lf
from ._options import DEFAULT_TIMEOUT, parse_seconds
from ._sockets import Aborter, deadline_after, wait
from ._stream import StreamWriter
from ._transport import Transport

#: journald's default LineMax: longer stdout lines are split (_LINE_BREAK=line-max).
JOURNALD_LINE_MAX = 49152
#: Octets one write may carry without blocking once the pipe is writable (POSIX PIPE_BUF).
_CHUNK = getattr(select, "PIPE_BUF", 512)


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
    # One octet under LineMax: the longest line, with its newline, still ends on
    # the newline instead of being split by journald.
    default_max_message_size = JOURNALD_LINE_MAX - 1
    carries_newlines = False

    def __init__(self, stream: str = "stdout", *, timeout: float = DEFAULT_TIMEOUT) -> None:
        if stream not in STREAMS:
            raise SyslogConfigError("stream", stream, f"one of {', '.join(STREAMS)}")
        self.stream = stream
        self.timeout = parse_seconds(timeout, "timeout")
        self._writer = StreamWriter()
        self._aborter = Aborter()
        self._cut_short = False  # a line was cut short: end it before the next one

    def is_failure(self, exc: BaseException) -> bool:
        return isinstance(exc, OSError) and exc.errno is not None

    def taken(self) -> bool:
        return self._writer.taken

    def open(self) -> None:
        self._aborter.reset()

    def abort(self) -> None:
        self._aborter.abort()

    def close(self) -> None:
        self._writer.reset()

    def after_fork(self) -> None:
        self._aborter.discard()
        self.close()

    def send(self, message: bytes) -> None:
        target = self._target()
        line = lf(message)
        fd = _fileno(target)
        if fd is None:  # a text-only stream (StringIO, some test captures): cannot block
            target.write(line.decode("utf-8", "replace"))
            target.flush()
            return
        writer = self._writer
        writer.taken = False

        def write(view: memoryview) -> int:
            if not select.select([], [fd], [], 0)[1]:
                raise BlockingIOError(errno.EAGAIN, "the stream is full")
            return os.write(fd, view[:_CHUNK])

        def wait_writable(deadline: float, writable: bool) -> None:
            wait(fd, deadline, self._aborter, what=f"nobody reads {self.stream} (the line waited the timeout)")

        def deadline() -> float:
            return deadline_after(self.timeout, self.deadline)

        try:
            if writer.rest:
                writer.finish_rest(write, wait_writable, deadline)
            else:
                # What was printed before us must stay before us; flushing may block
                # on a full pipe, so only once the stream takes data again.
                wait_writable(deadline(), True)
                target.flush()
            if self._cut_short:
                # A stream cannot be dropped: end the cut line (an empty line at
                # worst, which journald drops) so that this one starts clean.
                writer.write(b"\n", write, wait_writable, deadline)
                self._cut_short = False
            writer.write(line, write, wait_writable, deadline)
        except BaseException:
            if writer.broken:
                writer.reset()
                self._cut_short = True
            raise

    def _target(self) -> TextIO:
        target = sys.stdout if self.stream == "stdout" else sys.stderr
        if target is None:  # pythonw, or closed by the application
            raise OSError(errno.EBADF, f"sys.{self.stream} is None")
        return target

    def __repr__(self) -> str:
        return f"StdioTransport({self.stream!r})"


def _fileno(target: TextIO) -> int | None:
    try:
        return target.fileno()
    except (AttributeError, OSError, ValueError):
        return None
