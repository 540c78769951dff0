"""The `[web]` keys of SPEC §5 (url, host, port), read from the loaded configuration."""

from __future__ import annotations

from dataclasses import dataclass

from ..config import Config, ConfigError


@dataclass(frozen=True)
class WebSettings:
    url: str = ""  # public address (https://pantau.kecamatan.go.id); links and the QR point here
    host: str = "127.0.0.1"
    port: int = 8080

    @property
    def secure(self) -> bool:
        """Cookies get `Secure` when the public address is https."""
        return self.url.lower().startswith("https://")

    def base(self) -> str:
        return self.url.rstrip("/") if self.url else f"http://{self.host}:{self.port}"


def web_settings(cfg: Config) -> WebSettings:
    raw = cfg.raw.get("web", {}) if isinstance(cfg.raw, dict) else {}
    problems = []
    if not isinstance(raw, dict):
        raise ConfigError(["web: diharapkan tabel [web] (url, host, port)"], cfg.path)
    for key in raw:
        if key not in ("url", "host", "port"):
            problems.append(f"web.{key}: kunci tidak dikenal; yang tersedia: url, host, port")
    url = raw.get("url", "")
    host = raw.get("host", "127.0.0.1")
    port = raw.get("port", 8080)
    if not isinstance(url, str) or (url and not url.lower().startswith(("http://", "https://"))):
        problems.append(f'web.url: nilai {url!r} tidak sah; diharapkan alamat seperti '
                        '"https://pantau.kecamatan.go.id" atau kosong')
    if not isinstance(host, str) or not host:
        problems.append(f'web.host: nilai {host!r} tidak sah; diharapkan alamat seperti "127.0.0.1"')
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        problems.append(f"web.port: nilai {port!r} tidak sah; diharapkan nomor 1-65535, misalnya 8080")
    if problems:
        raise ConfigError(problems, cfg.path)
    return WebSettings(url=url, host=host, port=port)
