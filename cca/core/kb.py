"""The knowledge base: questions (:class:`~cca.core.query.Query`) answered from a store.

:meth:`KnowledgeBase.plan` resolves a query once: each filter's values become ids and an
SQL clause (:mod:`cca.core.filters`), each sort key an SQL term over the kind's typed facts
or its stored JSON output; :meth:`select`, :meth:`views`, :meth:`count` and :meth:`stats`
answer from that plan through the store's indexes. The typed helpers (``projects()``,
``agreements()``, ...) are thin wrappers that take every filter the command line has.
Nothing here prints; a value that names nothing raises :class:`~cca.core.errors.QueryError`
with suggestions.
"""

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from cca.core.errors import QueryError
from cca.core.filters import FILTERS, FilterError, Places, Resolved
from cca.core.kinds import KINDS, profile_sections
from cca.core.model import (
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
from cca.core.query import FilterValue, Query, SortKey
from cca.core.registry import Kind, Registry
from cca.core.settings import label_for
from cca.core.store import Clause, Order, Row, Store
from cca.core.text import compact, fold, match_query, query_words
from cca.core.world import WorldCountry, world_countries

if TYPE_CHECKING:
    from cca.core.stats import Grouping, Stats

R = TypeVar("R", bound=Record)


def did_you_mean(value: str, choices: Iterable[str], n: int = 3) -> str:
    """' — did you mean X?' for the closest of ``choices``, or ''."""
    import difflib  # only when an answer is missing: it costs every call 0.6 ms of start-up

    pool = list(dict.fromkeys(choices))
    by_norm = {fold(choice): choice for choice in pool}
    close = difflib.get_close_matches(fold(value), list(by_norm), n=n, cutoff=0.6)
    if not close:
        return ""
    return " — did you mean " + " or ".join(by_norm[c] for c in close) + "?"


Many = str | Sequence[str] | None
Years = int | Sequence[int] | None
Amount = float | str | None


class Plan(NamedTuple):
    """A query resolved: the kind, its clauses and order, and what the answer should say about it."""

    query: Query
    kind: Kind
    where: tuple[Clause, ...]
    order: tuple[Order, ...]
    #: Nothing can match (a search with no words, a country with no records).
    never: bool
    #: Real countries named that the knowledge has no records for.
    missing: tuple[str, ...]
    #: How each filter describes itself: "in Laos", "committed since 2015".
    described: tuple[str, ...]

    def empty_note(self) -> str:
        """What to say when nothing matches: 'no projects in Laos committed since 2015'."""
        words = " ".join(self.described)
        return f"no {self.kind.plural} {words}".strip() if words else f"no {self.kind.plural} match"


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


class Reference(NamedTuple):
    """A reference through one field: from a record (or an update of it) to an id, and where it is written."""

    source: str
    target: str
    origin: Origin


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


def cited_ids(values: Iterable[Any]) -> dict[str, None]:
    """The source ids that values cite (a ``source`` key at any depth), in order of first citation."""
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

    for value in values:
        walk(value)
    return ids


class KnowledgeBase:
    """Validated records from one or more knowledge files, answered from an indexed store."""

    def __init__(self, store: Store, files: Sequence[str], kinds: Registry = KINDS) -> None:
        self.store = store
        if store.kinds is None:
            store.kinds = kinds
        self.kinds = kinds
        self.files = list(files)
        self._labels: dict[int, tuple[str, str]] = {
            file: (label_for(Path(path)), name) for file, path, _label, name in store.files()
        }
        self._small: dict[str, list[Record]] = {}
        self._asking: Query | None = None
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

    def records_at(self, seqs: Sequence[int]) -> list[tuple[int, Record]]:
        """(seq, record) for stored records by their sequence numbers (rendering a store)."""
        marks = ",".join("?" * len(seqs))
        rows = self.store._rows(
            "SELECT r.seq, r.kind, r.id, r.name, r.file, r.line, r.col, r.parent, coalesce(r.data, r.base), r.view "
            f"FROM records r WHERE r.seq IN ({marks})",
            list(seqs),
        )
        return [(row.seq, self._record(row)) for row in rows]

    def _reference(self, kind: str) -> list[Record]:
        """Every record of a small reference kind (countries, sectors, sources), read once."""
        found = self._small.get(kind)
        if found is None:
            found = self._small[kind] = self._records(self.store.select(kind))
        return found

    # -- single records -------------------------------------------------------------------------------

    def get(self, record_id: str) -> Record | None:
        row = self.store.get(record_id)
        return self._record(row) if row is not None else None

    def view(self, record: Record) -> dict[str, Any] | None:
        """The record's JSON output as stored (rendered when the store was built)."""
        row = self.store.get(record.id)
        if row is None or row.view is None:
            return None
        value: dict[str, Any] = json.loads(row.view)
        return value

    def __len__(self) -> int:
        return sum(self.counts().values())

    def counts(self) -> dict[str, int]:
        stored = self.store.counts()
        return {kind.name: stored.get(kind.name, 0) for kind in self.kinds}

    def ids(self, prefix: str = "") -> list[tuple[str, str]]:
        return self.store.ids(prefix)

    def all_ids(self) -> list[str]:
        return self.store.all_ids()

    # -- questions ------------------------------------------------------------------------------------

    def kind(self, name: str) -> Kind:
        found = self.kinds.lookup(name)
        if found is None:
            names = self.kinds.names()
            raise QueryError(f"no kind {name!r}{did_you_mean(name, names, n=1)}; kinds: {', '.join(names)}")
        return found

    def plan(self, query: Query) -> Plan:
        """The query resolved once: filters to clauses (ids, codes, subtrees), sort keys to SQL."""
        kind = self.kind(query.kind)
        applicable = {item.name: item for item in FILTERS.for_kind(kind)}
        where: list[Clause] = []
        described: list[str] = []
        missing: list[str] = []
        never = False
        groups: dict[str, list[Resolved]] = {}
        self._asking = query
        for name, values in query.filters.items():
            item = applicable.get(name)
            if item is None:
                known = sorted(applicable)
                hint = did_you_mean(name, known, n=1) if name not in FILTERS else f" ({kind.plural} have no {name})"
                raise QueryError(f"no filter {name!r} for {kind.plural}{hint}; filters: {', '.join(known)}")
            resolved = item.resolve(self, kind, tuple(item.coerce(v) for v in values))
            missing += resolved.missing
            if resolved.description:
                described.append(resolved.description)
            if item.group is not None:
                groups.setdefault(item.group, []).append(resolved)
                continue
            if resolved.never:
                never = True
            elif resolved.clause is not None:
                where.append(resolved.clause)
        for members in groups.values():
            clauses = [r.clause for r in members if r.clause is not None]
            if not clauses:
                never = True
                continue
            # alternatives: the records any of them can hold for may drive the query, if each says which
            sets = [c.candidates for c in clauses]
            candidates = None
            if all(found is not None for found in sets):
                candidates = (
                    " UNION ".join(found[0] for found in sets if found is not None),
                    tuple(p for found in sets if found is not None for p in found[1]),
                )
            sql = "(" + " OR ".join(c.sql for c in clauses) + ")"
            where.append(Clause(sql, tuple(p for c in clauses for p in c.params), candidates))
        self._check_range(query)
        order = tuple(self._order(kind, key) for key in query.sort)
        return Plan(query, kind, tuple(where), order, never, tuple(dict.fromkeys(missing)), tuple(described))

    @staticmethod
    def _check_range(query: Query) -> None:
        since, until = query.get("since"), query.get("until")
        if since and until and min(int(v) for v in since) > max(int(v) for v in until):
            last = max(int(v) for v in until)
            raise FilterError("since", min(int(v) for v in since), f"is after {{0}} {last}", ("until",))

    def sort_fields(self, kind: Kind) -> list[str]:
        """The fields a kind's records can be sorted by: every scalar field of its output, and lists by their first."""
        from cca.core.outschema import sort_paths

        return list(sort_paths(kind.name))

    def _order(self, kind: Kind, key: SortKey) -> Order:
        from cca.core.outschema import sort_paths

        paths = sort_paths(kind.name)
        fields = list(paths)
        if key.field not in fields:
            raise QueryError(
                f"cannot sort {kind.plural} by {key.field!r}{did_you_mean(key.field, fields, n=1)}; "
                f"sort fields: {', '.join(fields)}"
            )
        if key.field == "id":
            return Order("r.id", key.descending)
        if key.field == "name":
            return Order("r.name COLLATE NOCASE", key.descending)
        if key.field in kind.facts:
            collate = " COLLATE NOCASE" if kind.facts[key.field] == "string" else ""
            return Order(f'f."{key.field}"{collate}', key.descending)
        path = paths[key.field].replace("'", "''")
        return Order(f"json_extract(r.view, '{path}')", key.descending)

    def select(self, query: Query | Plan) -> Iterator[Record]:
        """The records answering ``query``, in its order, one at a time (memory stays flat)."""
        plan = query if isinstance(query, Plan) else self.plan(query)
        if plan.never:
            return
        for row in self.store.select(plan.kind.name, plan.where, plan.order, plan.query.limit):
            yield self._record(row)

    def select_with_views(self, query: Query | Plan) -> Iterator[tuple[Record, str]]:
        """Each record answering ``query`` with its stored JSON output (exports want both)."""
        plan = query if isinstance(query, Plan) else self.plan(query)
        if plan.never:
            return
        for row in self.store.select(plan.kind.name, plan.where, plan.order, plan.query.limit):
            if row.view is None:
                from cca.core.errors import StoreError

                raise StoreError(f"record {row.id!r} has no rendered output")
            yield self._record(row), row.view

    def views(self, query: Query | Plan) -> Iterator[str]:
        """The stored JSON output of the records answering ``query``, as text, in its order."""
        plan = query if isinstance(query, Plan) else self.plan(query)
        if plan.never:
            return
        yield from self.store.views(plan.kind.name, plan.where, plan.order, plan.query.limit)

    def names(self, query: Query | Plan) -> Iterator[tuple[str, str]]:
        """(id, name) of the records answering ``query``, none of them decoded (what an index is built from)."""
        plan = query if isinstance(query, Plan) else self.plan(query)
        if plan.never:
            return
        yield from self.store.names(plan.kind.name, plan.where)

    def count(self, query: Query | Plan) -> int:
        plan = query if isinstance(query, Plan) else self.plan(query)
        return 0 if plan.never else self.store.count(plan.kind.name, plan.where)

    def stats(
        self,
        query: Query,
        by: Sequence[str] = (),
        *,
        measure: str | Sequence[str] | None = None,
        all_rows: bool = False,
        split: str = "even",
    ) -> "Stats":
        """Records counted and their amounts added up exactly, by the groupings asked.

        The population is the dataset rows the query selects (with a ``source`` filter, every record
        it selects); without ``all_rows``, rows the dataset says would count twice (umbrellas) are
        left out. ``measure``: adjusted_usd_2021 (the default: AidData's amount for aggregates; by source,
        every dataset's headline measure side by side; by administrative unit, usd_2021, which AidData's
        split columns divide), usd_2021, usd_2017, usd_nominal, adjusted_usd_nominal, the short names
        ``original`` and ``adjusted``, or several. ``split``: how a grouping by administrative unit (adm1,
        adm2) splits each amount: even (the default) or intersection.
        """
        from cca.core.stats import DATASET_ROWS, Stats, answer, grouping, measures_for, split_of

        plan = self.plan(query)
        groups: list[Grouping] = []
        for name in by:
            found = grouping(name)
            if found in groups:
                raise QueryError(f"grouping {name!r} is given twice")
            groups.append(found)
        asked = [measure] if isinstance(measure, str) else list(measure or ())
        measures = measures_for(groups, asked)
        chosen_split = split_of(split)
        where = list(plan.where)
        if not query.get("source"):
            where.append(Clause(DATASET_ROWS))
        left_out = 0
        if not all_rows:
            if not plan.never:
                left_out = self.store.count(plan.kind.name, [*where, Clause("f.for_aggregates = 0")])
            where.append(Clause("(f.for_aggregates IS NULL OR f.for_aggregates = 1)"))
        if plan.never:
            nothing = tuple((0, None) for _ in measures)
            return Stats(tuple(g.name for g in groups), measures[0], [], 0, None, 0, measures, nothing)
        units = {level: [fold(str(v)) for v in query.get(level)] for level in ("adm1", "adm2") if query.get(level)}
        editions = {
            source.id: (str(dataset.get("name")), str(dataset.get("version") or ""))
            for source in self.sources()
            if isinstance(dataset := source.get("dataset"), dict) and dataset.get("name")
        }
        return answer(
            self.store, self, plan.kind.name, where, groups, measures, split=chosen_split, units=units,
            left_out=left_out, editions=editions,
        )  # fmt: skip

    # -- typed helpers: thin wrappers over select --------------------------------------------------

    def _typed(
        self, cls: type[R], kind: str, limit: int | None, sort: Iterable[SortKey | str], filters: Mapping[str, Any]
    ) -> list[R]:
        query = Query.of(kind, sort=sort, limit=limit, **filters)
        return [record for record in self.select(query) if isinstance(record, cls)]

    def records(self, kind: str, *, limit: int | None = None, sort: Iterable[str] = (), **filters: Any) -> list[Record]:
        """Records of ``kind`` matching every filter given (see :data:`cca.core.filters.FILTERS`)."""
        return list(self.select(Query.of(kind, sort=sort, limit=limit, **filters)))

    def projects(
        self,
        country: Many = None,
        sector: Many = None,
        status: Many = None,
        search: Many = None,
        limit: int | None = None,
        *,
        region: Many = None,
        since: int | None = None,
        until: int | None = None,
        financier: Many = None,
        cofinancier: Many = None,
        min_usd: Amount = None,
        max_usd: Amount = None,
        flow_class: Many = None,
        source: Many = None,
        sort: Iterable[SortKey | str] = (),
        **more: FilterValue | Sequence[FilterValue] | None,
    ) -> list[Project]:
        """Projects matching every filter given; several values of one filter are alternatives."""
        filters = dict(
            country=country, sector=sector, status=status, search=search, region=region, since=since, until=until,
            financier=financier, cofinancier=cofinancier, min_usd=min_usd, max_usd=max_usd, flow_class=flow_class,
            source=source, **more,
        )  # fmt: skip
        return self._typed(Project, "project", limit, sort, filters)

    def agreements(
        self,
        *,
        country: Many = None,
        region: Many = None,
        sector: Many = None,
        search: Many = None,
        no_regional: bool = False,
        limit: int | None = None,
        sort: Iterable[SortKey | str] = (),
        **more: FilterValue | Sequence[FilterValue] | None,
    ) -> list[Agreement]:
        """Agreements, declarations and frameworks; with a country, those made with its region as a whole too."""
        filters = dict(country=country, region=region, sector=sector, search=search, **more)
        if no_regional:
            filters["no_regional"] = True
        return self._typed(Agreement, "agreement", limit, sort, filters)

    def aspects(self, *, search: Many = None) -> list[Aspect]:
        """The "four new aspects", in their order."""
        return self._typed(Aspect, "aspect", None, (), {"search": search})

    def actions(
        self,
        *,
        aspect: int | str | None = None,
        sector: Many = None,
        search: Many = None,
        limit: int | None = None,
        sort: Iterable[SortKey | str] = (),
    ) -> list[Action]:
        """Concrete actions, of one aspect (its number or id) or of all."""
        return self._typed(Action, "action", limit, sort, {"aspect": aspect, "sector": sector, "search": search})

    def people(
        self,
        *,
        country: Many = None,
        region: Many = None,
        search: Many = None,
        limit: int | None = None,
        sort: Iterable[SortKey | str] = (),
        **more: FilterValue | Sequence[FilterValue] | None,
    ) -> list[Person]:
        return self._typed(Person, "person", limit, sort, dict(country=country, region=region, search=search, **more))

    def statements(
        self,
        *,
        person: Many = None,
        country: Many = None,
        region: Many = None,
        search: Many = None,
        limit: int | None = None,
        sort: Iterable[SortKey | str] = (),
        **more: FilterValue | Sequence[FilterValue] | None,
    ) -> list[Statement]:
        """Statements; ``person`` is a person's id or name (the source's narration has none)."""
        filters = dict(person=person, country=country, region=region, search=search, **more)
        return self._typed(Statement, "statement", limit, sort, filters)

    def organisations(
        self,
        *,
        country: Many = None,
        region: Many = None,
        search: Many = None,
        limit: int | None = None,
        sort: Iterable[SortKey | str] = (),
        **more: FilterValue | Sequence[FilterValue] | None,
    ) -> list[Organisation]:
        filters = dict(country=country, region=region, search=search, **more)
        return self._typed(Organisation, "organisation", limit, sort, filters)

    def places(
        self,
        *,
        country: Many = None,
        region: Many = None,
        search: Many = None,
        limit: int | None = None,
        sort: Iterable[SortKey | str] = (),
        **more: FilterValue | Sequence[FilterValue] | None,
    ) -> list[Place]:
        """Places: cities, provinces, ports, regions named by the sources."""
        return self._typed(Place, "place", limit, sort, dict(country=country, region=region, search=search, **more))

    def events(
        self,
        *,
        country: Many = None,
        region: Many = None,
        search: Many = None,
        limit: int | None = None,
        sort: Iterable[SortKey | str] = (),
        **more: FilterValue | Sequence[FilterValue] | None,
    ) -> list[Event]:
        return self._typed(Event, "event", limit, sort, dict(country=country, region=region, search=search, **more))

    def figures(
        self,
        *,
        country: Many = None,
        region: Many = None,
        search: Many = None,
        limit: int | None = None,
        sort: Iterable[SortKey | str] = (),
        **more: FilterValue | Sequence[FilterValue] | None,
    ) -> list[Figure]:
        return self._typed(Figure, "figure", limit, sort, dict(country=country, region=region, search=search, **more))

    def countries(self) -> list[Country]:
        return [record for record in self._reference("country") if isinstance(record, Country)]

    def sectors(self) -> list[Sector]:
        """Sectors in tree order: each parent followed by its children."""
        return [record for record in self._reference("sector") if isinstance(record, Sector)]

    def sources(self) -> list[Source]:
        return [record for record in self._reference("source") if isinstance(record, Source)]

    def of_kind(self, kind: str) -> list[Record]:
        """Every record of ``kind``, in listing order."""
        if kind in ("country", "sector", "source"):
            return list(self._reference(kind))
        return self._records(self.store.select(kind))

    def iter_kind(self, kind: str) -> Iterator[Record]:
        """Every record of ``kind``, one at a time (for exports: memory stays flat)."""
        for row in self.store.select(kind):
            yield self._record(row)

    def country(self, name: str) -> CountryProfile:
        """Everything about one country (a name, code or alias); :class:`QueryError` if it has no records."""
        found = self.resolve_country(name)
        if not isinstance(found, Country):
            raise QueryError(f"the knowledge has no records for {found.name}")
        sections: dict[str, Any] = {
            k.plural: list(self.select(Query.of(k.name, country=found.id))) for k in profile_sections()
        }
        return CountryProfile(country=found, **sections)

    # -- relations -----------------------------------------------------------------------------------

    def children(self, record: Record) -> list[Record]:
        out: list[Record] = []
        for kind in self.kinds.nested(record.kind):
            out += self._records(self.store.children(record.id, kind.name))
        return out

    def referrers(self, record_id: str, kind: str, field: str) -> list[Record]:
        return self._records(self.store.referrers(record_id, kind, field))

    def through(self, field: str) -> list[Reference]:
        """Every reference through ``field`` (``same_as[]``), once each, where it is written: in an
        ``updates:`` entry, else in the record itself."""
        found: dict[tuple[str, str], Reference] = {}
        for source, target, file, line, column in self.store.through(field):
            label, name = self._labels.get(file, ("?", "?"))
            found.setdefault((source, target), Reference(source, target, Origin(label, line, column, name)))
        return list(found.values())

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

    def family(self, record: Record) -> list[tuple[Record, list[str]]]:
        """A dataset row's family (cca.core.families): each member once, with how it is related."""
        from cca.core.families import relation

        row = self.store.get(record.id)
        if row is None:
            return []
        found: dict[str, tuple[Record, list[str]]] = {}
        for other, mine, theirs, key in self.store.family(row.seq):
            told = relation(mine, theirs, key)
            if told is None:
                continue
            member = found.setdefault(other.id, (self._record(other), []))
            if told not in member[1]:
                member[1].append(told)
        return list(found.values())

    def sources_of(self, record: Record) -> list[Record]:
        """The sources a record's evidence cites, in order of first citation."""
        ids = cited_ids([record.data, *(child.data for child in self.children(record))])
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

    def imports(self, source_id: str) -> list[dict[str, Any]]:
        """Each import of a dataset: its file in the knowledge directory and what it says of itself."""
        return [
            {"import": name, **value} for name, value in self.store.provenance() if value.get("source") == source_id
        ]

    def foreign_units(self) -> list[tuple[Origin, str, str, str, str, str | None]]:
        """(where, record id, level, unit, its ISO-3, the recipient) of each administrative unit a record touches
        outside its recipient's country (a border project, or the geocoding's slip): the dataset's, kept as given."""
        rows = self.store._all(
            "SELECT r.file, r.line, r.col, r.id, u.level, u.name, u.iso3, f.recipient FROM units u "
            'JOIN records r ON r.seq = u.seq LEFT JOIN facts_project f ON f.seq = r.seq WHERE u."foreign" = 1 '
            "ORDER BY r.ord, u.rowid"
        )
        out = []
        for file, line, column, record_id, level, name, iso3, recipient in rows:
            label, shown = self._labels.get(file, ("?", "?"))
            out.append((Origin(label, line, column, shown), record_id, level, name, iso3, recipient))
        return out

    # -- names to records (the filters' resolver: cca.core.filters.Resolver) -------------------------------

    def resolve_country(self, value: str) -> Record | WorldCountry:
        """The country ``value`` names: a country record, else a real country with no record.

        Accepts common and official names, ISO alpha-2/alpha-3 codes, ids and aliases,
        in any case. Raises :class:`QueryError` with the closest names for anything else.
        """
        wanted = compact(value)
        if not wanted:
            raise FilterError("country", value, "give a name or code")
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
        raise QueryError(f"no country {value!r}{did_you_mean(value, names)}")

    def locate(self, countries: Sequence[str] = (), regions: Sequence[str] = ()) -> Places:
        """Countries and regions named by country values (which may name a region too) and region values."""
        from cca.core import regions as region_table

        ids: set[str] = set()
        region_ids: set[str] = set()
        missing: list[str] = []
        wanted_regions = []
        for value in dict.fromkeys(regions):
            region = region_table.find(value)
            if region is None:
                names = [r.name for r in region_table.regions()]
                raise QueryError(f"no region {value!r}{did_you_mean(value, names)}; regions: {', '.join(names)}")
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
            ids |= {r.id for r in self._reference("country") if r.get("iso2") in region.codes}
        return Places(frozenset(ids), frozenset(region_ids), tuple(missing))

    def regions_of(self, country_ids: Sequence[str]) -> set[str]:
        """The regions any of these countries belongs to (ASEAN for Malaysia)."""
        from cca.core import regions as region_table

        codes = {code for cid in country_ids if (code := self.country_codes(cid)[1])}
        return {region.id for region in region_table.regions() if region.codes & codes}

    def resolve_sector(self, value: str) -> Record:
        """The sector ``value`` names, by id or label, case-insensitively."""
        found = _named(self._reference("sector"), value)
        if found is not None:
            return found
        choices = [r.id for r in self._reference("sector")]
        raise QueryError(f"no sector {value!r}{did_you_mean(value, choices)} (the sectors: cca sectors)")

    def source_id(self, value: str) -> str:
        sources = self._reference("source")
        found = _named(sources, value)
        if found is not None:
            return found.id
        raise QueryError(
            f"no source {value!r}{did_you_mean(value, [s.id for s in sources])} (the sources: cca sources)"
        )

    def person_id(self, value: str) -> str:
        people = self._records(self.store.select("person"))
        found = _named(people, value)
        if found is not None:
            return found.id
        raise QueryError(f"no person {value!r}{did_you_mean(value, [p.name for p in people])}")

    def asked(self, name: str) -> tuple[FilterValue, ...]:
        """The values the query being planned gives another filter (a filter that reads a sibling's)."""
        return self._asking.get(name) if self._asking is not None else ()

    def aspect_id(self, value: FilterValue) -> str:
        aspects = self._records(self.store.select("aspect"))
        for aspect in aspects:
            if value in (aspect.get("number"), aspect.id, str(aspect.get("number"))):
                return aspect.id
        numbers = ", ".join(str(a.get("number")) for a in aspects)
        raise QueryError(f"no aspect {value!r}: choose from {numbers}")

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
        import difflib

        close = difflib.get_close_matches(value, pool, n=3, cutoff=0.7)
        return list(dict.fromkeys(close + starting))[:n]
