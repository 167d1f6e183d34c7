"""AidData's Global Chinese Development Finance Dataset, Version 3.0 (GCDF 3.0), as cca knowledge.

Each row becomes a project record whose evidence is a locator: the dataset source, the row's
``AidData Record ID`` and each of the row's own source URLs. Every column is either mapped
to a field cca knows (money, dates, status, parties, sector, place) or kept, under its own
name, in the record's ``dataset.fields``; nothing from a row is invented or dropped.

The layout is the one AidData distributes: the workbook's ``GCDF_3.0`` sheet, or a CSV
export of it (pandas writes ``2021.0`` for float columns, ``YYYY-MM-DD`` for dates, ``|``
between the items of a list).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from cca.core.errors import BadCells, DatasetError, Problem
from cca.io.importers.cells import is_error
from cca.io.importers.layout import differences, summary
from cca.io.importers.tables import open_table

SOURCE_ID = "aiddata-gcdf-3"
NAME = "aiddata"
DATASET = "AidData's Global Chinese Development Finance Dataset"
VERSION = "3.0"
PUBLISHER = "AidData, a research lab at William & Mary"
#: The release of GCDF 3.0 (AidData, 6 November 2023): the date its statuses hold at.
RELEASE = "2023-11-06"
URL = "https://www.aiddata.org/data/aiddatas-global-chinese-development-finance-dataset-version-3-0"
LICENCE = "Open Data Commons Attribution License (ODC-By) v1.0"
ATTRIBUTION = (
    "Custer, S., Dreher, A., Elston, T.B., Escobar, B., Fedorochko, R., Fuchs, A., Ghose, S., Lin, J., "
    "Malik, A., Parks, B.C., Solomon, K., Strange, A., Tierney, M.J., Vlasto, L., Walsh, K., Wang, F., "
    "Zaleski, L., and Zhang, S. 2023. Tracking Chinese Development Finance: An Application of AidData's "
    "TUFF 3.0 Methodology. Williamsburg, VA: AidData at William & Mary."
)

#: The 126 columns of the GCDF_3.0 sheet, in order.
COLUMNS: tuple[str, ...] = (
    "AidData Record ID", "Recommended For Aggregates", "AidData Parent ID", "Umbrella", "Financier Country",
    "Recipient", "Recipient ISO-3", "Recipient Region", "Commitment Year", "Implementation Start Year",
    "Completion Year", "Title", "Description", "Staff Comments", "Status", "Intent", "Flow Type",
    "Flow Type Simplified", "OECD ODA Concessionality Threshold", "Flow Class", "Sector Code", "Sector Name",
    "Infrastructure", "COVID", "Funding Agencies", "Funding Agencies Type", "Co-financed",
    "Co-financing Agencies", "Co-financing Agencies Type", "Direct Receiving Agencies",
    "Direct Receiving Agencies Type", "Indirect Receiving Agencies", "Indirect Receiving Agencies Type",
    "On-lending", "Implementing Agencies", "Implementing Agencies Type", "Guarantee Provided", "Guarantor",
    "Guarantor Agency Type", "Insurance Provided", "Insurance Provider", "Insurance Provider Agency Type",
    "Collateralized", "Collateral Provider", "Collateral Provider Agency Type", "Security Agent/Collateral Agent",
    "Security Agent/Collateral Agent Type", "Collateral", "Amount (Original Currency)", "Original Currency",
    "Amount Estimated", "Amount (Constant USD 2021)", "Amount (Nominal USD)", "Adjusted Amount (Original Currency)",
    "Adjusted Amount (Constant USD 2021)", "Adjusted Amount (Nominal USD)", "Financial Distress",
    "Commitment Date (MM/DD/YYYY)", "Commitment Date Estimated", "Planned Implementation Start Date (MM/DD/YYYY)",
    "Actual Implementation Start Date (MM/DD/YYYY)", "Actual Implementation Start Date Estimated",
    "Deviation from Planned Implementation Start Date", "Planned Completion Date (MM/DD/YYYY)",
    "Actual Completion Date (MM/DD/YYYY)", "Actual Completion Date Estimated",
    "Deviation from Planned Completion Date", "Maturity", "Interest Rate", "Grace Period", "Management Fee",
    "Commitment Fee", "Insurance Fee (Percent)", "Insurance Fee (Nominal USD)", "Default Interest Rate",
    "First Loan Repayment Date", "Last Loan Repayment Date", "Grant Element (OECD Cash-Flow)",
    "Grant Element (OECD Grant-Equiv)", "Grant Element (IMF)", "Number of Lenders", "Export Buyer's Credit",
    "Supplier\u2019s Credit/Export Seller\u2019s Credit", "Interest-Free Loan", "Refinancing",
    "Investment Project Loan", "M&A", "Working Capital", "EPCF", "Lease", "FXSL/BOP", "CC IRS", "RCF", "GCL", "PBC",
    "PxF/Commodity Prepayment", "Inter-Bank Loan", "Overseas Project Contracting Loan", "DPA", "Project Finance",
    "Involving Multilateral", "Non-Chinese Financier", "Short-Term", "Rescue",
    "Project JV/SPV Host Government Ownership", "Project JV/SPV Chinese Government Ownership",
    "Level of Public Liability", "Total Source Count", "Official Source Count", "Source URLs", "Source Titles",
    "Source Publishers", "Source Resource Types", "Contact Name", "Contact Position", "ODA Eligible Recipient",
    "OECD ODA Income Group", "Location Narrative", "Geographic Level of Precision Available",
    "ADM1 Level Available", "ADM2 Level Available", "Geospatial Feature Available", "Source Quality Score",
    "Data Completeness Score", "Implementation Detail Score", "Loan Detail Score",
)  # fmt: skip

INT_COLUMNS = frozenset(
    {
        "AidData Record ID", "Commitment Year", "Sector Code", "Total Source Count", "Official Source Count",
        "Source Quality Score", "Data Completeness Score", "Implementation Start Year", "Completion Year",
    }
)  # fmt: skip
FLOAT_COLUMNS = frozenset(
    {
        "OECD ODA Concessionality Threshold", "Amount (Original Currency)", "Amount (Constant USD 2021)",
        "Amount (Nominal USD)", "Adjusted Amount (Original Currency)", "Adjusted Amount (Constant USD 2021)",
        "Adjusted Amount (Nominal USD)", "Deviation from Planned Implementation Start Date",
        "Deviation from Planned Completion Date", "Maturity", "Interest Rate", "Grace Period", "Management Fee",
        "Commitment Fee", "Insurance Fee (Percent)", "Insurance Fee (Nominal USD)", "Default Interest Rate",
        "Grant Element (OECD Cash-Flow)", "Grant Element (OECD Grant-Equiv)", "Grant Element (IMF)",
        "Implementation Detail Score", "Loan Detail Score",
    }
)  # fmt: skip
DATE_COLUMNS = frozenset(
    {
        "Commitment Date (MM/DD/YYYY)", "Planned Implementation Start Date (MM/DD/YYYY)",
        "Actual Implementation Start Date (MM/DD/YYYY)", "Planned Completion Date (MM/DD/YYYY)",
        "Actual Completion Date (MM/DD/YYYY)", "First Loan Repayment Date", "Last Loan Repayment Date",
    }
)  # fmt: skip
#: Columns whose items are joined with '|' (kept in dataset.fields as the text given, '|' and all).
LIST_COLUMNS = frozenset({"Source Titles", "Source Publishers", "Source Resource Types", "Contact Name"})

#: AidData's status vocabulary, and cca's.
STATUS = {
    "Pipeline: Pledge": "planned",
    "Pipeline: Commitment": "agreed",
    "Implementation": "in-progress",
    "Completion": "completed",
    "Suspended": "suspended",
    "Cancelled": "cancelled",
}
FLOW_TYPE = {
    "Loan": "loan",
    "Grant": "grant",
    "Free-standing technical assistance": "technical-assistance",
    "Scholarships/training in the donor country": "scholarship",
    "Debt rescheduling": "debt-relief",
    "Debt forgiveness": "debt-relief",
}
#: Agency columns (name column, type column) and the role their parties play.
PARTIES = (
    ("Funding Agencies", "Funding Agencies Type", "funder"),
    ("Co-financing Agencies", "Co-financing Agencies Type", "co-financier"),
    ("Direct Receiving Agencies", "Direct Receiving Agencies Type", "receiver"),
    ("Indirect Receiving Agencies", "Indirect Receiving Agencies Type", "receiver"),
    ("Implementing Agencies", "Implementing Agencies Type", "implementer"),
    ("Guarantor", "Guarantor Agency Type", "guarantor"),
    ("Insurance Provider", "Insurance Provider Agency Type", "insurer"),
    ("Collateral Provider", "Collateral Provider Agency Type", "collateral-provider"),
)
DATES = (
    ("Planned Implementation Start Date (MM/DD/YYYY)", "planned_start"),
    ("Actual Implementation Start Date (MM/DD/YYYY)", "actual_start"),
    ("Planned Completion Date (MM/DD/YYYY)", "planned_completion"),
    ("Actual Completion Date (MM/DD/YYYY)", "actual_completion"),
)
ESTIMATED = (
    ("Commitment Date Estimated", "commitment"),
    ("Actual Implementation Start Date Estimated", "actual_start"),
    ("Actual Completion Date Estimated", "actual_completion"),
)
#: Columns that become fields of the record (the rest go to dataset.fields as they are).
MAPPED = frozenset(
    {
        "AidData Record ID", "Recommended For Aggregates", "AidData Parent ID", "Umbrella", "Recipient",
        "Recipient ISO-3", "Commitment Year", "Title", "Description", "Status", "Intent", "Flow Type",
        "Flow Class", "Sector Code", "Sector Name", "Amount (Original Currency)", "Original Currency",
        "Amount Estimated", "Amount (Constant USD 2021)", "Amount (Nominal USD)",
        "Adjusted Amount (Original Currency)", "Adjusted Amount (Constant USD 2021)",
        "Adjusted Amount (Nominal USD)", "Commitment Date (MM/DD/YYYY)", "Location Narrative", "Source URLs",
        *(column for pair in PARTIES for column in pair[:2]), *(column for column, _ in DATES),
        *(column for column, _ in ESTIMATED),
    }
)  # fmt: skip

#: The columns kept under their own names in ``dataset.fields``, in the file's order.
_UNMAPPED: tuple[str, ...] = tuple(column for column in COLUMNS if column not in MAPPED)

_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T]00:00:00)?\Z")
_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})\Z")
_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?\Z")
_WHOLE = re.compile(r"[-+]?\d+(?:\.0*)?\Z")
_GROUPED = re.compile(r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d*)?\Z")
_URL = re.compile(r"https?://\S+", re.IGNORECASE)
_WHOLE_URL = re.compile(r"https?://\S+\Z", re.IGNORECASE)
#: Plausible values of whole-number columns: ids are positive, years are years (the schema's own range
#: for a financing year), counts, codes and scores are not negative; all fit in 64 bits.
_LARGEST = 2**63 - 1
_YEARS = (1900, 2200)
WHOLE_RANGES: dict[str, tuple[int, int]] = {
    "AidData Record ID": (1, _LARGEST),
    "Commitment Year": _YEARS,
    "Implementation Start Year": _YEARS,
    "Completion Year": _YEARS,
}
#: The schema's longest locator URL.
MAX_URL = 2000


class Lookup(NamedTuple):
    """What the importer needs to know of the knowledge already there."""

    #: ISO-3 -> country id, for every country (the knowledge's, and the rest of ISO 3166).
    countries: Mapping[str, str]
    #: Alpha-3 codes imported without --all.
    selected: frozenset[str]
    #: OECD CRS code -> cca sector id.
    sectors: Mapping[int, str]
    china: str


def crs_sectors(table: Path) -> dict[int, str]:
    out = {}
    for line in table.read_text(encoding="utf-8").splitlines():
        if line.startswith(("#", "code\t")) or not line.strip():
            continue
        code, _name, sector = line.split("\t")[:3]
        out[int(code)] = sector
    return out


def check_header(header: Sequence[str], label: str) -> list[str]:
    """The header with a pandas index column dropped; a header that is not GCDF 3.0's names what differs."""
    names = [name.strip() for name in header]
    if names and names[0] in ("", "Unnamed: 0") and names[1:2] == [COLUMNS[0]]:
        names = names[1:]  # written with pandas' index: an unnamed first column
    if names == list(COLUMNS):
        return names
    raise DatasetError(
        f"{label}: not AidData's GCDF 3.0 layout ({len(names)} columns, expected 126): "
        + summary(differences(names, COLUMNS))
    )


