"""Tables and text out of DOCX and XLSX parts, straight from the XML (lxml, no python-docx).

A table becomes a grid: a list of rows, each a list of cells (str for DOCX; str or float for
XLSX, whose numeric cells are real numbers), one cell per grid column. A DOCX cell spanning
columns (gridSpan) fills its first column and leaves None in the others; a vertically merged
continuation (vMerge) repeats the text of the cell that starts the merge; `w:gridBefore` is
honoured; rows and cells inside content controls (w:sdt) or custom XML are found. XLSX merged
ranges behave the same. Cell text is every w:t of the cell (deleted text and field codes are not
w:t), paragraphs joined by newlines, w:tab as a space, w:br as a newline.

The *_texts functions yield the texts in which a form code may hide: body, headers and footers,
then the document properties.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from lxml import etree

from .safezip import Package

W_MAIN = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
MAX_SPAN = 64
MAX_COLS = 200
MAX_ROWS = 20000
XLSX_MAX_ROWS, XLSX_MAX_COLS = 10000, 100  # the dense grid stays under ~8 MB


def _ns(root: etree._Element) -> str:
    tag = root.tag
    return tag[: tag.index("}") + 1] if tag.startswith("{") else ""


def _rels(pkg: Package, rels_name: str) -> dict[str, str]:
    """Relationship id -> target path (resolved against the part's folder)."""
    root = pkg.xml(rels_name)
    if root is None:
        return {}
    base = posixpath.dirname(posixpath.dirname(rels_name))  # "word/_rels/x.rels" -> "word"
    out = {}
    for rel in root:
        target = rel.get("Target") or ""
        if rel.get("TargetMode") == "External" or not target:
            continue
        path = (
            target.lstrip("/")
            if target.startswith("/")
            else posixpath.normpath(posixpath.join(base, target))
        )
        out[rel.get("Id") or ""] = path
        out["type:" + (rel.get("Type") or "")] = path
    return out


def _main_part(pkg: Package, default: str) -> str:
    rels = _rels(pkg, "_rels/.rels")
    for key, path in rels.items():
        if key.startswith("type:") and key.endswith("/officeDocument"):
            return path
    return default


# --------------------------------------------------------------------------- DOCX


def _children(el: etree._Element, tag: str, w: str) -> list[etree._Element]:
    """Direct children with `tag`, looking through content-control and custom-XML wrappers."""
    wrappers = (w + "sdt", w + "customXml")
    if not any(child.tag in wrappers for child in el):  # the usual case, fast
        return [child for child in el if child.tag == tag]
    out = []
    for child in el:
        if child.tag == tag:
            out.append(child)
        elif child.tag in (w + "sdt", w + "customXml", w + "sdtContent"):
            inner = child.find(w + "sdtContent") if child.tag == w + "sdt" else child
            if inner is not None:
                out.extend(_children(inner, tag, w))
    return out


def _text_of(el: etree._Element, w: str) -> str:
    """Text of the paragraphs under `el`: w:t joined, w:tab a space, w:br/w:cr and paragraph
    ends newlines. One pass over the tree (this is the hot loop of read_form)."""
    p_tag, t_tag, r_tag = w + "p", w + "t", w + "r"
    parts: list[str] = []
    first = True
    for node in el.iter(p_tag, t_tag, w + "tab", w + "br", w + "cr"):
        tag = node.tag
        if tag == t_tag:
            parts.append(node.text or "")
        elif tag == p_tag:
            if not first:
                parts.append("\n")
            first = False
        elif node.getparent().tag == r_tag:  # not a tab stop definition in w:tabs
            parts.append(" " if tag == w + "tab" else "\n")
    return "".join(parts)


def _int(value: str | None, default: int) -> int:
    try:
        return max(0, min(int(value or default), MAX_SPAN))
    except ValueError:
        return default


def _first_child(el: etree._Element, tag: str) -> etree._Element | None:
    """el.find(tag) for direct children, without ElementPath's per-call parsing cost."""
    for child in el:
        if child.tag == tag:
            return child
    return None


def _table_grid(tbl: etree._Element, w: str) -> list[list[str | None]]:
    grid: list[list[str | None]] = []
    merged: dict[int, str] = {}  # grid column -> text of the vMerge cell that started there
    val = w + "val"
    trpr_tag, tcpr_tag, gs_tag, vm_tag = w + "trPr", w + "tcPr", w + "gridSpan", w + "vMerge"
    for tr in _children(tbl, w + "tr", w):
        row: list[str | None] = []
        trpr = _first_child(tr, trpr_tag)
        if trpr is not None:
            gb = _first_child(trpr, w + "gridBefore")
            if gb is not None:
                row.extend([None] * _int(gb.get(val), 0))
        for tc in _children(tr, w + "tc", w):
            col = len(row)
            if col >= MAX_COLS:
                break
            span, vmerge = 1, None
            tcpr = _first_child(tc, tcpr_tag)
            if tcpr is not None:
                for prop in tcpr:
                    if prop.tag == gs_tag:
                        span = max(1, _int(prop.get(val), 1))
                    elif prop.tag == vm_tag:
                        vmerge = prop.get(val) or "continue"
            if vmerge == "continue":
                text = merged.get(col, "")
            else:
                text = _text_of(tc, w)
                if vmerge == "restart":
                    merged[col] = text
                else:
                    merged.pop(col, None)
            row.append(text)
            row.extend([None] * (span - 1))
        grid.append(row)
        if len(grid) >= MAX_ROWS:
            break
    return grid


def _docx_root(pkg: Package) -> etree._Element | None:
    return pkg.xml(_main_part(pkg, "word/document.xml"))


def docx_tables(pkg: Package) -> list[list[list[str | None]]]:
    """Grids of the tables that mention "realisasi" (others cannot be the form's table)."""
    root = _docx_root(pkg)
    if root is None:
        return []
    w = _ns(root) or "{" + W_MAIN + "}"
    return [
        _table_grid(tbl, w)
        for tbl in root.iter(w + "tbl")
        if "realisasi" in "".join(tbl.itertext(w + "t")).casefold()
    ]


def _body_text(root: etree._Element) -> str:
    w = _ns(root) or "{" + W_MAIN + "}"
    return "\n".join("".join(p.itertext(w + "t")) for p in root.iter(w + "p"))


def docx_texts(pkg: Package) -> Iterator[str]:
    root = _docx_root(pkg)
    if root is not None:
        yield _body_text(root)
    for name in sorted(pkg.names()):
        if re.fullmatch(r"word/(header|footer)\d*\.xml", name):
            part = pkg.xml(name)
            if part is not None:
                yield _body_text(part)
    yield from _property_texts(pkg)


def _property_texts(pkg: Package) -> Iterator[str]:
    for name in ("docProps/core.xml", "docProps/custom.xml", "docProps/app.xml"):
        part = pkg.xml(name)
        if part is not None:
            yield "\n".join(part.itertext())


# --------------------------------------------------------------------------- XLSX

_CELL_REF = re.compile(r"^([A-Z]{1,3})(\d+)$")


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def _shared_strings(pkg: Package, path: str | None) -> list[str]:
    root = pkg.xml(path or "xl/sharedStrings.xml")
    if root is None:
        return []
    s = _ns(root)
    out = []
    for si in root.iter(s + "si"):
        parts = []
        for child in si:
            if child.tag == s + "t":
                parts.append(child.text or "")
            elif child.tag == s + "r":
                t = child.find(s + "t")
                if t is not None:
                    parts.append(t.text or "")
        out.append("".join(parts))
    return out


def _workbook(pkg: Package) -> tuple[list[str], list[str]]:
    """(sheet part paths in workbook order, shared strings)."""
    wb_path = _main_part(pkg, "xl/workbook.xml")
    root = pkg.xml(wb_path)
    rels = _rels(
        pkg,
        posixpath.join(posixpath.dirname(wb_path), "_rels", posixpath.basename(wb_path) + ".rels"),
    )
    sheets = []
    if root is not None:
        for sheet in root.iter(_ns(root) + "sheet"):
            rid = next((v for k, v in sheet.attrib.items() if k.endswith("}id")), None)
            if rid in rels:
                sheets.append(rels[rid])
    if not sheets:
        sheets = sorted(n for n in pkg.names() if re.fullmatch(r"xl/worksheets/[^/]+\.xml", n))
    shared = next((v for k, v in rels.items() if k.endswith("/sharedStrings")), None)
    return sheets, _shared_strings(pkg, shared)


def _sheet_grid(root: etree._Element, shared: list[str]) -> list[list[str | float | None]]:
    s = _ns(root)
    cells: dict[tuple[int, int], str | float] = {}
    n_rows = n_cols = 0
    next_row = 0
    for row in root.iter(s + "row"):
        r = _int_attr(row.get("r"), next_row + 1) - 1
        next_row = r + 1
        if r < 0:
            continue
        if r >= XLSX_MAX_ROWS:
            break
        next_col = 0
        for c in row.iter(s + "c"):
            m = _CELL_REF.match(c.get("r") or "")
            col = _col_index(m.group(1)) if m else next_col
            next_col = col + 1
            if col >= XLSX_MAX_COLS or col < 0:
                continue
            value = _cell_value(c, s, shared)
            if value is not None:
                cells[(r, col)] = value
                n_rows, n_cols = max(n_rows, r + 1), max(n_cols, col + 1)
    budget = 100_000  # cells a merged range may fill (hostile files list huge ranges)
    for mc in root.iter(s + "mergeCell"):
        ref = (mc.get("ref") or "").split(":")
        if len(ref) != 2:
            continue
        a, b = _CELL_REF.match(ref[0]), _CELL_REF.match(ref[1])
        if not a or not b:
            continue
        r1, r2 = int(a.group(2)) - 1, min(int(b.group(2)) - 1, n_rows - 1)
        c1 = _col_index(a.group(1))
        if (r1, c1) in cells and 0 < r2 - r1 <= budget:
            budget -= r2 - r1
            for r in range(r1 + 1, r2 + 1):
                cells[(r, c1)] = cells[(r1, c1)]
    grid: list[list[str | float | None]] = [[None] * n_cols for _ in range(n_rows)]
    for (r, col), value in cells.items():
        grid[r][col] = value
    return grid


def _int_attr(value: str | None, default: int) -> int:
    try:
        return int(value) if value else default
    except ValueError:
        return default


def _cell_value(c: etree._Element, s: str, shared: list[str]) -> str | float | None:
    t = c.get("t")
    v = c.find(s + "v")
    text = v.text if v is not None else None
    if t == "s":
        try:
            return shared[int(text or "")]
        except (ValueError, IndexError):
            return None
    if t == "inlineStr":
        is_ = c.find(s + "is")
        return "".join(is_.itertext(s + "t")) if is_ is not None else None
    if t in ("str", "e", "d"):
        return text
    if t == "b":
        return "TRUE" if text == "1" else "FALSE"
    if text is None or text == "":
        return None
    try:
        return float(text)
    except ValueError:
        return text


def xlsx_sheets(pkg: Package) -> Iterator[list[list[str | float | None]]]:
    sheets, shared = _workbook(pkg)
    for path in sheets:
        root = pkg.xml(path)
        if root is not None:
            yield _sheet_grid(root, shared)


def xlsx_texts(pkg: Package) -> Iterator[str]:
    _, shared = _workbook(pkg)
    yield "\n".join(shared)
    for grid in xlsx_sheets(pkg):
        yield "\n".join(c for row in grid for c in row if isinstance(c, str))
    yield from _property_texts(pkg)
