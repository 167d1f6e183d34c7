"""Read knowledge files safely: fast when they are valid, exact about positions when they are not.

Two readers produce the same values:

* **The reference reader** walks PyYAML's event stream itself, without recursion and
  without PyYAML's constructors, so that anchors, aliases, merge keys and tags other
  than the standard ones are refused (nothing is ever constructed or executed),
  nesting depth and document count are bounded, and every mapping and sequence
  records the line and column of each value for ``file:line:col`` messages. Plain
  scalars become numbers, booleans or null only where YAML 1.1 and 1.2 agree.
  It streams: each item of a top-level list is handed on as soon as it is complete.
* **The fast reader** cuts a file into its top-level records and parses batches of them
  with ``yaml_rs`` (a compiled YAML 1.2 parser), without positions. It takes any ordinary
  layout (top-level lists indented under their key or not, as PyYAML and ruamel.yaml
  write them; any indent) but only files plainly within the rules above: one scan of
  the whole file, before anything is parsed, finds anything unusual (anchors, tags,
  directives, numbers that YAML 1.1 and 1.2 read differently, tabs, control characters,
  deep nesting), and that or a batch it cannot parse sends the whole file to the
  reference reader. A differential test holds the two to the same values and verdicts.

Every failure, whatever PyYAML raised, comes out as :class:`~cca.core.errors.KnowledgeError`.
"""

from __future__ import annotations

import errno
import io
import os
import re
import stat
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol, TypeVar

from cca.core.errors import KnowledgeError, Problem
from cca.core.nodes import Position, YamlList, YamlMap

T = TypeVar("T")

#: Deeper than any real knowledge file needs (the format nests about 8 levels).
MAX_DEPTH = 64

#: Called with (section, index, item, position) for each item of a top-level list.
OnItem = Callable[[str, int, Any, Position], None]
#: The items of one batch of a top-level list: (index, item, position) each.
Batch = list[tuple[int, Any, Position]]


class Shared(Protocol):
    """How the fast reader takes a list batch by batch, maybe with another process (see :mod:`cca.io.spread`):
    each batch's items are prepared, in either process, and taken here in order; ``on_item`` then sees none of
    them."""

    def wants(self, section: str, batches: int) -> bool:
        """Whether the ``batches`` of ``section`` go batch by batch through ``prepare`` and ``take``."""
        ...

    def prepare(self, section: str, items: Batch) -> Any:
        """What taking the items needs, made from them alone (picklable); raises Unsuitable as ``on_item`` would."""
        ...

    def take(self, prepared: Any) -> None: ...

    def run(self, tasks: Sequence[T], here: Callable[[T], Any]) -> Iterator[Any]:
        """``here(task)`` of every task, in order, some made by another process."""
        ...


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
#: Longest integer literal read as a number; longer ones are refused, not converted (Python caps
#: decimal conversion at 4,300 digits, and nothing in a knowledge file needs more than 64 bits).
MAX_INT_DIGITS = 40


# -- reading a file ------------------------------------------------------------------------------------

_FILE_TYPES = {
    stat.S_IFIFO: "a FIFO",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
    stat.S_IFDIR: "a directory",
}


def _reason(error: OSError) -> str:
    if error.errno == errno.ELOOP:
        return "too many levels of symbolic links (a symlink loop?)"
    return (error.strerror or str(error)).rstrip(".")


def open_regular(path: Path, label: str) -> tuple[int, os.stat_result]:
    """A descriptor of a regular file, refusing devices, FIFOs, sockets and directories without blocking."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError as error:
        raise KnowledgeError([Problem(label, 1, 1, f"cannot read: {_reason(error)}")]) from None
    try:
        info = os.fstat(descriptor)
    except OSError as error:
        os.close(descriptor)
        raise KnowledgeError([Problem(label, 1, 1, f"cannot read: {_reason(error)}")]) from None
    if not stat.S_ISREG(info.st_mode):
        os.close(descriptor)
        what = _FILE_TYPES.get(stat.S_IFMT(info.st_mode), "not a regular file")
        raise KnowledgeError([Problem(label, 1, 1, f"is {what}, not a regular file")])
    return descriptor, info


def read_bytes(path: Path, label: str, limit: int) -> bytes:
    """A regular file's bytes, refusing devices, FIFOs and sockets (without blocking) and files over ``limit``."""
    return bytes(_read_buffer(path, label, limit))


