"""Cycles (engine state as JSON), their tasks and timers, and the cycle log."""

from __future__ import annotations

import json
from datetime import datetime

from daemon.core.engine import CycleState, from_json, to_json
from daemon.store.base import StoreBase, _iso


class CyclesQueries(StoreBase):
    def load_cycle(self, code: str) -> CycleState | None:
        row = self._q1("SELECT state FROM cycles WHERE code=?", (code,))
        return from_json(json.loads(row["state"])) if row else None

    def save_cycle(self, st: CycleState, token_for) -> None:
        from daemon.core.engine import next_timer

        year = int(st.period[:4])
        self._x(
            "INSERT INTO cycles(code, period, year, status, current, started, closed, next_timer,"
            " state)"
            " VALUES(?,?,?,?,?,?,?,?,?) ON CONFLICT(code) DO UPDATE SET status=excluded.status,"
            " current=excluded.current, closed=excluded.closed, next_timer=excluded.next_timer,"
            " state=excluded.state",
            (
                st.code,
                st.period,
                year,
                st.status,
                st.current,
                _iso(st.started),
                _iso(st.closed),
                _iso(next_timer(st)),
                json.dumps(to_json(st), ensure_ascii=False),
            ),
        )
        # Only new or changed tasks are written: a kabupaten-sized cycle holds hundreds of tasks and
        # rewriting them all (with a token HMAC each) cost more than the rest of the save.
        stored = {r["key"]: (r["status"], r["closed"]) for r in
                  self._q("SELECT key, status, closed FROM tasks WHERE cycle=?", (st.code,))}
        for t in st.tasks:
            if stored.get(t.key) == (t.status, _iso(t.closed)):
                continue
            self._x(
                "INSERT INTO tasks(key, token, cycle, step, role, recipient, unit, purpose,"
                " doc_kind,"
                " doc_version, status, opened, closed) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT(key) DO UPDATE SET status=excluded.status, closed=excluded.closed",
                (
                    t.key,
                    token_for(t.key),
                    st.code,
                    t.step,
                    t.role,
                    t.recipient,
                    t.unit,
                    t.purpose,
                    t.doc_kind,
                    t.doc_version,
                    t.status,
                    _iso(t.opened),
                    _iso(t.closed),
                ),
            )
        self._x("DELETE FROM timers WHERE cycle=?", (st.code,))
        for tm in st.timers:
            self._x(
                "INSERT INTO timers(cycle, step, kind, at) VALUES(?,?,?,?)",
                (st.code, tm.step, tm.kind, tm.at.isoformat()),
            )

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
