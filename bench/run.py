"""cca's benchmark: whole-process timings at the bundled size and at AidData scale, checked against targets.

    source .venv/bin/activate && python -m compileall -q cca     # once: timed processes must not compile
    env -u PYTHONDONTWRITEBYTECODE python bench/run.py             # sizes 0 20000 100000 (about 5 minutes)
    env -u PYTHONDONTWRITEBYTECODE python bench/run.py --sizes 0 20000 --runs 3        # quicker
    env -u PYTHONDONTWRITEBYTECODE python bench/run.py --runs 5 --json bench/results.json --readme

Run it with the Python that has cca installed; it needs nothing beyond the project and the
standard library. Size 0 is the bundled knowledge; any other size is a synthetic knowledge file
with that many projects, generated deterministically in cca's YAML format and read with
``--no-bundled -k FILE`` (kept under /tmp/cca-bench-data between runs). No user data directory is
ever read (``--no-data-dir``).

Every figure is a whole process: the median of several runs, taken in alternation with the
commands it is compared to after warm-up runs, with its peak memory (max RSS, from /usr/bin/time
where installed, else wait4) and its ratio to ``python -c pass`` measured in the same alternation.
Listing commands read a warm cache; ``first load after a change`` runs with a fresh, empty cache
directory (CCA_CACHE_DIR) and is compared to a process that json.loads the same records dumped as
JSON. Slow items (first load, export, import) get fewer runs: as many as fit in a time budget, at
least one. The targets table says, for each target, the measured value and whether it was met. A
note follows the tables when cca's code or data changed during the run, or when a warm cache was
rebuilt while being timed.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import inspect
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
DATA_CACHE = Path(tempfile.gettempdir()) / "cca-bench-data"
SIZES = [0, 20_000, 100_000]
SLOW_BUDGET = 40.0  # seconds: a slow item stops taking runs once its runs add up to this
IMPORT_ROWS = 21_000
GCDF = ROOT / "bench" / "gcdf.py"  # the importer's CSV generator: write_csv(path, rows, seed=0)
TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None  # GNU time, for peak RSS
PASS = "python -c pass"
FIRST_LOAD = "first load after a change (projects --country Laos --json)"
JSON_LOAD = "json.load of the same records"
EXPORT = "export --format sqlite"
IMPORT = "import aiddata (21,000-row CSV) --all"

STATUSES = ["planned", "agreed", "under-construction", "in-progress", "completed", "operational", "suspended"]
SECTORS = [
    ("transport", None),
    ("railway", "transport"),
    ("road", "transport"),
    ("port", "transport"),
    ("energy", None),
    ("power-plant", "energy"),
    ("industry", None),
    ("steel", "industry"),
    ("agriculture", None),
    ("finance", None),
    ("health", None),
    ("digital-economy", None),
]
TYPES = ["railway", "expressway", "road", "port", "industrial-park", "plant", "manufacturing-base", "other"]
AGREEMENT_TYPES = ["bilateral-agreement", "joint-declaration", "free-trade-agreement", "initiative", "framework"]
FORMS = ["direct-quote", "reported", "narration"]
EXTRAS = 20  # agreements, statements and figures in every synthetic file: the bundled file's order of size


# -- synthetic knowledge ------------------------------------------------------------------------------------


Country = tuple[str, str, str, str]  # id, alpha-2, alpha-3, name


def _countries() -> list[Country]:
    """Every ISO 3166 country, as (id, alpha-2, alpha-3, name)."""
    rows = []
    for line in (ROOT / "data" / "iso3166.tsv").read_text(encoding="utf-8").splitlines():
        if line.startswith(("#", "alpha2\t")) or not line.strip():
            continue
        alpha2, alpha3, name, _ = (line.split("\t") + [""])[:4]
        rows.append((f"c-{alpha2.lower()}", alpha2, alpha3, name))
    return rows


def _q(text: str) -> str:
    """A double-quoted YAML scalar (a JSON string is one)."""
    return json.dumps(text, ensure_ascii=False)


def _evidence(quote: str) -> str:
    return f"[{{source: synthetic, quote: {_q(quote)}}}]"


def _header(used: list[Country]) -> list[str]:
    """The source, countries and sectors of a synthetic file."""
    out = [
        "format: 1",
        "sources:",
        "  - id: synthetic",
        "    title: Synthetic benchmark source",
        "    publisher: cca bench",
        '    date: "2024-01-01"',
        "countries:",
    ]
    for cid, alpha2, alpha3, name in used:
        out.append(f"  - {{id: {cid}, name: {_q(name)}, official_name: {_q(name)}, iso2: {alpha2}, iso3: {alpha3}}}")
    out.append("sectors:")
    for sid, parent in SECTORS:
        label = _q(sid.replace("-", " ").title())
        out.append(f"  - {{id: {sid}, label: {label}" + (f", parent: {parent}" if parent else "") + "}")
    return out


def _project(i: int, country: str, rng: random.Random) -> list[str]:
    """One project record, shaped like an AidData one: status, progress, financing, evidence."""
    year = rng.randint(2000, 2023)
    quote = f"Project {i} was {rng.choice(STATUSES)} in {year}."
    return [
        f"  - id: proj-{i:06d}",
        f"    name: {_q(f'Project {i} ({rng.choice(TYPES)})')}",
        f"    type: {rng.choice(TYPES)}",
        f"    countries: [c-cn, {country}]",
        f"    sectors: [{rng.choice(SECTORS)[0]}]",
        f"    summary: {_q(f'Synthetic record {i}, committed in {year}.')}",
        "    status:",
        f"      - value: {rng.choice(STATUSES)}",
        f'        as_of: "{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"',
        f"        evidence: {_evidence(quote)}",
        "    progress:",
        f'      - {{metric: overall, value: {rng.randint(0, 100)}, unit: percent, as_of: "{year}-12-31", '
        f"evidence: {_evidence(quote)}}}",
        f"    financing: [{{amount: {rng.randint(1, 5000) * 100000}, currency: USD, year: {year}, kind: loan}}]",
        f"    evidence: {_evidence(quote)}",
    ]


def _extras(recipients: list[str], count: int, rng: random.Random) -> list[str]:
    """A few agreements, statements and figures, as many at every size (as in the bundled file)."""
    out = ["agreements:"]
    for i in range(count):
        country = "c-la" if i % 5 == 0 else rng.choice(recipients)
        out.append(
            f"  - {{id: agr-{i:03d}, name: {_q(f'Agreement {i}')}, type: {AGREEMENT_TYPES[i % len(AGREEMENT_TYPES)]}, "
            f'countries: [c-cn, {country}], date: "{2000 + i}", evidence: {_evidence(f"Agreement {i} was signed.")}}}'
        )
    out += [
        "people:",
        f"  - {{id: per-000, name: A Minister, roles: [{{title: Minister}}], evidence: {_evidence('A minister.')}}}",
        "statements:",
    ]
    for i in range(count):
        form = FORMS[i % len(FORMS)]
        person = "" if form == "narration" else "person: per-000, "
        out.append(
            f"  - {{id: stm-{i:03d}, {person}form: {form}, summary: {_q(f'Statement {i} on project {i}.')}, "
            f"about: [proj-{i:06d}], evidence: {_evidence(f'Statement {i} was made.')}}}"
        )
    out.append("figures:")
    for i in range(count):  # about project i, whose recipient is recipients[i]
        out.append(
            f"  - {{id: fig-{i:03d}, subject: {_q(f'Length of project {i}')}, value: {rng.randint(1, 900)}, unit: km, "
            f"about: [proj-{i:06d}], countries: [c-cn, {recipients[i]}], evidence: {_evidence(f'Project {i}: long.')}}}"
        )
    return out


def generate(projects: int, path: Path) -> None:
    """A deterministic knowledge file that passes `cca validate`, shaped like real records.

    Projects spread over 165 countries, as in AidData's dataset of Chinese development
    finance; Laos gets an average share. Agreements, statements and figures stay few.
    """
    rng = random.Random(20210304 + projects)
    countries = _countries()
    others = [c for c in countries if c[1] not in ("LA", "CN")]
    used = [c for c in countries if c[1] in ("LA", "CN")] + rng.sample(others, 163)
    recipients = [c[0] for c in used if c[1] != "CN"]
    out = _header(used) + ["projects:"]
    for i in range(projects):
        country = recipients[i % len(recipients)] if i < len(recipients) else rng.choice(recipients)
        out += _project(i, country, rng)
    out += _extras(recipients, min(EXTRAS, projects), rng)
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def dump_json(yaml_path: Path, json_path: Path) -> None:
    """The same records as JSON, read with cca's own reader (cca.io.yaml)."""
    from cca.io import yaml as reader

    data = reader.parse(yaml_path.read_text(encoding="utf-8"), str(yaml_path))
    json_path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _generator_key() -> str:
    """Changes whenever the generated files would: the generator's code and the country list."""
    digest = hashlib.sha256((ROOT / "data" / "iso3166.tsv").read_bytes())
    for function in (_countries, _q, _evidence, _header, _project, _extras, generate):
        digest.update(inspect.getsource(function).encode())
    digest.update(repr((STATUSES, SECTORS, TYPES, AGREEMENT_TYPES, FORMS, EXTRAS)).encode())
    return digest.hexdigest()[:12]


