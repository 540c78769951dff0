"""`[web]`: the dashboard's public address and port (`web.host` is a plain key, read in
daemon/config/loader.py).
"""

from __future__ import annotations

from daemon.config.reader import Reader


def read_web_url(r: Reader) -> str:
    """`[web] url`: the dashboard's public address (links and the final report's QR point here)."""
    url = (r.get("web.url", str, "", '"https://pantau.kecamatan.go.id" atau kosong') or "").strip()
    if url and not url.lower().startswith(("http://", "https://")):
        r.problems.append(f'web.url: nilai {url!r} tidak sah; diharapkan alamat seperti '
                          '"https://pantau.kecamatan.go.id" atau kosong')
        return ""
    return url


def read_web_port(r: Reader) -> int:
    port = r.get("web.port", int, 8080, "nomor 1-65535, misalnya 8080")
    if port is not None and not 0 < port < 65536:
        r.problems.append(
            f"web.port: nilai {port!r} tidak sah; diharapkan nomor 1-65535, misalnya 8080"
        )
        return 8080
    return port or 8080
