"""The daemon log (SPEC §7.2): one line per event on stderr (journald-friendly), optionally a
rotating file; human-readable by default, one JSON object per line with `--log-format json`.

Callers pass only what is safe to show: cycle, step, event, who, message id. Passwords, tokens and
message bodies are never logged; as a second line of defence, anything shaped like a task token
(`[#XXXX-XXXX]`) is masked.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import re
import sys
from datetime import datetime
from pathlib import Path

_TOKEN = re.compile(r"\[#[0-9A-Z]{4}-[0-9A-Z]{4}\]")
FIELDS = ("cycle", "step", "event", "who", "message_id")


def _mask(text: str) -> str:
    return _TOKEN.sub("[#****-****]", text)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        ts = datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="seconds")
        msg = _mask(record.getMessage())
        line = f"{ts} {record.levelname:<7} {msg}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        obj = {"time": datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="seconds"),
               "level": record.levelname.lower(), "message": _mask(record.getMessage())}
        for f in FIELDS:
            v = getattr(record, f, None)
            if v:
                obj[f] = v
        if record.exc_info:
            obj["error"] = self.formatException(record.exc_info).splitlines()[-1]
        return json.dumps(obj, ensure_ascii=False)


def setup(fmt: str = "text", level: int = logging.INFO, file: Path | None = None) -> None:
    root = logging.getLogger("pantau")
    root.handlers.clear()
    root.setLevel(level)
    root.propagate = False
    formatter = JsonFormatter() if fmt == "json" else TextFormatter()
    h = logging.StreamHandler(sys.stderr)
    h.setFormatter(formatter)
    root.addHandler(h)
    if file:
        file.parent.mkdir(parents=True, exist_ok=True)
        fh = logging.handlers.RotatingFileHandler(file, maxBytes=5 * 2**20, backupCount=5, encoding="utf-8")
        fh.setFormatter(formatter)
        root.addHandler(fh)