def synthetic(size: int) -> tuple[Path, Path]:
    """The YAML file of `size` projects and its JSON twin, generated once and kept under /tmp.

    Both are made in child processes: Linux keeps a process's peak RSS across fork and exec,
    so a bench grown large would report its own peak as its children's.
    """
    folder = DATA_CACHE / _generator_key()
    folder.mkdir(parents=True, exist_ok=True)
    yaml_path, json_path = folder / f"knowledge-{size}.yaml", folder / f"knowledge-{size}.json"
    for path, option, source in ((yaml_path, "--generate", str(size)), (json_path, "--dump-json", str(yaml_path))):
        if not path.exists():
            partial = path.with_name(path.name + ".partial")
            subprocess.run([sys.executable, __file__, option, source, str(partial)], check=True)
            partial.replace(path)
    return yaml_path, json_path


# -- timing -------------------------------------------------------------------------------------------------


@dataclass
class Figure:
    """One measured item: median wall-clock seconds, peak RSS of its processes, runs taken."""

    seconds: float
    peak_mb: float
    runs: int


@dataclass
class Size:
    """Everything measured at one size."""

    label: str
    projects: int
    bytes: int
    figures: dict[str, Figure] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # anything that makes the figures doubtful


Run = tuple[list[str], dict[str, str]]  # a command and its environment


