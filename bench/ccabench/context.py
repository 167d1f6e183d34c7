"""What every part against a peer shares: the row it reports, the run's context and the imported data.

The imported data directories are made once per size (by the import part, or here untimed) and
reused by the query parts; cca is only ever given ``--data-dir``, so nothing here depends on the
names of the files an import writes.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ccabench.common import with_data
from ccabench.inputs import gcdf_csv
from ccabench.peers import Peers
from ccabench.timing import CommandFailed, Figure, Job, limit

SOURCE = "aiddata-gcdf-3"  # the import's source id: its rows, and no curated record
NOMINAL = (21_000, 100_000, 500_000)  # the sizes the targets are set at: small, large, huge


@dataclass
class Row:
    """One target: cca's figure, its peer's, the bound, and whether the answers agreed."""

    work: str
    cca: Figure | None
    target: str
    met: bool | None
    peer_name: str = ""  # "" when the target has no peer
    peer: Figure | None = None
    answers: str = "—"  # what was compared, and how it came out
    same: bool | None = None  # None: nothing to compare
    why_not: str = ""  # why it was not measured or not judged

    @property
    def ratio(self) -> float | None:
        if self.cca is None or self.peer is None or not self.peer.seconds:
            return None
        return self.cca.seconds / self.peer.seconds

    @property
    def verdict(self) -> str:
        if self.same is False:
            return "ANSWERS DIFFER"
        if self.met is None:
            return f"n/a ({self.why_not})" if self.why_not else "—"
        return "met" if self.met else "MISSED"


def ratio_row(work: str, cca: Figure | None, peer_name: str, peer: Figure | None, bound: float, what: str) -> Row:
    row = Row(work, cca, f"≤ {bound:g}× {what}", None, peer_name, peer)
    if row.ratio is not None:
        row.met = row.ratio <= bound
    return row


def bound_row(work: str, figure: Figure | None, bound: float, unit: str) -> Row:
    """A bound on cca's own time ("s") or peak memory ("MB")."""
    row = Row(work, figure, f"< {bound:g} {unit}", None)
    if figure is not None:
        row.met = (figure.peak_mb if unit == "MB" else figure.seconds) < bound
    return row


_SUMMARY = re.compile(r"^cca: [\d,]+ problems? in ")  # cca's closing count: the problem is on the lines above
_PLACE = re.compile(r"^/\S*/")  # a scratch path before a file:line:col message


def reason(error: Exception) -> str:
    """The telling line of a failed command's stderr: its last, less cca's closing count and scratch paths."""
    lines = [line for line in str(error).splitlines()[1:] if line.strip() and not _SUMMARY.match(line)]
    return _PLACE.sub("", lines[-1])[:160] if lines else "no message"


def failure(error: CommandFailed, cap_mb: int) -> str:
    """Why a command failed, in a few words: the memory cap, or the telling line of its stderr."""
    text = str(error)
    if any(sign in text for sign in ("MemoryError", "Cannot allocate memory", "memory allocation of")):
        return f"failed: over the {cap_mb:,} MB memory cap (--memory-cap)"
    return f"failed: {reason(error)}"


def money(value: float | None) -> str:
    return "no amount" if value is None else f"US$ {value / 1e9:,.2f} bn"


def close(a: float | None, b: float | None) -> bool:
    """Sums agree to the cent (cca rounds to cents) or to 1e-9 of their size (the order of adding differs)."""
    if a is None or b is None:
        return (a or 0.0) == (b or 0.0)
    return abs(a - b) <= max(0.01, 1e-9 * abs(b))


