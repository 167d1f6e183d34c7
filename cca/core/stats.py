"""Counts and sums of money, grouped: what ``cca stats`` and :meth:`KnowledgeBase.stats` answer.

Each way of grouping is declared once (:data:`GROUPINGS`): its SQL key, the joins it needs,
how a key reads, and whether its keys have an order of their own (years do). A record falls
in one group of each grouping (or, for sectors, one per sector it names); a record's funders
(or co-financiers) form one group together, as the dataset lists them.

A grouping may *split* each record's amount among its groups instead of holding it whole:
the administrative units a GCDF 3.0 record touches (``adm1``, ``adm2``) each hold the record's
share of its constant-2021 amount, under one of AidData's two splits (:data:`SPLITS`). Such a
grouping gives the SQL of a group's share (:attr:`Grouping.shares`) and of what tells one share
of a record from another (:attr:`Grouping.part`); the sum then adds shares, not records.

Amounts are added up exactly (as decimals), so a sum never rounds away a cent or overflows;
one sum is always of one measure (constant 2021 dollars, constant 2017 dollars, nominal
dollars, or an adjusted amount), never of several: a record without an amount in the measure
summed counts as a record without an amount, and the answer says how many have one in another.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
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
    #: For a grouping that splits a record's amount among its groups: the SQL of a group's share, by split
    #: (see SPLITS); None: each group holds its records' whole amounts.
    shares: Mapping[str, str] | None = None
    #: With ``shares``: SQL telling one share of a record from another (a record's unit).
    part: str | None = None
    #: With ``shares``: the measure the shares are of.
    of: str = "usd_2021"
    #: The administrative level of a grouping by unit (its filter narrows the units summed).
    level: str | None = None


def _name(kb: Namer, value: Any) -> Any:
    return kb.name_of(str(value))


def _parties(role_sql: str) -> str:
    return (
        "(SELECT group_concat(name, '; ') FROM (SELECT p.name FROM parties p "
        f"WHERE p.seq = r.seq AND p.role IN ({role_sql}) ORDER BY p.rowid))"
    )


#: AidData's two ways of splitting a record's amount among its units, and what each means.
SPLITS: dict[str, str] = {
    "even": "split evenly among each record's units (AidData's even_split_ratio_commitment_value): the units "
    "add up to the records' amounts",
    "intersection": "split by the share of each record's area in the unit (AidData's "
    "intersection_ratio_commitment_value): the units need not add up to the records' amounts, since a "
    "project can lie partly outside every unit",
}
DEFAULT_SPLIT = "even"

# A unit's key carries its shape id, so two units of one name (two districts called Chau Thanh) stay two
# groups; it reads as the unit's name and country.
_UNIT_KEY = "u.shape_id || char(31) || u.name || char(31) || u.iso3"


def _unit_label(kb: Namer, value: Any) -> Any:
    _, name, iso3 = str(value).split("\x1f")
    return f"{name} ({iso3})"


def _units(level: str, what: str) -> Grouping:
    return Grouping(
        level,
        what,
        _UNIT_KEY,
        (f"JOIN units u ON u.seq = r.seq AND u.level = '{level}'",),
        label=_unit_label,
        shares={split: f"u.{split}_usd_2021" for split in SPLITS},
        part="u.shape_id",
        level=level,
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
            # through the links index (a JSON path into every record's view was 300 ms at 21,000 rows)
            "coalesce((SELECT sl.dst FROM links sl WHERE sl.src = r.seq AND sl.field = 'dataset.source'), "
            "(SELECT sl.dst FROM links sl WHERE sl.src = r.seq AND sl.field IN "
            "('evidence.quote', 'evidence.record', 'evidence.url', 'evidence.bare') ORDER BY sl.rowid LIMIT 1))",
            label=_name,
        ),
        _units("adm1", "the first-level administrative units (provinces, states) a record touches"),
        _units("adm2", "the second-level administrative units (districts) a record touches"),
    )
}

#: What a sum can add up: output fields of a project, each in one unit.
MEASURES: dict[str, str] = {
    "usd_2021": "Amount (Constant USD 2021)",
    "usd_nominal": "Amount (Nominal USD)",
    "usd_2017": "Amount (Constant USD 2017)",
    "adjusted_usd_2021": "Adjusted Amount (Constant USD 2021)",
    "adjusted_usd_nominal": "Adjusted Amount (Nominal USD)",
}
#: Each measure's price base, as money is labelled: US$ 1.71 bn (2021 USD).
BASES: dict[str, str] = {
    "usd_2021": "2021 USD",
    "adjusted_usd_2021": "2021 USD",
    "usd_2017": "2017 USD",
    "usd_nominal": "nominal USD",
    "adjusted_usd_nominal": "nominal USD",
}
#: Column headers of a measure.
HEADERS: dict[str, str] = {
    "usd_2021": "Constant 2021 USD",
    "usd_2017": "Constant 2017 USD",
    "usd_nominal": "Nominal USD",
    "adjusted_usd_2021": "Adjusted 2021 USD",
    "adjusted_usd_nominal": "Adjusted nominal USD",
}
#: The measures each dataset's headline amounts are in: what ``--by source`` shows side by side.
HEADLINE: tuple[str, ...] = ("adjusted_usd_2021", "usd_2017", "usd_nominal")

#: Short names: the amount as committed, or as AidData adjusts it for aggregates.
MEASURE_ALIASES: dict[str, str] = {"original": "usd_2021", "adjusted": "adjusted_usd_2021"}

#: What a measure is, said in a sum's caption beside its name (naming the ``measure`` parameter as ``{amount}``).
MEASURE_NOTES: dict[str, str] = {
    "adjusted_usd_2021": "AidData's amount for aggregates (overlaps between records taken out; {amount} original "
    "sums as committed)",
}

#: The default sum: AidData's adjusted amount, which takes out the overlaps between records (a loan
#: refinanced by another, a commitment partly cancelled) and is what sums of GCDF 3.0 add up.
DEFAULT_MEASURE = "adjusted_usd_2021"


class StatsRow(NamedTuple):
    keys: tuple[Any, ...]
    records: int
    #: Records with an amount in the first measure, and its sum.
    with_amount: int
    total: Decimal | None
    #: Every measure asked: (records with an amount in it, its sum), in the order of Stats.measures.
    amounts: tuple[tuple[int, Decimal | None], ...] = ()
    #: Records with an amount in any of the measures asked.
    with_any: int = 0


class Split(NamedTuple):
    """What a sum by administrative unit rests on: which records have units at its level, and how it split."""

    level: str
    split: str
    #: Records of the answer with units at the level, and the sum of their own amounts.
    located: int
    located_total: Decimal | None
    #: Records of the answer with no unit at the level, and the sum of their amounts (in no unit's sum).
    unlocated: int
    unlocated_total: Decimal | None
    #: Unit shares in the sum that cca computed (the file's split amount was blank): amount x ratio.
    computed: int
    #: Unit shares in the sum that lie outside the record's recipient country.
    foreign: int


class Stats(NamedTuple):
    by: tuple[str, ...]
    measure: str
    rows: list[StatsRow]
    records: int
    total: Decimal | None
    #: Records of the population left out of the sum because the dataset says they would count twice.
    not_for_aggregates: int
    #: Every measure summed, side by side (the first is ``measure``).
    measures: tuple[str, ...] = ()
    #: The whole answer's (records with an amount, sum) per measure, in the order of ``measures``.
    totals: tuple[tuple[int, Decimal | None], ...] = ()
    #: Records without an amount in ``measure`` that have one in another: measure -> records.
    elsewhere: Mapping[str, int] = {}
    #: For a sum by administrative unit: what it rests on.
    split: Split | None = None
    #: The sources of the records summed (their ids), and those with an amount in ``measure`` (one sum may
    #: span several datasets).
    datasets: tuple[str, ...] = ()
    summed: tuple[str, ...] = ()


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


def split_of(name: str) -> str:
    key = name.strip().lower()
    if key not in SPLITS:
        raise QueryError(f"no split {name!r}: choose intersection or even")
    return key


def _decimal(amount: Any) -> Decimal:
    return Decimal(repr(amount)) if isinstance(amount, float) else Decimal(amount)


def add_up(kb: Namer, groups: Sequence[Grouping], raw: Sequence[tuple[Any, ...]], measures: int = 1) -> list[StatsRow]:
    """(keys..., seq, part, amount...) rows as groups: records counted once each, amounts added exactly.

    ``part`` tells a record's shares apart (its units, for a grouping that splits amounts; else None):
    each (record, part) adds its amounts once.
    """
    return add_up_with_total(kb, groups, raw, measures)[0]


def add_up_with_total(
    kb: Namer, groups: Sequence[Grouping], raw: Sequence[tuple[Any, ...]], measures: int = 1
) -> tuple[list[StatsRow], StatsRow]:
    """:func:`add_up`, and the total over every group in the same pass (each (record, part) once)."""
    width = len(groups)
    folding = [g.folded for g in groups]
    found: dict[tuple[Any, ...], _Sum] = {}
    labels: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    whole = _Sum(measures)
    for row in raw:
        keys = row[:width]
        folded = (
            tuple(fold(k) if f and isinstance(k, str) else k for f, k in zip(folding, keys, strict=True))
            if any(folding)
            else keys
        )
        entry = found.get(folded)
        if entry is None:
            entry = found[folded] = _Sum(measures)
            labels[folded] = tuple(keys)
        seq, part = row[width], row[width + 1]
        amounts = row[width + 2 : width + 2 + measures]
        entry.add(seq, part, amounts)
        whole.add(seq, part, amounts)
    out = []
    for folded, entry in found.items():
        shown = tuple(
            (g.label(kb, k) if g.label is not None and k is not None else k)
            for g, k in zip(groups, labels[folded], strict=True)
        )
        out.append(entry.row(shown))
    return out, whole.row(())


class _Sum:
    """One group's records, parts and exact totals (a record's amount is added once per part)."""

    __slots__ = ("seqs", "items", "having", "totals", "anything")

    def __init__(self, measures: int) -> None:
        self.seqs: set[Any] = set()
        self.items: set[tuple[Any, Any]] = set()
        self.having: list[set[Any]] = [set() for _ in range(measures)]
        self.totals: list[Decimal | None] = [None] * measures
        self.anything: set[Any] = set()

    def add(self, seq: Any, part: Any, amounts: Sequence[Any]) -> None:
        item = (seq, part)
        if item in self.items:
            return
        self.items.add(item)
        self.seqs.add(seq)
        for index, amount in enumerate(amounts):
            if amount is not None:
                self.having[index].add(seq)
                self.anything.add(seq)
                value = _decimal(amount)
                total = self.totals[index]
                self.totals[index] = value if total is None else total + value

    def row(self, keys: tuple[Any, ...]) -> StatsRow:
        amounts = tuple((len(self.having[i]), self.totals[i]) for i in range(len(self.totals)))
        return StatsRow(keys, len(self.seqs), amounts[0][0], amounts[0][1], amounts, len(self.anything))


def order_rows(rows: list[StatsRow], groups: Sequence[Grouping]) -> list[StatsRow]:
    """By key when the first grouping is ordered (years, then the rest by amount), else by amount."""

    def by_amount(row: StatsRow) -> tuple[Any, ...]:
        return (-(row.total or 0), -row.records, [str(k) for k in row.keys])

    if groups and groups[0].ordered:
        return sorted(rows, key=lambda row: (row.keys[0] is None, row.keys[0] or 0, by_amount(row)))
    return sorted(rows, key=by_amount)


def measures_for(groups: Sequence[Grouping], asked: Sequence[str]) -> tuple[str, ...]:
    """The measures to sum: those asked (each once); none asked: the default (adjusted_usd_2021), by source every
    headline measure, by administrative unit the measure AidData's split columns divide."""
    chosen = tuple(dict.fromkeys(measure_of(name) for name in asked))
    if chosen:
        return chosen
    if any(g.name == "source" for g in groups):
        return HEADLINE
    split = [g for g in groups if g.shares is not None]
    if split:  # AidData's split columns divide one measure: that one
        return (split[0].of,)
    return (DEFAULT_MEASURE,)


