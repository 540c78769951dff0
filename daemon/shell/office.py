"""The office shell: the wiring of one office around the pure engine.

`OfficeApp` builds the office's parts from its configuration (store, archive, SOP, working
calendar, clock, indicators, secret, e-mail texts, transport, document producer, message reader)
and owns the one thing they share: an event is one transaction (`handle`, `advance`) that loads
the cycle, asks the engine (daemon/core/engine.py) what to do, applies the effects and saves the
state. Each other job is a small module of its own, which `OfficeApp` composes and calls:

- `apply.py`: each effect carried out (store, archive, outbox);
- `registers.py`: the register entries, and the one numbering path for outgoing letters;
- `people.py`: who an address is (registers, salutations);
- `letters.py`: letters and notices composed into the outbox;
- `runners/incoming.py`: the inbox (store first, record, read, turn into an event);
- `runners/outgoing.py`: the outbox sender;
- `runners/timers.py`: due timers, the operator's notices, PDFs tried again;
- `runners/scheduler.py`: `pantau run`, the loop that drives the rounds.

Composition rather than mixins: each part is built with only what it needs (the people
directory knows only the configuration, the registers only the store and the people, letters no
transport), so what a part can touch is read in its constructor. The runners drive the office
itself (they advance events, which apply effects) and so hold it. The methods below keep the
office's public face (the CLI, the demo, the dashboard and the tests call them) and are one line
each; what only the parts call (`doc_files`, `body_context`, `send_letter`, `send_notice`,
`unit_of`) is reached through the part (`office.letters`, `office.people`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from daemon.config import Config
from daemon.config.indicators import indicators_for, load_indicators
from daemon.core import engine as E
from daemon.core.model import Period
from daemon.core.sop import load_sop
from daemon.core.tokens import make_token
from daemon.core.worktime import WorkCalendar, load_extra_days, parse_duration
from daemon.documents.produce import Producer
from daemon.mail.compose import EmailTexts
from daemon.mail.transports.base import DIABAIKAN, DIPROSES, GAGAL
from daemon.shell.apply import Effects
from daemon.shell.archive import Archive
from daemon.shell.clock import Clock
from daemon.shell.faults import crash_point
from daemon.shell.inbound import reader_for
from daemon.shell.letters import Answering, Letters
from daemon.shell.people import People
from daemon.shell.registers import Registers
from daemon.shell.runners.incoming import Incoming
from daemon.shell.runners.outgoing import Outgoing
from daemon.shell.runners.timers import Timers
from daemon.shell.secret import ensure_secret
from daemon.store import Store

# The folder outcomes of a processed message, importable from here as before.
__all__ = ["DIABAIKAN", "DIPROSES", "GAGAL", "CycleExists", "OfficeApp", "make_transport"]


class CycleExists(Exception):
    pass


def make_transport(cfg: Config):
    m = cfg.mail
    folders = {DIPROSES: m.folder_diproses, GAGAL: m.folder_gagal, DIABAIKAN: m.folder_diabaikan}
    if m.transport == "maildir":
        from daemon.mail.transports.maildir import MaildirTransport

        return MaildirTransport(m.maildir_path, m.alamat, folders)
    if m.transport == "imap":
        from daemon.mail.transports.factory import imap_transport

        return imap_transport(cfg)
    from daemon.mail.transports.factory import ews_transport

    return ews_transport(cfg)


class OfficeApp:
    def __init__(self, cfg: Config, clock: Clock | None = None, transport: Any = None):
        self.cfg = cfg
        self.store = Store(cfg.db_path)
        self.archive = Archive(cfg.arsip_dir)
        self.sop = load_sop(cfg.sop_file)
        off, on = (load_extra_days(cfg.libur_tambahan)
                   if cfg.libur_tambahan and cfg.libur_tambahan.exists() else (set(), set()))
        self.cal = WorkCalendar(
            cfg.kantor.zona_waktu, hours=cfg.jam_kerja, extra_off=off, extra_on=on
        )
        self.clock = clock or Clock.from_env(cfg.kantor.zona_waktu, self._remember)
        self.indicators = load_indicators(cfg.indikator_file, units={u.kode for u in cfg.units})
        self._by_unit: dict[str, list] | None = None
        ensure_secret(cfg)
        self.secret = cfg.secret()
        self.texts = EmailTexts(cfg.templates_dir)
        self._transport = transport
        self.producer = Producer(
            cfg=cfg, store=self.store, archive=self.archive, sop=self.sop, cal=self.cal,
            indicators=self.indicators, secret=self.secret, now=self.clock.now)
        h, mnt = cfg.undangan_jam.hour, cfg.undangan_jam.minute
        self.ctx = E.Context(
            sop=self.sop, cal=self.cal,
            people={r: cfg.pejabat[r].email for r in cfg.pejabat},
            units=[(u.kode, u.email) for u in cfg.units],
            perintah_otomatis=cfg.perintah_otomatis, tinjau_format=cfg.tinjau_format,
            tenggang_kumpul=parse_duration(cfg.tenggang_kumpul), meeting_time=(h, mnt),
            meeting_hours=cfg.undangan_durasi_jam, meeting_place=cfg.undangan_tempat,
            peserta=list(cfg.undangan_peserta), tembusan=list(cfg.laporan_tembusan),
            operators=list(cfg.operators))
        self.reader = reader_for(cfg, self.store, self.read_form, secret=self.secret)
        # The parts, each given what it needs (see the module docstring).
        self.people = People(cfg)
        self.registers = Registers(cfg, self.store, self.people)
        self.answering = Answering()
        self.letters = Letters(
            cfg=cfg, store=self.store, archive=self.archive, producer=self.producer,
            texts=self.texts, clock=self.clock, sop=self.sop, secret=self.secret,
            people=self.people, registers=self.registers,
            signature_step=self.reader.signature_step, answering=self.answering)
        self.effects = Effects(store=self.store, producer=self.producer,
                               registers=self.registers, letters=self.letters)
        self.incoming = Incoming(self)
        self.outgoing = Outgoing(self)
        self.timers = Timers(self)

    def _remember(self, key: str, value: str) -> str:
        with self.store.transaction():
            return self.store.meta_once(key, value)

    @property
    def transport(self):
        if self._transport is None:
            self._transport = make_transport(self.cfg)
        return self._transport

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
        self.store.close()

    def indicators_for(self, unit: str):
        """One unit's indicators, in the master's order: grouped once, so a form's check does
        not scan every unit's indicators (that grew with the office)."""
        if self._by_unit is None:
            self._by_unit = {}
            for code in {i.unit for i in self.indicators}:
                self._by_unit[code] = indicators_for(code, self.indicators)
        return list(self._by_unit.get(unit, ()))

    def token_for(self, key: str) -> str:
        return make_token(self.secret, key)

    def read_form(self, data: bytes, filename: str):
        from daemon.documents import ReadLimits, read_form

        b = self.cfg.mail.batas
        return read_form(
            data,
            filename,
            ReadLimits(
                max_total_bytes=int(b.ukuran_dokumen_mb * 2**20), max_ratio=b.rasio_kompresi
            ),
        )

    # ================================================================== events

    def start_cycle(self, period_text: str) -> str:
        period = Period.parse(period_text)
        code = period.cycle_code
        with self.store.transaction():
            if self.store.load_cycle(code):
                raise CycleExists(f"siklus {code} sudah ada")
            st = E.new_cycle(period.code, code, self.ctx)
            self.advance(st, E.Start(period=period.code), loaded=False)
        return code

    def handle(self, code: str, event: E.Event) -> E.CycleState:
        with self.store.transaction():
            st = self.store.load_cycle(code)
            if st is None:
                raise KeyError(code)
            new = self.advance(st, event)
        crash_point("committed")
        return new

    def advance(
        self, st: E.CycleState, event: E.Event, now: datetime | None = None, *,
        loaded: bool = True,
    ) -> E.CycleState:
        """The engine's decision on `event`, applied and saved, inside the caller's transaction.

        `st` is the cycle as loaded in this transaction (`loaded`; only the rows that changed
        are written) or a new one. A partial state (Store.load_for_task) that the engine finds
        too small for its decision (`Incomplete`: the last unit's form, a late form that
        recompiles the draft) is replaced by the whole cycle and the engine asked again (the
        engine is pure; what was applied from a partial state is undone by a savepoint)."""
        now = now or self.clock.now()
        if st.partial:
            try:
                with self.store.savepoint():
                    return self._advance(st, event, now, loaded)
            except E.Incomplete:
                # The engine (or, as a safety net, a part applying its effects: what it wrote
                # is undone) needed more than the partial state holds.
                whole = self.store.load_cycle(st.code)
                assert whole is not None
                st = whole
        return self._advance(st, event, now, loaded)

    def _advance(self, st: E.CycleState, event: E.Event, now: datetime,
                 loaded: bool) -> E.CycleState:
        dec = E.advance(st, event, now, self.ctx)
        for fx in dec.effects:
            self.apply(dec.state, fx, now)
        self.store.save_cycle(dec.state, self.token_for, before=st if loaded else None)
        return dec.state

    def apply(self, st: E.CycleState, fx: E.Effect, now: datetime) -> None:
        self.effects.apply(st, fx, now)

    # ================================================================== one round

    def run_once(self) -> dict:
        """One round of the daemon's work: inbox, timers, outbox."""
        got = self.poll()
        ticked = self.sweep()
        sent = self.dispatch()
        self.retry_final_pdfs()
        return {"received": got, "ticked": ticked, "sent": sent}

    # ================================================================== the parts' public face

    def poll(self) -> int:
        return self.incoming.poll()

    def ingest(self, raw: bytes, ref: str = "") -> str:
        return self.incoming.ingest(raw, ref)

    def process(self, inbound_id: int) -> str:
        return self.incoming.process(inbound_id)

    def replay(self, inbound_id: int) -> str:
        return self.incoming.replay(inbound_id)

    def dispatch(self) -> int:
        return self.outgoing.dispatch()

    def sweep(self) -> int:
        return self.timers.sweep()

    def tell_operator(self) -> None:
        self.timers.tell_operator()

    def retry_final_pdfs(self) -> None:
        self.timers.retry_final_pdfs()

    def register_out(self, st: E.CycleState, now: datetime, *, step: str, kode_key: str,
                     tujuan: str, perihal: str, lampiran: str, message_id: str, berkas: list,
                     keterangan: str = "") -> tuple[int, str]:
        return self.registers.register_out(
            st, now, step=step, kode_key=kode_key, tujuan=tujuan, perihal=perihal,
            lampiran=lampiran, message_id=message_id, berkas=berkas, keterangan=keterangan)

    def nomor_surat(self, kode: str, no: int, now: datetime) -> str:
        return self.registers.nomor_surat(kode, no, now)

    def who(self, email: str) -> str:
        return self.people.who(email)

    def salutation(self, email: str) -> str:
        return self.people.salutation(email)
