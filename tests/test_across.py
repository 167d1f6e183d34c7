"""Across datasets and versions, and citations (issue 18, parts 3 to 5), through the command line.

GCDF 3.0 and 2.0, the tracker's CSV of Dataset 2 and the ADM files are imported once for the module
(every fixture's rows are invented, in the exact public layouts).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bibtexparser
import jsonschema
import pytest
from typer.testing import CliRunner

from cca.core import pairs
from tests.conftest import Run

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
V3 = FIXTURES / "aiddata" / "gcdf3_sample.csv"
V2 = FIXTURES / "aiddata" / "gcdf2_sample.csv"
CONTRACTS = FIXTURES / "cgit" / "cgit_dataset2.csv"
CSL_SCHEMA = json.loads((FIXTURES / "csl" / "csl-data.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def run(cli_app: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    data = tmp_path_factory.mktemp("across") / "data"
    runner = CliRunner()

    def invoke(*args: str, env: dict[str, str] | None = None) -> Run:
        result = runner.invoke(cli_app, ["--data-dir", str(data), *args], env=env, prog_name="cca")
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Run(result.exit_code, result.stdout, result.stderr)

    for args in (("aiddata", str(V3)), ("aiddata", str(V2), "--all"), ("cgit", str(CONTRACTS))):
        done = invoke("import", *args)
        assert done.exit_code == 0, done.stderr
    yield invoke


# -- versions --------------------------------------------------------------------------------------------------


def test_two_versions_are_two_imports_citing_two_sources(run: Any) -> None:
    listed = {row["name"]: row for row in run("import", "--json").json()}
    assert (listed["aiddata"]["source"], listed["aiddata2"]["source"]) == ("aiddata-gcdf-3", "aiddata-gcdf-2")
    assert listed["aiddata2"]["importer"] == "aiddata" and listed["aiddata2"]["rows"] == 4
    version_2 = {p["id"]: p for p in run("projects", "--source", "aiddata-gcdf-2", "--json").json()}
    assert sorted(version_2) == ["aiddata2-88001", "aiddata2-88002", "aiddata2-88003", "aiddata2-88004"]
    loan = version_2["aiddata2-88001"]
    assert loan["usd_2017"] == 1500123456.78 and loan["usd_2021"] is None
    assert loan["financing"][0]["price_base"] == "constant-2017"
    source = run("show", "aiddata-gcdf-2", "--json").json()["record"]
    assert source["dataset"]["version"] == "2.0" and source["imports"][0]["file"] == "gcdf2_sample.csv"
    assert "aiddata-990001" in {p["id"] for p in run("projects", "--source", "aiddata-gcdf-3", "--json").json()}


def test_amounts_of_two_versions_are_never_summed_together(run: Any) -> None:
    done = run("stats", "--amount", "usd-nominal")
    assert done.exit_code == 2
    assert "aiddata-gcdf-2 and aiddata-gcdf-3 are two versions of AidData's Global Chinese Development Finance" in (
        done.stderr
    )
    kept_apart = run("stats", "--amount", "usd-nominal", "--by", "source", "--json")
    assert kept_apart.exit_code == 0 and len(kept_apart.json()) == 3
    in_2017 = run("stats", "--amount", "usd-2017", "--by", "country", "--json").json()
    assert {row["country"]: row["usd_2017"] for row in in_2017}["Laos"] == 1500123456.78
    default = " ".join(run("stats", "--format", "table", env={"COLUMNS": "200"}).stdout.split())
    assert "in 2017 USD (--amount usd-2017)" in default


def test_an_unknown_layout_is_refused_naming_what_differs(run: Any, tmp_path: Path) -> None:
    text = V2.read_text(encoding="utf-8").replace("Amount (Constant USD2017)", "Amount (Constant USD 2017)", 1)
    odd = tmp_path / "odd.csv"
    odd.write_text(text, encoding="utf-8")
    done = run("import", "aiddata", str(odd))
    assert done.exit_code == 1 and len(done.stderr.splitlines()) == 1
    assert "closest to 2.0 (70): 'Amount (Constant USD2017)' is named 'Amount (Constant USD 2017)'" in done.stderr


# -- across datasets -------------------------------------------------------------------------------------------


def test_link_suggest_pairs_a_construction_contract_with_a_loan(run: Any) -> None:
    found = run("link", "suggest", "--datasets", "--json").json()
    by_loan = {row["loan"]: row for row in found}
    assert set(by_loan) == {"aiddata-990001", "aiddata-990008"}
    laos = by_loan["aiddata-990001"]
    assert (laos["country"], laos["contract_year"], laos["loan_year"]) == ("Laos", 2016, 2016)
    assert laos["contractor"] == "PowerChina Road Bridge Group"
    assert laos["party"] == "PowerChina Road Bridge Group Co., Ltd."
    assert by_loan["aiddata-990008"]["score"] == 100 and laos["score"] == 90  # railway under transport: related
    lower = {row["loan"] for row in run("link", "suggest", "--datasets", "--min-score", "50", "--json").json()}
    assert "aiddata-990003" in lower  # a contractor named only in part


def test_pair_titles_and_the_empty_answer_come_from_the_sides_and_the_importers(run: Any, cca: Any) -> None:
    """The table's titles are the sides' (cca.core.pairs); with nothing imported, the hint names the importers
    whose rows cite each side's datasets (cca.io.importers.citing), none written in the command line."""
    table = run("link", "suggest", "--datasets", "--format", "markdown")
    assert table.exit_code == 0 and pairs.CONTRACTS.title in table.stdout and pairs.LOANS.title in table.stdout
    empty = cca("link", "suggest", "--datasets")
    assert empty.exit_code == 0
    assert "(import both: cca import cgit, cca import aiddata)" in empty.stderr


