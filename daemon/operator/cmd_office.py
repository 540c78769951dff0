"""The office as a whole: `pantau init` (a new office folder), `check` (the configuration and,
online, the mail server), `status` (what the daemon is doing) and `backup`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from daemon.operator.cmd_common import dump_json, load_cfg, open_app, use_rich


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
        cfg = load_cfg(args)
    except ConfigError as e:
        rep = Report(problems=list(e.problems))
        path = config_path(args.config)
    else:
        rep = run_checks(cfg, offline=args.offline)
        path = cfg.path
    if args.json:
        dump_json(
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
            f"\n{len(rep.problems)} kesalahan ditemukan; perbaiki lalu jalankan `pantau check` "
            "lagi."
        )
        return 2
    print(
        "\nSemua pemeriksaan lulus"
        + (f" ({len(rep.warnings)} peringatan)." if rep.warnings else ".")
    )
    return 0


def cmd_status(args) -> int:
    from daemon.operator import report_text, views

    app = open_app(args)
    try:
        data = views.status(app.store, app.sop, app.cal, app.clock.now(), app.cfg)
        if args.json:
            dump_json(data)
        else:
            report_text.print_status(data, sys.stdout, use_rich())
        return 0
    finally:
        app.close()


def cmd_backup(args) -> int:
    from daemon.store.backup import command

    cfg = None if args.periksa else load_cfg(args)
    return command(cfg, Path(args.file), check=args.periksa, as_json=args.json)
