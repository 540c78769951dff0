"""Reading a message's headers: addresses, the author, subject, date and Message-IDs.

The author is the one mailbox of the one From field, read strictly as RFC 5322 says; anything
else (several From fields, a group, a Sender naming someone else, a broken From) gives a problem
keyword and no author, so such a message never authorises anything. Display fields are read
leniently.
"""

from __future__ import annotations

import email.utils
import re
from datetime import datetime
from email.errors import ObsoleteHeaderDefect
from email.message import Message

from daemon.mail.mime.text import clean_text, decode_words, norm_msgid_list, one_line


def raw_headers(msg: Message, errors: list[str]) -> list[tuple[str, str]]:
    """(lower-case name, raw value) of every header field, in order."""
    try:
        return [(clean_text(k).strip().lower(), v) for k, v in msg.raw_items()]
    except Exception as e:  # noqa: BLE001
        errors.append(f"kepala pesan tidak terbaca ({type(e).__name__})")
        return []


def addresses(msg: Message, name: str, raw: list[str], errors: list[str]) -> list[tuple[str, str]]:
    """(display name, lower-case address) pairs of an address header, tolerant of breakage."""
    out: list[tuple[str, str]] = []
    try:
        header = msg[name]
        if header is not None:
            for addr in header.addresses:
                spec = one_line(addr.addr_spec).lower()
                if spec == "<>":
                    spec = ""
                if spec or addr.display_name:
                    out.append((one_line(addr.display_name), spec))
            return out
    except Exception:  # noqa: BLE001 - IndexError, AttributeError, ValueError seen in real mail
        pass
    try:
        pairs = email.utils.getaddresses([decode_words(one_line(v)) for v in raw])
        for display, spec in pairs:
            spec = one_line(spec).lower()
            if spec or display:
                out.append((one_line(display), spec))
    except Exception as e:  # noqa: BLE001
        errors.append(f"alamat pada kepala {name} tidak terbaca ({type(e).__name__})")
    return out


def bracketed_from(raw: list[str], name: str, addr: str) -> tuple[str, str]:
    """When a broken From ('a.b@host <a.b@host.example>') was read as the wrong address, take
    the one in angle brackets, which is what every mail client shows and answers. For display
    and triage only: such a From never authorises anything (`author_of` gives no author)."""
    if not raw:
        return name, addr
    value = decode_words(one_line(raw[0]))
    m = re.search(r"<\s*([^<>\s]+@[^<>\s]+)\s*>", value)
    if not m or m.group(1).lower() == addr:
        return name, addr
    display = value[: m.start()].strip().strip('"').strip()
    return (name or display), m.group(1).lower()


def author_of(msg: Message, raw_from: list[str], raw_sender: list[str]) -> tuple[str, str]:
    """(the casefolded addr-spec of the message's one From mailbox, problem keyword), parsed as
    RFC 5322 says (the header registry of email.policy.default): an address inside a display
    name, a comment or an encoded word is never taken. Several From fields or mailboxes, a
    group, an unparseable From or a Sender that names someone else give a problem and no author.
    """
    if not raw_from:
        return "", "from_tidak_ada"
    if len(raw_from) > 1:
        return "", "from_ganda"
    try:
        header = msg["from"]
        groups = list(header.groups)
        defects = [d for d in header.defects if not isinstance(d, ObsoleteHeaderDefect)]
    except Exception:  # noqa: BLE001 - a header the registry cannot even build
        return "", "from_rusak"
    if any(g.display_name is not None for g in groups):
        return "", "from_grup"
    specs = [a.addr_spec for g in groups for a in g.addresses]
    if len(specs) > 1:
        return "", "from_ganda"
    if defects or not specs:
        return "", "from_rusak"
    spec = specs[0]
    # 8-bit bytes arrive surrogate-escaped: never normalised into something that looks ASCII.
    if any("\ud800" <= ch <= "\udfff" for ch in spec) or not re.fullmatch(
        r"[^\s@<>]+@[^\s@<>]+", spec
    ):
        return "", "from_rusak"
    author = spec.casefold()
    if raw_sender:
        if len(raw_sender) > 1:
            return "", "sender_berbeda"
        try:
            sender = [a.addr_spec.casefold() for g in msg["sender"].groups for a in g.addresses]
        except Exception:  # noqa: BLE001
            sender = []
        if sender != [author]:
            return "", "sender_berbeda"
    return author, ""


def first_address(value: str) -> str:
    """The address of a Return-Path or Delivered-To value, lower-case; "" for <>."""
    s = one_line(value)
    if re.fullmatch(r"<\s*>", s) or s == "":
        return ""
    m = re.search(r"<([^<>]*)>", s)
    addr = m.group(1) if m else s
    return re.sub(r"\s+", "", addr).lower()


def subject_of(msg: Message, raw: list[str]) -> str:
    """The Subject, unfolded; read again from the raw value when the registry fails."""
    try:
        value = msg["subject"]
        if value is not None:
            return one_line(value)
    except Exception:  # noqa: BLE001
        pass
    return one_line(decode_words(one_line(raw[0]))) if raw else ""


def date_of(raw: list[str], errors: list[str]) -> datetime | None:
    """The Date header as a datetime, or None (noted in `errors` when unreadable)."""
    if not raw:
        return None
    try:
        return email.utils.parsedate_to_datetime(one_line(raw[0]))
    except Exception:  # noqa: BLE001
        errors.append("tanggal pesan tidak terbaca")
        return None


def first(values: list[str]) -> str | None:
    """The first value of a header, or None."""
    return values[0] if values else None


def message_ids(values: list[str]) -> list[str]:
    """The Message-IDs of In-Reply-To or References fields, in order, without repeats."""
    out: list[str] = []
    for v in values:
        for i in norm_msgid_list(v):
            if i not in out:
                out.append(i)
    return out


def dedupe(items) -> list[str]:
    """The non-empty items in order, without repeats."""
    out: list[str] = []
    for i in items:
        if i and i not in out:
            out.append(i)
    return out
