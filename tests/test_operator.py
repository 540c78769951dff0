"""What the operator sees, the commands run through `main(argv)` as `pantau ...` runs them:
`status`, `cycle show`, `inspect` with and without the office's database, `triage` and `replay`
after a config fix, and the daemon log (`--log-format json`) of a real `pantau run`."""

from __future__ import annotations

import email
import json
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from email import policy
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest
from offices import new_office

from daemon.mail.transports.maildir import deliver
from tools import pantau_main

ROOT = Path(__file__).resolve().parents[1]
SPEC_INSPECT_KEYS = {
    "file",
    "kind",
    "message_id",
    "from",
    "token",
    "task",
    "sender_ok",
    "decision",
    "note",
    "attachments",
    "form",
    "errors",
}


def pantau(
    *args: str, env: dict | None = None, cwd: Path = ROOT, timeout: float = 120
) -> subprocess.CompletedProcess:
    e = {k: v for k, v in os.environ.items() if not k.startswith("PANTAU_")}
    e["PYTHONPATH"] = str(ROOT)
    e.update(env or {})
    return pantau_main(args, env=e, cwd=cwd)  # in-process (tests/tools.py)


def read(path: Path) -> EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=policy.default)


def box_files(box: Path) -> list[Path]:
    return sorted(
        p for sub in ("new", "cur") if (box / sub).exists() for p in (box / sub).iterdir()
    )


@contextmanager
def environ(**values: str):
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


# ============================================================================ after the demo


@pytest.fixture(scope="module")
def demo(demo_office):
    """The session's finished demo cycle (conftest.py), which these tests only read."""
    return demo_office


def demo_cli(demo: Path, *args: str, **kw) -> subprocess.CompletedProcess:
    return pantau("--config", str(demo / "config" / "pantau.toml"), *args, **kw)


def processed(demo: Path, folder: str, predicate) -> Path:
    for p in box_files(demo / "var" / "maildir" / "pantau@kecamatan.test" / folder):
        if predicate(read(p)):
            return p
    raise AssertionError(f"no such message in {folder}")


@pytest.fixture(scope="module")
def samples(demo, tmp_path_factory) -> dict[str, Path]:
    """A few real messages from the demo: the Camat's SETUJU, a unit's form, an auto-reply, a
    forged copy of the SETUJU, and a bounce of one of Pantau's letters."""
    d = tmp_path_factory.mktemp("eml")
    out: dict[str, Path] = {}
    out["setuju"] = processed(
        demo,
        ".Pantau.Diproses",
        lambda m: (
            m["From"].addresses[0].addr_spec == "camat@kecamatan.test"
            and "Permohonan Perintah" in str(m["Subject"])
        ),
    )
    out["form"] = processed(demo, ".Pantau.Diproses", lambda m: m["From"].addresses[0].addr_spec
                            == "sek@kecamatan.test" and any(True for _ in m.iter_attachments()))
    out["auto"] = processed(demo, ".Pantau.Diabaikan", lambda m: m["Auto-Submitted"] is not None)
    forged = read(out["setuju"])
    del forged["From"], forged["Message-ID"]
    forged["From"] = "Penyusup <penyusup@luar.test>"
    forged["Message-ID"] = make_msgid(domain="luar.test")
    out["forged"] = d / "palsu.eml"
    out["forged"].write_bytes(bytes(forged))
    letter = read(box_files(demo / "var" / "maildir" / "sek@kecamatan.test")[0])
    out["bounce"] = d / "bounce.eml"
    out["bounce"].write_bytes(dsn(str(letter["Message-ID"]), "sek@kecamatan.test"))
    return out


def dsn(original_mid: str, rcpt: str) -> bytes:
    """A delivery status notification as Postfix writes it."""
    b = "=_bounce_boundary"
    text = (
        "Return-Path: <>\r\nFrom: MAILER-DAEMON@mail.kecamatan.test (Mail Delivery System)\r\n"
        "To: pantau@kecamatan.test\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        "Auto-Submitted: auto-replied\r\nMessage-ID: "
        "<bounce.1@mail.kecamatan.test>\r\nMIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{b}"\r\n\r\n'
        f"--{b}\r\nContent-Type: text/plain\r\n\r\nThis is the mail system. Your message could not "
        "be delivered.\r\n"
        f"--{b}\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; "
        "mail.kecamatan.test\r\n\r\n"
        f"Final-Recipient: rfc822; {rcpt}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n"
        f"--{b}\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {original_mid}\r\n"
        f"From: pantau@kecamatan.test\r\nTo: {rcpt}\r\n"
        f"--{b}--\r\n"
    )
    return text.encode()


