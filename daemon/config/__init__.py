"""The office's configuration (SPEC §5): one TOML file, validated at start.

Every problem names the key, the value found and what is expected, in Indonesian, so an operator
can fix the file without reading code. Secrets are never in the file: it names environment
variables (`*_env`). Relative paths are relative to the office directory, the parent of the folder
that holds the file.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from daemon.core.model import Office, Official, Unit
from daemon.core.roles import OFFICIALS, Role
from daemon.core.worktime import parse_duration

DEFAULT_CONFIG = Path("config/pantau.toml")
EMAIL_RE = re.compile(
    r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$|^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+$"
)
ROLES = OFFICIALS  # the keys of [pejabat.*]


class ConfigError(Exception):
    """The configuration cannot be used. `problems` lists every problem found, in Indonesian."""

    def __init__(self, problems: list[str], path: Path | None = None):
        self.problems = problems
        self.path = path
        where = f" ({path})" if path else ""
        super().__init__(
            f"konfigurasi tidak valid{where}:\n" + "\n".join(f"- {p}" for p in problems)
        )


@dataclass
class ImapConfig:
    host: str = "127.0.0.1"
    port: int = 993
    keamanan: str = "ssl"
    username: str = ""
    password_env: str = "PANTAU_IMAP_PASSWORD"
    oauth2_token_command: str = ""
    oauth2_token_file: str = ""
    folder_terkirim: str = ""
    timeout: float = 60.0
    ca_file: str = ""  # a private CA's certificate (e.g. a kabupaten's own Zimbra)


@dataclass
class SmtpConfig:
    host: str = "127.0.0.1"
    port: int = 465
    keamanan: str = "ssl"
    username: str = ""
    password_env: str = "PANTAU_SMTP_PASSWORD"
    timeout: float = 30.0
    ca_file: str = ""


@dataclass
class EwsConfig:
    server: str = ""  # host name (https://<host>/EWS/Exchange.asmx) or the full EWS URL
    username: str = ""
    password_env: str = "PANTAU_EWS_PASSWORD"
    auth: str = "ntlm"
    oauth2_token_command: str = ""  # auth = "oauth2": [mail.ews.oauth2] token_command or token_file
    oauth2_token_file: str = ""


@dataclass
class Limits:
    """Inbound limits (SPEC §3.4)."""

    ukuran_pesan_mb: float = 30.0
    jumlah_lampiran: int = 50
    ukuran_lampiran_mb: float = 25.0
    ukuran_dokumen_mb: float = 20.0  # decompressed DOCX/XLSX
    rasio_kompresi: float = 100.0


@dataclass
class MailConfig:
    transport: str = "maildir"
    alamat: str = ""
    nama: str = "Pantau Kinerja"
    plus_addressing: bool = False
    folder_masuk: str = "INBOX"
    folder_diproses: str = "Pantau/Diproses"
    folder_gagal: str = "Pantau/Gagal"
    folder_diabaikan: str = "Pantau/Diabaikan"
    imap: ImapConfig = field(default_factory=ImapConfig)
    smtp: SmtpConfig = field(default_factory=SmtpConfig)
    ews: EwsConfig = field(default_factory=EwsConfig)
    maildir_path: Path = Path("var/maildir")
    batas: Limits = field(default_factory=Limits)


@dataclass
class Config:
    path: Path
    office_dir: Path
    kantor: Office
    jam_kerja: dict[int, tuple[time, time]]
    libur_tambahan: Path | None
    pejabat: dict[str, Official]
    units: list[Unit]
    undangan_peserta: list[str]
    undangan_tempat: str
    undangan_jam: time
    undangan_durasi_jam: float
    mail: MailConfig
    jadwal_periode: str
    jadwal_cron: str
    perintah_otomatis: bool
    sop_file: Path
    tenggang_kumpul: str
    tinjau_format: bool
    form_format: str
    indikator_file: Path
    db_path: Path
    arsip_dir: Path
    secret_env: str
    secret_file: Path
    authserv_id: str
    nomor_format: str
    nomor_kode: dict[str, str]
    kategori: dict[str, float]
    laporan_tembusan: list[str]
    templates_dir: Path
    log_file: Path | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)
    # [keamanan] (SPEC §3.1): how a deciding reply's sender is authenticated
    verifikasi: str = "tidak"  # dkim | authres | tidak
    dkim_kunci: Path | None = None  # file of DKIM public keys read before DNS
    arc_tepercaya: tuple[str, ...] = ()  # ARC sealers trusted for forwarded mail
    kode_ttd: bool = True  # S11 needs the six-digit signature code
    jadwal_batas_terlambat: str = "5 hari"
    balasan: dict[str, list[str]] = field(default_factory=dict)  # the office's own reply words
    web_url: str = ""  # [web] url: public address of `pantau web`; the final report's QR links here
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    operator_email: list[str] = field(default_factory=list)  # told about held mail, bounces (§3.1)
    ringkasan_harian: bool = True  # the Kasubag's daily digest of what is pending

    @property
    def operators(self) -> list[str]:
        """Who is told about held messages and bounces: `[operator] email`, else the Kasubag."""
        if self.operator_email:
            return list(self.operator_email)
        k = self.pejabat.get(Role.KASUBAG)
        return [k.email] if k and k.email else []

    @property
    def camat(self) -> Official:
        return self.pejabat[Role.CAMAT]

    @property
    def sekretaris(self) -> Official:
        return self.pejabat[Role.SEKRETARIS]

    @property
    def kasubag(self) -> Official:
        return self.pejabat[Role.KASUBAG]

    def unit(self, kode: str) -> Unit:
        for u in self.units:
            if u.kode == kode:
                return u
        raise KeyError(kode)

    def secret(self) -> bytes:
        """The office secret for task tokens: from the environment variable named in the config,
        else from `secret_file`. A pure read: the file is made by `daemon.shell.secret.ensure_secret`
        when the office is created or started, so a fresh office works without setting anything
        and never keeps the secret in the TOML."""
        value = os.environ.get(self.secret_env, "")
        if value:
            return value.encode()
        if self.secret_file.exists():
            return self.secret_file.read_bytes().strip()
        raise ConfigError(
            [
                f"keamanan: rahasia kantor belum ada: variabel {self.secret_env} tidak "
                f"diisi dan berkas {self.secret_file} tidak ditemukan (berkas itu dibuat "
                f"saat kantor dibuat atau dijalankan: pantau init / pantau run)"
            ]
        )


class _Reader:
    """Reads typed values from the TOML tree, collecting problems instead of stopping at the first."""

    def __init__(self, data: dict[str, Any]):
        self.data = data
        self.problems: list[str] = []

    def get(self, key: str, kind: type | tuple, default: Any = ..., expect: str = "") -> Any:
        node: Any = self.data
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                if default is ...:
                    self.problems.append(
                        f"{key}: belum diisi; diharapkan {expect or _kind_name(kind)}"
                    )
                    return None
                return default
            node = node[part]
        if kind is float and isinstance(node, int) and not isinstance(node, bool):
            node = float(node)
        if not isinstance(node, kind) or (kind is int and isinstance(node, bool)):
            self.problems.append(
                f"{key}: nilai {node!r} tidak sesuai; diharapkan {expect or _kind_name(kind)}"
            )
            return None if default is ... else default
        return node

    def choice(self, key: str, options: tuple[str, ...], default: Any = ...) -> Any:
        value = self.get(key, str, default, "salah satu dari " + ", ".join(options))
        if value is not None and value not in options:
            self.problems.append(
                f"{key}: nilai {value!r} tidak dikenal; diharapkan salah satu dari {', '.join(options)}"
            )
            return options[0]
        return value

    def email(self, key: str, value: Any) -> str:
        if value is None or (isinstance(value, str) and not value.strip()):
            self.problems.append(
                f"{key}: alamat e-mail belum diisi; tulis misalnya email = \"nama@kecamatan.go.id\""
            )
            return ""
        if not isinstance(value, str) or not EMAIL_RE.match(value.strip()):
            self.problems.append(
                f"{key}: {value!r} bukan alamat e-mail yang sah (contoh: nama@kecamatan.go.id)"
            )
            return ""
        return value.strip().lower()

    def clock(self, key: str, default: str) -> time:
        text = self.get(key, str, default, 'jam seperti "09:00"')
        try:
            return _parse_time(text or default)
        except ValueError:
            self.problems.append(
                f'{key}: nilai {text!r} bukan jam; diharapkan seperti "09:00" atau "09.00"'
            )
            return _parse_time(default)


def _web_url(r: _Reader) -> str:
    """`[web] url`: the dashboard's public address (links and the final report's QR point here)."""
    url = (r.get("web.url", str, "", '"https://pantau.kecamatan.go.id" atau kosong') or "").strip()
    if url and not url.lower().startswith(("http://", "https://")):
        r.problems.append(f'web.url: nilai {url!r} tidak sah; diharapkan alamat seperti '
                          '"https://pantau.kecamatan.go.id" atau kosong')
        return ""
    return url


def _web_port(r: _Reader) -> int:
    port = r.get("web.port", int, 8080, "nomor 1-65535, misalnya 8080")
    if port is not None and not 0 < port < 65536:
        r.problems.append(
            f"web.port: nilai {port!r} tidak sah; diharapkan nomor 1-65535, misalnya 8080"
        )
        return 8080
    return port or 8080


def _balasan(r: _Reader) -> dict[str, list[str]]:
    """`[balasan]`: words an office adds to the reply grammar (daemon/core/reply_grammar.py), e.g.
    `setuju = ["sip"]`, `syarat = ["asalkan saja"]`. A word that approves may not also be a
    condition, change or negation word."""
    from daemon.core.reply_grammar import GRAMMAR, Grammar

    table = r.get("balasan", dict, {}) or {}
    out: dict[str, list[str]] = {}
    for key, words in table.items():
        if key not in GRAMMAR:
            r.problems.append(f"balasan.{key}: daftar tidak dikenal; diharapkan salah satu dari "
                              + ", ".join(GRAMMAR))
            continue
        if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
            r.problems.append(f'balasan.{key}: diharapkan daftar kata, misalnya ["sip", "mantap"]')
            continue
        out[key] = [w.strip() for w in words]
    if not out:
        return out
    grammar = Grammar.from_table(out)
    for key in ("setuju", "santun", "sapaan", "gelar"):
        for w in out.get(key, []):
            found = grammar.conditions([w], 0)
            if found:
                r.problems.append(f"balasan.{key}: {w!r} memuat syarat, pertanyaan, perubahan "
                                  f"atau penolakan ({found[0].words!r}); kata itu tidak boleh "
                                  "ikut menyetujui")
    return out


def _kind_name(kind: type | tuple) -> str:
    names = {
        str: "teks",
        int: "bilangan bulat",
        float: "angka",
        bool: "true atau false",
        list: "daftar [...]",
        dict: "tabel",
    }
    if isinstance(kind, tuple):
        return " atau ".join(names.get(k, k.__name__) for k in kind)
    return names.get(kind, kind.__name__)


def _parse_time(text: str) -> time:
    m = re.fullmatch(r"\s*(\d{1,2})[.:](\d{2})\s*", text or "")
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        raise ValueError(text)
    return time(int(m.group(1)), int(m.group(2)))


def _parse_hours(r: _Reader, key: str, default: str) -> tuple[time, time]:
    text = r.get(key, str, default, 'rentang jam seperti "07:30-16:00"')
    try:
        a, b = (text or default).split("-")
        start, end = _parse_time(a), _parse_time(b)
        if end <= start:
            raise ValueError
        return start, end
    except ValueError:
        r.problems.append(
            f'{key}: nilai {text!r} bukan rentang jam; diharapkan seperti "07:30-16:00"'
        )
        a, b = default.split("-")
        return _parse_time(a), _parse_time(b)


def _wakil(r: _Reader, key: str, items: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Delegates: plain addresses, or tables `{email = "...", ttd = true}` for one who may also
    sign the final report (a Plt. Camat). Returns (all delegates, those marked `ttd`)."""
    if not isinstance(items, list):
        r.problems.append(f"{key}: diharapkan daftar alamat, misalnya [\"ajudan@kecamatan.go.id\"]")
        return (), ()
    every: list[str] = []
    sign: list[str] = []
    for w in items:
        if isinstance(w, dict):
            unknown = sorted(set(w) - {"email", "ttd"})
            if unknown:
                r.problems.append(
                    f"{key}: kunci {', '.join(unknown)} tidak dikenal; yang tersedia: email, ttd"
                )
            ttd = w.get("ttd", False)
            if not isinstance(ttd, bool):
                r.problems.append(f"{key}: ttd = {ttd!r} tidak sesuai; diharapkan true atau false")
                ttd = False
            addr = r.email(key, w.get("email"))
            if addr:
                every.append(addr)
                if ttd:
                    sign.append(addr)
        else:
            addr = r.email(key, w)
            if addr:
                every.append(addr)
    return tuple(every), tuple(sign)


