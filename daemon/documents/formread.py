"""Reading a filled form (DOCX or XLSX) back, and checking it against the unit's indicators.

`read_form(data, filename)` never raises: whatever arrives (a filled form, a PDF scan, a photo,
a zip bomb, an XML bomb, random bytes) gives a `FormResult` whose errors and warnings are
Indonesian sentences with their place (row = the form's No, indikator, column header, value).

It reads the XML directly with lxml (about 1 ms per form; python-docx costs ~11 ms) through the
hardened parser and zip checks of safezip.py. The embedded code (`PANTAU:PK-2025-TW3:PEM:1`) is
looked for in the body text, the headers and footers, then the core properties. The table is found
by its header text (case, spacing and punctuation free; columns may be reordered, extra columns
are ignored; the header need not be the first row); merged cells (gridSpan, vMerge; merged ranges
in XLSX) are expanded; blank rows and a "(1) (2) (3)" column-number row are skipped. Realisasi
and Realisasi Anggaran must be numbers (Realisasi must be filled); Target and Capaian (%) are
informative (Pantau uses the master's target and computes the achievement), so a problem there is
only a warning. An ambiguous number ("1.234") is a warning saying how it was read.

What the person sees is read (SPEC §6.2; xmlgrid.py gives the visible cell text and XLSX values
through their number format): a DOCX table continued by another (same header columns, or no
header and the same width with nothing but "(lanjutan)" between) is one table; a row without a
number and without figures is a note (`FormResult.notes`); a total row (JUMLAH, TOTAL,
Rata-rata) is ignored; "85 persen", "±85", "100 (seratus)" (the words must say the number) and a
number followed by the row's own unit ("12 desa") are read with a warning; a date-formatted XLSX
cell in a number column is an error naming the date. Wrong files (.doc, ODT, PDF, photos) are
named by wrongfile.describe.

`check_form(result, expected, indicators)` adds what needs the cycle's knowledge: another unit's
or another period's form, an older version, rows that match no indicator, indicators missing from
the form. It returns rows in the master's order, numbered and named as in the master.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace

from daemon.core import formatting
from daemon.core.model import FormCode, FormProblem, FormResult, FormRow, Indicator, Period
from daemon.documents.safezip import NOT_A_FORM, Package, ReadLimits, UnsafeFile, is_zip
from daemon.documents.wrongfile import describe
from daemon.documents.xmlgrid import (
    Grid,
    Marked,
    SeenDate,
    ShownAs,
    docx_tables,
    docx_texts,
    xlsx_sheets,
    xlsx_texts,
)

__all__ = ["FORM_HEADERS", "ReadLimits", "check_form", "read_form"]

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
_KEYS = (
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
_WS = re.compile(r"\s+")
_COLNUM = re.compile(r"^\(?\d{1,2}\)?$")
_NO_LIKE = re.compile(r"^[\w.\-]{1,10}$")  # what an indicator number looks like: 1, 1.2, 3.
_DIGIT = re.compile(r"\d")
# a total row's label, normalised: "JUMLAH", "Total", "Jumlah Keseluruhan", "Rata-rata"
_TOTAL = re.compile(
    r"^(sub)?(jumlah|total|grandtotal|ratarata)(total|keseluruhan|seluruhnya|ratarata|capaian|"
    r"realisasi|anggaran)*$"
)
# the visible text between two tables that continue each other: nothing, or "(lanjutan)"
_CONTINUED = re.compile(r"^\(?\s*(lanjutan|sambungan|bersambung|continued|halaman)\b.*$", re.I)

Cell = str | float | None


def _norm(text: Cell) -> str:
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


# Normalising the first _HEAD_CHARS characters of a cell is enough to tell whether it can be a
# header: normalisation works character by character, so it gives a prefix of the whole cell's
# normalised text, and once that prefix is longer than every alias only the prefixes below can
# match. Data rows are checked for repeated headers, and their long factor texts need not be
# normalised whole.
_LONGEST_ALIAS = max(len(a) for a in _ALIASES)
_HEAD_CHARS = 64


def _header_map(row: list[Cell]) -> dict[str, int]:
    found: dict[str, int] = {}
    for i, cell in enumerate(row):
        if not isinstance(cell, str):
            continue
        n = _norm(cell[:_HEAD_CHARS])
        if len(n) <= _LONGEST_ALIAS and len(cell) > _HEAD_CHARS:
            n = _norm(cell)
        key = _ALIASES.get(n)
        if key is None:
            for prefix, k in _PREFIXES:
                if n.startswith(prefix):
                    key = k
                    break
        if key and key not in found:
            found[key] = i
    return found


def _text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float):
        return formatting.angka(cell) if cell != int(cell) else str(int(cell))
    return _WS.sub(" ", cell).strip()


def _multiline(cell: Cell) -> str:
    if isinstance(cell, str):
        return "\n".join(_WS.sub(" ", line).strip() for line in cell.splitlines() if line.strip())
    return _text(cell)


def _is_header(cols: dict[str, int]) -> bool:
    return "realisasi" in cols and ("indikator" in cols or "no" in cols)


def _find_table(tables: Iterable[list[list[Cell]]]):
    """The first table with a header row holding Realisasi and Indikator or No (a DOCX table
    joined with the tables that continue it)."""
    for t, grid in enumerate(tables):
        for r, row in enumerate(grid[:30]):
            cols = _header_map(row)
            if _is_header(cols):
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
            found = _header_map(row)
            if _is_header(found):
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


# --------------------------------------------------------------------------- read_form


def read_form(data: bytes, filename: str = "", limits: ReadLimits = ReadLimits()) -> FormResult:
    """Read a filled form (DOCX or XLSX); never raises (see the module docstring).

    `filename` is informative only (the content decides what the file is; it is never used as a
    path); `limits` bounds what a zip may expand to."""
    try:
        return _read(data, limits)
    except UnsafeFile as exc:
        return FormResult(None, errors=[FormProblem(str(exc))])
    except Exception as exc:  # noqa: BLE001 - a form must never crash the pipeline
        return FormResult(
            None,
            errors=[
                FormProblem(
                    f"berkas tidak dapat dibaca sebagai formulir ({type(exc).__name__}); kirimkan "
                    "formulir DOCX yang dikirim Pantau setelah diisi"
                )
            ],
        )


def _read(data: bytes, limits: ReadLimits) -> FormResult:
    if not is_zip(data):
        return FormResult(None, errors=[FormProblem(describe(data) or NOT_A_FORM)])
    pkg = Package(data, limits)
    names = set(pkg.names())
    if "word/document.xml" in names or any(n.startswith("word/") for n in names):
        tables, texts = docx_tables(pkg), docx_texts
    elif "xl/workbook.xml" in names or any(n.startswith("xl/") for n in names):
        if any(n.endswith(".bin") and n.startswith("xl/worksheets/") for n in names):
            return FormResult(
                None,
                errors=[
                    FormProblem(
                        "berkas Excel biner (.xlsb) tidak dapat dibaca; simpan sebagai XLSX"
                    )
                ],
            )
        tables, texts = xlsx_sheets(pkg), xlsx_texts
    elif pkg.read("mimetype") and b"opendocument" in (pkg.read("mimetype") or b""):
        return FormResult(None, errors=[FormProblem(describe(data) or NOT_A_FORM)])
    else:
        return FormResult(None, errors=[FormProblem(NOT_A_FORM)])
    code = None
    for text in texts(pkg):
        code = FormCode.find(text)
        if code:
            break
    found = _find_table(tables)
    if found is None:
        return FormResult(code, errors=[FormProblem(NOT_A_FORM)])
    grid, header_at, cols = found
    result = FormResult(code)
    header = [_text(c) for c in grid[header_at]]
    for index, row in enumerate(grid[header_at + 1 :], start=header_at + 2):
        form_row = _row(row, cols, header, index, result)
        if form_row is not None:
            result.rows.append(form_row)
    if not result.rows:
        result.errors.append(
            FormProblem(
                "tabel formulir tidak berisi baris indikator; isi baris indikator yang tersedia"
            )
        )
    return result


def _cell(row: list[Cell], cols: dict[str, int], key: str) -> Cell:
    i = cols.get(key)
    return row[i] if i is not None and i < len(row) else None


_EXPECT = {  # what is said after the reason, per column
    "realisasi": "",
    "realisasi_anggaran": " Untuk anggaran tulis nilai rupiah, misalnya 1.234.500 atau "
    "Rp1.234.500.",
    "target": " Target diambil dari data master; kolom ini tidak perlu diubah.",
    "capaian": " Capaian dihitung oleh Pantau; kolom ini boleh dikosongkan.",
}


def _not_a_number(reason: str) -> str:
    """'Isian ini bukan angka; gunakan ...' from parse_number's 'bukan angka: gunakan ...'."""
    head, _, advice = reason.partition(":")
    advice = f";{advice}" if advice else ""
    if head.strip() == "bukan angka":
        return f"isian ini bukan angka{advice}."
    return f"isian ini tidak dapat dibaca sebagai angka ({head.strip()}){advice}."


