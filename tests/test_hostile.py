"""Hostile and broken input through the whole inbound pipeline (issue 6, part 3).

Every message of the shared corpus (`email/`, `mbox/`) goes through `OfficeApp.ingest(raw)` of a
real office directory (made as `pantau init` makes one, tests/offices.py, its cycle started and
waiting for the units' forms at S4), and every file of `docx/`, `xlsx/` and `attachments-odd/` is
attached to a reply that carries a real unit task token, so correlation runs against the database
and the form reader really reads the file. What must hold for each: no crash (no status `gagal`),
no loss (an inbound row with a final status, the raw bytes in the archive under their sha256) and
no change to the cycle.

Then attacks, each refused within the configurable limits of `[mail.batas]` with a clear
Indonesian answer to the sender, nothing written outside the archive and memory bounded: a
zip-bomb DOCX, billion laughs and XXE in DOCX and XLSX, a 25 MB attachment, 300 attachments, path
traversal and NUL in file names, a 50 MB message. Memory is measured in a fresh process (peak
RSS as the kernel keeps it for getrusage, reset before the message; and tracemalloc), and the
figures are printed (`pytest -s`).
"""

from __future__ import annotations

import atexit
import base64
import hashlib
import io
import json
import mailbox
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest
from offices import copy_of, new_office

from daemon.config import load_config
from daemon.demo.simulation import DEMO_START
from daemon.shell.clock import ManualClock
from daemon.shell.office import OfficeApp

pytestmark = pytest.mark.slow  # real mail servers, LibreOffice or whole cycles (tests/README.md)

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
FINAL = {"diproses", "diabaikan", "ditahan", "gagal", "duplikat"}
MB = 2**20


def corpus_dir(*parts: str) -> Path:
    path = CORPUS.joinpath(*parts)
    if not path.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"corpus not found at {path} (CI is set)")
        pytest.skip(f"corpus not found at {path}")
    return path


# =========================================================================== a real office


def edit_config(
    cfg_path: Path,
    batas: dict | None = None,
    authserv_id: str | None = None,
    wakil: dict[str, list[str]] | None = None,
) -> None:
    """Change the shipped pantau.toml in place: `[mail.batas]` values, `keamanan.authserv_id`,
    and `wakil` lists of `[pejabat.<role>]`."""
    text = cfg_path.read_text(encoding="utf-8")
    for key, value in (batas or {}).items():
        text, n = re.subn(rf"(?m)^{key}\s*=.*$", f"{key} = {value}", text)
        assert n == 1, key
    if authserv_id is not None:
        text, n = re.subn(r"(?m)^authserv_id\s*=.*$", f'authserv_id = "{authserv_id}"', text)
        assert n == 1
    for role, people in (wakil or {}).items():
        head = f"[pejabat.{role}]"
        start = text.index(head)
        at = text.index("wakil = []", start)
        text = text[:at] + "wakil = " + json.dumps(people) + text[at + len("wakil = []") :]
    cfg_path.write_text(text, encoding="utf-8")


