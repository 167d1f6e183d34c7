"""Every command and filter through CliRunner, stdout and stderr apart; library and command side by side."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

import cca as cca_lib
from cca.core.errors import QueryError
from cca.core.kb import KnowledgeBase

LAOS_SPELLINGS = [
    "Laos",
    "laos",
    "LA",
    "la",
    "LAO",
    "lao pdr",
    "Lao PDR",
    "Lao People's Democratic Republic",
    "Lao People’s Democratic Republic",
    "老挝",
]


# -- projects ------------------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", LAOS_SPELLINGS)
def test_projects_in_laos_by_any_name(cca: Any, spelling: str) -> None:
    result = cca("projects", "--country", spelling, "--json")
    assert result.exit_code == 0, result.stderr
    rows = result.json()
    assert [row["id"] for row in rows] == ["china-laos-railway"]
    progress = {(p["metric"], p["value"], p["as_of"], p["reported"]) for p in rows[0]["progress"]}
    assert ("overall", 54, None, "2021-03-04") in progress  # the article dates no figure: reported, not as of
    assert ("track-laying", 40, None, "2021-03-04") in progress


def test_projects_in_laos_library_and_command_agree(cca: Any, kb: KnowledgeBase) -> None:
    library = [p.id for p in kb.projects(country="Laos")]
    command = [row["id"] for row in cca("projects", "-c", "Laos", "--json").json()]
    assert library == command == ["china-laos-railway"]


def test_projects_table_shows_progress_with_date_and_source(cca: Any) -> None:
    result = cca("projects", "--country", "Laos", "--format", "table", env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.stderr
    assert "China-Laos Railway" in result.stdout
    assert "54 % overall" in result.stdout and "reported 2021-03-04" in result.stdout
    assert "40 % track-laying" in result.stdout
    assert "source: China-ASEAN Panorama, 2021-03-04" in result.stdout
    assert "█████░░░░░" in result.stdout  # the 54 % bar
    assert result.stderr == ""


def test_piped_output_is_plain_tab_separated_and_whole(cca: Any) -> None:
    result = cca("projects", "--country", "Laos")
    assert result.exit_code == 0
    assert "\x1b" not in result.stdout
    fields = result.stdout.rstrip("\n").split("\t")
    assert fields[0] == "china-laos-railway"
    assert "54 % overall, reported 2021-03-04; 40 % track-laying, reported 2021-03-04" in fields


def test_one_filter_repeated_ors_and_different_filters_and(cca: Any, kb: KnowledgeBase) -> None:
    laos = {r["id"] for r in cca("projects", "-c", "Laos", "--json").json()}
    indonesia = {r["id"] for r in cca("projects", "-c", "Indonesia", "--json").json()}
    both = {r["id"] for r in cca("projects", "-c", "Laos", "-c", "Indonesia", "--json").json()}
    assert both == laos | indonesia and laos and indonesia
    rail_in_indonesia = {r["id"] for r in cca("projects", "-c", "Indonesia", "-s", "railway", "--json").json()}
    assert rail_in_indonesia == {"jakarta-bandung-high-speed-railway"}
    assert rail_in_indonesia == {p.id for p in kb.projects(country="Indonesia", sector="railway")}


def test_sector_includes_everything_below_it(cca: Any, kb: KnowledgeBase) -> None:
    transport = {r["id"] for r in cca("projects", "--sector", "transport", "--json").json()}
    railway = {r["id"] for r in cca("projects", "--sector", "railway", "--json").json()}
    assert railway < transport
    assert "jakarta-bandung-high-speed-railway" in railway  # tagged high-speed rail, below railway
    assert {p.id for p in kb.projects(sector="transport")} == transport


def test_status_filter_is_case_insensitive(cca: Any) -> None:
    rows = cca("projects", "--status", "Operational", "--json").json()
    assert rows and all(row["status"] == "operational" for row in rows)


def test_search_filter_on_projects(cca: Any) -> None:
    rows = cca("projects", "--search", "jakarta bandung", "--json").json()
    assert [row["id"] for row in rows] == ["jakarta-bandung-high-speed-railway"]


def test_real_country_without_records_is_an_empty_answer_with_a_note(cca: Any) -> None:
    result = cca("projects", "--country", "France", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == []
    assert "no records for France" in result.stderr


def test_timor_leste_is_known_but_has_no_projects(cca: Any) -> None:
    result = cca("projects", "--country", "East Timor", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == []
    assert "no projects in Timor-Leste" in result.stderr


# -- usage errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["projects", "--country", "Loas"], "cca: no country 'Loas' — did you mean Laos?"),
        (["projects", "--sector", "raliway"], "cca: no sector 'raliway' — did you mean railway"),
        (["projects", "--status", "ongoing"], "cca: no status 'ongoing': choose from planned, agreed"),
        (["projects", "--fields", "id,nmae"], "cca: unknown field 'nmae' — did you mean name?; valid fields: id, kind"),
        (
            ["show", "china-laos-railwya"],
            "cca: no record with id or name 'china-laos-railwya' — did you mean china-laos-railway",
        ),
        (["aspects", "7"], "cca: no aspect 7: choose from 1, 2, 3, 4"),
        (["projects", "--contry", "Laos"], "cca: No such option: --contry"),
        (["projects", "--format", "xml"], "cca: Invalid value for '--format'"),
        (["search", "rail", "--kind", "projet"], "cca: no kind 'projet' — did you mean project?"),
        (["schema", "projets"], "cca: no schema 'projets' — did you mean project?"),
        (["nosuchcommand"], "cca: No such command 'nosuchcommand'"),
    ],
)
def test_usage_errors_are_one_line_with_suggestions_and_exit_2(cca: Any, args: list[str], message: str) -> None:
    result = cca(*args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(message), lines[0]


def test_library_raises_query_error_for_unknown_country(kb: KnowledgeBase) -> None:
    with pytest.raises(QueryError, match="did you mean Laos"):
        kb.projects(country="Loas")


# -- every kind: listed, filtered, shown, searched ------------------------------------------------


LISTINGS = [
    "projects",
    "agreements",
    "aspects",
    "actions",
    "people",
    "statements",
    "organisations",
    "places",
    "events",
    "figures",
    "countries",
    "sectors",
    "sources",
]


@pytest.mark.parametrize("command", LISTINGS)
def test_every_listing_has_records_in_every_format(cca: Any, command: str) -> None:
    rows = cca(command, "--json").json()
    assert rows, command
    ids = [row["id"] for row in rows]
    for fmt in ("jsonl", "yaml", "csv", "tsv", "plain", "markdown", "table"):
        result = cca(command, "--format", fmt, env={"COLUMNS": "120"})
        assert result.exit_code == 0, (command, fmt, result.stderr)
        assert result.stderr == ""
        assert "\x1b" not in result.stdout
    jsonl = [json.loads(line) for line in cca(command, "-f", "jsonl").stdout.splitlines()]
    assert [row["id"] for row in jsonl] == ids
    reader = list(csv.DictReader(io.StringIO(cca(command, "-f", "csv").stdout)))
    assert [row["id"] for row in reader] == ids
    tsv = list(csv.DictReader(io.StringIO(cca(command, "-f", "tsv").stdout), delimiter="\t"))
    assert [row["id"] for row in tsv] == ids
    import yaml

    assert [row["id"] for row in yaml.safe_load(cca(command, "-f", "yaml").stdout)] == ids


def test_every_record_can_be_shown_and_found(cca: Any, kb: KnowledgeBase) -> None:
    for record_id in kb.all_ids():
        record = kb.get(record_id)
        assert record is not None
        shown = cca("show", record.id, "--json").json()
        assert shown["record"]["id"] == record.id
        assert shown["record"]["kind"] == record.kind
        hits = {hit.record.id for hit in kb.search(record.name)}
        assert record.id in hits, (record.id, record.name)


def test_show_lays_out_panels_with_evidence_and_source_reference(cca: Any) -> None:
    result = cca("show", "china-laos-railway", "-f", "table", env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    for expected in (
        "China-Laos Railway",
        "china-laos-railway",
        "Evidence",
        "Sources",
        "Related",
        "Zhong Shuangxia",
        "54 % overall, reported 2021-03-04",
        "“completing 54% of the China-Laos Railway”",
        "╭",
    ):
        assert expected in out, expected


def test_aspects_in_order_with_actions(cca: Any) -> None:
    rows = cca("aspects", "--json").json()
    assert [row["number"] for row in rows] == [1, 2, 3, 4]
    assert all(row["actions"] for row in rows)
    assert rows[0]["title"].startswith("build an open and inclusive new pattern")
    one = cca("aspects", "2", "--json").json()
    assert [row["number"] for row in one] == [2]
    assert one[0]["actions"] == rows[1]["actions"]


def test_events_are_chronological_undated_last(cca: Any) -> None:
    dates = [row.get("date") for row in cca("events", "--json").json()]
    dated = [d for d in dates if d]
    assert dated == sorted(dated)
    assert dates[: len(dated)] == dated


def test_people_carry_roles_and_statements(cca: Any) -> None:
    people = {row["id"]: row for row in cca("people", "--json").json()}
    ning = people["ning-jizhe"]
    assert any("Director" in role["title"] for role in ning["roles"])
    assert ning["statements"]


def test_countries_count_records(cca: Any, kb: KnowledgeBase) -> None:
    rows = {row["id"]: row for row in cca("countries", "--json").json()}
    assert rows["laos"]["project_count"] == len(kb.projects(country="laos"))
    assert rows["timor-leste"]["project_count"] == 0
    assert len(rows) == 12


def test_country_profile_json_and_panels(cca: Any) -> None:
    profile = cca("country", "LAO", "--json").json()
    assert profile["country"]["iso3"] == "LAO"
    assert [p["id"] for p in profile["projects"]] == ["china-laos-railway"]
    assert profile["agreements"]
    panels = cca("country", "Laos", "-f", "table", env={"COLUMNS": "100"})
    assert "Projects (1)" in panels.stdout and "54 % overall, reported 2021-03-04" in panels.stdout


def test_sectors_tree_counts_include_children(cca: Any) -> None:
    rows = {row["id"]: row for row in cca("sectors", "--json").json()}
    assert rows["transport"]["depth"] == 0
    assert rows["railway"]["parent"] == "transport"
    assert rows["transport"]["record_count"] >= rows["railway"]["record_count"] > 0


def test_sources_count_facts(cca: Any) -> None:
    sources = {row["id"]: row for row in cca("sources", "--json").json()}
    assert sources["panorama-2021-03-04-four-new-aspects"]["fact_count"] > 100
    reports = [row for row in sources.values() if row.get("type") == "report"]
    assert reports and all(row["fact_count"] >= 1 and row["url"].startswith("http") for row in reports)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Jakarta Bandung", "jakarta-bandung-high-speed-railway"),
        ("jakarta–bandung", "jakarta-bandung-high-speed-railway"),
        ("JAKARTA-BANDUNG", "jakarta-bandung-high-speed-railway"),
        ("中老铁路", "china-laos-railway"),
        ("East Coast Rail Link", "malaysia-eastern-coastal-railway"),
        ("Ning Jizhe", "ning-jizhe"),
        ("RCEP", "rcep"),
    ],
)
def test_search_is_tolerant_and_ranked(cca: Any, text: str, expected: str) -> None:
    rows = cca("search", text, "--json").json()
    assert rows, text
    # a report's title may name the project as well as the project does (its source record can tie with it)
    facts = [row for row in rows if row["kind"] != "source"]
    assert facts[0]["id"] == expected, rows[:3]
    assert expected in [row["id"] for row in rows[:3]], rows[:3]
    assert [row["score"] for row in rows] == sorted((row["score"] for row in rows), reverse=True)


def test_search_nothing_found_is_empty_and_exit_0(cca: Any) -> None:
    result = cca("search", "zzzzzz", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == []
    assert "nothing matches" in result.stderr


def test_fields_pick_keys_and_columns(cca: Any) -> None:
    rows = cca("projects", "-c", "Laos", "--json", "--fields", "id,status,status_as_of,status_reported").json()
    assert rows == [
        {
            "id": "china-laos-railway",
            "status": "operational",
            "status_as_of": "2023-04-13",
            "status_reported": "2023-04-13",
        }
    ]
    plain = cca("projects", "-c", "Laos", "--fields", "id,status").stdout
    assert plain == "china-laos-railway\toperational\n"  # plain is exactly the fields asked for


def test_overview_without_arguments(cca: Any) -> None:
    result = cca()
    assert result.exit_code == 0
    assert "11 projects" in result.stdout and "cca projects --country Laos" in result.stdout
    assert "Source: China-ASEAN Panorama, 2021-03-04" in result.stdout
    assert "Reports: " in result.stdout and result.stdout.count("Source: ") == 1  # reports counted, not listed


def test_version(cca: Any) -> None:
    assert cca("--version").stdout == f"cca {cca_lib.__version__}\n"


def test_schema_command_prints_json_schema(cca: Any) -> None:
    document = cca("schema", "project").json()
    assert document["items"]["properties"]["status"]["enum"][:2] == ["planned", "agreed"]
    assert cca("schema").json()["title"] == "cca knowledge file"


def test_json_and_format_must_agree(cca: Any) -> None:
    result = cca("projects", "--json", "--format", "csv")
    assert result.exit_code == 2
    assert "--json and --format disagree" in result.stderr


def test_help_is_whole_and_readable(cca: Any) -> None:
    """Issue 11: no '...' cut summaries at 120 columns, no click range metavars like '[x>=1]'."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "COLUMNS": "120"}
    top = subprocess.run([sys.executable, "-m", "cca", "--help"], capture_output=True, text=True, env=env).stdout
    summaries = top.split("Commands:", 1)[1]
    assert "..." not in summaries and "…" not in summaries
    for command in ("projects", "search", "actions", "link", "stats"):
        text = cca(command, "--help", env={"COLUMNS": "120"}).stdout
        assert "[x" not in text and "<=x" not in text and "<int" not in text, command


@pytest.mark.parametrize(
    "args", [["projects", "-n", "0"], ["search", "rail", "--limit", "-1"], ["link", "suggest", "--min-score", "101"]]
)
def test_out_of_range_numbers_are_one_line_usage_errors(cca: Any, args: list[str]) -> None:
    result = cca(*args)
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1
