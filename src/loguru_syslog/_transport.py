"""The public Transport base class: the small contract every transport fulfils.

A transport moves finished messages to a receiver; the delivery policy around
it (reconnect, backoff, buffer, counting, reporting) is written once, in
`_delivery`, and reads what the transport declares about itself here.
"""

from __future__ import annotations

import errno
from typing import Sequence


class PartialSendError(Exception):
    """`send_many` failed after the first `sent` messages had gone out whole.

    The messages from index `sent` on are kept and sent again after a reconnect,
    so a batch that fails half-way is neither lost nor duplicated.
    """

    def __init__(self, sent: int, cause: BaseException) -> None:
        super().__init__(f"{sent} messages sent before: {cause!r}")
        self.sent = sent
        self.cause = cause


class TransportTimeout(TimeoutError):
    """The peer is there but took no data within the timeout: a stall, not a failure.

    The delivery keeps the connection, keeps the unsent messages in order and
    tries again at the next call; it reconnects only when the peer is gone.
    """

    def __init__(self, what: str) -> None:
        super().__init__(errno.ETIMEDOUT, what)


class Transport:
    """Moves finished syslog messages (bytes, one message each) to a receiver.

    Subclass it to send anywhere (a file, a queue, a test double) and pass an
    instance as the sink's `transport=` (or `address`). The sink drives it from
    one thread at a time and owns every policy: it calls `open()` before the
    first `send()` and again after a failure, keeps the message that failed,
    retries with backoff, buffers while down and counts what it could not
    deliver. A transport therefore only has to:

    - `open()`: connect (or do nothing); raise to signal the peer is unreachable;
    - `send(message)`: deliver one message, framed as its medium needs, or raise;
    - `close()`: release resources; it must not raise.

    After a failure from `open()` or `send()` the sink calls `close()` before it
    calls `open()` again. Nothing here may block longer than `timeout`, nor past
    `deadline` when that is set.

    Everything the sink reads about the medium is an instance attribute with a
    class default, so a subclass (or one instance) changes only what differs.
    """

    #: The header the sink uses unless told otherwise.
    default_header: str = "rfc5424"
    #: The sink's `max_message_size` unless told otherwise (octets, before framing).
    default_max_message_size: int = 8192
    #: The largest message the medium can carry at all (octets), or None: the
    #: sink never formats a longer one, whatever `max_message_size` says.
    size_limit: int | None = None
    #: The sink's facility unless told otherwise (1: user).
    default_facility: int = 1
    #: Seconds any single operation may block; the delivery bounds its calls by it.
    timeout: float = 3.0
    #: Monotonic time (time.monotonic()) the current call must end by, set by the
    #: delivery before it calls open/send; 0 when no call is in progress.
    deadline: float = 0.0
    #: Whether a raw LF inside a message survives this medium (datagrams and
    #: octet-counted streams: yes; LF-framed streams and terminals: no). Where
    #: False, the formatter replaces newlines even with keep_newlines=True.
    carries_newlines: bool = True
    #: Whether each send is one datagram (UDP, unix datagram). The delivery then
    #: applies the datagram recovery rules: a message refused for its size
    #: (EMSGSIZE) is cut smaller by the formatter and sent again, and a send
    #: refused for an earlier datagram's ICMP "port unreachable" is sent again
    #: once on the same socket. A datagram transport may also be called without
    #: the delivery's lock (it has no stream to keep whole).
    datagram: bool = False
    #: What `send()` takes: "syslog" (a formatted syslog line) or "journal"
    #: (systemd-journald's native KEY=value fields): the sink picks its
    #: formatter from this.
    payload: str = "syslog"
    #: Whether the receiver acknowledges messages (RELP). Such a transport keeps
    #: what it sent until acknowledged, counts acknowledgements in `acknowledged`,
    #: and gives the unacknowledged back with `take_unacknowledged()` when the
    #: connection is lost, so that the delivery sends them again first.
    acknowledges: bool = False
    #: Messages acknowledged by the receiver so far (acknowledging transports).
    acknowledged: int = 0
    #: Messages the receiver refused (acknowledging transports): counted, not sent again.
    rejected: int = 0

    def open(self) -> None:
        """Connect. Called before the first send and again after a failure."""

    def send(self, message: bytes) -> None:  # pragma: no cover - abstract
        """Deliver one complete syslog message (unframed). Raise on failure."""
        raise NotImplementedError

    def send_many(self, messages: Sequence[bytes]) -> None:
        """Deliver several messages in order (the background writer's batches).

        Stream transports override this to write them in one call. On failure,
        raise `PartialSendError(sent, cause)` when the first `sent` went out.
        """
        for index, message in enumerate(messages):
            try:
                self.send(message)
            except BaseException as exc:
                if index == 0:
                    raise
                raise PartialSendError(index, exc) from exc

    def settle(self) -> None:
        """At stop(), before close(): wait (until `deadline`) for the receiver to
        acknowledge what was sent (acknowledging transports); others do nothing."""

    def close(self) -> None:
        """Release the connection. Must not raise; `open()` may follow."""

    def abort(self) -> None:
        """From another thread: make a blocked open() or send() give up soon.

        `stop()` calls it when its time is up. The default does nothing (a
        transport whose operations are short needs nothing more).
        """

    def after_fork(self) -> None:
        """In a forked child: drop the parent's connection without touching it.

        The default calls `close()`. Socket transports override it to close only
        the child's file descriptor, with no TLS close_notify or shutdown(): those
        would cut the parent's connection too.
        """
        self.close()

    def is_failure(self, exc: BaseException) -> bool:
        """Whether an exception from open() or send() means "this transport failed".

        Failures are counted, retried and never reach the application. Anything
        else (KeyboardInterrupt, SystemExit, an exception the application's own
        signal handler raised during a blocked send) goes on to the application
        after the delivery has kept the message. The default: every Exception.
        """
        return isinstance(exc, Exception)

    def taken(self) -> bool:
        """After send() raised: whether the message was taken anyway.

        True when part of it is already on the wire and the transport will write
        the rest before anything else: the delivery counts it as sent instead of
        keeping it. For `send_many`, of the message at the failure's index.
        """
        return False

    def awaiting(self) -> int:
        """Messages sent and not yet answered by the receiver (acknowledging transports)."""
        return 0

    def in_flight(self) -> bool:
        """Whether the connection carries something unfinished: messages awaiting the
        receiver's answer, or (streams) a started frame's rest. A failover switches
        away from a working target only when nothing is in flight."""
        return self.awaiting() > 0

    def take_unacknowledged(self) -> Sequence[bytes]:
        """After a lost connection: the messages sent but never acknowledged,
        oldest first, for the delivery to send again (acknowledging transports)."""
        return ()

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def close_quietly(transport: Transport) -> None:
    """`transport.close()`, whatever it raises: a user transport's close() must not break
    the delivery (or a failover's other targets)."""
    try:
        transport.close()
    except Exception:
        pass
