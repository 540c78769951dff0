"""The Exchange transport: reads, files and sends the office mailbox over Exchange Web Services
(EWS), through exchangelib. For ON-PREMISES Exchange (2013, 2016, 2019, Subscription Edition).

Exchange Online (Microsoft 365) blocks EWS from 1 October 2026 and removes it on 1 April 2027:
Microsoft 365 mailboxes must use the IMAP+SMTP transport with OAuth2 (XOAUTH2) instead.

What it does, and what it is written around:

- Login: NTLM (the on-premises default) or Basic with a username and password, or OAuth2 with an
  access token from `oauth2_token` (a callable: the token command or file of the config, read
  afresh at every (re)connection, as for IMAP), given to exchangelib as
  `OAuth2AuthorizationCodeCredentials(access_token=OAuth2Token(...))` without client id or secret,
  so exchangelib never tries to fetch or refresh a token itself. Pantau renews it: after
  `token_lifetime` seconds, or on an HTTP 401, the connection is rebuilt with a fresh token.
  The authentication type is always given, so exchangelib does not probe the server for it; the
  server version is detected once (exchangelib's ConvertId probe) and kept across reconnections.
  exchangelib's retry policy is FailFast: a 401 is an error at once, not a long back-off.
- `fetch_new()` lists the inbox with FindItem (item ids only, oldest first, paged) and fetches
  each message's MIME content (`item:MimeContent`) with one GetItem per message, so a large
  message never shares a response with others. The MIME bytes are yielded exactly as the server
  sent them, with the reference "<item id>|<changekey>".
- `file(ref, outcome)` moves the item (MoveItem) to the configured folder, e.g. "Pantau/Diproses"
  = a folder "Diproses" inside a folder "Pantau" directly under the top of the mailbox
  (msgfolderroot, where Outlook shows Inbox and Sent Items), each level created (CreateFolder)
  when missing. The move uses the item id alone: the changekey changes whenever someone marks the
  message read or flags it in Outlook, and an item id is never reused. A moved item gets a new id,
  so an item the server no longer knows (ErrorItemNotFound) was filed already: nothing to do.
- `send(raw, sender, recipients)` sends the exact bytes Pantau composed as the MIME content of a
  new message with CreateItem, MessageDisposition=SendAndSaveCopy (exchangelib's
  `Message(mime_content=...).send_and_save()`), the copy saved in Sent Items. Exchange addresses
  the message to the To and Cc of the MIME headers; recipients not in them are added as Bcc, and
  header addresses that are not among the recipients make the send refuse (EWS cannot leave them
  out). EWS answers the whole message at once: there is no per-recipient refusal (undeliverable
  addresses come back later as non-delivery reports in the inbox), so `SendResult.refused` is
  always empty and a refused message raises TransportError: permanent when the letter itself is at
  fault (invalid recipients, too large, MIME rejected), temporary otherwise (login, Send As
  rights, a full mailbox, a busy or unreachable server). The response carries no Message-ID.
- `find_sent(message_id)` looks in Sent Items for the Internet Message-ID Pantau set in the
  letter (FindItem restricted on `message:InternetMessageId`): Exchange keeps the Message-ID of
  MIME content it is given.
- `wait(timeout)`: EWS has no IDLE. This transport polls: every `poll_interval` seconds (30 by
  default) it lists the inbox's item ids (FindItem, ids only) and returns True as soon as one is
  there that fetch_new() has not yet yielded. (Streaming notifications were not used: they need a
  long-lived HTTP response that only ends on whole minutes, and a subscription to keep alive;
  polling is simpler, testable against hand-written responses, and cheap at this interval.) Errors
  while waiting (server down, DNS, 401) are logged and retried with backoff (at least the
  BackOffMilliseconds an ErrorServerBusy asks for); wait() never raises.
- Every other operation reconnects once when the connection fails (a server restarted, an idle
  connection closed), then raises TransportError(temporary=True). send() does not retry by itself:
  when the connection breaks mid-request the outcome is unknown, and the caller settles it with
  find_sent() before at most one re-send.
- `check()` logs in and looks at the inbox and Sent Items; it tells name resolution, refused
  connection, time-out, TLS, 401 authentication, a wrong EWS address, a mailbox the account may not
  open and a missing folder apart, in Indonesian.

exchangelib logs whole SOAP requests (with message bodies) at ERROR level on some failures, and
request headers (with the password of Basic auth) at DEBUG level: this module silences its
loggers below CRITICAL and logs its own one-line summaries instead.

Only this module imports exchangelib.
"""

