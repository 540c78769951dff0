"""More forged approvals (issue 12 review, SPEC §3.1/§3.2): attacks not in
tests/test_forged_approval.py, against S6 (the Camat's approval of the draft), S10 (the
Sekretaris's correction) and S11 (the Camat's signature, with its code), in a real office with
`keamanan.verifikasi = "dkim"` and a `dkim_kunci` file of test keys (fixtures of
test_forged_approval.py). Each forged message goes through `Reader.analyse` and
`OfficeApp.ingest`: held with a reason (or read as unclear, for what the text says), and the
cycle, its tasks, both registers and the outbox unchanged. The genuine answers that look like
the attacks (mixed-case From, a reply to the reminder, the Camat's own mail) still work.
"""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import make_msgid

import dkim
import pytest
from dkimkeys import SELECTOR, keypair, sign
from test_forged_approval import (
    AJUDAN,
    AUTHSERV,
    CAMAT,
    DOMAIN,
    STAF,
    add_headers,
    authres_mode,
    code_in_letter,
    ew,
    no_code,
    office_at,
    reply,
    set_header,
)

pytestmark = pytest.mark.slow  # offices driven to S4/S11 by signed mail, copied per test

SEKRETARIS = f"sekretaris@{DOMAIN}"
AR = "Authentication-Results: "
STEP_RECIPIENT = {"S6": CAMAT, "S10": SEKRETARIS, "S11": CAMAT}


# --------------------------------------------------------------------------- helpers


def _code(office, task) -> str:
    return code_in_letter(office, task) if task["step"] == "S11" else ""


def approve(code: str) -> str:
    return f"SETUJU {code}".strip()


def fresh_mail(office, task, text: str, *, sender: str, subject: str = "Izin cuti staf",
               to: str = f"staf.umum@{DOMAIN}") -> bytes:
    """A person's own new mail about something else (no In-Reply-To, no token): what a staff
    member could have in their inbox from the official, signed by the official's server."""
    m = EmailMessage()
    m["From"] = sender
    m["To"] = to
    m["Subject"] = subject
    m["Date"] = "Mon, 06 Oct 2025 08:00:00 +0700"
    m["Message-ID"] = make_msgid(domain=DOMAIN)
    m.set_content(text + "\n")
    return bytes(m)


def prepend(*lines: str):
    def edit(raw: bytes) -> bytes:
        return "".join(line + "\n" for line in lines).encode() + raw
    return edit


def _with_line(line: str):
    """An unsigned reply with one hand-written (broken) DKIM-Signature line on top."""
    return lambda o, t, c: prepend(line)(o.reply(t, approve(c)))


def sign_len(raw: bytes, domain: str) -> bytes:
    """Signed with the l= body length tag (dkimpy `length=True`)."""
    sig = dkim.sign(raw, SELECTOR.encode(), domain.encode(), keypair(domain)[0],
                    canonicalize=(b"relaxed", b"relaxed"), length=True,
                    include_headers=[b"from", b"to", b"subject", b"date", b"message-id",
                                     b"in-reply-to", b"references"])
    return sig + raw


def sign_h(raw: bytes, domain: str, headers: list[str]) -> bytes:
    sig = dkim.sign(
        raw,
        SELECTOR.encode(),
        domain.encode(),
        keypair(domain)[0],
        canonicalize=(b"relaxed", b"relaxed"),
        include_headers=[h.encode() for h in headers],
    )
    return sig + raw


def token_of(office, task) -> str:
    return re.search(r"\[#[0-9A-Z]{4}-[0-9A-Z]{4}\]", str(office.request(task)["Subject"])).group(0)


def other_task(office, task) -> dict:
    """An earlier, closed task of the same person (the Camat's S1 or the Sekretaris's S8...)."""
    rows = office.store._q("SELECT * FROM tasks WHERE cycle=? AND lower(recipient)=? AND key<>? "
                          "ORDER BY opened", (office.code, task["recipient"].lower(), task["key"]))
    rows = [r for r in rows if office.store._q1("SELECT 1 FROM outbox WHERE task=?", (r["key"],))]
    assert rows, "no other task of this person"
    return rows[-1]


