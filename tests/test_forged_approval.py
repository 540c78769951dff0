"""No forged approval (issue 12, SPEC §3.1): the sender is who the mail system vouches for, a
decision answers its own letter, and the signature (S11) takes the code of its e-mail.

A real office directory runs with `keamanan.verifikasi = "dkim"` and a `dkim_kunci` file holding
test keys (made at test time, tests/dkimkeys.py); the people's mail is signed with dkimpy as
their server would sign it. The office is driven by genuine signed replies to S11 (the Camat's
signature of the final report), or stopped at S4 for the units' forms. Every forged message
goes through `Reader.analyse` (what `pantau inspect` shows: `sender_ok` false and the failed
check in `sender_reason` / `sender_check`) and through `OfficeApp.ingest`: held with that
reason, and the cycle, its tasks, both registers and the outbox unchanged. The genuine answers
(a valid DKIM signature, or `dmarc=pass` from the office's own server, with the code) still
close S11, and the code is never kept in the database, the registers or the final report.
"""

from __future__ import annotations

import base64
import json
import re
import sqlite3
import tempfile
import zipfile
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest
from dkimkeys import sign, use_dkim, write_keys
from offices import copy_of, new_office
from test_hostile import Office, body, filled_form, open_office

from daemon.config import load_config
from daemon.core.verification import signature_code
from daemon.demo.simulation import DEMO_START
from daemon.mail.trust import load_dkim_keys
from daemon.shell.clock import ManualClock
from daemon.shell.office import OfficeApp
from tools import pantau_main

pytestmark = pytest.mark.slow  # offices driven to S4/S11 by signed mail, copied per test

ROOT = Path(__file__).resolve().parents[1]
DOMAIN = "kecamatan.test"
CAMAT = f"camat@{DOMAIN}"
STAF = f"staf.umum@{DOMAIN}"  # a staff member whose own mail the office's server signs
AJUDAN = f"ajudan.camat@{DOMAIN}"  # a plain wakil of the Camat
PLT = f"plt.camat@{DOMAIN}"  # a wakil marked ttd = true
AUTHSERV = "mx.kecamatan.test"
KEY_DOMAINS = [DOMAIN, "evil.test", f"sub.{DOMAIN}", "kecamatan-test.test"]


# =========================================================================== the offices


def _configure(cfg_path: Path) -> None:
    use_dkim(cfg_path, KEY_DOMAINS)
    text = cfg_path.read_text(encoding="utf-8")
    start = text.index("[pejabat.camat]")
    at = text.index("wakil = []", start)
    wakil = f'wakil = ["{AJUDAN}", {{ email = "{PLT}", ttd = true }}]'
    cfg_path.write_text(text[:at] + wakil + text[at + len("wakil = []"):], encoding="utf-8")


def _answer(office: Office, task: dict) -> None:
    """A genuine, signed answer to an open task that moves the cycle on."""
    if task["purpose"] == "form":
        raw = office.reply(task, attachments=[filled_form(office, task["unit"])])
    else:
        raw = office.reply(task, "SETUJU")
    row = office.ingest(sign(raw, DOMAIN))
    assert row["status"] == "diproses", row


def _build(root: Path, until: str) -> None:
    cfg_path = new_office(root).config
    _configure(cfg_path)
    cfg = load_config(cfg_path)
    assert cfg.verifikasi == "dkim" and cfg.dkim_kunci is not None
    clock = ManualClock(DEMO_START)
    app = OfficeApp(cfg, clock=clock)
    code = app.start_cycle("2025-TW3")
    app.dispatch()
    office = Office(root, app, clock, code)
    for _ in range(200):
        st = app.store.load_cycle(code)
        if st.current == until:
            break
        open_tasks = [t for t in app.store.open_tasks(code) if t["step"] == st.current
                      and (t["purpose"] != "form" or st.units[t["unit"]].status == "pending")]
        if open_tasks:
            clock.advance(minutes=10)
            _answer(office, open_tasks[0])
        else:
            clock.advance(hours=4)
            app.sweep()
        app.dispatch()
    assert app.store.load_cycle(code).current == until
    app.close()


_TEMPLATES: dict[str, Path] = {}


def office_at(root: Path, until: str, edit=None) -> Office:
    """A copy of an office built once per process and stopped at step `until`; `edit(text)`
    changes its pantau.toml before it is opened."""
    template = _TEMPLATES.get(until)
    if template is None:
        template = Path(tempfile.mkdtemp(prefix="pantau-ttd-")) / "kantor"
        _build(template, until)
        _TEMPLATES[until] = template
    cfg_path = copy_of(template, root).config  # tests/offices.py: the stored paths move along
    if edit:
        cfg_path.write_text(edit(cfg_path.read_text(encoding="utf-8")), encoding="utf-8")
    write_keys(root / "config" / "dkim_kunci.txt", KEY_DOMAINS)
    return open_office(root)


def authres_mode(text: str) -> str:
    text = re.sub(r'(?m)^verifikasi = .*$', 'verifikasi = "authres"', text)
    return re.sub(r'(?m)^authserv_id\s*=.*$', f'authserv_id = "{AUTHSERV}"', text)


def no_code(text: str) -> str:
    return text.replace('verifikasi = "dkim"\n', 'verifikasi = "dkim"\nkode_ttd = false\n', 1)


@pytest.fixture
def s11(tmp_path):
    o = office_at(tmp_path / "kantor", "S11")
    yield o
    o.close()


