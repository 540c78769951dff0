"""A simulated office of any size for `pantau demo --units N` (SPEC §7).

`scale_office(config_dir, n)` rewrites a freshly initialised office's `pantau.toml` ([[unit]]
tables) and `indikator.csv` so the office has `n` units: the five shipped ones first, then
realistic others (Seksi …, Nagari …, Kelurahan …, UPT …) with a head, an address and three or
four indicators each (annual and cumulative quarterly targets, pagu). Everything is derived from
a fixed seed, so two runs with the same N give the same office.
"""

from __future__ import annotations

import csv
import io
import random
import re
from pathlib import Path

SEKSI = [
    "Seksi Pelayanan Umum",
    "Seksi Ekonomi dan Pembangunan",
    "Seksi Perizinan dan Non Perizinan",
    "Seksi Kebudayaan dan Pariwisata",
    "Seksi Lingkungan Hidup",
]
NAGARI = [
    "Air Haji", "Punggasan", "Sungai Tunu", "Muara Kandis", "Lagan Hilir", "Lagan Mudik",
    "Padang XI", "Rantau Simalenang", "Koto Nan Tigo", "Inderapura", "Tapan", "Lunang",
    "Silaut", "Surantih", "Kambang", "Amping Parak", "Taluk", "Salido", "Painan", "Batang Kapas",
]
ARAH = ["", " Barat", " Timur", " Utara", " Selatan", " Tengah", " Tenggara", " Hilir", " Mudik",
        " Baru"]
KELURAHAN = ["Pasar Air Haji", "Pasar Baru", "Koto Baru", "Sawah Laweh", "Kampung Dalam",
             "Pasar Lamo", "Ganting", "Tanjung Durian"]
UPT = [
    "UPT Puskesmas Air Haji",
    "UPT Puskesmas Punggasan",
    "UPT Pendidikan Kecamatan",
    "UPT Penyuluhan Pertanian",
    "UPT Pasar Air Haji",
    "UPT Pelayanan Keluarga Berencana",
]
DEPAN = ["ANDI", "BUDI", "DEDI", "EKA", "FITRI", "GUSNELDI", "HARIANTO", "IRMA", "JONI", "KURNIA",
         "LENI", "MARDIANSYAH", "NOVRI", "OKTAVIA", "PUTRI", "RAHMAT", "SYAFRIL", "TAUFIK",
         "ULFA", "WIDIA", "YUSRIZAL", "ZULHENDRI", "ROSMAWATI", "AFRIZAL", "DESWITA"]
BELAKANG = ["SAPUTRA", "HIDAYAT", "RAHMAN", "YULIANTI", "PRATAMA", "SUSANTI", "EFENDI",
            "NOFRIANTI", "ANWAR", "MULYADI", "", "", ""]
GELAR = [", S.E", ", S.Sos", ", S.IP", ", S.Pd", ", A.Md", ", S.Kom", ", S.T", ", S.H", ""]

# (indikator, satuan, polaritas, annual target, pagu range in millions)
INDIKATOR = {
    "nagari": [
        ("Persentase dokumen administrasi kependudukan yang diverifikasi tepat waktu", "%",
         "positif", 100, (10, 40)),
        ("Jumlah musyawarah nagari yang difasilitasi", "kegiatan", "positif", 8, (5, 20)),
        ("Jumlah kasus gangguan ketenteraman dan ketertiban", "kasus", "negatif", 6, (3, 12)),
        ("Persentase realisasi Dana Desa yang dilaporkan tepat waktu", "%", "positif", 100,
         (15, 60)),
    ],
    "upt": [
        ("Persentase layanan yang diselesaikan sesuai standar pelayanan", "%", "positif", 95,
         (40, 250)),
        ("Jumlah laporan kegiatan yang disampaikan tepat waktu", "laporan", "positif", 12,
         (5, 25)),
        ("Jumlah pengaduan masyarakat yang belum ditindaklanjuti", "kasus", "negatif", 4,
         (2, 10)),
    ],
    "seksi": [
        ("Jumlah dokumen kajian dan rekomendasi yang disusun", "dokumen", "positif", 6,
         (15, 80)),
        ("Persentase permohonan layanan yang diproses tepat waktu", "%", "positif", 100,
         (20, 120)),
        ("Jumlah kegiatan pembinaan yang dilaksanakan", "kegiatan", "positif", 12, (25, 150)),
    ],
}
PROGRAM = {
    "nagari": ("Program Penyelenggaraan Pemerintahan dan Pelayanan Publik",
               "Koordinasi Penyelenggaraan Kegiatan Pemerintahan Desa",
               "Fasilitasi Penyelenggaraan Pemerintahan Nagari"),
    "upt": ("Program Penunjang Urusan Pemerintahan Daerah Kabupaten/Kota",
            "Peningkatan Pelayanan BLUD", "Pelayanan dan Penunjang Pelayanan"),
    "seksi": ("Program Penyelenggaraan Pemerintahan dan Pelayanan Publik",
              "Koordinasi Kegiatan Pemerintahan di Kecamatan",
              "Koordinasi Penyelenggaraan Pelayanan Umum"),
}


