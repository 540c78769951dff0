"""The crash harness (issue #6): a whole cycle S1-S13 over the real Postfix + Dovecot while the
real daemon (`pantau run`, a subprocess) is killed with SIGKILL again and again and the mail
servers misbehave, then checks that nothing was lost, taken twice or numbered twice.

How it runs
- The office is the shipped config and templates, rewritten for the private mail stack
  (tests/mailstack.py) as tests/test_cycle_imap.py does, with one change to keep the wall time
  short: data collection (S4) has a standard of 1 working day and 2 hours of grace instead of 3
  days and 1 day, so the cycle takes three to four office days (1.5-2 min) instead of eight.
  The daemon reaches IMAP and SMTP through `Relay`s, small TCP relays in this process that can cut
  a connection in the middle of a FETCH or of an IDLE, or greet with 421.
- One office timeline: PANTAU_NOW, PANTAU_EPOCH (set explicitly) and PANTAU_TIME_SCALE (3000:
  an office hour is 1.2 s) for every daemon start and every CLI command; the simulated people
  (daemon/demo/simulation.py's Camat, Sekretaris, Kasubag and units, who read their mailboxes over
  IMAP and answer over SMTP) schedule their answers on a `daemon.shell.clock.Clock` with the same
  values. Kills do not stop the clock: while the daemon is down, office time passes and mail
  piles up.
- Every life of the daemon ends in a kill until the cycle closes. A life either arms crash points
  (`PANTAU_CRASH_AT=stored:1,rendering:2`: the first one reached kills; daemon/shell/faults.py
  writes which one to `PANTAU_CRASH_LOG`) or is killed by the harness at a random moment (after a
  random time, or 0.3-1.3 s after a reply was delivered to Pantau, when it is likely busy with it).
  A life whose armed points are not reached in time is killed at that moment (counted random).
  The random generator is `random.Random(seed)`; the seed is printed.
- Server faults at random times: Dovecot restarted, SMTP answering 451 at RCPT for 1.5 s (the
  real Postfix, `smtp_defer`), SMTP greeting with 421 for 1.5 s (the relay), the IMAP connection
  cut in the middle of a FETCH of a message body and in the middle of an IDLE (the relay).
- Afterwards, from the database and the mailboxes: the cycle is closed with every step done or
  skipped; register_keluar and register_masuk are numbered 1..n without gaps; every reply the
  people sent was taken exactly once (one inbound row of it `diproses`, or `diabaikan` only for an
  auto-reply; others are `duplikat`), registered at most once; every form a unit sent is one
  submission, accepted with the values it carries (read from the sent DOCX with python-docx) in
  the final report's tables, or refused when it carries a word where a number belongs; every
  decision an official sent is in register masuk; every outbox row is `terkirim`; every letter
  (Message-ID) is in each of its recipients' mailboxes, and letters that arrived twice are no more
  than the kills that could cause that (after SMTP accepted and before the outbox row was marked),
  always with the same Message-ID; no letter arrived that the outbox does not know; `pantau
  status` shows an empty outbox and nothing held; the daemon stops cleanly with SIGTERM at the end.

Random kills may land anywhere, also while a letter that was refused before is being sent
again (`KNOWN_LOSS_AVOIDED = True` would hold them back there; it was needed until
Outgoing._send_one (daemon/shell/runners/outgoing.py) counted unknown outcomes apart from
refusals, see tests/test_crash.py::test_interrupted_send_after_two_refusals_is_not_lost).

Run it by hand for longer runs: `.venv/bin/python tests/crash_harness.py --seed 7 --min-kills 60`.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
for p in (ROOT, ROOT / "tests"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from dkimkeys import sign, use_dkim  # noqa: E402
from offices import new_office  # noqa: E402

from daemon.config import load_config  # noqa: E402
from daemon.demo.simulation import DEMO_PERIOD, DEMO_START, Simulation  # noqa: E402
from daemon.shell.clock import Clock  # noqa: E402
from daemon.store import Store  # noqa: E402

ROLES = ("pantau", "camat", "sekretaris", "kasubag", "sek", "pem", "trantib", "pmd", "kesos")
POINTS = ("stored", "committed", "filing", "sent_unmarked", "rendering")
# The highest n armed for each point (PANTAU_CRASH_AT=point:n with n drawn from 1..this).
POINT_MAX_N = {"stored": 2, "committed": 4, "filing": 2, "sent_unmarked": 4, "rendering": 1}
# Steps whose next event renders documents, and how many: the Camat's order makes the five forms
# (S1 -> S2), collection closing and a late form make a draft (S4, S5), the Camat's signature
# the final report (S11), then the e-Monev export.
RENDER_NEXT = {"S1": 5, "S4": 1, "S5": 1, "S10": 1, "S11": 2}
KNOWN_LOSS_AVOIDED = False
HOST = "127.0.0.1"
FINAL_INBOUND = ("diproses", "diabaikan")
# The office clock starts here; `pantau cycle start` takes about an office hour at 3000x.
START = DEMO_START.replace(hour=7, minute=15)


# ============================================================================ the office


def set_keys(text: str, section: str, **values: str) -> str:
    """Set `key = value` lines inside one [section] of a TOML text (replaced, or added)."""
    head = f"[{section}]\n"
    start = text.index(head) + len(head)
    end = text.find("\n[", start)
    end = len(text) if end < 0 else end
    body = text[start:end]
    for key, value in values.items():
        # The old value runs to the end of its line, or to its closing bracket for an array.
        old = rf"(?m)^{re.escape(key)}[ \t]*=[ \t]*(?:\[[^\]]*\][^\n]*|[^\n]*)"
        body, n = re.subn(old, lambda _m, key=key, value=value: f"{key} = {value}", body)
        if n == 0:
            body = f"{key} = {value}\n" + body
    return text[:start] + body + text[end:]


def set_standard(sop_text: str, step: str, value: str) -> str:
    """Change one step's `standar` in config/sop.toml."""
    i = sop_text.index(f'id = "{step}"')
    j = sop_text.find("[[langkah]]", i)
    j = len(sop_text) if j < 0 else j
    block = re.sub(r'(?m)^standar\s*=.*$', f'standar = "{value}"', sop_text[i:j], count=1)
    return sop_text[:i] + block + sop_text[j:]