@pytest.fixture
def s4(tmp_path):
    o = office_at(tmp_path / "kantor", "S4")
    yield o
    o.close()


# =========================================================================== messages


def s11_task(office: Office) -> dict:
    return office.task(step="S11", status="open")


def code_in_letter(office: Office, task: dict) -> str:
    """The code as the Camat reads it: in the body of the S11 e-mail, on its own line."""
    letter = office.request(task)
    m = re.search(r"Untuk menandatangani, balas: SETUJU (\d{6})", body(letter))
    assert m, body(letter)
    assert m.group(1) not in str(letter["Subject"])
    assert all(m.group(1) not in str(v) for k, v in letter.items())  # never in a header
    return m.group(1)


def reply(
    office: Office,
    task: dict,
    text: str,
    *,
    sender: str = CAMAT,
    signer: str | None = DOMAIN,
    headers: dict[str, str] | None = None,
    thread: bool = True,
    subject: str | None = None,
    irt: str | None = None,
    refs: str | None = None,
    attachments=(),
    edit=None,
) -> bytes:
    """A reply as a mail client writes it, then `edit(raw)` (a forger's changes before sending),
    then signed by `signer`'s server (None: unsigned)."""
    raw = office.reply(
        task, text, sender=sender, thread=thread, headers=headers, attachments=attachments
    )
    if subject is not None or irt is not None or refs is not None:
        msg = message_from_bytes(raw, policy=policy.default)
        if subject is not None:
            del msg["Subject"]
            msg["Subject"] = subject
        for name, value in (("In-Reply-To", irt), ("References", refs)):
            if value is not None:
                del msg[name]
                if value:
                    msg[name] = value
        raw = bytes(msg)
    if edit:
        raw = edit(raw)
    return sign(raw, signer) if signer else raw


def set_header(name: str, value: str):
    """Replace (or add) a raw header line: the forger writes what no library would."""
    def edit(raw: bytes) -> bytes:
        line = f"{name}: {value}\n".encode()
        new, n = re.subn(rf"(?mi)^{name}:.*\n".encode(), line, raw, count=1)
        return new if n else line + raw
    return edit


def add_headers(*lines: str):
    def edit(raw: bytes) -> bytes:
        return "".join(line + "\n" for line in lines).encode() + raw
    return edit


def tamper(old: bytes, new: bytes):
    def edit(raw: bytes) -> bytes:
        assert old in raw
        return raw.replace(old, new)
    return edit


