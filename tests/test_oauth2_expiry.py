"""An OAuth2 access token that expires while Pantau sits in IMAP IDLE (issue 15 point 7), on the
private Postfix + Dovecot: the transport is built from the office config exactly as `pantau run`
builds it, with `[mail.imap.oauth2] token_command` (a script that prints the token file and
counts its runs). Dovecot checks an XOAUTH2 bearer token against its passdb like a password, so
"the token expired" is: the user's credential changed in Dovecot's passwd file, and the session
cut (`doveadm kick`, as a server does when a token's lifetime ends). The identity provider's
fresh token is in the token file; Pantau must run the command again on reconnecting, log in with
the new token over IMAP (XOAUTH2) and send over SMTP with it, and lose no mail."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import threading
import time
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from crash_harness import make_office, set_keys
from mailstack import mailstack_fixture  # noqa: F401  (registers the fixture)

from daemon.config import load_config
from daemon.mail.transports.factory import imap_transport

pytestmark = pytest.mark.slow


def doveadm(stack, *args: str) -> subprocess.CompletedProcess:
    exe = shutil.which("doveadm") or "/usr/bin/doveadm"
    return subprocess.run(
        [exe, "-c", str(stack.dovecot_conf), *args], capture_output=True, text=True, timeout=30
    )


def test_token_expires_mid_idle_and_a_fresh_one_is_used_on_reconnect(mailstack, tmp_path):
    stack = mailstack
    n = len(stack.users)
    pantau = stack.add_user(f"oauth{n}", password="token-pertama")
    office = make_office(
        tmp_path / "kantor",
        stack,
        users={
            **{
                r: stack.new_user(r)
                for r in ("camat", "sekretaris", "kasubag", "sek", "pem", "trantib", "pmd", "kesos")
            },
            "pantau": pantau,
        },
    )
    token_file = tmp_path / "token"
    token_file.write_text("token-pertama\n")
    runs = tmp_path / "runs"
    script = tmp_path / "token.sh"
    script.write_text(f"#!/bin/sh\necho run >> {runs}\ncat {token_file}\n")
    script.chmod(0o755)
    text = office.cfg_path.read_text()
    text = set_keys(text, "mail.smtp", username=f'"{pantau.name}"')
    text += f'\n[mail.imap.oauth2]\ntoken_command = "{script}"\n'
    office.cfg_path.write_text(text)
    cfg = load_config(office.cfg_path)
    assert cfg.mail.imap.oauth2_token_command == str(script)
    t = imap_transport(cfg)
    try:
        # Logged in with the first token: nothing waiting yet.
        assert list(t.fetch_new()) == []
        assert runs.read_text().count("run") == 1
        before = stack.dovecot_log.read_text().count("method=XOAUTH2")

        result: dict = {}
        waiter = threading.Thread(target=lambda: result.setdefault("woke", t.wait(20)), daemon=True)
        waiter.start()
        time.sleep(1.0)  # in IDLE now
        # The token expires: Dovecot no longer accepts it, the session is cut; the identity
        # provider has issued the next token.
        stack.users[pantau.name] = dataclasses.replace(pantau, password="token-kedua")
        stack._write_users()
        time.sleep(1.2)  # Dovecot rereads its passwd file at most once a second
        token_file.write_text("token-kedua\n")
        kicked = doveadm(stack, "kick", pantau.name)
        assert kicked.returncode == 0, kicked.stderr
        # A unit's form arrives meanwhile.
        m = EmailMessage()
        m["From"] = "sek@kecamatan.test"
        m["To"] = pantau.address
        m["Subject"] = "Re: Permintaan Data"
        m["Message-ID"] = make_msgid(domain="kecamatan.test")
        m.set_content("Terlampir.")
        stack.send("sek@kecamatan.test", [pantau.address], bytes(m))
        waiter.join(25)
        assert result.get("woke") is True, result
        got = list(t.fetch_new())
        assert [g.raw for g in got] and str(m["Message-ID"]).encode() in got[0].raw
        # The command ran again, and Dovecot saw a new XOAUTH2 login with the fresh token.
        assert runs.read_text().count("run") >= 2
        # Dovecot's log process writes the login line a moment after the login itself.
        deadline = time.monotonic() + 5
        while (stack.dovecot_log.read_text().count("method=XOAUTH2") <= before
               and time.monotonic() < deadline):
            time.sleep(0.1)
        assert stack.dovecot_log.read_text().count("method=XOAUTH2") > before
        # SMTP AUTH XOAUTH2 with the fresh token (the old one is refused now).
        letter = EmailMessage()
        letter["From"] = pantau.address
        letter["To"] = office.users["camat"].address
        letter["Subject"] = "Uji token baru"
        letter["Message-ID"] = make_msgid(domain="kecamatan.test")
        letter.set_content("isi")
        sent = t.send(bytes(letter), pantau.address, [office.users["camat"].address])
        assert sent.refused == {}
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not stack.messages(office.users["camat"].name):
            time.sleep(0.2)
        assert any(b"Uji token baru" in raw for raw in stack.messages(office.users["camat"].name))
    finally:
        t.close()
