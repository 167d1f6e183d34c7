"""Whole-knowledge exports: a SQLite database (Datasette-ready), CSV files, one JSON document.

Every export holds the same records as ``--json`` output, with the same field
names; it is deterministic (the same knowledge gives byte-identical files) and
never replaces an existing file unless asked to.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cca import __version__
from cca.errors import QueryError
from cca.model import ALL_KINDS, PLURALS
from cca.outschema import fields, output_schema
from cca.views import record_view

if TYPE_CHECKING:
    from cca.knowledge import KnowledgeBase


def rows_by_kind(kb: KnowledgeBase) -> dict[str, list[dict[str, Any]]]:
    """Every record's JSON view, grouped by kind in a stable order (by id)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for kind in ALL_KINDS:
        records = sorted(kb.of_kind(kind), key=lambda r: r.id)
        out[kind] = [record_view(kb, r) for r in records]
    return out


def _refuse_existing(path: Path, force: bool) -> None:
    if path.exists() and not force:
        raise QueryError(f"{path} exists: use --force to replace it")


@contextlib.contextmanager
def _atomic(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path`` that replaces it only if writing succeeds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        yield Path(temporary)
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def _cell(value: Any) -> Any:
    """A JSON value as one SQLite value: lists and objects become JSON text."""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, sort_keys=False, separators=(",", ":"))
    return value


