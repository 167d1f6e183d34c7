"""The compiled cache never serves a stale or wrong answer, and never gets in the way."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import cca
from cca import cache

KNOWLEDGE = """\
format: 1
sources:
  - {{id: s, title: T, publisher: P, date: "2024-01-01"}}
countries:
  - {{id: laos, name: Laos, official_name: Lao People's Democratic Republic, iso2: LA, iso3: LAO}}
sectors:
  - {{id: rail, label: Rail}}
projects:
  - id: p
    name: {name}
    type: railway
    countries: [laos]
    sectors: [rail]
    status:
      - {{value: planned, as_of: "2024-01-01", evidence: [{{source: s, quote: q}}]}}
    evidence: [{{source: s, quote: q}}]
"""


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    monkeypatch.setenv("CCA_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "k.yaml"
    path.write_text(KNOWLEDGE.format(name="Alpha"), encoding="utf-8")
    return [path]


def _name(files: list[Path]) -> str:
    (project,) = cca.load(files).projects(country="Laos")
    return project.name


def _from_cache(files: list[Path]) -> bool:
    return cache.open_store(files) is not None


def test_second_load_comes_from_the_cache(files: list[Path]) -> None:
    assert _name(files) == "Alpha"
    assert _from_cache(files)
    assert _name(files) == "Alpha"


def test_an_edit_of_the_same_size_in_the_same_second_is_seen_at_once(files: list[Path]) -> None:
    assert _name(files) == "Alpha"
    before = files[0].stat()
    files[0].write_text(KNOWLEDGE.format(name="Bravo"), encoding="utf-8")
    os.utime(files[0], ns=(before.st_atime_ns, before.st_mtime_ns))  # same size, same mtime
    assert files[0].stat().st_size == before.st_size
    assert _name(files) == "Bravo"


def test_an_edit_with_a_new_mtime_is_seen(files: list[Path]) -> None:
    assert _name(files) == "Alpha"
    files[0].write_text(KNOWLEDGE.format(name="Charlie-longer"), encoding="utf-8")
    assert _name(files) == "Charlie-longer"


@pytest.mark.parametrize(
    "damage",
    [b"", b"not a database at all", b"SQLite format 3\x00" + b"\x00" * 100],
    ids=["empty", "foreign", "truncated"],
)
def test_a_damaged_cache_is_ignored_and_replaced(files: list[Path], damage: bytes) -> None:
    assert _name(files) == "Alpha"
    path = cache.cache_path(files)
    path.write_bytes(damage)
    assert _name(files) == "Alpha"
    assert _from_cache(files)


def test_a_cache_of_other_files_is_not_used(files: list[Path], tmp_path: Path) -> None:
    assert _name(files) == "Alpha"
    other = tmp_path / "other.yaml"
    other.write_text(KNOWLEDGE.format(name="Delta"), encoding="utf-8")
    cache.cache_path([other]).write_bytes(cache.cache_path(files).read_bytes())  # a foreign cache in its place
    assert _name([other]) == "Delta"


def test_a_read_only_cache_directory_just_means_no_cache(
    files: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / "cache"
    directory.mkdir()
    directory.chmod(stat.S_IRUSR | stat.S_IXUSR)

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied")  # what a read-only directory says, even to root

    monkeypatch.setattr(cache.tempfile, "mkstemp", refuse)
    try:
        assert _name(files) == "Alpha"
        assert _name(files) == "Alpha"
        assert not cache.cache_path(files).exists()
    finally:
        directory.chmod(stat.S_IRWXU)


def test_an_unwritable_cache_location_is_no_error(
    files: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv("CCA_CACHE_DIR", str(blocker / "cache"))  # a directory under a file cannot exist
    assert _name(files) == "Alpha"
    assert _name(files) == "Alpha"


def test_no_cache_reads_the_files(files: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CCA_NO_CACHE", "1")
    assert _name(files) == "Alpha"
    assert not cache.cache_path(files).exists()


def test_no_cache_option(cca: Any, files: list[Path]) -> None:
    result = cca("--no-cache", "--no-bundled", "--knowledge", str(files[0]), "projects", "--json")
    assert [row["name"] for row in result.json()] == ["Alpha"]
    assert not cache.cache_path(files).exists()


def test_the_cache_holds_data_only(files: list[Path]) -> None:
    _name(files)
    import sqlite3

    with sqlite3.connect(cache.cache_path(files)) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        data = [json.loads(row[0]) for row in connection.execute("SELECT data FROM records")]
    assert tables == {"meta", "records", "project_country"}
    assert all(isinstance(item, dict) for item in data)


def test_validation_problems_are_never_cached(files: list[Path]) -> None:
    files[0].write_text(KNOWLEDGE.format(name="Alpha").replace("type: railway", "type: rocket"), encoding="utf-8")
    for _ in range(2):
        with pytest.raises(cca.KnowledgeError, match="'rocket' is not one of"):
            cca.load(files)
    assert not cache.cache_path(files).exists()


def test_the_cached_and_uncached_answers_are_identical(cca: Any) -> None:
    fresh = cca("--no-cache", "country", "Laos", "--json").stdout
    cca("projects")  # builds the cache
    assert cca("country", "Laos", "--json").stdout == fresh
    for args in (
        ["projects", "-c", "LA", "--json"],
        ["search", "Jakarta Bandung", "--json"],
        ["search", "jakartabandung", "--json"],
        ["search", "中老铁路", "--json"],
        ["show", "china-laos-railway", "--json"],
        ["show", "laos", "--json"],
        ["countries", "--json"],
        ["sources", "--json"],
        ["show", "panorama-2021-03-04-four-new-aspects", "--json"],
    ):
        assert cca(*args).stdout == cca("--no-cache", *args).stdout, args


def test_two_processes_building_at_once_both_answer(files: list[Path], tmp_path: Path) -> None:
    code = "import cca, sys; print(cca.load(sys.argv[1:]).projects(country='LA')[0].name)"
    env = {**os.environ, "CCA_CACHE_DIR": str(tmp_path / "cache")}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(files[0])],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(4)
    ]
    for process in processes:
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
        assert out == "Alpha\n"
    assert _from_cache(files)
    leftovers = [p.name for p in cache.cache_path(files).parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def _synthetic(tmp_path: Path, projects: int) -> Path:
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_run", Path(__file__).parent.parent / "bench" / "run.py")
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    path = tmp_path / "big.yaml"
    bench.generate(projects, path)
    return path


def test_a_slow_first_load_says_so_and_later_loads_do_not(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CCA_CACHE_DIR", str(tmp_path / "cache"))
    path = _synthetic(tmp_path, 3000)
    said: list[str] = []
    first = cca.load([path], on_slow=said.append)
    assert len(first.projects(country="LA")) >= 1
    assert said and said[0].startswith("reading 1 knowledge file (") and "later runs use the cache" in said[0]
    said.clear()
    cca.load([path], on_slow=said.append)
    assert said == []


def test_no_progress_chatter_when_stderr_is_not_a_terminal(tmp_path: Path) -> None:
    path = _synthetic(tmp_path, 3000)
    env = {**os.environ, "CCA_CACHE_DIR": str(tmp_path / "cache"), "CCA_NO_BUNDLED": "1", "CCA_KNOWLEDGE": str(path)}
    result = subprocess.run(
        [sys.executable, "-m", "cca", "projects", "-c", "LA", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert json.loads(result.stdout)


def test_progress_on_a_terminal_stderr(tmp_path: Path) -> None:
    import pty

    path = _synthetic(tmp_path, 3000)
    env = {**os.environ, "CCA_CACHE_DIR": str(tmp_path / "cache"), "CCA_NO_BUNDLED": "1", "CCA_KNOWLEDGE": str(path)}
    leader, follower = pty.openpty()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "cca", "projects", "-c", "LA", "--json"],
            stdout=subprocess.PIPE,
            stderr=follower,
            env=env,
            timeout=300,
            check=False,
        )
        os.close(follower)
        chatter = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            chatter += chunk
    finally:
        os.close(leader)
    assert result.returncode == 0
    assert b"cca: note: reading 1 knowledge file" in chatter
    assert json.loads(result.stdout)  # stdout stays pure data
