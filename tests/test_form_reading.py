"""Filled forms as people really send them, read the way the person sees them (SPEC §6.2).

Every case starts from a REAL form Pantau generates (build_form, DOCX and XLSX), filled the way
units fill it: numbers as typed, Word markup written with lxml (Track Changes with insertions,
deletions and moves, hidden text, content controls with and without their placeholder, simple and
complex fields, tables split in two, note rows, JUMLAH rows, reordered and extra columns, header
spacing and case, Google Docs / WPS quirks), XLSX cells with number formats, and wrong files (a
real .doc, ODT and PDF written by LibreOffice, photos). Then the same forms go through REAL
LibreOffice round trips (Writer `--convert-to docx`, Calc `--convert-to xlsx`, batched per call).

Each row asserts the Realisasi (and Realisasi Anggaran) taken per indicator row, the rows warned
about, or the answer given. The summary asserts that no form was read silently wrong: a value
different from what the person sees, taken without an error or a warning on that row.
"""

from __future__ import annotations

import copy
import io
import os
import shutil
import struct
import subprocess
import tempfile
import uuid
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import openpyxl
import pytest
from lxml import etree

from daemon.core.model import FormCode
from daemon.documents import build_form, check_form, read_form
from daemon.documents import samples as S

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "templates"
CODE = FormCode("PK-2025-TW3", "PEM", 1)
WNS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W = "{" + WNS + "}"
NSDECL = f'xmlns:w="{WNS}"'
# what the unit fills by default: row No -> (Realisasi, Realisasi Anggaran)
BASE = {"1": ("80", "Rp 100.000.000"), "2": ("1000", ""), "3": ("50", "")}
BASE_REAL = {"1": 80.0, "2": 1000.0, "3": 50.0}
BASE_RA = {"1": 100_000_000.0, "2": None, "3": None}
COL_REAL, COL_RA = 4, 6


# --------------------------------------------------------------------------- the real forms


@pytest.fixture(scope="module")
def spec():
    return S.form_spec()


_FORMS: dict[str, bytes] = {}


def real_form(fmt: str) -> bytes:
    if fmt not in _FORMS:
        with tempfile.TemporaryDirectory() as d:
            out = Path(d) / f"formulir.{fmt}"
            build_form(S.form_spec(), TEMPLATES, out, fmt=fmt)
            _FORMS[fmt] = out.read_bytes()
    return _FORMS[fmt]


def x(fragment: str) -> etree._Element:
    """An element from a w: XML fragment."""
    return etree.fromstring(f'<w:root {NSDECL}>{fragment}</w:root>')[0]


def run(text: str, rpr: str = "") -> str:
    return (
        f'<w:r>{f"<w:rPr>{rpr}</w:rPr>" if rpr else ""}<w:t xml:space="preserve">{text}</w:t></w:r>'
    )


def para(*runs: str, ppr: str = "") -> str:
    return f'<w:p>{f"<w:pPr>{ppr}</w:pPr>" if ppr else ""}{"".join(runs)}</w:p>'


class Docx:
    """A real form's DOCX, editable with lxml."""

    def __init__(self, data: bytes | None = None, fill: bool = True):
        z = zipfile.ZipFile(io.BytesIO(data or real_form("docx")))
        self.parts = {n: z.read(n) for n in z.namelist()}
        self.doc = etree.fromstring(self.parts["word/document.xml"])
        if fill:
            for no, (real, ra) in BASE.items():
                self.text(no, COL_REAL, real)
                if ra:
                    self.text(no, COL_RA, ra)

    @property
    def table(self) -> etree._Element:
        return next(self.doc.iter(W + "tbl"))

    def rows(self) -> list[etree._Element]:
        return list(self.table.iter(W + "tr"))

    def row(self, no: str) -> etree._Element:
        for tr in self.doc.iter(W + "tr"):
            cells = tr.findall(W + "tc")
            if cells and "".join(cells[0].itertext()) == no:
                return tr
        raise KeyError(no)

    def cell(self, no: str, col: int) -> etree._Element:
        return self.row(no).findall(W + "tc")[col]

    def inner(self, no: str, col: int, xml: str) -> Docx:
        """Replace the cell's paragraphs with `xml` (paragraphs)."""
        tc = self.cell(no, col)
        for p in tc.findall(W + "p"):
            tc.remove(p)
        for el in etree.fromstring(f"<w:root {NSDECL}>{xml}</w:root>"):
            tc.append(el)
        return self

    def text(self, no: str, col: int, text: str) -> Docx:
        return self.inner(no, col, para(run(text)) if text else "<w:p/>")

    def real(self, no: str, xml: str) -> Docx:
        """The Realisasi cell of row `no` as paragraphs `xml`."""
        return self.inner(no, COL_REAL, xml)

    def add_style(self, xml: str) -> Docx:
        styles = etree.fromstring(self.parts["word/styles.xml"])
        styles.append(x(xml))
        self.parts["word/styles.xml"] = etree.tostring(styles)
        return self

    def bytes(self) -> bytes:
        self.parts["word/document.xml"] = etree.tostring(
            self.doc, xml_declaration=True, encoding="UTF-8", standalone=True
        )
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in self.parts.items():
                z.writestr(name, data)
        return buf.getvalue()


