"""Sample data for every document, and a template check built on it.

`check_templates(templates_dir)` renders every template (each letter kind and nota dinas purpose,
the form, the report) from these samples into a temporary folder and returns the problems found,
in Indonesian: what `pantau check` runs after an office edits its templates, and what the tests
render. The samples are the office of the SOP (Kecamatan Linggo Sari Baganti).
"""

from __future__ import annotations

import os
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from daemon.core.model import Indicator, Office, Official, Period, Unit
from daemon.documents.contexts import (
    Approval,
    FinalReport,
    FormSpec,
    Letter,
    Meeting,
    PengantarItem,
    Report,
    ReportUnit,
    ReportUnitRow,
    StepTiming,
)

WIB = ZoneInfo("Asia/Jakarta")

OFFICE = Office(
    nama="Kecamatan Linggo Sari Baganti",
    kabupaten="Kabupaten Pesisir Selatan",
    alamat="Jl. Raya Painan-Tapan, Air Haji",
    kota="Air Haji",
    kode_unit="Kec-LSB",
)
CAMAT = Official(
    "RIKA MARTA, S.E",
    "Camat Linggo Sari Baganti",
    "19861026 201001 2 009",
    "Pembina (IV/a)",
    "camat@kecamatan.test",
)
SEKRETARIS = Official(
    "Drs. ANDI SAPUTRA",
    "Sekretaris Camat",
    "19750312 199803 1 004",
    "Pembina (IV/a)",
    "sekretaris@kecamatan.test",
)
KASUBAG = Official(
    "SITI AMINAH, S.Sos",
    "Kepala Subbagian Perencanaan dan Keuangan",
    "19880215 201101 2 003",
    "Penata (III/c)",
    "kasubag@kecamatan.test",
)
UNITS = [
    Unit("SEK", "Sekretariat", "sekretariat@kecamatan.test", SEKRETARIS),
    Unit(
        "PEM",
        "Seksi Pemerintahan",
        "seksi1@kecamatan.test",
        Official("BUDI HARTONO, S.IP", "Kepala Seksi Pemerintahan", "19800101 200501 1 001"),
    ),
    Unit(
        "KES",
        "Seksi Kesejahteraan Sosial",
        "seksi2@kecamatan.test",
        Official("YULI ASTUTI, S.Pd", "Kepala Seksi Kesejahteraan Sosial", "19820505 200604 2 002"),
    ),
]
PERIOD = Period.parse("2025-TW3")


def indicators(unit: str = "PEM", n: int = 3) -> list[Indicator]:
    names = [
        "Persentase penyelesaian administrasi kependudukan tepat waktu",
        "Jumlah desa yang dibina dalam penyelenggaraan pemerintahan",
        "Persentase sengketa batas desa yang diselesaikan",
        "Angka pengaduan masyarakat yang tidak ditindaklanjuti",
    ]
    out = []
    for i in range(n):
        out.append(
            Indicator(
                unit=unit,
                no=str(i + 1),
                sasaran="Meningkatnya kualitas pelayanan",
                program="Program Penyelenggaraan Pemerintahan dan Pelayanan Publik",
                kegiatan="Penyelenggaraan Urusan Pemerintahan Umum",
                sub_kegiatan="Koordinasi Penyelenggaraan Kegiatan Pemerintahan di Kecamatan",
                indikator=names[i % len(names)] + ("" if i < len(names) else f" ({i + 1})"),
                satuan=["%", "desa", "%", "kasus"][i % 4],
                polaritas="negatif" if i % 4 == 3 else "positif",
                target=[90.0, 1234.0, 75.5, 5.0][i % 4],
                target_tw=(None, None, [85.0, 1234.0, 60.0, 5.0][i % 4], None),
                pagu=125_000_000.0 if i % 2 == 0 else None,
            )
        )
    return out


