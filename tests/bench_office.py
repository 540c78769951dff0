"""The benchmark's office and its mail: a kabupaten-sized office on the private Postfix + Dovecot
stack, its cycle started, and the units' replies written the way people write them.

The office (see tests/bench.py for why this shape): `units` answering units (`kotak001`...
mailboxes of the stack, so acknowledgements really arrive) plus one unit that never answers, so
the collection step stays open and every reply is a real form submission that Pantau accepts
(no draft recompiles in the middle of the measurement). Each unit has `indicators` indicators in
the master. The office has a logo (kantor.logo), so every form Pantau sends carries it, as real
offices' forms do; with longer factor texts this makes a filled form ~60 KB.

Replies answer the request e-mail (In-Reply-To, References, the subject with its token), from the
unit's own address, with the unit's own form filled in with python-docx (as the demo's people
do): realisasi, realisasi anggaran, and a few sentences of faktor pendorong / penghambat /
tindak lanjut. Version v of a unit's form has slightly different values (a corrected form).
"""

from __future__ import annotations

import io
import json
import math
import os
import random
import re
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path

from tests.dkimkeys import sign, use_dkim
from tests.offices import copy_of, new_office

ROOT = Path(__file__).resolve().parents[1]
PERIOD = "2025-TW3"
CYCLE = "PK-2025-TW3"
NOW = "2025-10-06T08:00:00+07:00"  # Senin, a working morning: the office clock's start
SECRET = "rahasia-bench"
SILENT = "LAMBAT"  # the unit that never answers (keeps the collection step open)

_OPD = (
    "Dinas Pendidikan dan Kebudayaan", "Dinas Kesehatan", "Dinas Pekerjaan Umum dan Penataan Ruang",
    "Dinas Sosial", "Dinas Kependudukan dan Pencatatan Sipil", "Dinas Pertanian",
    "Dinas Perikanan", "Dinas Koperasi dan UKM", "Dinas Perhubungan", "Dinas Lingkungan Hidup",
    "Badan Perencanaan Pembangunan Daerah", "Badan Keuangan Daerah", "Inspektorat",
    "Satuan Polisi Pamong Praja", "Kecamatan", "Puskesmas", "UPT Pendidikan", "Kelurahan",
)  # fmt: skip
_INDICATORS = (
    ("Persentase dokumen perencanaan yang tersusun tepat waktu", "%", 100),
    ("Jumlah laporan kinerja yang disampaikan tepat waktu", "laporan", 4),
    ("Persentase pengaduan masyarakat yang ditindaklanjuti", "%", 90),
    ("Jumlah kegiatan pembinaan yang dilaksanakan", "kegiatan", 12),
    ("Persentase layanan administrasi yang selesai sesuai standar", "%", 95),
    ("Jumlah desa/kelurahan yang mendapat pendampingan", "desa", 18),
    ("Indeks kepuasan masyarakat terhadap layanan", "indeks", 82.5),
    ("Persentase realisasi anggaran kegiatan", "%", 92),
)
_PENDORONG = (
    "Dukungan aparatur nagari dan koordinasi yang baik dengan perangkat daerah terkait; jadwal "
    "kegiatan disusun sejak awal triwulan sehingga pelaksanaan dapat dipantau setiap minggu. "
    "Tersedianya data dasar yang mutakhir dari tahun sebelumnya memudahkan penyusunan laporan."
)
_PENGHAMBAT = (
    "Keterbatasan anggaran operasional dan jumlah tenaga teknis di lapangan; sebagian wilayah "
    "sulit dijangkau pada musim hujan sehingga beberapa kegiatan pendampingan harus dijadwalkan "
    "ulang. Jaringan internet di beberapa desa belum stabil untuk pelaporan daring."
)
_TINDAK = (
    "Meningkatkan koordinasi lintas sektor melalui rapat evaluasi bulanan, mengusulkan tambahan "
    "anggaran operasional pada perubahan APBD, dan menyusun jadwal kunjungan lapangan yang "
    "memperhitungkan musim hujan."
)


@dataclass
class BenchUnit:
    kode: str
    nama: str
    email: str
    user: str  # the stack's mailbox name


@dataclass
class BenchOffice:
    dir: Path
    cfg: Path
    units: list[BenchUnit]  # the answering units (the silent one is not listed)

    @property
    def db(self) -> Path:
        return self.dir / "var" / "pantau.db"


