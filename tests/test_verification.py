"""The codes a person may be shown: verification code of a final report, S11 signature code."""

from daemon.core.verification import normalise_code, signature_code, verification_code
from daemon.store import Store


def test_verification_code_depends_on_every_input_and_the_secret():
    base = verification_code(b"rahasia", "PK-2025-TW3", "000.8.6.3/9/Kec-LSB/2025", "ab" * 32)
    assert len(base) == 14 and base.count("-") == 2
    others = {
        verification_code(b"lain", "PK-2025-TW3", "000.8.6.3/9/Kec-LSB/2025", "ab" * 32),
        verification_code(b"rahasia", "PK-2025-TW2", "000.8.6.3/9/Kec-LSB/2025", "ab" * 32),
        verification_code(b"rahasia", "PK-2025-TW3", "000.8.6.3/10/Kec-LSB/2025", "ab" * 32),
        verification_code(b"rahasia", "PK-2025-TW3", "000.8.6.3/9/Kec-LSB/2025", "ac" * 32),
    }
    assert base not in others and len(others) == 4


def test_typed_verification_code_is_normalised():
    code = verification_code(b"k", "PK-2025-TW3", "1", "00" * 32)
    typed = code.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    assert normalise_code(typed) == code
    assert normalise_code("ABCD-EFGH") is None


def test_signature_code_is_six_digits_per_task():
    a, b = signature_code(b"k", "PK-2025-TW3#41"), signature_code(b"k", "PK-2025-TW3#42")
    assert len(a) == 6 and a.isdigit() and a != b
    assert signature_code(b"other", "PK-2025-TW3#41") != a


def test_verification_row_round_trip(tmp_path):
    s = Store(tmp_path / "p.db")
    s.put_verification(kode="AAAA-BBBB-CCCC", cycle="PK-2025-TW3", nomor_surat="n", judul="j",
                       periode="Triwulan III 2025", tanggal="2025-10-20T10:00:00+07:00",
                       sha256_docx="d", sha256_pdf="", sha256_sumber="s",
                       persetujuan=[{"langkah": "S11", "versi": 4, "nama": "Camat"}])
    s.set_verification_pdf("PK-2025-TW3", "p")
    row = s.verification("AAAA-BBBB-CCCC")
    assert row["sha256_pdf"] == "p" and row["persetujuan"][0]["versi"] == 4
    assert s.verification("XXXX-XXXX-XXXX") is None
