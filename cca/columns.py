"""Which columns a person sees for each kind of record (tables, plain lines, markdown)."""

from __future__ import annotations

from typing import Any

from cca.render import Column, cell_text

_QUALIFIER = {"about": "~", "more-than": ">", "less-than": "<", "at-least": "≥", "exact": ""}


def number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, int) and abs(value) >= 10000 else str(value)


def amount(value: Any, unit: str, qualifier: str | None = None) -> str:
    """'54 %', '~70 %', '3.5 million-tonnes-per-year'."""
    sign = _QUALIFIER.get(qualifier or "exact", "")
    suffix = " %" if unit == "percent" else f" {unit}"
    return f"{sign}{number(value)}{suffix}"


def progress_text(item: dict[str, Any]) -> str:
    """'54 % overall (2021-03-04)': a figure always carries its date."""
    return f"{amount(item['value'], item['unit'], item.get('qualifier'))} {item['metric']} ({item['as_of']})"


def progress_bars(row: dict[str, Any]) -> list[tuple[float, str]]:
    out = []
    for item in row.get("progress") or ():
        fraction = item["value"] / 100 if item["unit"] == "percent" else 0.0
        out.append((fraction, progress_text(item)))
    return out


def status_text(row: dict[str, Any]) -> str:
    if not row.get("status"):
        return ""
    return f"{row['status']}\n({row['status_as_of']})"


def _join(key: str) -> Any:
    return lambda row: cell_text(row.get(key))


def _id() -> Column:
    return Column("id", "ID", _join("id"), no_wrap=True, plain_only=True)


def _named(key: str, header: str, ratio: int = 3) -> Column:
    """The record's name, with its id (what `cca show` takes) dimmed beneath it in tables."""
    return Column(key, header, _join(key), ratio=ratio, sub=_join("id"))


PROJECT = [
    _id(),
    _named("name", "Project", 2),
    Column("countries", "Countries", _join("countries")),
    Column("status", "Status (as of)", status_text),
    Column(
        "progress",
        "Progress (as of)",
        lambda r: "; ".join(progress_text(p) for p in r.get("progress") or ()),
        bars=progress_bars,
        ratio=3,
    ),
]


def _roles(row: dict[str, Any]) -> str:
    return "; ".join(
        role["title"] + (f", {role['organisation']}" if role.get("organisation") else "")
        for role in row.get("roles") or ()
    )


def _figure_value(row: dict[str, Any]) -> str:
    return amount(row["value"], row["unit"], row.get("qualifier"))


def _actions(row: dict[str, Any]) -> str:
    return "\n".join(f"{i}. {a['text']}" for i, a in enumerate(row.get("actions") or (), 1))


COLUMNS: dict[str, list[Column]] = {
    "project": PROJECT,
    "agreement": [
        _id(),
        _named("name", "Agreement", 3),
        Column("type", "Type", _join("type"), ratio=1),
        Column("countries", "Countries", _join("countries")),
        Column("date", "Date", _join("date"), no_wrap=True),
    ],
    "aspect": [
        Column("number", "#", _join("number"), no_wrap=True),
        Column("title", "Aspect", _join("title"), ratio=2),
        Column("actions", "Actions", _actions, ratio=5),
    ],
    "action": [
        _id(),
        Column("aspect", "Aspect", _join("aspect")),
        Column("text", "Action", _join("text"), ratio=4),
        Column("sectors", "Sectors", _join("sectors"), ratio=1),
    ],
    "person": [
        _id(),
        _named("name", "Person", 1),
        Column("roles", "Roles", _roles, ratio=2),
        Column(
            "statements",
            "Said",
            lambda r: "\n".join("“" + s["summary"] + "”" for s in r.get("statements") or ()),
            ratio=4,
        ),
    ],
    "statement": [
        _id(),
        Column("person_name", "Who", _join("person_name"), ratio=1),
        Column("form", "Form", _join("form"), no_wrap=True),
        Column("summary", "What", _join("summary"), ratio=4),
    ],
    "organisation": [
        _id(),
        _named("name", "Organisation", 3),
        Column("type", "Type", _join("type"), ratio=1),
        Column("country", "Country", _join("country"), ratio=1),
    ],
    "place": [
        _id(),
        _named("name", "Place", 2),
        Column("type", "Type", _join("type"), ratio=1),
        Column("country", "Country", _join("country"), ratio=1),
    ],
    "event": [
        Column("date", "Date", lambda r: r.get("date") or "(undated)", no_wrap=True),
        Column("timeline", "Timeline", lambda r: r.get("timeline", ""), no_wrap=True),
        _id(),
        _named("name", "Event", 3),
        Column("type", "Type", _join("type"), no_wrap=True),
    ],
    "figure": [
        _id(),
        _named("subject", "Subject", 3),
        Column("value", "Value", _figure_value, ratio=1),
        Column("period", "Period", lambda r: r.get("period") or r.get("as_of") or "", ratio=1),
    ],
    "country": [
        _id(),
        Column("name", "Country", _join("name"), no_wrap=True, sub=_join("id")),
        Column("iso2", "ISO", lambda r: f"{r.get('iso2', '')}/{r.get('iso3', '')}", no_wrap=True),
        Column("asean_member", "ASEAN", lambda r: "yes" if r.get("asean_member") else "no", no_wrap=True),
        Column("project_count", "Projects", _join("project_count"), no_wrap=True),
        Column("agreement_count", "Agreements", _join("agreement_count"), no_wrap=True),
        Column("figure_count", "Figures", _join("figure_count"), no_wrap=True),
        Column("record_count", "All records", lambda r: str(r.get("record_count", "")), bars=lambda r: r["bars"]),
    ],
    "sector": [
        Column("tree", "Sector", _join("tree"), ratio=2),
        _id(),
        Column("record_count", "Records", _join("record_count"), no_wrap=True),
    ],
    "source": [
        _id(),
        _named("title", "Title", 3),
        Column("publisher", "Publisher", _join("publisher"), ratio=1),
        Column("date", "Date", _join("date"), no_wrap=True),
        Column("fact_count", "Facts", _join("fact_count"), no_wrap=True),
    ],
    "search": [
        Column("kind", "Kind", _join("kind"), no_wrap=True),
        _id(),
        _named("name", "Name", 3),
        Column("score", "Score", _join("score"), no_wrap=True),
    ],
}
