"""Property tests of the loader: whatever the input, a value or a clean ``KnowledgeError``.

Random text, random bytes and mutations of ``fixtures/good/minimal.yaml`` go through
:func:`cca.yamlfile.parse` and through :func:`cca.knowledge.load` (via a file); the
only outcomes allowed are a normal return or a ``KnowledgeError`` whose problems all
name the input, point at line >= 1 and column >= 1, and say something on one line.
Then a round trip: what PyYAML's safe dumpers write, cca reads back equal.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cca import load
from cca.core.errors import KnowledgeError
from cca.core.settings import label_for
from cca.io.formats import yaml_text as to_yaml
from cca.io.yaml import parse

MINIMAL = (Path(__file__).parent / "fixtures" / "good" / "minimal.yaml").read_text(encoding="utf-8")

# No example database: the tests write nothing into the checkout.
#: HYP_N=5000 for a deeper search (200 examples a run by default).
PROPERTY = settings(
    max_examples=int(os.environ.get("HYP_N", "200")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


# -- the allowed outcomes --------------------------------------------------------------------------


def assert_clean(call: Callable[[], object], label: str) -> None:
    """``call()`` returns, or raises KnowledgeError with well-formed problems about ``label``."""
    try:
        call()
    except KnowledgeError as error:
        assert error.problems, "a KnowledgeError without problems"
        for problem in error.problems:
            assert problem.path == label
            assert problem.line >= 1, problem
            assert problem.column >= 1, problem
            assert problem.message.strip(), problem
            assert len(problem.message.splitlines()) == 1, problem


@pytest.fixture(scope="module")
def knowledge_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One scratch file, rewritten by every example (a function-scoped tmp_path would not be reset)."""
    return tmp_path_factory.mktemp("hypothesis") / "knowledge.yaml"


#: cca parses with PyYAML's libyaml-based loader when PyYAML has it, else with the pure-Python one.
BACKENDS = ("libyaml", "pure-python")


@contextmanager
def yaml_backend(name: str) -> Iterator[None]:
    """Make cca.yamlfile use the named PyYAML loader (it looks ``CSafeLoader`` up at each parse)."""
    with_libyaml = hasattr(yaml, "CSafeLoader")
    if name == "libyaml" and not with_libyaml:
        pytest.skip("PyYAML is built without libyaml")
    with pytest.MonkeyPatch.context() as patch:
        if name == "pure-python" and with_libyaml:
            patch.delattr(yaml, "CSafeLoader")
        yield


def check(text: str, data: bytes, path: Path, backend: str) -> None:
    """``parse(text)``, and ``load`` of a file holding ``data``, both end cleanly."""
    with yaml_backend(backend):
        assert_clean(lambda: parse(text, "<text>"), "<text>")
        path.write_bytes(data)
        assert_clean(lambda: load([path]), label_for(path))


def check_text(text: str, path: Path, backend: str) -> None:
    # A lone surrogate has no UTF-8 form: the file gets surrogatepass bytes, which must be refused cleanly.
    check(text, text.encode("utf-8", errors="surrogatepass"), path, backend)


# -- (a) random text, (b) random bytes -------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
@PROPERTY
@given(st.text())
@example("\ud800")  # a lone surrogate: a str no UTF-8 encoder accepts
@example("format: 1\nnotes: a\x01b\n")  # a control character YAML does not allow
def test_random_text(knowledge_file: Path, backend: str, text: str) -> None:
    check_text(text, knowledge_file, backend)


@pytest.mark.parametrize("backend", BACKENDS)
@PROPERTY
@given(st.binary())
def test_random_bytes(knowledge_file: Path, backend: str, data: bytes) -> None:
    # parse() gets the bytes decoded leniently; the file keeps them raw, for the loader's UTF-8 check.
    check(data.decode("utf-8", errors="replace"), data, knowledge_file, backend)


# -- (c) mutations of the minimal valid file -------------------------------------------------------

#: Fragments that reach the loader's refusals: tabs, anchors, aliases, tags, merge keys, documents.
SNIPPETS = ("\t", "&a ", "*a", "!tag ", "!!python/name:os.system ", "<<: ", "<<: *a", "---", "[", "{", "'", '"', ": ")
LINES = ("x: &a [1]", "y: *a", "  <<: {name: x}", "\tformat: 1", "- - -", "...", "%YAML 1.1", "? [a]\n: b", "z: !!int")


@st.composite
def mutants(draw: st.DrawFn) -> str:
    """The minimal file after one to three random edits of a character, a line or a snippet."""
    text = MINIMAL
    for _ in range(draw(st.integers(1, 3))):
        lines = text.splitlines(keepends=True)
        at = draw(st.integers(0, len(text)))
        row = draw(st.integers(0, len(lines) - 1))
        edit = draw(
            st.sampled_from(
                ["delete-char", "insert-char", "replace-char", "snippet", "delete-line", "duplicate-line", "line"]
            )
        )
        if edit == "delete-char":
            text = text[:at] + text[at + 1 :]
        elif edit == "insert-char":
            text = text[:at] + draw(st.characters()) + text[at:]
        elif edit == "replace-char":
            text = text[:at] + draw(st.characters()) + text[at + 1 :]
        elif edit == "snippet":
            text = text[:at] + draw(st.sampled_from(SNIPPETS)) + text[at:]
        elif edit == "delete-line":
            text = "".join(lines[:row] + lines[row + 1 :])
        elif edit == "duplicate-line":
            text = "".join(lines[: row + 1] + lines[row:])
        else:
            line = draw(st.sampled_from(LINES) | st.text(max_size=20))
            replace = draw(st.booleans())
            text = "".join([*lines[:row], line + "\n", *lines[row + replace :]])
    return text