def ew(text: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(text.encode()).decode() + "?="


def plain_forward(office: Office, task: dict, code: str, *, sender: str) -> bytes:
    """`sender` forwards the Camat's genuine approval inline, token and all."""
    req = office.request(task)
    m = EmailMessage()
    m["From"] = sender
    m["To"] = office.app.cfg.mail.alamat
    m["Subject"] = "Fwd: Re: " + str(req["Subject"])
    m["Message-ID"] = make_msgid(domain="contoh.test")
    m.set_content(f"SETUJU {code}\n\n---------- Pesan terusan ----------\nDari: Camat <{CAMAT}>\n"
                  f"Subjek: Re: {req['Subject']}\n\nSETUJU {code}\n")
    return sign(bytes(m), DOMAIN)


def rfc822_forward(
    office: Office, task: dict, code: str, *, sender: str, signer: str | None
) -> bytes:
    """`sender` sends Pantau the Camat's genuine signed approval as an attached message/rfc822."""
    inner = reply(office, task, f"SETUJU {code}")
    req = office.request(task)
    m = EmailMessage()
    m["From"] = sender
    m["To"] = office.app.cfg.mail.alamat
    m["Subject"] = "Fwd: Re: " + str(req["Subject"])
    m["Message-ID"] = make_msgid(domain="contoh.test")
    m["In-Reply-To"] = str(req["Message-ID"])
    m.set_content(f"SETUJU {code}\n")
    m.add_attachment(message_from_bytes(inner, policy=policy.default))
    raw = bytes(m)
    return sign(raw, signer) if signer else raw


def bait_reply(office: Office, task: dict, *, with_references: bool) -> bytes:
    """Laundering: a staff member mails the Camat 'mohon balas OK' carrying the S11 token in the
    subject (and Pantau's Message-ID in References), Reply-To Pantau; the Camat's real, signed
    'Ok' answers the bait, not Pantau's letter."""
    req = office.request(task)
    bait_id = make_msgid(domain=DOMAIN)
    refs = f"{req['Message-ID']} {bait_id}" if with_references else bait_id
    token = re.search(r"\[#[0-9A-Z]{4}-[0-9A-Z]{4}\]", str(req["Subject"])).group(0)
    return reply(office, task, "Ok", subject=f"Re: Rapat besok {token}", irt=bait_id, refs=refs)


def html_only(visible: str, hidden: str) -> callable:
    def edit(raw: bytes) -> bytes:
        msg = message_from_bytes(raw, policy=policy.default)
        msg.set_content(
            f'<html><body><div style="display:none">{hidden}</div><div>{visible}</div>'
            "</body></html>",
            subtype="html",
        )
        return bytes(msg)
    return edit


def plain_and_html(plain: str, html: str) -> callable:
    def edit(raw: bytes) -> bytes:
        msg = message_from_bytes(raw, policy=policy.default)
        msg.set_content(plain + "\n")
        msg.add_alternative(f"<html><body><p>{html}</p></body></html>", subtype="html")
        return bytes(msg)
    return edit


# --------------------------------------------------------------------------- the attacks at S11

# (id, builder(office, task, code) -> raw, sender_check keyword, words in the reason)
FORGED = [
    # -- an address inside a display name, a comment or an encoded word is never the sender
    (
        "display-name-address",
        lambda o, t, c: reply(
            o, t, f"SETUJU {c}", edit=set_header("From", f'"Rika Marta <{CAMAT}>" <{STAF}>')
        ),
        "bukan_penerima",
        STAF,
    ),
    (
        "display-name-bare-address",
        lambda o, t, c: reply(o, t, f"SETUJU {c}", edit=set_header("From", f'"{CAMAT}" <{STAF}>')),
        "bukan_penerima",
        STAF,
    ),
    (
        "encoded-word-address",
        lambda o, t, c: reply(
            o, t, f"SETUJU {c}", edit=set_header("From", f"{ew(CAMAT)} <{STAF}>")
        ),
        "bukan_penerima",
        STAF,
    ),
    (
        "encoded-word-brackets",
        lambda o, t, c: reply(
            o, t, f"SETUJU {c}", edit=set_header("From", f"{ew(f'Rika <{CAMAT}>')} <{STAF}>")
        ),
        "bukan_penerima",
        STAF,
    ),
    (
        "comment-after-address",
        lambda o, t, c: reply(o, t, f"SETUJU {c}", edit=set_header("From", f"{STAF} (<{CAMAT}>)")),
        "bukan_penerima",
        STAF,
    ),
    (
        "comment-in-display-name",
        lambda o, t, c: reply(
            o, t, f"SETUJU {c}", edit=set_header("From", f"Rika ({CAMAT}) <{STAF}>")
        ),
        "bukan_penerima",
        STAF,
    ),
    (
        "two-angle-addresses",
        lambda o, t, c: reply(
            o, t, f"SETUJU {c}", edit=set_header("From", f"Rika <{CAMAT}> <{STAF}>")
        ),
        "from_rusak",
        "RFC 5322",
    ),
    (
        "bare-then-angle",
        lambda o, t, c: reply(o, t, f"SETUJU {c}", edit=set_header("From", f"{CAMAT} <{STAF}>")),
        "from_rusak",
        "RFC 5322",
    ),
    # -- header shapes that are held
    (
        "several-from-addresses",
        lambda o, t, c: reply(o, t, f"SETUJU {c}", edit=set_header("From", f"{CAMAT}, {STAF}")),
        "from_ganda",
        "lebih dari satu",
    ),
    (
        "two-from-fields",
        lambda o, t, c: reply(o, t, f"SETUJU {c}", edit=add_headers(f"From: {STAF}")),
        "from_ganda",
        "lebih dari satu",
    ),
    (
        "group",
        lambda o, t, c: reply(o, t, f"SETUJU {c}", edit=set_header("From", f"Pimpinan: {CAMAT};")),
        "from_grup",
        "grup",
    ),
    (
        "empty-group",
        lambda o, t, c: reply(o, t, f"SETUJU {c}", edit=set_header("From", "Pimpinan:;")),
        None,
        "",
    ),  # no sender at all: not even read as a reply
    (
        "no-from-sender-camat",
        lambda o, t, c: reply(
            o,
            t,
            f"SETUJU {c}",
            edit=lambda r: re.sub(rb"(?m)^From:.*\n", f"Sender: {CAMAT}\n".encode(), r, count=1),
        ),
        "from_tidak_ada",
        "tanpa kepala From",
    ),
    (
        "sender-other",
        lambda o, t, c: reply(o, t, f"SETUJU {c}", headers={"Sender": STAF}),
        "sender_berbeda",
        "Sender",
    ),
    (
        "sender-returnpath-replyto-other",
        lambda o, t, c: reply(
            o,
            t,
            f"SETUJU {c}",
            signer=None,
            headers={"Sender": STAF, "Reply-To": STAF},
            edit=add_headers(f"Return-Path: <{STAF}>"),
        ),
        "sender_berbeda",
        "Sender",
    ),
    (
        "reply-to-other-unsigned",
        lambda o, t, c: reply(o, t, f"SETUJU {c}", signer=None, headers={"Reply-To": STAF}),
        "dkim_tidak_ada",
        "DKIM",
    ),
    (
        "return-path-other-unsigned",
        lambda o, t, c: reply(
            o, t, f"SETUJU {c}", signer=None, edit=add_headers(f"Return-Path: <{STAF}>")
        ),
        "dkim_tidak_ada",
        "DKIM",
    ),
    # -- look-alike addresses never match
    (
        "look-alike-domain",
        lambda o, t, c: reply(
            o, t, f"SETUJU {c}", sender="camat@kecamatan-test.test", signer="kecamatan-test.test"
        ),
        "bukan_penerima",
        "bukan penerima",
    ),
    (
        "suffix-domain",
        lambda o, t, c: reply(
            o, t, f"SETUJU {c}", signer=None, edit=set_header("From", f"{CAMAT}.evil.test")
        ),
        "bukan_penerima",
        "bukan penerima",
    ),
    (
        "cyrillic-a",
        lambda o, t, c: reply(
            o,
            t,
            f"SETUJU {c}",
            edit=lambda r: re.sub(
                rb"(?m)^From:.*\n", "From: Rika <саmat@kecamatan.test>\n".encode(), r, count=1
            ),
        ),
        "from_rusak",
        "RFC 5322",
    ),
    (
        "full-width-8bit",
        lambda o, t, c: reply(
            o,
            t,
            f"SETUJU {c}",
            edit=lambda r: re.sub(
                rb"(?m)^From:.*\n", "From: ｃａｍａｔ@kecamatan.test\n".encode(), r, count=1
            ),
        ),
        "from_rusak",
        "RFC 5322",
    ),
    (
        "full-width-encoded",
        lambda o, t, c: reply(
            o, t, f"SETUJU {c}", edit=set_header("From", ew("ｃａｍａｔ@ｋｅｃａｍａｔａｎ.test"))
        ),
        "from_rusak",
        "RFC 5322",
    ),
    (
        "uppercase-full-width-domain",
        lambda o, t, c: reply(
            o,
            t,
            f"SETUJU {c}",
            signer=None,
            edit=lambda r: re.sub(
                rb"(?m)^From:.*\n", "From: <camat@ｋｅｃａｍａｔａｎ.test>\n".encode(), r, count=1
            ),
        ),
        "from_rusak",
        "RFC 5322",
    ),
    # -- DKIM
    ("unsigned", lambda o, t, c: reply(o, t, f"SETUJU {c}", signer=None), "dkim_tidak_ada", "DKIM"),
    (
        "tampered-body",
        lambda o, t, c: sign(o.reply(t, "REVISI tabel 2"), DOMAIN).replace(
            b"REVISI tabel 2", f"SETUJU {c}".encode()
        ),
        "dkim_gagal",
        "berubah",
    ),
    (
        "tampered-from",
        lambda o, t, c: sign(o.reply(t, f"SETUJU {c}", sender=STAF), DOMAIN).replace(
            f"From: {STAF}".encode(), f"From: {CAMAT}".encode()
        ),
        "dkim_gagal",
        "tidak sah",
    ),
    (
        "other-domain-signature",
        lambda o, t, c: reply(o, t, f"SETUJU {c}", signer="evil.test"),
        "dkim_domain_lain",
        "d= domain lain",
    ),
    (
        "subdomain-signature",
        lambda o, t, c: reply(o, t, f"SETUJU {c}", signer=f"sub.{DOMAIN}"),
        "dkim_domain_lain",
        "d= domain lain",
    ),
    (
        "expired-signature",
        lambda o, t, c: sign(o.reply(t, f"SETUJU {c}"), DOMAIN, expire=-3600),
        "dkim_gagal",
        "kedaluwarsa",
    ),
    (
        "forged-authres-in-dkim-mode",
        lambda o, t, c: reply(
            o,
            t,
            f"SETUJU {c}",
            signer=None,
            edit=add_headers(
                f"Authentication-Results: {AUTHSERV}; dkim=pass header.d={DOMAIN}; dmarc=pass "
                f"header.from={DOMAIN}"
            ),
        ),
        "dkim_tidak_ada",
        "DKIM",
    ),
    # -- a decision answers its own letter
    (
        "references-only",
        lambda o, t, c: reply(
            o,
            t,
            f"SETUJU {c}",
            subject="Re: rapat besok",
            irt="",
            refs=str(o.request(t)["Message-ID"]),
        ),
        "hanya_references",
        "References",
    ),
    (
        "bait-with-references",
        lambda o, t, c: bait_reply(o, t, with_references=True),
        "hanya_references",
        "References",
    ),
    (
        "bait-subject-token",
        lambda o, t, c: bait_reply(o, t, with_references=False),
        "balasan_pesan_lain",
        "pesan lain",
    ),
    # -- forwards
    ("forward-inline", lambda o, t, c: plain_forward(o, t, c, sender=STAF), "bukan_penerima", STAF),
    (
        "forward-rfc822-by-staff",
        lambda o, t, c: rfc822_forward(o, t, c, sender=STAF, signer=DOMAIN),
        "bukan_penerima",
        STAF,
    ),
    (
        "forward-rfc822-forged-from",
        lambda o, t, c: rfc822_forward(o, t, c, sender=CAMAT, signer=None),
        "dkim_tidak_ada",
        "DKIM",
    ),
    # -- a wakil does not sign
    (
        "wakil-at-s11",
        lambda o, t, c: reply(o, t, f"SETUJU {c}", sender=f"Ajudan <{AJUDAN}>"),
        "wakil_ttd",
        "ttd = true",
    ),
]


def assert_held(office: Office, raw: bytes, check: str | None, words: str) -> dict:
    a = office.app.reader.analyse(raw)
    if check is None:  # classified as no person's reply (a bounce-like message): filed, never taken
        before, last = office.state(), office.last_outbox_id()
        row = office.ingest(raw)
        assert a.task is None and row["status"] in ("ditahan", "diabaikan"), (a.cls, row)
        assert office.state() == before and office.outbox_since(last) == []
        return row
    assert a.task is not None and a.task["step"] == "S11", a.matched_by
    assert a.sender_ok is False and a.sender_check == check, (a.sender_check, a.sender_reason)
    assert words in a.sender_reason, a.sender_reason
    js = a.to_json("x.eml")
    assert js["sender_ok"] is False and js["sender_reason"] == a.sender_reason
    before, last = office.state(), office.last_outbox_id()
    row = office.ingest(raw)
    assert row["status"] == "ditahan" and row["reason"] == a.sender_reason, row
    assert office.state() == before, "a forged message changed the cycle"
    assert office.outbox_since(last) == []
    assert office.task(step="S11")["status"] == "open"
    return row


@pytest.mark.parametrize(
    ("builder", "check", "words"), [f[1:] for f in FORGED], ids=[f[0] for f in FORGED]
)
def test_forged_signature_is_held(s11, builder, check, words):
    task = s11_task(s11)
    raw = builder(s11, task, code_in_letter(s11, task))
    assert_held(s11, raw, check, words)


# --------------------------------------------------------------------------- authres mode

AR = "Authentication-Results: "


@pytest.mark.parametrize(
    ("lines", "check", "words"),
    [
        ([], "authres_tidak_ada", "tidak ada Authentication-Results"),
        (
            [f"{AR}{AUTHSERV}; spf=pass; dkim=none; dmarc=none header.from={DOMAIN}"],
            "dmarc_none",
            "DMARC none",
        ),
        (
            [f"{AR}{AUTHSERV}; dmarc=permerror header.from={DOMAIN}"],
            "dmarc_permerror",
            "DMARC permerror",
        ),
        (
            [f"{AR}{AUTHSERV}; dmarc=temperror header.from={DOMAIN}"],
            "dmarc_temperror",
            "DMARC temperror",
        ),
        (
            [f"{AR}{AUTHSERV}; dmarc=fail (p=none) header.from={DOMAIN}"],
            "dmarc_fail",
            "DMARC gagal",
        ),
        (
            [f"{AR}{AUTHSERV}; spf=pass smtp.mailfrom={DOMAIN}"],
            "dmarc_tidak_ada",
            "tidak mencatat hasil DMARC",
        ),
        (
            [f"{AR}mail.pengirim.test; dmarc=pass header.from={DOMAIN}"],
            "authres_server_lain",
            "mail.pengirim.test",
        ),
        # ours says pass, but it is not the topmost: a header the sender wrote sits above it
        (
            [
                f"{AR}evil.test; dmarc=pass header.from={DOMAIN}",
                f"{AR}{AUTHSERV}; dmarc=pass header.from={DOMAIN}",
            ],
            "authres_server_lain",
            "evil.test",
        ),
        ([f"{AR}{AUTHSERV}; dmarc=pass header.from=evil.test"], "dmarc_pass", "DMARC pass"),
        ([f"{AR}{AUTHSERV} ;;; ==="], "authres_rusak", "tidak dapat dibaca"),
    ],
    ids=[
        "missing",
        "none",
        "permerror",
        "temperror",
        "fail",
        "no-dmarc",
        "other-authserv",
        "not-topmost",
        "pass-for-other-domain",
        "unparseable",
    ],
)
def test_authres_other_than_our_dmarc_pass_is_held(tmp_path, lines, check, words):
    office = office_at(tmp_path / "kantor", "S11", authres_mode)
    try:
        assert office.app.cfg.verifikasi == "authres"
        task = s11_task(office)
        raw = reply(office, task, f"SETUJU {code_in_letter(office, task)}", signer=None,
                    edit=add_headers(*lines) if lines else None)
        assert_held(office, raw, check, words)
    finally:
        office.close()


# --------------------------------------------------------------------------- the code

@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("SETUJU", "kode tanda tangan tidak ada"),
        ("Setuju, laksanakan.", "kode tanda tangan tidak ada"),
        ("SETUJU 000000", "kode tanda tangan salah"),
        ("SETUJU {other}", "kode tanda tangan salah"),
        ("{code}", None),  # a code alone is no approval
        (
            "Terlampir laporan yang sudah saya tandatangani.",
            "kode tanda tangan tidak ada",
        ),  # with a PDF
    ],
    ids=[
        "no-code",
        "no-code-comment",
        "wrong-code",
        "other-tasks-code",
        "code-alone",
        "pdf-without-code",
    ],
)
def test_s11_without_the_right_code_changes_nothing_and_says_why(s11, text, problem):
    task = s11_task(s11)
    code = code_in_letter(s11, task)
    other = signature_code(s11.app.secret, s11.task(step="S10")["key"])
    assert other != code
    atts = [("Laporan-ttd.pdf", b"%PDF-1.4\n% ditandatangani\n")] if "Terlampir" in text else []
    raw = reply(
        s11,
        task,
        text.format(code=code, other=other),
        attachments=atts,
        subject=f"Re: {s11.request(task)['Subject']} SETUJU {code}",
    )  # a code in the subject counts for nothing
    a = s11.app.reader.analyse(raw)
    assert a.sender_ok is True and a.decision.decision == "unclear", (a.sender_reason, a.decision)
    assert a.code_problem == (problem or "")
    before, last = s11.state(), s11.last_outbox_id()
    row = s11.ingest(raw)
    assert row["status"] == "diproses" and s11.state() == before
    answers = s11.outbox_since(last, CAMAT)
    assert len(answers) == 1 and "jawaban yang jelas" in str(answers[0][1]["Subject"]), answers
    said = body(answers[0][1])
    if problem:
        assert problem in said and "kode enam angka" in said, said
    assert code not in said and code not in json.dumps(s11.store.cycle_log(s11.code))
    # One answer per task and day: the same mistake again gets none.
    s11.clock.advance(minutes=5)
    last = s11.last_outbox_id()
    s11.ingest(reply(s11, task, text.format(code=code, other=other), attachments=atts))
    assert s11.outbox_since(last, CAMAT) == []


