"""cca against the tools an analyst would otherwise use, on the same files and questions (issue 16's targets).

Each scenario times cca and its peer in alternation, checks that both gave the same answer where
both give one (counts and sums), and returns rows for the targets table. Nothing here depends on
the names of the files in cca's data directory: cca is only ever given ``--data-dir``.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ccabench.common import with_cache, with_data
from ccabench.inputs import LAOS, gcdf_csv, gcdf_xlsx, record_ids
from ccabench.knowledge import pyyaml_layout
from ccabench.listings import FIRST_LOAD, JSON_LOAD, first_load
from ccabench.peers import Peers
from ccabench.timing import CommandFailed, Figure, Job, alternate, compare, limit, read_through, repeat, same, warm_up

SOURCE = "aiddata-gcdf-3"  # the import's source id: its rows, and no curated record
USD = "Amount (Constant USD 2021)"
SHEET = "GCDF_3.0"
NOMINAL = (21_000, 100_000, 500_000)  # the sizes the targets are set at: small, large, huge
SEARCH_WORDS = ("hospital", "school", "water", "bridge", "road", "port", "power", "railway")
SEARCH_HITS = 1_800  # at 21,000 rows: how many hits the searched word should have
TYPED_EXPORT = "needs the typed export"
STATS_SQL = (
    "select recipient, count(*) as records, sum(usd_2021) as usd_2021 "
    "from projects where for_aggregates = 1 group by recipient"
)
SCENARIOS = ("import", "xlsx", "edit", "first-load", "jsonl", "search", "stats", "yaml", "version")


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


def _reason(error: Exception) -> str:
    """The telling line of a failed command's stderr: its last, less cca's closing count and scratch paths."""
    lines = [line for line in str(error).splitlines()[1:] if line.strip() and not _SUMMARY.match(line)]
    return _PLACE.sub("", lines[-1])[:160] if lines else "no message"


def _failure(error: CommandFailed, cap_mb: int) -> str:
    """Why a command failed, in a few words: the memory cap, or the telling line of its stderr."""
    text = str(error)
    if any(sign in text for sign in ("MemoryError", "Cannot allocate memory", "memory allocation of")):
        return f"failed: over the {cap_mb:,} MB memory cap (--memory-cap)"
    return f"failed: {_reason(error)}"


def _money(value: float | None) -> str:
    return "no amount" if value is None else f"US$ {value / 1e9:,.2f} bn"


def _close(a: float | None, b: float | None) -> bool:
    """Sums agree to the cent (cca rounds to cents) or to 1e-9 of their size (the order of adding differs)."""
    if a is None or b is None:
        return (a or 0.0) == (b or 0.0)
    return abs(a - b) <= max(0.01, 1e-9 * abs(b))


# -- the imported datasets every query scenario reads ------------------------------------------------------


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
        command = [*self.cca, "--data-dir", str(data_dir), "stats", "--all-rows", "--source", SOURCE, "--json"]
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


def _role(ctx: Context, index: int) -> int | None:
    return ctx.rows[index] if index < len(ctx.rows) else None


def _label(rows: int) -> str:
    return f"{rows:,} rows"


# -- the scenarios ------------------------------------------------------------------------------------------


def imports(ctx: Context) -> list[Row]:
    """`cca import aiddata FILE --all` against DuckDB's read_csv_auto, at each size; memory at the larger ones."""
    out: list[Row] = []
    duck = ctx.peers.duckdb
    for index, bound_mb in ((0, None), (1, 400), (2, 600)):
        rows = _role(ctx, index)
        if rows is None:
            continue
        sys.stderr.write(f"bench: import {rows:,} rows, CSV\n")
        source = gcdf_csv(rows)
        read_through(source)
        with_peer = duck is not None and index < 2
        folder = ctx.work / f"import-{rows}"

        def cca_run(i: int, source: Path = source, folder: Path = folder) -> Job:
            shutil.rmtree(folder / str(i - 1), ignore_errors=True)  # the last run's output is kept for the check
            return ctx.import_job(source, folder / str(i) / "data", folder / str(i) / "cache")

        def duck_run(i: int, source: Path = source, folder: Path = folder) -> Job:
            assert duck is not None
            (folder / f"duck-{i - 1}.duckdb").unlink(missing_ok=True)
            (folder / f"duck-{i}.duckdb").unlink(missing_ok=True)
            sql = f"CREATE TABLE t AS SELECT * FROM read_csv_auto('{str(source).replace(chr(39), chr(39) * 2)}')"
            return duck.job(folder / f"duck-{i}.duckdb", sql, ctx.env)

        makers: dict[str, Callable[[int], Job]] = {"cca": cca_run}
        if with_peer:
            folder.mkdir(parents=True, exist_ok=True)
            assert duck is not None
            run(duck_run(-1))  # warm-up: DuckDB's binary and the file in the page cache
            makers["peer"] = duck_run
        work = f"import {_label(rows)}, CSV"
        try:
            figures = alternate(makers, ctx.runs, ctx.budget)
        except CommandFailed as error:
            ctx.failed.setdefault(rows, error)
            why = _failure(error, ctx.cap_mb)
            if index < 2:
                # the peer's figure all the same, for scale
                scale = repeat(duck_run, ctx.runs, ctx.budget) if with_peer else None
                out.append(Row(work, None, "≤ 4× DuckDB", False, duck.name if duck else "", scale, answers=why))
            if bound_mb is not None:
                out.append(Row(f"import {_label(rows)}, peak memory", None, f"< {bound_mb} MB", False, answers=why))
            shutil.rmtree(folder, ignore_errors=True)
            continue
        last = folder / str(figures["cca"].runs - 1)
        adopted = index < 2 and rows not in ctx.data  # kept for the query scenarios
        if adopted:
            ctx.data[rows] = last / "data"
        if with_peer:
            assert duck is not None
            row = ratio_row(work, figures["cca"], duck.name, figures["peer"], 4, "DuckDB")
            peer = duck_totals(ctx, folder / f"duck-{figures['peer'].runs - 1}.duckdb")
            cache = ctx.work / f"dataset-{rows}-cache" if adopted else last / "check-cache"
            _check_import(ctx, row, last / "data", cache, peer)
            if adopted:  # the check built its cache
                ctx.caches[rows] = cache
            out.append(row)
        elif index < 2:
            out.append(Row(work, figures["cca"], "≤ 4× DuckDB", None, why_not="DuckDB not installed"))
        if bound_mb is not None:
            out.append(bound_row(f"import {_label(rows)}, peak memory", figures["cca"], bound_mb, "MB"))
        if index == 2:
            shutil.rmtree(folder, ignore_errors=True)
    return out


