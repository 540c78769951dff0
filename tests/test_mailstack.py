"""The private Postfix+Dovecot stack itself: mail is delivered and read, unknown users bounce
for real, nothing leaves for other domains, and the fault switches do what they say."""

from __future__ import annotations

import email
import email.policy
import os
import smtplib
import socket
import time

import pytest
from mailstack import (  # noqa: F401  (mailstack_fixture registers the fixture)
    DEFER_ADDRESS,
    DOMAIN,
    REJECT_ADDRESS,
    MailStack,
    cleanup_stale_stacks,
    mailstack_fixture,
    require_mailstack,
)

pytestmark = pytest.mark.slow  # real mail servers, LibreOffice or whole cycles (tests/README.md)


def message(sender: str, to: str, subject: str, body: str = "Isi surat uji.") -> bytes:
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n"
        f"Message-ID: <{subject.replace(' ', '-')}@{DOMAIN}>\r\n\r\n{body}\r\n"
    ).encode()


def test_deliver_and_read(mailstack):
    a, b = mailstack.new_user("pengirim"), mailstack.new_user("penerima")
    mailstack.send(a.address, b.address, message(a.address, b.address, "halo dunia"))
    raw = mailstack.wait_for(b.name, lambda m: b"halo dunia" in m, timeout=10)
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["Subject"] == "halo dunia"
    assert msg["Return-Path"] == f"<{a.address}>"
    assert msg["Delivered-To"] == b.address
    assert "Isi surat uji." in msg.get_content()


def test_plus_address_reaches_the_mailbox(mailstack):
    u = mailstack.new_user("plus")
    local = u.address.split("@")[0]
    to = f"{local}+TOKEN1234@{DOMAIN}"
    mailstack.send("camat@" + DOMAIN, to, message("camat@" + DOMAIN, to, "plus alamat"))
    raw = mailstack.wait_for(u.name, lambda m: b"plus alamat" in m)
    assert f"for <{to}>".encode() in raw  # the detail survives in the Received trace


def test_unknown_local_user_bounces_back_to_sender(mailstack):
    u = mailstack.new_user("pengirim")
    ghost = f"tidak-ada-orangnya@{DOMAIN}"
    mailstack.send(u.address, ghost, message(u.address, ghost, "ke orang hilang"))
    raw = mailstack.wait_for(u.name, lambda m: b"multipart/report" in m, timeout=10)
    dsn = email.message_from_bytes(raw, policy=email.policy.default)
    assert dsn["Return-Path"] == "<>"  # a DSN has an empty return path
    assert dsn.get_content_type() == "multipart/report"
    assert dsn.get_param("report-type") == "delivery-status"
    assert "MAILER-DAEMON" in dsn["From"]
    status = next(p for p in dsn.walk() if p.get_content_type() == "message/delivery-status")
    text = status.as_string()
    assert ghost in text and "5.1.1" in text
    # The original message comes back with it.
    assert any(
        p.get_content_type() in ("message/rfc822", "text/rfc822-headers") for p in dsn.walk()
    )


def test_other_domains_are_refused_at_rcpt(mailstack):
    with pytest.raises(smtplib.SMTPRecipientsRefused) as e:
        mailstack.send("camat@" + DOMAIN, "orang@example.com", b"Subject: x\r\n\r\nx\r\n")
    code, text = e.value.recipients["orang@example.com"]
    assert code == 554 and b"Relay access denied" in text


def test_fixed_fault_addresses(mailstack):
    with smtplib.SMTP("127.0.0.1", mailstack.smtp_port, timeout=10) as s:
        s.ehlo()
        s.mail("camat@" + DOMAIN)
        assert s.rcpt(DEFER_ADDRESS)[0] == 451
        assert s.rcpt(REJECT_ADDRESS)[0] == 550
        assert s.rcpt("camat@" + DOMAIN)[0] == 250
        s.rset()


