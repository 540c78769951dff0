"""The text under the reply grammar: a line cut into words with their positions, the S11 code
found and masked, the clause around a word quoted back to the person.

Shared by daemon/core/reply_grammar.py (the reading) and daemon/mail/replies.py (`_tokens`); the
names keep their leading underscore because they are the reply reader's internals, not an API.
Pure functions, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WORD = re.compile(r"[0-9a-z]+(?:['’`][a-z]+)*")  # "assalamu'alaikum", "don't": one word
# the six digits, also typed in two groups ("482 913", "482-913", "482.913")
_DIGITS6 = r"\d{3}[ .\-]?\d{3}"
_CODE = re.compile(r"^[\s,.:;=-]*(?:(?:kode|code)\s*[:.]?\s*)?(" + _DIGITS6 + r")(?![\d.,]?\d)"
                   r"[\s,.;:!-]*", re.I)
_LONE_CODE = re.compile(r"^\s*(?:(?:kode|code)\s*[:.]?\s*)?" + _DIGITS6 + r"\s*[.!]?\s*$", re.I)


@dataclass
class _Tok:
    word: str  # casefolded
    raw: str  # as written
    start: int
    end: int


def _tokens(line: str) -> list[_Tok]:
    folded = line.casefold()
    # casefold keeps positions for the scripts a reply is written in; if it does not, fall back
    # to positions in the folded text (quotes are then in lower case)
    src = line if len(folded) == len(line) else folded
    return [_Tok(re.sub(r"['’`]", "", m.group(0)), src[m.start() : m.end()], m.start(),
                 m.end()) for m in _WORD.finditer(folded)]


def _rest(line: str, end: int) -> str:
    return line[end:].strip().lstrip(",.;:!-–—").strip()


def _head(line: str, start: int = 0, words: int = 6) -> str:
    parts = line[start:].split()
    out = " ".join(parts[:words])
    return out + (" …" if len(parts) > words else "")


def _one_slip(a: str, b: str) -> bool:
    """`a` and `b` differ by one deleted, inserted or changed letter, or two swapped ones."""
    if a == b:
        return False
    if len(a) == len(b):
        diff = [k for k in range(len(a)) if a[k] != b[k]]
        if len(diff) == 1:
            return True
        return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] \
            and a[diff[1]] == b[diff[0]]
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:k] + long_[k + 1 :] == short for k in range(len(long_)))


_SIX = re.compile(r"(?<![\d.,])(?:\d{6}|\d{3}[ .\-]\d{3})(?![\d]|[.,]\d)")


def mask_codes(text: str) -> str:
    """Six-digit numbers (an S11 code, perhaps) as ••••••."""
    return _SIX.sub("•" * 6, text)


def _strip_code(note: str) -> str:
    m = _CODE.match(note)
    return note[m.end() :].strip() if m else note


def _without_codes(lines: list[str]) -> list[str]:
    return [x for x in lines if not _LONE_CODE.match(x)]


_CLAUSE_END = re.compile(r"[.;!?,]")


def _clause(line: str, toks: list[_Tok], i: int, back: bool = False,
            limit: int = 8) -> tuple[str, int]:
    """The words from toks[i] to the end of its clause (at most `limit` words); with `back`,
    the clause around it ("tabel 2 angkanya salah")."""
    start = toks[i].start
    if back:
        j = i
        while j > 0 and i - j < 4 and not _CLAUSE_END.search(line[toks[j - 1].end : toks[j].start]):
            j -= 1
        start = toks[j].start
    m = _CLAUSE_END.search(line, toks[i].end)
    stop = m.start() if m else len(line)
    words = line[start:stop].split()
    return " ".join(words[:limit]) + (" …" if len(words) > limit else ""), stop


def _sentence_around(line: str, pos: int) -> str:
    left = max(line.rfind(c, 0, pos) for c in ".!;")
    text = line[left + 1 : pos + 1].strip()
    words = text.split()
    return ("… " if len(words) > 10 else "") + " ".join(words[-10:])
