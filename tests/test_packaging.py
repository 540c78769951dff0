"""`pip install .` (not editable) must give a working `pantau init` and `pantau demo`: the shipped
config/ and templates/ travel inside the wheel. (`make check-install` does the whole install and
runs the demo from it.)"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # real mail servers, LibreOffice or whole cycles (tests/README.md)

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_carries_the_shipped_office(tmp_path):
    r = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-v", "-w", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    # No wall of setuptools deprecation warnings for a newcomer (SPDX `license = "MIT"`).
    assert (
        "project.license" not in r.stdout + r.stderr
        and "SetuptoolsDeprecationWarning" not in r.stdout + r.stderr
    )
    assert (
        "is absent from the `packages` configuration" not in r.stdout + r.stderr
    )  # data folders listed
    (wheel,) = tmp_path.glob("pantau-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for f in (
        "daemon/shipped/config/pantau.toml",
        "daemon/shipped/config/sop.toml",
        "daemon/shipped/config/indikator.csv",
        "daemon/shipped/templates/laporan.docx",
        "daemon/shipped/templates/formulir.docx",
        "daemon/shipped/templates/email/permintaan_data.txt",
        "daemon/operator/cli.py",
        "daemon/documents/formread.py",
        "daemon/mail/transports/imap.py",
        "daemon/web/app.py",
        "daemon/web/templates/base.html",
        "daemon/web/templates/ringkasan.html",
        "daemon/web/static/pantau.css",
        "daemon/web/static/pantau.js",
    ):
        assert f in names, f
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "pantau = daemon.operator.cli:main" in zipfile.ZipFile(wheel).read(entry).decode()
