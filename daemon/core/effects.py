"""What the engine asks of the shell: the effects of one event, applied in one transaction.

Frozen keyword-only dataclasses in one closed union, `Effect`; the shell's `apply`
(daemon/shell/office.py) matches every member. Also here: the loop brake's policy, which notices
go at most once a day (`brake_key`), since it is a rule about what a notice says.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from daemon.core.events import StoredFile


@dataclass(frozen=True, kw_only=True)
class DocRef:
    kind: (
        str  # form | draft_report | final_report | cover_letter | invitation | emonev_export | ...
    )
    version: int = 0
    unit: str | None = None


@dataclass(frozen=True, kw_only=True)
class Log:
    step: str
    event: str
    who: str = ""
    detail: str = ""


@dataclass(frozen=True, kw_only=True)
class Envelope:
    to: list[str]
    cc: list[str] = field(default_factory=list)
    task: str | None = None
    docs: list[DocRef] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class SendLetter:
    """A letter: one `keluar` register entry, one or more e-mails (envelopes)."""

    step: str
    kind: str  # nota_dinas | permintaan_data | undangan | pengantar | "" (no cover document)
    purpose: str
    hal: str
    tujuan: str  # who, as written in the register
    kode: str  # which [penomoran.kode] entry
    envelopes: list[Envelope]
    docs: list[DocRef] = field(default_factory=list)  # attached to every envelope
    data: dict = field(default_factory=dict)
    register: bool = (
        True  # False: a working copy (S5's draft to the Kasubag), not a letter (SPEC §4)
    )
    # Whom the cover letter is addressed to ("Yth."), decided here, named by the shell's people
    # directory: a role key ("camat"), `unit:<kode>` for a unit's head, or PESERTA_RAPAT.
    kepada: list[str] = field(default_factory=list)


PESERTA_RAPAT = "peserta_rapat"
"""The invitation's collective addressee: the officials of echelon III and IV of the office."""


def unit_head(kode: str) -> str:
    """The addressee key of a unit's head (`unit:SEK`)."""
    return f"unit:{kode}"


@dataclass(frozen=True, kw_only=True)
class SendNotice:
    """A notification (acknowledgement, reminder, clarification, escalation): logged, not
    registered."""

    step: str
    kind: str
    to: list[str]
    cc: list[str] = field(default_factory=list)
    task: str | None = None
    docs: list[DocRef] = field(default_factory=list)
    data: dict = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class MakeDoc:
    ref: DocRef
    data: dict = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class RecordDoc:
    ref: DocRef
    file: StoredFile
    message_id: str = ""


@dataclass(frozen=True, kw_only=True)
class RegisterIn:
    step: str
    pengirim: str
    perihal: str
    lampiran: str
    message_id: str
    disposisi: str = ""
    keterangan: str = ""
    files: list[StoredFile] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class SaveKinerja:
    """Keep the cycle's accepted data in the data base kinerja."""


Effect = Log | SendLetter | SendNotice | MakeDoc | RecordDoc | RegisterIn | SaveKinerja
"""Everything the engine can ask of the shell (office.py's `apply` matches every member)."""


# The loop brake (SPEC §3.2): notices that answer a person's message go at most once per address,
# kind, task and day, keyed on what the notice says. What the person wrote and what Pantau read in
# it are left out of the key: one clarification per task and day, whatever the words, and an
# auto-responder that quotes the time gets no fresh answer every round trip.
BRAKED = frozenset({"mohon_jelas", "sudah_diproses", "lampirkan_formulir", "pengumpulan_ditutup",
                    "formulir_salah", "berkas_salah", "gagal_kirim"})
BRAKE_IGNORES = frozenset({"baris", "dipahami", "sebab"})


def brake_key(fx: SendNotice) -> str | None:
    """The key under which the shell remembers a braked notice for the day (the store keeps
    which keys went out to which address on which day); None when the notice is never braked."""
    if fx.kind not in BRAKED:
        return None
    said = {k: v for k, v in fx.data.items() if k not in BRAKE_IGNORES}
    detail = hashlib.sha1(json.dumps(said, sort_keys=True, default=str).encode()).hexdigest()[:8]
    return f"{fx.kind}:{fx.task or ''}:{detail}"
