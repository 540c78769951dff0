"""`[penomoran]`: the letter number's format and the classification code of each kind of letter."""

from __future__ import annotations

from typing import Any

from daemon.config.reader import Reader


def read_penomoran(r: Reader) -> dict[str, Any]:
    """[penomoran]: the letter number format and the classification codes."""
    nomor_kode_default = {
        "permintaan_data": "000.8.6.3",
        "nota_dinas": "000.8.6.3",
        "undangan": "000.1.5",
        "laporan": "000.8.6.3",
        "pengantar": "000.8.6.3",
    }
    nomor_kode = dict(nomor_kode_default)
    for k, v in (r.get("penomoran.kode", dict, {}) or {}).items():
        if not isinstance(v, str):
            r.problems.append(
                f'penomoran.kode.{k}: nilai {v!r} tidak sesuai; diharapkan teks seperti "000.8.6.3"'
            )
        else:
            nomor_kode[k] = v
    nomor_format = r.get("penomoran.format", str, "{kode}/{urut}/{unit}/{tahun}")
    if nomor_format and "{urut}" not in nomor_format:
        r.problems.append(
            f"penomoran.format: {nomor_format!r} tidak memuat {{urut}}; "
            "nomor register harus tampak di nomor surat"
        )
    else:
        try:
            nomor_format.format(kode="x", urut=1, unit="x", tahun=2025, bulan="I")
        except (KeyError, IndexError, ValueError) as e:
            r.problems.append(
                f"penomoran.format: {nomor_format!r} memuat kunci tidak dikenal {e}; "
                "yang tersedia: kode, urut, unit, tahun, bulan"
            )

    return {
        "nomor_format": nomor_format or "{kode}/{urut}/{unit}/{tahun}",
        "nomor_kode": nomor_kode,
    }
