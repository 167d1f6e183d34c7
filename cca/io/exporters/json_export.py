"""One JSON document: every kind's records, and the JSON Schema of each kind's records."""

from __future__ import annotations

from typing import IO, TYPE_CHECKING, Any

from cca.io.exporters.base import Exporter, register, rows, text_writer
from cca.io.formats import json_text
from cca.version import __version__

if TYPE_CHECKING:
    from cca.core.kb import KnowledgeBase


def _write(kb: KnowledgeBase, out: IO[str]) -> None:
    from cca.core.outschema import output_schema

    kinds = list(kb.kinds)
    out.write("{\n")
    out.write(f'  "cca_version": {json_text(__version__)},\n')
    out.write('  "sources": [')
    _array(rows(kb, "source"), out, "    ")
    out.write("],\n")
    out.write('  "records": {')
    for position, kind in enumerate(kinds):
        out.write(f"\n    {json_text(kind.plural)}: [")
        _array(rows(kb, kind.name), out, "      ")
        out.write("]" + ("," if position < len(kinds) - 1 else "\n  "))
    out.write("},\n")
    schemas = {kind.plural: output_schema(kind.name) for kind in kinds}
    body = json_text(schemas).replace("\n", "\n  ")
    out.write(f'  "schemas": {body}\n')
    out.write("}\n")


def _array(items: Any, out: IO[str], pad: str) -> None:
    first = True
    for item in items:
        out.write("\n" if first else ",\n")
        first = False
        out.write(pad + json_text(item, indent=None))
    if not first:
        out.write("\n" + pad[:-2])


register(
    Exporter("json", "One JSON document: every kind's records and their JSON Schemas.", False, text_writer(_write))
)
