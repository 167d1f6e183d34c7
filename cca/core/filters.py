"""The filters a question can carry, each declared once.

A :class:`Filter` says everything about one filter: the options that give it on the command
line (``--country``/``-c``), its help, how a value is read (text, a year, an amount, a
flag), which kinds it applies to, where completion finds candidates, how its values
resolve against the knowledge (names, codes and aliases to ids) and the SQL clause they
add, and how the answer describes it in a note ("no projects in Laos since 2015"). The
command line's options and help, the fast path's grammar, completion, the Python API's
keyword arguments and the README's list of filters are all made from :data:`FILTERS`;
adding a filter is one :meth:`Filters.register` call (``tests/test_registry.py`` adds one).

In the manner of datasette's filters, resolving returns SQL and a human description
together (:class:`Resolved`); in the manner of httpie's parser spec, the declaration is the
single source of the option, its help and its documentation.
"""

import math
import re
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from cca.core.errors import QueryError
from cca.core.model import STATUSES
from cca.core.query import FilterValue
from cca.core.registry import Kind
from cca.core.store import EVIDENCE_FIELDS, Clause

if TYPE_CHECKING:
    from cca.core.model import Record


class FilterError(QueryError):
    """A filter's value cannot be used; the message names the filter (the command line names its option).

    ``reason`` may name other filters as ``{0}``, ``{1}``...: ``others`` says which.
    """

    def __init__(self, filter_name: str, value: Any, reason: str, others: Sequence[str] = ()) -> None:
        self.filter = filter_name
        self.value = value
        self.reason = reason
        self.others = tuple(others)
        super().__init__(self.render(lambda name: name))

    def render(self, name: Callable[[str], str]) -> str:
        """The message with each filter named by ``name`` (the command line gives its option)."""
        return f"{name(self.filter)} {self.value!r}: {self.reason.format(*(name(o) for o in self.others))}"


class Places(NamedTuple):
    """What a country or region filter names: country ids, region ids, real countries without records."""

    countries: frozenset[str]
    regions: frozenset[str]
    missing: tuple[str, ...]


#: A filter's values: alternatives.
Values = tuple[FilterValue, ...]


class Resolver(Protocol):
    """What resolving a filter may ask of the knowledge (:class:`cca.core.kb.KnowledgeBase` answers)."""

    def locate(self, countries: Sequence[str] = (), regions: Sequence[str] = ()) -> Places: ...

    def regions_of(self, country_ids: Sequence[str]) -> set[str]: ...

    def resolve_sector(self, value: str) -> "Record": ...

    def source_id(self, value: str) -> str: ...

    def person_id(self, value: str) -> str: ...

    def aspect_id(self, value: FilterValue) -> str: ...

    def asked(self, name: str) -> Values: ...

    def name_of(self, record_id: str) -> str: ...


class Resolved(NamedTuple):
    """A filter's values resolved: the clause it adds, or ``never`` (nothing can match), and its words."""

    clause: Clause | None
    description: str
    missing: tuple[str, ...] = ()
    never: bool = False


class Filter(NamedTuple):
    """One filter: its options, help, value type, the kinds it applies to, completion, resolution."""

    name: str
    flags: tuple[str, ...]
    metavar: str
    help: str
    #: How a value is read: text, year, amount, flag (an option without a value) or number.
    value: str
    applies: Callable[[Kind], bool]
    resolve: Callable[[Resolver, Kind, Values], Resolved]
    #: Where completion finds candidates (see cca.cli.complete); None: no value completion.
    complete: str | None = None
    #: Filters of one group are alternatives (OR), not conditions that must all hold.
    group: str | None = None
    #: An example of a value, for the README's list.
    example: str = ""

    @property
    def option(self) -> str:
        return self.flags[0]

    def coerce(self, value: Any) -> FilterValue:
        """A value as the filter reads it: text from a command line is parsed; typed values are checked."""
        return _READERS[self.value](self.name, value)


