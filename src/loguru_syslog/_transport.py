"""The public Transport base class: the small contract every transport fulfils."""

from __future__ import annotations

from typing import ClassVar, Sequence


class PartialSendError(Exception):
    """`send_many` failed after the first `sent` messages had gone out whole.

    The messages from index `sent` on are kept and sent again after a reconnect,
    so a batch that fails half-way is neither lost nor duplicated.
    """

    def __init__(self, sent: int, cause: BaseException) -> None:
        super().__init__(f"{sent} messages sent before: {cause!r}")
        self.sent = sent
        self.cause = cause


class Transport:
    """Moves finished syslog messages (bytes, one message each) to a receiver.

    Subclass it to send anywhere (a file, a queue, a test double) and pass an
    instance as the sink's `address`. The sink drives it from one thread at a
    time and owns every policy: it calls `open()` before the first `send()` and
    again after any failure, keeps the message that failed, retries with
    backoff, buffers while down and counts what it could not deliver. A
    transport therefore only has to:

    - `open()`: connect (or do nothing); raise to signal the peer is unreachable;
    - `send(message)`: deliver one message, framed as its medium needs, or raise;
    - `close()`: release resources; it must not raise.

    After any exception from `open()` or `send()` the sink calls `close()`
    before it calls `open()` again. Nothing here may block longer than the
    transport's timeout.

    Class attributes give the sink's defaults for this medium.
    """

    default_header: ClassVar[str] = "rfc5424"
    """The header the sink uses unless told otherwise."""
    default_max_message_size: ClassVar[int] = 8192
    """The sink's `max_message_size` unless told otherwise (octets, before framing)."""
    default_facility: ClassVar[int] = 1
    """The sink's facility unless told otherwise (1: user)."""

    @property
    def carries_newlines(self) -> bool:
        """Whether a raw LF inside a message survives this medium (datagrams and
        octet-counted streams: yes; LF-framed streams and terminals: no). The sink
        replaces newlines, even with keep_newlines=True, where this is False."""
        return True

    @property
    def datagram(self) -> bool:
        """Whether each send is one datagram (UDP, unix datagram): no stream to
        corrupt, and a too-large message can be cut further and sent again."""
        return False

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
            except Exception as exc:
                raise PartialSendError(index, exc) from exc

    def close(self) -> None:
        """Release the connection. Must not raise; `open()` may follow."""

    def forget(self) -> None:
        """In a forked child: drop the parent's connection without touching it.

        The default calls `close()`. Socket transports override it to close only
        the child's file descriptor, with no TLS close_notify or shutdown(): those
        would cut the parent's connection too.
        """
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