def _read_buffer(path: Path, label: str, limit: int) -> bytearray:
    """The file read into one buffer sized from its length: no list of chunks joined into a second copy."""
    descriptor, info = open_regular(path, label)
    try:
        if info.st_size > limit:
            raise KnowledgeError([Problem(label, 1, 1, _too_big(limit))])
        buffer = bytearray(info.st_size + 1)  # one byte more than its length: growth while it is read shows
        reader = io.FileIO(descriptor, closefd=False)
        with memoryview(buffer) as view:
            filled = 0
            while filled < len(buffer):
                count = reader.readinto(view[filled : filled + (1 << 24)])
                if not count:
                    break
                filled += count
        if filled < len(buffer):
            del buffer[filled:]
        else:  # it grew while being read: the rest, up to one byte past the cap
            while len(buffer) <= limit:
                more = os.read(descriptor, min(limit + 1 - len(buffer), 1 << 20))
                if not more:
                    break
                buffer += more
    except OSError as error:
        raise KnowledgeError([Problem(label, 1, 1, f"cannot read: {_reason(error)}")]) from None
    finally:
        os.close(descriptor)
    if len(buffer) > limit:
        raise KnowledgeError([Problem(label, 1, 1, _too_big(limit))])
    return buffer


def _too_big(limit: int) -> str:
    return f"file is larger than the {limit:,}-byte cap (set CCA_MAX_FILE_BYTES to raise it)"


def decode(data: bytes | bytearray, label: str) -> str:
    """UTF-8 text (a leading BOM dropped), or a positioned problem at the first bad byte."""
    if data.startswith(b"\xef\xbb\xbf"):
        if isinstance(data, bytearray):
            del data[:3]  # in place: a second copy of a big file is what this reading avoids
        else:
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


def read_text(path: Path, label: str, limit: int) -> str:
    return decode(_read_buffer(path, label, limit), label)


# -- the reference reader --------------------------------------------------------------------------------


def parse(text: str, label: str = "<string>") -> Any:
    """Parse YAML text into :class:`YamlMap`, :class:`YamlList` and scalars, all positioned.

    Duplicate keys are collected and reported together; anything that stops the
    parse (syntax, aliases, tags, depth) is reported at once.
    """
    problems: list[Problem] = []
    root = parse_items(text, label, None, problems)
    if problems:
        raise KnowledgeError(problems)
    return root


def parse_items(text: str, label: str, on_item: OnItem | None, problems: list[Problem]) -> Any:
    """The reference reader; with ``on_item``, items of top-level lists are handed over, not kept.

    Returns the document (with every top-level list left empty when streaming). Problems
    that do not stop the parse (duplicate keys) are appended to ``problems``; anything
    that stops it raises :class:`KnowledgeError` carrying those too.
    """
    import yaml  # deferred: only a parse pays for PyYAML

    return _parse_with(getattr(yaml, "CSafeLoader", yaml.SafeLoader), text, label, on_item, problems)


def _parse_with(loader_class: Any, text: str, label: str, on_item: OnItem | None, problems: list[Problem]) -> Any:
    import yaml

    before = len(problems)

    def fail(pos: Position, message: str) -> KnowledgeError:
        return KnowledgeError([*problems, Problem(label, pos[0], pos[1], message)])

    loader: Any = None
    try:
        loader = loader_class(text)
        return _build(loader, label, problems, fail, on_item)
    except KnowledgeError:
        raise
    except yaml.MarkedYAMLError as error:
        if loader_class is not yaml.SafeLoader and "exceeded maximum nesting depth" in str(error.problem):
            # libyaml reads ahead into flow collections and stops at its own limit of 1,000
            # levels; the pure-Python parser does not, so it finds where cca's cap is crossed.
            del problems[before:]
            return _parse_with(yaml.SafeLoader, text, label, on_item, problems)
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


def _reader_reason(error: Any) -> str:
    character = error.character
    code = ord(character) if isinstance(character, str) else int(character)
    return f"character U+{code:04X} is not allowed in YAML"


def _offset_position(text: str, offset: int) -> Position:
    offset = max(0, min(offset, len(text)))
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _build(loader: Any, label: str, problems: list[Problem], fail: Any, on_item: OnItem | None) -> Any:
    """Turn the event stream into values. The hot loop of the reference reader: kept flat on purpose."""
    import yaml

    events = yaml.events
    scalar_event, map_start, seq_start = events.ScalarEvent, events.MappingStartEvent, events.SequenceStartEvent
    ends = (events.MappingEndEvent, events.SequenceEndEvent)
    # Each open container: [container, pending key (or, for a list, its item count), key position, key is set]
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
                value = resolve_plain(value, pos, fail)
            if not stack:
                root = value
                continue
            frame = stack[-1]
            container = frame[0]
            if container.__class__ is YamlList:
                if on_item is not None and len(stack) == 2 and stack[0][0].__class__ is YamlMap:
                    on_item(stack[0][1], frame[1], value, pos)
                    frame[1] += 1
                else:
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
                if on_item is not None and len(stack) == 2 and stack[0][0].__class__ is YamlMap:
                    on_item(stack[0][1], frame[1], node, node.pos)
                    frame[1] += 1
                else:
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
            if kind == "map":
                stack.append([YamlMap(pos), None, None, False])
            else:
                stack.append([YamlList(pos), 0, None, False])
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
    twin = _same_key_text(container, key)
    if twin is not _NO_KEY:
        first = container.key_pos[twin]
        problems.append(
            Problem(
                label,
                key_pos[0],
                key_pos[1],
                f"duplicate key {_shown(key)}: the same key as {_shown(twin)} at line {first[0]} (keys that "
                "differ only in type are one key once the record is stored)",
            )
        )
        return
    container[key] = value
    container.key_pos[key] = key_pos
    container.value_pos[key] = pos


