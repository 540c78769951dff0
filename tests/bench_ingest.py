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
- `big CFG --append-from FILE ...`: the memory a big attachment costs: after one ordinary message
  (everything imported, caches warm), the message in FILE is put in the inbox and handled; reports
  the RSS before it was fetched and the peak while it was handled.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import resource
import sqlite3
import sys
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

    if os.environ.get("BENCH_PATCHES"):  # proposals being measured (tests/bench_proposals.py)
        from tests.bench_proposals import apply_from_env

        apply_from_env()
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
    else:
        out = run_big(args.cfg, args.append_from, args.imap_port, args.password)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
