"""Reading one inbound message (SPEC §3): classify, correlate, authorise, read the decision or the
form. `analyse()` never changes anything (it serves `pantau inspect` too); the office shell turns
its result into an engine event.

Correlation order (SPEC §3.1): plus-address token, In-Reply-To/References against stored
Message-IDs, subject token, and for forms the form's embedded code.

Trust (SPEC §3.1, `check_sender`), in this order, the first failure named in `sender_reason`
(Indonesian) and `sender_check` (a stable keyword):
1. the From header: one mailbox, parsed as RFC 5322 says, no group, no other Sender (mime.py);
2. the address: the task's recipient or a configured `wakil`;
3. the signature (S11): a `wakil` only when marked `ttd = true`;
4. for a reply that decides (approve, revise, schedule, a document, a form): the letter it
   answers (In-Reply-To naming one of Pantau's letters of the task, or its token when
   In-Reply-To is absent or names such a letter; never References alone; a form may match by
   its embedded code), then the authentication of its From domain (daemon/mail/trust.py); a
   second Subject, In-Reply-To, References, Message-ID, To, Cc or Reply-To is held (DKIM reads
   the bottom one, Pantau the top one); with `dkim` the valid signature must sign the header
   that matched (`signed_match`); with `authres`, whose verdict does not say what was signed, a
   match by In-Reply-To also needs the task's token in the subject.
At S11 an approval or a signed PDF also needs the six-digit signature code on the first line
(`check_signature_code`): without it, or with a wrong one, the decision is unclear.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from daemon.core.model import (
    Attachment,
    Classification,
    DecisionRead,
    FormCode,
    FormResult,
    ParsedMessage,
)
from daemon.core.verification import signature_code
from daemon.mail.classify import classify, find_cycle_tag, find_plus_tokens, find_subject_token
from daemon.mail.mime import Limits, RawMessage, parse_message
from daemon.mail.replies import read_reply
from daemon.mail.trust import TrustSettings, authenticate

DECIDING = ("approve", "revise", "schedule")
AUTHOR_PROBLEMS = {
    "from_tidak_ada": "pesan tanpa kepala From: pengirim tidak dapat dipastikan",
    "from_ganda": "kepala From memuat lebih dari satu alamat: pengirim tidak dapat dipastikan",
    "from_grup": "kepala From berupa grup alamat: pengirim tidak dapat dipastikan",
    "from_rusak": "kepala From tidak sah menurut RFC 5322: pengirim tidak dapat dipastikan",
    "sender_berbeda": "kepala Sender berbeda dari From: pesan dikirim atas nama orang lain",
}

#: Header fields RFC 5322 allows once: a second one (a forger's, above the signed one that DKIM
#: reads bottom-up) could point a signed reply at another letter.
SINGLE_HEADERS = ("subject", "in-reply-to", "references", "message-id", "to", "cc", "reply-to")

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
    sender_check: str = ""  # stable keyword of the failed check (see the module docstring)
    decides: bool = False  # the reply would decide something if it counted
    code_problem: str = ""  # S11: "kode tanda tangan tidak ada" / "... salah"
    code_given: bool = False  # S11: the right signature code was on the first line

    def to_json(self, file: str = "") -> dict[str, Any]:
        p = self.parsed
        form = None
        if self.form is not None:
            form = {
                "code": str(self.form.code) if self.form.code else None,
                "unit": self.form.code.unit if self.form.code else None,
                "rows": [
                    {
                        "no": r.no,
                        "indikator": r.indikator,
                        "target": r.target,
                        "realisasi": r.realisasi,
                        "realisasi_anggaran": r.realisasi_anggaran,
                        "capaian": r.capaian,
                    }
                    for r in self.form.rows
                ],
                "errors": [str(e) for e in self.form.errors],
                "warnings": [str(w) for w in self.form.warnings],
                "notes": list(self.form.notes),
            }
        task = None
        if self.task:
            task = {
                "cycle": self.task["cycle"],
                "step": self.task["step"],
                "recipient": self.task["recipient"],
                "status": self.task["status"],
                "matched_by": self.matched_by,
            }
        return {
            "file": file,
            "kind": self.cls.kind,
            "reason": self.cls.reason,
            "message_id": p.message_id,
            "from": p.from_addr,
            "subject": p.subject,
            "token": self.token,
            "task": task,
            "sender_ok": self.sender_ok,
            "sender_reason": self.sender_reason,
            "sender_check": self.sender_check,
            "kode_ttd": (
                "benar"
                if self.code_given
                else (
                    "salah"
                    if "salah" in self.code_problem
                    else "tidak_ada"
                    if self.code_problem
                    else None
                )
            ),
            "decision": self.decision.decision,
            "note": self.decision.note,
            "unclear": [
                {"kind": u.kind, "words": u.words, "line": u.line} for u in self.decision.reasons
            ],
            "code_given": self.decision.kode is not None,
            "attachments": [
                {"filename": a.filename, "content_type": a.content_type, "size": a.size, "role": r}
                for a, r in self.roles
            ],
            "form": form,
            "errors": list(self.errors) + list(p.errors),
        }


class Reader:
    """Analyses messages for one office. `store` may be None (inspect without a database)."""

    def __init__(self, *, address: str, domain: str, authserv_id: str = "", store=None,
                 wakil: dict[str, list[str]] | None = None, limits: Limits | None = None,
                 form_reader=None, trust: TrustSettings | None = None,
                 wakil_ttd: dict[str, list[str]] | None = None, signature_step: str = "",
                 secret: bytes | None = None, kode_ttd: bool = True, grammar=None):
        self.address = address.lower()
        self.domain = domain.lower()
        self.authserv_id = authserv_id.strip().lower()
        self.store = store
        self.wakil = {k.lower(): [w.lower() for w in v] for k, v in (wakil or {}).items()}
        self.wakil_ttd = {k.lower(): [w.lower() for w in v] for k, v in (wakil_ttd or {}).items()}
        self.limits = limits or Limits()
        self.form_reader = form_reader  # callable(bytes, filename) -> FormResult
        self.trust = trust or TrustSettings(authserv_id=self.authserv_id)
        self.signature_step = signature_step  # the step whose approval is the signature (S11)
        self.secret = secret
        self.kode_ttd = kode_ttd
        self.grammar = grammar  # reply_grammar.Grammar with the office's own words, or None
        self.spool_dir: Path | None = None  # where big parts are decoded (None: the system's tmp)

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
            t = self.store.task_by_message_ids([m for m in p.in_reply_to if m])
            if t:
                return t["token"], "in_reply_to", t
            t = self.store.task_by_message_ids([m for m in p.references if m])
            if t:
                return t["token"], "references", t
        tok = find_subject_token(p.subject)
        if tok:
            t = self.store.task_by_token(tok) if self.store else None
            return tok, "subject_token", t
        return (plus[0] if plus else None), "", None

    def by_form_code(self, code: FormCode) -> dict | None:
        if not self.store:
            return None
        return self.store.form_task_of_unit(code.cycle, code.unit)

    # ------------------------------------------------------------------ trust

    def dmarc_failed(self, p: ParsedMessage) -> bool:
        """Our own receiving server (the topmost Authentication-Results, from `authserv_id`)
        says DMARC failed. Held whatever `verifikasi` says."""
        if not self.authserv_id:
            return False
        values = p.headers.get("authentication-results", [])
        if not values:
            return False
        import authres

        try:
            h = authres.AuthenticationResultsHeader.parse("Authentication-Results: " + values[0])
        except Exception:  # noqa: BLE001
            return False
        return (h.authserv_id or "").lower() == self.authserv_id and any(
            (r.method or "").lower() == "dmarc" and (r.result or "").lower() == "fail"
            for r in h.results
        )

    def allowed_senders(self, task: dict) -> set[str]:
        r = task["recipient"].lower()
        # An address the task had before the configuration changed it still answers (SPEC §3.1).
        former = self.store.former_addresses(task["key"]) if self.store and task.get("key") else []
        return {r, *self.wakil.get(r, []), *former}

    def letter_matched(self, p: ParsedMessage, a: Analysis) -> tuple[bool, str, str]:
        """Does a deciding reply answer its own letter? (ok, keyword, reason)."""
        task = a.task
        if a.matched_by == "in_reply_to":
            return True, "", ""
        if a.matched_by == "form_code" or (
                task["purpose"] == "form" and a.form is not None and a.form.code is not None
                and a.form.code.cycle == task["cycle"] and a.form.code.unit == task["unit"]):
            return True, "", ""
        if a.matched_by == "references":
            return False, "hanya_references", (
                "hanya cocok melalui References (bukan balasan langsung atas surat Pantau): "
                "mungkin balasan atas pesan lain yang meneruskan surat Pantau")
        if a.matched_by in ("plus_address", "subject_token"):
            irt = [m for m in p.in_reply_to if m]
            if not irt:
                return True, "", ""
            t = self.store.task_by_message_ids(irt) if self.store else None
            if t is not None and t["key"] == task["key"]:
                return True, "", ""
            return False, "balasan_pesan_lain", (
                "token tugas ada, tetapi pesan ini membalas pesan lain (In-Reply-To bukan surat "
                "Pantau untuk tugas ini)")
        return False, "tidak_cocok", "tidak cocok dengan surat Pantau untuk tugas ini"

    def signed_match(self, p: ParsedMessage, a: Analysis):
        """What a DKIM signature must sign to vouch for this reply's match to its letter: the
        In-Reply-To that matched (or a signed Subject with the task's token, for servers such as
        Microsoft 365 that do not sign In-Reply-To), the Subject whose token matched, the To/Cc
        with the plus address. A form's embedded code sits in the signed body: nothing more."""
        task = a.task
        if a.matched_by == "form_code" or (
                task["purpose"] == "form" and a.form is not None and a.form.code is not None
                and a.form.code.cycle == task["cycle"] and a.form.code.unit == task["unit"]):
            return None
        token = task["token"]

        def subject(h: set[str]) -> bool:
            return "subject" in h and find_subject_token(p.subject) == token

        if a.matched_by == "in_reply_to":
            return lambda h: "in-reply-to" in h or subject(h)
        if a.matched_by == "plus_address":
            local = self.address.split("@")[0]
            in_to = token in find_plus_tokens(p.to + p.cc, local)
            return lambda h: (in_to and ("to" in h or "cc" in h)) or subject(h)
        return subject

    def check_sender(self, raw: bytes | RawMessage, p: ParsedMessage, a: Analysis
                     ) -> tuple[bool, str, str]:
        """Every trust check of SPEC §3.1 for a matched task: (ok, keyword, reason)."""
        task = a.task
        if p.author_problem:
            return False, p.author_problem, AUTHOR_PROBLEMS.get(p.author_problem, p.author_problem)
        a.dmarc_fail = self.dmarc_failed(p)
        if a.dmarc_fail:
            return False, "dmarc_fail", f"DMARC gagal menurut {self.authserv_id}"
        recipient = task["recipient"].lower()
        if p.author not in self.allowed_senders(task):
            return (
                False,
                "bukan_penerima",
                (
                    f"pengirim {p.author} bukan penerima tugas ({task['recipient']})"
                    " dan bukan wakilnya"
                ),
            )
        if (self.signature_step and task["step"] == self.signature_step and p.author != recipient
                and p.author not in self.wakil_ttd.get(recipient, [])):
            return (
                False,
                "wakil_ttd",
                (
                    f"wakil {p.author} tidak boleh menandatangani laporan ({task['step']}); "
                    "hanya wakil yang ditandai ttd = true (Plt.) dalam konfigurasi"
                ),
            )
        if not a.decides:
            return True, "", ""
        twice = [h for h in SINGLE_HEADERS if len(p.headers.get(h, [])) > 1]
        if twice:
            return False, "kepala_ganda", (
                f"kepala {', '.join(twice)} muncul lebih dari sekali (tidak sah menurut RFC 5322): "
                "surat yang dijawab tidak dapat dipastikan")
        ok, key, why = self.letter_matched(p, a)
        if not ok:
            return False, key, why
        covers = self.signed_match(p, a)
        if (
            self.trust.verifikasi == "authres"
            and a.matched_by == "in_reply_to"
            and covers is not None
            and find_subject_token(p.subject) != a.task["token"]
        ):
            # The server's verdict does not say what its DKIM signature covered: an In-Reply-To
            # added to someone's signed mail would pass. The subject keeps the task's token.
            return False, "token_tidak_ada", (
                "membalas surat Pantau, tetapi token tugas tidak ada di subjek; dengan verifikasi "
                "authres balasan keputusan harus tetap memuat subjek surat Pantau")
        ok, key, why = authenticate(raw, p.author.rpartition("@")[2], p.headers, self.trust,
                                    covers=covers)
        if not ok:
            return False, key, why
        return True, "", ""

    def check_signature_code(self, a: Analysis) -> None:
        """At the signature step an approval or a signed PDF needs the task's six-digit code on
        the first line; without it, or with a wrong one, the decision is unclear. The code never
        stays in the note (which goes to the log, the register and the comment)."""
        d = a.decision
        kode = d.kode
        if kode:
            d.note = re.sub(rf"(?<!\d){kode}(?!\d)", "", d.note).strip()
        task = a.task
        if not (
            task and self.signature_step and task["step"] == self.signature_step and self.kode_ttd
        ):
            return
        if self.secret is None:
            return
        expected = signature_code(self.secret, task["key"])
        d.note = re.sub(rf"(?<!\d){expected}(?!\d)", "", d.note).strip()  # wherever it was written
        has_pdf = any(role == "signed_pdf" for _, role in a.roles)
        if d.decision != "approve" and not (has_pdf and d.decision != "revise"):
            return
        if kode == expected:
            a.code_given = True
            return
        a.code_problem = "kode tanda tangan tidak ada" if not kode else "kode tanda tangan salah"
        a.decision = DecisionRead("unclear", note=d.note)

    # ------------------------------------------------------------------ the whole analysis

    def analyse(self, raw: bytes | RawMessage) -> Analysis:
        """Read one message: bytes, or a `RawMessage` (a big one is read from its file line by
        line, its big parts decoded to files under `spool_dir`; mail/mime/spool.py)."""
        p = parse_message(raw, self.limits, self.spool_dir)
        cls = classify(p, own_addresses={self.address}, own_domains={self.domain})
        a = Analysis(parsed=p, cls=cls)
        if cls.kind in ("bounce", "malformed"):
            return a
        a.token, a.matched_by, a.task = self.correlate(p)
        awaiting = a.task["purpose"] if a.task else ""
        allow_schedule = allow_selesai = False
        if a.task:  # the task's row is complete (migration m010): no need to load its cycle
            allow_schedule = bool(a.task.get("allow_schedule"))
            allow_selesai = bool(a.task.get("allow_selesai"))
        a.text, a.decision = read_reply(
            p, allow_schedule=allow_schedule, allow_selesai=allow_selesai, grammar=self.grammar
        )
        if cls.kind == "auto_reply":  # auto-replies never carry a decision (SPEC §3.2)
            a.decision = DecisionRead("none")
        a.roles = [(att, attachment_role(att, awaiting)) for att in p.attachments]
        # Forms: read every candidate; the one whose embedded code fits wins.
        if self.form_reader and (awaiting in ("form", "") or cls.kind == "unrelated"):
            best: tuple[FormResult, Attachment] | None = None
            for att, role in a.roles:
                if role != "form":
                    continue
                res = self.form_reader(att.data, att.filename)
                if (
                    best is None
                    or (res.code and not best[0].code)
                    or (res.rows and not best[0].rows)
                ):
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
            a.decides = a.decision.decision in DECIDING or any(
                role in ("form", "document", "signed_pdf") for _, role in a.roles)
            a.sender_ok, a.sender_check, a.sender_reason = self.check_sender(raw, p, a)
            self.check_signature_code(a)
        elif a.decision.kode:
            a.decision.note = re.sub(
                rf"(?<!\d){a.decision.kode}(?!\d)", "", a.decision.note
            ).strip()
        return a


