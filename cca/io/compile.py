"""Compile knowledge files into a store: the slow part of a load, done once per changed file.

Each changed file's old rows are taken out of the store and the file read again: YAML
through the fast reader when it can and the reference reader when it must
(:mod:`cca.io.yaml`), JSON Lines as a stream (:mod:`cca.io.lines`). Each record is checked
against the schema (:mod:`cca.core.schema`) and on its own (:class:`~cca.core.checks.RecordChecker`)
and written into the store (:mod:`cca.core.build`) as it comes; then what needs other records
is checked in the store (:func:`~cca.core.checks.cross_checks`). Every problem is reported at
once as ``file:line:col``; a store with a problem is never answered from (the caller rolls
its transaction back).
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from cca.core.build import Builder, Prepared, Spread, prepare
from cca.core.checks import Loc, Pending, RecordChecker, check_quotes, cross_checks, digest, path_text, position_of
from cca.core.errors import KnowledgeError, Problem
from cca.core.nodes import Position
from cca.core.registry import Kind, Ref, Registry
from cca.core.schema import FastCheck, _interpret, knowledge_schema, validate, validate_item
from cca.core.settings import KnowledgeFile, Settings
from cca.core.signals import signals_held
from cca.core.store import REFERENCE
from cca.io import lines
from cca.io import yaml as yamlio

Report = Callable[[str], None]

#: What an ``updates:`` entry may name: the records it adds ``same_as`` links to, or rules out as not the same.
UPDATE = Kind(
    name="update",
    plural="updates",
    title="",
    help="",
    example="",
    refs=(Ref("same_as[]", "project"), Ref("rejected_same_as[]", "project")),
)


def reference_record(kind: str, record_id: str) -> dict[str, Any] | None:
    """A record of reference data that a record names and no file defines: a country of ISO 3166, or the
    source record of a dataset an importer reads (cca.io.importers)."""
    if kind == "country":
        from cca.core.world import reference_record as country

        return country(record_id)
    if kind == "source":
        from cca.io.importers import reference_sources

        return reference_sources().get(record_id)
    return None


def is_lines(path: Path) -> bool:
    return path.suffix.lower() == ".jsonl"


@contextlib.contextmanager
def slow_note(files: Sequence[KnowledgeFile], report: Report | None) -> Iterator[None]:
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
    with signals_held():  # the thread starts with them blocked: a signal always reaches the main thread
        timer.start()
    try:
        yield
    finally:
        timer.cancel()


class Compiler:
    """Brings a store up to date with the files: changed ones compiled again, the rest kept."""

    def __init__(
        self,
        connection: sqlite3.Connection,
        settings: Settings,
        kinds: Registry,
        sources_dir: Path | None = None,
        spread: Spread | None = None,
    ) -> None:
        self.connection = connection
        self.settings = settings
        self.kinds = kinds
        self.sources_dir = sources_dir
        self.schema = knowledge_schema(settings.schema_file)
        self.fast = FastCheck(self.schema)
        self.builder = Builder(connection, kinds, spread)
        #: File number -> the file, for every file of this load.
        self.files: dict[int, KnowledgeFile] = {}
        self.labels: dict[int, str] = {}
        self.checker = RecordChecker(self.labels, sources_dir)
        self.problems: list[tuple[int, Problem]] = []
        self._sections = {kind.section: kind for kind in kinds.top_level()}
        self._file = 0

    # -- the whole load ------------------------------------------------------------------------------

    def adopt(self, files: Sequence[KnowledgeFile]) -> None:
        """Know the store's files as ``files`` name them (for an import that adds one file to them)."""
        stored = self.builder.files()
        for file in files:
            entry = stored.get(str(file.path.absolute()))
            if entry is not None:
                self.files[entry[0]] = file
                self.labels[entry[0]] = file.label

    def begin(self, position: int, path: Path, label: str) -> int:
        """A new file whose records a caller adds (:meth:`add_item`), as an import does."""
        number = self.builder.begin_file(position, str(path.absolute()), label, path.name)
        self.files[number] = KnowledgeFile(path, label, path.name)
        self.labels[number] = label
        self._file = number
        return number

    def update(self, files: Sequence[KnowledgeFile], states: Sequence[str | None], meta: Mapping[str, str]) -> None:
        """Compile what changed; raise :class:`KnowledgeError` with every problem (the caller rolls back)."""
        stored = self.builder.files()
        stored.pop(REFERENCE, None)  # the store's own reference data: kept up to date by check()
        current = {str(f.path.absolute()) for f in files}
        for path, (number, _) in stored.items():
            if path not in current:
                self.builder.remove_file(number)
        for position, (file, state) in enumerate(zip(files, states, strict=True)):
            path = str(file.path.absolute())
            entry = stored.get(path)
            if entry is not None and state is not None and entry[1] == state and self.sources_dir is None:
                self.builder.place_file(entry[0], position, file.label, file.name)
                self.files[entry[0]] = file
                self.labels[entry[0]] = file.label
                continue
            if entry is not None:
                self.builder.remove_file(entry[0])
            number = self.builder.begin_file(position, path, file.label, file.name)
            self.files[number] = file
            self.labels[number] = file.label
            self._file = number
            self.read(file)
            self.builder.end_file(state)
        self.check()
        self.builder.finish(meta)

    def check(self) -> None:
        """Everything that needs the other records; raises every problem at once."""
        if self.problems:
            self.raise_problems([])
        self.builder.rows_in()
        self.builder.add_references(reference_record)
        scope = None if self.builder.fresh else set(self.builder.changed)
        pending = list(self.checker.pending) + cross_checks(self.connection, self.kinds, scope)
        if self.sources_dir is not None:
            pending += check_quotes(self.connection, self.checker.quotes, self.sources_dir)
        if pending:
            self.raise_problems(pending)

    def read(self, file: KnowledgeFile, *, as_lines: bool | None = None) -> None:
        """One file's records into the store (the reference reader's problems kept for the end).

        ``as_lines``: read it as JSON Lines (or YAML) whatever its name says (a hidden file an import writes).
        """
        if as_lines if as_lines is not None else is_lines(file.path):
            self._lines(file)
            return
        try:
            text = yamlio.read_text(file.path, file.label, self.settings.max_file_bytes)
        except KnowledgeError as error:
            self.problems += [(self._file, p) for p in error.problems]
            return
        self.checker.begin_file()
        if not self._fast(text):
            self.builder.discard_file()
            self.checker.discard_file()
            self._reference(text, file.label)

    # -- JSON Lines -----------------------------------------------------------------------------------

    def _lines(self, file: KnowledgeFile) -> None:
        properties = self.schema.get("properties", {})
        counts: dict[str, int] = {}
        try:
            for number, section, record in lines.read(file.path, file.label):
                if section == "provenance" and isinstance(record, dict):
                    self.builder.set_provenance(self._file, record)
                    continue
                index = counts.get(section, 0)
                counts[section] = index + 1
                self.add_item(section, index, record, (number, 1), properties, file.label)
        except KnowledgeError as error:
            self.problems += [(self._file, p) for p in error.problems]

    def add_item(
        self,
        section: str,
        index: int,
        record: Any,
        position: Position,
        properties: Mapping[str, Any],
        label: str,
        encoded: str | None = None,
    ) -> None:
        """One record of a machine-written file (JSON Lines, an import): checked, then stored (``encoded``: the
        record as the store encodes it, when the caller has it already)."""
        if section == "format" or section not in properties or not isinstance(properties[section], dict):
            self.problems.append((self._file, Problem(label, position[0], 1, f"no section {section!r} in the format")))
            return
        if not self.fast.item(section, record):
            schema = properties[section].get("items")
            for problem in validate_item(record, schema, self.schema, label, section, index):
                self.problems.append((self._file, problem._replace(line=position[0], column=1)))
            return
        loc = Loc(self._file, section, index)
        if section == "updates":
            self.checker.add_update(record, loc)
            self.builder.add_update(record, position[0], position[1], [section, index], digest(UPDATE, record))
            return
        kind = self._sections.get(section)
        if kind is None:
            return
        try:
            self._add(kind, record, loc, None, position, encoded)
        except ValueError as error:
            self.problems.append((self._file, Problem(label, position[0], 1, f"{section}[{index}]: {error}")))

    # -- the fast path ------------------------------------------------------------------------------

    def _fast(self, text: str) -> bool:
        try:
            skeleton = yamlio.parse_items_fast(text, self._fast_item, _Sharing(self))
        except (yamlio.Unsuitable, ValueError, KeyError, TypeError):
            return False
        return not _interpret(skeleton, self.schema, self.schema)

    def _fast_item(self, section: str, index: int, item: Any, position: Position) -> None:
        if not self.fast.item(section, item):
            raise yamlio.Unsuitable
        loc = Loc(self._file, section, index)
        if section == "updates":
            self.checker.add_update(item, loc)
            self.builder.add_update(item, position[0], position[1], [section, index], digest(UPDATE, item))
            return
        kind = self._sections.get(section)
        if kind is None:
            raise yamlio.Unsuitable
        self._add(kind, item, loc, None, position)

    # -- the reference path ---------------------------------------------------------------------------

    def _reference(self, text: str, label: str) -> None:
        problems: list[Problem] = []
        properties = self.schema.get("properties", {})

        def item(section: str, number: int, value: Any, position: Position) -> None:
            schema = properties.get(section, {}).get("items") if isinstance(properties.get(section), dict) else None
            if schema is None:
                return  # the document's own check reports the section
            found = validate_item(value, schema, self.schema, label, section, number)
            if found:
                problems.extend(found)
                return
            loc = Loc(self._file, section, number)
            if section == "updates":
                self.checker.add_update(value, loc, value)
                self.builder.add_update(value, position[0], position[1], [section, number], digest(UPDATE, value))
                return
            kind = self._sections.get(section)
            if kind is not None:
                self._add(kind, value, loc, value, position)

        try:
            skeleton = yamlio.parse_items(text, label, item, problems)
        except KnowledgeError as error:
            self.problems += [(self._file, p) for p in error.problems]
            return
        problems += validate(skeleton, label, self.schema)
        problems.sort(key=lambda p: (p.line, p.column))
        self.problems += [(self._file, p) for p in problems]

    # -- both -------------------------------------------------------------------------------------------

    def _add(
        self, kind: Kind, record: Any, loc: Loc, node: Any, position: Position, encoded: str | None = None
    ) -> None:
        nested = self.kinds.nested(kind.name)
        stored = record
        if nested:
            encoded = None  # what is stored is not the record as given
            stored = dict(record)
            for child_kind in nested:
                field = child_kind.nested_in[1] if child_kind.nested_in else ""
                stored[field] = [child["id"] for child in record.get(field) or ()]
        # children (actions of an aspect) are checked as records of their own
        self.builder.take(self._ready(kind, record, loc, node, position, stored, encoded))
        for child_kind in nested:
            field = child_kind.nested_in[1] if child_kind.nested_in else ""
            children = record.get(field) or ()
            positions = node.get(field).item_pos if node is not None and hasattr(node.get(field), "item_pos") else None
            for number, child in enumerate(children):
                child_pos = positions[number] if positions is not None else position
                child_loc = loc.child(field, number)
                child_found = digest(child_kind, child)
                self.checker.add(child_kind, child, child_loc, child if node is not None else None, child_found)
                self.builder.take(
                    prepare(
                        child_kind,
                        child,
                        child_pos[0],
                        child_pos[1],
                        [loc.section, loc.index, field, number],
                        parent=record["id"],
                        found=child_found,
                    )
                )

    def _ready(
        self,
        kind: Kind,
        record: Any,
        loc: Loc,
        node: Any,
        position: Position,
        stored: Any = None,
        encoded: str | None = None,
    ) -> Prepared:
        """A record checked (its references and evidence noted for the cross-checks) and made ready for the store
        (``stored``: what the store keeps of it, if not the record itself). A value the store cannot hold (NaN)
        sends a file the fast reader took (no ``node``) to the reference reader."""
        stored = record if stored is None else stored
        found = digest(kind, stored)
        self.checker.add(kind, record, loc, node, found)
        try:
            return prepare(kind, stored, position[0], position[1], [loc.section, loc.index], found=found, base=encoded)
        except ValueError:
            if node is None:
                raise yamlio.Unsuitable from None
            raise

    # -- problems -----------------------------------------------------------------------------------------

    def raise_problems(self, pending: list[Pending]) -> None:
        """Locate every pending problem and raise them all, in file and document order."""
        locs = [p.where for p in pending if isinstance(p.where, Loc)]
        locs += [other for p in pending for other in p.others if isinstance(other, Loc)]
        located = self._locate(locs)
        order = {label: position for position, label in enumerate(f.label for f in self._in_order())}

        def place(where: Loc | tuple[str, int, int]) -> tuple[str, int, int]:
            if isinstance(where, Loc):
                return located.get(where) or (self.labels.get(where.file, "?"), 1, 1)
            return where

        problems = [(order.get(p.path, len(order)), p) for _, p in self.problems]
        for p in pending:
            label, line, column = place(p.where)
            message = (
                p.message.format(*(":".join(map(str, place(other))) for other in p.others)) if p.others else p.message
            )
            problems.append((order.get(label, len(order)), Problem(label, line, column, message)))
        problems.sort(key=lambda pair: (pair[0], pair[1].line, pair[1].column))
        raise KnowledgeError([problem for _, problem in problems])

    def _in_order(self) -> list[KnowledgeFile]:
        positions = {
            int(file): int(position) for file, position in self.connection.execute("SELECT file, position FROM files")
        }
        return [f for _, f in sorted(self.files.items(), key=lambda pair: positions.get(pair[0], 0))]

    def _locate(self, locs: list[Any]) -> dict[Loc, tuple[str, int, int]]:
        """Positions for problems found without them: from the store for JSON Lines (a record is a line),
        else by reading those YAML files again with the reference reader."""
        located: dict[Loc, tuple[str, int, int]] = {}
        by_file: dict[int, list[Loc]] = {}
        for loc in locs:
            if isinstance(loc, Loc):
                by_file.setdefault(loc.file, []).append(loc)
        for number, wanted in by_file.items():
            file = self.files.get(number)
            if file is None:
                continue
            if is_lines(file.path):
                for loc in wanted:
                    line = self._stored_line(number, loc)
                    located[loc] = (file.label, line, 1)
                continue
            keys = {(loc.section, loc.index) for loc in wanted}
            found: dict[tuple[str, int], Any] = {}

            def keep(
                section: str, index: int, value: Any, position: Position, keys: Any = keys, found: Any = found
            ) -> None:
                if (section, index) in keys:
                    found[(section, index)] = value

            with contextlib.suppress(KnowledgeError):
                text = yamlio.read_text(file.path, file.label, self.settings.max_file_bytes)
                yamlio.parse_items(text, file.label, keep, [])
            for loc in wanted:
                node = found.get((loc.section, loc.index))
                position = position_of(node, loc.path) if node is not None else None
                located[loc] = (file.label, *(position or (1, 1)))
        return located

    def _stored_line(self, file: int, loc: Loc) -> int:
        key = path_text((loc.section, loc.index))
        table = "updates" if loc.section == "updates" else "records"
        found = self.connection.execute(f"SELECT line FROM {table} WHERE file = ? AND loc = ?", (file, key)).fetchone()
        return int(found[0]) if found else 1


