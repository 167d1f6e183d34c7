"""The one output path: a format chosen once, one writer per format, data on stdout only.

Machine formats (json, jsonl, csv, tsv, yaml) come from :mod:`cca.io.formats`; the
human ones (table, plain, markdown) are drawn here and in :mod:`cca.cli.terminal`
from the kind's columns (:mod:`cca.core.kinds`) and :mod:`cca.cli.cells`.
"""

import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, NamedTuple

from cca.cli import cells
from cca.cli.stream import emit, note, stdout_is_unicode
from cca.core.errors import QueryError
from cca.core.kb import did_you_mean as suggest
from cca.core.registry import Column
from cca.core.text import json_safe, visible
from cca.io import formats


class Screen(NamedTuple):
    """What stdout is: a terminal (and how wide), and whether colour is wanted."""

    tty: bool
    width: int
    color: bool


def screen() -> Screen:
    """Read once: COLUMNS (clamped), NO_COLOR, FORCE_COLOR, TERM, and whether stdout is a terminal.

    The width: COLUMNS when set; else the terminal's, where stdout is one; else, for a table sent
    into a pipe or a file (``--format table | less``), the width of the terminal the person runs
    cca from (stderr's or stdin's), since that is where it will be read; else 80.
    """
    from cca.cli.terminal import MAX_WIDTH, MIN_WIDTH

    tty = bool(getattr(sys.stdout, "isatty", lambda: False)())
    forced = bool(os.environ.get("FORCE_COLOR"))
    width = 80
    raw = os.environ.get("COLUMNS", "").strip()
    if raw.isdigit() and int(raw) > 0:
        width = int(raw[:7])
    else:
        width = _window(sys.stdout if tty else None) or _window(sys.stderr) or _window(sys.stdin) or 80
    width = max(MIN_WIDTH, min(width, MAX_WIDTH))
    color = (tty or forced) and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
    return Screen(tty or forced, width, color)


def _window(stream: Any) -> int | None:
    """The width of the terminal ``stream`` is, if it is one (and says a width)."""
    try:
        if stream is None or not stream.isatty():
            return None
        return os.get_terminal_size(stream.fileno()).columns or None
    except (AttributeError, OSError, ValueError):
        return None


class Out:
    """How one command's answer is to be written."""

    __slots__ = ("format", "fields", "screen", "cite")

    def __init__(
        self, format: str | None = None, fields: list[str] | None = None, screen: Screen | None = None
    ) -> None:  # noqa: A002
        self.format = format
        self.fields = fields
        self.screen = screen
        #: --cite: the citations of what the answer printed follow it (cca.cli.citing).
        self.cite = False

    @classmethod
    def of(cls, fmt: Any, json_: bool, fields: str | None) -> "Out":
        chosen = fmt.value if hasattr(fmt, "value") else fmt
        if json_ and chosen not in (None, "json"):
            raise QueryError("--json and --format disagree: use one of them")
        picked = [f.strip() for f in fields.split(",") if f.strip()] if fields else None
        return cls("json" if json_ else chosen, list(dict.fromkeys(picked)) if picked else None)

    @property
    def shown(self) -> Screen:
        if self.screen is None:
            self.screen = screen()
        return self.screen

    def chosen(self) -> str:
        if self.format:
            return self.format
        return "table" if self.shown.tty else "plain"

    @property
    def ascii_only(self) -> bool:
        return not stdout_is_unicode()


def check_fields(out: Out, valid: Sequence[str]) -> list[str] | None:
    if not out.fields:
        return None
    unknown = [f for f in out.fields if f not in valid]
    if unknown:
        raise QueryError(
            f"unknown field {unknown[0]!r}{suggest(unknown[0], valid, n=1)}; valid fields: {', '.join(valid)}"
        )
    return out.fields


# -- listings ---------------------------------------------------------------------------------------------


class View(NamedTuple):
    """A column as a person sees it: header, text per row, layout, and bars where the style draws them."""

    key: str
    header: str
    style: str
    priority: int = 1
    text: Callable[[dict[str, Any]], str] | None = None
    bars: Callable[[dict[str, Any]], list[tuple[float, str]]] | None = None
    #: It carries the answer to this question: a table keeps it at every width it is drawn at.
    answer: bool = False
    #: The cell in plain output (for grep, cut and awk), when it differs from what a person reads.
    plain: Callable[[dict[str, Any]], str] | None = None

    def cell(self, row: dict[str, Any]) -> str:
        return self.text(row) if self.text is not None else cells.style(self.style).text(row, self.key)

    def line(self, row: dict[str, Any]) -> str:
        """The cell on one line (plain output)."""
        if self.plain is not None:
            return self.plain(row)
        style = cells.style(self.style)
        if self.text is None and style.line is not None:
            return style.line(row, self.key)
        return self.cell(row).replace("\n", "; ")


def views(columns: Sequence[Column]) -> list[View]:
    out = []
    for column in columns:
        bars = None
        if column.style == "progress":

            def bars(row: dict[str, Any]) -> list[tuple[float, str]]:
                return [
                    (
                        p["value"] / 100 if p["unit"] == "percent" else 0.0,
                        cells.progress_text(p, dated=False) + "\n" + cells.when(p.get("as_of"), p.get("reported")),
                    )
                    for p in row.get("progress") or ()
                ]

        out.append(View(column.key, column.header, column.style, column.priority, bars=bars, answer=column.answer))
    return out


