"""Time passing (`Tick`): the cycle's timers that fall due, fired in the order they were due.

Reminders at the standard, escalation to the superior at twice it, the units' reminders at half
time and at the deadline, the close of collection after the grace period (S4), and the meeting's
end, when the outcome is asked (S8).
"""

from __future__ import annotations

from daemon.core.effects import SendNotice
from daemon.core.roles import Role
from daemon.core.run import Run
from daemon.core.state import Timer
from daemon.core.statuses import StepStatus, TaskPurpose, TimerKind, UnitStatus


def tick(run: Run) -> None:
    due = sorted((t for t in run.st.timers if t.at <= run.now), key=lambda t: t.at)
    for timer in due:
        if timer in run.st.timers:  # an earlier timer may have cleared it
            run.st.timers.remove(timer)
            fire(run, timer)


def fire(run: Run, timer: Timer) -> None:
    d = run.sop.step(timer.step)
    s = run.st.steps[timer.step]
    if timer.kind == TimerKind.REMIND and s.status == StepStatus.ACTIVE and not s.reminded:
        s.reminded = True
        tasks = run.st.open_tasks(d.id)
        for t in tasks:
            run.fx.append(
                SendNotice(
                    step=d.id,
                    kind="pengingat",
                    to=[t.recipient],
                    task=t.key,
                    data={"batas": s.due},
                )
            )
        run.log(
            d.id, "pengingat", ", ".join(t.recipient for t in tasks), "melewati standar waktu"
        )
    elif timer.kind == TimerKind.ESCALATE and s.status == StepStatus.ACTIVE and not s.escalated:
        s.escalated = True
        waiting = [
            t
            for t in run.st.open_tasks(d.id)
            if not (
                t.purpose == TaskPurpose.FORM
                and run.st.units[t.unit or ""].status == UnitStatus.RECEIVED
            )
        ]
        actor = waiting[0].role if waiting else d.pelaksana
        boss = run.sop.atasan.get(actor)
        if boss and waiting:
            run.fx.append(
                SendNotice(
                    step=d.id,
                    kind="eskalasi",
                    to=[run.person(boss)],
                    cc=[run.person(Role.KASUBAG)],
                    data={
                        "menunggu": [t.recipient for t in waiting],
                        "standar": d.standar_text,
                    },
                )
            )
            run.log(
                d.id,
                "eskalasi",
                run.person(boss),
                f"dua kali standar ({d.standar_text}) terlampaui; menunggu "
                + ", ".join(t.recipient for t in waiting),
            )
    elif timer.kind == TimerKind.REMIND_UNITS and s.status == StepStatus.ACTIVE:
        pending = [u for u in run.st.units.values() if u.status == UnitStatus.PENDING]
        for u in pending:
            run.fx.append(
                SendNotice(
                    step=d.id,
                    kind="pengingat_unit",
                    to=[u.email],
                    task=u.task,
                    data={"tahap": timer.data.get("tahap"), "batas": run.st.deadline},
                )
            )
        if pending:
            run.log(
                d.id,
                "pengingat",
                ", ".join(u.code for u in pending),
                "pengingat "
                + ("separuh waktu" if timer.data.get("tahap") == "setengah" else "batas waktu"),
            )
    elif timer.kind == TimerKind.CLOSE_COLLECTION and s.status == StepStatus.ACTIVE:
        missing = [u for u in run.st.units.values() if u.status == UnitStatus.PENDING]
        for u in missing:
            u.status = UnitStatus.MISSING
        if missing:
            names = ", ".join(u.code for u in missing)
            run.log(
                d.id, "tidak_menyampaikan_data", names, "batas waktu dan masa tenggang berakhir"
            )
            run.fx.append(
                SendNotice(
                    step=d.id,
                    kind="unit_terlambat",
                    to=[run.person(Role.SEKRETARIS)],
                    cc=[run.person(Role.KASUBAG)],
                    data={"units": [u.code for u in missing]},
                )
            )
        run.finish(d.id, d.lanjut)
    elif timer.kind == TimerKind.MEETING_OVER and run.st.current == d.id:
        if s.status == StepStatus.WAITING:
            s.status = StepStatus.ACTIVE
        t = run.open_task(d.id, d.pelaksana, run.person(d.pelaksana))
        run.fx.append(
            SendNotice(
                step=d.id,
                kind="hasil_rapat",
                to=[t.recipient],
                task=t.key,
                data={"rapat": run.st.meeting},
            )
        )
        # The meeting's standard is the meeting itself; give the outcome half of it again.
        remind = (
            s.due
            if s.due and s.due > run.now
            else run.ctx.cal.add(run.now, run.ctx.cal.scale(d.standar, 0.5))
        )
        run.set_timer(remind, TimerKind.REMIND, d.id)
        run.log(d.id, "menanyakan_hasil_rapat", t.recipient, "")
