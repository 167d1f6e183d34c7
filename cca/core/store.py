"""The store: every record in SQLite, indexed for the questions cca answers.

One database holds the validated records and what is derived from them:

* ``records``: each record as written (``base``), with updates merged (``data``), and its
  JSON output (``view``), rendered once when the store is built, so listings stream text;
* ``files``: the knowledge files the records came from, each with the state it was compiled
  at, so that a changed file is compiled again on its own (its rows replaced in place);
* ``links``: every reference, both directions (``src`` record, ``field``, ``dst`` id, the
  ``target`` kind it must name), and ``update_refs`` for the references of ``updates:``;
* ``record_country`` / ``record_sector`` / ``sector_tree``: which countries and sectors each
  record concerns (directly, or through the records it names; a sector cca's rules derived from a
  dataset row's title is marked ``derived``);
* ``facts_<kind>``: plain typed columns for what is asked of a kind (a project's status,
  amounts, commitment year, recipient, aggregate flag), declared by the kind;
* ``parties``: one row per record and party (funder, co-financier, ...) with its role;
* ``units``: one row per record and administrative unit it touches (GCDF 3.0's ADM1/ADM2 files): the
  unit's level, name (and folded name), country and the record's share of its amount under both splits;
* ``search``: an FTS5 index over names, other names, prose, notes and quotes
  (see :mod:`cca.core.text` for how words and unspaced scripts are tokenised).

Questions are :class:`Clause` terms over the record alias ``r`` (the filter registry,
:mod:`cca.core.filters`, makes them); nothing reads every record to answer a narrow one.
Reading errors of any kind (a damaged or foreign file) surface as
:class:`~cca.core.errors.StoreError`, which means "rebuild", never a failure.
"""

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, NamedTuple

from cca.core.errors import QueryError, StoreError
from cca.core.registry import Kind, Registry
from cca.core.text import FTS_TOKENIZER

#: Bumped whenever the tables change shape.
FORMAT = 10
#: The store's own "file" of reference data that records name and no knowledge file defines.
REFERENCE = "(reference data)"

SCHEMA = f"""
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE files (
    file INTEGER PRIMARY KEY, position INTEGER NOT NULL,
    path BLOB NOT NULL, label BLOB NOT NULL, name BLOB NOT NULL, state TEXT, provenance TEXT
);
CREATE TABLE records (
    seq INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    file INTEGER NOT NULL,
    line INTEGER NOT NULL,
    col INTEGER NOT NULL,
    loc TEXT NOT NULL,
    parent TEXT,
    ord INTEGER NOT NULL,
    sort TEXT,
    base TEXT NOT NULL,
    data TEXT,
    view TEXT
);
CREATE TABLE updates (
    seq INTEGER PRIMARY KEY, file INTEGER NOT NULL, ord INTEGER NOT NULL, id TEXT NOT NULL,
    data TEXT NOT NULL, line INTEGER NOT NULL, col INTEGER NOT NULL, loc TEXT NOT NULL
);
CREATE TABLE links (src INTEGER NOT NULL, field TEXT NOT NULL, dst TEXT NOT NULL, target TEXT, path TEXT NOT NULL);
CREATE TABLE update_refs (
    src INTEGER NOT NULL, field TEXT NOT NULL, dst TEXT NOT NULL, target TEXT, path TEXT NOT NULL
);
CREATE TABLE parties (
    seq INTEGER NOT NULL, role TEXT NOT NULL, name TEXT NOT NULL, folded TEXT NOT NULL, agency_type TEXT
);
CREATE TABLE units (
    seq INTEGER NOT NULL, level TEXT NOT NULL, shape_id TEXT NOT NULL, name TEXT NOT NULL, folded TEXT NOT NULL,
    iso3 TEXT NOT NULL, intersection_ratio REAL, intersection_usd_2021 REAL, intersection_computed INTEGER,
    even_ratio REAL, even_usd_2021 REAL, even_computed INTEGER, "foreign" INTEGER NOT NULL
);
CREATE TABLE record_country (country TEXT NOT NULL, kind TEXT NOT NULL, seq INTEGER NOT NULL,
                             via INTEGER NOT NULL, PRIMARY KEY (country, kind, seq)) WITHOUT ROWID;
CREATE TABLE record_sector (sector TEXT NOT NULL, kind TEXT NOT NULL, seq INTEGER NOT NULL,
                            derived INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (sector, kind, seq)) WITHOUT ROWID;
CREATE TABLE family (seq INTEGER NOT NULL, key TEXT NOT NULL, how TEXT NOT NULL);
CREATE TABLE sector_tree (ancestor TEXT NOT NULL, sector TEXT NOT NULL, depth INTEGER NOT NULL,
                          PRIMARY KEY (ancestor, sector)) WITHOUT ROWID;
CREATE TABLE search_text (seq INTEGER PRIMARY KEY, names TEXT, aliases TEXT, body TEXT, notes TEXT, quotes TEXT);
CREATE VIRTUAL TABLE search USING fts5(
    names, aliases, body, notes, quotes,
    content='search_text', content_rowid='seq', tokenize='{FTS_TOKENIZER}', prefix='2 3'
);
CREATE INDEX records_id ON records (id);
CREATE INDEX records_key ON records (seq, kind, id);
CREATE INDEX records_kind ON records (kind, sort, ord);
CREATE INDEX records_file ON records (file);
CREATE INDEX records_parent ON records (parent) WHERE parent IS NOT NULL;
CREATE INDEX updates_id ON updates (id);
CREATE INDEX updates_file ON updates (file);
CREATE INDEX update_refs_src ON update_refs (src);
CREATE INDEX links_src ON links (src);
CREATE INDEX links_dst ON links (dst, field);
CREATE INDEX parties_seq ON parties (seq);
CREATE INDEX parties_role ON parties (role, folded);
CREATE INDEX units_seq ON units (seq);
CREATE INDEX units_level ON units (level, folded);
CREATE INDEX record_country_seq ON record_country (seq);
CREATE INDEX record_sector_seq ON record_sector (seq);
CREATE INDEX family_key ON family (key);
CREATE INDEX family_seq ON family (seq);
"""

