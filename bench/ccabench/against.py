"""This tree against an earlier revision of cca, in one go: is anything slower than it was?

``python bench/run.py --against REV`` checks REV's ``cca/`` and ``data/`` out into the scratch
directory (``git archive``: the repository is not touched), compiles them, and runs every command
of the listings bench with both, alternated run by run, each with its own cache: the warm
listings at every size (bundled start-up included: each revision with its own bundled file),
the first load after a change and the SQLite export. The revision is started the way the
installed entry point starts this tree (a copy of the entry script beside its package), with the
same Python and libraries.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ccabench.common import ROOT, with_cache
from ccabench.knowledge import synthetic
from ccabench.listings import EXPORT, FIRST_LOAD, listing_commands
from ccabench.timing import SLOW_BUDGET, Figure, Job, alternate, side_by_side, warm_up

#: Within this ratio (either way) two revisions on a shared machine are the same speed.
NOISE = 1.10
#: Rounds of each command at least (as the budget allows for a slow one): a 50 ms command costs little
#: to run often, and its ratio needs them (single runs on this shared machine move by 20%, the middle half
#: of 15 rounds by 15%).
WARM_RUNS = 25

ENTRY = """import sys

from cca.cli import run

if __name__ == "__main__":
    sys.exit(run())
"""


@dataclass
class Pair:
    """One command at one size: this tree's figure and the revision's."""

    size: str
    command: str
    here: Figure
    then: Figure

    @property
    def ratios(self) -> list[float]:
        """The ratio of each round: this tree's run over the revision's, taken back to back."""
        here, then = self.here.times, self.then.times
        if here and len(here) == len(then):
            return [a / b for a, b in zip(here, then, strict=True)]
        return [self.here.seconds / self.then.seconds]

    @property
    def ratio(self) -> float:
        """The median of the paired ratios: a drift of the machine's speed (it moves CPU time by a third on
        a loaded host) slows both runs of a round alike and cancels, where it would tilt a ratio of medians."""
        return statistics.median(self.ratios)

    @property
    def spread(self) -> tuple[float, float]:
        """The middle half of the paired ratios (the lowest and highest with fewer than four rounds)."""
        ratios = sorted(self.ratios)
        if len(ratios) < 4:
            return ratios[0], ratios[-1]
        quartiles = statistics.quantiles(ratios, n=4)
        return quartiles[0], quartiles[2]

    @property
    def verdict(self) -> str:
        if self.ratio > NOISE:
            return "SLOWER"
        return "faster" if self.ratio < 1 / NOISE else "same"


def checkout(revision: str, work: Path) -> tuple[list[str], str]:
    """REV's package and data under ``work``, compiled; the command that starts it, and the revision's short name."""
    short = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", f"{revision}^{{commit}}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    target = work / f"cca-{short}"
    target.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", revision, "cca", "data"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    installed = Path(sys.executable).parent / "cca"  # the same entry script as this tree's, if it has one
    entry = installed.read_text(encoding="utf-8") if installed.is_file() else ENTRY
    (target / "cca_entry.py").write_text(entry, encoding="utf-8")
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(target / "cca")], check=True)
    # the script's directory comes first on sys.path: the revision's cca, whatever is installed
    return [sys.executable, str(target / "cca_entry.py")], short


def measure(
    sizes: Sequence[int],
    here: list[str],
    then: list[str],
    env: dict[str, str],
    work: Path,
    runs: int,
    budget: float = SLOW_BUDGET,
) -> list[Pair]:
    """Every listing, the first load and the export at each size, by both, alternated."""
    pairs: list[Pair] = []
    for size in sizes:
        common = ["--no-data-dir"]
        if size:
            path, _ = synthetic(size)
            common += ["--no-bundled", "-k", str(path)]
        label = f"{size:,}" if size else "bundled"
        sys.stderr.write(f"bench: against: {label}\n")
        show_id = "proj-000001" if size else "china-laos-railway"
        here_env, then_env = (with_cache(env, work / f"against-{side}-{size}") for side in ("here", "then"))
        jobs = {
            name: (Job([*here, *common, *args], here_env), Job([*then, *common, *args], then_env))
            for name, args in listing_commands(show_id).items()
        }
        warm_up({f"{name} {side}": job for name, two in jobs.items() for side, job in zip("ab", two, strict=True)})
        for name, (now, before) in side_by_side(jobs, max(runs, WARM_RUNS)).items():
            pairs.append(Pair(label, name, now, before))
        sides = {"here": here, "then": then}
        laos = [*common, "projects", "--country", "Laos", "--json"]
        first = alternate(
            {side: _first_load(start, laos, env, work, f"{side}-{size}") for side, start in sides.items()},
            max(runs, WARM_RUNS),
            budget,
        )
        pairs.append(Pair(label, FIRST_LOAD, first["here"], first["then"]))
        exported = alternate(
            {
                side: _export(
                    start, common, with_cache(env, work / f"against-{side}-{size}"), work / f"export-{side}-{size}"
                )
                for side, start in sides.items()
            },
            max(runs, WARM_RUNS),
            budget,
        )
        pairs.append(Pair(label, EXPORT, exported["here"], exported["then"]))
    return pairs


def _first_load(start: list[str], args: list[str], env: dict[str, str], work: Path, name: str) -> Callable[[int], Job]:
    """Run i of a first load: an empty cache directory of its own."""
    return lambda i: Job([*start, *args], with_cache(env, work / f"against-first-{name}-{i}"))


def _export(start: list[str], common: list[str], env: dict[str, str], folder: Path) -> Callable[[int], Job]:
    """Run i of an export from the warm cache, to a new file."""
    folder.mkdir(parents=True, exist_ok=True)
    return lambda i: Job([*start, *common, "export", "--format", "sqlite", str(folder / f"{i}.sqlite")], env)


def table(pairs: Sequence[Pair], short: str) -> str:
    """Each command: this tree's median, the revision's, their ratio and the verdict."""
    lines = [f"{'size':>9}  {'command':<60} {'now':>9} {short:>9} {'ratio':>6} {'middle half':>11}  verdict"]
    for pair in pairs:
        low, high = pair.spread
        lines.append(
            f"{pair.size:>9}  {pair.command:<60} {pair.here.seconds * 1000:>7.0f}ms {pair.then.seconds * 1000:>7.0f}ms "
            f"{pair.ratio:>6.2f} {f'{low:.2f}-{high:.2f}':>11}  {pair.verdict}"
        )
    slower = [p for p in pairs if p.verdict == "SLOWER"]
    lines.append(
        f"\n{len(pairs)} commands: {len(slower)} slower than {short} by more than {NOISE:.2f}×"
        + (f" ({', '.join(f'{p.command} at {p.size}' for p in slower)})" if slower else "")
    )
    return "\n".join(lines)


BEGIN, END = "<!-- bench-against:begin -->", "<!-- bench-against:end -->"

EXPLANATION = (
    "`{command}` on this project's 2-core machine (Python {python}; {minutes:.0f} minutes): every command of the "
    "listings bench run by this tree (now) and by revision {short} after warm-up, each with its own cache, "
    "the two runs of a round back to back and which goes first alternating; medians of whole processes: "
    "{warm} rounds of each warm command, and of each first load and export as many as fit in {budget:.0f} "
    "seconds (at most {warm}). The ratio is the median of the rounds' ratios (now over {short}: the shared "
    "machine's drifts slow both runs of a round and cancel), beside their middle half. Each revision reads "
    "its own bundled file; the synthetic files are the listings bench's. "
    "A ratio within {noise:.2f}× either way is the same speed."
)


def readme_block(shown: str, command: str, short: str, runs: int, minutes: float, budget: float) -> str:
    """The README's block for a comparison with an earlier revision."""
    explanation = EXPLANATION.format(
        command=command,
        python=f"{sys.version_info.major}.{sys.version_info.minor}",
        minutes=minutes,
        short=short,
        runs=runs,
        warm=max(runs, WARM_RUNS),
        budget=budget,
        noise=NOISE,
    )
    return f"{BEGIN}\n{textwrap.fill(explanation, 100)}\n\n```text\n{shown}\n```\n{END}"
