"""The IMAP+SMTP transport against the private Postfix+Dovecot stack (tests/mailstack.py).

Sending, fetching and filing, IDLE wake-ups and time-outs, reconnecting after Dovecot restarts,
UIDVALIDITY changes and renumbered UIDs, SMTP refusals (4xx/5xx), the Sent folder, XOAUTH2 and
check()'s Indonesian problem reports. Dovecot's Maildir uses "." as hierarchy separator, so the
"/" of the config's folder names is translated for real here."""

from __future__ import annotations

import email
import email.policy
import glob
import hashlib
import os
import threading
import time

import imapclient
import pytest
from mailstack import (  # noqa: F401  (mailstack_fixture registers the fixture)
    DEFER_ADDRESS,
    DOMAIN,
    REJECT_ADDRESS,
    free_port,
    mailstack_fixture,
)

from daemon.mail.transports import imap as imap_module
from daemon.mail.transports.base import DIABAIKAN, DIPROSES, GAGAL, TransportError
from daemon.mail.transports.imap import ImapSettings, ImapSmtpTransport, parse_ref
from daemon.mail.transports.smtp import SmtpSender, SmtpSettings

pytestmark = pytest.mark.slow  # real mail servers, LibreOffice or whole cycles (tests/README.md)

HOST = "127.0.0.1"


def letter(sender: str, to: str, subject: str, message_id: str | None = None) -> bytes:
    mid = message_id or f"<{subject.replace(' ', '.')}.{time.monotonic_ns()}@{DOMAIN}>"
    # LF line ends on purpose: the transport must send and append CRLF.
    return (
        f"From: {sender}\nTo: {to}\nSubject: {subject}\nMessage-ID: {mid}\n"
        f"Content-Type: text/plain; charset=utf-8\n\nSurat uji: {subject}.\n"
    ).encode()


def make(stack, user, **imap_kw) -> ImapSmtpTransport:
    smtp_kw = imap_kw.pop("smtp", {})
    settings = dict(host=HOST, port=stack.imap_port, keamanan="none", username=user.name)
    settings["password"] = user.password
    settings.update(imap_kw)
    smtp = SmtpSettings(HOST, stack.smtp_port, "none", **smtp_kw)
    return ImapSmtpTransport(ImapSettings(**settings), smtp)


@pytest.fixture
def box(mailstack):
    """A fresh mailbox and a transport reading it."""
    user = mailstack.new_user()
    t = make(mailstack, user, timeout=10)
    yield user, t
    t.close()


def deliver(stack, user, n: int, prefix: str = "pesan") -> list[bytes]:
    """Send n messages and wait until all are in the inbox (Postfix delivers in parallel, so
    not necessarily in this order)."""
    before = len(stack.messages(user.name))
    sent = []
    for i in range(n):
        raw = letter(f"camat@{DOMAIN}", user.address, f"{prefix} {i}")
        stack.send(f"camat@{DOMAIN}", user.address, raw)
        sent.append(raw)
    deadline = time.monotonic() + 20
    while len(stack.messages(user.name)) < before + n:
        assert time.monotonic() < deadline, stack.log_tail()
        time.sleep(0.05)
    return sent


def subjects(raws: list[bytes]) -> list[str]:
    return [email.message_from_bytes(r, policy=email.policy.default)["Subject"] for r in raws]


def digest(raw: bytes) -> str:
    """What the daemon dedupes on besides Message-ID: the delivered bytes."""
    return hashlib.sha256(raw).hexdigest()


# ---- sending -------------------------------------------------------------------------------------


def test_send_arrives(mailstack, box):
    user, t = box
    to = mailstack.new_user()
    result = t.send(
        letter(user.address, to.address, "kirim lewat transport"), user.address, [to.address]
    )
    assert result.refused == {}
    raw = mailstack.wait_for(to.name, lambda m: b"kirim lewat transport" in m)
    assert f"Return-Path: <{user.address}>".encode() in raw
    assert b"\r\nSubject: kirim lewat transport\r\n" in raw  # LF became CRLF on the way


def test_send_reuses_connection_and_survives_a_dropped_one(mailstack, box):
    user, t = box
    to = mailstack.new_user()
    t.send(letter(user.address, to.address, "pertama"), user.address, [to.address])
    first = t.sender._conn
    assert first is not None
    t.send(letter(user.address, to.address, "kedua"), user.address, [to.address])
    assert t.sender._conn is first  # kept between sends
    first.sock.close()  # the server (or a NAT) dropped it while idle
    t.send(letter(user.address, to.address, "ketiga"), user.address, [to.address])
    got = [
        mailstack.wait_for(to.name, lambda m, s=s: s in m)
        for s in (b"pertama", b"kedua", b"ketiga")
    ]
    assert len(got) == 3


