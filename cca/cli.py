"""The ``cca`` command: parse options, ask the library, hand the answer to :mod:`cca.render`."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from cca import __version__
from cca.clikit import CcaGroup, Settings, emit, note
from cca.errors import QueryError

app = typer.Typer(
    cls=CcaGroup,
    name="cca",
    help="Answers questions about China–ASEAN cooperation from a source-cited knowledge file.",
    no_args_is_help=False,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class Format(StrEnum):
    table = "table"
    plain = "plain"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    tsv = "tsv"
    yaml = "yaml"
    markdown = "markdown"


class Options:
    """Knowledge selection from the global options, and the loaded knowledge (once per run)."""

    knowledge: list[Path] = []
    bundled: bool | None = None
    use_cache: bool | None = None
    _kb: Any = None

    @classmethod
    def kb(cls) -> Any:
        if cls._kb is None:
            from cca.knowledge import load

            cls._kb = load(extra=cls.knowledge, bundled=cls.bundled, use_cache=cls.use_cache, on_slow=_progress())
        return cls._kb


def _progress() -> Any:
    """Say on stderr why a first load is slow, when a person is watching it."""
    import sys

    return note if sys.stderr.isatty() else None


# -- value completion (answers from the compiled cache, as fast as a query) ------------------------


def _candidates(incomplete: str, pairs: Any) -> list[tuple[str, str]]:
    wanted = incomplete.casefold()
    seen: dict[str, str] = {}
    for value, help_text in pairs:
        if value.casefold().startswith(wanted) and value not in seen:
            seen[value] = help_text
    return list(seen.items())


def _kb_or_none() -> Any:
    try:
        return Options.kb()
    except Exception:  # completion must never print an error into the user's prompt
        return None


def complete_country(incomplete: str) -> list[tuple[str, str]]:
    kb = _kb_or_none()
    if kb is None:
        return []
    pairs = []
    for record in kb.of_kind("country"):
        for value in (
            record.name,
            record.get("iso2"),
            record.get("iso3"),
            record.get("official_name"),
            *record.aliases,
        ):
            if value:
                pairs.append((value, record.name))
    return _candidates(incomplete, pairs)


def complete_sector(incomplete: str) -> list[tuple[str, str]]:
    kb = _kb_or_none()
    return [] if kb is None else _candidates(incomplete, ((r.id, r.name) for r in kb.of_kind("sector")))


def complete_status(incomplete: str) -> list[tuple[str, str]]:
    from cca.model import STATUSES

    return _candidates(incomplete, ((status, "project status") for status in STATUSES))


def complete_id(incomplete: str) -> list[tuple[str, str]]:
    kb = _kb_or_none()
    return [] if kb is None else _candidates(incomplete, ((record_id, "") for record_id in kb.ids()))


def complete_fields(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """Complete the last of a comma-separated list of fields, for the command being typed."""
    from cca.model import PLURALS
    from cca.outschema import fields

    commands = {plural: kind for kind, plural in PLURALS.items()} | {"search": "search"}
    kind = commands.get(ctx.info_name or "", "project")
    done, _, last = incomplete.rpartition(",")
    prefix = f"{done}," if done else ""
    chosen = set(done.split(","))
    return [(prefix + field, "") for field in fields(kind) if field not in chosen and field.startswith(last)]


def _version(value: bool) -> None:
    if value:
        emit(f"cca {__version__}\n")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def main(
    ctx: typer.Context,
    knowledge: Annotated[
        list[Path] | None,
        typer.Option(
            "--knowledge",
            "-k",
            help="Extra knowledge file or directory (repeatable; also $CCA_KNOWLEDGE).",
            metavar="PATH",
        ),
    ] = None,
    no_bundled: Annotated[
        bool, typer.Option("--no-bundled", help="Leave the bundled knowledge out (also $CCA_NO_BUNDLED=1).")
    ] = False,
    no_cache: Annotated[
        bool,
        typer.Option("--no-cache", help="Read the knowledge files, not the compiled cache (also $CCA_NO_CACHE=1)."),
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show a traceback for internal errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Answers questions about China–ASEAN cooperation from a source-cited knowledge file.

    Example: cca projects --country Laos
    """
    Settings.debug = debug
    Options.knowledge = list(knowledge or [])
    Options.bundled = False if no_bundled else None
    Options.use_cache = False if no_cache else None
    Options._kb = None
    if ctx.invoked_subcommand is None:
        from cca.commands import overview

        overview(Options.kb())


