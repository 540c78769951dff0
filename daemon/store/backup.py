"""Backing up an office, also while the daemon runs (`pantau backup BERKAS`).

`backup(cfg, dest)` writes one consistent copy of what an office cannot lose:

- the database, copied with SQLite's online backup API. The copy is one read transaction, so it
  is a snapshot of committed events even while the daemon writes (in WAL mode a reader never
  blocks the writer). The copy is made self-contained (`journal_mode=DELETE`) and checked with
  `PRAGMA integrity_check`; its table counts and any gap in the registers go into the manifest.
- the archive (`arsip.dir`: raw messages, documents, outgoing e-mails), copied *after* the
  snapshot. Pantau writes a file to the archive before the transaction that records it commits
  and never changes it afterwards, so every file the snapshot refers to is already there. Files
  still being written (`.name.pid.tmp`) and symbolic links are left out.
- the configuration folder (pantau.toml, sop.toml, the indicator master, extra holidays), the
  templates, and the token secret file (`keamanan.secret_file`) when the office uses one: with
  it, a restored office answers the tokens of mail sent before the backup. The secret is as
  sensitive as the archive itself; a secret given by environment variable is not written.

`dest` ending in `.tar.gz` or `.tgz` gives one compressed tar file (mode 0600, members 0600 and
folders 0700); anything else gives a folder (0700, files 0600). Both hold `MANIFEST.json` (every
file with size and sha256, plus the database check) and `SHA256SUMS` (for `sha256sum -c`). The
result appears under its name only when complete (the two writers are backup_writers.py).
`verify(path)` checks a backup against its manifest and the database copy's integrity.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from daemon import __version__
from daemon.store.backup_writers import CHUNK, DirWriter, Entry, TarWriter
from daemon.store.snapshot import DatabaseError, copy_database, file_facts

if TYPE_CHECKING:  # the store knows the config's shape, not its loader
    from daemon.config import Config

FORMAT = "pantau-backup/1"
DB_NAME = "pantau.db"
MANIFEST = "MANIFEST.json"
SUMS = "SHA256SUMS"
REGISTERS = ("register_keluar", "register_masuk")


class BackupError(Exception):
    """The backup could not be made or does not check out; str() is for the operator."""


@dataclass
class Result:
    path: Path
    files: list[Entry] = field(default_factory=list)
    database: dict[str, Any] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return sum(e.size for e in self.files)


# =========================================================================== the database


def snapshot_database(db_path: Path, out: Path) -> dict[str, Any]:
    """Copy the live database to `out` (created 0600) and check the copy; return its facts."""
    if not db_path.is_file():
        raise BackupError(f"basis data {db_path} tidak ditemukan")
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    facts = copy_database(db_path, out)
    if facts["integrity_check"] != "ok":
        raise BackupError(f"salinan basis data rusak: {facts['integrity_check']}")
    return facts


# =========================================================================== what goes in


def _skip(name: str) -> bool:
    """Files write_atomic has not finished (`.name.pid.tmp`) and SQLite's side files."""
    return (name.startswith(".") and name.endswith(".tmp")) or name.endswith(
        ("-journal", "-wal", "-shm")
    )


def _walk(root: Path, prefix: str, exclude: set[Path]) -> list[tuple[str, Path]]:
    """(name in backup, path) for the regular files under root, sorted; no symlinks followed."""
    out: list[tuple[str, Path]] = []
    if not root.is_dir():
        return out
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        dirnames[:] = sorted(
            d
            for d in dirnames
            if (here / d).resolve() not in exclude and not (here / d).is_symlink()
        )
        for name in sorted(filenames):
            p = here / name
            if _skip(name) or p.is_symlink() or not p.is_file() or p.resolve() in exclude:
                continue
            out.append((f"{prefix}/{p.relative_to(root).as_posix()}", p))
    return out


def sources(cfg: Config, exclude: set[Path] = frozenset()) -> list[tuple[str, Path]]:
    """Everything but the database, in the order it is copied: config, templates, secret, archive
    (last, so it is copied after the database snapshot)."""
    items: list[tuple[str, Path]] = []
    cfg_dir = cfg.path.parent
    items += _walk(cfg_dir, "config", exclude)
    tmpl = cfg.templates_dir
    if tmpl.is_dir() and not tmpl.resolve().is_relative_to(cfg_dir.resolve()):
        items += _walk(tmpl, "templates", exclude)
    for label, path in (
        ("sop", cfg.sop_file),
        ("indikator", cfg.indikator_file),
        ("libur", cfg.libur_tambahan),
    ):
        # Files the config names outside its own folder travel too.
        if path and path.is_file() and not path.resolve().is_relative_to(cfg_dir.resolve()):
            items.append((f"config/_luar/{label}-{path.name}", path))
    if not os.environ.get(cfg.secret_env) and cfg.secret_file.is_file():
        items.append(("secret", cfg.secret_file))
    items += _walk(cfg.arsip_dir, "arsip", exclude)
    return items