def _reading(value: float) -> str:
    """'1.234 (seribu dua ratus tiga puluh empat)' for whole numbers, else '1,234'."""
    if value.is_integer() and abs(value) < 10**15:
        return f"{formatting.angka(value)} ({formatting.terbilang(int(value))})"
    return formatting.angka(value)


_PLUSMINUS = re.compile(r"^(?:\u00b1|\+\s*/\s*-|\+\s*-)\s*")
_PAREN = re.compile(r"^(.*?\d%?)\s*\(\s*([^()]*?)\s*\)$")
_PERSEN = re.compile(r"^(.*?\d)\s*(?:persen|prosen)$", re.I)
_SUFFIX = re.compile(r"^(.*?\d)\s+([^\W\d_].*)$")
_NUMBER_WORDS = re.compile(
    r"\b(nol|satu|dua|tiga|empat|lima|enam|tujuh|delapan|sembilan|sepuluh|sebelas|seratus|seribu|"
    r"belas|puluh|ratus|ribu|juta|miliar|koma)\b"
)
_DIGIT_WORDS = ("nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan",
                "sembilan")


def _said(value: float) -> str:
    """How the number is said, for comparing with "(seratus)": 'delapan puluh lima koma lima'."""
    whole = formatting.terbilang(int(value))
    text = formatting.angka(value)
    if "," in text:
        whole += " koma " + " ".join(_DIGIT_WORDS[int(d)] for d in text.split(",", 1)[1])
    return whole