class _Row:
    """One data row, read by column name; a bad cell becomes a positioned problem.

    Cells are read as the file gives them: text verbatim (line breaks as '\\n'), numbers parsed
    from their text exactly (never through a float for whole numbers), a spreadsheet error refused.
    A row wider than the header (non-empty cells past its last column) or narrower (a file cut off
    in the middle of a row) is a problem at its row, whatever its recipient.
    """

    def __init__(self, cells: Sequence[str], index: Mapping[str, int], label: str, number: int) -> None:
        self.cells, self.index, self.label, self.number = cells, index, label, number
        self.problems: list[Problem] = []
        self._refused: set[str] = set()
        width = max(index.values()) + 1 if index else 0
        count = len(cells)
        if count < width:
            self.problems.append(
                Problem(
                    label,
                    number,
                    count + 1,
                    f"the row ends after {count} of the header's {width} cells (a file cut off?)",
                )
            )
        elif count > width:
            extra = [at for at in range(width, count) if cells[at].strip()]
            if extra:
                self.problems.append(
                    Problem(
                        label,
                        number,
                        extra[0] + 1,
                        f"{len(extra)} non-empty cell{'s' if len(extra) > 1 else ''} past the header's {width} columns",
                    )
                )

    def text(self, column: str) -> str:
        return self.raw(column).strip()

    def raw(self, column: str) -> str:
        """The cell as given, its line breaks as '\\n' whether the file spells them CR LF or CR; '' for an error."""
        at = self.index[column]
        cell = self.cells[at] if at < len(self.cells) else ""
        if is_error(cell):
            if column not in self._refused:
                self._refused.add(column)
                self.bad(column, f"{cell.strip()} is a spreadsheet error, not a value")
            return ""
        if "\r" in cell:
            cell = cell.replace("\r\n", "\n").replace("\r", "\n")
        return cell

    def bad(self, column: str, message: str) -> None:
        self.problems.append(Problem(self.label, self.number, self.index[column] + 1, f"{column}: {message}"))

    def _plain(self, column: str, text: str) -> str | None:
        """The number's text without thousands separators, or None (a problem recorded).

        A comma is read only as a thousands separator, and only where it can be nothing else: groups
        of three digits after a first group of one to three, with a decimal point after them
        (``1,234.5``) or more than one comma (``1,234,567``). ``12,34`` (a decimal comma), ``12,345``
        (a decimal comma, or a separator?) and ``1.234,5`` are refused, never guessed.
        """
        if "," in text:
            if _GROUPED.match(text) and (text.count(",") > 1 or "." in text):
                return text.replace(",", "")
            if re.fullmatch(r"[-+]?[\d.,]+", text):
                self.bad(column, f"{text!r} is ambiguous: a comma may be a decimal comma or separate thousands")
            else:
                self.bad(column, f"{text!r} is not a number")
            return None
        if not _NUMBER.match(text):
            self.bad(column, f"{text!r} is not a number")
            return None
        return text

    def number_of(self, column: str) -> float | None:
        text = self.text(column)
        if not text:
            return None
        plain = self._plain(column, text)
        if plain is None:
            return None
        value = float(plain)
        if not math.isfinite(value):
            self.bad(column, f"{text!r} is not a finite number")
            return None
        return value

    def whole(self, column: str) -> int | None:
        """A whole number read from its text exactly (``2021`` or pandas' ``2021.0``), within its column's range."""
        text = self.text(column)
        if not text:
            return None
        plain = self._plain(column, text)
        if plain is None:
            return None
        if not _WHOLE.match(plain):
            if "e" in plain.lower():
                self.bad(column, f"{text!r} is not an exact whole number (written as floating point): write it in full")
            else:
                self.bad(column, f"{text!r} is not a whole number")
            return None
        value = int(plain.partition(".")[0])
        low, high = WHOLE_RANGES.get(column, (0, _LARGEST))
        if not low <= value <= high:
            if (low, high) == _YEARS:
                self.bad(column, f"{text!r} is not a plausible year ({low} to {high})")
            elif value > high:
                self.bad(column, f"{text!r} is too large (it must fit in 64 bits)")
            else:
                self.bad(column, f"{text!r} must be {'positive' if low == 1 else 'zero or more'}")
            return None
        return value

    def date(self, column: str) -> str | None:
        text = self.text(column)
        if not text:
            return None
        match = _DATE.match(text)
        if match:
            year, month, day = (int(part) for part in match.groups())
        else:
            us = _US_DATE.match(text)
            if us is None:
                self.bad(column, f"{text!r} is not a date (YYYY-MM-DD or MM/DD/YYYY)")
                return None
            month, day, year = (int(part) for part in us.groups())
        try:
            return dt.date(year, month, day).isoformat()
        except ValueError:
            self.bad(column, f"{text!r} is not a real calendar date")
            return None

    def flag(self, column: str) -> bool | None:
        text = self.text(column)
        if text in ("Yes", "yes", "YES", "TRUE", "True", "1"):
            return True
        if text in ("No", "no", "NO", "FALSE", "False", "0"):
            return False
        if text:
            self.bad(column, f"{text!r} is not Yes or No")
        return None

    def items(self, column: str) -> list[str]:
        """The cell's '|'-separated items as given: in order, with empty items and duplicates, unstripped."""
        return self.raw(column).split("|")


