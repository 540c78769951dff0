"""Data safety (issue 6, part 5): `daemon.store.backup` copies a consistent database while another
process keeps writing events, plus the archive, the config and the secret, with a manifest of
sha256s and restrictive permissions; and the office's own files (database, `var/secret`, the
archive) are created private.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest
from test_hostile import TESTS, build_office, make_office

from daemon.store.backup import DB_NAME, MANIFEST, SUMS, BackupError, backup, command, verify

ROOT = TESTS.parent

# The other process: the daemon's own code writing events, as fast as it can, until told to
# stop. Every round is one transaction holding a register entry and a log row (so a consistent
# snapshot has as many of one as of the other); every third round also ingests a unit's reply
# through the real pipeline (archive file + inbound row + log + a braked notice).
WRITER = r"""
import sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from test_hostile import open_office
office = open_office(Path(sys.argv[2]))
stop, progress = Path(sys.argv[3]), Path(sys.argv[4])
task = office.task(unit="PEM", step="S4")
n = 0
while not stop.exists() and n < 5000:
    n += 1
    now = office.clock.now()
    with office.store.transaction():
        office.store.add_register("register_masuk", 2025, {
            "tanggal_terima": now.isoformat(), "nomor_surat": "-",
            "tanggal_surat": now.date().isoformat(), "pengirim": "uji",
            "perihal": f"uji cadangan {n}", "lampiran": "-", "siklus": office.code,
            "langkah": "S4", "message_id": f"uji-{n}", "berkas": "[]", "disposisi": "",
            "keterangan": ""})
        office.store.add_log(office.code, now, "S4", "uji_cadangan", "uji", str(n))
    if n % 3 == 0:
        office.ingest(office.reply(task, f"Baik, data segera kami kirim ({n})."))
    progress.write_text(str(n))
