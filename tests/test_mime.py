"""parse_message: realistic messages in, safe ParsedMessage out, never an exception."""

from __future__ import annotations

import mailbox
import os
from collections import Counter
from email import policy
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest

from daemon.mail.mime import Limits, html_to_text, parse_message, sanitize_filename

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def corpus_dir(*parts: str) -> Path:
    path = CORPUS.joinpath(*parts)
    if not path.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"corpus not found at {path} (CI is set)")
        pytest.skip(f"corpus not found at {path}")
    return path


def crlf(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode("utf-8")


GMAIL_REPLY_WITH_FORM = crlf(
    """Delivered-To: pantau+k7q2-m9xa@kecamatan.test
Return-Path: <kasi.pem@gmail.com>
Received: by 2002:a05:6a10:1b0e with SMTP id x14csp123; Mon, 14 Oct 2025 09:12:03 -0700
MIME-Version: 1.0
References: <20251014.0001.s4.pem@kecamatan.test>
 <20251010.0007.s3@kecamatan.test>
In-Reply-To:
 <20251014.0001.s4.pem@kecamatan.test>
From: =?UTF-8?Q?Siti_N=C3=BCraini?= <Kasi.Pem@Gmail.com>
Date: Mon, 14 Oct 2025 16:11:52 +0700
Message-ID:
 <CAF3x=Yp+Qk1@mail.gmail.com>
Subject: =?UTF-8?Q?Re=3A_=5BPK=2D2025=2DTW3=5D=5B=23K7Q2=2DM9XA=5D_Permintaan_data_kinerja?=
To: Pantau Kecamatan Sukamaju <pantau+k7q2-m9xa@kecamatan.test>
Cc: sekcam@kecamatan.test, "Kasubag, Perencanaan" <kasubag@kecamatan.test>
Content-Type: multipart/mixed; boundary="000000000000a1b2c3"

--000000000000a1b2c3
Content-Type: multipart/alternative; boundary="000000000000a1b2c0"

--000000000000a1b2c0
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

Terlampir formulir yang sudah diisi.

Pada Sen, 14 Okt 2025 pukul 09.00 Pantau Kecamatan Sukamaju <pantau@kecamata=
n.test> menulis:

> Yth. Kepala Seksi Pemerintahan,
> Mohon mengisi formulir terlampir.

--000000000000a1b2c0
Content-Type: text/html; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

<div dir=3D"ltr">Terlampir formulir yang sudah diisi.</div><br><div class=3D=
"gmail_quote"><div dir=3D"ltr" class=3D"gmail_attr">Pada Sen, 14 Okt 2025 p=
ukul 09.00 Pantau &lt;pantau@kecamatan.test&gt; menulis:<br></div><blockquote=
 class=3D"gmail_quote">Yth. Kepala Seksi Pemerintahan,</blockquote></div>

--000000000000a1b2c0--
--000000000000a1b2c3
Content-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document;
	name="=?UTF-8?B?Rm9ybXVsaXIgUEVNIOKAkyBUVzMuZG9jeA==?="
Content-Disposition: attachment;
	filename*=UTF-8''Formulir%20PEM%20%E2%80%93%20TW3.docx
Content-Transfer-Encoding: base64

UEsDBBQAAAAIAA==
--000000000000a1b2c3--
"""
)


def test_gmail_reply_headers_normalised():
    pm = parse_message(GMAIL_REPLY_WITH_FORM)
    assert pm.errors == []
    assert pm.message_id == "CAF3x=Yp+Qk1@mail.gmail.com"
    assert pm.in_reply_to == ["20251014.0001.s4.pem@kecamatan.test"]
    assert pm.references == [
        "20251014.0001.s4.pem@kecamatan.test",
        "20251010.0007.s3@kecamatan.test",
    ]
    assert pm.from_addr == "kasi.pem@gmail.com"
    assert pm.from_name == "Siti Nüraini"
    assert pm.to == ["pantau+k7q2-m9xa@kecamatan.test"]
    assert pm.cc == ["sekcam@kecamatan.test", "kasubag@kecamatan.test"]
    assert pm.delivered_to == ["pantau+k7q2-m9xa@kecamatan.test"]
    assert pm.subject == "Re: [PK-2025-TW3][#K7Q2-M9XA] Permintaan data kinerja"
    assert pm.return_path == "kasi.pem@gmail.com"
    assert pm.date is not None and pm.date.utcoffset().total_seconds() == 7 * 3600
    assert pm.header("From").startswith("Siti Nüraini")
    assert pm.headers["received"][0].startswith("by 2002:a05:6a10:1b0e")


def test_gmail_reply_body_and_rfc2231_attachment():
    pm = parse_message(GMAIL_REPLY_WITH_FORM)
    assert pm.text.startswith("Terlampir formulir yang sudah diisi.")
    assert "menulis:" in pm.text  # quote removal is replies.reply_text's job
    assert pm.html is not None and "gmail_quote" in pm.html
    assert len(pm.attachments) == 1
    att = pm.attachments[0]
    assert att.filename == "Formulir PEM – TW3.docx"
    assert att.content_type == DOCX_MIME
    assert att.source == "mime"
    assert att.data.startswith(b"PK\x03\x04")


def test_encoded_word_filename_and_inline_image():
    msg = EmailMessage()
    msg["From"] = "Budi <budi@kecamatan.test>"
    msg["To"] = "pantau@kecamatan.test"
    msg["Subject"] = "foto"
    msg.set_content("Berikut foto kegiatan.")
    msg.add_alternative('<p>Berikut foto kegiatan.<img src="cid:logo1"></p>', subtype="html")
    html_part = msg.get_payload()[1]
    html_part.add_related(b"\x89PNG\r\n\x1a\nfake", maintype="image", subtype="png", cid="<logo1>")
    msg.add_attachment(b"%PDF-1.4 x", maintype="application", subtype="pdf", filename="x.pdf")
    raw = msg.as_bytes().replace(
        b'filename="x.pdf"', b'filename="=?UTF-8?B?TGFwb3JhbiBLZWdpYXRhbi5wZGY=?="'
    )
    pm = parse_message(raw)
    names = [(a.filename, a.content_type, a.source) for a in pm.attachments]
    assert ("Laporan Kegiatan.pdf", "application/pdf", "mime") in names
    inline = [a for a in pm.attachments if a.source == "inline"]
    assert len(inline) == 1 and inline[0].content_type == "image/png"
    assert inline[0].filename.startswith("lampiran-")  # a name is made up for display
    assert pm.text.strip() == "Berikut foto kegiatan."


OUTLOOK_HTML_ONLY = crlf(
    """From: "Camat Sukamaju" <camat@kecamatan.test>
To: "Pantau" <pantau@kecamatan.test>
Subject: RE: [PK-2025-TW3][#ABCD-EFGH] Konsep laporan
Date: Tue, 15 Oct 2025 08:01:00 +0000
Message-ID: <DM6PR01MB1234.namprd01.prod.outlook.com>
In-Reply-To: <20251015.s6.v1@kecamatan.test>
Return-Path: <>
Content-Type: text/html; charset="windows-1252"
Content-Transfer-Encoding: quoted-printable

<html><head><style>p {margin:0}</style></head><body>
<div class=3D"WordSection1"><p class=3DMsoNormal>Setuju=2C lanjutkan ke undangan.</p>
<p class=3DMsoNormal>&nbsp;</p>
<div style=3D"border:none;border-top:solid #E1E1E1 1.0pt"><p class=3DMsoNormal>
<b>Dari:</b> Pantau &lt;pantau@kecamatan.test&gt;<br><b>Dikirim:</b> Selasa, 15 Okto=
ber 2025 07.00<br><b>Kepada:</b> Camat<br><b>Subjek:</b> Konsep laporan</p></div>
<p class=3DMsoNormal>Yth. Bapak Camat, mohon persetujuan =96 balas SETUJU.</p></div>
</body></html>
"""
)


def test_html_only_outlook_gets_text_and_null_return_path():
    pm = parse_message(OUTLOOK_HTML_ONLY)
    assert pm.return_path == ""
    assert pm.html is not None and "WordSection1" in pm.html
    lines = pm.text.splitlines()
    assert lines[0] == "Setuju, lanjutkan ke undangan."
    assert "Dari: Pantau <pantau@kecamatan.test>" in lines
    assert "Yth. Bapak Camat, mohon persetujuan – balas SETUJU." in lines  # cp1252 dash
    assert "margin" not in pm.text  # <style> is not text


def test_forwarded_rfc822_inner_files_appear():
    inner = EmailMessage()
    inner["From"] = "kasi.trantib@kecamatan.test"
    inner["To"] = "kasubag@kecamatan.test"
    inner["Subject"] = "Formulir Trantib"
    inner["Message-ID"] = "<inner-1@kecamatan.test>"
    inner.set_content("Formulir terlampir.")
    inner.add_attachment(
        b"PK\x03\x04inner", maintype="application", subtype="octet-stream",
        filename="Formulir TRANTIB.docx",
    )  # fmt: skip
    outer = EmailMessage()
    outer["From"] = "kasubag@kecamatan.test"
    outer["To"] = "pantau@kecamatan.test"
    outer["Subject"] = "Fwd: Formulir Trantib"
    outer.set_content("Saya teruskan.")
    outer.add_attachment(inner)
    pm = parse_message(outer.as_bytes())
    kinds = [(a.filename, a.content_type, a.source) for a in pm.attachments]
    assert kinds[0][1:] == ("message/rfc822", "mime")
    assert ("Formulir TRANTIB.docx", "application/octet-stream", "rfc822") in kinds
    assert pm.text.strip() == "Saya teruskan."  # the inner body is not ours
    assert b"Message-ID: <inner-1@kecamatan.test>" in pm.attachments[0].data


def test_nesting_is_depth_limited():
    msg = EmailMessage()
    msg["From"] = "a@x.test"
    msg["Subject"] = "level 0"
    msg.set_content("level 0")
    for level in range(1, 6):
        outer = EmailMessage()
        outer["From"] = "a@x.test"
        outer["Subject"] = f"level {level}"
        outer.set_content(f"level {level}")
        outer.add_attachment(msg)
        msg = outer
    pm = parse_message(msg.as_bytes(), Limits(max_depth=2))
    assert len([a for a in pm.attachments if a.content_type == "message/rfc822"]) == 3
    assert any("bersarang terlalu dalam" in e for e in pm.errors)


def test_limits_are_reported_in_indonesian():
    msg = EmailMessage()
    msg["From"] = "a@x.test"
    msg.set_content("banyak lampiran")
    for n in range(5):
        msg.add_attachment(b"x" * 10, maintype="application", subtype="pdf", filename=f"{n}.pdf")
    pm = parse_message(msg.as_bytes(), Limits(max_attachments=3))
    assert len(pm.attachments) == 3
    assert "lampiran terlalu banyak (lebih dari 3)" in pm.errors

    pm = parse_message(msg.as_bytes(), Limits(max_attachment_bytes=5))
    assert pm.attachments == []
    assert any(e.startswith("lampiran \u201c0.pdf\u201d terlalu besar") for e in pm.errors)

    pm = parse_message(msg.as_bytes(), Limits(max_message_bytes=200))
    assert pm.from_addr == "a@x.test"  # the headers are still read
    assert pm.attachments == [] and pm.text == ""
    assert pm.errors[0].startswith("pesan terlalu besar")


def test_broken_pieces_are_recorded_not_raised():
    raw = crlf(
        """From: Broken <broken@x.test>
To: unlisted-recipients:; (no To-header on input)
Cc: "A" <a@x.test>, b@
Subject: =?x-unknown-charset?Q?caf=E9?=
Date: not a date
Message-ID: <  spaced
 @x.test >
Content-Type: multipart/mixed; boundary="XYZ"

--XYZ
Content-Type: text/plain; charset="x-no-such-charset"

Isi pesan =E9 \xe9
--XYZ
Content-Type: application/pdf; name="../../etc/passwd\x00.pdf"
Content-Transfer-Encoding: base64

%%%not base64%%%
"""
    )
    pm = parse_message(raw)
    assert pm.from_addr == "broken@x.test"
    assert pm.to == []
    assert "a@x.test" in pm.cc
    assert pm.message_id == "spaced@x.test"
    assert pm.date is None and "tanggal pesan tidak terbaca" in pm.errors
    assert "Isi pesan" in pm.text
    assert any("CloseBoundaryNotFound" in e for e in pm.errors)
    [att] = pm.attachments
    assert att.filename == "passwd.pdf"


def test_no_headers_and_garbage_do_not_raise():
    for raw in (b"", b"\x00\x01\x02", b"just a line", b"\r\n\r\nbody only", b"\xff" * 1000):
        pm = parse_message(raw)
        assert isinstance(pm.text, str)


def test_bom_and_leading_blank_lines_are_tolerated():
    raw = b"\xef\xbb\xbf\r\nFrom: a@x.test\r\nSubject: halo\r\n\r\nisi\r\n"
    pm = parse_message(raw)
    assert pm.from_addr == "a@x.test" and pm.subject == "halo"


def test_broken_from_with_address_in_brackets():
    raw = b"From: jang.abcdef@xyzlinu <jang.abcdef@xyzlinux12345678.it>\r\nSubject: R: x\r\n\r\nx"
    assert parse_message(raw).from_addr == "jang.abcdef@xyzlinux12345678.it"


def test_mailer_daemon_null_address_keeps_display_name():
    raw = b"From: MAILER-DAEMON <>\r\nSubject: Mail delivery failed\r\n\r\nx"
    pm = parse_message(raw)
    assert pm.from_addr == "" and pm.from_name == "MAILER-DAEMON"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("C:\\Users\\budi\\Desktop\\Formulir.docx", "Formulir.docx"),
        ("../../../etc/passwd", "passwd"),
        ("evil\u202egpj.exe", "evilgpj.exe"),
        ("a\x00b\x07c.xlsx", "abc.xlsx"),
        ("..", ""),
        ("=?UTF-8?Q?Laporan_TW3.docx?=", "Laporan TW3.docx"),
        ("x" * 300 + ".docx", "x" * 115 + ".docx"),
    ],
)
def test_sanitize_filename(raw, shown):
    assert sanitize_filename(raw) == shown


