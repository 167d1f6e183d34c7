"""The parts that ask: cca's listings, search and stats against sqlite3 on cca's own export, a first load
of PyYAML's layout against json.load, and --version against the query."""

from __future__ import annotations

import json
import sqlite3
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ccabench.common import with_cache
from ccabench.context import NOMINAL, Context, Row, close, failure, label, money, ratio_row, run
from ccabench.knowledge import pyyaml_layout
from ccabench.listings import FIRST_LOAD, JSON_LOAD, first_load
from ccabench.timing import CommandFailed, Job, compare, warm_up

SEARCH_WORDS = ("hospital", "school", "water", "bridge", "road", "port", "power", "railway")
SEARCH_HITS = 1_800  # at 21,000 rows: how many hits the searched word should have
TYPED_EXPORT = "needs the typed export"
STATS_SQL = (
    "select recipient, count(*) as records, sum(adjusted_usd_2021) as adjusted_usd_2021 "
    "from projects where for_aggregates = 1 group by recipient"
)


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
        ctx, f"all projects as JSON Lines ({label(rows)} imported)", "jsonl", ["projects", "--format", "jsonl"], sql, 2
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
    work = f"full-text search '{word}' ({hits:,} hits, {label(ctx.rows[0])} imported)"
    done = _sqlite_pair(ctx, work, "search", ["search", word, "--format", "jsonl"], sql, 3)
    if isinstance(done, Row):
        return [done]
    row, mine, theirs = done
    _same_records(row, mine, theirs, "kind", "id")
    return [row]


def stats(ctx: Context) -> list[Row]:
    """`cca stats --by country --json` against a GROUP BY on the export's typed columns."""
    work = f"stats by recipient ({label(ctx.rows[0])} imported)"
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
    cca = {r["country"]: (r["records"] - bundled.get(r["country"], 0), r["adjusted_usd_2021"]) for r in mine}
    cca = {k: v for k, v in cca.items() if v[0] or v[1]}
    peer = {r["recipient"]: (r["records"], r["adjusted_usd_2021"]) for r in theirs if r.get("recipient") is not None}

    def agree(a: tuple[int, float | None], b: tuple[int, float | None]) -> bool:
        return a[0] == b[0] and close(a[1], b[1])

    if cca.keys() == peer.keys():
        row.same = all(agree(cca[k], peer[k]) for k in cca)
        how = "by name"
    else:  # the export may name countries otherwise (an official name): compare the figures alone
        row.same = sorted((n, round(s or 0)) for n, s in cca.values()) == sorted(
            (n, round(s or 0)) for n, s in peer.values()
        )
        how = "by figures; names differ"
    total = sum(s or 0 for _, s in cca.values())
    row.answers = f"{'equal' if row.same else 'differ'} ({how}): {len(cca)} recipients, {money(total)}"


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
        return [Row(work, None, "≤ 8× json.load", False, answers=failure(error, ctx.cap_mb))]
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
