"""The ``cca`` command: options parsed by Typer, questions asked of the library, answers to the output path.

Listing commands are made from the kind registry: one per kind, with the filters its
declaration allows (``--country`` for kinds tied to countries, ``--sector`` for kinds
with sectors, ``--status`` for kinds with a status facet).
"""

from __future__ import annotations

import inspect
import os
import sys
from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Annotated, Any

import typer
import typer.core

from cca.cli import complete, stream
from cca.cli import dispatch as act
from cca.cli.edge import Flags, guarded
from cca.cli.stream import emit
from cca.core.errors import EXIT_USAGE
from cca.core.filters import FILTERS, Filter
from cca.core.kinds import KINDS
from cca.core.registry import Kind
from cca.version import __version__


class Format(StrEnum):
    table = "table"
    plain = "plain"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    tsv = "tsv"
    yaml = "yaml"
    markdown = "markdown"


def _usage_hint(error: typer.TyperException) -> str:
    ctx = getattr(error, "ctx", None)
    if ctx is not None and ctx.command_path:
        return f" (see '{ctx.command_path} --help')"
    return ""


class CcaGroup(typer.core.TyperGroup):
    """Runs the app inside cca's edge (:func:`cca.cli.edge.guarded`), in the shell and under CliRunner alike."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        Flags.debug = False
        Flags.signalled = None
        if args is None:
            args = sys.argv[1:]
        from cca.cli.argv import gh_json

        args = gh_json(args)

        def action() -> int | None:
            try:
                result = super(CcaGroup, self).main(
                    args, prog_name or "cca", complete_var, standalone_mode=False, **extra
                )
            except typer.Exit as exit_:
                return exit_.exit_code
            except typer.Abort:
                raise KeyboardInterrupt from None
            except typer.TyperException as failure:  # Typer's own usage errors (exit_code 2) and friends
                hint = _usage_hint(failure) if failure.exit_code == EXIT_USAGE else ""
                stream.error(f"{failure.format_message()}{hint}")
                return failure.exit_code
            return result if isinstance(result, int) else None

        code = guarded(action)
        if standalone_mode:
            sys.exit(code)
        return code

    def _main_shell_completion(self, ctx_args: Any, prog_name: str, complete_var: str | None = None) -> None:
        if os.environ.get(complete_var or "_CCA_COMPLETE"):
            from cca.cli.session import State

            State.session = None  # a completion is a process of its own: its knowledge is the environment's
            complete.install()  # Typer's shells, with cca's formatting of candidates (data, like table cells)
            for command in [self, *self.commands.values()]:
                for param in command.params:
                    _complete_in_any_case(param)
        super()._main_shell_completion(ctx_args, prog_name, complete_var)


def _complete_in_any_case(param: Any) -> None:
    """Let cca's completers decide what matches: Typer keeps only candidates that start with the
    typed text case-sensitively, so `--country la<TAB>` would never offer Laos."""
    wrapper = getattr(param, "_custom_shell_complete", None)
    if wrapper is None or wrapper.__closure__ is None:
        return
    cells = dict(zip(wrapper.__code__.co_freevars, (cell.cell_contents for cell in wrapper.__closure__), strict=True))
    inner = cells.get("autocompletion")
    if inner is None:
        return
    from typer._click.shell_completion import CompletionItem

    def complete(ctx: Any, _param: Any, incomplete: str) -> list[Any]:
        return [
            CompletionItem(item[0], help=item[1]) if isinstance(item, tuple) else CompletionItem(item)
            for item in inner(ctx, [], incomplete)
        ]

    param._custom_shell_complete = complete


app = typer.Typer(
    cls=CcaGroup,
    name="cca",
    help="Answers questions about China–ASEAN cooperation from a source-cited knowledge file.",
    no_args_is_help=False,
    add_completion=False,  # cca's own --install-completion/--show-completion take the shell's name
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 120},
)


def _version(value: bool) -> None:
    if value:
        emit(f"cca {__version__}\n")
        raise typer.Exit()


class Shell(StrEnum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"
    powershell = "powershell"
    pwsh = "pwsh"


def completion_script(shell: str) -> str:
    """The script that makes ``shell`` complete cca's commands, options and values."""
    from typer._completion_shared import get_completion_script

    return get_completion_script(prog_name="cca", complete_var="_CCA_COMPLETE", shell=shell)


def _show_completion(value: Shell | None) -> None:
    if value is not None:
        emit(completion_script(value.value).rstrip("\n") + "\n")
        raise typer.Exit()


