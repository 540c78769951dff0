"""DKIM for tests: a test-only RSA key made at test time, signing as a real outgoing server
would (dkimpy), and the `keamanan.dkim_kunci` line that gives Pantau its public key (no DNS).

    sign(raw, "kecamatan.test")          # the office's server signs a person's message
    key_line("kecamatan.test")           # "pantau-test kecamatan.test v=DKIM1; k=rsa; p=..."
    use_dkim(cfg_path, ["kecamatan.test"])  # an office config set to verifikasi = "dkim"
"""

from __future__ import annotations

import base64
import functools
import os
import re
import tempfile
import time
from pathlib import Path

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

SELECTOR = "pantau-test"


@functools.cache
def keypair(domain: str) -> tuple[bytes, str]:
    """(private key PEM, public key base64 for p=) of one domain. Made at test time once per
    machine and kept in the temp directory, so every process of a test run (the daemon under
    test, the simulated people, a benchmark's children) signs and verifies with the same key."""
    path = Path(tempfile.gettempdir()) / f"pantau-test-dkim-{domain}.pem"
    if not path.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption())
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(pem)
        try:
            os.link(tmp, path)  # the first process wins; the others read its key
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    pem = path.read_bytes()
    key = serialization.load_pem_private_key(pem, password=None)
    pub = key.public_key().public_bytes(serialization.Encoding.DER,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    return pem, base64.b64encode(pub).decode()


def key_line(domain: str, selector: str = SELECTOR) -> str:
    return f"{selector} {domain} v=DKIM1; k=rsa; p={keypair(domain)[1]}"


def sign(raw: bytes, domain: str, selector: str = SELECTOR, *, expire: int | None = None,
         headers: tuple[str, ...] = ("from", "to", "subject", "date", "message-id",
                                     "in-reply-to", "references", "sender", "reply-to",
                                     "content-type", "mime-version")) -> bytes:
    """`raw` with a DKIM-Signature of `domain` prepended (relaxed/relaxed). With `expire`, the
    signature carries x= that many seconds after now (negative: already expired)."""
    pem = keypair(domain)[0]
    present = {
        m.group(1).lower().decode()
        for m in re.finditer(rb"(?m)^([A-Za-z-]+):", raw.split(b"\n\n")[0])
    }
    include = [h for h in headers if h in present or h == "from"]
    if expire is None:
        sig = dkim.sign(raw, selector.encode(), domain.encode(), pem,
                        canonicalize=(b"relaxed", b"relaxed"),
                        include_headers=[h.encode() for h in include])
        return sig + raw
    # dkimpy's sign() has no x=; build the same header with x= added.
    d = dkim.DKIM(raw)
    from dkim.canonicalization import CanonicalizationPolicy
    from dkim.crypto import parse_pem_private_key

    policy = CanonicalizationPolicy.from_c_value(b"relaxed/relaxed")
    body = policy.canonicalize_body(d.body)
    d.hasher = dkim.HASH_ALGORITHMS[b"rsa-sha256"]
    h = d.hasher()
    h.update(body)
    now = int(time.time()) - (200_000 if expire < 0 else 0)
    inc = tuple(x.encode() for x in include)
    fields = [
        (b"v", b"1"),
        (b"a", b"rsa-sha256"),
        (b"c", b"relaxed/relaxed"),
        (b"d", domain.encode()),
        (b"i", b"@" + domain.encode()),
        (b"q", b"dns/txt"),
        (b"s", selector.encode()),
        (b"t", str(now).encode()),
        (b"x", str(now + abs(expire)).encode()),
        (b"h", b" : ".join(inc)),
        (b"bh", base64.b64encode(h.digest())),
        (b"b", b"0" * 60),
    ]
    res = d.gen_header(fields, inc, policy, b"DKIM-Signature", parse_pem_private_key(pem))
    return b"DKIM-Signature: " + res + raw


def resign(raw: bytes, domain: str) -> bytes:
    """`raw` without its DKIM-Signature headers, signed again (after a test edited it)."""
    head, sep, body = raw.partition(b"\r\n\r\n") if b"\r\n\r\n" in raw else raw.partition(b"\n\n")
    head = re.sub(rb"(?mi)^DKIM-Signature:.*(?:\r?\n[ \t].*)*\r?\n", b"", head + b"\n")[:-1]
    return sign(head + sep + body, domain)


def write_keys(path: Path, domains: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("# test-only DKIM keys (made at test time)\n"
                    + "".join(key_line(d) + "\n" for d in domains), encoding="utf-8")
    return path


def use_dkim(cfg_path: Path, domains: list[str], *, kode_ttd: bool | None = None) -> None:
    """Set an office config to `verifikasi = "dkim"` with a dkim_kunci file of test keys."""
    keys = write_keys(cfg_path.parent / "dkim_kunci.txt", domains)
    text = cfg_path.read_text(encoding="utf-8")
    extra = f'verifikasi = "dkim"\ndkim_kunci = "{keys}"\n'
    if kode_ttd is not None:
        extra += f"kode_ttd = {'true' if kode_ttd else 'false'}\n"
    text = re.sub(r"(?m)^\s*(verifikasi|dkim_kunci|kode_ttd)\s*=.*\n", "", text)
    text, n = re.subn(r"(?m)^\[keamanan\]\s*\n", "[keamanan]\n" + extra, text, count=1)
    if not n:
        text += "\n[keamanan]\n" + extra
    cfg_path.write_text(text, encoding="utf-8")
