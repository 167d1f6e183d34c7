"""The compiled store kept as a cache never serves a stale, foreign or damaged answer, and never gets in the way."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import cca
from cca.core.settings import Settings
from cca.io.load import cached_store

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
def settings(tmp_path: Path) -> Settings:
    path = tmp_path / "k.yaml"
    path.write_text(KNOWLEDGE.format(name="Alpha"), encoding="utf-8")
    return Settings(knowledge=(path,), bundled=False, cache_dir=tmp_path / "cache")


def _name(settings: Settings) -> str:
    (project,) = cca.load(settings=settings).projects(country="Laos")
    return project.name


def test_second_load_comes_from_the_cache(settings: Settings) -> None:
    assert cached_store(settings) is None
    assert _name(settings) == "Alpha"
    assert cached_store(settings) is not None
    assert _name(settings) == "Alpha"


def test_the_cache_directory_is_private_whatever_the_umask(settings: Settings) -> None:
    old = os.umask(0)
    try:
        _name(settings)
    finally:
        os.umask(old)
    assert settings.cache_dir is not None
    assert settings.cache_dir.stat().st_mode & 0o777 == 0o700


def test_an_edit_is_seen_even_with_size_and_mtime_restored(settings: Settings) -> None:
    """touch -r, cp -p and rsync -t restore the mtime; the change time and inode still tell."""
    assert _name(settings) == "Alpha"
    path = settings.knowledge[0]
    before = path.stat()
    path.write_text(KNOWLEDGE.format(name="Omega"), encoding="utf-8")  # same size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size and path.stat().st_mtime_ns == before.st_mtime_ns
    assert _name(settings) == "Omega"


def test_a_replaced_file_is_seen(settings: Settings, tmp_path: Path) -> None:
    assert _name(settings) == "Alpha"
    path = settings.knowledge[0]
    other = tmp_path / "other.yaml"
    other.write_text(KNOWLEDGE.format(name="Gamma"), encoding="utf-8")
    os.replace(other, path)
    assert _name(settings) == "Gamma"


@pytest.mark.parametrize("damage", [b"", b"not a database", b"SQLite format 3\x00" + b"\x00" * 100])
def test_a_damaged_cache_is_rebuilt(settings: Settings, damage: bytes) -> None:
    _name(settings)
    target = cached_store(settings)
    assert target is not None
    target.write_bytes(damage)
    assert _name(settings) == "Alpha"
    assert cached_store(settings) is not None


def test_a_cache_damaged_in_its_middle_is_rebuilt(settings: Settings) -> None:
    _name(settings)
    target = cached_store(settings)
    assert target is not None
    data = bytearray(target.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 4096] = os.urandom(min(4096, len(data) - middle))
    target.write_bytes(bytes(data))
    assert _name(settings) == "Alpha"


def _poison(target: Path, text: str) -> None:
    with sqlite3.connect(target) as db:
        db.execute(
            "UPDATE records SET base = replace(base, 'Alpha', ?), view = replace(view, 'Alpha', ?), "
            "name = replace(name, 'Alpha', ?)",
            (text, text, text),
        )
        assert db.execute("SELECT count(*) FROM records WHERE name = ?", (text,)).fetchone()[0] == 1


def test_an_unreadable_record_in_the_cache_means_rebuild(settings: Settings, cca: Any) -> None:
    args = ["--no-bundled", "-k", str(settings.knowledge[0]), "projects", "--json"]
    env = {"CCA_CACHE_DIR": str(settings.cache_dir)}
    assert cca(*args, env=env).json()[0]["name"] == "Alpha"
    target = cached_store(settings)
    assert target is not None
    with sqlite3.connect(target) as db:
        db.execute("UPDATE records SET base = '{not json', view = 'not json' WHERE kind = 'project'")
    result = cca(*args, env=env)
    assert result.exit_code == 0, result.stderr
    assert result.json()[0]["name"] == "Alpha"


@pytest.mark.parametrize("how", ["world-writable", "foreign"])
def test_a_cache_anyone_else_could_write_is_not_trusted(settings: Settings, how: str) -> None:
    _name(settings)
    target = cached_store(settings)
    assert target is not None and settings.cache_dir is not None
    _poison(target, "PWNED")
    if how == "world-writable":
        os.chmod(settings.cache_dir, 0o777)
    else:
        if os.geteuid() != 0:
            pytest.fail("this test needs root to give the cache to another user")  # CI runs as root
        os.chown(settings.cache_dir, 65534, 65534)
        os.chown(target, 65534, 65534)
    notes: list[str] = []
    (project,) = cca.load(settings=settings, report=notes.append).projects()
    assert project.name == "Alpha"
    assert notes and "not using the cache" in notes[0]


def test_a_cache_file_others_can_write_is_rebuilt(settings: Settings) -> None:
    _name(settings)
    target = cached_store(settings)
    assert target is not None
    _poison(target, "PWNED")
    os.chmod(target, 0o666)
    assert _name(settings) == "Alpha"


def test_no_cache_writes_nothing(settings: Settings, cca: Any) -> None:
    result = cca(
        "--no-cache",
        "--no-bundled",
        "--knowledge",
        str(settings.knowledge[0]),
        "projects",
        "--json",
        env={"CCA_CACHE_DIR": str(settings.cache_dir)},
    )
    assert [row["name"] for row in result.json()] == ["Alpha"]
    assert settings.cache_dir is not None and not settings.cache_dir.exists()


def test_the_cache_holds_data_only(settings: Settings) -> None:
    _name(settings)
    target = cached_store(settings)
    assert target is not None
    with sqlite3.connect(target) as db:
        data = [json.loads(row[0]) for row in db.execute("SELECT coalesce(data, base) FROM records")]
        data += [json.loads(row[0]) for row in db.execute("SELECT view FROM records")]
        triggers = db.execute("SELECT count(*) FROM sqlite_master WHERE type IN ('trigger', 'view')").fetchone()[0]
    assert all(isinstance(item, dict) for item in data)
    assert triggers == 0


def test_validation_problems_are_never_cached(settings: Settings) -> None:
    settings.knowledge[0].write_text(KNOWLEDGE.format(name="Alpha").replace("type: railway", "type: rocket"))
    for _ in range(2):
        with pytest.raises(cca.KnowledgeError, match="'rocket' is not one of"):
            cca.load(settings=settings)
    assert settings.cache_dir is not None
    assert not settings.cache_dir.exists() or list(settings.cache_dir.iterdir()) == []


def test_the_cached_and_uncached_answers_are_identical(cca: Any) -> None:
    fresh = cca("--no-cache", "country", "Laos", "--json").stdout
    cca("projects")  # builds the cache
    assert cca("country", "Laos", "--json").stdout == fresh
    for args in (
        ["projects", "-c", "LA", "--json"],
        ["search", "Jakarta Bandung", "--json"],
        ["search", "中老铁路", "--json"],
        ["show", "china-laos-railway", "--json"],
        ["show", "laos", "--json"],
        ["countries", "--json"],
        ["sources", "--json"],
        ["show", "panorama-2021-03-04-four-new-aspects", "--json"],
    ):
        assert cca(*args).stdout == cca("--no-cache", *args).stdout, args


def test_four_processes_building_at_once_all_answer(settings: Settings) -> None:
    code = (
        "import cca, sys; from cca import Settings; from pathlib import Path; "
        "s = Settings(knowledge=(Path(sys.argv[1]),), bundled=False, cache_dir=Path(sys.argv[2])); "
        "print(cca.load(settings=s).projects(country='LA')[0].name)"
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(settings.knowledge[0]), str(settings.cache_dir)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    for process in processes:
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
        assert out == "Alpha\n"
    assert cached_store(settings) is not None
    assert settings.cache_dir is not None
    assert [p.name for p in settings.cache_dir.iterdir() if p.name.endswith(".tmp")] == []


def test_the_cache_directory_keeps_only_recent_stores(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    for number in range(12):
        path = tmp_path / f"k{number}.yaml"
        path.write_text(KNOWLEDGE.format(name=f"N{number}"), encoding="utf-8")
        cca.load(settings=Settings(knowledge=(path,), bundled=False, cache_dir=cache))
    assert len([p for p in cache.iterdir() if p.suffix == ".sqlite"]) <= 8


def test_a_slow_first_load_says_so_and_later_loads_do_not(slow_knowledge: Path, tmp_path: Path) -> None:
    settings = Settings(knowledge=(slow_knowledge,), bundled=False, cache_dir=tmp_path / "cache")
    said: list[str] = []
    first = cca.load(settings=settings, report=said.append)
    assert len(first.projects(country="LA")) >= 1
    assert said and said[0].startswith("reading 1 knowledge file (") and "later runs use the cache" in said[0]
    said.clear()
    cca.load(settings=settings, report=said.append)
    assert said == []


def _env(tmp_path: Path, big: Path) -> dict[str, str]:
    return {**os.environ, "CCA_CACHE_DIR": str(tmp_path / "cache"), "CCA_NO_BUNDLED": "1", "CCA_KNOWLEDGE": str(big)}


def test_no_progress_chatter_when_stderr_is_not_a_terminal(slow_knowledge: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cca", "projects", "-c", "LA", "--json"],
        capture_output=True,
        text=True,
        env=_env(tmp_path, slow_knowledge),
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert json.loads(result.stdout)


def test_progress_on_a_terminal_stderr(slow_knowledge: Path, tmp_path: Path) -> None:
    import pty

    leader, follower = pty.openpty()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "cca", "projects", "-c", "LA", "--json"],
            stdout=subprocess.PIPE,
            stderr=follower,
            env=_env(tmp_path, slow_knowledge),
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
