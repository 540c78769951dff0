"""People's addresses change mid-cycle (SPEC §3.1): a typo fixed, a new e-mail account.

Addresses come from the configuration. At the daemon's start and on SIGHUP, every open task whose
recipient is no longer the configured address of its person (an official's role, or a unit) moves
to the new address: the task's letter is re-sent there once (the same token, a new Message-ID),
reminders go there from then on, and answers from the old address still count until the task
closes (table `alamat_lama`). A bounce's notice names the person, the unit and the config key to
correct (`whose()`).
"""

from __future__ import annotations

import email
import logging
from email import policy
from email.utils import format_datetime
from pathlib import Path

from daemon.mail.compose import new_message_id

log = logging.getLogger("pantau")

ROLE_LABEL = {"camat": "Camat", "sekretaris": "Sekretaris Camat",
              "kasubag_perencanaan": "Kasubag Perencanaan"}


def configured_address(cfg, role: str, unit: str | None) -> str | None:
    """The address the configuration gives the person behind a task (None: not configured)."""
    if unit:
        for u in cfg.units:
            if u.kode == unit:
                return u.email or None
        return None
    o = cfg.pejabat.get(role)
    return o.email if o and o.email else None


def whose(cfg, address: str) -> dict:
    """Who has this address in the configuration, and which key holds it:
    {"orang", "unit", "kunci"} (empty strings when nobody has it)."""
    address = (address or "").lower()
    for u in cfg.units:
        if address == u.email or address in u.kepala.wakil:
            person = u.kepala.nama or u.kepala.jabatan or f"Kepala {u.nama}"
            key = f'[[unit]] kode = "{u.kode}" → email' if address == u.email else \
                f'[[unit]] kode = "{u.kode}" → wakil'
            return {"orang": person, "unit": f"{u.nama} ({u.kode})", "kunci": key}
    for role, o in cfg.pejabat.items():
        if address == o.email or address in o.wakil:
            key = f"[pejabat.{role}] → " + ("email" if address == o.email else "wakil")
            return {"orang": f"{o.nama} ({o.jabatan})" if o.nama else o.jabatan,
                    "unit": ROLE_LABEL.get(role, role), "kunci": key}
    return {"orang": "", "unit": "", "kunci": ""}


def follow_address_changes(app) -> int:
    """Move open tasks to their person's configured address and re-send each one's letter there
    once. Returns how many tasks moved."""
    moved = 0
    for row in app.store.cycles("running"):
        with app.store.transaction():
            st = app.store.load_cycle(row["code"])
            if st is None:
                continue
            now = app.clock.now()
            changed = False
            for t in st.open_tasks():
                new = configured_address(app.cfg, t.role, t.unit)
                old = (t.recipient or "").lower()
                if not new or new == old:
                    continue
                app.store.add_former_address(t.key, old, now)
                t.recipient = new
                if t.unit and t.unit in st.units:
                    st.units[t.unit].email = new
                app.store.set_task_recipient(t.key, new)
                if old in st.undeliverable:
                    st.undeliverable.remove(old)
                resent = _resend(app, st.code, t.key, old, new, now)
                app.store.add_log(
                    st.code,
                    now,
                    t.step,
                    "alamat_diubah",
                    new,
                    f"dari {old}; "
                    + (
                        "surat tugas dikirim ulang ke alamat baru"
                        if resent
                        else "tidak ada surat yang perlu dikirim ulang"
                    ),
                )
                log.info(
                    "alamat %s diubah ke %s (%s %s); surat tugas %s",
                    old,
                    new,
                    st.code,
                    t.step,
                    "dikirim ulang" if resent else "tidak perlu dikirim ulang",
                    extra={"cycle": st.code, "step": t.step, "event": "alamat_diubah", "who": new},
                )
                moved += 1
                changed = True
            if changed:
                app.store.save_cycle(st, app.token_for)
    return moved


def _resend(app, cycle: str, task: str, old: str, new: str, now) -> bool:
    """Queue the task's first letter again, addressed to `new`: same subject and token, a new
    Message-ID and date. Once per (task, new address)."""
    if not app.store.mark_told("alamat", f"{task}→{new}", now):
        return False
    row = app.store.task_first_letter(task)
    if row is None or not Path(row["path"]).exists():
        return False
    msg = email.message_from_bytes(Path(row["path"]).read_bytes(), policy=policy.default)
    mid = new_message_id(app.cfg.kantor.domain)
    for h in ("To", "Cc", "Message-ID", "Date"):
        del msg[h]
    msg["To"] = new
    msg["Message-ID"] = mid
    msg["Date"] = format_datetime(now)
    raw = msg.as_bytes(policy=policy.SMTP)
    path = Path(row["path"]).with_name(
        Path(row["path"]).stem + "-" + new.replace("@", "_at_") + ".eml"
    )
    from daemon.shell.archive import write_atomic

    write_atomic(path, raw)
    app.store.enqueue(message_id=mid, cycle=cycle, step=row["step"], kind=row["kind"], task=task,
                      recipients=[new], subject=row["subject"], path=str(path), now=now)
    return True