def test_partial_refusal_goes_in_the_result(mailstack, box):
    user, t = box
    to = mailstack.new_user()
    result = t.send(
        letter(user.address, to.address, "sebagian ditolak"),
        user.address,
        [to.address, REJECT_ADDRESS],
    )
    assert list(result.refused) == [REJECT_ADDRESS]
    assert result.refused[REJECT_ADDRESS].startswith("550")
    mailstack.wait_for(to.name, lambda m: b"sebagian ditolak" in m)


def test_all_refused_for_good_is_a_permanent_error(mailstack, box):
    user, t = box
    with pytest.raises(TransportError) as e:
        t.send(
            letter(user.address, "x", "semua ditolak"),
            user.address,
            [REJECT_ADDRESS, "orang@example.com"],
        )
    assert e.value.temporary is False
    assert "550" in str(e.value) and "554" in str(e.value)


def test_smtp_4xx_is_temporary_and_delivers_to_nobody(mailstack, box):
    user, t = box
    to = mailstack.new_user()
    # One recipient deferred: nobody gets it now, so the caller's retry cannot duplicate it.
    with pytest.raises(TransportError) as e:
        t.send(
            letter(user.address, to.address, "satu ditunda"),
            user.address,
            [to.address, DEFER_ADDRESS],
        )
    assert e.value.temporary is True and "451" in str(e.value)
    # The whole server deferring (the switch in the stack: a reloaded Postfix).
    with mailstack.smtp_defer():
        with pytest.raises(TransportError) as e:
            t.send(letter(user.address, to.address, "server sibuk"), user.address, [to.address])
        assert e.value.temporary is True and "451" in str(e.value)
    t.send(letter(user.address, to.address, "penanda"), user.address, [to.address])
    mailstack.wait_for(to.name, lambda m: b"penanda" in m)
    assert subjects(mailstack.messages(to.name)) == ["penanda"]


def test_smtp_connection_refused_is_temporary():
    sender = SmtpSender(SmtpSettings(HOST, free_port(), "none", timeout=5))
    with pytest.raises(TransportError) as e:
        sender.send(b"Subject: x\r\n\r\nx\r\n", "a@" + DOMAIN, ["b@" + DOMAIN])
    assert e.value.temporary is True


def test_smtp_auth_password_and_xoauth2(mailstack, box):
    user, _ = box
    to = mailstack.new_user()
    for name, kw in (
        ("password", {"username": user.name, "password": user.password}),
        # Dovecot 2.3 checks an XOAUTH2 bearer token against the passdb like a password.
        ("xoauth2", {"username": user.name, "oauth2_token": lambda: user.password}),
    ):
        sender = SmtpSender(SmtpSettings(HOST, mailstack.smtp_port, "none", **kw))
        sender.send(letter(user.address, to.address, f"login {name}"), user.address, [to.address])
        sender.close()
        mailstack.wait_for(to.name, lambda m, n=name: f"login {n}".encode() in m)
    bad = SmtpSender(
        SmtpSettings(HOST, mailstack.smtp_port, "none", username=user.name, password="salah")
    )
    with pytest.raises(TransportError) as e:
        bad.send(letter(user.address, to.address, "x"), user.address, [to.address])
    assert e.value.temporary is True and "535" in str(e.value)


# ---- fetching and filing -------------------------------------------------------------------------


def test_fetch_new_and_file_into_created_folders(mailstack, box):
    user, t = box
    sent = deliver(mailstack, user, 3)
    got = sorted(t.fetch_new(), key=lambda g: subjects([g.raw]))
    assert subjects([g.raw for g in got]) == ["pesan 0", "pesan 1", "pesan 2"]
    for g in got:
        folder, validity, uid = parse_ref(g.ref)
        assert folder == "INBOX" and validity > 0 and uid > 0
        mid = sent[got.index(g)].split(b"Message-ID: ")[1].split(b"\n")[0]
        assert b"\r\nMessage-ID: " + mid + b"\r\n" in g.raw
    # Read with PEEK: nothing was marked \Seen.
    c = mailstack.imap(user.name)
    c.select_folder("INBOX", readonly=True)
    assert c.search("UNSEEN") == sorted(parse_ref(g.ref)[2] for g in got)
    c.logout()

    for g, outcome in zip(got, (DIPROSES, GAGAL, DIABAIKAN), strict=True):
        t.file(g.ref, outcome)
    assert t._delimiter == "."  # Dovecot Maildir++: "Pantau/Diproses" is "Pantau.Diproses"
    assert os.path.isdir(mailstack.maildir(user.name) / ".Pantau.Diproses")
    assert subjects(mailstack.messages(user.name, "Pantau.Diproses")) == ["pesan 0"]
    assert subjects(mailstack.messages(user.name, "Pantau.Gagal")) == ["pesan 1"]
    assert subjects(mailstack.messages(user.name, "Pantau.Diabaikan")) == ["pesan 2"]
    assert mailstack.messages(user.name) == []
    assert list(t.fetch_new()) == []
    # Filing the same ref again (a replay) is harmless.
    t.file(got[0].ref, DIPROSES)
    assert len(mailstack.messages(user.name, "Pantau.Diproses")) == 1
    with pytest.raises(ValueError):
        t.file(got[0].ref, "entah")


