"""Correlation (SPEC §3.1) through the office shell on the Maildir transport: a reply is matched
by plus address, by In-Reply-To, by subject token, and a form by its embedded code alone."""

from __future__ import annotations

import io
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest
from docx import Document
from offices import new_office

from daemon.demo.simulation import DEMO_START
from daemon.mail.transports.maildir import deliver
from daemon.shell.clock import ManualClock
from daemon.shell.office import OfficeApp


def office(tmp_path: Path, plus: bool = False) -> OfficeApp:
    made = new_office(tmp_path / "kantor")  # what the office_factory fixture makes
    if plus:
        made.edit("plus_addressing = false", "plus_addressing = true")
    app = made.open(ManualClock(DEMO_START))
    app.start_cycle("2025-TW3")
    app.dispatch()
    return app


def inbox(app: OfficeApp, who: str) -> list:
    box = app.cfg.mail.maildir_path / who / "new"
    return [
        message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(box.iterdir())
    ]


def reply(
    app: OfficeApp,
    sender: str,
    to: str,
    subject: str,
    text: str,
    in_reply_to: str | None = None,
    attachment: tuple[str, bytes] | None = None,
) -> None:
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = sender, to, subject
    m["Message-ID"] = make_msgid(domain="kecamatan.test")
    if in_reply_to:
        m["In-Reply-To"] = in_reply_to
    m.set_content(text)
    if attachment:
        m.add_attachment(
            attachment[1],
            maintype="application",
            subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
            filename=attachment[0],
        )
    deliver(app.cfg.mail.maildir_path, to, bytes(m))
    app.run_once()


def current(app: OfficeApp) -> str:
    return app.store.load_cycle("PK-2025-TW3").current


def test_plus_address_alone_is_enough(tmp_path):
    app = office(tmp_path, plus=True)
    (order,) = inbox(app, "camat@kecamatan.test")
    assert order["Reply-To"].startswith("pantau+")
    # A client that drops the subject and the threading headers still reaches the task.
    reply(app, "camat@kecamatan.test", str(order["Reply-To"]), "perintah", "SETUJU")
    assert current(app) == "S4"


@pytest.mark.parametrize("how", ["in_reply_to", "subject_token"])
def test_in_reply_to_or_subject_token(tmp_path, how):
    app = office(tmp_path)
    (order,) = inbox(app, "camat@kecamatan.test")
    if how == "in_reply_to":
        reply(
            app,
            "camat@kecamatan.test",
            "pantau@kecamatan.test",
            "Re: perintah",
            "Setuju.",
            order["Message-ID"],
        )
    else:
        reply(
            app, "camat@kecamatan.test", "pantau@kecamatan.test", "BLS: " + order["Subject"], "ok"
        )
    assert current(app) == "S4"


def test_a_form_sent_as_a_new_mail_is_matched_by_its_code(tmp_path):
    app = office(tmp_path)
    reply(app, "camat@kecamatan.test", "pantau@kecamatan.test", "Re: x", "SETUJU",
          inbox(app, "camat@kecamatan.test")[0]["Message-ID"])
    (request,) = [m for m in inbox(app, "pem@kecamatan.test") if "Permintaan Data" in m["Subject"]]
    form = next(a for a in request.iter_attachments() if a.get_filename().startswith("Formulir"))
    doc = Document(io.BytesIO(form.get_content()))
    table = doc.tables[0]
    head = [c.text for c in table.rows[0].cells]
    for row in table.rows[1:]:
        row.cells[head.index("Realisasi")].text = "5"
    out = io.BytesIO()
    doc.save(out)
    # No token, no threading: a fresh e-mail with the form attached.
    reply(app, "pem@kecamatan.test", "pantau@kecamatan.test", "data kinerja kami", "terlampir",
          attachment=("isian.docx", out.getvalue()))
    st = app.store.load_cycle("PK-2025-TW3")
    assert st.units["PEM"].status == "received"
    row = app.store._q1("SELECT status FROM inbound ORDER BY id DESC LIMIT 1")
    assert row["status"] == "diproses"
