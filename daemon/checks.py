"""`pantau check`: everything an operator can get wrong before the daemon runs, said plainly.

Each problem names the key or file, the value and what is expected (Indonesian). With `offline`
false it also logs in to the mail server through the configured transport.
"""

from __future__ import annotations

import os
from datetime import datetime
from zoneinfo import ZoneInfo

from .config import Config


def run_checks(cfg: Config, offline: bool = True) -> tuple[list[str], list[str]]:
    problems: list[str] = []
    notes: list[str] = [f"konfigurasi {cfg.path} terbaca"]
    from .sop import SopError, load_sop

    try:
        sop = load_sop(cfg.sop_file)
        notes.append(f"SOP {cfg.sop_file.name}: {len(sop.steps)} langkah")
    except SopError as e:
        problems += [f"sop.file: {p}" for p in e.problems]
    from .indicators import IndicatorError, load_indicators, units_without_indicators

    try:
        inds = load_indicators(cfg.indikator_file, units={u.kode for u in cfg.units})
        notes.append(f"indikator {cfg.indikator_file.name}: {len(inds)} baris")
        for code in units_without_indicators([u.kode for u in cfg.units], inds):
            problems.append(f"indikator.file: unit {code!r} ada di konfigurasi tetapi tidak punya indikator di {cfg.indikator_file.name}")
    except IndicatorError as e:
        problems += [f"indikator.file: {p}" for p in e.problems]
    from apscheduler.triggers.cron import CronTrigger

    tz = ZoneInfo(cfg.kantor.zona_waktu)
    trig = CronTrigger.from_crontab(cfg.jadwal_cron, timezone=tz)
    nxt = trig.get_next_fire_time(None, datetime.now(tz))
    if nxt is None or (nxt - datetime.now(tz)).days > 400:
        problems.append(f"jadwal.cron: {cfg.jadwal_cron!r} tidak pernah berjalan dalam setahun ke depan; periksa tanggal dan bulannya")
    else:
        notes.append(f"jadwal.cron: siklus berikutnya dimulai {nxt.strftime('%d-%m-%Y %H.%M')}")
    problems += check_templates(cfg)
    if not problems:
        notes.append(f"templat di {cfg.templates_dir} lengkap dan dapat dirender")
    if not os.environ.get(cfg.secret_env):
        notes.append(f"keamanan.secret_env: {cfg.secret_env} tidak diisi; rahasia token disimpan di {cfg.secret_file}")
    for role in ("imap", "smtp"):
        env = getattr(cfg.mail, role).password_env
        if cfg.mail.transport == "imap" and getattr(cfg.mail, role).username and not os.environ.get(env):
            problems.append(f"mail.{role}.password_env: variabel lingkungan {env} belum diisi (kata sandi {role.upper()})")
    if not offline:
        from .office import make_transport

        try:
            issues = make_transport(cfg).check()
        except Exception as e:  # a transport that cannot even be built is one problem, not a crash
            issues = [f"{type(e).__name__}: {e}"]
        problems += [f"mail ({cfg.mail.transport}): {p}" for p in issues]
        if not issues:
            notes.append(f"server surel ({cfg.mail.transport}) dapat dimasuki")
    return problems, notes


def check_templates(cfg: Config) -> list[str]:
    problems: list[str] = []
    try:
        from .documents.samples import check_templates as check_docx

        problems += [f"templates: {p}" for p in check_docx(cfg.templates_dir)]
    except ImportError as e:
        problems.append(f"templates: pemeriksa templat tidak tersedia ({e})")
    problems += check_email_templates(cfg)
    return problems


def check_email_templates(cfg: Config) -> list[str]:
    """Render every e-mail text with a full sample context, so a typo in a template shows here."""
    from .compose import EmailTexts

    texts = EmailTexts(cfg.templates_dir)
    now = datetime.now(ZoneInfo(cfg.kantor.zona_waktu))
    sample = {
        "kantor": cfg.kantor, "periode": "Triwulan III Tahun 2025", "siklus": "PK-2025-TW3", "penerima": "Camat",
        "pengirim_nama": cfg.mail.nama, "unit_nama": "Seksi Pemerintahan", "batas": now, "jadwal": True,
        "dokumen": True, "contoh_jadwal": "07-10-2025 09.00", "tidak_lengkap": ["KESOS"],
        "rapat": {"start": now, "end": now, "place": "Aula"}, "usul_rapat": {"start": now, "end": now, "place": "Aula"},
        "versi": 1, "nomor": "000.8.6.3/1/Kec/2025", "hal": "Hal", "warnings": ["w"], "errors": ["e"],
        "file": "f.docx", "terlambat": True, "nomor_agenda": "1", "catatan": ["c"], "alasan": "a", "selesai": False,
        "baris": "", "tahap": "setengah", "units": ["Seksi"], "menunggu": ["x"], "standar": "1 jam", "langkah": "S1",
        "uraian": "u", "alamat": "a@b.c", "detail": "d", "ringkasan": [], "hal_tugas": "h", "saran": "s",
    }
    problems = []
    for kind in texts.kinds():
        if kind.startswith("_"):
            continue
        try:
            texts.render(kind, sample)
        except Exception as e:  # jinja errors come in many classes; each is one template problem
            problems.append(f"templates/email/{kind}.txt: {type(e).__name__}: {e}")
    return problems
