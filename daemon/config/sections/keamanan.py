"""`[keamanan]`: how a deciding reply's sender is verified (DKIM, Authentication-Results) and
which ARC sealers are trusted. (Its single keys, the secret and `kode_ttd`, are read with the
other single keys in daemon/config/loader.py.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from daemon.config.reader import Reader, resolve_path


def read_keamanan(r: Reader, office_dir: Path, transport: str) -> dict[str, Any]:
    """[keamanan]: how senders are verified (DKIM, Authentication-Results) and trusted ARC."""
    verifikasi = r.choice("keamanan.verifikasi", ("dkim", "authres", "tidak"),
                          "tidak" if transport == "maildir" else "dkim")
    authserv_id = (r.get("keamanan.authserv_id", str, "") or "").strip()
    if verifikasi == "authres" and not authserv_id:
        r.problems.append(
            'keamanan.authserv_id: belum diisi; verifikasi = "authres" memerlukan nama server '
            "penerima yang menulis Authentication-Results (misalnya \"mx.kecamatan.go.id\")"
        )
    kunci = r.get("keamanan.dkim_kunci", str, "") or ""
    dkim_kunci = resolve_path(office_dir, kunci) if kunci else None
    if dkim_kunci is not None:
        from daemon.mail.trust import KeyFileError, load_dkim_keys

        try:
            load_dkim_keys(dkim_kunci)
        except (OSError, KeyFileError) as e:
            r.problems.append(f"keamanan.dkim_kunci: {e}")
    arc = r.get("keamanan.arc_tepercaya", list, []) or []
    if any(not isinstance(x, str) or not x.strip() for x in arc):
        r.problems.append(
            'keamanan.arc_tepercaya: diharapkan daftar nama domain, misalnya ["google.com"]'
        )
        arc = []
    return {"verifikasi": verifikasi, "authserv_id": authserv_id, "dkim_kunci": dkim_kunci,
            "arc_tepercaya": tuple(x.strip().lower().rstrip(".") for x in arc)}
