"""The final report (S11): the approved version made final, with its LEMBAR PENGESAHAN.

`render_final` never regenerates the report: the approved version may be a DOCX a person edited
and uploaded, so it opens that file with python-docx and

- replaces the markers Pantau placed itself in the draft (the cover's "Konsep versi N" line and
  the footer's "konsep versi N (PK-...)") by the final's register number, so no "konsep" remains
  on the cover or in headers and footers (SPEC §6.5);
- puts the LEMBAR PENGESAHAN right after the cover (after the first page break that follows the
  cover marker), before the body: register number, place and date, the signing block (jabatan,
  nama, pangkat, NIP), the record of the approvals given by e-mail (step, version, person, time,
  a short reference to the archived reply: never a Message-ID or a token), the statement that
  this record is evidence and not a certified electronic signature (PP 71/2019), and the
  verification code after the words "Kode verifikasi:" with its QR;
- when it cannot find its cover marker (a document someone wrote from scratch), puts its own
  cover and lembar pengesahan, in their own portrait section, before the document;
- makes sure the pages are numbered (a PAGE field in the footer).

The verification code is computed by the caller (daemon.core.verification.verification_code over the
approved file's sha256), so it can be printed here without hashing the result itself. Only
direct formatting is used (no named styles), because an uploaded document may lack them.
"""

from __future__ import annotations

import copy
import hashlib
import io
import os
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from daemon.core import formatting
from daemon.documents.contexts import FinalReport
from daemon.documents.render import atomic_write

STATEMENT = (
    "Persetujuan di atas diberikan dengan membalas surat elektronik (surel) dan dicatat oleh "
    "sistem Pantau sebagai bukti persetujuan. Catatan ini bukan tanda tangan elektronik "
    "tersertifikasi sebagaimana dimaksud dalam Peraturan Pemerintah Nomor 71 Tahun 2019 tentang "
    "Penyelenggaraan Sistem dan Transaksi Elektronik. Laporan yang ditandatangani secara "
    "elektronik melalui aplikasi resmi (misalnya SRIKANDI dengan sertifikat BSrE) dapat "
    "diarsipkan sebagai laporan final."
)

# The markers Pantau writes into its drafts (tools/make_templates.py, laporan.docx).
COVER_MARKER = re.compile(r"^\s*Konsep\s+versi\s+\d+\s*$", re.IGNORECASE)
DRAFT_WORDS = re.compile(r"\s*[\u2013-]?\s*konsep\s+versi\s+\d+(\s*\([^)]*\))?", re.IGNORECASE)

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def qr_payload(code: str, web_url: str = "") -> str:
    """What the QR encodes: `<web.url>/verifikasi/<code>` when the office has a public address,
    the code itself otherwise (SPEC §6.5)."""
    return f"{web_url.rstrip('/')}/verifikasi/{code}" if web_url else code


def qr_png(payload: str) -> bytes:
    import segno

    buf = io.BytesIO()
    segno.make(payload, error="m").save(buf, kind="png", scale=6, border=2)
    return buf.getvalue()


# --------------------------------------------------------------------------- small builders


def _borders(table) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tblpr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "single")
        el.set(qn("w:sz"), "4")
        el.set(qn("w:space"), "0")
        el.set(qn("w:color"), "000000")
        borders.append(el)
    tblpr.append(borders)


def _para(
    container,
    text: str = "",
    *,
    bold=False,
    underline=False,
    size=None,
    align=None,
    indent=None,
    after=0,
    keep_next=False,
):
    from docx.shared import Pt

    p = container.add_paragraph()
    if align is not None:
        p.alignment = align
    if indent is not None:
        p.paragraph_format.left_indent = indent
    p.paragraph_format.space_after = Pt(after)
    p.paragraph_format.space_before = Pt(0)
    if keep_next:
        p.paragraph_format.keep_with_next = True
    if text:
        r = p.add_run(text)
        r.bold = bold or None
        r.underline = underline or None
        r.font.size = Pt(size or 12)
    return p


def _cell(cell, text: str, *, bold=False, size=9, align=None):
    from docx.shared import Pt

    lines = text.split("\n")
    p = cell.paragraphs[0]
    for i, line in enumerate(lines):
        if i:
            p = cell.add_paragraph()
        if align is not None:
            p.alignment = align
        r = p.add_run(line)
        r.bold = (bold and i == 0) or None
        r.font.size = Pt(size)


def _page_break(doc):
    from docx.enum.text import WD_BREAK

    p = doc.add_paragraph()
    p.add_run().add_break(WD_BREAK.PAGE)
    return p


