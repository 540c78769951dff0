"""Reading what a person wrote in a reply (SPEC §3.2).

`reply_text` keeps only the new text of a reply: quoted messages, client quote headers
("Pada ... menulis:", "On ... wrote:", Outlook's "Dari:/Dikirim:/Kepada:/Subjek:" and
"From:/Sent:/To:/Subject:" blocks, "-----Pesan Asli-----"), `>` quoting and signatures
("-- ", "Dikirim dari iPhone saya", closings like "Hormat kami,") are removed. The splitting is
done by mail-parser-reply; it knows no Indonesian and silently falls back to English for an
unknown language, so this module registers a language table of its own (`id`: Indonesian and
English clients as an Indonesian office meets them) and adds what the library cannot do: joining
Gmail's wrapped "... menulis:" line, bottom-posted replies, and HTML-only replies.

`read_decision` reads the first meaningful line of that text as approve / revise / schedule /
unclear / none; `subject_clean` strips Re:/BLS:/TRS:/Fwd: prefixes. Pure functions, no I/O.
"""

from __future__ import annotations

import re
from datetime import date

from mailparser_reply import EmailMessage
from mailparser_reply.constants import MAIL_LANGUAGES, QUOTED_MATCH_INCLUDE

from .mime import html_to_text, parse_html, tree_to_text
from .model import DecisionRead, ParsedMessage

# --------------------------------------------------------------------------- language table

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
_WRAPPED_HEADER = re.compile(
    r"^(?P<a>(?:> ?)*(?:Pada|On)\s[^\n]{0,200})\n"
    r"(?P<b>(?:> ?)*[^\n]{0,200}\n)?"
    r"(?P<c>(?:> ?)*[^\n]{0,200}?(?:menulis|wrote)\s?:)[ \t]*$",
    re.M | re.I,
)
_QUOTE_PREFIX = re.compile(r"^(?:> ?)+")


def _unwrap_headers(text: str) -> str:
    def join(m: re.Match[str]) -> str:
        a, b, c = m.group("a"), m.group("b") or "", m.group("c")
        if a.rstrip().endswith(":") or not re.search(r"\d", a + b + c):
            return m.group(0)
        parts = [a.rstrip(), _QUOTE_PREFIX.sub("", b).strip(), _QUOTE_PREFIX.sub("", c).strip()]
        return " ".join(p for p in parts if p)

    return _WRAPPED_HEADER.sub(join, text)


_MAX_TEXT = 100_000  # a reply's new text is at its top; the rest is history
_MAX_LINE = 1000  # the library's "On ... wrote:" pattern is quadratic in the line length


def _fold(line: str) -> list[str]:
    if len(line) <= _MAX_LINE:
        return [line]
    out: list[str] = []
    while len(line) > _MAX_LINE:
        cut = line.rfind(" ", 0, _MAX_LINE)
        cut = cut if cut > 0 else _MAX_LINE
        out.append(line[:cut])
        line = line[cut:].lstrip()
    out.append(line)
    return out


def _normalise(text: str) -> str:
    text = (text or "")[:_MAX_TEXT].replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\xa0", " ").replace("\u200b", "").replace("\ufeff", "")
    text = "\n".join(part for line in text.split("\n") for part in _fold(line))
    return _unwrap_headers(text).strip()


def _is_quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


_RULE_LINE = re.compile(r"^[-_=—–*~ ]{3,}$")


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.splitlines()]
    while lines and (not lines[-1].strip() or _RULE_LINE.match(lines[-1].strip())):
        lines.pop()  # a separator left behind by the quote that was cut off
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _split(text: str) -> EmailMessage:
    return EmailMessage(
        text=text, languages=["id"], include_english=False, keep_hyphen_lists=True
    ).read()


def _new_text(text: str, bottom_allowed: bool = True) -> str:
    """The new text of a plain-text reply body."""
    text = _normalise(text)
    if not text:
        return ""
    parsed = _split(text)
    if not parsed.replies:
        return ""
    first = parsed.replies[0]
    if not first.headers:
        # Top-posting, or no quote at all: the library's first reply, without stray `>` lines.
        body = "\n".join(line for line in first.body.splitlines() if not _is_quoted(line))
        return _tidy(body)
    if not bottom_allowed:
        return ""
    # The body starts with a quote header: bottom-posting. The new text is what follows the
    # `>`-quoted lines; a quote without `>` (Outlook) has no new text after it.
    content = first.content.replace(first.headers, "", 1)
    lines = content.splitlines()
    if not any(_is_quoted(line) for line in lines):
        return ""
    after = [line for line in lines if not _is_quoted(line)]
    return _new_text("\n".join(after), bottom_allowed=False)


