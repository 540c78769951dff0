"""Generate the DOCX templates in templates/ reproducibly with python-docx.

    .venv/bin/python tools/make_templates.py [OUT_DIR]      (default: templates/ of the repo)

The templates are docxtpl (Jinja) documents an office may later edit in Word or LibreOffice. We
write every Jinja tag inside ONE run, so no tag is split across runs, and we fix the zip
timestamps and core properties so that running this script twice gives identical bytes.

Layout follows Tata Naskah Dinas (Permendagri 1/2023): kop (PEMERINTAH KABUPATEN ..., the office
name, address), place and date, Nomor/Sifat/Lampiran/Hal, "Yth.", body, signing block (a.n.,
jabatan, nama, pangkat, NIP) and tembusan. Variables available in each template are listed in
daemon/documents/letters.py, forms.py and report.py.
"""

from __future__ import annotations

import io
import sys
import zipfile
from datetime import datetime
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

FONT = "Arial"
LEFT, CENTER, RIGHT, JUSTIFY = (
    WD_ALIGN_PARAGRAPH.LEFT,
    WD_ALIGN_PARAGRAPH.CENTER,
    WD_ALIGN_PARAGRAPH.RIGHT,
    WD_ALIGN_PARAGRAPH.JUSTIFY,
)
SIGN_INDENT = Cm(8.5)  # the signing block and the place/date sit on the right half
FIXED_TIME = datetime(2025, 1, 1, 0, 0, 0)


# --------------------------------------------------------------------------- basic helpers


def new_document(title: str, landscape: bool = False, size: float = 12) -> Document:
    doc = Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Cm(21.0), Cm(29.7)
    if landscape:
        sec.orientation = WD_ORIENT.LANDSCAPE
        sec.page_width, sec.page_height = Cm(29.7), Cm(21.0)
    sec.top_margin = sec.bottom_margin = Cm(2.0)
    sec.left_margin, sec.right_margin = (Cm(2.0), Cm(2.0)) if landscape else (Cm(3.0), Cm(2.0))
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(size)
    rpr = normal.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)
    pf = normal.paragraph_format
    pf.space_before = Pt(0)
    pf.space_after = Pt(0)
    pf.line_spacing = 1.0
    cp = doc.core_properties
    cp.title = title
    cp.author = "Pantau"
    cp.last_modified_by = "Pantau"
    cp.comments = ""
    cp.subject = ""
    cp.keywords = ""
    cp.language = "id-ID"
    cp.created = FIXED_TIME
    cp.modified = FIXED_TIME
    cp.revision = 1
    # python-docx's default document starts with no paragraphs; keep it that way.
    return doc


def para(
    container,
    text: str = "",
    *,
    bold: bool = False,
    italic: bool = False,
    underline: bool = False,
    size: float | None = None,
    align=None,
    indent: Cm | None = None,
    first_line: Cm | None = None,
    hanging: Cm | None = None,
    tabs: tuple = (),
    before: float = 0,
    after: float = 0,
    color: RGBColor | None = None,
    keep_next: bool = False,
):
    """One paragraph with (at most) one run holding `text`: tags never split across runs."""
    p = container.add_paragraph()
    pf = p.paragraph_format
    if align is not None:
        p.alignment = align
    if indent is not None:
        pf.left_indent = indent
    if hanging is not None:
        pf.left_indent = (indent or Cm(0)) + hanging
        pf.first_line_indent = -hanging
    if first_line is not None:
        pf.first_line_indent = first_line
    for t in tabs:
        pf.tab_stops.add_tab_stop(t)
    pf.space_before = Pt(before)
    pf.space_after = Pt(after)
    if keep_next:
        pf.keep_with_next = True
    if text:
        run = p.add_run(text)
        run.bold = bold or None
        run.italic = italic or None
        run.underline = underline or None
        if size:
            run.font.size = Pt(size)
        if color is not None:
            run.font.color.rgb = color
    return p


def tag(container, text: str):
    """A paragraph holding only a docxtpl paragraph tag ({%p ... %})."""
    return para(container, text)


def border_bottom(p, size: int = 18, style: str = "thickThinSmallGap"):
    ppr = p._p.get_or_add_pPr()
    bdr = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    bottom.set(qn("w:val"), style)
    bottom.set(qn("w:sz"), str(size))
    bottom.set(qn("w:space"), "1")
    bottom.set(qn("w:color"), "000000")
    bdr.append(bottom)
    ppr.append(bdr)


def section(doc, landscape: bool):
    """Start a new section (on a new page) in portrait or landscape A4."""
    sec = doc.add_section(WD_SECTION.NEW_PAGE)
    sec.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = (Cm(29.7), Cm(21.0)) if landscape else (Cm(21.0), Cm(29.7))
    sec.left_margin, sec.right_margin = (Cm(2.0), Cm(2.0)) if landscape else (Cm(3.0), Cm(2.0))
    return sec


def page_break(doc):
    p = doc.add_paragraph()
    p.add_run().add_break(WD_BREAK.PAGE)


def set_cell(cell, text: str = "", *, bold=False, align=None, size=None, shade: str | None = None):
    """Put `text` in a cell's first paragraph as one run."""
    p = cell.paragraphs[0]
    if align is not None:
        p.alignment = align
    if text:
        run = p.add_run(text)
        run.bold = bold or None
        if size:
            run.font.size = Pt(size)
    if shade:
        tcpr = cell._tc.get_or_add_tcPr()
        shd = OxmlElement("w:shd")
        shd.set(qn("w:val"), "clear")
        shd.set(qn("w:color"), "auto")
        shd.set(qn("w:fill"), shade)
        tcpr.append(shd)


def table(doc, widths_cm: list[float], *, grid: bool = True, align=WD_TABLE_ALIGNMENT.CENTER):
    """A table with fixed column widths (set in the grid and in every cell, for Word and LO)."""
    t = doc.add_table(rows=0, cols=len(widths_cm))
    if grid:
        t.style = doc.styles["Table Grid"]
    t.alignment = align
    t.autofit = False
    for col, w in zip(t.columns, widths_cm, strict=True):
        col.width = Cm(w)
    tblpr = t._tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tblpr.append(layout)
    tblw = tblpr.find(qn("w:tblW"))
    if tblw is None:
        tblw = OxmlElement("w:tblW")
        tblpr.append(tblw)
    tblw.set(qn("w:w"), str(int(sum(widths_cm) * 567)))
    tblw.set(qn("w:type"), "dxa")
    return t


