"""Big messages read without holding them: large base64 parts decoded to disk before parsing.

`RawMessage` is a message as bytes in memory or as a file (the archived copy of a message that
was streamed there). `spool_message` reads it line by line, follows the multipart boundaries,
and decodes every base64 leaf part whose encoded body is over `SPOOL_FROM` into a file of its
own, in chunks; what is left (headers, small parts, a marker in place of each spooled body) is
the small "skeleton" the `email` parser reads. The marker is a header whose name carries a
random token made for this one parse, so a sender cannot forge one. A part whose encoded size
is already over the attachment limit is not decoded at all (it is refused by its size, as
parts.py refuses any part before decoding it). Parts inside a forwarded message
(message/rfc822) are never spooled: the forwarded message is kept whole as an `.eml`.

Only the outer MIME structure is followed here, with the rules the `email` package uses for
boundaries (a line "--boundary" or "--boundary--", trailing whitespace allowed).
"""

from __future__ import annotations

import binascii
import io
import os
import re
import secrets
import tempfile
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from email.policy import compat32
from pathlib import Path
from typing import BinaryIO

# A base64 body is decoded to disk when its encoded text is over this many bytes.
SPOOL_FROM = 256 << 10
# Messages over this size are read through `spool_message` rather than parsed whole.
LEAN_FROM = 1 << 20

_B64 = re.compile(rb"[^A-Za-z0-9+/]")


@dataclass
class RawMessage:
    """A message as bytes (`data`) or as a file (`path`); `size` in bytes."""

    size: int
    data: bytes | None = None
    path: Path | None = None

    @classmethod
    def of(cls, raw: bytes | RawMessage) -> RawMessage:
        if isinstance(raw, RawMessage):
            return raw
        return cls(size=len(raw), data=bytes(raw))

    def open(self) -> BinaryIO:
        if self.data is not None:
            return io.BytesIO(self.data)
        assert self.path is not None
        return open(self.path, "rb")

    def whole(self) -> bytes:
        """All of it in memory (the rare paths that need it: ARC, a broken message)."""
        if self.data is not None:
            return self.data
        assert self.path is not None
        return self.path.read_bytes()

    def head(self, limit: int = 1 << 16) -> bytes:
        """The header block (up to its blank line), or the first `limit` bytes."""
        with self.open() as f:
            out = bytearray()
            for line in f:
                out += line
                if line in (b"\r\n", b"\n") or len(out) >= limit:
                    break
            return bytes(out[:limit])


@dataclass
class Spooled:
    """What spool_message (or lift.py, for a message in memory) made: the skeleton, and per
    marker value the decoded file (or the decoded bytes, from lift.py; None when the part was
    too big to decode) and the length of its encoded text."""

    skeleton: bytes
    marker: str
    parts: dict[str, tuple[Path | bytes | None, int]] = field(default_factory=dict)


class _Body:
    """One base64 leaf body being read: kept in memory up to SPOOL_FROM, then decoded to disk."""

    def __init__(self, head: list[bytes], spool_dir: Path, refuse_over: int):
        self.head = head
        self.lines: list[bytes] = []
        self.kept = 0
        self.encoded = 0
        self.file: BinaryIO | None = None
        self.path: Path | None = None
        self.carry = b""
        self.spool_dir = spool_dir
        self.refuse_over = refuse_over
        self.too_big = False

    def add(self, line: bytes) -> None:
        self.encoded += len(line)
        if self.too_big:
            return
        if self.file is None:
            self.lines.append(line)
            self.kept += len(line)
            if self.kept > SPOOL_FROM:
                self._start()
            return
        self._decode(line)

    def _start(self) -> None:
        if self.encoded * 3 // 4 > self.refuse_over:
            self.too_big = True
            self.lines = []
            return
        fd, name = tempfile.mkstemp(dir=self.spool_dir, suffix=".part")
        self.file = os.fdopen(fd, "wb")
        self.path = Path(name)
        lines, self.lines = self.lines, []
        for line in lines:
            self._decode(line)

    def _decode(self, line: bytes) -> None:
        if self.encoded * 3 // 4 > self.refuse_over:
            self.too_big = True
            return
        assert self.file is not None
        text = self.carry + _B64.sub(b"", line.split(b"=", 1)[0])
        cut = len(text) // 4 * 4
        self.carry = text[cut:]
        if cut:
            self.file.write(binascii.a2b_base64(text[:cut]))

    def finish(self) -> None:
        if self.file is not None:
            if self.carry:
                padded = self.carry + b"=" * (-len(self.carry) % 4)
                try:
                    self.file.write(binascii.a2b_base64(padded))
                except binascii.Error:
                    pass
            self.file.close()

    @property
    def spooled(self) -> bool:
        return self.file is not None or self.too_big


