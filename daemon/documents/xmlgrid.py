"""Tables and text out of DOCX and XLSX parts, straight from the XML (lxml, no python-docx).

A table becomes a grid: a list of rows, each a list of cells (str for DOCX; str or float for
XLSX, whose numeric cells are real numbers), one cell per grid column. A DOCX cell spanning
columns (gridSpan) fills its first column and leaves None in the others; a vertically merged
continuation (vMerge) repeats the text of the cell that starts the merge; `w:gridBefore` is
honoured; rows and cells inside content controls (w:sdt) or custom XML are found. XLSX merged
ranges behave the same.

Cell text is what the person sees in Word (SPEC §6.2): the accepted view of tracked changes
(w:ins and w:moveTo in; w:del, w:moveFrom and deleted table rows out), no hidden text (w:vanish
on the run, or through the run's or paragraph's style), a content control showing its placeholder
(w:showingPlcHdr) reads as empty, a field reads as its result (the w:instrText code between
w:fldChar begin and separate is left out; w:fldSimple's runs are its result), mc:Fallback copies
are skipped. Paragraphs are joined by newlines, w:tab is a space, w:br a newline.

A DOCX's tables come back as `Grid`s (lists of rows) carrying `gap`: the visible text between the
previous table and this one when both sit in the same container (None otherwise), so that a form
table split in two (Word's Split Table, a page break) can be read as one. XLSX numeric cells are
read through their number format: a percent format gives the percentage the person sees (0.9
shown as "90%" is 90.0), a date format gives a `SeenDate` (a str: the date as shown).

The *_texts functions yield the texts in which a form code may hide: body, headers and footers,
then the document properties.
"""

from __future__ import annotations

import math
import posixpath
import re
from collections.abc import Iterator

from lxml import etree

from daemon.documents.safezip import Package

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


_OFF = ("0", "false", "off")


class _Walk:
    """What a cell's text walk needs: the namespace, hidden style ids, open fields' states."""

    __slots__ = ("w", "hidden", "fields", "parts", "first", "join")

    def __init__(self, w: str, hidden: frozenset[str]):
        self.w, self.hidden = w, hidden
        self.fields: list[bool] = []  # per open complex field: True while in its code part
        self.parts: list[str] = []
        self.first, self.join = True, False


_SKIP_LOCAL = frozenset(
    (
        "del", "moveFrom", "delText", "instrText", "delInstrText", "sdtPr", "sdtEndPr", "tblPr",
        "trPr", "tcPr", "tblGrid", "footnoteReference", "endnoteReference", "commentReference",
        "annotationRef", "sectPr", "bookmarkStart", "bookmarkEnd", "proofErr", "permStart",
        "permEnd",
    )
)
MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"


def _local(tag: object) -> str:
    if not isinstance(tag, str):
        return ""  # a comment or processing instruction
    return tag[tag.index("}") + 1 :] if tag.startswith("{") else tag


def _on(el: etree._Element | None, w: str) -> bool:
    """A toggle property (w:vanish, w:showingPlcHdr) that is present and not switched off."""
    return el is not None and (el.get(w + "val") or "true").lower() not in _OFF


def _unseen(rpr: etree._Element, w: str) -> bool:
    """Text no one sees on the page (review of issue 11): white or near-white letters with no
    highlight or dark shading of their own (the form's cells are light), or letters of 2 pt
    or less. A '1' typed white before '85' is not part of the 85 the person sees."""
    size = _first_child(rpr, w + "sz")
    if size is not None and _int(size.get(w + "val"), 99) <= 4:
        return True
    color = _first_child(rpr, w + "color")
    val = (color.get(w + "val") or "") if color is not None else ""
    if not re.fullmatch(r"[0-9A-Fa-f]{6}", val) or any(
        int(val[k : k + 2], 16) < 0xE0 for k in (0, 2, 4)
    ):
        return False
    highlight = _first_child(rpr, w + "highlight")
    if highlight is not None and (highlight.get(w + "val") or "none") != "none":
        return False
    shd = _first_child(rpr, w + "shd")
    fill = (shd.get(w + "fill") or "") if shd is not None else ""
    return not (re.fullmatch(r"[0-9A-Fa-f]{6}", fill) and sum(
        int(fill[k : k + 2], 16) for k in (0, 2, 4)) < 3 * 0x90)