# --------------------------------------------------------------------------- hidden text

# What a person does not see never signs: hidden HTML, or an HTML part that disagrees with the
# plain one (SPEC §3.2, daemon/mail/replies.py read_reply).
@pytest.mark.parametrize("edit", [
    lambda c: html_only("Nanti saya baca dulu.", f"SETUJU {c}"),
    lambda c: plain_and_html(f"SETUJU {c}", "REVISI tabel 2 salah"),
], ids=["hidden-html-approval", "plain-approves-html-revises"])
def test_text_a_person_does_not_see_never_signs(s11, edit):
    """SPEC §3.2: text a person does not see, or parts that disagree, never close S11."""
    task = s11_task(s11)
    code = code_in_letter(s11, task)
    raw = reply(s11, task, f"SETUJU {code}", edit=edit(code))
    before = s11.state()
    s11.ingest(raw)
    assert s11.state()["tasks"] == before["tasks"] and s11.task(step="S11")["status"] == "open"
    assert s11.state()["masuk"] == before["masuk"]


# --------------------------------------------------------------------------- the genuine answers


def no_code_anywhere(office: Office, code: str) -> None:
    """The code is in the S11 e-mail only: not in the database (registers, log, tasks, state),
    the registers' JSON and CSV, nor any document of the archive."""
    db = office.app.cfg.db_path
    dump = "\n".join(sqlite3.connect(db).iterdump())
    assert code not in dump
    for kind in ("keluar", "masuk"):
        for fmt in ("--json", "--csv"):
            out = pantau_main(
                ["--config", str(office.app.cfg.path), "register", kind, fmt], cwd=ROOT
            )
            assert out.returncode == 0 and code not in out.stdout, out.stderr
    for path in office.arsip.rglob("*"):
        if path.suffix == ".docx":
            with zipfile.ZipFile(path) as z:
                assert all(code.encode() not in z.read(n) for n in z.namelist()), path
        elif path.suffix in (".pdf", ".csv", ".xlsx", ".ics", ".json", ".txt"):
            assert code.encode() not in path.read_bytes(), path