from __future__ import annotations

import email.policy
import email.utils
import logging
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from urllib.parse import urlsplit

import requests
from exchangelib import (
    BASIC,
    DELEGATE,
    NTLM,
    OAUTH2,
    UTC,
    Account,
    Configuration,
    Credentials,
    FailFast,
    Folder,
    Mailbox,
    Message,
    OAuth2AuthorizationCodeCredentials,
    Q,
)
from exchangelib import errors as ews_errors
from exchangelib.folders import FolderCollection
from exchangelib.folders.queryset import SHALLOW
from exchangelib.protocol import Protocol
from exchangelib.services import CreateFolder
from oauthlib.oauth2 import OAuth2Token

from daemon.mail.transports.base import (
    DIABAIKAN,
    DIPROSES,
    GAGAL,
    Incoming,
    SendResult,
    TransportError,
)

log = logging.getLogger("pantau.transport.ews")

AUTH = {"ntlm": NTLM, "basic": BASIC, "oauth2": OAUTH2}
# Backoff between attempts inside wait(): 1, 2, 4 ... at most this many seconds.
MAX_BACKOFF = 60.0
# Item ids per FindItem page.
PAGE_SIZE = 100

# EWS response codes under which the letter itself is at fault: sending it again cannot help.
_PERMANENT_SEND_ERRORS = (
    "ErrorInvalidRecipients",
    "ErrorMessageSizeExceeded",
    "ErrorMimeContentConversionFailed",
    "ErrorMimeContentInvalid",
    "ErrorMimeContentInvalidBase64String",
    "ErrorInvalidPropertyValue",
    "ErrorInvalidPropertySet",
)
_FOLDER_GONE = (ews_errors.ErrorFolderNotFound, ews_errors.ErrorItemNotFound)
_TARGET_GONE = (ews_errors.ErrorFolderNotFound, ews_errors.ErrorToFolderNotFound)


@dataclass
class EwsSettings:
    """The mailbox Pantau reads over EWS.

    `server`: the Exchange server's host name ("mail.kecamatan.go.id", meaning
    https://<host>/EWS/Exchange.asmx) or the full EWS URL. `address`: the mailbox's primary SMTP
    address. `username`: "DOMAIN\\\\user", a UPN or the address. `auth`: "ntlm", "basic" or
    "oauth2" (then `oauth2_token` returns a fresh access token). Folder names use "/" for
    hierarchy; `folder_masuk` "INBOX" is the mailbox's own inbox whatever its display language."""

    server: str
    address: str
    username: str = ""
    password: str = ""
    auth: str = "ntlm"
    oauth2_token: Callable[[], str] | None = None
    folder_masuk: str = "INBOX"
    folder_diproses: str = "Pantau/Diproses"
    folder_gagal: str = "Pantau/Gagal"
    folder_diabaikan: str = "Pantau/Diabaikan"
    timeout: float = 60.0
    poll_interval: float = 30.0
    token_lifetime: float = 600.0

    def __post_init__(self) -> None:
        if self.auth not in AUTH:
            raise ValueError(f"auth must be one of {tuple(AUTH)}, not {self.auth!r}")
        if self.auth == "oauth2" and self.oauth2_token is None:
            raise ValueError('auth "oauth2" needs oauth2_token')
        if "@" not in self.address:
            raise ValueError(f"address must be an e-mail address, not {self.address!r}")

    @property
    def endpoint(self) -> str:
        s = self.server.strip()
        if "://" in s:
            return s
        return f"https://{s.strip('/')}/EWS/Exchange.asmx"

    @property
    def host(self) -> str:
        return urlsplit(self.endpoint).hostname or self.server


def split_ref(ref: str) -> tuple[str, str]:
    """'<item id>|<changekey>' -> (item id, changekey)."""
    item_id, _, changekey = ref.partition("|")
    return item_id, changekey


