"""The readable text of a body: HTML rendered as a mail client shows it, and format=flowed.

An HTML body is read the way the person saw it: hidden elements (display:none, white text on a
white page, a class the message's own <style> hides, ...) are left out, so text a sender could
not see is never read as their answer. A format=flowed plain body (RFC 3676) has its soft line
breaks joined. Both are pure functions over str.
"""

from __future__ import annotations

import re

from lxml import etree
from lxml import html as lxml_html

from daemon.mail.mime.text import clean_text

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
_BACKGROUND = re.compile(
    r"background(?:-color)?\s*:\s*(?!\s*(?:none|transparent|" + _WHITE[3:-1] + r")\b)[#\w]", re.I
)


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
