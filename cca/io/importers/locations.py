"""GCDF 3.0's administrative-unit files: which ADM1/ADM2 units each record touches, and its share in each.

The GCDF 3.0 download ships ``GCDF_3.0_ADM1_Locations.csv`` and ``GCDF_3.0_ADM2_Locations.csv``
(AidData publishes the same tables in its ``gcdf-geospatial-data`` repository, ``gb_v6/``): one
row per record x first- or second-level unit of geoBoundaries v6 that the record's geometry meets.
``id`` is the AidData Record ID; ``shapeGroup`` the unit's ISO 3166-1 alpha-3 code.

The two ratios are two ways of splitting the record's ``Amount (Constant USD 2021)``:

* ``intersection_ratio``: the share of the record's geometry inside the unit. AidData drops units
  under 1%, and a geometry can lie partly outside every unit, so a record's intersection ratios
  need not add up to 1 (one real record's seven Malaysian states add up to 0.70);
* ``even_split_ratio``: 1 / the number of the record's units at that level.

Both are rounded to two places in the file (three units: 0.33 each), and so are the two amount
columns AidData computed from the unrounded ratios (blank where the record has no amount). This
module reads the rows as exact decimals, and :func:`shares` gives each unit's share: AidData's own
amount where the file has one, else one computed here and marked so.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Sequence
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal, NamedTuple

from cca.core.errors import BadCells, DatasetError, Problem
from cca.io.importers.layout import differences, summary
from cca.io.importers.tables import open_table

Level = Literal["adm1", "adm2"]
Split = Literal["intersection", "even"]
RecordId = int | str

#: How each split is made, as a caption says it: the dataset's column whose method it follows.
SPLIT_METHODS: dict[str, str] = {
    "even": "AidData's even_split_ratio_commitment_value",
    "intersection": "AidData's intersection_ratio_commitment_value",
}

#: The columns of both files, in order (verified against gcdf-geospatial-data's gb_v6/gcdf_v3_adm1.csv).
COLUMNS: tuple[str, ...] = (
    "id", "shapeID", "shapeGroup", "shapeName", "intersection_ratio", "even_split_ratio",
    "intersection_ratio_commitment_value", "even_split_ratio_commitment_value", "centroid_longitude",
    "centroid_latitude",
)  # fmt: skip
#: AidData's file names: GCDF_3.0_ADM1_Locations.csv, gcdf_v3_adm2.csv, ...
_LEVEL_IN_NAME = re.compile(r"adm([12])(?![0-9])", re.IGNORECASE)
_WHOLE = re.compile(r"[0-9]+(?:\.0*)?\Z")
_ISO3 = re.compile(r"[A-Z]{3}\Z")
CENT = Decimal("0.01")
#: How far the file's two-place ratios may be from the exact ones.
RATIO_ROUNDING = Decimal("0.005")


class Unit(NamedTuple):
    """One row: a record's share of one administrative unit, as the file gives it."""

    record: RecordId
    level: Level
    shape_id: str
    iso3: str
    name: str
    intersection_ratio: Decimal
    even_ratio: Decimal
    #: AidData's amounts (constant 2021 USD) under each split; None where the file leaves them blank.
    intersection_amount: Decimal | None
    even_amount: Decimal | None
    longitude: float | None
    latitude: float | None
    #: The row's line in the file, for messages.
    row: int


class Share(NamedTuple):
    """A unit's share of a record's constant-2021 amount under one split."""

    unit: Unit
    split: Split
    #: The file's ratio for this split (rounded to two places).
    ratio: Decimal
    #: In constant 2021 US dollars, to the cent; None when neither the file nor the record has an amount.
    usd_2021: Decimal | None
    #: True when cca computed the amount; False when it is AidData's own split-amount column.
    computed: bool
    #: True when the unit lies in another country than the record's recipient.
    foreign: bool


