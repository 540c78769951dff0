"""Sending mail over SMTP (smtplib): the outgoing half of the IMAP+SMTP transport.

`SmtpSender.send()` delivers one message to a list of recipients and reports what the server
said, sorted by what the caller can do about it:

- some recipients refused for good (5xx) while others were accepted: the message goes to the
  accepted ones and the refusals come back in `SendResult.refused` (not an exception);
- every recipient refused for good, or the message itself refused (5xx to DATA or to its
  content): `TransportError(temporary=False)`; nothing was delivered;
- anything temporary (a 4xx answer, a dropped or refused connection, a timeout, a TLS or login
  failure, the envelope sender refused): `TransportError(temporary=True)`. When any recipient
  gets a 4xx the transaction is abandoned before DATA, so nobody receives the message and the
  caller's retry cannot duplicate it. Login, TLS and sender refusals count as temporary because
  they are the server's or the configuration's problem, not the letter's: it waits until the
  operator fixes it.
- the connection breaking during or after DATA: `TransportError(temporary=True)` too, but the
  outcome is unknown (the server may have taken the message); the caller settles it with
  find_sent() before at most one re-send.

The retry policy (backoff, attempt counts) belongs to the caller. This module only reconnects
once when a connection it reused turns out to be dead before anything was sent.

A connection is kept between sends for `REUSE_SECONDS` and closed by `close()`.

`check()` logs in and returns the problems it found, in Indonesian, telling name resolution,
refused connection, timeout, TLS failure and authentication failure apart.
"""

from __future__ import annotations

import logging
import re
import smtplib
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass

from daemon.mail.transports.base import SendResult, TransportError

log = logging.getLogger("pantau.transport.smtp")

KEAMANAN = ("ssl", "starttls", "none")
# A connection idle for longer than this is closed rather than reused (servers drop idle
# sessions after a few minutes; Postfix's smtpd_timeout is 300 s).
REUSE_SECONDS = 60.0


@dataclass
class SmtpSettings:
    """Where and how to send. An empty `username` means no AUTH (a relay on loopback).

    `oauth2_token`, when given, returns a fresh OAuth2 access token and AUTH uses XOAUTH2
    (Microsoft 365, Gmail) instead of the password. `tls_verify = False` accepts any certificate
    (a self-signed one on the office's own server); `ca_file` names a CA bundle to trust
    instead."""

    host: str
    port: int
    keamanan: str = "ssl"
    username: str = ""
    password: str = ""
    timeout: float = 30.0
    local_hostname: str | None = None
    oauth2_token: Callable[[], str] | None = None
    tls_verify: bool = True
    ca_file: str | None = None

    def __post_init__(self) -> None:
        if self.keamanan not in KEAMANAN:
            raise ValueError(f"keamanan must be one of {KEAMANAN}, not {self.keamanan!r}")


def tls_context(verify: bool = True, ca_file: str | None = None) -> ssl.SSLContext:
    """The TLS context for both IMAP and SMTP: verifying by default."""
    ctx = ssl.create_default_context(cafile=ca_file)
    if not verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


NETWORK_ERRORS = (socket.gaierror, ConnectionRefusedError, TimeoutError, ssl.SSLError)
"""The ways reaching a mail server can fail before it says anything (`connect_problem`)."""


def connect_problem(proto: str, host: str, port: int, timeout: float, e: OSError) -> str:
    """`pantau check`'s sentence for a server that could not be reached (one of NETWORK_ERRORS),
    worded alike for IMAP and SMTP."""
    where = f"{host}:{port}"
    if isinstance(e, socket.gaierror):
        return f"{proto}: nama server '{host}' tidak dapat ditemukan (DNS): {e.strerror or e}"
    if isinstance(e, ConnectionRefusedError):
        return f"{proto}: koneksi ke {where} ditolak; server tidak berjalan atau port salah"
    if isinstance(e, TimeoutError):
        return f"{proto}: server {where} tidak menjawab dalam {timeout:g} detik"
    if isinstance(e, ssl.SSLCertVerificationError):
        return (f"{proto}: sertifikat TLS server {where} tidak dapat diverifikasi: "
                f"{e.verify_message or e}")
    reason = e.reason if isinstance(e, ssl.SSLError) else None
    return (f"{proto}: koneksi TLS ke {where} gagal (periksa 'keamanan' dan port): "
            f"{reason or e}")


def normalise_eols(raw: bytes) -> bytes:
    """CRLF line ends, as SMTP and IMAP APPEND expect (email's default policy writes LF)."""
    return re.sub(rb"\r?\n", b"\r\n", raw)


