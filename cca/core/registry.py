"""The kind registry: one declaration per kind of record, read by everything else.

A :class:`Kind` says what the knowledge file calls the kind, how a record is named,
which of its fields point at which kind of record, which fields tie it to countries
and sectors, what search looks at, which columns a table shows and which fields its
JSON output adds. Validation, the store, views, output schemas, table columns,
completion, the exports and the CLI's listing commands all derive from it; nothing
keeps a parallel list. Adding a kind is its declaration here plus its JSON Schema
entry (the ``schema`` field, for a kind that is not in ``knowledge.schema.json``).
"""

from collections.abc import Callable, Collection, Iterator, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

if TYPE_CHECKING:
    from cca.core.model import Record


_STEPS: dict[str, tuple[str, ...]] = {}
_TOPS: dict[str, str] = {}


class Ref(NamedTuple):
    """A field that holds the id of another record: ``countries[]``, ``parties[].organisation``."""

    path: str
    target: str | None  # the kind it must name; None: any kind

    @property
    def steps(self) -> tuple[str, ...]:
        found = _STEPS.get(self.path)
        if found is None:
            found = _STEPS[self.path] = tuple(self.path.split("."))
        return found

    @property
    def top(self) -> str:
        found = _TOPS.get(self.path)
        if found is None:
            found = _TOPS[self.path] = self.path.split(".", 1)[0].removesuffix("[]")
        return found


class Column(NamedTuple):
    """One column of a table for people; ``style`` names how its cells are drawn.

    ``priority`` 1 columns are always shown; higher numbers give way first when the
    terminal is narrow. ``key`` is the output field the column shows. An ``optional``
    column is left out of an answer in which every cell of it is empty.

    An ``answer`` column carries what the listing is asked for (a project's progress): a
    table keeps it whatever its priority, and becomes one block per record rather than
    drop it. ``answer_when`` names the filters that make it the answer to the question
    that uses them (financing, when a listing is filtered on money).
    """

    key: str
    header: str
    style: str = "text"
    priority: int = 1
    optional: bool = False
    answer: bool = False
    answer_when: tuple[str, ...] = ()

    def answers(self, asked: Collection[str]) -> bool:
        """Whether this column carries the answer to a question that uses the filters ``asked``."""
        return self.answer or any(name in asked for name in self.answer_when)


class ViewContext(Protocol):
    """What a kind's derived fields may ask of the knowledge (answered from indexes)."""

    kinds: "Registry"

    def get(self, record_id: str) -> "Record | None": ...

    def name_of(self, record_id: str) -> str: ...

    def country_codes(self, country_id: str) -> tuple[str, str | None]: ...

    def source_date(self, source_id: str) -> str | None: ...

    def children(self, record: "Record") -> "list[Record]": ...

    def referrers(self, record_id: str, kind: str, field: str) -> "list[Record]": ...

    def country_counts(self, country_id: str) -> Mapping[str, int]: ...

    def sector_depth(self, sector_id: str) -> int: ...

    def sector_count(self, sector_id: str) -> int: ...

    def citations(self, source_id: str) -> int: ...

    def imports(self, source_id: str) -> list[dict[str, Any]]: ...


Derive = Callable[["Record", ViewContext, dict[str, Any]], None]


_EMPTY: Mapping[str, Any] = MappingProxyType({})


class Kind(NamedTuple):
    """Everything cca knows about one kind of record."""

    name: str
    plural: str
    title: str
    help: str
    example: str
    display: tuple[str, ...] = ("name",)
    refs: tuple[Ref, ...] = ()
    #: Ref paths whose targets are the record's own countries.
    countries: tuple[str, ...] = ()
    #: Ref paths whose targets' countries the record concerns too (a statement about a project).
    via: tuple[str, ...] = ()
    #: Ref paths whose targets are the record's sectors.
    sectors: tuple[str, ...] = ()
    #: Field -> full-text column: names, aliases, body, notes (quotes are always indexed).
    search: Mapping[str, str] = _EMPTY
    columns: tuple[Column, ...] = ()
    #: Extra fields of the JSON output: name -> JSON Schema, filled in by ``derive``.
    derived: Mapping[str, Mapping[str, Any]] = _EMPTY
    derived_required: tuple[str, ...] = ()
    derive: Derive | None = None
    #: Output fields kept as plain typed columns in the store (and the SQLite export): name -> JSON type
    #: (string, integer, number, boolean). Filters, sorts and sums read them with plain SQL.
    facts: Mapping[str, str] = _EMPTY
    #: Sort keys beyond the output's scalar fields: name -> JSON path into the output (latest progress).
    sorts: Mapping[str, str] = _EMPTY
    #: For a kind held inside another kind's records: (parent kind, field), e.g. actions in aspects.
    nested_in: tuple[str, str] | None = None
    #: Countries, sectors and sources are reference data: their evidence is optional.
    reference_data: bool = False
    #: How listings order records: "file", or a field to sort by ("number", "date").
    order: str = "file"
    #: Whether the listing command takes --country, and whether `cca country` shows a section.
    by_country: bool = True
    in_profile: bool = False
    #: How a record reads in `cca country`'s profile: the keys of its columns shown, in order (then its id).
    profile: tuple[str, ...] = ("name",)
    #: The knowledge-file JSON Schema of one record, for a kind that knowledge.schema.json lacks.
    schema: Mapping[str, Any] | None = None
    record_class: "type[Record] | None" = None

    @property
    def section(self) -> str:
        """The top-level key of a knowledge file that lists this kind (its plural)."""
        return self.plural


class Registry:
    """The kinds cca knows, in display order."""

    def __init__(self) -> None:
        self._kinds: dict[str, Kind] = {}
        self._plurals: dict[str, str] = {}

    def register(self, kind: Kind) -> Kind:
        if kind.name in self._kinds or kind.plural in self._plurals:
            raise ValueError(f"kind {kind.name!r} is registered already")
        self._kinds[kind.name] = kind
        self._plurals[kind.plural] = kind.name
        return kind

    def unregister(self, name: str) -> None:
        kind = self._kinds.pop(name)
        del self._plurals[kind.plural]

    def __getitem__(self, name: str) -> Kind:
        return self._kinds[name]

    def __contains__(self, name: object) -> bool:
        return name in self._kinds

    def __iter__(self) -> Iterator[Kind]:
        return iter(list(self._kinds.values()))

    def names(self) -> list[str]:
        return list(self._kinds)

    def lookup(self, text: str) -> Kind | None:
        """A kind by its name or plural, in any case: 'project', 'projects', 'People'."""
        key = text.strip().lower().replace("_", "-")
        if key in self._kinds:
            return self._kinds[key]
        name = self._plurals.get(key)
        return self._kinds[name] if name else None

    def top_level(self) -> list[Kind]:
        """Kinds listed at the top of a knowledge file (not nested in another kind)."""
        return [kind for kind in self if kind.nested_in is None]

    def nested(self, parent: str) -> list[Kind]:
        return [kind for kind in self if kind.nested_in is not None and kind.nested_in[0] == parent]

    def version(self) -> str:
        """A fingerprint of the declarations that shape the store: a change rebuilds every cache."""
        parts = []
        for kind in self:
            parts.append(
                f"{kind.name}/{kind.plural}/{kind.display}/{[r.path + ':' + str(r.target) for r in kind.refs]}/"
                f"{kind.countries}/{kind.via}/{kind.sectors}/{sorted(kind.search.items())}/{kind.nested_in}/{kind.order}/"
                f"{sorted(kind.facts.items())}/{sorted(kind.search)}"
            )
        return "|".join(parts)
