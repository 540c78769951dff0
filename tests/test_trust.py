"""Trust (SPEC §3.1, issue 6, part 4): who may answer a task, and what a reply that does not fit
gets. Every case runs through `OfficeApp.ingest` on a real office directory with a started cycle.

- a forged From with a valid token: held, no state change, the log says why, no reply at all;
- a token replayed after its task closed: a polite "sudah diproses", no state change;
- an approval of a superseded draft (the old task's token after a new version): "sudah diproses";
- a reply from a configured `wakil`: accepted;
- DMARC failure in Authentication-Results from `keamanan.authserv_id`: held; the same header
  added by the sender under another authserv-id: ignored (accepted);
- a reply-all from someone who is not the task's recipient: held;
- an unclear reply: one clarification per address per day (loop brake);
- Pantau's own messages coming back: ignored.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from test_hostile import Office, body, filled_form, make_office  # the real-office helpers

CAMAT = "camat@kecamatan.test"
KASUBAG = "kasubag@kecamatan.test"


def answers_to(office: Office, last: int, addr: str) -> list[tuple[str, str]]:
    return [(str(m["Subject"]), body(m)) for _, m in office.outbox_since(last, addr)]


def log_events(office: Office, since: int = 0) -> list[dict]:
    return office.store.cycle_log(office.code)[since:]


@pytest.fixture
def s1(tmp_path):
    """A started cycle waiting for the Camat's order (S1)."""
    o = make_office(tmp_path / "kantor", to_s4=False)
    yield o
    o.close()


@pytest.fixture
def s4(tmp_path):
    """A cycle waiting for the units' forms (S4); the S1 task is closed."""
    o = make_office(tmp_path / "kantor")
    yield o
    o.close()


def ingest_unchanged(office: Office, raw: bytes) -> tuple[dict, int]:
    """Ingest a message that must change nothing; return its inbound row and the outbox mark."""
    before, last = office.state(), office.last_outbox_id()
    row = office.ingest(raw)
    assert office.state() == before, "the message changed the cycle"
    return row, last


# --------------------------------------------------------------------------- forged sender


def test_forged_from_with_a_valid_token_is_held_without_reply(s4, caplog):
    task = s4.task(unit="PEM", step="S4")
    form = filled_form(s4, "PEM")
    raw = s4.reply(task, sender="Hendra Saputra <pem@kecamatan-lsb.test>", attachments=[form])
    n_log = len(log_events(s4))
    with caplog.at_level(logging.WARNING, logger="pantau"):
        row, last = ingest_unchanged(s4, raw)
    assert row["status"] == "ditahan" and row["task"] == task["key"], row
    assert "pem@kecamatan-lsb.test bukan penerima tugas (pem@kecamatan.test)" in row["reason"]
    assert s4.outbox_since(last) == []  # no answer to the forger, nor to anyone
    held = [e for e in log_events(s4, n_log) if e["event"] == "pesan_ditahan"]
    assert (
        held
        and "bukan penerima tugas" in held[0]["detail"]
        and held[0]["who"] == "pem@kecamatan-lsb.test"
    )
    assert any(
        "ditahan" in r.getMessage() and "bukan penerima tugas" in r.getMessage()
        for r in caplog.records
    )
    assert [h["id"] for h in s4.store.held()] == [row["id"]]  # for `pantau triage`
    assert s4.app.store.load_cycle(s4.code).units["PEM"].status == "pending"


def test_reply_all_from_someone_who_is_not_the_tasks_recipient_is_held(s1):
    """The Sekretaris answers 'SETUJU' with reply-all to the Camat's request: not hers to give."""
    task = s1.task(step="S1")
    raw = s1.reply(
        task, "SETUJU", sender="sekretaris@kecamatan.test", to=CAMAT, cc="pantau@kecamatan.test"
    )
    row, last = ingest_unchanged(s1, raw)
    assert row["status"] == "ditahan" and "bukan penerima tugas" in row["reason"], row
    assert s1.outbox_since(last) == []
    assert s1.task(step="S1")["status"] == "open"


