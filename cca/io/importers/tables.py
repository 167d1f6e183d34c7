"""Rows of a spreadsheet or CSV file as text cells, each row with its number for messages.

Both readers give the same thing: the header, then ``(row, cells)`` where ``row`` is the
number a spreadsheet shows (the header is row 1) and every cell is text: exactly what the file
says for numbers (``12345678901234567``, ``2021`` or ``2021.0``), ``YYYY-MM-DD`` for dates, ``''``
for an empty cell, Excel's ``_xHHHH_`` escapes decoded, and a spreadsheet error (``#DIV/0!``,
``#N/A``, ...) as a :class:`CellError`. One set of parsers reads either file.

Both read as a stream, within bounds: a CSV line by line through an incremental UTF-8 decoder
(an invalid byte is reported at its line), a workbook's sheet one row at a time
(:mod:`cca.io.importers.xlsx`, whose limits are checked before anything is read). Rows are
yielded as they are read; nothing holds the whole file.
"""

from __future__ import annotations

import codecs
import csv
import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO, NamedTuple

from cca.core.errors import DatasetError, Problem, QueryError
from cca.io.importers.cells import CellError, decode_escapes, is_error

__all__ = ["CellError", "Table", "check_file", "decode_escapes", "is_error", "open_table"]


class Table(NamedTuple):
    header: list[str]
    rows: Iterator[tuple[int, list[str]]]
    sheet: str | None


def check_file(path: Path, label: str) -> None:
    """Refuse, as a usage error, a dataset path that is not a regular file: missing, a directory, a FIFO,
    a name too long for the system. Never raises anything else, whatever the name."""
    from cca.io.safefile import describe

    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise QueryError(f"{describe(label)}: no such file") from None
    except OSError as error:
        raise QueryError(f"{describe(label)}: cannot read it: {_reason(error)}") from None
    except ValueError as error:  # a NUL byte in the name
        raise QueryError(f"{describe(label)}: cannot read it: {error}") from None
    if not stat.S_ISREG(info.st_mode):
        raise QueryError(f"{describe(label)}: not a regular file")


def _reason(error: OSError) -> str:
    if error.errno == errno.ELOOP:
        return "too many levels of symbolic links (a symlink loop?)"
    return (error.strerror or str(error)).rstrip(".").lower()


#: Workbook formats cca reads itself (the Office Open XML spreadsheet, with or without macros).
WORKBOOKS = (".xlsx", ".xlsm")
#: Other spreadsheet formats: refused with a way out (AidData distributes .xlsx and CSV).
OTHER_SPREADSHEETS = (".xls", ".xlsb", ".ods", ".numbers")


def open_table(path: Path, label: str, sheet: str | None = None) -> Table:
    """The header and rows of ``path``: .xlsx/.xlsm (``sheet``) or CSV (UTF-8, with or without BOM)."""
    suffix = path.suffix.lower()
    if suffix in WORKBOOKS:
        return _workbook(path, label, sheet)
    if suffix in OTHER_SPREADSHEETS:
        raise DatasetError(f"{label}: cca reads .xlsx workbooks and CSV files: save it as .xlsx or as CSV UTF-8")
    if sheet is not None:
        raise QueryError(f"{{sheet}} is for workbooks; {label} is read as CSV", params=["sheet"])
    return _csv(path, label)


# -- CSV --------------------------------------------------------------------------------------------------

#: Longest physical line of a CSV read (a GCDF row is a few kilobytes; Excel's cells stop at 32,767
#: characters, and the csv module refuses a field over 131,072).
MAX_LINE_BYTES = 16 * 1024 * 1024