@dataclass
class Office:
    """A real office directory with a started cycle (at S1, or at S4 where every unit has an open
    form task), with helpers to write replies the way a mail client does and to read what Pantau
    queued in answer."""

    root: Path
    app: OfficeApp
    clock: ManualClock
    code: str

    @property
    def store(self):
        return self.app.store

    @property
    def arsip(self) -> Path:
        return self.app.cfg.arsip_dir

    def task(
        self, unit: str | None = None, step: str | None = None, status: str | None = None
    ) -> dict:
        sql, params = "SELECT * FROM tasks WHERE cycle=?", [self.code]
        if unit:
            sql, params = sql + " AND unit=?", params + [unit]
        if step:
            sql, params = sql + " AND step=?", params + [step]
        if status:
            sql, params = sql + " AND status=?", params + [status]
        rows = self.store._q(sql + " ORDER BY opened DESC, key DESC", params)
        assert rows, (unit, step, status)
        return rows[0]

    def request(self, task: dict) -> EmailMessage:
        """The e-mail Pantau sent for this task (the newest one)."""
        row = self.store._q1(
            "SELECT path FROM outbox WHERE task=? ORDER BY id DESC LIMIT 1", (task["key"],)
        )
        assert row, task["key"]
        return message_from_bytes(Path(row["path"]).read_bytes(), policy=policy.default)

    def reply(
        self,
        task: dict,
        text: str = "Terlampir formulir kami.",
        *,
        sender: str | None = None,
        attachments: list[tuple[str, bytes]] = (),
        headers: dict[str, str] | None = None,
        to: str | None = None,
        cc: str | None = None,
        thread: bool = True,
    ) -> bytes:
        """A reply to the task's request: Re: subject with the cycle tag and token and, with
        `thread`, In-Reply-To/References (without, only the token can match it)."""
        req = self.request(task)
        m = EmailMessage()
        m["From"] = sender or task["recipient"]
        m["To"] = to or self.app.cfg.mail.alamat
        if cc:
            m["Cc"] = cc
        m["Subject"] = "Re: " + str(req["Subject"])
        m["Message-ID"] = make_msgid(domain="contoh.test")
        if thread:
            m["In-Reply-To"] = str(req["Message-ID"])
            m["References"] = str(req["Message-ID"])
        for k, v in (headers or {}).items():
            m[k] = v
        m.set_content(f"{text}\n\nPada 06/10/2025 pukul 08.05 Pantau menulis:\n> permintaan\n")
        for name, data in attachments:
            main, sub = content_type(name).split("/")
            m.add_attachment(data, maintype=main, subtype=sub, filename=name)
        return bytes(m)

    def ingest(self, raw: bytes) -> dict:
        self.app.ingest(raw)
        sha = hashlib.sha256(raw).hexdigest()
        row = self.store._q1("SELECT * FROM inbound WHERE sha256=?", (sha,))
        assert row, "no inbound row: the message was lost"
        return row

    def outbox_since(self, last_id: int, to: str | None = None) -> list[tuple[dict, EmailMessage]]:
        rows = self.store._q("SELECT * FROM outbox WHERE id>? ORDER BY id", (last_id,))
        out = []
        for r in rows:
            if to and to not in json.loads(r["recipients"]):
                continue
            out.append((r, message_from_bytes(Path(r["path"]).read_bytes(), policy=policy.default)))
        return out

    def last_outbox_id(self) -> int:
        row = self.store._q1("SELECT COALESCE(MAX(id), 0) AS n FROM outbox")
        return int(row["n"])

    def state(self) -> dict:
        """Everything a message could wrongly change: the cycle, tasks, registers, submissions."""
        s = self.store
        return {
            "cycle": s._q1("SELECT state FROM cycles WHERE code=?", (self.code,))["state"],
            "tasks": s._q("SELECT key, status FROM tasks ORDER BY key"),
            "masuk": s._q("SELECT no FROM register_masuk"),
            "keluar": s._q("SELECT no FROM register_keluar"),
            "accepted": s._q("SELECT id FROM submissions WHERE ok=1"),
        }

    def close(self) -> None:
        self.app.close()


def content_type(name: str) -> str:
    lower = name.lower()
    if lower.endswith(".docx"):
        return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    if lower.endswith((".xlsx", ".xlsm", ".xltx")):
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    if lower.endswith(".ics"):
        return "text/calendar"
    if lower.endswith(".msg"):
        return "application/vnd.ms-outlook"
    return "application/octet-stream"


def build_office(
    root: Path,
    *,
    batas: dict | None = None,
    authserv_id: str | None = None,
    wakil: dict[str, list[str]] | None = None,
    to_s4: bool = True,
) -> Office:
    """A new office (tests/offices.py) + start the cycle; with `to_s4`, the Camat's SETUJU brings
    it to S4."""
    cfg_path = new_office(root).config
    edit_config(cfg_path, batas, authserv_id, wakil)
    cfg = load_config(cfg_path)
    clock = ManualClock(DEMO_START)
    app = OfficeApp(cfg, clock=clock)
    code = app.start_cycle("2025-TW3")
    app.dispatch()
    office = Office(root, app, clock, code)
    if to_s4:
        clock.advance(minutes=5)
        row = office.ingest(office.reply(office.task(step="S1"), "SETUJU"))
        assert row["status"] == "diproses", row
        app.dispatch()
        assert app.store.load_cycle(code).current == "S4"
    return office


