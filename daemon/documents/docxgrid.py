"""A DOCX's tables and texts, straight from the XML (lxml, no python-docx).

A table becomes a `Grid`: a list of rows, each a list of str cells, one per grid column. A cell
spanning columns (gridSpan) fills its first column and leaves None in the others; a vertically
merged continuation (vMerge) repeats the text of the cell that starts the merge; `w:gridBefore`
is honoured; rows and cells inside content controls (w:sdt) or custom XML are found.

Cell text is what the person sees in Word (SPEC §6.2): the accepted view of tracked changes
(w:ins and w:moveTo in; w:del, w:moveFrom and deleted table rows out), no hidden text (w:vanish
on the run, or through the run's or paragraph's style), a content control showing its placeholder
(w:showingPlcHdr) reads as empty, a field reads as its result (the w:instrText code between
w:fldChar begin and separate is left out; w:fldSimple's runs are its result), mc:Fallback copies
are skipped. Paragraphs are joined by newlines, w:tab is a space, w:br a newline.

Each `Grid` carries `gap`: the visible text between the previous table and this one when both
sit in the same container (None otherwise), so that a form table split in two (Word's Split
Table, a page break) can be read as one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree

from daemon.documents.ooxml import (
    MERGED_NUMBER,
    W_MAIN,
    main_part,
    namespace,
    property_texts,
)
from daemon.documents.safezip import Package

MAX_SPAN = 64
MAX_COLS = 200
MAX_ROWS = 20000
# a vMerge continuation under a figure (digits, no word) reads MERGED_NUMBER, not the figure
_DIGIT_RE = re.compile(r"\d")
_WORD_RE = re.compile(r"[^\W\d_]{3,}")


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

    __slots__ = ("w", "hidden", "fields", "parts", "first", "join", "skip")

    def __init__(self, w: str, hidden: frozenset[str]):
        self.w, self.hidden = w, hidden
        self.skip = _skip_tags(w)
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
_SKIP_TAGS: dict[str, frozenset[str]] = {}


def _skip_tags(w: str) -> frozenset[str]:
    """The full tags (in namespace `w`) of _SKIP_LOCAL, and mc:Fallback: one set lookup per
    element instead of taking the local name apart."""
    tags = _SKIP_TAGS.get(w)
    if tags is None:
        tags = _SKIP_TAGS[w] = frozenset({w + name for name in _SKIP_LOCAL} | {MC_FALLBACK})
    return tags


def _on(el: etree._Element | None, w: str) -> bool:
    """A toggle property (w:vanish, w:showingPlcHdr) that is present and not switched off."""
    return el is not None and (el.get(w + "val") or "true").lower() not in _OFF


def _unseen(props: dict[str, etree._Element], w: str) -> bool:
    """Text no one sees on the page (review of issue 11): white or near-white letters with no
    highlight or dark shading of their own (the form's cells are light), or letters of 2 pt
    or less. A '1' typed white before '85' is not part of the 85 the person sees. `props`: the
    run's properties by tag (_props)."""
    size = props.get(w + "sz")
    if size is not None and _int(size.get(w + "val"), 99) <= 4:
        return True
    color = props.get(w + "color")
    val = (color.get(w + "val") or "") if color is not None else ""
    if not re.fullmatch(r"[0-9A-Fa-f]{6}", val) or any(
        int(val[k : k + 2], 16) < 0xE0 for k in (0, 2, 4)
    ):
        return False
    highlight = props.get(w + "highlight")
    if highlight is not None and (highlight.get(w + "val") or "none") != "none":
        return False
    shd = props.get(w + "shd")
    fill = (shd.get(w + "fill") or "") if shd is not None else ""
    return not (re.fullmatch(r"[0-9A-Fa-f]{6}", fill) and sum(
        int(fill[k : k + 2], 16) for k in (0, 2, 4)) < 3 * 0x90)


def _props(rpr: etree._Element | None) -> dict[str, etree._Element]:
    """A properties element's children by tag, the first of each (as _first_child finds it)."""
    out: dict[str, etree._Element] = {}
    if rpr is not None:
        for child in rpr:
            out.setdefault(child.tag, child)
    return out


def _hidden_run(props: dict[str, etree._Element], st: _Walk, para_hidden: bool) -> bool:
    if props:
        if _on(props.get(st.w + "specVanish"), st.w) or _unseen(props, st.w):
            return True
        vanish = props.get(st.w + "vanish")
        if vanish is not None:
            return _on(vanish, st.w)
        style = props.get(st.w + "rStyle")
        if style is not None and style.get(st.w + "val") in st.hidden:
            return True
    return para_hidden


def _walk(node: etree._Element, st: _Walk, para_hidden: bool) -> None:
    w, skip = st.w, st.skip
    for child in node:
        tag = child.tag
        if not isinstance(tag, str) or tag in skip:
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
    rpr = _first_child(r, w + "rPr")
    props = _props(rpr)
    hidden = _hidden_run(props, st, para_hidden)
    align = props.get(w + "vertAlign")
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


# styles.xml's fingerprint -> its hidden style ids. The forms of one cycle come back with the
# styles of the template Pantau sent (Word keeps them), so one parse serves every reply; keyed by
# a digest of the stored bytes (Package.fingerprint), never by the zip's CRC alone, which a
# sender can match with other content.
_HIDDEN: dict[bytes, frozenset[str]] = {}
_HIDDEN_MAX = 64


def hidden_styles(pkg: Package) -> frozenset[str]:
    """Ids of paragraph and character styles that hide their text (w:vanish, through basedOn)."""
    key = pkg.fingerprint("word/styles.xml")  # of the stored bytes: no inflating on a hit
    known = _HIDDEN.get(key) if key is not None else None
    if known is None:
        known = _hidden_styles(pkg)
        if key is not None:
            if len(_HIDDEN) >= _HIDDEN_MAX:
                _HIDDEN.clear()
            _HIDDEN[key] = known
    return known


def _hidden_styles(pkg: Package) -> frozenset[str]:
    raw = pkg.read("word/styles.xml")
    if raw is None or b"vanish" not in raw:  # no style hides text
        return frozenset()
    root = pkg.xml("word/styles.xml")
    if root is None:
        return frozenset()
    w = namespace(root) or "{" + W_MAIN + "}"
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
    return pkg.xml(main_part(pkg, "word/document.xml"))


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
    w = namespace(root) or "{" + W_MAIN + "}"
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
    w = namespace(root) or "{" + W_MAIN + "}"
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
    yield from property_texts(pkg)
