"""What every `pantau` command shares: the usage error (exit 2), loading the office's config or
opening the office, JSON output, whether to draw rich tables, and the log level asked for.

Kept apart from cli.py because `python -m daemon.operator.cli` runs cli.py as `__main__`: the
command modules must not import cli.py (that would load it a second time, with a second `Usage`
class that `main` would not catch).
"""

from __future__ import annotations

import json
import logging
import os
import sys


class Usage(Exception):
    """A command used wrongly: `main` prints it in Indonesian and exits 2."""


def load_cfg(args):
    """The office's config: --config, else $PANTAU_CONFIG, else config/pantau.toml."""
    from daemon.config import config_path, load_config

    return load_config(config_path(args.config))


def open_app(args):
    """The office (store, SOP, calendar, clock) the command works on; close it when done."""
    from daemon.shell.office import OfficeApp

    return OfficeApp(load_cfg(args))


def dump_json(obj) -> None:
    """`--json` output: UTF-8 as is, indented, dates as text."""
    print(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


def use_rich() -> bool:
    """Rich tables on a terminal; plain aligned text when piped or on a dumb terminal."""
    return sys.stdout.isatty() and os.environ.get("TERM") != "dumb"


def log_level(args, default: int) -> int:
    """--log-level if given, else the command's own default."""
    return getattr(logging, args.log_level.upper()) if args.log_level else default
