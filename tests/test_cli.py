"""The `pantau` command's contract (SPEC §7.1): exit codes 0/1/2, Indonesian help and usage
errors, quiet on a closed pipe; the daemon's heartbeat read honestly; the log never shows
tokens, secrets or bodies."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from daemon.shell import logsetup
from tools import pantau_main

ROOT = Path(__file__).resolve().parents[1]


def pantau(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """`pantau *args` in-process (tests/tools.py pantau_main), without the caller's PANTAU_*."""
    e = {k: v for k, v in os.environ.items() if not k.startswith("PANTAU_")}
    e.update(env or {})
    return pantau_main(args, env=e)


@pytest.fixture(scope="module")
def office(office_factory) -> dict:
    return office_factory().env(
        PANTAU_NOW="2025-10-06T08:00:00+07:00", PANTAU_SECRET="rahasia"
    )


def test_exit_0_on_success(office):
    r = pantau("status", env=office)
    assert r.returncode == 0, r.stderr
    assert pantau("cycle", "list", "--json", env=office).stdout.strip() == "[]"


def test_exit_1_on_failure(office):
    r = pantau("cycle", "show", "PK-1999-TW1", env=office)
    assert r.returncode == 1
    assert "Siklus PK-1999-TW1 tidak ditemukan" in r.stderr
    r = pantau("replay", "9999", env=office)
    assert r.returncode == 1
    assert "Pesan #9999 tidak ditemukan" in r.stderr


def test_exit_2_on_bad_usage_or_config(office, tmp_path):
    r = pantau()
    assert r.returncode == 2 and "penggunaan: pantau" in r.stdout
    r = pantau("terbang")
    assert r.returncode == 2 and "penggunaan salah" in r.stderr
    r = pantau("cycle", "start", "2025-TW9", env=office)
    assert r.returncode == 2 and "2025-TW3" in r.stderr
    r = pantau("--config", str(tmp_path / "tidak-ada.toml"), "status")
    assert r.returncode == 2
    assert "tidak ditemukan" in r.stderr and "pantau init" in r.stderr
    bad = tmp_path / "config" / "pantau.toml"
    bad.parent.mkdir()
    bad.write_text("[kantor\n")
    r = pantau("--config", str(bad), "status")
    assert r.returncode == 2 and "bukan TOML yang sah" in r.stderr


def test_help_is_indonesian_for_every_command():
    for args in (
        ["--help"],
        ["status", "--help"],
        ["cycle", "show", "--help"],
        ["inspect", "--help"],
    ):
        r = pantau(*args)
        assert r.returncode == 0
        assert r.stdout.startswith("penggunaan: pantau")
        assert "tampilkan bantuan ini lalu keluar" in r.stdout
        assert "show this help" not in r.stdout


