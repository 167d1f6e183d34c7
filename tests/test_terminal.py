"""On a pseudo-terminal, as a person sees cca: tables sized to the window, colour, shell completion."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import shutil
import struct
import sys
import termios
import time
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.test_process import ENTRY, _env


def _on_pty(
    argv: list[str],
    env: dict[str, str],
    columns: int = 100,
    steps: tuple[tuple[bytes, str], ...] = (),
    wait: float = 20.0,
) -> str:
    """Run ``argv`` on a pseudo-terminal ``columns`` wide; what it printed.

    ``steps``: (keys to type, text to wait for before typing the next keys), as a person would.
    """
    pid, fd = pty.fork()
    if pid == 0:  # the child: exec, never return into pytest
        try:
            os.execvpe(argv[0], argv, env)
        finally:
            os._exit(127)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    pending = list(steps)
    seen = ""
    chunks: list[bytes] = []
    deadline = time.monotonic() + wait
    if pending:
        os.write(fd, pending[0][0])
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if not ready:
            if os.waitpid(pid, os.WNOHANG) != (0, 0):
                break
            continue
        try:
            data = os.read(fd, 65536)
        except OSError:  # EIO: the child has gone
            break
        if not data:
            break
        chunks.append(data)
        seen += data.decode("utf-8", "replace")
        if pending and pending[0][1] in seen:
            seen = seen[seen.index(pending[0][1]) + len(pending[0][1]) :]
            pending.pop(0)
            if pending:
                os.write(fd, pending[0][0])
    else:
        os.kill(pid, 9)
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass
    os.close(fd)
    return b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")


def _pty_env(**extra: str) -> dict[str, str]:
    env = _env(**extra)
    env.pop("COLUMNS", None)  # the window size says how wide
    return env


def test_a_terminal_gets_a_coloured_table_as_wide_as_its_window() -> None:
    out = _on_pty([sys.executable, "-m", "cca", "projects", "--country", "Laos"], _pty_env(), columns=90)
    assert "\x1b[1m" in out, "headers are bold on a terminal"
    lines = [line for line in out.splitlines() if line.strip()]
    assert lines[0].startswith("\x1b[1mProjects") or "Projects" in lines[0]
    plain = [line.replace("\x1b[1m", "").replace("\x1b[2m", "").replace("\x1b[0m", "") for line in lines]
    assert max(len(line) for line in plain) <= 90
    assert any("China-Laos" in line for line in plain)
    assert any("█" in line and "54 % overall" in line for line in plain), "progress is drawn as a bar on a terminal"


def test_no_color_on_a_terminal_keeps_the_table_and_drops_colour() -> None:
    out = _on_pty([sys.executable, "-m", "cca", "projects", "--country", "Laos"], _pty_env(NO_COLOR="1"), columns=72)
    assert "China-Laos" in out and "54 % overall" in out
    assert "Not shown at 72 columns: Countries, ID" in " ".join(out.split()), "the note says what is left out"
    assert "\x1b[3" not in out and "\x1b[9" not in out


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs a shell for the pipe")
def test_a_table_in_a_pipe_is_as_wide_as_the_terminal_it_is_run_from() -> None:
    """`--format table | less`: read on the terminal cca runs in, so drawn to its width, answer kept."""
    command = f"{sys.executable} -m cca projects --country Laos --format table | cat"
    out = _on_pty(["sh", "-c", command], _pty_env(NO_COLOR="1"), columns=72)
    text = " ".join(out.split())
    assert "54 % overall" in text and "Not shown at 72 columns: Countries, ID" in text, out
    assert max(len(line) for line in out.splitlines()) <= 72


@pytest.mark.skipif(shutil.which("bash") is None or ENTRY is None, reason="needs bash and the installed cca")
def test_bash_completes_countries_case_insensitively_on_a_terminal(tmp_path: Path) -> None:
    script = tmp_path / "cca.bash"
    env = _pty_env(HOME=str(tmp_path), PS1="$ ", INPUTRC=str(tmp_path / "inputrc"))
    (tmp_path / "inputrc").write_text("set show-all-if-ambiguous on\nset completion-ignore-case on\n")
    env["PATH"] = f"{Path(str(ENTRY)).parent}{os.pathsep}{env.get('PATH', '')}"
    steps = (
        (f"cca completion bash > {script} && source {script}; echo ready-$((6*7))\n".encode(), "ready-42"),
        (b"cca projects --country la\t\t", "Laos"),
        (b"\x15echo done-$((6*7))\n", "done-42"),
        (b"exit\n", "exit"),
    )
    out = _on_pty(["bash", "--norc", "--noprofile", "-i"], env, columns=100, steps=steps, wait=30)
    assert "done-42" in out, out[-2000:]
    assert "Laos" in out, out[-2000:]


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=8))
def test_unspaced_scripts_are_found_by_code_point_as_by_the_pattern(text: str) -> None:
    """A table's words are looked up by code point (the pattern's first use costs 1.6 ms of a command):
    the same verdict as the search index's pattern, on any text."""
    from cca.core.text import _unspaced_run, unspaced

    assert unspaced(text) == (_unspaced_run().search(text) is not None)


@pytest.mark.parametrize(
    ("word", "expected"), [("老挝", True), ("ລາວ", True), ("ไทย", True), ("Lào", False), ("𠀀", True)]
)
def test_unspaced_words(word: str, expected: bool) -> None:
    from cca.core.text import unspaced

    assert unspaced(word) is expected


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=16), st.booleans())
@example("กำ", True)  # found by this test: Thai folds to a word with a space, not wholly of an unspaced script
def test_search_words_are_those_of_the_wide_patterns(text: str, prefix: bool) -> None:
    """A search's words and MATCH expression as the wide patterns give them (ASCII text takes a narrow one)."""
    import unicodedata

    from cca.core.text import SUBSTRING_MAX, _unspaced_run, _word, fold, match_query, query_words

    words: list[str] = []
    for word in _word().findall(unicodedata.normalize("NFKC", text)):
        if _unspaced_run().fullmatch(word) and len(word) > SUBSTRING_MAX:
            step = SUBSTRING_MAX - 1
            words.extend(word[i : i + SUBSTRING_MAX] for i in range(0, len(word) - 1, step) if len(word[i:]) > 1)
        else:
            words.append(fold(word) or word)
    expected = [w for w in dict.fromkeys(words) if w]
    assert query_words(text) == expected
    quoted = ['"' + w.replace('"', '""') + '"' for w in expected]
    wide = " ".join(q + "*" if not _unspaced_run().fullmatch(w) else q for q, w in zip(quoted, expected, strict=True))
    assert match_query(expected, prefix=prefix) == (wide if prefix else " ".join(quoted))


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=12), st.booleans())
def test_visible_escapes_what_the_full_pattern_finds(text: str, newlines: bool) -> None:
    """visible() passes printable ASCII through without its pattern: the answer is the pattern's on any text."""
    import re

    from cca.core.text import _DANGER_CLASS, _escape, visible

    kept = _DANGER_CLASS.replace("\x00-\x1f", "\x00-\x09\x0b-\x1f") if newlines else _DANGER_CLASS
    assert visible(text, newlines=newlines) == re.sub(f"[{kept}]", _escape, text)
