"""What a schema cannot check, record by record as they stream in, then across them all.

Ids unique across every file; every reference naming a record of the right kind;
hierarchies (sector and organisation parents) without cycles and not too deep;
updates aimed at existing records; ISO codes and names unique across countries;
statements attributed as their form requires; (with source texts) every quote
verbatim in its source.

Records arrive with a :class:`Loc` (file, section, index, path) and, from the
reference reader, the positioned node itself. A problem is located at once when the
node is at hand; otherwise its Loc is resolved later by reading that one file again
with the reference reader (:mod:`cca.io.load` does this), so every message still
reads ``file:line:col``.
"""

import json
import re
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from cca.core.errors import Problem
from cca.core.nodes import Position, YamlList, YamlMap
from cca.core.registry import Kind, Registry
from cca.core.text import fold

#: Deepest a sector or organisation hierarchy may go.
MAX_HIERARCHY_DEPTH = 32

Step = str | int


class Loc:
    """Where a value is: file index, top-level section and item index, then the path inside the item.

    A plain slotted value (a dataclass would put the dataclasses module, 8 ms, on every first load).
    """

    __slots__ = ("file", "section", "index", "path")

    def __init__(self, file: int, section: str, index: int, path: tuple[Step, ...] = ()) -> None:
        self.file, self.section, self.index, self.path = file, section, index, path

    def _key(self) -> tuple[int, str, int, tuple[Step, ...]]:
        return self.file, self.section, self.index, self.path

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Loc) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"Loc(file={self.file!r}, section={self.section!r}, index={self.index!r}, path={self.path!r})"

    def child(self, *steps: Step) -> "Loc":
        return Loc(self.file, self.section, self.index, (*self.path, *steps))


Where = Loc | tuple[str, int, int]  # a Loc to resolve, or (label, line, column) known already


def path_text(steps: tuple[Step, ...]) -> str:
    """A path inside a record as the store keeps it: steps joined by \\x1f, list indexes marked with '#'."""
    return "\x1f".join(f"#{step}" if isinstance(step, int) else step for step in steps)


def path_steps(text: str) -> tuple[Step, ...]:
    """The steps of a stored path (:func:`path_text`)."""
    if not text:
        return ()
    return tuple(int(step[1:]) if step.startswith("#") else step for step in text.split("\x1f"))


class Pending(NamedTuple):
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
    import difflib  # only when a value is wrong: a first load does not pay for it

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


class Digest(NamedTuple):
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