#: Column weights for ranking: names, other names, prose, notes, quotes.
WEIGHTS = (10.0, 8.0, 4.0, 2.0, 1.0)

#: Link fields that say a source backs a record: a quote, a dataset row, a report.
EVIDENCE_FIELDS = ("evidence.quote", "evidence.record", "evidence.url")

_SQL_TYPES = {"string": "TEXT", "integer": "INTEGER", "number": "REAL", "boolean": "INTEGER"}


def facts_table(kind: Kind) -> str:
    return f"facts_{kind.name.replace('-', '_')}"


def facts_schema(kinds: Registry) -> str:
    """The typed facts tables the kinds declare (``Kind.facts``: output field -> JSON type)."""
    parts = []
    for kind in kinds:
        if kind.facts:
            columns = ", ".join(f"{_quote(name)} {_SQL_TYPES[kind_type]}" for name, kind_type in kind.facts.items())
            parts.append(f"CREATE TABLE {facts_table(kind)} (seq INTEGER PRIMARY KEY, {columns});")
            for name in kind.facts:
                parts.append(f"CREATE INDEX {facts_table(kind)}_{name} ON {facts_table(kind)} ({_quote(name)});")
    return "\n".join(parts)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class Clause(NamedTuple):
    """A condition on the record ``r`` (SQL with ``?`` parameters).

    ``candidates``: SQL (and its parameters) that gives the seqs the condition can hold for, from an
    index, when it is a set of records (a country's, a sector's): a query with few of them is driven
    from that set instead of walking the kind's index in order (see :data:`DRIVE_LIMIT`).
    """

    sql: str
    params: tuple[Any, ...] = ()
    candidates: tuple[str, tuple[Any, ...]] | None = None


#: A query whose narrowest clause holds for at most this many records is driven from them and sorted:
#: Laos's 600 projects at 100,000 are found in 4 ms, not 20 ms walking 100,000 entries of the kind's
#: index in order. Beyond it, walking in order (no sort of every record's output) is the better plan.
DRIVE_LIMIT = 2000


class Order(NamedTuple):
    """One sort term: an SQL expression over ``r`` (and ``f``, the kind's facts row), and its direction."""

    sql: str
    descending: bool = False


