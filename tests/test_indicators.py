"""The indicator master (daemon.config.indicators)."""

from pathlib import Path

import pytest
from openpyxl import Workbook

from daemon.config.indicators import (
    COLUMNS,
    IndicatorError,
    indicators_for,
    load_indicators,
    units_without_indicators,
)
from daemon.core.model import Period

SHIPPED = Path(__file__).resolve().parent.parent / "config" / "indikator.csv"
UNITS = {"SEK", "PEM", "TRANTIB", "PMD", "KESOS"}
HEADER = ",".join(COLUMNS)


def write(tmp_path, text, name="indikator.csv", encoding="utf-8"):
    p = tmp_path / name
    p.write_text(text, encoding=encoding)
    return p


def problems_of(path, **kw):
    with pytest.raises(IndicatorError) as exc:
        load_indicators(path, **kw)
    return exc.value.problems


# --------------------------------------------------------------------------- shipped master


def test_shipped_master_loads_cleanly():
    warnings: list[str] = []
    inds = load_indicators(SHIPPED, units=UNITS, warnings=warnings)
    assert warnings == []
    assert {i.unit for i in inds} == UNITS
    for unit in UNITS:
        assert 3 <= len(indicators_for(unit, inds)) <= 4
    assert sum(i.polaritas == "negatif" for i in inds) >= 2
    assert any(i.target_tw[0] is not None for i in inds)
    assert sum(i.pagu is not None for i in inds) > len(inds) / 2
    assert all(i.program.startswith("Program ") for i in inds)
    assert units_without_indicators(sorted(UNITS), inds) == []


def test_shipped_master_is_plain_utf8_csv():
    raw = SHIPPED.read_bytes()
    raw.decode("utf-8")
    assert b";" not in raw.splitlines()[0]


def test_shipped_master_values():
    inds = load_indicators(SHIPPED, units=UNITS)
    trantib = indicators_for("TRANTIB", inds)
    kasus = next(i for i in trantib if "gangguan ketertiban" in i.indikator)
    assert kasus.polaritas == "negatif"
    assert kasus.satuan == "kasus"
    assert kasus.target_for(Period.parse("2025-TW2")) == 6
    assert kasus.target_for(Period.parse("2025")) == 12


# --------------------------------------------------------------------------- good inputs


def test_semicolon_bom_indonesian_numbers(tmp_path):
    text = (
        "Unit; No ;Sasaran;Program;Kegiatan;Sub Kegiatan;INDIKATOR;Satuan;Polaritas;Target;"
        "Target TW1;target_tw2;Target-TW3;target_tw4;Pagu\n"
        "PEM;1;S;P;K;SK;Persentase desa tertib administrasi;%;Positif;85,5;;;;;Rp 12.500.000\n"
        ";;;;;;;;;;;;;;\n"
        "pem;2;S;P;K;SK;Jumlah kasus;kasus;negatif;1.234,5;1;2;3;4;\n"
    )
    p = write(tmp_path, "\ufeff" + text)
    inds = load_indicators(p, units=UNITS)
    assert len(inds) == 2
    a, b = inds
    assert (a.unit, a.no, a.target, a.pagu, a.polaritas) == (
        "PEM",
        "1",
        85.5,
        12_500_000,
        "positif",
    )
    assert a.target_tw == (None, None, None, None)
    assert a.sub_kegiatan == "SK"
    assert b.unit == "PEM"  # the configured spelling of the code
    assert b.target == 1234.5
    assert b.target_tw == (1, 2, 3, 4)
    assert b.pagu is None


def test_ambiguous_numbers_are_warned(tmp_path):
    p = write(tmp_path, HEADER + '\nPEM,1,S,P,K,SK,Indikator,dokumen,positif,1.500,,,,,"2,500"\n')
    warnings: list[str] = []
    (ind,) = load_indicators(p, warnings=warnings)
    assert ind.target == 1500
    assert ind.pagu == 2.5
    assert len(warnings) == 2
    assert warnings[0].startswith("baris 2, kolom \u201ctarget\u201d")


def test_decreasing_quarterly_targets_warned(tmp_path):
    p = write(tmp_path, HEADER + "\nPEM,1,S,P,K,SK,Indikator,dokumen,positif,4,1,3,2,4,\n")
    warnings: list[str] = []
    load_indicators(p, warnings=warnings)
    assert warnings and "baris 2" in warnings[0] and "kumulatif" in warnings[0]


def test_cp1252_fallback(tmp_path):
    text = HEADER + "\nPEM,1,S,P,K,SK,Indikator \u2013 caf\u00e9,dokumen,positif,4,,,,,\n"
    p = write(tmp_path, text, encoding="cp1252")
    (ind,) = load_indicators(p)
    assert ind.indikator == "Indikator \u2013 caf\u00e9"