class RecordChecker:
    """What can be told of each record on its own, as the records of a file stream in.

    Evidence must be a quote or a locator; statements are attributed as their form
    requires; aliases never rest on a guess and sourced prose never holds general
    knowledge; regions are the ones cca knows. With a sources directory, every quote is
    kept for :func:`check_quotes`. What needs other records is :func:`cross_checks`' job.
    """

    def __init__(self, labels: Mapping[int, str], sources_dir: Path | None = None) -> None:
        self.labels = labels
        self.sources_dir = sources_dir
        self.pending: list[Pending] = []
        self.quotes: list[tuple[str, str, Where, str | None, Where | None]] = []
        self._mark = (0, 0)

    # -- files -------------------------------------------------------------------------------------

    def begin_file(self) -> None:
        """Remember the state, so that a file read again (by the reference reader) can start afresh."""
        self._mark = (len(self.pending), len(self.quotes))

    def discard_file(self) -> None:
        del self.pending[self._mark[0] :]
        del self.quotes[self._mark[1] :]

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
        for _, target, value, path in found.refs:
            if target == "region":
                self._region(value, str(path[-2]) if isinstance(path[-1], int) else str(path[-1]), loc, node, path)
        if "same_as" in record:
            self._not_itself(record["id"], record["same_as"], loc, node)
        for entry, path in found.evidence:
            self._evidence(entry, loc, node, path)
        if kind.name == "source" and record.get("type") == "report" and "file" in record:
            self.problem(
                self._where(loc, node, "file"),
                f"file: source {record['id']!r} is a report: cca never checks or stores its words, so it has no file",
            )
        if kind.name == "statement":
            self._statement(record, loc, node)
        self._faithful(record, loc, node)

    def add_update(self, update: Mapping[str, Any], loc: Loc, node: Any = None) -> None:
        for entry, path in walk_evidence(update):
            self._evidence(entry, loc, node, path)
        for field in ("same_as", "rejected_same_as"):
            self._not_itself(update.get("id"), update.get(field), loc, node, field)

    def _region(self, value: str, field: str, loc: Loc, node: Any, path: tuple[Step, ...]) -> None:
        from cca.core import regions

        known = sorted(regions.ids())
        if value not in known:
            self.problem(
                self._where(loc, node, *path),
                f"{field}: unknown region {value!r}{_hint(value, known)}; regions: {', '.join(known)}",
            )

    def _faithful(self, record: Mapping[str, Any], loc: Loc, node: Any) -> None:
        """Aliases that rest on a guess in the notes, and general knowledge in sourced prose, are refused."""
        notes = record.get("notes")
        if isinstance(notes, str) and record.get("aliases") and _HEDGES.search(notes):  # a guess matters to aliases
            guesses = [s for s in re.split(r"(?<=[.;!?])\s+", notes) if _HEDGES.search(s)]
            for index, alias in enumerate(record.get("aliases") or ()):
                if isinstance(alias, str) and any(fold(alias) in fold(sentence) for sentence in guesses if fold(alias)):
                    self.problem(
                        self._where(loc, node, "aliases", index),
                        f"alias {alias!r} rests on a guess in the notes: keep guesses in notes, not aliases",
                    )
        for field in _PROSE_FIELDS:
            value = record.get(field)
            # each phrase the pattern knows has "knowledge", "article" or "source" in it: most text has none
            if isinstance(value, str) and any(word in value.lower() for word in ("knowledge", "article", "source")):
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

    def _not_itself(self, record_id: Any, links: Any, loc: Loc, node: Any, field: str = "same_as") -> None:
        """``same_as`` (or ``rejected_same_as``) names another source's record, never the record itself."""
        if not isinstance(links, list):
            return
        for index, other in enumerate(links):
            if isinstance(other, str) and other == record_id:
                self.problem(
                    self._where(loc, node, field, index),
                    f"{field}: {other!r} is this record itself: {field} names another source's record",
                )

    def _evidence(self, entry: Mapping[str, Any], loc: Loc, node: Any, path: tuple[Step, ...]) -> None:
        """A quote from a text, or a locator: a dataset row (record, url) or a report's page (url).

        What the cited source is (a text, a dataset, a report) is known only once every source is:
        :func:`cross_checks` holds each form to its kind of source.
        """
        source = entry.get("source")
        if not isinstance(source, str):
            return
        quote, record, url = entry.get("quote"), entry.get("record"), entry.get("url")
        attribution = entry.get("attribution")
        if quote is not None and (record is not None or url is not None):
            self.problem(self._where(loc, node, *path), "evidence is a quote or a locator (record, url), not both")
        elif quote is not None and self.sources_dir is not None and isinstance(quote, str):
            said = attribution if isinstance(attribution, str) else None
            said_where = self._where(loc, node, *path, "attribution") if said is not None else None
            self.quotes.append((source, quote, self._where(loc, node, *path, "quote"), said, said_where))
        if attribution is not None and quote is None:
            self.problem(
                self._where(loc, node, *path, "attribution"),
                "attribution: an attribution goes with the quote it attributes",
            )


# -- across records and files: questions asked of the store -------------------------------------------------


def _loc(file: int, stored: str, *more: Step) -> Loc:
    steps = path_steps(stored)
    return Loc(file, str(steps[0]), int(steps[1]), (*steps[2:], *more))


def cross_checks(db: sqlite3.Connection, kinds: Registry, scope: Iterable[str] | None = None) -> list[Pending]:
    """What needs more than one record: unique ids, references, updates, hierarchies, country names
    and codes, figures about projects, and locators into datasets. Asked of the store's small index
    tables, so that a changed file is checked against the others without reading them again.

    ``scope``: the ids of the records (and update targets) that changed; ids and references that
    touch none of them were checked when they were added, and are not checked again.
    """
    db.execute("CREATE TEMP TABLE IF NOT EXISTS scope (id TEXT PRIMARY KEY) WITHOUT ROWID")
    db.execute("DELETE FROM temp.scope")
    if scope is not None:
        db.executemany("INSERT OR IGNORE INTO temp.scope VALUES (?)", ((value,) for value in scope))
    within = scope is not None
    try:
        found: list[Pending] = []
        found += _duplicates(db, within)
        found += _references(db, within)
        found += _updates(db)
        found += _confirmed_and_rejected(db)
        for kind in kinds:
            if any(ref.path == "parent" and ref.target == kind.name for ref in kind.refs):
                found += _hierarchy(db, kind.name)
        found += _countries(db)
        found += _figures(db)
        return found
    finally:
        db.execute("DELETE FROM temp.scope")


