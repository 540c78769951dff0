"""FastTemplate (daemon/documents/fasttpl.py) writes what stock docxtpl writes, byte for byte.

Every document Pantau renders goes through render_docx, now with FastTemplate, and the draft
report's charts are drawn by other processes and put in place after the template renders. These
tests render each document both ways — stock docxtpl.DocxTemplate with docxtpl InlineImages,
as before, and the way Pantau renders it now — and compare every part of the DOCX (the core
properties without their timestamps).
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from docxtpl import DocxTemplate, InlineImage

from daemon.documents import render as R
from daemon.documents import samples as S

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
_STAMPS = re.compile(rb"<dcterms:(created|modified)[^>]*>[^<]*</dcterms:\1>")


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        out = {n: z.read(n) for n in z.namelist()}
    out["docProps/core.xml"] = _STAMPS.sub(b"", out["docProps/core.xml"])
    return out


def assert_same(a: Path, b: Path) -> None:
    pa, pb = parts(a), parts(b)
    assert list(pa) == list(pb)
    for name in pa:
        assert pa[name] == pb[name], name


def big_report(tmp_path: Path):
    from daemon.documents.final import qr_png

    logo = tmp_path / "logo.png"
    logo.write_bytes(qr_png("logo"))
    report = S.report(rows_per_unit=4, n_units=45)  # 3 + 3 charts, a unit without data
    first = report.units[0]
    rows = list(first.rows)
    rows[0] = replace(rows[0], faktor_pendorong="baris satu\nbaris dua", indikator="a\tb <c>")
    units = [replace(first, rows=rows), *report.units[1:]]
    return replace(report, units=units, kantor=replace(report.kantor, logo=str(logo)),
                   catatan_revisi=["catatan\nkedua", "tab\tdi sini"])


def stock_report(report, out: Path, work: Path) -> None:
    """The draft report as render_report wrote it before: charts drawn first, docxtpl
    InlineImages in the context."""
    from docx.shared import Mm

    from daemon.documents.report import _title_logo, charts, report_context

    figures = charts(report)

    def attach(tpl, ctx):
        ctx["grafik"] = [{"gambar": InlineImage(tpl, io.BytesIO(g["png"]), width=Mm(g["width_mm"]),
                                                height=Mm(g["height_mm"])),
                          "judul": g["caption"]} for g in figures]

    props = {
        "title": f"Laporan Pemantauan Kinerja {report.period.label}",
        "subject": f"{report.cycle_code} konsep versi {report.version}",
        "keywords": f"Pantau; {report.cycle_code}; laporan; versi {report.version}",
        "author": report.kantor.nama,
    }
    R.render_docx(TEMPLATES / "laporan.docx", report_context(report), out,
                  images={"logo": _title_logo(report.kantor.logo)}, properties=props,
                  prepare=attach)


def test_draft_report_is_what_stock_docxtpl_writes(tmp_path, monkeypatch):
    from daemon.documents.report import render_report

    report = big_report(tmp_path)
    render_report(report, TEMPLATES, tmp_path / "fast.docx", tmp_path / "work")

    class Stock(DocxTemplate):
        pass

    monkeypatch.setattr("daemon.documents.fasttpl.FastTemplate", Stock)
    stock_report(report, tmp_path / "stock.docx", tmp_path / "work2")
    assert_same(tmp_path / "fast.docx", tmp_path / "stock.docx")
    # the charts were written for the archive, as before
    assert len(list((tmp_path / "work").glob("grafik-*-v2-*.png"))) == 6


def render_all(out: Path) -> list[Path]:
    from daemon.documents.forms import build_form
    from daemon.documents.letters import render_letter

    out.mkdir()
    paths = []
    for kind, purpose in S.LETTER_SAMPLES:
        paths.append(out / f"{kind}-{purpose}.docx")
        render_letter(S.letter(kind, purpose), TEMPLATES, paths[-1])
    paths.append(out / "formulir.docx")
    build_form(S.form_spec(), TEMPLATES, paths[-1])
    return paths


def test_letters_and_form_are_what_stock_docxtpl_writes(tmp_path, monkeypatch):
    fast = render_all(tmp_path / "fast")

    class Stock(DocxTemplate):
        pass

    monkeypatch.setattr("daemon.documents.fasttpl.FastTemplate", Stock)
    for a, b in zip(fast, render_all(tmp_path / "stock"), strict=True):
        assert_same(a, b)


def test_listing_is_resolved_only_where_a_tab_or_line_break_is():
    from daemon.documents.fasttpl import FastTemplate

    xml = ('<w:body><w:p><w:r><w:rPr><w:b/></w:rPr><w:t>a\tb</w:t></w:r></w:p>'
           '<w:tbl><w:tr><w:tc><w:p><w:pPr><w:jc w:val="left"/></w:pPr><w:r><w:t>x</w:t></w:r>'
           '</w:p><w:p><w:r><w:t xml:space="preserve">1\n2\n3</w:t></w:r><w:r><w:t>y</w:t></w:r>'
           '</w:p></w:tc></w:tr></w:tbl><w:p><w:r><w:t>plain</w:t></w:r></w:p>'
           '<w:p><w:r><w:t>end\n</w:t></w:r></w:p></w:body>')
    tpl = FastTemplate.__new__(FastTemplate)
    assert tpl.resolve_listing(xml) == DocxTemplate.resolve_listing(tpl, xml)
    assert tpl.resolve_listing("<w:p><w:r><w:t>x</w:t></w:r></w:p>") == (
        "<w:p><w:r><w:t>x</w:t></w:r></w:p>"
    )


def test_a_table_whose_columns_need_fixing_gets_stock_docxtpl(tmp_path, monkeypatch):
    """A {%tc %} loop adds columns: FastTemplate hands the body to docxtpl's own fix."""
    import docx

    doc = docx.Document()
    t = doc.add_table(rows=2, cols=4)
    for r, first in enumerate(["Kolom", "Baris"]):
        for c, text in enumerate([first, "{%tc for c in cols %}", "{{ c }}", "{%tc endfor %}"]):
            t.cell(r, c).text = text
    tpl_path = tmp_path / "tc.docx"
    doc.save(str(tpl_path))
    ctx = {"cols": ["a", "b", "c", "d", "e"]}
    R.render_docx(tpl_path, ctx, tmp_path / "fast.docx")

    class Stock(DocxTemplate):
        pass

    monkeypatch.setattr("daemon.documents.fasttpl.FastTemplate", Stock)
    R.render_docx(tpl_path, ctx, tmp_path / "stock.docx")
    assert_same(tmp_path / "fast.docx", tmp_path / "stock.docx")
    grid = parts(tmp_path / "fast.docx")["word/document.xml"].count(b"<w:gridCol ")
    assert grid == 6  # 4 in the template, two added for the five values


