"""`pantau demo`: one whole cycle S1-S13 on the embedded Maildir transport, with simulated staff
and officials, on an accelerated clock.

The clock jumps from one moment to the next thing that happens (a timer, or a person answering),
so three working days of data collection take seconds. The simulated people read their own
Maildirs and answer the way people do: replies quoting the original, Indonesian Gmail style, forms
filled in with python-docx. The script includes an invalid form that is corrected, a late unit
that is reminded, an out-of-office auto-reply, a late form that makes the draft recompile, a
REVISI loop at S6 and another after the meeting (S8 -> S9).

The people and their script are in daemon/demo/people.py; this module is the clock, the mail
between them and the office, and the `pantau demo` command.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from daemon.config import load_config
from daemon.core.model import Period
from daemon.demo.people import (
    Camat,
    Incoming,
    Kasubag,
    Person,
    Sekretaris,
    Unit,
    unit_plan,
)
from daemon.mail.transports.maildir import deliver

# Re-exported: tests and callers import `init_office` from here (it lives in operator/setup.py).
from daemon.operator.setup import init_office  # noqa: F401
from daemon.shell.clock import ManualClock
from daemon.shell.office import OfficeApp

DEMO_START = datetime(2025, 10, 6, 8, 0, tzinfo=ZoneInfo("Asia/Jakarta"))  # Senin, 6 Oktober 2025
DEMO_PERIOD = "2025-TW3"


# ============================================================================ the simulation


class MaildirMailer:
    """How the simulated people reach their mail on the embedded transport."""

    def __init__(self, root: Path):
        self.root = root

    def fetch(self, address: str) -> list[bytes]:
        box = self.root / address / "new"
        out = []
        if box.exists():
            for p in sorted(box.iterdir()):
                out.append(p.read_bytes())
                cur = p.parent.parent / "cur"
                cur.mkdir(exist_ok=True)
                p.rename(cur / (p.name + ":2,S"))
        return out

    def send(self, to: str, raw: bytes) -> None:
        deliver(self.root, to, raw)

    def settle(self, sim: Simulation) -> None:
        """Maildir delivery is synchronous: nothing is in flight."""


class Simulation:
    def __init__(self, app: OfficeApp, clock: ManualClock, out=sys.stdout, mailer=None):
        self.app, self.clock, self.out = app, clock, out
        self.maildir = app.cfg.mail.maildir_path
        self.mailer = mailer or MaildirMailer(self.maildir)
        self.pending: list[tuple[datetime, str, bytes, str]] = []
        self.flags: dict[str, bool] = {}
        self.forms: dict[str, Incoming] = {}
        self.code = ""
        self.replies_sent = 0
        cfg = app.cfg
        self.people: list[Person] = [
            Camat(cfg.camat.email, cfg.camat.nama, self),
            Sekretaris(cfg.sekretaris.email, cfg.sekretaris.nama, self),
            Kasubag(cfg.kasubag.email, cfg.kasubag.nama, self),
        ]
        self.people[0].style, self.people[1].style, self.people[2].style = (
            "iphone",
            "outlook",
            "gmail",
        )
        for i, u in enumerate(cfg.units):
            unit = Unit(u.email, u.kepala.nama or u.nama, self)
            unit.plan, unit.factor = unit_plan(i, len(cfg.units))
            unit.kode = u.kode
            unit.style = "thunderbird" if len(self.people) % 2 else "gmail"
            self.people.append(unit)
        # The late units' real answers come after the deadline and its grace day.
        self.late_units = [p for p in self.people if isinstance(p, Unit) and p.plan == "terlambat"]

    def later(self, when: datetime, to: str, raw: bytes, what: str) -> None:
        self.pending.append((when, to, raw, what))
        self.pending.sort(key=lambda x: x[0])

    def deliver_due(self) -> int:
        now = self.clock.now()
        due = [p for p in self.pending if p[0] <= now]
        self.pending = [p for p in self.pending if p[0] > now]
        for _, to, raw, _what in due:
            self.mailer.send(to, raw)
        self.replies_sent += len(due)
        return len(due)

    def read_mail(self) -> int:
        n = 0
        for person in self.people:
            for m in person.inbox():
                person.on_mail(m)
                n += 1
        return n

    def late_form(self) -> None:
        """The late units answer once their cycle has reached the draft (S5)."""
        if self.flags.get("late_sent") or not self.late_units:
            return
        st = self.app.store.load_cycle(self.code)
        if st and st.current == "S5":
            self.flags["late_sent"] = True
            for k, u in enumerate(self.late_units):
                if u.email in self.forms:
                    u.reply(
                        self.forms[u.email],
                        "Mohon maaf sangat terlambat karena cuti. Terlampir data kami.",
                        30 + 7 * k,
                        attachments=[u.filled(self.forms[u.email])],
                    )

    def run(self, period: str, max_rounds: int = 2000) -> str:
        self.code = self.app.start_cycle(period)
        for _ in range(max_rounds):
            busy = self.app.run_once()
            busy_n = sum(busy.values()) + self.read_mail() + self.deliver_due()
            self.late_form()
            st = self.app.store.load_cycle(self.code)
            if (
                st.status == "closed"
                and not self.app.store.outbox_due(self.clock.now())
                and not self.pending
            ):
                self.read_mail()
                break
            if busy_n:
                continue
            # Mail still in flight (a real mail system) arrives before the clock moves on.
            self.mailer.settle(self)
            if sum(self.app.run_once().values()) + self.read_mail():
                continue
            if self.app.store.load_cycle(self.code).status == "closed":
                continue  # the loop's head sees it and stops
            # Nothing happened: jump to the next moment something will.
            moments = [p[0] for p in self.pending]
            nt = self.app.store.next_timer()
            if nt:
                moments.append(nt)
            if not moments:
                tail = "; ".join(
                    f"{r['step']} {r['event']} {r['who']}"
                    for r in self.app.store.cycle_log(self.code)[-6:]
                )
                raise RuntimeError(
                    f"demo macet: tidak ada yang ditunggu (langkah {st.current}; {tail})"
                )
            self.clock.set(min(moments))
        return self.code


# ============================================================================ the command


def run_demo(target: Path, out=sys.stdout, units: int | None = None) -> int:
    target = Path(target).resolve()
    cfg_path = target / "config" / "pantau.toml"
    if (target / "var" / "pantau.db").exists():
        print(
            f"Folder {target} sudah berisi kantor yang pernah dijalankan; gunakan folder lain.",
            file=out,
        )
        return 1
    if not cfg_path.exists():
        init_office(target)
    if units:
        from daemon.demo.office import scale_office

        scale_office(cfg_path.parent, units)
    cfg = load_config(cfg_path)
    clock = ManualClock(DEMO_START)
    app = OfficeApp(cfg, clock=clock)
    print(f"Demo Pantau: satu siklus pemantauan kinerja {Period.parse(DEMO_PERIOD).label} "
          f"di {cfg.kantor.nama}\nFolder kantor: {target}\n", file=out)
    sim = Simulation(app, clock, out)
    code = sim.run(DEMO_PERIOD)
    from daemon.operator.report_cycle import print_timeline
    from daemon.operator.report_text import print_registers

    print_timeline(app, code, out)
    print_registers(app, out)
    docs = app.store.documents(code)
    print(f"\nDokumen ({len(docs)} berkas) di {cfg.arsip_dir / code}:", file=out)
    for d in docs:
        print(
            f"  {d['kind']:<20} v{d['version']:<2} {Path(d['path']).relative_to(target)}  sha256 "
            f"{d['sha256'][:16]}…",
            file=out,
        )
    st = app.store.load_cycle(code)
    state = "selesai" if st.status == "closed" else f"belum selesai ({st.status})"
    print(f"\nSiklus {code}: {state}. Lihat rinciannya dengan:\n"
          f"  pantau --config {cfg_path} cycle show {code}\n"
          f"  pantau --config {cfg_path} register keluar", file=out)
    app.close()
    return 0 if st.status == "closed" else 1
