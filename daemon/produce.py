"""Producing documents for a cycle: fills the contexts of daemon/documents from the database and
the config, renders them into the archive, and records each file with its sha256.

The renderers (daemon/documents) know templates and formats; this module knows where the data is.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from . import achievement
from .archive import Archive, make_dirs
from .documents import contexts as C
from .engine import CycleState, DocRef
from .faults import crash_point
from .model import Official, Period
from .store import Store

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
    def __init__(self, office: Any):
        # `office` is daemon.office.OfficeApp; typed loosely to avoid an import cycle.
        self.o = office
        self.cfg = office.cfg
        self.store: Store = office.store
        self.archive: Archive = office.archive
        self.tpl = self.cfg.templates_dir
        self.bands = achievement.Bands.from_config(self.cfg.kategori or None)

    # ------------------------------------------------------------------ helpers

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
        getattr(self, f"make_{ref.kind}")(st, ref, data, now, nomor)

    def make_form(self, st: CycleState, ref: DocRef, data: dict, now: datetime, nomor: str) -> None:
        from .documents import build_form

        unit = self.cfg.unit(ref.unit or "")
        deadline = st.deadline or self.o.cal.add(now, self.o.sop.by_key("kumpul").standar)
        spec = C.FormSpec(
            kantor=self.cfg.kantor,
            period=self.period(st),
            cycle_code=st.code,
            unit=unit,
            indicators=self.o.indicators_for(unit.kode),
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
        units, all_pct = [], []
        for u in self.cfg.units:
            sub = subs.get(u.kode)
            rows_in = {str(r["no"]): r for r in (sub["rows"] if sub else [])}
            rows = []
            for ind in self.o.indicators_for(u.kode):
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
                    )
                )
            mean = achievement.rata([x.capaian for x in rows]) if sub else None
            if mean is not None:
                all_pct.append(mean)
            units.append(
                C.ReportUnit(
                    unit=u,
                    rows=rows,
                    capaian_rata=mean,
                    kategori=self.bands.kategori(mean),
                    status="diterima" if sub else "tidak menyampaikan data",
                    diterima=datetime.fromisoformat(sub["received"]) if sub else None,
                    versi_formulir=st.units[u.kode].version if sub and u.kode in st.units else None,
                )
            )
        overall = achievement.rata(all_pct)
        peringatan = [
            dict(w) for u in self.cfg.units if u.kode in subs for w in subs[u.kode].get("peringatan", [])
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
            penyusun=self.official("kasubag_perencanaan"),
            camat=self.official("camat"),
            sekretaris=self.official("sekretaris"),
            catatan_revisi=notes,
            peringatan=peringatan,
        )

    def make_draft_report(
        self, st: CycleState, ref: DocRef, data: dict, now: datetime, nomor: str
    ) -> None:
        from .documents import render_report

        report = self.report_context(st, ref.version, now, data.get("catatan", []))
        path = self.out_path(st.code, file_name("draft_report", st.code, ref.version))
        sha = render_report(report, self.tpl, path, self.archive.cycle_dir(st.code) / "tmp")
        self.record(st, "draft_report", ref.version, None, path, sha, now)

    def make_final_report(
        self, st: CycleState, ref: DocRef, data: dict, now: datetime, nomor: str
    ) -> None:
        from .documents import render_final, to_pdf

        version = data.get("source_version") or st.draft_version
        source = self.store.document(st.code, "draft_report", version)
        approvals = []
        for a in data.get("approvals", []):
            role = a["role"]
            who = self.cfg.pejabat.get(role)
            approvals.append(
                C.Approval(
                    nama=who.nama if who else a["email"],
                    jabatan=who.jabatan if who else role,
                    email=a["email"],
                    waktu=a["at"],
                    message_id=a.get("message_id", ""),
                    kode_ttd=bool(a.get("kode_ttd")),
                )
            )
        final = C.FinalReport(
            kantor=self.cfg.kantor,
            period=self.period(st),
            cycle_code=st.code,
            nomor=nomor,
            tanggal=now.date(),
            penandatangan=self.official("camat"),
            approvals=approvals,
            source_version=version,
        )
        path = self.out_path(st.code, file_name("final_report", st.code))
        sha = render_final(final, Path(source["path"]), path)
        self.record(st, "final_report", 1, None, path, sha, now)
        pdf = to_pdf(path, path.parent)
        if pdf:
            from .archive import sha256_file

            self.record(st, "final_report_pdf", 1, None, pdf, sha256_file(pdf), now)

    def make_emonev_export(
        self, st: CycleState, ref: DocRef, data: dict, now: datetime, nomor: str
    ) -> None:
        from .documents import write_emonev

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
        report = self.report_context(st, 0, datetime.now(), [])
        earlier: dict[tuple[str, str, str], float | None] = {}
        for r in self.store.kinerja_year(period.year):
            earlier[(r["unit"], r["no"], r["period"])] = r["realisasi"]
        out = []
        for ru in report.units:
            inds = {i.no: i for i in self.o.indicators_for(ru.unit.kode)}
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
                        target=row.target,
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
        report = self.report_context(st, 0, datetime.now(), [])
        rows = []
        for ru in report.units:
            if ru.status != "diterima":
                continue
            inds = {i.no: i for i in self.o.indicators_for(ru.unit.kode)}
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
        from .documents import render_letter

        letter = C.Letter(
            kind="ringkasan",
            kantor=self.cfg.kantor,
            period=self.period(st),
            nomor=nomor or "-",
            tanggal=now.date(),
            hal=f"Ringkasan Ketepatan Waktu Pemantauan Kinerja {self.period(st).label}",
            kepada=[self.official("camat").jabatan, self.official("sekretaris").jabatan],
            penandatangan=self.official("kasubag_perencanaan"),
            cycle_code=st.code,
            ringkasan=self.timings(st),
        )
        path = self.out_path(st.code, file_name("timeliness_summary", st.code))
        sha = render_letter(letter, self.tpl, path)
        self.record(st, "timeliness_summary", 1, None, path, sha, now)

    def timings(self, st: CycleState) -> list[C.StepTiming]:
        from .formatting import format_duration

        out = []
        for d in self.o.sop.steps:
            s = st.steps[d.id]
            if s.status == "skipped":
                out.append(C.StepTiming(d.id, d.uraian, d.standar_text, "-", None))
                continue
            minutes = s.active_minutes
            on_time = (
                minutes <= self.o.cal.standard_minutes(d.standar) if s.status == "done" else None
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
        from .documents import render_ics, render_letter

        period = self.period(st)
        cfg = self.cfg
        dari_role = data.get("dari", "kasubag_perencanaan")
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
            sha = render_ics(meeting, ics)
            self.record(st, "invitation_ics", 1, None, ics, sha, now)
            files.append((ics.name, ics))
        if kind == "pengantar":
            letter.items = [
                C.PengantarItem(
                    1,
                    f"Laporan Pemantauan Kinerja {period.label}",
                    "1 (satu) berkas",
                    "Disampaikan untuk dientri pada aplikasi e-Monev dan e-Project serta diarsipkan",
                )
            ]
        doc_kind = LETTER_DOC_KIND[kind]
        path = self.out_path(st.code, file_name(doc_kind, st.code, step=step, no=no))
        sha = render_letter(letter, self.tpl, path)
        self.record(st, doc_kind, self.store.count_documents(st.code, doc_kind) + 1, None, path, sha, now)
        files.insert(0, (path.name, path))
        return files
