"""Who vouches for a reply's sender (SPEC §3.1, `keamanan.verifikasi`).

A reply that decides something counts only when the mail system vouches for its From domain:

- `dkim`: Pantau verifies the DKIM signatures itself (dkimpy). One valid signature whose `d=`
  is exactly the From address's domain is enough, when it signs the whole body (an `l=` shorter
  than the body vouches for nothing: text appended after it is no one's) and the headers that
  matched the reply to its letter (`covers`, from inbound.py: a signed mail of the official
  cannot be pointed at a task by an added In-Reply-To, Subject or envelope address). A
  subdomain does not count (`d=mail.x.go.id` does not vouch for `camat@x.go.id`, nor
  `d=x.go.id` for `camat@sub.x.go.id`): strict alignment, so a sub-domain delegated to a
  mailing service cannot sign for officials.
  Public keys come first from the file `keamanan.dkim_kunci`, then from DNS. Names under
  the reserved top-level domains (`.test`, `.example`, `.invalid`, `.localhost`) are never
  asked of DNS. ARC (forwarded mail) is honoured only when the chain validates and its newest
  seal is by a sealer listed in `keamanan.arc_tepercaya`, whose own ARC-Authentication-Results
  says `dmarc=pass` (or `dkim=pass` with `header.d` the From domain) for the From domain.
- `authres`: the topmost `Authentication-Results` header (the one the office's own receiving
  server added last) must come from `keamanan.authserv_id` and say `dmarc=pass` for the From
  domain. Any other result, another authserv-id, a header that cannot be parsed, or none at all:
  not vouched for. Parsed with the `authres` package, never with regular expressions.
- `tidak`: no check.

The key file (`dkim_kunci`): one key per line, `selector domain key`, where key is the `p=`
value (base64 of the public key) or the whole TXT record (`v=DKIM1; k=rsa; p=...`, quoted
strings as in a zone file are joined). Blank lines and lines starting with `#` are ignored.

`authenticate()` returns (ok, keyword, Indonesian reason); it never raises.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from daemon.mail.mime.spool import RawMessage

if TYPE_CHECKING:  # dkim is imported when a signature is checked, not at start-up
    from daemon.mail.dkim_stream import LeanDKIM

RESERVED_TLDS = ("test", "example", "invalid", "localhost")


class KeyFileError(Exception):
    """The dkim_kunci file cannot be used (said in Indonesian)."""


def load_dkim_keys(path: Path) -> dict[tuple[str, str], bytes]:
    """{(selector, domain): TXT record bytes} from a `selector domain key` file."""
    keys: dict[tuple[str, str], bytes] = {}
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KeyFileError(f"berkas {path} tidak ditemukan") from None
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 2)
        if len(parts) != 3:
            raise KeyFileError(
                f"{path} baris {n}: diharapkan tiga bagian `selector domain kunci`, "
                "misalnya `pantau2025 kecamatan.go.id MIIBIjANBgkqh...`"
            )
        selector, domain, key = parts
        if '"' in key:
            key = "".join(re.findall(r'"([^"]*)"', key))
        key = key.strip()
        if "p=" not in key:
            key = "v=DKIM1; k=rsa; p=" + re.sub(r"\s+", "", key)
        keys[(selector.lower(), domain.lower().rstrip("."))] = key.encode("ascii", "replace")
    return keys


@dataclass
class TrustSettings:
    verifikasi: str = "tidak"  # dkim | authres | tidak
    authserv_id: str = ""
    keys: dict[tuple[str, str], bytes] = field(default_factory=dict)
    arc_trusted: tuple[str, ...] = ()
    dns: Callable[..., bytes | None] | None = None  # None: dkimpy's DNS lookup


def settings_from_config(cfg) -> TrustSettings:
    keys = load_dkim_keys(cfg.dkim_kunci) if cfg.dkim_kunci else {}
    return TrustSettings(verifikasi=cfg.verifikasi, authserv_id=cfg.authserv_id, keys=keys,
                         arc_trusted=tuple(cfg.arc_tepercaya))


def _dnsfunc(s: TrustSettings) -> Callable[..., bytes | None]:
    def lookup(name, timeout: int = 5):
        qname = (name.decode("ascii", "replace") if isinstance(name, bytes) else name)
        qname = qname.lower().rstrip(".")
        selector, _, domain = qname.partition("._domainkey.")
        if (selector, domain) in s.keys:
            return s.keys[(selector, domain)]
        if not domain or domain.rsplit(".", 1)[-1] in RESERVED_TLDS:
            return None
        if s.dns is not None:
            return s.dns(name, timeout=timeout)
        import dkim.dnsplug

        return dkim.dnsplug.get_txt(name, timeout=timeout)

    return lookup


def authenticate(raw: bytes | RawMessage, from_domain: str, headers: dict[str, list[str]],
                 s: TrustSettings, covers: Callable[[set[str]], bool] | None = None
                 ) -> tuple[bool, str, str]:
    """Is the From domain vouched for? (ok, keyword, reason in Indonesian).

    `covers(signed)` (dkim only): a DKIM signature vouches only when the set of header names it
    signs (`h=`, lower-case) covers the headers that matched the reply to its letter, so a
    signed mail cannot be pointed at another task by adding an unsigned In-Reply-To or To."""
    from_domain = from_domain.casefold().rstrip(".")
    if s.verifikasi == "tidak":
        return True, "", ""
    if s.verifikasi == "authres":
        return _authres(headers.get("authentication-results", []), from_domain, s)
    return _dkim(raw, from_domain, s, covers)


# --------------------------------------------------------------------------- authres


def _authres(values: list[str], from_domain: str, s: TrustSettings) -> tuple[bool, str, str]:
    import authres

    want = s.authserv_id.strip().casefold()
    if not values:
        return False, "authres_tidak_ada", (
            f"tidak ada Authentication-Results dari {want}: pengirim tidak dapat dipastikan")
    try:
        h = authres.AuthenticationResultsHeader.parse("Authentication-Results: " + values[0])
    except Exception:  # noqa: BLE001 - authres raises its own SyntaxError and others
        return False, "authres_rusak", "Authentication-Results teratas tidak dapat dibaca"
    serv = (h.authserv_id or "").casefold()
    if serv != want:
        return (
            False,
            "authres_server_lain",
            (
                f"Authentication-Results teratas berasal dari {serv or '(tanpa nama)'}, "
                f"bukan dari {want}"
            ),
        )
    dmarc = [r for r in h.results if (r.method or "").lower() == "dmarc"]
    if not dmarc:
        return False, "dmarc_tidak_ada", f"{want} tidak mencatat hasil DMARC"
    for r in dmarc:
        hf = [p.value for p in r.properties if (p.type, p.name) == ("header", "from")]
        if (r.result or "").lower() == "pass" and all(
            v.casefold().rstrip(".") == from_domain for v in hf
        ):
            return True, "", ""
    result = (dmarc[0].result or "").lower()
    return (
        False,
        f"dmarc_{result or 'tidak_lulus'}",
        f"DMARC {result or 'tidak lulus'} menurut {want}",
    )


# --------------------------------------------------------------------------- dkim


def _whole_body(d: LeanDKIM, tags: dict) -> bool:
    """A signature with `l=` vouches only when l covers the whole (canonicalised) body: text
    appended after the signed length is no one's."""
    if b"l" not in tags:
        return True
    try:
        return int(tags[b"l"]) >= d.canonical_length(tags.get(b"c", b"simple/simple"))
    except Exception:  # noqa: BLE001
        return False


