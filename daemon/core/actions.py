"""The SOP's actions (`aksi`, `aksi_setuju` in config/sop.toml): the `ACTIONS` table's handlers.

What Pantau itself does at a step: make the forms (S2) and send them (S3), compile the draft (S5),
invite to the meeting (S7), issue the final report (S11, on approval), send it with a cover
letter (S12), export the data for e-Monev (S13). Each asks the shell for documents and letters.
"""

from __future__ import annotations

from daemon.core.effects import PESERTA_RAPAT, DocRef, Envelope, MakeDoc, SendLetter, unit_head
from daemon.core.roles import ROLE_NAMES, Role
from daemon.core.run import Run
from daemon.core.sop import StepDef
from daemon.core.statuses import DraftSource, TaskPurpose, UnitStatus


def do_buat_format(run: Run, d: StepDef) -> None:
    for code in run.st.units:
        run.fx.append(MakeDoc(ref=DocRef(kind="form", version=1, unit=code)))
    run.log(d.id, "format_dibuat", "", f"{len(run.st.units)} formulir dibuat")


def do_kirim_format(run: Run, d: StepDef) -> None:
    collect = run.sop.step(d.lanjut)
    deadline = run.close_of_day(run.ctx.cal.add(run.now, collect.standar))
    envelopes = []
    for u in run.st.units.values():
        t = run.open_task(
            collect.id,
            Role.UNIT,
            u.email,
            purpose=TaskPurpose.FORM,
            unit=u.code,
            doc_kind="form",
            doc_version=1,
        )
        u.task = t.key
        envelopes.append(
            Envelope(
                to=[u.email], task=t.key, docs=[DocRef(kind="form", version=1, unit=u.code)]
            )
        )
    run.fx.append(
        SendLetter(
            step=d.id,
            kind="permintaan_data",
            purpose="",
            hal=run.letter_subject(d),
            tujuan="Sekretariat dan Kepala Seksi",
            kode="permintaan_data",
            envelopes=envelopes,
            data={"batas_waktu": deadline},
            kepada=[unit_head(code) for code, _ in run.ctx.units],
        )
    )


def do_susun_konsep(run: Run, d: StepDef) -> None:
    run.st.draft_version += 1
    run.st.draft_source = DraftSource.GENERATED
    run.fx.append(
        MakeDoc(
            ref=DocRef(kind="draft_report", version=run.st.draft_version),
            data={"catatan": list(run.st.notes)},
        )
    )
    missing = [u.code for u in run.st.units.values() if u.status != UnitStatus.RECEIVED]
    run.log(
        d.id,
        "konsep_disusun",
        "",
        f"versi {run.st.draft_version}"
        + (f"; tidak menyampaikan data: {', '.join(missing)}" if missing else ""),
    )


def do_kirim_undangan(run: Run, d: StepDef) -> None:
    # The invitation letter and its .ics are rendered with the letter (they carry its number).
    run.fx.append(
        SendLetter(
            step=d.id,
            kind="undangan",
            purpose="",
            hal=run.letter_subject(d),
            tujuan="Pejabat Eselon III dan IV",
            kode="undangan",
            envelopes=[Envelope(to=list(run.ctx.peserta))],
            data={"rapat": run.st.meeting},
            kepada=[PESERTA_RAPAT],
        )
    )


def do_terbitkan_final(run: Run, d: StepDef) -> None:
    run.st.final = {"source": "generated", "version": run.st.draft_version}
    run.fx.append(
        MakeDoc(
            ref=DocRef(kind="final_report", version=1),
            data={
                "source_version": run.st.draft_version,
                "approvals": [
                    a for a in run.st.approvals if a["version"] >= 1
                ],  # of the report, not the order
                "step": d.id,
            },
        )
    )
    run.log(
        d.id, "laporan_final_diterbitkan", "", f"dari konsep versi {run.st.draft_version}"
    )


def do_kirim_pengantar(run: Run, d: StepDef) -> None:
    docs = [DocRef(kind="final_report", version=1)]
    run.fx.append(
        SendLetter(
            step=d.id,
            kind="pengantar",
            purpose="",
            hal=run.letter_subject(d),
            tujuan=ROLE_NAMES[Role.KASUBAG],
            kode="pengantar",
            envelopes=[Envelope(to=[run.person(Role.KASUBAG)], cc=list(run.ctx.tembusan))],
            docs=docs,
            data={"final": run.st.final},
            kepada=[Role.KASUBAG],
        )
    )


def do_buat_emonev(run: Run, d: StepDef) -> None:
    run.fx.append(MakeDoc(ref=DocRef(kind="emonev_export", version=1)))
