"""A SQLite database for Datasette and sqlite3: a table per kind, link tables, evidence and full-text search.

Tables are named after the kinds' plurals and columns after the JSON fields, typed as
the output schema types them (amounts REAL, years INTEGER, flags INTEGER 0/1, text TEXT;
lists and objects as JSON text), with an index on each typed fact a kind declares (the
money columns of projects), so Datasette facets and sorts them and a plain ``SUM`` over
``for_aggregates = 1`` gives cca's total. Link tables with foreign keys come from the
registry's references (``project_countries``, ``project_sectors``, ...); ``finance`` has
one row per project and party that puts money in (funders and co-financiers, by role,
in the dataset's order). The ``search`` table
(FTS5) uses the same tokenizer as ``cca search``, and an extra ``terms`` column holds
the substrings of text in scripts written without spaces, so a plain
``MATCH '雅万'`` finds ``雅万高铁`` here as it does in cca.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from cca.core.errors import OutputError, QueryError
from cca.core.store import check_interrupted, interruptible
from cca.core.text import FTS_TOKENIZER, compact_json, index_text, visible
from cca.io.exporters.base import Exporter, Options, reference, register, views
from cca.io.safefile import atomic_path, check_target
from cca.version import __version__

if TYPE_CHECKING:
    from cca.core.kb import KnowledgeBase
    from cca.core.registry import Kind

_INDEXED = {"project": ["status", "type"], "event": ["date"], "figure": ["unit"], "statement": ["person"]}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


_SURROGATE = re.compile("[\ud800-\udfff]")


def _cell(value: Any) -> Any:
    """A JSON value as one SQLite value: lists and objects become JSON text, and text is always UTF-8.

    A file name that is not UTF-8 (``defined_at`` of a record read from ``k\\xff.yaml``) keeps its
    undecodable bytes as escapes (``k\\xff.yaml``), as the CSV export shows them: SQLite text cannot
    hold them raw.
    """
    if isinstance(value, (list, dict)):
        value = compact_json(value)  # a stored record or output holds no NaN or infinity
    if isinstance(value, str) and not value.isascii() and _SURROGATE.search(value) is not None:
        return _SURROGATE.sub(lambda match: visible(match.group()), value)
    return value


def _cells(*values: Any) -> tuple[Any, ...]:
    return tuple(_cell(value) for value in values)


def link_tables(kind: Kind) -> list[tuple[str, str, str]]:
    """(table, field, target kind) for each top-level list of references to one kind of record."""
    from cca.core.kinds import KINDS

    out = []
    for ref in kind.refs:
        if ref.target is not None and ref.target in KINDS and ref.path == f"{ref.top}[]" and ref.target != kind.name:
            out.append((f"{kind.name}_{ref.top}", ref.top, ref.target))
    return out


def _unspaced_terms(*texts: str) -> str:
    """Only the substrings that :func:`index_text` adds for unspaced scripts (nothing for Latin text)."""
    terms = []
    for text in texts:
        expanded = index_text(text)
        if expanded != text:
            terms.append(expanded)
    return " ".join(terms)


#: SQLite column types for the JSON types of the output schema (a flag is 0 or 1; anything else is text).
_SQL_TYPES = (({"integer"}, "INTEGER"), ({"boolean"}, "INTEGER"), ({"number", "integer"}, "REAL"), ({"string"}, "TEXT"))

#: Party roles that put money in, as ``finance`` holds them.
_MONEY_ROLES = ("funder", "lender", "investor", "co-financier")


def _column(name: str, schema: dict[str, Any]) -> str:
    """A column's definition from its output schema: typed where the values are one scalar type."""
    if name == "id":
        return f"{_quote(name)} TEXT PRIMARY KEY"
    found = schema.get("type")
    types = ({found} if isinstance(found, str) else set(found or ())) - {"null"}
    for accepted, sql in _SQL_TYPES:
        if types and types <= accepted:
            return f"{_quote(name)} {sql}"
    return f"{_quote(name)} TEXT"  # lists and objects, as JSON text


