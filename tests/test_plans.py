"""How the store plans a listing: a few records of a country are found from the country's set, not by
walking every record of the kind in order; the answer is the same either way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cca.core import store as stores
from cca.core.kb import KnowledgeBase
from cca.core.query import Query
from cca.io.load import load


@pytest.fixture(scope="module")
def kb(mid_knowledge: Path) -> KnowledgeBase:
    return load([mid_knowledge], bundled=False)


def _sql(kb: KnowledgeBase, query: Query) -> str:
    plan = kb.plan(query)
    return kb.store._query("r.view", plan.kind.name, plan.where, (), None)[0]


def _ids(kb: KnowledgeBase, query: Query) -> list[str]:
    return [record.id for record in kb.select(query)]


@pytest.mark.parametrize("asked", [{"country": "Laos"}, {"sector": "railway"}, {"country": "Laos", "since": 2010}])
def test_a_narrow_question_is_driven_from_its_set_and_answers_the_same(
    kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch, asked: dict[str, Any]
) -> None:
    """Driven: the kind's index is kept out of the plan ('+r.kind'), so SQLite starts from the country's (or
    sector's) records and sorts them; at 100,000 projects it walked every project in order instead (bench)."""
    query = Query.of("project", **asked)
    assert "+r.kind = ?" in _sql(kb, query)
    answer = _ids(kb, query)
    assert 0 < len(answer) <= stores.DRIVE_LIMIT
    monkeypatch.setattr(stores, "DRIVE_LIMIT", 0)  # never driven: SQLite plans as it likes
    assert "+r.kind" not in _sql(kb, query)
    assert _ids(kb, query) == answer


def test_a_wide_question_is_left_to_sqlite(kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch) -> None:
    """China is in every generated project: sorting them all would cost more than walking them in order."""
    monkeypatch.setattr(stores, "DRIVE_LIMIT", 100)
    query = Query.of("project", country="China")
    assert "+r.kind" not in _sql(kb, query)
    assert len(_ids(kb, query)) > 100
