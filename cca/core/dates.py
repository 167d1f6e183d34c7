"""Dates as precise as their source: a year, a year and month, or a day.

A :class:`PartialDate` is shown as written, sorts by what it says (``2020`` before
``2020-11`` before ``2020-11-15``, all before ``2021``) and is exported as written:
no day is ever invented.
"""

import functools
import re
from typing import NamedTuple

_PATTERN = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?\Z")


@functools.lru_cache(maxsize=4096)
def valid(text: str) -> bool:
    """True for a real calendar date written YYYY, YYYY-MM or YYYY-MM-DD (remembered: dates repeat)."""
    return parse(text) is not None


class PartialDate(NamedTuple):
    """A date written to the year, the month or the day."""

    year: int
    month: int | None = None
    day: int | None = None

    def key(self) -> tuple[int, int, int]:
        return (self.year, self.month or 0, self.day or 0)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, PartialDate):
            return NotImplemented
        return self.key() < other.key()

    def __le__(self, other: object) -> bool:
        if not isinstance(other, PartialDate):
            return NotImplemented
        return self.key() <= other.key()

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, PartialDate):
            return NotImplemented
        return self.key() > other.key()

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, PartialDate):
            return NotImplemented
        return self.key() >= other.key()

    def __str__(self) -> str:
        text = f"{self.year:04d}"
        if self.month is not None:
            text += f"-{self.month:02d}"
            if self.day is not None:
                text += f"-{self.day:02d}"
        return text

    def fraction(self) -> float:
        """The date as a fractional year (the middle of its period), for timelines."""
        if self.month is None:
            return self.year + 0.5
        if self.day is None:
            return self.year + (self.month - 0.5) / 12
        return self.year + (self.month - 1) / 12 + (self.day - 0.5) / 365


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        return 29 if leap else 28
    return 30 if month in (4, 6, 9, 11) else 31


def parse(text: str) -> PartialDate | None:
    """The date ``text`` names, or None if it is not a real YYYY[-MM[-DD]] date."""
    match = _PATTERN.match(text)
    if match is None:
        return None
    year, month, day = (int(g) if g else None for g in match.groups())
    assert year is not None
    if year < 1:
        return None
    if month is not None and not 1 <= month <= 12:
        return None
    if day is not None and not 1 <= day <= _days_in_month(year, month or 1):
        return None
    return PartialDate(year, month, day)


@functools.lru_cache(maxsize=4096)
def sort_key(text: str | None) -> tuple[int, int, int, int]:
    """Order for optional date text: dated first, by date; undated last."""
    parsed = parse(text) if text else None
    return (1, 0, 0, 0) if parsed is None else (0, *parsed.key())
