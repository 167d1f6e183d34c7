"""Value completion for the shell: answered from the compiled store, case-insensitively, never with an error.

Candidates and their descriptions are data (record names, aliases, labels from knowledge files and
imports), so they are written for each shell the way a table cell is shown: every control character,
escape sequence, bidi control, tab and line break as a visible escape (:func:`cca.core.text.visible`).
The zsh script ``eval``s this output and fish reads one candidate per line: raw text could drive the
terminal or add candidates. Typer's own formatting hands descriptions to rich's markup renderer (a
name with ``[/x]`` in it raised an error into the prompt, and long ones were wrapped onto new lines);
cca's formatters (:func:`install`) never do.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cca.core.model import STATUSES
from cca.core.text import visible

#: Longest description shown beside a candidate (a project's title can run to hundreds of characters).
DESCRIPTION_MAX = 80


def shown(text: str) -> str:
    """A candidate or description as a shell may show it: one line, nothing that steers a terminal."""
    return visible(text)


def described(text: str) -> str:
    """A description: :func:`shown`, whitespace runs as one space, cut to :data:`DESCRIPTION_MAX` characters."""
    line = " ".join(shown(text).split())
    return line if len(line) <= DESCRIPTION_MAX else line[: DESCRIPTION_MAX - 3].rstrip() + "..."


def install() -> None:
    """Register cca's formatters for bash, zsh, fish and PowerShell (Typer's scripts, cca's output)."""
    from typer._click.shell_completion import CompletionItem, add_completion_class
    from typer._completion_classes import (
        BashComplete,
        FishComplete,
        PowerShellComplete,
        ZshComplete,
        completion_init,
    )

    completion_init()  # Typer registers its shells only when it adds its own completion options

    class Bash(BashComplete):
        def format_completion(self, item: CompletionItem) -> str:
            return shown(item.value)

    class Zsh(ZshComplete):
        def format_completion(self, item: CompletionItem) -> str:
            value = _zsh(shown(item.value))
            return f'"{value}":"{_zsh(described(item.help))}"' if item.help else f'"{value}"'

    class Fish(FishComplete):
        def format_completion(self, item: CompletionItem) -> str:
            value = shown(item.value)
            return f"{value}\t{described(item.help)}" if item.help else value

    class PowerShell(PowerShellComplete):
        def format_completion(self, item: CompletionItem) -> str:
            return f"{shown(item.value)}:::{described(item.help) if item.help else ' '}"

    for cls, names in ((Bash, ("bash",)), (Zsh, ("zsh",)), (Fish, ("fish",)), (PowerShell, ("powershell", "pwsh"))):
        for name in names:
            add_completion_class(cls, name)


def _zsh(text: str) -> str:
    """Quoted for the ``_arguments`` spec the zsh script evals (as Typer quotes it)."""
    text = text.replace("\\", "\\\\")  # a visible escape (\\x1b) stays one after zsh's unquoting
    return text.replace('"', '""').replace("'", "''").replace("$", "\\$").replace("`", "\\`").replace(":", r"\\:")


