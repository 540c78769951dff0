"""`parse_message`: raw RFC 5322 bytes to a `ParsedMessage`, never raising.

It reads the headers (headers.py), walks the MIME tree for body and attachments under the
limits (parts.py, collect.py) and picks the body text: the plain part, else the HTML rendered
as text, else the text found inside a TNEF/.msg container, else a lost multipart's preamble.
"""

from __future__ import annotations

import email.feedparser
import re
import tempfile
from email.message import Message
from pathlib import Path

from daemon.core.model import ParsedMessage
from daemon.mail.mime.bodytext import html_to_text
from daemon.mail.mime.collect import MB, Collector, Limits
from daemon.mail.mime.headers import (
    addresses,
    author_of,
    bracketed_from,
    date_of,
    dedupe,
    first,
    first_address,
    message_ids,
    raw_headers,
    subject_of,
)
from daemon.mail.mime.lift import lift
from daemon.mail.mime.parts import walk_part
from daemon.mail.mime.policy import DEFAULT
from daemon.mail.mime.spool import LEAN_FROM, RawMessage, Spooled, spool_message
from daemon.mail.mime.text import clean_text, decode_words, norm_msgid, one_line


def _head_only(raw: bytes) -> bytes:
    for sep in (b"\r\n\r\n", b"\n\n", b"\r\r"):
        idx = raw.find(sep)
        if idx >= 0:
            return raw[: idx + len(sep)]
    return raw[:65536]


def parse_message(
    raw: bytes | RawMessage, limits: Limits = Limits(), spool_dir: Path | None = None
) -> ParsedMessage:
    """Parse raw message bytes, or a `RawMessage` (bytes or a file). Never raises: problems are
    listed in `errors`. A message over LEAN_FROM bytes is read line by line, its big base64
    parts decoded to files under `spool_dir` (default: the system's temporary folder) that are
    gone when this returns (spool.py); only the attachments' decoded bytes are kept."""
    if isinstance(raw, RawMessage):
        if raw.data is not None and raw.size <= LEAN_FROM:
            return parse_message(raw.data, limits)
        return _parse_lean(raw, limits, spool_dir)
    if isinstance(raw, bytes) and len(raw) <= limits.max_message_bytes and not _odd_start(raw):
        # The big base64 bodies decoded in one call each, not fed through the parser line by
        # line (lift.py); a message it cannot do that for exactly is parsed as it is.
        lifted = lift(raw, int(limits.max_attachment_bytes * 1.05))
        if lifted is not None:
            return _parse(lifted.skeleton, limits, size=len(raw), spool=lifted)
    return _parse(raw, limits)


def _odd_start(head: bytes) -> bool:
    """A byte-order mark or a blank line before the first header, which _parse mends on the
    whole message (neither lift.py nor spool.py reads such a start)."""
    return head.startswith(b"\xef\xbb\xbf") or head[:1] in (b"\r", b"\n")


def _parse_lean(src: RawMessage, limits: Limits, spool_dir: Path | None) -> ParsedMessage:
    if _odd_start(src.head(4)):
        return _parse(src.whole(), limits)  # the oddities _parse mends, on rare small files
    if src.size > limits.max_message_bytes:
        return _parse(src.head(), limits, size=src.size)
    if spool_dir is not None:
        spool_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pantau-spool-", dir=spool_dir) as tmp:
        spooled = spool_message(src, Path(tmp), int(limits.max_attachment_bytes * 1.05))
        return _parse(spooled.skeleton, limits, spool=spooled)


