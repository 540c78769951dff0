"""The pure engine: (cycle state, event, now) -> (new state, effects).

It interprets the SOP table (daemon/core/sop.py) for one cycle. It does no I/O: it never reads the
clock, the disk, the database or the network. The shell (daemon/shell/office.py) loads the state, calls
`advance`, and applies the effects in one transaction: log rows, register entries, documents to
render, letters and notices to queue. So every branch can be tested with a fake clock.

Events (`Event`) and effects (`Effect`) are closed unions of frozen keyword-only dataclasses;
`advance` dispatches events with a `match` ending in `assert_never`, and each SOP step kind
(`jenis`) and action (`aksi`) has its handler in an explicit table (`ENTER`, `ACTIONS`), checked
against the SOP's kinds when this module loads. Statuses are the StrEnums of daemon/core/statuses.py.

Task keys are made here (`<cycle>#<n>`); the shell derives each task's token from its key.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, assert_never

from daemon.core import sop as _sop
from daemon.core.roles import ROLE_NAMES, Role
from daemon.core.sop import END, Sop, StepDef
from daemon.core.statuses import (
    CycleStatus,
    DecisionKind,
    DraftSource,
    StepStatus,
    TaskPurpose,
    TaskStatus,
    TimerKind,
    UnitStatus,
)
from daemon.core.worktime import Duration, WorkCalendar

__all__ = ["ROLE_NAMES", "Role"]  # re-exported: the shell reads role names from here too

# =========================================================================== state


@dataclass
class StepState:
    id: str
    status: StepStatus = StepStatus.WAITING
    started: datetime | None = None
    due: datetime | None = None
    finished: datetime | None = None
    active_minutes: int = 0  # working minutes spent active, summed over REVISI loops
    runs: int = 0
    reminded: bool = False
    escalated: bool = False


@dataclass
class Task:
    """Something Pantau waits for from one person. Replies count only for open tasks."""

    key: str
    step: str
    role: Role
    recipient: str
    purpose: TaskPurpose = TaskPurpose.DECISION
    unit: str | None = None
    doc_kind: str = ""
    doc_version: int = 0
    allow_schedule: bool = False
    allow_selesai: bool = False
    route_pos: int | None = None
    status: TaskStatus = TaskStatus.OPEN
    opened: datetime | None = None
    closed: datetime | None = None


@dataclass
class UnitState:
    code: str
    email: str
    status: UnitStatus = UnitStatus.PENDING
    version: int = 0  # how many valid forms were accepted
    received: datetime | None = None
    rejected: int = 0
    task: str | None = None


@dataclass
class Timer:
    """A timer in the cycle's state (fired by a `Tick`); mutable state, not an event."""

    at: datetime
    kind: TimerKind
    step: str
    data: dict = field(default_factory=dict)


@dataclass
class CycleState:
    code: str
    period: str
    status: CycleStatus = CycleStatus.RUNNING
    current: str = ""
    steps: dict[str, StepState] = field(default_factory=dict)
    tasks: list[Task] = field(default_factory=list)
    units: dict[str, UnitState] = field(default_factory=dict)
    timers: list[Timer] = field(default_factory=list)
    seq: int = 0
    draft_version: int = 0
    draft_source: DraftSource = DraftSource.GENERATED  # how the current version was made
    route_pos: int = 0
    deadline: datetime | None = None  # the units' data deadline (S4 due)
    meeting: dict | None = None  # {"start", "end", "place"} once set
    proposed_meeting: dict | None = None
    approvals: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # revision notes for the next version
    final: dict | None = None  # {"source": "generated"|"signed_pdf", "version"}
    undeliverable: list[str] = field(default_factory=list)
    started: datetime | None = None
    closed: datetime | None = None

    def task(self, key: str) -> Task | None:
        for t in self.tasks:
            if t.key == key:
                return t
        return None

    def open_tasks(self, step: str | None = None) -> list[Task]:
        return [
            t
            for t in self.tasks
            if t.status == TaskStatus.OPEN and (step is None or t.step == step)
        ]


# =========================================================================== context, events, effects


@dataclass
class Context:
    """What the engine needs to know about the office; built by the shell from the config."""

    sop: Sop
    cal: WorkCalendar
    people: dict[str, str]  # role -> e-mail
    units: list[tuple[str, str]]  # (code, e-mail), in config order
    perintah_otomatis: bool = False
    tinjau_format: bool = False
    tenggang_kumpul: Duration = field(default_factory=lambda: Duration(0, 1))
    meeting_time: tuple[int, int] = (9, 0)
    meeting_hours: float = 6.0
    meeting_place: str = ""
    peserta: list[str] = field(default_factory=list)
    tembusan: list[str] = field(default_factory=list)

    def flag(self, name: str) -> bool:
        return bool(getattr(self, name, False)) if name else False


@dataclass(frozen=True, kw_only=True)
class StoredFile:
    """An attachment already archived by the shell."""

    path: str
    sha256: str
    filename: str


@dataclass(frozen=True, kw_only=True)
class Start:
    period: str


@dataclass(frozen=True, kw_only=True)
class Tick:
    """Time passed: fire the timers that are due."""


@dataclass(frozen=True, kw_only=True)
class Reply:
    """An authorised answer to an open task (the inbound pipeline checked sender and token)."""

    task: str
    sender: str
    decision: DecisionKind  # a plain string with the same value also matches
    note: str = ""
    message_id: str = ""
    subject: str = ""
    meeting_date: date | None = None
    meeting_time: str | None = None
    meeting_place: str | None = None
    docx: StoredFile | None = None
    pdf: StoredFile | None = None
    other_files: list[StoredFile] = field(default_factory=list)
    why: str = ""  # why an unclear answer is unclear, when the reader knows (the S11 code)
    kode_ttd: bool = False  # the signature was given with its code (S11); the code itself never
    # For an unclear reply: what the reader understood and why it did not act, in Indonesian,
    # quoting the person's words (daemon/core/reply_grammar.py).
    understood: str = ""
    unclear: list[str] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class FormIn:
    """A unit's filled form, already read and checked against its indicators."""

    task: str
    sender: str
    ok: bool
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    message_id: str = ""
    submission_id: int = 0
    filename: str = ""
    notes: list[str] = field(default_factory=list)  # note rows of the form's table


