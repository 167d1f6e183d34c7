"""Links between sources: dataset rows that may be the same project as a curated record.

cca never links on its own. :func:`suggest` proposes, with a score and the reasons for it. An
analyst who agrees confirms the link (``cca link confirm``: a ``same_as`` link in a knowledge file
of theirs), and ``show`` then puts the linked rows' financing beside the curated record's progress;
one who disagrees rejects it (``cca link reject``: ``rejected_same_as``), and the pair is never
proposed again. :mod:`cca.core.linking` checks and records those decisions.

Which rows are compared
-----------------------
A curated project is compared with the dataset rows of its *partner country* only: where it is
(the countries of the places it names: its ``location``'s place records, or place records its
location or its names mention), else the countries it names; China is left aside, since every row
names China, its financier. A project whose places are all in China, such as the China-Malaysia
Qinzhou Industrial Park in Guangxi, is compared with nothing: the dataset's rows are China's
finance abroad. Among those rows, the *candidates* are the ones whose title holds one of the
project's telling words (see below) that is not a place name, or, for a name in an unspaced script
(中老铁路), every pair of characters of its longest run. They are found in an inverted index of the
rows' titles by country and word, built once, so the cost grows with the candidates found, not with
curated projects × rows. Years are not compared: the article's projects rarely say when their
finance was committed, and the loans of one project span years (the ECRL's, 2016 to 2019).

The score, 0 to 100: 100 × points / possible, never below 0
---------------------------------------------------------
* **name**, up to 50: the share of a curated name's telling words that the row's title, or the
  name of an agency receiving its money, holds; the best of the project's name, its aliases and the
  names of its organisations. Telling words are neither noise ("loan", "project", "Sdn Bhd"),
  numbers, single letters nor the names of countries (the partner country is required already);
  plurals count as their singular. A run of an unspaced script counts as one word, found when the
  title holds it. A name left with one telling word of several ('China-Laos Railway': railway)
  counts half: a common word alone says little; a name of one word (an acronym: ECRL) counts whole.
* **sector**, 25 when both records have sectors: +25 for the same sector or one within the other in
  cca's tree (``railway`` within ``transport``, ``steel`` within ``industry``); -50 when no pair is
  related: a donation of masks (health) is not an industrial park, however its title names the park.
* **place**, 25 when the curated project has places: +25 when the row's title or location narrative
  names one of them (or an alias of it); -50 when they name another place cca knows and none of
  these (a park in Kuantan is not the one in Qinzhou); 0 when they say nothing either way.

``possible`` is 50, plus 25 when the sectors can be compared, plus 25 when the project has places:
a project is not marked down for what the dataset cannot show. Rows scoring ``min_score`` (60 by
default) and up are suggested, each with its ``reasons``: the partner country, then one line per
part with its points (``name: 4 of 4 telling words of 'East Coast Rail Link' (+50)``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, NamedTuple

from cca.core.kb import KnowledgeBase
from cca.core.model import Record
from cca.core.query import Query
from cca.core.text import fold, unspaced

#: Words that say nothing about which project a name means: how rows are worded, company forms.
_NOISE = frozenset(
    "a an and at between by co company construction cooperation de del for from in loan ltd of on phase "
    "project projects provides the to with sdn bhd berhad pte pt tbk plc inc corp corporation limited llc "
    "jsc public one two three four five first second third".split()
)
_WORD = re.compile(r"[^\W_]+")
#: Points for each part of the score (see the module's documentation).
NAME, SECTOR, PLACE = 50, 25, 25
#: What an unrelated sector, or another place named instead of the project's, takes away.
UNRELATED, ELSEWHERE = -50, -50


class Suggestion(NamedTuple):
    curated: str
    candidate: str
    score: int
    matched: str
    candidate_name: str
    #: One line per part of the score: what matched (or did not) and its points.
    reasons: tuple[str, ...] = ()


class Match(NamedTuple):
    score: int
    matched: str
    reasons: tuple[str, ...]


class Name(NamedTuple):
    """One name of a curated project: its telling words and its runs of an unspaced script."""

    text: str
    words: frozenset[str]
    runs: tuple[str, ...]
    #: Its telling words outside place names: what finds candidates ('Kuantan' alone finds none).
    keys: frozenset[str]
    #: What a full match is out of: its telling words and runs, but 2 for a name left with one telling
    #: word once countries and noise are set aside ('China-Laos Railway': 'railway' alone says little).
    out_of: int

    @property
    def size(self) -> int:
        return len(self.words) + len(self.runs)


class Place(NamedTuple):
    label: str
    #: Folded spellings: the name and its aliases.
    spellings: tuple[str, ...]
    country: str | None


class Row(NamedTuple):
    """What a dataset row says about which project it is (:meth:`Scorer.row`)."""

    id: str
    name: str
    countries: tuple[str, ...]
    #: The words of its title and of the agencies receiving its money, and the same text folded.
    words: frozenset[str]
    said: str
    sectors: frozenset[str]
    #: Its title and location narrative, folded and padded with spaces (places are looked for in it).
    where: str


class Profile(NamedTuple):
    """What a curated project says about which project it is, read once."""

    id: str
    names: tuple[Name, ...]
    #: Telling words that are not place names: what finds candidates in the index.
    keys: frozenset[str]
    sectors: frozenset[str]
    places: tuple[Place, ...]
    #: Country ids (the partner countries) whose rows may be the project.
    partners: tuple[str, ...]


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 4 and word.endswith("s") and not word.endswith("ss") else word


def tokens(text: str) -> list[str]:
    """The words of ``text`` as names are compared: folded, plurals as singulars; unspaced runs whole."""
    return [token if unspaced(token) else _singular(token) for token in _WORD.findall(fold(text))]


def _pairs(run: str) -> set[str]:
    return {run[i : i + 2] for i in range(len(run) - 1)} or {run}


def index_keys(text: str) -> set[str]:
    """What a title is indexed under: its words, and every pair of characters of its unspaced runs."""
    keys: set[str] = set()
    for token in tokens(text):
        keys |= _pairs(token) if unspaced(token) else {token}
    return keys


class Scorer:
    """Scores a dataset row against a curated project; what it needs of the knowledge is read once."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        countries = kb.countries()
        self.china = frozenset(c.id for c in countries if c.get("iso2") == "CN")
        self.country_names = {c.id: c.name for c in countries}
        spellings = {"chinese", "sino"} | {fold(n) for c in countries for n in spoken_names(c) if fold(n)}
        self.countries_said = _phrases(spellings)
        parents = {s.id: s.get("parent") for s in kb.sectors()}
        self.ancestors = {sector: frozenset(_chain(sector, parents)) for sector in parents}
        self.places = {
            p.id: Place(p.name, _spellings(p.name, *p.aliases), p.get("country"))
            for p in kb.places()
            if p.get("country")  # a place without a country ("five continents") names no site
        }
        self.places_said = _phrases(s for place in self.places.values() for s in place.spellings)
        self.organisations = {o.id: o for o in kb.organisations()}

    # -- a curated project, read once ----------------------------------------------------------------

    def profile(self, record: Record) -> Profile:
        texts = [record.name, *(a for a in record.aliases if isinstance(a, str))]
        for org_id in _organisations(record):
            org = self.organisations.get(org_id)
            if org is not None:
                texts += [org.name, *(a for a in org.aliases if isinstance(a, str))]
        names = tuple(name for name in (self._name(text) for text in dict.fromkeys(texts)) if name.size)
        places = self._places(record, names)
        keys = frozenset(w for name in names for w in name.keys)
        sectors = frozenset(s for s in record.get("sectors") or () if isinstance(s, str))
        countries = [c for c in record.get("countries") or () if isinstance(c, str)]
        sites = {place.country for place in places if place.country}
        partners = tuple(c for c in dict.fromkeys(sorted(sites) if sites else countries) if c not in self.china)
        return Profile(record.id, names, keys, sectors, places, partners)

    def _name(self, text: str) -> Name:
        folded = fold(text)
        rest = self.countries_said.sub(" ", folded)
        words, runs = _telling(rest)
        keys, _ = _telling(self.places_said.sub(" ", rest))
        size = len(words) + len(runs)
        common = size == 1 and not runs and len(tokens(folded)) > 1  # one word left of several
        return Name(text, words, runs, keys, 2 if common else size)

    def _places(self, record: Record, names: Sequence[Name]) -> tuple[Place, ...]:
        location = record.get("location") if isinstance(record.get("location"), dict) else {}
        found: dict[str, Place] = {}
        for place_id in location.get("place_ids") or ():
            if place_id in self.places:
                found[place_id] = self.places[place_id]
        written = [fold(p) for p in location.get("places") or () if isinstance(p, str)]
        said = " " + " ".join([*written, *(fold(n.text) for n in names)]) + " "
        for place_id, place in self.places.items():
            if any(f" {spelling} " in said for spelling in place.spellings):
                found.setdefault(place_id, place)
        labels = {fold(p.label) for p in found.values()} | {s for p in found.values() for s in p.spellings}
        for text in written:  # a place written as a name only, with no record: matched by its words
            if text and text not in labels:
                found[f"written:{text}"] = Place(text, (text,), None)
        return tuple(found.values())

    # -- a row against a project ---------------------------------------------------------------------

    def row(self, record: Record) -> Row:
        """What a dataset row says about which project it is, read once however many projects it is compared with."""
        receivers = [
            str(p.get("name"))
            for p in record.get("parties") or ()
            if isinstance(p, dict) and p.get("role") == "receiver"
        ]
        said = [record.name, *receivers]
        location = record.get("location") if isinstance(record.get("location"), dict) else {}
        return Row(
            record.id,
            record.name,
            tuple(c for c in record.get("countries") or () if isinstance(c, str)),
            frozenset(w for text in said for w in tokens(text)),
            " ".join(fold(text) for text in said),
            frozenset(s for s in record.get("sectors") or () if isinstance(s, str)),
            f" {fold(record.name)} {fold(str(location.get('narrative') or ''))} ",
        )

    def score(self, profile: Profile, row: Row) -> Match:
        """The score of ``row`` as the project ``profile`` (see the module's documentation)."""
        words, folded = row.words, row.said
        country = next((c for c in row.countries if c in profile.partners), None)
        reasons = [f"country: {self.country_names.get(country or '', country)} (required)"]

        best, share, matched, hits = None, -1.0, "", 0
        for name in profile.names:
            found = len(name.words & words) + sum(1 for run in name.runs if run in folded)
            # the best share; of equal shares, the name with more words (more that agrees)
            if found / name.out_of > share or (found / name.out_of == share and best and name.size > best.size):
                best, share, matched, hits = name, found / name.out_of, name.text, found
        points, possible = NAME * share, NAME
        if best is not None:
            half = ", one common word: half" if best.out_of > best.size else ""
            reasons.append(f"name: {hits} of {best.size} telling words of {matched!r}{half} ({_signed(NAME * share)})")

        theirs = row.sectors
        if profile.sectors and theirs:
            possible += SECTOR
            relation = self._related(profile.sectors, theirs)
            if relation:
                points += SECTOR
                reasons.append(f"sector: {relation} ({_signed(SECTOR)})")
            else:
                points += UNRELATED
                mine = ", ".join(sorted(profile.sectors))
                reasons.append(f"sector: {', '.join(sorted(theirs))}, unrelated to {mine} ({_signed(UNRELATED)})")

        if profile.places:
            possible += PLACE
            where = row.where
            ours = [p.label for p in profile.places if any(f" {s} " in where for s in p.spellings)]
            mine = ", ".join(p.label for p in profile.places)
            if ours:
                points += PLACE
                reasons.append(f"place: {', '.join(ours)} named ({_signed(PLACE)})")
            else:
                other = [
                    p.label
                    for p in self.places.values()
                    if p not in profile.places and any(f" {s} " in where for s in p.spellings)
                ]
                if other:
                    points += ELSEWHERE
                    reasons.append(f"place: names {', '.join(other)}, not {mine} ({_signed(ELSEWHERE)})")
                else:
                    reasons.append(f"place: {mine} not named (+0)")
        value = max(0, round(100 * points / possible))
        return Match(value, matched, tuple(reasons))

    def _related(self, mine: frozenset[str], theirs: frozenset[str]) -> str:
        """How two sets of sectors meet in the tree ('transport holds railway'), or '' if they do not."""
        for a in sorted(mine):
            for b in sorted(theirs):
                if a == b:
                    return f"{a}, the same"
                if b in self.ancestors.get(a, ()):
                    return f"{b} holds {a}"
                if a in self.ancestors.get(b, ()):
                    return f"{a} holds {b}"
        return ""


