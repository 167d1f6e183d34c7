"""What each command does once its options are parsed: ask the library, shape the answer, hand it to output.

Kept apart from :mod:`cca.cli.main` so that a command's Typer signature (read at
every start-up) stays cheap and this module is imported only when a command runs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

from cca.cli import cells
from cca.cli.output import STREAMED, Out, View, document, listing, sections, stream_views, views
from cca.cli.stream import emit, note
from cca.core.errors import AmbiguousError, QueryError
from cca.core.kb import KnowledgeBase
from cca.core.kb import did_you_mean as suggest
from cca.core.kinds import KINDS, profile_sections
from cca.core.model import Record
from cca.core.query import Query
from cca.core.registry import Kind
from cca.core.settings import Settings
from cca.core.text import fold
from cca.core.views import record_view
from cca.core.views import source_reference as reference
from cca.core.world import WorldCountry
from cca.version import __version__


def _caption(kb: KnowledgeBase, rows: Sequence[dict[str, Any]]) -> str | None:
    """Name the sources behind the status and progress shown, so dates are never mistaken for today.

    One entry per publisher, with the dates of its reports, oldest publisher first: a 2021 article
    and the later reports that brought a project up to date read in order.
    """
    used = sorted(
        {str(row["status_source"]) for row in rows if row.get("status_source")}
        | {str(p["source"]) for row in rows for p in row.get("progress") or () if p.get("source")}
    )
    if not used:
        return None
    dated: dict[str, set[str]] = {}
    for source_id in used:
        source = kb.get(source_id)
        publisher, date = (str(source.get("publisher")), source.get("date")) if source else (source_id, None)
        dated.setdefault(publisher, set()).update([str(date)] if date else [])
    ordered = sorted(dated.items(), key=lambda item: (min(item[1], default=""), item[0]))
    names = [", ".join([publisher, *sorted(dates)]) for publisher, dates in ordered]
    return "Status and progress as reported on the dates shown; source: " + "; ".join(names) + "."


def _footer(kb: KnowledgeBase, rows: Sequence[dict[str, Any]]) -> list[str]:
    """Markdown listings end with their sources."""
    cited: dict[str, None] = {}

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if isinstance(value.get("source"), str):
                cited[value["source"]] = None
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(list(rows))
    sources = [s for s in kb.of_kind("source") if s.id in cited]
    return [f"Source: {reference(s)}" for s in sources]


def _missing(missing: list[str], what: str) -> None:
    for name in missing:
        note(f"the knowledge has no records for {name}, so no {what}")


def _plural(count: int, kind: Kind) -> str:
    return f"{count} {kind.name if count == 1 else kind.plural}"


def _count_bars(key: str, rows: Sequence[dict[str, Any]]) -> Callable[[dict[str, Any]], list[tuple[float, str]]]:
    most = max((row.get(key) or 0 for row in rows), default=0) or 1

    def bars(row: dict[str, Any]) -> list[tuple[float, str]]:
        return [((row.get(key) or 0) / most, str(row.get(key) or 0))]

    return bars


def _timeline(first: str, last: str) -> Callable[[dict[str, Any]], str]:
    def marker(row: dict[str, Any]) -> str:
        return cells.timeline_marker(row.get("date"), first, last)

    return marker


def kind_views(kind: Kind, rows: Sequence[dict[str, Any]], asked: Collection[str] = ()) -> list[View]:
    """The kind's columns, with the pictures that need the whole answer (bar chart, timeline) filled in.

    ``asked``: the filters the question uses. A column is the answer where the kind declares it
    so (for those filters, or always); the id is, too, when two records in the answer share a
    name, since then only the id tells them apart (for ``cca show``).
    """
    names = [fold(str(row.get("name") or "")) for row in rows]
    twins = len(set(names)) < len(names)
    out: list[View] = []
    for column, view in zip(kind.columns, views(kind.columns), strict=True):
        if column.optional and not any(view.cell(row) for row in rows):
            continue  # nothing to show in this answer (no amounts, no dataset): no empty column
        answer = column.answers(asked) or (twins and column.key == "id")
        if view.style == "bars":
            view = View(view.key, view.header, view.style, view.priority, bars=_count_bars(view.key, rows))
        elif view.style == "timeline":
            dated = [str(row["date"]) for row in rows if row.get("date")]
            first, last = (min(dated), max(dated)) if dated else ("", "")
            header = f"{first[:4]}…{last[:4]}" if dated else view.header
            view = View(view.key, header, view.style, view.priority, text=_timeline(first, last))
        out.append(view._replace(answer=answer))
    return out


def fields(kind: str) -> list[str]:
    from cca.core.outschema import output_fields as kind_fields

    return kind_fields(kind)


def list_records(
    kb: KnowledgeBase, out: Out, query: Query, *, keep: Callable[[dict[str, Any]], bool] | None = None
) -> None:
    """A listing: the query's records in the chosen format, streamed from their stored JSON when it can be."""
    plan = kb.plan(query)
    kind = plan.kind
    _missing(list(plan.missing), kind.plural)
    if keep is None and out.chosen() in STREAMED:
        # JSON, JSON Lines, CSV and TSV are written as the records come: memory stays flat at any size
        empty = None if plan.missing else plan.empty_note()
        stream_views(out, kb.views(plan), lambda: fields(kind.name), empty=empty)
        return
    rows = [json.loads(text) for text in kb.views(plan)]
    if keep is not None:
        rows = [row for row in rows if keep(row)]
    empty = None if plan.missing and not rows else plan.empty_note()
    listing(
        out,
        rows,
        lambda: fields(kind.name),
        kind_views(kind, rows, list(query.filters)),
        title=kind.title,
        caption=_caption(kb, rows) if kind.name == "project" else None,
        empty=empty,
        footer=lambda: _footer(kb, rows),
    )
    _cite(kb, out, rows)


