"""Tables, blocks and panels for a person at a terminal: cca's one rendering module.

Text from the knowledge is data: every cell goes through :func:`cca.core.text.visible`,
so control characters, escape sequences, bidi controls and invisible characters show as
visible escapes, and nothing is ever read as markup. The only escape codes cca writes
are its own (bold headers), and only when colour is wanted.

Tables keep the answer (:func:`layout`): identifiers, dates, numbers and enum values
never break, short text breaks only between words, prose wraps into what is left.
When the width is short, columns narrow and wrap first; then the least important give
way, never one that carries the answer, and a line under the table names them; below
what the essential and answer columns need, each record becomes a block of
``key: value`` lines, which shows them all.

Drawn here rather than by rich: a table of 600 projects takes rich about 300 ms, this
module about 20 ms, and importing rich costs every table about 40 ms more at start-up.
Widths count display cells (a Chinese character takes two).
"""

import unicodedata
from collections.abc import Callable, Sequence
from functools import cache, lru_cache
from typing import NamedTuple

from cca.core.text import unspaced, visible

#: Narrowest and widest layouts cca will draw, whatever COLUMNS says.
MIN_WIDTH, MAX_WIDTH = 20, 1000
#: Cap on a "words" column's minimum (a very long word may fold rather than widen the table).
WORD_CAP = 24
BAR_WIDTH = 10
BOLD, DIM, RESET = "\x1b[1m", "\x1b[2m", "\x1b[0m"


class Col:
    """One column to draw: cells are text (lines split on \\n); ``bars`` gives (fraction, label) per row.

    ``answer``: the column carries what the command was asked, so it is never dropped to make
    room (below the width it needs, the table becomes blocks instead). ``key`` names the field.
    """

    __slots__ = (
        "key",
        "header",
        "cells",
        "wrap",
        "priority",
        "answer",
        "bars",
        "minimum",
        "comfort",
        "natural",
        "lines",
        "sizes",
    )

    def __init__(
        self,
        header: str,
        cells: list[str],
        wrap: str = "words",
        priority: int = 1,
        bars: list[list[tuple[float, str]]] | None = None,
        *,
        key: str = "",
        answer: bool = False,
    ) -> None:
        self.key = key
        self.header = header
        self.cells = cells
        self.wrap = wrap
        self.priority = priority
        self.answer = answer
        self.bars = bars
        self.minimum = 0
        self.comfort = 0
        self.natural = 0
        #: Each cell's lines as given (nothing wrapped), and how wide the widest of them is.
        self.lines: list[list[str]] = []
        self.sizes: list[int] = []

    @property
    def kept(self) -> bool:
        """Whether the table keeps this column at any width it is drawn at."""
        return self.answer or self.priority <= 1


@cache
def _char_width(char: str) -> int:
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


@lru_cache(maxsize=1 << 14)
def _wide_width(text: str) -> int:
    return sum(map(_char_width, text))


def cell_width(text: str) -> int:
    """How many terminal cells ``text`` takes."""
    if text.isascii():
        return len(text)
    return _wide_width(text)


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
        ascii_only = paragraph.isascii()
        if (len(paragraph) if ascii_only else cell_width(paragraph)) <= width:
            out.append(paragraph.rstrip())
            continue
        line, used = "", 0
        for word in paragraph.split(" "):
            if not word:
                continue
            size = len(word) if ascii_only else cell_width(word)
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


def bar_lines(items: Sequence[tuple[float, str]], width: int | None = None) -> list[str]:
    """Each item a bar and its label; the label's further lines (its date) set under the label.

    Given a ``width``, those further lines wrap between words to fit it; the bar and the
    label's first line (the figure) are never broken.
    """
    lines = []
    room = None if width is None else max(width - BAR_WIDTH - 1, 1)
    for fraction, label in items:
        first, *rest = label.split("\n")
        lines.append(f"{bar(fraction)} {first}")
        for more in rest:
            lines += [" " * (BAR_WIDTH + 1) + part for part in (wrap(more, room) if room else [more])]
    return lines


def _cell_lines(col: Col, index: int, width: int | None = None) -> list[str]:
    """A cell's lines: its bars and their labels where it has them, else its text; wrapped to ``width``."""
    if col.bars is not None and col.bars[index]:
        return bar_lines(col.bars[index], width)
    if width is None or col.wrap == "never":
        return col.cells[index].split("\n")
    return wrap(col.cells[index], width)


def _longest_word(lines: Sequence[str]) -> int:
    longest = 1
    for line in lines:
        if line.isascii():
            if len(line) > longest:  # no word is longer than its line
                longest = max(longest, max(map(len, line.split()), default=0))
        else:
            longest = max(longest, max(map(_unbroken, line.split()), default=0))
    return longest


def _unbroken(word: str) -> int:
    """The narrowest a word may be drawn whole: Chinese, Japanese, Thai... break between any two characters."""
    if word.isascii():
        return len(word)
    if not unspaced(word):
        return cell_width(word)
    return max(_char_width(char) for char in word)


