"""What can happen to a cycle: the events `engine.advance` takes, one at a time.

Frozen keyword-only dataclasses in one closed union, `Event`; `advance` matches every member and
ends in `assert_never`. The shell builds them from what it read (a timer due, an answer whose
sender and token it checked, a form it read, a bounce) and never passes anything else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from daemon.core.statuses import DecisionKind


@dataclass(frozen=True, kw_only=True)
class StoredFile:
    """An attachment already archived by the shell."""

    path: str
    sha256: str
    filename: str


@dataclass(frozen=True, kw_only=True)
class Start:
    period: str


@dataclass(frozen=True, kw_only=True)
class Tick:
    """Time passed: fire the timers that are due."""


@dataclass(frozen=True, kw_only=True)
class Reply:
    """An authorised answer to an open task (the inbound pipeline checked sender and token)."""

    task: str
    sender: str
    decision: DecisionKind  # a plain string with the same value also matches
    note: str = ""
    message_id: str = ""
    subject: str = ""
    meeting_date: date | None = None
    meeting_time: str | None = None
    meeting_place: str | None = None
    docx: StoredFile | None = None
    pdf: StoredFile | None = None
    other_files: list[StoredFile] = field(default_factory=list)
    # What the reader found wrong with the S11 signature code ("kode tanda tangan tidak ada" /
    # "... salah"; it read the reply as unclear). What follows is the engine's (answers.reply).
    code_problem: str = ""
    kode_ttd: bool = False  # the signature was given with its code (S11); the code itself never
    # For an unclear reply: what the reader understood and why it did not act, in Indonesian,
    # quoting the person's words (daemon/core/reply_grammar.py).
    understood: str = ""
    unclear: list[str] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class FormIn:
    """A unit's filled form, already read and checked against its indicators."""

    task: str
    sender: str
    ok: bool
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    message_id: str = ""
    submission_id: int = 0
    filename: str = ""
    notes: list[str] = field(default_factory=list)  # note rows of the form's table


@dataclass(frozen=True, kw_only=True)
class WrongFile:
    """A message to an open task whose attachments cannot be taken, as the shell read them:
    `too_large` when attachments were refused by the size limits ([mail.batas]), else the
    files are not the form (a scan, a photo, another document); `errors` names each file and
    what it is."""

    task: str
    sender: str
    errors: list[str] = field(default_factory=list)
    too_large: bool = False


@dataclass(frozen=True, kw_only=True)
class Bounce:
    recipient: str
    detail: str = ""
    message_id: str = ""


Event = Start | Tick | Reply | FormIn | WrongFile | Bounce
"""Everything that can happen to a cycle (a closed union: `advance` matches every member)."""
