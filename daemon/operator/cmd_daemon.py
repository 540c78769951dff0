"""The commands that run the office's loop: `pantau run` (the daemon) and `pantau demo` (a
simulated office on a jumping clock).
"""

from __future__ import annotations

import logging
from pathlib import Path

from daemon.operator.cmd_common import load_cfg, log_level

log = logging.getLogger("pantau")


def cmd_run(args) -> int:
    from daemon.shell import logsetup
    from daemon.shell.lock import AlreadyRunning, OfficeLock
    from daemon.shell.office import OfficeApp
    from daemon.shell.runners.scheduler import Daemon

    cfg = load_cfg(args)
    logsetup.register_secrets(logsetup.secrets_from_config(cfg))
    logsetup.setup(args.log_format, level=log_level(args, logging.INFO), file=cfg.log_file,
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
        app = OfficeApp(cfg)
        gone = app.archive.sweep_unfinished()
        if gone:
            log.info("%d berkas sementara yang tertinggal dari penghentian sebelumnya dihapus "
                     "dari arsip", gone, extra={"event": "arsip_dibersihkan"})
        return Daemon(app).run()
    finally:
        lock.release()


def cmd_demo(args) -> int:
    import tempfile

    from daemon.demo.simulation import run_demo

    target = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="pantau-demo-"))
    return run_demo(target, units=getattr(args, "units", None))
