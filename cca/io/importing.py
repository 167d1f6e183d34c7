"""The import pipeline: any registered importer's rows into the knowledge directory, all or nothing.

* It takes the import lock of the knowledge directory (one import or removal at a time; another
  waits a few seconds, then gets a one-line answer and status 75) and clears what a killed import
  left behind;
* it streams the rows (:meth:`cca.io.importers.Importer.read`): each record is written to a hidden
  JSON Lines file *and* into the compiled store, in one transaction, in bounded memory;
* it checks the new records with everything else (ids, references) in the store;
* only then does anything visible change: the manifest of imports is updated, the hidden file
  is renamed into place (``<name>.jsonl``), and the store's transaction commits. A failure or a
  signal before that leaves every file and the store as they were; a kill after the rename
  leaves the new import, which the next command reads.

cca acts only on the files it wrote, named in the manifest (``.cca-imports.json``): a file of the
user's own in the knowledge directory (``links.yaml``) is never listed, replaced or removed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from cca.core.errors import EXIT_BUSY, CcaError, DatasetError, KnowledgeError, Problem, QueryError
from cca.core.settings import KnowledgeFile, Settings, label_for
from cca.io import safefile
from cca.io.importers import Edition, ImportContext, Importer, ImportOptions, Tally, edition

#: The manifest of the imports in a knowledge directory: what cca wrote, and may replace or remove.
MANIFEST = ".cca-imports.json"
#: The import lock (an advisory lock on this file; it names the process holding it).
LOCK = ".cca-import.lock"
#: Hidden files an import writes before they take their place (a killed import leaves them behind).
TEMPORARY = ".cca-import-"
#: How long an import waits for another to finish before it says so.
LOCK_WAIT = 10.0

_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_")
#: Longest import name: a file name in the knowledge directory (with its suffix and a temporary's affixes).
NAME_MAX = 100


class ImportBusy(CcaError):
    """Another import or removal holds the knowledge directory's lock."""

    exit_code = EXIT_BUSY


# -- names, the manifest and the lock -------------------------------------------------------------------


def check_name(name: str) -> str:
    if not name or not set(name) <= _NAME_CHARS or name.startswith(("-", ".")) or len(name) > NAME_MAX:
        shown = safefile.describe(repr(name))
        raise QueryError(f"import name {shown}: use lower-case letters, digits, '-' and '_' (at most {NAME_MAX})")
    return name


def data_dir(settings: Settings) -> Path:
    if settings.data_dir is None:
        raise QueryError(
            "imports live in the knowledge directory, which {no_data_dir} (or CCA_NO_DATA_DIR) turns off",
            params=["no_data_dir"],
        )
    return settings.data_dir


class Entry(NamedTuple):
    """One import, as the manifest records it."""

    name: str
    file: str
    importer: str
    source: str
    dataset_file: str
    rows: int
    imported: int
    date: str


def manifest(directory: Path) -> dict[str, Entry]:
    """The imports cca wrote in ``directory`` (a damaged or foreign manifest lists none)."""
    try:
        with (directory / MANIFEST).open(encoding="utf-8") as handle:
            value = json.load(handle)
    except (OSError, ValueError):
        return {}
    out: dict[str, Entry] = {}
    for name, item in (value.get("imports") or {}).items() if isinstance(value, dict) else ():
        with contextlib.suppress(TypeError, ValueError, KeyError):
            out[name] = Entry(name, *(item[field] for field in Entry._fields[1:]))
    return out


def _write_manifest(directory: Path, entries: Mapping[str, Entry]) -> None:
    imports = {
        name: {k: v for k, v in entry._asdict().items() if k != "name"} for name, entry in sorted(entries.items())
    }
    value = {"format": 1, "imports": imports}
    with safefile.atomic_path(directory / MANIFEST, force=True) as temporary:
        temporary.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


