"""`pantau run` as a real process on the Maildir transport: the shared accelerated clock
(PANTAU_NOW / PANTAU_TIME_SCALE), replies read while it runs, SIGTERM stops it cleanly, and a
restart resumes the open cycle where it stood."""

from __future__ import annotations

import email
import json
import os
import signal
import subprocess
import sys
import time
from email import policy
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest

from daemon.mail.transports.maildir import deliver
from tools import pantau_main

pytestmark = pytest.mark.slow  # the daemon as a process (tests/README.md)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def office(office_factory, tmp_path):
    made = office_factory(tmp_path / "kantor")
    env = dict(os.environ, **made.env(PANTAU_NOW="2025-10-06T08:00:00+07:00",
                                      PANTAU_TIME_SCALE="60"))
    return made.root, env


def cli(env, *args, timeout=60) -> subprocess.CompletedProcess:
    """A one-shot command, in-process (tests/tools.py); `pantau run` stays a real process."""
    return pantau_main(args, env=env)


def wait_mail(box: Path, predicate, timeout=30.0) -> email.message.EmailMessage:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for sub in ("new", "cur"):
            for p in sorted((box / sub).glob("*")) if (box / sub).exists() else []:
                m = email.message_from_bytes(p.read_bytes(), policy=policy.default)
                if predicate(m):
                    return m
        time.sleep(0.1)
    raise AssertionError(f"no matching mail in {box} within {timeout}s")


def answer(root: Path, orig, sender: str, text: str) -> None:
    r = EmailMessage()
    r["From"] = sender
    r["To"] = "pantau@kecamatan.test"
    r["Subject"] = "Re: " + orig["Subject"]
    r["Message-ID"] = make_msgid(domain="kecamatan.test")
    r["In-Reply-To"] = orig["Message-ID"]
    r.set_content(text)
    deliver(root / "var" / "maildir", "pantau@kecamatan.test", bytes(r))


def test_run_reads_replies_stops_on_sigterm_and_resumes(office):
    root, env = office
    r = cli(env, "cycle", "start", "2025-TW3")
    assert r.returncode == 0, r.stderr
    mbox = root / "var" / "maildir"
    daemon = subprocess.Popen(
        [sys.executable, "-m", "daemon.operator.cli", "run"],
        env=env,
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        order = wait_mail(
            mbox / "camat@kecamatan.test", lambda m: "Permohonan Perintah" in m["Subject"]
        )
        status = json.loads(cli(env, "status", "--json").stdout)
        assert status["daemon"]["alive"] is True and status["cycles"][0]["current_step"] == "S1"
        answer(root, order, "camat@kecamatan.test", "SETUJU")
        request = wait_mail(
            mbox / "pem@kecamatan.test", lambda m: "Permintaan Data" in m["Subject"]
        )
        assert "Formulir-Pemantauan-PEM-PK-2025-TW3.docx" in [
            a.get_filename() for a in request.iter_attachments()
        ]
        t0 = time.monotonic()
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=15) == 0
        stopped_in = time.monotonic() - t0
        log = daemon.stderr.read()
        assert "berhenti dengan rapi" in log, log
        assert "[#" not in log.replace("[#****-****]", "")  # tokens never appear in the log
    finally:
        if daemon.poll() is None:
            daemon.kill()
    print(f"SIGTERM -> exit in {stopped_in:.2f} s")

    # While it is down, a unit answers with text only; a restarted daemon takes it up.
    answer(root, request, "pem@kecamatan.test", "Formulir menyusul besok.")
    daemon = subprocess.Popen(
        [sys.executable, "-m", "daemon.operator.cli", "run"],
        env=env,
        cwd=ROOT,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_mail(mbox / "pem@kecamatan.test", lambda m: "belum dilampirkan" in m["Subject"])
        show = json.loads(cli(env, "cycle", "show", "PK-2025-TW3", "--json").stdout)
        assert show["current_step"] == "S4"
        assert [s["status"] for s in show["steps"][:4]] == ["done", "done", "done", "active"]
    finally:
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=15) == 0


def test_cli_commands_share_the_daemons_timeline(office):
    root, env = office
    assert cli(env, "cycle", "start", "2025-TW3").returncode == 0
    first = json.loads(cli(env, "cycle", "show", "PK-2025-TW3", "--json").stdout)["steps"][0][
        "started"
    ]
    assert first.startswith("2025-10-06T08:0")
    # The epoch was recorded at the first sight of this PANTAU_NOW: a later command continues the
    # same timeline instead of restarting it at 08:00.
    time.sleep(1.2)
    r = cli(env, "cycle", "start", "2025-TW4")
    assert r.returncode == 0
    later = json.loads(cli(env, "cycle", "show", "PK-2025-TW4", "--json").stdout)["steps"][0][
        "started"
    ]
    assert later > first


def test_starting_a_cycle_twice_fails_and_a_bad_period_is_a_usage_error(office):
    root, env = office
    assert cli(env, "cycle", "start", "2025-TW3").returncode == 0
    again = cli(env, "cycle", "start", "2025-TW3")
    assert again.returncode == 1 and "sudah ada" in again.stderr
    bad = cli(env, "cycle", "start", "2025-Q3")
    assert bad.returncode == 2 and "periode" in bad.stderr
