"""cca: questions about China–ASEAN cooperation, answered from source-cited knowledge.

Use it from Python::

    import cca
    kb = cca.load()                                   # the bundled knowledge
    kb = cca.load(settings=cca.Settings.from_environ())  # as the command line sees it
    for project in kb.projects(country="Laos"):
        print(project.name, project.status.value, [p.value for p in project.progress])
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cca.version import __version__

__all__ = [
    "Action",
    "Agreement",
    "Aspect",
    "Country",
    "CountryProfile",
    "Event",
    "Figure",
    "Organisation",
    "Person",
    "Place",
    "Sector",
    "Source",
    "Statement",
    "KnowledgeBase",
    "KnowledgeError",
    "Problem",
    "Project",
    "QueryError",
    "Record",
    "SearchHit",
    "Settings",
    "__version__",
    "load",
]

if TYPE_CHECKING:
    from cca.core.errors import KnowledgeError, Problem, QueryError
    from cca.core.kb import CountryProfile, KnowledgeBase, SearchHit
    from cca.core.model import (
        Action,
        Agreement,
        Aspect,
        Country,
        Event,
        Figure,
        Organisation,
        Person,
        Place,
        Project,
        Record,
        Sector,
        Source,
        Statement,
    )
    from cca.core.settings import Settings
    from cca.io.load import load

#: Where each public name lives: imported on first use (the TYPE_CHECKING block above says the same to mypy).
_MODULES = {
    "cca.io.load": ("load",),
    "cca.core.kb": ("KnowledgeBase", "SearchHit", "CountryProfile"),
    "cca.core.errors": ("KnowledgeError", "Problem", "QueryError"),
    "cca.core.settings": ("Settings",),
    "cca.core.model": (
        "Record", "Project", "Action", "Agreement", "Aspect", "Country", "Event", "Figure", "Organisation",
        "Person", "Place", "Sector", "Source", "Statement",
    ),
}  # fmt: skip
_LAZY = {name: module for module, names in _MODULES.items() for name in names}


def __getattr__(name: str) -> Any:
    # Lazy, so that `cca --version` and the CLI's start-up import only what they use.
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'cca' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module_name), name)
