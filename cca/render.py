"""Turn rows into text: table, plain, json, jsonl, csv, tsv, yaml, markdown.

The only module that imports rich, and only when a table or panel is drawn.
Text from knowledge files is data: it never reaches rich as markup, and control
characters (ANSI escapes included) are shown escaped in every format.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

FORMATS = ("table", "plain", "json", "jsonl", "csv", "tsv", "yaml", "markdown")

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROL_ALL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def escape_control(text: str, keep_newlines: bool = True) -> str:
    """Show control characters as visible escapes (\\x1b), so they can't drive the terminal."""
    pattern = _CONTROL if keep_newlines else _CONTROL_ALL
    return pattern.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


@dataclass(frozen=True)
class Column:
    """One column of a human-readable listing."""

    key: str
    header: str
    text: Callable[[dict[str, Any]], str]
    #: For a progress column: (fraction 0..1, label) pairs drawn as bars in a table.
    bars: Callable[[dict[str, Any]], list[tuple[float, str]]] | None = None
    ratio: int | None = None
    no_wrap: bool = False
    #: A second, dimmed line under the cell in a table (the record id under its name).
    sub: Callable[[dict[str, Any]], str] | None = None
    #: Narrowest the column may get in a table.
    min_width: int | None = None
    #: Leave out of tables (shown in plain lines, where the sub line has no place).
    plain_only: bool = False


def field_column(key: str) -> Column:
    """A column showing one JSON field as text."""
    return Column(key, key, lambda row: cell_text(row.get(key)))


