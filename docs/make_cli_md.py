"""Regenerate docs/cli.md from the `pantau` argparse parser (every command's --help).

Run from the repository: `.venv/bin/python docs/make_cli_md.py`. tests/test_docs.py fails when
docs/cli.md differs from what this writes.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from daemon.operator.cli import cli_reference  # noqa: E402

if __name__ == "__main__":
    target = ROOT / "docs" / "cli.md"
    target.write_text(cli_reference() + "\n", encoding="utf-8")
    print(f"{target} diperbarui")