@pytest.mark.parametrize("backend", BACKENDS)
@PROPERTY
@given(mutants())
def test_mutated_minimal_file(knowledge_file: Path, backend: str, text: str) -> None:
    check_text(text, knowledge_file, backend)


def test_minimal_file_is_valid_unmutated(knowledge_file: Path) -> None:
    """The base of the mutations loads: otherwise every mutant would trivially fail the same way."""
    knowledge_file.write_text(MINIMAL, encoding="utf-8")
    assert len(load([knowledge_file])) == 6


# -- (d) round trip from PyYAML's safe dumpers -----------------------------------------------------

#: The number forms of YAML 1.2's core schema (spec 10.3.2), which cca follows for plain scalars.
CORE_NUMBER = re.compile(
    r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+|[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?"
    r"|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)"
)
#: Strings YAML 1.1 and 1.2 read differently when plain, or that look like YAML syntax.
TRICKY = (
    "yes", "no", "on", "off", "y", "n", "Yes", "NO", "null", "Null", "~", "", "true", "False", "TRUE",
    "1_000", "0x1F", "012", "0b101", "1:30", "190:20:30", ".inf", "-.inf", ".NaN", "2021-03-04",
    "2001-12-14t21:59:43.10-05:00", "<<", "=", "-", "?", ":", "#", "&a", "*a", "!tag", "- a", "a: b", "a #b",
    " lead", "trail ", "multi\nline", "tab\there", "\u2028", "\x85", "\ufeff", "中文",
)  # fmt: skip

strings = (st.text() | st.sampled_from(TRICKY)).filter(lambda s: not CORE_NUMBER.fullmatch(s))
scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | strings
documents = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(strings, children, max_size=4),
    max_leaves=20,
)
#: PyYAML's default safe dump, and the one ``cca --format yaml`` uses.
DUMPERS: dict[str, Callable[[Any], str]] = {"yaml.safe_dump": yaml.safe_dump, "cca.io.formats.yaml_text": to_yaml}
dumpers = st.sampled_from(list(DUMPERS))


def plain(value: Any) -> Any:
    """Drop YamlMap/YamlList subclassing so equality failures print readably."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


@pytest.mark.parametrize("backend", BACKENDS)
@PROPERTY
@given(documents, dumpers)
def test_safe_dump_round_trip(backend: str, value: Any, dumper: str) -> None:
    text = DUMPERS[dumper](value)
    with yaml_backend(backend):
        assert plain(parse(text)) == value, text


@PROPERTY
@given(st.from_regex(CORE_NUMBER, fullmatch=True), dumpers)
@example("1e5", "yaml.safe_dump")
@example("0129", "cca.io.formats.yaml_text")
def test_safe_dump_round_trip_number_like_strings(text: str, dumper: str) -> None:
    """A string that reads as a number under YAML 1.2 must come back a string.

    PyYAML writes YAML 1.1 and quotes only what 1.1 would read as a number; cca reads
    plain scalars by 1.2's core schema, where more forms are numbers.
    """
    written = DUMPERS[dumper]({"name": text})
    assert parse(written) == {"name": text}, written


# -- (e) the fast path and the reference path load the same ----------------------------------------


def _outcome(path: Path, fast: bool) -> Any:
    """Every stored record (with its position), or every problem, of a load through one path."""
    from cca.io import yaml as yamlio

    def decline(text: str, on_item: Any, shared: Any = None) -> Any:
        raise yamlio.Unsuitable

    with pytest.MonkeyPatch.context() as patch:
        if not fast:
            patch.setattr(yamlio, "parse_items_fast", decline)
        try:
            kb = load([path])
        except KnowledgeError as error:
            return ("problems", [str(p) for p in error.problems])
    rows = kb.store.connection.execute("SELECT kind, id, name, line, col, parent, data FROM records ORDER BY seq")
    return ("records", rows.fetchall())


@PROPERTY
@given(mutants())
@example(MINIMAL)
@example(MINIMAL.replace("value: 54", "value: 1e5"))  # a number YAML 1.1 and 1.2 read differently
@example(MINIMAL.replace('name: "Test Railway"', "name: [1, {a: b}]"))
@example(MINIMAL.replace("#", "#\r", 1))  # a lone carriage return ends a comment in YAML (found by this test)
def test_fast_and_reference_paths_load_the_same(knowledge_file: Path, text: str) -> None:
    knowledge_file.write_bytes(text.encode("utf-8", errors="surrogatepass"))
    assert _outcome(knowledge_file, fast=True) == _outcome(knowledge_file, fast=False)
