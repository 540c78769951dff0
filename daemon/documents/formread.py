"""Reading a filled form (DOCX or XLSX) back, and checking it against the unit's indicators.

`read_form(data, filename)` never raises: whatever arrives (a filled form, a PDF scan, a photo,
a zip bomb, an XML bomb, random bytes) gives a `FormResult` whose errors and warnings are
Indonesian sentences with their place (row = the form's No, indikator, column header, value).

It reads the XML directly with lxml (about 1 ms per form; python-docx costs ~11 ms) through the
hardened parser and zip checks of safezip.py. The embedded code (`PANTAU:PK-2025-TW3:PEM:1`) is
looked for in the body text, the headers and footers, then the core properties. What the person
sees is read (SPEC §6.2): xmlgrid.py gives the visible cell text, merged cells expanded, and
XLSX values through their number format. The reading has three parts:

- formtable.py finds the table by its header text and joins the tables that continue it;
- formrow.py reads each row: notes, totals and blank rows skipped, figures read leniently with
  a warning or refused with an error;
- formcheck.py (`check_form`) compares the result with what the unit owes for the cycle.

Wrong files (.doc, ODT, PDF, photos) are named by wrongfile.describe.
"""

from __future__ import annotations

from daemon.core.model import FormCode, FormProblem, FormResult
from daemon.documents.formrow import read_row
from daemon.documents.formtable import FORM_HEADERS, cell_text, find_table
from daemon.documents.safezip import NOT_A_FORM, Package, ReadLimits, UnsafeFile, is_zip
from daemon.documents.wrongfile import describe
from daemon.documents.xmlgrid import docx_tables, docx_texts, xlsx_sheets, xlsx_texts

__all__ = ["FORM_HEADERS", "ReadLimits", "read_form"]


def read_form(data: bytes, filename: str = "", limits: ReadLimits = ReadLimits()) -> FormResult:
    """Read a filled form (DOCX or XLSX); never raises (see the module docstring).

    `filename` is informative only (the content decides what the file is; it is never used as a
    path); `limits` bounds what a zip may expand to."""
    try:
        return _read(data, limits)
    except UnsafeFile as exc:
        return FormResult(None, errors=[FormProblem(str(exc))])
    except Exception as exc:  # noqa: BLE001 - a form must never crash the pipeline
        return FormResult(
            None,
            errors=[
                FormProblem(
                    f"berkas tidak dapat dibaca sebagai formulir ({type(exc).__name__}); kirimkan "
                    "formulir DOCX yang dikirim Pantau setelah diisi"
                )
            ],
        )


def _read(data: bytes, limits: ReadLimits) -> FormResult:
    if not is_zip(data):
        return FormResult(None, errors=[FormProblem(describe(data) or NOT_A_FORM)])
    pkg = Package(data, limits)
    names = set(pkg.names())
    if "word/document.xml" in names or any(n.startswith("word/") for n in names):
        tables, texts = docx_tables(pkg), docx_texts
    elif "xl/workbook.xml" in names or any(n.startswith("xl/") for n in names):
        if any(n.endswith(".bin") and n.startswith("xl/worksheets/") for n in names):
            return FormResult(
                None,
                errors=[
                    FormProblem(
                        "berkas Excel biner (.xlsb) tidak dapat dibaca; simpan sebagai XLSX"
                    )
                ],
            )
        tables, texts = xlsx_sheets(pkg), xlsx_texts
    elif pkg.read("mimetype") and b"opendocument" in (pkg.read("mimetype") or b""):
        return FormResult(None, errors=[FormProblem(describe(data) or NOT_A_FORM)])
    else:
        return FormResult(None, errors=[FormProblem(NOT_A_FORM)])
    code = None
    for text in texts(pkg):
        code = FormCode.find(text)
        if code:
            break
    found = find_table(tables)
    if found is None:
        return FormResult(code, errors=[FormProblem(NOT_A_FORM)])
    grid, header_at, cols = found
    result = FormResult(code)
    header = [cell_text(c) for c in grid[header_at]]
    for index, row in enumerate(grid[header_at + 1 :], start=header_at + 2):
        form_row = read_row(row, cols, header, index, result)
        if form_row is not None:
            result.rows.append(form_row)
    if not result.rows:
        result.errors.append(
            FormProblem(
                "tabel formulir tidak berisi baris indikator; isi baris indikator yang tersedia"
            )
        )
    return result
