"""Measuring proposed changes to the inbound path before anyone makes them (issue 7).

Each proposal is a monkeypatch that does what the proposed change to daemon/ would do, applied
in the measuring process only (`BENCH_PATCHES=a,b` in the environment of
`python -m tests.bench_ingest pantau ...`). `python -m tests.bench_proposals` builds the bench
office, then handles the same replies once per variant (a fresh copy of the office each time)
and prints ms per message for each. These patches are prototypes for measuring: the real change
belongs in the module named, written the way that module is written.

- `state_once`   inbound.Reader.analyse loads and parses the cycle state only to read two flags
                 of the task; OfficeApp._process then loads and parses it again. Patch: the
                 second load reuses the first parse.
- `tasks_diff`   store.Store.save_cycle upserts every task (and computes every token) and
                 rewrites every timer on each save. Patch: read the stored (key, status, closed)
                 and the timers of the cycle, write only what changed; tokens only for new tasks.
- `fast_copy`    engine.advance deep-copies the whole cycle state (copy.deepcopy) to keep its
                 input unmodified. Patch: a structural copy (dataclasses.replace per step, task,
                 unit, timer; datetimes are immutable and shared).
- `batch_file`   OfficeApp.poll files each message as soon as it is handled (IMAP: one FETCH of
                 the fingerprint + one UID MOVE per message). Patch: file every fetched batch
                 (25) at once: one fingerprint FETCH and one UID MOVE per outcome.
- `copy_nosync`  Archive.store_received fsyncs (file + folder) the copy of the form attachment,
                 which is also inside the archived raw message. Patch: no fsync for that copy.
- `one_record`   each message's store-first record is its own transaction (one WAL fsync).
                 Patch: a fetched batch is stored to the archive and recorded in one
                 transaction, then each message is processed in its own transaction.
"""

from __future__ import annotations

import argparse
import copy as _copy
import dataclasses
import json
import os
import sys
import time
from pathlib import Path

PATCHES = ("state_once", "tasks_diff", "fast_copy", "batch_file", "copy_nosync", "one_record")


def apply(names: list[str]) -> None:
    for n in names:
        if n:
            globals()[f"_patch_{n}"]()


def apply_from_env() -> None:
    apply([n.strip() for n in os.environ.get("BENCH_PATCHES", "").split(",") if n.strip()])


# --------------------------------------------------------------------------- the patches


def _patch_state_once() -> None:
    from daemon.store import Store

    original = Store.load_cycle

    def load_cycle(self, code):
        row = self._q1("SELECT state FROM cycles WHERE code=?", (code,))
        if row is None:
            return None
        memo = getattr(self, "_bench_memo", None)
        if memo and memo[0] == code and memo[1] == row["state"]:
            hit, self._bench_memo = memo[2], None  # one reuse: analyse's parse, for _process
            return hit
        st = original(self, code)
        self._bench_memo = (code, row["state"], st)
        return st

    Store.load_cycle = load_cycle


