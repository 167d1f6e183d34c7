"""The store: every record in SQLite, indexed for the questions cca answers.

One database holds the validated records (JSON text, as written, with updates
merged), and indexes derived from the kind registry:

* ``links``: every reference, both directions (``src`` record, ``field``, ``dst`` id);
* ``record_country`` / ``record_sector``: which countries and sectors each record concerns;
* ``facets``: values listings filter on (a project's current status, ...);
* ``kind_counts``, ``country_counts``, ``citations``: counts kept at build time;
* ``search``: an FTS5 index over names, other names, prose, notes and quotes
  (see :mod:`cca.core.text` for how words and unspaced scripts are tokenised).

Commands ask narrow questions of it; nothing reads every record to answer one.
Reading errors of any kind (a damaged or foreign file) surface as
:class:`~cca.core.errors.StoreError`, which means "rebuild", never a failure.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, NamedTuple

from cca.core.errors import QueryError, StoreError
from cca.core.text import FTS_TOKENIZER

#: Bumped whenever the tables change shape.
FORMAT = 5

SCHEMA = f"""
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE files (seq INTEGER PRIMARY KEY, path BLOB NOT NULL, label BLOB NOT NULL, name BLOB NOT NULL);
CREATE TABLE records (
    seq INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    file INTEGER NOT NULL,
    line INTEGER NOT NULL,
    col INTEGER NOT NULL,
    parent TEXT,
    sort TEXT,
    data TEXT NOT NULL
);
CREATE TABLE links (src INTEGER NOT NULL, field TEXT NOT NULL, dst TEXT NOT NULL);
CREATE TABLE facets (name TEXT NOT NULL, value, seq INTEGER NOT NULL);
CREATE TABLE record_country (country TEXT NOT NULL, kind TEXT NOT NULL, seq INTEGER NOT NULL,
                             PRIMARY KEY (country, kind, seq)) WITHOUT ROWID;
CREATE TABLE record_sector (sector TEXT NOT NULL, kind TEXT NOT NULL, seq INTEGER NOT NULL,
                            PRIMARY KEY (sector, kind, seq)) WITHOUT ROWID;
CREATE TABLE sector_tree (ancestor TEXT NOT NULL, sector TEXT NOT NULL, depth INTEGER NOT NULL,
                          PRIMARY KEY (ancestor, sector)) WITHOUT ROWID;
