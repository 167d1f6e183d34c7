"""The built-in kinds of record, declared once (see :mod:`cca.core.registry`)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from cca.core.model import (
    STATUSES,
    Action,
    Agreement,
    Aspect,
    Country,
    Event,
    Figure,
    Organisation,
    Person,
    Place,
    Project,
    Record,
    Sector,
    Source,
    Statement,
    attribution_of,
)
from cca.core.registry import Column, Kind, Ref, Registry, ViewContext

KINDS = Registry()

_STR = {"type": "string"}
_STR_OR_NULL = {"type": ["string", "null"]}
_INT = {"type": "integer"}

# Names, other names, prose and notes are what search looks at, in that order of weight.
_NAMED = {"name": "names", "aliases": "aliases", "notes": "notes"}


def _evidence_items(items: Any) -> list[dict[str, Any]]:
    return [dict(item) for item in items or ()]


def _observation(record: Record, o: dict[str, Any], ctx: ViewContext) -> dict[str, Any]:
    """A status or progress observation as output: as written, with reported filled in."""
    out = {key: value for key, value in o.items() if key != "evidence"}
    out["as_of"] = o.get("as_of")
    out["reported"] = record.reported(o)
    out["evidence"] = _evidence_items(o.get("evidence"))
    return out


def _derive_project(record: Record, ctx: ViewContext, out: dict[str, Any]) -> None:
    assert isinstance(record, Project)
    history = record.status_history
    current = history[-1] if history else None
    out["status"] = current.value if current else None
    out["status_as_of"] = current.as_of if current else None
    out["status_reported"] = current.reported if current else None
    out["status_source"] = current.source if current else None
    out["status_history"] = [
        {
            "value": o.value,
            "as_of": o.as_of,
            "reported": o.reported,
            "evidence": [e.as_dict() for e in o.evidence],
            **({"notes": o.notes} if o.notes else {}),
        }
        for o in history
    ]
    out["progress"] = [
        {
            "metric": p.metric,
            "value": p.value,
            "unit": p.unit,
            "qualifier": p.qualifier,
            "as_of": p.as_of,
            "reported": p.reported,
            "source": p.source,
            "evidence": [e.as_dict() for e in p.evidence],
            **({"notes": p.notes} if p.notes else {}),
        }
        for p in record.progress
    ]
    _derive_money(record, ctx, out)
    from cca.core.sectoring import derived  # not on a listing's path: views are rendered when the store is built

    found = derived(record.data)
    if found:
        out["derived_sectors"] = found


#: Party roles that put money in (a record's funders, as the dataset or the source names them).
FUNDER_ROLES = frozenset({"funder", "lender", "investor"})


_ADJUSTED = ("usd_2021", "usd_nominal")


def _totals(items: Sequence[Mapping[str, Any]], keys: Sequence[str]) -> dict[str, float | int]:
    """The sum of each key over the items that give it a number (a key none gives is left out): exact for one
    item, else fsum. One pass over the items for every key (a record's money is summed five ways)."""
    found: dict[str, list[int | float]] = {}
    for item in items:
        for key in keys:
            value = item.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                found.setdefault(key, []).append(value)
    return {key: values[0] if len(values) == 1 else math.fsum(values) for key, values in found.items()}


def _derive_money(record: Record, ctx: ViewContext, out: dict[str, Any]) -> None:
    """Money as plain fields (what --fields, CSV, stats and the SQLite export's typed columns read)."""
    financing = [f for f in record.get("financing") or () if isinstance(f, dict)]
    sums = _totals(financing, ("usd_2021", "usd_nominal", "usd_2017", "amount"))
    out["usd_2021"] = sums.get("usd_2021")
    out["usd_nominal"] = sums.get("usd_nominal")
    out["usd_2017"] = sums.get("usd_2017")
    currencies = {f.get("currency") for f in financing if f.get("amount") is not None}
    single = len(currencies) == 1 and None not in currencies
    out["amount_original"] = sums.get("amount") if single else None
    out["currency"] = next(iter(currencies)) if single else None
    adjusted = _totals([f["adjusted"] for f in financing if isinstance(f.get("adjusted"), dict)], _ADJUSTED)
    out["adjusted_usd_2021"] = adjusted.get("usd_2021")
    out["adjusted_usd_nominal"] = adjusted.get("usd_nominal")
    committed = (record.get("dates") or {}).get("commitment")
    out["commitment_date"] = committed if isinstance(committed, str) else None
    years = sorted({f["year"] for f in financing if isinstance(f.get("year"), int)})
    out["commitment_year"] = (
        int(committed[:4]) if isinstance(committed, str) and committed[:4].isdigit() else (years[0] if years else None)
    )
    out["flow_class"] = "; ".join(sorted({str(f["flow_class"]) for f in financing if f.get("flow_class")})) or None
    parties = [p for p in record.get("parties") or () if isinstance(p, dict) and isinstance(p.get("name"), str)]
    funders = [p["name"] for p in parties if p.get("role") in FUNDER_ROLES]
    funders += [f["party"] for f in financing if isinstance(f.get("party"), str) and f["party"] not in funders]
    out["funders"] = list(dict.fromkeys(funders))
    out["cofinanciers"] = list(dict.fromkeys(p["name"] for p in parties if p.get("role") == "co-financier"))
    dataset = record.get("dataset")
    aggregate = dataset.get("aggregate") if isinstance(dataset, dict) else None
    out["for_aggregates"] = aggregate if isinstance(aggregate, bool) else None
    out["recipient"] = _recipient(record, ctx, dataset)


def _recipient(record: Record, ctx: ViewContext, dataset: Any) -> str | None:
    """A dataset row's recipient country as cca names it (China, the financier, is not the recipient)."""
    if not isinstance(dataset, dict):
        return None
    for country in record.get("countries") or ():
        name, code = ctx.country_codes(country)
        if code != "CN":
            return name
    recipient = dataset.get("recipient")
    return str(recipient) if recipient else None


def _derive_aspect(record: Record, ctx: ViewContext, out: dict[str, Any]) -> None:
    from cca.core.views import record_view

    out["actions"] = [record_view(action, ctx) for action in ctx.children(record)]


def _derive_action(record: Record, ctx: ViewContext, out: dict[str, Any]) -> None:
    out["aspect"] = record.parent


def _derive_person(record: Record, ctx: ViewContext, out: dict[str, Any]) -> None:
    out["roles"] = [
        {**role, "organisation_name": ctx.name_of(role["organisation"]) if role.get("organisation") else None}
        for role in out.get("roles") or ()
    ]
    out["statements"] = [
        {
            "id": s.id,
            "form": s.get("form"),
            "summary": s.get("summary"),
            "quotes": [e.quote for e in s.evidence if e.quote is not None],
            "attribution": attribution_of(s.evidence),
        }
        for s in ctx.referrers(record.id, "statement", "person")
    ]


def _derive_statement(record: Record, ctx: ViewContext, out: dict[str, Any]) -> None:
    person = record.get("person")
    out["person_name"] = ctx.name_of(person) if person else None
    out["quotes"] = [e.quote for e in record.evidence if e.quote is not None]
    out["attribution"] = attribution_of(record.evidence)
    if person:
        out["speaker"] = out["person_name"]
    else:  # narration: the source's own voice, named by its publisher
        sources = [ctx.get(e.source) for e in record.evidence[:1]]
        source = sources[0] if sources else None
        publisher = source.get("publisher") or source.name if source is not None else None
        out["speaker"] = f"{publisher} (narration)" if publisher else "the source (narration)"


def _derive_figure(record: Record, ctx: ViewContext, out: dict[str, Any]) -> None:
    out["as_of"] = record.get("as_of")
    out["reported"] = record.reported(record.data)


def _derive_country(record: Record, ctx: ViewContext, out: dict[str, Any]) -> None:
    counts = ctx.country_counts(record.id)
    for kind in ("project", "agreement", "figure"):
        out[f"{kind}_count"] = counts.get(kind, 0)
    out["record_count"] = sum(counts.values())


def _derive_sector(record: Record, ctx: ViewContext, out: dict[str, Any]) -> None:
    depth = ctx.sector_depth(record.id)
    out["depth"] = depth
    out["tree"] = "  " * depth + record.name
    out["record_count"] = ctx.sector_count(record.id)


def _derive_source(record: Record, ctx: ViewContext, out: dict[str, Any]) -> None:
    out["fact_count"] = ctx.citations(record.id)
    if isinstance(record.get("dataset"), dict):
        out["imports"] = ctx.imports(record.id)


_NUMBER_OR_NULL: dict[str, Any] = {"type": ["number", "null"]}
_STRINGS: dict[str, Any] = {"type": "array", "items": _STR}
#: A project's money as plain fields: each a sum over its financing (null: none given).
_MONEY_OUT: dict[str, Mapping[str, Any]] = {
    "usd_2021": {**_NUMBER_OR_NULL, "description": "Amount in constant 2021 US dollars (the dataset's; null: none)."},
    "usd_nominal": {**_NUMBER_OR_NULL, "description": "Amount in nominal US dollars (current at commitment)."},
    "usd_2017": {
        **_NUMBER_OR_NULL,
        "description": "Amount in constant 2017 US dollars (AidData's GCDF 2.0; never summed with usd_2021).",
    },
    "amount_original": {**_NUMBER_OR_NULL, "description": "Amount in the original currency (see currency)."},
    "currency": {**_STR_OR_NULL, "description": "ISO 4217 code of amount_original."},
    "adjusted_usd_2021": {
        **_NUMBER_OR_NULL,
        "description": "The dataset's adjusted amount (overlaps with other records removed), constant 2021 USD.",
    },
    "adjusted_usd_nominal": {**_NUMBER_OR_NULL, "description": "The adjusted amount in nominal US dollars."},
    "commitment_year": {"type": ["integer", "null"], "description": "Year the financing was committed."},
    "commitment_date": {**_STR_OR_NULL, "description": "Date the financing was committed, as precise as known."},
    "flow_class": {**_STR_OR_NULL, "description": "The dataset's flow class (ODA-like, OOF-like, ...)."},
    "funders": {**_STRINGS, "description": "Funding agencies (lenders, investors), as the source writes them."},
    "cofinanciers": {**_STRINGS, "description": "Co-financing agencies, as the source writes them."},
    "for_aggregates": {
        "type": ["boolean", "null"],
        "description": "Whether the dataset recommends the record for sums (null: not a dataset row).",
    },
    "recipient": {**_STR_OR_NULL, "description": "A dataset row's recipient country (null: not a dataset row)."},
}

_ATTRIBUTION = {
    **_STR_OR_NULL,
    "description": "How the source attributes the words to the speaker, verbatim ('said Qin Rupei', 'According to "
    "Ning Jizhe'); several are joined by '; '; null when the words carry none. Each quote's own is its "
    "evidence item's attribution.",
}

_OBSERVATION_OUT = {
    "as_of": {**_STR_OR_NULL, "description": "When it held, as precisely as the source says (null: not said)."},
    "reported": {**_STR_OR_NULL, "description": "When the source reported it (its publication date unless given)."},
}

KINDS.register(
    Kind(
        name="project",
        plural="projects",
        title="Projects",
        help="List projects, with status and progress and the dates they were reported.",
        example="cca projects --country Laos",
        refs=(
            Ref("countries[]", "country"),
            Ref("sectors[]", "sector"),
            Ref("parties[].organisation", "organisation"),
            Ref("parties[].country", "country"),
            Ref("location.place_ids[]", "place"),
            Ref("related[].project", "project"),
            Ref("organisations[]", "organisation"),
            Ref("same_as[]", "project"),
            Ref("dataset.source", "source"),
        ),
        countries=("countries[]",),
        sectors=("sectors[]",),
        search={
            **_NAMED,
            "summary": "body",
            "type": "body",
            # where a dataset names a project in other words and scripts (Chinese titles of its sources)
            "dataset.fields.Staff Comments": "body",
            "dataset.fields.Source Titles": "body",
            "location.narrative": "body",
        },
        columns=(
            Column("name", "Project", "name"),
            Column("countries", "Countries", "list", priority=2),
            Column("status", "Status", "status"),
            Column("progress", "Progress", "progress", optional=True, answer=True),
            Column(
                "financing",
                "Financing",
                "usd",
                priority=2,
                optional=True,
                answer_when=("min_usd", "max_usd", "financier", "cofinancier", "since", "until"),
            ),
            Column("id", "ID", "id", priority=3),
        ),
        derived={
            "status": {
                "type": ["string", "null"],
                "enum": [*STATUSES, None],
                "description": "The latest status (see status_as_of and status_reported: a status is only as "
                "recent as its source).",
            },
            "status_as_of": {
                **_STR_OR_NULL,
                "description": "When the latest status held (null: the source does not say).",
            },
            "status_reported": {**_STR_OR_NULL, "description": "When the latest status was reported."},
            "status_source": {**_STR_OR_NULL, "description": "Source id of the latest status observation."},
            "status_history": {"$observation": "status", "description": "Every status observation, oldest first."},
            "progress": {
                "$observation": "progress",
                "description": "Progress figures, oldest first, each with its dates and source.",
            },
            **_MONEY_OUT,
            "derived_sectors": {
                "type": "array",
                "description": "Finer sectors cca's rules (data/sector-rules.tsv) read from a dataset row's title or "
                "description: cca's reading, not the dataset's coding (--sector-source dataset leaves them out).",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["sector", "sector_source", "words"],
                    "properties": {
                        "sector": {**_STR, "description": "Id of the sector."},
                        "sector_source": {
                            "enum": ["derived-from-title", "derived-from-description"],
                            "description": "Where the words are: the row's title or its description.",
                        },
                        "words": {**_STR, "description": "The words that placed the row there, folded."},
                    },
                },
            },
        },
        derived_required=("countries", "country_codes", "sectors", "status", "status_as_of", "progress"),
        derive=_derive_project,
        facts={
            "status": "string",
            "status_as_of": "string",
            "commitment_year": "integer",
            "commitment_date": "string",
            "usd_2021": "number",
            "usd_nominal": "number",
            "usd_2017": "number",
            "amount_original": "number",
            "currency": "string",
            "adjusted_usd_2021": "number",
            "adjusted_usd_nominal": "number",
            "flow_class": "string",
            "for_aggregates": "boolean",
            "recipient": "string",
        },
        in_profile=True,
        profile=("name", "status"),
        record_class=Project,
    )
)

