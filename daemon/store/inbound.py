"""Inbound messages: recorded before any parsing, then classified and processed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from daemon.store.base import StoreBase


class InboundQueries(StoreBase):
    def record_inbound(
        self, sha256: str, path: str, size: int, ref: str, received: datetime
    ) -> tuple[int, bool]:
        """Record a raw message (already written to the archive). Returns (id, new?)."""
        row = self._q1("SELECT id FROM inbound WHERE sha256=?", (sha256,))
        if row:
            return row["id"], False
        cur = self._x(
            "INSERT INTO inbound(sha256, received, ref, path, size, status, attempts)"
            " VALUES(?,?,?,?,?, 'baru', 0)",
            (sha256, received.isoformat(), ref, path, size),
        )
        return int(cur.lastrowid), True

    def update_inbound(self, id: int, **fields: Any) -> None:
        if fields:
            cols = ", ".join(f"{k}=?" for k in fields)
            self._x(f"UPDATE inbound SET {cols} WHERE id=?", (*fields.values(), id))

    def inbound(self, id: int) -> dict | None:
        return self._q1("SELECT * FROM inbound WHERE id=?", (id,))

    def seen_message_id(self, message_id: str, not_id: int) -> bool:
        return bool(
            self._q1(
                "SELECT 1 FROM inbound WHERE message_id=? AND id<>?"
                " AND status NOT IN ('baru','gagal')",
                (message_id, not_id),
            )
        )

    def held(self) -> list[dict]:
        return self._q(
            "SELECT id, received, sender, subject, reason, status FROM inbound"
            " WHERE status IN ('ditahan','gagal') ORDER BY id"
        )

    def pending_inbound(self) -> list[dict]:
        return self._q("SELECT * FROM inbound WHERE status='baru' ORDER BY id")

    def inbound_by_sha(self, sha256: str) -> dict | None:
        return self._q1(
            "SELECT id, status, reason, received FROM inbound WHERE sha256=?", (sha256,)
        )

    def first_taken_with_message_id(self, message_id: str, not_id: int) -> dict | None:
        """The first other message with this Message-ID already taken (not new, not failed)."""
        return self._q1(
            "SELECT id, status, reason FROM inbound WHERE message_id=? AND id<>? AND status NOT IN"
            " ('baru','gagal') ORDER BY id LIMIT 1",
            (message_id, not_id),
        )

    def braked_received(self) -> list[str]:
        """When each message the loop brake left unanswered came in (ISO text)."""
        return [r["received"] for r in self._q("SELECT received FROM inbound WHERE rem<>''")]

    def held_counts(self) -> dict[str, int]:
        """Messages held or failed, by status."""
        return {
            r["status"]: r["n"]
            for r in self._q(
                "SELECT status, COUNT(*) AS n FROM inbound WHERE status IN ('ditahan','gagal')"
                " GROUP BY status"
            )
        }

    def triage_rows(self, statuses: tuple[str, ...]) -> list[dict]:
        """Inbound messages with one of `statuses`, or silenced by the loop brake (`triage`)."""
        marks = ",".join("?" * len(statuses))
        return self._q(
            f"SELECT id, received, sender, subject, reason, status, kind, cycle, task, path, rem"
            f" FROM inbound WHERE status IN ({marks}) OR rem<>'' ORDER BY id",
            statuses,
        )

    def held_messages(self, untold_only: bool = False) -> list[dict]:
        """Held and failed messages (with untold_only, only those the operator was not told of)."""
        sql = (
            "SELECT id, received, sender, subject, reason, status, kind, cycle, task, path"
            " FROM inbound"
            " WHERE status IN ('ditahan','gagal')"
        )
        if untold_only:
            sql += (
                " AND id NOT IN"
                " (SELECT CAST(key AS INTEGER) FROM operator_told WHERE kind='ditahan')"
            )
        return self._q(sql + " ORDER BY id")
