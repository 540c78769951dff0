"""Mail server faults at the office level (issue #6 point 2): the real daemon (`pantau run`, or
OfficeApp in this process) over the private Postfix + Dovecot while the servers misbehave. The
transports' own handling of these faults is tested in test_imap_transport.py; here it is what the
office makes of them: the cycle goes on, letters are retried and arrive once, a refusal reaches the
cycle log and the Kasubag, a server that cannot be reached shows in the log and in `pantau status`,
and nothing is lost.

The daemon reaches the servers directly, or through a `Relay` (tests/crash_harness.py) that cuts
an IMAP connection inside a FETCH or an IDLE, or greets SMTP clients with 421."""

from __future__ import annotations

import json
import os
import smtplib
import subprocess
import time
from pathlib import Path

import pytest
from crash_harness import ROLES, DaemonProcess, Relay, answer, make_office, subject_of, wait_until
from mailstack import HOST, REJECT_ADDRESS, User, mailstack_fixture  # noqa: F401

from daemon.demo.simulation import DEMO_START
from daemon.shell.clock import ManualClock
from daemon.shell.office import OfficeApp
from daemon.store import Store

pytestmark = pytest.mark.slow  # real mail servers, LibreOffice or whole cycles (tests/README.md)

CODE = "PK-2025-TW3"
UNITS = ("sek", "pem", "trantib", "pmd", "kesos")
AUTO = {"jadwal": {"perintah_otomatis": "true"}}  # S1 skipped: the request letters go out at start


class Kantor:
    """One test office: its config, its `pantau run`, relays when asked for, a view of its DB."""

    def __init__(self, root: Path, stack, *, imap_relay=False, smtp_relay=False, users=None, **kw):
        self.stack = stack
        self.imap_relay = Relay(stack.imap_port) if imap_relay else None
        self.smtp_relay = Relay(stack.smtp_port) if smtp_relay else None
        all_users = {role: stack.new_user(role) for role in ROLES}
        all_users.update(users or {})
        self.office = make_office(root, stack, users=all_users,
                                  imap_port=self.imap_relay.port if self.imap_relay else None,
                                  smtp_port=self.smtp_relay.port if self.smtp_relay else None, **kw)
        self.users = all_users
        self.daemon = DaemonProcess(self.office, root.parent / f"{root.name}-run.log")

    def user(self, role: str) -> User:
        return self.users[role]

    def start_cycle(self) -> None:
        r = self.office.cli("cycle", "start", "2025-TW3")
        assert r.returncode == 0, r.stderr

    def q(self, sql: str, params=()) -> list[dict]:
        store = Store(self.office.cfg.db_path)
        try:
            return store._q(sql, params)
        finally:
            store.close()

    def outbox(self) -> list[dict]:
        return self.q("SELECT * FROM outbox ORDER BY id")

    def log(self, event: str) -> list[dict]:
        return self.q(
            "SELECT step, event, who, detail FROM log WHERE event=? ORDER BY id", (event,)
        )

    def mailbox(self, role_or_user) -> list[bytes]:
        user = self.users[role_or_user] if isinstance(role_or_user, str) else role_or_user
        return self.stack.messages(user.name)

    def copies(self, role: str, message_id: str) -> int:
        return sum(f"<{message_id}>".encode() in raw for raw in self.mailbox(role))

    def close(self) -> None:
        self.daemon.kill()
        for r in (self.imap_relay, self.smtp_relay):
            if r is not None:
                r.close()


@pytest.fixture
def kantor(tmp_path, mailstack, monkeypatch):
    made: list[Kantor] = []
    # For OfficeApp in this process (the subprocesses get the same values from make_office).
    monkeypatch.setenv("PANTAU_IMAP_PASSWORD", mailstack.password)
    monkeypatch.setenv("PANTAU_SECRET", "rahasia-uji")

    def make(**kw) -> Kantor:
        k = Kantor(tmp_path / f"kantor{len(made)}", mailstack, **kw)
        made.append(k)
        return k

    yield make
    for k in made:
        k.close()