def assert_signed(office: Office, row: dict, who: str = CAMAT) -> None:
    assert row["status"] == "diproses" and row["reason"] == "", row
    st = office.app.store.load_cycle(office.code)
    assert st.steps["S11"].status == "done" and st.current in ("S12", "S13"), st.current
    assert office.store.document(office.code, "final_report") is not None
    masuk = [r for r in office.store.register("register_masuk") if r["langkah"] == "S11"]
    assert len(masuk) == 1 and "dengan kode tanda tangan" in masuk[0]["keterangan"], masuk
    assert who in masuk[0]["pengirim"] or "Camat" in masuk[0]["pengirim"]
    final = [
        r
        for r in office.store.register("register_keluar")
        if r["perihal"].startswith("Laporan Pemantauan")
    ]
    assert final and "dengan kode tanda tangan" in final[-1]["keterangan"], final


def test_the_camats_own_signed_reply_with_the_code_signs(s11):
    task = s11_task(s11)
    code = code_in_letter(s11, task)
    raw = reply(s11, task, f"ACC {code}\nTerima kasih.")
    a = s11.app.reader.analyse(raw)
    assert a.sender_ok is True and a.sender_check == "" and a.decision.decision == "approve", (
        a.sender_reason
    )
    assert a.code_given and code not in a.decision.note
    row = s11.ingest(raw)
    assert_signed(s11, row)
    s11.app.dispatch()
    no_code_anywhere(s11, code)
    from docx import Document  # the final report records that the code was given

    final = Document(s11.store.document(s11.code, "final_report")["path"])
    cells = " ".join(c.text for t in final.tables for r in t.rows for c in r.cells)
    assert "dengan kode tanda tangan" in cells and code not in cells


