"""Composing Pantau's outgoing e-mails: headers that make replies traceable, Indonesian text from
`templates/email/<kind>.txt`, and the documents attached.

Every message gets its own Message-ID at Pantau's domain (stored in the outbox before sending).
Messages that expect an answer carry the task token in the subject (`[PK-2025-TW3] [#XXXX-XXXX]`)
and in `X-Pantau-Token`; notifications carry `Auto-Submitted: auto-generated`. All carry a loop
header, so Pantau never answers itself.
"""

from __future__ import annotations

import mimetypes
import re
import uuid
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import Any

import jinja2

from daemon.core import formatting as fmt
from daemon.mail.mime.policy import DEFAULT

LOOP_HEADER = "X-Pantau-Loop"

CONTENT_TYPES = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pdf": "application/pdf",
    ".ics": "text/calendar",
    ".csv": "text/csv",
    ".png": "image/png",
}


def new_message_id(domain: str) -> str:
    return f"pantau.{uuid.uuid4().hex}@{domain}"


def _shipped_email() -> str:
    from daemon.shipped import shipped_dir

    return str(shipped_dir("templates") / "email")


class EmailTexts:
    """Loads `templates/email/<kind>.txt`: a first line `Subjek: ...`, a blank line, the body."""

    def __init__(self, templates_dir: Path):
        self.env = jinja2.Environment(
            # The office's own texts first; a text added in a later release (an office's
            # templates/ was copied at `pantau init`) comes from the shipped set.
            loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(templates_dir / "email")),
                                        jinja2.FileSystemLoader(_shipped_email())]),
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters.update(
            {
                "tanggal": fmt.tanggal,
                "tanggal_hari": fmt.tanggal_hari,
                "waktu": fmt.waktu,
                "jam": fmt.jam,
                "angka": fmt.angka,
                "persen": fmt.persen,
            }
        )

    def render(self, kind: str, ctx: dict[str, Any]) -> tuple[str, str]:
        text = self.env.get_template(f"{kind}.txt").render(**ctx)
        subject, body = "", text
        first, _, rest = text.partition("\n")
        if first.lower().startswith("subjek:"):
            subject, body = first.split(":", 1)[1].strip(), rest.lstrip("\n")
        return subject, body

    def kinds(self) -> list[str]:
        return sorted(n[:-4] for n in self.env.list_templates() if n.endswith(".txt"))


def build_message(
    *,
    sender: str,
    sender_name: str,
    to: list[str],
    cc: list[str],
    subject: str,
    body: str,
    message_id: str,
    date,
    cycle: str,
    token: str | None,
    reply_to: str | None = None,
    notification: bool = False,
    in_reply_to: str | None = None,
    attachments: list[tuple[str, Path]] = (),
    step: str = "",
) -> bytes:
    headers: list[tuple[str, str]] = [("From", formataddr((sender_name, sender))),
                                      ("To", ", ".join(to))]
    if cc:
        headers.append(("Cc", ", ".join(cc)))
    tag = f"[{cycle}] " if cycle else ""
    tok = f"[#{token}] " if token else ""
    headers += [("Subject", f"{tag}{tok}{subject}".strip()), ("Message-ID", f"<{message_id}>"),
                ("Date", format_datetime(date))]
    if reply_to:
        headers.append(("Reply-To", reply_to))
    if in_reply_to:
        headers += [("In-Reply-To", f"<{in_reply_to}>"), ("References", f"<{in_reply_to}>")]
    if token:
        headers.append(("X-Pantau-Token", token))
    if cycle:
        headers.append(("X-Pantau-Cycle", cycle))
    if step:
        headers.append(("X-Pantau-Step", step))
    headers.append((LOOP_HEADER, sender))
    if notification:
        headers += [("Auto-Submitted", "auto-generated"), ("X-Auto-Response-Suppress", "All")]
    if not attachments:
        plain = plain_text_bytes(headers, body)
        if plain is not None:
            return plain
    msg = EmailMessage(policy=DEFAULT)
    for name, value in headers:
        msg[name] = value
    msg.set_content(body, charset="utf-8")
    for filename, path in attachments:
        data = Path(path).read_bytes()
        ctype = CONTENT_TYPES.get(Path(filename).suffix.lower()) or (
            mimetypes.guess_type(filename)[0] or "application/octet-stream"
        )
        maintype, subtype = ctype.split("/", 1)
        if maintype == "text":
            # As bytes (base64), so the recipient gets the archived file byte for byte (the
            # CRLF line ends iCalendar requires included) and its SHA-256 is the registered one.
            params = {
                "charset": "utf-8",
                **({"method": "REQUEST"} if subtype == "calendar" else {}),
            }
            msg.add_attachment(
                data, maintype="text", subtype=subtype, filename=filename, params=params
            )
        else:
            msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return bytes(msg)


