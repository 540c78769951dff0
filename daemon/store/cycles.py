"""Cycles (the engine's state in rows), their tasks and timers, and the cycle log.

A cycle's state (daemon/core/state.py) is stored as rows since migration m010: the header
(`cycles.state`, small JSON: steps, sequence, draft, route, meeting, approvals, notes, ...),
one `cycle_units` row per unit, one `tasks` row per task (complete: every field of the engine's
Task), one `timers` row per timer with its `data`. `load_cycle` reads them all (the CLI, the web,
the demo, timers); `load_for_task` reads only what an event about one unit's form task touches
(a partial state); `save_cycle` writes only the rows that differ from the state it was loaded as.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from daemon.core.engine import (
    CycleState,
    SomeUnits,
    Task,
    Timer,
    UnitState,
    from_header,
    header_json,
    next_timer,
    to_json,
)
from daemon.core.roles import Role
from daemon.core.state import ROWS, plain
from daemon.core.statuses import TaskPurpose, TaskStatus, TimerKind, UnitStatus
from daemon.store.base import StoreBase, _iso

Execute = Callable[[str, Any], Any]
HEADER_FIELDS = tuple(k for k in CycleState.__dataclass_fields__ if k not in ROWS)


# ============================================================================ rows <-> state


def _dt(v: str | None) -> datetime | None:
    return datetime.fromisoformat(v) if v else None


def _unit(r: dict) -> UnitState:
    return UnitState(code=r["code"], email=r["email"], status=UnitStatus(r["status"]),
                     version=r["version"], received=_dt(r["received"]), rejected=r["rejected"],
                     task=r["task"])


def _task(r: dict) -> Task:
    return Task(key=r["key"], step=r["step"], role=Role(r["role"]), recipient=r["recipient"],
                purpose=TaskPurpose(r["purpose"]), unit=r["unit"], doc_kind=r["doc_kind"] or "",
                doc_version=r["doc_version"] or 0, allow_schedule=bool(r["allow_schedule"]),
                allow_selesai=bool(r["allow_selesai"]), route_pos=r["route_pos"],
                status=TaskStatus(r["status"]), opened=_dt(r["opened"]), closed=_dt(r["closed"]))


def _timer(r: dict) -> Timer:
    return Timer(at=datetime.fromisoformat(r["at"]), kind=TimerKind(r["kind"]), step=r["step"],
                 data=plain(json.loads(r["data"] or "{}")))


def _seq(t: Task) -> int:
    """A task's place in the cycle's list: its key is `<cycle>#<seq>`."""
    return int(t.key.rsplit("#", 1)[1])


def write_units(x: Execute, cycle: str, units: Iterable[tuple[int | None, UnitState]]) -> None:
    """Upsert units, each with its place in the state's order (None: keep the stored place)."""
    for pos, u in units:
        x("INSERT INTO cycle_units(cycle, code, pos, email, status, version, received, rejected,"
          " task) VALUES(?,?,?,?,?,?,?,?,?) ON CONFLICT(cycle, code) DO UPDATE SET"
          " pos=COALESCE(excluded.pos, cycle_units.pos), email=excluded.email,"
          " status=excluded.status, version=excluded.version, received=excluded.received,"
          " rejected=excluded.rejected, task=excluded.task",
          (cycle, u.code, pos, u.email, u.status, u.version, _iso(u.received), u.rejected,
           u.task))


def write_tasks(x: Execute, cycle: str, tasks: Iterable[Task],
                token_for: Callable[[str], str | None]) -> None:
    """Upsert tasks, every field; a task's token is made once, when its row is new."""
    for t in tasks:
        x("INSERT INTO tasks(key, token, cycle, step, role, recipient, unit, purpose, doc_kind,"
          " doc_version, allow_schedule, allow_selesai, route_pos, status, opened, closed)"
          " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(key) DO UPDATE SET"
          " token=COALESCE(tasks.token, excluded.token), step=excluded.step,"
          " role=excluded.role, recipient=excluded.recipient, unit=excluded.unit,"
          " purpose=excluded.purpose, doc_kind=excluded.doc_kind,"
          " doc_version=excluded.doc_version, allow_schedule=excluded.allow_schedule,"
          " allow_selesai=excluded.allow_selesai, route_pos=excluded.route_pos,"
          " status=excluded.status, opened=excluded.opened, closed=excluded.closed",
          (t.key, token_for(t.key), cycle, t.step, t.role, t.recipient, t.unit, t.purpose,
           t.doc_kind, t.doc_version, int(t.allow_schedule), int(t.allow_selesai), t.route_pos,
           t.status, _iso(t.opened), _iso(t.closed)))


