"""One worksheet of an .xlsx workbook as rows of text cells: exact, streamed, and bounded before anything is read.

cca reads the workbook's XML itself (the zip with :mod:`zipfile`, the XML with expat) rather than
through a spreadsheet library, for three reasons found on AidData's workbook:

* **Exact values.** A number cell's text is what the file says: ``<v>12345678901234567</v>`` stays
  ``12345678901234567`` (python-calamine handed over the float ``1.2345678901234568e+16``). Dates
  (number cells in a date format) become ``YYYY-MM-DD``; strings have Excel's ``_xHHHH_`` escapes
  decoded the same way as a CSV's (:func:`cca.io.importers.cells.decode_escapes`).
* **Error cells are errors.** ``#DIV/0!``, ``#N/A`` and the rest come out as
  :class:`~cca.io.importers.cells.CellError` (python-calamine gave an empty cell for them).
* **Bounds first.** The zip's directory, each part's declared size (:mod:`zipfile` never inflates a
  part past it: a lying entry fails its CRC check), the sheet's ``<dimension>`` and every cell's
  place are checked against the limits below before anything is allocated for them; the sheet is
  parsed as a stream, one row at a time, so a lone cell at row 1,048,576 costs nothing. Whatever is
  wrong with the file (not a zip, a corrupt deflate stream, malformed XML, a missing part, a row
  numbered 0) is a :class:`~cca.core.errors.DatasetError`: one line, exit status 1.
"""

from __future__ import annotations

import datetime as dt
import re
import struct
import zipfile
import zlib
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, NamedTuple
from xml.parsers import expat

from cca.core.errors import DatasetError, Problem
from cca.io.importers.cells import CellError, decode_escapes

#: Rows a sheet may number: more than Excel's 1,048,576, so every real sheet fits.
MAX_ROWS = 2_000_000
#: Columns a sheet may use: GCDF_3.0 has 126; a cell beyond column ALL (1,000) is refused, whatever the
#: sheet's ``<dimension>`` says (Excel's sheets run to XFD, 16,384 columns).
MAX_COLUMNS = 1_000
#: Entries in the zip's directory (a workbook has a few dozen; each costs memory once listed).
MAX_ZIP_ENTRIES = 10_000
#: Any one part, decompressed, as the zip declares it (AidData's data sheet is about 100 MB).
MAX_PART_BYTES = 512 * 1024 * 1024
#: All parts together, decompressed: a zip bomb (1.2 MB inflating to 1.2 GB) is refused by its directory.
MAX_TOTAL_BYTES = 768 * 1024 * 1024
#: The shared-strings part, which is held in memory while the sheet is read.
MAX_SHARED_STRINGS_BYTES = 192 * 1024 * 1024
#: The small parts (workbook, relationships, styles), read whole.
MAX_SMALL_PART_BYTES = 16 * 1024 * 1024
#: Characters in one cell or shared string (Excel's own limit is 32,767).
MAX_CELL_CHARS = 1_000_000

_MAIN = "xl/workbook.xml"
_CHUNK = 1 << 18
_DIMENSION = re.compile(r"([A-Z]{1,3})?([0-9]{1,7})?(?::([A-Z]{1,3})?([0-9]{1,7})?)?\Z")
#: Built-in number formats that are dates or times (ECMA-376, 18.8.30).
_DATE_FORMATS = frozenset({*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)})
_NOT_DATE_PARTS = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]|_.|\*.')


class Workbook(NamedTuple):
    """What :func:`open_sheet` found: the sheet names, and the chosen sheet's rows."""

    sheets: list[str]
    rows: Iterator[tuple[int, list[str]]]
    #: Closes the file whether or not the rows were read (a caller that stops early calls it).
    close: Callable[[], None]


def open_sheet(path: Path, label: str, sheet: str, on_missing: Callable[[list[str]], Exception]) -> Workbook:
    """The rows of ``sheet`` in the workbook at ``path``: (row number, cells), empty trailing cells left out.

    The zip and the workbook's small parts are checked and read here; the sheet is read as the
    rows are taken. ``on_missing(names)`` makes the error for a sheet the workbook lacks.
    """
    book = _Book(path, label)
    try:
        names = book.sheet_names()
        if sheet not in names:
            raise on_missing(names)
        part = book.sheet_part(sheet)
        strings = book.shared_strings()
        dates, date1904 = book.date_styles()
    except BaseException:
        book.close()
        raise
    return Workbook(names, book.rows(part, strings, dates, date1904), book.close)