# -- shared options ----------------------------------------------------------------------------------

FormatOpt = Annotated[
    Format | None,
    typer.Option(
        "--format",
        "-f",
        help="Output format (default: table on a terminal, plain lines in a pipe).",
        case_sensitive=False,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Shorthand for --format json.")]
FieldsOpt = Annotated[
    str | None,
    typer.Option(
        "--fields",
        help="Comma-separated fields (JSON keys) to show, e.g. id,name,status.",
        autocompletion=complete_fields,
    ),
]
CountryOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--country",
        "-c",
        help="Country name, official name, ISO code or alias (repeat to OR).",
        metavar="COUNTRY",
        autocompletion=complete_country,
    ),
]
SearchOpt = Annotated[
    list[str] | None, typer.Option("--search", "-q", help="Text to look for (repeat to OR).", metavar="TEXT")
]


class Out:
    """The output choice of one command."""

    def __init__(self, fmt: Format | None, json_: bool, fields: str | None) -> None:
        if json_ and fmt not in (None, Format.json):
            raise QueryError("--json and --format disagree: use one of them")
        self.format = "json" if json_ else (fmt.value if fmt else None)
        self.fields = [f.strip() for f in fields.split(",") if f.strip()] if fields else None


def _out(fmt: Format | None, json_: bool, fields: str | None) -> Out:
    return Out(fmt, json_, fields)


# -- commands ----------------------------------------------------------------------------------------


@app.command()
def projects(
    country: CountryOpt = None,
    sector: Annotated[
        list[str] | None,
        typer.Option(
            "--sector",
            "-s",
            help="Sector id or label, with everything below it (repeat to OR).",
            metavar="SECTOR",
            autocompletion=complete_sector,
        ),
    ] = None,
    status: Annotated[
        list[str] | None,
        typer.Option(
            "--status",
            help="Current status: planned, agreed, under-construction, in-progress, "
            "completed, operational, suspended, cancelled, unknown (repeat to OR).",
            metavar="STATUS",
            autocompletion=complete_status,
        ),
    ] = None,
    search: SearchOpt = None,
    fmt: FormatOpt = None,
    json_: JsonOpt = False,
    fields: FieldsOpt = None,
) -> None:
    """List projects, with status and progress as of their source's date.

    Example: cca projects --country Laos
    """
    from cca.commands import list_projects

    list_projects(Options.kb(), _out(fmt, json_, fields), country or [], sector or [], status or [], search or [])


@app.command()
def aspects(
    number: Annotated[int | None, typer.Argument(help="Show only this aspect (1-4).")] = None,
    fmt: FormatOpt = None,
    json_: JsonOpt = False,
    fields: FieldsOpt = None,
) -> None:
    """List the 'four new aspects' in order, each with its concrete actions.

    Example: cca aspects 2
    """
    from cca.commands import list_aspects

    list_aspects(Options.kb(), _out(fmt, json_, fields), number)


@app.command()
def actions(
    aspect: Annotated[int | None, typer.Option("--aspect", "-a", help="Only actions of this aspect (1-4).")] = None,
    sector: Annotated[
        list[str] | None,
        typer.Option(
            "--sector", "-s", help="Sector, with everything below it.", metavar="SECTOR", autocompletion=complete_sector
        ),
    ] = None,
    search: SearchOpt = None,
    fmt: FormatOpt = None,
    json_: JsonOpt = False,
    fields: FieldsOpt = None,
) -> None:
    """List the concrete actions of the four new aspects, one per line.

    Example: cca actions --sector finance
    """
    from cca.commands import list_actions

    list_actions(Options.kb(), _out(fmt, json_, fields), aspect, sector or [], search or [])


