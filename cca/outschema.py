"""JSON Schemas of cca's JSON output, one per kind, derived from the knowledge schema.

A kind's output is its knowledge record with references made readable
(``countries`` as names plus ``country_codes``) and a few derived fields; this
module states exactly that, so ``cca schema KIND`` documents the output and the
tests hold every command's JSON to it.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from cca.model import ALL_KINDS, KINDS, STATUSES
from cca.schema import knowledge_schema

_STR = {"type": "string"}
_STR_OR_NULL = {"type": ["string", "null"]}
_STRINGS = {"type": "array", "items": _STR}
_EVIDENCE = {
    "type": "array",
    "description": "Verbatim quotes that prove the record.",
    "items": {
        "type": "object",
        "properties": {"source": _STR, "quote": _STR, "note": _STR},
        "required": ["source", "quote"],
        "additionalProperties": False,
    },
}


def _record_def(kind: str) -> dict[str, Any]:
    root = knowledge_schema()
    if kind == "action":
        aspect = root["properties"]["aspects"]["items"]
        return copy.deepcopy(aspect["properties"]["actions"]["items"])
    plural = {v: k for k, v in KINDS.items()}[kind]
    return copy.deepcopy(root["properties"][plural]["items"])


def _inline(schema: Any, root: dict[str, Any]) -> Any:
    """Replace $ref with the definition it names, so each output schema stands alone."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            target = root["$defs"][schema["$ref"].removeprefix("#/$defs/")]
            merged = {**_inline(target, root), **{k: v for k, v in schema.items() if k != "$ref"}}
            return merged
        return {key: _inline(value, root) for key, value in schema.items()}
    if isinstance(schema, list):
        return [_inline(item, root) for item in schema]
    return schema


@cache
def output_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of one record of ``kind`` as cca prints it."""
    if kind == "search":
        return _document(
            kind,
            {
                "type": "object",
                "properties": {"kind": _STR, "id": _STR, "name": _STR, "score": {"type": "integer"}},
                "required": ["kind", "id", "name", "score"],
                "additionalProperties": False,
            },
        )
    if kind not in ALL_KINDS:
        raise KeyError(kind)
    root = knowledge_schema()
    record = _inline(_record_def(kind), root)
    source_props: dict[str, Any] = record["properties"]
    props: dict[str, Any] = {
        "id": {**_STR, "description": "Stable identifier."},
        "kind": {"type": "string", "const": kind, "description": "The kind of record."},
        "name": {**_STR, "description": "Display name (name, title, label, subject or summary)."},
    }
    for key, value in source_props.items():
        if key not in ("id", "evidence"):
            props[key] = value
    if "countries" in props:
        props["countries"] = {**_STRINGS, "description": "Common English names of the countries."}
        props["country_codes"] = {**_STRINGS, "description": "ISO 3166-1 alpha-2 codes of the countries."}
    if "country" in props:
        props["country"] = {**_STR, "description": "Common English name of the country."}
        props["country_code"] = {**_STR_OR_NULL, "description": "ISO 3166-1 alpha-2 code of the country."}
    required = ["id", "kind", "name", "evidence", "defined_at"]
    if kind == "project":
        observation = props.pop("status")["items"]
        props["status"] = {
            "type": ["string", "null"],
            "enum": [*STATUSES, None],
            "description": "The latest status (see status_as_of: a status is only as recent as its source).",
        }
        props["status_as_of"] = {**_STR_OR_NULL, "description": "Date of the latest status observation."}
        props["status_source"] = {**_STR_OR_NULL, "description": "Source id of the latest status observation."}
        props["status_history"] = {
            "type": "array",
            "items": observation,
            "description": "Every status observation, oldest first.",
        }
        progress = props["progress"]["items"]
        progress["properties"]["source"] = {**_STR_OR_NULL, "description": "Source id of the figure."}
        progress["required"] = [*progress["required"], "qualifier", "source"]
        props["progress"]["description"] = "Progress figures, oldest first, each with its as_of date and source."
        required += ["countries", "country_codes", "sectors", "status", "status_as_of", "progress"]
    if kind == "aspect":
        props["actions"] = {
            "type": "array",
            "items": output_schema("action")["items"],
            "description": "The aspect's concrete actions, in order.",
        }
    if kind == "action":
        props["aspect"] = {**_STR, "description": "Id of the aspect the action belongs to."}
    if kind == "person":
        props["statements"] = {
            "type": "array",
            "description": "What the person said.",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["id", "form", "summary", "quotes"],
                "properties": {"id": _STR, "form": _STR, "summary": _STR, "quotes": _STRINGS},
            },
        }
    if kind == "statement":
        props["person_name"] = {**_STR, "description": "Name of the person who said it."}
    if kind == "country":
        for what in ("project", "agreement", "figure"):
            props[f"{what}_count"] = {
                "type": "integer",
                "description": f"How many {KINDS_PLURAL[what]} concern the country.",
            }
        props["record_count"] = {"type": "integer", "description": "How many records of any kind concern the country."}
    if kind == "sector":
        props["record_count"] = {"type": "integer", "description": "Records in this sector or below it."}
        props["tree"] = {**_STR, "description": "The label indented by depth (for tree display)."}
        props["depth"] = {"type": "integer", "description": "0 for a top-level sector."}
    if kind == "source":
        props["fact_count"] = {"type": "integer", "description": "Evidence quotes citing this source."}
    props["evidence"] = _EVIDENCE if kind in ("country", "sector", "source") else {**_EVIDENCE, "minItems": 1}
    props["defined_at"] = {**_STR, "description": "file:line:col where the record is defined."}
    item = {"type": "object", "properties": props, "required": required, "additionalProperties": False}
    return _document(kind, item)


KINDS_PLURAL = {"project": "projects", "agreement": "agreements", "figure": "figures"}


def _document(kind: str, item: dict[str, Any]) -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"cca {kind} list",
        "description": f"What `cca ... --json` prints for {kind} records: an array of objects.",
        "type": "array",
        "items": item,
    }


def fields(kind: str) -> list[str]:
    """The JSON keys of ``kind``'s output, in order: what --fields accepts."""
    return list(output_schema(kind)["items"]["properties"])


def show_schema() -> dict[str, Any]:
    """``cca show ID --json``: any record's object plus its related records and sources."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "cca show",
        "type": "object",
        "required": ["record", "related", "sources"],
        "additionalProperties": False,
        "properties": {
            "record": {"oneOf": [output_schema(kind)["items"] for kind in ALL_KINDS]},
            "related": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "kind", "name"],
                    "additionalProperties": False,
                    "properties": {"id": _STR, "kind": _STR, "name": _STR},
                },
            },
            "sources": output_schema("source"),
        },
    }


PROFILE_SECTIONS = ("projects", "agreements", "figures", "events", "people", "statements", "organisations", "places")


def country_schema() -> dict[str, Any]:
    """``cca country NAME --json``: the country and every record that concerns it."""
    plural_to_kind = {**KINDS}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "cca country",
        "type": "object",
        "required": ["country", *PROFILE_SECTIONS],
        "additionalProperties": False,
        "properties": {
            "country": output_schema("country")["items"],
            **{section: output_schema(plural_to_kind[section]) for section in PROFILE_SECTIONS},
        },
    }
