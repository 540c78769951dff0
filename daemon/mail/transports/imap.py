"""The IMAP+SMTP transport: reads and files the office mailbox over IMAP, sends over SMTP.

What it does, and the pitfalls it is written around:

- `fetch_new()` selects the inbox and yields every message not flagged \\Deleted, read with
  BODY.PEEK[] (so \\Seen is left alone) in batches (a message over STREAM_FROM bytes in 1 MB
  partial fetches, BODY.PEEK[]<offset.length>, as the caller reads it), each with the reference
  "<folder>/<UIDVALIDITY>/<UID>". The reference is only a pointer: when the mailbox's UIDVALIDITY
  changes (a mailbox recreated, a server migrated, Dovecot's dovecot-uidlist lost) every message
  comes again with new references, and the caller recognises them by their hash and Message-ID.
- `file(ref, outcome)` moves one message to the folder configured for the outcome, creating the
  folder when missing; `file_batch([(ref, outcome), ...])` moves a fetched batch with one UID MOVE
  per target folder (after one FETCH of the fingerprints below). Folder names in the config use "/"
  for hierarchy; they are translated to the server's own separator ("." on Dovecot with Maildir++,
  "/" on Gmail and Microsoft 365) and put under the personal namespace's prefix when the server has
  one (Courier's "INBOX."). MOVE (RFC 6851) when the server has it, else COPY + \\Deleted + UID
  EXPUNGE (UIDPLUS), else a plain EXPUNGE. A reference whose UIDVALIDITY no longer matches is
  ignored (logged): the message will be fetched again. So is one whose UID now names another message
  (its size or its Message-ID, Date, Subject and Received headers differ from what was fetched): a
  server that lost its UID list may renumber the messages and keep the UIDVALIDITY, which Dovecot
  does.
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

The transport is three modules, each a layer of one object: imap_session.py (ImapSettings,
connecting, login with password or OAuth2, reconnection, folder names, `pantau check`'s
diagnosis), imap_idle.py (wait(): IDLE, polling, backoff) and this one (reading, filing,
sending, find_sent). Only these modules and smtp.py import imapclient / smtplib.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator

from imapclient import IMAPClient

from daemon.mail.transports.base import (
    CHUNK,
    DIABAIKAN,
    DIPROSES,
    GAGAL,
    STREAM_FROM,
    Incoming,
    SendResult,
    TransportError,
)
from daemon.mail.transports.imap_idle import ImapWaiting
from daemon.mail.transports.imap_session import ImapSettings, parse_ref
from daemon.mail.transports.smtp import SmtpSender, SmtpSettings, normalise_eols

__all__ = ["FETCH_BATCH", "ImapSettings", "ImapSmtpTransport", "parse_ref"]

log = logging.getLogger("pantau.transport.imap")

# How many messages one FETCH asks for (BODY.PEEK[] of each).
FETCH_BATCH = 25


class ImapSmtpTransport(ImapWaiting):
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
        super().__init__(imap, sleep=sleep, monotonic=monotonic)
        self.sender = SmtpSender(smtp)
        # ref -> what the server said about the message when it was fetched (see file()).
        self._fingerprints: dict[str, tuple] = {}

    def close(self) -> None:
        super().close()
        self.sender.close()

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
                # The sizes first: a big message is not fetched whole but in parts (_stream).
                heads = client.fetch(batch, list(_FINGERPRINT))
                small = [u for u in batch
                         if u in heads and (heads[u].get(b"RFC822.SIZE") or 0) <= STREAM_FROM]
                bodies = client.fetch(small, ["BODY.PEEK[]"]) if small else {}
                for uid, item in bodies.items():
                    if uid in heads:
                        heads[uid][b"BODY[]"] = item.get(b"BODY[]")
                return heads

            data = self._run("mengambil surat", fetch)
            if data is None:
                log.warning(
                    "UIDVALIDITY folder IMAP %s berubah saat mengambil pesan; diulang dari awal",
                    folder,
                )
                return
            for uid in batch:
                item = data.pop(uid, None)
                if item is None:  # expunged meanwhile (by a person, or another client)
                    continue
                size = item.get(b"RFC822.SIZE") or 0
                raw = item.pop(b"BODY[]", None)
                ref = f"{folder}/{validity}/{uid}"
                if raw is None and size <= STREAM_FROM:
                    continue
                self._fingerprints[ref] = _fingerprint(item)
                self._yielded.add(uid)
                if raw is None:
                    yield Incoming(ref=ref, raw=b"",
                                   stream=lambda uid=uid, size=size: self._stream(
                                       folder, validity, uid, size))
                else:
                    yield Incoming(ref=ref, raw=bytes(raw))
                del raw

    def _stream(self, folder: str, validity: int, uid: int, size: int) -> Iterator[bytes]:
        """A big message's bytes, one partial FETCH (BODY.PEEK[]<offset.length>) at a time."""
        offset = 0
        while offset < size:

            def part(client: IMAPClient, offset=offset) -> bytes | None:
                if self._select(client, self.server_name(folder)) != validity:
                    return None
                got = client.fetch([uid], [f"BODY.PEEK[]<{offset}.{CHUNK}>"]).get(uid) or {}
                return next((bytes(v) for k, v in got.items()
                             if isinstance(k, bytes) and k.startswith(b"BODY[]")), b"")

            chunk = self._run("mengambil surat besar", part)
            if chunk is None:
                raise TransportError(f"IMAP: UIDVALIDITY folder {folder} berubah saat mengambil "
                                     f"pesan besar UID {uid}")
            if not chunk:
                if offset == 0:
                    raise TransportError(f"IMAP: pesan UID {uid} tidak dapat diambil")
                return
            yield chunk
            offset += len(chunk)

    def file(self, ref: str, outcome: str) -> None:
        self.file_batch([(ref, outcome)])

    def file_batch(self, items: list[tuple[str, str]]) -> None:
        """File several messages: per target folder one fingerprint FETCH and one UID MOVE (or
        COPY + \\Deleted + UID EXPUNGE) for all of them. A message whose UIDVALIDITY or
        fingerprint no longer matches is left where it is (it will be fetched again)."""
        folders = {
            DIPROSES: self.settings.folder_diproses,
            GAGAL: self.settings.folder_gagal,
            DIABAIKAN: self.settings.folder_diabaikan,
        }
        groups: dict[tuple[str, str, int], list[tuple[str, int]]] = {}
        for ref, outcome in items:
            target = folders.get(outcome)
            if target is None:
                raise ValueError(f"unknown outcome {outcome!r}")
            folder, validity, uid = parse_ref(ref)
            groups.setdefault((target, folder, validity), []).append((ref, uid))
        for (target, folder, validity), members in groups.items():
            self._run(
                f"memindahkan surat ke {target}",
                lambda client, t=target, f=folder, v=validity, m=members: self._move(
                    client, t, f, v, m
                ),
            )
            for ref, _uid in members:
                self._fingerprints.pop(ref, None)

    def _move(
        self, client: IMAPClient, target: str, folder: str, validity: int,
        members: list[tuple[str, int]],
    ) -> None:
        source = self.server_name(folder)
        if self._select(client, source) != validity:
            log.warning(
                "folder IMAP %s: UIDVALIDITY kini %s, bukan %s; UID %s tidak dipindahkan (akan "
                "diambil lagi)",
                folder,
                self._uidvalidity,
                validity,
                ",".join(str(uid) for _, uid in members),
            )
            return
        checked = [(uid, self._fingerprints[ref]) for ref, uid in members
                   if ref in self._fingerprints]
        uids = [uid for ref, uid in members if ref not in self._fingerprints]
        if checked:
            # A server that lost its UID list may hand out the same UIDVALIDITY again with the
            # messages renumbered (Dovecot does, within the same second): make sure each UID
            # still names the message that was fetched.
            now = client.fetch([uid for uid, _ in checked], list(_FINGERPRINT))
            for uid, expected in checked:
                item = now.get(uid)
                if item is None:
                    log.info(
                        "folder IMAP %s: UID %s sudah tidak ada; tidak ada yang dipindahkan",
                        folder,
                        uid,
                    )
                elif _fingerprint(item) != expected:
                    log.warning(
                        "folder IMAP %s: UID %s kini menunjuk pesan lain (UID dinomori ulang); "
                        "tidak dipindahkan (akan diambil lagi)",
                        folder,
                        uid,
                    )
                else:
                    uids.append(uid)
        if not uids:
            return
        uids.sort()
        dest = self.server_name(target)
        self._ensure_folder(client, dest)
        if client.has_capability("MOVE"):
            client.move(uids, dest)
        else:
            client.copy(uids, dest)
            client.add_flags(uids, [b"\\Deleted"], silent=True)
            if client.has_capability("UIDPLUS"):
                client.uid_expunge(uids)
            else:
                client.expunge()

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
