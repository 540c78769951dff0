"""What the web dashboard reads (SPEC §8) and its sign-in links, sessions and attempts."""

from __future__ import annotations

from datetime import datetime

from daemon.store.base import StoreBase


class WebQueries(StoreBase):
    def document_by_id(self, id: int) -> dict | None:
        return self._q1("SELECT * FROM documents WHERE id=?", (id,))

    def cycle_documents(self, cycle: str) -> list[dict]:
        """A cycle's archived documents with their row ids (the dashboard serves files by id)."""
        return self._q(
            "SELECT id, kind, version, unit, path, sha256, source, created FROM documents"
            " WHERE cycle=? ORDER BY id",
            (cycle,),
        )

    def unit_documents(self, unit: str) -> list[dict]:
        return self._q(
            "SELECT id, cycle, kind, version, unit, path, sha256, source, created FROM documents"
            " WHERE unit=? ORDER BY id",
            (unit,),
        )

    def open_task_message_ids(self) -> set[str]:
        """Message-IDs of the letters whose task is still open: never shown (SPEC §3.1, §8)."""
        rows = self._q("SELECT o.message_id FROM outbox o JOIN tasks t ON t.key = o.task"
                      " WHERE t.status='open'")
        return {r["message_id"] for r in rows}

    def kinerja_years(self) -> list[int]:
        return [
            r["tahun"] for r in self._q("SELECT DISTINCT tahun FROM kinerja ORDER BY tahun DESC")
        ]

    def register_years(self) -> list[int]:
        return [
            r["tahun"]
            for r in self._q(
                "SELECT tahun FROM register_keluar UNION SELECT tahun FROM register_masuk"
                " ORDER BY tahun DESC"
            )
        ]

    def change_mark(self) -> tuple:
        """A cheap fingerprint of what the dashboard's overview shows: it changes when the daemon
        logs, receives, sends or beats."""
        row = self._q1(
            "SELECT (SELECT MAX(id) FROM log) AS log, (SELECT MAX(id) FROM inbound) AS inb,"
            " (SELECT COUNT(*) FROM inbound WHERE status IN ('ditahan','gagal')) AS held,"
            " (SELECT COUNT(*) FROM outbox WHERE status<>'terkirim') AS outq,"
            " (SELECT GROUP_CONCAT(code || status || COALESCE(current,'')) FROM cycles) AS cyc,"
            " (SELECT value FROM meta WHERE key='heartbeat_real') AS hb")
        return tuple(row.values()) if row else ()

    def web_add_link(self, hash: str, email: str, created: datetime, expires: datetime) -> None:
        self._x(
            "INSERT INTO web_links(hash, email, created, expires, used) VALUES(?,?,?,?,NULL)",
            (
                hash,
                email,
                created.isoformat(timespec="microseconds"),
                expires.isoformat(timespec="microseconds"),
            ),
        )

    def web_link(self, hash: str) -> dict | None:
        return self._q1("SELECT * FROM web_links WHERE hash=?", (hash,))

    def web_use_link(self, hash: str, now: datetime) -> str | None:
        """Mark an unused, unexpired link used and return its address; None when it is not one.
        A single UPDATE, so two clicks racing cannot both sign in."""
        row = self._q1(
            "UPDATE web_links SET used=? WHERE hash=? AND used IS NULL AND expires>?"
            " RETURNING email",
            (now.isoformat(timespec="microseconds"), hash, now.isoformat(timespec="microseconds")),
        )
        return row["email"] if row else None

    def web_add_session(self, hash: str, email: str, csrf: str, now: datetime) -> None:
        self._x(
            "INSERT INTO web_sessions(hash, email, csrf, created, seen, ended)"
            " VALUES(?,?,?,?,?,NULL)",
            (
                hash,
                email,
                csrf,
                now.isoformat(timespec="microseconds"),
                now.isoformat(timespec="microseconds"),
            ),
        )

    def web_session(self, hash: str) -> dict | None:
        return self._q1("SELECT * FROM web_sessions WHERE hash=? AND ended IS NULL", (hash,))

    def web_touch_session(self, hash: str, now: datetime) -> None:
        self._x(
            "UPDATE web_sessions SET seen=? WHERE hash=?",
            (now.isoformat(timespec="microseconds"), hash),
        )

    def web_end_session(self, hash: str, now: datetime) -> None:
        self._x("UPDATE web_sessions SET ended=? WHERE hash=? AND ended IS NULL",
               (now.isoformat(timespec="microseconds"), hash))

    def web_count_attempts(self, kind: str, key: str, since: datetime) -> int:
        row = self._q1("SELECT COUNT(*) AS n FROM web_attempts WHERE kind=? AND key=? AND at>?",
                      (kind, key, since.isoformat(timespec="microseconds")))
        return int(row["n"]) if row else 0

    def web_add_attempt(self, kind: str, key: str, now: datetime, keep_since: datetime) -> None:
        self._x(
            "DELETE FROM web_attempts WHERE at<=?", (keep_since.isoformat(timespec="microseconds"),)
        )
        self._x(
            "INSERT INTO web_attempts(kind, key, at) VALUES(?,?,?)",
            (kind, key, now.isoformat(timespec="microseconds")),
        )
