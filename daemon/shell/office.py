"""The office shell: the imperative part around the pure engine.

For each event it opens one transaction, loads the cycle, asks the engine what to do, and applies
the effects: log rows, register entries, documents rendered into the archive, letters and notices
composed and queued in the outbox. Then the outbox sender delivers them. Inbound mail is stored
first, recorded, then analysed (daemon/shell/inbound.py) and turned into events.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, assert_never

from daemon.config import Config
from daemon.config.indicators import indicators_for, load_indicators
from daemon.core import engine as E
from daemon.core.formatting import banyaknya
from daemon.core.model import FormCode, Period
from daemon.core.reply_grammar import explain, understood
from daemon.core.sop import load_sop
from daemon.core.statuses import CycleStatus, TaskStatus, UnitStatus
from daemon.core.tokens import make_token
from daemon.core.verification import signature_code
from daemon.core.worktime import WorkCalendar, load_extra_days, parse_duration
from daemon.documents.produce import Producer, file_name
from daemon.mail.compose import EmailTexts, build_message, new_message_id
from daemon.mail.replies import subject_clean
from daemon.mail.transports.base import DIABAIKAN, DIPROSES, GAGAL, TransportError
from daemon.shell.archive import Archive, sha256_file, write_atomic
from daemon.shell.clock import Clock
from daemon.shell.faults import crash_point
from daemon.shell.inbound import Analysis, reader_for
from daemon.shell.secret import ensure_secret
from daemon.store import Store

log = logging.getLogger("pantau")

RETRY_MINUTES = (1, 2, 5, 10, 30, 60)


class CycleExists(Exception):
    pass


def make_transport(cfg: Config):
    m = cfg.mail
    folders = {DIPROSES: m.folder_diproses, GAGAL: m.folder_gagal, DIABAIKAN: m.folder_diabaikan}
    if m.transport == "maildir":
        from daemon.mail.transports.maildir import MaildirTransport

        return MaildirTransport(m.maildir_path, m.alamat, folders)
    if m.transport == "imap":
        from daemon.mail.transports.factory import imap_transport

        return imap_transport(cfg)
    from daemon.mail.transports.factory import ews_transport

    return ews_transport(cfg)


class OfficeApp:
    def __init__(self, cfg: Config, clock: Clock | None = None, transport: Any = None):
        self.cfg = cfg
        self.store = Store(cfg.db_path)
        self.archive = Archive(cfg.arsip_dir)
        self.sop = load_sop(cfg.sop_file)
        off, on = (load_extra_days(cfg.libur_tambahan)
                   if cfg.libur_tambahan and cfg.libur_tambahan.exists() else (set(), set()))
        self.cal = WorkCalendar(
            cfg.kantor.zona_waktu, hours=cfg.jam_kerja, extra_off=off, extra_on=on
        )
        self.clock = clock or Clock.from_env(cfg.kantor.zona_waktu, self._remember)
        self.indicators = load_indicators(cfg.indikator_file, units={u.kode for u in cfg.units})
        ensure_secret(cfg)
        self.secret = cfg.secret()
        self.texts = EmailTexts(cfg.templates_dir)
        self._transport = transport
        self.producer = Producer(
            cfg=cfg, store=self.store, archive=self.archive, sop=self.sop, cal=self.cal,
            indicators=self.indicators, secret=self.secret, now=self.clock.now)
        h, mnt = cfg.undangan_jam.hour, cfg.undangan_jam.minute
        self.ctx = E.Context(
            sop=self.sop, cal=self.cal,
            people={r: cfg.pejabat[r].email for r in cfg.pejabat},
            units=[(u.kode, u.email) for u in cfg.units],
            perintah_otomatis=cfg.perintah_otomatis, tinjau_format=cfg.tinjau_format,
            tenggang_kumpul=parse_duration(cfg.tenggang_kumpul), meeting_time=(h, mnt),
            meeting_hours=cfg.undangan_durasi_jam, meeting_place=cfg.undangan_tempat,
            peserta=list(cfg.undangan_peserta), tembusan=list(cfg.laporan_tembusan))
        self.reader = reader_for(cfg, self.store, self.read_form, secret=self.secret)
        self._reply_to_mid: str | None = None
        self._inbound_id: int | None = None

    def _remember(self, key: str, value: str) -> str:
        with self.store.transaction():
            return self.store.meta_once(key, value)

    @property
    def transport(self):
        if self._transport is None:
            self._transport = make_transport(self.cfg)
        return self._transport

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
        self.store.close()

    def indicators_for(self, unit: str):
        return indicators_for(unit, self.indicators)

    def token_for(self, key: str) -> str:
        return make_token(self.secret, key)

    def read_form(self, data: bytes, filename: str):
        from daemon.documents import ReadLimits, read_form

        b = self.cfg.mail.batas
        return read_form(
            data,
            filename,
            ReadLimits(
                max_total_bytes=int(b.ukuran_dokumen_mb * 2**20), max_ratio=b.rasio_kompresi
            ),
        )

    # ================================================================== events

    def start_cycle(self, period_text: str) -> str:
        period = Period.parse(period_text)
        code = period.cycle_code
        with self.store.transaction():
            if self.store.load_cycle(code):
                raise CycleExists(f"siklus {code} sudah ada")
            st = E.new_cycle(period.code, code, self.ctx)
            self._advance(st, E.Start(period=period.code))
        return code

    def handle(self, code: str, event: E.Event) -> E.CycleState:
        with self.store.transaction():
            st = self.store.load_cycle(code)
            if st is None:
                raise KeyError(code)
            new = self._advance(st, event)
        crash_point("committed")
        return new

    def _advance(
        self, st: E.CycleState, event: E.Event, now: datetime | None = None
    ) -> E.CycleState:
        now = now or self.clock.now()
        dec = E.advance(st, event, now, self.ctx)
        for fx in dec.effects:
            self.apply(dec.state, fx, now)
        self.store.save_cycle(dec.state, self.token_for)
        return dec.state

    def sweep(self) -> int:
        """Fire due timers; returns how many cycles were ticked."""
        now = self.clock.now()
        codes = self.store.cycles_due(now)
        # A cycle whose letters have not yet been tried waits: timers (reminders, overdue) never
        # run ahead of the letter they are about (the runner sends the outbox first).
        waiting = self.store.cycles_with_untried_letters()
        codes = [c for c in codes if c not in waiting]
        for code in codes:
            self.handle(code, E.Tick())
        return len(codes)

    def tell_operator(self) -> None:
        """Held messages told to the operator, and the Kasubag's daily digest (operator_notices)."""
        from daemon.shell.operator_notices import daily_digest, tell_held

        now = self.clock.now()
        for job in (tell_held, daily_digest):
            try:
                job(self, now)
            except Exception:  # never let a notice stop the round; the log says why
                log.exception("pemberitahuan kepada operator gagal disusun")

    # ================================================================== effects

    def apply(self, st: E.CycleState, fx: E.Effect, now: datetime) -> None:
        """Carry out one effect (a `match` over the closed union `engine.Effect`)."""
        match fx:
            case E.Log():
                self.store.add_log(st.code, now, fx.step, fx.event, fx.who, fx.detail)
                log.info(
                    "%s %s %s %s",
                    st.code,
                    fx.step or "-",
                    fx.event,
                    fx.who,
                    extra={"cycle": st.code, "step": fx.step, "event": fx.event, "who": fx.who},
                )
            case E.MakeDoc():
                no, nomor = 0, ""
                if fx.ref.kind == "final_report":
                    no, nomor = self.register_out(
                        st,
                        now,
                        step=fx.data.get("step", "S11"),
                        kode_key="laporan",
                        tujuan="Arsip / Kasubag Perencanaan",
                        perihal=f"Laporan Pemantauan Kinerja {Period.parse(st.period).label}",
                        lampiran="-",
                        message_id="",
                        berkas=[],
                        keterangan="laporan final; disetujui Camat melalui e-mail"
                        + (
                            "; dengan kode tanda tangan"
                            if any(x.get("kode_ttd") for x in st.approvals)
                            else ""
                        ),
                    )
                self.producer.make(st, fx.ref, fx.data, now, nomor)
                if nomor:
                    doc = self.store.document(st.code, "final_report")
                    self.store.update_register("register_keluar", now.year, no,
                                               berkas=json.dumps([_berkas(doc)]))
            case E.RecordDoc():
                self.store.add_document(
                    cycle=st.code,
                    kind=fx.ref.kind,
                    version=fx.ref.version,
                    unit=fx.ref.unit,
                    path=fx.file.path,
                    sha256=fx.file.sha256,
                    source="diterima",
                    message_id=fx.message_id,
                    now=now,
                )
            case E.SendLetter():
                self.send_letter(st, fx, now)
            case E.SendNotice():
                self.send_notice(st, fx, now)
            case E.RegisterIn():
                self.store.add_register(
                    "register_masuk",
                    now.year,
                    {
                        "tanggal_terima": now.isoformat(timespec="seconds"),
                        "nomor_surat": "-",
                        "tanggal_surat": now.date().isoformat(),
                        "pengirim": self.who(fx.pengirim),
                        "perihal": fx.perihal,
                        "lampiran": fx.lampiran,
                        "siklus": st.code,
                        "langkah": fx.step,
                        "message_id": fx.message_id,
                        "berkas": json.dumps(
                            [{"nama": Path(f.path).name, "sha256": f.sha256} for f in fx.files]
                        ),
                        "disposisi": fx.disposisi,
                        "keterangan": fx.keterangan,
                    },
                )
            case E.SaveKinerja():
                self.store.replace_kinerja(st.code, self.producer.kinerja_rows(st))
            case _:
                assert_never(fx)

    def register_out(
        self,
        st: E.CycleState,
        now: datetime,
        *,
        step: str,
        kode_key: str,
        tujuan: str,
        perihal: str,
        lampiran: str,
        message_id: str,
        berkas: list,
        keterangan: str = "",
    ) -> tuple[int, str]:
        """Enter an outgoing letter in the register keluar; returns its (no, nomor_surat). The number
        is allocated by `Store.add_register`, the one numbering path (daemon/store/registers.py)."""
        kode = self.cfg.nomor_kode.get(kode_key) or self.cfg.nomor_kode["nota_dinas"]
        no = self.store.add_register(
            "register_keluar",
            now.year,
            {
                "nomor_surat": lambda n: self.nomor_surat(kode, n, now),
                "tanggal_surat": now.date().isoformat(),
                "tanggal_kirim": "",
                "tujuan": tujuan,
                "perihal": perihal,
                "lampiran": lampiran,
                "kode_klasifikasi": kode,
                "siklus": st.code,
                "langkah": step,
                "message_id": message_id,
                "berkas": json.dumps(berkas, ensure_ascii=False),
                "keterangan": keterangan,
            },
        )
        return no, self.nomor_surat(kode, no, now)

    def nomor_surat(self, kode: str, no: int, now: datetime) -> str:
        roman = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"][
            now.month - 1
        ]
        return self.cfg.nomor_format.format(kode=kode, urut=no, unit=self.cfg.kantor.kode_unit,
                                            tahun=now.year, bulan=roman)

    # ------------------------------------------------------------------ people

    def who(self, email: str) -> str:
        """'Name (jabatan) <email>' for registers."""
        email = (email or "").lower()
        for o in self.cfg.pejabat.values():
            if email == o.email or email in o.wakil:
                return f"{o.jabatan} ({o.nama})" + (
                    "" if email == o.email else f" melalui wakil {email}"
                )
        for u in self.cfg.units:
            if email == u.email or email in u.kepala.wakil:
                return u.nama
        return email

    def salutation(self, email: str) -> str:
        email = email.lower()
        for o in self.cfg.pejabat.values():
            if email == o.email:
                return f"{o.jabatan}"
        for u in self.cfg.units:
            if email == u.email:
                return f"Kepala {u.nama}" if u.kode != "SEK" else u.kepala.jabatan or u.nama
        return email

    def unit_of(self, email: str):
        for u in self.cfg.units:
            if email.lower() == u.email:
                return u
        return None

    # ------------------------------------------------------------------ outgoing mail

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
        u = self.unit_of(to)
        ctx = {
            "kantor": self.cfg.kantor,
            "periode": period.label,
            "siklus": st.code,
            "penerima": self.salutation(to),
            "pengirim_nama": self.cfg.mail.nama,
            "unit_nama": u.nama if u else "",
            "batas": st.deadline,
            "jadwal": False,
            "dokumen": False,
            "contoh_jadwal": (self.clock.now() + timedelta(days=2)).strftime("%d-%m-%Y") + " 09.00",
            "tidak_lengkap": [x.code for x in st.units.values() if x.status != UnitStatus.RECEIVED],
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
            in_reply_to=self._reply_to_mid if notification else None,
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
            no, nomor = self.register_out(st, now, step=fx.step, kode_key=fx.kode, tujuan=fx.tujuan,
                                          perihal=fx.hal, lampiran="-", message_id="", berkas=[])
        else:  # a working copy (S5's draft to the Kasubag): no register number (SPEC §4)
            no, nomor = 0, ""
        data = dict(fx.data)
        roles = [data.get("kepada")] if data.get("kepada") else []
        kepada = [self.cfg.pejabat[r].jabatan for r in roles if r in self.cfg.pejabat]
        if fx.kind == "permintaan_data":
            kepada = [
                f"Kepala {u.nama}" if u.kode != "SEK" else "Sekretaris Camat"
                for u in self.cfg.units
            ]
        if fx.kind == "undangan":
            kepada = [f"Bapak/Ibu Pejabat Eselon III dan IV di Lingkungan {self.cfg.kantor.nama}"]
        if fx.kind == "pengantar":
            kepada = [self.cfg.kasubag.jabatan]
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
            if t and t.step == self.reader.signature_step and self.cfg.kode_ttd:
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
        self.store.update_register(
            "register_keluar",
            now.year,
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
                if self._inbound_id is not None:
                    self.store.update_inbound(
                        self._inbound_id, rem=f"sudah dijawab sebelumnya hari ini ({fx.kind})"
                    )
                log.warning(
                    "pesan #%s dari %s tidak dibalas lagi: pemberitahuan %s sudah dikirim hari ini "
                    "(sudah dijawab sebelumnya hari ini)",
                    self._inbound_id or "-",
                    to[0],
                    fx.kind,
                    extra={
                        "cycle": st.code,
                        "step": fx.step,
                        "event": "sudah_dijawab_hari_ini",
                        "who": to[0],
                        "message_id": self._reply_to_mid,
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
            to = self.cfg.operators or to
        if fx.kind == "eskalasi":
            data["menunggu"] = [self.who(m) for m in data.get("menunggu", [])]
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

    # ------------------------------------------------------------------ outbox

    def dispatch(self) -> int:
        """Send what is due in the outbox. Returns how many were sent."""
        sent = 0
        for row in self.store.outbox_due(self.clock.now()):
            sent += self._send_one(row)
        return sent

    def _send_one(self, row: dict) -> int:
        now = self.clock.now()
        recipients = json.loads(row["recipients"])
        unknown = row.get("unknown") or 0
        if row["status"] == "mengirim":
            # The last attempt's outcome is unknown (a crash after the server took it?): look for
            # it before sending again; when nobody can tell, send again at most once, same ID.
            found = self.transport.find_sent(row["message_id"])
            if found or (found is None and unknown >= 1):
                with self.store.transaction():
                    self.store.update_outbox(row["id"], status="terkirim", sent=now.isoformat())
                    self.store.set_sent_date(row["message_id"], now)
                    self.store.add_log(
                        row["cycle"],
                        now,
                        row["step"],
                        "hasil_pengiriman_tidak_pasti",
                        ", ".join(recipients),
                        "ditemukan di folder Terkirim" if found else "sudah dikirim ulang sekali",
                    )
                return 0
            unknown += 1
        with self.store.transaction():
            self.store.update_outbox(
                row["id"], status="mengirim", attempts=row["attempts"] + 1, unknown=unknown
            )
        try:
            raw = Path(row["path"]).read_bytes()
            result = self.transport.send(raw, self.cfg.mail.alamat, recipients)
            crash_point("sent_unmarked")
        except TransportError as e:
            delay = RETRY_MINUTES[min(row["attempts"], len(RETRY_MINUTES) - 1)]
            status = "antri" if e.temporary else "gagal"
            with self.store.transaction():
                self.store.update_outbox(row["id"], status=status, error=str(e)[:500],
                                         next_attempt=(now + timedelta(minutes=delay)).isoformat())
                self.store.add_log(
                    row["cycle"],
                    now,
                    row["step"],
                    "pengiriman_gagal",
                    ", ".join(recipients),
                    f"{e} ({'dicoba lagi' if e.temporary else 'tidak dicoba lagi'})",
                )
            if not e.temporary:  # refused for good: every recipient is "tidak terkirim"
                self._undeliverable(row, {r: str(e) for r in recipients})
            log.warning(
                "pengiriman gagal kepada %s: %s",
                ", ".join(recipients),
                e,
                extra={
                    "cycle": row["cycle"],
                    "step": row["step"],
                    "event": "pengiriman_gagal",
                    "message_id": row["message_id"],
                },
            )
            return 0
        with self.store.transaction():  # marked sent and its refusals recorded together
            self.store.update_outbox(row["id"], status="terkirim", sent=now.isoformat(),
                                     refused=json.dumps(result.refused))
            self.store.set_sent_date(row["message_id"], now)
            self._undeliverable(row, result.refused)
        log.info("terkirim %s kepada %s", row["subject"], ", ".join(recipients),
                 extra={"cycle": row["cycle"], "step": row["step"], "event": "terkirim"})
        return 1

    def _undeliverable(self, row: dict, refused: dict[str, str]) -> None:
        """Recipients a letter will never reach. A notice about a failed notice is only logged:
        otherwise a Kasubag whose own address fails would start a mail loop."""
        for addr, why in refused.items():
            if (
                row["kind"] == "pemberitahuan:gagal_kirim"
                or row["kind"].startswith("operator:")
                or not row["cycle"]
            ):
                with self.store.transaction():
                    self.store.add_log(
                        row["cycle"],
                        self.clock.now(),
                        row["step"],
                        "tidak_terkirim",
                        addr,
                        why[:200],
                    )
            else:
                self.handle(
                    row["cycle"], E.Bounce(recipient=addr, detail=why, message_id=row["message_id"])
                )

    # ================================================================== inbound

    def poll(self) -> int:
        n = 0
        for inc in self.transport.fetch_new():
            outcome = self.ingest(inc.raw, inc.ref)
            try:
                self.transport.file(inc.ref, outcome)
            except TransportError as e:
                log.warning("tidak dapat memindahkan pesan %s: %s", inc.ref, e)
            n += 1
        return n

    def ingest(self, raw: bytes, ref: str = "") -> str:
        """Store first, record, then process. Returns the folder outcome."""
        sha, path = self.archive.store_raw(raw)
        now = self.clock.now()
        with self.store.transaction():
            mid, new = self.store.record_inbound(sha, str(path), len(raw), ref, now)
        crash_point("stored")
        if not new:
            row = self.store.inbound(mid)
            if row and row["status"] != "baru":
                return DIABAIKAN if row["status"] in ("diabaikan", "duplikat") else (
                    GAGAL if row["status"] in ("ditahan", "gagal") else DIPROSES)
        return self.process(mid)

    def process(self, inbound_id: int) -> str:
        self._inbound_id = inbound_id
        try:
            with self.store.transaction():
                outcome = self._process(inbound_id)
            crash_point("committed")
            return outcome
        except Exception as e:  # a parser or renderer crash: hold this message, go on with others
            log.exception("pesan %s gagal diproses", inbound_id)
            with self.store.transaction():
                row = self.store.inbound(inbound_id) or {}
                self.store.update_inbound(
                    inbound_id,
                    status="gagal",
                    reason=f"{type(e).__name__}: {e}"[:500],
                    attempts=(row.get("attempts") or 0) + 1,
                )
            return GAGAL
        finally:
            self._reply_to_mid = None
            self._inbound_id = None

    def _hold(self, id: int, a: Analysis, reason: str) -> str:
        self.store.update_inbound(
            id,
            status="ditahan",
            reason=reason,
            kind=a.cls.kind,
            cycle=a.task["cycle"] if a.task else None,
            task=a.task["key"] if a.task else None,
        )
        if a.task:
            self.store.add_log(a.task["cycle"], self.clock.now(), a.task["step"], "pesan_ditahan",
                               a.parsed.from_addr, reason)
        log.warning(
            "pesan #%s dari %s ditahan: %s",
            id,
            a.parsed.from_addr,
            reason,
            extra={
                "cycle": a.task["cycle"] if a.task else None,
                "step": a.task["step"] if a.task else None,
                "event": "pesan_ditahan",
                "who": a.parsed.from_addr,
                "message_id": a.parsed.message_id,
            },
        )
        return GAGAL

    def _process(self, id: int) -> str:
        row = self.store.inbound(id)
        raw = Path(row["path"]).read_bytes()
        now = self.clock.now()
        a = self.reader.analyse(raw)
        p = a.parsed
        self.store.update_inbound(
            id,
            message_id=p.message_id,
            sender=p.from_addr,
            subject=p.subject[:300],
            kind=a.cls.kind,
            processed=now.isoformat(),
            attempts=(row["attempts"] or 0) + 1,
        )
        if p.message_id and self.store.seen_message_id(p.message_id, id):
            self.store.update_inbound(
                id, status="duplikat", reason="Message-ID sudah pernah diproses"
            )
            return DIABAIKAN
        if a.cls.kind == "bounce":
            return self._bounce(id, a)
        if a.cls.kind in ("auto_reply", "unrelated"):
            self.store.update_inbound(id, status="diabaikan", reason=a.cls.reason)
            log.info(
                "pesan #%s dari %s diabaikan (%s: %s)",
                id,
                p.from_addr,
                a.cls.kind,
                a.cls.reason,
                extra={"event": "pesan_diabaikan", "who": p.from_addr, "message_id": p.message_id},
            )
            return DIABAIKAN
        if a.cls.kind == "malformed":
            return self._hold(id, a, f"pesan rusak: {a.cls.reason}")
        if a.task is None:
            return self._hold(
                id, a, "tidak cocok dengan tugas mana pun (token/Message-ID tidak dikenal)"
            )
        if not a.sender_ok:
            return self._hold(id, a, a.sender_reason)
        task = a.task
        st = self.store.load_cycle(task["cycle"])
        et = st.task(task["key"]) if st else None
        self.store.update_inbound(id, cycle=task["cycle"], task=task["key"])
        self._reply_to_mid = p.message_id
        if et is None:
            return self._hold(id, a, "tugas tidak ditemukan pada siklus")
        if et.status != TaskStatus.OPEN or st.status != CycleStatus.RUNNING:
            self._advance(st, E.Reply(task=et.key, sender=p.from_addr, decision=a.decision.decision,
                                      subject=_subject(p.subject), message_id=p.message_id or ""))
            self.store.update_inbound(
                id, status="diproses", reason="tugas sudah ditutup: dijawab sudah diproses"
            )
            return DIPROSES
        if p.refused:
            self._advance(st, E.WrongFile(task=et.key, sender=p.from_addr, errors=list(p.refused),
                                          too_large=True), now)
            self.store.update_inbound(
                id, status="ditahan", reason="melebihi batas: " + "; ".join(p.refused)[:400]
            )
            return GAGAL
        if et.purpose == "form":
            event = self._form_event(id, a, st, et, now)
            if isinstance(event, E.WrongFile):
                self._advance(st, event, now)
                self.store.update_inbound(id, status="diproses", reason="lampiran bukan formulir")
                return DIPROSES
        else:
            event = self._reply_event(a, st, et)
        self._advance(st, event)
        self.store.update_inbound(id, status="diproses", reason="")
        log.info("pesan #%s dari %s diproses (%s %s)", id, p.from_addr, task["cycle"], task["step"],
                 extra={"cycle": task["cycle"], "step": task["step"], "event": "pesan_diproses",
                        "who": p.from_addr, "message_id": p.message_id})
        return DIPROSES

    def _store_attachment(self, cycle: str, att) -> E.StoredFile:
        sha, path = self.archive.store_received(cycle, att.data, att.filename)
        return E.StoredFile(path=str(path), sha256=sha, filename=att.filename)

    def _form_event(self, id: int, a: Analysis, st: E.CycleState, et: E.Task, now: datetime
                    ) -> E.FormIn | E.Reply | E.WrongFile:
        p = a.parsed
        if a.form is None or (not a.form.rows and not a.form.code):
            from daemon.documents.wrongfile import describe

            # each file named with what it is (SPEC §6.2); a picture inline in the text (a signature
            # logo) is only named when nothing else was attached
            attached = [(att, role) for att, role in a.roles if att.source != "inline"] or a.roles
            reasons = [
                describe(att.data, att.filename) or f"{att.filename}: bukan formulir DOCX/XLSX"
                for att, role in attached
                if role != "form"
            ]
            if a.form is not None:
                name = a.form_attachment.filename if a.form_attachment else ""
                reasons += [f"{name}: {e}" if name else str(e) for e in a.form.errors]
            if not a.roles:
                return E.Reply(
                    task=et.key,
                    sender=p.from_addr,
                    decision=a.decision.decision,
                    note=a.decision.note,
                    subject=_subject(p.subject),
                    message_id=p.message_id or "",
                )
            return E.WrongFile(task=et.key, sender=p.from_addr, errors=reasons)
        from daemon.documents import check_form

        expected = FormCode(st.code, et.unit or "", et.doc_version or 1)
        result = check_form(a.form, expected, self.indicators_for(et.unit or ""),
                            unit_names={u.kode: u.nama for u in self.cfg.units})
        peringatan = self._plausibility(st, et.unit or "", result)
        att = a.form_attachment
        stored = self._store_attachment(st.code, att)
        rows = [r.__dict__ for r in result.rows]
        sub_id = self.store.add_submission(
            cycle=st.code,
            unit=et.unit,
            received=now.isoformat(),
            message_id=p.message_id,
            sender=p.from_addr,
            filename=att.filename,
            sha256=stored.sha256,
            path=stored.path,
            ok=int(result.ok),
            errors=[str(e) for e in result.errors],
            warnings=[str(w) for w in result.warnings],
            rows=rows,
            peringatan=peringatan,
            catatan=list(result.notes),
        )
        if result.ok:
            self.store.add_document(
                cycle=st.code,
                kind="form_received",
                version=st.units[et.unit].version + 1,
                unit=et.unit,
                path=stored.path,
                sha256=stored.sha256,
                source="diterima",
                message_id=p.message_id or "",
                now=now,
            )
        return E.FormIn(
            task=et.key,
            sender=p.from_addr,
            ok=result.ok,
            errors=[str(e) for e in result.errors],
            warnings=[str(w) for w in result.warnings],
            message_id=p.message_id or "",
            submission_id=sub_id,
            filename=att.filename,
            notes=list(result.notes),
        )

    def _plausibility(self, st: E.CycleState, unit: str, result) -> list[dict]:
        """Plausibility warnings (SPEC §6.2) added to the form's warnings; returned as the dicts the
        draft report lists (`peringatan`)."""
        from daemon.core import plausibility

        period = Period.parse(st.period)
        previous = plausibility.previous_figures(self.store.kinerja_year(period.year), period, unit)
        found = plausibility.check(result.rows, self.indicators_for(unit), period, previous)
        result.warnings.extend(w.problem() for w in found)
        nama = next((u.nama for u in self.cfg.units if u.kode == unit), unit)
        return [w.as_dict(unit, nama) for w in found]

    def _reply_event(self, a: Analysis, st: E.CycleState, et: E.Task) -> E.Reply:
        p = a.parsed
        docx = pdf = None
        others = []
        for att, role in a.roles:
            if role in ("document", "form") and docx is None and att.data[:2] == b"PK":
                docx = self._store_attachment(st.code, att)
            elif role == "signed_pdf" and pdf is None:
                pdf = self._store_attachment(st.code, att)
            elif role != "ignored" or att.source != "inline":
                others.append(self._store_attachment(st.code, att))
        d = a.decision
        if a.code_problem and pdf is not None:  # a signed PDF counts only with the code (S11)
            others.append(pdf)
            pdf = None
        why = ""
        if a.code_problem:
            why = (
                f"{a.code_problem}; untuk menandatangani, balas e-mail permohonan penandatanganan "
                "dengan SETUJU diikuti kode enam angka yang tertera di e-mail itu"
            )
        return E.Reply(task=et.key, sender=p.from_addr, decision=d.decision, note=d.note,
                       message_id=p.message_id or "", subject=self._letter_subject(p, et),
                       meeting_date=d.meeting_date, meeting_time=d.meeting_time,
                       meeting_place=d.meeting_place, docx=docx, pdf=pdf, other_files=others,
                       why=why, kode_ttd=a.code_given,
                       understood=understood(d) if d.decision == "unclear" else "",
                       unclear=[explain(u) for u in d.reasons])

    def _letter_subject(self, p, et: E.Task) -> str:
        """The subject a register shows for a reply: the reply's own, unless it answers one of
        Pantau's notices (a clarification, a reminder), whose subject says nothing of the
        matter; then the subject of the task's letter."""
        subject = _subject(p.subject)
        if not self.store.task_notice_with_subject(et.key, subject):
            return subject
        letter = self.store.task_letter_subject(et.key)
        return _subject(letter) if letter else subject

    def _bounce(self, id: int, a: Analysis) -> str:
        info = a.cls.bounce
        cycle, row = None, None
        if info and info.original_message_id:
            row = self.store.outbox_by_message_id(info.original_message_id)
            cycle = row["cycle"] if row else None
        if cycle and info:
            self._undeliverable(row, {addr: f"status {status}" for addr, status in info.recipients})
        self.store.update_inbound(
            id, status="diabaikan", reason=f"laporan gagal kirim ({a.cls.reason})", cycle=cycle
        )
        return DIABAIKAN

    def replay(self, inbound_id: int) -> str:
        with self.store.transaction():
            self.store.update_inbound(inbound_id, status="baru", reason="", rem="")
        return self.process(inbound_id)

    # ================================================================== one round

    def run_once(self) -> dict:
        """One round of the daemon's work: inbox, timers, outbox."""
        got = self.poll()
        ticked = self.sweep()
        sent = self.dispatch()
        self.retry_final_pdfs()
        return {"received": got, "ticked": ticked, "sent": sent}

    def retry_final_pdfs(self) -> None:
        """A final report whose PDF LibreOffice failed to make is tried again, at most every
        15 minutes (SPEC §6.5); the cycle log says when it is still missing."""
        from daemon.documents.pdf import soffice_path

        missing = self.store.final_reports_without_pdf()
        if not missing or soffice_path() is None:
            return
        now = self.clock.now()
        for code in missing:
            key = f"pdf_retry:{code}"
            last = self.store.meta(key)
            if last and now - datetime.fromisoformat(last) < timedelta(minutes=15):
                continue
            self.store.set_meta(key, now.isoformat())
            st = self.store.load_cycle(code)
            if st is not None and self.producer.final_pdf(st, now):
                self.store.add_log(code, now, "", "pdf_laporan_final_dibuat", "",
                                   "PDF laporan final berhasil dibuat pada percobaan ulang")


def _subject(subject: str) -> str:
    """A reply's subject as a register shows it: no Re:/BLS: prefixes, no cycle tag, no token."""
    s = re.sub(
        r"\[\s*#?[0-9A-Za-z]{4}-[0-9A-Za-z]{4}\s*\]|\[PK-[^\]]*\]", " ", subject_clean(subject)
    )
    return subject_clean(re.sub(r"\s+", " ", s).strip())


def _berkas(doc: dict | None) -> dict:
    return {"nama": Path(doc["path"]).name, "sha256": doc["sha256"]} if doc else {}
