"""Where things are, and how cca is started: the command, its environment, its cache."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
RUN = ROOT / "bench" / "run.py"  # the command; also what generates inputs, in child processes
README = ROOT / "README.md"
DATA_CACHE = Path(tempfile.gettempdir()) / "cca-bench-data"  # generated inputs, kept between runs


def cca_command() -> list[str]:
    """The installed `cca` entry point beside this Python, else `python -m cca`."""
    entry = Path(sys.executable).parent / "cca"
    return [str(entry)] if entry.exists() else [sys.executable, "-m", "cca"]


def base_env(work: Path) -> dict[str, str]:
    """The environment without any CCA_ setting, with a fixed terminal width and no colour.

    No user data directory is read (CCA_NO_DATA_DIR); the scenarios that import give their own
    with ``--data-dir`` and drop that setting (:func:`with_data`).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCA_") and k != "PYTHONDONTWRITEBYTECODE"}
    env.update({"CCA_NO_DATA_DIR": "1", "COLUMNS": "100", "NO_COLOR": "1", "CCA_CACHE_DIR": str(work / "cache")})
    return env


def with_cache(env: dict[str, str], cache: Path) -> dict[str, str]:
    return {**env, "CCA_CACHE_DIR": str(cache)}


def with_data(env: dict[str, str], cache: Path) -> dict[str, str]:
    """The environment for a command given ``--data-dir``: its own cache, the data directory not turned off."""
    out = with_cache(env, cache)
    out.pop("CCA_NO_DATA_DIR", None)
    return out


def made(path: Path, option: str, *args: str) -> Path:
    """``path``, written once by ``run.py OPTION ARGS... PATH`` in a child process and kept after that.

    A child process, because Linux keeps a process's peak RSS across fork and exec: a bench grown
    large would report its own peak as its children's. The file appears whole or not at all.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        subprocess.run([sys.executable, str(RUN), option, *args, str(partial)], check=True)
        partial.replace(path)
    return path
