"""``cca import cgit`` (issue 18, part 2): the China Global Investment Tracker through the import pipeline.

Workbooks are written at test time by tests/fixtures/cgit/build.py in the tracker's layout, and
tests/fixtures/cgit/cgit_dataset2.csv is a CSV of one sheet as copies in circulation have it (title
rows, padded headers, amounts as text); every row is invented (cca ships no CGIT data).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cca.io.importers import cgit
from tests.conftest import Run

ROOT = Path(__file__).resolve().parent.parent
CSV_COPY = ROOT / "tests" / "fixtures" / "cgit" / "cgit_dataset2.csv"
GCDF = ROOT / "tests" / "fixtures" / "aiddata" / "gcdf3_sample.csv"

_spec = importlib.util.spec_from_file_location("cgit_build", ROOT / "tests" / "fixtures" / "cgit" / "build.py")
assert _spec is not None and _spec.loader is not None
build = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build)


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    where = tmp_path_factory.mktemp("books")
    return {
        "sample": build.write(where / "China-Global-Investment-Tracker-2024-SPRING.xlsx"),
        "later": build.write(where / "China-Global-Investment-Tracker-2024-FALL.xlsx", later=True),
        "text": build.write(where / "cgit_text_amounts.xlsx", text_amounts=True),
    }


@pytest.fixture
def run(cli_app: Any, tmp_path: Path) -> Iterator[Any]:
    data = tmp_path / "data"
    runner = CliRunner()

    def invoke(*args: str, env: dict[str, str] | None = None) -> Run:
        result = runner.invoke(cli_app, ["--data-dir", str(data), *args], env=env, prog_name="cca")
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Run(result.exit_code, result.stdout, result.stderr)

    yield invoke


def _imported(run: Any, path: Path, *more: str) -> Run:
    done = run("import", "cgit", str(path), *more)
    assert done.exit_code == 0, done.stderr
    return done


def _projects(run: Any) -> dict[str, dict[str, Any]]:
    return {p["id"]: p for p in run("projects", "--source", "aei-cgit", "--json").json()}


def test_the_workbook_imports_its_three_datasets(run: Any, books: dict[str, Path]) -> None:
    done = _imported(run, books["sample"])
    assert "imported 8 of 8 rows" in done.stderr
    assert "country names cca does not know (rows kept, the name in dataset.recipient): Britain (Dataset 1 row 11)" in (
        done.stderr
    )
    projects = _projects(run)
    expected = [row.id for row in cgit.read(books["sample"], "x", {}).rows]
    assert sorted(projects) == sorted(expected)
    rail = next(p for p in projects.values() if p["name"].startswith("Example Rail Investment"))
    assert rail["financing"][0]["shares"] == [0.45, 0.35, 0.2]  # '45%, 35%, 20%'
    assert rail["financing"][0]["usd_nominal"] == 1_740_000_000 and rail["usd_2021"] is None
    assert rail["dates"] == {"transaction": "2019-05"} and "bri" not in rail["dataset"]  # a blank BRI: unknown
    assert rail["evidence"] == [{"source": "aei-cgit", "record": rail["id"], "sheet": "Dataset 1", "row": 8}]
    hydro = next(p for p in projects.values() if p["name"].startswith("Example Hydro Group"))
    assert hydro["dataset"]["bri"] is True and hydro["type"] == "investment"
    telecom = next(p for p in projects.values() if p["name"].startswith("Example Telecom"))
    assert telecom["dataset"]["bri"] is False and telecom["dataset"]["recipient"] == "Britain"
    kinds = sorted(p["type"] for p in projects.values())
    assert kinds == ["construction-contract"] * 2 + ["investment"] * 5 + ["troubled-transaction"]
    organisations = {o["id"]: o for o in run("organisations", "--search", "Example Steel", "--json").json()}
    steel = organisations["cgit-org-example-steel-holdings"]
    assert [e["row"] for e in steel["evidence"]] == [9, 10]
    source = run("show", "aei-cgit", "--json").json()["record"]
    assert source["dataset"]["sha256"] == cgit.file_sha256(books["sample"])
    assert source["dataset"]["sheets"] == ["Dataset 1", "Dataset 2", "Dataset 3"] and source["date"] == "2024"
    assert source["imports"][0]["sha256"] == cgit.file_sha256(books["sample"])


def test_ids_survive_a_reimport_a_later_release_and_a_copy_with_text_amounts(run: Any, books: dict[str, Path]) -> None:
    _imported(run, books["sample"])
    first = set(_projects(run))
    _imported(run, books["sample"])
    assert set(_projects(run)) == first
    later = _imported(run, books["later"])
    assert "imported 12 of 12 rows" in later.stderr
    after = set(_projects(run))
    assert first < after and len(after - first) == 4
    _imported(run, books["text"])
    assert set(_projects(run)) == first


def test_dataset_1_plus_2_only_on_request_and_each_transaction_once(run: Any, books: dict[str, Path]) -> None:
    sheets = ["--sheet", "Dataset 1", "--sheet", "Dataset 2", "--sheet", "Dataset 3", "--sheet", "Dataset 1+2"]
    done = _imported(run, books["sample"], *sheets)
    assert "7 rows of Dataset 1+2 repeat rows of Datasets 1 and 2: each imported once" in done.stderr
    projects = _projects(run)
    assert len(projects) == 9
    (combined,) = [p for p in projects.values() if p["type"] == "investment-or-construction"]
    assert combined["name"].startswith("Example Port Group") and combined["evidence"][0]["sheet"] == "Dataset 1+2"


def test_a_csv_of_one_sheet_with_padded_headers_and_text_amounts(run: Any) -> None:
    done = _imported(run, CSV_COPY)
    assert "imported 4 of 4 rows" in done.stderr
    projects = sorted(_projects(run).values(), key=lambda p: p["evidence"][0]["row"])
    assert [p["type"] for p in projects] == ["construction-contract"] * 4
    assert [p["financing"][0]["usd_nominal"] for p in projects] == [1_200_000_000, 2_100_000_000, 115_500_000,
                                                                     1_200_500_000]  # fmt: skip
    assert [p["evidence"][0]["row"] for p in projects] == [7, 8, 9, 10]
    assert {p["evidence"][0]["sheet"] for p in projects} == {"Dataset 2"}
    assert projects[0]["parties"][0] == {
        "name": "PowerChina Road Bridge Group",
        "organisation": "cgit-org-powerchina-road-bridge-group",
        "role": "contractor",
        "country": "china",
    }
    # the same transaction in the workbook and in the CSV has the same id: ids come from what a row says
    power = [p for p in projects if p["name"].startswith("Example Power Construction")][0]
    book_row = next(r for r in cgit.read(CSV_COPY, "x", {}).rows if r.entity == "Example Power Construction")
    assert power["id"] == book_row.id


def test_countries_outside_asean_need_all(run: Any, tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Dataset 2"
    sheet.append(build.D2)
    sheet.append([2019, "May", "Example Co", 500, None, None, "Energy", None, "Brazil", "South America", 1])
    sheet.append([2019, "May", "Example Co", 600, None, None, "Energy", None, "Viet Nam", "East Asia", 1])
    path = tmp_path / "two.xlsx"
    book.save(path)
    done = _imported(run, path, "--sheet", "Dataset 2")
    assert "imported 1 of 2 rows" in done.stderr and "--all imports every country" in done.stderr
    every = _imported(run, path, "--sheet", "Dataset 2", "--all")
    assert "imported 2 of 2 rows" in every.stderr


def test_stats_never_add_nominal_dollars_to_constant_ones(run: Any, books: dict[str, Path]) -> None:
    assert run("import", "aiddata", str(GCDF)).exit_code == 0
    gcdf_only = run("stats", "--json").json()[0]
    _imported(run, books["sample"])
    both = run("stats", "--json").json()[0]
    assert (
        both["adjusted_usd_2021"] == gcdf_only["adjusted_usd_2021"]
    )  # the tracker's rows have no constant-2021 amount
    assert both["records"] == gcdf_only["records"] + 8 and both["with_amount"] == gcdf_only["with_amount"]
    table = " ".join(run("stats", "--format", "table", env={"COLUMNS": "200"}).stdout.split())
    assert "records with no amount in 2021 USD but one in another measure: 8 in nominal USD (--amount usd-nominal)" in (
        table
    )
    nominal = run("stats", "--amount", "usd-nominal", "--source", "aei-cgit", "--json").json()[0]
    assert nominal["usd_nominal"] == sum(row.usd for row in cgit.read(books["sample"], "x", {}).rows)
    by_source = {row["source"]: row for row in run("stats", "--by", "source", "--json").json()}
    tracker = by_source["China Global Investment Tracker"]
    assert tracker["adjusted_usd_2021"] is None and tracker["usd_nominal"] == nominal["usd_nominal"]
    gcdf = by_source["AidData's Global Chinese Development Finance Dataset, Version 3.0"]
    assert gcdf["adjusted_usd_2021"] == gcdf_only["adjusted_usd_2021"]
    assert gcdf["usd_nominal_records"] == gcdf["adjusted_usd_2021_records"]
    shown = run("stats", "--by", "source", "--format", "table", env={"COLUMNS": "200"}).stdout
    assert "Adjusted 2021 USD" in shown and "Nominal USD" in shown and "never added together" in shown
    profile = run("country", "Laos", "--json").json()
    assert [row["source"] for row in profile["financing"]] == ["aiddata-gcdf-3", "aei-cgit"]
    laos = run("country", "Laos", "--format", "plain").stdout
    assert "Financing by dataset (each in its own measure, never added together)" in laos
    assert "China Global Investment Tracker: 2 records; US$ 3.48 bn (nominal USD)" in laos


def test_options_for_other_importers_are_refused(run: Any, books: dict[str, Path]) -> None:
    done = run("import", "cgit", str(books["sample"]), "--locations", "x.csv")
    assert done.exit_code == 2 and "--locations is for aiddata" in done.stderr
    wrong = run("import", "cgit", str(books["sample"]), "--sheet", "Dataset 9")
    assert wrong.exit_code == 1 and "'Dataset 9' is not a CGIT sheet" in wrong.stderr


def test_the_import_is_valid_knowledge(run: Any, books: dict[str, Path]) -> None:
    _imported(run, books["later"])
    done = run("validate")
    assert done.exit_code == 0, done.stderr
    (listed,) = run("import", "--json").json()
    assert (listed["name"], listed["importer"], listed["source"], listed["rows"]) == ("cgit", "cgit", "aei-cgit", 12)
