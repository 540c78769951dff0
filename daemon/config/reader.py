"""Reading typed values out of the TOML tree: `Reader` collects every problem (in Indonesian:
the key, the value found and what is expected) instead of stopping at the first, so the operator
sees them all at once. Shared by every section's loader.
"""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path
from typing import Any

EMAIL_RE = re.compile(
    r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$|^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+$"
)


class Reader:
    """Reads typed values from the TOML tree, collecting problems instead of stopping at the
    first."""

    def __init__(self, data: dict[str, Any]):
        self.data = data
        self.problems: list[str] = []

    def get(self, key: str, kind: type | tuple, default: Any = ..., expect: str = "") -> Any:
        node: Any = self.data
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                if default is ...:
                    self.problems.append(
                        f"{key}: belum diisi; diharapkan {expect or kind_name(kind)}"
                    )
                    return None
                return default
            node = node[part]
        if kind is float and isinstance(node, int) and not isinstance(node, bool):
            node = float(node)
        if not isinstance(node, kind) or (kind is int and isinstance(node, bool)):
            self.problems.append(
                f"{key}: nilai {node!r} tidak sesuai; diharapkan {expect or kind_name(kind)}"
            )
            return None if default is ... else default
        return node

    def choice(self, key: str, options: tuple[str, ...], default: Any = ...) -> Any:
        value = self.get(key, str, default, "salah satu dari " + ", ".join(options))
        if value is not None and value not in options:
            self.problems.append(
                f"{key}: nilai {value!r} tidak dikenal; "
                f"diharapkan salah satu dari {', '.join(options)}"
            )
            return options[0]
        return value

    def email(self, key: str, value: Any) -> str:
        if value is None or (isinstance(value, str) and not value.strip()):
            self.problems.append(
                f"{key}: alamat e-mail belum diisi; tulis misalnya email = \"nama@kecamatan.go.id\""
            )
            return ""
        if not isinstance(value, str) or not EMAIL_RE.match(value.strip()):
            self.problems.append(
                f"{key}: {value!r} bukan alamat e-mail yang sah (contoh: nama@kecamatan.go.id)"
            )
            return ""
        return value.strip().lower()

    def clock(self, key: str, default: str) -> time:
        text = self.get(key, str, default, 'jam seperti "09:00"')
        try:
            return parse_time(text or default)
        except ValueError:
            self.problems.append(
                f'{key}: nilai {text!r} bukan jam; diharapkan seperti "09:00" atau "09.00"'
            )
            return parse_time(default)


def kind_name(kind: type | tuple) -> str:
    names = {
        str: "teks",
        int: "bilangan bulat",
        float: "angka",
        bool: "true atau false",
        list: "daftar [...]",
        dict: "tabel",
    }
    if isinstance(kind, tuple):
        return " atau ".join(names.get(k, k.__name__) for k in kind)
    return names.get(kind, kind.__name__)


def parse_time(text: str) -> time:
    m = re.fullmatch(r"\s*(\d{1,2})[.:](\d{2})\s*", text or "")
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        raise ValueError(text)
    return time(int(m.group(1)), int(m.group(2)))


def resolve_path(office_dir: Path, value: str | Path) -> Path:
    p = Path(value).expanduser()
    return p if p.is_absolute() else (office_dir / p)
