"""The fast YAML reader on one knowledge file in several layouts: CPU time, not wall time.

    python bench/yaml_layouts.py                         # 20,000 projects, this checkout
    python bench/yaml_layouts.py --projects 2000 --runs 1
    git archive REV cca data | tar -x -C /tmp/before     # another revision's reader, on the same files:
    python bench/yaml_layouts.py --source /tmp/before

The file is bench/run.py's synthetic one (cca's layout: lists indented two spaces under their key),
read with cca's reader and written again by PyYAML's ``safe_dump`` (its default layout: lists not
indented; and with ``indent=4``), by ruamel.yaml (its default round trip; and four spaces a level,
lists indented). The files are kept under $TMPDIR/cca-bench-data (PyYAML takes a minute to write one).

For each file: the process CPU time (``time.process_time``) of ``parse_items_fast`` alone, the best
of --runs (and whether it took the file), and the CPU time (user + system) of a whole
``cca --no-bundled -k FILE validate`` process with an empty cache directory, the best of --runs.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ccabench.common import DATA_CACHE, ROOT, base_env  # noqa: E402
from ccabench.knowledge import _generator_key, generate  # noqa: E402


def _pyyaml(**options: Any) -> Any:
    import yaml

    def dump(document: Any, path: Path) -> None:
        with path.open("w", encoding="utf-8") as handle:
            yaml.safe_dump(document, handle, sort_keys=False, allow_unicode=True, **options)

    return dump


def _ruamel(**indent: int) -> Any:
    from ruamel.yaml import YAML

    def dump(document: Any, path: Path) -> None:
        writer = YAML()
        if indent:
            writer.indent(**indent)
        out = io.StringIO()
        writer.dump(document, out)
        path.write_text(out.getvalue(), encoding="utf-8")

    return dump


LAYOUTS = {
    "pyyaml": _pyyaml(),
    "pyyaml-indent4": _pyyaml(indent=4),
    "ruamel": _ruamel(),
    "ruamel-indent4": _ruamel(mapping=4, sequence=6, offset=4),
}


def files(projects: int) -> dict[str, Path]:
    """The synthetic file in cca's layout and in each of LAYOUTS, written once and kept."""
    folder = DATA_CACHE / f"layouts-{_generator_key()}"
    folder.mkdir(parents=True, exist_ok=True)
    out = {"cca": folder / f"knowledge-{projects}-cca.yaml"}
    if not out["cca"].exists():
        generate(projects, out["cca"])
    document = None
    for name, dump in LAYOUTS.items():
        out[name] = folder / f"knowledge-{projects}-{name}.yaml"
        if out[name].exists():
            continue
        if document is None:  # cca's reader, not yaml.safe_load: YAML 1.1 reads Norway's `iso2: NO` as false
            from cca.io import yaml as reader

            text = out["cca"].read_text(encoding="utf-8")
            document = json.loads(json.dumps(reader.parse(text, out["cca"].name)))
        partial = out[name].with_name(out[name].name + ".partial")
        dump(document, partial)
        partial.replace(out[name])
    return out


_PARSE = """
import sys, time
from cca.io import yaml as reader
text = open(sys.argv[1], encoding="utf-8").read()
count = [0]
def keep(section, index, item, position):
    count[0] += 1
start = time.process_time()
try:
    reader.parse_items_fast(text, keep)
    verdict = "taken"
except reader.Unsuitable:
    verdict = "declined"
print(time.process_time() - start, verdict, count[0])
"""


def parse_cpu(path: Path, env: dict[str, str]) -> tuple[float, str]:
    """CPU seconds of parse_items_fast on ``path`` (in a fresh process, the reader of ``env``'s PYTHONPATH)."""
    done = subprocess.run(
        [sys.executable, "-c", _PARSE, str(path)], env=env, cwd=env["CCA_CACHE_DIR"], check=True, capture_output=True
    )
    seconds, verdict, items = done.stdout.decode().split()
    return float(seconds), f"{verdict} ({int(items):,} items)"


def validate_cpu(path: Path, env: dict[str, str]) -> tuple[float, int]:
    """CPU seconds (user + system) and exit status of a whole validate with an empty cache directory."""
    command = [sys.executable, "-m", "cca"]
    with tempfile.TemporaryDirectory() as cache:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(
            [*command, "--no-bundled", "-k", str(path), "validate"],
            env={**env, "CCA_CACHE_DIR": cache},
            cwd=cache,  # not the checkout: '-m' and '-c' put the working directory first on the path
            capture_output=True,
        )
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, done.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--projects", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--source", type=Path, default=ROOT, help="a directory holding the cca package to time")
    options = parser.parse_args()
    paths = files(options.projects)
    with tempfile.TemporaryDirectory() as work:
        env = base_env(Path(work))
        Path(env["CCA_CACHE_DIR"]).mkdir()
        env["PYTHONPATH"] = str(options.source.resolve())
        if "CCA_SOURCES" in os.environ:  # the quotes are checked against the sources, as a user's run does
            env["CCA_SOURCES"] = os.environ["CCA_SOURCES"]
        print(f"{options.projects:,} projects, cca from {options.source}, best of {options.runs} (CPU seconds)")
        print(f"{'layout':16} {'MB':>6} {'parse_items_fast':>17}  {'':24} {'validate':>9}  exit")
        for name, path in paths.items():
            parses = [parse_cpu(path, env) for _ in range(options.runs)]
            validates = [validate_cpu(path, env) for _ in range(options.runs)]
            size = os.path.getsize(path) / 1e6
            parse = min(seconds for seconds, _ in parses)
            check = min(seconds for seconds, _ in validates)
            print(f"{name:16} {size:6.1f} {parse:17.2f}  {parses[0][1]:24} {check:9.2f}  {validates[0][1]}")


if __name__ == "__main__":
    main()
