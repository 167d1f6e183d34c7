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


# -- against PyYAML: tagged scalars and keys that differ only in type -------------------------------------
#
# cca's readers take what PyYAML's safe loader takes, with the same values, or refuse it at a position.
# A tag fixes a scalar's type, so a tagged number YAML 1.1 (PyYAML) and 1.2 read differently cannot stay
# text as a plain one would: ``!!int 0777`` is 511 to PyYAML and 777 to YAML 1.2, and is refused.

TAGGED = [
    '!!int "0777"', "!!int 0777", '!!int "+0777"', "!!int -0777", "!!int 0o17", "!!int 07", "!!int 00", "!!int 0",
    "!!int -0", "!!int 0x1F", "!!int 0789", "!!int 1_000", "!!int 0b101", "!!int 1:30", "!!int +12", '!!int "12"',
    "!!float 1.5", '!!float "0777"', "!!float 1_0.5", "!!float .inf", "!!bool yes", "!!bool tRuE", "!!null ~",
    "!!str 0777", '!!str "1"',
]  # fmt: skip


def _pyyaml(text: str) -> Any:
    import yaml

    return yaml.safe_load(text)


def _reference_or_refusal(text: str) -> tuple[str, Any]:
    try:
        return "value", yamlio.parse(text, "x.yaml")
    except KnowledgeError as refused:
        problem = refused.problems[0]
        assert (problem.line, problem.column) != (1, 1), f"refused without a position: {refused}"
        return "refused", str(refused)


@pytest.mark.parametrize("scalar", TAGGED)
def test_a_tagged_scalar_reads_as_pyyaml_reads_it_or_is_refused(scalar: str) -> None:
    text = f"format: 1\nvalue: {scalar}\n"
    verdict, value = _reference_or_refusal(text)
    if verdict == "value":
        assert _norm(value) == _norm(_pyyaml(text)), f"{scalar}: cca reads {value!r}, PyYAML {_pyyaml(text)!r}"
    check(text)


@pytest.mark.parametrize("scalar", ['!!int "0777"', "!!int 0777", '!!int "+0777"'])
def test_a_tagged_octal_looking_integer_is_refused_at_its_place(scalar: str) -> None:
    with pytest.raises(KnowledgeError, match=r"x\.yaml:2:8: .*511 in YAML 1\.1 .* 777 in YAML 1\.2"):
        yamlio.parse(f"format: 1\nvalue: {scalar}\n", "x.yaml")


@settings(max_examples=300, deadline=None, database=None)
@given(
    st.sampled_from(["!!int", "!!float", "!!bool", "!!null", "!!str"]),
    st.one_of(
        st.text(alphabet=NUMBERISH, min_size=1, max_size=7),
        st.sampled_from(WORDS),
        st.from_regex(r"[-+]?0[0-9_]{1,4}", fullmatch=True),
    ),
    st.sampled_from(["{}", '"{}"', "'{}'"]),
)
def test_tagged_scalars_agree_with_pyyaml_or_are_refused(tag: str, token: str, style: str) -> None:
    import yaml

    text = f"value: {tag} {style.format(token.replace(chr(39), chr(39) * 2) if style[0] == chr(39) else token)}\n"
    try:
        expected = yaml.safe_load(text)
    except (yaml.YAMLError, ValueError, TypeError, IndexError, KeyError):  # PyYAML refuses: cca must too
        with pytest.raises(KnowledgeError):
            yamlio.parse(text, "x.yaml")
        return
    try:
        value = yamlio.parse(text, "x.yaml")
    except KnowledgeError:
        return
    assert _norm(value) == _norm(expected), f"{text!r}: cca {value!r}, PyYAML {expected!r}"


KEY_TWINS = [
    ('1: a\n  "1": b', 4),
    ("'2.5': a\n  2.5: b", 4),
    ('~: a\n  "null": b', 4),
    ('true: a\n  "true": b', 4),
    ("-7: a\n  '-7': b", 4),
]


@pytest.mark.parametrize(("pair", "line"), KEY_TWINS, ids=[pair.split("\n")[0] for pair, _ in KEY_TWINS])
def test_keys_that_differ_only_in_type_are_one_key(pair: str, line: int) -> None:
    """PyYAML keeps both (1 and '1'); stored as JSON they are one key and a value would vanish: refused."""
    text = f"format: 1\nm:\n  {pair}\n"
    assert len(_pyyaml(text)["m"]) == 2
    with pytest.raises(KnowledgeError, match=rf"x\.yaml:{line}:3: duplicate key"):
        yamlio.parse(text, "x.yaml")
    check(text)


def test_keys_that_differ_only_in_type_in_a_record_and_in_flow() -> None:
    """The fast reader declines what the reference reader refuses (both keys, in block and flow style)."""
    for text in (
        'format: 1\nitems:\n  - id: a\n    fields:\n      1: x\n      "1": y\n      2.5: z\n      "2.5": w\n',
        'format: 1\nitems:\n  - id: a\n    fields: {"1": x, 1: y}\n',
    ):
        with pytest.raises(yamlio.Unsuitable):
            yamlio.parse_items_fast(text, lambda *a: None)
        with pytest.raises(KnowledgeError, match="duplicate key"):
            yamlio.parse(text, "x.yaml")
        check(text)
