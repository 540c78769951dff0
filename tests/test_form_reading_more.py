"""A reviewer's second table of filled forms (issue 11 review), written apart from
tests/test_form_reading.py and built with its helpers from the REAL generated form: numbers as
people type them (English separators, "%" in a count, rupiah in a percent row, "1,5 jt",
"85 / 90", dashes), Word markup a person does not see or does not read as digits (white or
2 pt text, w:specVanish, raised footnote digits, Symbol-font digits, a figure merged down over
two rows), XLSX number formats that show a number otherwise than it is held (percent in the
rupiah column, rupiah in a percent row, thousands-scaled, hidden, sign-dropping), a hidden
duplicate column, a merged-down cell, formulas without a cached value, dates and booleans in
number cells, changed tables (rows moved, deleted, renumbered, inserted, a repeated header) and
a form of another unit or period.

Each row asserts the value taken per indicator row, the rows warned about, or the answer given;
the summary asserts that none is read silently wrong (a value other than what the person sees,
with no word about that row).
"""

from __future__ import annotations

from datetime import datetime

import pytest
from test_form_reading import (
    BELUM,
    COL_RA,
    COL_REAL,
    Case,
    Docx,
    W,
    add_row,
    check,
    outcome,
    para,
    run,
    set_cell,
    silently_wrong,
    split_table,
    typed,
    x,
    xlsx,
)

from daemon.core.model import FormCode
from daemon.documents import check_form, read_form
from daemon.documents import samples as S

NOT_NUMBER = "bukan angka"


def ra(text: str) -> bytes:
    return Docx().text("1", COL_RA, text).bytes()


def both(*edits):
    def edit(ws, hr):
        for e in edits:
            e(ws, hr)
    return edit


def _tc_pr(tc, xml: str) -> None:
    pr = tc.find(W + "tcPr")
    if pr is None:
        pr = x("<w:tcPr/>")
        tc.insert(0, pr)
    pr.append(x(xml))


def vmerge_real() -> bytes:
    d = Docx().text("2", COL_REAL, "")
    _tc_pr(d.cell("1", COL_REAL), '<w:vMerge w:val="restart"/>')
    _tc_pr(d.cell("2", COL_REAL), "<w:vMerge/>")
    return d.bytes()


def renumber(pairs: dict[str, str]) -> bytes:
    d = Docx()
    cells = {no: d.cell(no, 0) for no in pairs}
    for no, new in pairs.items():
        tc = cells[no]
        for p in tc.findall(W + "p"):
            tc.remove(p)
        tc.append(x(para(run(new))))
    return d.bytes()


def moved_first_row() -> bytes:
    d = Docx()
    d.row("3").addnext(d.row("1"))
    return d.bytes()


def deleted_row() -> bytes:
    d = Docx()
    tr = d.row("2")
    tr.getparent().remove(tr)
    return d.bytes()


def hidden_duplicate_column(ws, hr):
    import openpyxl

    ws.insert_cols(COL_REAL + 1)
    ws.cell(hr, COL_REAL + 1).value = "Realisasi"
    for i in (1, 2, 3):
        ws.cell(hr + i, COL_REAL + 1).value = 999
    ws.column_dimensions[openpyxl.utils.get_column_letter(COL_REAL + 1)].hidden = True


def merged_down(ws, hr):
    ws.cell(hr + 1, COL_REAL + 1).value = 85
    ws.cell(hr + 2, COL_REAL + 1).value = None
    ws.merge_cells(start_row=hr + 1, start_column=COL_REAL + 1, end_row=hr + 2,
                   end_column=COL_REAL + 1)


