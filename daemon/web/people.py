"""Who may sign in to the dashboard and what each one sees (SPEC §8).

Officials ([pejabat.*] and their `wakil`) and the operator ([operator] email, by default the
Kasubag) see everything; a unit (its address in [[unit]], or one of its `wakil`) sees only its own
forms, status and achievement.
"""

from __future__ import annotations

from dataclasses import dataclass

from daemon.config import Config

ROLE_LABEL = {
    "camat": "Camat",
    "sekretaris": "Sekretaris",
    "kasubag_perencanaan": "Kasubag Perencanaan",
}


@dataclass(frozen=True)
class Person:
    email: str
    name: str
    role: str  # "pejabat" | "operator" | "unit"
    unit: str | None = None  # the unit's code for role "unit"

    @property
    def sees_all(self) -> bool:
        return self.role != "unit"

    @property
    def is_operator(self) -> bool:
        return self.role in ("operator", "pejabat")


def operator_emails(cfg: Config) -> list[str]:
    raw = cfg.raw.get("operator", {}) if isinstance(cfg.raw, dict) else {}
    emails = raw.get("email", []) if isinstance(raw, dict) else []
    if isinstance(emails, str):
        emails = [emails]
    emails = [str(e).strip().lower() for e in emails if str(e).strip()]
    if not emails and "kasubag_perencanaan" in cfg.pejabat:
        emails = [cfg.kasubag.email]
    return emails


def directory(cfg: Config) -> dict[str, Person]:
    """Every address that may sign in, lower-cased. An address that is both an official and a
    unit's gets the wider view."""
    out: dict[str, Person] = {}
    for u in cfg.units:
        for addr in (u.email, *u.kepala.wakil):
            if addr:
                out.setdefault(addr.lower(), Person(addr.lower(), u.nama, "unit", u.kode))
    for role, o in cfg.pejabat.items():
        label = ROLE_LABEL.get(role, role)
        if o.email:
            out[o.email.lower()] = Person(
                o.email.lower(), f"{label} ({o.nama})" if o.nama else label, "pejabat"
            )
        for w in o.wakil:
            out[w.lower()] = Person(w.lower(), f"wakil {label}", "pejabat")
    for e in operator_emails(cfg):
        if e not in out or out[e].role == "unit":
            out[e] = Person(e, "Operator", "operator")
    return out
