"""The registers' entries (SPEC §4): what the office writes in the register keluar and masuk.

A number is allocated in one place only, `Store.add_register` (daemon/store/registers.py), inside
the event's transaction. Every outgoing letter takes its number here, through `register_out`, and
its full number (`nomor_surat`) is built from it; the entry is completed afterwards by its
(tahun, no) with what exists only once the letter does (its e-mails, its files), never renumbered.
Incoming replies are entered by `register_in`, through the same `Store.add_register`.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from daemon.config import Config
from daemon.core import engine as E
from daemon.core.model import Period
from daemon.shell.people import People
from daemon.store import Store

MONTHS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")


class Registers:
    def __init__(self, cfg: Config, store: Store, people: People):
        self.cfg = cfg
        self.store = store
        self.people = people

    # ------------------------------------------------------------------ register keluar

    def register_out(
        self,
        st: E.CycleState,
        now: datetime,
        *,
        step: str,
        kode_key: str,
        tujuan: str,
        perihal: str,
        lampiran: str,
        message_id: str,
        berkas: list,
        keterangan: str = "",
    ) -> tuple[int, str]:
        """Enter an outgoing letter in the register keluar; returns its (no, nomor_surat). The
        number is allocated by `Store.add_register`, the one numbering path
        (daemon/store/registers.py)."""
        kode = self.cfg.nomor_kode.get(kode_key) or self.cfg.nomor_kode["nota_dinas"]
        no = self.store.add_register(
            "register_keluar",
            now.year,
            {
                "nomor_surat": lambda n: self.nomor_surat(kode, n, now),
                "tanggal_surat": now.date().isoformat(),
                "tanggal_kirim": "",
                "tujuan": tujuan,
                "perihal": perihal,
                "lampiran": lampiran,
                "kode_klasifikasi": kode,
                "siklus": st.code,
                "langkah": step,
                "message_id": message_id,
                "berkas": json.dumps(berkas, ensure_ascii=False),
                "keterangan": keterangan,
            },
        )
        return no, self.nomor_surat(kode, no, now)

    def nomor_surat(self, kode: str, no: int, now: datetime) -> str:
        """A letter's full number from its register number (`[penomoran] format`)."""
        return self.cfg.nomor_format.format(kode=kode, urut=no, unit=self.cfg.kantor.kode_unit,
                                            tahun=now.year, bulan=MONTHS[now.month - 1])

    def complete_out(self, now: datetime, no: int, **fields: Any) -> None:
        """Fill in the entry `no` of the year with what exists only after it was numbered."""
        self.store.update_register("register_keluar", now.year, no, **fields)

    def final_report(self, st: E.CycleState, now: datetime, step: str) -> tuple[int, str]:
        """The signed final report's entry (S11), numbered before the report is rendered so the
        report carries its number; its file is added by `final_report_file`."""
        return self.register_out(
            st,
            now,
            step=step,
            kode_key="laporan",
            tujuan="Arsip / Kasubag Perencanaan",
            perihal=f"Laporan Pemantauan Kinerja {Period.parse(st.period).label}",
            lampiran="-",
            message_id="",
            berkas=[],
            keterangan="laporan final; disetujui Camat melalui e-mail"
            + (
                "; dengan kode tanda tangan"
                if any(x.get("kode_ttd") for x in st.approvals)
                else ""
            ),
        )

    def final_report_file(self, st: E.CycleState, now: datetime, no: int) -> None:
        doc = self.store.document(st.code, "final_report")
        self.complete_out(now, no, berkas=json.dumps([_berkas(doc)]))

    # ------------------------------------------------------------------ register masuk

    def register_in(self, st: E.CycleState, fx: E.RegisterIn, now: datetime) -> int:
        """Enter a reply that decided something in the register masuk; returns its number."""
        return self.store.add_register(
            "register_masuk",
            now.year,
            {
                "tanggal_terima": now.isoformat(timespec="seconds"),
                "nomor_surat": "-",
                "tanggal_surat": now.date().isoformat(),
                "pengirim": self.people.who(fx.pengirim),
                "perihal": fx.perihal,
                "lampiran": fx.lampiran,
                "siklus": st.code,
                "langkah": fx.step,
                "message_id": fx.message_id,
                "berkas": json.dumps(
                    [{"nama": Path(f.path).name, "sha256": f.sha256} for f in fx.files]
                ),
                "disposisi": fx.disposisi,
                "keterangan": fx.keterangan,
            },
        )


def _berkas(doc: dict | None) -> dict:
    return {"nama": Path(doc["path"]).name, "sha256": doc["sha256"]} if doc else {}
