"""`pantau outbox` (SPEC §7.1): letters not yet delivered, why, and what to do; `outbox retry ID`
sends a failed or waiting letter again at once, `outbox cancel ID` gives one up (recorded in the
cycle's log). A cancelled letter is kept in the archive; only its delivery stops.
"""

from __future__ import annotations

import json
from datetime import datetime

from daemon.core.statuses import OutboxStatus

NOT_DELIVERED = (OutboxStatus.QUEUED, OutboxStatus.SENDING, OutboxStatus.FAILED)
STATUS_ID = {OutboxStatus.QUEUED: "menunggu dikirim",
             OutboxStatus.SENDING: "sedang dikirim (hasil belum pasti)",
             OutboxStatus.FAILED: "GAGAL", OutboxStatus.SENT: "terkirim",
             OutboxStatus.CANCELLED: "dibatalkan"}


def advice(row: dict, cfg=None) -> str:
    """What the operator can do about one undelivered letter (Indonesian)."""
    rid = row["id"]
    if row["status"] == OutboxStatus.FAILED:
        who = ""
        if cfg is not None:
            from daemon.shell.addresses import whose

            for addr in json.loads(row["recipients"] or "[]"):
                w = whose(cfg, addr)
                if w["kunci"]:
                    who = (
                        f" Bila alamat {addr} salah, betulkan di konfigurasi ({w['kunci']}) dan "
                        "muat ulang daemon (`systemctl reload pantau`): tugasnya pindah ke alamat "
                        "baru dan suratnya dikirim ulang sendiri; lalu batalkan yang ini."
                    )
                    break
        return (
            f"Server surel menolak surat ini untuk seterusnya.{who} Setelah penyebabnya "
            f"diperbaiki: `pantau outbox retry {rid}`; bila surat itu sudah disampaikan dengan "
            f"cara lain: `pantau outbox cancel {rid}`."
        )
    if row["status"] == "mengirim":
        return (
            "Pengiriman terakhir terputus; daemon memeriksa folder Terkirim lalu mengirim ulang "
            "paling banyak sekali dengan Message-ID yang sama. Tidak perlu tindakan."
        )
    if row.get("error"):
        return (
            f"Gagal sementara ({row['attempts']} kali); daemon mencoba lagi sendiri. Bila terus "
            "gagal, periksa server surel dengan `pantau check`; kirim sekarang: "
            f"`pantau outbox retry {rid}`."
        )
    return "Menunggu daemon mengirimnya (lihat `pantau status`: apakah daemon berjalan?)."


def rows(store, cfg=None, include_sent: bool = False) -> list[dict]:
    out = []
    for r in store.outbox_rows(include_sent):
        out.append(
            {
                "id": r["id"],
                "status": r["status"],
                "cycle": r["cycle"] or None,
                "step": r["step"] or None,
                "kind": r["kind"],
                "to": json.loads(r["recipients"] or "[]"),
                "subject": r["subject"],
                "queued": r["queued"],
                "attempts": r["attempts"],
                "next_attempt": r["next_attempt"],
                "sent": r["sent"] or None,
                "error": r["error"] or None,
                "message_id": r["message_id"],
                "what_to_do": advice(r, cfg) if r["status"] in NOT_DELIVERED else "",
            }
        )
    return out


class OutboxError(Exception):
    pass


def _row(store, rid: int) -> dict:
    row = store.outbox_row(rid)
    if row is None:
        raise OutboxError(f"surat #{rid} tidak ada di kotak keluar (lihat `pantau outbox`)")
    return row


def retry(store, rid: int, now: datetime) -> dict:
    """Queue a failed or waiting letter for sending now."""
    with store.transaction():
        row = _row(store, rid)
        if row["status"] not in ("gagal", "antri"):
            raise OutboxError(
                f"surat #{rid} {STATUS_ID.get(row['status'], row['status'])}; tidak ada yang "
                "perlu dikirim ulang"
            )
        store.update_outbox(rid, status="antri", next_attempt=now.isoformat())
        if row["cycle"]:
            store.add_log(
                row["cycle"],
                now,
                row["step"],
                "kirim_ulang_diminta",
                ", ".join(json.loads(row["recipients"])),
                f"surat #{rid} dikirim ulang atas permintaan operator",
            )
    return row


def cancel(store, rid: int, now: datetime) -> dict:
    """Stop trying to deliver a letter (it stays in the archive)."""
    with store.transaction():
        row = _row(store, rid)
        if row["status"] not in ("gagal", "antri"):
            raise OutboxError(
                f"surat #{rid} {STATUS_ID.get(row['status'], row['status'])}; tidak dapat "
                "dibatalkan"
            )
        store.update_outbox(
            rid, status="dibatalkan", error=((row["error"] or "") + " [dibatalkan operator]")[:500]
        )
        if row["cycle"]:
            store.add_log(
                row["cycle"],
                now,
                row["step"],
                "pengiriman_dibatalkan",
                ", ".join(json.loads(row["recipients"])),
                f"surat #{rid} dibatalkan oleh operator",
            )
    return row
