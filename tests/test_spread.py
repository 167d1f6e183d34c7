"""A first load shared with a forked helper (cca.io.spread) stores exactly what one process stores.

The thresholds are lowered so that 1,300 generated projects take the shared path in both of its
places (the fast reader's batches and the rendering of a new store); every comparison is with the
same load made by one process, table by table and row by row.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from cca.core.errors import KnowledgeError
from cca.core.settings import Settings
from cca.io import compile as compiling
from cca.io import spread
from cca.io.load import load

pytestmark = pytest.mark.skipif(not spread.available(), reason="sharing a load needs fork and two processors")


def _dump(cache: Path) -> list[str]:
    (store,) = cache.glob("knowledge-*.sqlite")
    connection = sqlite3.connect(store)
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


def _build(monkeypatch: pytest.MonkeyPatch, cache: Path, knowledge: Path, shared: bool) -> set[str]:
    """Load ``knowledge`` into a new store in ``cache``; what was shared with a helper: reading, rendering."""
    shares: set[str] = set()
    real = spread.in_two

    def counted(tasks: Any, *args: Any, **named: Any) -> Any:
        shares.add("rendering" if isinstance(tasks[0], list) else "reading")
        return real(tasks, *args, **named)

    with monkeypatch.context() as patch:
        patch.setenv("CCA_CACHE_DIR", str(cache))
        patch.setattr(spread, "MIN_PARTS", 2)
        patch.setattr(compiling, "MIN_SHARED_BATCHES", 2)
        patch.setattr(spread, "in_two", counted)
        if not shared:
            patch.setattr(spread, "available", lambda: False)
        load([knowledge], bundled=False, settings=Settings.from_environ()).store.close()
    return shares


def test_a_store_built_by_two_processes_is_the_one_built_by_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, mid_knowledge: Path
) -> None:
    received: list[str] = []

    class Counted(spread.reader()):  # type: ignore[misc]
        def load(self) -> Any:
            sent = super().load()
            received.append(type(sent[1]).__name__)
            return sent

    assert _build(monkeypatch, tmp_path / "one", mid_knowledge, shared=False) == set()
    monkeypatch.setattr(spread, "reader", lambda: Counted)
    assert _build(monkeypatch, tmp_path / "two", mid_knowledge, shared=True) == {"reading", "rendering"}
    # the helper's parts were taken, not made again here: batches (tuples) and rendered parts
    assert "tuple" in received and "Rendered" in received, received
    one, two = _dump(tmp_path / "one"), _dump(tmp_path / "two")
    assert len(one) > 1_300 * 5
    assert one == two
    assert not list((tmp_path / "two").glob(".knowledge-*")), "no temporary file or its log is left"


def test_a_helper_that_dies_changes_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, mid_knowledge: Path
) -> None:
    """The helper exits before doing anything: this process does every part itself, and stores the same."""
    monkeypatch.setattr(spread, "_helper", lambda *args: os._exit(1))
    assert _build(monkeypatch, tmp_path / "two", mid_knowledge, shared=True) == {"reading", "rendering"}
    assert _build(monkeypatch, tmp_path / "one", mid_knowledge, shared=False) == set()
    assert _dump(tmp_path / "one") == _dump(tmp_path / "two")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("amount: 211300000", "amount: .nan"),  # the store cannot hold it: the reference reader says where
        ("type: railway", "type: 12"),  # not what the format allows: the same
    ],
    ids=["nan", "invalid"],
)
def test_what_the_helper_refuses_is_told_as_one_process_tells_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, mid_knowledge: Path, old: str, new: str
) -> None:
    """A record of the second batch (the helper's) that the fast reader does not take: the whole file goes to the
    reference reader, which reports the same problems, at the same places, as when one process reads it."""
    text = mid_knowledge.read_text(encoding="utf-8")
    start = text.index("  - id: proj-000030\n")
    end = text.index("  - id: proj-000031\n")
    item = text[start:end]
    if old not in item:
        old = old.split(":")[0] + ": " + item.split(old.split(":")[0] + ": ")[1].split("\n")[0].split(",")[0]
        assert old in item
    damaged = tmp_path / "damaged.yaml"
    damaged.write_text(text[:start] + item.replace(old, new, 1) + text[end:], encoding="utf-8")
    told = []
    for shared in (False, True):
        with pytest.raises(KnowledgeError) as raised:
            _build(monkeypatch, tmp_path / f"cache-{shared}", damaged, shared=shared)
        told.append([str(problem) for problem in raised.value.problems])
    assert told[0] == told[1]
    assert told[0] and all(":" in problem for problem in told[0])


def _children(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_to_cca_alone_ends_its_helper(tmp_path: Path, big_knowledge: Path, signum: int) -> None:
    """The signal reaches cca only (not its process group): cca still ends its helper before it exits."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CCA_")}
    env.update(CCA_CACHE_DIR=str(tmp_path / "cache"), HOME=str(tmp_path))
    args = [sys.executable, "-m", "cca", "--no-bundled", "-k", str(big_knowledge), "projects", "-c", "Laos", "--json"]
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    helpers: list[int] = []
    deadline = time.monotonic() + 120  # a hang guard, not a speed limit
    while proc.poll() is None and not helpers and time.monotonic() < deadline:
        helpers = _children(proc.pid)
        time.sleep(0.001)
    if not helpers:
        proc.kill()
        proc.wait()
        pytest.fail("cca finished (or hung) without a helper being seen")
    os.kill(proc.pid, signum)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signum, (proc.returncode, err, helpers)
    assert b"Traceback" not in err
    for helper in helpers:
        alive = Path(f"/proc/{helper}/status")
        assert not alive.exists(), f"helper {helper} outlived cca: {alive.read_text()[:200]!r}"
    assert [p.name for p in (tmp_path / "cache").iterdir() if p.is_file()] == []


def test_the_pipe_takes_results_and_nothing_else() -> None:
    """What comes through the helper's pipe may name cca's result types only, never another callable."""
    import io
    import pickle

    from cca.core.build import Rendered

    made = ("made", Rendered([("{}", 1)], [], [], [], [], {}))
    assert spread.reader()(io.BytesIO(pickle.dumps(made))).load() == made
    with pytest.raises(pickle.UnpicklingError, match="posix.system"):
        spread.reader()(io.BytesIO(pickle.dumps(("made", os.system)))).load()
