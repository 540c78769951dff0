"""What each document is made from: the data contract between the office shell and the renderers.

The shell fills these from the database and the config (daemon/documents/reportdata.py,
daemon/shell/letters.py); the renderers in this package turn them into DOCX/XLSX/ICS files.
Wording lives in the templates, so an office can edit it; these carry data only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from daemon.core.model import Indicator, Office, Official, Period, Unit


@dataclass
class Letter:
    """A surat dinas, nota dinas, undangan or surat pengantar (Tata Naskah Dinas parts).

    kind: "nota_dinas" | "permintaan_data" | "undangan" | "pengantar" | "ringkasan"
    purpose: for nota dinas, which one (changes the wording in the template):
      "perintah" (S1: Kasubag asks the Camat for the order),
      "konsep" (S5: the draft to the Kasubag),
      "ajukan_konsep" (S6: the draft to the Sekretaris, or from the Sekretaris to the Camat),
      "koreksi" (S10: the report to the Sekretaris for correction),
      "tanda_tangan" (S11: the report to the Camat for signature),
      "emonev" (S13: the export to the Kasubag for entry in e-Monev).
    """

    kind: str
    kantor: Office
    period: Period
    nomor: str  # nomor surat, e.g. 000.8.6.3/15/Kec-LSB/2025
    tanggal: date
    hal: str
    kepada: list[str]  # lines after "Yth.", e.g. ["Kepala Seksi Pemerintahan", ...]
    penandatangan: Official
    purpose: str = ""
    dari: Official | None = None  # nota dinas: the sender ("Dari")
    atas_nama: str = ""  # e.g. "a.n. Camat Linggo Sari Baganti" above the signer's jabatan
    sifat: str = "Biasa"
    lampiran: str = "-"  # "1 (satu) berkas"
    tembusan: list[str] = field(default_factory=list)
    cycle_code: str = ""
    version: int | None = None  # the document version the letter is about
    batas_waktu: datetime | None = None  # permintaan_data: deadline for the units' data
    balas_ke: str = ""  # the address to reply to
    catatan: list[str] = field(default_factory=list)  # extra paragraphs (revision notes etc.)
    rapat: Meeting | None = None  # undangan
    items: list[PengantarItem] = field(default_factory=list)  # pengantar
    ringkasan: list[StepTiming] = field(default_factory=list)  # ringkasan (timeliness summary)


@dataclass
class Meeting:
    mulai: datetime  # timezone-aware, the office's zone
    selesai: datetime
    tempat: str
    acara: str  # e.g. "Rapat Pembahasan Pemantauan Kinerja Triwulan III Tahun 2025"
    penyelenggara: str = ""  # organiser e-mail for the ICS
    peserta: list[str] = field(default_factory=list)  # attendee e-mails for the ICS
    uid: str = ""  # stable ICS UID


@dataclass
class PengantarItem:
    no: int
    jenis: str  # "Laporan Pemantauan Kinerja Triwulan III Tahun 2025"
    banyaknya: str  # "1 (satu) berkas"
    keterangan: str  # "Disampaikan dengan hormat untuk ..."


@dataclass
class StepTiming:
    step: str  # S1
    nama: str  # the SOP's procedure text
    standar: str  # "10 menit"
    aktual: str  # "1 jam 5 menit" or "-" when skipped
    tepat_waktu: bool | None  # None when skipped


@dataclass
class FormSpec:
    """One unit's data-collection form for one cycle (SPEC §6.2)."""

    kantor: Office
    period: Period
    cycle_code: str
    unit: Unit
    indicators: list[Indicator]  # this unit's, in master order
    batas_waktu: datetime  # deadline
    balas_ke: str  # address to reply to
    subject_hint: str  # the subject line to keep when replying, with its token
    version: int = 1


