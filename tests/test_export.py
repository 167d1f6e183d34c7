"""Exports: SQLite (served by Datasette), CSV matching the JSON record for record, one JSON document."""

from __future__ import annotations

import asyncio
import csv
import json
import sqlite3
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from cca.core.kb import KnowledgeBase
from cca.core.kinds import KINDS
from cca.core.outschema import output_fields as fields

ALL_KINDS = KINDS.names()
PLURALS = {kind.name: kind.plural for kind in KINDS}


@pytest.fixture
def database(cca: Any, tmp_path: Path) -> Path:
    path = tmp_path / "kb.db"
    result = cca("export", "--format", "sqlite", str(path))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    return path


def test_sqlite_answers_the_laos_question(database: Path) -> None:
    with sqlite3.connect(database) as db:
        rows = db.execute(
            "SELECT p.name, p.status, p.status_reported FROM projects p "
            "JOIN project_countries pc ON pc.project_id = p.id "
            "JOIN countries c ON c.id = pc.country_id WHERE c.iso2 = 'LA'"
        ).fetchall()
    assert rows == [("China-Laos Railway", "operational", "2023-04-13")]


def test_sqlite_has_fts_foreign_keys_indexes_and_json_names(database: Path, kb: KnowledgeBase) -> None:
    with sqlite3.connect(database) as db:
        hits = {row[0] for row in db.execute("SELECT id FROM search WHERE search MATCH 'railway'")}
        assert {"china-laos-railway", "jakarta-bandung-high-speed-railway"} <= hits
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        links = db.execute("PRAGMA foreign_key_list(project_countries)").fetchall()
        assert {row[2] for row in links} == {"projects", "countries"}
        indexes = {row[1] for row in db.execute("SELECT * FROM sqlite_master WHERE type = 'index'")}
        assert {"projects_status", "project_countries_country", "evidence_record"} <= indexes
        for kind in ALL_KINDS:
            columns = [row[1] for row in db.execute(f"PRAGMA table_info({PLURALS[kind]})")]
            assert columns == fields(kind), kind
            count = db.execute(f"SELECT count(*) FROM {PLURALS[kind]}").fetchone()[0]
            assert count == len(kb.of_kind(kind))
        quotes = db.execute("SELECT count(*) FROM evidence").fetchone()[0]
        assert quotes == sum(len(r.evidence) for r in (kb.get(i) for i in kb.all_ids()) if r is not None)


def test_exports_are_deterministic_and_never_overwrite(cca: Any, database: Path) -> None:
    first = database.read_bytes()
    refused = cca("export", "-f", "sqlite", str(database))
    assert refused.exit_code == 2
    assert refused.stderr.strip() == f"cca: {database} exists: use --force to replace it"
    assert cca("export", "-f", "sqlite", str(database), "--force").exit_code == 0
    assert database.read_bytes() == first


def test_datasette_serves_the_database(database: Path) -> None:
    datasette_app = pytest.importorskip("datasette.app")
    metadata = json.loads(database.with_name("kb.db.metadata.json").read_text(encoding="utf-8"))
    assert "China" in metadata["title"] and metadata["license"] and metadata["source"]

    async def fetch() -> Any:
        instance = datasette_app.Datasette([str(database)], metadata=metadata)
        response = await instance.client.get("/kb/projects.json?id=china-laos-railway&_shape=array")
        assert response.status_code == 200
        return response.json()

    (row,) = asyncio.run(fetch())
    assert row["name"] == "China-Laos Railway"
    assert json.loads(row["countries"]) == ["China", "Laos"]


def test_csv_matches_the_json_record_for_record(cca: Any, tmp_path: Path) -> None:
    out = tmp_path / "csv"
    assert cca("export", "--format", "csv", str(out)).exit_code == 0
    for kind, command in (("project", "projects"), ("figure", "figures"), ("person", "people"), ("event", "events")):
        with (out / f"{PLURALS[kind]}.csv").open(encoding="utf-8", newline="") as handle:
            table = list(csv.DictReader(handle))
        listed = {row["id"]: row for row in cca(command, "--json").json()}
        assert {row["id"] for row in table} == set(listed)
        for row in table:
            record = listed[row["id"]]
            assert list(row) == fields(kind)
            for key, value in record.items():
                if isinstance(value, str):
                    assert row[key] == value, (kind, key)
                elif isinstance(value, list) and all(isinstance(v, str) for v in value):
                    assert row[key] == "; ".join(value), (kind, key)
                elif isinstance(value, (int, float)) and not isinstance(value, bool):
                    assert float(row[key]) == value


def test_csv_bom_for_excel(cca: Any, tmp_path: Path) -> None:
    out = tmp_path / "csv"
    assert cca("export", "-f", "csv", str(out), "--bom").exit_code == 0
    assert (out / "countries.csv").read_bytes().startswith(b"\xef\xbb\xbfid,")


def test_json_export_holds_every_kind_and_its_schema(cca: Any, tmp_path: Path, kb: KnowledgeBase) -> None:
    path = tmp_path / "kb.json"
    assert cca("export", "-f", "json", str(path)).exit_code == 0
    document = json.loads(path.read_text(encoding="utf-8"))
    for kind in ALL_KINDS:
        plural = PLURALS[kind]
        assert len(document["records"][plural]) == len(kb.of_kind(kind))
        jsonschema.validate(document["records"][plural], document["schemas"][plural])


# -- money as typed columns --------------------------------------------------------------------------


AIDDATA_SAMPLE = Path(__file__).resolve().parent / "fixtures" / "aiddata" / "gcdf3_sample.csv"