@dataclass
class Context:
    """What every scenario needs: cca, the environment, a scratch folder, run counts and the peers."""

    cca: list[str]
    env: dict[str, str]
    work: Path
    runs: int
    budget: float
    cap_mb: int
    peers: Peers
    rows: list[int]  # small, and optionally large and huge: the sizes standing for NOMINAL
    yaml_projects: int
    data: dict[int, Path] = field(default_factory=dict)  # rows -> an imported data directory
    caches: dict[int, Path] = field(default_factory=dict)  # rows -> its warm cache
    exports: dict[int, Path] = field(default_factory=dict)  # rows -> cca's SQLite export of it
    failed: dict[int, CommandFailed] = field(default_factory=dict)  # rows -> why importing them failed
    notes: list[str] = field(default_factory=list)

    def cca_on(self, rows: int, *args: str) -> list[str]:
        return [*self.cca, "--data-dir", str(self.data[rows]), *args]

    def import_job(self, source: Path, data_dir: Path, cache: Path) -> Job:
        command = [*self.cca, "--data-dir", str(data_dir), "import", "aiddata", str(source), "--all"]
        return Job(command, with_data(self.env, cache), cap_mb=self.cap_mb)

    def dataset(self, rows: int) -> Path:
        """A data directory with `rows` imported rows (imported here, untimed, unless an import scenario left one)."""
        if rows in self.failed:  # no second try: it fails the same way, and slowly
            raise self.failed[rows]
        if rows not in self.data:
            sys.stderr.write(f"bench: importing {rows:,} rows for the queries (untimed)\n")
            folder = self.work / f"dataset-{rows}"
            try:
                run(self.import_job(gcdf_csv(rows), folder, self.work / f"dataset-{rows}-import-cache"))
            except CommandFailed as error:
                self.failed[rows] = error
                raise
            self.data[rows] = folder
        return self.data[rows]

    def warm_env(self, rows: int) -> dict[str, str]:
        """The environment of a query on the dataset, its cache built (by the untimed totals query)."""
        if rows not in self.caches:
            self.caches[rows] = self.work / f"dataset-{rows}-cache"
            self.totals(self.dataset(rows), self.caches[rows])
        return with_data(self.env, self.caches[rows])

    def totals(self, data_dir: Path, cache: Path) -> dict[str, Any]:
        """cca's count of the import's rows, of those with an amount, and their sum (every row, umbrellas too)."""
        out = self.out("totals.json")
        command = [*self.cca, "--data-dir", str(data_dir), "stats", "--all-rows", "--source", SOURCE]
        command += ["--amount", "original", "--json"]  # the file's Amount (Constant USD 2021), as the peer sums it
        run(Job(command, with_data(self.env, cache), out))
        (found,) = json.loads(out.read_text(encoding="utf-8"))
        return {"rows": found["records"], "with_amount": found["with_amount"], "usd_2021": found["usd_2021"]}

    def export(self, rows: int) -> Path:
        """cca's SQLite export of the dataset (untimed), which the sqlite3 peers query."""
        if rows not in self.exports:
            path = self.work / f"kb-{rows}.db"
            env = self.warm_env(rows)  # imports the rows first if need be
            run(Job(self.cca_on(rows, "export", "--format", "sqlite", str(path)), env))
            self.exports[rows] = path
        return self.exports[rows]

    def out(self, name: str) -> Path:
        """Where a timed process's output goes, to check its answer after the runs."""
        folder = self.work / "out"
        folder.mkdir(exist_ok=True)
        return folder / name


def run(job: Job) -> None:
    """Run one untimed command; raise CommandFailed (with its stderr) if it fails."""
    out = job.stdout.open("wb") if job.stdout else subprocess.DEVNULL
    try:
        done = subprocess.run(
            job.command,
            env=job.env,
            stdout=out,
            stderr=subprocess.PIPE,
            preexec_fn=limit(job.cap_mb) if job.cap_mb else None,
        )
    finally:
        if not isinstance(out, int):
            out.close()
    if done.returncode:
        tail = done.stderr.decode(errors="replace")[-2000:]
        raise CommandFailed(f"bench: {' '.join(job.command)} exited {done.returncode}\n{tail}")


def role(ctx: Context, index: int) -> int | None:
    return ctx.rows[index] if index < len(ctx.rows) else None


def label(rows: int) -> str:
    return f"{rows:,} rows"