def test_fetch_in_batches(mailstack, box):
    user, t = box
    n = imap_module.FETCH_BATCH * 2 + 3
    deliver(mailstack, user, n, prefix="banyak")
    got = list(t.fetch_new())
    assert sorted(subjects([g.raw for g in got])) == sorted(f"banyak {i}" for i in range(n))
    uids = [parse_ref(g.ref)[2] for g in got]
    assert uids == sorted(uids)  # in UID (arrival) order
    for g in got:
        t.file(g.ref, DIPROSES)
    assert len(mailstack.messages(user.name, "Pantau.Diproses")) == n


@pytest.mark.parametrize("hide", [{"MOVE"}, {"MOVE", "UIDPLUS"}])
def test_file_without_move(mailstack, box, monkeypatch, hide):
    user, t = box
    real = imapclient.IMAPClient.has_capability
    monkeypatch.setattr(
        imapclient.IMAPClient,
        "has_capability",
        lambda self, cap: False if cap.upper() in hide else real(self, cap),
    )
    deliver(mailstack, user, 2, prefix="tanpa move")
    got = sorted(t.fetch_new(), key=lambda g: subjects([g.raw]))
    t.file(got[1].ref, DIPROSES)
    assert subjects(mailstack.messages(user.name, "Pantau.Diproses")) == ["tanpa move 1"]
    assert subjects(mailstack.messages(user.name)) == ["tanpa move 0"]


def test_folder_names_are_configurable(mailstack):
    user = mailstack.new_user()
    t = make(mailstack, user, folder_diproses="Arsip/Pantau/Selesai")
    try:
        deliver(mailstack, user, 1, prefix="folder")
        (g,) = t.fetch_new()
        t.file(g.ref, DIPROSES)
        assert subjects(mailstack.messages(user.name, "Arsip.Pantau.Selesai")) == ["folder 0"]
    finally:
        t.close()


# ---- waiting -------------------------------------------------------------------------------------


def test_wait_wakes_on_delivery(mailstack, box):
    user, t = box
    assert t.wait(0.2) is False  # connects, idles, times out
    delivered = {}

    def later():
        time.sleep(0.5)
        mailstack.send(f"camat@{DOMAIN}", user.address, letter("c", user.address, "bangun"))
        delivered["at"] = time.monotonic()

    th = threading.Thread(target=later)
    th.start()
    t0 = time.monotonic()
    woke = t.wait(15)
    woke_at = time.monotonic()
    th.join()
    assert woke is True
    latency = woke_at - delivered["at"]
    print(f"\nIDLE wake latency after SMTP accepted the message: {latency * 1000:.0f} ms")
    assert latency < 5, f"woke {latency:.2f}s after delivery"
    assert woke_at - t0 < 10
    assert subjects([g.raw for g in t.fetch_new()]) == ["bangun"]


def test_wait_times_out_cleanly(box):
    _, t = box
    t0 = time.monotonic()
    assert t.wait(1.0) is False
    elapsed = time.monotonic() - t0
    assert 0.9 <= elapsed < 3, elapsed
    assert t.wait(0) is False


def test_wait_sees_mail_that_came_between_calls(mailstack, box):
    user, t = box
    deliver(mailstack, user, 1, prefix="sudah ada")
    t0 = time.monotonic()
    assert t.wait(10) is True  # not yet fetched: return at once
    assert time.monotonic() - t0 < 2
    (g,) = t.fetch_new()
    # Fetched but not filed yet (held by the caller): wait() must not spin on it.
    assert t.wait(0.5) is False
    t.file(g.ref, DIPROSES)


