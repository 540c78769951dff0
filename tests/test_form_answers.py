"""What a unit gets back for its form, through a whole office on the Maildir transport.

The unit's reply is delivered into Pantau's Maildir inbox, the office runs one round of its work
(`run_once`: poll, timers, outbox) and the answer is read from the unit's own Maildir mailbox,
as the person would read it:

- a form with realisasi anggaran above pagu is accepted; the acknowledgement lists the warning
  with the row, the column and the value; the submission keeps it and the draft report's context
  gets it under `peringatan`;
- a `.doc` and an ODT written by LibreOffice (real files) and a photo each get an answer naming
  what they are and saying how to send a DOCX, and the unit stays pending.
"""

from __future__ import annotations

import email
import io
import json
import re
import shutil
import subprocess
import tempfile
import uuid
from datetime import datetime
from email import policy
from pathlib import Path

import pytest
from docx import Document
from test_form_reading import HEIC, soffice_or_fail
from test_hostile import make_office

from daemon.mail.transports.maildir import deliver


@pytest.fixture()
def office(tmp_path):
    o = make_office(tmp_path / "kantor")
    yield o
    o.close()


def unit_with_pagu(office) -> tuple[str, list]:
    for u in office.app.cfg.units:
        inds = office.app.indicators_for(u.kode)
        if any(i.pagu for i in inds):
            return u.kode, inds
    raise AssertionError("no unit with a pagu in the demo master")


def filled(office, unit: str, anggaran: dict[str, str], note: str = "") -> bytes:
    """The unit's own form, Realisasi = the printed target (100 %), Realisasi Anggaran as
    given per row No, and a `note` row merged across the table, filled with python-docx as a
    person would."""
    doc = Document(office.store.document(office.code, "form", unit=unit)["path"])
    table = doc.tables[0]
    col = {c.text.strip(): i for i, c in enumerate(table.rows[0].cells)}
    for row in table.rows[1:]:
        cells = row.cells
        no = cells[col["No"]].text.strip()
        if not re.fullmatch(r"\d+", no):
            continue
        cells[col["Realisasi"]].text = cells[col["Target"]].text
        cells[col["Realisasi Anggaran (Rp)"]].text = anggaran.get(no, "")
    if note:
        row = table.add_row()
        merged = row.cells[0].merge(row.cells[-1])
        merged.text = note
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def send(office, unit: str, name: str, data: bytes) -> None:
    """The unit replies to its request with one attachment, delivered into Pantau's inbox."""
    task = office.task(unit=unit, status="open")
    raw = office.reply(task, "Terlampir data kinerja kami.", attachments=[(name, data)])
    deliver(office.app.cfg.mail.maildir_path, office.app.cfg.mail.alamat, raw)
    office.clock.advance(minutes=3)
    office.app.run_once()


def inbox(office, address: str) -> list[email.message.EmailMessage]:
    box = Path(office.app.cfg.mail.maildir_path) / address.lower()
    files = sorted((box / "new").glob("*")) + sorted((box / "cur").glob("*"))
    msgs = [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in files]
    return sorted(msgs, key=lambda m: m["Date"].datetime)


def text(msg) -> str:
    return msg.get_body(("plain",)).get_content()


def unit_status(office, unit: str) -> str:
    return office.store.load_cycle(office.code).units[unit].status


def test_budget_above_pagu_is_accepted_and_the_acknowledgement_lists_it(office):
    unit, inds = unit_with_pagu(office)
    ind = next(i for i in inds if i.pagu)
    address = next(u.email for u in office.app.cfg.units if u.kode == unit)
    over = ind.pagu * 3
    rp = "Rp " + f"{over:,.0f}".replace(",", ".")
    note = "Keterangan: realisasi anggaran termasuk belanja tahun lalu yang tertunda"
    send(office, unit, f"Formulir-{unit}.docx", filled(office, unit, {ind.no: rp}, note))

    ack = inbox(office, address)[-1]
    assert "Tanda terima data kinerja" in ack["Subject"], ack["Subject"]
    body = " ".join(text(ack).split())
    assert "Catatan pemeriksaan (tidak menghalangi penerimaan" in body
    shown = "Rp" + f"{over:,.0f}".replace(",", ".") + ",00"
    pagu = "Rp" + f"{ind.pagu:,.0f}".replace(",", ".") + ",00"
    line = (
        f"baris No. {ind.no}, indikator \u201c{ind.indikator}\u201d, kolom \u201cRealisasi "
        f"Anggaran (Rp)\u201d, isian \u201c{shown}\u201d: realisasi anggaran melebihi pagu {pagu} "
        "(penyerapan 300,0 %)"
    )
    assert line in body, body
    assert f"Keterangan yang ditulis pada tabel (dicatat bersama data ini): - {note}" in body
    assert unit_status(office, unit) == "received"

    sub = office.store._q1(
        "SELECT * FROM submissions WHERE cycle=? AND unit=? ORDER BY id DESC", (office.code, unit)
    )
    assert sub["ok"] == 1 and json.loads(sub["catatan"]) == [note]
    (stored,) = json.loads(sub["peringatan"])
    assert stored["unit"] == unit and stored["no"] == ind.no and stored["nilai"] == shown
    st = office.store.load_cycle(office.code)
    report = office.app.producer.report_context(st, 1, datetime.now(), [])
    assert [(p["unit"], p["no"], p["kolom"], p["nilai"]) for p in report.peringatan] == [
        (unit, ind.no, "Realisasi Anggaran (Rp)", shown)
    ]
    from daemon.documents.report import report_context

    assert report_context(report)["peringatan"][0]["pesan"].startswith(
        "realisasi anggaran melebihi pagu"
    )


