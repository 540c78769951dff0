"""The pure engine through every branch of SPEC §2, with a fake clock and no I/O."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from daemon.core import engine as E
from daemon.core.sop import load_sop, parse_sop
from daemon.core.worktime import Duration, WorkCalendar

ROOT = Path(__file__).resolve().parents[1]
TZ = ZoneInfo("Asia/Jakarta")
T0 = datetime(2025, 10, 6, 8, 0, tzinfo=TZ)  # Monday
PEOPLE = {
    "camat": "camat@k.test",
    "sekretaris": "sek@k.test",
    "kasubag_perencanaan": "kasubag@k.test",
}
UNITS = [("SEK", "u1@k.test"), ("PEM", "u2@k.test"), ("TRANTIB", "u3@k.test")]


def ctx(**kw) -> E.Context:
    base = dict(
        sop=load_sop(ROOT / "config" / "sop.toml"),
        cal=WorkCalendar("Asia/Jakarta"),
        people=PEOPLE,
        units=UNITS,
        meeting_place="Aula",
        peserta=["camat@k.test", "sek@k.test"],
    )
    base.update(kw)
    return E.Context(**base)


class Run:
    """Drives one cycle: keeps the state, the clock and every effect produced."""

    def __init__(self, **kw):
        self.ctx = ctx(**kw)
        self.now = T0
        self.st = E.new_cycle("2025-TW3", "PK-2025-TW3", self.ctx)
        self.fx: list = []
        self.last: list = []

    def ev(self, event, minutes: float = 0):
        self.now += timedelta(minutes=minutes)
        d = E.advance(self.st, event, self.now, self.ctx)
        self.st, self.last = d.state, d.effects
        self.fx += d.effects
        return d.effects

    def until(self, when: datetime):
        self.now = when
        return self.ev(E.Tick())

    def task(self, step: str, role: str | None = None) -> E.Task:
        ts = [t for t in self.st.open_tasks(step) if role is None or t.role == role]
        assert ts, f"no open task at {step} for {role}: {self.st.open_tasks()}"
        return ts[-1]

    def reply(self, step: str, decision: str, role: str | None = None, minutes: float = 5, **kw):
        t = self.task(step, role)
        return self.ev(
            E.Reply(
                task=t.key,
                sender=t.recipient,
                decision=decision,
                message_id=f"m{len(self.fx)}",
                **kw,
            ),
            minutes,
        )

    def forms(self, units=("SEK", "PEM", "TRANTIB"), ok=True, minutes=30):
        for code in units:
            t = next(t for t in self.st.open_tasks("S4") if t.unit == code)
            self.ev(
                E.FormIn(
                    task=t.key,
                    sender=t.recipient,
                    ok=ok,
                    errors=[] if ok else ["baris 2: bukan angka"],
                ),
                minutes,
            )

    def of(self, kind, effects=None):
        return [f for f in (self.fx if effects is None else effects) if isinstance(f, kind)]

    def notices(self, kind: str, effects=None):
        return [n for n in self.of(E.SendNotice, effects) if n.kind == kind]

    def events(self) -> list[str]:
        return [f.event for f in self.of(E.Log)]


def to_s6(r: Run) -> None:
    r.ev(E.Start(period="2025-TW3"))
    r.reply("S1", "approve")
    r.forms()
    r.reply("S5", "approve")


def test_start_asks_camat_for_the_order():
    r = Run()
    fx = r.ev(E.Start(period="2025-TW3"))
    letters = r.of(E.SendLetter, fx)
    assert r.st.current == "S1" and r.st.steps["S1"].status == "active"
    assert letters[0].kind == "nota_dinas" and letters[0].purpose == "perintah"
    assert letters[0].envelopes[0].to == ["camat@k.test"]
    assert r.st.steps["S1"].due == T0 + timedelta(minutes=10)


def test_order_then_forms_and_request_letter_go_out():
    r = Run()
    r.ev(E.Start(period="2025-TW3"))
    fx = r.reply("S1", "approve")
    made = [m.ref for m in r.of(E.MakeDoc, fx)]
    assert {(m.kind, m.unit) for m in made} == {
        ("form", "SEK"),
        ("form", "PEM"),
        ("form", "TRANTIB"),
    }
    (letter,) = [x for x in r.of(E.SendLetter, fx) if x.kind == "permintaan_data"]
    assert len(letter.envelopes) == 3 and all(
        e.task for e in letter.envelopes
    )  # one letter, three e-mails
    assert (
        r.st.current == "S4"
        and r.st.steps["S2"].status == "done"
        and r.st.steps["S3"].status == "done"
    )
    # Deadline: three working days later (Thu 9 Oct), at the close of that office day (SPEC §6.2).
    assert r.st.deadline.isoformat() == "2025-10-09T16:00:00+07:00"
    assert letter.data["batas_waktu"] == r.st.deadline


def test_deadline_on_a_friday_is_fridays_close():
    from datetime import time

    hours = {d: (time(7, 30), time(16, 0)) for d in range(4)} | {4: (time(7, 30), time(16, 30))}
    r = Run(cal=WorkCalendar("Asia/Jakarta", hours=hours))
    r.now = datetime(2025, 10, 7, 8, 0, tzinfo=TZ)  # Tuesday: three working days -> Friday
    r.ev(E.Start(period="2025-TW3"))
    r.reply("S1", "approve")
    assert r.st.deadline.isoformat() == "2025-10-10T16:30:00+07:00"


def test_perintah_otomatis_skips_s1():
    r = Run(perintah_otomatis=True)
    r.ev(E.Start(period="2025-TW3"))
    assert r.st.steps["S1"].status == "skipped" and r.st.current == "S4"


def test_tinjau_format_waits_for_kasubag():
    r = Run(tinjau_format=True)
    r.ev(E.Start(period="2025-TW3"))
    r.reply("S1", "approve")
    assert r.st.current == "S2" and r.notices("tinjau_format")
    r.reply("S2", "approve")
    assert r.st.current == "S4"


def test_collection_reminders_grace_and_missing_unit():
    r = Run()
    r.ev(E.Start(period="2025-TW3"))
    r.reply("S1", "approve")
    r.forms(units=("SEK",))
    start = r.st.steps["S4"].started
    half = r.ctx.cal.add(
        start, Duration(0, 1) if False else r.ctx.cal.scale(r.ctx.sop.step("S4").standar, 0.5)
    )
    fx = r.until(half)
    assert {n.to[0] for n in r.notices("pengingat_unit", fx)} == {"u2@k.test", "u3@k.test"}
    fx = r.until(r.st.deadline)
    assert len(r.notices("pengingat_unit", fx)) == 2
    r.forms(units=("PEM",))
    fx = r.until(r.ctx.cal.add(r.st.deadline, r.ctx.tenggang_kumpul))
    assert r.st.units["TRANTIB"].status == "missing"
    assert r.notices("unit_terlambat", fx)[0].data["units"] == ["TRANTIB"]
    assert r.st.current == "S5" and "tidak_menyampaikan_data" in r.events()


def test_all_forms_move_on_before_deadline_and_invalid_form_is_answered():
    r = Run()
    r.ev(E.Start(period="2025-TW3"))
    r.reply("S1", "approve")
    r.forms(units=("SEK",), ok=False)
    assert (
        r.notices("formulir_salah")
        and r.st.units["SEK"].status == "pending"
        and r.st.units["SEK"].rejected == 1
    )
    r.forms()
    assert r.st.current == "S5"
    assert len(r.of(E.RegisterIn)) == 4  # S1 decision + three accepted forms, not the rejected one
    assert [m.ref.version for m in r.of(E.MakeDoc) if m.ref.kind == "draft_report"] == [1]


def test_late_form_during_s5_recompiles_and_resends():
    r = Run()
    r.ev(E.Start(period="2025-TW3"))
    r.reply("S1", "approve")
    r.forms(units=("SEK", "PEM"))
    r.until(r.ctx.cal.add(r.st.deadline, r.ctx.tenggang_kumpul))
    assert r.st.current == "S5" and r.st.units["TRANTIB"].status == "missing"
    old = r.task("S5")
    fx = r.ev(E.FormIn(task=r.st.units["TRANTIB"].task, sender="u3@k.test", ok=True), 10)
    assert r.st.units["TRANTIB"].status == "received"
    assert [m.ref.version for m in r.of(E.MakeDoc, fx) if m.ref.kind == "draft_report"] == [2]
    assert r.st.task(old.key).status == "closed" and r.task("S5").doc_version == 2
    # The old task's token now only gets "sudah diproses".
    fx = r.ev(E.Reply(task=old.key, sender=old.recipient, decision="approve"), 5)
    assert r.notices("sudah_diproses", fx) and r.st.current == "S5"


def test_form_after_draft_approved_is_refused():
    r = Run()
    to_s6(r)
    sek_task = r.st.units["SEK"].task
    fx = r.ev(E.FormIn(task=sek_task, sender="u1@k.test", ok=True), 5)
    assert r.notices("pengumpulan_ditutup", fx)


def test_wrong_file_is_answered_by_the_engine_and_the_task_stays_open():
    r = Run()
    r.ev(E.Start(period="2025-TW3"))
    r.reply("S1", "approve")
    sek_task = r.st.units["SEK"].task
    fx = r.ev(E.WrongFile(task=sek_task, sender="u1@k.test",
                          errors=["scan.jpg: foto/gambar, bukan formulir"]), 5)
    (n,) = r.notices("berkas_salah", fx)
    assert n.to == ["u1@k.test"] and n.task == sek_task and n.step == "S4"
    assert n.data["errors"] == ["scan.jpg: foto/gambar, bukan formulir"]
    assert "melampirkan formulir pemantauan (DOCX)" in n.data["saran"]
    (lg,) = r.of(E.Log, fx)
    assert (lg.step, lg.event, lg.who, lg.detail) == (
        "S4", "lampiran_salah", "SEK", "scan.jpg: foto/gambar, bukan formulir")
    assert r.st.task(sek_task).status == "open" and r.st.units["SEK"].status == "pending"
    assert r.st.units["SEK"].rejected == 0 and not r.of(E.RegisterIn, fx)


def test_wrong_file_without_a_named_file_says_unrecognised():
    r = Run()
    r.ev(E.Start(period="2025-TW3"))
    r.reply("S1", "approve")
    fx = r.ev(E.WrongFile(task=r.st.units["PEM"].task, sender="u2@k.test"), 5)
    (n,) = r.notices("berkas_salah", fx)
    assert n.data["errors"] == ["lampiran tidak dikenali"]
    assert [(x.event, x.who, x.detail) for x in r.of(E.Log, fx)] == [("lampiran_salah", "PEM", "")]


def test_attachments_over_the_limits_are_answered_with_send_again():
    r = Run()
    r.ev(E.Start(period="2025-TW3"))
    r.reply("S1", "approve")
    t = r.st.units["TRANTIB"].task
    errors = ["besar.zip: 30 MB, melebihi batas 25 MB", "lain.pdf: melebihi batas"]
    fx = r.ev(E.WrongFile(task=t, sender="u3@k.test", errors=errors, too_large=True), 5)
    (n,) = r.notices("berkas_salah", fx)
    assert n.data["errors"] == errors and n.data["saran"].startswith("Mohon kirim ulang")
    assert [(x.step, x.event, x.who, x.detail) for x in r.of(E.Log, fx)] == [
        ("S4", "pesan_melebihi_batas", "u3@k.test", "; ".join(errors))]
    assert r.st.task(t).status == "open" and r.st.current == "S4"


def test_wrong_file_for_an_unknown_task_does_nothing():
    r = Run()
    r.ev(E.Start(period="2025-TW3"))
    before = r.st
    assert r.ev(E.WrongFile(task="PK-2025-TW3#999", sender="x@k.test", errors=["a"])) == []
    assert r.st == before


def test_loop_brake_keys_on_what_the_notice_says_not_the_words_it_answers():
    def note(kind="mohon_jelas", task="PK-2025-TW3#4", **data):
        return E.SendNotice(step="S6", kind=kind, to=["sek@k.test"], task=task, data=data)

    a = E.brake_key(note(baris="SETUJU tapi nanti", dipahami="setuju?", sebab="ragu", tanya="x"))
    b = E.brake_key(note(baris="ok deh 10.02", dipahami="-", sebab="lain", tanya="x"))
    assert a == b and a.startswith("mohon_jelas:PK-2025-TW3#4:")  # one clarification a day
    assert E.brake_key(note(tanya="y")) != a  # a different question is a different notice
    assert E.brake_key(note(task="PK-2025-TW3#5", tanya="x")) != a  # another task too
    assert E.brake_key(note(kind="berkas_salah", errors=["a.jpg"])).startswith("berkas_salah:")
    # Reminders, letters' acknowledgements and escalations are never braked.
    assert E.brake_key(note(kind="pengingat")) is None
    assert E.brake_key(note(kind="eskalasi")) is None


def test_kasubag_docx_at_s5_is_new_version_and_goes_to_s6():
    r = Run()
    r.ev(E.Start(period="2025-TW3"))
    r.reply("S1", "approve")
    r.forms()
    f = E.StoredFile(path="/a/x.docx", sha256="ab" * 32, filename="x.docx")
    r.reply("S5", "none", docx=f)
    assert r.st.draft_version == 2 and r.st.current == "S6"
    assert r.of(E.RecordDoc)[-1].ref == E.DocRef(kind="draft_report", version=2)


def test_route_revisi_loop_then_camat_schedules():
    r = Run()
    to_s6(r)
    assert r.task("S6").role == "sekretaris"
    r.reply("S6", "revise", note="tambahkan analisis")
    assert r.st.current == "S6" and r.task("S6").role == "kasubag_perencanaan"
    assert r.notices("minta_revisi")[-1].data["catatan"] == ["Sekretaris Camat: tambahkan analisis"]
    # Kasubag replies SETUJU without a file: asked again, nothing changes.
    r.reply("S6", "approve")
    assert r.notices("mohon_jelas") and r.task("S6").role == "kasubag_perencanaan"
    r.reply(
        "S6", "none", docx=E.StoredFile(path="/a/v2.docx", sha256="cd" * 32, filename="v2.docx")
    )
    assert r.st.draft_version == 2 and r.task("S6").role == "sekretaris"  # route starts again
    r.reply("S6", "approve")
    t = r.task("S6")
    assert t.role == "camat" and t.allow_schedule
    r.reply(
        "S6",
        "schedule",
        meeting_date=datetime(2025, 10, 20).date(),
        meeting_time="10.00",
        meeting_place="Ruang Rapat",
    )
    assert r.st.current == "S8" and r.st.steps["S7"].status == "done"
    assert r.st.meeting["start"] == datetime(2025, 10, 20, 10, 0, tzinfo=TZ)
    assert r.st.meeting["place"] == "Ruang Rapat"
    inv = [x for x in r.of(E.SendLetter) if x.kind == "undangan"][0]
    assert inv.envelopes[0].to == ["camat@k.test", "sek@k.test"] and inv.envelopes[0].task is None


def test_schedule_from_sekretaris_is_not_allowed():
    r = Run()
    to_s6(r)
    r.reply("S6", "schedule", meeting_date=datetime(2025, 10, 20).date(), meeting_time="10.00")
    assert r.notices("mohon_jelas") and r.task("S6").role == "sekretaris"


def meeting_done(r: Run) -> None:
    to_s6(r)
    r.reply("S6", "approve")
    r.reply("S6", "approve")
    assert r.st.steps["S8"].status == "waiting"
    r.until(r.st.meeting["end"])
    assert r.notices("hasil_rapat") and r.st.steps["S8"].status == "active"


def test_meeting_without_changes_skips_s9():
    r = Run()
    meeting_done(r)
    r.reply("S8", "approve")
    assert r.st.steps["S9"].status == "skipped" and r.st.current == "S10"


def test_meeting_revisi_goes_through_s9_then_s10_revisi_loops_back():
    r = Run()
    meeting_done(r)
    r.reply("S8", "revise", note="target disesuaikan")
    assert r.st.current == "S9" and r.notices("minta_revisi")[-1].data["catatan"][-1].endswith(
        "target disesuaikan"
    )
    r.reply(
        "S9", "none", docx=E.StoredFile(path="/a/v2.docx", sha256="ef" * 32, filename="v2.docx")
    )
    assert r.st.current == "S10"
    r.reply("S10", "revise", note="salah ketik")
    assert (
        r.st.current == "S9"
        and r.st.steps["S10"].status == "waiting"
        and r.st.steps["S9"].runs == 2
    )
    r.reply(
        "S9", "none", docx=E.StoredFile(path="/a/v3.docx", sha256="aa" * 32, filename="v3.docx")
    )
    # Sekretaris sends a corrected DOCX: accepted as the new version, goes to the Camat.
    r.reply(
        "S10", "none", docx=E.StoredFile(path="/a/v4.docx", sha256="bb" * 32, filename="v4.docx")
    )
    assert r.st.current == "S11" and r.st.draft_version == 4


def test_signature_by_approval_issues_final_report_then_selesai_closes():
    r = Run()
    meeting_done(r)
    r.reply("S8", "approve")
    r.reply("S10", "approve")
    fx = r.reply("S11", "approve")
    assert any(m.ref.kind == "final_report" for m in r.of(E.MakeDoc, fx))
    assert [x.kind for x in r.of(E.SendLetter, fx)] == ["pengantar", "nota_dinas"]
    assert r.st.current == "S13" and r.task("S13").allow_selesai
    fx = r.reply("S13", "approve", note="SELESAI")
    assert r.st.status == "closed"
    assert r.of(E.SaveKinerja, fx) and r.notices("ringkasan", fx)
    assert all(s.status in ("done", "skipped") for s in r.st.steps.values())
    assert not r.st.open_tasks() and not r.st.timers


def test_signed_pdf_is_archived_as_final_report():
    r = Run()
    meeting_done(r)
    r.reply("S8", "approve")
    r.reply("S10", "approve")
    pdf = E.StoredFile(path="/a/ttd.pdf", sha256="cc" * 32, filename="ttd.pdf")
    fx = r.reply("S11", "none", pdf=pdf)
    assert r.of(E.RecordDoc, fx)[0].ref.kind == "final_report"
    assert not any(m.ref.kind == "final_report" for m in r.of(E.MakeDoc, fx))
    assert r.st.final["source"] == "signed_pdf" and r.st.current == "S13"


def test_signed_pdf_without_the_signature_code_is_not_taken():
    """The reader found the S11 code missing (it reads the reply as unclear); the engine decides
    what follows: the PDF is not the final report, the step stays, the Camat is asked again
    with the reason and how to sign."""
    r = Run()
    meeting_done(r)
    r.reply("S8", "approve")
    r.reply("S10", "approve")
    pdf = E.StoredFile(path="/a/ttd.pdf", sha256="cc" * 32, filename="ttd.pdf")
    fx = r.reply("S11", "unclear", pdf=pdf, code_problem="kode tanda tangan tidak ada")
    assert not r.of(E.RecordDoc, fx) and r.st.final is None and r.st.current == "S11"
    (ask,) = r.notices("mohon_jelas", fx)
    assert ask.data["alasan"].startswith("kode tanda tangan tidak ada; untuk menandatangani")
    assert "SETUJU diikuti kode enam angka" in ask.data["alasan"]
    assert "pdf_bertanda_tangan_diterima" not in r.events()


def test_camat_revisi_at_s11_goes_back_to_s9():
    r = Run()
    meeting_done(r)
    r.reply("S8", "approve")
    r.reply("S10", "approve")
    r.reply("S11", "revise", note="perbaiki judul")
    assert r.st.current == "S9"


def test_overdue_reminder_once_and_escalation_at_twice_the_standard():
    r = Run()
    r.ev(E.Start(period="2025-TW3"))
    fx = r.until(T0 + timedelta(minutes=10))
    assert len(r.notices("pengingat", fx)) == 1 and r.notices("pengingat", fx)[0].to == [
        "camat@k.test"
    ]
    fx = r.until(T0 + timedelta(minutes=15))
    assert not r.notices("pengingat", fx)
    fx = r.until(T0 + timedelta(minutes=20))
    # The Camat has no superior in the SOP table: no escalation is sent, nothing breaks.
    assert not r.notices("eskalasi", fx)


def test_kasubag_escalates_to_sekretaris():
    r = Run()
    r.ev(E.Start(period="2025-TW3"))
    r.reply("S1", "approve")
    r.forms()
    start = r.st.steps["S5"].started
    fx = r.until(r.ctx.cal.add(start, Duration(0, 4)))
    (esc,) = r.notices("eskalasi", fx)
    assert esc.to == ["sek@k.test"] and esc.cc == ["kasubag@k.test"]


def test_unclear_reply_changes_nothing():
    r = Run()
    r.ev(E.Start(period="2025-TW3"))
    before = E.to_json(r.st)
    fx = r.reply("S1", "unclear", minutes=1)
    assert r.notices("mohon_jelas", fx)
    after = E.to_json(r.st)
    assert before["current"] == after["current"] and before["tasks"] == after["tasks"]


def test_bounce_marks_recipient_and_tells_kasubag():
    r = Run()
    r.ev(E.Start(period="2025-TW3"))
    fx = r.ev(E.Bounce(recipient="camat@k.test", detail="5.1.1 user unknown"))
    assert "camat@k.test" in r.st.undeliverable and r.notices("gagal_kirim", fx)[0].to == [
        "kasubag@k.test"
    ]


def test_bounce_tells_the_operator_when_the_office_named_one():
    r = Run(operators=["it@k.test", "admin@k.test"])
    r.ev(E.Start(period="2025-TW3"))
    fx = r.ev(E.Bounce(recipient="camat@k.test", detail="5.1.1 user unknown"))
    assert r.notices("gagal_kirim", fx)[0].to == ["it@k.test", "admin@k.test"]


def test_state_round_trips_through_json():
    r = Run()
    meeting_done(r)
    assert E.to_json(E.from_json(E.to_json(r.st))) == E.to_json(r.st)


def test_input_state_is_not_modified():
    r = Run()
    st = r.st
    E.advance(st, E.Start(period="2025-TW3"), T0, r.ctx)
    assert st.current == "" and not st.tasks


def test_sop_file_errors_name_the_step():
    with pytest.raises(Exception) as e:
        parse_sop(
            {
                "langkah": [
                    {
                        "id": "S1",
                        "kunci": "x",
                        "standar": "sebentar",
                        "jenis": "aneh",
                        "pelaksana": "camat",
                        "setuju": "S9",
                    }
                ]
            }
        )
    text = str(e.value)
    assert "langkah S1.jenis" in text and "langkah S1.standar" in text and "S9" in text


def test_copy_state_shares_nothing_mutable():
    r = Run()
    meeting_done(r)
    r.st.approvals.append({"step": "S6", "at": T0})
    c = E.copy_state(r.st)
    assert E.to_json(c) == E.to_json(r.st)

    def containers(obj, seen):
        if isinstance(obj, (list, dict)) or hasattr(obj, "__dataclass_fields__"):
            seen.add(id(obj))
            values = obj.values() if isinstance(obj, dict) else obj if isinstance(obj, list) else \
                [getattr(obj, f) for f in obj.__dataclass_fields__]
            for v in values:
                containers(v, seen)
        return seen

    assert not containers(c, set()) & containers(r.st, set())


def test_every_letter_is_addressed_by_the_engine():
    """Whom each cover letter is addressed to ("Yth.") is the engine's decision, seen here: the
    order and the route's nota dinas to the official asked, the data request to every unit's
    head, the invitation to the officials of echelon III/IV, the cover letter to the Kasubag."""
    r = Run()
    meeting_done(r)
    r.reply("S8", "approve")
    r.reply("S10", "approve")
    r.reply("S11", "approve")
    by_step = {(x.step, x.kind): x.kepada for x in r.of(E.SendLetter)}
    assert by_step[("S1", "nota_dinas")] == ["camat"]
    assert by_step[("S3", "permintaan_data")] == ["unit:SEK", "unit:PEM", "unit:TRANTIB"]
    assert by_step[("S6", "nota_dinas")] == ["camat"]  # the last of the route: the Camat
    sent_s6 = [x.kepada for x in r.of(E.SendLetter) if x.step == "S6"]
    assert sent_s6[0] == ["sekretaris"] and sent_s6[-1] == ["camat"]
    assert by_step[("S7", "undangan")] == [E.PESERTA_RAPAT]
    assert by_step[("S12", "pengantar")] == ["kasubag_perencanaan"]
    assert all(x.kepada for x in r.of(E.SendLetter) if x.kind), "a cover letter without Yth."
