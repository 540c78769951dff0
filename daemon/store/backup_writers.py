"""Where a backup is written: one compressed tar file, or a folder (backup.py decides which).

Both writers take the same calls (`add_file`, which returns the file's `Entry` with its size and
sha256 as copied, `add_bytes`, `close`), so the backup is filled the same way whichever it is.
"""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

CHUNK = 1 << 20


@dataclass
class Entry:
    path: str  # inside the backup, '/'-separated
    size: int
    sha256: str


class _Hashing(io.RawIOBase):
    """Reads a file while hashing what was read (tarfile copies exactly the size it was told)."""

    def __init__(self, f: IO[bytes]):
        self.f, self.h, self.n = f, hashlib.sha256(), 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self.f.read(size)
        self.h.update(data)
        self.n += len(data)
        return data


class TarWriter:
    """Writes the backup as one gzip'd tar (PAX): folders 0700, members 0600."""

    def __init__(self, fileobj: IO[bytes], top: str):
        self.tar = tarfile.open(fileobj=fileobj, mode="w:gz", format=tarfile.PAX_FORMAT)
        self.top = top
        self.dirs: set[str] = set()

    def _info(
        self, name: str, size: int, mode: int, kind=tarfile.REGTYPE, mtime: float | None = None
    ) -> tarfile.TarInfo:
        info = tarfile.TarInfo(f"{self.top}/{name}" if name else self.top)
        info.size, info.mode, info.type = size, mode, kind
        info.mtime = int(time.time() if mtime is None else mtime)
        info.uid, info.gid, info.uname, info.gname = os.getuid(), os.getgid(), "", ""
        return info

    def _parents(self, name: str) -> None:
        parts = name.split("/")[:-1]
        for i in range(len(parts) + 1):
            d = "/".join(parts[:i])
            if d not in self.dirs:
                self.dirs.add(d)
                self.tar.addfile(self._info(d, 0, 0o700, tarfile.DIRTYPE))

    def add_file(self, name: str, path: Path) -> Entry:
        self._parents(name)
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            reader = _Hashing(f)
            self.tar.addfile(self._info(name, st.st_size, 0o600, mtime=st.st_mtime), reader)
        size = st.st_size
        return Entry(name, size, reader.h.hexdigest())

    def add_bytes(self, name: str, data: bytes) -> None:
        self._parents(name)
        self.tar.addfile(self._info(name, len(data), 0o600), io.BytesIO(data))

    def close(self) -> None:
        self.tar.close()


class DirWriter:
    """Writes the backup as a folder (0700, files 0600), each file fsync'd, then the folders."""

    def __init__(self, root: Path):
        self.root = root

    def _target(self, name: str) -> Path:
        target = self.root / name
        d = self.root
        for part in Path(name).parts[:-1]:
            d = d / part
            if not d.exists():
                d.mkdir(mode=0o700)
        return target

    def add_file(self, name: str, path: Path) -> Entry:
        target = self._target(name)
        h, n = hashlib.sha256(), 0
        with open(path, "rb") as f:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                for chunk in iter(lambda: f.read(CHUNK), b""):
                    h.update(chunk)
                    n += len(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
        return Entry(name, n, h.hexdigest())

    def add_bytes(self, name: str, data: bytes) -> None:
        fd = os.open(self._target(name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())

    def close(self) -> None:
        for dirpath, _dirs, _files in os.walk(self.root):
            fd = os.open(dirpath, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
