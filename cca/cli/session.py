"""One run's session: the knowledge chosen by the global options and the environment, loaded once."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from cca.cli.stream import note

if TYPE_CHECKING:
    from cca.core.kb import KnowledgeBase
    from cca.core.settings import Settings


class Session:
    """One run's choice of knowledge (from the global options and the environment) and its loaded form."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.knowledge: KnowledgeBase | None = None

    def kb(self) -> KnowledgeBase:
        if self.knowledge is None:
            self.knowledge = self._load(rebuild=False)
        return self.knowledge

    def rebuild(self) -> None:
        self.knowledge = self._load(rebuild=True)

    def _load(self, rebuild: bool) -> KnowledgeBase:
        import gc

        from cca.io.load import load

        # A first load allocates millions of objects and frees few: collection passes over them are
        # wasted work (the process's choice, so the command line's, not the library's).
        collecting = gc.isenabled()
        gc.disable()
        try:
            return load(settings=self.settings, report=note if stderr_is_terminal() else None, rebuild=rebuild)
        finally:
            if collecting:
                gc.enable()


def stderr_is_terminal() -> bool:
    return bool(sys.stderr is not None and getattr(sys.stderr, "isatty", lambda: False)())


class State:
    """The session of the run in progress (set by the app callback)."""

    session: Session | None = None


def session() -> Session:
    if State.session is None:  # a command run without the callback (tests calling it directly)
        from cca.core.settings import Settings

        State.session = Session(Settings.from_environ())
    return State.session


def kb() -> KnowledgeBase:
    return session().kb()