@pytest.mark.slow
def test_cycle_show_reads_as_a_timeline(demo):
    r = demo_cli(demo, "cycle", "show", "PK-2025-TW3")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "Siklus PK-2025-TW3 — Triwulan III Tahun 2025: selesai" in out
    for i in range(1, 14):
        assert f"\n  S{i} " in out, f"S{i}"
    for code, name in (
        ("SEK", "Sekretariat"),
        ("TRANTIB", "Seksi Ketenteraman dan Ketertiban Umum"),
    ):
        assert code in out and name in out
    assert "standar" in out and "aktual" in out and "!" in out  # some step went over its standard
    assert "final_report" in out and "var/arsip/PK-2025-TW3/" in out
    assert "Catatan kejadian:" in out and "formulir ditolak" in out and "revisi" in out


def test_cycle_show_json_keeps_the_spec_keys(demo):
    data = json.loads(demo_cli(demo, "cycle", "show", "PK-2025-TW3", "--json").stdout)
    assert {"code", "period", "status", "steps", "units", "documents", "log"} <= set(data)
    for s in data["steps"]:
        assert {
            "id",
            "key",
            "status",
            "started",
            "due",
            "finished",
            "standard_minutes",
            "actual_minutes",
        } <= set(s)
    assert {"code", "status", "version", "received"} <= set(data["units"][0])
    assert {"at", "step", "event", "who", "detail"} <= set(data["log"][0])
    s1 = data["steps"][0]
    assert s1["over_standard"] == (s1["actual_minutes"] > s1["standard_minutes"])


