"""Build hook: copy the shipped config/ and templates/ into the package.

The repository keeps them at the top level where an office (and a developer) expects them; a
wheel needs them inside the package so that `pantau init` and `pantau demo` work after a plain
`pip install .`.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildWithShipped(build_py):
    def run(self):
        super().run()
        target = Path(self.build_lib) / "daemon" / "shipped"
        for name in ("config", "templates"):
            src, dst = ROOT / name, target / name
            if dst.exists():
                shutil.rmtree(dst)
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("*.pyc", "__pycache__", "~$*"))


setup(cmdclass={"build_py": BuildWithShipped})
