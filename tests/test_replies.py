"""replies: the new text of a reply, the decision in it, clean subjects."""

from __future__ import annotations

import os
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from daemon.core.model import ParsedMessage
from daemon.mail.mime import parse_message
from daemon.mail.replies import (
    html_reply_text,
    read_decision,
    reply_text,
    reply_text_from_str,
    subject_clean,
)

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def corpus_dir(*parts: str) -> Path:
    path = CORPUS.joinpath(*parts)
    if not path.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"corpus not found at {path} (CI is set)")
        pytest.skip(f"corpus not found at {path}")
    return path


def message(headers: str, body: str, ctype: str = 'text/plain; charset="UTF-8"') -> ParsedMessage:
    raw = f"{headers.strip()}\nMIME-Version: 1.0\nContent-Type: {ctype}\n\n{body}"
    return parse_message(raw.replace("\n", "\r\n").encode("utf-8"))


HEAD = """From: Drs. H. Ahmad Fauzi <camat.sukamaju@gmail.com>
To: Pantau <pantau@kecamatan.test>
Subject: Re: [PK-2025-TW3][#K7Q2-M9XA] Konsep laporan pemantauan kinerja
Date: Wed, 15 Oct 2025 09:12:00 +0700
Message-ID: <CAF=reply1@mail.gmail.com>"""

PANTAU_LETTER_QUOTED = """> Yth. Bapak Camat Sukamaju,
>
> Bersama ini kami sampaikan konsep laporan pemantauan kinerja Triwulan III.
> Mohon dibalas dengan SETUJU, atau REVISI disertai catatan perbaikan.
>
> Salam,
> Pantau - Kecamatan Sukamaju
"""


def test_gmail_indonesian_with_wrapped_menulis():
    body = (
        "Setuju, silakan dilanjutkan ke undangan rapat.\n\n"
        "Pada Rab, 15 Okt 2025 pukul 08.00 Pantau Kecamatan Sukamaju <pantau@kecamatan.test>\n"
        "menulis:\n\n" + PANTAU_LETTER_QUOTED
    )
    text = reply_text(message(HEAD, body))
    assert text == "Setuju, silakan dilanjutkan ke undangan rapat."
    d = read_decision(text)
    assert (d.decision, d.note) == ("approve", "silakan dilanjutkan ke undangan rapat.")


def test_gmail_indonesian_header_wrapped_over_three_lines():
    body = (
        "REVISI\nCapaian indikator 4 mohon dicek lagi.\n\n"
        "Pada tanggal Rab, 15 Okt 2025 pukul 08.00 Pantau Kecamatan Sukamaju\n"
        "<pantau@kecamatan.test>\nmenulis:\n\n" + PANTAU_LETTER_QUOTED
    )
    text = reply_text(message(HEAD, body))
    assert text == "REVISI\nCapaian indikator 4 mohon dicek lagi."
    d = read_decision(text)
    assert (d.decision, d.note) == ("revise", "Capaian indikator 4 mohon dicek lagi.")


def test_gmail_english():
    body = (
        "OK pak\n\n"
        "On Wed, Oct 15, 2025 at 8:00 AM Pantau Kecamatan Sukamaju <pantau@kecamatan.test>\n"
        "wrote:\n\n" + PANTAU_LETTER_QUOTED
    )
    d = read_decision(reply_text(message(HEAD, body)))
    assert (d.decision, d.note) == ("approve", "pak")


def test_outlook_indonesian_header_block_and_signature():
    body = """Tidak setuju. Data Seksi Trantib belum masuk.

Hormat kami,
Sekretaris Kecamatan Sukamaju

________________________________
Dari: Pantau <pantau@kecamatan.test>
Dikirim: Rabu, 15 Oktober 2025 08.00
Kepada: Sekcam <sekcam@kecamatan.test>
Subjek: [PK-2025-TW3][#K7Q2-M9XA] Konsep laporan pemantauan kinerja

Yth. Sekretaris Kecamatan,
Mohon dibalas dengan SETUJU.
"""
    text = reply_text(message(HEAD.replace("Re:", "BLS:"), body))
    assert text == "Tidak setuju. Data Seksi Trantib belum masuk."
    d = read_decision(text)
    assert (d.decision, d.note) == ("revise", "Data Seksi Trantib belum masuk.")


def test_outlook_english_original_message_and_pesan_asli():
    for sep in ("-----Original Message-----", "-----Pesan Asli-----"):
        body = f"""Lanjutkan.

{sep}
From: Pantau [mailto:pantau@kecamatan.test]
Sent: Wednesday, October 15, 2025 8:00 AM
To: Camat
Subject: [PK-2025-TW3][#K7Q2-M9XA] Konsep

Mohon dibalas dengan SETUJU.
"""
        assert reply_text(message(HEAD, body)) == "Lanjutkan."


