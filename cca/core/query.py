"""The question as a value: which kind, which filters, in which order, how many, which fields.

A :class:`Query` is built once at the edge (the command line, or a caller of the Python API),
resolved once by :meth:`cca.core.kb.KnowledgeBase.plan` (names, codes, aliases, regions and
sector subtrees become ids; each filter becomes an SQL clause, see :mod:`cca.core.filters`)
and answered by the store. Nothing about it travels as keyword arguments.
"""

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from cca.core.errors import QueryError

#: What one filter value may be: text (a name, an id), a number (a year, an amount), a flag.
FilterValue = str | int | float | bool


class SortKey(NamedTuple):
    """Sort by ``field`` (a JSON field of the kind's output), descending if asked."""

    field: str
    descending: bool = False

    @classmethod
    def parse(cls, text: str) -> "SortKey":
        """``usd_2021`` ascending, ``-usd_2021`` descending (``+field`` is ascending too)."""
        value = text.strip()
        descending = value.startswith("-")
        name = value.lstrip("+-").strip().replace("-", "_")
        if not name:
            raise QueryError(f"sort {text!r}: name a field, e.g. usd_2021, or -usd_2021 for descending")
        return cls(name, descending)

    def __str__(self) -> str:
        return f"-{self.field}" if self.descending else self.field


def _values(value: Any) -> tuple[FilterValue, ...]:
    if value is None:
        return ()
    if isinstance(value, (str, int, float, bool)):
        return (value,)
    if isinstance(value, Iterable):
        out = []
        for item in value:
            if not isinstance(item, (str, int, float, bool)):
                raise QueryError(f"a filter value must be text, a number or a flag, not {type(item).__name__}")
            out.append(item)
        return tuple(dict.fromkeys(out))
    raise QueryError(f"a filter value must be text, a number or a flag, not {type(value).__name__}")


class Query:
    """A question about one kind of record; ``filters`` maps a filter's name to its values (alternatives).

    Immutable and compared by value. A plain class with slots rather than a dataclass: every
    command builds one, and importing :mod:`dataclasses` (with :mod:`inspect`) costs each
    call about 5 ms of start-up.
    """

    __slots__ = ("kind", "filters", "sort", "limit", "fields")

    kind: str
    filters: Mapping[str, tuple[FilterValue, ...]]
    sort: tuple[SortKey, ...]
    limit: int | None
    fields: tuple[str, ...] | None

    def __init__(
        self,
        kind: str,
        filters: Mapping[str, Iterable[FilterValue]] | None = None,
        sort: tuple[SortKey, ...] = (),
        limit: int | None = None,
        fields: tuple[str, ...] | None = None,
    ) -> None:
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)):
            raise QueryError("limit: give a whole number of records")
        if limit is not None and limit < 1:
            raise QueryError(f"limit {limit}: give a number of records, 1 or more")
        frozen = {name: tuple(values) for name, values in (filters or {}).items() if values}
        setter = object.__setattr__
        setter(self, "kind", kind)
        setter(self, "filters", MappingProxyType(frozen))
        setter(self, "sort", tuple(sort))
        setter(self, "limit", limit)
        setter(self, "fields", fields)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"a Query is immutable: build another with Query.of or .where, not by setting {name}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"a Query is immutable: {name} cannot be deleted")

    def _key(self) -> tuple[Any, ...]:
        return (self.kind, dict(self.filters), self.sort, self.limit, self.fields)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Query) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash((self.kind, tuple(sorted(self.filters.items())), self.sort, self.limit, self.fields))

    def __repr__(self) -> str:
        return (
            f"Query(kind={self.kind!r}, filters={dict(self.filters)!r}, sort={self.sort!r}, "
            f"limit={self.limit!r}, fields={self.fields!r})"
        )

    @classmethod
    def of(
        cls,
        kind: str,
        *,
        sort: Iterable[SortKey | str] = (),
        limit: int | None = None,
        fields: Iterable[str] | None = None,
        **filters: Any,
    ) -> "Query":
        """A query from plain values: ``Query.of("project", country="Laos", since=2015, sort=["-usd_2021"])``.

        A filter's value may be one value or several (alternatives); None leaves the filter out.
        """
        keys = tuple(key if isinstance(key, SortKey) else SortKey.parse(key) for key in sort)
        chosen = {name.replace("-", "_"): _values(value) for name, value in filters.items()}
        return cls(kind, chosen, keys, limit, tuple(fields) if fields is not None else None)

    def where(self, **filters: Any) -> "Query":
        """The same question with more filters (a value replaces the filter's earlier values)."""
        merged = dict(self.filters)
        merged.update({name.replace("-", "_"): _values(value) for name, value in filters.items()})
        return Query(self.kind, merged, self.sort, self.limit, self.fields)

    def get(self, name: str) -> tuple[FilterValue, ...]:
        return self.filters.get(name, ())