def _telling(text: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """The telling words of folded text (no noise, numbers or single letters) and its unspaced runs."""
    words, runs = set(), []
    for token in tokens(text):
        if unspaced(token):
            if len(token) >= 2:
                runs.append(token)
        elif token not in _NOISE and len(token) > 1 and not token.isdigit():
            words.add(token)
    return frozenset(words), tuple(dict.fromkeys(runs))


def _phrases(spellings: Iterable[str]) -> re.Pattern[str]:
    """Whole folded names, longest first: 'east' is a word of East Timor, not a country in East Coast Rail Link."""
    alternatives = sorted({s for s in spellings if s}, key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(re.escape(s) for s in alternatives) + r")\b" if alternatives else r"(?!)")


def spoken_names(country: Record) -> list[str]:
    """A country's name, official name and aliases: words that say which country, not which project."""
    names = [country.name, country.get("official_name")]
    return [n for n in (*names, *country.aliases) if isinstance(n, str)]


def _spellings(*names: Any) -> tuple[str, ...]:
    return tuple(dict.fromkeys(fold(n) for n in names if isinstance(n, str) and fold(n)))


def _chain(sector: str, parents: dict[str, Any]) -> Iterator[str]:
    seen: set[str] = set()
    node: Any = sector
    while isinstance(node, str) and node not in seen:  # the loader refuses cycles; the guard costs nothing
        seen.add(node)
        yield node
        node = parents.get(node)


def _organisations(record: Record) -> list[str]:
    ids = [o for o in record.get("organisations") or () if isinstance(o, str)]
    ids += [p["organisation"] for p in record.get("parties") or () if isinstance(p, dict) and p.get("organisation")]
    return list(dict.fromkeys(ids))


def _signed(points: float) -> str:
    value = round(points)
    return f"+{value}" if value >= 0 else f"\u2212{-value}"


class CandidateIndex:
    """Dataset rows by partner country and by the keys of their titles (:func:`index_keys`), built once."""

    def __init__(self, kb: KnowledgeBase, countries: Iterable[str], sources: Sequence[str]) -> None:
        self.postings: dict[tuple[str, str], list[str]] = {}
        for country in sorted(set(countries)):
            for row_id, title in kb.names(Query.of("project", country=country, source=list(sources))):
                for key in index_keys(title):
                    self.postings.setdefault((country, key), []).append(row_id)

    def find(self, profile: Profile) -> list[str]:
        """The rows of the project's partner countries whose titles hold a key of it, each once."""
        found: dict[str, None] = {}
        for country in profile.partners:
            for key in sorted(profile.keys):
                found.update(dict.fromkeys(self.postings.get((country, key), ())))
            for name in profile.names:
                if name.runs:
                    longest = max(name.runs, key=len)
                    lists = [set(self.postings.get((country, pair), ())) for pair in sorted(_pairs(longest))]
                    found.update(dict.fromkeys(sorted(set.intersection(*lists)) if lists else ()))
        return list(found)


def dataset_sources(kb: KnowledgeBase) -> list[str]:
    return [s.id for s in kb.sources() if s.get("dataset") is not None]


def curated_projects(kb: KnowledgeBase) -> Iterator[Record]:
    """Projects that are not dataset rows (their evidence cites a text or a report)."""
    others = [s.id for s in kb.sources() if s.get("dataset") is None]
    if not others:
        return
    for record in kb.select(Query.of("project", source=others)):
        if record.get("dataset") is None:
            yield record


def decided(kb: KnowledgeBase) -> set[tuple[str, str]]:
    """Pairs already confirmed (same_as) or rejected (rejected_same_as), in both orders."""
    pairs = {(r.source, r.target) for field in ("same_as[]", "rejected_same_as[]") for r in kb.through(field)}
    return pairs | {(b, a) for a, b in pairs}


def suggest(kb: KnowledgeBase, min_score: int = 60) -> list[Suggestion]:
    """Dataset rows that may be the same project as a curated one, best first within each project."""
    sources = dataset_sources(kb)
    if not sources:
        return []
    scorer = Scorer(kb)
    profiles = [scorer.profile(record) for record in curated_projects(kb)]
    index = CandidateIndex(kb, (c for p in profiles for c in p.partners), sources)
    skip = decided(kb)
    rows: dict[str, Row | None] = {}
    out: list[Suggestion] = []
    for profile in profiles:
        for row_id in index.find(profile):
            if (profile.id, row_id) in skip:
                continue
            if row_id not in rows:
                record = kb.get(row_id)
                rows[row_id] = scorer.row(record) if record is not None and record.get("dataset") else None
            row = rows[row_id]
            if row is None:
                continue
            match = scorer.score(profile, row)
            if match.score >= min_score:
                out.append(Suggestion(profile.id, row_id, match.score, match.matched, row.name, match.reasons))
    out.sort(key=lambda s: (s.curated, -s.score, s.candidate))
    return out
