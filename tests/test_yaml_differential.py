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

import io
import json
import math
import re
from dataclasses import dataclass
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
def values(draw: st.DrawFn, depth: int = 0, pad: str = "      ") -> str:
    """A value after 'key: ' or '- '; the lines of a block scalar's body start with ``pad``."""
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
        return draw(st.sampled_from(["|", ">", "|-", ">+", "|2", "|+", ">-", "| # c"])) + body.replace("      ", pad)
    return draw(scalars())


@dataclass(frozen=True)
class Layout:
    """How a file is indented: its top-level lists, the fields of their items, nested mappings and lists."""

    name: str
    dash: int  # spaces before the dashes of a top-level list
    gap: int  # spaces after a dash
    step: int  # spaces a nested mapping is indented by
    flat: bool  # a list not indented under its key (as PyYAML and ruamel write it)

    @property
    def field(self) -> str:
        return " " * (self.dash + 1 + self.gap)


LAYOUTS = [
    Layout("cca", 2, 1, 2, False),  # cca's own (formats.knowledge_text)
    Layout("pyyaml", 0, 1, 2, True),  # yaml.safe_dump's default, and ruamel.yaml's
    Layout("pyyaml-indent4", 0, 3, 4, True),  # yaml.safe_dump(indent=4)
    Layout("hand4", 4, 1, 4, False),  # four spaces a level, lists indented (ruamel's indent(4, 6, 4) too)
    Layout("hand2-flat-top", 0, 1, 2, False),  # top-level lists not indented, nested ones indented
]


@st.composite
def records(draw: st.DrawFn, number: int, layout: Layout = LAYOUTS[0]) -> str:
    field = layout.field
    lines = [" " * layout.dash + "-" + " " * layout.gap + f"id: r{number}"]
    for index in range(draw(st.integers(0, 3))):
        key = draw(st.sampled_from([f"f{index}", "name", "value", "notes"]))
        lines.append(f"{field}{key}{index}: {draw(values(1, field + '  '))}")
    if draw(st.booleans()):
        lines.append(f"{field}list{number}:")
        inner = field if layout.flat else field + " " * layout.step
        pad = draw(st.sampled_from([inner, inner + "  "]))  # a block's body at its dash, or deeper
        lines += [f"{inner}- {draw(values(1, pad))}" for _ in range(draw(st.integers(1, 2)))]
    if draw(st.integers(0, 3)) == 0:
        lines.append(f"{field}map{number}:")
        lines.append(f"{field}{' ' * layout.step}a: {draw(values(1, field + ' ' * (layout.step + 2)))}")
    return "\n".join(lines)


@st.composite
def documents(draw: st.DrawFn, layout: Layout = LAYOUTS[0]) -> str:
    parts = ["format: 1"]
    for section in range(draw(st.integers(1, 3))):
        if draw(st.integers(0, 3)) == 0:
            parts.append(f"k{section}: {draw(values())}")
            continue
        parts.append(f"items{section}:")
        parts += [draw(records(n, layout)) for n in range(draw(st.integers(1, 5)))]
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


def relayout(doc: str, layout: Layout) -> str:
    """A document written in cca's layout (items at two spaces, their fields at four) in another layout."""
    if layout.name == "cca":
        return doc
    out = []
    for line in doc.split("\n"):
        indent = len(line) - len(line.lstrip(" "))
        rest = line[indent:]
        if indent == 2 and (rest.startswith("- ") or rest in ("-", "-\r")):
            line = " " * layout.dash + "-" + (" " * layout.gap + rest[2:] if rest.startswith("- ") else rest[1:])
        elif indent >= 4:
            line = " " * (indent - 4 + len(layout.field)) + rest
        elif indent >= 2 and layout.dash >= 2:
            line = " " * (indent - 2 + layout.dash) + rest
        out.append(line)
    return "\n".join(out)


LAYOUT_IDS = [layout.name for layout in LAYOUTS]


@pytest.mark.parametrize("layout", LAYOUTS, ids=LAYOUT_IDS)
@pytest.mark.parametrize("case", HAZARDS, ids=[case["case"] for case in HAZARDS])
def test_splitting_hazards(case: dict[str, str], layout: Layout) -> None:
    check(relayout(case["doc"], layout))


