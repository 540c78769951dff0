"""`pantau inspect --json` over every real-world message of the corpus: one result per file, no
crash, none lost (issue 3)."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest

from tools import pantau_main

pytestmark = pytest.mark.slow  # the whole corpus through `pantau inspect` (tests/README.md)

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "email"


def test_inspect_reads_every_corpus_message(tmp_path):
    if not CORPUS.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"corpus missing at {CORPUS}")
        pytest.skip("corpus not present")
    files = sorted(str(p) for p in CORPUS.rglob("*") if p.is_file())
    results = []
    for i in range(0, len(files), 300):  # a few processes, not one per file
        r = pantau_main(
            [
                "--config",
                str(tmp_path / "tidak-ada.toml"),
                "inspect",
                "--json",
                *files[i : i + 300],
            ],
            cwd=ROOT,
        )
        assert r.returncode == 0, r.stderr[-2000:]
        results += [json.loads(line) for line in r.stdout.splitlines()]
    assert [x["file"] for x in results] == files
    kinds = Counter(x["kind"] for x in results)
    print(f"\n{len(files)} messages: {dict(kinds)}")
    assert set(kinds) <= {"reply", "auto_reply", "bounce", "unrelated", "malformed"}
    for x in results:
        assert {
            "file",
            "kind",
            "message_id",
            "from",
            "token",
            "task",
            "sender_ok",
            "decision",
            "note",
            "attachments",
            "form",
            "errors",
        } <= set(x)
        assert x["decision"] in {"approve", "revise", "schedule", "unclear", "none"}
