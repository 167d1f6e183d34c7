"""Run ``cca`` as a real process that stops at a named point, so a test can kill it there or run another beside it.

    python tests/pause.py STAGE FLAGS -- ARGS...

At STAGE the process creates ``FLAGS/paused`` and waits until ``FLAGS/go`` exists (or 120 s),
then goes on. Stages:

* ``rows``: an import, after its second record is written to the hidden file and the store;
* ``check``: an import, its rows all in, before they are checked with everything else;
* ``renamed``: an import, after its file is renamed into place, before the store commits;
* ``update``: any command bringing a cached store up to date in place, before it commits;
* ``none``: no stop (``LOCK_WAIT`` still applies).

``LOCK_WAIT=SECONDS`` in the environment shortens how long an import waits for the lock.
Nothing here is part of cca: it patches cca's functions from outside, as a debugger would.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any


def _pause(flags: Path) -> None:
    (flags / "paused").touch()
    deadline = time.monotonic() + 120
    while not (flags / "go").exists() and time.monotonic() < deadline:
        time.sleep(0.02)


def main() -> None:
    stage, flags = sys.argv[1], Path(sys.argv[2])
    args = sys.argv[sys.argv.index("--") + 1 :]
    from cca.io import compile as compiling
    from cca.io import importing, lines

    if os.environ.get("LOCK_WAIT"):
        importing.LOCK_WAIT = float(os.environ["LOCK_WAIT"])
    if stage == "rows":
        write = lines.Writer.write

        def slow_write(self: Any, section: str, record: Any, encoded: str | None = None) -> int:
            line = write(self, section, record, encoded)
            if line == 3:
                _pause(flags)
            return line

        lines.Writer.write = slow_write  # type: ignore[method-assign]
    elif stage == "check":
        check = compiling.Compiler.check

        def paused_check(self: Any) -> None:
            _pause(flags)
            check(self)

        compiling.Compiler.check = paused_check  # type: ignore[method-assign]
    elif stage == "renamed":
        replace = os.replace

        def renamed(source: Any, target: Any) -> None:
            replace(source, target)
            if str(target).endswith(".jsonl") and not Path(target).name.startswith("."):
                _pause(flags)

        os.replace = renamed
    elif stage == "update":
        update = compiling.compile_files

        def paused_update(connection: Any, *rest: Any, **more: Any) -> None:
            update(connection, *rest, **more)
            if connection.in_transaction:
                _pause(flags)

        compiling.compile_files = paused_update
    elif stage != "none":  # "none": no stop, only the environment's settings
        raise SystemExit(f"no stage {stage!r}")
    sys.argv = ["cca", *args]
    from cca.cli import run

    run()


if __name__ == "__main__":
    main()
