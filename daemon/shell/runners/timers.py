"""Work that comes due with time rather than with mail: the cycles' timers (reminders,
deadlines, escalations), the operator's notices, and a final report's missing PDF tried again.

Timers are rows of the database (`Store.cycles_due`); firing one is a `Tick` event of its cycle,
handled like any other event in its own transaction.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from daemon.core import engine as E

if TYPE_CHECKING:
    from daemon.shell.office import OfficeApp

log = logging.getLogger("pantau")


class Timers:
    def __init__(self, office: OfficeApp):
        self.office = office
        self.store = office.store
        self.clock = office.clock
        self.producer = office.producer

    def sweep(self) -> int:
        """Fire due timers; returns how many cycles were ticked."""
        now = self.clock.now()
        codes = self.store.cycles_due(now)
        # A cycle whose letters have not yet been tried waits: timers (reminders, overdue) never
        # run ahead of the letter they are about (the runner sends the outbox first).
        waiting = self.store.cycles_with_untried_letters()
        codes = [c for c in codes if c not in waiting]
        for code in codes:
            self.office.handle(code, E.Tick())
        return len(codes)

    def tell_operator(self) -> None:
        """Held messages told to the operator, and the Kasubag's daily digest (operator_notices)."""
        from daemon.shell.operator_notices import daily_digest, tell_held

        now = self.clock.now()
        for job in (tell_held, daily_digest):
            try:
                job(self.office, now)
            except Exception:  # never let a notice stop the round; the log says why
                log.exception("pemberitahuan kepada operator gagal disusun")


    def retry_final_pdfs(self) -> None:
        """A final report whose PDF LibreOffice failed to make is tried again, at most every
        15 minutes (SPEC §6.5); the cycle log says when it is still missing."""
        from daemon.documents.pdf import soffice_path

        missing = self.store.final_reports_without_pdf()
        if not missing or soffice_path() is None:
            return
        now = self.clock.now()
        for code in missing:
            key = f"pdf_retry:{code}"
            last = self.store.meta(key)
            if last and now - datetime.fromisoformat(last) < timedelta(minutes=15):
                continue
            self.store.set_meta(key, now.isoformat())
            st = self.store.load_cycle(code)
            if st is not None and self.producer.final_pdf(st, now):
                self.store.add_log(code, now, "", "pdf_laporan_final_dibuat", "",
                                   "PDF laporan final berhasil dibuat pada percobaan ulang")

