"""JSON Schemas of cca's JSON output, one per kind, derived from the knowledge schema and the registry.

A kind's output is its knowledge record with references made readable
(``countries`` as names plus ``country_codes``) and the fields its declaration
derives; this module states exactly that, so ``cca schema KIND`` documents the
output and the tests hold every command's JSON to it.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from cca.core.kinds import KINDS, profile_sections
from cca.core.registry import Kind
from cca.core.schema import knowledge_schema
from cca.core.views import country_fields

DRAFT = "https://json-schema.org/draft/2020-12/schema"
_STR = {"type": "string"}
_STR_OR_NULL = {"type": ["string", "null"]}
_STRINGS = {"type": "array", "items": _STR}


def evidence_schema(required: bool) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "array",
        "description": "What proves the record: verbatim quotes, or locators of dataset rows or of reports.",
        "items": {
            "type": "object",
            "properties": {
                "source": {**_STR, "description": "Id of the source."},
                "quote": {**_STR, "description": "The verbatim words of the source (a person's words alone)."},
                "attribution": {
                    **_STR,
                    "description": "The source's verbatim words that attribute the quote to its speaker "
                    "('said Qin Rupei').",
                },
                "record": {**_STR, "description": "A dataset row's id (locator evidence)."},
                "url": {
                    **_STR,
                    "description": "Locator evidence: one of the dataset row's own source URLs, or the page of a "
                    "report that states the claim.",
                },
                "note": _STR,
            },
            "required": ["source"],
            "additionalProperties": False,
        },
    }
    if required:
        schema["minItems"] = 1
    return schema


def _inline(schema: Any, root: dict[str, Any]) -> Any:
    """Replace $ref with the definition it names, so each output schema stands alone."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            target = root["$defs"][schema["$ref"].removeprefix("#/$defs/")]
            return {**_inline(target, root), **{k: _inline(v, root) for k, v in schema.items() if k != "$ref"}}
        return {key: _inline(value, root) for key, value in schema.items()}
    if isinstance(schema, list):
        return [_inline(item, root) for item in schema]
    return schema


def record_schema(kind: Kind) -> dict[str, Any]:
    """The knowledge-file schema of one record of ``kind``, with every $ref inlined."""
    root = knowledge_schema()
    if kind.nested_in is not None:
        parent = KINDS[kind.nested_in[0]]
        item = root["properties"][parent.section]["items"]["properties"][kind.nested_in[1]]["items"]
    else:
        item = root["properties"][kind.section]["items"]
    inlined: dict[str, Any] = _inline(copy.deepcopy(item), root)
    return inlined


def _observation(which: str) -> dict[str, Any]:
    root = knowledge_schema()
    item: dict[str, Any] = _inline(copy.deepcopy(root["$defs"][f"{which}_observation"]), root)
    props = item["properties"]
    props["as_of"] = {**_STR_OR_NULL, "description": "When it held, as precisely as the source says (null: not said)."}
    props["reported"] = {**_STR_OR_NULL, "description": "When the source reported it (its date unless given)."}
    props["evidence"] = evidence_schema(True)
    required = [name for name in item.get("required", []) if name != "as_of"]
    if which == "progress":
        props["source"] = {**_STR_OR_NULL, "description": "Source id of the figure."}
        required += ["qualifier", "source"]
    item["required"] = [*required, "as_of", "reported"]
    return item


def _derived(kind: Kind) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, schema in kind.derived.items():
        schema = dict(schema)
        if "$observation" in schema:
            which = schema.pop("$observation")
            out[name] = {"type": "array", "items": _observation(which), **schema}
        elif "$items_of" in schema:
            target = KINDS[schema.pop("$items_of")]
            out[name] = {"type": "array", "items": output_schema(target.name)["items"], **schema}
        else:
            out[name] = schema
    return out


@cache
def output_schema(kind_name: str) -> dict[str, Any]:
    """The JSON Schema of ``cca KIND --json``: an array of ``kind_name`` objects."""
    if kind_name == "search":
        return _document(
            "search",
            {
                "type": "object",
                "properties": {"kind": _STR, "id": _STR, "name": _STR, "score": {"type": "integer"}},
                "required": ["kind", "id", "name", "score"],
                "additionalProperties": False,
            },
        )
    kind = KINDS[kind_name]
    record = record_schema(kind)
    props: dict[str, Any] = {
        "id": {**_STR, "description": "Stable identifier."},
        "kind": {"type": "string", "const": kind.name, "description": "The kind of record."},
        "name": {**_STR, "description": "Display name (" + ", ".join(kind.display) + ")."},
    }
    for key, value in record["properties"].items():
        if key not in ("id", "evidence"):
            props[key] = value
    many, one = country_fields(kind)
    for key in many:
        if key in props:
            codes = key.removesuffix("ies") + "y_codes" if key.endswith("ies") else f"{key}_codes"
            props[key] = {**_STRINGS, "description": "Common English names of the countries."}
            props[codes] = {**_STRINGS, "description": "ISO 3166-1 alpha-2 codes of the countries."}
    for key in one:
        if key in props:
            props[key] = {**_STR, "description": "Common English name of the country."}
            props[f"{key}_code"] = {**_STR_OR_NULL, "description": "ISO 3166-1 alpha-2 code of the country."}
    props.update(_derived(kind))
    props["evidence"] = evidence_schema(not kind.reference_data)
    props["defined_at"] = {
        **_STR,
        "description": "file:line:col where the record is defined, the file named below its knowledge root.",
    }
    required = list(dict.fromkeys(["id", "kind", "name", *kind.derived_required, "evidence", "defined_at"]))
    item = {"type": "object", "properties": props, "required": required, "additionalProperties": False}
    return _document(kind.name, item)


