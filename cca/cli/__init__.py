"""The command line: Typer app (:mod:`cca.cli.main`), the error edge (:mod:`cca.cli.edge`), output, terminal."""

from __future__ import annotations

import os
import sys


def _guard_standard_streams() -> None:
    """Before any file is opened: a closed stdin, stdout or stderr gets /dev/null in its place.

    Otherwise the next file opened (the compiled cache, an export) would take file
    descriptor 1 or 2, and data or messages would be written into it.
    """
    from cca.cli import stream

    for descriptor in (0, 1, 2):
        try:
            os.fstat(descriptor)
        except OSError:
            try:
                opened = os.open(os.devnull, os.O_RDWR)
            except OSError:
                continue
            if opened != descriptor:
                os.dup2(opened, descriptor)
                os.close(opened)
            if descriptor == 1:
                stream.STDOUT_CLOSED = True


def run() -> None:
    """Console-script entry point: the fast path when it is sure of the command line, else the Typer app."""
    import gc

    # A run builds many small objects and frees them by reference counting; collection passes over
    # them are wasted work (20,000 projects as JSON: 0.9 s with the default thresholds). Rarer passes.
    gc.set_threshold(50_000, 20, 20)
    _guard_standard_streams()
    from cca.cli.edge import install_signal_handlers

    install_signal_handlers()
    from cca.cli.fast import main

    code = main(sys.argv[1:])
    if code is not None:
        sys.exit(code)
    from cca.cli.main import app

    app(prog_name="cca")


def __getattr__(name: str) -> object:
    # `from cca.cli import app` keeps working for tests and embedders, without importing Typer at `import cca.cli`.
    if name == "app":
        from cca.cli.main import app

        return app
    raise AttributeError(f"module 'cca.cli' has no attribute {name!r}")


__all__ = ["run", "sys"]
