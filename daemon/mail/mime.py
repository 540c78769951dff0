"""Turning raw RFC 5322 bytes into a `ParsedMessage` that is safe to read.

Real mail is broken in every way a parser can be surprised by: unknown charsets, missing
boundaries, addresses folded without whitespace, 8-bit bytes in headers, Outlook's TNEF
(`winmail.dat`) and `.msg` files, forwarded messages inside messages. This module reads what it
can, records each broken piece in `ParsedMessage.errors` (in Indonesian, for the operator and for
the reply the caller may send) and never raises.

It is a pure function over bytes: no disk, no network. File names of attachments are cleaned for
display only and are never used as paths.
"""

from __future__ import annotations

import binascii
import email
import email.feedparser
import email.header
import email.policy
import email.utils
import logging
import mimetypes
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from email.errors import ObsoleteHeaderDefect
from email.message import Message

from lxml import etree
from lxml import html as lxml_html

from daemon.core.model import Attachment, ParsedMessage

# extract-msg warns loudly about ordinary quirks of .msg files ("Encoding property not found");
# the attachment is still read, so those warnings only clutter the daemon log.
logging.getLogger("extract_msg").setLevel(logging.ERROR)

MB = 1024 * 1024
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
TNEF_MAGIC = b"\x78\x9f\x3e\x22"
_MAX_MULTIPART_NESTING = 40  # structural nesting, independent of Limits.max_depth
_MAX_FILENAME = 120


@dataclass(frozen=True)
class Limits:
    """What one message may hold before we stop reading it. Sizes are bytes."""

    max_message_bytes: int = 30 * MB
    max_attachments: int = 50
    max_attachment_bytes: int = 25 * MB
    max_depth: int = 3  # nesting of forwarded messages / TNEF / .msg containers


# --------------------------------------------------------------------------- small helpers


def clean_text(value: object) -> str:
    """A str that can be stored and printed: surrogate-escaped 8-bit bytes are decoded as UTF-8
    (or replaced), NUL and other C0 controls except tab/newline are dropped."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        s = value.decode("utf-8", "replace")
    else:
        s = str(value)
    if any("\ud800" <= ch <= "\udfff" for ch in s):
        s = s.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return "".join(ch for ch in s if ch in "\t\n" or not (ord(ch) < 32 or ord(ch) == 127))


def _one_line(value: object) -> str:
    """Unfolded, single-line header text."""
    return re.sub(r"\s+", " ", clean_text(value)).strip()


def decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words; on any trouble return the input unchanged."""
    if "=?" not in value:
        return value
    try:
        parts = email.header.decode_header(value)
        out = []
        for chunk, charset in parts:
            if isinstance(chunk, bytes):
                out.append(_decode_bytes(chunk, charset or "ascii"))
            else:
                out.append(chunk)
        # (make_header would do the same but raises on unknown charsets.)
        return "".join(out)
    except Exception:  # noqa: BLE001 - header decoding must never raise
        return value