def _value(row: _Row, column: str) -> Any:
    """An unmapped column as dataset.fields keeps it: a number, a date, or the text as given (a list too)."""
    if column in INT_COLUMNS:
        return row.whole(column)
    if column in FLOAT_COLUMNS:
        return row.number_of(column)
    if column in DATE_COLUMNS:
        return row.date(column)
    return row.text(column) or None


def _money(value: float) -> float | int:
    """Whole amounts as whole numbers (2021.0 -> 2021): the file reads the way a person writes it."""
    return int(value) if value == int(value) and abs(value) < 2**53 else value


def convert(row: _Row, places: Lookup, wanted: bool) -> dict[str, Any] | None:
    """One row as a project record, or None when it is not selected. Bad cells land in ``row.problems``."""
    record_id = row.whole("AidData Record ID")  # every row's, selected or not: a row without one is damaged
    if record_id is None and not row.text("AidData Record ID"):
        row.bad("AidData Record ID", "empty: every row needs its record id")
    iso3 = row.text("Recipient ISO-3").upper()
    if (not wanted and iso3 not in places.selected) or record_id is None:
        return None
    title = row.text("Title")
    if not title:
        row.bad("Title", "empty: every row needs a title")
    key = str(record_id)
    locator = {"source": SOURCE_ID, "record": key}
    out: dict[str, Any] = {"id": f"aiddata-{key}", "name": title}
    flow_type = row.text("Flow Type")
    out["type"] = FLOW_TYPE.get(flow_type, "financing")
    countries = [places.china]
    if iso3:
        if not re.fullmatch(r"[A-Z]{3}", iso3):
            row.bad("Recipient ISO-3", f"{iso3!r} is not a three-letter country code")
        country = places.countries.get(iso3)
        if country is not None and country not in countries:
            countries.append(country)  # a code outside ISO 3166-1 (XKX): the recipient stays in dataset.recipient
    out["countries"] = countries
    code = row.whole("Sector Code")
    out["sectors"] = [places.sectors.get(code, "unspecified") if code is not None else "unspecified"]
    description = row.text("Description")
    if description:
        out["summary"] = description
    status = row.text("Status")
    if status:
        value = STATUS.get(status)
        if value is None:
            row.bad("Status", f"{status!r} is not one of: {', '.join(STATUS)}")
        else:
            out["status"] = [{"value": value, "as_of": RELEASE, "evidence": [dict(locator)]}]
    dates: dict[str, Any] = {}
    commitment = row.date("Commitment Date (MM/DD/YYYY)")
    year = row.whole("Commitment Year")
    if commitment or year:
        dates["commitment"] = commitment or str(year)
    for column, name in DATES:
        found = row.date(column)
        if found:
            dates[name] = found
    estimated = [name for column, name in ESTIMATED if row.flag(column)]
    if estimated:
        dates["estimated"] = estimated
    if dates:
        out["dates"] = dates
    out["financing"] = [_financing(row, year, flow_type, locator)]
    parties = _parties(row)
    if parties:
        out["parties"] = parties
    narrative = row.text("Location Narrative")
    if narrative:
        out["location"] = {"narrative": narrative}
    out["dataset"] = _dataset(row, key, code)
    out["evidence"] = _evidence(row, locator, out["dataset"])
    return out