def meeting() -> Meeting:
    start = datetime(2025, 10, 20, 9, 0, tzinfo=WIB)
    return Meeting(
        start,
        start + timedelta(hours=6),
        "Aula Kantor Camat",
        "Rapat Pembahasan Pemantauan Kinerja Triwulan III Tahun 2025",
        "pantau@kecamatan.test",
        ["camat@kecamatan.test", "sekretaris@kecamatan.test"],
        "pk-2025-tw3-rapat@kecamatan.test",
    )


def letter(kind: str = "permintaan_data", purpose: str = "") -> Letter:
    base = dict(
        kantor=OFFICE,
        period=PERIOD,
        nomor="000.8.6.3/15/Kec-LSB/2025",
        tanggal=date(2025, 1, 10),
        cycle_code=PERIOD.cycle_code,
        version=2,
    )
    if kind == "permintaan_data":
        return Letter(
            kind,
            **base,
            hal="Permintaan Data Pemantauan Kinerja Triwulan III Tahun 2025",
            kepada=[u.kepala.jabatan for u in UNITS],
            penandatangan=CAMAT,
            lampiran="1 (satu) berkas",
            tembusan=["Sekretaris Camat"],
            batas_waktu=datetime(2025, 10, 10, 16, 0, tzinfo=WIB),
            balas_ke="pantau@kecamatan.test",
        )
    if kind == "nota_dinas":
        return Letter(
            kind,
            **base,
            hal="Konsep Laporan Pemantauan Kinerja",
            purpose=purpose,
            kepada=[CAMAT.jabatan],
            penandatangan=KASUBAG,
            dari=KASUBAG,
            lampiran="1 (satu) berkas",
            catatan=["Data Seksi Trantib menyusul."],
            rapat=meeting() if purpose == "ajukan_konsep" else None,
        )
    if kind == "undangan":
        return Letter(
            kind,
            **base,
            hal="Undangan Rapat Pembahasan Pemantauan Kinerja",
            kepada=["Sekretaris Camat", "Para Kepala Seksi"],
            penandatangan=CAMAT,
            sifat="Segera",
            tembusan=["Bupati Pesisir Selatan"],
            rapat=meeting(),
        )
    if kind == "pengantar":
        return Letter(
            kind,
            **base,
            hal="Pengiriman Laporan Pemantauan Kinerja",
            kepada=[KASUBAG.jabatan],
            penandatangan=SEKRETARIS,
            atas_nama="a.n. Camat Linggo Sari Baganti",
            items=[
                PengantarItem(
                    1,
                    "Laporan Pemantauan Kinerja Triwulan III Tahun 2025",
                    "1 (satu) berkas",
                    "Disampaikan dengan hormat untuk dientri pada aplikasi e-Monev",
                )
            ],
            tembusan=["Camat Linggo Sari Baganti"],
        )
    if kind == "ringkasan":
        return Letter(
            kind,
            **base,
            hal="Ringkasan Ketepatan Waktu Pemantauan Kinerja",
            kepada=[CAMAT.jabatan, SEKRETARIS.jabatan],
            penandatangan=KASUBAG,
            ringkasan=[
                StepTiming("S1", "Memerintahkan pemantauan kinerja", "10 menit", "5 menit", True),
                StepTiming("S4", "Mengumpulkan data", "3 hari", "4 hari", False),
                StepTiming("S9", "Menyesuaikan laporan", "1 hari", "-", None),
            ],
        )
    raise ValueError(kind)


def form_spec(n: int = 3, unit: Unit = UNITS[1]) -> FormSpec:
    return FormSpec(
        OFFICE,
        PERIOD,
        PERIOD.cycle_code,
        unit,
        indicators(unit.kode, n),
        datetime(2025, 10, 10, 16, 0, tzinfo=WIB),
        "pantau@kecamatan.test",
        "[PK-2025-TW3] [#AB12-CD34] Permintaan Data Pemantauan Kinerja",
        1,
    )


