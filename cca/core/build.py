"""Fill a store (:mod:`cca.core.store`) with validated records, then derive its indexes.

Records are inserted as they stream in (one file at a time, in file order); the
indexes that need every record (countries concerned through other records, the
sector tree, counts, full-text search) are built once at the end, in SQL.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from cca.core import dates
from cca.core.checks import Digest, digest, walk_evidence
from cca.core.registry import Kind, Registry
from cca.core.store import INDEXES, SCHEMA
from cca.core.text import index_text

_LIST_FIELDS = ("evidence", "status", "progress", "aliases", "same_as")


def display_name(kind: Kind, record: Mapping[str, Any]) -> str:
    for key in kind.display:
        value = record.get(key)
        if isinstance(value, str) and value:
            return value
    return str(record["id"])


def _sort_key(kind: Kind, record: Mapping[str, Any], name: str) -> str | None:
    if kind.order == "number":
        number = record.get("number")
        return f"{int(number):020d}" if isinstance(number, (int, float)) and abs(number) < 1e18 else None
    if kind.order == "date":
        date = record.get("date")
        parsed = dates.parse(date) if isinstance(date, str) else None
        if parsed is None:
            return "1" + name.casefold()
        year, month, day = parsed.key()
        return f"0{year:04d}-{month:02d}-{day:02d}"
    return None


def encode(record: Mapping[str, Any]) -> str:
    """A record as stored: compact JSON; NaN and infinities are refused (ValueError)."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


