"""The indicator master (SPEC §6.1): which indicators each unit reports, with targets and budget.

Read from XLSX (the first sheet, or one named "indikator") or CSV (comma or semicolon, UTF-8 with
or without BOM; Windows-1252 as a fallback for files saved by an old Excel). The header row must
hold exactly the columns in `COLUMNS` (any order, case and spacing free). Numbers may be typed the
Indonesian way ("1.234,5", "Rp 12.500.000"). Every problem is collected and reported together,
each naming its row and column, in Indonesian.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from pathlib import Path

from daemon.core.formatting import parse_number
from daemon.core.model import Indicator

COLUMNS = (
    "unit",
    "no",
    "sasaran",
    "program",
    "kegiatan",
    "sub_kegiatan",
    "indikator",
    "satuan",
    "polaritas",
    "target",
    "target_tw1",
    "target_tw2",
    "target_tw3",
    "target_tw4",
    "pagu",
)
REQUIRED = ("unit", "no", "indikator", "satuan", "polaritas", "target")
POLARITIES = ("positif", "negatif")
NUMBER_COLUMNS = ("target", "target_tw1", "target_tw2", "target_tw3", "target_tw4", "pagu")


class IndicatorError(Exception):
    """The master cannot be used. `problems` lists each one in Indonesian, with its place."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))

    def __str__(self) -> str:
        return "daftar indikator bermasalah:\n" + "\n".join(f"- {p}" for p in self.problems)


def _norm_header(value: object) -> str:
    text = "" if value is None else str(value)
    text = text.replace("\ufeff", "").strip().lower()
    return re.sub(r"[\s\-]+", "_", text)


