"""`pantau init` and `pantau check` as an operator meets them: a new office passes, and each kind
of mistake gives exit 2 with a message that names the key (or file), the value and what is
expected."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from docx import Document

from tools import pantau_main

ROOT = Path(__file__).resolve().parents[1]


def pantau(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    e = {k: v for k, v in os.environ.items() if not k.startswith("PANTAU_")}
    e.update(env or {})
    return pantau_main(args, env=e)  # in-process, as tests/tools.py describes


@pytest.fixture
def office(office_factory, tmp_path) -> Path:
    """A new office, as `pantau init` makes it (the init tests below run the command)."""
    return office_factory(tmp_path / "kantor").root


def check(office: Path, *extra: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return pantau(
        "--config", str(office / "config" / "pantau.toml"), "check", "--offline", *extra, env=env
    )


def edit(office: Path, old: str, new: str, count: int = 1) -> None:
    p = office / "config" / "pantau.toml"
    text = p.read_text()
    assert old in text, old
    p.write_text(text.replace(old, new, count))


def test_init_makes_a_complete_office_that_passes_check(tmp_path):
    office = tmp_path / "kantor"
    r = pantau("init", str(office))
    assert r.returncode == 0, r.stderr
    for rel in (
        "config/pantau.toml",
        "config/sop.toml",
        "config/indikator.csv",
        "config/libur.txt",
        "templates/surat_dinas.docx",
        "templates/nota_dinas.docx",
        "templates/undangan.docx",
        "templates/pengantar.docx",
        "templates/ringkasan.docx",
        "templates/formulir.docx",
        "templates/laporan.docx",
        "templates/email/permintaan_data.txt",
        "templates/email/_kaki.txt",
    ):
        assert (office / rel).is_file(), rel
    assert (office / "var").is_dir()
    r = check(office)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Semua pemeriksaan lulus" in r.stdout
    assert "SALAH" not in r.stdout
    # The example office runs on the embedded Maildir transport; check says that is for demos.
    assert "PERINGATAN  mail.transport" in r.stdout


def test_init_refuses_an_existing_office(office):
    r = pantau("init", str(office))
    assert r.returncode == 1
    assert "sudah ada" in r.stderr


def test_init_tells_the_next_steps(tmp_path):
    r = pantau("init", str(tmp_path / "k"))
    assert "pantau --config" in r.stdout and "check --offline" in r.stdout
    assert "docs/panduan-operator.md" in r.stdout


def _break_docx(office: Path) -> None:
    d = Document(office / "templates" / "nota_dinas.docx")
    d.add_paragraph("{{ isian_tidak_ada }}")
    d.save(office / "templates" / "nota_dinas.docx")


def _append(path: Path, text: str) -> None:
    with path.open("a") as f:
        f.write(text)


# Mistakes in pantau.toml itself are all reported together (the file is read once, every problem
# collected); the others are found by the checks that run once the file loads. Each group is one
# office with every mistake of its kind, checked once; each case then looks for its own line.
CONFIG_CASES = {
    "malformed e-mail address": (
        lambda o: edit(o, 'email = "camat@kecamatan.test"', 'email = "camat@@kecamatan"'),
        ["pejabat.camat.email", "'camat@@kecamatan'", "bukan alamat e-mail yang sah"]),
    "malformed wakil address": (
        lambda o: edit(o, "wakil = []", 'wakil = ["ajudan kecamatan"]'),
        ["pejabat.camat.wakil", "'ajudan kecamatan'", "bukan alamat e-mail"]),
    "duplicate unit codes": (
        lambda o: edit(o, 'kode = "PEM"', 'kode = "SEK"'),
        ["unit[2].kode", "'SEK'", "lebih dari sekali"]),
    "cron that is not a cron": (
        lambda o: edit(o, 'cron = "0 8 5 1,4,7,10 *"', 'cron = "setiap triwulan"'),
        ["jadwal.cron", "'setiap triwulan'", "bukan jadwal cron", "diharapkan"]),
    "unknown time zone": (
        lambda o: edit(o, 'zona_waktu = "Asia/Jakarta"', 'zona_waktu = "Asia/Bandung"'),
        ["kantor.zona_waktu", "'Asia/Bandung'", "bukan zona waktu", "Asia/Jakarta"]),
}
CHECK_CASES = {
    "unit in the indicator master that the config lacks": (
        lambda o: _append(
            o / "config" / "indikator.csv", "XYZ,1,s,p,k,sk,Indikator X,dokumen,positif,3,,,,,\n"
        ),
        ["indikator.file", "XYZ", "bukan kode unit yang terdaftar"],
    ),
    "missing template": (
        lambda o: (o / "templates" / "undangan.docx").unlink(),
        ["templates/undangan.docx", "tidak ada", "diharapkan"],
    ),
    "missing e-mail template": (
        lambda o: (o / "templates" / "email" / "pengingat.txt").unlink(),
        ["templates/email/pengingat.txt", "tidak ada"],
    ),
    "e-mail template that does not render": (
        lambda o: _append(
            o / "templates" / "email" / "konsep.txt", "{{ kantor.nama | tak_dikenal }}\n"
        ),
        ["templates/email/konsep.txt", "tidak dapat dirender", "tak_dikenal", "diharapkan"],
    ),
    "document template that does not render": (
        _break_docx,
        ["templates/nota_dinas.docx", "tidak dapat dirender", "isian_tidak_ada", "diharapkan"],
    ),
    "cron that never fires": (
        lambda o: edit(o, 'cron = "0 8 5 1,4,7,10 *"', 'cron = "0 8 31 2 *"'),
        ["jadwal.cron", "'0 8 31 2 *'", "tidak pernah berjalan", "diharapkan"],
    ),
    "bad extra holidays file": (
        lambda o: _append(o / "config" / "libur.txt", "2025-02-30 libur\n"),
        ["kantor.libur_tambahan", "2025-02-30", "YYYY-MM-DD"],
    ),
}


def _broken_office(tmp_path_factory, cases: dict) -> subprocess.CompletedProcess:
    target = tmp_path_factory.mktemp("kantor") / "kantor"
    assert pantau("init", str(target)).returncode == 0
    for mutate, _ in cases.values():
        mutate(target)
    return check(target)


@pytest.fixture(scope="module")
def config_mistakes(tmp_path_factory):
    return _broken_office(tmp_path_factory, CONFIG_CASES)


@pytest.fixture(scope="module")
def check_mistakes(tmp_path_factory):
    return _broken_office(tmp_path_factory, CHECK_CASES)


def _assert_named(r: subprocess.CompletedProcess, expected: list[str]) -> None:
    assert r.returncode == 2, r.stdout + r.stderr
    lines = [ln for ln in r.stdout.splitlines() if "SALAH" in ln]
    assert any(all(part in ln for part in expected) for ln in lines), (expected, r.stdout)


@pytest.mark.parametrize("case", list(CONFIG_CASES))
def test_each_config_mistake_gives_exit_2_naming_key_value_and_expectation(config_mistakes, case):
    _assert_named(config_mistakes, CONFIG_CASES[case][1])


@pytest.mark.parametrize("case", list(CHECK_CASES))
def test_each_office_mistake_gives_exit_2_naming_key_value_and_expectation(check_mistakes, case):
    _assert_named(check_mistakes, CHECK_CASES[case][1])


def test_a_configured_unit_without_indicators_is_named(office):
    edit(
        office,
        '[[unit]]\nkode = "SEK"',
        '[[unit]]\nkode = "BARU"\nnama = "Seksi Baru"\nemail = '
        '"baru@kecamatan.test"\n\n[[unit]]\nkode = "SEK"',
    )
    _assert_named(check(office), ["indikator.file", "'BARU'", "tidak punya satu pun indikator"])


def test_check_json_lists_problems_warnings_and_notes(office):
    edit(office, 'zona_waktu = "Asia/Jakarta"', 'zona_waktu = "Asia/Bandung"')
    r = check(office, "--json")
    assert r.returncode == 2
    data = json.loads(r.stdout)
    assert set(data) >= {"config", "problems", "warnings", "notes"}
    assert any("kantor.zona_waktu" in p for p in data["problems"])


# ============================================================================ a real IMAP account


def real_addresses(office: Path) -> None:
    p = office / "config" / "pantau.toml"
    p.write_text(p.read_text().replace("kecamatan.test", "linggosari.go.id"))


def imap_office(office: Path, imap: str, smtp: str) -> None:
    real_addresses(office)
    edit(office, 'transport = "maildir"', 'transport = "imap"')
    text = (office / "config" / "pantau.toml").read_text()
    start = text.index("[mail.imap]")
    end = text.index("[mail.maildir]")
    (office / "config" / "pantau.toml").write_text(
        text[:start] + imap + "\n" + smtp + "\n" + text[end:]
    )


GMAIL_IMAP = """[mail.imap]
host = "imap.gmail.com"
port = 993
keamanan = "ssl"
username = "pantau@linggosari.go.id"
password_env = "PANTAU_IMAP_PASSWORD"
"""
GMAIL_SMTP = """[mail.smtp]
host = "smtp.gmail.com"
port = 465
keamanan = "ssl"
username = "pantau@linggosari.go.id"
password_env = "PANTAU_SMTP_PASSWORD"
"""
SECRETS = {"PANTAU_IMAP_PASSWORD": "abcdefghijklmnop", "PANTAU_SMTP_PASSWORD": "abcdefghijklmnop"}


def test_a_gmail_account_passes_offline_check(office):
    imap_office(office, GMAIL_IMAP, GMAIL_SMTP)
    edit(office, 'authserv_id = ""', 'authserv_id = "mx.google.com"')
    r = check(office, env=SECRETS)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "PERINGATAN" not in r.stdout, r.stdout


@pytest.fixture
def mail_check(monkeypatch):
    """run_checks in-process, templates taken as fine (they are checked above): the mail part
    only."""
    from daemon.config import load_config
    from daemon.operator import checks

    monkeypatch.setattr(checks, "check_templates", lambda cfg: [])

    def run(office: Path, env: dict | None = None) -> str:
        for k in list(os.environ):
            if k.startswith("PANTAU_"):
                monkeypatch.delenv(k)
        for k, v in (env or {}).items():
            monkeypatch.setenv(k, v)
        rep = checks.run_checks(load_config(office / "config" / "pantau.toml"), offline=True)
        return "\n".join(
            [f"SALAH {p}" for p in rep.problems] + [f"PERINGATAN {w}" for w in rep.warnings]
        )

    return run


def test_missing_password_names_the_variable(office, mail_check):
    imap_office(office, GMAIL_IMAP, GMAIL_SMTP)
    out = mail_check(office)
    assert "SALAH mail.imap.password_env: variabel lingkungan PANTAU_IMAP_PASSWORD kosong" in out
    assert "SALAH mail.smtp.password_env: variabel lingkungan PANTAU_SMTP_PASSWORD kosong" in out


def test_example_addresses_left_in_are_errors_for_a_real_mail_server(office, mail_check):
    edit(office, 'transport = "maildir"', 'transport = "imap"')
    edit(office, 'host = "127.0.0.1"', 'host = "mail.linggosari.go.id"', 2)
    out = mail_check(office, SECRETS)
    assert "SALAH pejabat.camat.email: 'camat@kecamatan.test' masih alamat contoh" in out
    assert "SALAH unit[1].email: 'sek@kecamatan.test' masih alamat contoh" in out
    assert "PERINGATAN kantor.domain: 'kecamatan.test' masih domain contoh" in out


def test_example_addresses_are_only_a_warning_with_a_mail_server_on_this_machine(
    office, mail_check
):
    # A test stack on loopback serving the example domain is a developer's setup, not a mistake.
    edit(office, 'transport = "maildir"', 'transport = "imap"')
    out = mail_check(office, SECRETS)
    assert "SALAH" not in out, out
    assert "PERINGATAN pejabat.camat.email: 'camat@kecamatan.test' masih alamat contoh" in out


def test_gmail_sent_folder_is_a_warning(office, mail_check):
    imap_office(office, GMAIL_IMAP + 'folder_terkirim = "[Gmail]/Sent Mail"\n', GMAIL_SMTP)
    out = mail_check(office, SECRETS)
    assert "SALAH" not in out
    assert (
        "PERINGATAN mail.imap.folder_terkirim: '[Gmail]/Sent Mail'; Gmail / Google Workspace" in out
    )
    assert "tersimpan dua kali" in out


def test_port_and_tls_mode_that_do_not_match_are_a_warning(office, mail_check):
    imap_office(office, GMAIL_IMAP, GMAIL_SMTP.replace("port = 465", "port = 587"))
    out = mail_check(office, SECRETS)
    assert "PERINGATAN mail.smtp.port: 587 dengan keamanan = 'ssl' tidak lazim" in out


def test_gmail_needs_the_full_address_as_user_name(office, mail_check):
    imap_office(
        office,
        GMAIL_IMAP.replace('username = "pantau@linggosari.go.id"', 'username = "pantau"'),
        GMAIL_SMTP,
    )
    out = mail_check(office, SECRETS)
    assert (
        "SALAH mail.imap.username: 'pantau'; Gmail / Google Workspace memerlukan alamat surel "
        "lengkap"
        in out
    )


M365_IMAP = GMAIL_IMAP.replace("imap.gmail.com", "outlook.office365.com")
M365_SMTP = (
    GMAIL_SMTP.replace("smtp.gmail.com", "smtp.office365.com")
    .replace("465", "587")
    .replace('"ssl"', '"starttls"')
)


def test_microsoft_365_without_oauth2_is_an_error(office, mail_check):
    imap_office(office, M365_IMAP, M365_SMTP)
    out = mail_check(office, SECRETS)
    assert (
        "SALAH mail.imap.host: outlook.office365.com (Microsoft 365) tidak menerima login kata "
        "sandi"
        in out
    )
    assert "SALAH mail.smtp.host: smtp.office365.com (Microsoft 365)" in out
    assert "[mail.imap.oauth2]" in out


def test_microsoft_365_with_a_missing_token_command_names_it(office, mail_check):
    imap_office(
        office,
        M365_IMAP + '[mail.imap.oauth2]\ntoken_command = "/tidak/ada/ambil-token"\n',
        M365_SMTP,
    )
    out = mail_check(office)
    assert (
        "SALAH mail.imap.oauth2.token_command: perintah '/tidak/ada/ambil-token' tidak ditemukan"
        in out
    )
    assert "password_env" not in out  # OAuth2 needs no password
    assert "Microsoft 365" not in out  # OAuth2 is what it asks for


def test_microsoft_365_with_oauth2_passes(office, mail_check, tmp_path):
    helper = tmp_path / "ambil-token"
    helper.write_text("#!/bin/sh\necho token\n")
    helper.chmod(0o755)
    imap_office(
        office,
        M365_IMAP + f'[mail.imap.oauth2]\ntoken_command = "{helper} --akun pantau"\n',
        M365_SMTP,
    )
    out = mail_check(office)
    assert "SALAH" not in out, out


def ews_office(office: Path, server: str = "mail.linggosari.go.id") -> None:
    real_addresses(office)
    edit(office, 'transport = "maildir"', 'transport = "ews"')
    with (office / "config" / "pantau.toml").open("a") as f:
        f.write(f'\n[mail.ews]\nserver = "{server}"\nusername = "LINGGOSARI\\\\pantau"\n')


def test_ews_is_said_plainly_to_be_unavailable_when_this_version_lacks_it(
    office, mail_check, monkeypatch
):
    from daemon.operator import checks_mail

    monkeypatch.setattr(checks_mail, "ews_available", lambda: False)
    ews_office(office)
    out = mail_check(office)
    assert (
        'SALAH mail.transport: "ews" (Exchange Web Services) belum tersedia pada versi Pantau ini'
        in out
    )
    assert 'diharapkan "imap"' in out


def test_ews_needs_its_password_and_is_refused_for_exchange_online(office, mail_check, monkeypatch):
    from daemon.operator import checks_mail

    monkeypatch.setattr(checks_mail, "ews_available", lambda: True)
    ews_office(office, "outlook.office365.com")
    out = mail_check(office)
    assert "SALAH mail.ews.password_env: variabel lingkungan PANTAU_EWS_PASSWORD kosong" in out
    assert "SALAH mail.ews.server: 'outlook.office365.com' adalah Exchange Online" in out
    assert "1 Oktober 2026" in out


def test_online_check_reports_an_unreachable_server(office):
    imap_office(office, GMAIL_IMAP.replace("imap.gmail.com", "127.0.0.1").replace("993", "1"),
                GMAIL_SMTP.replace("smtp.gmail.com", "127.0.0.1").replace("465", "1"))
    r = pantau("--config", str(office / "config" / "pantau.toml"), "check", env=SECRETS)
    assert r.returncode == 2
    assert "mail (imap): IMAP: koneksi ke 127.0.0.1:1 ditolak" in r.stdout
