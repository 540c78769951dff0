"""The benchmark's measuring processes, each run as its own Python process so its memory and CPU
are its own (`python -m tests.bench_ingest MODE ...`, prints one JSON object):

- `pantau CFG N`: Pantau's inbound path over the office inbox: OfficeApp.poll() (the daemon's
  round minus timers and the outbox) until N messages are handled: fetch, store, record, parse,
  classify, correlate, read the form, validate, register, queue the acknowledgement, file the
  message. Reports the time, what became of the messages, and the process's peak RSS (VmHWM).
  `--profile FILE` also writes cProfile statistics.
- `raw HOST PORT USER PASSWORD FOLDER [--reader docx|lxml]`: a raw pipeline over the same
  messages: imapclient FETCH (BODY.PEEK[]) in batches of 25, `email` parsing with policy.default,
  then every cell of every table of every DOCX attachment read with python-docx (`docx`, the
  first baseline) or with the lxml table reader Pantau itself uses (`lxml`, the floor).
- `units CFG WARM TIMED --hold FOLDER ...`: the steady-state cost of one reply
  (tests/bench_units.py): the WARM messages already in the inbox are handled untimed; then the
  TIMED ones waiting in the IMAP folder FOLDER are moved into the inbox (untimed) and handled,
  timed, by OfficeApp.poll.
- `summary FILE`: where the ingest's time went, from a `--profile` file (cProfile statistics, or
  py-spy's raw collapsed stacks): grouped by Pantau's rooms (daemon.core, mail, shell, store,
  documents, ...) and by library (imapclient, email, lxml, sqlite3, json, ...), see
  `profile_groups`.
- `big CFG --append-from FILE ...`: the memory a big attachment costs: after one ordinary message
  (everything imported, caches warm), the message in FILE is put in the inbox and handled; reports
  the RSS before it was fetched and the peak while it was handled.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import re
import resource
import sqlite3
import sys
import sysconfig
import time
from pathlib import Path


def proc_status() -> dict[str, float]:
    """VmRSS and VmHWM (peak RSS) of this process, in MB."""
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) / 1024
    return out


def cpu_seconds() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def reset_peak() -> None:
    """Reset VmHWM to the current RSS (Linux >= 4.0: write 5 to clear_refs)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def outcome_counts(db_path: Path) -> dict:
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        q = lambda sql: db.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "inbound": q("SELECT COUNT(*) FROM inbound"),
            "diproses": q("SELECT COUNT(*) FROM inbound WHERE status='diproses'"),
            "not_diproses": [
                list(r)
                for r in db.execute(
                    "SELECT status, reason, COUNT(*) FROM inbound WHERE status<>'diproses'"
                    " GROUP BY status, reason"
                )
            ],
            "submissions_ok": q("SELECT COUNT(*) FROM submissions WHERE ok=1"),
            "register_masuk": q("SELECT COUNT(*) FROM register_masuk"),
            "acks_queued": q(
                "SELECT COUNT(*) FROM outbox WHERE kind='pemberitahuan:formulir_diterima'"
            ),
        }
    finally:
        db.close()


# --------------------------------------------------------------------------- Pantau


def run_pantau(cfg_path: str, expected: int, profile: str | None) -> dict:
    from daemon.config import load_config
    from daemon.shell.office import OfficeApp

    cfg = load_config(Path(cfg_path))
    app = OfficeApp(cfg)
    app.transport  # connect lazily, as the daemon does on its first round  # noqa: B018
    before = proc_status()
    prof = cProfile.Profile() if profile else None
    handled = rounds = 0
    cpu0 = cpu_seconds()
    started = time.perf_counter()
    if prof:
        prof.enable()
    while handled < expected and rounds < 20:
        n = app.poll()
        handled += n
        rounds += 1
        if n == 0:
            time.sleep(0.2)  # delivery still settling (should not happen: mail is there)
    elapsed = time.perf_counter() - started
    cpu = cpu_seconds() - cpu0
    if prof:
        prof.disable()
        prof.dump_stats(profile)
    after = proc_status()
    app.close()
    return {
        "handled": handled,
        "seconds": elapsed,
        "msgs_per_s": handled / elapsed if elapsed else 0.0,
        "ms_per_msg": 1000 * elapsed / handled if handled else None,
        "cpu_seconds": cpu,
        "rss_before_mb": before["VmRSS"],
        "peak_rss_mb": after["VmHWM"],
        "rss_after_mb": after["VmRSS"],
        "outcome": outcome_counts(cfg.db_path),
    }


def poll_until(app, expected: int) -> int:
    handled = rounds = 0
    while handled < expected and rounds < 20:
        n = app.poll()
        handled += n
        rounds += 1
        if n == 0:
            time.sleep(0.2)  # delivery still settling (should not happen: mail is there)
    return handled


