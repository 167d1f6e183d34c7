"""The tools an analyst would otherwise use, found on this machine: DuckDB, pandas, sqlite3.

Each peer runs as its own process, like cca, so both sides pay their start-up. A peer that is
missing is reported in the results (with how to install it), never a reason to stop.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ccabench.timing import Job

INSTALL = "pip install -e '.[bench]'"


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def _is_binary(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(4) == b"\x7fELF"
    except OSError:
        return False


@dataclass
class DuckDB:
    """DuckDB's command-line shell, or else its Python package run in a process of its own."""

    name: str
    binary: Path | None  # None: the Python package

    @classmethod
    def find(cls) -> DuckDB | None:
        """The CLI binary from the duckdb-cli wheel (called directly: its `duckdb` script is a Python
        wrapper that would add a Python start-up), else a native `duckdb` on PATH, else the module."""
        spec = importlib.util.find_spec("duckdb_cli")
        if spec is not None and spec.origin is not None:
            binary = Path(spec.origin).parent / "duckdb"
            if _is_binary(binary):
                return cls(f"DuckDB CLI {_version('duckdb-cli')}", binary)
        on_path = shutil.which("duckdb")
        if on_path and _is_binary(Path(on_path)):
            shown = subprocess.run([on_path, "--version"], capture_output=True, text=True).stdout.split()
            return cls(f"DuckDB CLI {shown[0] if shown else '?'}", Path(on_path))
        if importlib.util.find_spec("duckdb") is not None:
            return cls(f"DuckDB {_version('duckdb')} (Python package, own process)", None)
        return None

    def job(self, database: Path, sql: str, env: dict[str, str]) -> Job:
        """A job that runs `sql` against `database` and prints nothing."""
        if self.binary is not None:
            return Job([str(self.binary), str(database), "-c", sql], env)
        script = "import duckdb, sys; duckdb.connect(sys.argv[1]).execute(sys.argv[2])"
        return Job([sys.executable, "-c", script, str(database), sql], env)

    def query(self, database: Path, sql: str) -> list[dict[str, Any]]:
        """The rows of `sql` as dictionaries (untimed: for checking answers)."""
        if self.binary is not None:
            command = [str(self.binary), "-readonly", "-json", str(database), "-c", sql]
        else:
            script = (
                "import duckdb, json, sys; c = duckdb.connect(sys.argv[1], read_only=True).execute(sys.argv[2]); "
                "names = [d[0] for d in c.description]; print(json.dumps([dict(zip(names, r)) for r in c.fetchall()]))"
            )
            command = [sys.executable, "-c", script, str(database), sql]
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        rows: list[dict[str, Any]] = json.loads(out or "[]")
        return rows


@dataclass
class Pandas:
    """pandas' read_excel with the calamine engine, in a process of its own."""

    name: str

    #: Reads the sheet, then prints the answer to check: rows, amounts and their sum.
    SCRIPT = (
        "import json, sys\n"
        "import pandas as pd\n"
        "frame = pd.read_excel(sys.argv[1], sheet_name=sys.argv[2], engine='calamine')\n"
        "usd = frame[sys.argv[3]]\n"
        "print(json.dumps({'rows': len(frame), 'with_amount': int(usd.count()), 'usd_2021': float(usd.sum())}))\n"
    )

    @classmethod
    def find(cls) -> Pandas | None:
        if importlib.util.find_spec("pandas") is None or importlib.util.find_spec("python_calamine") is None:
            return None
        return cls(f"pandas {_version('pandas')} read_excel (calamine {_version('python-calamine')})")

    def job(self, workbook: Path, sheet: str, column: str, env: dict[str, str], stdout: Path) -> Job:
        return Job([sys.executable, "-c", self.SCRIPT, str(workbook), sheet, column], env, stdout)


@dataclass
class Sqlite:
    """The sqlite3 shell on cca's own SQLite export."""

    name: str
    binary: str

    @classmethod
    def find(cls) -> Sqlite | None:
        binary = shutil.which("sqlite3")
        if binary is None:
            return None
        shown = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.split()
        return cls(f"sqlite3 {shown[0] if shown else '?'}", binary)

    def job(self, database: Path, sql: str, env: dict[str, str], stdout: Path, *, json_mode: bool = False) -> Job:
        mode = ["-json"] if json_mode else ["-list", "-noheader"]
        return Job([self.binary, "-batch", "-readonly", *mode, str(database), sql], env, stdout)

    def error(self, database: Path, sql: str) -> str | None:
        """What sqlite3 says when `sql` fails on `database` (None when it runs)."""
        done = subprocess.run(
            [self.binary, "-batch", "-readonly", str(database), sql],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        return (done.stderr.strip() or f"exit {done.returncode}") if done.returncode else None


@dataclass
class Peers:
    duckdb: DuckDB | None
    pandas: Pandas | None
    sqlite: Sqlite | None

    @classmethod
    def find(cls) -> Peers:
        return cls(DuckDB.find(), Pandas.find(), Sqlite.find())

    def describe(self) -> list[str]:
        """One line per peer: what was found, or what is missing and how to install it."""
        return [
            self.duckdb.name if self.duckdb else f"DuckDB: not found ({INSTALL}, or the duckdb-cli package)",
            self.pandas.name if self.pandas else f"pandas with calamine: not found ({INSTALL})",
            self.sqlite.name if self.sqlite else "sqlite3: not found (apt-get install sqlite3)",
        ]
