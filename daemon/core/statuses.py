"""The lifecycles' statuses, one `StrEnum` per lifecycle.

Each member's value is the exact string stored in the database and written in JSON output, so
no data migration is needed: a `StrEnum` compares equal to its string (`TaskStatus.OPEN ==
"open"`), formats as it (`f"{x}"`), and `json.dumps` writes it as the plain string. The engine's
statuses are English (they live in the cycle's JSON state); the shell's tables (outbox, inbound)
use the Indonesian words an operator reads in `pantau status`.
"""

from __future__ import annotations

from enum import StrEnum


class CycleStatus(StrEnum):
    RUNNING = "running"
    CLOSED = "closed"


class StepStatus(StrEnum):
    WAITING = "waiting"
    ACTIVE = "active"
    DONE = "done"
    SKIPPED = "skipped"


class TaskStatus(StrEnum):
    """A task (something Pantau waits for from one person): replies count only while open."""

    OPEN = "open"
    CLOSED = "closed"


class TaskPurpose(StrEnum):
    DECISION = "decision"
    FORM = "form"
    UPLOAD = "upload"


class UnitStatus(StrEnum):
    """A unit's data in one cycle."""

    PENDING = "pending"
    RECEIVED = "received"
    MISSING = "missing"


class DraftSource(StrEnum):
    GENERATED = "generated"
    UPLOADED = "uploaded"


class DecisionKind(StrEnum):
    """What a reply decides, as read by daemon/core/reply_grammar.py."""

    APPROVE = "approve"
    REVISE = "revise"
    SCHEDULE = "schedule"
    UNCLEAR = "unclear"
    NONE = "none"


class TimerKind(StrEnum):
    REMIND = "ingat"
    ESCALATE = "eskalasi"
    REMIND_UNITS = "ingat_unit"
    CLOSE_COLLECTION = "tutup_kumpul"
    MEETING_OVER = "rapat_selesai"


class OutboxStatus(StrEnum):
    """A queued e-mail (table `outbox`)."""

    QUEUED = "antri"
    SENDING = "mengirim"
    SENT = "terkirim"
    FAILED = "gagal"
    CANCELLED = "dibatalkan"


class InboundStatus(StrEnum):
    """A received message (table `inbound`)."""

    NEW = "baru"
    PROCESSED = "diproses"
    HELD = "ditahan"
    FAILED = "gagal"
    IGNORED = "diabaikan"
    DUPLICATE = "duplikat"
    ANSWERED_BEFORE = "dijawab_sebelumnya"