def resolve_path(office_dir: Path, value: str | Path) -> Path:
    p = Path(value).expanduser()
    return p if p.is_absolute() else (office_dir / p)


def config_path(cli_value: str | None = None) -> Path:
    """Which config file to use: --config, then PANTAU_CONFIG, then config/pantau.toml."""
    return Path(cli_value or os.environ.get("PANTAU_CONFIG") or DEFAULT_CONFIG).resolve()


def load_config(path: str | Path) -> Config:
    """Read, check and resolve the office's pantau.toml: every problem found, section by section,
    is collected and raised together as one ConfigError (in Indonesian). Each section has its own
    small loader below; they run in the order the keys were always read, so the problems keep
    their order."""
    path = Path(path).resolve()
    data = _read_toml(path)
    office_dir = path.parent.parent
    r = _Reader(data)
    kantor = _kantor(r, office_dir)
    pejabat = _pejabat(r)
    units = _units(r, data)
    peserta = [r.email("undangan.peserta", p) for p in (r.get("undangan.peserta", list, []) or [])]
    mail = _mail(r, office_dir)
    jadwal = _jadwal(r, kantor["kantor"].zona_waktu)
    penomoran = _penomoran(r)
    kategori = _kategori(r)
    keamanan = _keamanan(r, office_dir, mail.transport)
    operator_email = _operator_email(r)
    cfg = Config(
        path=path,
        office_dir=office_dir,
        **kantor,
        pejabat=pejabat,
        units=units,
        undangan_peserta=[p for p in peserta if p],
        mail=mail,
        **jadwal,
        **penomoran,
        kategori=kategori,
        **keamanan,
        operator_email=operator_email,
        **_remaining(r, office_dir),
        raw=data,
    )
    for label, p in (("sop.file", cfg.sop_file), ("indikator.file", cfg.indikator_file)):
        if not p.exists():
            r.problems.append(f"{label}: berkas {p} tidak ditemukan")
    if not cfg.templates_dir.is_dir():
        r.problems.append(f"templates.dir: folder templat {cfg.templates_dir} tidak ditemukan")
    if r.problems:
        raise ConfigError(r.problems, path)
    return cfg


