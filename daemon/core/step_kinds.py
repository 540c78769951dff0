"""Entering each kind of step (`jenis` in config/sop.toml): the `ENTER` table's handlers.

A kind serves several steps: `persetujuan` (S1, S5, S10, S11, S13) asks one official for a decision,
`otomatis` (S2, S3, S7, S12) runs its action, `kumpul` (S4) waits for the units' forms, `rute` (S6)
routes the draft along its officials, `rapat` (S8) waits for the meeting to end and asks its
outcome, `unggah` (S9) asks for a revised draft. `send_for_decision` is how any of them asks.
"""

from __future__ import annotations

from typing import Any

from daemon.core.effects import DocRef, Envelope, SendLetter, SendNotice
from daemon.core.roles import ROLE_NAMES, Role
from daemon.core.run import Run
from daemon.core.sop import StepDef
from daemon.core.state import Timer
from daemon.core.statuses import StepStatus, TaskPurpose, TimerKind, UnitStatus
from daemon.core.timers import fire


def enter_otomatis(run: Run, d: StepDef) -> None:
    if d.aksi:
        run.act(d.aksi, d)
    if d.tinjau_jika and run.ctx.flag(d.tinjau_jika):
        t = run.open_task(d.id, d.pelaksana, run.person(d.pelaksana))
        run.fx.append(
            SendNotice(
                step=d.id,
                kind="tinjau_format",
                to=[t.recipient],
                task=t.key,
                docs=[DocRef(kind="form", version=1, unit=code) for code in run.st.units],
            )
        )
        due = run.st.steps[d.id].due
        assert due is not None  # set by enter()
        run.set_timer(due, TimerKind.REMIND, d.id)
        return
    run.finish(d.id, d.lanjut)


def enter_persetujuan(run: Run, d: StepDef) -> None:
    if d.aksi:
        run.act(d.aksi, d)
    send_for_decision(run, d, d.pelaksana)


def enter_rute(run: Run, d: StepDef) -> None:
    run.st.route_pos = 0
    send_for_decision(run, d, d.rute[0])


def enter_kumpul(run: Run, d: StepDef) -> None:
    s = run.st.steps[d.id]
    cal = run.ctx.cal
    assert s.due is not None  # set by enter()
    s.due = run.close_of_day(s.due)
    run.st.deadline = s.due
    run.set_timer(
        cal.add(run.now, cal.scale(d.standar, 0.5)),
        TimerKind.REMIND_UNITS,
        d.id,
        tahap="setengah",
    )
    run.set_timer(s.due, TimerKind.REMIND_UNITS, d.id, tahap="batas")
    run.set_timer(cal.add(s.due, run.ctx.tenggang_kumpul), TimerKind.CLOSE_COLLECTION, d.id)
    run.set_timer(cal.add(run.now, cal.scale(d.standar, 2)), TimerKind.ESCALATE, d.id)
    if run.st.all_units(UnitStatus.RECEIVED):
        run.finish(d.id, d.lanjut)


def enter_rapat(run: Run, d: StepDef) -> None:
    m = run.st.meeting or {}
    s = run.st.steps[d.id]
    start, end = m.get("start"), m.get("end")
    if not start or not end:  # no meeting set: ask for the outcome straight away
        start = end = run.now
    s.status, s.started, s.due = (
        (StepStatus.WAITING if start > run.now else StepStatus.ACTIVE),
        start,
        run.ctx.cal.add(start, d.standar),
    )
    run.set_timer(end, TimerKind.MEETING_OVER, d.id)
    run.set_timer(
        run.ctx.cal.add(start, run.ctx.cal.scale(d.standar, 2)), TimerKind.ESCALATE, d.id
    )
    if end <= run.now:
        fire(run, Timer(at=end, kind=TimerKind.MEETING_OVER, step=d.id))


def enter_unggah(run: Run, d: StepDef) -> None:
    ask_revision(run, d, d.pelaksana, list(run.st.notes))


def ask_revision(run: Run, d: StepDef, role: str, notes: list[str]) -> None:
    """Open an upload task and send the current version with the notes to revise it by."""
    t = run.open_task(
        d.id,
        role,
        run.person(role),
        purpose=TaskPurpose.UPLOAD,
        doc_kind="draft_report",
        doc_version=run.st.draft_version,
    )
    run.fx.append(
        SendNotice(
            step=d.id,
            kind="minta_revisi",
            to=[t.recipient],
            task=t.key,
            docs=[DocRef(kind="draft_report", version=run.st.draft_version)],
            data={"catatan": notes},
        )
    )


def send_for_decision(run: Run, d: StepDef, role: str) -> None:
    recipient = run.person(role)
    kind_of_doc = d.lampiran
    version = run.st.draft_version if kind_of_doc == "draft_report" else 1
    allow_schedule = d.jenis == "rute" and role == d.usul_jadwal
    t = run.open_task(
        d.id,
        role,
        recipient,
        doc_kind=kind_of_doc,
        doc_version=version,
        allow_schedule=allow_schedule,
        allow_selesai=d.kata_selesai,
        route_pos=run.st.route_pos if d.jenis == "rute" else None,
    )
    docs = [DocRef(kind=kind_of_doc, version=version)] if kind_of_doc else []
    data: dict[str, Any] = {"versi": version}
    if allow_schedule:
        run.st.proposed_meeting = run.propose_meeting()
        data["usul_rapat"] = run.st.proposed_meeting
    dari = d.dari or Role.KASUBAG
    if d.jenis == "rute" and run.st.route_pos > 0:
        dari = d.rute[run.st.route_pos - 1]
    data["dari"] = dari
    data["kepada"] = role
    if d.surat:
        run.fx.append(
            SendLetter(
                step=d.id,
                # surel: by e-mail only, still registered; salinan: a working copy, unregistered
                kind="" if d.surat in ("surel", "salinan") else d.surat,
                purpose=d.tujuan_surat,
                hal=run.letter_subject(d, version),
                tujuan=ROLE_NAMES[role],
                kode="nota_dinas" if d.surat in ("nota_dinas", "surel", "salinan") else d.surat,
                envelopes=[Envelope(to=[recipient], task=t.key)],
                docs=docs,
                data=data,
                register=d.surat != "salinan",
                kepada=[role],
            )
        )
    else:
        run.fx.append(
            SendNotice(
                step=d.id,
                kind="minta_keputusan",
                to=[recipient],
                task=t.key,
                docs=docs,
                data=data,
            )
        )
