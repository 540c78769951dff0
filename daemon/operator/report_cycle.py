"""One cycle, for the operator: `pantau cycle show` (its steps against the SOP's standard times,
the units' forms, the documents, the log) and the demo's timeline.
"""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from daemon.core.formatting import format_duration
from daemon.operator.report_text import STATUS_ID, when, when_short
from daemon.operator.textdoc import Doc, Table, cut


def _rel(path: str, base: Path | None) -> str:
    if base:
        try:
            return str(Path(path).relative_to(base))
        except ValueError:
            pass
    return path


def cycle_doc(data: dict, office_dir: Path | None = None, label: str = "") -> Doc:
    doc = Doc()
    title = f"Siklus {data['code']}" + (f" — {label}" if label else f" ({data['period']})")
    doc.line(f"{title}: {STATUS_ID.get(data['status'], data['status'])}"
             + (f", langkah {data['current_step']}" if data.get("current_step") else ""), "bold")
    doc.line(f"Dimulai {when(data.get('started'))}"
             + (f", ditutup {when(data['closed'])}" if data.get("closed") else "")
             + (f"; batas data unit {when(data['deadline'])}" if data.get("deadline") else ""))
    if data.get("meeting"):
        mt = data["meeting"]
        doc.line(f"Rapat: {when(mt['start'])} s.d. {when(mt['end'])[-5:]} di {mt['place']}")
    doc.line()
    t = doc.table(
        Table(
            "Langkah (waktu standar dan aktual dihitung dalam jam kerja):",
            ["", "uraian", "status", "mulai", "batas", "selesai", "standar", "aktual", "putaran"],
            max_width={1: 34},
            drop=[8, 1, 3],
        )
    )
    for s in data["steps"]:
        actual = "-" if s["actual_minutes"] is None else format_duration(s["actual_minutes"])
        if s.get("over_standard"):
            actual += " !"
        style = {"active": "bold", "skipped": "dim"}.get(s["status"], "")
        if s.get("over_standard"):
            style = "yellow"
        t.add(
            s["id"],
            s.get("name", s["key"]),
            STATUS_ID.get(s["status"], s["status"]),
            when_short(s["started"]),
            when_short(s["due"]),
            when_short(s["finished"]),
            s.get("standard", s["standard_minutes"]),
            actual,
            s.get("runs", 0) or "-",
            style=style,
        )
    doc.line("  ! = melewati standar waktu SOP; putaran > 1 = langkah diulang karena REVISI")
    doc.line()
    t = doc.table(
        Table(
            "Unit:",
            ["kode", "nama", "status", "versi", "diterima", "ditolak"],
            max_width={1: 40},
            drop=[5, 3],
        )
    )
    for u in data["units"]:
        t.add(
            u["code"],
            u.get("name", u["code"]),
            STATUS_ID.get(u["status"], u["status"]),
            u["version"] or "-",
            when_short(u["received"]),
            f"{u.get('rejected', 0)}x",
            style="red"
            if u["status"] == "missing"
            else ("yellow" if u["status"] == "pending" else ""),
        )
    doc.line()
    t = doc.table(
        Table(
            "Dokumen:", ["jenis", "versi", "unit", "berkas", "sha256"], max_width={3: 90}, drop=[4]
        )
    )
    for d in data["documents"]:
        t.add(
            d["kind"],
            d["version"],
            d["unit"] or "-",
            _rel(d["path"], office_dir),
            d["sha256"][:16] + "…",
        )
    doc.line()
    t = doc.table(
        Table(
            "Catatan kejadian:",
            ["waktu", "langkah", "kejadian", "siapa", "keterangan"],
            max_width={3: 30, 4: 70},
            drop=[1],
        )
    )
    for e in data["log"]:
        warn = e["event"] in (
            "pesan_ditahan",
            "formulir_ditolak",
            "pengingat",
            "eskalasi",
            "pengiriman_gagal",
            "tidak_terkirim",
            "tidak_menyampaikan_data",
            "lampiran_salah",
        )
        t.add(
            when_short(e["at"]),
            e["step"] or "-",
            e["event"].replace("_", " "),
            e["who"] or "-",
            e["detail"] or "-",
            style="yellow" if warn else "",
        )
    return doc


def print_cycle(data: dict, out: TextIO, rich: bool = False, office_dir: Path | None = None,
                label: str = "") -> None:
    cycle_doc(data, office_dir, label).write(out, rich)


def print_timeline(app, code: str, out: TextIO) -> None:
    """The demo's timeline: what happened, without the routine sends."""
    print("Linimasa:", file=out)
    for r in app.store.cycle_log(code):
        if r["event"].startswith("kirim_") and r["event"] not in (
            "kirim_formulir_salah",
            "kirim_pengingat_unit",
            "kirim_pengingat",
            "kirim_eskalasi",
        ):
            continue
        text = f"{r['event'].replace('_', ' ')}"
        who = f" — {r['who']}" if r["who"] else ""
        detail = f": {cut(r['detail'], 90)}" if r["detail"] else ""
        print(f"  {when(r['at'])}  {r['step'] or '':4} {text}{who}{detail}", file=out)