_NO_KEY = object()
#: Text keys that could be the JSON text of a number, a boolean or null (checked against the other keys).
_KEY_WORDS = frozenset({"true", "false", "null", "NaN", "Infinity", "-Infinity"})


def key_text(key: Any) -> str:
    """A mapping key as it is named once stored as JSON: 1 and '1', 2.5 and '2.5', null and 'null' are one key."""
    if key.__class__ is str:
        return str(key)
    if key is None:
        return "null"
    if key is True:
        return "true"
    if key is False:
        return "false"
    if isinstance(key, float):
        if key != key:
            return "NaN"
        if key in (float("inf"), float("-inf")):
            return "Infinity" if key > 0 else "-Infinity"
        return repr(key)
    return str(key)


def _shown(key: Any) -> str:
    return repr(key) if key.__class__ is str else key_text(key)


def _same_key_text(container: YamlMap, key: Any) -> Any:
    """A key already in ``container`` that is ``key`` under another type (1 and '1'), or ``_NO_KEY``."""
    if key.__class__ is str:
        if not (key in _KEY_WORDS or key[:1] in "-0123456789"):
            return _NO_KEY  # most keys: words no number, boolean or null is written as
        for other in container:
            if other.__class__ is not str and key_text(other) == key:
                return other
        return _NO_KEY
    text = key_text(key)
    if text in container:
        return text
    for other in container:
        if other.__class__ is not str and other.__class__ is not key.__class__ and key_text(other) == text:
            return other
    return _NO_KEY


def _scalar(event: Any, pos: Position, fail: Any) -> Any:
    value: str = event.value
    tag_name = event.tag
    if event.implicit[0]:  # plain and untagged: resolve by its text
        return resolve_plain(value, pos, fail)
    if tag_name in (None, "!"):  # quoted or block scalar
        return value
    short = tag_name.replace(_CORE, "!!")
    if tag_name == _CORE + "str":
        return value
    try:
        if tag_name == _CORE + "int":
            return _to_int(value, pos, fail)
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


def _to_int(value: str, pos: Position | None = None, fail: Any = None) -> int:
    digits = value.lstrip("+-")
    if len(digits) > MAX_INT_DIGITS:
        if fail is not None and pos is not None:
            shown = value if len(value) <= 24 else value[:20] + "..."
            raise fail(pos, f"the number {shown} ({len(digits):,} digits) is out of range: numbers must fit in 64 bits")
        raise ValueError(value)
    if value.startswith(("+0x", "-0x")):
        raise ValueError(value)
    if len(digits) > 1 and digits[0] == "0" and _INT.match(value):
        refused = _leading_zero(value)
        if refused is not None:
            if fail is not None and pos is not None:
                raise fail(pos, refused)
            raise ValueError(value)
    if _HEX.match(value):
        return int(value[2:], 16)
    if _OCT.match(value):
        return int(value[2:], 8)
    if _INT.match(value):
        return int(value, 10)
    raise ValueError(value)


def _leading_zero(value: str) -> str | None:
    """Why a tagged integer with a leading zero is refused, or None when YAML 1.1 and 1.2 read it alike.

    YAML 1.1 (PyYAML's safe loader) reads ``!!int 0777`` as octal, 511; YAML 1.2 as decimal, 777.
    """
    decimal = int(value, 10)
    try:
        octal = int(value, 8)
    except ValueError:
        return f"{value!r} is an error in YAML 1.1 (a leading 0 means octal) and {decimal} in YAML 1.2: write {decimal}"
    if octal == decimal:
        return None
    spelled = f", or 0o{value.lstrip('+').lstrip('0')} for {octal}" if octal > 0 else ""
    return (
        f"{value!r} is {octal} in YAML 1.1 (a leading 0 means octal) and {decimal} in YAML 1.2: "
        f"write {decimal}{spelled}"
    )


def resolve_plain(value: str, pos: Position | None = None, fail: Any = None) -> Any:
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
            return _to_int(value, pos, fail)
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