KINDS.register(
    Kind(
        name="agreement",
        record_class=Agreement,
        plural="agreements",
        title="Agreements",
        help="List agreements, declarations, free trade areas and mechanisms.",
        example="cca agreements --country Malaysia",
        refs=(Ref("countries[]", "country"), Ref("sectors[]", "sector"), Ref("regions[]", "region")),
        countries=("countries[]",),
        sectors=("sectors[]",),
        search={**_NAMED, "summary": "body", "topics": "body", "type": "body"},
        profile=("name", "regions"),
        columns=(
            Column("name", "Agreement", "name"),
            Column("type", "Type", "enum", priority=3),
            Column("countries", "Countries", "list", priority=2),
            Column("regions", "Region-wide", "regions", priority=2, optional=True),
            Column("date", "Date", "date", priority=2),
            Column("id", "ID", "id", priority=3),
        ),
        in_profile=True,
    )
)

KINDS.register(
    Kind(
        name="aspect",
        record_class=Aspect,
        plural="aspects",
        title="The four new aspects",
        help="List the 'four new aspects' in order, each with its concrete actions.",
        example="cca aspects 2",
        display=("title",),
        search={"title": "names", "aliases": "aliases", "summary": "body", "notes": "notes"},
        columns=(
            Column("number", "#", "count"),
            Column("title", "Aspect", "prose"),
            Column("actions", "Actions", "actions"),
        ),
        derived={
            "actions": {"$items_of": "action", "description": "The aspect's concrete actions, in order."},
        },
        derive=_derive_aspect,
        order="number",
        by_country=False,
    )
)