def add_row(
    t,
    texts: list[str],
    widths_cm: list[float],
    *,
    bold=False,
    size=None,
    aligns=None,
    shade: str | None = None,
    header: bool = False,
    min_height_cm: float | None = None,
):
    row = t.add_row()
    for i, (cell, text) in enumerate(zip(row.cells, texts, strict=True)):
        cell.width = Cm(widths_cm[i])
        set_cell(
            cell, text, bold=bold, size=size, align=(aligns[i] if aligns else None), shade=shade
        )
    trpr = row._tr.get_or_add_trPr()
    if header:
        trpr.append(OxmlElement("w:tblHeader"))
    if min_height_cm:
        row.height = Cm(min_height_cm)
    return row


def tr_tag(t, text: str, widths_cm: list[float]):
    """A row that holds a docxtpl row tag ({%tr ... %}); docxtpl replaces the whole row."""
    cells = [""] * len(widths_cm)
    cells[0] = text
    return add_row(t, cells, widths_cm)


# --------------------------------------------------------------------------- letter parts

KOP_ALAMAT = (
    "{{ kantor.alamat }}{% if kantor.telepon %}, Telepon {{ kantor.telepon }}{% endif %}"
    "{% if kantor.email %}, Pos-el {{ kantor.email }}{% endif %}"
    "{% if kantor.laman %}, Laman {{ kantor.laman }}{% endif %}"
)


def kop(doc, width_cm: float = 16.0):
    """Letterhead: logo | PEMERINTAH KABUPATEN / KECAMATAN / address | (spacer), then a rule."""
    side = 2.2
    widths = [side, width_cm - 2 * side, side]
    t = table(doc, widths, grid=False)
    row = t.add_row()
    for cell, w in zip(row.cells, widths, strict=True):
        cell.width = Cm(w)
    logo, mid, _ = row.cells
    set_cell(logo, "{{ logo }}", align=CENTER)
    p = mid.paragraphs[0]
    p.alignment = CENTER
    r = p.add_run("PEMERINTAH {{ kantor.kabupaten|upper }}")
    r.bold = True
    r.font.size = Pt(13)
    p2 = mid.add_paragraph()
    p2.alignment = CENTER
    r = p2.add_run("{{ kantor.nama|upper }}")
    r.bold = True
    r.font.size = Pt(16)
    p3 = mid.add_paragraph()
    p3.alignment = CENTER
    r = p3.add_run(KOP_ALAMAT)
    r.font.size = Pt(10)
    rule = para(doc, "", after=12)
    border_bottom(rule)


def kop_paragraphs(doc):
    """Letterhead without a layout table (for the form, whose only table must be the data
    table): logo, PEMERINTAH KABUPATEN / KECAMATAN / address, then a rule."""
    tag(doc, "{%p if logo %}")
    para(doc, "{{ logo }}", align=CENTER)
    tag(doc, "{%p endif %}")
    para(doc, "PEMERINTAH {{ kantor.kabupaten|upper }}", bold=True, size=13, align=CENTER)
    para(doc, "{{ kantor.nama|upper }}", bold=True, size=16, align=CENTER)
    rule = para(doc, KOP_ALAMAT, size=10, align=CENTER, after=12)
    border_bottom(rule)


def place_date(doc):
    para(doc, "{{ kantor.kota }}, {{ tanggal|tanggal }}", indent=SIGN_INDENT, after=12)


HEAD_TAB = Cm(2.5)
YTH_TAB = Cm(1.0)  # "Yth.<tab>addressee": continuation lines align under the addressee


def head_line(doc, label: str, value: str, tab=HEAD_TAB):
    para(doc, f"{label}\t: {value}", tabs=(tab,), hanging=tab + Cm(0.4))


def letter_head(doc):
    """Nomor / Sifat / Lampiran / Hal, then Yth. + addressees + 'di Tempat'."""
    head_line(doc, "Nomor", "{{ nomor or '-' }}")
    head_line(doc, "Sifat", "{{ sifat }}")
    head_line(doc, "Lampiran", "{{ lampiran }}")
    head_line(doc, "Hal", "{{ hal }}")
    para(doc, "")
    para(doc, "{{ kepada|yth }}", before=6, tabs=(YTH_TAB,), hanging=YTH_TAB)
    para(doc, "di Tempat", after=12)


def body(doc, text: str, after: float = 6):
    return para(doc, text, align=JUSTIFY, first_line=Cm(1.25), after=after)


def catatan(doc, label: str = "Catatan:"):
    tag(doc, "{%p if catatan %}")
    para(doc, label, before=6)
    tag(doc, "{%p for c in catatan %}")
    para(doc, "{{ loop.index }}. {{ c }}", align=JUSTIFY, hanging=Cm(0.6), indent=Cm(0.6))
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endif %}")


def signing_block(
    doc,
    who: str = "penandatangan",
    with_place_date: bool = False,
    indent=SIGN_INDENT,
    lead: bool = True,
):
    if lead:
        para(doc, "", after=6)
    if with_place_date:
        para(doc, "{{ kantor.kota }}, {{ tanggal|tanggal }}", indent=indent)
    tag(doc, "{%p if atas_nama %}")
    para(doc, "{{ atas_nama }},", indent=indent)
    tag(doc, "{%p endif %}")
    para(doc, "{{ " + who + ".jabatan }},", indent=indent, keep_next=True)
    for _ in range(3):
        para(doc, "", indent=indent, keep_next=True)
    para(doc, "{{ " + who + ".nama }}", indent=indent, bold=True, underline=True, keep_next=True)
    tag(doc, "{%p if " + who + ".pangkat %}")
    para(doc, "{{ " + who + ".pangkat }}", indent=indent, keep_next=True)
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if " + who + ".nip %}")
    para(doc, "NIP. {{ " + who + ".nip }}", indent=indent)
    tag(doc, "{%p endif %}")


def tembusan(doc):
    tag(doc, "{%p if tembusan %}")
    para(doc, "Tembusan:", before=18)
    tag(doc, "{%p for t in tembusan %}")
    para(doc, "{{ loop.index }}. {{ t }}", hanging=Cm(0.6))
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endif %}")


CLOSING = "Demikian disampaikan, atas perhatian dan kerja sama {{ sapaan }} diucapkan terima kasih."


# --------------------------------------------------------------------------- templates


