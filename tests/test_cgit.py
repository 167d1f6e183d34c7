"""The China Global Investment Tracker reader and mapper (issue 18): layout, exact parsing, stable ids, knowledge.

The workbooks are written at test time by tests/fixtures/cgit/build.py in the tracker's layout;
every row in them is invented (cca ships no CGIT data).
"""

from __future__ import annotations

import importlib.util
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from cca.core import schema as cca_schema
from cca.core.errors import BadCells, DatasetError, Problem
from cca.io.formats import knowledge_text
from cca.io.importers import cgit
from cca.io.importers.layout import fold

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "data" / "knowledge.schema.json").read_text(encoding="utf-8"))
SECTORS = cgit.sector_table(ROOT / "data" / "cgit-sectors.tsv")
COUNTRIES = {fold(name): name.lower() for name in ("Laos", "Indonesia", "Malaysia", "Cambodia", "Philippines",
                                                    "Myanmar", "Vietnam")}  # fmt: skip

_spec = importlib.util.spec_from_file_location("cgit_build", ROOT / "tests" / "fixtures" / "cgit" / "build.py")
assert _spec is not None and _spec.loader is not None
build = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build)


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    where = tmp_path_factory.mktemp("cgit")
    return {
        "sample": build.write(where / "China-Global-Investment-Tracker-2024-SPRING.xlsx"),
        "later": build.write(where / "cgit_later.xlsx", later=True),
        "text": build.write(where / "cgit_text_amounts.xlsx", text_amounts=True),
    }


@pytest.fixture(scope="module")
def sample(workbooks: dict[str, Path]) -> cgit.Read:
    return cgit.read(workbooks["sample"], "cgit.xlsx", COUNTRIES)


def _at(read: cgit.Read, sheet: str, row: int) -> cgit.Row:
    (found,) = [r for r in read.rows if (r.sheet, r.row) == (sheet, row)]
    return found


# -- the layout --------------------------------------------------------------------------------------------


def test_the_three_datasets_are_read_by_default_with_the_header_on_row_6(sample: cgit.Read) -> None:
    assert sample.sheets == ("Dataset 1", "Dataset 2", "Dataset 3")
    by_sheet = {name: [r.row for r in sample.rows if r.sheet == name] for name in sample.sheets}
    assert by_sheet == {"Dataset 1": [7, 8, 9, 10, 11], "Dataset 2": [7, 8], "Dataset 3": [7]}
    assert [r.kind for r in sample.rows] == ["investment"] * 5 + ["construction"] * 2 + ["troubled"]
    assert sample.title[1] == "Copyright 2024 American Enterprise Institute and The Heritage Foundation."