def sheet_names(path: Path, label: str) -> list[str]:
    """The names of a workbook's sheets, in order (the zip and its small parts checked as for reading)."""
    book = _Book(path, label)
    try:
        return book.sheet_names()
    finally:
        book.close()


class _Book:
    def __init__(self, path: Path, label: str) -> None:
        self.label = label
        _check_directory(path, label)
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as error:
            raise self.damaged(f"not a workbook (an .xlsx file is a zip archive): {error}") from None
        try:
            self._check_sizes()
            root = self._relations("", "_rels/.rels")
            self.main = next((t for kind, t in root.values() if kind.endswith("/officeDocument")), _MAIN)
            folder = self.main.rpartition("/")[0]
            self.relations = self._relations(folder, _rels_of(self.main))
        except BaseException:
            self.zip.close()
            raise

    def close(self) -> None:
        self.zip.close()

    def damaged(self, reason: str) -> DatasetError:
        return DatasetError(f"{self.label}: cannot read it as a workbook: {reason}")

    def _check_sizes(self) -> None:
        total = 0
        for info in self.zip.infolist():
            if info.file_size > MAX_PART_BYTES:
                raise self.damaged(
                    f"its part {info.filename!r} inflates to {info.file_size:,} bytes, over the "
                    f"{MAX_PART_BYTES:,}-byte limit on one part"
                )
            total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise self.damaged(
                f"its parts inflate to {total:,} bytes, over the {MAX_TOTAL_BYTES:,}-byte limit on a workbook"
            )

    # -- the small parts ------------------------------------------------------------------------------

    def _small(self, name: str, *, required: bool = True) -> bytes | None:
        try:
            info = self.zip.getinfo(name)
        except KeyError:
            if required:
                raise self.damaged(f"it has no part {name!r}") from None
            return None
        if info.file_size > MAX_SMALL_PART_BYTES:
            raise self.damaged(f"its part {name!r} is {info.file_size:,} bytes, over {MAX_SMALL_PART_BYTES:,}")
        try:
            return self.zip.read(info)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError) as error:
            raise self.damaged(f"its part {name!r} is damaged: {error}") from None

    def _elements(self, name: str, *, required: bool = True) -> list[tuple[str, dict[str, str]]]:
        """Every element of a small part: (local name, attributes), in document order."""
        data = self._small(name, required=required)
        if data is None:
            return []
        found: list[tuple[str, dict[str, str]]] = []
        parser = _parser(self, name)
        parser.StartElementHandler = lambda tag, attrs: found.append((_local(tag), attrs))
        try:
            parser.Parse(data, True)
        except expat.ExpatError as error:
            raise self.damaged(f"its part {name!r} is not well-formed XML ({_expat_reason(error)})") from None
        return found

    def _relations(self, folder: str, rels: str) -> dict[str, tuple[str, str]]:
        """A part's relationships (read from ``rels``): id -> (type, target part name, from ``folder``)."""
        out = {}
        for tag, attrs in self._elements(rels, required=False):
            if tag == "Relationship" and "Id" in attrs and "Target" in attrs:
                target = attrs["Target"]
                resolved = target.lstrip("/") if target.startswith("/") else _join(folder, target)
                out[attrs["Id"]] = (attrs.get("Type", ""), resolved)
        return out

    def _sheets(self) -> list[tuple[str, str]]:
        out = []
        self._date1904 = False
        for tag, attrs in self._elements(self.main):
            if tag == "sheet" and "name" in attrs:
                relation = next((value for key, value in attrs.items() if key.endswith(":id")), "")
                out.append((attrs["name"], relation))
            elif tag == "workbookPr":
                self._date1904 = attrs.get("date1904", "").lower() in ("1", "true")
        return out

    def sheet_names(self) -> list[str]:
        self._sheet_list = self._sheets()
        return [name for name, _ in self._sheet_list]

    def sheet_part(self, sheet: str) -> str:
        relation = dict(self._sheet_list)[sheet]
        found = self.relations.get(relation)
        if found is None:
            raise self.damaged(f"sheet {sheet!r} names no part (relationship {relation!r})")
        try:
            self.zip.getinfo(found[1])
        except KeyError:
            raise self.damaged(f"sheet {sheet!r} is missing: no part {found[1]!r}") from None
        return found[1]

    def _related(self, kind: str) -> str | None:
        for rel_type, target in self.relations.values():
            if rel_type.endswith("/" + kind):
                return target
        return None

    def shared_strings(self) -> list[str]:
        name = self._related("sharedStrings")
        if name is None:
            return []
        try:
            info = self.zip.getinfo(name)
        except KeyError:
            raise self.damaged(f"it has no part {name!r} (its shared strings)") from None
        if info.file_size > MAX_SHARED_STRINGS_BYTES:
            raise self.damaged(
                f"its shared strings inflate to {info.file_size:,} bytes, over the "
                f"{MAX_SHARED_STRINGS_BYTES:,}-byte limit"
            )
        reader = _SharedStrings(self, name)
        with self._open(name) as stream:
            for _ in _feed(self, name, reader.parser, stream, list):
                pass
        return reader.strings

    def date_styles(self) -> tuple[frozenset[int], bool]:
        """The cell styles (indexes into cellXfs) whose number format is a date or time."""
        name = self._related("styles")
        formats: dict[int, str] = {}
        styles: list[int] = []
        in_cell_xfs = False
        for tag, attrs in self._elements(name, required=False) if name else []:
            if tag == "numFmt" and attrs.get("numFmtId", "").isdigit():
                formats[int(attrs["numFmtId"])] = attrs.get("formatCode", "")
            elif tag == "cellXfs":
                in_cell_xfs = True
            elif tag in ("cellStyles", "dxfs", "cellStyleXfs"):
                in_cell_xfs = False
            elif tag == "xf" and in_cell_xfs:
                number = attrs.get("numFmtId", "0")
                styles.append(int(number) if number.isdigit() else 0)

        def is_date(number: int) -> bool:
            return _is_date_format(formats[number]) if number in formats else number in _DATE_FORMATS

        dates = frozenset(index for index, number in enumerate(styles) if is_date(number))
        return dates, getattr(self, "_date1904", False)

    def _open(self, name: str) -> IO[bytes]:
        try:
            return self.zip.open(name)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError) as error:
            raise self.damaged(f"its part {name!r} is damaged: {error}") from None

    # -- the sheet -------------------------------------------------------------------------------------

    def rows(
        self, part: str, strings: list[str], dates: frozenset[int], date1904: bool
    ) -> Iterator[tuple[int, list[str]]]:
        try:
            reader = _SheetReader(self, part, strings, dates, date1904)
            with self._open(part) as stream:
                yield from _feed(self, part, reader.parser, stream, reader.take)
        finally:
            self.zip.close()


