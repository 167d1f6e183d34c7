"""Compile knowledge files into a store: the slow part of a load, done once per change.

Each file goes through the fast reader when it can and the reference reader when it
must (:mod:`cca.io.yaml`); each record is checked against the schema
(:mod:`cca.core.schema`) and across records (:mod:`cca.core.checks`) and written into
the store (:mod:`cca.core.build`) as it comes. Every problem is reported at once as
``file:line:col: message``; nothing half-loaded is ever answered from.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from cca.core.build import Builder
from cca.core.checks import Checker, Loc, Pending, digest, position_of
from cca.core.errors import KnowledgeError, Problem
from cca.core.nodes import Position
from cca.core.registry import Kind, Registry
from cca.core.schema import FastCheck, _interpret, knowledge_schema, validate, validate_item
from cca.core.settings import KnowledgeFile, Settings
from cca.core.store import Store
from cca.io import yaml as yamlio

Report = Callable[[str], None]


def compile_in_memory(
    files: Sequence[KnowledgeFile],
    settings: Settings,
    sources_dir: Path | None,
    report: Report | None,
    kinds: Registry,
    meta: dict[str, str],
) -> Store:
    connection = sqlite3.connect(":memory:", check_same_thread=False)
    _compile(connection, files, settings, sources_dir, report, kinds, meta)
    return Store(connection)


def compile_to_file(
    target: Path,
    files: Sequence[KnowledgeFile],
    settings: Settings,
    report: Report | None,
    kinds: Registry,
    meta: dict[str, str],
) -> bool:
    """Build the store in a temporary file beside ``target`` and move it into place; False if it cannot be."""
    from cca.io.safefile import signals_held

    temporary = ""
    try:
        with signals_held():  # a signal now is delivered inside the try, after the name is known
            handle, temporary = tempfile.mkstemp(prefix=".knowledge-", suffix=".tmp", dir=target.parent)
        os.close(handle)
        connection = sqlite3.connect(temporary, check_same_thread=False)
        try:
            _compile(connection, files, settings, None, report, kinds, meta)
            connection.commit()
        finally:
            connection.close()
        with signals_held():
            os.replace(temporary, target)
    except (OSError, sqlite3.Error):
        if temporary:
            with signals_held(), contextlib.suppress(OSError):
                os.unlink(temporary)
        return False
    except BaseException:
        if temporary:
            with signals_held(), contextlib.suppress(OSError):
                os.unlink(temporary)
        raise
    return True


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

    def _fast_item(self, section: str, index: int, item: Any, position: Position) -> None:
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

        def item(section: str, number: int, value: Any, position: Position) -> None:
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
        problems += validate(skeleton, label, self.schema)
        problems.sort(key=lambda p: (p.line, p.column))
        self.problems += [(index, p) for p in problems]

    # -- both -------------------------------------------------------------------------------------------

    def _add(self, kind: Kind, record: Any, loc: Loc, node: Any, position: Position) -> None:
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
                section: str, number: int, value: Any, position: Position, keys: Any = keys, found: Any = found
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
