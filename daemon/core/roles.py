"""The office's roles: the keys of `[pejabat.*]` in the config and of `pelaksana` in the SOP.

One set, used by the engine, the SOP loader, the config and the shell, so a role key is never
spelled out by hand. `Role` is a `StrEnum`: its values are the keys written in the TOML files and
stored in the tasks table, unchanged.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    CAMAT = "camat"
    SEKRETARIS = "sekretaris"
    KASUBAG = "kasubag_perencanaan"
    UNIT = "unit"  # a unit (Sekretariat, Seksi): its head answers for it


OFFICIALS: tuple[Role, ...] = (Role.CAMAT, Role.SEKRETARIS, Role.KASUBAG)
"""The officials the config names under [pejabat.*] (every role but the units)."""

ROLE_NAMES: dict[str, str] = {
    Role.CAMAT: "Camat",
    Role.SEKRETARIS: "Sekretaris Camat",
    Role.KASUBAG: "Kasubag Perencanaan",
    Role.UNIT: "unit",
}
"""How the engine names a role in the log and the registers (Indonesian)."""
