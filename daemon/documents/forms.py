"""The unit's data-collection form (format pemantauan, SPEC §6.2): building it, and re-exporting
the reader.

`build_form` writes one unit's form for one cycle as DOCX (templates/formulir.docx) or XLSX
(openpyxl). Both carry the unit, the period, the deadline, how to reply, and ONE table whose
header row is the contract:

    No | Indikator Kinerja | Satuan | Target | Realisasi | Capaian (%) |
    Realisasi Anggaran (Rp) | Faktor Pendorong | Faktor Penghambat | Tindak Lanjut

with No, Indikator Kinerja, Satuan and Target pre-filled (Target is the indicator's
`target_for(period)`, Indonesian-formatted) and the rest empty. The form code
(`PANTAU:PK-2025-TW3:PEM:1`) is written as visible text ("Kode formulir: ..." under the table,
and in the DOCX footer) so it survives Word, LibreOffice, WPS and Google Docs, and in the core
properties (subject and keywords), which desktop suites keep.

Template variables of formulir.docx: kantor, period, cycle_code, unit, batas_waktu, balas_ke,
subject_hint, version, kode, logo, rows (each with no, indikator, satuan, target as text).

Reading a filled form back is in formread.py (`read_form`) and formcheck.py (`check_form`),
re-exported here.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

from daemon.core import formatting
from daemon.core.model import FormCode
from daemon.documents.contexts import FormSpec
from daemon.documents.formcheck import check_form
from daemon.documents.formread import FORM_HEADERS, ReadLimits, read_form
from daemon.documents.letters import logo_image
from daemon.documents.render import atomic_write, render_docx

__all__ = ["FORM_HEADERS", "ReadLimits", "build_form", "check_form", "form_code", "read_form"]


def form_code(spec: FormSpec) -> FormCode:
    return FormCode(spec.cycle_code, spec.unit.kode, spec.version)


def _rows(spec: FormSpec) -> list[dict[str, Any]]:
    rows = []
    for ind in spec.indicators:
        target = ind.target_for(spec.period)
        rows.append(
            {
                "no": ind.no,
                "indikator": ind.indikator,
                "satuan": ind.satuan,
                "target": formatting.angka(target) if target is not None else "",
                "target_value": target,
                "target_tahunan": formatting.angka(ind.target) if ind.target is not None else "-",
                "pagu": formatting.rupiah(ind.pagu) if ind.pagu else "-",
            }
        )
    return rows


def _properties(spec: FormSpec, code: FormCode) -> dict[str, str]:
    return {
        "title": f"Format Pemantauan Kinerja {spec.period.label} - {spec.unit.nama}",
        "subject": str(code),
        "keywords": f"{code}; Pantau; {spec.cycle_code}; {spec.unit.kode}",
        "author": spec.kantor.nama,
        "comments": f"Kode formulir: {code}. Jangan dihapus.",
    }


def build_form(
    spec: FormSpec,
    templates_dir: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    fmt: str = "docx",
) -> str:
    """Write the unit's form as `fmt` ("docx" or "xlsx") to `out_path`; return its sha256 hex."""
    code = form_code(spec)
    if fmt == "docx":
        ctx = {
            "kantor": spec.kantor,
            "period": spec.period,
            "cycle_code": spec.cycle_code,
            "unit": spec.unit,
            "batas_waktu": spec.batas_waktu,
            "balas_ke": spec.balas_ke,
            "subject_hint": spec.subject_hint,
            "version": spec.version,
            "kode": str(code),
            "rows": _rows(spec),
            "logo": "",
        }
        return render_docx(
            Path(templates_dir) / "formulir.docx",
            ctx,
            out_path,
            images={"logo": logo_image(spec.kantor.logo)},
            properties=_properties(spec, code),
        )
    if fmt == "xlsx":
        return atomic_write(out_path, _xlsx_bytes(spec, code))
    raise ValueError(f"format formulir {fmt!r} tidak dikenal: gunakan docx atau xlsx")


