"""AidData-shaped inputs: synthetic GCDF 3.0 files (bench/gcdf.py, bench/gcdf_xlsx.py), made once and kept.

Each file is keyed on its row count and a digest of the generators' source, so a changed generator
makes new files and an unchanged one reuses them (under $TMPDIR/cca-bench-data).
"""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from ccabench.common import DATA_CACHE, ROOT, made

GCDF = ROOT / "bench" / "gcdf.py"  # write_csv(path, rows, seed=0): the 126-column CSV, streamed
GCDF_XLSX = ROOT / "bench" / "gcdf_xlsx.py"  # csv_to_xlsx(src, dst, leading_sheets): AidData's workbook layout
LAOS = "Lao People's Democratic Republic"  # the Recipient column's name for Laos


def _key(*generators: Path) -> str:
    digest = hashlib.sha256()
    for path in generators:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def gcdf_csv(rows: int) -> Path:
    """A CSV of `rows` synthetic rows in GCDF 3.0's layout."""
    return made(DATA_CACHE / f"gcdf-{_key(GCDF)}" / f"gcdf-{rows}.csv", "--gcdf", str(GCDF), str(rows))


def gcdf_xlsx(rows: int) -> Path:
    """The same rows as a workbook shaped like AidData's (a ReadMe sheet, then GCDF_3.0)."""
    folder = DATA_CACHE / f"gcdf-{_key(GCDF, GCDF_XLSX)}"
    return made(folder / f"gcdf-{rows}.xlsx", "--xlsx", str(gcdf_csv(rows)))


def _module(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"bench: cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.dont_write_bytecode = True  # leave no __pycache__ beside it
    spec.loader.exec_module(module)
    return module


def write_gcdf(generator: Path, rows: int, path: Path) -> None:
    """Call bench/gcdf.py's write_csv (run.py --gcdf, in a child process)."""
    _module(generator).write_csv(path, rows, seed=0)


def write_xlsx(source: Path, path: Path) -> None:
    """Call bench/gcdf_xlsx.py's csv_to_xlsx (run.py --xlsx, in a child process)."""
    _module(GCDF_XLSX).csv_to_xlsx(source, path, ["ReadMe"])


def record_ids(path: Path, recipient: str, count: int) -> list[str]:
    """The first `count` AidData Record IDs of a recipient in a GCDF CSV (read as a stream)."""
    found: list[str] = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["Recipient"] == recipient:
                found.append(row["AidData Record ID"])
                if len(found) == count:
                    break
    return found
