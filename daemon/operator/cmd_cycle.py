"""`pantau cycle start|list|show` (one monitoring cycle of a period) and `pantau export emonev`
(a finished cycle's data for the kabupaten's e-Monev).
"""

from __future__ import annotations

import sys
from pathlib import Path

from daemon.operator.cmd_common import Usage, dump_json, open_app, use_rich


def cmd_cycle(args) -> int:
    from daemon.operator import report_cycle, report_text, views

    if not args.cycle_cmd:
        raise Usage("pantau cycle start|list|show (lihat `pantau cycle --help`)")
    app = open_app(args)
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
                    f"Siklus {code} dimulai. Daemon yang berjalan mengirim surat-suratnya "
                    "sekarang; ikuti dengan `pantau status`."
                )
            else:
                print(
                    f"Siklus {code} dimulai. Surat-suratnya dikirim oleh daemon (`pantau run`), "
                    "yang saat ini tidak berjalan; jalankan dengan `systemctl start pantau`, lalu "
                    "ikuti dengan `pantau status`."
                )
            return 0
        if args.cycle_cmd == "list":
            rows = views.cycle_list(app.store)
            if args.json:
                dump_json(rows)
            else:
                report_text.cycles_doc(rows).write(sys.stdout, use_rich())
            return 0
        st = app.store.load_cycle(args.code)
        if st is None:
            known = ", ".join(r["code"] for r in app.store.cycles()) or "belum ada"
            print(f"Siklus {args.code} tidak ditemukan (yang ada: {known}).", file=sys.stderr)
            return 1
        data = views.cycle_show(app.store, st, app.sop, app.cal, now=app.clock.now(),
                                unit_names={u.kode: u.nama for u in app.cfg.units})
        if args.json:
            dump_json(data)
        else:
            from daemon.core.model import Period

            report_cycle.print_cycle(data, sys.stdout, use_rich(), office_dir=app.cfg.office_dir,
                                     label=Period.parse(st.period).label)
        return 0
    finally:
        app.close()


def cmd_export(args) -> int:
    if args.export_cmd != "emonev":
        raise Usage("pantau export emonev KODE [--out BERKAS]")
    from daemon.core.model import Period
    from daemon.documents import write_emonev

    app = open_app(args)
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