def test_pairs_need_one_country_close_years_and_related_sectors() -> None:
    parents = {"railway": "transport", "transport": None, "energy": None}
    builder = [{"name": "Example Builder Co., Ltd.", "role": "contractor"}]
    contract = {"id": "c", "recipient": "Laos", "dates": {"transaction": "2016-12"}, "sectors": ["railway"],
                "parties": builder, "usd_nominal": 100}  # fmt: skip
    group = [{"name": "Example Builder Group", "role": "implementer"}]
    loan = {"id": "l", "recipient": "Laos", "commitment_year": 2017, "sectors": ["transport"], "parties": group,
            "usd_nominal": 150}  # fmt: skip
    found = pairs.score(contract, loan, parents)
    assert found is not None and found.score == 50 + 10 + 10 + 10
    assert pairs.score(contract, {**loan, "commitment_year": 2018}, parents) is None
    assert pairs.score(contract, {**loan, "recipient": "Cambodia"}, parents) is None
    assert pairs.score(contract, {**loan, "sectors": ["energy"]}, parents) is None
    assert pairs.entity_share("China Railway Group Limited", "China Railway Group Ltd (CREC)") == 1.0


# -- citations -------------------------------------------------------------------------------------------------


def test_cite_gives_the_dataset_the_row_and_the_sources_it_cites(run: Any) -> None:
    text = run("cite", "aiddata-990001").stdout
    assert text.startswith("[1] AidData's Global Chinese Development Finance Dataset, Version 3.0 [dataset].")
    assert "Cite as: Custer, S., Dreher, A." in text
    assert "    Laos railway loan agreement signed in Beijing. Example News. https://example.org/news/" in text
    article = run("cite", "china-laos-railway").stdout
    assert "Zhong Shuangxia (2021-03-04)" in article and "Translated by Chen Zhiying" in article
    tracker = run("cite", "--format", "csl-json", *(p["id"] for p in run("projects", "--source", "aei-cgit",
                                                                          "--json").json()[:1])).json()  # fmt: skip
    assert tracker[0]["id"] == "aei-cgit" and tracker[1]["locator"].startswith("record cgit-construction-")
    assert "sheet Dataset 2, row 7" in tracker[1]["locator"]


def test_csl_json_is_valid_and_bibtex_reads_back(run: Any) -> None:
    ids = ["aiddata-990001", "aiddata-990003", "aiddata2-88001", "china-laos-railway"]
    items = run("cite", *ids, "--format", "csl-json").json()
    jsonschema.Draft7Validator(CSL_SCHEMA).validate(items)
    assert {"aiddata-gcdf-3", "aiddata-gcdf-2", "panorama-2021-03-04-four-new-aspects"} <= {i["id"] for i in items}
    text = run("cite", *ids, "--format", "bibtex").stdout
    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks
    keys = {entry.key for entry in library.entries}
    assert {"aiddata-gcdf-3", "aiddata-990001", "aiddata-990001-source-1", "aiddata2-88001"} <= keys
    every = run("cite", "--format", "bibtex").stdout
    assert len(bibtexparser.parse_string(every).entries) == len(run("sources", "--json").json())


def test_cite_follows_an_answer_for_people_and_is_refused_with_json(run: Any) -> None:
    plain = run("projects", "--country", "Cambodia", "--cite", "--format", "plain").stdout
    answer, _, cited = plain.partition("\nReferences\n\n")
    assert "aiddata-990008" in answer
    assert "AidData's Global Chinese Development Finance Dataset, Version 3.0 [dataset]" in cited
    assert "- China Eximbank provides USD 120 million loan for National Road 71C" in cited
    markdown = run("show", "aiddata-990008", "--cite", "--format", "markdown").stdout
    assert "\n## References\n\n1. " in markdown
    stats = run("stats", "--by", "country", "--cite", "--format", "table").stdout
    assert "References" in stats and "China Global Investment Tracker [dataset]" in stats
    refused = run("projects", "--cite", "--json")
    assert refused.exit_code == 2 and refused.stdout == ""
    assert "--cite appends citations after an answer for people" in refused.stderr
    json_answer = run("projects", "--country", "Cambodia", "--json")
    assert json_answer.exit_code == 0 and isinstance(json_answer.json(), list)
