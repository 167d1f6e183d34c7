"""Links between sources: dataset records that may be the same project as a curated record.

cca never links on its own. :func:`suggest` proposes, with a score; an analyst who agrees
writes a ``same_as`` link in a knowledge file (``updates: - {id: ..., same_as: [...]}``),
and then ``show`` puts the linked records' financing beside the curated record's progress.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from cca.core.kb import KnowledgeBase
from cca.core.model import Record
from cca.core.text import fold, unspaced

#: Words that say nothing about which project a name means.
_NOISE = frozenset(
    "a an and at between by china chinese co company construction cooperation de del for from in loan "
    "ltd of on phase project projects provides the to with".split()
)
_WORD = re.compile(r"[^\W_]+")


class Suggestion(NamedTuple):
    curated: str
    candidate: str
    score: int
    matched: str
    candidate_name: str


def _words(text: str) -> frozenset[str]:
    return frozenset(w for w in _WORD.findall(fold(text).replace("-", " ")) if w not in _NOISE and not w.isdigit())


def _names(record: Record) -> list[str]:
    return [record.name, *(a for a in record.aliases if isinstance(a, str))]


def score(curated: Record, candidate: Record) -> tuple[int, str]:
    """0-100: the share of a curated name's telling words found in the candidate's name (best name wins)."""
    theirs = _words(candidate.name)
    best, matched = 0, ""
    for name in _names(curated):
        if unspaced(name) and len(name) >= 3 and fold(name) in fold(candidate.name):
            return 100, name  # no spaces between words (Chinese, Thai): the whole name inside the other
        mine = _words(name)
        if len(mine) < 2 and not (mine and mine <= theirs and len(theirs) <= 4):
            continue  # one word ('Laos') matches too much
        covered = len(mine & theirs) / len(mine) if mine else 0.0
        value = round(100 * covered)
        if value > best:
            best, matched = value, name
    return best, matched


def suggest(kb: KnowledgeBase, min_score: int = 60) -> list[Suggestion]:
    """Dataset projects that may be the same as a curated one: same countries, and names that agree."""
    china = {c.id for c in kb.countries() if c.get("iso2") == "CN"}
    out: list[Suggestion] = []
    for curated in kb.projects():
        if curated.get("dataset") is not None:
            continue
        linked = set(curated.get("same_as") or ())
        partners = [c for c in curated.countries if c not in china] or curated.countries
        candidates = kb.records("project", country=partners, source=_dataset_sources(kb)) if partners else []
        for candidate in candidates:
            if candidate.id in linked or candidate.get("dataset") is None:
                continue
            value, matched = score(curated, candidate)
            if value >= min_score:
                out.append(Suggestion(curated.id, candidate.id, value, matched, candidate.name))
    out.sort(key=lambda s: (s.curated, -s.score, s.candidate))
    return out


def _dataset_sources(kb: KnowledgeBase) -> list[str]:
    return [s.id for s in kb.sources() if s.get("dataset") is not None] or ["-"]
