"""Check parsed YAML against ``knowledge.schema.json``, reporting every problem with its position.

The JSON Schema file is the single description of the format: editors use it
while people type, and this module interprets it at load time. It understands
the subset of JSON Schema 2020-12 the file uses (listed in :data:`KEYWORDS`; a
test keeps the two in step and compares verdicts with the ``jsonschema``
package). Writing the interpreter here, rather than depending on
``jsonschema``, keeps the import off cca's start-up path and lets every message
carry the ``file:line:col`` of the node it is about.
"""

from __future__ import annotations

import datetime
import difflib
import json
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from cca.errors import Problem
from cca.yamlfile import Position, YamlList, YamlMap

#: The JSON Schema keywords this interpreter understands (annotations are ignored).
KEYWORDS = frozenset(
    {
        "$ref",
        "type",
        "enum",
        "const",
        "pattern",
        "minLength",
        "maxLength",
        "minimum",
        "maximum",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "minItems",
        "uniqueItems",
        "format",
    }
)
ANNOTATIONS = frozenset({"$schema", "$id", "$defs", "title", "description", "$comment", "default", "examples"})

Report = Callable[[Position, Any, str], None]


def schema_path() -> Path:
    from cca.knowledge import data_dir

    return data_dir() / "knowledge.schema.json"


@cache
def knowledge_schema() -> dict[str, Any]:
    """The knowledge file's JSON Schema, as a dict."""
    with schema_path().open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = json.load(handle)
    return loaded


def valid_date(text: str) -> bool:
    """True for a real calendar date written YYYY, YYYY-MM or YYYY-MM-DD."""
    parts = text.split("-")
    try:
        if len(parts) == 1 and len(parts[0]) == 4:
            return int(parts[0]) >= 1
        if len(parts) == 2 and len(parts[0]) == 4 and len(parts[1]) == 2:
            return 1 <= int(parts[1]) <= 12
        if len(parts) == 3:
            datetime.date.fromisoformat(text)
            return True
    except ValueError:
        return False
    return False


def validate(document: Any, label: str, schema: dict[str, Any] | None = None) -> list[Problem]:
    """Every way ``document`` departs from the schema, in document order."""
    root = knowledge_schema() if schema is None else schema
    problems: list[Problem] = []

    def report(pos: Position, where: Any, message: str) -> None:
        path = _path_text(where)
        prefix = f"{path}: " if path else ""
        problems.append(Problem(label, pos[0], pos[1], prefix + message))

    pos = document.pos if isinstance(document, (YamlMap, YamlList)) else (1, 1)
    _check(document, root, root, pos, None, report)
    return problems


def _path_text(where: Any) -> str:
    """Render a lazily built path, (parent, key) pairs, as projects[0].status[1].value.

    Paths are built as pairs while walking and only turned into text for a report:
    formatting a string for each of a million nodes would dominate a large file's check.
    """
    parts: list[str] = []
    while where is not None:
        where, key = where
        parts.append(f"[{key}]" if isinstance(key, int) else f".{key}")
    text = "".join(reversed(parts))
    return text[1:] if text.startswith(".") else text


_TYPES: dict[str, Callable[[Any], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}
_NAMES = {
    "object": "a mapping",
    "array": "a list",
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}


def describe(value: Any) -> str:
    for name, test in _TYPES.items():
        if name != "integer" and test(value):
            return _NAMES["integer"] if _TYPES["integer"](value) else _NAMES[name]
    return type(value).__name__


@cache
def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(text)


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].removeprefix("#/$defs/")
        schema = root["$defs"][name]
    return schema


def _check(value: Any, schema: dict[str, Any], root: dict[str, Any], pos: Position, where: Any, report: Report) -> None:
    schema = _resolve(schema, root)
    expected = schema.get("type")
    if expected is not None:
        names = expected if isinstance(expected, list) else [expected]
        if not any(_TYPES[name](value) for name in names):
            wanted = " or ".join(_NAMES[name] for name in names)
            report(pos, where, f"expected {wanted}, found {describe(value)} {_show(value)}".rstrip())
            return
    if "enum" in schema and value not in schema["enum"]:
        choices = ", ".join(str(choice) for choice in schema["enum"])
        hint = _suggest(value, schema["enum"])
        report(pos, where, f"{_show(value)} is not one of: {choices}{hint}")
        return
    if "const" in schema and value != schema["const"]:
        report(pos, where, f"must be {schema['const']!r}")
    if isinstance(value, str):
        _check_string(value, schema, pos, where, report)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            report(pos, where, f"{value} is less than the minimum {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            report(pos, where, f"{value} is more than the maximum {schema['maximum']}")
    elif isinstance(value, dict):
        _check_object(value, schema, root, pos, where, report)
    elif isinstance(value, list):
        _check_array(value, schema, root, pos, where, report)


def _check_string(value: str, schema: dict[str, Any], pos: Position, where: Any, report: Report) -> None:
    if "minLength" in schema and len(value) < schema["minLength"]:
        report(pos, where, "must not be empty" if schema["minLength"] == 1 else f"shorter than {schema['minLength']}")
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        report(pos, where, f"is {len(value)} characters long; at most {schema['maxLength']} allowed")
    if "pattern" in schema and not _pattern(schema["pattern"]).search(value):
        if schema.get("format") == "partial-date":
            report(pos, where, f"{_show(value)} is not a date: write YYYY-MM-DD, YYYY-MM or YYYY")
        elif schema["pattern"].startswith("^[a-z0-9]+"):
            report(pos, where, f"{_show(value)} is not a valid id: use lower-case letters, digits and single hyphens")
        else:
            report(pos, where, f"{_show(value)} does not match the pattern {schema['pattern']}")
    elif schema.get("format") == "partial-date" and not valid_date(value):
        report(pos, where, f"{_show(value)} is not a real calendar date")


def _check_object(
    value: dict[Any, Any], schema: dict[str, Any], root: dict[str, Any], pos: Position, where: Any, report: Report
) -> None:
    properties: dict[str, Any] = schema.get("properties", {})
    key_pos = value.key_pos if isinstance(value, YamlMap) else {}
    value_pos = value.value_pos if isinstance(value, YamlMap) else {}
    for name in schema.get("required", ()):
        if name not in value:
            report(pos, where, f"missing required field {name!r}")
    for key, item in value.items():
        child = (where, key)
        if key in properties:
            _check(item, properties[key], root, value_pos.get(key, pos), child, report)
        elif schema.get("additionalProperties") is False:
            report(key_pos.get(key, pos), where, f"unknown field {key!r}{_suggest(key, properties)}")


def _check_array(
    value: list[Any], schema: dict[str, Any], root: dict[str, Any], pos: Position, where: Any, report: Report
) -> None:
    if "minItems" in schema and len(value) < schema["minItems"]:
        report(pos, where, f"needs at least {schema['minItems']} item{'s' if schema['minItems'] != 1 else ''}")
    item_pos = value.item_pos if isinstance(value, YamlList) else []
    items = schema.get("items")
    seen: dict[Any, int] = {}
    for index, item in enumerate(value):
        at = item_pos[index] if index < len(item_pos) else pos
        if items is not None:
            _check(item, items, root, at, (where, index), report)
        if schema.get("uniqueItems") and isinstance(item, (str, int, float)):
            if item in seen:
                report(at, (where, index), f"{_show(item)} is listed twice")
            seen.setdefault(item, index)


def _show(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return ""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "...'"


def _suggest(value: Any, choices: Any) -> str:
    if not isinstance(value, str):
        return ""
    close = difflib.get_close_matches(value, [str(choice) for choice in choices], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
