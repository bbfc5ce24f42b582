"""One fork registry for every thread and connection the package owns.

After `os.fork()` the child has copies of the parent's sockets, locks and
queues, but not its threads. Each registered object resets itself in the
child: it opens its own connection later and never writes into the parent's.
"""

from __future__ import annotations

import os
import weakref
from typing import Protocol


class ForkAware(Protocol):
    def reset_after_fork(self) -> None: ...


_live: weakref.WeakSet[ForkAware] = weakref.WeakSet()


def register(obj: ForkAware) -> None:
    """Reset `obj` in every child forked from now on (held weakly)."""
    _live.add(obj)


def _reset_all() -> None:
    for obj in list(_live):
        obj.reset_after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_all)
