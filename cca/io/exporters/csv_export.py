"""One CSV file per kind (projects.csv, ...), with the JSON fields as columns."""

from __future__ import annotations

from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from cca.core.errors import QueryError
from cca.io.exporters.base import Exporter, Options, register, rows
from cca.io.formats import write_delimited
from cca.io.safefile import atomic_directory

if TYPE_CHECKING:
    from cca.core.kb import KnowledgeBase


def write(kb: KnowledgeBase, directory: Path | None, options: Options, stdout: IO[Any] | None) -> list[Path]:
    from cca.core.outschema import output_fields as fields

    if directory is None:
        raise QueryError(
            "a CSV export is a directory of files, one per kind: give a directory (or use {fmt} json)", params=["fmt"]
        )
    names = {kind.name: f"{kind.plural}.csv" for kind in kb.kinds}
    with atomic_directory(directory, list(names.values()), options.force) as temporaries:
        for kind, name in names.items():
            with temporaries[name].open("w", encoding="utf-8-sig" if options.bom else "utf-8", newline="") as out:
                write_delimited(rows(kb, kind), fields(kind), out)
    return [directory / name for name in names.values()]


register(Exporter("csv", "A directory of CSV files, one per kind (--bom for Excel).", True, write))
