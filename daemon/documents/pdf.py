"""DOCX -> PDF with LibreOffice, when it is installed.

`to_pdf` runs `soffice --headless --convert-to pdf` with a private, throw-away user profile
(`-env:UserInstallation=file:///tmp/...`), so it neither collides with a desktop LibreOffice nor
with another conversion running at the same time, and with a timeout after which the whole
process group is killed. A failed conversion (LibreOffice does crash under load: "Fatal
exception: Signal 6") is retried with a fresh profile, up to `tries` times with a short pause.
It returns None when LibreOffice is not installed, or (logged as a warning, never raised) when
every try failed: the caller records that the PDF is missing (SPEC §6.5) and the cycle goes on.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from daemon.shell.archive import make_dirs  # noqa: E402

log = logging.getLogger(__name__)

CANDIDATES = ("soffice", "libreoffice")


def soffice_path() -> str | None:
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def convert(
    src: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    target: str,
    timeout: float = 120.0,
) -> Path | None:
    """Convert `src` with LibreOffice to `target` ("pdf", "docx", ...) into `out_dir`.

    The result is written beside a temporary name and moved into place, so `out_dir` never holds
    a half-written file. Returns its path, or None (see the module docstring)."""
    exe = soffice_path()
    if exe is None:
        return None
    src = Path(src).resolve()
    out = Path(out_dir)
    make_dirs(out)
    ext = target.split(":", 1)[0]
    with tempfile.TemporaryDirectory(prefix="pantau-lo-") as tmp:
        profile = Path(tmp) / "profile"
        work = Path(tmp) / "out"
        work.mkdir()
        cmd = [
            exe,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--invisible",
            "--nologo",
            "--norestore",
            "--nodefault",
            "--nolockcheck",
            "--convert-to",
            target,
            "--outdir",
            str(work),
            str(src),
        ]
        env = dict(os.environ, HOME=tmp, SAL_USE_VCLPLUGIN="svp")
        try:
            proc = subprocess.Popen(
                cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True
            )
        except OSError as exc:
            log.warning("LibreOffice tidak dapat dijalankan: %s", exc)
            return None
        try:
            _, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            log.warning("konversi %s ke %s melewati batas waktu %s detik", src.name, ext, timeout)
            return None
        produced = work / f"{src.stem}.{ext}"
        if proc.returncode != 0 or not produced.is_file():
            # One line for people (LibreOffice's own backtrace only at debug level).
            lines = err.decode("utf-8", "replace").strip().splitlines()
            log.warning("konversi %s ke %s gagal (kode %s)%s", src.name, ext, proc.returncode,
                        f": {lines[0][:200]}" if lines else "")
            log.debug("keluaran LibreOffice: %s", "\n".join(lines)[:4000])
            return None
        final = out / produced.name
        staging = out / f".{produced.name}.tmp"
        shutil.copyfile(produced, staging)
        with open(staging, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(staging, final)
        return final


TRIES = 3


def to_pdf(
    docx_path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    timeout: float = 120.0,
    tries: int = TRIES,
) -> Path | None:
    """Convert a DOCX to PDF in `out_dir` (same stem), retrying a failed conversion with a fresh
    profile up to `tries` times; None when soffice is absent or every try failed."""
    if soffice_path() is None:
        return None
    for attempt in range(1, max(1, tries) + 1):
        try:
            result = convert(docx_path, out_dir, "pdf", timeout)
        except Exception as exc:  # noqa: BLE001 - a PDF never stops a cycle
            log.warning("konversi %s ke PDF gagal: %s", Path(docx_path).name, exc)
            result = None
        if result is not None:
            return result
        if attempt < tries:
            log.warning("konversi %s ke PDF diulang (percobaan %d dari %d)",
                        Path(docx_path).name, attempt + 1, tries)
            time.sleep(0.5 * attempt)
    return None