def _simple(kind: str, example: str, doc: str, by_country: bool = True) -> None:
    """Register a listing command for one kind of record."""

    def command(
        country: CountryOpt = None,
        search: SearchOpt = None,
        fmt: FormatOpt = None,
        json_: JsonOpt = False,
        fields: FieldsOpt = None,
    ) -> None:
        from cca.commands import list_kind

        list_kind(Options.kb(), _out(fmt, json_, fields), kind, country or [], search or [])

    def command_no_country(
        search: SearchOpt = None,
        fmt: FormatOpt = None,
        json_: JsonOpt = False,
        fields: FieldsOpt = None,
    ) -> None:
        from cca.commands import list_kind

        list_kind(Options.kb(), _out(fmt, json_, fields), kind, [], search or [])

    chosen = command if by_country else command_no_country
    chosen.__doc__ = f"{doc}\n\nExample: {example}"
    from cca.model import PLURALS

    app.command(name=PLURALS[kind])(chosen)


_simple(
    "agreement", "cca agreements --country Malaysia", "List agreements, declarations, free trade areas and mechanisms."
)
_simple("person", "cca people --search Ning", "List people, with their roles and what each said.")
_simple("statement", "cca statements --search cooperation", "List statements: who said what.")
_simple("organisation", "cca organisations --country China", "List organisations named in the sources.")
_simple("place", "cca places --country Malaysia", "List places named in the sources.")
_simple("event", "cca events", "List events in chronological order (undated ones last).")
_simple("figure", "cca figures --country Laos", "List every number in the sources, with subject, unit and period.")


@app.command()
def countries(
    fmt: FormatOpt = None,
    json_: JsonOpt = False,
    fields: FieldsOpt = None,
) -> None:
    """List countries, one row each, with how many projects, agreements and figures concern them.

    Example: cca countries
    """
    from cca.commands import list_countries

    list_countries(Options.kb(), _out(fmt, json_, fields))


