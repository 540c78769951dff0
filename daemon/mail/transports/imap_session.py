"""The IMAP session under ImapSmtpTransport: connecting, logging in, reconnecting, folder names.

One logged-in IMAPClient at a time, made on first use: TLS as configured (ssl, starttls or
none), then a password login or XOAUTH2 with a fresh token from `oauth2_token` at every
(re)connection. The server's hierarchy delimiter and personal namespace prefix are learnt at
login, so config folder names ("Pantau/Diproses") can be spelt the server's way. `_run` gives
every operation one reconnection when it finds the connection dead, then a TransportError.
`_check_imap` turns each way of failing to connect into a sentence for `pantau check`.
"""

from __future__ import annotations

import imaplib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from daemon.mail.transports.base import TransportError
from daemon.mail.transports.smtp import (
    KEAMANAN,
    NETWORK_ERRORS,
    connect_problem,
    tls_context,
)

log = logging.getLogger("pantau.transport.imap")

# The errors that mean "this connection is gone": imaplib's abort (BYE, EOF, protocol breakage),
# socket errors (reset, refused, timeouts; ssl.SSLError is an OSError too).
DROPPED = (imaplib.IMAP4.abort, OSError, EOFError)
# Response codes (RFC 5530) under which a refused command may succeed later.
_TEMPORARY_CODES = ("[UNAVAILABLE]", "[INUSE]", "[LIMIT]", "[SERVERBUG]", "[OVERQUOTA]")


@dataclass
class ImapSettings:
    """The mailbox Pantau reads. Folder names use "/" for hierarchy whatever the server uses.

    `folder_terkirim`: the Sent folder to APPEND copies to and to search in `find_sent`; None
    (the default) = neither. `salin_terkirim = False`: search it but do not APPEND (Gmail and
    Microsoft 365 file their own copy). `idle_max`: re-issue IDLE
    after this many seconds (servers drop IDLE after ~30 min; Gmail after ~10). `poll_interval`:
    how often to look when the server has no IDLE."""

    host: str
    port: int
    keamanan: str = "ssl"
    username: str = ""
    password: str = ""
    oauth2_token: Callable[[], str] | None = None
    folder_masuk: str = "INBOX"
    folder_diproses: str = "Pantau/Diproses"
    folder_gagal: str = "Pantau/Gagal"
    folder_diabaikan: str = "Pantau/Diabaikan"
    folder_terkirim: str | None = None
    salin_terkirim: bool = True
    timeout: float = 60.0
    idle_max: float = 540.0
    poll_interval: float = 30.0
    tls_verify: bool = True
    ca_file: str | None = None

    def __post_init__(self) -> None:
        if self.keamanan not in KEAMANAN:
            raise ValueError(f"keamanan must be one of {KEAMANAN}, not {self.keamanan!r}")


def parse_ref(ref: str) -> tuple[str, int, int]:
    """'<folder>/<uidvalidity>/<uid>' -> (folder, uidvalidity, uid); the folder may hold '/'."""
    folder, uidvalidity, uid = ref.rsplit("/", 2)
    return folder, int(uidvalidity), int(uid)