def xlsx(edit: Callable | None = None, shared: tuple[int, int] | None = None) -> bytes:
    """The real XLSX form (openpyxl writes inline strings) filled with BASE, then
    `edit(ws, header_row)`; `shared` moves one (row offset, column) string cell into a shared
    strings part as rich text."""
    wb = openpyxl.load_workbook(io.BytesIO(real_form("xlsx")))
    ws = wb.active
    hr = next(c.row for r in ws.iter_rows() for c in r if c.value == "No")
    for i, (real, ra) in enumerate(BASE.values(), start=1):
        ws.cell(hr + i, COL_REAL + 1).value = float(real)
        if ra:
            ws.cell(hr + i, COL_RA + 1).value = 100_000_000
    if edit:
        edit(ws, hr)
    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()
    if shared:
        data = _to_shared(data, hr + shared[0], shared[1])
    return data


def _to_shared(data: bytes, row: int, col: int) -> bytes:
    """Move one inline string cell into a shared strings part, as rich text (two runs, the
    second bold, with a phonetic run that is not shown), the way Excel and Calc write it."""
    z = zipfile.ZipFile(io.BytesIO(data))
    parts = {n: z.read(n) for n in z.namelist()}
    sheet = etree.fromstring(parts["xl/worksheets/sheet1.xml"])
    ns = sheet.tag[: sheet.tag.index("}") + 1]
    ref = f"{openpyxl.utils.get_column_letter(col)}{row}"
    c = next(c for c in sheet.iter(ns + "c") if c.get("r") == ref)
    text = "".join(c.find(ns + "is").itertext())
    c.remove(c.find(ns + "is"))
    c.set("t", "s")
    etree.SubElement(c, ns + "v").text = "0"
    parts["xl/worksheets/sheet1.xml"] = etree.tostring(sheet)
    main = ns[1:-1]
    parts["xl/sharedStrings.xml"] = (
        f'<sst xmlns="{main}" count="1" uniqueCount="1"><si><r><t>{text[:1]}</t></r>'
        f'<r><rPr><b/></rPr><t>{text[1:]}</t></r><rPh sb="0" eb="1"><t>99</t></rPh></si></sst>'
    ).encode()
    rels = parts["xl/_rels/workbook.xml.rels"].decode()
    parts["xl/_rels/workbook.xml.rels"] = rels.replace(
        "</Relationships>",
        '<Relationship Id="rIdSS" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
    ).encode()
    types = parts["[Content_Types].xml"].decode()
    parts["[Content_Types].xml"] = types.replace(
        "</Types>",
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    ).encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for n, d in parts.items():
            out.writestr(n, d)
    return buf.getvalue()


def set_cell(row_off: int, col: int, value, fmt: str | None = None) -> Callable:
    def edit(ws, hr):
        c = ws.cell(hr + row_off, col + 1)
        c.value = value
        if fmt:
            c.number_format = fmt

    return edit


# --------------------------------------------------------------------------- Word markup


def ins(text: str) -> str:
    return (
        f'<w:ins w:id="91" w:author="Seksi PEM" w:date="2025-10-08T09:00:00Z">{run(text)}</w:ins>'
    )


def dele(text: str) -> str:
    return (
        f'<w:del w:id="92" w:author="Seksi PEM" w:date="2025-10-08T09:00:00Z"><w:r>'
        f'<w:delText xml:space="preserve">{text}</w:delText></w:r></w:del>'
    )


def move_from(text: str) -> str:
    return (
        '<w:moveFromRangeStart w:id="93" w:author="A" w:date="2025-10-08T09:00:00Z" w:name="m1"/>'
        f'<w:moveFrom w:id="94" w:author="A" w:date="2025-10-08T09:00:00Z">{run(text)}</w:moveFrom>'
        '<w:moveFromRangeEnd w:id="93"/>'
    )


def move_to(text: str) -> str:
    return (
        '<w:moveToRangeStart w:id="95" w:author="A" w:date="2025-10-08T09:00:00Z" w:name="m1"/>'
        f'<w:moveTo w:id="96" w:author="A" w:date="2025-10-08T09:00:00Z">{run(text)}</w:moveTo>'
        '<w:moveToRangeEnd w:id="95"/>'
    )


def hidden(text: str, val: str = "") -> str:
    return run(text, f'<w:vanish{f" w:val={chr(34)}{val}{chr(34)}" if val else ""}/>')


def sdt_run(text: str, placeholder: bool = False) -> str:
    pr = '<w:sdtPr><w:alias w:val="Realisasi"/><w:id w:val="101"/>'
    if placeholder:
        pr += '<w:placeholder><w:docPart w:val="DefaultPlaceholder"/></w:placeholder>'
        pr += "<w:showingPlcHdr/>"
        text_run = run(text, '<w:rStyle w:val="PlaceholderText"/>')
    else:
        text_run = run(text)
    return f"<w:sdt>{pr}</w:sdtPr><w:sdtContent>{text_run}</w:sdtContent></w:sdt>"


def fld_simple(instr: str, result: str) -> str:
    return f'<w:fldSimple w:instr="{instr}">{run(result)}</w:fldSimple>'


