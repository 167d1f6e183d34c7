"""Command-line spellings cca accepts beyond click's, rewritten before either parser reads them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

Grammar = Mapping[str, Any]


def gh_json(argv: Sequence[str], grammar: Grammar | None = None) -> list[str]:
    """gh's ``--json FIELDS`` as cca's ``--json --fields FIELDS``: the one spelling both parsers read.

    ``--json=FIELDS`` always names fields. ``--json FIELDS`` does when the command takes no
    positional argument, or when the word after ``--json`` holds a comma; otherwise (``cca search
    --json railway``) the word stays the command's argument. Everything else is left as it is.
    """
    if grammar is None:
        from cca.cli.grammar import GRAMMAR

        grammar = GRAMMAR
    args = list(argv)
    if not any(arg == "--json" or arg.startswith("--json=") for arg in args):
        return args
    command, index = _command_of(args, grammar)
    if command is None:
        return args
    params = grammar["commands"][command]
    if not any(p["name"] == "json_" and p["kind"] == "flag" for p in params):
        return args
    takes_argument = any(p["kind"] == "argument" for p in params)
    out = args[: index + 1]
    rest = args[index + 1 :]
    position = 0
    while position < len(rest):
        token = rest[position]
        position += 1
        if token == "--":
            out += rest[position - 1 :]
            break
        if token.startswith("--json="):
            out += ["--json", "--fields", token.removeprefix("--json=")]
        elif token == "--json" and position < len(rest) and not rest[position].startswith("-"):
            following = rest[position]
            if not takes_argument or "," in following:
                out += ["--json", "--fields", following]
                position += 1
            else:
                out.append(token)
        else:
            out.append(token)
    return out


def _command_of(args: Sequence[str], grammar: Grammar) -> tuple[str | None, int]:
    """The command word of a command line and its index, reading past the global options."""
    takes_value = {opt for p in grammar["global"] if p["kind"] == "option" for opt in p["opts"]}
    index = 0
    while index < len(args):
        token = args[index]
        if token == "--":
            return None, index
        if not token.startswith("-") or token == "-":
            return (token if token in grammar["commands"] else None), index
        index += 2 if token in takes_value else 1
    return None, index