def test_the_header_is_found_wherever_it_starts(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Dataset 3"
    sheet.append(["A title"])
    sheet.append(["year", "MONTH", "chinese  entity", "quantity in millions", "Transaction Party", "Sector",
                  "Subsector", "Country", "Region", "Greenfield", "BRI"])  # fmt: skip
    sheet.append([2015, "Dec", "Example Co", 100, None, "Energy", None, "Laos", None, None, 0])
    path = tmp_path / "short.xlsx"
    book.save(path)
    (row,) = cgit.read(path, "short.xlsx", COUNTRIES, sheets=["dataset 3"]).rows
    assert (row.row, row.date, row.entity, row.usd, row.bri, row.country_id) == (
        3, "2015-12", "Example Co", 100_000_000, False, "laos"
    )  # fmt: skip


def test_a_sheet_without_a_column_is_refused_naming_it(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Dataset 2"
    sheet.append(["Year", "Month", "Contractor", "Quantity in Millions", "Share Size", "Transaction Party", "Sector",
                  "Subsector", "Nation", "Region", "BRI"])  # fmt: skip
    path = tmp_path / "renamed.xlsx"
    book.save(path)
    with pytest.raises(DatasetError) as caught:
        cgit.read(path, "renamed.xlsx", COUNTRIES, sheets=["Dataset 2"])
    assert str(caught.value) == "renamed.xlsx [Dataset 2]:1: not CGIT's Dataset 2 layout: missing column 'Country'"


def test_a_missing_or_unknown_sheet_is_refused(workbooks: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"'Dataset 9' is not a CGIT sheet \(they are Dataset 1, Dataset 2"):
        cgit.read(workbooks["sample"], "cgit.xlsx", COUNTRIES, sheets=["Dataset 9"])
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Dataset 1"
    path = tmp_path / "one.xlsx"
    book.save(path)
    with pytest.raises(DatasetError, match=r"one.xlsx: no sheet 'Dataset 2'; its sheets: Dataset 1"):
        cgit.read(path, "one.xlsx", COUNTRIES)


def test_no_header_is_refused(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Dataset 3"
    book.active.append(["just a title"])
    path = tmp_path / "nohead.xlsx"
    book.save(path)
    with pytest.raises(DatasetError, match=r"nohead.xlsx \[Dataset 3\]: no header row"):
        cgit.read(path, "nohead.xlsx", COUNTRIES, sheets=["Dataset 3"])


# -- cells ---------------------------------------------------------------------------------------------------


def test_amounts_and_shares_are_exact(sample: cgit.Read) -> None:
    first, text = _at(sample, "Dataset 1", 7), _at(sample, "Dataset 1", 8)
    assert (first.millions, first.usd, first.shares) == (Decimal(1740), 1_740_000_000, (Decimal("0.45"),))
    assert (text.millions, text.usd) == (Decimal(1740), 1_740_000_000)  # ' $1,740 '
    assert text.shares == (Decimal("0.45"), Decimal("0.35"), Decimal("0.2"))  # '45%, 35%, 20%'
    assert _at(sample, "Dataset 2", 8).usd == 1_200_500_000  # 1200.5 million


def test_bri_month_and_date(sample: cgit.Read) -> None:
    assert [r.bri for r in sample.rows if r.sheet == "Dataset 1"] == [True, None, True, True, False]
    assert _at(sample, "Dataset 1", 7).date == "2019-03"
    assert cgit.parse_month("Sept") == 9 and cgit.parse_month("3.0") == 3 and cgit.parse_month("Ma") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1740", "1740"), ("1740.0", "1740"), (" $1,740 ", "1740"), ("US$ 1,740.5", "1740.5"), ("$95", "95")],
)
def test_parse_millions(text: str, expected: str) -> None:
    assert cgit.parse_millions(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["", "1.740,5", "$1,74", "-5", "abc", "1e3"])
def test_parse_millions_refuses(text: str) -> None:
    assert cgit.parse_millions(text) is None


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=0, max_value=99))
def test_a_dollar_text_amount_is_exact(whole: int, cents: int) -> None:
    text = f" ${whole:,}.{cents:02d} "
    assert cgit.parse_millions(text) == Decimal(f"{whole}.{cents:02d}")
    assert cgit.usd_of(Decimal(f"{whole}.{cents:02d}")) == whole * 1_000_000 + cents * 10_000


