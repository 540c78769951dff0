"""Filing a fetched batch together (issue #17, point 2) against the private Postfix + Dovecot:
one UID MOVE per target folder for the whole batch, and a SIGKILL between the batch's processing
and its filing loses nothing and processes nothing twice (the next start recognises every
message by its sha256 and only files it)."""

from __future__ import annotations

import pytest
from crash_harness import DaemonProcess, make_office, wait_until
from mailstack import DOMAIN, mailstack_fixture  # noqa: F401  (registers the fixture)
from test_imap_transport import deliver, make

from daemon.mail.transports.base import DIABAIKAN, DIPROSES, GAGAL, file_all
from daemon.store import Store

pytestmark = pytest.mark.slow  # real mail servers, LibreOffice or whole cycles (tests/README.md)


def count_commands(transport) -> list[tuple[str, ...]]:
    """Wrap the live connection's imaplib `_command`: every command sent is recorded."""
    transport._ensure()
    imap = transport._client._imap
    sent: list[tuple[str, ...]] = []
    original = imap._command

    def spy(name, *args):
        sent.append((name, *[a if isinstance(a, str) else repr(a) for a in args]))
        return original(name, *args)

    imap._command = spy
    return sent


def moves(sent) -> list[tuple[str, ...]]:
    return [c for c in sent if c[0] == "UID" and c[1].upper() in ("MOVE", "COPY")]


def test_a_batch_is_filed_with_one_move_per_folder(mailstack):
    user = mailstack.new_user()
    t = make(mailstack, user, timeout=10)
    try:
        deliver(mailstack, user, 7, "sekumpulan")
        got = list(t.fetch_new())
        assert len(got) == 7
        sent = count_commands(t)
        file_all(t, [(g.ref, DIPROSES) for g in got[:5]] + [(got[5].ref, GAGAL),
                                                             (got[6].ref, DIABAIKAN)])
        assert len(moves(sent)) == 3, sent  # one per target folder, not one per message
        assert [c for c in moves(sent) if c[2].count(",") == 4], sent  # the five together
        fetches = [c for c in sent if c[0] == "UID" and c[1].upper() == "FETCH"]
        assert len(fetches) == 3, sent  # the fingerprints, once per target folder
        assert mailstack.messages(user.name) == []
        assert len(mailstack.messages(user.name, "Pantau.Diproses")) == 5
        assert len(mailstack.messages(user.name, "Pantau.Gagal")) == 1
        assert len(mailstack.messages(user.name, "Pantau.Diabaikan")) == 1
    finally:
        t.close()


def test_the_office_files_a_polled_batch_with_one_move(mailstack, tmp_path, monkeypatch):
    from daemon.config import load_config
    from daemon.shell.office import OfficeApp

    office = make_office(tmp_path / "kantor", mailstack, scale=60.0)
    pantau = office.users["pantau"]
    deliver(mailstack, pantau, 6, "bukan balasan")
    monkeypatch.setenv("PANTAU_IMAP_PASSWORD", mailstack.password)
    monkeypatch.setenv("PANTAU_SMTP_PASSWORD", mailstack.password)
    monkeypatch.setenv("PANTAU_SECRET", "rahasia-uji")
    app = OfficeApp(load_config(office.cfg_path))
    try:
        sent = count_commands(app.transport)
        assert app.poll() == 6
        assert len(moves(sent)) == 1, sent
        assert mailstack.messages(pantau.name) == []
    finally:
        app.close()


def _inbound(office) -> list[dict]:
    store = Store(office.cfg.db_path)
    try:
        return [dict(r) for r in store._q("SELECT * FROM inbound ORDER BY id")]
    finally:
        store.close()


def test_a_kill_between_processing_and_filing_loses_nothing(mailstack, tmp_path):
    office = make_office(tmp_path / "kantor", mailstack, scale=60.0)
    pantau = office.users["pantau"]
    n = 5
    deliver(mailstack, pantau, n, "dibunuh sebelum dipindah")
    daemon = DaemonProcess(office, tmp_path / "run.log")
    try:
        daemon.start(crash_at={"filing": 1})
        wait_until(lambda: daemon.returncode() is not None, 60, "the crash point")
        assert daemon.crash_notes()[0].startswith("filing:1"), daemon.log_tail()
        first = _inbound(office)
        assert len(first) == n  # all stored, recorded and processed ...
        assert all(r["status"] != "baru" and r["attempts"] == 1 for r in first), first
        assert len(mailstack.messages(pantau.name)) == n  # ... none filed
        daemon.start()
        wait_until(lambda: not mailstack.messages(pantau.name), 60, "the batch filed")
        assert daemon.terminate() == 0
    finally:
        daemon.kill()
    after = _inbound(office)
    # Nothing recorded or processed a second time: same rows, same outcomes, one attempt each.
    assert [(r["id"], r["sha256"], r["status"], r["attempts"]) for r in after] == [
        (r["id"], r["sha256"], r["status"], r["attempts"]) for r in first
    ]
    assert len(mailstack.messages(pantau.name, "Pantau.Diabaikan")) == n
    assert f"@{DOMAIN}" in pantau.address
