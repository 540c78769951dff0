"""Sign-in by one-time e-mail link, server-side sessions, CSRF and rate limits (SPEC §8).

- A link token is 32 random bytes (hex); the database keeps only its sha256. It works once,
  for 15 minutes, and only through the POST of the page it opens (a GET signs nobody in, so the
  link scanners of mail services do not use it up).
- A session id is 32 random bytes, new at every sign-in (no fixation), kept hashed; the cookie is
  HTTP-only, SameSite=Lax, and Secure when `[web] url` is https. A session ends after 8 hours
  without use, 7 days after sign-in, or at `keluar`.
- CSRF: a signed-in form carries the session's own random token; the two forms before a session
  (ask for a link, use a link) carry a token that must equal a cookie set with the page
  (double submit), and a foreign Origin is refused.
- Rate limits: at most 3 link requests per address and 10 per client address per 15 minutes.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import UTC, datetime, timedelta

from daemon.config import Config
from daemon.mail.compose import build_message, new_message_id
from daemon.store import Store
from daemon.web.people import Person

log = logging.getLogger("pantau.web")

LINK_TTL = timedelta(minutes=15)
IDLE = timedelta(hours=8)
ABSOLUTE = timedelta(days=7)
TOUCH_EVERY = timedelta(minutes=1)
RATE_WINDOW = timedelta(minutes=15)
RATE_PER_ADDRESS = 3
RATE_PER_CLIENT = 10

SESSION_COOKIE = "pantau_sesi"
FORM_COOKIE = "pantau_form"


def utcnow() -> datetime:
    return datetime.now(UTC)


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def new_secret() -> str:
    return secrets.token_hex(32)  # hex: never mistaken for a task token by the scrubber


def same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


# ============================================================================ links


def create_link(store: Store, email: str, base_url: str, now: datetime) -> str:
    """A new one-time link for `email` (already known to be a person of the office)."""
    token = new_secret()
    with store.transaction():
        store.web_add_link(digest(token), email, now, now + LINK_TTL)
    return f"{base_url.rstrip('/')}/masuk/tautan/{token}"


def link_usable(store: Store, token: str, now: datetime) -> bool:
    row = store.web_link(digest(token))
    return bool(row and not row["used"] and row["expires"] > now.isoformat(timespec="microseconds"))


def use_link(store: Store, token: str, now: datetime) -> str | None:
    """The address the link was made for, or None when it is used, expired or unknown."""
    with store.transaction():
        return store.web_use_link(digest(token), now)


def link_email(cfg: Config, person: Person, link: str, office_now: datetime) -> bytes:
    body = (
        f"Yth. {person.name},\n\n"
        f"Seseorang (semoga Anda) meminta tautan untuk masuk ke dasbor Pantau {cfg.kantor.nama}.\n"
        f'Buka tautan berikut, lalu tekan tombol "Masuk":\n\n  {link}\n\n'
        f"Tautan ini hanya berlaku satu kali dan selama 15 menit. Jika Anda tidak memintanya, "
        f"abaikan e-mail ini: tanpa tautan ini tidak ada yang dapat masuk atas nama Anda.\n\n"
        f"Dasbor hanya menampilkan keadaan; persetujuan dan jawaban tetap melalui e-mail.\n\n"
        f"{cfg.mail.nama}\n"
    )
    return build_message(
        sender=cfg.mail.alamat,
        sender_name=cfg.mail.nama,
        to=[person.email],
        cc=[],
        subject="Tautan masuk dasbor Pantau",
        body=body,
        message_id=new_message_id(cfg.kantor.domain),
        date=office_now,
        cycle="",
        token=None,
        notification=True,
    )


def send_link(cfg: Config, person: Person, link: str, office_now: datetime) -> bool:
    """Send a sign-in link through the office's own transport (the daemon need not run)."""
    from daemon.shell.office import make_transport

    raw = link_email(cfg, person, link, office_now)
    transport = None
    try:
        transport = make_transport(cfg)
        result = transport.send(raw, cfg.mail.alamat, [person.email])
    except Exception as e:  # the mail server may be away; the person can ask again
        log.warning("tautan masuk dasbor tidak terkirim kepada %s: %s", person.email, e,
                    extra={"event": "web_tautan_gagal", "who": person.email})
        return False
    finally:
        if transport is not None:
            try:
                transport.close()
            except Exception:
                pass
    if result.refused:
        log.warning("tautan masuk dasbor ditolak server untuk %s", person.email,
                    extra={"event": "web_tautan_gagal", "who": person.email})
        return False
    log.info("tautan masuk dasbor dikirim kepada %s", person.email,
             extra={"event": "web_tautan", "who": person.email})
    return True


# ============================================================================ rate limits


def allow_request(store: Store, email: str, client: str, now: datetime) -> bool:
    """Count this sign-in request; False when the address or the client asked too often.
    Counted whether or not the address is known, so the answer tells nothing about it."""
    since = now - RATE_WINDOW
    addr_key, client_key = digest(email.lower()), digest(client)
    with store.transaction():
        too_many = (store.web_count_attempts("alamat", addr_key, since) >= RATE_PER_ADDRESS
                    or store.web_count_attempts("klien", client_key, since) >= RATE_PER_CLIENT)
        store.web_add_attempt("alamat", addr_key, now, now - 2 * RATE_WINDOW)
        store.web_add_attempt("klien", client_key, now, now - 2 * RATE_WINDOW)
    return not too_many


# ============================================================================ sessions


def start_session(
    store: Store, email: str, now: datetime, old_id: str | None = None
) -> tuple[str, str]:
    """A fresh session (id, csrf) for `email`; a session id the browser already had is ended,
    so an id planted before sign-in is worth nothing after it."""
    sid, csrf = new_secret(), new_secret()
    with store.transaction():
        if old_id:
            store.web_end_session(digest(old_id), now)
        store.web_add_session(digest(sid), email, csrf, now)
    return sid, csrf


def session(store: Store, sid: str | None, now: datetime) -> dict | None:
    """The live session for this cookie value, or None (unknown, ended, idle or too old)."""
    if not sid or len(sid) > 200:
        return None
    h = digest(sid)
    row = store.web_session(h)
    if not row:
        return None
    seen, created = datetime.fromisoformat(row["seen"]), datetime.fromisoformat(row["created"])
    if now - seen > IDLE or now - created > ABSOLUTE:
        with store.transaction():
            store.web_end_session(h, now)
        return None
    if now - seen > TOUCH_EVERY:
        with store.transaction():
            store.web_touch_session(h, now)
    return row


def end_session(store: Store, sid: str, now: datetime) -> None:
    with store.transaction():
        store.web_end_session(digest(sid), now)
