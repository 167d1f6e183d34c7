"""The knowledge itself as one YAML knowledge file: every record as written, and every update.

For reading, diffing or editing by hand what an import wrote as JSON Lines: the file is valid
knowledge that loads back to the same records (``cca --no-bundled -k FILE ...``), in the layout
cca's fast reader takes.
"""

from __future__ import annotations

import json
from typing import IO, TYPE_CHECKING, Any

from cca.io.exporters.base import Exporter, register, text_writer
from cca.io.formats import knowledge_text
from cca.version import __version__

if TYPE_CHECKING:
    from cca.core.kb import KnowledgeBase


def _records(kb: KnowledgeBase, kind: Any) -> list[dict[str, Any]]:
    """A kind's records as written (their children put back in place), in load order."""
    nested = kb.kinds.nested(kind.name)
    out = []
    for (text,) in kb.store._all("SELECT base FROM records WHERE kind = ? ORDER BY ord", (kind.name,)):
        record = json.loads(text)
        for child_kind in nested:
            field = child_kind.nested_in[1] if child_kind.nested_in else ""
            rows = kb.store._all(
                "SELECT base FROM records WHERE kind = ? AND parent = ? ORDER BY ord", (child_kind.name, record["id"])
            )
            record[field] = [json.loads(child) for (child,) in rows]
        out.append(record)
    return out


def _write(kb: KnowledgeBase, out: IO[str]) -> None:
    comment = f"Written by 'cca export --format yaml' (cca {__version__}): every record as written, and every update."
    out.write(knowledge_text({"format": 1}, comment=comment))
    for kind in kb.kinds.top_level():
        records = _records(kb, kind)
        if records:
            out.write(knowledge_text({kind.section: records}))
    updates = [json.loads(text) for (text,) in kb.store._all("SELECT data FROM updates ORDER BY ord")]
    if updates:
        out.write(knowledge_text({"updates": updates}))


register(
    Exporter("yaml", "One YAML knowledge file: every record as written, and every update.", False, text_writer(_write))
)
