"""`[kantor]`: the office itself, its time zone, its working hours and its extra holidays."""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from daemon.config.reader import Reader, parse_time, resolve_path
from daemon.core.model import Office


def read_kantor(r: Reader, office_dir: Path) -> dict[str, Any]:
    """[kantor]: the office, its time zone, working hours and extra holidays file."""
    tz = r.get("kantor.zona_waktu", str, "Asia/Jakarta")
    try:
        ZoneInfo(tz or "Asia/Jakarta")
    except (ZoneInfoNotFoundError, ValueError):
        r.problems.append(
            f"kantor.zona_waktu: {tz!r} bukan zona waktu yang dikenal; "
            'diharapkan misalnya "Asia/Jakarta"'
        )
        tz = "Asia/Jakarta"
    logo = r.get("kantor.logo", str, "")
    logo_path = resolve_path(office_dir, logo) if logo else None
    if logo_path and not logo_path.exists():
        r.problems.append(f"kantor.logo: berkas {logo!r} tidak ditemukan")
        logo_path = None
    kantor = Office(
        nama=r.get("kantor.nama", str) or "",
        kabupaten=r.get("kantor.kabupaten", str) or "",
        alamat=r.get("kantor.alamat", str, ""),
        kota=r.get("kantor.kota", str) or "",
        kode_unit=r.get("kantor.kode_unit", str) or "",
        zona_waktu=tz,
        domain=r.get("kantor.domain", str) or "localhost",
        logo=str(logo_path) if logo_path else None,
        telepon=r.get("kantor.telepon", str, ""),
        email=r.get("kantor.email", str, ""),
        laman=r.get("kantor.laman", str, ""),
    )
    weekday = parse_hours(r, "kantor.jam_kerja", "07:30-16:00")
    friday = parse_hours(r, "kantor.jam_kerja_jumat", "07:30-16:30")
    jam_kerja = {0: weekday, 1: weekday, 2: weekday, 3: weekday, 4: friday}
    libur = r.get("kantor.libur_tambahan", str, "")

    return {"kantor": kantor, "jam_kerja": jam_kerja,
            "libur_tambahan": resolve_path(office_dir, libur) if libur else None}


def parse_hours(r: Reader, key: str, default: str) -> tuple[time, time]:
    text = r.get(key, str, default, 'rentang jam seperti "07:30-16:00"')
    try:
        a, b = (text or default).split("-")
        start, end = parse_time(a), parse_time(b)
        if end <= start:
            raise ValueError
        return start, end
    except ValueError:
        r.problems.append(
            f'{key}: nilai {text!r} bukan rentang jam; diharapkan seperti "07:30-16:00"'
        )
        a, b = default.split("-")
        return parse_time(a), parse_time(b)
