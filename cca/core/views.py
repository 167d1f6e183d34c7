"""The stable output shape of every kind of record: plain dicts, ready for JSON.

These dicts are cca's output API (README, "JSON output"): keys are snake_case
and are only ever added, never renamed. Every record has ``id``, ``kind``,
``name``, ``evidence`` and ``defined_at``; references to countries carry common
English names (``countries``) beside ISO alpha-2 codes (``country_codes``); the
rest comes from the kind's declaration (:mod:`cca.core.kinds`).
"""

from __future__ import annotations

from typing import Any

from cca.core.model import Record
from cca.core.registry import Kind, ViewContext

_COUNTRY_FIELDS: dict[Any, tuple[list[str], list[str]]] = {}


def country_fields(kind: Kind) -> tuple[list[str], list[str]]:
    """Top-level fields of ``kind`` that hold country ids: lists (``countries``) and single ones (``country``)."""
    found = _COUNTRY_FIELDS.get(kind.refs)  # found once per kind's references, not once per record rendered
    if found is None:
        many = [ref.top for ref in kind.refs if ref.target == "country" and ref.path == f"{ref.top}[]"]
        one = [ref.top for ref in kind.refs if ref.target == "country" and ref.path == ref.top]
        found = _COUNTRY_FIELDS[kind.refs] = (many, one)
    return found


def record_view(record: Record, ctx: ViewContext) -> dict[str, Any]:
    """The JSON object for one record."""
    kind: Kind = ctx.kinds[record.kind]
    out: dict[str, Any] = {"id": record.id, "kind": record.kind, "name": record.name}
    for key, value in record.data.items():
        if key not in ("id", "evidence"):
            out[key] = value
    many, one = country_fields(kind)
    for key in many:
        if isinstance(record.data.get(key), list):
            pairs = [ctx.country_codes(cid) for cid in record.data[key]]
            out[key] = [name for name, _ in pairs]
            out[key.removesuffix("ies") + "y_codes" if key.endswith("ies") else f"{key}_codes"] = [
                code for _, code in pairs if code
            ]
    for key in one:
        if isinstance(record.data.get(key), str):
            out[key], out[f"{key}_code"] = ctx.country_codes(record.data[key])
    if kind.derive is not None:
        kind.derive(record, ctx, out)
    out["evidence"] = [item.as_dict() for item in record.evidence]
    out["defined_at"] = record.origin.defined_at
    return out


def source_reference(source: Record) -> str:
    """A source's bibliographic line: author, “title”, publisher, date."""
    parts = [source.get("author"), f"“{source.get('title')}”", source.get("publisher"), source.get("date")]
    if source.get("translator"):
        parts.append(f"translated by {source.get('translator')}")
    return ", ".join(str(p) for p in parts if p)