def test_mail_announced_during_the_search_before_idle_is_not_missed(mailstack, box, monkeypatch):
    """The server reports new mail (EXISTS) inside the answer to the last command before IDLE:
    IDLE will not repeat it, so wait() must notice it there."""
    user, t = box
    real_search = imapclient.IMAPClient.search
    done = []

    def search_then_deliver(self, criteria="ALL", charset=None):
        result = real_search(self, criteria, charset)
        if not done:
            done.append(1)
            n = len(list((mailstack.maildir(user.name) / "new").iterdir()))
            mailstack.send(f"camat@{DOMAIN}", user.address, letter("c", user.address, "di sela"))
            while len(list((mailstack.maildir(user.name) / "new").iterdir())) == n:
                time.sleep(0.01)
            self.noop()  # its answer carries the EXISTS; the result above is already stale
        return result

    monkeypatch.setattr(imapclient.IMAPClient, "search", search_then_deliver)
    t0 = time.monotonic()
    assert t.wait(5) is True
    assert time.monotonic() - t0 < 2
    monkeypatch.setattr(imapclient.IMAPClient, "search", real_search)
    assert subjects([g.raw for g in t.fetch_new()]) == ["di sela"]


def test_mail_announced_with_the_idle_continuation_is_not_missed(mailstack, box, monkeypatch):
    """ "+ idling" and "* 1 EXISTS" arrive together: imaplib's buffered reader takes both when it
    reads the continuation, so poll() on the socket never fires for the EXISTS."""
    user, t = box
    real_idle = imapclient.IMAPClient.idle
    done = []

    def idle_with_mail_already_announced(self):
        if done:
            return real_idle(self)
        done.append(1)
        tag = self._imap._command("IDLE")
        n = len(list((mailstack.maildir(user.name) / "new").iterdir()))
        mailstack.send(f"camat@{DOMAIN}", user.address, letter("c", user.address, "sepaket"))
        while len(list((mailstack.maildir(user.name) / "new").iterdir())) == n:
            time.sleep(0.01)
        time.sleep(1.0)  # Dovecot announces it ~0.5 s after delivery
        self._idle_tag = tag
        assert self._imap._get_response() is None  # reads "+ idling" (and buffers the rest)

    monkeypatch.setattr(imapclient.IMAPClient, "idle", idle_with_mail_already_announced)
    t0 = time.monotonic()
    assert t.wait(6) is True
    assert time.monotonic() - t0 < 4
    monkeypatch.setattr(imapclient.IMAPClient, "idle", real_idle)
    assert subjects([g.raw for g in t.fetch_new()]) == ["sepaket"]


def test_idle_is_reissued(mailstack, monkeypatch):
    user = mailstack.new_user()
    t = make(mailstack, user, idle_max=0.3)
    calls = []
    real = imapclient.IMAPClient.idle
    monkeypatch.setattr(
        imapclient.IMAPClient, "idle", lambda self: (calls.append(1), real(self))[1]
    )
    try:
        assert t.wait(1.3) is False
        assert len(calls) >= 3, calls
        threading.Timer(
            0.4,
            lambda: mailstack.send(f"camat@{DOMAIN}", user.address, letter("c", user.address, "x")),
        ).start()
        assert t.wait(10) is True
    finally:
        t.close()


def test_polling_without_idle(mailstack, monkeypatch):
    user = mailstack.new_user()
    t = make(mailstack, user, poll_interval=0.2)
    real = imapclient.IMAPClient.has_capability
    monkeypatch.setattr(
        imapclient.IMAPClient,
        "has_capability",
        lambda self, cap: False if cap.upper() == "IDLE" else real(self, cap),
    )
    try:
        assert t.wait(0.5) is False
        threading.Timer(
            0.3,
            lambda: mailstack.send(
                f"camat@{DOMAIN}", user.address, letter("c", user.address, "poll")
            ),
        ).start()
        t0 = time.monotonic()
        assert t.wait(10) is True
        assert time.monotonic() - t0 < 3
    finally:
        t.close()


# ---- drops and restarts --------------------------------------------------------------------------


def test_dovecot_restart_between_calls(mailstack, box):
    user, t = box
    deliver(mailstack, user, 1, prefix="sebelum")
    (first,) = t.fetch_new()
    mailstack.restart_dovecot()
    t.file(first.ref, DIPROSES)  # the dead connection is noticed and replaced
    mailstack.restart_dovecot()
    deliver(mailstack, user, 1, prefix="sesudah")
    (second,) = t.fetch_new()
    assert subjects([second.raw]) == ["sesudah 0"]
    mailstack.restart_dovecot()
    # Fetched but not filed: that one does not wake wait(); new mail after the restart does.
    assert t.wait(0.3) is False
    deliver(mailstack, user, 1, prefix="ketiga")
    assert t.wait(5) is True
    t.file(second.ref, DIPROSES)
    assert subjects(mailstack.messages(user.name, "Pantau.Diproses")) == ["sebelum 0", "sesudah 0"]
    assert subjects([g.raw for g in t.fetch_new()]) == ["ketiga 0"]