def _read_toml(path: Path) -> dict[str, Any]:
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


def _kantor(r: _Reader, office_dir: Path) -> dict[str, Any]:
    """[kantor]: the office, its time zone, working hours and extra holidays file."""
    tz = r.get("kantor.zona_waktu", str, "Asia/Jakarta")
    try:
        ZoneInfo(tz or "Asia/Jakarta")
    except (ZoneInfoNotFoundError, ValueError):
        r.problems.append(
            f'kantor.zona_waktu: {tz!r} bukan zona waktu yang dikenal; diharapkan misalnya "Asia/Jakarta"'
        )
        tz = "Asia/Jakarta"
    logo = r.get("kantor.logo", str, "")
    logo_path = resolve_path(office_dir, logo) if logo else None
    if logo_path and not logo_path.exists():
        r.problems.append(f"kantor.logo: berkas {logo!r} tidak ditemukan")
        logo_path = None
    kantor = Office(
        nama=r.get("kantor.nama", str) or "",
        kabupaten=r.get("kantor.kabupaten", str) or "",
        alamat=r.get("kantor.alamat", str, ""),
        kota=r.get("kantor.kota", str) or "",
        kode_unit=r.get("kantor.kode_unit", str) or "",
        zona_waktu=tz,
        domain=r.get("kantor.domain", str) or "localhost",
        logo=str(logo_path) if logo_path else None,
        telepon=r.get("kantor.telepon", str, ""),
        email=r.get("kantor.email", str, ""),
        laman=r.get("kantor.laman", str, ""),
    )
    weekday = _parse_hours(r, "kantor.jam_kerja", "07:30-16:00")
    friday = _parse_hours(r, "kantor.jam_kerja_jumat", "07:30-16:30")
    jam_kerja = {0: weekday, 1: weekday, 2: weekday, 3: weekday, 4: friday}
    libur = r.get("kantor.libur_tambahan", str, "")

    return {"kantor": kantor, "jam_kerja": jam_kerja,
            "libur_tambahan": resolve_path(office_dir, libur) if libur else None}