def level_of(path: Path) -> Level | None:
    """The level a file's name says (``..._ADM2_...`` -> adm2), or None."""
    found = {match.group(1) for match in _LEVEL_IN_NAME.finditer(path.name)}
    if len(found) != 1:
        return None
    return "adm1" if found == {"1"} else "adm2"


def read_units(
    path: Path, label: str, level: Level | None = None, *, problems: list[Problem] | None = None
) -> Iterator[Unit]:
    """Stream the units of an ADM1 or ADM2 file (the CSV AidData ships).

    ``level`` is taken from the file name unless given; a name that says the other level is refused.
    Bad cells are positioned problems (``FILE:ROW:COLUMN: message``). Given a ``problems`` list, a
    row with bad cells is skipped and its problems added there; without one, the good rows are
    yielded and :class:`BadCells` is raised at the end (after the first 50 problems at most), so an
    all-or-nothing consumer must treat the exception as aborting what it wrote.
    """
    named = level_of(path)
    if level is None:
        if named is None:
            raise DatasetError(f"{label}: the file name does not say ADM1 or ADM2: give the level")
        level = named
    elif named is not None and named != level:
        raise DatasetError(f"{label}: the file name says {named.upper()}, not {level.upper()}")
    table = open_table(path, label)
    parts = differences(table.header, COLUMNS)
    if parts:
        raise DatasetError(
            f"{label}: not AidData's GCDF 3.0 {level.upper()} locations layout ({len(table.header)} columns, "
            f"expected {len(COLUMNS)}): {summary(parts)}"
        )
    found: list[Problem] = []
    for number, cells in table.rows:
        bad: list[Problem] = []
        unit = _unit(cells, level, label, number, bad)
        if bad:
            if problems is not None:
                problems.extend(bad)
                continue
            found.extend(bad)
            if len(found) >= 50:
                break
            continue
        if unit is not None:
            yield unit
    if found:
        raise BadCells(found[:50])


def _unit(cells: Sequence[str], level: Level, label: str, number: int, bad: list[Problem]) -> Unit | None:
    def cell(column: int) -> str:
        return cells[column].strip() if column < len(cells) else ""

    def problem(column: int, message: str) -> None:
        bad.append(Problem(label, number, column + 1, f"{COLUMNS[column]}: {message}"))

    def decimal(column: int, *, required: bool, ratio: bool = False) -> Decimal | None:
        text = cell(column)
        if not text:
            if required:
                problem(column, "empty")
            return None
        try:
            value = Decimal(text)
        except InvalidOperation:
            problem(column, f"{text!r} is not a number")
            return None
        if not value.is_finite():
            problem(column, f"{text!r} is not a finite number")
            return None
        if value < 0 or (ratio and value > 1):
            problem(column, f"{text} is not {'a ratio from 0 to 1' if ratio else 'an amount (it is negative)'}")
            return None
        return value

    def degrees(column: int, limit: float) -> float | None:
        value = decimal_signed(column)
        if value is not None and abs(value) > limit:
            problem(column, f"{cell(column)} is not a coordinate within ±{limit:g}")
            return None
        return value

    def decimal_signed(column: int) -> float | None:
        text = cell(column)
        if not text:
            return None
        try:
            value = float(text)
        except ValueError:
            problem(column, f"{text!r} is not a number")
            return None
        if not math.isfinite(value):
            problem(column, f"{text!r} is not a finite number")
            return None
        return value

    record = record_id(cell(0))
    if record is None:
        problem(0, "empty: every row needs its AidData Record ID")
    shape_id, iso3, name = cell(1), cell(2), cell(3)
    if not shape_id:
        problem(1, "empty: every row needs its geoBoundaries shape id")
    if not _ISO3.match(iso3):
        problem(2, f"{iso3!r} is not an ISO 3166-1 alpha-3 code")
    if not name:
        problem(3, "empty: every row needs the unit's name")
    intersection = decimal(4, required=True, ratio=True)
    even = decimal(5, required=True, ratio=True)
    intersection_amount = decimal(6, required=False)
    even_amount = decimal(7, required=False)
    longitude = degrees(8, 180)
    latitude = degrees(9, 90)
    if bad or record is None or intersection is None or even is None:
        return None
    return Unit(
        record, level, shape_id, iso3, name, intersection, even, intersection_amount, even_amount,
        longitude, latitude, number,
    )  # fmt: skip


