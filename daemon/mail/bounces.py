"""Reading a delivery report: which recipients failed, with what status, for which letter.

classify.py decides that a message is a bounce; this module reads what it says, from the
RFC 3464 delivery-status part when there is one, else from the report's own words (qmail, old
Exim, Exchange 2003 and their kind): the failed recipients with their status codes, the
Message-ID of our letter that bounced, and whether the failure is permanent. Pure functions.
"""

from __future__ import annotations

import email
import email.policy
import re

from daemon.core.model import Attachment, BounceInfo, ParsedMessage
from daemon.mail.mime import norm_msgid

# A report whose subject says the letter is only delayed: not (yet) a permanent failure.
_DELAY_SUBJECT = re.compile(r"delay|warning|tertunda|\(delay\)", re.I)
# Enhanced status codes (RFC 3463, "5.1.1"), and plain SMTP reply codes ("550") as a fallback.
_STATUS_RE = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_SMTP_CODE_RE = re.compile(r"(?:^|(?<=\s))([45])(\d\d)(?= |-\d\.|$)", re.M)
# With no code at all, the report's words tell a permanent failure from a temporary one.
_PERMANENT_WORDS = re.compile(r"permanent|fatal|user unknown|does not exist|no such user", re.I)
_TEMPORARY_WORDS = re.compile(r"temporar|delayed|will (?:be )?retr|tertunda|deferred", re.I)


def _fields(block: str) -> dict[str, str]:
    """'Name: value' lines of a header-like block, continuation lines joined; names lower-case."""
    out: dict[str, str] = {}
    last = None
    for line in block.splitlines():
        if line[:1] in (" ", "\t") and last:
            out[last] += " " + line.strip()
            continue
        name, colon, value = line.partition(":")
        if colon and name.strip() and " " not in name.strip():
            last = name.strip().lower()
            out.setdefault(last, value.strip())
    return out


def _addr_of(field: str) -> str:
    """'rfc822; <User@Example.com>' -> 'user@example.com'."""
    value = field.split(";", 1)[1] if ";" in field else field
    value = value.strip().strip("<>").strip()
    m = re.search(r"[^\s<>;]+@[^\s<>;]+", value)
    return (m.group(0) if m else value).strip(".,").lower()


def _status_of(text: str) -> str:
    m = _STATUS_RE.search(text or "")
    return f"{m.group(1)}.{m.group(2)}.{m.group(3)}" if m else ""


def _parse_delivery_status(data: bytes) -> list[tuple[str, str, str]]:
    """(address, status, action) for each recipient block of a message/delivery-status body."""
    text = data.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")
    out: list[tuple[str, str, str]] = []
    for block in re.split(r"\n[ \t]*\n", text):
        f = _fields(block)
        recipient = f.get("original-recipient") or f.get("final-recipient")
        if not recipient:
            continue
        addr = _addr_of(recipient)
        if not addr:
            continue
        status = _status_of(f.get("status", "")) or _status_of(f.get("diagnostic-code", ""))
        out.append((addr, status, f.get("action", "").strip().lower()))
    return out


def _returned_message_id(attachments: list[Attachment], text: str) -> str | None:
    """The Message-ID of the message that bounced: from the returned message or its headers,
    else from a copy quoted in the report's text."""
    for a in attachments:
        if a.content_type in (
            "message/rfc822",
            "message/global",
            "text/rfc822-headers",
            "message/global-headers",
        ):
            try:
                head = email.message_from_bytes(a.data, policy=email.policy.compat32)
                value = head.get("message-id")
            except Exception:  # noqa: BLE001
                value = None
            if not value:
                m = re.search(rb"(?im)^message-id:\s*(<[^>\r\n]*>|\S+)", a.data)
                value = m.group(1).decode("utf-8", "replace") if m else None
            if value:
                mid = norm_msgid(str(value))
                if mid:
                    return mid
    # Reports whose MIME structure is broken, or that quote the message as text (qmail,
    # Exchange 2003): the first Message-ID line of any other part, then of the text.
    blobs = [
        a.data.decode("utf-8", "replace")
        for a in attachments
        if a.content_type.startswith(("message/", "text/"))
    ]
    for blob in [*blobs, text or ""]:
        m = re.search(r"(?im)^[ \t>]*message-id:\s*(<[^>\n]*>|\S+@\S+)", blob)
        if m:
            return norm_msgid(m.group(1))
    return None


