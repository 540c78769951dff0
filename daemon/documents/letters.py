"""Letters (surat dinas, nota dinas, undangan, surat pengantar, ringkasan) and meeting invites.

`render_letter` picks the template by `Letter.kind`:

    permintaan_data -> surat_dinas.docx   (S3: data request to the units)
    nota_dinas      -> nota_dinas.docx    (S1, S5, S6, S10, S11, S13; wording by `purpose`)
    undangan        -> undangan.docx      (S7: meeting invitation; needs `rapat`)
    pengantar       -> pengantar.docx     (S12: cover letter with its No/Jenis/Banyaknya table)
    ringkasan       -> ringkasan.docx     (timeliness summary when a cycle closes)

Variables every letter template sees: all `Letter` fields by name (kantor, period, nomor,
tanggal, hal, kepada, penandatangan, purpose, dari, atas_nama, sifat, lampiran, tembusan,
cycle_code, version, batas_waktu, balas_ke, catatan, rapat, items, ringkasan, kind), plus `logo`
(an image or ""), `sapaan` ("Bapak/Ibu" to superiors, "Saudara" to staff) and
`sertakan_cara_balas` (True: say how to answer by e-mail). Filters: see render.FILTERS.

`render_ics` writes the iCalendar invitation (METHOD:REQUEST) that goes with the undangan.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from daemon.documents.contexts import Letter, Meeting
from daemon.documents.render import atomic_write, render_docx

log = logging.getLogger(__name__)

TEMPLATE_FOR_KIND = {
    "permintaan_data": "surat_dinas.docx",
    "nota_dinas": "nota_dinas.docx",
    "undangan": "undangan.docx",
    "pengantar": "pengantar.docx",
    "ringkasan": "ringkasan.docx",
}

NOTA_PURPOSES = ("perintah", "konsep", "ajukan_konsep", "koreksi", "tanda_tangan", "emonev", "")

# Letters to a superior say "Bapak/Ibu"; to staff (units, the Kasubag) "Saudara".
_SAUDARA_PURPOSES = {"konsep", "emonev"}
LOGO_WIDTH_MM = 20


def sapaan(letter: Letter) -> str:
    if letter.kind == "permintaan_data":
        return "Saudara"
    if letter.kind == "nota_dinas" and letter.purpose in _SAUDARA_PURPOSES:
        return "Saudara"
    if letter.kind == "nota_dinas" and len([k for k in letter.kepada if k]) == 1:
        return letter.kepada[0]  # a named official is addressed by office (SPEC §6.5)
    return "Bapak/Ibu"


def letter_context(letter: Letter) -> dict[str, Any]:
    """The template context of a letter (see the module docstring)."""
    if letter.kind not in TEMPLATE_FOR_KIND:
        raise ValueError(
            f"jenis surat {letter.kind!r} tidak dikenal; yang tersedia: "
            + ", ".join(TEMPLATE_FOR_KIND)
        )
    if letter.kind == "nota_dinas" and letter.purpose not in NOTA_PURPOSES:
        raise ValueError(f"keperluan nota dinas {letter.purpose!r} tidak dikenal")
    if letter.kind == "undangan" and letter.rapat is None:
        raise ValueError("surat undangan memerlukan data rapat (Letter.rapat)")
    ctx = {f.name: getattr(letter, f.name) for f in fields(letter)}
    ctx["kepada"] = list(letter.kepada)
    ctx["logo"] = ""
    ctx["sapaan"] = sapaan(letter)
    ctx["sertakan_cara_balas"] = True
    return ctx


def logo_image(logo: str | None) -> tuple[str, float] | None:
    """The office logo as an image spec for render_docx, or None when unset or missing."""
    if logo and Path(logo).is_file():
        return (logo, LOGO_WIDTH_MM)
    if logo:
        log.warning("logo kantor %s tidak ditemukan; surat dibuat tanpa logo", logo)
    return None


def render_letter(
    letter: Letter, templates_dir: str | os.PathLike[str], out_path: str | os.PathLike[str]
) -> str:
    """Render `letter` with the template for its kind into `out_path`; return the sha256 hex."""
    ctx = letter_context(letter)
    template = Path(templates_dir) / TEMPLATE_FOR_KIND[letter.kind]
    return render_docx(
        template,
        ctx,
        out_path,
        images={"logo": logo_image(letter.kantor.logo)},
        properties={
            "title": letter.hal,
            "subject": letter.nomor or letter.hal,
            "keywords": letter.cycle_code,
            "author": letter.kantor.nama,
        },
    )


# --------------------------------------------------------------------------- iCalendar


def meeting_uid(meeting: Meeting, domain: str = "pantau.invalid") -> str:
    """The meeting's UID: `meeting.uid` when set, else one derived from the acara (stable across
    reschedules of the same meeting, so calendars update the event instead of adding one)."""
    if meeting.uid:
        return meeting.uid
    digest = hashlib.sha256(meeting.acara.encode("utf-8")).hexdigest()[:24]
    return f"{digest}@{domain}"


def render_ics(
    meeting: Meeting,
    out_path: str | os.PathLike[str],
    *,
    sequence: int = 0,
    tz: str | None = None,
    dtstamp: datetime | None = None,
    organizer_name: str = "",
) -> str:
    """Write the meeting as an iCalendar invitation (METHOD:REQUEST) and return its sha256 hex.

    DTSTART/DTEND are in the office zone `tz` (default: the zone of `meeting.mulai` when it is
    a ZoneInfo, else Asia/Jakarta) with a VTIMEZONE for it; ORGANIZER is
    `meeting.penyelenggara`; every `meeting.peserta` is an ATTENDEE with RSVP=TRUE. A rescheduled
    meeting keeps its UID and must be sent with a higher `sequence`.
    """
    from icalendar import Calendar, Event, vCalAddress, vText

    if meeting.mulai.tzinfo is None or meeting.selesai.tzinfo is None:
        raise ValueError("waktu rapat harus memiliki zona waktu")
    zone = ZoneInfo(tz or getattr(meeting.mulai.tzinfo, "key", None) or "Asia/Jakarta")
    cal = Calendar()
    cal.add("prodid", "-//Pantau//Pemantauan Kinerja//ID")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "REQUEST")
    ev = Event()
    domain = meeting.penyelenggara.partition("@")[2] or "pantau.invalid"
    ev.add("uid", meeting_uid(meeting, domain))
    ev.add("dtstamp", (dtstamp or datetime.now(UTC)).astimezone(UTC))
    ev.add("dtstart", meeting.mulai.astimezone(zone))
    ev.add("dtend", meeting.selesai.astimezone(zone))
    ev.add("summary", meeting.acara)
    ev.add("location", meeting.tempat)
    ev.add("description", f"{meeting.acara}\nTempat: {meeting.tempat}")
    ev.add("sequence", sequence)
    ev.add("status", "CONFIRMED")
    ev.add("transp", "OPAQUE")
    if meeting.penyelenggara:
        org = vCalAddress(f"mailto:{meeting.penyelenggara}")
        if organizer_name:
            org.params["cn"] = vText(organizer_name)
        org.params["role"] = vText("CHAIR")
        ev.add("organizer", org, encode=False)
    for email in meeting.peserta:
        att = vCalAddress(f"mailto:{email}")
        att.params["cutype"] = vText("INDIVIDUAL")
        att.params["role"] = vText("REQ-PARTICIPANT")
        att.params["partstat"] = vText("NEEDS-ACTION")
        att.params["rsvp"] = vText("TRUE")
        ev.add("attendee", att, encode=False)
    cal.add_component(ev)
    cal.add_missing_timezones()
    return atomic_write(out_path, cal.to_ical())