def record_id(text: str) -> RecordId | None:
    """An AidData Record ID exactly: an int for a whole number (``34960``, or pandas' ``34960.0``), else the text."""
    text = text.strip()
    if not text:
        return None
    if _WHOLE.match(text):
        return int(text.split(".")[0])
    return text


def group(units: Iterable[Unit]) -> dict[RecordId, list[Unit]]:
    """The units by record, in file order (a record's rows need not be next to each other)."""
    out: dict[RecordId, list[Unit]] = {}
    for unit in units:
        out.setdefault(unit.record, []).append(unit)
    return out


def shares(
    amount: Decimal | int | float | None, units: Sequence[Unit], split: Split, recipient_iso3: str | None = None
) -> list[Share]:
    """Each unit's share of a record's constant-2021 ``amount`` under ``split``, in the order given.

    ``units`` are one record's units at one level. A unit's share is AidData's own split-amount
    cell when the file has one (``computed`` False); else, when the record has an amount, it is
    computed here: ``intersection`` as amount x ratio, ``even`` as amount / the number of units
    (the file's two-place ratio would lose 1% over three units), both to the cent, the even
    shares' cents given out by largest remainder so that computed even shares add up to the
    amount exactly. An intersection split need not add up to the amount.
    """
    if not units:
        return []
    records = {(unit.record, unit.level) for unit in units}
    if len(records) != 1:
        raise ValueError(f"shares are of one record at one level; got {sorted(map(str, records))}")
    total = None if amount is None else _decimal(amount)
    ratios = [unit.intersection_ratio if split == "intersection" else unit.even_ratio for unit in units]
    given = [unit.intersection_amount if split == "intersection" else unit.even_amount for unit in units]
    if total is None:
        computed: list[Decimal | None] = [None] * len(units)
    elif split == "intersection":
        computed = [(total * ratio).quantize(CENT, ROUND_HALF_EVEN) for ratio in ratios]
    else:
        computed = list(_even(total, len(units)))
    out = []
    for unit, ratio, theirs, ours in zip(units, ratios, given, computed, strict=True):
        foreign = recipient_iso3 is not None and unit.iso3 != recipient_iso3.upper()
        if theirs is not None:
            out.append(Share(unit, split, ratio, theirs, False, foreign))
        else:
            out.append(Share(unit, split, ratio, ours, ours is not None, foreign))
    return out


def _decimal(value: Decimal | int | float) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"the amount {value!r} is not a finite number")
        return Decimal(repr(value))  # the shortest repr: 1711244547.70646 stays that, not its binary expansion
    return Decimal(value)


def _even(total: Decimal, count: int) -> Iterator[Decimal]:
    """``total`` in ``count`` shares to the cent that add up to ``total`` rounded to the cent."""
    cents = int(total.quantize(CENT, ROUND_HALF_EVEN) * 100)
    base, extra = divmod(cents, count)
    for index in range(count):
        yield Decimal(base + (1 if index < extra else 0)) / 100


def foreign_units(units: Iterable[Unit], recipient_iso3: str) -> list[Unit]:
    """The units in another country than the record's recipient (a border project, or a geocoding slip)."""
    wanted = recipient_iso3.upper()
    return [unit for unit in units if unit.iso3 != wanted]