def _decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode body bytes: the declared charset, then UTF-8, then cp1252 with replacement."""
    cs = (charset or "").strip().strip('"').lower()
    generic = cs in ("", "unknown-8bit", "x-unknown", "unknown", "us-ascii", "ascii", "default")
    for candidate in ("utf-8",) if generic else (cs, "utf-8"):
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeError):
            continue
    # 8-bit text that is not UTF-8 under a vague or wrong label is most often Windows-1252.
    try:
        return data.decode("cp1252" if generic else cs, "replace")
    except LookupError:
        return data.decode("cp1252", "replace")


def norm_msgid(value: str | None) -> str | None:
    """One Message-ID without <> and whitespace, or None."""
    ids = norm_msgid_list(value)
    if ids:
        return ids[0]
    s = re.sub(r"\s+", "", clean_text(value)).strip("<>")
    return s or None


def norm_msgid_list(value: str | None) -> list[str]:
    """All Message-IDs in an In-Reply-To / References value, normalised, in order, deduplicated."""
    s = clean_text(value)
    if not s:
        return []
    found = [re.sub(r"\s+", "", m) for m in re.findall(r"<([^<>]*)>", s)]
    if not found:
        found = [t.strip("<>") for t in re.split(r"[\s,]+", s)]
        found = [t for t in found if "@" in t]
    out: list[str] = []
    for f in found:
        if f and f not in out:
            out.append(f)
    return out


def sanitize_filename(name: str | None) -> str:
    """A file name fit for display: no directories, no control or bidi characters, no '..',
    at most 120 characters (the extension is kept). Never use it as a path."""
    s = clean_text(decode_words(clean_text(name)))
    s = unicodedata.normalize("NFC", s)
    s = s.replace("\\", "/").split("/")[-1]
    s = "".join(ch for ch in s if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Zl", "Zp"))
    while ".." in s:
        s = s.replace("..", ".")
    s = re.sub(r"\s+", " ", s).strip(" .")
    if len(s) > _MAX_FILENAME:
        stem, dot, ext = s.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            s = stem[: _MAX_FILENAME - len(ext) - 1] + "." + ext
        else:
            s = s[:_MAX_FILENAME]
    return s


# --------------------------------------------------------------------------- HTML to text

_BLOCK_TAGS = {
    "p", "div", "br", "tr", "li", "ul", "ol", "table", "blockquote", "h1", "h2", "h3", "h4",
    "h5", "h6", "pre", "hr", "section", "article", "header", "footer", "dl", "dt", "dd",
    "address", "center", "form", "fieldset",
}  # fmt: skip
_SKIP_TAGS = {"script", "style", "head", "title", "meta", "link", "noscript", "template"}


def parse_html(html: str) -> etree._Element | None:
    """An lxml HTML tree, or None when the text is not parseable HTML."""
    if not html or not html.strip():
        return None
    try:
        data = html.encode("utf-8", "surrogatepass")
        parser = lxml_html.HTMLParser(encoding="utf-8", remove_comments=True, no_network=True)
        return lxml_html.document_fromstring(data, parser=parser)
    except Exception:  # noqa: BLE001 - lxml raises ParserError, ValueError, XMLSyntaxError
        return None


_BLOCK = "\x00"  # marks a block boundary while walking; runs of them become one line break
_BREAK = "\x01"  # an explicit <br>, which always counts


_HIDING = re.compile(
    r"(?:^|;|\s)\s*(?:display\s*:\s*none|visibility\s*:\s*(?:hidden|collapse)|"
    r"mso-hide\s*:\s*all|font-size\s*:\s*0*(?:\.0+)?(?:px|pt|em|rem|%)?\s*(?:!important)?\s*(?:;|$)|"
    r"(?:max-)?height\s*:\s*0*(?:px|pt|em)?\s*(?:!important)?\s*;[^\"]*overflow\s*:\s*hidden|"
    r"overflow\s*:\s*hidden\s*;[^\"]*(?:max-)?height\s*:\s*0*(?:px|pt|em)?\s*(?:!important)?\s*(?:;|$)|"
    r"opacity\s*:\s*0*(?:\.0+)?\s*(?:!important)?\s*(?:;|$)|color\s*:\s*transparent)",
    re.I,
)
_CSS_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")


def _hidden_selectors(root: etree._Element) -> tuple[set[str], set[str]]:
    """Class names and ids that a <style> sheet of the message hides (`.x{display:none}`)."""
    classes: set[str] = set()
    ids: set[str] = set()
    for style in root.iter("style"):
        css = re.sub(r"/\*.*?\*/", "", style.text or "", flags=re.S)
        for selectors, body in _CSS_RULE.findall(css):
            if not _HIDING.search(body):
                continue
            for sel in selectors.split(","):
                last = sel.strip().split()[-1] if sel.strip() else ""
                for m in re.finditer(r"([.#])([\w-]+)", last):
                    (classes if m.group(1) == "." else ids).add(m.group(2))
    return classes, ids


def is_hidden(
    el: etree._Element, classes: set[str] = frozenset(), ids: set[str] = frozenset()
) -> bool:
    """Whether a mail client would not show this element: display:none, visibility:hidden,
    mso-hide:all, font-size:0, zero height with overflow hidden, opacity 0, transparent text,
    the `hidden` attribute, <input type=hidden>, or a class/id the message's <style> hides."""
    get = getattr(el, "get", None)
    if get is None:
        return False
    if get("hidden") is not None or (get("type") or "").lower() == "hidden":
        return True
    if _HIDING.search(get("style") or ""):
        return True
    if classes and set((get("class") or "").split()) & classes:
        return True
    return bool(ids) and (get("id") or "") in ids


_WHITE = r"(?:#fff(?:fff)?|white|rgb\(\s*255\s*,\s*255\s*,\s*255\s*\))"
_WHITE_STYLE = re.compile(
    r"(?:^|;|\s)color\s*:\s*" + _WHITE + r"\s*(?:!important)?\s*(?:;|$)", re.I
)
_BACKGROUND = re.compile(r"background(?:-color)?\s*:\s*(?!\s*(?:none|transparent|" + _WHITE[3:-1]
                         + r")\b)[#\w]", re.I)


