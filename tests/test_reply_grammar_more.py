"""A reviewer's second table of replies (issue 11 review): tests/fixtures/replies/cases_more.py,
written apart from the first table, in the clients of tests/test_reply_grammar.py and in more
quoting styles that a quote stripper may miss: Outlook's "-----Original Message-----" block,
an English Outlook header without `>`, Gmail's header wrapped over three lines, Yahoo's long
"Pada Senin, … WIB, Pantau <…> menulis:", a forwarded letter replied to, an Outlook "Dari:" block
with no rule line, a signature with NIP and a legal footer before the quote. The quoted letter
here carries the instructions with SETUJU and REVISI at the start of its lines, so a quote left
in the text would show. Asserted: the decision of every row, and no non-approval read as an
approval.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime

import pytest
from fixtures.replies.cases_more import CASES
from test_reply_grammar import PANTAU, SUBJECT, WHEN, build

from daemon.mail.mime import parse_message
from daemon.mail.replies import read_reply
from daemon.shell.inbound import Reader

LETTER = [
    "Yth. Bapak Camat,",
    "",
    "Konsep laporan Triwulan III terlampir. Mohon dibalas dengan salah satu:",
    "SETUJU",
    "REVISI <catatan>",
    "Untuk menandatangani, balas: SETUJU 482913",
    "",
    "Pantau - Kecamatan Linggo Sari Baganti",
]


def _msg(body: str) -> bytes:
    m = EmailMessage()
    m["From"] = "Camat <camat@kecamatan.test>"
    m["To"] = PANTAU
    m["Subject"] = "RE: " + SUBJECT
    m["Date"] = format_datetime(WHEN)
    m["Message-ID"] = "<balasan-2@kecamatan.test>"
    m["In-Reply-To"] = "<surat-s11@kecamatan.test>"
    m.set_content(body, charset="utf-8")
    return bytes(m)


def _q(prefix: str = "> ") -> str:
    return "\n".join((prefix + x).rstrip() for x in LETTER)


STYLES = {
    "outlook_orig": lambda t: (f"{t}\n\n-----Original Message-----\nFrom: Pantau <pantau@"
                               "kecamatan.test>\nSent: Monday, October 6, 2025 8:00 AM\nTo: "
                               f"Camat <camat@kecamatan.test>\nSubject: {SUBJECT}\n\n"
                               + "\n".join(LETTER)),
    "outlook_en": lambda t: (f"{t}\n\n________________________________\nFrom: Pantau\nSent: "
                             "Monday, 6 October 2025 08:00\nTo: Camat\nSubject: "
                             f"{SUBJECT}\n\n" + "\n".join(LETTER)),
    "gmail3": lambda t: (f"{t}\n\nPada Sen, 6 Okt 2025 pukul 08.00 Pantau Kecamatan Linggo Sari\n"
                         "Baganti <pantau@kecamatan.test>\nmenulis:\n\n" + _q()),
    "yahoo_long": lambda t: (f"{t}\n\nPada Senin, 6 Oktober 2025 08.00.12 WIB, Pantau <pantau@"
                             f"kecamatan.test> menulis:\n\n{_q()}"),
    "fwd": lambda t: (f"{t}\n\n---------- Forwarded message ---------\nDari: Pantau <pantau@"
                      f"kecamatan.test>\nDate: Sen, 6 Okt 2025 08.00\nSubject: {SUBJECT}\nTo: "
                      "<sekcam@kecamatan.test>\n\n" + "\n".join(LETTER)),
    "outlook_norule": lambda t: (f"{t}\n\nDari: Pantau <pantau@kecamatan.test>\nDikirim: Senin, "
                                 "06 Oktober 2025 08.00\nKepada: Camat\nSubjek: "
                                 f"{SUBJECT}\n\n" + "\n".join(LETTER)),
    "sig_legal": lambda t: (f"{t}\n\nSalam,\nDrs. H. Ahmad Fauzi, M.Si\nCamat Linggo Sari "
                            "Baganti\nNIP 19700101 199003 1 001\nTelp. (0756) 123456\n\n"
                            "DISCLAIMER: Email ini bersifat rahasia dan hanya ditujukan kepada "
                            "penerima. Jika Anda bukan penerima yang dimaksud, hapus email ini."
                            f"\n\nPada Sen, 6 Okt 2025 08.00, Pantau menulis:\n{_q()}"),
    "bottom_gt": lambda t: (f"Pantau <pantau@kecamatan.test> menulis pada 6 Okt 2025:\n{_q()}\n\n"
                            f"{t}\n"),
}

READER = Reader(address="pantau@kecamatan.test", domain="kecamatan.test")


def read(client: str, text: str, opts: dict):
    raw = _msg(STYLES[client](text)) if client in STYLES else build(client, text)
    if opts.get("jadwal") or opts.get("selesai"):
        return read_reply(parse_message(raw), allow_schedule=bool(opts.get("jadwal")),
                          allow_selesai=bool(opts.get("selesai")))[1]
    return READER.analyse(raw).decision


ROWS = [(r[0], r[1], r[2], r[3] if len(r) > 3 else {}) for r in CASES]


@pytest.mark.parametrize("row", ROWS, ids=[f"{r[0]}-{r[1]}-{r[2][:40]!r}" for r in ROWS])
def test_reply_is_read_as_the_review_table_says(row):
    expected, client, text, opts = row
    d = read(client, text, opts)
    assert d.decision == expected, (d.decision, d.reasons, d.first_line)
    if "kode" in opts:
        assert d.kode == opts["kode"]
    if "482" in text:  # the signature code is never kept in the comment nor quoted back
        assert "482913" not in d.note + d.first_line + repr(d.reasons)
        assert "482 913" not in d.note + d.first_line + repr(d.reasons)


@pytest.mark.slow
def test_review_table_summary():
    from fixtures.replies.cases import CASES as FIRST

    first = {r[2] for r in FIRST}
    assert len({r[2] for r in ROWS} - first) >= 100  # new texts, not the first table's
    right = false_approvals = missed = 0
    wrong = []
    for expected, client, text, opts in ROWS:
        got = read(client, text, opts).decision
        if got == expected:
            right += 1
        elif got in ("approve", "schedule"):
            false_approvals += 1
            wrong.append((client, text, got))
        else:
            missed += expected in ("approve", "schedule")
            wrong.append((client, text, got))
    print(f"\nreview replies: {len(ROWS)}; read right {right}, false approvals "
          f"{false_approvals}, missed approvals {missed}")
    assert false_approvals == 0, wrong
    assert right == len(ROWS), wrong


QUOTE_HEAD = "Pada Sen, 6 Okt 2025 pukul 08.00 Pantau <pantau@kecamatan.test> menulis:"


@pytest.mark.parametrize(("body", "expected"), [
    # answered inline, between the quoted lines: the person's words, not the quote
    (f"Setuju\n\n{QUOTE_HEAD}\n> Yth. Bapak Camat,\n> Konsep laporan terlampir.\nTabel 2 masih "
     "salah\n> SETUJU\n", "unclear"),
    (f"Setuju\n\n{QUOTE_HEAD}\n{_q()}\n\nTapi tabel 2 salah\n", "unclear"),
    (f"OK\n\n{QUOTE_HEAD}\n{_q()}\nyang ini belum\n", "unclear"),
    # a signature or a name under the quote is not an answer
    (f"Setuju\n\n{QUOTE_HEAD}\n{_q()}\n\n-- \nBudi\nKasi PMD\n", "approve"),
    (f"Setuju\n\n{QUOTE_HEAD}\n{_q()}\n\nBudi Santoso\n", "approve"),
    (f"Setuju\n\n{QUOTE_HEAD}\n{_q()}\n", "approve"),
])
def test_lines_typed_inside_or_under_the_quote_are_read(body, expected):
    assert READER.analyse(_msg(body)).decision.decision == expected
