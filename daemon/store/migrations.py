"""Named schema migrations (sqlite-utils). Their names are recorded in every office's database:
never rename one; append new ones at the end."""

from __future__ import annotations

import json

import sqlite_utils
from sqlite_utils import Migrations

migrations = Migrations("pantau")


@migrations()
def m001_core(db: sqlite_utils.Database) -> None:
    db["meta"].create({"key": str, "value": str}, pk="key")
    db["cycles"].create(
        {
            "code": str,
            "period": str,
            "year": int,
            "status": str,
            "current": str,
            "started": str,
            "closed": str,
            "next_timer": str,
            "state": str,
        },
        pk="code",
    )
    db["tasks"].create(
        {
            "key": str,
            "token": str,
            "cycle": str,
            "step": str,
            "role": str,
            "recipient": str,
            "unit": str,
            "purpose": str,
            "doc_kind": str,
            "doc_version": int,
            "status": str,
            "opened": str,
            "closed": str,
        },
        pk="key",
    )
    db["tasks"].create_index(["token"], unique=True)
    db["tasks"].create_index(["cycle", "status"])
    db["log"].create(
        {"id": int, "cycle": str, "at": str, "step": str, "event": str, "who": str, "detail": str},
        pk="id",
    )
    db["log"].create_index(["cycle", "id"])
    db["inbound"].create(
        {
            "id": int,
            "sha256": str,
            "message_id": str,
            "received": str,
            "ref": str,
            "path": str,
            "size": int,
            "status": str,
            "kind": str,
            "reason": str,
            "sender": str,
            "subject": str,
            "cycle": str,
            "task": str,
            "attempts": int,
            "processed": str,
        },
        pk="id",
    )
    db["inbound"].create_index(["sha256"], unique=True)
    db["inbound"].create_index(["message_id"])
    db["inbound"].create_index(["status"])
    db["outbox"].create(
        {
            "id": int,
            "message_id": str,
            "cycle": str,
            "step": str,
            "kind": str,
            "task": str,
            "recipients": str,
            "subject": str,
            "path": str,
            "status": str,
            "attempts": int,
            "next_attempt": str,
            "queued": str,
            "sent": str,
            "error": str,
            "refused": str,
        },
        pk="id",
    )
    db["outbox"].create_index(["message_id"], unique=True)
    db["outbox"].create_index(["status", "next_attempt"])
    db["register_keluar"].create(
        {
            "id": int,
            "tahun": int,
            "no": int,
            "nomor_surat": str,
            "tanggal_surat": str,
            "tanggal_kirim": str,
            "tujuan": str,
            "perihal": str,
            "lampiran": str,
            "kode_klasifikasi": str,
            "siklus": str,
            "langkah": str,
            "message_id": str,
            "berkas": str,
            "keterangan": str,
        },
        pk="id",
    )
    db["register_keluar"].create_index(["tahun", "no"], unique=True)
    db["register_masuk"].create(
        {
            "id": int,
            "tahun": int,
            "no": int,
            "tanggal_terima": str,
            "nomor_surat": str,
            "tanggal_surat": str,
            "pengirim": str,
            "perihal": str,
            "lampiran": str,
            "siklus": str,
            "langkah": str,
            "message_id": str,
            "berkas": str,
            "disposisi": str,
            "keterangan": str,
        },
        pk="id",
    )
    db["register_masuk"].create_index(["tahun", "no"], unique=True)
    db["documents"].create(
        {
            "id": int,
            "cycle": str,
            "kind": str,
            "version": int,
            "unit": str,
            "path": str,
            "sha256": str,
            "source": str,
            "message_id": str,
            "created": str,
        },
        pk="id",
    )
    db["documents"].create_index(["cycle", "kind", "version", "unit"])
    db["submissions"].create(
        {
            "id": int,
            "cycle": str,
            "unit": str,
            "received": str,
            "message_id": str,
            "sender": str,
            "filename": str,
            "sha256": str,
            "path": str,
            "ok": int,
            "errors": str,
            "warnings": str,
            "rows": str,
        },
        pk="id",
    )
    db["submissions"].create_index(["cycle", "unit"])
    db["kinerja"].create(
        {
            "id": int,
            "cycle": str,
            "period": str,
            "tahun": int,
            "unit": str,
            "no": str,
            "program": str,
            "kegiatan": str,
            "sub_kegiatan": str,
            "indikator": str,
            "satuan": str,
            "polaritas": str,
            "target": float,
            "realisasi": float,
            "capaian": float,
            "pagu": float,
            "realisasi_anggaran": float,
            "faktor_pendorong": str,
            "faktor_penghambat": str,
            "tindak_lanjut": str,
        },
        pk="id",
    )
    db["kinerja"].create_index(["tahun", "unit", "no"])
    db["timers"].create({"id": int, "cycle": str, "step": str, "kind": str, "at": str}, pk="id")
    db["timers"].create_index(["at"])
    db["notices"].create({"address": str, "kind": str, "day": str}, pk=("address", "kind", "day"))


