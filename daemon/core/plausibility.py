"""Plausibility of a unit's figures (SPEC §6.2): warnings, never refusals.

`check(rows, indicators, period, previous)` looks at the rows of an accepted form (check_form's
rows: the master's No and name) and returns a `Warning` per implausible figure:

- realisasi anggaran above the indicator's pagu;
- a fraction for a countable unit (dokumen, kali, kegiatan, orang, kasus, laporan, lembaga,
  kelompok, desa, nagari);
- achievement (SPEC §6.3, against the period's target) above 150 % or below 0;
- a cumulative figure (Realisasi, Realisasi Anggaran) lower than the same indicator's in the
  previous period of the year (from the data base kinerja), or more than three times it.

The form is still accepted: each warning goes into the acknowledgement (as a FormProblem with the
row, column and value) and, as a dict, into the draft report's `peringatan` for the Kasubag.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

from daemon.core import achievement, formatting
from daemon.core.model import FormProblem, FormRow, Indicator, Period

__all__ = ["COUNTABLE", "Warning", "check", "previous_period", "previous_figures"]

COUNTABLE = frozenset(
    ("dokumen", "kali", "kegiatan", "orang", "kasus", "laporan", "lembaga", "kelompok", "desa",
     "nagari")
)
MAX_CAPAIAN, GROWTH = 150.0, 3.0
COL_REAL, COL_RA = "Realisasi", "Realisasi Anggaran (Rp)"


@dataclass(frozen=True)
class Warning:
    no: str
    indikator: str
    kolom: str  # the form's column ("Realisasi", "Realisasi Anggaran (Rp)")
    nilai: str  # the value as the report writes it ("1.234,5", "Rp300.000.000,00", "4.250 %")
    pesan: str  # Indonesian sentence: what is implausible and what to check

    def problem(self) -> FormProblem:
        return FormProblem(self.pesan, row=self.no, indikator=self.indikator, column=self.kolom,
                           value=self.nilai)

    def as_dict(self, unit: str = "", unit_nama: str = "") -> dict[str, str]:
        return {"unit": unit, "unit_nama": unit_nama, "no": self.no, "indikator": self.indikator,
                "kolom": self.kolom, "nilai": self.nilai, "pesan": self.pesan}


def _countable(satuan: str) -> bool:
    words = re.findall(r"[a-z]+", satuan.casefold())
    return any(w in COUNTABLE for w in words)  # "desa", "Desa/Nagari", "orang (KK)"


def _num(x: Any) -> TypeGuard[float]:
    return x is not None and not (isinstance(x, float) and math.isnan(x))


def previous_period(period: Period) -> Period | None:
    """The period before this one in the same year (2025-TW2 for 2025-TW3), None for the first."""
    if period.kind in ("triwulan", "semester") and period.n > 1:
        tag = "TW" if period.kind == "triwulan" else "S"
        return Period.parse(f"{period.year}-{tag}{period.n - 1}")
    return None


def previous_figures(rows: Iterable[Mapping], period: Period, unit: str) -> dict[str, dict]:
    """{no: kinerja row} of `unit` in the period before `period` (rows of Store.kinerja_year)."""
    before = previous_period(period)
    if before is None:
        return {}
    return {str(r["no"]): dict(r) for r in rows if r["unit"] == unit and r["period"] == before.code}


def check(
    rows: Iterable[FormRow],
    indicators: Iterable[Indicator],
    period: Period | None,
    previous: Mapping[str, Mapping] | None = None,
) -> list[Warning]:
    inds = {i.no: i for i in indicators}
    before = previous_period(period) if period else None
    out: list[Warning] = []
    for row in rows:
        ind = inds.get(row.no)
        if ind is None:
            continue

        def warn(kolom: str, nilai: str, pesan: str, ind: Indicator = ind) -> None:
            out.append(Warning(ind.no, ind.indikator, kolom, nilai, pesan))

        real, ra = row.realisasi, row.realisasi_anggaran
        satuan = ind.satuan or row.satuan
        if _num(ra) and _num(ind.pagu) and ind.pagu > 0 and ra > ind.pagu:
            warn(COL_RA, formatting.rupiah(ra),
                 f"realisasi anggaran melebihi pagu {formatting.rupiah(ind.pagu)} "
                 f"(penyerapan {formatting.angka(ra / ind.pagu * 100, 1)} %). Periksa kembali "
                 "angkanya; bila benar, beri penjelasan pada kolom Faktor Penghambat.")
        if _num(real) and _countable(satuan) and not float(real).is_integer():
            warn(COL_REAL, formatting.angka(real),
                 f"satuan indikator ini ({satuan}) dihitung dengan bilangan bulat, tetapi "
                 "realisasinya pecahan. Periksa kembali angkanya.")
        target = ind.target_for(period) if period else ind.target
        try:
            pct = achievement.capaian(real, target, ind.polaritas) if _num(real) else None
        except ValueError:
            pct = None
        if pct is not None and (pct > MAX_CAPAIAN or pct < 0):
            what = "di atas 150 %" if pct > MAX_CAPAIAN else "di bawah 0 %"
            warn(COL_REAL, formatting.angka(real),
                 f"capaian menjadi {formatting.angka(pct, 2)} % ({what}) terhadap target "
                 f"{formatting.angka(target)} {satuan}".rstrip()
                 + ". Periksa kembali realisasi (kumulatif sampai akhir periode) dan satuannya.")
        prev = (previous or {}).get(ind.no) if before else None
        if prev is None or before is None:
            continue
        for kolom, now, key in ((COL_REAL, real, "realisasi"), (COL_RA, ra, "realisasi_anggaran")):
            then = prev.get(key)
            if not _num(now) or not _num(then) or then <= 0:
                continue
            show = formatting.rupiah if key == "realisasi_anggaran" else formatting.angka
            if now < then:
                warn(kolom, show(now),
                     f"angka kumulatif ini lebih kecil daripada {before.label} ({show(then)}). "
                     "Realisasi ditulis kumulatif sampai akhir periode; periksa kembali.")
            elif now > GROWTH * then:
                warn(kolom, show(now),
                     f"angka kumulatif ini lebih dari tiga kali {before.label} ({show(then)}). "
                     "Periksa kembali angkanya.")
    return out