def field_views(fields: Sequence[str], columns: Sequence[View]) -> list[View]:
    """Columns for ``--fields``: the kind's own where one shows that field, else the field as text.

    Each is the answer, since it was asked for by name: a table keeps them all (or becomes blocks).
    """
    by_key = {view.key: view for view in columns}
    return [(by_key.get(name) or View(name, name, "text"))._replace(answer=True) for name in fields]


def listing(
    out: Out,
    rows: Sequence[dict[str, Any]],
    valid_fields: Callable[[], Sequence[str]],
    columns: Sequence[View],
    *,
    title: str | None = None,
    caption: str | None = None,
    empty: str | None = None,
    footer: Callable[[], Sequence[str]] = tuple,
) -> None:
    """Write rows of one kind in the chosen format."""
    chosen_fields = check_fields(out, valid_fields()) if out.fields else None
    fmt = out.chosen()
    if not rows and empty:
        note(empty)
    if fmt in ("json", "jsonl", "yaml", "csv", "tsv"):
        columns_of = chosen_fields or (list(valid_fields()) if fmt in ("csv", "tsv") else [])
        machine(out, fmt, rows, columns_of)
        return
    shown = field_views(chosen_fields, columns) if chosen_fields else list(columns)
    if fmt == "plain":
        if chosen_fields:
            emit(formats.delimited_text(rows, chosen_fields, tabs=True).split("\n", 1)[1])
        else:
            emit(plain(rows, shown))
    elif fmt == "markdown":
        emit(markdown(rows, shown, title, footer()))
    elif rows:
        emit(human_table(out, rows, shown, title, caption))


#: Formats a listing writes as its records come, never holding them all.
STREAMED = frozenset({"json", "jsonl", "csv", "tsv"})


class _Chunked:
    """A text sink that hands stdout a block at a time (and not one write per record)."""

    def __init__(self, size: int = 1 << 16) -> None:
        self.parts: list[str] = []
        self.held = 0
        self.size = size

    def write(self, text: str) -> int:
        self.parts.append(text)
        self.held += len(text)
        if self.held >= self.size:
            self.flush()
        return len(text)

    def flush(self) -> None:
        if self.parts:
            emit("".join(self.parts))
            self.parts, self.held = [], 0


def stream_views(
    out: Out, texts: Iterable[str], valid_fields: Callable[[], Sequence[str]], *, empty: str | None
) -> None:
    """A listing in a machine format from the records' stored JSON, written as it comes (never all held).

    JSON in a pipe and JSON Lines take the stored text as it is (only what may not reach a terminal
    raw is escaped); anything else (fields picked, CSV, an indented array, an ASCII stdout) decodes it.
    """
    fmt = out.chosen()
    chosen = check_fields(out, valid_fields()) if out.fields else None
    count = 0

    def counted() -> Iterator[str]:
        nonlocal count
        for text in texts:
            if not (text.startswith("{") and text.endswith("}")):
                from cca.core.errors import StoreError

                raise StoreError("a stored record is not a JSON object")
            count += 1
            yield text

    raw = fmt in ("json", "jsonl") and not chosen and not out.ascii_only and not (fmt == "json" and out.shown.tty)
    if raw:
        sink = _Chunked()
        if fmt == "json":
            formats.write_json_texts(counted(), sink)  # type: ignore[arg-type]
        else:
            for text in counted():
                sink.write(json_safe(text) + "\n")
        sink.flush()
    else:
        rows = (json.loads(text) for text in counted())
        machine(out, fmt, rows, chosen or (list(valid_fields()) if fmt in ("csv", "tsv") else []))
    if count == 0 and empty:
        note(empty)


def machine(out: Out, fmt: str, rows: Iterable[dict[str, Any]], fields: Sequence[str]) -> None:
    """Rows in a machine format, handed to stdout a block at a time (YAML is written whole)."""
    picked = ({field: row.get(field) for field in fields} for row in rows) if out.fields else rows
    sink = _Chunked()
    if fmt == "json":
        formats.write_json_array(picked, sink, ascii_only=out.ascii_only, pretty=out.shown.tty)  # type: ignore[arg-type]
    elif fmt == "jsonl":
        formats.write_jsonl(picked, sink, ascii_only=out.ascii_only)  # type: ignore[arg-type]
    elif fmt == "yaml":
        sink.write(formats.yaml_text(list(picked), ascii_only=out.ascii_only))
    else:
        formats.write_delimited(rows, fields, sink, tabs=fmt == "tsv")  # type: ignore[arg-type]
    sink.flush()


