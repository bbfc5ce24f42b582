"""A twelve-factor worker: where its logs go is configured only by the environment.

What it shows:

- `SyslogSink.from_env()` reads SYSLOG_URL, SYSLOG_FACILITY, SYSLOG_APP_NAME, ... (every
  variable is in docs/configuration.md); the code names no host, port or facility;
- a custom level (AUDIT, 45) mapped to a syslog severity by SYSLOG_SEVERITIES;
- per-job context with `logger.contextualize()`, sent as RFC 5424 structured data;
- a bad variable stops the program at start-up with one clear line, not later with
  missing logs (try SYSLOG_FACILITY=locl0).

Run it:

    # on a terminal, as journald or a container runtime would read it
    SYSLOG_URL=stdout SYSLOG_SEVERITIES=AUDIT=notice python examples/twelve_factor_app.py

    # to a syslog daemon, after checking the same environment with the command
    export SYSLOG_URL='udp://127.0.0.1:514?facility=local0' SYSLOG_APP_NAME=worker
    export SYSLOG_SEVERITIES=AUDIT=notice
    python -m loguru_syslog check && python examples/twelve_factor_app.py

With SYSLOG_URL unset it logs to the local syslog socket (/dev/log).
"""

from __future__ import annotations

import random
import sys

from loguru import logger

from loguru_syslog import SyslogConfigError, SyslogSink

JOBS = [("resize", "cat.png"), ("resize", "dog.png"), ("transcode", "talk.mp4"), ("resize", "broken.gif")]


def setup_logging() -> None:
    try:
        sink = SyslogSink.from_env()
    except SyslogConfigError as exc:
        sys.exit(f"logging configuration: {exc}")
    logger.remove()  # loguru's stderr handler: in production the sink is the one destination
    logger.add(sink, level="DEBUG", format="{message}", diagnose=False)
    try:
        logger.level("AUDIT", no=45, icon="A")
    except TypeError:  # already defined
        pass


def run(kind: str, name: str) -> None:
    if name.endswith(".gif"):
        raise ValueError(f"unsupported format: {name}")
    logger.debug("{} {}: {} ms", kind, name, random.randint(20, 900))


def main() -> None:
    setup_logging()
    logger.info("worker started, {} jobs queued", len(JOBS))
    for number, (kind, name) in enumerate(JOBS, 1):
        with logger.contextualize(job_id=number, kind=kind):
            try:
                run(kind, name)
            except ValueError:
                logger.exception("job {} failed", number)
            else:
                logger.success("job {} done", number)
    logger.log("AUDIT", "worker processed {} jobs", len(JOBS))
    logger.remove()  # stop(): delivers what is queued, then closes


if __name__ == "__main__":
    main()