def _patch_tasks_diff() -> None:
    from daemon import store as S
    from daemon.core.engine import next_timer

    def save_cycle(self, st, token_for):
        year = int(st.period[:4])
        self._x(
            "INSERT INTO cycles(code, period, year, status, current, started, closed, next_timer, "
            "state)"
            " VALUES(?,?,?,?,?,?,?,?,?) ON CONFLICT(code) DO UPDATE SET status=excluded.status,"
            " current=excluded.current, closed=excluded.closed, next_timer=excluded.next_timer,"
            " state=excluded.state",
            (
                st.code,
                st.period,
                year,
                st.status,
                st.current,
                S._iso(st.started),
                S._iso(st.closed),
                S._iso(next_timer(st)),
                json.dumps(S.to_json(st), ensure_ascii=False),
            ),
        )
        stored = {r[0]: (r[1], r[2]) for r in self._db.conn.execute(
            "SELECT key, status, closed FROM tasks WHERE cycle=?", (st.code,))}
        for t in st.tasks:
            have = stored.get(t.key)
            if have == (t.status, S._iso(t.closed)):
                continue
            if have is not None:
                self._x(
                    "UPDATE tasks SET status=?, closed=? WHERE key=?",
                    (t.status, S._iso(t.closed), t.key),
                )
                continue
            self._x(
                "INSERT INTO tasks(key, token, cycle, step, role, recipient, unit, purpose, "
                "doc_kind,"
                " doc_version, status, opened, closed) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT(key) DO UPDATE SET status=excluded.status, closed=excluded.closed",
                (
                    t.key,
                    token_for(t.key),
                    st.code,
                    t.step,
                    t.role,
                    t.recipient,
                    t.unit,
                    t.purpose,
                    t.doc_kind,
                    t.doc_version,
                    t.status,
                    S._iso(t.opened),
                    S._iso(t.closed),
                ),
            )
        want = sorted((tm.step, tm.kind, tm.at.isoformat()) for tm in st.timers)
        have_t = sorted(tuple(r) for r in self._db.conn.execute(
            "SELECT step, kind, at FROM timers WHERE cycle=?", (st.code,)))
        if want != have_t:
            self._x("DELETE FROM timers WHERE cycle=?", (st.code,))
            for tm in st.timers:
                self._x("INSERT INTO timers(cycle, step, kind, at) VALUES(?,?,?,?)",
                       (st.code, tm.step, tm.kind, tm.at.isoformat()))

    S.Store.save_cycle = save_cycle


def fast_copy(s):
    """A copy of a CycleState that shares nothing mutable with it."""
    r = dataclasses.replace
    dc = _copy.deepcopy
    return r(s, steps={k: r(v) for k, v in s.steps.items()}, tasks=[r(t) for t in s.tasks],
             units={k: r(v) for k, v in s.units.items()},
             timers=[r(t, data=dc(t.data)) for t in s.timers], meeting=dc(s.meeting),
             proposed_meeting=dc(s.proposed_meeting), approvals=dc(s.approvals),
             notes=list(s.notes), final=dc(s.final), undeliverable=list(s.undeliverable))


def _patch_fast_copy() -> None:
    import types

    from daemon.core import state as S

    shim = types.SimpleNamespace(
        deepcopy=lambda x, memo=None: (
            fast_copy(x) if isinstance(x, S.CycleState) else _copy.deepcopy(x, memo)
        )
    )
    S.copy = shim  # the state's copy lives in daemon/core/state.py since the engine's split


def _patch_batch_file() -> None:
    from daemon.mail.transports import imap as I
    from daemon.shell import office as O

    def file_many(self, items):
        """items: [(ref, outcome)] of one folder and UIDVALIDITY."""
        by_target: dict[str, list[int]] = {}
        folder = validity = None
        expected = {}
        for ref, outcome in items:
            folder, validity, uid = I.parse_ref(ref)
            target = {
                O.DIPROSES: self.settings.folder_diproses,
                O.GAGAL: self.settings.folder_gagal,
                O.DIABAIKAN: self.settings.folder_diabaikan,
            }[outcome]
            by_target.setdefault(target, []).append(uid)
            expected[uid] = self._fingerprints.get(ref)

        def move(client):
            if self._select(client, self.server_name(folder)) != validity:
                return
            now = client.fetch(list(expected), list(I._FINGERPRINT))
            for target, uids in by_target.items():
                ok = [
                    u
                    for u in uids
                    if u in now and (expected[u] is None or I._fingerprint(now[u]) == expected[u])
                ]
                if ok:
                    dest = self.server_name(target)
                    self._ensure_folder(client, dest)
                    client.move(ok, dest)

        self._run("memindahkan surat", move)
        for ref, _ in items:
            self._fingerprints.pop(ref, None)

    I.ImapSmtpTransport.file_many = file_many

    def poll(self):
        n = 0
        pending = []
        for inc in self.transport.fetch_new():
            pending.append((inc.ref, self.ingest(inc.raw, inc.ref)))
            n += 1
            if len(pending) >= I.FETCH_BATCH:
                self.transport.file_many(pending)
                pending = []
        if pending:
            self.transport.file_many(pending)
        return n

    O.OfficeApp.poll = poll