try:  # set_content's own encoder (private): the same choice of encoding, the same text
    from email.contentmanager import _encode_text
except ImportError:  # a Python without it: every letter goes through EmailMessage
    _encode_text = None

# What plain_text_bytes writes as it is: header values email would neither fold, quote, encode
# nor re-render. Anything else goes through EmailMessage.
_WORDS = re.compile(r"[\x21-\x7e]+(?: [\x21-\x7e]+)*")
_ADDR = r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
_MAILBOXES = re.compile(rf"(?:[A-Za-z0-9]+(?: [A-Za-z0-9]+)* <{_ADDR}>|{_ADDR})"
                        rf"(?:, (?:[A-Za-z0-9]+(?: [A-Za-z0-9]+)* <{_ADDR}>|{_ADDR}))*")
_MSGID = re.compile(rf"<{_ADDR}>")
_KIND = {"from": _MAILBOXES, "to": _MAILBOXES, "cc": _MAILBOXES, "reply-to": _MAILBOXES,
         "message-id": _MSGID, "in-reply-to": _MSGID, "references": _MSGID}
_MAX_LINE = 78  # email.policy.default.max_line_length


def plain_text_bytes(headers: list[tuple[str, str]], body: str) -> bytes | None:
    """The bytes EmailMessage(policy=default) with these headers and set_content(body,
    charset="utf-8") would give, written directly (~0.05 ms instead of ~0.5 ms: every
    acknowledgement is such a message); None when a header is one this does not write (non-ASCII,
    an encoded word, a long address list), which EmailMessage then handles. The body is encoded
    by email's own text encoder (7bit, 8bit, quoted-printable or base64, as set_content picks).
    tests/test_compose_plain.py compares the two on thousands of messages."""
    if _encode_text is None:
        return None
    out = []
    for name, value in headers:
        kind = _KIND.get(name.lower())
        if "=?" in value or not (kind or _WORDS).fullmatch(value):
            return None
        line = f"{name}: {value}"
        if len(line) > _MAX_LINE:
            if kind is not None:
                return None
            folded = _fold_words(name, value)
            if folded is None:
                return None
            line = folded
        out.append(line + "\n")
    # email's own choice of transfer encoding and its encoded text (what set_content stores).
    cte, payload = _encode_text(body, "utf-8", None, DEFAULT)
    out.append(f'Content-Type: text/plain; charset="utf-8"\nContent-Transfer-Encoding: {cte}\n'
               "MIME-Version: 1.0\n\n")
    return "".join(out).encode("ascii") + payload.encode("ascii", "surrogateescape")


def _fold_words(name: str, value: str) -> str | None:
    """An unstructured header line of single-space-separated ASCII words folded as email's
    policy folds it: the whole value on a line of its own when it fits there, else as many
    words on each line as fit in 78 characters, the space before a word that does not fit
    starting the next line. None when a word alone is too long."""
    if len(value) + 1 <= _MAX_LINE:
        return f"{name}:\n {value}"
    words = f"{name}: {value}".split(" ")
    lines, cur = [], words[0]
    for word in words[1:]:
        if len(cur) + 1 + len(word) <= _MAX_LINE:
            cur += " " + word
        else:
            if len(word) + 1 > _MAX_LINE:
                return None
            lines.append(cur)
            cur = " " + word
    lines.append(cur)
    return "\n".join(lines)