def test_iphone_and_yahoo_android():
    iphone = (
        "ACC\n\nDikirim dari iPhone saya\n\n"
        "> Pada 15 Okt 2025, pukul 08.00, Pantau <pantau@kecamatan.test> menulis:\n>\n"
        + PANTAU_LETTER_QUOTED
    )
    assert reply_text(message(HEAD, iphone)) == "ACC"
    english = "Setuju\n\nSent from my iPhone\n\n> On 15 Oct 2025, at 08:00, Pantau wrote:\n> x\n"
    assert reply_text(message(HEAD, english)) == "Setuju"
    yahoo = (
        "Koreksi: satuan indikator 2 seharusnya persen.\n\n"
        "Dikirim dari Yahoo Mail di Android\n\n"
        "  Pada Rab, 15 Okt 2025 pada 8:00, Pantau<pantau@kecamatan.test> menulis:   "
        "Yth. Bapak, mohon dibalas SETUJU\n"
    )
    text = reply_text(message(HEAD, yahoo))
    assert text == "Koreksi: satuan indikator 2 seharusnya persen."
    assert read_decision(text).decision == "revise"


def test_thunderbird_bottom_posted_with_signature():
    body = (
        "Pada 15/10/25 08.00, Pantau menulis:\n" + PANTAU_LETTER_QUOTED + "\n"
        "REVISI\nMohon tambahkan analisis faktor penghambat.\n\n-- \nKasubag Perencanaan\n"
    )
    text = reply_text(message(HEAD, body))
    assert text == "REVISI\nMohon tambahkan analisis faktor penghambat."
    d = read_decision(text)
    assert d.decision == "revise" and d.note == "Mohon tambahkan analisis faktor penghambat."


def test_quote_only_reply_has_no_text():
    body = (
        "\nPada Rab, 15 Okt 2025 pukul 08.00 Pantau <pantau@kecamatan.test> menulis:\n"
        + PANTAU_LETTER_QUOTED
    )
    text = reply_text(message(HEAD, body))
    assert text == ""
    assert read_decision(text).decision == "none"
    outlook_only = (
        "\nFrom: Pantau\nSent: Wednesday\nTo: Camat\nSubject: x\n\nMohon dibalas SETUJU.\n"
    )
    assert reply_text(message(HEAD, outlook_only)) == ""  # never read Pantau's own letter


def test_closing_kept_when_it_is_the_only_text_and_lists_survive():
    body = "Terima kasih\n\nPada Rab, 15 Okt 2025 pukul 08.00 Pantau menulis:\n> x\n"
    assert reply_text(message(HEAD, body)) == "Terima kasih"
    notes = "REVISI:\n- target indikator 2 salah\n- tambahkan analisis\n\nTerima kasih,\nBudi\n"
    assert reply_text(message(HEAD, notes)) == (
        "REVISI:\n- target indikator 2 salah\n- tambahkan analisis"
    )
    sentence = "Perbaiki tabel 3.\nTerima kasih atas kerja kerasnya, mohon segera dikirim ulang.\n"
    assert reply_text(message(HEAD, sentence)) == sentence.strip()


OUTLOOK_HTML_ONLY = """<html><head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<style>p.MsoNormal {margin:0cm}</style></head>
<body><div class="WordSection1">
<p class="MsoNormal">REVISI<o:p></o:p></p>
<p class="MsoNormal">Target indikator 3 masih memakai angka tahun lalu.<o:p></o:p></p>
<p class="MsoNormal"><o:p>&nbsp;</o:p></p>
<div id="appendonsend"></div>
<hr style="display:inline-block;width:98%" tabindex="-1">
<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri" style="font-size:11pt">
<b>Dari:</b> Pantau &lt;pantau@kecamatan.test&gt;<br>
<b>Dikirim:</b> Rabu, 15 Oktober 2025 08.00<br>
<b>Kepada:</b> Camat &lt;camat@kecamatan.test&gt;<br>
<b>Subjek:</b> [PK-2025-TW3][#K7Q2-M9XA] Konsep laporan</font>
<div>&nbsp;</div></div>
<div><p>Yth. Bapak Camat, mohon dibalas dengan SETUJU.</p></div>
</div></body></html>
"""


