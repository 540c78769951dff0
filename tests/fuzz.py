"""Fuzzing the MIME parser and the form reader with hypothesis (`make fuzz`, issue 6).

    python -m tests.fuzz [--cases N] [--seed S] [--only NAME ...]

Both readers promise never to raise (SPEC §3.4): `mime.parse_message` turns any bytes into a
`ParsedMessage`, `documents.read_form` turns any bytes into a `FormResult`. Each target below
feeds one of them (and what the pipeline runs after it: classification, quote stripping, the
reply grammar, `inbound.Reader.analyse` with the form reader, `check_form`) with generated input,
and fails on any exception or a broken invariant (a file name that could be a path, a number
that is not a number). The default is 100,000 cases in all, split over the targets by weight;
the count and the time are printed per target and in total. The exit status is 1 when any
target failed (hypothesis prints the shrunk input), 0 otherwise.

Targets:
  mime-bytes       arbitrary bytes
  mime-structured  generated messages: header soup (encoded words, unknown charsets, 8-bit,
                   NUL, folding), MIME trees with missing or mismatched boundaries, bad
                   transfer encodings, message/rfc822 nesting, TNEF/OLE/zip payloads, CR/LF/CRLF
  mime-mutated     real messages from ../shared/corpus (or generated ones) with bytes flipped,
                   inserted, removed, duplicated or cut
  analyse          Reader.analyse (classify, correlate, decision, attachment roles, form reading)
                   on generated replies carrying generated DOCX/XLSX
  form-bytes       arbitrary bytes, and bytes behind a zip signature
  form-zip         generated OOXML packages: DOCX tables (gridSpan, vMerge, numbers written
                   every way), XLSX sheets (cell refs, shared strings, merges), broken XML
  form-mutated     Pantau's own DOCX and XLSX forms with their XML or zip bytes damaged

`tests/test_fuzz_smoke.py` runs a few hundred cases of the same in the normal test suite.
"""

from __future__ import annotations

import argparse
import base64
import io
import itertools
import mailbox
import os
import re
import sys
import tempfile
import time
import traceback
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from daemon.core.model import FormCode, FormResult, ParsedMessage
from daemon.documents import FORM_HEADERS, ReadLimits, build_form, check_form, read_form
from daemon.documents import samples as S
from daemon.mail.classify import classify
from daemon.mail.mime import Limits, parse_message
from daemon.mail.replies import read_decision, reply_text
from daemon.shell.inbound import Reader

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
OWN = {"pantau@kecamatan.test"}
DOMAINS = {"kecamatan.test"}
CODE = FormCode("PK-2025-TW3", "PEM", 1)
INDICATORS = S.indicators("PEM")
LIMITS = Limits(max_message_bytes=2 * 2**20, max_attachments=20, max_attachment_bytes=2**20)
READ_LIMITS = ReadLimits(max_total_bytes=4 * 2**20)


# =========================================================================== invariants


def check_parsed(pm: ParsedMessage) -> None:
    assert isinstance(pm, ParsedMessage)
    assert (
        isinstance(pm.text, str) and isinstance(pm.subject, str) and isinstance(pm.from_addr, str)
    )
    assert all(isinstance(e, str) for e in pm.errors)
    assert len(pm.attachments) <= LIMITS.max_attachments
    for a in pm.attachments:
        assert isinstance(a.data, bytes) and len(a.data) <= LIMITS.max_attachment_bytes
        bad = [c for c in ("/", "\\", "\x00") if c in a.filename]
        assert not bad and ".." not in a.filename, repr(a.filename)
        assert len(a.filename) <= 120


def check_form_result(res: FormResult) -> None:
    assert isinstance(res, FormResult)
    for p in res.errors + res.warnings:
        assert isinstance(p.message, str) and p.message
    for r in res.rows:
        for v in (r.target, r.realisasi, r.capaian, r.realisasi_anggaran):
            assert v is None or (isinstance(v, float) and v == v), (r, v)  # a number, not NaN
    checked = check_form(res, CODE, INDICATORS, unit_names={"PEM": "Seksi Pemerintahan"})
    assert isinstance(checked, FormResult)
    str(checked.errors)