CASES: list[Case] = [
    # numbers as typed
    typed("english-thousands-decimal", "1,234.5", 1234.5, row="2", warn=True),
    typed("english-cents", "12,000.00", 12000.0, row="2", warn=True),
    typed("indonesian-cents", "12.000,00", 12000.0, row="2"),
    typed("dot-dot-dot", "1.234.5", None, row="2", error="ribuan"),
    typed("comma-comma", "1,234,5", None, row="2", error="ribuan"),
    typed("accounting-negative", "(12)", None, error=NOT_NUMBER),
    typed("unicode-minus", "\u22125", -5.0),
    typed("en-dash-minus", "\u20135", None, error=NOT_NUMBER),
    typed("percent-in-count", "12%", 12.0, row="2", warn=True),
    typed("persen-in-count", "12 persen", 12.0, row="2", warn=True),
    typed("rupiah-in-percent-row", "Rp. 1.500.000,-", None, error="bukan rupiah"),
    typed("juta-abbreviated", "1,5 jt", None, error="tidak sama dengan satuan"),
    typed("juta-word", "1,5 juta", None, error=NOT_NUMBER),
    typed("big-grouped", "2.845.620.000", 2_845_620_000.0, row="2"),
    typed("words-only-seratus", "seratus", None, error=NOT_NUMBER),
    typed("two-numbers-slash", "85 / 90", None, error=NOT_NUMBER),
    typed("range-dash", "85-90", None, error=NOT_NUMBER),
    typed("two-paragraphs", "85\n90", None, error=NOT_NUMBER),
    typed("trailing-comma", "85,", None, error=NOT_NUMBER),
    typed("letter-o-for-zero", "8O", None, error=NOT_NUMBER),
    typed("nbsp-before-decimal", "85\u00a0,5", None, error=NOT_NUMBER),
    typed("fullwidth-digits", "\uff18\uff15", None, error=NOT_NUMBER),
    Case("typed-ra-percent", lambda: ra("85%"), error="berupa persen", error_row="1"),
    Case("typed-ra-persen", lambda: ra("85 persen"), error="berupa persen", error_row="1"),
    Case("typed-ra-english", lambda: ra("Rp 1,500,000"), anggaran={"1": 1_500_000.0}),
    Case("typed-ra-juta", lambda: ra("Rp1.5jt"), error=NOT_NUMBER, error_row="1"),
    # Word: what the person does not see, or does not read as a digit
    Case("word-white-digit", lambda: Docx().real("1", para(
        run("1", '<w:color w:val="FFFFFF"/>'), run("85"))).bytes(), real={"1": 85.0}),
    Case("word-two-point-digit", lambda: Docx().real("1", para(
        run("1", '<w:sz w:val="2"/>'), run("85"))).bytes(), real={"1": 85.0}),
    Case("word-white-on-highlight-is-seen", lambda: Docx().real("1", para(run(
        "85", '<w:color w:val="FFFFFF"/><w:highlight w:val="darkBlue"/>'))).bytes(),
        real={"1": 85.0}),
    Case("word-specvanish", lambda: Docx().real("1", para(
        run("1", "<w:specVanish/>"), run("85"))).bytes(), real={"1": 85.0}),
    Case("word-superscript-footnote-digit", lambda: Docx().real("1", para(
        run("85"), run("1", '<w:vertAlign w:val="superscript"/>'))).bytes(),
        error=NOT_NUMBER, error_row="1"),
    Case("word-symbol-font-digit", lambda: Docx().real("1", para(
        '<w:r><w:t>8</w:t><w:sym w:font="Symbol" w:char="F035"/></w:r>')).bytes(),
        real={"1": 85.0}),
    Case("word-wingdings-symbol", lambda: Docx().real("1", para(
        '<w:r><w:t>8</w:t><w:sym w:font="Wingdings" w:char="F0FC"/></w:r>')).bytes(),
        error=NOT_NUMBER, error_row="1"),
    Case("word-strikethrough-old-value", lambda: Docx().real("1", para(
        run("80", "<w:strike/>"), run(" 85"))).bytes(), error=NOT_NUMBER, error_row="1"),
    Case("word-vmerge-figure", vmerge_real, error=NOT_NUMBER, error_row="2"),
    Case("word-nested-table-two-values", lambda: Docx().real(
        "1", "<w:tbl><w:tr><w:tc>" + para(run("85")) + "</w:tc><w:tc>" + para(run("90"))
        + "</w:tc></w:tr></w:tbl><w:p/>").bytes(), error=NOT_NUMBER, error_row="1"),
    # Word: the table changed by the unit
    Case("word-row-moved-last", moved_first_row),
    Case("word-row-deleted", deleted_row, error="tidak ada dalam formulir", error_row="2"),
    Case("word-numbers-swapped", lambda: renumber({"2": "3", "3": "2"}), warn=("2", "3")),
    Case("word-extra-numbered-row", lambda: add_row(
        Docx(), ["2a", "Desa tambahan", "desa", "", "5"], after="2").bytes(),
        error="tidak sesuai dengan indikator"),
    Case("word-row-filled-twice", lambda: add_row(Docx(), [
        "1", "Persentase penyelesaian administrasi kependudukan tepat waktu", "%", "", "95"],
        after="3").bytes(), error="lebih dari", error_row="1"),
    Case("word-header-repeated-page-2", lambda: split_table(
        Docx(), "2", header=True).bytes()),
    # XLSX through the number format
    Case("xlsx-ra-percent-format", lambda: xlsx(set_cell(1, COL_RA, 0.85, "0%")),
         error="berupa persen", error_row="1", kind="xlsx"),
    Case("xlsx-real-rupiah-format", lambda: xlsx(set_cell(1, COL_REAL, 1500000, '"Rp"#,##0')),
         error="bukan rupiah", error_row="1", kind="xlsx"),
    Case("xlsx-percent-format-in-count", lambda: xlsx(set_cell(2, COL_REAL, 0.12, "0%")),
         real={"2": 12.0}, warn=("2",), kind="xlsx"),
    Case("xlsx-scaled-juta", lambda: xlsx(set_cell(1, COL_RA, 1500000, '#,##0,,"jt"')),
         anggaran={"1": 1_500_000.0}, warn=("1",), kind="xlsx"),
    Case("xlsx-hidden-format", lambda: xlsx(set_cell(1, COL_REAL, 85, ";;;")),
         real={"1": 85.0}, warn=("1",), kind="xlsx"),
    Case("xlsx-negative-without-sign", lambda: xlsx(set_cell(1, COL_REAL, -12, "0;0")),
         real={"1": -12.0}, warn=("1",), kind="xlsx"),
    Case("xlsx-negative-red-without-sign", lambda: xlsx(set_cell(1, COL_REAL, -12,
                                                                   "0;[Red]0")),
         real={"1": -12.0}, warn=("1",), kind="xlsx"),
    Case("xlsx-negative-in-parentheses", lambda: xlsx(set_cell(1, COL_REAL, -12, "0;(0)")),
         real={"1": -12.0}, kind="xlsx"),
    Case("xlsx-literal-percent", lambda: xlsx(set_cell(1, COL_REAL, 85, '0"%"')),
         real={"1": 85.0}, kind="xlsx"),
    Case("xlsx-hidden-duplicate-column", lambda: xlsx(hidden_duplicate_column), kind="xlsx"),
    Case("xlsx-merged-down-figure", lambda: xlsx(merged_down), real={"1": 85.0},
         error=NOT_NUMBER, error_row="2", kind="xlsx"),
    Case("xlsx-formula-no-cached-value", lambda: xlsx(set_cell(1, COL_REAL, "=40+45")),
         error=BELUM, error_row="1", kind="xlsx"),
    Case("xlsx-text-english", lambda: xlsx(set_cell(2, COL_REAL, "1,234.5")),
         real={"2": 1234.5}, warn=("2",), kind="xlsx"),
    Case("xlsx-text-apostrophe", lambda: xlsx(set_cell(1, COL_REAL, "'85")),
         error=NOT_NUMBER, error_row="1", kind="xlsx"),
    Case("xlsx-text-date", lambda: xlsx(set_cell(1, COL_REAL, "12/10/2025")),
         error=NOT_NUMBER, error_row="1", kind="xlsx"),
    Case("xlsx-datetime-cell", lambda: xlsx(set_cell(1, COL_REAL, datetime(2025, 10, 12))),
         error="tanggal", error_row="1", kind="xlsx"),
    Case("xlsx-boolean", lambda: xlsx(set_cell(1, COL_REAL, True)),
         error=NOT_NUMBER, error_row="1", kind="xlsx"),
]
BY_NAME = {c.name: c for c in CASES}
assert len(BY_NAME) == len(CASES)


@pytest.fixture(scope="module")
def spec():
    return S.form_spec()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_review_form(case, spec):
    check(case, outcome(case.make(), spec.indicators))


@pytest.mark.parametrize(("code", "words"), [
    (FormCode("PK-2025-TW3", "TRANTIB", 1), "milik unit PEM, bukan unit TRANTIB"),
    (FormCode("PK-2025-TW4", "PEM", 1), "bukan Triwulan IV"),
])
def test_form_of_another_unit_or_period_is_named(code, words, spec):
    res = check_form(read_form(Docx().bytes(), "formulir"), code, spec.indicators)
    assert not res.ok and any(words in str(e) for e in res.errors), res.errors


def test_review_forms_summary(spec, capsys):
    right = 0
    wrong: list[str] = []
    failed: list[str] = []
    for case in CASES:
        got = outcome(case.make(), spec.indicators)
        wrong += [f"{case.name}: row {r}" for r in silently_wrong(case, got)]
        try:
            check(case, got)
            right += 1
        except AssertionError:
            failed.append(case.name)
    with capsys.disabled():
        print(f"\nreview forms: {len(CASES)}; read right {right}, silently wrong {len(wrong)}")
    assert len(CASES) >= 30
    assert not wrong, wrong
    assert not failed, failed