def _install_completion(value: Shell | None) -> None:
    if value is not None:
        from typer._completion_shared import install

        shell, path = install(shell=value.value, prog_name="cca", complete_var="_CCA_COMPLETE")
        stream.note(f"{shell} completion installed in {path}; it takes effect in a new shell")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def main(
    ctx: typer.Context,
    knowledge: Annotated[
        list[str] | None,
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
    data_dir: Annotated[
        str | None,
        typer.Option(
            "--data-dir",
            help="Your knowledge directory, where imports go (default $XDG_DATA_HOME/cca; also $CCA_DATA_DIR).",
            metavar="DIR",
        ),
    ] = None,
    no_data_dir: Annotated[
        bool, typer.Option("--no-data-dir", help="Leave your knowledge directory out (also $CCA_NO_DATA_DIR=1).")
    ] = False,
    no_cache: Annotated[
        bool,
        typer.Option("--no-cache", help="Read the knowledge files, not the compiled cache (also $CCA_NO_CACHE=1)."),
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show a traceback for internal errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", "-V", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
    show_completion: Annotated[
        Shell | None,
        typer.Option(
            "--show-completion",
            callback=_show_completion,
            is_eager=True,
            help="Print the completion script for SHELL (bash, zsh, fish, powershell); also: cca completion SHELL.",
            metavar="SHELL",
            case_sensitive=False,
        ),
    ] = None,
    install_completion: Annotated[
        Shell | None,
        typer.Option(
            "--install-completion",
            callback=_install_completion,
            is_eager=True,
            help="Install completion for SHELL (bash, zsh, fish, powershell).",
            metavar="SHELL",
            case_sensitive=False,
        ),
    ] = None,
) -> None:
    """Answers questions about China–ASEAN cooperation from a source-cited knowledge file.

    Example: cca projects --country Laos
    """
    act.start(
        {
            "knowledge": knowledge,
            "no_bundled": no_bundled,
            "data_dir": data_dir,
            "no_data_dir": no_data_dir,
            "no_cache": no_cache,
            "debug": debug,
        }
    )
    if ctx.invoked_subcommand is None:
        act.overview({})


# -- shared options ----------------------------------------------------------------------------------

FormatOpt = Annotated[
    Format | None,
    typer.Option(
        "--format",
        "-f",
        help="Output format: table (on a terminal), plain (in a pipe), json, jsonl, csv, tsv, yaml, markdown.",
        case_sensitive=False,
        metavar="FORMAT",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Shorthand for --format json.")]
FieldsOpt = Annotated[
    str | None,
    typer.Option(
        "--fields",
        help="Comma-separated fields (JSON keys) to show, e.g. id,name,status.",
        metavar="FIELDS",
        autocompletion=complete.field_names,
    ),
]
LimitOpt = Annotated[
    int | None, typer.Option("--limit", "-n", help="At most this many records (1 or more), after sorting.", metavar="N")
]
SortOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--sort",
        help="Sort by this field (a JSON key: usd_2021, commitment_year, date, name...); -FIELD or --desc for "
        "descending; repeat for ties.",
        metavar="FIELD",
        autocompletion=complete.sort_field,
    ),
]
DescOpt = Annotated[bool, typer.Option("--desc", help="Sort descending (every --sort field).")]
CiteOpt = Annotated[
    bool,
    typer.Option(
        "--cite",
        help="After the answer, the citations of what it printed: sources, dataset rows and the sources they cite "
        "(table, plain, markdown; for JSON: cca cite ID... --format csl-json).",
    ),
]


# -- listing commands, one per kind, with the filters that apply to it ------------------------------------


def _parameter(name: str, annotation: Any, default: Any = None) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)


def filter_parameter(item: Filter) -> inspect.Parameter:
    """A filter's command-line option, from its declaration (cca.core.filters)."""
    if item.value == "flag":
        return _parameter(item.name, Annotated[bool, typer.Option(*item.flags, help=item.help)], False)
    option = typer.Option(
        *item.flags,
        help=item.help,
        metavar=item.metavar,
        autocompletion=complete.source(item.complete) if item.complete else None,
    )
    return _parameter(item.name, Annotated[list[str] | None, option])


def filter_parameters(kind: Kind) -> list[inspect.Parameter]:
    return [filter_parameter(item) for item in FILTERS.for_kind(kind)]


def _listing_command(kind: Kind) -> Callable[..., None]:
    """A command listing ``kind``, with the filters that apply to it, sorting, a limit and the output options."""
    params = [
        *filter_parameters(kind),
        _parameter("sort", SortOpt),
        _parameter("desc", DescOpt, False),
        _parameter("limit", LimitOpt),
        _parameter("fmt", FormatOpt),
        _parameter("json_", JsonOpt, False),
        _parameter("fields", FieldsOpt),
        _parameter("cite", CiteOpt, False),
    ]

    def command(**options: Any) -> None:
        act.listing(kind.name, options)

    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    command.__doc__ = f"{kind.help}\n\nExample: {kind.example}"
    command.__name__ = kind.plural
    return command


#: Kinds whose command takes arguments of its own (defined below).
_OWN_COMMANDS = {"aspect"}


def register_listings() -> None:
    for kind in KINDS:
        if kind.name not in _OWN_COMMANDS and kind.plural not in {c.name for c in app.registered_commands}:
            app.command(name=kind.plural)(_listing_command(kind))


def refresh() -> None:
    """Make the commands that derive from the registries again (after a kind or a filter is added at run time)."""
    derived = {kind.plural for kind in KINDS if kind.name not in _OWN_COMMANDS} | {"stats"}
    app.registered_commands[:] = [c for c in app.registered_commands if c.name not in derived]
    register_listings()
    app.command("stats")(_stats_command())


register_listings()


@app.command()
def aspects(
    number: Annotated[int | None, typer.Argument(help="Show only this aspect (1-4).", metavar="[NUMBER]")] = None,
    fmt: FormatOpt = None,
    json_: JsonOpt = False,
    fields: FieldsOpt = None,
    cite: CiteOpt = False,
) -> None:
    """List the 'four new aspects' in order, each with its concrete actions.

    Example: cca aspects 2
    """
    act.aspects({"number": number, "fmt": fmt, "json_": json_, "fields": fields, "cite": cite})


@app.command()
def country(
    name: Annotated[
        str,
        typer.Argument(
            help="Country name, official name, ISO code or alias.", metavar="COUNTRY", autocompletion=complete.country
        ),
    ],
    fmt: FormatOpt = None,
    json_: JsonOpt = False,
    cite: CiteOpt = False,
) -> None:
    """Profile one country: projects with status and progress, agreements, figures, events, people.

    Example: cca country Laos
    """
    act.country({"name": name, "fmt": fmt, "json_": json_, "cite": cite})


@app.command()
def search(
    text: Annotated[str, typer.Argument(help="Words to find; case, accents and dashes do not count.", metavar="TEXT")],
    kind: Annotated[
        list[str] | None,
        typer.Option(
            "--kind", help="Only records of this kind (repeatable).", metavar="KIND", autocompletion=complete.kind
        ),
    ] = None,
    limit: LimitOpt = None,
    fmt: FormatOpt = None,
    json_: JsonOpt = False,
    fields: FieldsOpt = None,
    cite: CiteOpt = False,
) -> None:
    """Search every kind of record: names first, then other names, summaries, notes and quotes.

    Example: cca search "Jakarta Bandung"
    """
    act.search({"text": text, "kind": kind, "limit": limit, "fmt": fmt, "json_": json_, "fields": fields, "cite": cite})


@app.command()
def show(
    record: Annotated[
        str,
        typer.Argument(
            metavar="ID_OR_NAME",
            help="A record's id, name or alias (see: cca search).",
            autocompletion=complete.record_id,
        ),
    ],
    fmt: FormatOpt = None,
    json_: JsonOpt = False,
    cite: CiteOpt = False,
) -> None:
    """Show one record in full: every field, its evidence, sources and related records.

    Example: cca show china-laos-railway
    """
    act.show({"record": record, "fmt": fmt, "json_": json_, "cite": cite})


class CiteFormat(StrEnum):
    text = "text"
    csl_json = "csl-json"
    bibtex = "bibtex"


@app.command()
def cite(
    ids: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[ID_OR_NAME]...",
            help="Records whose citations to print (none: every source of the knowledge).",
            autocompletion=complete.record_id,
        ),
    ] = None,
    fmt: Annotated[
        CiteFormat,
        typer.Option(
            "--format",
            "-f",
            help="text (a reference list), csl-json (CSL-JSON) or bibtex.",
            case_sensitive=False,
            metavar="FORMAT",
        ),
    ] = CiteFormat.text,
) -> None:
    """Print the citations behind records: their sources, a dataset's own citation, a row's sources.

    Example: cca cite aiddata-990001 --format bibtex
    """
    act.cite({"ids": ids, "fmt": fmt})


