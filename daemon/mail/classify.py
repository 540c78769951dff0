"""Deciding what an incoming message is before anyone reads what it says.

Every message that arrives is one of: a person's `reply` to Pantau, an `auto_reply` (out of
office, vacation, mailing list, our own mail looping back), a `bounce` (delivery report), something
`unrelated` to Pantau, or `malformed` (no usable sender, or not parseable at all). Only replies go
on to correlation and reading (SPEC §3.1-3.3); everything else is logged and filed and never gets
an answer, so a wrong `reply` here is worse than a wrong `auto_reply`.

This module also holds the small helpers that find Pantau's signs in a message: the subject token
`[#XXXX-XXXX]`, the cycle tag `[PK-2025-TW3]` and plus-address tokens. Pure functions, no I/O.
What a bounce says (failed recipients, status, our Message-ID) is read by bounces.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from daemon.core.model import Classification, ParsedMessage
from daemon.core.tokens import normalise as normalise_token
from daemon.mail.bounces import bounce_info

# --------------------------------------------------------------------------- Pantau's signs

_TOKEN_RE = re.compile(r"\[\s*#\s*([0-9A-Za-z]{4})\s*-\s*([0-9A-Za-z]{4})\s*\]")
_CYCLE_RE = re.compile(r"(?<![A-Za-z0-9])PK-(\d{4})(?:-(TW[1-4]|S[12]))?(?![A-Za-z0-9])", re.I)
_PLUS_TOKEN_RE = re.compile(r"^([0-9A-Za-z]{4})-?([0-9A-Za-z]{4})$")


def normalize_token(text: str) -> str | None:
    """'abcd-efgh' / 'ABCDEFGH' -> 'ABCD-EFGH' (typos mapped as `tokens.normalise` does:
    O->0, I/L->1, U->V), or None when it is not eight Crockford base32 characters."""
    m = _PLUS_TOKEN_RE.match((text or "").strip())
    return normalise_token(m.group(1) + m.group(2)) if m else None


def find_subject_token(subject: str) -> str | None:
    """The task token in a subject, `[#XXXX-XXXX]`, as 'XXXX-XXXX' upper-case (typos mapped per
    Crockford), or None. Spaces inside the brackets are tolerated; the brackets and '#' are
    required, so receipt numbers like '#2348-2277' in a subject do not count."""
    for m in _TOKEN_RE.finditer(subject or ""):
        token = normalize_token(m.group(1) + m.group(2))
        if token:
            return token
    return None


def find_cycle_tag(subject: str) -> str | None:
    """The cycle code in a subject, e.g. 'PK-2025-TW3', 'PK-2025-S1' or 'PK-2025', or None."""
    m = _CYCLE_RE.search(subject or "")
    if not m:
        return None
    return f"PK-{m.group(1)}" + (f"-{m.group(2).upper()}" if m.group(2) else "")


def find_plus_tokens(addresses: Iterable[str], local_part: str | None = None) -> list[str]:
    """Tokens from plus addresses `local+token@domain` (normalised 'XXXX-XXXX'). With
    `local_part`, only addresses with that local part count; without it, any."""
    out: list[str] = []
    want = (local_part or "").lower()
    for addr in addresses or ():
        a = (addr or "").strip().strip("<>").lower()
        local, at, _domain = a.rpartition("@")
        if not at or "+" not in local:
            continue
        base, _, tag = local.partition("+")
        if want and base != want:
            continue
        token = normalize_token(tag)
        if token and token not in out:
            out.append(token)
    return out


# --------------------------------------------------------------------------- auto replies

_OOF_SUBJECT = re.compile(
    r"\b(?:"
    r"automatic reply|auto[- ]?reply|auto[- ]?response|autorespond|auto[- ]?antwort|"
    r"out of (?:the )?office|out-of-office|away from (?:the |my )?office|on vacation|"
    r"vacation (?:reply|message|notice)|abwesenheit\w*|automatische antwort|"
    r"r[ée]ponse automatique|absence|respuesta autom[aá]tica|fuera de la oficina|"
    r"risposta automatica|fuori ufficio|automatisch antwoord|afwezig|autosvar|"
    r"odpowied[zź] automatyczna|automatyczna odpowied[zź]|automaattinen vastaus|"
    r"balasan otomatis|jawaban otomatis|pesan otomatis|balas otomatis|"
    r"(?:sedang )?di luar kantor|sedang cuti|sedang dinas luar|tidak di kantor"
    r")\b|自动回复|自動応答|自動返信",
    re.I,
)
_PRECEDENCE_AUTO = {"bulk", "junk", "auto_reply", "auto-reply"}
# Subjects of delivery reports. Broad words ("error", "failed") only count together with a
# mail-system sender or the null sender; the strong ones count on their own.
_FAILURE_SUBJECT = re.compile(
    r"undeliver|not delivered|could not be delivered|delivery (?:status|fail|problem|report|"
    r"notification|has failed|error)|returned mail|returned to sender|failure notice|"
    r"mail delivery|non[- ]?delivery|delivery-status|could not send|could not be sent|"
    r"rejected|bounce|nicht zustellbar|unzustellbar|tidak terkirim|tidak dapat dikirim|"
    r"gagal (?:dikirim|terkirim)|pengiriman gagal|warning: message|delayed mail|"
    r"message delayed|delivery delayed|tertunda|error|fail|user unknown",
    re.I,
)
_STRONG_FAILURE_SUBJECT = re.compile(
    r"^(?:undeliverable|undelivered mail|non[- ]?delivery|delivery status notification|"
    r"returned mail|failure notice|mail delivery failed|delivery failure|"
    r"permanent delivery failure|mail could not be delivered|nicht zustellbar|unzustellbar|"
    r"tidak terkirim|tidak dapat dikirim)\b",
    re.I,
)
_DAEMON_LOCALS = {
    "mailer-daemon", "mail-daemon", "maildaemon", "mailerdaemon", "mdaemon",
    "mail.delivery.system", "mail-delivery-system", "mail_delivery_system",
}  # fmt: skip
_POSTMASTER_LOCALS = {"postmaster", "post_master", "post-master"}
_DAEMON_NAME = re.compile(r"mailer[- ]?daemon|mail delivery (?:sub)?system", re.I)
_OFFICE_EXT = (".docx", ".docm", ".xlsx", ".xlsm", ".odt", ".ods", ".doc", ".xls")


def _hval(msg: ParsedMessage, name: str) -> str:
    return (msg.header(name) or "").strip()


def _auto_reply_reason(msg: ParsedMessage) -> str | None:
    """Headers and subjects that say a machine wrote this (RFC 3834 and vendors' own)."""
    auto = _hval(msg, "auto-submitted").split(";")[0].strip().lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    for h in (
        "x-autoreply",
        "x-autorespond",
        "x-auto-reply",
        "x-mail-autoreply",
        "x-autoresponder",
    ):
        v = _hval(msg, h).lower()
        if h in msg.headers and v not in ("no", "false", "0"):
            return f"{h}: {v or 'ada'}"
    if _hval(msg, "x-autogenerated").lower() == "reply":
        return "X-Autogenerated: Reply"
    prec = _hval(msg, "precedence").lower()
    if prec in _PRECEDENCE_AUTO:
        return f"Precedence: {prec}"
    # Exchange stamps mail produced by an inbox rule (its out-of-office replies are inbox rules).
    if "x-ms-exchange-inbox-rules-loop" in msg.headers:
        return "X-MS-Exchange-Inbox-Rules-Loop (aturan kotak masuk Exchange)"
    if msg.subject and _OOF_SUBJECT.search(msg.subject):
        return f"subjek balasan otomatis: {msg.subject[:80]}"
    return None


def _list_reason(msg: ParsedMessage) -> str | None:
    for h in ("list-id", "list-unsubscribe", "list-post"):
        if h in msg.headers:
            return f"surat milis ({h})"
    if _hval(msg, "precedence").lower() == "list":
        return "Precedence: list"
    return None


# --------------------------------------------------------------------------- delivery reports


def _content_type(msg: ParsedMessage) -> str:
    return _hval(msg, "content-type").lower()


def _is_dsn(msg: ParsedMessage) -> bool:
    ctype = _content_type(msg)
    if ctype.startswith("multipart/report") and (
        re.search(r"report-type\s*=\s*\"?(?:delivery-status|global-delivery-status)", ctype)
        or "report-type" not in ctype  # seen in the wild: a report that forgot to say its type
    ):
        return True
    return any(
        a.content_type in ("message/delivery-status", "message/global-delivery-status")
        for a in msg.attachments
    )


def _is_mdn(msg: ParsedMessage) -> bool:
    ctype = _content_type(msg)
    return ("disposition-notification" in ctype and ctype.startswith("multipart/report")) or any(
        a.content_type == "message/disposition-notification" for a in msg.attachments
    )


def _is_feedback_report(msg: ParsedMessage) -> bool:
    return "feedback-report" in _content_type(msg) or any(
        a.content_type == "message/feedback-report" for a in msg.attachments
    )


def _mail_system(msg: ParsedMessage) -> str:
    """'daemon' when MAILER-DAEMON or a "Mail Delivery System" sent it (always a machine
    reporting on delivery), 'postmaster' for postmaster-like senders (a person may answer from
    there, so more evidence is needed), else ''."""
    for addr in (msg.from_addr, msg.return_path or ""):
        local = addr.partition("@")[0].lower()
        if local.startswith("mailer-daemon") or local in _DAEMON_LOCALS:
            return "daemon"
    if _DAEMON_NAME.search(msg.from_name or ""):
        return "daemon"
    for addr in (msg.from_addr, msg.return_path or ""):
        local = addr.partition("@")[0].lower()
        if local in _POSTMASTER_LOCALS:
            return "postmaster"
    return ""


def _returns_message(msg: ParsedMessage) -> bool:
    return any(
        a.content_type in ("message/rfc822", "text/rfc822-headers", "message/global")
        for a in msg.attachments
    )


# --------------------------------------------------------------------------- classify


def _pantau_sign(
    msg: ParsedMessage,
    own_addresses: set[str] | frozenset[str],
    own_domains: set[str] | frozenset[str],
) -> str | None:
    token = find_subject_token(msg.subject)
    if token:
        return f"token subjek [#{token}]"
    if msg.header("x-pantau-token").strip():
        return "kepala X-Pantau-Token"
    addrs = [*msg.to, *msg.cc, *msg.delivered_to]
    locals_ = {a.partition("@")[0] for a in own_addresses if "@" in a} or {None}
    for local in locals_:
        tokens = find_plus_tokens(addrs, local)
        if tokens:
            return f"alamat plus +{tokens[0]}"
    domains = {d.lower().lstrip("@") for d in own_domains if d}
    if domains:
        for mid in [*msg.in_reply_to, *msg.references]:
            dom = mid.rpartition("@")[2].lower()
            if dom in domains:
                return f"membalas pesan Pantau <{mid}>"
    tag = find_cycle_tag(msg.subject)
    if tag:
        return f"tanda siklus [{tag}]"
    return None


def _office_attachment(msg: ParsedMessage) -> str | None:
    for a in msg.attachments:
        if a.filename.lower().endswith(_OFFICE_EXT):
            return a.filename
    return None


def classify(
    msg: ParsedMessage,
    own_addresses: set[str] | frozenset[str] = frozenset(),
    own_domains: set[str] | frozenset[str] = frozenset(),
) -> Classification:
    """Classify a parsed message: reply | auto_reply | bounce | unrelated | malformed.

    `own_addresses` are Pantau's own mailbox addresses (mail from them is a loop; their local
    parts are used for plus-address tokens). `own_domains` are the domains of Pantau's
    Message-IDs: a reply's In-Reply-To/References ending in one of them is a Pantau sign."""
    own = {a.lower() for a in own_addresses}
    if not msg.headers:
        return Classification("malformed", "pesan tidak dapat diurai: tidak ada kepala pesan")

    # 0. Pantau's own letter coming back (From rewritten by a list or a forwarder): the loop
    #    header Pantau writes on everything it sends says so.
    if own & {v.strip().lower() for v in msg.headers.get("x-pantau-loop", [])}:
        return Classification("auto_reply", "pesan Pantau sendiri kembali (X-Pantau-Loop)")

    # 1. Delivery reports. RFC 3464 first; read receipts and abuse reports are machines too.
    if _is_dsn(msg):
        return Classification("bounce", "laporan pengiriman (multipart/report)", bounce_info(msg))
    if _is_mdn(msg):
        return Classification("auto_reply", "tanda terima baca (disposition-notification)")
    if _is_feedback_report(msg):
        return Classification("auto_reply", "laporan keluhan (feedback-report)")

    # 2. Bounces that say so without a delivery-status part (Exim, qmail, Exchange 2003...).
    #    They often carry Auto-Submitted too, so they are looked for before auto replies.
    subject = msg.subject or ""
    failure_subject = bool(_FAILURE_SUBJECT.search(subject))
    system = _mail_system(msg)
    if "x-failed-recipients" in msg.headers:
        return Classification("bounce", "kepala X-Failed-Recipients", bounce_info(msg))
    if system == "daemon":
        return Classification("bounce", f"dari {msg.from_addr or msg.from_name}", bounce_info(msg))
    if _STRONG_FAILURE_SUBJECT.search(subject) or (
        failure_subject and (system or msg.return_path == "" or not msg.from_addr)
    ):
        return Classification(
            "bounce", f"dari {msg.from_addr or '<>'}: {subject[:80]}", bounce_info(msg)
        )
    if system and _returns_message(msg):
        return Classification(
            "bounce", f"dari {msg.from_addr} dengan pesan yang dikembalikan", bounce_info(msg)
        )

    # 3. Auto replies, vacation notices, loops.
    reason = _auto_reply_reason(msg)
    if reason:
        return Classification("auto_reply", reason)
    if msg.from_addr and msg.from_addr in own:
        return Classification("auto_reply", "pesan dari alamat Pantau sendiri (loop)")

    # 4. The null sender is reserved for delivery reports (and auto replies, handled above).
    if msg.return_path == "":
        return Classification("bounce", "alamat balik kosong (<>)", bounce_info(msg))

    # 5. Someone we can answer?
    local, at, domain = msg.from_addr.rpartition("@")
    if not (at and local and "." in domain):
        why = (
            "tidak ada alamat pengirim"
            if not msg.from_addr
            else f"alamat pengirim tidak sah: {msg.from_addr}"
        )
        return Classification("malformed", why)

    # 6. Pantau's signs. Mailing-list headers lose to a sign: a person's reply relayed by a
    #    list still carries one, while list traffic never does.
    sign = _pantau_sign(msg, own, own_domains)
    list_reason = _list_reason(msg)
    if list_reason and not sign:
        return Classification("auto_reply", list_reason)
    if sign:
        return Classification("reply", sign)
    office = _office_attachment(msg)
    if office:
        # A form can come back in a fresh e-mail; its embedded code (SPEC §6.2) decides later.
        return Classification("reply", f"lampiran dokumen {office} (kode formulir diperiksa)")
    return Classification("unrelated", "tidak ada tanda Pantau")
