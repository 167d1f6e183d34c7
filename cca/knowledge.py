"""Find, load and validate knowledge files into a :class:`KnowledgeBase`.

Loading is: read each file safely (:mod:`cca.yamlfile`), check it against the
JSON Schema (:mod:`cca.schema`), then check what a schema cannot: ids unique
across every file, every reference resolving, sector parents without cycles,
updates aimed at existing records, and (with ``sources_dir``) every quote
verbatim in its source's text. All problems are collected and raised together.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cca.errors import KnowledgeError, Problem
from cca.model import ACTION, ALL_KINDS, KINDS, RECORD_CLASSES, Origin, Record
from cca.yamlfile import Position, YamlList, YamlMap, load_file

#: Environment variable: extra knowledge files or directories, separated by os.pathsep.
ENV_KNOWLEDGE = "CCA_KNOWLEDGE"
#: Environment variable: set to 1 to leave the bundled knowledge out.
ENV_NO_BUNDLED = "CCA_NO_BUNDLED"

# Fields that hold the id of another record, and the kinds they may point at (None: any kind).
_REFERENCES: dict[str, tuple[str, ...] | None] = {
    "source": ("source",),
    "countries": ("country",),
    "country": ("country",),
    "sectors": ("sector",),
    "organisation": ("organisation",),
    "organisations": ("organisation",),
    "project": ("project",),
    "person": ("person",),
    "event": ("event",),
    "part_of": ("event",),
    "place": ("place",),
    "place_ids": ("place",),
    "about": None,
    "related": None,
}


def data_dir() -> Path:
    """The bundled data directory: inside the installed package, or ``data/`` in a checkout."""
    here = Path(__file__).resolve().parent
    installed = here / "data"
    return installed if installed.is_dir() else here.parent / "data"


def bundled_path() -> Path:
    return data_dir() / "knowledge.yaml"


def _expand(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    return [path]


def knowledge_paths(
    extra: Iterable[Path | str] = (), *, bundled: bool | None = None, environ: dict[str, str] | None = None
) -> list[Path]:
    """The files to load, in order: bundled, then ``$CCA_KNOWLEDGE``, then ``extra``.

    Directories stand for the ``*.yaml``/``*.yml`` files in them, sorted by name.
    ``bundled=None`` means: unless ``$CCA_NO_BUNDLED`` is set to something true.
    """
    env = os.environ if environ is None else environ
    if bundled is None:
        bundled = env.get(ENV_NO_BUNDLED, "").lower() not in ("1", "true", "yes")
    paths: list[Path] = [bundled_path()] if bundled else []
    for entry in env.get(ENV_KNOWLEDGE, "").split(os.pathsep):
        if entry.strip():
            paths.extend(_expand(Path(entry.strip())))
    for extra_path in extra:
        paths.extend(_expand(Path(extra_path)))
    return paths


def label_for(path: Path) -> str:
    """How messages name a file: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


@dataclass(slots=True)
class _Node:
    """A raw record awaiting checks: its mapping and where it came from."""

    kind: str
    data: YamlMap
    label: str
    parent: str | None = None