def _words_key(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.casefold().replace("persen", "").replace("rupiah", ""))


def _lenient(raw: str, satuan: str, key: str) -> tuple[str, list[str], str | None]:
    """Strip what a person writes around a number and SPEC §6.2 reads with a warning: '±85',
    '85 persen', '100 (seratus)', '12 dokumen' (the row's own unit). Returns (the number text,
    what was left out, an error when the words said contradict the number or name another
    unit)."""
    text, notes = raw, []
    m = _PLUSMINUS.match(text)
    if m and len(text) > m.end():
        text = text[m.end() :]
        notes.append("tanda \u00b1 diabaikan")
    words = None
    m = _PAREN.match(text)
    if m and _NUMBER_WORDS.search(m.group(2).casefold()):
        text, words = m.group(1).strip(), m.group(2)
    m = _PERSEN.match(text)
    if m:
        text = m.group(1).strip()
        notes.append("kata \u201cpersen\u201d dibaca sebagai %")
    m = _SUFFIX.match(text)
    if m and not text.lower().startswith("rp") or (m and key == "realisasi_anggaran"):
        suffix = m.group(2).strip()
        own = {_WS.sub(" ", satuan.casefold()).strip()} if satuan else set()
        if key == "realisasi_anggaran":
            own |= {"rupiah", "rp"}
        if _WS.sub(" ", suffix.casefold()).strip().rstrip(".") in own:
            text = m.group(1).strip()
            notes.append(f"satuan \u201c{suffix}\u201d diabaikan")
        elif not _NUMBER_WORDS.search(suffix.casefold()):
            said = f" (\u201c{satuan}\u201d)" if satuan else ""
            return text, notes, (
                f"satuan \u201c{suffix}\u201d tidak sama dengan satuan indikator ini{said}; tulis "
                "angkanya saja."
            )
    if words is not None:
        parsed = formatting.parse_number(text)
        if parsed.value is not None and not parsed.error and abs(parsed.value) < 10**15:
            if _words_key(_said(abs(parsed.value))) != _words_key(words):
                return text, notes, (
                    f"angka {formatting.angka(parsed.value)} tidak sama dengan tulisannya "
                    f"(\u201c{words}\u201d); tulis angka yang dimaksud saja."
                )
            notes.append(f"tulisan \u201c({words})\u201d sesuai dengan angkanya")
    return text, notes, None


_PERSEN_WORD = re.compile(r"\b(?:persen|prosen)\b", re.I)
_RUPIAH = re.compile(r"^\s*(?:rp|idr)\b|\brupiah\b", re.I)


def _is_percent(satuan: str) -> bool:
    return "%" in satuan or bool(_PERSEN_WORD.search(satuan))


