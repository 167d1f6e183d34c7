"""The package's shape holds: no import cycles, the library apart from the command line, one rich importer."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "cca"


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module(path): path for path in PACKAGE.rglob("*.py")}


def _imports(name: str) -> set[str]:
    """Every cca module ``name`` imports, at the top or inside functions (a deferred import still ties)."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    found: set[str] = set()
    package = name if MODULES[name].name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else [])
                )
            # `from cca.cli import stream` ties to cca.cli.stream, not to the package cca.cli
            submodules = [f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in MODULES]
            targets = submodules if len(submodules) == len(node.names) else [base, *submodules]
        else:
            continue
        for target in targets:
            if target in MODULES and target != name:
                found.add(target)
    return found


GRAPH = {name: _imports(name) for name in MODULES}


def _is_package_of(package: str, module: str) -> bool:
    return module.startswith(package + ".")


def test_no_import_cycles() -> None:
    """Tarjan's strongly connected components over every import; a package importing its own submodules is fine."""
    edges = {name: {t for t in targets if not _is_package_of(name, t)} for name, targets in GRAPH.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for name in sorted(edges):
        if name not in index:
            visit(name)
    assert cycles == []


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n.startswith(("cca.core", "cca.io"))))
def test_the_library_never_imports_the_command_line(name: str) -> None:
    assert not any(t.startswith("cca.cli") for t in GRAPH[name]), name


def _third_party(name: str) -> set[str]:
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_nothing_imports_rich() -> None:
    """cca draws its own tables (cca.cli.terminal): rich costs 40 ms to import and 300 ms for 600 rows."""
    assert sorted(n for n in MODULES if "rich" in _third_party(n)) == []


def test_only_the_command_line_imports_typer() -> None:
    assert all(n.startswith("cca.cli") for n in MODULES if "typer" in _third_party(n))


def test_only_settings_and_the_command_line_read_the_environment() -> None:
    readers = sorted(n for n, path in MODULES.items() if "os.environ" in path.read_text(encoding="utf-8"))
    assert all(n == "cca.core.settings" or n.startswith("cca.cli") for n in readers), readers


def test_every_public_name_of_cca_is_exported_and_importable() -> None:
    import cca

    assert set(cca.__all__) == {*cca._LAZY, "__version__"}
    for name in cca.__all__:
        assert getattr(cca, name) is not None, name


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n.startswith("cca.core")))
def test_the_core_never_imports_io(name: str) -> None:
    """Layers: cca.io (readers, the compiled cache, importers, exporters) builds on cca.core, never the reverse."""
    assert not any(t.startswith("cca.io") for t in GRAPH[name]), name


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n.startswith(("cca.core", "cca.io"))))
def test_the_library_leaves_process_settings_to_the_command_line(name: str) -> None:
    """The garbage collector's thresholds are the process's: the command line sets them, the library never."""
    assert "gc" not in _third_party(name), name


_FLAG = __import__("re").compile(r"(?<![\w-])--[a-z][a-z-]+")


def _raised_texts(tree: ast.AST) -> list[tuple[int, str]]:
    """The literal text of every error the module raises or builds (``raise X(...)``, ``XError(...)``)."""
    found = []
    for node in ast.walk(tree):
        call = node.exc if isinstance(node, ast.Raise) else node
        if not isinstance(call, ast.Call):
            continue
        callee = call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", "")
        if not (isinstance(node, ast.Raise) or callee.endswith(("Error", "Busy", "Problem"))):
            continue
        for part in ast.walk(call):
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                found.append((part.lineno, part.value))
    return found


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n.startswith(("cca.core", "cca.io"))))
def test_library_messages_name_parameters_not_options(name: str) -> None:
    """The library speaks of its parameters (``{force}``, rendered ``'force'``); the command line writes
    ``--force`` (cca.cli.edge.option). A literal option in a library error is a layer leaking."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    leaks = [(line, text) for line, text in _raised_texts(tree) if _FLAG.search(text)]
    assert leaks == [], f"{name}: {leaks}"


def test_the_command_line_writes_the_option_a_library_message_names(tmp_path: Path) -> None:
    from cca.cli.edge import option
    from cca.core.errors import QueryError

    error = QueryError("out.db exists: use {force} to replace it", params=["force"])
    assert str(error) == "out.db exists: use 'force' to replace it"
    assert error.render(option) == "out.db exists: use --force to replace it"
    assert (
        option("every_recipient") == "--all"
        and option("since") == "--since"
        and option("skip_bad_rows") == ("--skip-bad-rows")
    )


#: A dataset's name in code: the importers own their datasets (sheet, licence, captions, hints, titles).
_DATASET_NAME = re.compile(r"aiddata|gcdf|cgit|\bAEI\b", re.IGNORECASE)


def _named_datasets(path: Path) -> list[str]:
    """Each string (docstrings aside: a command's example may name a real import), name or attribute of a
    module that names a dataset."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            text = node.value
        elif isinstance(node, ast.Name):
            text = node.id
        elif isinstance(node, ast.Attribute):
            text = node.attr
        else:
            continue
        if _DATASET_NAME.search(text):
            found.append(f"{path.name}:{node.lineno}: {text[:80]!r}")
    return found


@pytest.mark.parametrize("path", sorted((PACKAGE / "cli").glob("*.py")), ids=lambda path: path.name)
def test_nothing_in_the_command_line_names_a_dataset(path: Path) -> None:
    """Column titles, captions and hints come from the importers and the library (:mod:`cca.core.pairs`)."""
    assert _named_datasets(path) == []


def test_the_dataset_name_check_finds_a_name() -> None:
    assert _named_datasets(PACKAGE / "io" / "importers" / "locations.py"), "the check must see a dataset's name"
