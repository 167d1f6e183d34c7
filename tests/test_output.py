"""Output as an API: JSON against the published schemas, golden tables, text that is never markup."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from cca import load
from cca.core.kb import KnowledgeBase
from cca.core.kinds import KINDS
from cca.core.model import STATUSES

ALL_KINDS = KINDS.names()
PLURALS = {kind.name: kind.plural for kind in KINDS}


GOLDEN = Path(__file__).resolve().parent / "golden"

LISTINGS = {plural: kind for kind, plural in PLURALS.items()}  # every listing command and its kind


def _schema(cca: Any, kind: str) -> dict[str, Any]:
    document = cca("schema", kind).json()
    jsonschema.Draft202012Validator.check_schema(document)
    return document  # type: ignore[no-any-return]


@pytest.mark.parametrize(("command", "kind"), sorted(LISTINGS.items()))
def test_listing_json_matches_its_published_schema(cca: Any, command: str, kind: str) -> None:
    rows = cca(command, "--json").json()
    jsonschema.validate(rows, _schema(cca, kind))
    assert all(row["kind"] == kind and row["evidence"] is not None for row in rows)


def test_filtered_and_empty_answers_match_the_schema(cca: Any) -> None:
    schema = _schema(cca, "project")
    for args in (["-c", "Laos"], ["-s", "transport"], ["--status", "operational"], ["-c", "France"]):
        jsonschema.validate(json.loads(cca("projects", *args, "--json").stdout), schema)


def test_search_json_matches_its_schema(cca: Any) -> None:
    jsonschema.validate(cca("search", "railway", "--json").json(), _schema(cca, "search"))


def test_show_json_matches_its_schema_for_every_kind(cca: Any, kb: KnowledgeBase) -> None:
    schema = _schema(cca, "show")
    for kind in ALL_KINDS:
        record = kb.of_kind(kind)[0]
        jsonschema.validate(cca("show", record.id, "--json").json(), schema)


def test_country_json_matches_its_schema(cca: Any) -> None:
    schema = _schema(cca, "country-profile")
    for name in ("Laos", "Malaysia", "China", "Timor-Leste"):
        jsonschema.validate(cca("country", name, "--json").json(), schema)


def test_every_project_has_the_promised_fields(cca: Any) -> None:
    for row in cca("projects", "--json").json():
        for key in ("id", "kind", "name", "countries", "country_codes", "sectors", "status", "progress", "evidence"):
            assert key in row, key
        assert len(row["countries"]) == len(row["country_codes"])
        for item in row["progress"]:
            assert set(item) >= {"metric", "value", "unit", "as_of"}


# -- golden files ----------------------------------------------------------------------------------------

GOLDEN_WIDTHS = (50, 80, 120, 200)
GOLDEN_COMMANDS = [
    *([kind.plural] for kind in KINDS),
    ["projects", "-c", "Laos"],
    ["search", "railway"],
    ["show", "china-laos-railway"],
    ["show", "qin-rupei-on-win-win-cooperation"],
    ["country", "Laos"],
]
#: Every listing, show and country at every width (issue 11), and the Markdown forms.
GOLDEN_CASES = [([*command, "-f", "table"], width) for command in GOLDEN_COMMANDS for width in GOLDEN_WIDTHS] + [
    (["projects", "-f", "markdown"], 80),
    (["aspects", "-f", "markdown"], 120),
    (["country", "Laos", "-f", "markdown"], 80),
    (["statements", "-f", "markdown"], 80),
]


@pytest.mark.parametrize(("args", "width"), GOLDEN_CASES, ids=lambda v: "-".join(v) if isinstance(v, list) else str(v))
def test_golden(cca: Any, args: list[str], width: int) -> None:
    result = cca(*args, env={"COLUMNS": str(width)})
    assert result.exit_code == 0, result.stderr
    path = GOLDEN / f"{'_'.join(a.lstrip('-') for a in args)}.{width}.txt"
    if os.environ.get("CCA_UPDATE_GOLDEN"):
        path.write_text(result.stdout, encoding="utf-8")
    assert path.exists(), f"missing golden file {path.name}: run with CCA_UPDATE_GOLDEN=1"
    assert result.stdout == path.read_text(encoding="utf-8")
    if "markdown" not in args:  # markdown rows are one line each by design
        assert max(len(line) for line in result.stdout.splitlines()) <= width
    assert "\x1b" not in result.stdout
    fits = [word for word in _IDS if len(word) + 2 <= width - 4]  # with its brackets, inside a panel
    assert not _broken(result.stdout, fits), "an id, date or enum value is broken across lines"


#: Every id, status and date the tables may show: none may be cut across lines.
_IDS = sorted(
    {*load().all_ids(), *STATUSES, "2021-03-04", "2020-11-15"},
    key=len,
)


def _prose_words() -> set[str]:
    """Hyphenated words the knowledge's own text uses ("high-speed" in a report's title): words, not cut ids."""
    kb = load()
    words: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, str):
            words.update(token.strip("[](),;:“”‘’'\"") for token in value.split() if "-" in token)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for record_id in kb.all_ids():
        record = kb.get(record_id)
        if record is not None:
            walk({key: value for key, value in record.data.items() if key != "id"})
    return words


_PROSE = _prose_words()


def _broken(text: str, whole: list[str]) -> list[str]:
    """Tokens that are a proper beginning of an id (or status, or date) and not a whole one, nor a word of the text."""
    tokens = {token.strip("[](),;:“”") for token in text.replace("│", " ").split()}
    complete = set(whole)
    return sorted(
        token
        for token in tokens
        if len(token) >= 6
        and "-" in token
        and token not in complete
        and token not in _PROSE
        and any(w.startswith(token) for w in whole)
    )


# -- hostile text in the knowledge ---------------------------------------------------------------------------

HOSTILE = """\
format: 1
sources:
  - id: s
    title: "[bold red]Title[/] \\e[31mred\\e[0m"
    publisher: "=HYPERLINK(\\"http://x\\")"
    date: "2024-01-01"