def run_mime(raw: bytes) -> None:
    pm = parse_message(raw, LIMITS)
    check_parsed(pm)
    c = classify(pm, OWN, DOMAINS)
    assert c.kind in {"reply", "auto_reply", "bounce", "unrelated", "malformed"}
    text = reply_text(pm)
    assert isinstance(text, str)
    for sched, selesai in ((False, False), (True, True)):
        d = read_decision(text, allow_schedule=sched, allow_selesai=selesai)
        assert d.decision in {"approve", "revise", "schedule", "unclear", "none"}


def run_form(data: bytes, name: str = "") -> None:
    check_form_result(read_form(data, name, READ_LIMITS))


READER = Reader(
    address="pantau@kecamatan.test",
    domain="kecamatan.test",
    authserv_id="mx.kecamatan.test",
    limits=LIMITS,
    form_reader=lambda data, name: read_form(data, name, READ_LIMITS),
)


def run_analyse(raw: bytes) -> None:
    a = READER.analyse(raw)
    check_parsed(a.parsed)
    assert a.task is None  # no database: nothing to match
    if a.form is not None:
        check_form_result(a.form)
    assert isinstance(a.to_json("x.eml"), dict)


# =========================================================================== MIME strategies
# Strategy objects are built once, at import: hypothesis validates each new strategy object on
# first use, which costs more than generating a case.

CHARSETS = [
    "utf-8",
    "us-ascii",
    "iso-8859-1",
    "windows-1252",
    "koi8-r",
    "gb2312",
    "shift_jis",
    "utf-16",
    "utf-7",
    "x-unknown",
    "unknown-8bit",
    "bogus-charset",
    "",
    "utf8",
    '"utf-8"',
    "ISO-2022-JP",
]
CTES = [
    "",
    "7bit",
    "8bit",
    "binary",
    "base64",
    "quoted-printable",
    "x-uuencode",
    "BASE64 ",
    "bogus",
]
CTYPES = [
    "text/plain",
    "text/html",
    "application/octet-stream",
    "application/pdf",
    "image/jpeg",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/ms-tnef",
    "application/vnd.ms-outlook",
    "message/delivery-status",
    "message/disposition-notification",
    "text/calendar",
    "text/rfc822-headers",
    "multipart/mixed",
    "message/rfc822",
    "bogus",
    "text/",
]
HEADERS = [
    "From",
    "To",
    "Cc",
    "Subject",
    "Message-ID",
    "In-Reply-To",
    "References",
    "Date",
    "Reply-To",
    "Sender",
    "Return-Path",
    "Delivered-To",
    "X-Original-To",
    "Auto-Submitted",
    "Precedence",
    "X-Autoreply",
    "List-Id",
    "X-Pantau-Token",
    "X-Pantau-Loop",
    "Authentication-Results",
    "Content-Type",
    "Content-Transfer-Encoding",
    "Content-Disposition",
    "MIME-Version",
    "X-MS-Exchange-Inbox-Rules-Loop",
    "X-Failed-Recipients",
    "Content-ID",
    "X-Anything",
]
VALUES = [
    "",
    " ",
    "<>",
    "<@>",
    "@",
    "a@b",
    "Budi <pem@kecamatan.test>",
    '"Pantau" <pantau@kecamatan.test>',
    "pantau+ABCD1234@kecamatan.test",
    "Undisclosed recipients:;",
    "group: a@b, c@d;",
    "(comment) <x@y.test>",
    "a.b@host <a.b@host.example>",
    "<a@b> <c@d>",
    "=?utf-8?b?QnVkaQ==?= <b@c.test>",
    "=?x-unknown?q?a=FF?=",
    "=?utf-8?q?=E2=80=AE?=",
    "=?gb2312?b?xOO6ww==?=",
    "=?utf-8?b?broken",
    "Re: [PK-2025-TW3] [#ABCD-1234] x",
    "BLS: TRS: Otomatis: Balasan otomatis",
    "auto-replied",
    "no",
    "bulk",
    "multipart/mixed",
    'multipart/mixed; boundary="b1"',
    "multipart/report; report-type=delivery-status; boundary=b1",
    "text/plain; charset=utf-8",
    "text/plain; charset*=utf-8''%E2%80%AE",
    "attachment; filename=../../x.docx",
    "attachment; filename*=UTF-8''a%00b.docx",
    'inline; filename="=?utf-8?b?Li4vZXZpbC5kb2N4?="',
    "mx.kecamatan.test; dmarc=fail header.from=x",
    "Mon, 32 Foo 2025 25:61:00 +9999",
    "Thu, 1 Jan 1970 00:00:00",
    "<" + "a" * 2000 + "@x>",
    "x" * 5000,
]
MAGIC = [
    b"\x78\x9f\x3e\x22",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
    b"PK\x03\x04",
    b"PK\x05\x06",
    b"%PDF-1.4\n",
    b"\xff\xd8\xff",
    b"\x89PNG\r\n\x1a\n",
    b"{\\rtf1",
    b"<html>",
    b"\xef\xbb\xbf",
    b"BEGIN:VCALENDAR\n",
]

