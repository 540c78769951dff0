"""The grammar of a decision reply (SPEC §3.2), as data.

`GRAMMAR` is a table of word lists; `Grammar` compiles it (with the affixed forms of the words
that take affixes) and reads the own text of a reply into a `DecisionRead`:

- greeting lines (a listed greeting with only names, titles and punctuation) are skipped;
- the first line must begin, after leading courtesy, with an approval word (approve), a revise
  word or a negated approval word (revise), or `JADWAL <tanggal> <jam>` (schedule, also after an
  approval word);
- an approval counts only when nothing in the whole own text makes it conditional: a question
  mark, a condition or deferral word, a change word that is not negated, a refusal;
- anything else is unclear, with the reasons as data (`Unclear`: kind, the words as written, the
  line) so the clarifying answer can quote them.

An office extends the lists with `[balasan]` in pantau.toml (same names as the keys below).
Pure functions, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from daemon.core.model import DecisionRead, Unclear

#: The minimum lists of SPEC §3.2 and what Indonesian offices write besides. Multi-word entries
#: are phrases. Lists named in `AFFIXED` also match their affixed forms (`direvisi`,
#: `perbaikan`, `menyetujui`, `-nya`); `LIGHT_AFFIXED` lists only the common verb forms
#: (`ditunda`, `menunggu`, `dicek`).
GRAMMAR: dict[str, list[str]] = {
    # approval words (first word of the first line, after leading courtesy)
    "setuju": ["setuju", "acc", "ok", "oke", "okay", "okey", "okeh", "lanjut", "lanjutkan",
               "teruskan", "approve", "approved", "agree", "agreed"],
    # the approval word of the last step (S13) only
    "selesai": ["selesai"],
    # revise words (first word of the first line, after leading courtesy)
    "revisi": ["revisi", "perbaiki", "koreksi", "tolak", "ralat", "revise", "reject",
               "rejected"],
    # before a revise word only: "Mohon direvisi", "Tolong perbaiki"
    "permintaan": ["mohon", "tolong", "harap", "please"],
    # greetings: a line of a greeting, names and titles is skipped; at the start of the
    # decision's line it is leading courtesy
    "sapaan": ["assalamualaikum", "assalamu alaikum", "asalamualaikum", "assalammualaikum",
               "wassalamualaikum", "warahmatullahi", "wabarakatuh", "wr", "wb", "selamat pagi",
               "selamat siang", "selamat sore", "selamat malam", "selamat", "pagi", "siang",
               "sore", "malam", "yth", "kepada yth", "yang terhormat", "dengan hormat",
               "salam sejahtera", "salam", "om swastiastu", "shalom", "halo", "hallo", "hai",
               "hi", "hello", "dear", "good morning", "good afternoon"],
    # titles and forms of address
    "gelar": ["pak", "bu", "bapak", "ibu", "bpk", "ibuk", "sekcam", "camat", "kasubag", "kasi",
              "kabag", "sekretaris", "kepala", "mas", "mbak", "kak", "bang", "uda", "uni", "dik",
              "adik", "sdr", "saudara", "saudari", "rekan", "rekan rekan", "tim", "semua",
              "sir", "madam", "all", "team", "drs", "dr", "ir", "h", "hj", "se", "sh", "mm",
              "msi", "sos", "ssos", "ssi", "st", "skm", "spd"],
    # leading courtesy before an approval or revise word; `tidak ada revisi` and the like are
    # negated change words and count as courtesy too
    "santun": ["siap", "baik", "baiklah", "ya", "iya", "yes", "sudah", "sdh", "udah", "udh",
               "saya", "sy", "kami", "terima kasih", "terimakasih", "makasih", "trims",
               "thanks", "thank you", "tidak ada catatan", "tidak ada masalah",
               "tdk ada masalah", "tidak masalah", "tidak ada komentar", "tidak ada masukan",
               "tidak ada tanggapan", "tidak ada keberatan", "tanpa catatan", "no problem",
               "no comment", "no comments"],
    # conditions and deferrals anywhere in an approval make it unclear
    "syarat": ["jika", "kalau", "kalo", "klo", "bila", "apabila", "seandainya", "asal",
               "asalkan", "setelah", "sesudah", "sebelum", "kecuali", "tapi", "tetapi",
               "namun", "nanti", "ntar", "dulu", "besok", "lusa", "tunggu", "tahan", "tunda",
               "ditunda", "belum", "blm", "jangan", "atau tidak", "cek", "check", "pelajari",
               "pertimbangkan", "sebentar", "menyusul", "pending", "apakah", "bagaimana",
               "gimana", "kenapa", "mengapa", "dengan catatan", "hanya saja", "cuma", "cuman",
               "sementara", "sebagian", "diskusikan", "tp", "tpi", "ttp", "jk", "kl", "stlh",
               "sblm", "nnt", "bsk", "dl", "dlu", "jgn", "meskipun", "walaupun", "walau",
               "meski", "biarpun", "selama", "sepanjang", "habis", "syarat", "ragu", "kabari",
               "koordinasikan", "bicarakan", "konsultasikan", "ada catatan", "sedikit catatan",
               "beberapa catatan", "draf", "draft", "stop", "batal", "batalkan", "dibatalkan",
               "dgn catatan", "dg catatan", "bersyarat", "syaratnya",
               "terserah", "tanya", "tanyakan", "konfirmasi", "pendapat", "setengah", "minus",
               "selain", "di luar", "kok", "terlalu", "teliti lagi", "teliti kembali",
               "diteliti lagi", "diteliti kembali", "tinjau kembali", "ditinjau kembali",
               "perlu dikaji", "dikaji lagi", "kaji lagi",
               "periksa lagi", "periksa kembali", "diperiksa lagi", "diperiksa kembali",
               "cek ulang",
               # found by the review table (issue 11): typing variants, hypotheticals,
               # "see my notes", requests to examine
               "tetepi", "tetpi", "kcuali", "kec", "kecali", "andai", "andaikan", "seumpama",
               "misalkan", "smntara", "smtr", "lihat lagi", "lihat dulu", "lihat kembali",
               "lihat lampiran", "lihat catatan", "liat lagi", "liat dulu", "baca lagi",
               "baca ulang", "mohon diteliti", "mohon teliti", "tolong diteliti", "kaji", "dikaji", "telaah", "ditelaah", "tindaklanjuti",
               "ditindaklanjuti", "lampiran", "terlampir", "lampirannya", "coret", "dicoret",
               "coretan", "tandai", "ditandai", "stabilo", "catatan saya", "catatan terlampir",
               "catatannya", "verifikasi", "diverifikasi", "klarifikasi", "diklarifikasi",
               "pastikan", "dipastikan", "cross check", "crosscheck", "kroscek", "dikroscek",
               "sesuai catatan", "mohon perhatikan", "perhatikan", "diperhatikan",
               "once", "when", "as long as", "subject to", "with notes", "with note", "notes",
               "note", "comments", "conditional", "conditionally", "pending", "provided that",
               "assuming", "see", "attached", "attachment", "check", "verify", "confirm",
               "perlu", "harus", "mesti", "musti", "hendaknya", "wajib", "gmn", "gmna",
               "bgmn", "gmana", "klu", "kalu", "cma", "cm", "entah", "entahlah", "mungkin",
               "kayaknya", "sepertinya", "nb", "ps", "yang benar", "yg benar", "yang betul",
               "yg betul", "yg bener", "yang bener", "needs", "should", "must", "maybe",
               "perhaps", "mencurigakan", "curiga", "menunggu", "nunggu",
               "but", "if", "unless", "after", "before",
               "later", "wait", "hold", "except", "however", "tomorrow", "review", "yet",
               "not yet", "partly", "partially", "provided"],
    # change words anywhere in an approval make it unclear, unless negated
    "ubah": ["revisi", "perbaiki", "koreksi", "ubah", "ganti", "salah", "keliru", "tolak",
             "ralat", "kurang", "lengkapi", "tambahkan", "hapus", "benahi", "sempurnakan",
             "perjelas", "sesuaikan", "masalah", "aneh", "janggal", "kosong", "seharusnya",
             "harusnya", "mestinya", "semestinya", "sebaiknya", "ulang", "ulangi", "typo",
             "tertukar", "terbalik", "kebalik", "keberatan", "revise", "correct", "correction", "change", "wrong", "reject",
             "mistake", "fix", "missing", "add", "remove", "delete",
             # found by the review table (issue 11)
             "rubah", "tambah", "betulkan", "dibetulkan", "membetulkan", "pembetulan",
             "betulin", "benerin", "dibenerin", "perbaharui", "diperbaharui", "memperbaharui",
             "pembaharuan", "perbarui", "diperbarui", "memperbarui", "pembaruan", "update",
             "diupdate", "apdet", "diapdet", "edit", "diedit", "editan", "buang", "dibuang",
             "slh", "kliru", "klru", "kurg", "krg", "kesalahan", "kekeliruan", "kekurangan",
             "amend", "amended", "amendment", "update", "updated", "incorrect", "changes",
             "changed", "corrections", "corrected", "revision", "revisions", "revised",
             "edits", "errors", "error", "adjust", "adjustment", "adjustments", "modify",
             "modification", "modifications", "hilang", "terlewat", "kelewat", "beda",
             "berbeda", "perbedaan", "selisih", "tukar", "cantumkan", "masukkan", "bulatkan",
             "samakan", "sinkronkan", "selaraskan", "naikkan", "turunkan", "isi", "rapikan",
             "pindahkan", "geser", "sertakan", "hitung"],
    # parts of the report: an approval whose own text names one ("Setuju, tabel 2 perlu
    # diisi", "Setuju, yang benar 58") is a remark on the content, read as unclear; so is a
    # figure in it (review of issue 11: the list of change words can never be complete)
    "bagian": ["tabel", "table", "tabelnya", "bab", "halaman", "hal", "hlm", "page", "kolom",
               "column", "baris", "row", "angka", "angkanya", "nilai", "nilainya", "capaian",
               "capaiannya", "target", "targetnya", "realisasi", "realisasinya", "indikator",
               "anggaran", "pagu", "grafik", "judul", "paragraf", "poin", "butir",
               "persen", "persentase", "figure", "figures", "number", "numbers"],
    # words of quality: negated ("tidak sesuai", "belum lengkap") they ask for a change
    "mutu": ["sesuai", "tepat", "lengkap", "benar", "valid", "cocok", "akurat", "jelas",
             "sinkron", "konsisten", "wajar", "pas", "final", "terakhir", "jadi", "correct",
             "right", "complete", "final", "ok"],
    # negators: before an approval word a refusal, before a change word a cancellation
    "penyangkal": ["tidak", "tdk", "tak", "belum", "blm", "bukan", "jangan", "jgn", "gak", "ga",
                   "nggak", "enggak", "ngga", "ndak", "not", "dont", "didnt"],
    # negators before a change word only ("tanpa revisi", "tidak ada koreksi")
    "penyangkal_ubah": ["tanpa", "tidak ada", "tidak perlu", "tidak usah", "tdk ada",
                        "tdk perlu", "tak ada", "tak perlu", "gak ada", "gak perlu",
                        "tiada", "without", "no need"],
    # words allowed between a negator and the word it negates ("tidak ada yang perlu direvisi",
    # "belum dapat disetujui")
    "sisipan": ["ada", "perlu", "yang", "yg", "usah", "harus", "lagi", "bisa", "dapat", "boleh",
                "saya", "kami", "versi", "ini", "any", "need", "to"],
    # the schedule word (S6, the Camat) and the word that may precede the S11 code
    "jadwal": ["jadwal"],
    "kode": ["kode", "code"],
}

AFFIXED = ("setuju", "revisi", "ubah")
LIGHT_AFFIXED = ("syarat",)
_ALL_PREFIXES = ("", "di", "ter", "ke", "per", "pe", "ber", "me", "mem", "men", "meng", "meny",
                 "memper", "diper", "pen", "peng", "peny", "pem")
_ALL_SUFFIXES = ("", "i", "kan", "an", "in")
_LIGHT_PREFIXES = ("", "di", "me", "mem", "men", "meng", "meny")
_LIGHT_SUFFIXES = ("", "kan", "i")
_PARTICLES = ("", "nya", "lah", "kah")
_NASAL = {"k": "meng", "t": "men", "s": "meny", "p": "mem"}


def affixed_forms(word: str, light: bool = False) -> set[str]:
    """The forms a listed word takes in writing: `revisi` -> direvisi, merevisi, revisinya;
    `setuju` -> disetujui, menyetujui, persetujuan; `tolak` -> ditolak, menolak, penolakan."""
    stems = {word}
    derived = set()
    if not light:
        if word.endswith("kan") and len(word) > 6:
            derived.add(word[:-3])
        elif word.endswith("i") and len(word) > 5:
            derived.add(word[:-1])
    prefixes = _LIGHT_PREFIXES if light else _ALL_PREFIXES
    suffixes = _LIGHT_SUFFIXES if light else _ALL_SUFFIXES
    out: set[str] = set()
    for stem in stems | derived:
        bodies = {stem}
        for pre in prefixes:
            if not pre:
                continue
            bodies.add(pre + stem)
            if pre.startswith(("me", "pe")) and stem[0] in _NASAL:
                nasal = _NASAL[stem[0]]
                bodies.add(pre[:2] + nasal[2:] + stem[1:])
        for body in bodies:
            for suf in suffixes:
                if stem in derived and body == stem and not suf:
                    continue  # a derived stem alone is another word ("terus", "pelajar")
                for part in _PARTICLES:
                    out.add(body + suf + part)
    out.add(word)
    return out


_WORD = re.compile(r"[0-9a-z]+(?:['’`][a-z]+)*")  # "assalamu'alaikum", "don't": one word
# the six digits, also typed in two groups ("482 913", "482-913", "482.913")
_DIGITS6 = r"\d{3}[ .\-]?\d{3}"
_CODE = re.compile(r"^[\s,.:;=-]*(?:(?:kode|code)\s*[:.]?\s*)?(" + _DIGITS6 + r")(?![\d.,]?\d)"
                   r"[\s,.;:!-]*", re.I)
_LONE_CODE = re.compile(r"^\s*(?:(?:kode|code)\s*[:.]?\s*)?" + _DIGITS6 + r"\s*[.!]?\s*$", re.I)
_SCHEDULE = re.compile(
    r"^[\s:,-]*(?:(?:tanggal|tgl\.?|hari)\s+)?(?:\w+,?\s+)??"
    r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})\s*,?\s*"
    r"(?:(?:pukul|pkl\.?|jam)\s*)?(\d{1,2})[.:](\d{2})"
    r"(?:\s*(?:wib|wita|wit)\b)?[\s,.]*(.*)$",
    re.I,
)
_NAME = re.compile(r"^[A-Z][A-Za-z.]*$")


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
        return any(word in index for index in self.lists.values()) or word in _COMMON

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


# --------------------------------------------------------------------------- helpers


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


#: Ordinary words one slip away from a condition or change word; they are not typos.
_COMMON = frozenset({
    "tahun", "tahunan", "sesuai", "selesai", "salam", "sudah", "silakan", "silahkan", "kasih",
    "dengan", "terima", "semua", "semoga", "sehat", "lancar", "bapak", "tanda", "tangan",
    "kirim", "dikirim", "hasil", "ruang", "sekarang", "segera", "setuju", "lanjut", "lengkap",
    "angka",
    "tetap", "dapat", "terus", "surat", "catat", "dicatat", "lihat", "kabar", "bagus", "sempat",
    "sampai", "sampaikan", "disampaikan", "tabel", "laporan", "konsep", "camat", "kepada",
    "sekali", "sangat", "banyak", "kerja", "keras", "mantap", "benar", "betul", "dibaca",
    "seksi", "kasie", "kesos", "trantib", "pelayanan", "umum", "bagian", "data", "datanya",
    "waktu", "tepat", "jelas", "final", "kami", "kalian", "besar", "kecil", "sebut",
    "setiap", "selalu", "semangat", "berhasil", "proses", "diproses", "periksa", "diperiksa",
    "teliti", "diteliti", "ditelaah", "cepat", "hebat", "rapi", "rapat", "dirapatkan",
    "thanks", "great", "good", "fine", "agreed", "approve", "approved", "please", "forward",
    "proceed", "ahead", "sounds", "perfect", "regards",
})


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


# --------------------------------------------------------------------------- explanations

_EXPLAIN = {
    "syarat": "jawaban memuat syarat atau penundaan \u2018{w}\u2019",
    "tanya": "jawaban berupa pertanyaan (\u2018{w}\u2019)",
    "ubah": "jawaban meminta perubahan \u2018{w}\u2019",
    "tolak": "jawaban juga memuat penolakan \u2018{w}\u2019",
    "sangkal": "jawaban memuat penyangkalan \u2018{w}\u2019",
    "kata_awal": "baris pertama tidak diawali kata keputusan (SETUJU atau REVISI): \u2018{w}\u2019",
    "setuju_tengah": "kata \u2018{w}\u2019 terbaca, tetapi tidak di awal baris pertama; "
    "persetujuan hanya dijalankan bila SETUJU ditulis paling depan",
    "kode_saja": "jawaban hanya berisi angka \u2018{w}\u2019 tanpa kata SETUJU di depannya",
    "salam": "jawaban hanya berisi salam (\u2018{w}\u2019)",
    "selesai": "kata \u2018{w}\u2019 hanya dipakai pada langkah entri e-Monev",
    "jadwal": "jadwal rapat hanya dapat ditentukan oleh Camat pada pengajuan konsep "
    "(\u2018{w}\u2019)",
    "jadwal_salah": "tanggal atau jam pada \u2018{w}\u2019 tidak terbaca "
    "(contoh: JADWAL 20-10-2025 09.00 di Aula)",
    "bagian": "jawaban memuat catatan tentang isi laporan \u2018{w}\u2019",
    "beda_html": "isi teks biasa dan isi HTML e-mail berbeda keputusannya ({w})",
}


def explain(u: Unclear) -> str:
    """One reason in Indonesian, quoting the words as written."""
    text = _EXPLAIN.get(u.kind, "{w}").format(w=u.words)
    if u.kind in ("ubah", "syarat", "tanya", "tolak", "sangkal", "bagian") and u.line > 1:
        text += f" pada baris ke-{u.line}"
    return text


def understood(d: DecisionRead) -> str:
    """What Pantau read, in Indonesian, for the clarifying answer ("" when the reasons alone
    say it: they quote the words)."""
    if d.seen:
        return f"Pantau membaca kata \u2018{d.seen}\u2019 (persetujuan) pada jawaban Bapak/Ibu"
    return ""


DEFAULT = Grammar.from_table()