def test_html_to_text_keeps_lines_and_drops_scripts():
    html = (
        "<p>Baris satu</p><div>Baris<br>dua</div><script>alert(1)</script>"
        "<table><tr><td>a</td><td>b</td></tr></table>"
    )
    assert html_to_text(html) == "Baris satu\nBaris\ndua\na b"
    assert html_to_text("<div>a</div><div><br></div><div>b</div>") == "a\n\nb"
    assert html_to_text("") == ""
    assert html_to_text('<?xml version="1.0" encoding="utf-8"?><p>x</p>') == "x"


def _wrapped(container: bytes, filename: str, ctype: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Outlook User <user@example.test>"
    msg["To"] = "pantau@kecamatan.test"
    msg["Subject"] = f"lampiran {filename}"
    msg["Message-ID"] = make_msgid(domain="example.test")
    msg.set_content("Lihat lampiran.")
    maintype, subtype = ctype.split("/")
    msg.add_attachment(container, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes()


def test_tnef_winmail_dat_is_unpacked():
    tnef = corpus_dir("attachments-odd", "tnefparse") / "two-files.tnef"
    pm = parse_message(_wrapped(tnef.read_bytes(), "winmail.dat", "application/ms-tnef"))
    names = [(a.filename, a.source) for a in pm.attachments]
    assert names == [("winmail.dat", "mime"), ("AUTHORS", "tnef"), ("README", "tnef")]


def test_outlook_msg_is_unpacked_with_nested_items():
    msg_file = corpus_dir("attachments-odd", "msgreader") / "msgInMsgInMsg.msg"
    pm = parse_message(
        _wrapped(msg_file.read_bytes(), "diteruskan.msg", "application/vnd.ms-outlook")
    )
    by_source = Counter(a.source for a in pm.attachments)
    assert by_source["mime"] == 1
    names = {a.filename for a in pm.attachments if a.source == "msg"}
    assert {"blue.png", "green.png"} <= names


# --------------------------------------------------------------------------- corpus sweep


def _corpus_messages() -> list[tuple[str, bytes]]:
    items: list[tuple[str, bytes]] = []
    for path in sorted(p for p in corpus_dir("email").rglob("*") if p.is_file()):
        items.append((str(path.relative_to(CORPUS)), path.read_bytes()))
    for path in sorted(p for p in corpus_dir("mbox").rglob("*") if p.is_file()):
        box = mailbox.mbox(str(path), create=False)
        try:
            for n, key in enumerate(box.keys()):
                items.append((f"{path.relative_to(CORPUS)}#{n}", box.get_bytes(key)))
        finally:
            box.close()
    for path in sorted(p for p in corpus_dir("attachments-odd").rglob("*") if p.is_file()):
        if path.suffix.lower() in (".msg", ".tnef", ".dat"):
            ctype = "application/vnd.ms-outlook" if path.suffix == ".msg" else "application/ms-tnef"
            items.append(
                (str(path.relative_to(CORPUS)), _wrapped(path.read_bytes(), path.name, ctype))
            )
    return items


@pytest.mark.slow
def test_corpus_reads_as_the_standard_library_does():
    """An independent reading of each corpus message (Python's own `email` package, on messages
    it parses without a defect) is what Pantau must show: the same subject and sender, the
    plain-text body's opening words in Pantau's text, and every attachment's bytes among Pantau's
    attachments. Message formats Pantau reads and the standard library does not (TNEF, .msg,
    yEnc, uuencode, CR-only line ends) explain the few disagreements, bounded below."""
    import email as std_email
    import hashlib

    def norm(s: str) -> str:
        return " ".join(s.split())

    items = _corpus_messages()
    assert len(items) > 900
    n = Counter()
    agree = Counter()
    for name, raw in items:
        pm = parse_message(raw)
        for a in pm.attachments:
            assert "/" not in a.filename and "\x00" not in a.filename, name
        try:
            m = std_email.message_from_bytes(raw, policy=policy.default)
            subject = str(m["Subject"] or "")
            sender = (
                m["From"].addresses[0].addr_spec.lower()
                if m["From"] and m["From"].addresses
                else ""
            )
            body = m.get_body(("plain",))
            text = body.get_content() if body is not None else ""
            files = {
                hashlib.sha256(p.get_payload(decode=True)).hexdigest()
                for p in m.iter_attachments()
                if p.get_content_maintype() != "message" and p.get_payload(decode=True)
            }
        except Exception:  # the standard library cannot read it: no oracle for this one
            continue
        if m.defects:
            continue
        if subject:
            n["subject"] += 1
            assert norm(pm.subject) == norm(subject), (name, pm.subject, subject)
        if sender and "@" in sender:
            n["from"] += 1
            agree["from"] += pm.from_addr == sender
        if norm(text):
            n["text"] += 1
            agree["text"] += norm(text)[:80] in norm(pm.text)
        if files:
            n["attachments"] += 1
            agree["attachments"] += files <= {
                hashlib.sha256(a.data).hexdigest() for a in pm.attachments
            }
    print(f"\nmime corpus vs the standard library: {dict(n)} compared, {dict(agree)} agree")
    assert n["subject"] > 800 and n["text"] > 700 and n["attachments"] > 250
    assert agree["from"] / n["from"] > 0.98
    assert agree["text"] / n["text"] > 0.95
    assert agree["attachments"] / n["attachments"] > 0.9
