"""The draft report (konsep laporan) for a given number of indicator rows: what S5 renders.

The report is built the way Producer.report_context builds it (every unit's rows with target,
realisasi, achievement and category computed by daemon/core/achievement.py, factor texts as units
write them), with 25 indicators per unit (so 5,000 rows = a 200-unit office; one unit in twenty
sent no data), then rendered by render_report: docxtpl tables, the bar chart (matplotlib), the
logo. `python -m tests.bench_compile ROWS...` prints one JSON line per size.
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
ROWS_PER_UNIT = 25


def make_report(rows: int, logo: str | None = None, seed: int = 7):
    from daemon.core import achievement
    from daemon.core.model import Office, Official, Period, Unit
    from daemon.documents import contexts as C

    rnd = random.Random(seed)
    bands = achievement.Bands.from_config(None)
    kantor = Office(nama="Kecamatan Linggo Sari Baganti", kabupaten="Kabupaten Pesisir Selatan",
                    alamat="Jl. Raya Painan-Tapan, Air Haji", kota="Air Haji", kode_unit="Kec-LSB",
                    logo=logo)
    period = Period.parse("2025-TW3")
    units = []
    n_units = max(1, -(-rows // ROWS_PER_UNIT))
    left = rows
    all_pct = []
    for u in range(n_units):
        count = min(ROWS_PER_UNIT, left)
        left -= count
        unit = Unit(f"U{u + 1:03d}", f"Dinas Contoh {u + 1}", f"u{u + 1}@kecamatan.test",
                    Official(nama=f"KEPALA {u + 1}", jabatan=f"Kepala Dinas Contoh {u + 1}"))
        has_data = u % 20 != 19
        out = []
        for k in range(count):
            target = rnd.choice([4, 12, 18, 90, 95, 100, 82.5])
            real = round(target * rnd.uniform(0.6, 1.1), 1) if has_data else None
            pct = achievement.capaian(real, target, "positif") if has_data else None
            pagu = 25_000_000.0 * (k + 1)
            ra = round(pagu * rnd.uniform(0.5, 0.95)) if has_data else None
            out.append(
                C.ReportUnitRow(
                    no=str(k + 1),
                    indikator="Persentase layanan administrasi yang selesai sesuai standar "
                              f"({k + 1})",
                    satuan="%",
                    polaritas="positif",
                    target=target,
                    realisasi=real,
                    capaian=pct,
                    kategori=bands.kategori(pct),
                    pagu=pagu,
                    realisasi_anggaran=ra,
                    capaian_anggaran=achievement.capaian_anggaran(ra, pagu),
                    faktor_pendorong="Dukungan aparatur dan koordinasi yang baik"
                    if has_data
                    else "",
                    faktor_penghambat="Keterbatasan anggaran operasional" if has_data else "",
                    tindak_lanjut="Meningkatkan koordinasi lintas sektor" if has_data else "",
                )
            )
        mean = achievement.rata([x.capaian for x in out]) if has_data else None
        if mean is not None:
            all_pct.append(mean)
        units.append(
            C.ReportUnit(
                unit=unit,
                rows=out,
                capaian_rata=mean,
                kategori=bands.kategori(mean),
                status="diterima" if has_data else "tidak menyampaikan data",
                diterima=datetime(2025, 10, 8, 10, 15, tzinfo=ZoneInfo("Asia/Jakarta"))
                if has_data
                else None,
                versi_formulir=1 if has_data else None,
            )
        )
    overall = achievement.rata(all_pct)
    official = Official(
        nama="DESI RAHMAWATI, S.E",
        jabatan="Kepala Subbagian Perencanaan dan Keuangan",
        nip="19880305 201101 2 007",
    )
    return C.Report(kantor=kantor, period=period, cycle_code="PK-2025-TW3", version=1,
                    tanggal=date(2025, 10, 10), units=units, capaian_rata=overall,
                    kategori=bands.kategori(overall), penyusun=official,
                    camat=Official(nama="RIKA MARTA, S.E", jabatan="Camat Linggo Sari Baganti"),
                    sekretaris=Official(nama="ZULKIFLI, S.Sos", jabatan="Sekretaris Camat"),
                    catatan_revisi=[])


def compile_once(rows: int, workdir: Path, logo: str | None = None) -> dict:
    from daemon.documents.report import chart_png, render_report

    report = make_report(rows, logo)
    t0 = time.perf_counter()
    chart = chart_png(report)
    chart_s = time.perf_counter() - t0
    out = workdir / f"laporan-{rows}.docx"
    t0 = time.perf_counter()
    # a fresh work folder each time: the report's chart cache (grafik-cache) starts empty,
    # so every size is measured drawing all its charts
    render_report(report, ROOT / "templates", out, tempfile.mkdtemp(dir=workdir))
    seconds = time.perf_counter() - t0
    return {"rows": rows, "units": len(report.units), "seconds": seconds, "chart_seconds": chart_s,
            "docx_kb": out.stat().st_size / 1024, "chart_kb": len(chart) / 1024}


def run(sizes: list[int], logo: str | None = None) -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="pantau-bench-compile-") as tmp:
        work = Path(tmp)
        compile_once(10, work, logo)  # warm-up: imports, matplotlib's font cache, templates
        return [compile_once(n, work, logo) for n in sizes]


if __name__ == "__main__":
    logo = None
    args = sys.argv[1:]
    if args and args[0].startswith("--logo="):
        logo = args.pop(0).split("=", 1)[1]
    for r in run([int(a) for a in args] or [10, 100, 1000, 5000], logo):
        print(json.dumps(r))