def html_part_only_code(code: str):
    def edit(raw: bytes) -> bytes:
        msg = message_from_bytes(raw, policy=policy.default)
        msg.set_content("SETUJU\n")
        msg.add_alternative(f"<html><body><p>SETUJU {code}</p></body></html>", subtype="html")
        return bytes(msg)
    return edit


def s6_replay_to(office, task, code):
    """The person's genuine signed SETUJU to their earlier task, re-pointed at this task by an
    In-Reply-To added above the signed headers."""
    prev = other_task(office, task)
    raw = reply(office, prev, approve(code), sender=task["recipient"])
    return prepend(f"In-Reply-To: {office.request(task)['Message-ID']}")(raw)


# (id, steps, builder(office, task, code) -> raw, expect) ; expect "held" or "unclear"
R = "{R}"  # the recipient of the step
ATTACKS = [
    # -- From header variants
    (
        "quoted-local-at-evil",
        ("S6", "S11"),
        lambda o, t, c: reply(
            o,
            t,
            approve(c),
            signer="evil.test",
            edit=set_header("From", f'"{t["recipient"]}"@evil.test'),
        ),
        "held",
    ),
    (
        "double-at",
        ("S6", "S10"),
        lambda o, t, c: reply(
            o,
            t,
            approve(c),
            signer="evil.test",
            edit=set_header("From", f"{t['recipient']}@evil.test"),
        ),
        "held",
    ),
    (
        "source-route",
        ("S6", "S11"),
        lambda o, t, c: reply(
            o,
            t,
            approve(c),
            signer="evil.test",
            edit=set_header("From", f"<@evil.test:{t['recipient']}>"),
        ),
        "held",
    ),
    (
        "punycode-lookalike",
        ("S6",),
        lambda o, t, c: reply(
            o, t, approve(c), signer=None, edit=set_header("From", "camat@xn--kecamatn-8ya.test")
        ),
        "held",
    ),
    (
        "trailing-dot-domain",
        ("S6", "S10"),
        lambda o, t, c: reply(
            o, t, approve(c), signer="evil.test", edit=set_header("From", t["recipient"] + ".")
        ),
        "held",
    ),
    (
        "folded-address",
        ("S6",),
        lambda o, t, c: reply(
            o,
            t,
            approve(c),
            signer="evil.test",
            edit=set_header("From", "Rika <camat\n @kecamatan.test>"),
        ),
        "held",
    ),
    (
        "encoded-addr-spec",
        ("S6", "S11"),
        lambda o, t, c: reply(
            o, t, approve(c), signer="evil.test", edit=set_header("From", ew(t["recipient"]))
        ),
        "held",
    ),
    (
        "second-from-after-space-line",
        ("S6",),
        lambda o, t, c: reply(
            o,
            t,
            approve(c),
            edit=lambda r: re.sub(
                rb"(?m)^(Subject:.*\n)", rb"\1 \nFrom: " + STAF.encode() + b"\n", r, count=1
            ),
        ),
        "held",
    ),
    (
        "comment-local-part-evil",
        ("S6",),
        lambda o, t, c: reply(
            o, t, approve(c), signer="evil.test", edit=set_header("From", "camat(hi)@evil.test")
        ),
        "held",
    ),
    (
        "resent-from-camat",
        ("S6", "S11"),
        lambda o, t, c: reply(
            o, t, approve(c), sender=STAF, edit=prepend(f"Resent-From: {t['recipient']}")
        ),
        "held",
    ),
    (
        "from-name-with-comment-addr-in-quotes",
        ("S10",),
        lambda o, t, c: reply(
            o,
            t,
            approve(c),
            sender=STAF,
            edit=set_header("From", f'"x" ({t["recipient"]}) <{STAF}>'),
        ),
        "held",
    ),
    (
        "null-byte-from",
        ("S6",),
        lambda o, t, c: reply(
            o,
            t,
            approve(c),
            signer="evil.test",
            edit=set_header("From", f"{t['recipient']}\x00@evil.test"),
        ),
        "held",
    ),
    # -- DKIM
    (
        "l-tag-appended-approval",
        ("S6", "S10"),
        lambda o, t, c: (
            sign_len(re.sub(rb"\n\nPada .*", b"\n", o.reply(t, ""), flags=re.S), DOMAIN)
            + f"{approve(c)}\n".encode()
        ),
        "held",
    ),
    ("l-tag-zero", ("S6",), lambda o, t, c: _sign_l0(o.reply(t, approve(c))), "held"),
    (
        "l-tag-s11-appended",
        ("S11",),
        lambda o, t, c: (
            sign_len(re.sub(rb"\n\nPada .*", b"\n", o.reply(t, ""), flags=re.S), DOMAIN)
            + f"SETUJU {c}\n".encode()
        ),
        "held",
    ),
    (
        "h-from-only-subject-swapped",
        ("S6", "S10"),
        lambda o, t, c: re.sub(
            rb"(?m)^Subject:.*$",
            f"Subject: Re: [PK-2025-TW3] {token_of(o, t)}".encode(),
            sign_h(fresh_mail(o, t, "SETUJU", sender=t["recipient"]), DOMAIN, ["from", "date"]),
            count=1,
        ),
        "held",
    ),
    (
        "delivered-to-plus-token",
        ("S6", "S10"),
        lambda o, t, c: prepend(f"Delivered-To: pantau+{token_of(o, t)[2:-1]}@{DOMAIN}")(
            sign(fresh_mail(o, t, "SETUJU", sender=t["recipient"]), DOMAIN)
        ),
        "held",
    ),
    (
        "from-added-above-signed",
        ("S6", "S11"),
        lambda o, t, c: prepend(f"From: {t['recipient']}")(
            sign(o.reply(t, approve(c), sender=STAF), DOMAIN)
        ),
        "held",
    ),
    (
        "parent-domain-signer",
        ("S6",),
        lambda o, t, c: reply(o, t, approve(c), sender=f"camat@sub.{DOMAIN}", signer=DOMAIN),
        "held",
    ),
    (
        "unknown-selector-dns-name",
        ("S6", "S10"),
        lambda o, t, c: reply(
            o, t, approve(c), signer=None, edit=lambda r: sign(r, DOMAIN, selector="lain")
        ),
        "held",
    ),
    (
        "malformed-dkim-header",
        ("S6", "S11"),
        lambda o, t, c: reply(
            o,
            t,
            approve(c),
            signer=None,
            edit=prepend(
                "DKIM-Signature: v=1; a=rsa-sha256; d=kecamatan.test; "
                "s=pantau-test; h=from; bh=!!; b=???"
            ),
        ),
        "held",
    ),
    (
        "garbage-dkim-header",
        ("S10",),
        lambda o, t, c: reply(
            o, t, approve(c), signer=None, edit=prepend("DKIM-Signature: \x01\x02 ;;;; d=")
        ),
        "held",
    ),
    (
        "dkim-d-uppercase-other",
        ("S6",),
        lambda o, t, c: reply(
            o, t, approve(c), signer="evil.test", edit=set_header("From", "camat@EVIL.test")
        ),
        "held",
    ),
    *[
        (f"bad-dkim-{n}", ("S10",), _with_line(line), "held")
        for n, line in (
            (
                "huge-h",
                "DKIM-Signature: v=1; a=rsa-sha256; d=kecamatan.test; s=pantau-test; h="
                + ":".join(["from"] * 5000)
                + "; bh=AAAA; b=AAAA",
            ),
            (
                "unicode-d",
                "DKIM-Signature: v=1; a=rsa-sha256; d=kecamat\u0430n.test; s=pantau-test; h=from; "
                "bh=AAAA; b=AAAA",
            ),
            (
                "ed25519-bogus",
                "DKIM-Signature: v=1; a=ed25519-sha256; d=kecamatan.test; s=pantau-test; h=from; "
                "bh=AAAA; b=AAAA",
            ),
            (
                "l-negative",
                "DKIM-Signature: v=1; a=rsa-sha256; d=kecamatan.test; s=pantau-test; l=-5; h=from; "
                "bh=AAAA; b=AAAA",
            ),
            (
                "selector-is-a-dns-name",
                "DKIM-Signature: v=1; a=rsa-sha256; d=kecamatan.test; "
                "s=x._domainkey.evil.test.; h=from; bh=AAAA; b=AAAA",
            ),
        )
    ],
    (
        "expired-soon-x-in-past",
        ("S10",),
        lambda o, t, c: sign(o.reply(t, approve(c)), DOMAIN, expire=-10),
        "held",
    ),
    # -- replays and correlation
    (
        "in-reply-to-added-to-fresh-signed-mail",
        ("S6", "S10"),
        lambda o, t, c: prepend(f"In-Reply-To: {o.request(t)['Message-ID']}")(
            sign(fresh_mail(o, t, "SETUJU", sender=t["recipient"]), DOMAIN)
        ),
        "held",
    ),
    (
        "subject-token-prepended-to-fresh-signed-mail",
        ("S6", "S10"),
        lambda o, t, c: prepend(f"Subject: Re: [PK-2025-TW3] {token_of(o, t)}")(
            sign(fresh_mail(o, t, "SETUJU", sender=t["recipient"]), DOMAIN)
        ),
        "held",
    ),
    ("replay-other-task-irt-prepended", ("S10", "S11"), s6_replay_to, "held"),
    (
        "replay-other-task-irt-unsigned",
        ("S10", "S11"),
        lambda o, t, c: prepend(f"In-Reply-To: {o.request(t)['Message-ID']}")(
            sign_h(
                re.sub(
                    rb"(?m)^In-Reply-To:.*\n",
                    b"",
                    o.reply(other_task(o, t), approve(c), sender=t["recipient"]),
                ),
                DOMAIN,
                ["from", "to", "date"],
            )
        ),
        "held",
    ),
    (
        "references-s11-irt-foreign",
        ("S6", "S11"),
        lambda o, t, c: reply(
            o, t, approve(c), irt=make_msgid(domain=DOMAIN), refs=str(o.request(t)["Message-ID"])
        ),
        "held",
    ),
    (
        "token-of-s6-at-s11",
        ("S11",),
        lambda o, t, c: reply(
            o,
            t,
            approve(c),
            thread=False,
            subject=f"Re: [PK-2025-TW3] {token_of(o, other_task(o, t))}",
        ),
        "nochange",
    ),
    (
        "irt-other-task-token-this",
        ("S10", "S11"),
        lambda o, t, c: reply(
            o, t, approve(c), irt=str(o.request(other_task(o, t))["Message-ID"]), refs=""
        ),
        "nochange",
    ),
    (
        "wakil-of-sekretaris-for-camat",
        ("S6",),
        lambda o, t, c: reply(o, t, approve(c), sender="wakil.sekcam@kecamatan.test"),
        "held",
    ),
    (
        "ajudan-wakil-unsigned",
        ("S6",),
        lambda o, t, c: reply(o, t, approve(c), sender=AJUDAN, signer=None),
        "held",
    ),
    (
        "bait-reply-in-reply-to-repointed",
        ("S6", "S10"),
        lambda o, t, c: _bait_repointed(o, t),
        "held",
    ),
    (
        "two-subjects",
        ("S11",),
        lambda o, t, c: prepend("Subject: Re: rapat")(reply(o, t, approve(c))),
        "held",
    ),
    (
        "two-in-reply-to",
        ("S6",),
        lambda o, t, c: prepend(f"In-Reply-To: {make_msgid(domain=DOMAIN)}")(
            reply(o, t, approve(c))
        ),
        "held",
    ),
    # -- the S11 code
    (
        "code-in-subject-only",
        ("S11",),
        lambda o, t, c: reply(o, t, "SETUJU", subject=f"Re: {o.request(t)['Subject']} {c}"),
        "unclear",
    ),
    (
        "code-in-quote-only",
        ("S11",),
        lambda o, t, c: reply(
            o,
            t,
            "SETUJU\n\nPada 06/10/2025 pukul 08.05 Pantau menulis:\n"
            f"> Untuk menandatangani, balas: SETUJU {c}",
        ),
        "unclear",
    ),
    ("code-on-second-line", ("S11",), lambda o, t, c: reply(o, t, f"SETUJU\n{c}"), "unclear"),
    (
        "code-in-html-only",
        ("S11",),
        lambda o, t, c: reply(o, t, "SETUJU", edit=html_part_only_code(c)),
        "unclear",
    ),
    (
        "code-of-other-cycle-task",
        ("S11",),
        lambda o, t, c: reply(
            o,
            t,
            "SETUJU "
            + __import__("daemon.core.verification", fromlist=["x"]).signature_code(
                o.app.secret, t["key"].replace("2025-TW3", "2025-TW2")
            ),
        ),
        "unclear",
    ),
    (
        "code-in-attachment-name",
        ("S11",),
        lambda o, t, c: reply(o, t, "SETUJU", attachments=[(f"SETUJU {c}.txt", b"x")]),
        "unclear",
    ),
    (
        "code-in-header",
        ("S11",),
        lambda o, t, c: reply(o, t, "SETUJU", headers={"X-Kode": c}),
        "unclear",
    ),
    (
        "code-hidden-html",
        ("S11",),
        lambda o, t, c: reply(
            o,
            t,
            "SETUJU",
            edit=lambda r: _html(r, f"<p>SETUJU <span style='display:none'>{c}</span></p>"),
        ),
        "unclear",
    ),
    ("setuju-question-code", ("S11",), lambda o, t, c: reply(o, t, f"SETUJU {c}?"), "unclear"),
    ("code-forward-by-staff-rfc822-irt", ("S11",), lambda o, t, c: _rfc822(o, t, c), "held"),
]


