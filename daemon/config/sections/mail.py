"""`[mail]`: the transport (IMAP, EWS or Maildir) and its server settings, the folders and the
inbound limits; the settings a transport cannot work without are required here.
"""

from __future__ import annotations

from pathlib import Path

from daemon.config.model import EwsConfig, ImapConfig, Limits, MailConfig, SmtpConfig
from daemon.config.reader import Reader, resolve_path


def read_mail(r: Reader, office_dir: Path) -> MailConfig:
    """[mail]: the transport (IMAP, EWS or Maildir), the folders and the sending limits."""
    transport = r.choice("mail.transport", ("imap", "ews", "maildir"), "maildir")
    limits_raw = r.get("mail.batas", dict, {}) or {}
    limits = Limits(**{k: v for k, v in limits_raw.items() if k in Limits.__dataclass_fields__})
    mail = MailConfig(
        transport=transport,
        alamat=r.email("mail.alamat", r.get("mail.alamat", str)),
        nama=r.get("mail.nama", str, "Pantau Kinerja"),
        plus_addressing=r.get("mail.plus_addressing", bool, False),
        folder_masuk=r.get("mail.folder_masuk", str, "INBOX"),
        folder_diproses=r.get("mail.folder_diproses", str, "Pantau/Diproses"),
        folder_gagal=r.get("mail.folder_gagal", str, "Pantau/Gagal"),
        folder_diabaikan=r.get("mail.folder_diabaikan", str, "Pantau/Diabaikan"),
        imap=ImapConfig(
            host=r.get("mail.imap.host", str, "127.0.0.1"),
            port=r.get("mail.imap.port", int, 993),
            keamanan=r.choice("mail.imap.keamanan", ("ssl", "starttls", "none"), "ssl"),
            username=r.get("mail.imap.username", str, ""),
            password_env=r.get("mail.imap.password_env", str, "PANTAU_IMAP_PASSWORD"),
            oauth2_token_command=r.get("mail.imap.oauth2.token_command", str, ""),
            oauth2_token_file=r.get("mail.imap.oauth2.token_file", str, ""),
            folder_terkirim=r.get("mail.imap.folder_terkirim", str, ""),
            timeout=r.get("mail.imap.timeout", float, 60.0),
            ca_file=r.get("mail.imap.ca_file", str, ""),
        ),
        smtp=SmtpConfig(
            host=r.get("mail.smtp.host", str, "127.0.0.1"),
            port=r.get("mail.smtp.port", int, 465),
            keamanan=r.choice("mail.smtp.keamanan", ("ssl", "starttls", "none"), "ssl"),
            username=r.get("mail.smtp.username", str, ""),
            password_env=r.get("mail.smtp.password_env", str, "PANTAU_SMTP_PASSWORD"),
            timeout=r.get("mail.smtp.timeout", float, 30.0),
            ca_file=r.get("mail.smtp.ca_file", str, ""),
        ),
        ews=EwsConfig(
            server=r.get("mail.ews.server", str, ""),
            username=r.get("mail.ews.username", str, ""),
            password_env=r.get("mail.ews.password_env", str, "PANTAU_EWS_PASSWORD"),
            auth=r.choice("mail.ews.auth", ("ntlm", "oauth2", "basic"), "ntlm"),
            oauth2_token_command=r.get("mail.ews.oauth2.token_command", str, ""),
            oauth2_token_file=r.get("mail.ews.oauth2.token_file", str, ""),
        ),
        maildir_path=resolve_path(office_dir, r.get("mail.maildir.path", str, "var/maildir")),
        batas=limits,
    )
    if transport == "imap" and not mail.imap.username and not mail.imap.oauth2_token_command:
        r.problems.append(
            'mail.imap.username: belum diisi; transport "imap" memerlukan nama pengguna IMAP'
        )
    if transport == "ews" and not mail.ews.server:
        r.problems.append(
            'mail.ews.server: belum diisi; transport "ews" memerlukan alamat server Exchange'
        )
    if transport == "ews" and mail.ews.auth == "oauth2":
        if not (mail.ews.oauth2_token_command or mail.ews.oauth2_token_file):
            r.problems.append(
                'mail.ews.oauth2: belum diisi; auth "oauth2" memerlukan '
                "token_command atau token_file"
            )
    elif transport == "ews" and not mail.ews.username:
        r.problems.append(
            f'mail.ews.username: belum diisi; auth "{mail.ews.auth}" memerlukan nama pengguna '
            '(mis. "DOMAIN\\\\pantau" atau "pantau@kecamatan.go.id")'
        )

    return mail