# ---------------------------------------------------------------------- closed and superseded tasks


def test_token_replayed_after_its_task_closed_gets_sudah_diproses(s4):
    task = s4.task(step="S1")
    assert task["status"] == "closed"
    n_log = len(log_events(s4))
    row, last = ingest_unchanged(s4, s4.reply(task, "SETUJU"))
    assert row["status"] == "diproses" and "sudah ditutup" in row["reason"], row
    answers = answers_to(s4, last, CAMAT)
    assert len(answers) == 1 and "Sudah diproses" in answers[0][0], answers
    assert "sudah diproses sebelumnya" in answers[0][1]
    assert "balasan_tugas_tertutup" in [e["event"] for e in log_events(s4, n_log)]
    # The very same bytes again (a re-delivery): one row, processed once, nothing sent.
    raw = s4.reply(task, "SETUJU")
    first = s4.ingest(raw)
    last = s4.last_outbox_id()
    again = s4.ingest(raw)
    assert again["id"] == first["id"] and again["attempts"] == first["attempts"] == 1
    assert s4.outbox_since(last) == []
    n = s4.store._q1("SELECT COUNT(*) AS n FROM inbound WHERE sha256=?", (first["sha256"],))["n"]
    assert n == 1


def test_same_message_id_with_other_bytes_is_a_duplicate(s1):
    task = s1.task(step="S1")
    raw = s1.reply(task, "Baik, saya pelajari dulu.")
    s1.ingest(raw)
    mid = re.search(rb"(?m)^Message-ID: (<[^>]+>)", raw).group(1)
    again = re.sub(
        rb"(?m)^Message-ID: <[^>]+>", b"Message-ID: " + mid, s1.reply(task, "SETUJU"), count=1
    )
    row, last = ingest_unchanged(s1, again)
    assert row["status"] == "duplikat", row
    assert s1.outbox_since(last) == []


def bring_to_s5(office: Office) -> None:
    for unit in ("SEK", "PEM", "TRANTIB", "PMD", "KESOS"):
        office.clock.advance(minutes=10)
        task = office.task(unit=unit, step="S4")
        row = office.ingest(office.reply(task, attachments=[filled_form(office, unit)]))
        assert row["status"] == "diproses", row
    office.app.dispatch()
    st = office.app.store.load_cycle(office.code)
    assert st.current == "S5" and st.draft_version == 1, st.current


@pytest.mark.slow
def test_approval_of_a_superseded_draft_gets_sudah_diproses(s4):
    bring_to_s5(s4)
    old = s4.task(step="S5", status="open")
    # A unit corrects its form while the draft is with the Kasubag: the draft is recompiled (v2)
    # and re-sent with a new task; the v1 task closes.
    s4.clock.advance(minutes=30)
    row = s4.ingest(
        s4.reply(s4.task(unit="PEM", step="S4"), attachments=[filled_form(s4, "PEM", "95")])
    )
    assert row["status"] == "diproses"
    s4.app.dispatch()
    st = s4.app.store.load_cycle(s4.code)
    new = s4.task(step="S5", status="open")
    assert st.draft_version == 2 and new["key"] != old["key"] and new["token"] != old["token"]
    assert s4.store.task(old["key"])["status"] == "closed"
    # The Kasubag approves the old version: nothing moves.
    s4.clock.advance(minutes=30)
    row, last = ingest_unchanged(s4, s4.reply(old, "SETUJU"))
    assert row["status"] == "diproses" and "sudah ditutup" in row["reason"], row
    answers = answers_to(s4, last, KASUBAG)
    assert len(answers) == 1 and "Sudah diproses" in answers[0][0], answers
    assert s4.app.store.load_cycle(s4.code).current == "S5"
    # Approving the current version does.
    s4.clock.advance(minutes=5)
    row = s4.ingest(s4.reply(new, "SETUJU"))
    assert row["status"] == "diproses" and row["reason"] == ""
    assert s4.app.store.load_cycle(s4.code).current == "S6"