def duck_totals(ctx: Context, database: Path) -> dict[str, Any]:
    assert ctx.peers.duckdb is not None
    sql = f'select count(*) as "rows", count("{USD}") as with_amount, sum("{USD}") as usd_2021 from t'
    (found,) = ctx.peers.duckdb.query(database, sql)
    return found


def _check_import(ctx: Context, row: Row, data_dir: Path, cache: Path, peer: dict[str, Any]) -> None:
    """The rows cca imported, those with an amount and their sum, against what the peer read."""
    mine = ctx.totals(data_dir, cache)
    row.same = (
        mine["rows"] == peer["rows"]
        and mine["with_amount"] == peer["with_amount"]
        and _close(mine["usd_2021"], peer["usd_2021"])
    )
    shown = f"{mine['rows']:,} rows, {mine['with_amount']:,} amounts, {_money(mine['usd_2021'])}"
    if row.same:
        row.answers = f"equal: {shown}"
    else:
        theirs = f"{peer['rows']:,} rows, {peer['with_amount']:,} amounts, {_money(peer['usd_2021'])}"
        row.answers = f"cca {shown}; peer {theirs}"


def xlsx(ctx: Context) -> list[Row]:
    """The same import from the workbook, against pandas' read_excel with calamine."""
    rows = ctx.rows[0]
    work = f"import {_label(rows)}, xlsx"
    sys.stderr.write(f"bench: {work}\n")
    workbook = gcdf_xlsx(rows)
    read_through(workbook)
    folder = ctx.work / f"xlsx-{rows}"
    pandas = ctx.peers.pandas

    def cca_run(i: int) -> Job:
        shutil.rmtree(folder / str(i - 1), ignore_errors=True)
        return ctx.import_job(workbook, folder / str(i) / "data", folder / str(i) / "cache")

    makers: dict[str, Callable[[int], Job]] = {"cca": cca_run}
    answer = ctx.out("pandas.json")
    if pandas is not None:
        makers["peer"] = same(pandas.job(workbook, SHEET, USD, ctx.env, answer))
    try:
        figures = alternate(makers, ctx.runs, ctx.budget)
    except CommandFailed as error:
        return [Row(work, None, "≤ 2× pandas", False, answers=_failure(error, ctx.cap_mb))]
    if pandas is None:
        return [Row(work, figures["cca"], "≤ 2× pandas", None, why_not="pandas not installed")]
    row = ratio_row(work, figures["cca"], pandas.name, figures["peer"], 2, "pandas")
    last = folder / str(figures["cca"].runs - 1)
    _check_import(ctx, row, last / "data", last / "check-cache", json.loads(answer.read_text(encoding="utf-8")))
    shutil.rmtree(folder, ignore_errors=True)
    return [row]