def test_charts_drawn_by_the_pool_are_the_charts_drawn_here():
    from daemon.documents import charts as C

    specs = C.chart_specs(S.report(rows_per_unit=1, n_units=45))
    drawing = C.Drawing(specs)
    pngs = drawing.result()
    assert drawing._workers >= 1 or (C._pool_size(len(specs)) == 0)  # one CPU: drawn here
    if drawing._workers:
        assert all(p is not None for p in drawing._pngs)  # the pool drew every one
    assert pngs == [C.bar_chart(s) for s in specs]


def test_charts_already_drawn_for_the_same_figures_are_taken_from_the_cache(tmp_path):
    from daemon.documents import charts as C

    report = S.report(rows_per_unit=1, n_units=45)
    specs = C.chart_specs(report)
    first = C.Drawing(specs, cache=tmp_path).result()
    assert len(list(tmp_path.glob("*.png"))) == len(specs) == 6
    again = C.Drawing(specs, cache=tmp_path)
    assert again._todo == [] and again.result() == first
    # one unit's achievement changes: its achievement part is drawn again, nothing else
    u = report.units[5]
    changed = replace(report, units=[*report.units[:5], replace(u, capaian_rata=12.5),
                                     *report.units[6:]])
    redraw = C.Drawing(C.chart_specs(changed), cache=tmp_path)
    assert len(redraw._todo) in (1, 2, 3) and all(i < 3 for i in redraw._todo)
    assert redraw.result()[3:] == first[3:]
    # a cached file cut short (a crash while it was written) is drawn again
    key = C.chart_key(specs[0])
    (tmp_path / f"{key}.png").write_bytes(first[0][:100])
    assert C.Drawing(specs, cache=tmp_path).result() == first


def _forkservers() -> list[int]:
    """This process's children that are multiprocessing forkservers."""
    out = []
    for proc in Path("/proc").iterdir():
        try:
            stat = (proc / "stat").read_text()
            cmd = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if proc.name.isdigit() and int(stat.rsplit(")", 1)[1].split()[1]) == os.getpid() \
                and b"forkserver" in cmd:
            out.append(int(proc.name))
    return out


def test_no_forkserver_is_left_holding_matplotlib_once_reports_stop(monkeypatch):
    import time

    from daemon.documents import charts as C

    monkeypatch.setattr(C, "FORKSERVER_IDLE_S", 0.5)
    specs = C.chart_specs(S.report(rows_per_unit=1, n_units=45))
    drawing = C.Drawing(specs)
    drawing.result()
    if not drawing._workers:
        pytest.skip("one CPU: the charts are drawn here, no pool")
    C.Drawing(specs).result()  # a second report in the burst: the same forkserver, kept
    assert len(_forkservers()) == 1
    deadline = time.monotonic() + 10
    while _forkservers() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _forkservers() == []
    assert C.Drawing(specs).result() == [C.bar_chart(s) for s in specs]  # a new one works


def test_the_chart_cache_keeps_the_most_recently_used(tmp_path):
    from daemon.documents import charts as C

    for n in range(8):
        (tmp_path / f"lama{n}.png").write_bytes(b"x")
        os.utime(tmp_path / f"lama{n}.png", (1_000_000 + n, 1_000_000 + n))
    (tmp_path / "dipakai.png").write_bytes(b"x")
    os.utime(tmp_path / "dipakai.png", (1, 1))  # the oldest, but this drawing's own
    assert C.prune_cache(tmp_path, {"dipakai.png"}, limit=4) == 5
    left = sorted(p.name for p in tmp_path.glob("*.png"))
    assert left == ["dipakai.png", "lama5.png", "lama6.png", "lama7.png"]


def test_only_start_tags_that_declare_a_namespace_are_marked():
    from daemon.documents.fasttpl import _declaring

    xml = ('<w:p><w:r><w:t>teks xmlns:a="x" bukan tag</w:t></w:r><w:r><w:drawing>'
           '<wp:inline xmlns:wp="urn:wp" xmlns:a="urn:a"><a:graphic xmlns:a="urn:a"/>'
           '</wp:inline></w:drawing></w:r></w:p>')
    found = _declaring(xml)
    assert [name for _, name, _ in found] == ["wp:inline", "a:graphic"]
    assert all(xml[at] in " >" for at, _, _ in found)
