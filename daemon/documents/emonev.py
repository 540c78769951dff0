"""The e-Monev / e-project export (SPEC §6.6): one row per indicator in the columns of the
quarterly Renja evaluation, as XLSX and CSV.

Columns: No, Unit, Program, Kegiatan, Sub Kegiatan, Indikator Kinerja, Satuan, Target (the
indicator's annual Renja target), Target Kumulatif s.d. Periode Ini (the period's cumulative plan),
Realisasi TW I, Realisasi TW II, Realisasi TW III, Realisasi TW IV, Capaian (%), Pagu (Rp),
Realisasi Anggaran (Rp), Capaian Anggaran (%), Faktor Pendorong, Faktor Penghambat, Tindak Lanjut.

XLSX: numbers are real numbers (not text), shown with number formats (`#,##0.00`) that an
Indonesian Excel/LibreOffice displays as 1.234,50; the header row is frozen and filterable.

CSV: UTF-8 with a byte-order mark and `;` as separator, numbers with a decimal comma and no
thousands separator (1234,5): what Excel with Indonesian regional settings opens directly
(it expects `;` because `,` is the decimal mark), and what re-entry tools parse without guessing.
Empty values are empty fields. Capaian Anggaran is realisasi anggaran / pagu x 100. Every
number is rounded as it is shown (two decimals at most), so no float noise (89.99999999999999)
reaches the file.
"""

from __future__ import annotations

import csv
import io
import os

from daemon.core.model import Period
from daemon.documents.contexts import EmonevRow
from daemon.documents.render import atomic_write

COLUMNS = [
    "No",
    "Unit",
    "Program",
    "Kegiatan",
    "Sub Kegiatan",
    "Indikator Kinerja",
    "Satuan",
    "Target",
    "Target Kumulatif s.d. Periode Ini",
    "Realisasi TW I",
    "Realisasi TW II",
    "Realisasi TW III",
    "Realisasi TW IV",
    "Capaian (%)",
    "Pagu (Rp)",
    "Realisasi Anggaran (Rp)",
    "Capaian Anggaran (%)",
    "Faktor Pendorong",
    "Faktor Penghambat",
    "Tindak Lanjut",
]
_NUMERIC = {
    "Target",
    "Target Kumulatif s.d. Periode Ini",
    "Realisasi TW I",
    "Realisasi TW II",
    "Realisasi TW III",
    "Realisasi TW IV",
    "Capaian (%)",
    "Pagu (Rp)",
    "Realisasi Anggaran (Rp)",
    "Capaian Anggaran (%)",
}
_WIDTHS = [5, 24, 32, 32, 32, 40, 10, 12, 14, 12, 12, 12, 12, 11, 18, 18, 11, 30, 30, 30]


def _r(x: float | int | None) -> float | None:
    """Rounded as shown: two decimals at most."""
    return None if x is None else round(float(x), 2)


def capaian_anggaran(row: EmonevRow) -> float | None:
    if row.pagu in (None, 0) or row.realisasi_anggaran is None:
        return None
    return _r(row.realisasi_anggaran / row.pagu * 100.0)


def _values(no: int, row: EmonevRow) -> list:
    tw = list(row.realisasi_tw) + [None] * (4 - len(row.realisasi_tw))
    unit = (
        f"{row.unit_nama} ({row.unit})"
        if row.unit_nama and row.unit
        else (row.unit_nama or row.unit)
    )
    return [
        no,
        unit,
        row.program,
        row.kegiatan,
        row.sub_kegiatan,
        row.indikator,
        row.satuan,
        _r(row.target),
        _r(row.target_periode),
        *(_r(x) for x in tw[:4]),
        _r(row.capaian),
        _r(row.pagu),
        _r(row.realisasi_anggaran),
        capaian_anggaran(row),
        row.faktor_pendorong,
        row.faktor_penghambat,
        row.tindak_lanjut,
    ]


def _csv_number(x: float | int | None) -> str:
    if x is None:
        return ""
    x = float(x)
    x = round(x, 2)
    text = f"{x:.0f}" if x == int(x) else f"{x:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def csv_bytes(rows: list[EmonevRow]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(COLUMNS)
    for i, row in enumerate(rows, 1):
        values = _values(i, row)
        writer.writerow(
            [
                _csv_number(v) if col in _NUMERIC else ("" if v is None else v)
                for col, v in zip(COLUMNS, values, strict=True)
            ]
        )
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def xlsx_bytes(rows: list[EmonevRow], period: Period) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = f"Renja {period.code}"[:31]
    ws.append(COLUMNS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="D9D9D9")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    formats = {
        "Pagu (Rp)": "#,##0.00",
        "Realisasi Anggaran (Rp)": "#,##0.00",
        "Capaian (%)": "#,##0.00",
        "Capaian Anggaran (%)": "#,##0.00",
    }
    for i, row in enumerate(rows, 1):
        ws.append(_values(i, row))
        r = ws.max_row
        for c, col in enumerate(COLUMNS, 1):
            cell = ws.cell(r, c)
            if col in formats:
                cell.number_format = formats[col]
            elif col not in _NUMERIC:  # targets and realisasi keep "General": 85 or 85,5
                cell.alignment = Alignment(vertical="top", wrap_text=True)
    for i, w in enumerate(_WIDTHS, 1):
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{max(1, ws.max_row)}"
    wb.properties.title = f"Data Evaluasi Renja {period.label}"
    wb.properties.subject = f"e-Monev {period.code}"
    wb.properties.keywords = f"Pantau; e-Monev; PK-{period.code}"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def write_emonev(
    rows: list[EmonevRow],
    period: Period,
    xlsx_path: str | os.PathLike[str],
    csv_path: str | os.PathLike[str],
) -> tuple[str, str]:
    """Write the export as XLSX and CSV (atomically); return (sha256 of xlsx, sha256 of csv)."""
    return (
        atomic_write(xlsx_path, xlsx_bytes(rows, period)),
        atomic_write(csv_path, csv_bytes(rows)),
    )
