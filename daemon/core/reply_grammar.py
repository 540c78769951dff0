"""The grammar of a decision reply (SPEC §3.2): how a reply's own text is read.

`GRAMMAR` (daemon/core/reply_words.py) is a table of word lists; `Grammar` compiles it (with the
affixed forms of the words that take affixes) and reads the own text of a reply into a
`DecisionRead`:

- greeting lines (a listed greeting with only names, titles and punctuation) are skipped;
- the first line must begin, after leading courtesy, with an approval word (approve), a revise
  word or a negated approval word (revise), or `JADWAL <tanggal> <jam>` (schedule, also after an
  approval word);
- an approval counts only when nothing in the whole own text makes it conditional: a question
  mark, a condition or deferral word, a change word that is not negated, a refusal;
- anything else is unclear, with the reasons as data (`Unclear`: kind, the words as written, the
  line) so the clarifying answer can quote them.

An office extends the lists with `[balasan]` in pantau.toml (same names as `GRAMMAR`'s keys).
The word lists (and the sentences that explain an unclear reading: `explain`, `understood`) are
daemon/core/reply_words.py, the text helpers (words with their positions, the S11 code masked,
clauses quoted) daemon/core/reply_text.py; what other rooms import (`GRAMMAR`, `explain`,
`understood`, `mask_codes`, `_tokens` for daemon/mail/replies.py) stays importable from here.
Pure functions, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from daemon.core.model import DecisionRead, Unclear
from daemon.core.reply_text import (
    _CODE,
    _LONE_CODE,
    _clause,
    _head,
    _one_slip,
    _rest,
    _sentence_around,
    _strip_code,
    _Tok,
    _tokens,
    _without_codes,
    mask_codes,
)
from daemon.core.reply_words import (
    AFFIXED,
    COMMON,
    GRAMMAR,
    LIGHT_AFFIXED,
    affixed_forms,
    explain,
    understood,
)

__all__ = [
    "AFFIXED",
    "DEFAULT",
    "GRAMMAR",
    "LIGHT_AFFIXED",
    "Grammar",
    "affixed_forms",
    "explain",
    "mask_codes",
    "understood",
]

_SCHEDULE = re.compile(
    r"^[\s:,-]*(?:(?:tanggal|tgl\.?|hari)\s+)?(?:\w+,?\s+)??"
    r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})\s*,?\s*"
    r"(?:(?:pukul|pkl\.?|jam)\s*)?(\d{1,2})[.:](\d{2})"
    r"(?:\s*(?:wib|wita|wit)\b)?[\s,.]*(.*)$",
    re.I,
)
_NAME = re.compile(r"^[A-Z][A-Za-z.]*$")


@dataclass
class Grammar:
    """A compiled word table. `Grammar.from_table(extra)` adds an office's own words."""

    # list name -> first word -> the list's phrases starting with it, longest first
    lists: dict[str, dict[str, list[tuple[str, ...]]]] = field(default_factory=dict)

    @classmethod
    def from_table(cls, extra: Mapping[str, Iterable[str]] | None = None) -> Grammar:
        table = {k: list(v) for k, v in GRAMMAR.items()}
        for key, words in (extra or {}).items():
            if key not in table:
                raise ValueError(f"daftar kata balasan tidak dikenal: {key}")
            table[key] += [str(w) for w in words]
        lists: dict[str, dict[str, list[tuple[str, ...]]]] = {}
        for key, words in table.items():
            phrases: set[tuple[str, ...]] = set()
            for w in words:
                parts = tuple(t.word for t in _tokens(w))
                if not parts:
                    continue
                if len(parts) == 1 and (key in AFFIXED or key in LIGHT_AFFIXED):
                    for f in affixed_forms(parts[0], light=key in LIGHT_AFFIXED):
                        phrases.add((f,))
                else:
                    phrases.add(parts)
            index: dict[str, list[tuple[str, ...]]] = {}
            for phrase in sorted(phrases, key=lambda p: (-len(p), p)):  # longest first
                index.setdefault(phrase[0], []).append(phrase)
            lists[key] = index
        return cls(lists)

    def match(self, key: str, words: list[str], i: int) -> int:
        """Length of the phrase of list `key` at words[i] (0 when none)."""
        if i >= len(words):
            return 0
        for phrase in self.lists.get(key, {}).get(words[i], ()):
            n = len(phrase)
            if tuple(words[i : i + n]) == phrase:
                return n
        return 0

    def any_match(self, keys: Iterable[str], words: list[str], i: int) -> int:
        return max((self.match(k, words, i) for k in keys), default=0)

    # ------------------------------------------------------------------ negation

    def _negated_at(self, negators: tuple[str, ...], word: str, words: list[str], i: int,
                    reach: int) -> int:
        """When words[i:] is a negator (+ up to `reach - 1` fillers) + a `word`-list word: the
        length of that run, else 0."""
        n = self.any_match(negators, words, i)
        if not n:
            return 0
        j = i + n
        for _ in range(reach):
            m = self.match(word, words, j)
            if m:
                return j + m - i
            if self.match("sisipan", words, j) == 1:
                j += 1
                continue
            break
        return 0

    def negated_approval_at(self, words: list[str], i: int) -> int:
        """When words[i:] is a negator (+ fillers) + approval word: its length, else 0."""
        return self._negated_at(("penyangkal",), "setuju", words, i, 3)

    def negated_quality_at(self, words: list[str], i: int) -> int:
        """When words[i:] is a negator (+ fillers) + a quality word ("tidak sesuai", "belum
        lengkap", "kurang tepat" is a change word already): its length, else 0."""
        return self._negated_at(("penyangkal",), "mutu", words, i, 3)

    def negated_change_at(self, words: list[str], i: int) -> int:
        """When words[i:] is a change negator (+ fillers) + change word ("tidak ada revisi",
        "tanpa koreksi", "tidak perlu diperbaiki"): its length, else 0."""
        return self._negated_at(("penyangkal_ubah", "penyangkal"), "ubah", words, i, 4)

    # ------------------------------------------------------------------ lines

    def is_greeting_line(self, line: str) -> bool:
        """A listed greeting with only names, titles and punctuation."""
        toks = _tokens(line)
        words = [t.word for t in toks]
        if not words or "?" in line or len(line) > 80:
            return False
        n = self.any_match(("sapaan", "gelar"), words, 0)
        if not n:
            return False
        i, others = n, 0
        while i < len(words):
            m = self.any_match(("sapaan", "gelar"), words, i)
            if m:
                i += m
                continue
            if self._grammar_word(words, i):
                return False
            others += 1
            if others > 3:
                return False
            i += 1
        return True

    def _grammar_word(self, words: list[str], i: int) -> bool:
        return bool(self.any_match(("setuju", "selesai", "revisi", "syarat", "ubah", "penyangkal",
                                    "jadwal", "santun", "permintaan"), words, i))

    def courtesy_end(self, toks: list[_Tok], words: list[str], i: int = 0) -> tuple[int, bool]:
        """Where leading courtesy ends on the decision's line, and whether a `mohon`/`tolong`
        (only good before a revise word) was part of it."""
        asked = False
        after_title = False
        while i < len(words):
            m = self.any_match(("sapaan", "gelar"), words, i)
            if m:
                i, after_title = i + m, True
                continue
            m = self.match("santun", words, i) or self.negated_change_at(words, i)
            if m and not self.negated_approval_at(words, i):
                i, after_title = i + m, False
                continue
            m = self.match("permintaan", words, i)
            if m:
                i, asked, after_title = i + m, True, False
                continue
            if after_title and _NAME.match(toks[i].raw) and not self._grammar_word(words, i):
                i, after_title = i + 1, False  # a name after a title: "Siap Pak Budi, setuju"
                continue
            break
        return i, asked

    # ------------------------------------------------------------------ the reading

    def read(self, text: str, allow_schedule: bool = False,
             allow_selesai: bool = False) -> DecisionRead:
        lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
        if not lines:
            return DecisionRead("none")
        first_no = 0
        while first_no < len(lines) and self.is_greeting_line(lines[first_no]):
            first_no += 1
        if first_no == len(lines):
            return self._unclear(lines, 0, [Unclear("salam", lines[0], 1)])
        line = lines[first_no]
        following = lines[first_no + 1 :]
        toks = _tokens(line)
        words = [t.word for t in toks]
        if not words:
            return self._unclear(lines, first_no, [Unclear("kata_awal", line, first_no + 1)])
        i, asked = self.courtesy_end(toks, words)
        if i >= len(words):
            return self._unclear(lines, first_no, [Unclear("kata_awal", line, first_no + 1)])

        def note_from(end: int) -> str:
            rest = _rest(line, end)
            if _LONE_CODE.match(rest):
                rest = ""
            return "\n".join(p for p in [rest, *_without_codes(following)] if p).strip()

        # revise: a revise word, or a negated approval word
        n = self.negated_approval_at(words, i)
        if n:
            end = toks[i + n - 1].end
            return DecisionRead("revise", _strip_code(note_from(end)), mask_codes(line),
                                seen=line[toks[i].start : end])
        n = self.match("revisi", words, i)
        if n:
            end = toks[i + n - 1].end
            return DecisionRead("revise", _strip_code(note_from(end)), mask_codes(line),
                                seen=line[toks[i].start : end])
        if asked:
            return self._unclear(lines, first_no, [Unclear("kata_awal", _head(line), first_no + 1)])
        # schedule alone
        n = self.match("jadwal", words, i)
        if n:
            return self._schedule_or_unclear(lines, first_no, line, toks[i + n - 1].end,
                                             following, allow_schedule, approved_by="")
        # approve
        n = self.match("setuju", words, i)
        selesai = self.match("selesai", words, i)
        if not n and selesai:
            if not allow_selesai:
                return self._unclear(lines, first_no, [Unclear("selesai", toks[i].raw,
                                                               first_no + 1)])
            n = selesai
        if not n:
            if re.fullmatch(r"\d{6}", words[i]):
                return self._unclear(lines, first_no, [Unclear("kode_saja", words[i],
                                                               first_no + 1)])
            reasons = [Unclear("kata_awal", _head(line, words=10), first_no + 1)]
            later = next((t for j, t in enumerate(toks) if j > i
                          and self.match("setuju", words, j)), None)
            if later is not None:  # "Sdh sy baca, setuju.": the approval word is not first
                reasons.append(Unclear("setuju_tengah", later.raw, first_no + 1))
            return self._unclear(lines, first_no, reasons)
        end = toks[i + n - 1].end
        seen = line[toks[i].start : end]
        kode = None
        m = _CODE.match(line[end:])
        if m:
            kode = re.sub(r"\D", "", m.group(1))
            end += m.end()
        reasons = self.conditions(lines, first_no)
        # Setuju, JADWAL ...
        rest_toks = [t for t in toks if t.start >= end]
        if rest_toks and self.match("jadwal", [t.word for t in rest_toks], 0):
            jw = rest_toks[0]
            if reasons:
                return self._unclear(lines, first_no, reasons, seen=seen, kode=kode)
            return self._schedule_or_unclear(lines, first_no, line, jw.end, following,
                                             allow_schedule, approved_by=seen, kode=kode)
        if reasons:
            return self._unclear(lines, first_no, reasons, seen=seen, kode=kode)
        return DecisionRead("approve", note_from(end), mask_codes(line), seen=seen, kode=kode)

    def conditions(self, lines: list[str], first_no: int) -> list[Unclear]:
        """What in the own text makes an approval conditional (SPEC §3.2)."""
        out: list[Unclear] = []
        seen_kinds: set[tuple[str, str]] = set()

        def add(u: Unclear) -> None:
            key = (u.kind, u.words.casefold())
            if key not in seen_kinds:
                seen_kinds.add(key)
                out.append(u)

        scheduled = False
        for text in lines[first_no:]:
            lw = [t.word for t in _tokens(text)]
            scheduled = scheduled or any(self.match("jadwal", lw, k) for k in range(len(lw)))
        for no in range(first_no, len(lines)):
            line = mask_codes(lines[no])  # the S11 code is not a figure
            dated = scheduled  # the figures of "JADWAL 20-10-2025 09.00 / di Aula Lt. 2"
            contact = sum(ch.isdigit() for ch in line) >= 8  # NIP, telephone
            if "?" in line:
                add(Unclear("tanya", _sentence_around(line, line.index("?")), no + 1))
            toks = _tokens(line)
            words = [t.word for t in toks]
            covered = -1  # end of the clause last quoted: words inside it are quoted already
            i = 0
            while i < len(words):
                if toks[i].start < covered:
                    i += 1
                    continue
                n = self.negated_approval_at(words, i)
                if n:
                    add(Unclear("tolak", line[toks[i].start : toks[i + n - 1].end], no + 1))
                    i += n
                    continue
                n = self.negated_quality_at(words, i)
                if n:
                    words_q, covered = _clause(line, toks, i, back=True)
                    add(Unclear("ubah", words_q, no + 1))
                    i += n
                    continue
                n = self.match("syarat", words, i)
                if n:
                    words_q, covered = _clause(line, toks, i)
                    add(Unclear("syarat", words_q, no + 1))
                    i += n
                    continue
                n = self.negated_change_at(words, i) or self.match("santun", words, i)
                if n:
                    i += n  # "tidak ada revisi", "tidak ada catatan": not a change
                    continue
                n = self.match("penyangkal", words, i)
                if n:  # any other negation in an approval: a doubt
                    words_q, covered = _clause(line, toks, i)
                    add(Unclear("sangkal", words_q, no + 1))
                    i += n
                    continue
                n = self.match("ubah", words, i)
                if n:
                    words_q, covered = _clause(line, toks, i, back=True)
                    add(Unclear("ubah", words_q, no + 1))
                    i += n
                    continue
                n = self.match("bagian", words, i)
                if n:
                    words_q, covered = _clause(line, toks, i)
                    add(Unclear("bagian", words_q, no + 1))
                    i += n
                    continue
                if words[i].isdigit() and not dated and not contact:
                    words_q, covered = _clause(line, toks, i, back=True)
                    add(Unclear("bagian", words_q, no + 1))
                    i += 1
                    continue
                kind = self.misspelt(words[i])
                if kind:  # "tetepi", "kcuali", "kliru": a typo of a word that holds it back
                    words_q, covered = _clause(line, toks, i, back=kind == "ubah")
                    add(Unclear(kind, words_q, no + 1))
                i += 1
        return out

    def misspelt(self, word: str) -> str:
        """`syarat` or `ubah` when `word` (not itself a listed word) is one typing slip (a
        letter left out, added, changed or two swapped) away from a listed condition or change
        word of at least six letters; else "". A phone keyboard makes "tetepi" of "tetapi";
        reading it as an approval would be the one failure that must never happen."""
        if len(word) < 5 or not word.isalpha() or self._known(word):
            return ""
        for kind in ("syarat", "ubah"):
            for target in self.lists.get(kind, {}):
                if len(target) >= 6 and abs(len(target) - len(word)) <= 1 \
                        and _one_slip(word, target):
                    return kind
        return ""

    def _known(self, word: str) -> bool:
        return any(word in index for index in self.lists.values()) or word in COMMON

    def _schedule_or_unclear(self, lines: list[str], first_no: int, line: str, end: int,
                             following: list[str], allow_schedule: bool,
                             approved_by: str, kode: str | None = None) -> DecisionRead:
        d = _schedule(line, end, following)
        if d is None:
            return self._unclear(lines, first_no, [Unclear("jadwal_salah", _rest(line, 0),
                                                           first_no + 1)], seen=approved_by)
        if not allow_schedule:
            return self._unclear(lines, first_no, [Unclear("jadwal", _rest(line, 0),
                                                           first_no + 1)], seen=approved_by)
        reasons = self.conditions(lines, first_no)
        if reasons:
            return self._unclear(lines, first_no, reasons, seen=approved_by)
        d.seen = approved_by or "JADWAL"
        d.kode = kode
        return d

    @staticmethod
    def _unclear(lines: list[str], first_no: int, reasons: list[Unclear], seen: str = "",
                 kode: str | None = None) -> DecisionRead:
        # What was written goes into the clarification and the log: a six-digit number in it may
        # be the S11 code, which is never kept (SPEC 3.1), so it is masked.
        note = mask_codes("\n".join(_without_codes(lines[first_no:])))
        for u in reasons:
            u.words = mask_codes(u.words)
        return DecisionRead("unclear", note=note,
                            first_line=mask_codes(lines[first_no]) if lines else "",
                            seen=seen, kode=kode, reasons=reasons)


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


DEFAULT = Grammar.from_table()