# --------------------------------------------------------------------------- XLSX

_WIDTHS = [6, 48, 12, 14, 14, 12, 22, 30, 30, 30]
_INPUT_COLUMNS = {5, 7, 8, 9, 10}  # Realisasi, Realisasi Anggaran, the factors, Tindak Lanjut


def _xlsx_bytes(spec: FormSpec, code: FormCode) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = "Formulir"
    bold = Font(bold=True)
    lines = [
        (f"FORMAT PEMANTAUAN KINERJA {spec.period.label.upper()}", Font(bold=True, size=13)),
        (spec.kantor.nama.upper(), bold),
        (f"Unit Kerja: {spec.unit.nama}", None),
        (
            f"Periode: {spec.period.label} ({formatting.tanggal(spec.period.start)} s.d. "
            f"{formatting.tanggal(spec.period.end)})",
            None,
        ),
        (f"Batas Waktu: {formatting.tanggal_waktu(spec.batas_waktu)}", None),
        (
            "Isi sel berwarna kuning: Realisasi, Realisasi Anggaran (Rp), Faktor Pendorong, Faktor "
            "Penghambat dan Tindak Lanjut. Angka ditulis sebagai angka (misalnya 85,5 atau "
            "1234500). Kolom Capaian (%) dihitung oleh sistem.",
            None,
        ),
        (
            f"Target dan Realisasi adalah angka kumulatif sejak awal tahun {spec.period.year} "
            f"sampai dengan {formatting.tanggal(spec.period.end)}.",
            None,
        ),
        *[
            (
                f"{i.no}. {i.indikator}: target tahun {spec.period.year} "
                f"{formatting.angka(i.target) if i.target is not None else '-'} {i.satuan}; "
                f"pagu {formatting.rupiah(i.pagu) if i.pagu else '-'}.",
                Font(size=9),
            )
            for i in spec.indicators
        ],
        (
            f"Simpan tetap dalam format XLSX, lalu kirim dengan membalas surel permintaan data "
            f"tanpa mengubah subjeknya ({spec.subject_hint})"
            + (f" ke alamat {spec.balas_ke}." if spec.balas_ke else "."),
            None,
        ),
    ]
    for text, font in lines:
        ws.append([text])
        if font:
            ws.cell(ws.max_row, 1).font = font
    ws.append([])
    ws.append(list(FORM_HEADERS))
    header_row = ws.max_row
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    fill = PatternFill("solid", fgColor="D9D9D9")
    input_fill = PatternFill("solid", fgColor="FFF2CC")  # the cells a unit fills
    for col in range(1, len(FORM_HEADERS) + 1):
        c = ws.cell(header_row, col)
        c.font, c.fill, c.border = bold, fill, border
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for row in _rows(spec):
        ws.append([row["no"], row["indikator"], row["satuan"], row["target_value"]] + [None] * 6)
        r = ws.max_row
        for col in range(1, len(FORM_HEADERS) + 1):
            c = ws.cell(r, col)
            c.border = border
            c.alignment = Alignment(vertical="top", wrap_text=True)
            if col in _INPUT_COLUMNS:
                c.fill = input_fill
                c.protection = Protection(locked=False)
        ws.cell(r, 7).number_format = "#,##0"
    ws.append([])
    ws.append([f"Kode formulir: {code}"])
    ws.cell(ws.max_row, 1).font = Font(size=8, color="808080")
    for i, w in enumerate(_WIDTHS, 1):
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.freeze_panes = ws.cell(header_row + 1, 1)
    # Only the shaded cells can be typed in (no password: the office can lift it in Excel).
    ws.protection.sheet = True
    ws.protection.formatCells = False
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    props = _properties(spec, code)
    wb.properties.title = props["title"]
    wb.properties.subject = props["subject"]
    wb.properties.keywords = props["keywords"]
    wb.properties.creator = props["author"]
    wb.properties.description = props["comments"]
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