@app.command()
def completion(
    shell: Annotated[
        Shell | None,
        typer.Argument(help="bash, zsh, fish or powershell (default: the shell you run).", metavar="[SHELL]"),
    ] = None,
) -> None:
    """Print the shell completion script: commands, options, and values such as countries and ids.

    Example: cca completion zsh > ~/.zfunc/_cca
    """
    chosen = shell.value if shell is not None else _detected_shell()
    emit(completion_script(chosen).rstrip("\n") + "\n")


def _detected_shell() -> str:
    from cca.core.errors import QueryError

    try:
        import shellingham  # type: ignore[import-untyped]

        name, _ = shellingham.detect_shell()
    except Exception:  # noqa: BLE001 - no shell to be found: ask for one
        raise QueryError("cannot tell which shell this is: name it, as in 'cca completion zsh'") from None
    if name not in Shell.__members__:
        raise QueryError(f"no completion for the shell {name!r}: choose bash, zsh, fish or powershell")
    return str(name)


@app.command()
def schema(
    kind: Annotated[
        str,
        typer.Argument(
            help="A kind (project, projects, ...), 'knowledge', 'search', 'show', 'country-profile', 'region-profile'.",
            metavar="KIND",
            autocompletion=complete.kind,
        ),
    ] = "knowledge",
) -> None:
    """Print a JSON Schema: of a kind's JSON output, or of the knowledge file format.

    Example: cca schema project
    """
    act.schema({"kind": kind})