def _feed(book: _Book, name: str, parser: Any, stream: IO[bytes], take: Callable[[], Any]) -> Iterator[Any]:
    """Parse ``stream`` chunk by chunk, yielding what ``take()`` has ready after each (rows, for a sheet)."""
    try:
        while True:
            chunk = stream.read(_CHUNK)
            parser.Parse(chunk, not chunk)
            ready = take()
            if ready:
                yield from ready
            if not chunk:
                return
    except expat.ExpatError as error:
        raise book.damaged(f"its part {name!r} is not well-formed XML ({_expat_reason(error)})") from None
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError) as error:
        raise book.damaged(f"its part {name!r} is damaged: {error}") from None


class _SharedStrings:
    """The shared-strings part: each ``<si>``'s text (its runs joined, phonetic runs left out)."""

    def __init__(self, book: _Book, name: str) -> None:
        self.book, self.name = book, name
        self.strings: list[str] = []
        self.parts: list[str] = []
        self.size = 0
        self.in_text = False
        self.phonetic = 0
        self.parser = _parser(book, name)
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.parser.CharacterDataHandler = self.text

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        local = _local(tag)
        if local == "t" and not self.phonetic:
            self.in_text = True
        elif local == "rPh":
            self.phonetic += 1
        elif local == "si":
            self.parts, self.size = [], 0

    def end(self, tag: str) -> None:
        local = _local(tag)
        if local == "t":
            self.in_text = False
        elif local == "rPh":
            self.phonetic -= 1
        elif local == "si":
            self.strings.append(decode_escapes("".join(self.parts)))

    def text(self, data: str) -> None:
        if self.in_text:
            self.size += len(data)
            if self.size > MAX_CELL_CHARS:
                raise self.book.damaged(
                    f"shared string {len(self.strings):,} is longer than {MAX_CELL_CHARS:,} characters"
                )
            self.parts.append(data)


class _SheetReader:
    """Expat handlers for a worksheet: each finished row is queued for :meth:`take`.

    The handlers run once or twice per cell of a sheet of millions: they are closures over plain
    local state, with element names and column letters looked up once, on purpose.
    """

    def __init__(self, book: _Book, part: str, strings: list[str], dates: frozenset[int], date1904: bool) -> None:
        self.ready: deque[tuple[int, list[str]]] = deque()
        self.parser = _parser(book, part)
        _sheet_handlers(self.parser, self.ready, book.label, strings, dates, date1904)

    def take(self) -> list[tuple[int, list[str]]]:
        ready = list(self.ready)
        self.ready.clear()
        return ready


