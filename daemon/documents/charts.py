"""The report's charts: what they show (`chart_specs`, pure data) and drawing them (`bar_chart`,
matplotlib, Agg backend, PNG), in other processes while the template is rendered (`Drawing`).

Achievement per unit sorted high to low and coloured by band with a legend and the office mean,
and budget absorption per unit; split into parts of at most BARS_PER_CHART bars, each sized to fit
the landscape writing area with its caption kept on the same page, so the report stays readable at
200 units.

A chart of 20 bars costs ~0.15 s of matplotlib; a 200-unit report has 20 of them, more than the
rest of the report. `Drawing(specs)` hands them to a pool of processes forked from a forkserver
that imported matplotlib once (`daemon.documents.chartproc`), from a thread, so the caller
renders the template meanwhile and collects the PNGs with `result()`. The pool is made for each
report and shut down after it; the forkserver is stopped when no report has been drawn for
FORKSERVER_IDLE_S (it holds matplotlib; reports come in bursts). Anything that fails in the
pool (no fork, a worker killed) is drawn here instead: the report never depends on it. A cache
folder keeps the CACHE_KEEP most recently used charts (`prune_cache`).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import struct
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from daemon.core import formatting
from daemon.shell.archive import write_atomic

log = logging.getLogger(__name__)

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
MAX_WORKERS = 4


@dataclass(frozen=True)
class ChartSpec:
    """What one chart draws (picklable: it goes to the drawing processes)."""

    entries: tuple[tuple[str, float | None, str, str], ...]
    xlabel: str
    mean: float | None
    mean_label: str
    legend: bool
    caption: str


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


def bar_chart(spec: ChartSpec) -> bytes:
    """One horizontal bar chart (PNG): entries are (name, value or None, label, colour), top
    down. Run in the drawing processes; the same code when drawn here."""
    entries, xlabel, mean, mean_label, legend = (spec.entries, spec.xlabel, spec.mean,
                                                 spec.mean_label, spec.legend)
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
    # zlib level 1: the same pixels, a file as small as the default level 6 gives for these
    # flat-coloured charts, and a third less time
    fig.savefig(buf, format="png", pil_kwargs={"compress_level": 1})
    return buf.getvalue()



def _band_colour(kategori: str) -> str:
    return _COLOURS.get((kategori or "").casefold(), "#5b7db1")


def chart_specs(report: Any) -> list[ChartSpec]:
    """The report's figures: achievement per unit (sorted, coloured by band, legend) and budget
    absorption per unit, each split into parts of at most ~20 bars, captions numbered."""
    units = list(report.units)
    period = report.period.label

    def achieved(u) -> float:
        return u.capaian_rata if u.status != NO_DATA and u.capaian_rata is not None else -1.0

    by_capaian = sorted(units, key=lambda u: (-achieved(u), u.unit.nama))
    out: list[tuple[tuple, str, float | None, str, bool, str]] = []
    mean = report.capaian_rata
    mean_label = f"rata-rata kecamatan {formatting.persen(mean)}%" if mean is not None else ""
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
        more = f" (bagian {k} dari {len(parts)})" if len(parts) > 1 else ""
        out.append((tuple(entries), "Rata-rata capaian kinerja (%)", mean, mean_label, True,
                    f"Rata-rata Capaian Kinerja per Unit Kerja {period}{more}"))

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
        more = f" (bagian {k} dari {len(parts)})" if len(parts) > 1 else ""
        out.append((tuple(entries), "Penyerapan anggaran (%)", None, "", False,
                    f"Penyerapan Anggaran per Unit Kerja {period}{more}"))
    return [ChartSpec(entries=e, xlabel=x, mean=m, mean_label=ml, legend=lg,
                      caption=f"Grafik {i}. {c}")
            for i, (e, x, m, ml, lg, c) in enumerate(out, 1)]


def png_size(png: bytes) -> tuple[int, int]:
    return struct.unpack(">II", png[16:24])


def fit_mm(png: bytes) -> tuple[float, float]:
    """The picture's size in the document: as wide as the writing area allows, at most
    CHART_MAX_H_MM high, the PNG's proportions kept."""
    w_px, h_px = png_size(png)
    width = CHART_MAX_W_MM
    height = width * h_px / w_px
    if height > CHART_MAX_H_MM:
        height = CHART_MAX_H_MM
        width = height * w_px / h_px
    return width, height


def _pool_size(n: int) -> int:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(0, min(n, cpus or 1, MAX_WORKERS)) if (cpus or 1) > 1 and n > 1 else 0


_CODE_KEY: list[str] = []
_PNG_START = b"\x89PNG\r\n\x1a\n"
_PNG_END = b"IEND\xaeB`\x82"


