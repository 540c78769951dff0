"""The state of one cycle: its steps, tasks, units and timers, as the engine reads and changes it.

`CycleState` is one JSON document per cycle in the store (`to_json` / `from_json`); `copy_state`
gives `advance` its own copy, so the state it was given is never modified.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

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


def copy_state(s: CycleState) -> CycleState:
    """A copy that shares nothing mutable with `s` (datetimes and strings are immutable and
    shared). copy.deepcopy did the same at ~8x the cost, a fifth of the time spent on each inbound
    message."""
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