def is_tarball(dest: Path) -> bool:
    return dest.name.endswith((".tar.gz", ".tgz"))


def _top_name(dest: Path) -> str:
    name = dest.name
    for suffix in (".tar.gz", ".tgz"):
        name = name.removesuffix(suffix)
    return name or "pantau-cadangan"


# =========================================================================== backup


def backup(cfg: Config, dest: Path) -> Path:
    """Back up the office of `cfg` to `dest` (a .tar.gz/.tgz file, or else a folder); return
    `dest`. Refuses an existing `dest` and a `dest` inside the archive."""
    return make_backup(cfg, dest).path


def make_backup(cfg: Config, dest: Path) -> Result:
    dest = Path(dest).absolute()
    if dest.exists() or dest.is_symlink():
        raise BackupError(f"{dest} sudah ada; pilih nama lain (cadangan lama tidak ditimpa)")
    arsip = cfg.arsip_dir.resolve()
    if dest.parent.resolve().is_relative_to(arsip):
        raise BackupError(f"{dest} berada di dalam arsip {arsip}; simpan cadangan di luar arsip")
    if not dest.parent.is_dir():
        raise BackupError(f"folder {dest.parent} tidak ada")
    work = Path(tempfile.mkdtemp(prefix=".pantau-cadangan-", dir=dest.parent))  # 0700
    try:
        return _make(cfg, dest, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _make(cfg: Config, dest: Path, work: Path) -> Result:
    snap = work / DB_NAME
    facts = snapshot_database(cfg.db_path, snap)  # first: the archive copy must be a superset
    result = Result(dest, database=facts)
    # Never the live database (its snapshot is taken above), the work folder or the result.
    exclude = {work.resolve(), dest.resolve(), cfg.db_path.resolve()}
    exclude |= {Path(f"{cfg.db_path}{x}").resolve() for x in ("-wal", "-shm", "-journal")}
    if is_tarball(dest):
        partial = work / "cadangan.tar.gz"
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            writer = TarWriter(f, _top_name(dest))
            _fill(writer, cfg, snap, result, exclude)
            writer.close()
            f.flush()
            os.fsync(f.fileno())
        os.replace(partial, dest)
    else:
        folder = work / "cadangan"
        folder.mkdir(mode=0o700)
        writer = DirWriter(folder)
        _fill(writer, cfg, snap, result, exclude)
        writer.close()
        os.replace(folder, dest)
    _fsync_dir(dest.parent)
    return result


def _fill(writer, cfg: Config, snap: Path, result: Result, exclude: set[Path]) -> None:
    result.files.append(writer.add_file(DB_NAME, snap))
    for name, path in sources(cfg, exclude):
        try:
            result.files.append(writer.add_file(name, path))
        except FileNotFoundError:  # renamed away between the walk and the copy (a .tmp file)
            continue
    manifest = {
        "format": FORMAT,
        "pantau": __version__,
        "created": datetime.now().astimezone().isoformat(timespec="seconds"),
        "office": cfg.kantor.nama,
        "source": str(cfg.office_dir),
        "database": {"file": DB_NAME, **result.database},
        "secret": (
            "secret"
            if any(e.path == "secret" for e in result.files)
            else f"tidak disertakan (dari variabel lingkungan {cfg.secret_env} atau belum ada)"
        ),
        "files": [e.__dict__ for e in result.files],
    }
    writer.add_bytes(SUMS, "".join(f"{e.sha256}  {e.path}\n" for e in result.files).encode())
    writer.add_bytes(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8"))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# =========================================================================== verify


def verify(path: Path) -> list[str]:
    """Problems found in a backup (empty: every file matches the manifest and the database copy
    passes integrity_check)."""
    path = Path(path)
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix=".pantau-periksa-") as tmp:
        db_copy = Path(tmp) / DB_NAME
        if path.is_dir():
            manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
            present = {p.relative_to(path).as_posix(): p for p in path.rglob("*") if p.is_file()}
            for e in manifest["files"]:
                p = present.get(e["path"])
                if p is None:
                    problems.append(f"{e['path']}: tidak ada")
                    continue
                h = hashlib.sha256()
                with open(p, "rb") as f:
                    for chunk in iter(lambda: f.read(CHUNK), b""):
                        h.update(chunk)
                if h.hexdigest() != e["sha256"]:
                    problems.append(f"{e['path']}: sha256 tidak cocok")
            if (path / DB_NAME).is_file():
                shutil.copyfile(path / DB_NAME, db_copy)
        else:
            with tarfile.open(path, "r:gz") as tar:
                members = {
                    m.name.split("/", 1)[1]: m
                    for m in tar.getmembers()
                    if "/" in m.name and m.isfile()
                }
                if MANIFEST not in members:
                    return [f"{MANIFEST} tidak ada"]
                manifest = json.loads(tar.extractfile(members[MANIFEST]).read().decode("utf-8"))
                for e in manifest["files"]:
                    m = members.get(e["path"])
                    if m is None:
                        problems.append(f"{e['path']}: tidak ada")
                        continue
                    h = hashlib.sha256()
                    f = tar.extractfile(m)
                    out = open(db_copy, "wb") if e["path"] == DB_NAME else None  # noqa: SIM115
                    try:
                        for chunk in iter(lambda: f.read(CHUNK), b""):  # noqa: B023
                            h.update(chunk)
                            if out:
                                out.write(chunk)
                    finally:
                        if out:
                            out.close()
                    if h.hexdigest() != e["sha256"]:
                        problems.append(f"{e['path']}: sha256 tidak cocok")
        if manifest.get("format") != FORMAT:
            problems.append(f"format {manifest.get('format')!r} tidak dikenal")
        if db_copy.is_file():
            facts = file_facts(db_copy)
            if facts["integrity_check"] != "ok":
                problems.append(f"basis data: {facts['integrity_check']}")
        else:
            problems.append(f"{DB_NAME}: tidak ada")
    return problems


# =========================================================================== the command


def command(
    cfg: Config | None, dest: Path, *, check: bool = False, as_json: bool = False, out=None
) -> int:
    """`pantau backup BERKAS` (and `--periksa`, which needs no config): 0 done, 1 failed."""
    out = out or sys.stdout
    dest = Path(dest)
    if check:
        try:
            problems = verify(dest)
        except (OSError, ValueError, KeyError, tarfile.TarError) as e:
            problems = [f"tidak dapat dibaca: {e}"]
        if as_json:
            print(
                json.dumps(
                    {"file": str(dest), "ok": not problems, "problems": problems},
                    ensure_ascii=False,
                ),
                file=out,
            )
        elif problems:
            print(
                f"Cadangan {dest} TIDAK utuh:", *(f"  - {p}" for p in problems), sep="\n", file=out
            )
        else:
            print(
                f"Cadangan {dest} utuh: semua berkas cocok dengan MANIFEST.json, basis data ok.",
                file=out,
            )
        return 1 if problems else 0
    if cfg is None:
        raise ValueError("a backup needs the office's configuration")
    try:
        result = make_backup(cfg, dest)
    except (BackupError, OSError, DatabaseError) as e:
        if as_json:
            print(
                json.dumps({"file": str(dest), "ok": False, "error": str(e)}, ensure_ascii=False),
                file=out,
            )
        else:
            print(f"Cadangan gagal: {e}", file=out)
        return 1
    db = result.database
    if as_json:
        print(
            json.dumps(
                {
                    "file": str(result.path),
                    "ok": True,
                    "files": len(result.files),
                    "bytes": result.size,
                    "database": db,
                },
                ensure_ascii=False,
            ),
            file=out,
        )
        return 0
    masuk, keluar = db["tables"].get("register_masuk", 0), db["tables"].get("register_keluar", 0)
    print(
        f"Cadangan ditulis: {result.path}\n"
        f"  {len(result.files)} berkas, {result.size / 2**20:.1f} MB (sebelum dimampatkan)\n"
        f"  basis data: integrity_check {db['integrity_check']}; register keluar {keluar} entri, "
        f"masuk {masuk} entri"
        + (f"; CELAH NOMOR: {db['register_gaps']}" if db["register_gaps"] else "")
        + f"\n  periksa kembali dengan: pantau backup --periksa {result.path}",
        file=out,
    )
    return 0
