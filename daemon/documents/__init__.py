"""Documents: every DOCX/XLSX/CSV/ICS/PDF Pantau writes, and the reader of filled forms.

The shell fills the dataclasses of `contexts.py`; these functions turn them into files (written
atomically, returning their sha256 hex for the archive). Only this package imports python-docx,
docxtpl, openpyxl, matplotlib, segno and icalendar.

    render_letter(letter, templates_dir, out_path) -> sha256        letters.py
    render_ics(meeting, out_path, *, sequence=0, tz=...) -> sha256  letters.py
    build_form(spec, templates_dir, out_path, fmt="docx") -> sha256 forms.py
    read_form(data, filename="", limits=ReadLimits()) -> FormResult formread.py
    check_form(result, expected, indicators, unit_names=None)       formcheck.py
    render_report(report, templates_dir, out_path, workdir) -> sha  report.py
    render_final(final, source_docx, out_path, web_url="") -> sha final.py
    write_emonev(rows, period, xlsx_path, csv_path) -> (sha, sha)   emonev.py
    to_pdf(docx_path, out_dir) -> Path | None                       pdf.py
    render_docx(template_path, context, out_path, images=None)      render.py
    check_templates(templates_dir) -> list[str]                     samples.py
    write_letterbook(rows, which, path) -> sha256 (buku agenda XLSX) letterbook.py
"""

from daemon.documents.emonev import write_emonev
from daemon.documents.final import render_final
from daemon.documents.formcheck import check_form
from daemon.documents.formread import FORM_HEADERS, read_form
from daemon.documents.forms import build_form, form_code
from daemon.documents.letters import TEMPLATE_FOR_KIND, render_ics, render_letter
from daemon.documents.pdf import to_pdf
from daemon.documents.render import atomic_write, render_docx, sha256_file
from daemon.documents.report import render_report
from daemon.documents.safezip import ReadLimits
from daemon.documents.samples import check_templates

__all__ = [
    "FORM_HEADERS",
    "TEMPLATE_FOR_KIND",
    "ReadLimits",
    "atomic_write",
    "build_form",
    "check_form",
    "check_templates",
    "form_code",
    "read_form",
    "render_docx",
    "render_final",
    "render_ics",
    "render_letter",
    "render_report",
    "sha256_file",
    "to_pdf",
    "write_emonev",
]