def _bait_repointed(o, t) -> bytes:
    """The person's genuine signed 'Ok' to a staff member's bait that carried the token, its
    signed In-Reply-To (the bait's) changed to name Pantau's letter."""
    bait_id = make_msgid(domain=DOMAIN)
    raw = reply(o, t, "Ok", subject=f"Re: Rapat besok {token_of(o, t)}", irt=bait_id, refs=bait_id)
    return raw.replace(bait_id.encode(), str(o.request(t)["Message-ID"]).encode())


def _sign_l0(raw: bytes) -> bytes:
    """A signature with l=0 (it signs no body at all) over headers that match the letter."""
    head, _, body_ = raw.partition(b"\n\n")
    signed = sign_len(head + b"\n\n", DOMAIN)
    return signed + body_


def _html(raw: bytes, html: str) -> bytes:
    msg = message_from_bytes(raw, policy=policy.default)
    msg.set_content(f"<html><body>{html}</body></html>", subtype="html")
    return bytes(msg)


def _rfc822(o, t, c) -> bytes:
    inner = reply(o, t, f"SETUJU {c}")
    m = EmailMessage()
    m["From"] = STAF
    m["To"] = o.app.cfg.mail.alamat
    m["Subject"] = "Re: " + str(o.request(t)["Subject"])
    m["Message-ID"] = make_msgid(domain=DOMAIN)
    m["In-Reply-To"] = str(o.request(t)["Message-ID"])
    m.set_content("Terlampir.\n")
    m.add_attachment(message_from_bytes(inner, policy=policy.default))
    return sign(bytes(m), DOMAIN)


