"""cca's benchmark: whole processes, timed in alternation with the peers an analyst would otherwise use.

    source .venv/bin/activate && python -m compileall -q cca     # once: timed processes must not compile
    pip install -e '.[bench]'                                      # the peers: DuckDB's CLI, pandas
    env -u PYTHONDONTWRITEBYTECODE python bench/run.py             # everything (about half an hour)
    env -u PYTHONDONTWRITEBYTECODE python bench/run.py --only import,stats --rows 21000 --runs 3
    env -u PYTHONDONTWRITEBYTECODE python bench/run.py --only listings --sizes 0 20000 --runs 3
    env -u PYTHONDONTWRITEBYTECODE python bench/run.py --runs 5 --readme

Run it with the Python that has cca installed; it needs nothing beyond the project and the
standard library, and finds the peers at run time (a missing one is reported, not fatal).

Parts (--only, comma-separated; all by default):
  listings    every listing command at the bundled size and on synthetic cca-format files of
              --sizes projects (warm cache), first load against json.load, sqlite export
  import      `cca import aiddata` of a synthetic GCDF 3.0 CSV at each --rows size, against
              DuckDB's read_csv_auto (none at the third size), and cca's peak memory
  xlsx        the same import from the workbook, against pandas' read_excel (calamine)
  edit        the next command after editing a links.yaml beside the import, against it warm
  first-load  `projects -c Laos --json` on the import with an empty cache (first two sizes)
  jsonl       every project as JSON Lines, against sqlite3 on cca's own export
  search      a full-text search, against an FTS5 query on the export
  stats       stats by recipient, against a GROUP BY on the export's typed columns
  yaml        first load of a file written by PyYAML's safe_dump, against json.load
  version     `cca --version`, against the warm query

Every figure is a whole process: the median of its runs, with its CPU time (user + system) and
peak memory (max RSS, from /usr/bin/time where installed, else wait4). Where cca and its peer
both give an answer, the answers are checked equal (counts and sums). Slow items take as many
runs as fit in --budget seconds, at least one. Generated inputs are kept under
$TMPDIR/cca-bench-data, keyed on their size and their generator's code. No user data directory
is ever read: imports go to scratch directories given with --data-dir.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

# The bench's modules sit beside this file (bench/ccabench); tests load this file by path.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ccabench.common import base_env, cca_command  # noqa: E402
from ccabench.inputs import write_gcdf, write_xlsx  # noqa: E402
from ccabench.knowledge import dump_json, dump_pyyaml, generate  # noqa: E402
from ccabench.listings import Size, measure_size, sources_snapshot, targets  # noqa: E402
from ccabench.peers import Peers  # noqa: E402
from ccabench.report import (  # noqa: E402
    BEGIN,
    END,
    PEERS_BEGIN,
    PEERS_END,
    Outcome,
    peers_block,
    readme_block,
    report_json,
    text_report,
    write_readme,
)
from ccabench.scenarios import NOMINAL, SCENARIOS, Context, Row, measure_all  # noqa: E402
from ccabench.timing import SLOW_BUDGET, CommandFailed, Figure  # noqa: E402

__all__ = ["generate", "main"]  # generate: tests/conftest.py makes its synthetic knowledge with it

SIZES = [0, 20_000, 100_000]
PARTS = ("listings", *SCENARIOS)
RESULTS = Path(__file__).resolve().parent / "results.json"


def _parts(text: str) -> list[str]:
    chosen = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [part for part in chosen if part not in PARTS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown part {', '.join(unknown)} (choose from {', '.join(PARTS)})")
    return chosen


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", type=_parts, default=list(PARTS), help="the parts to run, e.g. import,stats")
    parser.add_argument("--sizes", type=int, nargs="+", default=SIZES, help="listings: project counts (0: bundled)")
    parser.add_argument(
        "--rows",
        type=int,
        nargs="+",
        default=list(NOMINAL),
        help="imported rows standing for 21,000, 100,000 and 500,000 (give fewer to skip the larger ones)",
    )
    parser.add_argument("--yaml-projects", type=int, default=20_000, help="yaml: projects in the PyYAML-layout file")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each command (median reported)")
    parser.add_argument("--budget", type=float, default=SLOW_BUDGET, help="seconds of runs a slow item may take")
    parser.add_argument(
        "--memory-cap", type=int, default=8192, help="MB of address space an import may take before it is stopped"
    )
    parser.add_argument("--json", type=Path, default=RESULTS, help="where to write every figure as JSON")
    parser.add_argument("--readme", action="store_true", help="rewrite README.md's bench block with the results")
    parser.add_argument(
        "--against",
        metavar="REV",
        help="instead: every listing, first load and export at --sizes, by this tree and by git revision REV, "
        "alternated (--readme rewrites the README's block for it)",
    )
    internal = parser.add_argument_group("internal (the bench's child processes)")
    internal.add_argument("--generate", nargs=2, metavar=("PROJECTS", "PATH"), help="only write a synthetic file")
    internal.add_argument("--dump-json", nargs=2, metavar=("YAML", "JSON"), help="only dump a file's records as JSON")
    internal.add_argument("--pyyaml", nargs=2, metavar=("JSON", "YAML"), help="only write records with safe_dump")
    internal.add_argument("--gcdf", nargs=3, metavar=("GENERATOR", "ROWS", "PATH"), help="only write a GCDF CSV")
    internal.add_argument("--xlsx", nargs=2, metavar=("CSV", "PATH"), help="only write a GCDF workbook")
    args = parser.parse_args(argv)
    if args.runs < 1 or any(size < 0 for size in args.sizes) or any(rows < 1 for rows in args.rows):
        parser.error("--runs and --rows must be at least 1, --sizes at least 0")
    if len(args.rows) > len(NOMINAL):
        parser.error(f"--rows takes at most {len(NOMINAL)} sizes")
    return args


def bench(args: argparse.Namespace) -> Outcome:
    """Measure every chosen part, check the answers, and judge the targets."""
    started, load = time.perf_counter(), os.getloadavg()[0]
    if load > 0.5:
        sys.stderr.write(f"bench: warning: load average {load:.2f} before starting; figures may be noisy\n")
    before = sources_snapshot()
    cca = cca_command()
    peers = Peers.find()
    work = Path(tempfile.mkdtemp(prefix="cca-bench-"))
    try:
        env = base_env(work)
        measured: dict[int, Size] = {}
        if "listings" in args.only:
            measured = {size: measure_size(size, cca, env, work, args.runs) for size in dict.fromkeys(args.sizes)}
        ctx = Context(cca, env, work, args.runs, args.budget, args.memory_cap, peers, args.rows, args.yaml_projects)
        rows = measure_all(ctx, args.only)
    except CommandFailed as error:
        raise SystemExit(str(error)) from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    after = sources_snapshot()
    notes = [note for size in measured.values() for note in size.notes] + ctx.notes
    changed = sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
    if changed:
        notes.append(f"cca's code or data changed during the run ({', '.join(changed)}): figures mix versions")
    imported = _import_figure(rows, args.rows[0], "import" in args.only)
    seconds = time.perf_counter() - started
    goals = targets(measured, imported)
    command = " ".join(["python bench/run.py", *_shown(sys.argv[1:])])
    sizes = list(measured.values())
    return Outcome(sizes, imported, goals, rows, peers.describe(), args.runs, seconds, load, notes, command)


def against(args: argparse.Namespace) -> None:
    """This tree against revision ``args.against``: the listings bench's commands, alternated between the two."""
    from ccabench import against as versus

    started, load = time.perf_counter(), os.getloadavg()[0]
    if load > 0.5:
        sys.stderr.write(f"bench: warning: load average {load:.2f} before starting; figures may be noisy\n")
    work = Path(tempfile.mkdtemp(prefix="cca-bench-"))
    try:
        then, short = versus.checkout(args.against, work)
        sizes = list(dict.fromkeys(args.sizes))
        pairs = versus.measure(sizes, cca_command(), then, base_env(work), work, args.runs, args.budget)
    except CommandFailed as error:
        raise SystemExit(str(error)) from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    minutes = (time.perf_counter() - started) / 60
    shown = versus.table(pairs, short)
    print(f"{shown}\n\nbench: {minutes:.1f} minutes in all")
    if args.readme:
        command = " ".join(["python bench/run.py", *_shown(sys.argv[1:])])
        block = versus.readme_block(shown, command, short, args.runs, minutes, args.budget)
        write_readme(block, versus.BEGIN, versus.END)
        sys.stderr.write("bench: README.md updated\n")


