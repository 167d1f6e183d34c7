"""Which version of AidData's Global Chinese Development Finance Dataset a file is, and GCDF 2.0 rows as knowledge.

The version is told by the header: 3.0's 126 columns start ``AidData Record ID``
(:data:`cca.io.importers.aiddata.COLUMNS`); 2.0's 70 columns (sheet ``Global_CDF2.0``) start
``AidData TUFF Project ID`` and carry ``Amount (Constant USD2017)`` and ``Amount (Nominal)``. Any
other header is refused, naming the columns that differ from the closer of the two.

A 2.0 row maps onto the fields a 3.0 row fills where the meaning is the same, but keeps its own
name and base: ids ``aiddata2-<TUFF id>`` (3.0's are ``aiddata-<Record ID>``, even where the number is
the same), amounts in constant 2017 dollars as ``usd_2017``, never 3.0's ``usd_2021``. AidData says the two
versions are not directly comparable, and the source record says which version a record is from.

The 2.0 header is the 70 field names of the workbook's ``Definitions`` sheet, as the public
``chinadevfin2`` R package reads them (t-emery/chinadevfin2: its data dictionary, joined by
snake-case name to the columns of the data sheet). Every name but one matched a data-sheet column
that way, so case and spacing are not verified (they are matched case- and space-insensitively)
and one column's data-sheet name is unknown: :data:`V2_UNVERIFIED`, accepted under any name at its
position and kept under the name the file gives.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from cca.core.errors import BadCells, DatasetError, Problem
from cca.io.importers import aiddata
from cca.io.importers.layout import differences, fold, summary
from cca.io.importers.tables import open_table

Version = Literal["2.0", "3.0"]

V2_SOURCE_ID = "aiddata-gcdf-2"
V2_NAME = "aiddata2"
V2_SHEET = "Global_CDF2.0"
V2_VERSION = "2.0"
#: Published 29 September 2021 (AidData, with the TUFF 2.0 methodology report).
V2_RELEASE = "2021-09-29"
#: The data dictionary: "The coding of the Status field in the 2.0 dataset is based on sources that were
#: available as late as August 2021."
V2_STATUS_AS_OF = "2021-08"
V2_URL = "https://www.aiddata.org/data/aiddatas-global-chinese-development-finance-dataset-version-2-0"
V2_ATTRIBUTION = (
    "Custer, S., Dreher, A., Elston, T.B., Fuchs, A., Ghose, S., Lin, J., Malik, A., Parks, B.C., Russell, B., "
    "Solomon, K., Strange, A., Tierney, M.J., Walsh, K., Zaleski, L., and Zhang, S. 2021. Tracking Chinese "
    "Development Finance: An Application of AidData's TUFF 2.0 Methodology. Williamsburg, VA: AidData at "
    "William & Mary."
)

#: The 70 columns of the Global_CDF2.0 sheet, in order (see the module's note on how they are known).
V2_COLUMNS: tuple[str, ...] = (
    "AidData TUFF Project ID", "Recommended For Aggregates", "Umbrella", "Financier Country", "Recipient",
    "Recipient Region", "Commitment Year", "Commitment Year Estimated", "Implementation Start Year",
    "Completion Year", "Title", "Description", "Staff Comments", "Status", "Intent", "Flow Type", "Concessional",
    "Flow Class", "Sector Code", "Sector Name", "Funding Agencies", "Funding Agencies Type", "Cofinanced",
    "Cofinancing Agencies", "Cofinancing Agencies Type", "Cofinancing Agencies Origin", "Receiving Agencies",
    "Receiving Agencies Type", "Receiving Agencies Origin", "Implementing Agencies", "Implementing Agencies Type",
    "Implementing Agencies Origin", "Accountable Agencies", "Accountable Agencies Type",
    "Accountable Agencies Origin", "Amount (Original Currency)", "Original Currency", "Amount (Constant USD2017)",
    "Amount (Nominal)", "Planned Implementation Start Date (MM/DD/YYYY)", "Planned Completion Date (MM/DD/YYYY)",
    "Actual Implementation Start Date (MM/DD/YYYY)", "Actual Completion Date (MM/DD/YYYY)", "Loan Type",
    "Maturity", "Interest Rate", "Grace Period", "Management Fee", "Commitment Fee", "Grant Element",
    "Guarantee Provided", "Insurance Provided", "Collateralized/Securitized", "Collateral",
    "Official Source Count", "Non-Official Source Count", "Source URLs", "Source Titles", "Source Publishers",
    "Source Type", "Geographic Location", "geoJSON URL Viz", "geoJSON URL DL", "Contact Name", "Contact Position",
    "ODA Eligible Recipient", "Source Quality Score", "Data Completeness Score", "Project Implementation Score",
    "Loan Detail Score",
)  # fmt: skip
#: Columns whose name in the data sheet is not known (the Definitions sheet's name did not match it).
V2_UNVERIFIED = frozenset({"Non-Official Source Count"})

V2_INT = frozenset(
    {"AidData TUFF Project ID", "Commitment Year", "Implementation Start Year", "Completion Year", "Sector Code",
     "Official Source Count", "Non-Official Source Count", "Source Quality Score", "Data Completeness Score"}
)  # fmt: skip
V2_FLOAT = frozenset(
    {"Amount (Original Currency)", "Amount (Constant USD2017)", "Amount (Nominal)", "Maturity", "Interest Rate",
     "Grace Period", "Management Fee", "Commitment Fee", "Grant Element", "Project Implementation Score",
     "Loan Detail Score"}
)  # fmt: skip
V2_DATES = (
    ("Planned Implementation Start Date (MM/DD/YYYY)", "planned_start"),
    ("Actual Implementation Start Date (MM/DD/YYYY)", "actual_start"),
    ("Planned Completion Date (MM/DD/YYYY)", "planned_completion"),
    ("Actual Completion Date (MM/DD/YYYY)", "actual_completion"),
)
#: 2.0's status vocabulary (its dictionary names the completed category both "Completed" and "Completion").
V2_STATUS = {**aiddata.STATUS, "Completed": "completed"}
#: 2.0's flow types: (project type, financing kind), onto 3.0's vocabulary where the meaning is the same.
V2_FLOW_TYPE = {
    "Loan": ("loan", "loan"),
    "Export Buyer's Credit": ("loan", "export-credit"),
    "Supplier's Credit/Export Seller's Credit": ("loan", "export-credit"),
    "Debt Forgiveness": ("debt-relief", "other"),
    "Debt Rescheduling": ("debt-relief", "other"),
    "Grant": ("grant", "grant"),
    "Scholarships/Training in Donor Country": ("scholarship", "scholarship"),
    "Freestanding Technical Assistance": ("technical-assistance", "technical-assistance"),
    "Vague (TBD)": ("financing", "other"),
}
V2_PARTIES = (
    ("Funding Agencies", "Funding Agencies Type", "funder"),
    ("Cofinancing Agencies", "Cofinancing Agencies Type", "co-financier"),
    ("Receiving Agencies", "Receiving Agencies Type", "receiver"),
    ("Implementing Agencies", "Implementing Agencies Type", "implementer"),
    ("Accountable Agencies", "Accountable Agencies Type", "other"),
)
V2_MAPPED = frozenset(
    {"AidData TUFF Project ID", "Recommended For Aggregates", "Umbrella", "Recipient", "Commitment Year",
     "Commitment Year Estimated", "Title", "Description", "Status", "Intent", "Flow Type", "Flow Class",
     "Sector Code", "Sector Name", "Amount (Original Currency)", "Original Currency", "Amount (Constant USD2017)",
     "Amount (Nominal)", "Source URLs", "Geographic Location", *(column for pair in V2_PARTIES for column in pair[:2]),
     *(column for column, _ in V2_DATES)}
)  # fmt: skip


# -- the version -------------------------------------------------------------------------------------------


def detect(header: Sequence[str], label: str) -> Version:
    """``"3.0"`` or ``"2.0"`` from a header (after pandas' index column); else a DatasetError on what differs."""
    names = list(header)
    while names and not names[-1].strip():
        names.pop()
    if len(names) > 1 and names[0].strip() in ("", "Unnamed: 0"):
        names = names[1:]  # written with pandas' index
    if not differences(names, aiddata.COLUMNS, folded=True):
        return "3.0"
    if not _v2_differences(names):
        return "2.0"
    v3, v2 = differences(names, aiddata.COLUMNS, folded=True), _v2_differences(names)
    first = fold(names[0]) if names else ""
    closer: Version
    if first == fold(V2_COLUMNS[0]):
        closer = "2.0"
    elif first == fold(aiddata.COLUMNS[0]):
        closer = "3.0"
    else:
        closer = "2.0" if len(v2) < len(v3) else "3.0"
    parts, expected = (v2, len(V2_COLUMNS)) if closer == "2.0" else (v3, len(aiddata.COLUMNS))
    raise DatasetError(
        f"{label}: not a GCDF layout AidData published (3.0: 126 columns from 'AidData Record ID'; 2.0: 70 from "
        f"'AidData TUFF Project ID'); {len(names)} columns, closest to {closer} ({expected}): {summary(parts)}"
    )


def _v2_differences(names: Sequence[str]) -> list[str]:
    """How a header differs from 2.0's, an unverified column accepted under any name at its position."""
    expected = list(V2_COLUMNS)
    if len(names) == len(expected):
        for index, column in enumerate(V2_COLUMNS):
            if column in V2_UNVERIFIED and names[index].strip():
                expected[index] = names[index]
    return differences(names, expected, folded=True)


# -- 2.0 rows ----------------------------------------------------------------------------------------------


def read_v2(
    path: Path,
    label: str,
    *,
    china: str,
    sectors: Mapping[int, str],
    countries: Mapping[str, str],
    sheet: str | None = None,
    unmatched: dict[str, list[int]] | None = None,
    problems: list[Problem] | None = None,
) -> Iterator[dict[str, Any]]:
    """Stream a GCDF 2.0 workbook (sheet ``Global_CDF2.0``) or CSV as project records.

    ``china`` is China's country id, ``sectors`` OECD CRS code -> cca sector id (crs-sectors.tsv),
    ``countries`` a :func:`fold`-ed country name -> cca id (2.0 names recipients, it has no ISO
    codes); a recipient it does not know is added to ``unmatched`` with its rows and kept in the
    record's ``dataset.recipient`` (a regional recipient is one such). Bad cells: as
    :func:`cca.io.importers.locations.read_units`.
    """
    for _, record in numbered_v2(
        path, label, china=china, sectors=sectors, countries=countries, sheet=sheet, unmatched=unmatched,
        problems=problems,
    ):  # fmt: skip
        if record is not None:
            yield record


def numbered_v2(
    path: Path,
    label: str,
    *,
    china: str,
    sectors: Mapping[int, str],
    countries: Mapping[str, str],
    sheet: str | None = None,
    unmatched: dict[str, list[int]] | None = None,
    problems: list[Problem] | None = None,
) -> Iterator[tuple[int, dict[str, Any] | None]]:
    """As :func:`read_v2`, with each row's number: ``(row, record)``, or ``(row, None)`` for a row left out."""
    table = open_table(path, label, sheet or (V2_SHEET if is_workbook(path) else None))
    if detect(table.header, label) != "2.0":
        raise DatasetError(f"{label}: this is GCDF 3.0, not 2.0: import it as GCDF 3.0")
    offset = 1 if table.header[0].strip() in ("", "Unnamed: 0") and len(table.header) > len(V2_COLUMNS) else 0
    index = {name: number + offset for number, name in enumerate(V2_COLUMNS)}
    found: list[Problem] = []
    seen: dict[str, int] = {}
    for number, cells in table.rows:
        row = aiddata._Row(cells, index, label, number)
        record = record_v2(row, china=china, sectors=sectors, countries=countries)
        if record is not None and record["id"] in seen:
            row.bad("AidData TUFF Project ID", f"{record['dataset']['record']} is given twice (first on row "
                    f"{seen[record['id']]})")  # fmt: skip
        if row.problems:
            if problems is not None:
                problems.extend(row.problems)
                yield number, None
                continue
            found.extend(row.problems)
            if len(found) >= 50:
                break
            continue
        if record is None:
            yield number, None
            continue
        seen[record["id"]] = number
        if unmatched is not None and len(record["countries"]) == 1 and record["dataset"].get("recipient"):
            unmatched.setdefault(record["dataset"]["recipient"], []).append(number)
        if not found:
            yield number, record
    if found:
        raise BadCells(found[:50])


def is_workbook(path: Path) -> bool:
    return path.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")


def record_v2(
    row: aiddata._Row, *, china: str, sectors: Mapping[int, str], countries: Mapping[str, str]
) -> dict[str, Any] | None:
    """One 2.0 row as a project record, mapped as 3.0's importer maps a 3.0 row; bad cells land in ``row.problems``."""
    project_id = row.whole("AidData TUFF Project ID")
    if project_id is None:
        if not row.problems:
            row.bad("AidData TUFF Project ID", "empty: every row needs its project id")
        return None
    key = str(project_id)
    locator = {"source": V2_SOURCE_ID, "record": key}
    title = row.text("Title")
    if not title:
        row.bad("Title", "empty: every row needs a title")
    flow_type = row.text("Flow Type")
    project_type, financing_kind = V2_FLOW_TYPE.get(flow_type, ("financing", "other"))
    out: dict[str, Any] = {"id": f"aiddata2-{key}", "name": title, "type": project_type}
    recipient = row.text("Recipient")
    found = countries.get(fold(recipient)) if recipient else None
    out["countries"] = [china] + ([found] if found and found != china else [])
    code = row.whole("Sector Code")
    out["sectors"] = [sectors.get(code, "unspecified") if code is not None else "unspecified"]
    description = row.text("Description")
    if description:
        out["summary"] = description
    status = row.text("Status")
    out["status"] = []
    if status:
        value = V2_STATUS.get(status)
        if value is None:
            row.bad("Status", f"{status!r} is not one of: {', '.join(V2_STATUS)}")
        else:
            out["status"] = [{"value": value, "as_of": V2_STATUS_AS_OF, "evidence": [dict(locator)]}]
    dates: dict[str, Any] = {}
    year = row.whole("Commitment Year")
    if year is not None:
        dates["commitment"] = str(year)
    for column, name in V2_DATES:
        value = row.date(column)
        if value:
            dates[name] = value
    if row.flag("Commitment Year Estimated"):
        dates["estimated"] = ["commitment"]
    if dates:
        out["dates"] = dates
    out["financing"] = [_financing(row, year, financing_kind, locator)]
    parties = _parties(row)
    if parties:
        out["parties"] = parties
    where = row.text("Geographic Location")
    if where:
        out["location"] = {"narrative": where}
    out["dataset"] = _dataset(row, key, code, recipient)
    urls = [url for url, _ in (aiddata._clean_url(item) for item in row.items("Source URLs")) if url]
    out["evidence"] = [{**locator, "url": url} for url in dict.fromkeys(urls)] or [dict(locator)]
    return out


def _financing(row: aiddata._Row, year: int | None, kind: str, locator: dict[str, str]) -> dict[str, Any]:
    item: dict[str, Any] = {}
    amount = row.number_of("Amount (Original Currency)")
    currency = row.text("Original Currency").upper()
    if amount is not None:
        item["amount"] = aiddata._money(amount)
        if currency:
            if not re.fullmatch(r"[A-Z]{3}", currency):
                row.bad("Original Currency", f"{currency!r} is not an ISO 4217 code")
            item["currency"] = currency
    for column, name in (("Amount (Constant USD2017)", "usd_2017"), ("Amount (Nominal)", "usd_nominal")):
        value = row.number_of(column)
        if value is not None:
            if value < 0:
                row.bad(column, "a negative amount")
            item[name] = aiddata._money(value)
    item["price_base"] = "constant-2017"
    if year is not None:
        item["year"] = year
    item["kind"] = kind
    funders = [name for name in row.items("Funding Agencies") if name]
    if funders:
        item["party"] = funders[0]
    for column, name in (("Flow Type", "flow_type"), ("Flow Class", "flow_class"), ("Intent", "intent")):
        text = row.text(column)
        if text:
            item[name] = text
    item["evidence"] = [dict(locator)]
    return item


def _parties(row: aiddata._Row) -> list[dict[str, Any]]:
    out = []
    for names_column, types_column, role in V2_PARTIES:
        types = row.items(types_column)
        for number, name in enumerate(row.items(names_column)):
            if not name:
                continue
            party: dict[str, Any] = {"name": name, "role": role}
            kind = types[number] if number < len(types) else ""
            if kind:
                party["agency_type"] = kind
            out.append(party)
    return out


def _dataset(row: aiddata._Row, key: str, code: int | None, recipient: str) -> dict[str, Any]:
    info: dict[str, Any] = {"source": V2_SOURCE_ID, "record": key}
    for column, name in (("Recommended For Aggregates", "aggregate"), ("Umbrella", "umbrella")):
        flag = row.flag(column)
        if flag is not None:
            info[name] = flag
    sector = row.text("Sector Name")
    if code is not None and sector:
        info["sector"] = {"code": code, "name": sector}
    if recipient:
        info["recipient"] = recipient
    fields: dict[str, Any] = {}
    for column in V2_COLUMNS:
        if column in V2_MAPPED:
            continue
        value: Any
        if column in V2_INT:
            value = row.whole(column)
        elif column in V2_FLOAT:
            number = row.number_of(column)
            value = None if number is None else aiddata._money(number)
        else:
            value = row.text(column) or None
            if value is not None and column in aiddata.LIST_COLUMNS and "|" in value:
                value = " | ".join(row.items(column))
        if value is not None:
            fields[column] = value
    if fields:
        info["fields"] = fields
    return info


def source_v2(path: Path, rows: int, *, sheet: str | None = None, imported: str | None = None) -> dict[str, Any]:
    """GCDF 2.0 as a cca source record: the version in its title and dataset, and why it stands apart from 3.0."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    dataset: dict[str, Any] = {
        "name": aiddata.DATASET,
        "version": V2_VERSION,
        "importer": V2_NAME,
        "file": path.name,
        "sha256": digest.hexdigest(),
    }
    if sheet:
        dataset["sheet"] = sheet
    dataset.update(
        rows=rows,
        imported=imported or dt.date.today().isoformat(),
        licence=aiddata.LICENCE,
        attribution=V2_ATTRIBUTION,
    )
    return {
        "id": V2_SOURCE_ID,
        "title": f"{aiddata.DATASET}, Version {V2_VERSION}",
        "publisher": aiddata.PUBLISHER,
        "date": V2_RELEASE,
        "url": V2_URL,
        "dataset": dataset,
        "notes": "Version 2.0 (2000-2017 commitments, amounts in constant 2017 US dollars). AidData says its "
        "versions are not directly comparable, so 2.0 rows keep their own ids (aiddata2-<TUFF id>, even where a "
        "3.0 record has the same number) and amounts (usd_2017), never summed with 3.0's. The release date, URL "
        "and attribution are AidData's description of the dataset, not values from the file.",
    }
