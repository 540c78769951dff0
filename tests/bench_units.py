"""The cost of one reply by office size (issue 17): `ingest.ms_per_msg_by_units` in
var/bench/results.json, `{"20": ms, "200": ms}` in the full run, and `ingest.units_cost_ratio`
(the largest office's cost over the smallest's; goal <= 1.25).

What is compared, so that only the office size differs: two offices built the same way
(tests/bench_office.py: 6 indicators per unit, the same ~60 KB forms, one silent unit keeping the
collection open), each unit answering 5 times, over the same path as the ingest phase
(`OfficeApp.poll` over IMAP from the private Dovecot, tests/bench_ingest.py `units`).

Measured: the steady state, not the start-up. In each run the first round (every unit's first
form) is put in the inbox and handled untimed: it pays the imports, the first connection and the
caches, a fixed cost of several hundred ms that would weigh 10x more per message in the 20-unit
office (100 replies) than in the 200-unit one (1,000 replies) and flatter the ratio. Then the
other rounds (4 corrected forms per unit, held meanwhile in another IMAP folder and moved into the
inbox untimed) are handled and timed: the same 4 messages per unit at both sizes, all of them
accepted submissions. A small office is measured in several runs (fresh copies) until at least
`min_timed` messages have been timed, so that its figure is not a 2-3 s sample on a shared
machine; the runs of the sizes are interleaved (20, 20, 20, 200, 20, 20), so that a change of
the machine's load in the meantime does not fall on one size only; every size's figure is its
runs' total time over their total messages (a pooled mean, neither favouring nor penalising the
repeated size). CPU time per message is reported next to
the wall time: it is the steadier of the two on a loaded machine.
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

from tests import bench_office as B

HOLD = "BenchAntre"  # where the later rounds wait while the first is handled


def office_of(size: int, base, base_replies, stack, work: Path, indicators: int, versions: int,
              log) -> tuple:
    """A started office of `size` units and its replies: the main office when it has that size,
    else a new one built the same way."""
    if size == len(base.units):
        return base, base_replies
    t0 = time.perf_counter()
    office = B.write_office(work / f"satuan{size}", stack, size, indicators)
    B.start_cycle(office)
    replies = B.build_replies(office, B.requests(office), versions)
    log(f"units: the {size}-unit office built in {time.perf_counter() - t0:.1f} s")
    return office, replies


def hold_folder(stack) -> None:
    c = stack.imap("pantau")
    try:
        if not c.folder_exists(HOLD):
            c.create_folder(HOLD)
    finally:
        c.logout()


def one_run(stack, office, replies, env, work: Path, tag: str, child) -> dict:
    copy = B.copy_office(office, work / tag)
    first = [raw for _, v, raw in replies if v == 1]
    later = [raw for _, v, raw in replies if v > 1]
    B.append_to_inbox(stack, "pantau", first)
    B.append_to_inbox(stack, "pantau", later, folder=HOLD)
    load = os.getloadavg()[0]
    r = child(["tests.bench_ingest", "units", str(copy.cfg), str(len(first)), str(len(later)),
               "--hold", HOLD, "--imap-port", str(stack.imap_port), "--password", stack.password],
              env)
    total = len(first) + len(later)
    o = r["outcome"]
    if not (o["diproses"] == o["submissions_ok"] == o["acks_queued"] == total):
        raise RuntimeError(f"units run {tag}: expected {total} accepted submissions, got {o}")
    r["load_1min"] = round(load, 2)
    return r


def measure(sizes: list[int], base, base_replies, stack, env, work: Path, *, indicators: int,
            versions: int, min_timed: int, child, log) -> dict:
    """Returns the keys added to results["ingest"]."""
    if versions < 2:
        raise ValueError("the units measure needs at least 2 versions (the first is untimed)")
    hold_folder(stack)
    offices = {size: office_of(size, base, base_replies, stack, work, indicators, versions, log)
               for size in sorted(sizes)}
    count = {size: max(1, math.ceil(min_timed / (size * (versions - 1)))) for size in offices}
    # Each size's runs spread evenly over the phase: (k + 0.5) / n.
    order = sorted((((k + 0.5) / n, size, k) for size, n in count.items() for k in range(n)))
    log(f"units: runs of {', '.join(str(size) for _, size, _ in order)} units (each: "
        + "; ".join(f"{n} untimed + {n * (versions - 1)} timed" for n in offices) + ")")
    done: dict[int, list[dict]] = {size: [] for size in offices}
    for _, size, k in order:
        office, replies = offices[size]
        done[size].append(one_run(stack, office, replies, env, work, f"satuan{size}-run{k}",
                                  child))
    by: dict[str, dict] = {}
    for size, runs in done.items():
        runs_n = len(runs)
        msgs = sum(r["timed"] for r in runs)
        by[str(size)] = {
            "units": size,
            "runs": runs_n,
            "warm_messages_per_run": runs[0]["warm"],
            "timed_messages": msgs,
            "ms_per_msg": round(1000 * sum(r["seconds"] for r in runs) / msgs, 2),
            "cpu_ms_per_msg": round(1000 * sum(r["cpu_seconds"] for r in runs) / msgs, 2),
            "ms_per_msg_runs": [round(r["ms_per_msg"], 2) for r in runs],
            "load_1min_runs": [r["load_1min"] for r in runs],
            "peak_rss_mb": max(round(r["peak_rss_mb"], 1) for r in runs),
        }
    small, large = by[str(min(sizes))], by[str(max(sizes))]
    return {
        "ms_per_msg_by_units": {k: v["ms_per_msg"] for k, v in by.items()},
        "cpu_ms_per_msg_by_units": {k: v["cpu_ms_per_msg"] for k, v in by.items()},
        "units_cost_ratio": round(large["ms_per_msg"] / small["ms_per_msg"], 3),
        "units_cpu_cost_ratio": round(large["cpu_ms_per_msg"] / small["cpu_ms_per_msg"], 3),
        "by_units": by,
    }
