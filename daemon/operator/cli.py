"""The `pantau` command (SPEC §7.1). Exit codes: 0 ok, 1 failure, 2 bad usage or configuration.

Messages for the operator are in Indonesian; `--json` output keeps the English keys of SPEC §7.3.
Readable views (status, cycle show, triage, inspect) use rich tables when stdout is a terminal and
plain aligned text otherwise. `cli_reference()` renders every command's `--help` as Markdown for
docs/cli.md (regenerate with `python docs/make_cli_md.py`; tests/test_docs.py keeps it in step).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import textwrap
from pathlib import Path

from daemon import __version__

log = logging.getLogger("pantau")


class Usage(Exception):
    pass


# ============================================================================ the parser


class _Formatter(argparse.RawDescriptionHelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):
        return super().add_usage(
            usage, actions, groups, prefix if prefix is not None else "penggunaan: "
        )


class _Parser(argparse.ArgumentParser):
    """argparse with Indonesian headings; usage errors exit 2."""

    def __init__(self, *args, **kw):
        kw.setdefault("formatter_class", _Formatter)
        kw.setdefault("add_help", False)
        super().__init__(*args, **kw)
        self._positionals.title = "argumen"
        self._optionals.title = "opsi"
        self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS,
                          help="tampilkan bantuan ini lalu keluar")

    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: penggunaan salah: {message}\n")


DESCRIPTION = """\
Pantau menjalankan SOP Pemantauan Kinerja kecamatan melalui e-mail: mengirim formulir ke unit,
membaca balasan, menyusun konsep laporan, meminta persetujuan Sekretaris dan Camat, mengundang
rapat, dan mencatat register surat.

