"""Plausibility warnings (SPEC §6.2): each rule on the sample indicators, as the sender reads it.

Indicators (samples, Triwulan III 2025): No. 1 "%" target 85 pagu Rp125.000.000; No. 2 "desa"
target 1.234 (countable) no pagu; No. 3 "%" target 60 pagu Rp125.000.000; No. 4 "kasus",
negative polarity, target 5.
"""

from __future__ import annotations

import pytest

from daemon.core import plausibility
from daemon.core.model import FormRow, Period
from daemon.documents import samples as S

TW3 = Period.parse("2025-TW3")
INDS = S.indicators("PEM", 4)


def rows(**values) -> list[FormRow]:
    """Rows 1-4 with plausible figures, then `r2=...`, `ra1=...` overrides."""
    base = {"1": 85.0, "2": 1234.0, "3": 60.0, "4": 5.0}
    out = []
    for no, real in base.items():
        out.append(FormRow(no, "", realisasi=values.get(f"r{no}", real),
                           realisasi_anggaran=values.get(f"ra{no}")))
    return out


def said(found) -> list[str]:
    return [str(w.problem()) for w in found]


def test_plausible_figures_give_no_warning():
    assert plausibility.check(rows(ra1=100_000_000.0), INDS, TW3) == []


@pytest.mark.parametrize(
    "change,no,column,value,words",
    [
        ({"ra1": 375_000_000.0}, "1", "Realisasi Anggaran (Rp)", "Rp375.000.000,00",
         "melebihi pagu Rp125.000.000,00 (penyerapan 300,0 %)"),
        ({"ra3": 562_500_000.0}, "3", "Realisasi Anggaran (Rp)", "Rp562.500.000,00",
         "penyerapan 450,0 %"),
        ({"r2": 2.9}, "2", "Realisasi", "2,9", "satuan indikator ini (desa) dihitung dengan"),
        ({"r4": 2.5}, "4", "Realisasi", "2,5", "(kasus) dihitung dengan bilangan bulat"),
        ({"r1": 3612.5}, "1", "Realisasi", "3.612,5", "capaian menjadi 4.250,00 % (di atas 150 %)"),
        ({"r3": -486.6}, "3", "Realisasi", "-486,6", "(di bawah 0 %)"),
        ({"r4": 20.0}, "4", "Realisasi", "20", "capaian menjadi -200,00 % (di bawah 0 %)"),
    ],
)
def test_each_rule_names_row_column_and_value(change, no, column, value, words):
    found = plausibility.check(rows(**change), INDS, TW3)
    assert len(found) >= 1
    w = found[0]
    assert (w.no, w.kolom, w.nilai) == (no, column, value)
    assert words in w.pesan
    text = said(found)[0]
    assert text.startswith(f"baris No. {no}, indikator \u201c")
    assert f"kolom \u201c{column}\u201d, isian \u201c{value}\u201d" in text


def test_exactly_150_and_0_percent_and_pagu_itself_are_plausible():
    assert plausibility.check(rows(r1=127.5, ra1=125_000_000.0, r3=0.0), INDS, TW3) == []


def test_cumulative_figure_against_the_previous_period_of_the_year():
    kinerja = [
        {"unit": "PEM", "no": "1", "period": "2025-TW2", "realisasi": 70.0,
         "realisasi_anggaran": 60_000_000.0},
        {"unit": "PEM", "no": "2", "period": "2025-TW2", "realisasi": 300.0,
         "realisasi_anggaran": None},
        {"unit": "PEM", "no": "3", "period": "2025-TW1", "realisasi": 90.0,
         "realisasi_anggaran": None},  # not the previous period
        {"unit": "KES", "no": "1", "period": "2025-TW2", "realisasi": 99.0,
         "realisasi_anggaran": None},  # another unit
    ]
    prev = plausibility.previous_figures(kinerja, TW3, "PEM")
    assert set(prev) == {"1", "2"}
    found = plausibility.check(rows(r1=65.0, ra1=50_000_000.0, r2=1234.0), INDS, TW3, prev)
    assert [(w.no, w.kolom, w.nilai) for w in found] == [
        ("1", "Realisasi", "65"),
        ("1", "Realisasi Anggaran (Rp)", "Rp50.000.000,00"),
        ("2", "Realisasi", "1.234"),
    ]
    assert "lebih kecil daripada Triwulan II Tahun 2025 (70)" in found[0].pesan
    assert "lebih kecil daripada Triwulan II Tahun 2025 (Rp60.000.000,00)" in found[1].pesan
    assert "lebih dari tiga kali Triwulan II Tahun 2025 (300)" in found[2].pesan
    # the first period of a year has nothing before it
    assert plausibility.previous_figures(kinerja, Period.parse("2025-TW1"), "PEM") == {}
    assert plausibility.previous_period(Period.parse("2025-S2")).code == "2025-S1"
    assert plausibility.previous_period(Period.parse("2025")) is None


def test_warning_dict_for_the_draft_report():
    (w,) = plausibility.check(rows(ra1=375_000_000.0), INDS, TW3)
    assert w.as_dict("PEM", "Seksi Pemerintahan") == {
        "unit": "PEM",
        "unit_nama": "Seksi Pemerintahan",
        "no": "1",
        "indikator": INDS[0].indikator,
        "kolom": "Realisasi Anggaran (Rp)",
        "nilai": "Rp375.000.000,00",
        "pesan": w.pesan,
    }
