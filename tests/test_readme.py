"""The README stays true: every command documented, every example run, every output shown real."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main

from cca.cli import app
from tests import docgen

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
COMMANDS = typer.main.get_command(app).commands  # type: ignore[attr-defined]


def _console_blocks() -> list[str]:
    return re.findall(r"```console\n(.*?)```", README, re.S)


def _examples() -> list[str]:
    return [line[2:] for block in _console_blocks() for line in block.splitlines() if line.startswith("$ cca")]


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_help_with_an_example_and_is_in_the_readme(name: str) -> None:
    command = COMMANDS[name]
    assert command.help and "Example: cca " in command.help, name
    assert f"`cca {name}" in README, f"README does not document `cca {name}`"


def test_readme_examples_exist() -> None:
    assert len(_examples()) >= 10


@pytest.mark.parametrize("example", _examples())
def test_readme_example_runs(cca: Any, example: str, monkeypatch: pytest.MonkeyPatch, sources_dir: Path) -> None:
    monkeypatch.chdir(ROOT)
    args = shlex.split(example)[1:]
    if "--sources" in args:
        args[args.index("--sources") + 1] = str(sources_dir)
    result = cca(*args)
    assert result.exit_code == 0, (example, result.stderr)
    assert result.stdout or "validate" in example, example


def test_readme_shows_real_output(cca: Any) -> None:
    block = _console_blocks()[0]
    command, _, shown = block.partition("\n")
    assert command == "$ cca projects --country Laos --format table"
    actual = cca(*shlex.split(command)[2:], env={"COLUMNS": "80"}).stdout
    strip = "\n".join(line.rstrip() for line in actual.splitlines()) + "\n"
    assert shown == strip


def test_readme_json_tables_match_the_schemas() -> None:
    assert docgen.section() in README, "run: python tests/docgen.py"
    assert docgen.filters_section() in README, "run: python tests/docgen.py"
    assert docgen.sorts_section() in README, "run: python tests/docgen.py"


def test_readme_python_example_runs() -> None:
    (code,) = re.findall(r"```python\n(.*?)```", README, re.S)
    assert code == (ROOT / "tests" / "api_example.py").read_text(encoding="utf-8"), "the README shows the checked file"
    namespace: dict[str, Any] = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - the README's own example
    assert namespace["railways"] and namespace["agreements"] and namespace["said"]
    assert namespace["laos"].country.iso3 == "LAO"
    assert namespace["hits"][0].record.kind in ("action", "statement")
    assert namespace["record"].id == "rcep"


def test_readme_stats_picture_is_real(cca: Any, tmp_path: Path) -> None:
    """The README's `cca stats` output is what the import of the test fixture gives."""
    (block,) = [
        b for b in re.findall(r"```text\n(.*?)```", README, re.S) if "Adjusted 2021 USD" in b and not b.startswith("$ ")
    ]
    sample = ROOT / "tests" / "fixtures" / "aiddata" / "gcdf3_sample.csv"
    assert cca("--data-dir", str(tmp_path), "import", "aiddata", str(sample)).exit_code == 0
    actual = cca("--data-dir", str(tmp_path), "stats", "--by", "country", "-f", "table", env={"COLUMNS": "100"})
    assert block == actual.stdout


@pytest.mark.skipif(shutil.which("jq") is None and not os.environ.get("CI"), reason="jq not installed")
def test_readme_jq_examples_run() -> None:
    (block,) = [b for b in re.findall(r"```sh\n(.*?)```", README, re.S) if "| jq" in b and "cca import" not in b]
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    for line in block.strip().splitlines():
        result = subprocess.run(
            ["bash", "-o", "pipefail", "-c", line], capture_output=True, text=True, env=env, timeout=60, check=False
        )
        assert result.returncode == 0, (line, result.stderr)
        assert result.stdout.strip(), line


def test_readme_has_the_two_ci_commands() -> None:
    assert "<!-- ci:install -->" in README and "cca projects --country Laos" in README
    assert "<!-- ci:test -->" in README and "pytest" in README


def test_readme_timeline_picture_is_real(cca: Any) -> None:
    (block,) = [b for b in re.findall(r"```text\n(.*?)```", README, re.S) if "●" in b]
    actual = [line.rstrip() for line in cca("events", "--format", "table", env={"COLUMNS": "80"}).stdout.splitlines()]
    for line in block.splitlines():
        assert line.rstrip() in actual, line


def _dataset_blocks() -> list[str]:
    """The README's shell blocks about an imported dataset: the import walk-through, the SQL on its export."""
    blocks = re.findall(r"```sh\n(.*?)```", README, re.S)
    return [b for b in blocks if "cca import aiddata" in b or "gcdf.db" in b]