def _hidden_run(r: etree._Element, st: _Walk, para_hidden: bool) -> bool:
    rpr = _first_child(r, st.w + "rPr")
    if rpr is not None:
        if _on(_first_child(rpr, st.w + "specVanish"), st.w) or _unseen(rpr, st.w):
            return True
        vanish = _first_child(rpr, st.w + "vanish")
        if vanish is not None:
            return _on(vanish, st.w)
        style = _first_child(rpr, st.w + "rStyle")
        if style is not None and style.get(st.w + "val") in st.hidden:
            return True
    return para_hidden


def _walk(node: etree._Element, st: _Walk, para_hidden: bool) -> None:
    w = st.w
    for child in node:
        tag = child.tag
        if not isinstance(tag, str) or tag == MC_FALLBACK:
            continue
        name = _local(tag)
        if tag.startswith(w) and name in _SKIP_LOCAL:
            continue
        if tag == w + "p":
            _paragraph(child, st)
        elif tag == w + "r":
            _run(child, st, para_hidden)
        elif tag == w + "sdt":
            if _placeholder(child, w):
                continue
            content = _first_child(child, w + "sdtContent")
            if content is not None:
                _walk(content, st, para_hidden)
        elif tag == w + "tr" and _row_deleted(child, w):
            continue
        else:
            _walk(child, st, para_hidden)


def _paragraph(p: etree._Element, st: _Walk) -> None:
    w = st.w
    if not st.first and not st.join:
        st.parts.append("\n")
    st.first = st.join = False
    hidden = False
    ppr = _first_child(p, w + "pPr")
    mark_gone = False
    if ppr is not None:
        style = _first_child(ppr, w + "pStyle")
        hidden = style is not None and style.get(w + "val") in st.hidden
        mark = _first_child(ppr, w + "rPr")
        if mark is not None:  # a deleted or moved-away paragraph mark joins the next paragraph
            mark_gone = (
                _first_child(mark, w + "del") is not None
                or _first_child(mark, w + "moveFrom") is not None
            )
    _walk(p, st, hidden)
    st.join = mark_gone


def _run(r: etree._Element, st: _Walk, para_hidden: bool) -> None:
    w = st.w
    hidden = _hidden_run(r, st, para_hidden)
    rpr = _first_child(r, w + "rPr")
    align = _first_child(rpr, w + "vertAlign") if rpr is not None else None
    raised = align is not None and align.get(w + "val") in ("superscript", "subscript")
    for node in r:
        tag = node.tag
        if tag == w + "fldChar":
            kind = node.get(w + "fldCharType")
            if kind == "begin":
                st.fields.append(True)
            elif kind == "separate" and st.fields:
                st.fields[-1] = False
            elif kind == "end" and st.fields:
                st.fields.pop()
            continue
        if hidden or any(st.fields):
            continue
        if tag == w + "t":
            text = node.text or ""
            if raised and text:  # "85¹": a footnote mark typed raised is not a digit of 85
                text = text.translate(_RAISED)
            st.parts.append(text)
        elif tag == w + "sym":
            st.parts.append(_sym(node, w))
        elif tag in (w + "tab", w + "ptab"):
            st.parts.append(" ")
        elif tag in (w + "br", w + "cr"):
            st.parts.append("\n")
        elif tag == w + "noBreakHyphen":
            st.parts.append("-")


_RAISED = str.maketrans(
    "0123456789", "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079"
)


def _sym(node: etree._Element, w: str) -> str:
    """A w:sym character: Symbol-font digits and punctuation (F020-F03F) are what they show;
    any other symbol is shown as U+FFFD, never as nothing (it may be a digit the person sees)."""
    code = _int_hex(node.get(w + "char"))
    font = (node.get(w + "font") or "").casefold()
    if code is not None and font == "symbol" and 0x20 <= (code & 0xFF) <= 0x3F:
        return chr(code & 0xFF)
    return "\ufffd"


def _int_hex(value: str | None) -> int | None:
    try:
        return int(value or "", 16)
    except ValueError:
        return None


def _placeholder(sdt: etree._Element, w: str) -> bool:
    pr = _first_child(sdt, w + "sdtPr")
    return pr is not None and _on(_first_child(pr, w + "showingPlcHdr"), w)


def _row_deleted(tr: etree._Element, w: str) -> bool:
    """A table row deleted (or moved away) with Track Changes on."""
    trpr = _first_child(tr, w + "trPr")
    return trpr is not None and _first_child(trpr, w + "del") is not None


def _text_of(el: etree._Element, w: str, hidden: frozenset[str] = frozenset()) -> str:
    """The visible text of the paragraphs under `el` (see the module docstring)."""
    st = _Walk(w, hidden)
    _walk(el, st, False)
    return "".join(st.parts)


