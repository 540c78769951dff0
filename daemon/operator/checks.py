"""`pantau check`: everything an operator can get wrong before the daemon runs, said plainly.

Each problem names the key or file, the value and what is expected (Indonesian), so it can be
fixed without reading code. Problems (`SALAH`) make `pantau check` exit 2; warnings
(`PERINGATAN`) are settings that work but are probably not what the office wants (a port that
does not match its TLS mode, an example address left in, a Sent folder Gmail fills anyway).
Without `--offline` it also logs in to the mail server through the configured transport.
"""

from __future__ import annotations

import ipaddress
import os
import re
import shlex
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from daemon.config import Config


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def run_checks(cfg: Config, offline: bool = True) -> Report:
    rep = Report()
    rep.notes.append(f"konfigurasi {cfg.path} terbaca")
    _check_sop(cfg, rep)
    _check_indicators(cfg, rep)
    _check_people(cfg, rep)
    _check_schedule(cfg, rep)
    _check_calendar(cfg, rep)
    tmpl = check_templates(cfg)
    rep.problems += tmpl
    if not tmpl:
        rep.notes.append(f"templat di {cfg.templates_dir} lengkap dan dapat dirender")
    _check_paths(cfg, rep)
    _check_mail(cfg, rep)
    if not os.environ.get(cfg.secret_env):
        rep.notes.append(
            f"keamanan.secret_env: variabel {cfg.secret_env} tidak diisi; rahasia token disimpan "
            f"di {cfg.secret_file} (ikut dicadangkan bersama var/)"
        )
    _check_trust(cfg, rep)
    if not offline and not (cfg.mail.transport == "ews" and not ews_available()):
        from daemon.shell.office import make_transport

        try:
            transport = make_transport(cfg)
            try:
                issues = transport.check()
            finally:
                transport.close()
        except Exception as e:  # a transport that cannot even be built is one problem, not a crash
            issues = [f"{type(e).__name__}: {e}"]
        rep.problems += [f"mail ({cfg.mail.transport}): {p}" for p in issues]
        if not issues:
            rep.notes.append(f"server surel ({cfg.mail.transport}) dapat dimasuki")
    return rep


# ============================================================================ parts


def _check_trust(cfg: Config, rep: Report) -> None:
    """How a deciding reply's sender is authenticated (SPEC §3.1)."""
    real = cfg.mail.transport != "maildir"
    if cfg.verifikasi == "tidak" and real:
        rep.warnings.append(
            f'keamanan.verifikasi: "tidak" pada transport {cfg.mail.transport!r}: persetujuan, revisi dan '
            "formulir diterima tanpa memeriksa tanda tangan DKIM atau hasil DMARC, sehingga siapa pun yang "
            'dapat mengirim surel atas nama Camat dapat menyetujui. Diharapkan "dkim" (atau "authres" '
            'dengan keamanan.authserv_id); lihat bagian "Keamanan persetujuan" di panduan operator'
        )
    elif cfg.verifikasi == "dkim":
        n = 0
        if cfg.dkim_kunci:
            from daemon.mail.trust import KeyFileError, load_dkim_keys

            try:
                n = len(load_dkim_keys(cfg.dkim_kunci))
            except (OSError, KeyFileError) as e:
                rep.problems.append(f"keamanan.dkim_kunci: {e}")
        rep.notes.append(
            'keamanan.verifikasi: "dkim"; kunci publik DKIM dibaca '
            + (
                f"dari {cfg.dkim_kunci} ({n} kunci), lalu dari DNS"
                if cfg.dkim_kunci
                else "dari DNS"
            )
        )
        if cfg.arc_tepercaya:
            rep.notes.append(
                "keamanan.arc_tepercaya: ARC dipercaya dari " + ", ".join(cfg.arc_tepercaya)
            )
    elif cfg.verifikasi == "authres":
        rep.notes.append(
            f'keamanan.verifikasi: "authres"; hanya dmarc=pass pada Authentication-Results '
            f"teratas dari {cfg.authserv_id} yang diterima"
        )
    if not cfg.kode_ttd:
        rep.warnings.append(
            "keamanan.kode_ttd: false; persetujuan Camat pada S11 (tanda tangan) tidak "
            "memerlukan kode enam angka dari e-mail permohonan"
        )
    elif "tanda_tangan" in _email_kinds(cfg):
        from daemon.mail.compose import EmailTexts

        try:
            _, body = EmailTexts(cfg.templates_dir).render(
                "tanda_tangan", _sample(cfg) | {"kode_ttd": "135790"}
            )
        except Exception:  # noqa: BLE001 - reported by check_email_templates
            return
        if "SETUJU 135790" not in body:
            rep.warnings.append(
                "templates/email/tanda_tangan.txt: tidak memuat {{ kode_ttd }}; Pantau "
                'menambahkan baris "Untuk menandatangani, balas: SETUJU <kode>" di akhir e-mail'
            )


