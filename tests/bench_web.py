"""The dashboard under load (issue 18): the overview's response time with 50 concurrent
signed-in clients on the 200-unit bench office; p50/p95/max and errors, printed and written under
`web` in var/bench/results.json.

The server is the real one (`pantau web`'s uvicorn settings) in its own process, so the clients
(httpx, one thread each, in this process) do not share its interpreter. Each client has its own
session (made as a sign-in makes it) and asks for `/` `--requests` times in a row, as fast as it
can: far more than 50 people's browsers refreshing every 30 s would ask.

Two figures: `warm`, the server as shipped (the overview's data is reused while the database does
not change, for at most 20 s), and `cold`, with that reuse turned off, so every request recomputes
the status of the 200-unit cycle (what a request costs right after the daemon wrote something).

    python -m tests.bench_web [--units 200] [--clients 50] [--requests 20] [--out var/bench]

Run alone it builds its own office more cheaply than `make bench` does (no mail server: the
bench office's config on the Maildir transport, the cycle started, then half the units' filled
forms ingested in-process, so the overview shows "100 dari 200 formulir masuk"); `make bench`
calls `measure()` on a copy of its own office after the latency phase.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests import bench_office as B

ROOT = B.ROOT


def percentile(values: list[float], p: float) -> float:
    s = sorted(values)
    if not s:
        return 0.0
    k = (len(s) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


class _Stub:
    """Stands in for the mail stack when the office is built without one (ports unused)."""

    imap_port = 1
    smtp_port = 1
    password = "-"


def build_office(target: Path, units: int, answered: int) -> B.BenchOffice:
    """A `units`-unit bench office on the Maildir transport, its cycle at S4 with `answered`
    units' forms received."""
    from daemon.config import load_config
    from daemon.shell.office import OfficeApp

    office = B.write_office(target, _Stub(), units, 6)
    text = office.cfg.read_text().replace('transport = "imap"', 'transport = "maildir"')
    office.cfg.write_text(text)
    B.start_cycle(office)
    reqs = B.requests(office)
    chosen = B.BenchOffice(office.dir, office.cfg, office.units[:answered])
    replies = B.build_replies(chosen, reqs, 1)
    app = OfficeApp(load_config(office.cfg))
    try:
        for *_, raw in replies:
            app.ingest(raw)
    finally:
        app.close()
    return office


SERVE = """
import sys
from daemon.config import load_config
from daemon.web.app import create_app, server_config
import uvicorn
cfg = load_config(sys.argv[1])
app = create_app(cfg)
app.app.state.office.cache.ttl = float(sys.argv[3])
uvicorn.Server(server_config(app, "127.0.0.1", int(sys.argv[2]))).run()
"""


def _sessions(cfg_path: Path, n: int) -> list[str]:
    from daemon.config import load_config
    from daemon.store import Store
    from daemon.web import signin
    from daemon.web.people import directory

    cfg = load_config(cfg_path)
    people = sorted(directory(cfg))
    officials = [e for e in people if directory(cfg)[e].sees_all]
    store = Store(cfg.db_path)
    try:
        # Mostly officials and the operator (who see all 200 units), some units.
        who = [
            officials[i % len(officials)] if i % 5 else people[i % len(people)] for i in range(n)
        ]
        return [signin.start_session(store, e, signin.utcnow())[0] for e in who]
    finally:
        store.close()


def _run_clients(url: str, sids: list[str], requests: int) -> dict:
    import httpx

    times: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(sids))

    def one(sid: str) -> None:
        with httpx.Client(base_url=url, cookies={"pantau_sesi": sid}, timeout=30) as c:
            barrier.wait()
            for _ in range(requests):
                t0 = time.perf_counter()
                try:
                    r = c.get("/")
                    ok = r.status_code == 200 and (
                        "formulir masuk" in r.text or "Formulir " in r.text
                    )
                    why = None if ok else f"HTTP {r.status_code}"
                except httpx.HTTPError as e:
                    why = type(e).__name__
                dt = time.perf_counter() - t0
                with lock:
                    times.append(dt)
                    if why:
                        errors.append(why)

    threads = [threading.Thread(target=one, args=(s,)) for s in sids]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    return {
        "requests": len(times),
        "errors": len(errors),
        "error_kinds": sorted(set(errors)),
        "p50_ms": round(1000 * percentile(times, 50), 1),
        "p95_ms": round(1000 * percentile(times, 95), 1),
        "max_ms": round(1000 * max(times), 1) if times else 0.0,
        "requests_per_s": round(len(times) / wall, 1) if wall else 0.0,
    }


