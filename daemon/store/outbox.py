"""The outbox: one row per e-mail, its Message-ID fixed when queued."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from daemon.store.base import StoreBase


class OutboxQueries(StoreBase):
    def enqueue(
        self,
        *,
        message_id: str,
        cycle: str,
        step: str,
        kind: str,
        task: str | None,
        recipients: list[str],
        subject: str,
        path: str,
        now: datetime,
    ) -> None:
        self._x(
            "INSERT INTO outbox(message_id, cycle, step, kind, task, recipients, subject, path,"
            " status, attempts, next_attempt, queued) VALUES(?,?,?,?,?,?,?,?, 'antri', 0, ?, ?)",
            (
                message_id,
                cycle,
                step,
                kind,
                task,
                json.dumps(recipients),
                subject,
                path,
                now.isoformat(),
                now.isoformat(),
            ),
        )

    def outbox_due(self, now: datetime) -> list[dict]:
        rows = self._q("SELECT * FROM outbox WHERE status IN ('antri','mengirim') ORDER BY id")
        return [r for r in rows if datetime.fromisoformat(r["next_attempt"]) <= now]

    def outbox(self, status: str | None = None) -> list[dict]:
        if status:
            return self._q("SELECT * FROM outbox WHERE status=? ORDER BY id", (status,))
        return self._q("SELECT * FROM outbox ORDER BY id")

    def update_outbox(self, id: int, **fields: Any) -> None:
        cols = ", ".join(f"{k}=?" for k in fields)
        self._x(f"UPDATE outbox SET {cols} WHERE id=?", (*fields.values(), id))

    def outbox_rows(self, include_sent: bool = False) -> list[dict]:
        """What `pantau outbox` lists: letters not yet delivered (all of them with include_sent)."""
        if include_sent:
            return self._q("SELECT * FROM outbox ORDER BY id")
        return self._q(
            "SELECT * FROM outbox WHERE status IN ('antri','mengirim','gagal') ORDER BY id"
        )

    def outbox_row(self, id: int) -> dict | None:
        return self._q1("SELECT * FROM outbox WHERE id=?", (id,))

    def outbox_by_message_id(self, message_id: str) -> dict | None:
        return self._q1("SELECT * FROM outbox WHERE message_id=?", (message_id,))

    def cycles_with_untried_letters(self) -> set[str]:
        """Cycles with a letter queued but never yet tried: their timers wait for it."""
        return {
            r["cycle"]
            for r in self._q(
                "SELECT DISTINCT cycle FROM outbox WHERE status='antri' AND attempts=0"
                " AND kind LIKE 'surat:%'"
            )
        }

    def next_outbox_attempt(self) -> str | None:
        """The earliest next_attempt of a letter still to send (ISO text), or None."""
        row = self._q1(
            "SELECT MIN(next_attempt) AS t FROM outbox WHERE status IN ('antri','mengirim')"
        )
        return row["t"] if row and row["t"] else None

    def tasks_with_unsent_letters(self) -> set[str]:
        """Tasks whose letter has not gone out yet (queued, sending or failed)."""
        return {
            r["task"]
            for r in self._q(
                "SELECT task FROM outbox WHERE task IS NOT NULL"
                " AND status IN ('antri','mengirim','gagal')"
            )
        }

    def outbox_counts(self) -> dict[str, int]:
        """{"queued": letters waiting or sending, "failed": letters that failed}."""
        row = self._q1("SELECT SUM(status IN ('antri','mengirim')) AS queued,"
                       " SUM(status='gagal') AS failed FROM outbox")
        return {
            "queued": int((row or {}).get("queued") or 0),
            "failed": int((row or {}).get("failed") or 0),
        }

    def failed_letters(self) -> list[dict]:
        return self._q(
            "SELECT id, subject, recipients, error FROM outbox WHERE status='gagal' ORDER BY id"
        )

    def task_notice_with_subject(self, task: str, subject: str) -> bool:
        """Whether one of Pantau's notices on `task` carried this subject."""
        return bool(
            self._q1(
                "SELECT 1 FROM outbox WHERE task=? AND kind LIKE 'pemberitahuan:%' AND subject=?",
                (task, subject),
            )
        )

    def task_letter_subject(self, task: str) -> str | None:
        """The subject of the first letter (not a notice) sent for `task`."""
        row = self._q1(
            "SELECT subject FROM outbox WHERE task=? AND kind NOT LIKE 'pemberitahuan:%'"
            " ORDER BY rowid",
            (task,),
        )
        return row["subject"] if row else None

    def task_first_letter(self, task: str) -> dict | None:
        """The first e-mail queued for `task` that is not a reminder (re-sent after an address
        change)."""
        return self._q1(
            "SELECT * FROM outbox WHERE task=? AND kind NOT LIKE 'pemberitahuan:pengingat%'"
            " ORDER BY id LIMIT 1",
            (task,),
        )