def _evidence(row: _Row, locator: dict[str, str], dataset: dict[str, Any]) -> list[dict[str, Any]]:
    """One locator per item of Source URLs, in order and with duplicates (the n-th pairs with the n-th
    of Source Titles and Source Publishers). A URL cca had to repair, or an item that is no URL, says
    so in the locator's note, and the cell is kept as given in dataset.fields beside it."""
    items = row.items("Source URLs")
    if not any(item.strip() for item in items):
        return [dict(locator)]
    out = []
    repaired = False
    for position, item in enumerate(items, 1):
        entry: dict[str, Any] = dict(locator)
        url, changed = _clean_url(item)
        if url is not None and len(url) > MAX_URL:
            row.bad("Source URLs", f"item {position} is a URL of {len(url):,} characters (at most {MAX_URL:,})")
            url = None
        if url is not None:
            entry["url"] = url
        if changed:
            entry["note"] = f"repaired: Source URLs item {position} is {item.strip()!r}"
        elif url is None:
            given = item.strip()
            entry["note"] = f"Source URLs item {position} is " + (f"not a URL: {given!r}" if given else "empty")
        repaired = repaired or changed or url is None
        out.append(entry)
    if repaired:
        dataset.setdefault("fields", {})["Source URLs"] = row.text("Source URLs")
    return out