# -- the fast reader -------------------------------------------------------------------------------------


class Unsuitable(Exception):
    """The fast reader does not take this file; the reference reader must."""


# -- what the fast reader does not take ------------------------------------------------------------------
#
# Each rule below is tied to a measured difference between yaml_rs and the reference reader (found by a
# differential fuzzer; tests/test_yaml_differential.py keeps it so). A rule that fires sends the whole
# file to the reference reader: false alarms cost speed, never correctness.

# Characters: raw C0/C1 controls (yaml_rs accepts them and truncates at NUL; the reference refuses
# them), NEL and the Unicode line separators (line breaks in YAML 1.1 only), U+FFFE/FFFF, a BOM past
# the start, lone surrogates.
_UNUSUAL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")
# A carriage return not followed by a line feed: a line break to YAML (a comment ends there), none to the
# fast reader's line rules (found by the differential property test: '#\r text' before the first key).
_LONE_CR = re.compile("\r(?!\n)")


#: The ASCII characters a file may hold: _UNUSUAL_CHARACTERS's ASCII part is every other one.
_FINE_ASCII = bytes(b for b in range(128) if b in b"\t\n\r" or 0x20 <= b <= 0x7E)


def _unusual_characters(text: str) -> bool:
    if text.isascii():  # known without a scan; then deleting the fine bytes is four times faster than the regex
        unusual = bool(text.encode("ascii").translate(None, _FINE_ASCII))
    else:
        unusual = _UNUSUAL_CHARACTERS.search(text) is not None
    return unusual or ("\r" in text and _LONE_CR.search(text) is not None)


# A node that starts with an anchor, alias, tag or explicit-key indicator (also right after ':').
_NODE_OR_COLON = r"(?<![^\s\[{,:].)"
_INDICATORS = re.compile(r"[&*]" + _NODE_OR_COLON + r"(?=[^\s,\[\]{}])|[!?]" + _NODE_OR_COLON)
_STRUCTURE = [
    re.compile(r"\][ \t]*:(?=\s|\Z)"),  # a flow sequence as a key
    re.compile(r"\}[ \t]*:(?=\s|\Z)"),  # a flow mapping as a key
    re.compile(r"<<"),  # a merge key
    re.compile(r"\\(?:u|U0000)[dD][89a-fA-F]"),  # surrogate escapes
    re.compile(r"\n(?:---|\.\.\.|%|:)"),  # document markers, directives; ':' starting a line (as at a chunk's start)
    re.compile(r"\n[ ?:-]{120}"),  # deep block nesting (yaml_rs recurses: past about 11,000 levels it crashes)
    # ':' where yaml_rs makes a null key or accepts what the reference refuses ('- :', 'x:]', 'a::b')
    re.compile(r":(?:(?=[,\]}])|(?<=[\[{,:]:)|(?<=[\[{,:] :)|(?<=\s:)(?=\s|\Z))"),
]
# A quoted key that could be the JSON text of a number, boolean or null ('"1": a' beside '1: b'): the
# reference reader refuses the two as one key; yaml_rs keeps both.
_QUOTED_KEY = re.compile(r"""(?:"[^"\n]*"|'[^'\n]*')[ \t]*:""")
# The same on a chunk's first line (a record's first line is one: '  - - - - ...').
_DEEP_FIRST_LINE = re.compile(r"[ ?:-]{120}")
_TAB = re.compile(r"(?:[\n\r]|[-?:])[ ]*\t")
_LEADING_TAB = re.compile(r"[ ]*\t")  # _TAB at the start of a text
_FLOW_BLOCKCHAR = re.compile(
    r"[|>](?:(?<=[\[{,:][|>])|(?<=[\[{,:] [|>]))(?![-+0-9]{0,2}[ \t]*(?:#[^\r\n]*)?(?:[\r\n]|\Z))"
    r"|[|>](?=[-+0-9]{0,2}[ \t]*[,\]}])"
)
_KEEP_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}\r\n")
_PARENS = bytes.maketrans(b"[{]}", b"(())")
# An empty block scalar at the end of a chunk: yaml_rs reads '\n' at the end of its input, the reference ''.
_TAIL_BLOCK = re.compile(r"(?:^|[\s:\-\[{,])[|>][-+0-9]{0,2}(?:[ \t]+#.*)?[ \t]*\Z")
_TRAILING_BLANK_OR_COMMENT = re.compile(r"(?:\n[ \t]*(?:#[^\n]*)?)*\s*\Z")
# Plain scalars yaml_rs reads as numbers and the reference keeps as text (1e5, 0129, 0o17, 1_000, +.5,
# .iNf, ...): a cheap prefilter on their features, then the precise check.
_D = r"[\s\[{,]"
_NUMBER_FEATURES = [
    re.compile(r"_(?:(?<=[0-9.]_)|(?=[0-9.]))"),
    re.compile(r"e(?<=[0-9._]e)"),
    re.compile(r"E(?<=[0-9._]E)"),
    re.compile(r"0(?=[0-9_oObBxX])(?:(?<=" + _D + r"0)|(?<=" + _D + r"[-+]0))"),
    re.compile(r"\.(?=[0-9iInN])(?<=" + _D + r"[-+]\.)"),
    re.compile(r"\.(?=[iInN])(?<=" + _D + r"\.)"),
    re.compile(r"\":[-+]?[0-9.]"),
    re.compile(r"':[-+]?[0-9.]"),
]
_SAME = (
    r"(?:[-+]?(?:0|[1-9][0-9]{0,17})|0x[0-9a-fA-F]{1,15}|[-+]?[0-9]+\.[0-9]*(?:[eE][-+][0-9]+)?"
    r"|\.[0-9]+(?:[eE][-+][0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))"
)
_END = r"(?=[ \t\r\n,\]}]|:(?:\s|\Z)|\Z)"
_FAST_NUMBER = (
    r"[-+]?(?:0[xXoObB][0-9a-fA-F_]*|[0-9_]*(?:\.[0-9_]*)?(?:[eE][-+]?[0-9_]+)?|\.[iI][nN][fF]|\.[nN][aA][nN])"
)
_NUMBER_TAIL = r"[ \t]*(?=[-+._]*[0-9]|[-+]?\.[iInN])(?!" + _SAME + _END + r")(?=" + _FAST_NUMBER + _END + r")"
# A number after any of the characters that can start a plain scalar: one scan of a chunk (measured
# faster than one pattern per character; the feature and structure patterns stay apart, as each starts
# with a literal the engine finds fast).
_ANY_NUMBER = re.compile(r"[:\-\[,{\n?\t\r]" + _NUMBER_TAIL)
# Long integer literals the reference refuses as out of range (an agreed form yaml_rs would accept).
_LONG_INT = re.compile(r"[0-9]{19}")


