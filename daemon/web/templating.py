"""The dashboard's Jinja environment: its filters, in Indonesian, and what every text passes.

Every text a template prints is cleaned of tokens and Message-IDs (`pages.clean`); dates and
times are shown in the office's time zone.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from daemon.core import formatting as fmt
from daemon.operator.report_text import PURPOSE_ID, STATUS_ID, ago
from daemon.web import pages
from daemon.web.context import Office

HERE = Path(__file__).parent
DOC_KIND_ID = {
    "form": "formulir kosong",
    "form_received": "formulir diterima",
    "draft_report": "konsep laporan",
    "final_report": "laporan akhir (DOCX)",
    "final_report_pdf": "laporan akhir (PDF)",
    "invitation": "undangan rapat",
    "invitation_ics": "undangan (kalender)",
    "cover_letter": "surat pengantar",
    "emonev_export": "data e-Monev (XLSX)",
    "emonev_export_csv": "data e-Monev (CSV)",
    "nota_dinas": "nota dinas",
    "request_letter": "surat permintaan data",
    "timeliness_summary": "ringkasan ketepatan waktu",
    "signed_pdf": "PDF bertanda tangan",
}
OUTBOX_ID = {
    "antri": "menunggu",
    "mengirim": "sedang dikirim",
    "terkirim": "terkirim",
    "gagal": "gagal",
    "batal": "dibatalkan",
}


def _dt(value: Any, tz) -> datetime | None:
    if isinstance(value, datetime):
        return value.astimezone(tz)
    return pages.when(value, tz)


def _finalize(v: Any) -> Any:
    """Every text a template prints is cleaned of tokens and Message-IDs (markup we drew is not)."""
    if isinstance(v, str) and not isinstance(v, Markup):
        return pages.clean(v)
    return v


def make_env(office: Office) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(HERE / "templates")),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.ChainableUndefined,
                             finalize=_finalize)
    tz = office.tz

    def saat(v):
        d = _dt(v, tz)
        return f"{fmt.tanggal(d)} {fmt.waktu(d)}" if d else "-"

    def saat_pendek(v):
        d = _dt(v, tz)
        return f"{d.day} {fmt.bulan(d.month)[:3]} {fmt.jam(d)}" if d else "-"

    env.filters.update({
        "saat": saat, "saat_pendek": saat_pendek,
        "tanggal": lambda v: fmt.tanggal(d) if (d := _dt(v, tz)) else "-",
        "angka": lambda v, n=None: fmt.angka(v, n) if v is not None else "-",
        "persen": lambda v: f"{fmt.persen(v)} %" if v is not None else "-",
        "durasi": fmt.format_duration, "status_id": lambda s: STATUS_ID.get(s, s or "-"),
        "jenis_dokumen": lambda k: DOC_KIND_ID.get(k, (k or "").replace("_", " ")),
        "tujuan_id": lambda p: PURPOSE_ID.get(p, p or "-"), "lalu": ago,
        "kirim_id": lambda s: OUTBOX_ID.get(s, s or "-"),
        "peristiwa": lambda e: (e or "").replace("_", " "),
    })
    env.globals.update({"kantor": office.cfg.kantor, "unit_names": office.unit_names})
    return env