@app.command()
def export(
    path: Annotated[
        str, typer.Argument(help="File to write (sqlite, json), directory (csv), or - for stdout.", metavar="PATH")
    ],
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="sqlite, csv, json or yaml (the knowledge file itself).",
            metavar="FORMAT",
            autocompletion=complete.exporter,
        ),
    ] = "sqlite",
    force: Annotated[bool, typer.Option("--force", help="Replace regular files that exist.")] = False,
    bom: Annotated[bool, typer.Option("--bom", help="CSV: start each file with a UTF-8 BOM (for Excel).")] = False,
) -> None:
    """Export everything: SQLite for Datasette, CSV files, one JSON document, or the knowledge as YAML.

    Example: cca export --format sqlite kb.db
    """
    act.export({"path": path, "fmt": fmt, "force": force, "bom": bom})


def _stats_command() -> Callable[..., None]:
    """``cca stats``: the project filters, the groupings and the amount to add up."""
    from cca.core.stats import GROUPINGS, MEASURE_ALIASES, MEASURES

    groupings = ", ".join(name.replace("_", "-") for name in GROUPINGS)
    params = [
        _parameter(
            "by",
            Annotated[
                list[str] | None,
                typer.Option(
                    "--by",
                    "-b",
                    help=f"Group by {groupings} (repeat: nested groups).",
                    metavar="FIELD",
                    autocompletion=complete.source("grouping"),
                ),
            ],
        ),
        _parameter(
            "amount",
            Annotated[
                list[str] | None,
                typer.Option(
                    "--amount",
                    help="What to add up: original (the amount committed, as usd-2021) or adjusted (the dataset's "
                    "amount for aggregates, overlaps between records taken out: the default, as adjusted-usd-2021); "
                    "also "
                    + ", ".join(m.replace("_", "-") for m in MEASURES if m not in MEASURE_ALIASES.values())
                    + ". By source, each dataset's own measures side by side; repeat for columns side by side, never "
                    "added together.",
                    metavar="AMOUNT",
                    autocompletion=complete.source("measure"),
                ),
            ],
        ),
        _parameter(
            "split",
            Annotated[
                str | None,
                typer.Option(
                    "--split",
                    help="With --by adm1 or adm2: how a record's amount is split among its units: even (the "
                    "default; adds up to the amount) or intersection (by area; need not add up).",
                    metavar="SPLIT",
                    autocompletion=complete.source("split"),
                ),
            ],
        ),
        *filter_parameters(KINDS["project"]),
        _parameter(
            "all_rows",
            Annotated[
                bool,
                typer.Option("--all-rows", help="Also rows the dataset says not to sum (umbrellas: they count twice)."),
            ],
            False,
        ),
        _parameter("sort", SortOpt),
        _parameter("desc", DescOpt, False),
        _parameter("fmt", FormatOpt),
        _parameter("json_", JsonOpt, False),
        _parameter("cite", CiteOpt, False),
    ]

    def stats(**options: Any) -> None:
        act.stats(options)

    stats.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    stats.__doc__ = (
        "Count dataset records and add up their amounts, by country, sector, year, source or province.\n\n"
        "Example: cca stats --by country --since 2015"
    )
    return stats