def test_a_signed_pdf_with_the_code_is_the_final_report(s11):
    task = s11_task(s11)
    code = code_in_letter(s11, task)
    pdf = b"%PDF-1.4\n% laporan bertanda tangan elektronik\n"
    row = s11.ingest(reply(s11, task, f"SETUJU {code}", attachments=[("Laporan-TTE.pdf", pdf)]))
    assert row["status"] == "diproses", row
    doc = s11.store.document(s11.code, "final_report")
    assert doc and Path(doc["path"]).read_bytes() == pdf
    masuk = [r for r in s11.store.register("register_masuk") if r["langkah"] == "S11"]
    assert len(masuk) == 1 and "dengan kode tanda tangan" in masuk[0]["keterangan"]


def test_dmarc_pass_from_our_own_server_signs(tmp_path):
    office = office_at(tmp_path / "kantor", "S11", authres_mode)
    try:
        task = s11_task(office)
        code = code_in_letter(office, task)
        raw = reply(office, task, f"SETUJU {code}", signer=None, edit=add_headers(
            f"{AR}{AUTHSERV}; spf=pass smtp.mailfrom={DOMAIN}; dkim=pass header.d={DOMAIN}; "
            f"dmarc=pass (p=quarantine) header.from={DOMAIN}",
            f"{AR}evil.test; dmarc=fail header.from={DOMAIN}"))  # below ours: not read
        assert_signed(office, office.ingest(raw))
    finally:
        office.close()


def test_a_plt_marked_ttd_signs(s11):
    task = s11_task(s11)
    code = code_in_letter(s11, task)
    row = s11.ingest(reply(s11, task, f"SETUJU {code}", sender=f"Plt. Camat <{PLT}>"))
    assert row["status"] == "diproses", row
    assert s11.app.store.load_cycle(s11.code).steps["S11"].status == "done"


