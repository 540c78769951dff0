"""The draft report (konsep laporan, SPEC §6.4) and, via final.py, the final report.

`render_report` fills templates/laporan.docx: a title page (title, period, office, and the
"Konsep versi N" line that final.py replaces), BAB I (introduction), BAB II in a landscape section
(the summary per unit with indicators, mean achievement, category, pagu, realisasi anggaran and
penyerapan, and a total row that adds the columns up; the charts; one table per unit; the units
that sent no data and those that sent late, with the date; the factors and follow-ups as the units
wrote them; the rows with plausibility warnings when there are any; from the second period of a
year the realisation of the year's earlier periods beside this one), BAB III (closing and the
Kasubag's signature), and a footer with the version and the page number.

Charts (charts.py): achievement per unit sorted high to low and coloured by band with a legend
and the office mean, and budget absorption per unit; split into parts of at most BARS_PER_CHART
bars, each sized to fit the landscape writing area with its caption kept on the same page, so the
report stays readable at 200 units. They are drawn by other processes while the template renders.

Rows are laid out by docxtpl `{%tr %}` loops (no per-cell python-docx work), rendered by
fasttpl.FastTemplate (docxtpl's bytes without its quadratic tree move), so 5,000 rows and 20
charts render in ~2.6 s on a busy 2-core machine (5.5 s when drawn one after the other with
stock docxtpl).

Template variables of laporan.docx: kantor, period, cycle_code, version, tanggal, units (each
ReportUnit: unit, rows, capaian_rata, kategori, status, diterima, terlambat, versi_formulir, pagu,
realisasi_anggaran, penyerapan), tanpa_data, terlambat, jumlah_indikator, jumlah_pagu,
jumlah_realisasi_anggaran, penyerapan, capaian_rata, kategori, penyusun, camat, sekretaris,
catatan_revisi, peringatan, periode_sebelumnya, batas_waktu, logo, grafik (a list of {gambar,
judul}).
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

from daemon.documents.charts import (
    BARS_PER_CHART,
    CHART_MAX_H_MM,
    CHART_MAX_W_MM,
    NO_DATA,
    Drawing,
    bar_chart,
    chart_specs,
    fit_mm,
)
from daemon.documents.contexts import Report
from daemon.documents.fasttpl import Deferred
from daemon.documents.final import render_final
from daemon.documents.letters import logo_image
from daemon.documents.render import render_docx
from daemon.shell.archive import make_dirs  # noqa: E402

__all__ = ["BARS_PER_CHART", "CHART_MAX_H_MM", "CHART_MAX_W_MM", "NO_DATA", "chart_png", "charts",
           "render_final", "render_report", "report_context"]


def report_context(report: Report) -> dict[str, Any]:
    units = list(report.units)
    with_data = [u for u in units if u.status != NO_DATA]
    pagu = sum(u.pagu or 0 for u in units)
    real = [u.realisasi_anggaran for u in with_data if u.realisasi_anggaran is not None]
    real_total = sum(real) if real else None
    pagu_with_data = sum(u.pagu or 0 for u in with_data)
    return {
        "kantor": report.kantor,
        "period": report.period,
        "cycle_code": report.cycle_code,
        "version": report.version,
        "tanggal": report.tanggal,
        "units": units,
        "tanpa_data": [u for u in units if u.status == NO_DATA],
        "terlambat": [u for u in with_data if u.terlambat],
        "jumlah_indikator": sum(len(u.rows) for u in units),
        "jumlah_pagu": pagu or None,
        "jumlah_realisasi_anggaran": real_total,
        "penyerapan": (real_total / pagu_with_data * 100)
        if real_total is not None and pagu_with_data
        else None,
        "capaian_rata": report.capaian_rata,
        "kategori": report.kategori,
        "penyusun": report.penyusun,
        "camat": report.camat,
        "sekretaris": report.sekretaris,
        "catatan_revisi": list(report.catatan_revisi),
        "peringatan": list(report.peringatan or []),
        "periode_sebelumnya": list(report.periode_sebelumnya or []),
        "batas_waktu": report.batas_waktu,
        "logo": "",
        "grafik": [],
    }


def charts(report: Report) -> list[dict[str, Any]]:
    """The report's figures, drawn (charts.chart_specs, charts.Drawing). Each item: png (bytes),
    caption, width_mm, height_mm (fits CHART_MAX_W_MM x CHART_MAX_H_MM)."""
    specs = chart_specs(report)
    out = []
    for spec, png in zip(specs, Drawing(specs).result(), strict=True):
        width, height = fit_mm(png)
        out.append({"png": png, "caption": spec.caption, "width_mm": width, "height_mm": height})
    return out


def chart_png(report: Report) -> bytes:
    """The first achievement chart (PNG bytes)."""
    specs = chart_specs(report)
    return bar_chart(specs[0])


def _title_logo(logo: str | None) -> tuple[str, float] | None:
    spec = logo_image(logo)
    return (spec[0], 35) if spec else None


def render_report(
    report: Report,
    templates_dir: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    workdir: str | os.PathLike[str],
) -> str:
    """Render the draft report to `out_path` and return its sha256 hex. The charts' PNGs are
    also written to `workdir` (grafik-<cycle>-v<version>-<n>.png) for the archive.

    The charts are drawn by other processes (charts.Drawing) while the template is rendered,
    those already drawn for an earlier version with the same figures taken from
    `workdir`/grafik-cache;
    each chart's place holds a marker (fasttpl.Deferred) that becomes the picture, exactly as a
    docxtpl InlineImage would have written it, once the body is rendered."""
    from docx.shared import Mm

    specs = chart_specs(report)
    work = Path(workdir)
    drawing = Drawing(specs, cache=work / "grafik-cache")
    make_dirs(work)
    places = [Deferred(f"grafik-{i}") for i in range(1, len(specs) + 1)]
    props = {
        "title": f"Laporan Pemantauan Kinerja {report.period.label}",
        "subject": f"{report.cycle_code} konsep versi {report.version}",
        "keywords": f"Pantau; {report.cycle_code}; laporan; versi {report.version}",
        "author": report.kantor.nama,
    }

    def attach(tpl: Any, ctx: dict[str, Any]) -> None:
        ctx["grafik"] = [{"gambar": place, "judul": spec.caption}
                         for place, spec in zip(places, specs, strict=True)]

    def pictures(tpl: Any) -> dict[str, str]:
        out = {}
        for i, (place, png) in enumerate(zip(places, drawing.result(), strict=True), 1):
            (work / f"grafik-{report.cycle_code}-v{report.version}-{i}.png").write_bytes(png)
            width, height = fit_mm(png)
            pic = tpl.current_rendering_part.new_pic_inline(io.BytesIO(png), Mm(width),
                                                            Mm(height)).xml
            # what docxtpl's InlineImage puts in the run that held {{ g.gambar }}
            out[place.marker] = (f"</w:t></w:r><w:r><w:drawing>{pic}</w:drawing></w:r><w:r>"
                                 '<w:t xml:space="preserve">')
        return out

    return render_docx(
        Path(templates_dir) / "laporan.docx",
        report_context(report),
        out_path,
        images={"logo": _title_logo(report.kantor.logo)},
        properties=props,
        prepare=attach,
        after_render=pictures,
    )
