"""`pantau check`, the mail part: the transport's settings (ports against TLS modes, passwords in
the environment, OAuth2 where a provider demands it, Exchange Online's end of EWS) and how a
deciding reply's sender is authenticated ([keamanan]). The online login itself is the
transport's own `check()`, called by `run_checks`.
"""

from __future__ import annotations

import ipaddress
import os
import shlex
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from daemon.config import Config
from daemon.operator.checks_templates import sample_context

if TYPE_CHECKING:  # checks.py imports this module: the report's type only, to avoid a cycle
    from daemon.operator.checks import Report


# Well-known services: host -> (name, must use OAuth2, keeps its own Sent copy).
PROVIDERS = {
    "imap.gmail.com": ("Gmail / Google Workspace", False, True),
    "smtp.gmail.com": ("Gmail / Google Workspace", False, True),
    "outlook.office365.com": ("Microsoft 365", True, True),
    "smtp.office365.com": ("Microsoft 365", True, True),
    "imap-mail.outlook.com": ("Outlook.com", True, True),
    "smtp-mail.outlook.com": ("Outlook.com", True, True),
}
TLS_PORTS = {"imap": {"ssl": {993}, "starttls": {143}, "none": {143}},
             "smtp": {"ssl": {465}, "starttls": {587, 25}, "none": {25, 587}}}


def loopback(host: str) -> bool:
    """A server on this very machine (a local relay or test stack): no TLS or login expected."""
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_mail(cfg: Config, rep: Report) -> None:
    """[mail]: the transport's settings, without connecting."""
    m = cfg.mail
    if m.transport == "maildir":
        rep.warnings.append(
            f'mail.transport: "maildir" = tanpa server surel (surat hanya ditaruh di folder '
            f"{m.maildir_path}); cocok untuk demo dan uji. Untuk kantor sungguhan diharapkan "
            '"imap" (lihat docs/panduan-operator.md, bagian Surel)'
        )
        return
    if m.transport == "ews":
        _check_ews(cfg, rep)
        return
    oauth = m.imap.oauth2_token_command or m.imap.oauth2_token_file
    if m.imap.oauth2_token_command:
        words = shlex.split(m.imap.oauth2_token_command)
        exe = words[0] if words else ""
        if not exe or not (shutil.which(exe) or Path(exe).is_file()):
            rep.problems.append(
                f"mail.imap.oauth2.token_command: perintah {exe!r} tidak ditemukan; diharapkan "
                "perintah yang mencetak access token OAuth2 (lihat panduan, bagian OAuth2)"
            )
    elif m.imap.oauth2_token_file:
        from daemon.config import resolve_path

        tf = resolve_path(cfg.office_dir, m.imap.oauth2_token_file)
        if not tf.is_file():
            rep.problems.append(
                f"mail.imap.oauth2.token_file: berkas {tf} tidak ada; diharapkan berkas berisi "
                "access token OAuth2 yang diperbarui secara berkala"
            )
    for role in ("imap", "smtp"):
        s = getattr(m, role)
        key = f"mail.{role}"
        provider = PROVIDERS.get(s.host.lower())
        if not loopback(s.host) and (s.keamanan not in TLS_PORTS[role]
                                      or s.port not in TLS_PORTS[role][s.keamanan]):
            usual = ", ".join(
                f"{k} = port {'/'.join(map(str, sorted(v)))}"
                for k, v in TLS_PORTS[role].items()
                if k != "none"
            )
            rep.warnings.append(
                f"{key}.port: {s.port} dengan keamanan = {s.keamanan!r} tidak lazim; biasanya "
                f"{usual}. Koneksi bisa gagal atau macet bila keduanya tidak cocok"
            )
        if s.keamanan == "none" and not loopback(s.host):
            rep.warnings.append(
                f'{key}.keamanan: "none" ke server {s.host} (bukan komputer ini): kata sandi '
                'dikirim tanpa enkripsi; diharapkan "ssl" atau "starttls"'
            )
        if role == "smtp" and not s.username:
            if not loopback(s.host):
                rep.warnings.append(
                    f"mail.smtp.username: kosong (tanpa login) ke server {s.host}; hanya cocok "
                    "untuk relay di komputer ini. Diharapkan nama pengguna SMTP kotak surat Pantau"
                )
            continue
        if not s.username and role == "imap" and not oauth:
            continue  # the config loader (config/sections/mail.py) reports it
        if not oauth and not os.environ.get(s.password_env):
            rep.problems.append(
                f"{key}.password_env: variabel lingkungan {s.password_env} kosong; diharapkan kata "
                f"sandi {role.upper()} (untuk layanan: di /etc/pantau/pantau.env)"
            )
        if provider:
            name, needs_oauth, _ = provider
            if needs_oauth and not oauth:
                rep.problems.append(
                    f"{key}.host: {s.host} ({name}) tidak menerima login kata sandi untuk "
                    "IMAP/SMTP; diharapkan OAuth2: isi token_command (atau token_file) di "
                    "[mail.imap.oauth2]"
                )
            if "@" not in s.username:
                rep.problems.append(
                    f"{key}.username: {s.username!r}; {name} memerlukan alamat surel lengkap "
                    'sebagai nama pengguna, mis. "pantau@kecamatan.go.id"'
                )
    imap_provider = PROVIDERS.get(m.imap.host.lower())
    if imap_provider and m.imap.folder_terkirim:
        rep.warnings.append(
            f"mail.imap.folder_terkirim: {m.imap.folder_terkirim!r}; {imap_provider[0]} sudah "
            "menyimpan salinan setiap surat yang dikirim lewat SMTP-nya, sehingga surat akan "
            "tersimpan dua kali. Diharapkan: hapus kunci ini"
        )
    user = m.imap.username.lower()
    if "@" in user and user != m.alamat:
        rep.warnings.append(
            f"mail.alamat: {m.alamat!r} berbeda dengan mail.imap.username {user!r}; server bisa "
            "menolak mengirim atas nama alamat lain. Diharapkan alamat kotak surat yang sama"
        )
    if m.plus_addressing:
        rep.notes.append(
            "mail.plus_addressing: Reply-To memakai alamat+token; pastikan server mengantar "
            f"{m.alamat.replace('@', '+abc@')} ke kotak surat Pantau"
        )