def test_without_kode_ttd_setuju_alone_signs(tmp_path):
    office = office_at(tmp_path / "kantor", "S11", no_code)
    try:
        task = s11_task(office)
        row = office.ingest(reply(office, task, "SETUJU"))
        assert row["status"] == "diproses", row
        assert office.app.store.load_cycle(office.code).steps["S11"].status == "done"
    finally:
        office.close()


def test_a_fresh_mail_with_the_token_and_no_in_reply_to_signs(s11):
    """No In-Reply-To at all (a client that drops it, or a new message): the token counts."""
    task = s11_task(s11)
    code = code_in_letter(s11, task)
    row = s11.ingest(reply(s11, task, f"SETUJU {code}", thread=False))
    assert_signed(s11, row)


def test_inspect_json_names_the_failed_check(s11):
    task = s11_task(s11)
    path = s11.root / "palsu.eml"
    path.write_bytes(
        reply(s11, task, "SETUJU 123456", edit=set_header("From", f'"{CAMAT}" <{STAF}>'))
    )
    out = pantau_main(["--config", str(s11.app.cfg.path), "inspect", "--json", str(path)], cwd=ROOT)
    got = json.loads(out.stdout.splitlines()[0])
    assert (
        got["from"] == STAF
        and got["sender_ok"] is False
        and got["sender_check"] == "bukan_penerima"
    )
    assert f"pengirim {STAF} bukan penerima tugas" in got["sender_reason"]


# --------------------------------------------------------------------------- the units' forms (S4)


def test_a_units_forged_form_is_held_and_a_signed_one_by_form_code_counts(s4):
    task = s4.task(unit="PEM", step="S4")
    form = filled_form(s4, "PEM")
    # Unsigned: held, nothing taken.
    raw = s4.reply(task, attachments=[form])
    a = s4.app.reader.analyse(raw)
    assert a.sender_ok is False and a.sender_check == "dkim_tidak_ada"
    before = s4.state()
    assert s4.ingest(raw)["status"] == "ditahan" and s4.state() == before
    # References only, but the embedded form code names the unit's form: taken.
    raw = sign(s4.reply(task, attachments=[form], thread=False, headers={
        "References": str(s4.request(task)["Message-ID"])}), DOMAIN)
    raw = re.sub(rb"(?m)^Subject: .*$", b"Subject: data kinerja PEM", raw, count=1)
    raw = sign(re.sub(rb"(?mi)^DKIM-Signature:.*(?:\r?\n[ \t].*)*\r?\n", b"", raw), DOMAIN)
    a = s4.app.reader.analyse(raw)
    assert a.task and a.task["key"] == task["key"] and a.sender_ok is True, (
        a.matched_by,
        a.sender_reason,
    )
    assert s4.ingest(raw)["status"] == "diproses"
    assert s4.app.store.load_cycle(s4.code).units["PEM"].status == "received"



# --------------------------------------------------------------------------- forwarded mail (ARC)


def arc_forwarded(office: Office, task: dict, code: str) -> bytes:
    """The Camat's signed approval through a forwarder that adds a footer (breaking DKIM), records
    what it saw (dkim=pass, dmarc=pass) and seals it with ARC."""
    import dkim
    from dkimkeys import SELECTOR, keypair

    raw = reply(office, task, f"SETUJU {code}")
    raw = (
        b"Authentication-Results: forwarder.test; dkim=pass header.d=kecamatan.test; "
        b"dmarc=pass header.from=kecamatan.test\r\n"
        + raw.replace(
            f"SETUJU {code}\n".encode(), f"SETUJU {code}\n\n-- \nlewat milis kantor\n".encode()
        )
    )
    seal = dkim.arc_sign(raw, SELECTOR.encode(), b"forwarder.test", keypair("forwarder.test")[0],
                         b"forwarder.test")
    return b"".join(seal) + raw


def trust_forwarder(text: str) -> str:
    return re.sub(r"(?m)^arc_tepercaya\s*=.*$", 'arc_tepercaya = ["forwarder.test"]', text)


def test_arc_from_an_untrusted_sealer_is_held(s11):
    write_keys(s11.root / "config" / "dkim_kunci.txt", KEY_DOMAINS + ["forwarder.test"])
    s11.app.reader.trust.keys.update(load_dkim_keys(s11.root / "config" / "dkim_kunci.txt"))
    task = s11_task(s11)
    assert_held(
        s11, arc_forwarded(s11, task, code_in_letter(s11, task)), "dkim_gagal", "tidak dipercaya"
    )


def test_arc_from_a_trusted_sealer_signs(tmp_path):
    office = office_at(tmp_path / "kantor", "S11", trust_forwarder)
    try:
        write_keys(office.root / "config" / "dkim_kunci.txt", KEY_DOMAINS + ["forwarder.test"])
        office.close()
        office = open_office(tmp_path / "kantor")
        assert office.app.cfg.arc_tepercaya == ("forwarder.test",)
        task = s11_task(office)
        assert_signed(
            office, office.ingest(arc_forwarded(office, task, code_in_letter(office, task)))
        )
    finally:
        office.close()


# --------------------------------------------------------------------------- configuration


