"""The bench's output: text tables for the terminal, the README's block, and results.json."""

from __future__ import annotations

import json
import os
import sys
import textwrap
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from ccabench.common import README
from ccabench.listings import Size, Target, results_table, targets_table
from ccabench.scenarios import Row
from ccabench.timing import SLOW_BUDGET, Figure

BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
PEERS_BEGIN, PEERS_END = "<!-- bench-peers:begin -->", "<!-- bench-peers:end -->"


@dataclass
class Outcome:
    """A whole run: the listings at each size, the rows against peers, the targets, and notes on the run."""

    sizes: list[Size]
    imported: Figure | str  # the 21,000-row CSV import, for the listings' targets
    goals: list[Target]
    rows: list[Row]
    peers: list[str]  # which peer tools were found
    runs: int
    seconds: float
    load: float  # 1-minute load average at the start
    notes: list[str]
    command: str = "python bench/run.py"  # as it was run, for the README


def seconds(value: float) -> str:
    if value < 1:
        return f"{value * 1000:.0f} ms"
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


def figure(found: Figure | None) -> str:
    """Median wall time, CPU time, peak memory and runs of one item."""
    if found is None:
        return "—"
    return f"{seconds(found.seconds)} (cpu {seconds(found.cpu)}, {found.peak_mb:,.0f} MB, ×{found.runs})"


def _cells(row: Row) -> list[str]:
    ratio = f"{row.ratio:.2f}×" if row.ratio is not None else "—"
    return [
        row.work,
        figure(row.cca),
        row.peer_name or "—",
        figure(row.peer),
        ratio,
        row.target,
        row.verdict,
        row.answers,
    ]


HEADINGS = ["work", "cca", "peer", "peer's figure", "ratio", "target", "verdict", "answers"]


def peers_table(rows: Sequence[Row]) -> str:
    """Each figure of issue 16's targets beside its peer's, the ratio, the target and met / MISSED."""
    table = [HEADINGS, *(_cells(row) for row in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(HEADINGS))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() for line in table)


def peers_markdown(rows: Sequence[Row]) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    lines = ["| " + " | ".join(HEADINGS) + " |", "|" + " --- |" * len(HEADINGS)]
    lines += ["| " + " | ".join(cell(c) for c in _cells(row)) + " |" for row in rows]
    return "\n".join(lines)


def text_report(outcome: Outcome) -> str:
    """Every table that has rows, the peers found, the notes."""
    parts = []
    if outcome.sizes:
        parts += [results_table(outcome.sizes, outcome.imported), targets_table(outcome.goals)]
    if outcome.rows:
        parts.append(peers_table(outcome.rows))
    parts.append("\n".join(f"peer: {peer}" for peer in outcome.peers))
    if outcome.notes:
        parts.append("\n".join(f"note: {note}" for note in outcome.notes))
    return "\n\n".join(parts)


EXPLANATION = (
    "`python bench/run.py --sizes {sizes} --runs {runs}` on this project's 2-core machine (Python {python}; "
    "the whole run took {minutes:.0f} minutes). Medians of whole processes, each command alternated with "
    "the others after warm-up; × pass is the ratio to `python -c pass` measured in the same alternation; "
    "cpu is user + system time; peak MB is the process's max RSS. Synthetic files are generated "
    "deterministically by the script in cca's YAML format (projects spread over 165 countries, Laos with "
    "an average share; 20 agreements, statements and figures at every size) and read with `--no-bundled -k "
    "FILE`. Listings read the warm cache; `first load after a change` starts from an empty cache directory "
    "(parse, validate, build the cache) and is compared with a process that `json.load`s the same records "
    "dumped as JSON. Slow items take as many runs as fit in {budget:.0f} seconds (at least one)."
)

PEERS = (
    "`{command}` ({minutes:.0f} minutes in all): cca against the tools an analyst would otherwise use, on the "
    "same synthetic GCDF 3.0 files (bench/gcdf.py, "
    "126 columns) and questions, alternated run by run; each figure is the median wall time (cpu: user + "
    "system; MB: peak RSS; ×: runs). Where both give an answer it is checked: rows, amounts and their sum "
    "for imports, ids for listings and searches, each recipient's count and sum for stats. Peers: {peers}."
)


def readme_block(outcome: Outcome) -> str:
    """The README's block for the listings (how the figures were taken, then the tables); "" if none ran."""
    if not outcome.sizes:
        return ""
    explanation = EXPLANATION.format(
        sizes=" ".join(str(s.projects) for s in outcome.sizes),
        runs=outcome.runs,
        python=f"{sys.version_info.major}.{sys.version_info.minor}",
        minutes=outcome.seconds / 60,
        budget=SLOW_BUDGET,
    )
    parts = [
        BEGIN,
        textwrap.fill(explanation, 100) + "\n",
        f"```text\n{results_table(outcome.sizes, outcome.imported)}\n```\n",
        f"```text\n{targets_table(outcome.goals)}\n```\n",
        *(f"Note: {note}\n" for note in outcome.notes),
        END,
    ]
    return "\n".join(parts)


def peers_block(outcome: Outcome) -> str:
    """The README's block for cca against its peers; "" if no part of it ran."""
    if not outcome.rows:
        return ""
    explanation = PEERS.format(command=outcome.command, minutes=outcome.seconds / 60, peers="; ".join(outcome.peers))
    parts = [PEERS_BEGIN, textwrap.fill(explanation, 100) + "\n", peers_markdown(outcome.rows) + "\n"]
    if not outcome.sizes:
        parts += [f"Note: {note}\n" for note in outcome.notes]
    parts.append(
        "Reproduce: `python -m compileall -q cca`, then `python bench/run.py` (everything, about half an hour),\n"
        "or a part: `python bench/run.py --only import,stats --rows 21000 --runs 3`; bench/README.md says\n"
        "what each part measures. `--readme` rewrites the blocks of the parts that ran.\n"
        f"{PEERS_END}"
    )
    return "\n".join(parts)


def write_readme(block: str, begin: str = BEGIN, end_marker: str = END) -> None:
    """Replace the text between the markers (the bench block's by default) in README.md, and nothing else."""
    text = README.read_text(encoding="utf-8")
    start, end = text.find(begin), text.find(end_marker)
    if start < 0 or end < start:
        raise SystemExit(f"bench: {README} has no {begin} ... {end_marker} block")
    README.write_text(text[:start] + block + text[end + len(end_marker) :], encoding="utf-8")


def report_json(path: Path, outcome: Outcome) -> None:
    """Every figure and target as JSON."""
    document = {
        "python": sys.version.split()[0],
        "machine": os.uname().machine,
        "cpus": os.cpu_count(),
        "runs": outcome.runs,
        "total_seconds": round(outcome.seconds, 1),
        "load_average_before": outcome.load,
        "notes": outcome.notes,
        "peers": outcome.peers,
        "sizes": {s.label: asdict(s) for s in outcome.sizes},
        "import": asdict(outcome.imported) if isinstance(outcome.imported, Figure) else outcome.imported,
        "targets": [{**asdict(t), "verdict": t.verdict} for t in outcome.goals],
        "against_peers": [{**asdict(r), "ratio": r.ratio, "verdict": r.verdict} for r in outcome.rows],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    sys.stderr.write(f"bench: results written to {path}\n")