def _clean_url(item: str) -> tuple[str | None, bool]:
    """The URL an item of Source URLs gives, and whether it had to be repaired to get it.

    An item that is one URL (spaces around it aside) is taken as it is. Otherwise the first
    http(s) URL in it is taken and the repair is reported (``https:// http://x`` gives ``http://x``);
    an item with no URL in it gives None.
    """
    text = item.strip()
    if not text:
        return None, False
    if _WHOLE_URL.match(text):
        return text, False
    match = _URL.search(text)
    return (match.group(0), True) if match else (None, False)


def _financing(row: _Row, year: int | None, flow_type: str, locator: dict[str, str]) -> dict[str, Any]:
    item: dict[str, Any] = {}
    amount = row.number_of("Amount (Original Currency)")
    currency = row.text("Original Currency").upper()
    if amount is not None and amount < 0:
        row.bad("Amount (Original Currency)", "a negative amount")
    if amount is not None:
        item["amount"] = _money(amount)
        if currency:
            if not re.fullmatch(r"[A-Z]{3}", currency):
                row.bad("Original Currency", f"{currency!r} is not an ISO 4217 code")
            item["currency"] = currency
    for column, key in (("Amount (Constant USD 2021)", "usd_2021"), ("Amount (Nominal USD)", "usd_nominal")):
        value = row.number_of(column)
        if value is not None:
            if value < 0:
                row.bad(column, "a negative amount")
            item[key] = _money(value)
    adjusted = {}
    for column, key in (
        ("Adjusted Amount (Original Currency)", "amount"),
        ("Adjusted Amount (Constant USD 2021)", "usd_2021"),
        ("Adjusted Amount (Nominal USD)", "usd_nominal"),
    ):
        value = row.number_of(column)
        if value is not None:
            if value < 0:
                row.bad(column, "a negative amount")
            adjusted[key] = _money(value)
    if adjusted:
        item["adjusted"] = adjusted
    if row.flag("Amount Estimated"):
        item["estimated"] = True
    if year is not None:
        item["year"] = year
    simplified = FLOW_TYPE.get(flow_type)
    item["kind"] = simplified if simplified in ("loan", "grant", "technical-assistance", "scholarship") else "other"
    funders = [name.strip() for name in row.items("Funding Agencies") if name.strip()]
    if funders:
        item["party"] = funders[0]
    for column, key in (("Flow Type", "flow_type"), ("Flow Class", "flow_class"), ("Intent", "intent")):
        text = row.text(column)
        if text:
            item[key] = text
    item["evidence"] = [dict(locator)]
    return item


