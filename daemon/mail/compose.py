"""Composing Pantau's outgoing e-mails: headers that make replies traceable, Indonesian text from
`templates/email/<kind>.txt`, and the documents attached.

Every message gets its own Message-ID at Pantau's domain (stored in the outbox before sending).
Messages that expect an answer carry the task token in the subject (`[PK-2025-TW3] [#XXXX-XXXX]`)
and in `X-Pantau-Token`; notifications carry `Auto-Submitted: auto-generated`. All carry a loop
header, so Pantau never answers itself.
"""

from __future__ import annotations

import mimetypes
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
    msg = EmailMessage(policy=DEFAULT)
    msg["From"] = formataddr((sender_name, sender))
    msg["To"] = ", ".join(to)
    if cc:
        msg["Cc"] = ", ".join(cc)
    tag = f"[{cycle}] " if cycle else ""
    tok = f"[#{token}] " if token else ""
    msg["Subject"] = f"{tag}{tok}{subject}".strip()
    msg["Message-ID"] = f"<{message_id}>"
    msg["Date"] = format_datetime(date)
    if reply_to:
        msg["Reply-To"] = reply_to
    if in_reply_to:
        msg["In-Reply-To"] = f"<{in_reply_to}>"
        msg["References"] = f"<{in_reply_to}>"
    if token:
        msg["X-Pantau-Token"] = token
    if cycle:
        msg["X-Pantau-Cycle"] = cycle
    if step:
        msg["X-Pantau-Step"] = step
    msg[LOOP_HEADER] = sender
    if notification:
        msg["Auto-Submitted"] = "auto-generated"
        msg["X-Auto-Response-Suppress"] = "All"
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
