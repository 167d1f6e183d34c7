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
import hashlib
import json
import os
import sqlite3
import stat
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cca.core.build import Builder
from cca.core.checks import Checker, Loc, Pending, digest, position_of
from cca.core.errors import KnowledgeError, Problem, StoreError
from cca.core.kinds import KINDS
from cca.core.registry import Kind, Registry
from cca.core.schema import FastCheck, _interpret, knowledge_schema, validate_item
from cca.core.settings import Settings, label_for
from cca.core.store import FORMAT, Store
from cca.io import yaml as yamlio

Report = Callable[[str], None]
#: Compiled stores kept in the cache directory, most recently used first; older ones are removed.
KEEP_STORES = 8


@dataclass(frozen=True, slots=True)
class KnowledgeFile:
    """One file to load: ``label`` is how messages name it, ``name`` its path below its knowledge root."""

    path: Path
    label: str
    name: str


def _yaml_files(directory: Path) -> list[Path]:
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


def discover(settings: Settings) -> list[KnowledgeFile]:
    """The files to load, in order: bundled, the user's knowledge directory, then ``settings.knowledge``."""
    files: list[KnowledgeFile] = []
    if settings.bundled:
        files.append(KnowledgeFile(settings.bundled_file, label_for(settings.bundled_file), settings.bundled_file.name))
    if settings.data_dir is not None and _is_dir(settings.data_dir):
        for path in _yaml_files(settings.data_dir):
            files.append(KnowledgeFile(path, label_for(path), path.name))
    for entry in settings.knowledge:
        if _is_dir(entry):
            found = _yaml_files(entry)
            if not found:
                raise KnowledgeError(
                    [Problem(label_for(entry), 0, 0, "no knowledge files (*.yaml, *.yml) in this directory")]
                )
            files += [KnowledgeFile(path, label_for(path), str(path.relative_to(entry))) for path in found]
        else:
            files.append(KnowledgeFile(entry, label_for(entry), entry.name))
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


def _fingerprint(kinds: Registry) -> str:
    from cca.version import __version__

    registry = hashlib.sha256(kinds.version().encode()).hexdigest()[:16]
    return f"{FORMAT}:{__version__}:{registry}"


def _states(files: Sequence[KnowledgeFile], settings: Settings) -> list[dict[str, Any]]:
    return [_file_state(settings.schema_file), *(_file_state(f.path) for f in files)]


def _cache_path(cache_dir: Path, files: Sequence[KnowledgeFile]) -> Path:
    names = "\0".join(str(f.path.absolute()) for f in files)
    return cache_dir / f"knowledge-{hashlib.sha256(names.encode('utf-8', 'surrogateescape')).hexdigest()[:24]}.sqlite"


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


