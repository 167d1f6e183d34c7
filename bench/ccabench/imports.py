"""The parts that import: CSV against DuckDB, the workbook against pandas, and what follows an import
(the next command after an edit, the first load with an empty cache)."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ccabench.common import with_data
from ccabench.context import Context, Row, bound_row, close, failure, label, money, ratio_row, role, run
from ccabench.inputs import LAOS, gcdf_csv, gcdf_xlsx, record_ids
from ccabench.timing import CommandFailed, Job, alternate, read_through, repeat, same, warm_up

USD = "Amount (Constant USD 2021)"
SHEET = "GCDF_3.0"


def imports(ctx: Context) -> list[Row]:
    """`cca import aiddata FILE --all` against DuckDB's read_csv_auto, at each size; memory at the larger ones."""
    out: list[Row] = []
    duck = ctx.peers.duckdb
    for index, bound_mb in ((0, None), (1, 400), (2, 600)):
        rows = role(ctx, index)
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
        work = f"import {label(rows)}, CSV"
        try:
            figures = alternate(makers, ctx.runs, ctx.budget)
        except CommandFailed as error:
            ctx.failed.setdefault(rows, error)
            why = failure(error, ctx.cap_mb)
            if index < 2:
                # the peer's figure all the same, for scale
                scale = repeat(duck_run, ctx.runs, ctx.budget) if with_peer else None
                out.append(Row(work, None, "≤ 4× DuckDB", False, duck.name if duck else "", scale, answers=why))
            if bound_mb is not None:
                out.append(Row(f"import {label(rows)}, peak memory", None, f"< {bound_mb} MB", False, answers=why))
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
            out.append(bound_row(f"import {label(rows)}, peak memory", figures["cca"], bound_mb, "MB"))
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
        and close(mine["usd_2021"], peer["usd_2021"])
    )
    shown = f"{mine['rows']:,} rows, {mine['with_amount']:,} amounts, {money(mine['usd_2021'])}"
    if row.same:
        row.answers = f"equal: {shown}"
    else:
        theirs = f"{peer['rows']:,} rows, {peer['with_amount']:,} amounts, {money(peer['usd_2021'])}"
        row.answers = f"cca {shown}; peer {theirs}"


def xlsx(ctx: Context) -> list[Row]:
    """The same import from the workbook, against pandas' read_excel with calamine."""
    rows = ctx.rows[0]
    work = f"import {label(rows)}, xlsx"
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
        return [Row(work, None, "≤ 2× pandas", False, answers=failure(error, ctx.cap_mb))]
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
    work = f"next command after editing links.yaml beside {label(rows)}"
    sys.stderr.write(f"bench: {work}\n")
    folder = ctx.work / "edit-data"
    shutil.copytree(ctx.dataset(rows), folder)  # a copy: the edits must not reach the other scenarios
    links = folder / "links.yaml"
    targets = [f"aiddata-{rid}" for rid in record_ids(gcdf_csv(rows), LAOS, 2)]
    if not targets:
        return [Row(work, None, "≤ 3× warm", None, why_not=f"no Laos row in {label(rows)}")]
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
        return [Row(work, None, "≤ 3× warm", False, answers=failure(error, ctx.cap_mb))]
    row = ratio_row(work, figures["after"], "the same command, warm", figures["warm"], 3, "warm")
    first, second = (json.loads(p.read_text(encoding="utf-8")) for p in (after, warm))
    # the edit must show at once: the railway names the row the last edit linked, in both outputs
    linked = targets[figures["after"].runs % len(targets)]
    seen = [r.get("same_as") for r in first if r.get("id") == "china-laos-railway"]
    row.same = first == second and seen == [[linked]]
    if row.same:
        row.answers = f"equal: {len(first):,} records, the edit's link shown"
    elif first != second:
        row.answers = f"differ: {len(first):,} records after the edit, {len(second):,} warm"
    else:
        row.answers = f"stale: the railway's same_as is {seen}, the edit says [{linked!r}]"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.rmtree(ctx.work / "edit-cache", ignore_errors=True)
    return [row]


def first_loads(ctx: Context) -> list[Row]:
    """`projects -c Laos --json` with an empty cache beside the import: under 3 s at 21,000 rows."""
    out: list[Row] = []
    for index in (0, 1):
        rows = role(ctx, index)
        if rows is None:
            continue
        work = f"first load, empty cache, {label(rows)} imported"
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
            out.append(Row(work, None, target, False, answers=failure(error, ctx.cap_mb)))
            continue
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        out.append(bound_row(work, figure, 3, "s") if index == 0 else Row(work, figure, target, None))
    return out
