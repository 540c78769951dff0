"""The connection-level helpers every query module builds on (private to the store package)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import sqlite_utils


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt else None


class StoreBase:
    """The connection and the raw helpers `_q`, `_q1`, `_x`: used only inside daemon/store/."""

    _db: sqlite_utils.Database
    _depth: int
    _lock: threading.RLock

    # ------------------------------------------------------------------ transactions

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """BEGIN IMMEDIATE ... COMMIT; nested calls join the outer transaction."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self
                finally:
                    self._depth -= 1
                return
            self._db.conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self
            except BaseException:
                self._db.conn.execute("ROLLBACK")
                raise
            else:
                self._db.conn.execute("COMMIT")
            finally:
                self._depth = 0

    @contextmanager
    def savepoint(self) -> Iterator[Any]:
        """Inside a transaction: what the block wrote is undone if it raises (ROLLBACK TO), the
        transaction itself going on."""
        assert self._depth, "savepoint() outside a transaction"
        self._db.conn.execute("SAVEPOINT part")
        try:
            yield self
        except BaseException:
            self._db.conn.execute("ROLLBACK TO part")
            self._db.conn.execute("RELEASE part")
            raise
        else:
            self._db.conn.execute("RELEASE part")

    def _q(self, sql: str, params: Any = ()) -> list[dict]:
        return [dict(r) for r in self._db.conn.execute(sql, params).fetchall()]

    def _q1(self, sql: str, params: Any = ()) -> dict | None:
        row = self._db.conn.execute(sql, params).fetchone()
        return dict(row) if row else None

    def _x(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        return self._db.conn.execute(sql, params)
