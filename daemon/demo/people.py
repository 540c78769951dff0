"""The demo's simulated people: the Camat, the Sekretaris, the Kasubag and the units, each with a
Maildir, who answer Pantau's mail the way people do — replies quoting the original in the style
of their mail client (Gmail, iPhone, Outlook, Thunderbird, in Indonesian), forms filled in with
python-docx, an invalid form corrected, a late unit, an out-of-office auto-reply, REVISI loops.
`unit_plan` says which unit plays which part. daemon/demo/simulation.py runs them on its clock.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # simulation.py imports this module: the type only, to avoid a cycle
    from daemon.demo.simulation import Simulation


@dataclass
class Incoming:
    msg: EmailMessage
    subject: str
    raw: bytes


@dataclass
class Person:
    """Someone with a Maildir who answers Pantau's mail according to a small script."""

    email: str
    name: str
    sim: Simulation = field(repr=False)
    seen: int = 0

    def inbox(self) -> list[Incoming]:
        out = []
        for raw in self.sim.mailer.fetch(self.email):
            msg = message_from_bytes(raw, policy=policy.default)
            out.append(Incoming(msg, str(msg["Subject"] or ""), raw))
        return out

    def on_mail(self, m: Incoming) -> None:
        """Override: decide how to answer."""

    def reply(
        self, m: Incoming, text: str, after_minutes: float = 5, attachments=(), auto=False
    ) -> None:
        orig = m.msg
        r = EmailMessage()
        r["From"] = formataddr((self.name, self.email))
        r["To"] = str(orig["Reply-To"] or orig["From"])
        r["Subject"] = ("Otomatis: " if auto else "Re: ") + str(orig["Subject"] or "")
        r["Message-ID"] = make_msgid(domain=self.email.split("@")[1])
        r["In-Reply-To"] = str(orig["Message-ID"])
        r["References"] = str(orig["Message-ID"])
        if auto:
            r["Auto-Submitted"] = "auto-replied"
        when = self.sim.clock.now() + timedelta(minutes=after_minutes)
        r["Date"] = format_datetime(when)
        if auto:
            r.set_content(text + "\n")
        else:
            self.write_body(r, orig, text, when)
        for name, data in attachments:
            r.add_attachment(
                data,
                maintype="application",
                subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
                filename=name,
            )
        self.sim.later(
            when,
            self.sim.app.cfg.mail.alamat,
            bytes(r),
            f"{self.email}: {text.splitlines()[0][:60]}",
        )

    style: str = "gmail"

    def write_body(self, r: EmailMessage, orig, text: str, when: datetime) -> None:
        """The reply as this person's mail client writes it: new text, then the quoted original."""
        body = orig.get_body(("plain",))
        lines = (body.get_content() if body else "").splitlines()[:8]
        stamp = orig["Date"].datetime if orig["Date"] else when
        sender = str(orig["From"])
        if self.style == "gmail":  # Gmail in Indonesian, the header wrapped before "menulis:"
            head = (f"Pada {stamp.strftime('%d/%m/%Y')} pukul {stamp.strftime('%H.%M')} "
                    f"{sender}\nmenulis:")
            r.set_content(f"{text}\n\n{head}\n" + "\n".join("> " + x for x in lines) + "\n")
        elif self.style == "iphone":  # iOS Mail: signature line, then the quote
            head = (f"Pada {stamp.strftime('%d %b %Y')}, pukul {stamp.strftime('%H.%M')}, "
                    f"{sender} menulis:")
            r.set_content(
                f"{text}\n\nDikirim dari iPhone saya\n\n{head}\n\n"
                + "\n".join("> " + x for x in lines)
                + "\n"
            )
        elif (
            self.style == "outlook"
        ):  # Outlook in Indonesian: HTML and text, a header block, no ">"
            block = (f"Dari: {sender}\nDikirim: {stamp.strftime('%A, %d %B %Y %H.%M')}\n"
                     f"Kepada: {self.email}\nSubjek: {orig['Subject']}")
            r.set_content(
                f"{text}\n\n________________________________\n{block}\n\n" + "\n".join(lines) + "\n"
            )
            html_text = "<br>".join(text.splitlines())
            r.add_alternative(
                f'<html><body><div>{html_text}</div><div id="divRplyFwdMsg"><hr>'
                f"<b>Dari:</b> {sender}<br><b>Subjek:</b> {orig['Subject']}</div>"
                f"<div>{'<br>'.join(lines)}</div></body></html>",
                subtype="html",
            )
        else:  # Thunderbird: "Pada <date>, <sender> menulis:" and ">" quoting
            head = f"Pada {stamp.strftime('%d/%m/%y %H.%M')}, {sender} menulis:"
            r.set_content(f"{text}\n\n{head}\n" + "\n".join("> " + x for x in lines) + "\n")


