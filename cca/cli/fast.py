"""The fast path: command lines the Typer app would accept, parsed without importing Typer.

cca runs in shell loops and behind tab completion, and importing Typer (and click) is
most of its start-up. :data:`cca.cli.grammar.GRAMMAR` describes every command's
options and arguments; it is *derived from the Typer app* (:func:`derive`, checked by
a test), never written by hand. :func:`parse` reads a command line by that grammar,
the way click would, and gives up on anything it is not sure of: help, completion,
version, an unknown or malformed option, a value click would refuse. Then the Typer
app reads the same command line, with its messages. What a parsed command runs is
:mod:`cca.cli.dispatch`, the same code the Typer app runs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

Grammar = Mapping[str, Any]
Param = Mapping[str, Any]

#: Options that end in Typer's own behaviour (help, version, completion): the fast path steps aside.
_EAGER = {"--help", "-h", "--version", "-V", "--install-completion", "--show-completion"}


class _Decline(Exception):
    """Not sure: let the Typer app read this command line."""


def _convert(param: Param, value: str) -> Any:
    kind = param["type"]
    if kind == "int":
        try:
            number = int(value.strip(), 10)
        except ValueError:
            raise _Decline from None
        if param.get("min") is not None and number < param["min"]:
            raise _Decline
        return number
    if kind == "choice":
        for choice in param["choices"]:
            if choice.casefold() == value.casefold():
                return choice
        raise _Decline
    return value


def _defaults(params: Sequence[Param]) -> dict[str, Any]:
    return {param["name"]: param["default"] for param in params}


def _parse_params(params: Sequence[Param], args: Sequence[str], *, stop_at_command: bool) -> tuple[dict[str, Any], int]:
    """Options and arguments of one command (or, with ``stop_at_command``, the global options)."""
    values = _defaults(params)
    options = {opt: param for param in params if param["kind"] != "argument" for opt in param["opts"]}
    arguments = [param for param in params if param["kind"] == "argument"]
    positional: list[str] = []
    index = 0
    only_positional = False
    while index < len(args):
        token = args[index]
        if only_positional or token == "-" or not token.startswith("-"):
            if stop_at_command:
                return values, index
            positional.append(token)
            index += 1
            continue
        if token == "--":
            if stop_at_command:
                raise _Decline
            only_positional = True
            index += 1
            continue
        if token in _EAGER:
            raise _Decline
        name, attached = token, None
        if token.startswith("--") and "=" in token:
            name, attached = token.split("=", 1)
        elif not token.startswith("--") and len(token) > 2:
            name, attached = token[:2], token[2:]
        param = options.get(name)
        if param is None:
            raise _Decline
        index += 1
        if param["kind"] == "flag":
            if attached is not None:
                raise _Decline
            values[param["name"]] = True
            continue
        if attached is None:
            if index >= len(args) or (args[index].startswith("-") and args[index] != "-"):
                raise _Decline
            attached = args[index]
            index += 1
        value = _convert(param, attached)
        if param["multiple"]:
            values[param["name"]] = [*(values[param["name"]] or []), value]
        else:
            values[param["name"]] = value
    if stop_at_command:
        return values, index
    for param in arguments:
        if param["nargs"] == -1:
            values[param["name"]] = [_convert(param, value) for value in positional] or param["default"]
            positional = []
        elif positional:
            values[param["name"]] = _convert(param, positional.pop(0))
        elif param["required"]:
            raise _Decline
    if positional:
        raise _Decline
    return values, index


def parse(
    argv: Sequence[str], grammar: Grammar | None = None
) -> tuple[dict[str, Any], str | None, dict[str, Any]] | None:
    """(global options, command or None, its options) for a command line, or None: let Typer read it."""
    if grammar is None:
        from cca.cli.grammar import GRAMMAR

        grammar = GRAMMAR
    try:
        global_values, index = _parse_params(grammar["global"], argv, stop_at_command=True)
        if index >= len(argv):
            return global_values, None, {}
        command = argv[index]
        params = grammar["commands"].get(command)
        if params is None:
            return None
        values, _ = _parse_params(params, argv[index + 1 :], stop_at_command=False)
    except _Decline:
        return None
    return global_values, command, values


def main(argv: Sequence[str]) -> int | None:
    """Run a command line the fast path is sure of; None when the Typer app must read it."""
    if any(key.endswith("_COMPLETE") for key in os.environ):
        return None  # shell completion is Typer's
    if list(argv) in (["--version"], ["-V"]):  # as often typed as any query: answered without Typer
        from cca.cli.stream import emit
        from cca.version import __version__

        emit(f"cca {__version__}\n")
        return 0
    from cca.cli.argv import gh_json

    parsed = parse(gh_json(argv))
    if parsed is None:
        return None
    global_values, command, values = parsed
    from cca.cli import dispatch
    from cca.cli.edge import Flags, guarded

    Flags.debug = False
    Flags.signalled = None

    def action() -> None:
        dispatch.start(global_values)
        if command is None:
            dispatch.overview({})
        else:
            dispatch.run(command, values)

    return guarded(action)


# -- deriving the grammar from the Typer app --------------------------------------------------------------


TYPER_ONLY = frozenset({"completion"})  # commands that need Typer's own machinery, not cca's actions


def _describe(param: Any) -> dict[str, Any] | None:
    """One click parameter as the grammar holds it (None for those the fast path leaves to Typer)."""
    from typer._click.types import IntParamType

    if param.name in ("help", "install_completion", "show_completion", "version"):
        return None
    is_argument = param.param_type_name == "argument"
    kind = "argument" if is_argument else "flag" if getattr(param, "is_flag", False) else "option"
    described: dict[str, Any] = {
        "name": param.name,
        "kind": kind,
        "opts": [*param.opts, *param.secondary_opts] if kind != "argument" else [],
        "multiple": bool(getattr(param, "multiple", False)),
        "nargs": param.nargs,
        "required": bool(param.required),
        "type": "text",
        "default": param.default if not callable(param.default) else None,
    }
    if hasattr(param.type, "choices"):
        described["type"] = "choice"
        described["choices"] = [str(getattr(choice, "value", choice)) for choice in param.type.choices]
    elif isinstance(param.type, IntParamType):
        described["type"] = "int"
        described["min"] = getattr(param.type, "min", None)
    if kind == "flag":
        described["default"] = False
    if hasattr(described["default"], "value"):
        described["default"] = described["default"].value
    if isinstance(described["default"], tuple):
        described["default"] = list(described["default"]) or None
    return described


def derive(group: Any) -> dict[str, Any]:
    """The grammar of the Typer app's click group: the global options, and each command's parameters."""
    commands = {}
    for name in sorted(group.commands):
        if name in TYPER_ONLY:
            continue
        params = [_describe(param) for param in group.commands[name].params]
        commands[name] = [param for param in params if param is not None]
    global_params = [_describe(param) for param in group.params]
    return {"global": [param for param in global_params if param is not None], "commands": commands}


def render(grammar: Grammar) -> str:
    """The grammar as the source of :mod:`cca.cli.grammar`."""
    import pprint

    body = pprint.pformat(dict(grammar), width=110, sort_dicts=False)
    return (
        '"""The command-line grammar, derived from the Typer app by :func:`cca.cli.fast.derive`.\n\n'
        "Generated: do not edit. Regenerate with `python -m cca.cli.fast > cca/cli/grammar.py`;\n"
        'tests/test_fast_path.py fails while it differs from the app.\n"""\n\n'
        "from typing import Any\n\n"
        f"GRAMMAR: dict[str, Any] = {body}\n"
    )


if __name__ == "__main__":
    import typer.main

    from cca.cli.main import app

    print(render(derive(typer.main.get_command(app))), end="")
