"""The draft report (konsep laporan, SPEC §6.4) and, via final.py, the final report.

`render_report` fills templates/laporan.docx: a title page (title, period, office, and the
"Konsep versi N" line that final.py replaces), BAB I (introduction), BAB II in a landscape section
(the summary per unit with indicators, mean achievement, category, pagu, realisasi anggaran and
penyerapan, and a total row that adds the columns up; the charts; one table per unit; the units
that sent no data and those that sent late, with the date; the factors and follow-ups as the units
wrote them; the rows with plausibility warnings when there are any; from the second period of a
year the realisation of the year's earlier periods beside this one), BAB III (closing and the
Kasubag's signature), and a footer with the version and the page number.

Charts (matplotlib, Agg backend, PNG): achievement per unit sorted high to low and coloured by band
with a legend and the office mean, and budget absorption per unit; split into parts of at most
BARS_PER_CHART bars, each sized to fit the landscape writing area with its caption kept on the same
page, so the report stays readable at 200 units.

Rows are laid out by docxtpl `{%tr %}` loops (no per-cell python-docx work), so 5,000 rows
render in a few seconds.

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

from daemon.core import formatting
from daemon.documents.contexts import Report
from daemon.documents.final import render_final
from daemon.documents.letters import logo_image
from daemon.documents.render import render_docx
from daemon.shell.archive import make_dirs  # noqa: E402

__all__ = ["NO_DATA", "chart_png", "render_final", "render_report", "report_context"]

NO_DATA = "tidak menyampaikan data"
# The charts sit in BAB II, a landscape A4 section with 2 cm margins: 25.7 x 17.0 cm of writing
# area. A figure (picture + caption) must fit it, so a picture is at most 24 x 14.5 cm.
CHART_MAX_W_MM = 240
CHART_MAX_H_MM = 145
BARS_PER_CHART = 20
# bar colours by category (Sangat Tinggi ... Sangat Rendah), from green to red
_COLOURS = {
    "sangat tinggi": "#1a7f37",
    "tinggi": "#4caf50",
    "sedang": "#f2c744",
    "rendah": "#f08c2e",
    "sangat rendah": "#d1342f",
}
_BANDS = ["Sangat Tinggi", "Tinggi", "Sedang", "Rendah", "Sangat Rendah"]


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


def _wrap(name: str, width: int = 30) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(name, width)[:2]) or name


def _chunks(items: list, size: int = BARS_PER_CHART) -> list[list]:
    """Split into nearly equal parts of at most `size` (41 units: 14 + 14 + 13, not 20 + 20 + 1)."""
    if not items:
        return [[]]
    parts = -(-len(items) // size)
    base, extra = divmod(len(items), parts)
    out, i = [], 0
    for k in range(parts):
        n = base + (1 if k < extra else 0)
        out.append(items[i : i + n])
        i += n
    return out


def _bar_chart(
    entries: list[tuple[str, float | None, str, str]],
    xlabel: str,
    mean: float | None,
    mean_label: str,
    legend: bool,
) -> bytes:
    """One horizontal bar chart: entries are (name, value or None, label, colour), top down."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    n = max(1, len(entries))
    width_in = CHART_MAX_W_MM / 25.4
    height_in = min(CHART_MAX_H_MM / 25.4, 0.9 + 0.26 * n + (0.3 if legend or mean else 0))
    fig = Figure(figsize=(width_in, height_in), dpi=150)
    ax = fig.add_subplot(1, 1, 1)
    ys = list(range(len(entries)))[::-1]
    values = [v if v is not None else 0.0 for _, v, _, _ in entries]
    ax.barh(ys, values, color=[c for *_, c in entries], height=0.62)
    top = max([100.0, *values]) * 1.32
    for y, (_, v, label, _) in zip(ys, entries, strict=True):
        if v is None:
            ax.text(top * 0.005, y, label, va="center", ha="left", fontsize=7.5, style="italic",
                    color="#555555")
        else:
            ax.text(v + top * 0.01, y, label, va="center", ha="left", fontsize=7.5)
    ax.set_yticks(ys)
    ax.set_yticklabels([_wrap(name) for name, *_ in entries], fontsize=7.5)
    ax.set_xlim(min(0.0, min(values) * 1.1), top)  # a negative achievement stays visible
    ax.set_ylim(-0.7, len(entries) - 0.3)
    ax.set_xlabel(xlabel, fontsize=8.5)
    ax.tick_params(axis="x", labelsize=7.5)
    if mean is not None:
        ax.axvline(mean, color="#333333", linestyle="--", linewidth=0.8)
    handles = []
    if legend:
        handles = [Patch(color=_COLOURS[b.casefold()], label=b) for b in _BANDS]
    if mean is not None:
        from matplotlib.lines import Line2D

        handles.append(Line2D([0], [0], color="#333333", linestyle="--", linewidth=0.8,
                              label=mean_label))
    if handles:
        fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=7.5,
                   frameon=False, bbox_to_anchor=(0.5, 0.0))
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    bottom = (0.3 / height_in) if handles else 0.0
    fig.tight_layout(rect=(0, bottom, 1, 1), pad=0.4)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _band_colour(kategori: str) -> str:
    return _COLOURS.get((kategori or "").casefold(), "#5b7db1")


