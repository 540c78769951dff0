"""What went wrong with EWS, in Indonesian for the operator, and what is worth retrying.

exchangelib, requests and urllib3 wrap the real cause several layers deep; `causes_of` walks
them all, so DNS, refused connections, time-outs, TLS, 401, a wrong EWS address or a mailbox
the account may not open are told apart. The same classification decides what `_run` retries (a
dead connection, an OAuth2 token that may have expired; never a refused password, which counts
towards Active Directory's lockout) and which send errors are the letter's own fault.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from typing import TYPE_CHECKING

import requests
from exchangelib import errors as ews_errors

from daemon.mail.transports.base import TransportError

if TYPE_CHECKING:
    from daemon.mail.transports.ews_session import EwsSettings

# EWS response codes under which the letter itself is at fault: sending it again cannot help.
PERMANENT_SEND_ERRORS = (
    "ErrorInvalidRecipients",
    "ErrorMessageSizeExceeded",
    "ErrorMimeContentConversionFailed",
    "ErrorMimeContentInvalid",
    "ErrorMimeContentInvalidBase64String",
    "ErrorInvalidPropertyValue",
    "ErrorInvalidPropertySet",
)
FOLDER_GONE = (ews_errors.ErrorFolderNotFound, ews_errors.ErrorItemNotFound)


def explain(settings: EwsSettings, e: BaseException) -> str:
    """What went wrong, in Indonesian, for an operator."""
    s = settings
    where = s.endpoint
    for cause in causes_of(e):
        if isinstance(cause, TransportError) and not isinstance(cause, ews_errors.EWSError):
            return str(cause)
        if isinstance(cause, socket.gaierror) or type(cause).__name__ == "NameResolutionError":
            return f"nama server '{s.host}' tidak dapat ditemukan (DNS); periksa mail.ews.server"
        if isinstance(cause, ssl.SSLCertVerificationError):
            return (
                f"sertifikat TLS server {s.host} tidak dapat diverifikasi: "
                f"{cause.verify_message or cause}. Untuk sertifikat dari CA kantor sendiri, "
                "arahkan REQUESTS_CA_BUNDLE ke berkas CA tersebut"
            )
        if isinstance(cause, (ssl.SSLError, requests.exceptions.SSLError)):
            return f"koneksi TLS ke {where} gagal: {short(cause)}"
        if isinstance(cause, ConnectionRefusedError):
            return f"koneksi ke {where} ditolak; server tidak berjalan atau port salah"
        if isinstance(cause, (requests.exceptions.Timeout, TimeoutError, socket.timeout)):
            return f"server {where} tidak menjawab dalam {s.timeout:g} detik"
    if type(e).__name__ == "InsecureTransportError":
        return f"OAuth2 hanya boleh lewat https://, bukan {where}"
    if isinstance(e, ews_errors.UnauthorizedError) and "locked out" in str(e):
        return (
            f"akun '{s.username}' terkunci di server (terlalu banyak login gagal); minta "
            "administrator membukanya, lalu periksa kata sandi"
        )
    if isinstance(e, ews_errors.UnauthorizedError):
        how = {"ntlm": "NTLM", "basic": "Basic", "oauth2": "token OAuth2"}[s.auth]
        who = f"'{s.username}'" if s.auth != "oauth2" else f"untuk {s.address}"
        return (
            f"login {who} ditolak server (HTTP 401, otentikasi {how}); periksa nama pengguna "
            "dan kata sandi (atau token), dan apakah EWS mengizinkan jenis otentikasi ini"
        )
    if isinstance(e, ews_errors.ErrorNonExistentMailbox):
        return f"kotak surat {s.address} tidak ada di server; periksa mail.alamat"
    if isinstance(
        e,
        (
            ews_errors.ErrorAccessDenied,
            ews_errors.ErrorImpersonateUserDenied,
            ews_errors.ErrorSendAsDenied,
        ),
    ):
        return (
            f"akun '{s.username or s.address}' tidak berhak atas kotak surat {s.address}: "
            f"{short(e)}"
        )
    if isinstance(e, FOLDER_GONE):
        return f"folder tidak ditemukan: {short(e)}"
    if isinstance(e, ews_errors.RedirectError):
        return (
            f"server mengalihkan {where} ke {e.url}; periksa alamat EWS (mail.ews.server), "
            "biasanya https://<server>/EWS/Exchange.asmx"
        )
    if isinstance(e, ews_errors.CASError):
        return f"Exchange (Client Access) menolak permintaan: {e.cas_error}"
    if isinstance(e, ews_errors.ErrorServerBusy):
        return "server Exchange sedang sibuk (dibatasi); dicoba lagi nanti"
    if isinstance(e, ews_errors.MalformedResponseError) and "Code: 404" in str(e):
        return f"alamat {where} tidak melayani EWS (HTTP 404); periksa mail.ews.server"
    if isinstance(e, ews_errors.ResponseMessageError):
        return f"Exchange menjawab {type(e).__name__}: {short(e)}"
    if isinstance(e, (ews_errors.TransportError, requests.exceptions.RequestException)):
        return f"tidak dapat berbicara dengan {where}: {short(e)}"
    return f"{type(e).__name__}: {short(e)}"


def causes_of(e: BaseException) -> Iterator[BaseException]:
    """`e` and everything it was raised from: __cause__, __context__, urllib3's `reason`, and
    exceptions carried in args (requests wraps urllib3's MaxRetryError that way)."""
    seen: set[int] = set()
    stack = [e]
    while stack:
        x = stack.pop(0)
        if id(x) in seen:
            continue
        seen.add(id(x))
        yield x
        nxt = [x.__cause__, x.__context__, getattr(x, "reason", None)]
        nxt += [a for a in getattr(x, "args", ()) if isinstance(a, BaseException)]
        stack.extend(n for n in nxt if isinstance(n, BaseException))


def is_login_refused(e: BaseException) -> bool:
    return isinstance(e, ews_errors.UnauthorizedError)


def worth_retrying(e: BaseException, auth: str) -> bool:
    """A dead connection, or a 401 with an OAuth2 token that may just have expired. (A refused
    password is not tried twice: failed logins lock Active Directory accounts.)"""
    if is_login_refused(e):
        return auth == "oauth2"
    causes = list(causes_of(e))
    if any(isinstance(c, (ssl.SSLError, socket.gaierror)) for c in causes):
        return False  # a wrong name or certificate stays wrong
    if isinstance(e, ews_errors.ErrorTimeoutExpired):  # exchangelib's name for a failed connection
        return True
    return any(
        isinstance(c, (requests.exceptions.ConnectionError, ConnectionError)) for c in causes
    )


def response_code(e: BaseException | None) -> str:
    if isinstance(e, ews_errors.ResponseMessageError):
        return type(e).__name__
    return ""


def short(e: BaseException) -> str:
    text = " ".join(str(e).split())
    return text[:300] if text else type(e).__name__
