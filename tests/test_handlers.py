"""Every kind the SOP names has its handler in an explicit table (issue 16): the engine's step
kinds (`jenis`) and actions (`aksi`, `aksi_setuju`), and the documents the engine asks the shell to
make. A kind without a handler is named in a clear message, not found missing mid-cycle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from daemon.core import engine as E
from daemon.core.sop import load_sop, parse_sop
from daemon.documents import produce

ROOT = Path(__file__).resolve().parents[1]
SOP = load_sop(ROOT / "config" / "sop.toml")


def test_every_kind_and_action_of_the_shipped_sop_has_a_handler():
    assert E.missing_handlers(SOP) == []
    assert {s.jenis for s in SOP.steps} <= set(E.ENTER)
    assert {a for s in SOP.steps for a in (s.aksi, s.aksi_setuju) if a} <= set(E.ACTIONS)


def test_a_missing_handler_is_named(monkeypatch):
    monkeypatch.delitem(E.ENTER, "rute")
    monkeypatch.delitem(E.ACTIONS, "kirim_undangan")
    problems = E.missing_handlers(SOP)
    assert problems == [
        "jenis langkah 'rute' tidak punya penangan di engine.ENTER",
        "aksi 'kirim_undangan' tidak punya penangan di engine.ACTIONS",
    ]


def test_an_unknown_kind_in_sop_toml_is_refused_with_its_name():
    raw = {
        "langkah": [
            {
                "id": "S1",
                "kunci": "a",
                "uraian": "x",
                "pelaksana": "camat",
                "standar": "1 jam",
                "jenis": "terbang",
                "lanjut": "selesai",
            }
        ]
    }
    with pytest.raises(Exception) as e:
        parse_sop(raw)
    assert "'terbang' tidak dikenal" in str(e.value)


def _made_kinds() -> set[str]:
    """The document kinds the engine asks for: `MakeDoc(ref=DocRef(kind="..."))` in its source
    (daemon/core/engine.py and the modules its handlers live in: every module of daemon/core)."""
    trees = [
        ast.parse(p.read_text(encoding="utf-8"))
        for p in sorted((ROOT / "daemon" / "core").glob("*.py"))
    ]
    kinds = set()
    for n in (n for tree in trees for n in ast.walk(tree)):
        if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "MakeDoc":
            for ref in ast.walk(n):
                if isinstance(ref, ast.keyword) and ref.arg == "kind":
                    assert isinstance(ref.value, ast.Constant), ast.unparse(n)
                    kinds.add(ref.value.value)
    return kinds


def test_every_document_the_engine_or_the_sop_names_has_a_maker():
    made = _made_kinds()
    assert made == {"form", "draft_report", "final_report", "emonev_export", "timeliness_summary"}
    attached = {s.lampiran for s in SOP.steps if s.lampiran}
    assert attached == {"draft_report", "emonev_export"}
    assert made | attached <= set(produce.MAKERS)
