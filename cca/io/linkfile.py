"""Add ``updates:`` entries to a knowledge file the user owns, keeping every line of it as it was.

``cca link confirm`` and ``cca link reject`` write to ``links.yaml`` in the user's knowledge
directory: a file of theirs, to read and edit by hand. cca never dumps it again (a YAML writer
would drop its comments and layout): it appends to the file's text. A new entry goes after the
last entry of its ``updates:`` list, indented as that list is (or inside a flow list's brackets);
a file without the list gets one at its end; a new file gets a comment saying what it is. The
new text is read back and must say exactly what the old one said plus the new entries, or
nothing is written. The file is replaced atomically (a temporary file beside it, renamed over
it, with the old file's mode), and not at all if it changed while cca was writing.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml as pyyaml

from cca.core.errors import CcaError, QueryError
from cca.core.settings import Settings
from cca.io import safefile
from cca.io import yaml as reader

#: The file cca writes links to, in the user's knowledge directory.
LINKS_FILE = "links.yaml"

HEADER = (
    "# Links between curated projects and dataset records, added by 'cca link confirm' (same_as: the\n"
    "# same project) and 'cca link reject' (rejected_same_as: not it; never suggested again).\n"
    "# This file is yours: cca only ever adds entries at the end of the list, keeping your lines.\n"
)


def links_file(settings: Settings) -> Path:
    """Where links are written: ``links.yaml`` in the knowledge directory (refused when it is off)."""
    if settings.data_dir is None:
        raise QueryError(
            "links are written to your knowledge directory, which {no_data_dir} (or CCA_NO_DATA_DIR) turns off",
            params=["no_data_dir"],
        )
    return settings.data_dir / LINKS_FILE


#: Words YAML 1.1 readers (editors, linters) take for flags or null: quoted, though cca reads them as text.
_YAML11 = frozenset("y n yes no on off true false null".split())


def scalar(value: str) -> str:
    """An id as any YAML reader reads it back as the same text: plain when it can be, else quoted."""
    plain = all(ch.isalnum() or ch == "-" for ch in value) and value.lower() not in _YAML11
    if value and plain and reader.reads_as_text(value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _flow(entry: Mapping[str, Any]) -> str:
    parts = []
    for key, value in entry.items():
        text = "[" + ", ".join(scalar(v) for v in value) + "]" if isinstance(value, list) else scalar(value)
        parts.append(f"{key}: {text}")
    return "{" + ", ".join(parts) + "}"


def _block(entry: Mapping[str, Any], indent: int) -> str:
    pad = " " * indent
    lines = []
    for number, (key, value) in enumerate(entry.items()):
        text = "[" + ", ".join(scalar(v) for v in value) + "]" if isinstance(value, list) else scalar(value)
        lines.append(f"{pad}{'- ' if number == 0 else '  '}{key}: {text}\n")
    return "".join(lines)


def _skip(events: Sequence[Any], at: int) -> int:
    """The index just after the node starting at ``events[at]``."""
    depth = 0
    while True:
        event = events[at]
        if isinstance(event, (pyyaml.SequenceStartEvent, pyyaml.MappingStartEvent)):
            depth += 1
        elif isinstance(event, (pyyaml.SequenceEndEvent, pyyaml.MappingEndEvent)):
            depth -= 1
        at += 1
        if depth == 0:
            return at


def appended(text: str | None, entries: Sequence[Mapping[str, Any]], label: str) -> str:
    """``text`` with ``entries`` added to its ``updates:`` list, every other character kept."""
    if text is None:
        return HEADER + "updates:\n" + "".join(_block(entry, 2) for entry in entries)
    loader = getattr(pyyaml, "CSafeLoader", pyyaml.SafeLoader)
    try:
        events = list(pyyaml.parse(text, Loader=loader))
    except pyyaml.YAMLError:
        raise _cannot(label, "it is not YAML cca can read") from None
    root = events[2] if len(events) > 2 else None
    if not isinstance(root, pyyaml.MappingStartEvent) or root.flow_style:
        raise _cannot(label, "its top level is not a block mapping")
    at, found = 3, None
    while not isinstance(events[at], pyyaml.MappingEndEvent):
        key = events[at]
        end = _skip(events, at + 1)
        if isinstance(key, pyyaml.ScalarEvent) and key.value == "updates":
            found = (at + 1, end)
        at = end
    if found is None:
        ending = "" if text.endswith("\n") or not text else "\n"
        return text + ending + "updates:\n" + "".join(_block(entry, 2) for entry in entries)
    start, end = found
    opening = events[start]
    if not isinstance(opening, pyyaml.SequenceStartEvent):
        raise _cannot(label, "its updates: is not a list")
    if opening.flow_style:
        closing = _where(events[end - 1].start_mark)  # the ']'
        before = text[:closing].rstrip()
        comma = "" if before.endswith(("[", ",")) else ", "
        return text[:closing] + comma + ", ".join(_flow(e) for e in entries) + text[closing:]
    last = _last_content(events[start + 1 : end - 1])
    if last > 0 and text[last - 1] != "\n":  # within a line: the entry goes after it
        newline = text.find("\n", last)
        last = len(text) if newline < 0 else newline + 1
    ending = "" if text[:last].endswith("\n") else "\n"
    indent = _where(opening.start_mark, column=True)
    return text[:last] + ending + "".join(_block(entry, indent) for entry in entries) + text[last:]


def _where(mark: Any, column: bool = False) -> int:
    """A mark's offset in the text (or its column): every event PyYAML's parser gives has its marks."""
    return int(mark.column if column else mark.index)


def _last_content(events: Sequence[Any]) -> int:
    """Where the last value of these events ends: a scalar, or a flow collection's closing bracket.

    A block collection's end is marked where the next thing starts (after any comments between):
    an entry placed there would land below comments that belong to what follows.
    """
    flows: list[bool] = []
    last = 0
    for event in events:
        if isinstance(event, (pyyaml.SequenceStartEvent, pyyaml.MappingStartEvent)):
            flows.append(bool(event.flow_style))
        elif isinstance(event, (pyyaml.SequenceEndEvent, pyyaml.MappingEndEvent)):
            if flows.pop():
                last = max(last, _where(event.end_mark))
        elif isinstance(event, pyyaml.ScalarEvent):
            last = max(last, _where(event.end_mark))
    return last


def _cannot(label: str, why: str) -> CcaError:
    return CcaError(f"{label}: cca adds to a file only when it can keep every line of it, and {why}: add it by hand")


def _checked(old: str | None, new: str, entries: Sequence[Mapping[str, Any]], label: str) -> None:
    """The new text says what the old one said, plus the entries; else nothing is written."""
    before: dict[str, Any] = dict(reader.parse(old, label)) if old is not None else {}
    expected = {**before, "updates": [*(before.get("updates") or []), *entries]}
    try:
        after = reader.parse(new, label)
    except CcaError:
        after = None
    if after != expected:
        raise _cannot(label, "its layout is one cca cannot add to without changing what it says")


def append_updates(path: Path, entries: Sequence[Mapping[str, Any]], limit: int) -> None:
    """Add ``entries`` to the ``updates:`` list of the knowledge file at ``path`` (created if missing)."""
    label = safefile.describe(path)
    safefile.check_target(path, force=True)  # a directory, a symlink, a FIFO...: refused
    old: str | None = None
    mode: int | None = None
    if os.path.lexists(path):
        old = reader.read_text(path, label, limit)
        mode = stat.S_IMODE(os.stat(path).st_mode)
    new = appended(old, entries, label)
    _checked(old, new, entries, label)
    with safefile.atomic_path(path, force=True) as temporary:
        temporary.write_text(new, encoding="utf-8")
        if mode is not None:
            os.chmod(temporary, mode)
        now = reader.read_text(path, label, limit) if os.path.lexists(path) else None
        if now != old:
            raise QueryError(f"{label} changed while cca was adding to it: nothing was written; run the command again")
