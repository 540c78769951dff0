"""The reports as a Sekretaris reads them, page by page (SPEC §6.4, §6.5): the demo office and a
40-unit office (`pantau demo --units 40`) are run once each, their draft and final reports are
converted to PDF by LibreOffice and read back per page with pdftotext; the DOCX XML is checked so
that every picture fits the writing area of its section (page size minus margins)."""

from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from daemon.config import load_config
from daemon.documents import to_pdf
from tests.tools import require_tool

pytestmark = pytest.mark.slow  # demo cycles of 40 and 200 units, pages counted in PDFs

ARSIP = Path("var") / "arsip" / "PK-2025-TW3"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
WP = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}"
TWIP_EMU = 635


@pytest.fixture(scope="module")
def office40(tmp_path_factory):
    from daemon.demo.simulation import run_demo

    target = tmp_path_factory.mktemp("demo40")
    with (target / "demo.log").open("w") as f:
        rc = run_demo(target, out=f, units=40)
    assert rc == 0, (target / "demo.log").read_text()
    return target


def pages(pdf: Path) -> list[str]:
    require_tool("pdftotext")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    return [" ".join(p.split()) for p in text.split("\f")][: _page_count(pdf)]


def _page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))


def pdf_of(docx: Path, out: Path) -> Path:
    require_tool("soffice")
    pdf = to_pdf(docx, out)
    assert pdf is not None, f"LibreOffice did not convert {docx.name}"
    return pdf


def drafts(office: Path) -> list[Path]:
    found = sorted((office / ARSIP).glob("Konsep-Laporan-*-v*.docx"),
                   key=lambda p: int(re.search(r"-v(\d+)\.docx$", p.name).group(1)))
    assert found
    return found


def final_pdf(office: Path, tmp: Path) -> Path:
    pdf = office / ARSIP / "Laporan-Pemantauan-Kinerja-PK-2025-TW3.pdf"
    if not pdf.exists():
        pdf = pdf_of(office / ARSIP / "Laporan-Pemantauan-Kinerja-PK-2025-TW3.docx", tmp)
    return pdf


def picture_overflows(docx: Path) -> list[str]:
    """Every inline/anchored picture whose extent is larger than its section's writing area."""
    root = ET.fromstring(zipfile.ZipFile(docx).read("word/document.xml"))
    body = root.find(f"{W}body")
    problems, pending = [], []

    def settle(sect) -> None:
        pg, mar = sect.find(f"{W}pgSz"), sect.find(f"{W}pgMar")
        width = (int(pg.get(f"{W}w")) - int(mar.get(f"{W}left")) - int(mar.get(f"{W}right")))
        height = (int(pg.get(f"{W}h")) - int(mar.get(f"{W}top")) - int(mar.get(f"{W}bottom")))
        for cx, cy in pending:
            if cx > width * TWIP_EMU or cy > height * TWIP_EMU:
                problems.append(f"{docx.name}: picture {cx}x{cy} EMU > area "
                                f"{width * TWIP_EMU}x{height * TWIP_EMU}")
        pending.clear()

    for child in body:
        for ext in child.iter(f"{WP}extent"):
            pending.append((int(ext.get("cx")), int(ext.get("cy"))))
        sect = child.find(f"{W}pPr/{W}sectPr")
        if sect is not None:
            settle(sect)
        if child.tag == f"{W}sectPr":
            settle(child)
    assert not pending
    return problems


def check_final(pdf_pages: list[str], nomor_hint: str = "Nomor") -> None:
    lembar = next(i for i, p in enumerate(pdf_pages) if "LEMBAR PENGESAHAN" in p)
    body = next(i for i, p in enumerate(pdf_pages) if "BAB I PENDAHULUAN" in p)
    assert lembar == 1 and lembar < body, "the lembar pengesahan follows the cover"
    assert "Kode verifikasi:" in pdf_pages[lembar]
    assert "konsep" not in pdf_pages[0].lower(), "the final's cover calls itself a draft"
    for i, p in enumerate(pdf_pages, 1):
        footer = re.search(
            r"Laporan Pemantauan Kinerja Triwulan III Tahun 2025 – (\w+ [^ ]+) (\d+)\b", p
        )
        assert footer, f"page {i}: no footer with a page number"
        assert "konsep" not in footer.group(1).lower(), f"page {i}: footer says {footer.group(1)}"
        assert footer.group(2) == str(i), f"page {i} is numbered {footer.group(2)}"
        assert nomor_hint in footer.group(1)


