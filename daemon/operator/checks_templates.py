"""`pantau check`, the templates part: every template the office needs is there and renders with
sample data (the DOCX letters, forms and reports, and every e-mail text), so a typo in a template
shows here and not in the middle of a cycle.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from daemon.config import Config


def _shipped_names() -> tuple[list[str], list[str]]:
    from daemon.shipped import shipped_dir

    src = shipped_dir("templates")
    docx = sorted(p.name for p in src.glob("*.docx"))
    email = sorted(p.name for p in (src / "email").glob("*.txt"))
    return docx, email


def check_templates(cfg: Config) -> list[str]:
    """Every template the office needs exists and renders with sample data."""
    problems: list[str] = []
    tdir = cfg.templates_dir
    docx, email = _shipped_names()
    missing = [n for n in docx if not (tdir / n).is_file()]
    missing += [f"email/{n}" for n in email if not (tdir / "email" / n).is_file()]
    for n in missing:
        problems.append(
            f"templates/{n}: berkas tidak ada di {tdir}; diharapkan templat ini (salin dari contoh "
            f"bawaan: `pantau init FOLDER-BARU`, lalu ambil berkas {n} dari sana)"
        )
    try:
        from daemon.documents.samples import check_templates as check_docx

        seen: set[tuple[str, str]] = set()
        for p in check_docx(tdir):
            if any(n in p for n in missing) or "PackageNotFoundError" in p:
                continue  # already reported as missing
            name, error = _docx_problem(p)
            if (name, error) in seen:
                continue  # one template serves several letters: say it once
            seen.add((name, error))
            problems.append(
                f"templates/{name}: tidak dapat dirender ({error}); diharapkan templat yang dapat "
                "dirender: periksa tag {{ ... }} yang terpecah atau salah ketik "
                "(templates/README.md)"
            )
    except ImportError as e:
        problems.append(f"templates: pemeriksa templat tidak tersedia ({e})")
    problems += check_email_templates(
        cfg, skip={n[len("email/") : -4] for n in missing if n.startswith("email/")}
    )
    return problems


_DOCX_PROBLEM = re.compile(
    r"templat (?:surat (\w+)(?: \w+)?|(formulir|laporan)) gagal dibuat: (.*)", re.S
)


def _docx_problem(text: str) -> tuple[str, str]:
    """('undangan.docx', 'UndefinedError: ...') from the renderer's
    'templat surat undangan gagal dibuat: ...'."""
    m = _DOCX_PROBLEM.match(text)
    if not m:
        return "*.docx", text
    if m.group(2):
        return f"{m.group(2)}.docx", m.group(3)
    from daemon.documents.letters import TEMPLATE_FOR_KIND

    return TEMPLATE_FOR_KIND.get(m.group(1), f"{m.group(1)}.docx"), m.group(3)


def check_email_templates(cfg: Config, skip: set[str] = frozenset()) -> list[str]:
    """Render every e-mail text with a full sample context, so a typo in a template shows here."""
    from daemon.mail.compose import EmailTexts

    texts = EmailTexts(cfg.templates_dir)
    sample = sample_context(cfg)
    problems = []
    for kind in texts.kinds():
        if kind.startswith("_") or kind in skip:
            continue
        try:
            subject, _ = texts.render(kind, sample)
        except Exception as e:  # jinja errors come in many classes; each is one template problem
            where = f" baris {e.lineno}" if getattr(e, "lineno", None) else ""
            problems.append(
                f"templates/email/{kind}.txt{where}: tidak dapat dirender ({type(e).__name__}: "
                f"{e}); diharapkan teks dengan tag Jinja yang sah, seperti pada contoh bawaan"
            )
            continue
        if not subject:
            problems.append(
                f'templates/email/{kind}.txt: baris pertama bukan "Subjek: ..."; diharapkan baris '
                "pertama berbentuk Subjek: <judul e-mail>, lalu satu baris kosong, lalu isi"
            )
    return problems


def sample_context(cfg: Config) -> dict:
    """A full context for rendering any e-mail text."""
    now = datetime.now(ZoneInfo(cfg.kantor.zona_waktu))
    return {
        "kantor": cfg.kantor,
        "periode": "Triwulan III Tahun 2025",
        "siklus": "PK-2025-TW3",
        "penerima": "Camat",
        "pengirim_nama": cfg.mail.nama,
        "unit_nama": "Seksi Pemerintahan",
        "batas": now,
        "jadwal": True,
        "dokumen": True,
        "contoh_jadwal": "07-10-2025 09.00",
        "tidak_lengkap": ["KESOS"],
        "rapat": {"start": now, "end": now, "place": "Aula"},
        "usul_rapat": {"start": now, "end": now, "place": "Aula"},
        "versi": 1,
        "nomor": "000.8.6.3/1/Kec/2025",
        "hal": "Hal",
        "warnings": ["w"],
        "errors": ["e"],
        "file": "f.docx",
        "terlambat": True,
        "nomor_agenda": "1",
        "catatan": ["c"],
        "alasan": "a",
        "selesai": False,
        "baris": "",
        "tahap": "setengah",
        "units": ["Seksi"],
        "menunggu": ["x"],
        "standar": "1 jam",
        "langkah": "S1",
        "uraian": "u",
        "alamat": "a@b.c",
        "detail": "d",
        "ringkasan": [],
        "hal_tugas": "h",
        "saran": "s",
        "kode_ttd": "",
        # the operator's notices (operator_notices.py, gagal_kirim)
        "orang": "YULIA SARI",
        "unit": "Seksi PMD (PMD)",
        "kunci": '[[unit]] kode = "PMD" → email',
        "pid": 1,
        "berkas_konfigurasi": str(cfg.path),
        "id": 1,
        "dari": "x@y.z",
        "nama": "",
        "subjek": "s",
        "diterima": now,
        "tanggal": now,
        "pesan": [{"id": 1, "dari": "x@y.z", "nama": "", "subjek": "s", "alasan": "a"}],
        "daftar_siklus": [
            {"kode": "PK-2025-TW3", "langkah": "S4", "menunggu": ["m"], "terlambat": ["t"]}
        ],
        "ditahan": [{"id": 1, "dari": "x@y.z", "alasan": "a"}],
        "gagal_kirim": [{"id": 1, "subject": "s", "error": "e"}],
    }
