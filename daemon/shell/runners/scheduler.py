"""`pantau run`: the daemon loop.

One thread does all the work (one writer): read the inbox, fire due timers, send the outbox, start a
cycle when `[jadwal] cron` says so. APScheduler is only a metronome: its jobs wake the loop (stable
job ids, replace_existing, an explicit ZoneInfo, a generous misfire grace, one worker, no pickled
jobs in a job store). What is due is decided on the office clock (PANTAU_NOW / PANTAU_TIME_SCALE),
so an accelerated test run and production behave alike. Between rounds the loop waits on the
transport (IMAP IDLE), never busy-polling.
"""

from __future__ import annotations

import hashlib
import logging
import os
import signal
import threading
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from daemon.core.formatting import tanggal_waktu
from daemon.core.worktime import parse_duration
from daemon.mail.compose import build_message, new_message_id
from daemon.shell import schedule
from daemon.shell.archive import write_atomic
from daemon.shell.office import CycleExists, OfficeApp

log = logging.getLogger("pantau")
MAX_WAIT_S = 60.0  # real seconds between rounds when nothing is due


class StopRequested(BaseException):
    """Raised by the signal handler while the loop is blocked in a transport wait (IMAP IDLE),
    so SIGTERM stops the daemon at once instead of after the wait. A BaseException, so the
    transports' `except Exception` recovery code lets it through."""


class WakeRequested(BaseException):
    """Raised by the SIGUSR1/SIGHUP handler while the loop waits on the transport: `cycle start`,
    `outbox retry` or a reload asks for a round now rather than after the wait."""


