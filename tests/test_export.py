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