def test_status_json_shape_on_an_office_whose_daemon_never_ran(demo):
    r = demo_cli(demo, "status", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert {"daemon", "mail", "cycles", "held"} <= set(data)
    assert {"alive", "heartbeat"} <= set(data["daemon"])
    assert {"transport", "connected", "last_check"} <= set(data["mail"])
    assert data["daemon"]["alive"] is False and data["daemon"]["state"] == "belum"
    assert data["mail"]["transport"] == "maildir" and data["mail"]["connected"] is False
    assert data["cycles"] == [] and data["held"] == 0


def test_status_reads_plainly(demo):
    out = demo_cli(demo, "status").stdout
    assert "Daemon        : BELUM PERNAH DIJALANKAN" in out
    assert "Tidak ada siklus yang berjalan." in out


def inspect_json(*files: Path, config: Path | None = None, cwd: Path = ROOT) -> list[dict]:
    args = (["--config", str(config)] if config else []) + ["inspect", "--json", *map(str, files)]
    r = pantau(*args, cwd=cwd)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == len(files)
    return [json.loads(ln) for ln in lines]


def test_inspect_without_a_database(samples, tmp_path):
    # No config here and none named: Pantau reads the messages on their own.
    setuju, auto, bounce, form = inspect_json(
        samples["setuju"], samples["auto"], samples["bounce"], samples["form"], cwd=tmp_path
    )
    for r in (setuju, auto, bounce, form):
        assert SPEC_INSPECT_KEYS <= set(r)
    assert setuju["kind"] == "reply" and setuju["decision"] == "approve"
    assert setuju["token"] and setuju["task"] is None and setuju["sender_ok"] is None
    assert setuju["verdict"]["action"] == "?"
    assert auto["kind"] == "auto_reply" and auto["verdict"]["action"] == "diabaikan"
    assert bounce["kind"] == "bounce"
    assert form["form"]["code"] == "PANTAU:PK-2025-TW3:SEK:1"
    assert form["attachments"][0]["role"] == "form"
    row = form["form"]["rows"][0]
    assert isinstance(row["realisasi"], (int, float)) and isinstance(row["target"], (int, float))


def test_inspect_with_the_database_names_the_task(demo, samples):
    setuju, forged, form = inspect_json(samples["setuju"], samples["forged"], samples["form"],
                                        config=demo / "config" / "pantau.toml")
    assert setuju["task"]["cycle"] == "PK-2025-TW3" and setuju["task"]["step"] == "S1"
    assert setuju["task"]["recipient"] == "camat@kecamatan.test"
    assert setuju["sender_ok"] is True
    assert setuju["recorded"]["status"] == "diproses"  # the demo took it
    assert setuju["verdict"]["action"] == "dijawab"  # its task is closed now: "sudah diproses"
    assert forged["task"]["step"] == "S1" and forged["sender_ok"] is False
    assert (
        "penyusup@luar.test bukan penerima tugas (camat@kecamatan.test)" in forged["sender_reason"]
    )
    assert forged["verdict"]["action"] == "ditahan"
    assert form["task"]["step"] == "S4" and form["task"]["recipient"] == "sek@kecamatan.test"


def test_inspect_names_a_duplicate(demo, samples, tmp_path):
    # Other bytes, same Message-ID (a copy resent by a server): the daemon would ignore it.
    copy = tmp_path / "salinan.eml"
    copy.write_bytes(b"X-Diteruskan: ya\r\n" + samples["setuju"].read_bytes())
    (r,) = inspect_json(copy, config=demo / "config" / "pantau.toml")
    assert r["recorded"] is None
    assert r["verdict"]["action"] == "duplikat" and "(diproses" in r["verdict"]["reason"]


def test_inspect_reads_plainly_and_never_changes_anything(demo, samples):
    def rows():
        import sqlite3

        con = sqlite3.connect(demo / "var" / "pantau.db")
        try:
            return [con.execute(f"SELECT COUNT(*), MAX(rowid) FROM {t}").fetchone()
                    for t in ("inbound", "log", "outbox", "register_masuk", "tasks")]
        finally:
            con.close()

    before = rows()
    r = demo_cli(demo, "inspect", str(samples["forged"]), str(samples["auto"]))
    assert r.returncode == 0, r.stderr
    assert "pengirim   : TIDAK SAH: pengirim penyusup@luar.test bukan penerima tugas" in r.stdout
    assert "tugas      : siklus PK-2025-TW3 langkah S1 untuk camat@kecamatan.test" in r.stdout
    assert "tindakan   : DITAHAN" in r.stdout
    assert "tindakan   : DIABAIKAN — balasan otomatis" in r.stdout
    assert "tercatat   : pesan #" in r.stdout  # the demo filed this auto-reply already
    assert rows() == before
    assert json.loads(demo_cli(demo, "triage", "--json").stdout) == []


def test_inspect_a_directory_and_an_unreadable_file(demo, tmp_path):
    box = demo / "var" / "maildir" / "pantau@kecamatan.test" / ".Pantau.Diabaikan" / "cur"
    r = pantau("inspect", "--json", str(box), cwd=tmp_path)
    assert r.returncode == 0
    assert len(r.stdout.splitlines()) == len(list(box.iterdir()))
    r = pantau("inspect", str(tmp_path / "tidak-ada.eml"), cwd=tmp_path)
    assert r.returncode == 1
    assert "tidak dapat dibaca" in r.stdout


# ============================================================================ held, then replayed

NOW = "2025-10-06T08:00:00+07:00"


@pytest.mark.slow
def test_a_held_reply_is_listed_explained_and_replayed_after_adding_a_wakil(tmp_path):
    from daemon.config import load_config
    from daemon.shell.office import OfficeApp

    cfg_path = new_office(tmp_path / "kantor").config
    office = tmp_path / "kantor"
    env = {"PANTAU_NOW": NOW, "PANTAU_SECRET": "rahasia-uji", "PANTAU_CONFIG": str(cfg_path)}
    assert pantau("cycle", "start", "2025-TW3", env=env).returncode == 0

    def one_round():
        with environ(**env):
            app = OfficeApp(load_config(cfg_path))
            try:
                app.run_once()
            finally:
                app.close()

    one_round()  # sends the S1 request to the Camat
    request = read(box_files(office / "var" / "maildir" / "camat@kecamatan.test")[0])
    reply = EmailMessage()
    reply["From"] = "Ajudan Camat <ajudan@kecamatan.test>"
    reply["To"] = "pantau@kecamatan.test"
    reply["Subject"] = "Re: " + str(request["Subject"])
    reply["Message-ID"] = make_msgid(domain="kecamatan.test")
    reply["In-Reply-To"] = reply["References"] = str(request["Message-ID"])
    reply.set_content("SETUJU, atas arahan Ibu Camat.\n\n> Yth. Camat")
    deliver(office / "var" / "maildir", "pantau@kecamatan.test", bytes(reply))
    one_round()  # the reply comes from someone who is not the recipient: held

    held = json.loads(pantau("triage", "--json", env=env).stdout)
    assert len(held) == 1
    h = held[0]
    assert {"id", "received", "from", "subject", "reason"} <= set(h)
    assert h["from"] == "ajudan@kecamatan.test" and h["status"] == "ditahan"
    assert "bukan penerima tugas (camat@kecamatan.test)" in h["reason"]
    assert "pejabat.camat.wakil" in h["hint"] and f"pantau replay {h['id']}" in h["hint"]
    text = pantau("triage", env=env).stdout
    assert (
        f"#{h['id']}  DITAHAN" in text
        and "saran   : Jika ajudan@kecamatan.test memang boleh" in text
    )

    status = json.loads(pantau("status", "--json", env=env).stdout)
    assert status["held"] == 1
    (cyc,) = status["cycles"]
    assert cyc["current_step"] == "S1"
    assert [a["who"] for a in cyc["awaiting"]] == ["camat@kecamatan.test"]
    assert "Pesan ditahan : 1  -> lihat `pantau triage`" in pantau("status", env=env).stdout

    (seen,) = inspect_json(Path(h["path"]), config=cfg_path)
    assert seen["task"] == {
        "cycle": "PK-2025-TW3",
        "step": "S1",
        "recipient": "camat@kecamatan.test",
        "status": "open",
        "matched_by": "in_reply_to",
    }
    assert seen["sender_ok"] is False and seen["verdict"]["action"] == "ditahan"
    assert seen["recorded"]["id"] == h["id"] and seen["recorded"]["status"] == "ditahan"

    # Replaying before the fix changes nothing.
    r = pantau("replay", str(h["id"]), env=env)
    assert r.returncode == 1 and "masih ditahan" in r.stdout

    # The operator adds the aide as the Camat's wakil, checks, and replays.
    text = cfg_path.read_text()
    cfg_path.write_text(text.replace("wakil = []", 'wakil = ["ajudan@kecamatan.test"]', 1))
    assert pantau("check", "--offline", env=env).returncode == 0
    r = pantau("replay", str(h["id"]), env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"Pesan #{h['id']}: diproses" in r.stdout
    assert (
        "PK-2025-TW3 S1 disetujui ajudan@kecamatan.test" in r.stderr
    )  # what it caused, as the daemon logs it
    assert "SETUJU" not in r.stderr and "atas arahan" not in r.stderr  # never the body
    assert json.loads(pantau("triage", "--json", env=env).stdout) == []
    status = json.loads(pantau("status", "--json", env=env).stdout)
    assert status["held"] == 0 and status["cycles"][0]["current_step"] == "S4"
    masuk = json.loads(pantau("register", "masuk", "--json", env=env).stdout)
    assert masuk[0]["pengirim"].endswith("melalui wakil ajudan@kecamatan.test")
    # The daemon was not running, so replay sent the resulting letters itself.
    assert box_files(office / "var" / "maildir" / "sek@kecamatan.test")


# ============================================================================ the running daemon


def wait_for(predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = predicate()
        if got:
            return got
        time.sleep(0.1)
    raise AssertionError("timed out")


@pytest.mark.slow
def test_daemon_log_and_status_while_running(tmp_path):
    cfg_path = new_office(tmp_path / "kantor").config
    office = tmp_path / "kantor"
    password = "sandi-sangat-rahasia-123"
    body = "kalimat-pribadi-penanda-log"  # no negation nor change word: SETUJU + it approves
    env = {"PANTAU_NOW": NOW, "PANTAU_TIME_SCALE": "60", "PANTAU_SECRET": "rahasia-uji-panjang",
           "PANTAU_CONFIG": str(cfg_path), "PANTAU_IMAP_PASSWORD": password}
    assert pantau("cycle", "start", "2025-TW3", env=env).returncode == 0
    e = {k: v for k, v in os.environ.items() if not k.startswith("PANTAU_")}
    e.update(env, PYTHONPATH=str(ROOT))
    log_file = tmp_path / "stderr.log"
    with log_file.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "daemon.operator.cli", "--log-format", "json", "run"],
            cwd=ROOT,
            env=e,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    try:
        camat = office / "var" / "maildir" / "camat@kecamatan.test"
        request = read(wait_for(lambda: box_files(camat) and box_files(camat)[0]))
        token = str(request["X-Pantau-Token"])
        assert token and token in str(request["Subject"])

        status = wait_for(
            lambda: (
                (s := json.loads(pantau("status", "--json", env=env).stdout))["daemon"]["alive"]
                and s
            )
        )
        assert status["daemon"]["state"] == "berjalan" and status["daemon"]["pid"] == proc.pid
        assert status["mail"]["connected"] is True and status["mail"]["since"]
        assert "Daemon        : BERJALAN (pid" in pantau("status", env=env).stdout

        reply = EmailMessage()
        reply["From"] = "camat@kecamatan.test"
        reply["To"] = "pantau@kecamatan.test"
        reply["Subject"] = "Re: " + str(request["Subject"])
        reply["Message-ID"] = make_msgid(domain="kecamatan.test")
        reply["In-Reply-To"] = reply["References"] = str(request["Message-ID"])
        reply.set_content(f"SETUJU {body}\n\n> {token}")
        deliver(office / "var" / "maildir", "pantau@kecamatan.test", bytes(reply))
        wait_for(lambda: box_files(office / "var" / "maildir" / "kesos@kecamatan.test"))
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0

    status = json.loads(pantau("status", "--json", env=env).stdout)
    assert status["daemon"]["alive"] is False and status["daemon"]["state"] == "berhenti"
    assert status["mail"]["connected"] is False

    text = log_file.read_text()
    lines = [
        json.loads(ln) for ln in text.splitlines() if ln.strip()
    ]  # every line is one JSON object
    assert all({"time", "level", "message"} <= set(x) for x in lines)
    events = {(x.get("cycle"), x.get("step"), x.get("event")) for x in lines}
    assert ("PK-2025-TW3", "S1", "disetujui") in events
    assert ("PK-2025-TW3", "S4", "langkah_dimulai") in events
    assert any(x.get("event") == "terkirim" for x in lines)
    assert any(x["message"] == "Pantau berhenti dengan rapi" for x in lines)
    for secret in (token, body, password, "rahasia-uji-panjang"):
        assert secret not in text, secret


@pytest.mark.slow
def test_triage_all_shows_why_messages_were_not_taken(demo):
    assert json.loads(demo_cli(demo, "triage", "--json").stdout) == []
    rows = json.loads(demo_cli(demo, "triage", "--json", "--semua").stdout)
    auto = [r for r in rows if r["kind"] == "auto_reply"]
    assert auto and auto[0]["status"] == "diabaikan"
    assert "Auto-Submitted" in auto[0]["reason"]
    out = demo_cli(demo, "triage", "--semua").stdout
    assert "DIABAIKAN" in out and "balasan otomatis" in out


# ====================================================================== wording (issue 14, point 8)


def test_inspect_speaks_indonesian_words(demo, samples):
    r = demo_cli(demo, "inspect", str(samples["setuju"]))
    assert r.returncode == 0, r.stderr
    assert "jenis      : balasan" in r.stdout and "keputusan  : setuju" in r.stdout
    assert "dikenali lewat In-Reply-To/References" in r.stdout
    assert ": reply" not in r.stdout and ": approve" not in r.stdout
    (j,) = inspect_json(samples["setuju"], config=demo / "config" / "pantau.toml")
    assert j["kind"] == "reply" and j["decision"] == "approve"  # the JSON keeps SPEC §7.3's values


def test_the_letters_people_received_read_well(demo):
    mbox = demo / "var" / "maildir"
    texts = {}
    for box in mbox.iterdir():
        for p in box_files(box):
            m = read(p)
            texts.setdefault(str(m["Subject"]), m.get_body(("plain",)).get_content())
    hasil = next(t for s, t in texts.items() if "Hasil rapat" in s)
    assert ") telah\nselesai." in hasil or ") telah selesai" in hasil, hasil
    for t in (t for t in texts.values() if "kami ingatkan" in t):  # officials' reminders
        assert "bahwa memerintahkan" not in t and "bahwa menyampaikan" not in t.lower()
        assert "masih menunggu jawaban" in t and "surat kami untuk langkah S" in t


def test_cycle_show_counts_the_round_after_a_revision(demo):
    show = json.loads(demo_cli(demo, "cycle", "show", "PK-2025-TW3", "--json").stdout)
    s6 = next(s for s in show["steps"] if s["id"] == "S6")
    revised = [e for e in show["log"] if e["step"] == "S6" and e["event"] == "revisi"]
    assert revised and s6["runs"] == 1 + len(revised)