@dataclass(frozen=True, kw_only=True)
class WrongFile:
    """A message to an open task whose attachments cannot be taken, as the shell read them:
    `too_large` when attachments were refused by the size limits ([mail.batas]), else the
    files are not the form (a scan, a photo, another document); `errors` names each file and
    what it is."""

    task: str
    sender: str
    errors: list[str] = field(default_factory=list)
    too_large: bool = False


@dataclass(frozen=True, kw_only=True)
class Bounce:
    recipient: str
    detail: str = ""
    message_id: str = ""


@dataclass(frozen=True, kw_only=True)
class DocRef:
    kind: (
        str  # form | draft_report | final_report | cover_letter | invitation | emonev_export | ...
    )
    version: int = 0
    unit: str | None = None


@dataclass(frozen=True, kw_only=True)
class Log:
    step: str
    event: str
    who: str = ""
    detail: str = ""


@dataclass(frozen=True, kw_only=True)
class Envelope:
    to: list[str]
    cc: list[str] = field(default_factory=list)
    task: str | None = None
    docs: list[DocRef] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class SendLetter:
    """A letter: one `keluar` register entry, one or more e-mails (envelopes)."""

    step: str
    kind: str  # nota_dinas | permintaan_data | undangan | pengantar | "" (no cover document)
    purpose: str
    hal: str
    tujuan: str  # who, as written in the register
    kode: str  # which [penomoran.kode] entry
    envelopes: list[Envelope]
    docs: list[DocRef] = field(default_factory=list)  # attached to every envelope
    data: dict = field(default_factory=dict)
    register: bool = (
        True  # False: a working copy (S5's draft to the Kasubag), not a letter (SPEC §4)
    )


@dataclass(frozen=True, kw_only=True)
class SendNotice:
    """A notification (acknowledgement, reminder, clarification, escalation): logged, not
    registered."""

    step: str
    kind: str
    to: list[str]
    cc: list[str] = field(default_factory=list)
    task: str | None = None
    docs: list[DocRef] = field(default_factory=list)
    data: dict = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class MakeDoc:
    ref: DocRef
    data: dict = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class RecordDoc:
    ref: DocRef
    file: StoredFile
    message_id: str = ""


@dataclass(frozen=True, kw_only=True)
class RegisterIn:
    step: str
    pengirim: str
    perihal: str
    lampiran: str
    message_id: str
    disposisi: str = ""
    keterangan: str = ""
    files: list[StoredFile] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class SaveKinerja:
    """Keep the cycle's accepted data in the data base kinerja."""


Event = Start | Tick | Reply | FormIn | WrongFile | Bounce
"""Everything that can happen to a cycle (a closed union: `advance` matches every member)."""

Effect = Log | SendLetter | SendNotice | MakeDoc | RecordDoc | RegisterIn | SaveKinerja
"""Everything the engine can ask of the shell (office.py's `apply` matches every member)."""


# The loop brake (SPEC §3.2): notices that answer a person's message go at most once per address,
# kind, task and day, keyed on what the notice says. What the person wrote and what Pantau read in
# it are left out of the key: one clarification per task and day, whatever the words, and an
# auto-responder that quotes the time gets no fresh answer every round trip.
BRAKED = frozenset({"mohon_jelas", "sudah_diproses", "lampirkan_formulir", "pengumpulan_ditutup",
                    "formulir_salah", "berkas_salah", "gagal_kirim"})
BRAKE_IGNORES = frozenset({"baris", "dipahami", "sebab"})


def brake_key(fx: SendNotice) -> str | None:
    """The key under which the shell remembers a braked notice for the day (the store keeps
    which keys went out to which address on which day); None when the notice is never braked."""
    if fx.kind not in BRAKED:
        return None
    said = {k: v for k, v in fx.data.items() if k not in BRAKE_IGNORES}
    detail = hashlib.sha1(json.dumps(said, sort_keys=True, default=str).encode()).hexdigest()[:8]
    return f"{fx.kind}:{fx.task or ''}:{detail}"


@dataclass(frozen=True, kw_only=True)
class Decision:
    state: CycleState
    effects: list[Effect] = field(default_factory=list)


# =========================================================================== the engine

# What a `berkas_salah` notice asks the sender to do instead.
SARAN_TOO_LARGE = ("Mohon kirim ulang dengan membalas e-mail ini dan melampirkan formulir/dokumen "
                   "saja, tanpa berkas lain yang besar.")
SARAN_NOT_A_FORM = ("Mohon balas e-mail ini dengan melampirkan formulir pemantauan (DOCX) yang "
                    "dikirim Pantau, setelah diisi. Pindaian (scan) atau foto tidak dapat dibaca.")


def new_cycle(period_code: str, cycle_code: str, ctx: Context) -> CycleState:
    st = CycleState(code=cycle_code, period=period_code)
    for s in ctx.sop.steps:
        st.steps[s.id] = StepState(id=s.id)
    for code, email in ctx.units:
        st.units[code] = UnitState(code=code, email=email)
    return st


def advance(state: CycleState, event: Event, now: datetime, ctx: Context) -> Decision:
    """Apply one event to one cycle. The input state is not modified."""
    run = _Run(copy_state(state), now, ctx)
    match event:
        case Start():
            run.start()
        case Tick():
            run.tick()
        case Reply():
            run.reply(event)
        case FormIn():
            run.form(event)
        case WrongFile():
            run.wrong_file(event)
        case Bounce():
            run.bounce(event)
        case _:
            assert_never(event)
    return Decision(state=run.st, effects=run.fx)


