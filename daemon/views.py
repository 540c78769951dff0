"""What the operator reads: the JSON shapes of SPEC §7.3 and their plain-text tables.

Read-only over the store; the CLI prints these as JSON or as tables.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any

from .engine import CycleState
from .sop import Sop
from .store import Store
from .worktime import WorkCalendar

KELUAR = ["no", "nomor_surat", "tanggal_surat", "tanggal_kirim", "tujuan", "perihal", "lampiran",
          "kode_klasifikasi", "siklus", "langkah", "message_id", "berkas", "keterangan"]
MASUK = ["no", "tanggal_terima", "nomor_surat", "tanggal_surat", "pengirim", "perihal", "lampiran",
         "siklus", "langkah", "message_id", "berkas", "disposisi", "keterangan"]


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat(timespec="seconds") if dt else None


def cycle_list(store: Store) -> list[dict]:
    return [{"code": r["code"], "period": r["period"], "status": r["status"],
             "current_step": r["current"] or None} for r in store.cycles()]


def cycle_show(store: Store, st: CycleState, sop: Sop, cal: WorkCalendar) -> dict[str, Any]:
    steps = []
    for d in sop.steps:
        s = st.steps[d.id]
        actual = None
        if s.status == "done":
            actual = s.active_minutes
        elif s.status == "active" and s.started:
            actual = s.active_minutes + cal.working_minutes(s.started, datetime.now(s.started.tzinfo))
        steps.append({"id": d.id, "key": d.key, "name": d.uraian, "actor": d.pelaksana, "status": s.status,
                      "started": _iso(s.started), "due": _iso(s.due), "finished": _iso(s.finished),
                      "standard": d.standar_text, "standard_minutes": cal.standard_minutes(d.standar),
                      "actual_minutes": actual, "runs": s.runs})
    units = [{"code": u.code, "status": u.status, "version": u.version or None, "received": _iso(u.received),
              "rejected": u.rejected} for u in st.units.values()]
    docs = [{"kind": d["kind"], "version": d["version"], "unit": d["unit"], "path": d["path"],
             "sha256": d["sha256"], "source": d["source"]} for d in store.documents(st.code)]
    log = [{"at": r["at"], "step": r["step"] or None, "event": r["event"], "who": r["who"], "detail": r["detail"]}
           for r in store.cycle_log(st.code)]
    return {"code": st.code, "period": st.period, "status": st.status, "current_step": st.current or None,
            "started": _iso(st.started), "closed": _iso(st.closed), "draft_version": st.draft_version,
            "meeting": ({"start": _iso(st.meeting["start"]), "end": _iso(st.meeting["end"]),
                         "place": st.meeting.get("place")} if st.meeting else None),
            "steps": steps, "units": units, "documents": docs, "log": log}


def register_rows(store: Store, which: str, year: int | None) -> list[dict]:
    cols = KELUAR if which == "keluar" else MASUK
    out = []
    for r in store.register(f"register_{which}", year):
        row = {c: r.get(c) for c in cols}
        try:
            row["berkas"] = json.loads(row["berkas"] or "[]")
        except ValueError:
            pass
        out.append(row)
    return out


def _flat(v: Any) -> str:
    if isinstance(v, list):
        return "; ".join(f"{x.get('nama')} (sha256 {x.get('sha256')})" if isinstance(x, dict) else str(x) for x in v)
    return "" if v is None else str(v)


def register_csv(rows: list[dict], which: str) -> str:
    cols = KELUAR if which == "keluar" else MASUK
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(cols)
    for r in rows:
        w.writerow([_flat(r.get(c)) for c in cols])
    return buf.getvalue()


def register_xlsx(rows: list[dict], which: str, path: str) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    cols = KELUAR if which == "keluar" else MASUK
    wb = Workbook()
    ws = wb.active
    ws.title = f"Register {which}"
    ws.append(cols)
    for c in ws[1]:
        c.font = Font(bold=True)
    for r in rows:
        ws.append([r.get(c) if c == "no" else _flat(r.get(c)) for c in cols])
    for i, c in enumerate(cols, 1):
        ws.column_dimensions[ws.cell(1, i).column_letter].width = 14 if c in ("no", "langkah") else 30
    wb.save(path)


def status(store: Store, sop: Sop, now: datetime, transport_name: str) -> dict[str, Any]:
    hb = store.meta("heartbeat")
    alive = False
    if hb:
        try:
            alive = (datetime.now().astimezone() - datetime.fromisoformat(store.meta("heartbeat_real") or hb)).total_seconds() < 180
        except ValueError:
            alive = False
    cycles = []
    for r in store.cycles("running"):
        st = store.load_cycle(r["code"])
        if st is None:
            continue
        awaiting, overdue = [], []
        for t in st.open_tasks():
            if t.purpose == "form" and st.units.get(t.unit or "") and st.units[t.unit].status == "received":
                continue
            awaiting.append({"who": t.recipient, "step": t.step, "since": _iso(t.opened), "unit": t.unit})
        for d in sop.steps:
            s = st.steps[d.id]
            if s.status == "active" and s.due and s.due < now:
                overdue.append({"step": d.id, "due": _iso(s.due), "standard": d.standar_text})
        cycles.append({"code": st.code, "current_step": st.current or None, "awaiting": awaiting, "overdue": overdue})
    held = store.q1("SELECT COUNT(*) AS n FROM inbound WHERE status IN ('ditahan','gagal')")["n"]
    return {
        "daemon": {"alive": alive, "heartbeat": hb, "pid": store.meta("pid")},
        "mail": {"transport": transport_name, "connected": store.meta("mail_connected") == "1",
                 "last_check": store.meta("mail_last_check"), "since": store.meta("mail_connected_since")},
        "cycles": cycles,
        "held": held,
        "outbox": {"queued": store.q1("SELECT COUNT(*) AS n FROM outbox WHERE status IN ('antri','mengirim')")["n"],
                   "failed": store.q1("SELECT COUNT(*) AS n FROM outbox WHERE status='gagal'")["n"]},
    }


def triage(store: Store) -> list[dict]:
    return [{"id": r["id"], "received": r["received"], "from": r["sender"], "subject": r["subject"],
             "reason": r["reason"], "status": r["status"]} for r in store.held()]
