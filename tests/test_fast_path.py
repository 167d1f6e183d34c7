"""The fast path reads a command line exactly as the Typer app does, or leaves it to the app.

Its grammar is derived from the Typer app (and must be regenerated when the app changes);
for any command line it takes, the values it parses equal click's; and the commands it
runs print what the Typer app prints.
"""

from __future__ import annotations

import enum
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cca.cli import fast
from cca.cli.argv import gh_json
from cca.cli.grammar import GRAMMAR
from cca.cli.main import app

GROUP = typer.main.get_command(app)


def test_the_grammar_is_derived_from_the_typer_app() -> None:
    assert fast.derive(GROUP) == GRAMMAR, "run: python -m cca.cli.fast > cca/cli/grammar.py"
    source = Path(fast.__file__).with_name("grammar.py").read_text(encoding="utf-8")
    assert source == fast.render(GRAMMAR)


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value] or None
    return value


def _click_parse(argv: list[str]) -> Any:
    """What click makes of a command line: (globals, command, params), or None if it refuses it."""
    try:
        ctx = GROUP.make_context("cca", list(argv), resilient_parsing=False)
        globals_ = {k: _plain(v) for k, v in ctx.params.items() if k in {p["name"] for p in GRAMMAR["global"]}}
        if not ctx._protected_args and not ctx.args:
            return globals_, None, {}
        name, *rest = [*ctx._protected_args, *ctx.args]
        command = GROUP.commands.get(name)
        if command is None:
            return None
        sub = command.make_context(name, rest, parent=ctx)
        return globals_, name, {k: _plain(v) for k, v in sub.params.items()}
    except BaseException:  # noqa: BLE001 - click signals refusal with exceptions (and SystemExit for --help)
        return None


def _same(argv: list[str]) -> None:
    ours = fast.parse(argv)
    if ours is None:
        return  # the Typer app reads it
    theirs = _click_parse(argv)
    assert theirs is not None, f"the fast path took what click refuses: {argv}"
    g1, c1, p1 = ours
    g2, c2, p2 = theirs
    assert (c1, {k: _plain(v) for k, v in g1.items()}, {k: _plain(v) for k, v in p1.items()}) == (c2, g2, p2), argv


EXAMPLES = [
    ["projects", "--country", "Laos", "--json"],
    ["projects", "-c", "LA", "-c", "VN", "--format", "TABLE"],
    ["projects", "-cLaos", "--status=planned", "--limit", "3"],
    ["-k", "a.yaml", "--no-bundled", "projects"],
    ["--knowledge=a.yaml", "--no-cache", "search", "railway", "--kind", "projects", "-n", "2"],
    ["show", "china-laos-railway", "-f", "json"],
    ["show", "--", "-weird"],
    ["country", "Laos", "--format", "markdown"],
    ["aspects", "2", "--json", "--fields", "id,title"],
    ["actions", "--aspect", "1", "--sector", "finance"],
    ["export", "-", "--format", "json"],
    ["export", "kb.db", "--force"],
    ["validate", "a.yaml", "b.yaml", "--sources", "dir"],
    ["schema", "projects"],
    [],
    ["--debug"],
    ["projects", "--limit", "0"],
    ["projects", "--format", "xml"],
    ["projects", "--help"],
    ["projects", "-c"],
    ["nosuch"],
    ["aspects", "two"],
    ["--version"],
]


@pytest.mark.parametrize("argv", EXAMPLES, ids=lambda a: " ".join(a) or "(none)")
def test_fast_path_parses_as_click_does(argv: list[str]) -> None:
    _same(argv)


TOKENS = sorted(
    {opt for param in GRAMMAR["global"] for opt in param["opts"]}
    | {opt for params in GRAMMAR["commands"].values() for param in params for opt in param["opts"]}
    | set(GRAMMAR["commands"])
    | {"Laos", "LA", "json", "table", "2", "0", "-1", "x", "-", "--", "--help", "-h", "--no-such", "a=b", "--json=1"}
)


@settings(max_examples=400, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), max_size=7))
def test_fast_path_agrees_with_click_on_any_command_line(argv: list[str]) -> None:
    _same(argv)


def test_the_fast_path_takes_the_common_command_lines() -> None:
    for argv in (["projects", "--country", "Laos", "--json"], ["projects", "-c", "Laos"], ["show", "rcep"]):
        assert fast.parse(argv) is not None, argv


@pytest.mark.parametrize(
    "argv",
    [
        ["projects", "--country", "Laos", "--json"],
        ["projects", "-c", "Loas"],
        ["search", "railway", "--format", "csv"],
        ["show", "China-Laos Railway", "--format", "plain"],
        ["aspects", "7"],
        ["country", "Laos", "--json"],
    ],
)
def test_both_parsers_print_the_same(cca: Any, argv: list[str]) -> None:
    """The installed command (fast path) and the Typer app (through CliRunner) agree to the byte."""
    assert fast.parse(argv) is not None
    env = {**os.environ, "COLUMNS": "80", "NO_COLOR": "1"}
    real = subprocess.run([sys.executable, "-m", "cca", *argv], capture_output=True, text=True, env=env, timeout=60)
    typer_run = cca(*argv, env={"COLUMNS": "80"})
    assert (real.returncode, real.stdout, real.stderr) == (typer_run.exit_code, typer_run.stdout, typer_run.stderr)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["projects", "--json", "id,name"], ["projects", "--json", "--fields", "id,name"]),
        (["projects", "--json", "id"], ["projects", "--json", "--fields", "id"]),
        (["projects", "--json=id", "-c", "Laos"], ["projects", "--json", "--fields", "id", "-c", "Laos"]),
        (
            ["--knowledge", "projects", "people", "--json", "id"],
            ["--knowledge", "projects", "people", "--json", "--fields", "id"],
        ),
        (["search", "--json", "railway"], ["search", "--json", "railway"]),  # search's own argument
        (["search", "railway", "--json", "id,kind"], ["search", "railway", "--json", "--fields", "id,kind"]),
        (["projects", "--json", "-c", "Laos"], ["projects", "--json", "-c", "Laos"]),
        (["projects", "--", "--json", "id"], ["projects", "--", "--json", "id"]),
        (["schema", "--json", "x"], ["schema", "--json", "x"]),  # no --json flag: untouched
    ],
)
def test_gh_json_fields_become_fields(argv: list[str], expected: list[str]) -> None:
    assert gh_json(argv) == expected


@pytest.mark.parametrize("form", [["--json", "id,status"], ["--json=id,status"], ["--json", "--fields", "id,status"]])
def test_gh_json_fields_print_the_same_on_both_paths(cca: Any, form: list[str]) -> None:
    wanted = [{"id": "china-laos-railway", "status": "operational"}]
    assert cca("projects", "-c", "Laos", *form).json() == wanted
    process = subprocess.run(
        [sys.executable, "-m", "cca", "projects", "-c", "Laos", *form], capture_output=True, text=True, check=False
    )
    assert process.returncode == 0, process.stderr
    import json

    assert json.loads(process.stdout) == wanted
