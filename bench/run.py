"""cca's benchmark: whole-process timings at the bundled size and at AidData scale.

    python bench/run.py                  # every size: bundled, 2,000, 20,000, 100,000 projects
    python bench/run.py --sizes 2000     # just some sizes (0 = the bundled file)
    python bench/run.py --runs 7 --json bench/results.json

Run it with the Python that has cca installed (the README's virtual environment).
It needs nothing beyond the project and the standard library; yq and jq are
timed too where installed. Each figure is the median of several runs, taken in
alternation with the commands it is compared to, after warm-up runs; each is
also given as a ratio to `python -c pass` measured in the same run, with the
peak memory (max RSS) of the process.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZES = [0, 2_000, 20_000, 100_000]
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


# -- synthetic knowledge ------------------------------------------------------------------------------------


def _countries() -> list[tuple[str, str, str, str]]:
    rows = []
    for line in (ROOT / "data" / "iso3166.tsv").read_text(encoding="utf-8").splitlines():
        if line.startswith(("#", "alpha2\t")) or not line.strip():
            continue
        alpha2, alpha3, name, _ = (line.split("\t") + [""])[:4]
        rows.append((f"c-{alpha2.lower()}", alpha2, alpha3, name))
    return rows


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid double-quoted YAML scalar


def generate(projects: int, path: Path) -> None:
    """A deterministic knowledge file that passes `cca validate`, shaped like real records.

    Projects spread over 165 countries, as in AidData's dataset of Chinese development
    finance; Laos gets an average share.
    """
    rng = random.Random(20210304 + projects)
    countries = _countries()
    used = [c for c in countries if c[1] in ("LA", "CN")] + rng.sample(
        [c for c in countries if c[1] not in ("LA", "CN")], 163
    )
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
        out.append(
            f"  - {{id: {sid}, label: {_q(sid.replace('-', ' ').title())}"
            + (f", parent: {parent}" if parent else "")
            + "}"
        )
    out.append("projects:")
    recipients = [c[0] for c in used if c[1] != "CN"]
    for i in range(projects):
        country = recipients[i % len(recipients)] if i < len(recipients) else rng.choice(recipients)
        year = rng.randint(2000, 2023)
        quote = f"Project {i} was {rng.choice(STATUSES)} in {year}."
        out += [
            f"  - id: proj-{i:06d}",
            f"    name: {_q(f'Project {i} ({rng.choice(TYPES)})')}",
            f"    type: {rng.choice(TYPES)}",
            f"    countries: [c-cn, {country}]",
            f"    sectors: [{rng.choice(SECTORS)[0]}]",
            f"    summary: {_q(f'Synthetic record {i}, committed in {year}.')}",
            "    status:",
            f"      - value: {rng.choice(STATUSES)}",
            f'        as_of: "{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"',
            f"        evidence: [{{source: synthetic, quote: {_q(quote)}}}]",
            "    progress:",
            f'      - {{metric: overall, value: {rng.randint(0, 100)}, unit: percent, as_of: "{year}-12-31", '
            f"evidence: [{{source: synthetic, quote: {_q(quote)}}}]}}",
            f"    financing: [{{amount: {rng.randint(1, 5000) * 100000}, currency: USD, year: {year}, kind: loan}}]",
            f"    evidence: [{{source: synthetic, quote: {_q(quote)}}}]",
        ]
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def to_json(yaml_path: Path, json_path: Path) -> None:
    """The same knowledge as JSON, for jq (converted with the project's own safe loader)."""
    code = (
        "import json, sys; from cca.yamlfile import load_file; "
        "json.dump(load_file(__import__('pathlib').Path(sys.argv[1])), open(sys.argv[2], 'w'))"
    )
    subprocess.run([sys.executable, "-c", code, str(yaml_path), str(json_path)], check=True)


# -- timing -------------------------------------------------------------------------------------------------


def measure(command: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Wall-clock seconds and peak RSS (KB) of one whole process."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"bench: {' '.join(command)} exited {process.returncode}")
    return elapsed, usage.ru_maxrss


def compare(
    commands: dict[str, list[str]], env: dict[str, str], runs: int, warmup: int = 2
) -> dict[str, dict[str, float]]:
    """Median time and peak memory of each command, run in alternation after warm-up."""
    for _ in range(warmup):
        for command in commands.values():
            measure(command, env)
    times: dict[str, list[float]] = {name: [] for name in commands}
    memory: dict[str, int] = dict.fromkeys(commands, 0)
    for _ in range(runs):
        for name, command in commands.items():
            elapsed, rss = measure(command, env)
            times[name].append(elapsed)
            memory[name] = max(memory[name], rss)
    return {name: {"seconds": statistics.median(times[name]), "peak_mb": memory[name] / 1024} for name in commands}


def first_load(cca: list[str], path: Path, env: dict[str, str]) -> dict[str, float]:
    """The first query after the file changed: parse, validate and build the cache."""
    path.touch()
    elapsed, rss = measure([*cca, "projects", "--country", "Laos", "--json"], env)
    return {"seconds": elapsed, "peak_mb": rss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="*", default=SIZES, help="project counts (0: the bundled file)")
    parser.add_argument("--runs", type=int, default=9, help="timed runs of each command (median reported)")
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results.json", help="where to write results")
    parser.add_argument("--generate", nargs=2, metavar=("PROJECTS", "PATH"), help="only write a synthetic file")
    args = parser.parse_args()
    if args.generate:
        generate(int(args.generate[0]), Path(args.generate[1]))
        return

    entry = Path(sys.executable).parent / "cca"
    cca = [str(entry)] if entry.exists() else [sys.executable, "-m", "cca"]
    work = Path(tempfile.mkdtemp(prefix="cca-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCA_") and k != "PYTHONDONTWRITEBYTECODE"}
    env.update({"CCA_CACHE_DIR": str(work / "cache"), "COLUMNS": "100", "NO_COLOR": "1"})
    python_pass = compare({"python -c pass": [sys.executable, "-c", "pass"]}, env, args.runs)["python -c pass"]
    base = python_pass["seconds"]
    results: dict[str, object] = {
        "python": sys.version.split()[0],
        "machine": os.uname().machine,
        "cpus": os.cpu_count(),
        "runs": args.runs,
        "python_pass_seconds": base,
        "sizes": {},
    }
    rows: list[tuple[str, str, float, float]] = [("—", "python -c pass", base, python_pass["peak_mb"])]
    try:
        for size in args.sizes:
            label = "bundled" if size == 0 else f"{size:,}"
            size_env = dict(env)
            if size:
                path = work / f"knowledge-{size}.yaml"
                # In a child process: a child forked from a bench grown large would report the
                # bench's peak RSS as its own (Linux keeps the high-water mark across exec).
                subprocess.run([sys.executable, __file__, "--generate", str(size), str(path)], check=True)
                size_env.update({"CCA_NO_BUNDLED": "1", "CCA_KNOWLEDGE": str(path)})
            else:
                path = ROOT / "data" / "knowledge.yaml"
            sys.stderr.write(f"bench: {label} projects ({path.stat().st_size / 1e6:.1f} MB)\n")
            figures: dict[str, dict[str, float]] = {}
            if size:
                figures["first load after a change (projects --country Laos --json)"] = first_load(cca, path, size_env)
            commands = {
                "projects --country Laos --json": [*cca, "projects", "--country", "Laos", "--json"],
                "projects --country Laos (table)": [*cca, "projects", "--country", "Laos", "--format", "table"],
                "search railway --json": [*cca, "search", "railway", "--json", "--limit", "20"],
                "show (one record)": [*cca, "show", "proj-000001" if size else "china-laos-railway", "--json"],
                "validate": [*cca, "validate"],
            }
            peers: dict[str, list[str]] = {}
            country = "c-la" if size else "laos"
            query = f'[.projects[] | select(.countries | index("{country}"))]'
            if shutil.which("yq"):
                peers["yq (YAML)"] = ["yq", "-c", query, str(path)]
            if shutil.which("jq"):
                json_path = work / f"knowledge-{size}.json"
                to_json(path, json_path)
                peers["jq (JSON)"] = ["jq", "-c", query, str(json_path)]
            if size >= 100_000:
                # yq needs minutes a run at this size: one run of each peer, medians for cca.
                figures.update(compare(commands, size_env, max(3, args.runs // 3), warmup=1))
                once = compare(peers, size_env, 1, warmup=0)
                figures.update({f"{name} (1 run)": value for name, value in once.items()})
            else:
                figures.update(compare({**commands, **peers}, size_env, args.runs))
            results["sizes"][label] = {"bytes": path.stat().st_size, "figures": figures}  # type: ignore[index]
            for name, figure in figures.items():
                rows.append((label, name, figure["seconds"], figure["peak_mb"]))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{'size':>9}  {'command':<62} {'median':>9} {'× pass':>7} {'peak MB':>8}")
    for label, name, seconds, peak in rows:
        print(f"{label:>9}  {name:<62} {seconds * 1000:>7.0f}ms {seconds / base:>7.1f} {peak:>8.1f}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    sys.stderr.write(f"bench: results written to {args.json}\n")


if __name__ == "__main__":
    main()
