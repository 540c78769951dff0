"""Reading one inbound message (SPEC §3): classify, correlate, authorise, read the decision or the
form. `analyse()` never changes anything (it serves `pantau inspect` too); the office shell turns
its result into an engine event.

Correlation order (SPEC §3.1): plus-address token, In-Reply-To/References against stored
Message-IDs, subject token, and for forms the form's embedded code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .classify import classify, find_cycle_tag, find_plus_tokens, find_subject_token
from .mime import Limits, parse_message
from .model import Attachment, Classification, DecisionRead, FormCode, FormResult, ParsedMessage
from .replies import read_decision, reply_text

XLSX_TYPES = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",)


def attachment_role(a: Attachment, awaiting: str) -> str:
    """form | document | signed_pdf | ignored, judged by content first (a name is only a hint)."""
    head = a.data[:8]
    if head.startswith(b"PK\x03\x04"):  # an Office file (or any zip: the form reader decides)
        if awaiting in ("form", ""):
            return "form"
        is_xlsx = a.filename.lower().endswith(".xlsx") or a.content_type in XLSX_TYPES
        return "ignored" if is_xlsx else "document"
    if head.startswith(b"%PDF"):
        return "ignored" if awaiting == "form" else "signed_pdf"
    return "ignored"


@dataclass
class Analysis:
    parsed: ParsedMessage
    cls: Classification
    token: str | None = None
    matched_by: str = ""
    task: dict | None = None  # tasks row
    sender_ok: bool | None = None
    sender_reason: str = ""
    text: str = ""
    decision: DecisionRead = field(default_factory=lambda: DecisionRead("none"))
    roles: list[tuple[Attachment, str]] = field(default_factory=list)
    form: FormResult | None = None
    form_attachment: Attachment | None = None
    errors: list[str] = field(default_factory=list)
    dmarc_fail: bool = False

    def to_json(self, file: str = "") -> dict[str, Any]:
        p = self.parsed
        form = None
        if self.form is not None:
            form = {
                "code": str(self.form.code) if self.form.code else None,
                "unit": self.form.code.unit if self.form.code else None,
                "rows": [{"no": r.no, "indikator": r.indikator, "target": r.target, "realisasi": r.realisasi,
                          "realisasi_anggaran": r.realisasi_anggaran, "capaian": r.capaian} for r in self.form.rows],
                "errors": [str(e) for e in self.form.errors],
                "warnings": [str(w) for w in self.form.warnings],
            }
        task = None
        if self.task:
            task = {"cycle": self.task["cycle"], "step": self.task["step"], "recipient": self.task["recipient"],
                    "status": self.task["status"], "matched_by": self.matched_by}
        return {
            "file": file, "kind": self.cls.kind, "reason": self.cls.reason, "message_id": p.message_id,
            "from": p.from_addr, "subject": p.subject, "token": self.token, "task": task,
            "sender_ok": self.sender_ok, "sender_reason": self.sender_reason,
            "decision": self.decision.decision, "note": self.decision.note,
            "attachments": [{"filename": a.filename, "content_type": a.content_type, "size": a.size, "role": r}
                            for a, r in self.roles],
            "form": form, "errors": list(self.errors) + list(p.errors),
        }


class Reader:
    """Analyses messages for one office. `store` may be None (inspect without a database)."""

    def __init__(self, *, address: str, domain: str, authserv_id: str = "", store=None,
                 wakil: dict[str, list[str]] | None = None, limits: Limits | None = None,
                 form_reader=None):
        self.address = address.lower()
        self.domain = domain.lower()
        self.authserv_id = authserv_id.strip().lower()
        self.store = store
        self.wakil = {k.lower(): [w.lower() for w in v] for k, v in (wakil or {}).items()}
        self.limits = limits or Limits()
        self.form_reader = form_reader  # callable(bytes, filename) -> FormResult

    # ------------------------------------------------------------------ correlation

    def correlate(self, p: ParsedMessage) -> tuple[str | None, str, dict | None]:
        local = self.address.split("@")[0]
        plus = find_plus_tokens(p.to + p.cc + p.delivered_to, local)
        if plus and self.store:
            for tok in plus:
                t = self.store.task_by_token(tok)
                if t:
                    return tok, "plus_address", t
        if self.store:
            ids = [m for m in (p.in_reply_to + p.references) if m]
            t = self.store.task_by_message_ids(ids)
            if t:
                return t["token"], "in_reply_to", t
        tok = find_subject_token(p.subject)
        if tok:
            t = self.store.task_by_token(tok) if self.store else None
            return tok, "subject_token", t
        return (plus[0] if plus else None), "", None

    def by_form_code(self, code: FormCode) -> dict | None:
        if not self.store:
            return None
        rows = self.store.q("SELECT * FROM tasks WHERE cycle=? AND unit=? AND purpose='form' ORDER BY opened DESC",
                            (code.cycle, code.unit))
        return rows[0] if rows else None

    # ------------------------------------------------------------------ trust

    def dmarc_failed(self, p: ParsedMessage) -> bool:
        """Only Authentication-Results added by our own server count; a sender can add any header."""
        if not self.authserv_id:
            return False
        for value in p.headers.get("authentication-results", []):
            serv = value.split(";", 1)[0].strip().lower()
            serv = serv.split()[0] if serv else ""
            if serv == self.authserv_id and re.search(r"\bdmarc\s*=\s*fail", value, re.I):
                return True
        return False

    def allowed_senders(self, task: dict) -> set[str]:
        r = task["recipient"].lower()
        # An address the task had before the configuration changed it still answers (SPEC §3.1).
        former = self.store.former_addresses(task["key"]) if self.store and task.get("key") else []
        return {r, *self.wakil.get(r, []), *former}

    # ------------------------------------------------------------------ the whole analysis

    def analyse(self, raw: bytes) -> Analysis:
        p = parse_message(raw, self.limits)
        cls = classify(p, own_addresses={self.address}, own_domains={self.domain})
        a = Analysis(parsed=p, cls=cls)
        if cls.kind in ("bounce", "malformed"):
            return a
        a.text = reply_text(p)
        a.token, a.matched_by, a.task = self.correlate(p)
        awaiting = a.task["purpose"] if a.task else ""
        allow_schedule = allow_selesai = False
        if a.task and self.store:
            st = self.store.load_cycle(a.task["cycle"])
            et = st.task(a.task["key"]) if st else None
            if et:
                allow_schedule, allow_selesai = et.allow_schedule, et.allow_selesai
        a.decision = read_decision(a.text, allow_schedule=allow_schedule, allow_selesai=allow_selesai)
        a.roles = [(att, attachment_role(att, awaiting)) for att in p.attachments]
        # Forms: read every candidate; the one whose embedded code fits wins.
        if self.form_reader and (awaiting in ("form", "") or cls.kind == "unrelated"):
            best: tuple[FormResult, Attachment] | None = None
            for att, role in a.roles:
                if role != "form":
                    continue
                res = self.form_reader(att.data, att.filename)
                if best is None or (res.code and not best[0].code) or (res.rows and not best[0].rows):
                    best = (res, att)
            if best:
                a.form, a.form_attachment = best
                if a.task is None and best[0].code:
                    t = self.by_form_code(best[0].code)
                    if t:
                        a.task, a.matched_by, a.token = t, "form_code", t["token"]
            if a.form and a.form.code and cls.kind == "unrelated":
                a.cls = Classification("reply", "kode formulir Pantau di lampiran")
        if a.cls.kind == "unrelated" and find_cycle_tag(p.subject):
            a.cls = Classification("reply", "tag siklus di subjek")
        if a.task:
            a.dmarc_fail = self.dmarc_failed(p)
            allowed = self.allowed_senders(a.task)
            if a.dmarc_fail:
                a.sender_ok, a.sender_reason = False, f"DMARC gagal menurut {self.authserv_id}"
            elif p.from_addr in allowed:
                a.sender_ok = True
            else:
                a.sender_ok = False
                a.sender_reason = (f"pengirim {p.from_addr} bukan penerima tugas ({a.task['recipient']})"
                                   " dan bukan wakilnya")
        return a