Berkas konfigurasi: --config, atau $PANTAU_CONFIG, atau config/pantau.toml di folder kerja.
Kode keluar: 0 berhasil, 1 gagal, 2 penggunaan atau konfigurasi salah."""

EPILOG = """\
contoh:
  pantau init /var/lib/pantau           folder kantor baru dari contoh bawaan
  pantau check --offline                periksa konfigurasi tanpa masuk ke server surel
  pantau status                         apa yang sedang dikerjakan daemon
  pantau inspect pesan.eml              bagaimana Pantau membaca sebuah e-mail
  pantau triage                         pesan yang ditahan, dan alasannya"""


def _wrap(*paragraphs: str) -> str:
    """Descriptions are wrapped here (raw formatter), at a width that reads well in docs/cli.md."""
    return "\n".join(textwrap.fill(p, 96) for p in paragraphs)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="pantau", description=DESCRIPTION, epilog=EPILOG)
    p.add_argument("--config", metavar="BERKAS",
                   help="berkas konfigurasi (bawaan: $PANTAU_CONFIG, atau config/pantau.toml)")
    p.add_argument(
        "--log-format",
        choices=("text", "json"),
        default="text",
        help="bentuk log di stderr: text (dibaca orang) atau json (satu objek JSON per baris)",
    )
    p.add_argument("--log-level", choices=("debug", "info", "warning", "error"), default=None,
                   help="tingkat log (bawaan: info untuk `run`, warning untuk perintah lain)")
    p.add_argument(
        "--version", action="version", version=f"pantau {__version__}", help="tampilkan versi"
    )
    sub = p.add_subparsers(dest="cmd", metavar="PERINTAH", title="perintah")

    s = sub.add_parser(
        "init",
        help="membuat folder kantor baru dari contoh bawaan",
        description=_wrap(
            "Membuat folder kantor baru: config/ (pantau.toml, sop.toml, indikator.csv, libur.txt), "
            "templates/ (surat, laporan, formulir, teks e-mail) dan var/.",
            "Setelah itu sunting config/pantau.toml lalu jalankan `pantau check --offline`.",
        ),
    )
    s.add_argument(
        "dir",
        metavar="FOLDER",
        help="folder kantor (dibuat bila belum ada; config/ harus belum ada)",
    )

    s = sub.add_parser(
        "check",
        help="memeriksa konfigurasi, SOP, indikator, templat, dan server surel",
        description=_wrap(
            "Memeriksa semua yang bisa salah sebelum daemon berjalan. Setiap kesalahan menyebut "
            "kunci, nilai, dan yang diharapkan.",
            "Kode keluar 2 bila ada SALAH; PERINGATAN tidak menggagalkan.",
        ),
    )
    s.add_argument("--offline", action="store_true", help="jangan masuk ke server surel")
    s.add_argument(
        "--json", action="store_true", help="hasil sebagai JSON {problems, warnings, notes}"
    )

    sub.add_parser(
        "run",
        help="menjalankan daemon di latar depan (berhenti dengan SIGTERM/Ctrl-C)",
        description=_wrap(
            "Menjalankan daemon: membaca kotak masuk, menjalankan pengingat dan batas waktu, mengirim "
            "surat, memulai siklus sesuai [jadwal]. Log ke stderr (journald); SIGTERM atau Ctrl-C "
            "menghentikannya dengan rapi."
        ),
    )
    s = sub.add_parser(
        "demo",
        help="menjalankan satu siklus lengkap S1-S13 dengan pegawai tiruan",
        description=_wrap(
            "Satu siklus lengkap S1-S13 di transport Maildir dengan pegawai tiruan dan jam dipercepat.",
            "Folder yang dipakai tetap menjadi kantor yang dapat diperiksa dengan perintah lain.",
        ),
    )
    s.add_argument(
        "--dir", metavar="FOLDER", help="folder kantor demo (bawaan: folder sementara baru)"
    )
    s.add_argument(
        "--units",
        metavar="N",
        type=_positive_int,
        help="kantor tiruan dengan N unit kerja (nama dan data realistis, beberapa terlambat "
        "atau janggal), untuk melihat dokumen seukuran kantor sendiri; bawaan: 5 unit",
    )

    cyc = sub.add_parser(
        "cycle",
        help="siklus pemantauan: start, list, show",
        description=_wrap("Siklus pemantauan (satu periode: PK-2025-TW3, PK-2025-S1, PK-2025)."),
    )
    csub = cyc.add_subparsers(dest="cycle_cmd", metavar="AKSI", title="aksi")
    s = csub.add_parser(
        "start",
        help="memulai siklus sekarang",
        description=_wrap(
            "Memulai siklus sekarang. Surat-suratnya dikirim oleh daemon (`pantau run`)."
        ),
    )
    s.add_argument(
        "period",
        metavar="PERIODE",
        help="2025-TW3 (triwulan), 2025-S1 (semester) atau 2025 (tahun)",
    )
    s = csub.add_parser(
        "list",
        help="daftar siklus",
        description=_wrap("Daftar siklus dengan status dan langkahnya."),
    )
    s.add_argument("--json", action="store_true", help="keluaran JSON (SPEC §7.3)")
    s = csub.add_parser(
        "show",
        help="rincian satu siklus: langkah, unit, dokumen, catatan kejadian",
        description=_wrap(
            "Rincian satu siklus: setiap langkah (mulai, batas, selesai, aktual terhadap standar), "
            "status setiap unit, dokumen (berkas, sha256, versi) dan catatan kejadian."
        ),
    )
    s.add_argument("code", metavar="KODE", help="kode siklus, mis. PK-2025-TW3")
    s.add_argument("--json", action="store_true", help="keluaran JSON (SPEC §7.3)")

    s = sub.add_parser(
        "status",
        help="keadaan daemon, surel, siklus berjalan, keterlambatan, pesan ditahan",
        description=_wrap(
            "Apakah daemon hidup (detak), apakah surel tersambung, langkah setiap siklus yang "
            "berjalan, siapa yang ditunggu sejak kapan, apa yang terlambat dari standar SOP, dan pesan "
            "yang ditahan."
        ),
    )
    s.add_argument("--json", action="store_true", help="keluaran JSON (SPEC §7.3)")

    s = sub.add_parser("register", help="register surat keluar atau masuk",
                       description=_wrap("Register surat keluar atau masuk (SPEC §4)."))
    s.add_argument(
        "which",
        choices=("keluar", "masuk"),
        metavar="keluar|masuk",
        help="register yang ditampilkan",
    )
    s.add_argument("--tahun", type=int, metavar="TAHUN", help="hanya tahun ini")
    g = s.add_mutually_exclusive_group()
    g.add_argument("--json", action="store_true", help="keluaran JSON")
    g.add_argument("--csv", action="store_true", help="keluaran CSV")
    g.add_argument("--xlsx", metavar="BERKAS", help="tulis ke berkas XLSX")

    s = sub.add_parser(
        "inspect",
        help="bagaimana Pantau membaca berkas .eml (tanpa mengubah apa pun)",
        description=_wrap(
            "Menunjukkan bagaimana Pantau membaca pesan: jenis, token, tugas yang cocok, pemeriksaan "
            "pengirim, keputusan, lampiran, formulir, dan tindakan yang akan diambil daemon. Tidak "
            "mengubah apa pun.",
            "Tanpa konfigurasi atau basis data, pesan dibaca apa adanya; dengan basis data kantor, "
            "tugas yang dijawabnya dicari dan pengirimnya diperiksa.",
        ),
    )
    s.add_argument(
        "files", nargs="+", metavar="BERKAS", help="berkas .eml, atau folder (mis. Maildir new/)"
    )
    s.add_argument("--json", action="store_true", help="satu objek JSON per baris (SPEC §7.3)")

    s = sub.add_parser(
        "triage",
        help="pesan yang ditahan atau gagal diproses, dengan alasan dan saran",
        description=_wrap(
            "Pesan yang ditahan (pengirim tidak sah, tidak cocok dengan tugas, DMARC gagal) atau gagal "
            "diproses, dengan alasan dan saran. Setelah penyebabnya diperbaiki: `pantau replay ID`."
        ),
    )
    s.add_argument("--json", action="store_true", help="keluaran JSON (SPEC §7.3)")
    s.add_argument(
        "--semua",
        action="store_true",
        help="sertakan pesan yang diabaikan (balasan otomatis, laporan gagal kirim, surat lain, duplikat)",
    )

    s = sub.add_parser(
        "replay",
        help="memproses ulang pesan (nomor dari `pantau triage`)",
        description=_wrap(
            "Memproses ulang pesan yang tersimpan, mis. setelah menambah `wakil` atau membetulkan "
            "alamat di konfigurasi.",
            "Kode keluar 0 bila semua pesan kini diproses atau diabaikan, 1 bila masih ditahan "
            "atau gagal.",
        ),
    )
    s.add_argument("ids", nargs="+", type=int, metavar="ID", help="nomor pesan")

    out = sub.add_parser(
        "outbox",
        help="surat yang belum terkirim: sebabnya, dan kirim ulang atau batalkan",
        description=_wrap(
            "Tanpa AKSI: surat yang belum terkirim (menunggu, sedang dikirim, gagal), sebabnya, "
            "dan yang perlu dilakukan.",
            "`pantau outbox retry ID` mengirim ulang sekarang (daemon yang berjalan dibangunkan); "
            "`pantau outbox cancel ID` berhenti mencoba mengirimnya (surat tetap di arsip, "
            "pembatalan dicatat di siklusnya).",
        ),
    )
    out.add_argument("--json", action="store_true", help="keluaran JSON")
    out.add_argument(
        "--semua", action="store_true", help="sertakan surat yang sudah terkirim atau dibatalkan"
    )
    osub = out.add_subparsers(dest="outbox_cmd", metavar="AKSI", title="aksi")
    s = osub.add_parser(
        "retry",
        help="kirim ulang surat sekarang",
        description=_wrap("Mengirim ulang surat yang gagal atau masih menunggu, sekarang."),
    )
    s.add_argument("id", type=int, metavar="ID", help="nomor surat dari `pantau outbox`")
    s = osub.add_parser(
        "cancel",
        help="berhenti mencoba mengirim surat",
        description=_wrap(
            "Berhenti mencoba mengirim surat (mis. sudah disampaikan dengan cara "
            "lain). Surat tetap tersimpan di arsip."
        ),
    )
    s.add_argument("id", type=int, metavar="ID", help="nomor surat dari `pantau outbox`")

    exp = sub.add_parser("export", help="ekspor data", description=_wrap("Ekspor data."))
    esub = exp.add_subparsers(dest="export_cmd", metavar="JENIS", title="jenis")
    s = esub.add_parser(
        "emonev",
        help="data e-Monev satu siklus (XLSX, dan CSV di sebelahnya)",
        description=_wrap("Data e-Monev satu siklus (XLSX, dan CSV di sebelahnya)."),
    )
    s.add_argument("code", metavar="KODE", help="kode siklus, mis. PK-2025-TW3")
    s.add_argument(
        "--out", metavar="BERKAS", help="berkas XLSX tujuan (bawaan: Data-eMonev-KODE.xlsx)"
    )

    s = sub.add_parser(
        "web",
        help="dasbor web: keadaan siklus, dokumen, capaian, register (SPEC §8)",
        description=_wrap(
            "Menjalankan dasbor web di latar depan (bawaan: [web] host dan port). Dasbor hanya "
            "menampilkan; persetujuan tetap melalui e-mail. Orang kantor masuk dengan tautan sekali "
            "pakai yang dikirim ke alamatnya; `pantau web link EMAIL` mencetak satu tautan.",
            "Pasang di belakang reverse proxy kantor dengan TLS dan isi [web] url: lihat "
            "docs/panduan-operator.md.",
        ),
    )
    s.add_argument(
        "--host", metavar="ALAMAT", help="alamat yang didengar (bawaan: [web] host, 127.0.0.1)"
    )
    s.add_argument("--port", type=int, metavar="PORT", help="port (bawaan: [web] port, 8080)")
    wsub = s.add_subparsers(dest="web_cmd", metavar="PERINTAH", title="perintah")
    w = wsub.add_parser(
        "link",
        help="mencetak tautan masuk sekali pakai (15 menit) untuk orang kantor",
        description=_wrap(
            "Mencetak tautan masuk sekali pakai, berlaku 15 menit, untuk pejabat, unit, atau "
            "operator yang alamatnya ada di konfigurasi; berikan kepada orangnya.",
            "Kode keluar 1 bila alamat itu bukan orang kantor.",
        ),
    )
    w.add_argument(
        "email", metavar="EMAIL", help="alamat e-mail orang kantor, mis. camat@kecamatan.go.id"
    )

    s = sub.add_parser(
        "backup",
        help="mencadangkan basis data, arsip, konfigurasi dan rahasia token (aman saat daemon berjalan)",
        description=_wrap(
            "BERKAS.tar.gz (atau .tgz) menjadi satu berkas; nama lain menjadi folder baru. "
            "Cadangan lama tidak pernah ditimpa. --periksa memeriksa cadangan terhadap MANIFEST.json."
        ),
    )
    s.add_argument("file", metavar="BERKAS", help="tujuan cadangan, atau cadangan yang diperiksa")
    s.add_argument(
        "--periksa",
        action="store_true",
        help="periksa cadangan yang sudah ada (sha256 dan basis data)",
    )
    s.add_argument("--json", action="store_true", help="hasil sebagai JSON")
    return p


def _subparsers(p: argparse.ArgumentParser):
    for a in p._actions:
        if isinstance(a, argparse._SubParsersAction):
            yield from a.choices.items()


def cli_reference() -> str:
    """docs/cli.md: every command's --help, rendered at a fixed width so the file is stable."""
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "100"
    try:
        root = _parser()
        parts = [
            "# Rujukan perintah `pantau`",
            "",
            "<!-- Dibuat otomatis dari `pantau --help`; jangan disunting tangan. Perbarui dengan:",
            "     .venv/bin/python docs/make_cli_md.py -->",
            "",
            "Panduan langkah demi langkah ada di [panduan-operator.md](panduan-operator.md).",
            "",
            "## pantau",
            "",
            "```text",
            root.format_help().rstrip(),
            "```",
            "",
        ]

        def walk(parser, prefix):
            for name, sp in _subparsers(parser):
                full = f"{prefix} {name}"
                parts.extend([f"## {full}", "", "```text", sp.format_help().rstrip(), "```", ""])
                walk(sp, full)

        walk(root, "pantau")
        return "\n".join(parts)
    finally:
        if old is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = old


