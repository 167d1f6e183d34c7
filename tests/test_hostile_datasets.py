"""Adversarial, black-box tests of `cca import aiddata` with hostile datasets (issue 20).

Each case runs ``python -m cca ... import aiddata FILE`` as a real process, in the way of
``tests/test_hostile.py`` (whose helpers it uses): a clean environment, a 1 GiB address-space limit,
a timeout that only guards against a hang. Workbooks are built here with :mod:`zipfile`, their XML
parts written by hand; CSVs are written from the test fixture's rows (invented data in GCDF 3.0's
exact layout). Nothing here imports cca.

Sections: 1 exact values, 2 rows and cells as given, 3 bounded reading.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest

from tests.test_hostile import Result, make_env, one_line_error, run

FIXTURE = Path(__file__).parent / "fixtures" / "aiddata" / "gcdf3_sample.csv"
#: Imports load the bundled knowledge and write a file: a hang guard, generous for a loaded machine.
SLOW = 300.0


def _fixture() -> list[list[str]]:
    with FIXTURE.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


ROWS = _fixture()
HEADER = ROWS[0]
#: A row of the fixture whose recipient (Laos) a default import takes.
LAOS = ROWS[1]


def column(name: str) -> int:
    """A column's 0-based index in the header."""
    return HEADER.index(name)


def row_with(changes: dict[str, str]) -> list[str]:
    """The Laos row with some cells changed (by column name)."""
    cells = list(LAOS)
    for name, value in changes.items():
        cells[column(name)] = value
    return cells


def write_csv(path: Path, rows: Sequence[Sequence[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    return path


# -- workbooks written by hand ----------------------------------------------------------------------------

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/></Types>'
)
_PACKAGE_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
    '2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
    '<sheet name="GCDF_3.0" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://'
    'schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
)
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHEET = "xl/worksheets/sheet1.xml"
STRINGS = "xl/sharedStrings.xml"


def letters(number: int) -> str:
    name = ""
    while number:
        number, rest = divmod(number - 1, 26)
        name = chr(65 + rest) + name
    return name


def cell_xml(ref: str, value: str | tuple[str, str]) -> str:
    """A cell: text as an inline string, or (type, raw value) such as ('n', '2021') or ('e', '#N/A')."""
    if isinstance(value, tuple):
        kind, raw = value
        return f'<c r="{ref}"{"" if kind == "n" else f" t={chr(34)}{kind}{chr(34)}"}><v>{escape(raw)}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(value)}</t></is></c>'


def row_xml(number: int, values: Sequence[str | tuple[str, str]]) -> str:
    cells = "".join(cell_xml(f"{letters(at)}{number}", v) for at, v in enumerate(values, 1) if v != "")
    return f'<row r="{number}">{cells}</row>'


def sheet_xml(body: str, dimension: str = "") -> str:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{_MAIN_NS}">{dim}<sheetData>'
        f"{row_xml(1, HEADER)}{body}</sheetData></worksheet>"
    )


def strings_xml(strings: Sequence[str] = ()) -> str:
    items = "".join(f'<si><t xml:space="preserve">{escape(s)}</t></si>' for s in strings)
    return f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{_MAIN_NS}">{items}</sst>'


Parts = Callable[[zipfile.ZipFile], None]


