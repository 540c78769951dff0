"""The `[web]` keys of SPEC §5 (url, host, port), from the loaded configuration."""

from __future__ import annotations

from dataclasses import dataclass

from daemon.config import Config


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
    """The `[web]` keys as `load_config` read and checked them (it refuses unknown keys, a url
    that is not http(s) and a port outside 1-65535, in Indonesian, naming the key)."""
    return WebSettings(url=cfg.web_url, host=cfg.web_host, port=cfg.web_port)
