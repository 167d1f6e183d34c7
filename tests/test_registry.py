"""Adding a kind is its declaration plus its JSON Schema: it is then listed, shown, searched, exported, validated.

Nothing else is edited: the checks, the store, views, output schemas, table columns,
the exports and the command line all read the registry.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import cca
from cca.cli import main as cli_main
from cca.core.errors import KnowledgeError
from cca.core.kinds import KINDS
from cca.core.registry import Column, Kind, Ref
from cca.core.settings import Settings

LOAN_SCHEMA = {
    "type": "object",
    "required": ["id", "name", "lender", "countries", "evidence"],
    "additionalProperties": False,
    "properties": {
        "id": {"$ref": "#/$defs/id"},
        "name": {"type": "string", "minLength": 1},
        "lender": {"type": "string", "minLength": 1},
        "amount": {"type": "number", "minimum": 0},
        "countries": {"type": "array", "items": {"$ref": "#/$defs/ref"}, "minItems": 1},
        "project": {"$ref": "#/$defs/ref"},
        "aliases": {"type": "array", "items": {"type": "string"}},
        "notes": {"type": "string"},
        "evidence": {"$ref": "#/$defs/evidence"},
    },
}

LOAN = Kind(
    name="loan",
    plural="loans",
    title="Loans",
    help="List loans.",
    example="cca loans --country Laos",
    refs=(Ref("countries[]", "country"), Ref("project", "project")),
    countries=("countries[]",),
    search={"name": "names", "lender": "body", "aliases": "aliases", "notes": "notes"},
    columns=(Column("name", "Loan", "name"), Column("lender", "Lender", "text"), Column("id", "ID", "id", priority=3)),
    in_profile=True,
    schema=LOAN_SCHEMA,
)

FILE = """\
format: 1
loans:
  - id: loan-railway-1
    name: "Railway construction loan"
    lender: "Export-Import Bank of China"
    amount: 1000
    countries: [china, laos]
    project: china-laos-railway
    evidence:
      - source: panorama-2021-03-04-four-new-aspects
        quote: "China-Laos Railway"
"""


@pytest.fixture
def loan_kind() -> Iterator[Kind]:
    KINDS.register(LOAN)
    registered = list(cli_main.app.registered_commands)
    cli_main.register_listings()
    try:
        yield LOAN
    finally:
        cli_main.app.registered_commands[:] = registered
        KINDS.unregister("loan")


@pytest.fixture
def loans(tmp_path: Path) -> Path:
    path = tmp_path / "loans.yaml"
    path.write_text(FILE, encoding="utf-8")
    return path


def test_a_new_kind_is_loaded_listed_shown_and_searched(loan_kind: Kind, loans: Path, tmp_path: Path) -> None:
    kb = cca.load(extra=[loans], settings=Settings(cache_dir=tmp_path / "cache"))
    (loan,) = kb.records("loan", country="Laos")
    assert loan.name == "Railway construction loan"
    assert [hit.record.id for hit in kb.search("construction loan")][:1] == ["loan-railway-1"]
    related = {r.id for r in kb.related(kb.get("china-laos-railway"))}  # type: ignore[arg-type]
    assert "loan-railway-1" in related
    assert kb.counts()["loan"] == 1


def test_a_new_kind_on_the_command_line(
    loan_kind: Kind, loans: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import typer.main
    import typer.testing

    monkeypatch.setattr(typer.testing, "_get_command", typer.main.get_command)  # no command built before loans
    runner = CliRunner()
    env = {"CCA_KNOWLEDGE": str(loans), "CCA_CACHE_DIR": str(tmp_path / "cache"), "COLUMNS": "100"}

    def run(*args: str) -> Any:
        result = runner.invoke(cli_main.app, list(args), env=env, prog_name="cca")  # built afresh: with loans
        assert result.exit_code == 0, result.stderr
        return result

    rows = json.loads(run("loans", "--country", "LA", "--json").stdout)
    assert rows[0]["id"] == "loan-railway-1" and rows[0]["countries"] == ["China", "Laos"]
    assert rows[0]["country_codes"] == ["CN", "LA"]
    assert "Export-Import Bank of China" in run("loans", "--format", "table").stdout
    shown = json.loads(run("show", "loan-railway-1", "--json").stdout)
    assert shown["record"]["kind"] == "loan"
    profile = json.loads(run("country", "Laos", "--json").stdout)
    assert [row["id"] for row in profile["loans"]] == ["loan-railway-1"]
    assert json.loads(run("schema", "loans").stdout)["items"]["properties"]["lender"]["type"] == "string"
    hits = json.loads(run("search", "construction loan", "--json").stdout)
    assert hits[0]["id"] == "loan-railway-1"
    database = tmp_path / "kb.db"
    run("export", str(database))
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT name FROM loans").fetchall() == [("Railway construction loan",)]
        assert db.execute("SELECT country_id FROM loan_countries ORDER BY 1").fetchall() == [("china",), ("laos",)]
    out = tmp_path / "csv"
    run("export", str(out), "--format", "csv")
    with (out / "loans.csv").open(encoding="utf-8") as handle:
        (row,) = list(csv.DictReader(handle))
    assert row["lender"] == "Export-Import Bank of China"


def test_a_new_kind_is_validated(loan_kind: Kind, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        FILE.replace("countries: [china, laos]", "countries: [china, atlantis]").replace("lender: ", "lendr: ")
    )
    with pytest.raises(KnowledgeError) as raised:
        cca.load(extra=[bad])
    assert [p.message for p in raised.value.problems] == [
        "loans[0]: missing required field 'lender'",
        "loans[0]: unknown field 'lendr' (did you mean 'lender'?)",
    ]
    bad.write_text(FILE.replace("countries: [china, laos]", "countries: [china, atlantis]"))
    with pytest.raises(KnowledgeError) as raised:
        cca.load(extra=[bad])
    assert [p.message for p in raised.value.problems] == ["countries: unknown country 'atlantis'"]
    assert raised.value.problems[0].line == 7
