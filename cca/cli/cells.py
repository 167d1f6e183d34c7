"""What a person reads in a cell: each column style of the registry turned into text.

A row here is a record's JSON object (:mod:`cca.core.views`); dates always travel with
the values they date ("54 % overall, reported 2021-03-04"), so a figure from 2021 is
never read as today's.
"""

import re
from collections.abc import Callable
from typing import Any, NamedTuple

from cca.core import dates
from cca.io.formats import text_of

_QUALIFIER = {"about": "~", "more-than": ">", "less-than": "<", "at-least": "≥", "exact": ""}


def number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    return f"{value:,}" if isinstance(value, int) and abs(value) >= 10000 else str(value)


def amount(value: Any, unit: str, qualifier: str | None = None) -> str:
    """'54 %', '~70 %', '3.5 million-tonnes-per-year'."""
    sign = _QUALIFIER.get(qualifier or "exact", "")
    suffix = " %" if unit == "percent" else f" {unit}"
    return f"{sign}{number(value)}{suffix}"


def when(as_of: Any, reported: Any) -> str:
    """'as of 2020 (reported 2021-03-04)', 'reported 2021-03-04' or 'as of 2021-03-04'."""
    if as_of and reported and as_of != reported:
        return f"as of {as_of} (reported {reported})"
    if as_of:
        return f"as of {as_of}"
    if reported:
        return f"reported {reported}"
    return "undated"


def progress_text(item: dict[str, Any], *, dated: bool = True) -> str:
    """'54 % overall, reported 2021-03-04': a figure always carries its date."""
    text = f"{amount(item['value'], item['unit'], item.get('qualifier'))} {item['metric']}"
    return f"{text}, {when(item.get('as_of'), item.get('reported'))}" if dated else text


def status_lines(row: dict[str, Any]) -> list[str]:
    if not row.get("status"):
        return []
    return [str(row["status"]), when(row.get("status_as_of"), row.get("status_reported"))]


def quoted(words: str) -> str:
    return f"“{words}”"


def attributed(words: str, attribution: str | None = None) -> str:
    """“words” — said Qin Rupei: a person's words in quotation marks, the source's attribution beside them."""
    return quoted(words) + (f" — {attribution}" if attribution else "")


def said(row: dict[str, Any]) -> list[str]:
    """A statement's quoted words, each with its attribution where the source gives one.

    Read from the evidence when the row has it (each quote beside its own attribution), else
    from ``quotes``, the attribution after the last of them.
    """
    evidence = [e for e in row.get("evidence") or () if isinstance(e, dict) and e.get("quote")]
    if evidence:
        return [attributed(e["quote"], e.get("attribution")) for e in evidence]
    quotes = [q for q in row.get("quotes") or () if q]
    if not quotes:
        return []
    return [quoted(q) for q in quotes[:-1]] + [attributed(quotes[-1], row.get("attribution"))]


def speaker(row: dict[str, Any]) -> str:
    """Who said it: the person, or the source itself for narration."""
    if row.get("speaker"):
        return str(row["speaker"])
    return str(row.get("person_name") or "the source (narration)")


def statement_text(statement: dict[str, Any]) -> str:
    """A statement as its evidence reads: the source's own words, marked when they report rather than quote.

    A direct quote is the speaker's words; a reported statement shows the source's words that report
    it, after "reported:". Either way the source's attribution ("said …") stands beside the words,
    never inside the quotation marks. The paraphrase (the summary) is never put in quotation marks.
    """
    words = " … ".join(said(statement))
    if not words:
        return str(statement.get("summary") or "")
    return words if statement.get("form") == "direct-quote" else f"{statement.get('form') or 'reported'}: {words}"