app.command("stats")(_stats_command())


class LinkAction(StrEnum):
    list_ = "list"
    suggest = "suggest"
    confirm = "confirm"
    reject = "reject"


@app.command()
def link(
    action: Annotated[
        LinkAction,
        typer.Argument(
            help="list (the default): the confirmed and rejected links; suggest: dataset records that may be a "
            "curated project; confirm CURATED RECORD...: they are the same project; reject CURATED RECORD...: "
            "they are not (never suggested again).",
            metavar="[ACTION]",
        ),
    ] = LinkAction.list_,
    ids: Annotated[
        list[str] | None,
        typer.Argument(
            help="confirm and reject: the curated project's id, then the dataset records' ids.",
            metavar="[CURATED RECORD...]",
            autocompletion=complete.record_id,
        ),
    ] = None,
    min_score: Annotated[
        int,
        typer.Option("--min-score", help="suggest: only suggestions scoring at least this (0-100).", metavar="SCORE"),
    ] = 60,
    datasets: Annotated[
        bool,
        typer.Option(
            "--datasets", help="suggest: pairs between datasets (a construction contract and a loan of another)."
        ),
    ] = False,
    fmt: FormatOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Link curated projects to dataset records: suggest, confirm, reject, or (alone) list the links.

    Confirmations and rejections are added to links.yaml in your knowledge directory.

    Example: cca link confirm china-laos-railway aiddata-990001
    """
    act.link({"action": action, "ids": ids, "min_score": min_score, "datasets": datasets, "fmt": fmt, "json_": json_})


@app.command("import")
def import_(
    importer: Annotated[
        str | None,
        typer.Argument(
            help="The dataset's importer (completion offers them); 'cca import' alone lists the imports, or with "
            "none the importers and what each reads.",
            metavar="[IMPORTER]",
            autocompletion=complete.importer,
        ),
    ] = None,
    file: Annotated[
        str | None,
        typer.Argument(help="The file to import (the importer says which: a workbook, a CSV).", metavar="[FILE]"),
    ] = None,
    every_recipient: Annotated[
        bool, typer.Option("--all", help="Every recipient country, not only ASEAN members and Timor-Leste.")
    ] = False,
    skip_bad_rows: Annotated[
        bool, typer.Option("--skip-bad-rows", help="Import the good rows and list the bad ones, instead of nothing.")
    ] = False,
    sheet: Annotated[
        list[str] | None,
        typer.Option(
            "--sheet",
            help="A workbook's sheet to read (default: the importer's; repeat where the importer reads several).",
            metavar="SHEET",
        ),
    ] = None,
    locations: Annotated[
        list[str] | None,
        typer.Option(
            "--locations",
            help="A location file the importer joins to the rows by record id, such as an ADM1 or ADM2 file "
            "(repeat for both; adm1=FILE when the name does not say).",
            metavar="FILE",
        ),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(
            "--name", help="Name of the import (default: the importer's); imports side by side.", metavar="NAME"
        ),
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Rows another import holds already: this import's win.")
    ] = False,
    remove: Annotated[
        str | None, typer.Option("--remove", help="Remove the import called NAME.", metavar="NAME")
    ] = None,
    fmt: FormatOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Import a dataset into your knowledge directory, remove an import, or (alone) list the imports.

    Example: cca import aiddata AidDatasGlobalChineseDevelopmentFinanceDataset_v3.0.xlsx
    """
    act.import_dataset(
        {
            "importer": importer,
            "file": file,
            "every_recipient": every_recipient,
            "skip_bad_rows": skip_bad_rows,
            "sheet": sheet,
            "locations": locations,
            "name": name,
            "replace": replace,
            "remove": remove,
            "fmt": fmt,
            "json_": json_,
        }
    )


@app.command()
def validate(
    files: Annotated[
        list[str] | None,
        typer.Argument(help="Knowledge files or directories to check with the others.", metavar="[FILE]..."),
    ] = None,
    sources_dir: Annotated[
        str | None,
        typer.Option("--sources", help="Directory of source texts: check every quote occurs verbatim.", metavar="DIR"),
    ] = None,
) -> None:
    """Check the knowledge: schema, unique ids, references and (with --sources) verbatim quotes.

    Validates the bundled knowledge plus your knowledge directory, $CCA_KNOWLEDGE, --knowledge
    and FILE...; problems are listed as file:line:col: message on stderr, exit status 1.

    Example: cca validate --sources ../shared/sources
    """

    act.validate({"files": files, "sources_dir": sources_dir})
