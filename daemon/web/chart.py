"""Charts drawn on the server as inline SVG (no script, no asset from the internet).

Presentation attributes only (no `style=`), so the page's Content-Security-Policy stays strict.
"""

from __future__ import annotations

from html import escape

from daemon.core.formatting import persen


def bars(items: list[tuple[str, float | None]], *, width: int = 640, row: int = 26,
         label_width: int = 200, goal: float = 100.0, title: str = "") -> str:
    """Horizontal bars of percentages (capaian): one row per (label, value); a line at `goal`."""
    values = [v for _, v in items if v is not None]
    top = max([goal * 1.2, *values]) if values else goal * 1.2
    plot = width - label_width - 70
    height = row * len(items) + 30
    x_goal = label_width + plot * goal / top
    out = [f'<svg class="grafik" viewBox="0 0 {width} {height}" width="100%" role="img" '
           f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">']
    if title:
        out.append(f"<title>{escape(title)}</title>")
    for i, (label, v) in enumerate(items):
        y = 10 + i * row
        fit = max(8, int(label_width / 8.0))  # a character of 13 px type is 6-8 px wide
        text = label if len(label) <= fit else label[: fit - 1] + "…"
        out.append(f'<text x="{label_width - 8}" y="{y + row * 0.6:.1f}" text-anchor="end" '
                   f'font-size="13" fill="#1f2937">{escape(text)}</text>')
        if v is None:
            out.append(f'<text x="{label_width + 4}" y="{y + row * 0.6:.1f}" font-size="13" '
                       f'fill="#6b7280">tidak ada data</text>')
            continue
        w = max(1.0, plot * max(v, 0) / top)
        colour = "#15803d" if v >= goal else ("#ca8a04" if v >= 0.75 * goal else "#b91c1c")
        out.append(f'<rect x="{label_width}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" '
                   f'fill="{colour}" rx="2"/>')
        out.append(f'<text x="{label_width + w + 6:.1f}" y="{y + row * 0.6:.1f}" font-size="13" '
                   f'fill="#111827">{escape(persen(v))} %</text>')
    out.append(f'<line x1="{x_goal:.1f}" y1="4" x2="{x_goal:.1f}" y2="{height - 18}" '
               f'stroke="#374151" stroke-dasharray="4 3"/>')
    out.append(f'<text x="{x_goal:.1f}" y="{height - 4}" text-anchor="middle" font-size="11" '
               f'fill="#374151">{escape(persen(goal))} %</text>')
    out.append("</svg>")
    return "".join(out)
