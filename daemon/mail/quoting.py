"""How mail clients mark quoted text and signatures, as Indonesian and English clients write them.

mail-parser-reply knows no Indonesian and silently falls back to English for an unknown
language, so this module registers a language table of its own as MAIL_LANGUAGES["id"]
(importing it is enough): Indonesian quote headers ("Pada ... menulis:"), Outlook's
"Dari:/Dikirim:/Kepada:/Subjek:" blocks, separators, closings and "Dikirim dari ..." lines, with
the English ones an Indonesian office meets too. `unwrap_headers` joins Gmail's quote header
that it wrapped before "menulis:", which the library would not recognise. Used by replies.py.
"""

from __future__ import annotations

import re

from mailparser_reply.constants import MAIL_LANGUAGES, QUOTED_MATCH_INCLUDE

_Q = QUOTED_MATCH_INCLUDE  # "(?:> ?)*": lets a pattern match inside quoted levels too
_EN = MAIL_LANGUAGES["en"]

#: Registered as MAIL_LANGUAGES["id"] (the way the library's maintainer points to for new
#: languages). Every pattern holds exactly one capturing group that can match, because the
#: library splits the body at each string `findall` returns.
INDONESIAN: dict[str, object] = {
    "wrote_header": [
        # Gmail, Apple Mail, Thunderbird, Yahoo in Indonesian:
        #   "Pada Sab, 15 Jun 2024 pukul 14.59 Nama <alamat> menulis:"
        #   "Pada tanggal 15/06/24 14.59, Nama menulis:"
        r"^(" + _Q + r"Pada\s(?:.+?\s?.+?)\s?menulis\s?:)$",
        # "Pantau <pantau@kecamatan.test> menulis pada 6 Okt 2025:" (name and address first)
        r"^(" + _Q + r"[^\n<>]{0,120}<[^\s<>@]+@[^\s<>]+>\s?(?:menulis|wrote)[^\n]{0,80}:)$",
        # Separators of Outlook, Yahoo and Gmail, Indonesian and English.
        r"^(" + _Q + r"-{3,}\s?(?:Pesan Asli|Pesan Balasan|Pesan Terusan|Pesan yang Diteruskan|"
        r"Pesan Diteruskan|Forwarded message|Original Message|Weitergeleitete Nachricht)"
        r"\s?-{3,})$",
        _EN["wrote_header"],
    ],
    "from_header": [
        # Outlook in Indonesian: at least two of these lines in a row.
        r"((?:(?:^|\n|\n"
        + _Q
        + r")[* ]*(?:Dari|Dikirim|Terkirim|Kepada|Subjek|Perihal|Tanggal|Cc|Bcc):[ *]*"
        r"(?:\s{,2}).*){2,}(?:\n.*){,1})",
        _EN["from_header"],
    ],
    "disclaimers": [
        "Penafian:",
        r"Pemberitahuan kerahasiaan:",
        r"Informasi rahasia:",
        *_EN["disclaimers"],
    ],
    # Closings count only as a whole line ("Terima kasih" inside a sentence is not a
    # signature), and never as the very first line (the library's own rule).
    "signatures": [
        r"Salam(?: hormat| sejahtera| kami| saya)?[ ,.!]*$",
        r"Hormat (?:kami|saya)[ ,.!]*$",
        r"Terima ?kasih(?: banyak)?(?: atas perhatian\w*(?: \w+){0,2})?[ ,.!]*$",
        r"Ma(?:ka|tur) ?(?:sih|nuwun)[ ,.!]*$",
        r"Was+alamu.?alaikum.*$",
        r"(?:Best |Kind |Warm )?regards[ ,.!]*$",
        r"(?:Many )?thanks[ ,.!]*$",
        r"Thank you[ ,.!]*$",
        r"Best[ ,.!]*$",
        r"Cheers[ ,.!]*$",
    ],
    "sent_from": r"Dikirim dari|Terkirim dari|Dapatkan Outlook untuk|Sent from my|Sent from|"
    r"Get Outlook for",
}
MAIL_LANGUAGES["id"] = INDONESIAN  # pinned library version; this table is ours

# Gmail wraps its quote header at ~78 characters, often right before "menulis:" / "wrote:".
# The first line must start like a quote header (a day or a date after "Pada"/"On"), and the
# lines are consecutive: "Pada tabel 2 angkanya salah" above a blank line and the real header is
# the person's own sentence, not part of the header (review of issue 11: it was cut with it).
_WRAPPED_HEADER = re.compile(
    r"^(?P<a>(?:> ?)*(?:Pada|On)\s+(?:(?:hari|tanggal|tgl\.?)\s+)?"
    r"(?:(?:Sen|Sel|Rab|Kam|Jum|Sab|Min|Ahd|Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z']*\.?,?\s|\d)"
    r"[^\n]{0,200})\n"
    r"(?P<b>(?:> ?)*[^\n]{0,200}\S[^\n]{0,200}\n)?"
    r"(?P<c>(?:> ?)*[^\n]{0,200}?(?:menulis|wrote)\s?:)[ \t]*$",
    re.M | re.I,
)
_QUOTE_PREFIX = re.compile(r"^(?:> ?)+")


def unwrap_headers(text: str) -> str:
    """The text with each wrapped "Pada/On ... menulis/wrote:" header joined onto one line."""

    def join(m: re.Match[str]) -> str:
        a, b, c = m.group("a"), m.group("b") or "", m.group("c")
        if a.rstrip().endswith(":") or not re.search(r"\d", a + b + c):
            return m.group(0)
        parts = [a.rstrip(), _QUOTE_PREFIX.sub("", b).strip(), _QUOTE_PREFIX.sub("", c).strip()]
        return " ".join(p for p in parts if p)

    return _WRAPPED_HEADER.sub(join, text)
