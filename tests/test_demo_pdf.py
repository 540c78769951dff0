"""The demo's documents, converted to PDF by LibreOffice and read back with pdftotext, say what a
kecamatan's letters and reports must say: kop, place and date, number, signing block, and the
values the units sent."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from daemon.documents import to_pdf
from tests.tools import require_tool

ARSIP = Path("var") / "arsip" / "PK-2025-TW3"


def pdf_text(docx: Path, out: Path) -> str:
    require_tool("soffice")
    require_tool("pdftotext")
    pdf = to_pdf(docx, out)
    assert pdf and pdf.exists(), f"LibreOffice did not convert {docx.name}"
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def squash(text: str) -> str:
    """Whitespace folded, and the same spacing around colons (pdftotext lays them out freely)."""
    return re.sub(r"\s*:\s*", " : ", " ".join(text.split()))


KOP = ("PEMERINTAH KABUPATEN PESISIR SELATAN", "KECAMATAN LINGGO SARI BAGANTI", "Jl. Raya Painan-Tapan, Air Haji")


@pytest.mark.parametrize("name,expect", [
    ("Surat-Permintaan-Data-PK-2025-TW3.docx",
     ["Air Haji, 6 Oktober 2025", "000.8.6.3/2/Kec-LSB/2025", "Permintaan Data Pemantauan Kinerja Triwulan III Tahun 2025",
      "Yth.", "Kepala Seksi Pemerintahan", "RIKA MARTA, S.E", "NIP. 19861026 201001 2 009", "Kamis, 9 Oktober 2025 pukul 16.00 WIB"]),
    ("Nota-Dinas-S1-PK-2025-TW3-1.docx",
     ["NOTA DINAS", "000.8.6.3/1/Kec-LSB/2025", "Camat Linggo Sari Baganti", "DESI RAHMAWATI, S.E", "Lampiran : -"]),
    ("Undangan-Rapat-PK-2025-TW3.docx",
     ["000.1.5/6/Kec-LSB/2025", "hari : Selasa", "tanggal : 14 Oktober 2025", "waktu : 09.00", "Aula Kantor Camat",
      "Pejabat Eselon III dan IV", "RIKA MARTA, S.E"]),
    ("Surat-Pengantar-PK-2025-TW3.docx",
     ["SURAT PENGANTAR", "000.8.6.3/10/Kec-LSB/2025", "Laporan Pemantauan Kinerja", "2 (dua) berkas",
      "Diterima tanggal"]),
])
def test_letters_read_like_the_office_wrote_them(demo_office, tmp_path, name, expect):
    text = squash(pdf_text(demo_office / ARSIP / name, tmp_path))
    for line in KOP + tuple(expect):
        assert squash(line) in text, f"{name}: {line!r} missing"


def test_final_report_pdf_has_values_signature_and_verification(demo_office, tmp_path):
    pdf = demo_office / ARSIP / "Laporan-Pemantauan-Kinerja-PK-2025-TW3.pdf"
    if not pdf.exists():
        require_tool("soffice")
        pytest.fail("the demo produced no PDF of the final report although LibreOffice is installed")
    text = squash(subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                                 check=True).stdout)
    for line in ("LAPORAN PEMANTAUAN KINERJA", "TRIWULAN III TAHUN 2025", "LEMBAR PENGESAHAN",
                 "000.8.6.3/9/Kec-LSB/2025", "RIKA MARTA, S.E", "Kode verifikasi", "Seksi Pemerintahan",
                 "Seksi Kesejahteraan Sosial", "Sangat Tinggi", "Catatan Persetujuan",
                 "Dukungan aparatur"):
        assert line in text, line
    # PEM's first indicator: target 100 %, realisation 90,0 sent by the unit -> capaian 90,00.
    assert "90,00" in text


def test_draft_report_shows_the_late_unit_after_recompiling(demo_office, tmp_path):
    v1 = squash(pdf_text(demo_office / ARSIP / "Konsep-Laporan-PK-2025-TW3-v1.docx", tmp_path))
    v2 = squash(pdf_text(demo_office / ARSIP / "Konsep-Laporan-PK-2025-TW3-v2.docx", tmp_path))
    assert "tidak menyampaikan data" in v1 and "Seksi Kesejahteraan Sosial" in v1
    assert "Konsep versi 2" in v2 or "versi 2" in v2