def no_traceback(k: Kantor) -> None:
    text = k.daemon.log_path.read_text(errors="replace")
    assert "Traceback" not in text, text[-4000:]


def each_unit_got_its_letter_once(k: Kantor) -> None:
    rows = [r for r in k.outbox() if r["kind"] == "surat:permintaan_data"]
    assert len(rows) == len(UNITS)
    for role in UNITS:
        row = next(r for r in rows if json.loads(r["recipients"]) == [k.user(role).address])
        assert row["status"] == "terkirim"
        assert k.copies(role, row["message_id"]) == 1, (role, row)


# ============================================================================ IMAP


def test_cycle_goes_on_after_dovecot_restart_and_imap_cut_mid_fetch_and_mid_idle(kantor, mailstack):
    k = kantor(imap_relay=True)
    k.start_cycle()
    k.daemon.start()
    camat = k.user("camat")
    order = mailstack.wait_for(
        camat.name, lambda r: "Permohonan Perintah" in subject_of(r), timeout=30
    )

    # Dovecot goes away and comes back while the daemon waits in IDLE.
    mailstack.restart_dovecot()
    # The Camat's answer: the connection is cut inside the FETCH of its body.
    k.imap_relay.arm(b"BODY[] {", "fetch", extra=100)
    approval = answer(mailstack, camat, order, "SETUJU")
    requests = {
        u: mailstack.wait_for(
            k.user(u).name, lambda r: "Permintaan Data" in subject_of(r), timeout=30
        )
        for u in ("sek", "pem")
    }
    assert k.imap_relay.cuts == ["fetch"]
    assert [
        r["status"] for r in k.q("SELECT status FROM inbound WHERE message_id=?", (approval,))
    ] == ["diproses"]
    assert [r["who"] for r in k.log("disetujui")] == [camat.address]

    # Cut inside an IDLE (the one after the SEK's answer wakes it), then the PEM's answer.
    k.imap_relay.arm(b"+ idling", "idle")
    answer(mailstack, k.user("sek"), requests["sek"], "Formulir menyusul besok.")
    mailstack.wait_for(
        k.user("sek").name, lambda r: "Formulir belum dilampirkan" in subject_of(r), timeout=30
    )
    wait_until(lambda: "idle" in k.imap_relay.cuts, 30, "the IDLE to be cut")
    answer(mailstack, k.user("pem"), requests["pem"], "Formulir menyusul besok.")
    mailstack.wait_for(
        k.user("pem").name, lambda r: "Formulir belum dilampirkan" in subject_of(r), timeout=30
    )

    assert k.daemon.alive()
    assert k.daemon.terminate() == 0
    inbound = k.q("SELECT status FROM inbound")
    assert [r["status"] for r in inbound] == ["diproses"] * 3
    assert mailstack.messages(k.user("pantau").name, "INBOX") == []
    no_traceback(k)


# ============================================================================ SMTP


def test_smtp_451_then_421_for_a_while_letters_are_retried_and_arrive_once(kantor, mailstack):
    k = kantor(smtp_relay=True, sections=AUTO)
    k.start_cycle()
    with mailstack.smtp_defer():
        k.daemon.start()
        wait_until(lambda: len(k.outbox()) == 5 and all(r["attempts"] >= 2 for r in k.outbox()), 30,
                   "every letter refused twice with 451")
        # Then the server greets with 421 (shutting down) for a while.
        k.smtp_relay.banner = b"421 4.3.2 Uji: layanan ditutup sementara\r\n"
        k.smtp_relay.cut_all()
    wait_until(
        lambda: any("421" in r["detail"] for r in k.log("pengiriman_gagal")), 30, "a 421 refusal"
    )
    assert {r["status"] for r in k.outbox()} <= {"antri", "mengirim"}  # none sent, none given up
    k.smtp_relay.banner = None
    wait_until(lambda: {r["status"] for r in k.outbox()} == {"terkirim"}, 60, "every letter sent")

    each_unit_got_its_letter_once(k)
    failed = k.log("pengiriman_gagal")
    assert any("451 4.3.0" in r["detail"] for r in failed)
    assert all("(dicoba lagi)" in r["detail"] for r in failed)
    keluar = k.q("SELECT message_id, tanggal_kirim FROM register_keluar WHERE message_id<>''")
    assert keluar and all(r["tanggal_kirim"] for r in keluar)
    assert k.daemon.terminate() == 0
    no_traceback(k)


