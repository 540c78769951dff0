"""Rendering DOCX templates with docxtpl, and writing any output file atomically.

Every renderer in this package ends here: `render_docx` fills a template from `templates/` with
a strict Jinja environment (undefined names raise, values are XML-escaped) that knows the
Indonesian formats as filters (`{{ tanggal|tanggal }}` -> "10 Januari 2025", `{{ x|angka }}` ->
"1.234,5", `{{ x|rupiah }}` -> "Rp1.234.500,00"), and `atomic_write` puts the bytes in place
(temporary file in the same folder, fsync, os.replace) and returns their sha256, which the
archive records.
"""

from __future__ import annotations

import gc
import io
import os
import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any

import jinja2

from daemon.core import formatting as fmt
from daemon.shell.archive import sha256_bytes, sha256_file, write_atomic  # noqa: F401  (re-exported)

DASH = "-"


def _dash_none(func: Callable[..., str]) -> Callable[..., str]:
    """Wrap a formatter so that None (or "") renders as "-" instead of failing."""

    def wrapper(value: Any, *args: Any, **kwargs: Any) -> str:
        if value is None or value == "":
            return DASH
        return func(value, *args, **kwargs)

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


def _ya_tidak(value: bool | None) -> str:
    if value is None:
        return DASH
    return "Ya" if value else "Tidak"


def _yth(kepada: list[str] | str, sep: str = "\t") -> str:
    """'Yth.<tab>Camat X' for one addressee; 'Yth.<tab>1. A' + line break + '2. B' for several
    (the templates give the paragraph a matching tab stop and hanging indent). `sep` replaces
    the tab, e.g. " " inside a nota dinas's "Kepada :" line."""
    lines = [kepada] if isinstance(kepada, str) else [k for k in kepada if k]
    if not lines:
        return "Yth." + sep + DASH
    if len(lines) == 1:
        return f"Yth.{sep}{lines[0]}"
    return "Yth." + sep + "\n".join(f"{i}. {k}" for i, k in enumerate(lines, 1))


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


FILTERS: dict[str, Callable[..., str]] = {
    "tanggal": _dash_none(lambda d: fmt.tanggal(_as_date(d))),
    "tanggal_hari": _dash_none(lambda d: fmt.tanggal_hari(_as_date(d))),
    "hari": _dash_none(lambda d: fmt.hari(_as_date(d))),
    "jam": _dash_none(fmt.jam),
    "waktu": _dash_none(fmt.waktu),
    "angka": _dash_none(fmt.angka),
    "persen": _dash_none(fmt.persen),
    "rupiah": _dash_none(fmt.rupiah),
    "banyaknya": _dash_none(fmt.banyaknya),
    "tanggal_waktu": _dash_none(fmt.tanggal_waktu),
    "ya_tidak": _ya_tidak,
    "yth": _yth,
}


# Characters XML 1.0 forbids (and \a, \f, which docxtpl would turn into paragraph and page
# breaks): text from e-mails (revision notes) must not corrupt the document.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _finalize(value: Any) -> Any:
    if isinstance(value, str):  # searched first: most values (a 5,000-row report has 75,000)
        if "\r" in value:      # have nothing to change
            value = value.replace("\r\n", "\n").replace("\r", "\n")
        if _CONTROL.search(value) is not None:
            value = _CONTROL.sub("", value)
    return value


def jinja_env() -> jinja2.Environment:
    """The environment every template is rendered with: StrictUndefined, autoescape, filters,
    and control characters removed from every value."""
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=True, finalize=_finalize)
    env.filters.update(FILTERS)
    return env


def atomic_write(out_path: str | os.PathLike[str], data: bytes) -> str:
    """Write `data` to `out_path` atomically (daemon.shell.archive.write_atomic: temp file in the
    same folder, fsync, rename, fsync of the folder). Returns the sha256 hex of `data`."""
    write_atomic(out_path, data)
    return sha256_bytes(data)


ImageSpec = str | os.PathLike[str] | bytes | tuple[Any, float]


def render_docx(
    template_path: str | os.PathLike[str],
    context: Mapping[str, Any],
    out_path: str | os.PathLike[str],
    images: Mapping[str, ImageSpec | None] | None = None,
    properties: Mapping[str, str] | None = None,
    prepare: Callable[[Any, dict[str, Any]], None] | None = None,
    after_render: Callable[[Any], dict[str, str]] | None = None,
) -> str:
    """Render a docxtpl template to `out_path` atomically; return the sha256 hex of the file.

    images: context name -> image (a path, PNG/JPEG bytes, or (path-or-bytes, width in mm));
      each becomes a docxtpl InlineImage under that name; None renders as an empty string.
    properties: core properties to set on the result (e.g. {"subject": ..., "keywords": ...}).
    prepare: called with (template, context) before rendering, e.g. to add lists of images.
    after_render: called with the template once its body is rendered; returns the XML that
      replaces each `fasttpl.Deferred` marker (e.g. charts drawn meanwhile by other processes).

    The template is a `fasttpl.FastTemplate`: docxtpl's output, byte for byte, in linear time.
    """
    from docx.shared import Mm
    from docxtpl import InlineImage

    from daemon.documents.fasttpl import FastTemplate

    tpl = FastTemplate(str(template_path))
    tpl.after_render = after_render
    ctx = dict(context)
    for name, spec in (images or {}).items():
        if spec is None:
            ctx[name] = ""
            continue
        source, width = spec if isinstance(spec, tuple) else (spec, None)
        if isinstance(source, bytes):
            source = io.BytesIO(source)
        else:
            source = str(source)
        ctx[name] = InlineImage(tpl, source, width=Mm(width) if width else None)
    if prepare is not None:
        prepare(tpl, ctx)
    tpl.render(ctx, jinja_env(), autoescape=True)
    core = tpl.docx.core_properties
    now = datetime.now(UTC).replace(microsecond=0, tzinfo=None)
    core.created = core.modified = now  # not the template's own dates
    core.revision = 1
    for key, value in (properties or {}).items():
        setattr(core, key, value)
    buf = io.BytesIO()
    tpl.save(buf)
    del tpl, ctx
    gc.collect()  # python-docx object graphs are cyclic: free them now, not eventually
    return atomic_write(out_path, buf.getvalue())