office.close()
print(n)
"""


def db_facts(path: Path) -> dict:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {
            "integrity": conn.execute("PRAGMA integrity_check").fetchone()[0],
            "masuk": [
                r[0]
                for r in conn.execute("SELECT no FROM register_masuk WHERE tahun=2025 ORDER BY no")
            ],
            "keluar": [
                r[0]
                for r in conn.execute("SELECT no FROM register_keluar WHERE tahun=2025 ORDER BY no")
            ],
            "uji_register": conn.execute(
                "SELECT COUNT(*) FROM register_masuk WHERE perihal LIKE 'uji cadangan %'"
            ).fetchone()[0],
            "uji_log": conn.execute(
                "SELECT COUNT(*) FROM log WHERE event='uji_cadangan'"
            ).fetchone()[0],
            "inbound": [
                dict(zip(("path", "sha256"), r, strict=True))
                for r in conn.execute("SELECT path, sha256 FROM inbound")
            ],
            "journal": conn.execute("PRAGMA journal_mode").fetchone()[0],
        }
    finally:
        conn.close()


def unpack(result: Path, into: Path) -> Path:
    """The backup as a folder (a tarball is extracted with the 'data' filter)."""
    if result.is_dir():
        return result
    with tarfile.open(result, "r:gz") as tar:
        tar.extractall(into, filter="data")
    (top,) = list(into.iterdir())
    return top


def live_count(db: Path) -> int:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return conn.execute("SELECT COUNT(*) FROM register_masuk").fetchone()[0]
    finally:
        conn.close()


def test_backup_while_another_process_writes_is_consistent(tmp_path):
    office = make_office(tmp_path / "kantor")
    cfg, arsip, db = office.app.cfg, office.arsip, office.app.cfg.db_path
    office.close()
    stop, progress = tmp_path / "berhenti", tmp_path / "kemajuan"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(TESTS), str(office.root), str(stop), str(progress)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    results, during = [], []
    try:
        deadline = time.time() + 60
        while (
            not progress.exists() or int(progress.read_text() or 0) < 15
        ) and time.time() < deadline:
            assert writer.poll() is None, writer.stderr.read()[-3000:]
            time.sleep(0.05)
        for name in ("satu.tar.gz", "dua", "tiga.tgz"):
            before = live_count(db)
            results.append(backup(cfg, tmp_path / name))
            after = live_count(db)
            during.append((before, after))
    finally:
        stop.write_text("stop")
        out, err = writer.communicate(timeout=120)
    assert writer.returncode == 0, err[-3000:]
    written = int(out.strip())
    print(
        f"\nwriter: {written} transactions; live register_masuk before/after each backup: {during}"
    )
    assert any(b < a for b, a in during), "the writer never wrote while a backup ran"
    for (before, after), result in zip(during, results, strict=True):
        assert result.exists()
        assert verify(result) == [], result
        copy = unpack(result, tmp_path / f"buka-{result.name}")
        facts = db_facts(copy / DB_NAME)
        assert facts["integrity"] == "ok" and facts["journal"] == "delete"
        # Registers gapless; the snapshot lies between the counts seen before and after.
        assert facts["masuk"] == list(range(1, len(facts["masuk"]) + 1))
        assert facts["keluar"] == list(range(1, len(facts["keluar"]) + 1))
        assert before <= len(facts["masuk"]) <= after
        # One transaction, one register entry and one log row: never one without the other.
        assert facts["uji_register"] == facts["uji_log"] > 0
        # Every raw message the snapshot recorded is in the backup's archive, byte for byte.
        for row in facts["inbound"]:
            rel = Path(row["path"]).relative_to(arsip)
            data = (copy / "arsip" / rel).read_bytes()
            assert hashlib.sha256(data).hexdigest() == row["sha256"], rel
        manifest = json.loads((copy / MANIFEST).read_text())
        names = {e["path"] for e in manifest["files"]}
        assert {"pantau.db", "config/pantau.toml", "config/sop.toml", "secret"} <= names
        assert (
            manifest["database"]["integrity_check"] == "ok"
            and manifest["database"]["register_gaps"] == {}
        )


def test_backup_of_a_stopped_office_leaves_nothing_behind(tmp_path):
    office = make_office(tmp_path / "kantor")
    cfg = office.app.cfg
    office.close()
    var = cfg.db_path.parent
    before = sorted(p.name for p in var.iterdir())
    result = backup(cfg, tmp_path / "c.tgz")
    assert verify(result) == []
    assert sorted(p.name for p in var.iterdir()) == before  # no -wal/-shm left by the copy
    assert stat.S_IMODE(cfg.db_path.stat().st_mode) == 0o600


@pytest.fixture
def office(tmp_path):
    o = make_office(tmp_path / "kantor")
    o.ingest(o.reply(o.task(unit="PEM", step="S4"), "Baik."))  # an archived message or two more
    yield o
    o.close()


def test_tarball_and_folder_are_private_and_complete(office, tmp_path):
    cfg = office.app.cfg
    tgz = backup(cfg, tmp_path / "cadangan.tar.gz")
    assert stat.S_IMODE(tgz.stat().st_mode) == 0o600
    with tarfile.open(tgz, "r:gz") as tar:
        members = tar.getmembers()
    assert members and all(m.name == "cadangan" or m.name.startswith("cadangan/") for m in members)
    for m in members:
        assert stat.S_IMODE(m.mode) == (0o700 if m.isdir() else 0o600), (m.name, oct(m.mode))
        assert m.isdir() or m.isfile(), m.name  # no links, no devices
    folder = backup(cfg, tmp_path / "cadangan-folder")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for p in folder.rglob("*"):
        assert stat.S_IMODE(p.stat().st_mode) == (0o700 if p.is_dir() else 0o600), p
    # Complete: every archive file (minus unfinished .tmp files), the config, the secret.
    expected = {
        f"arsip/{p.relative_to(office.arsip).as_posix()}"
        for p in office.arsip.rglob("*")
        if p.is_file() and not p.name.endswith(".tmp")
    }
    got = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert expected <= got
    assert {
        "pantau.db",
        "secret",
        "config/pantau.toml",
        "config/indikator.csv",
        MANIFEST,
        SUMS,
    } <= got
    assert (folder / "secret").read_bytes() == cfg.secret_file.read_bytes()
    # SHA256SUMS is sha256sum's format, and right.
    for line in (folder / SUMS).read_text().splitlines():
        digest, name = line.split("  ", 1)
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name


def test_unfinished_files_and_links_are_left_out(office, tmp_path):
    cfg = office.app.cfg
    (office.arsip / "mail" / ".setengah.eml.123.tmp").write_bytes(b"half")
    outside = tmp_path / "di-luar.txt"
    outside.write_text("bukan milik kantor")
    (office.arsip / "tautan.txt").symlink_to(outside)
    folder = backup(cfg, tmp_path / "c")
    names = {p.name for p in folder.rglob("*")}
    assert ".setengah.eml.123.tmp" not in names and "tautan.txt" not in names


def test_refuses_to_overwrite_or_to_write_into_the_archive(office, tmp_path):
    cfg = office.app.cfg
    (tmp_path / "ada.tar.gz").write_bytes(b"lama")
    with pytest.raises(BackupError, match="sudah ada"):
        backup(cfg, tmp_path / "ada.tar.gz")
    assert (tmp_path / "ada.tar.gz").read_bytes() == b"lama"
    with pytest.raises(BackupError, match="di dalam arsip"):
        backup(cfg, office.arsip / "cadangan.tar.gz")
    assert not list(tmp_path.glob(".pantau-cadangan-*"))  # no work folder left behind


def test_verify_finds_a_changed_file_and_the_command_reports(office, tmp_path, capsys):
    cfg = office.app.cfg
    assert command(cfg, tmp_path / "c.tar.gz") == 0
    out = capsys.readouterr().out
    assert "Cadangan ditulis" in out and "integrity_check ok" in out
    assert command(cfg, tmp_path / "c.tar.gz", check=True) == 0
    assert "utuh" in capsys.readouterr().out
    folder = backup(cfg, tmp_path / "f")
    victim = next(p for p in (folder / "arsip").rglob("*.eml"))
    victim.chmod(0o600)
    victim.write_bytes(victim.read_bytes() + b"\nX-Diubah: ya\n")
    problems = verify(folder)
    assert problems == [f"{victim.relative_to(folder).as_posix()}: sha256 tidak cocok"], problems
    assert command(None, folder, check=True, as_json=True) == 1  # checking needs no config
    assert json.loads(capsys.readouterr().out)["ok"] is False
    assert command(cfg, tmp_path / "c.tar.gz") == 1  # exists: refused, exit 1
    assert "sudah ada" in capsys.readouterr().out


# --------------------------------------------------------------------------- the office's own files


@pytest.fixture
def umask022():
    old = os.umask(0o022)  # the usual default, under which a forgotten mode shows
    yield
    os.umask(old)


def test_database_and_secret_are_created_0600(tmp_path, umask022):
    office = build_office(tmp_path / "kantor")
    try:
        db = office.app.cfg.db_path
        for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm"), office.app.cfg.secret_file):
            assert p.exists(), p
            assert stat.S_IMODE(p.stat().st_mode) == 0o600, (p, oct(p.stat().st_mode))
        assert stat.S_IMODE(db.parent.stat().st_mode) & 0o007 == 0  # var/ is not world-readable
    finally:
        office.close()


def test_archive_folders_are_0750_or_tighter(tmp_path, umask022):
    office = build_office(tmp_path / "kantor")
    try:
        office.ingest(office.reply(office.task(unit="PEM", step="S4"), "Baik."))
        arsip = office.arsip
        loose = [
            f"{p.relative_to(arsip.parent)} {oct(stat.S_IMODE(p.stat().st_mode))}"
            for p in [arsip, *arsip.rglob("*")]
            if p.is_dir() and stat.S_IMODE(p.stat().st_mode) & 0o027
        ]
        files = [
            p for p in arsip.rglob("*") if p.is_file() and stat.S_IMODE(p.stat().st_mode) & 0o037
        ]
        assert not files, files
        assert not loose, loose
    finally:
        office.close()
