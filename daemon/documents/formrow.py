"""Reading one row of the form's table: its texts and its figures, with what SPEC §6.2 allows.

A row without a number and without figures is a note (`FormResult.notes`); blank rows, a
"(1) (2) (3)" column-number row, a repeated header and a total row (JUMLAH, TOTAL, Rata-rata) are
skipped. Realisasi and Realisasi Anggaran must be numbers (Realisasi must be filled); Target and
Capaian (%) are informative (Pantau uses the master's target and computes the achievement), so
a problem there is only a warning. "85 persen", "±85", "100 (seratus)" (the words must say the
number) and a number followed by the row's own unit ("12 desa") are read with a warning; an
ambiguous number ("1.234") is a warning saying how it was read; a date-formatted XLSX cell in a
number column, a percentage in the rupiah column or rupiah in another unit's column is an error.
"""

from __future__ import annotations

import re

from daemon.core import formatting
from daemon.core.model import FormProblem, FormResult, FormRow
from daemon.documents.formtable import (
    HEAD_CHARS,
    KEYS,
    WS,
    Cell,
    cell_text,
    header_map,
    is_header,
    multiline,
    norm,
)
from daemon.documents.xmlgrid import Marked, SeenDate, ShownAs

_COLNUM = re.compile(r"^\(?\d{1,2}\)?$")
_NO_LIKE = re.compile(r"^[\w.\-]{1,10}$")  # what an indicator number looks like: 1, 1.2, 3.
_DIGIT = re.compile(r"\d")
# a total row's label, normalised: "JUMLAH", "Total", "Jumlah Keseluruhan", "Rata-rata"
_TOTAL = re.compile(
    r"^(sub)?(jumlah|total|grandtotal|ratarata)(total|keseluruhan|seluruhnya|ratarata|capaian|"
    r"realisasi|anggaran)*$"
)


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
        own = {WS.sub(" ", satuan.casefold()).strip()} if satuan else set()
        if key == "realisasi_anggaran":
            own |= {"rupiah", "rp"}
        if WS.sub(" ", suffix.casefold()).strip().rstrip(".") in own:
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


def read_row(
    row: list[Cell], cols: dict[str, int], header: list[str], index: int, result: FormResult
) -> FormRow | None:
    texts = {k: cell_text(_cell(row, cols, k)) for k in KEYS}
    if not any(texts.values()):
        return None  # blank row
    present = [t for t in texts.values() if t]
    if all(_COLNUM.match(t) for t in present) and len(present) >= 3:
        return None  # "(1) (2) (3) ..." column-number row
    header_like = header_map(row)
    if is_header(header_like):
        return None  # a repeated header row
    numbered = bool(texts["no"]) and _NO_LIKE.match(texts["no"]) and _DIGIT.search(texts["no"])
    label = texts["no"] or texts["indikator"] or texts["satuan"]
    if not numbered and _TOTAL.match(norm(label[:HEAD_CHARS])):
        return None  # a total row (JUMLAH, TOTAL): Pantau computes its own
    figures = ("target", "realisasi", "capaian", "realisasi_anggaran")
    if not numbered and not any(texts[k] for k in figures):
        seen: list[str] = []
        for cell in row:  # merged cells repeat their text; keep each text once
            t = cell_text(cell)
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
        faktor_pendorong=multiline(_cell(row, cols, "faktor_pendorong")),
        faktor_penghambat=multiline(_cell(row, cols, "faktor_penghambat")),
        tindak_lanjut=multiline(_cell(row, cols, "tindak_lanjut")),
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
                value=cell_text(value) if value is not None else None,
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
