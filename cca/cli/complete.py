"""Value completion for the shell: answered from the compiled store, case-insensitively, never with an error."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cca.core.model import STATUSES


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
    return _candidates(incomplete, knowledge.ids(incomplete.lower()))


def fields(ctx: Any, incomplete: str) -> list[tuple[str, str]]:
    """Complete the last of a comma-separated list of fields, for the command being typed."""
    from cca.core.kinds import KINDS
    from cca.core.outschema import fields as kind_fields

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