def _has_background(el: etree._Element) -> bool:
    get = getattr(el, "get", None)
    if get is None:
        return False
    bgcolor = (get("bgcolor") or "").strip().lower()
    if bgcolor and not re.fullmatch(_WHITE, bgcolor, re.I):
        return True
    return bool(_BACKGROUND.search(get("style") or ""))


def _white_text(el: etree._Element) -> bool:
    """White text with no coloured background anywhere above it: invisible on a white page."""
    get = getattr(el, "get", None)
    if get is None:
        return False
    if re.fullmatch(_WHITE, (get("color") or "").strip(), re.I):
        return True
    return bool(_WHITE_STYLE.search(get("style") or ""))


def tree_to_text(root: etree._Element) -> str:
    """Readable plain text from an HTML tree, rendered the way a mail client shows it: source
    whitespace collapses to one space (except in <pre>), <br> breaks a line, each block starts
    a new line (mail clients style paragraphs without margins), table cells sit side by side,
    links keep their text only. Hidden elements (`is_hidden`) are not shown, so not read."""
    out: list[str] = []
    try:
        classes, ids = _hidden_selectors(root)
    except Exception:  # noqa: BLE001 - a strange sheet hides nothing
        classes, ids = set(), set()

    def put(text: str | None, pre: bool) -> None:
        if text:
            out.append(text.replace("\n", _BREAK) if pre else re.sub(r"\s+", " ", text))

    def walk(el: etree._Element, pre: bool, bg: bool = False) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        tag = tag.lower().rsplit("}", 1)[-1]
        bg = bg or _has_background(el)
        if tag in _SKIP_TAGS or is_hidden(el, classes, ids) or (not bg and _white_text(el)):
            put(el.tail, pre)
            return
        inner_pre = pre or tag in ("pre", "textarea", "plaintext", "xmp")
        if tag == "br":
            out.append(_BREAK)
        elif tag in _BLOCK_TAGS:
            out.append(_BLOCK)
        elif tag in ("td", "th"):
            out.append(" ")
        if tag:
            put(el.text, inner_pre)
        for child in el:
            walk(child, inner_pre, bg)
        if tag in _BLOCK_TAGS and tag != "br":
            out.append(_BLOCK)
        put(el.tail, pre)

    walk(root, False)
    text = "".join(out)
    # Spaces between blocks are source formatting; runs of block boundaries are one break.
    text = re.sub(_BLOCK + r"[ \t]*(?=" + _BLOCK + ")", "", text)
    text = text.replace(_BLOCK, "\n").replace(_BREAK, "\n")
    text = text.replace("\xa0", " ").replace("\u200b", "")
    lines = [re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in text.split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def html_to_text(html: str | None) -> str:
    """Plain text of an HTML body ('' when there is none or it cannot be parsed)."""
    root = parse_html(html or "")
    if root is None:
        return clean_text(re.sub(r"<[^>]*>", " ", html or "")).strip()
    try:
        return clean_text(tree_to_text(root))
    except Exception:  # noqa: BLE001
        return ""


# --------------------------------------------------------------------------- the parser


class _Collector:
    """Gathers body text, HTML and attachments while walking a message, enforcing Limits."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.text_parts: list[str] = []
        self.html_parts: list[str] = []
        self.attachments: list[Attachment] = []
        self.errors: list[str] = []
        self.refused: list[str] = []  # limits gone over: the sender must be told
        self.full = False  # max_attachments reached: stop collecting
        self.alt_text = ""  # body found inside TNEF / .msg, used when nothing else is there

    def error(self, text: str) -> None:
        if text not in self.errors:
            self.errors.append(text)

    def refuse(self, text: str) -> None:
        self.error(text)
        if text not in self.refused:
            self.refused.append(text)

    def add(self, filename: str, content_type: str, data: bytes, source: str) -> bool:
        """Record an attachment; False when limits say stop or skip."""
        if self.full:
            return False
        if len(self.attachments) >= self.limits.max_attachments:
            self.full = True
            self.refuse(f"lampiran terlalu banyak (lebih dari {self.limits.max_attachments})")
            return False
        name = sanitize_filename(filename) or _default_name(content_type, len(self.attachments) + 1)
        if len(data) > self.limits.max_attachment_bytes:
            self.refuse(
                f"lampiran \u201c{name}\u201d terlalu besar ({len(data) / MB:.1f} MB, batas "
                f"{self.limits.max_attachment_bytes / MB:.0f} MB)"
            )
            return False
        self.attachments.append(Attachment(name, content_type, data, source))
        return True


def _default_name(content_type: str, n: int) -> str:
    if content_type in ("message/rfc822", "message/global"):
        return f"pesan-{n}.eml"
    ext = ""
    try:
        ext = mimetypes.guess_extension(content_type, strict=False) or ""
    except Exception:  # noqa: BLE001
        ext = ""
    if content_type.startswith("message/") or content_type == "text/rfc822-headers":
        ext = ".txt"
    return f"lampiran-{n}{ext or '.bin'}"


def _content_type(part: Message, errors: _Collector) -> str:
    try:
        return part.get_content_type().lower()
    except Exception as e:  # noqa: BLE001
        errors.error(f"Content-Type tidak terbaca ({type(e).__name__})")
        return "application/octet-stream"


def _part_filename(part: Message, c: _Collector) -> str:
    try:
        name = part.get_filename()
    except Exception:  # noqa: BLE001
        name = None
        try:
            raw = str(part.get("content-disposition", "")) + ";" + str(part.get("content-type", ""))
            m = re.search(r'name\*?=(?:"([^"]*)"|([^;\s]*))', raw, re.I)
            name = (m.group(1) or m.group(2)) if m else None
        except Exception:  # noqa: BLE001
            c.error("nama berkas lampiran tidak terbaca")
    return decode_words(clean_text(name)) if name else ""


def _disposition(part: Message) -> str | None:
    try:
        return part.get_content_disposition()
    except Exception:  # noqa: BLE001
        return None


def _has_content_id(part: Message) -> bool:
    try:
        return part.get("content-id") is not None
    except Exception:  # noqa: BLE001
        return "content-id" in (k.lower() for k in part.keys())


def _raw_payload_len(part: Message) -> int:
    try:
        payload = part.get_payload()
    except Exception:  # noqa: BLE001
        return 0
    return len(payload) if isinstance(payload, str) else 0


def _leaf_bytes(part: Message, c: _Collector) -> bytes:
    try:
        if str(part.get("Content-Transfer-Encoding", "")).strip().lower() == "base64":
            payload = part.get_payload()
            if isinstance(payload, str):
                try:  # one pass, no intermediate copies (get_payload(decode=True) makes several)
                    return binascii.a2b_base64(payload.encode("ascii", "surrogateescape"))
                except (binascii.Error, ValueError):
                    pass
        data = part.get_payload(decode=True)
    except Exception as e:  # noqa: BLE001
        c.error(f"isi bagian pesan tidak terbaca ({type(e).__name__})")
        return b""
    if isinstance(data, bytes):
        return data
    if isinstance(data, str):
        return data.encode("utf-8", "surrogateescape")
    return b""


def _flatten(msg: Message) -> bytes:
    """A message or part back to bytes (for message/rfc822 and delivery-status attachments)."""
    for attempt in ("bytes", "compat32"):
        try:
            if attempt == "bytes":
                return msg.as_bytes()
            return msg.as_bytes(policy=email.policy.compat32)
        except Exception:  # noqa: BLE001
            continue
    try:
        return msg.as_string(policy=email.policy.compat32).encode("utf-8", "surrogateescape")
    except Exception:  # noqa: BLE001
        return b""


def _body_of_flattened(part: Message) -> bytes:
    """The body of a composite part (message/rfc822, message/delivery-status): its bytes minus
    its own header block."""
    raw = _flatten(part)
    for sep in (b"\r\n\r\n", b"\n\n"):
        idx = raw.find(sep)
        if idx >= 0:
            return raw[idx + len(sep) :]
    return raw


def _text_of(part: Message, c: _Collector) -> str:
    data = _leaf_bytes(part, c)
    try:
        charset = part.get_content_charset()
    except Exception:  # noqa: BLE001
        charset = None
    return clean_text(_decode_bytes(data, charset)).replace("\r\n", "\n").replace("\r", "\n")


def _param(part: Message, name: str) -> str:
    try:
        return str(part.get_param(name, "") or "")
    except Exception:  # noqa: BLE001
        return ""


def unflow(text: str, delsp: bool = False) -> str:
    """A format=flowed body (RFC 3676) with its soft line breaks joined: a line that ends in a
    space continues on the next line of the same quote depth; space-stuffing is undone; the
    signature separator "-- " is never flowed."""
    out: list[str] = []
    para = ""
    depth = -1
    for raw in text.split("\n"):
        level = len(raw) - len(raw.lstrip(">"))
        line = raw[level:]
        if line.startswith(" "):
            line = line[1:]  # space-stuffed
        if para and level != depth:
            out.append((">" * depth + " " + para) if depth > 0 else para)
            para = ""
        depth = level
        soft = line.endswith(" ") and line != "-- "
        if soft:
            para += line[:-1] if delsp else line
            continue
        para += line
        out.append((">" * level + " " + para) if level else para)
        para = ""
    if para:
        out.append((">" * depth + " " + para) if depth > 0 else para)
    return "\n".join(out)


def _walk(part: Message, c: _Collector, depth: int, source: str, nesting: int = 0) -> None:
    """Walk one part. `depth` counts containers (forwarded message, TNEF, .msg), `source` is
    how its attachments are labelled; body text is only taken at depth 0."""
    if c.full:
        return
    if nesting > _MAX_MULTIPART_NESTING:
        c.error("struktur pesan bersarang terlalu dalam")
        return
    ctype = _content_type(part, c)
    try:
        is_multi = part.is_multipart()
    except Exception:  # noqa: BLE001
        is_multi = False

    if ctype in ("message/rfc822", "message/global"):
        _walk_rfc822(part, c, depth, source, is_multi, nesting)
        return
    if ctype.startswith("multipart/") and not is_multi:
        # A multipart whose boundary never appears: what is there is plain text.
        ctype = "text/plain"

    if is_multi:
        if ctype.startswith("message/"):
            # message/delivery-status and friends are parsed by email into header blocks:
            # keep them whole as one attachment so a bounce can be read later.
            c.add("", ctype, _body_of_flattened(part), source)
            return
        try:
            children = part.get_payload()
        except Exception as e:  # noqa: BLE001
            c.error(f"bagian multipart rusak ({type(e).__name__})")
            return
        if not isinstance(children, list):
            return
        for child in children:
            if c.full:
                return
            try:
                if isinstance(child, Message):
                    _walk(child, c, depth, source, nesting + 1)
            except RecursionError:
                c.error("struktur pesan bersarang terlalu dalam")
                return
            except Exception as e:  # noqa: BLE001 - one broken part never stops the others
                c.error(f"bagian pesan dilewati ({type(e).__name__}: {clean_text(e)[:80]})")
        return

    filename = _part_filename(part, c)
    disposition = _disposition(part)
    if ctype in ("text/plain", "text/html") and not filename and disposition != "attachment":
        # A body part. Only the outer message's body is ours; the body of a forwarded message
        # travels inside its .eml attachment and is not a file of its own.
        if depth == 0:
            body = _text_of(part, c)
            if ctype == "text/plain" and _param(part, "format").lower() == "flowed":
                body = unflow(body, delsp=_param(part, "delsp").lower() == "yes")
            (c.text_parts if ctype == "text/plain" else c.html_parts).append(body)
        return

    encoded = _raw_payload_len(part)
    if encoded * 3 // 4 > c.limits.max_attachment_bytes * 1.05:  # refuse before decoding it
        name = sanitize_filename(filename) or _default_name(ctype, len(c.attachments) + 1)
        c.refuse(
            f"lampiran \u201c{name}\u201d terlalu besar (sekitar {encoded * 3 / 4 / MB:.1f} MB, "
            f"batas {c.limits.max_attachment_bytes / MB:.0f} MB)"
        )
        return
    data = _leaf_bytes(part, c)
    label = source
    if source == "mime" and (
        disposition == "inline" or (disposition is None and _has_content_id(part))
    ):
        label = "inline"
    added = c.add(filename, ctype, data, label)
    if added:
        _unpack_container(filename, ctype, data, c, depth)


def _walk_rfc822(
    part: Message, c: _Collector, depth: int, source: str, is_multi: bool, nesting: int
) -> None:
    inner: Message | None = None
    if is_multi:
        try:
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else None
        except Exception:  # noqa: BLE001
            inner = None
        data = _body_of_flattened(part)
    else:
        # Illegal but seen: a base64-encoded message/rfc822 that email did not descend into.
        data = _leaf_bytes(part, c)
        try:
            inner = email.message_from_bytes(data, policy=email.policy.default)
        except Exception:  # noqa: BLE001
            inner = None
    filename = _part_filename(part, c)
    if not filename and inner is not None:
        try:
            subj = _one_line(inner.get("subject", ""))
        except Exception:  # noqa: BLE001
            subj = ""
        filename = (subj[:60] + ".eml") if subj else ""
    if not c.add(filename, "message/rfc822", data, source):
        return
    if inner is None:
        return
    if depth + 1 > c.limits.max_depth:
        c.error(
            f"pesan terlampir bersarang terlalu dalam (lebih dari {c.limits.max_depth} tingkat)"
        )
        return
    _walk(inner, c, depth + 1, "rfc822", nesting + 1)


def _unpack_container(filename: str, ctype: str, data: bytes, c: _Collector, depth: int) -> None:
    """If an attachment is TNEF or an Outlook .msg, add the files inside it too."""
    lower = filename.lower()
    is_tnef = data[:4] == TNEF_MAGIC  # the TNEF signature is enough, whatever the name says
    is_msg = data[:8] == OLE_MAGIC and (
        lower.endswith(".msg") or ctype in ("application/vnd.ms-outlook", "application/x-msg")
    )
    if not (is_tnef or is_msg):
        return
    if depth + 1 > c.limits.max_depth:
        c.error(f"lampiran bersarang terlalu dalam (lebih dari {c.limits.max_depth} tingkat)")
        return
    if is_tnef:
        _unpack_tnef(data, c, depth + 1)
    else:
        _unpack_msg(data, c, depth + 1)


def _unpack_tnef(data: bytes, c: _Collector, depth: int) -> None:
    try:
        import tnefparse

        tnef = tnefparse.TNEF(data, do_checksum=False)
    except Exception as e:  # noqa: BLE001
        c.error(f"lampiran winmail.dat (TNEF) tidak terbaca ({type(e).__name__})")
        return
    for att in getattr(tnef, "attachments", []) or []:
        try:
            name = att.long_filename() or att.name or ""
            blob = att.data if isinstance(att.data, bytes) else bytes(att.data or b"")
        except Exception:  # noqa: BLE001
            c.error("satu berkas di dalam winmail.dat tidak terbaca")
            continue
        ctype = _guess_type(name)
        if c.add(name, ctype, blob, "tnef"):
            _unpack_container(name, ctype, blob, c, depth)
    if not c.alt_text:
        try:
            body = tnef.body or ""
            if isinstance(body, bytes):
                body = _decode_bytes(body, None)
            if not body and tnef.htmlbody:
                hb = tnef.htmlbody
                body = html_to_text(hb if isinstance(hb, str) else _decode_bytes(hb, None))
            c.alt_text = clean_text(body).strip()
        except Exception:  # noqa: BLE001
            pass


def _unpack_msg(data: bytes, c: _Collector, depth: int) -> None:
    try:
        import extract_msg

        msg = extract_msg.openMsg(data, strict=False)
    except Exception as e:  # noqa: BLE001
        c.error(f"lampiran Outlook (.msg) tidak terbaca ({type(e).__name__})")
        return
    try:
        _msg_attachments(msg, c, depth)
        if not c.alt_text:
            try:
                c.alt_text = clean_text(getattr(msg, "body", "") or "").strip()
            except Exception:  # noqa: BLE001
                pass
    finally:
        try:
            msg.close()
        except Exception:  # noqa: BLE001
            pass


def _msg_attachments(msg: object, c: _Collector, depth: int) -> None:
    try:
        atts = list(getattr(msg, "attachments", []) or [])
    except Exception as e:  # noqa: BLE001
        c.error(f"lampiran di dalam berkas .msg tidak terbaca ({type(e).__name__})")
        return
    for att in atts:
        if c.full:
            return
        try:
            name = (
                getattr(att, "longFilename", None)
                or getattr(att, "shortFilename", None)
                or getattr(att, "name", None)
                or ""
            )
            blob = att.data
        except Exception:  # noqa: BLE001
            c.error("satu berkas di dalam lampiran .msg tidak terbaca")
            continue
        if isinstance(blob, bytes):
            ctype = _guess_type(str(name))
            if c.add(str(name), ctype, blob, "msg"):
                _unpack_container(str(name), ctype, blob, c, depth)
        elif blob is not None and hasattr(blob, "attachments"):
            # An Outlook item embedded in the .msg: its own files count too.
            if depth + 1 > c.limits.max_depth:
                c.error(
                    f"lampiran bersarang terlalu dalam (lebih dari {c.limits.max_depth} tingkat)"
                )
                continue
            _msg_attachments(blob, c, depth + 1)


def _guess_type(name: str) -> str:
    try:
        guessed = mimetypes.guess_type(name, strict=False)[0]
    except Exception:  # noqa: BLE001
        guessed = None
    return guessed or "application/octet-stream"


# --------------------------------------------------------------------------- headers


def _raw_headers(msg: Message, errors: list[str]) -> list[tuple[str, str]]:
    try:
        return [(clean_text(k).strip().lower(), v) for k, v in msg.raw_items()]
    except Exception as e:  # noqa: BLE001
        errors.append(f"kepala pesan tidak terbaca ({type(e).__name__})")
        return []


def _addresses(msg: Message, name: str, raw: list[str], errors: list[str]) -> list[tuple[str, str]]:
    """(display name, lower-case address) pairs of an address header, tolerant of breakage."""
    out: list[tuple[str, str]] = []
    try:
        header = msg[name]
        if header is not None:
            for addr in header.addresses:
                spec = _one_line(addr.addr_spec).lower()
                if spec == "<>":
                    spec = ""
                if spec or addr.display_name:
                    out.append((_one_line(addr.display_name), spec))
            return out
    except Exception:  # noqa: BLE001 - IndexError, AttributeError, ValueError seen in real mail
        pass
    try:
        pairs = email.utils.getaddresses([decode_words(_one_line(v)) for v in raw])
        for display, spec in pairs:
            spec = _one_line(spec).lower()
            if spec or display:
                out.append((_one_line(display), spec))
    except Exception as e:  # noqa: BLE001
        errors.append(f"alamat pada kepala {name} tidak terbaca ({type(e).__name__})")
    return out


def _bracketed_from(raw: list[str], name: str, addr: str) -> tuple[str, str]:
    """When a broken From ('a.b@host <a.b@host.example>') was read as the wrong address, take
    the one in angle brackets, which is what every mail client shows and answers. For display
    and triage only: such a From never authorises anything (`_author` gives no author)."""
    if not raw:
        return name, addr
    value = decode_words(_one_line(raw[0]))
    m = re.search(r"<\s*([^<>\s]+@[^<>\s]+)\s*>", value)
    if not m or m.group(1).lower() == addr:
        return name, addr
    display = value[: m.start()].strip().strip('"').strip()
    return (name or display), m.group(1).lower()


def _author(msg: Message, raw_from: list[str], raw_sender: list[str]) -> tuple[str, str]:
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


def _first_address(value: str) -> str:
    s = _one_line(value)
    if re.fullmatch(r"<\s*>", s) or s == "":
        return ""
    m = re.search(r"<([^<>]*)>", s)
    addr = m.group(1) if m else s
    return re.sub(r"\s+", "", addr).lower()


def _subject(msg: Message, raw: list[str]) -> str:
    try:
        value = msg["subject"]
        if value is not None:
            return _one_line(value)
    except Exception:  # noqa: BLE001
        pass
    return _one_line(decode_words(_one_line(raw[0]))) if raw else ""


def _date(raw: list[str], errors: list[str]) -> datetime | None:
    if not raw:
        return None
    try:
        return email.utils.parsedate_to_datetime(_one_line(raw[0]))
    except Exception:  # noqa: BLE001
        errors.append("tanggal pesan tidak terbaca")
        return None


def _head_only(raw: bytes) -> bytes:
    for sep in (b"\r\n\r\n", b"\n\n", b"\r\r"):
        idx = raw.find(sep)
        if idx >= 0:
            return raw[: idx + len(sep)]
    return raw[:65536]


def parse_message(raw: bytes, limits: Limits = Limits()) -> ParsedMessage:
    """Parse raw message bytes. Never raises: problems are listed in `errors`."""
    pm = ParsedMessage()
    if not isinstance(raw, bytes | bytearray):
        pm.errors.append("pesan bukan data biner")
        return pm
    raw = bytes(raw)
    # A byte-order mark or blank lines before the first header (seen from some export tools)
    # would make the whole header block look like body.
    stripped = raw.removeprefix(b"\xef\xbb\xbf").lstrip(b"\r\n")
    if stripped[:1] not in (b" ", b"\t"):
        raw = stripped
    too_big = len(raw) > limits.max_message_bytes
    if too_big:
        pm.errors.append(
            f"pesan terlalu besar ({len(raw) / MB:.1f} MB, batas {limits.max_message_bytes / MB:.0f} MB)"
        )
        pm.refused.append(pm.errors[-1])
        raw = _head_only(raw)
    try:
        # Fed in slices: message_from_bytes decodes the whole message into one big string first.
        parser = email.feedparser.BytesFeedParser(policy=email.policy.default)
        for i in range(0, len(raw), 1 << 16):
            parser.feed(raw[i : i + (1 << 16)])
        msg = parser.close()
    except Exception as e:  # noqa: BLE001
        pm.errors.append(f"pesan tidak dapat diurai ({type(e).__name__})")
        return pm

    raw_items = _raw_headers(msg, pm.errors)
    grouped: dict[str, list[str]] = {}
    for k, v in raw_items:
        grouped.setdefault(k, []).append(v)
    for k, values in grouped.items():
        pm.headers[k] = [decode_words(_one_line(v)) for v in values]

    def raw_of(name: str) -> list[str]:
        return grouped.get(name, [])

    guarded_steps = (
        ("message-id", lambda: setattr(pm, "message_id", norm_msgid(_first(raw_of("message-id"))))),
        ("in-reply-to", lambda: setattr(pm, "in_reply_to", _ids(raw_of("in-reply-to")))),
        ("references", lambda: setattr(pm, "references", _ids(raw_of("references")))),
        ("subject", lambda: setattr(pm, "subject", _subject(msg, raw_of("subject")))),
        ("date", lambda: setattr(pm, "date", _date(raw_of("date"), pm.errors))),
    )
    for name, step in guarded_steps:
        try:
            step()
        except Exception as e:  # noqa: BLE001
            pm.errors.append(f"kepala {name} tidak terbaca ({type(e).__name__})")

    try:
        froms = _addresses(msg, "from", raw_of("from"), pm.errors)
        if not froms and raw_of("sender"):
            froms = _addresses(msg, "sender", raw_of("sender"), pm.errors)
        with_addr = [f for f in froms if f[1]]
        if with_addr or froms:
            pm.from_name, pm.from_addr = (with_addr or froms)[0]
        pm.author, pm.author_problem = _author(msg, raw_of("from"), raw_of("sender"))
        if pm.author_problem == "from_rusak":  # shown leniently; never trusted (author is "")
            pm.from_name, pm.from_addr = _bracketed_from(raw_of("from"), pm.from_name, pm.from_addr)
    except Exception as e:  # noqa: BLE001
        pm.errors.append(f"pengirim tidak terbaca ({type(e).__name__})")
    for field_name in ("to", "cc"):
        try:
            addrs = _addresses(msg, field_name, raw_of(field_name), pm.errors)
            setattr(pm, field_name, _dedupe(a for _, a in addrs if a))
        except Exception as e:  # noqa: BLE001
            pm.errors.append(f"kepala {field_name} tidak terbaca ({type(e).__name__})")
    try:
        rp = raw_of("return-path")
        pm.return_path = _first_address(rp[0]) if rp else None
    except Exception:  # noqa: BLE001
        pm.return_path = None
    try:
        delivered: list[str] = []
        for h in ("delivered-to", "x-original-to", "envelope-to"):
            for v in raw_of(h):
                for part in re.split(r"[,\s]+", _one_line(v)):
                    addr = _first_address(part)
                    if "@" in addr:
                        delivered.append(addr)
        pm.delivered_to = _dedupe(delivered)
    except Exception:  # noqa: BLE001
        pm.errors.append("kepala Delivered-To tidak terbaca")

    if too_big:
        return pm

    for defect in _defects(msg):
        pm.errors.append(defect)

    c = _Collector(limits)
    try:
        _walk(msg, c, 0, "mime")
    except RecursionError:
        c.error("struktur pesan bersarang terlalu dalam")
    except Exception as e:  # noqa: BLE001
        c.error(f"isi pesan tidak terbaca ({type(e).__name__})")
    pm.attachments = c.attachments
    pm.refused = c.refused
    pm.errors.extend(e for e in c.errors if e not in pm.errors)
    pm.html = "\n".join(c.html_parts) if c.html_parts else None
    text = "\n".join(t for t in c.text_parts if t.strip())
    if not text.strip() and pm.html:
        text = html_to_text(pm.html)
        pm.text_from_html = True
    if not text.strip() and c.alt_text:
        text = c.alt_text
    if not text.strip() and not pm.html:
        # A multipart whose boundary never appears: all there is sits in the preamble.
        try:
            preamble = msg.preamble if msg.is_multipart() else None
        except Exception:  # noqa: BLE001
            preamble = None
        if preamble and preamble.strip():
            text = clean_text(preamble).replace("\r\n", "\n").strip()
    pm.text = text
    return pm


def _first(values: list[str]) -> str | None:
    return values[0] if values else None


def _ids(values: list[str]) -> list[str]:
    out: list[str] = []
    for v in values:
        for i in norm_msgid_list(v):
            if i not in out:
                out.append(i)
    return out


def _dedupe(items) -> list[str]:
    out: list[str] = []
    for i in items:
        if i and i not in out:
            out.append(i)
    return out


_REPORTED_DEFECTS = {
    "StartBoundaryNotFoundDefect",
    "CloseBoundaryNotFoundDefect",
    "MultipartInvariantViolationDefect",
    "NoBoundaryInMultipartDefect",
    "MissingHeaderBodySeparatorDefect",
}


def _defects(msg: Message) -> list[str]:
    """Structural defects worth telling the operator about (boundaries missing and the like)."""
    names: list[str] = []
    try:
        for part in msg.walk():
            for d in getattr(part, "defects", []) or []:
                n = type(d).__name__
                if n in _REPORTED_DEFECTS and n not in names:
                    names.append(n)
    except Exception:  # noqa: BLE001
        return ["struktur pesan tidak dapat diperiksa"]
    return [f"struktur MIME rusak ({n.removesuffix('Defect')})" for n in names]