def _dkim(raw: bytes | RawMessage, from_domain: str, s: TrustSettings,
          covers: Callable[[set[str]], bool] | None = None) -> tuple[bool, str, str]:
    import dkim
    from dkim.util import parse_tag_value

    from daemon.mail.dkim_stream import LeanDKIM

    dns = _dnsfunc(s)
    src = RawMessage.of(raw)
    try:
        # dkimpy sees the header block only; the body hashes are Pantau's (dkim_stream.py): by
        # bytes.replace for a message in memory, line by line from the file for a big one.
        d = LeanDKIM(src)
    except Exception:  # noqa: BLE001
        return False, "dkim_rusak", "tanda tangan DKIM tidak dapat diperiksa (pesan rusak)"
    sigs = [v for k, v in d.headers if k.lower() == b"dkim-signature"]
    aligned = 0
    why = ""
    for idx, value in enumerate(sigs):
        try:
            tags = parse_tag_value(value)
        except Exception:  # noqa: BLE001
            continue
        domain = tags.get(b"d", b"").decode("ascii", "replace").casefold().rstrip(".")
        if domain != from_domain:
            continue
        aligned += 1
        try:
            if d.verify(idx=idx, dnsfunc=dns):
                signed = {h.strip().decode("ascii", "replace").lower()
                          for h in tags.get(b"h", b"").split(b":")}
                if not _whole_body(d, tags):
                    why = "tanda tangan hanya menutup sebagian isi pesan (l=)"
                elif covers is not None and not covers(signed):
                    why = ("tanda tangan tidak menutup kepala yang mencocokkan pesan dengan surat "
                           "Pantau (In-Reply-To, Subject atau To)")
                else:
                    return True, "", ""
                continue
            why = why or "tanda tangan tidak cocok dengan isi pesan"
        except dkim.DnsTimeoutError:
            why = "kunci DKIM tidak dapat diambil dari DNS (coba lagi dengan `pantau replay`)"
        except dkim.ValidationError as e:
            text = str(e)
            why = ("tanda tangan sudah kedaluwarsa" if "x=" in text
                   else "isi pesan berubah setelah ditandatangani" if "body hash" in text
                   else "waktu tanda tangan tidak masuk akal" if "t=" in text
                   else "tanda tangan tidak sah")
        except dkim.KeyFormatError:
            why = why or "kunci DKIM tidak ditemukan atau tidak sah"
        except Exception as e:  # noqa: BLE001
            why = why or f"tanda tangan tidak sah ({type(e).__name__})"
    arc_ok, arc_why = _arc(src.whole(), from_domain, s, dns)
    if arc_ok:
        return True, "", ""
    if not sigs:
        return (
            False,
            "dkim_tidak_ada",
            (
                f"pesan tidak bertanda tangan DKIM {from_domain}{arc_why}: "
                "pengirim tidak dapat dipastikan"
            ),
        )
    if not aligned:
        return (
            False,
            "dkim_domain_lain",
            (
                f"tidak ada tanda tangan DKIM dari domain pengirim {from_domain} "
                f"(d= domain lain){arc_why}"
            ),
        )
    return False, "dkim_gagal", f"tanda tangan DKIM {from_domain} tidak sah: {why}{arc_why}"


