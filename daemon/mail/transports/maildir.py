"""The embedded transport: a directory of Maildirs (SPEC §7), so Pantau runs with no mail account.

Outgoing mail is delivered into `<path>/<recipient>/new/`; Pantau reads its own inbox from
`<path>/<own address>/new/` and files processed messages into Maildir++ subfolders
(`.Pantau.Diproses` and so on). Delivery follows the Maildir rule: write in tmp/, then rename
into new/, so a reader never sees half a message.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path

from daemon.mail.transports.base import (
    CHUNK,
    DIABAIKAN,
    DIPROSES,
    GAGAL,
    STREAM_FROM,
    Incoming,
    SendResult,
    TransportError,
)

_counter = 0


def _unique() -> str:
    global _counter
    _counter += 1
    return f"{time.time():.6f}.P{os.getpid()}Q{_counter}.{socket.gethostname()}"


def deliver(root: Path, address: str, raw: bytes) -> Path:
    """Deliver one message into `<root>/<address>/new/`."""
    local, _, domain = address.lower().partition("@")
    # As an MTA with a recipient delimiter does: pantau+TOKEN@ lands in pantau@'s mailbox.
    box = root / f"{local.split('+', 1)[0]}@{domain}"
    for sub in ("tmp", "new", "cur"):
        (box / sub).mkdir(parents=True, exist_ok=True)
    name = _unique()
    tmp = box / "tmp" / name
    with open(tmp, "wb") as f:
        f.write(raw)
        f.flush()
        os.fsync(f.fileno())
    final = box / "new" / name
    os.replace(tmp, final)
    return final


def _message_id(raw: bytes) -> str | None:
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    m = re.search(rb"^message-id:\s*<?([^>\s]+)>?", head, re.IGNORECASE | re.MULTILINE)
    return m.group(1).decode("ascii", "replace") if m else None


def _mid_name(message_id: str) -> str:
    return hashlib.sha1(message_id.strip("<> ").encode()).hexdigest() + ".eml"


def _chunks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            yield chunk


class MaildirTransport:
    name = "maildir"

    def __init__(self, root: str | Path, address: str, folders: dict[str, str] | None = None):
        self.root = Path(root)
        self.address = address.lower()
        self.inbox = self.root / self.address
        self.folders = folders or {
            DIPROSES: "Pantau/Diproses",
            GAGAL: "Pantau/Gagal",
            DIABAIKAN: "Pantau/Diabaikan",
        }
        for sub in ("tmp", "new", "cur"):
            (self.inbox / sub).mkdir(parents=True, exist_ok=True)

    def send(self, raw: bytes, sender: str, recipients: list[str]) -> SendResult:
        if not recipients:
            raise TransportError("tidak ada penerima", temporary=False)
        for r in dict.fromkeys(a.lower() for a in recipients):
            deliver(self.root, r, raw)
        # A copy under the Message-ID's hash, as a Sent folder keeps one: after a crash,
        # find_sent() tells whether this letter already went out.
        mid = _message_id(raw)
        if mid:
            sent = self.inbox / ".Sent" / "cur"
            sent.mkdir(parents=True, exist_ok=True)
            (sent / _mid_name(mid)).write_bytes(raw)
        return SendResult()

    def fetch_new(self) -> Iterator[Incoming]:
        for sub in ("new", "cur"):
            folder = self.inbox / sub
            for path in sorted(folder.iterdir(), key=lambda p: p.name):
                if path.name.startswith("."):
                    continue
                try:
                    if path.stat().st_size > STREAM_FROM:  # big: read in chunks by the caller
                        yield Incoming(ref=f"{sub}/{path.name}", raw=b"",
                                       stream=lambda path=path: _chunks(path))
                        continue
                    raw = path.read_bytes()
                except FileNotFoundError:
                    continue
                yield Incoming(ref=f"{sub}/{path.name}", raw=raw)

    def file(self, ref: str, outcome: str) -> None:
        src = self.inbox / ref
        folder = "." + self.folders.get(outcome, self.folders[DIPROSES]).replace("/", ".")
        dst_dir = self.inbox / folder / "cur"
        for sub in ("tmp", "new", "cur"):
            (self.inbox / folder / sub).mkdir(parents=True, exist_ok=True)
        try:
            os.replace(src, dst_dir / (src.name + ":2,S"))
        except FileNotFoundError:
            pass  # already filed (a replay, or a second process)

    def wait(self, timeout: float) -> bool:
        """Poll the inbox's new/ folder (cheap: one stat per interval)."""
        deadline = time.monotonic() + timeout
        new = self.inbox / "new"
        while True:
            try:
                if any(not p.name.startswith(".") for p in new.iterdir()):
                    return True
            except FileNotFoundError:
                pass
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(0.5, left))

    def find_sent(self, message_id: str) -> bool | None:
        return (self.inbox / ".Sent" / "cur" / _mid_name(message_id)).exists()

    def check(self) -> list[str]:
        problems = []
        if not os.access(self.root, os.W_OK):
            problems.append(f"folder Maildir {self.root} tidak dapat ditulisi")
        return problems

    def close(self) -> None:
        pass
