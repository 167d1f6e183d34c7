"""Tables and panels for a person at a terminal: the only module that imports rich.

Text from the knowledge is data: it reaches rich as :class:`rich.text.Text`, never
as markup, after :func:`cca.core.text.visible` has made every control character,
escape sequence, bidi control and invisible character a visible escape.

Tables lay out by priority: identifiers, dates, numbers and enum values never
break, short text breaks only between words, prose wraps into what is left. When
the width is short, the least important columns give way first; below what the
essential columns need, each record becomes a block of ``key: value`` lines.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from typing import Any

from cca.core.text import visible

#: Narrowest and widest layouts cca will draw, whatever COLUMNS says.
MIN_WIDTH, MAX_WIDTH = 20, 1000
#: Cap on a "words" column's minimum (a very long word may fold rather than widen the table).
WORD_CAP = 24
BAR_WIDTH = 10


class Col:
    """One column to draw: cells are text (lines split on \\n); ``bars`` gives (fraction, label) per row."""

    __slots__ = ("header", "cells", "wrap", "priority", "bars", "minimum", "natural")

    def __init__(
        self,
        header: str,
        cells: list[str],
        wrap: str = "words",
        priority: int = 1,
        bars: list[list[tuple[float, str]]] | None = None,
    ) -> None:
        self.header = header
        self.cells = cells
        self.wrap = wrap
        self.priority = priority
        self.bars = bars
        self.minimum = 0
        self.natural = 0


def cell_width(text: str) -> int:
    from rich.cells import cell_len

    return cell_len(text)


def bar(fraction: float, width: int = BAR_WIDTH) -> str:
    fraction = min(max(fraction, 0.0), 1.0)
    filled = max(round(fraction * width), 1 if fraction > 0 else 0)  # anything above zero shows
    return "█" * filled + "░" * (width - filled)


def bar_lines(items: Sequence[tuple[float, str]]) -> list[str]:
    """Each item a bar and its label; the label's further lines (its date) set under the label."""
    lines = []
    for fraction, label in items:
        first, *rest = label.split("\n")
        lines.append(f"{bar(fraction)} {first}")
        lines += [" " * (BAR_WIDTH + 1) + more for more in rest]
    return lines


def _measure(col: Col) -> None:
    lines = [line for text in col.cells for line in text.split("\n")]
    if col.bars is not None:
        lines = [line for items in col.bars for line in bar_lines(items)] or lines
    header = col.header
    natural = max([cell_width(line) for line in lines] + [cell_width(header)], default=1)
    if col.wrap == "never":
        minimum = natural
    else:
        words = [w for line in lines for w in line.split()] + header.split()
        longest = max((cell_width(w) for w in words), default=1)
        minimum = min(longest, WORD_CAP)
        if col.bars is not None:  # a bar, its label and its date are read as one: keep them whole
            minimum = max(minimum, min(natural, 2 * WORD_CAP))
        if col.wrap == "prose":
            minimum = max(minimum, min(natural, 16))
    col.natural, col.minimum = natural, max(minimum, 1)


def _overhead(count: int) -> int:
    return 3 * count + 1


def choose(cols: Sequence[Col], width: int) -> list[Col] | None:
    """The columns that fit ``width``, dropping the least important first; None: use blocks."""
    for col in cols:
        _measure(col)
    shown = list(cols)
    while sum(c.minimum for c in shown) + _overhead(len(shown)) > width:
        droppable = [c for c in shown if c.priority > 1]
        if not droppable:
            return None
        worst = max(droppable, key=lambda c: (c.priority, shown.index(c)))
        shown.remove(worst)
    return shown


def _visible(col: Col) -> Col:
    """The column as it will be drawn: escapes in place, so widths are measured on what is shown."""
    bars = None
    if col.bars is not None:
        bars = [[(fraction, visible(label, newlines=True)) for fraction, label in items] for items in col.bars]
    return Col(visible(col.header), [visible(text, newlines=True) for text in col.cells], col.wrap, col.priority, bars)


