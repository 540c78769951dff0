"""What one message may hold (SPEC §3.4) and the collector that enforces it while reading.

`Limits` bounds a message's size, its number and size of attachments and the nesting of
containers. `Collector` gathers body text, HTML and attachments as the parts are walked; every
limit gone over is recorded as a refusal, which the sender is told about.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from typing import TYPE_CHECKING

from daemon.core.model import Attachment
from daemon.mail.mime.text import sanitize_filename

if TYPE_CHECKING:
    from daemon.mail.mime.spool import Spooled

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """What one message may hold before we stop reading it. Sizes are bytes."""

    max_message_bytes: int = 30 * MB
    max_attachments: int = 50
    max_attachment_bytes: int = 25 * MB
    max_depth: int = 3  # nesting of forwarded messages / TNEF / .msg containers


class Collector:
    """Gathers body text, HTML and attachments while walking a message, enforcing Limits."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.text_parts: list[str] = []
        self.html_parts: list[str] = []
        self.attachments: list[Attachment] = []
        self.errors: list[str] = []
        self.refused: list[str] = []  # limits gone over: the sender must be told
        self.full = False  # max_attachments reached: stop collecting
        self.alt_text = ""  # body found inside TNEF / .msg, used when nothing else is there
        self.spool: Spooled | None = None  # the big parts spool.py decoded to disk

    def error(self, text: str) -> None:
        if text not in self.errors:
            self.errors.append(text)

    def refuse(self, text: str) -> None:
        self.error(text)
        if text not in self.refused:
            self.refused.append(text)

    def add(self, filename: str, content_type: str, data: bytes, source: str) -> bool:
        """Record an attachment; False when limits say stop or skip."""
        if self.full:
            return False
        if len(self.attachments) >= self.limits.max_attachments:
            self.full = True
            self.refuse(f"lampiran terlalu banyak (lebih dari {self.limits.max_attachments})")
            return False
        name = sanitize_filename(filename) or default_name(content_type, len(self.attachments) + 1)
        if len(data) > self.limits.max_attachment_bytes:
            self.refuse(
                f"lampiran \u201c{name}\u201d terlalu besar ({len(data) / MB:.1f} MB, batas "
                f"{self.limits.max_attachment_bytes / MB:.0f} MB)"
            )
            return False
        self.attachments.append(Attachment(name, content_type, data, source))
        return True


def default_name(content_type: str, n: int) -> str:
    """A name for the n-th attachment when it came without one ("lampiran-2.pdf")."""
    if content_type in ("message/rfc822", "message/global"):
        return f"pesan-{n}.eml"
    ext = ""
    try:
        ext = mimetypes.guess_extension(content_type, strict=False) or ""
    except Exception:  # noqa: BLE001
        ext = ""
    if content_type.startswith("message/") or content_type == "text/rfc822-headers":
        ext = ".txt"
    return f"lampiran-{n}{ext or '.bin'}"
