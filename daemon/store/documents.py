"""Archived documents, verification codes, received forms (submissions), the data base kinerja."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from daemon.store.base import StoreBase


class DocumentQueries(StoreBase):
    def count_documents(self, cycle: str, kind: str) -> int:
        row = self._q1(
            "SELECT COUNT(*) AS n FROM documents WHERE cycle=? AND kind=?", (cycle, kind)
        )
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
        self._x(
            "INSERT INTO documents(cycle, kind, version, unit, path, sha256, source, message_id, "
            "created)"
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
        return self._q1(sql + " ORDER BY id DESC LIMIT 1", params)

    def documents(self, cycle: str) -> list[dict]:
        return self._q(
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
        self._x(f"INSERT OR REPLACE INTO verifikasi({cols}) VALUES({marks})", tuple(row.values()))

    def verification(self, kode: str) -> dict | None:
        """The row for a verification code (already normalised), with `persetujuan` decoded."""
        row = self._q1("SELECT * FROM verifikasi WHERE kode=?", (kode,))
        if row:
            row["persetujuan"] = json.loads(row["persetujuan"] or "[]")
        return row

    def final_reports_without_pdf(self) -> list[str]:
        """Cycles whose final report (DOCX) is archived but its PDF is not."""
        rows = self._q(
            "SELECT DISTINCT cycle FROM documents d WHERE kind='final_report' AND NOT EXISTS "
            "(SELECT 1 FROM documents p WHERE p.cycle=d.cycle AND p.kind='final_report_pdf') "
            "ORDER BY cycle"
        )
        return [r["cycle"] for r in rows]

    def masuk_entry(self, message_id: str) -> dict | None:
        """The register masuk entry of an accepted reply (its `no` and `tahun`), or None."""
        return self._q1(
            "SELECT no, tahun FROM register_masuk WHERE message_id=? ORDER BY id LIMIT 1",
            (message_id,),
        )

    def set_verification_pdf(self, cycle: str, sha256_pdf: str) -> None:
        self._x("UPDATE verifikasi SET sha256_pdf=? WHERE cycle=?", (sha256_pdf, cycle))

    # ------------------------------------------------------------------ web dashboard (SPEC §8)

    def add_submission(self, **row: Any) -> int:
        for k in ("errors", "warnings", "rows", "peringatan", "catatan"):
            row[k] = json.dumps(row.get(k) or [], ensure_ascii=False)
        return int(self._db["submissions"].insert(row).last_pk)

    def latest_valid_submissions(self, cycle: str) -> dict[str, dict]:
        rows = self._q("SELECT * FROM submissions WHERE cycle=? AND ok=1 ORDER BY id", (cycle,))
        out: dict[str, dict] = {}
        for r in rows:
            for k in ("rows", "peringatan", "catatan"):
                r[k] = json.loads(r.get(k) or "[]")
            out[r["unit"]] = r  # the newest valid form counts
        return out

    def replace_kinerja(self, cycle: str, rows: list[dict]) -> None:
        self._x("DELETE FROM kinerja WHERE cycle=?", (cycle,))
        if rows:
            self._db["kinerja"].insert_all(rows)

    def kinerja_year(self, year: int) -> list[dict]:
        return self._q("SELECT * FROM kinerja WHERE tahun=? ORDER BY unit, no, period", (year,))

    def kinerja_unit_year(self, year: int, unit: str) -> list[dict]:
        """One unit's rows of the year: what a form's plausibility check compares with, read
        per unit so a form's cost does not grow with the office."""
        return self._q(
            "SELECT * FROM kinerja WHERE tahun=? AND unit=? ORDER BY no, period", (year, unit)
        )
