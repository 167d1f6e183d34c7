"""The question as a value: a typed Query, filters and sorts declared once, one rule per fact.

A filter added in one place (its declaration) appears in --help, completion, the fast path's
grammar, the Python API and the README's generated list; a new output field is a sort field
everywhere; "current status" is one rule, so --status, the display and the API agree.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

import cca
from cca.cli import fast
from cca.cli import main as cli_main
from cca.core.errors import QueryError
from cca.core.filters import FILTERS, Filter, FilterError, Resolved
from cca.core.kinds import KINDS
from cca.core.query import Query, SortKey
from cca.core.settings import Settings
from cca.core.store import Clause
from tests import docgen

SAMPLE = Path(__file__).resolve().parent / "fixtures" / "aiddata" / "gcdf3_sample.csv"


# -- one rule per fact: the current status ------------------------------------------------------------

TWO_SOURCES = """\
format: 1
sources:
  - {id: old, title: Old report, publisher: P, date: "2019-01-01"}
  - {id: new, title: New report, publisher: P, date: "2023-06-01"}
countries:
  - {id: laos, name: Laos, official_name: Lao People's Democratic Republic, iso2: LA, iso3: LAO}
sectors:
  - {id: rail, label: Rail}
projects:
  - id: line
    name: A railway line
    type: railway
    countries: [laos]
    sectors: [rail]
    status:
      - {value: completed, evidence: [{source: new, quote: done}]}
      - {value: planned, evidence: [{source: old, quote: planned}]}
    evidence: [{source: old, quote: planned}]
"""


def test_the_current_status_is_one_rule(tmp_path: Path, cca: Any) -> None:
    """Undated observations from sources of different dates: the later source's status is current,
    for --status, for the display and for the API alike (they disagreed when computed twice)."""
    path = tmp_path / "k.yaml"
    path.write_text(TWO_SOURCES, encoding="utf-8")
    kb = cca_load(path, tmp_path)
    record = kb.get("line")
    assert record is not None and record.status is not None and record.status.value == "completed"  # type: ignore[attr-defined]
    assert [p.id for p in kb.projects(status="completed")] == ["line"]
    assert kb.projects(status="planned") == []
    args = ["--no-bundled", "-k", str(path)]
    assert [r["id"] for r in cca(*args, "projects", "--status", "completed", "--json").json()] == ["line"]
    empty = cca(*args, "projects", "--status", "planned", "--json")
    assert empty.stdout == "[]\n" and empty.stderr == "cca: note: no projects with status planned\n"
    assert cca(*args, "projects", "--json").json()[0]["status"] == "completed"


def cca_load(path: Path, tmp_path: Path) -> cca.KnowledgeBase:
    return cca.load([path], settings=Settings(cache_dir=tmp_path / "cache"))


# -- the query value --------------------------------------------------------------------------------------


def test_a_query_is_a_frozen_value() -> None:
    query = Query.of("project", country=["Laos", "LA"], since=2015, sort=["-usd_2021"], limit=3)
    assert query.filters == {"country": ("Laos", "LA"), "since": (2015,)}
    assert query.sort == (SortKey("usd_2021", descending=True),)
    with pytest.raises(TypeError):
        query.filters["country"] = ("x",)  # type: ignore[index]
    assert query.where(country="Cambodia").get("country") == ("Cambodia",)
    assert query.get("country") == ("Laos", "LA")  # the first is unchanged
    with pytest.raises(QueryError, match="limit 0"):
        Query("project", limit=0)


def test_a_plan_resolves_once_and_describes_itself(kb: cca.KnowledgeBase) -> None:
    plan = kb.plan(Query.of("project", country="lao pdr", sector="railway"))
    assert plan.described == ("in Laos", "in the sector railway")
    assert plan.empty_note() == "no projects in Laos in the sector railway"
    assert [r.id for r in kb.select(plan)] == ["china-laos-railway"]
    assert kb.count(plan) == 1


def test_a_filter_that_does_not_apply_is_a_usage_error(kb: cca.KnowledgeBase) -> None:
    with pytest.raises(QueryError, match="agreements have no status"):
        kb.plan(Query.of("agreement", status="completed"))
    with pytest.raises(QueryError, match="no filter 'contry' for projects — did you mean country"):
        kb.plan(Query.of("project", contry="Laos"))


def test_the_library_names_the_filter_and_the_command_line_its_option(kb: cca.KnowledgeBase, cca: Any) -> None:
    with pytest.raises(FilterError) as raised:
        kb.plan(Query.of("project", since=2021, until=2015))
    assert str(raised.value) == "since 2021: is after until 2015"
    result = cca("projects", "--since", "2021", "--until", "2015")
    assert result.exit_code == 2 and result.stderr == "cca: --since 2021: is after --until 2015\n"
    for args, message in (
        (["--min-usd", ""], "cca: --min-usd '': write an amount such as 100e6, 250m or 1.5bn"),
        (["--since", str(10**26)], "cca: --since '100000000000000000000000000': give a year from 1 to 9999"),
        (["--until", str(-(10**26))], "--until"),
        (["--min-usd", "1e400"], "give an amount from 0 to"),
        (["--min-usd", "12,34"], "commas only between thousands"),
    ):
        result = cca("projects", *args)
        assert result.exit_code == 2, (args, result.stderr)
        assert message in result.stderr, (args, result.stderr)
        assert result.stderr.count("\n") == 1


def test_limits_of_any_size_are_usage_errors(cca: Any) -> None:
    for value in (str(10**30), str(2**63 - 1), "0", "-3"):
        result = cca("projects", "--limit", value)
        assert result.exit_code == 2 and result.stderr.count("\n") == 1, (value, result.stderr)
    assert len(cca("projects", "--limit", str(2**40), "--json").json()) == 11


def test_the_typed_api_takes_every_filter_the_command_line_has(kb: cca.KnowledgeBase) -> None:
    for item in FILTERS.for_kind(KINDS["project"]):
        value: Any = {"flag": True, "year": 2015, "amount": 1.0, "number": 1}.get(item.value, "x")
        if item.name in ("country",):
            value = "Laos"
        elif item.name == "region":
            value = "asean"
        elif item.name == "sector":
            value = "railway"
        elif item.name == "status":
            value = "completed"
        elif item.name == "sector_source":
            assert kb.projects(sector="railway", sector_source="dataset")  # it reads --sector: given together
            continue
        elif item.name == "source":
            value = "panorama-2021-03-04-four-new-aspects"
        kb.projects(**{item.name: value})  # accepted, resolved and answered
    assert [p.id for p in kb.projects(since=2000, until=2030)] == []  # the article's projects have no money


# -- sorting -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    data = tmp_path_factory.mktemp("data")
    cache = tmp_path_factory.mktemp("cache")
    runner = CliRunner()
    env = {"CCA_DATA_DIR": str(data), "CCA_CACHE_DIR": str(cache), "CCA_NO_DATA_DIR": "", "COLUMNS": "120"}

    def run(*args: str) -> Any:
        result = runner.invoke(cli_main.app, list(args), env=env, prog_name="cca")
        assert result.exit_code == 0, result.stderr
        return result

    run("import", "aiddata", str(SAMPLE))
    yield run


def test_sort_by_money_and_top_n(imported: Any) -> None:
    rows = json.loads(imported("projects", "--sort=-usd_2021", "-n", "3", "--json").stdout)
    amounts = [row["usd_2021"] for row in rows]
    assert amounts == sorted(amounts, reverse=True) and len(rows) == 3
    everything = [row["usd_2021"] for row in json.loads(imported("projects", "--json").stdout) if row["usd_2021"]]
    assert amounts == sorted(everything, reverse=True)[:3]
    same = json.loads(imported("projects", "--sort", "usd_2021", "--desc", "-n", "3", "--json").stdout)
    assert same == rows


def test_sort_by_date_then_name_and_records_without_a_value_last(imported: Any) -> None:
    rows = json.loads(imported("projects", "--sort", "commitment_year", "--sort", "name", "--json").stdout)
    years = [row["commitment_year"] for row in rows]
    dated = [y for y in years if y is not None]
    assert dated == sorted(dated) and years[len(dated) :] == [None] * (len(years) - len(dated))
    first = [row for row in rows if row["commitment_year"] == dated[0]]
    assert [r["name"].casefold() for r in first] == sorted(r["name"].casefold() for r in first)


def test_an_unknown_sort_field_names_the_fields(cca: Any) -> None:
    result = cca("projects", "--sort", "usd2021")
    assert result.exit_code == 2
    assert "cannot sort projects by 'usd2021' — did you mean usd_2021?" in result.stderr
    assert cca("projects", "--desc").exit_code == 2


def test_every_scalar_output_field_is_a_sort_field_and_documented() -> None:
    from cca.core.outschema import sort_paths

    assert {"usd_2021", "commitment_year", "status", "name", "id", "countries"} <= set(sort_paths("project"))
    assert "progress" not in sort_paths("project")  # a list of objects has no order of its own
    assert docgen.sorts_section() in docgen.README.read_text(encoding="utf-8")


def test_stats_by_year_are_in_year_order_and_sortable(imported: Any) -> None:
    rows = json.loads(imported("stats", "--by", "year", "--json").stdout)
    years = [row["year"] for row in rows]
    assert years == sorted(years, key=lambda y: (y is None, y or 0))
    by_amount = json.loads(imported("stats", "--by", "year", "--sort=-adjusted_usd_2021", "--json").stdout)
    amounts = [row["adjusted_usd_2021"] for row in by_amount if row["adjusted_usd_2021"] is not None]
    assert amounts == sorted(amounts, reverse=True) and len(amounts) >= 3
    assert [row["year"] for row in by_amount] != years  # sorted by the amount, not left in year order
    original = json.loads(
        imported("stats", "--by", "year", "--amount", "original", "--sort=-usd_2021", "--json").stdout
    )
    assert [row["usd_2021"] for row in original if row["usd_2021"] is not None] == sorted(
        (row["usd_2021"] for row in original if row["usd_2021"] is not None), reverse=True
    )


def test_a_grouping_given_twice_is_a_usage_error(cca: Any) -> None:
    result = cca("stats", "--by", "country", "--by", "country")
    assert result.exit_code == 2 and "grouping 'country' is given twice" in result.stderr


# -- a filter added in one place -----------------------------------------------------------------------


def _flow_type(resolver: Any, kind: Any, values: tuple[Any, ...]) -> Resolved:
    wanted = sorted({str(v) for v in values})
    sql = "r.seq IN (SELECT r2.seq FROM records r2 WHERE json_extract(r2.view, '$.financing[0].flow_type') IN ({}))"
    return Resolved(Clause(sql.format(",".join("?" * len(wanted))), tuple(wanted)), "of flow type " + ", ".join(wanted))


FLOW_TYPE = Filter(
    "flow_type", ("--flow-type",), "TYPE", "The dataset's flow type: Loan, Grant, ... (repeat to OR).",
    "text", lambda kind: kind.name == "project", _flow_type, complete="flow_class", example="Loan",
)  # fmt: skip


@pytest.fixture
def flow_type() -> Iterator[Filter]:
    FILTERS.register(FLOW_TYPE)
    cli_main.refresh()
    try:
        yield FLOW_TYPE
    finally:
        FILTERS.unregister("flow_type")
        cli_main.refresh()


def test_a_new_filter_is_one_declaration(flow_type: Filter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import typer.main
    import typer.testing

    monkeypatch.setattr(typer.testing, "_get_command", typer.main.get_command)  # built afresh, with the filter
    runner = CliRunner()
    data = tmp_path / "data"
    env = {"CCA_DATA_DIR": str(data), "CCA_CACHE_DIR": str(tmp_path / "cache"), "CCA_NO_DATA_DIR": "", "COLUMNS": "120"}

    def run(*args: str) -> Any:
        result = runner.invoke(cli_main.app, list(args), env=env, prog_name="cca")
        assert result.exit_code == 0, result.stderr
        return result

    run("import", "aiddata", str(SAMPLE))
    assert "--flow-type TYPE" in run("projects", "--help").stdout
    assert "--flow-type" in run("stats", "--help").stdout
    loans = json.loads(run("projects", "--flow-type", "Loan", "--json").stdout)
    assert loans and all(row["financing"][0]["flow_type"] == "Loan" for row in loans)
    # the fast path's grammar, derived from the app, reads it
    grammar = fast.derive(typer.main.get_command(cli_main.app))
    parsed = fast.parse(["projects", "--flow-type", "Grant"], grammar)
    assert parsed is not None and parsed[2]["flow_type"] == ["Grant"]
    # the Python API takes it
    kb = cca.load(settings=Settings(data_dir=data, cache_dir=tmp_path / "cache"))
    assert {p.id for p in kb.projects(flow_type="Loan")} == {row["id"] for row in loans}
    # the README's generated list has it
    assert "`--flow-type`" in docgen.filters_section()
    # the empty answer describes it
    empty = runner.invoke(cli_main.app, ["projects", "--flow-type", "Barter"], env=env, prog_name="cca")
    assert empty.stderr == "cca: note: no projects of flow type Barter\n"


def test_completion_offers_a_new_filters_values(flow_type: Filter) -> None:
    from cca.cli import complete

    assert complete.source(flow_type.complete or "") is complete.source("flow_class")


# -- regions in country answers --------------------------------------------------------------------------


def test_region_wide_agreements_count_for_every_member(cca: Any) -> None:
    rows = cca("agreements", "-c", "Malaysia", "--json").json()
    ids = {row["id"] for row in rows}
    assert {"rcep", "china-asean-free-trade-area"} <= ids
    assert all(row.get("regions") == ["asean"] for row in rows if row["id"] in ("rcep", "china-asean-free-trade-area"))
    plain = cca("agreements", "-c", "Malaysia", "-f", "plain").stdout
    assert "rcep\t" in plain and "ASEAN (region-wide)" in plain
    alone = {row["id"] for row in cca("agreements", "-c", "Malaysia", "--no-regional", "--json").json()}
    assert "rcep" not in alone and alone < ids
    assert "rcep" in {row["id"] for row in cca("agreements", "-r", "asean", "--json").json()}


def test_a_region_has_a_profile(cca: Any) -> None:
    profile = cca("country", "ASEAN", "--json").json()
    jsonschema.validate(profile, cca("schema", "region-profile").json())
    assert "Malaysia" in profile["region"]["members"]
    assert {row["id"] for row in profile["agreements"]} >= {"rcep", "china-asean-free-trade-area"}
    mekong = cca("country", "mekong", "--json").json()
    assert mekong["region"]["members"] == ["Cambodia", "Laos", "Myanmar", "Thailand", "Vietnam"]
    assert cca("country", "ASEAN", "-f", "table").exit_code == 0


# -- the same sections in every format ------------------------------------------------------------------


def test_country_shows_the_same_sections_in_every_format(cca: Any) -> None:
    from cca.core.kinds import profile_sections

    as_json = cca("country", "Laos", "--json").json()
    plain = cca("country", "Laos", "-f", "plain").stdout
    markdown = cca("country", "Laos", "-f", "markdown").stdout
    rows = cca("country", "Laos", "-f", "csv").stdout
    for kind in profile_sections():
        assert kind.plural in as_json
        assert f"== {kind.title} ({len(as_json[kind.plural])})" in plain, kind.name
        if kind.name != "project":
            assert f"## {kind.title}" in markdown, kind.name
        for row in as_json[kind.plural]:
            assert f"{kind.name},{row['id']}," in rows, row["id"]


def test_a_profile_section_for_every_declared_kind_has_a_typed_field() -> None:
    from cca.core.kb import CountryProfile
    from cca.core.kinds import profile_sections

    assert list(CountryProfile._fields[1:]) == [kind.plural for kind in profile_sections()]