@contextlib.contextmanager
def locked(directory: Path) -> Iterator[None]:
    """The knowledge directory's import lock: one import or removal at a time."""
    safefile.writable_directory(directory)
    path = directory / LOCK
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
    except OSError as error:
        raise safefile.cannot_write(path, error) from None
    try:
        deadline = time.monotonic() + LOCK_WAIT
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(descriptor, 32, 0).decode("ascii", "replace").strip() or "another process"
                    raise ImportBusy(
                        f"another import or removal is running in {safefile.describe(directory)} (process "
                        f"{holder}); try again when it ends"
                    ) from None
                time.sleep(0.1)
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, str(os.getpid()).encode(), 0)
        _clear_leftovers(directory)
        yield
    finally:
        with contextlib.suppress(OSError):
            os.ftruncate(descriptor, 0)
        os.close(descriptor)


def _clear_leftovers(directory: Path) -> None:
    """Hidden files of imports that were killed: with the lock held, no running import owns them."""
    with contextlib.suppress(OSError):
        for entry in directory.iterdir():
            if entry.name.startswith(TEMPORARY) and entry.name.endswith(".tmp"):
                with contextlib.suppress(OSError):
                    if entry.is_file() and not entry.is_symlink():
                        entry.unlink()


# -- the import ------------------------------------------------------------------------------------------


class Summary(NamedTuple):
    path: Path
    rows: int
    imported: int
    outside: int
    #: Why rows were left out, naming the parameters in ``params`` as ``{param}`` (see cca.core.errors.named).
    outside_why: str
    skipped: list[str]
    replaced: int
    params: tuple[str, ...] = ()
    #: What the importer had to say (tally.notes).
    notes: tuple[str, ...] = ()


def _params(text: str) -> tuple[str, ...]:
    """The parameters a message names as ``{param}``."""
    return tuple(re.findall(r"\{([a-z_]+)\}", text))


def context_of(kb: Any, settings: Settings) -> ImportContext:
    """What an importer needs of the knowledge: countries by ISO-3 and by name, the selection, the sectors."""
    from cca.core.regions import regions
    from cca.core.text import fold
    from cca.core.world import country_id, world_countries

    countries = {str(c.get("iso3")): c.id for c in kb.countries() if c.get("iso3")}
    names: dict[str, str] = {}
    for world in world_countries():
        countries.setdefault(world.alpha3, country_id(world.name))
        for name in (world.name, *world.other_names):
            names.setdefault(fold(name), countries[world.alpha3])
    for record in kb.countries():
        for name in (record.name, record.get("official_name"), *record.aliases):
            if isinstance(name, str):
                names[fold(name)] = record.id
    alpha3 = {w.alpha2: w.alpha3 for w in world_countries()}
    asean = next(region for region in regions() if region.id == "asean")
    selected = frozenset({alpha3[code] for code in asean.codes if code in alpha3} | {"TLS"})
    china = countries.get("CHN")
    if china is None:
        raise QueryError("the knowledge has no country China (ISO CHN), which every import names")
    return ImportContext(countries, names, selected, china, frozenset(s.id for s in kb.sectors()), settings.root)


def run(
    importer: Importer,
    path: Path,
    label: str,
    settings: Settings,
    options: ImportOptions = ImportOptions(),
    report: Callable[[str], None] | None = None,
) -> Summary:
    """Import ``path`` with ``importer`` as ``<knowledge directory>/<name>.jsonl``: all or nothing (see the module)."""
    from cca.io.importers.tables import check_file

    if options.name is not None:
        check_name(options.name)
    directory = data_dir(settings)
    with locked(directory):
        entries = manifest(directory)
        check_file(path, label)
        which = edition(importer, path, label, options)
        name = check_name(options.name if options.name is not None else which.name)
        target = directory / f"{name}.jsonl"
        _check_ours(target, name, entries)
        return _Import(importer, which, path, label, settings, options, report, name, target, entries).run()


