"""Typed records: what :func:`cca.load` returns. Plain objects, no I/O, no printing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Top-level keys of a knowledge file and the kind of record each holds, in display order.
KINDS: dict[str, str] = {
    "projects": "project",
    "agreements": "agreement",
    "aspects": "aspect",
    "people": "person",
    "statements": "statement",
    "organisations": "organisation",
    "places": "place",
    "events": "event",
    "figures": "figure",
    "countries": "country",
    "sectors": "sector",
    "sources": "source",
}
#: Aspect actions are records too (they have ids and evidence) but live inside aspects.
ACTION = "action"
ALL_KINDS: tuple[str, ...] = (*KINDS.values(), ACTION)
PLURALS: dict[str, str] = {**{kind: plural for plural, kind in KINDS.items()}, ACTION: "actions"}

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


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a record is defined."""

    path: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Evidence:
    """A verbatim quote from a source that proves a claim."""

    source: str
    quote: str
    note: str | None = None


@dataclass(frozen=True, slots=True)
class StatusObservation:
    value: str
    as_of: str
    evidence: tuple[Evidence, ...]
    notes: str | None = None


@dataclass(frozen=True, slots=True)
class ProgressObservation:
    metric: str
    value: float
    unit: str
    as_of: str
    evidence: tuple[Evidence, ...]
    qualifier: str = "exact"
    notes: str | None = None


def evidence_of(items: Any) -> tuple[Evidence, ...]:
    return tuple(Evidence(item["source"], item["quote"], item.get("note")) for item in items or ())


@dataclass(slots=True)
class Record:
    """One fact record. ``data`` holds its fields as written, with updates merged in."""

    kind: str
    id: str
    data: dict[str, Any]
    origin: Origin
    parent: str | None = None  # the aspect an action belongs to
    evidence: tuple[Evidence, ...] = field(default=())

    def __post_init__(self) -> None:
        self.evidence = evidence_of(self.data.get("evidence"))

    @property
    def name(self) -> str:
        """The record's display name, whatever the kind calls it."""
        for key in ("name", "title", "label", "subject", "summary", "text"):
            value = self.data.get(key)
            if isinstance(value, str):
                return value
        return self.id

    @property
    def aliases(self) -> list[str]:
        return list(self.data.get("aliases", ()))

    @property
    def notes(self) -> str | None:
        return self.data.get("notes")

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)


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
        """Every status observation, oldest first."""
        observations = [
            StatusObservation(o["value"], o["as_of"], evidence_of(o["evidence"]), o.get("notes"))
            for o in self.data.get("status", ())
        ]
        return sorted(observations, key=lambda o: o.as_of)

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
                o["metric"],
                o["value"],
                o["unit"],
                o["as_of"],
                evidence_of(o["evidence"]),
                o.get("qualifier", "exact"),
                o.get("notes"),
            )
            for o in self.data.get("progress", ())
        ]
        return sorted(figures, key=lambda o: o.as_of)


RECORD_CLASSES: dict[str, type[Record]] = {"project": Project}