def _csv(path: Path, label: str) -> Table:
    """The header read now; the rows read as they are taken, from where the header ends (the file is
    open only while they are: a caller that stops at the header leaves nothing open)."""
    lines = _Lines(path, label)
    reader = csv.reader(lines, strict=True)
    try:
        header = [decode_escapes(cell) for cell in next(reader)]
    except StopIteration:
        raise _problem(label, 1, 1, "the file is empty: expected a header row") from None
    except csv.Error as error:
        raise _problem(label, 1, 1, f"not CSV: {error}") from None
    finally:
        lines.close()
    after_header, line_number = lines.offset, reader.line_num

    def rows() -> Iterator[tuple[int, list[str]]]:
        rest = _Lines(path, label, after_header, line_number)
        with rest:
            reader = csv.reader(rest, strict=True)
            start = line_number + 1
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except csv.Error as error:
                    raise _problem(label, start, 1, f"not CSV: {error}") from None
                if cells and any(cells):
                    yield start, [decode_escapes(cell) for cell in cells]
                start = line_number + reader.line_num + 1

    return Table(header, rows(), None)


class _Lines:
    """A file's lines as text, decoded as they are read (UTF-8, a leading BOM dropped).

    A line is cut at b'\\n', which no UTF-8 sequence holds, so an invalid byte is reported at its
    own line and column. ``offset`` is where the lines read so far end.
    """

    def __init__(self, path: Path, label: str, offset: int = 0, line: int = 0) -> None:
        self.label, self.offset, self.number = label, offset, line
        try:
            self.handle: IO[bytes] = path.open("rb")
            if offset:
                self.handle.seek(offset)
        except OSError as error:
            raise QueryError(f"cannot read {label}: {error.strerror or error}") from None
        self.decoder = codecs.getincrementaldecoder("utf-8")("strict")

    def __enter__(self) -> _Lines:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self.handle.close()

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        try:
            line = self.handle.readline(MAX_LINE_BYTES + 1)
        except OSError as error:
            raise _problem(self.label, self.number + 1, 1, f"cannot read: {error.strerror or error}") from None
        if not line:
            try:
                self.decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                raise _problem(self.label, self.number, 1, "not UTF-8 text: the file ends inside a character") from None
            raise StopIteration
        self.number += 1
        self.offset += len(line)
        if len(line) > MAX_LINE_BYTES:
            raise _problem(
                self.label, self.number, 1, f"a line longer than {MAX_LINE_BYTES:,} bytes: not a CSV of the sheet"
            )
        if self.offset == len(line) and line.startswith(codecs.BOM_UTF8):
            line = line[len(codecs.BOM_UTF8) :]
        try:
            return self.decoder.decode(line)
        except UnicodeDecodeError as error:
            column = len(line[: error.start].decode("utf-8", "replace")) + 1
            raise _problem(
                self.label,
                self.number,
                column,
                f"not UTF-8 text (byte 0x{line[error.start]:02x}): save the sheet as CSV UTF-8",
            ) from None


# -- workbooks --------------------------------------------------------------------------------------------

#: AidData's data sheet; a workbook import reads it unless --sheet says otherwise.
DEFAULT_SHEET = "GCDF_3.0"


def _workbook(path: Path, label: str, sheet: str | None) -> Table:
    from cca.io.importers.xlsx import open_sheet

    chosen = sheet or DEFAULT_SHEET

    def missing(names: list[str]) -> DatasetError:
        return DatasetError(
            f"{label}: no sheet {chosen!r}; its sheets: {', '.join(names)} (choose one with {{sheet}})",
            params=["sheet"],
        )

    book = open_sheet(path, label, chosen, missing)
    values = book.rows
    try:
        _, header = next(values)
    except StopIteration:
        raise _problem(label, 1, 1, f"sheet {chosen!r} is empty: expected a header row") from None
    header = list(header)
    while header and header[-1] == "":
        header.pop()
    width = len(header)

    def rows() -> Iterator[tuple[int, list[str]]]:
        for number, cells in values:
            if len(cells) < width:  # a workbook leaves empty cells out: the row is as wide as the header
                cells.extend([""] * (width - len(cells)))
            yield number, cells

    return Table(header, rows(), chosen)


def _problem(label: str, line: int, column: int, message: str) -> DatasetError:
    return DatasetError(str(Problem(label, line, column, message)))
