"""`make bench` in small (issue 7): every measure runs and reports its figures. Nothing here is a
timing assertion (TESTING.md: performance is printed by the benchmark, never asserted); this only
keeps tests/bench.py working: 4 units x 5 versions = 20 replies, 2 latency samples, the draft
report for 10 and 100 rows, a 1 MB attachment, 5 s of idle."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from mailstack import require_mailstack

pytestmark = pytest.mark.slow  # real mail servers, LibreOffice or whole cycles (tests/README.md)

ROOT = Path(__file__).resolve().parents[1]


def test_bench_smoke_produces_every_figure(tmp_path):
    require_mailstack()
    out = tmp_path / "bench"
    r = subprocess.run(
        [sys.executable, "-m", "tests.bench", "--smoke", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    res = json.loads((out / "results.json").read_text())
    ingest = res["ingest"]
    for key in ("msgs_per_s", "raw_msgs_per_s", "ratio", "floor_msgs_per_s", "floor_ratio"):
        assert isinstance(ingest[key], float) and ingest[key] > 0, key
    # Both baselines read every message's form, and the ratios are what the rates say.
    assert ingest["raw_forms"] == ingest["floor_forms"] == 20
    assert 0 < ingest["raw_cells_filled"] < ingest["raw_cells"]
    assert abs(ingest["ratio"] - ingest["msgs_per_s"] / ingest["raw_msgs_per_s"]) < 0.01
    assert abs(ingest["floor_ratio"] - ingest["msgs_per_s"] / ingest["floor_msgs_per_s"]) < 0.01
    # Every reply was a real form submission that Pantau accepted and acknowledged.
    assert ingest["messages"] == 20
    assert ingest["outcome"]["diproses"] == ingest["outcome"]["submissions_ok"] == 20
    assert ingest["outcome"]["acks_queued"] == 20
    assert res["latency"]["samples"] == 2 and res["latency"]["lost"] == 0
    assert res["latency"]["p50_s"] > 0 and res["latency"]["p95_s"] >= res["latency"]["p50_s"]
    assert set(res["compile"]["seconds"]) == {"10", "100"} and res["compile"]["seconds_100"] > 0
    assert res["memory"]["peak_rss_mb"] > 0
    big = res["memory"]["big_attachment"]
    # The 1 MB message (under every limit in the smoke run) was read and its form taken, with
    # both configurations; the memory it cost is the peak minus the RSS before it.
    for label in ("default_limits", "raised_limit"):
        run = big[label]
        assert run["handled"] == 1 and run["status"] == "diproses", (label, run)
        assert abs(run["raise_mb"] - (run["peak_rss_mb"] - run["rss_before_mb"])) <= 0.15, run
        assert run["peak_rss_mb"] >= run["rss_before_mb"] > 0, run
    assert 0 <= res["idle"]["cpu_percent"] < 100
    assert set(res["goals"]) == {
        "ingest_ratio",
        "latency_p95_s",
        "compile_largest_s",
        "peak_rss_mb",
        "big_attachment_raise",
        "idle_cpu_percent",
        "web_overview_p95_ms",
    }
    web = res["web"]
    assert web["clients"] == 5 and web["warm"]["requests"] == web["cold"]["requests"] == 15
    assert (
        web["warm"]["errors"] == 0
        and web["warm"]["p95_ms"] > 0
        and "formulir masuk" in web["shows"]
    )
    assert "ingest ratio" in r.stdout and "latency p50 / p95" in r.stdout  # the printed table
    assert "web overview, 5 clients" in r.stdout
    assert "ingest ratio to the floor" in r.stdout and "raw floor, lxml" in r.stdout
    assert not (out / "work").exists()  # the offices are removed unless --keep