def allocate(shown: Sequence[Col], width: int) -> list[int]:
    """Column widths: fixed columns at their natural width, the rest from their minimum toward theirs.

    Space left over goes to the columns that need it, prose three times as much as short text.
    """
    available = width - _overhead(len(shown))
    widths = [col.natural if col.wrap == "never" else col.minimum for col in shown]
    leftover = available - sum(widths)
    while leftover > 0:
        needy = [i for i, col in enumerate(shown) if widths[i] < col.natural]
        if not needy:
            break
        weights = {i: 3 if shown[i].wrap == "prose" else 1 for i in needy}
        total = sum(weights.values())
        given = 0
        for i in needy:
            share = max(1, leftover * weights[i] // total)
            add = min(share, shown[i].natural - widths[i], leftover - given)
            widths[i] += add
            given += add
            if given >= leftover:
                break
        if given == 0:
            break
        leftover -= given
    return widths


def console(width: int) -> Any:
    from rich.console import Console

    return Console(
        file=io.StringIO(),
        width=width,
        height=25,
        highlight=False,
        emoji=False,
        markup=False,
        soft_wrap=False,
        force_terminal=None,
    )


def _text(value: str, style: str | None = None) -> Any:
    from rich.text import Text

    return Text(visible(value, newlines=True), style=style or "")


def table(title: str | None, cols: Sequence[Col], caption: str | None, width: int, color: bool) -> str:
    """A table that fits ``width``, or blocks of ``key: value`` lines when even the essentials do not."""
    from rich import box
    from rich.table import Table

    cols = [_visible(col) for col in cols]
    shown = choose(cols, width)
    if shown is None:
        return blocks(title, cols, caption, width)
    rows = len(cols[0].cells) if cols else 0
    widths = allocate(shown, width)
    grid = Table(
        title=_text(title) if title else None,
        caption=_text(caption) if caption else None,
        box=box.SIMPLE_HEAD,
        expand=False,
        show_lines=False,
        header_style="bold",
        title_justify="left",
        caption_justify="left",
        title_style="bold",
    )
    for col, col_width in zip(shown, widths, strict=True):
        grid.add_column(_text(col.header), no_wrap=col.wrap == "never", overflow="fold", width=col_width)
    for index in range(rows):
        cells = []
        for col in shown:
            if col.bars is not None and col.bars[index]:
                cells.append(_text("\n".join(bar_lines(col.bars[index]))))
            else:
                cells.append(_text(col.cells[index]))
        grid.add_row(*cells)
    out = console(width)
    if not color:
        out.no_color = True
    out.print(grid)
    return out.file.getvalue()  # type: ignore[no-any-return]


def blocks(title: str | None, cols: Sequence[Col], caption: str | None, width: int) -> str:
    """Each record as a block: its first column as a heading, then ``header: value`` lines."""
    rows = len(cols[0].cells) if cols else 0
    out: list[str] = []
    if title:
        out += [visible(title), ""]
    for index in range(rows):
        first, rest = cols[0], cols[1:]
        out += textwrap.wrap(visible(first.cells[index].replace("\n", " ")), width) or [""]
        for col in rest:
            value = col.cells[index]
            if col.bars is not None and col.bars[index]:
                value = "\n".join(label for _, label in col.bars[index])
            if not value:
                continue
            head = f"  {visible(col.header)}: "
            for number, line in enumerate(visible(value, newlines=True).split("\n")):
                out += textwrap.wrap(
                    line,
                    width,
                    initial_indent=head if number == 0 else " " * len(head),
                    subsequent_indent=" " * len(head),
                    break_on_hyphens=False,
                ) or [head.rstrip()]
        out.append("")
    if caption:
        out += textwrap.wrap(visible(caption), width)
    return "\n".join(out).rstrip("\n") + "\n"


def panels(sections: Sequence[tuple[str, Sequence[tuple[str, str]]]], width: int, color: bool) -> str:
    """Titled panels of label/value lines: how ``show`` and ``country`` lay out one record."""
    from rich.panel import Panel
    from rich.table import Table

    out = console(width)
    if not color:
        out.no_color = True
    for title, lines in sections:
        grid = Table.grid(padding=(0, 1))
        labels = [label for label, _ in lines if label]
        widest = max((cell_width(label) for label in labels), default=0)
        grid.add_column(style="bold", no_wrap=True, max_width=min(widest, max(8, width // 4)) or None)
        grid.add_column(overflow="fold")
        for label, value in lines:
            grid.add_row(_text(label), _text(value))
        out.print(Panel(grid, title=_text(title), title_align="left", expand=True))
    return out.file.getvalue()  # type: ignore[no-any-return]