def disagreements(amount: Decimal | int | float | None, units: Sequence[Unit]) -> list[str]:
    """Where one record's rows disagree with each other or with its amount, one sentence each.

    The even ratio must be 1 / the number of units; each split amount the file gives must be
    the amount x its (unrounded) ratio, which the two-place ratio bounds.
    """
    if not units:
        return []
    out = []
    expected = Decimal(1) / len(units)
    for unit in units:
        if abs(unit.even_ratio - expected) > RATIO_ROUNDING:
            out.append(
                f"row {unit.row}: even_split_ratio {unit.even_ratio} is not 1/{len(units)} "
                f"(the record has {len(units)} {unit.level.upper()} units here)"
            )
    if amount is None:
        return out
    total = _decimal(amount)
    for unit in units:
        for column, ratio, given in (
            ("intersection_ratio_commitment_value", unit.intersection_ratio, unit.intersection_amount),
            ("even_split_ratio_commitment_value", expected, unit.even_amount),
        ):
            if given is None:
                continue
            slack = total * RATIO_ROUNDING + CENT
            if abs(given - total * ratio) > slack:
                out.append(f"row {unit.row}: {column} {given} is not the amount {total} x {ratio}")
    return out


def location_units(
    amount: Decimal | int | float | None, units: Sequence[Unit], recipient_iso3: str | None = None
) -> list[dict[str, Any]]:
    """One record's units at one level as ``location.units`` items of its project record.

    Each item is the unit, its centroid, and its share under both splits (see :func:`shares`);
    ``foreign`` is set on a unit outside the recipient's country.
    """
    both = zip(
        shares(amount, units, "intersection", recipient_iso3),
        shares(amount, units, "even", recipient_iso3),
        strict=True,
    )
    out = []
    for intersection, even in both:
        unit = intersection.unit
        item: dict[str, Any] = {"level": unit.level, "shape_id": unit.shape_id, "iso3": unit.iso3, "name": unit.name}
        if unit.latitude is not None and unit.longitude is not None:
            item["centroid"] = {"lat": unit.latitude, "lon": unit.longitude}
        item["intersection"] = share_fields(intersection)
        item["even"] = share_fields(even)
        if intersection.foreign:
            item["foreign"] = True
        out.append(item)
    return out


def share_fields(share: Share) -> dict[str, Any]:
    """The ``{ratio, usd_2021, computed}`` of a share, as knowledge (numbers, not decimals)."""
    out: dict[str, Any] = {"ratio": _number(share.ratio)}
    if share.usd_2021 is not None:
        out["usd_2021"] = _number(share.usd_2021)
        out["computed"] = share.computed
    return out


def _number(value: Decimal) -> int | float:
    """A decimal as the knowledge file writes numbers: whole ones as ints."""
    return int(value) if value == value.to_integral_value() else float(value)


# -- joining the files to a dataset's rows ----------------------------------------------------------------


def parse_location_option(text: str) -> tuple[Level | None, Path]:
    """``--locations`` as given: ``FILE`` (the level from its name) or ``adm1=FILE`` / ``adm2=FILE``."""
    head, sep, rest = text.partition("=")
    if sep and head.strip().lower() in ("adm1", "adm2") and rest:
        level: Level = "adm1" if head.strip().lower() == "adm1" else "adm2"
        return level, Path(rest)
    return None, Path(text)


class Located(NamedTuple):
    """What joining the location files to a dataset found, for the import's provenance and notes."""

    files: dict[str, str]
    rows: int
    #: Records of the dataset file that got units, by level.
    records: dict[str, int]
    #: Location rows naming a record the dataset file does not hold.
    strays: int
    #: Records with a unit outside their recipient's country.
    foreign: int
    #: One sentence per record whose rows disagree with each other or with its amount (see disagreements()).
    disagreements: list[str]


