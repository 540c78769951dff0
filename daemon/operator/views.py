"""What the operator reads: the JSON shapes of SPEC §7.3 and their plain-text tables.

Read-only over the store; the CLI prints these as JSON or as tables. (The triage of held
messages, with its hints, is in triage.py.)
"""

from __future__ import annotations

import csv
import io
import json
import os
from datetime import datetime
from typing import Any

from daemon.core.engine import CycleState
from daemon.core.roles import Role
from daemon.core.sop import Sop
from daemon.core.statuses import StepStatus, TaskPurpose, UnitStatus
from daemon.core.worktime import WorkCalendar

# The triage lives in triage.py; the dashboard and the operator's notices read it here.
from daemon.operator.triage import IGNORED, hint, triage  # noqa: F401
from daemon.store import Store

KELUAR = ["no", "nomor_surat", "tanggal_surat", "tanggal_kirim", "tujuan", "perihal", "lampiran",
          "kode_klasifikasi", "siklus", "langkah", "message_id", "berkas", "keterangan"]
MASUK = ["no", "tanggal_terima", "nomor_surat", "tanggal_surat", "pengirim", "perihal", "lampiran",
         "siklus", "langkah", "message_id", "berkas", "disposisi", "keterangan"]


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat(timespec="seconds") if dt else None


def cycle_list(store: Store) -> list[dict]:
    return [{"code": r["code"], "period": r["period"], "status": r["status"],
             "current_step": r["current"] or None} for r in store.cycles()]


def cycle_show(
    store: Store,
    st: CycleState,
    sop: Sop,
    cal: WorkCalendar,
    now: datetime | None = None,
    unit_names: dict[str, str] | None = None,
) -> dict[str, Any]:
    """SPEC §7.3 `cycle show --json`, plus: each step's name, actor, standard as text, whether it
    went over its standard, how many runs (REVISI loops); the units' names and rejected forms; the
    meeting. `now` is the office clock (an active step's actual time runs up to it)."""
    steps = []
    for d in sop.steps:
        s = st.steps[d.id]
        actual = None
        if s.status == StepStatus.DONE:
            actual = s.active_minutes
        elif s.status == StepStatus.ACTIVE and s.started:
            end = now or datetime.now(s.started.tzinfo)
            actual = s.active_minutes + cal.working_minutes(s.started, end)
        standard = cal.standard_minutes(d.standar)
        steps.append(
            {
                "id": d.id,
                "key": d.key,
                "name": d.uraian,
                "actor": d.pelaksana,
                "status": s.status,
                "started": _iso(s.started),
                "due": _iso(s.due),
                "finished": _iso(s.finished),
                "standard": d.standar_text,
                "standard_minutes": standard,
                "actual_minutes": actual,
                "over_standard": actual is not None and actual > standard,
                "runs": s.runs,
                "reminded": s.reminded,
                "escalated": s.escalated,
            }
        )
    names = unit_names or {}
    units = [
        {
            "code": u.code,
            "name": names.get(u.code, u.code),
            "email": u.email,
            "status": u.status,
            "version": u.version or None,
            "received": _iso(u.received),
            "rejected": u.rejected,
        }
        for u in st.units.values()
    ]
    docs = [{"kind": d["kind"], "version": d["version"], "unit": d["unit"], "path": d["path"],
             "sha256": d["sha256"], "source": d["source"], "created": d.get("created")}
            for d in store.documents(st.code)]
    log = [
        {
            "at": r["at"],
            "step": r["step"] or None,
            "event": r["event"],
            "who": r["who"],
            "detail": r["detail"],
        }
        for r in store.cycle_log(st.code)
    ]
    return {
        "code": st.code,
        "period": st.period,
        "status": st.status,
        "current_step": st.current or None,
        "started": _iso(st.started),
        "closed": _iso(st.closed),
        "deadline": _iso(st.deadline),
        "draft_version": st.draft_version,
        "meeting": (
            {
                "start": _iso(st.meeting["start"]),
                "end": _iso(st.meeting["end"]),
                "place": st.meeting.get("place"),
            }
            if st.meeting
            else None
        ),
        "steps": steps,
        "units": units,
        "documents": docs,
        "log": log,
    }


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
        return "; ".join(
            f"{x.get('nama')} (sha256 {x.get('sha256')})" if isinstance(x, dict) else str(x)
            for x in v
        )
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
    """The buku agenda (SPEC §6.7): see daemon/documents/letterbook.py."""
    from daemon.documents.letterbook import write_letterbook

    write_letterbook(rows, which, path)


# ============================================================================ status

STALE_SECONDS = 180  # the daemon beats at least every minute (runner.MAX_WAIT_S) plus a round


def _pid_running(pid_text: str | None) -> bool | None:
    """Whether the process exists on this machine (None: cannot tell)."""
    try:
        pid = int(pid_text or "")
    except ValueError:
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user (the service user)
        return True
    except OSError:
        return None
    return True


def daemon_state(store: Store, real_now: datetime | None = None) -> dict[str, Any]:
    """Alive only if the heartbeat (real time) is fresh and its process still exists.

    state: `berjalan` (alive), `macet` (the process exists but has not beaten for a while),
    `mati` (a heartbeat was left but the process is gone: killed or crashed), `berhenti` (it
    stopped cleanly: the runner clears heartbeat_real on the way out), `belum` (never ran)."""
    hb = store.meta("heartbeat")
    hb_real = store.meta("heartbeat_real")
    pid = store.meta("pid")
    real_now = real_now or datetime.now().astimezone()
    age = None
    if hb_real:
        try:
            age = int((real_now - datetime.fromisoformat(hb_real)).total_seconds())
        except ValueError:
            age = None
    running = _pid_running(pid) if pid else None
    if not hb:
        state = "belum"
    elif not hb_real:
        state = "berhenti"
    elif running is False:
        state = "mati"
    elif age is not None and age <= STALE_SECONDS:
        state = "berjalan"
    else:
        state = "macet" if running else "mati"
    return {"alive": state == "berjalan", "heartbeat": hb, "heartbeat_real": hb_real or None,
            "age_seconds": age, "pid": int(pid) if pid and pid.isdigit() else None, "state": state}


