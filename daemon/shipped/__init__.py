"""Where the shipped example office (config/ and templates/) lives.

Installed from a wheel, the files sit inside this package (copied by setup.py at build time);
run from a checkout, they are the repository's top-level config/ and templates/.
"""

from pathlib import Path

_HERE = Path(__file__).resolve().parent


def shipped_dir(name: str) -> Path:
    """The shipped `config` or `templates` folder."""
    inside = _HERE / name
    if inside.is_dir():
        return inside
    return _HERE.parent.parent / name