LINKS = """# Links from the article's projects to AidData's rows (bench, edit {edit})
format: 1
updates:
  - id: china-laos-railway
    same_as: [{target}]
"""


def edit(ctx: Context) -> list[Row]:
    """The next command after editing a five-line links.yaml beside the import, against the same command warm."""
    rows = ctx.rows[0]
    work = f"next command after editing links.yaml beside {_label(rows)}"
    sys.stderr.write(f"bench: {work}\n")
    folder = ctx.work / "edit-data"
    shutil.copytree(ctx.dataset(rows), folder)  # a copy: the edits must not reach the other scenarios
    links = folder / "links.yaml"
    targets = [f"aiddata-{rid}" for rid in record_ids(gcdf_csv(rows), LAOS, 2)]
    if not targets:
        return [Row(work, None, "≤ 3× warm", None, why_not=f"no Laos row in {_label(rows)}")]
    links.write_text(LINKS.format(edit=0, target=targets[0]), encoding="utf-8")
    env = with_data(ctx.env, ctx.work / "edit-cache")
    laos = [*ctx.cca, "--data-dir", str(folder), "projects", "-c", "Laos", "--json"]
    after, warm = ctx.out("after-edit.json"), ctx.out("warm.json")
    warm_up({"": Job(laos, env)})

    def edited(i: int) -> Job:
        links.write_text(LINKS.format(edit=i + 1, target=targets[(i + 1) % len(targets)]), encoding="utf-8")
        return Job(laos, env, after)

    try:
        figures = alternate({"after": edited, "warm": same(Job(laos, env, warm))}, ctx.runs, ctx.budget)
    except CommandFailed as error:
        return [Row(work, None, "≤ 3× warm", False, answers=_failure(error, ctx.cap_mb))]
    row = ratio_row(work, figures["after"], "the same command, warm", figures["warm"], 3, "warm")
    first, second = (json.loads(p.read_text(encoding="utf-8")) for p in (after, warm))
    row.same = first == second
    row.answers = (
        f"equal: {len(first):,} records" if row.same else f"{len(first):,} records after, {len(second):,} warm"
    )
    shutil.rmtree(folder, ignore_errors=True)
    shutil.rmtree(ctx.work / "edit-cache", ignore_errors=True)
    return [row]


def first_loads(ctx: Context) -> list[Row]:
    """`projects -c Laos --json` with an empty cache beside the import: under 3 s at 21,000 rows."""
    out: list[Row] = []
    for index in (0, 1):
        rows = _role(ctx, index)
        if rows is None:
            continue
        work = f"first load, empty cache, {_label(rows)} imported"
        sys.stderr.write(f"bench: {work}\n")
        target = "< 3 s" if index == 0 else "— (reported)"
        folder = ctx.work / f"first-{rows}"

        def fresh(i: int, rows: int = rows, folder: Path = folder) -> Job:
            shutil.rmtree(folder / str(i - 1), ignore_errors=True)
            return Job(ctx.cca_on(rows, "projects", "-c", "Laos", "--json"), with_data(ctx.env, folder / str(i)))

        try:
            ctx.dataset(rows)
            figure = repeat(fresh, ctx.runs, ctx.budget)
        except CommandFailed as error:
            out.append(Row(work, None, target, False, answers=_failure(error, ctx.cap_mb)))
            continue
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        out.append(bound_row(work, figure, 3, "s") if index == 0 else Row(work, figure, target, None))
    return out