def _in_placeholder(tc: etree._Element, stop: etree._Element, w: str) -> bool:
    """Whether a cell sits inside a content control that shows its placeholder."""
    node = tc.getparent()
    while node is not None and node is not stop:
        if node.tag == w + "sdt" and _placeholder(node, w):
            return True
        node = node.getparent()
    return False


def hidden_styles(pkg: Package) -> frozenset[str]:
    """Ids of paragraph and character styles that hide their text (w:vanish, through basedOn)."""
    raw = pkg.read("word/styles.xml")
    if raw is None or b"vanish" not in raw:  # the usual case: no style hides text
        return frozenset()
    root = pkg.xml("word/styles.xml")
    if root is None:
        return frozenset()
    w = _ns(root) or "{" + W_MAIN + "}"
    own: dict[str, bool | None] = {}
    based: dict[str, str] = {}
    for style in root.iter(w + "style"):
        sid = style.get(w + "styleId") or ""
        vanish = None
        rpr = _first_child(style, w + "rPr")
        if rpr is not None:
            v = _first_child(rpr, w + "vanish")
            if v is not None:
                vanish = _on(v, w)
        own[sid] = vanish
        parent = _first_child(style, w + "basedOn")
        if parent is not None:
            based[sid] = parent.get(w + "val") or ""
    out = set()
    for sid in own:
        seen, cur = set(), sid
        while cur in own and cur not in seen:
            seen.add(cur)
            if own[cur] is not None:
                if own[cur]:
                    out.add(sid)
                break
            cur = based.get(cur, "")
    return frozenset(out)


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


class Grid(list):
    """A table's rows; `gap` is the visible text between the previous table and this one when
    both sit in the same container (None when they do not, or for the first table)."""

    gap: str | None = None


def _table_grid(
    tbl: etree._Element, w: str, hidden: frozenset[str] = frozenset(), budget: int = MAX_ROWS
) -> Grid:
    grid = Grid()
    merged: dict[int, str] = {}  # grid column -> text of the vMerge cell that started there
    val = w + "val"
    trpr_tag, tcpr_tag, gs_tag, vm_tag = w + "trPr", w + "tcPr", w + "gridSpan", w + "vMerge"
    for tr in _children(tbl, w + "tr", w):
        row: list[str | None] = []
        trpr = _first_child(tr, trpr_tag)
        if trpr is not None:
            if _first_child(trpr, w + "del") is not None:
                continue  # a row deleted with Track Changes on: not what the person sees
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
                if _DIGIT_RE.search(text) and not _WORD_RE.search(text):
                    text = MERGED_NUMBER  # a figure merged down is not also the next row's
            else:
                wrapped = tc.getparent() is not tr
                text = "" if wrapped and _in_placeholder(tc, tbl, w) else _text_of(tc, w, hidden)
                if vmerge == "restart":
                    merged[col] = text
                else:
                    merged.pop(col, None)
            row.append(text)
            row.extend([None] * (span - 1))
        grid.append(row)
        if len(grid) >= budget:
            break
    return grid


def _docx_root(pkg: Package) -> etree._Element | None:
    return pkg.xml(_main_part(pkg, "word/document.xml"))


def _gap(prev: etree._Element, tbl: etree._Element, w: str, hidden: frozenset[str]) -> str | None:
    """Visible text between two tables that are siblings (prev before tbl), else None."""
    if prev.getparent() is not tbl.getparent():
        return None
    parts = []
    node = prev.getnext()
    while node is not None and node is not tbl:
        if node.tag == w + "tbl":
            return None
        parts.append(_text_of(node, w, hidden) if node.tag != w + "sectPr" else "")
        node = node.getnext()
    return "\n".join(parts) if node is tbl else None


def docx_tables(pkg: Package) -> list[Grid]:
    """Grids of the tables from the first one that mentions "realisasi" (earlier ones cannot be
    the form's table), with their gaps; at most MAX_ROWS rows in all."""
    root = _docx_root(pkg)
    if root is None:
        return []
    w = _ns(root) or "{" + W_MAIN + "}"
    hidden = hidden_styles(pkg)
    out: list[Grid] = []
    budget, prev = MAX_ROWS, None
    for tbl in root.iter(w + "tbl"):
        if not out and "realisasi" not in "".join(tbl.itertext(w + "t")).casefold():
            prev = tbl
            continue
        grid = _table_grid(tbl, w, hidden, budget)
        grid.gap = _gap(prev, tbl, w, hidden) if prev is not None else None
        out.append(grid)
        prev = tbl
        budget -= len(grid)
        if budget <= 0:
            break
    return out


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