def _document(kind: str, item: dict[str, Any]) -> dict[str, Any]:
    return {
        "$schema": DRAFT,
        "title": f"cca {kind} list",
        "description": f"What `cca ... --json` prints for {kind} records: an array of objects.",
        "type": "array",
        "items": item,
    }


def output_fields(kind: str) -> list[str]:
    """The JSON keys of ``kind``'s output, in order: what --fields accepts."""
    return list(output_schema(kind)["items"]["properties"])


_SCALARS = frozenset({"string", "integer", "number", "boolean", "null"})


def _types(schema: dict[str, Any]) -> set[str]:
    found = schema.get("type")
    return {found} if isinstance(found, str) else set(found or ())


@cache
def sort_paths(kind_name: str) -> dict[str, str]:
    """What a kind's records can be sorted by: field -> JSON path into its output.

    Every scalar field (text, numbers, dates, flags), every list of scalars (by its first item,
    so projects sort by their first country) and the kind's own sort keys (``Kind.sorts``).
    """
    kind = KINDS[kind_name]
    out: dict[str, str] = {}
    for name, schema in output_schema(kind_name)["items"]["properties"].items():
        quoted = '$."' + name.replace('"', '""') + '"'
        types = _types(schema)
        if types and types <= _SCALARS:
            out[name] = quoted
        elif types == {"array"} and _types(schema.get("items") or {}) and _types(schema["items"]) <= _SCALARS:
            out[name] = quoted + "[0]"
    out.update(kind.sorts)
    return out


def show_schema() -> dict[str, Any]:
    """``cca show ID --json``: any record's object plus its related records, sources and family."""
    money = {"type": ["number", "null"]}
    return {
        "$schema": DRAFT,
        "title": "cca show",
        "type": "object",
        "required": ["record", "related", "sources", "family"],
        "additionalProperties": False,
        "properties": {
            "record": {"oneOf": [output_schema(kind.name)["items"] for kind in KINDS]},
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
            "family": {
                "type": "array",
                "description": "A dataset row's family: rows of the same parent group (AidData Parent ID), rows it "
                "names as 'Project ID#…' in its title or Staff Comments, and rows that name it; each once.",
                "items": {
                    "type": "object",
                    "required": ["id", "name", "relation", "usd_2021", "adjusted_usd_2021", "for_aggregates"],
                    "additionalProperties": False,
                    "properties": {
                        "id": _STR,
                        "name": _STR,
                        "relation": {"type": "array", "items": _STR, "description": "How it is related, each way."},
                        "usd_2021": {**money, "description": "Its amount in constant 2021 USD."},
                        "adjusted_usd_2021": {**money, "description": "Its adjusted amount in constant 2021 USD."},
                        "for_aggregates": {
                            "type": ["boolean", "null"],
                            "description": "Whether the dataset recommends it for aggregates (sums count it).",
                        },
                    },
                },
            },
        },
    }


def _financing_schema() -> dict[str, Any]:
    from cca.core.stats import BASES, HEADLINE

    amounts: dict[str, Any] = {}
    for measure in HEADLINE:
        amounts[measure] = {"type": ["number", "null"], "description": f"The sum in {BASES[measure]} (null: none)."}
        amounts[f"{measure}_records"] = {
            "type": "integer",
            "description": f"Records with an amount in {BASES[measure]}.",
        }
    return {
        "type": "array",
        "description": "Each dataset's records (rows recommended for aggregates) and their sum in each of its "
        "measures, side by side and never added together (as cca stats --by source).",
        "items": {
            "type": "object",
            "additionalProperties": False,
            "required": ["source", "title", "records", *amounts],
            "properties": {
                "source": {**_STR, "description": "The dataset's source id."},
                "title": {**_STR, "description": "The dataset's title."},
                "records": {"type": "integer", "description": "Its records that concern the country."},
                **amounts,
            },
        },
    }


def country_schema() -> dict[str, Any]:
    """``cca country NAME --json``: the country and every record that concerns it."""
    sections = {kind.plural: output_schema(kind.name) for kind in profile_sections()}
    return {
        "$schema": DRAFT,
        "title": "cca country",
        "type": "object",
        "required": ["country", *sections, "financing"],
        "additionalProperties": False,
        "properties": {"country": output_schema("country")["items"], **sections, "financing": _financing_schema()},
    }


def region_schema() -> dict[str, Any]:
    """``cca country REGION --json`` (ASEAN, Mekong): the region and every record that concerns a member or it."""
    sections = {kind.plural: output_schema(kind.name) for kind in profile_sections()}
    region = {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "kind", "name", "aliases", "members", "member_codes"],
        "properties": {
            "id": {**_STR, "description": "The region's id (data/regions.tsv)."},
            "kind": {"type": "string", "const": "region"},
            "name": {**_STR, "description": "The region's name."},
            "aliases": {**_STRINGS, "description": "Other names of the region."},
            "members": {**_STRINGS, "description": "Common English names of its member countries."},
            "member_codes": {**_STRINGS, "description": "ISO 3166-1 alpha-2 codes of its members."},
        },
    }
    return {
        "$schema": DRAFT,
        "title": "cca country (a region)",
        "type": "object",
        "required": ["region", *sections, "financing"],
        "additionalProperties": False,
        "properties": {"region": region, **sections, "financing": _financing_schema()},
    }