def _pejabat(r: _Reader) -> dict[str, Official]:
    """[pejabat.*]: the officials of every role."""
    pejabat: dict[str, Official] = {}
    for role in ROLES:
        key = f"pejabat.{role}"
        if r.get(key, dict, None) is None:
            r.problems.append(
                f"{key}: bagian [{key}] belum ada; diharapkan nama, nip, jabatan, email"
            )
            continue
        wakil, wakil_ttd = _wakil(r, f"{key}.wakil", r.get(f"{key}.wakil", list, []))
        pejabat[role] = Official(
            nama=r.get(f"{key}.nama", str) or "",
            jabatan=r.get(f"{key}.jabatan", str) or "",
            nip=r.get(f"{key}.nip", str, ""),
            pangkat=r.get(f"{key}.pangkat", str, ""),
            email=r.email(f"{key}.email", r.get(f"{key}.email", str)),
            wakil=wakil,
            wakil_ttd=wakil_ttd,
        )

    return pejabat


def _units(r: _Reader, data: dict[str, Any]) -> list[Unit]:
    """[[unit]]: the units, each with its head."""
    units: list[Unit] = []
    raw_units = data.get("unit", [])
    if not isinstance(raw_units, list) or not raw_units:
        r.problems.append(
            "unit: belum ada [[unit]]; diharapkan setidaknya satu unit (kode, nama, email, kepala)"
        )
        raw_units = []
    seen: set[str] = set()
    for i, u in enumerate(raw_units, 1):
        key = f"unit[{i}]"
        if not isinstance(u, dict):
            r.problems.append(f"{key}: diharapkan tabel [[unit]]")
            continue
        kode = u.get("kode")
        if not isinstance(kode, str) or not re.fullmatch(r"[A-Za-z0-9_-]{1,20}", kode):
            r.problems.append(
                f'{key}.kode: nilai {kode!r} tidak sah; diharapkan huruf/angka tanpa spasi, misalnya "PEM"'
            )
            continue
        if kode in seen:
            r.problems.append(f"{key}.kode: kode unit {kode!r} dipakai lebih dari sekali")
        seen.add(kode)
        kepala = u.get("kepala") if isinstance(u.get("kepala"), dict) else {}
        if not isinstance(u.get("nama"), str):
            r.problems.append(f"{key}.nama: belum diisi; diharapkan nama unit")
        units.append(
            Unit(
                kode=kode,
                nama=str(u.get("nama", kode)),
                email=r.email(f'{key}.email (unit "{kode}")', u.get("email")),
                kepala=Official(
                    nama=str(kepala.get("nama", "")),
                    jabatan=str(kepala.get("jabatan", f"Kepala {u.get('nama', kode)}")),
                    nip=str(kepala.get("nip", "")),
                    pangkat=str(kepala.get("pangkat", "")),
                    email=(u.get("email") or "").lower(),
                    wakil=_wakil(r, f"{key}.wakil", u.get("wakil") or [])[0],
                ),
            )
        )

    return units


