"""The unit's form: building it, reading it back (read_form) and checking it (check_form).

Forms are filled the way units fill them (python-docx, Indonesian numbers), built by hand with
reordered/extra columns and merged cells, re-saved by LibreOffice, and attacked (zip bombs,
billion laughs, XXE). Every file of the shared corpus must read without an exception.
"""

from __future__ import annotations

import io
import os
import random
import shutil
import subprocess
import time
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest

from daemon.core.model import FormCode, FormResult
from daemon.documents import FORM_HEADERS, ReadLimits, build_form, check_form, read_form
from daemon.documents import samples as S

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "templates"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
CODE = FormCode("PK-2025-TW3", "PEM", 1)
UNIT_NAMES = {u.kode: u.nama for u in S.UNITS}


@pytest.fixture()
def spec():
    return S.form_spec()


@pytest.fixture()
def form_docx(tmp_path, spec) -> Path:
    out = tmp_path / "formulir-PEM.docx"
    build_form(spec, TEMPLATES, out)
    return out


def fill(path: Path, values: dict[str, dict[int, str]], out: Path | None = None) -> bytes:
    """Fill the form as a unit would in Word: {No: {column index: text}}."""
    d = docx.Document(str(path))
    (table,) = d.tables
    for row in table.rows[1:]:
        no = row.cells[0].text
        for col, text in values.get(no, {}).items():
            row.cells[col].text = text
    buf = io.BytesIO()
    d.save(buf)
    if out:
        out.write_bytes(buf.getvalue())
    return buf.getvalue()


FULL = {
    "1": {
        4: "85,5",
        6: "Rp 1.234.500",
        7: "Dukungan kepala desa",
        8: "Sinyal lemah",
        9: "Koordinasi dengan Disdukcapil",
    },
    "2": {4: "1.234,5", 6: "Rp1.234.500,00"},
    "3": {4: "60%", 6: "1.000.000"},
}


# --------------------------------------------------------------------------- building


def test_built_form_has_the_contract_table_and_the_code(form_docx, spec):
    d = docx.Document(str(form_docx))
    assert len(d.tables) == 1
    table = d.tables[0]
    assert [c.text for c in table.rows[0].cells] == list(FORM_HEADERS)
    assert [[c.text for c in r.cells][:4] for r in table.rows[1:]] == [
        ["1", "Persentase penyelesaian administrasi kependudukan tepat waktu", "%", "85"],
        ["2", "Jumlah desa yang dibina dalam penyelenggaraan pemerintahan", "desa", "1.234"],
        ["3", "Persentase sengketa batas desa yang diselesaikan", "%", "60"],
    ]
    assert all(c.text == "" for r in table.rows[1:] for c in r.cells[4:])
    code_paras = [p for p in d.paragraphs if p.text == "Kode formulir: PANTAU:PK-2025-TW3:PEM:1"]
    assert len(code_paras) == 1
    run = code_paras[0].runs[0]
    assert run.font.size.pt <= 8 and str(run.font.color.rgb) == "808080"
    # printed once (under the table); the footer names the form and numbers the pages
    assert "PANTAU:PK-2025-TW3:PEM:1" not in d.sections[0].footer._element.xml
    assert "PAGE" in d.sections[0].footer._element.xml
    assert d.core_properties.subject == "PANTAU:PK-2025-TW3:PEM:1"
    assert "PANTAU:PK-2025-TW3:PEM:1" in d.core_properties.keywords
    text = "\n".join(p.text for p in d.paragraphs)
    for expected in [
        "FORMAT PEMANTAUAN KINERJA",
        "TRIWULAN III TAHUN 2025",
        "Unit Kerja\t: Seksi Pemerintahan",
        "Jumat, 10 Oktober 2025 pukul 16.00 WIB",
        "1 Juli 2025 s.d. 30 September 2025",
        spec.subject_hint,
        "pantau@kecamatan.test",
        "KECAMATAN LINGGO SARI BAGANTI",
    ]:
        assert expected in text, expected