def fld(instr: str, result: str | None, inner: str = "") -> str:
    out = '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
    out += f'<w:r><w:instrText xml:space="preserve">{instr}</w:instrText></w:r>{inner}'
    if result is not None:
        out += '<w:r><w:fldChar w:fldCharType="separate"/></w:r>' + run(result)
    return out + '<w:r><w:fldChar w:fldCharType="end"/></w:r>'


def wrap_cell_in_sdt(d: Docx, no: str, col: int, placeholder: bool) -> Docx:
    tc = d.cell(no, col)
    tr = tc.getparent()
    pr = "<w:sdtPr><w:id w:val=\"102\"/>" + ("<w:showingPlcHdr/>" if placeholder else "")
    sdt = x(f"<w:sdt>{pr}</w:sdtPr><w:sdtContent/></w:sdt>")
    tr.replace(tc, sdt)
    sdt.find(W + "sdtContent").append(tc)
    return d


def wrap_row_in_sdt(d: Docx, no: str) -> Docx:
    tr = d.row(no)
    tbl = tr.getparent()
    sdt = x('<w:sdt><w:sdtPr><w:id w:val="103"/></w:sdtPr><w:sdtContent/></w:sdt>')
    tbl.replace(tr, sdt)
    sdt.find(W + "sdtContent").append(tr)
    return d


def split_table(d: Docx, at: str, between: str = "<w:p/>", header: bool = False,
                reorder: bool = False) -> Docx:
    """Word's Split Table before row `at` (rows from `at` go to a second table)."""
    tbl = d.table
    rows = list(tbl.findall(W + "tr"))
    first = next(
        i for i, tr in enumerate(rows) if "".join(tr.findall(W + "tc")[0].itertext()) == at
    )
    new = etree.Element(W + "tbl")
    new.append(copy.deepcopy(tbl.find(W + "tblPr")))
    new.append(copy.deepcopy(tbl.find(W + "tblGrid")))
    if header:
        new.append(copy.deepcopy(rows[0]))
    for tr in rows[first:]:
        new.append(tr)
    if reorder:  # the continuation's columns in another order (Realisasi before Target)
        for tr in new.findall(W + "tr"):
            tcs = tr.findall(W + "tc")
            tcs[3].addprevious(tcs[4])
    parent = tbl.getparent()
    pos = parent.index(tbl)
    gap = list(etree.fromstring(f"<w:root {NSDECL}>{between}</w:root>"))
    for i, el in enumerate(gap + [new]):
        parent.insert(pos + 1 + i, el)
    return d


def add_row(d: Docx, cells: list[str], span_first: int = 0, after: str = "3",
            deleted: bool = False) -> Docx:
    """A row after row `after`: cells' texts (the first spanning `span_first` columns)."""
    if not span_first:
        cells = cells + [""] * (10 - len(cells))
    tcs = []
    for i, text in enumerate(cells):
        span = (
            f'<w:tcPr><w:gridSpan w:val="{span_first}"/></w:tcPr>' if i == 0 and span_first else ""
        )
        tcs.append(f"<w:tc>{span}{para(run(text)) if text else '<w:p/>'}</w:tc>")
    trpr = '<w:trPr><w:del w:id="97" w:author="A" w:date="2025-10-08T09:00:00Z"/></w:trPr>'
    tr = x(f"<w:tr>{trpr if deleted else ''}{''.join(tcs)}</w:tr>")
    d.row(after).addnext(tr)
    return d


def move_column(d: Docx, src: int, dst: int) -> Docx:
    for tr in d.table.findall(W + "tr"):
        tcs = tr.findall(W + "tc")
        tc = tcs[src]
        tcs[dst].addprevious(tc) if dst < src else tcs[dst].addnext(tc)
    grid = d.table.find(W + "tblGrid")
    cols = grid.findall(W + "gridCol")
    cols[dst].addprevious(cols[src]) if dst < src else cols[dst].addnext(cols[src])
    return d


def extra_column(d: Docx, at: int, title: str) -> Docx:
    for i, tr in enumerate(d.table.findall(W + "tr")):
        tcs = tr.findall(W + "tc")
        tcs[at].addprevious(x(f"<w:tc>{para(run(title if i == 0 else 'catatan'))}</w:tc>"))
    d.table.find(W + "tblGrid").append(x('<w:gridCol w:w="800"/>'))
    return d


def header_text(d: Docx, col: int, text: str) -> Docx:
    tc = d.table.findall(W + "tr")[0].findall(W + "tc")[col]
    for p in tc.findall(W + "p"):
        tc.remove(p)
    tc.append(x(para(run(text))))
    return d


# --------------------------------------------------------------------------- wrong files


def png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF
        )

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 4 for _ in range(4))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


JPEG = (
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    b"\xff\xdb\x00C\x00" + bytes(range(64)) + b"\xff\xd9"
)
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(56)
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(200)


# --------------------------------------------------------------------------- the cases


@dataclass
class Case:
    name: str
    make: Callable[[], bytes]
    real: dict[str, float | None] = field(default_factory=dict)  # expected Realisasi per row
    anggaran: dict[str, float | None] = field(default_factory=dict)
    warn: tuple[str, ...] = ()  # rows that must carry a warning
    error: str | None = None  # the form is refused with this in the answer
    error_row: str | None = None
    note: str | None = None  # a note row kept
    lo: bool = False  # also round-tripped through LibreOffice
    kind: str = "docx"
    lo_error: str | None = None  # what LibreOffice's re-saved file must get instead

    def resaved(self) -> Case:
        """The expectation for the file LibreOffice re-saved."""
        return (
            replace(self, error=self.lo_error, error_row=self.error_row) if self.lo_error else self
        )

    def expected(self) -> tuple[dict, dict]:
        return {**BASE_REAL, **self.real}, {**BASE_RA, **self.anggaran}