def _text_cell(value: Any) -> str:
    """A JSON value as one CSV cell: lists of plain values joined with '; ', structures as JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list) and all(not isinstance(v, (list, dict)) for v in value):
        return "; ".join(_text_cell(v) for v in value)
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


# -- JSON -------------------------------------------------------------------------------------------------


def export_json(kb: KnowledgeBase, path: Path, force: bool = False) -> None:
    """One document: every kind's records, and the JSON Schema of each kind's records."""
    _refuse_existing(path, force)
    rows = rows_by_kind(kb)
    document = {
        "cca_version": __version__,
        "sources": rows["source"],
        "records": {PLURALS[kind]: rows[kind] for kind in ALL_KINDS},
        "schemas": {PLURALS[kind]: output_schema(kind) for kind in ALL_KINDS},
    }
    with _atomic(path) as temporary:
        temporary.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


# -- CSV --------------------------------------------------------------------------------------------------


def export_csv(kb: KnowledgeBase, directory: Path, force: bool = False, bom: bool = False) -> list[Path]:
    """One CSV file per kind (projects.csv, ...), with the JSON fields as columns."""
    rows = rows_by_kind(kb)
    targets = {kind: directory / f"{PLURALS[kind]}.csv" for kind in ALL_KINDS}
    for target in targets.values():
        _refuse_existing(target, force)
    for kind, target in targets.items():
        with (
            _atomic(target) as temporary,
            temporary.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as out,
        ):
            writer = csv.writer(out)
            writer.writerow(fields(kind))
            for row in rows[kind]:
                writer.writerow([_text_cell(row.get(field)) for field in fields(kind)])
    return list(targets.values())


# -- SQLite -----------------------------------------------------------------------------------------------

_LINKS = {  # link table: (kind whose field holds ids, field, target kind)
    "project_countries": ("project", "countries", "country"),
    "project_sectors": ("project", "sectors", "sector"),
    "agreement_countries": ("agreement", "countries", "country"),
}
_INDEXED = {"project": ["status", "type"], "event": ["date"], "figure": ["unit"], "statement": ["person"]}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def export_sqlite(kb: KnowledgeBase, path: Path, force: bool = False) -> Path:
    """A database with a table per kind, link tables, evidence, indexes and full-text search.

    Also writes PATH.metadata.json beside it, for ``datasette PATH -m PATH.metadata.json``.
    """
    _refuse_existing(path, force)
    metadata = path.with_name(path.name + ".metadata.json")
    _refuse_existing(metadata, force)
    rows = rows_by_kind(kb)
    with _atomic(path) as temporary:
        temporary.unlink()
        connection = sqlite3.connect(temporary)
        try:
            with connection:
                _fill_sqlite(connection, kb, rows)
            connection.execute("VACUUM")
        finally:
            connection.close()
    with _atomic(metadata) as temporary:
        temporary.write_text(
            json.dumps(_datasette_metadata(kb, path), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    return metadata


def _fill_sqlite(connection: sqlite3.Connection, kb: KnowledgeBase, rows: dict[str, list[dict[str, Any]]]) -> None:
    connection.execute("PRAGMA foreign_keys = ON")
    for kind in ALL_KINDS:
        table = PLURALS[kind]
        columns = fields(kind)
        definitions = ", ".join(f"{_quote(c)} TEXT PRIMARY KEY" if c == "id" else _quote(c) for c in columns)
        connection.execute(f"CREATE TABLE {_quote(table)} ({definitions})")
        marks = ", ".join("?" for _ in columns)
        connection.executemany(
            f"INSERT INTO {_quote(table)} VALUES ({marks})",
            ([_cell(row.get(c)) for c in columns] for row in rows[kind]),
        )
        for column in _INDEXED.get(kind, ()):
            connection.execute(f"CREATE INDEX {_quote(f'{table}_{column}')} ON {_quote(table)} ({_quote(column)})")
    for link, (kind, field, target) in _LINKS.items():
        source_table, target_table = PLURALS[kind], PLURALS[target]
        connection.execute(
            f"CREATE TABLE {link} ({kind}_id TEXT NOT NULL REFERENCES {source_table}(id), "
            f"{target}_id TEXT NOT NULL REFERENCES {target_table}(id), PRIMARY KEY ({kind}_id, {target}_id))"
        )
        pairs = sorted((record.id, ref) for record in kb.of_kind(kind) for ref in record.data.get(field, ()))
        connection.executemany(f"INSERT INTO {link} VALUES (?, ?)", pairs)
        connection.execute(f"CREATE INDEX {link}_{target} ON {link} ({target}_id)")
    connection.execute(
        "CREATE TABLE evidence (record_id TEXT NOT NULL, kind TEXT NOT NULL, "
        "source TEXT NOT NULL REFERENCES sources(id), quote TEXT NOT NULL, note TEXT)"
    )
    connection.executemany(
        "INSERT INTO evidence VALUES (?, ?, ?, ?, ?)",
        (
            (row["id"], kind, item["source"], item["quote"], item.get("note"))
            for kind in ALL_KINDS
            for row in rows[kind]
            for item in row.get("evidence") or ()
        ),
    )
    connection.execute("CREATE INDEX evidence_record ON evidence (record_id)")
    connection.execute(
        "CREATE VIRTUAL TABLE search USING fts5(id UNINDEXED, kind UNINDEXED, name, aliases, summary, quotes)"
    )
    connection.executemany(
        "INSERT INTO search VALUES (?, ?, ?, ?, ?, ?)",
        (
            (
                row["id"],
                kind,
                row.get("name") or "",
                "; ".join(row.get("aliases") or ()),
                " ".join(str(row.get(k) or "") for k in ("summary", "text", "notes")).strip(),
                " ".join(e["quote"] for e in row.get("evidence") or ()),
            )
            for kind in ALL_KINDS
            for row in rows[kind]
        ),
    )


def _datasette_metadata(kb: KnowledgeBase, path: Path) -> dict[str, Any]:
    sources = "; ".join(
        f"{s.get('author') + ', ' if s.get('author') else ''}“{s.get('title')}”, {s.get('publisher')}, {s.get('date')}"
        for s in kb.of_kind("source")
    )
    return {
        "title": "cca: China–ASEAN cooperation, from source-cited facts",
        "description": "Every record carries the verbatim quotes that prove it (table evidence). "
        "Exported by cca " + __version__ + ".",
        "source": sources,
        "license": "Code and structure: MIT. Quotes are short citations; the sources keep their copyright.",
        "databases": {
            path.stem: {
                "tables": {
                    "projects": {"description": "Projects with status and progress; see status_as_of for dates."},
                    "evidence": {"description": "Verbatim quotes behind each record."},
                    "search": {"description": "Full-text index over names, aliases, summaries and quotes."},
                }
            }
        },
    }