def ews_available() -> bool:
    """Whether this version carries the Exchange (EWS) transport."""
    try:
        import daemon.mail.transports.ews  # noqa: F401
    except ImportError:
        return False
    return True


def _check_ews(cfg: Config, rep: Report) -> None:
    e = cfg.mail.ews
    if not ews_available():
        rep.problems.append(
            'mail.transport: "ews" (Exchange Web Services) belum tersedia pada versi Pantau ini; '
            'diharapkan "imap". Exchange on-premises juga menyediakan IMAP dan SMTP: minta '
            "administrator mengaktifkannya untuk kotak surat Pantau"
        )
        return
    host = e.server.lower()
    if "office365.com" in host or "outlook.com" in host:
        rep.problems.append(
            f"mail.ews.server: {e.server!r} adalah Exchange Online (Microsoft 365), yang memblokir "
            'EWS mulai 1 Oktober 2026; diharapkan transport = "imap" dengan OAuth2 '
            "(panduan, bagian 6.4)"
        )
    if e.auth != "oauth2" and not os.environ.get(e.password_env):
        rep.problems.append(
            f"mail.ews.password_env: variabel lingkungan {e.password_env} kosong; diharapkan kata "
            "sandi Exchange (untuk layanan: di /etc/pantau/pantau.env)"
        )


def check_trust(cfg: Config, rep: Report) -> None:
    """How a deciding reply's sender is authenticated (SPEC §3.1)."""
    real = cfg.mail.transport != "maildir"
    if cfg.verifikasi == "tidak" and real:
        rep.warnings.append(
            f'keamanan.verifikasi: "tidak" pada transport {cfg.mail.transport!r}: persetujuan, '
            "revisi dan formulir diterima tanpa memeriksa tanda tangan DKIM atau hasil DMARC, "
            "sehingga siapa pun yang dapat mengirim surel atas nama Camat dapat menyetujui. "
            'Diharapkan "dkim" (atau "authres" dengan keamanan.authserv_id); lihat bagian '
            '"Keamanan persetujuan" di panduan operator'
        )
    elif cfg.verifikasi == "dkim":
        n = 0
        if cfg.dkim_kunci:
            from daemon.mail.trust import KeyFileError, load_dkim_keys

            try:
                n = len(load_dkim_keys(cfg.dkim_kunci))
            except (OSError, KeyFileError) as e:
                rep.problems.append(f"keamanan.dkim_kunci: {e}")
        rep.notes.append(
            'keamanan.verifikasi: "dkim"; kunci publik DKIM dibaca '
            + (
                f"dari {cfg.dkim_kunci} ({n} kunci), lalu dari DNS"
                if cfg.dkim_kunci
                else "dari DNS"
            )
        )
        if cfg.arc_tepercaya:
            rep.notes.append(
                "keamanan.arc_tepercaya: ARC dipercaya dari " + ", ".join(cfg.arc_tepercaya)
            )
    elif cfg.verifikasi == "authres":
        rep.notes.append(
            f'keamanan.verifikasi: "authres"; hanya dmarc=pass pada Authentication-Results '
            f"teratas dari {cfg.authserv_id} yang diterima"
        )
    if not cfg.kode_ttd:
        rep.warnings.append(
            "keamanan.kode_ttd: false; persetujuan Camat pada S11 (tanda tangan) tidak "
            "memerlukan kode enam angka dari e-mail permohonan"
        )
    elif "tanda_tangan" in _email_kinds(cfg):
        from daemon.mail.compose import EmailTexts

        try:
            _, body = EmailTexts(cfg.templates_dir).render(
                "tanda_tangan", sample_context(cfg) | {"kode_ttd": "135790"}
            )
        except Exception:  # noqa: BLE001 - reported by check_email_templates
            return
        if "SETUJU 135790" not in body:
            rep.warnings.append(
                "templates/email/tanda_tangan.txt: tidak memuat {{ kode_ttd }}; Pantau "
                'menambahkan baris "Untuk menandatangani, balas: SETUJU <kode>" di akhir e-mail'
            )


def _email_kinds(cfg: Config) -> list[str]:
    from daemon.mail.compose import EmailTexts

    try:
        return EmailTexts(cfg.templates_dir).kinds()
    except Exception:  # noqa: BLE001
        return []
