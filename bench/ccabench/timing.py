"""Whole-process measurements: wall time, CPU time and peak memory, taken in alternation."""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None  # GNU time, for peak RSS
SLOW_BUDGET = 40.0  # seconds: a slow item stops taking runs once its runs add up to this


@dataclass
class Figure:
    """One measured item: median wall-clock seconds, peak RSS of its processes, runs taken, median CPU seconds."""

    seconds: float
    peak_mb: float
    runs: int
    cpu: float = 0.0  # user + system, the process and everything it waited for
    times: tuple[float, ...] = ()  # every run's wall-clock seconds, in the order taken (for paired comparisons)


@dataclass
class Job:
    """One command to run: its arguments, environment, where its output goes, and a memory cap."""

    command: list[str]
    env: dict[str, str]
    stdout: Path | None = None  # None: /dev/null
    cap_mb: int | None = None  # address-space limit, so a runaway process fails instead of taking the machine


class Sample(NamedTuple):
    seconds: float
    peak_kb: int
    cpu: float


class CommandFailed(Exception):
    """A timed command exited with an error (the message has its command and stderr)."""


def limit(cap_mb: int) -> Callable[[], None]:
    """A preexec_fn that caps the address space of the process it starts (and of that process's children)."""

    def apply() -> None:
        cap = cap_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    return apply


def measure(job: Job) -> Sample:
    """Wall-clock seconds, peak RSS (KB) and CPU seconds of one whole process; raises CommandFailed if it fails.

    The peak comes from /usr/bin/time where installed: a process started straight from the bench
    would report the bench's own peak RSS if larger (Linux keeps the high-water mark across the
    vfork and exec that start it), so the floor would be the bench's size, not the command's.
    CPU time is the rusage of the waited process, which includes the children it waited for.
    """
    with tempfile.NamedTemporaryFile(prefix="cca-bench-") as errors, tempfile.NamedTemporaryFile() as peak:
        wrapped = [TIME, "-f", "%M", "-o", peak.name, *job.command] if TIME else job.command
        out = job.stdout.open("wb") if job.stdout else subprocess.DEVNULL
        try:
            started = time.perf_counter()
            process = subprocess.Popen(
                wrapped,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=errors,
                env=job.env,
                preexec_fn=limit(job.cap_mb) if job.cap_mb else None,
            )
            _, status, usage = os.wait4(process.pid, 0)
            elapsed = time.perf_counter() - started
        finally:
            if not isinstance(out, int):
                out.close()
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            tail = Path(errors.name).read_text(errors="replace")[-2000:]
            raise CommandFailed(f"bench: {' '.join(job.command)} exited {code}\n{tail}")
        lines = Path(peak.name).read_text().split()
    kb = int(lines[-1]) if TIME else usage.ru_maxrss
    return Sample(elapsed, kb, usage.ru_utime + usage.ru_stime)


def summary(samples: list[Sample]) -> Figure:
    """Median time and CPU, and the highest peak, of one item's runs."""
    return Figure(
        statistics.median(s.seconds for s in samples),
        max(s.peak_kb for s in samples) / 1024,
        len(samples),
        statistics.median(s.cpu for s in samples),
        tuple(s.seconds for s in samples),
    )


def alternate(makers: Mapping[str, Callable[[int], Job]], runs: int, budget: float | None = None) -> dict[str, Figure]:
    """Each item's figure, its runs taken in rounds (`make(i)` prepares run i of an item).

    Rounds go on until `runs`, or, with a budget, until one more round would pass it (at least one).
    Every other round takes the items in reverse order, so that none always runs first (or right after
    the same neighbour); each item's samples stay in round order, so two items' runs pair by round.
    """
    samples: dict[str, list[Sample]] = {name: [] for name in makers}
    spent, last = 0.0, 0.0
    rounds = 0
    while rounds < runs and (budget is None or rounds == 0 or spent + last <= budget):
        before = spent
        order = list(makers.items())
        for name, make in order if rounds % 2 == 0 else reversed(order):
            sample = measure(make(rounds))
            samples[name].append(sample)
            spent += sample.seconds
        last = spent - before
        rounds += 1
    return {name: summary(found) for name, found in samples.items()}


def warm_up(jobs: Mapping[str, Job], rounds: int = 2) -> None:
    """Run each command a few times untimed: caches built, files and code in the page cache."""
    for _ in range(rounds):
        for job in jobs.values():
            measure(job)


def same(job: Job) -> Callable[[int], Job]:
    """A maker that gives the same job for every run."""

    def make(_run: int) -> Job:
        return job

    return make


def side_by_side(pairs: Mapping[str, tuple[Job, Job]], runs: int) -> dict[str, tuple[Figure, Figure]]:
    """Each pair of commands run back to back, `runs` rounds of every pair, which of the two goes first
    alternating round by round: the runs of a pair are as close in time as two processes can be, so
    the pair's ratio round by round sees the same machine (see :mod:`ccabench.against`)."""
    samples: dict[str, tuple[list[Sample], list[Sample]]] = {name: ([], []) for name in pairs}
    for round_number in range(runs):
        for name, jobs in pairs.items():
            for side in (0, 1) if round_number % 2 == 0 else (1, 0):
                samples[name][side].append(measure(jobs[side]))
    return {name: (summary(one), summary(other)) for name, (one, other) in samples.items()}


def compare(jobs: Mapping[str, Job], runs: int) -> dict[str, Figure]:
    """Median time and peak memory of each command, run in alternation (after `warm_up`)."""
    return alternate({name: same(job) for name, job in jobs.items()}, runs)


def repeat(make: Callable[[int], Job], runs: int, budget: float = SLOW_BUDGET) -> Figure:
    """A slow item: one fresh process per run (`make(i)` prepares run i), until `runs` or the budget."""
    return alternate({"": make}, runs, budget)[""]


def read_through(path: Path) -> None:
    """Read a file once, so that every timed process finds it in the page cache."""
    with path.open("rb") as handle:
        while handle.read(1 << 20):
            pass
