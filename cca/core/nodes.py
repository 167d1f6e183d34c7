"""Positioned values: what a reader hands the checks, so every problem can say ``file:line:col``.

The readers (:mod:`cca.io.yaml`) build these; the schema interpreter and the checks
(:mod:`cca.core.schema`, :mod:`cca.core.checks`) read positions off them. They live in
the core so that the core never imports a reader.
"""

from __future__ import annotations

from typing import Any

Position = tuple[int, int]  # 1-based line and column


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