def document(
    out: Out,
    value: Any,
    human: Callable[[str], str],
    *,
    flat: Callable[[], None] | None = None,
    records: Callable[[], Sequence[Any]] | None = None,
) -> None:
    """One object (``show``, ``country``): JSON, JSON Lines or YAML as data; ``human(fmt)`` draws the rest.

    ``records``: what JSON Lines holds when the answer has sections (one record per line, each with
    its ``kind``); without it, the object on one line. ``flat``: the one table CSV and TSV hold.
    """
    fmt = out.chosen()
    if fmt == "json":
        emit(formats.json_document(value, ascii_only=out.ascii_only, pretty=out.shown.tty) + "\n")
    elif fmt == "jsonl":
        lines = records() if records is not None else [value]
        emit("".join(formats.json_text(line, ascii_only=out.ascii_only, indent=None) + "\n" for line in lines))
    elif fmt == "yaml":
        emit(formats.yaml_text(value, ascii_only=out.ascii_only))
    elif fmt in ("csv", "tsv"):
        if flat is None:
            raise QueryError(f"this answer has several sections; {fmt} holds one table: use --format json")
        flat()
    else:
        emit(human(fmt))


def plain(rows: Sequence[dict[str, Any]], columns: Sequence[View]) -> str:
    """Tab-separated lines, no header, nothing cut: for grep, cut and awk (as gh does); the id first."""
    columns = sorted(columns, key=lambda view: view.key != "id")
    lines = []
    for row in rows:
        values = [visible(view.line(row).replace("\t", " ")) for view in columns]
        lines.append("\t".join(values))
    return "".join(line + "\n" for line in lines)


def markdown_escape(text: str) -> str:
    import re

    return re.sub(r"([\\`*_\[\]<>|#])", r"\\\1", visible(text, newlines=True)).replace("\n", "<br>")


def markdown(rows: Sequence[dict[str, Any]], columns: Sequence[View], title: str | None, footer: Sequence[str]) -> str:
    parts = []
    if title:
        parts.append(f"## {markdown_escape(title)}\n\n")
    parts.append("| " + " | ".join(markdown_escape(c.header) for c in columns) + " |\n")
    parts.append("|" + "|".join(" --- " for _ in columns) + "|\n")
    for row in rows:
        parts.append("| " + " | ".join(markdown_escape(c.cell(row)) for c in columns) + " |\n")
    if footer:
        parts.append("\n" + "\n".join(f"{markdown_escape(line)}  " for line in footer) + "\n")
    return "".join(parts)


def human_table(
    out: Out, rows: Sequence[dict[str, Any]], columns: Sequence[View], title: str | None, caption: str | None
) -> str:
    from cca.cli.terminal import Col, table

    cols = []
    for view in columns:
        style = cells.style(view.style)
        cols.append(
            Col(
                view.header,
                [view.cell(row) for row in rows],
                style.wrap,
                view.priority,
                [view.bars(row) for row in rows] if view.bars is not None else None,
                key=view.key,
                answer=view.answer,
            )
        )
    first = columns[0].key if columns else ""
    shown = out.shown

    def hint(left: Sequence[Col], full: int) -> str:
        return hidden([(col.key, col.header) for col in left], first, shown.width, full)

    return table(title, cols, caption, shown.width, shown.color, hint)


def hidden(left: Sequence[tuple[str, str]], first: str, width: int, full: int) -> str:
    """The line under a table that left columns out: which (key, header), and the three ways to see them.

    It belongs to the table, on stdout under it like the caption: it says what this drawing of the
    answer leaves out, so it goes wherever the table goes (a pager, a file). Plain, JSON and CSV
    leave nothing out and never carry it.
    """
    from cca.cli.terminal import MAX_WIDTH

    keys = [key for key, _ in left]
    # a header that is no word (a timeline's "2020…2021", "#") is named by its field
    names = [header if any(c.isalpha() for c in header) else key for key, header in left]
    picked = [*(["id"] if "id" in keys else []), *(k for k in dict.fromkeys([first, *keys]) if k != "id")]
    wider = f"at {full} columns" if full <= MAX_WIDTH else "on a wider terminal"
    # the field list last, so that it copies whole (and a narrow terminal folds nothing after it)
    return (
        f"Not shown at {width} columns: {', '.join(names)} — see {'them' if len(left) > 1 else 'it'} "
        f"{wider}, with --format plain, or with --fields {','.join(picked)}"
    )


def sections(out: Out, fmt: str, parts: Sequence[tuple[str, Sequence[tuple[str, str]]]]) -> str:
    """A record laid out as titled sections of label/value lines, in a human format."""
    if fmt == "markdown":
        text = []
        for title, lines in parts:
            text.append(f"### {markdown_escape(title)}\n\n")
            for label, value in lines:
                text.append(
                    f"- **{markdown_escape(label)}**: {markdown_escape(value)}\n"
                    if label
                    else f"- {markdown_escape(value)}\n"
                )
            text.append("\n")
        return "".join(text)
    if fmt == "plain":
        text = []
        for title, lines in parts:
            text.append(f"== {visible(title)}\n")
            for label, value in lines:
                shown = visible(value, newlines=True).replace("\n", "\n    ")
                text.append(f"{visible(label)}: {shown}\n" if label else f"    {shown}\n")
            text.append("\n")
        return "".join(text)
    from cca.cli.terminal import panels

    return panels(parts, out.shown.width, out.shown.color)
