"""Readable, Indonesian text for the operator: the cycle timeline, the registers, the status.

Plain text that reads well in a terminal, a log viewer or an e-mail; `--json` gives the data.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TextIO

from . import views
from .formatting import format_duration

STATUS_ID = {"waiting": "menunggu", "active": "berjalan", "done": "selesai", "skipped": "dilewati",
             "pending": "belum", "received": "diterima", "missing": "tidak menyampaikan data",
             "running": "berjalan", "closed": "selesai"}
HARI = ["Sen", "Sel", "Rab", "Kam", "Jum", "Sab", "Min"]


def when(text: str | None) -> str:
    if not text:
        return "-"
    dt = datetime.fromisoformat(text)
    return f"{HARI[dt.weekday()]} {dt.strftime('%d-%m-%Y %H.%M')}"


def _cut(s: Any, n: int) -> str:
    s = "" if s is None else str(s)
    return s if len(s) <= n else s[: n - 1] + "…"


def print_cycle(data: dict, out: TextIO) -> None:
    print(f"Siklus {data['code']} ({data['period']}): {STATUS_ID.get(data['status'], data['status'])}"
          + (f", langkah {data['current_step']}" if data.get("current_step") else ""), file=out)
    if data.get("meeting"):
        m = data["meeting"]
        print(f"Rapat: {when(m['start'])} di {m['place']}", file=out)
    print("\nLangkah:", file=out)
    print(f"  {'':4} {'status':10} {'mulai':22} {'batas':22} {'selesai':22} {'standar':10} aktual", file=out)
    for s in data["steps"]:
        actual = "-" if s["actual_minutes"] is None else format_duration(s["actual_minutes"])
        late = ""
        if s["actual_minutes"] is not None and s["status"] == "done" and s["actual_minutes"] > s["standard_minutes"]:
            late = " (lewat standar)"
        print(f"  {s['id']:4} {STATUS_ID.get(s['status'], s['status']):10} {when(s['started']):22} "
              f"{when(s['due']):22} {when(s['finished']):22} {s['standard']:10} {actual}{late}", file=out)
    print("\nUnit:", file=out)
    for u in data["units"]:
        print(f"  {u['code']:8} {STATUS_ID.get(u['status'], u['status']):24} versi {u['version'] or '-'}"
              f"  diterima {when(u['received'])}  ditolak {u['rejected']}x", file=out)
    print("\nDokumen:", file=out)
    for d in data["documents"]:
        print(f"  {d['kind']:20} v{d['version']:<3} {d['unit'] or '':8} {d['path']}\n"
              f"  {'':20} sha256 {d['sha256']}", file=out)


def print_timeline(app, code: str, out: TextIO) -> None:
    print("Linimasa:", file=out)
    for r in app.store.cycle_log(code):
        if r["event"].startswith("kirim_") and r["event"] not in ("kirim_formulir_salah", "kirim_pengingat_unit",
                                                                  "kirim_pengingat", "kirim_eskalasi"):
            continue
        text = f"{r['event'].replace('_', ' ')}"
        who = f" — {r['who']}" if r["who"] else ""
        detail = f": {_cut(r['detail'], 90)}" if r["detail"] else ""
        print(f"  {when(r['at'])}  {r['step'] or '':4} {text}{who}{detail}", file=out)


def print_register(rows: list[dict], which: str, out: TextIO) -> None:
    title = "REGISTER SURAT KELUAR" if which == "keluar" else "REGISTER SURAT MASUK"
    print(f"\n{title} ({len(rows)} entri)", file=out)
    if which == "keluar":
        print(f"  {'No':>3}  {'Nomor surat':28} {'Tgl surat':10} {'Tgl kirim':10} {'Lgkh':4} {'Tujuan':28} Perihal", file=out)
        for r in rows:
            print(f"  {r['no']:>3}  {_cut(r['nomor_surat'], 28):28} {(r['tanggal_surat'] or '')[:10]:10} "
                  f"{(r['tanggal_kirim'] or '-')[:10]:10} {r['langkah'] or '':4} {_cut(r['tujuan'], 28):28} "
                  f"{_cut(r['perihal'], 70)}", file=out)
    else:
        print(f"  {'No':>3}  {'Tgl terima':16} {'Lgkh':4} {'Pengirim':36} Perihal", file=out)
        for r in rows:
            print(f"  {r['no']:>3}  {(r['tanggal_terima'] or '')[:16].replace('T', ' '):16} {r['langkah'] or '':4} "
                  f"{_cut(r['pengirim'], 36):36} {_cut(r['perihal'], 70)}", file=out)


def print_registers(app, out: TextIO) -> None:
    for which in ("keluar", "masuk"):
        print_register(views.register_rows(app.store, which, None), which, out)


def print_status(data: dict, out: TextIO) -> None:
    d, m = data["daemon"], data["mail"]
    print(f"Daemon: {'hidup' if d['alive'] else 'tidak berjalan'} (detak terakhir {when(d['heartbeat'])})", file=out)
    print(f"Surel: transport {m['transport']}, {'tersambung' if m['connected'] else 'tidak tersambung'}"
          f"{' sejak ' + when(m['since']) if m.get('since') and m['connected'] else ''}, "
          f"terakhir diperiksa {when(m['last_check'])}", file=out)
    print(f"Kotak keluar: {data['outbox']['queued']} menunggu, {data['outbox']['failed']} gagal", file=out)
    print(f"Pesan ditahan: {data['held']}" + ("  (lihat `pantau triage`)" if data["held"] else ""), file=out)
    if not data["cycles"]:
        print("Tidak ada siklus yang berjalan.", file=out)
    for c in data["cycles"]:
        print(f"\nSiklus {c['code']}: langkah {c['current_step'] or '-'}", file=out)
        for a in c["awaiting"]:
            print(f"  menunggu {a['who']} ({a['step']}{', unit ' + a['unit'] if a.get('unit') else ''}) "
                  f"sejak {when(a['since'])}", file=out)
        for o in c["overdue"]:
            print(f"  TERLAMBAT: {o['step']} melewati batas {when(o['due'])} (standar {o['standard']})", file=out)