KINDS.register(
    Kind(
        name="person",
        record_class=Person,
        plural="people",
        title="People",
        help="List people, with their roles and what each said.",
        example="cca people --search Ning",
        refs=(Ref("country", "country"), Ref("roles[].organisation", "organisation")),
        countries=("country",),
        search=_NAMED,
        columns=(
            Column("name", "Person", "name"),
            Column("roles", "Roles", "roles", priority=2),
            Column("statements", "Said", "said", priority=3),
            Column("id", "ID", "id", priority=3),
        ),
        derived={
            "roles": {
                "type": "array",
                "description": "The person's titles, each with its organisation's id and name.",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["title", "organisation_name"],
                    "properties": {
                        "title": {**_STR, "description": "Title or position."},
                        "organisation": {**_STR, "description": "Id of the organisation."},
                        "organisation_name": {**_STR_OR_NULL, "description": "Name of the organisation."},
                        "as_of": {**_STR, "description": "When the person held it, per the source."},
                    },
                },
            },
            "statements": {
                "type": "array",
                "description": "What the person said: each statement's summary, its quoted words and how the "
                "source attributes them.",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["id", "form", "summary", "quotes", "attribution"],
                    "properties": {
                        "id": _STR,
                        "form": _STR,
                        "summary": _STR,
                        "quotes": {"type": "array", "items": _STR},
                        "attribution": _ATTRIBUTION,
                    },
                },
            },
        },
        derive=_derive_person,
        in_profile=True,
    )
)