def _cite(kb: KnowledgeBase, out: Out, rows: Sequence[dict[str, Any]]) -> None:
    """--cite: the citations of what the answer printed (cca.cli.citing)."""
    if out.cite:
        from cca.cli.citing import append

        append(kb, out, rows)


def list_aspects(kb: KnowledgeBase, out: Out, number: int | None) -> None:
    if number is not None:
        numbers = [a.get("number") for a in kb.aspects()]
        if number not in numbers:
            raise QueryError(f"no aspect {number}: choose from {', '.join(str(n) for n in numbers)}")
    list_records(kb, out, Query("aspect"), keep=None if number is None else lambda row: row.get("number") == number)


def search_records(kb: KnowledgeBase, out: Out, text: str, kinds: Sequence[str], limit: int | None) -> None:
    chosen = []
    for value in kinds:
        kind = KINDS.lookup(value)
        if kind is None:
            names = KINDS.names()
            raise QueryError(f"no kind {value!r}{suggest(value, names, n=1)}; kinds: {', '.join(names)}")
        chosen.append(kind.name)
    hits = kb.search(text, chosen or None, limit)
    rows = [{"kind": h.record.kind, "id": h.record.id, "name": h.record.name, "score": h.score} for h in hits]
    columns = [
        View("kind", "Kind", "enum", 2),
        View("name", "Name", "name", 1),
        View("id", "ID", "id", 3),
        View("score", "Score", "count", 4),
    ]
    listing(out, rows, lambda: fields("search"), columns, title=f"Search: {text}", empty=f"nothing matches {text!r}")
    if out.cite:
        _cite(kb, out, [_view(kb, hit.record) for hit in hits])


# -- one record -----------------------------------------------------------------------------------------------


def link_suggestions(kb: KnowledgeBase, out: Out, min_score: int) -> None:
    """``cca link suggest``: proposed same_as links, best first, with the command that confirms one."""
    from cca.core.links import suggest

    found = suggest(kb, min_score)
    rows = [
        {
            "curated": s.curated,
            "candidate": s.candidate,
            "score": s.score,
            "matched_name": s.matched,
            "candidate_name": s.candidate_name,
            "reasons": list(s.reasons),
        }
        for s in found
    ]
    # to confirm a link one reads the record's name against the project's id: the name is the answer
    columns = [
        View("curated", "Curated project", "id"),
        View("score", "Score", "count", 2),
        View("candidate", "Dataset record", "id"),
        View("candidate_name", "Its name", "prose", answer=True),
        View("reasons", "Why", "prose", 3, text=lambda row: "\n".join(row["reasons"][1:])),
    ]
    listing(
        out,
        rows,
        lambda: ["curated", "candidate", "score", "matched_name", "candidate_name", "reasons"],
        columns,
        title="Possible links between sources",
        caption=(
            f"Confirm one: cca link confirm {found[0].curated} {found[0].candidate}; rule one out: "
            f"cca link reject {found[0].curated} {found[0].candidate}"
            if found
            else None
        ),
        empty="no dataset record looks like a curated project",
    )