def open_office(root: Path) -> Office:
    """An office made earlier by make_office, opened again (as a restarted daemon would)."""
    cfg = load_config(root / "config" / "pantau.toml")
    clock = ManualClock(DEMO_START)
    app = OfficeApp(cfg, clock=clock)
    code = app.store.cycles()[0]["code"]
    clock.set(datetime.fromisoformat(app.store._q1("SELECT MAX(at) AS at FROM log")["at"]))
    return Office(root, app, clock, code)


_TEMPLATES: dict[str, Path] = {}


def make_office(root: Path, **options) -> Office:
    """An office as build_office makes it. Each kind is built once per process and copied (a
    copy of a closed office directory, its stored paths moved along), which keeps the suite
    fast; every test still gets its own directory, database and archive."""
    key = json.dumps(options, sort_keys=True)
    template = _TEMPLATES.get(key)
    if template is None:
        template = Path(tempfile.mkdtemp(prefix="pantau-kantor-")) / "kantor"
        atexit.register(shutil.rmtree, template.parent, True)
        build_office(template, **options).close()
        _TEMPLATES[key] = template
    copy_of(template, root)  # tests/offices.py: the stored paths move along
    return open_office(root)


def filled_form(office: Office, unit: str, realisasi: str = "90,5") -> tuple[str, bytes]:
    """The unit's form as Pantau sent it, filled in with python-docx as a person would."""
    from docx import Document

    doc_row = office.store.document(office.code, "form", unit=unit)
    doc = Document(doc_row["path"])
    table = next(t for t in doc.tables if "Realisasi" in " ".join(c.text for c in t.rows[0].cells))
    col = {c.text.strip(): i for i, c in enumerate(table.rows[0].cells)}
    for row in table.rows[1:]:
        cells = row.cells
        if not re.fullmatch(r"[\d.,]+", cells[col["Target"]].text.strip()):
            continue
        cells[col["Realisasi"]].text = realisasi
        cells[col["Realisasi Anggaran (Rp)"]].text = "Rp 12.500.000"
    out = io.BytesIO()
    doc.save(out)
    return f"Formulir-{unit}.docx", out.getvalue()


