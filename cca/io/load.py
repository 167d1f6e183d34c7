"""Find, read, validate and compile knowledge files into a store; keep the store as a trusted cache.

A load reads each file with the fast reader when it can and the reference reader when
it must (:mod:`cca.io.yaml`), checks each record against the schema
(:mod:`cca.core.schema`) and across records (:mod:`cca.core.checks`), and writes the
records into a store (:mod:`cca.core.store`) as they come. Every problem is reported
at once as ``file:line:col: message``; nothing half-loaded is ever answered from.

The store is kept in the user's cache directory and reused while every file it was
built from is unchanged (path, size, modification and change times, inode). It is
trusted only if the directory and the file belong to the user and nobody else can
write them; otherwise the store is built in memory, with a note. Anything wrong
with a cached store means: build it again.
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
from typing import Any

from cca.core.errors import KnowledgeError, Problem, StoreError
from cca.core.kb import KnowledgeBase
from cca.core.kinds import KINDS
from cca.core.registry import Registry
from cca.core.settings import KnowledgeFile, Settings, label_for
from cca.core.store import FORMAT, Store

Report = Callable[[str], None]
#: Compiled stores kept in the cache directory, most recently used first; older ones are removed.
KEEP_STORES = 8


def yaml_files(directory: Path) -> list[Path]:
    """The knowledge files of a directory, by name (hidden files, such as an import in progress, left out)."""
    try:
        entries = sorted(directory.iterdir())
    except OSError as error:
        raise KnowledgeError([Problem(label_for(directory), 0, 0, f"cannot list: {error.strerror or error}")]) from None
    return [p for p in entries if p.suffix in (".yaml", ".yml") and not p.name.startswith(".")]


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


def discover(settings: Settings) -> list[KnowledgeFile]:
    """The files to load, in order: bundled, the user's knowledge directory, then ``settings.knowledge``.

    A file named twice (``cca validate data/knowledge.yaml`` names the bundled file again) is loaded once.
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
        for path in yaml_files(settings.data_dir):
            add(path, path.name)
    for entry in settings.knowledge:
        if _is_dir(entry):
            found = yaml_files(entry)
            if not found:
                raise KnowledgeError(
                    [Problem(label_for(entry), 0, 0, "no knowledge files (*.yaml, *.yml) in this directory")]
                )
            for path in found:
                add(path, str(path.relative_to(entry)))
        else:
            add(entry, entry.name)
    if not files:
        raise KnowledgeError([Problem("<knowledge>", 0, 0, "no knowledge files to load")])
    return files


# -- the cache --------------------------------------------------------------------------------------------


def _file_state(path: Path) -> dict[str, Any]:
    info = os.stat(path)
    return {
        "path": str(path.resolve()),
        "size": info.st_size,
        "mtime_ns": info.st_mtime_ns,
        "ctime_ns": info.st_ctime_ns,
        "ino": info.st_ino,
        "dev": info.st_dev,
    }


def _digest(text: str) -> str:
    """A short, stable digest (for names and fingerprints; the metadata holds the full facts)."""
    data = text.encode("utf-8", "surrogateescape")
    return f"{zlib.crc32(data):08x}{zlib.adler32(data):08x}{len(data):x}"


def _fingerprint(kinds: Registry) -> str:
    from cca.version import __version__

    return f"{FORMAT}:{__version__}:{_digest(kinds.version())}"


def _states(files: Sequence[KnowledgeFile], settings: Settings) -> list[dict[str, Any]]:
    return [_file_state(settings.schema_file), *(_file_state(f.path) for f in files)]


def _cache_path(cache_dir: Path, files: Sequence[KnowledgeFile]) -> Path:
    names = "\0".join(str(f.path.absolute()) for f in files)
    return cache_dir / f"knowledge-{_digest(names)}.sqlite"


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


def open_cached(
    path: Path, files: Sequence[KnowledgeFile], settings: Settings, kinds: Registry, report: Report | None
) -> Store | None:
    """The cached store for ``files`` if it is the user's own, whole and current; else None."""
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
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        store = Store(connection)
        meta = store.meta()
        if meta.get("fingerprint") != _fingerprint(kinds):
            raise StoreError("other version")
        if json.loads(meta["files"]) != _states(files, settings):
            raise StoreError("files changed")
        store.check()
        return store
    except (StoreError, sqlite3.Error, KeyError, ValueError, TypeError, OSError, RecursionError):
        if connection is not None:
            connection.close()
        return None


def _tidy(directory: Path, keep: Path) -> None:
    """Remove stores beyond the most recent few, and temporary files left by killed processes."""
    with contextlib.suppress(OSError):
        now = time.time()
        stores = []
        for entry in directory.iterdir():
            if entry.name.startswith(".knowledge-") and entry.name.endswith(".tmp"):
                with contextlib.suppress(OSError):
                    if now - entry.lstat().st_mtime > 3600:
                        entry.unlink()
            elif entry.name.startswith("knowledge-") and entry.suffix == ".sqlite" and entry != keep:
                with contextlib.suppress(OSError):
                    stores.append((entry.lstat().st_mtime, entry))
        for _, old in sorted(stores, reverse=True)[KEEP_STORES - 1 :]:
            with contextlib.suppress(OSError):
                old.unlink()


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
    directory = _cache_dir(settings, report) if sources_dir is None else None
    target = _cache_path(directory, files) if directory is not None else None
    if target is not None and not rebuild:
        store = open_cached(target, files, settings, kinds, report)
        if store is not None:
            return store, files
    try:
        states = _states(files, settings)
    except OSError:
        states = None  # a missing file: the reader says which, in its words
    meta = {"fingerprint": _fingerprint(kinds), "files": json.dumps(states)}
    from cca.io.compile import compile_in_memory, compile_to_file

    if target is None or states is None:
        return compile_in_memory(files, settings, sources_dir, report, kinds, meta), files
    if compile_to_file(target, files, settings, report, kinds, meta):
        _tidy(target.parent, target)
        store = open_cached(target, files, settings, kinds, None)
        if store is not None:
            return store, files
    # not written, or replaced or unreadable in between: answer from memory
    return compile_in_memory(files, settings, None, report, kinds, meta), files


def cached_store(settings: Settings, kinds: Registry = KINDS) -> Path | None:
    """The compiled store that a load with ``settings`` would answer from now, if there is one."""
    directory = _cache_dir(settings, None)
    if directory is None:
        return None
    files = discover(settings)
    target = _cache_path(directory, files)
    store = open_cached(target, files, settings, kinds, None)
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