# ============================================================================ helpers


def _cfg(args):
    from daemon.config import config_path, load_config

    return load_config(config_path(args.config))


def _app(args):
    from daemon.shell.office import OfficeApp

    return OfficeApp(_cfg(args))


def _dump(obj) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


def _rich() -> bool:
    return sys.stdout.isatty() and os.environ.get("TERM") != "dumb"


# ============================================================================ commands


def cmd_init(args) -> int:
    from daemon.operator.setup import init_office

    path = init_office(Path(args.dir))
    office = path.parent.parent
    made = [
        (path, "konfigurasi: kantor, pejabat, unit, surel, jadwal"),
        (
            office / "config" / "indikator.csv",
            "daftar indikator kinerja (contoh: ganti dengan milik kantor)",
        ),
        (office / "config" / "sop.toml", "langkah SOP dan standar waktunya"),
        (office / "config" / "libur.txt", "hari libur dan cuti bersama tambahan"),
        (office / "templates", "templat surat, laporan, formulir, teks e-mail"),
        (office / "var", "basis data, arsip, rahasia token (cadangkan!)"),
    ]
    width = max(len(str(p)) for p, _ in made)
    print(f"Kantor baru dibuat di {office}:")
    for p, what in made:
        print(f"  {str(p):{width}}  {what}")
    print(f"\nLangkah berikutnya:\n"
          f"  1. sunting {path} (nama kantor, pejabat, unit, alamat surel)\n"
          f"  2. ganti {office / 'config' / 'indikator.csv'} dengan indikator kantor Anda\n"
          f"  3. pantau --config {path} check --offline\n"
          f"  4. isi kata sandi surel, lalu: pantau --config {path} check\n"
          f"Panduan lengkap: docs/panduan-operator.md")
    return 0