def test_a_letter_refused_for_good_marks_the_recipient_and_tells_the_kasubag(kantor, mailstack):
    """A letter whose only recipient is refused with 550 is not retried; the recipient is 'tidak
    terkirim' in the cycle log and the Kasubag is told, as for a recipient refused among several."""
    tolak = User(REJECT_ADDRESS.split("@")[0], mailstack.password)  # always 550 at RCPT TO
    k = kantor(sections=AUTO, users={"pmd": tolak})
    k.start_cycle()
    k.daemon.start()
    row = wait_until(
        lambda: [
            r
            for r in k.outbox()
            if r["recipients"] == json.dumps([REJECT_ADDRESS]) and r["status"] == "gagal"
        ],
        30,
        "the refused letter",
    )[0]
    assert "550" in row["error"]
    assert any(
        "550" in r["detail"] and "tidak dicoba lagi" in r["detail"]
        for r in k.log("pengiriman_gagal")
    )
    wait_until(lambda: [r for r in k.log("tidak_terkirim") if r["who"] == REJECT_ADDRESS], 8,
               "'tidak_terkirim' in the cycle log")
    mailstack.wait_for(
        k.user("kasubag").name, lambda r: REJECT_ADDRESS in subject_of(r), timeout=15
    )


def test_a_recipient_refused_among_several_is_marked_and_the_kasubag_told(kantor, mailstack):
    """The invitation (S7) goes to every participant in one e-mail; one of them is refused with 550:
    the others get it, the refused one is 'tidak terkirim' in the cycle log, the Kasubag is told."""
    k = kantor(sections={**AUTO, "sop": {"tenggang_kumpul": '"2 jam"'}}, standards={"S4": "1 hari"})
    peserta = [k.user(r).address for r in ("camat", "sekretaris", "kasubag")] + [REJECT_ADDRESS]
    k.office.rewrite("undangan", peserta=json.dumps(peserta))
    app = OfficeApp(k.office.cfg, clock=ManualClock(DEMO_START))
    try:
        code = app.start_cycle("2025-TW3")
        app.run_once()
        while (
            app.store.load_cycle(code).current == "S4"
        ):  # nobody sends data: S4 closes at the deadline
            app.clock.set(app.store.next_timer())
            app.run_once()

        def drive(until, what):
            def step():
                app.run_once()
                return until() or (app.transport.wait(0.3) and False)
            wait_until(step, 30, what, interval=0)

        for role, subject in (("kasubag", "Konsep Laporan"), ("sekretaris", "Penyampaian Konsep"),
                              ("camat", "Penyampaian Konsep")):
            letter = mailstack.wait_for(
                k.user(role).name, lambda r, s=subject: s in subject_of(r), timeout=30
            )
            mid = answer(mailstack, k.user(role), letter, "SETUJU")
            drive(
                lambda m=mid: app.store._q1(
                    "SELECT 1 FROM inbound WHERE message_id=? AND status='diproses'", (m,)
                ),
                f"the {role}'s approval",
            )
        drive(
            lambda: (
                app.store.load_cycle(code).current == "S8"
                and not app.store.outbox_due(app.clock.now())
            ),
            "the invitation sent",
        )
        invitation = app.store._q1("SELECT * FROM outbox WHERE kind LIKE '%undangan%'")
        assert invitation["status"] == "terkirim"
        assert list(json.loads(invitation["refused"])) == [REJECT_ADDRESS]
        gone = [r for r in app.store.cycle_log(code) if r["event"] == "tidak_terkirim"]
        assert [r["who"] for r in gone] == [REJECT_ADDRESS]
        assert "550" in gone[0]["detail"]
        for role in ("camat", "sekretaris", "kasubag"):
            assert k.copies(role, invitation["message_id"]) == 1
        notice = mailstack.wait_for(
            k.user("kasubag").name, lambda r: REJECT_ADDRESS in subject_of(r), timeout=20
        )
        assert "Surat tidak terkirim" in subject_of(notice)
    finally:
        app.close()


