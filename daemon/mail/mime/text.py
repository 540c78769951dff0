"""Text made safe to store and show: header values, encoded words, charsets, Message-IDs, names.

Real headers carry 8-bit bytes, RFC 2047 encoded words in unknown charsets, NUL and control
characters, and Message-ID lists in every shape; bodies come under vague or wrong charset labels.
Each helper here takes such a value and returns plain str, never raising; the rest of the mime
package reads every header, body part and attachment name through them.
"""

from __future__ import annotations

import email.header
import re
import unicodedata

_MAX_FILENAME = 120


# C0 controls except tab and newline, and DEL: dropped. (A regex, not a per-character loop: it
# runs over every header and body text of every message.)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SURROGATES = re.compile(r"[\ud800-\udfff]")
_SPACES = re.compile(r"\s+")


def clean_text(value: object) -> str:
    """A str that can be stored and printed: surrogate-escaped 8-bit bytes are decoded as UTF-8
    (or replaced), NUL and other C0 controls except tab/newline are dropped."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        s = value.decode("utf-8", "replace")
    else:
        s = str(value)
    if _SURROGATES.search(s):
        s = s.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return _CONTROLS.sub("", s)


def one_line(value: object) -> str:
    """Unfolded, single-line header text."""
    return _SPACES.sub(" ", clean_text(value)).strip()


def decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words; on any trouble return the input unchanged."""
    if "=?" not in value:
        return value
    try:
        parts = email.header.decode_header(value)
        out = []
        for chunk, charset in parts:
            if isinstance(chunk, bytes):
                out.append(decode_bytes(chunk, charset or "ascii"))
            else:
                out.append(chunk)
        # (make_header would do the same but raises on unknown charsets.)
        return "".join(out)
    except Exception:  # noqa: BLE001 - header decoding must never raise
        return value


def decode_bytes(data: bytes, charset: str | None) -> str:
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
