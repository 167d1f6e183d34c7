"""Rows of a spreadsheet or CSV file as text cells, each row with its number for messages.

Both readers give the same thing: the header, then ``(row, cells)`` where ``row`` is the
number a spreadsheet shows (the header is row 1) and every cell is text written the way
pandas writes the sheet to CSV (``2021`` for whole numbers, ``2021-03-04`` for dates, ``''``
for an empty cell), so one set of parsers reads either file.
"""

from __future__ import annotations

import csv
import datetime as dt
import errno
import io
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

from cca.core.errors import DatasetError, Problem, QueryError


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


def open_table(path: Path, label: str, sheet: str | None = None) -> Table:
    """The header and rows of ``path``: .xlsx/.xlsm (``sheet``) or CSV (UTF-8, with or without BOM)."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"):
        return _workbook(path, label, sheet)
    if sheet is not None:
        raise QueryError(f"--sheet is for workbooks; {label} is read as CSV")
    return _csv(path, label)


def _csv(path: Path, label: str) -> Table:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise QueryError(f"cannot read {label}: {error.strerror or error}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise _problem(label, line, 1, "not UTF-8 text: save the sheet as CSV UTF-8") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise _problem(label, 1, 1, "the file is empty: expected a header row") from None
    except csv.Error as error:
        raise _problem(label, 1, 1, f"not CSV: {error}") from None

    def rows() -> Iterator[tuple[int, list[str]]]:
        start = reader.line_num + 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                raise _problem(label, start, 1, f"not CSV: {error}") from None
            if cells:
                yield start, cells
            start = reader.line_num + 1

    return Table(header, rows(), None)


def _workbook(path: Path, label: str, sheet: str | None) -> Table:
    try:
        from python_calamine import CalamineWorkbook
    except ImportError:  # pragma: no cover - a dependency of cca
        raise QueryError("reading workbooks needs python-calamine: pip install python-calamine") from None
    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as error:  # noqa: BLE001 - calamine raises its own kinds for every bad file
        raise DatasetError(f"{label}: cannot read it as a workbook: {error}") from None
    names = list(book.sheet_names)
    chosen = sheet or DEFAULT_SHEET
    if chosen not in names:
        raise DatasetError(f"{label}: no sheet {chosen!r}; its sheets: {', '.join(names)} (choose one with --sheet)")
    values = iter(book.get_sheet_by_name(chosen).iter_rows())
    try:
        header = [cell_text(cell) for cell in next(values)]
    except StopIteration:
        raise _problem(label, 1, 1, f"sheet {chosen!r} is empty: expected a header row") from None
    while header and header[-1] == "":
        header.pop()

    def rows() -> Iterator[tuple[int, list[str]]]:
        for number, cells in enumerate(values, 2):
            texts = [cell_text(cell) for cell in cells]
            if any(texts):
                yield number, texts

    return Table(header, rows(), chosen)


#: AidData's data sheet; a workbook import reads it unless --sheet says otherwise.
DEFAULT_SHEET = "GCDF_3.0"


def cell_text(cell: Any) -> str:
    """A workbook cell as pandas writes it to CSV: whole floats without '.0' only when they are whole."""
    if cell is None or cell == "":
        return ""
    if isinstance(cell, bool):
        return "Yes" if cell else "No"
    if isinstance(cell, float):
        return repr(cell)
    if isinstance(cell, int):
        return str(cell)
    if isinstance(cell, dt.datetime):
        return cell.date().isoformat() if cell.time() == dt.time() else cell.isoformat(sep=" ")
    if isinstance(cell, dt.date):
        return cell.isoformat()
    if isinstance(cell, dt.timedelta):
        return str(cell)
    return str(cell)


def _problem(label: str, line: int, column: int, message: str) -> DatasetError:
    return DatasetError(str(Problem(label, line, column, message)))
