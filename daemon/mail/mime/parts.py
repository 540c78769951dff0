"""Walking a message's MIME tree: the body parts, the attachments, forwarded messages.

Body text is taken only from the outer message; a forwarded message (message/rfc822) is kept
whole as an `.eml` attachment and its own attachments are added too. One broken part never
stops the others; an attachment over the limit is refused before it is decoded.
"""

from __future__ import annotations

import binascii
import email
import email.policy
import re
from email.message import Message
from pathlib import Path

from daemon.mail.mime.bodytext import unflow
from daemon.mail.mime.collect import MB, Collector, default_name
from daemon.mail.mime.containers import unpack_container
from daemon.mail.mime.policy import DEFAULT
from daemon.mail.mime.text import (
    clean_text,
    decode_bytes,
    decode_words,
    one_line,
    sanitize_filename,
)

_MAX_MULTIPART_NESTING = 40  # structural nesting, independent of Limits.max_depth


def _content_type(part: Message, errors: Collector) -> str:
    try:
        return part.get_content_type().lower()
    except Exception as e:  # noqa: BLE001
        errors.error(f"Content-Type tidak terbaca ({type(e).__name__})")
        return "application/octet-stream"


def _part_filename(part: Message, c: Collector) -> str:
    try:
        name = part.get_filename()
    except Exception:  # noqa: BLE001
        name = None
        try:
            raw = str(part.get("content-disposition", "")) + ";" + str(part.get("content-type", ""))
            m = re.search(r'name\*?=(?:"([^"]*)"|([^;\s]*))', raw, re.I)
            name = (m.group(1) or m.group(2)) if m else None
        except Exception:  # noqa: BLE001
            c.error("nama berkas lampiran tidak terbaca")
    return decode_words(clean_text(name)) if name else ""


def _disposition(part: Message) -> str | None:
    try:
        return part.get_content_disposition()
    except Exception:  # noqa: BLE001
        return None


def _has_content_id(part: Message) -> bool:
    try:
        return part.get("content-id") is not None
    except Exception:  # noqa: BLE001
        return "content-id" in (k.lower() for k in part.keys())


def _spooled(part: Message, c: Collector) -> tuple[Path | bytes | None, int] | None:
    """(decoded file or bytes, or None when too big to decode; encoded length) of a part
    spool.py or lift.py took out of the message; None for any other part."""
    if c.spool is None:
        return None
    try:
        key = part.get(c.spool.marker)
    except Exception:  # noqa: BLE001
        return None
    return c.spool.parts.get(str(key).strip()) if key is not None else None


def _raw_payload_len(part: Message, c: Collector) -> int:
    spooled = _spooled(part, c)
    if spooled is not None:
        return spooled[1]
    try:
        payload = part.get_payload()
    except Exception:  # noqa: BLE001
        return 0
    return len(payload) if isinstance(payload, str) else 0


def _leaf_bytes(part: Message, c: Collector) -> bytes:
    spooled = _spooled(part, c)
    if spooled is not None:
        path = spooled[0]
        if path is None:
            return b""
        if isinstance(path, bytes):  # decoded in memory by lift.py
            return path
        try:
            return path.read_bytes()
        except OSError as e:
            c.error(f"isi bagian pesan tidak terbaca ({type(e).__name__})")
            return b""
    try:
        if str(part.get("Content-Transfer-Encoding", "")).strip().lower() == "base64":
            payload = part.get_payload()
            if isinstance(payload, str):
                try:  # one pass, no intermediate copies (get_payload(decode=True) makes several)
                    return binascii.a2b_base64(payload.encode("ascii", "surrogateescape"))
                except (binascii.Error, ValueError):
                    pass
        data = part.get_payload(decode=True)
    except Exception as e:  # noqa: BLE001
        c.error(f"isi bagian pesan tidak terbaca ({type(e).__name__})")
        return b""
    if isinstance(data, bytes):
        return data
    if isinstance(data, str):
        return data.encode("utf-8", "surrogateescape")
    return b""


def _flatten(msg: Message) -> bytes:
    """A message or part back to bytes (for message/rfc822 and delivery-status attachments)."""
    for attempt in ("bytes", "compat32"):
        try:
            if attempt == "bytes":
                return msg.as_bytes()
            return msg.as_bytes(policy=email.policy.compat32)
        except Exception:  # noqa: BLE001
            continue
    try:
        return msg.as_string(policy=email.policy.compat32).encode("utf-8", "surrogateescape")
    except Exception:  # noqa: BLE001
        return b""


def _body_of_flattened(part: Message) -> bytes:
    """The body of a composite part (message/rfc822, message/delivery-status): its bytes minus
    its own header block."""
    raw = _flatten(part)
    for sep in (b"\r\n\r\n", b"\n\n"):
        idx = raw.find(sep)
        if idx >= 0:
            return raw[idx + len(sep) :]
    return raw