def run_units(cfg_path: str, warm: int, timed: int, hold: str, imap_port: int,
              password: str) -> dict:
    """Handle the WARM messages in the inbox (untimed: imports, connection, caches), move the
    TIMED ones from `hold` into the inbox, and time their handling."""
    from imapclient import IMAPClient

    from daemon.config import load_config
    from daemon.shell.office import OfficeApp

    cfg = load_config(Path(cfg_path))
    app = OfficeApp(cfg)
    warmed = poll_until(app, warm)
    c = IMAPClient(cfg.mail.imap.host, imap_port, ssl=False, timeout=60)
    c.login(cfg.mail.imap.username, password)
    c.select_folder(hold)
    uids = c.search(["NOT", "DELETED"])
    if c.has_capability("MOVE"):
        c.move(uids, "INBOX")
    else:
        c.copy(uids, "INBOX")
        c.delete_messages(uids)
        c.expunge()
    c.logout()
    cpu0 = cpu_seconds()
    started = time.perf_counter()
    handled = poll_until(app, timed)
    elapsed = time.perf_counter() - started
    cpu = cpu_seconds() - cpu0
    after = proc_status()
    app.close()
    return {
        "warm": warmed,
        "timed": handled,
        "moved": len(uids),
        "seconds": elapsed,
        "ms_per_msg": 1000 * elapsed / handled if handled else None,
        "cpu_seconds": cpu,
        "peak_rss_mb": after["VmHWM"],
        "outcome": outcome_counts(cfg.db_path),
    }


# --------------------------------------------------------------------------- the raw pipeline


def run_raw(host: str, port: int, user: str, password: str, folder: str, batch: int = 25,
            reader: str = "docx") -> dict:
    """`reader`: "docx" reads every cell of every table with python-docx (the first baseline,
    kept for continuity); "lxml" reads the tables with the same lxml code Pantau's form reader
    uses (daemon/documents/xmlgrid.py), the floor a hand-written pipeline could reach."""
    from email import message_from_bytes, policy

    from imapclient import IMAPClient

    if reader == "docx":
        from docx import Document

        def cells_of(blob: bytes) -> tuple[int, int]:
            doc = Document(io.BytesIO(blob))
            filled = total = 0
            for table in doc.tables:
                for row in table.rows:
                    for cell in row.cells:
                        total += 1
                        filled += bool(cell.text.strip())
            return filled, total
    else:
        from daemon.documents.safezip import Package, ReadLimits
        from daemon.documents.xmlgrid import docx_tables

        def cells_of(blob: bytes) -> tuple[int, int]:
            filled = total = 0
            for grid in docx_tables(Package(blob, ReadLimits())):
                for row in grid:
                    for cell in row:
                        total += 1
                        filled += bool(cell and cell.strip())
            return filled, total

    c = IMAPClient(host, port, ssl=False, timeout=60)
    c.login(user, password)
    t_fetch = t_parse = t_docx = 0.0
    cells = filled = forms = n = 0
    cpu0 = cpu_seconds()
    started = time.perf_counter()
    c.select_folder(folder, readonly=True)
    uids = sorted(c.search(["NOT", "DELETED"]))
    for start in range(0, len(uids), batch):
        t0 = time.perf_counter()
        data = c.fetch(uids[start : start + batch], ["BODY.PEEK[]"])
        t1 = time.perf_counter()
        t_fetch += t1 - t0
        for uid in uids[start : start + batch]:
            raw = data[uid][b"BODY[]"]
            t0 = time.perf_counter()
            msg = message_from_bytes(raw, policy=policy.default)
            docs = [p.get_content() for p in msg.iter_attachments()
                    if (p.get_filename() or "").lower().endswith(".docx")]
            t1 = time.perf_counter()
            t_parse += t1 - t0
            for blob in docs:
                f, t = cells_of(blob)
                filled += f
                cells += t
                forms += 1
            t_docx += time.perf_counter() - t1
            n += 1
    elapsed = time.perf_counter() - started
    cpu = cpu_seconds() - cpu0
    c.logout()
    return {
        "reader": reader,
        "handled": n,
        "forms": forms,
        "cells": cells,
        "cells_filled": filled,
        "seconds": elapsed,
        "msgs_per_s": n / elapsed if elapsed else 0.0,
        "cpu_seconds": cpu,
        "ms_fetch": 1000 * t_fetch / max(n, 1),
        "ms_parse": 1000 * t_parse / max(n, 1),
        "ms_docx": 1000 * t_docx / max(n, 1),
        "docx_share": t_docx / elapsed if elapsed else 0.0,
    }


# --------------------------------------------------------------------------- a big attachment