def bounce_info(msg: ParsedMessage) -> BounceInfo:
    """What a delivery report says: failed recipients with status, our Message-ID, permanence."""
    info = BounceInfo()
    rows: list[tuple[str, str, str]] = []
    for a in msg.attachments:
        if a.content_type in ("message/delivery-status", "message/global-delivery-status"):
            rows.extend(_parse_delivery_status(a.data))
    failed = [r for r in rows if r[2] not in ("delivered", "relayed", "expanded")]
    if failed:
        for addr, status, _ in failed:
            if addr not in (r[0] for r in info.recipients):
                info.recipients.append((addr, status))
        statuses = [s for _, s, _ in failed if s]
        actions = {act for _, _, act in failed}
        if statuses:
            info.permanent = any(s.startswith("5") for s in statuses)
        elif actions == {"delayed"}:
            info.permanent = False
    else:
        info.recipients = _heuristic_recipients(msg)
        statuses = [s for _, s in info.recipients if s]
        if statuses:
            info.permanent = any(s.startswith("5") for s in statuses)
        elif _DELAY_SUBJECT.search(msg.subject or "") and not re.search(
            r"fail|gagal|undeliver", msg.subject or "", re.I
        ):
            info.permanent = False
    info.original_message_id = _returned_message_id(msg.attachments, msg.text)
    if not info.original_message_id and (msg.in_reply_to or msg.references):
        info.original_message_id = (msg.in_reply_to or msg.references)[-1]
    return info


def _heuristic_recipients(msg: ParsedMessage) -> list[tuple[str, str]]:
    """Recipients of a bounce that has no delivery-status part (qmail, old Exim, Exchange 2003
    and their kind): X-Failed-Recipients, then '<addr>:' lines of the report text."""
    text = msg.text or ""
    cut = re.search(
        r"(?im)^(?:-+ ?below this line is a copy|-+ ?original message|-+ ?this is a copy|"
        r"return-path:|received:|from \S+@\S+ |(?:from|to|date|subject|message-id):\s|"
        r"bounced e-?mail)",
        text,
    )
    head = (text[: cut.start()] if cut else text)[:20000]  # the report's own words come first
    status = _status_of(head)
    if not status:
        m = _SMTP_CODE_RE.search(head)
        if m:
            status = f"{m.group(1)}.0.0"
        elif _PERMANENT_WORDS.search(head):
            status = "5.0.0"
        elif _TEMPORARY_WORDS.search(head):
            status = "4.0.0"
    out: list[tuple[str, str]] = []
    for v in msg.headers.get("x-failed-recipients", []):
        for addr in re.findall(r"[^\s,<>;]+@[^\s,<>;]+", v):
            out.append((addr.lower(), status))
    if not out:
        for m in re.finditer(r"(?m)^[ \t]*<?([^\s<>@:;,\"']+@[^\s<>:;,\"']+)>?:?[ \t]*$", head):
            out.append((m.group(1).lower().strip("."), status))
        if not out:
            for m in re.finditer(r"<([^\s<>@]+@[^\s<>]+)>:", head):
                out.append((m.group(1).lower(), status))
        if not out:
            # Last resort: addresses named in the report's own words, except the people the
            # report is addressed to (that is us) and the reporting system itself.
            skip = {*msg.to, *msg.cc, msg.from_addr}
            for m in re.finditer(r"<?\b([\w.+'-]+@[\w-]+(?:\.[\w-]+)+)>?", head):
                addr = m.group(1).lower()
                if addr not in skip:
                    out.append((addr, status))
    seen: list[tuple[str, str]] = []
    for pair in out:
        if pair[0] not in (p[0] for p in seen):
            seen.append(pair)
    return seen