class CommandFailed(Exception):
    """A timed command exited with an error (the message has its command and stderr)."""


def measure(command: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Wall-clock seconds and peak RSS (KB) of one whole process; raises CommandFailed if it fails.

    The peak comes from /usr/bin/time where installed: a process started straight from the bench
    would report the bench's own peak RSS if larger (Linux keeps the high-water mark across the
    vfork and exec that start it), so the floor would be the bench's size, not the command's.
    """
    with tempfile.NamedTemporaryFile(prefix="cca-bench-") as errors, tempfile.NamedTemporaryFile() as peak:
        wrapped = [TIME, "-f", "%M", "-o", peak.name, *command] if TIME else command
        started = time.perf_counter()
        process = subprocess.Popen(wrapped, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errors, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) != 0:
            tail = Path(errors.name).read_text(errors="replace")[-2000:]
            raise CommandFailed(f"bench: {' '.join(command)} exited {os.waitstatus_to_exitcode(status)}\n{tail}")
        lines = Path(peak.name).read_text().split()
    return elapsed, int(lines[-1]) if TIME else usage.ru_maxrss


def warm_up(commands: dict[str, Run], rounds: int = 2) -> None:
    """Run each command a few times untimed: caches built, files and code in the page cache."""
    for _ in range(rounds):
        for command, env in commands.values():
            measure(command, env)


def compare(commands: dict[str, Run], runs: int) -> dict[str, Figure]:
    """Median time and peak memory of each command, run in alternation (after `warm_up`)."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    peaks: dict[str, int] = dict.fromkeys(commands, 0)
    for _ in range(runs):
        for name, (command, env) in commands.items():
            elapsed, rss = measure(command, env)
            times[name].append(elapsed)
            peaks[name] = max(peaks[name], rss)
    return {name: Figure(statistics.median(times[name]), peaks[name] / 1024, runs) for name in commands}