def splitting(groups: Sequence[Grouping], measures: Sequence[str]) -> Grouping | None:
    """The grouping that splits amounts, if any (at most one; only of the measure its shares are in)."""
    found = [g for g in groups if g.shares is not None]
    if len(found) > 1:
        names = " and ".join(f"{{by}} {g.name}" for g in found)
        raise QueryError(f"{names} would split each amount twice: group by one level of units at a time", params=["by"])
    if not found:
        return None
    chosen = found[0]
    wrong = [m for m in measures if m != chosen.of]
    if wrong:
        raise QueryError(
            f"{{by}} {chosen.name} sums the units' shares of the {MEASURES[chosen.of]} (AidData's split columns), "
            f"not {', '.join(m.replace('_', '-') for m in wrong)}: {{amount}} {chosen.of.replace('_', '-')}",
            params=["by", "amount"],
        )
    return chosen


#: The population of a sum: dataset rows (a record with a dataset source), whatever the dataset.
DATASET_ROWS = "EXISTS (SELECT 1 FROM links dl WHERE dl.src = r.seq AND dl.field = 'dataset.source')"


def answer(
    store: Any,
    kb: Namer,
    kind: str,
    where: Sequence[Any],
    groups: Sequence[Grouping],
    measures: Sequence[str],
    *,
    split: str = DEFAULT_SPLIT,
    units: Mapping[str, Sequence[str]] | None = None,
    left_out: int = 0,
    editions: Mapping[str, tuple[str, str]] | None = None,
) -> Stats:
    """Sum ``measures`` over the records of ``kind`` meeting ``where`` (store clauses), by ``groups``.

    ``units``: folded unit names by level that a filter chose (``--adm1``): a grouping by that level sums
    those units only. ``left_out``: the records the caller left out (not for aggregates), to report.
    ``editions``: source id -> (dataset, version) of each dataset source: one sum never spans two versions
    of one dataset (GCDF 2.0 and 3.0 record the same projects), unless grouped by source.
    """
    splitter = splitting(groups, measures)
    datasets, summed = _datasets(store, kind, where, groups, measures, editions or {})
    joins: list[str] = []
    params: list[Any] = []
    for g in groups:
        for join in g.joins:
            wanted = (units or {}).get(g.level or "") if g.level else None
            if wanted:
                join += f" AND u.folded IN ({','.join('?' * len(wanted))})"
                params += list(wanted)
            joins.append(join)
    amounts = [splitter.shares[split] if splitter is not None and splitter.shares else f'f."{m}"' for m in measures]
    part = splitter.part if splitter is not None and splitter.part else "NULL"
    raw = list(store.grouped(kind, where, [g.key for g in groups], joins, [part, *amounts], params))
    grouped, total = add_up_with_total(kb, groups, raw, len(measures))
    rows = order_rows(grouped, groups)
    elsewhere: dict[str, int] = {}
    if len(measures) == 1 and splitter is None:
        others = [m for m in HEADLINE if m != measures[0]]
        counts = store.aggregate(
            kind, where, [f'sum(f."{measures[0]}" IS NULL AND f."{m}" IS NOT NULL)' for m in others]
        )
        elsewhere = {m: int(n or 0) for m, n in zip(others, counts, strict=True) if n}
    about = None
    if splitter is not None:
        about = _split(store, kb, kind, where, splitter, split, joins, params)
    return Stats(
        tuple(g.name for g in groups), measures[0], rows, total.records, total.total, left_out, tuple(measures),
        total.amounts, elsewhere, about, datasets, summed,
    )  # fmt: skip


