"""Adversarial, black-box tests of hostile environments, arguments and knowledge files (issue 20).

Each case runs ``python -m cca`` as a real process in the way of ``tests/test_hostile.py`` (whose
helpers it uses): a clean environment, a 1 GiB address-space limit, a timeout that only guards
against a hang. No run may print a traceback, exit 70 or die of a signal.

Sections: 1 the knowledge directory and the environment, 2 arguments and export targets,
3 hostile knowledge files, 4 shell completion.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.test_hostile import (
    C1CSI,
    OSC8,
    OSC52,
    RLO,
    Result,
    knowledge_error,
    labels_for,
    make_env,
    mini_yaml,
    one_line_error,
    raw_danger,
    run,
    write,
    yq,
)

SAMPLE = Path(__file__).parent / "fixtures" / "aiddata" / "gcdf3_sample.csv"
#: A long wait for cases that read or write tens of megabytes on a shared machine: still only a hang guard.
SLOW = 600.0


def _env(tmp_path: Path, **extra: str | None) -> dict[str, str]:
    return make_env(tmp_path, **extra)


# =====================================================================================================
# 1. The knowledge directory and the environment
# =====================================================================================================


def _not_a_directory(kind: str, tmp_path: Path) -> Path:
    if kind == "regular-file":
        return write(tmp_path / "plain-file", "precious\n")
    if kind == "dev-null":
        return Path("/dev/null")
    if kind == "proc-self":
        return Path("/proc/self")
    if kind == "dangling-symlink":
        os.symlink(tmp_path / "nowhere", tmp_path / "dangling")
        return tmp_path / "dangling"
    os.symlink(tmp_path / "loop-b", tmp_path / "loop-a")
    os.symlink(tmp_path / "loop-a", tmp_path / "loop-b")
    return tmp_path / "loop-a"


KINDS_OF_DIRECTORY = ["regular-file", "dev-null", "proc-self", "dangling-symlink", "symlink-loop"]


@pytest.mark.parametrize("variable", ["CCA_DATA_DIR", "XDG_DATA_HOME"])
@pytest.mark.parametrize("kind", KINDS_OF_DIRECTORY)
def test_import_into_a_knowledge_directory_that_is_not_one(tmp_path: Path, variable: str, kind: str) -> None:
    """$CCA_DATA_DIR or $XDG_DATA_HOME naming a regular file, /dev/null, /proc/self, a dangling symlink or
    a symlink loop: `cca import aiddata` stops with one line and status 73 (an unwritable target), and
    writes nothing; it used to be an internal error (70)."""
    target = _not_a_directory(kind, tmp_path)
    env = _env(tmp_path, **{variable: str(target)})
    r = run(["import", "aiddata", str(SAMPLE)], env=env, cwd=tmp_path, timeout=SLOW)
    line = one_line_error(r, [73])
    assert str(target) in line, str(r)
    if kind == "regular-file":
        assert target.read_text() == "precious\n"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".aiddata")], "a temporary file was left"


def test_relative_xdg_directories_are_ignored(tmp_path: Path) -> None:
    """The XDG spec: a relative $XDG_DATA_HOME or $XDG_CACHE_HOME is invalid and ignored. cca then uses
    ~/.local/share/cca and ~/.cache/cca, never a directory relative to wherever it is run."""
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    env = make_env(home, XDG_DATA_HOME="rel-data", XDG_CACHE_HOME="rel-cache", CCA_CACHE_DIR=None)
    r = run(["import", "aiddata", str(SAMPLE)], env=env, cwd=work, timeout=SLOW)
    assert r.code == 0, str(r)
    assert sorted(p.name for p in work.iterdir()) == [], f"written relative to the working directory:\n{r}"
    assert (home / ".local" / "share" / "cca" / "aiddata.jsonl").is_file(), str(r)
    assert list((home / ".cache" / "cca").glob("knowledge-*.sqlite")), str(r)


# =====================================================================================================
# 2. Arguments and export targets
# =====================================================================================================


def _short_line(r: Result, status: int) -> str:
    line = one_line_error(r, [status])
    assert len(line) < 1200, f"a 100,000-character name must not be echoed whole ({len(line)} characters)"
    assert not raw_danger(r.stderr), str(r)
    return line


def test_an_argument_that_is_not_utf8_is_a_usage_error(tmp_path: Path) -> None:
    """`cca show $'\\xff\\xfe'`: one line, status 2, the bytes shown escaped (it was status 70)."""
    r = run(["show", b"\xff\xfe"], env=_env(tmp_path), cwd=tmp_path)
    line = _short_line(r, 2)
    assert "\\xff\\xfe" in line, str(r)


def test_a_dataset_name_of_100000_characters(tmp_path: Path) -> None:
    """`cca import aiddata` with a 100,000-character file name: one short line, status 2 (it was 70)."""
    name = "a" * 100_000 + ".csv"
    r = run(["--data-dir", str(tmp_path / "d"), "import", "aiddata", name], env=_env(tmp_path), cwd=tmp_path)
    assert "file name too long" in _short_line(r, 2), str(r)


def test_a_sources_directory_of_100000_characters(tmp_path: Path) -> None:
    """`cca validate --sources` with a 100,000-character path: one short line, status 2 (it was 70)."""
    r = run(["validate", "--sources", "s" * 100_000], env=_env(tmp_path), cwd=tmp_path)
    assert "is not a directory" in _short_line(r, 2), str(r)


def test_an_import_name_of_5000_characters(tmp_path: Path) -> None:
    """`cca import --remove` with a 5,000-character name: one short line, status 2 (it was 70)."""
    r = run(["--data-dir", str(tmp_path), "import", "--remove", "n" * 5000], env=_env(tmp_path), cwd=tmp_path)
    assert "import name" in _short_line(r, 2), str(r)


@pytest.mark.parametrize("fmt", ["sqlite", "json"])
@pytest.mark.parametrize("target", ["."])
def test_export_to_a_directory_named_dot(tmp_path: Path, fmt: str, target: str) -> None:
    """`cca export --force .`: a directory is refused whatever you ask, status 2 (sqlite was 70)."""
    work = tmp_path / "work"
    work.mkdir()
    r = run(["export", "--force", "--format", fmt, target], env=_env(tmp_path), cwd=work)
    assert "is a directory" in one_line_error(r, [2]), str(r)
    assert sorted(p.name for p in work.iterdir()) == []


def test_export_of_knowledge_from_a_file_not_named_in_utf8(tmp_path: Path) -> None:
    """Knowledge read from b'k\\xff.yaml' exports to SQLite (it was status 70): the record's place keeps
    the byte as an escape, as the CSV export shows it."""
    import sqlite3

    name = os.fsencode(tmp_path) + b"/k\xff.yaml"
    with open(name, "wb") as handle:
        handle.write(mini_yaml("Byte Name Railway").encode())
    target = tmp_path / "out.db"
    r = run(["--no-bundled", "-k", name, "export", "--format", "sqlite", str(target)], env=_env(tmp_path), cwd=tmp_path)
    assert r.code == 0, str(r)
    with sqlite3.connect(target) as db:
        (place,) = db.execute("SELECT defined_at FROM projects").fetchone()
    assert re.fullmatch(r".*k\\xff\.yaml:\d+:\d+", place), place


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
    """A valid knowledge file of exactly ``size`` bytes: the small file, then as many projects as fit, each with
    notes of plain words (a real file near the cap holds many records; no text may pass 1,000,000 characters)."""
    head = mini_yaml()
    project = (
        "  - id: p{n:07d}\n    name: Project {n}\n    type: railway\n    countries: [laos]\n    sectors: [railway]\n"
        '    status: [{{value: planned, evidence: [{{source: test-source, quote: "the test railway"}}]}}]\n'
        '    evidence: [{{source: test-source, quote: "the test railway"}}]\n    notes: "{words}"\n'
    )
    words = "lorem ipsum dolor sit amet " * 100
    body = []
    written = len(head.encode())
    number = 0
    while True:
        chunk = project.format(n=number, words=words.strip())
        if written + len(chunk) > size - 2:
            break
        body.append(chunk)
        written += len(chunk)
        number += 1
    pad = size - written - 1
    with path.open("w", encoding="utf-8") as out:
        out.write(head + "".join(body) + "#" + "x" * (pad - 1) + "\n")
    assert path.stat().st_size == size
    return path


def test_a_text_past_a_million_characters_is_refused(tmp_path: Path) -> None:
    """One field of 2,000,000 characters: a positioned problem (status 1), never a MemoryError."""
    text = mini_yaml().replace("    type: railway\n", '    type: railway\n    notes: "' + "x" * 2_000_000 + '"\n', 1)
    knowledge = write(tmp_path / "long.yaml", text)
    r = run(["--no-bundled", "-k", str(knowledge), "validate"], env=_env(tmp_path), cwd=tmp_path, timeout=SLOW)
    line = [n for n, content in enumerate(text.splitlines(), 1) if "notes:" in content][0]
    problem = knowledge_error(r, labels_for(knowledge, tmp_path), line=line)
    assert "longer than 1,000,000 characters" in problem or "at most 1000000" in problem, str(r)


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


SAME_AS_SELF = {
    "update": "updates:\n  - id: test-railway\n    same_as: [test-railway]\n",
    "record": None,
}


@pytest.mark.parametrize("form", list(SAME_AS_SELF))
def test_a_same_as_link_to_itself_is_a_problem(tmp_path: Path, form: str) -> None:
    """`same_as` naming the record itself (in an update, or in the record): a positioned problem, status 1;
    it used to validate."""
    if form == "update":
        text = mini_yaml(extra=SAME_AS_SELF["update"])
    else:
        text = mini_yaml().replace("    type: railway\n", "    type: railway\n    same_as: [test-railway]\n", 1)
    knowledge = write(tmp_path / "self.yaml", text)
    r = run(["--no-bundled", "-k", str(knowledge), "validate"], env=_env(tmp_path), cwd=tmp_path)
    line = [n for n, content in enumerate(text.splitlines(), 1) if "same_as" in content][0]
    problem = knowledge_error(r, labels_for(knowledge, tmp_path), line=line)
    assert "is this record itself" in problem, str(r)


# =====================================================================================================
# 4. Shell completion
# =====================================================================================================

#: A title with an OSC 8 hyperlink, OSC 52 (clipboard), a C1 CSI, U+202E, a line break and rich markup.
HOSTILE_TITLE = f"Title {OSC8} {OSC52} {C1CSI}x {RLO}evil\nsecond line [/x] [bold]b[/bold]"
HOSTILE_ALIAS = "Lao\x1b]0;pwned\x07X"
HOSTILE_LABEL = "Rail\x1b]0;t\x07way\nx"


def _completion_knowledge(tmp_path: Path) -> Path:
    text = mini_yaml(HOSTILE_TITLE).replace("test-railway", "aiddata-990001")
    text = text.replace('    name: "Laos"\n', f'    name: "Laos"\n    aliases: [{yq(HOSTILE_ALIAS)}]\n', 1)
    text = text.replace('    label: "Railway"\n', f"    label: {yq(HOSTILE_LABEL)}\n", 1)
    return write(tmp_path / "complete.yaml", text)


COMPLETIONS = {
    "show": ("cca show aiddata-99", ["aiddata-990001"]),
    "country": ("cca projects --country La", ["Laos", "LA", "LAO", "Lao People's Democratic Republic", None]),
    "sector": ("cca projects --sector Ra", ["railway"]),
}


#: Every shell for every case, but bash's ids and sector ids: bash shows candidates without descriptions.
SHELL_CASES = [
    (case, shell)
    for case in COMPLETIONS
    for shell in ("bash", "zsh", "fish", "powershell")
    if shell != "bash" or case == "country"
]


@pytest.mark.parametrize(("case", "shell"), SHELL_CASES, ids=[f"{case}-{shell}" for case, shell in SHELL_CASES])
def test_completion_candidates_are_sanitised_like_table_cells(tmp_path: Path, shell: str, case: str) -> None:
    """Candidates and descriptions (imported titles, aliases, labels) reach the shell with every control
    character, escape sequence, bidi control and line break as a visible escape: one line per candidate,
    for every shell; a title with rich markup in it is no error. Only SGR was stripped before, and for
    zsh, fish and PowerShell descriptions only."""
    words, expected = COMPLETIONS[case]
    parts = words.split(" ")
    env = _env(
        tmp_path,
        CCA_KNOWLEDGE=str(_completion_knowledge(tmp_path)),
        CCA_NO_BUNDLED="1",
        _CCA_COMPLETE=f"complete_{shell}",
        _TYPER_COMPLETE_ARGS=words,
        _TYPER_COMPLETE_FISH_ACTION="get-args",
        _TYPER_COMPLETE_WORD_TO_COMPLETE=parts[-1],
        COMP_WORDS=words,
        COMP_CWORD=str(len(parts) - 1),
    )
    r = run([], env=env, cwd=tmp_path)
    assert r.code == 0 and r.stderr == "", str(r)
    assert not raw_danger(r.stdout) and "\t\t" not in r.stdout, f"raw control characters in candidates:\n{r}"
    lines = r.stdout.splitlines()
    if shell == "zsh":
        assert lines[0].startswith("_arguments '*: :((") and lines[-1].endswith("))'"), str(r)
        lines = [line.removeprefix("_arguments '*: :((").removesuffix("))'") for line in lines]
    assert len(lines) == len(expected), f"one line per candidate:\n{r}"
    for line, candidate in zip(lines, expected, strict=True):
        value = re.split(r"\t|:::|\":\"", line.strip('"'))[0]
        if candidate is not None:
            assert value == candidate.replace("'", "''" if shell == "zsh" else "'"), f"{line!r}:\n{r}"
        else:
            assert re.search(r"\\+x1b", value), f"the alias's ESC must show as an escape: {line!r}"


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_completing_bytes_that_are_not_utf8_is_quiet(tmp_path: Path, shell: str) -> None:
    """`cca show ch<0xff><TAB>`: no candidates and nothing on stderr, never an error in the prompt."""
    words = "cca show ch\udcff"  # the byte 0xff, as the environment carries it
    env = _env(
        tmp_path, _CCA_COMPLETE=f"complete_{shell}", _TYPER_COMPLETE_ARGS=words, COMP_WORDS=words, COMP_CWORD="2"
    )
    r = run([], env=env, cwd=tmp_path)
    assert r.code == 0 and r.stderr == "", str(r)
    assert "china" not in r.stdout, str(r)