def extra_units(count: int, seed: int = 2025) -> list[dict]:
    """`count` realistic units beyond the shipped five, each with its indicators."""
    rnd = random.Random(seed)
    names: list[tuple[str, str]] = [(n, "seksi") for n in SEKSI]
    names += [(f"Kelurahan {n}", "nagari") for n in KELURAHAN]
    names += [(n, "upt") for n in UPT]
    nagari = [f"Nagari {base}{arah}" for arah in ARAH for base in NAGARI]
    # mix: mostly nagari, a seksi/kelurahan/UPT now and then, as a kecamatan's list reads
    pool: list[tuple[str, str]] = []
    others = list(names)
    for i, n in enumerate(nagari):
        if i % 4 == 1 and others:
            pool.append(others.pop(0))
        pool.append((n, "nagari"))
    pool += others
    used: set[str] = set()
    out = []
    for i in range(count):
        nama, kind = pool[i] if i < len(pool) else (f"Nagari Contoh {i + 1}", "nagari")
        kode = f"U{i + 1:03d}"
        kepala = f"{rnd.choice(DEPAN)} {rnd.choice(BELAKANG)}".strip() + rnd.choice(GELAR)
        if kind == "nagari":
            jabatan = ("Lurah " if nama.startswith("Kelurahan") else "Wali Nagari ") + nama.split(
                " ", 1)[1]
        elif kind == "upt":
            jabatan = f"Kepala {nama}"
        else:
            jabatan = f"Kepala {nama}"
        year = rnd.randint(1972, 1992)
        nip = (f"{year}{rnd.randint(1, 12):02d}{rnd.randint(1, 28):02d} "
               f"{year + rnd.randint(22, 30)}{rnd.randint(1, 12):02d} {rnd.randint(1, 2)} "
               f"{rnd.randint(1, 30):03d}")
        inds = []
        choices = INDIKATOR[kind]
        k = rnd.choice([3, 4]) if len(choices) > 3 else 3
        for no, (text, satuan, pol, target, (lo, hi)) in enumerate(choices[:k], 1):
            steps = [round(target * q / 4, 1) if satuan == "%" else max(1, round(target * q / 4))
                     for q in range(1, 5)]
            if satuan == "%":
                steps = [target] * 4  # a percentage is the same share all year
            inds.append({
                "no": no, "indikator": text, "satuan": satuan, "polaritas": pol,
                "target": target, "tw": steps, "pagu": rnd.randint(lo, hi) * 1_000_000,
            })
        assert kode not in used
        used.add(kode)
        out.append(
            {
                "kode": kode,
                "nama": nama,
                "kind": kind,
                "email": f"{kode.lower()}@kecamatan.test",
                "kepala": kepala,
                "nip": nip,
                "jabatan": jabatan,
                "indikator": inds,
            }
        )
    return out


_UNIT_BLOCK = re.compile(r"\[\[unit\]\]\n(?:(?![\[]).*\n)*")


def _toml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def scale_office(config_dir: Path, n: int, seed: int = 2025) -> None:
    """Make the office in `config_dir` (pantau.toml, indikator.csv) have `n` units."""
    if n < 1:
        raise ValueError("jumlah unit minimal 1")
    toml_path = config_dir / "pantau.toml"
    csv_path = config_dir / "indikator.csv"
    text = toml_path.read_text(encoding="utf-8")
    blocks = _UNIT_BLOCK.findall(text)
    keep = blocks[:n]
    extras = extra_units(max(0, n - len(blocks)), seed)
    new_blocks = list(keep)
    for u in extras:
        new_blocks.append(
            "[[unit]]\n"
            f"kode = {_toml_str(u['kode'])}\n"
            f"nama = {_toml_str(u['nama'])}\n"
            f"email = {_toml_str(u['email'])}\n"
            f"kepala = {{ nama = {_toml_str(u['kepala'])}, nip = {_toml_str(u['nip'])}, "
            f"jabatan = {_toml_str(u['jabatan'])} }}\n\n"
        )
    first = text.index(blocks[0])
    rest = text
    for b in blocks:
        rest = rest.replace(b, "", 1)
    text = rest[:first] + "".join(new_blocks) + rest[first:]
    toml_path.write_text(text, encoding="utf-8")

    kept_codes = {re.search(r'kode = "([^"]+)"', b).group(1) for b in keep}
    rows = list(csv.reader(io.StringIO(csv_path.read_text(encoding="utf-8"))))
    header, body = rows[0], [r for r in rows[1:] if r and r[0] in kept_codes]
    for u in extras:
        program, kegiatan, sub = PROGRAM[u["kind"]]
        for ind in u["indikator"]:
            body.append([
                u["kode"], str(ind["no"]), f"Meningkatnya kinerja {u['nama']}", program, kegiatan,
                sub, ind["indikator"], ind["satuan"], ind["polaritas"], str(ind["target"]),
                *[_num(x) for x in ind["tw"]], str(ind["pagu"]),
            ])
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(header)
    w.writerows(body)
    csv_path.write_text(out.getvalue(), encoding="utf-8")


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)
