"""Users' own knowledge files: beside the bundled one, updates over time, options and environment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import cca
from cca.core.errors import KnowledgeError
from cca.core.model import Project

UPDATE = """\
format: 1
sources:
  - id: later-report-2026
    title: A later report
    publisher: Somebody
    date: "2026-01-10"
updates:
  - id: china-laos-railway
    aliases: [Boten–Vientiane railway]
    status:
      - value: suspended
        as_of: "2026-01-03"
        evidence: [{source: later-report-2026, quote: "Trains stopped on 3 January 2026."}]
    progress:
      - metric: overall
        value: 100
        unit: percent
        as_of: "2026-01-03"
        evidence: [{source: later-report-2026, quote: "Trains stopped on 3 January 2026."}]
"""


@pytest.fixture
def update_file(tmp_path: Path) -> Path:
    path = tmp_path / "later.yaml"
    path.write_text(UPDATE, encoding="utf-8")
    return path


def test_an_update_adds_observations_and_keeps_the_history(update_file: Path) -> None:
    kb = cca.load(extra=[update_file])
    railway = kb.get("china-laos-railway")
    assert isinstance(railway, Project)
    history = [(o.value, o.as_of) for o in railway.status_history]
    assert history[0] == ("under-construction", None)  # the article's, kept as history
    assert ("operational", "2021-12-03") in history  # the bundled reports'
    assert history[-1] == ("suspended", "2026-01-03")
    assert railway.status is not None and railway.status.value == "suspended"
    assert [p.value for p in railway.progress if p.metric == "overall"] == [54, 100]
    assert "Boten–Vientiane railway" in railway.aliases


def test_updates_show_in_the_cli_with_their_dates(cca: Any, update_file: Path) -> None:
    rows = cca("--knowledge", str(update_file), "projects", "-c", "Laos", "--json").json()
    assert rows[0]["status"] == "suspended" and rows[0]["status_as_of"] == "2026-01-03"
    assert rows[0]["status_source"] == "later-report-2026"
    values = [o["value"] for o in rows[0]["status_history"]]
    assert values[0] == "under-construction" and values[-1] == "suspended"
    plain = cca("projects", "-c", "Laos", env={"CCA_KNOWLEDGE": str(update_file)}).stdout
    assert "suspended, as of 2026-01-03 (reported 2026-01-10)" in plain
    assert "100 % overall, as of 2026-01-03 (reported 2026-01-10)" in plain


def test_a_directory_of_files_works(cca: Any, update_file: Path) -> None:
    rows = cca("projects", "-c", "LA", "--json", env={"CCA_KNOWLEDGE": str(update_file.parent)}).json()
    assert rows[0]["status"] == "suspended"


def test_update_of_an_unknown_record_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(UPDATE.replace("id: china-laos-railway", "id: china-laos-railwya"), encoding="utf-8")
    with pytest.raises(KnowledgeError) as caught:
        cca.load(extra=[path])
    (problem,) = caught.value.problems
    assert (problem.line, problem.column) == (8, 9)
    assert problem.message == "update of unknown record 'china-laos-railwya' (did you mean 'china-laos-railway'?)"


def test_status_can_only_be_added_to_projects(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(UPDATE.replace("id: china-laos-railway", "id: rcep"), encoding="utf-8")
    with pytest.raises(
        KnowledgeError, match="status and progress can only be added to projects; 'rcep' is an agreement"
    ):
        cca.load(extra=[path])


def test_leaving_the_bundled_file_out(cca: Any, update_file: Path) -> None:
    result = cca("--no-bundled", "--knowledge", str(update_file), "projects")
    assert result.exit_code == 1  # the update's target lives in the bundled file
    assert "update of unknown record 'china-laos-railway'" in result.stderr
    env_result = cca("projects", env={"CCA_NO_BUNDLED": "1", "CCA_KNOWLEDGE": str(update_file)})
    assert env_result.stderr == result.stderr


def test_all_problems_of_all_files_at_once(tmp_path: Path) -> None:
    first = tmp_path / "a.yaml"
    first.write_text("format: 1\nfigures:\n  - id: x\n    subject: s\n    value: one\n    unit: u\n", encoding="utf-8")
    second = tmp_path / "b.yaml"
    second.write_text("format: 1\nplaces:\n  - id: y\n    name: n\n    type: planet\n", encoding="utf-8")
    with pytest.raises(KnowledgeError) as caught:
        cca.load([first, second])
    messages = [str(p) for p in caught.value.problems]
    assert f"{first}:3:5: figures[0]: missing required field 'evidence'" in messages
    assert f"{first}:5:12: figures[0].value: expected a number, found text 'one'" in messages
    assert any(m.startswith(f"{second}:5:11: places[0].type: 'planet' is not one of:") for m in messages)


def test_validate_given_files_with_the_bundled_one(cca: Any, update_file: Path) -> None:
    result = cca("validate", str(update_file))
    assert result.exit_code == 0, result.stderr
    assert "in 2 files" in result.stderr