def repeat(make: Callable[[int], Run], runs: int, budget: float = SLOW_BUDGET) -> Figure:
    """A slow item: one fresh process per run (`make(i)` prepares run i), until `runs` or the budget."""
    times: list[float] = []
    peak = 0
    while len(times) < runs and (not times or sum(times) + times[-1] <= budget):
        elapsed, rss = measure(*make(len(times)))
        times.append(elapsed)
        peak = max(peak, rss)
    return Figure(statistics.median(times), peak / 1024, len(times))


# -- what is measured ---------------------------------------------------------------------------------------


def cca_command() -> list[str]:
    """The installed `cca` entry point beside this Python, else `python -m cca`."""
    entry = Path(sys.executable).parent / "cca"
    return [str(entry)] if entry.exists() else [sys.executable, "-m", "cca"]


def base_env(work: Path) -> dict[str, str]:
    """The environment without any CCA_ setting, with a fixed terminal width and no colour."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCA_") and k != "PYTHONDONTWRITEBYTECODE"}
    env.update({"CCA_NO_DATA_DIR": "1", "COLUMNS": "100", "NO_COLOR": "1", "CCA_CACHE_DIR": str(work / "cache")})
    return env


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


def with_cache(env: dict[str, str], cache: Path) -> dict[str, str]:
    return {**env, "CCA_CACHE_DIR": str(cache)}


def measure_size(size: int, cca: list[str], env: dict[str, str], work: Path, runs: int) -> Size:
    """Every figure at one size: warm listings, first load beside json.load, sqlite export."""
    if size:
        path, json_path = synthetic(size)
        cca = [*cca, "--no-data-dir", "--no-bundled", "-k", str(path)]
    else:
        path, json_path = ROOT / "data" / "knowledge.yaml", work / "bundled.json"
        subprocess.run([sys.executable, __file__, "--dump-json", str(path), str(json_path)], check=True)
        cca = [*cca, "--no-data-dir"]
    label = f"{size:,}" if size else "bundled"
    sys.stderr.write(f"bench: {label} projects ({path.stat().st_size / 1e6:.1f} MB)\n")
    result = Size(label, size, path.stat().st_size)
    cache = work / f"cache-{size}"
    env = with_cache(env, cache)
    show_id = "proj-000001" if size else "china-laos-railway"
    commands = {PASS: ([sys.executable, "-c", "pass"], env)}
    commands.update({name: ([*cca, *args], env) for name, args in listing_commands(show_id).items()})
    warm_up(commands)
    built = snapshot(cache)
    result.figures.update(compare(commands, runs))
    if snapshot(cache) != built:
        result.notes.append(f"{label}: the cache was rebuilt during the timed listings (cca or its data changed?)")
    sys.stderr.write(f"bench: {label}: first load\n")
    result.figures.update(first_load(cca, env, work / f"first-{size}", json_path, runs))
    sys.stderr.write(f"bench: {label}: export\n")
    result.figures[EXPORT] = export(cca, env, work / f"export-{size}", runs)
    return result


def first_load(cca: list[str], env: dict[str, str], folder: Path, json_path: Path, runs: int) -> dict[str, Figure]:
    """The first query after a change (a fresh cache each run), beside json.load of the same records."""
    laos = [*cca, "projects", "--country", "Laos", "--json"]
    loader = ([sys.executable, "-c", "import json, sys; json.load(open(sys.argv[1], 'rb'))", str(json_path)], env)
    measure(*loader)  # warm-up: the file into the page cache
    json_times: list[float] = []
    json_peak = 0

    def make(i: int) -> Run:
        elapsed, rss = measure(*loader)  # alternated with the first loads
        json_times.append(elapsed)
        nonlocal json_peak
        json_peak = max(json_peak, rss)
        return laos, with_cache(env, folder / str(i))

    first = repeat(make, runs)
    while len(json_times) < runs:
        json_times.append(measure(*loader)[0])
    shutil.rmtree(folder, ignore_errors=True)
    return {FIRST_LOAD: first, JSON_LOAD: Figure(statistics.median(json_times), json_peak / 1024, len(json_times))}


def export(cca: list[str], env: dict[str, str], folder: Path, runs: int) -> Figure:
    """`export --format sqlite` on the warm cache, to a new file each run."""
    folder.mkdir(parents=True, exist_ok=True)

    def make(i: int) -> Run:
        return [*cca, "export", "--format", "sqlite", str(folder / f"{i}.sqlite")], env

    figure = repeat(make, runs)
    shutil.rmtree(folder, ignore_errors=True)
    return figure


def importer(cca: list[str], env: dict[str, str], work: Path, runs: int, generator: Path = GCDF) -> Figure | str:
    """`cca import aiddata FILE --all` on a generated 21,000-row CSV, or why it was not measured.

    Each run starts from a new, empty data directory and cache. Nothing here may stop the bench:
    an importer or generator that is missing or fails is reported, not raised.
    """
    probe = subprocess.run([*cca, "import", "--help"], env=env, capture_output=True, text=True)
    if probe.returncode != 0:
        return "no importer"
    if not generator.exists():
        return f"no importer: no {generator.relative_to(ROOT) if generator.is_relative_to(ROOT) else generator}"
    csv_path = work / "gcdf.csv"
    write = [sys.executable, __file__, "--gcdf", str(generator), str(IMPORT_ROWS), str(csv_path)]
    made = subprocess.run(write, env=env, capture_output=True, text=True)
    if made.returncode != 0 or not csv_path.exists():
        reason = (made.stderr.strip().splitlines() or ["no file written"])[-1]
        return f"bench/gcdf.py write_csv(path, rows, seed=0) failed: {reason}"
    help_text = subprocess.run([*cca, "--help"], env=env, capture_output=True, text=True).stdout
    option = "--data-dir" if re.search(r"--data-dir\b", help_text) else None

    def make(i: int) -> Run:
        data_dir = work / f"import-data-{i}"
        run_env = with_cache(env, work / f"import-cache-{i}")
        run_env.pop("CCA_NO_DATA_DIR", None)
        if option is None:
            run_env["CCA_DATA_DIR"] = str(data_dir)
        prefix = [option, str(data_dir)] if option else []
        return [*cca, *prefix, "import", "aiddata", str(csv_path), "--all"], run_env

    try:
        return repeat(make, runs)
    except CommandFailed as error:
        sys.stderr.write(f"{error}\n")
        return "the import failed"


def write_gcdf(generator: Path, rows: int, path: Path) -> None:
    """Call bench/gcdf.py's write_csv (in a child process, for the same reason as `synthetic`)."""
    spec = importlib.util.spec_from_file_location("gcdf", generator)
    if spec is None or spec.loader is None:
        raise SystemExit(f"bench: cannot load {generator}")
    module = importlib.util.module_from_spec(spec)
    sys.dont_write_bytecode = True  # leave no __pycache__ beside it
    spec.loader.exec_module(module)
    module.write_csv(path, rows, seed=0)


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