def test_a_closed_pipe_is_not_an_error(tmp_path):
    # Far more output than a pipe holds, read by `head -1`: the writer meets a closed pipe.
    box = tmp_path / "pesan"
    box.mkdir()
    for i in range(400):
        (box / f"{i}.eml").write_bytes(
            f"From: a{i}@kec.test\r\nSubject: halo {'x' * 300}\r\n\r\nisi\r\n".encode()
        )
    p = subprocess.Popen(
        f"{sys.executable} -m daemon inspect --json {box} | head -1",  # the real command
        shell=True,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    out, err = p.communicate(timeout=120)
    assert json.loads(out)["kind"] == "unrelated"
    assert b"Traceback" not in err and b"BrokenPipe" not in err, err


def test_the_installed_console_script_runs():
    """The `pantau` command pip installs (the project's console script), as a real process: the
    other tests here call main(argv) in-process."""
    exe = Path(sys.executable).with_name("pantau")
    if not exe.exists():
        pytest.skip(f"no console script beside {sys.executable} (pip install -e .)")
    r = subprocess.run([str(exe), "--help"], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("penggunaan: pantau")


# ============================================================================ heartbeat


def test_daemon_state_is_honest(tmp_path):
    from daemon.operator import views
    from daemon.store import Store

    store = Store(tmp_path / "pantau.db")
    now = datetime.now().astimezone()
    assert views.daemon_state(store)["state"] == "belum"

    def beat(real: datetime | str, pid: int) -> None:
        with store.transaction():
            store.set_meta("heartbeat", "2025-10-06T08:00:00+07:00")
            store.set_meta("heartbeat_real", real if isinstance(real, str) else real.isoformat())
            store.set_meta("pid", str(pid))

    beat(now, os.getpid())
    assert views.daemon_state(store, now)["state"] == "berjalan"
    assert views.daemon_state(store, now)["alive"] is True
    # A fresh heartbeat whose process is gone (killed -9): not alive.
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    beat(now, gone.pid)
    d = views.daemon_state(store, now)
    assert d["state"] == "mati" and d["alive"] is False
    # The process exists but has not beaten for long: stuck.
    beat(now - timedelta(minutes=10), os.getpid())
    assert views.daemon_state(store, now)["state"] == "macet"
    # A clean stop clears heartbeat_real.
    beat("", os.getpid())
    assert views.daemon_state(store, now)["state"] == "berhenti"
    store.close()


# ============================================================================ the log


def _record(msg: str, *args, exc: bool = False, **extra) -> logging.LogRecord:
    rec = logging.LogRecord("pantau", logging.WARNING, __file__, 1, msg, args, None)
    if exc:
        try:
            raise ValueError(
                "gagal membaca subjek [#AB12-CD34] dari pantau+AB12CD34@kecamatan.test"
            )
        except ValueError:
            rec.exc_info = sys.exc_info()
    for k, v in extra.items():
        setattr(rec, k, v)
    return rec


def test_tokens_and_secrets_are_masked():
    logsetup.register_secrets(["sandi-rahasia-99"])
    text = logsetup.scrub(
        "subjek Re: [PK-2025-TW3] [#7QX2-M9KD] dan X-Pantau-Token 7QX2-M9KD, "
        "Reply-To pantau+7QX2M9KD@kec.test, sandi sandi-rahasia-99, tanggal 2025-1006"
    )
    for secret in ("7QX2-M9KD", "7QX2M9KD", "sandi-rahasia-99"):
        assert secret not in text
    assert "PK-2025-TW3" in text and "2025-1006" in text


def test_json_lines_parse_and_carry_the_event_fields():
    f = logsetup.JsonFormatter()
    line = f.format(
        _record(
            "%s %s disetujui %s",
            "PK-2025-TW3",
            "S1",
            "camat@kec.test",
            cycle="PK-2025-TW3",
            step="S1",
            event="disetujui",
            who="camat@kec.test",
            message_id="m1@kec.test",
        )
    )
    obj = json.loads(line)
    assert obj["level"] == "warning" and obj["cycle"] == "PK-2025-TW3" and obj["step"] == "S1"
    assert (
        obj["event"] == "disetujui"
        and obj["who"] == "camat@kec.test"
        and obj["message_id"] == "m1@kec.test"
    )
    obj = json.loads(f.format(_record("pesan gagal", exc=True)))
    assert "\n" not in f.format(_record("pesan gagal", exc=True))
    assert obj["error"].startswith("ValueError") and "AB12-CD34" not in json.dumps(obj)
    assert "AB12CD34" not in json.dumps(obj)


def test_text_lines_are_one_event_each_and_journald_gets_priorities(tmp_path):
    line = logsetup.TextFormatter().format(
        _record("baris satu\nbaris dua", message_id="m1@kec.test")
    )
    assert (
        "\n" not in line
        and "WARNING" in line
        and line.endswith("baris satu baris dua [mid m1@kec.test]")
    )
    line = logsetup.TextFormatter(journald=True).format(_record("pesan ditahan"))
    assert line == "<4>pesan ditahan"
    with (tmp_path / "err").open("w") as f:
        st = os.fstat(f.fileno())
        os.environ["JOURNAL_STREAM"] = f"{st.st_dev}:{st.st_ino}"
        try:
            assert logsetup.under_journald(f)
            assert not logsetup.under_journald(sys.__stdout__)
        finally:
            del os.environ["JOURNAL_STREAM"]
