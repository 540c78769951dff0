"""`pantau inspect FILE...`: how Pantau reads messages, without changing anything.

Works without a configuration or database (it then reads the message on its own: kind, token,
decision, attachments, the form). With the office's configuration it also checks the sender
against the task's recipient and their `wakil`; with the office's database it names the task a
message would match and how, why a sender check fails, and what the daemon would do with it
(`verdict`): take it, hold it for the operator, ignore it, or answer "sudah diproses"; when the
database already holds this very message, `recorded` says what became of it. A FILE may
be a directory (every message in it, e.g. a Maildir's `new/`). `--json` prints one object per
line (SPEC §7.3), with `verdict`, `recorded`, `form_check` and the subject as extras.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any


class _Context:
    """What inspect knows about the office: config (optional), database (optional)."""

    def __init__(self, cfg):
        self.cfg = cfg
        self.store = None
        self.indicators = None
        if cfg is not None and cfg.db_path.exists():
            from daemon.store import Store

            self.store = Store(cfg.db_path)
        from daemon.documents import read_form
        from daemon.shell.inbound import Reader

        if cfg is None:
            self.reader = Reader(
                address="pantau@localhost", domain="localhost", form_reader=read_form
            )
            return
        from daemon.shell.inbound import reader_for

        secret = None  # inspect changes nothing: never creates the office secret
        if os.environ.get(cfg.secret_env) or cfg.secret_file.exists():
            secret = cfg.secret()
        self.reader = reader_for(cfg, self.store, read_form, secret=secret)

    def close(self) -> None:
        if self.store is not None:
            self.store.close()


def _files(names: list[str]) -> list[Path]:
    out: list[Path] = []
    for name in names:
        p = Path(name)
        if p.is_dir():
            out += sorted(x for x in p.iterdir() if x.is_file() and not x.name.startswith("."))
        else:
            out.append(p)
    return out


def inspect_files(args, cfg) -> int:
    ctx = _Context(cfg)
    failures = 0
    rich = getattr(args, "rich", False)
    try:
        for path in _files(args.files):
            result = inspect_one(ctx, path)
            if result["kind"] == "malformed" and result.get("unreadable"):
                failures += 1
            if args.json:
                print(json.dumps(result, ensure_ascii=False, default=str))
            else:
                _doc(result, ctx).write(sys.stdout, rich)
    finally:
        ctx.close()
    sys.stdout.flush()
    return 1 if failures else 0


def inspect_one(ctx: _Context, path: Path) -> dict[str, Any]:
    name = str(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        return {
            **_empty(name),
            "unreadable": True,
            "errors": [f"berkas tidak dapat dibaca: {e.strerror or e}"],
            "verdict": {"action": "-", "reason": "berkas tidak dapat dibaca"},
        }
    try:
        a = ctx.reader.analyse(raw)
        result = a.to_json(name)
        result["recorded"] = _recorded(ctx, raw)
    except Exception as e:  # inspect reports, it never crashes on a file
        return {
            **_empty(name),
            "errors": [f"{type(e).__name__}: {e}"],
            "verdict": {
                "action": "ditahan",
                "reason": "pesan membuat pembaca Pantau gagal; daemon akan "
                "menahannya (status gagal) tanpa menghilangkannya",
            },
        }
    result["form_check"] = _form_check(ctx, a)
    result["verdict"] = verdict(ctx, a, result)
    return result


def _recorded(ctx: _Context, raw: bytes) -> dict | None:
    """This very message (same bytes) as the office's database recorded it, if it did."""
    if ctx.store is None:
        return None
    import hashlib

    row = ctx.store.inbound_by_sha(hashlib.sha256(raw).hexdigest())
    return dict(row) if row else None


def _empty(name: str) -> dict[str, Any]:
    return {
        "file": name,
        "kind": "malformed",
        "message_id": None,
        "from": "",
        "subject": "",
        "token": None,
        "task": None,
        "sender_ok": None,
        "sender_reason": "",
        "decision": "none",
        "note": "",
        "attachments": [],
        "form": None,
        "errors": [],
    }


def _form_check(ctx: _Context, a) -> dict | None:
    """The form checked against what the unit owes for this cycle, as the daemon checks it."""
    if a.form is None or ctx.cfg is None or not a.task or a.task.get("purpose") != "form":
        return None
    try:
        from daemon.config.indicators import indicators_for, load_indicators
        from daemon.core.model import FormCode
        from daemon.documents import check_form

        if ctx.indicators is None:
            ctx.indicators = load_indicators(
                ctx.cfg.indikator_file, units={u.kode for u in ctx.cfg.units}
            )
        unit = a.task.get("unit") or ""
        res = check_form(
            a.form,
            FormCode(a.task["cycle"], unit, a.task.get("doc_version") or 1),
            indicators_for(unit, ctx.indicators),
            unit_names={u.kode: u.nama for u in ctx.cfg.units},
        )
    except Exception as e:  # an indicator master that does not load is `pantau check`'s business
        return {
            "ok": None,
            "errors": [f"tidak dapat diperiksa: {type(e).__name__}: {e}"],
            "warnings": [],
        }
    return {
        "ok": res.ok,
        "errors": [str(e) for e in res.errors],
        "warnings": [str(w) for w in res.warnings],
    }