class Builder:
    """Writes records into a fresh store database and derives its indexes."""

    def __init__(self, connection: sqlite3.Connection, kinds: Registry) -> None:
        self.connection = connection
        self.kinds = kinds
        self.citations: Counter[str] = Counter()
        self._file_citations: Counter[str] = Counter()
        self._seq = 0
        self._file_start = 1
        connection.executescript(SCHEMA)
        self._insert_record = (
            "INSERT INTO records (seq, kind, id, name, file, line, col, parent, sort, data) "
            "VALUES (?,?,?,?,?,?,?,?,?,?)"
        )
        self._records: list[tuple[Any, ...]] = []
        self._links: list[tuple[int, str, str]] = []
        self._facets: list[tuple[str, Any, int]] = []
        self._search: list[tuple[Any, ...]] = []

    # -- files -----------------------------------------------------------------------------------

    def add_file(self, index: int, path: str, label: str, name: str) -> None:
        self.connection.execute(
            "INSERT INTO files VALUES (?, ?, ?, ?)", (index, os.fsencode(path), os.fsencode(label), os.fsencode(name))
        )

    def begin_file(self) -> None:
        self._flush()
        self._file_start = self._seq + 1
        self._file_citations = Counter()

    def discard_file(self) -> None:
        """Forget every record added since :meth:`begin_file` (the file is being read again)."""
        self._records.clear()
        self._links.clear()
        self._facets.clear()
        self._search.clear()
        start = self._file_start
        for table, column in (("records", "seq"), ("links", "src"), ("facets", "seq"), ("search_text", "seq")):
            self.connection.execute(f"DELETE FROM {table} WHERE {column} >= ?", (start,))
        self._seq = start - 1
        self._file_citations = Counter()

    def end_file(self) -> None:
        self._flush()
        self.citations.update(self._file_citations)
        self._file_citations = Counter()

    # -- records ---------------------------------------------------------------------------------

    def add(
        self,
        kind: Kind,
        record: Mapping[str, Any],
        file: int,
        line: int,
        column: int,
        parent: str | None = None,
        found: Digest | None = None,
    ) -> None:
        """One validated record; raises ValueError for a value the store cannot hold (NaN, infinity)."""
        data = encode(record)
        self._seq += 1
        seq = self._seq
        name = display_name(kind, record)
        self._records.append(
            (seq, kind.name, record["id"], name, file, line, column, parent, _sort_key(kind, record, name), data)
        )
        self._derive(kind, record, seq, name, found or digest(kind, record))
        if len(self._records) >= 2000:
            self._flush()

    def _derive(self, kind: Kind, record: Mapping[str, Any], seq: int, name: str, found: Digest) -> None:
        for path, _, target_id, _ in found.refs:
            self._links.append((seq, path, target_id))
        quotes = []
        for entry, _ in found.evidence:
            source = entry.get("source")
            if isinstance(source, str):
                self._links.append((seq, "evidence.source", source))
                self._file_citations[source] += 1
            quote = entry.get("quote")
            if isinstance(quote, str):
                quotes.append(quote)
        for facet, values in kind.facets.items():
            for facet_value in values(record):
                self._facets.append((facet, facet_value, seq))
        columns: dict[str, list[str]] = {
            "names": [name],
            "aliases": [str(record["id"]).replace("-", " ")],
            "body": [],
            "notes": [],
        }
        for field, column in kind.search.items():
            value = record.get(field)
            if isinstance(value, str):
                if value != name or column != "names":
                    columns[column].append(value)
            elif isinstance(value, list):
                columns[column].extend(str(item) for item in value if isinstance(item, (str, int, float)))
        self._search.append(
            (
                seq,
                index_text("\n".join(columns["names"])),
                index_text("\n".join(columns["aliases"])),
                index_text("\n".join(columns["body"])),
                index_text("\n".join(columns["notes"])),
                index_text("\n".join(quotes)),
            )
        )

    def _flush(self) -> None:
        execute = self.connection.executemany
        if self._records:
            execute(self._insert_record, self._records)
            self._records.clear()
        if self._links:
            execute("INSERT INTO links VALUES (?, ?, ?)", self._links)
            self._links.clear()
        if self._facets:
            execute("INSERT INTO facets VALUES (?, ?, ?)", self._facets)
            self._facets.clear()
        if self._search:
            execute("INSERT INTO search_text VALUES (?, ?, ?, ?, ?, ?)", self._search)
            self._search.clear()

    def update(self, update: Mapping[str, Any]) -> None:
        """Merge an ``updates:`` entry into the record it names (validated: the record exists)."""
        self._flush()
        found = self.connection.execute("SELECT seq, kind, data FROM records WHERE id = ?", (update["id"],)).fetchone()
        if found is None:
            return
        seq, kind_name, text = found
        data = json.loads(text)
        for key in _LIST_FIELDS:
            if key in update:
                data[key] = [*data.get(key, []), *update[key]]
        if "notes" in update:
            data["notes"] = "\n".join(filter(None, [data.get("notes"), update["notes"]]))
        kind = self.kinds[kind_name]
        name = display_name(kind, data)
        self.connection.execute("UPDATE records SET data = ? WHERE seq = ?", (encode(data), seq))
        for table, column in (("links", "src"), ("facets", "seq"), ("search_text", "seq")):
            self.connection.execute(f"DELETE FROM {table} WHERE {column} = ?", (seq,))
        for entry, _ in walk_evidence(update):
            if isinstance(entry.get("source"), str):
                self.citations[entry["source"]] += 1
        saved = self._file_citations
        self._file_citations = Counter()  # the record's own citations are counted already
        self._derive(kind, data, seq, name, digest(kind, data))
        self._file_citations = saved
        self._flush()

    # -- the end -----------------------------------------------------------------------------------

    def finish(self, meta: Mapping[str, str]) -> None:
        self._flush()
        db = self.connection
        db.executescript(INDEXES)
        direct = [(kind.name, path) for kind in self.kinds for path in kind.countries]
        via = [(kind.name, path) for kind in self.kinds for path in kind.via]
        sectors = [(kind.name, path) for kind in self.kinds for path in kind.sectors]
        db.execute("INSERT INTO record_country SELECT id, kind, seq FROM records WHERE kind = 'country'")
        if direct:
            db.execute(
                "INSERT OR IGNORE INTO record_country SELECT l.dst, r.kind, l.src FROM links l "
                "JOIN records r ON r.seq = l.src JOIN records c ON c.id = l.dst AND c.kind = 'country' "
                f"WHERE (r.kind, l.field) IN (VALUES {_pairs(direct)})",
                _flat(direct),
            )
        if via:
            db.execute(
                "INSERT OR IGNORE INTO record_country SELECT rc.country, r.kind, l.src FROM links l "
                "JOIN records r ON r.seq = l.src JOIN records t ON t.id = l.dst "
                "JOIN record_country rc ON rc.seq = t.seq "
                f"WHERE (r.kind, l.field) IN (VALUES {_pairs(via)})",
                _flat(via),
            )
        if sectors:
            db.execute(
                "INSERT OR IGNORE INTO record_sector SELECT l.dst, r.kind, l.src FROM links l "
                "JOIN records r ON r.seq = l.src JOIN records s ON s.id = l.dst AND s.kind = 'sector' "
                f"WHERE (r.kind, l.field) IN (VALUES {_pairs(sectors)})",
                _flat(sectors),
            )
        self._trees()
        db.execute("INSERT INTO kind_counts SELECT kind, count(*) FROM records GROUP BY kind")
        db.execute(
            "INSERT INTO country_counts SELECT country, kind, count(*) FROM record_country "
            "WHERE kind != 'country' GROUP BY country, kind"
        )
        db.execute(
            "INSERT INTO sector_counts SELECT t.ancestor, count(DISTINCT rs.seq) FROM sector_tree t "
            "JOIN record_sector rs ON rs.sector = t.sector GROUP BY t.ancestor"
        )
        db.executemany("INSERT INTO citations VALUES (?, ?)", sorted(self.citations.items()))
        db.execute("INSERT INTO search(search) VALUES ('rebuild')")
        db.executemany("INSERT INTO meta VALUES (?, ?)", sorted(meta.items()))
        # Statistics for the query planner: with them it drives a filtered listing from the
        # small side (the 600 projects of one country) instead of scanning every project.
        db.execute("PRAGMA analysis_limit = 1000")
        db.execute("ANALYZE")

    def _trees(self) -> None:
        """Tree order for kinds listed as trees, and the sector closure (ancestor, sector, depth)."""
        for kind in self.kinds:
            if kind.order != "tree":
                continue
            rows = self.connection.execute(
                "SELECT seq, id, name, data FROM records WHERE kind = ?", (kind.name,)
            ).fetchall()
            parents: dict[str, str | None] = {}
            names: dict[str, str] = {}
            seqs: dict[str, int] = {}
            for seq, record_id, name, text in rows:
                parent = json.loads(text).get("parent")
                parents[record_id] = parent if isinstance(parent, str) else None
                names[record_id] = name
                seqs[record_id] = seq
            closure: list[tuple[str, str, int]] = []
            sort: list[tuple[str, int]] = []
            for record_id in parents:
                chain = [record_id]
                current = parents[record_id]
                while current is not None and current in parents and current not in chain:
                    chain.append(current)
                    current = parents[current]
                depth = len(chain) - 1
                closure += [(ancestor, record_id, depth) for ancestor in chain]
                path = "\x1f".join(names[node].casefold() + "\x1e" + node for node in reversed(chain))
                sort.append((path, seqs[record_id]))
            self.connection.executemany("UPDATE records SET sort = ? WHERE seq = ?", sort)
            if kind.name == "sector":
                self.connection.executemany("INSERT OR IGNORE INTO sector_tree VALUES (?, ?, ?)", closure)


def _pairs(pairs: Iterable[tuple[str, str]]) -> str:
    return ", ".join("(?, ?)" for _ in pairs)


def _flat(pairs: Iterable[tuple[str, str]]) -> list[str]:
    return [item for pair in pairs for item in pair]