def people_names(cfg) -> dict[str, str]:
    """E-mail address -> how the operator knows the person ("Camat (RIKA MARTA, S.E)")."""
    if cfg is None:
        return {}
    out: dict[str, str] = {}
    labels = {
        Role.CAMAT: "Camat",
        Role.SEKRETARIS: "Sekretaris",
        Role.KASUBAG: "Kasubag Perencanaan",
    }
    for role, o in cfg.pejabat.items():
        out[o.email] = f"{labels.get(role, role)} ({o.nama})" if o.nama else labels.get(role, role)
        for w in o.wakil:
            out.setdefault(w, f"wakil {labels.get(role, role)}")
    for u in cfg.units:
        out.setdefault(u.email, u.nama)
    return out


def status(store: Store, sop: Sop, cal: WorkCalendar, now: datetime, cfg=None,
           real_now: datetime | None = None) -> dict[str, Any]:
    """SPEC §7.3 `status --json`, plus: the daemon's state and pid, the mail connection's start,
    each cycle's step name, due time and who is awaited with their names, how late each overdue
    step is (working minutes past its standard), whether it was reminded or escalated, the held
    messages by status and the outbox."""
    d = daemon_state(store, real_now)
    recorded = store.meta("mail_connected") == "1"
    names = people_names(cfg)
    cycles = []
    # Tasks whose letter has not gone out yet: nobody is late for a letter they never received.
    unsent = store.tasks_with_unsent_letters()
    for r in store.cycles("running"):
        st = store.load_cycle(r["code"])
        if st is None:
            continue
        awaiting, overdue = [], []
        for t in st.open_tasks():
            unit = st.units.get(t.unit or "") if t.unit else None
            if t.purpose == TaskPurpose.FORM and unit and unit.status != UnitStatus.PENDING:
                continue  # the unit has sent valid data (its task stays open for corrections)
            s = st.steps.get(t.step)
            sent = t.key not in unsent
            late = bool(sent and s and s.due and s.due < now and s.status == StepStatus.ACTIVE)
            awaiting.append({"who": t.recipient, "name": names.get(t.recipient, t.unit or t.role),
                             "role": t.role, "step": t.step, "purpose": t.purpose, "unit": t.unit,
                             "since": _iso(t.opened), "overdue": late, "letter_sent": sent})
        for dstep in sop.steps:
            s = st.steps[dstep.id]
            if s.status != StepStatus.ACTIVE or not s.due or s.due >= now:
                continue
            step_tasks = [t for t in st.open_tasks(dstep.id)]
            if step_tasks and all(t.key in unsent for t in step_tasks):
                continue  # its letters are still in the outbox: not late yet
            late_min = cal.working_minutes(s.due, now)
            who = [a["who"] for a in awaiting if a["step"] == dstep.id]
            overdue.append(
                {
                    "step": dstep.id,
                    "name": dstep.uraian,
                    "due": _iso(s.due),
                    "standard": dstep.standar_text,
                    "late_minutes": late_min,
                    "reminded": s.reminded,
                    "escalated": s.escalated,
                    "who": who,
                }
            )
        cur = st.steps.get(st.current) if st.current else None
        cur_def = sop.step(st.current) if st.current in {x.id for x in sop.steps} else None
        cycles.append({"code": st.code, "period": st.period, "current_step": st.current or None,
                       "step_name": cur_def.uraian if cur_def else None,
                       "step_started": _iso(cur.started) if cur else None,
                       "step_due": _iso(cur.due) if cur else None,
                       "deadline": _iso(st.deadline),
                       "units": {u.code: u.status for u in st.units.values()},
                       "awaiting": awaiting, "overdue": overdue})
    day = now.date().isoformat()
    braked_today = sum(1 for received in store.braked_received() if received[:10] == day)
    by_status = store.held_counts()
    return {
        "now": _iso(now),
        "daemon": d,
        "mail": {
            "transport": cfg.mail.transport if cfg else None,
            "address": cfg.mail.alamat if cfg else None,
            # Only a running daemon holds a connection; a stopped one's last record is history.
            "connected": bool(d["alive"] and recorded),
            "last_check": store.meta("mail_last_check"),
            "since": store.meta("mail_connected_since") if d["alive"] and recorded else None,
            "last_recorded_connected": recorded,
        },
        "cycles": cycles,
        "held": sum(by_status.values()),
        # final reports still without their PDF (SPEC §6.5), while LibreOffice is installed
        "final_pdf_missing": store.final_reports_without_pdf() if _soffice() else [],
        "held_by_status": {
            "ditahan": by_status.get("ditahan", 0),
            "gagal": by_status.get("gagal", 0),
        },
        "outbox": store.outbox_counts(),
        # Messages the loop brake left without a new answer today (SPEC §3.4): listed by triage.
        "answered_earlier_today": braked_today,
    }


def _soffice() -> bool:
    from daemon.documents.pdf import soffice_path

    return soffice_path() is not None