@dataclass
class Office:
    """An office directory configured for the mail stack, and the shared office timeline."""

    root: Path
    cfg_path: Path
    users: dict
    env: dict
    clock: Clock

    @property
    def cfg(self):
        return load_config(self.cfg_path)

    def cli(
        self, *args: str, timeout: float = 120, env: dict | None = None
    ) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "daemon.operator.cli", *args],
            env=env or self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def status(self) -> dict:
        r = self.cli("status", "--json")
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)

    def rewrite(self, section: str, **values: str) -> None:
        """Change the config (a restarted daemon reads it)."""
        self.cfg_path.write_text(set_keys(self.cfg_path.read_text(), section, **values))


def make_office(root: Path, stack, *, users: dict | None = None, imap_port: int | None = None,
                smtp_port: int | None = None, scale: float = 3000.0, start: datetime = DEMO_START,
                sections: dict[str, dict[str, str]] | None = None,
                standards: dict[str, str] | None = None) -> Office:
    """A new office at `root` (tests/offices.py, as `pantau init` makes it) pointed at the stack:
    the roles' addresses become fresh mailboxes, Pantau reads by IMAP and sends by SMTP (through
    relays when their ports are given). `sections` sets further keys (added when missing);
    `standards` changes SOP step standards."""
    users = users or {role: stack.new_user(role) for role in ROLES}
    cfg = new_office(root, stack=stack, users=users).config
    text = cfg.read_text()
    if imap_port:
        text = set_keys(text, "mail.imap", port=str(imap_port))
    if smtp_port:
        text = set_keys(text, "mail.smtp", port=str(smtp_port))
    for section, values in (sections or {}).items():
        text = set_keys(text, section, **values)
    cfg.write_text(text)
    use_dkim(cfg, ["kecamatan.test"])  # the people's mail is DKIM-signed (see `sign` below)
    if standards:
        sop = root / "config" / "sop.toml"
        s = sop.read_text()
        for step, value in standards.items():
            s = set_standard(s, step, value)
        sop.write_text(s)
    epoch = time.time()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANTAU_")}
    env.update(PANTAU_CONFIG=str(cfg), PANTAU_NOW=start.isoformat(), PANTAU_EPOCH=repr(epoch),
               PANTAU_TIME_SCALE=repr(float(scale)), PANTAU_SECRET="rahasia-uji",
               PANTAU_IMAP_PASSWORD=stack.password, PANTAU_SMTP_PASSWORD=stack.password)
    clock = Clock("Asia/Jakarta", base=start, epoch=epoch, scale=float(scale))
    return Office(root, cfg, users, env, clock)


def wait_until(predicate, timeout: float = 30.0, what: str = "", interval: float = 0.1):
    """Poll `predicate` until it returns something truthy; returns that, or fails after
    `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        got = predicate()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what or predicate}")
        time.sleep(interval)


def answer(stack, sender, orig: bytes, text: str, attachments: list[tuple[str, bytes]] = ()) -> str:
    """`sender` (a mailstack User) replies to the raw letter `orig` the plain way; returns the
    reply's Message-ID (without angle brackets)."""
    from email.message import EmailMessage
    from email.utils import make_msgid

    o = message_from_bytes(orig, policy=policy.default)
    r = EmailMessage()
    r["From"] = sender.address
    r["To"] = str(o["Reply-To"] or o["From"])
    r["Subject"] = "Re: " + str(o["Subject"])
    r["Message-ID"] = make_msgid(domain=sender.address.split("@")[1])
    r["In-Reply-To"] = str(o["Message-ID"])
    r["References"] = str(o["Message-ID"])
    r.set_content(text + "\n")
    for name, data in attachments:
        r.add_attachment(
            data,
            maintype="application",
            subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
            filename=name,
        )
    to = r["To"].addresses[0].addr_spec
    stack.send(sender.address, [to], sign(bytes(r), sender.address.rpartition("@")[2]))
    return str(r["Message-ID"]).strip("<>")


def subject_of(raw: bytes) -> str:
    return str(message_from_bytes(raw, policy=policy.default)["Subject"] or "")


# ============================================================================ the daemon


class DaemonProcess:
    """`pantau run` as a subprocess; its stderr log is appended to one file across lives."""

    def __init__(self, office: Office, log_path: Path):
        self.office = office
        self.log_path = log_path
        self.crash_log = log_path.with_suffix(".crashes")
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    def start(self, crash_at: dict[str, int] | None = None, env: dict | None = None) -> None:
        e = dict(env or self.office.env)
        if crash_at:
            e["PANTAU_CRASH_AT"] = ",".join(f"{p}:{n}" for p, n in crash_at.items())
            e["PANTAU_CRASH_LOG"] = str(self.crash_log)
        with self.log_path.open("ab") as log:
            log.write(
                f"----- start {self.starts + 1} crash_at={e.get('PANTAU_CRASH_AT', '')}\n".encode()
            )
            log.flush()
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "daemon.operator.cli", "run"],
                cwd=ROOT,
                env=e,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        self.starts += 1

    def returncode(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(timeout=10)

    def terminate(self, timeout: float = 20) -> int:
        if not self.alive():
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"pantau run did not stop within {timeout}s of SIGTERM") from None

    def crash_notes(self) -> list[str]:
        try:
            return self.crash_log.read_text().splitlines()
        except OSError:
            return []

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