def link_list(kb: KnowledgeBase, out: Out) -> None:
    """``cca link`` / ``cca link list``: the confirmed and rejected links, and where each is written."""
    from cca.core.linking import decisions

    rows = [
        {
            "curated": d.curated,
            "state": d.state,
            "record": d.record,
            "record_name": kb.name_of(d.record),
            "defined_at": d.origin.defined_at,
        }
        for d in decisions(kb)
    ]
    columns = [
        View("curated", "Curated project", "id"),
        View("state", "Link", "enum"),
        View("record", "Dataset record", "id"),
        View("record_name", "Its name", "prose", answer=True),
        View("defined_at", "Written at", "id", 3),
    ]
    listing(
        out,
        rows,
        lambda: ["curated", "state", "record", "record_name", "defined_at"],
        columns,
        title="Links between sources",
        empty="no link is confirmed or rejected yet; see cca link suggest",
    )


def link_decision(kb: KnowledgeBase, settings: Settings, action: str, curated: str, records: Sequence[str]) -> None:
    """``cca link confirm`` / ``reject``: checked, then added to links.yaml in the knowledge directory."""
    from cca.core.linking import CONFIRMED, FIELDS, REJECTED, decide
    from cca.io.linkfile import append_updates, links_file

    state = CONFIRMED if action == "confirm" else REJECTED
    path = links_file(settings)  # refused before anything is checked when there is nowhere to write
    change = decide(kb, state, curated, records)
    for done in change.already:
        note(f"already {state}: {change.curated} {FIELDS[state]} {done.record} ({done.origin})")
    if not change.new:
        return
    append_updates(path, [change.entry()], settings.max_file_bytes)
    verb = "is" if len(change.new) == 1 else "are"
    said = (
        f"the same project as {change.curated}"
        if state == CONFIRMED
        else f"not {change.curated} (never suggested again)"
    )
    note(f"{state}: {', '.join(change.new)} {verb} {said}; written to {path}")
    for record in change.elsewhere:
        note(f"{record} is not in a country of {change.curated}: if the id is mistyped, edit {path.name}")


def lookup(kb: KnowledgeBase, text: str) -> Record:
    """A record by id, or by a name or alias of exactly one record (several: a usage error listing them)."""
    wanted = text.strip()
    record = kb.get(wanted) or kb.get(wanted.lower())
    if record is not None:
        return record
    folded = fold(wanted)
    if folded:
        matches = [
            hit.record
            for hit in kb.search(wanted, limit=50)
            if folded in (fold(hit.record.name), *(fold(a) for a in hit.record.aliases if isinstance(a, str)))
        ]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            candidates = [(r.id, r.name) for r in matches]
            listed = "; ".join(f"{rid} ({name})" for rid, name in candidates[:8])
            raise AmbiguousError(f"{text!r} names {len(matches)} records: {listed}", candidates)
    close = kb.closest_ids(wanted.lower())
    hint = f" — did you mean {', '.join(close)}?" if close else " (see: cca search TEXT)"
    raise QueryError(f"no record with id or name {text!r}{hint}")


def _evidence_line(item: dict[str, Any]) -> str:
    """A quote (with its attribution beside it), or a locator: a dataset row, a report's page."""
    if item.get("quote"):
        return f"{cells.attributed(item['quote'], item.get('attribution'))} [{item['source']}]"
    parts = [f"record {item['record']}" if item.get("record") else None, item.get("url")]
    located = ", ".join(p for p in parts if p)
    return f"{located} [{item['source']}]" if located else f"[{item['source']}]"


def _value_lines(value: Any, label: str) -> list[tuple[str, str]]:
    from cca.io.formats import text_of

    if value is None or value == [] or value == {}:
        return []
    if isinstance(value, list) and all(not isinstance(v, (dict, list)) for v in value):
        return [(label, "; ".join(text_of(v) for v in value))]
    if isinstance(value, list):
        lines: list[tuple[str, str]] = []
        for index, item in enumerate(value, 1):
            lines += _value_lines(item, f"{label} {index}")
        return lines
    if isinstance(value, dict):
        lines = []
        for key, item in value.items():
            if key == "evidence":
                lines += [(f"{label} evidence", _evidence_line(e)) for e in item or ()]
            else:
                lines += _value_lines(item, f"{label} {key}".strip())
        return lines
    return [(label, text_of(value))]


_APART = {
    "id",
    "kind",
    "name",
    "evidence",
    "defined_at",
    "status",
    "status_as_of",
    "status_reported",
    "status_source",
    "status_history",
    "progress",
    "actions",
    "statements",
    "country_codes",
    "country_code",
    "quotes",
    "attribution",
    "speaker",
    "person_name",
    "financing",
    "parties",
    "dataset",
    "same_as",
    "derived_sectors",
}