def _arc(raw: bytes, from_domain: str, s: TrustSettings, dns) -> tuple[bool, str]:
    """(ok, a clause for the reason when an ARC chain was there but not honoured)."""
    if b"arc-seal" not in raw[:65536].lower():
        return False, ""
    import authres
    import dkim

    try:
        cv, results, _ = dkim.arc_verify(raw, dnsfunc=dns)
    except Exception:  # noqa: BLE001
        return False, "; rantai ARC tidak sah"
    if cv != dkim.CV_Pass or not results:
        return False, "; rantai ARC tidak sah"
    newest = results[0]  # arc verify lists the newest instance first
    sealer = (newest.get("as-domain") or b"").decode("ascii", "replace").casefold()
    if sealer not in s.arc_trusted:
        return False, f"; ARC dari {sealer or '?'} tidak dipercaya (keamanan.arc_tepercaya)"
    value = newest.get("aar-value") or b""
    text = (value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)).strip()
    text = re.sub(r"\s+", " ", text)
    m = re.match(r"i\s*=\s*\d+\s*;\s*", text)
    try:
        h = authres.AuthenticationResultsHeader.parse(
            "Authentication-Results: " + (text[m.end():] if m else text))
    except Exception:  # noqa: BLE001
        return False, "; ARC-Authentication-Results tidak terbaca"
    for r in h.results:
        props = {(p.type, p.name): (p.value or "").casefold() for p in r.properties}
        method, result = (r.method or "").lower(), (r.result or "").lower()
        if (
            method == "dmarc"
            and result == "pass"
            and props.get(("header", "from"), from_domain) == from_domain
        ):
            return True, ""
        if method == "dkim" and result == "pass" and props.get(("header", "d")) == from_domain:
            return True, ""
    return False, f"; ARC dari {sealer} tidak menyatakan {from_domain} lulus"
