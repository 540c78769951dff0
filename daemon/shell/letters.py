"""Composing letters and notices into the outbox (SPEC §4, §5): the e-mail's text from its
template, the files it carries from the archive, the register entry it belongs to.

A letter (`SendLetter`) is numbered first through `Registers.register_out`, then its cover is
rendered, then one e-mail per envelope is queued with a fixed Message-ID; the register entry is
completed with those Message-IDs and the files' sha256. A notice (`SendNotice`) answers one
person, in reply to the message being processed (`Answering`), unless the engine's loop brake
says it went out today already. Nothing is sent here: `runners/outgoing.py` sends the outbox.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from daemon.config import Config
from daemon.core import engine as E
from daemon.core.formatting import banyaknya
from daemon.core.model import Period
from daemon.core.sop import Sop
from daemon.core.statuses import UnitStatus
from daemon.core.tokens import make_token
from daemon.core.verification import signature_code
from daemon.documents.produce import Producer, file_name
from daemon.mail.compose import EmailTexts, build_message, new_message_id
from daemon.shell.archive import Archive, sha256_file, write_atomic
from daemon.shell.clock import Clock
from daemon.shell.people import People
from daemon.shell.registers import Registers
from daemon.store import Store

log = logging.getLogger("pantau")


@dataclass
class NotReceived:
    """The units that have not sent their data (`tidak_lengkap`, read by konsep.txt), listed only
    when a template reads them: a notice written from a partial state (a unit's form,
    daemon/core/state.py) never does, and so costs nothing per unit."""

    def __init__(self, st: E.CycleState):
        self._st = st
        self._codes: list[str] | None = None

    def codes(self) -> list[str]:
        if self._codes is None:
            self._codes = [x.code for x in self._st.units.values()
                           if x.status != UnitStatus.RECEIVED]
        return self._codes

    def __iter__(self):
        return iter(self.codes())

    def __len__(self) -> int:
        return len(self.codes())

    def __bool__(self) -> bool:
        return bool(self.codes())


class Answering:
    """The inbound message being processed, if any: its notices answer it (In-Reply-To) and a
    braked notice is noted on its row. Set by the incoming runner around one message."""

    inbound_id: int | None = None
    message_id: str | None = None


class Letters:
    def __init__(self, *, cfg: Config, store: Store, archive: Archive, producer: Producer,
                 texts: EmailTexts, clock: Clock, sop: Sop, secret: bytes, people: People,
                 registers: Registers, signature_step: str, answering: Answering):
        self.cfg = cfg
        self.store = store
        self.archive = archive
        self.producer = producer
        self.texts = texts
        self.clock = clock
        self.sop = sop
        self.secret = secret
        self.people = people
        self.registers = registers
        self.signature_step = signature_step  # the step whose e-mail carries the signature code
        self.answering = answering

    def token_for(self, key: str) -> str:
        return make_token(self.secret, key)

    def doc_files(self, st: E.CycleState, refs: list[E.DocRef]) -> list[tuple[str, Path]]:
        files: list[tuple[str, Path]] = []
        for ref in refs:
            kinds = [ref.kind]
            if ref.kind == "form" and self.cfg.form_format != "docx":
                kinds = ["form_xlsx"] if self.cfg.form_format == "xlsx" else ["form", "form_xlsx"]
            if ref.kind == "emonev_export":
                kinds = ["emonev_export", "emonev_export_csv"]
            if ref.kind == "final_report":
                kinds = ["final_report", "final_report_pdf"]
            for kind in kinds:
                doc = self.store.document(
                    st.code,
                    kind,
                    None if kind.startswith(("final", "emonev")) else ref.version,
                    ref.unit,
                )
                if doc is None:
                    if kind.endswith(("_pdf", "_csv", "_xlsx")):
                        continue
                    raise RuntimeError(f"dokumen {kind} v{ref.version} {ref.unit or ''} belum ada")
                path = Path(doc["path"])
                name = file_name(kind, st.code, ref.version, ref.unit)
                if doc["source"] == "diterima":
                    name = Path(name).stem + Path(path).suffix
                files.append((name, path))
        return files

    def body_context(self, st: E.CycleState, to: str, data: dict, **extra: Any) -> dict:
        period = Period.parse(st.period)
        u = self.people.unit_of(to)
        ctx = {
            "kantor": self.cfg.kantor,
            "periode": period.label,
            "siklus": st.code,
            "penerima": self.people.salutation(to),
            "pengirim_nama": self.cfg.mail.nama,
            "unit_nama": u.nama if u else "",
            "batas": st.deadline,
            "jadwal": False,
            "dokumen": False,
            "contoh_jadwal": (self.clock.now() + timedelta(days=2)).strftime("%d-%m-%Y") + " 09.00",
            "tidak_lengkap": NotReceived(st),
            "rapat": st.meeting,
            "usul_rapat": None,
            "versi": st.draft_version,
            "nomor": "",
            "hal": "",
            "warnings": [],
            "errors": [],
            "file": "",
            "terlambat": False,
            "nomor_agenda": "",
            "catatan": [],
            "alasan": "",
            "selesai": False,
            "baris": "",
            "tahap": "",
            "units": [],
            "menunggu": [],
            "standar": "",
            "langkah": "",
            "uraian": "",
            "alamat": "",
            "detail": "",
            "ringkasan": [],
            "hal_tugas": "",
            "saran": "",
            "kode_ttd": "",
            "dipahami": "",
            "sebab": [],
        }
        ctx.update(data)
        ctx.update(extra)
        return ctx

    def queue(
        self,
        st: E.CycleState,
        *,
        kind: str,
        step: str,
        to: list[str],
        cc: list[str],
        subject: str,
        body: str,
        task: str | None,
        attachments: list[tuple[str, Path]],
        now: datetime,
        notification: bool,
        message_id: str | None = None,
    ) -> str:
        mid = message_id or new_message_id(self.cfg.kantor.domain)
        token = self.token_for(task) if task else None
        reply_to = None
        if token and self.cfg.mail.plus_addressing:
            local, domain = self.cfg.mail.alamat.split("@")
            reply_to = f"{local}+{token.replace('-', '')}@{domain}"
        raw = build_message(
            sender=self.cfg.mail.alamat,
            sender_name=self.cfg.mail.nama,
            to=to,
            cc=cc,
            subject=subject,
            body=body,
            message_id=mid,
            date=now,
            cycle=st.code,
            token=token,
            reply_to=reply_to,
            notification=notification,
            step=step,
            in_reply_to=self.answering.message_id if notification else None,
            attachments=attachments,
        )
        path = (
            self.archive.root / "keluar" / st.code / f"{hashlib.sha1(mid.encode()).hexdigest()}.eml"
        )
        write_atomic(path, raw)
        self.store.enqueue(
            message_id=mid,
            cycle=st.code,
            step=step,
            kind=kind,
            task=task,
            recipients=list(dict.fromkeys(to + cc)),
            subject=subject,
            path=str(path),
            now=now,
        )
        return mid

    def send_letter(self, st: E.CycleState, fx: E.SendLetter, now: datetime) -> None:
        if fx.register:
            # Numbered and entered first (inside this event's transaction); the entry's e-mails and
            # files are filled in below, once they exist.
            no, nomor = self.registers.register_out(
                st, now, step=fx.step, kode_key=fx.kode, tujuan=fx.tujuan, perihal=fx.hal,
                lampiran="-", message_id="", berkas=[])
        else:  # a working copy (S5's draft to the Kasubag): no register number (SPEC §4)
            no, nomor = 0, ""
        data = dict(fx.data)
        # Whom the letter is addressed to is the engine's decision (fx.kepada); here it is named.
        kepada = [self.people.addressee(k) for k in fx.kepada]
        cover: list[tuple[str, Path]] = []
        # Lampiran counts the files that travel with the letter (not the letter itself): the
        # common documents, and each envelope's own (a unit's form) once.
        per_envelope = next((len(self.doc_files(st, e.docs)) for e in fx.envelopes if e.docs), 0)
        n_att = len(self.doc_files(st, fx.docs)) + per_envelope
        data["lampiran"] = banyaknya(n_att) if n_att else "-"
        if fx.kind:  # "" = a letter by e-mail only (S5), registered all the same
            cover = self.producer.render_cover(
                st, fx.kind, fx.purpose, fx.hal, nomor, no, fx.step, data, kepada, now
            )
        common = self.doc_files(st, fx.docs)
        mids, berkas = [], []
        for name, path in cover + common:
            berkas.append({"nama": name, "sha256": sha256_file(path)})
        template = fx.purpose or fx.kind
        for env in fx.envelopes:
            files = cover + common + self.doc_files(st, env.docs)
            extra_berkas = [
                {"nama": n, "sha256": sha256_file(p)} for n, p in self.doc_files(st, env.docs)
            ]
            for b in extra_berkas:
                if b not in berkas:
                    berkas.append(b)
            t = st.task(env.task) if env.task else None
            body_data = dict(data)
            body_data.update({"hal": fx.hal, "nomor": nomor,
                              "jadwal": bool(t and t.allow_schedule),
                              "dokumen": bool(t and t.purpose == "decision" and fx.docs)})
            if t and t.step == self.signature_step and self.cfg.kode_ttd:
                # The signature code lives in this e-mail's body only (SPEC §3.1).
                body_data["kode_ttd"] = signature_code(self.secret, t.key)
            subject, body = self.texts.render(template, self.body_context(st, env.to[0], body_data))
            if body_data.get("kode_ttd") and f"SETUJU {body_data['kode_ttd']}" not in body:
                body = (
                    body.rstrip("\n")
                    + f"\n\nUntuk menandatangani, balas: SETUJU {body_data['kode_ttd']}\n"
                )
            mids.append(
                self.queue(
                    st,
                    kind=f"surat:{template}",
                    step=fx.step,
                    to=env.to,
                    cc=env.cc,
                    subject=subject or fx.hal,
                    body=body,
                    task=env.task,
                    attachments=files,
                    now=now,
                    notification=False,
                )
            )
        if not fx.register:
            return
        self.registers.complete_out(
            now,
            no,
            lampiran=data["lampiran"],
            message_id=" ".join(mids),
            berkas=json.dumps(berkas, ensure_ascii=False),
            keterangan=f"{len(fx.envelopes)} e-mail" if len(fx.envelopes) > 1 else "",
        )

    def send_notice(self, st: E.CycleState, fx: E.SendNotice, now: datetime) -> None:
        to = [a for a in fx.to if a]
        if not to:
            return
        brake = E.brake_key(fx)  # the engine says which notices are braked, and on what
        if brake is not None:
            if not self.store.notice_allowed(to[0], brake, now.date().isoformat()):
                self.store.add_log(st.code, now, fx.step, "pemberitahuan_ditahan", to[0],
                                   f"{fx.kind}: sudah dikirim hari ini (rem putaran surel)")
                if self.answering.inbound_id is not None:
                    self.store.update_inbound(
                        self.answering.inbound_id,
                        rem=f"sudah dijawab sebelumnya hari ini ({fx.kind})",
                    )
                log.warning(
                    "pesan #%s dari %s tidak dibalas lagi: pemberitahuan %s sudah dikirim hari ini "
                    "(sudah dijawab sebelumnya hari ini)",
                    self.answering.inbound_id or "-",
                    to[0],
                    fx.kind,
                    extra={
                        "cycle": st.code,
                        "step": fx.step,
                        "event": "sudah_dijawab_hari_ini",
                        "who": to[0],
                        "message_id": self.answering.message_id,
                    },
                )
                return
        data = dict(fx.data)
        t = st.task(fx.task) if fx.task else None
        if fx.step and fx.step in {s.id for s in self.sop.steps}:
            d = self.sop.step(fx.step)
            data.setdefault("standar", d.standar_text)
            data.setdefault("langkah", d.id)
            data.setdefault("uraian", d.uraian)
            data.setdefault("hal_tugas", d.uraian.lower())
            data.setdefault("batas", st.steps[d.id].due if fx.kind == "pengingat" else st.deadline)
        if fx.kind == "gagal_kirim":
            from daemon.shell.addresses import whose
            from daemon.shell.lock import running_pid

            data.update(whose(self.cfg, data.get("alamat", "")))
            data["pid"] = running_pid(self.cfg.db_path) or "<pid>"
            data["berkas_konfigurasi"] = str(self.cfg.path)
        if fx.kind == "eskalasi":
            data["menunggu"] = [self.people.who(m) for m in data.get("menunggu", [])]
        if fx.kind == "unit_terlambat":
            data["units"] = [self.cfg.unit(c).nama for c in data.get("units", [])]
        if fx.kind == "ringkasan":
            data["ringkasan"] = self.producer.timings(st)
        if t and t.unit:
            # The unit by its task, not by the address: a reply from an address the configuration
            # has since changed still names its unit.
            unit = next((u for u in self.cfg.units if u.kode == t.unit), None)
            if unit:
                data.setdefault("unit_nama", unit.nama)
        if t:
            data.setdefault("jadwal", t.allow_schedule)
            data.setdefault("selesai", t.allow_selesai)
        files = self.doc_files(st, fx.docs)
        for addr in to if fx.kind == "ringkasan" else [to[0]]:
            subject, body = self.texts.render(fx.kind, self.body_context(st, addr, data))
            recipients = to if fx.kind != "ringkasan" else [addr]
            self.queue(st, kind=f"pemberitahuan:{fx.kind}", step=fx.step, to=recipients,
                       cc=fx.cc if addr == to[0] else [], subject=subject, body=body, task=fx.task,
                       attachments=files, now=now, notification=True)
            if fx.kind != "ringkasan":
                break
        self.store.add_log(st.code, now, fx.step, f"kirim_{fx.kind}", ", ".join(to), "")
