"""The final report (S11): the approved DOCX plus a "LEMBAR PENGESAHAN" section.

`render_final` never regenerates the report: the approved version may be a DOCX a person edited
and uploaded, so it opens that file with python-docx and appends, on a new page, the register
number, place and date, the signing block (jabatan, nama, pangkat, NIP), the record of the
approvals given by e-mail (who, jabatan, address, time, Message-ID), the statement that this
record is evidence and not a certified electronic signature (PP 71/2019), and a verification
code: the first 16 hex digits of the sha256 of the approved (source) DOCX, with a QR code
(segno) holding "PANTAU-VERIFIKASI <cycle> <nomor> sha256:<full hex>".

Only direct formatting is used (no named styles), because an uploaded document may lack them.
"""

from __future__ import annotations

import hashlib
import io
import os
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from .. import formatting
from .contexts import FinalReport
from .render import atomic_write

STATEMENT = (
    "Persetujuan di atas diberikan dengan membalas surat elektronik (surel) dan dicatat oleh "
    "sistem Pantau sebagai bukti persetujuan. Catatan ini bukan tanda tangan elektronik "
    "tersertifikasi sebagaimana dimaksud dalam Peraturan Pemerintah Nomor 71 Tahun 2019 tentang "
    "Penyelenggaraan Sistem dan Transaksi Elektronik. Laporan yang ditandatangani secara "
    "elektronik melalui aplikasi resmi (misalnya SRIKANDI dengan sertifikat BSrE) dapat "
    "diarsipkan sebagai laporan final."
)


def verification_payload(final: FinalReport, source_sha256: str) -> str:
    return f"PANTAU-VERIFIKASI {final.cycle_code} {final.nomor} sha256:{source_sha256}"


def qr_png(payload: str) -> bytes:
    import segno

    buf = io.BytesIO()
    segno.make(payload, error="m").save(buf, kind="png", scale=6, border=2)
    return buf.getvalue()


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
):
    from docx.shared import Pt

    p = container.add_paragraph()
    if align is not None:
        p.alignment = align
    if indent is not None:
        p.paragraph_format.left_indent = indent
    p.paragraph_format.space_after = Pt(after)
    p.paragraph_format.space_before = Pt(0)
    if text:
        r = p.add_run(text)
        r.bold = bold or None
        r.underline = underline or None
        if size:
            r.font.size = Pt(size)
    return p


def _cell(cell, text: str, *, bold=False, size=9, align=None):
    from docx.shared import Pt

    p = cell.paragraphs[0]
    if align is not None:
        p.alignment = align
    r = p.add_run(text)
    r.bold = bold or None
    r.font.size = Pt(size)


def render_final(
    final: FinalReport,
    source_docx: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    verify_url_base: str = "",
) -> str:
    """Append the LEMBAR PENGESAHAN to the approved `source_docx`, write `out_path`, return its
    sha256 hex (see the module docstring). The source file itself is not changed."""
    from docx import Document
    from docx.enum.section import WD_ORIENT, WD_SECTION
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    data = Path(source_docx).read_bytes()
    source_sha = hashlib.sha256(data).hexdigest()
    code = source_sha[:16]
    doc = Document(io.BytesIO(data))
    center, justify = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.JUSTIFY

    sec = doc.add_section(WD_SECTION.NEW_PAGE)
    if sec.orientation == WD_ORIENT.LANDSCAPE:  # the signature page is portrait
        sec.orientation = WD_ORIENT.PORTRAIT
        sec.page_width, sec.page_height = sec.page_height, sec.page_width
    usable_emu = (
        int(sec.page_width or Cm(21)) - int(sec.left_margin or 0) - int(sec.right_margin or 0)
    )
    sign_indent = Cm(max(0.0, usable_emu / 360000 - 7.5))  # 360000 EMU per cm
    period = final.period.label

    _para(doc, "LEMBAR PENGESAHAN", bold=True, size=14, align=center, after=6)
    _para(doc, "LAPORAN PEMANTAUAN KINERJA", bold=True, align=center)
    _para(doc, period.upper(), bold=True, align=center)
    _para(doc, final.kantor.nama.upper(), bold=True, align=center, after=12)
    _para(doc, f"Nomor: {final.nomor}", align=center)
    _para(doc, f"Versi laporan yang disahkan: versi {final.source_version}", align=center, after=18)
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
    _para(doc, "", after=12)

    _para(doc, "Catatan Persetujuan melalui Surat Elektronik", bold=True, after=4)
    headers = ["No", "Nama", "Jabatan", "Alamat Surel", "Waktu", "Message-ID"]
    widths = [0.8, 3.2, 3.4, 3.4, 2.8, 3.2]
    table = doc.add_table(rows=1, cols=len(headers))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
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
            a.nama,
            a.jabatan,
            a.email,
            f"{formatting.tanggal(when)} {formatting.waktu(when)}"
            + (" (dengan kode tanda tangan)" if a.kode_ttd else ""),
            a.message_id,
        ]
        for col, (cell, text, w) in enumerate(
            zip(table.add_row().cells, values, widths, strict=True)
        ):
            cell.width = Cm(w)
            _cell(cell, text, size=8 if col >= 3 else 9)
    if not final.approvals:
        row = table.add_row().cells
        _cell(row[0], "-")
        _cell(row[1], "tidak ada persetujuan melalui surel yang tercatat")
    _para(doc, "", after=4)
    _para(doc, STATEMENT, size=9, align=justify, after=12)

    qr = doc.add_table(rows=1, cols=2)
    left, right = qr.rows[0].cells
    left.width, right.width = Cm(3.6), Cm(12.4)
    left.paragraphs[0].add_run().add_picture(
        io.BytesIO(qr_png(verification_payload(final, source_sha))), width=Cm(3.2)
    )
    _cell(right, f"Kode verifikasi: {code}", bold=True, size=10)
    lines = [
        f"Kode verifikasi adalah 16 karakter pertama sidik SHA-256 berkas laporan versi "
        f"{final.source_version} yang disetujui. Sidik lengkapnya:",
        source_sha,
        f"Siklus {final.cycle_code}, nomor {final.nomor}.",
    ]
    if verify_url_base:
        lines.append(f"Verifikasi: {verify_url_base.rstrip('/')}/{code}")
    for line in lines:
        _para(right, line, size=8)

    core = doc.core_properties
    core.subject = f"{final.cycle_code} laporan final {final.nomor}"
    core.keywords = f"Pantau; {final.cycle_code}; final; verifikasi {code}"
    buf = io.BytesIO()
    doc.save(buf)
    return atomic_write(out_path, buf.getvalue())
