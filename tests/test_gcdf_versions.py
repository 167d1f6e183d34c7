"""GCDF versions (issue 18): the version told by the header, and GCDF 2.0 rows as knowledge kept apart from 3.0's.

tests/fixtures/aiddata/gcdf2_sample.csv is written by this project in GCDF 2.0's 70-column layout
(the names of the workbook's Definitions sheet; see cca.io.importers.gcdf_versions); its rows are invented.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from cca.core import schema as cca_schema
from cca.core.errors import BadCells, DatasetError
from cca.io.formats import knowledge_text
from cca.io.importers import aiddata, gcdf_versions
from cca.io.importers.gcdf_versions import V2_COLUMNS, detect, read_v2, source_v2
from cca.io.importers.layout import fold

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "aiddata"
V2 = FIXTURES / "gcdf2_sample.csv"
V3 = FIXTURES / "gcdf3_sample.csv"
SCHEMA = json.loads((ROOT / "data" / "knowledge.schema.json").read_text(encoding="utf-8"))
SECTORS = aiddata.crs_sectors(ROOT / "data" / "crs-sectors.tsv")
COUNTRIES = {fold(name): name.lower() for name in ("Laos", "Cambodia", "Indonesia")}


def _header(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return next(csv.reader(handle))


def _rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def _records(path: Path = V2, **options: Any) -> list[dict[str, Any]]:
    return list(read_v2(path, path.name, china="china", sectors=SECTORS, countries=COUNTRIES, **options))


# -- the version ---------------------------------------------------------------------------------------------


def test_the_version_is_told_by_the_header() -> None:
    assert detect(_header(V3), "v3.csv") == "3.0"
    assert detect(_header(V2), "v2.csv") == "2.0"
    assert detect(["Unnamed: 0", *_header(V2)], "v2.csv") == "2.0"  # pandas' index column
    assert detect([name.upper() for name in _header(V2)], "v2.csv") == "2.0"  # case is not verified for 2.0
    assert len(V2_COLUMNS) == 70 and V2_COLUMNS[0] == "AidData TUFF Project ID"


def test_the_unverified_2_0_column_is_accepted_under_any_name() -> None:
    header = _header(V2)
    header[V2_COLUMNS.index("Non-Official Source Count")] = "Unofficial Source Count"
    assert detect(header, "v2.csv") == "2.0"


def test_an_unknown_layout_is_refused_naming_the_columns_that_differ() -> None:
    header = _header(V2)
    header[V2_COLUMNS.index("Amount (Constant USD2017)")] = "Amount (Constant USD 2017)"
    with pytest.raises(DatasetError) as caught:
        detect(header[:-1], "odd.csv")
    assert str(caught.value) == (
        "odd.csv: not a GCDF layout AidData published (3.0: 126 columns from 'AidData Record ID'; 2.0: 70 from "
        "'AidData TUFF Project ID'); 69 columns, closest to 2.0 (70): 'Amount (Constant USD2017)' is named "
        "'Amount (Constant USD 2017)'; missing column 'Loan Detail Score'"
    )
    with pytest.raises(DatasetError, match=r"closest to 3.0 \(126\): missing column 'Title'"):
        detect([name for name in _header(V3) if name != "Title"], "v3.csv")


def test_a_3_0_file_is_not_read_as_2_0() -> None:
    with pytest.raises(DatasetError, match="this is GCDF 3.0, not 2.0"):
        _records(V3)


# -- 2.0 rows ------------------------------------------------------------------------------------------------


def test_a_2_0_row_maps_onto_the_fields_of_a_3_0_row_in_its_own_base() -> None:
    laos = _records()[0]
    locator = {"source": "aiddata-gcdf-2", "record": "88001"}
    assert laos["id"] == "aiddata2-88001"
    assert (laos["type"], laos["countries"], laos["sectors"]) == ("loan", ["china", "laos"], ["transport"])
    assert laos["status"] == [{"value": "completed", "as_of": "2021-08", "evidence": [locator]}]
    assert laos["dates"] == {
        "commitment": "2016",
        "planned_start": "2016-12-01",
        "actual_start": "2016-12-25",
        "planned_completion": "2021-12-01",
        "actual_completion": "2021-12-03",
    }
    assert laos["financing"] == [
        {
            "amount": 9800000000,
            "currency": "CNY",
            "usd_2017": 1500123456.78,
            "usd_nominal": 1470000000,
            "price_base": "constant-2017",
            "year": 2016,
            "kind": "loan",
            "party": "Export-Import Bank of China (China Eximbank)",
            "flow_type": "Loan",
            "flow_class": "OOF-like",
            "intent": "Mixed",
            "evidence": [locator],
        }
    ]
    assert "usd_2021" not in json.dumps(laos)
    roles = [(party["role"], party["name"]) for party in laos["parties"]]
    assert roles == [
        ("funder", "Export-Import Bank of China (China Eximbank)"),
        ("receiver", "Example Railway Company"),
        ("implementer", "Example Railway Group"),
        ("implementer", "Example Engineering Bureau"),
        ("other", "Example Ministry of Finance"),
    ]
    assert laos["location"] == {"narrative": "Along an invented railway alignment"}
    assert laos["evidence"] == [
        {**locator, "url": "https://example.com/laos-rail-loan"},
        {**locator, "url": "https://example.org/annual-report-2016"},
    ]
    dataset = laos["dataset"]
    assert (dataset["aggregate"], dataset["umbrella"], dataset["sector"], dataset["recipient"]) == (
        True,
        False,
        {"code": 210, "name": "TRANSPORT AND STORAGE"},
        "Laos",
    )
    fields = dataset["fields"]
    assert fields["Non-Official Source Count"] == 3 and fields["Maturity"] == 20 and fields["Interest Rate"] == 2.3
    assert fields["Source Titles"] == "Invented railway loan report | Invented annual report 2016"
    assert fields["Implementing Agencies Origin"] == "China|China"


def test_flow_types_and_statuses_map_as_3_0s() -> None:
    pledge, credit, training = _records()[1:]
    assert (pledge["type"], pledge["status"][0]["value"], pledge["dates"]["estimated"]) == (
        "grant",
        "planned",
        ["commitment"],
    )
    assert pledge["dataset"]["aggregate"] is False
    assert (credit["type"], credit["financing"][0]["kind"]) == ("loan", "export-credit")
    assert (training["type"], training["financing"][0]["kind"]) == ("scholarship", "scholarship")


def test_a_recipient_the_lookup_lacks_is_reported_and_kept() -> None:
    unmatched: dict[str, list[int]] = {}
    regional = _records(unmatched=unmatched)[3]
    assert unmatched == {"Asia, regional": [5]}
    assert regional["countries"] == ["china"] and regional["dataset"]["recipient"] == "Asia, regional"


def test_bad_cells_are_positioned(tmp_path: Path) -> None:
    rows = _rows(V2)
    rows[1][V2_COLUMNS.index("Status")] = "Done"
    rows[2][V2_COLUMNS.index("Amount (Constant USD2017)")] = "lots"
    rows[3][0] = rows[4][0]
    path = tmp_path / "bad.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    with pytest.raises(BadCells) as caught:
        _records(path)
    assert [str(problem) for problem in caught.value.problems] == [
        "bad.csv:2:14: Status: 'Done' is not one of: Pipeline: Pledge, Pipeline: Commitment, Implementation, "
        "Completion, Suspended, Cancelled, Completed",
        "bad.csv:3:38: Amount (Constant USD2017): 'lots' is not a number",
        "bad.csv:5:1: AidData TUFF Project ID: 88004 is given twice (first on row 4)",
    ]


def test_a_2_0_workbook_is_read_from_its_sheet(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Definitions"
    sheet = book.create_sheet(gcdf_versions.V2_SHEET)
    for row in _rows(V2):
        sheet.append([float(cell) if cell.replace(".", "").isdigit() else (cell or None) for cell in row])
    path = tmp_path / "AidDatasGlobalChineseDevelopmentFinanceDataset_v2.0.xlsx"
    book.save(path)
    assert [record["id"] for record in _records(path)] == [f"aiddata2-8800{n}" for n in range(1, 5)]


def test_the_source_says_which_version() -> None:
    record = source_v2(V2, 4, imported="2024-06-01")
    assert record["title"] == "AidData's Global Chinese Development Finance Dataset, Version 2.0"
    assert (record["dataset"]["version"], record["date"], record["id"]) == ("2.0", "2021-09-29", "aiddata-gcdf-2")
    assert "not directly comparable" in record["notes"]
    assert record["dataset"]["attribution"].startswith("Custer, S., Dreher, A., Elston, T.B., Fuchs, A.")


def _document() -> dict[str, Any]:
    return {"format": 1, "sources": [source_v2(V2, 4, imported="2024-06-01")], "projects": _records()}


def test_every_2_0_record_is_valid_against_the_schema() -> None:
    document = _document()
    root = cca_schema.knowledge_schema()
    for section in ("sources", "projects"):
        for index, item in enumerate(document[section]):
            assert (
                cca_schema.validate_item(item, root["properties"][section]["items"], root, "v2", section, index) == []
            )
    jsonschema.Draft202012Validator(SCHEMA).validate(document)


def test_2_0_knowledge_loads_beside_the_bundled_knowledge(cca: Any, tmp_path: Path) -> None:
    (tmp_path / "aiddata2.yaml").write_text(knowledge_text(_document()), encoding="utf-8")
    result = cca("--data-dir", str(tmp_path), "validate")
    assert result.exit_code == 0, result.stderr