class KnowledgeBase:
    """Validated records from one or more knowledge files, indexed by id and kind.

    Built either from records in memory or over a compiled cache (:mod:`cca.cache`),
    in which case each kind is read only when first asked for.
    """

    def __init__(self, records: Sequence[Record], files: Sequence[str], store: Any = None) -> None:
        self.files = list(files)
        self._store = store
        self._by_id: dict[str, Record] = {}
        self._by_kind: dict[str, list[Record]] = {}
        if store is None:
            self._by_kind = {kind: [] for kind in ALL_KINDS}
            for record in records:
                self._add(record)
        else:
            from cca.cache import REFERENCE_KINDS

            for kind in REFERENCE_KINDS:
                self.of_kind(kind)

    def _add(self, record: Record) -> None:
        self._by_id[record.id] = record
        self._by_kind.setdefault(record.kind, []).append(record)

    def _load_all(self) -> None:
        for kind in ALL_KINDS:
            self.of_kind(kind)

    @property
    def by_id(self) -> dict[str, Record]:
        """Every record by id (reads the whole cache when there is one)."""
        self._load_all()
        return self._by_id

    def __len__(self) -> int:
        return sum(self.counts().values())

    def get(self, record_id: str) -> Record | None:
        found = self._by_id.get(record_id)
        if found is None and self._store is not None:
            found = self._store.get(record_id)
            if found is not None:
                self._by_id[record_id] = found
        return found

    def of_kind(self, kind: str) -> list[Record]:
        if kind not in self._by_kind and self._store is not None:
            self._by_kind[kind] = []
            for record in self._store.kind(kind):
                self._add(record)
        return list(self._by_kind.get(kind, ()))

    def projects_in(self, country_ids: Iterable[str]) -> list[Record]:
        """Projects in any of the countries (by index when the knowledge comes from the cache)."""
        wanted = set(country_ids)
        if self._store is not None and "project" not in self._by_kind:
            return list(self._store.projects_in(wanted))
        return [r for r in self.of_kind("project") if wanted.intersection(r.data.get("countries", ()))]

    def ids(self) -> list[str]:
        """Every record id, in file order (without reading the records from a cache)."""
        if self._store is not None and len(self._by_kind) < len(ALL_KINDS):
            return list(self._store.ids())
        return list(self._by_id)

    def referencing(self, record_id: str) -> list[Record]:
        """Candidates for records that refer to ``record_id`` (callers check the references)."""
        if self._store is not None and len(self._by_kind) < len(ALL_KINDS):
            return [self._by_id.get(r.id, r) for r in self._store.referencing(record_id)]
        return list(self._by_id.values())

    def citations(self, source_id: str) -> int:
        """How many evidence quotes, anywhere, cite ``source_id``."""
        if self._store is not None and len(self._by_kind) < len(ALL_KINDS):
            return int(self._store.citations(source_id))
        from cca.query import count_citations

        return sum(count_citations(record.data, source_id) for record in self._by_id.values())

    def search_candidates(self, words: list[str], compact: str) -> list[Record]:
        """Records that may match a search (all of them when there is no cache to ask)."""
        if self._store is not None and len(self._by_kind) < len(ALL_KINDS):
            return [self._by_id.get(r.id, r) for r in self._store.search_candidates(words, compact)]
        return list(self.by_id.values())

    def counts(self) -> dict[str, int]:
        if self._store is not None:
            stored = self._store.counts()
            return {kind: stored.get(kind, 0) for kind in ALL_KINDS}
        return {kind: len(self._by_kind.get(kind, ())) for kind in ALL_KINDS}

    # Queries live in cca.query; these wrappers make them methods for notebook use.
    def projects(self, **filters: Any) -> list[Any]:
        from cca.query import filter_projects

        return filter_projects(self, **filters)


def load(
    paths: Sequence[Path | str] | None = None,
    *,
    extra: Iterable[Path | str] = (),
    bundled: bool | None = None,
    sources_dir: Path | str | None = None,
    use_cache: bool | None = None,
    on_slow: Callable[[str], None] | None = None,
) -> KnowledgeBase:
    """Load and validate knowledge; raise :class:`KnowledgeError` listing every problem.

    ``paths`` replaces the default file list entirely; otherwise the list is
    :func:`knowledge_paths` (bundled, ``$CCA_KNOWLEDGE``, ``extra``). A fresh
    compiled cache is used when there is one (``use_cache=None`` means: unless
    ``$CCA_NO_CACHE`` is set); checking quotes (``sources_dir``) always reads the
    files. ``on_slow`` is called with a message if reading the files takes more
    than half a second.
    """
    files = [Path(p) for p in paths] if paths is not None else knowledge_paths(extra, bundled=bundled)
    if not files:
        raise KnowledgeError([Problem("<knowledge>", 1, 1, "no knowledge files to load")])
    from cca import cache

    caching = (not cache.disabled() if use_cache is None else use_cache) and sources_dir is None
    if caching:
        try:
            store = cache.open_store(files)
        except OSError:
            store = None
        if store is not None:
            return KnowledgeBase([], store.labels, store)
    states = None
    if caching:
        try:
            states = cache.capture(files)
        except OSError:
            states = None  # a missing or unreadable file: the loader below says which, in its words
    timer = _slow_timer(files, on_slow)
    try:
        kb = _load_files(files, Path(sources_dir) if sources_dir is not None else None)
    finally:
        if timer is not None:
            timer.cancel()
    if states is not None:
        cache.write_store(files, list(kb.by_id.values()), kb.files, states)
    return kb


def _slow_timer(files: Sequence[Path], on_slow: Callable[[str], None] | None) -> Any:
    if on_slow is None:
        return None
    import threading

    def say() -> None:
        size = sum(p.stat().st_size for p in files if p.is_file())
        on_slow(
            f"reading {len(files)} knowledge file{'s' if len(files) != 1 else ''} ({size / 1e6:.1f} MB); "
            "later runs use the cache"
        )

    timer = threading.Timer(0.5, say)
    timer.daemon = True
    timer.start()
    return timer