def _observed(item: dict[str, Any]) -> list[tuple[str, str]]:
    """An observation's evidence, then its notes (where reports disagree, they say so)."""
    lines = [("  ↳", _evidence_line(e)) for e in item.get("evidence") or ()]
    if item.get("notes"):
        lines.append(("  note", str(item["notes"])))
    return lines


def record_sections(kb: KnowledgeBase, record: Record, view: dict[str, Any]) -> list[tuple[str, list[tuple[str, str]]]]:
    head: list[tuple[str, str]] = [("kind", record.kind), ("id", record.id)]
    if view.get("status"):
        head.append(("status", ", ".join(cells.status_lines(view))))
    if record.kind == "statement":
        head.append(("said by", cells.speaker(view)))
        for item in view.get("evidence") or ():
            if item.get("quote"):
                head.append(("words", cells.quoted(item["quote"])))
                if item.get("attribution"):
                    head.append(("attributed", str(item["attribution"])))
    for key, value in view.items():
        if key not in _APART:
            if key == "location" and isinstance(value, dict):  # its units are a section of their own
                value = {k: v for k, v in value.items() if k != "units"}
            head += _value_lines(value, key)
    for item in view.get("derived_sectors") or ():
        # cca's reading of the row's words, told apart from the dataset's own coding
        head.append(("derived sector", f"{item['sector']} ({item['sector_source']}: “{item['words']}”)"))
    head.append(("defined at", view["defined_at"]))
    parts: list[tuple[str, list[tuple[str, str]]]] = [(str(view["name"]), head)]
    history = view.get("status_history") or []
    if len(history) > 1 or (history and len(history[0].get("evidence") or ()) > 0):
        lines = []
        for item in history:
            lines.append(("", f"{item['value']}, {cells.when(item.get('as_of'), item.get('reported'))}"))
            lines += _observed(item)
        parts.append(("Status over time", lines))
    if view.get("progress"):
        lines = []
        for item in view["progress"]:
            lines.append(("", cells.progress_text(item)))
            lines += _observed(item)
        parts.append(("Progress", lines))
    parts += _finance_sections(kb, record, view)
    from cca.cli.sums import unit_sections

    parts += unit_sections(view)
    if view.get("actions"):
        parts.append(("Actions", [(str(i), a["text"]) for i, a in enumerate(view["actions"], 1)]))
    if view.get("statements"):
        parts.append(("Said", [(s["form"], cells.statement_text(s)) for s in view["statements"]]))
    if view.get("evidence"):
        parts.append(("Evidence", [("", _evidence_line(e)) for e in view["evidence"]]))
    return parts


def _finance_sections(
    kb: KnowledgeBase, record: Record, view: dict[str, Any]
) -> list[tuple[str, list[tuple[str, str]]]]:
    """Financing with its evidence, the parties, the dataset row, and financing of the same project elsewhere."""
    parts: list[tuple[str, list[tuple[str, str]]]] = []
    if view.get("financing"):
        lines = []
        for item in view["financing"]:
            lines.append(("", cells.financing_text(item)))
            if isinstance(item.get("adjusted"), dict) and item["adjusted"].get("usd_2021") is not None:
                adjusted = item["adjusted"]["usd_2021"]
                if adjusted != item.get("usd_2021"):
                    lines.append(("", f"adjusted: {cells.money(adjusted, 'USD', '2021 USD')}"))
            lines += [("  ↳", _evidence_line(e)) for e in item.get("evidence") or ()]
        parts.append(("Financing", lines))
    if view.get("parties"):
        parts.append(
            (
                "Parties",
                [
                    (str(p.get("role", "")), p["name"] + (f" ({p['agency_type']})" if p.get("agency_type") else ""))
                    for p in view["parties"]
                ],
            )
        )
    linked = [kb.get(other) for other in view.get("same_as") or ()]
    linked += [r for r in kb.referrers(record.id, "project", "same_as[]") if r.id not in (view.get("same_as") or ())]
    found = [r for r in linked if r is not None]
    if found:
        lines = []
        total = 0.0
        for other in found:
            amount = (kb.view(other) or {}).get("usd_2021")
            total += amount if isinstance(amount, (int, float)) else 0
            money = cells.money(amount, "USD", "2021 USD") if isinstance(amount, (int, float)) else "no amount given"
            lines.append((other.id, f"{other.name}: {money}"))
        if total:
            lines.append(("total", cells.money(total, "USD", "2021 USD")))
        parts.append(("The same project in other sources", lines))
    dataset = view.get("dataset")
    if isinstance(dataset, dict):
        lines = [("record", f"{dataset.get('record')} [{dataset.get('source')}]")]
        for key in ("aggregate", "umbrella"):
            if key in dataset:
                lines.append((key, "yes" if dataset[key] else "no"))
        if dataset.get("groups"):
            lines.append(("groups", ", ".join(dataset["groups"])))
        if dataset.get("sector"):
            lines.append(("sector", f"{dataset['sector']['code']} {dataset['sector']['name']}"))
        if dataset.get("recipient"):
            lines.append(("recipient", str(dataset["recipient"])))
        from cca.io.formats import text_of

        lines += [(str(key), text_of(value)) for key, value in (dataset.get("fields") or {}).items()]
        parts.append(("Dataset row", lines))
    return parts


