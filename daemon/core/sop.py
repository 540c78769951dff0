"""The SOP as data: loads `config/sop.toml` into step definitions the engine interprets.

The shipped file reproduces the seed SOP's 13 rows. An office edits standards, actors and where
each answer leads in that file; the engine knows only the handful of step kinds (`jenis`).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from daemon.core.roles import Role
from daemon.core.worktime import Duration, parse_duration

KINDS = ("persetujuan", "otomatis", "kumpul", "rute", "rapat", "unggah")
ACTORS = tuple(Role)  # who may act in a step (`pelaksana`, `rute`)
ACTIONS = (
    "buat_format",
    "kirim_format",
    "susun_konsep",
    "kirim_undangan",
    "terbitkan_final",
    "kirim_pengantar",
    "buat_emonev",
)
END = "selesai"

# The subject (`perihal`) of each step's letter, for an office whose sop.toml predates the
# `perihal` key (the shipped sop.toml states each one): by `tujuan_surat`, else by `aksi`.
# `{periode}` is the period's label ("Triwulan III Tahun 2025"), `{versi}` the draft's version.
DEFAULT_PERIHAL = {
    "perintah": "Permohonan Perintah Pelaksanaan Pemantauan Kinerja {periode}",
    "konsep": "Konsep Laporan Pemantauan Kinerja {periode} (Versi {versi})",
    "ajukan_konsep": "Penyampaian Konsep Laporan Pemantauan Kinerja {periode} (Versi {versi})",
    "koreksi": "Permohonan Koreksi Laporan Pemantauan Kinerja {periode} (Versi {versi})",
    "tanda_tangan": "Permohonan Penandatanganan Laporan Pemantauan Kinerja {periode}",
    "emonev": "Data Kinerja {periode} untuk Entri e-Monev dan e-Project",
    "kirim_format": "Permintaan Data Pemantauan Kinerja {periode}",
    "kirim_undangan": "Undangan Rapat Pembahasan Pemantauan Kinerja {periode}",
    "kirim_pengantar": "Penyampaian Laporan Pemantauan Kinerja {periode}",
}


class SopError(Exception):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("SOP tidak valid:\n" + "\n".join(f"- {p}" for p in problems))


@dataclass(frozen=True)
class StepDef:
    id: str
    key: str
    uraian: str
    pelaksana: str
    standar_text: str
    standar: Duration
    keluaran: str
    jenis: str
    aksi: str = ""
    aksi_setuju: str = ""
    surat: str = ""
    tujuan_surat: str = ""
    dari: str = ""
    lampiran: str = ""
    lanjut: str = ""
    setuju: str = ""
    revisi: str = ""
    dokumen: str = ""
    pdf: str = ""
    lewati_jika: str = ""
    tinjau_jika: str = ""
    rute: tuple[str, ...] = ()
    usul_jadwal: str = ""
    kata_selesai: bool = False
    perihal: str = ""  # the letter's subject: {periode}, {versi} (DEFAULT_PERIHAL when not given)

    @property
    def next_on_approve(self) -> str:
        return self.setuju or self.lanjut


@dataclass(frozen=True)
class Sop:
    nama: str
    nomor: str
    steps: tuple[StepDef, ...]
    atasan: dict[str, str] = field(default_factory=dict)

    def step(self, step_id: str) -> StepDef:
        for s in self.steps:
            if s.id == step_id:
                return s
        raise KeyError(step_id)

    def by_key(self, key: str) -> StepDef:
        for s in self.steps:
            if s.key == key:
                return s
        raise KeyError(key)

    def index(self, step_id: str) -> int:
        return [s.id for s in self.steps].index(step_id)

    @property
    def first(self) -> StepDef:
        return self.steps[0]


def load_sop(path: str | Path) -> Sop:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise SopError([f"{path}: tidak dapat dibaca: {e}"]) from None
    return parse_sop(data)


def parse_sop(data: dict) -> Sop:
    problems: list[str] = []
    steps: list[StepDef] = []
    raw_steps = data.get("langkah")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise SopError(["langkah: belum ada [[langkah]]"])
    fields = StepDef.__dataclass_fields__
    for i, raw in enumerate(raw_steps, 1):
        where = f"langkah[{i}]"
        if not isinstance(raw, dict):
            problems.append(f"{where}: diharapkan tabel [[langkah]]")
            continue
        sid = raw.get("id", "")
        where = f"langkah {sid or i}"
        unknown = set(raw) - set(fields) - {"id", "kunci", "standar"}
        if unknown:
            problems.append(f"{where}: kunci tidak dikenal: {', '.join(sorted(unknown))}")
        try:
            dur = parse_duration(str(raw.get("standar", "")))
        except ValueError as e:
            problems.append(f"{where}.standar: {e}")
            dur = Duration(0, 0)
        jenis = raw.get("jenis", "")
        if jenis not in KINDS:
            problems.append(
                f"{where}.jenis: {jenis!r} tidak dikenal; "
                f"diharapkan salah satu dari {', '.join(KINDS)}"
            )
        if raw.get("pelaksana") not in ACTORS:
            problems.append(
                f"{where}.pelaksana: {raw.get('pelaksana')!r} tidak dikenal; "
                f"diharapkan salah satu dari {', '.join(ACTORS)}"
            )
        for a in ("aksi", "aksi_setuju"):
            if raw.get(a) and raw[a] not in ACTIONS:
                problems.append(
                    f"{where}.{a}: {raw[a]!r} tidak dikenal; "
                    f"diharapkan salah satu dari {', '.join(ACTIONS)}"
                )
        for required in ("kunci", "uraian"):
            if not raw.get(required):
                problems.append(f"{where}.{required}: belum diisi")
        kwargs = {k: v for k, v in raw.items() if k in fields and k not in ("id", "standar")}
        kwargs.setdefault("uraian", "")
        kwargs.setdefault("keluaran", "")
        kwargs["rute"] = tuple(raw.get("rute", ()))
        perihal = str(raw.get("perihal") or DEFAULT_PERIHAL.get(str(raw.get("tujuan_surat", "")))
                      or DEFAULT_PERIHAL.get(str(raw.get("aksi", ""))) or "")
        try:
            perihal.format(periode="", versi=0)
        except (KeyError, IndexError, ValueError) as e:
            problems.append(f"{where}.perihal: {perihal!r} tidak dapat diisi ({e}); gunakan "
                            "{periode} dan {versi} saja")
        kwargs["perihal"] = perihal
        steps.append(
            StepDef(
                id=str(sid),
                key=str(raw.get("kunci", "")),
                standar_text=str(raw.get("standar", "")),
                standar=dur,
                **{k: v for k, v in kwargs.items() if k not in ("kunci",)},
            )
        )
    ids = [s.id for s in steps]
    if len(set(ids)) != len(ids):
        problems.append("langkah: ada id langkah yang dipakai lebih dari sekali")
    for s in steps:
        for attr in ("lanjut", "setuju", "dokumen", "pdf"):
            target = getattr(s, attr)
            if target and target != END and target not in ids:
                problems.append(f"langkah {s.id}.{attr}: menuju langkah {target!r} yang tidak ada")
        if s.revisi and s.jenis != "rute" and s.revisi not in ids:
            problems.append(f"langkah {s.id}.revisi: menuju langkah {s.revisi!r} yang tidak ada")
        if s.jenis == "rute" and not s.rute:
            problems.append(f'langkah {s.id}.rute: jenis "rute" memerlukan daftar pejabat')
        if s.jenis in ("persetujuan", "rute", "rapat") and not s.next_on_approve:
            problems.append(f"langkah {s.id}: belum ada `setuju` (ke mana setelah disetujui)")
    if problems:
        raise SopError(problems)
    return Sop(
        nama=data.get("nama", "Pemantauan Kinerja"),
        nomor=data.get("nomor", ""),
        steps=tuple(steps),
        atasan=dict(data.get("atasan", {})),
    )