def money(value: Any, currency: str = "USD", basis: str | None = None) -> str:
    """'US$ 1.02 bn (2021 USD)': an amount always with its currency, and for dollars their year.

    Amounts of any size read as numbers (exact sums are decimals; a row may hold 1e308): from a
    million trillion on, 'US$ 3.4e+296 tn', never 'inf' and never three hundred digits.
    """
    from decimal import Decimal

    sign = "-" if value < 0 else ""
    size: Any = abs(value)
    if size >= 10**18:
        text = f"{(Decimal(str(size)) / Decimal(10**12)).normalize():.3g} tn"
        symbol = "US$" if currency == "USD" else currency
        return f"{sign}{symbol} {text}" + (f" ({basis})" if basis else "")
    size = float(size)
    for limit, suffix in ((1e12, "tn"), (1e9, "bn"), (1e6, "m")):
        if size >= limit:
            number = size / limit
            text = f"{number:.3g}" if number < 100 else f"{number:,.0f}"
            text = f"{text} {suffix}"
            break
    else:
        text = f"{size:,.0f}"
    symbol = "US$" if currency == "USD" else currency
    return f"{sign}{symbol} {text}" + (f" ({basis})" if basis else "")


def financing_text(item: dict[str, Any]) -> str:
    """One financing item: constant-2021 dollars first, then the original currency, kind, year, funder."""
    parts = []
    if isinstance(item.get("usd_2021"), (int, float)):
        parts.append(money(item["usd_2021"], "USD", "2021 USD"))
    elif isinstance(item.get("usd_2017"), (int, float)):
        parts.append(money(item["usd_2017"], "USD", "2017 USD"))
    elif isinstance(item.get("usd_nominal"), (int, float)):
        parts.append(money(item["usd_nominal"], "USD", "nominal USD"))
    if isinstance(item.get("amount"), (int, float)) and item.get("currency"):
        if not (item["currency"] == "USD" and parts):
            parts.append(money(item["amount"], item["currency"]))
    if item.get("estimated"):
        parts.append("estimated")
    described = [str(item[k]) for k in ("flow_type", "flow_class") if item.get(k)] or (
        [str(item["kind"])] if item.get("kind") else []
    )
    parts += described
    if item.get("year"):
        parts.append(str(item["year"]))
    if item.get("party"):
        parts.append(str(item["party"]))
    return "; ".join(parts) or "no amount given"


def usd_total(row: dict[str, Any]) -> str:
    """A project's amount in constant 2021 dollars (its usd_2021 field, the one --min-usd and stats read); for
    a record without one, its amount in its own dataset's base (GCDF 2.0's 2017 dollars, CGIT's nominal)."""
    for key, basis in (("usd_2021", "2021 USD"), ("usd_2017", "2017 USD"), ("usd_nominal", "nominal USD")):
        total = row.get(key)
        if isinstance(total, (int, float)):
            return money(total, "USD", basis)
    return ""


def region_names(ids: Any) -> str:
    """'ASEAN (region-wide)' for a record made with a region as a whole; '' for any other."""
    if not isinstance(ids, list) or not ids:
        return ""
    from cca.core.regions import regions

    names = {region.id: region.name for region in regions()}
    return "; ".join(names.get(str(i), str(i)) for i in ids) + " (region-wide)"


def provenance(row: dict[str, Any]) -> str:
    """A dataset's imports, one line each: which file (and its digest), how many rows, when; then its licence."""
    dataset = row.get("dataset")
    if not isinstance(dataset, dict):
        return ""
    lines = []
    for item in row.get("imports") or ():
        rows = f"{item.get('imported_rows', 0):,} of {item.get('rows', 0):,} rows"
        if item.get("skipped_rows"):
            rows += f" ({item['skipped_rows']:,} bad rows skipped)"
        lines.append(
            f"{item.get('import')}: {item.get('file')} (sha256 {str(item.get('sha256', ''))[:12]}…), {rows}, "
            f"imported {item.get('imported')}"
        )
    licence = str(dataset.get("licence") or "")
    short = re.search(r"\(([^)]+)\)", licence)
    lines.append(f"licence: {short.group(1) if short else licence}")
    return "\n".join(lines if row.get("imports") else ["not imported", *lines])


def roles(row: dict[str, Any]) -> str:
    """'Title, Organisation' per role; the organisation only when the title does not already name it."""
    parts = []
    for role in row.get("roles") or ():
        organisation = role.get("organisation_name") or role.get("organisation")
        named = not organisation or organisation.lower().removeprefix("the ") in role["title"].lower()
        parts.append(role["title"] if named else f"{role['title']}, {organisation}")
    return "; ".join(parts)


def figure_value(row: dict[str, Any]) -> str:
    return amount(row["value"], row["unit"], row.get("qualifier"))


