"""The operator's commands about mail: `pantau inspect` (how Pantau reads a message, without the
office if need be), `triage` (what is held and why), `replay` (process a held message again) and
`outbox` (what is waiting to be sent; retry or cancel a letter).
"""

from __future__ import annotations

import json
import sys

from daemon.operator.cmd_common import dump_json, load_cfg, open_app, use_rich


def cmd_inspect(args) -> int:
    from daemon.operator.inspect import inspect_files

    args.rich = use_rich() and not args.json
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
        return load_cfg(args)
    except ConfigError as e:
        print(f"Peringatan: {e}\nPesan dibaca tanpa konfigurasi kantor.", file=sys.stderr)
        return None


def cmd_triage(args) -> int:
    from daemon.operator import report_text, views

    app = open_app(args)
    try:
        rows = views.triage(app.store, app.cfg, include_ignored=args.semua, now=app.clock.now())
        if args.json:
            dump_json(rows)
        else:
            report_text.triage_doc(rows, args.semua).write(sys.stdout, use_rich())
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

    app = open_app(args)
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
                "Surat yang timbul (bila ada) dikirim oleh daemon yang sedang berjalan, paling "
                "lambat dalam satu menit."
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

    app = open_app(args)
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
                    f"Surat #{args.id} kepada {to} dibatalkan; tidak akan dikirim lagi (tetap di "
                    "arsip)."
                )
            elif wake_daemon(app.cfg.db_path):
                print(
                    f"Surat #{args.id} kepada {to} dikirim ulang sekarang oleh daemon; periksa "
                    "dengan `pantau outbox`."
                )
            else:
                print(
                    f"Surat #{args.id} kepada {to} dijadwalkan ulang; daemon tidak berjalan, jadi "
                    "dikirim saat daemon dijalankan (`systemctl start pantau`)."
                )
            return 0
        rows = outbox_cmd.rows(app.store, app.cfg, include_sent=args.semua)
        if args.json:
            dump_json(rows)
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