def test_dovecot_restart_during_wait(mailstack, box):
    user, t = box
    assert t.wait(0.2) is False

    def chaos():
        time.sleep(0.4)
        mailstack.restart_dovecot()
        time.sleep(0.4)
        mailstack.send(
            f"camat@{DOMAIN}", user.address, letter("c", user.address, "setelah restart")
        )

    th = threading.Thread(target=chaos)
    th.start()
    t0 = time.monotonic()
    woke = t.wait(20)
    took = time.monotonic() - t0
    th.join()
    assert woke is True
    print(f"\nwait() across a Dovecot restart woke after {took:.2f} s")
    assert took < 10
    assert subjects([g.raw for g in t.fetch_new()]) == ["setelah restart"]


def test_wait_while_server_down_never_raises(mailstack, box):
    user, t = box
    assert t.wait(0.1) is False
    mailstack.stop_dovecot()
    try:
        t0 = time.monotonic()
        assert t.wait(1.5) is False
        assert 1.4 <= time.monotonic() - t0 < 4
        with pytest.raises(TransportError) as e:
            list(t.fetch_new())
        assert e.value.temporary is True
    finally:
        mailstack.start_dovecot()
    deliver(mailstack, user, 1, prefix="kembali")
    assert t.wait(10) is True
    assert subjects([g.raw for g in t.fetch_new()]) == ["kembali 0"]


# ---- UIDVALIDITY -------------------------------------------------------------------------------


def _forget_uids(stack, user) -> None:
    """Lose Dovecot's UID list and indexes, as a crashed or restored server might."""
    md = stack.maildir(user.name)
    for f in glob.glob(str(md / "dovecot-uidlist")) + glob.glob(str(md / "dovecot.index*")):
        os.unlink(f)


def test_lost_uid_list_files_nothing_wrong_and_loses_nothing(mailstack, box):
    user, t = box
    deliver(mailstack, user, 3, prefix="uid")
    got = list(t.fetch_new())  # UIDs 1, 2, 3
    first, second, third = subjects([g.raw for g in got])
    where = {first: DIPROSES, second: GAGAL, third: DIABAIKAN}
    folder = {DIPROSES: "Pantau.Diproses", GAGAL: "Pantau.Gagal", DIABAIKAN: "Pantau.Diabaikan"}
    t.file(got[0].ref, DIPROSES)
    # Dovecot loses its UID list: the two left are renumbered 1 and 2 (in whatever order it
    # finds the files), under the same UIDVALIDITY when it happens within the second the
    # mailbox was created, else under a new one.
    _forget_uids(mailstack, user)
    c = mailstack.imap(user.name)
    validity = c.select_folder("INBOX", readonly=True)[b"UIDVALIDITY"]
    now = {
        u: subjects([d[b"BODY[]"]])[0] for u, d in c.fetch(c.search("ALL"), ["BODY.PEEK[]"]).items()
    }
    c.logout()
    assert sorted(now) == [1, 2] and parse_ref(got[1].ref)[2] == 2
    t.file(got[1].ref, GAGAL)  # UID 2 may now name the third message: then nothing moves
    t.file(got[2].ref, DIABAIKAN)  # UID 3 is gone: nothing moves
    same = validity == parse_ref(got[1].ref)[1] and now[2] == second
    assert subjects(mailstack.messages(user.name, "Pantau.Gagal")) == ([second] if same else [])
    assert mailstack.messages(user.name, "Pantau.Diabaikan") == []
    again = list(t.fetch_new())
    # What is left comes again, byte for byte: the caller's hash dedupe recognises it.
    assert {digest(g.raw) for g in again} <= {digest(g.raw) for g in got[1:]}
    for g in again:
        t.file(g.ref, where[subjects([g.raw])[0]])
    for outcome, name in folder.items():
        expected = [s for s, o in where.items() if o == outcome]
        assert subjects(mailstack.messages(user.name, name)) == expected
    assert mailstack.messages(user.name) == []


