"""What the operator is told by e-mail (SPEC §3.1, §3.4): nothing waits in silence.

- A held message reaches a person: `[operator] email` (default: the Kasubag) gets one notice per
  held message within the daemon's next round (at most a minute), naming the sender, the subject,
  the reason and what to do. When more than 10 are held within an hour, one digest replaces them
  (and at most one digest an hour is sent; later ones gather what came since).
- A daily digest (`[operator] ringkasan_harian`, on by default) at the start of the office day,
  when something is pending: who has not sent, what is overdue in working time, what is held, what
  could not be delivered. A day with nothing to say sends nothing.

Each notice is recorded in `operator_told` (kind, key) in the same transaction that queues it, so
a restart never repeats one and a crash never loses one.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta
from typing import Any

from daemon.core.statuses import InboundStatus
from daemon.mail.compose import build_message, new_message_id
from daemon.shell.archive import write_atomic

log = logging.getLogger("pantau")

HELD_PER_HOUR = 10  # more than this within an hour: one digest instead of one notice each
HELD_STATUSES = (InboundStatus.HELD, InboundStatus.FAILED)


def queue_mail(app, *, kind: str, to: list[str], subject: str, body: str, now: datetime,
               cycle: str = "", step: str = "") -> str:
    """Queue a notice that belongs to no task (inside the caller's transaction)."""
    mid = new_message_id(app.cfg.kantor.domain)
    raw = build_message(
        sender=app.cfg.mail.alamat,
        sender_name=app.cfg.mail.nama,
        to=to,
        cc=[],
        subject=subject,
        body=body,
        message_id=mid,
        date=now,
        cycle=cycle,
        token=None,
        notification=True,
        step=step,
    )
    path = (
        app.archive.root
        / "keluar"
        / (cycle or "operator")
        / f"{hashlib.sha1(mid.encode()).hexdigest()}.eml"
    )
    write_atomic(path, raw)
    app.store.enqueue(message_id=mid, cycle=cycle, step=step, kind=kind, task=None, recipients=to,
                      subject=subject, path=str(path), now=now)
    return mid


def _ctx(app, to: str, **extra: Any) -> dict:
    names = {o.email: o.jabatan for o in app.cfg.pejabat.values()}
    return {"kantor": app.cfg.kantor, "pengirim_nama": app.cfg.mail.nama,
            "penerima": names.get(to, to), **extra}


def _held_item(app, row: dict) -> dict:
    from daemon.operator.views import hint, people_names

    names = people_names(app.cfg)
    step = None
    if row.get("task"):
        t = app.store.task(row["task"])
        step = t["step"] if t else None
    return {"id": row["id"], "dari": row.get("sender") or "(tanpa pengirim)",
            "nama": names.get((row.get("sender") or "").lower(), ""),
            # Without the cycle tag and token: a reply to this notice must not look like an answer
            # to the task.
            "subjek": _clean_subject(row.get("subject") or "") or "(tanpa subjek)",
            "diterima": datetime.fromisoformat(row["received"]), "alasan": row.get("reason") or "",
            "siklus": row.get("cycle") or "", "langkah": step or "",
            "saran": hint(row, app.store, app.cfg)}


def _clean_subject(subject: str) -> str:
    from daemon.shell.runners.incoming import plain_subject

    return plain_subject(subject)


def tell_held(app, now: datetime) -> int:
    """Notices about held messages not yet told. Returns how many e-mails were queued."""
    to = app.cfg.operators
    if not to:
        return 0
    rows = app.store.held_messages(untold_only=True)
    if not rows:
        return 0
    hour_ago = now - timedelta(hours=1)
    told_hour = app.store.told_since("ditahan", hour_ago)
    queued = 0
    with app.store.transaction():
        if len(rows) + told_hour <= HELD_PER_HOUR:
            for row in rows:
                item = _held_item(app, row)
                subject, body = app.texts.render("operator_ditahan", _ctx(app, to[0], **item))
                queue_mail(app, kind="operator:ditahan", to=to, subject=subject, body=body, now=now,
                           cycle=row.get("cycle") or "")
                app.store.mark_told("ditahan", str(row["id"]), now)
                queued += 1
        else:
            if app.store.told_since("ditahan_ringkas", hour_ago):
                return 0  # a digest went out within the hour: the next one gathers these
            items = [_held_item(app, r) for r in rows]
            subject, body = app.texts.render(
                "operator_ditahan_banyak", _ctx(app, to[0], pesan=items)
            )
            queue_mail(
                app, kind="operator:ditahan_ringkas", to=to, subject=subject, body=body, now=now
            )
            for row in rows:
                app.store.mark_told("ditahan", str(row["id"]), now)
            app.store.mark_told("ditahan_ringkas", now.isoformat(), now)
            queued = 1
    log.info("operator diberi tahu tentang %s pesan yang ditahan (%s)", len(rows), ", ".join(to),
             extra={"event": "operator_diberi_tahu", "who": ", ".join(to)})
    return queued


def daily_digest(app, now: datetime) -> bool:
    """The Kasubag's morning digest; True when one was queued. Once per working day, from the
    office's opening on; nothing on a day with nothing pending."""
    if not app.cfg.ringkasan_harian:
        return False
    today = now.date()
    hours = app.cal.office_hours(today)
    if hours is None or now < hours[0] or app.store.told("harian", today.isoformat()):
        return False
    if now >= hours[1]:  # the daemon was down all day: tomorrow's digest will tell
        return False
    kasubag = app.cfg.pejabat.get("kasubag_perencanaan")
    to = [kasubag.email] if kasubag and kasubag.email else app.cfg.operators
    data = pending(app, now)
    with app.store.transaction():
        if not app.store.mark_told("harian", today.isoformat(), now):
            return False
        if not (data["daftar_siklus"] or data["ditahan"] or data["gagal_kirim"]):
            return False
        subject, body = app.texts.render("ringkasan_harian", _ctx(app, to[0], **data))
        queue_mail(
            app, kind="operator:ringkasan_harian", to=to, subject=subject, body=body, now=now
        )
    log.info("ringkasan harian dikirim kepada %s", ", ".join(to),
             extra={"event": "ringkasan_harian", "who": ", ".join(to)})
    return True


def pending(app, now: datetime) -> dict:
    """What is pending, for the daily digest: per running cycle who has not answered and what is
    overdue (working time past the standard), the held messages, the undelivered letters."""
    from daemon.core.formatting import format_duration
    from daemon.operator.views import people_names, status

    names = people_names(app.cfg)
    data = status(app.store, app.sop, app.cal, now, app.cfg)
    cycles = []
    opening = app.cal.office_hours(now.date())
    today = opening[0] if opening else now
    for c in data["cycles"]:
        # Awaited since before today: what came this morning is not yet anyone's delay.
        menunggu = [
            f"{a['name']} ({a['who']}), langkah {a['step']}, sejak "
            f"{datetime.fromisoformat(a['since']).strftime('%d-%m-%Y %H.%M')}"
            for a in c["awaiting"]
            if a.get("since") and datetime.fromisoformat(a["since"]) < today
        ]
        terlambat = [
            f"{o['step']} {o['name']}: lewat {format_duration(o['late_minutes'])} waktu kerja dari "
            f"standar {o['standard']}"
            + (f" (menunggu {', '.join(names.get(w, w) for w in o['who'])})" if o["who"] else "")
            for o in c["overdue"]
        ]
        if menunggu or terlambat:
            cycles.append(
                {
                    "kode": c["code"],
                    "langkah": f"{c['current_step']} {c['step_name'] or ''}".strip(),
                    "menunggu": menunggu,
                    "terlambat": terlambat,
                }
            )
    held = [_held_item(app, r) for r in app.store.held_messages()]
    failed = app.store.failed_letters()
    return {"daftar_siklus": cycles, "ditahan": held, "gagal_kirim": failed, "tanggal": now}
