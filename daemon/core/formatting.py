"""Indonesian formatting and number reading for letters, reports, forms and messages.

Everything here uses Babel's `id` locale explicitly (never the OS locale): dates like
"Jumat, 10 Januari 2025", times like "09.00 WIB", numbers like "1.234,5", money like
"Rp1.234.500,00", and number words ("dua puluh tiga") for "1 (satu) berkas".

`parse_number` reads numbers the way people type them in Indonesia (and, when it is unambiguous,
the English way), and says so when a number could be read both ways.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal

LOCALE = "id"

# --------------------------------------------------------------------------- dates and times


def _as_date(d: date | datetime) -> date:
    return d.date() if isinstance(d, datetime) else d


def tanggal(d: date | datetime) -> str:
    """'10 Januari 2025' (no leading zero, full month name)."""
    return format_date(_as_date(d), "d MMMM y", locale=LOCALE)


def tanggal_hari(d: date | datetime) -> str:
    """'Jumat, 10 Januari 2025'."""
    return f"{hari(d)}, {tanggal(d)}"


def hari(d: date | datetime) -> str:
    """'Jumat'."""
    return format_date(_as_date(d), "EEEE", locale=LOCALE)


def bulan(month: int) -> str:
    """'Januari' for 1."""
    return format_date(date(2000, month, 1), "MMMM", locale=LOCALE)


def tempat_tanggal(kota: str, d: date | datetime) -> str:
    """'Air Haji, 10 Januari 2025' (place and date of a letter)."""
    return f"{kota.strip()}, {tanggal(d)}"


def jam(dt: datetime | time) -> str:
    """'09.00': Indonesian writes the time with a dot."""
    return f"{dt.hour:02d}.{dt.minute:02d}"


_ZONES = {7: "WIB", 8: "WITA", 9: "WIT"}


def zona(dt: datetime | time) -> str:
    """'WIB', 'WITA' or 'WIT' from the offset; 'UTC+05.30'-style otherwise; '' when naive."""
    offset = dt.utcoffset()
    if offset is None:
        return ""
    seconds = int(offset.total_seconds())
    if seconds % 3600 == 0 and seconds // 3600 in _ZONES:
        return _ZONES[seconds // 3600]
    sign = "-" if seconds < 0 else "+"
    h, m = divmod(abs(seconds) // 60, 60)
    return f"UTC{sign}{h:02d}.{m:02d}" if m else f"UTC{sign}{h}"


def waktu(dt: datetime | time) -> str:
    """'09.00 WIB' (WIB/WITA/WIT from the offset +7/+8/+9)."""
    z = zona(dt)
    return f"{jam(dt)} {z}" if z else jam(dt)


def tanggal_waktu(dt: datetime) -> str:
    """'Jumat, 10 Januari 2025 pukul 09.00 WIB'."""
    return f"{tanggal_hari(dt)} pukul {waktu(dt)}"


# --------------------------------------------------------------------------- numbers


def _clean_zero(x: float) -> float:
    return 0.0 if x == 0 else x  # no "-0"


# Fast path for the numbers reports are full of (a 5,000-row draft has ~29,000). Babel spends
# 15-20 us per number looking up the locale and parsing the pattern (~0.45 s for that report);
# this takes 2-5 us (~0.09 s). `_id_number` does what Babel's NumberPattern.apply does for
# the `id` locale's symbols (group ".", decimal ",", minus "-") with the same decimal arithmetic
# (Decimal(str(x)), quantize with the default context's ROUND_HALF_EVEN), so the text is the
# same character for character (tests/test_formatting.py compares them over many values).
# Anything unusual (not an int/float, not finite, 15 digits or more) still goes to Babel.
_QUANTUM = {n: Decimal(10) ** -n for n in range(0, 7)}
_FAST_LIMIT = 10**15


def _id_number(x: float | int, min_frac: int, max_frac: int) -> str | None:
    """'1.234,5' as Babel's pattern '#,##0.<min_frac zeros><#s up to max_frac>' gives it for
    the id locale, or None when the value is not one the fast path takes."""
    t = type(x)
    if t is float:
        if not math.isfinite(x) or abs(x) >= _FAST_LIMIT:
            return None
    elif t is not int or abs(x) >= _FAST_LIMIT:
        return None
    d = Decimal(str(x))
    negative = d.is_signed()
    rounded = abs(d).normalize().quantize(_QUANTUM[max_frac])
    whole, _, frac = f"{rounded:f}".partition(".")
    if len(whole) > 3:
        head = len(whole) % 3 or 3
        whole = whole[:head] + "".join("." + whole[i : i + 3] for i in range(head, len(whole), 3))
    frac = frac or "0"
    if len(frac) < min_frac:
        frac += "0" * (min_frac - len(frac))
    if max_frac == 0 or (min_frac == 0 and int(frac) == 0):
        frac = ""
    else:
        while len(frac) > min_frac and frac[-1] == "0":
            frac = frac[:-1]
        frac = "," + frac
    return ("-" if negative else "") + whole + frac


def angka(x: float | int | None, desimal: int | None = None) -> str:
    """'1.234,5' (thousands '.', decimal ','); `desimal` fixes the number of decimals;
    None gives '-'. The text is Babel's for the `id` locale (rounding the decimal digits as
    written, half to even), except that a number that rounds to zero has no minus sign."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    x = _clean_zero(x)
    if desimal is None:
        return _unsigned_zero(
            _id_number(x, 0, 3) or format_decimal(x, format="#,##0.###", locale=LOCALE)
        )
    if 0 <= desimal <= 6:
        fast = _id_number(x, desimal, desimal)
        if fast is not None:
            return _unsigned_zero(fast)
    pattern = "#,##0" + ("." + "0" * desimal if desimal > 0 else "")
    return _unsigned_zero(
        format_decimal(x, format=pattern, locale=LOCALE, decimal_quantization=True)
    )


