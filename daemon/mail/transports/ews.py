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
request headers (with the password of Basic auth) at DEBUG level: the transport silences its
loggers below CRITICAL and logs its own one-line summaries instead.

The transport is three modules, each a layer of one object or a helper of it: ews_session.py
(EwsSettings, the Account, login, reconnection, folders), ews_explain.py (errors told in
Indonesian, what is worth retrying) and this one (reading, filing, waiting, sending, check).
Only these modules import exchangelib.
"""

from __future__ import annotations

import email.policy
import email.utils
import logging
import time
from collections.abc import Callable, Iterator
from email.parser import BytesHeaderParser
from urllib.parse import urlsplit

from exchangelib import Account, Mailbox, Message
from exchangelib import errors as ews_errors

from daemon.mail.transports.base import (
    DIABAIKAN,
    DIPROSES,
    GAGAL,
    Incoming,
    SendResult,
    TransportError,
)
from daemon.mail.transports.ews_explain import (
    FOLDER_GONE,
    PERMANENT_SEND_ERRORS,
    causes_of,
    is_login_refused,
    response_code,
)
from daemon.mail.transports.ews_session import EwsSession, EwsSettings, split_ref

__all__ = ["EwsSettings", "EwsTransport", "split_ref"]

log = logging.getLogger("pantau.transport.ews")

# Backoff between attempts inside wait(): 1, 2, 4 ... at most this many seconds.
MAX_BACKOFF = 60.0
# Item ids per FindItem page.
PAGE_SIZE = 100
# A move whose destination folder was deleted meanwhile: create it again and move once more.
_TARGET_GONE = (ews_errors.ErrorFolderNotFound, ews_errors.ErrorToFolderNotFound)


class EwsTransport(EwsSession):
    """The Transport protocol over one exchangelib Account. One caller at a time."""

    name = "ews"

    def __init__(
        self,
        settings: EwsSettings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        super().__init__(settings, sleep=sleep, monotonic=monotonic)
        self._yielded: set[str] = set()  # inbox item ids fetch_new has returned

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
                except (*FOLDER_GONE, *_TARGET_GONE) as e:
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
                if is_login_refused(e) and self.settings.auth != "oauth2":
                    # Every refused NTLM/Basic login counts towards the account's lockout in
                    # Active Directory: wait the longest before trying the password again.
                    self._backoff = MAX_BACKOFF
                busy = next(
                    (c for c in causes_of(e) if isinstance(c, ews_errors.ErrorServerBusy)), None
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
            code = response_code(e.__cause__)
            if code in PERMANENT_SEND_ERRORS:
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
            except FOLDER_GONE:
                problems.append(
                    f"EWS: folder masuk '{s.folder_masuk}' tidak ada di kotak surat {s.address}"
                )
            try:
                _ = account.sent
            except FOLDER_GONE:
                problems.append(
                    f"EWS: folder Sent Items (Item Terkirim) tidak ditemukan di kotak surat "
                    f"{s.address}; surat terkirim tidak dapat diperiksa ulang"
                )
        except Exception as e:  # noqa: BLE001
            problems.append(f"EWS: {self.explain(e)}")
        finally:
            self._drop()
        return problems


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
