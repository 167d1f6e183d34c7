"""What each command does once its options are parsed: query, shape, render, write.

Kept apart from :mod:`cca.cli` so that a command's Typer signature (read at
every start-up) stays cheap and this module is imported only when it runs.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from cca import __version__, query, render
from cca.clikit import emit, note, stdout_is_unicode
from cca.columns import COLUMNS, amount, progress_text
from cca.errors import QueryError
from cca.model import PLURALS, Record
from cca.outschema import country_schema, output_schema, show_schema
from cca.outschema import fields as kind_fields
from cca.views import record_view

if TYPE_CHECKING:
    from cca.cli import Out
    from cca.knowledge import KnowledgeBase


def _chosen_format(out: Out) -> str:
    if out.format:
        return out.format
    if sys.stdout.isatty() or os.environ.get("FORCE_COLOR"):
        return "table"
    return "plain"


def _check_fields(out: Out, kind: str) -> list[str] | None:
    if not out.fields:
        return None
    valid = kind_fields(kind)
    unknown = [f for f in out.fields if f not in valid]
    if unknown:
        raise QueryError(
            f"unknown field {unknown[0]!r}{query.suggest(unknown[0], valid, n=1)}; valid fields: {', '.join(valid)}"
        )
    return out.fields


def output(
    out: Out,
    kind: str,
    rows: Sequence[dict[str, Any]],
    *,
    title: str | None = None,
    caption: str | None = None,
    empty: str | None = None,
    columns: Sequence[render.Column] | None = None,
) -> None:
    """Write rows of one kind in the chosen format (``columns`` replaces the kind's usual ones)."""
    chosen = _check_fields(out, kind)
    fmt = _chosen_format(out)
    if not rows and empty:
        note(empty)
    if fmt == "json":
        emit(render.to_json(render.pick(rows, chosen), ascii_only=not stdout_is_unicode()))
    elif fmt == "jsonl":
        emit(render.to_jsonl(render.pick(rows, chosen), ascii_only=not stdout_is_unicode()))
    elif fmt in ("csv", "tsv"):
        emit(render.to_delimited(rows, chosen or kind_fields(kind), "," if fmt == "csv" else "\t"))
    elif fmt == "yaml":
        emit(render.to_yaml(render.pick(rows, chosen)))
    else:
        columns = list(columns or COLUMNS[kind])
        if chosen:
            by_key = {c.key: c for c in columns}
            columns = [by_key.get(key) or render.field_column(key) for key in chosen]
        if fmt == "plain":
            emit(render.to_plain(rows, columns))
        elif not rows:
            return
        elif fmt == "markdown":
            emit(render.to_markdown(rows, columns, title))
        else:
            emit(render.to_table(rows, columns, title=title, caption=caption))


def _caption(kb: KnowledgeBase, rows: Sequence[dict[str, Any]]) -> str | None:
    """Name the sources behind the status and progress shown, so dates are never mistaken for today."""
    used = sorted(
        {str(row["status_source"]) for row in rows if row.get("status_source")}
        | {str(p["source"]) for row in rows for p in row.get("progress") or () if p.get("source")}
    )
    if not used:
        return None
    names = []
    for source_id in used:
        source = kb.get(source_id)
        names.append(f"{source.get('publisher')}, {source.get('date')}" if source else source_id)
    return "Status and progress as reported on the dates shown; source: " + "; ".join(names) + "."


def _unknown_countries(missing: list[str], what: str) -> None:
    for name in missing:
        note(f"the knowledge has no records for {name}, so no {what}")


def list_projects(
    kb: KnowledgeBase, out: Out, countries: list[str], sectors: list[str], statuses: list[str], search: list[str]
) -> None:
    _, missing = query.country_ids(kb, countries)
    found = query.filter_projects(kb, country=countries, sector=sectors, status=statuses, search=search)
    rows = [record_view(kb, r) for r in found]
    _unknown_countries(missing, "projects")
    output(
        out,
        "project",
        rows,
        title="Projects",
        caption=_caption(kb, rows),
        empty=None if missing and not rows else "no projects match" if not rows else None,
    )


def list_aspects(kb: KnowledgeBase, out: Out, number: int | None) -> None:
    aspects = sorted(kb.of_kind("aspect"), key=lambda r: r.get("number", 0))
    if number is not None:
        aspects = [a for a in aspects if a.get("number") == number]
        if not aspects:
            raise QueryError(
                f"no aspect {number}: choose from {', '.join(str(a.get('number')) for a in kb.of_kind('aspect'))}"
            )
    output(out, "aspect", [record_view(kb, a) for a in aspects], title="The four new aspects")


def list_actions(kb: KnowledgeBase, out: Out, aspect: int | None, sectors: list[str], search: list[str]) -> None:
    records = kb.of_kind("action")
    if aspect is not None:
        parents = {a.id for a in kb.of_kind("aspect") if a.get("number") == aspect}
        if not parents:
            raise QueryError(f"no aspect {aspect}")
        records = [r for r in records if r.parent in parents]
    if sectors:
        wanted: set[str] = set()
        for value in sectors:
            wanted |= query.sector_descendants(kb, query.resolve_sector(kb, value).id)
        records = [r for r in records if wanted.intersection(r.data.get("sectors", ()))]
    if search:
        records = [r for r in records if any(query.matches(r, term) for term in search)]
    output(out, "action", [record_view(kb, r) for r in records], title="Actions", empty="no actions match")


def _date_key(record: Record) -> tuple[int, str]:
    date = record.get("date")
    return (0, date) if date else (1, record.name)


def list_kind(kb: KnowledgeBase, out: Out, kind: str, countries: list[str], search: list[str]) -> None:
    records = kb.of_kind(kind)
    missing: list[str] = []
    if countries:
        ids, missing = query.country_ids(kb, countries)
        records = [r for r in records if ids & query.concerned_countries(kb, r)]
        _unknown_countries(missing, PLURALS[kind])
    if search:
        records = [r for r in records if any(query.matches(r, term) for term in search)]
    if kind == "event":
        records.sort(key=_date_key)
    rows = [record_view(kb, r) for r in records]
    columns = None
    if kind == "event":
        dates = [str(row["date"]) for row in rows if row.get("date")]
        first, last = (min(dates), max(dates)) if dates else ("", "")
        track = render.Column(
            "timeline", f"{first[:4]}…{last[:4]}", lambda r: timeline_marker(r.get("date"), first, last), no_wrap=True
        )
        columns = [track if c.key == "timeline" else c for c in COLUMNS["event"]]
    output(
        out,
        kind,
        rows,
        title=PLURALS[kind].capitalize(),
        columns=columns,
        empty=None if missing and not rows else f"no {PLURALS[kind]} match",
    )


def list_countries(kb: KnowledgeBase, out: Out) -> None:
    rows = [record_view(kb, r) for r in kb.of_kind("country")]
    most = max((row["record_count"] for row in rows), default=0) or 1
    chart = render.Column(
        "record_count",
        "All records",
        lambda r: str(r["record_count"]),
        bars=lambda r: [(r["record_count"] / most, str(r["record_count"]))],
        min_width=13,
    )
    columns = [chart if c.key == "record_count" else c for c in COLUMNS["country"]]
    output(out, "country", rows, title="Countries: records that concern each", columns=columns)


def timeline_marker(date: str | None, first: str, last: str, width: int = 20) -> str:
    """A track with a marker where ``date`` falls between the first and last dates."""
    if not date:
        return "·" * width

    def position(value: str) -> float:
        parts = [int(p) for p in value.split("-")] + [1, 1]
        return parts[0] + (parts[1] - 1) / 12 + (parts[2] - 1) / 365

    start, end = position(first), position(last)
    fraction = 0.0 if end == start else (position(date) - start) / (end - start)
    spot = min(width - 1, max(0, round(fraction * (width - 1))))
    return "─" * spot + "●" + "─" * (width - spot - 1)


def list_sectors(kb: KnowledgeBase, out: Out) -> None:
    output(out, "sector", [record_view(kb, r) for r in query.sector_tree(kb)], title="Sectors")


def list_sources(kb: KnowledgeBase, out: Out) -> None:
    output(out, "source", [record_view(kb, r) for r in kb.of_kind("source")], title="Sources")


def search_records(kb: KnowledgeBase, out: Out, text: str, kinds: list[str], limit: int | None) -> None:
    from cca.model import ALL_KINDS

    for kind in kinds:
        if kind not in ALL_KINDS:
            raise QueryError(f"no kind {kind!r}{query.suggest(kind, ALL_KINDS, n=1)}; kinds: {', '.join(ALL_KINDS)}")
    results = query.search(kb, text, kinds)[:limit]
    rows = [{"kind": r.kind, "id": r.id, "name": r.name, "score": points} for r, points in results]
    output(out, "search", rows, title=f"Search: {text}", empty=f"nothing matches {text!r}")


def _lookup(kb: KnowledgeBase, record_id: str) -> Record:
    record = kb.get(record_id) or kb.get(record_id.strip().lower())
    if record is None:
        close = query.closest_ids(kb, record_id.strip().lower())
        hint = f" — did you mean {', '.join(close)}?" if close else " (see: cca search TEXT)"
        raise QueryError(f"no record with id {record_id!r}{hint}")
    return record


def _lines(value: Any, label: str = "") -> list[tuple[str, str]]:
    """Flatten a field into label/value lines for panels."""
    if value is None or value == [] or value == {}:
        return []
    if isinstance(value, list) and all(not isinstance(v, (dict, list)) for v in value):
        return [(label, "; ".join(render.cell_text(v) for v in value))]
    if isinstance(value, list):
        lines: list[tuple[str, str]] = []
        for index, item in enumerate(value, 1):
            lines += _lines(item, f"{label} {index}" if label else str(index))
        return lines
    if isinstance(value, dict):
        if "quote" in value and "source" in value:
            return [(label, f"“{value['quote']}” [{value['source']}]")]
        if "metric" in value and "as_of" in value:
            return [(label, progress_text(value) + (f" [{value.get('source')}]" if value.get("source") else ""))]
        if "value" in value and "as_of" in value:
            sources = ", ".join(e["source"] for e in value.get("evidence") or ())
            return [(label, f"{value['value']} (as of {value['as_of']}) [{sources}]")]
        lines = []
        for key, item in value.items():
            if key == "evidence":
                continue
            lines += _lines(item, f"{label}.{key}" if label else key)
        return lines
    return [(label, render.cell_text(value))]


_SKIP_IN_FIELDS = {
    "id",
    "kind",
    "name",
    "evidence",
    "defined_at",
    "status_history",
    "progress",
    "actions",
    "statements",
}


def record_sections(kb: KnowledgeBase, record: Record, view: dict[str, Any]) -> list[tuple[str, list[tuple[str, str]]]]:
    head = f"{view['name']} ({record.kind} {record.id})"
    fields: list[tuple[str, str]] = []
    for key, value in view.items():
        if key not in _SKIP_IN_FIELDS:
            fields += _lines(value, key)
    if view.get("status"):
        fields.insert(0, ("status", f"{view['status']} (as of {view['status_as_of']}, source {view['status_source']})"))
    fields.append(("defined at", view["defined_at"]))
    sections: list[tuple[str, list[tuple[str, str]]]] = [(head, fields)]
    if view.get("status_history"):
        sections.append(("Status over time", _lines(view["status_history"])))
    if view.get("progress"):
        sections.append(
            (
                "Progress (as of the date shown)",
                [("", progress_text(p) + f" [{p['source']}]") for p in view["progress"]],
            )
        )
    if view.get("actions"):
        sections.append(("Actions", [(str(i), a["text"]) for i, a in enumerate(view["actions"], 1)]))
    if view.get("statements"):
        sections.append(("Said", [(s["form"], s["summary"]) for s in view["statements"]]))
    if record.evidence:
        sections.append(("Evidence", [("", f"“{e.quote}” [{e.source}]") for e in record.evidence]))
    return sections


def _sources_of(kb: KnowledgeBase, view: Any) -> list[Record]:
    ids: dict[str, None] = {}

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if isinstance(value.get("source"), str):
                ids[value["source"]] = None
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(view)
    return [s for s in (kb.get(i) for i in ids) if s is not None]


def show_record(kb: KnowledgeBase, out: Out, record_id: str) -> None:
    record = _lookup(kb, record_id)
    view = record_view(kb, record)
    related = query.related_records(kb, record)
    sources = _sources_of(kb, view)
    fmt = _chosen_format(out)
    if fmt in ("json", "jsonl", "yaml"):
        document = {
            "record": view,
            "related": [{"id": r.id, "kind": r.kind, "name": r.name} for r in related],
            "sources": [record_view(kb, s) for s in sources],
        }
        if fmt == "yaml":
            emit(render.to_yaml(document))
        else:
            emit(
                render.to_json(document, ascii_only=not stdout_is_unicode())
                if fmt == "json"
                else render.to_jsonl([document], ascii_only=not stdout_is_unicode())
            )
        return
    if fmt in ("csv", "tsv"):
        output(out, record.kind, [view])
        return
    sections = record_sections(kb, record, view)
    if related:
        sections.append(("Related", [(r.kind, f"{r.name} ({r.id})") for r in related]))
    if sources:
        sections.append(("Sources", [(s.id, _reference(s)) for s in sources]))
    _emit_sections(fmt, sections)


def _reference(source: Record) -> str:
    parts = [source.get("author"), f"“{source.get('title')}”", source.get("publisher"), source.get("date")]
    if source.get("translator"):
        parts.append(f"translated by {source.get('translator')}")
    return ", ".join(str(p) for p in parts if p)


def _emit_sections(fmt: str, sections: Sequence[tuple[str, Sequence[tuple[str, str]]]]) -> None:
    if fmt == "markdown":
        emit(render.sections_markdown(sections))
    elif fmt == "plain":
        emit(render.sections_plain(sections))
    else:
        emit(render.panels(sections))


def country_profile(kb: KnowledgeBase, out: Out, name: str) -> None:
    found = query.resolve_country(kb, name)
    if isinstance(found, query.WorldCountry):
        note(f"the knowledge has no records for {found.name}")
        fmt = _chosen_format(out)
        if fmt in ("json", "jsonl", "yaml"):
            empty = {"country": {"name": found.name, "iso2": found.alpha2, "iso3": found.alpha3}}
            emit(render.to_json(empty) if fmt != "yaml" else render.to_yaml(empty))
        return
    record = found
    profile: dict[str, Any] = {"country": record_view(kb, record)}
    sections_by_kind = {
        "projects": "project",
        "agreements": "agreement",
        "figures": "figure",
        "events": "event",
        "people": "person",
        "statements": "statement",
        "organisations": "organisation",
        "places": "place",
    }
    for section, kind in sections_by_kind.items():
        records = query.records_for_countries(kb, kind, {record.id})
        if kind == "event":
            records.sort(key=_date_key)
        profile[section] = [record_view(kb, r) for r in records]
    fmt = _chosen_format(out)
    if fmt in ("json", "jsonl", "yaml"):
        if fmt == "yaml":
            emit(render.to_yaml(profile))
        elif fmt == "json":
            emit(render.to_json(profile, ascii_only=not stdout_is_unicode()))
        else:
            emit(render.to_jsonl([profile], ascii_only=not stdout_is_unicode()))
        return
    if fmt in ("csv", "tsv"):
        output(out, "project", profile["projects"])
        return
    if fmt == "markdown":
        emit(country_brief(kb, profile))
        return
    _emit_sections(fmt, _profile_sections(kb, profile))


def country_brief(kb: KnowledgeBase, profile: dict[str, Any]) -> str:
    """A brief a journalist can paste: headline facts, projects, agreements, statements, numbered citations."""
    md = render.md_escape
    citations: dict[tuple[str, str], int] = {}

    def cite(row: dict[str, Any]) -> str:
        numbers = []
        for item in row.get("evidence") or ():
            key = (item["source"], item["quote"])
            numbers.append(citations.setdefault(key, len(citations) + 1))
        return "".join(f"[{n}]" for n in numbers)

    country = profile["country"]
    projects, agreements = profile["projects"], profile["agreements"]
    dates = sorted({str(s.get("date")) for s in kb.of_kind("source") if s.get("date")})
    lines = [f"# {md(country['name'])}: China–ASEAN cooperation", ""]
    lines.append(
        f"*Compiled by cca {__version__} from {len(dates)} source(s) dated {', '.join(dates)}. "
        "Status and progress are as of the dates shown, not today.*"
    )
    lines += ["", "## Headline facts", ""]
    lines.append(
        f"- {len(projects)} project(s), {len(agreements)} agreement(s) or framework(s), "
        f"{len(profile['figures'])} figure(s) and {len(profile['statements'])} statement(s) concern "
        f"{md(country['name'])}."
    )
    for row in projects:
        progress = "; ".join(progress_text(p) for p in row.get("progress") or ())
        status = f"{row['status']} as of {row['status_as_of']}" if row.get("status") else "status unknown"
        lines.append(f"- {md(row['name'])}: {status}" + (f"; {progress}" if progress else "") + f" {cite(row)}")
    lines += [
        "",
        "## Projects",
        "",
        "| Project | Status (as of) | Progress (as of) | Sources |",
        "| --- | --- | --- | --- |",
    ]
    for row in projects:
        status = f"{row['status']} ({row['status_as_of']})" if row.get("status") else ""
        progress = "<br>".join(md(progress_text(p)) for p in row.get("progress") or ())
        lines.append(f"| {md(row['name'])} | {md(status)} | {progress} | {cite(row)} |")
    lines += ["", "## Agreements and frameworks", ""]
    lines += [
        f"- {md(row['name'])}" + (f" ({row['date']})" if row.get("date") else "") + f" {cite(row)}"
        for row in agreements
    ] or ["- none recorded"]
    lines += ["", "## Statements", ""]
    lines += [
        f"- {md(row['summary'])} {cite(row)}"
        if row["summary"].startswith(row["person_name"])
        else f"- **{md(row['person_name'])}**: {md(row['summary'])} {cite(row)}"
        for row in profile["statements"]
    ] or ["- none recorded"]
    lines += ["", "## Figures", ""]
    lines += [
        f"- {md(amount(row['value'], row['unit'], row.get('qualifier')))}: {md(row['subject'])} {cite(row)}"
        for row in profile["figures"]
    ] or ["- none recorded"]
    lines += ["", "## Citations", ""]
    references = {s.id: _reference(s) for s in kb.of_kind("source")}
    for (source, quote), number in citations.items():
        lines.append(f"{number}. “{md(quote)}” — {md(references.get(source, source))}")
    return "\n".join(lines) + "\n"


def _evidence_lines(row: dict[str, Any]) -> list[tuple[str, str]]:
    return [("  ↳", f"“{e['quote']}” [{e['source']}]") for e in row.get("evidence") or ()]


def _profile_sections(kb: KnowledgeBase, profile: dict[str, Any]) -> list[tuple[str, list[tuple[str, str]]]]:
    country = profile["country"]
    head = [
        ("official name", country.get("official_name", "")),
        ("ISO", f"{country['iso2']} / {country['iso3']}"),
        ("ASEAN member", "yes" if country.get("asean_member") else "no"),
    ]
    if country.get("aliases"):
        head.append(("aliases", "; ".join(country["aliases"])))
    sections: list[tuple[str, list[tuple[str, str]]]] = [(country["name"], head)]
    projects: list[tuple[str, str]] = []
    for row in profile["projects"]:
        status = f"{row['status']} (as of {row['status_as_of']})" if row.get("status") else "status unknown"
        projects.append(("", f"{row['name']}: {status} [{row['id']}]"))
        for item in row.get("progress") or ():
            projects.append(
                ("", f"  {render.bar(item['value'] / 100 if item['unit'] == 'percent' else 0)} {progress_text(item)}")
            )
        projects += _evidence_lines(row)
    sections.append((f"Projects ({len(profile['projects'])})", projects or [("", "none")]))
    simple: list[tuple[str, str, Callable[[dict[str, Any]], str]]] = [
        ("Agreements", "agreements", lambda r: f"{r['name']} [{r['id']}]"),
        ("Figures", "figures", lambda r: f"{amount(r['value'], r['unit'], r.get('qualifier'))} — {r['subject']}"),
        ("Events", "events", lambda r: f"{r.get('date') or 'undated'}: {r['name']}"),
        ("People", "people", lambda r: f"{r['name']} [{r['id']}]"),
        ("Statements", "statements", lambda r: f"{r['person_name']}: {r['summary']}"),
    ]
    for title, key, text in simple:
        lines: list[tuple[str, str]] = []
        for row in profile[key]:
            lines.append(("", text(row)))
            lines += _evidence_lines(row)
        sections.append((f"{title} ({len(profile[key])})", lines or [("", "none")]))
    return sections


def overview(kb: KnowledgeBase) -> None:
    """What `cca` alone prints: what the knowledge holds and how to ask it."""
    counts = kb.counts()
    lines = ["cca — China–ASEAN cooperation, from source-cited facts", ""]
    lines.append("Knowledge: " + ", ".join(f"{n} {PLURALS[k]}" for k, n in counts.items() if n))
    for source in kb.of_kind("source"):
        lines.append(f"Source: {source.get('publisher')}, {source.get('date')} — {source.get('title')}")
    lines += [
        "",
        "Try:",
        "  cca projects --country Laos        what is being built in Laos, and how far along",
        "  cca aspects                        the 'four new aspects' and their actions",
        "  cca search railway --json          every record about railways, as JSON",
        "",
        "Commands: cca --help    One command: cca COMMAND --help",
    ]
    emit("\n".join(render.escape_control(line) for line in lines) + "\n")


def print_schema(kind: str) -> None:
    from cca.model import ALL_KINDS
    from cca.schema import knowledge_schema

    if kind == "knowledge":
        document = knowledge_schema()
    elif kind == "show":
        document = show_schema()
    elif kind == "country-profile":
        document = country_schema()
    elif kind in ALL_KINDS or kind == "search":
        document = output_schema(kind)
    else:
        choices = ["knowledge", *ALL_KINDS, "search", "show", "country-profile"]
        raise QueryError(f"no schema {kind!r}{query.suggest(kind, choices, n=1)}; choose from {', '.join(choices)}")
    emit(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
