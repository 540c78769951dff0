"""A LibreOffice that crashes ("Fatal exception: Signal 6") does not lose the final report's PDF
silently (SPEC §6.5): the conversion is retried with a fresh profile, nobody sees a stack trace,
and while the PDF is missing the cycle log and `pantau status` say so."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from daemon.documents import to_pdf
from tools import pantau_main

ROOT = Path(__file__).resolve().parents[1]

FAKE = """#!/bin/sh
# A LibreOffice stand-in: crashes the first $FAKE_SOFFICE_FAILS times, then converts.
n=$(cat "$FAKE_SOFFICE_COUNT" 2>/dev/null || echo 0)
n=$((n + 1))
echo $n > "$FAKE_SOFFICE_COUNT"
for a in "$@"; do
  case "$a" in -env:UserInstallation=*) echo "$a" >> "$FAKE_SOFFICE_COUNT.profiles";; esac
done
if [ "$n" -le "$FAKE_SOFFICE_FAILS" ]; then
  echo "Fatal exception: Signal 6" >&2
  echo "Stack:" >&2
  echo "/usr/lib/libreoffice/program/libuno_sal.so.3(+0x3d1e2)[0x7f]" >&2
  exit 134
fi
out=""; prev=""; src=""
for a in "$@"; do
  if [ "$prev" = "--outdir" ]; then out="$a"; fi
  prev="$a"; src="$a"
done
name=$(basename "$src"); stem="${name%.*}"
printf '%%PDF-1.4 fake\\n' > "$out/$stem.pdf"
exit 0
"""


def fake_soffice(tmp_path: Path, fails: int, monkeypatch=None) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    exe = bin_dir / "soffice"
    exe.write_text(FAKE)
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    env = {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "FAKE_SOFFICE_FAILS": str(fails),
        "FAKE_SOFFICE_COUNT": str(tmp_path / "count"),
    }
    if monkeypatch is not None:
        for k, v in env.items():
            monkeypatch.setenv(k, v)
    return env


def test_a_crash_is_retried_with_a_fresh_profile(tmp_path, monkeypatch, caplog):
    fake_soffice(tmp_path, fails=2, monkeypatch=monkeypatch)
    src = tmp_path / "laporan.docx"
    src.write_bytes(b"PK")
    pdf = to_pdf(src, tmp_path / "out")
    assert pdf is not None and pdf.read_bytes().startswith(b"%PDF")
    assert (tmp_path / "count").read_text().strip() == "3"
    profiles = (tmp_path / "count.profiles").read_text().split()
    assert len(set(profiles)) == 3  # each try with its own profile
    # the warning is one line, without LibreOffice's backtrace
    assert "libuno_sal" not in caplog.text


def test_a_conversion_that_keeps_failing_gives_up_without_raising(tmp_path, monkeypatch):
    fake_soffice(tmp_path, fails=99, monkeypatch=monkeypatch)
    src = tmp_path / "laporan.docx"
    src.write_bytes(b"PK")
    assert to_pdf(src, tmp_path / "out", tries=2) is None
    assert (tmp_path / "count").read_text().strip() == "2"
    assert not list((tmp_path / "out").glob("*"))


@pytest.mark.slow
def test_missing_final_pdf_shows_in_the_log_and_status(tmp_path):
    env = dict(os.environ, **fake_soffice(tmp_path, fails=999))
    office = tmp_path / "kantor"
    r = pantau_main(["demo", "--dir", str(office)], env=env, cwd=ROOT)
    assert r.returncode == 0, r.stdout + r.stderr
    screen = r.stdout + r.stderr
    assert "Traceback" not in screen and "libuno_sal" not in screen and "Stack:" not in screen
    cfg = str(office / "config" / "pantau.toml")
    show = pantau_main(
        ["--config", cfg, "cycle", "show", "PK-2025-TW3", "--json"], env=env, cwd=ROOT
    )
    data = json.loads(show.stdout)
    assert any(e["event"] == "pdf_laporan_final_belum_ada" for e in data["log"])
    assert "final_report_pdf" not in {d["kind"] for d in data["documents"]}
    st = pantau_main(["--config", cfg, "status"], env=env, cwd=ROOT)
    assert "PDF siklus PK-2025-TW3 belum ada" in st.stdout
    js = pantau_main(["--config", cfg, "status", "--json"], env=env, cwd=ROOT)
    assert json.loads(js.stdout)["final_pdf_missing"] == ["PK-2025-TW3"]