def cmd_check(args) -> int:
    from daemon.config import ConfigError, config_path
    from daemon.operator.checks import Report, run_checks

    try:
        cfg = _cfg(args)
    except ConfigError as e:
        rep = Report(problems=list(e.problems))
        path = config_path(args.config)
    else:
        rep = run_checks(cfg, offline=args.offline)
        path = cfg.path
    if args.json:
        _dump(
            {
                "config": str(path),
                "problems": rep.problems,
                "warnings": rep.warnings,
                "notes": rep.notes,
            }
        )
        return 2 if rep.problems else 0
    print(f"Memeriksa {path}" + (" (tanpa server surel)" if args.offline else ""))
    for n in rep.notes:
        print(f"  ok          {n}")
    for w in rep.warnings:
        print(f"  PERINGATAN  {w}")
    for pr in rep.problems:
        print(f"  SALAH       {pr}")
    if rep.problems:
        print(
            f"\n{len(rep.problems)} kesalahan ditemukan; perbaiki lalu jalankan `pantau check` lagi."
        )
        return 2
    print(
        "\nSemua pemeriksaan lulus"
        + (f" ({len(rep.warnings)} peringatan)." if rep.warnings else ".")
    )
    return 0


def cmd_run(args) -> int:
    from daemon.shell import logsetup
    from daemon.shell.lock import AlreadyRunning, OfficeLock
    from daemon.shell.office import OfficeApp
    from daemon.shell.runner import Daemon

    cfg = _cfg(args)
    logsetup.register_secrets(logsetup.secrets_from_config(cfg))
    logsetup.setup(args.log_format, level=_level(args, logging.INFO), file=cfg.log_file,
                   tz=cfg.kantor.zona_waktu)
    import signal

    # Once the lock names this pid, `cycle start` may wake it (SIGUSR1, whose default action ends a
    # process) before the loop installs its handlers: until then, wakes are moot (the first round
    # comes anyway) and ignored.
    for sig in (signal.SIGUSR1, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)
    lock = OfficeLock(cfg.db_path)
    try:
        lock.acquire()
    except AlreadyRunning as e:
        log.error("%s", e, extra={"event": "sudah_berjalan"})
        return 1
    try:
        log.info("konfigurasi %s (kantor %s), transport %s, alamat %s", cfg.path, cfg.kantor.nama,
                 cfg.mail.transport, cfg.mail.alamat, extra={"event": "mulai"})
        return Daemon(OfficeApp(cfg)).run()
    finally:
        lock.release()