class _Run:
    """One application of one event: mutable scratch state plus the effects produced."""

    def __init__(self, st: CycleState, now: datetime, ctx: Context):
        self.st, self.now, self.ctx = st, now, ctx
        self.sop = ctx.sop
        self.fx: list[Effect] = []

    # ------------------------------------------------------------------ helpers

    def log(self, step: str, event: str, who: str = "", detail: str = "") -> None:
        self.fx.append(Log(step=step, event=event, who=who, detail=detail))

    def person(self, role: str) -> str:
        return self.ctx.people[role]

    def open_task(self, step: str, role: str, recipient: str, **kw: Any) -> Task:
        self.st.seq += 1
        t = Task(
            key=f"{self.st.code}#{self.st.seq}",
            step=step,
            role=Role(role),
            recipient=recipient,
            opened=self.now,
            **kw,
        )
        self.st.tasks.append(t)
        return t

    def close_tasks(self, step: str, purpose: str | None = None) -> None:
        for t in self.st.open_tasks(step):
            if purpose is None or t.purpose == purpose:
                t.status, t.closed = TaskStatus.CLOSED, self.now

    def close_task(self, t: Task) -> None:
        t.status, t.closed = TaskStatus.CLOSED, self.now

    def set_timer(self, at: datetime, kind: TimerKind, step: str, **data: Any) -> None:
        self.st.timers.append(Timer(at=at, kind=kind, step=step, data=data))

    def clear_timers(self, step: str) -> None:
        self.st.timers = [t for t in self.st.timers if t.step != step]

    def period_label(self) -> str:
        from daemon.core.model import Period

        return Period.parse(self.st.period).label

    # ------------------------------------------------------------------ step lifecycle

    def start(self) -> None:
        self.st.started = self.now
        self.log("", "siklus_dimulai", "", f"Pemantauan kinerja {self.period_label()} dimulai")
        self.enter(self.sop.first.id)

    def enter(self, step_id: str) -> None:
        if step_id == END:
            self.close_cycle()
            return
        d = self.sop.step(step_id)
        s = self.st.steps[step_id]
        self.st.current = step_id
        if d.lewati_jika and self.ctx.flag(d.lewati_jika):
            s.status, s.started, s.finished = StepStatus.SKIPPED, self.now, self.now
            self.log(d.id, "langkah_dilewati", "", f"{d.uraian} (dilewati: {d.lewati_jika})")
            self.enter(d.next_on_approve)
            return
        s.status, s.started, s.finished = StepStatus.ACTIVE, self.now, None
        s.runs += 1
        s.reminded = s.escalated = False
        s.due = self.ctx.cal.add(self.now, d.standar)
        self.log(d.id, "langkah_dimulai", ROLE_NAMES.get(d.pelaksana, d.pelaksana), d.uraian)
        if d.jenis not in ("kumpul", "rapat", "otomatis"):
            self.set_timer(s.due, TimerKind.REMIND, d.id)
            self.set_timer(
                self.ctx.cal.add(self.now, self.ctx.cal.scale(d.standar, 2)),
                TimerKind.ESCALATE,
                d.id,
            )
        ENTER[d.jenis](self, d)

    def finish(self, step_id: str, to: str) -> None:
        """Close `step_id` and go to `to` (a later step, an earlier one for a REVISI loop, or END)."""
        s = self.st.steps[step_id]
        if s.started and s.status == StepStatus.ACTIVE:
            s.active_minutes += self.ctx.cal.working_minutes(s.started, self.now)
        s.status, s.finished = StepStatus.DONE, self.now
        self.clear_timers(step_id)
        for t in self.st.open_tasks(step_id):
            if t.purpose != TaskPurpose.FORM:
                self.close_task(t)
        self.log(step_id, "langkah_selesai", "", self.sop.step(step_id).uraian)
        if to == END:
            self.close_cycle()
            return
        i, j = self.sop.index(step_id), self.sop.index(to)
        if j > i:
            for skipped in self.sop.steps[i + 1 : j]:
                ss = self.st.steps[skipped.id]
                if ss.status == StepStatus.WAITING:
                    ss.status, ss.started, ss.finished = StepStatus.SKIPPED, self.now, self.now
                    self.log(
                        skipped.id,
                        "langkah_dilewati",
                        "",
                        f"{skipped.uraian} (tidak ada perubahan)",
                    )
        else:
            # A REVISI loop: the steps between go back to waiting; they will run again.
            for back in self.sop.steps[j + 1 : i + 1]:
                self.st.steps[back.id].status = StepStatus.WAITING
        self.enter(to)

    def close_cycle(self) -> None:
        self.st.status, self.st.closed, self.st.current = CycleStatus.CLOSED, self.now, ""
        self.st.timers = []
        for t in self.st.open_tasks():
            self.close_task(t)
        self.fx.append(SaveKinerja())
        self.fx.append(MakeDoc(ref=DocRef(kind="timeliness_summary", version=1)))
        self.fx.append(
            SendNotice(
                step="",
                kind="ringkasan",
                to=[self.person(Role.CAMAT), self.person(Role.SEKRETARIS)],
                cc=[self.person(Role.KASUBAG)],
                docs=[DocRef(kind="timeliness_summary", version=1)],
            )
        )
        self.log(
            "", "siklus_ditutup", "", "Seluruh langkah selesai; ringkasan ketepatan waktu dikirim"
        )

    # ------------------------------------------------------------------ entering each kind of step

    def enter_otomatis(self, d: StepDef) -> None:
        if d.aksi:
            ACTIONS[d.aksi](self, d)
        if d.tinjau_jika and self.ctx.flag(d.tinjau_jika):
            t = self.open_task(d.id, d.pelaksana, self.person(d.pelaksana))
            self.fx.append(
                SendNotice(
                    step=d.id,
                    kind="tinjau_format",
                    to=[t.recipient],
                    task=t.key,
                    docs=[DocRef(kind="form", version=1, unit=code) for code in self.st.units],
                )
            )
            due = self.st.steps[d.id].due
            assert due is not None  # set by enter()
            self.set_timer(due, TimerKind.REMIND, d.id)
            return
        self.finish(d.id, d.lanjut)

    def enter_persetujuan(self, d: StepDef) -> None:
        if d.aksi:
            ACTIONS[d.aksi](self, d)
        self.send_for_decision(d, d.pelaksana)

    def enter_rute(self, d: StepDef) -> None:
        self.st.route_pos = 0
        self.send_for_decision(d, d.rute[0])

    def close_of_day(self, due: datetime) -> datetime:
        """The units' deadline is the close of the office day on which it falls due (SPEC §6.2):
        "pukul 16.00 WIB" Monday to Thursday, Friday's close as configured."""
        hours = self.ctx.cal.office_hours(self.ctx.cal.local(due).date())
        return max(due, hours[1]) if hours else due

    def enter_kumpul(self, d: StepDef) -> None:
        s = self.st.steps[d.id]
        cal = self.ctx.cal
        assert s.due is not None  # set by enter()
        s.due = self.close_of_day(s.due)
        self.st.deadline = s.due
        self.set_timer(
            cal.add(self.now, cal.scale(d.standar, 0.5)),
            TimerKind.REMIND_UNITS,
            d.id,
            tahap="setengah",
        )
        self.set_timer(s.due, TimerKind.REMIND_UNITS, d.id, tahap="batas")
        self.set_timer(cal.add(s.due, self.ctx.tenggang_kumpul), TimerKind.CLOSE_COLLECTION, d.id)
        self.set_timer(cal.add(self.now, cal.scale(d.standar, 2)), TimerKind.ESCALATE, d.id)
        if all(u.status == UnitStatus.RECEIVED for u in self.st.units.values()):
            self.finish(d.id, d.lanjut)

    def enter_rapat(self, d: StepDef) -> None:
        m = self.st.meeting or {}
        s = self.st.steps[d.id]
        start, end = m.get("start"), m.get("end")
        if not start or not end:  # no meeting set: ask for the outcome straight away
            start = end = self.now
        s.status, s.started, s.due = (
            (StepStatus.WAITING if start > self.now else StepStatus.ACTIVE),
            start,
            self.ctx.cal.add(start, d.standar),
        )
        self.set_timer(end, TimerKind.MEETING_OVER, d.id)
        self.set_timer(
            self.ctx.cal.add(start, self.ctx.cal.scale(d.standar, 2)), TimerKind.ESCALATE, d.id
        )
        if end <= self.now:
            self.fire(Timer(at=end, kind=TimerKind.MEETING_OVER, step=d.id))

    def enter_unggah(self, d: StepDef) -> None:
        self.ask_revision(d, d.pelaksana, list(self.st.notes))

    def ask_revision(self, d: StepDef, role: str, notes: list[str]) -> None:
        """Open an upload task and send the current version with the notes to revise it by."""
        t = self.open_task(
            d.id,
            role,
            self.person(role),
            purpose=TaskPurpose.UPLOAD,
            doc_kind="draft_report",
            doc_version=self.st.draft_version,
        )
        self.fx.append(
            SendNotice(
                step=d.id,
                kind="minta_revisi",
                to=[t.recipient],
                task=t.key,
                docs=[DocRef(kind="draft_report", version=self.st.draft_version)],
                data={"catatan": notes},
            )
        )

    def send_for_decision(self, d: StepDef, role: str) -> None:
        recipient = self.person(role)
        kind_of_doc = d.lampiran
        version = self.st.draft_version if kind_of_doc == "draft_report" else 1
        allow_schedule = d.jenis == "rute" and role == d.usul_jadwal
        t = self.open_task(
            d.id,
            role,
            recipient,
            doc_kind=kind_of_doc,
            doc_version=version,
            allow_schedule=allow_schedule,
            allow_selesai=d.kata_selesai,
            route_pos=self.st.route_pos if d.jenis == "rute" else None,
        )
        docs = [DocRef(kind=kind_of_doc, version=version)] if kind_of_doc else []
        data: dict[str, Any] = {"versi": version}
        if allow_schedule:
            self.st.proposed_meeting = self.propose_meeting()
            data["usul_rapat"] = self.st.proposed_meeting
        dari = d.dari or Role.KASUBAG
        if d.jenis == "rute" and self.st.route_pos > 0:
            dari = d.rute[self.st.route_pos - 1]
        data["dari"] = dari
        data["kepada"] = role
        if d.surat:
            self.fx.append(
                SendLetter(
                    step=d.id,
                    # surel: by e-mail only, still registered; salinan: a working copy, unregistered
                    kind="" if d.surat in ("surel", "salinan") else d.surat,
                    purpose=d.tujuan_surat,
                    hal=self.letter_subject(d, version),
                    tujuan=ROLE_NAMES[role],
                    kode="nota_dinas" if d.surat in ("nota_dinas", "surel", "salinan") else d.surat,
                    envelopes=[Envelope(to=[recipient], task=t.key)],
                    docs=docs,
                    data=data,
                    register=d.surat != "salinan",
                )
            )
        else:
            self.fx.append(
                SendNotice(
                    step=d.id,
                    kind="minta_keputusan",
                    to=[recipient],
                    task=t.key,
                    docs=docs,
                    data=data,
                )
            )

    def letter_subject(self, d: StepDef, version: int = 1) -> str:
        """The step's letter subject: its `perihal` in sop.toml (daemon/core/sop.py DEFAULT_PERIHAL)."""
        label = self.period_label()
        if not d.perihal:
            return f"{d.uraian} {label}"
        return d.perihal.format(periode=label, versi=version)

    def propose_meeting(self) -> dict:
        """The next working day (at least one working day ahead) at the configured hour."""
        cal = self.ctx.cal
        day = self.now.date() + timedelta(days=1)
        while not cal.is_working_day(day):
            day += timedelta(days=1)
        h, m = self.ctx.meeting_time
        start = self.now.replace(
            year=day.year, month=day.month, day=day.day, hour=h, minute=m, second=0, microsecond=0
        )
        end = start + timedelta(hours=self.ctx.meeting_hours)
        return {"start": start, "end": end, "place": self.ctx.meeting_place}

    # ------------------------------------------------------------------ actions

    def do_buat_format(self, d: StepDef) -> None:
        for code in self.st.units:
            self.fx.append(MakeDoc(ref=DocRef(kind="form", version=1, unit=code)))
        self.log(d.id, "format_dibuat", "", f"{len(self.st.units)} formulir dibuat")

    def do_kirim_format(self, d: StepDef) -> None:
        collect = self.sop.step(d.lanjut)
        deadline = self.close_of_day(self.ctx.cal.add(self.now, collect.standar))
        envelopes = []
        for u in self.st.units.values():
            t = self.open_task(
                collect.id,
                Role.UNIT,
                u.email,
                purpose=TaskPurpose.FORM,
                unit=u.code,
                doc_kind="form",
                doc_version=1,
            )
            u.task = t.key
            envelopes.append(
                Envelope(
                    to=[u.email], task=t.key, docs=[DocRef(kind="form", version=1, unit=u.code)]
                )
            )
        self.fx.append(
            SendLetter(
                step=d.id,
                kind="permintaan_data",
                purpose="",
                hal=self.letter_subject(d),
                tujuan="Sekretariat dan Kepala Seksi",
                kode="permintaan_data",
                envelopes=envelopes,
                data={"batas_waktu": deadline},
            )
        )

    def do_susun_konsep(self, d: StepDef) -> None:
        self.st.draft_version += 1
        self.st.draft_source = DraftSource.GENERATED
        self.fx.append(
            MakeDoc(
                ref=DocRef(kind="draft_report", version=self.st.draft_version),
                data={"catatan": list(self.st.notes)},
            )
        )
        missing = [u.code for u in self.st.units.values() if u.status != UnitStatus.RECEIVED]
        self.log(
            d.id,
            "konsep_disusun",
            "",
            f"versi {self.st.draft_version}"
            + (f"; tidak menyampaikan data: {', '.join(missing)}" if missing else ""),
        )

    def do_kirim_undangan(self, d: StepDef) -> None:
        # The invitation letter and its .ics are rendered with the letter (they carry its number).
        self.fx.append(
            SendLetter(
                step=d.id,
                kind="undangan",
                purpose="",
                hal=self.letter_subject(d),
                tujuan="Pejabat Eselon III dan IV",
                kode="undangan",
                envelopes=[Envelope(to=list(self.ctx.peserta))],
                data={"rapat": self.st.meeting},
            )
        )

    def do_terbitkan_final(self, d: StepDef) -> None:
        self.st.final = {"source": "generated", "version": self.st.draft_version}
        self.fx.append(
            MakeDoc(
                ref=DocRef(kind="final_report", version=1),
                data={
                    "source_version": self.st.draft_version,
                    "approvals": [
                        a for a in self.st.approvals if a["version"] >= 1
                    ],  # of the report, not the order
                    "step": d.id,
                },
            )
        )
        self.log(
            d.id, "laporan_final_diterbitkan", "", f"dari konsep versi {self.st.draft_version}"
        )

    def do_kirim_pengantar(self, d: StepDef) -> None:
        docs = [DocRef(kind="final_report", version=1)]
        self.fx.append(
            SendLetter(
                step=d.id,
                kind="pengantar",
                purpose="",
                hal=self.letter_subject(d),
                tujuan=ROLE_NAMES[Role.KASUBAG],
                kode="pengantar",
                envelopes=[Envelope(to=[self.person(Role.KASUBAG)], cc=list(self.ctx.tembusan))],
                docs=docs,
                data={"final": self.st.final},
            )
        )

    def do_buat_emonev(self, d: StepDef) -> None:
        self.fx.append(MakeDoc(ref=DocRef(kind="emonev_export", version=1)))

    # ------------------------------------------------------------------ timers

    def tick(self) -> None:
        due = sorted((t for t in self.st.timers if t.at <= self.now), key=lambda t: t.at)
        for timer in due:
            if timer in self.st.timers:  # an earlier timer may have cleared it
                self.st.timers.remove(timer)
                self.fire(timer)

    def fire(self, timer: Timer) -> None:
        d = self.sop.step(timer.step)
        s = self.st.steps[timer.step]
        if timer.kind == TimerKind.REMIND and s.status == StepStatus.ACTIVE and not s.reminded:
            s.reminded = True
            tasks = self.st.open_tasks(d.id)
            for t in tasks:
                self.fx.append(
                    SendNotice(
                        step=d.id,
                        kind="pengingat",
                        to=[t.recipient],
                        task=t.key,
                        data={"batas": s.due},
                    )
                )
            self.log(
                d.id, "pengingat", ", ".join(t.recipient for t in tasks), "melewati standar waktu"
            )
        elif timer.kind == TimerKind.ESCALATE and s.status == StepStatus.ACTIVE and not s.escalated:
            s.escalated = True
            waiting = [
                t
                for t in self.st.open_tasks(d.id)
                if not (
                    t.purpose == TaskPurpose.FORM
                    and self.st.units[t.unit or ""].status == UnitStatus.RECEIVED
                )
            ]
            actor = waiting[0].role if waiting else d.pelaksana
            boss = self.sop.atasan.get(actor)
            if boss and waiting:
                self.fx.append(
                    SendNotice(
                        step=d.id,
                        kind="eskalasi",
                        to=[self.person(boss)],
                        cc=[self.person(Role.KASUBAG)],
                        data={
                            "menunggu": [t.recipient for t in waiting],
                            "standar": d.standar_text,
                        },
                    )
                )
                self.log(
                    d.id,
                    "eskalasi",
                    self.person(boss),
                    f"dua kali standar ({d.standar_text}) terlampaui; menunggu "
                    + ", ".join(t.recipient for t in waiting),
                )
        elif timer.kind == TimerKind.REMIND_UNITS and s.status == StepStatus.ACTIVE:
            pending = [u for u in self.st.units.values() if u.status == UnitStatus.PENDING]
            for u in pending:
                self.fx.append(
                    SendNotice(
                        step=d.id,
                        kind="pengingat_unit",
                        to=[u.email],
                        task=u.task,
                        data={"tahap": timer.data.get("tahap"), "batas": self.st.deadline},
                    )
                )
            if pending:
                self.log(
                    d.id,
                    "pengingat",
                    ", ".join(u.code for u in pending),
                    "pengingat "
                    + ("separuh waktu" if timer.data.get("tahap") == "setengah" else "batas waktu"),
                )
        elif timer.kind == TimerKind.CLOSE_COLLECTION and s.status == StepStatus.ACTIVE:
            missing = [u for u in self.st.units.values() if u.status == UnitStatus.PENDING]
            for u in missing:
                u.status = UnitStatus.MISSING
            if missing:
                names = ", ".join(u.code for u in missing)
                self.log(
                    d.id, "tidak_menyampaikan_data", names, "batas waktu dan masa tenggang berakhir"
                )
                self.fx.append(
                    SendNotice(
                        step=d.id,
                        kind="unit_terlambat",
                        to=[self.person(Role.SEKRETARIS)],
                        cc=[self.person(Role.KASUBAG)],
                        data={"units": [u.code for u in missing]},
                    )
                )
            self.finish(d.id, d.lanjut)
        elif timer.kind == TimerKind.MEETING_OVER and self.st.current == d.id:
            if s.status == StepStatus.WAITING:
                s.status = StepStatus.ACTIVE
            t = self.open_task(d.id, d.pelaksana, self.person(d.pelaksana))
            self.fx.append(
                SendNotice(
                    step=d.id,
                    kind="hasil_rapat",
                    to=[t.recipient],
                    task=t.key,
                    data={"rapat": self.st.meeting},
                )
            )
            # The meeting's standard is the meeting itself; give the outcome half of it again.
            remind = (
                s.due
                if s.due and s.due > self.now
                else self.ctx.cal.add(self.now, self.ctx.cal.scale(d.standar, 0.5))
            )
            self.set_timer(remind, TimerKind.REMIND, d.id)
            self.log(d.id, "menanyakan_hasil_rapat", t.recipient, "")

    # ------------------------------------------------------------------ answers

    def reply(self, ev: Reply) -> None:
        t = self.st.task(ev.task)
        if t is None or t.status != TaskStatus.OPEN or self.st.status != CycleStatus.RUNNING:
            self.fx.append(
                SendNotice(
                    step=t.step if t else "",
                    kind="sudah_diproses",
                    to=[ev.sender],
                    data={"subject": ev.subject},
                )
            )
            self.log(
                t.step if t else "", "balasan_tugas_tertutup", ev.sender, "dijawab: sudah diproses"
            )
            return
        d = self.sop.step(t.step)
        if t.purpose == TaskPurpose.FORM:
            self.fx.append(
                SendNotice(step=d.id, kind="lampirkan_formulir", to=[ev.sender], task=t.key)
            )
            self.log(d.id, "balasan_tanpa_formulir", ev.sender, "diminta melampirkan formulir")
            return
        if t.purpose == TaskPurpose.UPLOAD:
            if ev.docx:
                self.new_version(t, ev)
                self.close_task(t)
                if d.jenis == "rute":  # the Kasubag's revision: route again from the first official
                    self.st.steps[d.id].runs += 1  # a new round of this step (cycle show: putaran)
                    self.st.route_pos = 0
                    self.send_for_decision(d, d.rute[0])
                else:
                    self.finish(d.id, d.dokumen or d.next_on_approve)
            else:
                self.clarify(t, ev, "lampirkan berkas DOCX laporan yang sudah diperbaiki")
            return
        if ev.pdf and d.pdf:
            self.register_in(t, ev, "Laporan final bertanda tangan (PDF)", files=[ev.pdf])
            self.fx.append(
                RecordDoc(
                    ref=DocRef(kind="final_report", version=1),
                    file=ev.pdf,
                    message_id=ev.message_id,
                )
            )
            self.st.final = {"source": "signed_pdf", "version": self.st.draft_version}
            self.approve_record(t, ev)
            self.log(d.id, "pdf_bertanda_tangan_diterima", ev.sender, ev.pdf.filename)
            self.close_task(t)
            self.finish(d.id, d.pdf)
            return
        if ev.docx and (d.dokumen or d.jenis == "rute"):
            self.new_version(t, ev)
            self.approve(t, d, ev, via_document=True)
            return
        if ev.decision == DecisionKind.APPROVE:
            self.register_in(t, ev, "Persetujuan")
            self.approve(t, d, ev)
        elif ev.decision == DecisionKind.SCHEDULE and t.allow_schedule:
            self.register_in(t, ev, "Persetujuan dan jadwal rapat")
            self.st.proposed_meeting = self.meeting_from(ev)
            self.log(d.id, "jadwal_rapat", ev.sender, _fmt_meeting(self.st.proposed_meeting))
            self.approve(t, d, ev)
        elif ev.decision == DecisionKind.REVISE and d.revisi:
            self.register_in(t, ev, "Permintaan revisi", disposisi="Kasubag Perencanaan")
            note = ev.note.strip() or "(tanpa catatan)"
            self.st.notes.append(f"{ROLE_NAMES.get(t.role, t.role)}: {note}")
            self.log(d.id, "revisi", ev.sender, note)
            self.close_task(t)
            if d.jenis == "rute":
                self.record_other_files(ev, "lampiran_revisi")
                self.ask_revision(d, Role.KASUBAG, [self.st.notes[-1]])
            else:
                self.record_other_files(ev, "notulen" if d.jenis == "rapat" else "lampiran_revisi")
                self.finish(d.id, d.revisi)
        elif ev.decision == DecisionKind.SCHEDULE:
            self.clarify(
                t, ev, "jadwal rapat hanya dapat ditentukan oleh Camat pada pengajuan konsep"
            )
        elif ev.decision == DecisionKind.REVISE:
            self.clarify(
                t, ev, "pada langkah ini kirim SETUJU, atau lampirkan DOCX yang sudah diperbaiki"
            )
        else:
            self.clarify(t, ev, ev.why)

    def approve(self, t: Task, d: StepDef, ev: Reply, via_document: bool = False) -> None:
        self.approve_record(t, ev)
        self.log(d.id, "disetujui", ev.sender, ev.note.strip())
        self.close_task(t)
        if d.jenis == "rute" and self.st.route_pos < len(d.rute) - 1:
            self.st.route_pos += 1
            self.send_for_decision(d, d.rute[self.st.route_pos])
            return
        if d.jenis == "rute":
            self.st.meeting = self.st.proposed_meeting or self.propose_meeting()
        if d.aksi_setuju:
            ACTIONS[d.aksi_setuju](self, d)
        if d.aksi == "susun_konsep":  # the draft is approved: late forms are no longer taken
            self.close_tasks(self.sop.by_key("kumpul").id, TaskPurpose.FORM)
        self.finish(d.id, (d.dokumen if via_document and d.dokumen else d.next_on_approve))

    def approve_record(self, t: Task, ev: Reply) -> None:
        self.st.approvals.append(
            {
                "step": t.step,
                "role": t.role,
                "email": ev.sender,
                "at": self.now,
                "message_id": ev.message_id,
                "version": self.st.draft_version,
                **({"kode_ttd": True} if ev.kode_ttd else {}),
            }
        )

    def new_version(self, t: Task, ev: Reply) -> None:
        assert ev.docx is not None
        self.st.draft_version += 1
        self.st.draft_source = DraftSource.UPLOADED
        self.st.notes = []
        self.fx.append(
            RecordDoc(
                ref=DocRef(kind="draft_report", version=self.st.draft_version),
                file=ev.docx,
                message_id=ev.message_id,
            )
        )
        self.register_in(t, ev, f"Laporan versi {self.st.draft_version} (DOCX)", files=[ev.docx])
        self.log(
            t.step,
            "versi_baru",
            ev.sender,
            f"versi {self.st.draft_version} dari {ev.docx.filename}",
        )

    def record_other_files(self, ev: Reply, kind: str) -> None:
        for i, f in enumerate(ev.other_files + ([ev.docx] if ev.docx else []), 1):
            self.fx.append(
                RecordDoc(ref=DocRef(kind=kind, version=i), file=f, message_id=ev.message_id)
            )

    def clarify(self, t: Task, ev: Reply, why: str) -> None:
        self.fx.append(
            SendNotice(
                step=t.step,
                kind="mohon_jelas",
                to=[ev.sender],
                task=t.key,
                data={
                    "alasan": why,
                    "jadwal": t.allow_schedule,
                    "selesai": t.allow_selesai,
                    "baris": ev.note[:200],
                    "dipahami": ev.understood if not why else "",
                    "sebab": list(ev.unclear) if not why else [],
                },
            )
        )
        detail = why or "; ".join(ev.unclear) or "tidak memuat kata keputusan"
        self.log(t.step, "balasan_tidak_jelas", ev.sender, detail[:300])

    def register_in(
        self,
        t: Task,
        ev: Reply,
        perihal: str,
        disposisi: str = "",
        files: list[StoredFile] | None = None,
    ) -> None:
        files = (
            files if files is not None else ([f for f in [ev.docx, ev.pdf] if f] + ev.other_files)
        )
        self.fx.append(
            RegisterIn(
                step=t.step,
                pengirim=ev.sender,
                perihal=f"{perihal}: {ev.subject}".strip(": "),
                lampiran=f"{len(files)} berkas" if files else "-",
                message_id=ev.message_id,
                disposisi=disposisi,
                keterangan="; ".join(
                    x
                    for x in [
                        "dengan kode tanda tangan" if ev.kode_ttd else "",
                        ev.note.strip()[:200],
                    ]
                    if x
                ),
                files=files,
            )
        )

    def meeting_from(self, ev: Reply) -> dict:
        h, m = (int(x) for x in (ev.meeting_time or "09:00").replace(".", ":").split(":"))
        d = ev.meeting_date or self.now.date()
        start = self.now.replace(
            year=d.year, month=d.month, day=d.day, hour=h, minute=m, second=0, microsecond=0
        )
        return {
            "start": start,
            "end": start + timedelta(hours=self.ctx.meeting_hours),
            "place": ev.meeting_place or self.ctx.meeting_place,
        }

    # ------------------------------------------------------------------ forms

    def wrong_file(self, ev: WrongFile) -> None:
        """Attachments that cannot be taken: the sender is told which and why (`berkas_salah`),
        and what to send instead; the task stays open."""
        t = self.st.task(ev.task)
        if t is None:
            return
        if ev.too_large:
            self.fx.append(SendNotice(step=t.step, kind="berkas_salah", to=[ev.sender], task=t.key,
                                      data={"errors": list(ev.errors), "saran": SARAN_TOO_LARGE}))
            self.log(t.step, "pesan_melebihi_batas", ev.sender, "; ".join(ev.errors)[:300])
            return
        self.fx.append(SendNotice(step=t.step, kind="berkas_salah", to=[ev.sender], task=t.key,
                                  data={"errors": list(ev.errors) or ["lampiran tidak dikenali"],
                                        "saran": SARAN_NOT_A_FORM}))
        self.log(t.step, "lampiran_salah", t.unit or ev.sender, "; ".join(ev.errors)[:300])

    def form(self, ev: FormIn) -> None:
        t = self.st.task(ev.task)
        if t is None or t.status != TaskStatus.OPEN or t.purpose != TaskPurpose.FORM:
            self.fx.append(SendNotice(step="", kind="pengumpulan_ditutup", to=[ev.sender]))
            self.log(
                t.step if t else "",
                "formulir_terlambat_ditolak",
                ev.sender,
                "pengumpulan data sudah ditutup",
            )
            return
        u = self.st.units[t.unit or ""]
        if not ev.ok:
            u.rejected += 1
            self.fx.append(
                SendNotice(
                    step=t.step,
                    kind="formulir_salah",
                    to=[ev.sender],
                    task=t.key,
                    data={"errors": ev.errors, "warnings": ev.warnings, "file": ev.filename},
                )
            )
            self.log(
                t.step,
                "formulir_ditolak",
                u.code,
                f"{len(ev.errors)} kesalahan: " + "; ".join(ev.errors[:3]),
            )
            return
        late = u.status == UnitStatus.MISSING or self.st.current != t.step
        u.status, u.received = UnitStatus.RECEIVED, self.now
        u.version += 1
        self.fx.append(
            RegisterIn(
                step=t.step,
                pengirim=ev.sender,
                perihal=f"Data kinerja {u.code} {self.period_label()} (versi {u.version})",
                lampiran="1 berkas",
                message_id=ev.message_id,
                disposisi="Kasubag Perencanaan",
                keterangan="; ".join(ev.warnings)[:200],
            )
        )
        self.fx.append(
            SendNotice(
                step=t.step,
                kind="formulir_diterima",
                to=[ev.sender],
                task=t.key,
                data={
                    "warnings": ev.warnings,
                    "catatan": ev.notes,
                    "versi": u.version,
                    "terlambat": late,
                },
            )
        )
        self.log(
            t.step,
            "formulir_diterima",
            u.code,
            f"versi {u.version}"
            + (f", {len(ev.warnings)} peringatan" if ev.warnings else "")
            + (" (terlambat)" if late else ""),
        )
        collect = self.sop.step(t.step)
        if self.st.current == collect.id:
            if all(x.status == UnitStatus.RECEIVED for x in self.st.units.values()):
                self.finish(collect.id, collect.lanjut)
            return
        # Late or corrected data while the draft is still with the Kasubag: recompile and re-send.
        olah = self.sop.step(collect.lanjut)
        if self.st.current == olah.id and self.st.steps[olah.id].status == "active":
            for old in self.st.open_tasks(olah.id):
                self.close_task(old)
            self.do_susun_konsep(olah)
            self.send_for_decision(olah, olah.pelaksana)

    # ------------------------------------------------------------------ bounces

    def bounce(self, ev: Bounce) -> None:
        addr = ev.recipient.lower()
        if addr not in self.st.undeliverable:
            self.st.undeliverable.append(addr)
        self.log(self.st.current, "tidak_terkirim", addr, ev.detail[:200])
        self.fx.append(
            SendNotice(
                step=self.st.current,
                kind="gagal_kirim",
                to=[self.person(Role.KASUBAG)],
                data={"alamat": addr, "detail": ev.detail[:300]},
            )
        )