def _check_ours(target: Path, name: str, entries: Mapping[str, Entry]) -> None:
    if name in entries:
        return
    if target.exists() or target.is_symlink():
        raise QueryError(
            f"{safefile.describe(target)} is a file of yours, not an import of cca's: it stays as it is "
            "(choose another {name})",
            params=["name"],
        )


class _Import:
    """One run of the pipeline (see :func:`run`)."""

    def __init__(
        self,
        importer: Importer,
        which: Edition,
        path: Path,
        label: str,
        settings: Settings,
        options: ImportOptions,
        report: Callable[[str], None] | None,
        name: str,
        target: Path,
        entries: Mapping[str, Entry],
    ) -> None:
        self.importer, self.path, self.label, self.settings = importer, path, label, settings
        self.edition = which
        self.options, self.report, self.name, self.target, self.entries = options, report, name, target, entries
        self.directory = target.parent
        self.rows_of_line: list[int] = [0, 0]  # the dataset row of each line of the new file (line 1: the header)
        #: Other imports written again without the rows this one takes over (--replace): (temporary, file).
        self.renames: list[tuple[Path, Path]] = []
        self.temporaries: list[Path] = []

    def run(self) -> Summary:
        from cca.core.kb import KnowledgeBase
        from cca.core.kinds import KINDS
        from cca.io.load import discover, file_state, open_for_update

        files_now = discover(self.settings)
        store, connection, keep = open_for_update(self.settings, files_now, self.report)
        with safefile.signals_held():
            handle, temporary = _temporary(self.directory, self.name)
        tally = Tally()
        committed = False
        try:
            kb = KnowledgeBase(store, [f.label for f in files_now])
            context = context_of(kb, self.settings)
            connection.execute("BEGIN IMMEDIATE")
            try:
                replaced = self._compile(connection, handle, temporary, context, tally, KINDS)
                _fsync_close(handle)
                handle = -1
                entry = Entry(
                    self.name, self.target.name, self.importer.name, self.edition.source_id, self.path.name,
                    tally.rows, tally.imported, dt.date.today().isoformat(),
                )  # fmt: skip
                _write_manifest(self.directory, {**self.entries, self.name: entry})
                with safefile.signals_held():
                    for rewritten, other in [*self.renames, (temporary, self.target)]:
                        os.replace(rewritten, other)
                        connection.execute(
                            "UPDATE files SET state = ? WHERE path = ?",
                            (file_state(other), os.fsencode(str(other.absolute()))),
                        )
                    connection.execute("COMMIT")
                    committed = True
            finally:
                if not committed:
                    with contextlib.suppress(sqlite3.Error):
                        connection.execute("ROLLBACK")
        finally:
            if handle >= 0:
                os.close(handle)
            if not committed:
                with safefile.signals_held():
                    for leftover in [temporary, *self.temporaries]:
                        with contextlib.suppress(OSError):
                            leftover.unlink()
            if not keep:
                connection.close()
        why = f"left out: {tally.outside_why}" + (f" ({tally.widen})" if tally.widen else "")
        return Summary(
            self.target,
            tally.rows,
            tally.imported,
            tally.outside,
            why,
            tally.skipped,
            replaced,
            _params(tally.widen),
            tuple(tally.notes),
        )

    def _compile(
        self,
        connection: sqlite3.Connection,
        handle: int,
        temporary: Path,
        context: ImportContext,
        tally: Tally,
        kinds: Any,
    ) -> int:
        """Stream the rows into the hidden file and the store, then check them with everything else."""
        from cca.io import lines
        from cca.io.compile import Compiler
        from cca.io.load import discover, meta

        compiler = Compiler(connection, self.settings, kinds)
        after = discover(self.settings, adding=self.target)
        compiler.adopt(after)
        position = [str(f.path.absolute()) for f in after].index(str(self.target.absolute()))
        stored = compiler.builder.files()
        old = stored.get(str(self.target.absolute()))
        if old is not None:
            compiler.builder.remove_file(old[0])
        for at, file in enumerate(after):
            entry = stored.get(str(file.path.absolute()))
            if entry is not None and file.path != self.target:
                compiler.builder.place_file(entry[0], at, file.label, file.name)
        target_label = label_for(self.target)
        number = compiler.begin(position, self.target, target_label)
        properties = compiler.schema.get("properties", {})
        counts: dict[str, int] = {}
        digest = hashlib.sha256()
        with open(self.path, "rb") as source:
            for block in iter(lambda: source.read(1 << 20), b""):
                digest.update(block)
        about = (
            f"Imported from {self.path.name} by 'cca import {self.importer.name}': {self.edition.title}. "
            f"Replace it by importing again; remove it with: cca import --remove {self.name}"
        )
        with os.fdopen(os.dup(handle), "w", encoding="utf-8") as out:
            writer = lines.Writer(out, about)
            for converted in self.importer.read(self.path, self.label, context, self.options, tally):
                encoded = lines.encode(converted.record)  # once, for the file and the store alike
                line = writer.write(converted.section, converted.record, encoded)
                self.rows_of_line.append(converted.row)
                index = counts.get(converted.section, 0)
                counts[converted.section] = index + 1
                compiler.add_item(
                    converted.section, index, converted.record, (line, 1), properties, target_label, encoded=encoded
                )
                if self.report is not None and tally.rows % 5000 == 0 and tally.rows:
                    self.report(f"read {tally.rows:,} rows")
            if tally.imported == 0:
                widen = f" ({tally.widen})" if tally.widen and tally.outside else ""
                raise DatasetError(
                    f"{self.label}: none of its {tally.rows:,} rows are {tally.selected}: nothing was imported and "
                    f"nothing changed{widen}",
                    params=_params(widen),
                )
            provenance = {
                "importer": self.importer.name,
                "source": self.edition.source_id,
                "file": self.path.name,
                "sha256": digest.hexdigest(),
                "rows": tally.rows,
                "imported_rows": tally.imported,
                "outside_rows": tally.outside,
                "skipped_rows": len(tally.skipped),
                "imported": dt.date.today().isoformat(),
                **tally.details,
            }
            writer.write("provenance", provenance)
            self.rows_of_line.append(0)
        compiler.builder.set_provenance(number, provenance)
        compiler.builder.end_file(None)
        replaced = self._overlaps(compiler, number)
        try:
            compiler.check()
        except KnowledgeError as error:
            raise self._in_dataset_terms(error, target_label) from None
        compiler.builder.finish(meta(self.settings, kinds))
        return replaced

    def _overlaps(self, compiler: Any, number: int) -> int:
        """Ids this import shares with another import: an error naming both rows, or (--replace) this one wins."""
        db = compiler.connection
        rows = db.execute(
            "SELECT r.id, r.line, o.file, o.line, f.path FROM records r "
            "JOIN records o ON o.id = r.id AND o.file != r.file JOIN files f ON f.file = o.file "
            "WHERE r.file = ? ORDER BY r.line",
            (number,),
        ).fetchall()
        if not rows:
            return 0
        ours = {str(self.directory.absolute() / entry.file) for entry in self.entries.values()}
        problems = []
        for record_id, line, _, other_line, other_path in rows[:50]:
            where = os.fsdecode(other_path)
            row = self.rows_of_line[line] if line < len(self.rows_of_line) else 0
            if where in ours and self.options.replace:
                continue
            hint = "; {replace} makes this import's rows win" if where in ours else ""
            problems.append(
                Problem(
                    self.label,
                    row,
                    1,
                    f"{record_id} is already in {label_for(Path(where))} (line {other_line}){hint}",
                )
            )
        if problems:
            raise KnowledgeError(problems, params=["replace"])
        taken: dict[str, set[str]] = {}
        for record_id, _, _, _, other_path in rows:
            taken.setdefault(os.fsdecode(other_path), set()).add(record_id)
        for other, ids in taken.items():
            self._take_over(compiler, Path(other), ids)
        return sum(len(ids) for ids in taken.values())

    def _take_over(self, compiler: Any, other: Path, ids: set[str]) -> None:
        """--replace: the other import, written again without the records this one holds (renamed into place
        just before this import's file, so a kill in between leaves those rows in neither, never in both)."""
        from cca.io.lines import MAX_LINE_BYTES

        with safefile.signals_held():
            handle, temporary = _temporary(self.directory, other.stem)
        self.temporaries.append(temporary)
        with os.fdopen(handle, "w", encoding="utf-8") as out, other.open(encoding="utf-8") as source:
            for line in iter(lambda: source.readline(MAX_LINE_BYTES), ""):
                record = json.loads(line) if line.startswith('{"projects":') else None
                if record is None or record["projects"].get("id") not in ids:
                    out.write(line)
            out.flush()
            os.fsync(out.fileno())
        stored = compiler.builder.files()
        number, _ = stored[str(other.absolute())]
        position = compiler.connection.execute("SELECT position FROM files WHERE file = ?", (number,)).fetchone()[0]
        compiler.builder.remove_file(number)
        compiler.begin(int(position), other, label_for(other))
        compiler.read(KnowledgeFile(temporary, label_for(other), other.name), as_lines=True)
        compiler.builder.end_file(None)
        self.renames.append((temporary, other))

    def _in_dataset_terms(self, error: KnowledgeError, target_label: str) -> KnowledgeError:
        """Problems at lines of the hidden new file, told as the dataset rows they came from."""
        problems = []
        for problem in error.problems:
            if problem.path == target_label and 0 < problem.line < len(self.rows_of_line):
                problem = Problem(self.label, self.rows_of_line[problem.line], 1, problem.message)
            problems.append(problem)
        return KnowledgeError(problems)


