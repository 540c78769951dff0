"""Codes derived with the office secret that a person may be shown (SPEC §3.1, §6.5, §8).

- `verification_code`: the final report's verification code, printed after "Kode verifikasi:" in
  the lembar pengesahan and looked up by `/verifikasi/<code>`. It is derived from the cycle, the
  register number and the sha256 of the *approved version's* file (not of the final report
  itself, so it can be printed inside that report without hashing itself). Written as
  `XXXX-XXXX-XXXX` in Crockford base32; `normalise_code` accepts what a person types.
- `signature_code`: the six digits the Camat must give with the S11 approval; derived from the
  task key, never printed anywhere but the S11 e-mail's body.

Pure functions: no I/O.
"""

from __future__ import annotations

import hashlib
import hmac

from daemon.core.tokens import CROCKFORD

_TYPO = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})


def verification_code(secret: bytes, cycle: str, nomor_surat: str, sha256: str) -> str:
    """12 Crockford base32 characters (60 bits) in three groups: `7KQ2-M9XD-4TRA`."""
    msg = f"verifikasi\x00{cycle}\x00{nomor_surat}\x00{sha256.lower()}".encode()
    digest = hmac.new(secret, msg, hashlib.sha256).digest()
    n = int.from_bytes(digest[:8], "big") >> 4  # 60 bits
    chars = "".join(CROCKFORD[(n >> (5 * i)) & 31] for i in reversed(range(12)))
    return f"{chars[:4]}-{chars[4:8]}-{chars[8:]}"


def normalise_code(code: str) -> str | None:
    """Canonical `XXXX-XXXX-XXXX` of a typed or scanned verification code, or None."""
    t = code.upper().replace("-", "").replace(" ", "").translate(_TYPO)
    if len(t) != 12 or any(c not in CROCKFORD for c in t):
        return None
    return f"{t[:4]}-{t[4:8]}-{t[8:]}"


def signature_code(secret: bytes, task_key: str) -> str:
    """Six decimal digits for the S11 signature task `task_key` (e.g. `PK-2025-TW3#41`)."""
    digest = hmac.new(secret, f"ttd\x00{task_key}".encode(), hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 1_000_000:06d}"