def test_renumbered_uids_under_the_same_uidvalidity_move_nothing_wrong(mailstack, box):
    """A server that swaps which message a UID names, keeping UIDVALIDITY (a restored or
    rebuilt UID list): filing by the old refs must not move the other message."""
    user, t = box
    deliver(mailstack, user, 2, prefix="tukar")
    got = list(t.fetch_new())  # UIDs 1 and 2
    t.close()  # Dovecot rereads the UID list only when no session has the mailbox open
    md = mailstack.maildir(user.name)
    header, *lines = (md / "dovecot-uidlist").read_text().splitlines()
    files = [line.split(":", 1)[1] for line in lines]
    assert len(files) == 2
    validity = header.split()[1]
    (md / "dovecot-uidlist").write_text(
        f"3 {validity} N3\n1 :{files[1]}\n2 :{files[0]}\n"  # the two UIDs swapped
    )
    for f in glob.glob(str(md / "dovecot.index*")):
        os.unlink(f)
    first, second = subjects([g.raw for g in got])
    t.file(got[0].ref, GAGAL)  # UID 1 now names the second message
    t.file(got[1].ref, DIABAIKAN)  # UID 2 now names the first
    assert mailstack.messages(user.name, "Pantau.Gagal") == []
    assert mailstack.messages(user.name, "Pantau.Diabaikan") == []
    again = list(t.fetch_new())
    assert [parse_ref(g.ref)[1] for g in again] == [parse_ref(got[0].ref)[1]] * 2
    assert subjects([g.raw for g in again]) == [second, first]
    t.file(again[0].ref, DIABAIKAN)
    t.file(again[1].ref, GAGAL)
    assert subjects(mailstack.messages(user.name, "Pantau.Gagal")) == [first]
    assert subjects(mailstack.messages(user.name, "Pantau.Diabaikan")) == [second]


def test_recreated_inbox_gets_new_uidvalidity(mailstack):
    """The inbox folder recreated (new UIDVALIDITY): old refs are ignored, nothing is lost."""
    user = mailstack.new_user()
    t = make(mailstack, user, folder_masuk="Masuk/Pantau")
    try:
        c = mailstack.imap(user.name)
        c.create_folder("Masuk.Pantau")
        for i in range(2):
            c.append("Masuk.Pantau", letter("c", user.address, f"lama {i}").replace(b"\n", b"\r\n"))
        got = list(t.fetch_new())
        assert [parse_ref(g.ref)[0] for g in got] == ["Masuk/Pantau"] * 2
        old_validity = parse_ref(got[0].ref)[1]
        time.sleep(1.1)  # Dovecot derives a new UIDVALIDITY from the clock
        c.delete_folder("Masuk.Pantau")
        c.create_folder("Masuk.Pantau")
        for g in got:  # the same two messages come back (restored from a backup, say)
            c.append("Masuk.Pantau", g.raw)
        c.logout()
        for g in got:
            t.file(g.ref, DIPROSES)  # stale refs: ignored, no exception
        assert mailstack.messages(user.name, "Pantau.Diproses") == []
        again = list(t.fetch_new())
        assert len(again) == 2 and parse_ref(again[0].ref)[1] != old_validity
        assert [digest(g.raw) for g in again] == [digest(g.raw) for g in got]
        for g in again:
            t.file(g.ref, DIPROSES)
        assert subjects(mailstack.messages(user.name, "Pantau.Diproses")) == ["lama 0", "lama 1"]
        assert mailstack.messages(user.name, "Masuk.Pantau") == []
    finally:
        t.close()


# ---- Sent folder ---------------------------------------------------------------------------------


def test_find_sent_with_a_sent_folder(mailstack):
    user = mailstack.new_user()
    to = mailstack.new_user()
    t = make(mailstack, user, folder_terkirim="Terkirim/Pantau")
    try:
        mid = f"<surat-1.{os.getpid()}@{DOMAIN}>"
        assert t.find_sent(mid) is False  # the folder does not exist yet
        t.send(
            letter(user.address, to.address, "tercatat", message_id=mid), user.address, [to.address]
        )
        assert t.find_sent(mid) is True
        assert t.find_sent(f"  {mid}\n") is True  # folded header values come with whitespace
        assert t.find_sent(f"<surat-2.{os.getpid()}@{DOMAIN}>") is False
        c = mailstack.imap(user.name)
        c.select_folder("Terkirim.Pantau", readonly=True)
        (uid,) = c.search("ALL")
        assert b"\\Seen" in c.get_flags([uid])[uid]
        c.logout()
        # Filing still works after find_sent EXAMINEd another folder.
        deliver(mailstack, user, 1, prefix="setelah cari")
        (g,) = t.fetch_new()
        t.file(g.ref, DIPROSES)
        assert subjects(mailstack.messages(user.name, "Pantau.Diproses")) == ["setelah cari 0"]
    finally:
        t.close()


