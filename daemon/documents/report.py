"""The draft report (konsep laporan, SPEC §6.4) and, via final.py, the final report.

`render_report` fills templates/laporan.docx: title page ("LAPORAN PEMANTAUAN KINERJA", period,
office, "Konsep versi N"), introduction (latar belakang, dasar hukum from the SOP, maksud dan
tujuan, ruang lingkup), the overall summary (mean achievement and category per unit and for the
office) with a horizontal bar chart of achievement per unit (matplotlib, Agg backend, PNG), one
table per unit (No, Indikator, Satuan, Target, Realisasi, Capaian (%), Kategori, Pagu,
Realisasi Anggaran, Capaian Anggaran), the units that sent no data ("tidak menyampaikan data"),
the factors and follow-ups as the units wrote them, the closing, and the version in the footer.

Rows are laid out by docxtpl `{%tr %}` loops (no per-cell python-docx work), so 5,000 rows
render in a few seconds.

Template variables of laporan.docx: kantor, period, cycle_code, version, tanggal, units (each
ReportUnit: unit, rows, capaian_rata, kategori, status, diterima, versi_formulir), tanpa_data
(the units without data), jumlah_indikator, capaian_rata, kategori, penyusun, camat, sekretaris,
catatan_revisi, logo, grafik (the chart).
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

from .. import formatting
from ..archive import make_dirs  # noqa: E402
from .contexts import Report
from .final import render_final
from .letters import logo_image
from .render import render_docx

__all__ = ["NO_DATA", "chart_png", "render_final", "render_report", "report_context"]

NO_DATA = "tidak menyampaikan data"
CHART_WIDTH_MM = 150
# bar colours by category (Sangat Tinggi ... Sangat Rendah), from green to red
_COLOURS = {
    "sangat tinggi": "#1a7f37",
    "tinggi": "#4caf50",
    "sedang": "#f2c744",
    "rendah": "#f08c2e",
    "sangat rendah": "#d1342f",
}


def report_context(report: Report) -> dict[str, Any]:
    units = list(report.units)
    return {
        "kantor": report.kantor,
        "period": report.period,
        "cycle_code": report.cycle_code,
        "version": report.version,
        "tanggal": report.tanggal,
        "units": units,
        "tanpa_data": [u for u in units if u.status == NO_DATA],
        "jumlah_indikator": sum(len(u.rows) for u in units if u.status != NO_DATA),
        "capaian_rata": report.capaian_rata,
        "kategori": report.kategori,
        "penyusun": report.penyusun,
        "camat": report.camat,
        "sekretaris": report.sekretaris,
        "catatan_revisi": list(report.catatan_revisi),
        # rows with plausibility warnings (SPEC §6.4), dicts: unit, unit_nama, no, indikator,
        # kolom, nilai, pesan
        "peringatan": [dict(w) for w in report.peringatan],
        "logo": "",
        "grafik": "",
    }


def chart_png(report: Report) -> bytes:
    """A horizontal bar chart of each unit's mean achievement (PNG bytes)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    units = list(report.units)
    names = [u.unit.nama for u in units]
    values = [
        u.capaian_rata if u.status != NO_DATA and u.capaian_rata is not None else 0.0 for u in units
    ]
    height = max(2.2, 0.45 * len(units) + 1.3)
    fig = Figure(figsize=(6.3, height), dpi=150)
    ax = fig.add_subplot(1, 1, 1)
    ys = list(range(len(units)))[::-1]
    colours = [_COLOURS.get((u.kategori or "").casefold(), "#5b7db1") for u in units]
    ax.barh(ys, values, color=colours, height=0.6)
    top = max([100.0, *values]) * 1.18
    for y, u, v in zip(ys, units, values, strict=True):
        if u.status == NO_DATA or u.capaian_rata is None:
            label = NO_DATA if u.status == NO_DATA else "-"
            ax.text(
                1, y, label, va="center", ha="left", fontsize=7, style="italic", color="#555555"
            )
        else:
            ax.text(
                v + top * 0.01,
                y,
                f"{formatting.persen(v)}% ({u.kategori})",
                va="center",
                ha="left",
                fontsize=7,
            )
    ax.set_yticks(ys)
    ax.set_yticklabels(names, fontsize=7)
    ax.set_xlim(0, top)
    ax.set_xlabel("Rata-rata capaian kinerja (%)", fontsize=8)
    ax.tick_params(axis="x", labelsize=7)
    if report.capaian_rata is not None:
        ax.axvline(report.capaian_rata, color="#333333", linestyle="--", linewidth=0.8)
        ax.text(
            report.capaian_rata,
            len(units) - 0.5,
            f" rata-rata {formatting.persen(report.capaian_rata)}%",
            fontsize=7,
            va="bottom",
            ha="left",
        )
        ax.set_ylim(-0.6, len(units) - 0.5 + 0.35)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _title_logo(logo: str | None) -> tuple[str, float] | None:
    spec = logo_image(logo)
    return (spec[0], 35) if spec else None


def render_report(
    report: Report,
    templates_dir: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    workdir: str | os.PathLike[str],
) -> str:
    """Render the draft report to `out_path` and return its sha256 hex. The chart's PNG is
    also written to `workdir` (grafik-<cycle>-v<version>.png) for the archive."""
    chart = chart_png(report)
    work = Path(workdir)
    make_dirs(work)
    (work / f"grafik-{report.cycle_code}-v{report.version}.png").write_bytes(chart)
    props = {
        "title": f"Laporan Pemantauan Kinerja {report.period.label}",
        "subject": f"{report.cycle_code} konsep versi {report.version}",
        "keywords": f"Pantau; {report.cycle_code}; laporan; versi {report.version}",
        "author": report.kantor.nama,
    }
    return render_docx(
        Path(templates_dir) / "laporan.docx",
        report_context(report),
        out_path,
        images={"logo": _title_logo(report.kantor.logo), "grafik": (chart, CHART_WIDTH_MM)},
        properties=props,
    )