class Camat(Person):
    def on_mail(self, m: Incoming) -> None:
        s = m.subject
        if "Permohonan Perintah" in s:
            self.reply(m, "SETUJU, segera laksanakan.", 12)
        elif "Penyampaian Konsep" in s:
            day = self.sim.clock.now() + timedelta(days=1)
            while day.weekday() >= 5:
                day += timedelta(days=1)
            self.reply(m, f"JADWAL {day.strftime('%d-%m-%Y')} 09.00 di Aula Kantor Camat", 40)
        elif "Penandatanganan" in s:
            # As a person does: read the six-digit code from the letter's body and copy it.
            body = m.msg.get_body(("plain",))
            found = re.search(r"balas:\s*SETUJU\s+(\d{6})", body.get_content() if body else "")
            self.reply(m, f"SETUJU {found.group(1)}" if found else "Setuju.", 90)


class Sekretaris(Person):
    def on_mail(self, m: Incoming) -> None:
        s = m.subject
        if "Penyampaian Konsep" in s:
            if not self.sim.flags.get("sekretaris_revisi"):
                self.sim.flags["sekretaris_revisi"] = True
                self.reply(
                    m,
                    "REVISI\nMohon ditambahkan analisis faktor penghambat Seksi Pemerintahan\n"
                    "dan penjelasan unit yang terlambat menyampaikan data.",
                    50,
                )
            else:
                self.reply(m, "OK, lanjutkan ke Pak Camat.", 30)
        elif "Permohonan Koreksi" in s:
            self.reply(m, "Setuju", 25)


class Kasubag(Person):
    def on_mail(self, m: Incoming) -> None:
        s = m.subject
        if "Konsep Laporan Pemantauan" in s and "Penyampaian" not in s:
            # The first draft waits for the late unit; a recompiled draft is approved.
            version = self.sim.app.store.load_cycle(self.sim.code).draft_version
            if version >= 2 or not self.sim.late_units:
                self.reply(m, "SETUJU", 60)
        elif "Permintaan revisi" in s:
            self.reply(m, "Terlampir laporan yang sudah diperbaiki.", 90,
                       attachments=[("Laporan-perbaikan.docx", self.edited(m))])
        elif "Hasil rapat" in s:
            self.reply(
                m,
                "REVISI\n"
                "Hasil rapat: target Seksi Trantib disesuaikan dan rekomendasi tindak lanjut\n"
                "ditambahkan sesuai arahan Camat.",
                30,
            )
        elif "Entri e-Monev" in s:
            self.reply(m, "SELESAI. Data sudah dientri di e-Monev dan e-Project.", 15)

    def edited(self, m: Incoming) -> bytes:
        """Open the attached report in python-docx, add the requested changes, save."""
        from docx import Document

        for part in m.msg.iter_attachments():
            if (part.get_filename() or "").endswith(".docx"):
                doc = Document(io.BytesIO(part.get_content()))
                doc.add_paragraph(
                    "Tambahan atas permintaan revisi: analisis faktor penghambat telah "
                    "dilengkapi dan rekomendasi tindak lanjut disesuaikan."
                )
                out = io.BytesIO()
                doc.save(out)
                return out.getvalue()
        raise RuntimeError("tidak ada laporan terlampir")