def converted(docx: bytes, target: str) -> bytes:
    """The unit's form saved by LibreOffice as `target` (a real Word 97-2003 .doc, an ODT)."""
    soffice = soffice_or_fail()
    work = Path(tempfile.mkdtemp(prefix="pantau-doc-"))
    try:
        (work / "formulir.docx").write_bytes(docx)
        subprocess.run(
            [soffice, f"-env:UserInstallation=file://{work}/profile-{uuid.uuid4().hex}",
             "--headless", "--convert-to", target, "--outdir", str(work / "out"),
             str(work / "formulir.docx")],
            capture_output=True, timeout=300, check=True,
        )
        return (work / "out" / f"formulir.{target}").read_bytes()
    finally:
        shutil.rmtree(work, ignore_errors=True)


@pytest.mark.parametrize(
    "name,make,what",
    [
        ("Formulir-TW3.doc", "doc", "berkas Word format lama (.doc)"),
        ("Formulir-TW3.odt", "odt", "berkas OpenDocument Text (.odt, LibreOffice Writer)"),
        ("IMG_2041.HEIC", "heic", "foto HEIC (kamera iPhone)"),
    ],
)
def test_wrong_file_gets_an_answer_naming_it_and_the_unit_stays_pending(office, name, make, what):
    unit, _ = unit_with_pagu(office)
    address = next(u.email for u in office.app.cfg.units if u.kode == unit)
    form = Path(office.store.document(office.code, "form", unit=unit)["path"]).read_bytes()
    data = HEIC if make == "heic" else converted(form, make)
    before = len(inbox(office, address))
    send(office, unit, name, data)

    answers = inbox(office, address)[before:]
    assert len(answers) == 1
    body = " ".join(text(answers[0]).split())
    assert f"{name}: {what} tidak dapat dibaca sebagai formulir" in body, body
    assert "Word Document (*.docx)" in body or "Word 2007-365 (.docx)" in body
    assert unit_status(office, unit) == "pending"
    assert office.store._q("SELECT id FROM submissions WHERE unit=?", (unit,)) == []


def test_cumulative_figure_below_last_period_is_acknowledged_with_a_warning(office):
    unit, inds = unit_with_pagu(office)
    ind = inds[0]
    address = next(u.email for u in office.app.cfg.units if u.kode == unit)
    form = Document(office.store.document(office.code, "form", unit=unit)["path"])
    printed = next(r.cells[3].text for r in form.tables[0].rows[1:] if r.cells[0].text == ind.no)
    from daemon.core.formatting import angka, parse_number

    now = parse_number(printed).value
    office.store.replace_kinerja("PK-2025-TW2", [{
        "cycle": "PK-2025-TW2", "period": "2025-TW2", "tahun": 2025, "unit": unit, "no": ind.no,
        "indikator": ind.indikator, "satuan": ind.satuan, "realisasi": now * 2 + 1,
    }])
    send(office, unit, f"Formulir-{unit}.docx", filled(office, unit, {}))

    body = " ".join(text(inbox(office, address)[-1]).split())
    assert (
        f"baris No. {ind.no}, indikator \u201c{ind.indikator}\u201d, kolom \u201cRealisasi\u201d, "
        f"isian \u201c{angka(now)}\u201d: angka kumulatif ini lebih kecil daripada Triwulan II "
        f"Tahun 2025 ({angka(now * 2 + 1)})"
    ) in body, body
    assert unit_status(office, unit) == "received"