def _cfg(tmp_path: Path, edit) -> Path:
    cfg = new_office(tmp_path / "k").config
    cfg.write_text(edit(cfg.read_text(encoding="utf-8")), encoding="utf-8")
    return cfg


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda t: t.replace(
                "wakil = []", 'wakil = [{ email = "plt@kecamatan.test", ttd = "ya" }]', 1
            ),
            "ttd = 'ya' tidak sesuai",
        ),
        (
            lambda t: t.replace(
                "wakil = []", 'wakil = [{ email = "plt@kecamatan.test", tanda = true }]', 1
            ),
            "kunci tanda tidak dikenal",
        ),
        (
            lambda t: t.replace("wakil = []", "wakil = [{ ttd = true }]", 1),
            "alamat e-mail belum diisi",
        ),
        (
            lambda t: t.replace('# verifikasi = "dkim"', 'verifikasi = "dmarc"'),
            "keamanan.verifikasi",
        ),
        (
            lambda t: t.replace('# verifikasi = "dkim"', 'verifikasi = "authres"'),
            "keamanan.authserv_id",
        ),
        (
            lambda t: t.replace('dkim_kunci = ""', 'dkim_kunci = "config/tidak-ada.txt"'),
            "keamanan.dkim_kunci",
        ),
    ],
    ids=[
        "ttd-not-bool",
        "unknown-wakil-key",
        "wakil-without-email",
        "unknown-verifikasi",
        "authres-without-authserv",
        "missing-key-file",
    ],
)
def test_trust_configuration_errors_name_the_key(tmp_path, edit, message):
    from daemon.config import ConfigError

    with pytest.raises(ConfigError) as e:
        load_config(_cfg(tmp_path, edit))
    assert any(message in p for p in e.value.problems), e.value.problems


def test_defaults_and_check_warning(tmp_path):
    from daemon.operator.checks import run_checks

    cfg = load_config(_cfg(tmp_path, lambda t: t.replace(
        "wakil = []", f'wakil = ["{AJUDAN}", {{ email = "{PLT}", ttd = true }}]', 1)))
    assert cfg.verifikasi == "tidak" and cfg.kode_ttd is True  # maildir
    assert cfg.camat.wakil == (AJUDAN, PLT) and cfg.camat.wakil_ttd == (PLT,)
    imap = _cfg(
        tmp_path / "imap", lambda t: t.replace('transport = "maildir"', 'transport = "imap"')
    )
    text = re.sub(r'(?m)^username = ""', 'username = "pantau"', imap.read_text(), count=1)
    imap.write_text(text)
    assert load_config(imap).verifikasi == "dkim"
    imap.write_text(text.replace('# verifikasi = "dkim"', 'verifikasi = "tidak"'))
    rep = run_checks(load_config(imap), offline=True)
    assert any('keamanan.verifikasi: "tidak"' in w and "Camat" in w for w in rep.warnings), (
        rep.warnings
    )


def test_a_reply_to_the_reminder_signs(s11):
    """The reminder is one of Pantau's letters of the task: answering it counts (with the code
    from the S11 e-mail, which the reminder does not repeat)."""
    task = s11_task(s11)
    code = code_in_letter(s11, task)
    s11.clock.advance(days=2)
    s11.app.sweep()
    s11.app.dispatch()
    row = s11.store._q1(
        "SELECT * FROM outbox WHERE task=? AND kind='pemberitahuan:pengingat'", (task["key"],)
    )
    assert row, "no reminder"
    reminder = message_from_bytes(Path(row["path"]).read_bytes(), policy=policy.default)
    assert code not in body(reminder)
    raw = reply(s11, task, f"SETUJU {code}", subject=f"Re: {reminder['Subject']}",
                irt=str(reminder["Message-ID"]), refs=str(reminder["Message-ID"]))
    assert_signed(s11, s11.ingest(raw))


def test_through_the_maildir_transport_forged_is_filed_held_and_the_camat_signs(s11):
    """The daemon's own round (poll, sweep, dispatch) on the Maildir transport: the forged
    approval lands in Pantau/Gagal and is listed for triage; the Camat's signed reply closes S11."""
    from daemon.mail.transports.maildir import deliver

    cfg = s11.app.cfg
    assert cfg.mail.transport == "maildir" and cfg.verifikasi == "dkim"
    task = s11_task(s11)
    code = code_in_letter(s11, task)
    forged = reply(
        s11, task, f"SETUJU {code}", edit=set_header("From", f'"Rika Marta <{CAMAT}>" <{STAF}>')
    )
    deliver(cfg.mail.maildir_path, cfg.mail.alamat, forged)
    before = s11.state()
    assert s11.app.run_once()["received"] == 1
    assert s11.state()["tasks"] == before["tasks"] and s11.state()["masuk"] == before["masuk"]
    held = s11.store.held()
    assert len(held) == 1 and f"pengirim {STAF} bukan penerima tugas" in held[0]["reason"], held
    box = cfg.mail.maildir_path / cfg.mail.alamat
    assert len(list(box.glob(".Pantau.Gagal/cur/*"))) == 1
    deliver(cfg.mail.maildir_path, cfg.mail.alamat, reply(s11, task, f"SETUJU {code}"))
    s11.clock.advance(minutes=5)
    assert s11.app.run_once()["received"] == 1
    st = s11.app.store.load_cycle(s11.code)
    assert st.steps["S11"].status == "done"
    kasubag = cfg.kasubag.email  # S12: the signed report went on with its cover letter
    assert any("Penyampaian Laporan" in str(m["Subject"]) for _, m in s11.outbox_since(0, kasubag))