def _email_kinds(cfg: Config) -> list[str]:
    from daemon.mail.compose import EmailTexts

    try:
        return EmailTexts(cfg.templates_dir).kinds()
    except Exception:  # noqa: BLE001
        return []


def _check_sop(cfg: Config, rep: Report) -> None:
    from daemon.core.sop import SopError, load_sop

    try:
        sop = load_sop(cfg.sop_file)
        rep.notes.append(f"SOP {cfg.sop_file.name}: {len(sop.steps)} langkah")
    except SopError as e:
        rep.problems += [f"sop.file ({cfg.sop_file.name}): {p}" for p in e.problems]


def _check_indicators(cfg: Config, rep: Report) -> None:
    from daemon.config.indicators import IndicatorError, load_indicators, units_without_indicators

    try:
        inds = load_indicators(cfg.indikator_file, units={u.kode for u in cfg.units})
    except IndicatorError as e:
        rep.problems += [f"indikator.file ({cfg.indikator_file.name}): {p}" for p in e.problems]
        return
    rep.notes.append(f"indikator {cfg.indikator_file.name}: {len(inds)} baris")
    for code in units_without_indicators([u.kode for u in cfg.units], inds):
        rep.problems.append(
            f"indikator.file ({cfg.indikator_file.name}): unit {code!r} ada di konfigurasi "
            f"([[unit]]) tetapi tidak punya satu pun indikator; diharapkan setidaknya satu baris "
            f"dengan unit = {code}"
        )


def _check_people(cfg: Config, rep: Report) -> None:
    seen: dict[str, str] = {}
    for i, u in enumerate(cfg.units, 1):
        if u.email in seen:
            rep.problems.append(
                f"unit[{i}].email: alamat {u.email!r} sudah dipakai {seen[u.email]}; diharapkan "
                "alamat yang berbeda untuk setiap unit (balasan dikenali dari alamat pengirim)"
            )
        seen.setdefault(u.email, f"unit[{i}] ({u.kode})")
    if cfg.mail.alamat in seen or cfg.mail.alamat in {o.email for o in cfg.pejabat.values()}:
        rep.problems.append(
            f"mail.alamat: {cfg.mail.alamat!r} juga alamat seorang pejabat atau unit; diharapkan "
            "kotak surat tersendiri untuk Pantau"
        )
    if not cfg.undangan_peserta:
        rep.warnings.append(
            "undangan.peserta: kosong; undangan rapat (S7) tidak dikirim kepada siapa pun. "
            "Diharapkan daftar alamat pejabat Eselon III dan IV"
        )
    if cfg.mail.transport != "maildir":
        example = []
        for role, o in cfg.pejabat.items():
            example += [(f"pejabat.{role}.email", o.email)]
        for i, u in enumerate(cfg.units, 1):
            example += [(f"unit[{i}].email", u.email)]
        example += [("mail.alamat", cfg.mail.alamat)]
        # A mail server on this very machine may be a test stack serving a test domain: there an
        # example address is only a warning. Anywhere else mail to it would bounce.
        local = _loopback(cfg.mail.imap.host) if cfg.mail.transport == "imap" else False
        for key, addr in example:
            if addr.endswith((".test", ".example", ".invalid", "@localhost")):
                (rep.warnings if local else rep.problems).append(
                    f"{key}: {addr!r} masih alamat contoh (domain uji yang tidak menerima surat); "
                    "diharapkan alamat e-mail sungguhan orang atau unit ini")
        if cfg.kantor.domain in ("kecamatan.test", "localhost") or cfg.kantor.domain.endswith(
            ".test"
        ):
            rep.warnings.append(
                f"kantor.domain: {cfg.kantor.domain!r} masih domain contoh; diharapkan domain "
                "alamat surel Pantau (bagian setelah @), dipakai untuk Message-ID"
            )


