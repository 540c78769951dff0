"""The archive on disk: raw messages (content-addressed) and every document, written atomically.

Files are written to a temporary name in the same folder, fsynced, then renamed, so a crash never
leaves a half-written file under a real name. Names come from Pantau, never from a sender.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def make_dirs(path: str | Path, mode: int = 0o750) -> Path:
    """mkdir -p where every folder created gets `mode` (Path.mkdir gives it to the last one
    only)."""
    path = Path(path)
    missing = []
    p = path
    while not p.exists():
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        try:
            d.mkdir(mode=mode)
        except FileExistsError:
            pass
        os.chmod(d, mode)  # mkdir's mode is filtered by the umask
    return path


def write_atomic(path: str | Path, data: bytes, durable: bool = True) -> Path:
    """Write via a temporary file and a rename. `durable=False` skips the fsyncs, for copies whose
    bytes are already safe elsewhere (an attachment inside its fsynced raw message)."""
    path = Path(path)
    make_dirs(path.parent)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            if durable:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if durable:  # make the rename itself survive a power loss
        dfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    return path


def safe_name(name: str, default: str = "berkas") -> str:
    """A file name safe to put inside the archive: no folders, no control characters."""
    name = name.replace("\\", "/").split("/")[-1]
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip().lstrip(".")
    name = re.sub(r"[^\w.\- ()]+", "_", name)
    return (name or default)[:120]


class Archive:
    def __init__(self, root: str | Path):
        self.root = Path(root)
        make_dirs(self.root)

    def store_raw(self, data: bytes) -> tuple[str, Path]:
        """Store a raw message under its sha256; idempotent."""
        digest = sha256_bytes(data)
        path = self.root / "mail" / digest[:2] / f"{digest}.eml"
        if not path.exists():
            write_atomic(path, data)
        return digest, path

    def store_stream(self, chunks: Iterable[bytes]) -> tuple[str, Path, int]:
        """Store a raw message arriving in chunks (a big one, never whole in memory): written to
        a temporary file while its sha256 is computed, fsynced, then renamed to its hash's name.
        Returns (sha256, path, size); idempotent like store_raw."""
        folder = make_dirs(self.root / "mail")
        fd, tmp_name = tempfile.mkstemp(prefix=".masuk.", suffix=".tmp", dir=folder)
        tmp = Path(tmp_name)
        h, size = hashlib.sha256(), 0
        try:
            with os.fdopen(fd, "wb") as f:
                for chunk in chunks:
                    h.update(chunk)
                    f.write(chunk)
                    size += len(chunk)
                f.flush()
                os.fsync(f.fileno())
            digest = h.hexdigest()
            path = self.root / "mail" / digest[:2] / f"{digest}.eml"
            if path.exists():
                tmp.unlink()
                return digest, path, size
            make_dirs(path.parent)
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        dfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
        return digest, path, size

    def sweep_unfinished(self, older_than: float = 600.0) -> int:
        """Delete the temporary files a killed process left in the archive (write_atomic's
        `.name.XXXX.tmp`, store_stream's `.masuk.XXXX.tmp`: never renamed to a real name, so
        nothing refers to them; a message cut off while streamed is fetched again). Only those
        older than `older_than` seconds, so a file another Pantau command is writing right now
        is left alone. Returns how many were deleted. Run when the daemon starts."""
        gone = 0
        now = time.time()
        for path in self.root.rglob(".*.tmp"):
            try:
                if path.is_file() and now - path.stat().st_mtime > older_than:
                    path.unlink()
                    gone += 1
            except OSError:
                continue
        return gone

    def cycle_dir(self, cycle: str) -> Path:
        return self.root / safe_name(cycle)

    def store_received(self, cycle: str, data: bytes, filename: str) -> tuple[str, Path]:
        """An attachment someone sent: kept under its hash, the sender's name a hint only."""
        digest = sha256_bytes(data)
        path = self.cycle_dir(cycle) / "diterima" / f"{digest[:12]}-{safe_name(filename)}"
        if not path.exists():
            write_atomic(path, data, durable=False)  # the raw message holding it is already fsynced
        return digest, path
