"""DKIM verification without dkimpy's copies of the body: the body hash computed by Pantau.

dkimpy splits a message into lines, joins the body again and canonicalises it with regular
expressions over the whole of it: several copies of a 34 MB message, and for an ordinary 83 KB
form reply ~1.8 ms of `re` (the largest single cost of the ingest after the MIME parse).
`LeanDKIM` gives dkimpy only the header block and checks each signature's body hash (`bh=`, with
its `c=`, `a=` and `l=`) itself: a message in memory with a few `bytes.replace` passes
(`canonical_body`), a big one streamed from its file line by line (`canonical_body_hash`);
everything else (the header hash, the key, the signature, `x=` and `t=`) is still dkimpy's. The
canonical body is the one dkimpy's `rfc822_parse` and `canonicalize_body` make (lines split on
CRLF or LF, joined with CRLF; simple: trailing empty lines removed, one CRLF kept; relaxed:
trailing blanks of each line dropped, runs of blanks made one space, an empty body hashed as
nothing); tests/test_big_messages.py holds both ways to dkimpy's on thousands of random bodies.
"""

from __future__ import annotations

import base64
import re
from typing import BinaryIO

import dkim
from dkim.canonicalization import (
    CanonicalizationPolicy,
    correct_empty_body,
    strip_trailing_lines,
)

from daemon.mail.mime.spool import LEAN_FROM, RawMessage

_BLANKS = re.compile(rb"[\t ]+")


def canonical_body(body: bytes, c: bytes) -> bytes:
    """The canonical body of `body` (the bytes after the header block's blank line) under the
    c= value `c`, as dkimpy's rfc822_parse + canonicalize_body make it, by C-speed replaces:
    line ends made CRLF (a CR alone stays, as dkimpy's split on CR?LF leaves it); relaxed: tabs
    made spaces, runs of spaces made one, the one left before a line end dropped (the same as
    dkimpy dropping trailing blanks first, then compressing); then the trailing empty lines."""
    relaxed = CanonicalizationPolicy.from_c_value(c).body_algorithm.name == b"relaxed"
    lf = body.count(b"\n")
    if lf and body.count(b"\r\n") != lf:  # (counting is cheaper than the two replaces)
        body = body.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    if relaxed:
        if b"\t" in body:
            body = body.replace(b"\t", b" ")
        while b"  " in body:
            body = body.replace(b"  ", b" ")
        if b" \r\n" in body:
            body = body.replace(b" \r\n", b"\r\n")
    body = strip_trailing_lines(body)
    return correct_empty_body(body) if relaxed else body


def canonical_body_hash(f: BinaryIO, c: bytes, hasher, length: int | None = None) -> bytes:
    """The digest of the canonicalised body read from `f` (positioned after the header block's
    blank line), cut at `length` bytes when the signature has l=."""
    policy = CanonicalizationPolicy.from_c_value(c)
    relaxed = policy.body_algorithm.name == b"relaxed"
    h = hasher()
    left = length
    pending = 0  # empty lines not yet hashed: only hashed when a non-empty line follows
    wrote = False

    def put(data: bytes) -> None:
        nonlocal left
        if left is not None:
            data = data[:left]
            left -= len(data)
        if data:
            h.update(data)

    for line in f:
        ended = line.endswith(b"\n")
        seg = line[:-1] if ended else line
        if ended and seg.endswith(b"\r"):
            seg = seg[:-1]
        if relaxed:
            if ended:
                seg = seg.rstrip(b"\t ")
            seg = _BLANKS.sub(b" ", seg)
        if not seg:
            pending += 1
            continue
        put(b"\r\n" * pending + seg + b"\r\n")
        pending = 0
        wrote = True
    if not wrote and not relaxed:
        put(b"\r\n")
    return h.digest()


class LeanDKIM(dkim.DKIM):
    """dkim.DKIM over the header block only; body hashes checked from `src` line by line."""

    def __init__(self, src: RawMessage, **kw):
        self._src = src
        head = _header_block(src)
        self._body_at = len(head)
        super().__init__(head, **kw)

    def _held_body(self) -> bytes | None:
        """The body, when the message is held in memory (not a big one read from its file)."""
        if self._src.data is not None and self._src.size <= LEAN_FROM:
            return self._src.data[self._body_at :]
        return None

    def body_hash(self, c: bytes, hasher, length: int | None = None) -> bytes:
        held = self._held_body()
        if held is not None:
            body = canonical_body(held, c)
            return hasher(body if length is None else body[:length]).digest()
        with self._src.open() as f:
            f.seek(self._body_at)
            return canonical_body_hash(f, c, hasher, length)

    def canonical_length(self, c: bytes) -> int:
        """The canonical body's length (for l=: does the signature cover all of it?)."""
        held = self._held_body()
        if held is not None:
            return len(canonical_body(held, c))
        counter = _Counter()
        with self._src.open() as f:
            f.seek(self._body_at)
            canonical_body_hash(f, c, lambda: counter)
        return counter.n

    def verify_sig_process(self, sig, include_headers, sig_header, dnsfunc):
        if b"bh" in sig:
            length = int(sig[b"l"]) if b"l" in sig and not self.tlsrpt else None
            got = self.body_hash(sig.get(b"c", b"simple/simple"), dkim.HASH_ALGORITHMS[sig[b"a"]],
                                 length)
            try:
                bh = base64.b64decode(re.sub(rb"\s+", b"", sig[b"bh"]))
            except TypeError as e:
                raise dkim.MessageFormatError(str(e)) from e
            if got != bh:
                raise dkim.ValidationError(
                    f"body hash mismatch (got {base64.b64encode(got)!r}, expected {sig[b'bh']!r})")
            sig = {k: v for k, v in sig.items() if k != b"bh"}
        return super().verify_sig_process(sig, include_headers, sig_header, dnsfunc)


class _Counter:
    def __init__(self) -> None:
        self.n = 0

    def update(self, data: bytes) -> None:
        self.n += len(data)

    def digest(self) -> bytes:
        return b""


def _header_block(src: RawMessage) -> bytes:
    """The bytes up to and including the first empty line (dkimpy's split: CRLF or LF)."""
    out = bytearray()
    with src.open() as f:
        for line in f:
            out += line
            if line in (b"\n", b"\r\n"):
                break
    return bytes(out)
