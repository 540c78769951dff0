"""Small python-docx builders for editing a document Pantau did not necessarily write.

The final report (final.py, pengesahan.py) is made from the approved draft, which a person may
have edited and uploaded, so these builders use only direct formatting (no named styles, which
an uploaded document may lack) and work on the XML where python-docx has no API: table borders
and fixed widths, a PAGE field, page and section breaks, headers and footers, moving elements.
"""

from __future__ import annotations

import copy

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def add_borders(table) -> None:
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


def para(
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


def fill_cell(cell, text: str, *, bold=False, size=9, align=None):
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


def page_break(doc):
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


def has_page_field(element) -> bool:
    for node in element.iter(f"{W}instrText", f"{W}fldSimple"):
        text = node.text or node.get(f"{W}instr") or ""
        if "PAGE" in text.upper():
            return True
    return False


def set_paragraph_text(p, text: str) -> None:
    """Replace the visible text of `p`, keeping its first text run's formatting and any field."""
    runs = [
        r
        for r in p.runs
        if r._r.find(f"{W}fldChar") is None and r._r.find(f"{W}instrText") is None
    ]
    if not runs:
        p.add_run(text)
        return
    runs[0].text = text
    for r in runs[1:]:
        r.text = ""


def header_footer_parts(doc):
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


def paragraphs_of(container):
    yield from container.paragraphs
    for t in container.tables:
        for row in t.rows:
            for cell in row.cells:
                yield from cell.paragraphs


def portrait_section_break(doc):
    """A paragraph that ends a portrait A4 section (for the cover Pantau puts before a document
    it could not mark), with no header/footer of its own."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    src = doc.sections[0]._sectPr
    sect = copy.deepcopy(src)
    for child in list(sect):
        if child.tag in (f"{W}headerReference", f"{W}footerReference", f"{W}titlePg"):
            sect.remove(child)
    pgsz = sect.find(f"{W}pgSz")
    if pgsz is None:
        pgsz = OxmlElement("w:pgSz")
        sect.insert(0, pgsz)
    pgsz.set(qn("w:w"), "11906")
    pgsz.set(qn("w:h"), "16838")
    if pgsz.get(qn("w:orient")) is not None:
        del pgsz.attrib[qn("w:orient")]
    pgmar = sect.find(f"{W}pgMar")
    if pgmar is None:
        pgmar = OxmlElement("w:pgMar")
        sect.append(pgmar)
    for k, v in (("top", 1134), ("bottom", 1134), ("left", 1701), ("right", 1134)):
        pgmar.set(qn(f"w:{k}"), str(v))
    type_el = sect.find(f"{W}type")
    if type_el is not None:
        sect.remove(type_el)
    p = doc.add_paragraph()
    p._p.get_or_add_pPr().append(sect)
    return p


def page_break_before(p_el) -> None:
    from docx.oxml import OxmlElement

    ppr = p_el.get_or_add_pPr()
    if ppr.find(f"{W}pageBreakBefore") is None:
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


def move_after(anchor, elements) -> None:
    for el in elements:
        anchor.addnext(el)
        anchor = el
