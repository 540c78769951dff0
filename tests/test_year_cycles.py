"""Two cycles of one year over the Maildir transport (issue 15 point 7): Triwulan II run to its
close, then Triwulan III, with the demo's simulated office answering both (the units report
80-86 % of target in TW II, 90-96 % in TW III, so the quarters' figures differ). What TW III's
e-Monev export and draft say about TW II is checked against the forms the units sent in TW II,
read back from the archive with python-docx."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from docx import Document
from offices import new_office

from daemon.config import load_config
from daemon.demo.simulation import Simulation, Unit
from daemon.shell.clock import ManualClock
from daemon.shell.office import OfficeApp

WIB = ZoneInfo("Asia/Jakarta")
pytestmark = pytest.mark.slow


def form_values(path: Path) -> dict[str, float]:
    """{indicator: realisation} of a received form, read with python-docx."""
    for table in Document(str(path)).tables:
        head = [c.text.strip() for c in table.rows[0].cells]
        ind = next((i for i, h in enumerate(head) if h.startswith("Indikator")), None)
        if ind is None or "Realisasi" not in head:
            continue
        out = {}
        for row in table.rows[1:]:
            cells = [c.text.strip() for c in row.cells]
            if cells[ind] and cells[head.index("Realisasi")]:
                out[" ".join(cells[ind].split())] = float(
                    cells[head.index("Realisasi")].replace(".", "").replace(",", "."))
        return out
    raise AssertionError(f"no form table in {path}")


def accepted_forms(app: OfficeApp, code: str) -> dict[str, dict[str, float]]:
    """unit -> the values of its last accepted form in cycle `code`, from the archived file."""
    out = {}
    for r in app.store._q(
        "SELECT unit, path FROM submissions WHERE cycle=? AND ok=1 ORDER BY id", (code,)
    ):
        out[r["unit"]] = form_values(Path(r["path"]))
    return out


def number(text: str) -> float | None:
    return float(text.replace(".", "").replace(",", ".")) if text.strip() else None


@pytest.fixture(scope="module")
def year(tmp_path_factory):
    root = tmp_path_factory.mktemp("tahun") / "kantor"
    cfg = load_config(new_office(root).config)
    clock = ManualClock(datetime(2025, 7, 7, 8, 0, tzinfo=WIB))  # Senin, 7 Juli 2025
    app = OfficeApp(cfg, clock=clock)
    first = Simulation(app, clock, out=io.StringIO())
    for p in first.people:
        if isinstance(p, Unit):
            p.factor = 0.8
    assert first.run("2025-TW2") == "PK-2025-TW2"
    assert app.store.load_cycle("PK-2025-TW2").status == "closed"
    clock.set(datetime(2025, 10, 6, 8, 0, tzinfo=WIB))  # Senin, 6 Oktober 2025
    second = Simulation(app, clock, out=io.StringIO())
    assert second.run("2025-TW3") == "PK-2025-TW3"
    assert app.store.load_cycle("PK-2025-TW3").status == "closed"
    yield app
    app.close()


def test_tw3_emonev_export_carries_tw2_beside_tw3(year):
    app = year
    tw2, tw3 = accepted_forms(app, "PK-2025-TW2"), accepted_forms(app, "PK-2025-TW3")
    assert set(tw2) == set(tw3) == {u.kode for u in app.cfg.units}
    csv_doc = [d for d in app.store.documents("PK-2025-TW3") if d["kind"] == "emonev_export_csv"][
        -1
    ]
    rows = list(
        csv.DictReader(io.StringIO(Path(csv_doc["path"]).read_text("utf-8-sig")), delimiter=";")
    )
    assert len(rows) == sum(len(v) for v in tw3.values())
    differ = 0
    for row in rows:
        unit = row["Unit"].rsplit("(", 1)[1].rstrip(")")
        name = " ".join(row["Indikator Kinerja"].split())
        assert number(row["Realisasi TW II"]) == tw2[unit][name], (
            unit,
            name,
            row["Realisasi TW II"],
        )
        assert number(row["Realisasi TW III"]) == tw3[unit][name], (
            unit,
            name,
            row["Realisasi TW III"],
        )
        assert number(row["Realisasi TW I"]) is None and number(row["Realisasi TW IV"]) is None
        differ += tw2[unit][name] != tw3[unit][name]
    assert differ > len(rows) // 2  # the two quarters' figures are told apart, not copied
    # TW II's own export, made before TW III existed, has TW III empty.
    csv2 = [d for d in app.store.documents("PK-2025-TW2") if d["kind"] == "emonev_export_csv"][-1]
    rows2 = list(
        csv.DictReader(io.StringIO(Path(csv2["path"]).read_text("utf-8-sig")), delimiter=";")
    )
    assert all(number(r["Realisasi TW III"]) is None and number(r["Realisasi TW II"]) is not None
               for r in rows2)


def test_data_base_kinerja_keeps_both_quarters(year):
    app = year
    rows = app.store.kinerja_year(2025)
    periods = {r["period"] for r in rows}
    assert {"2025-TW2", "2025-TW3"} <= periods
    tw2 = accepted_forms(app, "PK-2025-TW2")
    names = {u: {v for v in vals} for u, vals in tw2.items()}
    n = 0
    for r in rows:
        if r["period"] == "2025-TW2":
            assert r["realisasi"] in {tw2[r["unit"]][k] for k in names[r["unit"]]}, json.dumps(
                dict(r)
            )
            n += 1
    assert n == sum(len(v) for v in tw2.values())


def test_tw3_draft_shows_tw2_beside_each_indicator(year):
    app = year
    tw2, tw3 = accepted_forms(app, "PK-2025-TW2"), accepted_forms(app, "PK-2025-TW3")
    draft = [d for d in app.store.documents("PK-2025-TW3") if d["kind"] == "draft_report"][-1]
    doc = Document(draft["path"])
    text = " ".join(p.text for p in doc.paragraphs)
    rows = [[" ".join(c.text.split()) for c in r.cells] for t in doc.tables for r in t.rows]
    text += " ".join(" ".join(r) for r in rows)
    assert re.search(r"(TW|Triwulan) II(?!I)", text), "the draft names no earlier quarter"
    for unit, values in tw3.items():
        for name, value in values.items():
            # the row of the earlier-periods table: TW II's figure beside TW III's
            before, now = (f"{x:g}".replace(".", ",") for x in (tw2[unit][name], value))
            candidates = [r for r in rows if name in r]
            assert candidates, (unit, name)
            assert any(
                re.search(rf"Triwulan II: {re.escape(before)}(?!\d)", " | ".join(r)) and now in r
                for r in candidates
            ), (unit, name, candidates)


def test_a_forms_plausibility_reads_only_its_units_rows(year):
    """The previous quarter a form is compared with is read per unit (the cost of one form does
    not grow with the office): the same rows as the whole year's, filtered to that unit."""
    from daemon.core import plausibility
    from daemon.core.model import Period

    app = year
    rows = app.store.kinerja_year(2025)
    units = sorted({r["unit"] for r in rows})
    assert len(units) >= 2
    tw3 = Period.parse("2025-TW3")
    for unit in units:
        own = app.store.kinerja_unit_year(2025, unit)
        assert own and {r["unit"] for r in own} == {unit}
        assert sorted(map(str, own)) == sorted(map(str, (r for r in rows if r["unit"] == unit)))
        assert plausibility.previous_figures(own, tw3, unit) == plausibility.previous_figures(
            rows, tw3, unit) != {}