class Filters:
    """The filters cca knows, in help order."""

    def __init__(self) -> None:
        self._filters: dict[str, Filter] = {}

    def register(self, item: Filter) -> Filter:
        if item.name in self._filters:
            raise ValueError(f"filter {item.name!r} is registered already")
        taken = {flag for other in self._filters.values() for flag in other.flags}
        if taken & set(item.flags):
            raise ValueError(f"filter {item.name!r}: option {sorted(taken & set(item.flags))[0]} is taken")
        self._filters[item.name] = item
        return item

    def unregister(self, name: str) -> None:
        del self._filters[name]

    def __getitem__(self, name: str) -> Filter:
        return self._filters[name]

    def __contains__(self, name: object) -> bool:
        return name in self._filters

    def __iter__(self) -> Iterator[Filter]:
        return iter(list(self._filters.values()))

    def for_kind(self, kind: Kind) -> list[Filter]:
        return [item for item in self if item.applies(kind)]


FILTERS = Filters()


# -- reading values ----------------------------------------------------------------------------------


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise FilterError(name, value, "give text")
    text = value.strip()
    if not text:
        raise FilterError(name, value, "give a value, not an empty one")
    return text


#: Years a commitment can have (and nothing that would overflow a query).
YEARS = (1, 9999)


def _year(name: str, value: Any) -> int:
    if isinstance(value, str):
        text = value.strip()
        if not re.fullmatch(r"[0-9]{1,4}", text):
            raise FilterError(name, value, f"give a year from {YEARS[0]} to {YEARS[1]}")
        value = int(text)
    if isinstance(value, bool) or not isinstance(value, int) or not YEARS[0] <= value <= YEARS[1]:
        raise FilterError(name, value, f"give a year from {YEARS[0]} to {YEARS[1]}")
    return value


_SCALE = {"": 1, "k": 10**3, "m": 10**6, "mn": 10**6, "bn": 10**9, "b": 10**9, "tn": 10**12}
#: An amount as text (compiled by re on first use, not at start-up).
_AMOUNT = r"\s*(?:US\$|\$)?\s*([0-9][0-9,_]*(?:\.[0-9]*)?(?:[eE][-+]?[0-9]{1,3})?)\s*([a-zA-Z]*)\s*"
#: Largest amount a filter takes (a thousand trillion dollars: more than all the money there is).
MAX_AMOUNT = 10**18


def _amount(name: str, value: Any) -> float:
    """'100e6', '250m', '1.5bn', '2,000,000' (US dollars) as a number; a number as itself."""
    if isinstance(value, str):
        match = re.fullmatch(_AMOUNT, value)
        scale = _SCALE.get(match.group(2).lower()) if match else None
        if match is None or scale is None:
            raise FilterError(name, value, "write an amount such as 100e6, 250m or 1.5bn")
        digits = match.group(1).replace("_", "")
        if "," in digits and not re.fullmatch(r"[0-9]{1,3}(,[0-9]{3})*(\.[0-9]*)?(?:[eE].*)?", digits):
            raise FilterError(name, value, "commas only between thousands (2,000,000); write decimals with a point")
        from decimal import Decimal, InvalidOperation  # only when an amount is given as text

        try:
            number = Decimal(digits.replace(",", "")) * scale
        except InvalidOperation:
            raise FilterError(name, value, "write an amount such as 100e6, 250m or 1.5bn") from None
        value = float(number) if number <= MAX_AMOUNT else math.inf
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise FilterError(name, value, f"give an amount from 0 to {MAX_AMOUNT:.0e} US dollars")
    if not 0 <= value <= MAX_AMOUNT:
        raise FilterError(name, value, f"give an amount from 0 to {MAX_AMOUNT:.0e} US dollars")
    return float(value)


