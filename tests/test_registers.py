"""Register numbering (SPEC §4): gapless per year under concurrent writers and after a crash."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import signal

import pytest
from offices import new_office

from daemon.store import Store


def _writer(path: str, n: int, year: int) -> None:
    s = Store(path)
    for i in range(n):
        with s.transaction():
            s.add_register(
                "register_keluar",
                year,
                {
                    "nomor_surat": lambda no: f"000.8.6.3/{no}/Kec-LSB/{year}",
                    "perihal": f"pid {os.getpid()} #{i}",
                },
            )
    s.close()


def test_concurrent_writers_never_skip_or_repeat_a_number(tmp_path):
    db = str(tmp_path / "p.db")
    Store(db).close()
    procs = [mp.Process(target=_writer, args=(db, 40, 2025)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    rows = Store(db).register("register_keluar", 2025)
    assert [r["no"] for r in rows] == list(range(1, 161))
    assert all(r["nomor_surat"] == f"000.8.6.3/{r['no']}/Kec-LSB/2025" for r in rows)


def test_numbers_restart_each_year(tmp_path):
    s = Store(tmp_path / "p.db")
    with s.transaction():
        s.add_register("register_masuk", 2025, {"perihal": "a"})
        s.add_register("register_masuk", 2025, {"perihal": "b"})
        s.add_register("register_masuk", 2026, {"perihal": "c"})
    assert [(r["tahun"], r["no"]) for r in s.register("register_masuk")] == [
        (2025, 1),
        (2025, 2),
        (2026, 1),
    ]


def test_a_failed_event_leaves_no_gap(tmp_path):
    s = Store(tmp_path / "p.db")
    with s.transaction():
        s.add_register("register_keluar", 2025, {"perihal": "satu"})
    with pytest.raises(RuntimeError), s.transaction():
        s.add_register("register_keluar", 2025, {"perihal": "dua (gagal)"})
        raise RuntimeError("renderer crashed after the number was taken")
    with s.transaction():
        s.add_register("register_keluar", 2025, {"perihal": "dua"})
    assert [(r["no"], r["perihal"]) for r in s.register("register_keluar")] == [
        (1, "satu"),
        (2, "dua"),
    ]


def _killed_writer(path: str) -> None:
    s = Store(path)
    s._db.conn.execute("BEGIN IMMEDIATE")
    s._depth = 1
    s.add_register("register_keluar", 2025, {"perihal": "tidak pernah selesai"})
    os.kill(os.getpid(), signal.SIGKILL)


def test_a_killed_writer_leaves_no_gap(tmp_path):
    db = str(tmp_path / "p.db")
    s = Store(db)
    with s.transaction():
        s.add_register("register_keluar", 2025, {"perihal": "satu"})
    p = mp.Process(target=_killed_writer, args=(db,))
    p.start()
    p.join(30)
    assert p.exitcode == -signal.SIGKILL
    with s.transaction():
        s.add_register("register_keluar", 2025, {"perihal": "dua"})
    assert [r["no"] for r in s.register("register_keluar")] == [1, 2]


def test_register_outside_a_transaction_takes_its_own(tmp_path):
    """With no transaction open, add_register takes its own BEGIN IMMEDIATE: the entry is
    committed (another connection sees it) and numbering goes on from there."""
    db = tmp_path / "p.db"
    s = Store(db)
    assert s.add_register("register_keluar", 2025, {"perihal": "x"}) == 1
    assert [r["no"] for r in Store(db).register("register_keluar", 2025)] == [1]
    with s.transaction():
        assert s.add_register("register_keluar", 2025, {"perihal": "y"}) == 2


def test_an_entry_is_completed_by_its_number_never_renumbered(tmp_path):
    """Letters enter the register first and fill in their e-mails and files afterwards
    (office.register_out, then update_register): the number stays the one allocated."""
    s = Store(tmp_path / "p.db")
    with s.transaction():
        no = s.add_register(
            "register_keluar",
            2025,
            {
                "nomor_surat": lambda n: f"000.8.6.3/{n}/Kec-LSB/2025",
                "message_id": "",
                "berkas": "[]",
            },
        )
        s.update_register(
            "register_keluar", 2025, no, message_id="<a@x> <b@x>", berkas='[{"nama": "s.pdf"}]'
        )
    [row] = s.register("register_keluar", 2025)
    assert (row["no"], row["nomor_surat"], row["message_id"]) == (
        1,
        "000.8.6.3/1/Kec-LSB/2025",
        "<a@x> <b@x>",
    )
    with pytest.raises(AssertionError):
        s.update_register("register_keluar", 2025, no, tahun=2026)


def test_database_is_private_and_in_wal_mode(tmp_path):
    s = Store(tmp_path / "p.db")
    assert (tmp_path / "p.db").stat().st_mode & 0o077 == 0
    assert s._q1("PRAGMA journal_mode")["journal_mode"] == "wal"
    assert s._q1("PRAGMA synchronous")["synchronous"] == 2  # FULL


def test_letters_are_numbered_through_add_register(tmp_path, monkeypatch):
    """The office's outgoing letters take their number from Store.add_register (the path the tests
    above run under concurrent and killed writers), and the entry that ends up in the register is
    the one it numbered, completed with the letter's e-mails."""
    from daemon.config import load_config
    from daemon.demo.simulation import DEMO_START
    from daemon.shell.clock import ManualClock
    from daemon.shell.office import OfficeApp

    taken: list[tuple[str, int, int]] = []
    original = Store.add_register

    def spy(self, table, year, row):
        no = original(self, table, year, row)
        taken.append((table, year, no))
        return no

    monkeypatch.setattr(Store, "add_register", spy)
    app = OfficeApp(
        load_config(new_office(tmp_path / "kantor").config), clock=ManualClock(DEMO_START)
    )
    app.start_cycle("2025-TW3")
    keluar = app.store.register("register_keluar")
    assert keluar, "starting a cycle sends at least one registered letter"
    assert [("register_keluar", r["tahun"], r["no"]) for r in keluar] == taken
    assert [r["no"] for r in keluar] == list(range(1, len(keluar) + 1))
    mids = {m["message_id"] for m in app.store.outbox() if m["kind"].startswith("surat:")}
    assert all(
        r["message_id"] and set(r["message_id"].split()) <= mids for r in keluar
    )  # completed
    assert all(json.loads(r["berkas"]) for r in keluar)  # ... with the letter's files
    assert all(f"/{r['no']}/" in r["nomor_surat"] for r in keluar)