def surat_dinas() -> Document:
    doc = new_document("Surat Dinas")
    kop(doc)
    place_date(doc)
    letter_head(doc)
    tag(doc, '{%p if kind == "permintaan_data" %}')
    body(
        doc,
        "Dalam rangka pelaksanaan pemantauan kinerja {{ period.label }} di lingkungan "
        "{{ kantor.nama }} sesuai dengan Standar Operasional Prosedur Pemantauan Kinerja, "
        "dengan hormat kami minta {{ sapaan }} mengisi format pemantauan kinerja terlampir "
        "dengan data capaian kinerja dan realisasi anggaran unit kerja {{ sapaan }}.",
    )
    tag(doc, "{%p if batas_waktu %}")
    body(
        doc,
        "Format yang telah diisi agar disampaikan kembali paling lambat "
        "{{ batas_waktu|tanggal_waktu }} dengan cara membalas surat elektronik (surel) "
        "permintaan ini tanpa mengubah subjeknya dan melampirkan berkas format dalam bentuk "
        "DOCX{% if balas_ke %} ke alamat {{ balas_ke }}{% endif %}.",
    )
    tag(doc, "{%p endif %}")
    body(
        doc,
        "Angka ditulis dengan format Indonesia, misalnya 85, 85,5 atau 1.234,5; anggaran "
        "ditulis dalam rupiah, misalnya Rp1.234.500. Kolom Capaian (%) dihitung oleh sistem.",
    )
    tag(doc, "{%p endif %}")
    catatan(doc)
    body(doc, CLOSING)
    signing_block(doc)
    tembusan(doc)
    return doc


NOTA_WORDING = [
    (
        "perintah",
        "Sesuai dengan Standar Operasional Prosedur Pemantauan Kinerja, pemantauan kinerja "
        "{{ period.label }} di lingkungan {{ kantor.nama }} sudah dapat dilaksanakan. Bersama ini "
        "kami mohon perintah {{ sapaan }} untuk melaksanakan pemantauan kinerja tersebut.",
        "Perintah dapat diberikan dengan membalas surel nota dinas ini dengan kata SETUJU.",
    ),
    (
        "konsep",
        "Bersama ini disampaikan konsep Laporan Pemantauan Kinerja {{ period.label }}"
        "{% if version %} versi {{ version }}{% endif %} yang telah disusun dari data kinerja "
        "seksi dan sekretariat, untuk diperiksa.",
        "Apabila konsep telah sesuai, mohon membalas surel ini dengan kata SETUJU; apabila perlu "
        "perbaikan, mohon membalas dengan melampirkan berkas konsep yang telah diperbaiki (DOCX).",
    ),
    (
        "ajukan_konsep",
        "Bersama ini disampaikan konsep Laporan Pemantauan Kinerja {{ period.label }}"
        "{% if version %} versi {{ version }}{% endif %} untuk mendapat persetujuan {{ sapaan }}."
        "{% if rapat %} Rapat pembahasan pemantauan kinerja kami usulkan pada hari "
        "{{ rapat.mulai|tanggal_hari }} pukul {{ rapat.mulai|waktu }} di {{ rapat.tempat }}."
        "{% endif %}",
        "Persetujuan dapat diberikan dengan membalas surel ini dengan kata SETUJU, atau REVISI "
        "diikuti catatan perbaikan{% if rapat %}; waktu rapat dapat diubah dengan membalas JADWAL "
        "tanggal jam, misalnya JADWAL 20-10-2025 09.00 di Aula Kantor Camat{% endif %}.",
    ),
    (
        "koreksi",
        "Bersama ini disampaikan Laporan Pemantauan Kinerja {{ period.label }}"
        "{% if version %} versi {{ version }}{% endif %} yang telah disesuaikan dengan hasil rapat "
        "pembahasan pemantauan kinerja, untuk dikoreksi.",
        "Apabila laporan telah sesuai, mohon membalas surel ini dengan kata SETUJU; koreksi dapat "
        "disampaikan dengan melampirkan berkas laporan yang telah dikoreksi (DOCX) atau dengan "
        "membalas REVISI diikuti catatan perbaikan.",
    ),
    (
        "tanda_tangan",
        "Bersama ini disampaikan Laporan Pemantauan Kinerja {{ period.label }}"
        "{% if version %} versi {{ version }}{% endif %} yang telah dikoreksi oleh Sekretaris "
        "Camat, untuk ditandatangani.",
        "Persetujuan dapat diberikan dengan membalas surel ini dengan kata SETUJU, atau dengan "
        "melampirkan laporan yang telah ditandatangani secara elektronik (PDF); perbaikan dapat "
        "diminta dengan membalas REVISI diikuti catatan perbaikan.",
    ),
    (
        "emonev",
        "Bersama ini disampaikan data Laporan Pemantauan Kinerja {{ period.label }} yang telah "
        "ditandatangani, dalam format e-Monev (XLSX dan CSV), untuk dientri pada aplikasi "
        "e-project "
        "dan aplikasi e-Monev.",
        "Setelah pengentrian selesai, mohon membalas surel ini dengan kata SELESAI.",
    ),
]


def nota_dinas() -> Document:
    doc = new_document("Nota Dinas")
    kop(doc)
    para(doc, "NOTA DINAS", bold=True, align=CENTER, size=14, after=12)
    tab = Cm(2.8)
    head_line(doc, "Kepada", "{{ kepada|yth(' ') }}", tab)
    head_line(doc, "Dari", "{{ (dari or penandatangan).jabatan }}", tab)
    tag(doc, "{%p if tembusan %}")
    head_line(doc, "Tembusan", "{{ tembusan|join(', ') }}", tab)
    tag(doc, "{%p endif %}")
    head_line(doc, "Tanggal", "{{ tanggal|tanggal }}", tab)
    head_line(doc, "Nomor", "{{ nomor or '-' }}", tab)
    head_line(doc, "Sifat", "{{ sifat }}", tab)
    head_line(doc, "Lampiran", "{{ lampiran }}", tab)
    rule = para(doc, "Hal\t: {{ hal }}", tabs=(tab,), hanging=tab + Cm(0.4), after=12)
    border_bottom(rule, size=8, style="single")
    first = True
    for purpose, text, _reply in NOTA_WORDING:
        keyword = "if" if first else "elif"
        tag(doc, "{%p " + keyword + ' purpose == "' + purpose + '" %}')
        first = False
        body(doc, text)
        # How to answer by e-mail belongs in the e-mail, not in the official text (SPEC §6.5).
    tag(doc, "{%p endif %}")
    catatan(doc)
    body(doc, "Demikian disampaikan, atas perhatiannya diucapkan terima kasih.")
    # The date stands once, in the heading ("Tanggal"), as Tata Naskah Dinas lays out a nota dinas.
    signing_block(doc, with_place_date=False)
    return doc


