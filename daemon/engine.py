"""The pure engine: (cycle state, event, now) -> (new state, effects).

It interprets the SOP table (daemon/sop.py) for one cycle. It does no I/O: it never reads the
clock, the disk, the database or the network. The shell (daemon/office.py) loads the state, calls
`advance`, and applies the effects in one transaction: log rows, register entries, documents to
render, letters and notices to queue. So every branch can be tested with a fake clock.

Task keys are made here (`<cycle>#<n>`); the shell derives each task's token from its key.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from .sop import END, Sop, StepDef
from .worktime import Duration, WorkCalendar

# =========================================================================== state


@dataclass
class StepState:
    id: str
    status: str = "waiting"  # waiting | active | done | skipped
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
    role: str  # camat | sekretaris | kasubag_perencanaan | unit
    recipient: str
    purpose: str = "decision"  # decision | form | upload
    unit: str | None = None
    doc_kind: str = ""
    doc_version: int = 0
    allow_schedule: bool = False
    allow_selesai: bool = False
    route_pos: int | None = None
    status: str = "open"
    opened: datetime | None = None
    closed: datetime | None = None


@dataclass
class UnitState:
    code: str
    email: str
    status: str = "pending"  # pending | received | missing
    version: int = 0  # how many valid forms were accepted
    received: datetime | None = None
    rejected: int = 0
    task: str | None = None


@dataclass
class Timer:
    at: datetime
    kind: str
    step: str
    data: dict = field(default_factory=dict)


@dataclass
class CycleState:
    code: str
    period: str
    status: str = "running"  # running | closed
    current: str = ""
    steps: dict[str, StepState] = field(default_factory=dict)
    tasks: list[Task] = field(default_factory=list)
    units: dict[str, UnitState] = field(default_factory=dict)
    timers: list[Timer] = field(default_factory=list)
    seq: int = 0
    draft_version: int = 0
    draft_source: str = "generated"  # generated | uploaded: how the current version was made
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
        return [t for t in self.tasks if t.status == "open" and (step is None or t.step == step)]


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


@dataclass
class StoredFile:
    """An attachment already archived by the shell."""

    path: str
    sha256: str
    filename: str


@dataclass
class Start:
    period: str


@dataclass
class Tick:
    """Time passed: fire the timers that are due."""


@dataclass
class Reply:
    """An authorised answer to an open task (the inbound pipeline checked sender and token)."""

    task: str
    sender: str
    decision: str  # approve | revise | schedule | unclear | none
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
    # quoting the person's words (daemon/reply_grammar.py).
    understood: str = ""
    unclear: list[str] = field(default_factory=list)


@dataclass
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


@dataclass
class Bounce:
    recipient: str
    detail: str = ""
    message_id: str = ""


@dataclass
class DocRef:
    kind: (
        str  # form | draft_report | final_report | cover_letter | invitation | emonev_export | ...
    )
    version: int = 0
    unit: str | None = None


@dataclass
class Log:
    step: str
    event: str
    who: str = ""
    detail: str = ""


@dataclass
class Envelope:
    to: list[str]
    cc: list[str] = field(default_factory=list)
    task: str | None = None
    docs: list[DocRef] = field(default_factory=list)


@dataclass
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
    register: bool = True  # False: a working copy (S5's draft to the Kasubag), not a letter (SPEC §4)


@dataclass
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


@dataclass
class MakeDoc:
    ref: DocRef
    data: dict = field(default_factory=dict)


@dataclass
class RecordDoc:
    ref: DocRef
    file: StoredFile
    message_id: str = ""


@dataclass
class RegisterIn:
    step: str
    pengirim: str
    perihal: str
    lampiran: str
    message_id: str
    disposisi: str = ""
    keterangan: str = ""
    files: list[StoredFile] = field(default_factory=list)


@dataclass
class SaveKinerja:
    """Keep the cycle's accepted data in the data base kinerja."""


@dataclass
class Decision:
    state: CycleState
    effects: list[Any] = field(default_factory=list)


ROLE_NAMES = {
    "camat": "Camat",
    "sekretaris": "Sekretaris Camat",
    "kasubag_perencanaan": "Kasubag Perencanaan",
    "unit": "unit",
}

# =========================================================================== the engine


