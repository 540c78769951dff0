"""The LEMBAR PENGESAHAN of the final report, its QR, and Pantau's own cover.

The lembar holds the register number, place and date, the signing block (jabatan, nama, pangkat,
NIP), the record of the approvals given by e-mail (step, version, person, time, a short
reference to the archived reply: never a Message-ID or a token), the statement that this record
is evidence and not a certified electronic signature (PP 71/2019), and the verification code
after the words "Kode verifikasi:" with its QR. The cover is used only for a document in which
Pantau found no cover marker of its own (final.py decides where both go).
"""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

from daemon.core import formatting
from daemon.documents.contexts import FinalReport
from daemon.documents.docxedit import add_borders, fill_cell, fix_widths, page_break, para

STATEMENT = (
    "Persetujuan di atas diberikan dengan membalas surat elektronik (surel) dan dicatat oleh "
    "sistem Pantau sebagai bukti persetujuan. Catatan ini bukan tanda tangan elektronik "
    "tersertifikasi sebagaimana dimaksud dalam Peraturan Pemerintah Nomor 71 Tahun 2019 tentang "
    "Penyelenggaraan Sistem dan Transaksi Elektronik. Laporan yang ditandatangani secara "
    "elektronik melalui aplikasi resmi (misalnya SRIKANDI dengan sertifikat BSrE) dapat "
    "diarsipkan sebagai laporan final."
)


def qr_payload(code: str, web_url: str = "") -> str:
    """What the QR encodes: `<web.url>/verifikasi/<code>` when the office has a public address,
    the code itself otherwise (SPEC §6.5)."""
    return f"{web_url.rstrip('/')}/verifikasi/{code}" if web_url else code


def qr_png(payload: str) -> bytes:
    import segno

    buf = io.BytesIO()
    segno.make(payload, error="m").save(buf, kind="png", scale=6, border=2)
    return buf.getvalue()


def own_cover(doc, final: FinalReport) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    center = WD_ALIGN_PARAGRAPH.CENTER
    for _ in range(5):
        para(doc, "")
    para(doc, "LAPORAN PEMANTAUAN KINERJA", bold=True, size=18, align=center)
    para(doc, final.period.label.upper(), bold=True, size=14, align=center, after=36)
    para(doc, final.kantor.nama.upper(), bold=True, size=14, align=center)
    para(doc, final.kantor.kabupaten.upper(), bold=True, size=14, align=center, after=36)
    para(doc, f"Nomor: {final.nomor}", align=center)
    para(doc, formatting.tanggal(final.tanggal), align=center)
    page_break(doc)


def lembar_pengesahan(doc, final: FinalReport, code: str, payload: str, source_sha: str, width_cm):
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    center, justify = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.JUSTIFY
    sign_indent = Cm(max(0.0, width_cm - 7.5))
    period = final.period.label
    para(doc, "LEMBAR PENGESAHAN", bold=True, size=14, align=center, after=6, keep_next=True)
    para(doc, "LAPORAN PEMANTAUAN KINERJA", bold=True, align=center, keep_next=True)
    para(doc, period.upper(), bold=True, align=center, keep_next=True)
    para(doc, final.kantor.nama.upper(), bold=True, align=center, after=10, keep_next=True)
    para(doc, f"Nomor: {final.nomor}", align=center, keep_next=True)
    para(
        doc,
        f"Laporan ini disahkan dari versi {final.source_version} yang disetujui.",
        size=10,
        align=center,
        after=14,
    )
    para(doc, formatting.tempat_tanggal(final.kantor.kota, final.tanggal), indent=sign_indent)
    signer = final.penandatangan
    para(doc, f"{signer.jabatan},", indent=sign_indent)
    for _ in range(3):
        para(doc, "", indent=sign_indent)
    para(doc, signer.nama, bold=True, underline=True, indent=sign_indent)
    if signer.pangkat:
        para(doc, signer.pangkat, indent=sign_indent)
    if signer.nip:
        para(doc, f"NIP. {signer.nip}", indent=sign_indent)
    para(doc, "", after=8)

    para(doc, "Catatan Persetujuan melalui Surat Elektronik", bold=True, after=4, keep_next=True)
    headers = ["No", "Langkah", "Versi", "Nama dan Jabatan", "Waktu", "Rujukan Arsip"]
    widths = [0.9, 3.2, 1.5, 4.4, 3.0, 3.0]
    scale = min(1.0, width_cm / sum(widths))
    widths = [w * scale for w in widths]
    table = doc.add_table(rows=1, cols=len(headers))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    add_borders(table)
    for cell, text, w in zip(table.rows[0].cells, headers, widths, strict=True):
        cell.width = Cm(w)
        fill_cell(cell, text, bold=True, align=center)
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
            fill_cell(cell, text, size=8.5, align=center if col in (0, 2) else None)
    if not final.approvals:
        row = table.add_row().cells
        fill_cell(row[0], "-")
        fill_cell(row[3], "tidak ada persetujuan melalui surel yang tercatat")
    fix_widths(table, widths)
    para(doc, "", after=4)
    para(doc, STATEMENT, size=9, align=justify, after=8)

    qr = doc.add_table(rows=1, cols=2)
    qr.autofit = False
    left, right = qr.rows[0].cells
    left.width, right.width = Cm(3.6), Cm(max(4.0, width_cm - 3.6))
    left.paragraphs[0].add_run().add_picture(io.BytesIO(qr_png(payload)), width=Cm(3.2))
    fill_cell(right, f"Kode verifikasi: {code}", bold=True, size=10)
    lines = [
        "Kode ini diturunkan dari nomor surat dan sidik SHA-256 berkas laporan versi "
        f"{final.source_version} yang disetujui:",
        source_sha,
    ]
    if payload != code:
        lines.append(f"Periksa keasliannya di {payload}")
    for line in lines:
        para(right, line, size=8)
    fix_widths(qr, [3.6, max(4.0, width_cm - 3.6)])
