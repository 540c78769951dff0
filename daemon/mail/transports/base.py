"""The interface every mail transport implements (Maildir, IMAP+SMTP, Exchange).

The rest of Pantau sees mail only through this: raw bytes go out with an envelope, raw bytes come
in with an opaque reference that is later used to file the message. Transports never parse
messages and never touch the database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol


class TransportError(Exception):
    """A failure talking to the mail system. `temporary` says whether retrying may help."""

    def __init__(self, message: str, temporary: bool = True):
        super().__init__(message)
        self.temporary = temporary


@dataclass
class Incoming:
    """One message found in the inbox. `ref` is the transport's pointer (a file name, or
    'folder/uidvalidity/uid'); it is only used to file the message afterwards. A big message
    (over STREAM_FROM bytes) comes with `raw` empty and `stream`, which yields its bytes in
    chunks (read once, before the transport is used for anything else)."""

    ref: str
    raw: bytes
    stream: Callable[[], Iterator[bytes]] | None = None


# Messages over this size are handed over in chunks (Incoming.stream), never whole in memory.
STREAM_FROM = 1 << 20
# The size of one chunk (an IMAP partial FETCH, a read of a Maildir file).
CHUNK = 1 << 20


@dataclass
class SendResult:
    """Recipients the server refused for good (5xx), with the server's answer."""

    refused: dict[str, str] = field(default_factory=dict)


# Where a processed message is filed; each maps to a config folder (mail.folder_*).
DIPROSES = "diproses"
GAGAL = "gagal"
DIABAIKAN = "diabaikan"


class Transport(Protocol):
    name: str

    def send(self, raw: bytes, sender: str, recipients: list[str]) -> SendResult:
        """Deliver one message. Raises TransportError when nothing was delivered."""

    def fetch_new(self) -> Iterator[Incoming]:
        """Messages in the inbox not yet filed."""

    def file(self, ref: str, outcome: str) -> None:
        """Move a message out of the inbox to the folder for `outcome` (DIPROSES, GAGAL,
        DIABAIKAN)."""

    # Optional: `file_batch(items: list[tuple[str, str]])` files several (ref, outcome) pairs at
    # once (IMAP: one UID MOVE per target folder). `file_all` below uses it when present.

    def wait(self, timeout: float) -> bool:
        """Block until new mail may have arrived (IMAP IDLE) or `timeout` seconds pass.
        Returns True when woken by the server."""

    def find_sent(self, message_id: str) -> bool | None:
        """Whether a message with this Message-ID was already sent (looked up in a Sent folder);
        None when the transport cannot tell."""

    def check(self) -> list[str]:
        """Log in and look around; returns problems in Indonesian (empty when all is well)."""

    def close(self) -> None:
        """Release connections."""


def file_all(transport: Transport, items: list[tuple[str, str]]) -> list[TransportError]:
    """File each (ref, outcome) pair, in one go when the transport can (`file_batch`), else one by
    one. Returns the errors met (each a message left in the inbox, fetched again next time)."""
    if not items:
        return []
    batch = getattr(transport, "file_batch", None)
    if batch is not None:
        try:
            batch(items)
        except TransportError as e:
            return [e]
        return []
    errors = []
    for ref, outcome in items:
        try:
            transport.file(ref, outcome)
        except TransportError as e:
            errors.append(e)
    return errors