def _open_flow(chunk: str) -> bool:
    """Whether some line leaves a flow collection open (multi-line flow: the readers disagree)."""
    shape = chunk.encode("utf-8", "surrogatepass").translate(_PARENS, _KEEP_BRACKETS)
    for _ in range(8):
        peeled = shape.replace(b"()", b"")
        if peeled == shape:
            break
        shape = peeled
    return bool(shape.translate(None, b"\r\n"))


def _tail_block(chunk: str) -> bool:
    return _TAIL_BLOCK.search(_last_content_line(chunk)) is not None


_BLANK_OR_COMMENT_LINE = re.compile(r"[ \t]*(?:#[^\n]*)?\Z")


def _last_content_line(chunk: str) -> str:
    """The chunk's last line before its trailing blank and comment lines.

    The same as cutting at ``_TRAILING_BLANK_OR_COMMENT.search(chunk)``, walked from the end: that
    regular expression, searched from the start, takes time quadratic in a chunk's length.
    """
    end = len(chunk.rstrip())
    while True:
        start = chunk.rfind("\n", 0, end) + 1
        if start == 0 or not _BLANK_OR_COMMENT_LINE.match(chunk, start, end):
            return chunk[start:end]
        end = start - 1


def _indicator(chunk: str) -> bool:
    """``_INDICATORS.search(chunk)``, found by looking at each '&', '*', '!' and '?' (the regex is slow on big text)."""
    for char in "&*!?":
        at = chunk.find(char)
        while at >= 0:
            if at == 0 or chunk[at - 1].isspace() or chunk[at - 1] in "[{,:":
                if char in "!?":
                    return True
                if at + 1 < len(chunk) and not chunk[at + 1].isspace() and chunk[at + 1] not in ",[]{}":
                    return True
            at = chunk.find(char, at + 1)
    return False


_DIGITS_ONLY = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))


def _long_int(chunk: str) -> bool:
    """``_LONG_INT.search(chunk)``: a run of 19 ASCII digits."""
    return _digit_run(chunk, 19)


def _digit_run(text: str, length: int) -> bool:
    """Whether ``text`` holds a run of ``length`` ASCII digits, found at C speed (a regular expression is slow)."""
    return b"0" * length in text.encode("utf-8", "surrogatepass").translate(_DIGITS_ONLY)


