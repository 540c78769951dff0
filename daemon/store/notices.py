"""The operator's ledger (told once), former addresses, and the notice loop brake."""

from __future__ import annotations

from datetime import datetime

from daemon.store.base import StoreBase


class NoticeQueries(StoreBase):
    def told(self, kind: str, key: str) -> bool:
        return bool(self._q1("SELECT 1 FROM operator_told WHERE kind=? AND key=?", (kind, key)))

    def mark_told(self, kind: str, key: str, at: datetime) -> bool:
        """Record that the operator was told (or a one-time action done); False if already so."""
        cur = self._x("INSERT OR IGNORE INTO operator_told(kind, key, at) VALUES(?,?,?)",
                     (kind, key, at.isoformat()))
        return cur.rowcount == 1

    def told_since(self, kind: str, since: datetime) -> int:
        rows = self._q("SELECT at FROM operator_told WHERE kind=?", (kind,))
        return sum(1 for r in rows if datetime.fromisoformat(r["at"]) >= since)

    def former_addresses(self, task: str) -> list[str]:
        return [
            r["address"] for r in self._q("SELECT address FROM alamat_lama WHERE task=?", (task,))
        ]

    def add_former_address(self, task: str, address: str, at: datetime) -> None:
        self._x("INSERT OR IGNORE INTO alamat_lama(task, address, changed) VALUES(?,?,?)",
               (task, address, at.isoformat()))

    def notice_allowed(self, address: str, kind: str, day: str) -> bool:
        """True the first time (address, kind, day) is seen: one notice per address, error, day."""
        cur = self._x(
            "INSERT OR IGNORE INTO notices(address, kind, day) VALUES(?,?,?)", (address, kind, day)
        )
        return cur.rowcount == 1