KINDS.register(
    Kind(
        name="statement",
        record_class=Statement,
        plural="statements",
        title="Statements",
        help="List statements: who said what, in their quoted words.",
        example="cca statements --search cooperation",
        display=("summary",),
        refs=(Ref("person", "person"), Ref("event", "event"), Ref("about[]", None)),
        via=("person", "event", "about[]"),
        search={"summary": "body", "aliases": "aliases", "notes": "notes"},
        columns=(
            Column("speaker", "Who", "speaker"),
            Column("form", "Form", "enum", priority=3),
            Column("quotes", "Quote", "quotes"),
            Column("summary", "Summary", "prose", priority=2),
            Column("id", "ID", "id", priority=3),
        ),
        derived={
            "person_name": {**_STR_OR_NULL, "description": "Name of the person who said it (null for narration)."},
            "quotes": {
                "type": "array",
                "items": _STR,
                "description": "The quoted words, verbatim: the words alone, without the source's attribution.",
            },
            "attribution": _ATTRIBUTION,
            "speaker": {
                **_STR,
                "description": "Who speaks: the person, or for narration the source itself ('… (narration)').",
            },
        },
        derive=_derive_statement,
        in_profile=True,
        profile=("speaker", "summary"),
    )
)

KINDS.register(
    Kind(
        name="organisation",
        record_class=Organisation,
        plural="organisations",
        title="Organisations",
        help="List organisations named in the sources.",
        example="cca organisations --country China",
        refs=(
            Ref("country", "country"),
            Ref("parent", "organisation"),
            Ref("place", "place"),
            Ref("regions[]", "region"),
        ),
        countries=("country",),
        via=("place",),
        search={**_NAMED, "type": "body"},
        columns=(
            Column("name", "Organisation", "name"),
            Column("type", "Type", "enum", priority=3),
            Column("country", "Country", "text", priority=2),
            Column("id", "ID", "id", priority=3),
        ),
        in_profile=True,
        profile=("name", "country"),
    )
)

