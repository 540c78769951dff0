"""`pantau init`: a new office directory from the shipped config/ and templates/, with var/ and
the office's token secret. (It lived in daemon/demo/simulation.py;
`daemon.demo.simulation.init_office` re-exports it.)
"""

from __future__ import annotations

import shutil
from pathlib import Path

from daemon.config import load_config
from daemon.shell.secret import ensure_secret
from daemon.shipped import shipped_dir


def init_office(target: Path, force: bool = False) -> Path:
    """Copy the shipped config/ and templates/ into a new office directory."""
    target = Path(target)
    cfg_dir = target / "config"
    if cfg_dir.exists() and any(cfg_dir.iterdir()) and not force:
        raise FileExistsError(f"{cfg_dir} sudah ada; gunakan folder lain")
    for name in ("config", "templates"):
        src = shipped_dir(name)
        shutil.copytree(src, target / name, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (target / "var").mkdir(parents=True, exist_ok=True, mode=0o750)
    path = cfg_dir / "pantau.toml"
    ensure_secret(load_config(path))  # the office exists now, and so does its token secret
    return path