class Row(NamedTuple):
    """One record as stored (``data``: with updates merged; ``view``: its JSON output)."""

    seq: int
    kind: str
    id: str
    name: str
    file: int
    line: int
    col: int
    parent: str | None
    data: str
    view: str | None

    def decoded(self) -> dict[str, Any]:
        return decode(self.data, self.id)


def decode(text: str, record_id: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise StoreError(f"record {record_id!r} is not readable: {error}") from None
    if not isinstance(value, dict):
        raise StoreError(f"record {record_id!r} is not an object")
    return value


_COLUMNS = "r.seq, r.kind, r.id, r.name, r.file, r.line, r.col, r.parent, coalesce(r.data, r.base), r.view"


def _not_text(params: Sequence[Any]) -> QueryError:
    """A usage error naming the text that holds undecodable bytes (an argument's surrogate escapes)."""
    from cca.core.text import visible

    bad = next((p for p in params if isinstance(p, str) and any("\ud800" <= ch <= "\udfff" for ch in p)), "")
    return QueryError(f"'{visible(bad)}' is not text: it holds bytes that are not UTF-8")


#: SQLite virtual-machine steps between two chances to deliver a signal: well under a millisecond of work.
_STEPS = 10_000


def _deliver() -> int:
    """Called by SQLite as a query runs: entering Python delivers a pending signal (Ctrl-C) right here."""
    return 0


def interruptible(connection: sqlite3.Connection) -> sqlite3.Connection:
    """Let a signal stop any query of ``connection`` at once, not when the query ends.

    Python runs signal handlers only between its own instructions, never inside a long SQLite call.
    With a progress handler SQLite calls back into Python every few thousand steps; a pending
    SIGINT's KeyboardInterrupt (or SIGTERM's) is raised there, SQLite abandons the query as
    "interrupted", and :func:`check_interrupted` turns that back into KeyboardInterrupt. (A process
    that switches ``sqlite3.enable_callback_tracebacks`` on, as Datasette does, also sees SQLite
    report that exception as ignored.)
    """
    connection.set_progress_handler(_deliver, _STEPS)
    return connection


def check_interrupted(error: BaseException) -> None:
    """Raise KeyboardInterrupt if ``error`` is a query a signal stopped (see :func:`interruptible`)."""
    if isinstance(error, sqlite3.OperationalError) and str(error) == "interrupted":
        raise KeyboardInterrupt from None


class Store:
    """Questions asked of one store database; every answer comes through an index."""

    def __init__(self, connection: sqlite3.Connection, kinds: Registry | None = None) -> None:
        self.connection = connection
        self.kinds = kinds

    def close(self) -> None:
        self.connection.close()

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        try:
            return self.connection.execute(sql, params).fetchall()
        except UnicodeEncodeError:  # the question's text, not the store: an argument that is not UTF-8
            raise _not_text(params) from None
        except (sqlite3.Error, ValueError, OverflowError) as error:
            check_interrupted(error)
            raise StoreError(str(error)) from None

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return [Row(*row) for row in self._all(sql, params)]

    def _stream(self, sql: str, params: Sequence[Any]) -> Iterator[Any]:
        try:
            cursor = self.connection.execute(sql, params)
            while True:
                batch = cursor.fetchmany(500)
                if not batch:
                    return
                yield from batch
        except (sqlite3.Error, ValueError, OverflowError) as error:
            check_interrupted(error)
            raise StoreError(str(error)) from None

    def meta(self) -> dict[str, str]:
        return dict(self._all("SELECT key, value FROM meta"))

    def files(self) -> list[tuple[int, str, str, str]]:
        """(file, path, label, name) of each file, in load order; stored as bytes (a name need not be UTF-8)."""
        return [
            (int(file), os.fsdecode(path), os.fsdecode(label), os.fsdecode(name))
            for file, path, label, name in self._all("SELECT file, path, label, name FROM files ORDER BY position")
        ]

    def provenance(self) -> list[tuple[str, dict[str, Any]]]:
        """(file name, provenance) of each import file: what was imported, from which file, when."""
        out = []
        for name, text in self._all(
            "SELECT name, provenance FROM files WHERE provenance IS NOT NULL ORDER BY position"
        ):
            try:
                value = json.loads(text)
            except ValueError:
                continue
            if isinstance(value, dict):
                out.append((os.fsdecode(name), value))
        return out

    def file_states(self) -> dict[str, tuple[int, str | None]]:
        """Each file's absolute path -> (its number, the state it was compiled at)."""
        return {
            os.fsdecode(path): (int(file), state)
            for file, path, state in self._all("SELECT file, path, state FROM files")
        }

    # -- single records ----------------------------------------------------------------------------

    def get(self, record_id: str) -> Row | None:
        found = self._rows(f"SELECT {_COLUMNS} FROM records r WHERE r.id = ?", (record_id,))
        return found[0] if found else None

    def name_of(self, record_id: str) -> str | None:
        found = self._all("SELECT name FROM records WHERE id = ?", (record_id,))
        return str(found[0][0]) if found else None

    # -- lists -------------------------------------------------------------------------------------

    def _from(self, kind: str) -> str:
        found = self.kinds[kind] if self.kinds is not None and kind in self.kinds else None
        if found is not None and found.facts:
            return f"records r LEFT JOIN {facts_table(found)} f ON f.seq = r.seq"
        return "records r"

    @staticmethod
    def _where(kind: str, where: Sequence[Clause], driven: bool = False) -> tuple[str, list[Any]]:
        # "+r.kind" keeps SQLite from walking the kind's index: the narrow clause's set drives the query
        terms = ["+r.kind = ?" if driven else "r.kind = ?", *(clause.sql for clause in where)]
        params: list[Any] = [kind]
        for clause in where:
            params += clause.params
        return " AND ".join(terms), params

    def _driven(self, where: Sequence[Clause]) -> bool:
        """Whether a clause holds for so few records that they should drive the query."""
        for clause in where:
            if clause.candidates is not None:
                sql, params = clause.candidates
                found = self._all(f"SELECT count(*) FROM ({sql} LIMIT {DRIVE_LIMIT + 1})", params)
                if int(found[0][0]) <= DRIVE_LIMIT:
                    return True
        return False

    def _query(
        self, columns: str, kind: str, where: Sequence[Clause], order: Sequence[Order], limit: int | None
    ) -> tuple[str, list[Any]]:
        condition, params = self._where(kind, where, self._driven(where))
        terms = [f"{o.sql} {'DESC' if o.descending else 'ASC'} NULLS LAST" for o in order]
        ordered = ", ".join([*terms, "r.sort", "r.ord"])
        sql = f"SELECT {columns} FROM {self._from(kind)} WHERE {condition} ORDER BY {ordered}"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return sql, params

    def select(
        self, kind: str, where: Sequence[Clause] = (), order: Sequence[Order] = (), limit: int | None = None
    ) -> Iterator[Row]:
        """Records of ``kind`` meeting every clause, in ``order`` then the kind's own order, streamed."""
        for row in self._stream(*self._query(_COLUMNS, kind, where, order, limit)):
            yield Row(*row)

    def views(
        self, kind: str, where: Sequence[Clause] = (), order: Sequence[Order] = (), limit: int | None = None
    ) -> Iterator[str]:
        """The stored JSON output of the records :meth:`select` would give, as text."""
        for (view,) in self._stream(*self._query("r.view", kind, where, order, limit)):
            if not isinstance(view, str):
                raise StoreError("a record has no rendered output")
            yield view

    def names(self, kind: str, where: Sequence[Clause] = ()) -> Iterator[tuple[str, str]]:
        """(id, name) of the records :meth:`select` would give, with nothing decoded (an index's input)."""
        for record_id, name in self._stream(*self._query("r.id, r.name", kind, where, (), None)):
            yield str(record_id), str(name)

    def count(self, kind: str, where: Sequence[Clause] = ()) -> int:
        condition, params = self._where(kind, where)
        found = self._all(f"SELECT count(*) FROM {self._from(kind)} WHERE {condition}", params)
        return int(found[0][0])

    def grouped(
        self,
        kind: str,
        where: Sequence[Clause],
        keys: Sequence[str],
        joins: Sequence[str],
        amounts: Sequence[str],
        join_params: Sequence[Any] = (),
    ) -> Iterator[tuple[Any, ...]]:
        """(group keys..., seq, amounts...) for every record of ``kind`` meeting ``where``: the raw rows of a sum.

        ``keys`` and ``amounts`` are SQL expressions (over ``r``, ``f`` and the ``joins``, whose parameters are
        ``join_params``); the caller adds the amounts up exactly, so a sum never overflows or rounds away a cent.
        """
        condition, params = self._where(kind, where)
        selected = ", ".join([*keys, "r.seq", *amounts])
        sql = f"SELECT {selected} FROM {self._from(kind)} {' '.join(joins)} WHERE {condition}"
        yield from self._stream(sql, [*join_params, *params])

    def aggregate(
        self,
        kind: str,
        where: Sequence[Clause],
        expressions: Sequence[str],
        joins: Sequence[str] = (),
        join_params: Sequence[Any] = (),
    ) -> tuple[Any, ...]:
        """One row of SQL aggregates (``count(*)``, ``sum(...)``) over the records of ``kind`` meeting ``where``."""
        condition, params = self._where(kind, where)
        sql = f"SELECT {', '.join(expressions)} FROM {self._from(kind)} {' '.join(joins)} WHERE {condition}"
        found = self._all(sql, [*join_params, *params])
        return tuple(found[0]) if found else tuple(None for _ in expressions)

    def tallies(
        self, kind: str, where: Sequence[Clause], key: str, expressions: Sequence[str]
    ) -> list[tuple[Any, ...]]:
        """(key, aggregates...) per value of the SQL ``key`` over the records of ``kind`` meeting ``where``."""
        condition, params = self._where(kind, where)
        sql = f"SELECT {key}, {', '.join(expressions)} FROM {self._from(kind)} WHERE {condition} GROUP BY 1 ORDER BY 1"
        return [tuple(row) for row in self._all(sql, params)]

    def unit_names(self, level: str, prefix: str = "", limit: int = 200) -> list[tuple[str, str]]:
        """(name, ISO-3) of the administrative units at ``level`` whose folded name starts with ``prefix``."""
        from cca.core.text import fold

        start = fold(prefix)
        return [
            (str(name), str(iso3))
            for name, iso3 in self._all(
                "SELECT name, min(iso3) FROM units WHERE level = ? AND folded >= ? AND folded < ? "
                "GROUP BY folded ORDER BY folded LIMIT ?",
                (level, start, start + "\U0010ffff", limit),
            )
        ]

    def counts(self) -> dict[str, int]:
        return {str(k): int(n) for k, n in self._all("SELECT kind, count(*) FROM records GROUP BY kind")}

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
        return [str(row[0]) for row in self._all("SELECT id FROM records ORDER BY ord")]

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
        return self._rows(sql + " ORDER BY r.ord", params)

    def family(self, seq: int) -> list[tuple[Row, str, str, str]]:
        """Records that share a family key with record ``seq``: each with both sides' ties and the key."""
        found = self.connection.execute(
            "SELECT f2.seq, f1.how, f2.how, f1.key FROM family f1 JOIN family f2 ON f2.key = f1.key "
            "WHERE f1.seq = ? AND f2.seq != f1.seq ORDER BY f2.seq",
            (seq,),
        ).fetchall()
        rows = {
            row.seq: row
            for row in self._rows(
                f"SELECT {_COLUMNS} FROM records r WHERE r.seq IN (SELECT value FROM json_each(?))",
                (json.dumps(sorted({seq for seq, _, _, _ in found})),),
            )
        }
        return [(rows[other], mine, theirs, key) for other, mine, theirs, key in found if other in rows]

    def references(self, seq: int) -> list[Row]:
        """Records that record ``seq`` names."""
        return self._rows(
            f"SELECT DISTINCT {_COLUMNS} FROM links l JOIN records r ON r.id = l.dst WHERE l.src = ? ORDER BY r.ord",
            (seq,),
        )

    def through(self, field: str) -> list[tuple[str, str, int, int, int]]:
        """(record id, named id, file, line, col) of every reference through ``field`` (``same_as[]``).

        Records' references (with their updates merged in) are placed at the record; those of
        ``updates:`` entries, at the entry (an update may name what no record's field holds).
        """
        records = self._all(
            "SELECT r.id, l.dst, r.file, r.line, r.col FROM links l JOIN records r ON r.seq = l.src "
            "WHERE l.field = ? ORDER BY r.ord",
            (field,),
        )
        updates = self._all(
            "SELECT u.id, l.dst, u.file, u.line, u.col FROM update_refs l JOIN updates u ON u.seq = l.src "
            "WHERE l.field = ? ORDER BY u.ord",
            (field,),
        )
        return [(str(a), str(b), int(f), int(line), int(col)) for a, b, f, line, col in [*updates, *records]]

    def children(self, record_id: str, kind: str) -> list[Row]:
        return self._rows(
            f"SELECT {_COLUMNS} FROM records r WHERE r.parent = ? AND r.kind = ? ORDER BY r.ord", (record_id, kind)
        )

    # -- counts -------------------------------------------------------------------------------------

    def country_counts(self, country_id: str) -> dict[str, int]:
        return {
            str(k): int(n)
            for k, n in self._all(
                "SELECT kind, count(*) FROM record_country WHERE country = ? AND kind != 'country' GROUP BY kind",
                (country_id,),
            )
        }

    def sector_count(self, sector_id: str) -> int:
        found = self._all(
            "SELECT count(DISTINCT rs.seq) FROM sector_tree t JOIN record_sector rs ON rs.sector = t.sector "
            "WHERE t.ancestor = ?",
            (sector_id,),
        )
        return int(found[0][0]) if found else 0

    def sector_depth(self, sector_id: str) -> int:
        found = self._all("SELECT max(depth) FROM sector_tree WHERE sector = ?", (sector_id,))
        return int(found[0][0] or 0) if found else 0

    def citations(self, source_id: str) -> int:
        marks = ",".join("?" * len(EVIDENCE_FIELDS))
        found = self._all(
            f"SELECT count(*) FROM links WHERE dst = ? AND field IN ({marks})", (source_id, *EVIDENCE_FIELDS)
        )
        return int(found[0][0]) if found else 0

    # -- search --------------------------------------------------------------------------------------

    def search(
        self, match: str, kinds: Sequence[str] | None = None, limit: int | None = None
    ) -> list[tuple[Row, float]]:
        """Records matching an FTS5 expression, best first (names weigh most, quotes least)."""
        weights = ", ".join(str(w) for w in WEIGHTS)
        # Ranked and cut on small columns first (read from records_key, never the wide rows); only the
        # rows kept are read whole (a sort that carried every hit's stored record and output cost
        # three times the query at 20,000 records).
        ranked = (
            f"SELECT r.seq, r.kind, r.id, bm25(search, {weights}) AS rank FROM search "
            "JOIN records r INDEXED BY records_key ON r.seq = search.rowid WHERE search MATCH ?"
        )
        params: list[Any] = [match]
        if kinds:
            ranked += f" AND r.kind IN ({','.join('?' * len(kinds))})"
            params += list(kinds)
        ranked += " ORDER BY rank, r.kind, r.id"
        if limit is not None:
            ranked += " LIMIT ?"
            params.append(limit)
        sql = (
            f"SELECT {_COLUMNS}, hit.rank FROM ({ranked}) hit JOIN records r ON r.seq = hit.seq "
            "ORDER BY hit.rank, hit.kind, hit.id"
        )
        return [(Row(*row[:10]), float(row[10])) for row in self._all(sql, params)]

    def check(self) -> None:
        """Raise StoreError unless the database answers a query over every table (counting the links would
        read all of them: 600,000 at 100,000 projects, on every command)."""
        for table in ("meta", "files", "records"):
            self._all(f"SELECT count(*) FROM {table}")
        self._all("SELECT 1 FROM links LIMIT 1")


def chunks(values: Iterable[Any], size: int = 500) -> Iterator[list[Any]]:
    """Values in lists of at most ``size`` (SQLite caps the parameters of one statement)."""
    part: list[Any] = []
    for value in values:
        part.append(value)
        if len(part) == size:
            yield part
            part = []
    if part:
        yield part