def _view(kb: KnowledgeBase, record: Record) -> dict[str, Any]:
    """A record's JSON output: as stored when the store was built (the same function made it)."""
    return kb.view(record) or record_view(record, kb)


_MEMBER_FIELDS = ("usd_2021", "adjusted_usd_2021", "for_aggregates")


def _member(view: Mapping[str, Any], how: list[str]) -> dict[str, Any]:
    """A family member as ``show`` gives it: who, how related, its amounts and whether sums count it."""
    return {"id": view["id"], "name": view["name"], "relation": how, **{k: view.get(k) for k in _MEMBER_FIELDS}}


def _family_lines(own: dict[str, Any], family: Sequence[dict[str, Any]]) -> list[tuple[str, str]]:
    """The record and its family: who, how related, each amount on a line of its own (never cut), whether
    sums count it; then what a sum of the family counts (each summed member once)."""
    lines = []
    for member in (own, *family):
        lines += [(member["id"], member["name"]), ("", "; ".join(member["relation"]))]
        lines += [
            ("", f"{label} {cells.money(member[key], 'USD', '2021 USD')}")
            for key, label in (("usd_2021", "amount"), ("adjusted_usd_2021", "adjusted"))
            if member.get(key) is not None
        ]
        flag = member.get("for_aggregates")
        told = "no aggregate flag" if flag is None else "summed" if flag else "not summed: would count twice"
        lines.append(("", told))
    counted = [m for m in (own, *family) if m.get("for_aggregates") and m.get("adjusted_usd_2021") is not None]
    if counted:
        from decimal import Decimal

        total = sum(Decimal(str(m["adjusted_usd_2021"])) for m in counted)
        lines.append(("total", f"adjusted {cells.money(total, 'USD', '2021 USD')}"))
        lines.append(("", f"over the {len(counted)} summed record{'s' if len(counted) != 1 else ''}"))
    return lines


def show_record(kb: KnowledgeBase, out: Out, text: str) -> None:
    record = lookup(kb, text)
    view = _view(kb, record)
    related = kb.related(record)
    sources = kb.sources_of(record)
    family = [_member(_view(kb, member), how) for member, how in kb.family(record)]
    value = {
        "record": view,
        "related": [{"id": r.id, "kind": r.kind, "name": r.name} for r in related],
        "sources": [_view(kb, s) for s in sources],
        "family": family,
    }

    def human(fmt: str) -> str:
        parts = record_sections(kb, record, view)
        if family:
            parts.append(("Family", _family_lines(_member(view, ["this record"]), family)))
        if related:
            parts.append(("Related", [(r.kind, f"{r.name} [{r.id}]") for r in related]))
        if sources:
            parts.append(("Sources", [(s.id, reference(s)) for s in sources]))
        return sections(out, fmt, parts)

    def flat() -> None:
        listing(out, [view], lambda: fields(record.kind), views(KINDS[record.kind].columns))

    document(out, value, human, flat=flat)
    _cite(kb, out, [view])


# -- one country ---------------------------------------------------------------------------------------------


def country_profile(kb: KnowledgeBase, out: Out, name: str) -> None:
    from cca.core import regions

    try:
        found = kb.resolve_country(name)
    except QueryError:
        region = regions.find(name)
        if region is None:
            raise
        _profile(kb, out, "region", region_view(kb, region), Query.of("project", region=region.id))
        return
    if isinstance(found, WorldCountry):
        note(f"the knowledge has no records for {found.name}")
        if out.chosen() in ("json", "jsonl", "yaml"):
            document(out, {"country": {"name": found.name, "iso2": found.alpha2, "iso3": found.alpha3}}, lambda fmt: "")
        return
    _profile(kb, out, "country", _view(kb, found), Query.of("project", country=found.id))


