"""Achievement and categories (daemon.core.achievement)."""

import pytest

from daemon.core.achievement import (
    Bands,
    capaian,
    capaian_anggaran,
    capaian_indikator,
    kategori,
    rata,
)
from daemon.core.model import Indicator, Period


@pytest.mark.parametrize(
    "realisasi, target, polaritas, expected",
    [
        (85, 100, "positif", 85.0),
        (12, 10, "positif", 120.0),
        (0, 10, "positif", 0.0),
        (3, 4, "Positif", 75.0),
        # negative polarity: (2t - r) / t x 100
        (5, 10, "negatif", 150.0),
        (10, 10, "negatif", 100.0),
        (15, 10, "negatif", 50.0),
        (20, 10, "negatif", 0.0),
        (25, 10, "negatif", -50.0),
        (0, 10, "negatif", 200.0),
        # target 0, no division
        (0, 0, "positif", 100.0),
        (3, 0, "positif", 100.0),
        (-1, 0, "positif", 0.0),
        (0, 0, "negatif", 100.0),
        (2, 0, "negatif", 0.0),
        # missing
        (None, 10, "positif", None),
        (5, None, "negatif", None),
        (None, None, "positif", None),
        (float("nan"), 10, "positif", None),
    ],
)
def test_capaian(realisasi, target, polaritas, expected):
    result = capaian(realisasi, target, polaritas)
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected)


def test_capaian_bad_polarity():
    with pytest.raises(ValueError, match="polaritas"):
        capaian(1, 2, "netral")


@pytest.mark.parametrize(
    "real, pagu, expected",
    [
        (1_234_500, 2_469_000, 50.0),
        (0, 1_000_000, 0.0),
        (500, 0, None),
        (500, None, None),
        (None, 1_000_000, None),
    ],
)
def test_capaian_anggaran(real, pagu, expected):
    result = capaian_anggaran(real, pagu)
    assert result == (pytest.approx(expected) if expected is not None else None)


def test_capaian_indikator_uses_period_target():
    ind = Indicator(
        unit="PEM",
        no="1",
        sasaran="",
        program="",
        kegiatan="",
        sub_kegiatan="",
        indikator="Persentase desa tertib administrasi",
        satuan="%",
        polaritas="positif",
        target=100,
        target_tw=(25, 50, None, 100),
    )
    assert capaian_indikator(ind, 40, Period.parse("2025-TW2")) == pytest.approx(80.0)
    assert capaian_indikator(ind, 60, Period.parse("2025-TW3")) == pytest.approx(60.0)
    assert capaian_indikator(ind, 90, Period.parse("2025")) == pytest.approx(90.0)


@pytest.mark.parametrize(
    "pct, expected",
    [
        (150, "Sangat Tinggi"),
        (91, "Sangat Tinggi"),
        (90.996, "Sangat Tinggi"),  # shown as 91,00
        (90.5, "Tinggi"),
        (90, "Tinggi"),
        (76, "Tinggi"),
        (75.5, "Sedang"),
        (66, "Sedang"),
        (65.99, "Rendah"),
        (51, "Rendah"),
        (50.5, "Sangat Rendah"),
        (50, "Sangat Rendah"),
        (0, "Sangat Rendah"),
        (-50, "Sangat Rendah"),
        (None, "-"),
    ],
)
def test_kategori_default(pct, expected):
    assert kategori(pct) == expected
    assert kategori(pct, Bands()) == expected


def test_bands_from_config():
    bands = Bands.from_config(
        {"Baik": 80, "Sangat Baik": 95, "Cukup": 60, "Kurang": 0},
    )
    assert bands.labels == ["Sangat Baik", "Baik", "Cukup", "Kurang"]
    assert kategori(97, bands) == "Sangat Baik"
    assert kategori(80, bands) == "Baik"
    assert kategori(59.9, bands) == "Kurang"
    assert kategori(-10, bands) == "Kurang"


def test_bands_from_config_default_shape():
    cfg = {"Sangat Tinggi": 91, "Tinggi": 76, "Sedang": 66, "Rendah": 51, "Sangat Rendah": 0}
    assert Bands.from_config(cfg) == Bands()
    assert Bands.from_config({}) == Bands()
    assert Bands.from_config(None) == Bands()


@pytest.mark.parametrize(
    "cfg, message",
    [
        ({"Tinggi": "tinggi"}, "kategori.Tinggi: batas bawah harus berupa angka"),
        ({"Tinggi": True}, "kategori.Tinggi"),
        ({"Tinggi": 76, "Baik": 76}, "kategori.Baik: batas bawah 76 sama"),
        ({" ": 10}, "nama kategori tidak boleh kosong"),
    ],
)
def test_bands_from_config_errors(cfg, message):
    with pytest.raises(ValueError, match=message):
        Bands.from_config(cfg)


@pytest.mark.parametrize(
    "values, expected",
    [
        ([80, 90, 100], 90.0),
        ([80, None, 100], 90.0),
        ([None, None], None),
        ([], None),
        ([float("nan"), 50], 50.0),
    ],
)
def test_rata(values, expected):
    result = rata(values)
    assert result == (pytest.approx(expected) if expected is not None else None)


def test_rata_accepts_generators():
    assert rata(x for x in (1, 2, 3)) == pytest.approx(2.0)
