"""Finding the form's table among a file's grids, and the cell texts the reader compares.

The table is found by its header text (case, spacing and punctuation free; columns may be
reordered, extra columns are ignored; the header need not be the first row; "Target 2025" and
"Realisasi s.d. TW III" are recognised by their prefix). A DOCX table continued by another (same
header columns, or no header and the same width with nothing but "(lanjutan)" between, SPEC
§6.2) is joined to it, so the reader sees one table.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from daemon.core import formatting
from daemon.documents.xmlgrid import Grid

FORM_HEADERS = (
    "No",
    "Indikator Kinerja",
    "Satuan",
    "Target",
    "Realisasi",
    "Capaian (%)",
    "Realisasi Anggaran (Rp)",
    "Faktor Pendorong",
    "Faktor Penghambat",
    "Tindak Lanjut",
)
KEYS = (
    "no",
    "indikator",
    "satuan",
    "target",
    "realisasi",
    "capaian",
    "realisasi_anggaran",
    "faktor_pendorong",
    "faktor_penghambat",
    "tindak_lanjut",
)
# normalised header text (lower case, letters and digits only) -> column key
_ALIASES = {
    "no": "no",
    "nomor": "no",
    "nourut": "no",
    "indikatorkinerja": "indikator",
    "indikator": "indikator",
    "indikatorkinerjautama": "indikator",
    "satuan": "satuan",
    "target": "target",
    "realisasi": "realisasi",
    "realisasikinerja": "realisasi",
    "realisasifisik": "realisasi",
    "capaian": "capaian",
    "capaiankinerja": "capaian",
    "persentasecapaian": "capaian",
    "realisasianggaran": "realisasi_anggaran",
    "realisasianggaranrp": "realisasi_anggaran",
    "realisasikeuangan": "realisasi_anggaran",
    "realisasikeuanganrp": "realisasi_anggaran",
    "faktorpendorong": "faktor_pendorong",
    "faktorpenghambat": "faktor_penghambat",
    "tindaklanjut": "tindak_lanjut",
    "rencanatindaklanjut": "tindak_lanjut",
}
_NORM = re.compile(r"[^0-9a-z]+")
WS = re.compile(r"\s+")


# the visible text between two tables that continue each other: nothing, or "(lanjutan)"
_CONTINUED = re.compile(r"^\(?\s*(lanjutan|sambungan|bersambung|continued|halaman)\b.*$", re.I)

Cell = str | float | None


def norm(text: Cell) -> str:
    return _NORM.sub("", str(text).casefold()) if text is not None else ""


# header prefixes for headers with a suffix ("Target 2025", "Realisasi s.d. TW III"); None: a
# column we must not mistake for one of ours ("Capaian Anggaran")
_PREFIXES = (
    ("realisasianggaran", "realisasi_anggaran"),
    ("realisasikeuangan", "realisasi_anggaran"),
    ("capaiananggaran", None),
    ("capaiankeuangan", None),
    ("target", "target"),
    ("realisasi", "realisasi"),
    ("capaian", "capaian"),
)


# Normalising the first HEAD_CHARS characters of a cell is enough to tell whether it can be a
# header: normalisation works character by character, so it gives a prefix of the whole cell's
# normalised text, and once that prefix is longer than every alias only the prefixes below can
# match. Data rows are checked for repeated headers, and their long factor texts need not be
# normalised whole.
_LONGEST_ALIAS = max(len(a) for a in _ALIASES)
HEAD_CHARS = 64


def header_map(row: list[Cell]) -> dict[str, int]:
    found: dict[str, int] = {}
    for i, cell in enumerate(row):
        if not isinstance(cell, str):
            continue
        n = norm(cell[:HEAD_CHARS])
        if len(n) <= _LONGEST_ALIAS and len(cell) > HEAD_CHARS:
            n = norm(cell)
        key = _ALIASES.get(n)
        if key is None:
            for prefix, k in _PREFIXES:
                if n.startswith(prefix):
                    key = k
                    break
        if key and key not in found:
            found[key] = i
    return found


def cell_text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float):
        return formatting.angka(cell) if cell != int(cell) else str(int(cell))
    return WS.sub(" ", cell).strip()


def multiline(cell: Cell) -> str:
    if isinstance(cell, str):
        return "\n".join(WS.sub(" ", line).strip() for line in cell.splitlines() if line.strip())
    return cell_text(cell)


def is_header(cols: dict[str, int]) -> bool:
    return "realisasi" in cols and ("indikator" in cols or "no" in cols)


def find_table(tables: Iterable[list[list[Cell]]]):
    """The first table with a header row holding Realisasi and Indikator or No (a DOCX table
    joined with the tables that continue it)."""
    for t, grid in enumerate(tables):
        for r, row in enumerate(grid[:30]):
            cols = header_map(row)
            if is_header(cols):
                if isinstance(grid, Grid) and isinstance(tables, list):
                    grid = _joined(tables, t, r, cols)
                return grid, r, cols
    return None


def _joined(tables: list, t: int, header_at: int, cols: dict[str, int]) -> list[list[Cell]]:
    """The form's table followed by the tables that continue it (SPEC §6.2): one with a header
    row of the same columns (its rows are put in this table's column order), or one without a
    header, of the same width, separated from it by nothing visible but "(lanjutan)"."""
    out = list(tables[t])
    width = len(tables[t][header_at])
    for nxt in tables[t + 1 :]:
        head = None
        for r, row in enumerate(nxt[:5]):
            found = header_map(row)
            if is_header(found):
                head = (r, found)
                break
        if head is not None:
            if set(head[1]) != set(cols):
                break
            for row in nxt[head[0] + 1 :]:
                moved: list[Cell] = [None] * width
                for key, i in head[1].items():
                    if i < len(row) and cols[key] < width:
                        moved[cols[key]] = row[i]
                out.append(moved)
            continue
        gap = getattr(nxt, "gap", None)
        if (
            gap is not None
            and all(not line.strip() or _CONTINUED.match(line.strip()) for line in gap.split("\n"))
            and nxt
            and max(len(row) for row in nxt) == width
        ):
            out.extend(nxt)
            continue
        break
    return out