def _grammar(cfg):
    """The reply grammar with the office's own words (`[balasan]`), or None for the default."""
    balasan = getattr(cfg, "balasan", None)
    if not balasan:
        return None
    from daemon.core.reply_grammar import Grammar

    return Grammar.from_table(balasan)


def reader_for(cfg, store=None, form_reader=None, *, secret: bytes | None = None) -> Reader:
    """The office's Reader, every trust setting taken from its configuration."""
    from daemon.core.sop import load_sop
    from daemon.mail.trust import settings_from_config

    wakil = {o.email: list(o.wakil) for o in cfg.pejabat.values()}
    wakil.update({u.email: list(u.kepala.wakil) for u in cfg.units})
    wakil_ttd = {o.email: list(o.wakil_ttd) for o in cfg.pejabat.values()}
    signature_step = ""
    try:
        signature_step = next((d.id for d in load_sop(cfg.sop_file).steps
                               if d.aksi_setuju == "terbitkan_final"), "")
    except Exception:  # noqa: BLE001 - `pantau check` reports a broken SOP file
        signature_step = "S11"
    b = cfg.mail.batas
    return Reader(address=cfg.mail.alamat, domain=cfg.kantor.domain, authserv_id=cfg.authserv_id,
                  store=store, wakil=wakil, wakil_ttd=wakil_ttd, form_reader=form_reader,
                  trust=settings_from_config(cfg), signature_step=signature_step, secret=secret,
                  kode_ttd=cfg.kode_ttd, grammar=_grammar(cfg),
                  limits=Limits(max_message_bytes=int(b.ukuran_pesan_mb * 2**20),
                                max_attachments=b.jumlah_lampiran,
                                max_attachment_bytes=int(b.ukuran_lampiran_mb * 2**20)))
