"""How the cost of one reply grows with the office: ms per form reply at N units (issue 17).

    PYTHONPATH=$PWD python tools/bench_reply_units.py --units 20 200 --versions 2 --runs 3
    PYTHONPATH=$PWD python tools/bench_reply_units.py --units 200 --runs 1 --profile /tmp/p.prof

For each N: an office as `pantau init` makes it, scaled to N units (daemon/demo/office.py), S1
skipped (perintah_otomatis), its cycle started in-process (S4 open, request letters queued). The
units but one answer their request e-mails with their own form filled in with python-docx
(tests/bench_offices.fill_form), `--versions` times each (a corrected form): the same replies per
unit at every N, and the silent unit keeps S4 open so every reply is a form Pantau accepts. Each
run copies the started office, puts every reply in the Maildir inbox and times `OfficeApp.poll()`
(fetch, store, read, correlate, read the form, the engine, register, queue the acknowledgement,
file). Prints ms per reply (wall and this process's CPU, the latter less disturbed by a
loaded machine; fsyncs count only in the wall time) for each run, the medians, and the ratios of
the largest N to the smallest. Runs against whatever `daemon` is on PYTHONPATH (so the code
before a change can be measured the same way).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

START = datetime(2025, 10, 6, 8, 0, tzinfo=ZoneInfo("Asia/Jakarta"))


def make_office(target: Path, units: int) -> tuple[Path, list[tuple[str, str, bytes]]]:
    """The started office at `target` and the replies: (unit email, unit code, raw)."""
    from daemon.config import load_config
    from daemon.demo.office import scale_office
    from daemon.operator.setup import init_office
    from daemon.shell.clock import ManualClock
    from daemon.shell.office import OfficeApp
    from tests.bench_office import fill_form

    init_office(target)
    scale_office(target / "config", units + 1)
    cfg_path = target / "config" / "pantau.toml"
    text = cfg_path.read_text(encoding="utf-8")
    cfg_path.write_text(text.replace("perintah_otomatis = false", "perintah_otomatis = true"),
                        encoding="utf-8")
    app = OfficeApp(load_config(cfg_path), clock=ManualClock(START))
    code = app.start_cycle("2025-TW3")
    db = app.cfg.db_path
    app.close()
    con = sqlite3.connect(db)
    rows = con.execute(
        "SELECT o.message_id, o.path, t.unit, t.recipient FROM outbox o JOIN tasks t"
        " ON t.key = o.task WHERE t.purpose = 'form' AND t.cycle = ? AND o.kind LIKE 'surat:%'"
        " ORDER BY t.opened, t.key", (code,)).fetchall()
    con.close()
    rows = sorted(rows, key=lambda r: int(re.sub(r"\D", "", r[2]) or 0))[:-1]  # one stays silent
    replies = []
    n = 0
    for version in (1, 2, 3, 4, 5)[:OPTS.versions]:
        for i, (mid, path, unit, email) in enumerate(rows):
            msg = message_from_bytes(Path(path).read_bytes(), policy=policy.default)
            form = next(p for p in msg.iter_attachments()
                        if (p.get_filename() or "").startswith("Formulir"))
            r = EmailMessage()
            r["From"] = email
            r["To"] = app.cfg.mail.alamat
            r["Subject"] = "Re: " + str(msg["Subject"])
            r["Message-ID"] = f"<r.{unit}.v{version}.{n}@kecamatan.test>"
            r["In-Reply-To"] = r["References"] = f"<{mid.strip('<>')}>"
            r["Date"] = format_datetime(START)
            r.set_content("Terlampir data kinerja kami.\n")
            r.add_attachment(fill_form(form.get_content(), version, i), maintype="application",
                             subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
                             filename=form.get_filename())
            replies.append((email, unit, bytes(r)))
            n += 1
    return cfg_path, replies


def one_run(base: Path, replies, profile: str | None) -> tuple[float, float]:
    """(wall ms, CPU ms) per reply of one run."""
    from daemon.config import load_config
    from daemon.mail.transports.maildir import deliver
    from daemon.shell.clock import ManualClock
    from daemon.shell.office import OfficeApp

    with tempfile.TemporaryDirectory(prefix="rows-run-") as tmp:
        office = Path(tmp) / "kantor"
        shutil.copytree(base, office)
        app = OfficeApp(load_config(office / "config" / "pantau.toml"), clock=ManualClock(START))
        for _, _, raw in replies:
            deliver(app.cfg.mail.maildir_path, app.cfg.mail.alamat, raw)
        prof = cProfile.Profile() if profile else None
        t0, c0 = time.perf_counter(), time.process_time()
        if prof:
            prof.enable()
        done = 0
        while done < len(replies):
            got = app.poll()
            if not got:
                break
            done += got
        if prof:
            prof.disable()
            prof.dump_stats(profile)
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        counts = app.store._q("SELECT status, COUNT(*) AS n FROM inbound GROUP BY status")
        app.close()
    ok = {r["status"]: r["n"] for r in counts}
    if ok.get("diproses", 0) != len(replies):
        print(f"  (warning: not every reply was processed: {ok})")
    return elapsed * 1000 / max(done, 1), cpu * 1000 / max(done, 1)


def main() -> int:
    os.environ.setdefault("PANTAU_SECRET", "bench-reply-units-secret-0123456789abcdef")
    medians, cpus = {}, {}
    with tempfile.TemporaryDirectory(prefix="rows-bench-") as tmp:
        for n in OPTS.units:
            base = Path(tmp) / f"u{n}"
            _, replies = make_office(base, n)
            runs = [one_run(base, replies, None) for _ in range(OPTS.runs)]
            medians[n] = statistics.median(w for w, _ in runs)
            cpus[n] = statistics.median(c for _, c in runs)
            print(f"{n:>4} units, {len(replies)} replies: ms/reply "
                  + ", ".join(f"{w:.2f}" for w, _ in runs) + f"  (median {medians[n]:.2f});"
                  " CPU ms/reply " + ", ".join(f"{c:.2f}" for _, c in runs)
                  + f"  (median {cpus[n]:.2f})", flush=True)
            if OPTS.profile:
                one_run(base, replies, OPTS.profile)
                pstats.Stats(OPTS.profile).sort_stats("cumulative").print_stats(40)
    lo, hi = min(medians), max(medians)
    if lo != hi:
        print(f"ratio {hi} vs {lo} units: wall {medians[hi] / medians[lo]:.2f}x, CPU "
              f"{cpus[hi] / cpus[lo]:.2f}x  (load average {os.getloadavg()[0]:.2f})")
    return 0


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--units", type=int, nargs="+", default=[20, 200])
    p.add_argument("--versions", type=int, default=2)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--profile", help="cProfile file of one more run at the last N")
    return p.parse_args()


if __name__ == "__main__":
    OPTS = parse()
    sys.exit(main())
