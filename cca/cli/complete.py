"""Value completion for the shell: answered from the compiled store, case-insensitively, never with an error."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cca.core.model import STATUSES


def _candidates(incomplete: str, pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    wanted = incomplete.casefold()
    seen: dict[str, str] = {}
    for value, help_text in pairs:
        if value and value.casefold().startswith(wanted) and value not in seen:
            seen[value] = help_text
    return list(seen.items())


def _kb() -> Any:
    try:
        from cca.cli.session import kb

        return kb()
    except Exception:  # noqa: BLE001 - completion must never print an error into the user's prompt
        return None


def country(incomplete: str) -> list[tuple[str, str]]:
    knowledge = _kb()
    if knowledge is None:
        return []
    from cca.core.regions import regions

    pairs = [(r.name, f"region: {len(r.members)} countries") for r in regions()]
    for record in knowledge.of_kind("country"):
        for value in (
            record.name,
            record.get("iso2"),
            record.get("iso3"),
            record.get("official_name"),
            *record.aliases,
        ):
            if isinstance(value, str):
                pairs.append((value, record.name))
    return _candidates(incomplete, pairs)


def region(incomplete: str) -> list[tuple[str, str]]:
    from cca.core.regions import regions

    return _candidates(incomplete, [(r.id, r.name) for r in regions()] + [(r.name, r.name) for r in regions()])


def sector(incomplete: str) -> list[tuple[str, str]]:
    knowledge = _kb()
    if knowledge is None:
        return []
    return _candidates(incomplete, ((r.id, r.name) for r in knowledge.of_kind("sector")))


def status(incomplete: str) -> list[tuple[str, str]]:
    return _candidates(incomplete, ((value, "project status") for value in STATUSES))


def kind(incomplete: str) -> list[tuple[str, str]]:
    from cca.core.kinds import KINDS

    return _candidates(incomplete, [(k.plural, k.title) for k in KINDS] + [(k.name, k.title) for k in KINDS])


def record_id(incomplete: str) -> list[tuple[str, str]]:
    knowledge = _kb()
    if knowledge is None:
        return []
    return _candidates(incomplete, knowledge.ids(incomplete.lower()))


def fields(ctx: Any, incomplete: str) -> list[tuple[str, str]]:
    """Complete the last of a comma-separated list of fields, for the command being typed."""
    from cca.core.kinds import KINDS
    from cca.core.outschema import output_fields as kind_fields

    name = ctx.info_name or ""
    found = KINDS.lookup(name)
    kind_name = "search" if name == "search" else found.name if found is not None else "project"
    done, _, last = incomplete.rpartition(",")
    prefix = f"{done}," if done else ""
    chosen = set(done.split(","))
    return [
        (prefix + field, "")
        for field in kind_fields(kind_name)
        if field not in chosen and field.casefold().startswith(last.casefold())
    ]


def _distinct(sql: str) -> list[tuple[str, str]]:
    knowledge = _kb()
    if knowledge is None:
        return []
    try:
        return [(str(value), "") for (value,) in knowledge.store._all(sql) if value]
    except Exception:  # noqa: BLE001 - completion must never print an error into the user's prompt
        return []


def _sources(incomplete: str) -> list[tuple[str, str]]:
    knowledge = _kb()
    return _candidates(incomplete, ((s.id, s.name) for s in knowledge.sources())) if knowledge is not None else []


def _people(incomplete: str) -> list[tuple[str, str]]:
    knowledge = _kb()
    if knowledge is None:
        return []
    return _candidates(
        incomplete, [(p.id, p.name) for p in knowledge.people()] + [(p.name, p.id) for p in knowledge.people()]
    )


def _groupings(incomplete: str) -> list[tuple[str, str]]:
    from cca.core.stats import GROUPINGS

    return _candidates(incomplete, ((name.replace("_", "-"), g.help) for name, g in GROUPINGS.items()))


def _measures(incomplete: str) -> list[tuple[str, str]]:
    from cca.core.stats import MEASURES

    return _candidates(incomplete, ((name.replace("_", "-"), text) for name, text in MEASURES.items()))


_SOURCES = {
    "country": country,
    "region": region,
    "sector": sector,
    "status": status,
    "source": _sources,
    "person": _people,
    "grouping": _groupings,
    "measure": _measures,
    "financier": lambda incomplete: _candidates(
        incomplete, _distinct("SELECT DISTINCT name FROM parties WHERE role IN ('funder', 'lender', 'investor')")
    ),
    "cofinancier": lambda incomplete: _candidates(
        incomplete, _distinct("SELECT DISTINCT name FROM parties WHERE role = 'co-financier'")
    ),
    "flow_class": lambda incomplete: _candidates(
        incomplete, _distinct("SELECT DISTINCT flow_class FROM facts_project WHERE flow_class IS NOT NULL")
    ),
}


def source(name: str) -> Any:
    """The completer a filter declares by name (cca.core.filters.Filter.complete)."""
    found = _SOURCES.get(name)
    if found is None:
        raise KeyError(f"no completion source {name!r}")
    return found


def sort_field(ctx: Any, incomplete: str) -> list[tuple[str, str]]:
    """The fields the command's records can be sorted by (a leading '-' kept: descending)."""
    from cca.core.kinds import KINDS
    from cca.core.outschema import sort_paths

    found = KINDS.lookup(ctx.info_name or "")
    if found is None:
        return []
    sign = "-" if incomplete.startswith("-") else ""
    return [
        (sign + name, "")
        for name in sort_paths(found.name)
        if name.casefold().startswith(incomplete.lstrip("-").casefold())
    ]
