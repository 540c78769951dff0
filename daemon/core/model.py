"""Plain data shared by the engine, the documents and the mail adapters.

Nothing here does I/O: these are the nouns of the domain (a period, an indicator, a filled form,
a parsed message) as frozen or simple dataclasses, so every module can exchange them without
importing another's machinery.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

# --------------------------------------------------------------------------- periods

ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
_PERIOD_RE = re.compile(r"^(\d{4})(?:-(TW[1-4]|S[12]))?$")


@dataclass(frozen=True)
class Period:
    """A monitored period: a quarter (2025-TW3), a half (2025-S1) or a year (2025)."""

    code: str
    year: int
    kind: str  # "triwulan" | "semester" | "tahunan"
    n: int  # quarter 1-4, half 1-2, or 0 for a year

    @classmethod
    def parse(cls, text: str) -> Period:
        m = _PERIOD_RE.match(text.strip().upper())
        if not m:
            raise ValueError(
                f"periode {text!r} tidak dikenal: gunakan 2025-TW3 (triwulan), 2025-S1 (semester) "
                "atau 2025 (tahunan)"
            )
        year, part = int(m.group(1)), m.group(2)
        if part is None:
            return cls(str(year), year, "tahunan", 0)
        if part.startswith("TW"):
            return cls(f"{year}-{part}", year, "triwulan", int(part[2]))
        return cls(f"{year}-{part}", year, "semester", int(part[1]))

    @property
    def cycle_code(self) -> str:
        return f"PK-{self.code}"

    @property
    def label(self) -> str:
        """Indonesian name, e.g. 'Triwulan III Tahun 2025'."""
        if self.kind == "triwulan":
            return f"Triwulan {ROMAN[self.n]} Tahun {self.year}"
        if self.kind == "semester":
            return f"Semester {ROMAN[self.n]} Tahun {self.year}"
        return f"Tahun {self.year}"

    @property
    def start(self) -> date:
        if self.kind == "triwulan":
            return date(self.year, 3 * self.n - 2, 1)
        if self.kind == "semester":
            return date(self.year, 6 * self.n - 5, 1)
        return date(self.year, 1, 1)

    @property
    def end(self) -> date:
        last_month = {"triwulan": 3 * self.n, "semester": 6 * self.n, "tahunan": 12}[self.kind]
        if last_month == 12:
            return date(self.year, 12, 31)
        return date.fromordinal(date(self.year, last_month + 1, 1).toordinal() - 1)

    @property
    def quarters(self) -> int:
        """How many quarters of the year the period reaches (for cumulative targets)."""
        if self.kind == "triwulan":
            return self.n
        if self.kind == "semester":
            return 2 * self.n
        return 4

    @classmethod
    def containing(cls, kind: str, day: date) -> Period:
        """The last complete period of `kind` before `day` (a cycle monitors a period just
        ended)."""
        q = (day.month - 1) // 3  # complete quarters this year
        if kind == "triwulan":
            return cls.parse(f"{day.year - 1}-TW4") if q == 0 else cls.parse(f"{day.year}-TW{q}")
        if kind == "semester":
            return (
                cls.parse(f"{day.year - 1}-S2") if day.month <= 6 else cls.parse(f"{day.year}-S1")
            )
        return cls.parse(str(day.year - 1))


# --------------------------------------------------------------------------- people and units


@dataclass(frozen=True)
class Official:
    """A person who signs or answers: the Camat, the Sekretaris, the Kasubag, a unit head."""

    nama: str
    jabatan: str
    nip: str = ""
    pangkat: str = ""
    email: str = ""
    wakil: tuple[str, ...] = ()
    wakil_ttd: tuple[str, ...] = ()  # delegates who may also sign (S11): a Plt., `ttd = true`


@dataclass(frozen=True)
class Unit:
    kode: str
    nama: str
    email: str
    kepala: Official


@dataclass(frozen=True)
class Office:
    """The office's identity for letterheads and letters (config [kantor])."""

    nama: str
    kabupaten: str
    alamat: str
    kota: str
    kode_unit: str
    zona_waktu: str = "Asia/Jakarta"
    domain: str = "kecamatan.test"
    logo: str | None = None  # absolute path of an image, or None
    telepon: str = ""
    email: str = ""
    laman: str = ""


# --------------------------------------------------------------------------- indicators


@dataclass(frozen=True)
class Indicator:
    """One row of the indicator master (SPEC §6.1)."""

    unit: str
    no: str
    sasaran: str
    program: str
    kegiatan: str
    sub_kegiatan: str
    indikator: str
    satuan: str
    polaritas: str  # "positif" | "negatif"
    target: float | None
    target_tw: tuple[float | None, float | None, float | None, float | None] = (
        None,
        None,
        None,
        None,
    )
    pagu: float | None = None

    def target_for(self, period: Period) -> float | None:
        """The target that applies to `period`: the cumulative quarterly plan when the master has
        it for the period's last quarter, else the annual target."""
        if period.kind != "tahunan":
            t = self.target_tw[period.quarters - 1]
            if t is not None:
                return t
        return self.target


# --------------------------------------------------------------------------- forms