def workbook(path: Path, body: str = "", *, dimension: str = "", parts: Parts | None = None) -> Path:
    """An .xlsx with the GCDF_3.0 sheet: the header row, then ``body`` (row XML); ``parts`` writes the
    sheet and shared-strings parts itself when given."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("[Content_Types].xml", _CONTENT_TYPES)
        book.writestr("_rels/.rels", _PACKAGE_RELS)
        book.writestr("xl/workbook.xml", _WORKBOOK)
        book.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        if parts is None:
            book.writestr(STRINGS, strings_xml())
            book.writestr(SHEET, sheet_xml(body, dimension))
        else:
            parts(book)
    return path


def streamed(book: zipfile.ZipFile, name: str, head: str, filler: bytes, megabytes: int, tail: str) -> None:
    """A part written a megabyte at a time (a zip bomb needs no gigabyte in the test's memory)."""
    with book.open(name, "w", force_zip64=True) as part:
        part.write(head.encode())
        block = filler * ((1 << 20) // len(filler))
        for _ in range(megabytes):
            part.write(block)
        part.write(tail.encode())


# -- running an import ------------------------------------------------------------------------------------


def import_file(tmp_path: Path, path: Path, *extra: str) -> Result:
    args = ["--data-dir", str(tmp_path / "data"), "import", "aiddata", str(path), *extra]
    return run(args, env=make_env(tmp_path), cwd=tmp_path, timeout=SLOW)


def imported(tmp_path: Path) -> list[dict[str, Any]]:
    args = ["--data-dir", str(tmp_path / "data"), "projects", "--source", "aiddata-gcdf-3", "--json"]
    r = run(args, env=make_env(tmp_path), cwd=tmp_path, timeout=SLOW)
    assert r.code == 0, str(r)
    return list(json.loads(r.stdout))


def bad_cells(r: Result, path: Path, *where: tuple[int, int]) -> list[str]:
    """Status 1; the problems (``FILE:ROW:COLUMN: ...``) at exactly ``where``, then the summary line."""
    assert r.code == 1, f"expected exit status 1:\n{r}"
    lines = r.stderr.splitlines()
    assert lines and lines[-1].startswith("cca: ") and "nothing was imported" in lines[-1], str(r)
    places = []
    for line in lines[:-1]:
        match = re.match(re.escape(str(path)) + r":(\d+):(\d+): ", line)
        assert match, f"not a FILE:ROW:COLUMN line: {line!r}\n{r}"
        places.append((int(match.group(1)), int(match.group(2))))
    assert sorted(places) == sorted(where), f"problems at {places}, expected {list(where)}:\n{r}"
    assert not (path.parent / "data" / "aiddata.yaml").exists()
    return lines[:-1]


def refused(r: Result, path: Path, words: str) -> str:
    """Status 1, one line naming the file and saying ``words``: a damaged or oversized workbook."""
    line = one_line_error(r, [1])
    assert str(path) in line and words in line, f"expected {words!r}:\n{r}"
    return line


# =====================================================================================================
# 1. Exact values
# =====================================================================================================


def test_a_long_record_id_is_read_exactly_from_csv_and_workbook(tmp_path: Path) -> None:
    """Record ID 12345678901234567 stays itself (it was read through a float: ...568), from a CSV and
    from a workbook's number cell; pandas' '990002.0' still reads as 990002."""
    rows = [HEADER, row_with({"AidData Record ID": "12345678901234567"}), row_with({"AidData Record ID": "990002.0"})]
    for path in (
        write_csv(tmp_path / "ids.csv", rows),
        workbook(tmp_path / "ids.xlsx", row_xml(2, [("n", "12345678901234567"), *LAOS[1:]])),
    ):
        r = import_file(tmp_path, path)
        assert r.code == 0, str(r)
        ids = sorted(p["id"] for p in imported(tmp_path))
        expected = ["aiddata-12345678901234567"] + (["aiddata-990002"] if path.suffix == ".csv" else [])
        assert ids == expected, f"{path.name}: {ids}"


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("AidData Record ID", "-5", "must be positive"),
        ("Commitment Year", str(10**23), "not a plausible year"),
        ("Implementation Start Year", "20210", "not a plausible year"),
        ("AidData Record ID", "1.2345678901234568e+16", "not an exact whole number"),
    ],
    ids=["negative-id", "year-10e23", "year-20210", "id-in-floating-point"],
)
def test_an_implausible_whole_number_is_refused_at_its_cell(tmp_path: Path, name: str, value: str, words: str) -> None:
    """A non-positive id, a year of 10**23, an id in floating point: a problem at the dataset's
    FILE:ROW:COLUMN (they used to surface at a line of the written knowledge file, or as a wrong id)."""
    path = write_csv(tmp_path / "whole.csv", [HEADER, row_with({name: value})])
    (problem,) = bad_cells(import_file(tmp_path, path), path, (2, column(name) + 1))
    assert words in problem, problem


