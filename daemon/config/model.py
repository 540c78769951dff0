"""What a loaded configuration is: the `Config` of one office and its `[mail]` section's
dataclasses, plus `ConfigError`, which lists every problem found (in Indonesian).

The loaders (daemon/config/sections/) fill these; the rest of the daemon only reads them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any

from daemon.core.model import Office, Official, Unit
from daemon.core.roles import Role


class ConfigError(Exception):
    """The configuration cannot be used. `problems` lists every problem found, in Indonesian."""

    def __init__(self, problems: list[str], path: Path | None = None):
        self.problems = problems
        self.path = path
        where = f" ({path})" if path else ""
        super().__init__(
            f"konfigurasi tidak valid{where}:\n" + "\n".join(f"- {p}" for p in problems)
        )


@dataclass
class ImapConfig:
    host: str = "127.0.0.1"
    port: int = 993
    keamanan: str = "ssl"
    username: str = ""
    password_env: str = "PANTAU_IMAP_PASSWORD"
    oauth2_token_command: str = ""
    oauth2_token_file: str = ""
    folder_terkirim: str = ""
    timeout: float = 60.0
    ca_file: str = ""  # a private CA's certificate (e.g. a kabupaten's own Zimbra)


@dataclass
class SmtpConfig:
    host: str = "127.0.0.1"
    port: int = 465
    keamanan: str = "ssl"
    username: str = ""
    password_env: str = "PANTAU_SMTP_PASSWORD"
    timeout: float = 30.0
    ca_file: str = ""


@dataclass
class EwsConfig:
    server: str = ""  # host name (https://<host>/EWS/Exchange.asmx) or the full EWS URL
    username: str = ""
    password_env: str = "PANTAU_EWS_PASSWORD"
    auth: str = "ntlm"
    oauth2_token_command: str = ""  # auth = "oauth2": [mail.ews.oauth2] token_command or token_file
    oauth2_token_file: str = ""


@dataclass
class Limits:
    """Inbound limits (SPEC §3.4)."""

    ukuran_pesan_mb: float = 30.0
    jumlah_lampiran: int = 50
    ukuran_lampiran_mb: float = 25.0
    ukuran_dokumen_mb: float = 20.0  # decompressed DOCX/XLSX
    rasio_kompresi: float = 100.0


@dataclass
class MailConfig:
    transport: str = "maildir"
    alamat: str = ""
    nama: str = "Pantau Kinerja"
    plus_addressing: bool = False
    folder_masuk: str = "INBOX"
    folder_diproses: str = "Pantau/Diproses"
    folder_gagal: str = "Pantau/Gagal"
    folder_diabaikan: str = "Pantau/Diabaikan"
    imap: ImapConfig = field(default_factory=ImapConfig)
    smtp: SmtpConfig = field(default_factory=SmtpConfig)
    ews: EwsConfig = field(default_factory=EwsConfig)
    maildir_path: Path = Path("var/maildir")
    batas: Limits = field(default_factory=Limits)


@dataclass
class Config:
    path: Path
    office_dir: Path
    kantor: Office
    jam_kerja: dict[int, tuple[time, time]]
    libur_tambahan: Path | None
    pejabat: dict[str, Official]
    units: list[Unit]
    undangan_peserta: list[str]
    undangan_tempat: str
    undangan_jam: time
    undangan_durasi_jam: float
    mail: MailConfig
    jadwal_periode: str
    jadwal_cron: str
    perintah_otomatis: bool
    sop_file: Path
    tenggang_kumpul: str
    tinjau_format: bool
    form_format: str
    indikator_file: Path
    db_path: Path
    arsip_dir: Path
    secret_env: str
    secret_file: Path
    authserv_id: str
    nomor_format: str
    nomor_kode: dict[str, str]
    kategori: dict[str, float]
    laporan_tembusan: list[str]
    templates_dir: Path
    log_file: Path | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)
    # [keamanan] (SPEC §3.1): how a deciding reply's sender is authenticated
    verifikasi: str = "tidak"  # dkim | authres | tidak
    dkim_kunci: Path | None = None  # file of DKIM public keys read before DNS
    arc_tepercaya: tuple[str, ...] = ()  # ARC sealers trusted for forwarded mail
    kode_ttd: bool = True  # S11 needs the six-digit signature code
    jadwal_batas_terlambat: str = "5 hari"
    balasan: dict[str, list[str]] = field(default_factory=dict)  # the office's own reply words
    web_url: str = ""  # [web] url: public address of `pantau web`; the final report's QR links here
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    operator_email: list[str] = field(default_factory=list)  # told about held mail, bounces (§3.1)
    ringkasan_harian: bool = True  # the Kasubag's daily digest of what is pending

    @property
    def operators(self) -> list[str]:
        """Who is told about held messages and bounces: `[operator] email`, else the Kasubag."""
        if self.operator_email:
            return list(self.operator_email)
        k = self.pejabat.get(Role.KASUBAG)
        return [k.email] if k and k.email else []

    @property
    def camat(self) -> Official:
        return self.pejabat[Role.CAMAT]

    @property
    def sekretaris(self) -> Official:
        return self.pejabat[Role.SEKRETARIS]

    @property
    def kasubag(self) -> Official:
        return self.pejabat[Role.KASUBAG]

    def unit(self, kode: str) -> Unit:
        for u in self.units:
            if u.kode == kode:
                return u
        raise KeyError(kode)

    def secret(self) -> bytes:
        """The office secret for task tokens: from the environment variable named in the config,
        else from `secret_file`. A pure read: the file is made by
        `daemon.shell.secret.ensure_secret` when the office is created or started, so a fresh
        office works without setting anything and never keeps the secret in the TOML."""
        value = os.environ.get(self.secret_env, "")
        if value:
            return value.encode()
        if self.secret_file.exists():
            return self.secret_file.read_bytes().strip()
        raise ConfigError(
            [
                f"keamanan: rahasia kantor belum ada: variabel {self.secret_env} tidak "
                f"diisi dan berkas {self.secret_file} tidak ditemukan (berkas itu dibuat "
                f"saat kantor dibuat atau dijalankan: pantau init / pantau run)"
            ]
        )
