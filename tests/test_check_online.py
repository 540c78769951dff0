"""`pantau check` (online) logs in to the real IMAP and SMTP servers and says plainly what
failed."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from mailstack import mailstack_fixture  # noqa: F401  (registers the fixture)
from offices import new_office

from tools import pantau_main

pytestmark = pytest.mark.slow  # real mail servers, LibreOffice or whole cycles (tests/README.md)

ROOT = Path(__file__).resolve().parents[1]


def office_for(tmp_path: Path, stack, user: str, smtp_port: int | None = None) -> Path:
    sections = {"mail.imap": {"username": f'"{user}"'}}
    if smtp_port:
        sections["mail.smtp"] = {"port": str(smtp_port)}
    return new_office(tmp_path / "kantor", stack=stack, sections=sections).config


def check(cfg: Path, password: str) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "PANTAU_IMAP_PASSWORD": password, "PANTAU_SECRET": "x"}
    return pantau_main(["--config", str(cfg), "check"], env=env, cwd=ROOT)


def test_check_logs_in_to_the_real_servers(tmp_path, mailstack):
    user = mailstack.new_user("cek")
    r = check(office_for(tmp_path, mailstack, user.name), mailstack.password)
    assert r.returncode == 0, r.stdout + r.stderr


def test_check_names_a_wrong_password(tmp_path, mailstack):
    user = mailstack.new_user("cek")
    r = check(office_for(tmp_path, mailstack, user.name), "salah")
    assert r.returncode == 2
    out = (r.stdout + r.stderr).lower()
    assert "imap" in out and ("login" in out or "autentikasi" in out or "kata sandi" in out), out


def test_check_names_an_smtp_server_that_does_not_answer(tmp_path, mailstack):
    from mailstack import free_port

    user = mailstack.new_user("cek")
    r = check(office_for(tmp_path, mailstack, user.name, smtp_port=free_port()), mailstack.password)
    assert r.returncode == 2
    assert "smtp" in (r.stdout + r.stderr).lower()