CREATE TABLE kind_counts (kind TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE country_counts (country TEXT NOT NULL, kind TEXT NOT NULL, n INTEGER NOT NULL,
                             PRIMARY KEY (country, kind)) WITHOUT ROWID;
CREATE TABLE sector_counts (sector TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE citations (source TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE search_text (seq INTEGER PRIMARY KEY, names TEXT, aliases TEXT, body TEXT, notes TEXT, quotes TEXT);
CREATE VIRTUAL TABLE search USING fts5(
    names, aliases, body, notes, quotes,
    content='search_text', content_rowid='seq', tokenize='{FTS_TOKENIZER}', prefix='2 3'
);
"""

INDEXES = """
CREATE UNIQUE INDEX records_id ON records (id);
CREATE INDEX records_kind ON records (kind, sort, seq);
CREATE INDEX records_parent ON records (parent) WHERE parent IS NOT NULL;
CREATE INDEX links_src ON links (src);
CREATE INDEX links_dst ON links (dst, field);
CREATE INDEX facets_value ON facets (name, value, seq);
CREATE INDEX facets_seq ON facets (seq, name);
CREATE INDEX record_country_seq ON record_country (seq);
CREATE INDEX record_sector_seq ON record_sector (seq);
"""

#: Column weights for ranking: names, other names, prose, notes, quotes.
WEIGHTS = (10.0, 8.0, 4.0, 2.0, 1.0)


class Row(NamedTuple):
    """One record as stored."""

    seq: int
    kind: str
    id: str
    name: str
    file: int
    line: int
    col: int
    parent: str | None
    data: str

    def decoded(self) -> dict[str, Any]:
        try:
            value = json.loads(self.data)
        except (ValueError, RecursionError) as error:
            raise StoreError(f"record {self.id!r} is not readable: {error}") from None
        if not isinstance(value, dict):
            raise StoreError(f"record {self.id!r} is not an object")
        return value


_COLUMNS = "r.seq, r.kind, r.id, r.name, r.file, r.line, r.col, r.parent, r.data"


def _not_text(params: Sequence[Any]) -> QueryError:
    """A usage error naming the text that holds undecodable bytes (an argument's surrogate escapes)."""
    from cca.core.text import visible

    bad = next((p for p in params if isinstance(p, str) and any("\ud800" <= ch <= "\udfff" for ch in p)), "")
    return QueryError(f"'{visible(bad)}' is not text: it holds bytes that are not UTF-8")


class Store:
    """Questions asked of one store database; every answer comes through an index."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def close(self) -> None:
        self.connection.close()

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        try:
            return self.connection.execute(sql, params).fetchall()
        except UnicodeEncodeError:  # the question's text, not the store: an argument that is not UTF-8
            raise _not_text(params) from None
        except (sqlite3.Error, ValueError, OverflowError) as error:
            raise StoreError(str(error)) from None

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return [Row(*row) for row in self._all(sql, params)]

    def meta(self) -> dict[str, str]:
        return dict(self._all("SELECT key, value FROM meta"))

    def files(self) -> list[tuple[int, str, str, str]]:
        """(seq, path, label, name) of each file; stored as bytes, since a file name need not be UTF-8."""
        return [
            (int(seq), os.fsdecode(path), os.fsdecode(label), os.fsdecode(name))
            for seq, path, label, name in self._all("SELECT seq, path, label, name FROM files ORDER BY seq")
        ]

    # -- single records ----------------------------------------------------------------------------

    def get(self, record_id: str) -> Row | None:
        found = self._rows(f"SELECT {_COLUMNS} FROM records r WHERE r.id = ?", (record_id,))
        return found[0] if found else None

    def get_many(self, ids: Iterable[str]) -> list[Row]:
        wanted = list(dict.fromkeys(ids))
        out: list[Row] = []
        for start in range(0, len(wanted), 500):
            part = wanted[start : start + 500]
            marks = ",".join("?" * len(part))
            out += self._rows(f"SELECT {_COLUMNS} FROM records r WHERE r.id IN ({marks}) ORDER BY r.seq", part)
        return out

    def name_of(self, record_id: str) -> str | None:
        found = self._all("SELECT name FROM records WHERE id = ?", (record_id,))
        return str(found[0][0]) if found else None

    def kind_of(self, record_id: str) -> str | None:
        found = self._all("SELECT kind FROM records WHERE id = ?", (record_id,))
        return str(found[0][0]) if found else None

    # -- lists -------------------------------------------------------------------------------------

    def iter_rows(
        self,
        kind: str,
        *,
        countries: Iterable[str] | None = None,
        sectors: Iterable[str] | None = None,
        facets: dict[str, Sequence[Any]] | None = None,
        search: str | None = None,
        parent: str | None = None,
        limit: int | None = None,
        order: str = "listing",
        regions: Iterable[str] | None = None,
        ranges: dict[str, tuple[Any, Any]] | None = None,
        contains: dict[str, Sequence[str]] | None = None,
        sources: Sequence[str] | None = None,
    ) -> Iterator[Row]:
        where, params = self._where(
            kind, countries, sectors, facets, search, parent, regions, ranges, contains, sources
        )
        sql = f"SELECT {_COLUMNS} FROM records r WHERE {' AND '.join(where)}"
        sql += " ORDER BY r.id" if order == "id" else " ORDER BY r.sort, r.seq"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        try:
            cursor = self.connection.execute(sql, params)
            while True:
                batch = cursor.fetchmany(500)
                if not batch:
                    return
                for row in batch:
                    yield Row(*row)
        except (sqlite3.Error, ValueError, OverflowError) as error:
            raise StoreError(str(error)) from None

    def _where(
        self,
        kind: str,
        countries: Iterable[str] | None,
        sectors: Iterable[str] | None,
        facets: dict[str, Sequence[Any]] | None,
        search: str | None,
        parent: str | None,
        regions: Iterable[str] | None,
        ranges: dict[str, tuple[Any, Any]] | None,
        contains: dict[str, Sequence[str]] | None,
        sources: Sequence[str] | None = None,
    ) -> tuple[list[str], list[Any]]:
        """The WHERE terms of a filtered listing (every filter through an index)."""
        where = ["r.kind = ?"]
        params: list[Any] = [kind]
        if countries is not None or regions is not None:
            either = []
            if countries is not None:
                wanted = sorted(set(countries))
                marks = ",".join("?" * len(wanted))
                either.append(f"r.seq IN (SELECT seq FROM record_country WHERE kind = ? AND country IN ({marks}))")
                params += [kind, *wanted]
            if regions is not None:
                named = sorted(set(regions))
                marks = ",".join("?" * len(named))
                either.append(f"r.seq IN (SELECT src FROM links WHERE dst IN ({marks}) AND field = 'regions[]')")
                params += named
            where.append("(" + " OR ".join(either) + ")")
        if sectors is not None:
            wanted = sorted(set(sectors))
            where.append(
                "r.seq IN (SELECT rs.seq FROM record_sector rs JOIN sector_tree t ON t.sector = rs.sector "
                f"WHERE rs.kind = ? AND t.ancestor IN ({','.join('?' * len(wanted))}))"
            )
            params += [kind, *wanted]
        for name, values in (facets or {}).items():
            where.append(
                f"r.seq IN (SELECT seq FROM facets WHERE name = ? AND value IN ({','.join('?' * len(values))}))"
            )
            params += [name, *values]
        if search is not None:
            where.append("r.seq IN (SELECT rowid FROM search WHERE search MATCH ?)")
            params.append(search)
        if parent is not None:
            where.append("r.parent = ?")
            params.append(parent)
        for name, (low, high) in (ranges or {}).items():
            bounds = ["name = ?"]
            params.append(name)
            if low is not None:
                bounds.append("value >= ?")
                params.append(low)
            if high is not None:
                bounds.append("value <= ?")
                params.append(high)
            where.append(f"r.seq IN (SELECT seq FROM facets WHERE {' AND '.join(bounds)})")
        if sources:  # evidence from these sources, anywhere in the record (its links say so)
            marks = ",".join("?" * len(sources))
            where.append(f"r.seq IN (SELECT src FROM links WHERE dst IN ({marks}) AND field = 'evidence.source')")
            params += list(sources)
        for name, needles in (contains or {}).items():
            likes = " OR ".join("instr(value, ?) > 0" for _ in needles)
            where.append(f"r.seq IN (SELECT seq FROM facets WHERE name = ? AND ({likes}))")
            params += [name, *needles]
        return where, params

    def stats(
        self, kind: str, by: Sequence[str], filters: dict[str, Any], aggregate_only: bool = True
    ) -> list[tuple[Any, ...]]:
        """Counts and sums of the usd facet, grouped by ``by`` (country, sector, or a facet's name).

        ``filters`` are :meth:`iter_rows`'s. Each row: the group values, the number of records,
        the number with an amount, and the sum. ``aggregate_only`` leaves out records the
        dataset says must not be summed.
        """
        where, params = self._where(kind, **filters)
        if aggregate_only:
            where.append("r.seq NOT IN (SELECT seq FROM facets WHERE name = 'not_aggregate')")
        joins, keys = [], []
        join_params: list[Any] = []
        for number, name in enumerate(by):
            alias = f"g{number}"
            if name == "country":
                joins.append(f"JOIN record_country {alias} ON {alias}.seq = r.seq AND {alias}.kind = r.kind")
                keys.append(f"{alias}.country")
            elif name == "sector":
                joins.append(f"JOIN record_sector {alias} ON {alias}.seq = r.seq AND {alias}.kind = r.kind")
                keys.append(f"{alias}.sector")
            elif name == "source":  # each source once per record, however often it is cited
                joins.append(
                    f"JOIN (SELECT DISTINCT src, dst FROM links WHERE field = 'evidence.source') {alias} "
                    f"ON {alias}.src = r.seq"
                )
                keys.append(f"{alias}.dst")
            else:
                joins.append(f"LEFT JOIN facets {alias} ON {alias}.seq = r.seq AND {alias}.name = ?")
                join_params.append(name)
                keys.append(f"{alias}.value")
        group = ", ".join(keys)
        sql = (
            f"SELECT {group + ', ' if keys else ''}COUNT(DISTINCT r.seq), COUNT(u.value), TOTAL(u.value) "
            + "FROM records r "
            + " ".join(joins)
            + " LEFT JOIN facets u ON u.seq = r.seq AND u.name = 'usd'"
            + f" WHERE {' AND '.join(where)}"
            + (f" GROUP BY {group}" if keys else "")
        )
        try:
            return [tuple(row) for row in self.connection.execute(sql, [*join_params, *params])]
        except (sqlite3.Error, ValueError, OverflowError) as error:
            raise StoreError(str(error)) from None

    def count(self, kind: str) -> int:
        found = self._all("SELECT n FROM kind_counts WHERE kind = ?", (kind,))
        return int(found[0][0]) if found else 0

    def counts(self) -> dict[str, int]:
        return {str(k): int(n) for k, n in self._all("SELECT kind, n FROM kind_counts")}

    def ids(self, prefix: str = "", limit: int = 200) -> list[tuple[str, str]]:
        """(id, name) of records whose id starts with ``prefix`` (for completion)."""
        upper = prefix + "\U0010ffff"
        return [
            (str(i), str(n))
            for i, n in self._all(
                "SELECT id, name FROM records WHERE id >= ? AND id < ? ORDER BY id LIMIT ?", (prefix, upper, limit)
            )
        ]

    def all_ids(self) -> list[str]:
        return [str(row[0]) for row in self._all("SELECT id FROM records ORDER BY seq")]

    # -- references ------------------------------------------------------------------------------

    def referrers(self, record_id: str, kind: str | None = None, field: str | None = None) -> list[Row]:
        """Records whose references name ``record_id`` (optionally of one kind, through one field)."""
        sql = f"SELECT DISTINCT {_COLUMNS} FROM links l JOIN records r ON r.seq = l.src WHERE l.dst = ?"
        params: list[Any] = [record_id]
        if field is not None:
            sql += " AND l.field = ?"
            params.append(field)
        if kind is not None:
            sql += " AND r.kind = ?"
            params.append(kind)
        return self._rows(sql + " ORDER BY r.seq", params)

    def references(self, seq: int) -> list[Row]:
        """Records that record ``seq`` names."""
        return self._rows(
            f"SELECT DISTINCT {_COLUMNS} FROM links l JOIN records r ON r.id = l.dst WHERE l.src = ? ORDER BY r.seq",
            (seq,),
        )

    # -- counts -------------------------------------------------------------------------------------

    def country_counts(self, country_id: str) -> dict[str, int]:
        return {
            str(k): int(n) for k, n in self._all("SELECT kind, n FROM country_counts WHERE country = ?", (country_id,))
        }

    def sector_count(self, sector_id: str) -> int:
        found = self._all("SELECT n FROM sector_counts WHERE sector = ?", (sector_id,))
        return int(found[0][0]) if found else 0

    def sector_depth(self, sector_id: str) -> int:
        found = self._all("SELECT max(depth) FROM sector_tree WHERE sector = ?", (sector_id,))
        return int(found[0][0] or 0) if found else 0

    def descendants(self, sector_id: str) -> list[str]:
        return [str(row[0]) for row in self._all("SELECT sector FROM sector_tree WHERE ancestor = ?", (sector_id,))]

    def citations(self, source_id: str) -> int:
        found = self._all("SELECT n FROM citations WHERE source = ?", (source_id,))
        return int(found[0][0]) if found else 0

    # -- search --------------------------------------------------------------------------------------

    def search(
        self, match: str, kinds: Sequence[str] | None = None, limit: int | None = None
    ) -> list[tuple[Row, float]]:
        """Records matching an FTS5 expression, best first (names weigh most, quotes least)."""
        weights = ", ".join(str(w) for w in WEIGHTS)
        sql = (
            f"SELECT {_COLUMNS}, bm25(search, {weights}) AS rank FROM search "
            "JOIN records r ON r.seq = search.rowid WHERE search MATCH ?"
        )
        params: list[Any] = [match]
        if kinds:
            sql += f" AND r.kind IN ({','.join('?' * len(kinds))})"
            params += list(kinds)
        sql += " ORDER BY rank, r.kind, r.id"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [(Row(*row[:9]), float(row[9])) for row in self._all(sql, params)]

    def check(self) -> None:
        """Raise StoreError unless the database answers a query over every table."""
        for table in ("meta", "files", "records", "kind_counts"):
            self._all(f"SELECT count(*) FROM {table}")
