"""What the cycle's documents say, gathered from the store and the config (no rendering).

The draft report's rows and warnings, the e-Monev rows, the data base kinerja rows, the
approvals printed on the final report and the step timings of the timeliness summary. `Producer`
(produce.py) renders them; it inherits these readers, so their dependencies are the Producer's
explicit ones (config, store, SOP, work calendar, indicator master, the office clock's `now`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from daemon.config import Config
from daemon.config.indicators import indicators_for
from daemon.core import achievement
from daemon.core.engine import CycleState
from daemon.core.model import Indicator, Official, Period
from daemon.core.roles import Role
from daemon.core.sop import Sop
from daemon.core.statuses import StepStatus
from daemon.core.worktime import WorkCalendar
from daemon.documents import contexts as C
from daemon.store import Store


class ReportData:
    """The figures and records the documents show. A base of `Producer`, which sets these
    attributes; on its own it only reads."""

    cfg: Config
    store: Store
    sop: Sop
    cal: WorkCalendar
    indicators: list[Indicator]
    now: Callable[[], datetime]
    bands: achievement.Bands

    def indicators_for(self, unit: str) -> list[Indicator]:
        return indicators_for(unit, self.indicators)

    def period(self, st: CycleState) -> Period:
        return Period.parse(st.period)

    def official(self, role: str) -> Official:
        return self.cfg.pejabat[role]

    def report_context(
        self, st: CycleState, version: int, now: datetime, notes: list[str]
    ) -> C.Report:
        period = self.period(st)
        subs = self.store.latest_valid_submissions(st.code)
        earlier_codes, earlier_labels = self.earlier_periods(period)
        earlier: dict[tuple[str, str, str], float | None] = {}
        if earlier_codes:
            for r in self.store.kinerja_year(period.year):
                earlier[(r["unit"], str(r["no"]), r["period"])] = r["realisasi"]
        units, all_pct = [], []
        reading_warnings: list[dict] = []  # numbers read with a warning ("85 persen", "12 desa")
        for u in self.cfg.units:
            sub = subs.get(u.kode)
            rows_in = {str(r["no"]): r for r in (sub["rows"] if sub else [])}
            if sub:
                reading_warnings += self.warnings_of(u, sub, rows_in)
            rows = []
            for ind in self.indicators_for(u.kode):
                r = rows_in.get(ind.no, {})
                target = ind.target_for(period)
                real = r.get("realisasi")
                pct = achievement.capaian(real, target, ind.polaritas) if sub else None
                ra = r.get("realisasi_anggaran")
                rows.append(
                    C.ReportUnitRow(
                        no=ind.no,
                        indikator=ind.indikator,
                        satuan=ind.satuan,
                        polaritas=ind.polaritas,
                        target=target,
                        realisasi=real,
                        capaian=pct,
                        kategori=self.bands.kategori(pct),
                        pagu=ind.pagu,
                        realisasi_anggaran=ra,
                        capaian_anggaran=achievement.capaian_anggaran(ra, ind.pagu),
                        faktor_pendorong=r.get("faktor_pendorong", ""),
                        faktor_penghambat=r.get("faktor_penghambat", ""),
                        tindak_lanjut=r.get("tindak_lanjut", ""),
                        sebelumnya=[earlier.get((u.kode, ind.no, c)) for c in earlier_codes],
                        target_tahunan=ind.target,
                    )
                )
            mean = achievement.rata([x.capaian for x in rows]) if sub else None
            received = datetime.fromisoformat(sub["received"]) if sub else None
            if mean is not None:
                all_pct.append(mean)
            units.append(
                C.ReportUnit(
                    unit=u,
                    rows=rows,
                    capaian_rata=mean,
                    kategori=self.bands.kategori(mean),
                    status="diterima" if sub else "tidak menyampaikan data",
                    diterima=received,
                    versi_formulir=st.units[u.kode].version if sub and u.kode in st.units else None,
                    terlambat=bool(received and st.deadline and received > st.deadline),
                )
            )
        overall = achievement.rata(all_pct)
        # plausibility warnings (daemon/core/plausibility.py, stored with the submission), then the
        # numbers the form reader took with a warning
        plausible = [
            dict(w)
            for u in self.cfg.units
            if u.kode in subs
            for w in subs[u.kode].get("peringatan", [])
        ]
        # a submission's warnings repeat its plausibility warnings as sentences: list them once
        said = {(w["unit"], w["pesan"]) for w in plausible}
        peringatan = plausible + [
            w for w in reading_warnings
            if not any(u == w["unit"] and p and p in w["pesan"] for u, p in said)
        ]
        return C.Report(
            kantor=self.cfg.kantor,
            period=period,
            cycle_code=st.code,
            version=version,
            tanggal=now.date(),
            units=units,
            capaian_rata=overall,
            kategori=self.bands.kategori(overall),
            penyusun=self.official(Role.KASUBAG),
            camat=self.official(Role.CAMAT),
            sekretaris=self.official(Role.SEKRETARIS),
            catatan_revisi=notes,
            peringatan=peringatan,
            # the earlier periods are shown when the data base kinerja holds any of them
            periode_sebelumnya=earlier_labels if earlier else [],
            batas_waktu=st.deadline,
        )

    @staticmethod
    def earlier_periods(period: Period) -> tuple[list[str], list[str]]:
        """The codes and labels of the year's periods before `period` (same kind)."""
        if period.kind == "triwulan":
            names = ["Triwulan I", "Triwulan II", "Triwulan III"]
            return [f"{period.year}-TW{q}" for q in range(1, period.n)], names[: period.n - 1]
        if period.kind == "semester" and period.n == 2:
            return [f"{period.year}-S1"], ["Semester I"]
        return [], []

    @staticmethod
    def warnings_of(unit: Any, sub: dict, rows_in: dict) -> list[dict]:
        """The plausibility warnings of a unit's accepted form, as rows for the draft report.
        The form reader gives dicts ({"no","kolom","nilai","pesan"}) or plain sentences."""
        import json

        raw = sub.get("warnings") or []
        if isinstance(raw, str):
            try:
                raw = json.loads(raw)
            except ValueError:
                raw = [raw]
        out = []
        for w in raw:
            w = dict(w) if isinstance(w, dict) else {"pesan": str(w)}
            no = str(w.get("no") or "")
            out.append({
                "unit": unit.kode,
                "unit_nama": w.get("unit_nama") or unit.nama,
                "no": no,
                "indikator": w.get("indikator") or rows_in.get(no, {}).get("indikator", ""),
                "kolom": w.get("kolom", ""),
                "nilai": w.get("nilai", ""),
                "pesan": w.get("pesan") or w.get("message") or "",
            })
        return out

    STEP_NAMES = {
        "perintah": "Perintah",
        "olah": "Konsep oleh Kasubag",
        "ajukan_konsep": "Pengajuan konsep",
        "rapat": "Hasil rapat",
        "revisi": "Revisi",
        "koreksi_sekretaris": "Koreksi Sekretaris",
        "tanda_tangan": "Penandatanganan",
    }

    def approval(self, a: dict) -> C.Approval:
        """One approval of the record on the final report: step, version, person, time, and the
        reply's number in the register masuk (never its Message-ID or token)."""
        who = self.cfg.pejabat.get(a.get("role", ""))
        step = a.get("step", "")
        try:
            key = self.sop.step(step).key
        except KeyError:
            key = ""
        name = self.STEP_NAMES.get(key, "")
        rujukan = ""
        if a.get("message_id"):
            row = self.store.masuk_entry(a["message_id"])
            if row:
                rujukan = f"Agenda masuk No. {row['no']}/{row['tahun']}"
        waktu = a["at"]
        if isinstance(waktu, str):
            waktu = datetime.fromisoformat(waktu)
        return C.Approval(
            nama=who.nama if who else a.get("email", ""),
            jabatan=who.jabatan if who else a.get("role", ""),
            email=a.get("email", ""),
            waktu=waktu,
            message_id=a.get("message_id", ""),
            langkah=f"{step} {name}".strip(),
            versi=a.get("version"),
            rujukan=rujukan,
            kode_ttd=bool(a.get("kode_ttd")),
        )

    def emonev_rows(self, st: CycleState) -> list[C.EmonevRow]:
        """One row per indicator; realisation of the other quarters of the year from the data base
        kinerja, so a year's quarters sit side by side."""
        period = self.period(st)
        report = self.report_context(st, 0, self.now(), [])
        earlier: dict[tuple[str, str, str], float | None] = {}
        for r in self.store.kinerja_year(period.year):
            earlier[(r["unit"], r["no"], r["period"])] = r["realisasi"]
        out = []
        for ru in report.units:
            inds = {i.no: i for i in self.indicators_for(ru.unit.kode)}
            for row in ru.rows:
                ind = inds[row.no]
                tw: list[float | None] = []
                for q in range(1, 5):
                    code = f"{period.year}-TW{q}"
                    if period.kind == "triwulan" and q == period.n:
                        tw.append(row.realisasi)
                    else:
                        tw.append(earlier.get((ru.unit.kode, row.no, code)))
                out.append(
                    C.EmonevRow(
                        unit=ru.unit.kode,
                        unit_nama=ru.unit.nama,
                        program=ind.program,
                        kegiatan=ind.kegiatan,
                        sub_kegiatan=ind.sub_kegiatan,
                        indikator=ind.indikator,
                        satuan=ind.satuan,
                        target=ind.target,
                        target_periode=row.target,
                        realisasi_tw=tuple(tw),
                        capaian=row.capaian,
                        pagu=row.pagu,
                        realisasi_anggaran=row.realisasi_anggaran,
                        faktor_pendorong=row.faktor_pendorong,
                        faktor_penghambat=row.faktor_penghambat,
                        tindak_lanjut=row.tindak_lanjut,
                    )
                )
        return out

    def kinerja_rows(self, st: CycleState) -> list[dict]:
        period = self.period(st)
        report = self.report_context(st, 0, self.now(), [])
        rows = []
        for ru in report.units:
            if ru.status != "diterima":
                continue
            inds = {i.no: i for i in self.indicators_for(ru.unit.kode)}
            for r in ru.rows:
                ind = inds[r.no]
                rows.append(
                    {
                        "cycle": st.code,
                        "period": period.code,
                        "tahun": period.year,
                        "unit": ru.unit.kode,
                        "no": r.no,
                        "program": ind.program,
                        "kegiatan": ind.kegiatan,
                        "sub_kegiatan": ind.sub_kegiatan,
                        "indikator": r.indikator,
                        "satuan": r.satuan,
                        "polaritas": r.polaritas,
                        "target": r.target,
                        "realisasi": r.realisasi,
                        "capaian": r.capaian,
                        "pagu": r.pagu,
                        "realisasi_anggaran": r.realisasi_anggaran,
                        "faktor_pendorong": r.faktor_pendorong,
                        "faktor_penghambat": r.faktor_penghambat,
                        "tindak_lanjut": r.tindak_lanjut,
                    }
                )
        return rows

    def timings(self, st: CycleState) -> list[C.StepTiming]:
        from daemon.core.formatting import format_duration

        out = []
        for d in self.sop.steps:
            s = st.steps[d.id]
            if s.status == StepStatus.SKIPPED:
                out.append(C.StepTiming(d.id, d.uraian, d.standar_text, "-", None))
                continue
            minutes = s.active_minutes
            on_time = (
                minutes <= self.cal.standard_minutes(d.standar)
                if s.status == StepStatus.DONE
                else None
            )
            out.append(
                C.StepTiming(
                    d.id,
                    d.uraian,
                    d.standar_text,
                    format_duration(minutes) if minutes else "kurang dari 1 menit",
                    on_time,
                )
            )
        return out