def region_view(kb: KnowledgeBase, region: Any) -> dict[str, Any]:
    """A region (ASEAN, Mekong) as a profile's head: its name, other names and member countries."""
    members = [c for c in kb.countries() if c.get("iso2") in region.codes]
    return {
        "id": region.id,
        "kind": "region",
        "name": region.name,
        "aliases": list(region.other_names),
        "members": [c.name for c in members],
        "member_codes": [str(c.get("iso2")) for c in members],
    }


def _profile(kb: KnowledgeBase, out: Out, head: str, value: dict[str, Any], where: Query) -> None:
    """A country's or a region's profile: its head, then every declared section's records that concern it."""
    profile: dict[str, Any] = {head: value}
    for kind in profile_sections():
        profile[kind.plural] = [json.loads(text) for text in kb.views(Query(kind.name, where.filters))]
    # each dataset's totals: sums over the dataset rows among these projects (none: nothing to sum)
    profile["financing"] = []
    if any(isinstance(row.get("dataset"), dict) for row in profile.get("projects") or ()):
        from cca.cli.sums import dataset_totals

        profile["financing"] = dataset_totals(kb, where)

    def human(fmt: str) -> str:
        if fmt == "markdown":
            return country_brief(kb, profile)
        return sections(out, fmt, _profile_sections(profile))

    def flat() -> None:
        # one row per record of every section, the country first; `kind` says which section
        rows = [{"kind": head, "id": value["id"], "name": value["name"]}]
        rows += [
            {"kind": kind.name, "id": row["id"], "name": row["name"]}
            for kind in profile_sections()
            for row in profile[kind.plural]
        ]
        listing(
            out,
            rows,
            lambda: ["kind", "id", "name"],
            [View("kind", "Kind", "enum"), View("id", "ID", "id"), View("name", "Name", "name")],
        )

    def records() -> list[Any]:
        return [value, *(row for kind in profile_sections() for row in profile[kind.plural])]

    document(out, profile, human, flat=flat, records=records)
    _cite(kb, out, records())


def profile_line(kind: Kind, row: dict[str, Any], *, with_id: bool = True) -> str:
    """How one record reads in a country profile: its declared profile columns (cca.core.kinds), then its id."""
    by_key = {view.key: view for view in views(kind.columns)}
    parts: list[str] = []
    for key in kind.profile:
        view = by_key.get(key)
        text = (view.line(row) if view is not None else cells.style("text").text(row, key)).strip()
        if text and view is not None and view.style == "prose" and parts:
            text = f"{view.header.lower()}: {text}"  # cca's paraphrase says it is one
        if text:
            parts.append(text)
    return " — ".join(parts) + (f" [{row['id']}]" if with_id else "")


def _profile_sections(profile: dict[str, Any]) -> list[tuple[str, list[tuple[str, str]]]]:
    """The profile for a person: the country, then one section per kind declared in the profile."""
    from cca.cli.terminal import bar

    country = profile.get("country") or profile["region"]
    if country.get("kind") == "region":
        head = [("members", "; ".join(country["members"])), ("region-wide records", "shown with their region")]
    else:
        head = [
            ("official name", country.get("official_name", "")),
            ("ISO", f"{country.get('iso2', '')} / {country.get('iso3', '')}"),
            ("ASEAN member", "yes" if country.get("asean_member") else "no"),
        ]
    if country.get("aliases"):
        head.append(("aliases", "; ".join(country["aliases"])))
    parts: list[tuple[str, list[tuple[str, str]]]] = [(country["name"], head)]
    for kind in profile_sections():
        lines: list[tuple[str, str]] = []
        for row in profile[kind.plural]:
            lines.append(("", profile_line(kind, row)))
            for item in row.get("progress") or ():
                fraction = item["value"] / 100 if item["unit"] == "percent" else 0
                lines.append(("", f"  {bar(fraction)} {cells.progress_text(item)}"))
                lines += [("  ↳", _evidence_line(e)) for e in item.get("evidence") or ()]
            if row.get("status_history"):
                for item in row["status_history"]:
                    lines += [("  ↳", _evidence_line(e)) for e in item.get("evidence") or ()][:1]
            else:
                lines += [("  ↳", _evidence_line(e)) for e in row.get("evidence") or ()]
        parts.append((f"{kind.title} ({len(profile[kind.plural])})", lines or [("", "none")]))
    if profile.get("financing"):
        from cca.cli.sums import dataset_lines

        parts.append(("Financing by dataset (each in its own measure, never added together)", dataset_lines(profile)))
    return parts


