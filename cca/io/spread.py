"""Share a long first load with a second process: this one and a forked helper, in step.

A first load reads every record (parse, check, encode: about half of it) and renders every
record's output (most of the rest); both are the same work on each of thousands of parts that
do not depend on one another. On a machine with two or more processors for us, a large load
forks a helper that does every other part and sends back what it made through a pipe; this
process does the other parts and takes every part's result in order, so what is stored is the
same, part for part, as when one process does it all. The helper never writes the store: for
rendering it reads what the build committed for it (the new store is a private temporary file
until it is moved into place) through its own read-only connection.

If the helper cannot start, fails, or goes quiet, this process does its parts too: the answer
is the same, only slower. What the helper refuses (a file the fast reader does not take) is
raised here. A signal that stops this process stops the helper (it is killed in ``finally``;
Ctrl-C reaches both); a helper whose parent was killed ends at its next write.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import sys
from collections.abc import Callable, Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from cca.core.build import Rendered, Renderer, Spread
from cca.core.kb import KnowledgeBase
from cca.core.registry import Registry
from cca.core.signals import STOPPING
from cca.core.store import Store

T = TypeVar("T")
R = TypeVar("R")

#: Parts (of 500 records) below which rendering in a second process is not worth starting one.
MIN_PARTS = 8
#: The helper's share of the tasks: this process stores every result, so it makes fewer (measured at 20,000).
READ_SHARE = 0.65
RENDER_SHARE = 0.6
#: The pipe's capacity, so that the helper rarely waits for this process to take a part.
_PIPE_SIZE = 1 << 20


def available() -> bool:
    """Whether this machine can share work with a second process: fork (Linux) and two processors for us."""
    if sys.platform != "linux" or not hasattr(os, "fork"):
        return False
    try:
        return len(os.sched_getaffinity(0)) >= 2
    except OSError:
        return False


def in_two(
    tasks: Sequence[T],
    here: Callable[[T], R],
    there: Callable[[], Callable[[T], R]],
    passes: tuple[type[BaseException], ...] = (),
    share: float = 0.5,
) -> Iterator[R]:
    """``here(task)`` of every task, in order: about ``share`` of them, spread evenly, made by a forked helper
    with ``there()``'s function (this process also stores every result, so the helper takes more than half).

    An exception of a type in ``passes`` that the helper meets is raised here, at its task; any other
    failure of the helper makes this process do the rest itself.
    """
    theirs = {index for index in range(len(tasks)) if int((index + 1) * share) > int(index * share)}
    read, write = os.pipe()
    with contextlib.suppress(AttributeError, OSError):
        import fcntl

        fcntl.fcntl(write, fcntl.F_SETPIPE_SZ, _PIPE_SIZE)
    # Signals wait while the helper starts: one delivered in between would run this process's handler
    # in the helper (and its clean-up), or leave a helper that no ``finally`` below would end.
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOPPING)
    try:
        child = os.fork()
    except OSError:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        os.close(read)
        os.close(write)
        yield from map(here, tasks)
        return
    if child == 0:  # pragma: no cover - runs in the forked helper, where coverage does not look
        for number in STOPPING:  # a signal ends the helper at once, as it ends this process
            signal.signal(number, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        _helper(read, write, [task for index, task in enumerate(tasks) if index in theirs], there, passes)
    try:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)  # one that waited is delivered here, inside the try
        os.close(write)
        with os.fdopen(read, "rb") as incoming:
            alone = False
            for index, task in enumerate(tasks):
                if index not in theirs or alone:
                    yield here(task)
                    continue
                try:
                    sent = reader()(incoming).load()
                except Exception:  # noqa: BLE001 - a helper that stopped sends nothing whole
                    sent = None
                if isinstance(sent, tuple) and len(sent) == 2 and sent[0] == "made":
                    yield sent[1]
                elif isinstance(sent, tuple) and len(sent) == 2 and sent[0] == "raised" and isinstance(sent[1], passes):
                    raise sent[1]
                else:
                    alone = True  # the helper stopped: this process does the rest itself
                    yield here(task)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(child, 0)


#: What a helper may send: cca's result types, the exceptions it passes on, and what pickle rebuilds them with.
_ALLOWED = frozenset(
    {
        ("cca.core.build", "Prepared"),
        ("cca.core.build", "Rendered"),
        ("cca.core.checks", "Pending"),
        ("cca.core.checks", "Loc"),
        ("cca.io.yaml", "Unsuitable"),
        ("builtins", "ValueError"),
        ("builtins", "KeyError"),
        ("builtins", "TypeError"),
        ("copyreg", "__newobj__"),
        ("copyreg", "_reconstructor"),
        ("builtins", "object"),
    }
)


@cache
def reader() -> type:
    """The unpickler of what a helper sends: cca's result types and plain values, nothing else.

    The pipe is this process's own and only its forked helper holds the other end; still, nothing
    read from it can name a class outside :data:`_ALLOWED` (an unpickler that can is a way to run
    code). Made on first use: pickle is not imported by a load that forks no helper (3 ms).
    """
    import pickle

    class Only(pickle.Unpickler):
        def find_class(self, module: str, name: str) -> Any:
            if (module, name) not in _ALLOWED:
                raise pickle.UnpicklingError(f"a helper sent {module}.{name}: not a result")
            return super().find_class(module, name)

    return Only


def _helper(
    read: int,
    write: int,
    tasks: Sequence[Any],
    there: Callable[[], Callable[[Any], Any]],
    passes: tuple[type[BaseException], ...],
) -> None:  # pragma: no cover - runs in the forked helper
    """The forked helper: make each task's result, send it, and exit (never through the parent's clean-up)."""
    status = 1
    try:
        os.close(read)
        import pickle

        make = there()
        with os.fdopen(write, "wb") as out:
            for task in tasks:
                try:
                    sent: tuple[str, Any] = ("made", make(task))
                except passes as error:
                    sent = ("raised", error)
                pickle.dump(sent, out, protocol=pickle.HIGHEST_PROTOCOL)
                out.flush()
                if sent[0] == "raised":
                    break
        status = 0
    finally:
        os._exit(status)  # its temporary files are the parent's to remove


def render_spread(connection: sqlite3.Connection, path: Path, kinds: Registry) -> Spread | None:
    """How a new store at ``path`` (written on ``connection``, inside its transaction) renders in two processes."""
    if not available():
        return None

    def spread(parts: Sequence[list[int]], work: Renderer, kb: KnowledgeBase) -> Iterator[Rendered]:
        if len(parts) < MIN_PARTS:
            yield from (work(kb, part) for part in parts)
            return
        # the helper reads what is committed; WAL lets this process write while it does
        connection.execute("COMMIT")
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("BEGIN")

        def there() -> Callable[[list[int]], Rendered]:
            reader = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
            reader.execute("PRAGMA mmap_size = 1073741824")  # read the new store's pages in place, not copied
            own = KnowledgeBase(Store(reader, kinds), [])
            return lambda part: work(own, part)

        yield from in_two(parts, lambda part: work(kb, part), there, share=RENDER_SHARE)

    return spread