VALUE = st.sampled_from(VALUES)
TEXT_SHORT = st.text(max_size=20)
ENCODED_WORD = st.builds(
    lambda cs, enc, payload: f"=?{cs.strip(chr(34)) or 'x'}?{enc}?{payload}?=",
    st.sampled_from(CHARSETS),
    st.sampled_from("BbQq"),
    st.text(alphabet="ABCDEFabc012=+/?_ %\x00é", max_size=30),
)
HEADER_VALUE = st.one_of(
    VALUE,
    st.text(max_size=60),
    ENCODED_WORD,
    st.builds(
        lambda sep, parts: sep.join(parts),
        st.sampled_from([", ", " ", "\n ", "\r\n\t", ""]),
        st.lists(VALUE, min_size=1, max_size=4),
    ),
    st.builds(lambda v, t: v + t, VALUE, TEXT_SHORT),
)
HEADER_NAME = st.one_of(
    st.sampled_from(HEADERS), st.text(alphabet="AZaz-:\x00 é", min_size=1, max_size=12)
)
HEADER_LIST = st.lists(st.tuples(HEADER_NAME, HEADER_VALUE), max_size=8)

SMALL_PACKAGES = st.deferred(lambda: PACKAGES)
PAYLOAD = st.one_of(
    st.binary(max_size=300),
    st.builds(lambda m, b: m + b, st.sampled_from(MAGIC), st.binary(max_size=200)),
    st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
    SMALL_PACKAGES,
)


@dataclass
class Part:
    ctype: str
    headers: list[tuple[str, str]]
    body: bytes = b""
    children: list[Part] | None = None
    boundary: str = ""
    close: bool = True
    preamble: str = ""


LEAF_NAMES = st.sampled_from(["", "f.docx", "../../x.xlsx", "a\x00b.msg", "winmail.dat", "x" * 300])
BASE64_DAMAGE = st.sampled_from([None, b"", b"===", b"!@#", b"\x00"])


