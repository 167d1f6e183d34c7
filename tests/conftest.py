"""Shared fixtures: a CLI runner with a fixed terminal, the bundled knowledge, the source texts."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cca import knowledge
from cca.cli import app

ROOT = Path(__file__).resolve().parent.parent
#: The source texts live beside the checkout (../shared/sources), or where $CCA_SOURCES says.
SOURCES = Path(os.environ.get("CCA_SOURCES", ROOT.parent / "shared" / "sources"))


@pytest.fixture(scope="session")
def cache_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache directory for the session, never the user's own."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def _stable_environment(monkeypatch: pytest.MonkeyPatch, cache_root: Path) -> None:
    """Fixed width, no colour, no user knowledge: output depends on nothing but the test."""
    for name in ("CCA_KNOWLEDGE", "CCA_NO_BUNDLED", "FORCE_COLOR", "CCA_MAX_FILE_BYTES", "CCA_NO_CACHE"):
        monkeypatch.delenv(name, raising=False)
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
def kb() -> knowledge.KnowledgeBase:
    return knowledge.load(bundled=True)


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        assert self.stderr == "", self.stderr
        return json.loads(self.stdout)


@pytest.fixture
def cca() -> Iterator[Any]:
    """Invoke the CLI in-process: cca("projects", "--country", "Laos") -> Run."""
    runner = CliRunner()

    def invoke(*args: str, env: dict[str, str] | None = None) -> Run:
        result = runner.invoke(app, list(args), env=env)
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Run(result.exit_code, result.stdout, result.stderr)

    yield invoke