def _parse(
    raw: bytes, limits: Limits, size: int | None = None, spool: Spooled | None = None
) -> ParsedMessage:
    pm = ParsedMessage()
    if not isinstance(raw, bytes | bytearray):
        pm.errors.append("pesan bukan data biner")
        return pm
    raw = bytes(raw)
    # A byte-order mark or blank lines before the first header (seen from some export tools)
    # would make the whole header block look like body.
    stripped = raw.removeprefix(b"\xef\xbb\xbf").lstrip(b"\r\n")
    if stripped[:1] not in (b" ", b"\t"):
        raw = stripped
    size = len(raw) if size is None else size
    too_big = size > limits.max_message_bytes
    if too_big:
        pm.errors.append(
            f"pesan terlalu besar ({size / MB:.1f} MB, "
            f"batas {limits.max_message_bytes / MB:.0f} MB)"
        )
        pm.refused.append(pm.errors[-1])
        raw = _head_only(raw)
    try:
        # Fed in slices: message_from_bytes decodes the whole message into one big string first.
        parser = email.feedparser.BytesFeedParser(policy=DEFAULT)
        for i in range(0, len(raw), 1 << 16):
            parser.feed(raw[i : i + (1 << 16)])
        msg = parser.close()
    except Exception as e:  # noqa: BLE001
        pm.errors.append(f"pesan tidak dapat diurai ({type(e).__name__})")
        return pm

    raw_items = raw_headers(msg, pm.errors)
    grouped: dict[str, list[str]] = {}
    for k, v in raw_items:
        grouped.setdefault(k, []).append(v)
    for k, values in grouped.items():
        pm.headers[k] = [decode_words(one_line(v)) for v in values]

    def raw_of(name: str) -> list[str]:
        return grouped.get(name, [])

    guarded_steps = (
        ("message-id", lambda: setattr(pm, "message_id", norm_msgid(first(raw_of("message-id"))))),
        ("in-reply-to", lambda: setattr(pm, "in_reply_to", message_ids(raw_of("in-reply-to")))),
        ("references", lambda: setattr(pm, "references", message_ids(raw_of("references")))),
        ("subject", lambda: setattr(pm, "subject", subject_of(msg, raw_of("subject")))),
        ("date", lambda: setattr(pm, "date", date_of(raw_of("date"), pm.errors))),
    )
    for name, step in guarded_steps:
        try:
            step()
        except Exception as e:  # noqa: BLE001
            pm.errors.append(f"kepala {name} tidak terbaca ({type(e).__name__})")

    try:
        froms = addresses(msg, "from", raw_of("from"), pm.errors)
        if not froms and raw_of("sender"):
            froms = addresses(msg, "sender", raw_of("sender"), pm.errors)
        with_addr = [f for f in froms if f[1]]
        if with_addr or froms:
            pm.from_name, pm.from_addr = (with_addr or froms)[0]
        pm.author, pm.author_problem = author_of(msg, raw_of("from"), raw_of("sender"))
        if pm.author_problem == "from_rusak":  # shown leniently; never trusted (author is "")
            pm.from_name, pm.from_addr = bracketed_from(raw_of("from"), pm.from_name, pm.from_addr)
    except Exception as e:  # noqa: BLE001
        pm.errors.append(f"pengirim tidak terbaca ({type(e).__name__})")
    for field_name in ("to", "cc"):
        try:
            addrs = addresses(msg, field_name, raw_of(field_name), pm.errors)
            setattr(pm, field_name, dedupe(a for _, a in addrs if a))
        except Exception as e:  # noqa: BLE001
            pm.errors.append(f"kepala {field_name} tidak terbaca ({type(e).__name__})")
    try:
        rp = raw_of("return-path")
        pm.return_path = first_address(rp[0]) if rp else None
    except Exception:  # noqa: BLE001
        pm.return_path = None
    try:
        delivered: list[str] = []
        for h in ("delivered-to", "x-original-to", "envelope-to"):
            for v in raw_of(h):
                for part in re.split(r"[,\s]+", one_line(v)):
                    addr = first_address(part)
                    if "@" in addr:
                        delivered.append(addr)
        pm.delivered_to = dedupe(delivered)
    except Exception:  # noqa: BLE001
        pm.errors.append("kepala Delivered-To tidak terbaca")

    if too_big:
        return pm

    for defect in _defects(msg):
        pm.errors.append(defect)

    c = Collector(limits)
    c.spool = spool
    try:
        walk_part(msg, c, 0, "mime")
    except RecursionError:
        c.error("struktur pesan bersarang terlalu dalam")
    except Exception as e:  # noqa: BLE001
        c.error(f"isi pesan tidak terbaca ({type(e).__name__})")
    pm.attachments = c.attachments
    pm.refused = c.refused
    pm.errors.extend(e for e in c.errors if e not in pm.errors)
    pm.html = "\n".join(c.html_parts) if c.html_parts else None
    text = "\n".join(t for t in c.text_parts if t.strip())
    if not text.strip() and pm.html:
        text = html_to_text(pm.html)
        pm.text_from_html = True
    if not text.strip() and c.alt_text:
        text = c.alt_text
    if not text.strip() and not pm.html:
        # A multipart whose boundary never appears: all there is sits in the preamble.
        try:
            preamble = msg.preamble if msg.is_multipart() else None
        except Exception:  # noqa: BLE001
            preamble = None
        if preamble and preamble.strip():
            text = clean_text(preamble).replace("\r\n", "\n").strip()
    pm.text = text
    return pm


_REPORTED_DEFECTS = {
    "StartBoundaryNotFoundDefect",
    "CloseBoundaryNotFoundDefect",
    "MultipartInvariantViolationDefect",
    "NoBoundaryInMultipartDefect",
    "MissingHeaderBodySeparatorDefect",
}


def _defects(msg: Message) -> list[str]:
    """Structural defects worth telling the operator about (boundaries missing and the like)."""
    names: list[str] = []
    try:
        for part in msg.walk():
            for d in getattr(part, "defects", []) or []:
                n = type(d).__name__
                if n in _REPORTED_DEFECTS and n not in names:
                    names.append(n)
    except Exception:  # noqa: BLE001
        return ["struktur pesan tidak dapat diperiksa"]
    return [f"struktur MIME rusak ({n.removesuffix('Defect')})" for n in names]