@pytest.mark.parametrize("layout", LAYOUTS, ids=LAYOUT_IDS)
@settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(data=st.data())
def test_the_fast_reader_agrees_with_the_reference_or_declines(layout: Layout, data: st.DataObject) -> None:
    check(data.draw(documents(layout), label="text"))


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


@pytest.mark.parametrize("layout", LAYOUTS, ids=LAYOUT_IDS)
def test_the_grammar_reaches_documents_the_fast_reader_takes(layout: Layout) -> None:
    """Else the property would only ever see the fast reader decline."""
    found = find(documents(layout), _taken, settings=settings(max_examples=2000, database=None))
    assert _taken(found)


# -- files as YAML writers lay them out -----------------------------------------------------------------
#
# The same documents written by PyYAML, by ruamel.yaml and by hand (two or four spaces a level, lists
# under their key indented or not): the fast reader must take the realistic ones and agree with the
# reference on all it takes, and must still decline every hazard, in every layout.

_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9 ,.()/_-]*[A-Za-z0-9.)]|[A-Za-z]")


def _hand_scalar(value: Any, pad: int) -> str:
    """A scalar as a person would write it: plain where that reads back as the same text, else quoted or a block."""
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        mantissa, _, exponent = repr(value).partition("e")
        return mantissa + ("" if "." in mantissa else ".0") + (f"e{exponent}" if exponent else "")
    text = str(value)
    if _PLAIN.fullmatch(text) and ": " not in text and " #" not in text and yamlio.reads_as_text(text):
        return text
    lines = text.split("\n")
    if len(lines) > 1 and lines[0] and all(not line or (line.isprintable() and line.strip() == line) for line in lines):
        if text.endswith("\n"):
            lines.pop()
            chomp = "+" if text.endswith("\n\n") else ""
        else:
            chomp = "-"
        return "|" + chomp + "".join("\n" + (" " * pad + line if line else "") for line in lines)
    return json.dumps(text, ensure_ascii=False)


def _hand_block(value: Any, pad: int, indent: int, flat: bool) -> list[str]:
    """The lines of a non-empty mapping or list whose keys or dashes are at column ``pad``."""
    out: list[str] = []
    for key, item in value.items() if isinstance(value, dict) else ((None, item) for item in value):
        lead = " " * pad + ("- " if key is None else f"{_hand_scalar(key, pad)}:")
        if isinstance(item, (dict, list)) and item:
            if key is None:  # compact: the item's first line follows its dash
                inner = _hand_block(item, pad + 2, indent, flat)
                out += [lead + inner[0][pad + 2 :], *inner[1:]]
            else:
                out.append(lead)
                out += _hand_block(item, pad if isinstance(item, list) and flat else pad + indent, indent, flat)
        else:
            out.append(lead + ("" if key is None else " ") + _hand_scalar(item, pad + indent))
    return out


def hand_dump(document: dict[str, Any], indent: int, flat: bool) -> str:
    """YAML written by hand: ``indent`` spaces a level, lists under their key not indented (``flat``) or indented."""
    return "\n".join(_hand_block(document, 0, indent, flat)) + "\n"


def _ruamel(**indent: int) -> Any:
    from ruamel.yaml import YAML

    def dump(document: dict[str, Any]) -> str:
        writer = YAML()  # the default: round-trip, YAML 1.2
        if indent:
            writer.indent(**indent)
        out = io.StringIO()
        writer.dump(document, out)
        return out.getvalue()

    return dump


def _pyyaml(**options: Any) -> Any:
    import yaml

    options = {"sort_keys": False, "allow_unicode": True, **options}
    return lambda document: yaml.safe_dump(document, **options)


WRITERS = {
    "pyyaml": _pyyaml(),
    "pyyaml-block": _pyyaml(default_flow_style=False),
    "pyyaml-indent4": _pyyaml(default_flow_style=False, indent=4),
    "pyyaml-ascii-narrow": _pyyaml(allow_unicode=False, width=24),  # long text folded over many lines
    "pyyaml-explicit-start": _pyyaml(explicit_start=True),  # '---' first, as many files written by hand
    "ruamel": _ruamel(),
    "ruamel-indent4": _ruamel(mapping=4, sequence=6, offset=4),
    "hand2": lambda document: hand_dump(document, 2, flat=False),
    "hand2-flat": lambda document: hand_dump(document, 2, flat=True),
    "hand4": lambda document: hand_dump(document, 4, flat=False),
    "hand4-flat": lambda document: hand_dump(document, 4, flat=True),
}