KINDS.register(
    Kind(
        name="place",
        record_class=Place,
        plural="places",
        title="Places",
        help="List places named in the sources.",
        example="cca places --country Malaysia",
        refs=(Ref("country", "country"),),
        countries=("country",),
        search={**_NAMED, "type": "body"},
        columns=(
            Column("name", "Place", "name"),
            Column("type", "Type", "enum", priority=3),
            Column("country", "Country", "text", priority=2),
            Column("id", "ID", "id", priority=3),
        ),
        in_profile=True,
        profile=("name", "country"),
    )
)

KINDS.register(
    Kind(
        name="event",
        record_class=Event,
        plural="events",
        title="Events",
        help="List events in chronological order (undated ones last).",
        example="cca events",
        refs=(Ref("part_of", "event"), Ref("place", "place"), Ref("related[]", None), Ref("regions[]", "region")),
        via=("part_of", "place", "related[]"),
        search={**_NAMED, "summary": "body", "theme": "body", "type": "body"},
        columns=(
            Column("date", "Date", "date"),
            Column("timeline", "Timeline", "timeline", priority=2),
            Column("name", "Event", "name"),
            Column("type", "Type", "enum", priority=3),
            Column("id", "ID", "id", priority=3),
        ),
        order="date",
        in_profile=True,
        profile=("date", "name"),
    )
)

KINDS.register(
    Kind(
        name="figure",
        record_class=Figure,
        plural="figures",
        title="Figures",
        help="List every number in the sources, with subject, unit, period and dates.",
        example="cca figures --country Laos",
        display=("subject",),
        refs=(Ref("about[]", None), Ref("countries[]", "country")),
        countries=("countries[]",),
        via=("about[]",),
        search={"subject": "names", "aliases": "aliases", "notes": "notes", "period": "body"},
        columns=(
            Column("subject", "Subject", "name"),
            Column("value", "Value", "figure"),
            Column("period", "Period", "period", priority=2),
            Column("id", "ID", "id", priority=3),
        ),
        derived=_OBSERVATION_OUT,
        derive=_derive_figure,
        in_profile=True,
        profile=("value", "subject", "period"),
    )
)

