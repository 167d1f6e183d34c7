"""What a dataset's header must be, and what a wrong one differs in: shared by the importers' readers.

Every reader refuses a file whose columns are not the layout it reads, and names what differs
(a column renamed, missing, unexpected, or out of order) rather than guessing at a mapping.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping, Sequence


def fold(name: str) -> str:
    """A column name for matching: case and runs of spaces do not count (`` Share size `` is ``Share Size``)."""
    return " ".join(name.split()).casefold()


def differences(found: Sequence[str], expected: Sequence[str], *, folded: bool = False) -> list[str]:
    """How ``found`` differs from ``expected``, one phrase each; [] when they are the same, in the same order.

    ``folded`` compares names as :func:`fold` does (case- and space-insensitive).
    """
    key = fold if folded else str.strip
    have, want = [key(name) for name in found], [key(name) for name in expected]
    if have == want:
        return []
    shown = dict(zip(have, (name.strip() for name in found), strict=True))
    present, wanted = set(have), set(want)
    extra = [name for name in have if name not in wanted]
    parts = []
    for index, name in enumerate(want):
        if name in present:
            continue
        close = difflib.get_close_matches(name, extra, n=1, cutoff=0.8)
        if close:
            parts.append(f"{expected[index].strip()!r} is named {shown[close[0]]!r}")
            extra.remove(close[0])
        else:
            parts.append(f"missing column {expected[index].strip()!r}")
    parts += [f"unexpected column {shown[name]!r}" for name in extra]
    if not parts:
        parts.append("the columns are not in the expected order")
    return parts


def summary(parts: Sequence[str], limit: int = 8) -> str:
    """The first ``limit`` differences, and how many more."""
    more = len(parts) - limit
    return "; ".join(parts[:limit]) + (f"; and {more} more" if more > 0 else "")


class Names(Mapping[str, str]):
    """Country ids by name, whatever fold the caller applied: a key is folded as cca folds names
    (:func:`cca.core.text.fold`: case, accents, dashes and spacing) before it is looked up."""

    def __init__(self, names: Mapping[str, str]) -> None:
        self._names = names

    def __getitem__(self, key: str) -> str:
        from cca.core.text import fold as fold_name

        return self._names[fold_name(key)]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)
