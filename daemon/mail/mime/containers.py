"""Files inside Outlook containers: TNEF (`winmail.dat`) and `.msg` attachments.

Outlook sends attachments wrapped in these; the files inside are what the sender meant to send,
so each is added as an attachment of its own (labelled "tnef" or "msg"), and the container's
body is kept as the text to fall back on. Nesting counts against `Limits.max_depth`.
"""

from __future__ import annotations

import logging
import mimetypes

from daemon.mail.mime.bodytext import html_to_text
from daemon.mail.mime.collect import Collector
from daemon.mail.mime.text import clean_text, decode_bytes

# extract-msg warns loudly about ordinary quirks of .msg files ("Encoding property not found");
# the attachment is still read, so those warnings only clutter the daemon log.
logging.getLogger("extract_msg").setLevel(logging.ERROR)

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
TNEF_MAGIC = b"\x78\x9f\x3e\x22"


def unpack_container(filename: str, ctype: str, data: bytes, c: Collector, depth: int) -> None:
    """If an attachment is TNEF or an Outlook .msg, add the files inside it too."""
    lower = filename.lower()
    is_tnef = data[:4] == TNEF_MAGIC  # the TNEF signature is enough, whatever the name says
    is_msg = data[:8] == OLE_MAGIC and (
        lower.endswith(".msg") or ctype in ("application/vnd.ms-outlook", "application/x-msg")
    )
    if not (is_tnef or is_msg):
        return
    if depth + 1 > c.limits.max_depth:
        c.error(f"lampiran bersarang terlalu dalam (lebih dari {c.limits.max_depth} tingkat)")
        return
    if is_tnef:
        _unpack_tnef(data, c, depth + 1)
    else:
        _unpack_msg(data, c, depth + 1)


def _unpack_tnef(data: bytes, c: Collector, depth: int) -> None:
    try:
        import tnefparse

        tnef = tnefparse.TNEF(data, do_checksum=False)
    except Exception as e:  # noqa: BLE001
        c.error(f"lampiran winmail.dat (TNEF) tidak terbaca ({type(e).__name__})")
        return
    for att in getattr(tnef, "attachments", []) or []:
        try:
            name = att.long_filename() or att.name or ""
            blob = att.data if isinstance(att.data, bytes) else bytes(att.data or b"")
        except Exception:  # noqa: BLE001
            c.error("satu berkas di dalam winmail.dat tidak terbaca")
            continue
        ctype = _guess_type(name)
        if c.add(name, ctype, blob, "tnef"):
            unpack_container(name, ctype, blob, c, depth)
    if not c.alt_text:
        try:
            body = tnef.body or ""
            if isinstance(body, bytes):
                body = decode_bytes(body, None)
            if not body and tnef.htmlbody:
                hb = tnef.htmlbody
                body = html_to_text(hb if isinstance(hb, str) else decode_bytes(hb, None))
            c.alt_text = clean_text(body).strip()
        except Exception:  # noqa: BLE001
            pass


def _unpack_msg(data: bytes, c: Collector, depth: int) -> None:
    try:
        import extract_msg

        msg = extract_msg.openMsg(data, strict=False)
    except Exception as e:  # noqa: BLE001
        c.error(f"lampiran Outlook (.msg) tidak terbaca ({type(e).__name__})")
        return
    try:
        _msg_attachments(msg, c, depth)
        if not c.alt_text:
            try:
                c.alt_text = clean_text(getattr(msg, "body", "") or "").strip()
            except Exception:  # noqa: BLE001
                pass
    finally:
        try:
            msg.close()
        except Exception:  # noqa: BLE001
            pass


def _msg_attachments(msg: object, c: Collector, depth: int) -> None:
    try:
        atts = list(getattr(msg, "attachments", []) or [])
    except Exception as e:  # noqa: BLE001
        c.error(f"lampiran di dalam berkas .msg tidak terbaca ({type(e).__name__})")
        return
    for att in atts:
        if c.full:
            return
        try:
            name = (
                getattr(att, "longFilename", None)
                or getattr(att, "shortFilename", None)
                or getattr(att, "name", None)
                or ""
            )
            blob = att.data
        except Exception:  # noqa: BLE001
            c.error("satu berkas di dalam lampiran .msg tidak terbaca")
            continue
        if isinstance(blob, bytes):
            ctype = _guess_type(str(name))
            if c.add(str(name), ctype, blob, "msg"):
                unpack_container(str(name), ctype, blob, c, depth)
        elif blob is not None and hasattr(blob, "attachments"):
            # An Outlook item embedded in the .msg: its own files count too.
            if depth + 1 > c.limits.max_depth:
                c.error(
                    f"lampiran bersarang terlalu dalam (lebih dari {c.limits.max_depth} tingkat)"
                )
                continue
            _msg_attachments(blob, c, depth + 1)


def _guess_type(name: str) -> str:
    try:
        guessed = mimetypes.guess_type(name, strict=False)[0]
    except Exception:  # noqa: BLE001
        guessed = None
    return guessed or "application/octet-stream"


# --------------------------------------------------------------------------- headers