def _number_like_quoted_key(chunk: str) -> bool:
    """Whether a quoted key might be the same key as a number, boolean or null key beside it."""
    if '":' not in chunk and "':" not in chunk and " :" not in chunk and "\t:" not in chunk:
        return False  # no quote, or space, right before a colon: no quoted key (found at C speed)
    for match in _QUOTED_KEY.finditer(chunk):
        content = match.group()[1 : match.group().rindex(match.group()[0])]
        # Not the empty key: no number, boolean or null is written as it, and the pattern finds one in
        # every escaped quote before a colon ('the ''four aspects'': ...', as PyYAML writes an apostrophe).
        if "\\" in content or content in _KEY_WORDS or (content and content[0] in "-0123456789.+"):
            return True
    return False


def unusual(text: str) -> bool:
    """Whether ``text`` holds a character that sends a whole file to the reference reader."""
    return _unusual_characters(text) or _digit_run(text, 4301)


def risky(chunk: str, *, final: bool = False) -> bool:
    """Whether the two readers might read ``chunk`` differently (``final``: it ends the file)."""
    if final and not chunk.endswith("\n"):
        return True
    return _ends_in_empty_block(chunk) or _scan(chunk)


def _ends_in_empty_block(chunk: str) -> bool:
    """The one rule tied to where a chunk ends: an empty block scalar on its last line (see _TAIL_BLOCK)."""
    return ("|" in chunk or ">" in chunk) and _tail_block(chunk)


def _refused(text: str) -> bool:
    """Whether a part of a file, cut at line starts, sends the file to the reference reader."""
    return _unusual_characters(text) or _scan(text)


def _scan(text: str) -> bool:
    """Every rule but the chunk's end: whether anything in ``text`` might read differently to the two readers.

    Each rule looks at one line (or at one line and the break before it), and the start of ``text``
    counts as the start of a line. So a rule fires on a text cut at line starts exactly where it fires
    on the whole file at those lines: the fast reader scans each part of a file where it parses it
    (each batch of a long list on its own, in whichever process reads the batch), and a file whose
    parts are all clear is clear as a whole.
    """
    if ("&" in text or "*" in text or "!" in text or "?" in text) and _indicator(text):
        return True
    if text.startswith(("---", "...", "%", ":", "\t")) or _DEEP_FIRST_LINE.match(text):
        return True
    if "\t" in text and (_TAB.search(text) or _LEADING_TAB.match(text)):
        return True
    if ("|" in text or ">" in text) and _FLOW_BLOCKCHAR.search(text):
        return True
    if any(pattern.search(text) for pattern in _STRUCTURE):  # separately: each starts with a literal, found fast
        return True
    if ("[" in text or "{" in text) and _open_flow(text):
        return True
    if _long_int(text):
        return True
    if _number_like_quoted_key(text):
        return True
    return _number_hazard(text)


def _number_hazard(text: str) -> bool:
    """Whether a plain token might be a number to yaml_rs and text (or another number) to the reference.

    Such a token has a feature of its own (an 'e' after a digit, a leading 0, a '_', ...: rare, and
    found at C speed) and matches ``_ANY_NUMBER`` (common: 'proj-000001' does), both on its line:
    so each line with a feature is searched for the token, not the whole text.
    """
    probe = "\n" + text[:80]  # a token at the very start has no delimiter before it
    if any(p.search(probe) for p in _NUMBER_FEATURES) and _ANY_NUMBER.search(probe):
        return True
    for pattern in _NUMBER_FEATURES:
        end = 0
        for match in pattern.finditer(text):
            if match.start() < end:
                continue  # on a line already searched
            start = text.rfind("\n", 0, match.start())  # the break before the line: a token's delimiter
            end = text.find("\n", match.start()) + 1 or len(text)
            if _ANY_NUMBER.search(text, max(start, 0), end):
                return True
    return False


# -- splitting a file into records ---------------------------------------------------------------------
#
# A file is cut at its top-level keys (lines at column 0), and each top-level list into its items. The
# list may be indented under its key by any number of spaces, or not at all (PyYAML's and ruamel's
# default: 'projects:\n- id: x\n  name: y'); its item lines are the lines with a dash at that indent,
# and every other line of it must be deeper, a comment or blank. Items are parsed in batches and must
# come back one for each item line, so text that spans two items (a quoted string, a flow collection)
# is never read as two halves.

# A top-level key every reader takes as the same text: a letter first, not a null or boolean word.
_KEY_LINE = re.compile(
    r"(?!(?:null|Null|NULL|true|True|TRUE|false|False|FALSE):)([A-Za-z][A-Za-z0-9_-]*):(?:[ ]+(.*))?\Z"
)
# A line at column 0 that is not blank, a comment or an item of a list written without indent.
_COLUMN_ZERO = re.compile(r"\n(?=[^\s#-]|-[^ \n])")
#: Records parsed per call of the fast parser.
BATCH = 20
_MAX_FLOW = MAX_DEPTH - 8
#: Longest text (characters) handed to yaml_rs at once. It holds about five bytes per character while it
#: parses, and a failed allocation in it aborts the process; a record longer than this (no hand-written
#: record comes near) is read by the reference reader, which streams.
MAX_FAST_CHUNK = 2 << 20


