"""Questions asked of a :class:`~cca.knowledge.KnowledgeBase`: filters, name resolution, search.

Nothing here prints or knows about the command line; a value that names
nothing raises :class:`~cca.errors.QueryError` with suggestions.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from cca.errors import QueryError
from cca.model import STATUSES, Project, Record

if TYPE_CHECKING:
    from cca.knowledge import KnowledgeBase


_NON_WORD = re.compile(r"[^\w]+")


def normalise(text: str) -> str:
    """Fold case, accents, dashes, quotes and spacing: 'Jakarta–Bandung' ~ 'jakarta bandung'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_WORD.sub(" ", stripped).strip()


def _compact(text: str) -> str:
    return normalise(text).replace(" ", "")


@dataclass(frozen=True, slots=True)
class WorldCountry:
    """A real country (ISO 3166-1), whether or not the knowledge has records for it."""

    alpha2: str
    alpha3: str
    name: str
    other_names: tuple[str, ...]


@cache
def world_countries() -> tuple[WorldCountry, ...]:
    """Every ISO 3166-1 country, from the bundled table."""
    from cca.knowledge import data_dir

    rows = []
    for line in (data_dir() / "iso3166.tsv").read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or line.startswith("alpha2\t") or not line.strip():
            continue
        alpha2, alpha3, name, others = (line.split("\t") + [""])[:4]
        rows.append(WorldCountry(alpha2, alpha3, name, tuple(o for o in others.split("|") if o)))
    return tuple(rows)


def _country_keys(record: Record) -> Iterable[str]:
    for key in ("id", "name", "official_name", "iso2", "iso3"):
        value = record.get(key)
        if isinstance(value, str):
            yield value
    yield from record.aliases


def resolve_country(kb: KnowledgeBase, value: str) -> Record | WorldCountry:
    """The country ``value`` names: a country record, else a real country with no record.

    Accepts common and official names, ISO alpha-2/alpha-3 codes, ids and aliases,
    in any case. Raises :class:`QueryError` with the closest names for anything else.
    """
    wanted = _compact(value)
    if not wanted:
        raise QueryError("--country needs a name or code")
    for record in kb.of_kind("country"):
        if any(_compact(key) == wanted for key in _country_keys(record)):
            return record
    for world in world_countries():
        if wanted in {_compact(n) for n in (world.alpha2, world.alpha3, world.name, *world.other_names)}:
            for record in kb.of_kind("country"):
                if record.get("iso2") == world.alpha2:
                    return record
            return world
    names = [record.name for record in kb.of_kind("country")] + [w.name for w in world_countries()]
    raise QueryError(f"no country {value!r}{suggest(value, names)}")


def suggest(value: str, choices: Iterable[str], n: int = 3) -> str:
    """' — did you mean X?' for the closest of ``choices``, or ''."""
    pool = list(dict.fromkeys(choices))
    by_norm = {normalise(choice): choice for choice in pool}
    close = difflib.get_close_matches(normalise(value), list(by_norm), n=n, cutoff=0.6)
    if not close:
        return ""
    return " — did you mean " + " or ".join(by_norm[c] for c in close) + "?"


def resolve_sector(kb: KnowledgeBase, value: str) -> Record:
    """The sector ``value`` names, by id or label, case-insensitively."""
    wanted = normalise(value)
    for record in kb.of_kind("sector"):
        if wanted in (normalise(record.id), normalise(record.name), *(normalise(a) for a in record.aliases)):
            return record
    choices = [r.id for r in kb.of_kind("sector")]
    raise QueryError(f"no sector {value!r}{suggest(value, choices)} (see: cca sectors)")


def sector_descendants(kb: KnowledgeBase, sector_id: str) -> set[str]:
    """The sector and every sector below it."""
    children: dict[str, list[str]] = {}
    for record in kb.of_kind("sector"):
        parent = record.get("parent")
        if parent:
            children.setdefault(parent, []).append(record.id)
    found, todo = set(), [sector_id]
    while todo:
        current = todo.pop()
        if current not in found:
            found.add(current)
            todo.extend(children.get(current, ()))
    return found


