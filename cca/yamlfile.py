"""Read one YAML file safely into plain values that remember where they came from.

PyYAML's constructors are not used at all: cca walks the parser's event stream
itself, without recursion, so that

* anchors, aliases, merge keys and tags other than the standard ones are refused
  (no alias bombs, nothing executed, nothing surprising);
* nesting depth, document count and file size are bounded before they cost memory;
* every mapping and sequence records the line and column of each of its values,
  so a validator can point at the exact node (``file:line:col``);
* scalars follow YAML 1.2's core schema: ``yes``/``no``/``on``/``off`` and dates
  stay text (dates are checked by the validator, not turned into objects).

Every failure, whatever PyYAML raised, comes out as :class:`~cca.errors.KnowledgeError`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from cca.errors import KnowledgeError, Problem

#: Default cap on a knowledge file's size; ``CCA_MAX_FILE_BYTES`` overrides it.
#: 256 MiB holds a 100,000-project file (about 55 MB) several times over.
DEFAULT_MAX_BYTES = 256 * 1024 * 1024
#: Deeper than any real knowledge file needs (the format nests about 8 levels).
MAX_DEPTH = 64

Position = tuple[int, int]  # 1-based line and column

_CORE = "tag:yaml.org,2002:"
# Plain scalars starting with a letter that are not text.
_WORDS = frozenset({"null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE"})
_INT = re.compile(r"[-+]?[0-9]+\Z")
_HEX = re.compile(r"0x[0-9a-fA-F]+\Z")
_OCT = re.compile(r"0o[0-7]+\Z")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
# Plain scalars that YAML 1.1 (PyYAML, many writers) and YAML 1.2 both read as numbers.
_AGREED_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)\Z|0x[0-9a-fA-F]+\Z")
_AGREED_FLOAT = re.compile(r"([-+]?[0-9]+\.[0-9]*|\.[0-9]+)([eE][-+][0-9]+)?\Z")
_INF = re.compile(r"[-+]?\.(inf|Inf|INF)\Z")
_NAN = re.compile(r"\.(nan|NaN|NAN)\Z")


class YamlMap(dict[Any, Any]):
    """A mapping that knows where it, its keys and its values start."""

    __slots__ = ("pos", "key_pos", "value_pos")

    def __init__(self, pos: Position) -> None:
        super().__init__()
        self.pos = pos
        self.key_pos: dict[Any, Position] = {}
        self.value_pos: dict[Any, Position] = {}


class YamlList(list[Any]):
    """A sequence that knows where it and each item start."""

    __slots__ = ("pos", "item_pos")

    def __init__(self, pos: Position) -> None:
        super().__init__()
        self.pos = pos
        self.item_pos: list[Position] = []


def max_bytes() -> int:
    """The size cap in force: ``CCA_MAX_FILE_BYTES`` or :data:`DEFAULT_MAX_BYTES`."""
    raw = os.environ.get("CCA_MAX_FILE_BYTES", "")
    try:
        return int(raw) if raw else DEFAULT_MAX_BYTES
    except ValueError:
        return DEFAULT_MAX_BYTES


def read_text(path: Path, label: str, limit: int | None = None) -> str:
    """Read a UTF-8 file, refusing one over the size cap or with bad bytes."""
    limit = max_bytes() if limit is None else limit
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except IsADirectoryError:
        raise KnowledgeError([Problem(label, 1, 1, "is a directory, not a file")]) from None
    except OSError as error:
        reason = error.strerror or str(error)
        raise KnowledgeError([Problem(label, 1, 1, f"cannot read: {reason}")]) from None
    if len(data) > limit:
        raise KnowledgeError(
            [Problem(label, 1, 1, f"file is larger than the {limit:,}-byte cap (set CCA_MAX_FILE_BYTES to raise it)")]
        )
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        bad = data[error.start]
        raise KnowledgeError(
            [Problem(label, line, column, f"invalid UTF-8 byte 0x{bad:02x}: knowledge files must be UTF-8")]
        ) from None


def load_file(path: Path, label: str | None = None) -> Any:
    """Read and parse one knowledge file; ``label`` is how messages name it."""
    label = str(path) if label is None else label
    return parse(read_text(path, label), label)


def parse(text: str, label: str = "<string>") -> Any:
    """Parse YAML text into :class:`YamlMap`, :class:`YamlList` and scalars.

    Duplicate keys are collected and reported together; anything that stops the
    parse (syntax, aliases, tags, depth) is reported at once.
    """
    import yaml  # deferred: only a parse pays for PyYAML

    return _parse_with(getattr(yaml, "CSafeLoader", yaml.SafeLoader), text, label)


def _parse_with(loader_class: Any, text: str, label: str) -> Any:
    import yaml

    problems: list[Problem] = []

    def fail(pos: Position, message: str) -> KnowledgeError:
        return KnowledgeError([*problems, Problem(label, pos[0], pos[1], message)])

    loader: Any = None
    try:
        loader = loader_class(text)
        root = _build(loader, label, problems, fail)
    except KnowledgeError:
        raise
    except yaml.MarkedYAMLError as error:
        if loader_class is not yaml.SafeLoader and "exceeded maximum nesting depth" in str(error.problem):
            # libyaml reads ahead into flow collections and stops at its own limit of 1,000
            # levels; the pure-Python parser does not, so it finds where cca's cap is crossed.
            return _parse_with(yaml.SafeLoader, text, label)
        mark = error.problem_mark or error.context_mark
        pos = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        detail = error.problem or error.context or "invalid YAML"
        if error.context and error.problem:
            detail = f"{error.problem} ({error.context})"
        if mark is not None and text[mark.index : mark.index + 1] == "\t":
            detail = "tab character: YAML indents with spaces, never tabs"
        raise fail(pos, f"YAML syntax error: {detail}") from None
    except yaml.reader.ReaderError as error:
        raise fail(_offset_position(text, error.position), f"YAML syntax error: {_reader_reason(error)}") from None
    except (yaml.YAMLError, ValueError, TypeError, IndexError, RecursionError, MemoryError, UnicodeError) as error:
        # PyYAML's C and pure-Python paths raise more than YAMLError on odd input.
        raise fail((1, 1), f"YAML could not be read: {type(error).__name__}: {error}") from None
    finally:
        if loader is not None:
            loader.dispose()
    if problems:
        raise KnowledgeError(problems)
    return root


def _reader_reason(error: Any) -> str:
    character = error.character
    code = ord(character) if isinstance(character, str) else int(character)
    return f"character U+{code:04X} is not allowed in YAML"


def _offset_position(text: str, offset: int) -> Position:
    offset = max(0, min(offset, len(text)))
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _build(loader: Any, label: str, problems: list[Problem], fail: Any) -> Any:
    """Turn the event stream into values. The hot loop of a first load: kept flat on purpose."""
    import yaml

    events = yaml.events
    scalar_event, map_start, seq_start = events.ScalarEvent, events.MappingStartEvent, events.SequenceStartEvent
    ends = (events.MappingEndEvent, events.SequenceEndEvent)
    # Each open container: [container, pending key, pending key position, key is set]
    stack: list[list[Any]] = []
    root: Any = None
    documents = 0
    check_event, get_event = loader.check_event, loader.get_event
    while check_event():
        event = get_event()
        cls = event.__class__
        if cls is scalar_event:
            mark = event.start_mark
            pos = (mark.line + 1, mark.column + 1)
            if event.anchor is not None:
                raise fail(pos, f"anchors are not allowed (&{event.anchor})")
            plain = event.implicit[0]
            value = event.value
            if not plain:
                value = _scalar(event, pos, fail)
            elif not (value[:1].isalpha() and value not in _WORDS):  # most scalars are plain words
                value = resolve_plain(value)
            if not stack:
                root = value
                continue
            frame = stack[-1]
            container = frame[0]
            if container.__class__ is YamlList:
                container.append(value)
                container.item_pos.append(pos)
            elif not frame[3]:
                if plain and value == "<<":
                    raise fail(pos, "merge keys (<<) are not allowed")
                frame[1], frame[2], frame[3] = value, pos, True
            else:
                _set_item(container, frame, value, pos, label, problems)
            continue
        if cls in ends:
            node = stack.pop()[0]
            if not stack:
                root = node
                continue
            frame = stack[-1]
            container = frame[0]
            if container.__class__ is YamlList:
                container.append(node)
                container.item_pos.append(node.pos)
            else:
                _set_item(container, frame, node, node.pos, label, problems)
            continue
        mark = event.start_mark
        pos = (mark.line + 1, mark.column + 1)
        if cls is map_start or cls is seq_start:
            if event.anchor is not None:
                raise fail(pos, f"anchors are not allowed (&{event.anchor})")
            kind = "map" if cls is map_start else "seq"
            if event.tag not in (None, "!", _CORE + kind):
                raise fail(pos, f"unknown tag {event.tag!r}: tags are not allowed")
            if stack and stack[-1][0].__class__ is YamlMap and not stack[-1][3]:
                raise fail(pos, "a key must be plain text, not a mapping or a list")
            if len(stack) >= MAX_DEPTH:
                raise fail(pos, f"nested deeper than {MAX_DEPTH} levels")
            stack.append([YamlMap(pos) if kind == "map" else YamlList(pos), None, None, False])
        elif cls is events.DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise fail(pos, "more than one YAML document: a knowledge file holds exactly one")
        elif cls is events.AliasEvent:
            raise fail(pos, f"aliases are not allowed (*{event.anchor})")
    if documents == 0:
        raise fail((1, 1), "file is empty: a knowledge file holds one YAML mapping")
    return root


def _set_item(
    container: YamlMap, frame: list[Any], value: Any, pos: Position, label: str, problems: list[Problem]
) -> None:
    """Store a mapping's value under the key waiting in ``frame``; a repeated key is a problem."""
    key, key_pos = frame[1], frame[2]
    frame[1], frame[2], frame[3] = None, None, False
    if key in container:
        first = container.key_pos[key]
        problems.append(Problem(label, key_pos[0], key_pos[1], f"duplicate key {key!r} (first at line {first[0]})"))
        return
    container[key] = value
    container.key_pos[key] = key_pos
    container.value_pos[key] = pos