def _text_of(part: Message, c: Collector) -> str:
    data = _leaf_bytes(part, c)
    try:
        charset = part.get_content_charset()
    except Exception:  # noqa: BLE001
        charset = None
    return clean_text(decode_bytes(data, charset)).replace("\r\n", "\n").replace("\r", "\n")


def _param(part: Message, name: str) -> str:
    try:
        return str(part.get_param(name, "") or "")
    except Exception:  # noqa: BLE001
        return ""


def walk_part(part: Message, c: Collector, depth: int, source: str, nesting: int = 0) -> None:
    """Walk one part. `depth` counts containers (forwarded message, TNEF, .msg), `source` is
    how its attachments are labelled; body text is only taken at depth 0."""
    if c.full:
        return
    if nesting > _MAX_MULTIPART_NESTING:
        c.error("struktur pesan bersarang terlalu dalam")
        return
    ctype = _content_type(part, c)
    try:
        is_multi = part.is_multipart()
    except Exception:  # noqa: BLE001
        is_multi = False

    if ctype in ("message/rfc822", "message/global"):
        _walk_rfc822(part, c, depth, source, is_multi, nesting)
        return
    if ctype.startswith("multipart/") and not is_multi:
        # A multipart whose boundary never appears: what is there is plain text.
        ctype = "text/plain"

    if is_multi:
        if ctype.startswith("message/"):
            # message/delivery-status and friends are parsed by email into header blocks:
            # keep them whole as one attachment so a bounce can be read later.
            c.add("", ctype, _body_of_flattened(part), source)
            return
        try:
            children = part.get_payload()
        except Exception as e:  # noqa: BLE001
            c.error(f"bagian multipart rusak ({type(e).__name__})")
            return
        if not isinstance(children, list):
            return
        for child in children:
            if c.full:
                return
            try:
                if isinstance(child, Message):
                    walk_part(child, c, depth, source, nesting + 1)
            except RecursionError:
                c.error("struktur pesan bersarang terlalu dalam")
                return
            except Exception as e:  # noqa: BLE001 - one broken part never stops the others
                c.error(f"bagian pesan dilewati ({type(e).__name__}: {clean_text(e)[:80]})")
        return

    filename = _part_filename(part, c)
    disposition = _disposition(part)
    if ctype in ("text/plain", "text/html") and not filename and disposition != "attachment":
        # A body part. Only the outer message's body is ours; the body of a forwarded message
        # travels inside its .eml attachment and is not a file of its own.
        if depth == 0:
            body = _text_of(part, c)
            if ctype == "text/plain" and _param(part, "format").lower() == "flowed":
                body = unflow(body, delsp=_param(part, "delsp").lower() == "yes")
            (c.text_parts if ctype == "text/plain" else c.html_parts).append(body)
        return

    encoded = _raw_payload_len(part, c)
    spooled = _spooled(part, c)
    undecoded = spooled is not None and spooled[0] is None
    # refused before it is decoded
    if undecoded or encoded * 3 // 4 > c.limits.max_attachment_bytes * 1.05:
        name = sanitize_filename(filename) or default_name(ctype, len(c.attachments) + 1)
        c.refuse(
            f"lampiran \u201c{name}\u201d terlalu besar (sekitar {encoded * 3 / 4 / MB:.1f} MB, "
            f"batas {c.limits.max_attachment_bytes / MB:.0f} MB)"
        )
        return
    data = _leaf_bytes(part, c)
    label = source
    if source == "mime" and (
        disposition == "inline" or (disposition is None and _has_content_id(part))
    ):
        label = "inline"
    added = c.add(filename, ctype, data, label)
    if added:
        unpack_container(filename, ctype, data, c, depth)


def _walk_rfc822(
    part: Message, c: Collector, depth: int, source: str, is_multi: bool, nesting: int
) -> None:
    inner: Message | None = None
    if is_multi:
        try:
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else None
        except Exception:  # noqa: BLE001
            inner = None
        data = _body_of_flattened(part)
    else:
        # Illegal but seen: a base64-encoded message/rfc822 that email did not descend into.
        data = _leaf_bytes(part, c)
        try:
            inner = email.message_from_bytes(data, policy=DEFAULT)
        except Exception:  # noqa: BLE001
            inner = None
    filename = _part_filename(part, c)
    if not filename and inner is not None:
        try:
            subj = one_line(inner.get("subject", ""))
        except Exception:  # noqa: BLE001
            subj = ""
        filename = (subj[:60] + ".eml") if subj else ""
    if not c.add(filename, "message/rfc822", data, source):
        return
    if inner is None:
        return
    if depth + 1 > c.limits.max_depth:
        c.error(
            f"pesan terlampir bersarang terlalu dalam (lebih dari {c.limits.max_depth} tingkat)"
        )
        return
    walk_part(inner, c, depth + 1, "rfc822", nesting + 1)
