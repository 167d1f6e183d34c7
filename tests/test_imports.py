"""Imports are atomic, locked and exact, and only ever touch what cca wrote (issues 16, 17 and 20).

Real processes throughout (``python -m cca``), in a clean environment with a private cache:
an import killed with SIGKILL at each point of its work leaves the old state or the new one,
never a half-checked one; a reader during an import sees the old state; two imports at once
are serialised by a lock; a file of the user's own is never listed, replaced or removed.
Several imports of one dataset answer as their concatenation does. A toy importer added in
one place is listed, run, validated, shown among the sources and removed.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "tests" / "fixtures" / "aiddata" / "gcdf3_sample.csv"
#: A generous hang guard for a loaded machine (never a speed limit).
GUARD = 300


def _rows() -> list[list[str]]:
    with SAMPLE.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


ROWS = _rows()
HEADER = ROWS[0]


def write_csv(path: Path, rows: Sequence[Sequence[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows([HEADER, *rows])
    return path


class Place:
    """A knowledge directory and a cache of its own, and cca run against them."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.data = tmp / "data"
        self.cache = tmp / "cache"
        self.flags = tmp / "flags"
        self.flags.mkdir()
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("CCA_", "XDG_")) and key not in ("COLUMNS", "PYTHONDONTWRITEBYTECODE")
        } | {"CCA_DATA_DIR": str(self.data), "CCA_CACHE_DIR": str(self.cache), "HOME": str(tmp)}

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "cca", *args], capture_output=True, text=True, env=self.env, timeout=GUARD
        )
        assert "Traceback" not in done.stderr, done.stderr
        if check:
            assert done.returncode == 0, done.stderr
        return done

    def ids(self) -> set[str]:
        """The dataset's records (none once no import names the dataset: its source is then unknown)."""
        done = self.run("projects", "--source", "aiddata-gcdf-3", "--json", check=False)
        if done.returncode == 2 and "no source 'aiddata-gcdf-3'" in done.stderr:
            return set()
        assert done.returncode == 0, done.stderr
        return {row["id"] for row in json.loads(done.stdout)}

    def paused(self, stage: str, *args: str, **env: str) -> subprocess.Popen[str]:
        """A process stopped at ``stage`` (tests/pause.py), once it is there."""
        for name in ("paused", "go"):
            (self.flags / name).unlink(missing_ok=True)
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "pause.py"), stage, str(self.flags), "--", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env | env,
        )
        deadline = time.monotonic() + GUARD
        while not (self.flags / "paused").exists():
            if process.poll() is not None:
                raise AssertionError(f"ended before {stage}: {process.communicate()}")
            assert time.monotonic() < deadline, f"never reached {stage}"
            time.sleep(0.02)
        return process

    def kill(self, process: subprocess.Popen[str]) -> None:
        """SIGKILL: no cleanup runs, as when the machine loses power or the OOM killer strikes."""
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=GUARD)
        assert process.returncode == -signal.SIGKILL

    def go(self, process: subprocess.Popen[str]) -> tuple[int, str]:
        (self.flags / "go").touch()
        _, err = process.communicate(timeout=GUARD)
        return process.returncode, err

    def visible(self) -> list[str]:
        return sorted(p.name for p in self.data.iterdir() if not p.name.startswith("."))

    def leftovers(self) -> list[str]:
        return sorted(p.name for p in self.data.iterdir() if p.name.startswith(".cca-import-"))


@pytest.fixture
def place(tmp_path: Path) -> Place:
    return Place(tmp_path)


#: The sample's rows a default import takes: recipients in ASEAN or Timor-Leste.
ASEAN = {
    f"aiddata-{row[HEADER.index('AidData Record ID')]}"
    for row in ROWS[1:]
    if row[HEADER.index("Recipient ISO-3")]
    in {"BRN", "KHM", "IDN", "LAO", "MYS", "MMR", "PHL", "SGP", "THA", "VNM", "TLS"}
}


def _bad(place: Place) -> Path:
    """The sample with one row whose Record ID is -5: the check rejects it (a cell problem, FILE:ROW:COL)."""
    rows = [list(row) for row in ROWS[1:]]
    rows[3][HEADER.index("AidData Record ID")] = "-5"
    return write_csv(place.tmp / "bad.csv", rows)


def _other(place: Place) -> Path:
    """A good import that differs from the sample (only the Laos rows)."""
    return write_csv(place.tmp / "laos.csv", [row for row in ROWS[1:] if row[HEADER.index("Recipient ISO-3")] == "LAO"])


