"""Custom loguru levels and the severity table.

What it shows:

- the default table: TRACE and DEBUG -> debug, INFO -> info, SUCCESS -> notice,
  WARNING -> warning, ERROR -> err, CRITICAL -> crit;
- a custom level you do not map falls back to the highest built-in level at or below its
  number (VERBOSE, no=15 -> DEBUG -> debug; `logger.log(42, ...)` -> ERROR -> err),
  never to the stdlib's silent "warning";
- `severities=` maps custom levels by name (AUDIT -> notice, SECURITY -> alert);
  the same entries as text, as in the SYSLOG_SEVERITIES variable: "AUDIT=notice,SECURITY=alert";
- `sink.severity_for(name, no)` tells what a level will become.

Run it:

    python examples/custom_levels.py                        # prints "<PRI>LEVEL: text" lines on stdout
    python examples/custom_levels.py udp://127.0.0.1:5514   # or SYSLOG_URL=...: to your daemon
"""

from __future__ import annotations

import argparse
import os

from loguru import logger

from loguru_syslog import SyslogSink

#: Custom levels: (name, number). loguru's built-ins are 5 10 20 25 30 40 50.
CUSTOM_LEVELS = (("VERBOSE", 15), ("AUDIT", 22), ("SECURITY", 45))
#: Our choices for them; VERBOSE is left to the fallback rule on purpose.
SEVERITIES = "AUDIT=notice,SECURITY=alert"  # same as {"AUDIT": "notice", "SECURITY": "alert"}
SEVERITY_NAMES = ("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default=os.environ.get("SYSLOG_URL", "stdout"), help="syslog address")
    args = parser.parse_args()

    for name, number in CUSTOM_LEVELS:
        logger.level(name, no=number)

    sink = SyslogSink(args.url, facility="local0", app_name="custom-levels", severities=SEVERITIES)

    builtin = ("TRACE", "DEBUG", "INFO", "SUCCESS", "WARNING", "ERROR", "CRITICAL")
    levels = [(level, logger.level(level).no) for level in builtin]
    levels += [*CUSTOM_LEVELS, ("Level 42", 42)]  # "Level 42" is what logger.log(42, ...) is called
    print("# loguru level        no  syslog severity  PRI (facility local0 = 16)")
    for name, number in sorted(levels, key=lambda level: level[1]):
        severity = sink.severity_for(name, number)
        print(f"# {name:<18} {number:>3}  {SEVERITY_NAMES[severity]:<7} ({severity})    <{16 * 8 + severity}>")

    logger.remove()
    logger.add(sink, level="TRACE", format="{level.name}: {message}")
    for name, _ in levels:
        if name.startswith("Level "):
            logger.log(42, "a level without a name")
        else:
            logger.log(name, "a message at {}", name)
    logger.remove()  # stop(): delivers what waits, then closes


if __name__ == "__main__":
    main()