def undangan() -> Document:
    doc = new_document("Undangan Rapat")
    kop(doc)
    place_date(doc)
    letter_head(doc)
    body(
        doc,
        "Dalam rangka pembahasan hasil pemantauan kinerja {{ period.label }} di lingkungan "
        "{{ kantor.nama }}, dengan hormat kami mengundang {{ sapaan }} untuk hadir pada:",
    )
    tab = Cm(4.0)
    for label, value in [
        ("hari", "{{ rapat.mulai|hari }}"),
        ("tanggal", "{{ rapat.mulai|tanggal }}"),
        ("waktu", "{{ rapat.mulai|jam }} s.d. {{ rapat.selesai|waktu }}"),
        ("tempat", "{{ rapat.tempat }}"),
        ("acara", "{{ rapat.acara }}"),
    ]:
        para(doc, f"{label}\t: {value}", indent=Cm(1.25), tabs=(tab,), hanging=Cm(3.15))
    para(doc, "", after=6)
    catatan(doc)
    body(
        doc,
        "Mengingat pentingnya acara tersebut, kami harapkan kehadiran {{ sapaan }} tepat "
        "pada waktunya. Demikian disampaikan, atas perhatian {{ sapaan }} diucapkan "
        "terima kasih.",
    )
    signing_block(doc)
    tembusan(doc)
    return doc


def pengantar() -> Document:
    doc = new_document("Surat Pengantar")
    kop(doc)
    para(doc, "{{ kantor.kota }}, {{ tanggal|tanggal }}", indent=SIGN_INDENT, after=6)
    para(
        doc, "{{ kepada|yth }}", indent=SIGN_INDENT, tabs=(SIGN_INDENT + YTH_TAB,), hanging=YTH_TAB
    )
    para(doc, "di Tempat", indent=SIGN_INDENT, after=12)
    para(doc, "SURAT PENGANTAR", bold=True, underline=True, align=CENTER, size=13)
    para(doc, "Nomor: {{ nomor or '-' }}", align=CENTER, after=12)
    widths = [1.2, 7.0, 3.3, 4.5]
    t = table(doc, widths)
    add_row(
        t,
        ["No", "Jenis yang Dikirim", "Banyaknya", "Keterangan"],
        widths,
        bold=True,
        aligns=[CENTER] * 4,
        shade="D9D9D9",
        header=True,
    )
    tr_tag(t, "{%tr for it in items %}", widths)
    add_row(
        t,
        ["{{ it.no }}", "{{ it.jenis }}", "{{ it.banyaknya }}", "{{ it.keterangan }}"],
        widths,
        aligns=[CENTER, LEFT, CENTER, LEFT],
    )
    tr_tag(t, "{%tr endfor %}", widths)
    para(doc, "", after=12)
    catatan(doc)
    # receipt block (left) and signing block (right)
    bw = [7.5, 8.5]
    b = table(doc, bw, grid=False)
    row = b.add_row()
    left, right = row.cells
    left.width, right.width = Cm(bw[0]), Cm(bw[1])
    set_cell(left, "Diterima tanggal ....................")
    for text, kw in [
        ("Penerima,", {}),
        ("", {}),
        ("", {}),
        ("", {}),
        ("(....................................)", {}),
        ("NIP. ", {}),
    ]:
        para(left, text, **kw)
    set_cell(right, "{{ kantor.kota }}, {{ tanggal|tanggal }}")
    signing_block(right, indent=Cm(0), lead=False)
    tembusan(doc)
    return doc


def ringkasan() -> Document:
    doc = new_document("Ringkasan Ketepatan Waktu")
    kop(doc)
    para(doc, "NOTA DINAS", bold=True, align=CENTER, size=14, after=12)
    tab = Cm(2.8)
    head_line(doc, "Kepada", "{{ kepada|yth(' ') }}", tab)
    head_line(doc, "Dari", "{{ (dari or penandatangan).jabatan }}", tab)
    head_line(doc, "Tanggal", "{{ tanggal|tanggal }}", tab)
    head_line(doc, "Nomor", "{{ nomor or '-' }}", tab)
    head_line(doc, "Sifat", "{{ sifat }}", tab)
    head_line(doc, "Lampiran", "{{ lampiran }}", tab)
    rule = para(doc, "Hal\t: {{ hal }}", tabs=(tab,), hanging=tab + Cm(0.4), after=12)
    border_bottom(rule, size=8, style="single")
    body(
        doc,
        "Bersama ini disampaikan ringkasan ketepatan waktu pelaksanaan Standar Operasional "
        "Prosedur Pemantauan Kinerja {{ period.label }}{% if cycle_code %} "
        "({{ cycle_code }}){% endif %}, yaitu waktu pelaksanaan setiap langkah dibandingkan "
        "dengan standar waktunya, sebagai berikut:",
    )
    widths = [1.0, 2.0, 5.8, 2.4, 2.8, 2.0]
    t = table(doc, widths)
    add_row(
        t,
        ["No", "Langkah", "Uraian Prosedur", "Standar Waktu", "Waktu Pelaksanaan", "Tepat Waktu"],
        widths,
        bold=True,
        size=10,
        aligns=[CENTER] * 6,
        shade="D9D9D9",
        header=True,
    )
    tr_tag(t, "{%tr for s in ringkasan %}", widths)
    add_row(
        t,
        [
            "{{ loop.index }}",
            "{{ s.step }}",
            "{{ s.nama }}",
            "{{ s.standar }}",
            "{{ s.aktual }}",
            "{{ s.tepat_waktu|ya_tidak }}",
        ],
        widths,
        size=10,
        aligns=[CENTER, CENTER, LEFT, CENTER, CENTER, CENTER],
    )
    tr_tag(t, "{%tr endfor %}", widths)
    para(doc, "", after=6)
    body(
        doc,
        "Dari {{ ringkasan|rejectattr('tepat_waktu', 'none')|list|length }} langkah yang "
        "dilaksanakan, {{ ringkasan|selectattr('tepat_waktu', 'true')|list|length }} "
        "langkah selesai tepat waktu.",
    )
    catatan(doc)
    body(doc, "Demikian disampaikan, atas perhatian {{ sapaan }} diucapkan terima kasih.")
    signing_block(doc, with_place_date=True)
    tembusan(doc)
    return doc