@pytest.mark.skipif(shutil.which("sqlite3") is None and not os.environ.get("CI"), reason="sqlite3 not installed")
def test_readme_dataset_examples_run(tmp_path: Path) -> None:
    """Every command of the dataset walk-through, run as written on the fixture workbook in AidData's layout
    (saved under the real file's name), then the SQL on its export: each exits 0 and answers."""
    blocks = _dataset_blocks()
    assert len(blocks) == 2, "the import walk-through and the SQL on the export"
    workbook = ROOT / "tests" / "fixtures" / "aiddata" / "gcdf3_sample.xlsx"
    shutil.copyfile(workbook, tmp_path / "AidDatasGlobalChineseDevelopmentFinanceDataset_v3.0.xlsx")
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "CCA_DATA_DIR": str(tmp_path / "data"),
        "CCA_CACHE_DIR": str(tmp_path / "cache"),
        "CCA_NO_DATA_DIR": "",
        "COLUMNS": "100",
    }
    ran = 0
    for block in blocks:
        for command in re.split(r"\n(?! )", block.strip()):  # a line, with its indented continuation lines
            if not command.startswith(("cca", "sqlite3")):
                continue  # unzip, comments
            result = subprocess.run(
                ["bash", "-o", "pipefail", "-c", command],
                cwd=tmp_path,
                capture_output=True,
                text=True,
                env=env,
                timeout=120,
                check=False,
            )
            assert result.returncode == 0, (command, result.stderr)
            writes = ("cca import", "cca export", "cca link confirm", "cca link reject")  # they answer with a note
            assert result.stdout.strip() or command.startswith(writes), command
            ran += 1
    assert ran >= 8


# -- the sessions of the datasets (issue 18): output cca really printed on the fixtures ------------------------

#: What the sessions' working directory holds: the fixtures under the names a download gives them.
SESSION_FILES = {
    "gcdf3_sample.csv": ROOT / "tests" / "fixtures" / "aiddata" / "gcdf3_sample.csv",
    "gcdf2_sample.csv": ROOT / "tests" / "fixtures" / "aiddata" / "gcdf2_sample.csv",
    "GCDF_3.0_ADM1_Locations.csv": ROOT / "tests" / "fixtures" / "aiddata" / "adm" / "GCDF_3.0_ADM1_Locations.csv",
    "GCDF_3.0_ADM2_Locations.csv": ROOT / "tests" / "fixtures" / "aiddata" / "adm" / "GCDF_3.0_ADM2_Locations.csv",
    "cgit_dataset2.csv": ROOT / "tests" / "fixtures" / "cgit" / "cgit_dataset2.csv",
}
#: Where the sessions say imports go (the default knowledge directory).
SESSION_DATA = "~/.local/share/cca"


def _sessions(text: str) -> list[list[tuple[str, list[str]]]]:
    """Each session block as (command, the lines shown after it)."""
    out = []
    for block in re.findall(r"<!-- session -->\n```text\n(.*?)```", text, re.S):
        steps: list[tuple[str, list[str]]] = []
        for line in block.splitlines():
            if line.startswith("$ cca "):
                steps.append((line[2:], []))
            else:
                steps[-1][1].append(line)
        out.append(steps)
    return out


def _session_output(cca: Any, command: str, data: Path) -> list[str]:
    result = cca(*shlex.split(command)[1:], env={"COLUMNS": "100"})
    text = (result.stdout + result.stderr).replace(str(data), SESSION_DATA)
    return [line.rstrip() for line in text.splitlines()]


def _shown(expected: list[str], actual: list[str]) -> bool:
    """The whole output, or for an excerpt (a line '…' marks a cut) each line shown, in order."""
    if "…" not in expected:
        return expected == actual
    at = 0
    for line in (line for line in expected if line != "…"):
        while at < len(actual) and actual[at] != line:
            at += 1
        if at == len(actual):
            return False
        at += 1
    return True


def test_readme_sessions_are_real(cca: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every session of the datasets' sections is what cca prints, run in order in one knowledge directory."""
    import importlib.util

    for name, path in SESSION_FILES.items():
        shutil.copy(path, tmp_path / name)
    spec = importlib.util.spec_from_file_location("cgit_build", ROOT / "tests" / "fixtures" / "cgit" / "build.py")
    assert spec is not None and spec.loader is not None
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    build.write(tmp_path / "China-Global-Investment-Tracker-2024-SPRING.xlsx")
    data = tmp_path / "data"
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CCA_NO_DATA_DIR")
    monkeypatch.setenv("CCA_DATA_DIR", str(data))
    sessions = _sessions(README)
    assert len(sessions) == 5
    updated = os.environ.get("CCA_UPDATE_README")
    text = README
    for steps in sessions:
        for command, expected in steps:
            actual = _session_output(cca, command, data)
            if updated and "…" not in expected:
                old = "\n".join([f"$ {command}", *expected]) + "\n"
                text = text.replace(old, "\n".join([f"$ {command}", *actual]) + "\n", 1)
                continue
            assert _shown(expected, actual), (command, "\n".join(actual))
    if updated:
        (ROOT / "README.md").write_text(text, encoding="utf-8")