@pytest.fixture
def small_messages_only(mailstack):
    """Postfix takes messages up to 20 kB only (`552 5.3.4` to a larger SIZE=) during the test."""
    postconf = mailstack.bins["postconf"]

    def limit(n: int) -> None:
        subprocess.run(
            [postconf, "-c", str(mailstack.postfix_dir), "-e", f"message_size_limit={n}"],
            check=True,
        )
        mailstack._age_configs()
        mailstack.reload_postfix()

        def advertised():
            with smtplib.SMTP(HOST, mailstack.smtp_port, timeout=5) as s:
                s.ehlo()
                return s.esmtp_features.get("size") == str(n)
        wait_until(advertised, 15, f"Postfix to advertise SIZE {n}", interval=0.05)

    limit(20_000)
    try:
        yield
    finally:
        limit(52_428_800)


def test_a_letter_too_big_for_the_server_is_reported_and_not_retried_for_ever(kantor, mailstack,
                                                                           small_messages_only):
    """`552 5.3.4` to MAIL FROM ... SIZE=: no retry will ever get it through (RFC 1870)."""
    k = kantor(sections=AUTO)
    k.start_cycle()  # five request letters with the form and the cover letter, ~100 kB each
    k.daemon.start()
    wait_until(lambda: sum("552" in r["detail"] for r in k.log("pengiriman_gagal")) >= 5, 30,
               "the 552 refusals in the cycle log")
    # Reported, and nothing lost: the letters are still in the outbox with the server's answer.
    rows = [r for r in k.outbox() if r["kind"] == "surat:permintaan_data"]
    assert len(rows) == 5 and all("552" in r["error"] for r in rows)
    # Not retried for ever, and the people concerned are told.
    assert {r["status"] for r in rows} == {"gagal"}
    wait_until(lambda: len(k.log("tidak_terkirim")) == 5, 8, "'tidak_terkirim' for each unit")
    mailstack.wait_for(
        k.user("kasubag").name, lambda r: "Surat tidak terkirim" in subject_of(r), timeout=20
    )


def test_postfix_bounce_for_an_unknown_user_is_classified_and_marks_the_recipient(
    kantor, mailstack
):
    """Postfix accepts mail for an unknown local user, Dovecot's LMTP refuses it, and a real DSN
    (multipart/report, empty return path) comes back to Pantau's inbox."""
    ghost = User(f"tidakada{os.getpid()}", mailstack.password)
    k = kantor(sections=AUTO, users={"pmd": ghost})
    k.start_cycle()
    k.daemon.start()
    gone = wait_until(lambda: [r for r in k.log("tidak_terkirim") if r["who"] == ghost.address], 30,
                      "the bounce to mark the recipient")
    assert gone[0]["step"] == "S4" and "5.1.1" in gone[0]["detail"]
    notice = mailstack.wait_for(
        k.user("kasubag").name, lambda r: ghost.address in subject_of(r), timeout=20
    )
    assert "Surat tidak terkirim" in subject_of(notice)
    bounce = k.q("SELECT kind, status, reason, cycle FROM inbound")
    assert [(r["kind"], r["status"], r["cycle"]) for r in bounce] == [("bounce", "diabaikan", CODE)]
    row = next(r for r in k.outbox() if r["recipients"] == json.dumps([ghost.address]))
    assert row["status"] == "terkirim"  # the server took it; the bounce said what became of it
    assert k.daemon.terminate() == 0
    filed = mailstack.messages(k.user("pantau").name, "Pantau.Diabaikan")
    assert len(filed) == 1 and b"multipart/report" in filed[0]
    no_traceback(k)