# --------------------------------------------------------------------------- HTML replies

_QUOTE_XPATHS = (
    "//blockquote",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' gmail_quote ')]",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' gmail_quote_container ')]",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' gmail_attr ')]",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' yahoo_quoted ')]",
    "//*[starts-with(@id, 'yahoo_quoted')]",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' moz-cite-prefix ')]",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' gmail_signature ')]",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' moz-signature ')]",
    "//*[@data-smartmail='gmail_signature']",
    "//*[@id='Signature']",
    "//*[@id='OLK_SRC_BODY_SECTION']",
)
# Outlook puts the quoted message after its header block, as siblings: drop them all.
_QUOTE_AND_AFTER_XPATHS = (
    "//*[@id='divRplyFwdMsg']",
    "//*[@id='appendonsend']",
    "//*[@id='mail-editor-reference-message-container']",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' OutlookMessageHeader ')]",
    "//*[@name='messageReplySection']/following-sibling::*",
)


def _drop(el) -> None:
    parent = el.getparent()
    if parent is None:
        return
    try:
        el.drop_tree()  # keeps the element's tail text
    except AttributeError:
        parent.remove(el)


def html_reply_text(html: str) -> str:
    """Plain text of an HTML reply with quoted parts removed (before the text rules run)."""
    root = parse_html(html)
    if root is None:
        return html_to_text(html)
    try:
        for xp in _QUOTE_AND_AFTER_XPATHS:
            for el in root.xpath(xp):
                if el.getparent() is None:
                    continue
                for sib in list(el.itersiblings()):
                    _drop(sib)
                prev = el.getprevious()
                if prev is not None and isinstance(prev.tag, str) and prev.tag.lower() == "hr":
                    _drop(prev)
                _drop(el)
        for xp in _QUOTE_XPATHS:
            for el in root.xpath(xp):
                if el.getparent() is not None:
                    _drop(el)
        return tree_to_text(root)
    except Exception:  # noqa: BLE001 - a strange tree still gives its plain text
        return html_to_text(html)


def _is_html_only(msg: ParsedMessage) -> bool:
    if not msg.html:
        return False
    text = (msg.text or "").strip()
    return not text or text == html_to_text(msg.html).strip()


def reply_text(msg: ParsedMessage) -> str:
    """The new text of a reply: no quoted message, no quote header, no signature."""
    try:
        if _is_html_only(msg):
            return _new_text(html_reply_text(msg.html or ""))
        return _new_text(msg.text or "")
    except Exception:  # noqa: BLE001 - a reply we cannot split is read as written
        return _tidy(msg.text or "")


def reply_text_from_str(text: str) -> str:
    """`reply_text` for a bare body (tests, replays of stored bodies)."""
    try:
        return _new_text(text)
    except Exception:  # noqa: BLE001
        return _tidy(text)


# --------------------------------------------------------------------------- decisions

_APPROVE = {"setuju", "disetujui", "acc", "ok", "oke", "okay", "okey", "lanjut", "lanjutkan",
            "teruskan"}  # fmt: skip
_REVISE = {"revisi", "perbaiki", "koreksi", "tolak", "ditolak"}
_NEGATION = {"tidak", "tak", "belum", "jangan", "gak", "nggak", "enggak", "ga", "ndak", "bukan",
             "no", "not"}  # fmt: skip
_LEADING_FILLERS = {"ya", "iya", "baik", "saya", "kami", "pak", "bu", "bapak", "ibu"}
_GREETING = re.compile(
    r"^(?:yth|kepada yth|dear|hi|hai|halo|hallo|selamat (?:pagi|siang|sore|malam)|"
    r"assalamu.?alaikum|salam|om swastiastu|shalom|pak|bu|bapak|ibu)\b",
    re.I,
)
_WORD = re.compile(r"[0-9a-z]+(?:['’][a-z]+)?", re.I)
_SCHEDULE = re.compile(
    r"^[\s:,-]*(?:(?:tanggal|tgl\.?|hari)\s+)?(?:\w+,?\s+)??"
    r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})\s*,?\s*"
    r"(?:(?:pukul|pkl\.?|jam)\s*)?(\d{1,2})[.:](\d{2})"
    r"(?:\s*(?:wib|wita|wit)\b)?[\s,.]*(.*)$",
    re.I,
)