def new_cycle(period_code: str, cycle_code: str, ctx: Context) -> CycleState:
    st = CycleState(code=cycle_code, period=period_code)
    for s in ctx.sop.steps:
        st.steps[s.id] = StepState(s.id)
    for code, email in ctx.units:
        st.units[code] = UnitState(code, email)
    return st


def advance(state: CycleState, event: Any, now: datetime, ctx: Context) -> Decision:
    """Apply one event to one cycle. The input state is not modified."""
    run = _Run(copy_state(state), now, ctx)
    if isinstance(event, Start):
        run.start()
    elif isinstance(event, Tick):
        run.tick()
    elif isinstance(event, Reply):
        run.reply(event)
    elif isinstance(event, FormIn):
        run.form(event)
    elif isinstance(event, Bounce):
        run.bounce(event)
    else:
        raise TypeError(f"unknown event {event!r}")
    return Decision(run.st, run.fx)


class _Run:
    """One application of one event: mutable scratch state plus the effects produced."""

    def __init__(self, st: CycleState, now: datetime, ctx: Context):
        self.st, self.now, self.ctx = st, now, ctx
        self.sop = ctx.sop
        self.fx: list[Any] = []

    # ------------------------------------------------------------------ helpers

    def log(self, step: str, event: str, who: str = "", detail: str = "") -> None:
        self.fx.append(Log(step, event, who, detail))

    def person(self, role: str) -> str:
        return self.ctx.people[role]

    def open_task(self, step: str, role: str, recipient: str, **kw: Any) -> Task:
        self.st.seq += 1
        t = Task(
            key=f"{self.st.code}#{self.st.seq}",
            step=step,
            role=role,
            recipient=recipient,
            opened=self.now,
            **kw,
        )
        self.st.tasks.append(t)
        return t

    def close_tasks(self, step: str, purpose: str | None = None) -> None:
        for t in self.st.open_tasks(step):
            if purpose is None or t.purpose == purpose:
                t.status, t.closed = "closed", self.now

    def close_task(self, t: Task) -> None:
        t.status, t.closed = "closed", self.now

    def set_timer(self, at: datetime, kind: str, step: str, **data: Any) -> None:
        self.st.timers.append(Timer(at, kind, step, data))

    def clear_timers(self, step: str) -> None:
        self.st.timers = [t for t in self.st.timers if t.step != step]

    def period_label(self) -> str:
        from .model import Period

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
            s.status, s.started, s.finished = "skipped", self.now, self.now
            self.log(d.id, "langkah_dilewati", "", f"{d.uraian} (dilewati: {d.lewati_jika})")
            self.enter(d.next_on_approve)
            return
        s.status, s.started, s.finished = "active", self.now, None
        s.runs += 1
        s.reminded = s.escalated = False
        s.due = self.ctx.cal.add(self.now, d.standar)
        self.log(d.id, "langkah_dimulai", ROLE_NAMES.get(d.pelaksana, d.pelaksana), d.uraian)
        if d.jenis not in ("kumpul", "rapat", "otomatis"):
            self.set_timer(s.due, "ingat", d.id)
            self.set_timer(
                self.ctx.cal.add(self.now, self.ctx.cal.scale(d.standar, 2)), "eskalasi", d.id
            )
        getattr(self, f"enter_{d.jenis}")(d)

    def finish(self, step_id: str, to: str) -> None:
        """Close `step_id` and go to `to` (a later step, an earlier one for a REVISI loop, or END)."""
        s = self.st.steps[step_id]
        if s.started and s.status == "active":
            s.active_minutes += self.ctx.cal.working_minutes(s.started, self.now)
        s.status, s.finished = "done", self.now
        self.clear_timers(step_id)
        for t in self.st.open_tasks(step_id):
            if t.purpose != "form":
                self.close_task(t)
        self.log(step_id, "langkah_selesai", "", self.sop.step(step_id).uraian)
        if to == END:
            self.close_cycle()
            return
        i, j = self.sop.index(step_id), self.sop.index(to)
        if j > i:
            for skipped in self.sop.steps[i + 1 : j]:
                ss = self.st.steps[skipped.id]
                if ss.status == "waiting":
                    ss.status, ss.started, ss.finished = "skipped", self.now, self.now
                    self.log(
                        skipped.id,
                        "langkah_dilewati",
                        "",
                        f"{skipped.uraian} (tidak ada perubahan)",
                    )
        else:
            # A REVISI loop: the steps between go back to waiting; they will run again.
            for back in self.sop.steps[j + 1 : i + 1]:
                self.st.steps[back.id].status = "waiting"
        self.enter(to)

    def close_cycle(self) -> None:
        self.st.status, self.st.closed, self.st.current = "closed", self.now, ""
        self.st.timers = []
        for t in self.st.open_tasks():
            self.close_task(t)
        self.fx.append(SaveKinerja())
        self.fx.append(MakeDoc(DocRef("timeliness_summary", 1)))
        self.fx.append(
            SendNotice(
                "",
                "ringkasan",
                [self.person("camat"), self.person("sekretaris")],
                cc=[self.person("kasubag_perencanaan")],
                docs=[DocRef("timeliness_summary", 1)],
            )
        )
        self.log(
            "", "siklus_ditutup", "", "Seluruh langkah selesai; ringkasan ketepatan waktu dikirim"
        )

    # ------------------------------------------------------------------ entering each kind of step

    def enter_otomatis(self, d: StepDef) -> None:
        if d.aksi:
            getattr(self, f"do_{d.aksi}")(d)
        if d.tinjau_jika and self.ctx.flag(d.tinjau_jika):
            t = self.open_task(d.id, d.pelaksana, self.person(d.pelaksana))
            self.fx.append(
                SendNotice(
                    d.id,
                    "tinjau_format",
                    [t.recipient],
                    task=t.key,
                    docs=[DocRef("form", 1, code) for code in self.st.units],
                )
            )
            self.set_timer(self.st.steps[d.id].due, "ingat", d.id)
            return
        self.finish(d.id, d.lanjut)

    def enter_persetujuan(self, d: StepDef) -> None:
        if d.aksi:
            getattr(self, f"do_{d.aksi}")(d)
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
        if s.due:
            s.due = self.close_of_day(s.due)
        self.st.deadline = s.due
        self.set_timer(
            cal.add(self.now, cal.scale(d.standar, 0.5)), "ingat_unit", d.id, tahap="setengah"
        )
        self.set_timer(s.due, "ingat_unit", d.id, tahap="batas")
        self.set_timer(cal.add(s.due, self.ctx.tenggang_kumpul), "tutup_kumpul", d.id)
        self.set_timer(cal.add(self.now, cal.scale(d.standar, 2)), "eskalasi", d.id)
        if all(u.status == "received" for u in self.st.units.values()):
            self.finish(d.id, d.lanjut)

    def enter_rapat(self, d: StepDef) -> None:
        m = self.st.meeting or {}
        s = self.st.steps[d.id]
        start, end = m.get("start"), m.get("end")
        if not start or not end:  # no meeting set: ask for the outcome straight away
            start = end = self.now
        s.status, s.started, s.due = (
            ("waiting" if start > self.now else "active"),
            start,
            self.ctx.cal.add(start, d.standar),
        )
        self.set_timer(end, "rapat_selesai", d.id)
        self.set_timer(self.ctx.cal.add(start, self.ctx.cal.scale(d.standar, 2)), "eskalasi", d.id)
        if end <= self.now:
            self.fire(Timer(end, "rapat_selesai", d.id))

    def enter_unggah(self, d: StepDef) -> None:
        self.ask_revision(d, d.pelaksana, list(self.st.notes))

    def ask_revision(self, d: StepDef, role: str, notes: list[str]) -> None:
        """Open an upload task and send the current version with the notes to revise it by."""
        t = self.open_task(
            d.id,
            role,
            self.person(role),
            purpose="upload",
            doc_kind="draft_report",
            doc_version=self.st.draft_version,
        )
        self.fx.append(
            SendNotice(
                d.id,
                "minta_revisi",
                [t.recipient],
                task=t.key,
                docs=[DocRef("draft_report", self.st.draft_version)],
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
        docs = [DocRef(kind_of_doc, version)] if kind_of_doc else []
        data: dict[str, Any] = {"versi": version}
        if allow_schedule:
            self.st.proposed_meeting = self.propose_meeting()
            data["usul_rapat"] = self.st.proposed_meeting
        dari = d.dari or "kasubag_perencanaan"
        if d.jenis == "rute" and self.st.route_pos > 0:
            dari = d.rute[self.st.route_pos - 1]
        data["dari"] = dari
        data["kepada"] = role
        if d.surat:
            self.fx.append(
                SendLetter(
                    d.id,
                    # surel: by e-mail only, still registered; salinan: a working copy, unregistered
                    "" if d.surat in ("surel", "salinan") else d.surat,
                    d.tujuan_surat,
                    self.letter_subject(d, version),
                    ROLE_NAMES[role],
                    "nota_dinas" if d.surat in ("nota_dinas", "surel", "salinan") else d.surat,
                    [Envelope([recipient], task=t.key)],
                    docs=docs,
                    data=data,
                    register=d.surat != "salinan",
                )
            )
        else:
            self.fx.append(
                SendNotice(d.id, "minta_keputusan", [recipient], task=t.key, docs=docs, data=data)
            )

    def letter_subject(self, d: StepDef, version: int) -> str:
        label = self.period_label()
        return {
            "perintah": f"Permohonan Perintah Pelaksanaan Pemantauan Kinerja {label}",
            "konsep": f"Konsep Laporan Pemantauan Kinerja {label} (Versi {version})",
            "ajukan_konsep": f"Penyampaian Konsep Laporan Pemantauan Kinerja {label} (Versi {version})",
            "koreksi": f"Permohonan Koreksi Laporan Pemantauan Kinerja {label} (Versi {version})",
            "tanda_tangan": f"Permohonan Penandatanganan Laporan Pemantauan Kinerja {label}",
            "emonev": f"Data Kinerja {label} untuk Entri e-Monev dan e-Project",
        }.get(d.tujuan_surat, f"{d.uraian} {label}")

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
            self.fx.append(MakeDoc(DocRef("form", 1, code)))
        self.log(d.id, "format_dibuat", "", f"{len(self.st.units)} formulir dibuat")

    def do_kirim_format(self, d: StepDef) -> None:
        collect = self.sop.step(d.lanjut)
        deadline = self.close_of_day(self.ctx.cal.add(self.now, collect.standar))
        envelopes = []
        for u in self.st.units.values():
            t = self.open_task(
                collect.id,
                "unit",
                u.email,
                purpose="form",
                unit=u.code,
                doc_kind="form",
                doc_version=1,
            )
            u.task = t.key
            envelopes.append(Envelope([u.email], task=t.key, docs=[DocRef("form", 1, u.code)]))
        self.fx.append(
            SendLetter(
                d.id,
                "permintaan_data",
                "",
                f"Permintaan Data Pemantauan Kinerja {self.period_label()}",
                "Sekretariat dan Kepala Seksi",
                "permintaan_data",
                envelopes,
                data={"batas_waktu": deadline},
            )
        )

    def do_susun_konsep(self, d: StepDef) -> None:
        self.st.draft_version += 1
        self.st.draft_source = "generated"
        self.fx.append(
            MakeDoc(DocRef("draft_report", self.st.draft_version), {"catatan": list(self.st.notes)})
        )
        missing = [u.code for u in self.st.units.values() if u.status != "received"]
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
                d.id,
                "undangan",
                "",
                f"Undangan Rapat Pembahasan Pemantauan Kinerja {self.period_label()}",
                "Pejabat Eselon III dan IV",
                "undangan",
                [Envelope(list(self.ctx.peserta))],
                data={"rapat": self.st.meeting},
            )
        )

    def do_terbitkan_final(self, d: StepDef) -> None:
        self.st.final = {"source": "generated", "version": self.st.draft_version}
        self.fx.append(
            MakeDoc(
                DocRef("final_report", 1),
                {"source_version": self.st.draft_version, "approvals": [a for a in self.st.approvals if a["version"] >= 1],  # of the report, not the order
                 "step": d.id},
            )
        )
        self.log(
            d.id, "laporan_final_diterbitkan", "", f"dari konsep versi {self.st.draft_version}"
        )

    def do_kirim_pengantar(self, d: StepDef) -> None:
        docs = [DocRef("final_report", 1)]
        self.fx.append(
            SendLetter(
                d.id,
                "pengantar",
                "",
                f"Penyampaian Laporan Pemantauan Kinerja {self.period_label()}",
                ROLE_NAMES["kasubag_perencanaan"],
                "pengantar",
                [Envelope([self.person("kasubag_perencanaan")], cc=list(self.ctx.tembusan))],
                docs=docs,
                data={"final": self.st.final},
            )
        )

    def do_buat_emonev(self, d: StepDef) -> None:
        self.fx.append(MakeDoc(DocRef("emonev_export", 1)))

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
        if timer.kind == "ingat" and s.status == "active" and not s.reminded:
            s.reminded = True
            tasks = self.st.open_tasks(d.id)
            for t in tasks:
                self.fx.append(
                    SendNotice(d.id, "pengingat", [t.recipient], task=t.key, data={"batas": s.due})
                )
            self.log(
                d.id, "pengingat", ", ".join(t.recipient for t in tasks), "melewati standar waktu"
            )
        elif timer.kind == "eskalasi" and s.status == "active" and not s.escalated:
            s.escalated = True
            waiting = [
                t
                for t in self.st.open_tasks(d.id)
                if not (t.purpose == "form" and self.st.units[t.unit].status == "received")
            ]
            actor = waiting[0].role if waiting else d.pelaksana
            boss = self.sop.atasan.get(actor)
            if boss and waiting:
                self.fx.append(
                    SendNotice(
                        d.id,
                        "eskalasi",
                        [self.person(boss)],
                        cc=[self.person("kasubag_perencanaan")],
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
        elif timer.kind == "ingat_unit" and s.status == "active":
            pending = [u for u in self.st.units.values() if u.status == "pending"]
            for u in pending:
                self.fx.append(
                    SendNotice(
                        d.id,
                        "pengingat_unit",
                        [u.email],
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
        elif timer.kind == "tutup_kumpul" and s.status == "active":
            missing = [u for u in self.st.units.values() if u.status == "pending"]
            for u in missing:
                u.status = "missing"
            if missing:
                names = ", ".join(u.code for u in missing)
                self.log(
                    d.id, "tidak_menyampaikan_data", names, "batas waktu dan masa tenggang berakhir"
                )
                self.fx.append(
                    SendNotice(
                        d.id,
                        "unit_terlambat",
                        [self.person("sekretaris")],
                        cc=[self.person("kasubag_perencanaan")],
                        data={"units": [u.code for u in missing]},
                    )
                )
            self.finish(d.id, d.lanjut)
        elif timer.kind == "rapat_selesai" and self.st.current == d.id:
            if s.status == "waiting":
                s.status = "active"
            t = self.open_task(d.id, d.pelaksana, self.person(d.pelaksana))
            self.fx.append(
                SendNotice(
                    d.id, "hasil_rapat", [t.recipient], task=t.key, data={"rapat": self.st.meeting}
                )
            )
            # The meeting's standard is the meeting itself; give the outcome half of it again.
            remind = s.due if s.due and s.due > self.now else self.ctx.cal.add(self.now, self.ctx.cal.scale(d.standar, 0.5))
            self.set_timer(remind, "ingat", d.id)
            self.log(d.id, "menanyakan_hasil_rapat", t.recipient, "")

    # ------------------------------------------------------------------ answers

    def reply(self, ev: Reply) -> None:
        t = self.st.task(ev.task)
        if t is None or t.status != "open" or self.st.status != "running":
            self.fx.append(
                SendNotice(
                    t.step if t else "", "sudah_diproses", [ev.sender], data={"subject": ev.subject}
                )
            )
            self.log(
                t.step if t else "", "balasan_tugas_tertutup", ev.sender, "dijawab: sudah diproses"
            )
            return
        d = self.sop.step(t.step)
        if t.purpose == "form":
            self.fx.append(SendNotice(d.id, "lampirkan_formulir", [ev.sender], task=t.key))
            self.log(d.id, "balasan_tanpa_formulir", ev.sender, "diminta melampirkan formulir")
            return
        if t.purpose == "upload":
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
            self.fx.append(RecordDoc(DocRef("final_report", 1), ev.pdf, ev.message_id))
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
        if ev.decision == "approve":
            self.register_in(t, ev, "Persetujuan")
            self.approve(t, d, ev)
        elif ev.decision == "schedule" and t.allow_schedule:
            self.register_in(t, ev, "Persetujuan dan jadwal rapat")
            self.st.proposed_meeting = self.meeting_from(ev)
            self.log(d.id, "jadwal_rapat", ev.sender, _fmt_meeting(self.st.proposed_meeting))
            self.approve(t, d, ev)
        elif ev.decision == "revise" and d.revisi:
            self.register_in(t, ev, "Permintaan revisi", disposisi="Kasubag Perencanaan")
            note = ev.note.strip() or "(tanpa catatan)"
            self.st.notes.append(f"{ROLE_NAMES.get(t.role, t.role)}: {note}")
            self.log(d.id, "revisi", ev.sender, note)
            self.close_task(t)
            if d.jenis == "rute":
                self.record_other_files(ev, "lampiran_revisi")
                self.ask_revision(d, "kasubag_perencanaan", [self.st.notes[-1]])
            else:
                self.record_other_files(ev, "notulen" if d.jenis == "rapat" else "lampiran_revisi")
                self.finish(d.id, d.revisi)
        elif ev.decision == "schedule":
            self.clarify(
                t, ev, "jadwal rapat hanya dapat ditentukan oleh Camat pada pengajuan konsep"
            )
        elif ev.decision == "revise":
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
            getattr(self, f"do_{d.aksi_setuju}")(d)
        if d.aksi == "susun_konsep":  # the draft is approved: late forms are no longer taken
            self.close_tasks(self.sop.by_key("kumpul").id, "form")
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
        self.st.draft_source = "uploaded"
        self.st.notes = []
        self.fx.append(
            RecordDoc(DocRef("draft_report", self.st.draft_version), ev.docx, ev.message_id)
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
            self.fx.append(RecordDoc(DocRef(kind, i), f, ev.message_id))

    def clarify(self, t: Task, ev: Reply, why: str) -> None:
        self.fx.append(
            SendNotice(
                t.step,
                "mohon_jelas",
                [ev.sender],
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
                t.step,
                ev.sender,
                f"{perihal}: {ev.subject}".strip(": "),
                f"{len(files)} berkas" if files else "-",
                ev.message_id,
                disposisi=disposisi,
                keterangan="; ".join(
                    x for x in ["dengan kode tanda tangan" if ev.kode_ttd else "", ev.note.strip()[:200]] if x
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

    def form(self, ev: FormIn) -> None:
        t = self.st.task(ev.task)
        if t is None or t.status != "open" or t.purpose != "form":
            self.fx.append(SendNotice("", "pengumpulan_ditutup", [ev.sender]))
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
                    t.step,
                    "formulir_salah",
                    [ev.sender],
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
        late = u.status == "missing" or self.st.current != t.step
        u.status, u.received = "received", self.now
        u.version += 1
        self.fx.append(
            RegisterIn(
                t.step,
                ev.sender,
                f"Data kinerja {u.code} {self.period_label()} (versi {u.version})",
                "1 berkas",
                ev.message_id,
                disposisi="Kasubag Perencanaan",
                keterangan="; ".join(ev.warnings)[:200],
            )
        )
        self.fx.append(
            SendNotice(
                t.step,
                "formulir_diterima",
                [ev.sender],
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
            if all(x.status == "received" for x in self.st.units.values()):
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
                self.st.current,
                "gagal_kirim",
                [self.person("kasubag_perencanaan")],
                data={"alamat": addr, "detail": ev.detail[:300]},
            )
        )


def copy_state(s: CycleState) -> CycleState:
    """A copy that shares nothing mutable with `s` (datetimes and strings are immutable and shared).
    copy.deepcopy did the same at ~8x the cost, a fifth of the time spent on each inbound message."""
    r = dataclasses.replace
    dc = copy.deepcopy
    return r(s, steps={k: r(v) for k, v in s.steps.items()}, tasks=[r(t) for t in s.tasks],
             units={k: r(v) for k, v in s.units.items()},
             timers=[r(t, data=dc(t.data)) for t in s.timers], meeting=dc(s.meeting),
             proposed_meeting=dc(s.proposed_meeting), approvals=dc(s.approvals),
             notes=list(s.notes), final=dc(s.final), undeliverable=list(s.undeliverable))


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
    d["steps"] = {k: StepState(**v) for k, v in d["steps"].items()}
    d["tasks"] = [Task(**t) for t in d["tasks"]]
    d["units"] = {k: UnitState(**v) for k, v in d["units"].items()}
    d["timers"] = [Timer(**t) for t in d["timers"]]
    return CycleState(**d)


def next_timer(state: CycleState) -> datetime | None:
    return min((t.at for t in state.timers), default=None)
