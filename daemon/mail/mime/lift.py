"""Base64 bodies of a message in memory taken out before the `email` parser reads it.

The feed parser handles a message line by line in Python: for a reply with an 80 KB form that
is ~1,100 lines of base64 it only carries over, ~1.4 ms of the ~2 ms the parse takes. `lift`
finds each base64 leaf body with `bytes.find` instead (a base64 body holds no "-", so the first
line after it that starts with "--" is where it can end), decodes it in one call, and leaves in
the message a header that names the decoded bytes, like spool.py does for a big message on disk
(the same `Spooled` value, the same marker made for this one parse, read by parts.py).

It lifts only what it can take out exactly as the parser would have read it: a body that ends
at one of the open boundaries, with no CR other than in CRLF (the parser also ends lines at a
lone CR), whose text `binascii.a2b_base64` decodes. Anything else stays in the message, and the
parser reads it as before. Parts inside a forwarded message are never lifted (as in spool.py).
tests/test_mime_lift.py reads the corpus both ways.
"""

from __future__ import annotations

import binascii
import secrets

from daemon.mail.mime.spool import Spooled, after_boundary, boundary_hit, describe_block

# A base64 body is lifted when its encoded text is at least this long (smaller ones are a few
# lines the parser reads quickly).
LIFT_FROM = 4 << 10


def lift(data: bytes, refuse_over: int, lift_from: int | None = None) -> Spooled | None:
    """`data` with its base64 leaf bodies of `lift_from` (default LIFT_FROM) bytes or more taken
    out, or None when there is none (then the message is parsed as it is). `refuse_over`:
    decoded size over which a part is not decoded at all (parts.py refuses it by its size)."""
    lift_from = LIFT_FROM if lift_from is None else lift_from
    marker = f"X-Pantau-Spool-{secrets.token_hex(12)}"
    out: list[bytes] = []
    parts: dict[str, tuple[bytes | None, int]] = {}
    boundaries: list[bytes] = []
    frozen = -1  # boundaries depth of a message/rfc822 part being passed over; -1: none
    in_header, top = True, True
    head_at = 0  # where the header block being read began
    copied = 0  # data[copied:pos] is still to be copied to `out`
    pos, n = 0, len(data)
    while pos < n:
        nl = data.find(b"\n", pos)
        end = n if nl < 0 else nl + 1
        line = data[pos:end]
        if in_header:
            pos = end
            if line.strip(b"\r\n"):
                continue
            in_header = False
            ctype, boundary, cte = describe_block(data[head_at:end])
            if ctype.startswith("multipart/") and boundary:
                boundaries.append(boundary)
            elif ctype in ("message/rfc822", "message/global") and not top:
                if frozen < 0:
                    frozen = len(boundaries)
                in_header, head_at = True, end  # the forwarded message's own headers follow
            elif cte == "base64" and not top and frozen < 0 and boundaries:
                taken = _take_body(data, end, boundaries, refuse_over, lift_from)
                if taken is not None:
                    body_end, decoded, encoded = taken
                    key = str(len(parts))
                    parts[key] = (decoded, encoded)
                    blank = len(line)  # the header block's blank line
                    out.append(data[copied : end - blank])
                    out.append(f"{marker}: {key}\r\n".encode())
                    out.append(line)
                    out.append(b"\r\n")
                    copied = pos = body_end
            top = False
            continue
        pos = end
        if line[:2] != b"--":
            continue
        hit = boundary_hit(line, boundaries)
        if hit is None:
            continue
        frozen, opens = after_boundary(boundaries, hit, frozen)
        if opens:
            in_header, head_at = True, end
    if not parts:
        return None
    out.append(data[copied:])
    return Spooled(b"".join(out), marker, parts)  # type: ignore[arg-type]


def _take_body(data: bytes, start: int, boundaries: list[bytes], refuse_over: int,
               lift_from: int) -> tuple[int, bytes | None, int] | None:
    """(where the boundary line after the body begins, the decoded bytes or None when too big to
    decode, the payload's length) of the base64 body at `start`; None when it is not lifted."""
    at = start
    while True:
        if data.startswith(b"--", at):
            nl = data.find(b"\n", at)
            if boundary_hit(data[at : len(data) if nl < 0 else nl + 1], boundaries) is not None:
                break
        nxt = data.find(b"\n--", at)
        if nxt < 0:
            return None  # no boundary after it: the parser's own reading of a broken end
        at = nxt + 1
    body = data[start:at]
    if len(body) < lift_from:
        return None
    # The line end before the boundary belongs to the boundary (RFC 2046), as in the parser.
    payload = len(body) - (2 if body.endswith(b"\r\n") else 1 if body.endswith(b"\n") else 0)
    if body.count(b"\r") != body.count(b"\r\n"):
        return None  # a lone CR ends a line for the parser: leave such a body to it
    if payload * 3 // 4 > refuse_over:
        return at, None, payload
    try:
        return at, binascii.a2b_base64(body), payload
    except (binascii.Error, ValueError):
        return None
