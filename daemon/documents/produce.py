"""Producing documents for a cycle: fills the contexts of daemon/documents from the database and
the config, renders them into the archive, and records each file with its sha256.

The renderers (daemon/documents) know templates and formats; this module knows where the data is:
what the documents say is gathered by reportdata.py (`ReportData`, which `Producer` extends),
and this module renders it, names the files and records them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from daemon.config import Config
from daemon.core import achievement
from daemon.core.engine import CycleState, DocRef
from daemon.core.model import Indicator
from daemon.core.roles import Role
from daemon.core.sop import Sop
from daemon.core.worktime import WorkCalendar
from daemon.documents import contexts as C
from daemon.documents.reportdata import ReportData
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


class Producer(ReportData):
    """Renders the engine's documents into the archive. Its dependencies are explicit (no office):
    the config, the store, the archive, the SOP, the work calendar, the indicator master, the
    office secret (verification codes) and the office clock's `now`. What the documents say is
    read by the methods it inherits from `ReportData` (reportdata.py)."""

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
                    "Disampaikan untuk dientri pada aplikasi e-Monev dan e-Project serta "
                    "diarsipkan",
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