def _quiet_exchangelib() -> None:
    for name in ("exchangelib", "exchangelib.util", "exchangelib.util.xml"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


class EwsTransport:
    """The Transport protocol over one exchangelib Account. One caller at a time."""

    name = "ews"

    def __init__(
        self,
        settings: EwsSettings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        _quiet_exchangelib()
        self.settings = settings
        self._sleep = sleep
        self._now = monotonic
        self._account: Account | None = None
        self._connected_at = 0.0
        self._version = None  # the server version exchangelib detected, kept across reconnections
        self._inbox: Folder | None = None
        self._folders: dict[str, Folder] = {}  # config folder path -> folder
        self._yielded: set[str] = set()  # inbox item ids fetch_new has returned
        self._backoff = 1.0
        self._timeout_cap: float | None = None  # set by wait(): give up within the time left
        self.connected = False

    # ---- connection --------------------------------------------------------------------------

    def _credentials(self):
        s = self.settings
        if s.auth == "oauth2":
            token = s.oauth2_token()
            if not token:
                raise TransportError("EWS: token OAuth2 kosong")
            # Only an access token: without a client id and secret exchangelib never fetches or
            # refreshes tokens itself; Pantau reconnects with a fresh one (see _ensure).
            return OAuth2AuthorizationCodeCredentials(
                access_token=OAuth2Token({"access_token": token, "token_type": "Bearer"})
            )
        return Credentials(s.username, s.password)

    def _connect(self) -> Account:
        """A new Account; the first request (the version probe, or the inbox) logs in."""
        s = self.settings
        config = Configuration(
            service_endpoint=s.endpoint,
            credentials=self._credentials(),
            auth_type=AUTH[s.auth],
            version=self._version,
            retry_policy=FailFast(),
            max_connections=1,
        )
        account = Account(
            primary_smtp_address=s.address,
            config=config,
            autodiscover=False,
            access_type=DELEGATE,
            default_timezone=UTC,
        )
        account.protocol.TIMEOUT = self._request_timeout()
        return account

    def _request_timeout(self) -> float:
        if self._timeout_cap is None:
            return self.settings.timeout
        return max(1.0, min(self.settings.timeout, self._timeout_cap))

    def _ensure(self) -> Account:
        s = self.settings
        if (
            self._account is not None
            and s.auth == "oauth2"
            and self._now() - self._connected_at > s.token_lifetime
        ):
            self._drop()  # the access token may be about to expire: reconnect with a fresh one
        if self._account is None:
            account = self._connect()
            try:
                self._version = account.version  # the version probe: the first request
            except BaseException:
                _forget(account)
                raise
            self._account = account
            self._connected_at = self._now()
            self.connected = True
        return self._account

    def reset(self) -> None:
        """The daemon was woken (SIGUSR1/SIGHUP) in the middle of wait(): a wait cut short may
        leave the connection mid-command (IDLE), so the next call starts on a fresh one."""
        self._drop()

    def _drop(self) -> None:
        if self._account is not None:
            _forget(self._account)
        self._account = None
        self._inbox = None
        self._folders = {}
        self.connected = False

    def close(self) -> None:
        self._drop()

    def _run(self, what: str, op: Callable[[Account], object], *, retry: bool = True) -> object:
        """Run `op` on the account; when the connection or the login fails, reconnect once (with a
        fresh OAuth2 token) and run it again. Failures become TransportError(temporary=True)."""
        attempts = (1, 2) if retry else (1,)
        for attempt in attempts:
            try:
                account = self._ensure()
                return op(account)
            except TransportError:
                self._drop()
                raise
            except Exception as e:  # noqa: BLE001 - exchangelib, requests, a token command
                self._drop()
                if attempt < attempts[-1] and _worth_retrying(e, self.settings.auth):
                    log.info("EWS: %s gagal (%s); menyambung ulang", what, _short(e))
                    continue
                raise TransportError(f"EWS: gagal {what}: {self.explain(e)}") from e
        raise AssertionError("unreachable")

    # ---- folders -----------------------------------------------------------------------------

    def _inbox_folder(self, account: Account) -> Folder:
        if self._inbox is None:
            name = self.settings.folder_masuk
            self._inbox = self._folder(account, name, create=False)
        return self._inbox

    def _folder(self, account: Account, path: str, *, create: bool) -> Folder:
        """The folder at `path` ("Pantau/Diproses") under the top of the mailbox, or under the
        inbox when the path starts with "INBOX/" (as IMAP names it); each level is created when
        missing if `create`, else ErrorFolderNotFound."""
        cached = self._folders.get(path)
        if cached is not None:
            return cached
        names = [p for p in path.split("/") if p]
        if names and names[0].upper() == "INBOX":
            parent, names = account.inbox, names[1:]
        else:
            parent = account.msg_folder_root
        for name in names:
            child = _child(account, parent, name)
            if child is None:
                if not create:
                    raise ews_errors.ErrorFolderNotFound(f"folder {path!r} tidak ada")
                # CreateFolder directly: Folder.save() would load the mailbox's whole folder tree.
                new = Folder(root=parent.root, name=name, folder_class="IPF.Note")
                try:
                    child = CreateFolder(account=account).get(parent_folder=parent, folders=[new])
                    log.info("EWS: folder %r dibuat", name)
                except ews_errors.ErrorFolderExists:
                    # Created meanwhile, or the restriction missed it (case): look again.
                    child = _child(account, parent, name)
                    if child is None:
                        raise
            parent = child
        self._folders[path] = parent
        return parent

    # ---- Transport: reading and filing -------------------------------------------------------

    def _inbox_ids(self, account: Account) -> list[tuple[str, str]]:
        """(item id, changekey) of everything in the inbox, oldest first."""
        inbox = self._inbox_folder(account)
        qs = inbox.all().order_by("datetime_received").only("datetime_received")
        qs.page_size = PAGE_SIZE
        ids = []
        for item in qs:
            if isinstance(item, Exception):
                raise item
            ids.append((item.id, item.changekey))
        return ids

    def fetch_new(self) -> Iterator[Incoming]:
        ids = self._run("membaca daftar surat masuk", self._inbox_ids)
        self._yielded &= {i for i, _ in ids}  # forget what has left the inbox
        for item_id, changekey in ids:

            def get(account: Account, item_id=item_id, changekey=changekey):
                return list(account.fetch(ids=[(item_id, changekey)], only_fields=["mime_content"]))

            got = self._run("mengambil surat", get)
            item = got[0] if got else None
            if isinstance(item, ews_errors.ErrorItemNotFound) or item is None:
                continue  # moved or deleted meanwhile (by a person, or another client)
            if isinstance(item, Exception):
                raise TransportError(f"EWS: gagal mengambil surat: {self.explain(item)}")
            raw = item.mime_content
            if not raw:
                log.warning("EWS: pesan %s tidak memiliki isi MIME; dilewati", item_id[-12:])
                continue
            self._yielded.add(item_id)
            yield Incoming(ref=f"{item_id}|{item.changekey or changekey}", raw=bytes(raw))

    def file(self, ref: str, outcome: str) -> None:
        target = {
            DIPROSES: self.settings.folder_diproses,
            GAGAL: self.settings.folder_gagal,
            DIABAIKAN: self.settings.folder_diabaikan,
        }.get(outcome)
        if target is None:
            raise ValueError(f"unknown outcome {outcome!r}")
        item_id, _changekey = split_ref(ref)

        def move(account: Account) -> None:
            for attempt in (1, 2):
                folder = self._folder(account, target, create=True)
                try:
                    result = list(account.bulk_move(ids=[(item_id, None)], to_folder=folder))
                except (*_FOLDER_GONE, *_TARGET_GONE) as e:
                    result = [e]
                err = result[0] if result and isinstance(result[0], Exception) else None
                if err is None:
                    return
                if isinstance(err, ews_errors.ErrorItemNotFound):
                    log.info(
                        "EWS: pesan %s sudah tidak ada; tidak ada yang dipindahkan", item_id[-12:]
                    )
                    return
                if isinstance(err, _TARGET_GONE) and attempt == 1:
                    self._folders.pop(target, None)  # deleted by someone: create it again
                    continue
                raise err

        self._run(f"memindahkan surat ke {target}", move)
        self._yielded.discard(item_id)

    # ---- Transport: waiting ------------------------------------------------------------------

    def wait(self, timeout: float) -> bool:
        deadline = self._now() + max(0.0, timeout)
        while True:
            remaining = deadline - self._now()
            if remaining <= 0:
                return False
            try:
                if self._new_mail_waiting(remaining):
                    self._backoff = 1.0
                    return True
                self._backoff = 1.0
                self._sleep(min(max(0.0, deadline - self._now()), self.settings.poll_interval))
            except Exception as e:  # noqa: BLE001 - wait() never raises
                log.warning("EWS: kesalahan saat menunggu surel: %s", self.explain(e))
                self._drop()
                if _is_login_refused(e) and self.settings.auth != "oauth2":
                    # Every refused NTLM/Basic login counts towards the account's lockout in
                    # Active Directory: wait the longest before trying the password again.
                    self._backoff = MAX_BACKOFF
                busy = next(
                    (c for c in _causes(e) if isinstance(c, ews_errors.ErrorServerBusy)), None
                )
                if busy is not None and busy.back_off:
                    # Throttled: wait at least what the server asked for (BackOffMilliseconds).
                    self._backoff = max(self._backoff, min(float(busy.back_off), MAX_BACKOFF))
                self._sleep(min(self._backoff, max(0.0, deadline - self._now())))
                self._backoff = min(self._backoff * 2, MAX_BACKOFF)

    def _new_mail_waiting(self, remaining: float) -> bool:
        """Whether the inbox holds an item fetch_new has not yielded yet. Requests made here
        (connecting included) give up within the time left, or a second."""
        self._timeout_cap = remaining
        try:
            account = self._ensure()
            account.protocol.TIMEOUT = self._request_timeout()
            ids = {i for i, _ in self._inbox_ids(account)}
        finally:
            self._timeout_cap = None
            if self._account is not None:
                self._account.protocol.TIMEOUT = self.settings.timeout
        self._yielded &= ids
        return bool(ids - self._yielded)

    # ---- Transport: sending ------------------------------------------------------------------

    def send(self, raw: bytes, sender: str, recipients: list[str]) -> SendResult:
        wanted = _addresses(recipients)
        if not wanted:
            raise TransportError("EWS: surat tanpa penerima", temporary=False)
        in_headers = _header_addresses(raw)
        extra = in_headers - wanted
        if extra:
            raise TransportError(
                "EWS: kepala surat (To/Cc/Bcc) menyebut alamat yang bukan penerimanya "
                f"({', '.join(sorted(extra))}); Exchange akan mengirim kepada mereka juga",
                temporary=False,
            )
        bcc = [
            a for a in dict.fromkeys(r.strip() for r in recipients) if a.lower() not in in_headers
        ]

        def create(account: Account) -> None:
            msg = Message(
                account=account,
                folder=account.sent,
                mime_content=raw,
                bcc_recipients=[Mailbox(email_address=a) for a in bcc] or None,
                is_read=True,  # the copy in Sent Items
            )
            msg.send_and_save()  # CreateItem SendAndSaveCopy: no id, no Message-ID comes back

        try:
            self._run("mengirim surat", create, retry=False)
        except TransportError as e:
            code = _response_code(e.__cause__)
            if code in _PERMANENT_SEND_ERRORS:
                raise TransportError(str(e), temporary=False) from e.__cause__
            raise
        return SendResult()

    def find_sent(self, message_id: str) -> bool | None:
        wanted = message_id.strip().strip("<>").strip()
        if not wanted:
            return False

        def look(account: Account) -> bool:
            # FindItem, ids only, restricted to message:InternetMessageId (kept with the brackets).
            return account.sent.filter(message_id=f"<{wanted}>").exists()

        return bool(self._run("mencari surat terkirim", look))

    # ---- Transport: checking -----------------------------------------------------------------

    def check(self) -> list[str]:
        s = self.settings
        problems: list[str] = []
        scheme = urlsplit(s.endpoint).scheme
        if (
            scheme == "http"
            and s.auth != "ntlm"
            and s.host not in ("127.0.0.1", "localhost", "::1")
        ):
            problems.append(
                f"EWS: alamat {s.endpoint} memakai http:// tanpa TLS; kata sandi atau token akan "
                "terkirim tanpa sandi. Diharapkan https://"
            )
        self._drop()
        try:
            account = self._ensure()
        except Exception as e:  # noqa: BLE001 - everything is reported, nothing raised
            self._drop()
            return problems + [f"EWS: {self.explain(e)}"]
        try:
            try:
                self._inbox_folder(account)
            except _FOLDER_GONE:
                problems.append(
                    f"EWS: folder masuk '{s.folder_masuk}' tidak ada di kotak surat {s.address}"
                )
            try:
                _ = account.sent
            except _FOLDER_GONE:
                problems.append(
                    f"EWS: folder Sent Items (Item Terkirim) tidak ditemukan di kotak surat "
                    f"{s.address}; surat terkirim tidak dapat diperiksa ulang"
                )
        except Exception as e:  # noqa: BLE001
            problems.append(f"EWS: {self.explain(e)}")
        finally:
            self._drop()
        return problems

    def explain(self, e: BaseException) -> str:
        """What went wrong, in Indonesian, for an operator."""
        s = self.settings
        where = s.endpoint
        for cause in _causes(e):
            if isinstance(cause, TransportError) and not isinstance(cause, ews_errors.EWSError):
                return str(cause)
            if isinstance(cause, socket.gaierror) or type(cause).__name__ == "NameResolutionError":
                return (
                    f"nama server '{s.host}' tidak dapat ditemukan (DNS); periksa mail.ews.server"
                )
            if isinstance(cause, ssl.SSLCertVerificationError):
                return (
                    f"sertifikat TLS server {s.host} tidak dapat diverifikasi: "
                    f"{cause.verify_message or cause}. Untuk sertifikat dari CA kantor sendiri, "
                    "arahkan REQUESTS_CA_BUNDLE ke berkas CA tersebut"
                )
            if isinstance(cause, (ssl.SSLError, requests.exceptions.SSLError)):
                return f"koneksi TLS ke {where} gagal: {_short(cause)}"
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
                f"{_short(e)}"
            )
        if isinstance(e, _FOLDER_GONE):
            return f"folder tidak ditemukan: {_short(e)}"
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
            return f"Exchange menjawab {type(e).__name__}: {_short(e)}"
        if isinstance(e, (ews_errors.TransportError, requests.exceptions.RequestException)):
            return f"tidak dapat berbicara dengan {where}: {_short(e)}"
        return f"{type(e).__name__}: {_short(e)}"


# ---- helpers ---------------------------------------------------------------------------------


def _child(account: Account, parent: Folder, name: str) -> Folder | None:
    """The direct subfolder of `parent` named `name` (FindFolder, shallow, by display name)."""
    found = []
    for f in FolderCollection(account=account, folders=[parent]).find_folders(
        q=Q(name=name), depth=SHALLOW
    ):
        if isinstance(f, Exception):
            raise f
        found.append(f)
    for f in found:
        if f.name == name:
            return f
    for f in found:
        if (f.name or "").casefold() == name.casefold():
            return f
    return None


def _forget(account: Account) -> None:
    """Close the account's HTTP sessions and drop its protocol from exchangelib's process-wide
    cache (keyed by endpoint and credentials: every new OAuth2 token would add one)."""
    protocol = account.protocol
    with suppress(Exception):
        protocol.close()
    with suppress(Exception):
        del Protocol[protocol.config]


def _causes(e: BaseException) -> Iterator[BaseException]:
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


def _is_login_refused(e: BaseException) -> bool:
    return isinstance(e, ews_errors.UnauthorizedError)


def _worth_retrying(e: BaseException, auth: str) -> bool:
    """A dead connection, or a 401 with an OAuth2 token that may just have expired. (A refused
    password is not tried twice: failed logins lock Active Directory accounts.)"""
    if _is_login_refused(e):
        return auth == "oauth2"
    causes = list(_causes(e))
    if any(isinstance(c, (ssl.SSLError, socket.gaierror)) for c in causes):
        return False  # a wrong name or certificate stays wrong
    if isinstance(e, ews_errors.ErrorTimeoutExpired):  # exchangelib's name for a failed connection
        return True
    return any(
        isinstance(c, (requests.exceptions.ConnectionError, ConnectionError)) for c in causes
    )


def _response_code(e: BaseException | None) -> str:
    if isinstance(e, ews_errors.ResponseMessageError):
        return type(e).__name__
    return ""


def _addresses(values: list[str]) -> set[str]:
    return {a.lower() for _, a in email.utils.getaddresses(values) if a}


def _header_addresses(raw: bytes) -> set[str]:
    try:
        headers = BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw)
        values = []
        for name in ("To", "Cc", "Bcc"):
            values += [str(v) for v in headers.get_all(name, [])]
        return _addresses(values)
    except Exception:  # noqa: BLE001 - an unreadable header names nobody
        return set()


def _short(e: BaseException) -> str:
    text = " ".join(str(e).split())
    return text[:300] if text else type(e).__name__