class SeenDate(str):
    """A numeric XLSX cell shown as a date (the str is the date as the person sees it)."""


class Marked(float):
    """A numeric XLSX cell with what its number format says about it (review of issue 11):
    `kind` "pct" (shown with %, the float is the percentage the person sees) or "rp" (shown as
    rupiah), and `why`, when the format shows the number otherwise than it is held (scaled by
    thousands, hidden, a negative number without its minus sign), in Indonesian."""

    kind: str = ""
    why: str = ""


class ShownAs(Marked):
    """A numeric XLSX cell whose number format shows fewer decimals than it holds: the float is
    what it holds, `shown` what the person sees (85.6 in a "0" cell shows 86)."""

    shown: float


_RP_FMT = re.compile(r'"\s*rp\.?\s*"|\[\$\s*rp|\\r\\p|\bidr\b', re.I)


def format_doubt(code: str, value: float) -> str:
    """Why a number format shows `value` otherwise than it is held ('' when it does not)."""
    sections = code.split(";")
    section = sections[0]
    if value < 0 and len(sections) > 1:
        section = sections[1]
    elif value == 0 and len(sections) > 2:
        section = sections[2]
    bare = _FMT_NOISE.sub("", section)
    if not section.strip() and len(sections) > 1:
        return "format selnya menyembunyikan angka ini (sel tampak kosong)"
    if re.search(r"[0#?],+(?![0#?])", bare):
        return "format selnya menampilkan angka ini dibagi seribu (atau sejuta)"
    if value < 0 and len(sections) > 1 and "-" not in bare and "(" not in bare:
        return "format selnya menampilkan angka negatif ini tanpa tanda minus"
    return ""


def _marked(value: float, kind: str, code: str) -> float:
    rp = bool(code) and bool(_RP_FMT.search(code))
    why = format_doubt(code, value) if code else ""
    if not (kind == "pct" or rp or why):
        return value
    out = value if isinstance(value, Marked) else Marked(value)
    out.kind = "pct" if kind == "pct" else ("rp" if rp else "")
    out.why = why
    return out


# built-in number formats (ECMA-376 18.8.30): 9, 10 percent; 14-22, 45-47 (and the East Asian
# 27-36, 50-58) dates and times
_BUILTIN_PCT = {9, 10}
_BUILTIN_DATE = set(range(14, 23)) | set(range(45, 48)) | set(range(27, 37)) | set(range(50, 59))
_FMT_NOISE = re.compile(r'"[^"]*"|\\.|_.|\*.|\[[^\]]*\]')


def format_kind(code: str) -> str:
    """'pct', 'date' or '' for a number format code ('0%', 'dd/mm/yyyy', '"Rp"#,##0')."""
    bare = _FMT_NOISE.sub("", code.split(";")[0])
    if "%" in bare:
        return "pct"
    if code.strip().lower() != "general" and re.search(r"[dmyhs]", bare, re.I):
        return "date"
    return ""


_BUILTIN_DECIMALS = {1: 0, 2: 2, 3: 0, 4: 2, 9: 0, 10: 2, 37: 0, 38: 0, 39: 2, 40: 2}


def format_decimals(code: str) -> int | None:
    """How many decimals a number format shows ('#,##0.00' 2, '0%' 0); None when it does not fix
    them (General, text, scientific, scaled by thousands)."""
    bare = _FMT_NOISE.sub("", code.split(";")[0])
    if (
        "general" in bare.lower()
        or "@" in bare
        or "e" in bare.lower()
        or not re.search(r"[0#?]", bare)
    ):
        return None
    if re.search(r"[0#?],+(?![0#?])", bare):  # "#,##0," shows thousands
        return None
    m = re.search(r"\.([0#?]+)", bare)
    return len(m.group(1)) if m else 0