def _open_cached(
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
        store = _open_cached(target, files, settings, kinds, report)
        if store is not None:
            return store, files
    try:
        states = _states(files, settings)
    except OSError:
        states = None  # a missing file: the reader says which, in its words
    meta = {"fingerprint": _fingerprint(kinds), "files": json.dumps(states)}
    if target is None or states is None:
        connection = sqlite3.connect(":memory:", check_same_thread=False)
        _compile(connection, files, settings, sources_dir, report, kinds, meta)
        return Store(connection), files
    return _compile_to_file(target, files, settings, report, kinds, meta), files


def _compile_to_file(
    target: Path,
    files: Sequence[KnowledgeFile],
    settings: Settings,
    report: Report | None,
    kinds: Registry,
    meta: dict[str, str],
) -> Store:
    """Build the store in a temporary file beside ``target`` and move it into place."""
    try:
        handle, temporary = tempfile.mkstemp(prefix=".knowledge-", suffix=".tmp", dir=target.parent)
        os.close(handle)
    except OSError:
        connection = sqlite3.connect(":memory:", check_same_thread=False)
        _compile(connection, files, settings, None, report, kinds, meta)
        return Store(connection)
    try:
        connection = sqlite3.connect(temporary, check_same_thread=False)
        try:
            _compile(connection, files, settings, None, report, kinds, meta)
            connection.commit()
        finally:
            connection.close()
        os.replace(temporary, target)
    except (OSError, sqlite3.Error):
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        connection = sqlite3.connect(":memory:", check_same_thread=False)
        _compile(connection, files, settings, None, report, kinds, meta)
        return Store(connection)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _tidy(target.parent, target)
    store = _open_cached(target, files, settings, kinds, None)
    if store is None:  # replaced by another process in between, or unreadable: answer from memory
        connection = sqlite3.connect(":memory:", check_same_thread=False)
        _compile(connection, files, settings, None, report, kinds, meta)
        return Store(connection)
    return store


@contextlib.contextmanager
def _slow_note(files: Sequence[KnowledgeFile], report: Report | None) -> Iterator[None]:
    """Say why a first load is slow, if it takes more than half a second."""
    if report is None:
        yield
        return

    def say() -> None:
        size = 0
        for file in files:
            with contextlib.suppress(OSError):
                size += file.path.stat().st_size
        plural = "s" if len(files) != 1 else ""
        report(f"reading {len(files)} knowledge file{plural} ({size / 1e6:.1f} MB); later runs use the cache")

    timer = threading.Timer(0.5, say)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


def _compile(
    connection: sqlite3.Connection,
    files: Sequence[KnowledgeFile],
    settings: Settings,
    sources_dir: Path | None,
    report: Report | None,
    kinds: Registry,
    meta: dict[str, str],
) -> None:
    connection.execute("PRAGMA journal_mode = MEMORY")
    connection.execute("PRAGMA synchronous = OFF")
    connection.execute("PRAGMA cache_size = -65536")
    with _slow_note(files, report):
        compiler = _Compiler(connection, files, settings, sources_dir, kinds)
        compiler.run()
        compiler.builder.finish(meta)
    connection.commit()


class _Compiler:
    """One load: every file through the fast or the reference path, then the checks across files."""

    def __init__(
        self,
        connection: sqlite3.Connection,
        files: Sequence[KnowledgeFile],
        settings: Settings,
        sources_dir: Path | None,
        kinds: Registry,
    ) -> None:
        self.files = files
        self.settings = settings
        self.kinds = kinds
        self.schema = knowledge_schema(settings.schema_file)
        self.fast = FastCheck(self.schema)
        self.labels = [f.label for f in files]
        self.checker = Checker(kinds, self.labels, sources_dir)
        self.builder = Builder(connection, kinds)
        self.problems: list[tuple[int, Problem]] = []
        self.updates: list[Any] = []
        self._sections = {kind.section: kind for kind in kinds.top_level()}
        self._file = 0

    def run(self) -> None:
        for index, file in enumerate(self.files):
            self._file = index
            self.builder.add_file(index, str(file.path.absolute()), file.label, file.name)
            try:
                text = yamlio.read_text(file.path, file.label, self.settings.max_file_bytes)
            except KnowledgeError as error:
                self.problems += [(index, p) for p in error.problems]
                continue
            self.builder.begin_file()
            self.checker.begin_file()
            mark = len(self.updates)
            if not self._fast(text):
                self.builder.discard_file()
                self.checker.discard_file()
                del self.updates[mark:]
                self._reference(text, file.label)
            self.builder.end_file()
        if self.problems:
            self._raise([])
        pending = self.checker.finish()
        if pending:
            self._raise(pending)
        for update in self.updates:
            self.builder.update(update)

    # -- the fast path ------------------------------------------------------------------------------

    def _fast(self, text: str) -> bool:
        try:
            skeleton = yamlio.parse_items_fast(text, self._fast_item)
        except (yamlio.Unsuitable, ValueError, KeyError, TypeError):
            return False
        return not _interpret(skeleton, self.schema, self.schema)

    def _fast_item(self, section: str, index: int, item: Any, position: yamlio.Position) -> None:
        if not self.fast.item(section, item):
            raise yamlio.Unsuitable
        loc = Loc(self._file, section, index)
        if section == "updates":
            self.checker.add_update(item, loc)
            self.updates.append(item)
            return
        kind = self._sections.get(section)
        if kind is None:
            raise yamlio.Unsuitable
        self._add(kind, item, loc, None, position)

    # -- the reference path ---------------------------------------------------------------------------

    def _reference(self, text: str, label: str) -> None:
        problems: list[Problem] = []
        index = self._file
        properties = self.schema.get("properties", {})

        def item(section: str, number: int, value: Any, position: yamlio.Position) -> None:
            schema = properties.get(section, {}).get("items") if isinstance(properties.get(section), dict) else None
            if schema is None:
                return  # the document's own check reports the section
            found = validate_item(value, schema, self.schema, label, section, number)
            if found:
                problems.extend(found)
                return
            loc = Loc(index, section, number)
            if section == "updates":
                self.checker.add_update(value, loc, value)
                self.updates.append(value)
                return
            kind = self._sections.get(section)
            if kind is not None:
                self._add(kind, value, loc, value, position)

        try:
            skeleton = yamlio.parse_items(text, label, item, problems)
        except KnowledgeError as error:
            self.problems += [(index, p) for p in error.problems]
            return
        from cca.core.schema import validate

        problems += validate(skeleton, label, self.schema)
        problems.sort(key=lambda p: (p.line, p.column))
        self.problems += [(index, p) for p in problems]

    # -- both -------------------------------------------------------------------------------------------

    def _add(self, kind: Kind, record: Any, loc: Loc, node: Any, position: yamlio.Position) -> None:
        nested = self.kinds.nested(kind.name)
        stored = record
        if nested:
            stored = dict(record)
            for child_kind in nested:
                field = child_kind.nested_in[1] if child_kind.nested_in else ""
                stored[field] = [child["id"] for child in record.get(field) or ()]
        found = digest(kind, stored)  # children (actions of an aspect) are checked as records of their own
        self.checker.add(kind, record, loc, node, found)
        try:
            self.builder.add(kind, stored, loc.file, position[0], position[1], found=found)
        except ValueError:
            if node is None:
                raise yamlio.Unsuitable from None
            raise
        for child_kind in nested:
            field = child_kind.nested_in[1] if child_kind.nested_in else ""
            children = record.get(field) or ()
            positions = node.get(field).item_pos if node is not None and hasattr(node.get(field), "item_pos") else None
            for number, child in enumerate(children):
                child_pos = positions[number] if positions is not None else position
                child_loc = loc.child(field, number)
                child_found = digest(child_kind, child)
                self.checker.add(child_kind, child, child_loc, child if node is not None else None, child_found)
                self.builder.add(
                    child_kind, child, loc.file, child_pos[0], child_pos[1], parent=record["id"], found=child_found
                )

    def _raise(self, pending: list[Pending]) -> None:
        """Locate every pending problem and raise them all, in file and document order."""
        locs = [p.where for p in pending if isinstance(p.where, Loc)]
        locs += [other for p in pending for other in p.others if isinstance(other, Loc)]
        located = self._locate(locs)

        def resolve(where: Loc | tuple[str, int, int]) -> str:
            if isinstance(where, Loc):
                label, line, column = located.get(where, (self.labels[where.file], 1, 1))
            else:
                label, line, column = where
            return f"{label}:{line}:{column}"

        problems = list(self.problems)
        for p in pending:
            where = located.get(p.where) if isinstance(p.where, Loc) else p.where
            if where is None:
                assert isinstance(p.where, Loc)
                where = (self.labels[p.where.file], 1, 1)
            label, line, column = where
            message = p.message.format(*(resolve(other) for other in p.others)) if p.others else p.message
            problems.append(
                (
                    self.labels.index(label) if label in self.labels else len(self.labels),
                    Problem(label, line, column, message),
                )
            )
        problems.sort(key=lambda pair: (pair[0], pair[1].line, pair[1].column))
        raise KnowledgeError([problem for _, problem in problems])

    def _locate(self, locs: list[Any]) -> dict[Loc, tuple[str, int, int]]:
        """Positions for problems found without them: read those files again with the reference reader."""
        located: dict[Loc, tuple[str, int, int]] = {}
        by_file: dict[int, list[Loc]] = {}
        for loc in locs:
            if isinstance(loc, Loc):
                by_file.setdefault(loc.file, []).append(loc)
        for index, wanted in by_file.items():
            file = self.files[index]
            keys = {(loc.section, loc.index) for loc in wanted}
            found: dict[tuple[str, int], Any] = {}

            def keep(
                section: str, number: int, value: Any, position: yamlio.Position, keys: Any = keys, found: Any = found
            ) -> None:
                if (section, number) in keys:
                    found[(section, number)] = value

            with contextlib.suppress(KnowledgeError):
                text = yamlio.read_text(file.path, file.label, self.settings.max_file_bytes)
                yamlio.parse_items(text, file.label, keep, [])
            for loc in wanted:
                node = found.get((loc.section, loc.index))
                position = position_of(node, loc.path) if node is not None else None
                located[loc] = (file.label, *(position or (1, 1)))
        return located


def cached_store(settings: Settings, kinds: Registry = KINDS) -> Path | None:
    """The compiled store that a load with ``settings`` would answer from now, if there is one."""
    directory = _cache_dir(settings, None)
    if directory is None:
        return None
    files = discover(settings)
    target = _cache_path(directory, files)
    store = _open_cached(target, files, settings, kinds, None)
    if store is None:
        return None
    store.close()
    return target