def _unsigned_zero(text: str) -> str:
    """'-0', '-0,00', '-Rp0,00' lose their minus: a reader sees no negative zero."""
    if text.startswith("-") and not any(c in "123456789" for c in text):
        return text[1:]
    return text


def persen(x: float | None) -> str:
    """'85,50' (two decimals, no % sign); None gives '-'."""
    return angka(x, 2)


def rupiah(x: float | int | None) -> str:
    """'Rp1.234.500,00'; None gives '-'."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    x = _clean_zero(x)
    fast = _id_number(x, 2, 2)
    if fast is not None:  # Babel: the negative prefix is "-" before the currency symbol
        return _unsigned_zero("-Rp" + fast[1:] if fast.startswith("-") else "Rp" + fast)
    return _unsigned_zero(format_currency(
        x,
        "IDR",
        format="\u00a4#,##0.00",
        locale=LOCALE,
        currency_digits=False,
    ))


_SATUAN = [
    "nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan",
    "sepuluh", "sebelas",
]  # fmt: skip
_SKALA = [
    (10**12, "triliun"),
    (10**9, "miliar"),
    (10**6, "juta"),
    (1000, "ribu"),
]


def _words_below_1000(n: int) -> str:
    parts = []
    hundreds, rest = divmod(n, 100)
    if hundreds == 1:
        parts.append("seratus")
    elif hundreds > 1:
        parts.append(f"{_SATUAN[hundreds]} ratus")
    if rest:
        if rest < 12:
            parts.append(_SATUAN[rest])
        elif rest < 20:
            parts.append(f"{_SATUAN[rest - 10]} belas")
        else:
            tens, ones = divmod(rest, 10)
            parts.append(f"{_SATUAN[tens]} puluh" + (f" {_SATUAN[ones]}" if ones else ""))
    return " ".join(parts)


def terbilang(n: int) -> str:
    """Indonesian number words: 1 'satu', 11 'sebelas', 23 'dua puluh tiga', 100 'seratus',
    1000 'seribu', 2500 'dua ribu lima ratus', -3 'minus tiga'."""
    n = int(n)
    if n == 0:
        return "nol"
    if n < 0:
        return "minus " + terbilang(-n)
    if n >= 10**15:
        raise ValueError("bilangan terlalu besar untuk ditulis dengan huruf")
    parts = []
    for value, name in _SKALA:
        count, n = divmod(n, value)
        if count:
            if value == 1000 and count == 1:
                parts.append("seribu")
            else:
                parts.append(
                    f"{_words_below_1000(count) if count < 1000 else terbilang(count)} {name}"
                )
    if n:
        parts.append(_words_below_1000(n))
    return " ".join(parts)


def banyaknya(n: int, satuan: str = "berkas") -> str:
    """'1 (satu) berkas' (the 'banyaknya' column of a surat pengantar, or 'Lampiran')."""
    return f"{n} ({terbilang(n)}) {satuan}".rstrip()


def format_duration(minutes: float | None, menit_per_hari: int | None = 480) -> str:
    """Working-time duration in words: '1 hari 2 jam 5 menit'. Days count `menit_per_hari`
    working minutes (None or 0: no days, only hours and minutes). None gives '-'."""
    if minutes is None:
        return "-"
    total = int(round(minutes))
    sign = "-" if total < 0 else ""
    total = abs(total)
    days = 0
    if menit_per_hari:
        days, total = divmod(total, menit_per_hari)
    hours, mins = divmod(total, 60)
    parts = []
    if days:
        parts.append(f"{days} hari")
    if hours:
        parts.append(f"{hours} jam")
    if mins or not parts:
        parts.append(f"{mins} menit")
    return sign + " ".join(parts)


# --------------------------------------------------------------------------- reading numbers

ERR_NOT_NUMBER = "bukan angka: gunakan angka seperti 85 atau 1.234,5"
ERR_GROUPING = (
    "pemisah ribuan tidak beraturan: gunakan angka seperti 1.234.567 atau 1.234,5 "
    "(titik untuk ribuan, koma untuk desimal)"
)


@dataclass(frozen=True)
class ParsedNumber:
    """The result of reading a typed number. `value` is None for an empty cell (no error) or
    when `error` (Indonesian, without the place) says why it is not a number. `ambiguous` is True
    when the text could also be read the other way (1.234 / 1,234): the Indonesian reading was
    taken."""

    value: float | None
    ambiguous: bool = False
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def empty(self) -> bool:
        return self.value is None and self.error is None


_SPACES = re.compile(r"[\s\u00a0\u2007\u202f\u2009\u200a\u200b\ufeff]+")
_EMPTY = {"", "-", "\u2013", "\u2014", "--"}
_RP = re.compile(r"^rp\.?", re.IGNORECASE)
_BODY = re.compile(r"^[0-9.,]*[0-9][0-9.,]*$")
_GROUPED = re.compile(r"^[0-9]{1,3}(?:X[0-9]{3})+$")  # X: the thousands separator


def _grouped(intpart: str, sep: str) -> bool:
    return bool(_GROUPED.match(intpart.replace(sep, "X")))


def parse_number(text: str | float | int | None) -> ParsedNumber:
    """Read a number typed the Indonesian way: '85', '85%', '85,5', '85.5', '1.234,5',
    '1.234.567', 'Rp 1.234.500', 'Rp1.234.500,00', 'Rp. 1.234.500,-', '1 234', '-3'.

    '1.234' and '1,234' (one separator followed by exactly three digits) are ambiguous: they are
    read the Indonesian way (1234 and 1,234) with `ambiguous=True`. After 'Rp', '1.234' is
    thousands without ambiguity (rupiah has no third decimal). Empty text and '-' are empty
    (value None, no error). Numbers from a spreadsheet cell (int, float) pass through."""
    if text is None:
        return ParsedNumber(None)
    if isinstance(text, bool):
        return ParsedNumber(None, error=ERR_NOT_NUMBER)
    if isinstance(text, (int, float)):
        if isinstance(text, float) and not math.isfinite(text):
            return ParsedNumber(None, error=ERR_NOT_NUMBER)
        return ParsedNumber(float(text))
    s = _SPACES.sub(" ", str(text)).strip()
    if s in _EMPTY:
        return ParsedNumber(None)

    negative = False
    if s[0] in "-\u2212+":
        negative = s[0] != "+"
        s = s[1:].lstrip()
    money = bool(_RP.match(s))
    if money:
        s = _RP.sub("", s, count=1).lstrip()
    if s.endswith("%"):
        s = s[:-1].rstrip()
    if s.endswith((",-", ".-")):
        s = s[:-2].rstrip()
    if " " in s:
        # spaces as thousands separators: "1 234 567", "1 234,5"
        parts = s.split(" ")
        if not (
            re.fullmatch(r"[0-9]{1,3}", parts[0])
            and all(re.fullmatch(r"[0-9]{3}", g) for g in parts[1:-1])
            and re.fullmatch(r"[0-9]{3}(?:[.,][0-9]+)?", parts[-1])
        ):
            return ParsedNumber(None, error=ERR_NOT_NUMBER)
        s = "".join(parts)

    if not _BODY.match(s):
        return ParsedNumber(None, error=ERR_NOT_NUMBER)

    dots, commas = s.count("."), s.count(",")
    ambiguous = False
    if dots and commas:
        dec = "," if s.rfind(",") > s.rfind(".") else "."
        thou = "." if dec == "," else ","
        if s.count(dec) > 1:
            return ParsedNumber(None, error=ERR_GROUPING)
        intpart, frac = s.split(dec)
        if not _grouped(intpart, thou) or not frac:
            return ParsedNumber(None, error=ERR_GROUPING)
        number = intpart.replace(thou, "") + "." + frac
        # "1,234.5" is the English way round: one clear number, but not the way an Indonesian
        # form is written, so it is said back (a warning), never taken in silence
        ambiguous = dec == "."
    elif dots + commas == 0:
        number = s
    else:
        sep = "." if dots else ","
        if dots + commas > 1:  # "1.234.567" or "1,234,567": thousands
            if not _grouped(s, sep):
                return ParsedNumber(None, error=ERR_GROUPING)
            number = s.replace(sep, "")
        else:
            intpart, frac = s.split(sep)
            if not frac:  # "85," or "85."
                return ParsedNumber(None, error=ERR_NOT_NUMBER)
            could_be_thousands = len(frac) == 3 and 1 <= len(intpart) <= 3 and intpart != "0"
            if could_be_thousands and sep == "." and money:
                number = intpart + frac
            elif could_be_thousands:
                ambiguous = True
                number = intpart + frac if sep == "." else f"{intpart or '0'}.{frac}"
            else:
                number = f"{intpart or '0'}.{frac}"
    value = float(number)
    if negative:
        value = -value
    return ParsedNumber(_clean_zero(value), ambiguous=ambiguous)
