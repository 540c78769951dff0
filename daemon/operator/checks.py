"""`pantau check`: everything an operator can get wrong before the daemon runs, said plainly.

Each problem names the key or file, the value and what is expected (Indonesian), so it can be
fixed without reading code. Problems (`SALAH`) make `pantau check` exit 2; warnings
(`PERINGATAN`) are settings that work but are probably not what the office wants (a port that
does not match its TLS mode, an example address left in, a Sent folder Gmail fills anyway).
Without `--offline` it also logs in to the mail server through the configured transport.

This module runs the checks (`run_checks`) and holds those of the office's own files and
settings (SOP, indicators, people, schedule, holidays, folders); the mail settings and the
sender authentication are in checks_mail.py, the templates in checks_templates.py.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from daemon.config import Config
from daemon.operator import checks_mail
from daemon.operator.checks_templates import check_templates


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def run_checks(cfg: Config, offline: bool = True) -> Report:
    rep = Report()
    rep.notes.append(f"konfigurasi {cfg.path} terbaca")
    _check_sop(cfg, rep)
    _check_indicators(cfg, rep)
    _check_people(cfg, rep)
    _check_schedule(cfg, rep)
    _check_calendar(cfg, rep)
    tmpl = check_templates(cfg)
    rep.problems += tmpl
    if not tmpl:
        rep.notes.append(f"templat di {cfg.templates_dir} lengkap dan dapat dirender")
    _check_paths(cfg, rep)
    checks_mail.check_mail(cfg, rep)
    if not os.environ.get(cfg.secret_env):
        rep.notes.append(
            f"keamanan.secret_env: variabel {cfg.secret_env} tidak diisi; rahasia token disimpan "
            f"di {cfg.secret_file} (ikut dicadangkan bersama var/)"
        )
    checks_mail.check_trust(cfg, rep)
    if not offline and not (cfg.mail.transport == "ews" and not checks_mail.ews_available()):
        from daemon.shell.office import make_transport

        try:
            transport = make_transport(cfg)
            try:
                issues = transport.check()
            finally:
                transport.close()
        except Exception as e:  # a transport that cannot even be built is one problem, not a crash
            issues = [f"{type(e).__name__}: {e}"]
        rep.problems += [f"mail ({cfg.mail.transport}): {p}" for p in issues]
        if not issues:
            rep.notes.append(f"server surel ({cfg.mail.transport}) dapat dimasuki")
    return rep


# ============================================================================ parts


def _check_sop(cfg: Config, rep: Report) -> None:
    from daemon.core.sop import SopError, load_sop

    try:
        sop = load_sop(cfg.sop_file)
        rep.notes.append(f"SOP {cfg.sop_file.name}: {len(sop.steps)} langkah")
    except SopError as e:
        rep.problems += [f"sop.file ({cfg.sop_file.name}): {p}" for p in e.problems]


def _check_indicators(cfg: Config, rep: Report) -> None:
    from daemon.config.indicators import IndicatorError, load_indicators, units_without_indicators

    try:
        inds = load_indicators(cfg.indikator_file, units={u.kode for u in cfg.units})
    except IndicatorError as e:
        rep.problems += [f"indikator.file ({cfg.indikator_file.name}): {p}" for p in e.problems]
        return
    rep.notes.append(f"indikator {cfg.indikator_file.name}: {len(inds)} baris")
    for code in units_without_indicators([u.kode for u in cfg.units], inds):
        rep.problems.append(
            f"indikator.file ({cfg.indikator_file.name}): unit {code!r} ada di konfigurasi "
            f"([[unit]]) tetapi tidak punya satu pun indikator; diharapkan setidaknya satu baris "
            f"dengan unit = {code}"
        )


def _check_people(cfg: Config, rep: Report) -> None:
    seen: dict[str, str] = {}
    for i, u in enumerate(cfg.units, 1):
        if u.email in seen:
            rep.problems.append(
                f"unit[{i}].email: alamat {u.email!r} sudah dipakai {seen[u.email]}; diharapkan "
                "alamat yang berbeda untuk setiap unit (balasan dikenali dari alamat pengirim)"
            )
        seen.setdefault(u.email, f"unit[{i}] ({u.kode})")
    if cfg.mail.alamat in seen or cfg.mail.alamat in {o.email for o in cfg.pejabat.values()}:
        rep.problems.append(
            f"mail.alamat: {cfg.mail.alamat!r} juga alamat seorang pejabat atau unit; diharapkan "
            "kotak surat tersendiri untuk Pantau"
        )
    if not cfg.undangan_peserta:
        rep.warnings.append(
            "undangan.peserta: kosong; undangan rapat (S7) tidak dikirim kepada siapa pun. "
            "Diharapkan daftar alamat pejabat Eselon III dan IV"
        )
    if cfg.mail.transport != "maildir":
        example = []
        for role, o in cfg.pejabat.items():
            example += [(f"pejabat.{role}.email", o.email)]
        for i, u in enumerate(cfg.units, 1):
            example += [(f"unit[{i}].email", u.email)]
        example += [("mail.alamat", cfg.mail.alamat)]
        # A mail server on this very machine may be a test stack serving a test domain: there an
        # example address is only a warning. Anywhere else mail to it would bounce.
        local = checks_mail.loopback(cfg.mail.imap.host) if cfg.mail.transport == "imap" else False
        for key, addr in example:
            if addr.endswith((".test", ".example", ".invalid", "@localhost")):
                (rep.warnings if local else rep.problems).append(
                    f"{key}: {addr!r} masih alamat contoh (domain uji yang tidak menerima surat); "
                    "diharapkan alamat e-mail sungguhan orang atau unit ini")
        if cfg.kantor.domain in ("kecamatan.test", "localhost") or cfg.kantor.domain.endswith(
            ".test"
        ):
            rep.warnings.append(
                f"kantor.domain: {cfg.kantor.domain!r} masih domain contoh; diharapkan domain "
                "alamat surel Pantau (bagian setelah @), dipakai untuk Message-ID"
            )


def _check_schedule(cfg: Config, rep: Report) -> None:
    from apscheduler.triggers.cron import CronTrigger

    tz = ZoneInfo(cfg.kantor.zona_waktu)
    now = datetime.now(tz)
    trig = CronTrigger.from_crontab(cfg.jadwal_cron, timezone=tz)
    nxt = trig.get_next_fire_time(None, now)
    if nxt is None or (nxt - now).days > 400:
        rep.problems.append(
            f"jadwal.cron: {cfg.jadwal_cron!r} tidak pernah berjalan dalam setahun ke depan "
            "(tanggal yang tidak ada, mis. 31 Februari?); diharapkan menit jam tanggal bulan hari, "
            'mis. "0 8 5 1,4,7,10 *" = pukul 08.00 tanggal 5 Januari, April, Juli, Oktober'
        )
    else:
        rep.notes.append(
            f"jadwal.cron: siklus berikutnya dimulai {nxt.strftime('%d-%m-%Y %H.%M')} "
            f"({cfg.kantor.zona_waktu}; digeser ke hari kerja berikutnya bila jatuh pada hari "
            "libur)"
        )


def _check_calendar(cfg: Config, rep: Report) -> None:
    if not cfg.libur_tambahan:
        return
    if not cfg.libur_tambahan.exists():
        rep.problems.append(
            f"kantor.libur_tambahan: berkas {cfg.libur_tambahan} tidak ditemukan; diharapkan "
            "berkas teks berisi tanggal YYYY-MM-DD per baris (atau kosongkan kuncinya)"
        )
        return
    from daemon.core.worktime import load_extra_days

    try:
        off, on = load_extra_days(cfg.libur_tambahan)
    except ValueError as e:
        rep.problems.append(f"kantor.libur_tambahan: {e}")
        return
    rep.notes.append(f"hari libur tambahan: {len(off)} hari libur, {len(on)} hari kerja pengganti")


def _writable(path: Path) -> bool:
    p = path
    while not p.exists():
        if p.parent == p:
            return False
        p = p.parent
    return os.access(p, os.W_OK | os.X_OK)


def _check_paths(cfg: Config, rep: Report) -> None:
    user = _user()
    for key, p in (
        ("arsip.db", cfg.db_path.parent),
        ("arsip.dir", cfg.arsip_dir),
        ("log.file", cfg.log_file.parent if cfg.log_file else None),
        ("mail.maildir.path", cfg.mail.maildir_path if cfg.mail.transport == "maildir" else None),
    ):
        if p is not None and not _writable(p):
            rep.problems.append(
                f"{key}: folder {p} tidak dapat ditulisi oleh pengguna {user}; diharapkan folder "
                "milik pengguna yang menjalankan Pantau (mis. chown -R pantau: /var/lib/pantau)"
            )
    if cfg.db_path.exists() and not os.access(cfg.db_path, os.R_OK | os.W_OK):
        rep.problems.append(
            f"arsip.db: basis data {cfg.db_path} tidak dapat dibaca/ditulisi oleh pengguna {user}; "
            "jalankan perintah pantau sebagai pengguna layanan (sudo -u pantau ...)"
        )


def _user() -> str:
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError):
        return str(os.getuid())


