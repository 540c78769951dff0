"""`pantau inspect --json` shows the reply reading (SPEC §3.2): auto-replies and delivery reports
carry no decision (`none`) whatever their text says; an unclear reply lists why, quoting the
words; the S11 code is reported as given, never printed. And `[balasan]` in pantau.toml extends
the word table, validated at start."""

from __future__ import annotations

import json
from email.message import EmailMessage
from pathlib import Path

import pytest

from daemon.config import ConfigError, load_config
from daemon.core.reply_grammar import Grammar
from tools import pantau_main

ROOT = Path(__file__).resolve().parents[1]


def eml(tmp: Path, name: str, body: str, **headers: str) -> Path:
    m = EmailMessage()
    m["From"] = headers.pop("From", "Camat <camat@kecamatan.test>")
    m["To"] = "pantau@kecamatan.test"
    m["Subject"] = headers.pop("Subject", "Re: [PK-2025-TW3][#K7Q2-M9XA] Konsep laporan")
    m["Message-ID"] = f"<{name}@kecamatan.test>"
    for k, v in headers.items():
        m[k.replace("_", "-")] = v
    m.set_content(body)
    path = tmp / f"{name}.eml"
    path.write_bytes(bytes(m))
    return path


def inspect_json(cwd: Path, *files: Path) -> list[dict]:
    r = pantau_main(
        ["inspect", "--json", *map(str, files)],
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        cwd=cwd,
    )
    assert r.returncode == 0, r.stderr
    return [json.loads(line) for line in r.stdout.splitlines()]


def test_inspect_reports_none_for_auto_replies_and_bounces(tmp_path):
    auto = eml(tmp_path, "auto", "SETUJU\nSaya sedang cuti sampai 10 Oktober.",
               Auto_Submitted="auto-replied", Subject="Otomatis: Konsep laporan")
    bounce = eml(tmp_path, "bounce", "SETUJU\nThis is the mail system at host x.", From=
                 "MAILER-DAEMON@kecamatan.test", Subject="Undelivered Mail Returned to Sender",
                 Return_Path="<>")
    setuju = eml(tmp_path, "setuju", "SETUJU 482913\n")
    tapi = eml(tmp_path, "tapi", "Setuju, tapi tabel 2 angkanya salah\n")
    a, b, s, t = inspect_json(tmp_path, auto, bounce, setuju, tapi)
    assert (a["kind"], a["decision"]) == ("auto_reply", "none")
    assert (b["kind"], b["decision"]) == ("bounce", "none")
    assert s["decision"] == "approve" and s["code_given"] is True
    assert "482913" not in json.dumps(s)  # the signature code is never printed
    assert t["decision"] == "unclear"
    assert t["unclear"] == [{"kind": "syarat", "words": "tapi tabel 2 angkanya salah", "line": 1}]


@pytest.fixture
def office(office_factory, tmp_path):
    return office_factory(tmp_path).config


def test_an_office_extends_the_word_table(office):
    office.write_text(
        office.read_text() + '\n[balasan]\nsetuju = ["sip"]\nsyarat = ["insyaallah"]\n'
    )
    cfg = load_config(office)
    g = Grammar.from_table(cfg.balasan)
    assert g.read("Sip, lanjutkan").decision == "approve"
    assert g.read("Setuju, insyaallah besok").decision == "unclear"
    assert g.read("Setuju insyaallah").reasons[0].words == "insyaallah"
    assert Grammar.from_table().read("Sip, lanjutkan").decision == "unclear"  # shipped table


@pytest.mark.parametrize(("table", "says"), [
    ('[balasan]\nsetujuu = ["sip"]\n', "balasan.setujuu: daftar tidak dikenal"),
    ('[balasan]\nsetuju = ["salah"]\n', "balasan.setuju: 'salah' memuat syarat"),
    ('[balasan]\nsetuju = "sip"\n', "balasan.setuju: diharapkan daftar kata"),
    ('[balasan]\nsetuju = ["nanti"]\n', "balasan.setuju: 'nanti' memuat syarat"),
    ('[balasan]\nsantun = ["tidak setuju"]\n', "balasan.santun: 'tidak setuju' memuat syarat"),
])
def test_bad_word_tables_are_refused_with_the_key(office, table, says):
    office.write_text(office.read_text() + "\n" + table)
    with pytest.raises(ConfigError) as e:
        load_config(office)
    assert any(says in p for p in e.value.problems), e.value.problems