def page_field(paragraph) -> None:
    """Append a PAGE field (the page number) to `paragraph`."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def run_with(child):
        r = OxmlElement("w:r")
        r.append(child)
        paragraph._p.append(r)

    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    run_with(begin)
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = " PAGE "
    run_with(instr)
    sep = OxmlElement("w:fldChar")
    sep.set(qn("w:fldCharType"), "separate")
    run_with(sep)
    t = OxmlElement("w:t")
    t.text = "1"
    run_with(t)
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run_with(end)


def _has_page_field(element) -> bool:
    for node in element.iter(f"{_W}instrText", f"{_W}fldSimple"):
        text = node.text or node.get(f"{_W}instr") or ""
        if "PAGE" in text.upper():
            return True
    return False


def _set_paragraph_text(p, text: str) -> None:
    """Replace the visible text of `p`, keeping its first text run's formatting and any field."""
    runs = [
        r
        for r in p.runs
        if r._r.find(f"{_W}fldChar") is None and r._r.find(f"{_W}instrText") is None
    ]
    if not runs:
        p.add_run(text)
        return
    runs[0].text = text
    for r in runs[1:]:
        r.text = ""


def _header_footer_parts(doc):
    """Every header and footer defined in the document (each once)."""
    seen, out = set(), []
    for sec in doc.sections:
        for hf in (
            sec.header,
            sec.footer,
            sec.first_page_header,
            sec.first_page_footer,
            sec.even_page_header,
            sec.even_page_footer,
        ):
            if hf.is_linked_to_previous:
                continue
            key = id(hf.part) if hasattr(hf, "part") else id(hf)
            if key in seen:
                continue
            seen.add(key)
            out.append(hf)
    return out


def _paragraphs_of(container):
    yield from container.paragraphs
    for t in container.tables:
        for row in t.rows:
            for cell in row.cells:
                yield from cell.paragraphs


def _replace_draft_markers(doc, footer_text: str) -> int:
    """Rewrite headers/footers that call the document a draft; returns how many changed."""
    changed = 0
    for hf in _header_footer_parts(doc):
        for p in _paragraphs_of(hf):
            if re.search(r"konsep", p.text, re.IGNORECASE):
                _set_paragraph_text(p, footer_text)
                changed += 1
    return changed


def _ensure_page_numbers(doc) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    parts = _header_footer_parts(doc)
    if any(_has_page_field(hf._element) for hf in parts):
        return
    footer = doc.sections[0].footer
    p = footer.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.space_before = Pt(0)
    page_field(p)
    for r in p._p.iter(f"{_W}r"):
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn

        rpr = OxmlElement("w:rPr")
        sz = OxmlElement("w:sz")
        sz.set(qn("w:val"), "18")
        rpr.append(sz)
        r.insert(0, rpr)


def _find_cover_marker(doc):
    """The cover's "Konsep versi N" paragraph, looked for before the first "BAB"."""
    for i, p in enumerate(doc.paragraphs):
        if i > 80 or p.text.strip().upper().startswith("BAB "):
            return None
        if COVER_MARKER.match(p.text):
            return p
    return None


def _cover_end(marker_p):
    """The body element after which the cover ends: the paragraph holding the first page break
    (or section break) at or after the marker; None when there is none."""
    el = marker_p._p
    while el is not None:
        if el.tag == f"{_W}p":
            for br in el.iter(f"{_W}br"):
                if br.get(f"{_W}type") == "page":
                    return el
            if el.find(f"{_W}pPr/{_W}sectPr") is not None:
                return el
        nxt = el.getnext()
        if nxt is not None and nxt.tag == f"{_W}p":
            ppr = nxt.find(f"{_W}pPr/{_W}pageBreakBefore")
            if ppr is not None and ppr.get(f"{_W}val") not in ("0", "false"):
                return el
        if el.tag == f"{_W}sectPr":
            return None
        el = nxt
    return None