def _parties(row: _Row) -> list[dict[str, Any]]:
    out = []
    for names_column, types_column, role in PARTIES:
        names = row.items(names_column)
        types = row.items(types_column)
        for number, given in enumerate(names):
            name = given.strip()  # the padding of the list's separator ('A | B'), not the name
            if not name:
                continue
            party: dict[str, Any] = {"name": name, "role": role}
            kind = types[number].strip() if number < len(types) else ""
            if kind:
                party["agency_type"] = kind
            out.append(party)
    return out


def _dataset(row: _Row, key: str, code: int | None) -> dict[str, Any]:
    """The row's ``dataset`` block: its source and record, the flags, groups and sector, and every other
    non-empty column under its own name."""
    info: dict[str, Any] = {"source": SOURCE_ID, "record": key}
    aggregate = row.flag("Recommended For Aggregates")
    if aggregate is not None:
        info["aggregate"] = aggregate
    umbrella = row.flag("Umbrella")
    if umbrella is not None:
        info["umbrella"] = umbrella
    groups = [item.strip() for item in row.items("AidData Parent ID") if item.strip()]
    if groups:
        info["groups"] = [group.removesuffix(".0") for group in groups]
    name = row.text("Sector Name")
    if code is not None and name:
        info["sector"] = {"code": code, "name": name}
    recipient = row.text("Recipient")
    if recipient:
        info["recipient"] = recipient
    fields = {}
    cells, index = row.cells, row.index
    for column in _UNMAPPED:
        at = index[column]
        cell = cells[at] if at < len(cells) else ""
        if type(cell) is str and (not cell or cell.isspace()):
            continue  # blank: nothing to keep (most of a row's 126 cells; a CellError is never skipped here)
        value = _value(row, column)
        if value is not None:
            fields[column] = _money(value) if isinstance(value, float) else value
    if fields:
        info["fields"] = fields
    return info