PHRASES = [
    "China", "Laos", "railway", "km", "R&D", "1e5", "0129", "yes", "no", "null", "a:", ":", "#", "-", "- x",
    "'", '"', "\\", "[", "]", "{", "}", "!", "&", "*", "|", ">", "%", "@", "?", "\n", "\n\n", " ", "雅万高铁",
    "2021-03-04", "12:30", "i.e.", "5G", "+.5", "0o17", "1_000", "<<", "---", "...",
]  # fmt: skip
TEXTS = st.one_of(
    st.sampled_from(WORDS),
    MILD,
    st.text(max_size=10),
    st.text(alphabet=" \n\t:#-'\"\\[]{},&*!|>?%@`~.0123456789eE_xo", max_size=14),
    st.lists(st.sampled_from(PHRASES), min_size=6, max_size=30).map(" ".join),  # past a line's width: folded
)
SCALAR_VALUES = st.one_of(
    TEXTS, st.integers(-(2**63), 2**63 - 1), st.floats(), st.booleans(), st.none(), st.integers(-1000, 1000)
)
FIELDS = ["name", "summary", "value", "notes", "as_of", "evidence", "1", "yes", "a b", "x-y", "~"]
FIELD_VALUES = st.recursive(
    SCALAR_VALUES,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(FIELDS), inner, max_size=3),
    max_leaves=8,
)
RECORDS = st.builds(
    lambda ident, fields: {"id": ident, **fields},
    st.from_regex(r"[a-z]{1,4}-[0-9]{1,4}", fullmatch=True),
    st.dictionaries(st.sampled_from(FIELDS), FIELD_VALUES, max_size=4),
)
PYTHON_DOCUMENTS = st.fixed_dictionaries(
    {"format": st.just(1), "projects": st.lists(RECORDS, max_size=5)},
    optional={"countries": st.lists(RECORDS, min_size=1, max_size=3), "meta": FIELD_VALUES},
)


