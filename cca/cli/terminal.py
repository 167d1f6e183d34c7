"""Tables, blocks and panels for a person at a terminal: cca's one rendering module.

Text from the knowledge is data: every cell goes through :func:`cca.core.text.visible`,
so control characters, escape sequences, bidi controls and invisible characters show as
visible escapes, and nothing is ever read as markup. The only escape codes cca writes
are its own (bold headers), and only when colour is wanted.

Tables lay out by priority: identifiers, dates, numbers and enum values never break,
short text breaks only between words, prose wraps into what is left. When the width
is short, the least important columns give way first; below what the essential
columns need, each record becomes a block of ``key: value`` lines.

Drawn here rather than by rich: a table of 600 projects takes rich about 300 ms, this
module about 20 ms, and importing rich costs every table about 40 ms more at start-up.
Widths count display cells (a Chinese character takes two).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from cca.core.text import visible

#: Narrowest and widest layouts cca will draw, whatever COLUMNS says.
MIN_WIDTH, MAX_WIDTH = 20, 1000
#: Cap on a "words" column's minimum (a very long word may fold rather than widen the table).
WORD_CAP = 24
BAR_WIDTH = 10
BOLD, DIM, RESET = "\x1b[1m", "\x1b[2m", "\x1b[0m"


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


def _char_width(char: str) -> int:
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def cell_width(text: str) -> int:
    """How many terminal cells ``text`` takes."""
    if text.isascii():
        return len(text)
    return sum(_char_width(char) for char in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - cell_width(text))


def _fold(word: str, width: int) -> list[str]:
    """A word longer than ``width``, cut into pieces that fit (the last resort for long words)."""
    pieces, current, used = [], "", 0
    for char in word:
        size = _char_width(char) if not char.isascii() else 1
        if used + size > width and current:
            pieces.append(current)
            current, used = "", 0
        current += char
        used += size
    if current:
        pieces.append(current)
    return pieces


def wrap(text: str, width: int) -> list[str]:
    """Lines of at most ``width`` cells, broken between words (a word wider than a line is folded)."""
    out: list[str] = []
    for paragraph in text.split("\n"):
        if cell_width(paragraph) <= width:
            out.append(paragraph.rstrip())
            continue
        line, used = "", 0
        for word in paragraph.split(" "):
            if not word:
                continue
            size = cell_width(word)
            if size > width:
                if line:
                    out.append(line)
                *whole, line = _fold(word, width)
                out += whole
                used = cell_width(line)
                continue
            if line and used + 1 + size > width:
                out.append(line)
                line, used = word, size
            else:
                line, used = (f"{line} {word}", used + 1 + size) if line else (word, size)
        out.append(line)
    return out


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


#: Below this width a prose column reads badly; less important columns go first to spare it.
PROSE_COMFORT = 30


def choose(cols: Sequence[Col], width: int) -> list[Col] | None:
    """The columns that fit ``width``, dropping the least important first; None: use blocks.

    Columns are dropped until every prose column can have a comfortable width; if the most
    important ones do not fit even at their minimum, the table becomes blocks.
    """
    for col in cols:
        _measure(col)

    def comfortable(col: Col) -> int:
        return max(col.minimum, min(col.natural, PROSE_COMFORT)) if col.wrap == "prose" else col.minimum

    shown = list(cols)
    while sum(comfortable(c) for c in shown) + _overhead(len(shown)) > width:
        droppable = [c for c in shown if c.priority > 1]
        if not droppable:
            break
        worst = max(droppable, key=lambda c: (c.priority, shown.index(c)))
        shown.remove(worst)
    if sum(c.minimum for c in shown) + _overhead(len(shown)) > width:
        return None
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


def _style(text: str, code: str, color: bool) -> str:
    return f"{code}{text}{RESET}" if color and text.strip() else text


def table(title: str | None, cols: Sequence[Col], caption: str | None, width: int, color: bool) -> str:
    """A table that fits ``width``, or blocks of ``key: value`` lines when even the essentials do not."""
    cols = [_visible(col) for col in cols]
    shown = choose(cols, width)
    if shown is None:
        return blocks(title, cols, caption, width)
    rows = len(cols[0].cells) if cols else 0
    widths = allocate(shown, width)
    inner = sum(widths) + 3 * (len(widths) - 1)
    out: list[str] = []
    if title:
        out += [_style(line, BOLD, color) for line in wrap(visible(title), width)]
        out.append("")
    heads = [wrap(col.header, w) for col, w in zip(shown, widths, strict=True)]
    out += _lines(heads, widths, color)
    out.append(" " + "─" * (inner + 2))
    for index in range(rows):
        cells: list[list[str]] = []
        for col, col_width in zip(shown, widths, strict=True):
            if col.bars is not None and col.bars[index]:
                text = "\n".join(bar_lines(col.bars[index]))
            else:
                text = col.cells[index]
            cells.append(text.split("\n") if col.wrap == "never" else wrap(text, col_width))
        out += _lines(cells, widths, False)
    if caption:
        out.append("")
        out += wrap(visible(caption), width)
    return "\n".join(out) + "\n"


def _lines(cells: Sequence[Sequence[str]], widths: Sequence[int], bold: bool) -> list[str]:
    """One table row: its cells side by side, as many lines as the tallest cell."""
    height = max((len(lines) for lines in cells), default=1) or 1
    out = []
    for number in range(height):
        parts = [_pad(lines[number] if number < len(lines) else "", w) for lines, w in zip(cells, widths, strict=True)]
        text = "  " + "   ".join(parts)
        out.append(_style(text.rstrip(), BOLD, bold) if bold else text.rstrip())
    return out


def blocks(title: str | None, cols: Sequence[Col], caption: str | None, width: int) -> str:
    """Each record as a block: its first column as a heading, then ``header: value`` lines."""
    rows = len(cols[0].cells) if cols else 0
    out: list[str] = []
    if title:
        out += [visible(title), ""]
    for index in range(rows):
        first, rest = cols[0], cols[1:]
        out += wrap(visible(first.cells[index].replace("\n", " ")), width) or [""]
        for col in rest:
            value = col.cells[index]
            if col.bars is not None and col.bars[index]:
                value = "\n".join(label for _, label in col.bars[index])
            if not value:
                continue
            head = f"  {visible(col.header)}: "
            indent = " " * cell_width(head)
            lines = []
            for line in visible(value, newlines=True).split("\n"):
                lines += wrap(line, max(width - len(indent), 8))
            out += [(head if number == 0 else indent) + line for number, line in enumerate(lines)]
        out.append("")
    if caption:
        out += wrap(visible(caption), width)
    return "\n".join(out).rstrip("\n") + "\n"


def panels(sections: Sequence[tuple[str, Sequence[tuple[str, str]]]], width: int, color: bool) -> str:
    """Titled, boxed sections of label/value lines: how ``show`` and ``country`` lay out one record."""
    inner = max(width - 4, 8)
    out: list[str] = []
    for title, lines in sections:
        # a long title (a dataset row's) wraps: its first line in the border, the rest under it, inside
        first, *more = wrap(visible(title), max(width - 6, 1)) or [""]
        heading = f"╭─ {_style(first, BOLD, color)} "
        out.append(heading + "─" * max(width - 5 - cell_width(first), 0) + "╮")
        out += ["│ " + _pad_styled(" " + _style(line, BOLD, color), inner) + " │" for line in more]
        labels = [visible(label) for label, _ in lines if label]
        label_width = min(max((cell_width(label) for label in labels), default=0), max(8, width // 4))
        for label, value in lines:
            label_text = visible(label)
            value_width = inner - (label_width + 1 if label_width else 0)
            value_text = visible(value, newlines=True)
            longest = max((cell_width(word) for word in value_text.split()), default=0)
            stacked = bool(label_text) and value_width < longest
            value_lines = wrap(value_text, max(value_width, 8)) or [""]
            label_lines = [""]
            if stacked:
                # a word (an id) too wide for the value column: the label above, the value below, whole
                out.append("│ " + _pad_styled(_style(label_text, BOLD, color), inner) + " │")
                indent = "  " if longest <= inner - 2 else ""
                for line in wrap(value_text, inner - len(indent)):
                    out.append("│ " + _pad_styled(indent + line, inner) + " │")
                continue
            if label_text and cell_width(label_text) > label_width:
                # a label too long for the label column (an id) takes a line of its own, whole
                for line in wrap(label_text, inner):
                    out.append("│ " + _pad_styled(_style(line, BOLD, color), inner) + " │")
            elif label_text:
                label_lines = [label_text]
            for number in range(max(len(value_lines), len(label_lines))):
                left = label_lines[number] if number < len(label_lines) else ""
                right = value_lines[number] if number < len(value_lines) else ""
                text = f"{_style(_pad(left, label_width), BOLD, color)} {right}" if label_width else right
                out.append("│ " + _pad_styled(text, inner) + " │")
        out.append("╰" + "─" * (width - 2) + "╯")
    return "\n".join(out) + "\n"


def _pad_styled(text: str, width: int) -> str:
    """Pad text that may hold cca's own style codes (which take no cells)."""
    plain = text.replace(BOLD, "").replace(DIM, "").replace(RESET, "")
    return text + " " * max(width - cell_width(plain), 0)
