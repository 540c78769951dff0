"""The office database: one SQLite file, reached only through this module.

Tables: cycles (engine state as JSON), tasks and their tokens, the cycle log, inbound messages
(recorded before any parsing), the outbox (Message-ID fixed per letter), the two registers,
documents with sha256, submissions and the data base kinerja, timers, and a notice ledger (one
notice per address per error per day). Schema changes are named migrations (sqlite-utils).

Writes happen inside `transaction()` (BEGIN IMMEDIATE): one event, one transaction, and SQLite's
write lock serialises writers, which is what keeps register numbers gapless.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlite_utils
from sqlite_utils import Migrations

from .engine import CycleState, from_json, to_json

migrations = Migrations("pantau")


@migrations()
def m001_core(db: sqlite_utils.Database) -> None:
    db["meta"].create({"key": str, "value": str}, pk="key")
    db["cycles"].create(
        {
            "code": str,
            "period": str,
            "year": int,
            "status": str,
            "current": str,
            "started": str,
            "closed": str,
            "next_timer": str,
            "state": str,
        },
        pk="code",
    )
    db["tasks"].create(
        {
            "key": str,
            "token": str,
            "cycle": str,
            "step": str,
            "role": str,
            "recipient": str,
            "unit": str,
            "purpose": str,
            "doc_kind": str,
            "doc_version": int,
            "status": str,
            "opened": str,
            "closed": str,
        },
        pk="key",
    )
    db["tasks"].create_index(["token"], unique=True)
    db["tasks"].create_index(["cycle", "status"])
    db["log"].create(
        {"id": int, "cycle": str, "at": str, "step": str, "event": str, "who": str, "detail": str},
        pk="id",
    )
    db["log"].create_index(["cycle", "id"])
    db["inbound"].create(
        {
            "id": int,
            "sha256": str,
            "message_id": str,
            "received": str,
            "ref": str,
            "path": str,
            "size": int,
            "status": str,
            "kind": str,
            "reason": str,
            "sender": str,
            "subject": str,
            "cycle": str,
            "task": str,
            "attempts": int,
            "processed": str,
        },
        pk="id",
    )
    db["inbound"].create_index(["sha256"], unique=True)
    db["inbound"].create_index(["message_id"])
    db["inbound"].create_index(["status"])
    db["outbox"].create(
        {
            "id": int,
            "message_id": str,
            "cycle": str,
            "step": str,
            "kind": str,
            "task": str,
            "recipients": str,
            "subject": str,
            "path": str,
            "status": str,
            "attempts": int,
            "next_attempt": str,
            "queued": str,
            "sent": str,
            "error": str,
            "refused": str,
        },
        pk="id",
    )
    db["outbox"].create_index(["message_id"], unique=True)
    db["outbox"].create_index(["status", "next_attempt"])
    db["register_keluar"].create(
        {
            "id": int,
            "tahun": int,
            "no": int,
            "nomor_surat": str,
            "tanggal_surat": str,
            "tanggal_kirim": str,
            "tujuan": str,
            "perihal": str,
            "lampiran": str,
            "kode_klasifikasi": str,
            "siklus": str,
            "langkah": str,
            "message_id": str,
            "berkas": str,
            "keterangan": str,
        },
        pk="id",
    )
    db["register_keluar"].create_index(["tahun", "no"], unique=True)
    db["register_masuk"].create(
        {
            "id": int,
            "tahun": int,
            "no": int,
            "tanggal_terima": str,
            "nomor_surat": str,
            "tanggal_surat": str,
            "pengirim": str,
            "perihal": str,
            "lampiran": str,
            "siklus": str,
            "langkah": str,
            "message_id": str,
            "berkas": str,
            "disposisi": str,
            "keterangan": str,
        },
        pk="id",
    )
    db["register_masuk"].create_index(["tahun", "no"], unique=True)
    db["documents"].create(
        {
            "id": int,
            "cycle": str,
            "kind": str,
            "version": int,
            "unit": str,
            "path": str,
            "sha256": str,
            "source": str,
            "message_id": str,
            "created": str,
        },
        pk="id",
    )
    db["documents"].create_index(["cycle", "kind", "version", "unit"])
    db["submissions"].create(
        {
            "id": int,
            "cycle": str,
            "unit": str,
            "received": str,
            "message_id": str,
            "sender": str,
            "filename": str,
            "sha256": str,
            "path": str,
            "ok": int,
            "errors": str,
            "warnings": str,
            "rows": str,
        },
        pk="id",
    )
    db["submissions"].create_index(["cycle", "unit"])
    db["kinerja"].create(
        {
            "id": int,
            "cycle": str,
            "period": str,
            "tahun": int,
            "unit": str,
            "no": str,
            "program": str,
            "kegiatan": str,
            "sub_kegiatan": str,
            "indikator": str,
            "satuan": str,
            "polaritas": str,
            "target": float,
            "realisasi": float,
            "capaian": float,
            "pagu": float,
            "realisasi_anggaran": float,
            "faktor_pendorong": str,
            "faktor_penghambat": str,
            "tindak_lanjut": str,
        },
        pk="id",
    )
    db["kinerja"].create_index(["tahun", "unit", "no"])
    db["timers"].create({"id": int, "cycle": str, "step": str, "kind": str, "at": str}, pk="id")
    db["timers"].create_index(["at"])
    db["notices"].create({"address": str, "kind": str, "day": str}, pk=("address", "kind", "day"))


@migrations()
def m002_outbox_unknown(db: sqlite_utils.Database) -> None:
    """How many times a letter's send ended with an unknown outcome (a crash mid-send)."""
    db["outbox"].add_column("unknown", int, not_null_default=0)


