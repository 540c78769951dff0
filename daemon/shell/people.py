"""The people directory: who an address is, as registers name them and letters greet them.

Everything here is read from the configuration (`[pejabat]`, `[[unit]]`); nothing is stored.
"""

from __future__ import annotations

from daemon.config import Config
from daemon.core.effects import PESERTA_RAPAT


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

    def addressee(self, key: str) -> str:
        """The "Yth." line for an addressee the engine named (`SendLetter.kepada`): a role's
        title, a unit head's title, or the invitation's collective addressee."""
        if key == PESERTA_RAPAT:
            return f"Bapak/Ibu Pejabat Eselon III dan IV di Lingkungan {self.cfg.kantor.nama}"
        if key.startswith("unit:"):
            kode = key.removeprefix("unit:")
            if kode == "SEK":
                return "Sekretaris Camat"
            unit = next((u for u in self.cfg.units if u.kode == kode), None)
            return f"Kepala {unit.nama}" if unit else kode
        official = self.cfg.pejabat.get(key)
        return official.jabatan if official else key

    def unit_of(self, email: str):
        for u in self.cfg.units:
            if email.lower() == u.email:
                return u
        return None