def read(
    path: Path,
    label: str,
    places: Lookup,
    options: Any,
    tally: Any,
    sheet: str | None = None,
    join: Any = None,
) -> Iterator[tuple[dict[str, Any], int]]:
    """The rows of the file as project records, as they are read: (record, row number).

    ``join`` (a :class:`cca.io.importers.locations.Join`) is told every record id read, selected or not.

    Every problem of the file is raised at once (``BadCells``: ``FILE:ROW:COLUMN``, at most 50), or
    with ``options.skip_bad_rows`` the rows with problems are left out and listed in ``tally.skipped``.
    """
    table = open_table(path, label, sheet)
    header = check_header(table.header, label)
    offset = len(table.header) - len(header) if table.header[:1] != header[:1] else 0
    index = {name: number + offset for number, name in enumerate(header)}
    if table.sheet:
        tally.details["sheet"] = table.sheet
    tally.details["selection"] = "every recipient" if options.every_recipient else "recipients in ASEAN and Timor-Leste"
    if not options.every_recipient:
        tally.selected = "rows whose recipient is in ASEAN or Timor-Leste"
        tally.outside_why = "their recipient is outside ASEAN and Timor-Leste"
        tally.widen = "{every_recipient} imports every recipient"
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for number, cells in table.rows:
        tally.rows += 1
        row = _Row(cells, index, label, number)
        record = convert(row, places, options.every_recipient)
        if join is not None and row.index and not row.problems:
            whole = row.whole("AidData Record ID")
            if whole is not None:
                join.saw(whole)
        if record is not None and record["id"] in seen:
            row.bad("AidData Record ID", f"{record['id'][8:]} is given twice (first on row {seen[record['id']]})")
        if row.problems:
            if options.skip_bad_rows:
                tally.skipped += [str(problem) for problem in row.problems]
                continue
            problems += row.problems
            if len(problems) >= 50:
                break
            continue
        if record is None:
            tally.outside += 1
            continue
        if not problems:
            seen[record["id"]] = number
            tally.imported += 1
            yield record, number
    if problems:
        raise BadCells(problems)  # at most the first 50