# --------------------------------------------------------------------------- the demo office


def test_demo_final_report_pages(demo_office, tmp_path):
    import hashlib

    from daemon.store import Store

    pdf = demo_office / ARSIP / "Laporan-Pemantauan-Kinerja-PK-2025-TW3.pdf"
    require_tool("soffice")
    assert pdf.exists(), "the demo archived no PDF of the final report"
    p = pages(pdf)
    check_final(p)
    # the verification record holds the archived files' sha256, the PDF's included
    code = re.search(r"Kode verifikasi: (\w{4}-\w{4}-\w{4})", p[1]).group(1)
    row = Store(demo_office / "var" / "pantau.db").verification(code)
    assert row["sha256_pdf"] == hashlib.sha256(pdf.read_bytes()).hexdigest()
    assert "S11 Penandatanganan" in p[1] and "Agenda masuk No." in p[1]
    assert "@" not in p[1].replace("pantau@", "")  # no Message-ID, no e-mail token


def test_demo_draft_numbers_pages_and_shows_the_late_unit(demo_office, tmp_path):
    first, last = drafts(demo_office)[0], drafts(demo_office)[-1]
    v1 = pages(pdf_of(first, tmp_path / "v1"))
    vn = pages(pdf_of(last, tmp_path / "vn"))
    assert all(re.search(rf"– konsep versi 1 {i}\b", pg) for i, pg in enumerate(v1, 1))
    text1, textn = " ".join(v1), " ".join(vn)
    assert "Seksi Kesejahteraan Sosial tidak menyampaikan data" in text1
    assert re.search(
        r"Rata-rata capaian kinerja Seksi Kesejahteraan Sosial: [\d,]+% .*?\(terlambat\)", textn
    )
    assert "Seksi Kesejahteraan Sosial tidak menyampaikan data" not in textn
    # the title page says the year once and shows no machine code
    assert v1[0].count("TAHUN 2025") == 1 and "PK-2025" not in v1[0]


def test_demo_pictures_fit_their_sections(demo_office):
    docs = drafts(demo_office) + [
        demo_office / ARSIP / "Laporan-Pemantauan-Kinerja-PK-2025-TW3.docx"
    ]
    for d in docs:
        assert not picture_overflows(d)


# --------------------------------------------------------------------------- 40 units


def test_forty_units_draft_has_every_unit_and_fits(office40, tmp_path):
    cfg = load_config(office40 / "config" / "pantau.toml")
    assert len(cfg.units) == 40
    last = drafts(office40)[-1]
    assert not picture_overflows(last)
    p = pages(pdf_of(last, tmp_path))
    summary = next(i for i, pg in enumerate(p) if "A. Rekapitulasi Capaian Kinerja" in pg)
    per_unit = next(i for i, pg in enumerate(p) if "B. Capaian Kinerja per Unit Kerja" in pg)
    head = " ".join(p[summary: per_unit + 1])
    for u in cfg.units:
        assert u.nama in head, f"{u.nama} missing from the summary and charts"
    # charts are split (about 20 bars each), each with its caption on its own page
    captions = re.findall(
        r"Grafik (\d+)\. Rata-rata Capaian Kinerja per Unit Kerja .*? \(bagian (\d) dari (\d)\)",
        head,
    )
    assert [c[1:] for c in captions] == [("1", "2"), ("2", "2")]
    assert "Penyerapan Anggaran per Unit Kerja" in head
    for i, pg in enumerate(p, 1):
        assert re.search(rf"– konsep versi \d+ {i}\b", pg), f"page {i} has no page number"
    # late units: dated in the summary; the implausible answers are still in
    assert "terlambat, diterima" in head


def image_pages(pdf: Path) -> set[int]:
    require_tool("pdfimages")
    listing = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True,
                             check=True).stdout.splitlines()[2:]
    return {int(line.split()[0]) for line in listing if line.split()[2] == "image"}


