"""cca's schema interpreter agrees with the jsonschema package on the knowledge schema."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cca.core import schema as cca_schema
from cca.io.yaml import parse

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "data" / "knowledge.schema.json").read_text(encoding="utf-8"))
BUNDLED = (ROOT / "data" / "knowledge.yaml").read_text(encoding="utf-8")
BUNDLED_DATA = yaml.safe_load(BUNDLED)


def _keywords(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "properties":
                for child in value.values():
                    found |= _keywords(child)
                found.add(key)
            elif key == "$defs":
                for child in value.values():
                    found |= _keywords(child)
            else:
                found.add(key)
                found |= _keywords(value)
    elif isinstance(node, list):
        for item in node:
            found |= _keywords(item)
    return found


def test_schema_is_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_schema_uses_only_keywords_the_interpreter_understands() -> None:
    unknown = _keywords(SCHEMA) - cca_schema.KEYWORDS - cca_schema.ANNOTATIONS
    assert not unknown, f"cca.schema does not interpret {sorted(unknown)}"


def test_the_schema_file_is_what_cca_loads() -> None:
    assert cca_schema.knowledge_schema() == SCHEMA


def _verdicts(document: Any) -> tuple[bool, bool]:
    ours = not cca_schema.validate(document, "x.yaml")
    theirs = jsonschema.Draft202012Validator(SCHEMA, format_checker=None).is_valid(document)
    return ours, theirs


FAST = cca_schema.FastCheck(SCHEMA)


def _fast_verdict(document: Any) -> bool:
    """The fast path's verdict: each record of each section through the compiled validator."""
    skeleton = {key: ([] if isinstance(value, list) else value) for key, value in document.items()}
    if cca_schema.validate(skeleton, "x.yaml"):
        return False
    return all(FAST.item(key, item) for key, value in document.items() if isinstance(value, list) for item in value)


def test_bundled_knowledge_is_valid_for_both() -> None:
    assert _verdicts(parse(BUNDLED)) == (True, True)
    assert _fast_verdict(parse(BUNDLED))


MUTATIONS: list[tuple[str, Any]] = [
    ("projects.0.status.0.value", "ongoing"),
    ("projects.0.countries", []),
    ("projects.0.name", 5),
    ("projects.0.nmae", "typo"),
    ("projects.0.progress.0.value", "54%"),
    ("projects.0.evidence", []),
    ("projects.0.evidence.0.quote", "x" * 301),
    ("projects.0.id", "Not Kebab"),
    ("events.0.date", "2020-7"),
    ("countries.0.iso2", "lao"),
    ("format", 2),
    ("figures.0.value", True),
    ("aspects.0.actions", []),
    ("people.0.roles.0", {"title": "x", "extra": 1}),
]


def _set(document: Any, dotted: str, value: Any) -> Any:
    document = copy.deepcopy(document)
    *path, last = dotted.split(".")
    node = document
    for part in path:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return document


@pytest.mark.parametrize(("path", "value"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_each_mutation_is_rejected_by_both(path: str, value: Any) -> None:
    document = _set(BUNDLED_DATA, path, value)
    ours, theirs = _verdicts(document)
    assert (ours, theirs, _fast_verdict(document)) == (False, False, False)


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.text(max_size=5),
    st.sampled_from(["2021-03-04", "laos", "planned", "percent", "a-b"]),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_mutations_get_the_same_verdict(data: st.DataObject) -> None:
    document = BUNDLED_DATA
    section = data.draw(st.sampled_from(["projects", "agreements", "figures", "events", "people", "statements"]))
    record = copy.deepcopy(data.draw(st.sampled_from(document[section])))
    key = data.draw(st.sampled_from([*record.keys(), "unknown_key"]))
    record[key] = data.draw(
        st.one_of(_scalars, st.lists(_scalars, max_size=2), st.dictionaries(st.text(max_size=3), _scalars, max_size=2))
    )
    document = {"format": 1, section: [record]}  # one record: the schema sees no references
    ours, theirs = _verdicts(document)
    assert ours == theirs, (section, key, record[key])
    assert _fast_verdict(document) == ours, (section, key, record[key])