def _portrait_section_break(doc):
    """A paragraph that ends a portrait A4 section (for the cover Pantau puts before a document
    it could not mark), with no header/footer of its own."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    src = doc.sections[0]._sectPr
    sect = copy.deepcopy(src)
    for child in list(sect):
        if child.tag in (f"{_W}headerReference", f"{_W}footerReference", f"{_W}titlePg"):
            sect.remove(child)
    pgsz = sect.find(f"{_W}pgSz")
    if pgsz is None:
        pgsz = OxmlElement("w:pgSz")
        sect.insert(0, pgsz)
    pgsz.set(qn("w:w"), "11906")
    pgsz.set(qn("w:h"), "16838")
    if pgsz.get(qn("w:orient")) is not None:
        del pgsz.attrib[qn("w:orient")]
    pgmar = sect.find(f"{_W}pgMar")
    if pgmar is None:
        pgmar = OxmlElement("w:pgMar")
        sect.append(pgmar)
    for k, v in (("top", 1134), ("bottom", 1134), ("left", 1701), ("right", 1134)):
        pgmar.set(qn(f"w:{k}"), str(v))
    type_el = sect.find(f"{_W}type")
    if type_el is not None:
        sect.remove(type_el)
    p = doc.add_paragraph()
    p._p.get_or_add_pPr().append(sect)
    return p


# --------------------------------------------------------------------------- the document parts


def _own_cover(doc, final: FinalReport) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    center = WD_ALIGN_PARAGRAPH.CENTER
    for _ in range(5):
        _para(doc, "")
    _para(doc, "LAPORAN PEMANTAUAN KINERJA", bold=True, size=18, align=center)
    _para(doc, final.period.label.upper(), bold=True, size=14, align=center, after=36)
    _para(doc, final.kantor.nama.upper(), bold=True, size=14, align=center)
    _para(doc, final.kantor.kabupaten.upper(), bold=True, size=14, align=center, after=36)
    _para(doc, f"Nomor: {final.nomor}", align=center)
    _para(doc, formatting.tanggal(final.tanggal), align=center)
    _page_break(doc)


def _lembar_pengesahan(doc, final: FinalReport, code: str, payload: str, source_sha: str, width_cm):
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    center, justify = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.JUSTIFY
    sign_indent = Cm(max(0.0, width_cm - 7.5))
    period = final.period.label
    _para(doc, "LEMBAR PENGESAHAN", bold=True, size=14, align=center, after=6, keep_next=True)
    _para(doc, "LAPORAN PEMANTAUAN KINERJA", bold=True, align=center, keep_next=True)
    _para(doc, period.upper(), bold=True, align=center, keep_next=True)
    _para(doc, final.kantor.nama.upper(), bold=True, align=center, after=10, keep_next=True)
    _para(doc, f"Nomor: {final.nomor}", align=center, keep_next=True)
    _para(
        doc,
        f"Laporan ini disahkan dari versi {final.source_version} yang disetujui.",
        size=10,
        align=center,
        after=14,
    )
    _para(doc, formatting.tempat_tanggal(final.kantor.kota, final.tanggal), indent=sign_indent)
    signer = final.penandatangan
    _para(doc, f"{signer.jabatan},", indent=sign_indent)
    for _ in range(3):
        _para(doc, "", indent=sign_indent)
    _para(doc, signer.nama, bold=True, underline=True, indent=sign_indent)
    if signer.pangkat:
        _para(doc, signer.pangkat, indent=sign_indent)
    if signer.nip:
        _para(doc, f"NIP. {signer.nip}", indent=sign_indent)
    _para(doc, "", after=8)

    _para(doc, "Catatan Persetujuan melalui Surat Elektronik", bold=True, after=4, keep_next=True)
    headers = ["No", "Langkah", "Versi", "Nama dan Jabatan", "Waktu", "Rujukan Arsip"]
    widths = [0.9, 3.2, 1.5, 4.4, 3.0, 3.0]
    scale = min(1.0, width_cm / sum(widths))
    widths = [w * scale for w in widths]
    table = doc.add_table(rows=1, cols=len(headers))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _borders(table)
    for cell, text, w in zip(table.rows[0].cells, headers, widths, strict=True):
        cell.width = Cm(w)
        _cell(cell, text, bold=True, align=center)
    zone = ZoneInfo(final.kantor.zona_waktu)
    for i, a in enumerate(final.approvals, 1):
        when = datetime.fromisoformat(a.waktu) if isinstance(a.waktu, str) else a.waktu
        when = when.astimezone(zone) if when.tzinfo else when
        values = [
            str(i),
            a.langkah or "-",
            str(a.versi) if a.versi else "-",
            f"{a.nama}\n{a.jabatan}",
            f"{formatting.tanggal(when)}\n{formatting.waktu(when)}"
            + ("\n(dengan kode tanda tangan)" if a.kode_ttd else ""),
            a.rujukan or "-",
        ]
        for col, (cell, text, w) in enumerate(
            zip(table.add_row().cells, values, widths, strict=True)
        ):
            cell.width = Cm(w)
            _cell(cell, text, size=8.5, align=center if col in (0, 2) else None)
    if not final.approvals:
        row = table.add_row().cells
        _cell(row[0], "-")
        _cell(row[3], "tidak ada persetujuan melalui surel yang tercatat")
    fix_widths(table, widths)
    _para(doc, "", after=4)
    _para(doc, STATEMENT, size=9, align=justify, after=8)

    qr = doc.add_table(rows=1, cols=2)
    qr.autofit = False
    left, right = qr.rows[0].cells
    left.width, right.width = Cm(3.6), Cm(max(4.0, width_cm - 3.6))
    left.paragraphs[0].add_run().add_picture(io.BytesIO(qr_png(payload)), width=Cm(3.2))
    _cell(right, f"Kode verifikasi: {code}", bold=True, size=10)
    lines = [
        "Kode ini diturunkan dari nomor surat dan sidik SHA-256 berkas laporan versi "
        f"{final.source_version} yang disetujui:",
        source_sha,
    ]
    if payload != code:
        lines.append(f"Periksa keasliannya di {payload}")
    for line in lines:
        _para(right, line, size=8)
    fix_widths(qr, [3.6, max(4.0, width_cm - 3.6)])


def _page_break_before(p_el) -> None:
    from docx.oxml import OxmlElement

    ppr = p_el.get_or_add_pPr()
    if ppr.find(f"{_W}pageBreakBefore") is None:
        ppr.insert(0, OxmlElement("w:pageBreakBefore"))


def fix_widths(table, widths_cm: list[float]) -> None:
    """Give a table fixed column widths (grid, cells, layout), so every renderer agrees."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm

    tbl = table._tbl
    grid = tbl.tblGrid
    for gc, w in zip(grid.findall(qn("w:gridCol")), widths_cm, strict=False):
        gc.set(qn("w:w"), str(int(w * 567)))
    tblpr = tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tblpr.append(layout)
    tblw = tblpr.find(qn("w:tblW"))
    if tblw is None:
        tblw = OxmlElement("w:tblW")
        tblpr.append(tblw)
    tblw.set(qn("w:type"), "dxa")
    tblw.set(qn("w:w"), str(int(sum(widths_cm) * 567)))
    for row in table.rows:
        for cell, w in zip(row.cells, widths_cm, strict=False):
            cell.width = Cm(w)