def test_forty_units_final_report_pages(office40, tmp_path):
    final = office40 / ARSIP / "Laporan-Pemantauan-Kinerja-PK-2025-TW3.docx"
    assert not picture_overflows(final)
    pdf = final_pdf(office40, tmp_path)
    p = pages(pdf)
    check_final(p)
    # each chart's caption is on the page of its picture (four charts: 2 x achievement, 2 x budget)
    with_images = image_pages(pdf)
    captions = [i for i, pg in enumerate(p, 1) if re.search(r"Grafik \d+\. ", pg)]
    assert len(captions) == 4 and set(captions) <= with_images


def test_demo_form_reads_as_a_unit_fills_it(demo_office, tmp_path):
    from docx import Document

    from daemon.documents import FORM_HEADERS

    form = demo_office / ARSIP / "formulir" / "Formulir-Pemantauan-PEM-PK-2025-TW3.docx"
    d = Document(str(form))
    assert len(d.tables) == 1
    table = d.tables[0]
    assert [c.text for c in table.rows[0].cells] == list(FORM_HEADERS)
    shaded = []
    for cell in table.rows[1].cells:
        shd = cell._tc.find(f"{W}tcPr/{W}shd")
        shaded.append(shd is not None and shd.get(f"{W}fill") == "FFF2CC")
    # the unit fills Realisasi, Realisasi Anggaran and the three text columns: those are shaded
    assert shaded == [False, False, False, False, True, False, True, True, True, True]
    text = "\n".join(p.text for p in d.paragraphs)
    assert "Batas Waktu\t: Kamis, 9 Oktober 2025 pukul 16.00 WIB" in text  # close of the office day
    assert "kumulatif sejak awal tahun 2025 sampai dengan akhir periode (30 September 2025)" in text
    assert "target tahun 2025" in text and "pagu Rp" in text
    assert text.count("PANTAU:PK-2025-TW3:PEM:1") == 1
    assert "HENDRA SAPUTRA, S.IP" in text.split("Kode formulir")[1]  # the unit head signs below
    # landscape, and wide enough that the factor columns do not break words
    sec = d.sections[0]
    assert sec.page_width > sec.page_height
    filled = sorted((demo_office / ARSIP / "diterima").glob("*Formulir-Pemantauan-PEM-*.docx"))[-1]
    words = " ".join(pages(pdf_of(filled, tmp_path)))
    assert "Meningkatkan" in words and "Penghambat" in words
    assert "Meningkatka n" not in words and "Penghamba t" not in words


def test_two_hundred_units_split_into_charts_that_fit(tmp_path):
    from daemon.documents import render_report
    from daemon.documents import samples as S
    from daemon.documents.report import BARS_PER_CHART, charts

    report = S.report(rows_per_unit=2, n_units=200)
    figures = charts(report)
    achievement = [g for g in figures if "Capaian Kinerja" in g["caption"]]
    budget = [g for g in figures if "Penyerapan Anggaran" in g["caption"]]
    assert len(achievement) == 10 == len(budget)  # 200 units, at most 20 bars each
    assert BARS_PER_CHART == 20
    out = tmp_path / "laporan-200.docx"
    render_report(report, ROOT_TEMPLATES, out, tmp_path)
    assert not picture_overflows(out)


ROOT_TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


def test_xlsx_form_shades_and_unlocks_only_the_input_cells(tmp_path):
    import openpyxl

    from daemon.documents import FORM_HEADERS, build_form, read_form
    from daemon.documents import samples as S

    out = tmp_path / "f.xlsx"
    build_form(S.form_spec(), ROOT_TEMPLATES, out, fmt="xlsx")
    wb = openpyxl.load_workbook(out)
    ws = wb.active
    assert ws.protection.sheet
    header = next(r for r in range(1, 40) if ws.cell(r, 1).value == "No")
    assert [ws.cell(header, c).value for c in range(1, 11)] == list(FORM_HEADERS)
    row = header + 1
    unlocked = [not ws.cell(row, c).protection.locked for c in range(1, 11)]
    assert unlocked == [False, False, False, False, True, False, True, True, True, True]
    assert ws.cell(row, 5).fill.fgColor.rgb.endswith("FFF2CC")
    texts = " ".join(str(ws.cell(r, 1).value or "") for r in range(1, header))
    assert "kumulatif" in texts and "pagu" in texts
    # a unit fills the open cells; the reader takes them
    for k in range(3):
        ws.cell(row + k, 5).value = 85.5 - k
    wb.save(out)
    result = read_form(out.read_bytes(), "f.xlsx")
    assert not result.errors and result.rows[0].realisasi == 85.5
