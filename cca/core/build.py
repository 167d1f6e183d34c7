"""Fill a store (:mod:`cca.core.store`) file by file, then derive what the changed files touch.

A store is built the same way whether it is new or a cached one being brought up to date:
each changed file's rows are removed (:meth:`Builder.remove_file`) and its records inserted
again as they stream in (:meth:`Builder.take` of :func:`prepare`); :meth:`Builder.finish` then merges
``updates:``, derives links, countries, sectors, typed facts, parties and search text, and
renders the JSON output of every record whose output may have changed: the records of the
changed files, the records they name and the records that name them, and the small
reference kinds whose counts move with everything. Records of unchanged files keep their
rows, so editing a five-line file beside a large import costs about five lines of work.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from cca.core import dates
from cca.core.checks import Digest, digest, path_text
from cca.core.registry import Kind, Registry
from cca.core.store import REFERENCE, SCHEMA, Store, chunks, facts_schema, facts_table
from cca.core.text import compact_json, fold, index_text, json_safe

if TYPE_CHECKING:
    from cca.core.kb import KnowledgeBase

#: Where the store's own reference data stands in the load order: after every file.
_REFERENCE_POSITION = 1 << 30
#: Fields an update appends to; ``notes`` are joined; anything else replaces. ``rejected_same_as``
#: stays with the update: a note for ``cca link suggest``, never a field of the record.
_LIST_FIELDS = ("evidence", "status", "progress", "aliases", "same_as")
#: Tables whose rows are all in before anything is derived: their indexes serve the deriving.
_FILLED_FIRST = ("records", "updates", "update_refs", "links")
#: Records per file position: ``ord`` is position * 2**32 + index, so load order survives replacement.
_SPAN = 1 << 32


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


#: A record's output as stored, made once (``json.dumps`` with options makes an encoder a call: a fifth of the time).
_VIEW = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode


def encode(record: Mapping[str, Any]) -> str:
    """A record as stored: compact JSON; NaN and infinities are refused (ValueError)."""
    return compact_json(record)


def _evidence_field(entry: Mapping[str, Any]) -> str:
    """The form of a piece of evidence: a quote, a dataset row, a report's page, or nothing checkable."""
    if entry.get("quote") is not None:
        return "evidence.quote"
    if entry.get("record") is not None:
        return "evidence.record"
    return "evidence.url" if entry.get("url") is not None else "evidence.bare"


def ref_rows(found: Digest) -> Iterator[tuple[str, str, str | None, str]]:
    """(field, id, target kind, path) of every reference in a record: fields, then evidence sources."""
    for path, target, value, where in found.refs:
        yield path, value, target, path_text(where)
    for entry, where in found.evidence:
        source = entry.get("source")
        if isinstance(source, str):
            yield _evidence_field(entry), source, "source", path_text((*where, "source"))