def _duplicates(db: sqlite3.Connection, within: bool) -> list[Pending]:
    out = []
    narrow = "WHERE id IN (SELECT id FROM temp.scope)" if within else ""
    rows = db.execute(
        "SELECT r.id, r.file, r.loc FROM records r JOIN files f ON f.file = r.file "
        f"WHERE r.id IN (SELECT id FROM records {narrow} GROUP BY id HAVING count(*) > 1) "
        "ORDER BY r.id, f.position, r.ord"
    ).fetchall()
    first: dict[str, Loc] = {}
    for record_id, file, loc in rows:
        where = _loc(file, loc, "id")
        if record_id in first:
            out.append(Pending(where, f"duplicate id {record_id!r} (first defined at {{}})", (first[record_id],)))
        else:
            first[record_id] = where
    return out


def _reference_problem(field: str, value: str, target: str | None, found: str | None, pool: list[str]) -> str:
    wanted = "record" if target is None else target
    if found is not None:
        return f"{_field_name(field)}: {value!r} is {_a(found)}, not {_a(wanted)}"
    return f"{_field_name(field)}: unknown {wanted} {value!r}{_hint(value, pool)}"


def _field_name(field: str) -> str:
    if field.startswith("evidence."):
        return "source"
    last = field.rsplit(".", 1)[-1]
    return last.removesuffix("[]")


def _ids_of(db: sqlite3.Connection, target: str | None) -> list[str]:
    if target is None:
        return [row[0] for row in db.execute("SELECT id FROM records")]
    return [row[0] for row in db.execute("SELECT id FROM records WHERE kind = ?", (target,))]


_BROKEN = (
    "(l.target IS NULL OR l.target != 'region') AND NOT EXISTS "
    "(SELECT 1 FROM records t WHERE t.id = l.dst AND (l.target IS NULL OR t.kind = l.target))"
)


def _references(db: sqlite3.Connection, within: bool) -> list[Pending]:
    """Every reference names a record of the kind it must; locators name a dataset source."""
    out: list[Pending] = []
    pools: dict[str | None, list[str]] = {}
    narrow = " AND (r.id IN (SELECT id FROM temp.scope) OR l.dst IN (SELECT id FROM temp.scope))" if within else ""
    queries = (
        "SELECT r.file, r.loc, l.field, l.dst, l.target, l.path FROM links l JOIN records r ON r.seq = l.src "
        f"WHERE {_BROKEN}{narrow}",
        "SELECT r.file, r.loc, l.field, l.dst, l.target, l.path FROM update_refs l JOIN updates r ON r.seq = l.src "
        f"WHERE {_BROKEN}",
    )
    for sql in queries:
        for file, loc, field, dst, target, path in db.execute(sql).fetchall():
            if target not in pools:
                pools[target] = _ids_of(db, target)
            kind = db.execute("SELECT kind FROM records WHERE id = ? LIMIT 1", (dst,)).fetchone()
            message = _reference_problem(field, dst, target, kind[0] if kind else None, pools[target])
            out.append(Pending(_loc(file, loc, *path_steps(path)), message))
    return out + _evidence_forms(db, narrow)


