"""Configuration (SPEC §5): the shipped file loads; every error names key, value and expectation."""

from __future__ import annotations

from pathlib import Path

import pytest

from daemon.config import ConfigError, load_config
from daemon.shell.secret import ensure_secret


@pytest.fixture
def office(office_factory, tmp_path):
    return office_factory(tmp_path, secret=False).root  # the secret's own test makes it


def edit(office: Path, old: str, new: str) -> Path:
    p = office / "config" / "pantau.toml"
    text = p.read_text()
    assert old in text, old
    p.write_text(text.replace(old, new, 1))
    return p


def test_shipped_config_loads_with_paths_relative_to_the_office(office):
    cfg = load_config(office / "config" / "pantau.toml")
    assert cfg.kantor.kode_unit == "Kec-LSB"
    assert cfg.db_path == office / "var" / "pantau.db"
    assert cfg.mail.maildir_path == office / "var" / "maildir"
    assert [u.kode for u in cfg.units] == ["SEK", "PEM", "TRANTIB", "PMD", "KESOS"]
    assert cfg.camat.email == "camat@kecamatan.test"


@pytest.mark.parametrize(
    "old,new,expect",
    [
        (
            'email = "camat@kecamatan.test"',
            'email = "camat-at-kecamatan"',
            "pejabat.camat.email: 'camat-at-kecamatan' bukan alamat e-mail",
        ),
        (
            'zona_waktu = "Asia/Jakarta"',
            'zona_waktu = "Asia/Padang"',
            "kantor.zona_waktu: 'Asia/Padang' bukan zona waktu",
        ),
        (
            'cron = "0 8 5 1,4,7,10 *"',
            'cron = "setiap triwulan"',
            "jadwal.cron: 'setiap triwulan' bukan jadwal cron",
        ),
        ('transport = "maildir"', 'transport = "pos"', "mail.transport: nilai 'pos' tidak dikenal"),
        ('kode = "PEM"', 'kode = "SEK"', "kode unit 'SEK' dipakai lebih dari sekali"),
        (
            "port = 993",
            'port = "993"',
            "mail.imap.port: nilai '993' tidak sesuai; diharapkan bilangan bulat",
        ),
        (
            'format = "{kode}/{urut}/{unit}/{tahun}"',
            'format = "{kode}/{unit}/{tahun}"',
            "penomoran.format",
        ),
        ('jam = "09:00"', 'jam = "jam sembilan"', "undangan.jam"),
    ],
)
def test_errors_name_key_value_and_expectation(office, old, new, expect):
    with pytest.raises(ConfigError) as e:
        load_config(edit(office, old, new))
    assert expect in str(e.value)


def test_all_problems_are_reported_at_once(office):
    edit(office, 'email = "camat@kecamatan.test"', 'email = "x"')
    with pytest.raises(ConfigError) as e:
        load_config(edit(office, 'zona_waktu = "Asia/Jakarta"', 'zona_waktu = "Mars/Olympus"'))
    assert len(e.value.problems) >= 2


def test_missing_file_and_bad_toml(tmp_path):
    with pytest.raises(ConfigError, match="tidak ditemukan"):
        load_config(tmp_path / "config" / "pantau.toml")
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "pantau.toml").write_text("[kantor\nnama=")
    with pytest.raises(ConfigError, match="bukan TOML"):
        load_config(tmp_path / "config" / "pantau.toml")


def test_secret_comes_from_env_or_a_private_file(office, monkeypatch):
    cfg = load_config(office / "config" / "pantau.toml")
    monkeypatch.delenv("PANTAU_SECRET", raising=False)
    with pytest.raises(ConfigError, match="rahasia kantor belum ada"):
        cfg.secret()  # a pure read: it creates nothing
    assert not cfg.secret_file.exists()
    ensure_secret(cfg)
    s1 = cfg.secret()
    assert s1 == cfg.secret() and cfg.secret_file.stat().st_mode & 0o077 == 0
    monkeypatch.setenv("PANTAU_SECRET", "rahasia-kantor")
    assert cfg.secret() == b"rahasia-kantor"
