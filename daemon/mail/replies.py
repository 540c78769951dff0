"""Reading what a person wrote in a reply (SPEC §3.2).

`reply_text` keeps only the new text of a reply: quoted messages, client quote headers
("Pada ... menulis:", "On ... wrote:", Outlook's "Dari:/Dikirim:/Kepada:/Subjek:" and
"From:/Sent:/To:/Subject:" blocks, "-----Pesan Asli-----"), `>` quoting and signatures
("-- ", "Dikirim dari iPhone saya", closings like "Hormat kami,") are removed. The splitting is
done by mail-parser-reply; it knows no Indonesian and silently falls back to English for an
unknown language, so quoting.py registers a language table of its own (`id`: Indonesian and
English clients as an Indonesian office meets them) and joins Gmail's wrapped "... menulis:"
line; this module adds the rest the library cannot do: bottom-posted and HTML-only replies.
The text is NFKC-normalised, invisible characters and image placeholders are removed, legal
footers are cut, and a closing ends the text only when nothing but names, titles and contact
lines follow it.

`read_decision` reads that text with the grammar of daemon/core/reply_grammar.py (approve / revise /
schedule / unclear / none); `read_reply` reads a whole message, its text and HTML parts both,
unclear when they differ; `subject_clean` strips Re:/BLS:/TRS:/Fwd: prefixes. Pure functions, no
I/O.
"""

from __future__ import annotations

import re
import unicodedata

from mailparser_reply import EmailMessage

from daemon.core.model import DecisionRead, ParsedMessage, Unclear
from daemon.mail.mime import html_to_text, parse_html, tree_to_text
from daemon.mail.quoting import unwrap_headers  # its import registers the "id" language table

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


# Image placeholders clients leave in the text part ("[image: logo.png]", "[cid:image001.png@01D]",
# Outlook's "<image001.png>", Indonesian "[gambar: …]").
_PLACEHOLDER = re.compile(
    r"\[(?:image|gambar|img|cid|inline image|gambar sebaris)\s*(?::[^\]\n]{0,300})?\]"
    r"|<image\d{0,4}\.(?:png|jpe?g|gif|bmp)>",
    re.I,
)


