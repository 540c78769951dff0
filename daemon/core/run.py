"""One application of one event to one cycle: the `Run` every handler works on.

`Run` holds the cycle's copied state, the event's time, the office's `Context` and the effects
produced so far, with the helpers every handler uses (log, open and close tasks, set timers) and
the step lifecycle: `enter` a step (through the `ENTER` table, by the step's `jenis`), `finish` it
and go where the SOP leads, close the cycle. The handler tables are given to each `Run` by
daemon/core/engine.py, which owns them; this module imports no handler, so there is no cycle.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from daemon.core.effects import DocRef, Effect, Log, MakeDoc, SaveKinerja, SendNotice
from daemon.core.roles import ROLE_NAMES, Role
from daemon.core.sop import END, Sop, StepDef
from daemon.core.state import CycleState, Task, Timer
from daemon.core.statuses import CycleStatus, StepStatus, TaskPurpose, TaskStatus, TimerKind
from daemon.core.worktime import Duration, WorkCalendar


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
    operators: list[str] = field(default_factory=list)  # `[operator] email`; else the Kasubag

    def flag(self, name: str) -> bool:
        return bool(getattr(self, name, False)) if name else False


Handler = Callable[["Run", StepDef], None]
"""A step kind's or an action's handler (engine.ENTER, engine.ACTIONS)."""


class Run:
    """One application of one event: mutable scratch state plus the effects produced."""

    def __init__(
        self,
        st: CycleState,
        now: datetime,
        ctx: Context,
        enter: Mapping[str, Handler],
        actions: Mapping[str, Handler],
    ):
        self.st, self.now, self.ctx = st, now, ctx
        self.sop = ctx.sop
        self.fx: list[Effect] = []
        self._enter, self._actions = enter, actions

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

    def act(self, aksi: str, d: StepDef) -> None:
        """Run the SOP action `aksi` (`aksi` or `aksi_setuju` of step `d`)."""
        self._actions[aksi](self, d)

    def letter_subject(self, d: StepDef, version: int = 1) -> str:
        """The step's letter subject: its `perihal` in sop.toml (else DEFAULT_PERIHAL,
        daemon/core/sop.py)."""
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

    def close_of_day(self, due: datetime) -> datetime:
        """The units' deadline is the close of the office day on which it falls due (SPEC §6.2):
        "pukul 16.00 WIB" Monday to Thursday, Friday's close as configured."""
        hours = self.ctx.cal.office_hours(self.ctx.cal.local(due).date())
        return max(due, hours[1]) if hours else due

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
        self._enter[d.jenis](self, d)

    def finish(self, step_id: str, to: str) -> None:
        """Close `step_id` and go to `to` (a later step, an earlier one for a REVISI loop, or
        END)."""
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