def _check_schedule(cfg: Config, rep: Report) -> None:
    from apscheduler.triggers.cron import CronTrigger

    tz = ZoneInfo(cfg.kantor.zona_waktu)
    now = datetime.now(tz)
    trig = CronTrigger.from_crontab(cfg.jadwal_cron, timezone=tz)
    nxt = trig.get_next_fire_time(None, now)
    if nxt is None or (nxt - now).days > 400:
        rep.problems.append(
            f"jadwal.cron: {cfg.jadwal_cron!r} tidak pernah berjalan dalam setahun ke depan "
            "(tanggal yang tidak ada, mis. 31 Februari?); diharapkan menit jam tanggal bulan hari, "
            'mis. "0 8 5 1,4,7,10 *" = pukul 08.00 tanggal 5 Januari, April, Juli, Oktober'
        )
    else:
        rep.notes.append(
            f"jadwal.cron: siklus berikutnya dimulai {nxt.strftime('%d-%m-%Y %H.%M')} "
            f"({cfg.kantor.zona_waktu}; digeser ke hari kerja berikutnya bila jatuh pada hari libur)"
        )


def _check_calendar(cfg: Config, rep: Report) -> None:
    if not cfg.libur_tambahan:
        return
    if not cfg.libur_tambahan.exists():
        rep.problems.append(
            f"kantor.libur_tambahan: berkas {cfg.libur_tambahan} tidak ditemukan; diharapkan "
            "berkas teks berisi tanggal YYYY-MM-DD per baris (atau kosongkan kuncinya)"
        )
        return
    from daemon.core.worktime import load_extra_days

    try:
        off, on = load_extra_days(cfg.libur_tambahan)
    except ValueError as e:
        rep.problems.append(f"kantor.libur_tambahan: {e}")
        return
    rep.notes.append(f"hari libur tambahan: {len(off)} hari libur, {len(on)} hari kerja pengganti")


def _writable(path: Path) -> bool:
    p = path
    while not p.exists():
        if p.parent == p:
            return False
        p = p.parent
    return os.access(p, os.W_OK | os.X_OK)


def _check_paths(cfg: Config, rep: Report) -> None:
    user = _user()
    for key, p in (
        ("arsip.db", cfg.db_path.parent),
        ("arsip.dir", cfg.arsip_dir),
        ("log.file", cfg.log_file.parent if cfg.log_file else None),
        ("mail.maildir.path", cfg.mail.maildir_path if cfg.mail.transport == "maildir" else None),
    ):
        if p is not None and not _writable(p):
            rep.problems.append(
                f"{key}: folder {p} tidak dapat ditulisi oleh pengguna {user}; diharapkan folder "
                "milik pengguna yang menjalankan Pantau (mis. chown -R pantau: /var/lib/pantau)"
            )
    if cfg.db_path.exists() and not os.access(cfg.db_path, os.R_OK | os.W_OK):
        rep.problems.append(
            f"arsip.db: basis data {cfg.db_path} tidak dapat dibaca/ditulisi oleh pengguna {user}; "
            "jalankan perintah pantau sebagai pengguna layanan (sudo -u pantau ...)"
        )


def _user() -> str:
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError):
        return str(os.getuid())


# ============================================================================ mail

# Well-known services: host -> (name, must use OAuth2, keeps its own Sent copy).
PROVIDERS = {
    "imap.gmail.com": ("Gmail / Google Workspace", False, True),
    "smtp.gmail.com": ("Gmail / Google Workspace", False, True),
    "outlook.office365.com": ("Microsoft 365", True, True),
    "smtp.office365.com": ("Microsoft 365", True, True),
    "imap-mail.outlook.com": ("Outlook.com", True, True),
    "smtp-mail.outlook.com": ("Outlook.com", True, True),
}
TLS_PORTS = {"imap": {"ssl": {993}, "starttls": {143}, "none": {143}},
             "smtp": {"ssl": {465}, "starttls": {587, 25}, "none": {25, 587}}}