def report(rows_per_unit: int = 3, n_units: int = 3) -> Report:
    units = []
    for k in range(n_units):
        unit = (
            UNITS[k % len(UNITS)]
            if k < len(UNITS)
            else Unit(f"U{k}", f"Seksi Contoh {k}", f"u{k}@kecamatan.test", KASUBAG)
        )
        if k == n_units - 1 and n_units > 1:
            units.append(ReportUnit(unit, [], None, "-", "tidak menyampaikan data"))
            continue
        rows = [
            ReportUnitRow(
                str(i + 1),
                f"Indikator kinerja {unit.kode} nomor {i + 1}",
                "%",
                "positif",
                100.0,
                80.0 + i % 20,
                80.0 + i % 20,
                "Tinggi" if i % 20 < 11 else "Sangat Tinggi",
                1_500_000.0 * (i + 1),
                1_234_500.0 * (i + 1),
                82.3,
                "Dukungan perangkat desa & warga",
                "Keterbatasan <anggaran>",
                "Koordinasi lanjutan",
            )
            for i in range(rows_per_unit)
        ]
        units.append(
            ReportUnit(
                unit, rows, 85.5, "Tinggi", "diterima", datetime(2025, 10, 8, 10, 0, tzinfo=WIB), 1
            )
        )
    return Report(
        OFFICE,
        PERIOD,
        PERIOD.cycle_code,
        2,
        date(2025, 10, 14),
        units,
        85.5,
        "Tinggi",
        KASUBAG,
        CAMAT,
        SEKRETARIS,
        ["Perbaiki satuan indikator 2."],
    )


def final() -> FinalReport:
    return FinalReport(
        OFFICE,
        PERIOD,
        PERIOD.cycle_code,
        "000.8.6.3/21/Kec-LSB/2025",
        date(2025, 10, 24),
        CAMAT,
        [
            Approval(
                SEKRETARIS.nama,
                SEKRETARIS.jabatan,
                SEKRETARIS.email,
                datetime(2025, 10, 23, 10, 15, tzinfo=WIB),
                "<a1b2@kecamatan.test>",
                "S6 Pengajuan konsep",
                2,
                "Agenda masuk No. 14/2025",
            ),
            Approval(
                CAMAT.nama,
                CAMAT.jabatan,
                CAMAT.email,
                datetime(2025, 10, 24, 8, 5, tzinfo=WIB),
                "<c3d4@mail.test>",
                "S11 Penandatanganan",
                2,
                "Agenda masuk No. 16/2025",
            ),
        ],
        2,
    )


LETTER_SAMPLES = [
    ("permintaan_data", ""),
    *[
        ("nota_dinas", p)
        for p in ("perintah", "konsep", "ajukan_konsep", "koreksi", "tanda_tangan", "emonev")
    ],
    ("undangan", ""),
    ("pengantar", ""),
    ("ringkasan", ""),
]


def check_templates(templates_dir: str | os.PathLike[str]) -> list[str]:
    """Render every template from the samples; return the problems (empty when all render)."""
    from daemon.documents.forms import build_form
    from daemon.documents.letters import render_letter
    from daemon.documents.report import render_report

    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="pantau-cek-") as tmp:
        out = Path(tmp)
        jobs = [
            (
                f"surat {k} {p}".strip(),
                lambda k=k, p=p: render_letter(letter(k, p), templates_dir, out / f"{k}-{p}.docx"),
            )
            for k, p in LETTER_SAMPLES
        ]
        jobs.append(("formulir", lambda: build_form(form_spec(), templates_dir, out / "f.docx")))
        jobs.append(
            ("laporan", lambda: render_report(report(), templates_dir, out / "l.docx", out))
        )
        for name, job in jobs:
            try:
                job()
            except Exception as exc:  # noqa: BLE001 - reported to the operator
                problems.append(f"templat {name} gagal dibuat: {type(exc).__name__}: {exc}")
    return problems