class Daemon:
    def __init__(self, app: OfficeApp):
        self.app = app
        self.stop = threading.Event()
        self.wake = threading.Event()
        self.reload_asked = threading.Event()
        self._in_wait = False
        self._was_connected = True
        tz = self.tz = ZoneInfo(app.cfg.kantor.zona_waktu)
        self.cron = CronTrigger.from_crontab(app.cfg.jadwal_cron, timezone=tz)
        self.batas = parse_duration(app.cfg.jadwal_batas_terlambat)
        self.running_since = app.clock.now()
        self._wake_at: datetime | None = None
        # The metronome's own chatter (a missed beat while the loop was busy) is not an event of
        # the office: only its errors reach the log.
        logging.getLogger("apscheduler").setLevel(logging.ERROR)
        self.scheduler = BackgroundScheduler(
            timezone=tz, executors={"default": ThreadPoolExecutor(1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600})

    # ------------------------------------------------------------------ scheduling

    def _metronome(self) -> None:
        self.wake.set()

    def start_due_cycle(self, now: datetime) -> None:
        """SPEC §2: start the period's cycle at its scheduled start (the cron time, moved to the
        next office opening); a daemon that came up later starts it if the start passed less than
        `jadwal.batas_terlambat` ago, else tells the operator once and waits for
        `pantau cycle start` (daemon/shell/schedule.py decides)."""
        app, store = self.app, self.app.store
        d = schedule.decide(self.cron, app.cal, app.cfg.jadwal_periode, now, self.batas,
                            lambda code: store.load_cycle(code) is not None, self.running_since)
        if d.action == "none":
            return
        due = d.due
        code = due.period.cycle_code
        if d.action == "notify":
            key = f"jadwal_diberitahu:{code}"
            if store.meta(key):
                return
            with store.transaction():
                store.set_meta(key, now.isoformat())
                to = schedule.operator_addresses(app.cfg)
                self._notify_missed(due, d.limit, now, to)
                store.add_log("", now, "", "jadwal_terlewat", ", ".join(to),
                              f"{code}: waktu mulai {_when(due.start)} lewat lebih dari "
                              f"{app.cfg.jadwal_batas_terlambat} kerja")
            log.warning(
                "siklus %s tidak dimulai otomatis: waktu mulainya %s sudah lewat lebih dari %s "
                "kerja; operator diberi tahu (mulai dengan: pantau cycle start %s)",
                code,
                _when(due.start),
                app.cfg.jadwal_batas_terlambat,
                due.period.code,
                extra={"cycle": code, "event": "jadwal_terlewat"},
            )
            return
        try:
            app.start_cycle(due.period.code)
        except CycleExists:
            return
        if d.action == "late":
            log.warning("siklus %s dimulai terlambat: waktu mulainya %s, daemon baru berjalan %s",
                        code, _when(due.start), _when(self.running_since),
                        extra={"cycle": code, "event": "siklus_dimulai_terlambat"})
            with store.transaction():
                store.add_log(code, now, "", "siklus_dimulai_terlambat", "",
                              f"waktu mulai {_when(due.start)}")
        else:
            log.info(
                "siklus %s dimulai sesuai jadwal",
                code,
                extra={"cycle": code, "event": "siklus_dimulai"},
            )

    def _notify_missed(self, due: schedule.ScheduledStart, limit: datetime | None, now: datetime,
                       to: list[str]) -> None:
        """An e-mail to the operator: the period's cycle was not started by itself, and how to."""
        app = self.app
        cfg = app.cfg
        mid = new_message_id(cfg.kantor.domain)
        subject = f"Siklus {due.period.cycle_code} tidak dimulai otomatis"
        body = (
            f"Yth. {app.salutation(to[0])},\n\n"
            f"Siklus pemantauan kinerja {due.period.label} ({due.period.cycle_code}) "
            f"seharusnya dimulai pada {_when(due.start)} sesuai jadwal. Pantau baru berjalan pada "
            f"{_when(now)}, lebih dari {cfg.jadwal_batas_terlambat} kerja setelah waktu itu "
            f"(batas: {_when(limit) if limit else '-'}), sehingga siklus tidak dimulai otomatis "
            "agar tidak ada surat yang tiba-tiba terkirim.\n\n"
            "Bila siklus ini tetap perlu dijalankan, mulailah dengan perintah:\n\n"
            f"    pantau cycle start {due.period.code}\n\n"
            "Bila tidak, abaikan pemberitahuan ini; siklus berikutnya dimulai sesuai jadwal.\n\n"
            f"Pesan otomatis dari Pantau, {cfg.kantor.nama}.\n"
        )
        raw = build_message(
            sender=cfg.mail.alamat,
            sender_name=cfg.mail.nama,
            to=to,
            cc=[],
            subject=subject,
            body=body,
            message_id=mid,
            date=now,
            cycle="",
            token=None,
            notification=True,
        )
        path = (
            app.archive.root
            / "keluar"
            / "_jadwal"
            / f"{hashlib.sha1(mid.encode()).hexdigest()}.eml"
        )
        write_atomic(path, raw)
        app.store.enqueue(message_id=mid, cycle="", step="", kind="pemberitahuan:jadwal_terlewat",
                          task=None, recipients=to, subject=subject, path=str(path), now=now)

    def next_wait(self, now: datetime) -> float:
        """Real seconds until something is due (a timer, the cron), capped."""
        candidates = [MAX_WAIT_S]
        nt = self.app.store.next_timer()
        if nt:
            candidates.append(self.app.clock.real_seconds((nt - now).total_seconds()))
        start = schedule.next_start(self.cron, self.app.cal, now)
        if start:
            candidates.append(self.app.clock.real_seconds((start - now).total_seconds()))
            self._schedule_wake(start, now)
        if self.app.store.outbox_due(now + timedelta(days=3650)):
            first = self.app.store.next_outbox_attempt()
            if first:
                candidates.append(
                    self.app.clock.real_seconds(
                        (datetime.fromisoformat(first) - now).total_seconds()
                    )
                )
        return max(0.05, min(candidates))

    def _schedule_wake(self, start: datetime, now: datetime) -> None:
        """An APScheduler date job at the real instant of the next scheduled start (the office
        clock may run faster than real time), so the loop wakes then, not at the next poll."""
        if not self.scheduler.running or start == self._wake_at:
            return
        real = time.time() + self.app.clock.real_seconds((start - now).total_seconds())
        self.scheduler.add_job(
            self._metronome,
            DateTrigger(run_date=datetime.fromtimestamp(real, self.tz)),
            id="jadwal_siklus",
            replace_existing=True,
        )
        self._wake_at = start

    def heartbeat(self, now: datetime, connected: bool) -> None:
        store = self.app.store
        with store.transaction():
            store.set_meta("heartbeat", now.isoformat(timespec="seconds"))
            store.set_meta(
                "heartbeat_real", datetime.now().astimezone().isoformat(timespec="seconds")
            )
            store.set_meta("pid", str(os.getpid()))
            store.set_meta("mail_last_check", now.isoformat(timespec="seconds"))
            was = store.meta("mail_connected") == "1"
            store.set_meta("mail_connected", "1" if connected else "0")
            if connected and not was:
                store.set_meta("mail_connected_since", now.isoformat(timespec="seconds"))

    # ------------------------------------------------------------------ the loop

    def round(self) -> None:
        now = self.app.clock.now()
        connected = True
        try:
            self.app.poll()
        except Exception as e:  # the mail server may be away: keep timers and the outbox going
            connected = False
            if self._was_connected:  # say it once, not every round
                log.warning("kotak masuk tidak dapat dibaca: %s", e)
        if connected and not self._was_connected:
            log.info("kotak masuk tersambung kembali")
        self._was_connected = connected
        # Letters already queued (a `cycle start` from the CLI) go out before any timer is looked
        # at, so no reminder ever precedes the letter it is about.
        self._dispatch()
        self.app.sweep()
        self.start_due_cycle(self.app.clock.now())
        self.app.tell_operator()
        self._dispatch()
        self.heartbeat(now, connected)

    def _dispatch(self) -> None:
        try:
            self.app.dispatch()
        except Exception as e:
            log.warning("kotak keluar tidak dapat dikirim: %s", e)

    def _on_signal(self, *_: object) -> None:
        self.stop.set()
        self.wake.set()
        if self._in_wait:
            raise StopRequested()

    def _on_wake(self, signum: int, *_: object) -> None:
        if signum == signal.SIGHUP:
            self.reload_asked.set()
        self.wake.set()
        if self._in_wait:
            raise WakeRequested()

    def reload(self) -> None:
        """SIGHUP: read the configuration again. A broken file keeps the running configuration
        (and says why); a good one replaces the office and follows people's address changes."""
        from daemon.config import ConfigError, load_config

        self.reload_asked.clear()
        try:
            cfg = load_config(self.app.cfg.path)
        except ConfigError as e:
            log.error("konfigurasi baru tidak dipakai (yang lama tetap berlaku): %s", e,
                      extra={"event": "muat_ulang_gagal"})
            return
        old = self.app
        try:
            self.app = OfficeApp(cfg, clock=old.clock)
        except Exception as e:  # SOP or indicators broken: keep running on the old ones
            log.error("konfigurasi baru tidak dipakai (yang lama tetap berlaku): %s", e,
                      extra={"event": "muat_ulang_gagal"})
            return
        old.close()
        tz = self.tz = ZoneInfo(cfg.kantor.zona_waktu)
        self.cron = CronTrigger.from_crontab(cfg.jadwal_cron, timezone=tz)
        self.batas = parse_duration(cfg.jadwal_batas_terlambat)
        self._wake_at = None  # next_wait() sets the wake-up for the new schedule
        log.info("konfigurasi dimuat ulang dari %s", cfg.path, extra={"event": "muat_ulang"})
        self.follow_addresses()

    def follow_addresses(self) -> None:
        from daemon.shell.addresses import follow_address_changes

        try:
            follow_address_changes(self.app)
        except Exception:
            log.exception("perubahan alamat tidak dapat diterapkan")

    def _wait(self, seconds: float) -> None:
        """Block until mail may have come, a timer may be due, or a stop was asked for."""
        deadline = time.monotonic() + seconds
        while not self.stop.is_set() and not self.wake.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self._in_wait = True
            try:
                if self.app.transport.wait(left):
                    return
            except StopRequested:
                return
            except WakeRequested:
                # The transport may have been stopped mid-IDLE: let it start its wait afresh.
                reset = getattr(self.app.transport, "reset", None)
                if reset:
                    reset()
                return
            except Exception as e:  # the transport promises not to raise; be safe anyway
                log.warning("menunggu surel gagal: %s", e)
                self.stop.wait(min(left, 5.0))
            finally:
                self._in_wait = False

    def run(self) -> int:
        self._in_wait = False
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_signal)
        for sig in (signal.SIGUSR1, signal.SIGHUP):
            signal.signal(sig, self._on_wake)
        self.scheduler.add_job(self._metronome, IntervalTrigger(seconds=MAX_WAIT_S), id="metronom",
                               replace_existing=True)
        self.scheduler.start()
        with (
            self.app.store.transaction()
        ):  # a new process: its connection starts now, not a dead one's
            self.app.store.set_meta("mail_connected", "0")
        log.info("Pantau berjalan (transport %s, pid %s)", self.app.cfg.mail.transport, os.getpid())
        self.follow_addresses()
        try:
            while not self.stop.is_set():
                try:
                    # a wake that arrives during the round makes the wait return at once
                    self.wake.clear()
                    if self.reload_asked.is_set():
                        self.reload()
                    self.round()
                except StopRequested:
                    break
                except WakeRequested:  # a signal between two waits: the round runs again now
                    continue
                except Exception:  # never die on one bad round; the log says why
                    log.exception("putaran gagal; dicoba lagi")
                    self.stop.wait(5)
                try:
                    if not self.reload_asked.is_set():
                        self._wait(self.next_wait(self.app.clock.now()))
                except StopRequested:  # arrived just as the wait returned
                    break
                except WakeRequested:
                    continue
        finally:
            self.scheduler.shutdown(wait=False)
            with self.app.store.transaction():
                self.app.store.set_meta("heartbeat_real", "")
                self.app.store.set_meta("mail_connected", "0")
            self.app.close()
            log.info("Pantau berhenti dengan rapi")
        return 0


def _when(dt: datetime) -> str:
    """An instant as an Indonesian reader expects it: 'Senin, 6 Oktober 2025 pukul 07.30 WIB'."""
    return tanggal_waktu(dt)
