"""`pantau triage`: the messages Pantau held or could not process, each with what the operator
can do about it (`hint`, also in the operator's notices). Read-only over the store, like views.py,
which re-exports these for the dashboard and the shell.
"""

from __future__ import annotations

from datetime import datetime

from daemon.core.statuses import InboundStatus, TaskStatus
from daemon.store import Store

IGNORED = ("diabaikan", "duplikat")


def triage(
    store: Store, cfg=None, include_ignored: bool = False, now: datetime | None = None
) -> list[dict]:
    """SPEC §7.3 `triage --json` (held and failed messages), plus the status, the cycle and step
    the message was matched to, the archived raw file, and a hint saying what the operator can do.
    `include_ignored` adds the messages Pantau filed without acting (auto-replies, unrelated mail,
    bounces, duplicates), so an operator can see why a message was not taken."""
    statuses = ("ditahan", "gagal") + (IGNORED if include_ignored else ())
    rows = store.triage_rows(statuses)
    out = []
    for r in rows:
        if r["rem"] and r["status"] not in statuses:
            # Not held, but left without an answer by the loop brake (SPEC §3.4): listed while
            # its task is open, or for the day it came.
            t = store.task(r["task"]) if r["task"] else None
            recent = now is None or r["received"][:10] == now.date().isoformat()
            if not include_ignored and not recent and not (t and t["status"] == "open"):
                continue
            r = {**r, "status": "dijawab_sebelumnya", "reason": r["rem"]}
        step = None
        if r["task"]:
            t = store.task(r["task"])
            step = t["step"] if t else None
        out.append(
            {
                "id": r["id"],
                "received": r["received"],
                "from": r["sender"],
                "subject": r["subject"],
                "reason": r["reason"],
                "status": r["status"],
                "kind": r["kind"],
                "cycle": r["cycle"],
                "step": step,
                "path": r["path"],
                "hint": hint(r, store, cfg),
            }
        )
    return out


def _where_wakil(cfg, recipient: str) -> str:
    """The config key that lists the delegates of the person with this address."""
    if cfg is None:
        return "wakil"
    for role, o in cfg.pejabat.items():
        if o.email == recipient:
            return f"pejabat.{role}.wakil"
    for i, u in enumerate(cfg.units, 1):
        if u.email == recipient:
            return f"wakil pada [[unit]] ke-{i} (kode {u.kode})"
    return "wakil"


def hint(row: dict, store: Store, cfg=None) -> str:
    """What the operator can do about one held, failed or ignored message (Indonesian)."""
    reason = row.get("reason") or ""
    status = row.get("status")
    sender = row.get("sender") or "pengirim"
    if status == "gagal":
        return (
            "Pantau mengalami kesalahan saat memproses pesan ini (pesan tetap tersimpan). Periksa "
            f"dengan `pantau inspect {row.get('path')}`; bila penyebabnya sudah diperbaiki, "
            f"jalankan `pantau replay {row['id']}`."
        )
    if "DMARC" in reason:
        return (
            "Server surel menyatakan pesan ini tidak lolos DMARC: pesan ini mungkin palsu. "
            "Pastikan ke pengirimnya lewat telepon; jangan diproses ulang kecuali yakin pesan ini "
            "asli."
        )
    if status == "dijawab_sebelumnya":
        return (
            "Pengirim sudah menerima jawaban yang sama tadi (Pantau menjawab satu kali sehari "
            "untuk kesalahan yang sama, agar tidak terjadi surat berbalas tanpa henti). Pesan ini "
            "tidak diterima sebagai jawaban. Bila pengirim tampak bingung, hubungi langsung."
        )
    task = store.task(row["task"]) if row.get("task") else None
    if (
        task
        and task["status"] != TaskStatus.OPEN
        and status in (InboundStatus.HELD, InboundStatus.FAILED)
    ):
        return (
            "Tugas yang dijawab pesan ini sudah selesai; memproses ulang pesan ini tidak akan "
            "mengubah apa pun. Bila isinya masih penting, teruskan ke yang berwenang secara "
            f"manual (berkas: {row.get('path')})."
        )
    if "bukan penerima tugas" in reason:
        recipient = task["recipient"] if task else ""
        key = _where_wakil(cfg, recipient)
        return (
            f"Jika {sender} memang boleh menjawab atas nama {recipient or 'penerima tugas'}, "
            f'tambahkan "{sender}" ke {key} di berkas konfigurasi, jalankan '
            "`pantau check --offline`, lalu "
            f"`pantau replay {row['id']}`. Jika {sender} adalah alamat baru orang itu (alamat lama "
            "salah ketik atau berganti), ganti alamatnya di konfigurasi, muat ulang daemon "
            "(`systemctl reload pantau` atau `kill -HUP <pid>`), lalu "
            f"`pantau replay {row['id']}`. Jika tidak, biarkan: pesan ini tidak mengubah apa pun."
        )
    if "tidak cocok" in reason:
        return (
            "Pesan ini tidak membalas surat Pantau mana pun (tidak ada token, tag siklus, atau "
            "In-Reply-To yang dikenal). Minta pengirim membalas (Reply) e-mail Pantau yang asli, "
            "jangan menulis e-mail baru."
        )
    if reason.startswith("pesan rusak"):
        return "Pesan tidak dapat dibaca sebagai e-mail yang utuh. Minta pengirim mengirim ulang."
    if "tugas tidak ditemukan" in reason:
        return (
            "Tugas yang dibalas tidak ada lagi pada siklusnya. Periksa dengan `pantau cycle show`."
        )
    if status in IGNORED:
        return ("Diabaikan tanpa balasan (balasan otomatis, laporan gagal kirim, surat lain, "
                "atau duplikat).")
    return (f"Periksa dengan `pantau inspect {row.get('path')}`; setelah diperbaiki: "
            f"`pantau replay {row['id']}`.")