# -- atomic: a kill at any point leaves the old state or the new one -------------------------------------------


@pytest.mark.parametrize("stage", ["rows", "check"])
def test_a_kill_before_the_switch_leaves_the_old_import(place: Place, stage: str) -> None:
    place.run("import", "aiddata", str(SAMPLE))
    before = (place.data / "aiddata.jsonl").read_bytes()
    process = place.paused(stage, "import", "aiddata", str(_other(place)))
    # a reader meanwhile sees the old state, whole
    assert place.ids() == ASEAN
    place.kill(process)
    assert (place.data / "aiddata.jsonl").read_bytes() == before
    assert place.ids() == ASEAN  # every command works, with the old import
    assert place.run("validate").returncode == 0
    assert place.leftovers()  # the killed import's hidden file...
    place.run("import", "aiddata", str(_other(place)))
    assert place.leftovers() == []  # ...cleared by the next import
    assert place.ids() == {"aiddata-990001", "aiddata-990002"}


def test_a_kill_after_the_rename_leaves_the_new_import(place: Place) -> None:
    place.run("import", "aiddata", str(SAMPLE))
    process = place.paused("renamed", "import", "aiddata", str(_other(place)))
    place.kill(process)
    assert place.ids() == {"aiddata-990001", "aiddata-990002"}  # the new file, checked before its rename
    assert place.run("validate").returncode == 0


def test_an_import_the_check_rejects_changes_nothing(place: Place) -> None:
    place.run("import", "aiddata", str(SAMPLE))
    before = {p.name: p.read_bytes() for p in place.data.iterdir() if p.is_file()}
    done = place.run("import", "aiddata", str(_bad(place)), check=False)
    assert done.returncode == 1
    assert done.stderr.splitlines()[0].endswith("AidData Record ID: '-5' must be positive")
    assert {p.name: p.read_bytes() for p in place.data.iterdir() if p.is_file()} == before
    assert place.ids() == ASEAN


# -- locked: one import at a time --------------------------------------------------------------------------


def test_two_imports_at_once_are_serialised(place: Place) -> None:
    place.run("import", "aiddata", str(SAMPLE))
    first = place.paused("check", "import", "aiddata", str(_other(place)))
    waiting = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "pause.py"), "none", str(place.flags), "--", "import", "aiddata",
         str(SAMPLE)],
        capture_output=True, text=True, env=place.env | {"LOCK_WAIT": "0.5"}, timeout=GUARD,
    )  # fmt: skip
    assert waiting.returncode == 75, waiting.stderr
    assert "another import or removal is running in" in waiting.stderr and waiting.stderr.count("\n") == 1
    code, err = place.go(first)
    assert code == 0, err
    assert place.ids() == {"aiddata-990001", "aiddata-990002"}
    assert place.run("import", "--remove", "aiddata").returncode == 0  # the lock is free again
    assert place.ids() == set()


# -- cca touches only what it wrote ----------------------------------------------------------------------------


def test_a_file_of_the_users_own_is_never_listed_replaced_or_removed(place: Place) -> None:
    place.data.mkdir()
    links = place.data / "links.yaml"
    links.write_text("format: 1\nupdates:\n  - id: china-laos-railway\n    notes: mine\n", encoding="utf-8")
    mine = place.data / "mine.jsonl"
    mine.write_text('{"format": 1, "about": "mine"}\n', encoding="utf-8")
    place.run("import", "aiddata", str(SAMPLE))
    listed = place.run("import", "--format", "plain").stdout
    assert listed.startswith("aiddata\t") and "links" not in listed and "mine" not in listed
    for name in ("links", "mine"):
        removed = place.run("import", "--remove", name, check=False)
        assert removed.returncode == 2 and f"no import {name!r}" in removed.stderr
    clash = place.run("import", "aiddata", str(SAMPLE), "--name", "mine", check=False)
    assert clash.returncode == 2 and "is a file of yours" in clash.stderr
    for bad in ("", "../x", "a/b", "x" * 101, "Caps"):
        refused = place.run("import", "aiddata", str(SAMPLE), "--name", bad, check=False)
        assert refused.returncode == 2 and "import name" in refused.stderr, bad
    assert links.read_text(encoding="utf-8").endswith("notes: mine\n") and mine.exists()


# -- several imports of one dataset ------------------------------------------------------------------------------


