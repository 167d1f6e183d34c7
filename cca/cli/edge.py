"""The edge between cca and the shell: the one place where failures become a message and an exit status.

Every command runs inside :meth:`CcaGroup.main`, for the installed ``cca`` and for
``typer.testing.CliRunner`` alike. The library raises typed errors
(:mod:`cca.core.errors`); here each becomes one line on stderr and its documented
exit status. A damaged compiled store is rebuilt and the command run again; SIGTERM
and SIGHUP end the run like Ctrl-C does, after every temporary file is removed.
"""

from __future__ import annotations

import signal
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any

import typer
import typer.core

from cca.cli import stream
from cca.core.errors import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_IO,
    EXIT_OK,
    EXIT_TERMINATED,
    EXIT_USAGE,
    CcaError,
    KnowledgeError,
    StoreError,
)


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived: unwind (running every cleanup) and exit 128 + signal."""

    def __init__(self, number: int) -> None:
        super().__init__(number)
        self.number = number


class Flags:
    """Global flags of one run, set by the app callback."""

    debug = False
    retry: Callable[[], None] | None = None


def _on_signal(number: int, frame: Any) -> None:
    raise Terminated(number)


def install_signal_handlers() -> None:
    for name in ("SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is not None:
            try:
                signal.signal(number, _on_signal)
            except (ValueError, OSError):  # not the main thread: leave the default
                pass


def _usage_hint(error: typer.TyperException) -> str:
    ctx = getattr(error, "ctx", None)
    if ctx is not None and ctx.command_path:
        return f" (see '{ctx.command_path} --help')"
    return ""


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
        Flags.debug = False
        code = self._run(args, prog_name or "cca", complete_var, extra)
        if standalone_mode:
            sys.exit(code)
        return code

    def _run(self, args: Sequence[str] | None, prog_name: str, complete_var: str | None, extra: Any) -> int:
        try:
            try:
                result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            except StoreError:
                # The compiled store could not be read after all: build it again and answer from that.
                if Flags.retry is None:
                    raise
                Flags.retry()
                result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            if sys.stdout is not None:
                try:
                    sys.stdout.flush()
                except BrokenPipeError:
                    raise stream.StdoutGone from None
                except (OSError, ValueError) as failure:
                    raise stream.StdoutFailed(getattr(failure, "strerror", None) or str(failure)) from None
            return result if isinstance(result, int) else EXIT_OK
        except typer.Exit as exit_:
            return exit_.exit_code
        except typer.TyperException as failure:  # Typer's own usage errors (exit_code 2) and friends
            hint = _usage_hint(failure) if failure.exit_code == EXIT_USAGE else ""
            stream.error(f"{failure.format_message()}{hint}")
            return failure.exit_code
        except KnowledgeError as invalid:
            for problem in invalid.problems:
                stream.raw_error_line(str(problem))
            count = len(invalid.problems)
            stream.error(f"{count} problem{'s' if count != 1 else ''} in the knowledge files")
            return invalid.exit_code
        except CcaError as failure:
            stream.error(str(failure))
            return failure.exit_code
        except stream.StdoutGone:
            self._quiet_stdout()
            return EXIT_OK
        except stream.StdoutFailed as failure:
            self._quiet_stdout()
            stream.error(f"cannot write to standard output: {failure}")
            return EXIT_IO
        except (KeyboardInterrupt, typer.Abort):
            return EXIT_INTERRUPTED
        except Terminated as signalled:
            return 128 + signalled.number if signalled.number else EXIT_TERMINATED
        except SystemExit as exit_:
            return exit_.code if isinstance(exit_.code, int) else EXIT_OK
        except Exception as bug:  # the edge: anything else is a bug, reported in one line
            if Flags.debug:
                traceback.print_exc()
            stream.error(f"internal error: {type(bug).__name__}: {bug} (run 'cca --debug ...' for a traceback)")
            return EXIT_INTERNAL

    @staticmethod
    def _quiet_stdout() -> None:
        if sys.stdout is not None and sys.stdout is sys.__stdout__:
            stream.silence_stdout()