def typed(name: str, text: str, value: float | None, *, row: str = "1", warn: bool = False,
          error: str | None = None, lo: bool = False) -> Case:
    """Realisasi of row `row` typed as `text`."""
    return Case(
        f"typed-{name}",
        lambda: Docx().text(row, COL_REAL, text).bytes(),
        real={row: value},
        warn=(row,) if warn else (),
        error=error,
        error_row=row if error else None,
        lo=lo,
    )


def markup(name: str, xml: str, value: float | None, *, row: str = "1", warn: bool = False,
           error: str | None = None, lo: bool = False, style: str | None = None) -> Case:
    """Realisasi of row `row` written as Word paragraphs `xml`."""

    def make() -> bytes:
        d = Docx().real(row, xml)
        if style:
            d.add_style(style)
        return d.bytes()

    return Case(f"word-{name}", make, real={row: value}, warn=(row,) if warn else (),
                error=error, error_row=row if error else None, lo=lo)


HIDDEN_CHAR_STYLE = (
    '<w:style w:type="character" w:customStyle="1" w:styleId="Tersembunyi">'
    '<w:name w:val="Tersembunyi"/><w:rPr><w:vanish/></w:rPr></w:style>'
)
HIDDEN_CHAR_STYLE_BASED = (
    '<w:style w:type="character" w:customStyle="1" w:styleId="Turunan">'
    '<w:name w:val="Turunan"/><w:basedOn w:val="Tersembunyi"/></w:style>'
)
HIDDEN_PARA_STYLE = (
    '<w:style w:type="paragraph" w:customStyle="1" w:styleId="CatatanTersembunyi">'
    '<w:name w:val="Catatan Tersembunyi"/><w:rPr><w:vanish/></w:rPr></w:style>'
)
BELUM = "belum diisi"

