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

pytestmark = pytest.mark.slow  # real mail servers, LibreOffice or whole cycles (tests/README.md)

ARSIP = Path("var") / "arsip" / "PK-2025-TW3"


def pdf_text(docx: Path, out: Path) -> str:
    require_tool("soffice")
    require_tool("pdftotext")
    pdf = to_pdf(docx, out)
    assert pdf and pdf.exists(), f"LibreOffice did not convert {docx.name}"
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def squash(text: str) -> str:
    """Whitespace folded, and the same spacing around colons (pdftotext lays them out freely)."""
    return re.sub(r"\s*:\s*", " : ", " ".join(text.split()))


KOP = (
    "PEMERINTAH KABUPATEN PESISIR SELATAN",
    "KECAMATAN LINGGO SARI BAGANTI",
    "Jl. Raya Painan-Tapan, Air Haji",
)


@pytest.mark.parametrize(
    "name,expect",
    [
        (
            "Surat-Permintaan-Data-PK-2025-TW3.docx",
            [
                "Air Haji, 6 Oktober 2025",
                "000.8.6.3/2/Kec-LSB/2025",
                "Permintaan Data Pemantauan Kinerja Triwulan III Tahun 2025",
                "Yth.",
                "Kepala Seksi Pemerintahan",
                "RIKA MARTA, S.E",
                "NIP. 19861026 201001 2 009",
                "Kamis, 9 Oktober 2025 pukul 16.00 WIB",
            ],
        ),
        (
            "Nota-Dinas-S1-PK-2025-TW3-1.docx",
            [
                "NOTA DINAS",
                "000.8.6.3/1/Kec-LSB/2025",
                "Camat Linggo Sari Baganti",
                "DESI RAHMAWATI, S.E",
                "Lampiran : -",
            ],
        ),
        (
            "Undangan-Rapat-PK-2025-TW3.docx",
            [
                "000.1.5/6/Kec-LSB/2025",
                "hari : Selasa",
                "tanggal : 14 Oktober 2025",
                "waktu : 09.00",
                "Aula Kantor Camat",
                "Pejabat Eselon III dan IV",
                "RIKA MARTA, S.E",
            ],
        ),
        (
            "Surat-Pengantar-PK-2025-TW3.docx",
            [
                "SURAT PENGANTAR",
                "000.8.6.3/10/Kec-LSB/2025",
                "Laporan Pemantauan Kinerja",
                "2 (dua) berkas",
                "Diterima tanggal",
            ],
        ),
    ],
)
def test_letters_read_like_the_office_wrote_them(demo_office, tmp_path, name, expect):
    text = squash(pdf_text(demo_office / ARSIP / name, tmp_path))
    for line in KOP + tuple(expect):
        assert squash(line) in text, f"{name}: {line!r} missing"


def test_final_report_pdf_has_values_signature_and_verification(demo_office, tmp_path):
    pdf = demo_office / ARSIP / "Laporan-Pemantauan-Kinerja-PK-2025-TW3.pdf"
    if not pdf.exists():
        require_tool("soffice")
        pytest.fail(
            "the demo produced no PDF of the final report although LibreOffice is installed"
        )
    text = squash(
        subprocess.run(
            ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
    )
    for line in (
        "LAPORAN PEMANTAUAN KINERJA",
        "TRIWULAN III TAHUN 2025",
        "LEMBAR PENGESAHAN",
        "000.8.6.3/9/Kec-LSB/2025",
        "RIKA MARTA, S.E",
        "Kode verifikasi",
        "Seksi Pemerintahan",
        "Seksi Kesejahteraan Sosial",
        "Sangat Tinggi",
        "Catatan Persetujuan",
        "Dukungan aparatur",
    ):
        assert line in text, line
    # PEM's first indicator: target 100 %, realisation 90,0 sent by the unit -> capaian 90,00.
    assert "90,00" in text


def sent_values(form: Path) -> dict[str, float]:
    """{indicator: realisation} as the unit typed them into the form it sent (python-docx)."""
    from docx import Document

    for table in Document(str(form)).tables:
        head = [c.text.strip() for c in table.rows[0].cells]
        ind = next((i for i, h in enumerate(head) if h.startswith("Indikator")), None)
        if ind is None or "Realisasi" not in head:
            continue
        out = {}
        for row in table.rows[1:]:
            cells = [c.text.strip() for c in row.cells]
            value = cells[head.index("Realisasi")]
            if cells[ind] and value:
                out[" ".join(cells[ind].split())] = float(value.replace(".", "").replace(",", "."))
        return out
    raise AssertionError(f"no form table in {form}")


def reading_text(docx: Path, out: Path) -> str:
    """The PDF's words in reading order (pdftotext without -layout keeps a table cell's wrapped
    lines together), whitespace folded."""
    require_tool("soffice")
    require_tool("pdftotext")
    pdf = to_pdf(docx, out)
    assert pdf and pdf.exists(), f"LibreOffice did not convert {docx.name}"
    return " ".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())


def test_draft_report_shows_the_late_unit_after_recompiling(demo_office, tmp_path):
    # The demo's late unit is Seksi Kesejahteraan Sosial (KESOS): its form came after the
    # collection closed and the first draft; the second draft is compiled with it.
    late = "Seksi Kesejahteraan Sosial"
    forms = sorted((demo_office / ARSIP / "diterima").glob("*Formulir-Pemantauan-KESOS-*.docx"))
    assert len(forms) == 1, forms
    values = sent_values(forms[0])
    assert values
    (tmp_path / "v1").mkdir()
    (tmp_path / "v2").mkdir()
    v1 = reading_text(demo_office / ARSIP / "Konsep-Laporan-PK-2025-TW3-v1.docx", tmp_path / "v1")
    v2 = reading_text(demo_office / ARSIP / "Konsep-Laporan-PK-2025-TW3-v2.docx", tmp_path / "v2")

    # v1 names the unit as one that sent no data, and shows none of its figures.
    assert re.search(re.escape(late) + r"\W{0,5}(?:\S+\s){0,3}tidak menyampaikan data", v1), \
        "v1 does not list the late unit as 'tidak menyampaikan data'"
    assert f"Rata-rata capaian kinerja {late}" not in v1
    # v2 no longer calls it missing, and carries each of its indicators with the value sent.
    assert not re.search(re.escape(late) + r"\W{0,5}(?:\S+\s){0,3}tidak menyampaikan data", v2)
    assert f"Rata-rata capaian kinerja {late}" in v2
    start = min(v2.index(name) for name in values)
    section = v2[start:v2.index(f"Rata-rata capaian kinerja {late}")]
    for name, value in values.items():
        assert name in section, f"v2: indicator {name!r} of the late unit missing"
        shown = f"{value:g}".replace(
            ".", ","
        )  # 90.0 -> "90", 12.1 -> "12,1", as the report writes it
        assert re.search(rf"(?<![\d,]){re.escape(shown)}(?![\d,])", section), \
            f"v2: {name!r} does not show the value {shown} the unit sent"
