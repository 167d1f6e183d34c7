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
from cca.cli.stream import emit, note
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

    return Out.of(options.get("fmt"), bool(options.get("json_")), options.get("fields") if fields else None)


def _value(choice: Any) -> Any:
    """A choice as text, whether Typer made it an enum member or the fast path kept the string."""
    return getattr(choice, "value", choice)


def _limit(options: Mapping[str, Any]) -> int | None:
    limit = options.get("limit")
    if limit is not None and limit < 1:
        raise QueryError(f"--limit {limit}: give a number of records, 1 or more")
    return int(limit) if limit is not None else None


def overview(options: Mapping[str, Any]) -> None:
    from cca.cli.commands import overview as show_overview

    show_overview(kb())


def listing(kind_name: str, options: Mapping[str, Any]) -> None:
    from cca.cli.commands import list_records

    list_records(
        kb(),
        _out(options),
        kind_name,
        country=options.get("country") or (),
        region=options.get("region") or (),
        sector=options.get("sector") or (),
        status=options.get("status") or (),
        search=options.get("search") or (),
        limit=_limit(options),
        finance=_finance(options),
    )


def _finance(options: Mapping[str, Any]) -> dict[str, Any]:
    """The financing filters of a command line (--since, --until, --financier, --min-usd, --source)."""
    return {
        "since": options.get("since"),
        "until": options.get("until"),
        "financier": options.get("financier") or None,
        "min_usd": amount(options["min_usd"]) if options.get("min_usd") else None,
        "source": options.get("source") or None,
    }


_SCALE = {"": 1.0, "k": 1e3, "m": 1e6, "mn": 1e6, "bn": 1e9, "b": 1e9, "tn": 1e12}


def amount(text: str) -> float:
    """'100e6', '250m', '1.5bn', '2,000,000' as a number of US dollars."""
    import math
    import re

    match = re.fullmatch(r"\s*(?:US\$|\$)?\s*([0-9][0-9,_]*(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?)\s*([a-zA-Z]*)\s*", text)
    scale = _SCALE.get(match.group(2).lower()) if match else None
    if match is None or scale is None:
        raise QueryError(f"--min-usd {text!r}: write an amount such as 100e6, 250m or 1.5bn")
    value = float(match.group(1).replace(",", "").replace("_", "")) * scale
    if not math.isfinite(value):
        raise QueryError(f"--min-usd {text!r} is not a finite amount")
    return value


def link(options: Mapping[str, Any]) -> None:
    from cca.cli.commands import link_suggestions

    score = int(options.get("min_score") or 0)
    if not 0 <= score <= 100:
        raise QueryError(f"--min-score {score}: give a score from 0 to 100")
    link_suggestions(kb(), _out(options, fields=False), score)


def stats(options: Mapping[str, Any]) -> None:
    from cca.cli.commands import finance_stats

    finance_stats(
        kb(),
        _out(options, fields=False),
        [str(_value(choice)) for choice in options.get("by") or ()],
        {
            "country": options.get("country") or None,
            "region": options.get("region") or None,
            "sector": options.get("sector") or None,
            "status": options.get("status") or None,
            "search": options.get("search") or None,
            **_finance(options),
        },
        aggregate_only=not options.get("all_rows"),
    )


def aspects(options: Mapping[str, Any]) -> None:
    from cca.cli.commands import list_aspects

    list_aspects(kb(), _out(options), options.get("number"))


def actions(options: Mapping[str, Any]) -> None:
    from cca.cli.commands import list_actions

    list_actions(
        kb(),
        _out(options),
        options.get("aspect"),
        options.get("sector") or [],
        options.get("search") or [],
        _limit(options),
    )


def country(options: Mapping[str, Any]) -> None:
    from cca.cli.commands import country_profile

    country_profile(kb(), _out(options, fields=False), options["name"])


def search(options: Mapping[str, Any]) -> None:
    from cca.cli.commands import search_records

    search_records(kb(), _out(options), options["text"], options.get("kind") or [], _limit(options))


def show(options: Mapping[str, Any]) -> None:
    from cca.cli.commands import show_record

    show_record(kb(), _out(options, fields=False), options["record"])


def schema(options: Mapping[str, Any]) -> None:
    from cca.cli.commands import print_schema

    print_schema(options.get("kind") or "knowledge")


def export(options: Mapping[str, Any]) -> None:
    from cca.cli.commands import export as run_export

    run_export(
        kb(),
        options["path"],
        str(_value(options.get("fmt") or "sqlite")).lower(),
        bool(options.get("force")),
        bool(options.get("bom")),
    )


def validate(options: Mapping[str, Any]) -> None:
    from cca.core.api import load

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


def import_dataset(options: Mapping[str, Any]) -> None:
    from cca.io import importers

    settings = session().settings
    if options.get("remove"):
        if options.get("importer") or options.get("file"):
            raise QueryError("--remove NAME takes no importer or file")
        removed = importers.remove(settings, options["remove"])
        note(f"removed {removed}")
        return
    importer, file = options.get("importer"), options.get("file")
    if importer is None:
        _list_imports(settings)
        return
    if not file or not file.strip():
        raise QueryError(f"cca import {_value(importer)} needs the file to import")
    path = Path(file)
    report = note if stderr_is_terminal() else None
    summary = importers.import_aiddata(
        path,
        str(path),
        settings,
        name=options.get("name") or "aiddata",
        every_recipient=bool(options.get("every_recipient")),
        skip_bad_rows=bool(options.get("skip_bad_rows")),
        sheet=options.get("sheet"),
        report=report,
    )
    for line in summary.skipped:
        note(f"skipped: {line}")
    skipped = f", skipped {len(summary.skipped)} bad cells" if summary.skipped else ""
    note(f"imported {summary.imported:,} of {summary.rows:,} rows into {summary.path}{skipped}")


def _list_imports(settings: Any) -> None:
    from cca.io.importers import imports

    files = imports(settings)
    if not files:
        where = settings.data_dir or "(the knowledge directory is off)"
        note(f"no imports in {where}; import one with: cca import aiddata FILE")
        return
    for path in files:
        emit(f"{path.stem}\t{path}\n")


#: Commands with an implementation of their own; every other command lists the kind it is named after.
COMMANDS: dict[str, Callable[[Mapping[str, Any]], None]] = {
    "aspects": aspects,
    "actions": actions,
    "country": country,
    "search": search,
    "show": show,
    "import": import_dataset,
    "stats": stats,
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