CASES: list[Case] = [
    # numbers as typed
    typed("85", "85", 85.0, lo=True),
    typed("85-percent-sign", "85%", 85.0, lo=True),
    typed("85-space-percent", "85 %", 85.0),
    typed("85-nbsp-percent", "85\u00a0%", 85.0),
    typed("decimal-comma", "85,5", 85.5, lo=True),
    typed("decimal-point", "85.5", 85.5),
    typed("thousands-and-decimal", "1.234,5", 1234.5, row="2", lo=True),
    typed("spaces-as-thousands", "1 234", 1234.0, row="2"),
    typed("zero", "0", 0.0),
    typed("padded", "  85  ", 85.0),
    typed("persen-word", "85 persen", 85.0, warn=True, lo=True),
    typed("persen-upper", "85 PERSEN", 85.0, warn=True),
    typed("plus-minus", "\u00b185", 85.0, warn=True, lo=True),
    typed("plus-minus-spaced", "\u00b1 85", 85.0, warn=True),
    typed("plus-slash-minus", "+/- 85", 85.0, warn=True),
    typed("number-and-words", "100 (seratus)", 100.0, warn=True, lo=True),
    typed("number-and-words-decimal", "85,5 (delapan puluh lima koma lima)", 85.5, warn=True),
    typed("percent-and-words", "90% (sembilan puluh persen)", 90.0, warn=True),
    typed("number-and-other-words", "100 (sepuluh)", None, error="tidak sama dengan tulisannya"),
    typed("number-and-remark", "85 (sementara)", None, error="bukan angka"),
    typed("own-unit", "12 desa", 12.0, row="2", warn=True, lo=True),
    typed("own-unit-capitalised", "12 Desa", 12.0, row="2", warn=True),
    typed("other-unit", "12 dokumen", None, row="2", error="tidak sama dengan satuan"),
    typed("ambiguous-dot", "1.234", 1234.0, row="2", warn=True, lo=True),
    typed("ambiguous-comma", "1,234", 1.234, warn=True),
    typed("words-only", "delapan puluh lima", None, error="bukan angka"),
    typed("text", "belum ada data", None, error="bukan angka"),
    typed("empty", "", None, error=BELUM, lo=True),
    typed("dash", "-", None, error=BELUM),
    typed("minus", "-5", -5.0),
    Case("typed-rupiah", lambda: Docx().text("1", COL_RA, "Rp 1.234.500").bytes(),
         anggaran={"1": 1_234_500.0}, lo=True),
    Case("typed-rupiah-cents", lambda: Docx().text("1", COL_RA, "Rp1.234.500,00").bytes(),
         anggaran={"1": 1_234_500.0}),
    Case("typed-rupiah-dash", lambda: Docx().text("1", COL_RA, "Rp. 1.234.500,-").bytes(),
         anggaran={"1": 1_234_500.0}),
    Case("typed-rupiah-word", lambda: Docx().text("1", COL_RA, "1.234.500 rupiah").bytes(),
         anggaran={"1": 1_234_500.0}, warn=("1",)),
    Case("typed-rupiah-not-a-number", lambda: Docx().text("1", COL_RA, "satu juta").bytes(),
         error="bukan angka", error_row="1"),
    # Track Changes
    markup("insertion", para(ins("90")), 90.0, lo=True),
    markup("deletion-then-insertion", para(dele("80"), ins("90")), 90.0, lo=True),
    markup("deleted-digit", para(run("1"), dele("0"), run("2")), 12.0),
    markup("move-away-digit", para(run("12"), move_from("2")), 12.0, lo=True),
    markup("moved-here", para(move_to("45")), 45.0, lo=True),
    markup("move-from-and-to", para(move_from("80"), move_to("75")), 75.0),
    markup("everything-deleted", para(dele("80")), None, error=BELUM),
    markup("deleted-paragraph-mark", '<w:p><w:pPr><w:rPr><w:del w:id="98" w:author="A" '
           'w:date="2025-10-08T09:00:00Z"/></w:rPr></w:pPr>' + run("8") + "</w:p>"
           + para(run("5")), 85.0),
    # LibreOffice 7.4 does not keep a tracked row deletion: the row it re-saves is an ordinary
    # row, seen by the person, so the form is refused (a row that is no indicator)
    Case("word-deleted-row", lambda: add_row(Docx(), ["1", "duplikat", "%", "85", "99"],
                                             after="1", deleted=True).bytes(), lo=True,
         lo_error="tidak sesuai dengan indikator"),
    # hidden text
    markup("hidden-run", para(hidden("10"), run("12")), 12.0, lo=True),
    markup("hidden-after", para(run("12"), hidden(" (revisi: 15)")), 12.0),
    markup("vanish-off", para(run("1"), hidden("2", val="0")), 12.0),
    markup("hidden-char-style", para(run("10", '<w:rStyle w:val="Tersembunyi"/>'), run("12")),
           12.0, style=HIDDEN_CHAR_STYLE, lo=True),
    Case("word-hidden-style-based-on", lambda: Docx().real(
        "1", para(run("10", '<w:rStyle w:val="Turunan"/>'), run("12"))
    ).add_style(HIDDEN_CHAR_STYLE).add_style(HIDDEN_CHAR_STYLE_BASED).bytes(), real={"1": 12.0}),
    markup("hidden-paragraph-style", para(run("10"), ppr='<w:pStyle w:val="CatatanTersembunyi"/>')
           + para(run("12")), 12.0, style=HIDDEN_PARA_STYLE),
    # content controls
    markup("content-control", para(sdt_run("77")), 77.0, lo=True),
    markup("content-control-placeholder", para(sdt_run("Klik atau ketuk untuk mengisi.", True)),
           None, error=BELUM, lo=True),
    markup("content-control-paragraph", '<w:sdt><w:sdtPr><w:id w:val="104"/></w:sdtPr>'
           f"<w:sdtContent>{para(run('66'))}</w:sdtContent></w:sdt>", 66.0),
    Case("word-content-control-cell", lambda: wrap_cell_in_sdt(
        Docx().text("1", COL_REAL, "70"), "1", COL_REAL, False).bytes(), real={"1": 70.0}),
    Case("word-content-control-cell-placeholder", lambda: wrap_cell_in_sdt(
        Docx().text("1", COL_REAL, "Isi realisasi"), "1", COL_REAL, True).bytes(),
        error=BELUM, error_row="1"),
    Case("word-content-control-row", lambda: wrap_row_in_sdt(
        Docx().text("2", COL_REAL, "1200"), "2").bytes(), real={"2": 1200.0}, lo=True),
    # fields
    markup("simple-field", para(fld_simple(" =80+5 ", "85")), 85.0, lo=True),
    markup("complex-field", para(fld(" = 40*2 ", "80")), 80.0, lo=True),
    markup("complex-field-formatted", para(fld(' = 85 \\# "0,0" ', "85,0")), 85.0),
    markup("nested-field", para(fld(" IF 1 = 1 ", "88", fld(" = 1 ", "1"))), 88.0),
    markup("field-without-result", para(fld(" =85 ", None)), None, error=BELUM),
    markup("field-then-text", para(fld(" PAGE ", ""), run("64")), 64.0),
    # split tables, notes, totals
    Case("table-split", lambda: split_table(Docx(), "2").bytes(), lo=True),
    Case("table-split-page-break", lambda: split_table(
        Docx(), "3", para('<w:r><w:br w:type="page"/></w:r>')).bytes(), lo=True),
    Case("table-split-header-repeated", lambda: split_table(
        Docx(), "2", para('<w:r><w:br w:type="page"/></w:r>'), header=True).bytes(), lo=True),
    Case("table-split-header-reordered", lambda: split_table(
        Docx(), "2", para(run("Tabel lanjutan dari halaman sebelumnya")), header=True,
        reorder=True).bytes()),
    Case("table-split-lanjutan", lambda: split_table(
        Docx(), "3", para(run("(lanjutan)"))).bytes()),
    Case("table-split-with-text-between", lambda: split_table(
        Docx(), "3", para(run("Tabel 2. Data pendukung lain"))).bytes(),
        error="tidak ada dalam formulir", error_row="3"),
    Case("note-row-merged", lambda: add_row(
        Docx(), ["Keterangan: data TW III masih sementara"], span_first=10).bytes(),
        note="Keterangan: data TW III masih sementara", lo=True),
    Case("note-row-indikator-column", lambda: add_row(
        Docx(), ["", "Catatan: desa Koto Baru belum melapor"] + [""] * 8).bytes(),
        note="Catatan: desa Koto Baru belum melapor"),
    Case("total-row", lambda: add_row(
        Docx(), ["", "JUMLAH", "", "1.379", "1.130", "", "Rp 100.000.000"] + [""] * 3).bytes(),
        lo=True),
    Case("total-row-merged", lambda: add_row(
        Docx(), ["TOTAL", "1.379", "1.130", "", "100.000.000", "", "", ""], span_first=3).bytes()),
    Case("average-row", lambda: add_row(
        Docx(), ["", "Rata-rata", "", "", "", "82,5"] + [""] * 4).bytes()),
    Case("sub-heading-row", lambda: add_row(
        Docx(), ["A", "Program Penyelenggaraan Pemerintahan"] + [""] * 8, after="1").bytes()),
    # layout
    Case("columns-reordered", lambda: move_column(Docx(), COL_REAL, 2).bytes(), lo=True),
    Case("extra-column", lambda: extra_column(Docx(), 5, "Keterangan").bytes(), lo=True),
    Case("header-spacing-case", lambda: header_text(header_text(
        Docx(), COL_REAL, "  REALISASI "), 1, "indikator   KINERJA").bytes()),
    Case("header-with-suffix", lambda: header_text(
        Docx(), COL_REAL, "Realisasi s.d. TW III").bytes()),
    markup("google-docs-empty-paragraphs", "<w:p/>" + para(run("85")) + "<w:p/><w:p/>", 85.0,
           lo=True),
    markup("wps-split-runs", para(run("8"), '<w:proofErr w:type="spellStart"/>',
                                  '<w:bookmarkStart w:id="5" w:name="_x"/>', run("5"),
                                  '<w:bookmarkEnd w:id="5"/>'), 85.0),
    markup("two-values-two-lines", para(run("8")) + para(run("5")), None, error="bukan angka"),
    markup("hyperlink-and-smarttag", para(
        '<w:hyperlink w:anchor="x">' + run("8") + "</w:hyperlink>",
        '<w:smartTag w:uri="u" w:element="e">' + run("5") + "</w:smartTag>"), 85.0),
    markup("tab-and-break", para(run("85"), "<w:r><w:br/></w:r>"), 85.0),
    markup("above-pagu-read-as-is", para(run("80")), 80.0),
    Case("word-anggaran-tracked", lambda: Docx().inner(
        "1", COL_RA, para(dele("Rp 90.000.000"), ins("Rp 95.000.000"))).bytes(),
        anggaran={"1": 95_000_000.0}, lo=True),
    # XLSX through number formats
    Case("xlsx-plain", lambda: xlsx(), kind="xlsx", lo=True),
    Case("xlsx-percent-format", lambda: xlsx(set_cell(1, COL_REAL, 0.9, "0%")),
         real={"1": 90.0}, kind="xlsx", lo=True),
    Case("xlsx-percent-decimals", lambda: xlsx(set_cell(1, COL_REAL, 0.855, "0.00%")),
         real={"1": 85.5}, kind="xlsx", lo=True),
    Case("xlsx-currency-rp", lambda: xlsx(set_cell(1, COL_RA, 1234500, '"Rp"#,##0')),
         anggaran={"1": 1_234_500.0}, kind="xlsx", lo=True),
    Case("xlsx-currency-locale", lambda: xlsx(set_cell(1, COL_RA, 1234500,
                                                       "[$Rp-421]#,##0.00")),
         anggaran={"1": 1_234_500.0}, kind="xlsx", lo=True),
    Case("xlsx-accounting", lambda: xlsx(set_cell(
        1, COL_RA, 1234500, '_("Rp"* #,##0_);_("Rp"* (#,##0);_("Rp"* "-"_);_(@_)')),
        anggaran={"1": 1_234_500.0}, kind="xlsx"),
    Case("xlsx-shown-rounded", lambda: xlsx(set_cell(1, COL_REAL, 85.6, "0")),
         real={"1": 85.6}, warn=("1",), kind="xlsx", lo=True),
    Case("xlsx-percent-shown-rounded", lambda: xlsx(set_cell(1, COL_REAL, 0.856, "0%")),
         real={"1": 85.6}, warn=("1",), kind="xlsx", lo=True),
    Case("xlsx-date-instead-of-number", lambda: xlsx(set_cell(1, COL_REAL, 45942, "dd/mm/yyyy")),
         error="tanggal", error_row="1", kind="xlsx", lo=True),
    Case("xlsx-text-decimal-comma", lambda: xlsx(set_cell(1, COL_REAL, "85,5")),
         real={"1": 85.5}, kind="xlsx", lo=True),
    Case("xlsx-shared-rich-string", lambda: xlsx(set_cell(1, COL_REAL, "85,5"), shared=(1, 5)),
         real={"1": 85.5}, kind="xlsx"),
    Case("xlsx-text-persen", lambda: xlsx(set_cell(1, COL_REAL, "85 persen")),
         real={"1": 85.0}, warn=("1",), kind="xlsx", lo=True),
    Case("xlsx-number-format-text", lambda: xlsx(set_cell(2, COL_REAL, 1234, "@")),
         real={"2": 1234.0}, kind="xlsx"),
    Case("xlsx-thousands-format", lambda: xlsx(set_cell(2, COL_REAL, 1234.5, "#,##0.0")),
         real={"2": 1234.5}, kind="xlsx", lo=True),
    Case("xlsx-total-row", lambda: xlsx(lambda ws, hr: [
        ws.cell(hr + 4, 2, "JUMLAH"), ws.cell(hr + 4, 5, 1130)]), kind="xlsx", lo=True),
    Case("xlsx-empty-realisasi", lambda: xlsx(set_cell(3, COL_REAL, None)),
         error=BELUM, error_row="3", kind="xlsx"),
    # wrong files
    Case("file-photo-jpeg", lambda: JPEG, error="JPEG", kind="wrong"),
    Case("file-photo-png", png_bytes, error="PNG", kind="wrong"),
    Case("file-photo-heic", lambda: HEIC, error="HEIC", kind="wrong"),
    Case("file-password-protected", lambda: OLE + "EncryptedPackage".encode("utf-16-le")
         + bytes(600), error="dikunci kata sandi", kind="wrong"),
]
BY_NAME = {c.name: c for c in CASES}
assert len(BY_NAME) == len(CASES)


