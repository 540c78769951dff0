"""Producing documents for a cycle: fills the contexts of daemon/documents from the database and
the config, renders them into the archive, and records each file with its sha256.

The renderers (daemon/documents) know templates and formats; this module knows where the data is.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from daemon.config import Config
from daemon.config.indicators import indicators_for
from daemon.core import achievement
from daemon.core.engine import CycleState, DocRef
from daemon.core.model import Indicator, Official, Period
from daemon.core.roles import Role
from daemon.core.sop import Sop
from daemon.core.statuses import StepStatus
from daemon.core.worktime import WorkCalendar
from daemon.documents import contexts as C
from daemon.shell.archive import Archive, make_dirs
from daemon.shell.faults import crash_point
from daemon.store import Store

# Display names of archived documents (also the attachment names people see).
FILE_NAMES = {
    "form": "Formulir-Pemantauan-{unit}-{cycle}.docx",
    "form_xlsx": "Formulir-Pemantauan-{unit}-{cycle}.xlsx",
    "draft_report": "Konsep-Laporan-{cycle}-v{version}.docx",
    "final_report": "Laporan-Pemantauan-Kinerja-{cycle}.docx",
    "final_report_pdf": "Laporan-Pemantauan-Kinerja-{cycle}.pdf",
    "emonev_export": "Data-eMonev-{cycle}.xlsx",
    "emonev_export_csv": "Data-eMonev-{cycle}.csv",
    "timeliness_summary": "Ringkasan-Ketepatan-Waktu-{cycle}.docx",
    "nota_dinas": "Nota-Dinas-{step}-{cycle}-{no}.docx",
    "request_letter": "Surat-Permintaan-Data-{cycle}.docx",
    "invitation": "Undangan-Rapat-{cycle}.docx",
    "invitation_ics": "Undangan-Rapat-{cycle}.ics",
    "cover_letter": "Surat-Pengantar-{cycle}.docx",
}

LETTER_DOC_KIND = {
    "nota_dinas": "nota_dinas",
    "permintaan_data": "request_letter",
    "undangan": "invitation",
    "pengantar": "cover_letter",
}


def file_name(
    kind: str, cycle: str, version: int = 1, unit: str | None = None, step: str = "", no: int = 0
) -> str:
    pattern = FILE_NAMES.get(kind, kind + "-{cycle}-v{version}.docx")
    return pattern.format(cycle=cycle, version=version, unit=unit or "", step=step, no=no)


class Producer:
    """Renders the engine's documents into the archive. Its dependencies are explicit (no office):
    the config, the store, the archive, the SOP, the work calendar, the indicator master, the
    office secret (verification codes) and the office clock's `now`."""

    def __init__(
        self,
        *,
        cfg: Config,
        store: Store,
        archive: Archive,
        sop: Sop,
        cal: WorkCalendar,
        indicators: list[Indicator],
        secret: str,
        now: Callable[[], datetime],
    ):
        self.cfg = cfg
        self.store = store
        self.archive = archive
        self.sop = sop
        self.cal = cal
        self.indicators = indicators
        self.secret = secret
        self.now = now
        self.tpl = self.cfg.templates_dir
        self.bands = achievement.Bands.from_config(self.cfg.kategori or None)

    # ------------------------------------------------------------------ helpers

    def indicators_for(self, unit: str) -> list[Indicator]:
        return indicators_for(unit, self.indicators)

    def out_path(self, cycle: str, name: str) -> Path:
        return self.archive.cycle_dir(cycle) / name

    def record(
        self,
        st: CycleState,
        kind: str,
        version: int,
        unit: str | None,
        path: Path,
        sha: str,
        now: datetime,
        source: str = "generated",
        message_id: str = "",
    ) -> None:
        self.store.add_document(
            cycle=st.code,
            kind=kind,
            version=version,
            unit=unit,
            path=str(path),
            sha256=sha,
            source=source,
            message_id=message_id,
            now=now,
        )

    def period(self, st: CycleState) -> Period:
        return Period.parse(st.period)

    def official(self, role: str) -> Official:
        return self.cfg.pejabat[role]

    # ------------------------------------------------------------------ documents by kind

    def make(self, st: CycleState, ref: DocRef, data: dict, now: datetime, nomor: str = "") -> None:
        crash_point("rendering")
        maker = MAKERS.get(ref.kind)
        if maker is None:
            raise KeyError(f"tidak ada pembuat dokumen untuk jenis {ref.kind!r} (produce.MAKERS)")
        maker(self, st, ref, data, now, nomor)

    def make_form(self, st: CycleState, ref: DocRef, data: dict, now: datetime, nomor: str) -> None:
        from daemon.documents import build_form

        unit = self.cfg.unit(ref.unit or "")
        deadline = st.deadline
        if deadline is None:  # S2 builds the forms before S4 fixes the deadline: the same rule
            due = self.cal.add(now, self.sop.by_key("kumpul").standar)
            hours = self.cal.office_hours(self.cal.local(due).date())
            deadline = max(due, hours[1]) if hours else due
        spec = C.FormSpec(
            kantor=self.cfg.kantor,
            period=self.period(st),
            cycle_code=st.code,
            unit=unit,
            indicators=self.indicators_for(unit.kode),
            batas_waktu=deadline,
            balas_ke=self.cfg.mail.alamat,
            subject_hint=f"[{st.code}] Permintaan Data Pemantauan Kinerja {self.period(st).label}",
            version=ref.version or 1,
        )
        fmts = {"docx": ["docx"], "xlsx": ["xlsx"], "both": ["docx", "xlsx"]}[self.cfg.form_format]
        for f in fmts:
            kind = "form" if f == "docx" else "form_xlsx"
            path = self.out_path(st.code, "formulir/" + file_name(kind, st.code, unit=unit.kode))
            make_dirs(path.parent)
            sha = build_form(spec, self.tpl, path, fmt=f)
            self.record(st, kind, ref.version or 1, unit.kode, path, sha, now)

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

    def make_draft_report(
        self, st: CycleState, ref: DocRef, data: dict, now: datetime, nomor: str
    ) -> None:
        from daemon.documents import render_report

        report = self.report_context(st, ref.version, now, data.get("catatan", []))
        path = self.out_path(st.code, file_name("draft_report", st.code, ref.version))
        sha = render_report(report, self.tpl, path, self.archive.cycle_dir(st.code) / "tmp")
        self.record(st, "draft_report", ref.version, None, path, sha, now)

    def make_final_report(
        self, st: CycleState, ref: DocRef, data: dict, now: datetime, nomor: str
    ) -> None:
        from daemon.core.verification import verification_code
        from daemon.documents import render_final
        from daemon.shell.archive import sha256_file

        version = data.get("source_version") or st.draft_version
        source = self.store.document(st.code, "draft_report", version)
        source_path = Path(source["path"])
        source_sha = sha256_file(source_path)
        approvals = [self.approval(a) for a in data.get("approvals", [])]
        code = verification_code(self.secret, st.code, nomor, source_sha)
        final = C.FinalReport(
            kantor=self.cfg.kantor,
            period=self.period(st),
            cycle_code=st.code,
            nomor=nomor,
            tanggal=now.date(),
            penandatangan=self.official(Role.CAMAT),
            approvals=approvals,
            source_version=version,
            kode_verifikasi=code,
        )
        path = self.out_path(st.code, file_name("final_report", st.code))
        sha = render_final(final, source_path, path, getattr(self.cfg, "web_url", ""))
        self.record(st, "final_report", 1, None, path, sha, now)
        self.store.put_verification(
            kode=code,
            cycle=st.code,
            nomor_surat=nomor,
            judul=f"Laporan Pemantauan Kinerja {final.period.label}",
            periode=final.period.label,
            tanggal=now.isoformat(timespec="seconds"),
            sha256_docx=sha,
            sha256_pdf="",
            sha256_sumber=source_sha,
            persetujuan=[
                {
                    "langkah": a.langkah,
                    "versi": a.versi,
                    "nama": a.nama,
                    "jabatan": a.jabatan,
                    "waktu": a.waktu.isoformat() if isinstance(a.waktu, datetime) else a.waktu,
                }
                for a in approvals
            ],
        )
        self.final_pdf(st, now)

    def final_pdf(self, st: CycleState, now: datetime) -> bool:
        """Convert the final report to PDF (retried inside to_pdf) and record it; while it is
        missing, say so in the cycle log (SPEC §6.5). True when the PDF exists."""
        from daemon.documents import to_pdf
        from daemon.documents.pdf import soffice_path
        from daemon.shell.archive import sha256_file

        doc = self.store.document(st.code, "final_report")
        if doc is None or self.store.document(st.code, "final_report_pdf") is not None:
            return doc is not None
        if soffice_path() is None:
            return False
        path = Path(doc["path"])
        pdf = to_pdf(path, path.parent)
        if pdf is None:
            self.store.set_meta(f"pdf_retry:{st.code}", now.isoformat())
            self.store.add_log(
                st.code, now, st.current or "", "pdf_laporan_final_belum_ada", "",
                "LibreOffice gagal membuat PDF laporan final setelah beberapa percobaan; "
                "DOCX-nya sudah diarsipkan. Pantau mencoba lagi nanti.",
            )
            return False
        pdf_sha = sha256_file(pdf)
        self.record(st, "final_report_pdf", 1, None, pdf, pdf_sha, now)
        self.store.set_verification_pdf(st.code, pdf_sha)
        return True

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

    def make_emonev_export(
        self, st: CycleState, ref: DocRef, data: dict, now: datetime, nomor: str
    ) -> None:
        from daemon.documents import write_emonev

        rows = self.emonev_rows(st)
        xlsx = self.out_path(st.code, file_name("emonev_export", st.code))
        csv = self.out_path(st.code, file_name("emonev_export_csv", st.code))
        sx, sc = write_emonev(rows, self.period(st), xlsx, csv)
        self.record(st, "emonev_export", 1, None, xlsx, sx, now)
        self.record(st, "emonev_export_csv", 1, None, csv, sc, now)

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

    def make_timeliness_summary(
        self, st: CycleState, ref: DocRef, data: dict, now: datetime, nomor: str
    ) -> None:
        from daemon.documents import render_letter

        letter = C.Letter(
            kind="ringkasan",
            kantor=self.cfg.kantor,
            period=self.period(st),
            nomor=nomor or "-",
            tanggal=now.date(),
            hal=f"Ringkasan Ketepatan Waktu Pemantauan Kinerja {self.period(st).label}",
            kepada=[self.official(Role.CAMAT).jabatan, self.official(Role.SEKRETARIS).jabatan],
            penandatangan=self.official(Role.KASUBAG),
            cycle_code=st.code,
            ringkasan=self.timings(st),
        )
        path = self.out_path(st.code, file_name("timeliness_summary", st.code))
        sha = render_letter(letter, self.tpl, path)
        self.record(st, "timeliness_summary", 1, None, path, sha, now)

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

    # ------------------------------------------------------------------ cover letters

    def render_cover(
        self,
        st: CycleState,
        kind: str,
        purpose: str,
        hal: str,
        nomor: str,
        no: int,
        step: str,
        data: dict,
        recipients_roles: list[str],
        now: datetime,
    ) -> list[tuple[str, Path]]:
        """Render the letter document itself (nota dinas, request letter, invitation, cover letter);
        returns (attachment name, path) pairs."""
        from daemon.documents import render_ics, render_letter

        period = self.period(st)
        cfg = self.cfg
        dari_role = data.get("dari", Role.KASUBAG)
        signer = cfg.pejabat.get(dari_role, cfg.kasubag) if kind == "nota_dinas" else cfg.camat
        letter = C.Letter(
            kind=kind,
            kantor=cfg.kantor,
            period=period,
            nomor=nomor,
            tanggal=now.date(),
            hal=hal,
            kepada=recipients_roles,
            penandatangan=signer,
            purpose=purpose,
            dari=signer if kind == "nota_dinas" else None,
            cycle_code=st.code,
            version=data.get("versi"),
            batas_waktu=data.get("batas_waktu"),
            balas_ke=cfg.mail.alamat,
            lampiran=data.get("lampiran", "-"),
            tembusan=list(cfg.laporan_tembusan) if kind == "pengantar" else [],
            catatan=list(data.get("catatan", [])),
        )
        files: list[tuple[str, Path]] = []
        if kind == "undangan":
            m = data["rapat"]
            meeting = C.Meeting(
                mulai=m["start"],
                selesai=m["end"],
                tempat=m.get("place", ""),
                acara=f"Rapat Pembahasan Pemantauan Kinerja {period.label}",
                penyelenggara=cfg.mail.alamat,
                peserta=list(cfg.undangan_peserta),
                uid=f"{st.code}-rapat@{cfg.kantor.domain}",
            )
            letter.rapat = meeting
            ics = self.out_path(st.code, file_name("invitation_ics", st.code))
            sha = render_ics(meeting, ics, dtstamp=now)  # office time, like every stamp
            self.record(st, "invitation_ics", 1, None, ics, sha, now)
            files.append((ics.name, ics))
        if kind == "pengantar":
            from daemon.core.formatting import banyaknya

            with_pdf = self.store.document(st.code, "final_report_pdf") is not None
            letter.items = [
                C.PengantarItem(
                    1,
                    f"Laporan Pemantauan Kinerja {period.label}",
                    banyaknya(2) + " (DOCX dan PDF)" if with_pdf else banyaknya(1),
                    "Disampaikan untuk dientri pada aplikasi e-Monev dan e-Project serta diarsipkan",
                )
            ]
        doc_kind = LETTER_DOC_KIND[kind]
        path = self.out_path(st.code, file_name(doc_kind, st.code, step=step, no=no))
        sha = render_letter(letter, self.tpl, path)
        self.record(
            st, doc_kind, self.store.count_documents(st.code, doc_kind) + 1, None, path, sha, now
        )
        files.insert(0, (path.name, path))
        return files


# The documents the engine asks for (`MakeDoc.ref.kind`), each with its maker: an explicit table,
# never a method found by building its name. tests/test_handlers.py checks it covers every kind
# the engine makes and every `lampiran` of config/sop.toml.
MAKERS: dict[str, Callable[[Producer, CycleState, DocRef, dict, datetime, str], None]] = {
    "form": Producer.make_form,
    "draft_report": Producer.make_draft_report,
    "final_report": Producer.make_final_report,
    "emonev_export": Producer.make_emonev_export,
    "timeliness_summary": Producer.make_timeliness_summary,
}