def resolve_status(value: str) -> str:
    wanted = value.strip().lower().replace(" ", "-").replace("_", "-")
    if wanted in STATUSES:
        return wanted
    raise QueryError(f"no status {value!r}: choose from {', '.join(STATUSES)}")


def country_ids(kb: KnowledgeBase, values: Sequence[str]) -> tuple[set[str], list[str]]:
    """Resolve ``--country`` values: the ids of country records, and real countries without records."""
    ids: set[str] = set()
    missing: list[str] = []
    for value in values:
        found = resolve_country(kb, value)
        if isinstance(found, WorldCountry):
            missing.append(found.name)
        else:
            ids.add(found.id)
    return ids, missing


def filter_projects(
    kb: KnowledgeBase,
    country: str | Sequence[str] | None = None,
    sector: str | Sequence[str] | None = None,
    status: str | Sequence[str] | None = None,
    search: str | Sequence[str] | None = None,
) -> list[Project]:
    """Projects matching every filter given; several values of one filter are alternatives."""
    countries = _many(country)
    if countries:
        ids, _ = country_ids(kb, countries)
        records = [r for r in kb.projects_in(ids) if isinstance(r, Project)]
    else:
        records = [r for r in kb.of_kind("project") if isinstance(r, Project)]
    sectors = _many(sector)
    if sectors:
        wanted: set[str] = set()
        for value in sectors:
            wanted |= sector_descendants(kb, resolve_sector(kb, value).id)
        records = [r for r in records if wanted.intersection(r.sectors)]
    statuses = {resolve_status(value) for value in _many(status)}
    if statuses:
        records = [r for r in records if r.status is not None and r.status.value in statuses]
    terms = _many(search)
    if terms:
        records = [r for r in records if any(matches(r, term) for term in terms)]
    return records


def _many(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def searchable_texts(record: Record) -> list[tuple[str, int]]:
    """The texts search looks at, each with a weight: names first, then aliases, summaries, notes, quotes."""
    texts: list[tuple[str, int]] = [(record.id, 8), (record.name, 10)]
    texts += [(alias, 8) for alias in record.aliases]
    for key in ("official_name", "iso2", "iso3", "title", "label", "subject", "text", "theme"):
        value = record.get(key)
        if isinstance(value, str):
            texts.append((value, 6))
    for key in ("summary", "description", "topics"):
        value = record.get(key)
        if isinstance(value, str):
            texts.append((value, 4))
        elif isinstance(value, list):
            texts += [(str(item), 4) for item in value]
    if record.notes:
        texts.append((record.notes, 2))
    texts += [(evidence.quote, 1) for evidence in record.evidence]
    return texts


def score(record: Record, query: str) -> int:
    """How well ``record`` matches ``query`` (0: not at all)."""
    wanted = normalise(query)
    if not wanted:
        return 0
    words = wanted.split()
    total = 0
    for text, weight in searchable_texts(record):
        norm = normalise(text)
        if wanted == norm:
            total += weight * 3
        elif wanted in norm or wanted.replace(" ", "") in norm.replace(" ", ""):
            total += weight * 2
        elif all(word in norm for word in words):
            total += weight
    return total


def matches(record: Record, query: str) -> bool:
    return score(record, query) > 0


def search(kb: KnowledgeBase, query: str, kinds: Sequence[str] | None = None) -> list[tuple[Record, int]]:
    """Records matching ``query`` across every kind, best first."""
    wanted = normalise(query)
    candidates = kb.search_candidates(wanted.split(), wanted.replace(" ", ""))
    results = [
        (record, points)
        for record in candidates
        if (not kinds or record.kind in kinds) and (points := score(record, query)) > 0
    ]
    results.sort(key=lambda pair: (-pair[1], pair[0].kind, pair[0].id))
    return results


def closest_ids(kb: KnowledgeBase, value: str, n: int = 5) -> list[str]:
    """Ids that look like ``value``: close spellings first, then ids containing it."""
    ids = kb.ids()
    close = difflib.get_close_matches(value, ids, n=n, cutoff=0.5)
    contained = [i for i in ids if value and value.lower() in i and i not in close]
    return (close + contained)[:n]


def related_records(kb: KnowledgeBase, record: Record) -> list[Record]:
    """Records this one refers to, and records that refer to it."""
    found: dict[str, Record] = {}
    for ref in _references(record.data):
        target = kb.get(ref)
        if target is not None and target.id != record.id and target.kind != "source":
            found[target.id] = target
    for other in kb.referencing(record.id):
        if other.id != record.id and record.id in set(_references(other.data)) and other.kind != "country":
            found.setdefault(other.id, other)
    return list(found.values())


_REF_KEYS = {
    "countries",
    "country",
    "sectors",
    "organisation",
    "organisations",
    "project",
    "person",
    "event",
    "part_of",
    "place",
    "place_ids",
    "about",
    "related",
    "parent",
    "actions",
}


def _references(value: Any, key: str | None = None) -> Iterable[str]:
    if isinstance(value, dict):
        for child_key, item in value.items():
            yield from _references(item, child_key)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item, key)
    elif isinstance(value, str) and key in _REF_KEYS:
        yield value