def _evidence_forms(db: sqlite3.Connection, narrow: str) -> list[Pending]:
    """Each form of evidence cites its kind of source: a quote a text, a record a dataset, a url a report."""
    out: list[Pending] = []
    # each source read once (not once per piece of evidence), and only the evidence that breaks a rule
    # below comes back (at 100,000 projects, 300,000 pieces of evidence are fine)
    sources = {
        str(sid): (bool(dataset), bool(report), url)
        for sid, dataset, report, url in db.execute(
            "SELECT id, json_extract(coalesce(data, base), '$.dataset') IS NOT NULL, "
            "json_extract(coalesce(data, base), '$.type') = 'report', json_extract(coalesce(data, base), '$.url') "
            "FROM records WHERE kind = 'source'"
        )
    }
    db.execute("CREATE TEMP TABLE IF NOT EXISTS fine_evidence (dst TEXT, field TEXT, PRIMARY KEY (dst, field))")
    db.execute("DELETE FROM temp.fine_evidence")
    db.executemany(
        "INSERT OR IGNORE INTO temp.fine_evidence VALUES (?, ?)",
        [(sid, field) for sid, facts in sources.items() for field in _fine_evidence(*facts)],
    )
    found = db.execute(
        "SELECT r.file, r.loc, l.field, l.dst, l.path FROM links l JOIN records r ON r.seq = l.src "
        "WHERE l.field LIKE 'evidence.%' AND l.dst IN (SELECT id FROM records WHERE kind = 'source') "
        "AND NOT EXISTS (SELECT 1 FROM temp.fine_evidence f WHERE f.dst = l.dst AND f.field = l.field)" + narrow
    ).fetchall()
    rows = [(file, loc, field, dst, path, *sources[dst]) for file, loc, field, dst, path in found]
    for file, loc, field, dst, path, dataset, report, url in rows:
        entry = path_steps(path)[:-1]

        def at(*steps: Step) -> Loc:
            return _loc(file, loc, *entry, *steps)  # noqa: B023 - used at once

        if field == "evidence.quote" and report:
            out.append(
                Pending(
                    at("quote"),
                    f"quote: source {dst!r} is a report: cite it by url, never by its words (cca stores none of them)",
                )
            )
        elif field == "evidence.record" and report:
            out.append(Pending(at("record"), f"record: source {dst!r} is a report, not a dataset: cite it by url"))
        elif field == "evidence.record" and not dataset:
            out.append(Pending(at("record"), f"record: source {dst!r} is not a dataset; a text is cited by a quote"))
        elif field in ("evidence.url", "evidence.bare") and not report:
            if dataset:
                out.append(Pending(at(), f"evidence from dataset {dst!r} needs a record (the id of its row)"))
            elif field == "evidence.url":
                out.append(Pending(at("url"), f"url: source {dst!r} is not a report; a text is cited by a quote"))
            else:
                out.append(
                    Pending(at(), "evidence needs a quote (from a text), a record (a dataset row) or a url (a report)")
                )
        elif field == "evidence.bare" and not isinstance(url, str):
            out.append(Pending(at(), f"evidence from report {dst!r} needs a url (here or on the source)"))
    return out


def _fine_evidence(dataset: bool, report: bool, url: Any) -> list[str]:
    """The forms of evidence a source takes without a problem (the rules of :func:`_evidence_forms`)."""
    if report:
        return ["evidence.url", "evidence.bare"] if isinstance(url, str) else ["evidence.url"]
    return ["evidence.quote", "evidence.record"] if dataset else ["evidence.quote"]


def _updates(db: sqlite3.Connection) -> list[Pending]:
    out = []
    rows = db.execute(
        "SELECT u.file, u.loc, u.id, u.data, (SELECT kind FROM records WHERE id = u.id ORDER BY ord LIMIT 1) "
        "FROM updates u"
    ).fetchall()
    pool: list[str] | None = None
    for file, loc, record_id, text, kind in rows:
        where = _loc(file, loc, "id")
        if kind is None:
            if pool is None:
                pool = _ids_of(db, None)
            out.append(Pending(where, f"update of unknown record {record_id!r}{_hint(record_id, pool)}"))
            continue
        update = json.loads(text)
        if kind != "project" and ("status" in update or "progress" in update):
            out.append(
                Pending(where, f"status and progress can only be added to projects; {record_id!r} is {_a(kind)}")
            )
    return out


