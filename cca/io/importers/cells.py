"""A cell's text as both table readers give it: Excel's escapes decoded, a spreadsheet error marked."""

from __future__ import annotations

import re


class CellError(str):
    """A spreadsheet's error value (``#DIV/0!``, ``#N/A``, ...) where a cell's value should be: never text."""

    __slots__ = ()


#: What a spreadsheet shows in a cell whose formula failed. A CSV written from a sheet holds them as
#: text; a workbook marks them as errors. Either way such a cell is refused, never read as empty.
ERROR_VALUES = frozenset(
    {
        "#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA", "#SPILL!",
        "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!", "#EXTERNAL!", "#PYTHON!",
    }
)  # fmt: skip


def is_error(cell: str) -> bool:
    """Whether a cell holds a spreadsheet error (a workbook's error cell, or its text in a CSV)."""
    return isinstance(cell, CellError) or ("#" in cell and cell.strip() in ERROR_VALUES)


_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def decode_escapes(text: str) -> str:
    """Excel's ``_xHHHH_`` escapes decoded, as Excel reads them, in workbooks and CSVs alike.

    ``_x000D_`` is a carriage return, ``_x0008_`` a backspace (control characters stay in the data;
    every output escapes them when it shows them), ``_x005F_`` the underscore that keeps a literal
    ``_x0008_`` from being read as one. A surrogate escape stays as written unless it is half of a pair.
    """
    if "_x" not in text and "_X" not in text:
        return text
    out: list[str] = []
    position = 0
    for match in _ESCAPE.finditer(text):
        if match.start() < position:
            continue
        code = int(match.group(1), 16)
        end = match.end()
        if 0xD800 <= code <= 0xDBFF:
            low = _ESCAPE.match(text, end)
            second = int(low.group(1), 16) if low else 0
            if low is None or not 0xDC00 <= second <= 0xDFFF:
                continue
            code = 0x10000 + ((code - 0xD800) << 10) + (second - 0xDC00)
            end = low.end()
        elif 0xDC00 <= code <= 0xDFFF:
            continue
        out.append(text[position : match.start()])
        out.append(chr(code))
        position = end
    out.append(text[position:])
    return "".join(out)
