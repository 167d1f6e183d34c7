"""The library's front door: :func:`load` knowledge into a :class:`~cca.core.kb.KnowledgeBase`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from cca.core.kb import KnowledgeBase
from cca.core.load import load_store
from cca.core.settings import Settings


def load(
    paths: Sequence[Path | str] | None = None,
    *,
    settings: Settings | None = None,
    extra: Iterable[Path | str] = (),
    bundled: bool | None = None,
    sources_dir: Path | str | None = None,
    report: Callable[[str], None] | None = None,
    rebuild: bool = False,
) -> KnowledgeBase:
    """Load and validate knowledge; raise :class:`~cca.KnowledgeError` listing every problem.

    With no arguments: the bundled knowledge, compiled in memory. ``paths`` replaces the
    file list entirely; ``extra`` adds files or directories; ``settings`` (for instance
    ``Settings.from_environ()``, as the command line does) says everything else, including
    where to keep a compiled cache. ``sources_dir`` checks every quote against the
    source texts there. ``report`` receives notes (a slow first load, a cache not used).
    """
    chosen = settings or Settings()
    if paths is not None:
        chosen = chosen._replace(knowledge=tuple(Path(p) for p in paths), bundled=False, data_dir=None)
    if extra:
        chosen = chosen.with_knowledge(Path(p) for p in extra)
    if bundled is not None:
        chosen = chosen._replace(bundled=bundled)
    store, files = load_store(
        chosen,
        sources_dir=Path(sources_dir) if sources_dir is not None else None,
        report=report,
        rebuild=rebuild,
    )
    return KnowledgeBase(store, [f.label for f in files])
