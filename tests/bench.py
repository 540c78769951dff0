"""`make bench`: Pantau's performance on a real mail system, printed as a table and written to
var/bench/results.json.

It starts its own Postfix + Dovecot (tests/mailstack.py), builds a kabupaten-sized office and
measures:

- ingest: 1,000 replies already in the IMAP inbox, each a real form submission with a ~60 KB
  filled DOCX, handled by Pantau's inbound path (fetch, store, record, classify, correlate, read
  the form, validate, register, queue the acknowledgement, file the message): `msgs_per_s`. The
  same messages through two raw pipelines (imapclient FETCH in batches, `email` with
  policy.default, then every table cell read): with python-docx, the first baseline kept for
  continuity (`raw_msgs_per_s`, `ratio`), and with the lxml table reader Pantau itself uses, the
  floor a hand-written pipeline could reach (`floor_msgs_per_s`, `floor_ratio`). Both must read
  every message and every form (1,000 in the full run) and agree on the cells, or the run fails.
- the cost of one reply by office size (tests/bench_units.py): `ms_per_msg_by_units`
  `{"20": ms, "200": ms}` and `units_cost_ratio` (200/20): two offices built alike, 5 versions
  per unit, the same path (OfficeApp.poll over IMAP); each unit's first form handled untimed
  (start-up), the 4 corrections per unit timed; the 20-unit office in several runs.
- latency: replies sent by SMTP one at a time into a running `pantau run` (IMAP IDLE); from the
  server's 250 for the message to the acknowledgement landing in the sender's Maildir.
- compile: the draft report for 10, 100, 1,000 and 5,000 indicator rows, chart included.
- memory: the peak RSS of the process handling the 1,000 messages; and what one message with a
  25 MB attachment adds (with the default limits the message, ~34 MB in base64, is over
  `mail.batas.ukuran_pesan_mb = 30` and is held after reading its head; with the limit raised to
  40 MB it is read whole).
- idle: the CPU the `pantau run` process uses over 60 s with nothing to do.
- web: the dashboard's overview with 50 concurrent signed-in clients on a copy of the office
  after the latency phase (tests/bench_web.py): p50/p95/max, errors, warm and cold.

The office: 200 units, each answering 5 times (its form, then 4 corrected versions, after each
acknowledgement), plus one unit that never answers. Why: a kecamatan has 5-10 units, a
kabupaten's planning office monitors ~50 OPD plus their UPT, so 200 is a large real office;
corrections are what actually multiplies the mail (units fix a number and send again), and a
per-message cost that grew with the number of units (it did while the cycle state was one JSON
document holding every unit and task; `ingest.units_cost_ratio` watches it) shows at 200 units
x 5 where 1,000 units x 1 would measure an office that does not exist. The silent unit keeps
the collection step open, so every reply is a submission Pantau accepts (none would trigger a
draft recompile mid-measurement).

    python -m tests.bench [--smoke] [--out DIR] [--units N] [--versions N] [--latency N]
                          [--idle S] [--rows 10,100,...] [--units-sizes 20,200]
                          [--units-min-timed N] [--profile]

The printed table gives each of issue 17's measures with its goal and met / NO / report (only
reported) / n/a (not measured at the goal's size, as in the smoke run), the same as
`results["goals"]` (value, goal, met: true, false or null), and the machine: CPU, cores, RAM,
Python, load average at the start and at the end.

`--smoke`: a small version of each measure (tests/test_bench_smoke.py; the units measure at 4 vs
40 units). `--profile`: also run the ingest under py-spy (when installed) or cProfile, written
next to results.json, and print where its time goes, grouped by Pantau's rooms (daemon.core,
mail, shell, store, documents) and by library (imapclient, email, sqlite3, fsync, ...), also in
`ingest.profile_groups`; `python -m tests.bench_ingest summary FILE` prints it again. Figures are
printed, never asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import signal
import smtplib
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from tests import bench_office as B
from tests import bench_units
from tests.dkimkeys import resign
from tests.mailstack import HOST, MailStack

ROOT = B.ROOT
GOALS = {  # issue 17's table
    "ratio": 1.0,  # ingest, Pantau / the raw python-docx pipeline: at least
    "units_cost_ratio": 1.25,  # one reply at 200 units / at 20 units: at most
    "seconds_5000": 3.0,  # the draft report at 5,000 rows: at most
    "linearity": 1.3,  # its time per row at 5,000 rows / at 1,000 rows: at most
    "big_x": 2.0,  # what a reply with a 25 MB attachment adds to the RSS / its size: at most
    "p95_s": 1.5,
    "peak_rss_mb": 150.0,
    "cpu_percent": 0.5,
    "floor_ratio_next": 0.5,  # ingest / the lxml floor: reported; the next goal
}


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def machine() -> dict:
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = 0
    with contextlib.suppress(OSError, ValueError):
        mem = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0]) // 1024
    os_name = ""
    with contextlib.suppress(OSError):
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip('"')
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_mb": mem, "os": os_name,
            "kernel": platform.release(), "python": platform.python_version(),
            "load_at_start": [round(x, 2) for x in os.getloadavg()]}


def pantau_cmd() -> list[str]:
    exe = Path(sys.executable).parent / "pantau"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "daemon.operator.cli"]


def child(args: list[str], env: dict, timeout: float = 900) -> dict:
    """Run `python -m tests.bench_ingest ...` (or any module printing JSON last)."""
    r = subprocess.run([sys.executable, "-m", *args], env=env, cwd=ROOT, capture_output=True,
                       text=True, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:2])} failed ({r.returncode}):\n{r.stderr[-3000:]}")
    lines = [x for x in r.stdout.splitlines() if x.startswith("{")]
    return json.loads(lines[-1])


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(-(-p * len(s) // 100)) - 1))
    return s[k]


# --------------------------------------------------------------------------- phases


def phase_compile(rows: list[int], logo: str, env: dict) -> dict:
    log(f"compile: draft report for {', '.join(map(str, rows))} rows")
    r = subprocess.run([sys.executable, "-m", "tests.bench_compile", f"--logo={logo}",
                        *map(str, rows)], env=env, cwd=ROOT, capture_output=True, text=True,
                       timeout=600)
    if r.returncode != 0:
        raise RuntimeError(f"bench_compile failed:\n{r.stderr[-3000:]}")
    sizes = [json.loads(x) for x in r.stdout.splitlines() if x.startswith("{")]
    out = {
        "seconds": {str(s["rows"]): round(s["seconds"], 3) for s in sizes},
        "chart_seconds": {str(s["rows"]): round(s["chart_seconds"], 3) for s in sizes},
        "units": {str(s["rows"]): s["units"] for s in sizes},
        "docx_kb": {str(s["rows"]): round(s["docx_kb"]) for s in sizes},
        "ms_per_row": {str(s["rows"]): round(1000 * s["seconds"] / s["rows"], 2) for s in sizes},
    }
    largest = max(sizes, key=lambda s: s["rows"])
    out[f"seconds_{largest['rows']}"] = round(largest["seconds"], 3)
    if len(sizes) >= 2:
        a, b = sorted(sizes, key=lambda s: s["rows"])[-2:]
        out["growth"] = {
            "rows_x": b["rows"] / a["rows"],
            "time_x": round(b["seconds"] / a["seconds"], 2),
        }
    return out


def phase_ingest(stack, base, office, replies, env, out_dir: Path, profile: bool) -> dict:
    n = len(replies)
    log(f"ingest: putting {n} replies in the inbox (IMAP APPEND)")
    t0 = time.perf_counter()
    B.append_to_inbox(stack, "pantau", [raw for _, _, raw in replies])
    append_s = time.perf_counter() - t0
    log(f"ingest: raw pipeline (imapclient + email + python-docx) over the {n} messages")
    raw = child(["tests.bench_ingest", "raw", HOST, str(stack.imap_port), "pantau", stack.password,
                 "INBOX"], env)
    log(
        f"ingest: raw floor (imapclient + email + Pantau's lxml table reader) over the {n} messages"
    )
    floor = child(
        [
            "tests.bench_ingest",
            "raw",
            HOST,
            str(stack.imap_port),
            "pantau",
            stack.password,
            "INBOX",
            "--reader",
            "lxml",
        ],
        env,
    )
    for base_run in (raw, floor):  # both baselines read every message and every form
        if base_run["handled"] != n or base_run["forms"] != n:
            raise RuntimeError(
                f"raw pipeline ({base_run['reader']}) read {base_run['handled']} messages and "
                f"{base_run['forms']} forms, expected {n} of each"
            )
    if raw["cells"] != floor["cells"] or raw["cells_filled"] != floor["cells_filled"]:
        raise RuntimeError(
            f"the two raw readers disagree on the cells: python-docx {raw['cells']} "
            f"({raw['cells_filled']} filled), lxml {floor['cells']} ({floor['cells_filled']} "
            "filled)"
        )
    log("ingest: Pantau (OfficeApp.poll) over the same messages")
    pantau = child(["tests.bench_ingest", "pantau", str(office.cfg), str(n)], env)
    ratio = pantau["msgs_per_s"] / raw["msgs_per_s"] if raw["msgs_per_s"] else 0.0
    floor_ratio = pantau["msgs_per_s"] / floor["msgs_per_s"] if floor["msgs_per_s"] else 0.0
    res = {
        "messages": n,
        "msgs_per_s": round(pantau["msgs_per_s"], 2),
        "raw_msgs_per_s": round(raw["msgs_per_s"], 2),
        "ratio": round(ratio, 3),
        "raw_forms": raw["forms"],
        "raw_cells": raw["cells"],
        "raw_cells_filled": raw["cells_filled"],
        "floor_msgs_per_s": round(floor["msgs_per_s"], 2),
        "floor_ratio": round(floor_ratio, 3),
        "floor_forms": floor["forms"],
        "floor_ms_per_msg": round(1000 * floor["seconds"] / max(floor["handled"], 1), 2),
        "floor_breakdown_ms": {
            "fetch": round(floor["ms_fetch"], 2),
            "email": round(floor["ms_parse"], 2),
            "lxml": round(floor["ms_docx"], 2),
        },
        "seconds": round(pantau["seconds"], 2),
        "raw_seconds": round(raw["seconds"], 2),
        "ms_per_msg": round(pantau["ms_per_msg"], 2),
        "raw_ms_per_msg": round(1000 * raw["seconds"] / max(raw["handled"], 1), 2),
        "cpu_ms_per_msg": round(1000 * pantau["cpu_seconds"] / max(pantau["handled"], 1), 2),
        "raw_cpu_ms_per_msg": round(1000 * raw["cpu_seconds"] / max(raw["handled"], 1), 2),
        "raw_breakdown_ms": {
            "fetch": round(raw["ms_fetch"], 2),
            "email": round(raw["ms_parse"], 2),
            "python_docx": round(raw["ms_docx"], 2),
        },
        "raw_docx_share": round(raw["docx_share"], 3),
        "outcome": pantau["outcome"],
        "append_seconds": round(append_s, 2),
        "peak_rss_mb": round(pantau["peak_rss_mb"], 1),
        "rss_before_mb": round(pantau["rss_before_mb"], 1),
    }
    if profile:
        res["profile"] = run_profile(stack, base, replies, env, out_dir)
        from tests.bench_ingest import profile_groups

        path = Path(res["profile"])
        if not path.is_absolute():
            path = ROOT / path
        if path.exists():
            res["profile_groups"] = profile_groups(str(path))
    return res


def run_profile(stack, base, replies, env, out_dir: Path) -> str:
    """The ingest again, on a fresh copy, sampled by py-spy (or cProfile when py-spy is absent)."""
    copy = B.copy_office(base, out_dir / "work" / "profil")
    B.append_to_inbox(stack, "pantau", [raw for _, _, raw in replies])
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    args = [sys.executable, "-m", "tests.bench_ingest", "pantau", str(copy.cfg), str(len(replies))]
    if Path(spy).exists():
        target = out_dir / "ingest-profile.txt"
        subprocess.run([spy, "record", "-r", "200", "--idle", "-f", "raw", "-o", str(target), "--",
                        *args], env=env, cwd=ROOT, capture_output=True, timeout=900)
    else:
        target = out_dir / "ingest-profile.pstats"
        subprocess.run([*args, "--profile", str(target)], env=env, cwd=ROOT, capture_output=True,
                       timeout=900)
    return str(target.relative_to(ROOT)) if target.is_relative_to(ROOT) else str(target)


def phase_big(stack, office, replies, env, size: int) -> dict:
    """What one message with a `size`-byte attachment (a scanned PDF next to the form, as people
    send) adds to the peak RSS, in a fresh process after one ordinary message: with the default
    limits (a 25 MB attachment makes a ~34 MB message, over `ukuran_pesan_mb = 30`: only its head
    is read) and with the message limit raised so that it is read whole. `control`: the same
    measure for an ordinary message (the noise floor)."""
    import random

    out: dict = {"attachment_bytes": size}
    email0, _, raw0 = replies[0]
    unit = next(u for u in office.units if u.email == email0)
    reqs = B.requests(office)
    form = B.fill_form(reqs[unit.kode].form, 9, 1)
    pdf = b"%PDF-1.4\n" + random.Random(5).randbytes(size - 9)
    big_raw = B.reply(
        unit, reqs[unit.kode], form, 9, 999, extra=[("Bukti-pindaian.pdf", pdf, "application/pdf")]
    )
    del pdf
    raised = office.cfg.with_name("pantau-besar.toml")
    raised.write_text(B._set_in_section(office.cfg.read_text(), "mail.batas", ukuran_pesan_mb="60"))
    path = office.dir / "var" / "besar.eml"
    for n, (label, cfg, raw) in enumerate((("control", office.cfg, raw0),
                                           ("default_limits", office.cfg, big_raw),
                                           ("raised_limit", raised, big_raw))):
        tag = f"Message-ID: <m{n}.".encode()
        B.append_to_inbox(
            stack,
            "pantau",
            [resign(raw0.replace(b"Message-ID: <", tag + b"w.", 1), "kecamatan.test")],
        )
        path.write_bytes(resign(raw.replace(b"Message-ID: <", tag, 1), "kecamatan.test"))
        r = child(["tests.bench_ingest", "big", str(cfg), "--append-from", str(path),
                   "--imap-port", str(stack.imap_port), "--password", stack.password], env)
        path.unlink()
        if label != "control":
            r["raise_x_attachment"] = round(r["raise_mb"] * 2**20 / size, 2)
        out[label] = r
    return out


class Daemon:
    """`pantau run` as a subprocess."""

    def __init__(self, office, env, log_path: Path):
        self.log_path = log_path
        self.log_fh = log_path.open("w")
        self.proc = subprocess.Popen([*pantau_cmd(), "--config", str(office.cfg), "run"], env=env,
                                     cwd=office.dir, stdout=self.log_fh, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self.pid = self.proc.pid

    def cpu_ticks(self) -> int:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime (fields 14, 15)

    def status(self) -> dict:
        out = {}
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "Threads"):
                out[key] = int(value.split()[0])
        return out

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log_fh.close()


def outbox_pending(db: Path) -> int:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return con.execute(
            "SELECT COUNT(*) FROM outbox WHERE status IN ('antri','mengirim')"
        ).fetchone()[0]
    finally:
        con.close()


def wait_outbox_empty(daemon: Daemon, db: Path, timeout: float) -> float:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if not daemon.alive():
            raise RuntimeError(f"pantau run exited:\n{daemon.log_path.read_text()[-3000:]}")
        if outbox_pending(db) == 0:
            return time.monotonic() - t0
        time.sleep(0.2)
    raise RuntimeError(f"outbox not empty after {timeout}s:\n{daemon.log_path.read_text()[-3000:]}")


def new_mail(maildir: Path, seen: set[str]) -> list[Path]:
    out = []
    for sub in ("new", "cur"):
        with contextlib.suppress(FileNotFoundError):
            for e in os.scandir(maildir / sub):
                if e.name not in seen:
                    seen.add(e.name)
                    out.append(Path(e.path))
    return out


def phase_latency(
    stack, office, replies, env, out_dir: Path, samples: int, idle_s: float
) -> tuple[dict, dict]:
    copy = B.copy_office(office, out_dir / "work" / "latensi")
    log("latency: starting `pantau run` (it first sends the units' request e-mails)")
    daemon = Daemon(copy, env, out_dir / "pantau-run.log")
    try:
        sent_requests_s = wait_outbox_empty(daemon, copy.db, 300)
        log(f"latency: requests sent in {sent_requests_s:.1f} s; {samples} replies, one at a time")
        by_email = {}
        for email, version, raw in replies:
            if version == 1 and email not in by_email:
                by_email[email] = raw
        units = [u for u in office.units if u.email in by_email and not u.user.startswith("unit")]
        lat, lost = [], 0
        for i in range(samples):
            u = units[i % len(units)]
            raw = by_email[u.email]
            if i >= len(units):  # more samples than units: a corrected form, new Message-ID
                raw = raw.replace(b"Message-ID: <bench.", f"Message-ID: <lat{i}.".encode(), 1)
                raw = resign(raw, "kecamatan.test")
            mid = raw.split(b"Message-ID: <", 1)[1].split(b">", 1)[0]
            maildir = stack.maildir(u.user)
            seen: set[str] = set()
            new_mail(maildir, seen)
            s = smtplib.SMTP(HOST, stack.smtp_port, timeout=10)
            s.sendmail(u.email, ["pantau@kecamatan.test"], raw)
            accepted = time.perf_counter()
            s.quit()
            got = None
            while time.perf_counter() - accepted < 30:
                for p in new_mail(maildir, seen):
                    with contextlib.suppress(OSError):
                        head = p.read_bytes()[:4096]
                        if b"<" + mid + b">" in head:
                            got = time.perf_counter()
                if got:
                    break
                time.sleep(0.002)
            if got is None:
                lost += 1
            else:
                lat.append(got - accepted)
            time.sleep(0.3)
        latency = {
            "samples": len(lat), "lost": lost,
            "p50_s": round(statistics.median(lat), 3) if lat else None,
            "p95_s": round(percentile(lat, 95), 3) if lat else None,
            "min_s": round(min(lat), 3) if lat else None,
            "max_s": round(max(lat), 3) if lat else None,
            "requests_sent_first_s": round(sent_requests_s, 1),
        }
        wait_outbox_empty(daemon, copy.db, 60)
        st = daemon.status()
        latency["daemon_rss_mb"] = round(st["VmRSS"] / 1024, 1)
        latency["daemon_peak_rss_mb"] = round(st["VmHWM"] / 1024, 1)
        log(f"idle: the daemon's CPU over {idle_s:.0f} s with nothing to do")
        time.sleep(2)
        hz = os.sysconf("SC_CLK_TCK")
        t0, c0 = time.monotonic(), daemon.cpu_ticks()
        time.sleep(idle_s)
        t1, c1 = time.monotonic(), daemon.cpu_ticks()
        idle = {"seconds": round(t1 - t0, 1), "cpu_seconds": (c1 - c0) / hz,
                "cpu_percent": round(100 * (c1 - c0) / hz / (t1 - t0), 3),
                "threads": daemon.status().get("Threads")}
    finally:
        daemon.stop()
    return latency, idle


# --------------------------------------------------------------------------- the run


def run(opts) -> dict:
    out_dir = Path(opts.out).resolve()
    work = out_dir / "work"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    results: dict = {"when": datetime.now().astimezone().isoformat(timespec="seconds"),
                     "machine": machine(), "smoke": opts.smoke}
    started = time.monotonic()
    log("starting a private Postfix + Dovecot")
    stack = MailStack().start()
    try:
        epoch = time.time()
        office_vars = B.office_env(stack, epoch)
        os.environ.update(office_vars)
        env = B.env_with(office_vars)
        log(f"office: {opts.units} units x {opts.indicators} indicators (+1 that never answers)")
        base = B.write_office(work / "dasar", stack, opts.units, opts.indicators)
        t0 = time.perf_counter()
        B.start_cycle(base)
        start_s = time.perf_counter() - t0
        reqs = B.requests(base)
        log(f"office: cycle started in {start_s:.1f} s (forms rendered, requests queued); "
            f"filling {opts.units * opts.versions} forms with python-docx")
        t0 = time.perf_counter()
        replies = B.build_replies(base, reqs, opts.versions)
        fill_s = time.perf_counter() - t0
        sizes = sorted(len(r) for _, _, r in replies)
        form_sizes = sorted(len(B.fill_form(reqs[u.kode].form, 1, 0)) for u in base.units[:5])
        results["workload"] = {
            "units": opts.units, "silent_units": 1, "versions": opts.versions,
            "indicators_per_unit": opts.indicators, "messages": len(replies),
            "message_kb_median": round(sizes[len(sizes) // 2] / 1024, 1),
            "form_kb_median": round(form_sizes[len(form_sizes) // 2] / 1024, 1),
            "start_cycle_s": round(start_s, 1), "fill_forms_s": round(fill_s, 1),
        }
        results["compile"] = phase_compile(opts.rows, str(base.dir / "config" / "logo.png"), env)
        ingest_office = B.copy_office(base, work / "masuk")
        results["ingest"] = phase_ingest(
            stack, base, ingest_office, replies, env, out_dir, opts.profile
        )
        if opts.versions >= 2:  # the first version is the untimed start-up (bench_units.py)
            log(f"units: the cost of one reply at {' vs '.join(map(str, opts.units_sizes))} "
                "units")
            results["ingest"].update(bench_units.measure(
                opts.units_sizes, base, replies, stack, env, work, indicators=opts.indicators,
                versions=opts.versions, min_timed=opts.units_min_timed, child=child, log=log))
        results["memory"] = {"peak_rss_mb": results["ingest"]["peak_rss_mb"],
                             "rss_before_mb": results["ingest"]["rss_before_mb"]}
        log(f"memory: one message with a {opts.big_mb} MB attachment")
        results["memory"]["big_attachment"] = phase_big(stack, ingest_office, replies, env,
                                                        int(opts.big_mb * 10**6))
        results["latency"], results["idle"] = phase_latency(stack, base, replies, env, out_dir,
                                                            opts.latency, opts.idle)
        results["memory"]["daemon_peak_rss_mb"] = results["latency"]["daemon_peak_rss_mb"]
        log(f"web: the overview with {opts.web_clients} concurrent signed-in clients")
        from tests import bench_web

        results["web"] = bench_web.measure(B.copy_office(base, work / "web"), env, opts.web_clients,
                                           opts.web_requests)
    finally:
        stack.stop()
    results["machine"]["load_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["wall_seconds"] = round(time.monotonic() - started, 1)
    results["goals"] = goals(results)
    if not opts.keep:
        shutil.rmtree(work, ignore_errors=True)
    B.save_json(out_dir / "results.json", results)
    return results


def _goal(value, goal: str, met: bool | None) -> dict:
    return {"value": value, "goal": goal, "met": met}


def goals(r: dict) -> dict:
    """Issue 17's table: for each measure its value, the goal and whether it is met (None: only
    reported, or not measured at the size the goal names, as in the smoke run)."""
    i, c = r["ingest"], r["compile"]
    big = r["memory"]["big_attachment"]["raised_limit"]
    largest = max(c["seconds"], key=int)
    at_5000 = c["seconds"].get("5000")
    per_row = c["ms_per_row"]
    linear = (round(per_row["5000"] / per_row["1000"], 2)
              if "5000" in per_row and "1000" in per_row else None)
    units = i.get("units_cost_ratio")
    units_at = sorted(i.get("ms_per_msg_by_units", {}), key=int)
    p95 = r["latency"]["p95_s"]
    return {
        "ingest_ratio": _goal(i["ratio"], ">= 1.0", i["ratio"] >= GOALS["ratio"]),
        "units_cost_ratio": _goal(
            units,
            f"200/20 units <= {GOALS['units_cost_ratio']}",
            units <= GOALS["units_cost_ratio"] if units_at == ["20", "200"] else None,
        ),
        "compile_largest_s": _goal(
            c["seconds"][largest],
            f"5000 rows <= {GOALS['seconds_5000']:g} s",
            None if at_5000 is None else at_5000 <= GOALS["seconds_5000"],
        ),
        "compile_linearity": _goal(
            linear,
            f"ms/row at 5000 <= {GOALS['linearity']}x ms/row at 1000",
            None if linear is None else linear <= GOALS["linearity"],
        ),
        "big_attachment_raise": _goal(
            big["raise_x_attachment"],
            f"<= {GOALS['big_x']:g}x the attachment",
            big["raise_x_attachment"] <= GOALS["big_x"],
        ),
        "latency_p95_s": _goal(
            p95, f"<= {GOALS['p95_s']}", p95 is not None and p95 <= GOALS["p95_s"]
        ),
        "peak_rss_mb": _goal(
            r["memory"]["peak_rss_mb"],
            f"<= {GOALS['peak_rss_mb']:g}",
            r["memory"]["peak_rss_mb"] <= GOALS["peak_rss_mb"],
        ),
        "idle_cpu_percent": _goal(
            r["idle"]["cpu_percent"],
            f"<= {GOALS['cpu_percent']}",
            r["idle"]["cpu_percent"] <= GOALS["cpu_percent"],
        ),
        "floor_ratio": _goal(
            i["floor_ratio"], f"report (next goal >= {GOALS['floor_ratio_next']})", None
        ),
        "web_overview_p95_ms": _goal(
            r["web"]["warm"]["p95_ms"], "<= 300, no error", r["web"]["met"]
        ),
    }


def _spread(runs: list[float]) -> str:
    return f": {min(runs)}-{max(runs)} ms" if len(runs) > 1 else ""


def _met(g: dict) -> str:
    if g["met"] is None:
        return "report" if g["goal"].startswith("report") else "n/a"
    return "yes" if g["met"] else "NO"


def table(r: dict) -> str:
    i, lat, c, m, idle, w = (
        r["ingest"],
        r["latency"],
        r["compile"],
        r["memory"],
        r["idle"],
        r["workload"],
    )
    big = m["big_attachment"]
    g = r["goals"]
    ok = {k: _met(v) for k, v in g.items()}
    mb = big["attachment_bytes"] / 10**6
    by = i.get("by_units", {})
    sizes = sorted(by, key=int)
    lin = g["compile_linearity"]
    pair = sorted(c["ms_per_row"], key=int)[-2:]
    rows_ = [
        (
            "ingest (Pantau)",
            f"{i['msgs_per_s']} msg/s ({i['ms_per_msg']} ms/msg, CPU {i['cpu_ms_per_msg']} ms)",
            "",
            "",
        ),
        (
            "ingest (raw pipeline)",
            f"{i['raw_msgs_per_s']} msg/s ({i['raw_ms_per_msg']} ms/msg); python-docx "
            f"{100 * i['raw_docx_share']:.0f} %",
            "",
            "",
        ),
        ("ingest ratio", f"{i['ratio']}", ">= 1.0", ok["ingest_ratio"]),
        (
            "ingest (raw floor, lxml)",
            f"{i['floor_msgs_per_s']} msg/s ({i['floor_ms_per_msg']} ms/msg)",
            "",
            "",
        ),
        ("ingest ratio to the floor", f"{i['floor_ratio']}",
         f"next >= {GOALS['floor_ratio_next']}", ok["floor_ratio"]),
        *[
            (
                f"one reply at {n} units",
                f"{by[n]['ms_per_msg']} ms (CPU {by[n]['cpu_ms_per_msg']} ms; "
                f"{by[n]['timed_messages']} corrections timed in {by[n]['runs']} run(s)"
                + _spread(by[n].get("ms_per_msg_runs", [])) + ")",
                "",
                "",
            )
            for n in sizes
        ],
        (
            f"units cost ratio ({'/'.join(reversed(sizes)) or 'needs --versions >= 2'})",
            f"{i.get('units_cost_ratio')} (CPU {i.get('units_cpu_cost_ratio')})",
            f"<= {GOALS['units_cost_ratio']}" + ("" if sizes == ["20", "200"] else " at 200/20"),
            ok["units_cost_ratio"],
        ),
        *[
            (
                f"compile {n} rows",
                f"{sec} s (chart {c['chart_seconds'][n]} s, {c['ms_per_row'][n]} ms/row)",
                f"<= {GOALS['seconds_5000']:g} s" if n == "5000" else "",
                ok["compile_largest_s"] if n == "5000" else "",
            )
            for n, sec in c["seconds"].items()
        ],
        (
            "compile linearity",
            f"{lin['value']}x (ms/row 5000 / 1000)" if lin["value"] is not None else
            f"not measured at 1000 and 5000 rows ({pair[0]} -> {pair[-1]}: "
            f"{c['ms_per_row'][pair[0]]} -> {c['ms_per_row'][pair[-1]]} ms/row)",
            f"<= {GOALS['linearity']}x",
            ok["compile_linearity"],
        ),
        (
            f"+{mb:g} MB attachment",
            f"+{big['raised_limit']['raise_mb']:.0f} MB = "
            f"{big['raised_limit']['raise_x_attachment']}x (default limits, "
            f"{big['default_limits']['status']}: "
            f"+{big['default_limits']['raise_mb']:.0f} MB)",
            f"<= {GOALS['big_x']:g}x",
            ok["big_attachment_raise"],
        ),
        (
            "latency p50 / p95",
            f"{lat['p50_s']} s / {lat['p95_s']} s ({lat['samples']} replies)",
            f"p95 <= {GOALS['p95_s']} s",
            ok["latency_p95_s"],
        ),
        ("peak RSS, ingest", f"{m['peak_rss_mb']} MB", f"<= {GOALS['peak_rss_mb']:g} MB",
         ok["peak_rss_mb"]),
        (
            "idle CPU",
            f"{idle['cpu_percent']} % over {idle['seconds']:.0f} s",
            f"<= {GOALS['cpu_percent']} %",
            ok["idle_cpu_percent"],
        ),
        (
            f"web overview, {r['web']['clients']} clients",
            f"p95 {r['web']['warm']['p95_ms']} ms "
            f"(recomputed each time: {r['web']['cold']['p95_ms']} ms), errors "
            f"{r['web']['warm']['errors']}",
            "p95 <= 300 ms",
            ok["web_overview_p95_ms"],
        ),
    ]
    wa = max(len(a) for a, *_ in rows_)
    wb = max(len(b) for _, b, *_ in rows_)
    wg = max(len(x) for _, _, x, _ in rows_)
    lines = [f"Workload: {w['units']} units x {w['versions']} versions = {w['messages']} replies "
             f"(form {w['form_kb_median']} KB, message {w['message_kb_median']} KB)", ""]
    lines.append(f"{'measure':<{wa}}  {'result':<{wb}}  {'goal':<{wg}}  met")
    lines += [f"{a:<{wa}}  {b:<{wb}}  {x:<{wg}}  {o}".rstrip() for a, b, x, o in rows_]
    met = [v["met"] for v in g.values()]
    lines += [
        "",
        f"Goals: {met.count(True)} met, {met.count(False)} not met, {met.count(None)} reported "
        "or not measured at the goal's size (figures printed, never asserted).",
    ]
    mc = r["machine"]
    lines += [
        f"Machine: {mc['cpu']}, {mc['cores']} cores, {mc['memory_mb']} MB RAM, {mc['os']}, "
        f"kernel {mc['kernel']}, Python {mc['python']}; load average (1, 5, 15 min) at start "
        f"{mc['load_at_start']}, at end {mc['load_at_end']}",
    ]
    return "\n".join(lines)


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--smoke", action="store_true", help="a small version of every measure")
    p.add_argument("--out", default=str(ROOT / "var" / "bench"))
    p.add_argument("--units", type=int)
    p.add_argument("--versions", type=int)
    p.add_argument("--indicators", type=int, default=6)
    p.add_argument("--latency", type=int)
    p.add_argument("--idle", type=float)
    p.add_argument("--rows")
    p.add_argument("--big-mb", type=float)
    p.add_argument("--units-sizes", help="office sizes for ingest.ms_per_msg_by_units "
                   "(default 20,200; smoke 4,40)")
    p.add_argument("--units-min-timed", type=int, help="repeat a size's run until this many "
                   "replies were timed (default 400; smoke 0: one run)")
    p.add_argument("--profile", action="store_true")
    p.add_argument("--keep", action="store_true", help="keep the work folder (offices, logs)")
    p.add_argument("--web-clients", type=int)
    p.add_argument("--web-requests", type=int)
    o = p.parse_args(argv)
    small = o.smoke
    o.units = o.units or (4 if small else 200)
    o.versions = o.versions or 5
    o.latency = o.latency or (2 if small else 50)
    o.idle = o.idle if o.idle is not None else (5.0 if small else 60.0)
    o.rows = [int(x) for x in (o.rows or ("10,100" if small else "10,100,1000,5000")).split(",")]
    o.big_mb = o.big_mb or (1.0 if small else 25.0)
    o.units_sizes = [int(x) for x in (o.units_sizes or ("4,40" if small else "20,200")).split(",")]
    if o.units_min_timed is None:
        o.units_min_timed = 0 if small else 400
    o.web_clients = o.web_clients or (5 if small else 50)
    o.web_requests = o.web_requests or (3 if small else 20)
    return o


def main(argv: list[str] | None = None) -> int:
    opts = parse(argv)
    r = run(opts)
    print()
    print(table(r))
    if r["ingest"].get("profile_groups"):
        from tests.bench_ingest import format_profile

        print(f"\n{format_profile(r['ingest']['profile_groups'])}\n({r['ingest']['profile']})")
    print(f"\n{Path(opts.out) / 'results.json'} ({r['wall_seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