def _positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} bukan bilangan bulat") from None
    if not 1 <= n <= 1000:
        raise argparse.ArgumentTypeError("jumlah unit harus antara 1 dan 1000")
    return n


def cmd_demo(args) -> int:
    import tempfile

    from daemon.demo.simulation import run_demo

    target = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="pantau-demo-"))
    return run_demo(target, units=getattr(args, "units", None))


def cmd_cycle(args) -> int:
    from daemon.operator import report_text, views

    if not args.cycle_cmd:
        raise Usage("pantau cycle start|list|show (lihat `pantau cycle --help`)")
    app = _app(args)
    try:
        if args.cycle_cmd == "start":
            from daemon.shell.office import CycleExists

            try:
                code = app.start_cycle(args.period)
            except CycleExists as e:
                print(f"Gagal: {e}", file=sys.stderr)
                return 1
            except ValueError as e:
                raise Usage(
                    f"periode {args.period!r} tidak dikenal ({e}); contoh: 2025-TW3, 2025-S1, 2025"
                ) from None
            from daemon.shell.lock import wake_daemon

            if wake_daemon(app.cfg.db_path):
                print(
                    f"Siklus {code} dimulai. Daemon yang berjalan mengirim surat-suratnya sekarang; "
                    f"ikuti dengan `pantau status`."
                )
            else:
                print(
                    f"Siklus {code} dimulai. Surat-suratnya dikirim oleh daemon (`pantau run`), yang saat ini "
                    f"tidak berjalan; jalankan dengan `systemctl start pantau`, lalu ikuti dengan `pantau status`."
                )
            return 0
        if args.cycle_cmd == "list":
            rows = views.cycle_list(app.store)
            if args.json:
                _dump(rows)
            else:
                report_text.cycles_doc(rows).write(sys.stdout, _rich())
            return 0
        st = app.store.load_cycle(args.code)
        if st is None:
            known = ", ".join(r["code"] for r in app.store.cycles()) or "belum ada"
            print(f"Siklus {args.code} tidak ditemukan (yang ada: {known}).", file=sys.stderr)
            return 1
        data = views.cycle_show(app.store, st, app.sop, app.cal, now=app.clock.now(),
                                unit_names={u.kode: u.nama for u in app.cfg.units})
        if args.json:
            _dump(data)
        else:
            from daemon.core.model import Period

            report_text.print_cycle(data, sys.stdout, _rich(), office_dir=app.cfg.office_dir,
                                    label=Period.parse(st.period).label)
        return 0
    finally:
        app.close()