# The handler tables: each step kind (`jenis`) and each action (`aksi`, `aksi_setuju`) of the SOP
# names its method here, so "where does S6 route the draft" is read, not guessed: S6 is
# `jenis = "rute"`, handled by `_Run.enter_rute` -> `_Run.send_for_decision`.
_Handler = Callable[["_Run", StepDef], None]
ENTER: dict[str, _Handler] = {
    "persetujuan": _Run.enter_persetujuan,
    "otomatis": _Run.enter_otomatis,
    "kumpul": _Run.enter_kumpul,
    "rute": _Run.enter_rute,
    "rapat": _Run.enter_rapat,
    "unggah": _Run.enter_unggah,
}
ACTIONS: dict[str, _Handler] = {
    "buat_format": _Run.do_buat_format,
    "kirim_format": _Run.do_kirim_format,
    "susun_konsep": _Run.do_susun_konsep,
    "kirim_undangan": _Run.do_kirim_undangan,
    "terbitkan_final": _Run.do_terbitkan_final,
    "kirim_pengantar": _Run.do_kirim_pengantar,
    "buat_emonev": _Run.do_buat_emonev,
}


def missing_handlers(sop: Sop | None = None) -> list[str]:
    """The step kinds and actions (of the SOP loader's vocabulary, and of `sop` when given) that
    have no handler here; empty when the engine can run every step. Each message names the kind."""
    steps = sop.steps if sop else ()
    kinds = set(_sop.KINDS) | {s.jenis for s in steps}
    actions = set(_sop.ACTIONS) | {a for s in steps for a in (s.aksi, s.aksi_setuju) if a}
    return [
        f"jenis langkah {k!r} tidak punya penangan di engine.ENTER"
        for k in sorted(kinds - set(ENTER))
    ] + [
        f"aksi {a!r} tidak punya penangan di engine.ACTIONS" for a in sorted(actions - set(ACTIONS))
    ]