def charts(report: Report) -> list[dict[str, Any]]:
    """The report's figures: achievement per unit (sorted, coloured by band, legend) and budget
    absorption per unit, each split into parts of at most ~20 bars. Each item: png (bytes),
    caption, width_mm, height_mm (fits CHART_MAX_W_MM x CHART_MAX_H_MM)."""
    units = list(report.units)

    def achieved(u) -> float:
        return u.capaian_rata if u.status != NO_DATA and u.capaian_rata is not None else -1.0

    by_capaian = sorted(units, key=lambda u: (-achieved(u), u.unit.nama))
    out: list[dict[str, Any]] = []
    mean = report.capaian_rata
    parts = _chunks(by_capaian)
    for k, part in enumerate(parts, 1):
        entries = []
        for u in part:
            if u.status == NO_DATA or u.capaian_rata is None:
                entries.append(
                    (u.unit.nama, None, NO_DATA if u.status == NO_DATA else "-", "#999999")
                )
            else:
                entries.append((u.unit.nama, u.capaian_rata,
                                f"{formatting.persen(u.capaian_rata)}% ({u.kategori})",
                                _band_colour(u.kategori)))
        png = _bar_chart(
            entries,
            "Rata-rata capaian kinerja (%)",
            mean,
            f"rata-rata kecamatan {formatting.persen(mean)}%" if mean is not None else "",
            legend=True,
        )
        more = f" (bagian {k} dari {len(parts)})" if len(parts) > 1 else ""
        out.append({"png": png, "caption": "Rata-rata Capaian Kinerja per Unit Kerja "
                    f"{report.period.label}{more}"})

    def absorbed(u) -> float:
        return u.penyerapan if u.penyerapan is not None else -1.0

    with_pagu = [u for u in units if u.pagu]
    by_budget = sorted(with_pagu, key=lambda u: (-absorbed(u), u.unit.nama))
    parts = _chunks(by_budget) if by_budget else []
    for k, part in enumerate(parts, 1):
        entries = []
        for u in part:
            if u.penyerapan is None:
                entries.append((u.unit.nama, None, NO_DATA if u.status == NO_DATA else "-",
                                "#999999"))
            else:
                entries.append((u.unit.nama, u.penyerapan, f"{formatting.persen(u.penyerapan)}%",
                                "#2f6db5"))
        png = _bar_chart(entries, "Penyerapan anggaran (%)", None, "", legend=False)
        more = f" (bagian {k} dari {len(parts)})" if len(parts) > 1 else ""
        out.append({"png": png, "caption": "Penyerapan Anggaran per Unit Kerja "
                    f"{report.period.label}{more}"})
    for i, g in enumerate(out, 1):
        w_px, h_px = _png_size(g["png"])
        width = CHART_MAX_W_MM
        height = width * h_px / w_px
        if height > CHART_MAX_H_MM:
            height = CHART_MAX_H_MM
            width = height * w_px / h_px
        g["width_mm"], g["height_mm"] = width, height
        g["caption"] = f"Grafik {i}. {g['caption']}"
    return out


def chart_png(report: Report) -> bytes:
    """The first achievement chart (PNG bytes)."""
    return charts(report)[0]["png"]


def _png_size(png: bytes) -> tuple[int, int]:
    import struct

    return struct.unpack(">II", png[16:24])


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
    also written to `workdir` (grafik-<cycle>-v<version>-<n>.png) for the archive."""
    from docx.shared import Mm
    from docxtpl import DocxTemplate, InlineImage

    figures = charts(report)
    work = Path(workdir)
    make_dirs(work)
    for i, g in enumerate(figures, 1):
        (work / f"grafik-{report.cycle_code}-v{report.version}-{i}.png").write_bytes(g["png"])
    props = {
        "title": f"Laporan Pemantauan Kinerja {report.period.label}",
        "subject": f"{report.cycle_code} konsep versi {report.version}",
        "keywords": f"Pantau; {report.cycle_code}; laporan; versi {report.version}",
        "author": report.kantor.nama,
    }

    def attach(tpl: DocxTemplate, ctx: dict[str, Any]) -> None:
        ctx["grafik"] = [
            {
                "gambar": InlineImage(tpl, io.BytesIO(g["png"]), width=Mm(g["width_mm"]),
                                      height=Mm(g["height_mm"])),
                "judul": g["caption"],
            }
            for g in figures
        ]

    return render_docx(
        Path(templates_dir) / "laporan.docx",
        report_context(report),
        out_path,
        images={"logo": _title_logo(report.kantor.logo)},
        properties=props,
        prepare=attach,
    )
