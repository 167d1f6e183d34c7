"""Shell completion: the machinery Typer drives from bash and zsh, with cca's value candidates."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cca.cli import app


def _bash(words: str) -> list[str]:
    parts = words.split(" ")
    env = {"_CCA_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(len(parts) - 1)}
    result = CliRunner().invoke(app, [], env=env, prog_name="cca")
    assert result.exit_code == 0, result.output
    return result.stdout.split()


def _zsh(words: str) -> str:
    env = {"_CCA_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": words}
    result = CliRunner().invoke(app, [], env=env, prog_name="cca")
    assert result.exit_code == 0, result.output
    return result.stdout


def test_country_candidates_include_laos() -> None:
    assert "Laos" in _bash("cca projects --country La")
    assert "LAO" in _bash("cca projects -c LA")


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("cca projects --country la", "Laos"),
        ("cca show CHINA-LAOS-R", "china-laos-railway"),
        ("cca projects --sector RAIL", "railway"),
    ],
)
def test_value_completion_ignores_case(words: str, expected: str) -> None:
    assert expected in _bash(words)


def test_show_candidates_are_record_ids() -> None:
    candidates = _bash("cca show china-")
    assert "china-laos-railway" in candidates
    assert all(candidate.startswith("china-") for candidate in candidates)


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("cca projects --sector rail", "railway"),
        ("cca projects --status under", "under-construction"),
        ("cca projects --fields id,sta", "id,status"),
        ("cca figures --fields per", "period"),
        ("cca country Viet", "Vietnam"),
    ],
)
def test_value_candidates(words: str, expected: str) -> None:
    assert expected in _bash(words)


def test_zsh_gets_candidates_with_descriptions() -> None:
    out = _zsh("cca projects --sector tra")
    assert '"transport":"Transport"' in out


def test_show_completion_prints_a_script() -> None:
    result = CliRunner().invoke(app, ["--show-completion", "bash"], prog_name="cca")
    assert result.exit_code == 0
    assert "_CCA_COMPLETE=complete_bash" in result.stdout


@pytest.mark.parametrize(
    ("shell", "marker"), [("bash", "complete_bash"), ("zsh", "#compdef cca"), ("fish", "complete_fish")]
)
def test_completion_command_prints_the_named_shells_script(shell: str, marker: str) -> None:
    result = CliRunner().invoke(app, ["completion", shell], prog_name="cca")
    assert result.exit_code == 0, result.output
    assert marker in result.stdout


def test_completion_refuses_an_unknown_shell_in_one_line() -> None:
    result = CliRunner().invoke(app, ["completion", "tcsh"], prog_name="cca")
    assert result.exit_code == 2
    assert "'tcsh' is not one of" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_install_completion_writes_only_below_home(tmp_path: pytest.TempPathFactory) -> None:
    result = CliRunner().invoke(app, ["--install-completion", "bash"], prog_name="cca", env={"HOME": str(tmp_path)})
    assert result.exit_code == 0, result.output
    assert "bash completion installed in" in result.stderr
    assert result.stdout == ""
    assert (tmp_path / ".bashrc").read_text().count("cca") >= 1