def _sheet_handlers(
    parser: Any,
    ready: deque[tuple[int, list[str]]],
    label: str,
    strings: list[str],
    dates: frozenset[int],
    date1904: bool,
) -> None:
    epoch = dt.datetime(1904, 1, 1) if date1904 else dt.datetime(1899, 12, 30)
    names: dict[str, str] = {}
    columns: dict[str, int] = {}
    booleans = {"1": "Yes", "0": "No", "true": "Yes", "false": "No"}
    row = 0
    row_text = ""
    cells: list[str] = []
    column = 0
    kind = "n"
    style = 0
    parts: list[str] = []
    size = 0
    collect = False
    inline = False
    phonetic = 0
    count = len(strings)

    def problem(at: int, message: str) -> DatasetError:
        return DatasetError(str(Problem(label, row, at, message)))

    def local(tag: str) -> str:
        found = names[tag] = tag.rpartition(":")[2]
        return found

    def cell_column(ref: str) -> int:
        letters = ref.rstrip("0123456789")
        found = columns.get(letters)
        if found is None:
            if not (1 <= len(letters) <= 3 and letters.isascii() and letters.isupper() and letters.isalpha()):
                raise problem(column + 1, f"a cell named {ref!r}: not a cell reference")
            found = columns[letters] = _column_number(letters)
        if ref[len(letters) :] != row_text:
            digits = ref[len(letters) :]
            if not (digits.isdigit() and len(digits) < 9 and int(digits) == row):
                raise problem(found, f"cell {ref} is not in row {row}")
        return found

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal row, row_text, cells, column, kind, style, parts, size, collect, inline, phonetic
        name = names.get(tag) or local(tag)
        if name == "c":
            ref = attrs.get("r")
            at = cell_column(ref) if ref is not None else column + 1
            if at <= column:
                raise problem(at, f"cell {ref or at} comes after column {column}: cells must be in order")
            if at > MAX_COLUMNS:
                raise problem(at, f"a cell in column {_column_name(at)}: beyond the {MAX_COLUMNS:,} columns read here")
            column = at
            kind = attrs.get("t", "n")
            given = attrs.get("s")
            style = int(given) if given is not None and given.isdigit() and len(given) < 9 else 0
            parts, size, inline = [], 0, False
        elif name == "v":
            collect, parts, size = True, [], 0
        elif name == "t":
            collect = inline and not phonetic
        elif name == "is":
            inline, parts, size = True, [], 0
        elif name == "rPh":
            phonetic += 1
        elif name == "row":
            given = attrs.get("r")
            number = row + 1
            if given is not None:
                number = int(given) if given.isdigit() and len(given) <= 9 else 0
                if number < 1:
                    raise DatasetError(f"{label}: a row numbered {given!r} after row {row}: rows are numbered from 1")
            if number <= row:
                raise DatasetError(f"{label}: row {number} after row {row}: rows must be in order")
            if number > MAX_ROWS:
                raise DatasetError(f"{label}: row {number:,} is beyond the {MAX_ROWS:,} rows a sheet may have here")
            row, row_text, cells, column = number, str(number), [], 0
        elif name == "dimension":
            _dimension(label, attrs.get("ref", ""))

    def end(tag: str) -> None:
        nonlocal cells, collect, inline, phonetic
        name = names.get(tag) or local(tag)
        if name == "c":
            raw = "".join(parts)
            value: str
            if kind == "s":
                if not raw.isdigit() or int(raw) >= count:
                    raise problem(column, f"a shared string numbered {raw!r}, which the workbook lacks")
                value = strings[int(raw)]
            elif kind == "inlineStr" or kind == "str":
                value = decode_escapes(raw)
            elif kind == "e":
                value = CellError(raw.strip() or "#ERROR")
            elif kind == "b":
                value = booleans.get(raw.strip().lower(), raw)
            elif kind == "d":
                value = raw.strip().removesuffix("Z").removesuffix("T00:00:00")
            else:
                value = raw.strip()
                if style in dates and value:
                    value = _date(value, epoch)
            missing = column - len(cells) - 1
            if missing:
                cells.extend([""] * missing)
            cells.append(value)
        elif name == "v" or name == "t":
            collect = False
        elif name == "is":
            inline = False
        elif name == "rPh":
            phonetic -= 1
        elif name == "row":
            while cells and cells[-1] == "":
                cells.pop()
            if cells:
                ready.append((row, cells))
            cells = []

    def text(data: str) -> None:
        nonlocal size
        if collect:
            size += len(data)
            if size > MAX_CELL_CHARS:
                raise problem(column, f"a cell longer than {MAX_CELL_CHARS:,} characters")
            parts.append(data)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text


