"""``cca cite`` and ``--cite``: the citations behind records, or behind the answer a command printed.

A record's citations are its sources (the article a quote is from, the report, the dataset with the
citation its publisher asks for) and, for a dataset row, the row itself and the sources the row
cites (its titles, publishers and URLs): :mod:`cca.core.cite` writes them as CSL-JSON, BibTeX or a
plain list.

``--cite`` appends the plain list after an answer in a format for people (table, plain, Markdown),
on stdout. It is refused with a machine format (JSON, JSON Lines, CSV, TSV, YAML): a citation list
after a JSON document would break it, and stderr is for notes, not data; ask for those apart with
``cca cite ID... --format csl-json``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from cca.cli.output import Out
from cca.cli.stream import emit
from cca.core.errors import QueryError
from cca.core.kb import KnowledgeBase, cited_ids
from cca.core.model import Record
from cca.core.text import visible

#: What cca cite writes.
FORMATS = ("text", "csl-json", "bibtex")
#: Formats --cite cannot follow without breaking what they are.
MACHINE = frozenset({"json", "jsonl", "csv", "tsv", "yaml"})


def check(out: Out, cite: bool) -> None:
    """``--cite`` with a machine format is a usage error (see the module)."""
    if cite and out.chosen() in MACHINE:
        raise QueryError(
            f"--cite appends citations after an answer for people (table, plain, markdown); with --format "
            f"{out.chosen()} ask for them apart: cca cite ID... --format csl-json"
        )


def cited_sources(kb: KnowledgeBase, rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The source records (as output) that the rows' evidence, status, progress and dataset cite, in knowledge order."""
    ids = cited_ids(rows)
    return [kb.view(source) or dict(source.data) for source in kb.sources() if source.id in ids]


def dataset_rows(rows: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [row for row in rows if isinstance(row.get("dataset"), Mapping) and row.get("id")]


def render(fmt: str, sources: Sequence[Mapping[str, Any]], rows: Sequence[Mapping[str, Any]]) -> str:
    from cca.core import cite

    if fmt == "csl-json":
        return json.dumps(cite.csl_json(sources, rows), indent=2, ensure_ascii=False) + "\n"
    if fmt == "bibtex":
        return "\n".join(visible(line) for line in cite.bibtex(sources, rows).split("\n"))
    if fmt == "text":
        return "\n".join(visible(line) for line in cite.text(sources, rows).split("\n"))
    raise QueryError(f"no citation format {fmt!r}: choose from {', '.join(FORMATS)}")


def cite_records(kb: KnowledgeBase, records: Sequence[Record], fmt: str) -> None:
    """``cca cite [ID...]``: the citations of the records named, or of every source when none is."""
    chosen = fmt.strip().lower()
    if chosen not in FORMATS:
        raise QueryError(f"no citation format {fmt!r}: choose from {', '.join(FORMATS)}")
    if not records:
        sources = [kb.view(source) or dict(source.data) for source in kb.sources()]
        emit(render(chosen, sources, []))
        return
    views = [kb.view(record) or dict(record.data) for record in records]
    emit(render(chosen, cited_sources(kb, views), dataset_rows(views)))


def append(kb: KnowledgeBase, out: Out, rows: Sequence[Mapping[str, Any]], *, cite_rows: bool = True) -> None:
    """After an answer, with ``--cite``: the citations of what it printed (its sources; its dataset rows too)."""
    if not getattr(out, "cite", False):
        return
    sources = cited_sources(kb, rows)
    if not sources:
        return
    text = render("text", sources, dataset_rows(rows) if cite_rows else [])
    if out.chosen() == "markdown":
        emit("\n## References\n\n" + "".join(f"{_markdown(line)}\n" for line in text.splitlines()))
    else:
        emit("\nReferences\n\n" + text)


def _markdown(line: str) -> str:
    from cca.cli.output import markdown_escape

    if line.startswith("["):
        number, _, rest = line.partition("] ")
        return f"{number[1:]}. {markdown_escape(rest)}"
    if line.startswith("    "):
        return f"    - {markdown_escape(line.strip())}"
    return f"- {markdown_escape(line.removeprefix('- '))}"
