"""Tables and text out of DOCX and XLSX parts, for the form reader: one door, two readers.

The form reader (formread.py) finds the form's table in grids, whatever the file type, so the
grid is the contract between them: a list of rows, each a list of cells (str for DOCX; str or
float for XLSX, whose numeric cells are real numbers), one cell per grid column, merged cells
expanded, and only what the person sees (SPEC §6.2). The readers themselves live in

- docxgrid.py: DOCX tables (`docx_tables`, each a `Grid` carrying the `gap` before it) and texts;
- xlsxgrid.py: XLSX sheets (`xlsx_sheets`) and texts, numeric cells read through
  numformat.py (`SeenDate`, `Marked`, `ShownAs`);
- ooxml.py: what both packages share (relationships, main part, document properties).

This module only gathers their public names, so callers import the grid readers from one place.
The *_texts functions yield the texts in which a form code may hide: body, headers and footers,
then the document properties.
"""

from daemon.documents.docxgrid import Grid, docx_tables, docx_texts
from daemon.documents.numformat import Marked, SeenDate, ShownAs
from daemon.documents.xlsxgrid import xlsx_sheets, xlsx_texts

__all__ = [
    "Grid",
    "Marked",
    "SeenDate",
    "ShownAs",
    "docx_tables",
    "docx_texts",
    "xlsx_sheets",
    "xlsx_texts",
]
