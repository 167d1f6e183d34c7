"""``cca stats``: dataset records counted and their amounts added up, shaped for each format.

One measure (the default: a dataset's adjusted amount in constant 2021 dollars) reads as a bar
chart; several (``--by source`` shows each dataset's headline measures side by side, or
``--amount`` repeated) as one column each, never added together. The caption says what was
summed and over which rows, how many records have amounts only in another measure (and how to
sum those), and for a sum by administrative unit how the amounts were split and what the units
leave out.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from cca.cli import cells
from cca.cli.edge import option
from cca.cli.output import Out, View, listing
from cca.core.errors import QueryError, named
from cca.core.kb import KnowledgeBase
from cca.core.kb import did_you_mean as suggest
from cca.core.query import Query
from cca.core.stats import BASES, HEADERS, MEASURE_NOTES, MEASURES, Split, Stats
from cca.core.views import source_reference as reference

#: Column headers of groupings whose names do not read as headers.
HEADINGS = {"adm1": "ADM1 unit", "adm2": "ADM2 unit", "flow_class": "Flow class"}


def json_number(value: Decimal) -> int | float:
    """An exact sum as a JSON number: whole sums as integers (of any size), others as the nearest float."""
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def _rows(stats: Stats) -> list[dict[str, Any]]:
    keys = list(stats.by)
    several = len(stats.measures) > 1
    out: list[dict[str, Any]] = []
    for found in stats.rows:
        row: dict[str, Any] = {
            key: ("(none)" if value is None else value) for key, value in zip(keys, found.keys, strict=True)
        }
        if several:  # with_amount: records with an amount in any measure shown; each measure its own count
            row.update(records=found.records, with_amount=found.with_any)
            for measure, (count, total) in zip(stats.measures, found.amounts, strict=True):
                row[measure] = json_number(total) if total is not None else None
                row[f"{measure}_records"] = count
        else:
            row.update(records=found.records, with_amount=found.with_amount)
            row[stats.measure] = json_number(found.total) if found.total is not None else None
        out.append(row)
    return out


def _sorted(rows: list[dict[str, Any]], valid: Sequence[str], sort: Sequence[str], descending: bool) -> list[Any]:
    from cca.core.query import SortKey

    for text in reversed(sort):
        key = SortKey.parse(text)
        if key.field not in valid:
            raise QueryError(
                f"cannot sort stats by {key.field!r}{suggest(key.field, valid, n=1)}; sort fields: {', '.join(valid)}"
            )
        wanted = key.descending or descending
        present = [r for r in rows if r.get(key.field) is not None]
        absent = [r for r in rows if r.get(key.field) is None]
        present.sort(key=lambda r: _sortable(r[key.field]), reverse=wanted)
        rows = present + absent
    return rows


def _sortable(value: Any) -> Any:
    return (0, value) if isinstance(value, (int, float)) else (1, str(value).casefold())


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'s' if count != 1 else ''}"


def caption(stats: Stats, all_rows: bool) -> str:
    """What the sum is of, over which rows, and what it leaves out."""
    basis = "rows the dataset recommends for aggregates" if not all_rows else "every row (umbrellas count twice)"
    if stats.split is not None:
        text = _split_caption(stats, stats.split, basis)
    elif len(stats.measures) > 1:
        each = ", ".join(MEASURES[m] for m in stats.measures)
        text = f"Sums of each measure on its own ({each}; never added together) over {basis}"
    else:
        summed = MEASURES[stats.measure]
        if stats.measure in MEASURE_NOTES:
            summed += f", {named(MEASURE_NOTES[stats.measure], ['amount'], option)},"
        text = f"Sums of {summed} over {basis}"
    if stats.not_for_aggregates and not all_rows:
        text += f"; {_plural(stats.not_for_aggregates, 'row')} left out (--all-rows)"
    if stats.split is None and len(stats.measures) == 1:
        if stats.total is not None:
            text += f"; total {cells.money(stats.total, 'USD', BASES[stats.measure])} over {stats.records:,} records"
        else:
            text += f"; no amounts over {stats.records:,} records"
    if len(stats.summed) > 1 and len(stats.measures) == 1:
        text += f"; the sum spans {len(stats.summed)} datasets (--by source shows each)"
    if stats.elsewhere:
        others = [
            f"{count:,} in {BASES[m]} (--amount {m.replace('_', '-')})" for m, count in stats.elsewhere.items() if count
        ]
        text += f"; records with no amount in {BASES[stats.measure]} but one in another measure: " + ", ".join(others)
    return text + "."


def _split_caption(stats: Stats, split: Split, basis: str) -> str:
    from cca.io.importers.locations import SPLIT_METHODS

    money = BASES[stats.measure]
    level = split.level.upper()

    def amount(value: Decimal | None) -> str:
        return cells.money(value, "USD", money) if value is not None else "no amount"

    if split.split == "even":
        text = (
            f"Each record's {MEASURES[stats.measure]} split evenly among its {level} units ({SPLIT_METHODS['even']}"
            "; --split even, the default; --split intersection splits by area), "
            f"over {basis}: the units hold {amount(stats.total)}, the amounts of the "
            f"{_plural(split.located, 'record')} with {level} units ({amount(split.located_total)})"
        )
    else:
        text = (
            f"Each record's {MEASURES[stats.measure]} split by the share of its area in each {level} unit "
            f"({SPLIT_METHODS['intersection']}; --split intersection), over {basis}: the units hold "
            f"{amount(stats.total)} of the {amount(split.located_total)} of the {_plural(split.located, 'record')} "
            f"with {level} units; an intersection split need not add up to a record's amount, since a project can "
            "lie partly outside every unit"
        )
    if not split.unlocated:
        text += f"; every record has {level} units"
    else:
        text += f"; {_plural(split.unlocated, 'record')} without {level} units"
        text += f" ({amount(split.unlocated_total)})" if split.unlocated_total is not None else ""
        text += " is in no unit's sum" if split.unlocated == 1 else " are in no unit's sum"
    if split.computed:
        text += f"; {_plural(split.computed, 'share')} computed by cca (amount x ratio: the file's cell is blank)"
    if split.foreign:
        text += f"; {_plural(split.foreign, 'share')} in a unit outside the record's recipient country"
    return text


def finance_stats(
    kb: KnowledgeBase,
    out: Out,
    query: Query,
    by: Sequence[str],
    *,
    measures: Sequence[str] = (),
    all_rows: bool,
    split: str = "even",
    sort: Sequence[str] = (),
    descending: bool = False,
) -> Stats:
    """``cca stats``: dataset records counted and their amounts added up exactly, by the groups asked."""
    stats = kb.stats(query, by, measure=list(measures), all_rows=all_rows, split=split)
    keys = list(stats.by)
    rows = _rows(stats)
    if len(stats.measures) > 1:
        valid = [*keys, "records", "with_amount", *(f for m in stats.measures for f in (m, f"{m}_records"))]
    else:
        valid = [*keys, "records", "with_amount", stats.measure]
    rows = _sorted(rows, valid, sort, descending)
    columns = [View(key, HEADINGS.get(key, key.replace("_", " ").capitalize()), "text") for key in keys]
    columns.append(View("records", "Records", "count"))
    if len(stats.measures) > 1:
        for measure in stats.measures:
            columns.append(_measure_view(measure))
    else:
        columns += [View("with_amount", "With amount", "count", 3), _bars_view(stats.measure, rows)]
    told = caption(stats, all_rows)
    listing(
        out,
        rows,
        lambda: valid,
        columns,
        title="Dataset records and their financing" + (f" by {', '.join(by)}" if by else ""),
        caption=told,
        empty=_empty(stats, query),
        footer=lambda: [told, *stats_sources(kb, query)],
    )
    from cca.cli.citing import append

    append(kb, out, [{"source": source} for source in stats.datasets])
    return stats


def _empty(stats: Stats, query: Query) -> str:
    if stats.split is not None and stats.records == 0 and stats.split.unlocated:
        from cca.io.importers import unit_importers

        level = stats.split.level.upper()
        ways = [f"cca import {name} FILE --locations {files.format(level=level)}" for name, files in unit_importers()]
        return f"no record has {level} units: import a dataset with its location files ({'; '.join(ways)})"
    return "no dataset records match" if not query.get("source") else "no records match"


def _measure_view(measure: str) -> View:
    def text(row: dict[str, Any]) -> str:
        value = row.get(measure)
        return "—" if value is None else cells.money(Decimal(value), "USD")

    return View(measure, HEADERS.get(measure, measure), "text", text=text, answer=True, plain=_plain(measure))


def _plain(measure: str) -> Any:
    return lambda row: "" if row.get(measure) is None else str(row[measure])


def _bars_view(measure: str, rows: Sequence[dict[str, Any]]) -> View:
    top = max((abs(r[measure]) for r in rows if r[measure] is not None), default=0)
    basis = BASES[measure]

    def bar(row: dict[str, Any]) -> list[tuple[float, str]]:
        value = row[measure]
        if value is None:
            return [(0.0, "—")]
        return [(float(Decimal(value) / Decimal(top)) if top else 0.0, cells.money(Decimal(value), "USD"))]

    return View(
        measure,
        HEADERS.get(measure, measure),
        "bars",
        bars=bar,
        answer=True,
        text=lambda row: cells.money(Decimal(row[measure]), "USD", basis) if row[measure] is not None else "—",
        plain=_plain(measure),
    )


def stats_sources(kb: KnowledgeBase, query: Query) -> list[str]:
    """The sources a sum rests on, cited (with a dataset's licence), for a table pasted elsewhere."""
    found = kb.stats(query, ["source"], measure="usd_2021", all_rows=True)
    ids = [str(row.keys[0]) for row in found.rows if row.keys[0] is not None]
    out = []
    for source in kb.sources():
        if source.name in ids or source.id in ids:
            licence = (source.get("dataset") or {}).get("licence")
            out.append(f"Source: {reference(source)}" + (f" ({licence})" if licence else ""))
    return out


def dataset_totals(kb: KnowledgeBase, where: Query) -> list[dict[str, Any]]:
    """Each dataset's records about a country (or region) and their headline amounts, side by side, by source.

    The sums are those of ``cca stats --by source``: rows recommended for aggregates, each measure on its own.
    """
    from cca.core.stats import HEADLINE

    stats = kb.stats(Query("project", where.filters), ["source"], measure=list(HEADLINE))
    ids = {source.name: source.id for source in kb.sources()}
    out = []
    for found in stats.rows:
        title = str(found.keys[0]) if found.keys[0] is not None else "(none)"
        row: dict[str, Any] = {"source": ids.get(title, title), "title": title, "records": found.records}
        for measure, (count, total) in zip(stats.measures, found.amounts, strict=True):
            row[measure] = json_number(total) if total is not None else None
            row[f"{measure}_records"] = count
        out.append(row)
    return out


def dataset_lines(profile: dict[str, Any]) -> list[tuple[str, str]]:
    """A profile's financing by dataset, one line each: its records and each measure it has."""
    from cca.core.stats import HEADLINE

    lines = []
    for row in profile.get("financing") or ():
        told = [_plural(int(row["records"]), "record")]
        for measure in HEADLINE:
            if row.get(measure) is not None:
                money = cells.money(Decimal(row[measure]), "USD", BASES[measure])
                having = int(row[f"{measure}_records"])
                told.append(money if having == row["records"] else f"{money} over {_plural(having, 'record')}")
        lines.append((str(row["title"]), "; ".join(told)))
    return lines


def unit_sections(view: dict[str, Any]) -> list[tuple[str, list[tuple[str, str]]]]:
    """A record's administrative units (``location.units``), one section per level, each with its two shares."""
    location = view.get("location")
    units = location.get("units") if isinstance(location, dict) else None
    if not units:
        return []
    recipient = view.get("recipient")
    parts = []
    for level in ("adm1", "adm2"):
        found = [unit for unit in units if unit.get("level") == level]
        if not found:
            continue
        lines: list[tuple[str, str]] = []
        sums: dict[str, Decimal] = {}
        ratios: dict[str, Decimal] = {}
        for unit in found:
            told = []
            for split in ("intersection", "even"):
                share = unit.get(split) or {}
                ratio = share.get("ratio")
                text = f"{split} {ratio}" if ratio is not None else split
                if share.get("usd_2021") is not None:
                    text += f" = {cells.money(share['usd_2021'], 'USD', '2021 USD')}"
                    text += " (computed by cca)" if share.get("computed") else ""
                    sums[split] = sums.get(split, Decimal(0)) + Decimal(repr(share["usd_2021"]))
                if ratio is not None:
                    ratios[split] = ratios.get(split, Decimal(0)) + Decimal(repr(ratio))
                told.append(text)
            centroid = unit.get("centroid")
            if centroid:
                told.append(f"centroid {centroid['lat']}, {centroid['lon']}")
            if unit.get("foreign"):
                told.append(f"outside the recipient's country ({recipient or 'the recipient'})")
            lines.append((f"{unit['name']} ({unit['iso3']})", "; ".join(told)))
        total = [
            f"{split} {ratios[split].normalize()} of the amount"
            + (f" = {cells.money(sums[split], 'USD', '2021 USD')}" if split in sums else "")
            for split in ("intersection", "even")
            if split in ratios
        ]
        lines.append(("together", "; ".join(total)))
        parts.append((f"{level.upper()} units ({len(found)})", lines))
    return parts