def test_unfilled_form_reads_with_realisasi_errors(form_docx):
    result = read_form(form_docx.read_bytes(), form_docx.name)
    assert result.code == CODE
    assert [r.no for r in result.rows] == ["1", "2", "3"]
    assert [r.target for r in result.rows] == [85.0, 1234.0, 60.0]
    assert [e.row for e in result.errors] == ["1", "2", "3"]
    assert all(e.column == "Realisasi" for e in result.errors)


# --------------------------------------------------------------------------- round trip


def test_round_trip_with_indonesian_numbers(form_docx, spec):
    data = fill(form_docx, FULL)
    result = read_form(data, "formulir.docx")
    assert result.code == CODE
    assert result.errors == [] and result.warnings == []
    r1, r2, r3 = result.rows
    assert (r1.realisasi, r1.realisasi_anggaran) == (85.5, 1_234_500.0)
    assert (r2.realisasi, r2.realisasi_anggaran) == (1234.5, 1_234_500.0)
    assert (r3.realisasi, r3.realisasi_anggaran) == (60.0, 1_000_000.0)
    assert r1.faktor_pendorong == "Dukungan kepala desa"
    assert r1.faktor_penghambat == "Sinyal lemah"
    assert r1.tindak_lanjut == "Koordinasi dengan Disdukcapil"
    checked = check_form(result, CODE, spec.indicators, UNIT_NAMES)
    assert checked.ok and checked.warnings == []
    assert [r.indikator for r in checked.rows] == [i.indikator for i in spec.indicators]


def test_word_instead_of_a_number_is_an_error_naming_row_and_value(form_docx):
    data = fill(form_docx, {**FULL, "2": {4: "delapan puluh", 6: "Rp 1.000"}})
    result = read_form(data)
    assert not result.ok
    (err,) = result.errors
    assert (err.row, err.column, err.value) == ("2", "Realisasi", "delapan puluh")
    assert err.indikator == "Jumlah desa yang dibina dalam penyelenggaraan pemerintahan"
    text = str(err)
    assert "baris No. 2" in text and "kolom \u201cRealisasi\u201d" in text
    assert "isian \u201cdelapan puluh\u201d" in text and "1.234,5" in text


def test_missing_realisasi_is_an_error(form_docx):
    data = fill(form_docx, {"1": FULL["1"], "3": FULL["3"]})
    result = read_form(data)
    (err,) = result.errors
    assert err.row == "2" and err.column == "Realisasi" and "belum diisi" in err.message


def test_ambiguous_number_is_a_warning(form_docx):
    data = fill(form_docx, {**FULL, "2": {4: "1.234"}})
    result = read_form(data)
    assert result.ok
    (warn,) = result.warnings
    assert (warn.row, warn.column, warn.value) == ("2", "Realisasi", "1.234")
    assert result.rows[1].realisasi == 1234.0
    assert "1.234 (seribu dua ratus tiga puluh empat)" in warn.message


def test_bad_budget_is_an_error_and_bad_capaian_only_a_warning(form_docx):
    data = fill(form_docx, {**FULL, "1": {**FULL["1"], 5: "baik", 6: "satu juta"}})
    result = read_form(data)
    assert [(e.row, e.column) for e in result.errors] == [("1", "Realisasi Anggaran (Rp)")]
    assert [(w.row, w.column) for w in result.warnings] == [("1", "Capaian (%)")]


# --------------------------------------------------------------------------- check_form


def test_another_units_form(form_docx, spec):
    result = read_form(fill(form_docx, FULL))
    checked = check_form(result, FormCode("PK-2025-TW3", "SEK", 1), S.indicators("SEK"), UNIT_NAMES)
    assert not checked.ok
    assert (
        "formulir ini milik unit Seksi Pemerintahan, bukan unit Sekretariat."
        in checked.errors[0].message
    )


