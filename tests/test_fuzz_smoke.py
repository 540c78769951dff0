"""A few hundred cases of the fuzzer (`tests/fuzz.py`, `make fuzz` runs 100,000) in the normal
suite: every target runs through the real entry point, with a fixed seed so a failure here
reproduces with `python -m tests.fuzz --cases 350 --seed 6`."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_fuzz_entry_point_runs_every_target_without_failure():
    r = subprocess.run(
        [sys.executable, "-m", "tests.fuzz", "--cases", "350", "--seed", "6", "--jobs", "1"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert r.returncode == 0, r.stdout + r.stderr[-5000:]
    lines = {
        m.group(1): int(m.group(2))
        for m in re.finditer(r"^  (\S+)\s+(\d+) cases .* ok$", r.stdout, re.M)
    }
    assert set(lines) == {
        "mime-bytes",
        "mime-structured",
        "mime-mutated",
        "analyse",
        "form-bytes",
        "form-zip",
        "form-mutated",
    }, r.stdout
    assert all(n >= 15 for n in lines.values()), lines
    total = int(re.search(r"fuzz total: (\d+) cases", r.stdout).group(1))
    assert total >= 350 and "no failure" in r.stdout


def test_fuzz_fails_loudly_on_an_exception(tmp_path):
    """The fuzzer's own alarm works: a target that raises makes it exit 1 with the input shown."""
    script = (
        "import sys\n"
        "from tests import fuzz\n"
        "def boom(raw):\n"
        "    if len(raw) > 3:\n"
        "        raise ValueError('pecah')\n"
        "fuzz.TARGETS[:] = [fuzz.Target('boom', 1, lambda: fuzz.st.binary(max_size=50), boom)]\n"
        "sys.exit(fuzz.main(['--cases', '50', '--seed', '1', '--jobs', '1']))\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert r.returncode == 1, r.stdout + r.stderr
    assert "FAILED: boom" in r.stdout and "ValueError: pecah" in r.stderr
