"""The database's side of a backup (SPEC §9): an online copy taken with SQLite's backup API (one
read transaction, so the daemon keeps writing) and the facts checked on a copy: integrity_check,
rows per table, and gaps in the registers' numbering per year."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from daemon.store.registers import REGISTERS

DatabaseError = sqlite3.Error


def copy_database(db_path: Path, out: Path) -> dict[str, Any]:
    """Copy the live database at `db_path` into `out` (already created), self-contained
    (journal_mode=DELETE), and return the copy's facts."""
    src = sqlite3.connect(str(db_path), timeout=60)
    try:
        src.execute("PRAGMA busy_timeout=60000")
        dst = sqlite3.connect(str(out))
        try:
            src.backup(dst)  # pages=-1: one step, one read transaction, one snapshot
            dst.execute("PRAGMA journal_mode=DELETE")
            return database_facts(dst)
        finally:
            dst.close()
    finally:
        src.close()


def file_facts(path: Path) -> dict[str, Any]:
    """The facts of a database file, opened read-only."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return database_facts(conn)
    finally:
        conn.close()


def database_facts(conn: sqlite3.Connection) -> dict[str, Any]:
    """integrity_check, rows per table, and gaps in the registers' numbering per year."""
    check = "; ".join(r[0] for r in conn.execute("PRAGMA integrity_check").fetchall())
    tables = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            " ORDER BY name"
        )
    ]
    counts = {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}
    gaps: dict[str, dict[str, list[int]]] = {}
    for reg in REGISTERS:
        if reg not in tables:
            continue
        years: dict[int, list[int]] = {}
        for tahun, no in conn.execute(f"SELECT tahun, no FROM {reg} ORDER BY tahun, no"):
            years.setdefault(tahun, []).append(no)
        for tahun, nos in years.items():
            missing = sorted(set(range(1, max(nos) + 1)) - set(nos))
            if missing or len(nos) != len(set(nos)):
                gaps.setdefault(reg, {})[str(tahun)] = missing
    return {"integrity_check": check, "tables": counts, "register_gaps": gaps}