def country_brief(kb: KnowledgeBase, profile: dict[str, Any]) -> str:
    """A brief a journalist can paste: headline facts, projects, every other section, numbered citations."""
    from cca.cli.output import markdown_escape as md

    citations: dict[tuple[str, str, str], int] = {}  # (source, quote or "", locator or "") -> number

    def cite(row: dict[str, Any], *, observed: bool = False) -> str:
        """Numbers for the row's evidence; ``observed``: also its current status's and its progress figures'."""
        evidence = list(row.get("evidence") or ())
        if observed:
            history = row.get("status_history") or []
            evidence += history[-1].get("evidence") or [] if history else []
            evidence += [e for p in row.get("progress") or () for e in p.get("evidence") or ()]
        numbers: list[int] = []
        for item in evidence:
            if item.get("quote"):
                key = (item["source"], cells.attributed(item["quote"], item.get("attribution")), "")
            else:
                key = (item["source"], "", "\t".join(f"{k}\t{item[k]}" for k in ("record", "url") if item.get(k)))
            number = citations.setdefault(key, len(citations) + 1)
            if number not in numbers:
                numbers.append(number)
        return "".join(f"[{n}]" for n in numbers)

    country = profile.get("country") or profile["region"]
    projects = profile["projects"]
    lines = ["", "## Headline facts", ""]
    counted = [
        f"{len(profile[k.plural])} {k.name if len(profile[k.plural]) == 1 else k.plural}"
        for k in profile_sections()
        if profile[k.plural]
    ]
    lines.append(f"- {', '.join(counted) or 'No records'} concern {md(country['name'])}.")
    for row in projects:
        progress = "; ".join(cells.progress_text(p) for p in row.get("progress") or ())
        status = ", ".join(cells.status_lines(row)) or "status unknown"
        told = f"{md(status)}; {md(progress)}" if progress else md(status)
        lines.append(f"- {md(row['name'])}: {told} {cite(row, observed=True)}")
    lines += ["", "## Projects", "", "| Project | Status | Progress | Sources |", "| --- | --- | --- | --- |"]
    for row in projects:
        status = ", ".join(cells.status_lines(row))
        progress = "<br>".join(md(cells.progress_text(p)) for p in row.get("progress") or ())
        lines.append(f"| {md(row['name'])} | {md(status)} | {progress} | {cite(row, observed=True)} |")
    for kind in profile_sections():
        if kind.name == "project":
            continue
        lines += ["", f"## {md(kind.title)}", ""]
        lines += [f"- {md(profile_line(kind, row, with_id=False))} {cite(row)}" for row in profile[kind.plural]] or [
            "- none recorded"
        ]
    if profile.get("financing"):
        from cca.cli.sums import dataset_lines

        lines += ["", "## Financing by dataset", "", "Each dataset in its own measure; never added together.", ""]
        lines += [f"- {md(title)}: {md(text)}" for title, text in dataset_lines(profile)]
    lines += ["", "## Citations", ""]
    references = {s.id: reference(s) for s in kb.of_kind("source")}
    for (source, quote, locator), number in citations.items():
        shown = md(quote) if quote else _locator_markdown(locator) or "see the source"
        lines.append(f"{number}. {shown} — {md(references.get(source, source))}")
    # the sources named are those cited: a brief on Laos owes nothing to a report on Brunei
    cited = {source for source, _, _ in citations}
    source_dates = sorted({str(s.get("date")) for s in kb.of_kind("source") if s.id in cited and s.get("date")})
    count = len(cited)
    sources = f"{count} source{'s' if count != 1 else ''} dated {', '.join(source_dates)}"
    head = [
        f"# {md(country['name'])}: China–ASEAN cooperation",
        "",
        f"*Compiled by cca {__version__} from {sources}. Status and progress are as of the dates shown, not today.*",
    ]
    return "\n".join([*head, *lines]) + "\n"


_PLAIN_URL = re.compile(r"https?://[^\s<>\\`\x00-\x1f\x7f]+")


def _locator_markdown(locator: str) -> str:
    """A dataset row or a report's page in Markdown: a URL as an autolink (never escaped into a broken link)."""
    from cca.cli.output import markdown_escape as md

    fields = locator.split("\t")
    parts = []
    for key, value in zip(fields[::2], fields[1::2], strict=True):
        if key == "url" and _PLAIN_URL.fullmatch(value):
            parts.append(f"<{value}>")
        else:
            parts.append(md(f"{key} {value}" if key == "record" else value))
    return ", ".join(parts)


# -- the rest -------------------------------------------------------------------------------------------------