def _wrong_kind(text: str, satuan: str, key: str) -> str | None:
    """A figure of another kind than the column asks for (review of issue 11): a percentage in
    Realisasi Anggaran (Rp) would be taken as that many rupiah, rupiah in the Realisasi of an
    indicator not counted in rupiah as that many of its unit. Both are refused, saying why."""
    if key == "realisasi_anggaran" and ("%" in text or _PERSEN_WORD.search(text)):
        return ("isian ini berupa persen, sedangkan kolom ini meminta nilai rupiah realisasi "
                "anggaran (misalnya 1.234.500); persentase serapan dihitung oleh Pantau.")
    if key == "realisasi" and _RUPIAH.search(text) and not _RUPIAH.search(satuan or "") \
            and "rupiah" not in (satuan or "").casefold():
        said = f" (\u201c{satuan}\u201d)" if satuan else ""
        return ("isian ini berupa nilai rupiah, sedangkan satuan indikator ini bukan rupiah"
                f"{said}; nilai rupiah ditulis di kolom Realisasi Anggaran (Rp), dan kolom "
                "Realisasi diisi dengan angka menurut satuan indikator.")
    return None


def _row(
    row: list[Cell], cols: dict[str, int], header: list[str], index: int, result: FormResult
) -> FormRow | None:
    texts = {k: _text(_cell(row, cols, k)) for k in _KEYS}
    if not any(texts.values()):
        return None  # blank row
    present = [t for t in texts.values() if t]
    if all(_COLNUM.match(t) for t in present) and len(present) >= 3:
        return None  # "(1) (2) (3) ..." column-number row
    header_like = _header_map(row)
    if _is_header(header_like):
        return None  # a repeated header row
    numbered = bool(texts["no"]) and _NO_LIKE.match(texts["no"]) and _DIGIT.search(texts["no"])
    label = texts["no"] or texts["indikator"] or texts["satuan"]
    if not numbered and _TOTAL.match(_norm(label[:_HEAD_CHARS])):
        return None  # a total row (JUMLAH, TOTAL): Pantau computes its own
    figures = ("target", "realisasi", "capaian", "realisasi_anggaran")
    if not numbered and not any(texts[k] for k in figures):
        seen: list[str] = []
        for cell in row:  # merged cells repeat their text; keep each text once
            t = _text(cell)
            if t and t not in seen:
                seen.append(t)
        if not _NO_LIKE.match(texts["no"]) or texts["indikator"]:
            result.notes.append(" ".join(seen)[:500])
        return None  # a note ("Keterangan: ...") or a sub-heading row, not an indicator
    no = texts["no"].rstrip(".")
    place = no or None
    lead = "" if no else f"baris tabel ke-{index} (tanpa nomor): "
    indikator = texts["indikator"]
    out = FormRow(
        no=no,
        indikator=indikator,
        satuan=texts["satuan"],
        faktor_pendorong=_multiline(_cell(row, cols, "faktor_pendorong")),
        faktor_penghambat=_multiline(_cell(row, cols, "faktor_penghambat")),
        tindak_lanjut=_multiline(_cell(row, cols, "tindak_lanjut")),
    )
    for key in figures:
        if key not in cols:
            continue
        raw = _cell(row, cols, key)
        column = header[cols[key]] or key
        strict = key in ("realisasi", "realisasi_anggaran")

        def problem(message: str, value: Cell = raw, column: str = column) -> FormProblem:
            return FormProblem(
                message, row=place, indikator=indikator or None, column=column,
                value=_text(value) if value is not None else None,
            )

        if isinstance(raw, SeenDate):
            (result.errors if strict else result.warnings).append(problem(
                f"{lead}isian ini terbaca sebagai tanggal ({raw}) karena format selnya tanggal; "
                "ubah format sel menjadi angka (Format Cells \u2192 Number) dan tulis angkanya."
            ))
            continue
        notes: list[str] = []
        if isinstance(raw, ShownAs) and strict:
            result.warnings.append(problem(
                f"{lead}sel ini menampilkan {formatting.angka(raw.shown)} tetapi berisi "
                f"{formatting.angka(raw)}; Pantau memakai {formatting.angka(raw)}. Bila yang "
                f"dimaksud {formatting.angka(raw.shown)}, ubah isi selnya dan kirim ulang.",
                value=formatting.angka(raw.shown),
            ))
        value: Cell = raw.strip() if isinstance(raw, str) else raw
        percent_sign = False
        if isinstance(raw, Marked):  # what the XLSX cell's number format shows
            shown = ("%" if raw.kind == "pct" else "") + ("Rp" if raw.kind == "rp" else "")
            bad = _wrong_kind(shown, texts["satuan"], key) if shown else None
            if bad:
                (result.errors if strict else result.warnings).append(problem(f"{lead}{bad}"))
                continue
            percent_sign = raw.kind == "pct"
            if raw.why and strict:
                result.warnings.append(problem(
                    f"{lead}{raw.why}; Pantau memakai isi selnya, {formatting.angka(raw)}. Bila "
                    "yang dimaksud lain, ubah isi selnya dan kirim ulang."))
        if isinstance(value, str):
            bad = _wrong_kind(value, texts["satuan"], key)
            if bad:
                (result.errors if strict else result.warnings).append(problem(f"{lead}{bad}"))
                continue
            percent_sign = "%" in value or bool(_PERSEN_WORD.search(value))
            value, notes, bad = _lenient(value, texts["satuan"], key)
            if bad:
                (result.errors if strict else result.warnings).append(problem(f"{lead}{bad}"))
                continue
        parsed = formatting.parse_number(value)
        if parsed.error:
            (result.errors if strict else result.warnings).append(
                problem(f"{lead}{_not_a_number(parsed.error)}{_EXPECT[key]}")
            )
            continue
        if parsed.value is None:
            if key == "realisasi":
                result.errors.append(problem(
                    f"{lead}realisasi belum diisi. Isi realisasi indikator ini sampai "
                    "dengan akhir periode (tulis 0 bila memang belum ada realisasi).",
                    value=None,
                ))
            continue
        if key == "realisasi" and percent_sign and not _is_percent(texts["satuan"]):
            notes.append(f"tanda % padahal satuan indikator ini \u201c{texts['satuan']}\u201d")
        if notes and strict:
            result.warnings.append(problem(
                f"{lead}dibaca sebagai {formatting.angka(parsed.value)} ("
                + "; ".join(notes)
                + "). Bila maksudnya lain, perbaiki dan kirim ulang formulir dengan angka saja."
            ))
        if parsed.ambiguous and key != "target":
            result.warnings.append(problem(
                f"{lead}angka ini dapat dibaca dua cara; Pantau membacanya sebagai "
                f"{_reading(parsed.value)}. Bila maksudnya lain, kirim ulang formulir dengan "
                "angka yang jelas: tanpa titik untuk bilangan bulat (1234) dan dengan koma "
                "untuk pecahan (1,234)."
            ))
        setattr(out, key, parsed.value)
    return out