def targets(sizes: dict[int, Size], imported: Figure | str) -> list[Target]:
    """Every target, in the order they are printed."""

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


def _bound_target(name: str, figure: Figure | None, bound: float, unit: str) -> Target:
    if figure is None:
        return Target(name, "—", f"< {bound:g} {unit}", None)
    value = figure.peak_mb if unit == "MB" else figure.seconds
    shown = f"{value:.1f} MB" if unit == "MB" else f"{value:.2f} s"
    return Target(name, shown, f"< {bound:g} {unit}", value < bound)


# -- reporting ----------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """A whole run: the figures at each size, the importer's, the targets, and notes on the run."""

    sizes: list[Size]
    imported: Figure | str
    goals: list[Target]
    runs: int
    seconds: float
    load: float  # 1-minute load average at the start
    notes: list[str]


def results_table(sizes: Sequence[Size], imported: Figure | str) -> str:
    """Every figure: size, command, median, ratio to python -c pass, peak MB, runs."""
    lines = [f"{'size':>9}  {'command':<60} {'median':>9} {'× pass':>7} {'peak MB':>8} {'runs':>4}"]
    for size in sizes:
        base = size.figures[PASS].seconds
        for name, figure in size.figures.items():
            lines.append(
                f"{size.label:>9}  {name:<60} {figure.seconds * 1000:>7.0f}ms {figure.seconds / base:>7.1f} "
                f"{figure.peak_mb:>8.1f} {figure.runs:>4}"
            )
    if isinstance(imported, Figure):
        lines.append(
            f"{'21,000':>9}  {IMPORT:<60} {imported.seconds * 1000:>7.0f}ms {'':>7} "
            f"{imported.peak_mb:>8.1f} {imported.runs:>4}"
        )
    return "\n".join(lines)