_missing = missing_handlers()
if _missing:  # checked when the engine loads: a kind added to sop.py without a handler fails here
    raise RuntimeError("engine: " + "; ".join(_missing))


def copy_state(s: CycleState) -> CycleState:
    """A copy that shares nothing mutable with `s` (datetimes and strings are immutable and shared).
    copy.deepcopy did the same at ~8x the cost, a fifth of the time spent on each inbound message."""
    r = dataclasses.replace
    dc = copy.deepcopy
    return r(
        s,
        steps={k: r(v) for k, v in s.steps.items()},
        tasks=[r(t) for t in s.tasks],
        units={k: r(v) for k, v in s.units.items()},
        timers=[r(t, data=dc(t.data)) for t in s.timers],
        meeting=dc(s.meeting),
        proposed_meeting=dc(s.proposed_meeting),
        approvals=dc(s.approvals),
        notes=list(s.notes),
        final=dc(s.final),
        undeliverable=list(s.undeliverable),
    )


def _fmt_meeting(m: dict | None) -> str:
    if not m:
        return ""
    return f"{m['start'].isoformat()} di {m.get('place', '')}"


# =========================================================================== (de)serialisation

_DATACLASSES = {c.__name__: c for c in (StepState, Task, UnitState, Timer)}


def to_json(obj: Any) -> Any:
    """A JSON-ready copy of the state: datetimes become ISO strings with offset."""
    if isinstance(obj, datetime):
        return {"$dt": obj.isoformat()}
    if isinstance(obj, date):
        return {"$d": obj.isoformat()}
    if hasattr(obj, "__dataclass_fields__"):
        return {k: to_json(getattr(obj, k)) for k in obj.__dataclass_fields__}
    if isinstance(obj, dict):
        return {k: to_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_json(v) for v in obj]
    return obj


