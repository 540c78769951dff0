"""`[pejabat.*]` and `[[unit]]`: the officials of every role and the units with their heads,
each with their delegates (`wakil`).
"""

from __future__ import annotations

import re
from typing import Any

from daemon.config.reader import Reader
from daemon.config.schema import ROLES
from daemon.core.model import Official, Unit


def read_pejabat(r: Reader) -> dict[str, Official]:
    """[pejabat.*]: the officials of every role."""
    pejabat: dict[str, Official] = {}
    for role in ROLES:
        key = f"pejabat.{role}"
        if r.get(key, dict, None) is None:
            r.problems.append(
                f"{key}: bagian [{key}] belum ada; diharapkan nama, nip, jabatan, email"
            )
            continue
        wakil, wakil_ttd = read_wakil(r, f"{key}.wakil", r.get(f"{key}.wakil", list, []))
        pejabat[role] = Official(
            nama=r.get(f"{key}.nama", str) or "",
            jabatan=r.get(f"{key}.jabatan", str) or "",
            nip=r.get(f"{key}.nip", str, ""),
            pangkat=r.get(f"{key}.pangkat", str, ""),
            email=r.email(f"{key}.email", r.get(f"{key}.email", str)),
            wakil=wakil,
            wakil_ttd=wakil_ttd,
        )

    return pejabat


def read_units(r: Reader, data: dict[str, Any]) -> list[Unit]:
    """[[unit]]: the units, each with its head."""
    units: list[Unit] = []
    raw_units = data.get("unit", [])
    if not isinstance(raw_units, list) or not raw_units:
        r.problems.append(
            "unit: belum ada [[unit]]; diharapkan setidaknya satu unit (kode, nama, email, kepala)"
        )
        raw_units = []
    seen: set[str] = set()
    for i, u in enumerate(raw_units, 1):
        key = f"unit[{i}]"
        if not isinstance(u, dict):
            r.problems.append(f"{key}: diharapkan tabel [[unit]]")
            continue
        kode = u.get("kode")
        if not isinstance(kode, str) or not re.fullmatch(r"[A-Za-z0-9_-]{1,20}", kode):
            r.problems.append(
                f"{key}.kode: nilai {kode!r} tidak sah; "
                'diharapkan huruf/angka tanpa spasi, misalnya "PEM"'
            )
            continue
        if kode in seen:
            r.problems.append(f"{key}.kode: kode unit {kode!r} dipakai lebih dari sekali")
        seen.add(kode)
        kepala = u.get("kepala") if isinstance(u.get("kepala"), dict) else {}
        if not isinstance(u.get("nama"), str):
            r.problems.append(f"{key}.nama: belum diisi; diharapkan nama unit")
        units.append(
            Unit(
                kode=kode,
                nama=str(u.get("nama", kode)),
                email=r.email(f'{key}.email (unit "{kode}")', u.get("email")),
                kepala=Official(
                    nama=str(kepala.get("nama", "")),
                    jabatan=str(kepala.get("jabatan", f"Kepala {u.get('nama', kode)}")),
                    nip=str(kepala.get("nip", "")),
                    pangkat=str(kepala.get("pangkat", "")),
                    email=(u.get("email") or "").lower(),
                    wakil=read_wakil(r, f"{key}.wakil", u.get("wakil") or [])[0],
                ),
            )
        )

    return units


def read_wakil(r: Reader, key: str, items: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Delegates: plain addresses, or tables `{email = "...", ttd = true}` for one who may also
    sign the final report (a Plt. Camat). Returns (all delegates, those marked `ttd`)."""
    if not isinstance(items, list):
        r.problems.append(f"{key}: diharapkan daftar alamat, misalnya [\"ajudan@kecamatan.go.id\"]")
        return (), ()
    every: list[str] = []
    sign: list[str] = []
    for w in items:
        if isinstance(w, dict):
            unknown = sorted(set(w) - {"email", "ttd"})
            if unknown:
                r.problems.append(
                    f"{key}: kunci {', '.join(unknown)} tidak dikenal; yang tersedia: email, ttd"
                )
            ttd = w.get("ttd", False)
            if not isinstance(ttd, bool):
                r.problems.append(f"{key}: ttd = {ttd!r} tidak sesuai; diharapkan true atau false")
                ttd = False
            addr = r.email(key, w.get("email"))
            if addr:
                every.append(addr)
                if ttd:
                    sign.append(addr)
        else:
            addr = r.email(key, w)
            if addr:
                every.append(addr)
    return tuple(every), tuple(sign)