# ============================================================================ a faulty wire


class Relay:
    """A TCP relay on 127.0.0.1 between Pantau and one server port, which can misbehave on cue:
    cut the connection right after the server sent a given byte string (plus a few bytes more:
    in the middle of a FETCH literal, just after `+ idling`), cut every connection now, or
    answer new connections with a fixed line (an SMTP `421`) and close them."""

    def __init__(self, target_port: int, host: str = HOST):
        self.target = (host, target_port)
        self.listener = socket.create_server((host, 0))
        self.port = self.listener.getsockname()[1]
        self._lock = threading.Lock()
        self._pairs: set[tuple[socket.socket, socket.socket]] = set()
        self._triggers: list[tuple[bytes, int, str]] = []
        self.banner: bytes | None = None
        self.cuts: list[str] = []
        self.refused = 0
        self.connections = 0
        self._closed = False
        threading.Thread(target=self._accept, daemon=True, name=f"relay-{self.port}").start()

    def arm(self, trigger: bytes, label: str, extra: int = 0) -> None:
        """Cut the first connection on which the server sends `trigger` (after `extra` more
        bytes)."""
        with self._lock:
            self._triggers.append((trigger, extra, label))

    def disarm(self) -> None:
        with self._lock:
            self._triggers.clear()

    @property
    def armed(self) -> int:
        return len(self._triggers)

    def cut_all(self, label: str = "cut") -> int:
        with self._lock:
            pairs = list(self._pairs)
        for pair in pairs:
            self._close(pair)
        if pairs:
            self.cuts.append(label)
        return len(pairs)

    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(OSError):
            self.listener.close()
        self.cut_all("closing")

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            banner = self.banner
            if banner is not None:
                with contextlib.suppress(OSError):
                    client.sendall(banner)
                    client.shutdown(socket.SHUT_RDWR)
                client.close()
                self.refused += 1
                continue
            try:
                server = socket.create_connection(self.target, timeout=5)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            self.connections += 1
            pair = (client, server)
            with self._lock:
                self._pairs.add(pair)
            threading.Thread(
                target=self._pump, args=(client, server, pair, False), daemon=True
            ).start()
            threading.Thread(
                target=self._pump, args=(server, client, pair, True), daemon=True
            ).start()

    def _match(self, buf: bytes, tail_len: int, data_len: int) -> tuple[int, str] | None:
        with self._lock:
            for i, (trigger, extra, label) in enumerate(self._triggers):
                at = buf.find(trigger)
                if at >= 0:
                    del self._triggers[i]
                    end = at + len(trigger) + extra - tail_len
                    return max(0, min(end, data_len)), label
        return None

    def _pump(self, src: socket.socket, dst: socket.socket, pair, from_server: bool) -> None:
        tail = b""
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if from_server and self._triggers:
                    hit = self._match(tail + data, len(tail), len(data))
                    if hit is not None:
                        offset, label = hit
                        dst.sendall(data[:offset])
                        self.cuts.append(label)
                        return
                    tail = (tail + data)[-64:]
                dst.sendall(data)
        except OSError:
            pass
        finally:
            self._close(pair)

    def _close(self, pair) -> None:
        with self._lock:
            self._pairs.discard(pair)
        for s in pair:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                s.close()


# ============================================================================ the people


class People:
    """The simulated people's mail clients: one IMAP connection each (reconnected when Dovecot
    goes away), SMTP to send. Like Gmail, a person sees a letter that arrives twice with the same
    Message-ID once; `copies` counts every arrival."""

    def __init__(self, stack, users: dict):
        self.stack = stack
        self.by_address = {u.address: u for u in users.values()}
        self._conns: dict[str, object] = {}
        self._uids: dict[str, set[int]] = {}
        self.copies: dict[str, Counter] = {a: Counter() for a in self.by_address}
        self.errors = 0

    def _conn(self, address: str):
        c = self._conns.get(address)
        if c is None:
            c = self.stack.imap(self.by_address[address].name)
            c.select_folder("INBOX")
            self._conns[address] = c
        return c

    def fetch(self, address: str) -> list[bytes]:
        try:
            c = self._conn(address)
            seen = self._uids.setdefault(address, set())
            new = [u for u in c.search("ALL") if u not in seen]
            data = c.fetch(new, ["BODY.PEEK[]"]) if new else {}
        except Exception:  # Dovecot restarting: read again next round
            self.errors += 1
            self._drop(address)
            return []
        out = []
        for uid in sorted(data):
            raw = data[uid].get(b"BODY[]")
            if raw is None:
                continue
            seen.add(uid)
            mid = _message_id(raw)
            self.copies[address][mid] += 1
            if self.copies[address][mid] == 1:
                out.append(bytes(raw))
        return out

    def send(self, to: str, raw: bytes) -> None:
        sender = message_from_bytes(raw, policy=policy.default)["From"].addresses[0].addr_spec
        refused = self.stack.send(sender, [to], sign(raw, sender.rpartition("@")[2]))
        if refused:
            raise RuntimeError(f"refused: {refused}")

    def _drop(self, address: str) -> None:
        c = self._conns.pop(address, None)
        if c is not None:
            with contextlib.suppress(Exception):
                c.shutdown()

    def close(self) -> None:
        for address in list(self._conns):
            c = self._conns.pop(address)
            with contextlib.suppress(Exception):
                c.logout()

    def mailbox_copies(self) -> dict[str, Counter]:
        """Every Message-ID in every person's INBOX, counted afresh from the server."""
        out = {}
        for address, user in self.by_address.items():
            out[address] = Counter(_message_id(raw) for raw in self.stack.messages(user.name))
        return out