# --------------------------------------------------------------------------- delegates


@pytest.mark.slow
def test_reply_from_a_configured_wakil_is_accepted(tmp_path):
    office = make_office(
        tmp_path / "kantor", to_s4=False, wakil={"camat": ["ajudan.camat@kecamatan.test"]}
    )
    try:
        task = office.task(step="S1")
        office.clock.advance(minutes=5)
        row = office.ingest(
            office.reply(task, "Setuju, laksanakan.", sender="Ajudan <ajudan.camat@kecamatan.test>")
        )
        assert row["status"] == "diproses" and row["reason"] == "", row
        assert office.store.task(task["key"])["status"] == "closed"
        assert office.app.store.load_cycle(office.code).current == "S4"
        masuk = office.store.register("register_masuk")
        assert (
            len(masuk) == 1 and "melalui wakil ajudan.camat@kecamatan.test" in masuk[0]["pengirim"]
        ), masuk
        # Someone else from the same domain is still nobody's delegate.
        other = make_office(
            tmp_path / "kantor2", to_s4=False, wakil={"camat": ["ajudan.camat@kecamatan.test"]}
        )
        try:
            t2 = other.task(step="S1")
            row, _ = ingest_unchanged(
                other, other.reply(t2, "SETUJU", sender="staf@kecamatan.test")
            )
            assert row["status"] == "ditahan" and "bukan penerima tugas" in row["reason"]
        finally:
            other.close()
    finally:
        office.close()


# --------------------------------------------------------------------------- DMARC


AUTHSERV = "mx.kecamatan.test"


@pytest.mark.parametrize(
    ("headers", "accepted"),
    [
        # our server says DMARC failed: held
        (
            [
                f"{AUTHSERV}; spf=fail smtp.mailfrom=kecamatan.test; dkim=none; dmarc=fail "
                "(p=none) "
                "header.from=kecamatan.test"
            ],
            False,
        ),
        # case and a version number after the authserv-id do not hide it
        (["MX.Kecamatan.Test 1; dmarc=FAIL header.from=kecamatan.test"], False),
        # our server says fail; a header the sender added under another id says pass: held
        (
            [
                f"{AUTHSERV}; dmarc=fail header.from=kecamatan.test",
                "mail.pengirim.test; dkim=pass; dmarc=pass header.from=kecamatan.test",
            ],
            False,
        ),
        # a header inserted by the sender with another authserv-id: ignored, accepted
        (["mail.pengirim.test; dmarc=fail (p=reject) header.from=kecamatan.test"], True),
        # our server says pass; the sender's own 'fail' is ignored
        (
            [
                f"{AUTHSERV}; spf=pass; dkim=pass; dmarc=pass header.from=kecamatan.test",
                "evil.example; dmarc=fail",
            ],
            True,
        ),
    ],
    ids=[
        "ours-fail",
        "ours-fail-case-version",
        "ours-fail-theirs-pass",
        "theirs-fail",
        "ours-pass-theirs-fail",
    ],
)
@pytest.mark.slow
def test_dmarc_from_the_trusted_server_only(tmp_path, headers, accepted):
    office = make_office(tmp_path / "kantor", to_s4=False, authserv_id=AUTHSERV)
    try:
        task = office.task(step="S1")
        raw = office.reply(task, "SETUJU")
        head = "".join(f"Authentication-Results: {h}\n" for h in headers).encode()
        raw = head + raw  # a receiving server prepends its header above the rest
        office.clock.advance(minutes=5)
        if accepted:
            row = office.ingest(raw)
            assert row["status"] == "diproses" and row["reason"] == "", row
            assert office.app.store.load_cycle(office.code).current == "S4"
        else:
            row, last = ingest_unchanged(office, raw)
            assert (
                row["status"] == "ditahan" and f"DMARC gagal menurut {AUTHSERV}" in row["reason"]
            ), row
            assert office.outbox_since(last) == []
            held = [e for e in log_events(office) if e["event"] == "pesan_ditahan"]
            assert held and "DMARC" in held[-1]["detail"]
    finally:
        office.close()


