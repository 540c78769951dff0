"""`pantau run` killed with SIGKILL in the middle of data collection (S4), with forms arriving
while it is down (issue 15 point 7): after the restart every unit's form is acknowledged exactly
once, and the draft the Kasubag receives carries every unit's values. The real daemon, on the
Maildir transport, on a scaled office clock (60x); the forms are the units' own, filled in with
python-docx as a person does in Word."""

from __future__ import annotations

import email
import io
import os
import signal
import subprocess
import sys
import time
from email import policy
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest
from docx import Document
from offices import new_office

from daemon.mail.transports.maildir import deliver
from tools import pantau_main

ROOT = Path(__file__).resolve().parents[1]
PANTAU = "pantau@kecamatan.test"
pytestmark = pytest.mark.slow


def mails(box: Path) -> list[email.message.EmailMessage]:
    out = []
    for sub in ("new", "cur"):
        for p in sorted((box / sub).glob("*")) if (box / sub).exists() else []:
            out.append(email.message_from_bytes(p.read_bytes(), policy=policy.default))
    return out


def wait_for(pred, timeout: float = 40.0, what: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = pred()
        if got:
            return got
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def fill(request, factor: float) -> tuple[str, bytes, dict[str, float]]:
    """The unit's form from the request letter, with a realisation typed in each row; returns the
    file name, its bytes and {indicator: realisation}."""
    for part in request.iter_attachments():
        name = part.get_filename() or ""
        if not name.startswith("Formulir") or not name.endswith(".docx"):
            continue
        doc = Document(io.BytesIO(part.get_content()))
        table = next(
            t for t in doc.tables if "Realisasi" in [c.text.strip() for c in t.rows[0].cells]
        )
        head = [c.text.strip() for c in table.rows[0].cells]
        ind = next(i for i, h in enumerate(head) if h.startswith("Indikator"))
        values = {}
        for i, row in enumerate(table.rows[1:]):
            cells = row.cells
            target = float(
                cells[head.index("Target")].text.strip().replace(".", "").replace(",", ".")
            )
            real = round(target * factor + 0.1 * (i + 1), 1)
            cells[head.index("Realisasi")].text = f"{real:.1f}".replace(".", ",")
            cells[
                head.index("Realisasi Anggaran (Rp)")
            ].text = f"Rp {1_000_000 * (i + 1):,}".replace(",", ".")
            values[" ".join(cells[ind].text.split())] = real
        out = io.BytesIO()
        doc.save(out)
        return name, out.getvalue(), values
    raise AssertionError("the request carries no form")


def send_form(root: Path, unit: str, request, factor: float) -> dict[str, float]:
    name, data, values = fill(request, factor)
    r = EmailMessage()
    r["From"] = unit
    r["To"] = str(request["Reply-To"] or request["From"])
    r["Subject"] = "Re: " + str(request["Subject"])
    r["Message-ID"] = make_msgid(domain="kecamatan.test")
    r["In-Reply-To"] = r["References"] = str(request["Message-ID"])
    r.set_content("Terlampir data kinerja kami.")
    r.add_attachment(
        data,
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
        filename=name,
    )
    deliver(root / "var" / "maildir", PANTAU, bytes(r))
    return values


def report_rows(data: bytes) -> set[tuple[str, float]]:
    out = set()
    for table in Document(io.BytesIO(data)).tables:
        head = [c.text.strip() for c in table.rows[0].cells]
        if "Indikator" not in head or "Realisasi" not in head:
            continue
        for row in table.rows[1:]:
            cells = [c.text.strip() for c in row.cells]
            try:
                out.add((" ".join(cells[head.index("Indikator")].split()),
                         float(cells[head.index("Realisasi")].replace(".", "").replace(",", "."))))
            except ValueError:
                continue
    return out


def test_sigkill_in_s4_with_forms_arriving_while_down(tmp_path):
    root = tmp_path / "kantor"
    cfg = new_office(root).config
    cfg.write_text(cfg.read_text().replace("perintah_otomatis = false", "perintah_otomatis = true"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANTAU_")}
    env.update(
        PANTAU_NOW="2025-10-06T08:00:00+07:00",
        PANTAU_TIME_SCALE="60",
        PANTAU_SECRET="rahasia-uji",
        PANTAU_CONFIG=str(cfg),
        PYTHONPATH=str(ROOT),
    )
    r = pantau_main(["cycle", "start", "2025-TW3"], env=env, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    box = root / "var" / "maildir"
    log = (tmp_path / "run.log").open("a")

    def start():
        return subprocess.Popen(
            [sys.executable, "-m", "daemon.operator.cli", "run"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )

    units = ["sek", "pem", "trantib", "pmd", "kesos"]
    daemon = start()
    try:
        requests = {u: wait_for(lambda u=u: next((m for m in mails(box / f"{u}@kecamatan.test")
                                                  if "Permintaan Data" in m["Subject"]), None),
                                what=f"the request to {u}") for u in units}
        sent = {}
        for i, u in enumerate(units[:2]):
            sent[u] = send_form(root, f"{u}@kecamatan.test", requests[u], 0.8 + 0.02 * i)
        wait_for(
            lambda: all(
                any("Tanda terima" in m["Subject"] for m in mails(box / f"{u}@kecamatan.test"))
                for u in units[:2]
            ),
            what="the first two acknowledgements",
        )
        # A third form, and the kill while the daemon is likely reading it.
        sent["trantib"] = send_form(root, "trantib@kecamatan.test", requests["trantib"], 0.85)
        time.sleep(0.3)
        daemon.send_signal(signal.SIGKILL)
        assert daemon.wait(timeout=10) == -signal.SIGKILL
        # Two forms arrive while it is down.
        sent["pmd"] = send_form(root, "pmd@kecamatan.test", requests["pmd"], 0.87)
        sent["kesos"] = send_form(root, "kesos@kecamatan.test", requests["kesos"], 0.89)
        time.sleep(1.0)
        daemon = start()
        draft_mail = wait_for(lambda: next((m for m in mails(box / "kasubag@kecamatan.test")
                                            if "Konsep Laporan" in m["Subject"]), None),
                              timeout=60, what="the draft to the Kasubag")
    finally:
        if daemon.poll() is None:
            daemon.send_signal(signal.SIGTERM)
            assert daemon.wait(timeout=30) == 0
        log.close()

    for u in units:
        acks = [m for m in mails(box / f"{u}@kecamatan.test") if "Tanda terima" in m["Subject"]]
        assert len(acks) == 1, f"{u}: {len(acks)} acknowledgements"
    draft = next(
        p for p in draft_mail.iter_attachments() if (p.get_filename() or "").startswith("Konsep")
    )
    rows = report_rows(draft.get_content())
    for u, values in sent.items():
        missing = set(values.items()) - rows
        assert not missing, f"{u}'s values missing from the draft: {sorted(missing)[:2]}"
    assert "tidak menyampaikan data" not in " ".join(
        p.text for p in Document(io.BytesIO(draft.get_content())).paragraphs)