def test_html_only_outlook_reply():
    pm = message(HEAD, OUTLOOK_HTML_ONLY, ctype='text/html; charset="utf-8"')
    assert "SETUJU" in pm.text  # the converted text still holds the quote
    text = reply_text(pm)
    assert text == "REVISI\nTarget indikator 3 masih memakai angka tahun lalu."
    assert read_decision(text).decision == "revise"


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        (
            '<div dir="ltr">Setuju pak</div><br><div class="gmail_quote gmail_quote_container">'
            '<div dir="ltr" class="gmail_attr">Pada Rab, 15 Okt 2025 pukul 08.00 Pantau &lt;'
            'pantau@kecamatan.test&gt; menulis:<br></div><blockquote class="gmail_quote">'
            "Mohon dibalas SETUJU</blockquote></div>",
            "Setuju pak",
        ),
        (
            '<html><body dir="auto"><div>OK</div><div><br></div><div>Dikirim dari iPhone saya'
            '</div><blockquote type="cite">Pada 15 Okt 2025, pukul 08.00, Pantau menulis:'
            "<br>Mohon dibalas SETUJU</blockquote></body></html>",
            "OK",
        ),
        (
            '<p>Koreksi: nama kegiatan salah ketik.</p><div class="moz-cite-prefix">Pada '
            '15/10/25 08.00, Pantau menulis:<br></div><blockquote type="cite">Mohon SETUJU'
            '</blockquote><pre class="moz-signature">-- \nKasubag</pre>',
            "Koreksi: nama kegiatan salah ketik.",
        ),
        (
            "<div class=WordSection1><p class=MsoNormal>Tidak setuju<o:p></o:p></p><div><div "
            "style='border:none;border-top:solid #E1E1E1 1.0pt'><p class=MsoNormal><b>From:</b> "
            "Pantau<br><b>Sent:</b> Wednesday<br><b>To:</b> Camat<br><b>Subject:</b> Konsep</p>"
            "</div></div><p class=MsoNormal>Mohon dibalas SETUJU</p></div>",
            "Tidak setuju",
        ),
    ],
)
def test_html_clients(html, expected):
    assert html_reply_text(html).splitlines()[0] == expected.splitlines()[0]
    pm = ParsedMessage(text="", html=html)
    assert reply_text(pm) == expected


def test_plain_part_is_preferred_when_there_is_one():
    pm = ParsedMessage(text="Setuju\n\n> kutipan", html="<p>Tolak</p>")
    assert reply_text(pm) == "Setuju"


# --------------------------------------------------------------------------- decisions


@pytest.mark.parametrize(
    ("text", "decision", "note"),
    [
        ("SETUJU", "approve", ""),
        ("Setuju.", "approve", ""),
        ("setuju!!", "approve", ""),
        ("OK pak", "approve", "pak"),
        ("SETUJU, terima kasih", "approve", "terima kasih"),
        ("Disetujui", "approve", ""),
        ("acc", "approve", ""),
        ("Oke", "approve", ""),
        ("lanjut", "approve", ""),
        ("LANJUTKAN", "approve", ""),
        ("Teruskan ke Pak Camat", "approve", "ke Pak Camat"),
        ("Saya setuju", "approve", ""),
        ("Setuju, tidak ada revisi", "approve", "tidak ada revisi"),
        (
            "Setuju\nCatatan: mohon segera dikirim ke Camat.",
            "approve",
            "Catatan: mohon segera dikirim ke Camat.",
        ),
        # SPEC 3.2 (rewritten): a note asking for an adjustment makes an approval unclear
        ("Setuju\nCatatan: nomor surat disesuaikan.", "unclear", None),
        ("Yth. Kasubag,\nSetuju", "approve", ""),
        ("REVISI", "revise", ""),
        ("Revisi: target indikator 3 salah", "revise", "target indikator 3 salah"),
        ("perbaiki tabel 2\ndan lampiran", "revise", "tabel 2\ndan lampiran"),
        ("KOREKSI - satuan", "revise", "satuan"),
        ("Tolak", "revise", ""),
        ("ditolak.", "revise", ""),
        ("TIDAK SETUJU", "revise", ""),
        ("tidak setuju, data belum lengkap", "revise", "data belum lengkap"),
        ("Belum setuju", "revise", ""),
        ("belum ok", "revise", ""),
        ("jangan lanjut dulu", "revise", "dulu"),
        ("tidak acc", "revise", ""),
        ("Selamat pagi pak,\n\nREVISI: tabel 3", "revise", "tabel 3"),
        ("OK, tapi revisi tabel 3", "unclear", None),
        ("oke saya tidak setuju", "unclear", None),
        ("Tidak ada koreksi", "unclear", None),
        ("Baik", "unclear", None),
        ("Terima kasih", "unclear", None),
        ("selesai", "unclear", None),
        ("JADWAL 20-10-2025 09.00", "unclear", None),
        ("", "none", ""),
        ("  \n\n ", "none", ""),
    ],
)
def test_read_decision(text, decision, note):
    d = read_decision(text)
    assert d.decision == decision
    if note is not None:
        assert d.note == note
    if decision != "none":
        assert d.first_line


