"""A whole cycle S1-S13 on the embedded Maildir transport (the demo's simulated office), checked
the way people would check it: the e-mails in their mailboxes, the registers, the documents'
contents, and the CLI's JSON."""

from __future__ import annotations

import email
import hashlib
import json
import re
import subprocess
from email import policy
from pathlib import Path

import pytest
from docx import Document

from daemon.store import Store
from tools import pantau_main

pytestmark = pytest.mark.slow  # real mail servers, LibreOffice or whole cycles (tests/README.md)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def office(demo_office):
    return demo_office


def pantau(office: Path, *args: str) -> subprocess.CompletedProcess:
    return pantau_main(["--config", str(office / "config" / "pantau.toml"), *args])


def mails(office: Path, who: str) -> list[email.message.EmailMessage]:
    box = office / "var" / "maildir" / who
    files = sorted((box / "cur").glob("*")) + sorted((box / "new").glob("*"))
    msgs = [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in files]
    return sorted(msgs, key=lambda m: m["Date"].datetime)


def test_cycle_closes_with_every_step_done_or_skipped(office):
    r = pantau(office, "cycle", "show", "PK-2025-TW3", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["status"] == "closed"
    assert [s["id"] for s in data["steps"]] == [f"S{i}" for i in range(1, 14)]
    assert all(s["status"] in ("done", "skipped") for s in data["steps"])
    assert {u["code"]: u["status"] for u in data["units"]} == {
        "SEK": "received",
        "PEM": "received",
        "TRANTIB": "received",
        "PMD": "received",
        "KESOS": "received",
    }
    for key in ("started", "due", "finished", "standard_minutes", "actual_minutes"):
        assert key in data["steps"][0]
    events = [e["event"] for e in data["log"]]
    for needed in (
        "formulir_ditolak",
        "pengingat",
        "revisi",
        "versi_baru",
        "tidak_menyampaikan_data",
        "jadwal_rapat",
        "laporan_final_diterbitkan",
        "siklus_ditutup",
    ):
        assert needed in events, needed


def test_documents_exist_with_the_sha256_cycle_show_reports(office):
    data = json.loads(pantau(office, "cycle", "show", "PK-2025-TW3", "--json").stdout)
    kinds = {d["kind"] for d in data["documents"]}
    assert {
        "form",
        "draft_report",
        "invitation",
        "final_report",
        "cover_letter",
        "emonev_export",
    } <= kinds
    for d in data["documents"]:
        assert hashlib.sha256(Path(d["path"]).read_bytes()).hexdigest() == d["sha256"], d["path"]


def test_registers_are_gapless_and_numbers_carry_the_register_number(office):
    keluar = json.loads(pantau(office, "register", "keluar", "--json").stdout)
    masuk = json.loads(pantau(office, "register", "masuk", "--json").stdout)
    assert [r["no"] for r in keluar] == list(range(1, len(keluar) + 1))
    assert [r["no"] for r in masuk] == list(range(1, len(masuk) + 1))
    for r in keluar:
        assert set(r) == {
            "no",
            "nomor_surat",
            "tanggal_surat",
            "tanggal_kirim",
            "tujuan",
            "perihal",
            "lampiran",
            "kode_klasifikasi",
            "siklus",
            "langkah",
            "message_id",
            "berkas",
            "keterangan",
        }
        assert r["nomor_surat"] == f"{r['kode_klasifikasi']}/{r['no']}/Kec-LSB/2025"
    steps = {r["langkah"] for r in keluar}
    assert {"S1", "S3", "S6", "S7", "S10", "S11", "S12", "S13"} <= steps
    # The draft S5 sends to the Kasubag herself is a working copy, not a letter (SPEC §4).
    assert "S5" not in steps
    kasubag = mails(office, "kasubag@kecamatan.test")
    s5 = [m for m in kasubag if m["Subject"] and "Konsep Laporan Pemantauan" in m["Subject"]
          and "Penyampaian" not in m["Subject"]]
    assert s5 and all("Kec-LSB" not in m.get_body(("plain",)).get_content() for m in s5)
    # One letter to all units is one entry.
    assert sum(1 for r in keluar if r["langkah"] == "S3") == 1
    assert any(r["kode_klasifikasi"] == "000.1.5" and r["langkah"] == "S7" for r in keluar)
    # Forms, decisions, revised documents are incoming letters; the rejected form is not.
    assert sum(1 for r in masuk if r["langkah"] == "S4") == 5
    assert all(r["message_id"] for r in masuk)
    csv = pantau(office, "register", "keluar", "--csv").stdout.splitlines()
    assert (
        csv[0].split(",")[:3] == ["no", "nomor_surat", "tanggal_surat"]
        and len(csv) == len(keluar) + 1
    )


def test_units_receive_their_own_form_and_answers(office):
    inbox = mails(office, "trantib@kecamatan.test")
    subjects = [m["Subject"] for m in inbox]
    request = inbox[0]
    assert "[PK-2025-TW3]" in request["Subject"] and "[#" in request["Subject"]
    assert request["X-Pantau-Token"] and request["Message-ID"].endswith("@kecamatan.test>")
    names = [a.get_filename() for a in request.iter_attachments()]
    assert "Formulir-Pemantauan-TRANTIB-PK-2025-TW3.docx" in names
    assert "Surat-Permintaan-Data-PK-2025-TW3.docx" in names
    # The wrong form got an answer naming the row, the column and the value; then a receipt.
    error = next(m for m in inbox if "perlu diperbaiki" in m["Subject"])
    body = error.get_body(("plain",)).get_content()
    assert "delapan puluh" in body and "Realisasi" in body and "No. 2" in body
    assert error["Auto-Submitted"] == "auto-generated"
    assert any("Tanda terima" in s for s in subjects)


def test_late_unit_was_reminded_and_the_auto_reply_was_ignored(office):
    inbox = mails(office, "kesos@kecamatan.test")
    assert sum(1 for m in inbox if "Pengingat" in m["Subject"]) == 2
    db = office / "var" / "pantau.db"
    import sqlite3

    rows = (
        sqlite3.connect(db)
        .execute("SELECT kind, status FROM inbound WHERE sender='kesos@kecamatan.test'")
        .fetchall()
    )
    assert ("auto_reply", "diabaikan") in rows


def test_final_report_carries_the_units_values_signature_and_approvals(office):
    final = office / "var" / "arsip" / "PK-2025-TW3" / "Laporan-Pemantauan-Kinerja-PK-2025-TW3.docx"
    doc = Document(final)
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = "\n".join(c.text for t in doc.tables for r in t.rows for c in r.cells)
    assert "RIKA MARTA, S.E" in text + cells
    assert "19861026 201001 2 009" in text + cells
    assert "000.8.6.3/9/Kec-LSB/2025" in text + cells  # S5 drafts (v1, v2) take no number
    # The approval record: step and version, a short reference to the archived reply, and the
    # verification code the register keeps (SPEC §6.5), never a Message-ID.
    assert "S11 Penandatanganan" in cells and "Agenda masuk No." in cells
    assert "@kecamatan.test>" not in text + cells
    code = re.search(r"Kode verifikasi: (\w{4}-\w{4}-\w{4})", text + cells).group(1)
    store = Store(office / "var" / "pantau.db")
    row = store.verification(code)
    assert (
        row and row["cycle"] == "PK-2025-TW3" and row["nomor_surat"] == "000.8.6.3/9/Kec-LSB/2025"
    )
    assert row["sha256_docx"] == hashlib.sha256(final.read_bytes()).hexdigest()
    assert [a["langkah"] for a in row["persetujuan"]][-1] == "S11 Penandatanganan"
    # The Kasubag's edits made through the revision loop survive into the final report.
    assert "analisis faktor penghambat telah dilengkapi" in text
    # A value a unit sent (PEM's first indicator: target 100, realisation 90.0 -> "90").
    assert "Seksi Pemerintahan" in text + cells


def test_camat_received_the_summary_and_kasubag_the_export(office):
    camat = mails(office, "camat@kecamatan.test")
    summary = next(m for m in camat if "Ringkasan ketepatan waktu" in m["Subject"])
    assert "S4" in summary.get_body(("plain",)).get_content()
    kasubag = mails(office, "kasubag@kecamatan.test")
    export = next(
        m for m in kasubag if "e-Monev" in m["Subject"] and "Data Kinerja" in m["Subject"]
    )
    names = [a.get_filename() for a in export.iter_attachments()]
    assert "Data-eMonev-PK-2025-TW3.xlsx" in names and "Data-eMonev-PK-2025-TW3.csv" in names
    invitation = next(m for m in camat if "Undangan Rapat" in m["Subject"])
    ics = next(a for a in invitation.iter_attachments() if a.get_filename().endswith(".ics"))
    assert "METHOD:REQUEST" in ics.get_content()


def test_status_and_list_after_the_demo(office):
    r = pantau(office, "cycle", "list", "--json")
    assert json.loads(r.stdout) == [
        {"code": "PK-2025-TW3", "period": "2025-TW3", "status": "closed", "current_step": None}
    ]
    s = json.loads(pantau(office, "status", "--json").stdout)
    assert set(s) >= {"daemon", "mail", "cycles", "held"} and s["held"] == 0 and s["cycles"] == []


def test_kinerja_database_keeps_the_quarter(office):
    import sqlite3

    n = sqlite3.connect(office / "var" / "pantau.db").execute(
        "SELECT COUNT(*) FROM kinerja WHERE cycle='PK-2025-TW3'").fetchone()[0]
    assert n == 18  # every indicator of the shipped master