def run_big(cfg_path: str, append_from: str, imap_port: int, password: str) -> dict:
    """The inbox holds one ordinary message; once it is handled (everything imported, caches
    warm), the big message is put in the inbox and handled. Reports RSS before it was fetched
    and the peak while it was fetched, stored, parsed, read and filed."""
    import gc

    from imapclient import IMAPClient

    from daemon.config import load_config
    from daemon.shell.office import OfficeApp

    cfg = load_config(Path(cfg_path))
    app = OfficeApp(cfg)
    warm = app.poll()
    raw = Path(append_from).read_bytes()
    size = len(raw)
    c = IMAPClient("127.0.0.1", imap_port, ssl=False, timeout=60)
    c.login(cfg.mail.imap.username, password)
    c.append("INBOX", raw)
    c.logout()
    del raw, c
    gc.collect()
    before = proc_status()
    reset_peak()
    t0 = time.perf_counter()
    handled = app.poll()
    elapsed = time.perf_counter() - t0
    after = proc_status()
    row = app.store._q1("SELECT status, reason FROM inbound ORDER BY id DESC LIMIT 1")
    app.close()
    return {
        "warm_handled": warm,
        "handled": handled,
        "message_bytes": size,
        "rss_before_mb": round(before["VmRSS"], 1),
        "peak_rss_mb": round(after["VmHWM"], 1),
        "raise_mb": round(after["VmHWM"] - before["VmRSS"], 1),
        "seconds": round(elapsed, 2),
        "status": row["status"] if row else None,
        "reason": row["reason"] if row else None,
    }


# --------------------------------------------------------------------------- where the time goes

_STDLIB = sysconfig.get_paths()["stdlib"].rstrip("/") + "/"


def group_of(where: str) -> str:
    """The group a profiled function belongs to, from its file name (a Python function) or from
    cProfile's description of a C function ("<method 'execute' of 'sqlite3.Cursor' objects>",
    "<built-in method posix.fsync>"): `daemon.<room>` for Pantau's own code, else the top-level
    module of the library or the standard library ("imapclient", "email", "lxml", "sqlite3")."""
    if where.startswith("<frozen "):  # importlib's bootstrap
        return "imports"
    if where.startswith("<") or where.startswith("~"):  # a C function
        m = re.search(r"of '([\w.]+)' objects|built-in method ([\w.]+)", where)
        name = (m.group(1) or m.group(2)) if m else ""
        if "." not in name:
            return "builtins"
        if name == "posix.fsync":
            return "fsync"
        top = name.split(".")[0].lstrip("_")
        return {"io": "builtins", "imp": "imports"}.get(top, top)
    m = re.search(r"(?:^|/)daemon/(\w+)/", where)
    if m:
        return f"daemon.{m.group(1)}"
    if re.search(r"(?:^|/)daemon/\w+\.py", where):
        return "daemon"
    if re.search(r"(?:^|/)tests/\w+\.py", where):
        return "bench harness"
    if "site-packages/" in where:
        rest = where.split("site-packages/", 1)[1]
    elif where.startswith(_STDLIB):
        rest = where[len(_STDLIB):]
    elif not where.startswith("/"):
        rest = where  # py-spy's short names: "email/parser.py", "imapclient/imapclient.py"
    else:
        return "other"
    top = re.split(r"[/.]", rest, maxsplit=1)[0].lstrip("_")
    return {"importlib": "imports"}.get(top, top) or "other"


def _pstats_groups(path: str) -> tuple[float, dict, dict, list]:
    import pstats

    st = pstats.Stats(path).stats  # {(file, line, func): (cc, nc, tt, ct, callers)}
    key_group = {k: group_of(k[2] if k[0] == "~" else k[0]) for k in st}
    total = sum(v[2] for v in st.values())
    incl: dict[str, float] = {}
    self_: dict[str, float] = {}
    for k, (_cc, _nc, tt, ct, callers) in st.items():
        g = key_group[k]
        self_[g] = self_.get(g, 0.0) + tt
        if not callers:
            incl[g] = incl.get(g, 0.0) + ct
        for caller, cst in callers.items():
            if key_group.get(caller) != g:  # entering the group from outside it
                incl[g] = incl.get(g, 0.0) + cst[3]
    ours = sorted(((v[3], k) for k, v in st.items() if key_group[k].startswith("daemon")),
                  reverse=True)
    top = [(f"{Path(k[0]).as_posix().split('daemon/', 1)[-1]}:{k[2]}", ct) for ct, k in ours]
    return total, incl, self_, top


