"""Pairs of records from two datasets that may be one project: a CGIT construction contract and a GCDF loan.

China's policy banks often lend for a project that a Chinese company builds: AidData's GCDF records
the loan, the China Global Investment Tracker the construction contract. :func:`suggest` proposes
such pairs, each with a score and why; like the links between a curated project and a dataset row
(:mod:`cca.core.links`), nothing is linked until someone who has read both records writes it down
(``updates: [{id: <contract>, same_as: [<loan>]}]``).

A pair must name the same recipient country and commitment years at most one apart, and their
sectors must be one or related (one under the other in cca's tree); the score then weighs:

* the contractor's name in the loan's parties (half the score): the share of the contractor's telling
  words (legal forms such as Co., Ltd. or Group left out) found in the name of one party of the loan;
* the sector: the same sector, or one under the other;
* the year: the same, or one apart;
* the amounts, when both give one in nominal US dollars: within a factor of two of each other.

Kept apart from the curated-to-dataset suggestions on purpose: it reads only dataset rows, and plugs
into ``cca link suggest --datasets`` (see :func:`cca.cli.pairing.dataset_pairs`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from cca.core.query import Query
from cca.core.text import fold

#: Words of a company's name that say nothing about which company it is.
_LEGAL = frozenset(
    "a and co company corp corporation inc incorporated limited ltd plc group holding holdings the of sa llc "
    "jsc pt bhd sdn public state owned enterprise".split()
)
_WORD = re.compile(r"[^\W_]+")


class Side(NamedTuple):
    """One side of a pair: the datasets (source ids) whose projects of one type it reads, and its title."""

    sources: tuple[str, ...]
    type: str
    title: str


CONTRACTS = Side(("aei-cgit",), "construction-contract", "Contract (CGIT)")
LOANS = Side(("aiddata-gcdf-3", "aiddata-gcdf-2"), "loan", "Loan (GCDF)")


class Pair(NamedTuple):
    """A construction contract and a loan that may be one project, scored 0-100, with what agrees."""

    contract: str
    loan: str
    score: int
    contract_name: str
    loan_name: str
    country: str
    #: The contract's year and the loan's commitment year.
    years: tuple[int, int]
    #: The contract's sector and the loan's.
    sectors: tuple[str, str]
    #: The contractor and the loan's party whose name it matched ('' when none did).
    entity: tuple[str, str]


def _words(name: str) -> frozenset[str]:
    return frozenset(w for w in _WORD.findall(fold(name).replace("-", " ")) if w not in _LEGAL and not w.isdigit())


def entity_share(contractor: str, party: str) -> float:
    """The share of the contractor's telling words found in a party's name (0 to 1)."""
    mine, theirs = _words(contractor), _words(party)
    return len(mine & theirs) / len(mine) if mine else 0.0


def _year(row: Mapping[str, Any]) -> int | None:
    year = row.get("commitment_year")
    if isinstance(year, int):
        return year
    transaction = (row.get("dates") or {}).get("transaction") if isinstance(row.get("dates"), dict) else None
    if isinstance(transaction, str) and transaction[:4].isdigit():
        return int(transaction[:4])
    return None


def _recipient(row: Mapping[str, Any]) -> str | None:
    value = row.get("recipient")
    return str(value) if value else None


def related(one: str, other: str, parents: Mapping[str, str | None]) -> int:
    """2 for one sector, 1 when one is under the other in the tree, 0 otherwise."""
    if one == other:
        return 2

    def chain(sector: str) -> list[str]:
        out = [sector]
        while (parent := parents.get(out[-1])) is not None and parent not in out:
            out.append(parent)
        return out

    return 1 if one in chain(other) or other in chain(one) else 0


def score(contract: Mapping[str, Any], loan: Mapping[str, Any], parents: Mapping[str, str | None]) -> Pair | None:
    """The pair's score and what agrees, or None when country, years or sectors rule it out."""
    country = _recipient(contract)
    if country is None or country != _recipient(loan):
        return None
    years = _year(contract), _year(loan)
    if years[0] is None or years[1] is None or abs(years[0] - years[1]) > 1:
        return None
    sectors = str((contract.get("sectors") or [""])[0]), str((loan.get("sectors") or [""])[0])
    kinship = related(sectors[0], sectors[1], parents)
    if not kinship:
        return None
    contractor = next(
        (str(p["name"]) for p in contract.get("parties") or () if p.get("role") == "contractor"),
        str(contract.get("name") or ""),
    )
    best, matched = 0.0, ""
    for party in loan.get("parties") or ():
        share = entity_share(contractor, str(party.get("name") or ""))
        if share > best:
            best, matched = share, str(party["name"])
    value = round(50 * best) + (20 if kinship == 2 else 10) + (20 if years[0] == years[1] else 10)
    mine, theirs = contract.get("usd_nominal"), loan.get("usd_nominal")
    if isinstance(mine, (int, float)) and isinstance(theirs, (int, float)) and mine > 0 and theirs > 0:
        value += 10 if 0.5 <= mine / theirs <= 2 else 0
    return Pair(
        str(contract["id"]), str(loan["id"]), value, str(contract.get("name") or ""), str(loan.get("name") or ""),
        country, (int(years[0]), int(years[1])), sectors, (contractor, matched),
    )  # fmt: skip


def suggest(kb: Any, min_score: int = 60, linked: Iterable[tuple[str, str]] = ()) -> list[Pair]:
    """Contract-loan pairs scoring at least ``min_score``, best first (pairs already linked left out).

    ``kb`` is a :class:`cca.core.kb.KnowledgeBase`: the contracts and loans are read from their stored
    output, the loans indexed by country and year, so each contract is compared with a few loans only.
    """
    sources = {source.id for source in kb.sources()}
    contracts = _rows(kb, CONTRACTS, sources)
    loans = _rows(kb, LOANS, sources)
    if not contracts or not loans:
        return []
    parents = {sector.id: sector.get("parent") for sector in kb.sectors()}
    index: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for loan in loans:
        country, year = _recipient(loan), _year(loan)
        if country is not None and year is not None:
            index.setdefault((country, year), []).append(loan)
    done = {tuple(pair) for pair in linked}
    out: list[Pair] = []
    for contract in contracts:
        country, year = _recipient(contract), _year(contract)
        if country is None or year is None:
            continue
        already = set(contract.get("same_as") or ())
        for near in (year - 1, year, year + 1):
            for loan in index.get((country, near), ()):
                if loan["id"] in already or (contract["id"], loan["id"]) in done:
                    continue
                found = score(contract, loan, parents)
                if found is not None and found.score >= min_score:
                    out.append(found)
    out.sort(key=lambda pair: (-pair.score, pair.contract, pair.loan))
    return out


def _rows(kb: Any, side: Side, sources: set[str]) -> list[dict[str, Any]]:
    wanted = [source for source in side.sources if source in sources]
    if not wanted:
        return []
    rows = (json.loads(text) for text in kb.views(Query.of("project", source=wanted)))
    return [row for row in rows if row.get("type") == side.type]