KINDS.register(
    Kind(
        name="country",
        record_class=Country,
        plural="countries",
        title="Countries",
        help="List countries, one row each, with how many projects, agreements and figures concern them.",
        example="cca countries",
        search={**_NAMED, "official_name": "names", "iso2": "aliases", "iso3": "aliases"},
        columns=(
            Column("name", "Country", "name"),
            Column("iso2", "ISO", "iso"),
            Column("asean_member", "ASEAN", "yesno", priority=2),
            Column("project_count", "Projects", "count", priority=2),
            Column("agreement_count", "Agreements", "count", priority=3),
            Column("figure_count", "Figures", "count", priority=3),
            Column("record_count", "All records", "bars"),
            Column("id", "ID", "id", priority=3),
        ),
        derived={
            "project_count": {**_INT, "description": "How many projects concern the country."},
            "agreement_count": {**_INT, "description": "How many agreements concern the country."},
            "figure_count": {**_INT, "description": "How many figures concern the country."},
            "record_count": {**_INT, "description": "How many records of any kind concern the country."},
        },
        derive=_derive_country,
        reference_data=True,
        by_country=False,
    )
)

KINDS.register(
    Kind(
        name="sector",
        record_class=Sector,
        plural="sectors",
        title="Sectors",
        help="Show the sector taxonomy as a tree, with how many records each sector (and below) has.",
        example="cca sectors",
        display=("label",),
        refs=(Ref("parent", "sector"),),
        search={"label": "names", "aliases": "aliases", "description": "body", "notes": "notes"},
        columns=(
            Column("tree", "Sector", "tree"),
            Column("record_count", "Records", "count"),
            Column("id", "ID", "id", priority=3),
        ),
        derived={
            "record_count": {**_INT, "description": "Records in this sector or below it."},
            "tree": {**_STR, "description": "The label indented by depth (for tree display)."},
            "depth": {**_INT, "description": "0 for a top-level sector."},
        },
        derive=_derive_sector,
        reference_data=True,
        order="tree",
        by_country=False,
    )
)

KINDS.register(
    Kind(
        name="source",
        record_class=Source,
        plural="sources",
        title="Sources",
        help="List the sources behind the knowledge, with how many facts each supports.",
        example="cca sources",
        display=("title",),
        search={"title": "names", "aliases": "aliases", "publisher": "body", "author": "body", "notes": "notes"},
        columns=(
            Column("title", "Title", "name"),
            Column("publisher", "Publisher", "text", priority=2),
            Column("date", "Date", "date"),
            Column("fact_count", "Facts", "count", priority=2),
            Column("dataset", "Dataset", "provenance", priority=2, optional=True),
            Column("id", "ID", "id", priority=3),
        ),
        derived={
            "fact_count": {**_INT, "description": "Evidence entries citing this source."},
            "imports": {
                "type": "array",
                "description": "For a dataset: each import of it (cca import), with the file it read, its SHA-256, "
                "its rows and when it was imported.",
                "items": {"type": "object"},
            },
        },
        derive=_derive_source,
        reference_data=True,
        by_country=False,
    )
)

KINDS.register(
    Kind(
        name="action",
        record_class=Action,
        plural="actions",
        title="Actions",
        help="List the concrete actions of the four new aspects, one per line.",
        example="cca actions --sector finance",
        display=("text",),
        refs=(Ref("sectors[]", "sector"),),
        sectors=("sectors[]",),
        search={"text": "names", "aliases": "aliases", "notes": "notes"},
        columns=(
            Column("aspect", "Aspect", "enum", priority=4),
            Column("text", "Action", "prose"),
            Column("sectors", "Sectors", "list", priority=2),
            Column("id", "ID", "id", priority=3),
        ),
        derived={"aspect": {**_STR, "description": "Id of the aspect the action belongs to."}},
        derive=_derive_action,
        nested_in=("aspect", "actions"),
        by_country=False,
    )
)


def profile_sections() -> list[Kind]:
    """The kinds `cca country` shows a section of (declared with in_profile), in registry order."""
    return [kind for kind in KINDS if kind.in_profile]
