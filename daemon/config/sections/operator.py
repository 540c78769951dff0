"""`[operator]`: who gets the operator's notices (`ringkasan_harian` is a plain key, read in
daemon/config/loader.py).
"""

from __future__ import annotations

from daemon.config.reader import Reader


def read_operator_email(r: Reader) -> list[str]:
    """[operator] email: who gets the operator's notices."""
    operator_raw = r.get("operator.email", (list, str), [])
    if isinstance(operator_raw, str):
        operator_raw = [operator_raw] if operator_raw.strip() else []
    operator_email = [e for e in (r.email("operator.email", x) for x in operator_raw or []) if e]

    return operator_email
