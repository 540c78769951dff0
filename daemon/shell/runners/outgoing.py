"""The outbox sender: delivers what the events queued, and says who a letter never reached.

Each row is marked `mengirim` (its attempt counted) in its own transaction before the transport
is asked, and `terkirim` with its refusals after, so a crash in between leaves a row whose outcome
is unknown: the next round looks for it in the Sent folder before sending it again (at most once
more, with the same Message-ID). A temporary failure waits `RETRY_MINUTES`; a permanent one, and
every refused recipient, becomes a `Bounce` event of the cycle (SPEC §5).
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from daemon.core import engine as E
from daemon.mail.transports.base import TransportError
from daemon.shell.faults import crash_point

if TYPE_CHECKING:
    from daemon.shell.office import OfficeApp

log = logging.getLogger("pantau")

RETRY_MINUTES = (1, 2, 5, 10, 30, 60)


class Outgoing:
    """Sends the office's outbox through its transport (`office.transport`, made on first use);
    a refusal goes back to the office as an event (`office.handle`)."""

    def __init__(self, office: OfficeApp):
        self.office = office
        self.cfg = office.cfg
        self.store = office.store
        self.clock = office.clock

    @property
    def transport(self):
        return self.office.transport

    def dispatch(self) -> int:
        """Send what is due in the outbox. Returns how many were sent."""
        sent = 0
        for row in self.store.outbox_due(self.clock.now()):
            sent += self._send_one(row)
        return sent

    def _send_one(self, row: dict) -> int:
        now = self.clock.now()
        recipients = json.loads(row["recipients"])
        unknown = row.get("unknown") or 0
        if row["status"] == "mengirim":
            # The last attempt's outcome is unknown (a crash after the server took it?): look for
            # it before sending again; when nobody can tell, send again at most once, same ID.
            found = self.transport.find_sent(row["message_id"])
            if found or (found is None and unknown >= 1):
                with self.store.transaction():
                    self.store.update_outbox(row["id"], status="terkirim", sent=now.isoformat())
                    self.store.set_sent_date(row["message_id"], now)
                    self.store.add_log(
                        row["cycle"],
                        now,
                        row["step"],
                        "hasil_pengiriman_tidak_pasti",
                        ", ".join(recipients),
                        "ditemukan di folder Terkirim" if found else "sudah dikirim ulang sekali",
                    )
                return 0
            unknown += 1
        with self.store.transaction():
            self.store.update_outbox(
                row["id"], status="mengirim", attempts=row["attempts"] + 1, unknown=unknown
            )
        try:
            raw = Path(row["path"]).read_bytes()
            result = self.transport.send(raw, self.cfg.mail.alamat, recipients)
            crash_point("sent_unmarked")
        except TransportError as e:
            delay = RETRY_MINUTES[min(row["attempts"], len(RETRY_MINUTES) - 1)]
            status = "antri" if e.temporary else "gagal"
            with self.store.transaction():
                self.store.update_outbox(row["id"], status=status, error=str(e)[:500],
                                         next_attempt=(now + timedelta(minutes=delay)).isoformat())
                self.store.add_log(
                    row["cycle"],
                    now,
                    row["step"],
                    "pengiriman_gagal",
                    ", ".join(recipients),
                    f"{e} ({'dicoba lagi' if e.temporary else 'tidak dicoba lagi'})",
                )
            if not e.temporary:  # refused for good: every recipient is "tidak terkirim"
                self.undeliverable(row, {r: str(e) for r in recipients})
            log.warning(
                "pengiriman gagal kepada %s: %s",
                ", ".join(recipients),
                e,
                extra={
                    "cycle": row["cycle"],
                    "step": row["step"],
                    "event": "pengiriman_gagal",
                    "message_id": row["message_id"],
                },
            )
            return 0
        with self.store.transaction():  # marked sent and its refusals recorded together
            self.store.update_outbox(row["id"], status="terkirim", sent=now.isoformat(),
                                     refused=json.dumps(result.refused))
            self.store.set_sent_date(row["message_id"], now)
            self.undeliverable(row, result.refused)
        log.info("terkirim %s kepada %s", row["subject"], ", ".join(recipients),
                 extra={"cycle": row["cycle"], "step": row["step"], "event": "terkirim"})
        return 1

    def undeliverable(self, row: dict, refused: dict[str, str]) -> None:
        """Recipients a letter will never reach. A notice about a failed notice is only logged:
        otherwise a Kasubag whose own address fails would start a mail loop."""
        for addr, why in refused.items():
            if (
                row["kind"] == "pemberitahuan:gagal_kirim"
                or row["kind"].startswith("operator:")
                or not row["cycle"]
            ):
                with self.store.transaction():
                    self.store.add_log(
                        row["cycle"],
                        self.clock.now(),
                        row["step"],
                        "tidak_terkirim",
                        addr,
                        why[:200],
                    )
            else:
                self.office.handle(
                    row["cycle"], E.Bounce(recipient=addr, detail=why, message_id=row["message_id"])
                )
