"""Letter subjects are data in config/sop.toml (`perihal` per step), not strings in the engine:
an office that rewords one sees its words in the letter; an older sop.toml without `perihal`
keeps the subjects it had; a subject with an unknown placeholder is refused at load time."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from daemon.core import engine as E
from daemon.core.sop import SopError, load_sop, parse_sop
from tests.test_engine import Run

ROOT = Path(__file__).resolve().parents[1]
RAW = tomllib.loads((ROOT / "config" / "sop.toml").read_text(encoding="utf-8"))


def _letters(sop) -> dict[str, str]:
    r = Run(sop=sop)
    r.ev(E.Start(period="2025-TW3"))
    r.reply("S1", "approve")
    return {fx.step: fx.hal for fx in r.of(E.SendLetter)}


def test_the_shipped_subjects_come_from_sop_toml():
    assert _letters(load_sop(ROOT / "config" / "sop.toml")) == {
        "S1": "Permohonan Perintah Pelaksanaan Pemantauan Kinerja Triwulan III Tahun 2025",
        "S3": "Permintaan Data Pemantauan Kinerja Triwulan III Tahun 2025",
    }


def test_an_office_rewords_a_subject():
    raw = {**RAW, "langkah": [dict(s) for s in RAW["langkah"]]}
    raw["langkah"][0]["perihal"] = "Mohon Perintah Camat: Pemantauan {periode}"
    assert (
        _letters(parse_sop(raw))["S1"] == "Mohon Perintah Camat: Pemantauan Triwulan III Tahun 2025"
    )


def test_an_older_sop_toml_without_perihal_keeps_its_subjects():
    raw = {
        **RAW,
        "langkah": [{k: v for k, v in s.items() if k != "perihal"} for s in RAW["langkah"]],
    }
    old, new = parse_sop(raw), load_sop(ROOT / "config" / "sop.toml")
    assert [s.perihal for s in old.steps] == [s.perihal for s in new.steps]
    assert sum(1 for s in new.steps if s.perihal) == 9


def test_an_unknown_placeholder_is_refused():
    raw = {**RAW, "langkah": [dict(s) for s in RAW["langkah"]]}
    raw["langkah"][0]["perihal"] = "Perintah {tahun}"
    with pytest.raises(SopError) as e:
        parse_sop(raw)
    assert "langkah S1.perihal: 'Perintah {tahun}' tidak dapat diisi" in str(e.value)