def _mail(r: _Reader, office_dir: Path) -> MailConfig:
    """[mail]: the transport (IMAP, EWS or Maildir), the folders and the sending limits."""
    transport = r.choice("mail.transport", ("imap", "ews", "maildir"), "maildir")
    limits_raw = r.get("mail.batas", dict, {}) or {}
    limits = Limits(**{k: v for k, v in limits_raw.items() if k in Limits.__dataclass_fields__})
    mail = MailConfig(
        transport=transport,
        alamat=r.email("mail.alamat", r.get("mail.alamat", str)),
        nama=r.get("mail.nama", str, "Pantau Kinerja"),
        plus_addressing=r.get("mail.plus_addressing", bool, False),
        folder_masuk=r.get("mail.folder_masuk", str, "INBOX"),
        folder_diproses=r.get("mail.folder_diproses", str, "Pantau/Diproses"),
        folder_gagal=r.get("mail.folder_gagal", str, "Pantau/Gagal"),
        folder_diabaikan=r.get("mail.folder_diabaikan", str, "Pantau/Diabaikan"),
        imap=ImapConfig(
            host=r.get("mail.imap.host", str, "127.0.0.1"),
            port=r.get("mail.imap.port", int, 993),
            keamanan=r.choice("mail.imap.keamanan", ("ssl", "starttls", "none"), "ssl"),
            username=r.get("mail.imap.username", str, ""),
            password_env=r.get("mail.imap.password_env", str, "PANTAU_IMAP_PASSWORD"),
            oauth2_token_command=r.get("mail.imap.oauth2.token_command", str, ""),
            oauth2_token_file=r.get("mail.imap.oauth2.token_file", str, ""),
            folder_terkirim=r.get("mail.imap.folder_terkirim", str, ""),
            timeout=r.get("mail.imap.timeout", float, 60.0),
            ca_file=r.get("mail.imap.ca_file", str, ""),
        ),
        smtp=SmtpConfig(
            host=r.get("mail.smtp.host", str, "127.0.0.1"),
            port=r.get("mail.smtp.port", int, 465),
            keamanan=r.choice("mail.smtp.keamanan", ("ssl", "starttls", "none"), "ssl"),
            username=r.get("mail.smtp.username", str, ""),
            password_env=r.get("mail.smtp.password_env", str, "PANTAU_SMTP_PASSWORD"),
            timeout=r.get("mail.smtp.timeout", float, 30.0),
            ca_file=r.get("mail.smtp.ca_file", str, ""),
        ),
        ews=EwsConfig(
            server=r.get("mail.ews.server", str, ""),
            username=r.get("mail.ews.username", str, ""),
            password_env=r.get("mail.ews.password_env", str, "PANTAU_EWS_PASSWORD"),
            auth=r.choice("mail.ews.auth", ("ntlm", "oauth2", "basic"), "ntlm"),
            oauth2_token_command=r.get("mail.ews.oauth2.token_command", str, ""),
            oauth2_token_file=r.get("mail.ews.oauth2.token_file", str, ""),
        ),
        maildir_path=resolve_path(office_dir, r.get("mail.maildir.path", str, "var/maildir")),
        batas=limits,
    )
    if transport == "imap" and not mail.imap.username and not mail.imap.oauth2_token_command:
        r.problems.append(
            'mail.imap.username: belum diisi; transport "imap" memerlukan nama pengguna IMAP'
        )
    if transport == "ews" and not mail.ews.server:
        r.problems.append(
            'mail.ews.server: belum diisi; transport "ews" memerlukan alamat server Exchange'
        )
    if transport == "ews" and mail.ews.auth == "oauth2":
        if not (mail.ews.oauth2_token_command or mail.ews.oauth2_token_file):
            r.problems.append(
                'mail.ews.oauth2: belum diisi; auth "oauth2" memerlukan token_command atau token_file'
            )
    elif transport == "ews" and not mail.ews.username:
        r.problems.append(
            f'mail.ews.username: belum diisi; auth "{mail.ews.auth}" memerlukan nama pengguna '
            '(mis. "DOMAIN\\\\pantau" atau "pantau@kecamatan.go.id")'
        )

    return mail


