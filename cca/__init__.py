"""cca: questions about China–ASEAN cooperation, answered from a source-cited knowledge file.

Use it from Python::

    import cca
    kb = cca.load()
    for project in kb.projects(country="Laos"):
        print(project.name, project.status, [p.value for p in project.progress])
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["KnowledgeBase", "KnowledgeError", "Problem", "QueryError", "Record", "Project", "load", "__version__"]

if TYPE_CHECKING:
    from cca.errors import KnowledgeError, Problem, QueryError
    from cca.knowledge import KnowledgeBase, load
    from cca.model import Project, Record

_LAZY = {
    "load": "cca.knowledge",
    "KnowledgeBase": "cca.knowledge",
    "KnowledgeError": "cca.errors",
    "Problem": "cca.errors",
    "QueryError": "cca.errors",
    "Record": "cca.model",
    "Project": "cca.model",
}


def __getattr__(name: str) -> Any:
    # Lazy, so that `cca --version` and the CLI's start-up import only what they use.
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'cca' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module_name), name)