def concerned_countries(kb: KnowledgeBase, record: Record) -> set[str]:
    """Ids of the countries a record concerns: its own, or those of the records it is about."""
    found: set[str] = set()
    data = record.data
    if record.kind == "country":
        return {record.id}
    found.update(data.get("countries", ()))
    if isinstance(data.get("country"), str):
        found.add(data["country"])
    for key in ("about", "related", "person", "event", "part_of", "place", "organisation"):
        value = data.get(key)
        for ref in [value] if isinstance(value, str) else value if isinstance(value, list) else ():
            target = kb.get(ref) if isinstance(ref, str) else None
            if target is not None and target.id != record.id:
                if target.kind == "country":
                    found.add(target.id)
                else:
                    found.update(target.data.get("countries", ()))
                    if isinstance(target.data.get("country"), str):
                        found.add(target.data["country"])
    return found


def records_for_countries(kb: KnowledgeBase, kind: str, ids: set[str]) -> list[Record]:
    return [r for r in kb.of_kind(kind) if ids & concerned_countries(kb, r)]


def sector_depths(kb: KnowledgeBase) -> dict[str, int]:
    parents = {r.id: r.get("parent") for r in kb.of_kind("sector")}
    depths: dict[str, int] = {}
    for sector_id in parents:
        depth, current, seen = 0, parents[sector_id], {sector_id}
        while current and current not in seen:
            seen.add(current)
            depth += 1
            current = parents.get(current)
        depths[sector_id] = depth
    return depths


def sector_tree(kb: KnowledgeBase) -> list[Record]:
    """Sectors in tree order: each parent followed by its children, alphabetically by label."""
    children: dict[str | None, list[Record]] = {}
    for record in kb.of_kind("sector"):
        children.setdefault(record.get("parent"), []).append(record)
    ordered: list[Record] = []

    def visit(parent: str | None) -> None:
        for child in sorted(children.get(parent, ()), key=lambda r: r.name.lower()):
            ordered.append(child)
            visit(child.id)

    visit(None)
    return ordered


def records_in_sectors(kb: KnowledgeBase, sector_ids: set[str]) -> list[Record]:
    return [r for r in kb.by_id.values() if r.kind != "sector" and sector_ids.intersection(r.data.get("sectors", ()))]


def count_citations(value: Any, source_id: str) -> int:
    if isinstance(value, dict):
        own = 1 if value.get("source") == source_id and "quote" in value else 0
        return own + sum(count_citations(item, source_id) for item in value.values())
    if isinstance(value, list):
        return sum(count_citations(item, source_id) for item in value)
    return 0
