"""The people directory: who an address is, as registers name them and letters greet them.

Everything here is read from the configuration (`[pejabat]`, `[[unit]]`); nothing is stored.
"""

from __future__ import annotations

from daemon.config import Config


class People:
    def __init__(self, cfg: Config):
        self.cfg = cfg

    def who(self, email: str) -> str:
        """'Name (jabatan) <email>' for registers."""
        email = (email or "").lower()
        for o in self.cfg.pejabat.values():
            if email == o.email or email in o.wakil:
                return f"{o.jabatan} ({o.nama})" + (
                    "" if email == o.email else f" melalui wakil {email}"
                )
        for u in self.cfg.units:
            if email == u.email or email in u.kepala.wakil:
                return u.nama
        return email

    def salutation(self, email: str) -> str:
        email = email.lower()
        for o in self.cfg.pejabat.values():
            if email == o.email:
                return f"{o.jabatan}"
        for u in self.cfg.units:
            if email == u.email:
                return f"Kepala {u.nama}" if u.kode != "SEK" else u.kepala.jabatan or u.nama
        return email

    def unit_of(self, email: str):
        for u in self.cfg.units:
            if email.lower() == u.email:
                return u
        return None