def _temporary(directory: Path, name: str) -> tuple[int, Path]:
    import tempfile

    try:
        handle, path = tempfile.mkstemp(prefix=f"{TEMPORARY}{name}.", suffix=".tmp", dir=directory)
    except OSError as error:
        raise safefile.cannot_write(directory, error) from None
    os.fchmod(handle, 0o666 & ~safefile.umask())  # as any file the user makes, not mkstemp's 0600
    return handle, Path(path)


def _fsync_close(handle: int) -> None:
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


# -- the other import commands ---------------------------------------------------------------------------


def remove(settings: Settings, name: str) -> Path:
    """Remove the import called ``name`` (a file cca wrote, named in the manifest)."""
    check_name(name)
    directory = data_dir(settings)
    with locked(directory):
        entries = manifest(directory)
        entry = entries.get(name)
        if entry is None:
            present = ", ".join(sorted(entries)) or "none"
            raise QueryError(f"no import {name!r} in {safefile.describe(directory)} (imports: {present})")
        path = directory / entry.file
        if path.is_symlink() or (path.exists() and not path.is_file()):
            raise QueryError(f"{safefile.describe(path)} is not a regular file: cca removes only files it wrote")
        rest = {key: value for key, value in entries.items() if key != name}
        _write_manifest(directory, rest)
        with safefile.signals_held():
            path.unlink(missing_ok=True)
        return path


def imports(settings: Settings) -> list[Entry]:
    """The imports in the user's knowledge directory, by name (only those cca wrote)."""
    if settings.data_dir is None or not settings.data_dir.is_dir():
        return []
    return [entry for _, entry in sorted(manifest(settings.data_dir).items())]


def knowledge_file(settings: Settings, entry: Entry) -> KnowledgeFile:
    path = data_dir(settings) / entry.file
    return KnowledgeFile(path, label_for(path), path.name)
