"""What an XLSX cell's number format shows (ECMA-376 18.8.30), for the sheet reader.

A form is read as the person sees it: a percent format gives the percentage (0.9 shown as "90%"
is 90.0), a date format a `SeenDate` (the date as shown), a format showing fewer decimals than
the cell holds a `ShownAs`, and a rupiah, scaled, hidden or sign-dropping format a `Marked`
number saying so (in Indonesian), so the form reader can warn or refuse.
"""

from __future__ import annotations

import math
import re

from daemon.documents.ooxml import int_attr, namespace
from daemon.documents.safezip import Package


class SeenDate(str):
    """A numeric XLSX cell shown as a date (the str is the date as the person sees it)."""


class Marked(float):
    """A numeric XLSX cell with what its number format says about it (review of issue 11):
    `kind` "pct" (shown with %, the float is the percentage the person sees) or "rp" (shown as
    rupiah), and `why`, when the format shows the number otherwise than it is held (scaled by
    thousands, hidden, a negative number without its minus sign), in Indonesian."""

    kind: str = ""
    why: str = ""


class ShownAs(Marked):
    """A numeric XLSX cell whose number format shows fewer decimals than it holds: the float is
    what it holds, `shown` what the person sees (85.6 in a "0" cell shows 86)."""

    shown: float


_RP_FMT = re.compile(r'"\s*rp\.?\s*"|\[\$\s*rp|\\r\\p|\bidr\b', re.I)


def format_doubt(code: str, value: float) -> str:
    """Why a number format shows `value` otherwise than it is held ('' when it does not)."""
    sections = code.split(";")
    section = sections[0]
    if value < 0 and len(sections) > 1:
        section = sections[1]
    elif value == 0 and len(sections) > 2:
        section = sections[2]
    bare = _FMT_NOISE.sub("", section)
    if not section.strip() and len(sections) > 1:
        return "format selnya menyembunyikan angka ini (sel tampak kosong)"
    if re.search(r"[0#?],+(?![0#?])", bare):
        return "format selnya menampilkan angka ini dibagi seribu (atau sejuta)"
    if value < 0 and len(sections) > 1 and "-" not in bare and "(" not in bare:
        return "format selnya menampilkan angka negatif ini tanpa tanda minus"
    return ""


def marked(value: float, kind: str, code: str) -> float:
    rp = bool(code) and bool(_RP_FMT.search(code))
    why = format_doubt(code, value) if code else ""
    if not (kind == "pct" or rp or why):
        return value
    out = value if isinstance(value, Marked) else Marked(value)
    out.kind = "pct" if kind == "pct" else ("rp" if rp else "")
    out.why = why
    return out


# built-in number formats (ECMA-376 18.8.30): 9, 10 percent; 14-22, 45-47 (and the East Asian
# 27-36, 50-58) dates and times
_BUILTIN_PCT = {9, 10}
_BUILTIN_DATE = set(range(14, 23)) | set(range(45, 48)) | set(range(27, 37)) | set(range(50, 59))
_FMT_NOISE = re.compile(r'"[^"]*"|\\.|_.|\*.|\[[^\]]*\]')


def format_kind(code: str) -> str:
    """'pct', 'date' or '' for a number format code ('0%', 'dd/mm/yyyy', '"Rp"#,##0')."""
    bare = _FMT_NOISE.sub("", code.split(";")[0])
    if "%" in bare:
        return "pct"
    if code.strip().lower() != "general" and re.search(r"[dmyhs]", bare, re.I):
        return "date"
    return ""


_BUILTIN_DECIMALS = {1: 0, 2: 2, 3: 0, 4: 2, 9: 0, 10: 2, 37: 0, 38: 0, 39: 2, 40: 2}


def format_decimals(code: str) -> int | None:
    """How many decimals a number format shows ('#,##0.00' 2, '0%' 0); None when it does not fix
    them (General, text, scientific, scaled by thousands)."""
    bare = _FMT_NOISE.sub("", code.split(";")[0])
    if (
        "general" in bare.lower()
        or "@" in bare
        or "e" in bare.lower()
        or not re.search(r"[0#?]", bare)
    ):
        return None
    if re.search(r"[0#?],+(?![0#?])", bare):  # "#,##0," shows thousands
        return None
    m = re.search(r"\.([0#?]+)", bare)
    return len(m.group(1)) if m else 0


def number_formats(pkg: Package) -> list[tuple[str, int | None, str]]:
    """Per cell style index (the c element's s), the kind of its number format and the decimals
    it shows."""
    root = pkg.xml("xl/styles.xml")
    if root is None:
        return []
    s = namespace(root)
    custom = {}
    for nf in root.iter(s + "numFmt"):
        custom[int_attr(nf.get("numFmtId"), -1)] = nf.get("formatCode") or ""
    out = []
    xfs = root.find(s + "cellXfs")
    for xf in xfs if xfs is not None else []:
        if xf.tag != s + "xf":
            continue
        fid = int_attr(xf.get("numFmtId"), 0)
        if fid in custom:
            code = custom[fid]
            out.append((format_kind(code), format_decimals(code), code))
        elif fid in _BUILTIN_PCT:
            out.append(("pct", _BUILTIN_DECIMALS.get(fid), ""))
        elif fid in _BUILTIN_DATE:
            out.append(("date", None, ""))
        else:
            out.append(("", _BUILTIN_DECIMALS.get(fid), ""))
    return out


def shown_as(value: float, decimals: int | None) -> float:
    """The value as a format with `decimals` shows it (half away from zero, as Excel rounds);
    a ShownAs when that differs from the value."""
    from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

    if decimals is None or not math.isfinite(value):
        return value
    try:
        shown = float(Decimal(repr(value)).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP))
    except (InvalidOperation, ValueError):
        return value
    if abs(shown - value) <= 1e-9 * max(1.0, abs(value)):
        return value
    out = ShownAs(value)
    out.shown = shown
    return out


def seen_date(serial: float, date1904: bool) -> SeenDate:
    from datetime import datetime, timedelta

    base = datetime(1904, 1, 1) if date1904 else datetime(1899, 12, 30)
    try:
        when = base + timedelta(days=serial)
    except (OverflowError, ValueError):
        return SeenDate(str(serial))
    if when.hour or when.minute:
        return SeenDate(when.strftime("%d-%m-%Y %H.%M") if serial >= 1 else when.strftime("%H.%M"))
    return SeenDate(when.strftime("%d-%m-%Y"))


def percent_shown(text: str, value: float) -> float:
    from decimal import Decimal, InvalidOperation

    try:
        return float(Decimal(text.strip()) * 100)
    except (InvalidOperation, ValueError):
        return value * 100
