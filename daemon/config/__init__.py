"""The office's configuration (SPEC §5): one TOML file, validated at start.

Every problem names the key, the value found and what is expected, in Indonesian, so an operator
can fix the file without reading code. Secrets are never in the file: it names environment
variables (`*_env`). Relative paths are relative to the office directory, the parent of the folder
that holds the file.

The package is a schema and one loader per section:

- `model.py`    — `Config`, the `[mail]` dataclasses and `ConfigError` (what a loaded config is);
- `schema.py`   — `SCHEMA` of known keys, unknown-key refusal, TOML errors in Indonesian;
- `reader.py`   — `Reader`: typed reads that collect every problem instead of stopping;
- `sections/`   — one loader per TOML section (kantor, people, mail, jadwal, keamanan, ...);
- `loader.py`   — `load_config`, assembling the sections, and `config_path`;
- `indicators.py` — the indicator CSV (a separate file, loaded on its own).

This module only re-exports the names callers import as `from daemon.config import ...`, so
they need not know which of these modules holds them.
"""

from __future__ import annotations

from daemon.config.loader import DEFAULT_CONFIG, config_path, load_config
from daemon.config.model import (
    Config,
    ConfigError,
    EwsConfig,
    ImapConfig,
    Limits,
    MailConfig,
    SmtpConfig,
)
from daemon.config.reader import EMAIL_RE, resolve_path
from daemon.config.schema import ANY, ROLES, SCHEMA, toml_error, unknown_keys

__all__ = [
    "ANY",
    "DEFAULT_CONFIG",
    "EMAIL_RE",
    "ROLES",
    "SCHEMA",
    "Config",
    "ConfigError",
    "EwsConfig",
    "ImapConfig",
    "Limits",
    "MailConfig",
    "SmtpConfig",
    "config_path",
    "load_config",
    "resolve_path",
    "toml_error",
    "unknown_keys",
]
