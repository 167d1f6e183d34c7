"""cca against the tools an analyst would otherwise use, on the same files and questions (issue 16's targets).

Each part times cca and its peer in alternation, checks that both gave the same answer where
both give one (counts and sums), and returns rows for the targets table.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from ccabench.context import NOMINAL, Context, Row, failure
from ccabench.imports import edit, first_loads, imports, xlsx
from ccabench.queries import jsonl, search, stats, version, yaml_layout
from ccabench.timing import CommandFailed

__all__ = ["NOMINAL", "SCENARIOS", "Context", "Row", "measure_all"]

SCENARIOS = ("import", "xlsx", "edit", "first-load", "jsonl", "search", "stats", "yaml", "version")


RUNNERS: dict[str, Callable[[Context], list[Row]]] = {
    "import": imports,
    "xlsx": xlsx,
    "edit": edit,
    "first-load": first_loads,
    "jsonl": jsonl,
    "search": search,
    "stats": stats,
    "yaml": yaml_layout,
    "version": version,
}


def measure_all(ctx: Context, chosen: list[str]) -> list[Row]:
    """Every chosen scenario, in the order of SCENARIOS (imports first: the queries reuse their data)."""
    out: list[Row] = []
    for name in SCENARIOS:
        if name in chosen:
            try:
                out += RUNNERS[name](ctx)
            except CommandFailed as error:  # a setup step (an untimed import or export) failed
                sys.stderr.write(f"{error}\n")
                out.append(Row(name, None, "—", None, why_not=f"setup {failure(error, ctx.cap_mb)}"))
    if ctx.rows[: len(NOMINAL)] != list(NOMINAL[: len(ctx.rows)]):
        sizes = " / ".join(f"{r:,}" for r in ctx.rows)
        ctx.notes.append(f"targets are set at 21,000 / 100,000 / 500,000 rows; this run used {sizes}")
    return out
