"""`[balasan]`: the office's own words added to the reply grammar, checked against it."""

from __future__ import annotations

from daemon.config.reader import Reader


def read_balasan(r: Reader) -> dict[str, list[str]]:
    """`[balasan]`: words an office adds to the reply grammar (daemon/core/reply_grammar.py), e.g.
    `setuju = ["sip"]`, `syarat = ["asalkan saja"]`. A word that approves may not also be a
    condition, change or negation word."""
    from daemon.core.reply_grammar import GRAMMAR, Grammar

    table = r.get("balasan", dict, {}) or {}
    out: dict[str, list[str]] = {}
    for key, words in table.items():
        if key not in GRAMMAR:
            r.problems.append(f"balasan.{key}: daftar tidak dikenal; diharapkan salah satu dari "
                              + ", ".join(GRAMMAR))
            continue
        if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
            r.problems.append(f'balasan.{key}: diharapkan daftar kata, misalnya ["sip", "mantap"]')
            continue
        out[key] = [w.strip() for w in words]
    if not out:
        return out
    grammar = Grammar.from_table(out)
    for key in ("setuju", "santun", "sapaan", "gelar"):
        for w in out.get(key, []):
            found = grammar.conditions([w], 0)
            if found:
                r.problems.append(f"balasan.{key}: {w!r} memuat syarat, pertanyaan, perubahan "
                                  f"atau penolakan ({found[0].words!r}); kata itu tidak boleh "
                                  "ikut menyetujui")
    return out
