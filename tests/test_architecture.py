"""The rooms' rules (README, "Architecture"), checked: SQL only in daemon/store/, and the pure
core imports no shell and no library with side effects (import-linter, pyproject.toml)."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DAEMON = ROOT / "daemon"
STORE = DAEMON / "store"

SQL = re.compile(
    r"\b(SELECT\b.*\bFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|"
    r"CREATE\s+(TABLE|INDEX|UNIQUE|VIEW|TRIGGER)|PRAGMA\s+\w+|BEGIN(\s+(IMMEDIATE|EXCLUSIVE|DEFERRED|TRANSACTION))?\s*$)",
    re.DOTALL,
)
RAW_CALLS = {"execute", "executemany", "executescript", "q", "q1", "x", "_q", "_q1", "_x"}


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def sql_outside_store(root: Path = DAEMON) -> list[str]:
    """file:line: what, for every SQL string literal or raw execute call outside daemon/store/."""
    found = []
    for path in sorted(root.rglob("*.py")):
        if STORE in path.parents:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        docs = _docstrings(tree)
        rel = path.relative_to(ROOT)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docs
            ):
                if SQL.search(node.value):
                    found.append(f"{rel}:{node.lineno}: SQL in a string: {node.value[:60]!r}")
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                  and node.func.attr in RAW_CALLS):
                found.append(f"{rel}:{node.lineno}: raw call .{node.func.attr}(...)")
    return found


def test_sql_lives_only_in_the_store():
    found = sql_outside_store()
    assert not found, "SQL outside daemon/store/ (add a named Store method):\n" + "\n".join(found)


def test_the_sql_check_would_catch_a_query(tmp_path, monkeypatch):
    """The scan is not blind: a module with a query and an execute call is named, line and all."""
    pkg = tmp_path / "daemon"
    (pkg / "store").mkdir(parents=True)
    (pkg / "store" / "ok.py").write_text('Q = "SELECT * FROM outbox"\n')
    (pkg / "bad.py").write_text(
        '"""SELECT in a docstring is prose."""\n\n'
        'def f(store):\n    return store.q1("SELECT 1 FROM tasks WHERE key=?", (1,))\n'
    )
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    monkeypatch.setattr(sys.modules[__name__], "STORE", pkg / "store")
    found = sql_outside_store(pkg)
    assert [f.split(": ")[0] for f in found] == ["daemon/bad.py:4", "daemon/bad.py:4"]
    assert any("raw call .q1" in f for f in found) and any("SQL in a string" in f for f in found)


def test_import_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    r = subprocess.run([str(lint), "--config", str(ROOT / "pyproject.toml")], cwd=ROOT,
                       capture_output=True, text=True, timeout=300,
                       env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, r.stdout + r.stderr
    assert "3 kept, 0 broken" in r.stdout, r.stdout
