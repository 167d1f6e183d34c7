"""Facts as faithful as their quotes: the checks `validate` makes beyond the schema (issue: the audit).

Each case is the minimal valid file with one unfaithful change; each must be refused with
one exact, positioned message. The bundled knowledge passes them all.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import cca
from cca.core.errors import KnowledgeError

MINIMAL = (Path(__file__).parent / "fixtures" / "good" / "minimal.yaml").read_text(encoding="utf-8")

FIGURE = """
figures:
  - id: fig-railway-54
    subject: "Share of the test railway completed"
    value: 54
    unit: percent
    about: [test-railway]
    countries: [laos]
    evidence:
      - source: test-source
        quote: "54% of the railway"
"""

STATEMENT = """
people:
  - id: someone
    name: "Some One"
    roles: [{title: "Minister"}]
    evidence: [{source: test-source, quote: "the test railway"}]
statements:
  - id: said-something
    {who}
    form: {form}
    summary: "Says the railway is under construction."
    evidence: [{source: test-source, quote: "the railway is under construction"}]
"""


def _problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "k.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(KnowledgeError) as raised:
        cca.load([path])
    return [f"{p.line}:{p.column}: {p.message}" for p in raised.value.problems]


def test_a_figure_about_a_project_names_the_project_s_countries(tmp_path: Path) -> None:
    assert _problems(tmp_path, MINIMAL + FIGURE) == [
        "63:16: countries: the figure is about project 'test-railway', which also concerns china"
    ]
    path = tmp_path / "ok.yaml"
    path.write_text(MINIMAL + FIGURE.replace("countries: [laos]", "countries: [laos, china]"), encoding="utf-8")
    assert cca.load([path]).get("fig-railway-54") is not None


def test_an_alias_resting_on_a_guess_is_refused(tmp_path: Path) -> None:
    text = MINIMAL.replace(
        '    name: "Test Railway"\n',
        '    name: "Test Railway"\n    aliases: ["Vientiane Line"]\n'
        '    notes: "The article does not name it; likely the Vientiane Line."\n',
    )
    assert _problems(tmp_path, text) == [
        "33:15: alias 'Vientiane Line' rests on a guess in the notes: keep guesses in notes, not aliases"
    ]


def test_general_knowledge_in_sourced_prose_is_refused(tmp_path: Path) -> None:
    text = MINIMAL.replace(
        '    name: "Test Railway"\n',
        '    name: "Test Railway"\n    summary: "A line; general knowledge: it opened in 2021."\n',
    )
    assert _problems(tmp_path, text) == [
        "33:14: summary: 'general knowledge': general knowledge belongs in notes, never in sourced prose"
    ]


@pytest.mark.parametrize(
    ("who", "form", "expected"),
    [
        (
            "person: someone",
            "narration",
            "64:13: a statement of form narration is the source's own voice: it names no person",
        ),
        ("notes: 'nobody'", "reported", "63:5: missing required field 'person' (a reported statement is a person's)"),
    ],
)
def test_narration_names_no_person_and_speech_names_one(tmp_path: Path, who: str, form: str, expected: str) -> None:
    assert _problems(tmp_path, MINIMAL + STATEMENT.replace("{who}", who).replace("{form}", form)) == [expected]


def test_narration_is_shown_as_the_source_s_own_voice(cca: object, tmp_path: Path) -> None:
    path = tmp_path / "k.yaml"
    path.write_text(
        MINIMAL + STATEMENT.replace("{who}", "notes: 'the article itself'").replace("{form}", "narration"),
        encoding="utf-8",
    )
    rows = cca("--no-bundled", "-k", str(path), "statements", "--json").json()  # type: ignore[operator]
    assert rows[0]["person_name"] is None and rows[0]["speaker"] == "Test Publisher (narration)"
    assert rows[0]["quotes"] == ["the railway is under construction"]


def test_china_is_a_party_of_every_project_the_article_gives_one(kb: cca.KnowledgeBase) -> None:
    assert len(kb.projects(country="China")) == len(kb.projects()) == 11


def test_people_show_what_was_said_in_the_sources_words_never_the_summary(cca: object) -> None:
    """Issue 11: the paraphrase is never presented as the speaker's words."""
    import json

    people = json.loads(cca("people", "--json").stdout)  # type: ignore[operator]
    said = {
        line.split("\t")[0]: line.split("\t")[3]
        for line in cca("people", "--format", "plain").stdout.splitlines()  # type: ignore[operator]
    }
    checked = 0
    for person in people:
        for statement in person["statements"]:
            assert statement["summary"] not in said[person["id"]]
            for quote in statement["quotes"]:
                assert f"“{quote}”" in said[person["id"]]
                checked += 1
            if statement["form"] != "direct-quote":
                assert f"{statement['form']}: “" in said[person["id"]]
    assert checked >= 10
