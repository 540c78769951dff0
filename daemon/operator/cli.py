"""The `pantau` command (SPEC §7.1). Exit codes: 0 ok, 1 failure, 2 bad usage or configuration.

Messages for the operator are in Indonesian; `--json` output keeps the English keys of SPEC §7.3.
Readable views (status, cycle show, triage, inspect) use rich tables when stdout is a terminal and
plain aligned text otherwise. `cli_reference()` renders every command's `--help` as Markdown for
docs/cli.md (regenerate with `python docs/make_cli_md.py`; tests/test_docs.py keeps it in step).

This module is the command tree (`_parser`) and `main(argv)`; each command's work lives in a
module named after its domain: cmd_office (init, check, status, backup), cmd_daemon (run, demo),
cmd_cycle (cycle, export), cmd_registers (register), cmd_mail (inspect, triage, replay, outbox),
cmd_web (web). cmd_common holds what they share; cli_argparse is argparse in Indonesian.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from daemon import __version__
from daemon.operator.cli_argparse import Parser, positive_int, wrap
from daemon.operator.cmd_common import Usage, log_level
from daemon.operator.cmd_cycle import cmd_cycle, cmd_export
from daemon.operator.cmd_daemon import cmd_demo, cmd_run
from daemon.operator.cmd_mail import cmd_inspect, cmd_outbox, cmd_replay, cmd_triage
from daemon.operator.cmd_office import cmd_backup, cmd_check, cmd_init, cmd_status
from daemon.operator.cmd_registers import cmd_register
from daemon.operator.cmd_web import cmd_web

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


def _parser() -> argparse.ArgumentParser:
    p = Parser(prog="pantau", description=DESCRIPTION, epilog=EPILOG)
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
        description=wrap(
            "Membuat folder kantor baru: config/ (pantau.toml, sop.toml, indikator.csv, "
            "libur.txt), templates/ (surat, laporan, formulir, teks e-mail) dan var/.",
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
        description=wrap(
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
        description=wrap(
            "Menjalankan daemon: membaca kotak masuk, menjalankan pengingat dan batas waktu, "
            "mengirim surat, memulai siklus sesuai [jadwal]. Log ke stderr (journald); SIGTERM "
            "atau Ctrl-C menghentikannya dengan rapi."
        ),
    )
    s = sub.add_parser(
        "demo",
        help="menjalankan satu siklus lengkap S1-S13 dengan pegawai tiruan",
        description=wrap(
            "Satu siklus lengkap S1-S13 di transport Maildir dengan pegawai tiruan dan jam "
            "dipercepat.",
            "Folder yang dipakai tetap menjadi kantor yang dapat diperiksa dengan perintah lain.",
        ),
    )
    s.add_argument(
        "--dir", metavar="FOLDER", help="folder kantor demo (bawaan: folder sementara baru)"
    )
    s.add_argument(
        "--units",
        metavar="N",
        type=positive_int,
        help="kantor tiruan dengan N unit kerja (nama dan data realistis, beberapa terlambat "
        "atau janggal), untuk melihat dokumen seukuran kantor sendiri; bawaan: 5 unit",
    )

    cyc = sub.add_parser(
        "cycle",
        help="siklus pemantauan: start, list, show",
        description=wrap("Siklus pemantauan (satu periode: PK-2025-TW3, PK-2025-S1, PK-2025)."),
    )
    csub = cyc.add_subparsers(dest="cycle_cmd", metavar="AKSI", title="aksi")
    s = csub.add_parser(
        "start",
        help="memulai siklus sekarang",
        description=wrap(
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
        description=wrap("Daftar siklus dengan status dan langkahnya."),
    )
    s.add_argument("--json", action="store_true", help="keluaran JSON (SPEC §7.3)")
    s = csub.add_parser(
        "show",
        help="rincian satu siklus: langkah, unit, dokumen, catatan kejadian",
        description=wrap(
            "Rincian satu siklus: setiap langkah (mulai, batas, selesai, aktual terhadap standar), "
            "status setiap unit, dokumen (berkas, sha256, versi) dan catatan kejadian."
        ),
    )
    s.add_argument("code", metavar="KODE", help="kode siklus, mis. PK-2025-TW3")
    s.add_argument("--json", action="store_true", help="keluaran JSON (SPEC §7.3)")

    s = sub.add_parser(
        "status",
        help="keadaan daemon, surel, siklus berjalan, keterlambatan, pesan ditahan",
        description=wrap(
            "Apakah daemon hidup (detak), apakah surel tersambung, langkah setiap siklus yang "
            "berjalan, siapa yang ditunggu sejak kapan, apa yang terlambat dari standar SOP, dan "
            "pesan yang ditahan."
        ),
    )
    s.add_argument("--json", action="store_true", help="keluaran JSON (SPEC §7.3)")

    s = sub.add_parser("register", help="register surat keluar atau masuk",
                       description=wrap("Register surat keluar atau masuk (SPEC §4)."))
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
        description=wrap(
            "Menunjukkan bagaimana Pantau membaca pesan: jenis, token, tugas yang cocok, "
            "pemeriksaan pengirim, keputusan, lampiran, formulir, dan tindakan yang akan diambil "
            "daemon. Tidak mengubah apa pun.",
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
        description=wrap(
            "Pesan yang ditahan (pengirim tidak sah, tidak cocok dengan tugas, DMARC gagal) atau "
            "gagal diproses, dengan alasan dan saran. Setelah penyebabnya diperbaiki: "
            "`pantau replay ID`."
        ),
    )
    s.add_argument("--json", action="store_true", help="keluaran JSON (SPEC §7.3)")
    s.add_argument(
        "--semua",
        action="store_true",
        help="sertakan pesan yang diabaikan (balasan otomatis, laporan gagal kirim, surat lain, "
        "duplikat)",
    )

    s = sub.add_parser(
        "replay",
        help="memproses ulang pesan (nomor dari `pantau triage`)",
        description=wrap(
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
        description=wrap(
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
        description=wrap("Mengirim ulang surat yang gagal atau masih menunggu, sekarang."),
    )
    s.add_argument("id", type=int, metavar="ID", help="nomor surat dari `pantau outbox`")
    s = osub.add_parser(
        "cancel",
        help="berhenti mencoba mengirim surat",
        description=wrap(
            "Berhenti mencoba mengirim surat (mis. sudah disampaikan dengan cara "
            "lain). Surat tetap tersimpan di arsip."
        ),
    )
    s.add_argument("id", type=int, metavar="ID", help="nomor surat dari `pantau outbox`")

    exp = sub.add_parser("export", help="ekspor data", description=wrap("Ekspor data."))
    esub = exp.add_subparsers(dest="export_cmd", metavar="JENIS", title="jenis")
    s = esub.add_parser(
        "emonev",
        help="data e-Monev satu siklus (XLSX, dan CSV di sebelahnya)",
        description=wrap("Data e-Monev satu siklus (XLSX, dan CSV di sebelahnya)."),
    )
    s.add_argument("code", metavar="KODE", help="kode siklus, mis. PK-2025-TW3")
    s.add_argument(
        "--out", metavar="BERKAS", help="berkas XLSX tujuan (bawaan: Data-eMonev-KODE.xlsx)"
    )

    s = sub.add_parser(
        "web",
        help="dasbor web: keadaan siklus, dokumen, capaian, register (SPEC §8)",
        description=wrap(
            "Menjalankan dasbor web di latar depan (bawaan: [web] host dan port). Dasbor hanya "
            "menampilkan; persetujuan tetap melalui e-mail. Orang kantor masuk dengan tautan "
            "sekali pakai yang dikirim ke alamatnya; `pantau web link EMAIL` mencetak satu tautan.",
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
        description=wrap(
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
        help="mencadangkan basis data, arsip, konfigurasi dan rahasia token (aman saat daemon "
        "berjalan)",
        description=wrap(
            "BERKAS.tar.gz (atau .tgz) menjadi satu berkas; nama lain menjadi folder baru. "
            "Cadangan lama tidak pernah ditimpa. --periksa memeriksa cadangan terhadap "
            "MANIFEST.json."
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
            level=log_level(args, logging.INFO if args.cmd == "replay" else logging.WARNING),
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