def _fast_loads() -> Callable[[str], Any] | None:
    try:
        import yaml_rs
    except ImportError:  # pragma: no cover - the reference reader serves alone
        return None
    loads = yaml_rs.loads

    def load(text: str) -> Any:
        return loads(text, parse_datetime=False)

    return load


def parse_items_fast(text: str, on_item: OnItem, shared: Shared | None = None) -> dict[str, Any]:
    """The fast reader: the document with its top-level lists left empty, each item handed to ``on_item``
    (or, for a list ``shared`` wants, to ``shared``).

    Raises :class:`Unsuitable` for anything it does not take; the caller then reads the
    file again with the reference reader (items already handed over must be discarded).
    """
    loads = _fast_loads()
    if loads is None or not text.endswith("\n"):
        raise Unsuitable
    # Top-level keys: every line at column 0 with content; anything before the first must be blank or comments.
    starts = [0] if text[:1] not in ("", " ", "\n", "#") else []
    starts += [m.start() + 1 for m in _COLUMN_ZERO.finditer(text)]
    opening = _DOCUMENT_START.match(text, starts[0]) if starts else None
    if opening is not None:  # '---' opening the one document, as many write by hand: part of the header
        del starts[0]
    if not starts:
        raise Unsuitable
    header = text[: starts[0]] if opening is None else text[: opening.start()] + text[opening.end() : starts[0]]
    if _content(header):
        raise Unsuitable
    # The safety scan (see _scan): every rule looks at one line, so each part of the file is scanned where it
    # is parsed, a long list batch by batch (in a helper too, when one shares the reading). The comments
    # before the first key are not YAML's business, save characters that move line breaks and a number
    # too long for Python to convert.
    if _unusual_characters(text[: starts[0]]) or _digit_run(text[: starts[0]], 4301):
        raise Unsuitable
    blocks = "|" in text or ">" in text
    root: dict[str, Any] = {}
    line = 1 + text.count("\n", 0, starts[0])
    starts.append(len(text))
    for number in range(len(starts) - 1):
        begin, end = starts[number], starts[number + 1]
        line_end = text.index("\n", begin)
        match = _KEY_LINE.match(text, begin, line_end)
        if match is None or match.group(1) in root:
            raise Unsuitable  # a dash at column 0 under a value, '? ', quoted keys, flow, a repeated key...
        key, rest = match.group(1), (match.group(2) or "").strip()
        first = _FIRST_ITEM.match(text, line_end + 1, end)
        if _refused(text[begin : first.end() if first is not None else end]):
            raise Unsuitable  # the key's line and what is not a list item (each item is scanned with its batch)
        if not rest or rest.startswith("#"):
            if first is not None:
                root[key] = []
                items = text[first.end() : end]
                first_line = line + 1 + text.count("\n", line_end + 1, first.end())
                _load_items(loads, key, items, len(first.group(1)), first_line, on_item, blocks, shared)
                line += text.count("\n", begin, end)
                continue
            if not _content(text[line_end + 1 : end]):
                root[key] = None
                line += text.count("\n", begin, end)
                continue
        value = _load_value(loads, text[begin:end], key, blocks)
        if isinstance(value, list) and value:
            raise Unsuitable  # a list in flow style: its items need positions the fast reader lacks
        root[key] = value
        line += text.count("\n", begin, end)
    return root


#: A line that opens the document and holds nothing else (a second '---' is refused by the scan).
_DOCUMENT_START = re.compile(r"---(?:[ ]+(?:#[^\n]*)?)?\n")
_EMPTY_LINES = re.compile(r"(?:[ ]*(?:#[^\n]*)?(?:\n|\Z))*\Z")


def _content(text: str) -> bool:
    """Whether ``text`` holds anything but lines of spaces and comments (a tab is content: YAML refuses it)."""
    return _EMPTY_LINES.match(text) is None


#: Blank or comment lines, then the first item of a top-level list (its indent in group 1).
_FIRST_ITEM = re.compile(r"(?:[ ]*(?:#[^\n]*)?\n)*(?=([ ]*)-[ \n])")


def _load_value(loads: Callable[[str], Any], chunk: str, key: str, blocks: bool) -> Any:
    if "\n-" in chunk:
        raise Unsuitable  # a dash at column 0 after a key that holds no list
    if len(chunk) > MAX_FAST_CHUNK or chunk.count("[") + chunk.count("{") > _MAX_FLOW:
        raise Unsuitable
    if blocks and _ends_in_empty_block(chunk):
        raise Unsuitable
    try:
        value = loads(chunk)
    except Exception:  # noqa: BLE001 - any failure of the fast parser means: ask the reference reader
        raise Unsuitable from None
    if not isinstance(value, dict) or list(value) != [key]:
        raise Unsuitable
    return value[key]


