"""The dashboard's `Office`: what every request needs, made once per application.

The configuration, the SOP, the working calendar, the office clock and who may sign in; a Store
per thread (endpoints run in Starlette's thread pool), and the page cache.
"""

from __future__ import annotations

import threading

from daemon.config import Config
from daemon.core.sop import load_sop
from daemon.core.worktime import WorkCalendar, load_extra_days
from daemon.operator import views
from daemon.shell.clock import Clock
from daemon.store import Store
from daemon.web import pages, signin
from daemon.web.people import directory
from daemon.web.settings import WebSettings, web_settings


class Office:
    """What every request needs: the configuration, SOP, working calendar, clock and who may sign
    in; a Store per thread."""

    def __init__(self, cfg: Config, settings: WebSettings | None = None):
        self.cfg = cfg
        self.settings = settings or web_settings(cfg)
        self.sop = load_sop(cfg.sop_file)
        off, on = (load_extra_days(cfg.libur_tambahan)
                   if cfg.libur_tambahan and cfg.libur_tambahan.exists() else (set(), set()))
        self.cal = WorkCalendar(
            cfg.kantor.zona_waktu, hours=cfg.jam_kerja, extra_off=off, extra_on=on
        )
        self.people = directory(cfg)
        self.unit_names = {u.kode: u.nama for u in cfg.units}
        self._local = threading.local()
        self.clock = Clock.from_env(cfg.kantor.zona_waktu, self._remember)
        self.tz = self.clock.tz
        self.cache = pages.PageCache()
        self.now = signin.utcnow  # real time for links and sessions (tests replace it)

    def _remember(self, key: str, value: str) -> str:
        s = self.store
        with s.transaction():
            return s.meta_once(key, value)

    @property
    def store(self) -> Store:
        s = getattr(self._local, "store", None)
        if s is None:
            s = self._local.store = Store(self.cfg.db_path)
        return s

    def status(self, mark: tuple | None = None) -> dict:
        s = self.store
        return self.cache.get(
            "status",
            mark or s.change_mark(),
            lambda: views.status(s, self.sop, self.cal, self.clock.now(), self.cfg),
        )
