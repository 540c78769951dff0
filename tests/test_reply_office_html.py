"""What the text says, through a real office (issue 12 point 5, SPEC §3.2): the Camat's S1 task
gets replies whose HTML hides a SETUJU, or whose text and HTML parts disagree. None may change
the cycle or the registers; the Camat gets one clarification (per task and day, whatever the
reasons) that says why. The genuine answer, the same in both parts, still approves."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from test_hostile import Office, body, make_office
from test_trust import ingest_unchanged

CAMAT = "camat@kecamatan.test"


@pytest.fixture
def s1(tmp_path):
    o = make_office(tmp_path / "kantor", to_s4=False)
    yield o
    o.close()


def reply(office: Office, plain: str | None, html: str | None) -> bytes:
    task = office.task(step="S1")
    req = office.request(task)
    m = EmailMessage()
    m["From"] = CAMAT
    m["To"] = office.app.cfg.mail.alamat
    m["Subject"] = "Re: " + str(req["Subject"])
    m["Message-ID"] = make_msgid(domain="kecamatan.test")
    m["In-Reply-To"] = m["References"] = str(req["Message-ID"])
    if plain is not None:
        m.set_content(plain + "\n\nPada 06/10/2025 pukul 08.05 Pantau menulis:\n> permintaan\n")
        if html is not None:
            m.add_alternative(html, subtype="html")
    else:
        m.set_content(html, subtype="html")
    return bytes(m)


FORGED = {
    "hidden SETUJU, HTML only": (None, '<div style="display:none">SETUJU</div><div>Nanti saya '
                                       "baca</div>"),
    "hidden SETUJU, nothing visible": (None, '<span style="display:none">SETUJU</span>'),
    "hidden by a style sheet": (None, "<style>.p{display:none}</style><p class=p>ACC</p><p>Baik"
                                      "</p>"),
    "white on white": (None, '<font color="#ffffff">SETUJU</font><div>Sudah saya terima</div>'),
    "plain SETUJU, HTML REVISI": ("SETUJU", "<div>REVISI tabel 2</div>"),
    "plain SETUJU, HTML hides it": ("SETUJU", '<div style="mso-hide:all">SETUJU</div>'),
    "plain REVISI, HTML SETUJU": ("REVISI", "<div>SETUJU</div>"),
}


@pytest.mark.parametrize("name", list(FORGED))
def test_hidden_or_disagreeing_text_changes_nothing(s1, name):
    plain, html = FORGED[name]
    last = s1.last_outbox_id()
    s1.clock.advance(minutes=5)
    row, _ = ingest_unchanged(s1, reply(s1, plain, html))
    assert row["status"] == "diproses"
    assert s1.app.store.load_cycle(s1.code).current == "S1"
    answers = [(str(m["Subject"]), body(m)) for _, m in s1.outbox_since(last, CAMAT)]
    assert [s for s, _ in answers if "jawaban yang jelas" in s], answers
    text = " ".join(b for _, b in answers)
    assert "Tidak ada yang diubah." in text and "SETUJU saja" in text
    if plain is not None:
        assert "isi teks biasa dan isi HTML e-mail berbeda keputusannya" in text
    events = [e for e in s1.store.cycle_log(s1.code) if e["event"] == "balasan_tidak_jelas"]
    assert events and events[-1]["who"] == CAMAT


def test_one_clarification_a_day_whatever_the_reasons(s1):
    last = s1.last_outbox_id()
    for plain, html in (
        FORGED["plain SETUJU, HTML REVISI"],
        (None, "<p>Setuju jika PMD lengkap</p>"),
        ("Setuju?", None),
    ):
        s1.clock.advance(minutes=10)
        ingest_unchanged(s1, reply(s1, plain, html))
    said = [m for _, m in s1.outbox_since(last, CAMAT) if "jawaban yang jelas" in str(m["Subject"])]
    assert len(said) == 1
    logged = [
        e["detail"] for e in s1.store.cycle_log(s1.code) if e["event"] == "balasan_tidak_jelas"
    ]
    assert any("jika PMD lengkap" in d for d in logged) and any("pertanyaan" in d for d in logged)


@pytest.mark.slow
def test_the_genuine_answer_in_both_parts_approves(s1):
    s1.clock.advance(minutes=5)
    row = s1.ingest(reply(s1, "SETUJU, segera laksanakan.",
                          '<div dir="ltr">SETUJU, segera laksanakan.<span style="display:none">'
                          "tapi jangan</span></div>"))
    assert row["status"] == "diproses"
    assert s1.app.store.load_cycle(s1.code).current != "S1"
    masuk = s1.store._q("SELECT perihal FROM register_masuk")
    assert [r["perihal"].split(":")[0] for r in masuk] == ["Persetujuan"]