def write_timers(x: Execute, cycle: str, timers: list[Timer]) -> None:
    """The cycle's timers, all of them (a handful per cycle, whatever its number of units)."""
    x("DELETE FROM timers WHERE cycle=?", (cycle,))
    for tm in timers:
        x("INSERT INTO timers(cycle, step, kind, at, data) VALUES(?,?,?,?,?)",
          (cycle, tm.step, tm.kind, tm.at.isoformat(),
           json.dumps(to_json(tm.data), ensure_ascii=False)))


def write_header(x: Execute, st: CycleState) -> None:
    x("INSERT INTO cycles(code, period, year, status, current, started, closed, next_timer,"
      " state) VALUES(?,?,?,?,?,?,?,?,?) ON CONFLICT(code) DO UPDATE SET status=excluded.status,"
      " current=excluded.current, closed=excluded.closed, next_timer=excluded.next_timer,"
      " state=excluded.state",
      (st.code, st.period, int(st.period[:4]), st.status, st.current, _iso(st.started),
       _iso(st.closed), _iso(next_timer(st)),
       json.dumps(header_json(st), ensure_ascii=False)))


def _units_of(st: CycleState) -> dict[str, UnitState]:
    return st.units.loaded() if isinstance(st.units, SomeUnits) else st.units


class CyclesQueries(StoreBase):
    def load_cycle(self, code: str) -> CycleState | None:
        """The whole cycle: header and every row."""
        row = self._q1("SELECT state FROM cycles WHERE code=?", (code,))
        if row is None:
            return None
        units = {r["code"]: _unit(r) for r in
                 self._q("SELECT * FROM cycle_units WHERE cycle=? ORDER BY pos", (code,))}
        tasks = sorted((_task(r) for r in self._q("SELECT * FROM tasks WHERE cycle=?", (code,))),
                       key=_seq)
        return from_header(json.loads(row["state"]), units, tasks, self._timers(code))

    def _timers(self, code: str) -> list[Timer]:
        return [_timer(r) for r in
                self._q("SELECT * FROM timers WHERE cycle=? ORDER BY id", (code,))]

    def load_for_task(self, code: str, key: str) -> CycleState | None:
        """What an event about task `key` of cycle `code` needs. For a unit's form task (a form,
        a wrong file, a reply without the form: the events whose number grows with the office):
        a partial state of the header, the timers, that task, its unit and how many other units
        have each status (one indexed count), so the cost does not grow with the units; the
        engine raises `Incomplete` when it needs more (daemon/core/state.py) and the office then
        loads the whole cycle. Any other task (an official's decision, a dozen per cycle): the
        whole cycle, as `load_cycle`."""
        t = self._q1("SELECT * FROM tasks WHERE key=? AND cycle=?", (key, code))
        if t is None or t["purpose"] != TaskPurpose.FORM or not t["unit"]:
            return self.load_cycle(code)
        row = self._q1("SELECT state FROM cycles WHERE code=?", (code,))
        u = self._q1("SELECT * FROM cycle_units WHERE cycle=? AND code=?", (code, t["unit"]))
        if row is None or u is None:
            return self.load_cycle(code)
        others = {r["status"]: r["n"] for r in self._q(
            "SELECT status, COUNT(*) AS n FROM cycle_units WHERE cycle=? AND code<>?"
            " GROUP BY status", (code, t["unit"]))}
        units = SomeUnits({u["code"]: _unit(u)}, others)
        return from_header(json.loads(row["state"]), units, [_task(t)], self._timers(code))

    def save_cycle(self, st: CycleState, token_for,
                   before: CycleState | None = None) -> None:
        """Write the rows of `st` that differ from `before`, the state as it was loaded in this
        transaction (None: compare with what is stored). A partial state writes only its rows."""
        if before is None:
            before = self.load_cycle(st.code) or CycleState(code=st.code, period=st.period)
            fresh = not self._q1("SELECT 1 FROM cycles WHERE code=?", (st.code,))
        else:
            fresh = False
        x = self._x
        old_units, new_units = _units_of(before), _units_of(st)
        whole = not st.partial
        write_units(x, st.code, ((pos if whole else None, u)
                                 for pos, u in enumerate(new_units.values())
                                 if old_units.get(u.code) != u))
        old_tasks = {t.key: t for t in before.tasks}
        write_tasks(x, st.code, (t for t in st.tasks if old_tasks.get(t.key) != t), token_for)
        timers = fresh or before.timers != st.timers
        if timers:
            write_timers(x, st.code, st.timers)
        if timers or any(getattr(before, f) != getattr(st, f) for f in HEADER_FIELDS):
            write_header(x, st)

    def cycles(self, status: str | None = None) -> list[dict]:
        if status:
            return self._q(
                "SELECT code, period, status, current, started, closed, next_timer FROM cycles"
                " WHERE status=? ORDER BY started",
                (status,),
            )
        return self._q(
            "SELECT code, period, status, current, started, closed, next_timer FROM cycles"
            " ORDER BY started"
        )

    def cycles_due(self, now: datetime) -> list[str]:
        """Running cycles with a timer at or before `now`. Timers are compared as instants."""
        rows = self._q("SELECT DISTINCT cycle, at FROM timers")
        return sorted({r["cycle"] for r in rows if datetime.fromisoformat(r["at"]) <= now})

    def next_timer(self) -> datetime | None:
        rows = self._q("SELECT at FROM timers")
        return min((datetime.fromisoformat(r["at"]) for r in rows), default=None)

    # ------------------------------------------------------------------ tasks

    def task_by_token(self, token: str) -> dict | None:
        return self._q1("SELECT * FROM tasks WHERE token=?", (token,))

    def task(self, key: str) -> dict | None:
        return self._q1("SELECT * FROM tasks WHERE key=?", (key,))

    def task_by_message_ids(self, ids: list[str]) -> dict | None:
        """The task whose request e-mail has one of these Message-IDs (newest reference first)."""
        for mid in reversed(ids):
            row = self._q1(
                "SELECT task FROM outbox WHERE message_id=? AND task IS NOT NULL", (mid,)
            )
            if row:
                return self.task(row["task"])
        return None

    def open_tasks(self, cycle: str | None = None) -> list[dict]:
        if cycle:
            return self._q(
                "SELECT * FROM tasks WHERE status='open' AND cycle=? ORDER BY opened", (cycle,)
            )
        return self._q("SELECT * FROM tasks WHERE status='open' ORDER BY opened")

    def form_task_of_unit(self, cycle: str, unit: str) -> dict | None:
        """The newest form task of `unit` in `cycle` (a form code names cycle and unit)."""
        return self._q1(
            "SELECT * FROM tasks WHERE cycle=? AND unit=? AND purpose='form' ORDER BY opened DESC",
            (cycle, unit),
        )

    def set_task_recipient(self, key: str, recipient: str) -> None:
        self._x("UPDATE tasks SET recipient=? WHERE key=?", (recipient, key))

    def cycle_status(self, code: str) -> str | None:
        row = self._q1("SELECT status FROM cycles WHERE code=?", (code,))
        return row["status"] if row else None

    # ------------------------------------------------------------------ log

    def add_log(
        self, cycle: str, at: datetime, step: str, event: str, who: str = "", detail: str = ""
    ) -> None:
        self._x(
            "INSERT INTO log(cycle, at, step, event, who, detail) VALUES(?,?,?,?,?,?)",
            (cycle, at.isoformat(), step, event, who, detail),
        )

    def cycle_log(self, cycle: str) -> list[dict]:
        return self._q(
            "SELECT at, step, event, who, detail FROM log WHERE cycle=? ORDER BY id", (cycle,)
        )