def test_another_periods_form(form_docx, spec):
    result = read_form(fill(form_docx, FULL))
    checked = check_form(result, FormCode("PK-2025-TW4", "PEM", 1), spec.indicators)
    assert not checked.ok
    assert (
        "untuk periode Triwulan III Tahun 2025 (PK-2025-TW3), bukan Triwulan IV Tahun 2025"
        in checked.errors[0].message
    )


def test_older_version_is_only_a_warning(form_docx, spec):
    result = read_form(fill(form_docx, FULL))
    checked = check_form(result, FormCode("PK-2025-TW3", "PEM", 2), spec.indicators)
    assert checked.ok
    assert "versi 1" in checked.warnings[0].message and "versi 2" in checked.warnings[0].message


def test_unknown_and_missing_indicator_rows(tmp_path, spec):
    d = docx.Document(str(build_form_path(tmp_path, spec)))
    table = d.tables[0]
    table.rows[3].cells[0].text = "9"
    table.rows[3].cells[1].text = "Indikator tambahan buatan sendiri"
    for row, value in zip(table.rows[1:], ["80", "7", "3"], strict=True):
        row.cells[4].text = value
    buf = io.BytesIO()
    d.save(buf)
    checked = check_form(read_form(buf.getvalue()), CODE, spec.indicators)
    rows_named = {(e.row, e.indikator) for e in checked.errors}
    assert ("9", "Indikator tambahan buatan sendiri") in rows_named
    assert ("3", "Persentase sengketa batas desa yang diselesaikan") in rows_named
    assert [r.no for r in checked.rows] == ["1", "2"]


def test_renamed_indicator_and_changed_target_are_warnings(tmp_path, spec):
    d = docx.Document(str(build_form_path(tmp_path, spec)))
    table = d.tables[0]
    table.rows[1].cells[1].text = "Persentase penyelesaian adminduk tepat waktu"
    table.rows[2].cells[3].text = "2.000"
    for row in table.rows[1:]:
        row.cells[4].text = "5"
    buf = io.BytesIO()
    d.save(buf)
    checked = check_form(read_form(buf.getvalue()), CODE, spec.indicators)
    assert checked.ok, checked.errors
    messages = " ".join(w.message for w in checked.warnings)
    assert "nama indikator berbeda" in messages and "target diubah" in messages
    assert checked.rows[0].indikator == spec.indicators[0].indikator


def test_missing_code_is_a_warning(tmp_path, spec):
    data = raw_docx(table_xml(HEADER_ROW + data_rows()), code="")
    result = read_form(data)
    assert result.code is None and result.ok
    checked = check_form(result, CODE, spec.indicators)
    assert checked.ok and "kode formulir tidak ditemukan" in checked.warnings[0].message


def build_form_path(tmp_path: Path, spec) -> Path:
    out = tmp_path / "f.docx"
    build_form(spec, TEMPLATES, out)
    return out


# --------------------------------------------------------------------------- hand-made DOCX

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def cell(text: str, span: int = 1, vmerge: str | None = None) -> str:
    props = ""
    if span > 1:
        props += f'<w:gridSpan w:val="{span}"/>'
    if vmerge is not None:
        props += '<w:vMerge w:val="restart"/>' if vmerge == "restart" else "<w:vMerge/>"
    runs = "".join(f'<w:r><w:t xml:space="preserve">{part}</w:t></w:r>' for part in _split(text))
    return f"<w:tc><w:tcPr>{props}</w:tcPr><w:p>{runs}</w:p></w:tc>"


