"""One daemon per office (SPEC §7).

`pantau run` takes an exclusive `flock` on `pantau.lock` beside the office database and keeps it
for the life of the process; the pid is written into the file. The kernel drops the lock when the
process ends, however it ends (SIGKILL, a crash, a power cut), so a dead daemon never blocks the
next start: only a live holder refuses it. The CLI uses the same file to find the running daemon
and wake it (`cycle start`, `outbox retry`: SIGUSR1) instead of leaving work to the next poll.
"""

from __future__ import annotations

import fcntl
import os
import signal
from pathlib import Path

LOCK_NAME = "pantau.lock"


class AlreadyRunning(Exception):
    """Another live process holds the office's lock."""

    def __init__(self, path: Path, pid: int | None):
        self.path, self.pid = path, pid
        who = f"proses {pid}" if pid else "proses lain"
        super().__init__(
            f"daemon Pantau untuk kantor ini sudah berjalan ({who} memegang kunci {path}); "
            "hanya satu daemon per kantor. Hentikan yang lama dulu (mis. `systemctl stop pantau` "
            f"atau `kill {pid or '<pid>'}`), atau periksa dengan `pantau status`.")


def lock_path(db_path: Path) -> Path:
    return Path(db_path).parent / LOCK_NAME


def _read_pid(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
        return int(text) if text else None
    except (OSError, ValueError):
        return None


class OfficeLock:
    """The daemon's lock; `acquire()` raises AlreadyRunning when a live process holds it."""

    def __init__(self, db_path: Path):
        self.path = lock_path(db_path)
        self.fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise AlreadyRunning(self.path, _read_pid(self.path)) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        os.fsync(fd)
        self.fd = fd

    def release(self) -> None:
        if self.fd is not None:
            try:
                os.ftruncate(self.fd, 0)
            finally:
                os.close(self.fd)  # closing the descriptor drops the flock
                self.fd = None


def running_pid(db_path: Path) -> int | None:
    """The pid of the live daemon holding the office's lock, or None when no daemon holds it."""
    path = lock_path(db_path)
    if not path.exists():
        return None
    fd = os.open(path, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_pid(path)
        fcntl.flock(fd, fcntl.LOCK_UN)  # nobody holds it: no daemon
        return None
    finally:
        os.close(fd)


def wake_daemon(db_path: Path) -> bool:
    """Ask the running daemon (if any) to do a round now. True when one was woken."""
    pid = running_pid(db_path)
    if not pid:
        return False
    try:
        os.kill(pid, signal.SIGUSR1)
    except (ProcessLookupError, PermissionError):
        return False
    return True
