"""Crash safety (issue #6 point 1): `pantau run` killed with SIGKILL over the real Postfix +
Dovecot. The whole-cycle harness is tests/crash_harness.py (its docstring says what it does and
checks); here it runs once with a fixed seed, plus the outbox's unknown outcomes one by one.

PANTAU_CRASH_SEED picks another seed; PANTAU_CRASH_MIN_KILLS raises the number of kills wanted."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import pytest
from crash_harness import POINTS, CrashHarness, DaemonProcess, make_office, subject_of, wait_until
from mailstack import HOST, mailstack_fixture  # noqa: F401

from daemon.store import Store

pytestmark = pytest.mark.slow  # real mail servers, LibreOffice or whole cycles (tests/README.md)

SEED = int(os.environ.get("PANTAU_CRASH_SEED", "20251006"))
MIN_KILLS = int(os.environ.get("PANTAU_CRASH_MIN_KILLS", "20"))


def test_whole_cycle_survives_kills_and_server_faults(mailstack, tmp_path, capsys):
    report = CrashHarness(mailstack, tmp_path, SEED, min_kills=MIN_KILLS).run()
    with capsys.disabled():  # the figures belong in `make test`'s output
        print("\n" + report.text())
    (tmp_path / "crash-report.json").write_text(report.to_json())
    by = report.kills_by()
    assert len(report.kills) >= MIN_KILLS, by
    assert all(by[p] >= 1 for p in POINTS), by
    assert by["random"] >= 3, by
    assert len(report.faults) >= 6, report.faults_by()


# ============================================================================ unknown outcomes


def _db(office):
    return Store(office.cfg.db_path)


def _first_letter(office) -> dict:
    store = _db(office)
    try:
        return store._q1("SELECT * FROM outbox ORDER BY id LIMIT 1")
    finally:
        store.close()


def _dies_by_itself(daemon: DaemonProcess, timeout: float = 30) -> None:
    wait_until(lambda: daemon.returncode() is not None, timeout, "the crash point")
    assert daemon.returncode() == -signal.SIGKILL, daemon.log_tail()


@pytest.mark.parametrize(
    "sent_folder", [False, True], ids=["without-sent-folder", "with-sent-folder"]
)
def test_a_letter_accepted_but_not_marked_is_sent_again_at_most_once(
    mailstack, tmp_path, sent_folder
):
    """Killed after the server took the letter and before the outbox row said so, twice in a row.
    With a Sent folder the restarted daemon finds the letter there and does not send it again;
    without one it cannot tell, and sends it once more with the same Message-ID, never twice."""
    sections = {"mail.imap": {"folder_terkirim": '"Sent"'}} if sent_folder else {}
    office = make_office(tmp_path / "kantor", mailstack, scale=60.0, sections=sections)
    daemon = DaemonProcess(office, tmp_path / "run.log")
    assert office.cli("cycle", "start", "2025-TW3").returncode == 0
    try:
        daemon.start(crash_at={"sent_unmarked": 1})
        _dies_by_itself(daemon)
        daemon.start(crash_at={"sent_unmarked": 1})
        if not sent_folder:  # the re-send is accepted too, and again not marked
            _dies_by_itself(daemon)
            daemon.start()
        row = wait_until(
            lambda: (r := _first_letter(office))["status"] == "terkirim" and r,
            20,
            "the letter marked",
        )
        assert daemon.alive()
        assert daemon.terminate() == 0
    finally:
        daemon.kill()
    camat = office.users["camat"]
    copies = [
        raw for raw in mailstack.messages(camat.name) if f"<{row['message_id']}>".encode() in raw
    ]
    assert "Permohonan Perintah" in subject_of(copies[0])
    if sent_folder:
        assert (len(copies), row["attempts"]) == (1, 1)
        sent = mailstack.messages(office.users["pantau"].name, "Sent")
        assert sum(f"<{row['message_id']}>".encode() in raw for raw in sent) == 1
    else:
        assert (len(copies), row["attempts"]) == (2, 2)
        assert copies[0] == copies[1] or subject_of(copies[0]) == subject_of(copies[1])


def test_interrupted_send_after_two_refusals_is_not_lost(mailstack, tmp_path):
    """SMTP answers 451 for a while (the letter has had two attempts), then the daemon is killed
    while a third attempt hangs on a server that does not answer. Restarted against a working
    server, without a Sent folder to look in, it must send the letter: it never went out. (Two
    attempts refused with a known answer are not unknown outcomes: only those count towards the
    'at most one re-send'.)"""
    office = make_office(
        tmp_path / "kantor", mailstack, scale=600.0, sections={"mail.smtp": {"timeout": "5"}}
    )
    daemon = DaemonProcess(office, tmp_path / "run.log")
    tarpit = socket.create_server((HOST, 0), backlog=16)  # takes connections, never says a word
    assert office.cli("cycle", "start", "2025-TW3").returncode == 0
    try:
        with mailstack.smtp_defer():
            daemon.start()
            wait_until(lambda: _first_letter(office)["attempts"] >= 2, 20, "two refusals")
            daemon.kill()
            office.rewrite("mail.smtp", port=str(tarpit.getsockname()[1]))
            daemon.start()
            wait_until(
                lambda: _first_letter(office)["status"] == "mengirim", 20, "the hanging attempt"
            )
            daemon.kill()
        office.rewrite("mail.smtp", port=str(mailstack.smtp_port))
        daemon.start()
        row = wait_until(
            lambda: (r := _first_letter(office))["status"] == "terkirim" and r,
            20,
            "the letter marked",
        )
        camat = office.users["camat"]
        mailstack.wait_for(
            camat.name, lambda raw: f"<{row['message_id']}>".encode() in raw, timeout=10
        )
    finally:
        daemon.kill()
        tarpit.close()


def test_crash_points_arm_several_and_say_where(tmp_path):
    """daemon/shell/faults.py: the first armed point reached kills, and the note names it."""
    note = tmp_path / "crashes"
    code = ("from daemon.shell.faults import crash_point\n"
            "for p in ['stored', 'committed', 'stored', 'rendering']:\n"
            "    crash_point(p)\n    print(p, flush=True)\n")
    env = dict(os.environ, PANTAU_CRASH_AT="rendering:1,stored:2", PANTAU_CRASH_LOG=str(note))
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                       cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert r.returncode == -signal.SIGKILL
    assert r.stdout.split() == ["stored", "committed"]
    assert note.read_text().split()[0] == "stored:2"