def test_xlsx(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.title = "Lembar1"
    other = wb.create_sheet("Indikator")
    ws.append(["ini bukan lembar indikator"])
    other.append([c.upper().replace("_", " ") for c in COLUMNS])
    other.append(
        [
            "SEK",
            1,
            "S",
            "P",
            "K",
            "SK",
            "Jumlah dokumen",
            "dokumen",
            "positif",
            3,
            1,
            2,
            2.0,
            3,
            12500000,
        ]
    )
    other.append([None] * len(COLUMNS))
    other.append(
        [
            "KESOS",
            "2",
            "S",
            "P",
            "K",
            "SK",
            "Persentase",
            "%",
            "positif",
            "85,5",
            None,
            None,
            None,
            None,
            "Rp 1.234.500",
        ]
    )
    p = tmp_path / "indikator.xlsx"
    wb.save(p)
    inds = load_indicators(p, units=UNITS)
    assert [(i.unit, i.no) for i in inds] == [("SEK", "1"), ("KESOS", "2")]
    assert inds[0].target_tw == (1, 2, 2, 3)
    assert inds[0].pagu == 12_500_000
    assert inds[1].target == 85.5 and inds[1].pagu == 1_234_500


def test_xlsx_error_rows_are_sheet_rows(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(list(COLUMNS))
    ws.append(["SEK", 1, "S", "P", "K", "SK", "Indikator", "dokumen", "positif", 3])
    ws.append([])
    ws.append(["SEK", 2, "S", "P", "K", "SK", "Indikator", "dokumen", "positif", "tiga"])
    p = tmp_path / "indikator.xlsx"
    wb.save(p)
    assert problems_of(p) == [
        "baris 4, kolom \u201ctarget\u201d: \u201ctiga\u201d bukan angka: gunakan angka seperti "
        "85 atau 1.234,5"
    ]


def test_indicators_for():
    inds = load_indicators(SHIPPED)
    pem = indicators_for("PEM", inds)
    assert [i.no for i in pem] == ["1", "2", "3", "4"]
    assert indicators_for("TIDAKADA", inds) == []


# --------------------------------------------------------------------------- errors


def test_errors_name_row_and_column(tmp_path):
    text = "\n".join(
        [
            HEADER,
            "PEM,1,S,P,K,SK,Indikator satu,%,positif,100,,,,,15000000",
            "PEM,2,S,P,K,SK,Indikator dua,dokumen,positif,10,,,,,",
            ",,,,,,,,,,,,,,",
            "PEM,3,S,P,K,SK,Indikator tiga,dokumen,positif,delapan,,,,,",
            "XYZ,1,S,P,K,SK,Indikator empat,kasus,netral,5,,,,,-5",
            "PEM,2,S,P,K,SK,Indikator lima,dokumen,positif,4,1,2,3,n/a,",
            "SEK,1,S,P,K,SK,,,positif,,,,,,",
        ]
    )
    p = write(tmp_path, text + "\n")
    problems = problems_of(p, units=UNITS)
    assert (
        "baris 5, kolom \u201ctarget\u201d: \u201cdelapan\u201d bukan angka: gunakan angka seperti "
        "85 atau 1.234,5"
        in problems
    )
    assert any(
        x.startswith("baris 6, kolom \u201cunit\u201d: \u201cXYZ\u201d bukan kode unit")
        for x in problems
    )
    assert any(
        x.startswith("baris 6, kolom \u201cpolaritas\u201d: \u201cnetral\u201d tidak dikenal")
        for x in problems
    )
    assert "baris 6, kolom \u201cpagu\u201d: -5 tidak boleh negatif" in problems
    assert any(
        x.startswith("baris 7, kolom \u201ctarget_tw4\u201d: \u201cn/a\u201d bukan angka")
        for x in problems
    )
    assert (
        "baris 7, kolom \u201cno\u201d: nomor 2 untuk unit PEM sudah dipakai di baris 3" in problems
    )
    for col in ("indikator", "satuan", "target"):
        assert f"baris 8, kolom \u201c{col}\u201d: wajib diisi" in problems
    assert not any(x.startswith(("baris 2", "baris 3,", "baris 4")) for x in problems)
    assert "baris 5" in str(IndicatorError(problems))


def test_unit_check_only_with_units(tmp_path):
    p = write(tmp_path, HEADER + "\nXYZ,1,S,P,K,SK,Indikator,dokumen,positif,4,,,,,\n")
    assert load_indicators(p)[0].unit == "XYZ"
    assert problems_of(p, units=UNITS)[0].startswith("baris 2, kolom \u201cunit\u201d")


def test_header_problems(tmp_path):
    header = HEADER.replace("sub_kegiatan", "subkegiatan").replace(",pagu", ",pagu,catatan")
    p = write(tmp_path, header + "\nPEM,1,S,P,K,SK,I,%,positif,1,,,,,,\n")
    problems = problems_of(p)
    assert "baris 1 (judul kolom): kolom \u201csubkegiatan\u201d tidak dikenal" in problems
    assert "baris 1 (judul kolom): kolom \u201ccatatan\u201d tidak dikenal" in problems
    assert "baris 1 (judul kolom): kolom \u201csub_kegiatan\u201d tidak ada" in problems
    assert problems[-1].startswith("judul kolom yang diharapkan: unit, no, sasaran")


def test_duplicate_header(tmp_path):
    p = write(tmp_path, HEADER + ",Target\n")
    assert "baris 1 (judul kolom): kolom \u201ctarget\u201d tertulis dua kali" in problems_of(p)


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("kosong.csv", "\n\n", "kosong"),
        ("judul.csv", HEADER + "\n", "belum ada indikator"),
        ("indikator.ods", "x", "tidak didukung"),
    ],
)
def test_file_problems(tmp_path, name, content, message):
    p = write(tmp_path, content, name=name)
    assert message in problems_of(p)[0]


def test_missing_file(tmp_path):
    assert "tidak ditemukan" in problems_of(tmp_path / "tidak-ada.csv")[0]


def test_broken_xlsx(tmp_path):
    p = tmp_path / "rusak.xlsx"
    p.write_bytes(b"bukan zip")
    assert "bukan XLSX" in problems_of(p)[0]
