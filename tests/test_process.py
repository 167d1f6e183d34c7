"""What only a real process shows: the entry point, pipes, signals, colour and encodings."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

CCA = [sys.executable, "-m", "cca"]
ENTRY = shutil.which("cca", path=str(Path(sys.executable).parent))


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CCA_", "FORCE_COLOR", "NO_COLOR"))}
    env["CCA_CACHE_DIR"] = os.environ["CCA_CACHE_DIR"]  # the session's, set by conftest
    env.update({"COLUMNS": "100", "TERM": "xterm-256color", **extra})
    return env


def _run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CCA, *args], capture_output=True, text=True, env=_env(**env), timeout=60, check=False)


def test_console_script_is_installed_and_runs() -> None:
    assert ENTRY, "the `cca` console script is not installed beside this Python"
    result = subprocess.run(
        [ENTRY, "projects", "--country", "Laos"], capture_output=True, text=True, env=_env(), timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("china-laos-railway\tChina-Laos Railway\t")


def test_python_dash_m_matches_the_console_script() -> None:
    assert _run("projects", "-c", "LA").stdout.startswith("china-laos-railway\t")


def test_pipe_into_head_ends_quietly() -> None:
    command = f"{' '.join(CCA)} search a --format jsonl | head -1"
    result = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True, env=_env(), timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["id"]
    assert result.stderr == ""


def test_closed_stdout_ends_quietly_with_status_0() -> None:
    process = subprocess.Popen([*CCA, "aspects", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env())
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # the reader is gone before cca writes a byte
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0
    assert b"Traceback" not in stderr and b"BrokenPipe" not in stderr, stderr


@pytest.mark.parametrize(("signal_number", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_mid_load_ends_quietly_and_leaves_no_temporary_file(
    big_knowledge: Path, tmp_path: Path, signal_number: int, status: int
) -> None:
    cache = tmp_path / "cache"
    process = subprocess.Popen(
        [*CCA, "--no-bundled", "-k", str(big_knowledge), "projects", "-c", "Laos"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(CCA_CACHE_DIR=str(cache)),
        text=True,
    )
    time.sleep(1.0)  # well into the first load (parsing, checking, writing the compiled store)
    assert process.poll() is None, "the load ended before the signal: the test proves nothing"
    process.send_signal(signal_number)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == status, stderr
    assert "Traceback" not in stderr
    assert stdout == ""
    assert [p.name for p in cache.iterdir()] == [] if cache.exists() else True


def test_piped_output_has_no_escape_codes_and_no_truncation() -> None:
    result = _run("projects")
    assert "\x1b" not in result.stdout
    assert "…" not in result.stdout
    assert "Indonesian manufacturing base of SAIC GM Wuling" in result.stdout


def test_force_color_colours_and_no_color_wins() -> None:
    coloured = _run("projects", "-f", "table", FORCE_COLOR="1")
    assert "\x1b[" in coloured.stdout
    plain = _run("projects", "-f", "table", FORCE_COLOR="1", NO_COLOR="1")
    assert "\x1b[3" not in plain.stdout and "\x1b[9" not in plain.stdout  # no colour codes, at most bold/dim
    dumb = _run("projects", "-f", "table", TERM="dumb")
    assert "\x1b" not in dumb.stdout


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_ascii_stdout_still_gets_valid_json(fmt: str) -> None:
    result = _run("show", "china-laos-railway", "-f", fmt, PYTHONIOENCODING="ascii")
    assert result.returncode == 0, result.stderr
    assert result.stdout.isascii()
    document = json.loads(result.stdout.splitlines()[0] if fmt == "jsonl" else result.stdout)
    assert "中老铁路" in document["record"]["aliases"]


def test_ascii_stdout_gets_a_clear_message_for_tables() -> None:
    result = _run("show", "china-laos-railway", "-f", "table", PYTHONIOENCODING="ascii")
    assert result.returncode == 0
    assert "cannot show some characters" in result.stderr
    assert "Traceback" not in result.stderr


def test_invalid_knowledge_exits_1_with_positions_on_stderr(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: 1\nprojects:\n  - id: Not-Kebab\n", encoding="utf-8")
    result = _run("projects", CCA_KNOWLEDGE=str(bad))
    assert result.returncode == 1
    assert f"{bad}:3:9: projects[0].id: 'Not-Kebab' is not a valid id" in result.stderr
    assert result.stdout == ""


def test_internal_errors_are_one_line_and_debug_shows_the_traceback(tmp_path: Path) -> None:
    # A directory where a knowledge file should be cannot be read: a clean error, not a bug.
    folder = tmp_path / "dir.yaml"
    folder.mkdir()
    result = _run("--no-bundled", "validate", str(folder / "missing.yaml"))
    assert result.returncode == 1
    assert "cannot read" in result.stderr and "Traceback" not in result.stderr


#: A query that never ends by itself: only a signal (through SQLite's progress handler) stops it.
_ENDLESS = """
import sys
import cca
from cca.cli.edge import guarded, install_signal_handlers

kb = cca.load()
install_signal_handlers()
endless = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
print("querying", flush=True)
sys.exit(guarded(lambda: kb.store._all(endless)))
"""


@pytest.mark.parametrize(("signal_number", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_stops_a_running_query(signal_number: int, status: int) -> None:
    """Python delivers a signal only between its own instructions, never inside a SQLite call: without
    the progress handler this query would run until the guard below kills it, and the test fails."""
    process = subprocess.Popen(
        [sys.executable, "-c", _ENDLESS], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(), text=True
    )
    assert process.stdout is not None
    assert process.stdout.readline() == "querying\n"
    time.sleep(0.3)  # inside the query
    assert process.poll() is None
    process.send_signal(signal_number)
    try:
        stdout, stderr = process.communicate(timeout=120)  # a guard against a hang, not a speed limit
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        pytest.fail("the query went on after the signal")
    assert process.returncode == status, stderr
    assert stderr == "" and stdout == ""


def test_the_library_raises_keyboard_interrupt_from_a_stopped_query() -> None:
    """In-process: a SIGINT arriving during a query surfaces as KeyboardInterrupt, not as a store error."""
    import sqlite3
    import threading

    from cca.core.store import Store
    from cca.io.load import _connect

    # Datasette (imported by the export tests of this worker) switches SQLite's callback tracebacks on for the
    # whole process; then SQLite also reports the interrupt as an ignored exception. cca never switches them on.
    sqlite3.enable_callback_tracebacks(False)
    store = Store(_connect(Path(":memory:")))
    running = threading.Event()
    store.connection.create_function("running", 0, lambda: running.set() or 1)
    fired: list[bool] = []

    def guard() -> None:  # against a hang: stops the query some other way, and the test then fails
        fired.append(True)
        store.connection.interrupt()

    def interrupt() -> None:
        running.wait(60)  # the signal comes once the query runs, however loaded the machine
        time.sleep(0.2)
        os.kill(os.getpid(), signal.SIGINT)

    timer = threading.Thread(target=interrupt, daemon=True)
    fallback = threading.Timer(120, guard)
    fallback.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            timer.start()
            store._all("WITH RECURSIVE c(x) AS (SELECT running() UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c")
    finally:
        fallback.cancel()
    assert running.is_set()
    assert not fired, "the signal did not stop the query: the guard did"
