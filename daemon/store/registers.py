"""The two registers (SPEC §4): `add_register` is the ONE place a register number is allocated.

A number is the year's MAX(no)+1, taken and written in one transaction (the caller's, or its own
BEGIN IMMEDIATE): SQLite's write lock serialises writers, so numbers are gapless and never repeat,
and a writer killed before COMMIT leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from daemon.store.base import StoreBase

REGISTERS = ("register_keluar", "register_masuk")


class RegisterQueries(StoreBase):
    def _next_register_no(self, table: str, year: int) -> int:
        assert table in REGISTERS
        row = self._q1(f"SELECT COALESCE(MAX(no), 0) + 1 AS n FROM {table} WHERE tahun=?", (year,))
        return int(row["n"]) if row else 1

    def add_register(self, table: str, year: int, row: dict[str, Any]) -> int:
        """Allocate the next number of `year` in `table`, insert `row` under it; return the number.

        `row["nomor_surat"]` may be a function of the number (the letter's full number is built from
        it). Runs inside the caller's transaction, or in its own when none is open."""
        with self.transaction():
            no = self._next_register_no(table, year)
            row = {**row, "tahun": year, "no": no}
            nomor: Callable[[int], str] | str | None = row.get("nomor_surat")
            if callable(nomor):
                row["nomor_surat"] = nomor(no)
            self._db[table].insert(row)
            return no

    def update_register(self, table: str, year: int, no: int, **fields: Any) -> None:
        """Fill in an entry's columns known only after its number was taken (the e-mails'
        Message-IDs, the files), addressed by (tahun, no): the number itself never changes."""
        assert table in REGISTERS and fields and not {"tahun", "no"} & set(fields)
        cols = ", ".join(f"{k}=?" for k in fields)
        self._x(f"UPDATE {table} SET {cols} WHERE tahun=? AND no=?", (*fields.values(), year, no))

    def register(self, table: str, year: int | None = None) -> list[dict]:
        if year:
            return self._q(f"SELECT * FROM {table} WHERE tahun=? ORDER BY tahun, no", (year,))
        return self._q(f"SELECT * FROM {table} ORDER BY tahun, no")

    def set_sent_date(self, message_id: str, when: datetime) -> None:
        """Stamp tanggal_kirim on the register entry of the letter this e-mail belongs to (a letter
        to several recipients lists all its e-mails' Message-IDs)."""
        self._x(
            "UPDATE register_keluar SET tanggal_kirim=?"
            " WHERE instr(' ' || message_id || ' ', ?) > 0"
            " AND (tanggal_kirim IS NULL OR tanggal_kirim='')",
            (when.isoformat(timespec="seconds"), f" {message_id} "),
        )