def test_smtp_defer_switch(mailstack):
    u = mailstack.new_user("tunda")
    t0 = time.monotonic()
    with mailstack.smtp_defer():
        switched = time.monotonic() - t0
        with pytest.raises(smtplib.SMTPRecipientsRefused) as e:
            mailstack.send("camat@" + DOMAIN, u.address, message("c", u.address, "saat sibuk"))
        assert e.value.recipients[u.address][0] == 451
    mailstack.send("camat@" + DOMAIN, u.address, message("c", u.address, "sudah normal"))
    assert b"sudah normal" in mailstack.wait_for(u.name, lambda m: b"sudah normal" in m)
    print(f"\nsmtp_defer switch on: {switched * 1000:.0f} ms")


def test_smtp_auth_through_dovecot(mailstack):
    u = mailstack.new_user("auth")
    with smtplib.SMTP("127.0.0.1", mailstack.smtp_port, timeout=10) as s:
        s.ehlo()
        assert "XOAUTH2" in s.esmtp_features["auth"]
        assert s.login(u.name, u.password)[0] == 235
    with smtplib.SMTP("127.0.0.1", mailstack.smtp_port, timeout=10) as s:
        with pytest.raises(smtplib.SMTPAuthenticationError):
            s.login(u.name, "salah")


def test_mail_survives_dovecot_restart(mailstack):
    u = mailstack.new_user("restart")
    mailstack.send("camat@" + DOMAIN, u.address, message("c", u.address, "sebelum restart"))
    mailstack.wait_for(u.name, lambda m: b"sebelum restart" in m)
    c = mailstack.imap(u.name)
    c.select_folder("INBOX")
    mailstack.restart_dovecot()
    with pytest.raises((OSError, Exception)):
        c.noop()  # the old session is gone
    assert len(mailstack.messages(u.name)) == 1


def test_fresh_stack_starts_and_stops_cleanly(tmp_path):
    """A second, separate stack: timing, nothing left behind, a stale one is cleaned up."""
    require_mailstack()
    stack = MailStack()
    stack.start()
    root = stack.root
    pids = [
        int((root / "postfix-queue/pid/master.pid").read_text().split()[0]),
        int((root / "dovecot/run/master.pid").read_text().split()[0]),
    ]
    stack.send("camat@" + DOMAIN, "camat@" + DOMAIN, b"Subject: satu\r\n\r\nx\r\n")
    stack.wait_for("camat", timeout=10)
    t0 = time.monotonic()
    stack.restart_dovecot()
    restart = time.monotonic() - t0
    stack.stop()
    print(
        f"\nmail stack: start {stack.timings['start'] * 1000:.0f} ms "
        f"(dovecot {stack.timings['start_dovecot'] * 1000:.0f}, "
        f"postfix {stack.timings['start_postfix'] * 1000:.0f}), "
        f"restart dovecot {restart * 1000:.0f} ms, stop {stack.timings['stop'] * 1000:.0f} ms"
    )
    assert not root.exists()
    for port in (stack.smtp_port, stack.imap_port):
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still answers"
    for pid in pids:
        assert not _alive(pid)


def test_stale_stack_of_a_dead_run_is_cleaned_up():
    require_mailstack()
    stack = MailStack()
    stack.start()
    root = stack.root
    dovecot_pid = int((root / "dovecot/run/master.pid").read_text().split()[0])
    # Pretend the test run that owned it was killed: its owner pid no longer exists.
    (root / "owner.pid").write_text(f"{_dead_pid()}\n")
    removed = cleanup_stale_stacks()
    assert root in removed and not root.exists()
    assert not _alive(dovecot_pid)


def _alive(pid: int) -> bool:
    try:
        stat = open(f"/proc/{pid}/stat").read()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def _dead_pid() -> int:
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return pid


def test_add_user_on_a_running_stack(mailstack):
    t0 = time.monotonic()
    u = mailstack.add_user(f"baru{os.getpid()}")
    added = time.monotonic() - t0
    mailstack.send("camat@" + DOMAIN, u.address, message("c", u.address, "untuk pengguna baru"))
    assert b"pengguna baru" in mailstack.wait_for(u.name, lambda m: b"pengguna baru" in m)
    print(f"\nadd_user on a running stack: {added * 1000:.0f} ms")