def _load_files(files: Sequence[Path], sources_dir: Path | None) -> KnowledgeBase:
    problems: list[Problem] = []
    documents: list[tuple[str, YamlMap]] = []
    for path in files:
        label = label_for(path)
        try:
            document = load_file(path, label)
        except KnowledgeError as error:
            problems.extend(error.problems)
            continue
        from cca.schema import validate

        schema_problems = validate(document, label)
        problems.extend(schema_problems)
        if isinstance(document, YamlMap) and not schema_problems:
            documents.append((label, document))
    if problems:
        raise KnowledgeError(problems)
    records = _check_documents(documents, problems, sources_dir)
    if problems:
        order = {label: index for index, (label, _) in enumerate(documents)}
        problems.sort(key=lambda p: (order.get(p.path, len(order)), p.line, p.column))
        raise KnowledgeError(problems)
    return KnowledgeBase(records, [label for label, _ in documents])


def _raw_records(documents: list[tuple[str, YamlMap]]) -> Iterator[_Node]:
    for label, document in documents:
        for plural, kind in KINDS.items():
            for item in document.get(plural, ()):
                yield _Node(kind, item, label)
                if kind == "aspect":
                    for action in item.get("actions", ()):
                        yield _Node(ACTION, action, label, parent=item["id"])


def _check_documents(
    documents: list[tuple[str, YamlMap]], problems: list[Problem], sources_dir: Path | None
) -> list[Record]:
    nodes: dict[str, _Node] = {}
    for node in _raw_records(documents):
        record_id = node.data["id"]
        first = nodes.get(record_id)
        if first is not None:
            line, column = first.data.value_pos["id"]
            problems.append(
                _at(
                    node.label,
                    node.data,
                    "id",
                    f"duplicate id {record_id!r} (first defined at {first.label}:{line}:{column})",
                )
            )
            continue
        nodes[record_id] = node
    kinds = {record_id: node.kind for record_id, node in nodes.items()}
    for node in nodes.values():
        _check_references(node.data, node.label, kinds, problems, skip=("id",))
    _check_sector_cycles(nodes, problems)
    updates = [(label, update) for label, document in documents for update in document.get("updates", ())]
    for label, update in updates:
        target = nodes.get(update["id"])
        if target is None:
            problems.append(
                _at(label, update, "id", f"update of unknown record {update['id']!r}{_hint(update['id'], kinds)}")
            )
        elif target.kind != "project" and ("status" in update or "progress" in update):
            problems.append(
                _at(
                    label,
                    update,
                    "id",
                    f"status and progress can only be added to projects; {update['id']!r} is {_a(target.kind)}",
                )
            )
        _check_references(update, label, kinds, problems, skip=("id",))
    if sources_dir is not None:
        _check_quotes(documents, nodes, sources_dir, problems)
    if problems:
        return []
    merged: dict[str, dict[str, Any]] = {record_id: node.data for record_id, node in nodes.items()}
    for _, update in updates:
        target_data = merged[update["id"]]
        for key in ("evidence", "status", "progress", "aliases"):
            if key in update:
                target_data[key] = [*target_data.get(key, []), *update[key]]
        if "notes" in update:
            target_data["notes"] = "\n".join(filter(None, [target_data.get("notes"), update["notes"]]))
    records: list[Record] = []
    for record_id, node in nodes.items():
        line, column = node.data.pos
        data = merged[record_id]
        if node.kind == "aspect":
            data["actions"] = [action["id"] for action in data.get("actions", ())]
        cls = RECORD_CLASSES.get(node.kind, Record)
        records.append(cls(node.kind, record_id, data, Origin(node.label, line, column), node.parent))
    return records


def _at(label: str, mapping: YamlMap, key: str, message: str) -> Problem:
    line, column = mapping.value_pos.get(key, mapping.pos)
    return Problem(label, line, column, message)


def _a(noun: str) -> str:
    return ("an " if noun[:1] in "aeiou" else "a ") + noun