def _confirmed_and_rejected(db: sqlite3.Connection) -> list[Pending]:
    """A record rejected as not the same project (rejected_same_as) may not be linked as the same (same_as),
    by a record's own field or by an update. Asked before updates are merged, of what each says as written
    (a record's merged links may still hold an update that is gone)."""
    linked = (
        "EXISTS (SELECT 1 FROM records r, json_each(r.base, '$.same_as') j "
        "WHERE r.id = {0} AND j.value = {1}) OR "
        "EXISTS (SELECT 1 FROM update_refs k JOIN updates v ON v.seq = k.src "
        "WHERE k.field = 'same_as[]' AND v.id = {0} AND k.dst = {1})"
    )
    rows = db.execute(
        "SELECT u.file, u.loc, l.path, u.id, l.dst FROM update_refs l JOIN updates u ON u.seq = l.src "
        f"WHERE l.field = 'rejected_same_as[]' AND ({linked.format('u.id', 'l.dst')} "
        f"OR {linked.format('l.dst', 'u.id')})"
    ).fetchall()
    return [
        Pending(
            _loc(file, loc, *path_steps(path)),
            f"rejected_same_as: {other!r} is also linked to {record_id!r} as the same project (same_as): keep one",
        )
        for file, loc, path, record_id, other in rows
    ]


def _hierarchy(db: sqlite3.Connection, kind_name: str) -> list[Pending]:
    """Self-parents, cycles and depth, in one pass over the parent links (linear time)."""
    parents: dict[str, tuple[str, Where]] = {}
    kinds: dict[str, str] = {}
    for record_id, file, loc, parent in db.execute(
        "SELECT id, file, loc, json_extract(coalesce(data, base), '$.parent') FROM records WHERE kind = ?", (kind_name,)
    ):
        kinds[record_id] = kind_name
        if isinstance(parent, str):
            parents[record_id] = (parent, _loc(file, loc, "parent"))
    out: list[Pending] = []
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
                            out.append(Pending(where, f"{kind_name} {member!r} is its own parent"))
                        else:
                            out.append(Pending(where, f"{kind_name} parents form a cycle through {parent!r}"))
                    depth[member] = 0
                break
            chain.append(node)
            on_chain.add(node)
            link = parents.get(node)
            node = link[0] if link is not None and link[0] in kinds else None
        base = depth.get(node, -1) if node is not None else -1
        for member in reversed(chain):
            if member in depth:
                base = depth[member]
                continue
            base += 1
            depth[member] = base
            if base == MAX_HIERARCHY_DEPTH and member in parents and member not in reported:
                reported.add(member)
                out.append(
                    Pending(
                        parents[member][1],
                        f"{kind_name} hierarchy is deeper than {MAX_HIERARCHY_DEPTH} levels at {member!r}",
                    )
                )
    return out


def _countries(db: sqlite3.Connection) -> list[Pending]:
    """ISO codes and names (and aliases) tell countries apart."""
    out: list[Pending] = []
    codes: dict[tuple[str, str], tuple[str, Where]] = {}
    names: dict[str, tuple[str, Where]] = {}
    rows = db.execute(
        "SELECT r.id, r.file, r.loc, coalesce(r.data, r.base) FROM records r JOIN files f ON f.file = r.file "
        "WHERE r.kind = 'country' ORDER BY f.position, r.ord"
    ).fetchall()
    for record_id, file, loc, text in rows:
        record = json.loads(text)
        for key in ("iso2", "iso3"):
            code = record.get(key)
            if not isinstance(code, str):
                continue
            where = _loc(file, loc, key)
            seen = codes.get((key, code.upper()))
            if seen is not None and seen[0] != record_id:
                out.append(
                    Pending(
                        where, f"{key}: {code!r} is also the code of country {seen[0]!r} (defined at {{}})", (seen[1],)
                    )
                )
            elif seen is None:
                codes[(key, code.upper())] = (record_id, where)
        candidates: list[tuple[tuple[Step, ...], Any]] = [(("name",), record.get("name"))]
        candidates.append((("official_name",), record.get("official_name")))
        candidates += [(("aliases", i), alias) for i, alias in enumerate(record.get("aliases") or ())]
        for path, name in candidates:
            if not isinstance(name, str) or not fold(name):
                continue
            seen = names.get(fold(name))
            if seen is not None and seen[0] != record_id:
                out.append(
                    Pending(
                        _loc(file, loc, *path),
                        f"{name!r} also names country {seen[0]!r} (defined at {{}}): names and aliases must tell "
                        "countries apart",
                        (seen[1],),
                    )
                )
            elif seen is None:
                names[fold(name)] = (record_id, _loc(file, loc, *path))
    return out