@app.command()
def country(
    name: Annotated[
        str, typer.Argument(help="Country name, official name, ISO code or alias.", autocompletion=complete_country)
    ],
    fmt: FormatOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Profile one country: projects with status and progress, agreements, figures, events, people.

    Example: cca country Laos
    """
    from cca.commands import country_profile

    country_profile(Options.kb(), _out(fmt, json_, None), name)


@app.command()
def sectors(
    fmt: FormatOpt = None,
    json_: JsonOpt = False,
    fields: FieldsOpt = None,
) -> None:
    """Show the sector taxonomy as a tree, with how many records each sector (and below) has.

    Example: cca sectors
    """
    from cca.commands import list_sectors

    list_sectors(Options.kb(), _out(fmt, json_, fields))


@app.command()
def sources(
    fmt: FormatOpt = None,
    json_: JsonOpt = False,
    fields: FieldsOpt = None,
) -> None:
    """List the sources behind the knowledge, with how many facts each supports.

    Example: cca sources
    """
    from cca.commands import list_sources

    list_sources(Options.kb(), _out(fmt, json_, fields))


@app.command()
def search(
    text: Annotated[str, typer.Argument(help="Words to find; case, accents, dashes and spacing are ignored.")],
    kind: Annotated[list[str] | None, typer.Option("--kind", help="Only records of this kind (repeatable).")] = None,
    limit: Annotated[int | None, typer.Option("--limit", "-n", help="At most this many results.", min=1)] = None,
    fmt: FormatOpt = None,
    json_: JsonOpt = False,
    fields: FieldsOpt = None,
) -> None:
    """Search every kind of record: names, aliases, summaries, notes and quotes, best match first.

    Example: cca search "Jakarta Bandung"
    """
    from cca.commands import search_records

    search_records(Options.kb(), _out(fmt, json_, fields), text, kind or [], limit)


@app.command()
def show(
    record_id: Annotated[
        str, typer.Argument(metavar="ID", help="The id of any record (see the ID column).", autocompletion=complete_id)
    ],
    fmt: FormatOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Show one record in full: every field, its evidence quotes, sources and related records.

    Example: cca show china-laos-railway
    """
    from cca.commands import show_record

    show_record(Options.kb(), _out(fmt, json_, None), record_id)


@app.command()
def schema(
    kind: Annotated[
        str, typer.Argument(help="A kind of record (project, agreement, ...) or 'knowledge'.")
    ] = "knowledge",
) -> None:
    """Print a JSON Schema: of a kind's JSON output, or of the knowledge file format.

    Example: cca schema project
    """
    from cca.commands import print_schema

    print_schema(kind)


class ExportFormat(StrEnum):
    sqlite = "sqlite"
    csv = "csv"
    json = "json"


@app.command()
def export(
    path: Annotated[Path, typer.Argument(help="File to write (sqlite, json) or directory (csv).", metavar="PATH")],
    fmt: Annotated[
        ExportFormat, typer.Option("--format", "-f", help="sqlite, csv or json.", case_sensitive=False)
    ] = ExportFormat.sqlite,
    force: Annotated[bool, typer.Option("--force", help="Replace files that exist.")] = False,
    bom: Annotated[bool, typer.Option("--bom", help="CSV: start each file with a UTF-8 BOM (for Excel).")] = False,
) -> None:
    """Export all the knowledge: a SQLite database for Datasette, CSV files per kind, or one JSON document.

    Example: cca export --format sqlite kb.db
    """
    from cca import export as exporter

    kb = Options.kb()
    if fmt is ExportFormat.sqlite:
        metadata = exporter.export_sqlite(kb, path, force)
        note(f"wrote {path} and {metadata.name}; browse with: datasette {path} -m {metadata}")
    elif fmt is ExportFormat.csv:
        written = exporter.export_csv(kb, path, force, bom)
        note(f"wrote {len(written)} CSV files to {path}")
    else:
        exporter.export_json(kb, path, force)
        note(f"wrote {path}")


@app.command()
def validate(
    files: Annotated[
        list[Path] | None,
        typer.Argument(help="Knowledge files or directories to check with the others.", metavar="[FILE]..."),
    ] = None,
    sources_dir: Annotated[
        Path | None,
        typer.Option(
            "--sources",
            help="Directory of source texts: check every quote occurs verbatim.",
            metavar="DIR",
            file_okay=False,
        ),
    ] = None,
) -> None:
    """Check the knowledge: schema, unique ids, references and (with --sources) verbatim quotes.

    Validates the bundled knowledge plus $CCA_KNOWLEDGE, --knowledge and FILE...;
    problems are listed as file:line:col: message on stderr, exit status 1.

    Example: cca validate --sources ../shared/sources
    """
    from cca.knowledge import load

    kb = load(
        extra=[*Options.knowledge, *(files or [])],
        bundled=Options.bundled,
        sources_dir=sources_dir,
        use_cache=Options.use_cache,
        on_slow=_progress(),
    )
    counts = ", ".join(f"{n} {kind}" for kind, n in kb.counts().items() if n)
    checked = " with every quote found verbatim" if sources_dir is not None else ""
    note(f"ok: {len(kb)} records in {len(kb.files)} file{'s' if len(kb.files) != 1 else ''}{checked} ({counts})")


_GLOBAL_FLAGS = {"--no-bundled", "--no-cache", "--debug"}
_GLOBAL_VALUES = {"--knowledge", "-k"}


def _command_name(args: list[str]) -> str | None:
    """The subcommand a command line asks for, skipping the global options before it."""
    index = 0
    while index < len(args):
        arg = args[index]
        if arg in _GLOBAL_VALUES:
            index += 2
        elif arg.startswith("--knowledge=") or arg in _GLOBAL_FLAGS:
            index += 1
        elif arg.startswith("-"):
            return None  # --help, --version, an unknown option: the whole app answers
        else:
            return arg
    return None


def run() -> None:
    """Console-script entry point.

    Typer builds every command's parameters before running one; for a command line
    that names its command, build only that one (about a third of start-up).
    Help, completion and anything unusual go through the whole app.
    """
    import os
    import sys

    import typer.main

    name = _command_name(sys.argv[1:])
    commands = [
        info
        for info in app.registered_commands
        if (info.name or typer.main.get_command_name(info.callback.__name__ if info.callback else "")) == name
    ]
    if name is None or not commands or any(key.endswith("_COMPLETE") for key in os.environ):
        app(prog_name="cca")
        return
    single = typer.Typer(
        cls=CcaGroup,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        context_settings=app.info.context_settings,
    )
    single.registered_callback = app.registered_callback
    single.registered_commands = commands
    single(prog_name="cca")
