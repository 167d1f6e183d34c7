"""What an exporter is, and the registry exporters add themselves to."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cca.core.kb import KnowledgeBase
    from cca.core.model import Record


@dataclass(frozen=True, slots=True)
class Options:
    force: bool = False
    bom: bool = False


@dataclass(frozen=True, slots=True)
class Exporter:
    """``write(kb, path, options, stdout)`` writes to ``path``, or to ``stdout`` when path is None."""

    name: str
    help: str
    directory: bool
    write: Callable[[KnowledgeBase, Path | None, Options, IO[Any] | None], list[Path]]
    binary: bool = False


EXPORTERS: dict[str, Exporter] = {}


def register(exporter: Exporter) -> Exporter:
    EXPORTERS[exporter.name] = exporter
    return exporter


def text_writer(
    render: Callable[[KnowledgeBase, IO[str]], None],
) -> Callable[[KnowledgeBase, Path | None, Options, IO[Any] | None], list[Path]]:
    """An exporter's ``write`` for one text document: ``render`` writes it to stdout, or to ``path``
    atomically (a temporary file renamed into place; an existing file only with ``force``)."""

    def write(kb: KnowledgeBase, path: Path | None, options: Options, stdout: IO[Any] | None) -> list[Path]:
        from cca.io.safefile import atomic_path

        if path is None:
            assert stdout is not None
            render(kb, stdout)
            return []
        with atomic_path(path, options.force) as temporary, temporary.open("w", encoding="utf-8", newline="\n") as out:
            render(kb, out)
        return [path]

    return write


def rows(kb: KnowledgeBase, kind: str) -> Iterator[dict[str, Any]]:
    """A kind's records as their JSON objects, in a stable order (by id), one at a time."""
    for _, row in views(kb, kind):
        yield row


def views(kb: KnowledgeBase, kind: str) -> Iterator[tuple[Record, dict[str, Any]]]:
    """A kind's records with their JSON objects (as stored), by id, one at a time."""
    import json

    from cca.core.query import Query, SortKey

    for record, text in kb.select_with_views(Query(kind, sort=(SortKey("id"),))):
        yield record, json.loads(text)


def reference(source: Any) -> str:
    """A source's bibliographic line: author, “title”, publisher, date."""
    from cca.core.views import source_reference

    return source_reference(source)