def _styles(pkg: Package) -> list[tuple[str, int | None, str]]:
    """Per cell style index (the c element's s), the kind of its number format and the decimals
    it shows."""
    root = pkg.xml("xl/styles.xml")
    if root is None:
        return []
    s = _ns(root)
    custom = {}
    for nf in root.iter(s + "numFmt"):
        custom[_int_attr(nf.get("numFmtId"), -1)] = nf.get("formatCode") or ""
    out = []
    xfs = root.find(s + "cellXfs")
    for xf in xfs if xfs is not None else []:
        if xf.tag != s + "xf":
            continue
        fid = _int_attr(xf.get("numFmtId"), 0)
        if fid in custom:
            code = custom[fid]
            out.append((format_kind(code), format_decimals(code), code))
        elif fid in _BUILTIN_PCT:
            out.append(("pct", _BUILTIN_DECIMALS.get(fid), ""))
        elif fid in _BUILTIN_DATE:
            out.append(("date", None, ""))
        else:
            out.append(("", _BUILTIN_DECIMALS.get(fid), ""))
    return out


def _shown(value: float, decimals: int | None) -> float:
    """The value as a format with `decimals` shows it (half away from zero, as Excel rounds);
    a ShownAs when that differs from the value."""
    from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

    if decimals is None or not math.isfinite(value):
        return value
    try:
        shown = float(Decimal(repr(value)).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP))
    except (InvalidOperation, ValueError):
        return value
    if abs(shown - value) <= 1e-9 * max(1.0, abs(value)):
        return value
    out = ShownAs(value)
    out.shown = shown
    return out


def _seen_date(serial: float, date1904: bool) -> SeenDate:
    from datetime import datetime, timedelta

    base = datetime(1904, 1, 1) if date1904 else datetime(1899, 12, 30)
    try:
        when = base + timedelta(days=serial)
    except (OverflowError, ValueError):
        return SeenDate(str(serial))
    if when.hour or when.minute:
        return SeenDate(when.strftime("%d-%m-%Y %H.%M") if serial >= 1 else when.strftime("%H.%M"))
    return SeenDate(when.strftime("%d-%m-%Y"))


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


def _sheet_grid(
    root: etree._Element,
    shared: list[str],
    kinds: list[tuple[str, int | None, str]] | None = None,
    date1904: bool = False,
) -> list[list[str | float | None]]:
    s = _ns(root)
    kinds = kinds or []
    cells: dict[tuple[int, int], str | float] = {}
    hidden_cols: set[int] = set()
    for col_el in root.iter(s + "col"):
        if (col_el.get("hidden") or "").lower() in ("1", "true") or (
                col_el.get("width") not in (None, "") and _float(col_el.get("width")) == 0):
            lo, hi = _int_attr(col_el.get("min"), 1), _int_attr(col_el.get("max"), 0)
            hidden_cols.update(range(max(lo, 1) - 1, min(hi, XLSX_MAX_COLS)))
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
            style = _int_attr(c.get("s"), 0)
            if isinstance(value, float) and 0 <= style < len(kinds):
                kind, decimals, code = kinds[style]
                if kind == "pct":  # "90%" is stored 0.9: the person sees 90
                    value = _shown(_percent(c.find(s + "v").text or "", value), decimals)
                elif kind == "date":
                    value = _seen_date(value, date1904)
                else:
                    value = _shown(value, decimals)
                if kind != "date":
                    value = _marked(value, kind, code)
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


_DIGIT_RE = re.compile(r"\d")
_WORD_RE = re.compile(r"[^\W\d_]{3,}")
#: What a row reads in a figure column under a number merged down from the row above.
MERGED_NUMBER = "(sel digabung dengan baris di atasnya)"


def _float(value: str | None) -> float | None:
    try:
        return float(value or "")
    except ValueError:
        return None


def _percent(text: str, value: float) -> float:
    from decimal import Decimal, InvalidOperation

    try:
        return float(Decimal(text.strip()) * 100)
    except (InvalidOperation, ValueError):
        return value * 100


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
    root = pkg.xml(_main_part(pkg, "xl/workbook.xml"))
    if root is None:
        return False
    pr = root.find(_ns(root) + "workbookPr")
    return pr is not None and (pr.get("date1904") or "").lower() in ("1", "true")


def xlsx_sheets(pkg: Package) -> Iterator[list[list[str | float | None]]]:
    sheets, shared = _workbook(pkg)
    kinds, date1904 = _styles(pkg), _date1904(pkg)
    for path in sheets:
        root = pkg.xml(path)
        if root is not None:
            yield _sheet_grid(root, shared, kinds, date1904)


def xlsx_texts(pkg: Package) -> Iterator[str]:
    _, shared = _workbook(pkg)
    yield "\n".join(shared)
    for grid in xlsx_sheets(pkg):
        yield "\n".join(c for row in grid for c in row if isinstance(c, str))
    yield from _property_texts(pkg)