def cmd_status(args) -> int:
    from daemon.operator import report_text, views

    app = _app(args)
    try:
        data = views.status(app.store, app.sop, app.cal, app.clock.now(), app.cfg)
        if args.json:
            _dump(data)
        else:
            report_text.print_status(data, sys.stdout, _rich())
        return 0
    finally:
        app.close()


def cmd_register(args) -> int:
    from daemon.operator import report_text, views

    app = _app(args)
    try:
        rows = views.register_rows(app.store, args.which, args.tahun)
        if args.json:
            _dump(rows)
        elif args.csv:
            sys.stdout.write(views.register_csv(rows, args.which))
        elif args.xlsx:
            views.register_xlsx(rows, args.which, args.xlsx)
            print(f"{len(rows)} entri ditulis ke {args.xlsx}")
        else:
            report_text.print_register(rows, args.which, sys.stdout)
        return 0
    finally:
        app.close()


def cmd_inspect(args) -> int:
    from daemon.operator.inspect import inspect_files

    args.rich = _rich() and not args.json
    return inspect_files(args, _cfg_or_none(args))


def _cfg_or_none(args):
    """The office config if there is one that loads; inspect works without (and says so)."""
    from daemon.config import ConfigError, config_path

    path = config_path(args.config)
    if not path.exists():
        if args.config:
            print(
                f"Peringatan: {path} tidak ada; pesan dibaca tanpa konfigurasi kantor.",
                file=sys.stderr,
            )
        return None
    try:
        return _cfg(args)
    except ConfigError as e:
        print(f"Peringatan: {e}\nPesan dibaca tanpa konfigurasi kantor.", file=sys.stderr)
        return None


