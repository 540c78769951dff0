"""Carrying out the engine's effects: each `engine.Effect` becomes store rows, archived
documents or outbox e-mails, inside the transaction of the event that produced it.

`Effects.apply` is a `match` over the closed union `engine.Effect` ending in `assert_never`, so
mypy names a new effect nobody carries out. The work itself lives with its concern: register
entries in `registers.py`, letters and notices in `letters.py`, documents in
`daemon/documents/produce.py`.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import assert_never

from daemon.core import engine as E
from daemon.documents.produce import Producer
from daemon.shell.letters import Letters
from daemon.shell.registers import Registers
from daemon.store import Store

log = logging.getLogger("pantau")


class Effects:
    def __init__(self, *, store: Store, producer: Producer, registers: Registers,
                 letters: Letters):
        self.store = store
        self.producer = producer
        self.registers = registers
        self.letters = letters

    def apply(self, st: E.CycleState, fx: E.Effect, now: datetime) -> None:
        """Carry out one effect (a `match` over the closed union `engine.Effect`)."""
        match fx:
            case E.Log():
                self.store.add_log(st.code, now, fx.step, fx.event, fx.who, fx.detail)
                log.info(
                    "%s %s %s %s",
                    st.code,
                    fx.step or "-",
                    fx.event,
                    fx.who,
                    extra={"cycle": st.code, "step": fx.step, "event": fx.event, "who": fx.who},
                )
            case E.MakeDoc():
                no, nomor = 0, ""
                if fx.ref.kind == "final_report":
                    # numbered first: the report carries its number
                    no, nomor = self.registers.final_report(st, now, fx.data.get("step", "S11"))
                self.producer.make(st, fx.ref, fx.data, now, nomor)
                if nomor:
                    self.registers.final_report_file(st, now, no)
            case E.RecordDoc():
                self.store.add_document(
                    cycle=st.code,
                    kind=fx.ref.kind,
                    version=fx.ref.version,
                    unit=fx.ref.unit,
                    path=fx.file.path,
                    sha256=fx.file.sha256,
                    source="diterima",
                    message_id=fx.message_id,
                    now=now,
                )
            case E.SendLetter():
                self.letters.send_letter(st, fx, now)
            case E.SendNotice():
                self.letters.send_notice(st, fx, now)
            case E.RegisterIn():
                self.registers.register_in(st, fx, now)
            case E.SaveKinerja():
                self.store.replace_kinerja(st.code, self.producer.kinerja_rows(st))
            case _:
                assert_never(fx)
