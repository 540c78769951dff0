"""The `email` policies Pantau parses and composes with: the stdlib's, with the header classes
made once per header name.

`email.headerregistry.HeaderRegistry.__getitem__` builds a new class with `type()` on every
header it is asked for (so in CPython 3.11): parsing a reply and composing its acknowledgement
ask for ~60 headers, ~0.5 ms per message spent making classes. `CachedRegistry` keeps the class
made for each name; the classes are the ones the stock registry makes (same bases, same name),
so headers parse, fold and compare as before.

The parser also builds a header object anew on every `get`: the feed parser alone reads a
part's Content-Type five or six times, each a full parse by `_header_value_parser`.
`CachingPolicy.header_fetch_parse` keeps the object made for each (name, value) pair, 128 at
most (a parsed header holds its whole token tree: 512 cost ~5 MB of peak RSS, 128 as fast);
header objects are immutable strings with read-only attributes, so one object can stand for
every fetch of the same text.
"""

from __future__ import annotations

from email.headerregistry import HeaderRegistry
from email.policy import EmailPolicy

_FETCHED_MAX = 128


class CachedRegistry(HeaderRegistry):
    """A HeaderRegistry that makes each header name's class once."""

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self._made: dict[str, type] = {}

    def map_to_type(self, name, cls):
        self._made.clear()
        super().map_to_type(name, cls)

    def __getitem__(self, name):
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().__getitem__(name)
        return made


class CachingPolicy(EmailPolicy):
    """email.policy.default, each header text parsed once (see the module's docstring)."""

    def header_fetch_parse(self, name, value):
        if hasattr(value, "name"):
            return value
        key = (name, value)
        made = _FETCHED.get(key)
        if made is None:
            if len(_FETCHED) >= _FETCHED_MAX:
                _FETCHED.clear()
            made = _FETCHED[key] = super().header_fetch_parse(name, value)
        return made


_FETCHED: dict[tuple[str, str], object] = {}

DEFAULT = CachingPolicy(header_factory=CachedRegistry())
"""email.policy.default with the cached registry (parsing and composing)."""

SMTP = DEFAULT.clone(linesep="\r\n")
"""email.policy.SMTP with the cached registry (bytes to hand to a mail server)."""
