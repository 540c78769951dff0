"""The registers as the office reads them after the demo (SPEC §4, §6.7): the XLSX buku agenda
is for people (headers in words, real dates shown the Indonesian way, frozen and filtered header,
no Message-ID), the JSON/CSV keep the §4 field names, the S5 working copy takes no number, and a
letter's Lampiran is the register's."""

from __future__ import annotations

import json
import subprocess
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from docx import Document

from tools import pantau_main

ROOT = Path(__file__).resolve().parents[1]
ARSIP = Path("var") / "arsip" / "PK-2025-TW3"


def pantau(office: Path, *args: str) -> subprocess.CompletedProcess:
    return pantau_main(["--config", str(office / "config" / "pantau.toml"), *args])


@pytest.mark.slow
def test_xlsx_is_a_buku_agenda(demo_office, tmp_path):
    out = tmp_path / "keluar.xlsx"
    r = pantau(demo_office, "register", "keluar", "--xlsx", str(out))
    assert r.returncode == 0, r.stderr
    ws = openpyxl.load_workbook(out).active
    header = [c.value for c in ws[1]]
    assert header[:4] == ["No. Urut", "Nomor Surat", "Tanggal Surat", "Tanggal Kirim"]
    assert "Perihal" in header and "Lampiran" in header
    assert not any("message" in str(h).lower() or "_" in str(h) for h in header)
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref.startswith("A1:")
    first = [c.value for c in ws[2]]
    assert first[0] == 1 and first[1] == "000.8.6.3/1/Kec-LSB/2025"
    assert isinstance(first[2], (date, datetime)) and first[2] == datetime(2025, 10, 6)
    assert isinstance(first[3], datetime)
    assert ws.cell(2, 3).number_format.startswith("[$-421]d mmmm yyyy")
    assert ws.column_dimensions["F"].width >= 40  # Perihal readable
    z = zipfile.ZipFile(out)
    text = "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))
    assert "@kecamatan.test>" not in text  # no Message-ID anywhere
    masuk = tmp_path / "masuk.xlsx"
    assert pantau(demo_office, "register", "masuk", "--xlsx", str(masuk)).returncode == 0
    wm = openpyxl.load_workbook(masuk).active
    assert [c.value for c in wm[1]][:2] == ["No. Agenda", "Tanggal Terima"]
    assert isinstance(wm.cell(2, 2).value, datetime)


def test_json_keeps_the_field_names_and_s5_takes_no_number(demo_office):
    keluar = json.loads(pantau(demo_office, "register", "keluar", "--json").stdout)
    assert set(keluar[0]) >= {"no", "nomor_surat", "tanggal_surat", "message_id", "lampiran"}
    assert "S5" not in {r["langkah"] for r in keluar}
    assert [r["no"] for r in keluar] == list(range(1, len(keluar) + 1))


def test_letters_count_their_attachments_as_the_register_does(demo_office):
    keluar = json.loads(pantau(demo_office, "register", "keluar", "--json").stdout)
    by_step = {}
    for r in keluar:
        by_step.setdefault(r["langkah"], r)

    def lampiran(name: str) -> str:
        doc = Document(str(demo_office / ARSIP / name))
        line = next(p.text for p in doc.paragraphs if p.text.startswith("Lampiran"))
        return line.split(":", 1)[1].strip()

    assert lampiran("Surat-Permintaan-Data-PK-2025-TW3.docx") == "1 (satu) berkas"
    assert by_step["S3"]["lampiran"] == "1 (satu) berkas"
    s13 = next(p for p in (demo_office / ARSIP).glob("Nota-Dinas-S13-*.docx"))
    assert lampiran(s13.name) == "2 (dua) berkas"  # the XLSX and the CSV
    assert by_step["S13"]["lampiran"] == "2 (dua) berkas"
    assert lampiran("Nota-Dinas-S1-PK-2025-TW3-1.docx") == "-" == by_step["S1"]["lampiran"]