# --------------------------------------------------------------------------- check_form


def _label(cycle: str) -> str:
    try:
        return Period.parse(cycle.removeprefix("PK-")).label
    except ValueError:
        return cycle


def _name_key(text: str) -> str:
    return _WS.sub(" ", text.casefold()).strip()


def _no_key(text: str) -> str:
    t = text.strip().rstrip(".").strip()
    return t.lstrip("0") or t


def check_form(
    result: FormResult,
    expected: FormCode,
    indicators: list[Indicator],
    unit_names: Mapping[str, str] | None = None,
) -> FormResult:
    """Compare a read form with what this unit owes for this cycle; return a new FormResult.

    Adds errors for another unit's form, another period's form, rows matching no indicator,
    duplicate rows and indicators missing from the form; a warning for an older form version, a
    missing code, a renamed or renumbered indicator and a changed target. The rows come back in
    the master's order with the master's No and name.
    """
    names = dict(unit_names or {})
    errors, warnings = list(result.errors), list(result.warnings)
    code = result.code
    if code is None:
        warnings.append(
            FormProblem(
                "kode formulir tidak ditemukan; formulir dicocokkan berdasarkan surel balasannya. "
                "Gunakan formulir yang dikirim Pantau dan jangan menghapus kodenya."
            )
        )
    else:
        if code.unit != expected.unit:
            errors.append(
                FormProblem(
                    f"formulir ini milik unit {names.get(code.unit, code.unit)}, bukan unit "
                    f"{names.get(expected.unit, expected.unit)}. Kirimkan formulir unit "
                    f"{names.get(expected.unit, expected.unit)} yang dilampirkan pada surel "
                    "permintaan data."
                )
            )
        if code.cycle != expected.cycle:
            errors.append(
                FormProblem(
                    f"formulir ini untuk periode {_label(code.cycle)} ({code.cycle}), bukan "
                    f"{_label(expected.cycle)} ({expected.cycle}). Gunakan formulir yang dikirim "
                    "bersama surat permintaan data periode ini."
                )
            )
        if code.unit == expected.unit and code.cycle == expected.cycle:
            if code.version < expected.version:
                warnings.append(
                    FormProblem(
                        f"formulir ini versi {code.version}, sedangkan versi terbaru adalah versi "
                        f"{expected.version}; data tetap dibaca, tetapi gunakan versi terbaru bila "
                        "mengirim ulang."
                    )
                )
            elif code.version > expected.version:
                warnings.append(
                    FormProblem(
                        f"versi formulir ({code.version}) tidak dikenal; versi yang berlaku adalah "
                        f"{expected.version}."
                    )
                )
    foreign = code is not None and (code.unit != expected.unit or code.cycle != expected.cycle)
    if foreign:  # rows of another unit or period are not matched against these indicators
        return FormResult(code, list(result.rows), errors, warnings, list(result.notes))

    rows = _match(result.rows, indicators, errors, warnings, expected)
    return FormResult(code, rows, errors, warnings, list(result.notes))