def test_find_sent_provider_copy_without_append(mailstack):
    """Gmail/Microsoft 365 style: search the provider's Sent folder, never APPEND to it."""
    user = mailstack.new_user()
    to = mailstack.new_user()
    t = make(mailstack, user, folder_terkirim="Sent", salin_terkirim=False)
    try:
        c = mailstack.imap(user.name)
        c.create_folder("Sent")
        mid = f"<disimpan-penyedia.{os.getpid()}@{DOMAIN}>"
        raw = letter(user.address, to.address, "salinan penyedia", message_id=mid)
        c.append("Sent", raw.replace(b"\n", b"\r\n"))  # what the provider itself would do
        t.send(raw, user.address, [to.address])
        assert t.find_sent(mid) is True
        assert len(mailstack.messages(user.name, "Sent")) == 1  # no second copy
        c.logout()
    finally:
        t.close()


def test_find_sent_unset_cannot_tell(box):
    _, t = box
    assert t.find_sent("<apa@saja>") is None


# ---- login and check() ---------------------------------------------------------------------------


def test_xoauth2_login(mailstack):
    user = mailstack.new_user()
    tokens = []

    def token() -> str:
        tokens.append(1)
        return user.password  # Dovecot 2.3 checks the bearer token as the password

    t = make(mailstack, user, password="", oauth2_token=token)
    try:
        deliver(mailstack, user, 1, prefix="oauth")
        assert subjects([g.raw for g in t.fetch_new()]) == ["oauth 0"]
        assert tokens
        deadline = time.monotonic() + 5  # Dovecot's log process writes the line a moment later
        while "method=XOAUTH2" not in mailstack.dovecot_log.read_text() \
                and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "method=XOAUTH2" in mailstack.dovecot_log.read_text()
    finally:
        t.close()


def test_check_ok(mailstack, box):
    user, _ = box
    t = make(mailstack, user, smtp={"username": user.name, "password": user.password})
    assert t.check() == []


def test_check_reports_problems_in_indonesian(mailstack, box):
    user, _ = box
    cases = {
        "login": (dict(password="salah"), {}, "login sebagai"),
        "folder": (dict(folder_masuk="TidakAda"), {}, "folder masuk 'TidakAda' tidak ada"),
        "tls": (dict(keamanan="ssl"), {}, "koneksi TLS"),
        "smtp-auth": ({}, {"username": user.name, "password": "salah"}, "SMTP: login sebagai"),
        "smtp-tls": ({}, {"keamanan": "ssl"}, "SMTP: koneksi TLS"),
        # The stack's certificate is self-signed: not trusted without ca_file.
        "smtp-starttls": ({}, {"keamanan": "starttls"}, "SMTP: sertifikat TLS server"),
        "imap-starttls": (dict(keamanan="starttls"), {}, "IMAP: sertifikat TLS server"),
    }
    for name, (imap_kw, smtp_kw, expected) in cases.items():
        settings = dict(
            host=HOST,
            port=mailstack.imap_port,
            keamanan="none",
            username=user.name,
            password=user.password,
            timeout=5,
        )
        settings.update(imap_kw)
        smtp = dict(host=HOST, port=mailstack.smtp_port, keamanan="none", timeout=5)
        smtp.update(smtp_kw)
        problems = ImapSmtpTransport(ImapSettings(**settings), SmtpSettings(**smtp)).check()
        assert len(problems) == 1 and expected in problems[0], (name, problems)


def test_check_name_resolution_and_refused_connection(box):
    user, _ = box
    port = free_port()
    t = ImapSmtpTransport(
        ImapSettings("server-tidak-ada.invalid", 993, "ssl", user.name, "x", timeout=5),
        SmtpSettings(HOST, port, "none", timeout=5),
    )
    problems = t.check()
    assert len(problems) == 2
    assert problems[0].startswith("IMAP: nama server 'server-tidak-ada.invalid' tidak dapat")
    assert problems[1].startswith(f"SMTP: koneksi ke {HOST}:{port} ditolak")


# ---- TLS -----------------------------------------------------------------------------------------


def _tls_or_skip(stack):
    if not stack.tls:
        if os.environ.get("CI"):
            pytest.fail("CI: the TLS tests need openssl (apt-get install openssl)")
        pytest.skip("openssl missing: the stack runs without TLS")