@st.composite
def _leaves(draw) -> Part:
    ctype = draw(st.sampled_from(CTYPES))
    cs = draw(st.sampled_from(CHARSETS))
    cte = draw(st.sampled_from(CTES))
    name = draw(LEAF_NAMES)
    params = (f"; charset={cs}" if cs else "") + (f'; name="{name}"' if name else "")
    headers = [("Content-Type", ctype + params)]
    if cte:
        headers.append(("Content-Transfer-Encoding", cte))
    disposition = draw(st.one_of(st.none(), HEADER_VALUE))
    if disposition is not None:
        headers.append(("Content-Disposition", disposition))
    body = draw(PAYLOAD)
    if cte.strip().lower() == "base64":
        body = base64.encodebytes(body)
        damage = draw(BASE64_DAMAGE)
        if damage is not None:
            body = body[: len(body) // 2] + damage
    return Part(ctype, headers, body)


MULTI_SUBTYPE = st.sampled_from(
    ["mixed", "alternative", "related", "report", "signed", "digest", "x"]
)
BOUNDARY = st.one_of(
    st.sampled_from(["b1", "=_b", "", " ", "a" * 75]),
    st.text(alphabet="abc'()+_,-./:=? ", max_size=20),
)
DECLARED = st.sampled_from([None, None, None, None, "other", ""])  # None: as used
PREAMBLE = st.sampled_from(["", "preamble SETUJU\n"])


def _containers(children: st.SearchStrategy[Part]) -> st.SearchStrategy[Part]:
    multi = st.builds(
        lambda sub, boundary, kids, declared, close, pre: Part(
            f"multipart/{sub}",
            [
                (
                    "Content-Type",
                    f'multipart/{sub}; boundary="{boundary if declared is None else declared}"',
                )
            ],
            b"",
            kids,
            boundary,
            close,
            pre,
        ),
        MULTI_SUBTYPE,
        BOUNDARY,
        st.lists(children, max_size=4),
        DECLARED,
        st.booleans(),
        PREAMBLE,
    )
    rfc822 = st.builds(
        lambda inner: Part("message/rfc822", [("Content-Type", "message/rfc822")], b"", [inner]),
        children,
    )
    return st.one_of(multi, rfc822)


PARTS = st.recursive(_leaves(), _containers, max_leaves=8)


def render(part: Part, top: list[tuple[str, str]] | None = None) -> bytes:
    out = bytearray()
    for k, v in (top or []) + part.headers:
        out += f"{k}: {v}\n".encode("utf-8", "surrogatepass")
    out += b"\n"
    if part.children is None:
        out += part.body
    elif part.ctype == "message/rfc822":
        out += render(part.children[0], [("From", "x@y.test"), ("Subject", "diteruskan")])
    else:
        out += part.preamble.encode()
        for child in part.children:
            out += f"\n--{part.boundary}\n".encode("utf-8", "surrogatepass") + render(child)
        if part.close:
            out += f"\n--{part.boundary}--\n".encode("utf-8", "surrogatepass")
    return bytes(out)


EOL = st.sampled_from([b"\n", b"\n", b"\r\n", b"\r"])
LEAD = st.sampled_from(
    [b""] * 6 + [b"From nobody Mon Jan  1 00:00:00 2025\n", b"\xef\xbb\xbf", b"\n\n", b" "]
)


def _message(headers, part, eol, lead) -> bytes:
    raw = render(part, headers)
    if eol != b"\n":
        raw = raw.replace(b"\n", eol)
    return lead + raw


MESSAGES = st.builds(_message, HEADER_LIST, PARTS, EOL, LEAD)

REPLY_SUBJECT = st.sampled_from(
    ["Re: [PK-2025-TW3] [#ABCD-1234] Permintaan Data", "RE: formulir", "BLS: x", ""]
)
REPLY_TEXT = st.one_of(
    st.sampled_from(
        [
            "SETUJU",
            "revisi\nperbaiki tabel",
            "JADWAL 10-10-2025 09.00 di aula",
            "tidak setuju",
            "OK.",
            "Dikirim dari iPhone saya",
        ]
    ),
    st.text(max_size=80),
)
REPLY_FROM = st.sampled_from(VALUES[5:9])
ATTACHMENT = st.tuples(
    st.sampled_from(["Formulir.docx", "data.xlsx", "scan.pdf", "x", "../a.docx"]),
    st.one_of(SMALL_PACKAGES, PAYLOAD),
)


def _reply(subject: str, text: str, sender: str, attachments: list[tuple[str, bytes]]) -> bytes:
    """A plausible reply to Pantau with attachments (DOCX/XLSX/anything)."""
    b = "=_b"
    head = [
        f"From: {sender}",
        "To: pantau@kecamatan.test",
        f"Subject: {subject}",
        "Message-ID: <x@contoh.test>",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/mixed; boundary="{b}"',
        "",
        f"--{b}",
        "Content-Type: text/plain; charset=utf-8",
        "",
        text,
    ]
    raw = "\n".join(head).encode("utf-8", "surrogatepass")
    for name, data in attachments:
        raw += (
            f"\n--{b}\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n"
            f'Content-Disposition: attachment; filename="{name}"\n\n'
        ).encode() + base64.encodebytes(data)
    return raw + f"\n--{b}--\n".encode()


REPLIES = st.builds(_reply, REPLY_SUBJECT, REPLY_TEXT, REPLY_FROM, st.lists(ATTACHMENT, max_size=3))

MUTATION = st.tuples(
    st.integers(0, 5),
    st.integers(0, 2**31),
    st.integers(0, 64),
    st.integers(0, 7),
    st.one_of(
        st.binary(max_size=16),
        st.sampled_from(
            [
                b"\n",
                b"\r\n\r\n",
                b"--",
                b"=?",
                b"<!DOCTYPE x>",
                b"\x00",
                b"boundary=",
                b"\n\n--b1--",
            ]
        ),
    ),
    st.sampled_from([b"\r", b"\r\n", b"", b"\n "]),
)
MUTATIONS = st.lists(MUTATION, min_size=1, max_size=6)


def mutate(data: bytes, ops) -> bytes:
    """Apply byte-level damage: flip, insert, remove, duplicate, cut, change a line ending."""
    data = bytearray(data)
    for op, pos, length, bit, insert, eol in ops:
        n = len(data)
        i = pos % (n + 1)
        if op == 0 and n:
            data[min(i, n - 1)] ^= 1 << bit
        elif op == 1:
            data[i:i] = insert
        elif op == 2:
            del data[i : i + length]
        elif op == 3:
            data[i + length : i + length] = data[i : i + length]
        elif op == 4:
            del data[i:]
        else:
            k = data.find(b"\n", i)
            if k >= 0:
                data[k : k + 1] = eol
    return bytes(data)


def corpus_seeds() -> list[bytes]:
    seeds: list[bytes] = []
    if (CORPUS / "email").is_dir():
        for p in sorted((CORPUS / "email").rglob("*")):
            if p.is_file() and p.stat().st_size <= 64 * 1024:
                seeds.append(p.read_bytes())
        for p in sorted((CORPUS / "mbox").rglob("*")):
            if p.is_file():
                box = mailbox.mbox(str(p), create=False)
                seeds += [box.get_bytes(k) for k in box.keys()]
                box.close()
    return seeds


# =========================================================================== form strategies

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
X = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NUMBERS = [
    "1.234",
    "1,5",
    "1.234,5",
    "1,234.5",
    "Rp 1.234.500,00",
    "Rp1.234.500",
    "12%",
    "-",
    "",
    " ",
    "0",
    "1e308",
    "1e309",
    "-1e400",
    "NaN",
    "inf",
    "(1)",
    "1.234.567,89",
    "٣٤",
    "１２３",
    "0x10",
    "1/2",
    "½",
    "99999999999999999999999",
    "−5",
    "5-",
    "1 234",
    "1.2.3",
    ",5",
    "Rp",
    "seratus",
    "0,000000001",
]
CELL_TEXT = st.one_of(
    st.sampled_from(NUMBERS),
    st.sampled_from(list(FORM_HEADERS)),
    st.text(max_size=15),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.integers().map(str),
    st.sampled_from([str(CODE), "PANTAU:PK-2025-TW3:PEM:99999999999", "PANTAU:"]),
)
SPANS = [
    '<w:gridSpan w:val="2"/>',
    '<w:gridSpan w:val="0"/>',
    '<w:gridSpan w:val="-1"/>',
    '<w:gridSpan w:val="100000"/>',
    '<w:gridSpan w:val="x"/>',
    '<w:vMerge w:val="restart"/>',
    "<w:vMerge/>",
    '<w:vMerge w:val="x"/>',
] + [""] * 24
DOCX_CELL = st.tuples(CELL_TEXT, st.sampled_from(SPANS))
DOCX_GRID = st.lists(st.lists(DOCX_CELL, max_size=12), max_size=6)
HEADER_ROW = st.one_of(
    st.just(list(FORM_HEADERS)),
    st.builds(lambda p, n: p[:n], st.permutations(list(FORM_HEADERS)), st.integers(0, 10)),
)
BREAK_XML = st.sampled_from([None] * 7 + ["<", "&x;", "<!DOCTYPE d>", "]]>", "\x00", "</w:tc>"])


def _docx_xml(header, grid, copies, nested_in_cell, tail, cut, breaker) -> bytes:
    rows = [
        "<w:tr>"
        + "".join(
            f"<w:tc><w:tcPr/><w:p><w:r><w:t>{escape(h)}</w:t></w:r></w:p></w:tc>" for h in header
        )
        + "</w:tr>"
    ]
    for r in grid:
        rows.append(
            "<w:tr>"
            + "".join(
                f'<w:tc><w:tcPr>{props}</w:tcPr><w:p><w:r><w:t '
                f'xml:space="preserve">{escape(t)}</w:t></w:r></w:p></w:tc>'
                for t, props in r
            )
            + "</w:tr>"
        )
    table = "<w:tbl>" + "".join(rows) + "</w:tbl>"
    body = table * copies
    if nested_in_cell:
        body = body.replace("<w:p>", "<w:p/>" + table + "<w:p>", 1)
    xml = (
        f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{W}"><w:body>{body}'
        f"<w:p><w:r><w:t>{escape(tail)}</w:t></w:r></w:p></w:body></w:document>"
    )
    if breaker is not None:  # not well-formed
        xml = xml[: cut % (len(xml) + 1)] + breaker
    return xml.encode("utf-8", "surrogatepass")


DOCX_XML = st.builds(
    _docx_xml,
    HEADER_ROW,
    DOCX_GRID,
    st.integers(0, 2),
    st.booleans(),
    CELL_TEXT,
    st.integers(0, 2**31),
    BREAK_XML,
)
REF_COL = st.sampled_from(["A", "B", "E", "Z", "AA", "XFD", "XFE", "ZZZZ", ""])
REF_ROW = st.sampled_from(["1", "2", "3", "0", "-1", "1048576", "1048577", "99999999999", ""])
CELL_REF = st.one_of(
    st.builds(lambda c, r: c + r, REF_COL, REF_ROW), st.text(alphabet="A1:-$ ", max_size=8)
)
XLSX_CELL = st.tuples(
    st.sampled_from(["s", "inlineStr", "n", "str", "b", "e", "d", ""]),
    CELL_REF,
    st.one_of(st.integers(-3, 12).map(str), CELL_TEXT),
)
XLSX_ROWS = st.lists(
    st.tuples(
        st.sampled_from(["1", "2", "3", "0", "-5", "x", "9999999"]),
        st.lists(XLSX_CELL, max_size=10),
    ),
    max_size=6,
)


def _xlsx(strings, rows, merges, dimension, with_header, core) -> bytes:
    sst = "".join(f"<si><t>{escape(s)}</t></si>" for s in strings)
    out_rows = []
    for r, cells in rows:
        cs = []
        for t, ref, v in cells:
            inner = f"<is><t>{escape(v)}</t></is>" if t == "inlineStr" else f"<v>{escape(v)}</v>"
            attr = f' t="{t}"' if t else ""
            cs.append(f'<c r="{escape(ref)}"{attr}>{inner}</c>')
        out_rows.append(f'<row r="{r}">' + "".join(cs) + "</row>")
    if with_header:
        out_rows.insert(
            0,
            '<row r="1">'
            + "".join(
                f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{h}</t></is></c>'
                for i, h in enumerate(FORM_HEADERS)
            )
            + "</row>",
        )
    mc = "".join(f'<mergeCell ref="{escape(a)}:{escape(b)}"/>' for a, b in merges)
    sheet = (
        f'<worksheet xmlns="{X}"><dimension '
        f'ref="{escape(dimension)}"/><sheetData>{"".join(out_rows)}'
        f"</sheetData>{f'<mergeCells>{mc}</mergeCells>' if mc else ''}</worksheet>"
    )
    return zip_bytes(
        {
            "[Content_Types].xml": b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
            "xl/workbook.xml": (
                f'<workbook xmlns="{X}"><sheets><sheet name="s" sheetId="1"/></sheets></workbook>'
            ).encode(),
            "xl/sharedStrings.xml": f'<sst xmlns="{X}">{sst}</sst>'.encode(
                "utf-8", "surrogatepass"
            ),
            "xl/worksheets/sheet1.xml": sheet.encode("utf-8", "surrogatepass"),
            "docProps/core.xml": (
                f"<cp:coreProperties xmlns:cp='x'>{escape(core)}</cp:coreProperties>"
            ).encode("utf-8", "surrogatepass"),
        }
    )


XLSX = st.builds(
    _xlsx,
    st.lists(CELL_TEXT, max_size=8),
    XLSX_ROWS,
    st.lists(st.tuples(CELL_REF, CELL_REF), max_size=3),
    CELL_REF,
    st.booleans(),
    CELL_TEXT,
)


def zip_bytes(members: dict[str, bytes], stored: bool = False) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            try:
                z.writestr(name, data)
            except (ValueError, IndexError):  # a name zipfile cannot store (empty after cleaning)
                continue
    return buf.getvalue()


def _docx(document: bytes, footer: str | None, stored: bool) -> bytes:
    members = {"[Content_Types].xml": b"<Types/>", "word/document.xml": document}
    if footer is not None:
        members["word/footer1.xml"] = (
            f'<w:ftr xmlns:w="{W}"><w:p><w:r><w:t>{escape(footer)}</w:t></w:r></w:p></w:ftr>'
        ).encode("utf-8", "surrogatepass")
    return zip_bytes(members, stored)


MEMBER_NAME = st.one_of(
    st.sampled_from(
        [
            "word/document.xml",
            "xl/workbook.xml",
            "mimetype",
            "../../x",
            "/abs",
            "xl/worksheets/sheet1.bin",
            "word/",
            "a" * 300,
        ]
    ),
    st.text(min_size=1, max_size=20),
)
PACKAGES = st.one_of(
    st.builds(_docx, DOCX_XML, st.one_of(st.none(), CELL_TEXT), st.booleans()),
    XLSX,
    st.builds(
        zip_bytes, st.dictionaries(MEMBER_NAME, st.binary(max_size=200), max_size=5), st.booleans()
    ),
)
FORM_BYTES = st.one_of(
    st.binary(max_size=2000),
    st.builds(lambda m, b: m + b, st.sampled_from(MAGIC[2:4]), st.binary(max_size=2000)),
)

_REAL: dict[str, dict[str, bytes]] = {}


def real_forms() -> dict[str, dict[str, bytes]]:
    """Pantau's own PEM form, as DOCX and XLSX members (built once)."""
    if not _REAL:
        with tempfile.TemporaryDirectory() as tmp:
            for fmt in ("docx", "xlsx"):
                out = Path(tmp) / f"f.{fmt}"
                build_form(S.form_spec(), ROOT / "templates", out, fmt=fmt)
                with zipfile.ZipFile(out) as z:
                    # The styles (~800 KB) are never read; leaving them out keeps a case fast.
                    _REAL[fmt] = {
                        n: z.read(n) for n in z.namelist() if z.getinfo(n).file_size < 64 * 1024
                    }
    return _REAL


XML_EDIT = st.tuples(
    st.booleans(),
    st.integers(0, 2**31),
    CELL_TEXT,
    st.sampled_from(
        [
            "<",
            "&amp;",
            "<w:tc>",
            "</w:tr>",
            '<w:gridSpan w:val="9"/>',
            "\x00",
            "<!ENTITY x 'y'>",
            "",
        ]
    ),
)


def _mutated_form(fmt: str, in_xml: bool, which: int, edits, ops) -> tuple[bytes, str]:
    members = dict(real_forms()[fmt])
    if not in_xml:
        return mutate(zip_bytes(members), ops), f"f.{fmt}"
    names = sorted(
        n for n in members if n.endswith(".xml") and n.startswith(("word/", "xl/", "docProps/"))
    )
    name = names[which % len(names)]
    text = members[name].decode("utf-8")
    tag = re.escape("<w:t" if fmt == "docx" else "<t") + r"[ >]"
    for replace_text, pos, value, junk in edits:
        starts = [m.start() for m in itertools.islice(re.finditer(tag, text), 200)]
        if replace_text and starts:
            i = starts[pos % len(starts)]
            j = text.find(">", i)
            k = text.find("<", j)
            if j > 0 and k > j:
                text = text[: j + 1] + escape(value) + text[k:]
        else:
            i = pos % (len(text) + 1)
            text = text[:i] + junk + text[i:]
    members[name] = text.encode("utf-8", "surrogatepass")
    return zip_bytes(members), f"f.{fmt}"


MUTATED_FORMS = st.builds(
    _mutated_form,
    st.sampled_from(["docx", "xlsx"]),
    st.booleans(),
    st.integers(0, 100),
    st.lists(XML_EDIT, min_size=1, max_size=5),
    MUTATIONS,
)


# =========================================================================== targets


@dataclass
class Target:
    name: str
    weight: int
    strategy: Callable[[], st.SearchStrategy]
    run: Callable[..., None]


def _seeded_messages() -> st.SearchStrategy[bytes]:
    seeds = corpus_seeds()
    base = st.sampled_from(seeds) if seeds else MESSAGES
    return st.builds(mutate, base, MUTATIONS)


TARGETS = [
    Target("mime-bytes", 20, lambda: st.binary(max_size=4000), run_mime),
    Target("mime-structured", 15, lambda: MESSAGES, run_mime),
    Target("mime-mutated", 25, _seeded_messages, run_mime),
    Target("analyse", 5, lambda: REPLIES, run_analyse),
    Target("form-bytes", 10, lambda: FORM_BYTES, run_form),
    Target("form-zip", 10, lambda: PACKAGES, run_form),
    Target("form-mutated", 15, lambda: MUTATED_FORMS, lambda x: run_form(*x)),
]


def run_target(t: Target, cases: int, rng_seed: int | None) -> tuple[int, float, str | None]:
    count = 0

    def body(x) -> None:
        nonlocal count
        count += 1
        t.run(x)

    test = given(t.strategy())(body)
    test = settings(
        max_examples=cases,
        deadline=None,
        database=None,
        print_blob=True,
        suppress_health_check=list(HealthCheck),
    )(test)
    if rng_seed is not None:
        test = seed(rng_seed)(test)
    start = time.perf_counter()
    error = None
    try:
        test()
    except Exception:  # noqa: BLE001 - report every target, then exit 1
        error = traceback.format_exc()
    return count, time.perf_counter() - start, error


def _worker(name: str, cases: int, rng_seed: int | None) -> tuple[str, int, float, str | None]:
    import logging

    logging.disable(logging.CRITICAL)  # third-party readers complain about broken files: expected
    t = next(t for t in TARGETS if t.name == name)
    return (name, *run_target(t, cases, rng_seed))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--cases",
        type=int,
        default=100_000,
        help="cases in total, split by weight (default 100000)",
    )
    ap.add_argument("--seed", type=int, default=None, help="hypothesis seed (default: random)")
    ap.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="targets run in parallel (default: CPUs)",
    )
    ap.add_argument(
        "--only", nargs="*", choices=[t.name for t in TARGETS], help="run only these targets"
    )
    args = ap.parse_args(argv)
    targets = [t for t in TARGETS if not args.only or t.name in args.only]
    weight = sum(t.weight for t in targets)
    plan = [(t.name, max(1, -(-args.cases * t.weight // weight)), args.seed) for t in targets]
    print(
        f"fuzz: {sum(n for _, n, _ in plan)} cases over {len(plan)} targets, {args.jobs} at a time "
        f"(seed {args.seed if args.seed is not None else 'random'})",
        flush=True,
    )
    start = time.perf_counter()
    total_n, failed = 0, []

    def report(name: str, n: int, secs: float, error: str | None) -> None:
        nonlocal total_n
        total_n += n
        print(
            f"  {name:<16} {n:>7} cases {secs:>8.1f} s  {n / max(secs, 1e-9):>7.0f}/s  "
            f"{'ok' if error is None else 'FAILED'}",
            flush=True,
        )
        if error:
            failed.append(name)
            print(error, file=sys.stderr, flush=True)

    if args.jobs > 1 and len(plan) > 1:
        from concurrent.futures import ProcessPoolExecutor, as_completed

        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            for fut in as_completed([pool.submit(_worker, *p) for p in plan]):
                report(*fut.result())
    else:
        for p in plan:
            report(*_worker(*p))
    wall = time.perf_counter() - start
    print(
        f"fuzz total: {total_n} cases in {wall:.1f} s; "
        + (f"FAILED: {', '.join(failed)}" if failed else "no failure"),
        flush=True,
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