T = TypeVar("T")

#: Batches (of yamlio.BATCH records) of one list below which a second process is not worth starting.
MIN_SHARED_BATCHES = 100


class _Sharing:
    """A list of records read by the fast reader batch by batch: each batch's records are checked on their own
    (signals held once a batch, not per record) and made ready for the store, in a forked helper too for a long
    list (:mod:`cca.io.spread`), and stored here in order. What is made is what :meth:`Compiler._fast_item`
    makes of each record, problems included."""

    def __init__(self, compiler: Compiler) -> None:
        self.compiler = compiler

    def wants(self, section: str, batches: int) -> bool:
        kind = self.compiler._sections.get(section)
        return kind is not None and not self.compiler.kinds.nested(kind.name)

    def prepare(self, section: str, items: yamlio.Batch) -> tuple[list[Prepared], list[Pending], list[Any]]:
        compiler = self.compiler
        checker = compiler.checker
        kind = compiler._sections[section]
        marks = (len(checker.pending), len(checker.quotes))
        out = []
        with compiler.fast.holding():  # the schema check holds signals: once for the batch
            verdicts = [compiler.fast.item(section, item) for _, item, _ in items]
        for (index, item, position), valid in zip(items, verdicts, strict=True):
            if not valid:
                raise yamlio.Unsuitable
            out.append(compiler._ready(kind, item, Loc(compiler._file, section, index), None, position))
        # what the checks found goes with the records (taken in order, wherever they were made)
        pending, quotes = checker.pending[marks[0] :], checker.quotes[marks[1] :]
        del checker.pending[marks[0] :], checker.quotes[marks[1] :]
        return out, pending, quotes

    def take(self, prepared: tuple[list[Prepared], list[Pending], list[Any]]) -> None:
        rows, pending, quotes = prepared
        self.compiler.checker.pending += pending
        self.compiler.checker.quotes += quotes
        for ready in rows:
            self.compiler.builder.take(ready)

    def run(self, tasks: Sequence[T], here: Callable[[T], Any]) -> Iterator[Any]:
        if len(tasks) < MIN_SHARED_BATCHES:
            return map(here, tasks)
        from cca.io import spread

        if not spread.available():
            return map(here, tasks)
        passes = (yamlio.Unsuitable, ValueError, KeyError, TypeError)
        return spread.in_two(tasks, here, lambda: here, passes, spread.READ_SHARE)


def compile_files(
    connection: sqlite3.Connection,
    files: Sequence[KnowledgeFile],
    states: Sequence[str | None],
    settings: Settings,
    kinds: Registry,
    meta: Mapping[str, str],
    *,
    sources_dir: Path | None = None,
    report: Report | None = None,
    spread: Spread | None = None,
) -> None:
    """Bring the store on ``connection`` up to date with ``files``, inside the caller's transaction
    (``spread``: how a new store may render in two processes, see :mod:`cca.io.spread`)."""
    with slow_note(files, report):
        Compiler(connection, settings, kinds, sources_dir, spread).update(files, states, meta)
