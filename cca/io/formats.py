"""One writer per machine format, and the one cell encoder, for listings, ``show``, ``country`` and ``export``.

* JSON and JSON Lines are exact: the encoder escapes control characters, and what it
  would leave raw that could steer or fool a terminal (C1, bidi controls, invisible
  characters) is escaped too; parsing gives back the same strings.
* CSV and TSV cells go through :func:`cell`: lists joined with ``; ``, structures as
  compact JSON, text that a spreadsheet would run as a formula prefixed with ``'``,
  and control characters shown as escapes. Stdout and every export use it.
* YAML is written by cca itself (no PyYAML on this path): block style, strings plain
  only where every YAML 1.1 and 1.2 reader takes them as the same text, else
  double-quoted with escapes, so it stays valid on a stdout that cannot encode
  everything.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any

from cca.core.text import json_safe, neutralise_formula, visible


def text_of(value: Any) -> str:
    """A JSON value as text for a person or a cell: lists joined with '; ', structures as JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, list):
        if all(
            not isinstance(v, (list, dict)) or (isinstance(v, dict) and isinstance(v.get("quote"), str)) for v in value
        ):
            return "; ".join(text_of(item) for item in value)
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, dict):
        if "quote" in value and isinstance(value["quote"], str):
            return value["quote"]
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def cell(value: Any, *, tabs: bool = False) -> str:
    """The one CSV/TSV cell encoder: text, formulas neutralised, control characters escaped."""
    text = text_of(value)
    if isinstance(value, (str, list, dict)):
        text = neutralise_formula(text)
    if tabs:
        text = text.replace("\t", " ").replace("\r\n", " ").replace("\n", " ")
    return visible(text, newlines=not tabs)


def pick(rows: Iterable[Mapping[str, Any]], fields: Sequence[str] | None) -> list[dict[str, Any]]:
    if not fields:
        return [dict(row) for row in rows]
    return [{field: row.get(field) for field in fields} for row in rows]


# -- JSON -------------------------------------------------------------------------------------------------


def json_text(value: Any, *, ascii_only: bool = False, indent: int | None = 2) -> str:
    """One JSON document (no trailing newline); NaN and infinities can never appear."""
    return json_safe(json.dumps(value, ensure_ascii=ascii_only, indent=indent, allow_nan=False))


def write_json_array(rows: Iterable[Any], out: IO[str], *, ascii_only: bool = False, pretty: bool = True) -> None:
    """A JSON array written as it comes: indented for a person, one element per line otherwise."""
    first = True
    out.write("[")
    for row in rows:
        out.write("\n" if first else ",\n")
        first = False
        if pretty:
            out.write(re.sub(r"^", "  ", json_text(row, ascii_only=ascii_only), flags=re.MULTILINE))
        else:
            out.write(json_text(row, ascii_only=ascii_only, indent=None))
    out.write("]\n" if first else "\n]\n")


def write_jsonl(rows: Iterable[Any], out: IO[str], *, ascii_only: bool = False) -> None:
    for row in rows:
        out.write(json_text(row, ascii_only=ascii_only, indent=None))
        out.write("\n")


# -- CSV, TSV ---------------------------------------------------------------------------------------------


def write_delimited(
    rows: Iterable[Mapping[str, Any]], fields: Sequence[str], out: IO[str], *, tabs: bool = False, header: bool = True
) -> None:
    writer = csv.writer(out, delimiter="\t" if tabs else ",", lineterminator="\n")
    if header:
        writer.writerow([cell(name, tabs=tabs) for name in fields])
    for row in rows:
        writer.writerow([cell(row.get(field), tabs=tabs) for field in fields])


def delimited_text(rows: Iterable[Mapping[str, Any]], fields: Sequence[str], *, tabs: bool = False) -> str:
    buffer = io.StringIO()
    write_delimited(rows, fields, buffer, tabs=tabs)
    return buffer.getvalue()


# -- YAML -------------------------------------------------------------------------------------------------

_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_ .,/()+%'-]*\Z")


def _yaml_string(text: str, ascii_only: bool) -> str:
    from cca.io.yaml import reads_as_text

    if (
        _PLAIN.match(text)
        and not text.endswith((" ", ":"))
        and ": " not in text
        and " #" not in text
        and reads_as_text(text)
        and text.lower() not in ("yes", "no", "on", "off", "y", "n")
    ):
        return text
    return json_safe(json.dumps(text, ensure_ascii=ascii_only))


def _yaml_scalar(value: Any, ascii_only: bool) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _yaml_float(value)
    return _yaml_string(str(value), ascii_only)


def _yaml_float(value: float) -> str:
    """A float in the one form YAML 1.1 and 1.2 both read as that float: a dot, and a signed exponent."""
    if value != value:
        return ".nan"
    if value in (float("inf"), float("-inf")):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value)
    mantissa, _, exponent = text.partition("e")
    if "." not in mantissa:
        mantissa += ".0"
    if exponent and exponent[0] not in "+-":
        exponent = "+" + exponent
    return f"{mantissa}e{exponent}" if exponent else mantissa


def yaml_text(value: Any, *, ascii_only: bool = False) -> str:
    """``value`` (JSON-like) as a YAML document that every YAML 1.1 and 1.2 reader reads back the same."""
    lines: list[str] = []
    _emit(value, 0, lines, ascii_only)
    return "\n".join(lines) + "\n"


def _emit(value: Any, indent: int, lines: list[str], ascii_only: bool) -> None:
    pad = " " * indent
    if isinstance(value, dict):
        if not value:
            lines.append(pad + "{}")
            return
        for key, item in value.items():
            name = _yaml_string(str(key), ascii_only)
            if isinstance(item, (dict, list)) and item:
                lines.append(f"{pad}{name}:")
                _emit(item, indent + 2 if isinstance(item, dict) else indent, lines, ascii_only)
            else:
                lines.append(f"{pad}{name}: {_inline(item, ascii_only)}")
    elif isinstance(value, list):
        if not value:
            lines.append(pad + "[]")
            return
        for item in value:
            if isinstance(item, (dict, list)) and item:
                nested: list[str] = []
                _emit(item, indent + 2, nested, ascii_only)
                lines.append(pad + "- " + nested[0][indent + 2 :])
                lines.extend(nested[1:])
            else:
                lines.append(f"{pad}- {_inline(item, ascii_only)}")
    else:
        lines.append(pad + _inline(value, ascii_only))


def _inline(value: Any, ascii_only: bool) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return _yaml_scalar(value, ascii_only)