@migrations()
def m002_outbox_unknown(db: sqlite_utils.Database) -> None:
    """How many times a letter's send ended with an unknown outcome (a crash mid-send)."""
    db["outbox"].add_column("unknown", int, not_null_default=0)


@migrations()
def m003_verifikasi(db: sqlite_utils.Database) -> None:
    """Final reports' verification codes (SPEC §6.5, §8): what `/verifikasi/<code>` shows."""
    db["verifikasi"].create(
        {
            "kode": str,  # verification.verification_code(), XXXX-XXXX-XXXX
            "cycle": str,
            "nomor_surat": str,
            "judul": str,
            "periode": str,
            "tanggal": str,  # ISO 8601 with offset: when the final report was issued
            "sha256_docx": str,  # the archived final DOCX
            "sha256_pdf": str,  # the archived final PDF, "" while it is missing
            "sha256_sumber": str,  # the approved version's file the code is derived from
            "persetujuan": str,  # JSON list of {"langkah","versi","nama","jabatan","waktu"}
        },
        pk="kode",
    )
    db["verifikasi"].create_index(["cycle"])


@migrations()
def m006_form_peringatan(db: sqlite_utils.Database) -> None:
    """A received form's plausibility warnings (SPEC §6.2: JSON list of {"unit", "unit_nama", "no",
    "indikator", "kolom", "nilai", "pesan"}) and its table's note rows (JSON list of str)."""
    db["submissions"].add_column("peringatan", str, not_null_default="[]")
    db["submissions"].add_column("catatan", str, not_null_default="[]")


@migrations()
def m005_operator(db: sqlite_utils.Database) -> None:
    """The operator's safety net (SPEC §3.1, §3.4): what the operator was already told (a held
    message, a day's digest, a letter re-sent after an address change: each once), the addresses
    a task had before the configuration changed them (answers from there still count until the
    task closes), and the loop brake's silence on an inbound message (`rem`)."""
    db["operator_told"].create({"kind": str, "key": str, "at": str}, pk=("kind", "key"))
    db["alamat_lama"].create({"task": str, "address": str, "changed": str}, pk=("task", "address"))
    db["inbound"].add_column("rem", str, not_null_default="")
    # Messages held before this release were shown by status and triage already: no flood of
    # notices on the first start after the upgrade.
    db.execute(
        "INSERT INTO operator_told(kind, key, at) SELECT 'ditahan', CAST(id AS TEXT), received"
        " FROM inbound WHERE status IN ('ditahan','gagal')"
    )


@migrations()
def m009_web(db: sqlite_utils.Database) -> None:
    """The dashboard's sign-in (SPEC §8): one-time links, sessions and sign-in requests (for rate
    limits). Only sha256 hashes of link tokens and session ids are kept, never the values."""
    db["web_links"].create({"hash": str, "email": str, "created": str, "expires": str, "used": str},
                           pk="hash")
    db["web_sessions"].create({"hash": str, "email": str, "csrf": str, "created": str, "seen": str,
                               "ended": str}, pk="hash")
    db["web_attempts"].create({"id": int, "kind": str, "key": str, "at": str}, pk="id")
    db["web_attempts"].create_index(["kind", "key", "at"])


@migrations()
def m010_state_rows(db: sqlite_utils.Database) -> None:
    """The cycle's state in rows (issue 17): each unit a row of `cycle_units`, each task complete
    in `tasks` (the columns the engine's Task has and the table lacked), each timer with its
    `data`; `cycles.state` keeps only the header. Every cycle's whole JSON document is split once
    here, with the same row writers the store saves with (daemon/store/cycles.py)."""
    from daemon.core.state import from_json
    from daemon.store.cycles import write_header, write_tasks, write_timers, write_units

    db["cycle_units"].create(
        {
            "cycle": str,
            "code": str,
            "pos": int,  # the unit's place in the configuration (the state's order)
            "email": str,
            "status": str,
            "version": int,
            "received": str,
            "rejected": int,
            "task": str,
        },
        pk=("cycle", "code"),
    )
    db["cycle_units"].create_index(["cycle", "status"])
    db["tasks"].add_column("allow_schedule", int, not_null_default=0)
    db["tasks"].add_column("allow_selesai", int, not_null_default=0)
    db["tasks"].add_column("route_pos", int)
    db["timers"].add_column("data", str, not_null_default="{}")
    db["timers"].create_index(["cycle"])
    x = db.conn.execute
    for row in list(x("SELECT code, state FROM cycles").fetchall()):
        doc = json.loads(row[1])
        if "units" not in doc:
            continue
        st = from_json(doc)
        write_units(x, st.code, enumerate(st.units.values()))
        # Every task already has its row (and its token); the row is made complete. A task
        # without a row (never seen) gets one without a token, which its next save fills in.
        write_tasks(x, st.code, st.tasks, token_for=lambda key: None)
        write_timers(x, st.code, st.timers)
        write_header(x, st)
