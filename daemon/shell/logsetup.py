"""The daemon log (SPEC §7.2): one line per event on stderr (journald-friendly), optionally a
rotating file; human-readable by default, one JSON object per line with `--log-format json`.

A text line reads `time LEVEL message [mid <message id>]`; when stderr is connected to journald
(systemd sets `JOURNAL_STREAM`), the time is left out (the journal stamps every line itself) and
the line starts with the syslog priority (`<6>`), so `journalctl -p warning` filters by level.
A JSON line holds `time`, `level`, `message` and, when the caller gave them with
`extra={...}`, `cycle`, `step`, `event`, `who`, `message_id`; an exception adds `error` and
`traceback`.

Callers pass only what is safe to show: cycle, step, event, who, message id. Passwords, tokens and
message bodies are never logged. As a second line of defence every line is scrubbed: task tokens
(`[#XXXX-XXXX]`, the `X-Pantau-Token` value, a plus-address `pantau+XXXXXXXX@`) are masked, and so
is the value of every secret named in the configuration (`*_env` variables) should it appear.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
import re
import sys
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

FIELDS = ("cycle", "step", "event", "who", "message_id")
# Crockford base32 (no I, L, O, U): a task token is 4 + 4 of these (SPEC §3.1).
_B32 = "[0-9A-HJKMNP-TV-Z]"
_TOKEN_BRACKET = re.compile(r"\[\s*#\s*[0-9A-Za-z]{4}-[0-9A-Za-z]{4}\s*\]")
_TOKEN_BARE = re.compile(rf"(?<![0-9A-Za-z-]){_B32}{{4}}-{_B32}{{4}}(?![0-9A-Za-z-])")
_PLUS = re.compile(r"\+[0-9A-Za-z]{8}@")
MASK = "****"
# syslog priorities for the journald line prefix (sd-daemon(3)).
_PRIORITY = {
    logging.CRITICAL: 2,
    logging.ERROR: 3,
    logging.WARNING: 4,
    logging.INFO: 6,
    logging.DEBUG: 7,
}

_secrets: list[str] = []
_tz = None  # the office's time zone (SPEC §7.2); None: the machine's


def _stamp(created: float) -> str:
    """A log line's time in the office's time zone, with its offset."""
    return datetime.fromtimestamp(created, _tz).astimezone(_tz).isoformat(timespec="seconds")


def register_secrets(values: Iterable[str]) -> None:
    """Values that must never appear in the log (passwords, the office secret): masked if met."""
    for v in values:
        if v and len(v) >= 4 and v not in _secrets:
            _secrets.append(v)
    _secrets.sort(key=len, reverse=True)


def secrets_from_config(cfg) -> list[str]:
    """The values of the environment variables the configuration names for secrets."""
    names = {cfg.secret_env, cfg.mail.imap.password_env, cfg.mail.smtp.password_env,
             cfg.mail.ews.password_env}
    return [os.environ.get(n, "") for n in names if n]


def scrub(text: str) -> str:
    """Mask task tokens and known secret values in one log text."""
    for s in _secrets:
        if s in text:
            text = text.replace(s, MASK)
    text = _TOKEN_BRACKET.sub(f"[#{MASK}-{MASK}]", text)
    text = _PLUS.sub(f"+{MASK}@", text)
    return _TOKEN_BARE.sub(_mask_bare, text)


def _mask_bare(m: re.Match) -> str:
    # A bare "XXXX-XXXX" is a token only if it holds a letter (so "2025-1006" stays readable).
    return f"{MASK}-{MASK}" if re.search("[A-Z]", m.group(0)) else m.group(0)


def _mid(record: logging.LogRecord) -> str:
    return str(getattr(record, "message_id", "") or "")


class TextFormatter(logging.Formatter):
    """`2025-10-06T08:12:00+07:00 INFO    message [mid …]`; under journald `<6>message [mid …]`."""

    def __init__(self, journald: bool = False):
        super().__init__()
        self.journald = journald

    def format(self, record: logging.LogRecord) -> str:
        msg = record.getMessage()
        mid = _mid(record)
        if mid and mid not in msg:
            msg += f" [mid {mid}]"
        msg = scrub(" ".join(msg.splitlines()))  # one event, one line
        if self.journald:
            line = f"<{_PRIORITY.get(record.levelno, 6)}>{msg}"
        else:
            ts = _stamp(record.created)
            line = f"{ts} {record.levelname:<7} {msg}"
        if record.exc_info:
            # The traceback follows, each line marked, so it is read as part of this event.
            tb = scrub(self.formatException(record.exc_info))
            prefix = f"<{_PRIORITY.get(record.levelno, 3)}>" if self.journald else ""
            line += "".join(f"\n{prefix}  | {t}" for t in tb.splitlines())
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, message and the event's fields."""

    def format(self, record: logging.LogRecord) -> str:
        obj: dict = {
            "time": _stamp(record.created),
            "level": record.levelname.lower(),
            "message": scrub(record.getMessage()),
        }
        for f in FIELDS:
            v = getattr(record, f, None)
            if v not in (None, ""):
                obj[f] = scrub(str(v))
        if record.name != "pantau":
            obj["logger"] = record.name
        if record.exc_info:
            obj["error"] = scrub(self.formatException(record.exc_info).splitlines()[-1])
            obj["traceback"] = scrub(self.formatException(record.exc_info))
        return json.dumps(obj, ensure_ascii=False)


def under_journald(stream=None) -> bool:
    """True when `stream` (stderr) is the journal's stream (JOURNAL_STREAM names its
    device:inode)."""
    value = os.environ.get("JOURNAL_STREAM", "")
    if not value:
        return False
    try:
        dev, ino = (int(x) for x in value.split(":"))
        st = os.fstat((stream or sys.stderr).fileno())
    except (ValueError, OSError, AttributeError):
        return False
    return (st.st_dev, st.st_ino) == (dev, ino)


def setup(fmt: str = "text", level: int = logging.INFO, file: Path | None = None,
          tz: str | None = None) -> None:
    """Configure the `pantau` logger: stderr always, plus a rotating file (5 × 5 MB) if given.
    `tz` (the office's `kantor.zona_waktu`) is the time zone of the lines' time stamps."""
    global _tz
    if tz:
        from zoneinfo import ZoneInfo

        _tz = ZoneInfo(tz)
    root = logging.getLogger("pantau")
    for h in list(root.handlers):
        root.removeHandler(h)
        h.close()
    root.setLevel(level)
    root.propagate = False
    h = logging.StreamHandler(sys.stderr)
    h.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter(journald=under_journald()))
    root.addHandler(h)
    if file:
        file.parent.mkdir(parents=True, exist_ok=True)
        fh = logging.handlers.RotatingFileHandler(
            file, maxBytes=5 * 2**20, backupCount=5, encoding="utf-8"
        )
        fh.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
        root.addHandler(fh)