# "S6" is the Sekretaris's turn on the draft's route; "S6c" the Camat's, after the Sekretaris.
CASES = [(name, step, build, expect) for name, steps, build, expect in ATTACKS
         for step in (s for st in steps for s in ((st, "S6c") if st == "S6" else (st,)))]


def real(step: str) -> str:
    return step[:2] if step == "S6c" else step

_OFFICES: dict = {}


@pytest.fixture
def office_for(tmp_path):
    opened = []

    def make(step, edit=None):
        o = office_at(tmp_path / f"kantor-{step}-{len(opened)}", real(step), edit)
        opened.append(o)
        if step == "S6c":  # the Sekretaris's genuine approval passes the draft on to the Camat
            t = o.task(step="S6", status="open")
            raw = o.reply(t, "SETUJU")
            if o.app.cfg.verifikasi == "authres":
                raw = add_headers(f"{AR}{AUTHSERV}; dmarc=pass header.from={DOMAIN}")(raw)
            else:
                raw = sign(raw, DOMAIN)
            assert o.ingest(raw)["status"] == "diproses"
            o.app.dispatch()
            assert o.task(step="S6", status="open")["recipient"] == CAMAT
        return o
    yield make
    for o in opened:
        o.close()


def assert_no_change(office, raw: bytes, step: str, expect: str) -> None:
    step = real(step)
    task = office.task(step=step, status="open")
    a = office.app.reader.analyse(raw)
    before, last = office.state(), office.last_outbox_id()
    row = office.ingest(raw)
    after = office.state()
    assert after["tasks"] == before["tasks"] and after["masuk"] == before["masuk"], "state changed"
    assert after["keluar"] == before["keluar"] and after["cycle"] == before["cycle"]
    assert (
        office.task(step=step)["status"] == "open" and office.task(step=step)["key"] == task["key"]
    )
    if expect == "nochange":
        return
    if expect == "held":
        assert row["status"] in ("ditahan", "diabaikan") and row["reason"], (row, a.sender_reason)
        assert a.sender_ok is not True or a.decision.decision != "approve", a.sender_reason
        assert office.outbox_since(last, task["recipient"]) == []
    else:
        assert a.decision.decision != "approve", a.decision
        assert row["status"] in ("diproses", "ditahan"), row


