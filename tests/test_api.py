"""The typed Python API mirrors the commands: same filters, same records, typed results (issue 11).

This file is type-checked by mypy --strict in CI, as a user's script would be.
"""

from __future__ import annotations

from typing import Any

import pytest

from cca import CountryProfile, KnowledgeBase, Project, QueryError, load


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load()


def _ids(records: list[Any]) -> list[str]:
    return [record.id for record in records]


def _cli_ids(cca_cli: Any, *args: str) -> list[str]:
    return [row["id"] for row in cca_cli(*args, "--json").json()]


def test_projects_match_the_command(kb: KnowledgeBase, cca: Any) -> None:
    projects: list[Project] = kb.projects(country="Laos")
    assert _ids(projects) == _cli_ids(cca, "projects", "--country", "Laos") == ["china-laos-railway"]
    status = projects[0].status
    assert status is not None and (status.value, status.as_of) == ("operational", "2023-04-13")
    assert status.evidence[0].quote is None and status.evidence[0].url  # a later report, cited by its address
    assert projects[0].status_history[0].evidence[0].quote == "completing 54% of the China-Laos Railway"
    assert _ids(kb.projects(sector="railway", status="under-construction")) == _cli_ids(
        cca, "projects", "--sector", "railway", "--status", "under-construction"
    )
    assert _ids(kb.projects(region="mekong")) == _cli_ids(cca, "projects", "--region", "mekong")


@pytest.mark.parametrize(
    ("method", "args", "kwargs"),
    [
        ("agreements", ["--country", "Malaysia"], {"country": "Malaysia"}),
        ("agreements", ["--region", "asean"], {"region": "asean"}),
        ("people", ["--search", "Ning"], {"search": "Ning"}),
        ("statements", ["--country", "Laos"], {"country": "Laos"}),
        ("organisations", ["--country", "China"], {"country": "China"}),
        ("places", ["--country", "Indonesia"], {"country": "Indonesia"}),
        ("events", [], {}),
        ("figures", ["--country", "Laos"], {"country": "Laos"}),
        ("figures", ["--limit", "3"], {"limit": 3}),
        ("actions", ["--sector", "finance"], {"sector": "finance"}),
        ("aspects", [], {}),
        ("countries", [], {}),
        ("sectors", [], {}),
        ("sources", [], {}),
    ],
)
def test_every_kind_has_a_method_that_matches_its_command(
    kb: KnowledgeBase, cca: Any, method: str, args: list[str], kwargs: dict[str, Any]
) -> None:
    found = getattr(kb, method)(**kwargs)
    assert found, method
    assert _ids(found) == _cli_ids(cca, method, *args)
    kind = cca("schema", method).json()["items"]["properties"]["kind"]["const"]
    assert {record.kind for record in found} == {kind}
    assert all(type(record).__name__ != "Record" for record in found), "each kind has its typed class"


def test_actions_of_one_aspect(kb: KnowledgeBase, cca: Any) -> None:
    actions = kb.actions(aspect=2)
    assert _ids(actions) == _cli_ids(cca, "actions", "--aspect", "2")
    assert all(action.parent == kb.aspects()[1].id for action in actions)
    with pytest.raises(QueryError, match="no aspect 9"):
        kb.actions(aspect=9)


def test_statements_by_person_show_quotes_and_summary_apart(kb: KnowledgeBase) -> None:
    said = kb.statements(person="Qin Rupei")
    assert len(said) == 6
    assert all(s.person == "qin-rupei" and s.quotes for s in said)
    assert all(q not in s.summary for s in said for q in s.quotes if len(q) > 40)
    with pytest.raises(QueryError, match="no person 'Qin'"):
        kb.statements(person="Qin")


def test_country_profile_is_the_command(kb: KnowledgeBase, cca: Any) -> None:
    profile: CountryProfile = kb.country("lao pdr")
    shown = cca("country", "Laos", "--json").json()
    assert profile.country.iso3 == "LAO"
    for section in ("projects", "agreements", "people", "statements", "organisations", "places", "events", "figures"):
        assert _ids(getattr(profile, section)) == [row["id"] for row in shown[section]], section
    with pytest.raises(QueryError, match="no records for Japan"):
        kb.country("Japan")


def test_search_ranks_names_first(kb: KnowledgeBase) -> None:
    hits = kb.search("China-Laos Railway", limit=3)
    assert hits[0].record.id == "china-laos-railway"
    assert hits[0].score >= hits[-1].score


def test_the_country_profile_has_a_field_per_profile_kind() -> None:
    from cca.core.kinds import profile_sections

    assert CountryProfile._fields == ("country", *(kind.plural for kind in profile_sections()))