def test_negation_is_never_approval():
    for text in ("tidak setuju", "Tidak Setuju!", "belum ok", "jangan lanjut", "tidak acc",
                 "Belum disetujui", "tidak oke", "ga setuju"):  # fmt: skip
        assert read_decision(text).decision != "approve", text


def test_selesai_only_where_allowed():
    assert read_decision("SELESAI", allow_selesai=True).decision == "approve"
    assert read_decision("Selesai, sudah dientri", allow_selesai=True).note == "sudah dientri"
    assert read_decision("belum selesai", allow_selesai=True).decision == "unclear"


@pytest.mark.parametrize(
    ("text", "when", "time", "place"),
    [
        (
            "JADWAL 20-10-2025 09.00 di Aula Kantor Camat",
            date(2025, 10, 20),
            "09:00",
            "Aula Kantor Camat",
        ),
        ("jadwal 20/10/2025 13:30", date(2025, 10, 20), "13:30", None),
        (
            "Jadwal 05-11-2025 pukul 8.30 WIB di Ruang Rapat Sekcam.",
            date(2025, 11, 5),
            "08:30",
            "Ruang Rapat Sekcam",
        ),
    ],
)
def test_schedule(text, when, time, place):
    d = read_decision(text + "\nMohon semua Kasi hadir.", allow_schedule=True)
    assert d.decision == "schedule"
    assert (d.meeting_date, d.meeting_time, d.meeting_place) == (when, time, place)
    assert d.note == "Mohon semua Kasi hadir."


@pytest.mark.parametrize(
    "text", ["JADWAL 31-02-2025 09.00", "JADWAL 20-13-2025 09.00", "JADWAL 20-10-2025 25.00",
             "JADWAL besok pagi", "JADWAL 20-10-2025"],
)  # fmt: skip
def test_schedule_invalid_is_unclear(text):
    assert read_decision(text, allow_schedule=True).decision == "unclear"


@pytest.mark.parametrize(
    ("subject", "clean"),
    [
        ("Re: [PK-2025-TW3][#K7Q2-M9XA] Konsep", "[PK-2025-TW3][#K7Q2-M9XA] Konsep"),
        ("RE: Re: BLS: Bls: Balas: hal", "hal"),
        ("TRS: Fwd: FW: Tr: hal", "hal"),
        ("AW: WG: hal", "hal"),
        ("Re[2]: hal", "hal"),
        ("Re:hal", "hal"),
        ("Balasan Otomatis: hal", "Balasan Otomatis: hal"),
        ("Rekap data", "Rekap data"),
        ("", ""),
    ],
)
def test_subject_clean(subject, clean):
    assert subject_clean(subject) == clean


# --------------------------------------------------------------------------- corpus


def test_reply_bodies_corpus():
    """156 real replies from reply-parser test suites (English, Danish, Dutch, Japanese, Polish,
    Swedish; Gmail, Outlook, iPhone): none carries a Pantau decision word, so none may be read as a
    decision (Pantau asks instead of guessing); and the new text Pantau reads never keeps the
    quoted original (a "> " line or an "On ... wrote:" header)."""
    import re

    files = sorted(p for p in corpus_dir("reply-bodies").rglob("*") if p.is_file())
    assert len(files) > 150
    kinds: Counter[str] = Counter()
    empty = 0
    for path in files:
        raw = path.read_bytes().decode("utf-8", "replace")
        if path.suffix.lower() in (".html", ".htm"):
            text = reply_text(ParsedMessage(text="", html=raw))
        else:
            text = reply_text_from_str(raw)
        empty += not text.strip()
        assert not [ln for ln in text.splitlines() if ln.lstrip().startswith(">")], path.name
        assert not re.search(r"(?m)^On .{5,200} wrote:\s*$", text), path.name
        decision = read_decision(text, allow_schedule=True, allow_selesai=True).decision
        kinds[decision] += 1
        assert decision in ("unclear", "none"), (path.name, decision, text[:200])
        assert read_decision(raw).decision in ("unclear", "none"), path.name
    print(f"\nreply-bodies: {len(files)} files, {empty} with no new text, decisions {dict(kinds)}")
    assert empty <= 3


def test_talon_html_replies_lose_their_quotes():
    folder = corpus_dir("reply-bodies", "mailgun-talon-html", "html_replies")
    for path in sorted(folder.glob("*.html")):
        pm = ParsedMessage(text="", html=path.read_text("utf-8", "replace"))
        assert reply_text(pm) == "Hi. I am fine.", path.name
