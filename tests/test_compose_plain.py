"""A text-only letter written directly (daemon/mail/compose.py `plain_text_bytes`, issue #17) is
byte for byte what EmailMessage makes, or is left to EmailMessage: random subjects, names,
addresses and bodies, tricky characters included."""

from __future__ import annotations

import random
import string
from datetime import UTC, datetime, timedelta, timezone

from daemon.mail import compose

ALPHABET = string.ascii_letters + string.digits + " .,:;()[]<>\"'@#=?!-_/\\%&*+é–\t"


def _words(rng: random.Random, n: int, alphabet: str = ALPHABET) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _address(rng: random.Random) -> str:
    local = rng.choice(["sekretariat", "kasi.pem", "unit-17", "a_b+c", "Kasubag", "x" * 40,
                        "sekretariat", "kasi.pem", "pantau",
                        _words(rng, 6, string.ascii_lowercase + ".-_")])
    return f"{local}@{rng.choice(['kecamatan.test', 'mail.kab-contoh.go.id', 'x.y'])}"


def _case(rng: random.Random) -> dict:
    body_lines = []
    for _ in range(rng.randint(0, 12)):
        body_lines.append(rng.choice([
            "Yth. Kepala Seksi Pemerintahan,", "", _words(rng, rng.randint(0, 90)), "Terima kasih.",
            "Realisasi triwulan III: 85,5 %", "é" * rng.randint(1, 50), " indentasi", "From me",
        ]))
    name = rng.choice(["Pantau", "Pantau Kecamatan Cibeunying", "Pantau Kecamatan", "Pantau",
                       "Kec. Cibeunying", "Pantau é", "Kasubag (Perencanaan)",
                       _words(rng, 10, string.ascii_letters + " ")])
    tz = timezone(timedelta(hours=rng.choice([0, 7, 8, 9, -3])))
    return dict(
        sender=_address(rng), sender_name=name,
        to=[_address(rng) for _ in range(rng.randint(1, 3))],
        cc=[_address(rng) for _ in range(rng.randint(0, 2))],
        subject=rng.choice(["Tanda terima formulir", "Tanda terima: formulir kinerja (versi 2)",
                            "Pengingat: formulir belum diterima", _words(rng, rng.randint(0, 70)),
                            "Tanda terima data kinerja " + " ".join(
                                _words(rng, rng.randint(1, 14), string.ascii_letters + "()-:")
                                for _ in range(rng.randint(1, 30))),
                            "Formulir diterima – versi 2", "=?utf-8?q?x?=", "a  b"]),
        body="\n".join(body_lines) + rng.choice(["", "\n", "\r\n"]),
        message_id=f"pantau.{rng.getrandbits(64):x}@kecamatan.test",
        date=datetime(2025, 10, rng.randint(1, 28), rng.randint(0, 23), 5, tzinfo=tz),
        cycle=rng.choice(["PK-2025-TW3", ""]),
        token=rng.choice([None, "ABCD-EFGH"]),
        reply_to=rng.choice([None, "pantau+ABCDEFGH@kecamatan.test"]),
        notification=rng.random() < 0.5,
        in_reply_to=rng.choice([None, "CAx123.456@mail.gmail.com", "CAx123.456@mail.gmail.com",
                                "a b@c", "x" * 80 + "@y"]),
        step=rng.choice(["", "S4"]),
    )


def _through_email_message(kw: dict) -> bytes:
    """build_message with the direct writing switched off."""
    saved = compose.plain_text_bytes
    compose.plain_text_bytes = lambda headers, body: None
    try:
        return compose.build_message(**kw)
    finally:
        compose.plain_text_bytes = saved


def test_the_direct_bytes_are_email_messages_or_it_steps_aside():
    rng = random.Random(5)
    direct = 0
    for _ in range(3000):
        kw = _case(rng)
        try:
            want = _through_email_message(kw)
        except Exception as e:  # noqa: BLE001 - an address email refuses: refused either way
            assert not _is_direct(kw), (kw, e)
            continue
        assert compose.build_message(**kw) == want, kw
        direct += _is_direct(kw)
    assert direct > 250, direct  # the direct path was taken often enough to be tested


def _is_direct(kw: dict) -> bool:
    seen = []
    saved = compose.plain_text_bytes

    def spy(headers, body):
        out = saved(headers, body)
        seen.append(out is not None)
        return out

    compose.plain_text_bytes = spy
    try:
        compose.build_message(**kw)
    except Exception:  # noqa: BLE001, S110 - EmailMessage's refusal; what was seen counts
        pass
    finally:
        compose.plain_text_bytes = saved
    return seen == [True]


def test_an_acknowledgement_as_pantau_writes_it_is_written_directly():
    kw = dict(sender="pantau@kecamatan.test", sender_name="Pantau Kecamatan Cibeunying",
              to=["sekretariat@kecamatan.test"], cc=[], subject="Tanda terima: formulir kinerja "
              "triwulan III", body="Yth. Sekretaris,\n\nFormulir diterima: 6 indikator.\n",
              message_id="pantau.1@kecamatan.test", date=datetime(2025, 10, 8, 9, 0,
                                                                   tzinfo=UTC),
              cycle="PK-2025-TW3", token="ABCD-EFGH", reply_to="pantau+ABCDEFGH@kecamatan.test",
              notification=True, in_reply_to="CAx1@mail.gmail.com", step="S4")
    assert _is_direct(kw)
    assert compose.build_message(**kw) == _through_email_message(kw)
