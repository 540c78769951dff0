"""`pantau inspect FILE...`: how Pantau reads messages, without changing anything.

Works without a database; with the office's database it also names the task a message would
match and why a sender check fails. `--json` prints one object per line (SPEC §7.3).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _reader(cfg):
    from .inbound import Reader

    if cfg is None:
        from .documents import read_form

        return Reader(address="pantau@localhost", domain="localhost", form_reader=read_form)
    store = None
    if cfg.db_path.exists():
        from .store import Store

        store = Store(cfg.db_path)
    wakil = {o.email: list(o.wakil) for o in cfg.pejabat.values()}
    from .documents import read_form

    return Reader(address=cfg.mail.alamat, domain=cfg.kantor.domain, authserv_id=cfg.authserv_id,
                  store=store, wakil=wakil, form_reader=read_form)


def inspect_files(args, cfg) -> int:
    reader = _reader(cfg)
    failures = 0
    for name in args.files:
        path = Path(name)
        try:
            raw = path.read_bytes()
        except OSError as e:
            result = {"file": name, "kind": "malformed", "errors": [f"tidak dapat dibaca: {e}"]}
            failures += 1
        else:
            try:
                result = reader.analyse(raw).to_json(name)
            except Exception as e:  # inspect reports, it never crashes on a file
                result = {"file": name, "kind": "malformed", "message_id": None, "from": "", "token": None,
                          "task": None, "sender_ok": None, "decision": "none", "note": "", "attachments": [],
                          "form": None, "errors": [f"{type(e).__name__}: {e}"]}
        if args.json:
            print(json.dumps(result, ensure_ascii=False, default=str))
        else:
            _print(result)
    sys.stdout.flush()
    return 1 if failures else 0


def _print(r: dict) -> None:
    print(f"== {r['file']}")
    print(f"   jenis      : {r['kind']}" + (f" ({r.get('reason')})" if r.get("reason") else ""))
    print(f"   dari       : {r.get('from') or '-'}   Message-ID: {r.get('message_id') or '-'}")
    if r.get("token") or r.get("task"):
        t = r.get("task")
        print(f"   token      : {r.get('token') or '-'}"
              + (f" -> siklus {t['cycle']} langkah {t['step']} untuk {t['recipient']} ({t['status']}, via {t['matched_by']})" if t else " (tugas tidak dikenal di basis data ini)"))
    if r.get("sender_ok") is not None:
        print(f"   pengirim   : {'sah' if r['sender_ok'] else 'TIDAK SAH: ' + r.get('sender_reason', '')}")
    print(f"   keputusan  : {r.get('decision')}" + (f" — catatan: {r['note'][:100]}" if r.get("note") else ""))
    for a in r.get("attachments", []):
        print(f"   lampiran   : {a['filename']} ({a['content_type']}, {a['size']} bita) peran {a['role']}")
    f = r.get("form")
    if f:
        print(f"   formulir   : kode {f['code'] or '-'}, {len(f['rows'])} baris, {len(f['errors'])} kesalahan, {len(f['warnings'])} peringatan")
        for e in f["errors"]:
            print(f"      kesalahan: {e}")
        for w in f["warnings"]:
            print(f"      peringatan: {w}")
    for e in r.get("errors", []):
        print(f"   masalah    : {e}")
