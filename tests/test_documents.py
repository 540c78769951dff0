"""Letters, report, final report, ICS, e-Monev export and PDF (daemon.documents).

Every template is rendered from a sample context with StrictUndefined and the result is OPENED
(python-docx) to check what a reader sees: the kop, "Air Haji, 10 Januari 2025", the number,
"Yth.", the signing block, the tembusan. With LibreOffice installed (required when CI is set)
each document is also converted to PDF and checked with pdftotext.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import io
import json
import os
import shutil
import subprocess
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import docx
import jinja2
import openpyxl
import pytest
from icalendar import Calendar

from daemon.documents import (
    TEMPLATE_FOR_KIND,
    check_templates,
    render_docx,
    render_final,
    render_ics,
    render_letter,
    render_report,
    to_pdf,
    write_emonev,
)
from daemon.documents import samples as S
from daemon.documents.contexts import EmonevRow
from daemon.documents.emonev import COLUMNS
from daemon.documents.final import qr_payload, qr_png
from daemon.documents.render import atomic_write
from tools import require_tool

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "templates"
WIB = ZoneInfo("Asia/Jakarta")
KOP = [
    "PEMERINTAH KABUPATEN PESISIR SELATAN",
    "KECAMATAN LINGGO SARI BAGANTI",
    "Jl. Raya Painan-Tapan, Air Haji",
]
DATE = "Air Haji, 10 Januari 2025"
NOMOR = "000.8.6.3/15/Kec-LSB/2025"


def all_text(path: Path) -> str:
    """Every paragraph of the body, tables (nested too), headers and footers, one per line."""
    d = docx.Document(str(path))
    lines: list[str] = []

    def walk(container):
        for p in container.paragraphs:
            lines.append(p.text)
        for t in container.tables:
            for row in t.rows:
                for cell in row.cells:
                    walk(cell)

    walk(d)
    for sec in d.sections:
        walk(sec.header)
        walk(sec.footer)
    return "\n".join(lines)


def soffice_available() -> bool:
    ok = shutil.which("soffice") is not None and shutil.which("pdftotext") is not None
    if not ok and os.environ.get("CI"):
        pytest.fail("LibreOffice (soffice) and pdftotext are required when CI is set")
    return ok


needs_soffice = pytest.mark.skipif("not soffice_available()")


def sha256sum(path: Path) -> str:
    """The file's SHA-256 as coreutils' `sha256sum` reads it from disk: an independent reading
    of the archived bytes, the way an auditor would check a register entry."""
    out = subprocess.run(
        [require_tool("sha256sum"), str(path)], capture_output=True, text=True, check=True
    )
    return out.stdout.split()[0]


@pytest.mark.slow
def test_register_sha256_is_the_file_people_received(demo_office):
    """Every file listed in register keluar (name and SHA-256) is the attachment its recipients
    got: the bytes taken from the delivered e-mails, read with `sha256sum`."""
    import email as std_email
    import sqlite3
    import tempfile
    from email import policy

    db = sqlite3.connect(demo_office / "var" / "pantau.db")
    listed = {}
    for (berkas,) in db.execute("SELECT berkas FROM register_keluar"):
        for b in json.loads(berkas or "[]"):
            listed.setdefault(b["nama"], set()).add(b["sha256"])
    assert len(listed) >= 10
    received: dict[str, set[str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        boxes = (demo_office / "var" / "maildir").glob("*@*/[nc][eu][wr]/*")
        for i, p in enumerate(sorted(x for x in boxes if x.is_file())):
            m = std_email.message_from_bytes(p.read_bytes(), policy=policy.default)
            for j, part in enumerate(m.iter_attachments()):
                name = part.get_filename() or ""
                if name in listed:
                    f = Path(tmp) / f"{i}-{j}"
                    f.write_bytes(part.get_payload(decode=True))
                    received.setdefault(name, set()).add(sha256sum(f))
    assert set(received) == set(listed), set(listed) - set(received)
    for name, shas in received.items():
        assert shas <= listed[name], name


def pdf_text(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True, text=True
    ).stdout


# --------------------------------------------------------------------------- templates


def test_templates_are_generated_reproducibly_by_the_script(tmp_path):
    spec = importlib.util.spec_from_file_location(
        "make_templates", ROOT / "tools" / "make_templates.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.main([str(tmp_path)]) == 0
    for name in mod.TEMPLATES:
        assert (tmp_path / name).read_bytes() == (TEMPLATES / name).read_bytes(), (
            f"templates/{name} differs from tools/make_templates.py output: rerun the script"
        )


@pytest.mark.parametrize("name", sorted(p.name for p in TEMPLATES.glob("*.docx")))
def test_no_jinja_tag_is_split_across_runs(name):
    import zipfile

    from lxml import etree

    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    with zipfile.ZipFile(TEMPLATES / name) as z:
        parts = [n for n in z.namelist() if n.startswith("word/") and n.endswith(".xml")]
        for part in parts:
            root = etree.fromstring(z.read(part))
            for t in root.iter(w + "t"):
                text = t.text or ""
                assert text.count("{{") == text.count("}}"), (name, part, text)
                assert text.count("{%") == text.count("%}"), (name, part, text)


def test_every_shipped_template_renders():
    assert check_templates(TEMPLATES) == []


def test_check_templates_reports_a_broken_template(tmp_path):
    broken = tmp_path / "templates"
    shutil.copytree(TEMPLATES, broken)
    d = docx.Document()
    d.add_paragraph("{{ nama_yang_tidak_ada }}")
    d.save(str(broken / "undangan.docx"))
    problems = check_templates(broken)
    assert len(problems) == 1
    assert "undangan" in problems[0] and "nama_yang_tidak_ada" in problems[0]


def test_render_docx_is_strict_and_escapes(tmp_path):
    tpl = tmp_path / "t.docx"
    d = docx.Document()
    d.add_paragraph("Hal: {{ hal }} / {{ x|rupiah }} / {{ y|angka }} / {{ none|tanggal }}")
    d.save(str(tpl))
    with pytest.raises(jinja2.UndefinedError):
        render_docx(tpl, {"hal": "a"}, tmp_path / "o.docx")
    assert not (tmp_path / "o.docx").exists()
    sha = render_docx(
        tpl,
        {"hal": "Data & <Informasi>", "x": 1234500, "y": 1234.5, "none": None},
        tmp_path / "o.docx",
    )
    assert sha == hashlib.sha256((tmp_path / "o.docx").read_bytes()).hexdigest()
    assert (
        all_text(tmp_path / "o.docx").strip()
        == "Hal: Data & <Informasi> / Rp1.234.500,00 / 1.234,5 / -"
    )


def test_control_characters_from_mail_do_not_corrupt_a_letter(tmp_path):
    letter = replace(
        S.letter("nota_dinas", "koreksi"),
        catatan=["Perbaiki\x0c tabel\x1b 2\x00\r\nbaris kedua\a"],
    )
    render_letter(letter, TEMPLATES, tmp_path / "n.docx")
    assert "1. Perbaiki tabel 2\nbaris kedua" in all_text(tmp_path / "n.docx")


def test_atomic_write_leaves_no_temporary_files(tmp_path):
    sha = atomic_write(tmp_path / "sub" / "a.bin", b"isi")
    assert sha == hashlib.sha256(b"isi").hexdigest()
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == ["a.bin"]


# --------------------------------------------------------------------------- letters


def check_letter_parts(text: str, letter) -> None:
    for line in KOP:
        assert line in text
    if letter.kind == "nota_dinas":  # the date once, in the heading (SPEC §6.5)
        assert "Tanggal\t: 10 Januari 2025" in text and DATE not in text
        assert text.count("10 Januari 2025") == 1
        # how to answer by e-mail is in the e-mail, not in the letter
        assert "SETUJU" not in text and "membalas" not in text and "SELESAI" not in text
    else:
        assert DATE in text
    assert NOMOR in text
    assert "Yth." in text
    if letter.kind != "pengantar":  # a surat pengantar has no Hal (Tata Naskah Dinas)
        assert letter.hal in text
    assert letter.penandatangan.nama in text
    assert f"NIP. {letter.penandatangan.nip}" in text
    assert f"{letter.penandatangan.jabatan}," in text
    if letter.atas_nama:
        assert f"{letter.atas_nama}," in text
    if letter.tembusan:
        assert "Tembusan" in text
        for t in letter.tembusan:
            assert t in text


@pytest.mark.parametrize("kind,purpose", S.LETTER_SAMPLES)
def test_letter_renders_with_all_parts(tmp_path, kind, purpose):
    letter = S.letter(kind, purpose)
    out = tmp_path / f"{kind}.docx"
    sha = render_letter(letter, TEMPLATES, out)
    assert sha == sha256sum(out)
    text = all_text(out)
    check_letter_parts(text, letter)
    assert "{{" not in text and "{%" not in text


def test_letter_kinds_use_their_templates():
    assert TEMPLATE_FOR_KIND == {
        "permintaan_data": "surat_dinas.docx",
        "nota_dinas": "nota_dinas.docx",
        "undangan": "undangan.docx",
        "pengantar": "pengantar.docx",
        "ringkasan": "ringkasan.docx",
    }


def test_surat_permintaan_data(tmp_path):
    render_letter(S.letter("permintaan_data"), TEMPLATES, tmp_path / "s.docx")
    text = all_text(tmp_path / "s.docx")
    assert "Nomor\t: 000.8.6.3/15/Kec-LSB/2025" in text
    assert "Sifat\t: Biasa" in text and "Lampiran\t: 1 (satu) berkas" in text
    assert "Yth.\t1. Sekretaris Camat\n2. Kepala Seksi Pemerintahan" in text
    assert "di Tempat" in text
    assert "Jumat, 10 Oktober 2025 pukul 16.00 WIB" in text
    assert "pantau@kecamatan.test" in text
    assert "Saudara" in text


NOTA_WORDS = {
    "perintah": "mohon perintah Camat Linggo Sari Baganti",
    "konsep": "untuk diperiksa",
    "ajukan_konsep": "Senin, 20 Oktober 2025 pukul 09.00 WIB di Aula Kantor Camat",
    "koreksi": "untuk dikoreksi",
    "tanda_tangan": "untuk ditandatangani",
    "emonev": "untuk dientri pada aplikasi e-project",
}


@pytest.mark.parametrize("purpose", sorted(NOTA_WORDS))
def test_nota_dinas_wording_follows_purpose(tmp_path, purpose):
    render_letter(S.letter("nota_dinas", purpose), TEMPLATES, tmp_path / "n.docx")
    text = all_text(tmp_path / "n.docx")
    assert "NOTA DINAS" in text
    assert "Kepada\t: Yth. Camat Linggo Sari Baganti" in text
    assert "Dari\t: Kepala Subbagian Perencanaan dan Keuangan" in text
    assert "Tanggal\t: 10 Januari 2025" in text
    assert NOTA_WORDS[purpose] in text
    for other, words in NOTA_WORDS.items():
        if other != purpose and other != "ajukan_konsep":
            assert words not in text
    assert "Data Seksi Trantib menyusul." in text  # catatan


def test_nota_dinas_rejects_unknown_purpose(tmp_path):
    with pytest.raises(ValueError):
        render_letter(S.letter("nota_dinas", "lainnya"), TEMPLATES, tmp_path / "n.docx")


def test_undangan(tmp_path):
    render_letter(S.letter("undangan"), TEMPLATES, tmp_path / "u.docx")
    text = all_text(tmp_path / "u.docx")
    assert "hari\t: Senin" in text
    assert "tanggal\t: 20 Oktober 2025" in text
    assert "waktu\t: 09.00 s.d. 15.00 WIB" in text
    assert "tempat\t: Aula Kantor Camat" in text
    assert "acara\t: Rapat Pembahasan Pemantauan Kinerja Triwulan III Tahun 2025" in text
    assert "Sifat\t: Segera" in text


def test_pengantar_table_and_receipt(tmp_path):
    render_letter(S.letter("pengantar"), TEMPLATES, tmp_path / "p.docx")
    d = docx.Document(str(tmp_path / "p.docx"))
    table = d.tables[1]  # 0 is the kop
    assert [c.text for c in table.rows[0].cells] == [
        "No",
        "Jenis yang Dikirim",
        "Banyaknya",
        "Keterangan",
    ]
    assert [c.text for c in table.rows[1].cells] == [
        "1",
        "Laporan Pemantauan Kinerja Triwulan III Tahun 2025",
        "1 (satu) berkas",
        "Disampaikan dengan hormat untuk dientri pada aplikasi e-Monev",
    ]
    assert len(table.rows) == 2
    text = all_text(tmp_path / "p.docx")
    assert "SURAT PENGANTAR" in text and "Nomor: 000.8.6.3/15/Kec-LSB/2025" in text
    assert "Diterima tanggal" in text and "Penerima," in text
    assert "a.n. Camat Linggo Sari Baganti,\nSekretaris Camat," in text


def test_ringkasan_table(tmp_path):
    render_letter(S.letter("ringkasan"), TEMPLATES, tmp_path / "r.docx")
    d = docx.Document(str(tmp_path / "r.docx"))
    rows = [[c.text for c in r.cells] for r in d.tables[1].rows]
    assert rows[0] == [
        "No",
        "Langkah",
        "Uraian Prosedur",
        "Standar Waktu",
        "Waktu Pelaksanaan",
        "Tepat Waktu",
    ]
    assert rows[1] == ["1", "S1", "Memerintahkan pemantauan kinerja", "10 menit", "5 menit", "Ya"]
    assert rows[2][-1] == "Tidak" and rows[3][-1] == "-"
    assert "Dari 2 langkah yang dilaksanakan, 1 langkah selesai tepat waktu." in all_text(
        tmp_path / "r.docx"
    )


def test_letter_with_logo_and_without_tembusan(tmp_path):
    logo = tmp_path / "logo.png"
    logo.write_bytes(qr_png("logo"))
    letter = replace(
        S.letter("permintaan_data"),
        tembusan=[],
        kantor=replace(
            S.OFFICE, logo=str(logo), telepon="(0756) 123456", email="kec.lsb@pesisirselatan.go.id"
        ),
    )
    render_letter(letter, TEMPLATES, tmp_path / "l.docx")
    d = docx.Document(str(tmp_path / "l.docx"))
    assert len(d.inline_shapes) == 1
    text = all_text(tmp_path / "l.docx")
    assert "Tembusan" not in text
    assert (
        "Jl. Raya Painan-Tapan, Air Haji, Telepon (0756) 123456, Pos-el "
        "kec.lsb@pesisirselatan.go.id" in text
    )


# --------------------------------------------------------------------------- ICS


def test_ics_invitation(tmp_path):
    sha = render_ics(S.meeting(), tmp_path / "rapat.ics", sequence=1)
    raw = (tmp_path / "rapat.ics").read_bytes()
    assert sha == hashlib.sha256(raw).hexdigest()
    cal = Calendar.from_ical(raw)
    assert str(cal["METHOD"]) == "REQUEST"
    tz = cal.walk("VTIMEZONE")
    assert [str(t["TZID"]) for t in tz] == ["Asia/Jakarta"]
    (ev,) = cal.walk("VEVENT")
    assert str(ev["UID"]) == "pk-2025-tw3-rapat@kecamatan.test"
    assert ev.decoded("DTSTART") == datetime(2025, 10, 20, 9, 0, tzinfo=WIB)
    assert ev["DTSTART"].params["TZID"] == "Asia/Jakarta"
    assert ev.decoded("DTEND") == datetime(2025, 10, 20, 15, 0, tzinfo=WIB)
    assert str(ev["SUMMARY"]) == "Rapat Pembahasan Pemantauan Kinerja Triwulan III Tahun 2025"
    assert str(ev["LOCATION"]) == "Aula Kantor Camat"
    assert str(ev["ORGANIZER"]) == "mailto:pantau@kecamatan.test"
    attendees = ev["ATTENDEE"]
    assert [str(a) for a in attendees] == [
        "mailto:camat@kecamatan.test",
        "mailto:sekretaris@kecamatan.test",
    ]
    assert all(a.params["RSVP"] == "TRUE" for a in attendees)
    assert int(ev["SEQUENCE"]) == 1


# --------------------------------------------------------------------------- report


def test_report(tmp_path):
    report = S.report()
    sha = render_report(report, TEMPLATES, tmp_path / "laporan.docx", tmp_path / "work")
    assert sha == sha256sum(tmp_path / "laporan.docx")
    assert list((tmp_path / "work").glob("grafik-*.png"))
    text = all_text(tmp_path / "laporan.docx")
    for expected in [
        "LAPORAN PEMANTAUAN KINERJA",
        "TRIWULAN III TAHUN 2025",
        "KECAMATAN LINGGO SARI BAGANTI",
        "Konsep versi 2",
        "Dasar Hukum",
        "Undang-Undang Nomor 23 Tahun 2014",
        "Peraturan Pemerintah Nomor 17 Tahun 2018",
        "Maksud dan Tujuan",
        "Rekapitulasi Capaian Kinerja",
        "Seksi Kesejahteraan Sosial tidak menyampaikan data",
        "1. Seksi Kesejahteraan Sosial \u2013 tidak menyampaikan data",
        "Dukungan perangkat desa & warga",
        "Keterbatasan <anggaran>",
        "Koordinasi lanjutan",
        "Perbaiki satuan indikator 2.",
        "adalah 85,50% dengan kategori Tinggi",
        "konsep versi 2",
        "Air Haji, 14 Oktober 2025",
        S.KASUBAG.nama,
    ]:
        assert expected in text, expected
    d = docx.Document(str(tmp_path / "laporan.docx"))
    assert len(d.inline_shapes) >= 1  # the chart
    unit_tables = [
        t
        for t in d.tables
        if t.rows[0].cells[0].text == "No"
        and t.rows[0].cells[1].text == "Indikator"
        and len(t.columns) == 10
    ]
    assert len(unit_tables) == 2  # two units sent data
    header = [c.text for c in unit_tables[0].rows[0].cells]
    assert header == [
        "No",
        "Indikator",
        "Satuan",
        "Target",
        "Realisasi",
        "Capaian (%)",
        "Kategori",
        "Pagu (Rp)",
        "Realisasi Anggaran (Rp)",
        "Penyerapan (%)",
    ]
    assert [c.text for c in unit_tables[0].rows[1].cells] == [
        "1",
        "Indikator kinerja SEK nomor 1",
        "%",
        "100",
        "80",
        "80,00",
        "Tinggi",
        "Rp1.500.000,00",
        "Rp1.234.500,00",
        "82,30",
    ]
    summary = d.tables[0]
    assert [c.text for c in summary.rows[3].cells][1:] == [
        "Seksi Kesejahteraan Sosial",
        "0",
        "-",
        "-",
        "-",
        "-",
        "-",
        "tidak menyampaikan data",
    ]
    # per unit: pagu, realisasi anggaran, penyerapan; the total row adds the column up
    assert [c.text for c in summary.rows[1].cells][5:8] == [
        "Rp9.000.000,00",
        "Rp7.407.000,00",
        "82,30",
    ]
    counts = [int(r.cells[2].text) for r in summary.rows[1:-1]]
    assert summary.rows[-1].cells[2].text == str(sum(counts))
    assert summary.rows[-1].cells[3].text == "85,50"
    # the title page: the year once (it is in the period), no machine code
    cover = [p.text for p in d.paragraphs[:12]]
    assert sum("TAHUN 2025" in t for t in cover) == 1
    assert not any("PK-2025-TW3" in t for t in cover)
    # the page number field in the footer
    assert "PAGE" in d.sections[0].footer._element.xml


def test_report_benchmark(tmp_path, capsys):
    """Prints render times (not asserted): 100 and 5,000 indicator rows."""
    sizes = [100] + ([5000] if os.environ.get("PANTAU_BENCH") else [])
    for rows in sizes:
        report = S.report(rows_per_unit=rows // 4, n_units=5)
        start = time.perf_counter()
        render_report(report, TEMPLATES, tmp_path / f"l{rows}.docx", tmp_path)
        with capsys.disabled():
            print(f"\nrender_report {rows} rows: {time.perf_counter() - start:.2f} s")


# --------------------------------------------------------------------------- final report


def test_final_report_is_made_final_from_the_approved_docx(tmp_path):
    src = tmp_path / "laporan-v2.docx"
    render_report(S.report(), TEMPLATES, src, tmp_path)
    d = docx.Document(str(src))  # a person edits and uploads it
    d.add_paragraph("Tambahan dari Sekretaris: data Trantib menyusul.")
    d.save(str(src))
    before = src.read_bytes()
    final = replace(S.final(), kode_verifikasi="7KQ2-M9XD-4TRA")
    sha = render_final(final, src, tmp_path / "final.docx", "https://pantau.test")
    assert src.read_bytes() == before
    assert sha == hashlib.sha256((tmp_path / "final.docx").read_bytes()).hexdigest()
    text = all_text(tmp_path / "final.docx")
    for expected in [
        "BAB I",
        "Tambahan dari Sekretaris: data Trantib menyusul.",
        "LEMBAR PENGESAHAN",
        "Nomor: 000.8.6.3/21/Kec-LSB/2025",
        "Air Haji, 24 Oktober 2025",
        "Camat Linggo Sari Baganti,",
        "RIKA MARTA, S.E",
        "Pembina (IV/a)",
        "NIP. 19861026 201001 2 009",
        "S6 Pengajuan konsep",
        "Agenda masuk No. 14/2025",
        "23 Oktober 2025",
        "10.15 WIB",
        "Peraturan Pemerintah Nomor 71 Tahun 2019",
        "bukan tanda tangan elektronik tersertifikasi",
        "Kode verifikasi: 7KQ2-M9XD-4TRA",
        hashlib.sha256(before).hexdigest(),
    ]:
        assert expected in text, expected
    # Never a Message-ID on paper (SPEC §6.5).
    assert "<a1b2@kecamatan.test>" not in text and "@mail.test" not in text
    out = docx.Document(str(tmp_path / "final.docx"))
    paras = [p.text for p in out.paragraphs]
    # The lembar pengesahan follows the cover, before the body.
    assert paras.index("LEMBAR PENGESAHAN") < next(i for i, t in enumerate(paras) if t == "BAB I")
    # Neither the cover nor any header/footer still calls it a draft; pages are numbered.
    cover = paras[: paras.index("LEMBAR PENGESAHAN")]
    assert not any("konsep" in t.lower() for t in cover)
    for sec in out.sections:
        xml = sec.footer._element.xml if not sec.footer.is_linked_to_previous else ""
        assert "konsep" not in xml.lower()
    assert "PAGE" in out.sections[0].footer._element.xml
    # the QR image links to the public verification page
    assert qr_payload("7KQ2-M9XD-4TRA", "https://pantau.test") == (
        "https://pantau.test/verifikasi/7KQ2-M9XD-4TRA"
    )
    blobs = [rel.target_part.blob for rel in out.part.rels.values() if "image" in rel.reltype]
    assert qr_png("https://pantau.test/verifikasi/7KQ2-M9XD-4TRA") in blobs


def test_final_report_puts_its_own_cover_before_an_unmarked_document(tmp_path):
    from docx.enum.section import WD_ORIENT

    d = docx.Document()
    sec = d.sections[0]
    sec.orientation = WD_ORIENT.LANDSCAPE
    sec.page_width, sec.page_height = sec.page_height, sec.page_width
    d.add_paragraph("Laporan yang diunggah")
    d.save(str(tmp_path / "src.docx"))
    final = replace(S.final(), kode_verifikasi="7KQ2-M9XD-4TRA")
    render_final(final, tmp_path / "src.docx", tmp_path / "final.docx")
    out = docx.Document(str(tmp_path / "final.docx"))
    paras = [p.text for p in out.paragraphs if p.text]
    assert paras[0] == "LAPORAN PEMANTAUAN KINERJA"
    assert paras.index("LEMBAR PENGESAHAN") < paras.index("Laporan yang diunggah")
    # Pantau's pages are portrait; the uploaded document keeps its own landscape section.
    assert out.sections[0].orientation == WD_ORIENT.PORTRAIT
    assert out.sections[-1].orientation == WD_ORIENT.LANDSCAPE
    blobs = [rel.target_part.blob for rel in out.part.rels.values() if "image" in rel.reltype]
    assert qr_png("7KQ2-M9XD-4TRA") in blobs  # no web.url: the QR holds the code


# --------------------------------------------------------------------------- e-Monev


def emonev_rows() -> list[EmonevRow]:
    return [
        EmonevRow(
            "PEM",
            "Seksi Pemerintahan",
            "Program A",
            "Kegiatan A",
            "Sub A",
            'Persentase; "penyelesaian"',
            "%",
            85.0,
            (20.0, 45.5, 85.5, None),
            89.99999999999999,
            125_000_000.0,
            1_234_500.5,
            "Dukungan",
            "Hambatan",
            "Lanjut",
            63.75,
        ),
        EmonevRow(
            "KES",
            "Seksi Kesejahteraan Sosial",
            "Program B",
            "Kegiatan B",
            "Sub B",
            "Jumlah desa",
            "desa",
            1234.0,
            (None, None, None, None),
            None,
            None,
            None,
        ),
    ]


def test_emonev_xlsx_and_csv(tmp_path):
    sx, sc = write_emonev(emonev_rows(), S.PERIOD, tmp_path / "e.xlsx", tmp_path / "e.csv")
    assert sx == sha256sum(tmp_path / "e.xlsx")
    assert sc == sha256sum(tmp_path / "e.csv")
    ws = openpyxl.load_workbook(tmp_path / "e.xlsx").active
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == COLUMNS
    assert rows[1][0] == 1 and rows[1][7] == 85.0 and rows[1][11] == 85.5
    # the annual Renja target, and the period's cumulative target in its own column
    assert rows[1][8] == 63.75 and rows[2][8] is None
    assert rows[1][14] == 125_000_000.0 and isinstance(rows[1][15], float)
    assert rows[1][16] == 0.99  # rounded as shown, no float noise
    assert rows[1][13] == 90.0  # 89.99999999999999 in the row
    assert ws.cell(2, 15).number_format == "#,##0.00"
    assert rows[2][13] is None and rows[2][16] is None
    raw = (tmp_path / "e.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    parsed = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert parsed[0] == COLUMNS
    assert parsed[1][5] == 'Persentase; "penyelesaian"'
    assert parsed[1][7] == "85" and parsed[1][11] == "85,5" and parsed[1][15] == "1234500,5"
    assert parsed[1][13] == "90" and parsed[2][13] == "" and parsed[1][8] == "63,75"


# --------------------------------------------------------------------------- PDF


def test_to_pdf_without_soffice(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert to_pdf(tmp_path / "x.docx", tmp_path) is None


@pytest.mark.slow
@needs_soffice
def test_documents_convert_to_pdf(tmp_path):
    docs: list[tuple[Path, list[str]]] = []
    for kind, purpose in S.LETTER_SAMPLES:
        letter = S.letter(kind, purpose)
        out = tmp_path / f"{kind}-{purpose}.docx"
        render_letter(letter, TEMPLATES, out)
        docs.append(
            (
                out,
                [
                    *KOP,
                    # a nota dinas gives its date once, in the heading
                    "10 Januari 2025" if kind == "nota_dinas" else DATE,
                    NOMOR,
                    letter.penandatangan.nama,
                    f"NIP. {letter.penandatangan.nip}",
                ],
            )
        )
    report = tmp_path / "laporan.docx"
    render_report(S.report(), TEMPLATES, report, tmp_path)
    docs.append(
        (
            report,
            [
                "LAPORAN PEMANTAUAN KINERJA",
                "KECAMATAN LINGGO SARI BAGANTI",
                "Konsep versi 2",
                "Air Haji, 14 Oktober 2025",
                S.KASUBAG.nama,
            ],
        )
    )
    final = tmp_path / "final.docx"
    render_final(S.final(), report, final)
    docs.append(
        (
            final,
            [
                "LEMBAR PENGESAHAN",
                "000.8.6.3/21/Kec-LSB/2025",
                "Air Haji, 24 Oktober 2025",
                "RIKA MARTA, S.E",
                "NIP. 19861026 201001 2 009",
                "Kode verifikasi",
            ],
        )
    )
    for path, expected in docs:
        pdf = to_pdf(path, tmp_path / "pdf")
        assert pdf is not None and pdf.read_bytes().startswith(b"%PDF"), path.name
        text = pdf_text(pdf)
        for e in expected:
            assert e in text, (path.name, e)
    assert not list((tmp_path / "pdf").glob(".*"))


def test_report_lists_plausibility_warnings_and_earlier_periods(tmp_path):
    report = S.report()
    report.peringatan = [
        {
            "unit": "SEK",
            "unit_nama": "Sekretariat",
            "no": "2",
            "indikator": "Indikator kinerja SEK nomor 2",
            "kolom": "Realisasi Anggaran (Rp)",
            "nilai": 2_000_000.0,
            "pesan": "realisasi anggaran melebihi pagu",
        },
    ]
    report.periode_sebelumnya = ["Triwulan I", "Triwulan II"]
    for u in report.units:
        for r in u.rows:
            r.sebelumnya, r.target_tahunan = [20.0, None], 120.0
    render_report(report, TEMPLATES, tmp_path / "l.docx", tmp_path)
    text = all_text(tmp_path / "l.docx")
    assert "E. Data yang Diterima dengan Peringatan" in text
    assert "realisasi anggaran melebihi pagu" in text and "2.000.000" in text
    assert "F. Perkembangan Realisasi Tahun 2025" in text
    assert "Triwulan I: 20; Triwulan II: -" in text
    # without warnings nor earlier data, neither section appears
    render_report(S.report(), TEMPLATES, tmp_path / "m.docx", tmp_path)
    plain = all_text(tmp_path / "m.docx")
    assert "dengan Peringatan" not in plain and "Perkembangan Realisasi" not in plain