class ImapSession:
    """One IMAP connection and what was learnt about the server; the base of the transport."""

    def __init__(
        self,
        imap: ImapSettings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.settings = imap
        self._sleep = sleep
        self._now = monotonic
        self._client: IMAPClient | None = None
        self._delimiter = "/"
        self._prefix = ""
        self._selected: str | None = None  # server-side name of the selected folder
        self._uidvalidity: int | None = None  # of the selected folder
        self._known: set[str] = set()  # server-side folder names known to exist
        self._backoff = 1.0
        self.connected = False

    def _connect(self) -> IMAPClient:
        """A new logged-in client; raises the underlying errors."""
        s = self.settings
        ctx = tls_context(s.tls_verify, s.ca_file) if s.keamanan != "none" else None
        client = IMAPClient(
            s.host, s.port, ssl=s.keamanan == "ssl", ssl_context=ctx, timeout=s.timeout
        )
        try:
            if s.keamanan == "starttls":
                client.starttls(ctx)
            if s.oauth2_token is not None:
                client.oauth2_login(s.username, s.oauth2_token())
            else:
                client.login(s.username, s.password)
            self._learn_hierarchy(client)
        except BaseException:
            _shutdown(client)
            raise
        return client

    def _learn_hierarchy(self, client: IMAPClient) -> None:
        delimiter, prefix = None, ""
        try:
            if client.has_capability("NAMESPACE"):
                personal = client.namespace().personal
                if personal:
                    prefix, delimiter = personal[0][0] or "", personal[0][1]
        except IMAPClientError:
            pass
        if not delimiter:
            try:
                # LIST "" "" answers with the hierarchy delimiter of the root.
                listing = client.list_folders("", "")
                if listing and listing[0][1]:
                    delimiter = listing[0][1]
            except IMAPClientError:
                pass
        if isinstance(delimiter, bytes):
            delimiter = delimiter.decode()
        self._delimiter = delimiter or "/"
        self._prefix = prefix

    def _ensure(self) -> IMAPClient:
        if self._client is None:
            self._client = self._connect()
            self._selected = None
            self._uidvalidity = None
            self._known = set()
            self.connected = True
        return self._client

    def reset(self) -> None:
        """The daemon was woken (SIGUSR1/SIGHUP) in the middle of wait(): a wait cut short may
        leave the connection mid-command (IDLE), so the next call starts on a fresh one."""
        self._drop()

    def _drop(self) -> None:
        if self._client is not None:
            _shutdown(self._client)
        self._client = None
        self._selected = None
        self._uidvalidity = None
        self.connected = False

    def close(self) -> None:
        if self._client is not None:
            try:
                self._client.logout()
            except Exception:
                pass
        self._drop()

    def _run(self, what: str, op: Callable[[IMAPClient], object]) -> object:
        """Run `op` on the connection; on a dead connection, reconnect once and run it again."""
        for attempt in (1, 2):
            try:
                client = self._ensure()
            except LoginError as e:
                self._drop()
                raise TransportError(f"IMAP: login ditolak ({what}): {_short(e)}") from e
            except Exception as e:  # noqa: BLE001 - network, TLS, a failing token callable
                self._drop()
                raise TransportError(f"IMAP: tidak dapat terhubung ({what}): {e}") from e
            try:
                return op(client)
            except DROPPED as e:
                self._drop()
                if attempt == 1:
                    log.info("sambungan IMAP terputus saat %s (%s); menyambung ulang", what, e)
                    continue
                raise TransportError(f"IMAP: koneksi terputus ({what}): {e}") from e
            except IMAPClientError as e:
                # NO/BAD: the server refused. Retrying helps only when it says it is busy.
                text = _short(e)
                temporary = any(code in text.upper() for code in _TEMPORARY_CODES)
                raise TransportError(
                    f"IMAP: server menolak ({what}): {text}", temporary=temporary
                ) from e
        raise AssertionError("unreachable")

    # ---- folders -----------------------------------------------------------------------------

    def server_name(self, folder: str) -> str:
        """A config folder name ("Pantau/Diproses") as the server spells it."""
        if folder.upper() == "INBOX":
            return "INBOX"
        name = folder.replace("/", self._delimiter) if self._delimiter != "/" else folder
        if self._prefix and not name.startswith(self._prefix) and name.upper() != "INBOX":
            name = self._prefix + name
        return name

    def _select(self, client: IMAPClient, name: str, readonly: bool = False) -> int:
        if self._selected != name:
            info = client.select_folder(name, readonly=readonly)
            self._selected = name
            self._uidvalidity = int(info.get(b"UIDVALIDITY", 0))
        return self._uidvalidity or 0

    def _ensure_folder(self, client: IMAPClient, name: str) -> None:
        if name in self._known:
            return
        if not client.folder_exists(name):
            try:
                client.create_folder(name)
                log.info("folder IMAP dibuat: %s", name)
            except IMAPClientError:
                if not client.folder_exists(name):  # not a creation race: a real refusal
                    raise
            try:
                client.subscribe_folder(name)  # so mail clients show it
            except IMAPClientError:
                pass
        self._known.add(name)

    def _check_imap(self) -> list[str]:
        s = self.settings
        where = f"{s.host}:{s.port}"
        try:
            client = self._connect()
        except NETWORK_ERRORS as e:
            return [connect_problem("IMAP", s.host, s.port, s.timeout, e)]
        except LoginError as e:
            how = "token OAuth2" if s.oauth2_token is not None else "kata sandi"
            return [
                f"IMAP: login sebagai '{s.username}' ditolak (periksa nama pengguna dan {how}): "
                f"{_short(e)}"
            ]
        except IMAPClientError as e:
            if "STARTTLS" in str(e).upper():
                return [f"IMAP: server {where} tidak menawarkan STARTTLS; periksa 'keamanan'"]
            return [f"IMAP: server {where} menjawab dengan galat: {_short(e)}"]
        except OSError as e:
            return [f"IMAP: tidak dapat terhubung ke {where}: {e.strerror or e}"]
        except Exception as e:  # noqa: BLE001 - a token callable may fail in any way
            return [f"IMAP: tidak dapat masuk ke {where}: {e}"]
        problems = []
        try:
            inbox = self.server_name(s.folder_masuk)
            if not client.folder_exists(inbox):
                problems.append(f"IMAP: folder masuk '{s.folder_masuk}' tidak ada di server")
            if s.folder_terkirim and not client.folder_exists(self.server_name(s.folder_terkirim)):
                problems.append(
                    f"IMAP: folder terkirim '{s.folder_terkirim}' tidak ada di server "
                    "(akan dibuat saat surat pertama dikirim)"
                )
        except (*DROPPED, IMAPClientError) as e:
            problems.append(f"IMAP: gagal memeriksa folder: {_short(e)}")
        finally:
            try:
                client.logout()
            except Exception:
                _shutdown(client)
        return problems


def _short(e: BaseException) -> str:
    text = str(e)
    if text.startswith("b'") or text.startswith('b"'):
        text = text[2:-1]
    return text


def _shutdown(client: IMAPClient) -> None:
    try:
        client.shutdown()
    except Exception:
        pass
