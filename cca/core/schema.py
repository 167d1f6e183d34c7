"""Check parsed YAML against ``knowledge.schema.json``: a fast verdict, and every problem with its position.

The JSON Schema file is the single description of the format: editors use it
while people type, and cca checks it at load time twice over:

* :class:`FastCheck` gives a yes/no verdict per record, as fast as possible
  (``jsonschema_rs``, a compiled validator, when it is installed);
* :func:`validate` and :func:`validate_item` interpret the schema themselves and
  report every problem with the ``file:line:col`` of its node. They are the
  reference: the fast verdict is only ever trusted when it says "valid", and tests
  compare both with the ``jsonschema`` package.

Both understand the subset of JSON Schema 2020-12 the file uses (listed in
:data:`KEYWORDS`), plus what the file format adds: dates that must be real
(``format: partial-date``) and numbers that must be finite and, when whole,
fit in 64 bits.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from cca.core import dates
from cca.core.errors import Problem
from cca.core.nodes import Position, YamlList, YamlMap
from cca.core.signals import signals_held

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


#: The range of a whole number in a knowledge file: what SQLite and every export can hold.
INT_MIN, INT_MAX = -(2**63), 2**63 - 1


def schema_path() -> Path:
    from cca.core.settings import bundled_data_dir

    return bundled_data_dir() / "knowledge.schema.json"


@cache
def _file_schema(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = json.load(handle)
    return loaded


def knowledge_schema(path: Path | None = None) -> dict[str, Any]:
    """The knowledge file's JSON Schema: the file's, plus the sections of kinds registered with a schema."""
    from cca.core.kinds import KINDS

    schema = _file_schema(path or schema_path())
    extra = {kind.section: kind.schema for kind in KINDS if kind.schema is not None}
    if not extra:
        return schema
    merged = dict(schema)
    merged["properties"] = dict(schema["properties"])
    for section, item in extra.items():
        merged["properties"][section] = {"type": "array", "items": dict(item)}
    return merged


def valid_date(text: str) -> bool:
    """True for a real calendar date written YYYY, YYYY-MM or YYYY-MM-DD."""
    return dates.valid(text)


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


def validate_item(
    item: Any, schema: dict[str, Any], root: dict[str, Any], label: str, section: str, index: int
) -> list[Problem]:
    """Every way one item of a top-level list departs from ``schema``; paths read ``section[index]...``."""
    problems: list[Problem] = []

    def report(pos: Position, where: Any, message: str) -> None:
        problems.append(Problem(label, pos[0], pos[1], f"{_path_text(where)}: {message}"))

    pos = item.pos if isinstance(item, (YamlMap, YamlList)) else (1, 1)
    _check(item, schema, root, pos, ((None, section), index), report)
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
    # JSON Schema's integer: any number with no fractional part (1.0 is an integer).
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
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
    # JSON Schema's $ is the end of the text; Python's would also match before a final newline.
    return re.compile(text[:-1] + r"\Z" if text.endswith("$") and not text.endswith("\\$") else text)


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
        if isinstance(value, float) and not math.isfinite(value):
            report(pos, where, f"{_show(value)} is not a finite number")
            return
        if isinstance(value, int) and not INT_MIN <= value <= INT_MAX:
            report(pos, where, "the number is out of range: whole numbers must fit in 64 bits")
            return
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
        elif isinstance(schema.get("additionalProperties"), dict):
            _check(item, schema["additionalProperties"], root, value_pos.get(key, pos), child, report)


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
    import difflib  # only when a value is wrong: a first load does not pay for it

    close = difflib.get_close_matches(value, [str(choice) for choice in choices], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _resolve_all(schema: Any, root: dict[str, Any]) -> Any:
    """A schema with every $ref replaced by its definition (the file's refs do not recurse)."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            target = root["$defs"][schema["$ref"].removeprefix("#/$defs/")]
            return {
                **_resolve_all(target, root),
                **{k: _resolve_all(v, root) for k, v in schema.items() if k != "$ref"},
            }
        return {key: _resolve_all(value, root) for key, value in schema.items()}
    if isinstance(schema, list):
        return [_resolve_all(item, root) for item in schema]
    return schema


def _valid(validator: Any, value: Any) -> bool:
    try:
        return bool(validator.is_valid(value))
    except Exception:  # noqa: BLE001 - a value jsonschema_rs cannot take: ask the interpreter
        return False


class FastCheck:
    """Yes/no verdicts against the schema, one section's item at a time; never a message.

    A "no" (or any doubt) sends the caller to :func:`validate_item`, which says why.
    """

    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self._validators: dict[str, Callable[[Any], bool]] = {}
        #: Signals are held for a batch of items (checking each one holds them otherwise).
        self._holding = False

    @contextmanager
    def holding(self) -> Iterator[None]:
        """Hold signals while a batch of items is checked: once for the batch, not twice a record (4 µs each)."""
        if self._holding:
            yield
            return
        with signals_held():
            self._holding = True
            try:
                yield
            finally:
                self._holding = False

    def _validator(self, section: str) -> Callable[[Any], bool]:
        found = self._validators.get(section)
        if found is not None:
            return found
        properties: Mapping[str, Any] = self.root.get("properties", {})
        item_schema = properties.get(section, {}).get("items")
        if item_schema is None:
            self._validators[section] = lambda value: False
            return self._validators[section]
        resolved = _resolve_all(item_schema, self.root)
        check: Callable[[Any], bool]
        try:
            import jsonschema_rs
        except ImportError:  # pragma: no cover - the interpreter alone, slower

            def check(value: Any) -> bool:
                return not _interpret(value, resolved, self.root)

        else:
            with signals_held():  # jsonschema_rs calls cca back: no handler may run in there
                validator = jsonschema_rs.validator_for(
                    resolved, validate_formats=True, formats={"partial-date": dates.valid}
                )

            def check(value: Any) -> bool:
                if self._holding:  # held already, for a whole batch (see holding)
                    return _valid(validator, value)
                with signals_held():
                    return _valid(validator, value)

        self._validators[section] = check
        return check

    def item(self, section: str, value: Any) -> bool:
        return self._validator(section)(value)


def _interpret(value: Any, schema: dict[str, Any], root: dict[str, Any]) -> bool:
    """True if the interpreter finds a problem (used without positions)."""
    found = False

    def report(pos: Position, where: Any, message: str) -> None:
        nonlocal found
        found = True

    _check(value, schema, root, (1, 1), None, report)
    return found
