"""Achievement (capaian) of indicators and budget, and its category (SPEC §6.3).

Positive polarity (more is better): realisasi / target x 100. Negative polarity (less is better,
e.g. cases of public disorder): (2 x target - realisasi) / target x 100. A target of 0 is handled
explicitly, without division. Budget: realisasi anggaran / pagu x 100. Categories are bands of
lower bounds, configurable under [kategori].
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from daemon.core.model import Indicator, Period


def _missing(x: float | None) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def capaian(realisasi: float | None, target: float | None, polaritas: str) -> float | None:
    """Achievement in percent, or None when realisasi or target is missing.

    Target 0: positive polarity gives 100 when realisasi >= 0 (nothing was asked); negative
    polarity gives 100 when realisasi is 0 (none of what should not happen happened), else 0."""
    if realisasi is None or target is None or _missing(realisasi) or _missing(target):
        return None
    pol = polaritas.strip().lower()
    if pol not in ("positif", "negatif"):
        raise ValueError(
            f"polaritas \u201c{polaritas}\u201d tidak dikenal: gunakan positif atau negatif"
        )
    if target == 0:
        if pol == "positif":
            return 100.0 if realisasi >= 0 else 0.0
        return 100.0 if realisasi == 0 else 0.0
    if pol == "positif":
        return realisasi / target * 100
    return (2 * target - realisasi) / target * 100


def capaian_anggaran(realisasi_anggaran: float | None, pagu: float | None) -> float | None:
    """Budget absorption in percent; None when pagu is missing or 0, or nothing was reported."""
    if (
        realisasi_anggaran is None
        or pagu is None
        or _missing(realisasi_anggaran)
        or _missing(pagu)
        or pagu == 0
    ):
        return None
    return realisasi_anggaran / pagu * 100


def capaian_indikator(ind: Indicator, realisasi: float | None, period: Period) -> float | None:
    """Achievement of one indicator against the target that applies to `period`."""
    return capaian(realisasi, ind.target_for(period), ind.polaritas)


DEFAULT_BANDS: tuple[tuple[float, str], ...] = (
    (91.0, "Sangat Tinggi"),
    (76.0, "Tinggi"),
    (66.0, "Sedang"),
    (51.0, "Rendah"),
    (0.0, "Sangat Rendah"),
)


@dataclass(frozen=True)
class Bands:
    """Category bands as lower bounds, highest first. A value below every bound gets the label
    of the lowest band. Values are compared after rounding to two decimals, as they are shown, so
    90.996 (shown 91,00) is "Sangat Tinggi" and 90.5 is "Tinggi"."""

    bands: tuple[tuple[float, str], ...] = DEFAULT_BANDS

    @classmethod
    def from_config(cls, cfg: Mapping[str, object] | None) -> Bands:
        """From the config's [kategori] table: label = lower bound, e.g.
        {"Sangat Tinggi" = 91, "Tinggi" = 76, "Sedang" = 66, "Rendah" = 51, "Sangat Rendah" = 0}.
        An empty or missing table gives the defaults. Raises ValueError naming the key."""
        if not cfg:
            return cls()
        bands = []
        seen: dict[float, str] = {}
        for label, bound in cfg.items():
            key = f"kategori.{label}"
            if not str(label).strip():
                raise ValueError("kategori: nama kategori tidak boleh kosong")
            if isinstance(bound, bool) or not isinstance(bound, (int, float)) or math.isnan(bound):
                raise ValueError(
                    f"{key}: batas bawah harus berupa angka persen, misalnya 91 (bukan {bound!r})"
                )
            if float(bound) in seen:
                raise ValueError(
                    f"{key}: batas bawah {bound} sama dengan kategori "
                    f"\u201c{seen[float(bound)]}\u201d"
                )
            seen[float(bound)] = str(label)
            bands.append((float(bound), str(label).strip()))
        bands.sort(key=lambda b: b[0], reverse=True)
        return cls(tuple(bands))

    def kategori(self, pct: float | None) -> str:
        if pct is None or _missing(pct):
            return "-"
        value = round(pct, 2)
        for bound, label in self.bands:
            if value >= bound:
                return label
        return self.bands[-1][1]

    @property
    def labels(self) -> list[str]:
        return [label for _, label in self.bands]


def kategori(pct: float | None, bands: Bands | None = None) -> str:
    """The category of an achievement ('Sangat Tinggi' ... 'Sangat Rendah'); '-' for None."""
    return (bands or Bands()).kategori(pct)


def rata(values: Iterable[float | None]) -> float | None:
    """The mean of the values that are present; None when there are none."""
    present = [v for v in values if v is not None and not _missing(v)]
    return sum(present) / len(present) if present else None
