"""The test office: the one way tests make an office directory (`office_factory` in conftest.py,
or `new_office` where no fixture reaches, as in the crash harness and the benchmarks).

Every office starts as `pantau init` makes it (daemon/operator/setup.py `init_office`: the shipped
config/ and templates/, var/ and its token secret), then is changed the way a test needs: the
roles' addresses, the transport (the private mail stack of tests/mailstack.py), keys of any
section, or any other text edit of pantau.toml. What a test does with it (an OfficeApp on a
manual clock, the CLI, a daemon process) stays in the test; `open()` and `env()` cover the usual
cases.

`copy_of` is the one place that copies a built office (a template built once per process, see
test_hostile's `make_office`): the database stores absolute paths, so they are moved along."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import sqlite3
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path

from daemon.operator.setup import init_office

SECRET = "rahasia-uji"  # PANTAU_SECRET in env(): tokens stay the same from run to run
ROLE_ADDRESS = '"{role}@kecamatan.test"'


def set_in_section(text: str, section: str, **values: str) -> str:
    """Replace `key = ...` lines (comments and all) inside one [section] of a TOML text."""
    head = f"[{section}]\n"
    start = text.index(head) + len(head)
    end = text.find("\n[", start)
    end = len(text) if end < 0 else end
    body = text[start:end]
    for key, value in values.items():
        body, n = re.subn(rf"(?m)^{key}\s*=.*$", f"{key} = {value}", body)
        assert n == 1, (section, key)
    return text[:start] + body + text[end:]


@dataclasses.dataclass
class TestOffice:
    """An office directory made by `new_office`."""

    __test__ = False  # not a test class, whatever pytest thinks of its name

    root: Path

    @property
    def config(self) -> Path:
        return self.root / "config" / "pantau.toml"

    @property
    def var(self) -> Path:
        return self.root / "var"

    @property
    def db(self) -> Path:
        return self.var / "pantau.db"

    @property
    def maildir(self) -> Path:
        return self.var / "maildir"

    def edit(self, old: str, new: str, count: int = 1) -> TestOffice:
        """Replace `old` (which must be there) in pantau.toml."""
        text = self.config.read_text(encoding="utf-8")
        assert old in text, old
        self.config.write_text(text.replace(old, new, count), encoding="utf-8")
        return self

    def set(self, section: str, **values: str) -> TestOffice:
        """Set keys (TOML values, quoted where strings) of one section of pantau.toml."""
        text = self.config.read_text(encoding="utf-8")
        self.config.write_text(set_in_section(text, section, **values), encoding="utf-8")
        return self

    def load(self):
        from daemon.config import load_config

        return load_config(self.config)

    def open(self, clock=None):
        """An OfficeApp on this office (on `clock`, e.g. a ManualClock); the caller closes it."""
        from daemon.shell.office import OfficeApp

        return OfficeApp(self.load(), clock=clock)

    def env(self, **extra: str) -> dict[str, str]:
        """The PANTAU_* variables a CLI call or a daemon process of this office needs."""
        return {"PANTAU_CONFIG": str(self.config), "PANTAU_SECRET": SECRET, **extra}


def new_office(
    root: Path,
    *,
    stack=None,
    users: Mapping[str, object] | None = None,
    sections: Mapping[str, Mapping[str, str]] | None = None,
    edit: Callable[[str], str] | None = None,
    secret: bool = True,
) -> TestOffice:
    """`pantau init root`, then:

    - `stack` (a tests/mailstack.MailStack): the IMAP transport on the stack, by SMTP out, no TLS;
      with `users` (role -> mailstack User), the roles' addresses become those mailboxes and
      Pantau logs in as users["pantau"];
    - `sections`: {section: {key: TOML value}} set in pantau.toml;
    - `edit(text)`: any other change of pantau.toml's text;
    - `secret=False`: no var/secret yet (an office whose token secret is still to be made)."""
    office = TestOffice(Path(root))
    # As on a machine without PANTAU_SECRET, whatever the test process has: var/secret is made.
    saved = os.environ.pop("PANTAU_SECRET", None)
    try:
        init_office(office.root)
    finally:
        if saved is not None:
            os.environ["PANTAU_SECRET"] = saved
    if not secret:
        (office.var / "secret").unlink()
    text = office.config.read_text(encoding="utf-8")
    for role, user in (users or {}).items():
        text = text.replace(ROLE_ADDRESS.format(role=role), f'"{user.address}"')
    if stack is not None:
        text = text.replace('transport = "maildir"', 'transport = "imap"')
        login = f'"{users["pantau"].name}"' if users and "pantau" in users else None
        imap = {"port": str(stack.imap_port), "keamanan": '"none"'}
        if login:
            imap["username"] = login
        text = set_in_section(text, "mail.imap", **imap)
        text = set_in_section(
            text, "mail.smtp", port=str(stack.smtp_port), keamanan='"none"', username='""'
        )
    for section, values in (sections or {}).items():
        text = set_in_section(text, section, **values)
    if edit is not None:
        text = edit(text)
    office.config.write_text(text, encoding="utf-8")
    return office


def copy_of(template: Path, root: Path) -> TestOffice:
    """A copy at `root` of the (closed) office at `template`, with the absolute paths its database
    and pantau.toml store moved along: a test gets its own directory, database and archive of an
    office that took seconds to build."""
    shutil.copytree(template, root, symlinks=True)
    db = sqlite3.connect(root / "var" / "pantau.db")
    with db:
        old, new = str(template), str(root)
        for table in ("documents", "outbox", "inbound", "submissions"):
            db.execute(f"UPDATE {table} SET path=replace(path, ?, ?)", (old, new))
        db.execute(
            "UPDATE cycles SET state=replace(state, ?, ?)",
            (json.dumps(old)[1:-1], json.dumps(new)[1:-1]),
        )
    db.close()
    office = TestOffice(Path(root))
    text = office.config.read_text(encoding="utf-8")
    if str(template) in text:
        office.config.write_text(text.replace(str(template), str(root)), encoding="utf-8")
    return office


def started(office: TestOffice, clock_start: datetime, quarter: str = "2025-TW3"):
    """(app, clock, code): the office opened on a ManualClock at `clock_start`, a cycle started
    and its first letters sent (the usual beginning of an in-process test)."""
    from daemon.shell.clock import ManualClock

    clock = ManualClock(clock_start)
    app = office.open(clock)
    code = app.start_cycle(quarter)
    app.dispatch()
    return app, clock, code
