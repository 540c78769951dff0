"""The pure engine: (cycle state, event, now) -> (new state, effects).

It interprets the SOP table (daemon/core/sop.py) for one cycle. It does no I/O: it never reads the
clock, the disk, the database or the network. The shell (daemon/shell/office.py) loads the state,
calls `advance`, and applies the effects in one transaction: log rows, register entries, documents
to render, letters and notices to queue. So every branch can be tested with a fake clock.

Events (`Event`) and effects (`Effect`) are closed unions of frozen keyword-only dataclasses;
`advance` dispatches events with a `match` ending in `assert_never`, and each SOP step kind
(`jenis`) and action (`aksi`) has its handler in an explicit table (`ENTER`, `ACTIONS`), checked
against the SOP's kinds when this module loads. Statuses are the StrEnums of
daemon/core/statuses.py.

Task keys are made by `Run.open_task` (`<cycle>#<n>`); the shell derives each task's token from
its key.

The engine is this module and the ones it dispatches to, one concern each:
  state.py       the cycle's state (steps, tasks, units, timers), its copy and JSON form
  events.py      `Event` and its members;  effects.py  `Effect`, its members, the loop brake
  run.py         `Run` (one event's scratch state, helpers, enter/finish a step) and `Context`
  step_kinds.py  entering each kind of step (`ENTER`), and `send_for_decision`
  actions.py     the SOP's actions (`ACTIONS`)
  timers.py      `Tick`: reminders, escalation, the close of collection, the meeting's end
  answers.py     `Reply`: approve, revise, schedule, a new draft version, the signed PDF
  forms.py       `FormIn` and `WrongFile`: the units' forms and attachments not taken

This module also re-exports the names the shell, the store and the tests have always imported
from it (`from daemon.core import engine as E`, then `E.CycleState`, `E.SendNotice`, ...), so
callers need not know which of those modules holds a name; `__all__` lists them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import assert_never

from daemon.core import sop as _sop
from daemon.core.actions import (
    do_buat_emonev,
    do_buat_format,
    do_kirim_format,
    do_kirim_pengantar,
    do_kirim_undangan,
    do_susun_konsep,
    do_terbitkan_final,
)
from daemon.core.answers import reply
from daemon.core.effects import (
    BRAKE_IGNORES,
    BRAKED,
    PESERTA_RAPAT,
    DocRef,
    Effect,
    Envelope,
    Log,
    MakeDoc,
    RecordDoc,
    RegisterIn,
    SaveKinerja,
    SendLetter,
    SendNotice,
    brake_key,
    unit_head,
)
from daemon.core.events import (
    Bounce,
    Event,
    FormIn,
    Reply,
    Start,
    StoredFile,
    Tick,
    WrongFile,
)
from daemon.core.forms import SARAN_NOT_A_FORM, SARAN_TOO_LARGE, form, wrong_file
from daemon.core.roles import ROLE_NAMES, Role
from daemon.core.run import Context, Handler, Run
from daemon.core.sop import Sop
from daemon.core.state import (
    CycleState,
    Incomplete,
    SomeUnits,
    StepState,
    Task,
    Timer,
    UnitState,
    copy_state,
    from_header,
    from_json,
    header_json,
    next_timer,
    to_json,
)
from daemon.core.step_kinds import (
    enter_kumpul,
    enter_otomatis,
    enter_persetujuan,
    enter_rapat,
    enter_rute,
    enter_unggah,
)
from daemon.core.timers import tick

__all__ = [
    # this module
    "ACTIONS",
    "ENTER",
    "Decision",
    "advance",
    "missing_handlers",
    "new_cycle",
    # re-exported: state.py
    "CycleState",
    "StepState",
    "Task",
    "Timer",
    "UnitState",
    "copy_state",
    "Incomplete",
    "SomeUnits",
    "from_header",
    "header_json",
    "from_json",
    "next_timer",
    "to_json",
    # re-exported: events.py
    "Bounce",
    "Event",
    "FormIn",
    "Reply",
    "Start",
    "StoredFile",
    "Tick",
    "WrongFile",
    # re-exported: effects.py
    "BRAKED",
    "PESERTA_RAPAT",
    "BRAKE_IGNORES",
    "DocRef",
    "Effect",
    "Envelope",
    "Log",
    "MakeDoc",
    "RecordDoc",
    "RegisterIn",
    "SaveKinerja",
    "SendLetter",
    "SendNotice",
    "brake_key",
    "unit_head",
    # re-exported: run.py, forms.py, roles.py (the shell reads role names from here too)
    "Context",
    "SARAN_NOT_A_FORM",
    "SARAN_TOO_LARGE",
    "ROLE_NAMES",
    "Role",
]


@dataclass(frozen=True, kw_only=True)
class Decision:
    state: CycleState
    effects: list[Effect] = field(default_factory=list)


def new_cycle(period_code: str, cycle_code: str, ctx: Context) -> CycleState:
    st = CycleState(code=cycle_code, period=period_code)
    for s in ctx.sop.steps:
        st.steps[s.id] = StepState(id=s.id)
    for code, email in ctx.units:
        st.units[code] = UnitState(code=code, email=email)
    return st


def advance(state: CycleState, event: Event, now: datetime, ctx: Context) -> Decision:
    """Apply one event to one cycle. The input state is not modified.

    `state` may be partial (daemon/core/state.py): then a decision that needs rows it does not
    hold raises `Incomplete`, and the caller asks again with the whole cycle."""
    run = Run(copy_state(state), now, ctx, enter=ENTER, actions=ACTIONS)
    match event:
        case Start():
            run.start()
        case Tick():
            tick(run)
        case Reply():
            reply(run, event)
        case FormIn():
            form(run, event)
        case WrongFile():
            wrong_file(run, event)
        case Bounce():
            bounce(run, event)
        case _:
            assert_never(event)
    return Decision(state=run.st, effects=run.fx)


def bounce(run: Run, ev: Bounce) -> None:
    """A letter or notice that could not be delivered: the address is remembered and the
    operator told (`gagal_kirim`): `[operator] email` when the office set one, else the Kasubag."""
    addr = ev.recipient.lower()
    if addr not in run.st.undeliverable:
        run.st.undeliverable.append(addr)
    run.log(run.st.current, "tidak_terkirim", addr, ev.detail[:200])
    run.fx.append(
        SendNotice(
            step=run.st.current,
            kind="gagal_kirim",
            to=list(run.ctx.operators) or [run.person(Role.KASUBAG)],
            data={"alamat": addr, "detail": ev.detail[:300]},
        )
    )


# The handler tables: each step kind (`jenis`) and each action (`aksi`, `aksi_setuju`) of the SOP
# names its function here, so "where does S6 route the draft" is read, not guessed: S6 is
# `jenis = "rute"`, handled by `step_kinds.enter_rute` -> `step_kinds.send_for_decision`.
# A `Run` is given both tables (it looks a step's kind up in `ENTER` when entering it).
ENTER: dict[str, Handler] = {
    "persetujuan": enter_persetujuan,
    "otomatis": enter_otomatis,
    "kumpul": enter_kumpul,
    "rute": enter_rute,
    "rapat": enter_rapat,
    "unggah": enter_unggah,
}
ACTIONS: dict[str, Handler] = {
    "buat_format": do_buat_format,
    "kirim_format": do_kirim_format,
    "susun_konsep": do_susun_konsep,
    "kirim_undangan": do_kirim_undangan,
    "terbitkan_final": do_terbitkan_final,
    "kirim_pengantar": do_kirim_pengantar,
    "buat_emonev": do_buat_emonev,
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