def spool_message(raw: RawMessage, spool_dir: Path, refuse_over: int) -> Spooled:
    """Read `raw` once; big base64 leaf bodies go to files under `spool_dir`, the rest into the
    skeleton. `refuse_over`: decoded size over which a part is not decoded at all."""
    marker = f"X-Pantau-Spool-{secrets.token_hex(12)}"
    out = bytearray()
    parts: dict[str, tuple[Path | None, int]] = {}
    boundaries: list[bytes] = []
    frozen = -1  # boundaries depth of a message/rfc822 part being passed over; -1: none
    header: list[bytes] | None = []  # the header block being read; None: in a body
    top = True
    body: _Body | None = None

    def end_body() -> None:
        nonlocal body
        if body is None:
            return
        body.finish()
        if body.spooled:
            key = str(len(parts))
            parts[key] = (None if body.too_big else body.path, max(body.encoded - 2, 0))
            out.extend(b"".join(body.head[:-1]))
            out.extend(f"{marker}: {key}\r\n".encode())
            out.extend(body.head[-1])
            out.extend(b"\r\n")
        else:
            out.extend(b"".join(body.head))
            out.extend(b"".join(body.lines))
        body = None

    with raw.open() as f:
        for line in f:
            if header is not None:
                header.append(line)
                if line.strip(b"\r\n"):
                    continue
                block, header = header, None
                ctype, boundary, cte = describe_block(b"".join(block))
                if ctype.startswith("multipart/") and boundary:
                    out.extend(b"".join(block))
                    boundaries.append(boundary)
                elif ctype in ("message/rfc822", "message/global") and not top:
                    out.extend(b"".join(block))
                    if frozen < 0:
                        frozen = len(boundaries)
                    header = []  # the forwarded message's own headers follow
                elif cte == "base64" and not top and frozen < 0:
                    body = _Body(block, spool_dir, refuse_over)
                else:
                    out.extend(b"".join(block))
                top = False
                continue
            hit = boundary_hit(line, boundaries) if line[:2] == b"--" else None
            if hit is None:
                if body is not None:
                    body.add(line)
                else:
                    out.extend(line)
                continue
            end_body()
            out.extend(line)
            frozen, opens = after_boundary(boundaries, hit, frozen)
            if opens:
                header = []
    end_body()
    if header:  # a header block that never ended
        out.extend(b"".join(header))
    return Spooled(bytes(out), marker, parts)


def after_boundary(boundaries: list[bytes], hit: tuple[int, bool], frozen: int) -> tuple[int, bool]:
    """After a boundary line (`hit` from boundary_hit): the open boundaries cut back to the one
    hit, closed when the line closes it. Returns (frozen, whether a part's header block follows);
    frozen: the depth of a forwarded message being passed over, -1 once it is left."""
    index, closing = hit
    if 0 <= frozen and index < frozen:
        frozen = -1
    del boundaries[index + 1 :]
    if closing:
        boundaries.pop()
    return frozen, not closing


def boundary_hit(line: bytes, boundaries: list[bytes]) -> tuple[int, bool] | None:
    text = line.rstrip()
    for i in range(len(boundaries) - 1, -1, -1):
        b = b"--" + boundaries[i]
        if text == b:
            return i, False
        if text == b + b"--":
            return i, True
    return None


def describe_block(block: bytes) -> tuple[str, bytes, str]:
    """(content type, boundary, transfer encoding) of a header block; never raises."""
    try:
        msg = BytesHeaderParser(policy=compat32).parsebytes(block)
        ctype = msg.get_content_type().lower()
        boundary = msg.get_boundary() or ""
        cte = str(msg.get("content-transfer-encoding", "")).strip().lower()
        return ctype, boundary.encode("utf-8", "surrogateescape"), cte
    except Exception:  # noqa: BLE001
        return "text/plain", b"", ""