def cell_text(value: Any) -> str:
    """A JSON value as one line-ish of text: lists joined with '; '."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return "; ".join(cell_text(item) for item in value)
    if isinstance(value, dict):
        if "quote" in value:
            return str(value["quote"])
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


# -- machine formats ---------------------------------------------------------------------------


def pick(rows: Sequence[dict[str, Any]], fields: Sequence[str] | None) -> list[dict[str, Any]]:
    if not fields:
        return list(rows)
    return [{field: row.get(field) for field in fields} for row in rows]


def _json_text(value: Any, ascii_only: bool, indent: int | None) -> str:
    text = json.dumps(value, ensure_ascii=ascii_only, indent=indent)
    # json escapes C0 controls; escape DEL and C1 too so no byte can steer a terminal.
    return re.sub(r"[\x7f-\x9f]", lambda m: f"\\u{ord(m.group()):04x}", text)


def to_json(value: Any, ascii_only: bool = False) -> str:
    return _json_text(value, ascii_only, 2) + "\n"


def to_jsonl(rows: Sequence[dict[str, Any]], ascii_only: bool = False) -> str:
    return "".join(_json_text(row, ascii_only, None) + "\n" for row in rows)


def _neutralise(text: str) -> str:
    """Keep spreadsheets from running a cell as a formula (OWASP CSV injection)."""
    return "'" + text if text.startswith(_FORMULA) else text


def to_delimited(rows: Sequence[dict[str, Any]], fields: Sequence[str], delimiter: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(fields)
    for row in rows:
        cells = []
        for field in fields:
            value = row.get(field)
            text = cell_text(value)
            if isinstance(value, (str, list, dict)):
                text = _neutralise(text)
            if delimiter == "\t":
                text = text.replace("\t", " ").replace("\n", " ")
            cells.append(escape_control(text))
        writer.writerow(cells)
    return buffer.getvalue()


def to_yaml(value: Any) -> str:
    """YAML that reads back the same under YAML 1.1 (PyYAML) and 1.2 (cca, most other tools)."""
    import yaml  # deferred: PyYAML is only needed to parse or to write YAML

    from cca.yamlfile import reads_as_text

    base = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

    class Dumper(base):  # type: ignore[misc, valid-type]
        pass

    def text_scalar(dumper: Any, data: str) -> Any:
        # PyYAML leaves '1e5' or '0129' bare (strings in YAML 1.1); YAML 1.2 reads them as numbers.
        style = '"' if not reads_as_text(data) else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)

    Dumper.add_representer(str, text_scalar)
    # Records read straight from YAML keep their positions in dict and list subclasses.
    Dumper.add_multi_representer(dict, lambda dumper, data: dumper.represent_dict(data.items()))
    Dumper.add_multi_representer(list, lambda dumper, data: dumper.represent_list(data))
    text: str = yaml.dump(value, Dumper=Dumper, allow_unicode=True, sort_keys=False, width=100)
    return text


# -- human formats -----------------------------------------------------------------------------


def to_plain(rows: Sequence[dict[str, Any]], columns: Sequence[Column]) -> str:
    """Tab-separated lines, no header, nothing cut: for grep, cut and awk (as gh does)."""
    lines = []
    for row in rows:
        cells = [
            escape_control(column.text(row).replace("\n", " "), keep_newlines=False).replace("\t", " ")
            for column in columns
        ]
        lines.append("\t".join(cells))
    return "".join(line + "\n" for line in lines)


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def md_escape(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", escape_control(text)).replace("\n", "<br>")


def to_markdown(rows: Sequence[dict[str, Any]], columns: Sequence[Column], title: str | None = None) -> str:
    out = []
    if title:
        out.append(f"## {md_escape(title)}\n\n")
    out.append("| " + " | ".join(md_escape(c.header) for c in columns) + " |\n")
    out.append("|" + "|".join(" --- " for _ in columns) + "|\n")
    for row in rows:
        out.append("| " + " | ".join(md_escape(c.text(row)) for c in columns) + " |\n")
    return "".join(out)


def bar(fraction: float, width: int = 10) -> str:
    fraction = min(max(fraction, 0.0), 1.0)
    filled = max(round(fraction * width), 1 if fraction > 0 else 0)  # anything above zero shows
    return "█" * filled + "░" * (width - filled)


def make_console(width: int | None = None) -> Any:
    """A rich console on stdout; NO_COLOR, FORCE_COLOR and TERM=dumb are honoured by rich.

    COLUMNS is read here because rich ignores it on a dumb terminal (TERM=dumb means no
    colour or cursor control, not a narrower screen).
    """
    import os
    import sys

    from rich.console import Console

    columns = os.environ.get("COLUMNS", "")
    if width is None and columns.isdigit() and int(columns) > 0:
        width = int(columns)
    return Console(
        file=sys.stdout,
        width=width,
        height=25 if width else None,
        highlight=False,
        emoji=False,
        markup=False,
        soft_wrap=False,
    )


def to_table(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[Column],
    title: str | None = None,
    caption: str | None = None,
    width: int | None = None,
) -> str:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    console = make_console(width)
    table = Table(
        title=Text(title) if title else None,
        caption=Text(caption) if caption else None,
        box=box.SIMPLE_HEAD,
        expand=True,
        show_lines=False,
        header_style="bold",
        title_justify="left",
        caption_justify="left",
    )
    shown = [column for column in columns if not column.plain_only]
    for column in shown:
        # Keep ids (the dim sub-line) whole where the width allows: they are what `cca show` takes.
        widest_sub = max((len(column.sub(row)) for row in rows), default=0) if column.sub else 0
        table.add_column(
            Text(column.header),
            overflow="fold",
            ratio=column.ratio,
            no_wrap=column.no_wrap,
            min_width=max(min(widest_sub, console.width // 4), column.min_width or 0) or None,
        )
    for row in rows:
        cells = []
        for column in shown:
            if column.bars is not None:
                parts = [f"{bar(fraction)} {escape_control(label)}" for fraction, label in column.bars(row)]
                cell = Text("\n".join(parts) or column.text(row))
            else:
                cell = Text(escape_control(column.text(row)))
            if column.sub is not None:
                cell.append("\n" + escape_control(column.sub(row)), style="dim")
            cells.append(cell)
        table.add_row(*cells)
    return capture(console, table)


def capture(console: Any, *renderables: Any) -> str:
    with console.capture() as captured:
        for renderable in renderables:
            console.print(renderable)
    text: str = captured.get()
    return text


def panels(sections: Sequence[tuple[str, Sequence[tuple[str, str]]]], width: int | None = None) -> str:
    """Titled panels of label/value lines: how ``show`` and ``country`` lay out one record."""
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    console = make_console(width)
    renderables = []
    for title, lines in sections:
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(overflow="fold")
        for label, value in lines:
            grid.add_row(Text(escape_control(label)), Text(escape_control(value)))
        renderables.append(Panel(grid, title=Text(escape_control(title)), title_align="left", expand=True))
    return capture(console, *renderables)


def sections_plain(sections: Sequence[tuple[str, Sequence[tuple[str, str]]]]) -> str:
    """The same sections as plain text, for pipes."""
    out = []
    for title, lines in sections:
        out.append(f"== {escape_control(title)}\n")
        for label, value in lines:
            text = escape_control(value).replace("\n", "\n    ")
            out.append(f"{escape_control(label)}: {text}\n" if label else f"    {text}\n")
        out.append("\n")
    return "".join(out)


def sections_markdown(sections: Sequence[tuple[str, Sequence[tuple[str, str]]]]) -> str:
    out = []
    for title, lines in sections:
        out.append(f"### {md_escape(title)}\n\n")
        for label, value in lines:
            out.append(f"- **{md_escape(label)}**: {md_escape(value)}\n" if label else f"- {md_escape(value)}\n")
        out.append("\n")
    return "".join(out)