def _hint(value: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _check_references(
    value: Any, label: str, kinds: dict[str, str], problems: list[Problem], skip: tuple[str, ...] = ()
) -> None:
    """Walk a record; every reference field must name a record of an allowed kind."""
    if value.__class__ is YamlMap:
        for key, item in value.items():
            if key in skip or key == "actions":
                continue  # actions are records of their own, checked separately
            targets = _REFERENCES.get(key, ())
            if targets != ():
                if item.__class__ is str:
                    if item not in kinds or (targets is not None and kinds[item] not in targets):
                        _check_reference(item, value.value_pos[key], key, targets, label, kinds, problems)
                else:
                    for ref, pos in _strings(item, value.value_pos[key]):
                        _check_reference(ref, pos, key, targets, label, kinds, problems)
            if item.__class__ is YamlMap or item.__class__ is YamlList:
                _check_references(item, label, kinds, problems)
    elif value.__class__ is YamlList:
        for item in value:
            if item.__class__ is YamlMap or item.__class__ is YamlList:
                _check_references(item, label, kinds, problems)


def _strings(value: Any, pos: Position) -> Iterator[tuple[str, Position]]:
    if isinstance(value, str):
        yield value, pos
    elif isinstance(value, YamlList):
        for item, item_pos in zip(value, value.item_pos, strict=True):
            if isinstance(item, str):
                yield item, item_pos


def _check_reference(
    ref: str,
    pos: Position,
    key: str,
    targets: tuple[str, ...] | None,
    label: str,
    kinds: dict[str, str],
    problems: list[Problem],
) -> None:
    found = kinds.get(ref)
    if found is not None and (targets is None or found in targets):
        return
    wanted = "record" if targets is None else " or ".join(targets)
    if found is not None:
        message = f"{key}: {ref!r} is {_a(found)}, not {_a(wanted)}"
    else:
        pool = [i for i, k in kinds.items() if targets is None or k in targets]
        message = f"{key}: unknown {wanted} {ref!r}{_hint(ref, pool)}"
    problems.append(Problem(label, pos[0], pos[1], message))


def _check_sector_cycles(nodes: dict[str, _Node], problems: list[Problem]) -> None:
    for record_id, node in nodes.items():
        if node.kind == "sector" and "parent" in node.data:
            parent = node.data["parent"]
            if parent == record_id:
                problems.append(_at(node.label, node.data, "parent", f"sector {record_id!r} is its own parent"))
                continue
            if nodes.get(parent) is not None and nodes[parent].kind != "sector":
                problems.append(
                    _at(
                        node.label, node.data, "parent", f"parent: {parent!r} is {_a(nodes[parent].kind)}, not a sector"
                    )
                )
                continue
            seen = {record_id}
            while parent in nodes and nodes[parent].kind == "sector":
                if parent in seen:
                    problems.append(
                        _at(node.label, node.data, "parent", f"sector parents form a cycle through {parent!r}")
                    )
                    break
                seen.add(parent)
                parent = nodes[parent].data.get("parent")
        elif node.kind == "organisation" and "parent" in node.data:
            parent = node.data["parent"]
            if nodes.get(parent) is None or nodes[parent].kind != "organisation":
                problems.append(_at(node.label, node.data, "parent", f"parent: unknown organisation {parent!r}"))


_SPACE = re.compile(r"[\s\u00a0]+")


def fold_space(text: str) -> str:
    """Fold each run of whitespace (no-break spaces included) to one space."""
    return _SPACE.sub(" ", text).strip()


def _check_quotes(
    documents: list[tuple[str, YamlMap]], nodes: dict[str, _Node], sources_dir: Path, problems: list[Problem]
) -> None:
    texts: dict[str, str | None] = {}
    for node in nodes.values():
        if node.kind != "source":
            continue
        name = node.data.get("file")
        if name is None:
            problems.append(
                _at(
                    node.label,
                    node.data,
                    "id",
                    f"source {node.data['id']!r} names no text file: add 'file' to check its quotes",
                )
            )
            texts[node.data["id"]] = None
            continue
        path = sources_dir / name
        try:
            texts[node.data["id"]] = fold_space(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as error:
            reason = getattr(error, "strerror", None) or str(error)
            problems.append(_at(node.label, node.data, "file", f"cannot read source text {path}: {reason}"))
            texts[node.data["id"]] = None
    for label, document in documents:
        for evidence, pos in _evidence_items(document, document.pos):
            text = texts.get(evidence["source"])
            if text is not None and fold_space(evidence["quote"]) not in text:
                line, column = evidence.value_pos.get("quote", pos)
                problems.append(
                    Problem(
                        label,
                        line,
                        column,
                        f"quote not found verbatim in source {evidence['source']!r}: {_preview(evidence['quote'])}",
                    )
                )


def _evidence_items(value: Any, pos: Position) -> Iterator[tuple[YamlMap, Position]]:
    if isinstance(value, YamlMap):
        for key, item in value.items():
            if key == "evidence" and isinstance(item, YamlList):
                for entry, entry_pos in zip(item, item.item_pos, strict=True):
                    if isinstance(entry, YamlMap):
                        yield entry, entry_pos
            else:
                yield from _evidence_items(item, value.value_pos[key])
    elif isinstance(value, YamlList):
        for item, item_pos in zip(value, value.item_pos, strict=True):
            yield from _evidence_items(item, item_pos)


def _preview(text: str) -> str:
    text = fold_space(text)
    return repr(text if len(text) <= 70 else text[:67] + "...")