class AidData:
    """AidData's GCDF 3.0, read from its workbook or a CSV of its ``GCDF_3.0`` sheet, with its ADM1/ADM2
    location files joined to the rows (``--locations``). The importer registered as ``aiddata`` is
    :class:`cca.io.importers.gcdf.GCDF`, which reads 2.0 as well."""

    name = NAME
    title = f"{DATASET}, Version {VERSION}"
    reads = "the .xlsx workbook or a CSV of its data sheet (GCDF 3.0, or 2.0); --locations ADM1/ADM2 files (3.0)"
    source_id = SOURCE_ID
    #: The location files ``--locations`` joins (as AidData names them).
    unit_files = "GCDF_3.0_{level}_Locations.csv"

    def source(self) -> dict[str, Any]:
        return {
            "id": SOURCE_ID,
            "title": f"{DATASET}, Version {VERSION}",
            "publisher": PUBLISHER,
            "date": RELEASE,
            "url": URL,
            "dataset": {"name": DATASET, "version": VERSION, "importer": NAME, "licence": LICENCE,
                        "attribution": ATTRIBUTION},
            "notes": "The dataset's own description (release date, URL, licence and the attribution AidData asks "
            "for), not values from a file; what was imported from which file is each import's provenance.",
        }  # fmt: skip

    def read(self, path: Path, label: str, context: Any, options: Any, tally: Any) -> Iterator[Any]:
        from cca.io.importers import Converted

        sectors = crs_sectors(context.root / "crs-sectors.tsv")
        missing = sorted(set(sectors.values()) - set(context.sectors))
        if missing:
            raise DatasetError(f"the sector tree lacks {', '.join(missing)} (named in crs-sectors.tsv)")
        places = Lookup(context.countries, context.selected, sectors, context.china)
        join = _locations(options, tally)
        iso3_of = {country: code for code, country in context.countries.items()}
        try:
            for record, number in read(path, label, places, options, tally, options.sheet, join):
                if join is not None:
                    recipient = next((iso3_of.get(c) for c in record["countries"] if c != context.china), None)
                    amount = record["financing"][0].get("usd_2021")
                    units = join.units(int(record["dataset"]["record"]), amount, recipient)
                    if units:
                        record.setdefault("location", {})["units"] = units
                yield Converted("projects", record, number)
            if join is not None:
                _tell_locations(join, tally)
        finally:
            if join is not None:
                join.close()


def _locations(options: Any, tally: Any) -> Any:
    """The --locations files, read and held by record id (None without any)."""
    if not options.locations:
        return None
    from cca.io.importers.locations import Join, parse_location_option
    from cca.io.importers.tables import check_file

    join = Join()
    try:
        for given in options.locations:
            level, where = parse_location_option(given)
            check_file(where, str(where))
            problems: list[Problem] | None = [] if options.skip_bad_rows else None
            join.read(where, str(where), level, problems)
            if problems:
                tally.skipped += [str(problem) for problem in problems]
    except BaseException:
        join.close()
        raise
    return join


def _tell_locations(join: Any, tally: Any) -> None:
    found = join.result()
    tally.details["locations"] = {
        "files": found.files,
        "rows": found.rows,
        "records": found.records,
        "stray_rows": found.strays,
        "records_with_foreign_units": found.foreign,
    }
    told = ", ".join(f"{count:,} records have {level.upper()} units" for level, count in found.records.items()
                     if level in found.files)  # fmt: skip
    tally.notes.append(f"locations: {told}")
    if found.foreign:
        tally.notes.append(
            f"locations: {found.foreign:,} record{'s have' if found.foreign != 1 else ' has'} a unit outside the "
            "recipient's country (marked foreign; cca validate lists them)"
        )
    if found.strays:
        tally.notes.append(f"locations: {found.strays:,} rows name records the dataset file does not hold (left out)")
    for sentence in found.disagreements[:5]:
        tally.notes.append(f"locations: {sentence}")
    if len(found.disagreements) > 5:
        tally.notes.append(f"locations: and {len(found.disagreements) - 5:,} more disagreements")


#: GCDF 3.0 alone; the registered importer (cca.io.importers.gcdf) reads 2.0 too.
IMPORTER = AidData()
