"""Builds the configured transport from `[mail]` (SPEC §5). Secrets come from the environment
variables the config names; OAuth2 access tokens from a command or a file, read fresh each login
(tokens expire hourly; a helper like `oauth2ms` or a cron job keeps the file current)."""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Callable
from pathlib import Path

from daemon.config import Config, resolve_path
from daemon.mail.transports.base import TransportError


def _token_source(cfg: Config) -> Callable[[], str] | None:
    im = cfg.mail.imap
    if im.oauth2_token_command:
        def from_command() -> str:
            try:
                out = subprocess.run(
                    shlex.split(im.oauth2_token_command),
                    capture_output=True,
                    text=True,
                    timeout=60,
                    check=True,
                )
            except (OSError, subprocess.SubprocessError) as e:
                raise TransportError(f"perintah token OAuth2 gagal: {e}") from None
            return out.stdout.strip()
        return from_command
    if im.oauth2_token_file:
        path = resolve_path(cfg.office_dir, im.oauth2_token_file)

        def from_file() -> str:
            try:
                return Path(path).read_text(encoding="utf-8").strip()
            except OSError as e:
                raise TransportError(
                    f"berkas token OAuth2 {path} tidak dapat dibaca: {e}"
                ) from None

        return from_file
    return None


def imap_transport(cfg: Config):
    from daemon.mail.transports.imap import ImapSettings, ImapSmtpTransport
    from daemon.mail.transports.smtp import SmtpSettings

    m = cfg.mail
    token = _token_source(cfg)
    imap = ImapSettings(
        host=m.imap.host, port=m.imap.port, keamanan=m.imap.keamanan, username=m.imap.username,
        password=os.environ.get(m.imap.password_env, ""), oauth2_token=token,
        folder_masuk=m.folder_masuk, folder_diproses=m.folder_diproses, folder_gagal=m.folder_gagal,
        folder_diabaikan=m.folder_diabaikan, folder_terkirim=m.imap.folder_terkirim or None,
        timeout=m.imap.timeout,
        ca_file=str(resolve_path(cfg.office_dir, m.imap.ca_file)) if m.imap.ca_file else None)
    smtp = SmtpSettings(
        host=m.smtp.host, port=m.smtp.port, keamanan=m.smtp.keamanan, username=m.smtp.username,
        password=os.environ.get(m.smtp.password_env, ""), timeout=m.smtp.timeout,
        oauth2_token=token if m.smtp.username and token else None,
        ca_file=str(resolve_path(cfg.office_dir, m.smtp.ca_file)) if m.smtp.ca_file else None)
    return ImapSmtpTransport(imap, smtp)


def ews_transport(cfg: Config):
    """Exchange on-premises over EWS (`[mail.ews]`). Microsoft 365 mailboxes use "imap" with OAuth2:
    Exchange Online blocks EWS from October 2026."""
    from dataclasses import replace

    from daemon.mail.transports.ews import EwsSettings, EwsTransport

    m = cfg.mail
    ews = m.ews
    token = None
    if ews.auth == "oauth2":
        # The same token command/file reader as IMAP's, given the [mail.ews.oauth2] values.
        token = _token_source(replace(cfg, mail=replace(m, imap=replace(
            m.imap, oauth2_token_command=ews.oauth2_token_command,
            oauth2_token_file=ews.oauth2_token_file))))
        if token is None:
            raise TransportError(
                'mail.ews.oauth2: auth "oauth2" memerlukan token_command atau token_file',
                temporary=False,
            )
    try:
        settings = EwsSettings(
            server=ews.server, address=m.alamat, username=ews.username,
            password=os.environ.get(ews.password_env, "") if ews.auth != "oauth2" else "",
            auth=ews.auth, oauth2_token=token, folder_masuk=m.folder_masuk,
            folder_diproses=m.folder_diproses, folder_gagal=m.folder_gagal,
            folder_diabaikan=m.folder_diabaikan)
    except ValueError as e:
        raise TransportError(f"mail.ews: {e}", temporary=False) from None
    return EwsTransport(settings)
