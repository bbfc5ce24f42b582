"""The one exception users catch: a configuration value we cannot accept."""

from __future__ import annotations

import sys
import warnings
from typing import Any


class SyslogConfigError(ValueError):
    """An invalid configuration value: raised at construction, never while logging.

    The message names the argument (or environment variable), the bad value and
    what is accepted, so that a typo is caught at start-up rather than discovered
    later as missing logs.
    """

    def __init__(self, name: str, value: Any, accepted: str) -> None:
        self.name = name
        self.value = value
        self.accepted = accepted
        super().__init__(f"{name}={value!r} is invalid: {accepted}")


class SyslogConfigWarning(UserWarning):
    """A configuration that works but is probably not what was meant (e.g. a
    misspelt SYSLOG_* variable, which is ignored). Filter it with `warnings`."""


def warn_config(text: str) -> None:
    """A SyslogConfigWarning that points at the first caller outside this package (the
    user's line that built the sink), wherever in the package it is raised."""
    frame = sys._getframe(1)  # the function that warns: stacklevel 2
    level = 2
    while frame.f_back is not None and frame.f_globals.get("__name__", "").startswith("loguru_syslog"):
        frame = frame.f_back
        level += 1
    warnings.warn(text, SyslogConfigWarning, stacklevel=level)