def _split(text: str) -> list[str]:
    # split into several runs, as Word does after editing
    return [text[: len(text) // 2], text[len(text) // 2 :]] if len(text) > 3 else [text]


def row(*cells: str) -> str:
    return "<w:tr>" + "".join(cells) + "</w:tr>"


def table_xml(rows: list[str]) -> str:
    return "<w:tbl><w:tblPr/>" + "".join(rows) + "</w:tbl>"


HEADER_ROW = [row(*(cell(h) for h in FORM_HEADERS))]


def data_rows() -> list[str]:
    inds = S.indicators("PEM")
    return [
        row(
            cell(i.no),
            cell(i.indikator),
            cell(i.satuan),
            cell(""),
            cell(v),
            cell(""),
            cell(""),
            cell(""),
            cell(""),
            cell(""),
        )
        for i, v in zip(inds, ["1", "2", "3"], strict=True)
    ]


def raw_docx(
    body: str, code: str = str(CODE), core: str = "", footer: str = "", doctype: str = ""
) -> bytes:
    para = f"<w:p><w:r><w:t>Kode formulir: {code}</w:t></w:r></w:p>" if code else ""
    doc = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{doctype}'
        f'<w:document xmlns:w="{W}"><w:body>{body}{para}</w:body></w:document>'
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.'
            'openxmlformats.org/package/2006/content-types"/>',
        )
        z.writestr("word/document.xml", doc)
        if core:
            z.writestr("docProps/core.xml", core)
        if footer:
            z.writestr(
                "word/footer1.xml",
                f'<w:ftr xmlns:w="{W}"><w:p><w:r><w:t>{footer}</w:t></w:r></w:p></w:ftr>',
            )
    return buf.getvalue()


def test_reordered_extra_columns_header_not_first_and_merged_cells():
    order = [
        "Realisasi Anggaran (Rp)",
        "INDIKATOR   KINERJA",
        "no.",
        "Keterangan",
        "realisasi",
        "Target",
        "Satuan",
        "Capaian(%)",
        "Tindak  Lanjut",
        "Faktor Penghambat",
        "Faktor Pendorong",
    ]
    title = row(cell("FORMAT PEMANTAUAN", span=len(order)))
    numbers = row(*(cell(f"({i})") for i in range(1, len(order) + 1)))
    blank = row(*(cell("") for _ in order))
    r1 = row(
        cell("Rp 2.500.000"),
        cell("Persentase penyelesaian administrasi kependudukan tepat waktu"),
        cell("1."),
        cell("catatan"),
        cell("90"),
        cell("85"),
        cell("%"),
        cell(""),
        cell("Lanjut"),
        cell("Hambatan bersama", vmerge="restart"),
        cell("Dorong"),
    )
    r2 = row(
        cell("0"),
        cell("Jumlah desa yang dibina dalam penyelenggaraan pemerintahan"),
        cell("2"),
        cell(""),
        cell("7"),
        cell("10"),
        cell("desa"),
        cell(""),
        cell(""),
        cell("", vmerge="continue"),
        cell(""),
    )
    data = raw_docx(
        table_xml([title, row(*(cell(h) for h in order)), numbers, blank, r1, r2, blank])
    )
    result = read_form(data)
    assert result.code == CODE
    assert result.errors == []
    a, b = result.rows
    assert (a.no, a.realisasi, a.realisasi_anggaran, a.target, a.satuan) == (
        "1",
        90.0,
        2_500_000.0,
        85.0,
        "%",
    )
    assert (b.no, b.realisasi, b.realisasi_anggaran) == ("2", 7.0, 0.0)
    assert a.faktor_penghambat == b.faktor_penghambat == "Hambatan bersama"
    assert a.tindak_lanjut == "Lanjut" and a.faktor_pendorong == "Dorong"


def test_content_controls_grid_before_and_code_in_footer_or_properties():
    sdt_cell = "<w:sdt><w:sdtPr/><w:sdtContent>" + cell("77") + "</w:sdtContent></w:sdt>"
    r = (
        '<w:tr><w:trPr><w:gridBefore w:val="1"/></w:trPr>'
        + cell("1")
        + cell("Indikator satu")
        + cell("%")
        + cell("80")
        + sdt_cell
        + "</w:tr>"
    )
    header = (
        '<w:tr><w:trPr><w:gridBefore w:val="1"/></w:trPr>'
        + "".join(cell(h) for h in FORM_HEADERS[:5])
        + "</w:tr>"
    )
    body = table_xml([header, r])
    from_footer = read_form(raw_docx(body, code="", footer="Kode formulir: " + str(CODE)))
    assert from_footer.code == CODE and from_footer.rows[0].realisasi == 77.0
    core = (
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
        'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<dc:subject>{CODE}</dc:subject></cp:coreProperties>"
    )
    from_core = read_form(raw_docx(body, code="", core=core))
    assert from_core.code == CODE


# --------------------------------------------------------------------------- wrong files


@pytest.mark.parametrize(
    "data,words",
    [
        (b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n", "PDF"),
        (b"\x89PNG\r\n\x1a\n" + bytes(100), "gambar"),
        (b"\xff\xd8\xff\xe0" + bytes(100), "gambar"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "format lama"),
        (bytes(random.Random(1).randrange(256) for _ in range(5000)), "bukan formulir"),
        (b"", "kosong"),
        (b"PK\x03\x04garbage", "rusak"),
    ],
)
def test_files_that_are_not_forms(data, words):
    result = read_form(data, "lampiran")
    assert isinstance(result, FormResult)
    assert len(result.errors) == 1 and words in result.errors[0].message
    assert result.rows == []


def test_docx_without_the_table(tmp_path):
    from daemon.documents import render_letter

    render_letter(S.letter("undangan"), TEMPLATES, tmp_path / "u.docx")
    result = read_form((tmp_path / "u.docx").read_bytes())
    assert [e.message for e in result.errors] == [
        "berkas ini bukan formulir pemantauan (tabel dengan kolom Realisasi tidak ditemukan)"
    ]


def zip_of(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def test_zip_bombs_are_refused():
    big = zip_of({"word/document.xml": b" " * (30 * 1024 * 1024)})
    assert len(big) < 200_000
    result = read_form(big)
    assert len(result.errors) == 1 and "zip bomb" in result.errors[0].message
    dense = zip_of({"word/document.xml": b"<w:document/>" + b" " * (5 * 1024 * 1024)})
    result = read_form(dense)
    assert "rasio kompresi" in result.errors[0].message
    many = zip_of({f"word/media/{i}.xml": b"x" for i in range(2001)})
    assert "2001 bagian" in read_form(many).errors[0].message
    strict = read_form(
        zip_of({"word/document.xml": b"x" * 1000}), limits=ReadLimits(max_total_bytes=500)
    )
    assert "melebihi batas" in strict.errors[0].message


def test_billion_laughs_and_xxe_are_refused(tmp_path):
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    )
    lol = f"<!DOCTYPE lolz [{entities}]>"
    body = table_xml(HEADER_ROW + [row(cell("1"), cell("&lol9;"), *(cell("") for _ in range(8)))])
    result = read_form(raw_docx(body, doctype=lol))
    assert len(result.errors) == 1 and "DTD" in result.errors[0].message
    secret = tmp_path / "rahasia.txt"
    secret.write_text("RAHASIA-XXE")
    xxe = f'<!DOCTYPE d [<!ENTITY x SYSTEM "file://{secret}">]>'
    body = table_xml(HEADER_ROW + [row(cell("1"), cell("&x;"), *(cell("") for _ in range(8)))])
    result = read_form(raw_docx(body, doctype=xxe))
    assert len(result.errors) == 1 and "DTD" in result.errors[0].message
    assert "RAHASIA" not in repr(result)


# --------------------------------------------------------------------------- XLSX


def test_hostile_xlsx_dimensions_and_merges_are_bounded():
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    merges = "".join('<mergeCell ref="A1:A1048576"/>' for _ in range(5000))
    sheet = (
        f'<worksheet xmlns="{ns}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>x</t>'
        '</is></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
        f'<row r="-3"><c r="B1"><v>2</v></c></row></sheetData><mergeCells>{merges}</mergeCells>'
        "</worksheet>"
    )
    data = zip_of({"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": sheet.encode()})
    assert "rasio kompresi" in read_form(data, "x.xlsx").errors[0].message
    result = read_form(data, "x.xlsx", ReadLimits(max_ratio=1e9))  # the grid is bounded too
    assert [e.message for e in result.errors] == [
        "berkas ini bukan formulir pemantauan (tabel dengan kolom Realisasi tidak ditemukan)"
    ]


def test_xlsx_form_round_trip(tmp_path, spec):
    out = tmp_path / "f.xlsx"
    build_form(spec, TEMPLATES, out, fmt="xlsx")
    wb = openpyxl.load_workbook(out)
    assert wb.properties.subject == str(CODE)
    ws = wb.active
    header_row = next(r for r in ws.iter_rows() if r[0].value == "No")
    assert [c.value for c in header_row] == list(FORM_HEADERS)
    hr = header_row[0].row
    assert any(c.value == f"Kode formulir: {CODE}" for r in ws.iter_rows() for c in r)
    ws.cell(hr + 1, 5).value = 85.5
    ws.cell(hr + 2, 5).value = "1.234,5"
    ws.cell(hr + 3, 5).value = 60
    ws.cell(hr + 1, 7).value = "Rp 1.234.500"
    ws.cell(hr + 1, 8).value = "Dukungan"
    wb.save(out)
    result = read_form(out.read_bytes(), "f.xlsx")
    assert result.code == CODE and result.ok, result.errors
    assert [r.realisasi for r in result.rows] == [85.5, 1234.5, 60.0]
    assert [r.target for r in result.rows] == [85.0, 1234.0, 60.0]
    assert result.rows[0].realisasi_anggaran == 1_234_500.0
    assert result.rows[0].faktor_pendorong == "Dukungan"
    assert check_form(result, CODE, spec.indicators).ok


# --------------------------------------------------------------------------- corpus


def corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(p for sub in ("docx", "xlsx") for p in (CORPUS / sub).rglob("*") if p.is_file())


def test_corpus_reads_without_exception():
    files = corpus_files()
    if not files:
        if os.environ.get("CI"):
            pytest.fail(f"corpus not found at {CORPUS}")
        pytest.skip("shared corpus absent")
    for path in files:
        result = read_form(path.read_bytes(), path.name)
        assert isinstance(result, FormResult), path
        assert result.rows or result.errors, path


# --------------------------------------------------------------------------- LibreOffice


def soffice_available() -> bool:
    ok = shutil.which("soffice") is not None
    if not ok and os.environ.get("CI"):
        pytest.fail("LibreOffice (soffice) is required when CI is set")
    return ok


@pytest.mark.slow
@pytest.mark.skipif("not soffice_available()")
def test_form_resaved_by_libreoffice_reads_back(tmp_path, form_docx, spec):
    filled = tmp_path / "diisi" / "formulir.docx"
    filled.parent.mkdir()
    fill(form_docx, FULL, filled)
    out = tmp_path / "lo"
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{tmp_path}/profile",
            "--headless",
            "--convert-to",
            "docx",
            "--outdir",
            str(out),
            str(filled),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    resaved = (out / "formulir.docx").read_bytes()
    assert resaved != filled.read_bytes()
    result = read_form(resaved, "formulir.docx")
    assert result.code == CODE
    assert result.ok and result.warnings == []
    assert [(r.realisasi, r.realisasi_anggaran) for r in result.rows] == [
        (85.5, 1_234_500.0),
        (1234.5, 1_234_500.0),
        (60.0, 1_000_000.0),
    ]
    assert result.rows[0].tindak_lanjut == "Koordinasi dengan Disdukcapil"
    assert check_form(result, CODE, spec.indicators).ok


# --------------------------------------------------------------------------- benchmark


def test_read_form_benchmark(form_docx, capsys):
    """Prints read_form's time per form (not asserted)."""
    data = fill(form_docx, FULL)
    n = 200
    for _ in range(20):
        read_form(data)
    start = time.perf_counter()
    for _ in range(n):
        read_form(data)
    with capsys.disabled():
        print(f"\nread_form: {(time.perf_counter() - start) / n * 1000:.2f} ms per form")