def office_env(stack, epoch: float) -> dict[str, str]:
    """The environment every Pantau process of one bench run shares (one office timeline)."""
    return {
        "PANTAU_NOW": NOW,
        "PANTAU_EPOCH": repr(epoch),
        "PANTAU_SECRET": SECRET,
        "PANTAU_IMAP_PASSWORD": stack.password,
        "PANTAU_SMTP_PASSWORD": "",
    }


# --------------------------------------------------------------------------- the office


def make_logo(path: Path) -> None:
    """A kabupaten emblem-like logo (PNG, ~15-25 KB): what offices put in their letterhead."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.patches import Circle, Polygon, RegularPolygon

    fig = Figure(figsize=(2.2, 2.6), dpi=150)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.18)
    ax.axis("off")
    ax.add_patch(Polygon([(0.05, 1.1), (0.95, 1.1), (0.95, 0.45), (0.5, 0.03), (0.05, 0.45)],
                         closed=True, facecolor="#0b5d1e", edgecolor="#d4a017", linewidth=4))
    ax.add_patch(Circle((0.5, 0.68), 0.28, facecolor="#f2f2f2", edgecolor="#d4a017", linewidth=2))
    ax.add_patch(RegularPolygon((0.5, 0.68), 5, radius=0.18, facecolor="#d4a017"))
    for i in range(17):  # padi (rice grains) around the star
        a = math.pi * (0.15 + 0.7 * i / 16)
        ax.plot([0.5 + 0.21 * math.cos(a)], [0.68 - 0.21 * math.sin(a)], "o", color="#c9a227",
                markersize=3)
    ax.text(0.5, 0.28, "PESISIR SELATAN", ha="center", va="center", color="white", fontsize=9,
            fontweight="bold")
    ax.text(0.5, 1.0, "KABUPATEN", ha="center", va="center", color="#d4a017", fontsize=8)
    fig.savefig(path, format="png")


def _set_in_section(text: str, section: str, **values: str) -> str:
    head = f"[{section}]\n"
    start = text.index(head) + len(head)
    end = text.find("\n[", start)
    end = len(text) if end < 0 else end
    body = text[start:end]
    for key, value in values.items():
        body, n = re.subn(rf"(?m)^#?\s*{key}\s*=.*$", f"{key} = {value}", body)
        assert n == 1, (section, key)
    return text[:start] + body + text[end:]


def write_office(target: Path, stack, units: int, indicators: int) -> BenchOffice:
    """A fresh office directory: config (units, IMAP/SMTP on the stack, logo), templates,
    indicator master."""
    if target.exists():
        shutil.rmtree(target)
    new_office(target)  # as `pantau init` makes it (tests/offices.py)
    make_logo(target / "config" / "logo.png")
    pool = [f"kotak{i:03d}" for i in range(1, 201)]
    bench_units = []
    for i in range(units):
        user = pool[i] if i < len(pool) else f"unit{i + 1:04d}"  # beyond the pool: no mailbox
        nama = f"{_OPD[i % len(_OPD)]} {i // len(_OPD) + 1}"
        bench_units.append(BenchUnit(f"U{i + 1:03d}", nama, f"{user}@kecamatan.test", user))
    blocks = []
    everyone = [
        *bench_units,
        BenchUnit(SILENT, "Dinas Yang Terlambat", "trantib@kecamatan.test", "trantib"),
    ]
    for i, u in enumerate(everyone, 1):
        blocks.append(
            f'[[unit]]\nkode = "{u.kode}"\nnama = "{u.nama}"\nemail = "{u.email}"\n'
            f'kepala = {{ nama = "KEPALA {u.kode}", nip = "19800101 200501 1 {i % 1000:03d}",'
            f' jabatan = "Kepala {u.nama}" }}\n'
        )
    text = (target / "config" / "pantau.toml").read_text()
    first = text.index("[[unit]]")
    after = text.index("[undangan]")
    text = text[:first] + "\n".join(blocks) + "\n" + text[after:]
    text = text.replace('transport = "maildir"', 'transport = "imap"')
    text = _set_in_section(text, "kantor", logo='"config/logo.png"')
    text = _set_in_section(text, "mail.imap", port=str(stack.imap_port), keamanan='"none"',
                           username='"pantau"')
    text = _set_in_section(text, "mail.smtp", port=str(stack.smtp_port), keamanan='"none"',
                           username='""')
    text = _set_in_section(text, "jadwal", perintah_otomatis="true")
    cfg = target / "config" / "pantau.toml"
    cfg.write_text(text)
    use_dkim(cfg, ["kecamatan.test"])  # every form counts only with a valid DKIM signature
    # The indicator master: `indicators` rows per unit (the silent unit too).
    import csv

    with (target / "config" / "indikator.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["unit", "no", "sasaran", "program", "kegiatan", "sub_kegiatan", "indikator",
                    "satuan", "polaritas", "target", "target_tw1", "target_tw2", "target_tw3",
                    "target_tw4", "pagu"])
        for u in [*(x.kode for x in bench_units), SILENT]:
            for k in range(indicators):
                name, satuan, annual = _INDICATORS[k % len(_INDICATORS)]
                tw = [round(annual * q / 4, 1) if satuan not in ("%", "indeks") else annual
                      for q in (1, 2, 3, 4)]
                w.writerow(
                    [
                        u,
                        k + 1,
                        "Meningkatnya kualitas tata kelola pemerintahan",
                        "Program Penunjang Urusan Pemerintahan Daerah",
                        "Perencanaan, Penganggaran, dan Evaluasi Kinerja",
                        f"Sub kegiatan {k + 1}",
                        f"{name} ({k + 1})" if k >= len(_INDICATORS) else name,
                        satuan,
                        "positif",
                        annual,
                        *tw,
                        25_000_000 * (k + 1),
                    ]
                )
    return BenchOffice(target, cfg, bench_units)


def start_cycle(office: BenchOffice) -> str:
    """Start the cycle in-process (S1 is skipped: perintah_otomatis): forms are rendered and the
    request e-mails queued in the outbox. Needs office_env() in os.environ."""
    from daemon.config import load_config
    from daemon.shell.office import OfficeApp

    app = OfficeApp(load_config(office.cfg))
    try:
        code = app.start_cycle(PERIOD)
        st = app.store.load_cycle(code)
        assert st.current == "S4", st.current
        return code
    finally:
        app.close()


@dataclass
class Request:
    unit: str
    message_id: str
    subject: str
    form: bytes
    form_name: str
    sender_name: str  # the unit head's name


def requests(office: BenchOffice) -> dict[str, Request]:
    """The request e-mail each unit got (from the outbox rows and their .eml files)."""
    db = sqlite3.connect(f"file:{office.db}?mode=ro", uri=True)
    db.row_factory = sqlite3.Row
    rows = db.execute(
        "SELECT o.message_id, o.path, t.unit FROM outbox o JOIN tasks t ON t.key = o.task"
        " WHERE t.purpose = 'form' AND o.kind LIKE 'surat:%'"
    ).fetchall()
    db.close()
    out = {}
    for r in rows:
        msg = message_from_bytes(Path(r["path"]).read_bytes(), policy=policy.default)
        form = next(p for p in msg.iter_attachments()
                    if (p.get_filename() or "").startswith("Formulir-Pemantauan"))
        out[r["unit"]] = Request(r["unit"], r["message_id"], str(msg["Subject"]),
                                 form.get_content(), form.get_filename(), f"Kepala {r['unit']}")
    return out


# --------------------------------------------------------------------------- filling forms


def fill_form(form: bytes, version: int, seed: int) -> bytes:
    """The unit's form filled in with python-docx, as a person does in Word (version v: a
    corrected form, slightly different values)."""
    from docx import Document

    rnd = random.Random(seed * 100 + version)
    doc = Document(io.BytesIO(form))
    table = next(t for t in doc.tables if "Realisasi" in " ".join(c.text for c in t.rows[0].cells))
    head = [c.text.strip() for c in table.rows[0].cells]
    col = {h: i for i, h in enumerate(head)}
    for i, row in enumerate(table.rows[1:]):
        cells = row.cells
        target_text = cells[col["Target"]].text.strip().replace(".", "").replace(",", ".")
        try:
            target = float(target_text)
        except ValueError:
            continue
        real = round(target * rnd.uniform(0.7, 1.05), 1)
        cells[col["Realisasi"]].text = f"{real:.1f}".replace(".", ",")
        cells[col["Realisasi Anggaran (Rp)"]].text = (
            f"Rp {int(25_000_000 * (i + 1) * rnd.uniform(0.6, 0.95)):,}".replace(",", "."))
        cells[col["Faktor Pendorong"]].text = _PENDORONG
        cells[col["Faktor Penghambat"]].text = _PENGHAMBAT if i % 2 else _PENGHAMBAT[:120]
        cells[col["Tindak Lanjut"]].text = _TINDAK + (
            f" (perbaikan ke-{version - 1})" if version > 1 else ""
        )
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def reply(unit: BenchUnit, req: Request, form: bytes, version: int, n: int,
          extra: list[tuple[str, bytes, str]] = ()) -> bytes:
    """A unit's reply to its request e-mail: Gmail, Thunderbird or Outlook style, the filled form
    attached (plus `extra` attachments: (name, data, content type))."""
    r = EmailMessage()
    r["From"] = formataddr((f"Kepala {unit.nama}", unit.email))
    r["To"] = "Pantau Kinerja Kecamatan <pantau@kecamatan.test>"
    r["Subject"] = "Re: " + req.subject
    r["Message-ID"] = f"<bench.{unit.kode}.v{version}.{n}@{unit.email.split('@')[1]}>"
    r["In-Reply-To"] = f"<{req.message_id}>"
    r["References"] = f"<{req.message_id}>"
    r["Date"] = format_datetime(datetime.fromisoformat(NOW))
    text = (
        "Terlampir data kinerja kami."
        if version == 1
        else f"Mohon maaf, berikut formulir yang sudah diperbaiki (perbaikan ke-{version - 1})."
    )
    quoted = (
        "Yth. Kepala Unit,\n\nBersama ini kami sampaikan formulir pemantauan kinerja "
        "Triwulan III Tahun 2025.\nMohon diisi dan dikirim kembali dengan membalas e-mail ini."
    )
    style = n % 3
    if style == 0:  # Gmail in Indonesian
        head = (
            "Pada Sen, 6 Okt 2025 pukul 08.00 Pantau Kinerja Kecamatan <pantau@kecamatan.test>\n"
            "menulis:"
        )
        r.set_content(
            f"{text}\n\n{head}\n" + "\n".join("> " + x for x in quoted.splitlines()) + "\n"
        )
    elif style == 1:  # Thunderbird
        head = "Pada 06/10/25 08.00, Pantau Kinerja Kecamatan menulis:"
        r.set_content(
            f"{text}\n\n{head}\n" + "\n".join("> " + x for x in quoted.splitlines()) + "\n"
        )
    else:  # Outlook: text and HTML, a header block
        block = (
            "Dari: Pantau Kinerja Kecamatan <pantau@kecamatan.test>\nDikirim: Senin, 06 Oktober "
            "2025 "
            f"08.00\nKepada: {unit.email}\nSubjek: {req.subject}"
        )
        r.set_content(f"{text}\n\n________________________________\n{block}\n\n{quoted}\n")
        r.add_alternative(
            f'<html><body><div>{text}</div><div id="divRplyFwdMsg"><hr><b>Dari:</b> '
            f"Pantau<br><b>Subjek:</b> {req.subject}</div><div>{quoted}</div></body></html>",
            subtype="html",
        )
    r.add_attachment(form, maintype="application",
                     subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
                     filename=req.form_name)
    for name, data, ctype in extra:
        main, sub = ctype.split("/", 1)
        r.add_attachment(data, maintype=main, subtype=sub, filename=name)
    return sign(bytes(r), unit.email.rpartition("@")[2])  # as the office's server signs it


def _fill_job(args: tuple[bytes, int, int]) -> bytes:
    return fill_form(*args)


def build_replies(office: BenchOffice, reqs: dict[str, Request], versions: int,
                  processes: int = 2) -> list[tuple[str, int, bytes]]:
    """(unit email, version, raw) for every unit and version: round v has every unit's v-th form
    (units correct their forms after the first round of acknowledgements)."""
    jobs = [(reqs[u.kode].form, v, i) for v in range(1, versions + 1)
            for i, u in enumerate(office.units)]
    if processes > 1 and len(jobs) > 8:
        import multiprocessing

        with multiprocessing.get_context("fork").Pool(processes) as pool:
            forms = pool.map(_fill_job, jobs, chunksize=8)
    else:
        forms = [_fill_job(j) for j in jobs]
    out = []
    n = 0
    for v in range(1, versions + 1):
        for u in office.units:
            out.append((u.email, v, reply(u, reqs[u.kode], forms[n], v, n)))
            n += 1
    return out


def append_to_inbox(stack, user: str, raws: list[bytes], folder: str = "INBOX") -> None:
    """Put messages straight into a mailbox (IMAP APPEND), as if delivered while Pantau was away."""
    c = stack.imap(user)
    try:
        for raw in raws:
            c.append(folder, raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    finally:
        c.logout()


def save_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def copy_office(src: BenchOffice, target: Path) -> BenchOffice:
    """A copy of an office (its database's file paths pointed at the copy's archive)."""
    if target.exists():
        shutil.rmtree(target)
    copy_of(src.dir, target)  # tests/offices.py: the stored paths move along
    return BenchOffice(target, target / "config" / "pantau.toml", src.units)


def env_with(extra: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra)
    env["PYTHONPATH"] = str(ROOT) + (
        os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else ""
    )
    return env
