"""Readable, Indonesian text for the operator: status, the cycle list, triage, registers, and
the words and times they share (one cycle is in report_cycle.py).

Every view is built once as lines and tables (`Doc`), then written either with rich (colours and
boxed tables, when stdout is a terminal) or as plain aligned text (a pipe, a file, a log viewer,
an e-mail); that document model is daemon/operator/textdoc.py. `--json` gives the data
instead (daemon/operator/views.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import TextIO

from daemon.core.formatting import format_duration
from daemon.operator import views
from daemon.operator.textdoc import Doc, Table, cut

STATUS_ID = {"waiting": "menunggu", "active": "berjalan", "done": "selesai", "skipped": "dilewati",
             "pending": "belum", "received": "diterima", "missing": "tidak menyampaikan data",
             "running": "berjalan", "closed": "selesai"}
ROLE_ID = {
    "camat": "Camat",
    "sekretaris": "Sekretaris",
    "kasubag_perencanaan": "Kasubag Perencanaan",
    "unit": "unit",
}
PURPOSE_ID = {
    "decision": "keputusan (SETUJU/REVISI)",
    "form": "formulir terisi",
    "upload": "dokumen DOCX",
}
DAEMON_ID = {
    "berjalan": "BERJALAN",
    "berhenti": "BERHENTI",
    "mati": "TIDAK BERJALAN",
    "macet": "MACET?",
    "belum": "BELUM PERNAH DIJALANKAN",
}
HARI = ["Sen", "Sel", "Rab", "Kam", "Jum", "Sab", "Min"]


def when(text: str | None) -> str:
    """'Sen 06-10-2025 08.12' from an ISO time; '-' for none."""
    if not text:
        return "-"
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        return text
    return f"{HARI[dt.weekday()]} {dt.strftime('%d-%m-%Y %H.%M')}"


def when_short(text: str | None) -> str:
    """'Sen 06-10 08.12' (no year) for tables."""
    if not text:
        return "-"
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        return text
    return f"{HARI[dt.weekday()]} {dt.strftime('%d-%m %H.%M')}"


def ago(seconds: int | None) -> str:
    """A real-time age in words: '20 detik', '5 menit', '2 jam 5 menit', '3 hari'."""
    if seconds is None:
        return "-"
    s = max(0, int(seconds))
    if s < 90:
        return f"{s} detik"
    m = s // 60
    if m < 120:
        return f"{m} menit"
    h, m = divmod(m, 60)
    if h < 48:
        return f"{h} jam" + (f" {m} menit" if m else "")
    return f"{h // 24} hari"


# ============================================================================ status


def status_doc(data: dict) -> Doc:
    doc = Doc()
    d, m = data["daemon"], data["mail"]
    doc.line(f"Keadaan Pantau pada {when(data.get('now'))} (waktu kantor)", "bold")
    doc.line()
    state = d["state"]
    if state == "berjalan":
        text = f"BERJALAN (pid {d['pid']}; detak terakhir {ago(d['age_seconds'])} yang lalu)"
    elif state == "berhenti":
        text = (f"BERHENTI dengan rapi (detak terakhir {when(d['heartbeat'])}). "
                "Jalankan: systemctl start pantau")
    elif state == "mati":
        text = (f"TIDAK BERJALAN: detak terakhir {ago(d['age_seconds'])} yang lalu dan prosesnya "
                f"(pid {d['pid']}) sudah tidak ada. Lihat sebabnya: journalctl -u pantau -n 50")
    elif state == "macet":
        text = (
            f"MACET? proses pid {d['pid']} masih ada tetapi tidak berdetak selama "
            f"{ago(d['age_seconds'])}. Lihat: journalctl -u pantau -n 50"
        )
    else:
        text = "BELUM PERNAH DIJALANKAN (pantau run, atau systemctl start pantau)"
    doc.line(f"Daemon        : {text}", "green" if state == "berjalan" else "bold red")
    where = f"{m.get('transport') or '-'}" + (f", {m['address']}" if m.get("address") else "")
    if m["connected"]:
        conn = f"tersambung sejak {when(m.get('since'))}"
    elif d["alive"]:
        conn = "TIDAK TERSAMBUNG ke server surel (lihat log: journalctl -u pantau)"
    else:
        conn = "tidak tersambung (daemon tidak berjalan)"
    doc.line(
        f"Surel         : {where}; {conn}; kotak masuk terakhir diperiksa "
        f"{when(m.get('last_check'))}",
        "" if m["connected"] or not d["alive"] else "bold red",
    )
    ob = data["outbox"]
    doc.line(
        f"Kotak keluar  : {ob['queued']} menunggu dikirim, {ob['failed']} gagal"
        + (
            "  -> lihat `pantau outbox`, lalu `pantau outbox retry ID` atau "
            "`pantau outbox cancel ID`"
            if ob["failed"]
            else ""
        ),
        "bold red" if ob["failed"] else "",
    )
    held = data["held"]
    doc.line(f"Pesan ditahan : {held}" + ("  -> lihat `pantau triage`" if held else ""),
             "bold yellow" if held else "")
    for code in data.get("final_pdf_missing") or []:
        doc.line(f"Laporan final : PDF siklus {code} belum ada (LibreOffice gagal); Pantau mencoba "
                 "lagi, DOCX-nya sudah diarsipkan", "bold yellow")
    again = data.get("answered_earlier_today", 0)
    if again:
        doc.line(
            f"Tidak dibalas lagi (sudah dijawab sebelumnya hari ini): {again}  -> lihat "
            "`pantau triage`",
            "yellow",
        )
    if not data["cycles"]:
        doc.line()
        doc.line("Tidak ada siklus yang berjalan.")
    for c in data["cycles"]:
        doc.line()
        doc.line(
            f"Siklus {c['code']} — langkah {c['current_step'] or '-'}: {c.get('step_name') or ''}",
            "bold",
        )
        doc.line(
            f"  langkah ini mulai {when(c.get('step_started'))}, batas standar "
            f"{when(c.get('step_due'))}"
        )
        t = doc.table(
            Table(
                "  Menunggu jawaban dari:",
                ["siapa", "alamat", "langkah", "yang ditunggu", "sejak", "terlambat"],
                max_width={0: 40},
                drop=[1, 3],
            )
        )
        for a in c["awaiting"]:
            late = (
                "YA"
                if a["overdue"]
                else ("surat belum terkirim" if a.get("letter_sent") is False else "tidak")
            )
            t.add(
                a["name"],
                a["who"],
                a["step"],
                PURPOSE_ID.get(a["purpose"], a["purpose"]),
                when_short(a["since"]),
                late,
                style="yellow" if a["overdue"] else "",
            )
        if c["overdue"]:
            t = doc.table(
                Table(
                    "  Terlambat dari standar SOP:",
                    ["langkah", "batas", "standar", "lewat (jam kerja)", "pengingat", "eskalasi"],
                )
            )
            for o in c["overdue"]:
                t.add(
                    o["step"],
                    when_short(o["due"]),
                    o["standard"],
                    format_duration(o["late_minutes"]),
                    "terkirim" if o["reminded"] else "belum",
                    "terkirim" if o["escalated"] else "belum",
                    style="red",
                )
    return doc


def print_status(data: dict, out: TextIO, rich: bool = False) -> None:
    status_doc(data).write(out, rich)


# ============================================================================ cycle list, triage


def cycles_doc(rows: list[dict]) -> Doc:
    doc = Doc()
    t = doc.table(Table("", ["siklus", "periode", "status", "langkah"]))
    for r in rows:
        t.add(
            r["code"],
            r["period"],
            STATUS_ID.get(r["status"], r["status"]),
            r["current_step"] or "-",
        )
    if not rows:
        doc.items = []
        doc.line("Belum ada siklus. Mulai dengan `pantau cycle start 2025-TW3` atau tunggu jadwal.")
    return doc


def triage_doc(rows: list[dict], include_ignored: bool = False) -> Doc:
    doc = Doc()
    if not rows:
        doc.line("Tidak ada pesan yang ditahan, gagal diproses, atau diabaikan." if include_ignored
                 else "Tidak ada pesan yang ditahan atau gagal diproses.")
        return doc
    for r in rows:
        style = (
            "bold red"
            if r["status"] == "gagal"
            else ("bold yellow" if r["status"] == "ditahan" else "bold")
        )
        label = (
            "SUDAH DIJAWAB SEBELUMNYA HARI INI"
            if r["status"] == "dijawab_sebelumnya"
            else r["status"].upper()
        )
        doc.line(f"#{r['id']}  {label}  diterima {when(r['received'])}", style)
        doc.line(f"   dari    : {r['from'] or '-'}")
        doc.line(f"   subjek  : {r['subject'] or '(tanpa subjek)'}")
        if r.get("cycle"):
            doc.line(
                f"   siklus  : {r['cycle']}" + (f", langkah {r['step']}" if r.get("step") else "")
            )
        doc.line(f"   alasan  : {r['reason'] or '-'}")
        doc.line(f"   saran   : {r['hint']}")
        doc.line(f"   berkas  : {r['path']}")
        doc.line()
    doc.line(
        "Setelah penyebabnya diperbaiki (mis. menambah `wakil` di konfigurasi), proses ulang "
        "dengan `pantau replay ID`. Pesan yang ditahan tidak mengubah apa pun sampai diproses "
        "ulang."
    )
    return doc


# ============================================================================ registers


def print_register(rows: list[dict], which: str, out: TextIO) -> None:
    title = "REGISTER SURAT KELUAR" if which == "keluar" else "REGISTER SURAT MASUK"
    print(f"\n{title} ({len(rows)} entri)", file=out)
    if which == "keluar":
        print(
            f"  {'No':>3}  {'Nomor surat':28} {'Tgl surat':10} {'Tgl kirim':10} {'Lgkh':4} "
            f"{'Tujuan':28} Perihal",
            file=out,
        )
        for r in rows:
            print(
                f"  {r['no']:>3}  {cut(r['nomor_surat'], 28):28} "
                f"{(r['tanggal_surat'] or '')[:10]:10} {(r['tanggal_kirim'] or '-')[:10]:10} "
                f"{r['langkah'] or '':4} {cut(r['tujuan'], 28):28} {cut(r['perihal'], 70)}",
                file=out,
            )
    else:
        print(f"  {'No':>3}  {'Tgl terima':16} {'Lgkh':4} {'Pengirim':36} Perihal", file=out)
        for r in rows:
            print(
                f"  {r['no']:>3}  {(r['tanggal_terima'] or '')[:16].replace('T', ' '):16} "
                f"{r['langkah'] or '':4} {cut(r['pengirim'], 36):36} {cut(r['perihal'], 70)}",
                file=out,
            )


def print_registers(app, out: TextIO) -> None:
    for which in ("keluar", "masuk"):
        print_register(views.register_rows(app.store, which, None), which, out)