def test_a_bounced_bounce_notice_does_not_loop(kantor, mailstack):
    """The Kasubag's own mailbox does not exist either: the notice about the unit's bounce bounces,
    and must not make another notice each time (a mail loop)."""
    ghost = User(f"tidakada{os.getpid()}", mailstack.password)
    lost = User(f"hilang{os.getpid()}", mailstack.password)
    k = kantor(sections=AUTO, users={"pmd": ghost, "kasubag": lost})
    k.start_cycle()
    k.daemon.start()
    wait_until(lambda: [r for r in k.log("tidak_terkirim") if r["who"] == lost.address], 30,
               "the notice to the Kasubag bounced")
    time.sleep(5)
    notices = [r for r in k.outbox() if r["kind"] == "pemberitahuan:gagal_kirim"]
    assert len(notices) <= 3, f"{len(notices)} notices to the Kasubag"


# ============================================================================ unreachable servers


def _broken(kind: str, stack) -> tuple[dict, dict, tuple[str, ...]]:
    """(config that fails, config that works, words the failure shows)."""
    if kind == "dns":
        return (
            {
                "mail.imap": {"host": '"imap.tidak-ada.invalid"'},
                "mail.smtp": {"host": '"smtp.tidak-ada.invalid"'},
            },
            {"mail.imap": {"host": f'"{HOST}"'}, "mail.smtp": {"host": f'"{HOST}"'}},
            ("Name or service not known", "not known", "Temporary failure in name resolution"),
        )
    # The stack makes its certificate with openssl, or with `cryptography` without it: always TLS.
    assert stack.tls, "the mail stack could not make its TLS certificate"
    # The stack's certificate is self-signed: nothing a default TLS context trusts.
    return ({"mail.imap": {"keamanan": '"ssl"', "port": str(stack.imaps_port)},
             "mail.smtp": {"keamanan": '"starttls"'}},
            {"mail.imap": {"keamanan": '"none"', "port": str(stack.imap_port)},
             "mail.smtp": {"keamanan": '"none"'}},
            ("CERTIFICATE_VERIFY_FAILED", "certificate verify failed"))


@pytest.mark.parametrize("kind", ["dns", "tls"])
def test_unreachable_mail_servers_show_in_log_and_status_and_lose_nothing(kantor, mailstack, kind):
    bad, good, words = _broken(kind, mailstack)
    k = kantor(sections={**AUTO, **bad})
    k.start_cycle()
    # A resolver that does not answer costs 1 s per look-up, not glibc's 5 s x 2.
    k.daemon.start(env={**k.office.env, "RES_OPTIONS": "timeout:1 attempts:1"})
    failed = wait_until(
        lambda: len(k.log("pengiriman_gagal")) >= 5 and k.log("pengiriman_gagal"),
        45,
        "every letter tried once",
    )
    assert all(
        any(w in r["detail"] for w in words) and "(dicoba lagi)" in r["detail"] for r in failed
    ), failed

    def down():
        s = k.office.status()
        return s if s["daemon"]["alive"] and s["mail"]["last_check"] else None
    status = wait_until(down, 20, "a heartbeat")
    assert status["mail"]["connected"] is False
    assert status["outbox"] == {"queued": 5, "failed": 0}
    text = k.daemon.log_path.read_text(errors="replace")
    assert "kotak masuk tidak dapat dibaca" in text and any(w in text for w in words)
    assert k.daemon.terminate() == 0

    # The operator mends the config and starts the daemon again: every letter goes out, once.
    for section, values in good.items():
        k.office.rewrite(section, **values)
    k.daemon.start()
    wait_until(lambda: {r["status"] for r in k.outbox()} == {"terkirim"}, 30, "the letters sent")
    wait_until(lambda: k.office.status()["mail"]["connected"], 20, "the mailbox connected")
    assert k.office.status()["outbox"] == {"queued": 0, "failed": 0}
    each_unit_got_its_letter_once(k)
    assert k.daemon.terminate() == 0
    no_traceback(k)
