"""What each command does with its parsed options; the one implementation behind both parsers.

The Typer app (:mod:`cca.cli.main`) and the fast path (:mod:`cca.cli.fast`) both end
here with the same option names and values, so a command behaves the same whichever
parsed it. Nothing here imports Typer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from cca.cli.edge import Flags
from cca.cli.session import Session, State, kb, session, stderr_is_terminal
from cca.cli.stream import note
from cca.core.errors import QueryError


def start(options: Mapping[str, Any]) -> None:
    """The global options: which knowledge, which cache, whether to debug."""
    from cca.core.settings import Settings

    Flags.debug = bool(options.get("debug"))
    paths = []
    for entry in options.get("knowledge") or ():
        if not entry.strip():
            raise QueryError("--knowledge needs a file or directory, not an empty path")
        paths.append(Path(entry))
    data_dir = options.get("data_dir")
    if data_dir is not None and not data_dir.strip():
        raise QueryError("--data-dir needs a directory, not an empty path")
    chosen_data: bool | Path | None = False if options.get("no_data_dir") else (Path(data_dir) if data_dir else None)
    settings = Settings.from_environ(
        knowledge=paths,
        bundled=False if options.get("no_bundled") else None,
        data_dir=chosen_data,
        cache=False if options.get("no_cache") else None,
    )
    State.session = Session(settings)
    Flags.retry = State.session.rebuild


def _out(options: Mapping[str, Any], fields: bool = True) -> Any:
    from cca.cli.output import Out

    out = Out.of(options.get("fmt"), bool(options.get("json_")), options.get("fields") if fields else None)
    if options.get("cite"):
        from cca.cli.citing import check

        check(out, True)
        out.cite = True
    return out


def _value(choice: Any) -> Any:
    """A choice as text, whether Typer made it an enum member or the fast path kept the string."""
    return getattr(choice, "value", choice)


def _limit(options: Mapping[str, Any]) -> int | None:
    limit = options.get("limit")
    if limit is not None and not 1 <= limit <= 2**62:
        raise QueryError(f"--limit {limit}: give a number of records from 1 to {2**62}")
    return int(limit) if limit is not None else None


def query(kind_name: str, options: Mapping[str, Any]) -> Any:
    """The question a command line asks: the kind, every filter given, the sort, the limit, the fields."""
    from cca.core.filters import FILTERS
    from cca.core.kinds import KINDS
    from cca.core.query import Query, SortKey

    filters: dict[str, Any] = {}
    for item in FILTERS.for_kind(KINDS[kind_name]):
        value = options.get(item.name)
        if value:
            filters[item.name] = value
    keys = [SortKey.parse(text) for text in options.get("sort") or ()]
    if options.get("desc"):
        if not keys:
            raise QueryError("--desc sorts the --sort fields descending: give --sort FIELD too")
        keys = [SortKey(key.field, True) for key in keys]
    fields = options.get("fields")
    return Query.of(
        kind_name,
        sort=keys,
        limit=_limit(options),
        fields=[f.strip() for f in fields.split(",") if f.strip()] if fields else None,
        **filters,
    )


def overview(options: Mapping[str, Any]) -> None:
    from cca.cli.answers import overview as show_overview

    show_overview(kb())


def listing(kind_name: str, options: Mapping[str, Any]) -> None:
    from cca.cli.answers import list_records

    list_records(kb(), _out(options), query(kind_name, options))


def link(options: Mapping[str, Any]) -> None:
    from cca.cli import answers

    action = str(_value(options.get("action") or "list"))
    ids = list(options.get("ids") or ())
    if action in ("list", "suggest"):
        if ids:
            raise QueryError(f"cca link {action} takes no ids (cca link confirm CURATED RECORD... does)")
        if action == "list":
            if options.get("datasets"):
                raise QueryError("--datasets is for cca link suggest")
            answers.link_list(kb(), _out(options, fields=False))
            return
        score = int(options.get("min_score") or 0)
        if not 0 <= score <= 100:
            raise QueryError(f"--min-score {score}: give a score from 0 to 100")
        if options.get("datasets"):
            from cca.cli.pairing import dataset_pairs

            dataset_pairs(kb(), _out(options, fields=False), score)
            return
        answers.link_suggestions(kb(), _out(options, fields=False), score)
        return
    if len(ids) < 2:
        raise QueryError(
            f"cca link {action} needs a curated project and one or more dataset records: CURATED RECORD..."
        )
    answers.link_decision(kb(), session().settings, action, ids[0], ids[1:])


def stats(options: Mapping[str, Any]) -> None:
    from cca.cli.sums import finance_stats

    asked = query("project", {**options, "sort": None, "desc": False})
    keys = list(options.get("sort") or ())
    amounts = options.get("amount")
    finance_stats(
        kb(),
        _out(options, fields=False),
        asked,
        [str(_value(choice)) for choice in options.get("by") or ()],
        measures=[amounts] if isinstance(amounts, str) else [str(a) for a in amounts or ()],
        all_rows=bool(options.get("all_rows")),
        split=str(_value(options.get("split") or "even")),
        sort=keys,
        descending=bool(options.get("desc")),
    )


def cite(options: Mapping[str, Any]) -> None:
    from cca.cli.answers import lookup
    from cca.cli.citing import cite_records

    knowledge = kb()
    records = [lookup(knowledge, text) for text in options.get("ids") or ()]
    cite_records(knowledge, records, str(_value(options.get("fmt") or "text")))


def aspects(options: Mapping[str, Any]) -> None:
    from cca.cli.answers import list_aspects

    list_aspects(kb(), _out(options), options.get("number"))


def country(options: Mapping[str, Any]) -> None:
    from cca.cli.answers import country_profile

    country_profile(kb(), _out(options, fields=False), options["name"])


def search(options: Mapping[str, Any]) -> None:
    from cca.cli.answers import search_records

    search_records(kb(), _out(options), options["text"], options.get("kind") or [], _limit(options))


def show(options: Mapping[str, Any]) -> None:
    from cca.cli.answers import show_record

    show_record(kb(), _out(options, fields=False), options["record"])


def schema(options: Mapping[str, Any]) -> None:
    from cca.cli.answers import print_schema

    print_schema(options.get("kind") or "knowledge")


def export(options: Mapping[str, Any]) -> None:
    from cca.cli.answers import export as run_export

    run_export(
        kb(),
        options["path"],
        str(_value(options.get("fmt") or "sqlite")).lower(),
        bool(options.get("force")),
        bool(options.get("bom")),
    )


def validate(options: Mapping[str, Any]) -> None:
    from cca.io.load import load

    extra = []
    for entry in options.get("files") or ():
        if not entry.strip():
            raise QueryError("validate needs files or directories, not an empty path")
        extra.append(Path(entry))
    sources_dir = options.get("sources_dir")
    from cca.io.safefile import describe, is_directory

    if sources_dir is not None and not is_directory(Path(sources_dir)):
        raise QueryError(f"--sources: {describe(repr(sources_dir))} is not a directory")
    knowledge = load(
        settings=session().settings.with_knowledge(extra),
        sources_dir=sources_dir,
        report=note if stderr_is_terminal() else None,
    )
    counts = ", ".join(
        f"{n} {kind if n == 1 else knowledge.kinds[kind].plural}" for kind, n in knowledge.counts().items() if n
    )
    checked = " with every quote found verbatim" if sources_dir is not None else ""
    files = len(knowledge.files)
    note(f"ok: {len(knowledge)} records in {files} file{'s' if files != 1 else ''}{checked} ({counts})")
    foreign = knowledge.foreign_units()
    for where, record_id, level, unit, iso3, recipient in foreign[:20]:
        note(
            f"{where.path}:{where.line}: {record_id}: {level.upper()} unit {unit!r} is in {iso3}, outside the "
            f"recipient's country ({recipient or 'unknown'}): marked foreign, kept as the dataset gives it"
        )
    if len(foreign) > 20:
        note(f"and {len(foreign) - 20:,} more units outside their record's recipient country")


def import_dataset(options: Mapping[str, Any]) -> None:
    from cca.cli.edge import option
    from cca.core.errors import named
    from cca.io import importers, importing

    settings = session().settings
    chosen = options.get("importer")
    if options.get("remove") is not None:
        if chosen or options.get("file"):
            raise QueryError("--remove NAME takes no importer or file")
        removed = importing.remove(settings, options["remove"])
        note(f"removed the import {options['remove']!r} ({removed})")
        return
    if chosen is None:
        from cca.cli.answers import list_imports

        list_imports(settings, _out(options, fields=False))
        return
    importer = importers.find(str(chosen))
    file = options.get("file")
    if not file or not file.strip():
        raise QueryError(f"cca import {importer.name} needs the file to import: {importer.reads}")
    path = Path(file)
    given = options.get("sheet")
    sheets = [given] if isinstance(given, str) else list(given or ())
    summary = importing.run(
        importer,
        path,
        str(path),
        settings,
        importers.ImportOptions(
            every_recipient=bool(options.get("every_recipient")),
            skip_bad_rows=bool(options.get("skip_bad_rows")),
            sheet=sheets[0] if sheets else None,
            name=options.get("name"),
            replace=bool(options.get("replace")),
            sheets=tuple(sheets),
            locations=tuple(options.get("locations") or ()),
        ),
        report=note if stderr_is_terminal() else None,
    )
    for line in summary.skipped:
        note(f"skipped: {line}")
    told = [f"imported {summary.imported:,} of {summary.rows:,} rows into {summary.path}"]
    if summary.outside:
        told.append(
            f"{summary.outside:,} row{'s' if summary.outside != 1 else ''} "
            f"{named(summary.outside_why, summary.params, option)}"
        )
    if summary.skipped:
        told.append(f"{len(summary.skipped):,} problems in rows left out (--skip-bad-rows)")
    if summary.replaced:
        told.append(f"{summary.replaced:,} rows taken over from other imports (--replace)")
    note("; ".join(told))
    for line in summary.notes:
        note(line)


#: Commands with an implementation of their own; every other command lists the kind it is named after.
COMMANDS: dict[str, Callable[[Mapping[str, Any]], None]] = {
    "aspects": aspects,
    "country": country,
    "search": search,
    "show": show,
    "import": import_dataset,
    "stats": stats,
    "cite": cite,
    "link": link,
    "schema": schema,
    "export": export,
    "validate": validate,
}


def run(command: str, options: Mapping[str, Any]) -> None:
    """Run ``command`` with its parsed options."""
    own = COMMANDS.get(command)
    if own is not None:
        own(options)
        return
    from cca.core.kinds import KINDS

    kind = KINDS.lookup(command)
    if kind is None:  # pragma: no cover - both parsers only accept known commands
        raise QueryError(f"no command {command!r}")
    listing(kind.name, options)
