"""The rooms' rules (README, "Architecture"), checked: SQL only in daemon/store/, and the pure
core imports no shell and no library with side effects (import-linter, pyproject.toml)."""

from __future__ import annotations

import ast
import re
import shutil
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


def _lint_imports(root: Path) -> subprocess.CompletedProcess:
    lint = Path(sys.executable).with_name("lint-imports")
    return subprocess.run([str(lint), "--config", str(root / "pyproject.toml")], cwd=root,
                          capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"})


def test_the_import_contracts_would_catch_an_impure_core(tmp_path):
    """The contracts are not blind: a copy of the package whose core imports the store, and whose
    store imports the mail, breaks all three, each named."""
    shutil.copytree(DAEMON, tmp_path / "daemon", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "daemon" / "core" / "leak.py").write_text(
        '"""A core module that reaches the database."""\n\nimport sqlite3\n\n'
        "from daemon.store import Store\n\n__all__ = ['Store', 'sqlite3']\n")
    (tmp_path / "daemon" / "store" / "leak.py").write_text(
        '"""A store module that reaches the mail."""\n\nfrom daemon.mail import compose\n\n'
        "__all__ = ['compose']\n")
    r = _lint_imports(tmp_path)
    assert r.returncode != 0
    assert "0 kept, 3 broken" in r.stdout, r.stdout
    assert "daemon.core.leak -> daemon.store" in r.stdout
    assert "daemon.core.leak -> sqlite3" in r.stdout
    assert "daemon.store.leak -> daemon.mail" in r.stdout


MAX_LINES = 500


def test_every_module_fits_in_a_readers_head():
    """No module over 500 lines, and every module says what it is for (a docstring)."""
    too_long, silent = [], []
    for path in sorted(DAEMON.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(ROOT)
        if text.count("\n") > MAX_LINES:
            too_long.append(f"{rel}: {text.count(chr(10))} lines")
        if text.strip() and ast.get_docstring(ast.parse(text)) is None:
            silent.append(str(rel))
    assert not too_long, f"modules over {MAX_LINES} lines (split them by meaning):\n" + "\n".join(
        too_long)
    assert not silent, "modules without a docstring:\n" + "\n".join(silent)


def test_line_length_is_enforced():
    """ruff's E501 (100 columns, pyproject.toml) is on for the whole repository, and `make test`
    runs ruff over daemon, tests and tools."""
    import tomllib

    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert cfg["tool"]["ruff"]["line-length"] == 100
    lint = cfg["tool"]["ruff"]["lint"]
    assert "E" in lint["select"] and "E501" not in lint.get("ignore", [])
    make = (ROOT / "Makefile").read_text()
    test_recipe = make.split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert "ruff check daemon tests tools" in test_recipe