def _loopback(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_mail(cfg: Config, rep: Report) -> None:
    m = cfg.mail
    if m.transport == "maildir":
        rep.warnings.append(
            f'mail.transport: "maildir" = tanpa server surel (surat hanya ditaruh di folder '
            f"{m.maildir_path}); cocok untuk demo dan uji. Untuk kantor sungguhan diharapkan "
            '"imap" (lihat docs/panduan-operator.md, bagian Surel)'
        )
        return
    if m.transport == "ews":
        _check_ews(cfg, rep)
        return
    oauth = m.imap.oauth2_token_command or m.imap.oauth2_token_file
    if m.imap.oauth2_token_command:
        words = shlex.split(m.imap.oauth2_token_command)
        exe = words[0] if words else ""
        if not exe or not (shutil.which(exe) or Path(exe).is_file()):
            rep.problems.append(
                f"mail.imap.oauth2.token_command: perintah {exe!r} tidak ditemukan; diharapkan "
                "perintah yang mencetak access token OAuth2 (lihat panduan, bagian OAuth2)"
            )
    elif m.imap.oauth2_token_file:
        from daemon.config import resolve_path

        tf = resolve_path(cfg.office_dir, m.imap.oauth2_token_file)
        if not tf.is_file():
            rep.problems.append(
                f"mail.imap.oauth2.token_file: berkas {tf} tidak ada; diharapkan berkas berisi "
                "access token OAuth2 yang diperbarui secara berkala"
            )
    for role in ("imap", "smtp"):
        s = getattr(m, role)
        key = f"mail.{role}"
        provider = PROVIDERS.get(s.host.lower())
        if not _loopback(s.host) and (s.keamanan not in TLS_PORTS[role]
                                      or s.port not in TLS_PORTS[role][s.keamanan]):
            usual = ", ".join(
                f"{k} = port {'/'.join(map(str, sorted(v)))}"
                for k, v in TLS_PORTS[role].items()
                if k != "none"
            )
            rep.warnings.append(
                f"{key}.port: {s.port} dengan keamanan = {s.keamanan!r} tidak lazim; biasanya "
                f"{usual}. Koneksi bisa gagal atau macet bila keduanya tidak cocok"
            )
        if s.keamanan == "none" and not _loopback(s.host):
            rep.warnings.append(
                f'{key}.keamanan: "none" ke server {s.host} (bukan komputer ini): kata sandi '
                'dikirim tanpa enkripsi; diharapkan "ssl" atau "starttls"'
            )
        if role == "smtp" and not s.username:
            if not _loopback(s.host):
                rep.warnings.append(
                    f"mail.smtp.username: kosong (tanpa login) ke server {s.host}; hanya cocok "
                    "untuk relay di komputer ini. Diharapkan nama pengguna SMTP kotak surat Pantau"
                )
            continue
        if not s.username and role == "imap" and not oauth:
            continue  # config.py already reports it
        if not oauth and not os.environ.get(s.password_env):
            rep.problems.append(
                f"{key}.password_env: variabel lingkungan {s.password_env} kosong; diharapkan kata "
                f"sandi {role.upper()} (untuk layanan: di /etc/pantau/pantau.env)"
            )
        if provider:
            name, needs_oauth, _ = provider
            if needs_oauth and not oauth:
                rep.problems.append(
                    f"{key}.host: {s.host} ({name}) tidak menerima login kata sandi untuk IMAP/SMTP; "
                    "diharapkan OAuth2: isi token_command (atau token_file) di [mail.imap.oauth2]"
                )
            if "@" not in s.username:
                rep.problems.append(
                    f"{key}.username: {s.username!r}; {name} memerlukan alamat surel lengkap sebagai "
                    'nama pengguna, mis. "pantau@kecamatan.go.id"'
                )
    imap_provider = PROVIDERS.get(m.imap.host.lower())
    if imap_provider and m.imap.folder_terkirim:
        rep.warnings.append(
            f"mail.imap.folder_terkirim: {m.imap.folder_terkirim!r}; {imap_provider[0]} sudah "
            "menyimpan salinan setiap surat yang dikirim lewat SMTP-nya, sehingga surat akan "
            "tersimpan dua kali. Diharapkan: hapus kunci ini"
        )
    user = m.imap.username.lower()
    if "@" in user and user != m.alamat:
        rep.warnings.append(
            f"mail.alamat: {m.alamat!r} berbeda dengan mail.imap.username {user!r}; server bisa "
            "menolak mengirim atas nama alamat lain. Diharapkan alamat kotak surat yang sama"
        )
    if m.plus_addressing:
        rep.notes.append(
            "mail.plus_addressing: Reply-To memakai alamat+token; pastikan server mengantar "
            f"{m.alamat.replace('@', '+abc@')} ke kotak surat Pantau"
        )


def ews_available() -> bool:
    """Whether this version carries the Exchange (EWS) transport."""
    try:
        import daemon.mail.transports.ews  # noqa: F401
    except ImportError:
        return False
    return True


def _check_ews(cfg: Config, rep: Report) -> None:
    e = cfg.mail.ews
    if not ews_available():
        rep.problems.append(
            'mail.transport: "ews" (Exchange Web Services) belum tersedia pada versi Pantau ini; '
            'diharapkan "imap". Exchange on-premises juga menyediakan IMAP dan SMTP: minta '
            "administrator mengaktifkannya untuk kotak surat Pantau"
        )
        return
    host = e.server.lower()
    if "office365.com" in host or "outlook.com" in host:
        rep.problems.append(
            f"mail.ews.server: {e.server!r} adalah Exchange Online (Microsoft 365), yang memblokir EWS "
            'mulai 1 Oktober 2026; diharapkan transport = "imap" dengan OAuth2 (panduan, bagian 6.4)'
        )
    if e.auth != "oauth2" and not os.environ.get(e.password_env):
        rep.problems.append(
            f"mail.ews.password_env: variabel lingkungan {e.password_env} kosong; diharapkan kata "
            "sandi Exchange (untuk layanan: di /etc/pantau/pantau.env)"
        )


# ============================================================================ templates


def _shipped_names() -> tuple[list[str], list[str]]:
    from daemon.shipped import shipped_dir

    src = shipped_dir("templates")
    docx = sorted(p.name for p in src.glob("*.docx"))
    email = sorted(p.name for p in (src / "email").glob("*.txt"))
    return docx, email


def check_templates(cfg: Config) -> list[str]:
    """Every template the office needs exists and renders with sample data."""
    problems: list[str] = []
    tdir = cfg.templates_dir
    docx, email = _shipped_names()
    missing = [n for n in docx if not (tdir / n).is_file()]
    missing += [f"email/{n}" for n in email if not (tdir / "email" / n).is_file()]
    for n in missing:
        problems.append(
            f"templates/{n}: berkas tidak ada di {tdir}; diharapkan templat ini (salin dari contoh "
            f"bawaan: `pantau init FOLDER-BARU`, lalu ambil berkas {n} dari sana)"
        )
    try:
        from daemon.documents.samples import check_templates as check_docx

        seen: set[tuple[str, str]] = set()
        for p in check_docx(tdir):
            if any(n in p for n in missing) or "PackageNotFoundError" in p:
                continue  # already reported as missing
            name, error = _docx_problem(p)
            if (name, error) in seen:
                continue  # one template serves several letters: say it once
            seen.add((name, error))
            problems.append(
                f"templates/{name}: tidak dapat dirender ({error}); diharapkan templat yang dapat "
                "dirender: periksa tag {{ ... }} yang terpecah atau salah ketik (templates/README.md)"
            )
    except ImportError as e:
        problems.append(f"templates: pemeriksa templat tidak tersedia ({e})")
    problems += check_email_templates(
        cfg, skip={n[len("email/") : -4] for n in missing if n.startswith("email/")}
    )
    return problems


_DOCX_PROBLEM = re.compile(
    r"templat (?:surat (\w+)(?: \w+)?|(formulir|laporan)) gagal dibuat: (.*)", re.S
)


def _docx_problem(text: str) -> tuple[str, str]:
    """('undangan.docx', 'UndefinedError: ...') from the renderer's 'templat surat undangan gagal dibuat: ...'."""
    m = _DOCX_PROBLEM.match(text)
    if not m:
        return "*.docx", text
    if m.group(2):
        return f"{m.group(2)}.docx", m.group(3)
    from daemon.documents.letters import TEMPLATE_FOR_KIND

    return TEMPLATE_FOR_KIND.get(m.group(1), f"{m.group(1)}.docx"), m.group(3)


def check_email_templates(cfg: Config, skip: set[str] = frozenset()) -> list[str]:
    """Render every e-mail text with a full sample context, so a typo in a template shows here."""
    from daemon.mail.compose import EmailTexts

    texts = EmailTexts(cfg.templates_dir)
    sample = _sample(cfg)
    problems = []
    for kind in texts.kinds():
        if kind.startswith("_") or kind in skip:
            continue
        try:
            subject, _ = texts.render(kind, sample)
        except Exception as e:  # jinja errors come in many classes; each is one template problem
            where = f" baris {e.lineno}" if getattr(e, "lineno", None) else ""
            problems.append(
                f"templates/email/{kind}.txt{where}: tidak dapat dirender ({type(e).__name__}: {e}); "
                "diharapkan teks dengan tag Jinja yang sah, seperti pada contoh bawaan"
            )
            continue
        if not subject:
            problems.append(
                f'templates/email/{kind}.txt: baris pertama bukan "Subjek: ..."; diharapkan baris '
                "pertama berbentuk Subjek: <judul e-mail>, lalu satu baris kosong, lalu isi"
            )
    return problems


def _sample(cfg: Config) -> dict:
    """A full context for rendering any e-mail text."""
    now = datetime.now(ZoneInfo(cfg.kantor.zona_waktu))
    return {
        "kantor": cfg.kantor,
        "periode": "Triwulan III Tahun 2025",
        "siklus": "PK-2025-TW3",
        "penerima": "Camat",
        "pengirim_nama": cfg.mail.nama,
        "unit_nama": "Seksi Pemerintahan",
        "batas": now,
        "jadwal": True,
        "dokumen": True,
        "contoh_jadwal": "07-10-2025 09.00",
        "tidak_lengkap": ["KESOS"],
        "rapat": {"start": now, "end": now, "place": "Aula"},
        "usul_rapat": {"start": now, "end": now, "place": "Aula"},
        "versi": 1,
        "nomor": "000.8.6.3/1/Kec/2025",
        "hal": "Hal",
        "warnings": ["w"],
        "errors": ["e"],
        "file": "f.docx",
        "terlambat": True,
        "nomor_agenda": "1",
        "catatan": ["c"],
        "alasan": "a",
        "selesai": False,
        "baris": "",
        "tahap": "setengah",
        "units": ["Seksi"],
        "menunggu": ["x"],
        "standar": "1 jam",
        "langkah": "S1",
        "uraian": "u",
        "alamat": "a@b.c",
        "detail": "d",
        "ringkasan": [],
        "hal_tugas": "h",
        "saran": "s",
        "kode_ttd": "",
        # the operator's notices (operator_notices.py, gagal_kirim)
        "orang": "YULIA SARI",
        "unit": "Seksi PMD (PMD)",
        "kunci": '[[unit]] kode = "PMD" → email',
        "pid": 1,
        "berkas_konfigurasi": str(cfg.path),
        "id": 1,
        "dari": "x@y.z",
        "nama": "",
        "subjek": "s",
        "diterima": now,
        "tanggal": now,
        "pesan": [{"id": 1, "dari": "x@y.z", "nama": "", "subjek": "s", "alasan": "a"}],
        "daftar_siklus": [
            {"kode": "PK-2025-TW3", "langkah": "S4", "menunggu": ["m"], "terlambat": ["t"]}
        ],
        "ditahan": [{"id": 1, "dari": "x@y.z", "alasan": "a"}],
        "gagal_kirim": [{"id": 1, "subject": "s", "error": "e"}],
    }
