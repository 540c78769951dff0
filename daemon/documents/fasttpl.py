"""docxtpl without its super-linear steps: the same bytes, linear time for big tables.

`FastTemplate` is a `docxtpl.DocxTemplate` whose three post-render steps are rewritten so that
their cost grows with the size of the document and not faster, while the document they produce
is byte for byte the one stock docxtpl produces (tests/test_fasttpl.py compares the two on the
draft report, tables, line breaks and tabs included):

- `map_tree`: stock docxtpl parses the rendered body as a document of its own and moves it into
  the template's document (`root.replace(body, tree)`); lxml's move between documents grows
  quadratically with the tree (0.03 s at 1,000 report rows, 0.66 s at 5,000). Here the rendered
  body is parsed once inside a copy of the template's `<w:document>` element, with python-docx's
  element classes, and that document element is put in place: nothing is moved. What lxml's
  move does besides (it drops namespace declarations already in scope) is done to the few
  elements that declare namespaces (drawings), by moving a copy of each.
- `resolve_listing` (tabs, line breaks in values become `<w:tab/>`, `<w:br/>`): stock runs three
  nested regular expressions with Python callbacks over every paragraph; here only the stretches
  around such a character are handed to it. No paragraph match of the stock expression crosses a
  `</w:p>` (it ends at the first one after its start), so cutting at `</w:p>` changes nothing.
- `fix_tables` (columns added or removed when `{%tc %}` loops changed the cell count): the check
  that a table needs nothing is two XPaths per table, in C; when one does need fixing, stock
  docxtpl's fix_tables and map_tree do the whole job, as before.

`Deferred` lets a caller put a drawing in place after the template is rendered: the context
holds a `Deferred` whose text is a marker, and `after_render` (called with the template before
the body is parsed) returns each marker's replacement, e.g. charts drawn by other processes while
the template was being rendered.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from docxtpl import DocxTemplate
from lxml import etree

_NS_DECL = re.compile(r'\s+xmlns:\w+="[^"]*"')
_NAME = re.compile(r"[\w.-]+(?::[\w.-]+)?")
_MARKED = etree.XPath("//*[@pantau-ns]")
_SPECIAL = re.compile("[\t\a\n\f]")
_P_END = "</w:p>"
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_NS = {"w": _W}
# A table needs no fixing when no row has more cells than the grid has columns and some row
# spans the whole grid (docxtpl's to_add == 0 and to_remove <= 0).
_TOO_MANY = etree.XPath(".//w:tr[count(w:tc) > $n]", namespaces=_NS)
_FULL_ROW = etree.XPath(
    "(.//w:tr[count(w:tc[not(w:tcPr/w:gridSpan)]) + sum(w:tc/w:tcPr/w:gridSpan/@w:val) >= $n])[1]",
    namespaces=_NS,
)

_DOCPR = etree.XPath(
    "//wp:docPr",
    namespaces={"wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"},
)


def _declaring(xml: str) -> list[tuple[int, str, str]]:
    """The start tags with a prefixed name that declare a namespace, found by str.find (a few
    in a body of millions of characters): (position after the name, name, the tag's text)."""
    out: list[tuple[int, str, str]] = []
    i = xml.find("xmlns")
    while i >= 0:
        start = xml.rfind("<", 0, i)
        if start >= 0 and xml[i - 1].isspace() and xml.find(">", start, i) < 0:
            m = _NAME.match(xml, start + 1)
            if m and ":" in m.group(0) and (not out or out[-1][0] != m.end()):
                out.append((m.end(), m.group(0), xml[m.end(): xml.find(">", i)]))
        i = xml.find("xmlns", i + 5)
    return out


def _strip_redundant_namespaces(document: Any, tags: set[str], marks: int) -> None:
    """What lxml does to a subtree moved between documents (and so to stock docxtpl's body): a
    namespace declaration already in scope with the same URI is dropped. Each marked element is
    replaced by a copy of itself (a document of its own), which lxml moves in the same way.
    `tags`: the marked elements' names ({uri}local), so that only those are looked at; when they
    do not find all `marks` (or a name is unknown, "*"), every element is searched."""
    import copy

    marked = []
    if "*" not in tags:
        marked = [el for el in document.iter(*tags) if el.get("pantau-ns") is not None]
    if len(marked) != marks:
        marked = _MARKED(document)
    for el in marked:
        del el.attrib["pantau-ns"]
    kept = set(marked)  # the proxies stay alive, so membership is by node
    for el in marked:
        if not any(a in kept for a in el.iterancestors()):
            el.getparent().replace(el, copy.deepcopy(el))


class Deferred:
    """A context value rendered as a marker that `FastTemplate.after_render` replaces."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.marker = f"\x1bPANTAU-DEFERRED-{key}\x1b"

    def __str__(self) -> str:
        return self.marker

    def __html__(self) -> str:
        return self.marker


class FastTemplate(DocxTemplate):
    """DocxTemplate with linear post-render steps; see the module docstring."""

    # called with (template, body xml) after rendering, returns {marker: replacement xml}
    after_render: Callable[[FastTemplate], dict[str, str]] | None = None

    def build_xml(self, context: Any, jinja_env: Any = None) -> str:
        xml = super().build_xml(context, jinja_env)
        if self.after_render is not None:
            for marker, replacement in self.after_render(self).items():
                xml = xml.replace(marker, replacement)
        return xml

    def resolve_listing(self, xml: str) -> str:
        if not any(c in xml for c in "\t\a\n\f"):  # a scan in C; the usual case
            return xml
        spans: list[tuple[int, int]] = []
        for m in _SPECIAL.finditer(xml):
            i = m.start()
            if spans and i < spans[-1][1]:
                continue
            start = xml.rfind(_P_END, 0, i)
            start = 0 if start < 0 else start + len(_P_END)
            end = xml.find(_P_END, i)
            end = len(xml) if end < 0 else end + len(_P_END)
            spans.append((start, end))
        if not spans:
            return xml
        out, pos = [], 0
        for start, end in spans:
            out.append(xml[pos:start])
            out.append(DocxTemplate.resolve_listing(self, xml[start:end]))
            pos = end
        out.append(xml[pos:])
        return "".join(out)

    def fix_tables(self, xml: str) -> Any:
        """Parse the rendered body inside the template's own <w:document> (python-docx element
        classes, docxtpl's recovering parser). If a table needs its columns fixed, docxtpl's
        own fix_tables does the whole job instead (and map_tree moves its tree, as stock)."""
        from docx.oxml.parser import element_class_lookup

        root = self.docx._element
        whole = etree.tostring(root, encoding="unicode", pretty_print=False)
        head = whole[: whole.index("<w:body")]
        tail = whole[whole.rindex("</w:body>") + len("</w:body>"):]
        parser = etree.XMLParser(recover=True)
        parser.set_element_class_lookup(element_class_lookup)
        # the body's own start tag repeats the document's namespace declarations; lxml drops such
        # redundant declarations when stock docxtpl moves the body in, so they go here too
        end = xml.index(">") + 1
        start_tag = _NS_DECL.sub("", xml[:end]) if xml.startswith("<w:body") else xml[:end]
        rest = xml[end:]
        declaring = "xmlns" in rest
        tags: set[str] = set()
        marks = 0
        if declaring:  # mark the elements that declare namespaces (drawings, a handful)
            pieces, pos = [], 0
            for at, name, tag in _declaring(rest):
                prefix, local = name.split(":", 1)
                own = re.search(f'\\sxmlns:{re.escape(prefix)}="([^"]*)"', tag)
                uri = own.group(1) if own else root.nsmap.get(prefix)
                tags.add(f"{{{uri}}}{local}" if uri else "*")
                pieces += [rest[pos:at], ' pantau-ns=""']
                pos = at
                marks += 1
            rest = "".join([*pieces, rest[pos:]])
        document = etree.fromstring(head + start_tag + rest + tail, parser=parser)
        if marks:
            _strip_redundant_namespaces(document, tags, marks)
        for t in document.iter(f"{{{_W}}}tbl"):
            grid = t.find(f"{{{_W}}}tblGrid")
            n = len(grid.findall(f"{{{_W}}}gridCol")) if grid is not None else 0
            if grid is None or _TOO_MANY(t, n=n) or not _FULL_ROW(t, n=n):
                return super().fix_tables(xml)
        return document

    def fix_docpr_ids(self, tree: Any) -> None:
        """docxtpl's renumbering, on python-docx elements (whose xpath takes no namespaces)."""
        for elt in _DOCPR(tree):
            self.docx_ids_index += 1
            elt.attrib["id"] = str(self.docx_ids_index)

    def map_tree(self, tree: Any) -> None:
        if tree.tag != f"{{{_W}}}document":
            super().map_tree(tree)
            return
        document = self.docx
        document._part._element = tree
        document._element = tree
        document._Document__body = None
