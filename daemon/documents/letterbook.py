"""The registers as the office's buku agenda (SPEC §6.7): `pantau register ... --xlsx FILE`.

Unlike `--json`/`--csv` (which keep the §4 field names for programs), the XLSX is for people:
headers in words ("Nomor Surat", "Tanggal Surat"), dates as real dates shown the Indonesian way
("6 Oktober 2025", via the Indonesian locale code [$-421] that Excel and LibreOffice honour), the
header row frozen and filtered, columns wide enough to read, long text wrapped, and no
`message_id` column (a Message-ID lets a reply be aimed at a task, SPEC §3.1).
"""

from __future__ import annotations

import io
import os
from datetime import date, datetime
from typing import Any

from daemon.documents.render import atomic_write

HEADERS = {
    "keluar": [
        ("no", "No. Urut", 9),
        ("nomor_surat", "Nomor Surat", 28),
        ("tanggal_surat", "Tanggal Surat", 18),
        ("tanggal_kirim", "Tanggal Kirim", 22),
        ("tujuan", "Tujuan", 30),
        ("perihal", "Perihal", 55),
        ("lampiran", "Lampiran", 16),
        ("kode_klasifikasi", "Kode Klasifikasi", 16),
        ("siklus", "Siklus", 15),
        ("langkah", "Langkah", 10),
        ("berkas", "Berkas Arsip", 50),
        ("keterangan", "Keterangan", 35),
    ],
    "masuk": [
        ("no", "No. Agenda", 10),
        ("tanggal_terima", "Tanggal Terima", 22),
        ("nomor_surat", "Nomor Surat", 22),
        ("tanggal_surat", "Tanggal Surat", 18),
        ("pengirim", "Pengirim", 38),
        ("perihal", "Perihal", 55),
        ("lampiran", "Lampiran", 12),
        ("siklus", "Siklus", 15),
        ("langkah", "Langkah", 10),
        ("berkas", "Berkas Arsip", 50),
        ("disposisi", "Disposisi", 22),
        ("keterangan", "Keterangan", 40),
    ],
}
DATE_FORMAT = "[$-421]d mmmm yyyy"
DATETIME_FORMAT = "[$-421]d mmmm yyyy hh.mm"
_DATES = {"tanggal_surat"}
_DATETIMES = {"tanggal_kirim", "tanggal_terima"}
_WRAP = {"perihal", "berkas", "keterangan", "tujuan", "pengirim"}


def _when(value: Any, with_time: bool) -> date | datetime | None:
    """A register's ISO text as a date (or a naive local datetime: the office's own clock)."""
    if not value:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) if with_time else value.date()
    try:
        dt = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return dt.replace(tzinfo=None) if with_time else dt.date()


def _berkas(value: Any) -> str:
    if isinstance(value, list):
        return "\n".join(str(x.get("nama", "")) if isinstance(x, dict) else str(x) for x in value)
    return "" if value is None else str(value)


def letterbook_xlsx(rows: list[dict], which: str, title: str = "") -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    cols = HEADERS[which]
    wb = Workbook()
    ws = wb.active
    ws.title = "Agenda Surat Keluar" if which == "keluar" else "Agenda Surat Masuk"
    ws.append([label for _, label, _ in cols])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="D9D9D9")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for r in rows:
        values: list[Any] = []
        for key, _, _ in cols:
            v = r.get(key)
            if key in _DATES:
                values.append(_when(v, with_time=False))
            elif key in _DATETIMES:
                values.append(_when(v, with_time=True))
            elif key == "no":
                values.append(v)
            elif key == "berkas":
                values.append(_berkas(v))
            else:
                values.append("" if v is None else str(v))
        ws.append(values)
        row = ws.max_row
        for c, (key, _, _) in enumerate(cols, 1):
            cell = ws.cell(row, c)
            if key in _DATES:
                cell.number_format = DATE_FORMAT
            elif key in _DATETIMES:
                cell.number_format = DATETIME_FORMAT
            cell.alignment = Alignment(vertical="top", wrap_text=key in _WRAP,
                                       horizontal="center" if key in ("no", "langkah") else None)
    for i, (_, _, width) in enumerate(cols, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(cols))}{max(1, ws.max_row)}"
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    wb.properties.title = title or ws.title
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def write_letterbook(rows: list[dict], which: str, path: str | os.PathLike[str],
                     title: str = "") -> str:
    """Write the buku agenda XLSX atomically; return its sha256 hex."""
    return atomic_write(path, letterbook_xlsx(rows, which, title))
