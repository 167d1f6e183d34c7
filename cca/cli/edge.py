"""The edge between cca and the shell: the one place where failures become a message and an exit status.

Every command runs inside :func:`guarded`, whichever parser read its options (the
Typer app, for the installed ``cca`` and for ``typer.testing.CliRunner`` alike, or
the fast path). The library raises typed errors (:mod:`cca.core.errors`); here each
becomes one line on stderr and its documented exit status. A damaged compiled store
is rebuilt and the command run again; SIGTERM and SIGHUP end the run like Ctrl-C
does, after every temporary file is removed.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from typing import Any

from cca.cli import stream
from cca.core.errors import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_IO,
    EXIT_OK,
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
    """Global flags of one run, set from the global options."""

    debug = False
    retry: Callable[[], None] | None = None
    #: The SIGTERM or SIGHUP that arrived, if one did: a query it stops ends as KeyboardInterrupt.
    signalled: int | None = None


def _on_signal(number: int, frame: Any) -> None:
    Flags.signalled = number
    raise Terminated(number)


def install_signal_handlers() -> None:
    for name in ("SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is not None:
            try:
                signal.signal(number, _on_signal)
            except (ValueError, OSError):  # not the main thread: leave the default
                pass


def guarded(action: Callable[[], int | None]) -> int:
    """Run ``action`` and turn whatever happens into an exit status (messages on stderr)."""
    try:
        try:
            result = action()
        except StoreError:
            # The compiled store could not be read after all: build it again and answer from that.
            if Flags.retry is None:
                raise
            Flags.retry()
            result = action()
        _flush()
        return result if isinstance(result, int) else EXIT_OK
    except KnowledgeError as invalid:
        for line in invalid.lines(option):
            stream.raw_error_line(line)
        stream.error(invalid.summary(option))
        return invalid.exit_code
    except CcaError as failure:
        stream.error(_message(failure))
        return failure.exit_code
    except stream.StdoutGone:
        _quiet_stdout()
        return EXIT_OK
    except stream.StdoutFailed as failure:
        _quiet_stdout()
        stream.error(f"cannot write to standard output: {failure}")
        return EXIT_IO
    except KeyboardInterrupt:
        return 128 + Flags.signalled if Flags.signalled else EXIT_INTERRUPTED
    except Terminated as signalled:
        return 128 + signalled.number
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else EXIT_OK
    except Exception as bug:  # the edge: anything else is a bug, reported in one line
        if Flags.debug:
            import traceback

            traceback.print_exc()
        stream.error(f"internal error: {type(bug).__name__}: {bug} (run 'cca --debug ...' for a traceback)")
        return EXIT_INTERNAL


#: Parameters whose option is not ``--`` and the parameter's name.
_OPTIONS = {"every_recipient": "--all", "fmt": "--format"}


def option(name: str) -> str:
    """The option that sets a parameter or filter the library names: ``since`` is ``--since``."""
    from cca.core.filters import FILTERS

    if name in FILTERS:
        return FILTERS[name].option
    return _OPTIONS.get(name, "--" + name.replace("_", "-"))


def _message(failure: CcaError) -> str:
    """The library names a filter or parameter (``since``); the command line names its option (``--since``)."""
    return failure.render(option)


def _flush() -> None:
    if sys.stdout is None:
        return
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        raise stream.StdoutGone from None
    except (OSError, ValueError) as failure:
        raise stream.StdoutFailed(getattr(failure, "strerror", None) or str(failure)) from None


def _quiet_stdout() -> None:
    if sys.stdout is not None and sys.stdout is sys.__stdout__:
        stream.silence_stdout()
