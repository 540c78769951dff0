"""The EWS session under EwsTransport: an exchangelib Account, logging in, reconnecting, folders.

One Account at a time, made on first use with NTLM, Basic or an OAuth2 access token (read afresh
at every (re)connection, never refreshed by exchangelib itself); it is rebuilt after
`token_lifetime` seconds or a 401. The server version is detected once and kept. `_run` gives
every operation one reconnection when the connection or an OAuth2 login fails (a refused
password is never tried twice), then a TransportError. Folders are found by path under the top
of the mailbox and created when missing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from urllib.parse import urlsplit

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
    OAuth2AuthorizationCodeCredentials,
    Q,
)
from exchangelib import errors as ews_errors
from exchangelib.folders import FolderCollection
from exchangelib.folders.queryset import SHALLOW
from exchangelib.protocol import Protocol
from exchangelib.services import CreateFolder
from oauthlib.oauth2 import OAuth2Token

from daemon.mail.transports.base import TransportError
from daemon.mail.transports.ews_explain import explain, short, worth_retrying

log = logging.getLogger("pantau.transport.ews")

AUTH = {"ntlm": NTLM, "basic": BASIC, "oauth2": OAUTH2}


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


class EwsSession:
    """One exchangelib Account and what was learnt about the server; the base of the transport."""

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
                if attempt < attempts[-1] and worth_retrying(e, self.settings.auth):
                    log.info("EWS: %s gagal (%s); menyambung ulang", what, short(e))
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

    def explain(self, e: BaseException) -> str:
        """What went wrong, in Indonesian, for an operator."""
        return explain(self.settings, e)


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
