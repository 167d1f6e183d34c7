"""The stable output shape of every kind of record: plain dicts, ready for JSON.

These dicts are cca's output API (README, "JSON output"): keys are snake_case
and are only ever added, never renamed. Every record has ``id``, ``kind``,
``name`` and ``evidence``; references to countries carry common English names
(``countries``) beside ISO alpha-2 codes (``country_codes``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cca import query
from cca.model import Evidence, Project, Record

if TYPE_CHECKING:
    from cca.knowledge import KnowledgeBase


def evidence_view(items: tuple[Evidence, ...]) -> list[dict[str, str]]:
    out = []
    for item in items:
        entry = {"source": item.source, "quote": item.quote}
        if item.note:
            entry["note"] = item.note
        out.append(entry)
    return out


def _country_name(kb: KnowledgeBase, country_id: str) -> tuple[str, str | None]:
    record = kb.get(country_id)
    if record is None:
        return country_id, None
    return record.name, record.get("iso2")


def record_view(kb: KnowledgeBase, record: Record) -> dict[str, Any]:
    """The JSON object for one record."""
    out: dict[str, Any] = {"id": record.id, "kind": record.kind, "name": record.name}
    for key, value in record.data.items():
        if key not in ("id", "evidence"):
            out[key] = value
    if isinstance(record.data.get("countries"), list):
        pairs = [_country_name(kb, cid) for cid in record.data["countries"]]
        out["countries"] = [name for name, _ in pairs]
        out["country_codes"] = [code for _, code in pairs if code]
    if isinstance(record.data.get("country"), str):
        out["country"], code = _country_name(kb, record.data["country"])
        out["country_code"] = code
    if isinstance(record, Project):
        _project_fields(record, out)
    if record.kind == "aspect":
        out["actions"] = [record_view(kb, a) for aid in record.data.get("actions", ()) if (a := kb.get(aid))]
    if record.kind == "action":
        out["aspect"] = record.parent
    if record.kind == "person":
        out["statements"] = [
            {"id": s.id, "form": s.get("form"), "summary": s.get("summary"), "quotes": [e.quote for e in s.evidence]}
            for s in kb.of_kind("statement")
            if s.get("person") == record.id
        ]
    if record.kind == "statement":
        person = kb.get(record.data["person"])
        out["person_name"] = person.name if person else record.data["person"]
    if record.kind == "country":
        counts = {
            kind: len(query.records_for_countries(kb, kind, {record.id}))
            for kind in ("project", "agreement", "figure", "event", "person", "statement", "organisation", "place")
        }
        for kind in ("project", "agreement", "figure"):
            out[f"{kind}_count"] = counts[kind]
        out["record_count"] = sum(counts.values())
    if record.kind == "sector":
        depth = query.sector_depths(kb).get(record.id, 0)
        out["depth"] = depth
        out["tree"] = "  " * depth + record.name
        out["record_count"] = len(query.records_in_sectors(kb, query.sector_descendants(kb, record.id)))
    if record.kind == "source":
        out["fact_count"] = kb.citations(record.id)
    out["evidence"] = evidence_view(record.evidence)
    out["defined_at"] = str(record.origin)
    return out


def _project_fields(record: Project, out: dict[str, Any]) -> None:
    current = record.status
    out["status"] = current.value if current else None
    out["status_as_of"] = current.as_of if current else None
    out["status_source"] = current.evidence[0].source if current and current.evidence else None
    out["status_history"] = [
        {
            "value": o.value,
            "as_of": o.as_of,
            "evidence": evidence_view(o.evidence),
            **({"notes": o.notes} if o.notes else {}),
        }
        for o in record.status_history
    ]
    out["progress"] = [
        {
            "metric": p.metric,
            "value": p.value,
            "unit": p.unit,
            "qualifier": p.qualifier,
            "as_of": p.as_of,
            "source": p.evidence[0].source if p.evidence else None,
            "evidence": evidence_view(p.evidence),
        }
        for p in record.progress
    ]
