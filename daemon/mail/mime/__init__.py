"""Turning raw RFC 5322 bytes into a `ParsedMessage` that is safe to read.

Real mail is broken in every way a parser can be surprised by: unknown charsets, missing
boundaries, addresses folded without whitespace, 8-bit bytes in headers, Outlook's TNEF
(`winmail.dat`) and `.msg` files, forwarded messages inside messages. This package reads what it
can, records each broken piece in `ParsedMessage.errors` (in Indonesian, for the operator and for
the reply the caller may send) and never raises.

It is a function over bytes, with no network; the one use of the disk is a big message's base64
parts decoded to temporary files (spool.py), gone when the parse returns. File names of
attachments are cleaned for display only and are never used as paths.

The modules, in the order a message is read:
- parse.py: `parse_message`, the one entry point; picks the body text.
- headers.py: addresses, the author (strict RFC 5322), subject, date, Message-IDs.
- parts.py: the walk over the MIME tree (body parts, attachments, forwarded messages).
- containers.py: the files inside TNEF (`winmail.dat`) and Outlook `.msg` attachments.
- collect.py: `Limits` (SPEC §3.4) and the collector that enforces them.
- spool.py: `RawMessage` (bytes or a file); a big message read line by line, its big base64
  parts decoded to disk before the parser sees the rest.
- bodytext.py: HTML rendered as text (hidden elements left out), format=flowed.
- text.py: header values, encoded words, charsets, Message-IDs, attachment names.

This file only re-exports the names callers use, so they import from `daemon.mail.mime` and do
not depend on how the package is divided.
"""

from daemon.mail.mime.bodytext import html_to_text, is_hidden, parse_html, tree_to_text, unflow
from daemon.mail.mime.collect import MB, Limits
from daemon.mail.mime.parse import parse_message
from daemon.mail.mime.spool import LEAN_FROM, RawMessage
from daemon.mail.mime.text import (
    clean_text,
    decode_words,
    norm_msgid,
    norm_msgid_list,
    sanitize_filename,
)

__all__ = [
    "LEAN_FROM",
    "MB",
    "Limits",
    "RawMessage",
    "clean_text",
    "decode_words",
    "html_to_text",
    "is_hidden",
    "norm_msgid",
    "norm_msgid_list",
    "parse_html",
    "parse_message",
    "sanitize_filename",
    "tree_to_text",
    "unflow",
]