@pytest.fixture
def money_database(cca: Any, tmp_path: Path) -> tuple[Path, Any]:
    data = tmp_path / "data"

    def run(*args: str) -> Any:
        result = cca("--data-dir", str(data), *args)
        assert result.exit_code == 0, result.stderr
        return result

    run("import", "aiddata", str(AIDDATA_SAMPLE), "--all")
    path = tmp_path / "money.db"
    run("export", "--format", "sqlite", str(path))
    return path, run


def test_money_columns_are_typed_and_indexed(money_database: tuple[Path, Any]) -> None:
    path, run = money_database
    with sqlite3.connect(path) as db:
        types = {row[1]: row[2] for row in db.execute("PRAGMA table_info(projects)")}
        assert types["usd_2021"] == types["adjusted_usd_2021"] == types["usd_nominal"] == "REAL"
        assert types["commitment_year"] == types["for_aggregates"] == "INTEGER"
        assert types["flow_class"] == types["recipient"] == types["commitment_date"] == "TEXT"
        assert types["countries"] == "TEXT"  # a list, as JSON text
        indexes = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        for column in ("usd_2021", "adjusted_usd_2021", "commitment_year", "flow_class", "for_aggregates"):
            assert f"projects_{column}" in indexes
        # stored as numbers, so they sort as numbers (text '95...' would sort above '131...')
        top = db.execute("SELECT id, typeof(usd_2021) FROM projects ORDER BY usd_2021 DESC LIMIT 3").fetchall()
        biggest = run("projects", "--sort", "-usd_2021", "-n", "3", "--json").json()
        assert top == [(row["id"], "real") for row in biggest]
        assert db.execute("SELECT DISTINCT typeof(for_aggregates) FROM projects").fetchall() in (
            [("integer",), ("null",)],
            [("null",), ("integer",)],
        )


def test_a_plain_sql_sum_over_the_aggregate_rows_is_cca_stats(money_database: tuple[Path, Any]) -> None:
    path, run = money_database
    with sqlite3.connect(path) as db:
        sql = {
            country: round(total, 2)
            for country, total in db.execute(
                "SELECT recipient, SUM(adjusted_usd_2021) FROM projects WHERE for_aggregates = 1 "
                "GROUP BY recipient HAVING SUM(adjusted_usd_2021) IS NOT NULL"
            )
        }
        everything = db.execute(
            "SELECT SUM(usd_2021) FROM projects WHERE for_aggregates = 1 AND usd_2021 IS NOT NULL"
        ).fetchone()[0]
        umbrellas = db.execute("SELECT SUM(usd_2021) FROM projects WHERE for_aggregates IS NOT NULL").fetchone()[0]
    stats = {
        row["country"]: round(row["adjusted_usd_2021"], 2)
        for row in run("stats", "--by", "country", "--json").json()
        if row["adjusted_usd_2021"] is not None
    }
    assert sql == stats and len(sql) >= 4
    assert round(everything, 2) == round(run("stats", "--amount", "original", "--json").json()[0]["usd_2021"], 2)
    assert umbrellas > everything  # summing every row counts the umbrella and its parts twice


def test_finance_has_a_row_per_project_and_party_that_puts_money_in(money_database: tuple[Path, Any]) -> None:
    path, _ = money_database
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT name, role FROM finance WHERE project_id = 'aiddata-990004' ORDER BY position"
        ).fetchall()
        assert rows == [("China Development Bank (CDB)", "funder"), ("Bank of China (BOC)", "co-financier")]
        assert db.execute("PRAGMA foreign_key_check(finance)").fetchall() == []
        # one funder per row here, so a sum by funder over the aggregate rows adds up to the total
        by_funder = db.execute(
            "SELECT SUM(p.adjusted_usd_2021) FROM finance f JOIN projects p ON p.id = f.project_id "
            "WHERE f.role = 'funder' AND p.for_aggregates = 1"
        ).fetchone()[0]
        total = db.execute("SELECT SUM(adjusted_usd_2021) FROM projects WHERE for_aggregates = 1").fetchone()[0]
        assert round(by_funder, 2) == round(total, 2)


def test_datasette_facets_and_sorts_the_money(money_database: tuple[Path, Any]) -> None:
    datasette_app = pytest.importorskip("datasette.app")
    path, _ = money_database
    metadata = json.loads(path.with_name("money.db.metadata.json").read_text(encoding="utf-8"))
    tables = metadata["databases"]["money"]["tables"]
    with sqlite3.connect(path) as db:
        for table, declared in tables.items():
            columns = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
            assert set(declared.get("facets", ())) <= columns, table
            assert set(declared.get("sortable_columns", ())) <= columns, table

    async def fetch() -> Any:
        instance = datasette_app.Datasette([str(path)], metadata=metadata)
        response = await instance.client.get("/money/projects.json?_sort_desc=usd_2021&for_aggregates=1")
        assert response.status_code == 200, response.text
        return response.json()

    found = asyncio.run(fetch())
    facets = found["facet_results"]
    facets = facets.get("results", facets)  # Datasette 1.0 nests them
    assert {"recipient", "commitment_year", "flow_class"} <= set(facets)
    years = {item["value"] for item in facets["commitment_year"]["results"]}
    assert years and all(isinstance(year, int) for year in years)
    rows = found["rows"]
    amounts = [row[found["columns"].index("usd_2021")] if isinstance(row, list) else row["usd_2021"] for row in rows]
    amounts = [a for a in amounts if a is not None]
    assert amounts == sorted(amounts, reverse=True) and len(amounts) >= 5
