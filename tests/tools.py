"""Small helpers shared by test modules."""

from __future__ import annotations

import os
import shutil

import pytest


def require_tool(name: str) -> str:
    """The path of an external program; skip without it, unless CI is set (then fail)."""
    path = shutil.which(name)
    if path:
        return path
    if os.environ.get("CI"):
        pytest.fail(f"{name} is required under CI (scripts/install-system-deps.sh installs it)")
    pytest.skip(f"{name} not installed")