FORM_HEADERS = [
    "No",
    "Indikator Kinerja",
    "Satuan",
    "Target",
    "Realisasi",
    "Capaian (%)",
    "Realisasi Anggaran (Rp)",
    "Faktor Pendorong",
    "Faktor Penghambat",
    "Tindak Lanjut",
]
FORM_WIDTHS = [0.9, 4.3, 2.0, 1.7, 2.2, 2.0, 3.0, 3.2, 3.2, 3.2]  # landscape: 25.7 cm
FORM_INPUT = [False, False, False, False, True, False, True, True, True, True]
INPUT_SHADE = "FFF2CC"  # light yellow: the cells a unit fills
GREY = RGBColor(0x80, 0x80, 0x80)


def page_number_paragraph(container, size: float = 9):
    """A centred paragraph holding a PAGE field (the page number)."""
    p = container.add_paragraph() if hasattr(container, "add_paragraph") else container
    p.alignment = CENTER

    def run_with(child):
        r = OxmlElement("w:r")
        rpr = OxmlElement("w:rPr")
        sz = OxmlElement("w:sz")
        sz.set(qn("w:val"), str(int(size * 2)))
        rpr.append(sz)
        r.append(rpr)
        r.append(child)
        p._p.append(r)

    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"),
                       ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        elif text == " PAGE ":
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        else:
            el = OxmlElement("w:t")
            el.text = text
        run_with(el)
    return p


def formulir() -> Document:
    doc = new_document("Format Pemantauan Kinerja", landscape=True, size=11)
    kop_paragraphs(doc)
    para(doc, "FORMAT PEMANTAUAN KINERJA", bold=True, align=CENTER, size=13)
    para(doc, "{{ period.label|upper }}", bold=True, align=CENTER, after=12)
    tab = Cm(4.0)
    for label, value in [
        ("Unit Kerja", "{{ unit.nama }}"),
        (
            "Kepala Unit Kerja",
            "{{ unit.kepala.nama }}{% if unit.kepala.nip %} "
            "(NIP. {{ unit.kepala.nip }}){% endif %}",
        ),
        (
            "Periode",
            "{{ period.label }} ({{ period.start|tanggal }} s.d. {{ period.end|tanggal }})",
        ),
        ("Batas Waktu", "{{ batas_waktu|tanggal_waktu }}"),
    ]:
        para(doc, f"{label}\t: {value}", tabs=(tab,), hanging=tab + Cm(0.4))
    para(doc, "Petunjuk pengisian:", bold=True, before=6)
    for i, text in enumerate(
        [
            "Isi sel yang berwarna kuning: Realisasi, Realisasi Anggaran (Rp), Faktor Pendorong, "
            "Faktor Penghambat, dan Tindak Lanjut untuk setiap indikator. Kolom No, Indikator "
            "Kinerja, Satuan, dan Target jangan diubah; kolom Capaian (%) boleh dikosongkan karena "
            "dihitung oleh sistem.",
            "Target dan Realisasi adalah angka kumulatif sejak awal tahun {{ period.year }} sampai "
            "dengan akhir periode ({{ period.end|tanggal }}); Realisasi Anggaran juga kumulatif "
            "sampai tanggal itu. Target tahunan dan pagu setiap indikator tercantum di bawah.",
            "Tulis angka dengan format Indonesia, misalnya 85, 85,5 atau 1.234,5; anggaran dalam "
            "rupiah, misalnya 1.234.500 atau Rp1.234.500.",
            "Simpan berkas tetap dalam format DOCX, lalu kirim dengan membalas surel permintaan "
            "data "
            "tanpa mengubah subjeknya ({{ subject_hint }}){% if balas_ke %} ke alamat "
            "{{ balas_ke }}{% endif %}, paling lambat {{ batas_waktu|tanggal_waktu }}.",
            "Jangan menghapus kode formulir di bawah tabel.",
        ],
        1,
    ):
        para(doc, f"{i}. {text}", align=JUSTIFY, hanging=Cm(0.6), size=10)
    para(doc, "Target tahunan dan pagu setiap indikator (rujukan, tidak perlu diisi):", size=10,
         bold=True, before=6, after=2, keep_next=True)
    tag(doc, "{%p for r in rows %}")
    para(
        doc,
        "{{ r.no }}. {{ r.indikator }}: target tahun {{ period.year }} {{ r.target_tahunan }} "
        "{{ r.satuan }}; target kumulatif s.d. {{ period.end|tanggal }} {{ r.target }} "
        "{{ r.satuan }}; pagu {{ r.pagu }}.",
        size=9,
        hanging=Cm(0.6),
        indent=Cm(0.6),
    )
    tag(doc, "{%p endfor %}")
    para(doc, "", after=6)
    t = table(doc, FORM_WIDTHS)
    add_row(
        t,
        FORM_HEADERS,
        FORM_WIDTHS,
        bold=True,
        size=9,
        aligns=[CENTER] * 10,
        shade="D9D9D9",
        header=True,
    )
    tr_tag(t, "{%tr for r in rows %}", FORM_WIDTHS)
    row = add_row(
        t,
        ["{{ r.no }}", "{{ r.indikator }}", "{{ r.satuan }}", "{{ r.target }}"] + [""] * 6,
        FORM_WIDTHS,
        size=10,
        aligns=[CENTER, LEFT, CENTER, RIGHT, RIGHT, RIGHT, RIGHT, LEFT, LEFT, LEFT],
        min_height_cm=1.0,
    )
    for cell, is_input in zip(row.cells, FORM_INPUT, strict=True):
        if is_input:
            set_cell(cell, shade=INPUT_SHADE)
    tr_tag(t, "{%tr endfor %}", FORM_WIDTHS)
    para(doc, "Kode formulir: {{ kode }}", size=8, color=GREY, before=6)
    # the unit head confirms the data
    para(doc, "", after=6, keep_next=True)
    sign = Cm(17.0)
    para(doc, "{{ kantor.kota }}, ............................ {{ period.year }}", indent=sign,
         keep_next=True)
    para(doc, "{{ unit.kepala.jabatan or ('Kepala ' ~ unit.nama) }},", indent=sign,
         keep_next=True)
    for _ in range(3):
        para(doc, "", indent=sign, keep_next=True)
    para(doc, "{{ unit.kepala.nama or '(...............................)' }}", indent=sign,
         bold=True, underline=True, keep_next=True)
    para(doc, "{% if unit.kepala.nip %}NIP. {{ unit.kepala.nip }}{% endif %}", indent=sign)
    footer = doc.sections[0].footer.paragraphs[0]
    run = footer.add_run("Format Pemantauan Kinerja {{ period.label }} \u2013 {{ unit.nama }}")
    run.font.size = Pt(7)
    run.font.color.rgb = GREY
    page_number_paragraph(doc.sections[0].footer, size=7)
    doc.core_properties.subject = "{{ kode }}"
    return doc


