"""The office database: one SQLite file, reached only through this module.

Tables: cycles (the engine state's header as JSON), cycle_units, tasks (complete, with their
tokens) and timers (the state's rows, daemon/store/cycles.py), the cycle log, inbound messages
(recorded before any parsing), the outbox (Message-ID fixed per letter), the two registers,
documents with sha256, submissions and the data base kinerja, and a notice ledger (one notice
per address per error per day). Schema changes are named migrations (sqlite-utils).

Writes happen inside `transaction()` (BEGIN IMMEDIATE): one event, one transaction, and SQLite's
write lock serialises writers, which is what keeps register numbers gapless.

The package: `migrations.py` (named schema migrations), `base.py` (the private raw helpers),
and one query module per domain, each a mixin of `Store`.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import sqlite_utils

from daemon.store.base import StoreBase, _iso
from daemon.store.cycles import CyclesQueries
from daemon.store.documents import DocumentQueries
from daemon.store.inbound import InboundQueries
from daemon.store.migrations import migrations
from daemon.store.notices import NoticeQueries
from daemon.store.outbox import OutboxQueries
from daemon.store.registers import RegisterQueries
from daemon.store.web import WebQueries

__all__ = ["Store", "migrations", "_iso"]


class Store(
    CyclesQueries,
    InboundQueries,
    OutboxQueries,
    RegisterQueries,
    DocumentQueries,
    WebQueries,
    NoticeQueries,
    StoreBase,
):
    """All SQL lives here. One Store per process; the daemon is the only regular writer."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fresh = not self.path.exists()
        conn = sqlite3.connect(
            str(self.path), isolation_level=None, check_same_thread=False, timeout=30
        )
        if fresh:
            self.path.chmod(0o600)
        conn.execute("PRAGMA journal_mode=WAL")
        # FULL: a committed event survives power loss (WAL + synchronous=NORMAL would not).
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA busy_timeout=30000")
        conn.row_factory = sqlite3.Row
        self._db = sqlite_utils.Database(conn)
        self._lock = threading.RLock()
        self._depth = 0
        # Two processes opening a new (or older) database at once (the daemon starting while a
        # `pantau status` runs) would both apply the pending migrations and one would fail with
        # "database is locked": one at a time, each seeing what the other applied.
        import fcntl

        with open(self.path.with_name(self.path.name + ".migrasi.lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            migrations.apply(self._db)

    def close(self) -> None:
        self._db.conn.close()

    # ------------------------------------------------------------------ meta

    def meta(self, key: str, default: str | None = None) -> str | None:
        row = self._q1("SELECT value FROM meta WHERE key=?", (key,))
        return row["value"] if row else default

    def set_meta(self, key: str, value: str) -> None:
        self._x(
            "INSERT INTO meta(key, value) VALUES(?, ?)"
            " ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            (key, value),
        )

    def meta_once(self, key: str, value: str) -> str:
        """Store `value` under `key` unless a value is already there; return the stored one."""
        self._x("INSERT OR IGNORE INTO meta(key, value) VALUES(?, ?)", (key, value))
        return self.meta(key) or value
