"""A person's answer to an open task (`Reply`): approve, revise, set the meeting, upload a
revised or signed report, or be asked to say it more clearly.

The reply's decision was already read by the shell (daemon/core/reply_grammar.py); here the engine
decides what it means at this step: the route goes on (S6), a REVISI loop starts, a new draft
version is recorded, the signed PDF closes S11. Every answer taken is registered (`RegisterIn`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from daemon.core.effects import DocRef, RecordDoc, RegisterIn, SendNotice
from daemon.core.events import Reply, StoredFile
from daemon.core.roles import ROLE_NAMES, Role
from daemon.core.run import Run
from daemon.core.sop import StepDef
from daemon.core.state import Task
from daemon.core.statuses import CycleStatus, DecisionKind, DraftSource, TaskPurpose, TaskStatus
from daemon.core.step_kinds import ask_revision, send_for_decision

SIGN_WITH_CODE = (
    "untuk menandatangani, balas e-mail permohonan penandatanganan dengan SETUJU diikuti kode "
    "enam angka yang tertera di e-mail itu"
)


def reply(run: Run, ev: Reply) -> None:
    if ev.code_problem and ev.pdf is not None:
        # A signed PDF counts only with the signature code (S11): without it the PDF is kept as
        # any other attachment, and the signer is asked again.
        ev = replace(ev, pdf=None, other_files=[*ev.other_files, ev.pdf])
    t = run.st.task(ev.task)
    if t is None or t.status != TaskStatus.OPEN or run.st.status != CycleStatus.RUNNING:
        run.fx.append(
            SendNotice(
                step=t.step if t else "",
                kind="sudah_diproses",
                to=[ev.sender],
                data={"subject": ev.subject},
            )
        )
        run.log(
            t.step if t else "", "balasan_tugas_tertutup", ev.sender, "dijawab: sudah diproses"
        )
        return
    d = run.sop.step(t.step)
    if t.purpose == TaskPurpose.FORM:
        run.fx.append(
            SendNotice(step=d.id, kind="lampirkan_formulir", to=[ev.sender], task=t.key)
        )
        run.log(d.id, "balasan_tanpa_formulir", ev.sender, "diminta melampirkan formulir")
        return
    if t.purpose == TaskPurpose.UPLOAD:
        if ev.docx:
            new_version(run, t, ev)
            run.close_task(t)
            if d.jenis == "rute":  # the Kasubag's revision: route again from the first official
                run.st.steps[d.id].runs += 1  # a new round of this step (cycle show: putaran)
                run.st.route_pos = 0
                send_for_decision(run, d, d.rute[0])
            else:
                run.finish(d.id, d.dokumen or d.next_on_approve)
        else:
            clarify(run, t, ev, "lampirkan berkas DOCX laporan yang sudah diperbaiki")
        return
    if ev.pdf and d.pdf:
        register_in(run, t, ev, "Laporan final bertanda tangan (PDF)", files=[ev.pdf])
        run.fx.append(
            RecordDoc(
                ref=DocRef(kind="final_report", version=1),
                file=ev.pdf,
                message_id=ev.message_id,
            )
        )
        run.st.final = {"source": "signed_pdf", "version": run.st.draft_version}
        approve_record(run, t, ev)
        run.log(d.id, "pdf_bertanda_tangan_diterima", ev.sender, ev.pdf.filename)
        run.close_task(t)
        run.finish(d.id, d.pdf)
        return
    if ev.docx and (d.dokumen or d.jenis == "rute"):
        new_version(run, t, ev)
        approve(run, t, d, ev, via_document=True)
        return
    if ev.decision == DecisionKind.APPROVE:
        register_in(run, t, ev, "Persetujuan")
        approve(run, t, d, ev)
    elif ev.decision == DecisionKind.SCHEDULE and t.allow_schedule:
        register_in(run, t, ev, "Persetujuan dan jadwal rapat")
        run.st.proposed_meeting = meeting_from(run, ev)
        run.log(d.id, "jadwal_rapat", ev.sender, _fmt_meeting(run.st.proposed_meeting))
        approve(run, t, d, ev)
    elif ev.decision == DecisionKind.REVISE and d.revisi:
        register_in(run, t, ev, "Permintaan revisi", disposisi="Kasubag Perencanaan")
        note = ev.note.strip() or "(tanpa catatan)"
        run.st.notes.append(f"{ROLE_NAMES.get(t.role, t.role)}: {note}")
        run.log(d.id, "revisi", ev.sender, note)
        run.close_task(t)
        if d.jenis == "rute":
            record_other_files(run, ev, "lampiran_revisi")
            ask_revision(run, d, Role.KASUBAG, [run.st.notes[-1]])
        else:
            record_other_files(run, ev, "notulen" if d.jenis == "rapat" else "lampiran_revisi")
            run.finish(d.id, d.revisi)
    elif ev.decision == DecisionKind.SCHEDULE:
        clarify(
            run, t, ev, "jadwal rapat hanya dapat ditentukan oleh Camat pada pengajuan konsep"
        )
    elif ev.decision == DecisionKind.REVISE:
        clarify(
            run, t, ev, "pada langkah ini kirim SETUJU, atau lampirkan DOCX yang sudah diperbaiki"
        )
    else:
        clarify(run, t, ev, f"{ev.code_problem}; {SIGN_WITH_CODE}" if ev.code_problem else "")


def approve(run: Run, t: Task, d: StepDef, ev: Reply, via_document: bool = False) -> None:
    approve_record(run, t, ev)
    run.log(d.id, "disetujui", ev.sender, ev.note.strip())
    run.close_task(t)
    if d.jenis == "rute" and run.st.route_pos < len(d.rute) - 1:
        run.st.route_pos += 1
        send_for_decision(run, d, d.rute[run.st.route_pos])
        return
    if d.jenis == "rute":
        run.st.meeting = run.st.proposed_meeting or run.propose_meeting()
    if d.aksi_setuju:
        run.act(d.aksi_setuju, d)
    if d.aksi == "susun_konsep":  # the draft is approved: late forms are no longer taken
        run.close_tasks(run.sop.by_key("kumpul").id, TaskPurpose.FORM)
    run.finish(d.id, (d.dokumen if via_document and d.dokumen else d.next_on_approve))


def approve_record(run: Run, t: Task, ev: Reply) -> None:
    run.st.approvals.append(
        {
            "step": t.step,
            "role": t.role,
            "email": ev.sender,
            "at": run.now,
            "message_id": ev.message_id,
            "version": run.st.draft_version,
            **({"kode_ttd": True} if ev.kode_ttd else {}),
        }
    )


def new_version(run: Run, t: Task, ev: Reply) -> None:
    assert ev.docx is not None
    run.st.draft_version += 1
    run.st.draft_source = DraftSource.UPLOADED
    run.st.notes = []
    run.fx.append(
        RecordDoc(
            ref=DocRef(kind="draft_report", version=run.st.draft_version),
            file=ev.docx,
            message_id=ev.message_id,
        )
    )
    register_in(run, t, ev, f"Laporan versi {run.st.draft_version} (DOCX)", files=[ev.docx])
    run.log(
        t.step,
        "versi_baru",
        ev.sender,
        f"versi {run.st.draft_version} dari {ev.docx.filename}",
    )


def record_other_files(run: Run, ev: Reply, kind: str) -> None:
    for i, f in enumerate(ev.other_files + ([ev.docx] if ev.docx else []), 1):
        run.fx.append(
            RecordDoc(ref=DocRef(kind=kind, version=i), file=f, message_id=ev.message_id)
        )


def clarify(run: Run, t: Task, ev: Reply, why: str) -> None:
    run.fx.append(
        SendNotice(
            step=t.step,
            kind="mohon_jelas",
            to=[ev.sender],
            task=t.key,
            data={
                "alasan": why,
                "jadwal": t.allow_schedule,
                "selesai": t.allow_selesai,
                "baris": ev.note[:200],
                "dipahami": ev.understood if not why else "",
                "sebab": list(ev.unclear) if not why else [],
            },
        )
    )
    detail = why or "; ".join(ev.unclear) or "tidak memuat kata keputusan"
    run.log(t.step, "balasan_tidak_jelas", ev.sender, detail[:300])


def register_in(
    run: Run,
    t: Task,
    ev: Reply,
    perihal: str,
    disposisi: str = "",
    files: list[StoredFile] | None = None,
) -> None:
    files = (
        files if files is not None else ([f for f in [ev.docx, ev.pdf] if f] + ev.other_files)
    )
    run.fx.append(
        RegisterIn(
            step=t.step,
            pengirim=ev.sender,
            perihal=f"{perihal}: {ev.subject}".strip(": "),
            lampiran=f"{len(files)} berkas" if files else "-",
            message_id=ev.message_id,
            disposisi=disposisi,
            keterangan="; ".join(
                x
                for x in [
                    "dengan kode tanda tangan" if ev.kode_ttd else "",
                    ev.note.strip()[:200],
                ]
                if x
            ),
            files=files,
        )
    )


def meeting_from(run: Run, ev: Reply) -> dict:
    h, m = (int(x) for x in (ev.meeting_time or "09:00").replace(".", ":").split(":"))
    d = ev.meeting_date or run.now.date()
    start = run.now.replace(
        year=d.year, month=d.month, day=d.day, hour=h, minute=m, second=0, microsecond=0
    )
    return {
        "start": start,
        "end": start + timedelta(hours=run.ctx.meeting_hours),
        "place": ev.meeting_place or run.ctx.meeting_place,
    }


def _fmt_meeting(m: dict | None) -> str:
    if not m:
        return ""
    return f"{m['start'].isoformat()} di {m.get('place', '')}"