@pytest.mark.parametrize(
    ("name", "step", "build", "expect"), CASES, ids=[f"{c[0]}@{c[1]}" for c in CASES]
)
def test_more_forgeries_change_nothing(office_for, name, step, build, expect):
    office = office_for(step)
    task = office.task(step=real(step), status="open")
    raw = build(office, task, _code(office, task))
    assert_no_change(office, raw, step, expect)


# --------------------------------------------------------------------------- authres mode

AUTHRES_ATTACKS = [
    (
        "dkim-pass-but-dmarc-other-domain",
        [f"{AR}{AUTHSERV}; dkim=pass header.d={DOMAIN}; dmarc=pass header.from=evil.test"],
    ),
    (
        "dmarc-pass-other-then-fail-ours",
        [f"{AR}{AUTHSERV}; dmarc=pass header.from=evil.test; dmarc=fail header.from={DOMAIN}"],
    ),
    ("authserv-suffix", [f"{AR}{AUTHSERV}.evil.test; dmarc=pass header.from={DOMAIN}"]),
    ("authserv-in-comment", [f"{AR}(dari {AUTHSERV}) evil.test; dmarc=pass header.from={DOMAIN}"]),
    (
        "lowercase-name-on-top",
        [
            f"authentication-results: evil.test; dmarc=pass header.from={DOMAIN}",
            f"{AR}{AUTHSERV}; dmarc=pass header.from={DOMAIN}",
        ],
    ),
    (
        "arc-authres-ours",
        [f"ARC-Authentication-Results: i=1; {AUTHSERV}; dmarc=pass header.from={DOMAIN}"],
    ),
    (
        "x-original-authres-ours",
        [f"X-Original-Authentication-Results: {AUTHSERV}; dmarc=pass header.from={DOMAIN}"],
    ),
    ("in-reply-to-added-to-fresh-mail", None),
    (
        "ours-below-a-blank-authserv",
        [
            f"{AR}; dmarc=pass header.from={DOMAIN}",
            f"{AR}{AUTHSERV}; dmarc=pass header.from={DOMAIN}",
        ],
    ),
]