@dataclass
class FormRow:
    """One indicator row as a unit filled it in (numbers already parsed)."""

    no: str
    indikator: str
    satuan: str = ""
    target: float | None = None
    realisasi: float | None = None
    capaian: float | None = None
    realisasi_anggaran: float | None = None
    faktor_pendorong: str = ""
    faktor_penghambat: str = ""
    tindak_lanjut: str = ""


@dataclass
class FormProblem:
    """An error or warning found in a filled form, said in Indonesian with its place."""

    message: str  # Indonesian, complete sentence: what is wrong and what is expected
    row: str | None = None  # indicator number as written in the form ("3"), or the table row
    indikator: str | None = None
    column: str | None = None  # the form's header text, e.g. "Realisasi"
    value: str | None = None  # what the unit typed

    def __str__(self) -> str:
        where = []
        if self.row:
            where.append(f"baris No. {self.row}")
        if self.indikator:
            where.append(f"indikator \u201c{self.indikator}\u201d")
        if self.column:
            where.append(f"kolom \u201c{self.column}\u201d")
        if self.value is not None:
            where.append(f"isian \u201c{self.value}\u201d")
        return (", ".join(where) + ": " if where else "") + self.message


@dataclass(frozen=True)
class FormCode:
    """The code embedded in every form: which cycle, unit and version it belongs to."""

    cycle: str  # PK-2025-TW3
    unit: str  # PEM
    version: int = 1

    def __str__(self) -> str:
        return f"PANTAU:{self.cycle}:{self.unit}:{self.version}"

    _RE = re.compile(r"PANTAU:(PK-\d{4}(?:-(?:TW[1-4]|S[12]))?):([A-Za-z0-9_.-]+):(\d+)")

    @classmethod
    def find(cls, text: str) -> FormCode | None:
        m = cls._RE.search(text or "")
        return cls(m.group(1), m.group(2), int(m.group(3))) if m else None


@dataclass
class FormResult:
    """What reading a filled form produced. `code` is None when no embedded code was found."""

    code: FormCode | None
    rows: list[FormRow] = field(default_factory=list)
    errors: list[FormProblem] = field(default_factory=list)
    warnings: list[FormProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # note rows of the table ("Keterangan: ...")

    @property
    def ok(self) -> bool:
        return not self.errors


# --------------------------------------------------------------------------- mail


@dataclass
class Attachment:
    """A file found in a message. `filename` is for display only: never a path."""

    filename: str
    content_type: str
    data: bytes
    source: str = "mime"  # mime | inline | tnef | msg | rfc822

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class BounceInfo:
    """What a delivery report says: who failed, how, and which of our messages it was."""

    recipients: list[tuple[str, str]] = field(default_factory=list)  # (address, status like 5.1.1)
    original_message_id: str | None = None
    permanent: bool = True


@dataclass
class ParsedMessage:
    """A message as the inbound pipeline sees it. Every field is safe to read: parse problems are
    listed in `errors` instead of being raised."""

    message_id: str | None = None  # normalised: no <>, no whitespace
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    from_addr: str = ""  # lower-case address (for display: a broken From is read leniently)
    from_name: str = ""
    # The author as RFC 5322 defines it (SPEC §3.1): the casefolded addr-spec of the one From
    # mailbox, "" when `author_problem` says why there is none that can be trusted.
    author: str = ""
    author_problem: str = (
        ""  # "" | from_tidak_ada | from_ganda | from_grup | from_rusak | sender_berbeda
    )
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    delivered_to: list[str] = field(default_factory=list)  # envelope/plus-address hints
    subject: str = ""
    date: datetime | None = None
    return_path: str | None = None  # "" for the null sender <>
    headers: dict[str, list[str]] = field(default_factory=dict)  # lower-case name -> values
    text: str = ""  # the best plain-text body (HTML converted when there is no text part)
    html: str | None = None
    text_from_html: bool = False  # no text/plain part: `text` is the HTML part as text
    attachments: list[Attachment] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # Limits the message went over (size, attachment count or size), said in Indonesian: the
    # sender is told, and the message is held rather than half-read.
    refused: list[str] = field(default_factory=list)

    def header(self, name: str) -> str:
        values = self.headers.get(name.lower()) or [""]
        return values[0]


@dataclass
class Classification:
    kind: str  # reply | auto_reply | bounce | unrelated | malformed
    reason: str = ""
    bounce: BounceInfo | None = None


@dataclass
class Unclear:
    """One reason a reply is unclear (SPEC §3.2), with the words as the person wrote them."""

    # syarat | tanya | ubah | tolak | sangkal | kata_awal | setuju_tengah | kode_saja | salam |
    # selesai | jadwal |
    # jadwal_salah | beda_html
    kind: str
    words: str = ""
    line: int = 0  # 1-based line of the own text (0: the whole message)


@dataclass
class DecisionRead:
    """What the own text of a reply decides (SPEC §3.2)."""

    decision: str  # approve | revise | schedule | unclear | none
    note: str = ""  # the rest of the text: comment or correction note (never the S11 code)
    first_line: str = ""
    meeting_date: date | None = None  # for schedule
    meeting_time: str | None = None  # "09:00"
    meeting_place: str | None = None
    seen: str = ""  # the decision word as written ("Setuju", "REVISI", "tidak setuju")
    kode: str | None = None  # six digits after the approval word (the S11 signature code)
    reasons: list[Unclear] = field(default_factory=list)  # why it is unclear
