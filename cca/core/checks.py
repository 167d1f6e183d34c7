"""What a schema cannot check, record by record as they stream in, then across them all.

Ids unique across every file; every reference naming a record of the right kind;
hierarchies (sector and organisation parents) without cycles and not too deep;
updates aimed at existing records; ISO codes and names unique across countries;
statements attributed as their form requires; (with source texts) every quote
verbatim in its source.

Records arrive with a :class:`Loc` (file, section, index, path) and, from the
reference reader, the positioned node itself. A problem is located at once when the
node is at hand; otherwise its Loc is resolved later by reading that one file again
with the reference reader (:mod:`cca.core.load` does this), so every message still
reads ``file:line:col``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cca.core.errors import Problem
from cca.core.registry import Kind, Registry
from cca.core.text import fold
from cca.io.yaml import Position, YamlList, YamlMap

#: Deepest a sector or organisation hierarchy may go.
MAX_HIERARCHY_DEPTH = 32

Step = str | int


@dataclass(frozen=True, slots=True)
class Loc:
    """Where a value is: file index, top-level section and item index, then the path inside the item."""

    file: int
    section: str
    index: int
    path: tuple[Step, ...] = ()

    def child(self, *steps: Step) -> Loc:
        return Loc(self.file, self.section, self.index, (*self.path, *steps))


Where = Loc | tuple[str, int, int]  # a Loc to resolve, or (label, line, column) known already


@dataclass(slots=True)
class Pending:
    """A problem waiting for its position; ``{}`` in the message stand for the places in ``others``."""

    where: Where
    message: str
    others: tuple[Where, ...] = ()


def position_of(node: Any, path: tuple[Step, ...]) -> Position | None:
    """The position of the value at ``path`` inside a positioned node (None if it is not there)."""
    position: Position | None = node.pos if isinstance(node, (YamlMap, YamlList)) else None
    for step in path:
        if isinstance(node, YamlMap) and step in node:
            position = node.value_pos[step]
            node = node[step]
        elif isinstance(node, YamlList) and isinstance(step, int) and 0 <= step < len(node):
            position = node.item_pos[step]
            node = node[step]
        else:
            return position
    return position


def _a(noun: str) -> str:
    return ("an " if noun[:1] in "aeiou" else "a ") + noun


def _hint(value: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(value, choices, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def walk_ref(value: Any, steps: tuple[str, ...], path: tuple[Step, ...] = ()) -> Iterator[tuple[str, tuple[Step, ...]]]:
    """Every id at a ref path (``parties[].organisation``) inside ``value``, with where it is."""
    if not steps:
        if isinstance(value, str):
            yield value, path
        return
    step, rest = steps[0], steps[1:]
    many = step.endswith("[]")
    key = step[:-2] if many else step
    if not isinstance(value, dict) or key not in value:
        return
    child = value[key]
    if many:
        if isinstance(child, list):
            for index, item in enumerate(child):
                if rest:
                    yield from walk_ref(item, rest, (*path, key, index))
                elif isinstance(item, str):
                    yield item, (*path, key, index)
    elif rest:
        yield from walk_ref(child, rest, (*path, key))
    elif isinstance(child, str):
        yield child, (*path, key)


def walk_evidence(value: Any, path: tuple[Step, ...] = ()) -> list[tuple[dict[str, Any], tuple[Step, ...]]]:
    """Every evidence entry anywhere inside a record, with its path (a record's own before nested ones)."""
    found: list[tuple[dict[str, Any], tuple[Step, ...]]] = []
    _walk_evidence(value, path, found)
    return found


def _walk_evidence(node: Any, where: tuple[Step, ...], found: list[Any]) -> None:
    """Depth first, each container's own evidence before its children's (the readers cap nesting at 64).

    The items of a list of mappings (status, progress, financing...) are looked at here rather than
    in a call each: this walk runs once per record of a first load.
    """
    if isinstance(node, list):
        for index, item in enumerate(node):
            if isinstance(item, (dict, list)) and item:
                _walk_evidence(item, (*where, index), found)
        return
    if not isinstance(node, dict):
        return
    own = node.get("evidence")
    if isinstance(own, list):
        for index, entry in enumerate(own):
            if isinstance(entry, dict):
                found.append((entry, (*where, "evidence", index)))
    for key, item in node.items():
        if isinstance(item, list):
            if key == "evidence" or not item:
                continue
            for index, element in enumerate(item):
                if isinstance(element, dict):
                    inner = element.get("evidence")
                    if isinstance(inner, list):
                        for number, entry in enumerate(inner):
                            if isinstance(entry, dict):
                                found.append((entry, (*where, key, index, "evidence", number)))
                    for name, value in element.items():
                        if (
                            isinstance(value, (dict, list))
                            and value
                            and not (name == "evidence" and isinstance(value, list))
                        ):
                            _walk_evidence(value, (*where, key, index, name), found)
                elif isinstance(element, list) and element:
                    _walk_evidence(element, (*where, key, index), found)
        elif isinstance(item, dict) and item:
            _walk_evidence(item, (*where, key), found)


@dataclass(frozen=True, slots=True)
class Digest:
    """What the checks and the store need of one record, found in one walk over it."""

    refs: list[tuple[str, str | None, str, tuple[Step, ...]]]  # (ref path, target kind, id, where)
    evidence: list[tuple[dict[str, Any], tuple[Step, ...]]]


_PLANS: dict[tuple[Any, ...], tuple[tuple[str, str | None, str, tuple[str, ...]], ...]] = {}


def digest(kind: Kind, record: Any) -> Digest:
    plan = _PLANS.get(kind.refs)
    if plan is None:  # each ref's top-level field, looked up once per record instead of walked
        plan = _PLANS[kind.refs] = tuple((ref.path, ref.target, ref.top, ref.steps) for ref in kind.refs)
    refs = [
        (path, target, value, where)
        for path, target, top, steps in plan
        if top in record
        for value, where in walk_ref(record, steps)
    ]
    return Digest(refs, walk_evidence(record))


@dataclass(slots=True)
class _Ref:
    value: str
    field: str
    target: str | None
    where: Where


_SPACE = re.compile(r"[\s\u00a0]+")
#: Words that mark a guess: a name resting on one is no alias (it stays in the notes).
_HEDGES = re.compile(
    r"\b(likely|probably|possibly|perhaps|presumably|apparently|seemingly|may be|might be|a guess|guessed)\b", re.I
)
#: Phrases that mark general knowledge, which belongs in notes (and aliases), never in sourced prose.
_OUTSIDE_KNOWLEDGE = re.compile(
    r"\b(general knowledge|not from the (article|source)|not in the (article|source))\b", re.I
)
#: Fields of sourced prose, where general knowledge must not be.
_PROSE_FIELDS = ("summary", "description", "text", "title", "theme", "subject")


def fold_space(text: str) -> str:
    """Fold each run of whitespace (no-break spaces included) to one space."""
    return _SPACE.sub(" ", text).strip()


class Checker:
    """Collects what it needs as records stream in; :meth:`finish` says what is wrong."""

    def __init__(self, kinds: Registry, labels: list[str], sources_dir: Path | None = None) -> None:
        self.kinds = kinds
        self.labels = labels
        self.sources_dir = sources_dir
        self.pending: list[Pending] = []
        self.ids: dict[str, tuple[str, Where]] = {}
        self._deferred: list[_Ref] = []
        self._parents: dict[str, dict[str, tuple[str, Where]]] = {}
        self._updates: list[tuple[Mapping[str, Any], Where, Where | None, Where | None]] = []
        self._quotes: list[tuple[str, str, Where]] = []
        self._source_files: dict[str, tuple[str | None, Where]] = {}
        self._codes: dict[tuple[str, str], tuple[str, Where]] = {}
        self._names: dict[str, tuple[str, Where]] = {}
        self._project_countries: dict[str, set[str]] = {}
        self._figure_about: list[tuple[set[str], list[str], Where]] = []
        self._datasets: dict[str, Where] = {}
        self._locators: list[tuple[str, Where]] = []

    # -- files -------------------------------------------------------------------------------------

    def begin_file(self) -> None:
        """Remember the state, so that a file read again (by the reference reader) can start afresh."""
        self._mark = (
            {name: len(value) for name, value in self._dicts().items()},
            {kind: len(parents) for kind, parents in self._parents.items()},
            {name: len(value) for name, value in self._lists().items()},
        )

    def discard_file(self) -> None:
        dict_sizes, parent_sizes, list_sizes = self._mark
        for name, value in self._dicts().items():
            for key in list(value)[dict_sizes[name] :]:
                del value[key]
        for kind, parents in self._parents.items():
            for key in list(parents)[parent_sizes.get(kind, 0) :]:
                del parents[key]
        for name, items in self._lists().items():
            del items[list_sizes[name] :]

    def _dicts(self) -> dict[str, dict[Any, Any]]:
        return {
            "ids": self.ids,
            "sources": self._source_files,
            "codes": self._codes,
            "names": self._names,
            "projects": self._project_countries,
            "datasets": self._datasets,
        }

    def _lists(self) -> dict[str, list[Any]]:
        return {
            "pending": self.pending,
            "deferred": self._deferred,
            "updates": self._updates,
            "quotes": self._quotes,
            "figures": self._figure_about,
            "locators": self._locators,
        }

    # -- helpers -----------------------------------------------------------------------------------

    def _where(self, loc: Loc, node: Any, *path: Step) -> Where:
        """The exact place when the node is at hand, else the Loc to resolve later."""
        if node is None:
            return loc.child(*path)
        position = position_of(node, path)
        if position is None:
            return loc.child(*path)
        return (self.labels[loc.file], position[0], position[1])

    def problem(self, where: Where, message: str, *others: Where) -> None:
        self.pending.append(Pending(where, message, others))

    # -- records ------------------------------------------------------------------------------------

    def add(
        self, kind: Kind, record: Mapping[str, Any], loc: Loc, node: Any = None, found: Digest | None = None
    ) -> None:
        """Take one record (``node``: the same record from the reference reader, with positions)."""
        found = found or digest(kind, record)
        record_id = record["id"]
        id_where = self._where(loc, node, "id")
        first = self.ids.get(record_id)
        if first is not None:
            self.problem(id_where, f"duplicate id {record_id!r} (first defined at {{}})", first[1])
        else:
            self.ids[record_id] = (kind.name, id_where)
        for _, target, value, path in found.refs:
            self._reference(value, path[-1] if isinstance(path[-1], str) else str(path[-2]), target, loc, node, path)
        if "same_as" in record:
            self._not_itself(record_id, record["same_as"], loc, node)
        for entry, path in found.evidence:
            self._evidence(entry, loc, node, path)
        for ref in kind.refs:
            if ref.path == "parent" and ref.target == kind.name and isinstance(record.get("parent"), str):
                self._parents.setdefault(kind.name, {})[record_id] = (
                    record["parent"],
                    self._where(loc, node, "parent"),
                )
        if kind.name == "source" and isinstance(record.get("dataset"), Mapping):
            self._datasets[record_id] = id_where
        elif kind.name == "source":
            self._source_files[record_id] = (
                record.get("file"),
                self._where(loc, node, "file" if "file" in record else "id"),
            )
        if kind.name == "country":
            self._country(record, loc, node)
        if kind.name == "statement":
            self._statement(record, loc, node)
        self._faithful(record, loc, node)
        if kind.name == "project" and isinstance(record.get("countries"), list):
            self._project_countries[record_id] = set(record["countries"])
        if kind.name == "figure" and isinstance(record.get("countries"), list) and record.get("about"):
            self._figure_about.append(
                (set(record["countries"]), list(record["about"]), self._where(loc, node, "countries"))
            )

    def _reference(
        self, value: str, field: str, target: str | None, loc: Loc, node: Any, path: tuple[Step, ...]
    ) -> None:
        if target == "region":  # regions are reference data (data/regions.tsv), not records
            from cca.core import regions

            known = sorted(regions.ids())
            if value not in known:
                self.problem(
                    self._where(loc, node, *path),
                    f"{field}: unknown region {value!r}{_hint(value, known)}; regions: {', '.join(known)}",
                )
            return
        found = self.ids.get(value)
        if found is not None and (target is None or found[0] == target):
            return
        self._deferred.append(_Ref(value, field, target, self._where(loc, node, *path)))

    def _country(self, record: Mapping[str, Any], loc: Loc, node: Any) -> None:
        record_id = record["id"]
        for key in ("iso2", "iso3"):
            code = record.get(key)
            if not isinstance(code, str):
                continue
            seen = self._codes.get((key, code.upper()))
            if seen is not None and seen[0] != record_id:
                other, other_where = seen
                self.problem(
                    self._where(loc, node, key),
                    f"{key}: {code!r} is also the code of country {other!r} (defined at {{}})",
                    other_where,
                )
            else:
                self._codes[(key, code.upper())] = (record_id, self._where(loc, node, key))
        names: list[tuple[tuple[Step, ...], Any]] = [(("name",), record.get("name"))]
        names.append((("official_name",), record.get("official_name")))
        names += [(("aliases", i), alias) for i, alias in enumerate(record.get("aliases") or ())]
        for path, name in names:
            if not isinstance(name, str) or not fold(name):
                continue
            seen = self._names.get(fold(name))
            if seen is not None and seen[0] != record_id:
                other, other_where = seen
                self.problem(
                    self._where(loc, node, *path),
                    f"{name!r} also names country {other!r} (defined at {{}}): names and aliases must tell "
                    "countries apart",
                    other_where,
                )
            elif seen is None:
                self._names[fold(name)] = (record_id, self._where(loc, node, *path))

    def _faithful(self, record: Mapping[str, Any], loc: Loc, node: Any) -> None:
        """Aliases that rest on a guess in the notes, and general knowledge in sourced prose, are refused."""
        notes = record.get("notes")
        if isinstance(notes, str) and _HEDGES.search(notes):
            guesses = [s for s in re.split(r"(?<=[.;!?])\s+", notes) if _HEDGES.search(s)]
            for index, alias in enumerate(record.get("aliases") or ()):
                if isinstance(alias, str) and any(fold(alias) in fold(sentence) for sentence in guesses if fold(alias)):
                    self.problem(
                        self._where(loc, node, "aliases", index),
                        f"alias {alias!r} rests on a guess in the notes: keep guesses in notes, not aliases",
                    )
        for field in _PROSE_FIELDS:
            value = record.get(field)
            if isinstance(value, str):
                found = _OUTSIDE_KNOWLEDGE.search(value)
                if found is not None:
                    self.problem(
                        self._where(loc, node, field),
                        f"{field}: {found.group(0)!r}: general knowledge belongs in notes, never in sourced prose",
                    )

    def _statement(self, record: Mapping[str, Any], loc: Loc, node: Any) -> None:
        form = record.get("form")
        if form == "narration" and "person" in record:
            self.problem(
                self._where(loc, node, "person"),
                "a statement of form narration is the source's own voice: it names no person",
            )
        elif form != "narration" and "person" not in record:
            self.problem(self._where(loc, node), f"missing required field 'person' (a {form} statement is a person's)")

    def add_update(self, update: Mapping[str, Any], loc: Loc, node: Any = None) -> None:
        self._updates.append(
            (
                update,
                self._where(loc, node, "id"),
                self._where(loc, node, "status") if "status" in update else None,
                self._where(loc, node, "progress") if "progress" in update else None,
            )
        )
        for entry, path in walk_evidence(update):
            self._evidence(entry, loc, node, path)
        for index, other in enumerate(update.get("same_as") or ()):
            if isinstance(other, str):
                self._reference(other, "same_as", "project", loc, node, ("same_as", index))
        self._not_itself(update.get("id"), update.get("same_as"), loc, node)

    def _not_itself(self, record_id: Any, links: Any, loc: Loc, node: Any) -> None:
        """``same_as`` joins a record to another source's record of the same project, never to itself."""
        if not isinstance(links, list):
            return
        for index, other in enumerate(links):
            if isinstance(other, str) and other == record_id:
                self.problem(
                    self._where(loc, node, "same_as", index),
                    f"same_as: {other!r} is this record itself: same_as names another record of the same project",
                )

    def _evidence(self, entry: Mapping[str, Any], loc: Loc, node: Any, path: tuple[Step, ...]) -> None:
        """A quote from a text, or a locator (record, url) into a dataset: one of the two, and resolvable."""
        source = entry.get("source")
        if not isinstance(source, str):
            return
        self._reference(source, "source", "source", loc, node, (*path, "source"))
        quote, record = entry.get("quote"), entry.get("record")
        if quote is None and record is None:
            self.problem(
                self._where(loc, node, *path), "evidence needs a quote (from a text) or a record (a dataset row)"
            )
        elif quote is not None and (record is not None or entry.get("url") is not None):
            self.problem(self._where(loc, node, *path), "evidence is a quote or a locator (record, url), not both")
        elif record is not None:
            self._locators.append((source, self._where(loc, node, *path, "record")))
        elif self.sources_dir is not None and isinstance(quote, str):
            self._quotes.append((source, quote, self._where(loc, node, *path, "quote")))

    # -- across records -----------------------------------------------------------------------------

    def finish(self) -> list[Pending]:
        for ref in self._deferred:
            self._resolve_reference(ref)
        for kind_name, parents in self._parents.items():
            self._hierarchy(kind_name, parents)
        for update, id_where, status_where, progress_where in self._updates:
            target = self.ids.get(update["id"])
            if target is None:
                self.problem(
                    id_where, f"update of unknown record {update['id']!r}{_hint(update['id'], list(self.ids))}"
                )
            elif target[0] != "project" and (status_where or progress_where):
                self.problem(
                    id_where,
                    f"status and progress can only be added to projects; {update['id']!r} is {_a(target[0])}",
                )
        for countries, about, where in self._figure_about:
            for subject in about:
                project = self._project_countries.get(subject)
                if project is not None and not project <= countries:
                    missing = ", ".join(sorted(project - countries))
                    self.problem(
                        where, f"countries: the figure is about project {subject!r}, which also concerns {missing}"
                    )
        for source, where in self._locators:
            if source in self.ids and source not in self._datasets:
                self.problem(where, f"record: source {source!r} is not a dataset; a text is cited by a quote")
        if self.sources_dir is not None:
            self._check_quotes(self.sources_dir)
        return self.pending

    def _resolve_reference(self, ref: _Ref) -> None:
        found = self.ids.get(ref.value)
        if found is not None and (ref.target is None or found[0] == ref.target):
            return
        wanted = "record" if ref.target is None else ref.target
        if found is not None:
            message = f"{ref.field}: {ref.value!r} is {_a(found[0])}, not {_a(wanted)}"
        else:
            pool = [i for i, (k, _) in self.ids.items() if ref.target is None or k == ref.target]
            message = f"{ref.field}: unknown {wanted} {ref.value!r}{_hint(ref.value, pool)}"
        self.problem(ref.where, message)

    def _hierarchy(self, kind_name: str, parents: dict[str, tuple[str, Where]]) -> None:
        """Self-parents, cycles and depth, in one pass over the parent links (linear time)."""
        depth: dict[str, int] = {}
        reported: set[str] = set()
        for start in parents:
            if start in depth:
                continue
            chain: list[str] = []
            on_chain: set[str] = set()
            node: str | None = start
            while node is not None and node not in depth:
                if node in on_chain:  # a cycle: every member of it is reported once
                    cycle = chain[chain.index(node) :]
                    for member in cycle:
                        parent, where = parents[member]
                        if member not in reported:
                            reported.add(member)
                            if parent == member:
                                self.problem(where, f"{kind_name} {member!r} is its own parent")
                            else:
                                self.problem(where, f"{kind_name} parents form a cycle through {parent!r}")
                        depth[member] = 0
                    break
                chain.append(node)
                on_chain.add(node)
                link = parents.get(node)
                node = link[0] if link is not None and self.ids.get(link[0], ("",))[0] == kind_name else None
            base = depth.get(node, -1) if node is not None else -1
            for member in reversed(chain):
                if member in depth:
                    base = depth[member]
                    continue
                base += 1
                depth[member] = base
                if base == MAX_HIERARCHY_DEPTH and member in parents and member not in reported:
                    reported.add(member)
                    self.problem(
                        parents[member][1],
                        f"{kind_name} hierarchy is deeper than {MAX_HIERARCHY_DEPTH} levels at {member!r}",
                    )

    def _check_quotes(self, sources_dir: Path) -> None:
        texts: dict[str, str | None] = {}
        for source_id, (name, where) in self._source_files.items():
            if name is None:
                self.problem(where, f"source {source_id!r} names no text file: add 'file' to check its quotes")
                texts[source_id] = None
                continue
            path = sources_dir / name
            try:
                texts[source_id] = fold_space(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError) as error:
                reason = getattr(error, "strerror", None) or str(error)
                self.problem(where, f"cannot read source text {path}: {reason}")
                texts[source_id] = None
        for source, quote, where in self._quotes:
            text = texts.get(source)
            if text is not None and fold_space(quote) not in text:
                self.problem(where, f"quote not found verbatim in source {source!r}: {_preview(quote)}")


def _preview(text: str) -> str:
    text = fold_space(text)
    return repr(text if len(text) <= 70 else text[:67] + "...")


def as_problem(label: str, position: Position, message: str) -> Problem:
    return Problem(label, position[0], position[1], message)
