"""Find, read, validate and compile knowledge files into a store; keep the store as a trusted cache.

A load reads each file with the fast reader when it can and the reference reader when
it must (:mod:`cca.io.yaml`), or as JSON Lines (:mod:`cca.io.lines`), checks each record
against the schema (:mod:`cca.core.schema`) and across records (:mod:`cca.core.checks`),
and writes the records into a store (:mod:`cca.core.store`) as they come. Every problem
is reported at once as ``file:line:col: message``; nothing half-loaded is ever answered from.

The store is kept in the user's cache directory, one per choice of knowledge (the bundled
file, the knowledge directory, the extra paths). Each file's rows carry the state it was
compiled at (path, size, modification and change times, inode); when a file changes, is
added or goes, only its rows are compiled again, in one transaction that readers never see
half done (SQLite's write-ahead log: a reader keeps the snapshot it began with, a killed
writer leaves the store as it was). The store is trusted only if the directory and the file
belong to the user and nobody else can write them; otherwise the store is built in memory,
with a note. Anything wrong with a cached store means: build it again.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import stat
import time
import zlib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from cca.core.errors import KnowledgeError, Problem, StoreError
from cca.core.kb import KnowledgeBase
from cca.core.kinds import KINDS
from cca.core.registry import Registry
from cca.core.settings import KnowledgeFile, Settings, label_for
from cca.core.store import FORMAT, REFERENCE, Store, check_interrupted, interruptible

Report = Callable[[str], None]
#: Compiled stores kept in the cache directory, most recently used first; older ones are removed.
KEEP_STORES = 8


#: What a knowledge file is called: YAML written by people, JSON Lines written by cca's importers.
SUFFIXES = (".yaml", ".yml", ".jsonl")


def knowledge_files(directory: Path) -> list[Path]:
    """The knowledge files of a directory, by name (hidden files, such as an import in progress, left out)."""
    try:
        entries = sorted(directory.iterdir())
    except OSError as error:
        raise KnowledgeError([Problem(label_for(directory), 0, 0, f"cannot list: {error.strerror or error}")]) from None
    return [p for p in entries if p.suffix in SUFFIXES and not p.name.startswith(".")]


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:  # a name too long, a permission: the reader says what, positioned
        return False


def _identity(path: Path) -> str:
    try:
        return str(path.resolve())
    except (OSError, RuntimeError):  # a loop or a name too long: the reader reports it
        return str(path.absolute())


def discover(settings: Settings, *, adding: Path | None = None) -> list[KnowledgeFile]:
    """The files to load, in order: bundled, the user's knowledge directory, then ``settings.knowledge``.

    A file named twice (``cca validate data/knowledge.yaml`` names the bundled file again) is loaded once.
    ``adding``: a file of the knowledge directory that is about to be (an import's, before its rename).
    """
    files: list[KnowledgeFile] = []
    seen: set[str] = set()

    def add(path: Path, defined_as: str) -> None:
        identity = _identity(path)
        if identity not in seen:
            seen.add(identity)
            files.append(KnowledgeFile(path, label_for(path), defined_as))

    if settings.bundled:
        add(settings.bundled_file, settings.bundled_file.name)
    if settings.data_dir is not None and _is_dir(settings.data_dir):
        found = knowledge_files(settings.data_dir)
        if adding is not None and adding not in found:
            found = sorted([*found, adding])
        for path in found:
            add(path, path.name)
    for entry in settings.knowledge:
        if _is_dir(entry):
            found = knowledge_files(entry)
            if not found:
                raise KnowledgeError(
                    [Problem(label_for(entry), 0, 0, "no knowledge files (*.yaml, *.yml, *.jsonl) in this directory")]
                )
            for path in found:
                add(path, str(path.relative_to(entry)))
        else:
            add(entry, entry.name)
    if not files:
        raise KnowledgeError([Problem("<knowledge>", 0, 0, "no knowledge files to load")])
    return files


# -- the cache --------------------------------------------------------------------------------------------


def file_state(path: Path) -> str:
    """What says a file is unchanged: its resolved path, size, modification and change times, inode and device."""
    info = os.stat(path)
    return json.dumps([str(path.resolve()), info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev])


def _states(files: Sequence[KnowledgeFile]) -> list[str | None]:
    out: list[str | None] = []
    for file in files:
        try:
            out.append(file_state(file.path))
        except (OSError, ValueError):  # a missing file: the reader says which, in its words
            out.append(None)
    return out


def _digest(text: str) -> str:
    """A short, stable digest (for names and fingerprints; the metadata holds the full facts)."""
    data = text.encode("utf-8", "surrogateescape")
    return f"{zlib.crc32(data):08x}{zlib.adler32(data):08x}{len(data):x}"


def _fingerprint(settings: Settings, kinds: Registry) -> str:
    """What every row of a store depends on: cca's version, the store's shape, the kinds and the schema file."""
    from cca.version import __version__

    try:
        schema = file_state(settings.schema_file)
    except OSError:
        schema = "?"
    return f"{FORMAT}:{__version__}:{_digest(kinds.version())}:{_digest(schema)}"


def _cache_path(cache_dir: Path, settings: Settings, kinds: Registry) -> Path:
    """One store per choice of knowledge (not per list of files: a file added to a directory updates it)."""
    chosen = [
        str(settings.bundled_file.absolute()) if settings.bundled else "",
        str(settings.data_dir.absolute()) if settings.data_dir is not None and _is_dir(settings.data_dir) else "",
        *(str(Path(entry).absolute()) for entry in settings.knowledge),
    ]
    return cache_dir / f"knowledge-{_digest(chr(0).join(chosen))}-{_digest(_fingerprint(settings, kinds))}.sqlite"


def _untrusted(info: os.stat_result) -> str | None:
    """Why a cache directory or file must not be trusted, or None."""
    if info.st_uid != os.geteuid():
        return "it belongs to another user"
    if info.st_mode & 0o022:
        return "others can write to it"
    return None


def _cache_dir(settings: Settings, report: Report | None) -> Path | None:
    """The cache directory, created private if missing; None if it must not be used (with a note)."""
    directory = settings.cache_dir
    if directory is None:
        return None
    try:
        if not directory.exists():
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.chmod(directory, 0o700)  # whatever the umask
        info = os.stat(directory)
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode):
        return None
    reason = _untrusted(info)
    if reason is not None:
        if report is not None:
            report(f"not using the cache in {directory}: {reason}; reading the knowledge files instead")
        return None
    return directory


#: The store's page size: records hold kilobytes of JSON (a dataset row and its output), which at
#: SQLite's default 4 KiB spill over chains of overflow pages read and rewritten one by one.
PAGE_SIZE = 16384


def _connect(path: Path) -> sqlite3.Connection:
    connection = interruptible(sqlite3.connect(str(path), isolation_level=None, check_same_thread=False))
    connection.execute("PRAGMA busy_timeout = 60000")
    return connection


def _for_updating(connection: sqlite3.Connection) -> None:
    """64 MiB of page cache for an update in place (the default 2 MiB made an import's update read 3.4
    million pages one pread at a time: 5 s of system time at 21,000 rows). Never for a query: with it a
    ranked search at 20,000 records took twice as long in a new process."""
    connection.execute("PRAGMA cache_size = -65536")


def _current(store: Store, files: Sequence[KnowledgeFile], states: Sequence[str | None]) -> bool:
    """Whether the store holds exactly these files, in this order, as they are now."""
    rows = store._all("SELECT path, state FROM files WHERE path != ? ORDER BY position", (os.fsencode(REFERENCE),))
    wanted = [(os.fsencode(str(f.path.absolute())), state) for f, state in zip(files, states, strict=True)]
    return all(state is not None for state in states) and [(bytes(p), s) for p, s in rows] == wanted


def open_cached(
    path: Path,
    files: Sequence[KnowledgeFile],
    states: Sequence[str | None],
    settings: Settings,
    kinds: Registry,
    report: Report | None,
    *,
    update: bool = True,
) -> Store | None:
    """The cached store for ``files``, brought up to date in place if a file changed; None if it cannot be used.

    Raises :class:`KnowledgeError` when a changed file has problems (the store is left as it was).
    """
    try:
        info = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    reason = _untrusted(info)
    if reason is not None:
        if report is not None:
            report(f"not using the cached store {path}: {reason}; rebuilding it")
        return None
    connection: sqlite3.Connection | None = None
    try:
        connection = _connect(path)
        store = Store(connection, kinds)
        if store.meta().get("fingerprint") != _fingerprint(settings, kinds):
            raise StoreError("other version")
        store.check()
        if _current(store, files, states):
            return store
        if not update:
            raise StoreError("not current")
        _for_updating(connection)
        connection.execute("BEGIN IMMEDIATE")  # one writer at a time; readers keep their snapshot
        try:
            if not _current(store, files, states):  # another process may have brought it up to date
                from cca.io.compile import compile_files

                compile_files(connection, files, states, settings, kinds, meta(settings, kinds), report=report)
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        return store
    except KnowledgeError:
        if connection is not None:
            connection.close()
        raise
    except (StoreError, sqlite3.Error, KeyError, ValueError, TypeError, OSError, RecursionError) as error:
        if connection is not None:
            connection.close()
        check_interrupted(error)  # a Ctrl-C stopped a query: stop, never fall back to another build
        return None


def meta(settings: Settings, kinds: Registry) -> dict[str, str]:
    return {"fingerprint": _fingerprint(settings, kinds)}


def _tidy(directory: Path, keep: Path) -> None:
    """Remove stores beyond the most recent few, and temporary files left by killed processes."""
    with contextlib.suppress(OSError):
        now = time.time()
        stores = []
        for entry in directory.iterdir():
            if entry.name.startswith(".knowledge-") and entry.name.endswith((".tmp", ".tmp-wal", ".tmp-shm")):
                with contextlib.suppress(OSError):
                    if now - entry.lstat().st_mtime > 3600:
                        entry.unlink()
            elif entry.name.startswith("knowledge-") and entry.suffix == ".sqlite" and entry != keep:
                with contextlib.suppress(OSError):
                    stores.append((entry.lstat().st_mtime, entry))
        for _, old in sorted(stores, reverse=True)[KEEP_STORES - 1 :]:
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(OSError):
                    Path(f"{old}{suffix}").unlink()


def compile_in_memory(
    files: Sequence[KnowledgeFile],
    states: Sequence[str | None],
    settings: Settings,
    kinds: Registry,
    sources_dir: Path | None,
    report: Report | None,
) -> Store:
    from cca.io.compile import compile_files

    # "": a private database in a temporary file, gone when closed: memory stays bounded however large
    connection = interruptible(sqlite3.connect("", isolation_level=None, check_same_thread=False))
    connection.execute(f"PRAGMA page_size = {PAGE_SIZE}")
    connection.execute("PRAGMA cache_size = -65536")
    connection.execute("BEGIN")
    compile_files(
        connection, files, states, settings, kinds, meta(settings, kinds), sources_dir=sources_dir, report=report
    )
    connection.execute("COMMIT")
    return Store(connection, kinds)


def compile_to_file(
    target: Path,
    files: Sequence[KnowledgeFile],
    states: Sequence[str | None],
    settings: Settings,
    kinds: Registry,
    report: Report | None,
) -> bool:
    """Build a new store in a temporary file beside ``target`` and move it into place; False if it cannot be."""
    import tempfile

    from cca.core.signals import signals_held
    from cca.io.compile import compile_files
    from cca.io.spread import render_spread

    temporary = ""
    try:
        with signals_held():  # a signal now is delivered inside the try, after the name is known
            handle, temporary = tempfile.mkstemp(prefix=".knowledge-", suffix=".tmp", dir=target.parent)
        os.close(handle)
        connection = interruptible(sqlite3.connect(temporary, isolation_level=None, check_same_thread=False))
        try:
            connection.execute(f"PRAGMA page_size = {PAGE_SIZE}")
            connection.execute("PRAGMA journal_mode = MEMORY")
            connection.execute("PRAGMA synchronous = OFF")
            connection.execute("PRAGMA cache_size = -65536")
            connection.execute("PRAGMA threads = 2")  # SQLite sorts a new index's keys in two threads
            connection.execute("BEGIN")
            spread = render_spread(connection, Path(temporary), kinds)
            compile_files(
                connection, files, states, settings, kinds, meta(settings, kinds), report=report, spread=spread
            )
            connection.execute("COMMIT")
            connection.execute("PRAGMA journal_mode = WAL")  # later updates in place: readers keep a snapshot
        finally:
            connection.close()
        with signals_held():
            for suffix in ("-wal", "-shm"):  # a log of the store being replaced must never meet the new one
                with contextlib.suppress(OSError):
                    Path(f"{target}{suffix}").unlink()
            os.replace(temporary, target)
    except (OSError, sqlite3.Error) as error:
        _remove_temporary(temporary)
        check_interrupted(error)
        return False
    except BaseException:
        _remove_temporary(temporary)
        raise
    return True


def _remove_temporary(temporary: str) -> None:
    """A new store that failed, with the log it may have had (a build in two processes writes one)."""
    from cca.core.signals import signals_held

    if temporary:
        with signals_held():
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(OSError):
                    os.unlink(temporary + suffix)


# -- loading ------------------------------------------------------------------------------------------------


def load_store(
    settings: Settings,
    *,
    sources_dir: Path | None = None,
    report: Report | None = None,
    rebuild: bool = False,
    kinds: Registry = KINDS,
) -> tuple[Store, list[KnowledgeFile]]:
    """A store of every record in the files ``settings`` names; raises :class:`KnowledgeError`."""
    files = discover(settings)
    states = _states(files)
    directory = _cache_dir(settings, report) if sources_dir is None else None
    target = _cache_path(directory, settings, kinds) if directory is not None else None
    if target is None or any(state is None for state in states):
        return compile_in_memory(files, states, settings, kinds, sources_dir, report), files
    if not rebuild:
        store = open_cached(target, files, states, settings, kinds, report)
        if store is not None:
            return store, files
    if compile_to_file(target, files, states, settings, kinds, report):
        _tidy(target.parent, target)
        store = open_cached(target, files, states, settings, kinds, None)
        if store is not None:
            return store, files
    # not written, or replaced or unreadable in between: answer from memory
    return compile_in_memory(files, states, settings, kinds, None, report), files


def open_for_update(
    settings: Settings, files: Sequence[KnowledgeFile], report: Report | None = None
) -> tuple[Store, sqlite3.Connection, bool]:
    """The store an import writes into, up to date: (store, its connection, whether the store is kept).

    The cached store when there is one (the import's transaction then updates it in place), else a
    private temporary one that goes when the connection closes.
    """
    store, _ = load_store(settings, report=report)
    _for_updating(store.connection)
    return store, store.connection, False


def cached_store(settings: Settings, kinds: Registry = KINDS) -> Path | None:
    """The compiled store that a load with ``settings`` would answer from now, if there is one."""
    directory = _cache_dir(settings, None)
    if directory is None:
        return None
    files = discover(settings)
    target = _cache_path(directory, settings, kinds)
    store = open_cached(target, files, _states(files), settings, kinds, None, update=False)
    if store is None:
        return None
    store.close()
    return target


def load(
    paths: Sequence[Path | str] | None = None,
    *,
    settings: Settings | None = None,
    extra: Iterable[Path | str] = (),
    bundled: bool | None = None,
    sources_dir: Path | str | None = None,
    report: Callable[[str], None] | None = None,
    rebuild: bool = False,
) -> KnowledgeBase:
    """Load and validate knowledge; raise :class:`~cca.KnowledgeError` listing every problem.

    With no arguments: the bundled knowledge, compiled in memory. ``paths`` replaces the
    file list entirely; ``extra`` adds files or directories; ``settings`` (for instance
    ``Settings.from_environ()``, as the command line does) says everything else, including
    where to keep a compiled cache. ``sources_dir`` checks every quote against the
    source texts there. ``report`` receives notes (a slow first load, a cache not used).
    """
    chosen = settings or Settings()
    if paths is not None:
        chosen = chosen._replace(knowledge=tuple(Path(p) for p in paths), bundled=False, data_dir=None)
    if extra:
        chosen = chosen.with_knowledge(Path(p) for p in extra)
    if bundled is not None:
        chosen = chosen._replace(bundled=bundled)
    store, files = load_store(
        chosen,
        sources_dir=Path(sources_dir) if sources_dir is not None else None,
        report=report,
        rebuild=rebuild,
    )
    return KnowledgeBase(store, [f.label for f in files])
