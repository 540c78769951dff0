"""The `pantau` command (SPEC §7.1). Exit codes: 0 ok, 1 failure, 2 bad usage or configuration.

Messages for the operator are in Indonesian; `--json` output keeps the English keys of SPEC §7.3.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from . import __version__

log = logging.getLogger("pantau")


class Usage(Exception):
    pass


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="pantau", description="Pantau: pemantauan kinerja kecamatan melalui e-mail.")
    p.add_argument("--config", help="berkas konfigurasi (bawaan: $PANTAU_CONFIG atau config/pantau.toml)")
    p.add_argument("--log-format", choices=("text", "json"), default="text", help="format log di stderr")
    p.add_argument("--version", action="version", version=f"pantau {__version__}")
    sub = p.add_subparsers(dest="cmd", metavar="PERINTAH")

    s = sub.add_parser("init", help="membuat folder kantor baru (config/ dan templates/) dari contoh bawaan")
    s.add_argument("dir")
    s = sub.add_parser("check", help="memeriksa konfigurasi, SOP, indikator, templat, dan (tanpa --offline) server surel")
    s.add_argument("--offline", action="store_true", help="jangan masuk ke server surel")
    sub.add_parser("run", help="menjalankan daemon di latar depan (berhenti dengan SIGTERM/Ctrl-C)")
    s = sub.add_parser("demo", help="menjalankan satu siklus lengkap S1-S13 dengan pegawai tiruan")
    s.add_argument("--dir", help="folder kantor demo (bawaan: folder sementara baru)")

    cyc = sub.add_parser("cycle", help="siklus pemantauan")
    csub = cyc.add_subparsers(dest="cycle_cmd", metavar="AKSI")
    s = csub.add_parser("start", help="memulai siklus sekarang, mis. 2025-TW3, 2025-S1, 2025")
    s.add_argument("period")
    s = csub.add_parser("list", help="daftar siklus")
    s.add_argument("--json", action="store_true")
    s = csub.add_parser("show", help="rincian satu siklus")
    s.add_argument("code")
    s.add_argument("--json", action="store_true")

    s = sub.add_parser("status", help="keadaan daemon, surel, siklus berjalan, keterlambatan, pesan ditahan")
    s.add_argument("--json", action="store_true")
    s = sub.add_parser("register", help="register surat keluar atau masuk")
    s.add_argument("which", choices=("keluar", "masuk"))
    s.add_argument("--tahun", type=int)
    g = s.add_mutually_exclusive_group()
    g.add_argument("--json", action="store_true")
    g.add_argument("--csv", action="store_true")
    g.add_argument("--xlsx", metavar="FILE")
    s = sub.add_parser("inspect", help="menunjukkan cara Pantau membaca berkas .eml (tanpa mengubah apa pun)")
    s.add_argument("files", nargs="+")
    s.add_argument("--json", action="store_true")
    s = sub.add_parser("triage", help="pesan yang ditahan atau gagal diproses")
    s.add_argument("--json", action="store_true")
    s = sub.add_parser("replay", help="memproses ulang satu pesan (nomor dari `pantau triage`)")
    s.add_argument("id", type=int)
    exp = sub.add_parser("export", help="ekspor data")
    esub = exp.add_subparsers(dest="export_cmd", metavar="JENIS")
    s = esub.add_parser("emonev", help="data e-Monev satu siklus (XLSX, dan CSV di sebelahnya)")
    s.add_argument("code")
    s.add_argument("--out", help="berkas XLSX tujuan")
    return p


def _cfg(args):
    from .config import config_path, load_config

    return load_config(config_path(args.config))


def _app(args):
    from .office import OfficeApp

    return OfficeApp(_cfg(args))


def _dump(obj) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


# ============================================================================ commands


def cmd_init(args) -> int:
    from .demo import init_office

    path = init_office(Path(args.dir))
    print(f"Kantor baru dibuat: {path}\nLangkah berikutnya: sunting {path} dan config/indikator.csv, "
          f"lalu jalankan `pantau --config {path} check`.")
    return 0


def cmd_check(args) -> int:
    from .checks import run_checks

    problems, notes = run_checks(_cfg(args), offline=args.offline)
    for n in notes:
        print(f"  ok  {n}")
    for pr in problems:
        print(f"  SALAH  {pr}")
    if problems:
        print(f"\n{len(problems)} masalah ditemukan.")
        return 2
    print("\nSemua pemeriksaan lulus.")
    return 0


def cmd_run(args) -> int:
    from .runner import Daemon

    cfg = _cfg(args)
    from . import logsetup

    logsetup.setup(args.log_format, file=cfg.log_file)
    from .office import OfficeApp

    return Daemon(OfficeApp(cfg)).run()


def cmd_demo(args) -> int:
    import tempfile

    from .demo import run_demo

    target = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="pantau-demo-"))
    return run_demo(target)


def cmd_cycle(args) -> int:
    from . import report_text, views

    if not args.cycle_cmd:
        raise Usage("pantau cycle start|list|show")
    app = _app(args)
    try:
        if args.cycle_cmd == "start":
            from .office import CycleExists

            try:
                code = app.start_cycle(args.period)
            except CycleExists as e:
                print(f"Gagal: {e}", file=sys.stderr)
                return 1
            except ValueError as e:
                raise Usage(str(e)) from None
            print(f"Siklus {code} dimulai. Surat-suratnya dikirim oleh daemon (`pantau run`).")
            return 0
        if args.cycle_cmd == "list":
            rows = views.cycle_list(app.store)
            if args.json:
                _dump(rows)
            else:
                for r in rows:
                    print(f"{r['code']:16} {report_text.STATUS_ID.get(r['status'], r['status']):10} {r['current_step'] or '-'}")
                if not rows:
                    print("Belum ada siklus.")
            return 0
        st = app.store.load_cycle(args.code)
        if st is None:
            print(f"Siklus {args.code} tidak ditemukan.", file=sys.stderr)
            return 1
        data = views.cycle_show(app.store, st, app.sop, app.cal)
        if args.json:
            _dump(data)
        else:
            report_text.print_cycle(data, sys.stdout)
        return 0
    finally:
        app.close()


def cmd_status(args) -> int:
    from . import report_text, views

    app = _app(args)
    try:
        data = views.status(app.store, app.sop, app.clock.now(), app.cfg.mail.transport)
        _dump(data) if args.json else report_text.print_status(data, sys.stdout)
        return 0
    finally:
        app.close()


def cmd_register(args) -> int:
    from . import report_text, views

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
    from .inspect import inspect_files

    return inspect_files(args, _cfg_or_none(args))


def _cfg_or_none(args):
    from .config import ConfigError, config_path

    path = config_path(args.config)
    if not path.exists():
        return None
    try:
        return _cfg(args)
    except ConfigError:
        return None


def cmd_triage(args) -> int:
    from . import views

    app = _app(args)
    try:
        rows = views.triage(app.store)
        if args.json:
            _dump([{k: r[k] for k in ("id", "received", "from", "subject", "reason")} for r in rows])
        elif not rows:
            print("Tidak ada pesan yang ditahan.")
        else:
            for r in rows:
                print(f"#{r['id']:<5} {r['status']:8} {r['received'][:16]}  {r['from'] or '-'}\n"
                      f"       {r['subject'] or '(tanpa subjek)'}\n       alasan: {r['reason']}")
            print("\nSetelah memperbaiki penyebabnya (mis. menambah `wakil`), proses ulang dengan `pantau replay ID`.")
        return 0
    finally:
        app.close()


def cmd_replay(args) -> int:
    app = _app(args)
    try:
        if app.store.inbound(args.id) is None:
            print(f"Pesan #{args.id} tidak ditemukan.", file=sys.stderr)
            return 1
        outcome = app.replay(args.id)
        row = app.store.inbound(args.id)
        app.dispatch()
        print(f"Pesan #{args.id}: {row['status']}" + (f" ({row['reason']})" if row["reason"] else "") + f" -> {outcome}")
        return 0 if row["status"] in ("diproses", "diabaikan", "duplikat") else 1
    finally:
        app.close()


def cmd_export(args) -> int:
    if args.export_cmd != "emonev":
        raise Usage("pantau export emonev CODE [--out FILE]")
    from .documents import write_emonev
    from .model import Period

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


COMMANDS = {"init": cmd_init, "check": cmd_check, "run": cmd_run, "demo": cmd_demo, "cycle": cmd_cycle,
            "status": cmd_status, "register": cmd_register, "inspect": cmd_inspect, "triage": cmd_triage,
            "replay": cmd_replay, "export": cmd_export}


def main(argv: list[str] | None = None) -> int:
    from .config import ConfigError
    from .indicators import IndicatorError
    from .sop import SopError

    parser = _parser()
    args = parser.parse_args(argv)
    if not args.cmd:
        parser.print_help()
        return 2
    if args.cmd != "run":
        from . import logsetup

        logsetup.setup(args.log_format, level=logging.WARNING)
    try:
        return COMMANDS[args.cmd](args)
    except Usage as e:
        print(f"Penggunaan salah: {e}", file=sys.stderr)
        return 2
    except (ConfigError, SopError, IndicatorError) as e:
        print(str(e), file=sys.stderr)
        return 2
    except FileExistsError as e:
        print(f"Gagal: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 1


if __name__ == "__main__":
    sys.exit(main())