def test_dmarc_is_not_judged_without_a_trusted_server(s1):
    """With `keamanan.authserv_id` empty, nobody's Authentication-Results are believed."""
    raw = b"Authentication-Results: mx.kecamatan.test; dmarc=fail\n" + s1.reply(
        s1.task(step="S1"), "SETUJU"
    )
    s1.clock.advance(minutes=5)
    row = s1.ingest(raw)
    assert row["status"] == "diproses" and s1.app.store.load_cycle(s1.code).current == "S4"


# --------------------------------------------------------------------------- loop brake


def clarifications(office: Office, last: int) -> list[str]:
    return [s for s, _ in answers_to(office, last, CAMAT) if "jawaban yang jelas" in s]


def test_the_same_unclear_reply_twice_gets_one_clarification(s1):
    task = s1.task(step="S1")
    last = s1.last_outbox_id()
    for _ in range(2):
        s1.clock.advance(minutes=10)
        row, _ = ingest_unchanged(s1, s1.reply(task, "Nanti saya pelajari dulu."))
        assert row["status"] == "diproses"
    assert len(clarifications(s1, last)) == 1
    assert "pemberitahuan_ditahan" in [e["event"] for e in log_events(s1)]


def test_unclear_replies_get_one_clarification_per_day(s1):
    task = s1.task(step="S1")
    last = s1.last_outbox_id()
    for i in range(3):
        s1.clock.advance(minutes=10)
        row, _ = ingest_unchanged(
            s1, s1.reply(task, f"Pesan Anda diterima pukul 08.{10 + i}, akan dibalas nanti.")
        )
        assert row["status"] == "diproses"
    assert len(clarifications(s1, last)) == 1
    s1.clock.advance(days=1)
    ingest_unchanged(s1, s1.reply(task, "Pesan Anda diterima besok pagi."))
    assert len(clarifications(s1, last)) == 2  # a new day, one more


# --------------------------------------------------------------------------- our own mail


def test_pantaus_own_messages_coming_back_are_ignored(s4):
    # A notification too (Auto-Submitted): PEM answers without its form and is asked for it.
    s4.ingest(s4.reply(s4.task(unit="PEM", step="S4"), "Baik, segera kami kirim."))
    s4.app.dispatch()
    own = s4.store._q("SELECT path, kind FROM outbox ORDER BY id")
    kinds = [r["kind"] for r in own]
    assert len(own) == 7 and "pemberitahuan:lampirkan_formulir" in kinds, (
        kinds
    )  # + the S1 and S4 letters
    for r in own:
        row, last = ingest_unchanged(s4, Path(r["path"]).read_bytes())
        assert row["status"] == "diabaikan" and row["kind"] == "auto_reply", row
        assert s4.outbox_since(last) == []


@pytest.mark.parametrize(
    "sender",
    [
        "Seksi Pemerintahan <pem@kecamatan.test>",
        "Pantau Kinerja Kecamatan via Pejabat <pejabat@kecamatan.test>",
    ],
)
def test_own_letter_with_rewritten_from_is_ignored(s4, sender):
    """The S4 request (a letter, so no Auto-Submitted) relayed back with another From."""
    task = s4.task(unit="PEM", step="S4")
    path = s4.store._q1("SELECT path FROM outbox WHERE task=?", (task["key"],))["path"]
    raw = Path(path).read_bytes()
    raw = re.sub(rb"(?m)^From: .*$", f"From: {sender}".encode(), raw, count=1)
    raw = re.sub(rb"(?m)^Message-ID: <", b"Message-ID: <relay.", raw, count=1)
    assert b"X-Pantau-Loop: pantau@kecamatan.test" in raw
    row, last = ingest_unchanged(s4, raw)
    assert row["status"] == "diabaikan", row
    assert s4.outbox_since(last) == []
