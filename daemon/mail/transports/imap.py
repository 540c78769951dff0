"""The IMAP+SMTP transport: reads and files the office mailbox over IMAP, sends over SMTP.

What it does, and the pitfalls it is written around:

- `fetch_new()` selects the inbox and yields every message not flagged \\Deleted, read with
  BODY.PEEK[] (so \\Seen is left alone) in batches, each with the reference
  "<folder>/<UIDVALIDITY>/<UID>". The reference is only a pointer: when the mailbox's UIDVALIDITY
  changes (a mailbox recreated, a server migrated, Dovecot's dovecot-uidlist lost) every message
  comes again with new references, and the caller recognises them by their hash and Message-ID.
- `file(ref, outcome)` moves one message to the folder configured for the outcome, creating the
  folder when missing. Folder names in the config use "/" for hierarchy; they are translated to
  the server's own separator ("." on Dovecot with Maildir++, "/" on Gmail and Microsoft 365) and
  put under the personal namespace's prefix when the server has one (Courier's "INBOX."). MOVE
  (RFC 6851) when the server has it, else COPY + \\Deleted + UID EXPUNGE (UIDPLUS), else a plain
  EXPUNGE. A reference whose UIDVALIDITY no longer matches is ignored (logged): the message will
  be fetched again. So is one whose UID now names another message (its size or its Message-ID,
  Date, Subject and Received headers differ from what was fetched): a server that lost its UID list may renumber the
  messages and keep the UIDVALIDITY, which Dovecot does.
- `wait(timeout)` blocks in IMAP IDLE until the server reports EXISTS/RECENT (Dovecot tells ~0.5 s
  after delivery) or the timeout passes. IDLE can hang silently on a dead connection, so there is
  always a socket timeout, IDLE is re-issued at least every `idle_max` seconds, and before idling
  the inbox is searched for messages fetch_new has not yet yielded (mail that arrived between
  calls). Without IDLE it polls the same search every `poll_interval` seconds. Dropped
  connections (BYE, EOF, resets, timeouts) are reconnected with backoff; wait() never raises.
- Every other operation reconnects once when it finds its connection dead (the server restarted
  or timed the session out), then raises TransportError(temporary=True).
- `send()` delegates to SmtpSender and, when `folder_terkirim` is set, APPENDs a copy (flagged
  \\Seen) to that folder, so `find_sent(message_id)` can later tell whether a letter whose outcome
  was unknown did go out. Gmail and Microsoft 365 keep their own copy of everything sent through
  their SMTP servers, so there the config must not have Pantau APPEND too (each letter would be
  stored twice): either leave `folder_terkirim` unset (find_sent then answers None, "cannot
  tell"), or name the provider's own Sent folder ("[Gmail]/Sent Mail", "Sent Items") with
  `salin_terkirim = False`, so find_sent searches the provider's copy and nothing is appended.
- OAuth2 (Microsoft 365, Gmail): give `oauth2_token`, a callable returning a fresh access token;
  login then uses XOAUTH2 (`IMAPClient.oauth2_login`). It is called at every (re)connection.

Only this module and smtp.py import imapclient / smtplib.
"""

from __future__ import annotations

import imaplib
import logging
import re
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from daemon.mail.transports.base import (
    DIABAIKAN,
    DIPROSES,
    GAGAL,
    Incoming,
    SendResult,
    TransportError,
)
from daemon.mail.transports.smtp import (
    KEAMANAN,
    SmtpSender,
    SmtpSettings,
    normalise_eols,
    tls_context,
)

log = logging.getLogger("pantau.transport.imap")

# How many messages one FETCH asks for (BODY.PEEK[] of each).
FETCH_BATCH = 25
# Backoff between reconnection attempts inside wait(): 1, 2, 4 ... at most this many seconds.
MAX_BACKOFF = 60.0
# Waiting for the server's answer to DONE (end of IDLE): short, a dead connection hangs here.
DONE_TIMEOUT = 10.0

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


class _Dropped(Exception):
    """The connection died during IDLE (internal)."""


