"""Exit statuses and the exceptions that map onto them.

The library raises these; the CLI turns them into one line on stderr and an
exit status in exactly one place (``cca.cli.main``).
"""

from __future__ import annotations

from dataclasses import dataclass

EXIT_OK = 0
EXIT_INVALID_KNOWLEDGE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a knowledge file, pointing at the offending YAML node."""

    path: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"


class CcaError(Exception):
    """Base class of every error cca reports to a user."""

    exit_code = EXIT_INVALID_KNOWLEDGE


class KnowledgeError(CcaError):
    """The knowledge could not be loaded or is invalid; carries every problem found."""

    exit_code = EXIT_INVALID_KNOWLEDGE

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class QueryError(CcaError):
    """The user asked for something that does not exist (a usage error)."""

    exit_code = EXIT_USAGE
