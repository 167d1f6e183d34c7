"""The knowledge base: typed questions asked of a store.

:class:`KnowledgeBase` turns rows into records and answers what the commands ask:
filtered listings, one record, search, a country's records, counts. Every
answer comes through the store's indexes; nothing here prints, and a value that
names nothing raises :class:`~cca.core.errors.QueryError` with suggestions.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from cca.core.errors import QueryError
from cca.core.kinds import KINDS, profile_sections
from cca.core.model import (
    STATUSES,
    Action,
    Agreement,
    Aspect,
    Country,
    Event,
    Figure,
    Organisation,
    Origin,
    Person,
    Place,
    Project,
    Record,
    Sector,
    Source,
    Statement,
)
from cca.core.registry import Registry
from cca.core.settings import bundled_data_dir, label_for
from cca.core.store import Row, Store
from cca.core.text import compact, fold, match_query, query_words

R = TypeVar("R", bound=Record)


class WorldCountry(NamedTuple):
    """A real country (ISO 3166-1), whether or not the knowledge has records for it."""

    alpha2: str
    alpha3: str
    name: str
    other_names: tuple[str, ...]


@cache
def world_countries(data_root: Path | None = None) -> tuple[WorldCountry, ...]:
    """Every ISO 3166-1 country, from the bundled table."""
    rows = []
    table = (data_root or bundled_data_dir()) / "iso3166.tsv"
    for line in table.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or line.startswith("alpha2\t") or not line.strip():
            continue
        alpha2, alpha3, name, others = (line.split("\t") + [""])[:4]
        rows.append(WorldCountry(alpha2, alpha3, name, tuple(o for o in others.split("|") if o)))
    return tuple(rows)


def suggest(value: str, choices: Iterable[str], n: int = 3) -> str:
    """' — did you mean X?' for the closest of ``choices``, or ''."""
    pool = list(dict.fromkeys(choices))
    by_norm = {fold(choice): choice for choice in pool}
    close = difflib.get_close_matches(fold(value), list(by_norm), n=n, cutoff=0.6)
    if not close:
        return ""
    return " — did you mean " + " or ".join(by_norm[c] for c in close) + "?"


def resolve_status(value: str) -> str:
    wanted = value.strip().lower().replace(" ", "-").replace("_", "-")
    if wanted in STATUSES:
        return wanted
    raise QueryError(f"no status {value!r}: choose from {', '.join(STATUSES)}")


def _many(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(dict.fromkeys(value))


class Places(NamedTuple):
    """What a country or region filter names: country record ids, region ids, and real countries without records."""

    countries: set[str]
    regions: set[str]
    missing: list[str]


Many = str | Sequence[str] | None


class CountryProfile(NamedTuple):
    """``kb.country(name)``: a country and every record that concerns it, as ``cca country`` shows.

    One field per kind declared ``in_profile``, typed for editors (a test holds the two together).
    """

    country: Country
    projects: list[Project]
    agreements: list[Agreement]
    people: list[Person]
    statements: list[Statement]
    organisations: list[Organisation]
    places: list[Place]
    events: list[Event]
    figures: list[Figure]


def _named(records: Iterable[R], value: str) -> R | None:
    """The record ``value`` names by id, name or alias, in any case and spacing."""
    wanted = fold(value)
    for record in records:
        if wanted in (fold(record.id), fold(record.name), *(fold(a) for a in record.aliases)):
            return record
    return None


class SearchHit(NamedTuple):
    record: Record
    score: int


def _name_bonus(record: Record, phrase: str) -> int:
    """Names first: the search's words as a record's name, or as a phrase in it or in another name."""
    names = [fold(record.name)]
    others = [fold(a) for a in record.aliases if isinstance(a, str)]
    if phrase in names:
        return 1000
    if phrase in others:
        return 600
    padded = f" {phrase} "
    if any(f" {n} ".startswith(padded) for n in names):
        return 400
    if any(padded in f" {n} " for n in names) or any(phrase in n for n in names if not n.isascii()):
        return 300
    if any(padded in f" {n} " for n in others) or any(phrase in n for n in others if not n.isascii()):
        return 150
    return 0


class KnowledgeBase:
    """Validated records from one or more knowledge files, answered from an indexed store."""

    def __init__(self, store: Store, files: Sequence[str], kinds: Registry = KINDS) -> None:
        self.store = store
        self.kinds = kinds
        self._labels: dict[int, tuple[str, str]] = {}
        self.files = list(files)
        for seq, path, _label, name in store.files():
            self._labels[seq] = (label_for(Path(path)), name)
        self._small: dict[str, list[Record]] = {}
        self._source_dates: dict[str, str] | None = None
        self._country_codes: dict[str, tuple[str, str | None]] | None = None

    # -- records from rows ----------------------------------------------------------------------------

    def _record(self, row: Row) -> Record:
        kind = self.kinds[row.kind] if row.kind in self.kinds else None
        cls = (kind.record_class if kind is not None else None) or Record
        label, name = self._labels.get(row.file, ("?", "?"))
        return cls(row.kind, row.id, row.name, row.decoded(), Origin(label, row.line, row.col, name), row.parent, self)

    def _records(self, rows: Iterable[Row]) -> list[Record]:
        return [self._record(row) for row in rows]

    def _reference(self, kind: str) -> list[Record]:
        """Every record of a small reference kind (countries, sectors, sources), read once."""
        found = self._small.get(kind)
        if found is None:
            found = self._small[kind] = self._records(self.store.iter_rows(kind))
        return found

    # -- single records -------------------------------------------------------------------------------

    def get(self, record_id: str) -> Record | None:
        row = self.store.get(record_id)
        return self._record(row) if row is not None else None

    def __len__(self) -> int:
        return sum(self.counts().values())

    def counts(self) -> dict[str, int]:
        stored = self.store.counts()
        return {kind.name: stored.get(kind.name, 0) for kind in self.kinds}

    def ids(self, prefix: str = "") -> list[tuple[str, str]]:
        return self.store.ids(prefix)

    def all_ids(self) -> list[str]:
        return self.store.all_ids()

    # -- listings -------------------------------------------------------------------------------------

    def of_kind(self, kind: str) -> list[Record]:
        """Every record of ``kind``, in listing order."""
        if kind in ("country", "sector", "source"):
            return list(self._reference(kind))
        return self._records(self.store.iter_rows(kind))

    def iter_kind(self, kind: str, order: str = "listing") -> Iterator[Record]:
        """Every record of ``kind``, one at a time (for exports: memory stays flat)."""
        for row in self.store.iter_rows(kind, order=order):
            yield self._record(row)

    def records(self, kind: str, *, limit: int | None = None, **filters: Any) -> list[Record]:
        """Records of ``kind`` matching every filter given (:meth:`filters` names them)."""
        return list(self.iter_records(kind, limit=limit, **filters))

    def iter_records(self, kind: str, *, limit: int | None = None, **filters: Any) -> Iterator[Record]:
        """:meth:`records`, one at a time: memory stays flat however many match (for streamed output)."""
        chosen = self.filters(kind, **filters)
        if chosen is None:
            return
        for row in self.store.iter_rows(kind, limit=limit, **chosen):
            yield self._record(row)

    def filters(
        self,
        kind: str,
        *,
        country: str | Sequence[str] | None = None,
        sector: str | Sequence[str] | None = None,
        status: str | Sequence[str] | None = None,
        search: str | Sequence[str] | None = None,
        parent: str | None = None,
        region: str | Sequence[str] | None = None,
        since: int | None = None,
        until: int | None = None,
        financier: str | Sequence[str] | None = None,
        min_usd: float | None = None,
        source: str | Sequence[str] | None = None,
    ) -> dict[str, Any] | None:
        """The store's filter arguments for these values (None: nothing can match).

        Several values of one filter are alternatives; different filters must all hold. ``country``
        and ``region`` together are alternatives too: a record matches if it concerns any of the
        countries, any member of the regions, or names one of the regions itself. ``since`` and
        ``until`` bound the commitment year; ``financier`` matches part of a funder's name;
        ``min_usd`` is in constant 2021 US dollars; ``source`` keeps records a source's evidence backs.
        """
        country_ids: set[str] | None = None
        region_ids: set[str] | None = None
        if _many(country) or _many(region):
            places = self.locate(_many(country), _many(region))
            country_ids, region_ids = places.countries, places.regions or None
        sector_ids: set[str] | None = None
        if _many(sector):
            sector_ids = {self.resolve_sector(value).id for value in _many(sector)}
        facets: dict[str, Sequence[Any]] = {}
        statuses = [resolve_status(value) for value in _many(status)]
        if statuses:
            facets["status"] = statuses
        sources = [self._source_id(value) for value in _many(source)] or None
        ranges: dict[str, tuple[Any, Any]] = {}
        if since is not None or until is not None:
            if since is not None and until is not None and since > until:
                raise QueryError(f"--since {since} is after --until {until}")
            ranges["year"] = (since, until)
        if min_usd is not None:
            if min_usd < 0 or min_usd != min_usd:
                raise QueryError("--min-usd takes an amount of 0 or more (US dollars, e.g. 100e6)")
            ranges["usd"] = (min_usd, None)
        contains: dict[str, Sequence[str]] = {}
        wanted = [fold(value) for value in _many(financier) if fold(value)]
        if _many(financier) and not wanted:
            raise QueryError("--financier needs part of a financier's name")
        if wanted:
            contains["financier"] = wanted
        terms = [t for t in _many(search) if query_words(t)]
        if _many(search) and not terms:
            return None
        match = " OR ".join(f"({match_query(query_words(t), prefix=True)})" for t in terms) if terms else None
        return {
            "countries": country_ids,
            "regions": region_ids,
            "sectors": sector_ids,
            "facets": facets,
            "search": match,
            "parent": parent,
            "ranges": ranges,
            "contains": contains,
            "sources": sources,
        }

    def _source_id(self, value: str) -> str:
        sources = self._reference("source")
        found = _named(sources, value)
        if found is not None:
            return found.id
        raise QueryError(f"no source {value!r}{suggest(value, [s.id for s in sources])} (see: cca sources)")

    def stats(self, by: Sequence[str], *, aggregate_only: bool = True, **filters: Any) -> list[tuple[Any, ...]]:
        """Projects counted and their constant-2021-USD amounts summed, by country, sector, year, financier,
        flow class or status; ``filters`` as :meth:`records` takes them."""
        chosen = self.filters("project", **filters)
        if chosen is None:
            return []
        return self.store.stats("project", by, chosen, aggregate_only)

    def _typed(self, cls: type[R], kind: str, **filters: Any) -> list[R]:
        return [record for record in self.records(kind, **filters) if isinstance(record, cls)]

    def projects(
        self,
        country: Many = None,
        sector: Many = None,
        status: Many = None,
        search: Many = None,
        limit: int | None = None,
        *,
        region: Many = None,
    ) -> list[Project]:
        """Projects matching every filter given; several values of one filter are alternatives."""
        return self._typed(
            Project, "project", country=country, region=region, sector=sector, status=status, search=search, limit=limit
        )

    def agreements(
        self,
        *,
        country: Many = None,
        region: Many = None,
        sector: Many = None,
        search: Many = None,
        limit: int | None = None,
    ) -> list[Agreement]:
        """Agreements, declarations and frameworks; ``region`` also finds those made with a region as a whole."""
        return self._typed(
            Agreement, "agreement", country=country, region=region, sector=sector, search=search, limit=limit
        )

    def aspects(self, *, search: Many = None) -> list[Aspect]:
        """The "four new aspects", in their order."""
        return self._typed(Aspect, "aspect", search=search)

    def actions(
        self,
        *,
        aspect: int | str | None = None,
        sector: Many = None,
        search: Many = None,
        limit: int | None = None,
    ) -> list[Action]:
        """Concrete actions, of one aspect (its number or id) or of all."""
        parent = None
        if aspect is not None:
            found = [a for a in self.aspects() if aspect in (a.number, a.id, str(a.number))]
            if not found:
                raise QueryError(f"no aspect {aspect!r}")
            parent = found[0].id
        return self._typed(Action, "action", sector=sector, search=search, limit=limit, parent=parent)

    def people(
        self, *, country: Many = None, region: Many = None, search: Many = None, limit: int | None = None
    ) -> list[Person]:
        return self._typed(Person, "person", country=country, region=region, search=search, limit=limit)

    def statements(
        self,
        *,
        person: str | None = None,
        country: Many = None,
        region: Many = None,
        search: Many = None,
        limit: int | None = None,
    ) -> list[Statement]:
        """Statements; ``person`` is a person's id or name (the source's narration has none)."""
        found = self._typed(Statement, "statement", country=country, region=region, search=search)
        if person is not None:
            wanted = self._person_id(person)
            found = [statement for statement in found if statement.person == wanted]
        return found[:limit] if limit is not None else found

    def _person_id(self, value: str) -> str:
        people = self.people()
        found = _named(people, value)
        if found is not None:
            return found.id
        raise QueryError(f"no person {value!r}{suggest(value, [p.name for p in people])}")

    def organisations(
        self, *, country: Many = None, region: Many = None, search: Many = None, limit: int | None = None
    ) -> list[Organisation]:
        return self._typed(Organisation, "organisation", country=country, region=region, search=search, limit=limit)

    def places(
        self, *, country: Many = None, region: Many = None, search: Many = None, limit: int | None = None
    ) -> list[Place]:
        """Places: cities, provinces, ports, regions named by the sources."""
        return self._typed(Place, "place", country=country, region=region, search=search, limit=limit)

    def events(
        self, *, country: Many = None, region: Many = None, search: Many = None, limit: int | None = None
    ) -> list[Event]:
        return self._typed(Event, "event", country=country, region=region, search=search, limit=limit)

    def figures(
        self, *, country: Many = None, region: Many = None, search: Many = None, limit: int | None = None
    ) -> list[Figure]:
        return self._typed(Figure, "figure", country=country, region=region, search=search, limit=limit)

    def countries(self) -> list[Country]:
        return [record for record in self._reference("country") if isinstance(record, Country)]

    def sectors(self) -> list[Sector]:
        """Sectors in tree order: each parent followed by its children."""
        return [record for record in self._reference("sector") if isinstance(record, Sector)]

    def sources(self) -> list[Source]:
        return [record for record in self._reference("source") if isinstance(record, Source)]

    def country(self, name: str) -> CountryProfile:
        """Everything about one country (a name, code or alias); :class:`QueryError` if it has no records."""
        found = self.resolve_country(name)
        if not isinstance(found, Country):
            raise QueryError(f"the knowledge has no records for {found.name}")
        sections: dict[str, Any] = {k.plural: self.records(k.name, country=[found.id]) for k in profile_sections()}
        return CountryProfile(country=found, **sections)

    # -- relations -----------------------------------------------------------------------------------

    def children(self, record: Record) -> list[Record]:
        nested = [kind for kind in self.kinds if kind.nested_in is not None and kind.nested_in[0] == record.kind]
        out: list[Record] = []
        for kind in nested:
            out += self._records(self.store.iter_rows(kind.name, parent=record.id))
        return out

    def referrers(self, record_id: str, kind: str, field: str) -> list[Record]:
        return self._records(self.store.referrers(record_id, kind, field))

    def related(self, record: Record) -> list[Record]:
        """Records this one names, and records that name it (sources and countries left to their own places)."""
        row = self.store.get(record.id)
        if row is None:
            return []
        found: dict[str, Record] = {}
        for target in self._records(self.store.references(row.seq)):
            if target.id != record.id and target.kind != "source":
                found[target.id] = target
        if record.kind not in ("country", "source", "sector"):
            for other in self._records(self.store.referrers(record.id)):
                if other.id != record.id and other.kind != "country":
                    found.setdefault(other.id, other)
        return list(found.values())

    def sources_of(self, record: Record) -> list[Record]:
        """The sources a record's evidence cites, in order of first citation."""
        ids: dict[str, None] = {}

        def walk(value: Any) -> None:
            if isinstance(value, Mapping):
                if isinstance(value.get("source"), str):
                    ids[value["source"]] = None
                for item in value.values():
                    walk(item)
            elif isinstance(value, list):
                for item in value:
                    walk(item)

        walk(record.data)
        for child in self.children(record):
            walk(child.data)
        return [s for s in self._reference("source") if s.id in ids]

    # -- the view context (see cca.core.registry.ViewContext) ------------------------------------------

    def name_of(self, record_id: str) -> str:
        return self.store.name_of(record_id) or record_id

    def country_codes(self, country_id: str) -> tuple[str, str | None]:
        codes = self._country_codes
        if codes is None:
            codes = self._country_codes = {r.id: (r.name, r.get("iso2")) for r in self._reference("country")}
        return codes.get(country_id, (country_id, None))

    def source_date(self, source_id: str) -> str | None:
        dates = self._source_dates
        if dates is None:
            dates = self._source_dates = {r.id: str(r.get("date")) for r in self._reference("source") if r.get("date")}
        return dates.get(source_id)

    def country_counts(self, country_id: str) -> Mapping[str, int]:
        return self.store.country_counts(country_id)

    def sector_depth(self, sector_id: str) -> int:
        return self.store.sector_depth(sector_id)

    def sector_count(self, sector_id: str) -> int:
        return self.store.sector_count(sector_id)

    def citations(self, source_id: str) -> int:
        return self.store.citations(source_id)

    # -- names to records -------------------------------------------------------------------------------

    def resolve_country(self, value: str) -> Record | WorldCountry:
        """The country ``value`` names: a country record, else a real country with no record.

        Accepts common and official names, ISO alpha-2/alpha-3 codes, ids and aliases,
        in any case. Raises :class:`QueryError` with the closest names for anything else.
        """
        wanted = compact(value)
        if not wanted:
            raise QueryError("--country needs a name or code")
        countries = self._reference("country")
        for record in countries:
            keys = [
                record.id,
                record.name,
                record.get("official_name"),
                record.get("iso2"),
                record.get("iso3"),
                *record.aliases,
            ]
            if any(isinstance(key, str) and compact(key) == wanted for key in keys):
                return record
        for world in world_countries():
            if wanted in {compact(n) for n in (world.alpha2, world.alpha3, world.name, *world.other_names)}:
                for record in countries:
                    if record.get("iso2") == world.alpha2:
                        return record
                return world
        names = [record.name for record in countries] + [w.name for w in world_countries()]
        raise QueryError(f"no country {value!r}{suggest(value, names)}")

    def country_ids(self, values: Sequence[str]) -> tuple[set[str], list[str]]:
        """Resolve ``--country`` values: ids of country records, and real countries that have none.

        A value may name a region (``ASEAN``): it stands for its member countries.
        """
        places = self.locate(values)
        return places.countries, places.missing

    def locate(self, countries: Sequence[str] = (), regions: Sequence[str] = ()) -> Places:
        """Countries and regions named by ``--country`` (which may name a region too) and ``--region`` values."""
        from cca.core import regions as region_table

        ids: set[str] = set()
        region_ids: set[str] = set()
        missing: list[str] = []
        wanted_regions = []
        for value in dict.fromkeys(regions):
            region = region_table.find(value)
            if region is None:
                names = [r.name for r in region_table.regions()]
                raise QueryError(f"no region {value!r}{suggest(value, names)}; regions: {', '.join(names)}")
            wanted_regions.append(region)
        for value in dict.fromkeys(countries):
            try:
                found = self.resolve_country(value)
            except QueryError:
                region = region_table.find(value)
                if region is None:
                    raise
                wanted_regions.append(region)
                continue
            if isinstance(found, WorldCountry):
                if found.name not in missing:
                    missing.append(found.name)
            else:
                ids.add(found.id)
        for region in wanted_regions:
            region_ids.add(region.id)
            codes = region.codes
            ids |= {r.id for r in self._reference("country") if r.get("iso2") in codes}
        return Places(ids, region_ids, missing)

    def resolve_sector(self, value: str) -> Record:
        """The sector ``value`` names, by id or label, case-insensitively."""
        found = _named(self._reference("sector"), value)
        if found is not None:
            return found
        choices = [r.id for r in self._reference("sector")]
        raise QueryError(f"no sector {value!r}{suggest(value, choices)} (see: cca sectors)")

    def sector_tree(self) -> list[Record]:
        """Sectors in tree order: each parent followed by its children, alphabetically."""
        return self.of_kind("sector")

    # -- search ------------------------------------------------------------------------------------------

    def search(self, text: str, kinds: Sequence[str] | None = None, limit: int | None = None) -> list[SearchHit]:
        """Records matching ``text``, best first: whole words before word beginnings, names before prose."""
        words = query_words(text)
        if not words:
            return []
        phrase = " ".join(words)
        hits: list[SearchHit] = []
        seen: set[str] = set()
        floor: int | None = None
        for match in (match_query(words), match_query(words, prefix=True)):
            if limit is not None and len(hits) >= limit:
                break
            window = None if limit is None else limit + len(seen) + 50
            tier: list[SearchHit] = []
            for row, rank in self.store.search(match, kinds, window):
                if row.id in seen:
                    continue
                seen.add(row.id)
                record = self._record(row)
                score = max(1, round(-rank * 10)) + _name_bonus(record, phrase)
                if floor is not None:
                    score = min(score, floor)  # a word beginning never outranks a whole word
                tier.append(SearchHit(record, score))
            tier.sort(key=lambda hit: (-hit.score, hit.record.kind, hit.record.id))
            hits += tier
            if hits:
                floor = max(1, min(hit.score for hit in hits) - 1)
        return hits[:limit] if limit is not None else hits

    def closest_ids(self, value: str, n: int = 5) -> list[str]:
        """Ids that look like ``value``: ids starting with it, then close spellings."""
        value = value.lower()
        starting = [i for i, _ in self.store.ids(value, limit=n)]
        # Candidates from the index: ids sharing the first letters (a typo is rarely in the first two).
        pool = [i for i, _ in self.store.ids(value[:2], limit=5000)] if len(value) >= 2 else []
        close = difflib.get_close_matches(value, pool, n=3, cutoff=0.7)
        return list(dict.fromkeys(close + starting))[:n]
