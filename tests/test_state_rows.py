"""The cycle's state in rows (issue 17 point 1): the engine decides the same from the partial state
the shell loads for a unit's form (the header, the event's task, its unit and the other units'
counts) as from the whole cycle, or says it needs the whole (`Incomplete`); the store writes only
the rows an event changed; migration m010 turns a database made by the code before it (the
fixture tests/fixtures/db/pre_m010.db) into rows that load as the same state, and the cycle goes
on to close from there."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections import Counter
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from test_engine import Run

from daemon.core import engine as E
from daemon.core.sop import load_sop
from daemon.core.worktime import WorkCalendar

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "db" / "pre_m010.db"


def partial(st: E.CycleState, key: str) -> E.CycleState:
    """What Store.load_for_task gives the engine for task `key`: header, timers, the task, its
    unit, and how many of the other units have each status."""
    t = st.task(key)
    assert t is not None and t.unit
    others = Counter(u.status for c, u in st.units.items() if c != t.unit)
    full = E.copy_state(st)
    return replace(full, tasks=[full.task(key)],
                   units=E.SomeUnits({t.unit: full.units[t.unit]}, dict(others)))


def rows_of(st: E.CycleState, task: str, unit: str) -> tuple:
    """The rows a partial state holds: the header, the timers, the task, the unit."""
    rows = ("tasks", "units", "timers")
    header = {f: getattr(st, f) for f in st.__dataclass_fields__ if f not in rows}
    units = st.units.loaded() if isinstance(st.units, E.SomeUnits) else st.units
    return header, st.timers, st.task(task), units[unit]


def in_s4() -> Run:
    r = Run()
    r.ev(E.Start(period="2025-TW3"))
    r.reply("S1", "approve")
    assert r.st.current == "S4"
    return r


@pytest.mark.parametrize("ok", [True, False])
def test_a_form_while_other_units_are_pending_is_decided_alike_from_the_partial_state(ok):
    r = in_s4()
    key = r.st.units["PEM"].task
    ev = E.FormIn(task=key, sender="u2@k.test", ok=ok, errors=[] if ok else ["baris 1: kosong"])
    whole = E.advance(r.st, ev, r.now, r.ctx)
    part = E.advance(partial(r.st, key), ev, r.now, r.ctx)
    assert part.effects == whole.effects and part.state.partial
    assert rows_of(part.state, key, "PEM") == rows_of(whole.state, key, "PEM")
    assert whole.state.current == "S4" and whole.state.units["PEM"].status == (
        "received" if ok else "pending")


def test_wrong_file_and_a_reply_without_the_form_are_decided_alike():
    r = in_s4()
    key = r.st.units["SEK"].task
    for ev in (E.WrongFile(task=key, sender="u1@k.test", errors=["foto.jpg: bukan formulir"]),
               E.Reply(task=key, sender="u1@k.test", decision="approve")):
        whole = E.advance(r.st, ev, r.now, r.ctx)
        part = E.advance(partial(r.st, key), ev, r.now, r.ctx)
        assert part.effects == whole.effects and whole.effects
        assert rows_of(part.state, key, "SEK") == rows_of(whole.state, key, "SEK")


def test_the_last_units_form_asks_for_the_whole_cycle_and_then_decides_alike():
    r = in_s4()
    r.forms(units=("SEK", "PEM"))
    key = r.st.units["TRANTIB"].task
    ev = E.FormIn(task=key, sender="u3@k.test", ok=True)
    # The partial state knows (from the counts) that this form completes the collection; what
    # follows (the draft names the units without data) needs every unit: the engine says so
    # rather than deciding from rows it does not have.
    with pytest.raises(E.Incomplete):
        E.advance(partial(r.st, key), ev, r.now, r.ctx)
    whole = E.advance(r.st, ev, r.now, r.ctx)
    assert whole.state.current == "S5"
    # A unit still pending elsewhere: the same form does not complete the collection.
    p = partial(r.st, key)
    p.units.others["pending"] = 1
    d = E.advance(p, ev, r.now, r.ctx)
    assert d.state.current == "S4" and d.state.units["TRANTIB"].status == "received"


def test_a_late_form_while_the_draft_is_with_the_kasubag_asks_for_the_whole_cycle():
    r = in_s4()
    r.forms(units=("SEK", "PEM"))
    r.until(r.ctx.cal.add(r.st.deadline, r.ctx.tenggang_kumpul))
    key = r.st.units["TRANTIB"].task
    with pytest.raises(E.Incomplete):
        E.advance(partial(r.st, key), E.FormIn(task=key, sender="u3@k.test", ok=True),
                  r.now, r.ctx)


def test_a_partial_state_refuses_what_it_does_not_hold():
    r = in_s4()
    p = partial(r.st, r.st.units["SEK"].task)
    for read in (lambda: list(p.units), lambda: len(p.units), lambda: p.units["PEM"],
                 lambda: p.open_tasks(), lambda: p.task(r.st.units["PEM"].task),
                 lambda: list(p.units.values())):
        with pytest.raises(E.Incomplete):
            read()
    assert not p.all_units("received") and p.units["SEK"].code == "SEK"


# ============================================================================ the store


def test_a_form_writes_only_the_rows_it_changed(tmp_path):
    """At 3 units or 30, a form's save writes the same: its unit's row, nothing else (the task
    stays open for corrections, the header and the timers are unchanged)."""
    from daemon.store import Store

    written = {}
    for n in (3, 30):
        units = [(f"U{i:02d}", f"u{i}@k.test") for i in range(n)]
        r = Run(units=units)
        r.ev(E.Start(period="2025-TW3"))
        r.reply("S1", "approve")
        store = Store(tmp_path / f"s{n}.db")
        store.save_cycle(r.st, lambda k: "tok-" + k)
        key = r.st.units["U01"].task
        st = store.load_for_task(r.st.code, key)
        assert st.partial
        d = E.advance(st, E.FormIn(task=key, sender="u1@k.test", ok=True), r.now, r.ctx)
        sql: list[str] = []
        store._db.conn.set_trace_callback(sql.append)
        store.save_cycle(d.state, lambda k: "tok-" + k, before=st)
        store._db.conn.set_trace_callback(None)
        written[n] = sorted(s.split("(")[0].split(" SET")[0] for s in sql)
        whole = store.load_cycle(r.st.code)
        assert whole.units["U01"].status == "received" and whole.units["U01"].version == 1
        assert len(whole.units) == n and whole.current == "S4"
        store.close()
    assert written[3] == written[30] == ["INSERT INTO cycle_units"], written


def old_state(db: Path) -> dict:
    con = sqlite3.connect(db)
    (state,) = con.execute("SELECT state FROM cycles").fetchone()
    con.close()
    return E.to_json(E.from_json(json.loads(state)))


def test_m010_turns_a_database_of_the_code_before_into_rows_and_the_cycle_closes(tmp_path):
    from daemon.store import Store

    db = tmp_path / "pantau.db"
    shutil.copy(FIXTURE, db)
    before = old_state(db)
    assert before["current"] == "S4" and len(before["units"]) == 5
    store = Store(db)  # migrations apply on open
    st = store.load_cycle("PK-2025-TW3")
    assert E.to_json(st) == before
    assert len(store._q("SELECT * FROM cycle_units")) == 5
    assert json.loads(store._q1("SELECT state FROM cycles")["state"]).keys().isdisjoint(
        {"units", "tasks", "timers"})
    tokens = {r["key"]: r["token"] for r in store._q("SELECT key, token FROM tasks")}
    assert all(tokens.values())

    # The cycle goes on, event by event, through the rows (partial loads for the forms).
    ctx = E.Context(sop=load_sop(ROOT / "config" / "sop.toml"), cal=WorkCalendar("Asia/Jakarta"),
                    people={"camat": "camat@k.test", "sekretaris": "sek@k.test",
                            "kasubag_perencanaan": "kasubag@k.test"},
                    units=[(u.code, u.email) for u in st.units.values()], meeting_place="Aula")
    now = max(t.opened for t in st.tasks) + timedelta(minutes=5)
    for _ in range(100):
        st = store.load_cycle("PK-2025-TW3")
        if st.status == "closed":
            break
        open_ = st.open_tasks()
        forms = [t for t in open_ if t.purpose == "form" and st.units[t.unit].status == "pending"]
        others = [t for t in open_ if t.purpose != "form"]
        if forms:
            loaded = store.load_for_task(st.code, forms[0].key)
            assert loaded.partial
            ev = E.FormIn(task=forms[0].key, sender=forms[0].recipient, ok=True)
        elif others:
            loaded = st
            ev = E.Reply(task=others[0].key, sender=others[0].recipient, decision="approve")
        else:
            loaded, ev = st, E.Tick()
            now = max(now, E.next_timer(st))
        try:
            d = E.advance(loaded, ev, now, ctx)
        except E.Incomplete:
            loaded = store.load_cycle(st.code)
            d = E.advance(loaded, ev, now, ctx)
        with store.transaction():
            store.save_cycle(d.state, lambda k: "tok-" + k, before=loaded)
        now += timedelta(minutes=10)
    st = store.load_cycle("PK-2025-TW3")
    assert st.status == "closed" and all(u.status == "received" for u in st.units.values())
    assert all(s.status in ("done", "skipped") for s in st.steps.values())
    assert not store._q("SELECT * FROM timers") and not store.open_tasks("PK-2025-TW3")
    assert {r["key"]: r["token"] for r in store._q("SELECT key, token FROM tasks")
            if r["key"] in tokens} == tokens  # tokens made before the migration are kept
    store.close()



def test_a_part_reading_rows_the_partial_state_lacks_is_undone_and_the_form_decided_whole(
        tmp_path, office_factory, monkeypatch):
    """The safety net of OfficeApp.advance: should a part applying the effects read what a
    partial state does not hold, what it wrote is rolled back to the savepoint and the event is
    decided and applied again from the whole cycle: one acknowledgement, one register entry."""
    from daemon.config import load_config
    from daemon.shell.office import OfficeApp

    office = office_factory(tmp_path / "kantor", edit=lambda t: t.replace(
        "perintah_otomatis = false", "perintah_otomatis = true"))
    app = OfficeApp(load_config(office.config))
    code = app.start_cycle("2025-TW3")
    st = app.store.load_cycle(code)
    assert st.current == "S4"
    unit = next(iter(st.units.values()))
    real = app.letters.body_context
    seen = []

    def nosy(st, *a, **kw):
        seen.append(st.partial)
        list(st.units)  # every unit: raises Incomplete on a partial state
        return real(st, *a, **kw)

    monkeypatch.setattr(app.letters, "body_context", nosy)
    queued = len(app.store._q("SELECT * FROM outbox"))
    with app.store.transaction():
        part = app.store.load_for_task(code, unit.task)
        assert part.partial
        app.advance(part, E.FormIn(task=unit.task, sender=unit.email, ok=True))
    assert seen == [True, False]
    assert app.store.load_cycle(code).units[unit.code].status == "received"
    assert len(app.store._q("SELECT * FROM outbox")) == queued + 1
    assert len(app.store._q("SELECT * FROM register_masuk")) == 1
    app.close()
