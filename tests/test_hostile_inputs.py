"""Adversarial, black-box tests of hostile environments, arguments and knowledge files (issue 20).

Each case runs ``python -m cca`` as a real process in the way of ``tests/test_hostile.py`` (whose
helpers it uses): a clean environment, a 1 GiB address-space limit, a timeout that only guards
against a hang. No run may print a traceback, exit 70 or die of a signal.

Sections: 1 the knowledge directory and the environment, 2 arguments and export targets,
3 hostile knowledge files, 4 shell completion.
"""

from __future__ import annotations

from pathlib import Path

from tests.test_hostile import (
    knowledge_error,
    labels_for,
    make_env,
    mini_yaml,
    run,
    write,
)

SAMPLE = Path(__file__).parent / "fixtures" / "aiddata" / "gcdf3_sample.csv"
#: A long wait for cases that read or write tens of megabytes on a shared machine: still only a hang guard.
SLOW = 600.0


def _env(tmp_path: Path, **extra: str | None) -> dict[str, str]:
    return make_env(tmp_path, **extra)


# =====================================================================================================
# 3. Hostile knowledge files
# =====================================================================================================


def test_deep_block_nesting_in_a_record_is_refused_not_a_crash(tmp_path: Path) -> None:
    """100,000 levels of `- - - ...` inside a top-level list (the fast reader's first line of a record):
    a positioned `nested deeper than 64 levels`, status 1; it used to be a segmentation fault."""
    text = "format: 1\nprojects:\n  " + "- " * 100_000 + "x\n"
    knowledge = write(tmp_path / "deep.yaml", text)
    r = run(["--no-bundled", "-k", str(knowledge), "validate"], env=_env(tmp_path), cwd=tmp_path)
    problem = knowledge_error(r, labels_for(knowledge, tmp_path), line=3)
    assert "nested deeper than 64 levels" in problem, str(r)


def _near_cap_file(path: Path, size: int) -> Path:
    """A valid knowledge file of exactly ``size`` bytes: the small file, and notes of plain words."""
    head = mini_yaml() + "    notes: "
    filler = size - len(head.encode()) - 3
    words = ("lorem ipsum dolor sit amet " * (filler // 27 + 1))[:filler]
    with path.open("w", encoding="utf-8") as out:
        out.write(head + '"' + words.rstrip() + " " * (len(words) - len(words.rstrip())) + '"\n')
    assert path.stat().st_size == size
    return path


def test_a_valid_file_at_the_size_cap_validates_under_the_memory_limit(tmp_path: Path) -> None:
    """A valid file one byte under the default cap (96 MiB) validates under 1 GiB (it used to be a
    MemoryError, status 70, near the old 256 MiB cap); one byte over it is refused before it is read."""
    cap = 96 * 1024 * 1024
    knowledge = _near_cap_file(tmp_path / "big.yaml", cap - 1)
    r = run(["--no-bundled", "-k", str(knowledge), "validate"], env=_env(tmp_path), cwd=tmp_path, timeout=SLOW)
    assert r.code == 0, f"a valid file under the cap must validate:\n{r}"
    with knowledge.open("ab") as out:
        out.write(b"\n\n")
    r = run(["--no-bundled", "-k", str(knowledge), "validate"], env=_env(tmp_path), cwd=tmp_path)
    problem = knowledge_error(r, labels_for(knowledge, tmp_path), line=1)
    assert "larger than the 100,663,296-byte cap" in problem, str(r)
