"""The words of a decision reply (SPEC §3.2), as data: the lists the grammar reads a reply by.

`GRAMMAR` names each list (approval, revise, greeting, title, courtesy, condition, change, part of
the report, quality, negators, fillers, schedule, code); `affixed_forms` gives the forms a listed
word takes in writing (`direvisi`, `menyetujui`, `-nya`) for the lists that take affixes;
`COMMON` are ordinary words one typing slip away from a listed word, which are not typos. And the
other way: the Indonesian sentences that explain an unclear reading back to the person
(`explain`, `understood`), quoting their words.

The reading itself is daemon/core/reply_grammar.py. An office adds words with `[balasan]` in
pantau.toml, under the same names as `GRAMMAR`'s keys (daemon/config reads them,
`Grammar.from_table` adds them). Data and pure functions, no I/O.
"""

from __future__ import annotations

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
               "baca ulang", "mohon diteliti", "mohon teliti", "tolong diteliti", "kaji",
               "dikaji", "telaah", "ditelaah", "tindaklanjuti",
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
             "tertukar", "terbalik", "kebalik", "keberatan", "revise", "correct", "correction",
             "change", "wrong", "reject",
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



#: Ordinary words one slip away from a condition or change word; they are not typos.
COMMON = frozenset({
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
