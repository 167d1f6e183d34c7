"""Confirmed and rejected links between curated projects and dataset rows.

A link is decided in a knowledge file, in an ``updates:`` entry (or a record's own field):
``same_as`` says a dataset row is the same project as a curated one, ``rejected_same_as`` that
it is not (:mod:`cca.core.links` never suggests that pair again). :func:`decisions` lists what
is decided, wherever it is written; :func:`decide` checks a new decision before anything is
written: the curated project is a curated project, each record a dataset row, and no record is
decided the other way already. Writing it is :mod:`cca.io.linkfile`'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from cca.core.errors import QueryError
from cca.core.kb import KnowledgeBase, did_you_mean
from cca.core.model import Origin, Record

CONFIRMED, REJECTED = "confirmed", "rejected"
#: The field each state is written in.
FIELDS = {CONFIRMED: "same_as", REJECTED: "rejected_same_as"}
_OTHER = {CONFIRMED: REJECTED, REJECTED: CONFIRMED}
#: The command that writes each state.
VERBS = {CONFIRMED: "confirm", REJECTED: "reject"}


class Decision(NamedTuple):
    """A pair decided in a knowledge file, and where."""

    curated: str
    record: str
    state: str
    origin: Origin


class Change(NamedTuple):
    """A decision to write: the records not decided yet, and those decided so already."""

    curated: str
    state: str
    new: tuple[str, ...]
    already: tuple[Decision, ...]
    #: Records confirmed whose countries (China aside) are none of the curated project's: a mistyped id?
    elsewhere: tuple[str, ...] = ()

    def entry(self) -> dict[str, object]:
        """The ``updates:`` entry that writes it."""
        return {"id": self.curated, FIELDS[self.state]: list(self.new)}


def is_row(record: Record | None) -> bool:
    """A dataset row: a project read from a dataset (it has a ``dataset`` locator)."""
    return record is not None and record.kind == "project" and record.get("dataset") is not None


def decisions(kb: KnowledgeBase) -> list[Decision]:
    """Every confirmed and rejected pair, curated project first where one side is a dataset row."""
    out: dict[tuple[str, str, str], Decision] = {}
    rows: dict[str, bool] = {}

    def row(record_id: str) -> bool:
        if record_id not in rows:
            rows[record_id] = is_row(kb.get(record_id))
        return rows[record_id]

    for state, field in FIELDS.items():
        for ref in kb.through(f"{field}[]"):
            flipped = row(ref.source) and not row(ref.target)
            curated, record = (ref.target, ref.source) if flipped else (ref.source, ref.target)
            out.setdefault((curated, record, state), Decision(curated, record, state, ref.origin))
    return sorted(out.values(), key=lambda d: (d.curated, d.state, d.record))


def _a(kind: str) -> str:
    return f"{'an' if kind[:1] in 'aeiou' else 'a'} {kind}"


def _curated(kb: KnowledgeBase, value: str) -> Record:
    found = kb.get(value)
    if found is None:
        close = [i for i in kb.closest_ids(value) if (r := kb.get(i)) and r.kind == "project" and not is_row(r)]
        raise QueryError(f"no curated project {value!r}{did_you_mean(value, close)} (see: cca projects)")
    if is_row(found):
        raise QueryError(
            f"{value} is a dataset row, not a curated project: name the curated project first "
            f"(cca link confirm CURATED RECORD...)"
        )
    if found.kind != "project":
        raise QueryError(f"{value} is {_a(found.kind)}, not a project")
    return found


def _row(kb: KnowledgeBase, value: str) -> Record:
    found = kb.get(value)
    if found is None:
        close = [i for i in kb.closest_ids(value) if is_row(kb.get(i))]
        raise QueryError(f"no dataset record {value!r}{did_you_mean(value, close)} (see: cca link suggest)")
    if found.kind != "project":
        raise QueryError(f"{value} is {_a(found.kind)}, not a dataset record")
    if not is_row(found):
        raise QueryError(f"{value} is a curated project, not a dataset record")
    return found


def decide(kb: KnowledgeBase, state: str, curated_id: str, record_ids: Sequence[str]) -> Change:
    """Check that ``record_ids`` may be ``state`` (confirmed or rejected) for ``curated_id``.

    Raises :class:`QueryError` for an id that is not a curated project or not a dataset row
    (with the closest ids), and for a record decided the other way already (with where).
    """
    if state not in FIELDS:
        raise QueryError(f"no link state {state!r}: confirmed or rejected")
    curated = _curated(kb, curated_id)
    rows = {row.id: row for row in (_row(kb, value) for value in dict.fromkeys(record_ids))}
    records = list(rows)
    if not records:
        raise QueryError(f"name the dataset records after {curated.id}: cca link {VERBS[state]} CURATED RECORD...")
    known = {(d.curated, d.record, d.state): d for d in decisions(kb)}
    for record in records:
        other = known.get((curated.id, record, _OTHER[state]))
        if other is not None:
            undo = "that link" if other.state == CONFIRMED else "that rejection"
            raise QueryError(
                f"{record} is {other.state} for {curated.id} already ({other.origin}): "
                f"remove {undo} there first to make it {state}"
            )
    already = tuple(d for r in records if (d := known.get((curated.id, r, state))) is not None)
    done = {d.record for d in already}
    new = tuple(r for r in records if r not in done)
    china = {c.id for c in kb.countries() if c.get("iso2") == "CN"}
    ours = set(curated.get("countries") or ()) - china
    elsewhere = tuple(
        r for r in new if state == CONFIRMED and ours and not (set(rows[r].get("countries") or ()) - china) & ours
    )
    return Change(curated.id, state, new, already, elsewhere)
