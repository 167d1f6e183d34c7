"""A compiled, validated copy of the knowledge, so parsing and validating happen once per change.

The cache is a SQLite database per list of knowledge files, under the user's cache
directory (``$CCA_CACHE_DIR``, else ``$XDG_CACHE_HOME/cca``, else ``~/.cache/cca``):

* it is keyed on each file's resolved path, size, modification time and content
  hash, plus cca's version and the schema's hash: a file whose size or mtime
  changed is stale at once, and a file modified within two seconds of the cache
  being written (where mtime alone can't be trusted) is re-hashed;
* it holds only data (JSON text in SQLite); nothing read from it is executed;
* it is written to a temporary file and renamed into place, so readers never see
  a half-written cache and two writers at once leave one whole cache;
* anything wrong with it (corrupt, truncated, foreign, unreadable, a read-only or
  missing directory) means: load from the YAML files as if there were no cache.

Projects are indexed by country, so ``projects --country X`` reads only the rows it
needs, whatever the size of the knowledge.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import sqlite3
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from cca.model import RECORD_CLASSES, Origin, Record

FORMAT = 2
ENV_CACHE_DIR = "CCA_CACHE_DIR"
ENV_NO_CACHE = "CCA_NO_CACHE"
#: A file modified this close to the cache's writing is re-hashed: its mtime may not have ticked.
RACY_NS = 2_000_000_000
#: Kinds small enough to read whole when the cache opens (every answer refers to them).
REFERENCE_KINDS = ("country", "sector", "source")


def cache_dir() -> Path:
    explicit = os.environ.get(ENV_CACHE_DIR)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cca"


def disabled() -> bool:
    return os.environ.get(ENV_NO_CACHE, "").lower() in ("1", "true", "yes")


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fingerprint() -> str:
    """cca's version and the schema's content: a new version or schema invalidates every cache."""
    from cca import __version__
    from cca.knowledge import data_dir

    return f"{FORMAT}:{__version__}:{_hash_file(data_dir() / 'knowledge.schema.json')}"


def cache_path(files: Sequence[Path]) -> Path:
    names = "\0".join(str(path.resolve()) for path in files)
    return cache_dir() / f"knowledge-{hashlib.sha256(names.encode()).hexdigest()[:24]}.sqlite"


def capture(files: Sequence[Path]) -> dict[str, Any]:
    """The files' states before they are read: what a cache built from this read is valid for."""
    import time

    written_ns = time.time_ns()  # taken first: a change after this moment is caught as racy
    return {"written_ns": written_ns, "files": _file_states(files, with_hash=True)}