def targets_table(rows: Sequence[Target]) -> str:
    """Each target with its measured value, its bound and met / MISSED."""
    lines = [f"{'target':<60} {'measured':>10}  {'bound':<22} verdict"]
    lines += [f"{t.name:<60} {t.measured:>10}  {t.target:<22} {t.verdict}" for t in rows]
    return "\n".join(lines)


def text_report(outcome: Outcome) -> str:
    """Both tables, the notes, and how long the run took."""
    parts = [results_table(outcome.sizes, outcome.imported), targets_table(outcome.goals)]
    if outcome.notes:
        parts.append("\n".join(f"note: {note}" for note in outcome.notes))
    return "\n\n".join(parts)


EXPLANATION = (
    "`python bench/run.py --sizes {sizes} --runs {runs}` on this project's 2-core machine (Python {python}; "
    "the whole run took {minutes:.0f} minutes). Medians of whole processes, each command alternated with "
    "the others after warm-up; × pass is the ratio to `python -c pass` measured in the same alternation; "
    "peak MB is the process's max RSS. Synthetic files are generated deterministically by the script in "
    "cca's YAML format (projects spread over 165 countries, Laos with an average share; 20 agreements, "
    "statements and figures at every size) and read with `--no-bundled -k FILE`. Listings read the warm "
    "cache; `first load after a change` starts from an empty cache directory (parse, validate, build the "
    "cache) and is compared with a process that `json.load`s the same records dumped as JSON. Slow items "
    "take as many runs as fit in {budget:.0f} seconds (at least one)."
)


def readme_block(outcome: Outcome) -> str:
    """The README's bench section: how the figures were taken, then both tables."""
    explanation = EXPLANATION.format(
        sizes=" ".join(str(s.projects) for s in outcome.sizes),
        runs=outcome.runs,
        python=f"{sys.version_info.major}.{sys.version_info.minor}",
        minutes=outcome.seconds / 60,
        budget=SLOW_BUDGET,
    )
    notes = "".join(f"\nNote: {note}\n" for note in outcome.notes)
    return (
        f"{BEGIN}\n{textwrap.fill(explanation, 100)}\n\n"
        f"```text\n{results_table(outcome.sizes, outcome.imported)}\n```\n\n"
        f"```text\n{targets_table(outcome.goals)}\n```\n{notes}\n"
        "Reproduce: `python -m compileall -q cca`, then `python bench/run.py` (all sizes, about 5 minutes) or\n"
        "`python bench/run.py --sizes 0 20000 --runs 3`; `--json PATH` writes the figures as JSON, `--readme`\n"
        "rewrites this section.\n"
        f"{END}"
    )


