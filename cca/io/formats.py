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

import functools
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


def write_json_texts(texts: Iterable[str], out: IO[str]) -> None:
    """A JSON array of values already encoded (one line each), as :func:`write_json_array` writes them in a pipe."""
    first = True
    out.write("[")
    for text in texts:
        out.write("\n" if first else ",\n")
        first = False
        out.write(json_safe(text))
    out.write("]\n" if first else "\n]\n")


def json_document(value: Any, *, ascii_only: bool = False, pretty: bool = True) -> str:
    """One JSON object: indented for a person; for a pipe, each list item of a top-level key on a line.

    The compact form goes through the C encoder (indenting does not): a country's profile with
    hundreds of projects is written several times faster, and stays easy to read and grep.
    """
    if pretty or not isinstance(value, dict) or not value:
        return json_text(value, ascii_only=ascii_only)
    parts = []
    for key, item in value.items():
        head = json_text(str(key), ascii_only=ascii_only) + ": "
        if isinstance(item, list) and item:
            lines = ",\n".join(json_text(element, ascii_only=ascii_only, indent=None) for element in item)
            parts.append(f"{head}[\n{lines}\n]")
        else:
            parts.append(head + json_text(item, ascii_only=ascii_only, indent=None))
    return "{\n" + ",\n".join(parts) + "\n}"


def write_jsonl(rows: Iterable[Any], out: IO[str], *, ascii_only: bool = False) -> None:
    for row in rows:
        out.write(json_text(row, ascii_only=ascii_only, indent=None))
        out.write("\n")


# -- CSV, TSV ---------------------------------------------------------------------------------------------


def write_delimited(
    rows: Iterable[Mapping[str, Any]], fields: Sequence[str], out: IO[str], *, tabs: bool = False, header: bool = True
) -> None:
    import csv  # only for delimited output

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
    return _PAIR.sub(_astral, json_safe(json.dumps(text, ensure_ascii=ascii_only)))


#: A JSON surrogate-pair escape (not itself after an escaped backslash): YAML reads ``\\ud83d\\ude00`` as two
#: lone surrogates, so a character beyond the BMP is written as YAML's own ``\\U0001f600``.
_PAIR = re.compile(r"(?<!\\)((?:\\\\)*)\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})", re.IGNORECASE)


def _astral(match: re.Match[str]) -> str:
    high, low = int(match.group(2), 16), int(match.group(3), 16)
    return f"{match.group(1)}\\U{0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00):08x}"


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


# -- knowledge files ------------------------------------------------------------------------------------

#: What a record the fast reader would refuse has escaped in its text: first the punctuation its rules
#: look at (a sign or comma before a digit, indicators), then, if that is not enough, all but letters.
_PUNCTUATION = (
    r",(?=[ \t]*[-+.0-9])|(?<![A-Za-z0-9])[-+.](?=[0-9.])|(?<![^\s\[{,:])[&*!?]|(?:(?<=[\[{,:])|(?<=[\[{,:] ))[|>]"
    r"|[\[\]{}]|:(?=\s|\Z)|\s(?=:)|(?<=[0-9])[eE]|(?<=[0-9]\.)[eE]|(?<=[0-9._])_|_(?=[0-9.])|\x85|[\u2028\u2029]"
)
_ALL_BUT_LETTERS = r"[^A-Za-z \u00a0-\u2027\u202a-\ud7ff\ue000-\ufdcf\ufdf0-\ufffd]"
# (compiled when a knowledge file is written, not when cca starts: compiling them costs milliseconds)


def knowledge_text(document: Mapping[str, Any], *, comment: str = "") -> str:
    """A knowledge document as YAML in the layout cca reads fastest: top-level keys, list items at two spaces.

    Each record is checked the way the fast reader checks it; a record it would refuse (a
    ``" ? "`` or ``": "`` in some text, say) is written again with its text escaped, so one odd
    value never sends the whole file to the slower, positioned reader.
    """
    from cca.io.yaml import BATCH, risky, unusual

    parts = [f"# {line}\n" if line else "#\n" for line in comment.splitlines()]
    for key, value in document.items():
        if isinstance(value, list) and value:
            parts.append(f"{key}:\n")
            chunks = [_item(item, escape=None) for item in value]
            for start in range(0, len(chunks), BATCH):  # the batches the fast reader will check
                batch = "".join(chunks[start : start + BATCH])
                if not (risky(batch) or unusual(batch)):
                    continue
                for number in range(start, min(start + BATCH, len(chunks))):
                    chunk = chunks[number]
                    if risky(chunk) or unusual(chunk):  # escape what the fast reader looks at; if not enough, all
                        chunk = _item(value[number], escape=re.compile(_PUNCTUATION))
                        if risky(chunk) or unusual(chunk):
                            chunk = _item(value[number], escape=re.compile(_ALL_BUT_LETTERS))
                        chunks[number] = chunk
            parts += chunks
        else:
            parts.append(yaml_text({key: value}))
    return "".join(parts)


def _item(value: Any, *, escape: re.Pattern[str] | None) -> str:
    lines: list[str] = []
    _emit_value(value, 4, lines, escape)
    return "  - " + lines[0][4:] + "\n" + "".join(line + "\n" for line in lines[1:])


def _emit_value(value: Any, indent: int, lines: list[str], escape: re.Pattern[str] | None) -> None:
    pad = " " * indent
    if isinstance(value, dict):
        for key, item in value.items():
            name = _knowledge_scalar(str(key), None)
            if isinstance(item, (dict, list)) and item:
                lines.append(f"{pad}{name}:")
                _emit_value(item, indent + 2, lines, escape)
            else:
                lines.append(f"{pad}{name}: {_knowledge_scalar(item, escape)}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, (dict, list)) and item:
                nested: list[str] = []
                _emit_value(item, indent + 2, nested, escape)
                lines.append(pad + "- " + nested[0][indent + 2 :])
                lines.extend(nested[1:])
            else:
                lines.append(f"{pad}- {_knowledge_scalar(item, escape)}")
    else:
        lines.append(pad + _knowledge_scalar(value, escape))


def _knowledge_scalar(value: Any, escape: re.Pattern[str] | None) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    if not isinstance(value, str):
        return _yaml_scalar(value, False)
    if escape is None or not escape.search(value):
        return _plain_or_quoted(value)
    out = []
    for index, char in enumerate(value):
        if char == '"':
            out.append('\\"')
        elif char == "\\":
            out.append("\\\\")
        elif escape.match(value, index) or ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F:
            out.append(_escape_char(char))
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


@functools.lru_cache(maxsize=65536)
def _plain_or_quoted(text: str) -> str:
    """A string as YAML, remembered: an import repeats its roles, types and names thousands of times."""
    return _yaml_string(text, False)


def _escape_char(char: str) -> str:
    point = ord(char)
    return f"\\x{point:02x}" if point < 0x100 else f"\\u{point:04x}" if point < 0x10000 else f"\\U{point:08x}"