@pytest.mark.parametrize("step", ["S6", "S6c", "S11"])
@pytest.mark.parametrize(
    "lines", [a[1] for a in AUTHRES_ATTACKS], ids=[a[0] for a in AUTHRES_ATTACKS]
)
def test_authres_forgeries_change_nothing(office_for, step, lines):
    office = office_for(step, authres_mode)
    assert office.app.cfg.verifikasi == "authres"
    task = office.task(step=real(step), status="open")
    if lines is None:  # someone's own mail, DMARC pass, pointed at the letter by an In-Reply-To
        raw = prepend(f"In-Reply-To: {office.request(task)['Message-ID']}",
                      f"{AR}{AUTHSERV}; dmarc=pass header.from={DOMAIN}")(
            fresh_mail(office, task, approve(_code(office, task)), sender=task["recipient"]))
    else:
        raw = reply(
            office, task, approve(_code(office, task)), signer=None, edit=add_headers(*lines)
        )
    assert_no_change(office, raw, step, "held")


# --------------------------------------------------------------------------- without the code


def test_without_kode_ttd_a_replayed_s6_approval_does_not_sign(office_for):
    """kode_ttd = false: only the letter match stands between the Camat's old signed SETUJU (to
    the draft, S6, signed by a server that does not sign In-Reply-To) and the signature."""
    office = office_for("S11", no_code)
    task = office.task(step="S11", status="open")
    s6 = office.task(step="S6")
    old = sign_h(
        re.sub(rb"(?m)^(In-Reply-To|References):.*\n", b"", office.reply(s6, "SETUJU")),
        DOMAIN,
        ["from", "to", "date", "subject", "message-id"],
    )
    raw = prepend(f"In-Reply-To: {office.request(task)['Message-ID']}")(old)
    assert_no_change(office, raw, "S11", "held")