def _file_states(files: Sequence[Path], with_hash: bool) -> list[dict[str, Any]]:
    states = []
    for path in files:
        stat = path.stat()
        state: dict[str, Any] = {"path": str(path.resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
        if with_hash:
            state["sha256"] = _hash_file(path)
        states.append(state)
    return states


class Store:
    """Read access to one valid cache database."""

    def __init__(self, connection: sqlite3.Connection, labels: list[str]) -> None:
        self.connection = connection
        self.labels = labels

    def counts(self) -> dict[str, int]:
        return dict(self.connection.execute("SELECT kind, count(*) FROM records GROUP BY kind").fetchall())

    def _records(self, sql: str, params: Iterable[Any] = ()) -> list[Record]:
        rows = self.connection.execute(sql, tuple(params)).fetchall()
        return [_record(*row) for row in rows]

    def kind(self, kind: str) -> list[Record]:
        return self._records(f"{_SELECT} WHERE kind = ? ORDER BY seq", (kind,))

    def get(self, record_id: str) -> Record | None:
        found = self._records(f"{_SELECT} WHERE id = ?", (record_id,))
        return found[0] if found else None

    def ids(self) -> list[str]:
        return [row[0] for row in self.connection.execute("SELECT id FROM records ORDER BY seq")]

    def projects_in(self, country_ids: Iterable[str]) -> list[Record]:
        wanted = sorted(set(country_ids))
        marks = ",".join("?" for _ in wanted)
        return self._records(
            f"{_SELECT} WHERE kind = 'project' AND id IN "
            f"(SELECT project FROM project_country WHERE country IN ({marks})) ORDER BY seq",
            wanted,
        )

    def referencing(self, record_id: str) -> list[Record]:
        """Records whose data mention ``record_id`` (a superset of those that refer to it)."""
        return self._records(f"{_SELECT} WHERE instr(data, ?) > 0 ORDER BY seq", (json.dumps(record_id),))

    def citations(self, source_id: str) -> int:
        """Evidence entries citing ``source_id``, counted in the stored JSON without parsing it."""
        needle = '"source":' + json.dumps(source_id, ensure_ascii=False)
        row = self.connection.execute(
            "SELECT coalesce(sum((length(data) - length(replace(data, ?, ''))) / length(?)), 0) FROM records",
            (needle, needle),
        ).fetchone()
        return int(row[0])

    def search_candidates(self, words: list[str], compact: str) -> list[Record]:
        """Records whose folded text holds every word, or the words run together."""
        clause = " AND ".join("instr(search, ?) > 0" for _ in words) or "1"
        return self._records(
            f"{_SELECT} WHERE ({clause}) OR instr(search_compact, ?) > 0 ORDER BY seq", (*words, compact)
        )


_SELECT = "SELECT kind, id, parent, path, line, col, data FROM records"


@functools.cache
def _label(path: str) -> str:
    from cca.knowledge import label_for

    return label_for(Path(path))


def _record(kind: str, record_id: str, parent: str | None, path: str, line: int, col: int, data: str) -> Record:
    cls = RECORD_CLASSES.get(kind, Record)
    return cls(kind, record_id, json.loads(data), Origin(_label(path), line, col), parent)


def open_store(files: Sequence[Path]) -> Store | None:
    """The cache for ``files`` if it exists and is fresh; None otherwise (never raises)."""
    path = cache_path(files)
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        meta = dict(connection.execute("SELECT key, value FROM meta").fetchall())
        if meta.get("fingerprint") != _fingerprint():
            raise LookupError("other version or schema")
        written_ns = int(meta["written_ns"])
        stored = json.loads(meta["files"])
        current = _file_states(files, with_hash=False)
        if [s["path"] for s in stored] != [c["path"] for c in current]:
            raise LookupError("other files")
        racy = False
        for old, new, file in zip(stored, current, files, strict=True):
            if (old["size"], old["mtime_ns"]) != (new["size"], new["mtime_ns"]):
                raise LookupError("changed")
            if new["mtime_ns"] >= written_ns - RACY_NS:
                if _hash_file(file) != old["sha256"]:
                    raise LookupError("changed within the same tick")
                racy = True
        if racy:
            _settle(path, current)
        return Store(connection, [_label(str(file.resolve())) for file in files])
    except (sqlite3.Error, LookupError, KeyError, ValueError, TypeError, OSError):
        connection.close()
        return None


def _settle(path: Path, current: list[dict[str, Any]]) -> None:
    """Once every file's mtime lies safely in the past, say so, so later runs need not re-hash.

    The content was just hashed and matched; a file whose mtime is more than RACY_NS old
    cannot change again without its mtime moving, so the stat check suffices from now on.
    """
    import time

    now = time.time_ns()
    if any(state["mtime_ns"] >= now - RACY_NS for state in current):
        return
    with contextlib.suppress(sqlite3.Error, OSError):
        connection = sqlite3.connect(path, timeout=0.1)
        with connection:
            connection.execute("UPDATE meta SET value = ? WHERE key = 'written_ns'", (str(now),))
        connection.close()


def write_store(files: Sequence[Path], records: Sequence[Record], labels: Sequence[str], states: Any) -> None:
    """Write the cache for ``files`` atomically; give up quietly if that is not possible."""
    target = cache_path(files)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".knowledge-", suffix=".tmp", dir=target.parent)
        os.close(handle)
    except OSError:
        return
    try:
        connection = sqlite3.connect(temporary)
        with connection:
            _fill(connection, records, states, labels)
        connection.close()
        os.replace(temporary, target)
    except (OSError, sqlite3.Error):
        with contextlib.suppress(OSError):
            os.unlink(temporary)


def _search_texts(record: Record) -> tuple[str, str]:
    from cca.query import normalise, searchable_texts

    folded = " ".join(normalise(text) for text, _ in searchable_texts(record))
    return folded, folded.replace(" ", "")


def _fill(connection: sqlite3.Connection, records: Sequence[Record], states: Any, labels: Sequence[str]) -> None:
    connection.executescript(
        """
        PRAGMA journal_mode = OFF;
        PRAGMA synchronous = OFF;
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE records (
            seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, id TEXT NOT NULL UNIQUE, parent TEXT,
            path TEXT NOT NULL, line INTEGER NOT NULL, col INTEGER NOT NULL, data TEXT NOT NULL,
            search TEXT NOT NULL, search_compact TEXT NOT NULL
        );
        CREATE INDEX records_kind ON records (kind, seq);
        CREATE TABLE project_country (country TEXT NOT NULL, project TEXT NOT NULL);
        CREATE INDEX project_country_country ON project_country (country);
        """
    )
    # Paths are stored absolute; they are shown relative to wherever cca runs next.
    absolute = {label: state["path"] for label, state in zip(labels, states["files"], strict=False)}
    connection.executemany(
        "INSERT INTO records (kind, id, parent, path, line, col, data, search, search_compact) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            (
                r.kind,
                r.id,
                r.parent,
                absolute.get(r.origin.path, r.origin.path),
                r.origin.line,
                r.origin.column,
                json.dumps(r.data, ensure_ascii=False, separators=(",", ":")),
                *_search_texts(r),
            )
            for r in records
        ),
    )
    connection.executemany(
        "INSERT INTO project_country VALUES (?, ?)",
        ((country, r.id) for r in records if r.kind == "project" for country in r.data.get("countries", ())),
    )
    meta = {
        "fingerprint": _fingerprint(),
        "written_ns": str(states["written_ns"]),
        "files": json.dumps(states["files"]),
    }
    connection.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
