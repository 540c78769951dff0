"""An XLSX's sheets and texts, straight from the XML (lxml, no openpyxl).

A sheet becomes a dense grid: a list of rows, each a list of cells (str, float or None), at most
XLSX_MAX_ROWS x XLSX_MAX_COLS. Numeric cells are read through their number format
(numformat.py); merged ranges repeat their text downwards (a number merged down reads as
MERGED_NUMBER in the rows below); hidden columns are left out, since nobody sees them.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from lxml import etree

from daemon.documents.numformat import marked, number_formats, percent_shown, seen_date, shown_as
from daemon.documents.ooxml import (
    MERGED_NUMBER,
    int_attr,
    main_part,
    namespace,
    property_texts,
    relationships,
)
from daemon.documents.safezip import Package

XLSX_MAX_ROWS, XLSX_MAX_COLS = 10000, 100  # the dense grid stays under ~8 MB


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
    s = namespace(root)
    return [_rich_text(si, s) for si in root.iter(s + "si")]


def _rich_text(si: etree._Element, s: str) -> str:
    """A string item's text: its t, or its runs' t (phonetic runs rPh are not shown)."""
    parts = []
    for child in si:
        if child.tag == s + "t":
            parts.append(child.text or "")
        elif child.tag == s + "r":
            t = child.find(s + "t")
            if t is not None:
                parts.append(t.text or "")
    return "".join(parts)


def _workbook(pkg: Package) -> tuple[list[str], list[str]]:
    """(sheet part paths in workbook order, shared strings)."""
    wb_path = main_part(pkg, "xl/workbook.xml")
    root = pkg.xml(wb_path)
    rels = relationships(
        pkg,
        posixpath.join(posixpath.dirname(wb_path), "_rels", posixpath.basename(wb_path) + ".rels"),
    )
    sheets = []
    if root is not None:
        for sheet in root.iter(namespace(root) + "sheet"):
            rid = next((v for k, v in sheet.attrib.items() if k.endswith("}id")), None)
            if rid in rels:
                sheets.append(rels[rid])
    if not sheets:
        sheets = sorted(n for n in pkg.names() if re.fullmatch(r"xl/worksheets/[^/]+\.xml", n))
    shared = next((v for k, v in rels.items() if k.endswith("/sharedStrings")), None)
    return sheets, _shared_strings(pkg, shared)


def _sheet_grid(
    root: etree._Element,
    shared: list[str],
    kinds: list[tuple[str, int | None, str]] | None = None,
    date1904: bool = False,
) -> list[list[str | float | None]]:
    s = namespace(root)
    kinds = kinds or []
    cells: dict[tuple[int, int], str | float] = {}
    hidden_cols: set[int] = set()
    for col_el in root.iter(s + "col"):
        if (col_el.get("hidden") or "").lower() in ("1", "true") or (
                col_el.get("width") not in (None, "") and _float(col_el.get("width")) == 0):
            lo, hi = int_attr(col_el.get("min"), 1), int_attr(col_el.get("max"), 0)
            hidden_cols.update(range(max(lo, 1) - 1, min(hi, XLSX_MAX_COLS)))
    n_rows = n_cols = 0
    next_row = 0
    for row in root.iter(s + "row"):
        r = int_attr(row.get("r"), next_row + 1) - 1
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
            style = int_attr(c.get("s"), 0)
            if isinstance(value, float) and 0 <= style < len(kinds):
                kind, decimals, code = kinds[style]
                if kind == "pct":  # "90%" is stored 0.9: the person sees 90
                    value = shown_as(percent_shown(c.find(s + "v").text or "", value), decimals)
                elif kind == "date":
                    value = seen_date(value, date1904)
                else:
                    value = shown_as(value, decimals)
                if kind != "date":
                    value = marked(value, kind, code)
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
            top = cells[(r1, c1)]
            for r in range(r1 + 1, r2 + 1):
                # a text (a sasaran, a program) merged down is every row's; a number merged
                # down is one row's figure, never silently also the next indicator's
                cells[(r, c1)] = top if isinstance(top, str) else MERGED_NUMBER
    for r, col in [k for k in cells if k[1] in hidden_cols]:
        del cells[(r, col)]  # a hidden column: nobody sees what is in it
    grid: list[list[str | float | None]] = [[None] * n_cols for _ in range(n_rows)]
    for (r, col), value in cells.items():
        grid[r][col] = value
    return grid


def _float(value: str | None) -> float | None:
    try:
        return float(value or "")
    except ValueError:
        return None


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
        return _rich_text(is_, s) if is_ is not None else None
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


def _date1904(pkg: Package) -> bool:
    root = pkg.xml(main_part(pkg, "xl/workbook.xml"))
    if root is None:
        return False
    pr = root.find(namespace(root) + "workbookPr")
    return pr is not None and (pr.get("date1904") or "").lower() in ("1", "true")


def xlsx_sheets(pkg: Package) -> Iterator[list[list[str | float | None]]]:
    sheets, shared = _workbook(pkg)
    kinds, date1904 = number_formats(pkg), _date1904(pkg)
    for path in sheets:
        root = pkg.xml(path)
        if root is not None:
            yield _sheet_grid(root, shared, kinds, date1904)


def xlsx_texts(pkg: Package) -> Iterator[str]:
    _, shared = _workbook(pkg)
    yield "\n".join(shared)
    for grid in xlsx_sheets(pkg):
        yield "\n".join(c for row in grid for c in row if isinstance(c, str))
    yield from property_texts(pkg)
