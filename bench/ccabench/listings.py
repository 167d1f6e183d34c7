"""The listings bench: every command at the bundled size and on synthetic knowledge, and its targets."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ccabench.common import ROOT, RUN, with_cache
from ccabench.knowledge import synthetic
from ccabench.timing import SLOW_BUDGET, Figure, Job, alternate, compare, repeat, warm_up

PASS = "python -c pass"
FIRST_LOAD = "first load after a change (projects --country Laos --json)"
JSON_LOAD = "json.load of the same records"
EXPORT = "export --format sqlite"
IMPORT = "import aiddata (21,000-row CSV) --all"


@dataclass
class Size:
    """Everything measured at one size."""

    label: str
    projects: int
    bytes: int
    figures: dict[str, Figure] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # anything that makes the figures doubtful


def listing_commands(show_id: str) -> dict[str, list[str]]:
    """The commands timed on a warm cache, by the name they are reported under."""
    return {
        "projects --country Laos --json": ["projects", "--country", "Laos", "--json"],
        "projects --country Laos (table)": ["projects", "--country", "Laos", "--format", "table"],
        "projects --json": ["projects", "--json"],
        "agreements --json": ["agreements", "--json"],
        "countries --json": ["countries", "--json"],
        "country Laos --json": ["country", "Laos", "--json"],
        "sectors --json": ["sectors", "--json"],
        "sources --json": ["sources", "--json"],
        # a search is read from the top: the first 20 hits, as one asks (every hit grows with the data)
        "search railway --json --limit 20": ["search", "railway", "--json", "--limit", "20"],
        "show (one project) --json": ["show", show_id, "--json"],
        "statements --json": ["statements", "--json"],
        "figures --json": ["figures", "--json"],
    }


def snapshot(folder: Path, pattern: str = "**/*") -> dict[str, int]:
    """Each file's modification time, to tell whether anything changed in between."""
    times = {}
    for path in folder.glob(pattern):
        try:
            times[str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)] = path.stat().st_mtime_ns
        except FileNotFoundError:  # removed while we looked
            continue
    return times


def sources_snapshot() -> dict[str, int]:
    """cca's code and data: another change to them during a run makes its figures a mix of versions."""
    return snapshot(ROOT / "cca", "**/*.py") | snapshot(ROOT / "data")


def measure_size(size: int, cca: list[str], env: dict[str, str], work: Path, runs: int) -> Size:
    """Every figure at one size: warm listings, first load beside json.load, sqlite export."""
    if size:
        path, json_path = synthetic(size)
        cca = [*cca, "--no-data-dir", "--no-bundled", "-k", str(path)]
    else:
        path, json_path = ROOT / "data" / "knowledge.yaml", work / "bundled.json"
        subprocess.run([sys.executable, str(RUN), "--dump-json", str(path), str(json_path)], check=True)
        cca = [*cca, "--no-data-dir"]
    label = f"{size:,}" if size else "bundled"
    sys.stderr.write(f"bench: {label} projects ({path.stat().st_size / 1e6:.1f} MB)\n")
    result = Size(label, size, path.stat().st_size)
    cache = work / f"cache-{size}"
    env = with_cache(env, cache)
    show_id = "proj-000001" if size else "china-laos-railway"
    jobs = {PASS: Job([sys.executable, "-c", "pass"], env)}
    jobs.update({name: Job([*cca, *args], env) for name, args in listing_commands(show_id).items()})
    warm_up(jobs)
    built = snapshot(cache)
    result.figures.update(compare(jobs, runs))
    if snapshot(cache) != built:
        result.notes.append(f"{label}: the cache was rebuilt during the timed listings (cca or its data changed?)")
    sys.stderr.write(f"bench: {label}: first load\n")
    result.figures.update(first_load(cca, env, work / f"first-{size}", json_path, runs))
    sys.stderr.write(f"bench: {label}: export\n")
    result.figures[EXPORT] = export(cca, env, work / f"export-{size}", runs)
    return result


def first_load(
    cca: list[str], env: dict[str, str], folder: Path, json_path: Path, runs: int, budget: float | None = None
) -> dict[str, Figure]:
    """The first query after a change (a fresh cache each run), alternated with json.load of the same records."""
    loader = Job([sys.executable, "-c", "import json, sys; json.load(open(sys.argv[1], 'rb'))", str(json_path)], env)
    warm_up({"": loader}, 1)  # the file into the page cache
    laos = [*cca, "projects", "--country", "Laos", "--json"]
    figures = alternate(
        {FIRST_LOAD: lambda i: Job(laos, with_cache(env, folder / str(i))), JSON_LOAD: lambda _i: loader},
        runs,
        SLOW_BUDGET if budget is None else budget,
    )
    shutil.rmtree(folder, ignore_errors=True)
    return figures