_LIST_LINES: dict[int, tuple[re.Pattern[str], re.Pattern[str]]] = {}


def _list_lines(indent: int) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """For a list whose dashes are ``indent`` spaces in: a line that cannot be in it, and an item line.

    Each starts with a line break, which the regular expression engine finds fast (a pattern with
    ``^`` in multi-line mode tries every character).
    """
    if indent not in _LIST_LINES:
        pad = " " * indent
        _LIST_LINES[indent] = (
            re.compile(rf"\n(?!{pad}-[ \n]|{pad} | *#| *(?:\n|\Z))"),
            re.compile(rf"\n{pad}-[ \n]"),
        )
    return _LIST_LINES[indent]


def _load_items(
    loads: Callable[[str], Any],
    key: str,
    body: str,
    indent: int,
    first_line: int,
    on_item: OnItem,
    blocks: bool,
    shared: Shared | None = None,
) -> None:
    """Parse a top-level list (``body`` starts at its first item) in batches; each item is handed over, positioned."""
    stray, item_line = _list_lines(indent)
    if stray.search(body) is not None:
        raise Unsuitable
    starts = [0, *(m.start() + 1 for m in item_line.finditer(body)), len(body)]
    # The batches: (first item, item after the last, line of the first item); cut before any is parsed.
    batches: list[tuple[int, int, int]] = []
    first, count = 0, len(starts) - 1
    line = first_line
    while first < count:
        stop = min(first + BATCH, count)
        while stop > first + 1 and starts[stop] - starts[first] > MAX_FAST_CHUNK:
            stop = first + 1 + (stop - first - 1) // 2  # big records: fewer at a time
        if starts[stop] - starts[first] > MAX_FAST_CHUNK:
            raise Unsuitable  # one record too long for yaml_rs
        batches.append((first, stop, line))
        line += body.count("\n", starts[first], starts[stop])
        first = stop

    def batch(cut: tuple[int, int, int]) -> Batch:
        return _batch(loads, body, starts, indent, blocks, cut)

    if shared is not None and shared.wants(key, len(batches)):
        for prepared in shared.run(batches, lambda cut: shared.prepare(key, batch(cut))):
            shared.take(prepared)
        return
    for cut in batches:
        for number, item, position in batch(cut):
            on_item(key, number, item, position)


def _batch(
    loads: Callable[[str], Any], body: str, starts: Sequence[int], indent: int, blocks: bool, cut: tuple[int, int, int]
) -> Batch:
    """The items of one batch, parsed and positioned: (index in the list, item, position) each."""
    first, stop, line = cut
    bounds = starts[first : stop + 1]
    chunk = body[bounds[0] : bounds[-1]]
    if _refused(chunk):
        raise Unsuitable
    flow = chunk.count("[") + chunk.count("{")
    if flow > _MAX_FLOW * (len(bounds) - 1) or (blocks and _ends_in_empty_block(chunk)):
        raise Unsuitable
    if flow > _MAX_FLOW:
        for left, right in zip(bounds, bounds[1:], strict=False):
            if body.count("[", left, right) + body.count("{", left, right) > _MAX_FLOW:
                raise Unsuitable
    try:
        items = loads(chunk)
    except Exception:  # noqa: BLE001 - any failure of the fast parser means: ask the reference reader
        raise Unsuitable from None
    if not isinstance(items, list) or len(items) != len(bounds) - 1:
        raise Unsuitable
    out: Batch = []
    previous = bounds[0]
    for number, (item, start, end) in enumerate(zip(items, bounds, bounds[1:], strict=False), first):
        line += body.count("\n", previous, start)
        previous = start
        out.append((number, item, _item_position(body, start, end, indent, line)))
    return out


_AFTER_DASH = re.compile(r"-[ ]*(?:#[^\n]*)?\n?((?:[ ]*(?:#[^\n]*)?\n)*)([ ]*)", re.MULTILINE)


def _item_position(body: str, start: int, end: int, indent: int, line: int) -> Position:
    """Where the reference reader says the item from ``start`` to ``end`` starts: its first content after the dash.

    An item with none (a null) starts right after its dash.
    """
    match = _AFTER_DASH.match(body, start + indent)
    if match is None:  # pragma: no cover - the dash is always there
        return line, indent + 2
    skipped = match.group(0).count("\n")
    if skipped == 0:
        return line, match.end() - start + 1
    if match.end() >= end:
        return line, indent + 2
    return line + skipped, len(match.group(2)) + 1
