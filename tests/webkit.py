"""Shared by the dashboard's tests: a demo office with a closed cycle (PK-2025-TW3) plus an open
one (PK-2025-TW4, its S1 letter to the Camat sent, so a task is open), a held message whose subject
carries that task's token, the secrets the pages must never show, and helpers to sign in."""

from __future__ import annotations

import re
import socket
import threading
import time
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from daemon.config import load_config
from daemon.core.verification import signature_code
from daemon.demo.simulation import run_demo
from daemon.shell.office import OfficeApp
from daemon.web.app import server_config

ROOT = Path(__file__).resolve().parents[1]
LINK = re.compile(r"https?://\S+/masuk/tautan/[0-9a-f]{64}")


def demo_office(tmp_path_factory) -> dict:
    target = tmp_path_factory.mktemp("webdemo")
    with (target / "demo.log").open("w") as f:
        assert run_demo(target, out=f) == 0
    cfg_path = target / "config" / "pantau.toml"
    cfg = load_config(cfg_path)
    app = OfficeApp(cfg)
    try:
        app.start_cycle("2025-TW4")
        app.dispatch()
        (task,) = [t for t in app.store.open_tasks("PK-2025-TW4") if t["step"] == "S1"]
        msg = EmailMessage()
        msg["From"] = "orang.lain@contoh.test"
        msg["To"] = cfg.mail.alamat
        msg["Subject"] = f"Re: [PK-2025-TW4] [#{task['token']}] Perintah pemantauan kinerja"
        msg["Message-ID"] = make_msgid(domain="contoh.test")
        msg.set_content("SETUJU")
        app.ingest(bytes(msg))
        tokens = [r["token"] for r in app.store._q("SELECT token FROM tasks")]
        s11 = [
            signature_code(app.secret, r["key"])
            for r in app.store._q("SELECT key FROM tasks WHERE step='S11'")
        ]
        open_mids = sorted(app.store.open_task_message_ids())
        held = app.store.held()
    finally:
        app.close()
    assert open_mids and held, "the fixture needs an open task's letter and a held message"
    return {
        "dir": target,
        "config": cfg_path,
        "cfg": load_config(cfg_path),
        "tokens": tokens,
        "s11": s11,
        "open_mids": open_mids,
        "maildir": target / "var" / "maildir",
    }


def secrets_in(text: str, office: dict) -> list[str]:
    """Which of the office's task tokens, S11 codes and open tasks' Message-IDs appear in text."""
    found = [t for t in office["tokens"] if t in text or t.replace("-", "") in text]
    found += [c for c in office["s11"] if re.search(rf"(?<!\d){c}(?!\d)", text)]
    found += [m for m in office["open_mids"] if m in text]
    return found


def mails_to(office: dict, address: str) -> list[Path]:
    box = office["maildir"] / address
    return sorted(
        (p for sub in ("new", "cur") if (box / sub).exists() for p in (box / sub).iterdir()),
        key=lambda p: p.stat().st_mtime,
    )


def last_link(office: dict, address: str) -> str | None:
    """The sign-in link in the newest e-mail to `address` (read from its Maildir)."""
    import email
    from email import policy

    for p in reversed(mails_to(office, address)):
        msg = email.message_from_bytes(p.read_bytes(), policy=policy.default)
        if msg["Subject"] == "Tautan masuk dasbor Pantau":
            m = LINK.search(msg.get_body(("plain",)).get_content())
            return m.group(0) if m else None
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """The real server (uvicorn) in a thread on a free port."""

    def __init__(self, app, port: int | None = None):
        import uvicorn

        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(server_config(app, "127.0.0.1", self.port))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(10)
