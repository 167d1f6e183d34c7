"""Typed records: what :func:`cca.load` returns. Plain objects, no I/O, no printing."""

from collections.abc import Mapping
from typing import Any, NamedTuple, Protocol

from cca.core import dates

#: The project status vocabulary, in lifecycle order (documented in the README and the schema).
STATUSES: tuple[str, ...] = (
    "planned",
    "agreed",
    "under-construction",
    "in-progress",
    "completed",
    "operational",
    "suspended",
    "cancelled",
    "unknown",
)


class SourceDates(Protocol):
    def source_date(self, source_id: str) -> str | None: ...


class Origin(NamedTuple):
    """Where a record is defined: ``path`` as messages name the file, ``name`` relative to its root."""

    path: str
    line: int
    column: int
    name: str = ""

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"

    @property
    def defined_at(self) -> str:
        """``file:line:col`` with the file named relative to the knowledge root it was found under."""
        return f"{self.name or self.path}:{self.line}:{self.column}"


class Evidence(NamedTuple):
    """What proves a claim: a verbatim ``quote`` from a source, or a locator.

    A quote of a person's words may carry its ``attribution``: the source's own words that
    say who spoke ("said Qin Rupei"), kept apart from the words themselves. A locator names
    a dataset ``record`` (its row id) and the ``url`` of one of the row's own sources, or
    only the ``url`` of a report's page; either way ``source`` is the id of a source record.
    """

    source: str
    quote: str | None = None
    note: str | None = None
    record: str | None = None
    url: str | None = None
    attribution: str | None = None
    #: For a workbook read sheet by sheet (CGIT): the sheet and the row, in the file the source names.
    sheet: str | None = None
    row: int | None = None

    @property
    def is_quote(self) -> bool:
        return self.quote is not None

    def as_dict(self) -> dict[str, str | int]:
        out: dict[str, str | int] = {"source": self.source}
        for key in ("quote", "attribution", "record", "url", "sheet", "row", "note"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


def evidence_of(items: Any) -> tuple[Evidence, ...]:
    return tuple(
        Evidence(
            item["source"],
            item.get("quote"),
            item.get("note"),
            item.get("record"),
            item.get("url"),
            item.get("attribution"),
            item.get("sheet"),
            item.get("row"),
        )
        for item in items or ()
    )


def attribution_of(evidence: tuple[Evidence, ...]) -> str | None:
    """The distinct attributions of quoted words, in order, joined by '; ' (None: the words carry none)."""
    found = dict.fromkeys(e.attribution for e in evidence if e.quote is not None and e.attribution)
    return "; ".join(a for a in found if a) or None


class StatusObservation(NamedTuple):
    """A status at a date: as_of says when it held (None: the source does not say); reported, when it was said."""

    as_of: str | None
    reported: str | None
    evidence: tuple[Evidence, ...]
    notes: str | None
    value: str = "unknown"

    @property
    def when(self) -> str | None:
        """The best date for ordering: as_of, else the report's date."""
        return self.as_of or self.reported

    @property
    def source(self) -> str | None:
        return self.evidence[0].source if self.evidence else None


class ProgressObservation(NamedTuple):
    """A progress figure at a date (see :class:`StatusObservation` for the dates)."""

    as_of: str | None
    reported: str | None
    evidence: tuple[Evidence, ...]
    notes: str | None
    metric: str = ""
    value: float = 0
    unit: str = ""
    qualifier: str = "exact"

    @property
    def when(self) -> str | None:
        return self.as_of or self.reported

    @property
    def source(self) -> str | None:
        return self.evidence[0].source if self.evidence else None


Observation = StatusObservation | ProgressObservation


class Record:
    """One fact record. ``data`` holds its fields as written, with later updates merged in."""

    __slots__ = ("kind", "id", "name", "data", "origin", "parent", "context")

    def __init__(
        self,
        kind: str,
        id: str,  # noqa: A002 - the record's own name for it
        name: str,
        data: dict[str, Any],
        origin: Origin,
        parent: str | None = None,  # the record holding this one (an action's aspect)
        context: SourceDates | None = None,
    ) -> None:
        self.kind = kind
        self.id = id
        self.name = name
        self.data = data
        self.origin = origin
        self.parent = parent
        self.context = context

    def __repr__(self) -> str:
        return f"{type(self).__name__}(kind={self.kind!r}, id={self.id!r}, name={self.name!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Record):
            return NotImplemented
        mine = (self.kind, self.id, self.name, self.data, self.origin, self.parent)
        return mine == (other.kind, other.id, other.name, other.data, other.origin, other.parent)

    __hash__ = None  # type: ignore[assignment]

    @property
    def evidence(self) -> tuple[Evidence, ...]:
        return evidence_of(self.data.get("evidence"))

    @property
    def aliases(self) -> list[str]:
        return list(self.data.get("aliases", ()))

    @property
    def notes(self) -> str | None:
        return self.data.get("notes")

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def reported(self, observation: Mapping[str, Any]) -> str | None:
        """When an observation was reported: as written, else its source's date."""
        written = observation.get("reported")
        if written:
            return str(written)
        if self.context is None:
            return None
        for item in observation.get("evidence") or ():
            found = self.context.source_date(item["source"])
            if found:
                return found
        return None


def _when(observation: Observation) -> tuple[int, int, int, int]:
    return dates.sort_key(observation.when)


class Project(Record):
    """A project, with its status and progress over time."""

    __slots__ = ()

    @property
    def countries(self) -> list[str]:
        return list(self.data.get("countries", ()))

    @property
    def sectors(self) -> list[str]:
        return list(self.data.get("sectors", ()))

    @property
    def status_history(self) -> list[StatusObservation]:
        """Every status observation, oldest first (by as_of, else by the report's date)."""
        observations = [
            StatusObservation(
                o.get("as_of"), self.reported(o), evidence_of(o.get("evidence")), o.get("notes"), value=o["value"]
            )
            for o in self.data.get("status", ())
        ]
        return sorted(observations, key=_when)

    @property
    def status(self) -> StatusObservation | None:
        """The latest status observation (None if there is none)."""
        history = self.status_history
        return history[-1] if history else None

    @property
    def progress(self) -> list[ProgressObservation]:
        """Every progress figure, oldest first."""
        figures = [
            ProgressObservation(
                o.get("as_of"),
                self.reported(o),
                evidence_of(o.get("evidence")),
                o.get("notes"),
                metric=o["metric"],
                value=o["value"],
                unit=o["unit"],
                qualifier=o.get("qualifier", "exact"),
            )
            for o in self.data.get("progress", ())
        ]
        return sorted(figures, key=_when)


def _strings(record: Record, key: str) -> list[str]:
    return [str(value) for value in record.data.get(key) or ()]


def _text(record: Record, key: str) -> str | None:
    value = record.data.get(key)
    return None if value is None else str(value)


class Agreement(Record):
    """An agreement, declaration, framework or initiative."""

    __slots__ = ()

    @property
    def type(self) -> str:
        return str(self.data.get("type", ""))

    @property
    def countries(self) -> list[str]:
        return _strings(self, "countries")

    @property
    def regions(self) -> list[str]:
        return _strings(self, "regions")

    @property
    def sectors(self) -> list[str]:
        return _strings(self, "sectors")

    @property
    def date(self) -> str | None:
        return _text(self, "date")

    @property
    def summary(self) -> str | None:
        return _text(self, "summary")


class Aspect(Record):
    """One of the "four new aspects"; its actions are :meth:`KnowledgeBase.actions` ``(aspect=...)``."""

    __slots__ = ()

    @property
    def number(self) -> int:
        return int(self.data.get("number", 0))

    @property
    def title(self) -> str:
        return str(self.data.get("title", self.name))


class Action(Record):
    """A concrete action under an aspect (``parent`` is the aspect's id)."""

    __slots__ = ()

    @property
    def text(self) -> str:
        return str(self.data.get("text", self.name))

    @property
    def sectors(self) -> list[str]:
        return _strings(self, "sectors")


class Role(NamedTuple):
    title: str
    organisation: str | None
    as_of: str | None


class Person(Record):
    """A person named in a source; what they said is :meth:`KnowledgeBase.statements` ``(person=...)``."""

    __slots__ = ()

    @property
    def roles(self) -> list[Role]:
        return [Role(r["title"], r.get("organisation"), r.get("as_of")) for r in self.data.get("roles") or ()]

    @property
    def country(self) -> str | None:
        return _text(self, "country")


class Statement(Record):
    """Something said: ``quotes`` are the source's words, ``summary`` is cca's paraphrase."""

    __slots__ = ()

    @property
    def person(self) -> str | None:
        """The speaker's id (None: the source's own narration)."""
        return _text(self, "person")

    @property
    def form(self) -> str:
        return str(self.data.get("form", ""))

    @property
    def summary(self) -> str:
        return str(self.data.get("summary", ""))

    @property
    def quotes(self) -> list[str]:
        return [e.quote for e in self.evidence if e.quote is not None]

    @property
    def attribution(self) -> str | None:
        """How the source attributes the words to the speaker, verbatim ("said Qin Rupei"); None if it does not."""
        return attribution_of(self.evidence)


class _Located(Record):
    """A record of some type in one country: organisations and places."""

    __slots__ = ()

    @property
    def type(self) -> str:
        return str(self.data.get("type", ""))

    @property
    def country(self) -> str | None:
        return _text(self, "country")


class Organisation(_Located):
    __slots__ = ()


class Place(_Located):
    __slots__ = ()


class Event(Record):
    __slots__ = ()

    @property
    def type(self) -> str:
        return str(self.data.get("type", ""))

    @property
    def date(self) -> str | None:
        return _text(self, "date")


class Figure(Record):
    """A number the source gives: ``value`` ``unit`` about ``subject``."""

    __slots__ = ()

    @property
    def subject(self) -> str:
        return str(self.data.get("subject", self.name))

    @property
    def value(self) -> float:
        return float(self.data.get("value", 0))

    @property
    def unit(self) -> str:
        return str(self.data.get("unit", ""))

    @property
    def qualifier(self) -> str:
        return str(self.data.get("qualifier", "exact"))

    @property
    def countries(self) -> list[str]:
        return _strings(self, "countries")


class Country(Record):
    __slots__ = ()

    @property
    def iso2(self) -> str:
        return str(self.data.get("iso2", ""))

    @property
    def iso3(self) -> str:
        return str(self.data.get("iso3", ""))

    @property
    def official_name(self) -> str:
        return str(self.data.get("official_name", self.name))

    @property
    def asean_member(self) -> bool:
        return bool(self.data.get("asean_member", False))


class Sector(Record):
    __slots__ = ()

    @property
    def parent_sector(self) -> str | None:
        return _text(self, "parent")


class Source(Record):
    __slots__ = ()

    @property
    def title(self) -> str:
        return str(self.data.get("title", self.name))

    @property
    def publisher(self) -> str:
        return str(self.data.get("publisher", ""))

    @property
    def date(self) -> str | None:
        return _text(self, "date")

    @property
    def url(self) -> str | None:
        return _text(self, "url")