def _match(
    rows: list[FormRow],
    indicators: list[Indicator],
    errors: list[FormProblem],
    warnings: list[FormProblem],
    expected: FormCode,
) -> list[FormRow]:
    by_no = {_no_key(i.no): i for i in indicators}
    by_name = {_name_key(i.indikator): i for i in indicators}
    matched: dict[str, FormRow] = {}
    period = None
    try:
        period = Period.parse(expected.cycle.removeprefix("PK-"))
    except ValueError:
        pass
    for row in rows:
        ind = None
        same_no = by_no.get(_no_key(row.no)) if row.no else None
        same_name = by_name.get(_name_key(row.indikator)) if row.indikator else None
        if same_no and (not row.indikator or same_name is same_no):
            ind = same_no
        elif same_name is not None:
            ind = same_name
            if row.no and _no_key(row.no) != _no_key(ind.no):
                warnings.append(
                    FormProblem(
                        f"nomor indikator berbeda dengan data master; baris ini dicatat untuk "
                        f"indikator No. {ind.no}.",
                        row=row.no,
                        indikator=row.indikator,
                    )
                )
        elif same_no is not None:
            ratio = difflib.SequenceMatcher(
                None, _name_key(row.indikator), _name_key(same_no.indikator)
            ).ratio()
            if ratio >= 0.6:
                ind = same_no
                warnings.append(
                    FormProblem(
                        f"nama indikator berbeda dengan data master (\u201c{same_no.indikator}\u201d);"
                        f" baris ini dicatat untuk indikator No. {same_no.no}.",
                        row=row.no,
                        indikator=row.indikator,
                    )
                )
        if ind is None:
            errors.append(
                FormProblem(
                    "baris ini tidak sesuai dengan indikator mana pun milik unit ini untuk periode "
                    "ini. Jangan menambah baris atau mengubah nomor dan nama indikator.",
                    row=row.no or None,
                    indikator=row.indikator or None,
                )
            )
            continue
        key = _no_key(ind.no)
        if key in matched:
            errors.append(
                FormProblem(
                    f"indikator No. {ind.no} diisi lebih dari satu kali; isi satu baris saja.",
                    row=row.no or None,
                    indikator=ind.indikator,
                )
            )
            continue
        master_target = ind.target_for(period) if period else ind.target
        if (
            row.target is not None
            and master_target is not None
            and abs(row.target - master_target) > 1e-6 * max(1.0, abs(master_target))
        ):
            warnings.append(
                FormProblem(
                    f"target diubah; Pantau tetap memakai target data master "
                    f"{formatting.angka(master_target)}.",
                    row=ind.no,
                    indikator=ind.indikator,
                    column="Target",
                    value=formatting.angka(row.target),
                )
            )
        matched[key] = replace(
            row, no=ind.no, indikator=ind.indikator, satuan=row.satuan or ind.satuan
        )
    out = []
    for ind in indicators:
        row = matched.get(_no_key(ind.no))
        if row is None:
            errors.append(
                FormProblem(
                    "indikator ini tidak ada dalam formulir; isi baris indikator ini.",
                    row=ind.no,
                    indikator=ind.indikator,
                )
            )
        else:
            out.append(row)
    return out