# --------------------------------------------------------------------------- judging a result


@dataclass
class Outcome:
    ok: bool
    real: dict[str, float | None]
    anggaran: dict[str, float | None]
    warned: set[str]
    errors: list[str]
    error_rows: set[str]
    notes: list[str]


def outcome(data: bytes, indicators) -> Outcome:
    raw = read_form(data, "formulir")
    res = check_form(raw, CODE, indicators) if raw.code or raw.rows else raw
    return Outcome(
        ok=res.ok,
        real={r.no: r.realisasi for r in res.rows},
        anggaran={r.no: r.realisasi_anggaran for r in res.rows},
        warned={w.row for w in res.warnings if w.row},
        errors=[str(e) for e in res.errors],
        error_rows={e.row for e in res.errors if e.row},
        notes=list(res.notes),
    )


def check(case: Case, got: Outcome) -> None:
    """What this case's person must get."""
    if case.error:
        assert not got.ok, (case.name, got)
        assert any(case.error in e for e in got.errors), (case.name, got.errors)
        if case.error_row:
            assert case.error_row in got.error_rows, (case.name, got.errors)
        return
    assert got.ok, (case.name, got.errors)
    real, anggaran = case.expected()
    assert got.real == real, case.name
    assert got.anggaran == anggaran, case.name
    assert got.warned == set(case.warn), (case.name, got.warned)
    if case.note:
        assert case.note in got.notes, (case.name, got.notes)


