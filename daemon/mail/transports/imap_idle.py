"""Waiting for new mail on IMAP: IDLE when the server has it, else polling.

IDLE can hang silently on a dead connection, so there is always a socket timeout and IDLE is
re-issued at least every `idle_max` seconds. Before idling, the inbox is searched for messages
fetch_new has not yet yielded (mail that arrived between calls), and what the server announced
in the same packet as "+ idling" is read from imaplib's buffer. Dropped connections are
reconnected with backoff; wait() never raises.
"""

from __future__ import annotations

import imaplib
import logging
import re
import time
from collections.abc import Callable

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from daemon.mail.transports.imap_session import DROPPED, ImapSession, ImapSettings

log = logging.getLogger("pantau.transport.imap")

# Backoff between reconnection attempts inside wait(): 1, 2, 4 ... at most this many seconds.
MAX_BACKOFF = 60.0
# Waiting for the server's answer to DONE (end of IDLE): short, a dead connection hangs here.
DONE_TIMEOUT = 10.0


class _Dropped(Exception):
    """The connection died during IDLE (internal)."""


class ImapWaiting(ImapSession):
    """`wait()` over an ImapSession; remembers which inbox UIDs fetch_new has yielded."""

    def __init__(
        self,
        imap: ImapSettings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        super().__init__(imap, sleep=sleep, monotonic=monotonic)
        self._yielded: set[int] = set()  # inbox UIDs fetch_new has returned (this UIDVALIDITY)
        self._yielded_validity: int | None = None

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