@pytest.mark.parametrize("mode", ["ssl", "starttls"])
def test_tls_end_to_end(mailstack, mode):
    _tls_or_skip(mailstack)
    user, to = mailstack.new_user(), mailstack.new_user()
    implicit = mode == "ssl"
    t = ImapSmtpTransport(
        ImapSettings(
            HOST,
            mailstack.imaps_port if implicit else mailstack.imap_port,
            mode,
            user.name,
            user.password,
            ca_file=str(mailstack.cert_file),
        ),
        SmtpSettings(
            HOST,
            mailstack.smtps_port if implicit else mailstack.smtp_port,
            mode,
            username=user.name,
            password=user.password,
            ca_file=str(mailstack.cert_file),
        ),
    )
    try:
        assert t.check() == []
        t.send(letter(user.address, to.address, f"lewat {mode}"), user.address, [to.address])
        mailstack.wait_for(to.name, lambda m: f"lewat {mode}".encode() in m)
        t.send(letter(to.address, user.address, f"balasan {mode}"), user.address, [user.address])
        assert t.wait(10) is True, mailstack.log_tail(30)
        (g,) = t.fetch_new()
        t.file(g.ref, DIPROSES)
        assert subjects(mailstack.messages(user.name, "Pantau.Diproses")) == [f"balasan {mode}"]
    finally:
        t.close()
    log = mailstack.postfix_log.read_text()
    assert "starttls=1" in log if mode == "starttls" else True


def test_untrusted_certificate(mailstack):
    _tls_or_skip(mailstack)
    user = mailstack.new_user()
    imap = dict(
        host=HOST,
        port=mailstack.imaps_port,
        keamanan="ssl",
        username=user.name,
        password=user.password,
        timeout=5,
    )
    smtp = dict(
        host=HOST,
        port=mailstack.smtps_port,
        keamanan="ssl",
        username=user.name,
        password=user.password,
        timeout=5,
    )
    t = ImapSmtpTransport(ImapSettings(**imap), SmtpSettings(**smtp))
    problems = t.check()
    assert [p.split(":")[0] for p in problems] == ["IMAP", "SMTP"]
    assert all("sertifikat TLS server" in p for p in problems), problems
    with pytest.raises(TransportError) as e:
        t.send(letter(user.address, user.address, "x"), user.address, [user.address])
    assert e.value.temporary is True
    with pytest.raises(TransportError):
        list(t.fetch_new())
    assert t.wait(0.5) is False  # never raises
    # An office that accepts its own server's self-signed certificate knowingly:
    lax = ImapSmtpTransport(
        ImapSettings(**imap, tls_verify=False), SmtpSettings(**smtp, tls_verify=False)
    )
    assert lax.check() == []
    lax.close()


def test_wait_with_a_missing_inbox_folder_never_raises(mailstack):
    user = mailstack.new_user()
    t = make(mailstack, user, folder_masuk="Tidak/Ada")
    try:
        t0 = time.monotonic()
        assert t.wait(1.5) is False
        assert time.monotonic() - t0 < 4
        with pytest.raises(TransportError) as e:
            list(t.fetch_new())
        assert e.value.temporary is False
    finally:
        t.close()


@pytest.mark.parametrize(
    ("delimiter", "prefix", "config", "server"),
    [
        (".", "", "Pantau/Diproses", "Pantau.Diproses"),  # Dovecot Maildir++
        ("/", "", "Pantau/Diproses", "Pantau/Diproses"),  # Gmail, Microsoft 365
        (".", "INBOX.", "Pantau/Gagal", "INBOX.Pantau.Gagal"),  # Courier, Cyrus
        (".", "INBOX.", "INBOX/Pantau/Gagal", "INBOX.Pantau.Gagal"),
        (".", "INBOX.", "inbox", "INBOX"),
        ("/", "", "[Gmail]/Sent Mail", "[Gmail]/Sent Mail"),
    ],
)
def test_server_folder_names(delimiter, prefix, config, server):
    t = ImapSmtpTransport(ImapSettings(HOST, 1, "none"), SmtpSettings(HOST, 1, "none"))
    t._delimiter, t._prefix = delimiter, prefix
    assert t.server_name(config) == server


def test_check_reports_a_failing_token_source(mailstack, box):
    user, _ = box

    def broken() -> str:
        raise TransportError("berkas token OAuth2 tidak dapat dibaca")

    t = ImapSmtpTransport(
        ImapSettings(HOST, mailstack.imap_port, "none", user.name, oauth2_token=broken),
        SmtpSettings(HOST, mailstack.smtp_port, "none", username=user.name, oauth2_token=broken),
    )
    problems = t.check()
    assert len(problems) == 2 and all("token OAuth2" in p for p in problems), problems
    with pytest.raises(TransportError):
        list(t.fetch_new())
    assert t.wait(0.3) is False