@migrations()
def m003_verifikasi(db: sqlite_utils.Database) -> None:
    """Final reports' verification codes (SPEC §6.5, §8): what `/verifikasi/<code>` shows."""
    db["verifikasi"].create(
        {
            "kode": str,  # verification.verification_code(), XXXX-XXXX-XXXX
            "cycle": str,
            "nomor_surat": str,
            "judul": str,
            "periode": str,
            "tanggal": str,  # ISO 8601 with offset: when the final report was issued
            "sha256_docx": str,  # the archived final DOCX
            "sha256_pdf": str,  # the archived final PDF, "" while it is missing
            "sha256_sumber": str,  # the approved version's file the code is derived from
            "persetujuan": str,  # JSON list of {"langkah","versi","nama","jabatan","waktu"}
        },
        pk="kode",
    )
    db["verifikasi"].create_index(["cycle"])


@migrations()
def m006_form_peringatan(db: sqlite_utils.Database) -> None:
    """A received form's plausibility warnings (SPEC §6.2: JSON list of {"unit", "unit_nama", "no",
    "indikator", "kolom", "nilai", "pesan"}) and its table's note rows (JSON list of str)."""
    db["submissions"].add_column("peringatan", str, not_null_default="[]")
    db["submissions"].add_column("catatan", str, not_null_default="[]")


@migrations()
def m005_operator(db: sqlite_utils.Database) -> None:
    """The operator's safety net (SPEC §3.1, §3.4): what the operator was already told (a held
    message, a day's digest, a letter re-sent after an address change: each once), the addresses
    a task had before the configuration changed them (answers from there still count until the
    task closes), and the loop brake's silence on an inbound message (`rem`)."""
    db["operator_told"].create({"kind": str, "key": str, "at": str}, pk=("kind", "key"))
    db["alamat_lama"].create({"task": str, "address": str, "changed": str}, pk=("task", "address"))
    db["inbound"].add_column("rem", str, not_null_default="")
    # Messages held before this release were shown by status and triage already: no flood of
    # notices on the first start after the upgrade.
    db.execute("INSERT INTO operator_told(kind, key, at) SELECT 'ditahan', CAST(id AS TEXT), received"
               " FROM inbound WHERE status IN ('ditahan','gagal')")


