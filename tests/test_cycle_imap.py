"""A whole cycle S1-S13 over a real Postfix + Dovecot: Pantau reads its inbox by IMAP (IDLE wakes
it) and sends by SMTP; the simulated staff read their own mailboxes by IMAP and answer by SMTP the
way Gmail, Outlook, iPhone Mail and Thunderbird write replies."""

from __future__ import annotations

import json
import time
from email import message_from_bytes, policy

import pytest
from dkimkeys import sign, use_dkim
from mailstack import mailstack_fixture  # noqa: F401  (registers the fixture)

from daemon.config import load_config
from daemon.demo.simulation import DEMO_PERIOD, DEMO_START, Simulation
from daemon.shell.clock import ManualClock
from daemon.shell.office import OfficeApp

pytestmark = pytest.mark.slow  # real mail servers, LibreOffice or whole cycles (tests/README.md)

ROLES = ("pantau", "camat", "sekretaris", "kasubag", "sek", "pem", "trantib", "pmd", "kesos")


class ImapMailer:
    """The simulated people's mail clients: IMAP to read, SMTP to send."""

    def __init__(self, stack, users: dict[str, object]):
        self.stack = stack
        self.by_address = {u.address: u for u in users.values()}
        self.seen: dict[str, set[int]] = {}
        self.received = 0
        self.idle_wakeups = 0

    def fetch(self, address: str) -> list[bytes]:
        user = self.by_address[address]
        c = self.stack.imap(user.name)
        try:
            c.select_folder("INBOX")
            seen = self.seen.setdefault(address, set())
            new = [u for u in c.search("ALL") if u not in seen]
            out = []
            for uid, data in sorted(c.fetch(new, ["RFC822"]).items()):
                seen.add(uid)
                out.append(data[b"RFC822"])
            self.received += len(out)
            return out
        finally:
            c.logout()

    def send(self, to: str, raw: bytes) -> None:
        sender = message_from_bytes(raw, policy=policy.default)["From"].addresses[0].addr_spec
        # The office's server signs what its logged-in users send, as OpenDKIM would.
        self.stack.send(sender, [to], sign(raw, sender.rpartition("@")[2]))

    def settle(self, sim: Simulation, timeout: float = 20.0) -> None:
        """Wait until every letter Pantau sent reached its people and every reply reached Pantau."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            sent_rows = sim.app.store.outbox("terkirim")
            expected_people = sum(len(json.loads(r["recipients"])) for r in sent_rows)
            got_pantau = sim.app.store._q1("SELECT COUNT(*) AS n FROM inbound")["n"]
            sim.read_mail()
            if self.received >= expected_people and got_pantau >= sim.replies_sent:
                return
            if sim.app.transport.wait(0.5):  # IMAP IDLE: the server says mail came
                self.idle_wakeups += 1
            sim.app.run_once()
        raise AssertionError(
            f"mail still in flight after {timeout}s: people {self.received}/{expected_people},"
            f" pantau {got_pantau}/{sim.replies_sent}"
        )


@pytest.fixture
def imap_office(tmp_path, mailstack, monkeypatch, office_factory):
    users = {role: mailstack.new_user(role) for role in ROLES}
    cfg = office_factory(tmp_path / "kantor", stack=mailstack, users=users).config
    use_dkim(cfg, ["kecamatan.test"])  # replies count only with a valid DKIM signature
    monkeypatch.setenv("PANTAU_IMAP_PASSWORD", mailstack.password)
    monkeypatch.setenv("PANTAU_SECRET", "rahasia-uji")
    return load_config(cfg), users


def test_whole_cycle_over_imap_and_smtp(imap_office, mailstack):
    cfg, users = imap_office
    assert cfg.mail.transport == "imap"
    app = OfficeApp(cfg, clock=ManualClock(DEMO_START))
    mailer = ImapMailer(mailstack, users)
    sim = Simulation(app, app.clock, mailer=mailer)
    started = time.monotonic()
    code = sim.run(DEMO_PERIOD)
    took = time.monotonic() - started
    st = app.store.load_cycle(code)
    assert st.status == "closed", [e for e in app.store.cycle_log(code)][-5:]
    assert all(s.status in ("done", "skipped") for s in st.steps.values())
    # Every reply was taken exactly once, and filed out of the inbox.
    statuses = [r["status"] for r in app.store._q("SELECT status FROM inbound")]
    assert statuses and set(statuses) <= {"diproses", "diabaikan"}, statuses
    assert len(statuses) == sim.replies_sent
    assert mailstack.messages(users["pantau"].name, "INBOX") == []
    server = app.transport.server_name  # the server's own spelling of "Pantau/Diproses"
    filed = {
        f: len(mailstack.messages(users["pantau"].name, server(f)))
        for f in ("Pantau/Diproses", "Pantau/Diabaikan")
    }
    assert filed == {
        "Pantau/Diproses": statuses.count("diproses"),
        "Pantau/Diabaikan": statuses.count("diabaikan"),
    }
    # Every letter was sent once and arrived.
    assert {r["status"] for r in app.store.outbox()} == {"terkirim"}
    keluar = app.store.register("register_keluar")
    assert [r["no"] for r in keluar] == list(range(1, len(keluar) + 1))
    assert all(r["tanggal_kirim"] for r in keluar if r["message_id"])
    assert mailer.idle_wakeups > 0
    # Every decision was checked against its DKIM signature; the signature took its code.
    assert app.cfg.verifikasi == "dkim"
    masuk = app.store.register("register_masuk")
    s11 = [r for r in masuk if r["langkah"] == "S11"]
    assert len(s11) == 1 and "dengan kode tanda tangan" in s11[0]["keterangan"], s11
    print(
        f"\nwhole cycle over IMAP/SMTP: {took:.1f} s, {len(statuses)} replies, "
        f"{len(app.store.outbox())} e-mails,"
        f" {mailer.idle_wakeups} IDLE wake-ups"
    )
    app.close()
