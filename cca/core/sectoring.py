"""Finer sectors for a dataset's rows, read from their titles by declared rules (``data/sector-rules.tsv``).

A dataset codes its rows in broad sectors (AidData: "TRANSPORT AND STORAGE"); cca's tree has finer
ones (railways, ports, roads). A rule places a row in a finer sector when the row's own sector is
one it refines and its title or description has one of the rule's words. What a rule adds is cca's
reading, never the dataset's claim: a record's JSON shows it apart (``derived_sectors``, each with
its ``sector_source``, derived-from-title or derived-from-description, and the words that placed
it), the store marks it, and ``--sector-source dataset`` leaves it out. One function,
:func:`derived`, serves the store and the output alike.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from cca.core.settings import bundled_data_dir
from cca.core.text import fold


class Rule(NamedTuple):
    sector: str
    within: frozenset[str]
    pattern: re.Pattern[str]


@cache
def rules(data_root: Path | None = None) -> tuple[Rule, ...]:
    out = []
    for line in ((data_root or bundled_data_dir()) / "sector-rules.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith(("#", "sector\t")):
            continue
        sector, within, words = line.split("\t")[:3]
        phrases = sorted({fold(word) for word in words.split("|") if fold(word)}, key=len, reverse=True)
        pattern = re.compile(r"(?<![a-z0-9])(" + "|".join(re.escape(p) for p in phrases) + r")(?![a-z0-9])")
        out.append(Rule(sector, frozenset(within.split("|")), pattern))
    return tuple(out)


#: The fields a rule reads, in order, with what a match there is called: the first that matches names the reason.
_FIELDS = (("name", "derived-from-title"), ("summary", "derived-from-description"))


def derived(record: Mapping[str, Any]) -> list[dict[str, str]]:
    """The finer sectors the rules place a dataset row in: ``{sector, sector_source, words}`` each (none for others)."""
    if not isinstance(record.get("dataset"), Mapping):
        return []
    given = {str(s) for s in record.get("sectors") or ()}
    texts = [(how, fold(str(record.get(field) or ""))) for field, how in _FIELDS]
    out = []
    for rule in rules():
        if rule.sector in given or not (rule.within & given):
            continue
        for how, text in texts:
            found = rule.pattern.search(text) if text else None
            if found is not None:
                out.append({"sector": rule.sector, "sector_source": how, "words": found.group(1)})
                break
    return out