def _fill(connection: sqlite3.Connection, kb: KnowledgeBase) -> None:
    from cca.core.outschema import output_fields as fields
    from cca.core.outschema import output_schema

    connection.execute("PRAGMA foreign_keys = ON")
    connection.execute("PRAGMA defer_foreign_keys = ON")  # links may name records inserted later
    kinds = list(kb.kinds)
    for kind in kinds:
        schemas = output_schema(kind.name)["items"]["properties"]
        definitions = ", ".join(_column(c, schemas[c]) for c in fields(kind.name))
        connection.execute(f"CREATE TABLE {_quote(kind.plural)} ({definitions})")
    for kind in kinds:
        for table, _field, target in link_tables(kind):
            connection.execute(
                f"CREATE TABLE {_quote(table)} ({kind.name}_id TEXT NOT NULL REFERENCES {_quote(kind.plural)}(id), "
                f"{target}_id TEXT NOT NULL REFERENCES {_quote(kb.kinds[target].plural)}(id), "
                f"PRIMARY KEY ({kind.name}_id, {target}_id))"
            )
    connection.execute(
        "CREATE TABLE finance (project_id TEXT NOT NULL REFERENCES projects(id), position INTEGER NOT NULL, "
        "name TEXT NOT NULL, role TEXT NOT NULL, agency_type TEXT, PRIMARY KEY (project_id, position))"
    )
    connection.execute(
        "CREATE TABLE evidence (record_id TEXT NOT NULL, kind TEXT NOT NULL, "
        "source TEXT NOT NULL REFERENCES sources(id), quote TEXT, record TEXT, url TEXT, note TEXT)"
    )
    connection.execute(
        "CREATE VIRTUAL TABLE search USING fts5(id UNINDEXED, kind UNINDEXED, name, aliases, summary, quotes, terms, "
        f"tokenize='{FTS_TOKENIZER}')"
    )
    # Referenced kinds first, so foreign keys hold as rows go in.
    order = sorted(kinds, key=lambda k: 0 if k.name in ("source", "country", "sector") else 1)
    for kind in order:
        columns = fields(kind.name)
        marks = ", ".join("?" for _ in columns)
        insert = f"INSERT INTO {_quote(kind.plural)} VALUES ({marks})"
        links = link_tables(kind)
        batch: list[list[Any]] = []
        extra: dict[str, list[tuple[Any, ...]]] = {}
        for record, row in views(kb, kind.name):
            batch.append([_cell(row.get(c)) for c in columns])
            _extras(extra, kind, record.data, row, links)
            if len(batch) >= 1000:
                _insert(connection, insert, batch, extra)
        _insert(connection, insert, batch, extra)
        for column in dict.fromkeys([*_INDEXED.get(kind.name, ()), *kind.facts]):
            if column in columns:
                connection.execute(
                    f"CREATE INDEX {_quote(f'{kind.plural}_{column}')} ON {_quote(kind.plural)} ({_quote(column)})"
                )
    for kind in kinds:
        for table, _field, target in link_tables(kind):
            connection.execute(f"CREATE INDEX {_quote(table + '_' + target)} ON {_quote(table)} ({target}_id)")
    connection.execute("CREATE INDEX evidence_record ON evidence (record_id)")
    connection.execute("CREATE INDEX finance_name ON finance (name, role)")


def _insert(
    connection: sqlite3.Connection, insert: str, batch: list[list[Any]], extra: dict[str, list[tuple[Any, ...]]]
) -> None:
    """A batch of a kind's rows, then the rows of the other tables that go with them (one statement each)."""
    connection.executemany(insert, batch)
    batch.clear()
    for statement, rows in extra.items():
        connection.executemany(statement, rows)
    extra.clear()


def _extras(
    extra: dict[str, list[tuple[Any, ...]]], kind: Kind, data: dict[str, Any], row: dict[str, Any], links: Any
) -> None:
    """A record's rows of the link tables, finance, evidence and search, added to ``extra`` (statement -> rows)."""
    for table, field, _target in links:
        ids = sorted(set(data.get(field) or ()))
        extra.setdefault(f"INSERT INTO {_quote(table)} VALUES (?, ?)", []).extend((row["id"], i) for i in ids)
    if kind.name == "project":
        extra.setdefault("INSERT INTO finance VALUES (?, ?, ?, ?, ?)", []).extend(
            _cells(row["id"], position, party["name"], party["role"], party.get("agency_type"))
            for position, party in enumerate(row.get("parties") or (), 1)
            if party.get("role") in _MONEY_ROLES
        )
    evidence = row.get("evidence") or ()
    extra.setdefault("INSERT INTO evidence VALUES (?, ?, ?, ?, ?, ?, ?)", []).extend(
        _cells(row["id"], kind.name, e["source"], e.get("quote"), e.get("record"), e.get("url"), e.get("note"))
        for e in evidence
    )
    name = str(row.get("name") or "")
    aliases = "; ".join(a for a in row.get("aliases") or () if isinstance(a, str))
    summary = " ".join(str(row.get(k) or "") for k in ("summary", "text", "description", "notes")).strip()
    quotes = " ".join(e["quote"] for e in evidence if isinstance(e.get("quote"), str))
    terms = _unspaced_terms(name, aliases, summary, quotes)
    extra.setdefault("INSERT INTO search VALUES (?, ?, ?, ?, ?, ?, ?)", []).append(
        _cells(row["id"], kind.name, name, aliases, summary, quotes, terms)
    )


