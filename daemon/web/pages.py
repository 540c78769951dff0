"""What each page shows, filtered by who is looking (SPEC §8).

Built on daemon/operator/views.py (the shapes of `status --json` and `cycle show --json`); every
text that leaves here is cleaned of task tokens and Pantau's own Message-IDs (`clean`). A unit
gets only its own unit: its status in each cycle, its own forms and log lines, its own
achievement.
"""

from __future__ import annotations

import re
import threading
import time
from collections import defaultdict
from datetime import datetime
from typing import Any

from daemon.core.achievement import rata
from daemon.core.model import Period
from daemon.shell.logsetup import scrub
from daemon.web.people import Person

# Pantau's Message-IDs (compose.new_message_id): with one, a reply can be aimed at a task.
_MID = re.compile(r"<?pantau\.[0-9a-f]{16,}@[^\s>,;]+>?", re.I)
MID_HIDDEN = "(Message-ID disembunyikan)"


def _has_secret(text: str) -> bool:
    from daemon.shell.logsetup import _secrets

    return any(x in text for x in _secrets)


def clean(value: Any) -> Any:
    """Mask task tokens and Pantau Message-IDs in every string of a value (recursively)."""
    if isinstance(value, str):
        if "-" not in value and "@" not in value and "+" not in value:
            # No token, plus address or Message-ID is written without one of these marks.
            return scrub(value) if _has_secret(value) else value
        return _MID.sub(MID_HIDDEN, scrub(value))
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    return value


class PageCache:
    """The overview of a 200-unit office costs milliseconds to compute and to render, and every open
    browser asks for it every 30 s. A result is reused while the database shows no change
    (Store.change_mark) and for at most `ttl` seconds (overdue times move with the clock); `ttl`
    0 turns reuse off (the bench's "cold" figure)."""

    def __init__(self, ttl: float = 20.0, size: int = 256):
        self.ttl, self.size = ttl, size
        self._lock = threading.Lock()
        self._items: dict[Any, tuple[tuple, float, Any]] = {}

    def get(self, key: Any, mark: tuple, compute):
        now = time.monotonic()
        with self._lock:
            hit = self._items.get(key)
            if hit and hit[0] == mark and now - hit[1] < self.ttl:
                return hit[2]
        value = compute()
        with self._lock:
            if len(self._items) >= self.size:
                self._items.pop(next(iter(self._items)))
            self._items[key] = (mark, now, value)
        return value


def _who_is(entry_who: str | None, person: Person) -> bool:
    parts = {p.strip().lower() for p in re.split(r"[,;]", entry_who or "")}
    return person.email in parts or (person.unit or "").lower() in parts


def status_for(data: dict, person: Person, held_from_person: int = 0) -> dict:
    """`status --json` as this person may see it."""
    if person.sees_all:
        return clean(data)
    out = dict(data)
    cycles = []
    for c in data["cycles"]:
        c = dict(c)
        c["units"] = {k: v for k, v in c["units"].items() if k == person.unit}
        c["awaiting"] = [a for a in c["awaiting"] if a.get("unit") == person.unit]
        c["overdue"] = [dict(o, who=[w for w in o["who"] if w == person.email])
                        for o in c["overdue"] if person.email in o["who"]]
        cycles.append(c)
    out["cycles"] = cycles
    out["held"] = held_from_person
    out.pop("held_by_status", None)
    out.pop("outbox", None)
    return clean(out)


def overview_cycles(status: dict, person: Person) -> list[dict]:
    """Each open cycle for the overview: step, who is awaited since when, overdue, units in."""
    out = []
    for c in status["cycles"]:
        units = c["units"]
        sent = sum(1 for s in units.values() if s == "received")
        missing = [k for k, s in units.items() if s == "missing"]
        pending = [k for k, s in units.items() if s == "pending"]
        out.append(
            {
                **c,
                "n_units": len(units),
                "n_sent": sent,
                "missing": missing,
                "pending": pending,
                "label": Period.parse(c["period"]).label if c.get("period") else c["code"],
            }
        )
    return out


def cycle_for(data: dict, docs: list[dict], person: Person) -> dict:
    """`cycle show --json` as this person may see it, documents with their row ids."""
    data = dict(data)
    data["documents"] = [
        {
            "id": d["id"],
            "kind": d["kind"],
            "version": d["version"],
            "unit": d["unit"],
            "path": d["path"],
            "sha256": d["sha256"],
            "source": d["source"],
            "created": d["created"],
        }
        for d in docs
    ]
    if not person.sees_all:
        data["units"] = [u for u in data["units"] if u["code"] == person.unit]
        data["documents"] = [d for d in data["documents"] if d["unit"] == person.unit]
        data["log"] = [e for e in data["log"] if _who_is(e["who"], person)]
    return clean(data)


def may_open(doc: dict | None, person: Person) -> bool:
    return bool(doc) and (person.sees_all or doc.get("unit") == person.unit)


def achievement(rows: list[dict], person: Person) -> dict:
    """The year's data base kinerja, quarters side by side: per unit and indicator, and each
    unit's average achievement per period (for the chart)."""
    if not person.sees_all:
        rows = [r for r in rows if r["unit"] == person.unit]
    periods = sorted({r["period"] for r in rows})
    table: dict[tuple, dict] = {}
    by_unit: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        key = (r["unit"], r["no"])
        t = table.setdefault(key, {"unit": r["unit"], "no": r["no"], "indikator": r["indikator"],
                                   "satuan": r["satuan"], "target": r["target"], "periods": {}})
        t["periods"][r["period"]] = {"realisasi": r["realisasi"], "capaian": r["capaian"]}
        by_unit[r["unit"]][r["period"]].append(r["capaian"])
    averages = {u: {p: rata(v) for p, v in ps.items()} for u, ps in by_unit.items()}

    def order(k):
        unit, no = k
        try:
            return unit, int(no), ""
        except (TypeError, ValueError):
            return unit, 0, str(no)

    return {"periods": [{"code": p, "label": Period.parse(p).label} for p in periods],
            "rows": [table[k] for k in sorted(table, key=order)], "averages": averages}


def registers(rows: list[dict], search: str) -> list[dict]:
    """Register entries matching a search (any of the words, case-insensitive), without
    Message-IDs (SPEC §3.1: not shown)."""
    words = [w.lower() for w in search.split() if w]
    out = []
    for r in rows:
        r = {k: v for k, v in r.items() if k != "message_id"}
        if words:
            hay = " ".join(str(v) for v in r.values() if v is not None).lower()
            if not all(w in hay for w in words):
                continue
        out.append(r)
    return clean(out)


def register_download_rows(rows: list[dict], hidden: set[str]) -> list[dict]:
    """Rows for the buku agenda XLSX: the Message-IDs of letters whose task is open removed."""
    out = []
    for r in rows:
        r = dict(r)
        mids = [m for m in (r.get("message_id") or "").split() if m not in hidden]
        r["message_id"] = " ".join(mids)
        out.append(r)
    return out


def when(text: str | None, tz) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).astimezone(tz)
    except ValueError:
        return None