def _candidates(incomplete: str, pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    wanted = incomplete.casefold()
    seen: dict[str, str] = {}
    for value, help_text in pairs:
        if value and value.casefold().startswith(wanted) and value not in seen:
            seen[value] = help_text
    return list(seen.items())


def _kb() -> Any:
    try:
        from cca.cli.session import kb

        return kb()
    except Exception:  # noqa: BLE001 - completion must never print an error into the user's prompt
        return None


def country(incomplete: str) -> list[tuple[str, str]]:
    knowledge = _kb()
    if knowledge is None:
        return []
    from cca.core.regions import regions

    pairs = [(r.name, f"region: {len(r.members)} countries") for r in regions()]
    for record in knowledge.of_kind("country"):
        for value in (
            record.name,
            record.get("iso2"),
            record.get("iso3"),
            record.get("official_name"),
            *record.aliases,
        ):
            if isinstance(value, str):
                pairs.append((value, record.name))
    return _candidates(incomplete, pairs)


def region(incomplete: str) -> list[tuple[str, str]]:
    from cca.core.regions import regions

    return _candidates(incomplete, [(r.id, r.name) for r in regions()] + [(r.name, r.name) for r in regions()])


def sector(incomplete: str) -> list[tuple[str, str]]:
    knowledge = _kb()
    if knowledge is None:
        return []
    return _candidates(incomplete, ((r.id, r.name) for r in knowledge.of_kind("sector")))


def status(incomplete: str) -> list[tuple[str, str]]:
    return _candidates(incomplete, ((value, "project status") for value in STATUSES))


def kind(incomplete: str) -> list[tuple[str, str]]:
    from cca.core.kinds import KINDS

    return _candidates(incomplete, [(k.plural, k.title) for k in KINDS] + [(k.name, k.title) for k in KINDS])


def record_id(incomplete: str) -> list[tuple[str, str]]:
    knowledge = _kb()
    if knowledge is None:
        return []
    try:
        found = knowledge.ids(incomplete.lower())
    except Exception:  # noqa: BLE001 - typed text the store cannot take (bytes that are not UTF-8): no candidates
        return []
    return _candidates(incomplete, found)


def field_names(ctx: Any, incomplete: str) -> list[tuple[str, str]]:
    """Complete the last of a comma-separated list of fields, for the command being typed."""
    from cca.core.kinds import KINDS
    from cca.core.outschema import output_fields as kind_fields

    name = ctx.info_name or ""
    found = KINDS.lookup(name)
    kind_name = "search" if name == "search" else found.name if found is not None else "project"
    done, _, last = incomplete.rpartition(",")
    prefix = f"{done}," if done else ""
    chosen = set(done.split(","))
    return [
        (prefix + field, "")
        for field in kind_fields(kind_name)
        if field not in chosen and field.casefold().startswith(last.casefold())
    ]


def _distinct(sql: str) -> list[tuple[str, str]]:
    knowledge = _kb()
    if knowledge is None:
        return []
    try:
        return [(str(value), "") for (value,) in knowledge.store._all(sql) if value]
    except Exception:  # noqa: BLE001 - completion must never print an error into the user's prompt
        return []


def _sources(incomplete: str) -> list[tuple[str, str]]:
    knowledge = _kb()
    return _candidates(incomplete, ((s.id, s.name) for s in knowledge.sources())) if knowledge is not None else []


def _people(incomplete: str) -> list[tuple[str, str]]:
    knowledge = _kb()
    if knowledge is None:
        return []
    return _candidates(
        incomplete, [(p.id, p.name) for p in knowledge.people()] + [(p.name, p.id) for p in knowledge.people()]
    )


def _groupings(incomplete: str) -> list[tuple[str, str]]:
    from cca.core.stats import GROUPINGS

    return _candidates(incomplete, ((name.replace("_", "-"), g.help) for name, g in GROUPINGS.items()))


def _measures(incomplete: str) -> list[tuple[str, str]]:
    from cca.core.stats import MEASURE_ALIASES, MEASURES

    short = ((alias, MEASURES[key]) for alias, key in MEASURE_ALIASES.items())
    return _candidates(incomplete, [*short, *((name.replace("_", "-"), text) for name, text in MEASURES.items())])


def _units(level: str) -> Any:
    def complete(incomplete: str) -> list[tuple[str, str]]:
        knowledge = _kb()
        if knowledge is None:
            return []
        try:  # folded as the filter matches: 'vien' offers Vientiane Capital, 'ha noi' Hà Nội
            return [(name, iso3) for name, iso3 in knowledge.store.unit_names(level, incomplete)]
        except Exception:  # noqa: BLE001 - completion must never print an error into the user's prompt
            return []

    return complete


def _splits() -> dict[str, str]:
    from cca.core.stats import SPLITS

    return SPLITS


_SOURCES = {
    "country": country,
    "region": region,
    "sector": sector,
    "status": status,
    "source": _sources,
    "person": _people,
    "grouping": _groupings,
    "sector_source": lambda incomplete: _candidates(
        incomplete, [("any", "coding and rules"), ("dataset", "the dataset's coding"), ("derived", "cca's rules")]
    ),
    "measure": _measures,
    "split": lambda incomplete: _candidates(incomplete, ((name, text) for name, text in _splits().items())),
    "adm1": _units("adm1"),
    "adm2": _units("adm2"),
    "financier": lambda incomplete: _candidates(
        incomplete, _distinct("SELECT DISTINCT name FROM parties WHERE role IN ('funder', 'lender', 'investor')")
    ),
    "cofinancier": lambda incomplete: _candidates(
        incomplete, _distinct("SELECT DISTINCT name FROM parties WHERE role = 'co-financier'")
    ),
    "flow_class": lambda incomplete: _candidates(
        incomplete, _distinct("SELECT DISTINCT flow_class FROM facts_project WHERE flow_class IS NOT NULL")
    ),
}


def source(name: str) -> Any:
    """The completer a filter declares by name (cca.core.filters.Filter.complete)."""
    found = _SOURCES.get(name)
    if found is None:
        raise KeyError(f"no completion source {name!r}")
    return found


def sort_field(ctx: Any, incomplete: str) -> list[tuple[str, str]]:
    """The fields the command's records can be sorted by (a leading '-' kept: descending)."""
    from cca.core.kinds import KINDS
    from cca.core.outschema import sort_paths

    found = KINDS.lookup(ctx.info_name or "")
    if found is None:
        return []
    sign = "-" if incomplete.startswith("-") else ""
    return [
        (sign + name, "")
        for name in sort_paths(found.name)
        if name.casefold().startswith(incomplete.lstrip("-").casefold())
    ]


def importer(incomplete: str) -> list[tuple[str, str]]:
    from cca.io.importers import available

    return _candidates(incomplete, ((item.name, item.title) for item in available()))


def exporter(incomplete: str) -> list[tuple[str, str]]:
    from cca.io.exporters import EXPORTERS

    return _candidates(incomplete, ((name, item.help) for name, item in EXPORTERS.items()))
