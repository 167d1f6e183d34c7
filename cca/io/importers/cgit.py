"""The China Global Investment Tracker (CGIT) of the American Enterprise Institute and The Heritage Foundation.

The tracker is one workbook of four sheets, each with a few rows of title and copyright above
its header (five in recent editions: the header is on row 6; found wherever it starts):

* ``Dataset 1``: investments (``Investor``, and a ``Greenfield`` column);
* ``Dataset 2``: construction contracts (``Contractor``; no ``Greenfield``);
* ``Dataset 3``: troubled transactions (``Chinese Entity``; no ``Share Size``);
* ``Dataset 1+2``: Datasets 1 and 2 together (``Chinese Entity``, ``Share size``), read only on request.

Amounts are in NOMINAL US$ millions (``Quantity in Millions``). ``Month`` is a month's name,
``BRI`` 1, 0 or blank, ``Share Size`` a fraction (a percentage cell) or text listing several
(``45%, 35%, 20%``). Copies in circulation carry amounts as text (`` $1,740 ``) and padded
headers (`` Quantity in Millions ``): headers match whatever their case and spacing, amounts and
shares are parsed exactly (decimal arithmetic: ``$1,740`` is 1,740,000,000 US dollars).

Rows have no identifier. Each gets one derived from what identifies the transaction (see
:func:`transaction_key`), so that it survives a re-import of the same file and of a later release
that adds rows. cca ships no CGIT data: the tracker asks to be cited, and its rows stay the user's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, NamedTuple

from cca.core.errors import BadCells, DatasetError, Problem
from cca.io.importers import register
from cca.io.importers.layout import differences, fold, summary

SOURCE_ID = "aei-cgit"
NAME = "cgit"
DATASET = "China Global Investment Tracker"
PUBLISHER = "American Enterprise Institute and The Heritage Foundation"
URL = "https://www.aei.org/china-global-investment-tracker/"
#: The tracker states no licence; its pages and copyright line ask for citation.
LICENCE = "No open licence: free for public use with the proper citation, as the tracker's copyright line asks"
#: Used only when the workbook's own title rows carry no citation line.
CITATION = f"{PUBLISHER}, {DATASET}, {URL}"

Kind = Literal["investment", "construction", "troubled", "combined"]


class Sheet(NamedTuple):
    """One sheet of the workbook: its name, what its rows are, its columns (matched ignoring case and spacing)."""

    name: str
    kind: Kind
    #: The column naming the Chinese party.
    entity: str
    columns: tuple[str, ...]


SHEETS: tuple[Sheet, ...] = (
    Sheet("Dataset 1", "investment", "Investor", (
        "Year", "Month", "Investor", "Quantity in Millions", "Share Size", "Transaction Party", "Sector",
        "Subsector", "Country", "Region", "BRI", "Greenfield",
    )),
    Sheet("Dataset 2", "construction", "Contractor", (
        "Year", "Month", "Contractor", "Quantity in Millions", "Share Size", "Transaction Party", "Sector",
        "Subsector", "Country", "Region", "BRI",
    )),
    Sheet("Dataset 3", "troubled", "Chinese Entity", (
        "Year", "Month", "Chinese Entity", "Quantity in Millions", "Transaction Party", "Sector", "Subsector",
        "Country", "Region", "Greenfield", "BRI",
    )),
    Sheet("Dataset 1+2", "combined", "Chinese Entity", (
        "Year", "Month", "Chinese Entity", "Quantity in Millions", "Share size", "Transaction Party", "Sector",
        "Subsector", "Country", "Region", "BRI", "Greenfield",
    )),
)  # fmt: skip
BY_NAME = {fold(sheet.name): sheet for sheet in SHEETS}
#: Dataset 1+2 repeats 1 and 2: read only on request.
DEFAULT_SHEETS = ("Dataset 1", "Dataset 2", "Dataset 3")

#: cca's project type and the Chinese party's role, by kind of row.
PROJECT_TYPE = {
    "investment": "investment",
    "construction": "construction-contract",
    "troubled": "troubled-transaction",
    "combined": "investment-or-construction",
}
ROLE = {"investment": "investor", "construction": "contractor", "troubled": "other", "combined": "other"}
FINANCING_KIND = {"investment": "investment", "construction": "contract", "troubled": "other", "combined": "other"}
KIND_LABEL = {
    "investment": "investment",
    "construction": "construction contract",
    "troubled": "troubled transaction",
    "combined": "investment or construction contract",
}
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december")  # fmt: skip
MILLION = Decimal(1_000_000)
#: Columns mapped to record fields; the others are kept, as the file shows them, in dataset.fields.
MAPPED = frozenset(
    {"year", "month", "investor", "contractor", "chinese entity", "quantity in millions", "share size",
     "transaction party", "country", "bri"}
)  # fmt: skip
#: How many rows from the top the header may start at.
HEADER_SEARCH = 30

_AMOUNT = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")
_SHARE = re.compile(r"(\d+(?:\.\d+)?)\s*(%?)\Z")


class Row(NamedTuple):
    """One transaction as the sheet gives it, parsed; ``id`` is its stable cca id."""

    id: str
    sheet: str
    kind: Kind
    #: The row as Excel numbers it (the header of a recent edition is row 6, the first transaction row 7).
    row: int
    year: int
    month: int | None
    entity: str
    #: As written in US$ millions, and in US dollars (nominal; exact: an int unless there are fractions of a dollar).
    millions: Decimal
    usd: int | Decimal
    #: The Chinese side's share(s) as fractions (0.45), several when the cell lists several.
    shares: tuple[Decimal, ...]
    party: str | None
    sector: str | None
    subsector: str | None
    country: str
    #: The cca country id the lookup gave, or None (the name is then reported in ``Read.unmatched``).
    country_id: str | None
    region: str | None
    bri: bool | None
    greenfield: str | None
    #: For Dataset 1+2: the Dataset 1 or 2 row it repeats (same id), when those sheets were read too.
    repeats: bool
    #: The non-empty cells of the columns not mapped to a field (Sector, Subsector, Region, Greenfield and any
    #: column the layout does not know), as the file shows them, by column name as the header spells it.
    cells: tuple[tuple[str, str], ...]

    @property
    def date(self) -> str:
        """Year and month, to the precision the row has: ``2019-03`` or ``2019``."""
        return f"{self.year}-{self.month:02d}" if self.month else str(self.year)


class Read(NamedTuple):
    rows: list[Row]
    #: The non-empty lines above the header of the first sheet read (title, copyright, citation), verbatim.
    title: tuple[str, ...]
    sheets: tuple[str, ...]
    #: Country names the lookup does not know, with every (sheet, row) that names them.
    unmatched: dict[str, list[tuple[str, int]]]
    sha256: str
    file: str


# -- reading ---------------------------------------------------------------------------------------------


def read(
    path: Path,
    label: str,
    countries: Mapping[str, str],
    *,
    sheets: Sequence[str] = DEFAULT_SHEETS,
    problems: list[Problem] | None = None,
) -> Read:
    """Read the chosen sheets of a CGIT workbook; ``countries`` maps a :func:`fold`-ed country name to a cca id.

    Bad cells are positioned problems (``FILE:ROW:COLUMN: message``, the file's row and column):
    with a ``problems`` list, rows with bad cells are skipped and their problems added there;
    without one, :class:`BadCells` is raised with the first 50. A workbook without a wanted sheet,
    or a sheet whose header is not found or lacks a column, is a :class:`DatasetError`.
    """
    from cca.io.importers import xlsx
    from cca.io.importers.tables import WORKBOOKS

    if path.suffix.lower() not in WORKBOOKS:
        return _read_csv(path, label, countries, sheets, problems)
    names = xlsx.sheet_names(path, label)
    present = {fold(name): name for name in names}
    wanted = []
    for name in sheets:
        sheet = BY_NAME.get(fold(name))
        if sheet is None:
            raise DatasetError(f"{label}: {name!r} is not a CGIT sheet (they are {', '.join(s.name for s in SHEETS)})")
        if fold(name) not in present:
            raise DatasetError(f"{label}: no sheet {sheet.name!r}; its sheets: {', '.join(names)}")
        wanted.append((sheet, present[fold(name)]))
    found: list[Problem] = []
    rows: list[Row] = []
    title: tuple[str, ...] = ()
    for sheet, actual in wanted:
        book = xlsx.open_sheet(path, label, actual, _no_sheet(label, actual))
        try:
            lines, parsed = _sheet(book.rows, sheet, actual, label, found if problems is None else problems)
        finally:  # a header problem leaves the rows unread: close them, and the file, now
            close = getattr(book.rows, "close", None)
            if close is not None:
                close()
            book.close()
        title = title or lines
        rows += parsed
    if problems is None and found:
        raise BadCells(found[:50])
    return _finish(path, rows, title, tuple(actual for _, actual in wanted), countries)


def _finish(
    path: Path, rows: list[Row], title: tuple[str, ...], sheets: tuple[str, ...], countries: Mapping[str, str]
) -> Read:
    rows = _resolve_combined(rows)
    unmatched: dict[str, list[tuple[str, int]]] = {}
    out = []
    for row in rows:
        country_id = countries.get(fold(row.country))
        if country_id is None:
            unmatched.setdefault(row.country, []).append((row.sheet, row.row))
        out.append(row._replace(country_id=country_id))
    return Read(out, title, sheets, unmatched, file_sha256(path), path.name)


def _read_csv(
    path: Path,
    label: str,
    countries: Mapping[str, str],
    sheets: Sequence[str],
    problems: list[Problem] | None,
) -> Read:
    """A CSV of one sheet, title rows and all: which sheet it is is named (``sheets``, one of them) or told by
    its header (Investor: Dataset 1; Contractor: Dataset 2; Chinese Entity: Dataset 3, or 1+2 with Share size)."""
    import itertools

    from cca.io.importers.tables import open_table

    table = open_table(path, label)
    values = itertools.chain([(1, list(table.header))], table.rows)
    head = list(itertools.islice(values, HEADER_SEARCH + 1))
    if tuple(sheets) != DEFAULT_SHEETS:
        if len(sheets) != 1:
            raise DatasetError(f"{label}: a CSV holds one sheet: name it with one {{sheet}}", params=["sheet"])
        sheet = BY_NAME.get(fold(sheets[0]))
        if sheet is None:
            raise DatasetError(
                f"{label}: {sheets[0]!r} is not a CGIT sheet (they are {', '.join(s.name for s in SHEETS)})"
            )
    else:
        sheet = _sheet_of(head, label)
    found: list[Problem] = []
    try:
        into = found if problems is None else problems
        title, rows = _sheet(itertools.chain(head, values), sheet, sheet.name, label, into)
    finally:
        close = getattr(table.rows, "close", None)
        if close is not None:
            close()
    if problems is None and found:
        raise BadCells(found[:50])
    return _finish(path, rows, title, (sheet.name,), countries)


def _sheet_of(head: Sequence[tuple[int, list[str]]], label: str) -> Sheet:
    for _, cells in head:
        keys = {fold(cell) for cell in cells}
        if "year" in keys and "quantity in millions" in keys:
            if "investor" in keys:
                return BY_NAME["dataset 1"]
            if "contractor" in keys:
                return BY_NAME["dataset 2"]
            if "chinese entity" in keys:
                return BY_NAME["dataset 1+2" if "share size" in keys else "dataset 3"]
            break
    raise DatasetError(
        f"{label}: not a CSV of a CGIT sheet: no header row with 'Year', 'Quantity in Millions' and 'Investor', "
        f"'Contractor' or 'Chinese Entity' in its first {HEADER_SEARCH} rows"
    )


def _no_sheet(label: str, actual: str) -> Callable[[list[str]], Exception]:
    return lambda names: DatasetError(f"{label}: no sheet {actual!r}; its sheets: {', '.join(names)}")


def _sheet(
    values: Iterator[tuple[int, list[str]]], sheet: Sheet, actual: str, label: str, problems: list[Problem]
) -> tuple[tuple[str, ...], list[Row]]:
    """One sheet's rows (row number, cells as text, as the workbook reader gives them)."""
    first_col = 0
    where = f"{label} [{actual}]"
    above: list[str] = []
    header: list[str] | None = None
    header_at = 0
    for offset, (number, cells) in enumerate(values):
        texts = [cell.strip() for cell in cells]
        keys = {fold(text) for text in texts}
        if "year" in keys and "quantity in millions" in keys:
            header, header_at = texts, number
            break
        line = " ".join(text for text in texts if text)
        if line:
            above.append(line)
        if offset >= HEADER_SEARCH:
            break
    if header is None:
        raise DatasetError(
            f"{where}: no header row (one with 'Year' and 'Quantity in Millions') in its first {HEADER_SEARCH} rows"
        )
    while header and not header[-1]:
        header.pop()
    index = _columns(header, sheet, where, header_at)
    by_column = {name: index[fold(name)] for name in sheet.columns}
    extra = [
        (at, name) for at, name in enumerate(header) if name and fold(name) not in {fold(c) for c in sheet.columns}
    ]
    parsed: list[Row] = []
    for number, cells in values:
        texts = list(cells)
        if not any(text.strip() for text in texts):
            continue
        bad: list[Problem] = []
        row = _row(texts, sheet, actual, by_column, extra, header, where, number, first_col, bad)
        if bad:
            problems.extend(bad)
            continue
        if row is not None:
            parsed.append(row)
    return tuple(above), _number_duplicates(parsed)


def _columns(header: Sequence[str], sheet: Sheet, where: str, line: int) -> dict[str, int]:
    index: dict[str, int] = {}
    for at, name in enumerate(header):
        key = fold(name)
        if key and key in index:
            raise DatasetError(f"{where}:{line}: column {name.strip()!r} is given twice")
        if key:
            index[key] = at
    missing = [name for name in sheet.columns if fold(name) not in index]
    if missing:
        parts = differences([name for name in header if name], sheet.columns, folded=True)
        parts = [part for part in parts if not part.startswith("unexpected") and "order" not in part]
        raise DatasetError(f"{where}:{line}: not CGIT's {sheet.name} layout: {summary(parts)}")
    return index


def _row(
    texts: Sequence[str],
    sheet: Sheet,
    actual: str,
    columns: Mapping[str, int],
    extra: Sequence[tuple[int, str]],
    header: Sequence[str],
    where: str,
    number: int,
    first_col: int,
    bad: list[Problem],
) -> Row | None:
    def text(column: str) -> str:
        at = columns[column]
        return texts[at].strip() if at < len(texts) else ""

    def problem(column: str, message: str) -> None:
        bad.append(
            Problem(where, number, first_col + columns[column] + 1, f"{header[columns[column]].strip()}: {message}")
        )

    year = parse_year(text("Year"))
    if year is None:
        problem("Year", f"{text('Year')!r} is not a year" if text("Year") else "empty: every row needs its year")
    month_text = text("Month")
    month = parse_month(month_text)
    if month_text and month is None:
        problem("Month", f"{month_text!r} is not a month")
    entity = " ".join(text(sheet.entity).split())
    if not entity:
        problem(sheet.entity, "empty: every row names its Chinese party")
    amount_text = text("Quantity in Millions")
    millions = parse_millions(amount_text)
    if millions is None:
        problem(
            "Quantity in Millions",
            f"{amount_text!r} is not an amount in US$ millions" if amount_text else "empty: every row has an amount",
        )
    shares: tuple[Decimal, ...] = ()
    share_column = next((c for c in sheet.columns if fold(c) == "share size"), None)
    if share_column is not None and text(share_column):
        try:
            shares = parse_shares(text(share_column))
        except ValueError as error:
            problem(share_column, str(error))
    country = " ".join(text("Country").split())
    if not country:
        problem("Country", "empty: every row names its host country")
    bri_text = text("BRI")
    bri = parse_bri(bri_text)
    if bri_text and bri is None:
        problem("BRI", f"{bri_text!r} is not 1, 0 or blank")
    if bad or year is None or millions is None:
        return None
    greenfield = text("Greenfield") if "Greenfield" in columns else ""
    kept = [at for name, at in columns.items() if fold(name) not in MAPPED] + [at for at, _ in extra]
    cells = [(header[at].strip(), texts[at].strip()) for at in sorted(kept) if at < len(texts)]
    return Row(
        id="",
        sheet=actual,
        kind=sheet.kind,
        row=number,
        year=year,
        month=month,
        entity=entity,
        millions=millions,
        usd=usd_of(millions),
        shares=shares,
        party=_optional(text("Transaction Party")),
        sector=_optional(text("Sector")),
        subsector=_optional(text("Subsector")),
        country=country,
        country_id=None,
        region=_optional(text("Region")),
        bri=bri,
        greenfield=greenfield or None,
        repeats=False,
        cells=tuple((name, value) for name, value in cells if value),
    )


def _optional(text: str) -> str | None:
    text = " ".join(text.split())
    return text or None


# -- cells -----------------------------------------------------------------------------------------------


def parse_year(text: str) -> int | None:
    """A year cell (``2019``, or ``2019.0`` from a float cell) from 1900 to 2200, else None."""
    match = re.fullmatch(r"(\d{4})(?:\.0*)?", text.strip())
    if not match:
        return None
    year = int(match.group(1))
    return year if 1900 <= year <= 2200 else None


def parse_month(text: str) -> int | None:
    """``March``, ``Mar``, ``Mar.``, ``3`` or ``3.0`` -> 3; anything else (and blank) -> None."""
    text = text.strip().rstrip(".").casefold()
    if not text:
        return None
    number = re.fullmatch(r"(\d{1,2})(?:\.0*)?", text)
    if number:
        value = int(number.group(1))
        return value if 1 <= value <= 12 else None
    for index, name in enumerate(MONTHS, 1):
        if text == name or (len(text) >= 3 and name.startswith(text)):
            return index
    return None


def parse_millions(text: str) -> Decimal | None:
    """An amount in US$ millions, exactly: ``1740``, ``1740.0``, `` $1,740 ``, ``US$ 1,740.5``; else None."""
    text = text.strip()
    for prefix in ("US$", "$"):
        if text.upper().startswith(prefix):
            text = text[len(prefix) :].strip()
            break
    if not _AMOUNT.fullmatch(text):
        return None
    value = Decimal(text.replace(",", ""))
    return value if value.is_finite() else None


def usd_of(millions: Decimal) -> int | Decimal:
    """US$ millions as US dollars: an int when whole (it is unless the file has fractions of a dollar)."""
    value = millions * MILLION
    return int(value) if value == value.to_integral_value() else value.normalize()


def parse_shares(text: str) -> tuple[Decimal, ...]:
    """A ``Share Size`` cell as fractions: ``0.45`` (a percentage cell), ``45%``, ``45%, 35%, 20%``.

    A bare number above 1 is refused (is ``45`` 45% or a typo?): write it ``45%``.
    """
    out = []
    for item in re.split(r"[;,/]", text):
        item = item.strip()
        if not item:
            continue
        match = _SHARE.match(item)
        if not match:
            raise ValueError(f"{text!r}: {item!r} is not a share (45% or 0.45)")
        value = Decimal(match.group(1))
        if match.group(2):
            value /= 100
        elif value > 1:
            raise ValueError(f"{text!r}: {item!r} is ambiguous: write a percentage (45%) or a fraction (0.45)")
        if not 0 < value <= 1:
            raise ValueError(f"{text!r}: {item!r} is not a share between 0 and 100%")
        out.append(value.normalize())
    if not out:
        raise ValueError(f"{text!r} is not a share (45% or 0.45)")
    return tuple(out)


def parse_bri(text: str) -> bool | None:
    """CGIT's BRI flag: ``1`` -> True, ``0`` -> False, blank -> None (``1.0``, Yes/No and TRUE/FALSE read alike)."""
    value = text.strip().casefold()
    if value in ("1", "1.0", "yes", "true"):
        return True
    if value in ("0", "0.0", "no", "false"):
        return False
    return None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# -- ids -------------------------------------------------------------------------------------------------


def transaction_key(row: Row) -> list[str]:
    """What identifies a transaction, whatever sheet it is on: the content the id is hashed from.

    Year, month, Chinese entity, transaction party, host country, amount (in dollars, so `` $1,740 ``
    and ``1740`` agree), share(s), sector and subsector; text compared as :func:`fold` does. Region,
    BRI and Greenfield are left out: they describe the transaction rather than identify it, and a
    later release may revise them without it becoming another transaction.
    """
    return [
        str(row.year),
        str(row.month or ""),
        fold(row.entity),
        fold(row.party or ""),
        fold(row.country),
        str(row.usd),
        ",".join(str(share) for share in row.shares),
        fold(row.sector or ""),
        fold(row.subsector or ""),
    ]


def stable_id(kind: Kind, key: Sequence[str]) -> str:
    """``cgit-<kind>-<hash10>``: the first 10 hex digits of the SHA-256 of the kind and key as JSON."""
    text = json.dumps([kind, *key], ensure_ascii=False, separators=(",", ":"))
    return f"cgit-{kind}-{hashlib.sha256(text.encode('utf-8')).hexdigest()[:10]}"


def _number_duplicates(rows: Iterable[Row]) -> list[Row]:
    """Give each row its id; true duplicates (same kind and key) are numbered in order of appearance.

    The first keeps the plain id, the second gets ``-2``, the third ``-3``: a later release that
    appends rows leaves every earlier id as it was, duplicates included.
    """
    seen: dict[str, int] = {}
    out = []
    for row in rows:
        base = stable_id(row.kind, transaction_key(row))
        seen[base] = seen.get(base, 0) + 1
        out.append(row._replace(id=base if seen[base] == 1 else f"{base}-{seen[base]}"))
    return out


def _resolve_combined(rows: list[Row]) -> list[Row]:
    """A Dataset 1+2 row that repeats a Dataset 1 or 2 row read alongside takes that row's id and kind."""
    pools: dict[tuple[str, ...], list[Row]] = {}
    for row in rows:
        if row.kind in ("investment", "construction"):
            pools.setdefault(tuple(transaction_key(row)), []).append(row)
    out = []
    for row in rows:
        if row.kind == "combined":
            pool = pools.get(tuple(transaction_key(row)))
            if pool:
                match = pool.pop(0)
                row = row._replace(id=match.id, kind=match.kind, repeats=True)
        out.append(row)
    return out


# -- as knowledge ----------------------------------------------------------------------------------------


def sector_table(path: Path) -> dict[tuple[str, str], str]:
    """``data/cgit-sectors.tsv``: (folded sector, folded subsector or '') -> cca sector id."""
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith(("#", "sector\t")) or not line.strip():
            continue
        sector, subsector, target = (line.split("\t") + ["", ""])[:3]
        out[(fold(sector), fold(subsector))] = target.strip()
    return out


def sector_of(row: Row, table: Mapping[tuple[str, str], str]) -> str:
    """The cca sector of a row: its (sector, subsector) in the table, else its sector's, else ``unspecified``."""
    sector, subsector = fold(row.sector or ""), fold(row.subsector or "")
    return table.get((sector, subsector)) or table.get((sector, "")) or "unspecified"


def organisation_id(name: str) -> str:
    """``cgit-org-<slug>``: one organisation record per name the tracker spells, whatever row names it."""
    slug = re.sub(r"[^a-z0-9]+", "-", fold(name)).strip("-")
    if not slug:  # a name in another script: keep it distinct by its hash
        slug = hashlib.sha256(fold(name).encode("utf-8")).hexdigest()[:10]
    return f"cgit-org-{slug}"


def locator(row: Row) -> dict[str, Any]:
    """Locator evidence: the row's id, and where it is in the file the source's ``dataset.sha256`` names."""
    return {"source": SOURCE_ID, "record": row.id, "sheet": row.sheet, "row": row.row}


def project(row: Row, china: str, sectors: Mapping[tuple[str, str], str]) -> dict[str, Any]:
    """A row as a cca ``project`` record (``china`` is the id of China's country record)."""
    evidence = [locator(row)]
    when = dt.date(row.year, row.month or 1, 1).strftime("%B %Y") if row.month else str(row.year)
    name = f"{row.entity}: {KIND_LABEL[row.kind]}" + (f" with {row.party}" if row.party else "")
    name += f", {row.country}, {when}"
    countries = [china] + ([row.country_id] if row.country_id and row.country_id != china else [])
    money: dict[str, Any] = {
        "amount": _number(row.usd),
        "currency": "USD",
        "usd_nominal": _number(row.usd),
        "price_base": "nominal",
        "year": row.year,
        "kind": FINANCING_KIND[row.kind],
        "party": row.entity,
    }
    if row.shares:
        money["shares"] = [_number(share) for share in row.shares]
    money["evidence"] = evidence
    parties: list[dict[str, Any]] = [
        {"name": row.entity, "organisation": organisation_id(row.entity), "role": ROLE[row.kind], "country": china}
    ]
    if row.party:
        parties.append({"name": row.party, "organisation": organisation_id(row.party), "role": "partner"})
    dataset: dict[str, Any] = {"source": SOURCE_ID, "record": row.id}
    if row.bri is not None:
        dataset["bri"] = row.bri
    dataset["recipient"] = row.country
    dataset["fields"] = dict(row.cells)
    return {
        "id": row.id,
        "name": name,
        "type": PROJECT_TYPE[row.kind],
        "countries": countries,
        "sectors": [sector_of(row, sectors)],
        "status": [],
        "dates": {"transaction": row.date},
        "financing": [money],
        "parties": parties,
        "organisations": list(dict.fromkeys(party["organisation"] for party in parties)),
        "dataset": dataset,
        "evidence": evidence,
    }


def organisations(row: Row, china: str) -> list[dict[str, Any]]:
    """The organisation records a row names (merge them across rows with :func:`merge_organisations`)."""
    out = [
        {"id": organisation_id(row.entity), "name": row.entity, "type": "other", "country": china,
         "evidence": [locator(row)]},
    ]  # fmt: skip
    if row.party:
        out.append({"id": organisation_id(row.party), "name": row.party, "type": "other", "evidence": [locator(row)]})
    return out


def merge_organisations(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One record per id, its evidence every row that names it (first seen first), its name the first spelling."""
    out: dict[str, dict[str, Any]] = {}
    for record in records:
        have = out.get(record["id"])
        if have is None:
            out[record["id"]] = {**record, "evidence": list(record["evidence"])}
            continue
        have["evidence"] += [item for item in record["evidence"] if item not in have["evidence"]]
        spelling = record["name"]
        if spelling != have["name"]:
            aliases = have.setdefault("aliases", [])
            if spelling not in aliases:
                aliases.append(spelling)
    return list(out.values())


def source(read: Read, *, release: str | None = None, imported: str | None = None) -> dict[str, Any]:
    """The tracker as a cca source record: bibliographic facts, the file's SHA-256, rows, sheets and citation.

    ``release`` is the edition's date (YYYY or YYYY-MM) if the caller knows it; else the year a file
    name like ``China-Global-Investment-Tracker-2023-Fall.xlsx`` gives; else the latest transaction's
    month, as a lower bound (the notes say which).
    """
    cited = citation(read.title)
    named = re.search(r"(?<![0-9])(20[0-9]{2})(?![0-9])", read.file)
    if release is not None:
        date, how = release, "the release date given to the importer"
    elif named is not None:
        date, how = named.group(1), "the year in the file's name"
    else:
        date = max((row.date for row in read.rows), default=str(dt.date.today().year))
        how = "the latest transaction's date (the edition's own date is not in the file)"
    dataset: dict[str, Any] = {
        "name": DATASET,
        "importer": NAME,
        "file": read.file,
        "sha256": read.sha256,
        "sheets": list(read.sheets),
        "rows": len(read.rows),
        "imported": imported or dt.date.today().isoformat(),
        "licence": LICENCE,
        "attribution": cited or CITATION,
    }
    out: dict[str, Any] = {
        "id": SOURCE_ID,
        "title": DATASET,
        "publisher": PUBLISHER,
        "date": date,
        "url": URL,
    }
    notice = next((line for line in read.title if "copyright" in line.casefold() or "©" in line), None)
    if notice:
        out["copyright"] = notice
    out["dataset"] = dataset
    out["notes"] = (
        f"The date is {how}. Amounts are nominal US dollars (CGIT's 'Quantity in Millions' x 1,000,000), "
        "never to be summed with constant-dollar amounts. "
        + (
            "The attribution is the workbook's own citation line."
            if cited
            else "The workbook carries no "
            "citation line: the attribution is composed from the publisher, title and address."
        )
    )
    return out


def citation(title: Sequence[str]) -> str | None:
    """The line(s) above the header that ask for citation, verbatim, or None."""
    lines = [line for line in title if re.search(r"\bcit(e|ation|ing)\b", line, re.IGNORECASE)]
    return " ".join(lines) or None


def _number(value: int | Decimal) -> int | float:
    if isinstance(value, int):
        return value
    return int(value) if value == value.to_integral_value() else float(value)


# -- the importer --------------------------------------------------------------------------------------------


class Tracker:
    """``cca import cgit FILE``: the tracker's workbook (Datasets 1, 2 and 3; ``--sheet`` to choose, Dataset 1+2
    only on request) or a CSV of one sheet. Each row a project record of its kind, the Chinese entity and the
    transaction party organisations, the file's own source record (its SHA-256, sheets and citation line)."""

    name = NAME
    title = DATASET
    reads = "the tracker's .xlsx workbook (Dataset 1, 2 and 3; --sheet 'Dataset 1+2' on request) or a CSV of one sheet"
    source_id = SOURCE_ID

    def source(self) -> dict[str, Any]:
        """The tracker as reference data (an import writes its own source record, naming its edition and file)."""
        return {
            "id": SOURCE_ID,
            "title": DATASET,
            "publisher": PUBLISHER,
            "date": "2005",
            "url": URL,
            "dataset": {"name": DATASET, "importer": NAME, "licence": LICENCE, "attribution": CITATION},
            "notes": "Published since 2005 and updated twice a year; each import's own source record names the "
            "edition and file it read. Amounts are nominal US dollars, never summed with constant-dollar amounts.",
        }

    def read(self, path: Path, label: str, context: Any, options: Any, tally: Any) -> Iterator[Any]:
        from cca.core.errors import QueryError
        from cca.io.importers import Converted
        from cca.io.importers.layout import Names

        if options.locations:
            raise QueryError(
                "{locations} is for aiddata (GCDF 3.0's ADM1/ADM2 files); cgit takes none", params=["locations"]
            )
        sheets = tuple(options.sheets) or ((options.sheet,) if options.sheet else DEFAULT_SHEETS)
        skipped: list[Problem] | None = [] if options.skip_bad_rows else None
        found = read(path, label, Names(context.names), sheets=sheets, problems=skipped)
        bad = {(problem.path, problem.line) for problem in skipped or ()}
        tally.rows = len(found.rows) + len(bad)
        if skipped:
            tally.skipped += [str(problem) for problem in skipped]
        selected = {context.countries[code] for code in context.selected if code in context.countries}
        repeats = [row for row in found.rows if row.repeats]  # Dataset 1+2 rows that are Dataset 1 or 2 rows
        if repeats:
            tally.notes.append(
                f"{len(repeats):,} rows of {repeats[0].sheet} repeat rows of Datasets 1 and 2: each imported once"
            )
        chosen = [
            row for row in found.rows
            if not row.repeats and (options.every_recipient or row.country_id is None or row.country_id in selected)
        ]  # fmt: skip
        tally.outside = len(found.rows) - len(repeats) - len(chosen)
        tally.imported = len(chosen)
        if not options.every_recipient:
            tally.selected = "rows whose country is in ASEAN or Timor-Leste (or a name cca does not know)"
            tally.outside_why = "their country is outside ASEAN and Timor-Leste"
            tally.widen = "{every_recipient} imports every country"
        tally.details.update(
            sheets=list(found.sheets),
            selection="every country" if options.every_recipient else "countries in ASEAN and Timor-Leste",
        )
        cited = citation(found.title)
        if cited:
            tally.details["citation"] = cited
        if found.unmatched:
            tally.details["unmatched_countries"] = {
                name: [f"{sheet}:{row}" for sheet, row in places[:20]]
                for name, places in sorted(found.unmatched.items())
            }
            tally.notes.append(
                "country names cca does not know (rows kept, the name in dataset.recipient): "
                + "; ".join(
                    f"{name} ({', '.join(f'{sheet} row {row}' for sheet, row in places[:3])}"
                    + (f" and {len(places) - 3} more" if len(places) > 3 else "")
                    + ")"
                    for name, places in sorted(found.unmatched.items())
                )
            )
        if not chosen:
            return
        sectors = sector_table(context.root / "cgit-sectors.tsv")
        unknown = sorted(set(sectors.values()) - set(context.sectors))
        if unknown:
            raise DatasetError(f"the sector tree lacks {', '.join(unknown)} (named in cgit-sectors.tsv)")
        record = source(found)
        record["dataset"]["imported_rows"] = len(chosen)
        record["dataset"]["selection"] = tally.details["selection"]
        yield Converted("sources", record, 0)
        for organisation in merge_organisations(org for row in chosen for org in organisations(row, context.china)):
            yield Converted("organisations", organisation, int(organisation["evidence"][0]["row"]))
        for row in chosen:
            yield Converted("projects", project(row, context.china, sectors), row.row)


IMPORTER = register(Tracker())