def _cell_text(value: object) -> str:
    """A cell as text: integral floats without '.0' (Excel stores 1 as 1.0)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(str(value).replace("\u00a0", " ").split())


# --------------------------------------------------------------------------- reading rows


def _read_xlsx(path: Path) -> list[tuple[int, list[object]]]:
    from openpyxl import load_workbook  # imported here: CSV users need not pay for it

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds for a broken file
        raise IndicatorError([f"berkas {path.name} bukan XLSX yang dapat dibaca: {e}"]) from e
    try:
        names = {n.strip().lower(): n for n in wb.sheetnames}
        ws = wb[names["indikator"]] if "indikator" in names else wb.worksheets[0]
        return [(n, list(row)) for n, row in enumerate(ws.iter_rows(values_only=True), start=1)]
    finally:
        wb.close()


def _read_csv(path: Path) -> list[tuple[int, list[object]]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max((";", ",", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return [(n, list(row)) for n, row in enumerate(reader, start=1)]


def _read_rows(path: Path) -> list[tuple[int, list[object]]]:
    if not path.is_file():
        raise IndicatorError([f"berkas daftar indikator {path} tidak ditemukan"])
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    if suffix in (".csv", ".txt"):
        return _read_csv(path)
    raise IndicatorError(
        [f"berkas {path.name}: jenis berkas tidak didukung, gunakan .xlsx atau .csv"]
    )


# --------------------------------------------------------------------------- validation


def _header(cells: list[object], rownum: int) -> tuple[dict[str, int], list[str]]:
    names = [_norm_header(c) for c in cells]
    problems: list[str] = []
    index: dict[str, int] = {}
    for i, name in enumerate(names):
        if not name:
            continue
        if name not in COLUMNS:
            problems.append(
                f"baris {rownum} (judul kolom): kolom \u201c{cells[i]}\u201d tidak dikenal"
            )
        elif name in index:
            problems.append(
                f"baris {rownum} (judul kolom): kolom \u201c{name}\u201d tertulis dua kali"
            )
        else:
            index[name] = i
    missing = [c for c in COLUMNS if c not in index]
    if missing:
        problems.append(
            f"baris {rownum} (judul kolom): kolom "
            + ", ".join(f"\u201c{c}\u201d" for c in missing)
            + " tidak ada"
        )
    if problems:
        problems.append("judul kolom yang diharapkan: " + ", ".join(COLUMNS))
    return index, problems


class _Row:
    """One data row of the master, with its spreadsheet row number for messages."""

    def __init__(self, rownum: int, cells: list[object], index: dict[str, int]):
        self.rownum, self.cells, self.index = rownum, cells, index

    def raw(self, col: str) -> object:
        i = self.index[col]
        return self.cells[i] if i < len(self.cells) else None

    def text(self, col: str) -> str:
        return _cell_text(self.raw(col))

    def where(self, col: str) -> str:
        return f"baris {self.rownum}, kolom \u201c{col}\u201d"


def _parse_row(
    row: _Row, unit_lookup: dict[str, str] | None, warnings: list[str] | None
) -> tuple[Indicator | None, list[str]]:
    problems: list[str] = []
    for col in REQUIRED:
        if not row.text(col):
            problems.append(f"{row.where(col)}: wajib diisi")

    unit = row.text("unit")
    if unit and unit_lookup is not None:
        if unit.upper() in unit_lookup:
            unit = unit_lookup[unit.upper()]
        else:
            problems.append(
                f"{row.where('unit')}: \u201c{unit}\u201d bukan kode unit yang terdaftar ("
                + ", ".join(sorted(unit_lookup.values()))
                + ")"
            )

    polaritas = row.text("polaritas").lower()
    if polaritas and polaritas not in POLARITIES:
        problems.append(
            f"{row.where('polaritas')}: \u201c{row.text('polaritas')}\u201d tidak dikenal, "
            "isi positif atau negatif"
        )

    numbers: dict[str, float | None] = {}
    for col in NUMBER_COLUMNS:
        value = row.raw(col)
        parsed = parse_number(value)
        shown = _cell_text(value)
        if parsed.error:
            problems.append(f"{row.where(col)}: \u201c{shown}\u201d {parsed.error}")
        elif parsed.value is not None and parsed.value < 0:
            problems.append(f"{row.where(col)}: {shown} tidak boleh negatif")
        else:
            if parsed.ambiguous and warnings is not None:
                warnings.append(
                    f"{row.where(col)}: \u201c{shown}\u201d dibaca sebagai {parsed.value:g} "
                    "(titik pemisah ribuan, koma pemisah desimal)"
                )
            numbers[col] = parsed.value
    if problems:
        return None, problems

    tw = tuple(numbers[f"target_tw{q}"] for q in (1, 2, 3, 4))
    present = [t for t in tw if t is not None]
    if warnings is not None and any(b < a for a, b in zip(present, present[1:], strict=False)):
        warnings.append(
            f"baris {row.rownum}: target triwulan menurun ("
            + ", ".join(f"{t:g}" for t in present)
            + "); target_tw1 sampai target_tw4 adalah rencana kumulatif"
        )
    return (
        Indicator(
            unit=unit,
            no=row.text("no"),
            sasaran=row.text("sasaran"),
            program=row.text("program"),
            kegiatan=row.text("kegiatan"),
            sub_kegiatan=row.text("sub_kegiatan"),
            indikator=row.text("indikator"),
            satuan=row.text("satuan"),
            polaritas=polaritas,
            target=numbers["target"],
            target_tw=tw,  # type: ignore[arg-type]
            pagu=numbers["pagu"],
        ),
        [],
    )


def load_indicators(
    path: str | Path,
    units: Iterable[str] | None = None,
    warnings: list[str] | None = None,
) -> list[Indicator]:
    """Read the indicator master. `units`: the configured unit codes; when given, every row's
    unit must be one of them (case-insensitive; the configured spelling is kept). Ambiguous
    numbers (1.234) are read the Indonesian way and noted in `warnings` when a list is passed,
    as are cumulative quarterly targets that go down. Raises IndicatorError listing every
    problem."""
    path = Path(path)
    rows = [(n, cells) for n, cells in _read_rows(path) if any(_cell_text(c) for c in cells)]
    if not rows:
        raise IndicatorError([f"berkas {path.name} kosong: tidak ada judul kolom maupun indikator"])
    (head_num, head_cells), body = rows[0], rows[1:]
    index, problems = _header(head_cells, head_num)
    if problems:
        raise IndicatorError(problems)
    unit_lookup = {u.strip().upper(): u.strip() for u in units} if units is not None else None

    result: list[Indicator] = []
    seen: dict[tuple[str, str], int] = {}
    for rownum, cells in body:
        row = _Row(rownum, cells, index)
        indicator, row_problems = _parse_row(row, unit_lookup, warnings)
        key = (row.text("unit").upper(), row.text("no"))
        if all(key):
            if key in seen:
                row_problems.append(
                    f"{row.where('no')}: nomor {key[1]} untuk unit {row.text('unit')} sudah "
                    f"dipakai di baris {seen[key]}"
                )
            else:
                seen[key] = rownum
        if row_problems:
            problems.extend(row_problems)
        elif indicator is not None:
            result.append(indicator)
    if problems:
        raise IndicatorError(problems)
    if not result:
        raise IndicatorError([f"berkas {path.name}: belum ada indikator di bawah judul kolom"])
    return result


def indicators_for(unit: str, all: Iterable[Indicator]) -> list[Indicator]:  # noqa: A002
    """The indicators of one unit, in the master's order."""
    return [i for i in all if i.unit == unit]


def units_without_indicators(units: Iterable[str], all: Iterable[Indicator]) -> list[str]:
    """Configured units that have no indicator in the master (for `pantau check`)."""
    have = {i.unit for i in all}
    return [u for u in units if u not in have]