class Join:
    """GCDF 3.0's ADM1/ADM2 files held by record id, for the importer to join to each row as it converts it.

    The units are kept in a private temporary SQLite database (SQLite's own temporary file, gone
    when closed), not in memory: the real ADM2 file has hundreds of thousands of rows. Amounts
    and ratios are kept as their exact text.
    """

    def __init__(self) -> None:
        import sqlite3

        self.db = sqlite3.connect("")
        self.db.execute(
            "CREATE TABLE units (record TEXT NOT NULL, level TEXT NOT NULL, shape_id TEXT, iso3 TEXT, name TEXT, "
            "ir TEXT, er TEXT, ia TEXT, ea TEXT, lon REAL, lat REAL, row INTEGER)"
        )
        self.files: dict[str, str] = {}
        self.rows = 0
        self.seen: set[str] = set()
        self.records = {"adm1": 0, "adm2": 0}
        self.foreign = 0
        self.disagreements: list[str] = []

    def close(self) -> None:
        self.db.close()

    def read(self, path: Path, label: str, level: Level | None, problems: list[Problem] | None) -> None:
        """Add one file's units (``level`` from its name unless given); bad cells as :func:`read_units`."""
        chosen = level or level_of(path)
        if chosen is None:
            raise DatasetError(
                f"{label}: the file name does not say ADM1 or ADM2: give it as {{locations}} adm1={label}",
                params=["locations"],
            )
        if chosen in self.files:
            raise DatasetError(f"{label}: a second {chosen.upper()} file (the first: {self.files[chosen]})")
        batch: list[tuple[Any, ...]] = []
        for unit in read_units(path, label, chosen, problems=problems):
            batch.append(
                (str(unit.record), unit.level, unit.shape_id, unit.iso3, unit.name, str(unit.intersection_ratio),
                 str(unit.even_ratio), _text(unit.intersection_amount), _text(unit.even_amount), unit.longitude,
                 unit.latitude, unit.row)
            )  # fmt: skip
            if len(batch) >= 5000:
                self._insert(batch)
        self._insert(batch)
        self.files[chosen] = label
        self.db.execute("CREATE INDEX IF NOT EXISTS units_record ON units (record, level)")

    def _insert(self, batch: list[tuple[Any, ...]]) -> None:
        self.db.executemany("INSERT INTO units VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", batch)
        self.rows += len(batch)
        batch.clear()

    def saw(self, record: RecordId) -> None:
        """A record of the dataset file (selected or not): its location rows are not strays."""
        self.seen.add(str(record))

    def units(
        self, record: RecordId, amount: Decimal | int | float | None, recipient_iso3: str | None
    ) -> list[dict[str, Any]]:
        """The record's ``location.units`` (ADM1 first, then ADM2; each in file order), its shares computed."""
        out: list[dict[str, Any]] = []
        for level in ("adm1", "adm2"):
            found = [
                Unit(
                    record,
                    level,
                    shape_id,
                    iso3,
                    name,
                    Decimal(ir),
                    Decimal(er),
                    _decimal_or_none(ia),
                    _decimal_or_none(ea),
                    lon,
                    lat,
                    row,
                )  # fmt: skip
                for shape_id, iso3, name, ir, er, ia, ea, lon, lat, row in self.db.execute(
                    "SELECT shape_id, iso3, name, ir, er, ia, ea, lon, lat, row FROM units "
                    "WHERE record = ? AND level = ? ORDER BY rowid",
                    (str(record), level),
                )
            ]
            if not found:
                continue
            self.records[level] += 1
            if recipient_iso3 and foreign_units(found, recipient_iso3):
                self.foreign += 1
            for sentence in disagreements(amount, found):
                self.disagreements.append(f"record {record}: {level.upper()} {sentence}")
            out += location_units(amount, found, recipient_iso3)
        return out

    def result(self) -> Located:
        strays = 0
        for (record,) in self.db.execute("SELECT DISTINCT record FROM units"):
            if record not in self.seen:
                strays += int(self.db.execute("SELECT count(*) FROM units WHERE record = ?", (record,)).fetchone()[0])
        return Located(dict(self.files), self.rows, dict(self.records), strays, self.foreign, self.disagreements)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _decimal_or_none(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)
