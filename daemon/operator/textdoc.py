"""The operator's text views as a small document model: a `Doc` is lines and `Table`s, in order,
written either with rich (colours and boxed tables fitted to the terminal) or as plain aligned
text (a pipe, a file, a log viewer, an e-mail). What goes into one is in report_text.py,
report_cycle.py and inspect.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TextIO


def cut(s: Any, n: int) -> str:
    s = "" if s is None else str(s)
    return s if len(s) <= n else s[: n - 1] + "…"


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[tuple[list[str], str]] = field(default_factory=list)  # (cells, style)
    max_width: dict[int, int] = field(default_factory=dict)  # column index -> cut plain text here
    drop: list[int] = field(
        default_factory=list
    )  # columns a narrow terminal leaves out, first first

    def add(self, *cells: Any, style: str = "") -> None:
        self.rows.append(([("-" if c is None or c == "" else str(c)) for c in cells], style))


@dataclass
class Doc:
    """Lines and tables, in order. A line is (text, style); style names a rich style."""

    items: list[Any] = field(default_factory=list)

    def line(self, text: str = "", style: str = "") -> None:
        self.items.append((text, style))

    def table(self, t: Table) -> Table:
        self.items.append(t)
        return t

    def write(self, out: TextIO, rich: bool = False) -> None:
        if rich:
            _write_rich(self, out)
        else:
            _write_plain(self, out)


def _write_plain(doc: Doc, out: TextIO) -> None:
    for item in doc.items:
        if isinstance(item, tuple):
            print(item[0], file=out)
        else:
            _plain_table(item, out)


def _plain_table(t: Table, out: TextIO) -> None:
    if t.title:
        print(t.title, file=out)
    if not t.rows:
        print("  (tidak ada)", file=out)
        return
    rows = [[cut(c, t.max_width[i]) if i in t.max_width else c for i, c in enumerate(cells)]
            for cells, _ in t.rows]
    widths = [max(len(t.columns[i]), *(len(r[i]) for r in rows)) for i in range(len(t.columns))]
    for cells in [t.columns, ["-" * w for w in widths], *rows]:
        print(
            ("  " + "  ".join(c.ljust(widths[i]) for i, c in enumerate(cells))).rstrip(), file=out
        )


def _write_rich(doc: Doc, out: TextIO) -> None:
    from rich.console import Console
    from rich.text import Text

    console = Console(file=out, highlight=False)
    for item in doc.items:
        if isinstance(item, tuple):
            console.print(Text(item[0], style=item[1] or ""))
        elif not item.rows:
            if item.title:
                console.print(Text(item.title, style="bold"))
            console.print("  (tidak ada)")
        else:
            console.print(_rich_table(item, console.width))


def _rich_table(t: Table, width: int):
    """A rich table that fits `width`: fixed columns keep their width, columns with a max_width
    share what is left (cut with "…"), and the columns in `drop` go first when even that fails."""
    from rich import box
    from rich.table import Table as RichTable
    from rich.text import Text

    widths = [
        max([len(c)] + [len(cells[i]) for cells, _ in t.rows]) for i, c in enumerate(t.columns)
    ]
    shown = list(range(len(t.columns)))
    gap = 3  # SIMPLE_HEAD without edges puts three spaces between columns

    def natural(cols: list[int]) -> int:
        return sum(min(widths[i], 12) if i in t.max_width else widths[i] for i in cols) + gap * (
            len(cols) - 1
        )

    for i in t.drop:
        if natural(shown) <= width:
            break
        shown.remove(i)
    flex = [i for i in shown if i in t.max_width]
    room = width - gap * (len(shown) - 1) - sum(widths[i] for i in shown if i not in t.max_width)
    want = {i: min(widths[i], t.max_width[i]) for i in flex}
    while want and sum(want.values()) > room and max(want.values()) > 8:
        widest = max(want, key=lambda k: want[k])
        want[widest] -= 1
    rt = RichTable(title=Text(t.title, style="bold") if t.title else None, title_justify="left",
                   box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=False)
    for i in shown:
        rt.add_column(t.columns[i], no_wrap=True, overflow="ellipsis", width=want.get(i, widths[i]))
    for cells, style in t.rows:
        rt.add_row(*[Text(cells[i]) for i in shown], style=style or None)
    return rt