def test_two_extracts_answer_as_their_concatenation_does(tmp_path: Path) -> None:
    rows = ROWS[1:]
    (tmp_path / "apart").mkdir()
    (tmp_path / "together").mkdir()
    apart, together = Place(tmp_path / "apart"), Place(tmp_path / "together")
    first = write_csv(tmp_path / "first.csv", rows[:6])
    second = write_csv(tmp_path / "second.csv", rows[6:])
    both = write_csv(tmp_path / "both.csv", rows)
    apart.run("import", "aiddata", str(first), "--all", "--name", "first")
    apart.run("import", "aiddata", str(second), "--all", "--name", "second")
    together.run("import", "aiddata", str(both), "--all")
    for args in (
        ("projects", "--source", "aiddata-gcdf-3", "--json", "--fields", "id,name,usd_2021,status,countries"),
        ("stats", "--by", "country", "--json"),
        ("stats", "--by", "year", "--by", "financier", "--json"),
    ):
        assert json.loads(apart.run(*args).stdout) == json.loads(together.run(*args).stdout), args
    sources = json.loads(apart.run("sources", "--json").stdout)
    (gcdf,) = [s for s in sources if s["id"] == "aiddata-gcdf-3"]
    assert [i["import"] for i in gcdf["imports"]] == ["first.jsonl", "second.jsonl"]  # one source, two provenances


def test_a_record_in_two_imports_names_both_or_the_later_wins(place: Place) -> None:
    place.run("import", "aiddata", str(SAMPLE), "--name", "whole")
    laos = _other(place)
    clash = place.run("import", "aiddata", str(laos), "--name", "laos", check=False)
    assert clash.returncode == 1
    first = clash.stderr.splitlines()[0]
    assert first.startswith(f"{laos}:2:1: aiddata-990001 is already in ") and "whole.jsonl (line" in first
    assert "--replace makes this import's rows win" in first
    assert place.visible() == ["whole.jsonl"]
    won = place.run("import", "aiddata", str(laos), "--name", "laos", "--replace")
    assert "2 rows taken over from other imports (--replace)" in won.stderr
    assert place.ids() == ASEAN
    whole = [json.loads(line) for line in (place.data / "whole.jsonl").read_text(encoding="utf-8").splitlines()]
    assert "aiddata-990001" not in {next(iter(r.values())).get("id") for r in whole[1:-1]}
    rows = json.loads(place.run("projects", "--json", "--fields", "id,defined_at").stdout)
    assert {r["defined_at"].split(":")[0] for r in rows if r["id"] in ("aiddata-990001", "aiddata-990002")} == {
        "laos.jsonl"
    }


# -- per-file compiled rows: an edit recompiles that file only -------------------------------------------------


def _seq(place: Place, record_id: str) -> int:
    (store,) = [p for p in place.cache.iterdir() if p.suffix == ".sqlite"]
    with sqlite3.connect(store) as db:
        return int(db.execute("SELECT seq FROM records WHERE id = ?", (record_id,)).fetchone()[0])


def test_editing_a_small_file_recompiles_only_that_file(place: Place) -> None:
    place.run("import", "aiddata", str(SAMPLE))
    place.ids()
    kept = _seq(place, "aiddata-990003")
    links = place.data / "links.yaml"
    links.write_text("format: 1\nupdates:\n  - id: china-laos-railway\n    same_as: [aiddata-990001]\n")
    shown = json.loads(place.run("show", "china-laos-railway", "--json").stdout)
    assert shown["record"]["same_as"] == ["aiddata-990001"]
    assert _seq(place, "aiddata-990003") == kept  # the import's rows were not compiled again
    links.write_text("format: 1\nupdates:\n  - id: china-laos-railway\n    same_as: [aiddata-990002]\n")
    shown = json.loads(place.run("show", "china-laos-railway", "--json").stdout)
    assert shown["record"]["same_as"] == ["aiddata-990002"]
    links.unlink()
    assert "same_as" not in json.loads(place.run("show", "china-laos-railway", "--json").stdout)["record"]
    assert _seq(place, "aiddata-990003") == kept