@pytest.mark.parametrize("value", ["12,34", "12,345", "1.234,56", "1,23,456"])
def test_a_number_with_an_ambiguous_comma_is_refused(tmp_path: Path, value: str) -> None:
    """'12,34' was read as 1234: a decimal comma, or a lone comma that may be one, is refused at its cell."""
    path = write_csv(tmp_path / "comma.csv", [HEADER, row_with({"Amount (Constant USD 2021)": value})])
    r = import_file(tmp_path, path)
    bad_cells(r, path, (2, column("Amount (Constant USD 2021)") + 1))


def test_thousands_separators_are_read_where_unambiguous(tmp_path: Path) -> None:
    """'1,234,567.89' and '1,234,567' can only be thousands separators: read, exactly; and '12,34' beside
    them is still refused (so this case fails where commas were dropped)."""
    rows = [HEADER, row_with({"Amount (Constant USD 2021)": "1,234,567.89", "Amount (Nominal USD)": "1,234,567"})]
    r = import_file(tmp_path, write_csv(tmp_path / "grouped.csv", rows))
    assert r.code == 0, str(r)
    money = imported(tmp_path)[0]["financing"][0]
    assert (money["usd_2021"], money["usd_nominal"]) == (1234567.89, 1234567)
    again = tmp_path / "again"
    again.mkdir()
    path = write_csv(
        again / "mixed.csv", [*rows, row_with({"AidData Record ID": "990077", "Amount (Nominal USD)": "12,34"})]
    )
    bad_cells(import_file(again, path), path, (3, column("Amount (Nominal USD)") + 1))


# =====================================================================================================
# 2. Rows and cells as given
# =====================================================================================================


def test_a_row_with_more_cells_than_the_header(tmp_path: Path) -> None:
    """Two non-empty cells past the 126 columns: a problem at the first of them (they were dropped)."""
    path = write_csv(tmp_path / "wide.csv", [HEADER, [*LAOS, "", "surplus", "more"]])
    (problem,) = bad_cells(import_file(tmp_path, path), path, (2, 128))
    assert "2 non-empty cells past the header's 126 columns" in problem


def test_a_truncated_last_row(tmp_path: Path) -> None:
    """A download cut off after 40 of a row's 126 cells: a problem at the row (its amounts were empty)."""
    cut = row_with({"AidData Record ID": "990099"})[:40]
    path = write_csv(tmp_path / "cut.csv", [HEADER, LAOS, cut])
    (problem,) = bad_cells(import_file(tmp_path, path), path, (3, 41))
    assert "ends after 40 of the header's 126 cells" in problem


