"""Crash points for the reliability harness: `PANTAU_CRASH_AT=point:n` makes the process kill
itself with SIGKILL the n-th time it reaches `point` (n defaults to 1). Several points may be
armed at once, comma-separated (`stored:2,rendering:1`): the first one reached kills. When
`PANTAU_CRASH_LOG` names a file, the point and its count are appended to it just before the
kill, so the harness knows where the process died. Unset in production, where `crash_point()`
is one dictionary lookup.

Points: `stored` (a raw message archived and recorded, not yet processed), `committed` (an event's
transaction committed, nothing sent yet), `filing` (a batch of messages stored, recorded and
processed, none of them filed out of the inbox yet), `sent_unmarked` (the server accepted a letter,
the outbox row is not yet marked sent), `rendering` (in the middle of rendering a document, inside
the event's transaction).
"""

from __future__ import annotations

import os
import signal

_counts: dict[str, int] = {}


def crash_point(name: str) -> None:
    spec = os.environ.get("PANTAU_CRASH_AT")
    if not spec:
        return
    for item in spec.split(","):
        point, _, nth = item.strip().partition(":")
        if point == name:
            break
    else:
        return
    _counts[name] = _counts.get(name, 0) + 1
    if _counts[name] >= int(nth or 1):
        note = os.environ.get("PANTAU_CRASH_LOG")
        if note:
            with open(note, "a", encoding="utf-8") as f:
                f.write(f"{name}:{_counts[name]} {os.getpid()}\n")
        os.kill(os.getpid(), signal.SIGKILL)