def silently_wrong(case: Case, got: Outcome) -> list[str]:
    """Rows taken with a value other than what the person sees, with no word about that row."""
    if not got.ok:
        return []  # refused, with an answer: not silent
    real, anggaran = case.expected()
    if case.error:  # the person sees something that is not one clear number
        real = {**real, case.error_row: object()}
    bad = []
    for no in real:
        if no in got.warned:
            continue
        if got.real.get(no) != real[no] or got.anggaran.get(no) != anggaran.get(no):
            bad.append(no)
    return bad


# --------------------------------------------------------------------------- the table


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_form_as_sent(case, spec):
    check(case, outcome(case.make(), spec.indicators))


# --------------------------------------------------------------------------- LibreOffice


def soffice_or_fail() -> str:
    path = shutil.which("soffice")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice (soffice, Writer and Calc) is required when CI is set")
        pytest.skip("LibreOffice not installed")
    return path


def convert(files: dict[str, bytes], target: str, tmp: Path) -> dict[str, bytes]:
    """All `files` (name -> bytes) converted by ONE soffice call to `target`; name -> bytes."""
    soffice = soffice_or_fail()
    src, out = tmp / f"src-{target}", tmp / f"out-{target}"
    src.mkdir()
    out.mkdir()
    for name, data in files.items():
        (src / name).write_bytes(data)
    profile = Path(tempfile.gettempdir()) / f"pantau-lo-{uuid.uuid4().hex}"
    try:
        proc = subprocess.run(
            [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
             "--convert-to", target, "--outdir", str(out)] + [str(src / n) for n in files],
            capture_output=True, timeout=600,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    got = {}
    for name in files:
        produced = out / (Path(name).stem + "." + target.split(":")[0])
        assert produced.exists(), (name, target, proc.stdout[-500:], proc.stderr[-500:])
        got[name] = produced.read_bytes()
    return got


LO_CASES = [c for c in CASES if c.lo]
_LO: dict[str, bytes] = {}


@pytest.fixture(scope="module")
def libreoffice(tmp_path_factory) -> dict[str, bytes]:
    """Each lo case re-saved by LibreOffice: Writer for DOCX, Calc for XLSX (one call each)."""
    if not _LO:
        tmp = tmp_path_factory.mktemp("lo")
        docx_in = {f"{c.name}.docx": c.make() for c in LO_CASES if c.kind == "docx"}
        xlsx_in = {f"{c.name}.xlsx": c.make() for c in LO_CASES if c.kind == "xlsx"}
        for name, data in {
            **convert(docx_in, "docx", tmp),
            **convert(xlsx_in, "xlsx", tmp),
        }.items():
            _LO[Path(name).stem] = data
        form = {"formulir.docx": real_form("docx")}
        _LO["file-doc"] = convert(form, "doc", tmp)["formulir.docx"]
        _LO["file-odt"] = convert(form, "odt", tmp)["formulir.docx"]
        _LO["file-pdf"] = convert(form, "pdf", tmp)["formulir.docx"]
        sheet = {"formulir.xlsx": real_form("xlsx")}
        _LO["file-ods"] = convert(sheet, "ods", tmp)["formulir.xlsx"]
        _LO["file-xls"] = convert(sheet, "xls", tmp)["formulir.xlsx"]
    return _LO


@pytest.mark.slow
@pytest.mark.parametrize("case", LO_CASES, ids=[f"lo-{c.name}" for c in LO_CASES])
def test_form_resaved_by_libreoffice(case, spec, libreoffice):
    data = libreoffice[case.name]
    assert data[:2] == b"PK"
    check(case.resaved(), outcome(data, spec.indicators))


LO_WRONG = [
    ("file-doc", "Word format lama (.doc)"),
    ("file-odt", "OpenDocument Text (.odt"),
    ("file-ods", "OpenDocument Spreadsheet (.ods"),
    ("file-xls", "Excel format lama (.xls)"),
    ("file-pdf", "PDF"),
]


@pytest.mark.slow
@pytest.mark.parametrize("name,words", LO_WRONG, ids=[n for n, _ in LO_WRONG])
def test_wrong_file_written_by_libreoffice_is_named(name, words, libreoffice, spec):
    got = outcome(libreoffice[name], spec.indicators)
    assert not got.ok and len(got.errors) == 1
    assert words in got.errors[0] and "docx" in got.errors[0].lower(), got.errors


# --------------------------------------------------------------------------- summary


@pytest.mark.slow  # LibreOffice (the `libreoffice` fixture)
def test_summary_no_form_read_silently_wrong(spec, libreoffice, capsys):
    """Every form of the table, as built and as LibreOffice re-saved it: zero silently wrong."""
    counts = {"read right": 0, "read with a warning": 0, "refused with an answer": 0}
    wrong: list[tuple[str, list[str]]] = []
    total = 0
    runs = [(c.name, c, c.make()) for c in CASES]
    runs += [(f"lo-{c.name}", c.resaved(), libreoffice[c.name]) for c in LO_CASES]
    for name, case, data in runs:
        got = outcome(data, spec.indicators)
        total += 1
        bad = silently_wrong(case, got)
        if bad:
            wrong.append((name, bad))
        elif not got.ok:
            counts["refused with an answer"] += 1
        elif got.warned:
            counts["read with a warning"] += 1
        else:
            counts["read right"] += 1
    for name, words in LO_WRONG:
        got = outcome(libreoffice[name], spec.indicators)
        total += 1
        assert not got.ok and words in got.errors[0]
        counts["refused with an answer"] += 1
    with capsys.disabled():
        print(f"\nfilled forms: {total}; " + ", ".join(f"{k}: {v}" for k, v in counts.items())
              + f"; silently wrong: {len(wrong)}")
    assert total >= 100
    assert wrong == []


def test_hidden_styles_are_remembered_by_what_the_styles_say():
    """docxgrid keeps each styles.xml's hidden styles by a digest of its bytes: the same form
    whose style hides "10" and whose style shows it, read in turn, read differently each time."""
    shown_style = HIDDEN_CHAR_STYLE.replace("<w:vanish/>", '<w:vanish w:val="0"/>')
    xml = para(run("10", '<w:rStyle w:val="Tersembunyi"/>'), run("12"))
    hides = Docx().real("1", xml).add_style(HIDDEN_CHAR_STYLE).bytes()
    shows = Docx().real("1", xml).add_style(shown_style).bytes()
    for _ in range(2):
        assert {r.no: r.realisasi for r in read_form(hides).rows}["1"] == 12.0
        assert {r.no: r.realisasi for r in read_form(shows).rows}["1"] == 1012.0


def test_a_members_fingerprint_follows_its_stored_bytes():
    import io
    import zipfile

    from daemon.documents.safezip import Package, ReadLimits

    def package(styles: bytes, method: int = zipfile.ZIP_DEFLATED) -> Package:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", method) as z:
            z.writestr("word/document.xml", b"<w:document/>")
            z.writestr("word/styles.xml", styles)
        return Package(buf.getvalue(), ReadLimits())

    a, b = package(b"<w:styles>satu</w:styles>"), package(b"<w:styles>satu</w:styles>")
    assert a.fingerprint("word/styles.xml") == b.fingerprint("word/styles.xml") is not None
    assert package(b"<w:styles>dua!</w:styles>").fingerprint("word/styles.xml") \
        != a.fingerprint("word/styles.xml")
    stored = package(b"<w:styles>satu</w:styles>", zipfile.ZIP_STORED)
    assert stored.fingerprint("word/styles.xml") != a.fingerprint("word/styles.xml")
    assert a.fingerprint("word/tidak-ada.xml") is None