def _figures(db: sqlite3.Connection) -> list[Pending]:
    """A figure about a project concerns at least the project's countries."""
    out: list[Pending] = []
    rows = db.execute(
        "SELECT file, loc, coalesce(data, base) FROM records WHERE kind = 'figure' "
        "AND json_extract(coalesce(data, base), '$.about') IS NOT NULL "
        "AND json_extract(coalesce(data, base), '$.countries') IS NOT NULL"
    ).fetchall()
    for file, loc, text in rows:
        record = json.loads(text)
        countries = set(record.get("countries") or ())
        for subject in record.get("about") or ():
            found = db.execute(
                "SELECT coalesce(data, base) FROM records WHERE id = ? AND kind = 'project' LIMIT 1", (subject,)
            ).fetchone()
            if found is None:
                continue
            project = set(json.loads(found[0]).get("countries") or ())
            if not project <= countries:
                missing = ", ".join(sorted(project - countries))
                out.append(
                    Pending(
                        _loc(file, loc, "countries"),
                        f"countries: the figure is about project {subject!r}, which also concerns {missing}",
                    )
                )
    return out


#: How far an attribution may stand from the words it attributes, in characters of the source text.
ATTRIBUTION_REACH = 300


def check_quotes(
    db: sqlite3.Connection, quotes: Sequence[tuple[str, str, Where, str | None, Where | None]], sources_dir: Path
) -> list[Pending]:
    """Every quote (and its attribution, near it) verbatim in its source's text (``file`` under ``sources_dir``)."""
    out: list[Pending] = []
    texts: dict[str, str | None] = {}
    rows = db.execute(
        "SELECT id, file, loc, coalesce(data, base) FROM records WHERE kind = 'source' "
        "AND json_extract(coalesce(data, base), '$.dataset') IS NULL "
        "AND coalesce(json_extract(coalesce(data, base), '$.type'), '') != 'report'"
    ).fetchall()
    for source_id, file, loc, text in rows:
        record = json.loads(text)
        name = record.get("file")
        where = _loc(file, loc, "file" if "file" in record else "id")
        if name is None:
            out.append(Pending(where, f"source {source_id!r} names no text file: add 'file' to check its quotes"))
            texts[source_id] = None
            continue
        path = sources_dir / name
        try:
            texts[source_id] = fold_space(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as error:
            reason = getattr(error, "strerror", None) or str(error)
            out.append(Pending(where, f"cannot read source text {path}: {reason}"))
            texts[source_id] = None
    for source, quote, at, said, said_at in quotes:
        text = texts.get(source)
        if text is None:
            continue
        words = fold_space(quote)
        if words not in text:
            out.append(Pending(at, f"quote not found verbatim in source {source!r}: {_preview(quote)}"))
        elif said is not None and said_at is not None:
            attribution = fold_space(said)
            if attribution not in text:
                out.append(Pending(said_at, f"attribution not found verbatim in source {source!r}: {_preview(said)}"))
            elif not _near(text, words, attribution, ATTRIBUTION_REACH):
                out.append(
                    Pending(
                        said_at,
                        f"attribution {_preview(said)} is not within {ATTRIBUTION_REACH} characters of its quote "
                        f"in source {source!r}",
                    )
                )
    return out


def _spans(text: str, part: str) -> Iterator[tuple[int, int]]:
    start = text.find(part)
    while start != -1:
        yield start, start + len(part)
        start = text.find(part, start + 1)


def _near(text: str, quote: str, attribution: str, reach: int) -> bool:
    """Some occurrence of the attribution stands within ``reach`` characters of some occurrence of the quote."""
    quoted = list(_spans(text, quote))
    return any(
        max(a_start - q_end, q_start - a_end) <= reach
        for a_start, a_end in _spans(text, attribution)
        for q_start, q_end in quoted
    )


def _preview(text: str) -> str:
    text = fold_space(text)
    return repr(text if len(text) <= 70 else text[:67] + "...")


def as_problem(label: str, position: Position, message: str) -> Problem:
    return Problem(label, position[0], position[1], message)
