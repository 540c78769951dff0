"""The keys the configuration knows, and reading the file before any section is: `SCHEMA` (every
table and key), `unknown_keys` (refuses a misspelt key with the closest known name), `toml_error`
(a TOML syntax error in Indonesian, with its line) and `read_toml`, which applies them.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from daemon.config.model import ConfigError, Limits
from daemon.core.roles import OFFICIALS

ROLES = OFFICIALS  # the keys of [pejabat.*]


# Every table and key the configuration knows (SPEC §5 and the extra keys the README names). A
# leaf is None; a table is a dict; `[[unit]]` is a one-element list holding its table; ANY marks a
# table whose keys are the office's own (classification codes, achievement bands). Keys read by
# other modules belong here too: a key missing from this table is refused as unknown.
ANY = "*"
_PERSON = {"nama": None, "nip": None, "pangkat": None, "jabatan": None, "email": None,
           "wakil": None, "ttd": None}
_OAUTH2 = {"token_command": None, "token_file": None}
SCHEMA: dict[str, Any] = {
    "kantor": {
        "nama": None,
        "kabupaten": None,
        "alamat": None,
        "kota": None,
        "kode_unit": None,
        "zona_waktu": None,
        "domain": None,
        "logo": None,
        "telepon": None,
        "email": None,
        "laman": None,
        "jam_kerja": None,
        "jam_kerja_jumat": None,
        "libur_tambahan": None,
    },
    "pejabat": {role: _PERSON for role in ROLES},
    "unit": [
        {
            "kode": None,
            "nama": None,
            "email": None,
            "wakil": None,
            "kepala": {"nama": None, "nip": None, "pangkat": None, "jabatan": None, "email": None},
        }
    ],
    "undangan": {"peserta": None, "tempat": None, "jam": None, "durasi_jam": None},
    "mail": {
        "transport": None,
        "alamat": None,
        "nama": None,
        "plus_addressing": None,
        "folder_masuk": None,
        "folder_diproses": None,
        "folder_gagal": None,
        "folder_diabaikan": None,
        "imap": {
            "host": None,
            "port": None,
            "keamanan": None,
            "username": None,
            "password_env": None,
            "folder_terkirim": None,
            "timeout": None,
            "ca_file": None,
            "oauth2": _OAUTH2,
        },
        "smtp": {
            "host": None,
            "port": None,
            "keamanan": None,
            "username": None,
            "password_env": None,
            "timeout": None,
            "ca_file": None,
        },
        "ews": {
            "server": None,
            "username": None,
            "password_env": None,
            "auth": None,
            "oauth2": _OAUTH2,
        },
        "maildir": {"path": None},
        "batas": {k: None for k in Limits.__dataclass_fields__},
    },
    "jadwal": {"periode": None, "cron": None, "perintah_otomatis": None, "batas_terlambat": None},
    "sop": {"file": None, "tenggang_kumpul": None, "tinjau_format": None, "format": None},
    "indikator": {"file": None},
    "arsip": {"db": None, "dir": None},
    "keamanan": {
        "secret_env": None,
        "secret_file": None,
        "authserv_id": None,
        "verifikasi": None,
        "dkim_kunci": None,
        "arc_tepercaya": None,
        "kode_ttd": None,
    },
    "penomoran": {"format": None, "kode": ANY},
    "kategori": ANY,
    "laporan": {"tembusan": None},
    "templates": {"dir": None},
    "log": {"file": None},
    "operator": {"email": None, "ringkasan_harian": None},
    "web": {"url": None, "host": None, "port": None},
    "balasan": ANY,  # reply grammar word lists: sections/balasan.py checks them against GRAMMAR
}


def _closest(name: str, known: list[str]) -> str | None:
    import difflib

    found = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return found[0] if found else None


def unknown_keys(data: dict[str, Any], schema: dict[str, Any] | None = None,
                 prefix: str = "") -> list[str]:
    """Every table and key of `data` the schema does not know, each with the closest known name."""
    schema = SCHEMA if schema is None else schema
    problems: list[str] = []
    for key, value in data.items():
        full = f"{prefix}.{key}" if prefix else key
        is_table = isinstance(value, dict)
        if key not in schema:
            near = _closest(key, list(schema))
            base = f"{prefix}." if prefix else ""
            if is_table:
                msg = f"[{full}]: bagian tidak dikenal"
                if near:
                    msg += f"; maksud Anda [{base}{near}]?"
            else:
                msg = f"{full}: kunci tidak dikenal"
                if near:
                    msg += f"; maksud Anda {base}{near}?"
            problems.append(msg)
            continue
        sub = schema[key]
        if sub is ANY or sub is None:
            continue
        if isinstance(sub, list):
            items = value if isinstance(value, list) else []
            for i, item in enumerate(items, 1):
                if isinstance(item, dict):
                    problems += unknown_keys(item, sub[0], f"{full}[{i}]")
        elif isinstance(sub, dict) and is_table:
            problems += unknown_keys(value, sub, full)
    return problems


# tomllib's messages, in the order they are tried, and how an operator reads them.


# tomllib's messages, in the order they are tried, and how an operator reads them.
_TOML_MESSAGES = [
    (
        r"Illegal character '\\n'",
        'baris berakhir sebelum teks ditutup: tanda kutip penutup (") belum ada',
    ),
    (r"Illegal character", "ada karakter yang tidak boleh di sini"),
    (r"Unterminated string", "teks belum ditutup dengan tanda kutip"),
    (r"Expected '=' after a key", "setelah nama kunci harus ada tanda = lalu nilainya"),
    (
        r"Invalid value",
        'nilai tidak sah: teks harus diapit tanda kutip (nama = "..."), angka '
        "tanpa kutip, daftar di dalam [ ]",
    ),
    (
        r"Cannot overwrite a value|Cannot declare .* twice",
        "kunci atau bagian ini sudah ditulis sebelumnya (ditulis dua kali)",
    ),
    (r"Expected '\]' at the end of a table declaration", "nama bagian harus ditutup dengan ]"),
    (
        r"Expected '\]\]' at the end of an array declaration",
        "nama bagian [[...]] harus ditutup dengan ]]",
    ),
    (r"Unclosed array", "daftar [ ... ] belum ditutup dengan ]"),
    (r"Unclosed inline table", "tabel { ... } belum ditutup dengan }"),
    (
        r"Expected newline or end of document",
        "setelah satu nilai harus ganti baris (satu kunci per baris)",
    ),
    (r"Invalid statement", "baris ini tidak dapat dibaca sebagai kunci = nilai atau [bagian]"),
    (r"Invalid initial character for a key part", "nama kunci tidak boleh diawali karakter ini"),
    (r"Invalid date or datetime|Invalid time", "tanggal atau jam tidak sah"),
]


def toml_error(e: Exception, text: str) -> str:
    """A TOML syntax error in Indonesian, with its line and column and the line itself."""
    import re as _re

    msg = str(e)
    what = next((id_ for pat, id_ in _TOML_MESSAGES if _re.search(pat, msg)), None)
    what = what or f"kesalahan penulisan TOML ({_re.sub(r' [(]at .*[)]$', '', msg)})"
    m = _re.search(r"at line (\d+), column (\d+)", msg)
    lines = text.splitlines()
    if m:
        line, col = int(m.group(1)), int(m.group(2))
    else:  # "at end of document": the last line that holds something
        line = max((i for i, t in enumerate(lines, 1) if t.strip()), default=1)
        col = len(lines[line - 1]) + 1 if lines else 1
    shown = lines[line - 1].rstrip() if 0 < line <= len(lines) else ""
    out = f"berkas bukan TOML yang sah: baris {line}, kolom {col}: {what}"
    if shown:
        out += f"\n    {line:>4} | {shown}\n           {' ' * max(col - 1, 0)}^"
    return out


def read_toml(path: Path) -> dict[str, Any]:
    """The TOML tree of the file; a missing file, bad encoding, bad TOML or an unknown key stops
    here, before any section is read."""
    if not path.exists():
        raise ConfigError(
            [f"berkas konfigurasi {path} tidak ditemukan (buat dengan `pantau init DIR`)"], path
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError(
            [
                f"berkas tidak tersimpan sebagai UTF-8 (bita ke-{e.start + 1}); simpan ulang "
                "sebagai UTF-8"
            ],
            path,
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError([toml_error(e, text)], path) from None
    unknown = unknown_keys(data)
    if unknown:
        raise ConfigError(unknown, path)
    return data
