"""The office secret (task tokens, verification and signature codes) is created here, explicitly.

`Config.secret()` only reads it; `ensure_secret(cfg)` creates the secret file (mode 0600, 32 random
bytes as hex) when the office starts or is created (`pantau init`, `pantau run`, the demo, every
`OfficeApp`). `pantau inspect` never calls it: inspecting changes nothing.
"""

from __future__ import annotations

import os

from daemon.config import Config


def ensure_secret(cfg: Config) -> None:
    """Create `keamanan.secret_file` unless the secret comes from the environment or exists."""
    if os.environ.get(cfg.secret_env, "") or cfg.secret_file.exists():
        return
    cfg.secret_file.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(cfg.secret_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: theirs is the secret
        return
    with os.fdopen(fd, "wb") as f:
        f.write(os.urandom(32).hex().encode())