def _jadwal(r: _Reader, tz: str) -> dict[str, Any]:
    """[jadwal]: the period, the cron schedule and how late a form may come."""
    periode = r.choice("jadwal.periode", ("triwulan", "semester", "tahunan"), "triwulan")
    cron = r.get("jadwal.cron", str, "0 8 5 1,4,7,10 *")
    try:
        from apscheduler.triggers.cron import CronTrigger

        CronTrigger.from_crontab(cron or "", timezone=ZoneInfo(tz))
    except (ValueError, TypeError) as e:
        r.problems.append(
            f'jadwal.cron: {cron!r} bukan jadwal cron yang sah ({e}); diharapkan lima bagian, misalnya "0 8 5 1,4,7,10 *"'
        )

    batas_terlambat = r.get("jadwal.batas_terlambat", str, "5 hari") or "5 hari"
    try:
        parse_duration(batas_terlambat)
    except ValueError as e:
        r.problems.append(f"jadwal.batas_terlambat: {e}")
        batas_terlambat = "5 hari"

    return {"jadwal_periode": periode, "jadwal_cron": cron or "0 8 5 1,4,7,10 *",
            "jadwal_batas_terlambat": batas_terlambat}


def _penomoran(r: _Reader) -> dict[str, Any]:
    """[penomoran]: the letter number format and the classification codes."""
    nomor_kode_default = {
        "permintaan_data": "000.8.6.3",
        "nota_dinas": "000.8.6.3",
        "undangan": "000.1.5",
        "laporan": "000.8.6.3",
        "pengantar": "000.8.6.3",
    }
    nomor_kode = dict(nomor_kode_default)
    for k, v in (r.get("penomoran.kode", dict, {}) or {}).items():
        if not isinstance(v, str):
            r.problems.append(
                f'penomoran.kode.{k}: nilai {v!r} tidak sesuai; diharapkan teks seperti "000.8.6.3"'
            )
        else:
            nomor_kode[k] = v
    nomor_format = r.get("penomoran.format", str, "{kode}/{urut}/{unit}/{tahun}")
    if nomor_format and "{urut}" not in nomor_format:
        r.problems.append(
            f"penomoran.format: {nomor_format!r} tidak memuat {{urut}}; nomor register harus tampak di nomor surat"
        )
    else:
        try:
            nomor_format.format(kode="x", urut=1, unit="x", tahun=2025, bulan="I")
        except (KeyError, IndexError, ValueError) as e:
            r.problems.append(
                f"penomoran.format: {nomor_format!r} memuat kunci tidak dikenal {e}; yang tersedia: kode, urut, unit, tahun, bulan"
            )

    return {
        "nomor_format": nomor_format or "{kode}/{urut}/{unit}/{tahun}",
        "nomor_kode": nomor_kode,
    }