def cmd_triage(args) -> int:
    from daemon.operator import report_text, views

    app = _app(args)
    try:
        rows = views.triage(app.store, app.cfg, include_ignored=args.semua, now=app.clock.now())
        if args.json:
            _dump(rows)
        else:
            report_text.triage_doc(rows, args.semua).write(sys.stdout, _rich())
        return 0
    finally:
        app.close()


OUTCOME_ID = {
    "diproses": "diproses",
    "diabaikan": "diabaikan",
    "gagal": "gagal",
    "ditahan": "masih ditahan",
    "duplikat": "duplikat (sudah pernah diproses)",
}


def cmd_replay(args) -> int:
    from daemon.operator import views

    app = _app(args)
    worst = 0
    try:
        daemon_alive = views.daemon_state(app.store)["alive"]
        from daemon.shell.addresses import follow_address_changes

        follow_address_changes(app)  # a corrected address counts for the replayed message too
        for mid in args.ids:
            if app.store.inbound(mid) is None:
                print(f"Pesan #{mid} tidak ditemukan (lihat `pantau triage`).", file=sys.stderr)
                worst = 1
                continue
            app.replay(mid)
            row = app.store.inbound(mid)
            text = OUTCOME_ID.get(row["status"], row["status"])
            print(f"Pesan #{mid}: {text}" + (f" — {row['reason']}" if row["reason"] else ""))
            if row["status"] not in ("diproses", "diabaikan", "duplikat"):
                worst = 1
        if daemon_alive:
            print(
                "Surat yang timbul (bila ada) dikirim oleh daemon yang sedang berjalan, paling lambat dalam "
                "satu menit."
            )
        else:
            try:
                sent = app.dispatch()
            except Exception as e:  # the mail server may be away; the daemon sends later
                print(
                    f"Surat balasan belum terkirim ({e}); daemon akan mengirimnya saat berjalan.",
                    file=sys.stderr,
                )
            else:
                if sent:
                    print(f"{sent} surat terkirim.")
        return worst
    finally:
        app.close()


def cmd_outbox(args) -> int:
    from daemon.operator import outbox_cmd
    from daemon.shell.lock import wake_daemon

    app = _app(args)
    try:
        if args.outbox_cmd in ("retry", "cancel"):
            try:
                fn = outbox_cmd.retry if args.outbox_cmd == "retry" else outbox_cmd.cancel
                row = fn(app.store, args.id, app.clock.now())
            except outbox_cmd.OutboxError as e:
                print(f"Gagal: {e}", file=sys.stderr)
                return 1
            to = ", ".join(json.loads(row["recipients"]))
            if args.outbox_cmd == "cancel":
                print(
                    f"Surat #{args.id} kepada {to} dibatalkan; tidak akan dikirim lagi (tetap di arsip)."
                )
            elif wake_daemon(app.cfg.db_path):
                print(
                    f"Surat #{args.id} kepada {to} dikirim ulang sekarang oleh daemon; periksa dengan `pantau outbox`."
                )
            else:
                print(
                    f"Surat #{args.id} kepada {to} dijadwalkan ulang; daemon tidak berjalan, jadi dikirim saat "
                    f"daemon dijalankan (`systemctl start pantau`)."
                )
            return 0
        rows = outbox_cmd.rows(app.store, app.cfg, include_sent=args.semua)
        if args.json:
            _dump(rows)
            return 0
        if not rows:
            print("Kotak keluar kosong: semua surat sudah terkirim.")
            return 0
        for r in rows:
            print(f"#{r['id']}  {outbox_cmd.STATUS_ID.get(r['status'], r['status'])}"
                  + (f"  siklus {r['cycle']} {r['step'] or ''}".rstrip() if r["cycle"] else ""))
            print(f"   kepada   : {', '.join(r['to'])}")
            print(f"   subjek   : {r['subject']}")
            print(f"   antre    : {r['queued']}, dicoba {r['attempts']} kali")
            if r["error"]:
                print(f"   sebab    : {r['error']}")
            if r["what_to_do"]:
                print(f"   saran    : {r['what_to_do']}")
            print()
        return 0
    finally:
        app.close()


