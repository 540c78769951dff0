"""The units' forms arriving (`FormIn`, S4) and attachments that cannot be taken (`WrongFile`).

A valid form is registered and acknowledged, and the collection ends when every unit has sent
one; an invalid one is returned with its errors. A late or corrected form while the draft is
still with the Kasubag (S5) recompiles the draft and sends it again.
"""

from __future__ import annotations

from daemon.core.actions import do_susun_konsep
from daemon.core.effects import RegisterIn, SendNotice
from daemon.core.events import FormIn, WrongFile
from daemon.core.run import Run
from daemon.core.statuses import TaskPurpose, TaskStatus, UnitStatus
from daemon.core.step_kinds import send_for_decision

# What a `berkas_salah` notice asks the sender to do instead.
SARAN_TOO_LARGE = ("Mohon kirim ulang dengan membalas e-mail ini dan melampirkan formulir/dokumen "
                   "saja, tanpa berkas lain yang besar.")
SARAN_NOT_A_FORM = ("Mohon balas e-mail ini dengan melampirkan formulir pemantauan (DOCX) yang "
                    "dikirim Pantau, setelah diisi. Pindaian (scan) atau foto tidak dapat dibaca.")


def wrong_file(run: Run, ev: WrongFile) -> None:
    """Attachments that cannot be taken: the sender is told which and why (`berkas_salah`),
    and what to send instead; the task stays open."""
    t = run.st.task(ev.task)
    if t is None:
        return
    if ev.too_large:
        run.fx.append(SendNotice(step=t.step, kind="berkas_salah", to=[ev.sender], task=t.key,
                                 data={"errors": list(ev.errors), "saran": SARAN_TOO_LARGE}))
        run.log(t.step, "pesan_melebihi_batas", ev.sender, "; ".join(ev.errors)[:300])
        return
    run.fx.append(SendNotice(step=t.step, kind="berkas_salah", to=[ev.sender], task=t.key,
                             data={"errors": list(ev.errors) or ["lampiran tidak dikenali"],
                                   "saran": SARAN_NOT_A_FORM}))
    run.log(t.step, "lampiran_salah", t.unit or ev.sender, "; ".join(ev.errors)[:300])


def form(run: Run, ev: FormIn) -> None:
    t = run.st.task(ev.task)
    if t is None or t.status != TaskStatus.OPEN or t.purpose != TaskPurpose.FORM:
        run.fx.append(SendNotice(step="", kind="pengumpulan_ditutup", to=[ev.sender]))
        run.log(
            t.step if t else "",
            "formulir_terlambat_ditolak",
            ev.sender,
            "pengumpulan data sudah ditutup",
        )
        return
    u = run.st.units[t.unit or ""]
    if not ev.ok:
        u.rejected += 1
        run.fx.append(
            SendNotice(
                step=t.step,
                kind="formulir_salah",
                to=[ev.sender],
                task=t.key,
                data={"errors": ev.errors, "warnings": ev.warnings, "file": ev.filename},
            )
        )
        run.log(
            t.step,
            "formulir_ditolak",
            u.code,
            f"{len(ev.errors)} kesalahan: " + "; ".join(ev.errors[:3]),
        )
        return
    late = u.status == UnitStatus.MISSING or run.st.current != t.step
    u.status, u.received = UnitStatus.RECEIVED, run.now
    u.version += 1
    run.fx.append(
        RegisterIn(
            step=t.step,
            pengirim=ev.sender,
            perihal=f"Data kinerja {u.code} {run.period_label()} (versi {u.version})",
            lampiran="1 berkas",
            message_id=ev.message_id,
            disposisi="Kasubag Perencanaan",
            keterangan="; ".join(ev.warnings)[:200],
        )
    )
    run.fx.append(
        SendNotice(
            step=t.step,
            kind="formulir_diterima",
            to=[ev.sender],
            task=t.key,
            data={
                "warnings": ev.warnings,
                "catatan": ev.notes,
                "versi": u.version,
                "terlambat": late,
            },
        )
    )
    run.log(
        t.step,
        "formulir_diterima",
        u.code,
        f"versi {u.version}"
        + (f", {len(ev.warnings)} peringatan" if ev.warnings else "")
        + (" (terlambat)" if late else ""),
    )
    collect = run.sop.step(t.step)
    if run.st.current == collect.id:
        if run.st.all_units(UnitStatus.RECEIVED):
            run.finish(collect.id, collect.lanjut)
        return
    # Late or corrected data while the draft is still with the Kasubag: recompile and re-send.
    olah = run.sop.step(collect.lanjut)
    if run.st.current == olah.id and run.st.steps[olah.id].status == "active":
        for old in run.st.open_tasks(olah.id):
            run.close_task(old)
        do_susun_konsep(run, olah)
        send_for_decision(run, olah, olah.pelaksana)