def _move_after(anchor, elements) -> None:
    for el in elements:
        anchor.addnext(el)
        anchor = el


def render_final(
    final: FinalReport,
    source_docx: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    web_url: str = "",
) -> str:
    """Make the approved `source_docx` final (see the module docstring), write `out_path`, and
    return its sha256 hex. The source file itself is not changed. `final.kode_verifikasi` is
    printed after "Kode verifikasi:"; the QR holds `qr_payload(code, web_url)`."""
    from docx import Document
    from docx.enum.section import WD_ORIENT

    data = Path(source_docx).read_bytes()
    source_sha = hashlib.sha256(data).hexdigest()
    code = final.kode_verifikasi or source_sha[:12].upper()
    payload = qr_payload(code, web_url)
    doc = Document(io.BytesIO(data))
    body = doc.element.body

    marker = _find_cover_marker(doc)
    footer_text = f"Laporan Pemantauan Kinerja {final.period.label} \u2013 Nomor {final.nomor}"
    _replace_draft_markers(doc, footer_text)
    _ensure_page_numbers(doc)

    first = doc.sections[0]
    portrait = first.orientation != WD_ORIENT.LANDSCAPE
    width_emu = (
        int(first.page_width or 0) - int(first.left_margin or 0) - int(first.right_margin or 0)
    )
    width_cm = width_emu / 360000 if portrait and width_emu > 0 else 16.0

    # everything added from here on sits before the body's final sectPr (when there is one)
    has_sect = len(body) and body[-1].tag == f"{_W}sectPr"
    start = len(body) - 1 if has_sect else len(body)

    def added_elements() -> list:
        return list(body)[start:-1] if has_sect else list(body)[start:]

    if marker is not None:
        _set_paragraph_text(marker, f"Nomor: {final.nomor}")
        anchor = _cover_end(marker)
        if anchor is None:
            anchor = marker._p
            _page_break(doc)
        following = anchor.getnext()
        _lembar_pengesahan(doc, final, code, payload, source_sha, width_cm)
        if following is None or following.tag != f"{_W}p":
            _page_break(doc)
        added = added_elements()
        _move_after(anchor, added)
        if following is not None and following.tag == f"{_W}p":
            _page_break_before(following)
    else:
        _own_cover(doc, final)
        _lembar_pengesahan(doc, final, code, payload, source_sha, 16.0)
        _portrait_section_break(doc)
        added = added_elements()
        first_el = body[0]
        for el in added:
            first_el.addprevious(el)

    core = doc.core_properties
    core.subject = f"{final.cycle_code} laporan final {final.nomor}"
    core.keywords = f"Pantau; {final.cycle_code}; final; verifikasi {code}"
    if core.title and "konsep" in core.title.lower():
        core.title = f"Laporan Pemantauan Kinerja {final.period.label}"
    buf = io.BytesIO()
    doc.save(buf)
    return atomic_write(out_path, buf.getvalue())
