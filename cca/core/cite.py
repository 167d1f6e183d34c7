"""References for the sources behind an answer: CSL-JSON, BibTeX and a plain list, from source records.

Every function takes source records as they appear in the knowledge (``sources:``: title,
publisher, date, author, translator, url, and ``dataset`` for a dataset import) and, optionally,
records built from a dataset's rows. A row gets an entry of its own (the row in the dataset) and
one for each source the row itself cites: GCDF rows keep ``Source Titles`` and ``Source
Publishers`` in ``dataset.fields`` (items joined by ``|``) and the row's URLs in their evidence.

cca's source records do not say what kind of publication a text is: a source with a ``dataset``
is a dataset, any other an article in the outlet its ``publisher`` names (a news report or a
magazine article alike). Personal names are kept as written (CSL ``literal``), since a name such as
"Zhong Shuangxia" puts the family name first and guessing which part is which would get it wrong.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

Record = Mapping[str, Any]


class RowSource(NamedTuple):
    """One source a dataset row cites: whatever of its title, publisher and URL the row gives."""

    title: str | None
    publisher: str | None
    url: str | None


# -- what the records say ------------------------------------------------------------------------------------


def row_sources(record: Record) -> list[RowSource]:
    """The sources a dataset row cites, in the row's order.

    Titles and publishers are parallel lists in the dataset; URLs are paired with them only when
    the row gives as many URLs as titles (the importer drops items that are not URLs, so a
    shorter list cannot be paired safely): otherwise each URL is a source of its own.
    """
    fields = (record.get("dataset") or {}).get("fields") or {}
    titles = _items(fields.get("Source Titles"))
    publishers = _items(fields.get("Source Publishers"))
    urls = list(
        dict.fromkeys(e["url"] for e in record.get("evidence") or () if isinstance(e, Mapping) and e.get("url"))
    )
    count = max(len(titles), len(publishers))
    paired = len(urls) == len(titles) and bool(titles)
    out = []
    for index in range(count):
        title = titles[index] if index < len(titles) else None
        publisher = publishers[index] if index < len(publishers) else None
        url = urls[index] if paired else None
        if title or publisher or url:
            out.append(RowSource(title or None, publisher or None, url))
    if not paired:
        out += [RowSource(None, None, url) for url in urls]
    return out


def _items(value: Any) -> list[str]:
    if value is None:
        return []
    return [item.strip() for item in str(value).split("|")]


def _locator(record: Record) -> str | None:
    """Where the row is: its record id, and sheet and row when the evidence names them."""
    for item in record.get("evidence") or ():
        if isinstance(item, Mapping) and item.get("record"):
            where = [f"record {item['record']}"]
            if item.get("sheet"):
                where.append(f"sheet {item['sheet']}")
            if item.get("row"):
                where.append(f"row {item['row']}")
            return ", ".join(where)
    return None


def _row_source_id(record: Record) -> str | None:
    dataset = record.get("dataset") or {}
    source = dataset.get("source")
    if isinstance(source, str):
        return source
    for item in record.get("evidence") or ():
        if isinstance(item, Mapping) and item.get("source"):
            return str(item["source"])
    return None


def _date_parts(date: str | None) -> list[int] | None:
    if not date or not re.fullmatch(r"[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?", date):
        return None
    return [int(part) for part in date.split("-")]


def _attribution(source: Record) -> str | None:
    dataset = source.get("dataset") or {}
    value = dataset.get("attribution")
    return str(value) if value else None


# -- CSL-JSON -----------------------------------------------------------------------------------------------


def csl_json(sources: Sequence[Record], records: Sequence[Record] = ()) -> list[dict[str, Any]]:
    """CSL-JSON items (https://citationstyles.org): one per source, then each dataset row and the sources it cites."""
    out = [_csl_source(source) for source in sources]
    titles = {str(source["id"]): str(source.get("title") or source["id"]) for source in sources}
    for record in records:
        if not record.get("dataset"):
            continue
        out.append(_csl_row(record, titles))
        for number, cited in enumerate(row_sources(record), 1):
            item: dict[str, Any] = {
                "id": f"{record['id']}-source-{number}",
                "type": "webpage" if cited.url else "document",
            }
            if cited.title:
                item["title"] = cited.title
            if cited.publisher:
                item["publisher"] = cited.publisher
            if cited.url:
                item["URL"] = cited.url
            item["note"] = f"Cited by {record['id']} ({record.get('name') or record['id']})"
            out.append(item)
    return out


def _csl_source(source: Record) -> dict[str, Any]:
    dataset = source.get("dataset")
    item: dict[str, Any] = {"id": str(source["id"]), "type": "dataset" if dataset else "article-newspaper"}
    if source.get("title"):
        item["title"] = str(source["title"])
    if source.get("author"):
        item["author"] = [{"literal": str(source["author"])}]
    if source.get("translator"):
        item["translator"] = [{"literal": str(source["translator"])}]
    if dataset:
        if source.get("publisher"):
            item["publisher"] = str(source["publisher"])
        if dataset.get("version"):
            item["version"] = str(dataset["version"])
    elif source.get("publisher"):
        item["container-title"] = str(source["publisher"])
    if source.get("section"):
        item["section"] = str(source["section"])
    parts = _date_parts(source.get("date"))
    if parts:
        item["issued"] = {"date-parts": [parts]}
    if source.get("url"):
        item["URL"] = str(source["url"])
    if source.get("language"):
        item["language"] = str(source["language"])
    notes = [
        text for text in (_attribution(source) and f"Cite as: {_attribution(source)}", source.get("copyright")) if text
    ]
    if notes:
        item["note"] = " ".join(str(text) for text in notes)
    return item


def _csl_row(record: Record, titles: Mapping[str, str]) -> dict[str, Any]:
    source = _row_source_id(record)
    item: dict[str, Any] = {"id": str(record["id"]), "type": "dataset"}
    item["title"] = str(record.get("name") or record["id"])
    if source:
        item["container-title"] = titles.get(source, source)
    where = _locator(record)
    if where:
        item["locator"] = where
    return item


# -- BibTeX -------------------------------------------------------------------------------------------------

_BIBTEX_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%", "$": r"\$",
                   "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}  # fmt: skip
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def bibtex(sources: Sequence[Record], records: Sequence[Record] = ()) -> str:
    """BibTeX entries: ``@misc`` for a dataset, its rows and their sources; ``@article`` for an article."""
    entries = [_bib_source(source) for source in sources]
    titles = {str(source["id"]): str(source.get("title") or source["id"]) for source in sources}
    for record in records:
        if not record.get("dataset"):
            continue
        source = _row_source_id(record)
        fields = [("title", str(record.get("name") or record["id"]))]
        if source:
            fields.append(("howpublished", f"In: {titles.get(source, source)}"))
        where = _locator(record)
        if where:
            fields.append(("note", where))
        entries.append(_entry("misc", str(record["id"]), fields))
        for number, cited in enumerate(row_sources(record), 1):
            cited_fields = [("title", cited.title), ("publisher", cited.publisher), ("url", cited.url),
                            ("note", f"Cited by {record['id']}")]  # fmt: skip
            entries.append(_entry("misc", f"{record['id']}-source-{number}", cited_fields))
    return "\n".join(entries)


def _bib_source(source: Record) -> str:
    dataset = source.get("dataset")
    date = _date_parts(source.get("date")) or []
    fields: list[tuple[str, str | None]] = [
        ("author", _bib_name(source.get("author"))),
        ("translator", _bib_name(source.get("translator"))),
        ("title", source.get("title")),
    ]
    if dataset:
        fields += [("publisher", source.get("publisher")), ("version", dataset.get("version"))]
    else:
        fields.append(("journal", source.get("publisher")))
    fields += [
        ("year", str(date[0]) if date else None),
        ("month", _MONTHS[date[1] - 1] if len(date) > 1 else None),
        ("day", str(date[2]) if len(date) > 2 else None),
        ("url", source.get("url")),
        ("note", f"Cite as: {_attribution(source)}" if _attribution(source) else source.get("copyright")),
    ]
    return _entry("misc" if dataset else "article", str(source["id"]), fields)


def _bib_name(name: Any) -> str | None:
    # braces keep a name as written: BibTeX would otherwise split "Zhong Shuangxia" into given and family names
    return "{" + _escape(str(name)) + "}" if name else None


def _entry(kind: str, key: str, fields: Iterable[tuple[str, Any]]) -> str:
    lines = [f"@{kind}{{{key},"]
    for name, value in fields:
        if value in (None, ""):
            continue
        text = str(value)
        if name == "month":
            lines.append(f"  {name} = {text},")  # a macro: jan ... dec
        elif name in ("author", "translator"):
            lines.append(f"  {name} = {{{text}}},")  # already escaped and braced
        elif name == "url":
            lines.append(f"  {name} = {{{_escape_url(text)}}},")
        else:
            lines.append(f"  {name} = {{{_escape(text)}}},")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _escape(text: str) -> str:
    return "".join(_BIBTEX_SPECIAL.get(char, char) for char in " ".join(text.split()))


def _escape_url(url: str) -> str:
    # a URL is verbatim in BibTeX styles (\url): only percent signs and braces would break the field
    return url.replace("%", r"\%").replace("{", r"\%7B").replace("}", r"\%7D")


# -- plain text ---------------------------------------------------------------------------------------------


def text(sources: Sequence[Record], records: Sequence[Record] = ()) -> str:
    """A plain reference list: one numbered paragraph per source, then each dataset row with the sources it cites."""
    lines = []
    titles = {str(source["id"]): str(source.get("title") or source["id"]) for source in sources}
    for number, source in enumerate(sources, 1):
        lines.append(f"[{number}] {_text_source(source)}")
    for record in records:
        if not record.get("dataset"):
            continue
        dataset_id = _row_source_id(record)
        head = f"- {record.get('name') or record['id']}"
        if dataset_id:
            head += f". In: {titles.get(dataset_id, dataset_id)}"
        where = _locator(record)
        if where:
            head += f" ({where})"
        lines.append(head + ".")
        for cited in row_sources(record):
            parts = [part for part in (cited.title, cited.publisher, cited.url) if part]
            lines.append("    " + ". ".join(parts) + ".")
    return "\n".join(lines) + ("\n" if lines else "")


def _text_source(source: Record) -> str:
    parts = []
    if source.get("author"):
        parts.append(str(source["author"]))
    head = f"{' '.join(parts)} ({source['date']})." if parts and source.get("date") else ""
    title = str(source.get("title") or source["id"])
    dataset = source.get("dataset")
    out = []
    if head:
        out.append(head)
    out.append(title + (" [dataset]" if dataset else "") + ".")
    if source.get("translator"):
        out.append(f"Translated by {source['translator']}.")
    if source.get("publisher"):
        out.append(f"{source['publisher']}" + ("." if head or not source.get("date") else f", {source['date']}."))
    elif source.get("date") and not head:
        out.append(f"{source['date']}.")
    if dataset and dataset.get("version") and f"Version {dataset['version']}" not in title:
        out.append(f"Version {dataset['version']}.")
    if source.get("url"):
        out.append(str(source["url"]))
    attribution = _attribution(source)
    if attribution:
        out.append(f"Cite as: {attribution}")
    return " ".join(out)
