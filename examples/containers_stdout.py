"""Containers and systemd services: one line per record on stdout, severity in a `<N>` prefix.

What it shows:

- `SyslogSink("stdout")` writes `<PRI>text` lines (header "pri"), one per record: a
  traceback stays on its line, so the log collector never splits an event in two;
- on stdout and stderr the facility defaults to kern (0), so the prefix is the bare
  severity `<0>`..`<7>`, the only form systemd-journald parses from a service with
  `SyslogLevelPrefix=` (the default). Giving another facility (SYSLOG_FACILITY=local0)
  puts it in the prefix (`<134>`), which journald leaves in the text;
- loguru's own stderr handler is removed, so every line on stdout comes from the sink.

Run it:

    python examples/containers_stdout.py            # stdout (or SYSLOG_URL=stderr, or a URL)
    python examples/containers_stdout.py | systemd-cat -t demo      # then: journalctl -t demo -p warning

In Docker or Kubernetes the lines are stored as they are; a collector (Fluent Bit,
Vector, Promtail...) can take the severity from `^<(\\d)>` and the rest as the message.
"""

from __future__ import annotations

import argparse
import os

from loguru import logger

from loguru_syslog import SyslogSink


def handle_request(path: str) -> None:
    with logger.contextualize(path=path):
        logger.info("GET {}", path)
        if path == "/slow":
            logger.warning("took {} ms", 1830)
        if path == "/boom":
            raise RuntimeError("backend said no")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default=os.environ.get("SYSLOG_URL", "stdout"), help="stdout/stderr/URL")
    args = parser.parse_args()

    logger.remove()  # loguru's default handler writes to stderr; in a container one stream is enough
    logger.add(
        SyslogSink(args.url),  # on stdout/stderr the facility is kern: `<6>text`
        level="DEBUG",
        # No time stamp: journald and the container runtime add their own.
        format="{name}:{function}:{line} {extra} - {message}",
        diagnose=False,  # no variable values in tracebacks
    )
    logger.debug("starting with pid {}", os.getpid())
    for path in ("/", "/slow", "/boom"):
        try:
            handle_request(path)
        except RuntimeError:
            logger.exception("request failed")
    logger.success("shutting down cleanly")
    logger.remove()


if __name__ == "__main__":
    main()