def _json_columns(database: Path, table: str) -> tuple[list[str], set[str]]:
    """A table's columns, and those holding JSON lists or objects (to be nested, not quoted)."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        columns = [str(r[1]) for r in connection.execute(f"PRAGMA table_info({table})")]
        nested = {
            c
            for c in columns
            if connection.execute(
                f"SELECT 1 FROM {table} WHERE substr(\"{c}\", 1, 1) IN ('[', '{{') AND json_valid(\"{c}\") LIMIT 1"
            ).fetchone()
        }
    return columns, nested


def _ids(path: Path, *keys: str) -> Iterator[tuple[Any, ...]]:
    """The given keys of each JSON line of a file (read as a stream)."""
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                record = json.loads(line)
                yield tuple(record.get(k) for k in keys)


def _same_records(row: Row, mine: Path, theirs: Path, *keys: str) -> None:
    a, b = Counter(_ids(mine, *keys)), Counter(_ids(theirs, *keys))
    row.same = a == b
    n = sum(a.values())
    row.answers = f"equal: {n:,} records" if row.same else f"cca {n:,}, peer {sum(b.values()):,}; {len(a - b)} differ"


def _sqlite_pair(
    ctx: Context, work: str, name: str, cca_args: list[str], sql: str, bound: float, *, json_mode: bool = False
) -> tuple[Row, Path, Path] | Row:
    """cca's command and sqlite3's query on cca's export, alternated after warm-up (outputs kept to check)."""
    rows = ctx.rows[0]
    sys.stderr.write(f"bench: {work}\n")
    env = ctx.warm_env(rows)
    mine, theirs = ctx.out(f"{name}-cca"), ctx.out(f"{name}-sqlite")
    cca_job = Job(ctx.cca_on(rows, *cca_args), env, mine)
    sqlite = ctx.peers.sqlite
    if sqlite is None:
        warm_up({"": cca_job}, 1)
        figure = compare({"cca": cca_job}, ctx.runs)["cca"]
        return Row(work, figure, f"≤ {bound:g}× sqlite3", None, why_not="sqlite3 not installed")
    database = ctx.export(rows)
    problem = sqlite.error(database, sql)
    if problem is not None:
        warm_up({"": cca_job}, 1)
        figure = compare({"cca": cca_job}, ctx.runs)["cca"]
        why = TYPED_EXPORT if "no such column" in problem else f"sqlite3: {problem.splitlines()[-1][:80]}"
        return Row(work, figure, f"≤ {bound:g}× sqlite3", None, sqlite.name, why_not=why)
    peer_job = sqlite.job(database, sql, ctx.env, theirs, json_mode=json_mode)
    jobs = {"cca": cca_job, "peer": peer_job}
    warm_up(jobs, 1)
    figures = compare(jobs, ctx.runs)
    return ratio_row(work, figures["cca"], sqlite.name, figures["peer"], bound, "sqlite3"), mine, theirs


def jsonl(ctx: Context) -> list[Row]:
    """Every project as JSON Lines, against sqlite3's json_object over the export's projects table."""
    rows = ctx.rows[0]
    sql = ""
    if ctx.peers.sqlite is not None:
        columns, nested = _json_columns(ctx.export(rows), "projects")
        pairs = ", ".join(f"'{c}', " + (f'json("{c}")' if c in nested else f'"{c}"') for c in columns)
        sql = f"select json_object({pairs}) from projects"
    done = _sqlite_pair(
        ctx, f"all projects as JSON Lines ({_label(rows)} imported)", "jsonl", ["projects", "--format", "jsonl"], sql, 2
    )
    if isinstance(done, Row):
        return [done]
    row, mine, theirs = done
    _same_records(row, mine, theirs, "id")
    return [row]


def _search_word(ctx: Context) -> tuple[str, int]:
    """The word whose hits in the export come nearest to 1,800 at 21,000 rows (scaled to the size run)."""
    rows = ctx.rows[0]
    wanted = SEARCH_HITS * rows / NOMINAL[0]
    with sqlite3.connect(f"file:{ctx.export(rows)}?mode=ro", uri=True) as connection:
        hits = {
            w: int(connection.execute("SELECT count(*) FROM search WHERE search MATCH ?", (w,)).fetchone()[0])
            for w in SEARCH_WORDS
        }
    word = min(SEARCH_WORDS, key=lambda w: (abs(hits[w] - wanted), w))
    return word, hits[word]


def search(ctx: Context) -> list[Row]:
    """`cca search WORD --format jsonl` against an FTS5 query on the export's search table."""
    word, hits = _search_word(ctx)
    sql = (
        "select json_object('kind', kind, 'id', id, 'name', name) from search "
        f"where search match '{word}' order by rank"
    )
    work = f"full-text search '{word}' ({hits:,} hits, {_label(ctx.rows[0])} imported)"
    done = _sqlite_pair(ctx, work, "search", ["search", word, "--format", "jsonl"], sql, 3)
    if isinstance(done, Row):
        return [done]
    row, mine, theirs = done
    _same_records(row, mine, theirs, "kind", "id")
    return [row]


def stats(ctx: Context) -> list[Row]:
    """`cca stats --by country --json` against a GROUP BY on the export's typed columns."""
    work = f"stats by recipient ({_label(ctx.rows[0])} imported)"
    done = _sqlite_pair(ctx, work, "stats", ["stats", "--by", "country", "--json"], STATS_SQL, 2, json_mode=True)
    if isinstance(done, Row):
        return [done]
    row, mine, theirs = done
    _check_stats(ctx, row, json.loads(mine.read_text(encoding="utf-8")), json.loads(theirs.read_text() or "[]"))
    return [row]