class Unit(Person):
    """A section. `plan`: 'ok', 'salah_dulu' (a word where a number belongs, then corrected),
    'setelah_pengingat' (answers after the reminder), 'terlambat' (after the deadline, with an
    out-of-office reply first)."""

    plan: str = "ok"
    factor: float = 0.9
    kode: str = ""

    def on_mail(self, m: Incoming) -> None:
        s = m.subject
        if "Permintaan Data" in s:
            self.sim.forms[self.email] = m
            if self.plan in ("ok", "janggal"):
                self.reply(
                    m,
                    "Terlampir data kinerja kami.",
                    240 + (60 * len(self.sim.forms)) % 1380,
                    attachments=[self.filled(m)],
                )
            elif self.plan == "salah_dulu":
                self.reply(m, "Terlampir formulir.", 300, attachments=[self.filled(m, broken=True)])
            elif self.plan == "terlambat":
                self.reply(
                    m,
                    "Saya sedang cuti sampai 10 Oktober 2025. Pesan akan dibalas setelah saya "
                    "kembali.",
                    1,
                    auto=True,
                )
        elif "perlu diperbaiki" in s:
            self.reply(m, "Mohon maaf, berikut formulir yang sudah diperbaiki.", 120,
                       attachments=[self.filled(self.sim.forms[self.email])])
        elif (
            "Pengingat" in s
            and self.plan == "setelah_pengingat"
            and not self.sim.flags.get(self.email)
        ):
            self.sim.flags[self.email] = True
            self.reply(m, "Maaf terlambat, terlampir data kami.", 180,
                       attachments=[self.filled(self.sim.forms[self.email])])
        elif "tidak menyampaikan data" in s.lower() or (
            "Pengingat" in s and self.plan == "terlambat"
        ):
            pass

    def filled(self, m: Incoming, broken: bool = False) -> tuple[str, bytes]:
        from docx import Document

        for part in m.msg.iter_attachments():
            name = part.get_filename() or ""
            if not name.endswith(".docx"):
                continue
            doc = Document(io.BytesIO(part.get_content()))
            table = next(
                (t for t in doc.tables if "Realisasi" in " ".join(c.text for c in t.rows[0].cells)),
                None,
            )
            if table is None:  # the request letter travels with the form
                continue
            head = [c.text.strip() for c in table.rows[0].cells]
            col = {h: i for i, h in enumerate(head)}
            lookup = getattr(self.sim.app, "indicators_for", None)  # absent in the crash harness
            inds = lookup(self.kode) if lookup and self.kode else []
            pagu = {i.no: i.pagu for i in inds}
            polar = {i.no: i.polaritas for i in inds}
            for i, row in enumerate(table.rows[1:]):
                cells = row.cells
                no = cells[col["No"]].text.strip()
                target_text = cells[col["Target"]].text.strip().replace(".", "").replace(",", ".")
                try:
                    target = float(target_text)
                except ValueError:
                    continue
                f = self.factor + 0.03 * (i % 3)
                if polar.get(no) == "negatif":  # fewer cases is better: well below the ceiling
                    f = max(0.0, 2 - f - 0.1)
                real = round(target * f, 1)
                if self.plan == "janggal" and i == 0:
                    real = round(target * 2.4, 1)  # implausible: far above the target
                value = f"{real:.1f}".replace(".", ",")
                if broken and i == 1:
                    value = "delapan puluh"
                cells[col["Realisasi"]].text = value
                budget = pagu.get(no)
                spent = (budget * min(0.97, 0.45 + 0.5 * self.factor) if budget
                         else 12_500_000 * (i + 1) * self.factor)
                if self.plan == "janggal" and i == 0 and budget:
                    spent = budget * 1.35  # implausible: more than the pagu
                if inds and not budget:  # no pagu, no spending to report
                    cells[col["Realisasi Anggaran (Rp)"]].text = "-"
                else:
                    cells[col["Realisasi Anggaran (Rp)"]].text = f"Rp {int(spent):,}".replace(
                        ",", "."
                    )
                cells[
                    col["Faktor Pendorong"]
                ].text = "Dukungan aparatur nagari dan koordinasi yang baik"
                cells[col["Faktor Penghambat"]].text = (
                    "Keterbatasan anggaran operasional" if i % 2 else "-"
                )
                cells[col["Tindak Lanjut"]].text = "Meningkatkan koordinasi lintas sektor"
            out = io.BytesIO()
            doc.save(out)
            return name, out.getvalue()
        raise RuntimeError("formulir tidak ditemukan")


def unit_plan(i: int, n: int) -> tuple[str, float]:
    """How the i-th of n units answers, and how well it did (its realisation / target).
    The shipped five: ok, ok, an invalid form corrected, after the reminder, late. Beyond them a
    few late, implausible and reminded units, and achievement spread over every band."""
    first = [("ok", 0.9), ("ok", 0.93), ("salah_dulu", 0.95), ("setelah_pengingat", 0.88),
             ("terlambat", 0.91)]
    if i < len(first):
        return first[i]
    spread = [1.02, 0.95, 0.84, 0.97, 0.72, 0.9, 1.0, 0.6, 0.93, 0.8, 0.99, 0.45, 0.88, 0.96]
    factor = spread[i % len(spread)]
    if i % 19 == 11:
        return "terlambat", factor
    if i % 13 == 7:
        return "janggal", factor
    if i % 11 == 3:
        return "setelah_pengingat", factor
    return "ok", factor
