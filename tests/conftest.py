"""Shared fixtures: a CLI runner with a fixed terminal, the bundled knowledge, the source texts."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer.main
import typer.testing
from typer.testing import CliRunner

import cca as cca_lib
from cca.cli import app
from cca.core.kb import KnowledgeBase

ROOT = Path(__file__).resolve().parent.parent
#: The source texts live beside the checkout (../shared/sources), or where $CCA_SOURCES says.
SOURCES = Path(os.environ.get("CCA_SOURCES", ROOT.parent / "shared" / "sources"))


def pytest_configure(config: pytest.Config) -> None:
    """Compile cca's bytecode once, before any worker starts: with PYTHONDONTWRITEBYTECODE set (as on
    this machine) every cca subprocess would otherwise compile the package again (about 40 ms each)."""
    if not hasattr(config, "workerinput"):  # the controller (or a run without xdist), not each worker
        import compileall

        compileall.compile_dir(str(Path(cca_lib.__file__).parent), quiet=2)


@pytest.fixture(scope="session")
def cache_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache directory for the session, never the user's own."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def _stable_environment(monkeypatch: pytest.MonkeyPatch, cache_root: Path) -> None:
    """Fixed width, no colour, no user knowledge: output depends on nothing but the test."""
    for name in (
        "CCA_KNOWLEDGE",
        "CCA_NO_BUNDLED",
        "FORCE_COLOR",
        "CCA_MAX_FILE_BYTES",
        "CCA_NO_CACHE",
        "CCA_DATA_DIR",
        "CCA_NO_DATA_DIR",
        "XDG_DATA_HOME",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CCA_NO_DATA_DIR", "1")
    monkeypatch.setenv("CCA_CACHE_DIR", str(cache_root))
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("TERM", "dumb")


@pytest.fixture(scope="session")
def sources_dir() -> Path:
    """The directory of source texts; its absence fails the run in CI and skips locally."""
    if not SOURCES.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"source texts missing at {SOURCES}: CI must have ../shared/sources beside the checkout")
        pytest.skip(f"source texts not found at {SOURCES} (set CCA_SOURCES)")
    return SOURCES


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return cca_lib.load()


@pytest.fixture(scope="session")
def cli_app() -> Any:
    """The app, whose click command is built once: Typer builds it anew on every invoke otherwise."""
    built = typer.main.get_command(app)
    original = typer.testing._get_command
    typer.testing._get_command = lambda typer_app: built if typer_app is app else original(typer_app)
    yield app
    typer.testing._get_command = original


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        assert self.stderr == "", self.stderr
        return json.loads(self.stdout)


@pytest.fixture
def cca(cli_app: Any) -> Iterator[Any]:
    """Invoke the CLI in-process: cca("projects", "--country", "Laos") -> Run."""
    runner = CliRunner()

    def invoke(*args: str, env: dict[str, str] | None = None) -> Run:
        result = runner.invoke(cli_app, list(args), env=env, prog_name="cca")
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Run(result.exit_code, result.stdout, result.stderr)

    yield invoke


def _generated(tmp_path_factory: pytest.TempPathFactory, projects: int) -> Path:
    import importlib.util

    spec = importlib.util.spec_from_file_location("cca_bench", ROOT / "bench" / "run.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench  # dataclasses and typing look their module up there
    spec.loader.exec_module(bench)
    path = tmp_path_factory.mktemp("generated") / f"projects-{projects}.yaml"
    bench.generate(projects, path)
    return path


@pytest.fixture(scope="session")
def big_knowledge(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20,000 generated projects (bench/run.py's generator): a first load that takes a few seconds."""
    return _generated(tmp_path_factory, 20_000)


@pytest.fixture(scope="session")
def mid_knowledge(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1,300 generated projects: 65 batches of the fast reader and 3 parts of rendering."""
    return _generated(tmp_path_factory, 1_300)


@pytest.fixture(scope="session")
def slow_knowledge(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """8,000 generated projects: a first load well over the half second after which cca says why it is slow."""
    return _generated(tmp_path_factory, 8_000)