def _serve(cfg_path: Path, ttl: float, env: dict):
    from tests.webkit import free_port

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(cfg_path), str(port), str(ttl)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )
    import httpx

    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/masuk", timeout=2)
            break
        except httpx.HTTPError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("the dashboard did not start") from None
            time.sleep(0.2)
    return proc, f"http://127.0.0.1:{port}"


def measure(office: B.BenchOffice, env: dict, clients: int = 50, requests: int = 20) -> dict:
    """The overview under `clients` concurrent signed-in clients, warm and cold."""
    from daemon.config import load_config
    from daemon.store import Store

    st = Store(load_config(office.cfg).db_path)
    try:
        units = st._q("SELECT u.status FROM cycle_units u JOIN cycles c ON c.code = u.cycle"
                      " WHERE c.status='running'")  # the units' rows (migration m010)
        received = sum(1 for u in units if u["status"] == "received")
        total = len(units)
    finally:
        st.close()
    sids = _sessions(office.cfg, clients)
    out = {
        "clients": clients,
        "requests_per_client": requests,
        "units": total,
        "units_received": received,
    }
    for label, ttl in (("warm", 20.0), ("cold", 0.0)):
        proc, url = _serve(office.cfg, ttl, env)
        try:
            import httpx

            page = httpx.get(f"{url}/", cookies={"pantau_sesi": sids[1]}).text  # an official's view
            out["shows"] = next(
                (line.strip() for line in page.splitlines() if "formulir masuk" in line), ""
            )[:200]
            out[label] = _run_clients(url, sids, requests)
        finally:
            proc.terminate()
            proc.wait(10)
    out["goal"] = "p95 <= 300 ms, no error"
    out["met"] = out["warm"]["p95_ms"] <= 300 and out["warm"]["errors"] == 0
    return out


def table(w: dict) -> str:
    lines = [
        f"web overview: {w['clients']} concurrent signed-in clients x {w['requests_per_client']} "
        "requests, "
        f"{w['units']} units ({w['units_received']} received)"
    ]
    for label in ("warm", "cold"):
        r = w[label]
        lines.append(
            f"  {label:5} p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, max {r['max_ms']} ms, "
            f"{r['requests_per_s']} req/s, errors {r['errors']} of {r['requests']}"
        )
    lines.append(f"  goal {w['goal']}: {'met' if w['met'] else 'NOT met'}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m tests.bench_web", description=__doc__.split("\n\n")[0]
    )
    p.add_argument("--units", type=int, default=200)
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--requests", type=int, default=20)
    p.add_argument("--out", default=str(ROOT / "var" / "bench"))
    p.add_argument(
        "--reuse",
        action="store_true",
        help="measure the office a previous run left in OUT/work-web",
    )
    o = p.parse_args(argv)
    out_dir = Path(o.out).resolve()
    work = out_dir / "work-web"
    extra = {"PANTAU_NOW": B.NOW, "PANTAU_EPOCH": repr(time.time()), "PANTAU_SECRET": B.SECRET}
    os.environ.update(extra)
    env = B.env_with(extra)
    t0 = time.perf_counter()
    if o.reuse and (work / "var" / "pantau.db").exists():
        office = B.BenchOffice(work, work / "config" / "pantau.toml", [])
        built = None
    else:
        office = build_office(work, o.units, o.units // 2)
        built = round(time.perf_counter() - t0, 1)
    w = measure(office, env, o.clients, o.requests)
    w["office"] = "built by tests/bench_web.py (Maildir transport, half the units' forms ingested)"
    if built is not None:
        w["office_built_s"] = built
    w["load_average"] = [round(x, 2) for x in os.getloadavg()]
    print(table(w))
    results_path = out_dir / "results.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    results["web"] = w
    B.save_json(results_path, results)
    print(f"\n{results_path}" + (f" (office built in {built} s)" if built is not None else "")
          + f"; load average {w['load_average']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
