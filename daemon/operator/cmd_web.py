"""`pantau web`: serve the dashboard, or `pantau web link EMAIL` (a one-time sign-in link)."""

from __future__ import annotations

import logging
import sys

from daemon.operator.cmd_common import load_cfg, log_level


def cmd_web(args) -> int:
    from daemon.shell import logsetup

    cfg = load_cfg(args)
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
    logsetup.setup(args.log_format, level=log_level(args, logging.INFO), tz=cfg.kantor.zona_waktu)
    return serve(cfg, host=args.host, port=args.port)