@migrations()
def m009_web(db: sqlite_utils.Database) -> None:
    """The dashboard's sign-in (SPEC §8): one-time links, sessions and sign-in requests (for rate
    limits). Only sha256 hashes of link tokens and session ids are kept, never the values."""
    db["web_links"].create({"hash": str, "email": str, "created": str, "expires": str, "used": str},
                           pk="hash")
    db["web_sessions"].create({"hash": str, "email": str, "csrf": str, "created": str, "seen": str,
                               "ended": str}, pk="hash")
    db["web_attempts"].create({"id": int, "kind": str, "key": str, "at": str}, pk="id")
    db["web_attempts"].create_index(["kind", "key", "at"])


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt else None


class Store:
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
        self.db = sqlite_utils.Database(conn)
        self._lock = threading.RLock()
        self._depth = 0
        # Two processes opening a new (or older) database at once (the daemon starting while a
        # `pantau status` runs) would both apply the pending migrations and one would fail with
        # "database is locked": one at a time, each seeing what the other applied.
        import fcntl

        with open(self.path.with_name(self.path.name + ".migrasi.lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            migrations.apply(self.db)

    def close(self) -> None:
        self.db.conn.close()

    # ------------------------------------------------------------------ transactions

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """BEGIN IMMEDIATE ... COMMIT; nested calls join the outer transaction."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self
                finally:
                    self._depth -= 1
                return
            self.db.conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self
            except BaseException:
                self.db.conn.execute("ROLLBACK")
                raise
            else:
                self.db.conn.execute("COMMIT")
            finally:
                self._depth = 0

    def q(self, sql: str, params: Any = ()) -> list[dict]:
        return [dict(r) for r in self.db.conn.execute(sql, params).fetchall()]

    def q1(self, sql: str, params: Any = ()) -> dict | None:
        row = self.db.conn.execute(sql, params).fetchone()
        return dict(row) if row else None

    def x(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        return self.db.conn.execute(sql, params)

    # ------------------------------------------------------------------ meta

    def meta(self, key: str, default: str | None = None) -> str | None:
        row = self.q1("SELECT value FROM meta WHERE key=?", (key,))
        return row["value"] if row else default

    def set_meta(self, key: str, value: str) -> None:
        self.x(
            "INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            (key, value),
        )

    def meta_once(self, key: str, value: str) -> str:
        """Store `value` under `key` unless a value is already there; return the stored one."""
        self.x("INSERT OR IGNORE INTO meta(key, value) VALUES(?, ?)", (key, value))
        return self.meta(key) or value

    # ------------------------------------------------------------------ cycles

    def load_cycle(self, code: str) -> CycleState | None:
        row = self.q1("SELECT state FROM cycles WHERE code=?", (code,))
        return from_json(json.loads(row["state"])) if row else None

    def save_cycle(self, st: CycleState, token_for) -> None:
        from .engine import next_timer

        year = int(st.period[:4])
        self.x(
            "INSERT INTO cycles(code, period, year, status, current, started, closed, next_timer, state)"
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
                  self.q("SELECT key, status, closed FROM tasks WHERE cycle=?", (st.code,))}
        for t in st.tasks:
            if stored.get(t.key) == (t.status, _iso(t.closed)):
                continue
            self.x(
                "INSERT INTO tasks(key, token, cycle, step, role, recipient, unit, purpose, doc_kind,"
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
        self.x("DELETE FROM timers WHERE cycle=?", (st.code,))
        for tm in st.timers:
            self.x(
                "INSERT INTO timers(cycle, step, kind, at) VALUES(?,?,?,?)",
                (st.code, tm.step, tm.kind, tm.at.isoformat()),
            )

    def cycles(self, status: str | None = None) -> list[dict]:
        if status:
            return self.q(
                "SELECT code, period, status, current, started, closed, next_timer FROM cycles"
                " WHERE status=? ORDER BY started",
                (status,),
            )
        return self.q(
            "SELECT code, period, status, current, started, closed, next_timer FROM cycles ORDER BY started"
        )

    def cycles_due(self, now: datetime) -> list[str]:
        """Running cycles with a timer at or before `now`. Timers are compared as instants."""
        rows = self.q("SELECT DISTINCT cycle, at FROM timers")
        return sorted({r["cycle"] for r in rows if datetime.fromisoformat(r["at"]) <= now})

    def next_timer(self) -> datetime | None:
        rows = self.q("SELECT at FROM timers")
        return min((datetime.fromisoformat(r["at"]) for r in rows), default=None)

    # ------------------------------------------------------------------ tasks

    def task_by_token(self, token: str) -> dict | None:
        return self.q1("SELECT * FROM tasks WHERE token=?", (token,))

    def task(self, key: str) -> dict | None:
        return self.q1("SELECT * FROM tasks WHERE key=?", (key,))

    def task_by_message_ids(self, ids: list[str]) -> dict | None:
        """The task whose request e-mail has one of these Message-IDs (newest reference first)."""
        for mid in reversed(ids):
            row = self.q1("SELECT task FROM outbox WHERE message_id=? AND task IS NOT NULL", (mid,))
            if row:
                return self.task(row["task"])
        return None

    def open_tasks(self, cycle: str | None = None) -> list[dict]:
        if cycle:
            return self.q(
                "SELECT * FROM tasks WHERE status='open' AND cycle=? ORDER BY opened", (cycle,)
            )
        return self.q("SELECT * FROM tasks WHERE status='open' ORDER BY opened")

    # ------------------------------------------------------------------ log

    def add_log(
        self, cycle: str, at: datetime, step: str, event: str, who: str = "", detail: str = ""
    ) -> None:
        self.x(
            "INSERT INTO log(cycle, at, step, event, who, detail) VALUES(?,?,?,?,?,?)",
            (cycle, at.isoformat(), step, event, who, detail),
        )

    def cycle_log(self, cycle: str) -> list[dict]:
        return self.q(
            "SELECT at, step, event, who, detail FROM log WHERE cycle=? ORDER BY id", (cycle,)
        )

    # ------------------------------------------------------------------ inbound

    def record_inbound(
        self, sha256: str, path: str, size: int, ref: str, received: datetime
    ) -> tuple[int, bool]:
        """Record a raw message (already written to the archive). Returns (id, new?)."""
        row = self.q1("SELECT id FROM inbound WHERE sha256=?", (sha256,))
        if row:
            return row["id"], False
        cur = self.x(
            "INSERT INTO inbound(sha256, received, ref, path, size, status, attempts)"
            " VALUES(?,?,?,?,?, 'baru', 0)",
            (sha256, received.isoformat(), ref, path, size),
        )
        return int(cur.lastrowid), True

    def update_inbound(self, id: int, **fields: Any) -> None:
        if fields:
            cols = ", ".join(f"{k}=?" for k in fields)
            self.x(f"UPDATE inbound SET {cols} WHERE id=?", (*fields.values(), id))

    def inbound(self, id: int) -> dict | None:
        return self.q1("SELECT * FROM inbound WHERE id=?", (id,))

    def seen_message_id(self, message_id: str, not_id: int) -> bool:
        return bool(
            self.q1(
                "SELECT 1 FROM inbound WHERE message_id=? AND id<>? AND status NOT IN ('baru','gagal')",
                (message_id, not_id),
            )
        )

    def held(self) -> list[dict]:
        return self.q(
            "SELECT id, received, sender, subject, reason, status FROM inbound"
            " WHERE status IN ('ditahan','gagal') ORDER BY id"
        )

    def pending_inbound(self) -> list[dict]:
        return self.q("SELECT * FROM inbound WHERE status='baru' ORDER BY id")

    # ------------------------------------------------------------------ outbox

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
        self.x(
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
        rows = self.q("SELECT * FROM outbox WHERE status IN ('antri','mengirim') ORDER BY id")
        return [r for r in rows if datetime.fromisoformat(r["next_attempt"]) <= now]

    def outbox(self, status: str | None = None) -> list[dict]:
        if status:
            return self.q("SELECT * FROM outbox WHERE status=? ORDER BY id", (status,))
        return self.q("SELECT * FROM outbox ORDER BY id")

    def update_outbox(self, id: int, **fields: Any) -> None:
        cols = ", ".join(f"{k}=?" for k in fields)
        self.x(f"UPDATE outbox SET {cols} WHERE id=?", (*fields.values(), id))

    # ------------------------------------------------------------------ registers

    def next_register_no(self, table: str, year: int) -> int:
        assert table in ("register_keluar", "register_masuk")
        row = self.q1(f"SELECT COALESCE(MAX(no), 0) + 1 AS n FROM {table} WHERE tahun=?", (year,))
        return int(row["n"]) if row else 1

    def add_register(self, table: str, year: int, row: dict) -> int:
        """Insert with the next number of `year`. Must run inside transaction(): the write lock
        taken by BEGIN IMMEDIATE makes MAX()+1 safe against concurrent writers."""
        assert self._depth, "register entries are written inside a transaction"
        no = self.next_register_no(table, year)
        row = {**row, "tahun": year, "no": no}
        if "nomor_surat" in row and callable(row["nomor_surat"]):
            row["nomor_surat"] = row["nomor_surat"](no)
        self.db[table].insert(row)
        return no

    def register(self, table: str, year: int | None = None) -> list[dict]:
        if year:
            return self.q(f"SELECT * FROM {table} WHERE tahun=? ORDER BY tahun, no", (year,))
        return self.q(f"SELECT * FROM {table} ORDER BY tahun, no")

    def set_sent_date(self, message_id: str, when: datetime) -> None:
        """Stamp tanggal_kirim on the register entry of the letter this e-mail belongs to (a letter
        to several recipients lists all its e-mails' Message-IDs)."""
        self.x(
            "UPDATE register_keluar SET tanggal_kirim=? WHERE instr(' ' || message_id || ' ', ?) > 0"
            " AND (tanggal_kirim IS NULL OR tanggal_kirim='')",
            (when.isoformat(timespec="seconds"), f" {message_id} "),
        )

    def count_documents(self, cycle: str, kind: str) -> int:
        row = self.q1("SELECT COUNT(*) AS n FROM documents WHERE cycle=? AND kind=?", (cycle, kind))
        return int(row["n"]) if row else 0

    # ------------------------------------------------------------------ documents

    def add_document(
        self,
        *,
        cycle: str,
        kind: str,
        version: int,
        unit: str | None,
        path: str,
        sha256: str,
        source: str,
        message_id: str = "",
        now: datetime,
    ) -> None:
        self.x(
            "INSERT INTO documents(cycle, kind, version, unit, path, sha256, source, message_id, created)"
            " VALUES(?,?,?,?,?,?,?,?,?)",
            (cycle, kind, version, unit, path, sha256, source, message_id, now.isoformat()),
        )

    def document(
        self, cycle: str, kind: str, version: int | None = None, unit: str | None = None
    ) -> dict | None:
        sql = "SELECT * FROM documents WHERE cycle=? AND kind=?"
        params: list[Any] = [cycle, kind]
        if version is not None:
            sql += " AND version=?"
            params.append(version)
        if unit is not None:
            sql += " AND unit=?"
            params.append(unit)
        return self.q1(sql + " ORDER BY id DESC LIMIT 1", params)

    def documents(self, cycle: str) -> list[dict]:
        return self.q(
            "SELECT kind, version, unit, path, sha256, source, created FROM documents"
            " WHERE cycle=? ORDER BY id",
            (cycle,),
        )

    # ------------------------------------------------------------------ verification codes

    def put_verification(self, **row: Any) -> None:
        """Insert or replace one final report's verification row (see m003_verifikasi)."""
        if not isinstance(row.get("persetujuan", ""), str):
            row["persetujuan"] = json.dumps(row["persetujuan"], ensure_ascii=False)
        cols = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        self.x(f"INSERT OR REPLACE INTO verifikasi({cols}) VALUES({marks})", tuple(row.values()))

    def verification(self, kode: str) -> dict | None:
        """The row for a verification code (already normalised), with `persetujuan` decoded."""
        row = self.q1("SELECT * FROM verifikasi WHERE kode=?", (kode,))
        if row:
            row["persetujuan"] = json.loads(row["persetujuan"] or "[]")
        return row

    def final_reports_without_pdf(self) -> list[str]:
        """Cycles whose final report (DOCX) is archived but its PDF is not."""
        rows = self.q(
            "SELECT DISTINCT cycle FROM documents d WHERE kind='final_report' AND NOT EXISTS "
            "(SELECT 1 FROM documents p WHERE p.cycle=d.cycle AND p.kind='final_report_pdf') "
            "ORDER BY cycle"
        )
        return [r["cycle"] for r in rows]

    def masuk_entry(self, message_id: str) -> dict | None:
        """The register masuk entry of an accepted reply (its `no` and `tahun`), or None."""
        return self.q1(
            "SELECT no, tahun FROM register_masuk WHERE message_id=? ORDER BY id LIMIT 1",
            (message_id,),
        )

    def set_verification_pdf(self, cycle: str, sha256_pdf: str) -> None:
        self.x("UPDATE verifikasi SET sha256_pdf=? WHERE cycle=?", (sha256_pdf, cycle))

    # ------------------------------------------------------------------ web dashboard (SPEC §8)

    def document_by_id(self, id: int) -> dict | None:
        return self.q1("SELECT * FROM documents WHERE id=?", (id,))

    def cycle_documents(self, cycle: str) -> list[dict]:
        """A cycle's archived documents with their row ids (the dashboard serves files by id)."""
        return self.q("SELECT id, kind, version, unit, path, sha256, source, created FROM documents"
                      " WHERE cycle=? ORDER BY id", (cycle,))

    def unit_documents(self, unit: str) -> list[dict]:
        return self.q("SELECT id, cycle, kind, version, unit, path, sha256, source, created FROM documents"
                      " WHERE unit=? ORDER BY id", (unit,))

    def open_task_message_ids(self) -> set[str]:
        """Message-IDs of the letters whose task is still open: never shown (SPEC §3.1, §8)."""
        rows = self.q("SELECT o.message_id FROM outbox o JOIN tasks t ON t.key = o.task"
                      " WHERE t.status='open'")
        return {r["message_id"] for r in rows}

    def kinerja_years(self) -> list[int]:
        return [r["tahun"] for r in self.q("SELECT DISTINCT tahun FROM kinerja ORDER BY tahun DESC")]

    def register_years(self) -> list[int]:
        return [r["tahun"] for r in self.q(
            "SELECT tahun FROM register_keluar UNION SELECT tahun FROM register_masuk ORDER BY tahun DESC")]

    def change_mark(self) -> tuple:
        """A cheap fingerprint of what the dashboard's overview shows: it changes when the daemon
        logs, receives, sends or beats."""
        row = self.q1(
            "SELECT (SELECT MAX(id) FROM log) AS log, (SELECT MAX(id) FROM inbound) AS inb,"
            " (SELECT COUNT(*) FROM inbound WHERE status IN ('ditahan','gagal')) AS held,"
            " (SELECT COUNT(*) FROM outbox WHERE status<>'terkirim') AS outq,"
            " (SELECT GROUP_CONCAT(code || status || COALESCE(current,'')) FROM cycles) AS cyc,"
            " (SELECT value FROM meta WHERE key='heartbeat_real') AS hb")
        return tuple(row.values()) if row else ()

    def web_add_link(self, hash: str, email: str, created: datetime, expires: datetime) -> None:
        self.x("INSERT INTO web_links(hash, email, created, expires, used) VALUES(?,?,?,?,NULL)",
               (hash, email, created.isoformat(timespec="microseconds"), expires.isoformat(timespec="microseconds")))

    def web_link(self, hash: str) -> dict | None:
        return self.q1("SELECT * FROM web_links WHERE hash=?", (hash,))

    def web_use_link(self, hash: str, now: datetime) -> str | None:
        """Mark an unused, unexpired link used and return its address; None when it is not one.
        A single UPDATE, so two clicks racing cannot both sign in."""
        row = self.q1("UPDATE web_links SET used=? WHERE hash=? AND used IS NULL AND expires>?"
                      " RETURNING email", (now.isoformat(timespec="microseconds"), hash, now.isoformat(timespec="microseconds")))
        return row["email"] if row else None

    def web_add_session(self, hash: str, email: str, csrf: str, now: datetime) -> None:
        self.x("INSERT INTO web_sessions(hash, email, csrf, created, seen, ended)"
               " VALUES(?,?,?,?,?,NULL)", (hash, email, csrf, now.isoformat(timespec="microseconds"), now.isoformat(timespec="microseconds")))

    def web_session(self, hash: str) -> dict | None:
        return self.q1("SELECT * FROM web_sessions WHERE hash=? AND ended IS NULL", (hash,))

    def web_touch_session(self, hash: str, now: datetime) -> None:
        self.x("UPDATE web_sessions SET seen=? WHERE hash=?", (now.isoformat(timespec="microseconds"), hash))

    def web_end_session(self, hash: str, now: datetime) -> None:
        self.x("UPDATE web_sessions SET ended=? WHERE hash=? AND ended IS NULL",
               (now.isoformat(timespec="microseconds"), hash))

    def web_count_attempts(self, kind: str, key: str, since: datetime) -> int:
        row = self.q1("SELECT COUNT(*) AS n FROM web_attempts WHERE kind=? AND key=? AND at>?",
                      (kind, key, since.isoformat(timespec="microseconds")))
        return int(row["n"]) if row else 0

    def web_add_attempt(self, kind: str, key: str, now: datetime, keep_since: datetime) -> None:
        self.x("DELETE FROM web_attempts WHERE at<=?", (keep_since.isoformat(timespec="microseconds"),))
        self.x("INSERT INTO web_attempts(kind, key, at) VALUES(?,?,?)", (kind, key, now.isoformat(timespec="microseconds")))

    # ------------------------------------------------------------------ submissions, kinerja

    def add_submission(self, **row: Any) -> int:
        for k in ("errors", "warnings", "rows", "peringatan", "catatan"):
            row[k] = json.dumps(row.get(k) or [], ensure_ascii=False)
        return int(self.db["submissions"].insert(row).last_pk)

    def latest_valid_submissions(self, cycle: str) -> dict[str, dict]:
        rows = self.q("SELECT * FROM submissions WHERE cycle=? AND ok=1 ORDER BY id", (cycle,))
        out: dict[str, dict] = {}
        for r in rows:
            for k in ("rows", "peringatan", "catatan"):
                r[k] = json.loads(r.get(k) or "[]")
            out[r["unit"]] = r  # the newest valid form counts
        return out

    def replace_kinerja(self, cycle: str, rows: list[dict]) -> None:
        self.x("DELETE FROM kinerja WHERE cycle=?", (cycle,))
        if rows:
            self.db["kinerja"].insert_all(rows)

    def kinerja_year(self, year: int) -> list[dict]:
        return self.q("SELECT * FROM kinerja WHERE tahun=? ORDER BY unit, no, period", (year,))

    # ------------------------------------------------------------------ notices (loop brake)

    def told(self, kind: str, key: str) -> bool:
        return bool(self.q1("SELECT 1 FROM operator_told WHERE kind=? AND key=?", (kind, key)))

    def mark_told(self, kind: str, key: str, at: datetime) -> bool:
        """Record that the operator was told (or a one-time action done); False if it already was."""
        cur = self.x("INSERT OR IGNORE INTO operator_told(kind, key, at) VALUES(?,?,?)",
                     (kind, key, at.isoformat()))
        return cur.rowcount == 1

    def told_since(self, kind: str, since: datetime) -> int:
        rows = self.q("SELECT at FROM operator_told WHERE kind=?", (kind,))
        return sum(1 for r in rows if datetime.fromisoformat(r["at"]) >= since)

    def former_addresses(self, task: str) -> list[str]:
        return [r["address"] for r in self.q("SELECT address FROM alamat_lama WHERE task=?", (task,))]

    def add_former_address(self, task: str, address: str, at: datetime) -> None:
        self.x("INSERT OR IGNORE INTO alamat_lama(task, address, changed) VALUES(?,?,?)",
               (task, address, at.isoformat()))

    def notice_allowed(self, address: str, kind: str, day: str) -> bool:
        """True the first time (address, kind, day) is seen: one notice per address per error per day."""
        cur = self.x(
            "INSERT OR IGNORE INTO notices(address, kind, day) VALUES(?,?,?)", (address, kind, day)
        )
        return cur.rowcount == 1