countries:
  - {id: laos, name: Laos, official_name: Lao People's Democratic Republic, iso2: LA, iso3: LAO}
sectors:
  - {id: rail, label: Rail}
projects:
  - id: p
    name: "[bold]Not bold[/bold] \\e[2J\\e]0;pwned\\a \\x9b31m"
    type: railway
    countries: [laos]
    sectors: [rail]
    summary: "+cmd|' /C calc'!A0"
    status:
      - value: planned
        as_of: "2024-01-01"
        evidence: [{source: s, quote: "@SUM(1+1)"}]
    evidence: [{source: s, quote: "-2+3"}]
"""


@pytest.fixture
def hostile(tmp_path: Path) -> dict[str, str]:
    path = tmp_path / "hostile.yaml"
    path.write_text(HOSTILE, encoding="utf-8")
    return {"CCA_KNOWLEDGE": str(path), "CCA_NO_BUNDLED": "1"}


@pytest.mark.parametrize("fmt", ["table", "plain", "markdown", "csv", "tsv", "json", "jsonl", "yaml"])
def test_knowledge_text_is_data_not_markup_in_every_format(cca: Any, hostile: dict[str, str], fmt: str) -> None:
    result = cca("projects", "-f", fmt, env={**hostile, "FORCE_COLOR": "1", "NO_COLOR": "", "COLUMNS": "250"})
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    for control in ("\x1b", "\x07", "\x9b"):
        assert control not in out, (fmt, repr(out))
    if fmt in ("table", "plain", "csv", "tsv", "json", "jsonl", "yaml"):
        assert "[bold]Not bold[/bold]" in out, fmt  # shown as typed, not interpreted


def test_show_panels_escape_markup_and_controls(cca: Any, hostile: dict[str, str]) -> None:
    out = cca("show", "p", "-f", "table", env=hostile).stdout
    assert "[bold]Not bold[/bold]" in out
    assert "\\x1b[2J" in out and "\x1b" not in out


def test_csv_neutralises_formulas(cca: Any, hostile: dict[str, str]) -> None:
    import csv
    import io

    (row,) = list(csv.DictReader(io.StringIO(cca("projects", "-f", "csv", env=hostile).stdout)))
    assert row["summary"].startswith("'+cmd")
    assert row["evidence"].startswith("'-2+3")
    (source,) = list(csv.DictReader(io.StringIO(cca("sources", "-f", "csv", env=hostile).stdout)))
    assert source["publisher"].startswith("'=HYPERLINK")


def test_json_escapes_controls_but_keeps_chinese(cca: Any) -> None:
    out = cca("search", "中老铁路", "--json").stdout
    assert "\\u" not in out or "中" in out
    rows = cca("show", "china-laos-railway", "--json").json()
    assert "中老铁路" in rows["record"]["aliases"]


@pytest.mark.parametrize("fmt", ["csv", "tsv", "jsonl"])
def test_country_in_a_flat_format_loses_no_section(cca: Any, fmt: str) -> None:
    """Issue 11: every record of every section, each row saying its kind; nothing dropped in silence."""
    profile = json.loads(cca("country", "Vietnam", "--json").stdout)
    expected = {("country", "vietnam")}
    for kind in KINDS:
        for row in profile.get(kind.plural) or ():
            expected.add((kind.name, row["id"]))
    assert {kind for kind, _ in expected} >= {"country", "agreement", "statement"}
    out = cca("country", "Vietnam", "--format", fmt).stdout
    if fmt == "jsonl":
        got = {(row["kind"], row["id"]) for row in map(json.loads, out.splitlines())}
    else:
        sep = "," if fmt == "csv" else "\t"
        assert out.splitlines()[0].split(sep) == ["kind", "id", "name"]
        got = {tuple(line.split(sep)[:2]) for line in out.splitlines()[1:]}
    assert got == expected


def test_a_piped_document_is_one_record_per_line_and_the_same_json(cca: Any) -> None:
    """show/country --json in a pipe: each list item on its own line (C encoder), the same value as indented."""
    from cca.io.formats import json_document

    out = cca("country", "Laos", "--json").stdout
    value = json.loads(out)
    assert json.loads(json_document(value, pretty=True)) == value
    lines = out.splitlines()
    assert lines[0] == "{" and lines[-1] == "}"
    assert sum(1 for line in lines if line.startswith('{"id": "china-laos-railway"')) == 1