@settings(max_examples=400, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(PYTHON_DOCUMENTS, st.sampled_from(sorted(WRITERS)))
def test_written_documents_read_alike_or_are_declined(document: dict[str, Any], writer: str) -> None:
    check(WRITERS[writer](document))


def _bundled() -> dict[str, Any]:
    """The bundled knowledge as plain values: a realistic document with every kind of record."""
    text = (Path(__file__).resolve().parent.parent / "data" / "knowledge.yaml").read_text(encoding="utf-8")
    return json.loads(json.dumps(yamlio.parse(text, "knowledge.yaml")))


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_the_fast_reader_takes_realistic_files_in_every_layout(writer: str) -> None:
    document = _bundled()
    text = WRITERS[writer](document)
    check(text)
    skeleton, items = _read(text, fast=True)
    sections = [key for key, value in document.items() if isinstance(value, list) and value]
    assert len(items) == sum(len(document[key]) for key in sections), writer
    assert {section for section, *_ in items} == set(sections)


def test_the_writers_lay_files_out_as_named() -> None:
    """Each writer writes the layout its name says (else the tests above would test one layout many times)."""
    document = {"format": 1, "projects": [{"id": "a", "name": "b", "tags": ["x"], "m": {"k": "v"}}]}
    assert WRITERS["pyyaml"](document).startswith("format: 1\nprojects:\n- id: a\n  name: b\n  tags:\n  - x\n")
    assert WRITERS["pyyaml-indent4"](document).startswith("format: 1\nprojects:\n-   id: a\n    name: b\n")
    assert WRITERS["ruamel"](document) == WRITERS["pyyaml"](document)
    assert WRITERS["ruamel-indent4"](document).startswith("format: 1\nprojects:\n    - id: a\n      name: b\n")
    assert WRITERS["hand4"](document) == (
        "format: 1\nprojects:\n    - id: a\n      name: b\n      tags:\n          - x\n      m:\n          k: v\n"
    )
    assert WRITERS["hand2-flat"](document) == (
        "format: 1\nprojects:\n- id: a\n  name: b\n  tags:\n  - x\n  m:\n    k: v\n"
    )
    assert WRITERS["hand2"](document) == (
        "format: 1\nprojects:\n  - id: a\n    name: b\n    tags:\n      - x\n    m:\n      k: v\n"
    )


# Lines put into a record's fields that the fast reader must decline in every layout: the refusals of
# its safety scan (and of the checks on how a file is cut), each written where the layout puts fields.
REFUSED_FIELDS = {
    "anchor": "a: &x 1",
    "alias": "a: &x 1\n{field}b: *x",
    "tag": "a: !!str 1",
    "local tag": "a: !foo x",
    "merge key": "<<: {b: 1}",
    "flow sequence as a key": "[a, b]: 1",
    "flow mapping as a key": "{a: 1}: 2",
    "explicit key": "? a\n{field}: b",
    "tab indent": "a:\n\t- x",
    "tab after a dash": "a:\n{field}-\tx",
    "control character": "a: x\x01y",
    "NEL": "a: x\x85y",
    "deep flow nesting": "a: " + "[" * 60 + "]" * 60,
    "deep block nesting": "a:\n" + "".join("{field}" + "  " * depth + "- \n" for depth in range(70)).rstrip("\n"),
    "1e5": "a: 1e5",
    "0777": "a: 0777",
    "0o17": "a: 0o17",
    "1_000": "a: 1_000",
    "+.5": "a: +.5",
    ".iNf": "a: .iNf",
    "long integer": "a: 12345678901234567890123",
    "huge integer": "a: " + "9" * 4400,
    "surrogate escape": 'a: "\\ud800"',
    "number-like quoted key": '1: a\n{field}"1": b',
    "multi-line flow": "a: [x,\n{field}  y]",
    "document end": "a: 1\n...",
    "document start": "a: 1\n---\nb: 2",
    "directive": "a: 1\n%YAML 1.2",
}


@pytest.mark.parametrize("layout", LAYOUTS, ids=LAYOUT_IDS)
@pytest.mark.parametrize("hazard", sorted(REFUSED_FIELDS))
def test_every_hazard_is_declined_in_every_layout(hazard: str, layout: Layout) -> None:
    first = " " * layout.dash + "-" + " " * layout.gap
    records = [f"{first}id: r{n}\n{layout.field}name: Record {n}\n" for n in range(3)]
    lines = REFUSED_FIELDS[hazard].replace("{field}", layout.field)
    records[1] += layout.field + lines + "\n"
    text = "format: 1\nprojects:\n" + "".join(records) + "sources:\n" + records[0]
    plain = text.replace(lines, "a: 1")
    assert len(_read(plain, fast=True)[1]) == 4, plain  # the same file without the hazard is taken
    with pytest.raises(yamlio.Unsuitable):
        yamlio.parse_items_fast(text, lambda *a: None)
    check(text)


@pytest.mark.parametrize("layout", LAYOUTS[:2], ids=LAYOUT_IDS[:2])
@pytest.mark.parametrize("hazard", sorted(REFUSED_FIELDS))
def test_a_hazard_in_a_later_batch_or_between_lists_is_declined(hazard: str, layout: Layout) -> None:
    """The scan runs batch by batch, where each batch is parsed: a hazard far down a long list, or in the
    lines between two lists, declines the file as one in its first record does."""
    first = " " * layout.dash + "-" + " " * layout.gap
    records = [f"{first}id: r{n}\n{layout.field}name: Record {n}\n" for n in range(yamlio.BATCH * 3)]
    lines = REFUSED_FIELDS[hazard].replace("{field}", layout.field)
    late = list(records)
    late[yamlio.BATCH * 2 + 3] += layout.field + lines + "\n"
    text = "format: 1\nprojects:\n" + "".join(late) + "sources:\n" + records[0]
    assert len(_read(text.replace(lines, "a: 1"), fast=True)[1]) == yamlio.BATCH * 3 + 1
    with pytest.raises(yamlio.Unsuitable):
        yamlio.parse_items_fast(text, lambda *a: None)
    if "{field}" not in REFUSED_FIELDS[hazard] and "\n" not in lines:  # one line: also as a top-level key's value
        value = lines.replace("a:", "zz:", 1)
        between = "format: 1\nprojects:\n" + "".join(records) + value + "\nsources:\n" + records[0]
        assert len(_read(between.replace(value, "zz: 1"), fast=True)[1]) == yamlio.BATCH * 3 + 1
        with pytest.raises(yamlio.Unsuitable):
            yamlio.parse_items_fast(between, lambda *a: None)


@pytest.mark.parametrize(
    "text", ["x: 1\n# a comment with a control character \x01\nprojects:\n- id: a\n", "x: 1\r# c\ny: 2\n"]
)
def test_a_hazard_outside_every_list_is_declined(text: str) -> None:
    with pytest.raises(yamlio.Unsuitable):
        yamlio.parse_items_fast(text, lambda *a: None)


# Hazards of lists not indented under their key (the dashes at column 0), and of other indents.
LAYOUT_HAZARDS = [
    "k:\n- a\n- b\nz: 1\n",
    "k:\n- a\n- b\nk:\n- c\n",
    "k:\n- a\nz:\n- b\n",
    "k: v\n- a\n",
    "k:\n  x: 1\n- a\n",
    "k: |\n- a\n",
    "k: >\n  x\n- a\n",
    'k: "a\n- b"\n',
    'k:\n- s: "a\n- b"\n- c\n',
    "k:\n- s: 'a\n- b'\n- c\n",
    "k:\n- s: [a,\n- b]\n- c\n",
    "k:\n- a\n  - b\n- c\n",
    "k:\n- a\n -b\n",
    "k:\n- a: 1\n b: 2\n",
    "k:\n - a\n - b\n",
    "k:\n  - a\n- b\n",
    "k:\n    - a\n  - b\n",
    "k:\n- - a\n  - b\n- c\n",
    "k:\n-\n  a: 1\n-\n- b\n",
    "k:\n- \n",
    "k:\n-\n",
    "k:\n- a\n# c\n- b\n",
    "k:\n- |\n  x\n- y\n",
    "k:\n- |1\n  x\n- y\n",
    "k:\n- |\n x\n- y\n",
    "k:\n- >-\n\n- y\n",
    "k:\n- s: |\n- y\n",
    "k:\n- s: |\n  x\n- y\n",
    "k:\n-   a: 1\n    b: 2\n-   c: 3\n",
    "k:\n-   a: 1\n  b: 2\n",
    "k:\n- a\n---\n- b\n",
    "k:\n- a\n...\n",
    "k:\n-\ta\n",
    "k:\n- a\n\t- b\n",
    "k:\n- a\r\n- b\r\n",
    "k:\n- a\r- b\n",
    "k:\n- ? a\n  : b\n",
    "k:\n- a: 1\n  a: 2\n",
    "k:\n- {a: 1}\n- [b]\n- c\n",
    "k:\n- a # c\n-b\n",
    "k:\n-- a\n",
    "k:\n- a\n-\n  - b\n",
    "k: []\nz:\n- a\n",
    "k: [a]\n",
    "k: {}\n",
    "k:\n- a\n  b\n  c\n",
    "k:\n- a\n\n\n- b\n\n",
    "k:\n\n# c\n- a\n",
    "k: # c\n- a\n",
    "k:\n      - a\n      - b\n",
    "---\nk:\n- a\n",
    "--- # c\nk: 1\n",
    "# c\n---\n# d\n\nk:\n  - a\n",
    "---\n---\nk: 1\n",
    "---\nk: 1\n---\nz: 2\n",
    "---\nk: 1\n...\n",
    "--- k: 1\n",
    "--- |\n  k\n",
    "---#c\nk: 1\n",
    "%YAML 1.2\n---\nk: 1\n",
    "---\n- a\n",
    "k: 1\n---\n",
    "----\nk: 1\n",
]


@pytest.mark.parametrize("text", LAYOUT_HAZARDS)
def test_layout_hazards(text: str) -> None:
    check(text)


def test_a_file_opened_by_a_document_marker_is_taken() -> None:
    text = "# c\n--- # the one document\nformat: 1\nk:\n- a\n"
    assert _read(text, fast=True) == _read(text, fast=False)
    assert _read(text, fast=True)[1] == [("k", 0, ("str", "a"), (5, 3))]


def test_lists_at_column_zero_are_taken_with_their_positions() -> None:
    text = "format: 1\nk:\n- a\n-   b: 1\n    c: 2\n-\n  d: 3\n# c\n- [e]\nz:\n    - f\n"
    skeleton, items = _read(text, fast=True)
    assert items == _read(text, fast=False)[1]
    assert [position for *_, position in items] == [(3, 3), (4, 5), (7, 3), (9, 3), (11, 7)]


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