def _kategori(r: _Reader) -> dict[str, float]:
    """[kategori]: the achievement bands' lower bounds in percent."""
    kategori = r.get("kategori", dict, {}) or {}
    for k, v in kategori.items():
        if not isinstance(v, (int, float)):
            r.problems.append(
                f"kategori.{k}: nilai {v!r} tidak sesuai; diharapkan batas bawah dalam persen, misalnya 91"
            )

    return {k: float(v) for k, v in kategori.items() if isinstance(v, (int, float))}


def _keamanan(r: _Reader, office_dir: Path, transport: str) -> dict[str, Any]:
    """[keamanan]: how senders are verified (DKIM, Authentication-Results) and trusted ARC."""
    verifikasi = r.choice("keamanan.verifikasi", ("dkim", "authres", "tidak"),
                          "tidak" if transport == "maildir" else "dkim")
    authserv_id = (r.get("keamanan.authserv_id", str, "") or "").strip()
    if verifikasi == "authres" and not authserv_id:
        r.problems.append(
            'keamanan.authserv_id: belum diisi; verifikasi = "authres" memerlukan nama server '
            "penerima yang menulis Authentication-Results (misalnya \"mx.kecamatan.go.id\")"
        )
    kunci = r.get("keamanan.dkim_kunci", str, "") or ""
    dkim_kunci = resolve_path(office_dir, kunci) if kunci else None
    if dkim_kunci is not None:
        from daemon.mail.trust import KeyFileError, load_dkim_keys

        try:
            load_dkim_keys(dkim_kunci)
        except (OSError, KeyFileError) as e:
            r.problems.append(f"keamanan.dkim_kunci: {e}")
    arc = r.get("keamanan.arc_tepercaya", list, []) or []
    if any(not isinstance(x, str) or not x.strip() for x in arc):
        r.problems.append(
            'keamanan.arc_tepercaya: diharapkan daftar nama domain, misalnya ["google.com"]'
        )
        arc = []
    return {"verifikasi": verifikasi, "authserv_id": authserv_id, "dkim_kunci": dkim_kunci,
            "arc_tepercaya": tuple(x.strip().lower().rstrip(".") for x in arc)}


