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

import hashlib
import io
import os
import re
from pathlib import Path

from daemon.documents.contexts import FinalReport
from daemon.documents.docxedit import (
    W,
    has_page_field,
    header_footer_parts,
    move_after,
    page_break,
    page_break_before,
    page_field,
    paragraphs_of,
    portrait_section_break,
    set_paragraph_text,
)
from daemon.documents.pengesahan import lembar_pengesahan, own_cover, qr_payload, qr_png
from daemon.documents.render import atomic_write

# qr_payload and qr_png live in pengesahan.py with the lembar that prints them; tests and
# callers have always found them here.
__all__ = ["COVER_MARKER", "DRAFT_WORDS", "qr_payload", "qr_png", "render_final"]


# The markers Pantau writes into its drafts (tools/make_templates.py, laporan.docx).
COVER_MARKER = re.compile(r"^\s*Konsep\s+versi\s+\d+\s*$", re.IGNORECASE)
DRAFT_WORDS = re.compile(r"\s*[\u2013-]?\s*konsep\s+versi\s+\d+(\s*\([^)]*\))?", re.IGNORECASE)


def _replace_draft_markers(doc, footer_text: str) -> int:
    """Rewrite headers/footers that call the document a draft; returns how many changed."""
    changed = 0
    for hf in header_footer_parts(doc):
        for p in paragraphs_of(hf):
            if re.search(r"konsep", p.text, re.IGNORECASE):
                set_paragraph_text(p, footer_text)
                changed += 1
    return changed


def _ensure_page_numbers(doc) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    parts = header_footer_parts(doc)
    if any(has_page_field(hf._element) for hf in parts):
        return
    footer = doc.sections[0].footer
    p = footer.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.space_before = Pt(0)
    page_field(p)
    for r in p._p.iter(f"{W}r"):
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
        if el.tag == f"{W}p":
            for br in el.iter(f"{W}br"):
                if br.get(f"{W}type") == "page":
                    return el
            if el.find(f"{W}pPr/{W}sectPr") is not None:
                return el
        nxt = el.getnext()
        if nxt is not None and nxt.tag == f"{W}p":
            ppr = nxt.find(f"{W}pPr/{W}pageBreakBefore")
            if ppr is not None and ppr.get(f"{W}val") not in ("0", "false"):
                return el
        if el.tag == f"{W}sectPr":
            return None
        el = nxt
    return None


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
    has_sect = len(body) and body[-1].tag == f"{W}sectPr"
    start = len(body) - 1 if has_sect else len(body)

    def added_elements() -> list:
        return list(body)[start:-1] if has_sect else list(body)[start:]

    if marker is not None:
        set_paragraph_text(marker, f"Nomor: {final.nomor}")
        anchor = _cover_end(marker)
        if anchor is None:
            anchor = marker._p
            page_break(doc)
        following = anchor.getnext()
        lembar_pengesahan(doc, final, code, payload, source_sha, width_cm)
        if following is None or following.tag != f"{W}p":
            page_break(doc)
        added = added_elements()
        move_after(anchor, added)
        if following is not None and following.tag == f"{W}p":
            page_break_before(following)
    else:
        own_cover(doc, final)
        lembar_pengesahan(doc, final, code, payload, source_sha, 16.0)
        portrait_section_break(doc)
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