def _measure(col: Col) -> None:
    """A column's natural width (nothing wrapped), its comfortable width and its minimum.

    Words columns narrow to their longest word (``units`` ones: never folded, whatever its
    length). A prose column the table keeps (a name) narrows comfortably until its text
    takes about one line more than at :data:`PROSE_COMFORT` cells (a short name may take
    two lines); one that may give way (a quote, a summary) is comfortable at
    :data:`PROSE_COMFORT` or not shown. Either narrows at the very least to :data:`PROSE_MIN`.
    """
    col.lines = [_cell_lines(col, index) for index in range(len(col.cells))]
    per_cell = [[len(line) if line.isascii() else cell_width(line) for line in cell] for cell in col.lines]
    widths = [size for cell in per_cell for size in cell]
    col.sizes = [max(cell, default=0) for cell in per_cell]
    natural = max(max(col.sizes, default=1), cell_width(col.header), 1)
    col.natural = natural
    if col.wrap == "never":  # its values whole; its header may still wrap between words
        header = max((cell_width(word) for word in col.header.split()), default=1)
        col.minimum = col.comfort = max(max(col.sizes, default=1), header, 1)
        return
    longest = max(_longest_word([line for cell in col.lines for line in cell]), _longest_word([col.header]))
    minimum = longest if col.wrap == "units" else min(longest, WORD_CAP)
    if col.bars is not None:  # a bar and its figure are read as one: only the date under them may wrap
        figures = [cell_width(label.split("\n")[0]) for items in col.bars for _, label in items]
        minimum = max(minimum, min(BAR_WIDTH + 1 + max(figures, default=0), 2 * WORD_CAP))
    comfort = minimum
    if col.wrap == "prose":
        if col.kept:
            # at w cells a text of length n takes about n/w lines: n*C/(n+C) cells is one line more than at C
            longer = max((-(-size * PROSE_COMFORT // (size + PROSE_COMFORT)) for size in widths), default=1)
        else:  # a column that may give way keeps its comfort (or gives way)
            longer = PROSE_COMFORT
        comfort = max(minimum, min(longer, natural))
        minimum = min(comfort, max(minimum, min(natural, PROSE_MIN)))
    col.minimum, col.comfort = max(minimum, 1), max(comfort, 1)


def _overhead(count: int) -> int:
    return 3 * count + 1


#: Prose wider than this gains little; narrower, it is worth dropping a less important column to spare it.
PROSE_COMFORT = 30
#: The narrowest a prose column is drawn at (when the columns that must stay need the room).
PROSE_MIN = 16


class Layout(NamedTuple):
    """Which columns a table shows at a width; ``shown`` None: the table becomes one block per record."""

    shown: list[Col] | None
    dropped: list[Col]
    #: The narrowest width at which no column is dropped.
    full: int


def _needs(cols: Sequence[Col], attr: str) -> int:
    return sum(int(getattr(col, attr)) for col in cols) + _overhead(len(cols))


def layout(cols: Sequence[Col], width: int) -> Layout:
    """The columns to show at ``width``: narrow and wrap first, then drop, then blocks.

    1. Every column narrows to its comfortable width (short text to its longest word, prose
       to about one line more per record) before any is dropped.
    2. If that is still too wide, columns that are neither essential (priority 1) nor an
       answer give way, the least important first; one dropped for a wider one comes back
       if it fits after all.
    3. The columns that stay narrow further, prose down to its minimum; if even that does
       not fit, the table becomes one block per record, which shows every column.
    """
    for col in cols:
        _measure(col)
    full = _needs(cols, "comfort")
    shown = list(cols)
    while _needs(shown, "comfort") > width:
        droppable = [c for c in shown if not c.kept]
        if not droppable:
            break
        shown.remove(max(droppable, key=lambda c: (c.priority, shown.index(c))))
    for col in sorted((c for c in cols if c not in shown), key=lambda c: (c.priority, cols.index(c))):
        trial = [c for c in cols if c in shown or c is col]
        if _needs(trial, "comfort") <= width:
            shown = trial
    if _needs(shown, "minimum") > width:
        return Layout(None, [], full)
    return Layout(shown, [c for c in cols if c not in shown], full)


def choose(cols: Sequence[Col], width: int) -> list[Col] | None:
    """The columns shown at ``width`` (None: blocks); see :func:`layout`."""
    return layout(cols, width).shown


def _visible(col: Col) -> Col:
    """The column as it will be drawn: escapes in place, so widths are measured on what is shown."""
    bars = None
    if col.bars is not None:
        bars = [[(fraction, visible(label, newlines=True)) for fraction, label in items] for items in col.bars]
    return Col(
        visible(col.header),
        [visible(text, newlines=True) for text in col.cells],
        col.wrap,
        col.priority,
        bars,
        key=col.key,
        answer=col.answer,
    )


def _share(shown: Sequence[Col], widths: list[int], leftover: int, which: Sequence[int]) -> int:
    """Give ``leftover`` cells to the columns ``which`` that want more, prose three times as much; what is left."""
    while leftover > 0:
        needy = [i for i in which if widths[i] < shown[i].natural]
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
    return leftover


def allocate(shown: Sequence[Col], width: int) -> list[int]:
    """Column widths: each comfortable (or at its minimum when that is all there is room for), then the
    answer's short columns as wide as they want, then other short columns whole, then what is left
    shared, prose three times as much."""
    available = width - _overhead(len(shown))
    base = "comfort" if sum(col.comfort for col in shown) <= available else "minimum"
    widths = [getattr(col, base) for col in shown]
    leftover = available - sum(widths)
    leftover = _share(shown, widths, leftover, [i for i, col in enumerate(shown) if col.answer and col.wrap != "prose"])
    # a short column made whole saves a line for a few cells (half of one helps nothing): the cheapest first
    for i in sorted(
        (i for i, col in enumerate(shown) if col.wrap != "prose"), key=lambda i: shown[i].natural - widths[i]
    ):
        if 0 < shown[i].natural - widths[i] <= leftover:
            leftover -= shown[i].natural - widths[i]
            widths[i] = shown[i].natural
    _share(shown, widths, leftover, range(len(shown)))
    return widths


def _fill(shown: Sequence[Col], widths: list[int], rows: int) -> tuple[list[list[list[str]]], list[int]]:
    """Each column's cells wrapped to its width; room a column's words leave unused goes to those that want it."""
    done: dict[tuple[int, int], tuple[list[list[str]], int]] = {}

    def wrapped(i: int, width: int) -> tuple[list[list[str]], int]:
        if (i, width) not in done:
            col = shown[i]
            cells = list(col.lines)
            used = max(map(cell_width, wrap(col.header, width)))
            for index, size in enumerate(col.sizes):
                if size <= width or col.wrap == "never":  # as given: nothing to wrap
                    used = max(used, size)
                else:
                    cells[index] = _cell_lines(col, index, width)
                    used = max(used, *map(cell_width, cells[index]))
            done[i, width] = cells, min(used, width)
        return done[i, width]

    for attempt in range(3):
        results = [wrapped(i, w) for i, w in enumerate(widths)]
        used = [u for _, u in results]
        slack = sum(widths) - sum(used)
        wanting = [i for i, (w, u) in enumerate(zip(widths, used, strict=True)) if u >= w and w < shown[i].natural]
        widths = used
        if attempt == 2 or slack <= 0 or not wanting:
            break
        slack = _share(shown, widths, slack, [i for i in wanting if shown[i].answer])
        _share(shown, widths, slack, wanting)
    return [cells for cells, _ in results], widths


def _style(text: str, code: str, color: bool) -> str:
    return f"{code}{text}{RESET}" if color and text.strip() else text


#: Words the table says under itself when it left columns out: given those columns and the width
#: that shows them all.
Hint = Callable[[Sequence[Col], int], str]


def table(
    title: str | None,
    cols: Sequence[Col],
    caption: str | None,
    width: int,
    color: bool,
    hint: Hint | None = None,
) -> str:
    """A table that fits ``width``, or blocks of ``key: value`` lines when even the essentials do not.

    When columns are left out, ``hint`` words the line under the table that says so.
    """
    cols = [_visible(col) for col in cols]
    plan = layout(cols, width)
    if plan.shown is None:
        return blocks(title, cols, caption, width)
    shown = plan.shown
    rows = len(cols[0].cells) if cols else 0
    body, widths = _fill(shown, allocate(shown, width), rows)
    inner = sum(widths) + 3 * (len(widths) - 1)
    out: list[str] = []
    if title:
        out += [_style(line, BOLD, color) for line in wrap(visible(title), width)]
        out.append("")
    heads = [wrap(col.header, w) for col, w in zip(shown, widths, strict=True)]
    out += _lines(heads, widths, color)
    out.append(" " + "─" * (inner + 2))
    for index in range(rows):
        out += _lines([cells[index] for cells in body], widths, False)
    if plan.dropped and hint is not None:
        out.append("")
        out += [_style(line, DIM, color) for line in wrap(visible(hint(plan.dropped, plan.full)), width)]
    if caption:
        out.append("")
        out += wrap(visible(caption), width)
    return "\n".join(out) + "\n"


def _lines(cells: Sequence[Sequence[str]], widths: Sequence[int], bold: bool) -> list[str]:
    """One table row: its cells side by side, as many lines as the tallest cell."""
    height = max((len(lines) for lines in cells), default=1) or 1
    out = []
    for number in range(height):
        parts = []
        for lines, w in zip(cells, widths, strict=True):
            line = lines[number] if number < len(lines) else ""
            parts.append(line.ljust(w) if line.isascii() else _pad(line, w))
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
            elif col.wrap == "never":  # set on lines to fit a column (an amount over its basis): one line here
                value = value.replace("\n", " ")
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