def _patch_copy_nosync() -> None:
    from daemon.shell import archive as A

    def store_received(self, cycle, data, filename):
        digest = A.sha256_bytes(data)
        path = self.cycle_dir(cycle) / "diterima" / f"{digest[:12]}-{A.safe_name(filename)}"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o750)
            tmp = path.with_name(f".{path.name}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)
        return digest, path

    A.Archive.store_received = store_received


def _patch_one_record() -> None:
    from daemon.mail.transports import imap as I
    from daemon.shell import office as O

    def poll(self):
        n = 0
        batch = []
        items = self.transport.fetch_new()

        def flush():
            nonlocal n
            now = self.clock.now()
            stored = [(inc, *self.archive.store_raw(inc.raw)) for inc in batch]
            with self.store.transaction():
                ids = [self.store.record_inbound(sha, str(path), len(inc.raw), inc.ref, now)
                       for inc, sha, path in stored]
            done = []
            for (inc, _, _), (mid, new) in zip(stored, ids, strict=True):
                outcome = self.process(mid) if new else O.DIPROSES
                done.append((inc.ref, outcome))
                n += 1
            if hasattr(self.transport, "file_many"):
                self.transport.file_many(done)
            else:
                for ref, outcome in done:
                    self.transport.file(ref, outcome)

        for inc in items:
            batch.append(inc)
            if len(batch) >= I.FETCH_BATCH:
                flush()
                batch = []
        if batch:
            flush()
        return n

    O.OfficeApp.poll = poll


# --------------------------------------------------------------------------- the comparison


def main(argv: list[str] | None = None) -> int:
    from tests import bench as BB
    from tests import bench_office as B
    from tests.mailstack import MailStack

    p = argparse.ArgumentParser(prog="python -m tests.bench_proposals")
    p.add_argument("--units", type=int, default=200)
    p.add_argument("--versions", type=int, default=2)
    p.add_argument("--variants", default="base," + ",".join(PATCHES) + ",all")
    p.add_argument("--out", default=str(B.ROOT / "var" / "bench" / "proposals.json"))
    o = p.parse_args(argv)
    variants = [v.strip() for v in o.variants.split(",")]
    work = Path(o.out).parent / "work-proposals"
    stack = MailStack().start()
    results = {"units": o.units, "versions": o.versions, "variants": {},
               "load_at_start": os.getloadavg()}
    try:
        office_vars = B.office_env(stack, time.time())
        os.environ.update(office_vars)
        env = B.env_with(office_vars)
        base = B.write_office(work / "dasar", stack, o.units, 6)
        B.start_cycle(base)
        replies = B.build_replies(base, B.requests(base), o.versions)
        raws = [r for _, _, r in replies]
        for v in variants:
            copy = B.copy_office(base, work / f"v-{v}")
            B.append_to_inbox(stack, "pantau", raws)
            patches = ",".join(PATCHES) if v == "all" else ("" if v == "base" else v)
            venv = dict(env, BENCH_PATCHES=patches)
            r = BB.child(["tests.bench_ingest", "pantau", str(copy.cfg), str(len(raws))], venv)
            ok = r["outcome"]["submissions_ok"] == len(raws) == r["outcome"]["acks_queued"]
            results["variants"][v] = {
                "ms_per_msg": round(r["ms_per_msg"], 2),
                "cpu_ms_per_msg": round(1000 * r["cpu_seconds"] / r["handled"], 2),
                "msgs_per_s": round(r["msgs_per_s"], 1),
                "all_accepted": ok,
            }
            print(v, json.dumps(results["variants"][v]), flush=True)
    finally:
        stack.stop()
    results["load_at_end"] = os.getloadavg()
    B.save_json(Path(o.out), results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
