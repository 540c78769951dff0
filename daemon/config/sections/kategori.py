"""`[kategori]`: the achievement bands, each with its lower bound in percent."""

from __future__ import annotations

from daemon.config.reader import Reader


def read_kategori(r: Reader) -> dict[str, float]:
    """[kategori]: the achievement bands' lower bounds in percent."""
    kategori = r.get("kategori", dict, {}) or {}
    for k, v in kategori.items():
        if not isinstance(v, (int, float)):
            r.problems.append(
                f"kategori.{k}: nilai {v!r} tidak sesuai; "
                "diharapkan batas bawah dalam persen, misalnya 91"
            )

    return {k: float(v) for k, v in kategori.items() if isinstance(v, (int, float))}
