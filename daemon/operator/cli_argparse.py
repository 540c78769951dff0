"""argparse speaking Indonesian, for the `pantau` command (daemon/operator/cli.py builds the
command tree with it): Indonesian headings and usage prefix, usage errors exiting 2, descriptions
wrapped at a width that reads well in the generated docs/cli.md, and the argument types' own
messages.
"""

from __future__ import annotations

import argparse
import sys
import textwrap


class _Formatter(argparse.RawDescriptionHelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):
        return super().add_usage(
            usage, actions, groups, prefix if prefix is not None else "penggunaan: "
        )


class Parser(argparse.ArgumentParser):
    """argparse with Indonesian headings; usage errors exit 2."""

    def __init__(self, *args, **kw):
        kw.setdefault("formatter_class", _Formatter)
        kw.setdefault("add_help", False)
        super().__init__(*args, **kw)
        self._positionals.title = "argumen"
        self._optionals.title = "opsi"
        self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS,
                          help="tampilkan bantuan ini lalu keluar")

    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: penggunaan salah: {message}\n")


def wrap(*paragraphs: str) -> str:
    """Descriptions are wrapped here (raw formatter), at a width that reads well in docs/cli.md."""
    return "\n".join(textwrap.fill(p, 96) for p in paragraphs)


def positive_int(text: str) -> int:
    """`demo --units N`: a whole number from 1 to 1000, refused in Indonesian otherwise."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} bukan bilangan bulat") from None
    if not 1 <= n <= 1000:
        raise argparse.ArgumentTypeError("jumlah unit harus antara 1 dan 1000")
    return n