class ImapSmtpTransport:
    """The Transport protocol over one IMAP connection and an SmtpSender. One caller at a time."""

    name = "imap"

    def __init__(
        self,
        imap: ImapSettings,
        smtp: SmtpSettings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.settings = imap
        self.sender = SmtpSender(smtp)
        self._sleep = sleep
        self._now = monotonic
        self._client: IMAPClient | None = None
        self._delimiter = "/"
        self._prefix = ""
        self._selected: str | None = None  # server-side name of the selected folder
        self._uidvalidity: int | None = None  # of the selected folder
        self._known: set[str] = set()  # server-side folder names known to exist
        self._yielded: set[int] = set()  # inbox UIDs fetch_new has returned (this UIDVALIDITY)
        self._yielded_validity: int | None = None
        # ref -> what the server said about the message when it was fetched (see file()).
        self._fingerprints: dict[str, tuple] = {}
        self._backoff = 1.0
        self.connected = False

    # ---- connection --------------------------------------------------------------------------

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
        self.sender.close()

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

    # ---- Transport: reading ------------------------------------------------------------------

    def fetch_new(self) -> Iterator[Incoming]:
        folder = self.settings.folder_masuk

        def listing(client: IMAPClient) -> tuple[int, list[int]]:
            self._selected = None  # always SELECT afresh: picks up a new UIDVALIDITY
            validity = self._select(client, self.server_name(folder))
            return validity, sorted(client.search(["NOT", "DELETED"]))

        validity, uids = self._run("membaca kotak masuk", listing)
        if validity != self._yielded_validity:
            self._yielded = set()
            self._yielded_validity = validity
        # Forget what has left the inbox (or belongs to an old UIDVALIDITY).
        listed = {f"{folder}/{validity}/{uid}" for uid in uids}
        self._fingerprints = {
            ref: fp
            for ref, fp in self._fingerprints.items()
            if ref in listed or not ref.startswith(folder + "/")
        }
        for start in range(0, len(uids), FETCH_BATCH):
            batch = uids[start : start + FETCH_BATCH]

            def fetch(client: IMAPClient, batch=batch) -> dict | None:
                if self._select(client, self.server_name(folder)) != validity:
                    return None  # UIDVALIDITY changed: the next fetch_new starts over
                return client.fetch(batch, ["BODY.PEEK[]", *_FINGERPRINT])

            data = self._run("mengambil surat", fetch)
            if data is None:
                log.warning(
                    "UIDVALIDITY folder IMAP %s berubah saat mengambil pesan; diulang dari awal",
                    folder,
                )
                return
            for uid in batch:
                item = data.get(uid)
                if item is None:  # expunged meanwhile (by a person, or another client)
                    continue
                raw = item.get(b"BODY[]")
                if raw is None:
                    continue
                ref = f"{folder}/{validity}/{uid}"
                self._fingerprints[ref] = _fingerprint(item)
                self._yielded.add(uid)
                yield Incoming(ref=ref, raw=bytes(raw))

    def file(self, ref: str, outcome: str) -> None:
        target = {
            DIPROSES: self.settings.folder_diproses,
            GAGAL: self.settings.folder_gagal,
            DIABAIKAN: self.settings.folder_diabaikan,
        }.get(outcome)
        if target is None:
            raise ValueError(f"unknown outcome {outcome!r}")
        folder, validity, uid = parse_ref(ref)
        expected = self._fingerprints.get(ref)

        def move(client: IMAPClient) -> None:
            source = self.server_name(folder)
            if self._select(client, source) != validity:
                log.warning(
                    "folder IMAP %s: UIDVALIDITY kini %s, bukan %s; UID %s tidak dipindahkan (akan "
                    "diambil lagi)",
                    folder,
                    self._uidvalidity,
                    validity,
                    uid,
                )
                return
            if expected is not None:
                # A server that lost its UID list may hand out the same UIDVALIDITY again with
                # the messages renumbered (Dovecot does, within the same second): make sure the
                # UID still names the message that was fetched.
                now = client.fetch([uid], list(_FINGERPRINT)).get(uid)
                if now is None:
                    log.info(
                        "folder IMAP %s: UID %s sudah tidak ada; tidak ada yang dipindahkan",
                        folder,
                        uid,
                    )
                    return
                if _fingerprint(now) != expected:
                    log.warning(
                        "folder IMAP %s: UID %s kini menunjuk pesan lain (UID dinomori ulang); "
                        "tidak dipindahkan (akan diambil lagi)",
                        folder,
                        uid,
                    )
                    return
            dest = self.server_name(target)
            self._ensure_folder(client, dest)
            if client.has_capability("MOVE"):
                client.move([uid], dest)
            else:
                client.copy([uid], dest)
                client.add_flags([uid], [b"\\Deleted"], silent=True)
                if client.has_capability("UIDPLUS"):
                    client.uid_expunge([uid])
                else:
                    client.expunge()

        self._run(f"memindahkan surat ke {target}", move)
        self._fingerprints.pop(ref, None)

    # ---- Transport: waiting ------------------------------------------------------------------

    def wait(self, timeout: float) -> bool:
        deadline = self._now() + max(0.0, timeout)
        drops = 0
        while True:
            remaining = deadline - self._now()
            if remaining <= 0:
                return False
            try:
                client = self._ensure()
            except Exception as e:  # noqa: BLE001 - wait() never raises
                self._drop()
                pause = min(self._backoff, remaining)
                log.warning(
                    "menyambung ulang IMAP gagal (%s); dicoba lagi dalam %.0f detik", e, pause
                )
                self._sleep(pause)
                self._backoff = min(self._backoff * 2, MAX_BACKOFF)
                continue
            try:
                unseen = self._unseen_waiting(client)
                self._backoff = 1.0  # connected and the inbox is readable
                if unseen:
                    return True
                if client.has_capability("IDLE"):
                    if self._idle(client, min(remaining, self.settings.idle_max)):
                        return True
                else:
                    self._sleep(min(remaining, self.settings.poll_interval))
            except (*DROPPED, _Dropped) as e:
                log.info("sambungan IMAP terputus saat menunggu surel (%s); menyambung ulang", e)
                self._drop()
                drops += 1
                if drops > 1:  # the first reconnect is immediate, repeated drops back off
                    self._sleep(min(self._backoff, max(0.0, deadline - self._now())))
                    self._backoff = min(self._backoff * 2, MAX_BACKOFF)
            except Exception as e:  # noqa: BLE001 - wait() never raises
                # E.g. the inbox folder is missing: try again, ever more slowly.
                log.warning("kesalahan IMAP saat menunggu surel: %s", e)
                self._drop()
                self._sleep(min(self._backoff, max(0.0, deadline - self._now())))
                self._backoff = min(self._backoff * 2, MAX_BACKOFF)

    def _unseen_waiting(self, client: IMAPClient) -> bool:
        """Whether the inbox holds messages fetch_new has not yielded yet."""
        self._selected = None
        validity = self._select(client, self.server_name(self.settings.folder_masuk))
        uids = set(client.search(["NOT", "DELETED"]))
        if _exists_reported_since_select(client):
            # Mail arrived while SEARCH ran: the server told us in that answer (and will not
            # repeat it when IDLE starts), but the result may not include it.
            return True
        if validity != self._yielded_validity:
            return bool(uids)
        self._yielded &= uids  # forget what has left the inbox
        return bool(uids - self._yielded)

    def _idle(self, client: IMAPClient, span: float) -> bool:
        """IDLE for at most `span` seconds; True when the server reported new mail."""
        try:
            client.idle()
        except IMAPClientError as e:
            # An untagged response came before the "+ idling" continuation: the session is
            # out of step. Start afresh; report new mail if that is what the server said.
            self._drop()
            if "EXISTS" in str(e):
                return True
            raise _Dropped(f"unexpected answer to IDLE: {e}") from e
        started = self._now()
        woke = False
        try:
            # What came in the same packet as "+ idling" already sits in imaplib's read buffer,
            # where poll() (inside idle_check) cannot see it.
            responses = _drain_buffered(client)
            while True:
                if _says_bye(responses):
                    raise _Dropped("server said BYE")
                if _says_new_mail(responses):
                    woke = True
                    break
                left = span - (self._now() - started)
                if left <= 0:
                    break
                asked = self._now()
                responses = [_line_of(r) for r in client.idle_check(timeout=left)]
                if not responses and self._now() - asked < left - 0.05:
                    # poll() saw the socket readable but no line came: EOF.
                    raise _Dropped("EOF during IDLE")
        except BaseException:
            self._drop()
            raise
        self._idle_done(client)
        return woke

    def _idle_done(self, client: IMAPClient) -> None:
        sock = client.socket()
        try:
            sock.settimeout(min(DONE_TIMEOUT, self.settings.timeout))
            client.idle_done()
        finally:
            try:
                sock.settimeout(self.settings.timeout)
            except OSError:
                pass

    # ---- Transport: sending ------------------------------------------------------------------

    def send(self, raw: bytes, sender: str, recipients: list[str]) -> SendResult:
        result = self.sender.send(raw, sender, recipients)
        if self.settings.folder_terkirim and self.settings.salin_terkirim:
            folder = self.settings.folder_terkirim
            data = normalise_eols(raw)

            def append(client: IMAPClient) -> None:
                name = self.server_name(folder)
                self._ensure_folder(client, name)
                client.append(name, data, flags=[b"\\Seen"])

            try:
                self._run(f"menyimpan salinan ke {folder}", append)
            except TransportError as e:
                # The letter did go out; only the copy is missing (find_sent will not see it).
                log.warning("terkirim, tetapi salinannya tidak tersimpan di %s: %s", folder, e)
        return result

    def find_sent(self, message_id: str) -> bool | None:
        folder = self.settings.folder_terkirim
        if not folder:
            return None
        wanted = message_id.strip()
        if not wanted:
            return False

        def look(client: IMAPClient) -> bool:
            name = self.server_name(folder)
            if not client.folder_exists(name):
                return False
            self._selected = None
            self._select(client, name, readonly=True)
            found = client.search(["HEADER", "Message-ID", wanted])
            self._selected = None  # EXAMINEd read-only: SELECT again before filing
            return bool(found)

        return bool(self._run("mencari surat terkirim", look))

    # ---- Transport: checking -----------------------------------------------------------------

    def check(self) -> list[str]:
        problems = self._check_imap()
        problems.extend(self.sender.check())
        return problems

    def _check_imap(self) -> list[str]:
        s = self.settings
        where = f"{s.host}:{s.port}"
        try:
            client = self._connect()
        except socket.gaierror as e:
            return [f"IMAP: nama server '{s.host}' tidak dapat ditemukan (DNS): {e.strerror or e}"]
        except ConnectionRefusedError:
            return [f"IMAP: koneksi ke {where} ditolak; server tidak berjalan atau port salah"]
        except TimeoutError:
            return [f"IMAP: server {where} tidak menjawab dalam {s.timeout:g} detik"]
        except ssl.SSLCertVerificationError as e:
            return [
                f"IMAP: sertifikat TLS server {where} tidak dapat diverifikasi: "
                f"{e.verify_message or e}"
            ]
        except ssl.SSLError as e:
            return [
                f"IMAP: koneksi TLS ke {where} gagal (periksa 'keamanan' dan port): {e.reason or e}"
            ]
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


# Cheap attributes that tell one message from another, compared before filing by UID. Not
# INTERNALDATE: Dovecot recomputes it from the file's mtime when its index is lost, and it can
# move by a second.
_FINGERPRINT = ("RFC822.SIZE", "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID DATE SUBJECT RECEIVED)]")


def _fingerprint(item: dict) -> tuple:
    header = b""
    for key, value in item.items():
        if isinstance(key, bytes) and key.startswith(b"BODY[HEADER.FIELDS"):
            header = bytes(value or b"")
    return item.get(b"RFC822.SIZE"), header.strip()


def _exists_reported_since_select(client: IMAPClient) -> bool:
    """Whether the server sent an EXISTS after the one in the SELECT answer.

    imaplib keeps the unsolicited responses of every command since SELECT (which flushed them)
    in `untagged_responses`, one list entry per response."""
    pending = getattr(client._imap, "untagged_responses", None) or {}
    return len(pending.get("EXISTS", ())) > 1


_NEW_MAIL = re.compile(rb"^\* (\d+) (EXISTS|RECENT)\b", re.IGNORECASE)
_BYE = re.compile(rb"^\* BYE\b", re.IGNORECASE)


def _line_of(response: tuple) -> bytes:
    """An idle_check() response, e.g. (3, b'EXISTS'), back as the line it came from."""
    parts = []
    for part in response:
        if isinstance(part, (bytes, bytearray)):
            parts.append(bytes(part))
        else:  # a number, or a parsed list such as a FETCH's (FLAGS (...))
            parts.append(str(part).encode())
    return b"* " + b" ".join(parts)


def _drain_buffered(client: IMAPClient) -> list[bytes]:
    """Untagged lines already received (buffered by imaplib or the TLS layer), without
    waiting for more."""
    sock = client.socket()
    lines: list[bytes] = []
    sock.setblocking(False)
    try:
        while True:
            try:
                lines.append(client._imap._get_line())
            except (TimeoutError, OSError):  # nothing more buffered (EAGAIN, SSL want-read)
                break
            except imaplib.IMAP4.abort as e:
                if "EOF" in str(e):  # no data at all: imaplib calls that EOF too
                    break
                raise
    finally:
        sock.setblocking(True)
        client._set_read_timeout()
    return lines


def _says_new_mail(lines: list[bytes]) -> bool:
    for line in lines:
        m = _NEW_MAIL.match(line)
        if m and (m.group(2).upper() == b"EXISTS" or int(m.group(1)) > 0):
            return True
    return False


def _says_bye(lines: list[bytes]) -> bool:
    return any(_BYE.match(line) for line in lines)


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