def xoauth2_string(user: str, token: str) -> str:
    return f"user={user}\x01auth=Bearer {token}\x01\x01"


class _Reply(Exception):
    """An SMTP answer that ends the transaction (internal)."""

    def __init__(self, code: int, text: str, what: str, always_temporary: bool = False):
        super().__init__(f"{what}: {code} {text}")
        self.code = code
        self.text = text
        self.what = what
        self.temporary = always_temporary or not 500 <= code < 600


def _text(resp: bytes | str) -> str:
    if isinstance(resp, bytes):
        return resp.decode("utf-8", "replace")
    return str(resp)


class SmtpSender:
    """Sends raw messages through one SMTP server. Not thread-safe: one caller at a time."""

    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        self._conn: smtplib.SMTP | None = None
        self._last_used = 0.0

    # ---- connection --------------------------------------------------------------------------

    def _context(self) -> ssl.SSLContext:
        return tls_context(self.settings.tls_verify, self.settings.ca_file)

    def _connect(self) -> smtplib.SMTP:
        """A new, greeted, secured and (when configured) authenticated connection.

        Raises the underlying exceptions (OSError, ssl.SSLError, smtplib.SMTPException)."""
        s = self.settings
        if s.keamanan == "ssl":
            conn: smtplib.SMTP = smtplib.SMTP_SSL(
                s.host,
                s.port,
                local_hostname=s.local_hostname,
                timeout=s.timeout,
                context=self._context(),
            )
        else:
            conn = smtplib.SMTP(s.host, s.port, local_hostname=s.local_hostname, timeout=s.timeout)
        try:
            conn.ehlo()
            if s.keamanan == "starttls":
                if not conn.has_extn("starttls"):
                    raise _NoStartTLS("server offers no STARTTLS")
                conn.starttls(context=self._context())
                conn.ehlo()
            if s.username:
                if s.oauth2_token is not None:
                    token = s.oauth2_token()
                    auth = xoauth2_string(s.username, token)

                    def xoauth2(challenge: bytes | None = None) -> str:
                        # On failure the server sends a JSON challenge; answer it empty.
                        return auth if challenge is None else ""

                    conn.auth("XOAUTH2", xoauth2)
                else:
                    conn.login(s.username, s.password)
        except BaseException:
            _close_quietly(conn)
            raise
        return conn

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.quit()
            except Exception:
                _close_quietly(self._conn)
            self._conn = None

    # ---- sending -----------------------------------------------------------------------------

    def send(self, raw: bytes, sender: str, recipients: list[str]) -> SendResult:
        """Deliver `raw` from envelope `sender` (may be "" for a null sender) to `recipients`."""
        recipients = list(dict.fromkeys(r.strip() for r in recipients if r and r.strip()))
        if not recipients:
            raise TransportError("tidak ada penerima", temporary=False)
        data = normalise_eols(raw)
        reused = False
        if self._conn is not None and time.monotonic() - self._last_used > REUSE_SECONDS:
            self.close()
        for attempt in (1, 2):
            try:
                if self._conn is None:
                    self._conn = self._connect()
                    reused = False
                else:
                    reused = True
            except smtplib.SMTPAuthenticationError as e:
                raise TransportError(
                    f"login SMTP ditolak: {e.smtp_code} {_text(e.smtp_error)}", temporary=True
                ) from e
            except (OSError, smtplib.SMTPException) as e:
                raise TransportError(f"tidak dapat terhubung ke server SMTP: {e}") from e
            conn = self._conn
            try:
                result = self._transaction(conn, data, sender, recipients)
            except _Reply as r:
                self._end_transaction(conn)
                raise TransportError(
                    f"{r.what}: {r.code} {r.text}", temporary=r.temporary
                ) from None
            except _BeforeData as e:
                # The connection broke before DATA: nothing was sent. Reconnect once if the
                # connection was an old one (the server may have dropped it while idle).
                self._drop()
                if reused and attempt == 1:
                    log.info("sambungan SMTP sudah basi (%s); menyambung ulang", e.cause)
                    continue
                raise TransportError(f"koneksi SMTP terputus: {e.cause}") from e.cause
            except (OSError, smtplib.SMTPException) as e:
                # Broken during or after DATA: the outcome is unknown; the caller settles it
                # (find_sent) before at most one re-send.
                self._drop()
                raise TransportError(f"koneksi SMTP terputus saat mengirim isi surat: {e}") from e
            self._last_used = time.monotonic()
            return result
        raise AssertionError("unreachable")

    def _transaction(
        self, conn: smtplib.SMTP, data: bytes, sender: str, recipients: list[str]
    ) -> SendResult:
        opts: list[str] = []
        try:
            if conn.does_esmtp:
                if conn.has_extn("size"):
                    opts.append(f"SIZE={len(data)}")
                if conn.has_extn("8bitmime") and any(b > 127 for b in data):
                    opts.append("BODY=8BITMIME")
                if not (sender + "".join(recipients)).isascii():
                    if not conn.has_extn("smtputf8"):
                        raise _Reply(553, "server tidak mendukung SMTPUTF8", "alamat non-ASCII")
                    opts.append("SMTPUTF8")
            code, resp = conn.mail(sender, opts)
            if code == 552 or (code == 554 and "5.3.4" in _text(resp)):
                # The server will never take a letter this size (SIZE was declared): permanent.
                raise _Reply(code, _text(resp), "surat terlalu besar untuk server penerima", False)
            if code != 250:
                # The account may not send as this address (or must log in first): a matter of
                # configuration, not of this letter; it waits until that is fixed.
                raise _Reply(code, _text(resp), f"pengirim {sender!r} ditolak", True)
            refused: dict[str, tuple[int, str]] = {}
            for rcpt in recipients:
                code, resp = conn.rcpt(rcpt)
                if code not in (250, 251):
                    refused[rcpt] = (code, _text(resp))
        except (OSError, smtplib.SMTPServerDisconnected) as e:
            raise _BeforeData(e) from e
        temporary = {r: v for r, v in refused.items() if not 500 <= v[0] < 600}
        if temporary:
            # Send to nobody now: the whole message is retried later, with no duplicates.
            detail = "; ".join(f"{r}: {c} {t}" for r, (c, t) in temporary.items())
            raise _Reply(min(c for c, _ in temporary.values()), detail, "penerima ditunda")
        if len(refused) == len(recipients):
            detail = "; ".join(f"{r}: {c} {t}" for r, (c, t) in refused.items())
            raise _Reply(550, detail, "semua penerima ditolak")
        try:
            code, resp = conn.data(data)
        except smtplib.SMTPDataError as e:  # DATA itself refused: nothing was sent
            raise _Reply(e.smtp_code, _text(e.smtp_error), "DATA ditolak") from None
        if code != 250:
            raise _Reply(code, _text(resp), "isi surat ditolak")
        return SendResult(refused={r: f"{c} {t}" for r, (c, t) in refused.items()})

    def _end_transaction(self, conn: smtplib.SMTP) -> None:
        try:
            conn.rset()
        except Exception:
            self._drop()

    def _drop(self) -> None:
        if self._conn is not None:
            _close_quietly(self._conn)
            self._conn = None

    # ---- checking ----------------------------------------------------------------------------

    def check(self) -> list[str]:
        """Connect and log in; problems in Indonesian, [] when all is well."""
        s = self.settings
        where = f"{s.host}:{s.port}"
        try:
            conn = self._connect()
        except NETWORK_ERRORS as e:
            return [connect_problem("SMTP", s.host, s.port, s.timeout, e)]
        except _NoStartTLS:
            return [f"SMTP: server {where} tidak menawarkan STARTTLS; periksa 'keamanan' dan port"]
        except smtplib.SMTPAuthenticationError as e:
            return [
                f"SMTP: login sebagai '{s.username}' ditolak (periksa nama pengguna dan "
                f"kata sandi/token): {e.smtp_code} {_text(e.smtp_error)}"
            ]
        except smtplib.SMTPException as e:
            if isinstance(e, smtplib.SMTPNotSupportedError) and "AUTH" in str(e):
                return [
                    f"SMTP: server {where} tidak menawarkan login (AUTH); "
                    "kosongkan username atau gunakan keamanan ssl/starttls"
                ]
            return [f"SMTP: server {where} menjawab dengan galat: {e}"]
        except OSError as e:
            return [f"SMTP: tidak dapat terhubung ke {where}: {e.strerror or e}"]
        except Exception as e:  # noqa: BLE001 - e.g. the OAuth2 token source failed
            return [f"SMTP: tidak dapat masuk ke {where}: {e}"]
        _close_quietly(conn, quit=True)
        return []


class _NoStartTLS(smtplib.SMTPException):
    """keamanan = "starttls" but the server does not offer it (internal)."""


class _BeforeData(Exception):
    """The connection failed before DATA was sent (internal)."""

    def __init__(self, cause: BaseException):
        super().__init__(str(cause))
        self.cause = cause


def _close_quietly(conn: smtplib.SMTP, quit: bool = False) -> None:
    try:
        if quit:
            conn.quit()
            return
    except Exception:
        pass
    try:
        conn.close()
    except Exception:
        pass
