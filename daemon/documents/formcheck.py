"""Checking a read form against what the unit owes for the cycle (`check_form`).

`check_form(result, expected, indicators)` adds what needs the cycle's knowledge: another unit's
or another period's form, an older version, rows that match no indicator, indicators missing from
the form. It returns rows in the master's order, numbered and named as in the master.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import replace

from daemon.core import formatting
from daemon.core.model import FormCode, FormProblem, FormResult, FormRow, Indicator, Period
from daemon.documents.formtable import WS


def _label(cycle: str) -> str:
    try:
        return Period.parse(cycle.removeprefix("PK-")).label
    except ValueError:
        return cycle


def _name_key(text: str) -> str:
    return WS.sub(" ", text.casefold()).strip()


def _no_key(text: str) -> str:
    t = text.strip().rstrip(".").strip()
    return t.lstrip("0") or t


def check_form(
    result: FormResult,
    expected: FormCode,
    indicators: list[Indicator],
    unit_names: Mapping[str, str] | None = None,
) -> FormResult:
    """Compare a read form with what this unit owes for this cycle; return a new FormResult.

    Adds errors for another unit's form, another period's form, rows matching no indicator,
    duplicate rows and indicators missing from the form; a warning for an older form version, a
    missing code, a renamed or renumbered indicator and a changed target. The rows come back in
    the master's order with the master's No and name.
    """
    names = dict(unit_names or {})
    errors, warnings = list(result.errors), list(result.warnings)
    code = result.code
    if code is None:
        warnings.append(
            FormProblem(
                "kode formulir tidak ditemukan; formulir dicocokkan berdasarkan surel balasannya. "
                "Gunakan formulir yang dikirim Pantau dan jangan menghapus kodenya."
            )
        )
    else:
        if code.unit != expected.unit:
            errors.append(
                FormProblem(
                    f"formulir ini milik unit {names.get(code.unit, code.unit)}, bukan unit "
                    f"{names.get(expected.unit, expected.unit)}. Kirimkan formulir unit "
                    f"{names.get(expected.unit, expected.unit)} yang dilampirkan pada surel "
                    "permintaan data."
                )
            )
        if code.cycle != expected.cycle:
            errors.append(
                FormProblem(
                    f"formulir ini untuk periode {_label(code.cycle)} ({code.cycle}), bukan "
                    f"{_label(expected.cycle)} ({expected.cycle}). Gunakan formulir yang dikirim "
                    "bersama surat permintaan data periode ini."
                )
            )
        if code.unit == expected.unit and code.cycle == expected.cycle:
            if code.version < expected.version:
                warnings.append(
                    FormProblem(
                        f"formulir ini versi {code.version}, sedangkan versi terbaru adalah versi "
                        f"{expected.version}; data tetap dibaca, tetapi gunakan versi terbaru bila "
                        "mengirim ulang."
                    )
                )
            elif code.version > expected.version:
                warnings.append(
                    FormProblem(
                        f"versi formulir ({code.version}) tidak dikenal; versi yang berlaku adalah "
                        f"{expected.version}."
                    )
                )
    foreign = code is not None and (code.unit != expected.unit or code.cycle != expected.cycle)
    if foreign:  # rows of another unit or period are not matched against these indicators
        return FormResult(code, list(result.rows), errors, warnings, list(result.notes))

    rows = _match(result.rows, indicators, errors, warnings, expected)
    return FormResult(code, rows, errors, warnings, list(result.notes))


def _match(
    rows: list[FormRow],
    indicators: list[Indicator],
    errors: list[FormProblem],
    warnings: list[FormProblem],
    expected: FormCode,
) -> list[FormRow]:
    by_no = {_no_key(i.no): i for i in indicators}
    by_name = {_name_key(i.indikator): i for i in indicators}
    matched: dict[str, FormRow] = {}
    period = None
    try:
        period = Period.parse(expected.cycle.removeprefix("PK-"))
    except ValueError:
        pass
    for row in rows:
        ind = None
        same_no = by_no.get(_no_key(row.no)) if row.no else None
        same_name = by_name.get(_name_key(row.indikator)) if row.indikator else None
        if same_no and (not row.indikator or same_name is same_no):
            ind = same_no
        elif same_name is not None:
            ind = same_name
            if row.no and _no_key(row.no) != _no_key(ind.no):
                warnings.append(
                    FormProblem(
                        f"nomor indikator berbeda dengan data master; baris ini dicatat untuk "
                        f"indikator No. {ind.no}.",
                        row=row.no,
                        indikator=row.indikator,
                    )
                )
        elif same_no is not None:
            ratio = difflib.SequenceMatcher(
                None, _name_key(row.indikator), _name_key(same_no.indikator)
            ).ratio()
            if ratio >= 0.6:
                ind = same_no
                warnings.append(
                    FormProblem(
                        "nama indikator berbeda dengan data master "
                        f"(\u201c{same_no.indikator}\u201d); baris ini dicatat untuk indikator "
                        f"No. {same_no.no}.",
                        row=row.no,
                        indikator=row.indikator,
                    )
                )
        if ind is None:
            errors.append(
                FormProblem(
                    "baris ini tidak sesuai dengan indikator mana pun milik unit ini untuk periode "
                    "ini. Jangan menambah baris atau mengubah nomor dan nama indikator.",
                    row=row.no or None,
                    indikator=row.indikator or None,
                )
            )
            continue
        key = _no_key(ind.no)
        if key in matched:
            errors.append(
                FormProblem(
                    f"indikator No. {ind.no} diisi lebih dari satu kali; isi satu baris saja.",
                    row=row.no or None,
                    indikator=ind.indikator,
                )
            )
            continue
        master_target = ind.target_for(period) if period else ind.target
        if (
            row.target is not None
            and master_target is not None
            and abs(row.target - master_target) > 1e-6 * max(1.0, abs(master_target))
        ):
            warnings.append(
                FormProblem(
                    f"target diubah; Pantau tetap memakai target data master "
                    f"{formatting.angka(master_target)}.",
                    row=ind.no,
                    indikator=ind.indikator,
                    column="Target",
                    value=formatting.angka(row.target),
                )
            )
        matched[key] = replace(
            row, no=ind.no, indikator=ind.indikator, satuan=row.satuan or ind.satuan
        )
    out = []
    for ind in indicators:
        row = matched.get(_no_key(ind.no))
        if row is None:
            errors.append(
                FormProblem(
                    "indikator ini tidak ada dalam formulir; isi baris indikator ini.",
                    row=ind.no,
                    indikator=ind.indikator,
                )
            )
        else:
            out.append(row)
    return out
