"""The edge between cca and the shell: error handling, exit statuses, writing to stdout.

Every command runs inside :class:`CcaGroup.main`, which is the one place where
exceptions become a one-line message on stderr and an exit status, both for the
installed ``cca`` and for ``typer.testing.CliRunner``.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence
from typing import Any

import typer
import typer.core

from cca.errors import EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, CcaError, KnowledgeError

#: Unexpected failure inside cca (a bug): BSD's EX_SOFTWARE.
EXIT_INTERNAL = 70


class Settings:
    """Global options, set by the app callback."""

    debug = False


def _usage_hint(error: typer.TyperException) -> str:
    ctx = getattr(error, "ctx", None)
    if ctx is not None and ctx.command_path:
        return f" (see '{ctx.command_path} --help')"
    return ""


def error(message: str) -> None:
    """One line on stderr, prefixed with the program name."""
    sys.stderr.write(f"cca: {message}\n")


def note(message: str) -> None:
    """A remark about the answer, not data: on stderr so pipes stay clean."""
    sys.stderr.write(f"cca: note: {message}\n")


def _quiet_broken_pipe() -> None:
    # Point stdout at /dev/null so the interpreter's final flush cannot fail again.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


class CcaGroup(typer.core.TyperGroup):
    """Runs the app with cca's error handling, in the shell and under CliRunner alike."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        Settings.debug = False
        code = self._run(args, prog_name or "cca", complete_var, extra)
        if standalone_mode:
            sys.exit(code)
        return code

    def _run(self, args: Sequence[str] | None, prog_name: str, complete_var: str | None, extra: Any) -> int:
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            sys.stdout.flush()
            return result if isinstance(result, int) else EXIT_OK
        except typer.Exit as exit_:
            return exit_.exit_code
        except typer.TyperException as failure:  # Typer's own usage errors (exit_code 2) and friends
            hint = _usage_hint(failure) if failure.exit_code == EXIT_USAGE else ""
            error(f"{failure.format_message()}{hint}")
            return failure.exit_code
        except KnowledgeError as invalid:
            for problem in invalid.problems:
                sys.stderr.write(f"{problem}\n")
            count = len(invalid.problems)
            error(f"{count} problem{'s' if count != 1 else ''} in the knowledge files")
            return invalid.exit_code
        except CcaError as failure:
            error(str(failure))
            return failure.exit_code
        except (KeyboardInterrupt, typer.Abort):
            return EXIT_INTERRUPTED
        except BrokenPipeError:
            _quiet_broken_pipe()
            return EXIT_OK
        except SystemExit as exit_:
            return exit_.code if isinstance(exit_.code, int) else EXIT_OK
        except Exception as bug:  # the edge: anything else is a bug, reported in one line
            if Settings.debug:
                traceback.print_exc()
            error(f"internal error: {type(bug).__name__}: {bug} (run 'cca --debug ...' for a traceback)")
            return EXIT_INTERNAL


def stdout_encoding() -> str:
    return (getattr(sys.stdout, "encoding", None) or "utf-8").lower()


def stdout_is_unicode() -> bool:
    try:
        "中–“".encode(stdout_encoding())
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def emit(text: str) -> None:
    """Write data to stdout; characters the stream cannot encode become escapes, with a note."""
    try:
        try:
            sys.stdout.write(text)
        except UnicodeEncodeError:
            encoding = stdout_encoding()
            sys.stdout.write(text.encode(encoding, "backslashreplace").decode(encoding))
            note(
                f"stdout's encoding ({encoding}) cannot show some characters; they are written as \\u escapes "
                "(set PYTHONIOENCODING=utf-8, or use --json)"
            )
        sys.stdout.flush()
    except BrokenPipeError:
        _quiet_broken_pipe()
        raise SystemExit(EXIT_OK) from None