def export(cca: list[str], env: dict[str, str], folder: Path, runs: int) -> Figure:
    """`export --format sqlite` on the warm cache, to a new file each run."""
    folder.mkdir(parents=True, exist_ok=True)
    figure = repeat(lambda i: Job([*cca, "export", "--format", "sqlite", str(folder / f"{i}.sqlite")], env), runs)
    shutil.rmtree(folder, ignore_errors=True)
    return figure


# -- targets ------------------------------------------------------------------------------------------------


@dataclass
class Target:
    """One target: what was measured, the bound, and whether it held (None: not measured)."""

    name: str
    measured: str
    target: str
    met: bool | None
    why_not: str = ""  # when not measured, and it is worth saying why

    @property
    def verdict(self) -> str:
        if self.met is None:
            return f"not measured ({self.why_not})" if self.why_not else "not measured"
        return "met" if self.met else "MISSED"


def _ratio_target(name: str, top: Figure | None, bottom: Figure | None, bound: float, what: str) -> Target:
    if top is None or bottom is None:
        return Target(name, "—", f"≤ {bound:g}× {what}", None)
    ratio = top.seconds / bottom.seconds
    return Target(name, f"{ratio:.2f}×", f"≤ {bound:g}× {what}", ratio <= bound)


def _bound_target(name: str, figure: Figure | None, bound: float, unit: str) -> Target:
    if figure is None:
        return Target(name, "—", f"< {bound:g} {unit}", None)
    value = figure.peak_mb if unit == "MB" else figure.seconds
    shown = f"{value:.1f} MB" if unit == "MB" else f"{value:.2f} s"
    return Target(name, shown, f"< {bound:g} {unit}", value < bound)


def targets(sizes: dict[int, Size], imported: Figure | str) -> list[Target]:
    """Every target of the listings bench (and the importer's time), in the order they are printed."""

    def get(size: int, name: str) -> Figure | None:
        return sizes[size].figures.get(name) if size in sizes else None

    out: list[Target] = []
    for size, bound in ((20_000, 1.5), (100_000, 2.0)):
        for name in listing_commands("-"):
            out.append(_ratio_target(f"{name} at {size:,}", get(size, name), get(0, name), bound, "bundled"))
    for size, bound in ((20_000, 8.0), (100_000, 10.0)):
        out.append(
            _ratio_target(f"first load at {size:,}", get(size, FIRST_LOAD), get(size, JSON_LOAD), bound, "json.load")
        )
    out.append(_bound_target("first load peak memory at 100,000", get(100_000, FIRST_LOAD), 500, "MB"))
    out.append(_bound_target(f"{EXPORT} at 100,000", get(100_000, EXPORT), 10, "s"))
    for name, bound in (("projects --country Laos --json", 6.0), ("projects --country Laos (table)", 9.0)):
        out.append(_ratio_target(f"bundled {name}", get(0, name), get(0, PASS), bound, "pass"))
    if isinstance(imported, Figure):
        out.append(_bound_target(IMPORT, imported, 20, "s"))
    else:
        out.append(Target(IMPORT, "—", "< 20 s", None, imported))
    return out


def results_table(sizes: Sequence[Size], imported: Figure | str) -> str:
    """Every figure: size, command, median, ratio to python -c pass, CPU, peak MB, runs."""
    lines = [f"{'size':>9}  {'command':<60} {'median':>9} {'× pass':>7} {'cpu':>8} {'peak MB':>8} {'runs':>4}"]
    for size in sizes:
        base = size.figures[PASS].seconds
        for name, figure in size.figures.items():
            lines.append(
                f"{size.label:>9}  {name:<60} {figure.seconds * 1000:>7.0f}ms {figure.seconds / base:>7.1f} "
                f"{figure.cpu * 1000:>6.0f}ms {figure.peak_mb:>8.1f} {figure.runs:>4}"
            )
    if isinstance(imported, Figure):
        lines.append(
            f"{'21,000':>9}  {IMPORT:<60} {imported.seconds * 1000:>7.0f}ms {'':>7} "
            f"{imported.cpu * 1000:>6.0f}ms {imported.peak_mb:>8.1f} {imported.runs:>4}"
        )
    return "\n".join(lines)


def targets_table(rows: Sequence[Target]) -> str:
    """Each target with its measured value, its bound and met / MISSED."""
    lines = [f"{'target':<60} {'measured':>10}  {'bound':<22} verdict"]
    lines += [f"{t.name:<60} {t.measured:>10}  {t.target:<22} {t.verdict}" for t in rows]
    return "\n".join(lines)