# --------------------------------------------------------------------------- the genuine answers


def _assert_step_done(office, step: str, row: dict) -> None:
    assert row["status"] == "diproses" and row["reason"] == "", row
    st = office.app.store.load_cycle(office.code)
    assert st.steps[step].status == "done", (step, st.current)
    masuk = [r for r in office.store.register("register_masuk") if r["langkah"] == step]
    assert masuk and "Persetujuan" in " ".join(str(v) for v in masuk[-1].values()), masuk


@pytest.mark.parametrize("step", ["S6c", "S10", "S11"])
def test_genuine_mixed_case_from_still_approves(office_for, step):
    office = office_for(step)
    step = real(step)
    task = office.task(step=step, status="open")
    local, _, dom = task["recipient"].partition("@")
    raw = reply(
        office,
        task,
        approve(_code(office, task)),
        sender=f"Pejabat <{local.capitalize()}@{dom.upper()}>",
    )
    a = office.app.reader.analyse(raw)
    assert a.sender_ok is True and a.decision.decision == "approve", a.sender_reason
    _assert_step_done(office, step, office.ingest(raw))


@pytest.mark.parametrize("step", ["S6c", "S10", "S11"])
def test_genuine_reply_signed_without_in_reply_to_still_approves(office_for, step):
    """Microsoft 365 signs From, Date, Subject, Message-ID but not In-Reply-To: the signed Subject
    with the task's token carries the match."""
    office = office_for(step)
    step = real(step)
    task = office.task(step=step, status="open")
    raw = sign_h(office.reply(task, approve(_code(office, task)), sender=task["recipient"]), DOMAIN,
                 ["from", "date", "subject", "message-id", "content-type", "mime-version"])
    a = office.app.reader.analyse(raw)
    assert a.sender_ok is True and a.matched_by == "in_reply_to", (a.sender_reason, a.matched_by)
    _assert_step_done(office, step, office.ingest(raw))


def test_genuine_authres_mixed_case_authserv_approves(office_for):
    office = office_for("S6c", authres_mode)
    task = office.task(step="S6", status="open")
    raw = reply(
        office,
        task,
        "SETUJU",
        signer=None,
        edit=add_headers(
            f"{AR}{AUTHSERV.upper()}; dkim=pass header.d={DOMAIN}; dmarc=pass "
            f"header.from={DOMAIN.upper()}"
        ),
    )
    _assert_step_done(office, "S6", office.ingest(raw))


def test_through_the_maildir_transport_replays_are_held_and_the_genuine_reply_counts(office_for):
    """The daemon's own round on the Maildir transport: a signed mail re-pointed by an added
    In-Reply-To and one by a prepended Subject are filed as held; the Camat's reply approves S6."""
    from daemon.mail.transports.maildir import deliver

    office = office_for("S6c")
    cfg = office.app.cfg
    assert cfg.mail.transport == "maildir" and cfg.verifikasi == "dkim"
    task = office.task(step="S6", status="open")
    for name in (
        "in-reply-to-added-to-fresh-signed-mail",
        "subject-token-prepended-to-fresh-signed-mail",
    ):
        build = next(a[2] for a in ATTACKS if a[0] == name)
        deliver(cfg.mail.maildir_path, cfg.mail.alamat, build(office, task, ""))
    before = office.state()
    assert office.app.run_once()["received"] == 2
    after = office.state()
    assert after["tasks"] == before["tasks"] and after["masuk"] == before["masuk"]
    held = office.store.held()
    assert len(held) == 2 and all(h["reason"] for h in held), held
    assert any("tanda tangan tidak menutup" in h["reason"] for h in held), held
    assert any("muncul lebih dari sekali" in h["reason"] for h in held), held
    deliver(cfg.mail.maildir_path, cfg.mail.alamat, reply(office, task, "SETUJU"))
    office.clock.advance(minutes=5)
    assert office.app.run_once()["received"] == 1
    assert office.app.store.load_cycle(office.code).steps["S6"].status == "done"