def _flag(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise FilterError(name, value, "is a flag: true or false")


def _number(name: str, value: Any) -> int:
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 6:
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 10**6:
        raise FilterError(name, value, "give a whole number")
    return value


_READERS: dict[str, Callable[[str, Any], FilterValue]] = {
    "text": _text,
    "year": _year,
    "amount": _amount,
    "flag": _flag,
    "number": _number,
}


# -- what the filters add ------------------------------------------------------------------------------


def _marks(values: Sequence[Any]) -> str:
    return ",".join("?" * len(values))


def _words(values: Sequence[Any]) -> str:
    return " or ".join(str(v) for v in values)


def _has_fact(name: str) -> Callable[[Kind], bool]:
    return lambda kind: name in kind.facts


def _place(resolver: Resolver, kind: Kind, countries: Values, regions: Values) -> Resolved:
    places = resolver.locate([str(v) for v in countries], [str(v) for v in regions])
    ids = sorted(places.countries)
    sets: list[tuple[str, list[Any]]] = []  # each a set of seqs from an index
    if ids:
        own = f"SELECT seq FROM record_country WHERE kind = ? AND country IN ({_marks(ids)})"
        sets.append((own, [kind.name, *ids]))
    # records made with a region as a whole concern every member: an ASEAN agreement is Malaysia's too
    wanted = sorted(set(places.regions) | resolver.regions_of(ids))
    if wanted and any(ref.target == "region" for ref in kind.refs):
        sets.append((f"SELECT src FROM links WHERE field = 'regions[]' AND dst IN ({_marks(wanted)})", wanted))
    if not sets:
        return Resolved(None, "", places.missing, never=True)
    names = [resolver.name_of(i) for i in ids] if len(ids) <= 3 else [f"{len(ids)} countries"]
    params = tuple(value for _, values in sets for value in values)
    clause = Clause(
        "(" + " OR ".join(f"r.seq IN ({sql})" for sql, _ in sets) + ")",
        params,
        (" UNION ".join(sql for sql, _ in sets), params),  # the records it can hold for: they may drive the query
    )
    return Resolved(clause, "in " + _words(names), places.missing)


def _country(resolver: Resolver, kind: Kind, values: Values) -> Resolved:
    return _place(resolver, kind, values, ())


def _region(resolver: Resolver, kind: Kind, values: Values) -> Resolved:
    return _place(resolver, kind, (), values)


def _regional(resolver: Resolver, kind: Kind, values: Values) -> Resolved:
    if not any(values):
        return Resolved(None, "")
    return Resolved(
        Clause("r.seq NOT IN (SELECT src FROM links WHERE field = 'regions[]')"), "leaving out region-wide records"
    )


def _sector(resolver: Resolver, kind: Kind, values: Values) -> Resolved:
    ids = sorted({resolver.resolve_sector(str(v)).id for v in values})
    source = [str(v) for v in resolver.asked("sector_source")]
    only = {"dataset": " AND rs.derived = 0", "derived": " AND rs.derived = 1"}.get(source[0] if source else "", "")
    inner = (
        "SELECT rs.seq FROM record_sector rs JOIN sector_tree t ON t.sector = rs.sector "
        f"WHERE rs.kind = ? AND t.ancestor IN ({_marks(ids)}){only}"
    )
    clause = Clause(f"r.seq IN ({inner})", (kind.name, *ids), (inner, (kind.name, *ids)))
    return Resolved(clause, "in the sector " + _words(ids))


_SECTOR_SOURCES = ("any", "dataset", "derived")


def _sector_source(resolver: Resolver, kind: Kind, values: Values) -> Resolved:
    """How --sector reads a dataset row's sectors (the sector filter asks for this one's values)."""
    wanted = {str(v).strip().lower() for v in values}
    if len(wanted) != 1 or not wanted <= set(_SECTOR_SOURCES):
        raise FilterError("sector_source", values[0], f"choose one of {', '.join(_SECTOR_SOURCES)}")
    if not resolver.asked("sector"):
        raise FilterError("sector_source", values[0], "says how {0} reads sectors: give {0} too", ("sector",))
    (source,) = wanted
    return Resolved(None, {"any": "", "dataset": "as the dataset codes them", "derived": "as cca's rules read"}[source])


def status_of(value: str) -> str:
    wanted = value.strip().lower().replace(" ", "-").replace("_", "-")
    if wanted in STATUSES:
        return wanted
    raise QueryError(f"no status {value!r}: choose from {', '.join(STATUSES)}")


def _status(resolver: Resolver, kind: Kind, values: Values) -> Resolved:
    wanted = sorted({status_of(str(v)) for v in values})
    return Resolved(Clause(f"f.status IN ({_marks(wanted)})", tuple(wanted)), "with status " + _words(wanted))


def _since(resolver: Resolver, kind: Kind, values: Values) -> Resolved:
    year = min(int(v) for v in values)
    return Resolved(Clause("f.commitment_year >= ?", (year,)), f"committed since {year}")


def _until(resolver: Resolver, kind: Kind, values: Values) -> Resolved:
    year = max(int(v) for v in values)
    return Resolved(Clause("f.commitment_year <= ?", (year,)), f"committed until {year}")


def _party(roles: Sequence[str], words: str) -> Callable[[Resolver, Kind, Values], Resolved]:
    from cca.core.text import fold

    def resolve(resolver: Resolver, kind: Kind, values: Values) -> Resolved:
        wanted = [fold(str(v)) for v in values]
        if not all(wanted):
            raise FilterError(words, values[wanted.index("")], "give part of a name")
        likes = " OR ".join("instr(folded, ?) > 0" for _ in wanted)
        sql = f"r.seq IN (SELECT seq FROM parties WHERE role IN ({_marks(roles)}) AND ({likes}))"
        return Resolved(Clause(sql, (*roles, *wanted)), f"{words} " + _words([repr(str(v)) for v in values]))

    return resolve


def _min_usd(resolver: Resolver, kind: Kind, values: Values) -> Resolved:
    least = max(float(v) for v in values)
    return Resolved(Clause("f.usd_2021 >= ?", (least,)), f"worth at least {least:,.0f} constant 2021 USD")


def _max_usd(resolver: Resolver, kind: Kind, values: Values) -> Resolved:
    most = min(float(v) for v in values)
    return Resolved(Clause("f.usd_2021 <= ?", (most,)), f"worth at most {most:,.0f} constant 2021 USD")


def _flow_class(resolver: Resolver, kind: Kind, values: Values) -> Resolved:
    wanted = sorted({str(v).strip() for v in values})
    sql = "(" + " OR ".join("f.flow_class = ? COLLATE NOCASE" for _ in wanted) + ")"
    return Resolved(Clause(sql, tuple(wanted)), "of flow class " + _words(wanted))


def _source(resolver: Resolver, kind: Kind, values: Values) -> Resolved:
    ids = sorted({resolver.source_id(str(v)) for v in values})
    sql = f"r.seq IN (SELECT src FROM links WHERE dst IN ({_marks(ids)}) AND field IN ({_marks(EVIDENCE_FIELDS)}))"
    return Resolved(Clause(sql, (*ids, *EVIDENCE_FIELDS)), "backed by " + _words(ids))


def _person(resolver: Resolver, kind: Kind, values: Values) -> Resolved:
    ids = sorted({resolver.person_id(str(v)) for v in values})
    sql = f"r.seq IN (SELECT src FROM links WHERE field = 'person' AND dst IN ({_marks(ids)}))"
    return Resolved(Clause(sql, tuple(ids)), "said by " + _words([resolver.name_of(i) for i in ids]))


def _aspect(resolver: Resolver, kind: Kind, values: Values) -> Resolved:
    ids = sorted({resolver.aspect_id(v) for v in values})
    return Resolved(Clause(f"r.parent IN ({_marks(ids)})", tuple(ids)), "of aspect " + _words([str(v) for v in values]))


def _unit(level: str) -> Callable[[Resolver, Kind, Values], Resolved]:
    """An administrative unit (GCDF 3.0's ADM1/ADM2 files) a record touches, by its name as the file writes it."""
    from cca.core.text import fold

    def resolve(resolver: Resolver, kind: Kind, values: Values) -> Resolved:
        wanted = sorted({fold(str(v)) for v in values})
        if not all(wanted):
            raise FilterError(level, values[0], "give a unit's name")
        sql = f"r.seq IN (SELECT seq FROM units WHERE level = ? AND folded IN ({_marks(wanted)}))"
        described = f"in the {level.upper()} unit " + _words([repr(str(v)) for v in values])
        return Resolved(Clause(sql, (level, *wanted)), described)

    return resolve


def _search(resolver: Resolver, kind: Kind, values: Values) -> Resolved:
    from cca.core.text import match_query, query_words

    terms = [str(v) for v in values if query_words(str(v))]
    described = "matching " + _words([repr(str(v)) for v in values])
    if not terms:
        return Resolved(None, described, never=True)
    match = " OR ".join(f"({match_query(query_words(t), prefix=True)})" for t in terms)
    return Resolved(Clause("r.seq IN (SELECT rowid FROM search WHERE search MATCH ?)", (match,)), described)


def _by_country(kind: Kind) -> bool:
    return kind.by_country


def _has_regions(kind: Kind) -> bool:
    return any(ref.target == "region" for ref in kind.refs)


def _not_reference(kind: Kind) -> bool:
    return not kind.reference_data


_FINANCE = _has_fact("usd_2021")

for _filter in (
    Filter(
        "country", ("--country", "-c"), "COUNTRY",
        "Country name, official name, ISO code or alias, or a region such as ASEAN (repeat to OR); "
        "records made with a region as a whole count for each member.",
        "text", _by_country, _country, complete="country", group="place", example="Laos, LA, LAO, 'Lao PDR'",
    ),
    Filter(
        "region", ("--region", "-r"), "REGION",
        "A region: asean or mekong; its members' records and those about the region (repeat to OR).",
        "text", _by_country, _region, complete="region", group="place", example="asean",
    ),
    Filter(
        "no_regional", ("--no-regional",), "",
        "Leave out records made with a region as a whole (an ASEAN-wide agreement).",
        "flag", _has_regions, _regional,
    ),
    Filter(
        "sector", ("--sector", "-s"), "SECTOR", "Sector id or label, with everything below it (repeat to OR).",
        "text", lambda kind: bool(kind.sectors), _sector, complete="sector", example="railway",
    ),
    Filter(
        "sector_source", ("--sector-source",), "SOURCE",
        "How --sector reads a dataset row's sectors: any (the dataset's coding and cca's rules on titles), "
        "dataset (its own coding only) or derived (cca's rules only).",
        "text", lambda kind: "usd_2021" in kind.facts, _sector_source, complete="sector_source", example="dataset",
    ),
    Filter(
        "status", ("--status",), "STATUS",
        "Current status: " + ", ".join(STATUSES) + " (repeat to OR).",
        "text", _has_fact("status"), _status, complete="status", example="under-construction",
    ),
    Filter(
        "since", ("--since",), "YEAR", "Committed in this year or later (financing records).",
        "year", _has_fact("commitment_year"), _since, example="2015",
    ),
    Filter(
        "until", ("--until",), "YEAR", "Committed in this year or earlier (financing records).",
        "year", _has_fact("commitment_year"), _until, example="2020",
    ),
    Filter(
        "financier", ("--financier",), "NAME",
        "Part of a funding agency's name, any case, e.g. 'China Eximbank' (repeat to OR).",
        "text", _FINANCE, _party(("funder", "lender", "investor"), "funded by"), complete="financier",
        example="'China Development Bank'",
    ),
    Filter(
        "cofinancier", ("--cofinancier",), "NAME",
        "Part of a co-financing agency's name (repeat to OR).",
        "text", _FINANCE, _party(("co-financier",), "co-financed by"), complete="cofinancier",
        example="Citibank",
    ),
    Filter(
        "min_usd", ("--min-usd",), "AMOUNT", "At least this much in constant 2021 US dollars: 100e6, 250m, 1.5bn.",
        "amount", _FINANCE, _min_usd, example="100e6",
    ),
    Filter(
        "max_usd", ("--max-usd",), "AMOUNT", "At most this much in constant 2021 US dollars.",
        "amount", _FINANCE, _max_usd, example="1bn",
    ),
    Filter(
        "flow_class", ("--flow-class",), "CLASS", "The dataset's flow class: ODA-like, OOF-like, ... (repeat to OR).",
        "text", _FINANCE, _flow_class, complete="flow_class", example="OOF-like",
    ),
    Filter(
        "adm1", ("--adm1",), "NAME",
        "A first-level administrative unit (province, state) the record touches, named as in GCDF 3.0's ADM1 "
        "file, any case or accents (repeat to OR; import with --locations).",
        "text", _FINANCE, _unit("adm1"), complete="adm1", example="'Vientiane Capital'",
    ),
    Filter(
        "adm2", ("--adm2",), "NAME",
        "A second-level administrative unit (district) the record touches, named as in the ADM2 file (repeat to OR).",
        "text", _FINANCE, _unit("adm2"), complete="adm2", example="Xaythany",
    ),
    Filter(
        "source", ("--source",), "SOURCE", "Only records a source backs, e.g. aiddata-gcdf-3 (repeat to OR).",
        "text", _not_reference, _source, complete="source", example="aiddata-gcdf-3",
    ),
    Filter(
        "person", ("--person",), "PERSON", "Only what this person said: a name or id (repeat to OR).",
        "text", lambda kind: kind.name == "statement", _person, complete="person", example="'Ning Jizhe'",
    ),
    Filter(
        "aspect", ("--aspect", "-a"), "NUMBER", "Only actions of this aspect (1-4).",
        "number", lambda kind: kind.nested_in is not None and kind.nested_in[0] == "aspect", _aspect, example="2",
    ),
    Filter(
        "search", ("--search", "-q"), "TEXT", "Words to look for, or their beginnings (repeat to OR).",
        "text", lambda kind: True, _search, example="railway",
    ),
):  # fmt: skip
    FILTERS.register(_filter)
