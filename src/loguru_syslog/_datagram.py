"""The recovery rules for datagram transports, chosen once from what the transport declares."""

from __future__ import annotations

import errno
from typing import Callable

from ._buffer import Buffer
from ._counters import Counters

#: Datagram sizes tried, largest first, when the socket says EMSGSIZE.
DATAGRAM_SIZES = (65507, 32768, 16384, 8192, 4096, 2048, 1024, 480)


class DatagramRecovery:
    """Two failures of a datagram send that are not outages:

    - EMSGSIZE: the message is too large for this socket. The formatter cuts it
      to the next size down (`recut`, which never breaks structured data) and it
      is sent again; below the smallest size it is dropped and counted.
    - ConnectionRefusedError: a connected datagram socket reports the ICMP "port
      unreachable" of an EARLIER datagram on a later send, and that send did not
      happen. It is sent again, once, on the same socket (the earlier datagram
      is lost, as UDP loses); the outage is still reported.
    """

    def __init__(self, recut: Callable[[bytes, int], bytes], counters: Counters) -> None:
        self._recut = recut
        self._counters = counters
        self._refused = False
        self._last_cut: bytes | None = None  # the message this recovery cut last

    def handle(self, exc: BaseException, buffer: Buffer) -> str | None:
        """Apply a rule to the message at the head of `buffer`: "resized", "refused",
        or None when no rule applies (a real failure)."""
        if isinstance(exc, OSError) and exc.errno == errno.EMSGSIZE:
            head = buffer.head(1)[0]
            smaller = [size for size in DATAGRAM_SIZES if size < len(head)]
            if smaller:
                cut = self._recut(head, smaller[0])
                if head is not self._last_cut:  # counts are of messages, not of cuts
                    self._counters.truncated += 1
                self._last_cut = cut
                buffer.replace_head(cut)
            else:
                buffer.remove(1)
                self._counters.dropped += 1
            return "resized"
        if isinstance(exc, ConnectionRefusedError) and not self._refused:
            self._refused = True
            return "refused"
        return None

    def succeeded(self) -> None:
        self._refused = False
