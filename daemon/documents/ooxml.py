"""What DOCX and XLSX packages share, for the grid readers (docxgrid.py, xlsxgrid.py).

A part's XML namespace, its relationships (resolved to part paths), the package's main part
(found through `_rels/.rels`, so a renamed main part is still read), the document properties'
texts (where a form code may hide), and the text a figure cell reads when a number was merged
down from the row above (a figure belongs to one row only).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from lxml import etree

from daemon.documents.safezip import Package

W_MAIN = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"


def namespace(root: etree._Element) -> str:
    tag = root.tag
    return tag[: tag.index("}") + 1] if tag.startswith("{") else ""


def relationships(pkg: Package, rels_name: str) -> dict[str, str]:
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


def main_part(pkg: Package, default: str) -> str:
    rels = relationships(pkg, "_rels/.rels")
    for key, path in rels.items():
        if key.startswith("type:") and key.endswith("/officeDocument"):
            return path
    return default


def property_texts(pkg: Package) -> Iterator[str]:
    for name in ("docProps/core.xml", "docProps/custom.xml", "docProps/app.xml"):
        part = pkg.xml(name)
        if part is not None:
            yield "\n".join(part.itertext())


def int_attr(value: str | None, default: int) -> int:
    try:
        return int(value) if value else default
    except ValueError:
        return default


#: What a row reads in a figure column under a number merged down from the row above.
MERGED_NUMBER = "(sel digabung dengan baris di atasnya)"