@dataclass
class ReportUnitRow:
    """One indicator in the draft report, with its computed achievement."""

    no: str
    indikator: str
    satuan: str
    polaritas: str
    target: float | None
    realisasi: float | None
    capaian: float | None  # percent
    kategori: str  # "Sangat Tinggi", ... or "-" when it cannot be computed
    pagu: float | None
    realisasi_anggaran: float | None
    capaian_anggaran: float | None  # percent
    faktor_pendorong: str = ""
    faktor_penghambat: str = ""
    tindak_lanjut: str = ""
    # the realisation of the year's earlier periods, in order (Report.periode_sebelumnya)
    sebelumnya: list[float | None] = field(default_factory=list)
    target_tahunan: float | None = None


def _sum(values) -> float | None:
    vals = [v for v in values if v is not None]
    return sum(vals) if vals else None


@dataclass
class ReportUnit:
    unit: Unit
    rows: list[ReportUnitRow]
    capaian_rata: float | None  # mean achievement of the unit's indicators
    kategori: str
    status: str  # "diterima" | "tidak menyampaikan data"
    diterima: datetime | None = None
    versi_formulir: int | None = None
    terlambat: bool = False  # received after the collection deadline

    @property
    def pagu(self) -> float | None:
        return _sum(r.pagu for r in self.rows)

    @property
    def realisasi_anggaran(self) -> float | None:
        if self.status == "tidak menyampaikan data":
            return None
        return _sum(r.realisasi_anggaran for r in self.rows)

    @property
    def penyerapan(self) -> float | None:
        pagu, real = self.pagu, self.realisasi_anggaran
        return real / pagu * 100 if pagu and real is not None else None


@dataclass
class Report:
    """The draft report (konsep laporan), SPEC §6.4; also the base of the final report."""

    kantor: Office
    period: Period
    cycle_code: str
    version: int
    tanggal: date
    units: list[ReportUnit]  # every unit, those without data included (status says so)
    capaian_rata: float | None  # overall mean
    kategori: str
    penyusun: Official  # the Kasubag Perencanaan
    camat: Official
    sekretaris: Official
    catatan_revisi: list[str] = field(default_factory=list)  # notes that led to this version
    # plausibility warnings (SPEC §6.2), each
    # {"unit","unit_nama","no","indikator","kolom","nilai","pesan"}
    peringatan: list[dict] = field(default_factory=list)
    # labels of the year's earlier periods ("Triwulan I", ...), for ReportUnitRow.sebelumnya
    periode_sebelumnya: list[str] = field(default_factory=list)
    batas_waktu: datetime | None = None  # the collection deadline (late units are marked)


@dataclass
class Approval:
    """The e-mail approval recorded on the final report (evidence, not a certified signature)."""

    nama: str
    jabatan: str
    email: str
    waktu: datetime
    message_id: str  # kept for the archive; never printed (SPEC §6.5)
    langkah: str = ""  # e.g. "S6 Pengajuan konsep"
    versi: int | None = None  # the version the approval was given for
    rujukan: str = ""  # short reference to the archived reply: "Agenda masuk No. 14/2025"
    kode_ttd: bool = False  # given with the S11 signature code (the code is never printed)


@dataclass
class FinalReport:
    """What turns an approved draft into the final report (S11)."""

    kantor: Office
    period: Period
    cycle_code: str
    nomor: str  # register number of the final report
    tanggal: date
    penandatangan: Official  # the Camat
    approvals: list[Approval]  # in order: Sekretaris, Camat, ...
    source_version: int
    kode_verifikasi: str = (
        ""  # daemon.core.verification.verification_code(...) of the approved file
    )


@dataclass
class EmonevRow:
    """One indicator row of the e-Monev export (the quarterly Renja evaluation's columns)."""

    unit: str
    unit_nama: str
    program: str
    kegiatan: str
    sub_kegiatan: str
    indikator: str
    satuan: str
    target: float | None  # the indicator's annual (Renja) target
    realisasi_tw: tuple[float | None, float | None, float | None, float | None]
    capaian: float | None
    pagu: float | None
    realisasi_anggaran: float | None
    faktor_pendorong: str = ""
    faktor_penghambat: str = ""
    tindak_lanjut: str = ""
    target_periode: float | None = None  # the period's cumulative target (`target` is annual)