REPORT_HEADERS = [
    "No",
    "Indikator",
    "Satuan",
    "Target",
    "Realisasi",
    "Capaian (%)",
    "Kategori",
    "Pagu (Rp)",
    "Realisasi Anggaran (Rp)",
    "Penyerapan (%)",
]
REPORT_WIDTHS = [0.9, 6.0, 1.9, 1.7, 1.7, 1.7, 2.5, 3.5, 3.5, 2.3]  # landscape: 25.7 cm
SUMMARY_HEADERS = [
    "No",
    "Unit Kerja",
    "Jumlah Indikator",
    "Rata-rata Capaian (%)",
    "Kategori",
    "Pagu (Rp)",
    "Realisasi Anggaran (Rp)",
    "Penyerapan (%)",
    "Keterangan",
]
SUMMARY_WIDTHS = [0.9, 5.3, 1.8, 2.1, 2.5, 3.5, 3.5, 2.3, 3.8]  # landscape: 25.7 cm
NUM = RIGHT
NO_DATA_TEST = '{%p if u.status != "tidak menyampaikan data" %}'


def laporan() -> Document:
    doc = new_document("Laporan Pemantauan Kinerja", size=12)
    # title page (the "Konsep versi" line is the marker the final report replaces)
    for _ in range(4):
        para(doc, "")
    para(doc, "LAPORAN PEMANTAUAN KINERJA", bold=True, align=CENTER, size=18)
    para(doc, "{{ period.label|upper }}", bold=True, align=CENTER, size=14, after=24)
    tag(doc, "{%p if logo %}")
    para(doc, "{{ logo }}", align=CENTER, after=24)
    tag(doc, "{%p endif %}")
    para(doc, "{{ kantor.nama|upper }}", bold=True, align=CENTER, size=14)
    para(doc, "{{ kantor.kabupaten|upper }}", bold=True, align=CENTER, size=14, after=48)
    para(doc, "Konsep versi {{ version }}", align=CENTER, size=12)
    page_break(doc)
    # I. introduction
    para(doc, "BAB I", bold=True, align=CENTER)
    para(doc, "PENDAHULUAN", bold=True, align=CENTER, after=12)
    para(doc, "A. Latar Belakang", bold=True, after=6, keep_next=True)
    body(
        doc,
        "Pemantauan kinerja merupakan bagian integral dari pengawasan internal terkait "
        "capaian keluaran (output), hasil (outcome), dan dampak yang diharapkan, serta "
        "menjadi umpan balik bagi penyelenggaraan pemerintahan di {{ kantor.nama }}. "
        "Laporan ini menyajikan hasil pemantauan kinerja {{ period.label }} yang disusun "
        "dari data kinerja yang disampaikan oleh sekretariat dan seksi-seksi.",
    )
    para(doc, "B. Dasar Hukum", bold=True, after=6, keep_next=True)
    for i, text in enumerate(
        [
            "Undang-Undang Nomor 23 Tahun 2014 tentang Pemerintahan Daerah sebagaimana telah "
            "beberapa kali diubah, terakhir dengan Undang-Undang Nomor 6 Tahun 2023;",
            "Peraturan Pemerintah Nomor 17 Tahun 2018 tentang Kecamatan;",
            "Peraturan Daerah Kabupaten Pesisir Selatan Nomor 8 Tahun 2016 tentang Pembentukan dan "
            "Susunan Perangkat Daerah;",
            "Peraturan Bupati Pesisir Selatan Nomor 40 Tahun 2017 tentang Kedudukan, Susunan "
            "Organisasi, Tugas Pokok, Fungsi, Uraian Tugas dan Tata Kerja Kecamatan di Lingkungan "
            "Pemerintah Kabupaten Pesisir Selatan;",
            "Standar Operasional Prosedur Pemantauan Kinerja {{ kantor.nama }}.",
        ],
        1,
    ):
        para(doc, f"{i}. {text}", align=JUSTIFY, hanging=Cm(0.6), indent=Cm(0.6))
    para(doc, "C. Maksud dan Tujuan", bold=True, before=6, after=6, keep_next=True)
    body(
        doc,
        "Pemantauan kinerja dimaksudkan untuk mengetahui capaian indikator kinerja dan "
        "realisasi anggaran setiap unit kerja pada {{ period.label }}, dengan tujuan "
        "mengidentifikasi faktor pendorong dan penghambat serta menetapkan tindak lanjut "
        "agar target kinerja tahun {{ period.year }} tercapai.",
    )
    para(doc, "D. Ruang Lingkup", bold=True, after=6, keep_next=True)
    body(
        doc,
        "Pemantauan mencakup {{ units|length }} unit kerja di lingkungan {{ kantor.nama }} "
        "untuk periode {{ period.start|tanggal }} sampai dengan {{ period.end|tanggal }}. "
        "Capaian kinerja dihitung dengan membandingkan realisasi terhadap target (untuk "
        "indikator berpolaritas negatif, semakin kecil realisasi semakin baik), dan penyerapan "
        "anggaran dengan membandingkan realisasi anggaran terhadap pagu.",
    )
    # II. results: landscape, the tables are wide
    section(doc, landscape=True)
    para(doc, "BAB II", bold=True, align=CENTER)
    para(doc, "HASIL PEMANTAUAN KINERJA", bold=True, align=CENTER, after=12)
    para(doc, "A. Rekapitulasi Capaian Kinerja dan Anggaran", bold=True, after=6, keep_next=True)
    sw = SUMMARY_WIDTHS
    t = table(doc, sw)
    add_row(t, SUMMARY_HEADERS, sw, bold=True, size=9, aligns=[CENTER] * 9, shade="D9D9D9",
            header=True)
    tr_tag(t, "{%tr for u in units %}", sw)
    add_row(
        t,
        [
            "{{ loop.index }}",
            "{{ u.unit.nama }}",
            "{{ u.rows|length }}",
            "{{ u.capaian_rata|persen }}",
            "{{ u.kategori }}",
            "{{ u.pagu|rupiah }}",
            "{{ u.realisasi_anggaran|rupiah }}",
            "{{ u.penyerapan|persen }}",
            "{% if u.status == 'tidak menyampaikan data' %}tidak menyampaikan data"
            "{% elif u.terlambat %}terlambat, diterima {{ u.diterima|tanggal }}"
            "{% else %}diterima {{ u.diterima|tanggal }}{% endif %}",
        ],
        sw,
        size=8.5,
        aligns=[CENTER, LEFT, CENTER, NUM, CENTER, NUM, NUM, NUM, LEFT],
    )
    tr_tag(t, "{%tr endfor %}", sw)
    add_row(
        t,
        [
            "",
            "Jumlah / rata-rata {{ kantor.nama }}",
            "{{ jumlah_indikator }}",
            "{{ capaian_rata|persen }}",
            "{{ kategori }}",
            "{{ jumlah_pagu|rupiah }}",
            "{{ jumlah_realisasi_anggaran|rupiah }}",
            "{{ penyerapan|persen }}",
            "",
        ],
        sw,
        bold=True,
        size=8.5,
        aligns=[CENTER, LEFT, CENTER, NUM, CENTER, NUM, NUM, NUM, LEFT],
    )
    para(
        doc,
        "Rata-rata capaian dihitung dari unit kerja yang menyampaikan data; penyerapan "
        "kecamatan dihitung terhadap pagu unit kerja yang menyampaikan data.",
        size=9,
        before=4,
        after=8,
    )
    tag(doc, "{%p for g in grafik %}")
    para(doc, "{{ g.gambar }}", align=CENTER, keep_next=True, before=6)
    para(doc, "{{ g.judul }}", align=CENTER, size=10, after=12)
    tag(doc, "{%p endfor %}")
    para(doc, "B. Capaian Kinerja per Unit Kerja", bold=True, before=6, after=6, keep_next=True)
    tag(doc, "{%p for u in units %}")
    para(doc, "{{ loop.index }}. {{ u.unit.nama }}", bold=True, before=6, after=4, keep_next=True)
    tag(doc, NO_DATA_TEST)
    t = table(doc, REPORT_WIDTHS)
    add_row(t, REPORT_HEADERS, REPORT_WIDTHS, bold=True, size=8.5, aligns=[CENTER] * 10,
            shade="D9D9D9", header=True)
    tr_tag(t, "{%tr for r in u.rows %}", REPORT_WIDTHS)
    add_row(
        t,
        [
            "{{ r.no }}",
            "{{ r.indikator }}",
            "{{ r.satuan }}",
            "{{ r.target|angka }}",
            "{{ r.realisasi|angka }}",
            "{{ r.capaian|persen }}",
            "{{ r.kategori }}",
            "{{ r.pagu|rupiah }}",
            "{{ r.realisasi_anggaran|rupiah }}",
            "{{ r.capaian_anggaran|persen }}",
        ],
        REPORT_WIDTHS,
        size=8.5,
        aligns=[CENTER, LEFT, CENTER, NUM, NUM, NUM, CENTER, NUM, NUM, NUM],
    )
    tr_tag(t, "{%tr endfor %}", REPORT_WIDTHS)
    para(
        doc,
        "Rata-rata capaian kinerja {{ u.unit.nama }}: {{ u.capaian_rata|persen }}% "
        "(kategori {{ u.kategori }}); penyerapan anggaran {{ u.penyerapan|persen }}%; "
        "data diterima {{ u.diterima|tanggal }}{% if u.terlambat %} (terlambat){% endif %}"
        "{% if u.versi_formulir %}, formulir versi {{ u.versi_formulir }}{% endif %}.",
        size=10,
        before=4,
    )
    tag(doc, "{%p else %}")
    para(
        doc,
        "{{ u.unit.nama }} tidak menyampaikan data sampai batas waktu pengumpulan.",
        italic=True,
    )
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endfor %}")
    para(
        doc,
        "C. Unit Kerja yang Tidak Menyampaikan Data dan yang Terlambat",
        bold=True,
        before=12,
        after=6,
        keep_next=True,
    )
    tag(doc, "{%p if tanpa_data %}")
    body(
        doc,
        "Sampai dengan batas waktu pengumpulan{% if batas_waktu %} "
        "({{ batas_waktu|tanggal_waktu }}){% endif %}, unit kerja berikut tidak menyampaikan "
        "data kinerja {{ period.label }}:",
    )
    tag(doc, "{%p for u in tanpa_data %}")
    para(
        doc,
        "{{ loop.index }}. {{ u.unit.nama }} \u2013 tidak menyampaikan data",
        hanging=Cm(0.6),
        indent=Cm(0.6),
    )
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p else %}")
    body(doc, "Seluruh unit kerja telah menyampaikan data kinerja {{ period.label }}.")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if terlambat %}")
    body(doc, "Unit kerja berikut menyampaikan data setelah batas waktu pengumpulan:")
    tag(doc, "{%p for u in terlambat %}")
    para(
        doc,
        "{{ loop.index }}. {{ u.unit.nama }} \u2013 diterima {{ u.diterima|tanggal_waktu }}",
        hanging=Cm(0.6),
        indent=Cm(0.6),
    )
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endif %}")
    para(
        doc,
        "D. Faktor Pendorong, Faktor Penghambat, dan Tindak Lanjut",
        bold=True,
        before=12,
        after=6,
        keep_next=True,
    )
    body(
        doc,
        "Faktor pendorong, faktor penghambat, dan tindak lanjut berikut disajikan "
        "sebagaimana ditulis oleh unit kerja.",
    )
    fw = [0.9, 6.2, 6.2, 6.2, 6.2]
    tag(doc, "{%p for u in units %}")
    tag(doc, NO_DATA_TEST)
    para(doc, "{{ u.unit.nama }}", bold=True, before=6, after=4, keep_next=True)
    t = table(doc, fw)
    add_row(
        t,
        ["No", "Indikator", "Faktor Pendorong", "Faktor Penghambat", "Tindak Lanjut"],
        fw,
        bold=True,
        size=9,
        aligns=[CENTER] * 5,
        shade="D9D9D9",
        header=True,
    )
    tr_tag(t, "{%tr for r in u.rows %}", fw)
    add_row(
        t,
        [
            "{{ r.no }}",
            "{{ r.indikator }}",
            "{{ r.faktor_pendorong or '-' }}",
            "{{ r.faktor_penghambat or '-' }}",
            "{{ r.tindak_lanjut or '-' }}",
        ],
        fw,
        size=9,
        aligns=[CENTER, LEFT, LEFT, LEFT, LEFT],
    )
    tr_tag(t, "{%tr endfor %}", fw)
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endfor %}")
    # E. plausibility warnings, only when there are some
    tag(doc, "{%p if peringatan %}")
    para(doc, "E. Data yang Diterima dengan Peringatan", bold=True, before=12, after=6,
         keep_next=True)
    body(
        doc,
        "Baris berikut diterima dengan peringatan (kewajaran angka atau penulisan); angkanya "
        "dipakai sebagaimana dikirim unit kerja dan perlu diperiksa oleh Kasubag Perencanaan.",
    )
    ww = [0.9, 4.6, 1.0, 6.0, 3.0, 2.6, 7.6]
    t = table(doc, ww)
    add_row(
        t,
        ["No", "Unit Kerja", "No. Ind.", "Indikator", "Kolom", "Nilai", "Peringatan"],
        ww,
        bold=True,
        size=9,
        aligns=[CENTER] * 7,
        shade="D9D9D9",
        header=True,
    )
    tr_tag(t, "{%tr for w in peringatan %}", ww)
    add_row(
        t,
        [
            "{{ loop.index }}",
            "{{ w.unit_nama or w.unit }}",
            "{{ w.no or '-' }}",
            "{{ w.indikator or '-' }}",
            "{{ w.kolom or '-' }}",
            "{{ w.nilai if w.nilai is string else (w.nilai|angka) }}",
            "{{ w.pesan }}",
        ],
        ww,
        size=9,
        aligns=[CENTER, LEFT, CENTER, LEFT, LEFT, NUM, LEFT],
    )
    tr_tag(t, "{%tr endfor %}", ww)
    tag(doc, "{%p endif %}")
    # F. the year's earlier periods beside this one (from the second period of a year)
    tag(doc, "{%p if periode_sebelumnya %}")
    para(
        doc,
        "{{ 'F' if peringatan else 'E' }}. Perkembangan Realisasi Tahun {{ period.year }}",
        bold=True,
        before=12,
        after=6,
        keep_next=True,
    )
    body(
        doc,
        "Realisasi kumulatif setiap indikator pada periode sebelumnya tahun {{ period.year }} "
        "disandingkan dengan realisasi {{ period.label }}.",
    )
    pw = [0.9, 4.4, 7.4, 1.8, 2.4, 5.8, 3.0]
    t = table(doc, pw)
    add_row(
        t,
        ["No", "Unit Kerja", "Indikator", "Satuan", "Target Tahunan",
         "Realisasi Periode Sebelumnya", "Realisasi {{ period.label }}"],
        pw,
        bold=True,
        size=9,
        aligns=[CENTER] * 7,
        shade="D9D9D9",
        header=True,
    )
    tr_tag(t, "{%tr for u in units %}", pw)
    tr_tag(t, "{%tr for r in u.rows %}", pw)
    add_row(
        t,
        [
            "{{ r.no }}",
            "{{ u.unit.nama }}",
            "{{ r.indikator }}",
            "{{ r.satuan }}",
            "{{ r.target_tahunan|angka }}",
            "{% for v in r.sebelumnya %}{{ periode_sebelumnya[loop.index0] }}: {{ v|angka }}"
            "{% if not loop.last %}; {% endif %}{% endfor %}",
            "{{ r.realisasi|angka }}",
        ],
        pw,
        size=9,
        aligns=[CENTER, LEFT, LEFT, CENTER, NUM, LEFT, NUM],
    )
    tr_tag(t, "{%tr endfor %}", pw)
    tr_tag(t, "{%tr endfor %}", pw)
    tag(doc, "{%p endif %}")
    para(doc, "")
    section(doc, landscape=False)
    # III. closing
    para(doc, "BAB III", bold=True, align=CENTER)
    para(doc, "PENUTUP", bold=True, align=CENTER, after=12)
    body(
        doc,
        "Rata-rata capaian kinerja {{ kantor.nama }} pada {{ period.label }} adalah "
        "{{ capaian_rata|persen }}% dengan kategori {{ kategori }}, dengan penyerapan anggaran "
        "{{ penyerapan|persen }}%. "
        "{% if tanpa_data %}Sebanyak {{ tanpa_data|length }} unit kerja tidak menyampaikan "
        "data sehingga belum termasuk dalam perhitungan. {% endif %}Faktor penghambat dan "
        "tindak lanjut yang disampaikan unit kerja agar menjadi perhatian dalam "
        "pelaksanaan kegiatan periode berikutnya.",
    )
    tag(doc, "{%p if catatan_revisi %}")
    para(doc, "Catatan perbaikan yang ditindaklanjuti pada versi {{ version }}:", before=6)
    tag(doc, "{%p for c in catatan_revisi %}")
    para(doc, "{{ loop.index }}. {{ c }}", align=JUSTIFY, hanging=Cm(0.6), indent=Cm(0.6))
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endif %}")
    para(doc, "", after=12)
    para(doc, "{{ kantor.kota }}, {{ tanggal|tanggal }}", indent=SIGN_INDENT)
    para(doc, "Penyusun,", indent=SIGN_INDENT)
    para(doc, "{{ penyusun.jabatan }},", indent=SIGN_INDENT)
    for _ in range(3):
        para(doc, "", indent=SIGN_INDENT)
    para(doc, "{{ penyusun.nama }}", indent=SIGN_INDENT, bold=True, underline=True)
    tag(doc, "{%p if penyusun.pangkat %}")
    para(doc, "{{ penyusun.pangkat }}", indent=SIGN_INDENT)
    tag(doc, "{%p endif %}")
    para(doc, "{% if penyusun.nip %}NIP. {{ penyusun.nip }}{% endif %}", indent=SIGN_INDENT)
    # footer: Pantau's draft marker (replaced in the final report) and the page number
    footer = doc.sections[0].footer.paragraphs[0]
    footer.alignment = CENTER
    run = footer.add_run(
        "Laporan Pemantauan Kinerja {{ period.label }} \u2013 konsep versi {{ version }}"
    )
    run.font.size = Pt(8)
    run.font.color.rgb = GREY
    page_number_paragraph(doc.sections[0].footer)
    return doc


TEMPLATES = {
    "surat_dinas.docx": surat_dinas,
    "nota_dinas.docx": nota_dinas,
    "undangan.docx": undangan,
    "pengantar.docx": pengantar,
    "ringkasan.docx": ringkasan,
    "formulir.docx": formulir,
    "laporan.docx": laporan,
}


def reproducible_bytes(doc: Document) -> bytes:
    """Save `doc` and re-zip it with fixed timestamps and order, so output is byte-stable."""
    raw = io.BytesIO()
    doc.save(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            zi = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, data)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out_dir = Path(args[0]) if args else Path(__file__).resolve().parents[1] / "templates"
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, build in TEMPLATES.items():
        (out_dir / name).write_bytes(reproducible_bytes(build()))
        print(f"{out_dir / name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