def overview(kb: KnowledgeBase) -> None:
    """What `cca` alone prints: what the knowledge holds and how to ask it."""
    counts = kb.counts()
    lines = ["cca — China–ASEAN cooperation, from source-cited facts", ""]
    lines.append("Knowledge: " + ", ".join(_plural(n, KINDS[k]) for k, n in counts.items() if n))
    reports = []
    for source in kb.of_kind("source"):
        if source.get("type") == "report":
            reports.append(str(source.get("date") or ""))
        else:
            lines.append(f"Source: {source.get('publisher')}, {source.get('date')} — {source.get('title')}")
    if reports:  # cited for later facts and dates, by address: counted here, listed by `cca sources`
        span = f"{min(reports)} to {max(reports)}" if len(reports) > 1 else reports[0]
        lines.append(f"Reports: {len(reports)} public report{'s' if len(reports) > 1 else ''}, {span} (cca sources)")
    lines += [
        "",
        "Try:",
        "  cca projects --country Laos        what is being built in Laos, and how far along",
        "  cca aspects                        the 'four new aspects' and their actions",
        "  cca search railway --json          every record about railways, as JSON",
        "",
        "Commands: cca --help    One command: cca COMMAND --help",
    ]
    from cca.core.text import visible

    emit("\n".join(visible(line) for line in lines) + "\n")


def print_schema(name: str) -> None:
    from cca.core.outschema import country_schema, output_schema, region_schema, show_schema
    from cca.core.schema import knowledge_schema

    kind = KINDS.lookup(name)
    if name == "knowledge":
        value = knowledge_schema()
    elif name == "show":
        value = show_schema()
    elif name in ("country-profile", "country_profile"):
        value = country_schema()
    elif name in ("region-profile", "region_profile"):
        value = region_schema()
    elif name == "search":
        value = output_schema("search")
    elif kind is not None:
        value = output_schema(kind.name)
    else:
        choices = ["knowledge", *KINDS.names(), "search", "show", "country-profile", "region-profile"]
        raise QueryError(f"no schema {name!r}{suggest(name, choices, n=1)}; choose from {', '.join(choices)}")
    emit(json.dumps(value, indent=2, ensure_ascii=False) + "\n")


def export(kb: KnowledgeBase, path: str, fmt: str, force: bool, bom: bool) -> None:
    import sys

    from cca.cli.stream import StdoutFailed
    from cca.core.text import visible
    from cca.io.exporters import EXPORTERS, Options

    exporter = EXPORTERS.get(fmt.lower())
    if exporter is None:
        raise QueryError(
            f"no export format {fmt!r}{suggest(fmt, list(EXPORTERS), n=1)}: choose from {', '.join(EXPORTERS)}"
        )
    options = Options(force=force, bom=bom)
    if not path.strip():
        raise QueryError("the output path is empty: give a file name, a directory, or - for standard output")
    if path == "-":
        stdout = sys.stdout
        if stdout is None:
            raise StdoutFailed("it is closed")
        target = stdout.buffer if exporter.binary and hasattr(stdout, "buffer") else stdout
        exporter.write(kb, None, options, target)
        return
    written = exporter.write(kb, Path(path), options, None)
    shown = ", ".join(visible(str(p)) for p in written)
    if fmt == "sqlite" and len(written) == 2:
        note(f"wrote {shown}; browse with: datasette {visible(str(written[0]))} -m {visible(str(written[1]))}")
    elif fmt == "csv":
        note(f"wrote {len(written)} CSV files to {visible(path)}")
    else:
        note(f"wrote {shown}")


def list_imports(settings: Any, out: Out) -> None:
    """``cca import`` alone: the imports in the knowledge directory (only those cca wrote)."""
    from cca.io.importing import imports

    rows = [entry._asdict() for entry in imports(settings)]
    columns = [
        View("name", "Import", "id"),
        View("importer", "Importer", "enum", 2),
        View("dataset_file", "From", "text"),
        View("imported", "Records", "count"),
        View("rows", "Rows read", "count", 3),
        View("date", "Imported", "date", 2),
        View("file", "File", "text", 3),
    ]
    from cca.io.importers import available

    where = settings.data_dir if settings.data_dir is not None else "(the knowledge directory is off)"
    known = "; ".join(f"{item.name} ({item.title}: {item.reads})" for item in available())
    listing(
        out,
        rows,
        lambda: list(rows[0]) if rows else ["name"],
        columns,
        title=f"Imports in {where}",
        empty=f"no imports in {where}; import one with: cca import IMPORTER FILE. Importers: {known}",
    )