def period(row: dict[str, Any]) -> str:
    if row.get("period"):
        return str(row["period"])
    return when(row.get("as_of"), row.get("reported"))


def actions(row: dict[str, Any]) -> str:
    return "\n".join(f"{i}. {a['text']}" for i, a in enumerate(row.get("actions") or (), 1))


def timeline_marker(date: str | None, first: str, last: str, width: int = 20) -> str:
    """A track with a marker where ``date`` falls between the first and last dates."""
    parsed = dates.parse(date) if date else None
    start, end = dates.parse(first), dates.parse(last)
    if parsed is None or start is None or end is None:
        return "·" * width
    low, high = start.fraction(), end.fraction()
    fraction = 0.0 if high == low else (parsed.fraction() - low) / (high - low)
    spot = min(width - 1, max(0, round(fraction * (width - 1))))
    return "─" * spot + "●" + "─" * (width - spot - 1)


class Style(NamedTuple):
    """How a column style reads: its text, and how a table may lay it out.

    ``wrap``: "never" (ids, dates, numbers, enum values: never broken), "units" (lines
    of such values, broken only between them: a status and its date), "words" (short
    text, broken only between words) or "prose" (long text, wrapped to the space left).
    """

    text: Callable[[dict[str, Any], str], str]
    wrap: str = "words"
    bars: bool = False
    #: On one line (plain output), where joining the lines with '; ' would read wrongly.
    line: Callable[[dict[str, Any], str], str] | None = None


def _field(row: dict[str, Any], key: str) -> str:
    return text_of(row.get(key))


def _list(row: dict[str, Any], key: str) -> str:
    value = row.get(key)
    return "; ".join(text_of(v) for v in value) if isinstance(value, list) else text_of(value)


STYLES: dict[str, Style] = {
    "id": Style(_field, "never"),
    "name": Style(_field, "prose"),
    "text": Style(_field, "words"),
    "prose": Style(_field, "prose"),
    "enum": Style(_field, "never"),
    "date": Style(lambda r, k: text_of(r.get(k)) or "undated", "never"),
    "count": Style(_field, "never"),
    "list": Style(_list, "words"),
    "status": Style(
        lambda r, k: "\n".join(status_lines(r)),
        "units",
        line=lambda r, k: ", ".join(status_lines(r)),
    ),
    "progress": Style(lambda r, k: "\n".join(progress_text(p) for p in r.get("progress") or ()), "words", bars=True),
    "figure": Style(lambda r, k: figure_value(r), "never"),
    "period": Style(lambda r, k: period(r), "words"),
    "roles": Style(lambda r, k: roles(r), "prose"),
    "said": Style(lambda r, k: "\n".join(statement_text(s) for s in r.get("statements") or ()), "prose"),
    # the table says how the words are given ("reported") under who gave them; plain keeps fields apart
    "speaker": Style(
        lambda r, k: speaker(r) + (f"\n({r['form']})" if r.get("form") not in (None, "direct-quote") else ""),
        "words",
        line=lambda r, k: speaker(r),
    ),
    "quotes": Style(lambda r, k: "\n".join(said(r)), "prose"),
    "actions": Style(lambda r, k: actions(r), "prose"),
    "tree": Style(_field, "never"),
    "iso": Style(lambda r, k: f"{r.get('iso2', '')}/{r.get('iso3', '')}", "never"),
    "yesno": Style(lambda r, k: "yes" if r.get(k) else "no", "never"),
    "bars": Style(_field, "never", bars=True),
    "timeline": Style(lambda r, k: str(r.get(k, "")), "never"),
    # the amount over its basis: as tall as the status beside it, and half as wide as on one line
    "usd": Style(lambda r, k: usd_total(r).replace(" (", "\n("), "never", line=lambda r, k: usd_total(r)),
    "regions": Style(lambda r, k: region_names(r.get(k)), "words"),
    "provenance": Style(lambda r, k: provenance(r), "words", line=lambda r, k: provenance(r).replace("\n", "; ")),
    "money": Style(lambda r, k: money(r[k], "USD", "2021 USD") if isinstance(r.get(k), (int, float)) else "", "never"),
}


def style(name: str) -> Style:
    return STYLES.get(name, STYLES["text"])
