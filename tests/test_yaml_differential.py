"""The fast YAML reader and the reference reader give the same values and positions, or the fast one declines.

The fast reader (yaml_rs, in batches of records) is only ever trusted when a conservative
scan finds nothing the two readers might read differently. This property is what keeps it
honest: for any text, either the fast reader declines (``Unsuitable``), or the reference
reader accepts the text too and hands over the very same items (values and types alike) at
the very same positions, with the same document around them. Documents are drawn from a
grammar of YAML's corners (numbers 1.1 and 1.2 read differently, indicators, block scalars,
flow collections, control characters, tabs, markers) inside knowledge-shaped files; the
fixed cases are the splitting hazards a fuzzer found while the fast reader was designed.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

from cca.core.errors import KnowledgeError
from cca.io import yaml as yamlio

HAZARDS = json.loads((Path(__file__).parent / "fixtures" / "yaml" / "hazards.json").read_text(encoding="utf-8"))

NUMBERISH = "0123456789_.eE+-xXoObBaAfFiInN"
WORDS = [
    "yes", "no", "on", "off", "y", "n", "~", "null", "Null", "NULL", "nULL", "true", "True", "TRUE", "tRUE",
    "false", ".inf", ".Inf", ".INF", ".iNf", "-.inf", "+.inf", ".nan", ".NaN", ".NAN", ".nAn", "-.nan",
    "0x1F", "0X1F", "0o17", "0b11", "1e5", "1.0e+5", "1.0e5", "1.e5", "+12", "-0", "0", "00", "_1", "1_",
    "12:30:00", "2020-01-01", "2020-01-01T10:00:00Z", "1:20", ".5", "+.5", "-.5", "0.", "1.", "10e22",
    "<<", "a b", "x#y", "x # c", "@x", "`x", "%x", "|", ">", "-", "--", "---", "...", "=", "!", "&", "*",
    "?", ":", ",", "[", "]", "{", "}", "'", '"', "R&D", "Q?", "a:b", "a: b", "Hello!", "a*b", "雅万高铁",
    "12345678901234567890123", "9223372036854775807",
]  # fmt: skip
SPECIAL = [
    "\n\t", "\t\n", " \t", "\n\n", "\r", "|", ">", "|\n", ">\n\n", ":", ":]", "[:", "?", "? ", ",", "[", "{",
    "\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x7f", "\x80", "\x85", "\x9f", "\u2028", "\u2029",
    "\ufeff", "\ufffe", "\t", "\r\n", "\\", "\\q", "\\x41", "\\u00e9", "\\ud800", "\\ud83d\\ude00",
    "\\U0001F600", "\\0", "\\N", "\\_", "\\L", "\\P", "\\ ", "\\\n",
]  # fmt: skip
PREFIXES = ["&a ", "*a", "!!str ", "!!int ", "!!float ", "!foo ", "! ", "!!binary ", "!!set ", "&b "]


@st.composite
def tokens(draw: st.DrawFn) -> str:
    kind = draw(st.integers(0, 9))
    if kind < 4:
        return draw(st.text(alphabet=NUMBERISH, min_size=1, max_size=7))
    if kind < 7:
        return draw(st.sampled_from(WORDS))
    if kind < 8:
        return draw(st.sampled_from(PREFIXES)) + draw(st.sampled_from([*WORDS, "1", "x"]))
    return "x" + draw(st.sampled_from(SPECIAL)) + "y"


MILD = st.one_of(
    st.sampled_from(
        ["railway", "China-Laos Railway", "54", "3.5", "-7", "0", "true", "null", "R&D centres", "雅万高铁"]
    ),
    st.from_regex(r"[A-Za-z][A-Za-z0-9 ,.()-]{0,12}[A-Za-z0-9)]", fullmatch=True),
    st.integers(-(10**12), 10**12).map(str),
)


@st.composite
def scalars(draw: st.DrawFn) -> str:
    token = draw(MILD) if draw(st.booleans()) else draw(tokens())
    style = draw(st.integers(0, 4))
    if style < 3:
        return token
    if style == 3:
        return '"' + token + '"'
    return "'" + token.replace("'", "''") + "'"


@st.composite
def values(draw: st.DrawFn, depth: int = 0) -> str:
    kind = draw(st.integers(0, 19))
    if depth < 2 and kind < 3:
        return "[" + ", ".join(draw(st.lists(scalars(), max_size=3))) + "]"
    if depth < 2 and kind < 5:
        pairs = draw(st.lists(st.tuples(scalars(), scalars()), max_size=2))
        return "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"
    if kind < 6:
        body = draw(
            st.sampled_from(["", "\n      x", "\n      a\n      b", "\n\n", "\n    \n      x", "\n      x\n\n"])
        )
        return draw(st.sampled_from(["|", ">", "|-", ">+", "|2", "|+", ">-", "| # c"])) + body
    return draw(scalars())


@st.composite
def records(draw: st.DrawFn, number: int) -> str:
    lines = [f"  - id: r{number}"]
    for index in range(draw(st.integers(0, 3))):
        key = draw(st.sampled_from([f"f{index}", "name", "value", "notes"]))
        lines.append(f"    {key}{index}: {draw(values(1))}")
    if draw(st.booleans()):
        lines.append(f"    list{number}:")
        lines += [f"      - {draw(values(1))}" for _ in range(draw(st.integers(1, 2)))]
    return "\n".join(lines)


@st.composite
def documents(draw: st.DrawFn) -> str:
    parts = ["format: 1"]
    for section in range(draw(st.integers(1, 3))):
        if draw(st.integers(0, 3)) == 0:
            parts.append(f"k{section}: {draw(values())}")
            continue
        parts.append(f"items{section}:")
        parts += [draw(records(n)) for n in range(draw(st.integers(1, 5)))]
    text = "\n".join(parts) + draw(st.sampled_from(["\n", "", "\n\n", "\n# c\n", "\n...\n", "\n---\nz: 1\n"]))
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2]))):
        at = draw(st.integers(0, len(text)))
        text = (
            text[:at] + draw(st.sampled_from([*SPECIAL, "\n", "  ", "- ", ": ", "#", "&x ", "*x", "---\n"])) + text[at:]
        )
    return text


def _norm(value: Any) -> Any:
    """Values with their types, so 1 and 1.0 and '1' and True all differ; NaN equals NaN."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int):
        return ("int", value)
    if isinstance(value, float):
        return ("float", "nan" if math.isnan(value) else value)
    if isinstance(value, str):
        return ("str", value)
    if value is None:
        return ("null",)
    if isinstance(value, dict):
        return ("map", tuple((_norm(k), _norm(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("list", tuple(_norm(v) for v in value))
    return ("other", type(value).__name__, repr(value))


def _read(text: str, fast: bool) -> Any:
    items: list[Any] = []

    def keep(section: str, index: int, value: Any, position: tuple[int, int]) -> None:
        items.append((section, index, _norm(value), position))

    if fast:
        skeleton = yamlio.parse_items_fast(text, keep)
    else:
        problems: list[Any] = []
        skeleton = yamlio.parse_items(text, "x.yaml", keep, problems)
        if problems:
            raise KnowledgeError(problems)
    return _norm(skeleton), items


def check(text: str) -> None:
    try:
        fast = _read(text, fast=True)
    except yamlio.Unsuitable:
        return  # declined: the reference reader decides
    try:
        reference = _read(text, fast=False)
    except KnowledgeError as refused:
        pytest.fail(f"the fast reader took what the reference refuses ({refused}):\n{text!r}")
    assert fast == reference, text


@pytest.mark.parametrize("case", HAZARDS, ids=[case["case"] for case in HAZARDS])
def test_splitting_hazards(case: dict[str, str]) -> None:
    check(case["doc"])


@settings(
    max_examples=800,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(documents())
def test_the_fast_reader_agrees_with_the_reference_or_declines(text: str) -> None:
    check(text)


def test_the_fast_reader_takes_the_bundled_knowledge() -> None:
    """It must not decline everything: the property above would hold trivially."""
    text = (Path(__file__).resolve().parent.parent / "data" / "knowledge.yaml").read_text(encoding="utf-8")
    check(text)
    assert _read(text, fast=True)[1], "the fast reader declined the bundled file"


def _taken(text: str) -> bool:
    try:
        return len(_read(text, fast=True)[1]) >= 3
    except yamlio.Unsuitable:
        return False


def test_the_grammar_reaches_documents_the_fast_reader_takes() -> None:
    """Else the property would only ever see the fast reader decline."""
    found = find(documents(), _taken, settings=settings(max_examples=2000, database=None))
    assert _taken(found)