@pytest.mark.parametrize(
    ("text", "message"),
    [("45", "ambiguous"), ("145%", "not a share between"), ("half", "not a share"), ("0%", "not a share between")],
)
def test_parse_shares_refuses(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        cgit.parse_shares(text)


def test_bad_cells_are_positioned(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Dataset 1"
    for line in build.TITLE:
        sheet.append(line or [None])
    sheet.append(build.D1)
    sheet.append([2019, "Marchember", "Example Co", "a lot", "45", None, None, None, "Laos", None, "maybe", None])
    sheet.append([None, "May", None, 100, None, None, None, None, None, None, 1, None])
    sheet.append([2019, "May", "Example Co", 100, None, None, None, None, "Laos", None, 1, None])
    path = tmp_path / "bad.xlsx"
    book.save(path)
    with pytest.raises(BadCells) as caught:
        cgit.read(path, "bad.xlsx", COUNTRIES, sheets=["Dataset 1"])
    assert [str(p) for p in caught.value.problems] == [
        "bad.xlsx [Dataset 1]:7:2: Month: 'Marchember' is not a month",
        "bad.xlsx [Dataset 1]:7:4: Quantity in Millions: 'a lot' is not an amount in US$ millions",
        "bad.xlsx [Dataset 1]:7:5: Share Size: '45': '45' is ambiguous: write a percentage (45%) or a fraction (0.45)",
        "bad.xlsx [Dataset 1]:7:11: BRI: 'maybe' is not 1, 0 or blank",
        "bad.xlsx [Dataset 1]:8:1: Year: empty: every row needs its year",
        "bad.xlsx [Dataset 1]:8:3: Investor: empty: every row names its Chinese party",
        "bad.xlsx [Dataset 1]:8:9: Country: empty: every row names its host country",
    ]
    skipped: list[Problem] = []
    read = cgit.read(path, "bad.xlsx", COUNTRIES, sheets=["Dataset 1"], problems=skipped)
    assert [r.row for r in read.rows] == [9] and len(skipped) == 7


def test_every_unmatched_country_is_reported_and_its_rows_kept(sample: cgit.Read) -> None:
    assert sample.unmatched == {"Britain": [("Dataset 1", 11)]}
    britain = _at(sample, "Dataset 1", 11)
    assert britain.country_id is None
    assert cgit.project(britain, "china", SECTORS)["countries"] == ["china"]


# -- ids -----------------------------------------------------------------------------------------------------


def test_ids_are_derived_from_the_content_and_duplicates_numbered(sample: cgit.Read) -> None:
    ids = [r.id for r in sample.rows]
    assert len(set(ids)) == len(ids)
    assert all(
        cgit.stable_id(r.kind, cgit.transaction_key(r)) == r.id.removesuffix("-2") for r in sample.rows
    )  # fmt: skip
    first, second = _at(sample, "Dataset 1", 9), _at(sample, "Dataset 1", 10)
    assert second.id == f"{first.id}-2"
    assert first.id.startswith("cgit-investment-") and len(first.id) == len("cgit-investment-") + 10


def test_ids_survive_a_reimport(workbooks: dict[str, Path], sample: cgit.Read) -> None:
    again = cgit.read(workbooks["sample"], "cgit.xlsx", COUNTRIES)
    assert [r.id for r in again.rows] == [r.id for r in sample.rows]


def test_ids_survive_a_later_release_that_appends_rows(workbooks: dict[str, Path], sample: cgit.Read) -> None:
    later = cgit.read(workbooks["later"], "cgit_later.xlsx", COUNTRIES)
    old = {(r.sheet, r.row): r.id for r in sample.rows}
    new = {(r.sheet, r.row): r.id for r in later.rows}
    assert all(new[place] == old[place] for place in old)
    assert len(later.rows) == len(sample.rows) + 4
    third = _at(later, "Dataset 1", 12)
    assert third.id == f"{_at(sample, 'Dataset 1', 9).id}-3"


def test_a_copy_with_text_amounts_gets_the_same_ids(workbooks: dict[str, Path], sample: cgit.Read) -> None:
    text = cgit.read(workbooks["text"], "text.xlsx", COUNTRIES)
    assert [r.id for r in text.rows] == [r.id for r in sample.rows]


def test_dataset_1_plus_2_repeats_are_given_the_ids_of_1_and_2(workbooks: dict[str, Path], sample: cgit.Read) -> None:
    read = cgit.read(workbooks["sample"], "cgit.xlsx", COUNTRIES, sheets=[*cgit.DEFAULT_SHEETS, "Dataset 1+2"])
    combined = [r for r in read.rows if r.sheet == "Dataset 1+2"]
    assert len(combined) == 8
    only = combined[0]
    assert (only.kind, only.repeats, only.id.startswith("cgit-combined-")) == ("combined", False, True)
    repeats = combined[1:]
    assert all(r.repeats for r in repeats)
    assert [r.id for r in repeats] == [r.id for r in sample.rows if r.sheet in ("Dataset 1", "Dataset 2")]
    assert [r.kind for r in repeats] == ["investment"] * 5 + ["construction"] * 2
    alone = cgit.read(workbooks["sample"], "cgit.xlsx", COUNTRIES, sheets=["Dataset 1+2"])
    assert {r.kind for r in alone.rows} == {"combined"} and not any(r.repeats for r in alone.rows)


# -- as knowledge --------------------------------------------------------------------------------------------


def test_a_row_maps_to_a_project(sample: cgit.Read) -> None:
    row = _at(sample, "Dataset 1", 8)
    locator = {"source": "aei-cgit", "record": row.id, "sheet": "Dataset 1", "row": 8}
    assert cgit.project(row, "china", SECTORS) == {
        "id": row.id,
        "name": "Example Rail Investment: investment with Example Rail Joint Venture, Laos, May 2019",
        "type": "investment",
        "countries": ["china", "laos"],
        "sectors": ["railway"],
        "status": [],
        "dates": {"transaction": "2019-05"},
        "financing": [
            {
                "amount": 1740000000,
                "currency": "USD",
                "usd_nominal": 1740000000,
                "price_base": "nominal",
                "year": 2019,
                "kind": "investment",
                "party": "Example Rail Investment",
                "shares": [0.45, 0.35, 0.2],
                "evidence": [locator],
            }
        ],
        "parties": [
            {
                "name": "Example Rail Investment",
                "organisation": "cgit-org-example-rail-investment",
                "role": "investor",
                "country": "china",
            },
            {
                "name": "Example Rail Joint Venture",
                "organisation": "cgit-org-example-rail-joint-venture",
                "role": "partner",
            },
        ],  # fmt: skip
        "organisations": ["cgit-org-example-rail-investment", "cgit-org-example-rail-joint-venture"],
        "dataset": {
            "source": "aei-cgit",
            "record": row.id,
            "recipient": "Laos",
            "fields": {"Sector": "Transport", "Subsector": "Rail", "Region": "East Asia"},
        },
        "evidence": [locator],
    }


def test_kinds_and_roles(sample: cgit.Read) -> None:
    contract, troubled = _at(sample, "Dataset 2", 7), _at(sample, "Dataset 3", 7)
    built = cgit.project(contract, "china", SECTORS)
    assert (built["type"], built["parties"][0]["role"], built["financing"][0]["kind"]) == (
        "construction-contract", "contractor", "contract"
    )  # fmt: skip
    failed = cgit.project(troubled, "china", SECTORS)
    assert (failed["type"], failed["parties"][0]["role"], failed["sectors"]) == (
        "troubled-transaction",
        "other",
        ["industry"],
    )
    assert cgit.project(_at(sample, "Dataset 1", 7), "china", SECTORS)["dataset"]["bri"] is True


def test_sectors_map_through_the_declared_table(kb: Any) -> None:
    known = {sector.id for sector in kb.sectors()}
    assert set(SECTORS.values()) <= known
    assert SECTORS[("transport", "rail")] == "railway" and SECTORS[("energy", "")] == "energy"


def _document(read: cgit.Read) -> dict[str, Any]:
    projects = [cgit.project(row, "china", SECTORS) for row in read.rows]
    organisations = cgit.merge_organisations(org for row in read.rows for org in cgit.organisations(row, "china"))
    return {"format": 1, "sources": [cgit.source(read, imported="2024-06-01")], "organisations": organisations,
            "projects": projects}  # fmt: skip


def test_every_mapped_record_is_valid_against_the_schema(sample: cgit.Read) -> None:
    document = _document(sample)
    root = cca_schema.knowledge_schema()
    for section in ("sources", "organisations", "projects"):
        item_schema = root["properties"][section]["items"]
        for index, item in enumerate(document[section]):
            assert cca_schema.validate_item(item, item_schema, root, "cgit", section, index) == []
    jsonschema.Draft202012Validator(SCHEMA).validate(document)


def test_the_mapped_knowledge_loads_with_the_bundled_knowledge(cca: Any, sample: cgit.Read, tmp_path: Path) -> None:
    """References resolve (countries, sectors, organisations) and the locators point at a dataset source."""
    document = _document(sample)
    (tmp_path / "cgit.yaml").write_text(knowledge_text(document), encoding="utf-8")
    result = cca("--data-dir", str(tmp_path), "validate")
    assert result.exit_code == 0, result.stderr
    assert (
        yaml.safe_load((tmp_path / "cgit.yaml").read_text(encoding="utf-8"))["projects"][0]["id"] == sample.rows[0].id
    )


def test_organisations_merge_across_rows(sample: cgit.Read) -> None:
    merged = cgit.merge_organisations(org for row in sample.rows for org in cgit.organisations(row, "china"))
    steel = next(org for org in merged if org["name"] == "Example Steel Holdings")
    assert [item["row"] for item in steel["evidence"]] == [9, 10]
    assert len({org["id"] for org in merged}) == len(merged)


def test_the_source_record(sample: cgit.Read, workbooks: dict[str, Path]) -> None:
    record = cgit.source(sample, imported="2024-06-01")
    assert record == {
        "id": "aei-cgit",
        "title": "China Global Investment Tracker",
        "publisher": "American Enterprise Institute and The Heritage Foundation",
        "date": "2024",
        "url": "https://www.aei.org/china-global-investment-tracker/",
        "copyright": "Copyright 2024 American Enterprise Institute and The Heritage Foundation.",
        "dataset": {
            "name": "China Global Investment Tracker",
            "importer": "cgit",
            "file": "China-Global-Investment-Tracker-2024-SPRING.xlsx",
            "sha256": cgit.file_sha256(workbooks["sample"]),
            "sheets": ["Dataset 1", "Dataset 2", "Dataset 3"],
            "rows": 8,
            "imported": "2024-06-01",
            "licence": cgit.LICENCE,
            "attribution": "Free for public use with the proper citation: please cite the China Global "
            "Investment Tracker.",
        },
        "notes": record["notes"],
    }
    assert "the year in the file's name" in record["notes"] and "nominal US dollars" in record["notes"]
    assert cgit.source(sample, release="2024-07")["date"] == "2024-07"
