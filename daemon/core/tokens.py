"""Task tokens (SPEC §3.1): 8 Crockford base32 characters from an HMAC of the task key with the
office secret, written `XXXX-XXXX` in subjects, `local+XXXXXXXX@domain` in plus addresses."""

from __future__ import annotations

import hashlib
import hmac

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_TYPO = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})


def make_token(secret: bytes, task_key: str) -> str:
    digest = hmac.new(secret, task_key.encode(), hashlib.sha256).digest()
    n = int.from_bytes(digest[:5], "big")  # 40 bits = 8 base32 characters
    chars = "".join(CROCKFORD[(n >> (5 * i)) & 31] for i in reversed(range(8)))
    return f"{chars[:4]}-{chars[4:]}"


def normalise(token: str) -> str | None:
    """Canonical `XXXX-XXXX` form of what a person or client may have mangled, or None."""
    t = token.upper().replace("-", "").replace(" ", "").translate(_TYPO)
    if len(t) != 8 or any(c not in CROCKFORD for c in t):
        return None
    return f"{t[:4]}-{t[4:]}"