def tree(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under root: relative path -> (size, mtime_ns)."""
    out = {}
    for p in root.rglob("*"):
        if p.is_file() or p.is_symlink():
            st = p.lstat()
            out[str(p.relative_to(root))] = (st.st_size, st.st_mtime_ns)
    return out


def written_outside_archive(office: Office, before: dict, after: dict, base: Path) -> list[str]:
    """Files created or changed under `base` that are neither in the archive nor the database."""
    arsip = str(office.arsip.relative_to(base))
    db = str(office.app.cfg.db_path.relative_to(base))
    changed = [k for k in after if before.get(k) != after[k]]
    return [
        k for k in changed if not (k == arsip or k.startswith(arsip + os.sep) or k.startswith(db))
    ]


def body(msg: EmailMessage) -> str:
    return msg.get_body(("plain",)).get_content()


# =========================================================================== the corpus


def corpus_messages() -> list[tuple[str, bytes]]:
    items: list[tuple[str, bytes]] = []
    for path in sorted(p for p in corpus_dir("email").rglob("*") if p.is_file()):
        items.append((str(path.relative_to(CORPUS)), path.read_bytes()))
    for path in sorted(p for p in corpus_dir("mbox").rglob("*") if p.is_file()):
        box = mailbox.mbox(str(path), create=False)
        try:
            for n, key in enumerate(box.keys()):
                items.append((f"{path.relative_to(CORPUS)}#{n}", box.get_bytes(key)))
        finally:
            box.close()
    return items


def corpus_files() -> list[Path]:
    return sorted(
        p
        for sub in ("docx", "xlsx", "attachments-odd")
        for p in corpus_dir(sub).rglob("*")
        if p.is_file()
    )


def scratch_dir(tmp_path_factory, name: str) -> Path:
    """A folder in /dev/shm when there is one, else under pytest's tmp. For the corpus sweep and
    the big messages: ~1,400 messages cost ~5 fsyncs each, a 50 MB message 50 MB of fsync'd
    writes, which is durability, not what these tests are about (removed at exit)."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        base = Path(tempfile.mkdtemp(prefix=f"pantau-{name}-", dir=shm))
        atexit.register(shutil.rmtree, base, True)
        return base
    return tmp_path_factory.mktemp(name)


@pytest.fixture(scope="module")
def s4_office(tmp_path_factory):
    """The office the whole corpus goes through."""
    office = make_office(scratch_dir(tmp_path_factory, "korpus") / "kantor")
    yield office
    office.close()


def check_not_lost(office: Office, raw: bytes, row: dict, name: str) -> None:
    sha = hashlib.sha256(raw).hexdigest()
    assert row["status"] in FINAL, (name, row["status"])
    assert row["sha256"] == sha, name
    path = Path(row["path"])
    assert path.resolve().is_relative_to(office.arsip.resolve()), (name, path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == sha, name


def test_every_corpus_message_is_kept_and_classified_without_crash(s4_office):
    office = s4_office
    items = corpus_messages()
    before = office.state()
    by_status: Counter[str] = Counter()
    by_folder: dict[str, Counter[str]] = {}
    crashed = []
    for name, raw in items:
        row = office.ingest(raw)
        check_not_lost(office, raw, row, name)
        by_status[row["status"]] += 1
        folder = "/".join(name.split("/")[:2])
        by_folder.setdefault(folder, Counter())[row["status"]] += 1
        if row["status"] == "gagal":
            crashed.append((name, row["reason"]))
    print(
        f"\ncorpus e-mail through ingest: {len(items)} messages: {dict(sorted(by_status.items()))}"
    )
    for folder in sorted(by_folder):
        print(f"  {folder}: {dict(sorted(by_folder[folder].items()))}")
    assert len(items) >= 900
    assert not crashed, crashed
    # Nothing in the corpus answers a task of this office: no state may change.
    assert office.state() == before


def test_every_corpus_document_is_read_by_the_form_reader_as_a_units_reply(s4_office):
    office = s4_office
    task = office.task(unit="PEM", step="S4")
    # The token from the tasks table is in the subject; no In-Reply-To: only the token matches.
    assert f"[#{task['token']}]" in str(office.request(task)["Subject"])
    files = corpus_files()
    before = office.state()
    by_status: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    for path in files:
        name = str(path.relative_to(CORPUS))
        data = path.read_bytes()
        n_log = len(office.store.cycle_log(office.code))
        n_sub = office.store._q1("SELECT COUNT(*) AS n FROM submissions")["n"]
        raw = office.reply(task, attachments=[(path.name, data)], thread=False)
        row = office.ingest(raw)
        check_not_lost(office, raw, row, name)
        assert row["status"] != "gagal", (name, row["reason"])
        assert row["task"] == task["key"], name  # correlated with the real task
        by_status[row["status"]] += 1
        # The attachment really reached the form reader: either a submission was recorded
        # (a form with errors) or the sender was told the file is not a form.
        new_log = [e["event"] for e in office.store.cycle_log(office.code)[n_log:]]
        if office.store._q1("SELECT COUNT(*) AS n FROM submissions")["n"] > n_sub:
            outcomes["formulir_ditolak"] += 1
            assert "formulir_ditolak" in new_log, name
        else:
            assert "lampiran_salah" in new_log, (name, new_log)
            outcomes["lampiran_salah"] += 1
    print(
        f"\ncorpus documents as PEM's reply: {len(files)} files: {dict(by_status)}; "
        f"{dict(outcomes)}"
    )
    assert len(files) >= 400
    after = office.state()
    assert after["accepted"] == before["accepted"] and after["masuk"] == before["masuk"]
    assert office.app.store.load_cycle(office.code).units["PEM"].status == "pending"


# =========================================================================== attacks


@pytest.fixture
def office(tmp_path):
    o = make_office(tmp_path / "kantor")
    yield o
    o.close()


def zipped(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def docx_members(office: Office, unit: str = "PEM") -> dict[str, bytes]:
    _, data = filled_form(office, unit)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist()}


def xlsx_members(office: Office, unit: str = "PEM") -> dict[str, bytes]:
    """A filled XLSX form with the unit's code, as Excel would save it (openpyxl)."""
    from openpyxl import Workbook

    from daemon.documents import FORM_HEADERS

    wb = Workbook()
    ws = wb.active
    ws.append([f"Kode formulir: PANTAU:{office.code}:{unit}:1"])
    ws.append(list(FORM_HEADERS))
    for ind in office.app.indicators_for(unit):
        ws.append(
            [ind.no, ind.indikator, ind.satuan, ind.target, 90, None, 1_000_000, "-", "-", "-"]
        )
    buf = io.BytesIO()
    wb.save(buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
        return {n: z.read(n) for n in z.namelist()}


def send_and_answer(office: Office, raw: bytes, to: str) -> tuple[dict, list[str]]:
    """Ingest; return the inbound row and the bodies of what was queued for `to`."""
    last = office.last_outbox_id()
    row = office.ingest(raw)
    return row, [body(m) for _, m in office.outbox_since(last, to)]


def test_zip_bombs_are_refused_with_an_answer_and_never_expanded(office, tmp_path):
    task = office.task(unit="PEM", step="S4")
    members = docx_members(office)
    bombs = {
        # 40 MB of zeros in one member: over ukuran_dokumen_mb (20) before reading a byte
        "bom-ukuran.docx": zipped({**members, "word/media/image1.png": b"\0" * (40 * MB)}),
        # 5 MB of spaces packed to a few KB: under the size limit, over rasio_kompresi (100)
        "bom-rasio.docx": zipped(
            {**members, "word/document.xml": members["word/document.xml"] + b" " * (5 * MB)}
        ),
        # a zip of 2,500 members (max_members)
        "bom-anggota.docx": zipped(
            {**members, **{f"word/media/x{i}.xml": b"x" for i in range(2500)}}
        ),
    }
    expected = {
        "bom-ukuran.docx": "zip bomb",
        "bom-rasio.docx": "rasio kompresi",
        "bom-anggota.docx": f"{len(members) + 2500} bagian",
    }
    before, base = office.state(), tmp_path
    files_before = tree(base)
    for name, data in bombs.items():
        assert len(data) < 2 * MB
        row, answers = send_and_answer(
            office, office.reply(task, attachments=[(name, data)]), "pem@kecamatan.test"
        )
        assert row["status"] in ("diproses", "ditahan"), row
        assert len(answers) == 1, (name, answers)
        assert expected[name] in answers[0], answers[0]
    assert office.state() == before
    assert not written_outside_archive(office, files_before, tree(base), base)


def test_configured_document_limits_decide(tmp_path):
    """`ukuran_dokumen_mb` and `rasio_kompresi` come from the config: with 1 MB and 10 the same
    two files a default office accepts are refused (Pantau's own form, re-saved by Word, packs
    its styles about 25:1, so 10 refuses even that)."""
    strict = make_office(tmp_path / "ketat", batas={"ukuran_dokumen_mb": 1, "rasio_kompresi": 10})
    lax = make_office(tmp_path / "longgar")
    try:
        for office, refused in ((strict, True), (lax, False)):
            task = office.task(unit="PEM", step="S4")
            name, form = filled_form(office, "PEM")
            with_photo = zipped({**docx_members(office), "word/media/foto.jpg": os.urandom(3 * MB)})
            answers = []
            for data in (with_photo, form):
                answers += send_and_answer(
                    office, office.reply(task, attachments=[(name, data)]), "pem@kecamatan.test"
                )[1]
            st = office.app.store.load_cycle(office.code)
            assert len(answers) == 2, answers
            if refused:
                assert "melebihi batas 1 MB" in answers[0], answers[0]
                assert "rasio kompresi" in answers[1], answers[1]
                assert st.units["PEM"].status == "pending"
            else:
                assert st.units["PEM"].status == "received" and st.units["PEM"].version == 2, (
                    answers
                )
    finally:
        strict.close()
        lax.close()


LOL = (
    '<!DOCTYPE lolz [<!ENTITY lol0 "lol">'
    + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    + "]>"
)


def with_doctype(xml: bytes, doctype: str, ref: str) -> bytes:
    """Put a DOCTYPE after the XML declaration and an entity reference into the first text."""
    text = xml.decode("utf-8")
    decl_end = text.index("?>") + 2 if text.startswith("<?xml") else 0
    text = text[:decl_end] + doctype + text[decl_end:]
    text = re.sub(r"(<(?:w:t|t)(?: [^>]*)?>)", rf"\1{ref}", text, count=1)
    return text.encode("utf-8")


def test_billion_laughs_and_xxe_in_docx_and_xlsx_are_refused(office, tmp_path):
    secret = tmp_path / "rahasia.txt"
    marker = "RAHASIA-" + os.urandom(6).hex()
    secret.write_text(marker)
    xxe = f'<!DOCTYPE d [<!ENTITY x SYSTEM "file://{secret}">]>'
    docx, xlsx = docx_members(office), xlsx_members(office)
    shared = (
        "xl/sharedStrings.xml" if "xl/sharedStrings.xml" in xlsx else "xl/worksheets/sheet1.xml"
    )
    attacks = {
        "lol.docx": zipped(
            {**docx, "word/document.xml": with_doctype(docx["word/document.xml"], LOL, "&lol9;")}
        ),
        "xxe.docx": zipped(
            {**docx, "word/document.xml": with_doctype(docx["word/document.xml"], xxe, "&x;")}
        ),
        "lol.xlsx": zipped({**xlsx, shared: with_doctype(xlsx[shared], LOL, "&lol9;")}),
        "xxe.xlsx": zipped({**xlsx, shared: with_doctype(xlsx[shared], xxe, "&x;")}),
    }
    before = office.state()
    files_before = tree(tmp_path)
    # One unit per attack: the same refusal to the same address is sent once a day (loop brake).
    for (name, data), unit in zip(attacks.items(), ("PEM", "TRANTIB", "PMD", "KESOS"), strict=True):
        task = office.task(unit=unit, step="S4")
        row, answers = send_and_answer(
            office, office.reply(task, attachments=[(name, data)]), task["recipient"]
        )
        assert row["status"] in ("diproses", "ditahan"), row
        assert len(answers) == 1 and "DTD" in answers[0], (name, answers)
    assert office.state() == before
    assert not written_outside_archive(office, files_before, tree(tmp_path), tmp_path)
    # The entity was never resolved: the secret is nowhere in what Pantau wrote.
    for p in office.root.rglob("*"):
        if p.is_file():
            assert marker.encode() not in p.read_bytes(), p


def test_path_traversal_and_nul_in_file_names_stay_inside_the_archive(office, tmp_path):
    task = office.task(unit="PEM", step="S4")
    tag = os.urandom(4).hex()
    name, form = filled_form(office, "PEM", realisasi="abc")  # read, and answered with errors
    evil_zip = zipped(
        {
            **docx_members(office),
            f"../../../../lolos-zip-{tag}.txt": b"x",
            f"/tmp/lolos-zip-abs-{tag}.txt": b"x",
        }
    )
    names = [
        f"../../../../../lolos-{tag}.docx",
        f"..\\..\\..\\..\\lolos-win-{tag}.docx",
        f"/tmp/lolos-abs-{tag}.docx",
        f"C:\\Windows\\lolos-{tag}.docx",
        f"nul\x00byte-{tag}.docx",
    ]
    raws = []
    for n in names:
        raws.append(office.reply(task, attachments=[(n, form)]))
    raws.append(office.reply(task, attachments=[(f"zip-{tag}.docx", evil_zip)]))
    # Names as raw header bytes: a literal NUL, RFC 2231 %00 and ../ and an encoded-word.
    for fn in (
        f'filename="a\x00b-{tag}.docx"',
        f"filename*=UTF-8''..%2F..%2F..%2Flolos-2231-{tag}%00.docx",
        f'filename="=?utf-8?b?{base64.b64encode(f"../../lolos-ew-{tag}.docx".encode()).decode()}?="',
    ):
        raw = office.reply(task, attachments=[("GANTI.docx", form)])
        raws.append(raw.replace(b'filename="GANTI.docx"', fn.encode("latin-1")))
    before = tree(tmp_path)
    for raw in raws:
        row = office.ingest(raw)
        assert row["status"] in ("diproses", "ditahan"), row
    after = tree(tmp_path)
    assert not written_outside_archive(office, before, after, tmp_path)
    for p in (Path("/tmp") / f"lolos-abs-{tag}.docx", Path("/tmp") / f"lolos-zip-abs-{tag}.txt"):
        assert not p.exists()
    assert not [
        k
        for k in after
        if "lolos" in k and not k.startswith(str(office.arsip.relative_to(tmp_path)))
    ]
    new = [k for k in after if k not in before]
    assert new, "nothing was archived"
    for k in new:
        assert "\x00" not in k and ".." not in Path(k).name, k
        assert (tmp_path / k).resolve().is_relative_to(office.arsip.resolve()), k
    # The names the database and the log keep are clean too.
    for r in office.store._q("SELECT filename FROM submissions"):
        assert (
            "\x00" not in r["filename"] and "/" not in r["filename"] and "\\" not in r["filename"]
        ), r
    for e in office.store.cycle_log(office.code):
        assert "\x00" not in (e["detail"] or ""), e


# --------------------------------------------------------------------------- size and count limits


def big_reply(office: Office, attachment_bytes: int, name: str = "Formulir-PEM.docx") -> bytes:
    task = office.task(unit="PEM", step="S4")
    data = b"PK\x03\x04" + os.urandom(attachment_bytes - 4)
    return office.reply(task, attachments=[(name, data)])


def test_300_attachments_are_refused_within_the_configured_count(office, tmp_path):
    """A unit's reply with 300 attachments (its filled form first) exceeds jumlah_lampiran (50)."""
    task = office.task(unit="PEM", step="S4")
    form = filled_form(office, "PEM")
    atts = [form] + [(f"foto-{i:03}.jpg", b"\xff\xd8\xff" + os.urandom(64)) for i in range(299)]
    before = tree(tmp_path)
    row, answers = send_and_answer(
        office, office.reply(task, attachments=atts), "pem@kecamatan.test"
    )
    assert row["status"] in ("diproses", "ditahan"), row
    assert not written_outside_archive(office, before, tree(tmp_path), tmp_path)
    # No more than the limit was read and archived from it.
    received = (
        list((office.arsip / office.code / "diterima").glob("*"))
        if (office.arsip / office.code / "diterima").exists()
        else []
    )
    assert len(received) <= 50
    assert len(answers) == 1, answers
    print(f"\n300 attachments -> {row['status']} ({row['reason']}); answer: {answers[0][:300]!r}")


def test_300_attachments_answer_names_the_limit_and_nothing_is_accepted(office):
    task = office.task(unit="PEM", step="S4")
    atts = [filled_form(office, "PEM")] + [
        (f"foto-{i:03}.jpg", b"\xff\xd8\xff" + os.urandom(64)) for i in range(299)
    ]
    before = office.state()
    row, answers = send_and_answer(
        office, office.reply(task, attachments=atts), "pem@kecamatan.test"
    )
    assert office.state() == before
    assert len(answers) == 1 and "terlalu banyak" in answers[0] and "50" in answers[0], answers


# The 25 MB and 50 MB cases run in a fresh process on an office made beforehand. Peak RSS is
# read as the kernel keeps it (VmHWM, what getrusage's ru_maxrss reports), after resetting it
# through /proc/self/clear_refs: a child's ru_maxrss starts at its parent's size at fork, which
# would hide the growth. A second copy of the message (another Message-ID) is then ingested
# under tracemalloc for the Python-level peak.
MEASURE = r"""
import json, resource, sys, tracemalloc
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from test_hostile import open_office, body, tree, written_outside_archive
office = open_office(Path(sys.argv[2]))
files_before = tree(office.root.parent)
raw = Path(sys.argv[3]).read_bytes()
def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
try:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    peak = lambda: status("VmHWM")
    how = "VmHWM"
except OSError:
    peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    how = "ru_maxrss"
before_peak, before_now = peak(), status("VmRSS")
last = office.last_outbox_id()
state = office.state()
row = office.ingest(raw)
after_peak = peak()
answers = [body(m) for _, m in office.outbox_since(last, "pem@kecamatan.test")]
unchanged = office.state() == state
outside = written_outside_archive(
    office, files_before, tree(office.root.parent), office.root.parent
)
raw2 = raw.replace(b"Message-ID: <", b"Message-ID: <kedua.", 1)
tracemalloc.start()
office.ingest(raw2)
traced_peak = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
print(json.dumps({"size": len(raw), "how": how, "before_peak": before_peak,
                  "before_now": before_now, "after_peak": after_peak, "traced_peak": traced_peak,
                  "status": row["status"],
                  "reason": row["reason"], "answers": answers, "unchanged": unchanged,
                  "outside": outside}))
"""


def measure(cases: dict[str, tuple[Path, dict, int]]) -> dict[str, dict]:
    """Make each case's office and message, then measure all of them in parallel processes."""
    procs = {}
    for key, (tmp, batas, attachment_bytes) in cases.items():
        office = make_office(tmp / "kantor", batas=batas)
        raw = big_reply(office, attachment_bytes, "Formulir-PEM.docx")
        office.close()
        (tmp / "pesan.eml").write_bytes(raw)
        del raw
        procs[key] = subprocess.Popen(
            [
                sys.executable,
                "-c",
                MEASURE,
                str(TESTS),
                str(tmp / "kantor"),
                str(tmp / "pesan.eml"),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
    results = {}
    for key, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0, stderr[-3000:]
        out = json.loads(stdout.strip().splitlines()[-1])
        out["growth"] = max(out["after_peak"] - max(out["before_peak"], out["before_now"]), 0)
        print(
            f"\n{key}: {out['size'] / MB:.1f} MB ({cases[key][1] or 'default limits'}): status "
            f"{out['status']} ({out['reason'] or '-'}); peak RSS ({out['how']}) "
            f"{out['before_peak'] / MB:.0f} -> "
            f"{out['after_peak'] / MB:.0f} MB, growth {out['growth'] / MB:.1f} MB = "
            f"{out['growth'] / out['size']:.2f}x the message; tracemalloc peak "
            f"{out['traced_peak'] / MB:.1f} MB "
            f"= {out['traced_peak'] / out['size']:.2f}x"
        )
        results[key] = out
    return results


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """A 50 MB message from a unit (a 38 MB attachment, base64) against the default 30 MB; and a
    25 MB attachment (about 34 MB of message) with the message limit raised to 40 MB, so the
    message is read, and ukuran_lampiran_mb = 20 to refuse the attachment."""
    out = measure(
        {
            "50 MB message": (scratch_dir(tmp_path_factory, "50mb"), {}, 38 * MB),
            "25 MB attachment": (
                scratch_dir(tmp_path_factory, "25mb"),
                {"ukuran_pesan_mb": 40, "ukuran_lampiran_mb": 20},
                25 * MB,
            ),
        }
    )
    assert out["50 MB message"]["size"] > 50 * MB
    return out


@pytest.fixture
def fifty_mb(big):
    return big["50 MB message"]


@pytest.fixture
def attachment_25mb(big):
    return big["25 MB attachment"]


def check_big(out: dict) -> None:
    assert out["status"] in ("diproses", "ditahan"), out
    assert out["unchanged"], "a refused message changed the cycle"
    assert out["outside"] == [], out["outside"]
    assert out["growth"] < 6 * out["size"], (
        f"peak RSS grew {out['growth'] / out['size']:.1f}x the message"
    )


def test_50mb_message_is_kept_refused_and_memory_stays_bounded(fifty_mb):
    check_big(fifty_mb)


def test_25mb_attachment_is_kept_refused_and_memory_stays_bounded(attachment_25mb):
    check_big(attachment_25mb)


def test_50mb_message_answer_names_the_size_limit(fifty_mb):
    answers = fifty_mb["answers"]
    assert len(answers) == 1 and "terlalu besar" in answers[0] and "30 MB" in answers[0], answers


def test_25mb_attachment_answer_names_the_attachment_limit(attachment_25mb):
    answers = attachment_25mb["answers"]
    assert len(answers) == 1 and "terlalu besar" in answers[0] and "20 MB" in answers[0], answers
