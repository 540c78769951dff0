"""The state of one cycle: its steps, tasks, units and timers, as the engine reads and changes it.

The store keeps it in rows (daemon/store/cycles.py): the cycle's header (`header_json`: steps,
sequence, draft version, route, deadline, meeting, approvals, notes, ...) as one small JSON
document, and each unit, task and timer as a row of its own, read and written one by one.
`from_json` still reads the whole-document form the store used before migration m010.

`copy_state` gives `advance` its own copy, so the state it was given is never modified.

**A partial state.** An event about one unit's form task (a form, a wrong file, a reply without
the form) need not read the whole office: the shell gives the engine the header, the timers, the
event's task and its unit, and how many of the other units have each status (`SomeUnits`). The
engine decides from that value alone; whatever would need the rows that were not loaded (every
unit, every open task, another task) raises `Incomplete` instead of answering wrongly, and the
shell then loads the whole cycle and asks again (daemon/shell/office.py `OfficeApp.advance`).
The common case (a form while other units are still pending) stays O(1) in the number of units;
the rare ones (the last unit's form closing S4, a late form recompiling the draft) pay for the
whole cycle once, as before.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NoReturn

from daemon.core.roles import Role
from daemon.core.statuses import (
    CycleStatus,
    DraftSource,
    StepStatus,
    TaskPurpose,
    TaskStatus,
    TimerKind,
    UnitStatus,
)


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


class Incomplete(Exception):
    """A partial state (see the module docstring) was asked for rows it does not hold."""


class SomeUnits(dict[str, UnitState]):
    """The units of a partial state: the loaded rows (read and changed as a dict), plus `others`,
    how many of the units not loaded have each status. Iterating or counting the units, or
    reading one that was not loaded, raises `Incomplete`; `CycleState.all_units` answers from the
    rows and the counts."""

    def __init__(self, rows: dict[str, UnitState], others: dict[str, int]):
        super().__init__(rows)
        self.others = dict(others)

    def loaded(self) -> dict[str, UnitState]:
        return dict(dict.items(self))

    def _whole(self, what: str = "units") -> Incomplete:
        return Incomplete(f"the partial state of a cycle has no {what}")

    def __iter__(self) -> NoReturn:
        raise self._whole()

    def __len__(self) -> NoReturn:
        raise self._whole()

    def keys(self) -> NoReturn:
        raise self._whole()

    def values(self) -> NoReturn:
        raise self._whole()

    def items(self) -> NoReturn:
        raise self._whole()

    def __contains__(self, key: object) -> bool:
        if dict.__contains__(self, key):
            return True
        raise self._whole(f"unit {key!r}")

    def __getitem__(self, key: str) -> UnitState:
        if dict.__contains__(self, key):
            return dict.__getitem__(self, key)
        raise self._whole(f"unit {key!r}")

    def get(self, key: str, default: Any = None) -> Any:
        return self[key]


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

    @property
    def partial(self) -> bool:
        """Only the rows one event touches are here (see the module docstring)."""
        return isinstance(self.units, SomeUnits)

    def task(self, key: str) -> Task | None:
        for t in self.tasks:
            if t.key == key:
                return t
        if self.partial:
            raise Incomplete(f"the partial state of a cycle has no task {key!r}")
        return None

    def open_tasks(self, step: str | None = None) -> list[Task]:
        if self.partial:
            raise Incomplete("the partial state of a cycle has no list of open tasks")
        return [
            t
            for t in self.tasks
            if t.status == TaskStatus.OPEN and (step is None or t.step == step)
        ]

    def all_units(self, status: UnitStatus) -> bool:
        """Whether every unit has `status`; a partial state answers from its loaded rows and the
        other units' counts."""
        if isinstance(self.units, SomeUnits):
            return all(u.status == status for u in self.units.loaded().values()) and not any(
                n for s, n in self.units.others.items() if s != status
            )
        return all(u.status == status for u in self.units.values())


def copy_state(s: CycleState) -> CycleState:
    """A copy that shares nothing mutable with `s` (datetimes and strings are immutable and
    shared). copy.deepcopy did the same at ~8x the cost, a fifth of the time spent on each inbound
    message."""
    r = dataclasses.replace
    dc = copy.deepcopy
    units: dict[str, UnitState]
    if isinstance(s.units, SomeUnits):
        units = SomeUnits({k: r(v) for k, v in s.units.loaded().items()}, s.units.others)
    else:
        units = {k: r(v) for k, v in s.units.items()}
    return r(
        s,
        steps={k: r(v) for k, v in s.steps.items()},
        tasks=[r(t) for t in s.tasks],
        units=units,
        timers=[r(t, data=dc(t.data)) for t in s.timers],
        meeting=dc(s.meeting),
        proposed_meeting=dc(s.proposed_meeting),
        approvals=dc(s.approvals),
        notes=list(s.notes),
        final=dc(s.final),
        undeliverable=list(s.undeliverable),
    )



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


# The parts of the state that are rows of their own in the store, not part of the header.
ROWS = ("tasks", "units", "timers")


def header_json(st: CycleState) -> dict:
    """The cycle's header as JSON: every field but the rows (tasks, units, timers)."""
    return {k: to_json(getattr(st, k)) for k in st.__dataclass_fields__ if k not in ROWS}


def from_header(
    data: dict, units: dict[str, UnitState], tasks: list[Task], timers: list[Timer]
) -> CycleState:
    """A state from its header (`header_json`) and its rows, as the store read them."""
    return _build(_plain(data), units, tasks, timers)


def _build(
    d: dict, units: dict[str, UnitState], tasks: list[Task], timers: list[Timer]
) -> CycleState:
    d = {k: v for k, v in d.items() if k not in ROWS}
    d["steps"] = {
        k: StepState(**{**v, "status": StepStatus(v["status"])}) for k, v in d["steps"].items()
    }
    d["status"] = CycleStatus(d["status"])
    d["draft_source"] = DraftSource(d.get("draft_source", DraftSource.GENERATED))
    return CycleState(**d, units=units, tasks=tasks, timers=timers)


def plain(obj: Any) -> Any:
    """A value of `to_json`'s form back as Python (datetimes and dates restored)."""
    return _plain(obj)


def from_json(data: dict) -> CycleState:
    """A state from its whole-document form (the store's before migration m010)."""
    d = _plain(data)
    # Statuses, roles and kinds come back as the StrEnums (equal to the stored strings).
    tasks = [
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
    units = {
        k: UnitState(**{**v, "status": UnitStatus(v["status"])}) for k, v in d["units"].items()
    }
    timers = [Timer(**{**t, "kind": TimerKind(t["kind"])}) for t in d["timers"]]
    return _build(d, units, tasks, timers)


def next_timer(state: CycleState) -> datetime | None:
    return min((t.at for t in state.timers), default=None)