def _operator_email(r: _Reader) -> list[str]:
    """[operator] email: who gets the operator's notices."""
    operator_raw = r.get("operator.email", (list, str), [])
    if isinstance(operator_raw, str):
        operator_raw = [operator_raw] if operator_raw.strip() else []
    operator_email = [e for e in (r.email("operator.email", x) for x in operator_raw or []) if e]

    return operator_email


def _remaining(r: _Reader, office_dir: Path) -> dict[str, Any]:
    """The single keys of the other sections ([templates], [undangan], [sop], [indikator],
    [arsip], the secret, [laporan], [log], [balasan], [web], [operator]), read in the order they
    always were so the problems keep their order."""
    tmpl = r.get("templates.dir", str, "templates")
    return dict(
        undangan_tempat=r.get("undangan.tempat", str, "Aula Kantor Camat"),
        undangan_jam=r.clock("undangan.jam", "09:00"),
        undangan_durasi_jam=r.get("undangan.durasi_jam", float, 6.0),
        perintah_otomatis=r.get("jadwal.perintah_otomatis", bool, False),
        sop_file=resolve_path(office_dir, r.get("sop.file", str, "config/sop.toml")),
        tenggang_kumpul=r.get("sop.tenggang_kumpul", str, "1 hari"),
        tinjau_format=r.get("sop.tinjau_format", bool, False),
        form_format=r.choice("sop.format", ("docx", "xlsx", "both"), "docx"),
        indikator_file=resolve_path(
            office_dir, r.get("indikator.file", str, "config/indikator.csv")
        ),
        db_path=resolve_path(office_dir, r.get("arsip.db", str, "var/pantau.db")),
        arsip_dir=resolve_path(office_dir, r.get("arsip.dir", str, "var/arsip")),
        secret_env=r.get("keamanan.secret_env", str, "PANTAU_SECRET"),
        secret_file=resolve_path(office_dir, r.get("keamanan.secret_file", str, "var/secret")),
        laporan_tembusan=[str(x) for x in (r.get("laporan.tembusan", list, []) or [])],
        templates_dir=resolve_path(office_dir, tmpl),
        log_file=(resolve_path(office_dir, lf) if (lf := r.get("log.file", str, "")) else None),
        kode_ttd=r.get("keamanan.kode_ttd", bool, True),
        balasan=_balasan(r),
        web_url=_web_url(r),
        web_host=r.get("web.host", str, "127.0.0.1") or "127.0.0.1",
        web_port=_web_port(r),
        ringkasan_harian=r.get("operator.ringkasan_harian", bool, True),
    )


# ============================================================================ known keys

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
    "balasan": ANY,  # word lists of the reply grammar: _balasan() checks them against GRAMMAR
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