def _plain(obj: Any) -> Any:
    if isinstance(obj, dict):
        if "$dt" in obj:
            return datetime.fromisoformat(obj["$dt"])
        if "$d" in obj:
            return date.fromisoformat(obj["$d"])
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_plain(v) for v in obj]
    return obj


def from_json(data: dict) -> CycleState:
    d = _plain(data)
    # Statuses, roles and kinds come back as the StrEnums (equal to the stored strings).
    d["steps"] = {
        k: StepState(**{**v, "status": StepStatus(v["status"])}) for k, v in d["steps"].items()
    }
    d["tasks"] = [
        Task(
            **{
                **t,
                "role": Role(t["role"]),
                "purpose": TaskPurpose(t["purpose"]),
                "status": TaskStatus(t["status"]),
            }
        )
        for t in d["tasks"]
    ]
    d["units"] = {
        k: UnitState(**{**v, "status": UnitStatus(v["status"])}) for k, v in d["units"].items()
    }
    d["timers"] = [Timer(**{**t, "kind": TimerKind(t["kind"])}) for t in d["timers"]]
    d["status"] = CycleStatus(d["status"])
    d["draft_source"] = DraftSource(d.get("draft_source", DraftSource.GENERATED))
    return CycleState(**d)


def next_timer(state: CycleState) -> datetime | None:
    return min((t.at for t in state.timers), default=None)