def clean_chars(text: str) -> str:
    """NFKC (full-width letters, ideographic spaces), no invisible characters (zero-width,
    word joiner, soft hyphen, BOM, bidi marks: Unicode category Cf), no image placeholders."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return _PLACEHOLDER.sub("", text)


def _normalise(text: str) -> str:
    text = (text or "")[:_MAX_TEXT].replace("\r\n", "\n").replace("\r", "\n")
    text = clean_chars(text)
    text = "\n".join(part for line in text.split("\n") for part in _fold(line))
    return _cut_footers(unwrap_headers(text)).strip()


# Legal footers end the own text; the quote that may follow them is cut by the splitter.
_FOOTER = re.compile(
    r"^[ *_]*(?:PEMBERITAHUAN|PERHATIAN|DISCLAIMER|PENAFIAN|CONFIDENTIALITY(?: NOTICE)?|"
    r"CONFIDENTIAL|KERAHASIAAN|NOTICE)\s*:|"
    r"^[ *_]*(?:E-?mail|Surel|Surat elektronik|Pesan) ini (?:bersifat|hanya|berisi|mungkin|"
    r"ditujukan|dan)|^[ *_]*This (?:e-?mail|message) (?:is|and|may|contains)",
    re.I,
)
_FOOTER_HEAD = re.compile(r"^[ *_]*[A-Z ]{4,30}\s*:")
_QUOTE_START = re.compile(
    r"^(?:(?:Pada|On)\s.*(?:menulis|wrote)\s?:\s*$|-{3,}|_{5,}|(?:Dari|From)\s*:)", re.I
)


_LEGAL = re.compile(
    r"\b(?:rahasia|kerahasiaan|confidential\w*|penerima|recipient|dilarang|prohibited|hapus\w*|"
    r"delete|intended|dimaksud|disclose\w*|privileged)\b",
    re.I,
)


def _cut_footers(text: str) -> str:
    """Without legal footers: a paragraph that starts like one (up to a blank line or the
    quote) when it reads like one (confidentiality, intended recipient, delete...), and the
    paragraphs right after a dropped one that read like it too (two legal words in a line).
    A paragraph that only starts like a footer ("Pesan ini hanya berlaku jika ...") stays,
    even when a real footer follows it further down."""
    lines = text.split("\n")
    out: list[str] = []
    block: list[str] = []
    dropped = False  # the last paragraph was a legal footer

    def close() -> None:
        nonlocal dropped
        # the legal words of the footer's own heading ("CONFIDENTIAL:") do not count
        body = _FOOTER_HEAD.sub("", " ".join(block), count=1)
        if _LEGAL.search(body):
            dropped = True
        else:
            out.extend(block)
            dropped = False

    for n, line in enumerate(lines):
        if block and (_QUOTE_START.match(line.strip()) or not line.strip()):
            close()
            block = []
            out.append("")
            if not line.strip():
                continue
        starts = n > 0 and not _is_quoted(line) and (
            _FOOTER.match(line) or (dropped and len(set(_LEGAL.findall(line.casefold()))) >= 2))
        if not block and starts:
            block = [line]
            continue
        if block:
            block.append(line)
        else:
            if line.strip():
                dropped = False
            out.append(line)
    if block:
        close()
    return "\n".join(out)


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


_CONTACT = re.compile(
    r"(?:NIP|NIK|NRP|Telp|Tel|HP|Hp|WA|Phone|Mobile|Fax|E-?mail|Surel|Web)\b|@|https?://|www\.|"
    r"^[+()\d\s./-]{6,}$",
    re.I,
)
_HEADER_LINE = re.compile(r"^[*]*\w[\w -]{0,20}[*]*:[*]*\s+\S")
_SIG_START = re.compile(r"^(?:--\s*|_{3,}|-{3,})$")


def _closing_holds(signature: str) -> bool:
    """A closing ("Terima kasih", "Salam", "Hormat saya", "-- ") ends the own text only when
    nothing but names, titles, NIP and contact lines follow it (SPEC §3.2)."""
    from daemon.core.reply_grammar import DEFAULT

    lines = [line.strip() for line in signature.splitlines() if line.strip()]
    for n, line in enumerate(lines[1:], 1):
        if _HEADER_LINE.match(line) and n + 1 < len(lines) and _HEADER_LINE.match(lines[n + 1]):
            return True  # a quote header block in a language we do not list: the quote follows
        if _SIG_START.match(line):
            continue
        if "@" in line and re.search(r"\b(?:menulis|wrote)\b", line, re.I):
            return True  # Yahoo's one-line quote header "Pada ..., Nama<alamat> menulis: ..."
        # a contact line holds no decision words either ("HP 0812 - jangan dikirim dulu")
        plain = re.sub(r"\S*@\S*|https?://\S*|www\.\S*", " ", line)
        words = [t.word for t in _grammar_tokens(plain)]
        for i in range(len(words)):
            if DEFAULT.any_match(("setuju", "selesai", "revisi", "syarat", "ubah", "penyangkal",
                                  "jadwal", "permintaan"), words, i):
                return False
        if _CONTACT.search(line):
            continue
        if "?" in line or len(line.split()) > 10:
            return False
    return True


def _grammar_tokens(line: str):
    from daemon.core.reply_grammar import _tokens

    return _tokens(line)


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
        own = first.body
        if first.signatures and not _closing_holds(first.signatures):
            own = first.full_body  # what follows the "closing" is more than a signature
            for disclaimer in first.disclaimers:
                own = own.replace(disclaimer, "")
        body = "\n".join(line for line in own.splitlines() if not _is_quoted(line))
        inline = _inline_answers(text) if bottom_allowed else []
        return _tidy("\n".join([body, *inline]) if inline else body)
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


_ANY_HEADER = re.compile(r"^(?:Pada|On)\s.*(?:menulis|wrote)\s?:\s*$|^\S.{0,200}<[^<>\s]+@[^<>\s]+>"
                         r".{0,80}(?:menulis|wrote)", re.I)


def _inline_answers(text: str) -> list[str]:
    """Lines a person typed inside or below a `>`-quoted letter (answering inline, or adding a
    line under the quote): unquoted lines after the first quoted one, up to a signature
    separator. They are the person's own text (review of issue 11: "Tabel 2 masih salah" typed
    between the quoted lines was dropped with the quote, and "Setuju" on top approved)."""
    lines = text.split("\n")
    start = next((n for n, line in enumerate(lines) if _is_quoted(line)), None)
    if start is None:
        return []
    out: list[str] = []
    for line in lines[start + 1 :]:
        bare = line.strip()
        if re.fullmatch(r"--\s*", line) or bare in ("--", "__"):
            break
        if not bare or _is_quoted(line) or _ANY_HEADER.match(bare) or _RULE_LINE.match(bare):
            continue
        out.append(bare)
    return out


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
    if msg.text_from_html:
        return True
    text = (msg.text or "").strip()
    return not text or text == html_to_text(msg.html).strip()


def reply_text(msg: ParsedMessage) -> str:
    """The new text of a reply: no quoted message, no quote header, no signature."""
    try:
        if _is_html_only(msg):
            return _new_text(html_reply_text(msg.html or ""))
        return _new_text(msg.text or "")
    except Exception:  # noqa: BLE001 - a reply we cannot split is read as written
        return _tidy(clean_chars(msg.text or ""))


def _html_own_text(msg: ParsedMessage) -> str:
    try:
        return _new_text(html_reply_text(msg.html or ""))
    except Exception:  # noqa: BLE001
        return _tidy(clean_chars(html_to_text(msg.html)))


_LABEL = {"approve": "persetujuan", "revise": "revisi", "schedule": "jadwal",
          "unclear": "tidak jelas", "none": "kosong"}


def _same(a: DecisionRead, b: DecisionRead) -> bool:
    return (a.decision, a.kode, a.meeting_date, a.meeting_time) == (
        b.decision, b.kode, b.meeting_date, b.meeting_time)


def read_reply(msg: ParsedMessage, allow_schedule: bool = False, allow_selesai: bool = False,
               grammar=None) -> tuple[str, DecisionRead]:
    """The own text of a reply and what it decides (SPEC §3.2). A message with a text part and
    an HTML part is read twice; when the two readings differ, the answer is unclear."""
    kw = {"allow_schedule": allow_schedule, "allow_selesai": allow_selesai, "grammar": grammar}
    text = reply_text(msg)
    d = read_decision(text, **kw)
    if not msg.html or _is_html_only(msg):
        return text, d
    html_text = _html_own_text(msg)
    dh = read_decision(html_text, **kw)
    if _same(d, dh):
        return text, d
    words = f"teks biasa: {_LABEL.get(d.decision, d.decision)}"
    words += f"; HTML: {_LABEL.get(dh.decision, dh.decision)}"
    return text, DecisionRead("unclear", note=d.note if d.decision != "none" else dh.note,
                              first_line=d.first_line or dh.first_line, seen=d.seen or dh.seen,
                              reasons=[Unclear("beda_html", words, 0)])


def reply_text_from_str(text: str) -> str:
    """`reply_text` for a bare body (tests, replays of stored bodies)."""
    try:
        return _new_text(text)
    except Exception:  # noqa: BLE001
        return _tidy(text)


# --------------------------------------------------------------------------- decisions


def read_decision(
    text: str, allow_schedule: bool = False, allow_selesai: bool = False, grammar=None
) -> DecisionRead:
    """What the own text of a reply (already stripped by `reply_text`) decides: the grammar of
    SPEC §3.2 (daemon/core/reply_grammar.py). `grammar`: an office's extended word table."""
    from daemon.core.reply_grammar import DEFAULT

    return (grammar or DEFAULT).read(text, allow_schedule=allow_schedule,
                                     allow_selesai=allow_selesai)


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