def cmd_backup(args) -> int:
    from daemon.store.backup import command

    cfg = None if args.periksa else _cfg(args)
    return command(cfg, Path(args.file), check=args.periksa, as_json=args.json)


def cmd_export(args) -> int:
    if args.export_cmd != "emonev":
        raise Usage("pantau export emonev KODE [--out BERKAS]")
    from daemon.core.model import Period
    from daemon.documents import write_emonev

    app = _app(args)
    try:
        st = app.store.load_cycle(args.code)
        if st is None:
            print(f"Siklus {args.code} tidak ditemukan.", file=sys.stderr)
            return 1
        out = Path(args.out or f"Data-eMonev-{st.code}.xlsx")
        csv = out.with_suffix(".csv")
        write_emonev(app.producer.emonev_rows(st), Period.parse(st.period), out, csv)
        print(f"Ekspor e-Monev {st.code}: {out} dan {csv}")
        return 0
    finally:
        app.close()


def cmd_web(args) -> int:
    from daemon.shell import logsetup

    cfg = _cfg(args)
    logsetup.register_secrets(logsetup.secrets_from_config(cfg))
    if args.web_cmd == "link":
        from daemon.store import Store
        from daemon.web import signin
        from daemon.web.people import directory
        from daemon.web.settings import web_settings

        settings = web_settings(cfg)
        email = args.email.strip().lower()
        person = directory(cfg).get(email)
        if person is None:
            print(f"{args.email} bukan alamat pejabat, unit, atau operator di {cfg.path}; "
                  "tautan tidak dibuat.", file=sys.stderr)
            return 1
        store = Store(cfg.db_path)
        try:
            link = signin.create_link(store, email, settings.base(), signin.utcnow())
        finally:
            store.close()
        print(link)
        print(
            f"Tautan masuk untuk {person.name} <{email}>: sekali pakai, berlaku 15 menit.",
            file=sys.stderr,
        )
        return 0
    from daemon.web import serve

    # stderr only (journald): the daemon owns [log] file and its rotation.
    logsetup.setup(args.log_format, level=_level(args, logging.INFO), tz=cfg.kantor.zona_waktu)
    return serve(cfg, host=args.host, port=args.port)


COMMANDS = {
    "init": cmd_init,
    "check": cmd_check,
    "run": cmd_run,
    "demo": cmd_demo,
    "cycle": cmd_cycle,
    "status": cmd_status,
    "register": cmd_register,
    "inspect": cmd_inspect,
    "triage": cmd_triage,
    "replay": cmd_replay,
    "export": cmd_export,
    "backup": cmd_backup,
    "outbox": cmd_outbox,
    "web": cmd_web,
}


def _level(args, default: int) -> int:
    return getattr(logging, args.log_level.upper()) if args.log_level else default


def main(argv: list[str] | None = None) -> int:
    from daemon.config import ConfigError
    from daemon.config.indicators import IndicatorError
    from daemon.core.sop import SopError

    parser = _parser()
    args = parser.parse_args(argv)
    if not args.cmd:
        parser.print_help()
        return 2
    if args.cmd not in ("run", "web"):
        from daemon.shell import logsetup

        # replay shows what the message caused (the same lines the daemon would log).
        logsetup.setup(
            args.log_format,
            level=_level(args, logging.INFO if args.cmd == "replay" else logging.WARNING),
        )
    try:
        return COMMANDS[args.cmd](args)
    except Usage as e:
        print(f"Penggunaan salah: {e}", file=sys.stderr)
        return 2
    except (ConfigError, SopError, IndicatorError) as e:
        print(f"{e}\n(Periksa semuanya dengan `pantau check --offline`.)", file=sys.stderr)
        return 2
    except FileExistsError as e:
        print(f"Gagal: {e}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader went away (`pantau cycle show ... | head`): not an error worth a traceback.
        try:
            os.dup2(
                os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno()
            )  # silence the flush at exit
        except (OSError, ValueError):
            pass
        return 0
    except KeyboardInterrupt:
        return 1


if __name__ == "__main__":
    sys.exit(main())