def verdict(ctx: _Context, a, r: dict) -> dict[str, str]:
    """What the daemon would do with this message, and why.

    Mirrors `Incoming._process` in daemon/shell/runners/incoming.py."""
    kind = r["kind"]
    store = ctx.store
    if store is not None and r.get("message_id"):
        mine = (r.get("recorded") or {}).get("id", 0)
        seen = store.first_taken_with_message_id(r["message_id"], mine)
        if seen:
            first = seen["status"] + (f": {seen['reason']}" if seen["reason"] else "")
            return {
                "action": "duplikat",
                "reason": f"pesan lain dengan Message-ID yang sama sudah diterima sebagai "
                f"pesan #{seen['id']} ({first}); salinan ini diabaikan",
            }
    if kind == "bounce":
        return {
            "action": "diabaikan",
            "reason": "laporan gagal kirim: penerimanya ditandai 'tidak terkirim' dan "
            "operator serta Kasubag diberi tahu; tidak dibalas",
        }
    if kind == "auto_reply":
        return {
            "action": "diabaikan",
            "reason": f"balasan otomatis ({r.get('reason')}); tidak mengubah siklus "
            "dan tidak dibalas",
        }
    if kind == "malformed":
        return {"action": "ditahan", "reason": f"pesan rusak: {r.get('reason')}"}
    if kind == "unrelated":
        return {
            "action": "diabaikan",
            "reason": "bukan balasan surat Pantau (tidak ada token, tag siklus, "
            "In-Reply-To, atau kode formulir)",
        }
    if ctx.cfg is None or store is None:
        return {
            "action": "?",
            "reason": "tanpa basis data kantor tidak dapat dipastikan tugas mana yang dijawab; "
            "jalankan dengan --config kantor untuk melihatnya",
        }
    t = r.get("task")
    if t is None:
        return {
            "action": "ditahan",
            "reason": "tidak cocok dengan tugas mana pun (token/Message-ID tidak dikenal "
            "di basis data ini)",
        }
    if r.get("sender_ok") is False:
        return {"action": "ditahan", "reason": r.get("sender_reason") or "pengirim tidak sah"}
    if t["status"] != "open" or store.cycle_status(t["cycle"]) != "running":
        return {
            "action": "dijawab",
            "reason": "tugas ini sudah ditutup: pengirim dibalas 'sudah diproses'; "
            "siklus tidak berubah",
        }
    purpose = a.task.get("purpose")
    if purpose == "form":
        fc = r.get("form_check")
        if a.form is None or (not a.form.rows and not a.form.code):
            if not a.roles:
                return _decision_verdict(r["decision"], "tidak ada lampiran formulir")
            return {
                "action": "dibalas",
                "reason": "lampiran bukan formulir Pantau yang dapat dibaca; pengirim "
                "diminta melampirkan formulir DOCX yang dikirim Pantau",
            }
        if fc and fc["ok"] is False:
            return {
                "action": "ditolak",
                "reason": f"formulir memuat {len(fc['errors'])} kesalahan; pengirim "
                "dibalas daftar kesalahannya dan diminta mengirim ulang",
            }
        return {"action": "diterima", "reason": f"formulir unit {a.task.get('unit')} diterima"
                + (f" dengan {len(fc['warnings'])} peringatan" if fc and fc["warnings"] else "")}
    return _decision_verdict(r["decision"], _unclear_words(r))


def _unclear_words(r: dict) -> str:
    from daemon.core.model import Unclear
    from daemon.core.reply_grammar import explain

    return "; ".join(explain(Unclear(**u)) for u in r.get("unclear") or [])


def _decision_verdict(decision: str, note: str) -> dict[str, str]:
    words = {
        "approve": "disetujui (SETUJU)",
        "revise": "revisi (REVISI)",
        "schedule": "jadwal rapat (JADWAL)",
    }
    if decision in words:
        return {"action": "diterima", "reason": f"jawaban dibaca sebagai {words[decision]}"}
    return {
        "action": "dibalas",
        "reason": (note + "; " if note else "") + "jawaban tidak jelas: pengirim diminta "
        "membalas dengan SETUJU, REVISI <catatan>, atau JADWAL <tanggal> <jam>; siklus tidak "
        "berubah",
    }