ERRORS = ["#DIV/0!", "#N/A", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!"]


@pytest.mark.parametrize("error", ERRORS)
def test_spreadsheet_errors_in_a_csv_are_refused(tmp_path: Path, error: str) -> None:
    """An error value as text in a CSV, in a text column and a number column: a problem at each cell
    (in a text column it used to be imported as the text)."""
    path = write_csv(
        tmp_path / "errors.csv", [HEADER, row_with({"Staff Comments": error, "Amount (Nominal USD)": error})]
    )
    r = import_file(tmp_path, path)
    problems = bad_cells(r, path, *sorted([(2, column("Staff Comments") + 1), (2, column("Amount (Nominal USD)") + 1)]))
    assert all(f"{error} is a spreadsheet error" in p for p in problems), problems


def test_spreadsheet_error_cells_in_a_workbook_are_refused(tmp_path: Path) -> None:
    """A workbook's error cells (t="e": python-calamine read them as empty cells) in seven columns:
    a problem at each, never an empty value."""
    targets = ["Amount (Constant USD 2021)", "Amount (Nominal USD)", "Interest Rate", "Maturity", "Grace Period",
               "Commitment Fee", "Management Fee"]  # fmt: skip
    values: list[str | tuple[str, str]] = list(LAOS)
    for name, error in zip(targets, ERRORS, strict=True):
        values[column(name)] = ("e", error)
    path = workbook(tmp_path / "errors.xlsx", row_xml(2, values))
    problems = bad_cells(import_file(tmp_path, path), path, *sorted((2, column(n) + 1) for n in targets))
    assert all("is a spreadsheet error" in p for p in problems), problems


def test_excel_escapes_decode_alike_in_csv_and_workbook(tmp_path: Path) -> None:
    """'_x0008_' in a title is a backspace from either file (it stayed literal from a CSV); '_x005F_x0008_'
    is the literal text; the backspace stays in the data and shows as an escape."""
    title = "Rail _x0008_ line _x005F_x0008_ end"
    names = []
    for path in (
        write_csv(tmp_path / "escape.csv", [HEADER, row_with({"Title": title})]),
        workbook(tmp_path / "escape.xlsx", row_xml(2, row_with({"Title": title}))),
    ):
        r = import_file(tmp_path, path)
        assert r.code == 0, str(r)
        names.append(imported(tmp_path)[0]["name"])
    assert names == ["Rail \x08 line _x0008_ end"] * 2, names
    shown = run(["--data-dir", str(tmp_path / "data"), "show", "aiddata-990001"], env=make_env(tmp_path), cwd=tmp_path)
    assert "Rail \\x08 line" in shown.stdout and "\x08" not in shown.stdout, str(shown)


def test_source_lists_are_kept_as_given(tmp_path: Path) -> None:
    """Eight source URLs with one twice give eight locators in order (seven before: the n-th no longer
    paired with the n-th title); a URL cca repairs ('https:// http://...') says so in a note, with the
    cell kept as given; lists in dataset.fields keep their text ('a|b', not 'a | b')."""
    urls = [f"https://example.org/{n}" for n in range(1, 8)]
    urls.insert(3, urls[1])
    urls[-1] = "https:// http://example.org/7"
    titles = "|".join(f"Title {n}" for n in range(1, 9))
    path = write_csv(
        tmp_path / "urls.csv", [HEADER, row_with({"Source URLs": "|".join(urls), "Source Titles": titles})]
    )
    r = import_file(tmp_path, path)
    assert r.code == 0, str(r)
    (record,) = imported(tmp_path)
    evidence = record["evidence"]
    assert [e.get("url") for e in evidence] == [*urls[:-1], "http://example.org/7"]
    assert "note" not in evidence[0] and "https:// http://example.org/7" in evidence[-1]["note"]
    fields = record["dataset"]["fields"]
    assert fields["Source Titles"] == titles and fields["Source URLs"] == "|".join(urls)


# =====================================================================================================
# 3. Bounded reading
# =====================================================================================================


def test_one_cell_at_row_1048576(tmp_path: Path) -> None:
    """A 4 KB workbook: the header, and one cell (a title) at row 1,048,576. Read as a stream: a problem
    at that row (no record id), status 1, under 1 GiB (it took 4 GB, or aborted in Rust)."""
    path = workbook(tmp_path / "far.xlsx", '<row r="1048576">' + cell_xml("L1048576", "A lone title") + "</row>")
    assert path.stat().st_size < 8192
    (problem,) = bad_cells(import_file(tmp_path, path, "--all"), path, (1048576, 1))
    assert "every row needs its record id" in problem


def test_one_cell_at_xfd1048576(tmp_path: Path) -> None:
    """A cell at XFD1048576 (column 16,384): refused at its place, past the 1,000 columns read."""
    path = workbook(tmp_path / "xfd.xlsx", '<row r="1048576">' + cell_xml("XFD1048576", "x") + "</row>")
    line = one_line_error(import_file(tmp_path, path), [1])
    assert line.startswith(f"cca: {path}:1048576:16384: ") and "1,000 columns" in line, line


def test_a_dimension_of_a1_xfd1048576(tmp_path: Path) -> None:
    """A sheet declaring <dimension ref="A1:XFD1048576"/> (549 GB of cells to a reader that trusts it)."""
    path = workbook(tmp_path / "dimension.xlsx", dimension="A1:XFD1048576")
    refused(import_file(tmp_path, path), path, "spans A1:XFD1048576")


def test_a_zip_bomb(tmp_path: Path) -> None:
    """A 1.2 MB workbook whose sheet inflates to 1.2 GB of whitespace: refused from the zip's directory."""

    def parts(book: zipfile.ZipFile) -> None:
        book.writestr(STRINGS, strings_xml())
        head, _, tail = sheet_xml("").partition("<sheetData>")
        streamed(book, SHEET, head, b" ", 1200, "<sheetData>" + tail)

    path = workbook(tmp_path / "bomb.xlsx", parts=parts)
    assert path.stat().st_size < 2 << 20
    refused(import_file(tmp_path, path), path, "inflates to")


@pytest.mark.parametrize("megabytes", [600, 3])
def test_a_huge_shared_string(tmp_path: Path, megabytes: int) -> None:
    """A 0.6 MB workbook with one 600 MB shared string (refused by its part's size), and one of 3 MB in a
    small part (refused by the length of a cell)."""

    def parts(book: zipfile.ZipFile) -> None:
        head = f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{_MAIN_NS}"><si><t>'
        streamed(book, STRINGS, head, b"a", megabytes, "</t></si></sst>")
        book.writestr(SHEET, sheet_xml(row_xml(2, [("s", "0")])))

    path = workbook(tmp_path / "string.xlsx", parts=parts)
    refused(import_file(tmp_path, path), path, "inflates to" if megabytes > 100 else "longer than 1,000,000")


def _corrupt(path: Path, part: str) -> Path:
    """Flip bytes in the middle of a part's compressed data."""
    with zipfile.ZipFile(path) as book:
        info = book.getinfo(part)
    data = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + info.compress_size // 3
    for at in range(start, start + 32):
        data[at] ^= 0x5A
    path.write_bytes(bytes(data))
    return path


DAMAGED: dict[str, Callable[[Path], Path]] = {
    "malformed-xml": lambda p: workbook(p, row_xml(2, LAOS)[:-20]),
    "missing-sheet-part": lambda p: workbook(p, parts=lambda book: book.writestr(STRINGS, strings_xml())),
    "corrupt-deflate": lambda p: _corrupt(workbook(p, row_xml(2, LAOS) + row_xml(3, LAOS)), SHEET),
    "row-numbered-0": lambda p: workbook(p, '<row r="0"><c r="A0"><v>1</v></c></row>'),
    "doctype": lambda p: workbook(
        p,
        parts=lambda book: (
            book.writestr(STRINGS, strings_xml()),
            book.writestr(SHEET, '<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaa">]>' + sheet_xml("")[38:]),
        ),
    ),
}


@pytest.mark.parametrize("damage", list(DAMAGED))
def test_a_damaged_workbook_is_one_line(tmp_path: Path, damage: str) -> None:
    """Malformed XML, a missing sheet part, a corrupt deflate stream, a row numbered 0, a DTD: one line
    and status 1 (reading the rows was not guarded: status 70)."""
    path = DAMAGED[damage](tmp_path / "damaged.xlsx")
    line = one_line_error(import_file(tmp_path, path), [1])
    assert str(path) in line, line


def test_a_big_csv_is_streamed(tmp_path: Path) -> None:
    """A 160 MB CSV of rows a default import does not take (Pakistan's): read as a stream under 1 GiB
    (it was read whole and decoded whole: a MemoryError, status 70); none selected, so nothing changes (status 1)."""
    pakistan = next(r for r in ROWS[1:] if r[column("Recipient ISO-3")] == "PAK")
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerow(pakistan)
        line = buffer.getvalue()
        count = (160 << 20) // len(line) + 1
        for _ in range(count):
            handle.write(line)
    r = import_file(tmp_path, path)
    assert r.code == 1, str(r)
    assert f"none of its {count:,} rows are rows whose recipient is in ASEAN or Timor-Leste" in r.stderr, str(r)
    assert "nothing was imported and nothing changed (--all imports every recipient)" in r.stderr, str(r)
