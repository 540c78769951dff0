"""Readable, Indonesian text for the operator: status, a cycle's timeline, triage, registers.

Every view is built once as lines and tables (`Doc`), then written either with rich (colours and
boxed tables, when stdout is a terminal) or as plain aligned text (a pipe, a file, a log viewer,
an e-mail). `--json` gives the data instead (daemon/operator/views.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from daemon.core.formatting import format_duration
from daemon.operator import views

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


def _cut(s: Any, n: int) -> str:
    s = "" if s is None else str(s)
    return s if len(s) <= n else s[: n - 1] + "…"


# ============================================================================ the document model


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[tuple[list[str], str]] = field(default_factory=list)  # (cells, style)
    max_width: dict[int, int] = field(default_factory=dict)  # column index -> cut plain text here
    drop: list[int] = field(
        default_factory=list
    )  # columns a narrow terminal leaves out, first first

    def add(self, *cells: Any, style: str = "") -> None:
        self.rows.append(([("-" if c is None or c == "" else str(c)) for c in cells], style))


@dataclass
class Doc:
    """Lines and tables, in order. A line is (text, style); style names a rich style."""

    items: list[Any] = field(default_factory=list)

    def line(self, text: str = "", style: str = "") -> None:
        self.items.append((text, style))

    def table(self, t: Table) -> Table:
        self.items.append(t)
        return t

    def write(self, out: TextIO, rich: bool = False) -> None:
        if rich:
            _write_rich(self, out)
        else:
            _write_plain(self, out)


def _write_plain(doc: Doc, out: TextIO) -> None:
    for item in doc.items:
        if isinstance(item, tuple):
            print(item[0], file=out)
        else:
            _plain_table(item, out)


def _plain_table(t: Table, out: TextIO) -> None:
    if t.title:
        print(t.title, file=out)
    if not t.rows:
        print("  (tidak ada)", file=out)
        return
    rows = [[_cut(c, t.max_width[i]) if i in t.max_width else c for i, c in enumerate(cells)]
            for cells, _ in t.rows]
    widths = [max(len(t.columns[i]), *(len(r[i]) for r in rows)) for i in range(len(t.columns))]
    for cells in [t.columns, ["-" * w for w in widths], *rows]:
        print(
            ("  " + "  ".join(c.ljust(widths[i]) for i, c in enumerate(cells))).rstrip(), file=out
        )


def _write_rich(doc: Doc, out: TextIO) -> None:
    from rich.console import Console
    from rich.text import Text

    console = Console(file=out, highlight=False)
    for item in doc.items:
        if isinstance(item, tuple):
            console.print(Text(item[0], style=item[1] or ""))
        elif not item.rows:
            if item.title:
                console.print(Text(item.title, style="bold"))
            console.print("  (tidak ada)")
        else:
            console.print(_rich_table(item, console.width))


def _rich_table(t: Table, width: int):
    """A rich table that fits `width`: fixed columns keep their width, columns with a max_width
    share what is left (cut with "…"), and the columns in `drop` go first when even that fails."""
    from rich import box
    from rich.table import Table as RichTable
    from rich.text import Text

    widths = [
        max([len(c)] + [len(cells[i]) for cells, _ in t.rows]) for i, c in enumerate(t.columns)
    ]
    shown = list(range(len(t.columns)))
    gap = 3  # SIMPLE_HEAD without edges puts three spaces between columns

    def natural(cols: list[int]) -> int:
        return sum(min(widths[i], 12) if i in t.max_width else widths[i] for i in cols) + gap * (
            len(cols) - 1
        )

    for i in t.drop:
        if natural(shown) <= width:
            break
        shown.remove(i)
    flex = [i for i in shown if i in t.max_width]
    room = width - gap * (len(shown) - 1) - sum(widths[i] for i in shown if i not in t.max_width)
    want = {i: min(widths[i], t.max_width[i]) for i in flex}
    while want and sum(want.values()) > room and max(want.values()) > 8:
        widest = max(want, key=lambda k: want[k])
        want[widest] -= 1
    rt = RichTable(title=Text(t.title, style="bold") if t.title else None, title_justify="left",
                   box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=False)
    for i in shown:
        rt.add_column(t.columns[i], no_wrap=True, overflow="ellipsis", width=want.get(i, widths[i]))
    for cells, style in t.rows:
        rt.add_row(*[Text(cells[i]) for i in shown], style=style or None)
    return rt


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
        text = f"BERHENTI dengan rapi (detak terakhir {when(d['heartbeat'])}). Jalankan: systemctl start pantau"
    elif state == "mati":
        text = (f"TIDAK BERJALAN: detak terakhir {ago(d['age_seconds'])} yang lalu dan prosesnya "
                f"(pid {d['pid']}) sudah tidak ada. Lihat sebabnya: journalctl -u pantau -n 50")
    elif state == "macet":
        text = (
            f"MACET? proses pid {d['pid']} masih ada tetapi tidak berdetak selama {ago(d['age_seconds'])}. "
            "Lihat: journalctl -u pantau -n 50"
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
        f"Surel         : {where}; {conn}; kotak masuk terakhir diperiksa {when(m.get('last_check'))}",
        "" if m["connected"] or not d["alive"] else "bold red",
    )
    ob = data["outbox"]
    doc.line(
        f"Kotak keluar  : {ob['queued']} menunggu dikirim, {ob['failed']} gagal"
        + (
            "  -> lihat `pantau outbox`, lalu `pantau outbox retry ID` atau `pantau outbox cancel ID`"
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
            f"Tidak dibalas lagi (sudah dijawab sebelumnya hari ini): {again}  -> lihat `pantau triage`",
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
            f"  langkah ini mulai {when(c.get('step_started'))}, batas standar {when(c.get('step_due'))}"
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


# ============================================================================ one cycle


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
        detail = f": {_cut(r['detail'], 90)}" if r["detail"] else ""
        print(f"  {when(r['at'])}  {r['step'] or '':4} {text}{who}{detail}", file=out)


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
        "Setelah penyebabnya diperbaiki (mis. menambah `wakil` di konfigurasi), proses ulang dengan "
        "`pantau replay ID`. Pesan yang ditahan tidak mengubah apa pun sampai diproses ulang."
    )
    return doc


# ============================================================================ registers


def print_register(rows: list[dict], which: str, out: TextIO) -> None:
    title = "REGISTER SURAT KELUAR" if which == "keluar" else "REGISTER SURAT MASUK"
    print(f"\n{title} ({len(rows)} entri)", file=out)
    if which == "keluar":
        print(
            f"  {'No':>3}  {'Nomor surat':28} {'Tgl surat':10} {'Tgl kirim':10} {'Lgkh':4} {'Tujuan':28} Perihal",
            file=out,
        )
        for r in rows:
            print(
                f"  {r['no']:>3}  {_cut(r['nomor_surat'], 28):28} {(r['tanggal_surat'] or '')[:10]:10} "
                f"{(r['tanggal_kirim'] or '-')[:10]:10} {r['langkah'] or '':4} {_cut(r['tujuan'], 28):28} "
                f"{_cut(r['perihal'], 70)}",
                file=out,
            )
    else:
        print(f"  {'No':>3}  {'Tgl terima':16} {'Lgkh':4} {'Pengirim':36} Perihal", file=out)
        for r in rows:
            print(
                f"  {r['no']:>3}  {(r['tanggal_terima'] or '')[:16].replace('T', ' '):16} {r['langkah'] or '':4} "
                f"{_cut(r['pengirim'], 36):36} {_cut(r['perihal'], 70)}",
                file=out,
            )


def print_registers(app, out: TextIO) -> None:
    for which in ("keluar", "masuk"):
        print_register(views.register_rows(app.store, which, None), which, out)
