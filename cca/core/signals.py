"""Signals that stop cca, held while code that must not be cut short runs.

A rename and the removal of its temporary file (:mod:`cca.io.safefile`), the start of a helper
process (:mod:`cca.io.spread`), a call into a library that calls cca back (jsonschema_rs checks a
date with cca's function, and would print and lose an exception a handler raised in there): a
signal that arrives meanwhile is delivered when the held code is done.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager

#: The signals that stop cca: Ctrl-C, SIGTERM and SIGHUP (those this platform has).
STOPPING = frozenset(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


@contextmanager
def signals_held() -> Iterator[None]:
    """Hold the stopping signals (where the platform can) while the body runs; deliver them after it."""
    mask = getattr(signal, "pthread_sigmask", None)
    if mask is None:
        yield
        return
    previous = mask(signal.SIG_BLOCK, STOPPING)
    try:
        yield
    finally:
        mask(signal.SIG_SETMASK, previous)
