"""`load_config`: reads pantau.toml (daemon/config/schema.py refuses bad TOML and unknown keys
first), runs each section's loader (daemon/config/sections/) and assembles one `Config`, or raises
one `ConfigError` listing every problem found. Also which file to read (`config_path`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from daemon.config.model import Config, ConfigError
from daemon.config.reader import Reader, resolve_path
from daemon.config.schema import read_toml
from daemon.config.sections.balasan import read_balasan
from daemon.config.sections.jadwal import read_jadwal
from daemon.config.sections.kantor import read_kantor
from daemon.config.sections.kategori import read_kategori
from daemon.config.sections.keamanan import read_keamanan
from daemon.config.sections.mail import read_mail
from daemon.config.sections.operator import read_operator_email
from daemon.config.sections.penomoran import read_penomoran
from daemon.config.sections.people import read_pejabat, read_units
from daemon.config.sections.web import read_web_port, read_web_url

DEFAULT_CONFIG = Path("config/pantau.toml")


def config_path(cli_value: str | None = None) -> Path:
    """Which config file to use: --config, then PANTAU_CONFIG, then config/pantau.toml."""
    return Path(cli_value or os.environ.get("PANTAU_CONFIG") or DEFAULT_CONFIG).resolve()


def load_config(path: str | Path) -> Config:
    """Read, check and resolve the office's pantau.toml: every problem found, section by section,
    is collected and raised together as one ConfigError (in Indonesian). Each section has its own
    small loader (daemon/config/sections/); they run in the order the keys were always read, so
    the problems keep their order."""
    path = Path(path).resolve()
    data = read_toml(path)
    office_dir = path.parent.parent
    r = Reader(data)
    kantor = read_kantor(r, office_dir)
    pejabat = read_pejabat(r)
    units = read_units(r, data)
    peserta = [r.email("undangan.peserta", p) for p in (r.get("undangan.peserta", list, []) or [])]
    mail = read_mail(r, office_dir)
    jadwal = read_jadwal(r, kantor["kantor"].zona_waktu)
    penomoran = read_penomoran(r)
    kategori = read_kategori(r)
    keamanan = read_keamanan(r, office_dir, mail.transport)
    operator_email = read_operator_email(r)
    cfg = Config(
        path=path,
        office_dir=office_dir,
        **kantor,
        pejabat=pejabat,
        units=units,
        undangan_peserta=[p for p in peserta if p],
        mail=mail,
        **jadwal,
        **penomoran,
        kategori=kategori,
        **keamanan,
        operator_email=operator_email,
        **_remaining(r, office_dir),
        raw=data,
    )
    for label, p in (("sop.file", cfg.sop_file), ("indikator.file", cfg.indikator_file)):
        if not p.exists():
            r.problems.append(f"{label}: berkas {p} tidak ditemukan")
    if not cfg.templates_dir.is_dir():
        r.problems.append(f"templates.dir: folder templat {cfg.templates_dir} tidak ditemukan")
    if r.problems:
        raise ConfigError(r.problems, path)
    return cfg


def _remaining(r: Reader, office_dir: Path) -> dict[str, Any]:
    """The single keys of the other sections ([templates], [undangan], [sop], [indikator],
    [arsip], the secret, [laporan], [log], [balasan], [web], [operator]), read in the order they
    always were so the problems keep their order."""
    tmpl = r.get("templates.dir", str, "templates")
    return dict(
        undangan_tempat=r.get("undangan.tempat", str, "Aula Kantor Camat"),
        undangan_jam=r.clock("undangan.jam", "09:00"),
        undangan_durasi_jam=r.get("undangan.durasi_jam", float, 6.0),
        perintah_otomatis=r.get("jadwal.perintah_otomatis", bool, False),
        sop_file=resolve_path(office_dir, r.get("sop.file", str, "config/sop.toml")),
        tenggang_kumpul=r.get("sop.tenggang_kumpul", str, "1 hari"),
        tinjau_format=r.get("sop.tinjau_format", bool, False),
        form_format=r.choice("sop.format", ("docx", "xlsx", "both"), "docx"),
        indikator_file=resolve_path(
            office_dir, r.get("indikator.file", str, "config/indikator.csv")
        ),
        db_path=resolve_path(office_dir, r.get("arsip.db", str, "var/pantau.db")),
        arsip_dir=resolve_path(office_dir, r.get("arsip.dir", str, "var/arsip")),
        secret_env=r.get("keamanan.secret_env", str, "PANTAU_SECRET"),
        secret_file=resolve_path(office_dir, r.get("keamanan.secret_file", str, "var/secret")),
        laporan_tembusan=[str(x) for x in (r.get("laporan.tembusan", list, []) or [])],
        templates_dir=resolve_path(office_dir, tmpl),
        log_file=(resolve_path(office_dir, lf) if (lf := r.get("log.file", str, "")) else None),
        kode_ttd=r.get("keamanan.kode_ttd", bool, True),
        balasan=read_balasan(r),
        web_url=read_web_url(r),
        web_host=r.get("web.host", str, "127.0.0.1") or "127.0.0.1",
        web_port=read_web_port(r),
        ringkasan_harian=r.get("operator.ringkasan_harian", bool, True),
    )