def chart_key(spec: ChartSpec) -> str:
    """What a chart's picture depends on: what it draws (not its caption, which is the
    document's), the drawing code and matplotlib's version. The cache's file name."""
    if not _CODE_KEY:
        import inspect

        import matplotlib

        code = inspect.getsource(bar_chart) + inspect.getsource(_wrap) + repr(_COLOURS)
        _CODE_KEY.append(hashlib.sha256(f"{matplotlib.__version__}\n{code}".encode()).hexdigest())
    drawn = repr((spec.entries, spec.xlabel, spec.mean, spec.mean_label, spec.legend))
    return hashlib.sha256(f"{_CODE_KEY[0]}\n{drawn}".encode()).hexdigest()[:32]


_DRAWING = 0  # pools drawing now in this process
_DRAWING_LOCK = threading.Lock()
_IDLE_TIMER: list[threading.Timer] = []  # the one pending stop, if any
# The forkserver holds matplotlib (~83 MB RSS measured) for as long as it lives; reports come a
# few times a quarter, in bursts (a draft, its revisions, the final). It is stopped when no
# report has been drawn for this long; the next one starts it again (~1 s more).
FORKSERVER_IDLE_S = 300.0
CACHE_KEEP = 400  # charts kept in a cache folder (25-130 KB each): several draft versions' worth


def _stop_when_idle() -> None:
    with _DRAWING_LOCK:
        if _DRAWING == 0:
            _IDLE_TIMER.clear()
            _stop_forkserver()


def _stop_forkserver() -> None:
    """Stop the forkserver the pools fork from. multiprocessing has no public way to do it; its
    own tests use `_stop`."""
    try:
        from multiprocessing import forkserver

        forkserver._forkserver._stop()
    except Exception as exc:  # noqa: BLE001  (a server left running is only memory)
        log.debug("forkserver tidak dihentikan: %s", exc)


def prune_cache(folder: Path, keep: set[str], limit: int = CACHE_KEEP) -> int:
    """Delete the least recently used charts of a cache folder beyond `limit`, never those in
    `keep` (file names); returns how many were deleted."""
    try:
        files = [(p.stat().st_mtime, p) for p in folder.glob("*.png") if p.name not in keep]
    except OSError:
        return 0
    extra = len(files) + len(keep) - limit
    gone = 0
    for _, path in sorted(files)[: max(0, extra)]:
        try:
            path.unlink()
            gone += 1
        except OSError:
            pass
    return gone


class Drawing:
    """The charts of `specs` being drawn: by a process pool when there are several and more than
    one CPU, here otherwise. `result()` returns the PNGs in the order of `specs`.

    cache: a folder of charts already drawn, named by `chart_key` (the content they draw, so a
    changed figure is a new file): a new draft version redraws only the parts that changed."""

    def __init__(self, specs: list[ChartSpec], cache: str | os.PathLike[str] | None = None
                 ) -> None:
        self.specs = list(specs)
        self._pngs: list[bytes | None] = [None] * len(self.specs)
        self._cache = Path(cache) if cache is not None else None
        self._keys = [chart_key(s) for s in self.specs] if self._cache is not None else []
        if self._cache is not None:
            for i, key in enumerate(self._keys):
                path = self._cache / f"{key}.png"
                png = path.read_bytes() if path.is_file() else b""
                if png.startswith(_PNG_START) and png.endswith(_PNG_END):  # whole, or redrawn
                    self._pngs[i] = png
                    with contextlib.suppress(OSError):
                        os.utime(path)  # used: the newest are kept (prune_cache)
        self._todo = [i for i, png in enumerate(self._pngs) if png is None]
        self._workers = _pool_size(len(self._todo))
        self._thread: threading.Thread | None = None
        if self._workers:
            self._thread = threading.Thread(target=self._draw_in_pool, name="pantau-grafik",
                                            daemon=True)
            self._thread.start()

    def _draw_in_pool(self) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        global _DRAWING
        with _DRAWING_LOCK:
            _DRAWING += 1
            if _IDLE_TIMER:
                _IDLE_TIMER.pop().cancel()
        try:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(["__main__", "daemon.documents.chartproc"])
            with ProcessPoolExecutor(max_workers=self._workers, mp_context=ctx) as pool:
                futures = {i: pool.submit(bar_chart, self.specs[i]) for i in self._todo}
                for i, f in futures.items():
                    self._pngs[i] = f.result()
        except Exception as exc:  # noqa: BLE001  (drawn here instead, below)
            log.warning("grafik digambar tanpa proses pembantu: %s", exc)
        finally:
            with _DRAWING_LOCK:
                _DRAWING -= 1
                if _DRAWING == 0:
                    timer = threading.Timer(FORKSERVER_IDLE_S, _stop_when_idle)
                    timer.daemon = True
                    _IDLE_TIMER.append(timer)
                    timer.start()

    def result(self) -> list[bytes]:
        if self._thread is not None:
            self._thread.join()
        out = []
        for i, (png, spec) in enumerate(zip(self._pngs, self.specs, strict=True)):
            if png is None:
                png = bar_chart(spec)
            if self._cache is not None and i in self._todo:
                write_atomic(self._cache / f"{self._keys[i]}.png", png, durable=False)
            out.append(png)
        if self._cache is not None and self._todo:
            prune_cache(self._cache, {f"{k}.png" for k in self._keys})
        return out
