"""Counts and sums of money, grouped: what ``cca stats`` and :meth:`KnowledgeBase.stats` answer.

Each way of grouping is declared once (:data:`GROUPINGS`): its SQL key, the joins it needs,
how a key reads, and whether its keys have an order of their own (years do). Every record
falls in exactly one group of each grouping, so the groups of a sum add up to its total;
a record's funders (or co-financiers) form one group together, as the dataset lists them.
Amounts are added up exactly (as decimals), so a sum never rounds away a cent or
overflows; one sum is always of one measure (constant 2021 dollars, or nominal, or the
adjusted amount), never of several.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, NamedTuple, Protocol

from cca.core.errors import QueryError
from cca.core.text import fold


class Namer(Protocol):
    """What labelling a group asks of the knowledge: a record's name by its id."""

    def name_of(self, record_id: str) -> str: ...


class Grouping(NamedTuple):
    name: str
    help: str
    #: SQL for the key, over r (the record), f (its facts) and the joins.
    key: str
    joins: tuple[str, ...] = ()
    #: Keys with an order of their own (years) sort by key; others by amount.
    ordered: bool = False
    #: How a key reads (an id becomes a name); None: as stored.
    label: Callable[[Namer, Any], Any] | None = None
    #: Keys that are the same group when folded (names written differently by different rows).
    folded: bool = False


def _name(kb: Namer, value: Any) -> Any:
    return kb.name_of(str(value))


def _parties(role_sql: str) -> str:
    return (
        "(SELECT group_concat(name, '; ') FROM (SELECT p.name FROM parties p "
        f"WHERE p.seq = r.seq AND p.role IN ({role_sql}) ORDER BY p.rowid))"
    )


GROUPINGS: dict[str, Grouping] = {
    g.name: g
    for g in (
        Grouping("country", "the recipient country", "f.recipient"),
        Grouping(
            "sector",
            "the record's sector (as the dataset codes it)",
            "rs.sector",
            ("JOIN record_sector rs ON rs.seq = r.seq AND rs.derived = 0",),
            label=_name,
        ),
        Grouping("year", "the commitment year", "f.commitment_year", ordered=True),
        Grouping(
            "financier",
            "the funding agencies, as the dataset lists them",
            _parties("'funder', 'lender', 'investor'"),
            folded=True,
        ),
        Grouping("cofinancier", "the co-financing agencies", _parties("'co-financier'"), folded=True),
        Grouping("flow_class", "the dataset's flow class", "f.flow_class"),
        Grouping("status", "the current status", "f.status"),
        Grouping(
            "source",
            "the dataset (or source) the record comes from",
            "coalesce(json_extract(r.view, '$.dataset.source'), json_extract(r.view, '$.evidence[0].source'))",
            label=_name,
        ),
    )
}

#: What a sum can add up: output fields of a project, each in one unit.
MEASURES: dict[str, str] = {
    "usd_2021": "Amount (Constant USD 2021)",
    "usd_nominal": "Amount (Nominal USD)",
    "adjusted_usd_2021": "Adjusted Amount (Constant USD 2021)",
    "adjusted_usd_nominal": "Adjusted Amount (Nominal USD)",
}

#: Short names: the amount as committed, or as AidData adjusts it for aggregates.
MEASURE_ALIASES: dict[str, str] = {"original": "usd_2021", "adjusted": "adjusted_usd_2021"}

#: The default sum: AidData's adjusted amount, which takes out the overlaps between records (a loan
#: refinanced by another, a commitment partly cancelled) and is what sums of GCDF 3.0 add up.
DEFAULT_MEASURE = "adjusted_usd_2021"


class StatsRow(NamedTuple):
    keys: tuple[Any, ...]
    records: int
    with_amount: int
    total: Decimal | None


class Stats(NamedTuple):
    by: tuple[str, ...]
    measure: str
    rows: list[StatsRow]
    records: int
    total: Decimal | None
    #: Records of the population left out of the sum because the dataset says they would count twice.
    not_for_aggregates: int


def grouping(name: str) -> Grouping:
    found = GROUPINGS.get(name.replace("-", "_"))
    if found is None:
        raise QueryError(f"no grouping {name!r}: choose from {', '.join(g.replace('_', '-') for g in GROUPINGS)}")
    return found


def measure_of(name: str) -> str:
    key = name.replace("-", "_")
    key = MEASURE_ALIASES.get(key, key)
    if key not in MEASURES:
        names = [*MEASURE_ALIASES, *(m.replace("_", "-") for m in MEASURES)]
        raise QueryError(f"no amount {name!r}: choose from {', '.join(names)}")
    return key


def add_up(
    kb: Namer,
    groups: Sequence[Grouping],
    raw: Sequence[tuple[Any, ...]],
) -> list[StatsRow]:
    """(keys..., seq, amount) rows as groups: records counted once each, amounts added exactly."""
    found: dict[tuple[Any, ...], list[Any]] = {}
    labels: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    for row in raw:
        keys, seq, amount = row[: len(groups)], row[len(groups)], row[len(groups) + 1]
        folded = tuple(fold(k) if g.folded and isinstance(k, str) else k for g, k in zip(groups, keys, strict=True))
        entry = found.get(folded)
        if entry is None:
            entry = found[folded] = [set(), 0, None]
            labels[folded] = tuple(keys)
        if seq in entry[0]:
            continue
        entry[0].add(seq)
        if amount is not None:
            entry[1] += 1
            value = Decimal(repr(amount)) if isinstance(amount, float) else Decimal(amount)
            entry[2] = value if entry[2] is None else entry[2] + value
    out = []
    for folded, (seqs, with_amount, total) in found.items():
        shown = tuple(
            (g.label(kb, k) if g.label is not None and k is not None else k)
            for g, k in zip(groups, labels[folded], strict=True)
        )
        out.append(StatsRow(shown, len(seqs), with_amount, total))
    return out


def order_rows(rows: list[StatsRow], groups: Sequence[Grouping]) -> list[StatsRow]:
    """By key when the first grouping is ordered (years, then the rest by amount), else by amount."""

    def by_amount(row: StatsRow) -> tuple[Any, ...]:
        return (-(row.total or 0), -row.records, [str(k) for k in row.keys])

    if groups and groups[0].ordered:
        return sorted(rows, key=lambda row: (row.keys[0] is None, row.keys[0] or 0, by_amount(row)))
    return sorted(rows, key=by_amount)
