"""Exit statuses and the exceptions that map onto them.

The library raises these; the CLI turns them into one line on stderr and an
exit status in exactly one place (``cca.cli.edge``).
"""

from collections.abc import Callable, Sequence
from typing import NamedTuple

EXIT_OK = 0
#: The knowledge (or a dataset being imported) could not be loaded or is invalid.
EXIT_INVALID = 1
#: Usage error: unknown option, value, id or kind; an export target that may not be replaced.
EXIT_USAGE = 2
#: A bug in cca (BSD's EX_SOFTWARE).
EXIT_INTERNAL = 70
#: An output file could not be created or written (BSD's EX_CANTCREAT).
EXIT_CANT_CREATE = 73
#: Standard output could not be written: closed, full, an I/O error (BSD's EX_IOERR).
EXIT_IO = 74
#: Busy: another import or removal holds the knowledge directory's lock; try again (BSD's EX_TEMPFAIL).
EXIT_BUSY = 75
#: Interrupted by SIGINT (Ctrl-C): 128 + 2.
EXIT_INTERRUPTED = 130

#: Kept for callers of the 0.1 API.
EXIT_INVALID_KNOWLEDGE = EXIT_INVALID


class Problem(NamedTuple):
    """One thing wrong with a knowledge file, pointing at the offending YAML node."""

    path: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        if self.line <= 0:  # about a path as a whole (a directory), not a place in a file
            return f"{self.path}: {self.message}"
        return f"{self.path}:{self.line}:{self.column}: {self.message}"


def named(text: str, params: Sequence[str], name: Callable[[str], str]) -> str:
    """``text`` with each ``{param}`` of ``params`` written as ``name`` writes it."""
    for param in params:
        text = text.replace("{" + param + "}", name(param))
    return text


def library_name(param: str) -> str:
    """How the library names a parameter in a message: ``'force'`` (the command line writes ``--force``)."""
    return repr(param)


class CcaError(Exception):
    """Base class of every error cca reports to a user.

    The library speaks of its parameters, the command line of its options: a message names a
    parameter as ``{force}`` and lists it in ``params``; ``str()`` gives ``'force'``, and
    :meth:`render` lets the command line write ``--force``.
    """

    exit_code = EXIT_INVALID
    params: tuple[str, ...] = ()

    def __init__(self, *args: object, params: Sequence[str] = ()) -> None:
        if params:
            self.params = tuple(params)
        self.template = args[0] if args and isinstance(args[0], str) else None
        if self.template is not None and self.params:
            args = (named(self.template, self.params, library_name), *args[1:])
        super().__init__(*args)

    def render(self, name: Callable[[str], str]) -> str:
        """The message with each parameter it names written by ``name``."""
        return named(self.template, self.params, name) if self.template is not None else str(self)


class KnowledgeError(CcaError):
    """The knowledge could not be loaded or is invalid; carries every problem found."""

    exit_code = EXIT_INVALID
    #: How the closing line names where the problems are.
    where = "in the knowledge files"

    def __init__(self, problems: list[Problem], *, params: Sequence[str] = ()) -> None:
        self.problems = problems
        if params:
            self.params = tuple(params)
        super().__init__("\n".join(named(str(p), self.params, library_name) for p in problems))

    def lines(self, name: Callable[[str], str] = library_name) -> list[str]:
        """Each problem as one line, the parameters it names written by ``name``."""
        return [named(str(p), self.params, name) for p in self.problems]

    def summary(self, name: Callable[[str], str] = library_name) -> str:
        count = len(self.problems)
        return f"{count} problem{'s' if count != 1 else ''} {named(self.where, self.params, name)}"


class BadCells(KnowledgeError):
    """Cells of a dataset that do not hold what their column says; nothing was imported."""

    where = "in the dataset: nothing was imported ({skip_bad_rows} imports the other rows)"
    params = ("skip_bad_rows",)


class QueryError(CcaError):
    """The user asked for something that does not exist (a usage error)."""

    exit_code = EXIT_USAGE


class AmbiguousError(QueryError):
    """A name matches more than one record; ``candidates`` lists (id, name) pairs."""

    def __init__(self, message: str, candidates: list[tuple[str, str]]) -> None:
        self.candidates = candidates
        super().__init__(message)


class OutputError(CcaError):
    """An output file could not be created or written."""

    exit_code = EXIT_CANT_CREATE


class DatasetError(CcaError):
    """A dataset file given to an importer is not in the layout it reads, or holds bad values."""

    exit_code = EXIT_INVALID


class StoreError(Exception):
    """The compiled store could not be read (damaged, truncated, foreign): rebuild it, never report it."""