def merge(base: Mapping[str, Any], updates: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """A record with its ``updates:`` merged in, in load order."""
    data = dict(base)
    for update in updates:
        for key in _LIST_FIELDS:
            if key in update:
                data[key] = [*data.get(key, []), *update[key]]
        if "notes" in update:
            data["notes"] = "\n".join(filter(None, [data.get("notes"), update["notes"]]))
    return data


class Prepared(NamedTuple):
    """A record's rows, made from the record alone: what :meth:`Builder.take` stores (a plain tuple of text and
    numbers, so another process may make it)."""

    kind: str
    id: str
    name: str
    line: int
    column: int
    loc: str
    parent: str | None
    sort: str | None
    base: str
    #: (field, id, target kind, path) of each reference.
    links: list[tuple[str, str, str | None, str]]
    #: The search columns: names, other names, prose, notes, quotes.
    search: tuple[str, str, str, str, str]


def prepare(
    kind: Kind,
    record: Mapping[str, Any],
    line: int,
    column: int,
    loc: Sequence[Any],
    parent: str | None = None,
    found: Digest | None = None,
    base: str | None = None,
) -> Prepared:
    """A record's rows (``base``: its :func:`encode`, if the caller has it); ValueError for NaN or infinity."""
    if base is None:
        base = encode(record)
    name = display_name(kind, record)
    found = found or digest(kind, record)
    return Prepared(
        kind.name, record["id"], name, line, column, path_text(tuple(loc)), parent, _sort_key(kind, record, name), base,
        list(ref_rows(found)), search_columns(kind, name, record, found),
    )  # fmt: skip


class Builder:
    """Writes records into a store database, file by file, and derives what changed."""

    def __init__(self, connection: sqlite3.Connection, kinds: Registry, spread: Spread | None = None) -> None:
        self.db = connection
        self.kinds = kinds
        #: How a new store's rendering may use another process (None: all here).
        self.spread = spread
        self.fresh = connection.execute("SELECT count(*) FROM sqlite_master WHERE name = 'records'").fetchone()[0] == 0
        #: A new store's indexes, made once its rows are in: one sort per index instead of a
        #: B-tree insertion per row (a third of the store's writing time at 20,000 records).
        self._indexes: list[str] = []
        if self.fresh:  # statement by statement: executescript would end the caller's transaction
            for statement in (SCHEMA + facts_schema(kinds)).split(";"):
                if statement.strip().startswith("CREATE INDEX"):
                    self._indexes.append(statement)
                elif statement.strip():
                    connection.execute(statement)
        self._seq = int(connection.execute("SELECT coalesce(max(seq), 0) FROM records").fetchone()[0])
        self._update_seq = int(connection.execute("SELECT coalesce(max(seq), 0) FROM updates").fetchone()[0])
        #: Ids whose records or updates were added or removed: everything derived from them is redone.
        self.changed: set[str] = set()
        #: Sequence numbers of records whose derived rows were removed already (inserted afresh).
        self._bare: set[int] = set()
        self._records: list[tuple[Any, ...]] = []
        self._links: list[tuple[Any, ...]] = []
        self._search: list[tuple[Any, ...]] = []
        #: Records whose search text must be made again from their merged data.
        self._resay: set[int] = set()
        self._index = 0
        self._position = 0
        self._file = 0
        self._file_start = 0
        self._file_update_start = 0

    # -- files -----------------------------------------------------------------------------------

    def files(self) -> dict[str, tuple[int, str | None]]:
        """Each stored file's absolute path -> (its number, the state it was compiled at)."""
        return Store(self.db).file_states()

    def place_file(self, file: int, position: int, label: str, name: str) -> None:
        """Keep an unchanged file, at ``position`` in the load order (its records keep their rows)."""
        old = self.db.execute("SELECT position FROM files WHERE file = ?", (file,)).fetchone()
        self.db.execute("UPDATE files SET position = ?, label = ?, name = ? WHERE file = ?",
                        (position, os.fsencode(label), os.fsencode(name), file))  # fmt: skip
        if old is not None and old[0] != position:
            for table in ("records", "updates"):
                self.db.execute(
                    f"UPDATE {table} SET ord = ? + (ord % ?) WHERE file = ?", (position * _SPAN, _SPAN, file)
                )

    def remove_file(self, file: int) -> None:
        """Take every row of a file out (it changed, or is gone)."""
        self._forget(file)
        self.db.execute("DELETE FROM files WHERE file = ?", (file,))

    def begin_file(self, position: int, path: str, label: str, name: str) -> int:
        """A file about to be read; returns its number (records name it)."""
        self._flush()
        found = self.db.execute("SELECT coalesce(max(file), -1) + 1 FROM files").fetchone()
        file = int(found[0])
        self.db.execute(
            "INSERT INTO files VALUES (?, ?, ?, ?, ?, NULL, NULL)",
            (file, position, os.fsencode(path), os.fsencode(label), os.fsencode(name)),
        )
        self._file, self._position, self._index = file, position, 0
        self._file_start = self._seq + 1
        self._file_update_start = self._update_seq + 1
        return file

    def discard_file(self) -> None:
        """Forget the records added since :meth:`begin_file` (the file is being read again)."""
        self._records.clear()
        self._links.clear()
        self._search.clear()
        self._forget(self._file)
        self._index = 0

    def set_provenance(self, file: int, provenance: Mapping[str, Any]) -> None:
        """What an import file says of itself: the importer, the dataset's file, its digest, its rows."""
        self.db.execute("UPDATE files SET provenance = ? WHERE file = ?", (encode(provenance), file))

    def add_references(self, make: Callable[[str, str], Mapping[str, Any] | None]) -> None:
        """Records of reference data (a country of ISO 3166, a dataset's source) that a record names and no
        knowledge file defines: ``make(kind, id)`` gives one, or None (the reference stays unknown, a problem).
        They live in the store's own reference file; one no longer named, or now defined by a file, goes."""
        self._flush()
        db = self.db
        found = db.execute("SELECT file FROM files WHERE path = ?", (os.fsencode(REFERENCE),)).fetchone()
        if found is None:
            file = int(db.execute("SELECT coalesce(max(file), -1) + 1 FROM files").fetchone()[0])
            db.execute(
                "INSERT INTO files VALUES (?, ?, ?, ?, ?, 'reference', NULL)",
                (file, _REFERENCE_POSITION, *(os.fsencode(REFERENCE),) * 3),
            )
        else:
            file = int(found[0])
        stale = db.execute(
            "SELECT seq, id FROM records r WHERE r.file = ? AND ("
            "EXISTS (SELECT 1 FROM records o WHERE o.id = r.id AND o.file != r.file) OR ("
            "NOT EXISTS (SELECT 1 FROM links l WHERE l.dst = r.id) "
            "AND NOT EXISTS (SELECT 1 FROM update_refs u WHERE u.dst = r.id)))",
            (file,),
        ).fetchall()
        if stale:
            self.changed.update(record_id for _, record_id in stale)
            seqs = [seq for seq, _ in stale]
            for part in chunks(seqs):
                self._drop_derived(part)
                marks = ",".join("?" * len(part))
                db.execute(f"DELETE FROM links WHERE src IN ({marks})", part)
                db.execute(f"DELETE FROM records WHERE seq IN ({marks})", part)
        missing = db.execute(
            "SELECT DISTINCT target, dst FROM "
            "(SELECT target, dst FROM links UNION ALL SELECT target, dst FROM update_refs) "
            "WHERE target IN ('country', 'source') AND dst NOT IN (SELECT id FROM records)"
        ).fetchall()
        made = [(kind, make(kind, record_id)) for kind, record_id in sorted(missing)]
        taken = {  # a country the knowledge has under another id keeps it: no second record for its codes
            str(value).casefold()
            for (text,) in db.execute("SELECT coalesce(data, base) FROM records WHERE kind = 'country'")
            for key, value in json.loads(text).items()
            if key in ("iso2", "iso3", "name", "official_name") and isinstance(value, str)
        }
        chosen = [
            (kind, record)
            for kind, record in made
            if record is not None and not (kind == "country" and taken & _names(record))
        ]
        if not chosen:
            return
        saved = (self._file, self._position, self._index)
        self._file, self._position = file, _REFERENCE_POSITION
        self._index = int(db.execute("SELECT count(*) FROM records WHERE file = ?", (file,)).fetchone()[0])
        try:
            for kind_name, record in chosen:
                kind = self.kinds[kind_name]
                self.take(prepare(kind, record, 1, 1, (kind.section, self._index)))
            self._flush()
        finally:
            self._file, self._position, self._index = saved

    def end_file(self, state: str | None) -> None:
        self._flush()
        self.db.execute("UPDATE files SET state = ? WHERE file = ?", (state, self._file))

    def _forget(self, file: int) -> None:
        self._flush()
        db = self.db
        self.changed.update(row[0] for row in db.execute("SELECT id FROM records WHERE file = ?", (file,)))
        self.changed.update(row[0] for row in db.execute("SELECT id FROM updates WHERE file = ?", (file,)))
        seqs = [row[0] for row in db.execute("SELECT seq FROM records WHERE file = ?", (file,))]
        for part in chunks(seqs):
            self._drop_derived(part)
            marks = ",".join("?" * len(part))
            db.execute(f"DELETE FROM links WHERE src IN ({marks})", part)
        db.execute("DELETE FROM records WHERE file = ?", (file,))
        db.execute("DELETE FROM update_refs WHERE src IN (SELECT seq FROM updates WHERE file = ?)", (file,))
        db.execute("DELETE FROM updates WHERE file = ?", (file,))

    # -- records ---------------------------------------------------------------------------------

    def take(self, ready: Prepared) -> None:
        """One record made ready by :func:`prepare` (in this process or another), in load order."""
        self._seq += 1
        seq = self._seq
        self._records.append(
            (seq, ready.kind, ready.id, ready.name, self._file, ready.line, ready.column, ready.loc, ready.parent,
             self._position * _SPAN + self._index, ready.sort, ready.base)
        )  # fmt: skip
        self._index += 1
        self._links.extend((seq, *link) for link in ready.links)
        self._search.append((seq, *ready.search))
        self.changed.add(ready.id)
        self._bare.add(seq)
        if len(self._records) >= 2000:
            self._flush()

    def add_update(self, update: Mapping[str, Any], line: int, column: int, loc: Sequence[Any], found: Digest) -> None:
        """One ``updates:`` entry; its references are kept apart (``update_refs``) to be checked."""
        self._flush()
        self._update_seq += 1
        self.db.execute(
            "INSERT INTO updates VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (self._update_seq, self._file, self._position * _SPAN + self._index, update["id"], encode(update),
             line, column, path_text(tuple(loc))),
        )  # fmt: skip
        self._index += 1
        self.db.executemany(
            "INSERT INTO update_refs VALUES (?, ?, ?, ?, ?)",
            [(self._update_seq, field, value, target, path) for field, value, target, path in ref_rows(found)],
        )
        self.changed.add(update["id"])

    def _flush(self) -> None:
        if self._records:
            self.db.executemany(
                "INSERT INTO records (seq, kind, id, name, file, line, col, loc, parent, ord, sort, base) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                self._records,
            )
            self._records.clear()
        if self._links:
            self.db.executemany("INSERT INTO links VALUES (?, ?, ?, ?, ?)", self._links)
            self._links.clear()
        if self._search:
            self.db.executemany("INSERT INTO search_text VALUES (?, ?, ?, ?, ?, ?)", self._search)
            self._search.clear()

    # -- deriving ---------------------------------------------------------------------------------

    def _drop_derived(self, seqs: Sequence[int]) -> None:
        """Remove what was derived from these records (their search entries from the index too)."""
        marks = ",".join("?" * len(seqs))
        db = self.db
        old = db.execute(
            f"SELECT seq, names, aliases, body, notes, quotes FROM search_text WHERE seq IN ({marks})", seqs
        )
        db.executemany(
            "INSERT INTO search (search, rowid, names, aliases, body, notes, quotes) "
            "VALUES ('delete', ?, ?, ?, ?, ?, ?)",
            old.fetchall(),
        )
        for table in ("search_text", "record_country", "record_sector", "parties", "family", "units"):
            db.execute(f"DELETE FROM {table} WHERE seq IN ({marks})", seqs)
        for kind in self.kinds:
            if kind.facts:
                db.execute(f"DELETE FROM {facts_table(kind)} WHERE seq IN ({marks})", seqs)

    def finish(self, meta: Mapping[str, str], analyse: bool = False) -> None:
        """Merge updates and derive everything the changed records touch; then write ``meta``."""
        self.rows_in()
        db = self.db
        affected = self._affected()
        self._merge(affected)
        self._derive(affected)
        self._make_indexes(("record_country", "record_sector"))
        self._via()
        self._trees()
        self._render(affected)
        self._make_indexes(())
        db.execute("DELETE FROM meta")
        db.executemany("INSERT INTO meta VALUES (?, ?)", sorted(meta.items()))
        if self.fresh or analyse:
            # Statistics for the query planner: with them it drives a filtered listing from the
            # small side (the 600 projects of one country) instead of scanning every project.
            db.execute("PRAGMA analysis_limit = 1000")
            db.execute("ANALYZE")
        self.changed.clear()
        self._bare.clear()
        self._resay.clear()

    def rows_in(self) -> None:
        """Every record read is written: the checks and the deriving may query them (by their indexes)."""
        self._flush()
        self._make_indexes(_FILLED_FIRST)

    def _make_indexes(self, tables: Sequence[str]) -> None:
        """Make a new store's indexes on ``tables`` (all that are left, if none is named)."""
        for statement in list(self._indexes):
            table = statement.split(" ON ", 1)[1].split("(", 1)[0].strip()
            if not tables or table in tables:
                self.db.execute(statement)
                self._indexes.remove(statement)

    def _affected(self) -> list[tuple[int, str, str]]:
        """(seq, kind, id) of the records whose ids changed (or all, in a new store)."""
        if self.fresh:
            return [(int(s), str(k), str(i)) for s, k, i in self.db.execute("SELECT seq, kind, id FROM records")]
        out: list[tuple[int, str, str]] = []
        for part in chunks(sorted(self.changed)):
            marks = ",".join("?" * len(part))
            out += self.db.execute(f"SELECT seq, kind, id FROM records WHERE id IN ({marks})", part).fetchall()
        return out

    def _merge(self, affected: Sequence[tuple[int, str, str]]) -> None:
        """``data``: each affected record's base with the updates that name it, in load order."""
        db = self.db
        targets = {row[0] for row in db.execute("SELECT DISTINCT id FROM updates")}
        for seq, kind_name, record_id in affected:
            if record_id not in targets:
                if self.fresh:
                    continue  # a new store has merged nothing yet
                unmerged = db.execute("UPDATE records SET data = NULL WHERE seq = ? AND data IS NOT NULL", (seq,))
                if unmerged.rowcount:  # its updates are gone: so are the links and words they gave it
                    base = json.loads(db.execute("SELECT base FROM records WHERE seq = ?", (seq,)).fetchone()[0])
                    self._resay.add(seq)
                    self._relink(seq, kind_name, base)
                continue
            base = json.loads(db.execute("SELECT base FROM records WHERE seq = ?", (seq,)).fetchone()[0])
            found = db.execute("SELECT data FROM updates WHERE id = ? ORDER BY ord", (record_id,)).fetchall()
            merged = merge(base, (json.loads(text) for (text,) in found))
            db.execute("UPDATE records SET data = ? WHERE seq = ?", (encode(merged), seq))
            # its links and search text are those of the merged record: what the updates name, it names
            self._resay.add(seq)
            self._relink(seq, kind_name, merged)

    def _relink(self, seq: int, kind_name: str, record: Mapping[str, Any]) -> None:
        self.db.execute("DELETE FROM links WHERE src = ?", (seq,))
        self.db.executemany(
            "INSERT INTO links VALUES (?, ?, ?, ?, ?)",
            [(seq, *row) for row in ref_rows(digest(self.kinds[kind_name], record))],
        )

    def _derive(self, affected: Sequence[tuple[int, str, str]]) -> None:
        """Countries, sectors and search text of each affected record, from its merged data."""
        db = self.db
        stale = [seq for seq, _, _ in affected if seq not in self._bare]
        for part in chunks(stale):
            self._drop_derived(part)
        for part in chunks(sorted(set(stale) | self._resay)):
            marks = ",".join("?" * len(part))
            db.execute(f"DELETE FROM search_text WHERE seq IN ({marks})", part)
            rows = db.execute(
                f"SELECT seq, kind, name, coalesce(data, base) FROM records WHERE seq IN ({marks})", part
            ).fetchall()
            said = []
            for seq, kind_name, name, text in rows:
                kind = self.kinds[kind_name]
                record = json.loads(text)
                said.append(search_row(kind, seq, name, record, digest(kind, record)))
            db.executemany("INSERT INTO search_text VALUES (?, ?, ?, ?, ?, ?)", said)
        within = "" if self.fresh else " AND l.src IN (SELECT value FROM json_each(?))"
        seqs = [] if self.fresh else [json.dumps([seq for seq, _, _ in affected])]
        direct = [(kind.name, path) for kind in self.kinds for path in kind.countries]
        if direct:
            db.execute(
                "INSERT OR IGNORE INTO record_country SELECT l.dst, r.kind, l.src, 0 FROM links l "
                f"JOIN records r ON r.seq = l.src WHERE (r.kind, l.field) IN (VALUES {_pairs(direct)}){within}",
                [*_flat(direct), *seqs],
            )
        db.execute(
            "INSERT OR IGNORE INTO record_country SELECT id, kind, seq, 0 FROM records WHERE kind = 'country'"
            + ("" if self.fresh else " AND seq IN (SELECT value FROM json_each(?))"),
            seqs,
        )
        sectors = [(kind.name, path) for kind in self.kinds for path in kind.sectors]
        if sectors:
            db.execute(
                "INSERT OR IGNORE INTO record_sector SELECT l.dst, r.kind, l.src, 0 FROM links l "
                f"JOIN records r ON r.seq = l.src WHERE (r.kind, l.field) IN (VALUES {_pairs(sectors)}){within}",
                [*_flat(sectors), *seqs],
            )
        if self.fresh:
            db.execute("INSERT INTO search(search) VALUES ('rebuild')")
            return
        for part in chunks([seq for seq, _, _ in affected]):
            marks = ",".join("?" * len(part))
            db.execute(
                "INSERT INTO search (rowid, names, aliases, body, notes, quotes) "
                f"SELECT seq, names, aliases, body, notes, quotes FROM search_text WHERE seq IN ({marks})",
                part,
            )

    def _via(self) -> None:
        """Countries a record concerns through the records it names (a statement about a project)."""
        db = self.db
        via = [(kind.name, path) for kind in self.kinds for path in kind.via]
        db.execute("DELETE FROM record_country WHERE via = 1")
        if via:
            # from the records of the kinds that have such fields (a few statements), never a scan of every link
            for kind_name, path in via:
                db.execute(
                    "INSERT OR IGNORE INTO record_country SELECT rc.country, r.kind, l.src, 1 FROM records r "
                    "CROSS JOIN links l ON l.src = r.seq JOIN records t ON t.id = l.dst "
                    "JOIN record_country rc ON rc.seq = t.seq AND rc.via = 0 WHERE r.kind = ? AND l.field = ?",
                    (kind_name, path),
                )

    def _trees(self) -> None:
        """Tree order for kinds listed as trees, and the sector closure (ancestor, sector, depth)."""
        for kind in self.kinds:
            if kind.order != "tree":
                continue
            rows = self.db.execute(
                "SELECT seq, id, name, coalesce(data, base) FROM records WHERE kind = ?", (kind.name,)
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
                closure += [(ancestor, record_id, len(chain) - 1) for ancestor in chain]
                path = "\x1f".join(names[node].casefold() + "\x1e" + node for node in reversed(chain))
                sort.append((path, seqs[record_id]))
            self.db.executemany("UPDATE records SET sort = ? WHERE seq = ?", sort)
            if kind.name == "sector":
                self.db.execute("DELETE FROM sector_tree")
                self.db.executemany("INSERT OR IGNORE INTO sector_tree VALUES (?, ?, ?)", closure)

    # -- rendering ---------------------------------------------------------------------------------

    def _render_set(self, affected: Sequence[tuple[int, str, str]]) -> list[int]:
        """Records whose output may have changed: the affected ones, what they name, what names them,
        their parents (an aspect shows its actions) and the reference kinds (they show counts)."""
        db = self.db
        if self.fresh:
            return [row[0] for row in db.execute("SELECT seq FROM records")]
        out: set[int] = {seq for seq, _, _ in affected}
        ids = sorted({record_id for _, _, record_id in affected} | self.changed)
        for part in chunks(ids):
            marks = ",".join("?" * len(part))
            out.update(row[0] for row in db.execute(f"SELECT src FROM links WHERE dst IN ({marks})", part))
            out.update(
                row[0]
                for row in db.execute(
                    f"SELECT r.seq FROM records r JOIN records c ON c.parent = r.id WHERE c.id IN ({marks})", part
                )
            )
        for part in chunks(sorted(seq for seq, _, _ in affected)):
            marks = ",".join("?" * len(part))
            out.update(
                row[0]
                for row in db.execute(
                    f"SELECT r.seq FROM links l JOIN records r ON r.id = l.dst WHERE l.src IN ({marks})", part
                )
            )
        reference = [kind.name for kind in self.kinds if kind.reference_data]
        if reference:
            marks = ",".join("?" * len(reference))
            out.update(row[0] for row in db.execute(f"SELECT seq FROM records WHERE kind IN ({marks})", reference))
        return sorted(out)

    def _render(self, affected: Sequence[tuple[int, str, str]]) -> None:
        """Each record's JSON output, its typed facts and its parties, from the views (one rule each)."""
        from cca.core.kb import KnowledgeBase

        seqs = self._render_set(affected)
        if not seqs:
            return
        db = self.db
        kb = KnowledgeBase(Store(db, self.kinds), [])
        facts = tuple(kind for kind in self.kinds if kind.facts)
        if not self.fresh:
            for part in chunks(seqs):
                marks = ",".join("?" * len(part))
                db.execute(f"DELETE FROM parties WHERE seq IN ({marks})", part)
                db.execute(f"DELETE FROM units WHERE seq IN ({marks})", part)
                for kind in facts:
                    db.execute(f"DELETE FROM {facts_table(kind)} WHERE seq IN ({marks})", part)
        # what is read from the dataset rows that changed: finer sectors by cca's rules, marked derived, and the
        # ties of their families, taken from their output (it holds both: one reading, never two)
        read_again = frozenset(seq for seq, kind, _ in affected if kind == "project")
        work = Renderer(read_again, facts)
        parts = list(chunks(seqs))
        # a new store's parts may be rendered by two processes (the caller's spread); an update renders here
        spread = self.spread if self.fresh else None
        done = (work(kb, part) for part in parts) if spread is None else spread(parts, work, kb)
        whole = Rendered([], [], [], [], [], {kind.name: [] for kind in facts})
        for rendered in done:
            db.executemany("UPDATE records SET view = ? WHERE seq = ?", rendered.views)
            whole.derived.extend(rendered.derived)
            whole.ties.extend(rendered.ties)
            whole.parties.extend(rendered.parties)
            whole.units.extend(rendered.units)
            for name, rows in rendered.facts.items():
                whole.facts[name].extend(rows)
        db.executemany("INSERT OR IGNORE INTO record_sector VALUES (?, ?, ?, 1)", whole.derived)
        db.executemany("INSERT INTO family VALUES (?, ?, ?)", whole.ties)
        db.executemany("INSERT INTO parties VALUES (?, ?, ?, ?, ?)", whole.parties)
        db.executemany(f"INSERT INTO units VALUES ({', '.join('?' * 13)})", whole.units)
        for kind in facts:
            marks = ",".join("?" * (len(kind.facts) + 1))
            db.executemany(f"INSERT INTO {facts_table(kind)} VALUES ({marks})", whole.facts[kind.name])


class Rendered(NamedTuple):
    """What rendering some records gives: their output, and the rows the store derives from it."""

    views: list[tuple[str, int]]
    derived: list[tuple[str, str, int]]
    ties: list[tuple[int, str, str]]
    parties: list[tuple[Any, ...]]
    units: list[tuple[Any, ...]]
    facts: dict[str, list[tuple[Any, ...]]]


class Renderer:
    """Renders a part of the records (a list of seqs) from a knowledge base: the same in any process."""

    def __init__(self, read_again: frozenset[int], facts: Sequence[Kind]) -> None:
        self.read_again = read_again
        self.facts = {kind.name: kind for kind in facts}

    def __call__(self, kb: KnowledgeBase, part: list[int]) -> Rendered:
        from cca.core import families
        from cca.core.views import record_view

        out = Rendered([], [], [], [], [], {name: [] for name in self.facts})
        for seq, record in kb.records_at(part):
            view = record_view(record, kb)
            out.views.append((encode_view(view), seq))
            if seq in self.read_again and isinstance(view.get("dataset"), Mapping):
                out.derived.extend((found["sector"], record.kind, seq) for found in view.get("derived_sectors", ()))
                out.ties.extend((seq, key, how) for key, how in families.keys(view))
            typed = self.facts.get(record.kind)
            if typed is not None:
                out.facts[typed.name].append((seq, *[_fact(view.get(name)) for name in typed.facts]))
            for party in view.get("parties") or ():
                if isinstance(party, dict) and isinstance(party.get("name"), str):
                    name = party["name"]
                    out.parties.append((seq, str(party.get("role") or ""), name, fold(name), party.get("agency_type")))
            out.units.extend(unit_rows_of(seq, view))
        return out


#: How rendering may be spread over processes: ``spread(parts, work, kb)`` gives ``work(kb, part)`` of
#: every part, in order, computing some of them elsewhere if it can (see :mod:`cca.io.spread`).
Spread = Callable[[Sequence[list[int]], Renderer, "KnowledgeBase"], Iterable[Rendered]]


def unit_rows_of(seq: int, view: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    """The ``units`` rows of a record: each administrative unit its output's ``location.units`` names."""
    location = view.get("location")
    units = location.get("units") if isinstance(location, Mapping) else None
    out: list[tuple[Any, ...]] = []
    for unit in units if isinstance(units, list) else ():
        if not isinstance(unit, Mapping) or not all(isinstance(unit.get(k), str) for k in ("level", "name", "iso3")):
            continue
        shares = []
        for split in ("intersection", "even"):
            given = unit.get(split)
            share: Mapping[str, Any] = given if isinstance(given, Mapping) else {}
            computed = share.get("computed")
            shares += [share.get("ratio"), share.get("usd_2021"), None if computed is None else int(bool(computed))]
        out.append(
            (seq, unit["level"], str(unit.get("shape_id") or ""), unit["name"], fold(unit["name"]), unit["iso3"],
             *shares, int(bool(unit.get("foreign"))))
        )  # fmt: skip
    return out


def search_row(kind: Kind, seq: int, name: str, record: Mapping[str, Any], found: Digest) -> tuple[Any, ...]:
    """A record's row of the search text: its seq, then its :func:`search_columns`."""
    return (seq, *search_columns(kind, name, record, found))


def search_columns(kind: Kind, name: str, record: Mapping[str, Any], found: Digest) -> tuple[str, str, str, str, str]:
    """What full-text search holds of a record: names, other names, prose, notes and quotes."""
    columns: dict[str, list[str]] = {
        "names": [name],
        "aliases": [str(record["id"]).replace("-", " ")],
        "body": [],
        "notes": [],
    }
    for field, column in kind.search.items():
        value = _at(record, field)
        if isinstance(value, str):
            if value != name or column != "names":
                columns[column].append(value)
        elif isinstance(value, list):
            columns[column].extend(str(item) for item in value if isinstance(item, (str, int, float)))
    quotes = [e["quote"] for e, _ in found.evidence if isinstance(e.get("quote"), str)]
    return (
        index_text("\n".join(columns["names"])),
        index_text("\n".join(columns["aliases"])),
        index_text("\n".join(columns["body"])),
        index_text("\n".join(columns["notes"])),
        index_text("\n".join(quotes)),
    )


def _names(country: Mapping[str, Any]) -> set[str]:
    return {str(country.get(key, "")).casefold() for key in ("iso2", "iso3", "name")}


def _pairs(pairs: Sequence[tuple[str, str]]) -> str:
    return ", ".join("(?, ?)" for _ in pairs)


def _flat(pairs: Sequence[tuple[str, str]]) -> list[str]:
    return [item for pair in pairs for item in pair]


def _at(record: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path (``dataset.fields.Staff Comments``), or None."""
    value: Any = record
    for step in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(step)
    return value


def _fact(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float, str)) or value is None:
        return value
    return None


def encode_view(view: Mapping[str, Any]) -> str:
    """A record's JSON output as stored: one line, UTF-8, as a listing prints it in a pipe (the output
    path escapes what a terminal must not see, and re-encodes for an ASCII stdout or a person)."""
    return json_safe(_VIEW(view))