def _tokens(line: str) -> list[re.Match[str]]:
    return list(_WORD.finditer(line))


def _rest(line: str, end: int) -> str:
    return line[end:].strip().lstrip(",.;:!?-–—").strip()


def _is_greeting(line: str) -> bool:
    if len(line) > 60 or not _GREETING.match(line.strip()):
        return False
    words = {m.group(0).lower() for m in _tokens(line)}
    return not (words & (_APPROVE | _REVISE | {"jadwal", "selesai"}))


def _negated(words: list[str], i: int) -> bool:
    return any(w in _NEGATION or w == "tanpa" for w in words[max(0, i - 3) : i])


def _conflicting(words: list[str], start: int) -> bool:
    """An approval line that also refuses or asks for changes ('OK, tapi revisi tabel 3',
    'oke saya tidak setuju') is not an approval."""
    for i in range(start, len(words)):
        w = words[i]
        if w in _NEGATION and i + 1 < len(words) and words[i + 1] in _APPROVE:
            return True
        if w in _REVISE and not _negated(words, i):
            return True
    return False


def read_decision(
    text: str, allow_schedule: bool = False, allow_selesai: bool = False
) -> DecisionRead:
    """What the first meaningful line of a reply (already stripped by `reply_text`) decides."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if not lines:
        return DecisionRead("none")
    idx = 0
    while idx < min(2, len(lines) - 1) and _is_greeting(lines[idx]):
        idx += 1
    line = lines[idx]
    following = lines[idx + 1 :]
    toks = _tokens(line)
    words = [t.group(0).lower() for t in toks]
    i = 0
    while i < len(words) - 1 and words[i] in _LEADING_FILLERS:
        i += 1

    def note_from(end: int) -> str:
        return "\n".join(p for p in [_rest(line, end), *following] if p).strip()

    def unclear() -> DecisionRead:
        return DecisionRead("unclear", note="\n".join(lines[idx:]), first_line=line)

    if not words:
        return unclear()
    w = words[i]
    nxt = words[i + 1] if i + 1 < len(words) else ""

    if w in _NEGATION:
        # "tidak setuju", "belum ok", "jangan lanjut": a refusal. "belum selesai" is no
        # decision at all.
        if nxt in _APPROVE:
            return DecisionRead("revise", note_from(toks[i + 1].end()), line)
        return unclear()
    if w in _REVISE:
        return DecisionRead("revise", note_from(toks[i].end()), line)
    if w in _APPROVE or (w == "selesai" and allow_selesai):
        if _conflicting(words, i + 1):
            return unclear()
        end, kode = toks[i].end(), None  # "SETUJU 482913": the S11 signature code, not the note
        if m := re.match(r"[\s,.:;-]*(\d{6})(?!\d)", line[end:]):
            end, kode = end + m.end(), m.group(1)
        return DecisionRead("approve", note_from(end), line, kode=kode)
    if w == "jadwal" and allow_schedule:
        return _schedule(line, toks[i].end(), following) or unclear()
    return unclear()


def _schedule(line: str, end: int, following: list[str]) -> DecisionRead | None:
    m = _SCHEDULE.match(line[end:])
    if not m:
        return None
    day, month, year, hour, minute, rest = m.groups()
    try:
        when = date(int(year), int(month), int(day))
    except ValueError:
        return None
    h, mi = int(hour), int(minute)
    if not (0 <= h <= 23 and 0 <= mi <= 59):
        return None
    place = re.sub(r"^(?:bertempat\s+di|tempat\s*:?|di)\s+", "", rest.strip(), flags=re.I)
    place = place.strip().rstrip(".,;!").strip()
    return DecisionRead(
        "schedule",
        note="\n".join(following).strip(),
        first_line=line,
        meeting_date=when,
        meeting_time=f"{h:02d}:{mi:02d}",
        meeting_place=place or None,
    )


# --------------------------------------------------------------------------- subjects

_PREFIX = re.compile(
    r"^\s*(?:re|aw|bls|balas|trs|fw|fwd|tr|wg|sv|antw|r)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*",
    re.I,
)


def subject_clean(subject: str) -> str:
    """A subject without reply/forward prefixes (Re:, RE:, Bls:, BLS:, Balas:, TRS:, Fwd:, FW:,
    Tr:, AW:, WG:, repeated), whitespace collapsed."""
    s = re.sub(r"\s+", " ", subject or "").strip()
    while True:
        stripped = _PREFIX.sub("", s, count=1)
        if stripped == s:
            return s
        s = stripped.strip()