def _shown(argv: list[str]) -> list[str]:
    """The options that shaped the figures (not where they were written)."""
    out: list[str] = []
    skip = False
    for arg in argv:
        if skip or arg == "--readme" or arg.startswith("--json="):
            skip = False
        elif arg == "--json":
            skip = True
        else:
            out.append(arg)
    return out


def _import_figure(rows: list[Row], small: int, ran: bool) -> Figure | str:
    """The CSV import at 21,000 rows, for the listings' `< 20 s` target (or why it is missing)."""
    if not ran:
        return "not in --only"
    if small != NOMINAL[0]:
        return f"ran at {small:,} rows"
    for row in rows:
        if row.work == f"import {small:,} rows, CSV":
            return row.cca if row.cca is not None else row.answers
    return "no import"


def main() -> None:
    args = parse_args()
    if args.generate:
        generate(int(args.generate[0]), Path(args.generate[1]))
    elif args.dump_json:
        dump_json(Path(args.dump_json[0]), Path(args.dump_json[1]))
    elif args.pyyaml:
        dump_pyyaml(Path(args.pyyaml[0]), Path(args.pyyaml[1]))
    elif args.gcdf:
        write_gcdf(Path(args.gcdf[0]), int(args.gcdf[1]), Path(args.gcdf[2]))
    elif args.xlsx:
        write_xlsx(Path(args.xlsx[0]), Path(args.xlsx[1]))
    elif args.against:
        against(args)
    else:
        outcome = bench(args)
        print(f"{text_report(outcome)}\n\nbench: {outcome.seconds / 60:.1f} minutes in all")
        report_json(args.json, outcome)
        if args.readme:
            for block, begin, end in (
                (readme_block(outcome), BEGIN, END),
                (peers_block(outcome), PEERS_BEGIN, PEERS_END),
            ):
                if block:  # only the parts that ran: the others keep their figures
                    write_readme(block, begin, end)
            sys.stderr.write("bench: README.md updated\n")


if __name__ == "__main__":
    main()