def test_a_reader_during_an_update_in_place_gets_the_new_answer(place: Place) -> None:
    place.run("import", "aiddata", str(SAMPLE))
    place.ids()
    links = place.data / "links.yaml"
    links.write_text("format: 1\nupdates:\n  - id: china-laos-railway\n    same_as: [aiddata-990001]\n")
    writer = place.paused("update", "projects", "--json")
    reader = subprocess.Popen(
        [sys.executable, "-m", "cca", "show", "china-laos-railway", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=place.env,
    )  # fmt: skip
    time.sleep(0.5)
    assert reader.poll() is None  # it waits for the update, rather than answer from a store half done
    code, err = place.go(writer)
    assert code == 0, err
    out, err = reader.communicate(timeout=GUARD)
    assert reader.returncode == 0, err
    assert json.loads(out)["record"]["same_as"] == ["aiddata-990001"]


def test_a_kill_during_an_update_in_place_leaves_a_store_that_works(place: Place) -> None:
    place.run("import", "aiddata", str(SAMPLE))
    place.ids()
    links = place.data / "links.yaml"
    links.write_text("format: 1\nupdates:\n  - id: china-laos-railway\n    same_as: [aiddata-990002]\n")
    writer = place.paused("update", "projects", "--json")
    place.kill(writer)
    shown = json.loads(place.run("show", "china-laos-railway", "--json").stdout)
    assert shown["record"]["same_as"] == ["aiddata-990002"]
    assert place.ids() == ASEAN


def test_a_store_from_another_version_is_built_again(place: Place) -> None:
    place.run("import", "aiddata", str(SAMPLE))
    place.ids()
    (store,) = [p for p in place.cache.iterdir() if p.suffix == ".sqlite"]
    with sqlite3.connect(store) as db:
        db.execute("UPDATE meta SET value = 'other' WHERE key = 'fingerprint'")
        db.execute("UPDATE records SET view = replace(view, 'Vientiane', 'PWNED')")
    out = place.run("projects", "--json").stdout
    assert "PWNED" not in out and "Vientiane" in out


# -- a toy importer, added in one place ----------------------------------------------------------------------------


TOY = """\
from pathlib import Path
from typing import Any, Iterator

from cca.io.importers import Converted, register


class Toy:
    name = "toy"
    title = "A toy dataset"
    reads = "a text file of 'name' lines"
    source_id = "toy-dataset"

    def source(self) -> dict[str, Any]:
        return {"id": "toy-dataset", "title": "A toy dataset", "publisher": "Nobody", "date": "2024-01-01",
                "dataset": {"name": "Toy", "importer": "toy", "licence": "CC0"}}

    def read(self, path: Path, label: str, context: Any, options: Any, tally: Any) -> Iterator[Converted]:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            tally.rows += 1
            tally.imported += 1
            record = {"id": f"toy-{number}", "name": line, "type": "other", "countries": [context.china],
                      "sectors": ["unspecified"], "status": [], "dataset": {"source": "toy-dataset",
                      "record": str(number)}, "evidence": [{"source": "toy-dataset", "record": str(number)}]}
            yield Converted("projects", record, number)


register(Toy())
"""


@pytest.fixture
def toy(tmp_path: Path) -> Iterator[Path]:
    """A toy importer in one module (registered where cca finds importers: its importers package)."""
    import cca.io.importers as package

    module = Path(package.__file__).parent / "toy_for_test.py"
    module.write_text(TOY, encoding="utf-8")
    try:
        yield module
    finally:
        module.unlink()
        package.IMPORTERS.pop("toy", None)
        sys.modules.pop("cca.io.importers.toy_for_test", None)


def test_a_toy_importer_is_one_module(toy: Path, place: Place) -> None:
    listed = place.run("import", check=False)
    assert "toy" in listed.stderr  # the importers cca has, named where there is nothing to list yet
    lines = place.tmp / "toy.txt"
    lines.write_text("first toy project\nsecond toy project\n")
    done = place.run("import", "toy", str(lines))
    assert "imported 2 of 2 rows into" in done.stderr
    assert place.run("import", "--format", "plain").stdout.startswith("toy\ttoy\ttoy.txt\t2\t2\t")
    assert place.run("validate").returncode == 0
    sources = {s["id"]: s for s in json.loads(place.run("sources", "--json").stdout)}
    assert sources["toy-dataset"]["imports"][0]["file"] == "toy.txt"
    names = {r["name"] for r in json.loads(place.run("projects", "--source", "toy-dataset", "--json").stdout)}
    assert names == {"first toy project", "second toy project"}
    place.run("import", "--remove", "toy")
    assert "toy-dataset" not in {s["id"] for s in json.loads(place.run("sources", "--json").stdout)}