ACTION_STYLE = {
    "diterima": "green",
    "ditahan": "bold red",
    "ditolak": "bold yellow",
    "dibalas": "yellow",
    "diabaikan": "dim",
    "duplikat": "dim",
}


# The JSON keeps SPEC §7.3's English values; the human view says them in Indonesian.
KIND_ID = {"reply": "balasan", "auto_reply": "balasan otomatis", "bounce": "laporan gagal kirim",
           "unrelated": "surat lain (bukan balasan)", "malformed": "pesan rusak"}
DECISION_ID = {
    "approve": "setuju",
    "revise": "revisi",
    "schedule": "jadwal",
    "unclear": "tidak jelas",
    "none": "tidak ada",
    "selesai": "selesai",
}
ROLE_ID = {
    "form": "formulir",
    "document": "dokumen",
    "signed_pdf": "PDF bertanda tangan",
    "ignored": "diabaikan",
}
MATCH_ID = {"in_reply_to": "In-Reply-To/References", "plus_address": "alamat plus (token)",
            "subject_token": "token di subjek", "form_code": "kode formulir"}


def _doc(r: dict, ctx: _Context):
    from daemon.operator.textdoc import Doc

    doc = Doc()
    doc.line(f"== {r['file']}", "bold")
    doc.line(
        f"   jenis      : {KIND_ID.get(r['kind'], r['kind'])}"
        + (f" ({r.get('reason')})" if r.get("reason") else "")
    )
    doc.line(f"   dari       : {r.get('from') or '-'}")
    doc.line(f"   subjek     : {r.get('subject') or '-'}")
    doc.line(f"   Message-ID : {r.get('message_id') or '-'}")
    t = r.get("task")
    if t:
        doc.line(f"   tugas      : siklus {t['cycle']} langkah {t['step']} untuk {t['recipient']} "
                 f"({'terbuka' if t['status'] == 'open' else 'sudah ditutup'}; dikenali lewat "
                 f"{MATCH_ID.get(t['matched_by'], t['matched_by'])})")
    elif r.get("token"):
        doc.line(
            f"   token      : {r['token']}"
            + ("" if ctx.store is not None else " (tanpa basis data kantor: tugasnya tidak dicari)")
            + (" — tidak dikenal di basis data ini" if ctx.store is not None else "")
        )
    if r.get("sender_ok") is not None:
        doc.line(
            "   pengirim   : "
            f"{'sah' if r['sender_ok'] else 'TIDAK SAH: ' + (r.get('sender_reason') or '')}",
            "" if r["sender_ok"] else "bold red",
        )
    decision = DECISION_ID.get(r.get("decision") or "none", r.get("decision"))
    doc.line(
        f"   keputusan  : {decision}" + (f" — catatan: {r['note'][:100]}" if r.get("note") else "")
    )
    for a in r.get("attachments", []):
        doc.line(
            f"   lampiran   : {a['filename']} ({a['content_type']}, {a['size']} bita), peran "
            f"{ROLE_ID.get(a['role'], a['role'])}"
        )
    f = r.get("form")
    if f:
        doc.line(
            f"   formulir   : kode {f['code'] or '-'}, {len(f['rows'])} baris, {len(f['errors'])} "
            f"kesalahan, {len(f['warnings'])} peringatan"
        )
        for e in f["errors"]:
            doc.line(f"      kesalahan : {e}", "yellow")
        for w in f["warnings"]:
            doc.line(f"      peringatan: {w}")
    fc = r.get("form_check")
    if fc and (fc["errors"] or fc["warnings"]):
        doc.line("   dicocokkan dengan daftar indikator unit:")
        for e in fc["errors"]:
            doc.line(f"      kesalahan : {e}", "yellow")
        for w in fc["warnings"]:
            doc.line(f"      peringatan: {w}")
    for e in r.get("errors", []):
        doc.line(f"   masalah    : {e}", "yellow")
    rec = r.get("recorded")
    if rec:
        doc.line(
            f"   tercatat   : pesan #{rec['id']}, {rec['status']}"
            + (f" ({rec['reason']})" if rec["reason"] else "")
            + (
                f"; proses ulang dengan `pantau replay {rec['id']}`"
                if rec["status"] in ("ditahan", "gagal")
                else ""
            )
        )
    v = r.get("verdict") or {}
    if v:
        doc.line(
            f"   tindakan   : {v['action'].upper()} — {v['reason']}",
            ACTION_STYLE.get(v["action"], "bold"),
        )
    doc.line()
    return doc
