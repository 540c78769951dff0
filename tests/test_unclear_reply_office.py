"""An unclear approval through a whole office on the Maildir transport (issue 11, point 2).

The Sekretaris answers the draft (S6) with "Setuju, tapi tabel 2 angkanya salah". Pantau changes
nothing, answers once saying what it read and why it did not act (quoting 'tapi …') and asks for
SETUJU or REVISI; register masuk gets no "Persetujuan" for that reply. The Sekretaris then answers
the clarification with "Siap, setuju" and the cycle moves on to the Camat and closes; the
register row of that approval names the matter, not "Mohon jawaban yang jelas".
"""

from __future__ import annotations

import email
import json
import sqlite3
import subprocess
from email import policy
from pathlib import Path

import pytest

from daemon.config import load_config
from daemon.demo.simulation import DEMO_PERIOD, DEMO_START, Sekretaris, Simulation
from daemon.shell.clock import ManualClock
from daemon.shell.office import OfficeApp
from tools import pantau_main

pytestmark = pytest.mark.slow  # a whole simulated cycle (tests/README.md)

ROOT = Path(__file__).resolve().parents[1]


class ConditionalSekretaris(Sekretaris):
    """Approves the first draft with a condition, then answers the clarification plainly."""

    def on_mail(self, m) -> None:
        s = m.subject
        if "Penyampaian Konsep" in s and not self.sim.flags.get("bersyarat"):
            self.sim.flags["bersyarat"] = True
            self.sim.flags["sekretaris_revisi"] = True  # later drafts: the demo's "OK, lanjutkan"
            self.reply(m, "Setuju, tapi tabel 2 angkanya salah", 30)
        elif "Mohon jawaban yang jelas" in s:
            st = self.sim.app.store.load_cycle(self.sim.code)
            open_s6 = [t for t in st.tasks if t.step == "S6" and t.status == "open"]
            self.sim.seen_at_clarification = (st.current, [(t.role, t.recipient) for t in open_s6])
            self.sim.clarifications.append(m)
            self.reply(m, "Siap, setuju", 20)
        else:
            super().on_mail(m)


@pytest.fixture(scope="module")
def office(office_factory):
    target = office_factory().root
    cfg = load_config(target / "config" / "pantau.toml")
    app = OfficeApp(cfg, clock=ManualClock(DEMO_START))
    sim = Simulation(app, app.clock)
    sim.clarifications = []
    sim.seen_at_clarification = None
    sim.people[1] = ConditionalSekretaris(cfg.sekretaris.email, cfg.sekretaris.nama, sim)
    sim.people[1].style = "outlook"
    code = sim.run(DEMO_PERIOD)
    status = app.store.load_cycle(code).status
    app.close()
    return {"dir": target, "sim": sim, "code": code, "status": status,
            "sekcam": cfg.sekretaris.email}


def pantau(office: Path, *args: str) -> subprocess.CompletedProcess:
    return pantau_main(["--config", str(office / "config" / "pantau.toml"), *args])


def inbound_from(office: Path, sender: str) -> list[tuple[str, str, str]]:
    """(message_id, status, the reply's own first line) of each message the person sent."""
    db = sqlite3.connect(office / "var" / "pantau.db")
    rows = db.execute("SELECT message_id, status, path FROM inbound WHERE sender=? ORDER BY id",
                      (sender,)).fetchall()
    out = []
    for mid, status, path in rows:
        msg = email.message_from_bytes(Path(path).read_bytes(), policy=policy.default)
        first = msg.get_body(("plain",)).get_content().strip().splitlines()[0]
        out.append((mid, status, first))
    return out


def test_clarification_quotes_the_condition_and_asks_for_setuju_or_revisi(office):
    (m,) = office["sim"].clarifications  # exactly one: the answer to the conditional reply
    body = m.msg.get_body(("plain",)).get_content()
    assert "\u2018Setuju\u2019 (persetujuan)" in body  # what Pantau understood
    assert "\u2018tapi tabel 2 angkanya salah\u2019" in body  # why it did not act
    assert "belum menjalankannya" in body and "Tidak ada yang diubah." in body
    assert "SETUJU saja" in body and "REVISI" in body


def test_unclear_reply_changed_nothing(office):
    current, open_s6 = office["sim"].seen_at_clarification
    assert current == "S6"
    assert open_s6 == [("sekretaris", office["sekcam"])]  # still the Sekretaris's turn


def test_register_masuk_has_no_approval_for_the_unclear_reply(office):
    replies = inbound_from(office["dir"], office["sekcam"])
    tapi = [r for r in replies if r[2].startswith("Setuju, tapi")]
    siap = [r for r in replies if r[2].startswith("Siap, setuju")]
    assert len(tapi) == 1 and len(siap) == 1
    masuk = json.loads(pantau(office["dir"], "register", "masuk", "--json").stdout)
    by_mid = {r["message_id"]: r for r in masuk}
    assert tapi[0][0] not in by_mid  # logged, not registered
    approval = by_mid[siap[0][0]]
    assert approval["perihal"].startswith("Persetujuan") and approval["langkah"] == "S6"
    assert "Mohon jawaban" not in approval["perihal"]
    assert "Penyampaian Konsep" in approval["perihal"]
    assert not any("Mohon jawaban" in r["perihal"] for r in masuk)


def test_cycle_log_says_what_happened_and_the_cycle_moves_on(office):
    assert office["status"] == "closed"
    data = json.loads(pantau(office["dir"], "cycle", "show", office["code"], "--json").stdout)
    s6 = [(e["event"], e.get("detail", "")) for e in data["log"]
          if e["step"] == "S6" and e["who"] == office["sekcam"]]
    events = [e for e, _ in s6]
    unclear = events.index("balasan_tidak_jelas")
    assert "disetujui" in events[unclear:]  # the approval came after the clarification
    assert "disetujui" not in events[:unclear]
    detail = s6[unclear][1]
    assert "tapi tabel 2 angkanya salah" in detail
    camat = [e for e in data["log"] if e["step"] == "S6" and e["who"] == "camat@kecamatan.test"]
    assert camat  # the route went on to the Camat