def _scalar(event: Any, pos: Position, fail: Any) -> Any:
    value: str = event.value
    tag_name = event.tag
    if event.implicit[0]:  # plain and untagged: resolve by its text
        return resolve_plain(value)
    if tag_name in (None, "!"):  # quoted or block scalar
        return value
    short = tag_name.replace(_CORE, "!!")
    if tag_name == _CORE + "str":
        return value
    try:
        if tag_name == _CORE + "int":
            return _to_int(value)
        if tag_name == _CORE + "float":
            return float(value)
        if tag_name == _CORE + "bool":
            return {"true": True, "false": False}[value.lower()]
        if tag_name == _CORE + "null":
            if value in ("", "~", "null", "Null", "NULL"):
                return None
            raise ValueError(value)
    except (ValueError, KeyError):
        raise fail(pos, f"{value!r} is not a valid {short}") from None
    raise fail(pos, f"unknown tag {short!r}: tags are not allowed")


def _to_int(value: str) -> int:
    if value.startswith(("+0x", "-0x")):
        raise ValueError(value)
    if _HEX.match(value):
        return int(value[2:], 16)
    if _OCT.match(value):
        return int(value[2:], 8)
    if _INT.match(value):
        return int(value, 10)
    raise ValueError(value)


def resolve_plain(value: str) -> Any:
    """The value of a plain (unquoted, untagged) scalar.

    Only forms that YAML 1.1 and YAML 1.2 read alike become numbers, booleans or
    null; anything the two disagree on (``yes``, ``on``, ``1e5``, ``0129``, ``0o17``)
    stays text, so a file means the same to cca as to the tool that wrote it, and
    a number written ambiguously is reported by the validator instead of misread.
    """
    if value in ("", "~", "null", "Null", "NULL"):
        return None
    if value in ("true", "True", "TRUE"):
        return True
    if value in ("false", "False", "FALSE"):
        return False
    first = value[:1]
    if first.isdigit() or first in "+-.":
        if _AGREED_INT.match(value):
            return _to_int(value)
        if _AGREED_FLOAT.match(value):
            return float(value)
        if _INF.match(value):
            return float("-inf") if value.startswith("-") else float("inf")
        if _NAN.match(value):
            return float("nan")
    return value


def reads_as_text(value: str) -> bool:
    """Whether a YAML 1.1 or 1.2 reader would take ``value``, written plain, as text."""
    if value in ("", "~", "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE"):
        return False
    if value[:1].isdigit() or value[:1] in "+-.":
        numeric = (_INT, _HEX, _OCT, _FLOAT, _INF, _NAN)
        return not any(pattern.match(value) for pattern in numeric)
    return True