def _check_stats(ctx: Context, row: Row, mine: list[dict[str, Any]], theirs: list[dict[str, Any]]) -> None:
    """Each recipient's count and sum. cca's counts also hold the bundled (curated) projects, which the
    export marks neither for nor against aggregates: those are taken off, counted with the bundled file alone."""
    out = ctx.out("stats-bundled")
    run(Job([*ctx.cca, "--no-data-dir", "stats", "--by", "country", "--json"], ctx.env, out))
    bundled = {r["country"]: r["records"] for r in json.loads(out.read_text(encoding="utf-8"))}
    cca = {r["country"]: (r["records"] - bundled.get(r["country"], 0), r["usd_2021"]) for r in mine}
    cca = {k: v for k, v in cca.items() if v[0] or v[1]}
    peer = {r["recipient"]: (r["records"], r["usd_2021"]) for r in theirs if r.get("recipient") is not None}

    def agree(a: tuple[int, float | None], b: tuple[int, float | None]) -> bool:
        return a[0] == b[0] and _close(a[1], b[1])

    if cca.keys() == peer.keys():
        row.same = all(agree(cca[k], peer[k]) for k in cca)
        how = "by name"
    else:  # the export may name countries otherwise (an official name): compare the figures alone
        row.same = sorted((n, round(s or 0)) for n, s in cca.values()) == sorted(
            (n, round(s or 0)) for n, s in peer.values()
        )
        how = "by figures; names differ"
    total = sum(s or 0 for _, s in cca.values())
    row.answers = f"{'equal' if row.same else 'differ'} ({how}): {len(cca)} recipients, {_money(total)}"


def yaml_layout(ctx: Context) -> list[Row]:
    """A first load of a file written by PyYAML's safe_dump, against json.load of the same records."""
    size = ctx.yaml_projects
    work = f"first load, {size:,}-project file in PyYAML's default layout"
    sys.stderr.write(f"bench: {work}\n")
    path, json_path = pyyaml_layout(size)
    cca = [*ctx.cca, "--no-data-dir", "--no-bundled", "-k", str(path)]
    env = with_cache(ctx.env, ctx.work / "yaml-cache")
    try:
        figures = first_load(cca, env, ctx.work / "yaml-first", json_path, ctx.runs, ctx.budget)
    except CommandFailed as error:
        return [Row(work, None, "≤ 8× json.load", False, answers=_failure(error, ctx.cap_mb))]
    return [ratio_row(work, figures[FIRST_LOAD], "python: json.load", figures[JSON_LOAD], 8, "json.load")]


def version(ctx: Context) -> list[Row]:
    """`cca --version` against the warm query: no slower than it."""
    sys.stderr.write("bench: --version\n")
    env = with_cache(ctx.env, ctx.work / "version-cache")
    jobs = {
        "version": Job([*ctx.cca, "--version"], env),
        "query": Job([*ctx.cca, "projects", "-c", "Laos", "--json"], env),
    }
    warm_up(jobs)
    figures = compare(jobs, ctx.runs)
    query = "cca projects -c Laos --json (warm, bundled)"
    return [ratio_row("cca --version", figures["version"], query, figures["query"], 1, "the query")]


RUNNERS: dict[str, Callable[[Context], list[Row]]] = {
    "import": imports,
    "xlsx": xlsx,
    "edit": edit,
    "first-load": first_loads,
    "jsonl": jsonl,
    "search": search,
    "stats": stats,
    "yaml": yaml_layout,
    "version": version,
}


def measure_all(ctx: Context, chosen: list[str]) -> list[Row]:
    """Every chosen scenario, in the order of SCENARIOS (imports first: the queries reuse their data)."""
    out: list[Row] = []
    for name in SCENARIOS:
        if name in chosen:
            try:
                out += RUNNERS[name](ctx)
            except CommandFailed as error:  # a setup step (an untimed import or export) failed
                sys.stderr.write(f"{error}\n")
                out.append(Row(name, None, "—", None, why_not=f"setup {_failure(error, ctx.cap_mb)}"))
    if ctx.rows[: len(NOMINAL)] != list(NOMINAL[: len(ctx.rows)]):
        sizes = " / ".join(f"{r:,}" for r in ctx.rows)
        ctx.notes.append(f"targets are set at 21,000 / 100,000 / 500,000 rows; this run used {sizes}")
    return out
