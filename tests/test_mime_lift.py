"""Base64 bodies lifted out of a message before the parser reads it (daemon/mail/mime/lift.py,
issue #17): every message must read exactly as the plain parse reads it, on the real-world
corpus with every base64 body lifted, on a form reply as the bench sends them, and on the
shapes where lifting must step aside (a lone CR, no closing boundary, broken base64, a
forwarded message, a part over the attachment limit)."""

from __future__ import annotations

import base64
import hashlib
import os
from email.message import EmailMessage

import daemon.mail.mime.lift as lift_module
import daemon.mail.mime.parse as parse_module
from daemon.mail.mime import Limits, parse_message
from daemon.mail.mime.lift import lift


def signature(pm) -> tuple:
    return (pm.text, pm.html, pm.errors, pm.refused, pm.headers, pm.message_id, pm.from_addr,
            pm.subject, pm.to, pm.cc, pm.author, pm.in_reply_to, pm.references,
            [(a.filename, a.content_type, a.source, hashlib.sha256(a.data).hexdigest())
             for a in pm.attachments])


def plain(raw: bytes, limits: Limits = Limits()):
    """The parse without lifting."""
    return parse_module._parse(raw, limits)


def test_the_corpus_reads_the_same_with_every_base64_body_lifted(monkeypatch):
    from test_hostile import corpus_messages

    monkeypatch.setattr(lift_module, "LIFT_FROM", 1)
    compared = lifted = 0
    for name, raw in corpus_messages():
        assert signature(parse_message(raw, Limits())) == signature(plain(raw)), name
        compared += 1
        lifted += lift(raw, 1 << 30) is not None
    assert compared > 900
    assert lifted > 100, lifted  # the test reads many messages through the lifted path


def _form_reply(size: int = 80_000, linesep: str = "\r\n") -> bytes:
    m = EmailMessage()
    m["From"] = "Sekretariat <sekretariat@kecamatan.test>"
    m["To"] = "pantau@kecamatan.test"
    m["Subject"] = "Re: [PK-2025-TW3] [#ABCD-EFGH] Formulir"
    m.set_content("Terlampir formulir yang sudah diisi.\n\nSalam")
    m.add_attachment(os.urandom(size), maintype="application",
                     subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
                     filename="formulir.docx")
    raw = m.as_bytes()
    return raw.replace(b"\n", linesep.encode()) if linesep != "\n" else raw


def test_a_form_reply_is_lifted_and_reads_the_same():
    for sep in ("\r\n", "\n"):
        raw = _form_reply(linesep=sep)
        assert lift(raw, 1 << 30) is not None
        got = parse_message(raw, Limits())
        assert signature(got) == signature(plain(raw))
        assert len(got.attachments) == 1 and len(got.attachments[0].data) == 80_000


def _one_part(body: bytes, boundary: bytes = b"XYZ", tail: bytes = b"--XYZ--\r\n") -> bytes:
    return (b"From: a@contoh.test\r\nTo: b@contoh.test\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=\"" + boundary + b"\"\r\n\r\n"
            b"--" + boundary + b"\r\nContent-Type: text/plain\r\n\r\nisi\r\n"
            b"--" + boundary + b"\r\nContent-Type: application/octet-stream\r\n"
            b"Content-Disposition: attachment; filename=\"a.bin\"\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" + body + tail)


def _b64(n: int) -> bytes:
    return base64.encodebytes(os.urandom(n)).replace(b"\n", b"\r\n")


def test_where_lifting_steps_aside_the_plain_parse_reads_it():
    body = _b64(20_000)
    cases = {
        "lifted": (_one_part(body), True),
        "boundary with trailing blanks": (_one_part(body, tail=b"--XYZ--  \t\r\n"), True),
        "a lone CR in the body": (_one_part(body[:500] + b"\r" + body[500:]), False),
        "no closing boundary": (_one_part(body, tail=b""), False),
        # 19,998 bytes encode to whole groups; one character more cannot be decoded
        "broken base64": (_one_part(_b64(19_998)[:-2] + b"A\r\n"), False),
        "a line starting with -- that is no boundary": (
            _one_part(body[:600] + b"--nope\r\n" + body[600:]), True),
    }
    for name, (raw, lifts) in cases.items():
        assert (lift(raw, 1 << 30) is not None) is lifts, name
        assert signature(parse_message(raw, Limits())) == signature(plain(raw)), name


def test_a_forwarded_message_inside_is_kept_whole():
    inner = _one_part(_b64(20_000))
    outer = (b"From: a@contoh.test\r\nTo: b@contoh.test\r\nSubject: fw\r\nMIME-Version: 1.0\r\n"
             b"Content-Type: multipart/mixed; boundary=\"OUT\"\r\n\r\n--OUT\r\n"
             b"Content-Type: text/plain\r\n\r\nlihat lampiran\r\n--OUT\r\n"
             b"Content-Type: message/rfc822\r\n\r\n" + inner + b"\r\n--OUT--\r\n")
    assert lift(outer, 1 << 30) is None
    assert signature(parse_message(outer, Limits())) == signature(plain(outer))


def test_a_part_over_the_attachment_limit_is_refused_undecoded_as_before():
    raw = _one_part(_b64(300_000))
    limits = Limits(max_attachment_bytes=100_000)
    lifted = lift(raw, int(limits.max_attachment_bytes * 1.05))
    assert lifted is not None and list(lifted.parts.values())[0][0] is None
    got = parse_message(raw, limits)
    assert got.refused and not got.attachments
    assert signature(got) == signature(plain(raw, limits))


def test_a_sender_cannot_name_a_lifted_part():
    """The marker header is made for one parse: a header of the same shape in the message
    points at nothing."""
    raw = _one_part(_b64(20_000)).replace(
        b"Content-Transfer-Encoding: base64\r\n",
        b"Content-Transfer-Encoding: base64\r\nX-Pantau-Spool-000000000000000000000000: 0\r\n")
    got = parse_message(raw, Limits())
    assert signature(got) == signature(plain(raw))