def _message_id(raw: bytes) -> str:
    """The Message-ID without angle brackets, as Pantau's tables keep it."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    m = re.search(rb"(?im)^message-id:\s*<?([^>\s]+)>?", head)
    return m.group(1).decode() if m else ""


class LiveSimulation(Simulation):
    """daemon/demo/simulation.py's office people, on the real clock: their answers are due at office
    times and go out over SMTP when due; an answer the server refuses (451) is tried again later."""

    def __init__(self, cfg, store: Store, clock: Clock, mailer: People, on_delivered=lambda: None):
        super().__init__(
            SimpleNamespace(cfg=cfg, store=store), clock, out=io.StringIO(), mailer=mailer
        )
        self.delivered: list[dict] = []
        self.refused = 0
        self.on_delivered = on_delivered

    def deliver_due(self) -> int:
        now = self.clock.now()
        keep, n, refused = [], 0, False
        for item in self.pending:
            when, to, raw, what = item
            if when > now or refused:  # after a refusal, try the rest in the next round
                keep.append(item)
                continue
            try:
                self.mailer.send(to, raw)
            except Exception:
                self.refused += 1
                refused = True
                keep.append(item)
                continue
            msg = message_from_bytes(raw, policy=policy.default)
            self.delivered.append(
                {
                    "message_id": str(msg["Message-ID"]).strip().strip("<>"),
                    "what": what,
                    "auto": bool(msg["Auto-Submitted"]),
                    "sender": msg["From"].addresses[0].addr_spec.lower(),
                    "form": sent_form_values(msg),
                }
            )
            n += 1
            self.on_delivered()
        self.pending = keep
        self.replies_sent += n
        return n


def sent_form_values(msg) -> dict[str, float | str] | None:
    """What a unit typed into the form it sent, read from the attachment with python-docx alone
    (not with Pantau's reader): {indicator: realisation}, the realisation a number, or the text
    typed where a number belongs. None when the message carries no form."""
    from docx import Document

    for part in msg.iter_attachments():
        name = part.get_filename() or ""
        if not (name.startswith("Formulir") and name.endswith(".docx")):
            continue
        doc = Document(io.BytesIO(part.get_content()))
        for table in doc.tables:
            head = [c.text.strip() for c in table.rows[0].cells]
            ind = next((i for i, h in enumerate(head) if h.startswith("Indikator")), None)
            if "Realisasi" not in head or ind is None:
                continue
            values: dict[str, float | str] = {}
            for row in table.rows[1:]:
                cells = [c.text.strip() for c in row.cells]
                indikator, text = cells[ind], cells[head.index("Realisasi")]
                if indikator and text:
                    values[indikator] = id_number(text)
            return values
    return None


def id_number(text: str) -> float | str:
    """'1.234,5' -> 1234.5 (Indonesian digits); text that is no number comes back as it is."""
    try:
        return float(text.replace(".", "").replace(",", "."))
    except ValueError:
        return text


def report_values(path: Path) -> set[tuple[str, float | str]]:
    """(indicator, realisation) pairs in the tables of a report DOCX, as a reader sees them."""
    from docx import Document

    out = set()
    for table in Document(str(path)).tables:
        head = [c.text.strip() for c in table.rows[0].cells]
        if "Realisasi" not in head or "Indikator" not in head:
            continue
        for row in table.rows[1:]:
            cells = [c.text.strip() for c in row.cells]
            out.add((cells[head.index("Indikator")], id_number(cells[head.index("Realisasi")])))
    return out


# ============================================================================ the harness


@dataclass
class Kill:
    n: int
    kind: str  # "point" or "random"
    where: str  # the crash point ("sent_unmarked:2") or how the random moment was chosen
    life_s: float
    office_time: str
    step: str
    found: str = ""  # what the restarted daemon found: letters mid-send, messages unprocessed
    mid_send: list[str] = field(default_factory=list)  # Message-IDs of letters whose send was cut


@dataclass
class Fault:
    kind: str
    at_s: float
    office_time: str
    note: str = ""


@dataclass
class Report:
    seed: int
    scale: float
    seconds: float = 0.0
    kills: list[Kill] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    figures: dict = field(default_factory=dict)

    def kills_by(self) -> dict[str, int]:
        c = Counter(k.where.split(":")[0] if k.kind == "point" else "random" for k in self.kills)
        return {p: c.get(p, 0) for p in (*POINTS, "random")}

    def faults_by(self) -> dict[str, int]:
        return dict(Counter(f.kind for f in self.faults))

    def text(self) -> str:
        lines = [
            f"crash harness: seed {self.seed}, time scale {self.scale:g}, {self.seconds:.0f} s",
            f"kills survived: {len(self.kills)} ("
            + ", ".join(f"{k} {v}" for k, v in self.kills_by().items())
            + ")",
        ]
        for k in self.kills:
            lines.append(f"  kill {k.n:>2}  {k.kind:<6} {k.where:<28} after {k.life_s:4.1f} s  "
                         f"{k.office_time}  {k.step:<4} {k.found}")
        lines.append(f"faults injected: {len(self.faults)} ("
                     + ", ".join(f"{k} {v}" for k, v in sorted(self.faults_by().items())) + ")")
        for f in self.faults:
            lines.append(f"  {f.at_s:5.1f} s  {f.office_time}  {f.kind:<18} {f.note}")
        if self.figures:
            f = self.figures
            lines.append(
                f"nothing lost: cycle {f['cycle']} {f['status']}; {f['replies']} replies taken "
                "exactly once "
                f"({f['inbound_rows']} inbound rows, {f['duplicate_rows']} duplicates recognised); "
                f"{f.get('forms', 0)} forms each one submission ({f.get('forms_accepted', 0)} "
                "accepted, values in "
                f"the final report); {f.get('decisions', 0)} decisions all in register masuk; "
                f"{f['letters']} letters to {f['deliveries']} mailboxes all arrived, "
                f"{f['letters_twice']} "
                f"twice with the same Message-ID (kills cut {f['duplicates_allowed']} sends); "
                f"register keluar 1..{f['register_keluar']} and masuk 1..{f['register_masuk']} "
                "without gaps"
            )
        return "\n".join(lines)

    def to_json(self) -> str:
        return json.dumps(
            {
                "seed": self.seed,
                "scale": self.scale,
                "seconds": round(self.seconds, 1),
                "kills_by": self.kills_by(),
                "faults_by": self.faults_by(),
                "kills": [asdict(k) for k in self.kills],
                "faults": [asdict(f) for f in self.faults],
                "figures": self.figures,
            },
            indent=2,
            ensure_ascii=False,
        )


FAULT_PLAN = (["dovecot_restart"] * 3 + ["smtp_451"] * 2 + ["smtp_421"] + ["imap_cut_fetch"] * 2
              + ["imap_cut_idle"] * 2)


class CrashHarness:
    """Runs one cycle with kills and faults; `run()` returns the Report or raises AssertionError."""

    def __init__(
        self,
        stack,
        workdir: Path,
        seed: int,
        *,
        min_kills: int = 20,
        scale: float = 3000.0,
        faults: bool = True,
        timeout: float = 420.0,
        out=sys.stdout,
    ):
        self.stack = stack
        self.workdir = Path(workdir)
        self.seed = seed
        self.rng = random.Random(seed)
        self.min_kills = min_kills
        self.scale = scale
        self.with_faults = faults
        self.timeout = timeout
        self.out = out
        self.report = Report(seed, scale)

    # ------------------------------------------------------------------ set-up

    def _setup(self) -> None:
        self.imap_relay = Relay(self.stack.imap_port)
        self.smtp_relay = Relay(self.stack.smtp_port)
        self.office = make_office(
            self.workdir / "kantor",
            self.stack,
            imap_port=self.imap_relay.port,
            smtp_port=self.smtp_relay.port,
            scale=self.scale,
            sections={"sop": {"tenggang_kumpul": '"2 jam"'}},
            standards={"S4": "1 hari"},
            start=START,
        )
        self.cfg = self.office.cfg
        r = self.office.cli("cycle", "start", DEMO_PERIOD)
        assert r.returncode == 0, r.stderr
        self.code = f"PK-{DEMO_PERIOD}"
        self.store = Store(self.cfg.db_path)
        self.people = People(self.stack, self.office.users)
        self.sim = LiveSimulation(
            self.cfg, self.store, self.office.clock, self.people, self._delivered
        )
        self.sim.code = self.code
        self.daemon = DaemonProcess(self.office, self.workdir / "pantau-run.log")
        self.t0 = time.monotonic()
        span = 60.0  # faults are spread over the first minute (the cycle takes ~1.5-2 min)
        kinds = list(FAULT_PLAN) if self.with_faults else []
        self.rng.shuffle(kinds)
        self.fault_plan = sorted((self.rng.uniform(2.0, span), k) for k in kinds)
        self.refusal_until = 0.0
        self.refusal_cm = None
        self.notes_seen = 0

    # ------------------------------------------------------------------ lives

    def _new_life(self) -> None:
        now = time.monotonic()
        self.life = SimpleNamespace(started=now, armed={}, kill_at=None, after_delivery=False,
                                    mode="clean")
        if self._closed():
            self.daemon.start()
            return
        kills = self.report.kills_by()
        step = self._where_now()[1]
        if self.rng.random() < 0.65 or (kills["rendering"] == 0 and step in RENDER_NEXT):
            # Arm some crash points (rarely reached ones more often), but not the one the last
            # life died at: the same event is not killed at the same place twice in a row.
            last = self.report.kills[-1].where.split(":")[0] if self.report.kills else None
            choices = [p for p in POINTS if p != last]
            armed = {}
            for p in choices:
                chance = 1.0 if kills[p] == 0 else 0.8 if kills[p] < 3 else 0.4
                if p == "rendering":  # documents are rendered at a few moments only: be there
                    chance = 1.0 if step in RENDER_NEXT and kills[p] < 4 else 0.3
                if self.rng.random() < chance:
                    # A point never hit yet is armed at its first passage, so that every point is
                    # hit in a run whatever the timing (a busy machine sends fewer letters a life).
                    first = kills[p] == 0 and p != "rendering"
                    armed[p] = 1 if first else self.rng.randint(
                        1, RENDER_NEXT.get(step, 1) if p == "rendering" else POINT_MAX_N[p])
            if not armed:
                p = self.rng.choice(choices)
                armed[p] = self.rng.randint(1, POINT_MAX_N[p])
            self.life.armed = armed
            self.life.mode = "points"
            self.life.kill_at = now + self.rng.uniform(2.0, 4.5)  # not reached: killed then
        elif self.rng.random() < 0.5:
            self.life.mode = "random: timed"
            self.life.kill_at = now + self.rng.uniform(0.6, 2.5)
        else:
            self.life.mode = "random: after a delivery"
            self.life.after_delivery = True
            self.life.kill_at = now + 5.0  # fallback, when nothing is delivered meanwhile
        self.daemon.start(self.life.armed or None)

    def _delivered(self) -> None:
        life = getattr(self, "life", None)
        if life is not None and life.after_delivery:
            life.after_delivery = False
            life.kill_at = time.monotonic() + self.rng.uniform(0.3, 1.3)  # IDLE tells ~0.5 s after

    def _random_kill_unsafe(self) -> bool:
        if not KNOWN_LOSS_AVOIDED:
            return False
        if self.refusal_cm is not None or self.smtp_relay.banner is not None:
            return True
        row = self.store._q1(
            "SELECT COUNT(*) AS n FROM outbox WHERE status IN ('antri','mengirim') AND attempts >= "
            "1"
        )
        return bool(row and row["n"])

    def _where_now(self) -> tuple[str, str]:
        st = self.store.load_cycle(self.code)
        return self.office.clock.now().strftime("%a %H:%M"), (st.current if st else "") or "-"

    def _found(self) -> tuple[str, list[str]]:
        sending = self.store._q(
            "SELECT message_id, subject, attempts FROM outbox WHERE status='mengirim'"
        )
        waiting = self.store._q1("SELECT COUNT(*) AS n FROM inbound WHERE status='baru'")["n"]
        parts = []
        if sending:
            parts.append(f"{len(sending)} letter(s) mid-send (" + "; ".join(
                f"{r['subject'][:38]} #{r['attempts']}" for r in sending) + ")")
        if waiting:
            parts.append(f"{waiting} message(s) stored, not processed")
        return ", ".join(parts) or "-", [r["message_id"] for r in sending]

    def _lives(self) -> None:
        life = self.life
        rc = self.daemon.returncode()
        now = time.monotonic()
        if rc is not None:  # it died by itself
            notes = self.daemon.crash_notes()
            if rc == -signal.SIGKILL and len(notes) > self.notes_seen:
                where = notes[-1].split()[0]
                self.notes_seen = len(notes)
                self._record("point", where, now - life.started)
                return
            raise AssertionError(
                f"pantau run exited by itself (rc {rc}) in life {self.daemon.starts} "
                f"({life.mode} {life.armed}):\n{self.daemon.log_tail()}"
            )
        if life.kill_at is None or now < life.kill_at or self._closed():
            return
        if self._random_kill_unsafe():
            life.kill_at = now + 0.2
            return
        self.daemon.kill()
        notes = self.daemon.crash_notes()
        if len(notes) > self.notes_seen:  # reached a point just as we killed it
            self.notes_seen = len(notes)
            self._record("point", notes[-1].split()[0], now - life.started)
            return
        how = life.mode if life.mode != "points" else "points not reached"
        self._record("random", how.replace("random: ", ""), now - life.started)

    def _record(self, kind: str, where: str, life_s: float) -> None:
        office_time, step = self._where_now()
        found, mid_send = self._found()
        self.report.kills.append(
            Kill(
                len(self.report.kills) + 1,
                kind,
                where,
                round(life_s, 2),
                office_time,
                step,
                found,
                mid_send,
            )
        )
        self._new_life()

    # ------------------------------------------------------------------ faults

    def _faults(self) -> None:
        now = time.monotonic()
        if self.refusal_cm is not None and now >= self.refusal_until:
            self.refusal_cm.__exit__(None, None, None)
            self.refusal_cm = None
        if self.smtp_relay.banner is not None and now >= self.refusal_until:
            self.smtp_relay.banner = None
        while self.fault_plan and self.fault_plan[0][0] <= now - self.t0 and not self._closed():
            _, kind = self.fault_plan.pop(0)
            if kind in ("smtp_451", "smtp_421") and (
                self.refusal_cm is not None or self.smtp_relay.banner
            ):
                self.fault_plan.append((now - self.t0 + 2.0, kind))
                self.fault_plan.sort()
                continue
            self._inject(kind, now)

    def _inject(self, kind: str, now: float) -> None:
        office_time, step = self._where_now()
        note = f"at {step}"
        if kind == "dovecot_restart":
            self.stack.restart_dovecot()
        elif kind == "smtp_451":
            self.refusal_cm = self.stack.smtp_defer()
            self.refusal_cm.__enter__()
            self.refusal_until = time.monotonic() + 1.5
            note += ", 1.5 s of '451 4.3.0' at RCPT TO (Postfix)"
        elif kind == "smtp_421":
            self.smtp_relay.cut_all("smtp 421")
            self.smtp_relay.banner = b"421 4.3.2 Uji: layanan ditutup sementara\r\n"
            self.refusal_until = time.monotonic() + 1.5
            note += ", 1.5 s of '421 4.3.2' greetings"
        elif kind == "imap_cut_fetch":
            self.imap_relay.arm(b"BODY[] {", "imap_cut_fetch", extra=120)
            note += ", armed: cut inside the next message body FETCH"
        elif kind == "imap_cut_idle":
            self.imap_relay.arm(b"+ idling", "imap_cut_idle")
            note += ", armed: cut in the next IDLE"
        self.report.faults.append(Fault(kind, round(now - self.t0, 1), office_time, note))

    # ------------------------------------------------------------------ the run

    def _closed(self) -> bool:
        row = self.store._q1("SELECT status FROM cycles WHERE code=?", (self.code,))
        return bool(row and row["status"] == "closed")

    def _settled(self) -> bool:
        """The cycle closed, nothing waits to be sent or answered, every letter reached its people
        and every reply was processed."""
        if not self._closed() or self.sim.pending:
            return False
        if self.store._q1("SELECT COUNT(*) AS n FROM outbox WHERE status<>'terkirim'")["n"]:
            return False
        if self.store._q1("SELECT COUNT(*) AS n FROM inbound WHERE status='baru'")["n"]:
            return False
        taken = {
            r["message_id"]
            for r in self.store._q("SELECT message_id FROM inbound WHERE message_id IS NOT NULL")
        }
        if any(d["message_id"] not in taken for d in self.sim.delivered):
            return False
        for row in self.store.outbox():
            for rcpt in json.loads(row["recipients"]):
                if self.people.copies.get(rcpt, Counter())[row["message_id"]] == 0:
                    return False
        return True

    def run(self) -> Report:
        self._setup()
        try:
            self._new_life()
            while not self._settled():
                if time.monotonic() - self.t0 > self.timeout:
                    raise AssertionError(
                        f"the cycle did not settle within {self.timeout:.0f} s\n" + self._diagnose()
                    )
                self.sim.read_mail()
                self.sim.deliver_due()
                self.sim.late_form()
                self._faults()
                self._lives()
                time.sleep(0.1)
            if self.refusal_cm is not None:
                self.refusal_cm.__exit__(None, None, None)
                self.refusal_cm = None
            self.report.seconds = time.monotonic() - self.t0
            rc = self.daemon.terminate()
            assert rc == 0, f"pantau run ended with {rc} on SIGTERM:\n{self.daemon.log_tail()}"
            self._label_faults()
            self.report.figures = self.verify()
            return self.report
        except BaseException:
            with contextlib.suppress(Exception):
                self.out.write(self.report.text() + "\n")
            raise
        finally:
            self._teardown()

    def _label_faults(self) -> None:
        """Armed relay cuts count as injected only when they happened."""
        fired = Counter(self.imap_relay.cuts)
        kept = []
        for f in self.report.faults:
            if f.kind in ("imap_cut_fetch", "imap_cut_idle"):
                if fired[f.kind] <= 0:
                    continue
                fired[f.kind] -= 1
            kept.append(f)
        self.report.faults = kept

    def _teardown(self) -> None:
        with contextlib.suppress(Exception):
            if self.refusal_cm is not None:
                self.refusal_cm.__exit__(None, None, None)
        for name in ("daemon",):
            d = getattr(self, name, None)
            if d is not None:
                with contextlib.suppress(Exception):
                    d.kill()
        for obj in ("people", "imap_relay", "smtp_relay", "store"):
            o = getattr(self, obj, None)
            if o is not None:
                with contextlib.suppress(Exception):
                    o.close()

    def _diagnose(self) -> str:
        st = self.store.load_cycle(self.code)
        tail = "\n".join(f"  {r['at']} {r['step']} {r['event']} {r['who']} {r['detail'][:80]}"
                         for r in self.store.cycle_log(self.code)[-12:])
        out = self.store._q(
            "SELECT id, subject, status, attempts, error FROM outbox WHERE status<>'terkirim'"
        )
        inb = self.store._q(
            "SELECT id, status, reason, subject FROM inbound WHERE status NOT IN "
            "('diproses','diabaikan')"
        )
        return (f"step {st.current if st else '?'} status {st.status if st else '?'}; office time "
                f"{self.office.clock.now():%a %d %H:%M}; pending replies {len(self.sim.pending)}\n"
                f"log tail:\n{tail}\noutbox not sent: {out}\ninbound not done: {inb}\n"
                f"daemon log:\n{self.daemon.log_tail()}")

    # ------------------------------------------------------------------ the checks

    def verify(self) -> dict:
        store, code = self.store, self.code
        st = store.load_cycle(code)
        assert st.status == "closed", self._diagnose()
        assert all(s.status in ("done", "skipped") for s in st.steps.values()), {
            k: s.status for k, s in st.steps.items()
        }

        # Registers: 1..n per year, no gap, no number twice.
        regs = {}
        for table in ("register_keluar", "register_masuk"):
            rows = store.register(table)
            for year in {r["tahun"] for r in rows}:
                nos = [r["no"] for r in rows if r["tahun"] == year]
                assert nos == list(range(1, len(nos) + 1)), (table, year, nos)
            regs[table] = len(rows)
        masuk_ids = [r["message_id"] for r in store.register("register_masuk") if r["message_id"]]
        assert len(masuk_ids) == len(set(masuk_ids)), (
            f"a reply registered twice: {Counter(masuk_ids).most_common(3)}"
        )

        # Every reply taken exactly once, and taken for what it is: a person's answer processed
        # ("diproses"), only an auto-reply ignored ("diabaikan"); other copies are "duplikat".
        inbound = store._q("SELECT id, message_id, status, reason FROM inbound")
        assert {r["status"] for r in inbound} <= {*FINAL_INBOUND, "duplikat"}, \
            [r for r in inbound if r["status"] not in (*FINAL_INBOUND, "duplikat")]
        taken = Counter(r["message_id"] for r in inbound if r["status"] in FINAL_INBOUND)
        for d in self.sim.delivered:
            rows = [r for r in inbound if r["message_id"] == d["message_id"]]
            assert taken[d["message_id"]] == 1, (d, rows)
            want = "diabaikan" if d["auto"] else "diproses"
            final = [r for r in rows if r["status"] in FINAL_INBOUND]
            assert final[0]["status"] == want, (
                f"{d['what']!r} was {final[0]['status']} ({final[0]['reason']})"
            )
        sent_ids = {d["message_id"] for d in self.sim.delivered}
        assert set(taken) <= sent_ids, f"processed messages nobody sent: {set(taken) - sent_ids}"
        subs = store._q("SELECT message_id, unit, ok, errors FROM submissions")
        assert len(subs) == len({r["message_id"] for r in subs}), "a form was taken twice"

        # Every form a unit sent is one submission: accepted, with its values in the final report,
        # unless the unit typed a word where a number belongs (then refused, and corrected later).
        final_docx = [d for d in store.documents(code) if d["kind"] == "final_report"]
        assert final_docx, "no final report"
        in_report = report_values(Path(final_docx[-1]["path"]))
        forms = [d for d in self.sim.delivered if d["form"] is not None]
        assert len(forms) >= len(self.cfg.units), [d["what"] for d in forms]
        for d in forms:
            mine = [r for r in subs if r["message_id"] == d["message_id"]]
            assert len(mine) == 1, f"form {d['what']!r} is {len(mine)} submissions"
            broken = any(isinstance(v, str) for v in d["form"].values())
            assert mine[0]["ok"] == (0 if broken else 1), (d["what"], mine[0]["errors"])
            if not broken:
                missing = {(k, v) for k, v in d["form"].items()} - in_report
                assert not missing, (
                    f"values of {d['what']!r} not in the final report: {sorted(missing)[:3]}"
                )
        units_sent = {
            d["sender"] for d in forms if not any(isinstance(v, str) for v in d["form"].values())
        }
        assert units_sent == {u.email for u in self.cfg.units}, units_sent

        # Every decision an official sent is in register masuk.
        officials = {o.email for o in self.cfg.pejabat.values()}
        decisions = [d for d in self.sim.delivered if d["sender"] in officials and not d["auto"]]
        assert decisions, "no decisions were sent"
        for d in decisions:
            assert d["message_id"] in masuk_ids, f"decision {d['what']!r} not in register masuk"

        # Every letter sent, arrived, at most duplicated by an interrupted send, same Message-ID.
        outbox = store.outbox()
        assert {r["status"] for r in outbox} == {"terkirim"}, Counter(r["status"] for r in outbox)
        boxes = self.people.mailbox_copies()
        known = {r["message_id"] for r in outbox}
        # A letter can only arrive twice when a kill left its send unfinished (the outbox row
        # still 'mengirim'): the restarted daemon cannot tell and sends it once more.
        cut = Counter(mid for k in self.report.kills for mid in k.mid_send)
        twice, deliveries = 0, 0
        for row in outbox:
            most = 0
            for rcpt in json.loads(row["recipients"]):
                n = boxes[rcpt][row["message_id"]]
                assert n >= 1, f"letter {row['subject']!r} {row['message_id']} never reached {rcpt}"
                deliveries += 1
                most = max(most, n)
            assert most - 1 <= cut[row["message_id"]], (
                f"letter {row['subject']!r} arrived {most} times, its send was cut "
                f"{cut[row['message_id']]} times"
            )
            twice += most - 1
        for address, box in boxes.items():
            stray = [m for m in box if m.startswith("pantau.") and m not in known]
            assert not stray, f"{address} got letters the outbox does not know: {stray}"
        allowed = sum(cut.values())

        status = self.office.status()
        assert status["outbox"] == {"queued": 0, "failed": 0}, status["outbox"]
        assert status["held"] == 0, status
        log = self.daemon.log_path.read_text(errors="replace")
        assert "Traceback" not in log, log[
            log.index("Traceback") - 2000 : log.index("Traceback") + 3000
        ]
        return {
            "cycle": code,
            "status": st.status,
            "replies": len(self.sim.delivered),
            "forms": len(forms),
            "forms_accepted": sum(1 for r in subs if r["ok"]),
            "decisions": len(decisions),
            "inbound_rows": len(inbound),
            "duplicate_rows": sum(r["status"] == "duplikat" for r in inbound),
            "letters": len(outbox),
            "deliveries": deliveries,
            "letters_twice": twice,
            "duplicates_allowed": allowed,
            "register_keluar": regs["register_keluar"],
            "register_masuk": regs["register_masuk"],
            "daemon_starts": self.daemon.starts,
            "people_send_refused": self.sim.refused,
            "relay_cuts": list(self.imap_relay.cuts),
            "smtp_421_refused": self.smtp_relay.refused,
        }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Run the crash harness once, on its own mail stack.")
    ap.add_argument("--seed", type=int, default=int(time.time()) % 100000)
    ap.add_argument("--min-kills", type=int, default=20)
    ap.add_argument("--scale", type=float, default=3000.0)
    ap.add_argument("--no-faults", action="store_true")
    ap.add_argument("--dir", help="keep the office here (default: a temporary folder)")
    ap.add_argument("--json", help="write the report as JSON to this file")
    args = ap.parse_args(argv)
    import tempfile

    from mailstack import MailStack

    work = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="pantau-crash-"))
    with MailStack() as stack:
        h = CrashHarness(stack, work, args.seed, min_kills=args.min_kills, scale=args.scale,
                         faults=not args.no_faults)
        report = h.run()
    print(report.text())
    if args.json:
        Path(args.json).write_text(report.to_json())
    if len(report.kills) < args.min_kills:
        print(f"only {len(report.kills)} kills (wanted {args.min_kills})")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