def _dimension(label: str, ref: str) -> None:
    """The sheet's declared extent, refused when it is beyond the limits (the cells are checked too)."""
    match = _DIMENSION.match(ref.upper())
    if match is None:
        return  # a dimension is only a hint: the cells themselves are checked as they come
    columns = [_column_number(group) for group in (match.group(1), match.group(3)) if group]
    rows = [int(group) for group in (match.group(2), match.group(4)) if group]
    if (columns and max(columns) > MAX_COLUMNS) or (rows and max(rows) > MAX_ROWS):
        raise DatasetError(
            f"{label}: the sheet spans {ref}, beyond the {MAX_COLUMNS:,} columns and {MAX_ROWS:,} rows read here"
        )


def _date(number: str, epoch: dt.datetime) -> str:
    """A number in a date format as pandas writes a date: YYYY-MM-DD, with the time when it has one."""
    try:
        serial = float(number)
        if epoch.year == 1899 and serial < 61:
            epoch += dt.timedelta(days=1)  # Excel counts a 29 February 1900 that never was
        moment = epoch + dt.timedelta(seconds=round(serial * 86400))
    except (ValueError, OverflowError):
        return number  # not a date after all: the column's reader says what is wrong with it
    if moment.time() == dt.time():
        return moment.date().isoformat()
    return moment.isoformat(sep=" ")


# -- helpers ----------------------------------------------------------------------------------------------


def _parser(book: _Book, name: str) -> Any:
    """An expat parser that refuses DTDs (no entity can expand) and bounds nesting."""
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def no_dtd(*_: Any) -> None:
        raise book.damaged(f"its part {name!r} declares a DTD, which a workbook never does")

    parser.StartDoctypeDeclHandler = no_dtd
    parser.EntityDeclHandler = no_dtd
    return parser


def _rels_of(part: str) -> str:
    folder, _, base = part.rpartition("/")
    return f"{folder}/_rels/{base}.rels" if folder else f"_rels/{base}.rels"


def _local(tag: str) -> str:
    return tag.rpartition(":")[2]


def _join(folder: str, target: str) -> str:
    parts = [p for p in folder.split("/") if p]
    for piece in target.split("/"):
        if piece == "..":
            if parts:
                parts.pop()
        elif piece and piece != ".":
            parts.append(piece)
    return "/".join(parts)


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + (ord(letter) - 64)
    return number


def _column_name(number: int) -> str:
    name = ""
    while number:
        number, rest = divmod(number - 1, 26)
        name = chr(65 + rest) + name
    return name


def _is_date_format(code: str) -> bool:
    """Whether a number format shows a date or time: d, m, y, h or s outside quotes, escapes and [brackets]."""
    plain = _NOT_DATE_PARTS.sub("", code).lower()
    return plain != "general" and any(letter in plain for letter in "dmyhs")


def _expat_reason(error: expat.ExpatError) -> str:
    return f"{expat.ErrorString(error.code)} at line {error.lineno}, column {error.offset + 1}"


def _check_directory(path: Path, label: str) -> None:
    """Refuse a zip whose directory lists more entries than a workbook has, before zipfile lists them all."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - (1 << 16) - 22))
            tail = handle.read()
    except OSError as error:
        raise DatasetError(f"{label}: cannot read it: {error.strerror or error}") from None
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        raise DatasetError(f"{label}: cannot read it as a workbook: not a zip archive (an .xlsx file is one)")
    entries = struct.unpack_from("<H", tail, at + 10)[0]
    locator = tail.rfind(b"PK\x06\x07", 0, at)
    if locator >= 0 and len(tail) - locator >= 20:
        record = tail.rfind(b"PK\x06\x06", 0, locator)
        if record >= 0 and len(tail) - record >= 56:
            entries = max(entries, struct.unpack_from("<Q", tail, record + 32)[0])
    if entries > MAX_ZIP_ENTRIES:
        raise DatasetError(
            f"{label}: cannot read it as a workbook: its zip lists {entries:,} entries, over the "
            f"{MAX_ZIP_ENTRIES:,} a workbook may have"
        )