def _datasets(
    store: Any,
    kind: str,
    where: Sequence[Any],
    groups: Sequence[Grouping],
    measures: Sequence[str],
    editions: Mapping[str, tuple[str, str]],
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The sources of the records, and those with amounts in the first measure; a sum of two versions of one
    dataset is refused."""
    per_source = store.tallies(
        kind, where, GROUPINGS["source"].key, ["count(*)", *(f'count(f."{m}")' for m in measures)]
    )
    per_source = [(row[0], *row[2:]) for row in per_source if row[1]]
    if not any(g.name == "source" for g in groups):
        for index, measure in enumerate(measures):
            having = [str(row[0]) for row in per_source if row[0] is not None and row[1 + index]]
            by_dataset: dict[str, list[str]] = {}
            for source in having:
                if source in editions:
                    by_dataset.setdefault(editions[source][0], []).append(source)
            for dataset, sources in by_dataset.items():
                if len({editions[source][1] for source in sources}) > 1:
                    raise QueryError(
                        f"{' and '.join(sorted(sources))} are two versions of {dataset}, which record the same "
                        f"projects: their {MEASURES[measure]} is never summed together; choose one "
                        f"({{source}} {sorted(sources)[-1]}) or group {{by}} source",
                        params=["source", "by"],
                    )
    every = tuple(str(row[0]) for row in per_source if row[0] is not None)
    return every, tuple(str(row[0]) for row in per_source if row[0] is not None and row[1])


def _split(
    store: Any,
    kb: Namer,
    kind: str,
    where: Sequence[Any],
    grouping: Grouping,
    split: str,
    joins: Sequence[str],
    params: Sequence[Any],
) -> Split:
    from cca.core.store import Clause

    level = grouping.level or grouping.name
    has = f"EXISTS (SELECT 1 FROM units lu WHERE lu.seq = r.seq AND lu.level = '{level}')"

    def summed(clause: str) -> tuple[int, Decimal | None]:
        raw = store.grouped(kind, [*where, Clause(clause)], [], [], ["NULL", f'f."{grouping.of}"'], [])
        found = add_up(kb, [], list(raw))
        return (found[0].records, found[0].total) if found else (0, None)

    located, located_total = summed(has)
    unlocated, unlocated_total = summed(f"NOT {has}")
    computed, foreign = store.aggregate(
        kind, where, [f"coalesce(sum(u.{split}_computed), 0)", 'coalesce(sum(u."foreign"), 0)'], joins, params
    )
    return Split(level, split, located, located_total, unlocated, unlocated_total, int(computed), int(foreign))