def _collapsed_groups(path: str) -> tuple[float, dict, dict, list]:
    """py-spy's raw format: one line per distinct stack, "frame;frame;... count", each frame
    "function (file:line)"; the samples stand for time."""
    total = 0.0
    incl: dict[str, float] = {}
    self_: dict[str, float] = {}
    funcs: dict[str, float] = {}
    for line in Path(path).read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = float(count)
        total += n
        frames = [f for f in stack.split(";") if f.endswith(")") and " (" in f]
        groups = []
        seen_funcs = set()
        for f in frames:
            func, _, loc = f[:-1].rpartition(" (")
            groups.append(group_of(loc.rsplit(":", 1)[0]))
            if groups[-1].startswith("daemon"):
                name = f"{loc.rsplit(':', 1)[0].split('daemon/', 1)[-1]}:{func}"
                seen_funcs.add(name)
        for g in set(groups):
            incl[g] = incl.get(g, 0.0) + n
        if groups:
            self_[groups[-1]] = self_.get(groups[-1], 0.0) + n
        for name in seen_funcs:
            funcs[name] = funcs.get(name, 0.0) + n
    top = sorted(funcs.items(), key=lambda kv: -kv[1])
    return total, incl, self_, top


def profile_groups(path: str, top_n: int = 15) -> dict:
    """Shares of the profiled time per group: `cumulative` (time with the group anywhere in the
    call stack: a group calling another counts in both, so they add up to more than 100 %) and
    `self` (time in the group's own code; these add up to 100 %), plus Pantau's top functions by
    cumulative share."""
    fn = _pstats_groups if not path.endswith(".txt") else _collapsed_groups
    total, incl, self_, top = fn(path)
    total = total or 1.0
    # C builtins (exec, sorted with a key, ...) call back into everything: their own time only.
    incl["builtins"] = self_.get("builtins", 0.0)
    groups = {
        g: {"cumulative": round(min(incl.get(g, 0.0) / total, 1.0), 3),
            "self": round(self_.get(g, 0.0) / total, 3)}
        for g in sorted(set(incl) | set(self_), key=lambda g: -incl.get(g, 0.0))
    }
    return {
        "source": "py-spy" if path.endswith(".txt") else "cProfile",
        "groups": groups,
        "top_daemon_functions": [[name, round(min(t / total, 1.0), 3)] for name, t in top[:top_n]],
    }


def format_profile(p: dict, min_share: float = 0.005) -> str:
    lines = [f"Where the ingest's time goes ({p['source']}; cumulative: time with the group in "
             "the call stack, overlapping; self: its own code, adding up to 100 %):", "",
             f"{'group':<20} {'cumulative':>10} {'self':>7}"]
    for g, v in p["groups"].items():
        if v["cumulative"] >= min_share or v["self"] >= min_share:
            lines.append(f"{g:<20} {100 * v['cumulative']:>9.1f}% {100 * v['self']:>6.1f}%")
    lines += ["", "Pantau's functions by cumulative share:"]
    lines += [f"  {100 * share:5.1f}%  {name}" for name, share in p["top_daemon_functions"]]
    if p["source"] == "cProfile":
        lines += ["", "(cProfile charges every Python call a little, so pure-Python code looks "
                  "somewhat costlier than C code; lxml's compiled functions are not seen by it: "
                  "their time is the self time of the daemon.documents functions calling them)"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.bench_ingest")
    sub = p.add_subparsers(dest="mode", required=True)
    a = sub.add_parser("pantau")
    a.add_argument("cfg")
    a.add_argument("expected", type=int)
    a.add_argument("--profile")
    b = sub.add_parser("raw")
    b.add_argument("host")
    b.add_argument("port", type=int)
    b.add_argument("user")
    b.add_argument("password")
    b.add_argument("folder")
    b.add_argument("--reader", choices=("docx", "lxml"), default="docx")
    u = sub.add_parser("units")
    u.add_argument("cfg")
    u.add_argument("warm", type=int)
    u.add_argument("timed", type=int)
    u.add_argument("--hold", required=True)
    u.add_argument("--imap-port", type=int, required=True)
    u.add_argument("--password", required=True)
    s = sub.add_parser("summary")
    s.add_argument("file")
    c = sub.add_parser("big")
    c.add_argument("cfg")
    c.add_argument("--append-from", required=True)
    c.add_argument("--imap-port", type=int, required=True)
    c.add_argument("--password", required=True)
    args = p.parse_args(argv)
    if args.mode == "pantau":
        out = run_pantau(args.cfg, args.expected, args.profile)
    elif args.mode == "raw":
        out = run_raw(
            args.host, args.port, args.user, args.password, args.folder, reader=args.reader
        )
    elif args.mode == "summary":
        print(format_profile(profile_groups(args.file)))
        return 0
    elif args.mode == "units":
        out = run_units(args.cfg, args.warm, args.timed, args.hold, args.imap_port, args.password)
    else:
        out = run_big(args.cfg, args.append_from, args.imap_port, args.password)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
