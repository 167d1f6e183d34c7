"""Knowledge as JSON Lines: the form an import writes, read back as a stream.

A ``.jsonl`` knowledge file holds the same records as a YAML one, one per line: a first
line ``{"format": 1, "about": "..."}`` and then lines such as ``{"projects": {...}}`` or
``{"sources": {...}}`` (the top-level section the record belongs to, and the record). It
is what ``cca import`` writes: read as it is streamed (no size cap: memory stays flat
however large), checked against the same schema as any knowledge file, and easy to read
with ``jq``. Any problem is ``file:line:1: message``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from cca.core.errors import KnowledgeError, Problem
from cca.core.text import compact_json

#: Longest line cca reads (one record): far beyond any real record, short of exhausting memory.
MAX_LINE_BYTES = 64 * 1024 * 1024
FORMAT = 1


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _loads(text: str) -> Any:
    return json.loads(text, parse_constant=_constant)


def read(path: Path, label: str) -> Iterator[tuple[int, str, Any]]:
    """(line, section, record) for each record line; the header line is checked, not handed on."""
    from cca.io.yaml import open_regular

    descriptor, _ = open_regular(path, label)
    try:
        with os.fdopen(descriptor, "rb", closefd=True) as handle:
            yield from _lines(handle, label)
    except OSError as error:
        raise KnowledgeError([Problem(label, 1, 1, f"cannot read: {error.strerror or error}")]) from None


def _lines(handle: IO[bytes], label: str) -> Iterator[tuple[int, str, Any]]:
    number = 0
    header = False
    while True:
        raw = handle.readline(MAX_LINE_BYTES + 1)
        if not raw:
            break
        number += 1
        if len(raw) > MAX_LINE_BYTES:
            raise _problem(label, number, f"a line of more than {MAX_LINE_BYTES:,} bytes")
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise _problem(
                label, number, f"invalid UTF-8 byte 0x{raw[error.start]:02x}: knowledge files must be UTF-8"
            ) from None
        if not text.strip():
            continue
        try:
            value = _loads(text)
        except (ValueError, RecursionError) as error:
            raise _problem(label, number, f"not a JSON value: {error}") from None
        if not header:
            if not isinstance(value, dict) or value.get("format") != FORMAT:
                raise _problem(label, number, f'the first line must be {{"format": {FORMAT}, ...}}')
            header = True
            continue
        if not isinstance(value, dict) or len(value) != 1:
            raise _problem(label, number, 'each line holds one record: {"SECTION": {...}}, e.g. {"projects": {...}}')
        ((section, record),) = value.items()
        yield number, str(section), record
    if not header:
        raise _problem(label, 1, f'the file is empty: expected {{"format": {FORMAT}, ...}} on its first line')


def _problem(label: str, line: int, message: str) -> KnowledgeError:
    return KnowledgeError([Problem(label, line, 1, message)])


class Writer:
    """Writes a JSON Lines knowledge file to an open text stream, record by record."""

    def __init__(self, handle: IO[str], about: str) -> None:
        self.handle = handle
        self.lines = 1
        handle.write(encode({"format": FORMAT, "about": about}) + "\n")

    def write(self, section: str, record: Mapping[str, Any], encoded: str | None = None) -> int:
        """Write one record (``encoded``: the record as :func:`encode` gives it, if known); returns its line number."""
        text = encoded if encoded is not None else encode(record)
        self.handle.write("{" + encode(section) + ":" + text + "}\n")
        self.lines += 1
        return self.lines


#: A value as a JSON Lines file holds it: compact, NaN and infinities refused (ValueError).
encode = compact_json