def write_readme(block: str) -> None:
    """Replace the text between the bench markers in README.md, and nothing else."""
    text = README.read_text(encoding="utf-8")
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise SystemExit(f"bench: {README} has no {BEGIN} ... {END} block")
    README.write_text(text[:start] + block + text[end + len(END) :], encoding="utf-8")


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
        "sizes": {s.label: asdict(s) for s in outcome.sizes},
        "import": asdict(outcome.imported) if isinstance(outcome.imported, Figure) else outcome.imported,
        "targets": [{**asdict(t), "verdict": t.verdict} for t in outcome.goals],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    sys.stderr.write(f"bench: results written to {path}\n")


# -- main ---------------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=SIZES, help="project counts (0: the bundled file)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each command (median reported)")
    parser.add_argument("--json", type=Path, help="write every figure and target as JSON to this file")
    parser.add_argument("--readme", action="store_true", help="rewrite README.md's bench block with the results")
    internal = parser.add_argument_group("internal (the bench's child processes)")
    internal.add_argument("--generate", nargs=2, metavar=("PROJECTS", "PATH"), help="only write a synthetic file")
    internal.add_argument("--dump-json", nargs=2, metavar=("YAML", "JSON"), help="only dump a file's records as JSON")
    internal.add_argument("--gcdf", nargs=3, metavar=("GENERATOR", "ROWS", "PATH"), help="only write a CSV with it")
    args = parser.parse_args(argv)
    if args.runs < 1 or any(size < 0 for size in args.sizes):
        parser.error("--runs must be at least 1 and --sizes at least 0")
    return args


def bench(sizes: Sequence[int], runs: int) -> Outcome:
    """Measure every size and the importer, and check the targets."""
    started, load = time.perf_counter(), os.getloadavg()[0]
    if load > 0.5:
        sys.stderr.write(f"bench: warning: load average {load:.2f} before starting; figures may be noisy\n")
    before = sources_snapshot()
    cca = cca_command()
    work = Path(tempfile.mkdtemp(prefix="cca-bench-"))
    try:
        env = base_env(work)
        measured = {size: measure_size(size, cca, env, work, runs) for size in dict.fromkeys(sizes)}
        sys.stderr.write("bench: importer\n")
        imported = importer(cca, env, work, runs)
    except CommandFailed as error:
        raise SystemExit(str(error)) from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    after = sources_snapshot()
    notes = [note for size in measured.values() for note in size.notes]
    changed = sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
    if changed:
        notes.append(f"cca's code or data changed during the run ({', '.join(changed)}): figures mix versions")
    seconds = time.perf_counter() - started
    return Outcome(list(measured.values()), imported, targets(measured, imported), runs, seconds, load, notes)


def main() -> None:
    args = parse_args()
    if args.generate:
        generate(int(args.generate[0]), Path(args.generate[1]))
    elif args.dump_json:
        dump_json(Path(args.dump_json[0]), Path(args.dump_json[1]))
    elif args.gcdf:
        write_gcdf(Path(args.gcdf[0]), int(args.gcdf[1]), Path(args.gcdf[2]))
    else:
        outcome = bench(args.sizes, args.runs)
        print(f"{text_report(outcome)}\n\nbench: {outcome.seconds / 60:.1f} minutes in all")
        if args.json:
            report_json(args.json, outcome)
        if args.readme:
            write_readme(readme_block(outcome))
            sys.stderr.write(f"bench: {README} updated\n")


if __name__ == "__main__":
    main()