def _datasette_metadata(kb: KnowledgeBase, path: Path) -> dict[str, Any]:
    sources = "; ".join(reference(s) for s in kb.of_kind("source"))
    return {
        "title": "cca: China–ASEAN cooperation, from source-cited facts",
        "description": "Every record carries the evidence that proves it (table evidence): a verbatim quote, "
        "or a locator of a dataset row. Exported by cca " + __version__ + ".",
        "source": sources,
        "license": "Code and structure: MIT. Quotes are short citations; the sources keep their copyright; "
        "imported datasets keep their licences (see the sources table).",
        "databases": {
            path.stem: {
                "tables": {
                    "projects": {
                        "description": "Projects with status, progress and money as typed columns: amounts in "
                        "constant 2021 USD (usd_2021, adjusted_usd_2021) and nominal USD, commitment year and date, "
                        "flow class and the aggregate flag. Sum adjusted_usd_2021 over for_aggregates = 1 for cca's "
                        "totals (umbrella rows would count twice).",
                        "facets": [
                            "recipient",
                            "commitment_year",
                            "flow_class",
                            "for_aggregates",
                            "status",
                            "currency",
                        ],
                        "sortable_columns": [
                            "name",
                            "usd_2021",
                            "adjusted_usd_2021",
                            "usd_nominal",
                            "commitment_year",
                            "commitment_date",
                            "status_as_of",
                        ],
                        "sort_desc": "adjusted_usd_2021",
                        "label_column": "name",
                    },
                    "finance": {
                        "description": "One row per project and party that puts money in (role funder or "
                        "co-financier), in the dataset's order. Join to projects for amounts; a row with two "
                        "funders appears twice, so sum by funder, never over the join as a whole.",
                        "facets": ["role", "name", "agency_type"],
                    },
                    "evidence": {"description": "The quotes and dataset locators behind each record."},
                    "search": {"description": "Full-text index over names, aliases, summaries and quotes."},
                }
            }
        },
    }


def _build(kb: KnowledgeBase, target: Path) -> None:
    connection = interruptible(sqlite3.connect(target, isolation_level=None))
    try:
        connection.execute("PRAGMA journal_mode = OFF")
        connection.execute("PRAGMA synchronous = OFF")
        connection.execute("BEGIN")
        _fill(connection, kb)
        connection.execute("COMMIT")
    finally:
        connection.close()


def write(kb: KnowledgeBase, path: Path | None, options: Options, stdout: IO[Any] | None) -> list[Path]:
    if path is None:
        assert stdout is not None
        if hasattr(stdout, "isatty") and stdout.isatty():
            raise QueryError("a SQLite database is binary: redirect it to a file, or give a file name")
        import tempfile

        with tempfile.TemporaryDirectory(prefix="cca-export-") as scratch:
            target = Path(scratch) / "export.sqlite"
            try:
                _build(kb, target)
            except sqlite3.OperationalError as error:
                check_interrupted(error)
                raise OutputError(f"cannot build the database: {error}") from None
            with target.open("rb") as source:
                shutil.copyfileobj(source, stdout)
        return []
    check_target(path, options.force)  # first: '.' or '/' is a directory, and has no name to add to
    metadata = path.with_name(path.name + ".metadata.json")
    check_target(metadata, options.force)
    with atomic_path(path, options.force) as temporary:
        try:
            _build(kb, temporary)  # SQLite takes the empty file as a new database, keeping its mode
        except sqlite3.OperationalError as error:  # a full or failing disk, a file-size limit
            check_interrupted(error)
            raise OutputError(f"cannot write {visible(str(path))}: {error}") from None
    with atomic_path(metadata, options.force) as temporary:
        temporary.write_text(
            json.dumps(_datasette_metadata(kb, path), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    return [path, metadata]


register(
    Exporter(
        "sqlite", "A SQLite database (Datasette-ready, with FTS5), plus PATH.metadata.json.", False, write, binary=True
    )
)
