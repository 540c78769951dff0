"""The inbound pipeline: every message is stored first, recorded, then processed (SPEC §3).

`ingest` archives the raw bytes and records them in their own transaction before anything is
read, so a crash never loses a message; `process` reads it (daemon/shell/inbound.py's `Reader`:
classify, correlate, authorise, decision, form), and in one transaction either holds it, ignores
it, or turns it into an engine event (`Reply`, `FormIn`, `WrongFile`) that the office advances. A
message that crashes the reader or a renderer is marked `gagal` and the others go on.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from daemon.core import engine as E
from daemon.core.model import FormCode, Period
from daemon.core.reply_grammar import explain, understood
from daemon.core.statuses import CycleStatus, TaskStatus
from daemon.mail.mime import LEAN_FROM, RawMessage
from daemon.mail.replies import subject_clean
from daemon.mail.transports.base import DIABAIKAN, DIPROSES, GAGAL, file_all
from daemon.shell.faults import crash_point
from daemon.shell.inbound import Analysis

if TYPE_CHECKING:
    from daemon.shell.office import OfficeApp

log = logging.getLogger("pantau")

# How many processed messages are filed together (the IMAP transport fetches 25 at a time).
FILE_BATCH = 25


class Incoming:
    """Reads the office's inbox and turns each message into an event of the office
    (`office.advance`); a bounce becomes a refusal of the outbox (`office.outgoing`)."""

    def __init__(self, office: OfficeApp):
        self.office = office
        self.cfg = office.cfg
        self.store = office.store
        self.archive = office.archive
        self.clock = office.clock
        self.reader = office.reader
        self.answering = office.answering  # what the notices sent meanwhile answer
        self.reader.spool_dir = self.archive.root / ".spool"  # big parts decoded (spool.py)

    @property
    def transport(self):
        return self.office.transport

    def poll(self) -> int:
        """Ingest every new message; file them in batches (one IMAP MOVE per target folder for
        up to FILE_BATCH messages). Each message is stored, recorded and processed before its
        batch is filed, so a crash between the two leaves messages in the inbox that the next
        start recognises (same sha256) and only files."""
        n = 0
        pending: list[tuple[str, str]] = []
        try:
            for inc in self.transport.fetch_new():
                pending.append((inc.ref, self.ingest(inc.raw, inc.ref, inc.stream)))
                del inc
                n += 1
                if len(pending) >= FILE_BATCH:
                    self._file(pending)
                    pending = []
        finally:
            self._file(pending)
        return n

    def _file(self, pending: list[tuple[str, str]]) -> None:
        if not pending:
            return
        crash_point("filing")
        for e in file_all(self.transport, pending):
            log.warning("tidak dapat memindahkan pesan %s: %s",
                        ", ".join(ref for ref, _ in pending), e)

    def ingest(self, raw: bytes, ref: str = "",
               stream: Callable[[], Iterator[bytes]] | None = None) -> str:
        """Store first, record, then process. Returns the folder outcome. The bytes are passed
        on to processing (the archived copy is not read back); a big message handed over as a
        `stream` is written to the archive chunk by chunk and read from there line by line."""
        if stream is not None:
            sha, path, size = self.archive.store_stream(stream())
            src = RawMessage(size=size, path=path)
        else:
            sha, path = self.archive.store_raw(raw)
            size, src = len(raw), RawMessage.of(raw)
        now = self.clock.now()
        with self.store.transaction():
            mid, new = self.store.record_inbound(sha, str(path), size, ref, now)
        crash_point("stored")
        if not new:
            row = self.store.inbound(mid)
            if row and row["status"] != "baru":
                return DIABAIKAN if row["status"] in ("diabaikan", "duplikat") else (
                    GAGAL if row["status"] in ("ditahan", "gagal") else DIPROSES)
        return self.process(mid, src)

    def process(self, inbound_id: int, src: RawMessage | None = None) -> str:
        self.answering.inbound_id = inbound_id
        try:
            with self.store.transaction():
                outcome = self._process(inbound_id, src)
            crash_point("committed")
            return outcome
        except Exception as e:  # a parser or renderer crash: hold this message, go on with others
            log.exception("pesan %s gagal diproses", inbound_id)
            with self.store.transaction():
                row = self.store.inbound(inbound_id) or {}
                self.store.update_inbound(
                    inbound_id,
                    status="gagal",
                    reason=f"{type(e).__name__}: {e}"[:500],
                    attempts=(row.get("attempts") or 0) + 1,
                )
            return GAGAL
        finally:
            self.answering.message_id = None
            self.answering.inbound_id = None

    def _hold(self, id: int, a: Analysis, reason: str) -> str:
        self.store.update_inbound(
            id,
            status="ditahan",
            reason=reason,
            kind=a.cls.kind,
            cycle=a.task["cycle"] if a.task else None,
            task=a.task["key"] if a.task else None,
        )
        if a.task:
            self.store.add_log(a.task["cycle"], self.clock.now(), a.task["step"], "pesan_ditahan",
                               a.parsed.from_addr, reason)
        log.warning(
            "pesan #%s dari %s ditahan: %s",
            id,
            a.parsed.from_addr,
            reason,
            extra={
                "cycle": a.task["cycle"] if a.task else None,
                "step": a.task["step"] if a.task else None,
                "event": "pesan_ditahan",
                "who": a.parsed.from_addr,
                "message_id": a.parsed.message_id,
            },
        )
        return GAGAL

    def _process(self, id: int, src: RawMessage | None = None) -> str:
        row = self.store.inbound(id)
        raw = src or archived(Path(row["path"]))
        now = self.clock.now()
        a = self.reader.analyse(raw)
        del raw, src
        p = a.parsed
        self.store.update_inbound(
            id,
            message_id=p.message_id,
            sender=p.from_addr,
            subject=p.subject[:300],
            kind=a.cls.kind,
            processed=now.isoformat(),
            attempts=(row["attempts"] or 0) + 1,
        )
        if p.message_id and self.store.seen_message_id(p.message_id, id):
            self.store.update_inbound(
                id, status="duplikat", reason="Message-ID sudah pernah diproses"
            )
            return DIABAIKAN
        if a.cls.kind == "bounce":
            return self._bounce(id, a)
        if a.cls.kind in ("auto_reply", "unrelated"):
            self.store.update_inbound(id, status="diabaikan", reason=a.cls.reason)
            log.info(
                "pesan #%s dari %s diabaikan (%s: %s)",
                id,
                p.from_addr,
                a.cls.kind,
                a.cls.reason,
                extra={"event": "pesan_diabaikan", "who": p.from_addr, "message_id": p.message_id},
            )
            return DIABAIKAN
        if a.cls.kind == "malformed":
            return self._hold(id, a, f"pesan rusak: {a.cls.reason}")
        if a.task is None:
            return self._hold(
                id, a, "tidak cocok dengan tugas mana pun (token/Message-ID tidak dikenal)"
            )
        if not a.sender_ok:
            return self._hold(id, a, a.sender_reason)
        task = a.task
        st = self.store.load_for_task(task["cycle"], task["key"])  # only the rows it touches
        et = st.task(task["key"]) if st else None
        self.store.update_inbound(id, cycle=task["cycle"], task=task["key"])
        self.answering.message_id = p.message_id
        if et is None:
            return self._hold(id, a, "tugas tidak ditemukan pada siklus")
        if et.status != TaskStatus.OPEN or st.status != CycleStatus.RUNNING:
            self.office.advance(st, E.Reply(task=et.key, sender=p.from_addr,
                                            decision=a.decision.decision,
                                            subject=plain_subject(p.subject),
                                            message_id=p.message_id or ""))
            self.store.update_inbound(
                id, status="diproses", reason="tugas sudah ditutup: dijawab sudah diproses"
            )
            return DIPROSES
        if p.refused:
            self.office.advance(st, E.WrongFile(task=et.key, sender=p.from_addr,
                                                errors=list(p.refused), too_large=True), now)
            self.store.update_inbound(
                id, status="ditahan", reason="melebihi batas: " + "; ".join(p.refused)[:400]
            )
            return GAGAL
        if et.purpose == "form":
            event = self._form_event(id, a, st, et, now)
            if isinstance(event, E.WrongFile):
                self.office.advance(st, event, now)
                self.store.update_inbound(id, status="diproses", reason="lampiran bukan formulir")
                return DIPROSES
        else:
            event = self._reply_event(a, st, et)
        self.office.advance(st, event)
        self.store.update_inbound(id, status="diproses", reason="")
        log.info("pesan #%s dari %s diproses (%s %s)", id, p.from_addr, task["cycle"], task["step"],
                 extra={"cycle": task["cycle"], "step": task["step"], "event": "pesan_diproses",
                        "who": p.from_addr, "message_id": p.message_id})
        return DIPROSES

    def _store_attachment(self, cycle: str, att) -> E.StoredFile:
        sha, path = self.archive.store_received(cycle, att.data, att.filename)
        return E.StoredFile(path=str(path), sha256=sha, filename=att.filename)

    def _form_event(self, id: int, a: Analysis, st: E.CycleState, et: E.Task, now: datetime
                    ) -> E.FormIn | E.Reply | E.WrongFile:
        p = a.parsed
        if a.form is None or (not a.form.rows and not a.form.code):
            from daemon.documents.wrongfile import describe

            # each file named with what it is (SPEC §6.2); a picture inline in the text (a signature
            # logo) is only named when nothing else was attached
            attached = [(att, role) for att, role in a.roles if att.source != "inline"] or a.roles
            reasons = [
                describe(att.data, att.filename) or f"{att.filename}: bukan formulir DOCX/XLSX"
                for att, role in attached
                if role != "form"
            ]
            if a.form is not None:
                name = a.form_attachment.filename if a.form_attachment else ""
                reasons += [f"{name}: {e}" if name else str(e) for e in a.form.errors]
            if not a.roles:
                return E.Reply(
                    task=et.key,
                    sender=p.from_addr,
                    decision=a.decision.decision,
                    note=a.decision.note,
                    subject=plain_subject(p.subject),
                    message_id=p.message_id or "",
                )
            return E.WrongFile(task=et.key, sender=p.from_addr, errors=reasons)
        from daemon.documents import check_form

        expected = FormCode(st.code, et.unit or "", et.doc_version or 1)
        result = check_form(a.form, expected, self.office.indicators_for(et.unit or ""),
                            unit_names={u.kode: u.nama for u in self.cfg.units})
        peringatan = self._plausibility(st, et.unit or "", result)
        att = a.form_attachment
        stored = self._store_attachment(st.code, att)
        rows = [r.__dict__ for r in result.rows]
        sub_id = self.store.add_submission(
            cycle=st.code,
            unit=et.unit,
            received=now.isoformat(),
            message_id=p.message_id,
            sender=p.from_addr,
            filename=att.filename,
            sha256=stored.sha256,
            path=stored.path,
            ok=int(result.ok),
            errors=[str(e) for e in result.errors],
            warnings=[str(w) for w in result.warnings],
            rows=rows,
            peringatan=peringatan,
            catatan=list(result.notes),
        )
        if result.ok:
            self.store.add_document(
                cycle=st.code,
                kind="form_received",
                version=st.units[et.unit].version + 1,
                unit=et.unit,
                path=stored.path,
                sha256=stored.sha256,
                source="diterima",
                message_id=p.message_id or "",
                now=now,
            )
        return E.FormIn(
            task=et.key,
            sender=p.from_addr,
            ok=result.ok,
            errors=[str(e) for e in result.errors],
            warnings=[str(w) for w in result.warnings],
            message_id=p.message_id or "",
            submission_id=sub_id,
            filename=att.filename,
            notes=list(result.notes),
        )

    def _plausibility(self, st: E.CycleState, unit: str, result) -> list[dict]:
        """Plausibility warnings (SPEC §6.2) added to the form's warnings; returned as the dicts the
        draft report lists (`peringatan`)."""
        from daemon.core import plausibility

        period = Period.parse(st.period)
        previous = plausibility.previous_figures(
            self.store.kinerja_unit_year(period.year, unit), period, unit)
        found = plausibility.check(result.rows, self.office.indicators_for(unit), period, previous)
        result.warnings.extend(w.problem() for w in found)
        nama = next((u.nama for u in self.cfg.units if u.kode == unit), unit)
        return [w.as_dict(unit, nama) for w in found]

    def _reply_event(self, a: Analysis, st: E.CycleState, et: E.Task) -> E.Reply:
        p = a.parsed
        docx = pdf = None
        others = []
        for att, role in a.roles:
            if role in ("document", "form") and docx is None and att.data[:2] == b"PK":
                docx = self._store_attachment(st.code, att)
            elif role == "signed_pdf" and pdf is None:
                pdf = self._store_attachment(st.code, att)
            elif role != "ignored" or att.source != "inline":
                others.append(self._store_attachment(st.code, att))
        d = a.decision
        return E.Reply(task=et.key, sender=p.from_addr, decision=d.decision, note=d.note,
                       message_id=p.message_id or "", subject=self._letter_subject(p, et),
                       meeting_date=d.meeting_date, meeting_time=d.meeting_time,
                       meeting_place=d.meeting_place, docx=docx, pdf=pdf, other_files=others,
                       code_problem=a.code_problem, kode_ttd=a.code_given,
                       understood=understood(d) if d.decision == "unclear" else "",
                       unclear=[explain(u) for u in d.reasons])

    def _letter_subject(self, p, et: E.Task) -> str:
        """The subject a register shows for a reply: the reply's own, unless it answers one of
        Pantau's notices (a clarification, a reminder), whose subject says nothing of the
        matter; then the subject of the task's letter."""
        subject = plain_subject(p.subject)
        if not self.store.task_notice_with_subject(et.key, subject):
            return subject
        letter = self.store.task_letter_subject(et.key)
        return plain_subject(letter) if letter else subject

    def _bounce(self, id: int, a: Analysis) -> str:
        info = a.cls.bounce
        cycle, row = None, None
        if info and info.original_message_id:
            row = self.store.outbox_by_message_id(info.original_message_id)
            cycle = row["cycle"] if row else None
        if cycle and info:
            refused = {addr: f"status {status}" for addr, status in info.recipients}
            self.office.outgoing.undeliverable(row, refused)
        self.store.update_inbound(
            id, status="diabaikan", reason=f"laporan gagal kirim ({a.cls.reason})", cycle=cycle
        )
        return DIABAIKAN

    def replay(self, inbound_id: int) -> str:
        with self.store.transaction():
            self.store.update_inbound(inbound_id, status="baru", reason="", rem="")
        return self.process(inbound_id)


def archived(path: Path) -> RawMessage:
    """An archived message to process again (a replay, a restart): read whole when small, else
    from its file."""
    size = path.stat().st_size
    if size <= LEAN_FROM:
        return RawMessage.of(path.read_bytes())
    return RawMessage(size=size, path=path)


def plain_subject(subject: str) -> str:
    """A reply's subject as a register shows it: no Re:/BLS: prefixes, no cycle tag, no token."""
    s = re.sub(
        r"\[\s*#?[0-9A-Za-z]{4}-[0-9A-Za-z]{4}\s*\]|\[PK-[^\]]*\]", " ", subject_clean(subject)
    )
    return subject_clean(re.sub(r"\s+", " ", s).strip())

