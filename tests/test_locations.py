"""GCDF 3.0's ADM1/ADM2 location files: the typed reader and the two ways of splitting a record's amount (issue 18).

The fixtures in tests/fixtures/aiddata/adm are written by this project in AidData's exact layout
(the header of gcdf-geospatial-data's gb_v6/gcdf_v3_adm1.csv), for the record ids of
tests/fixtures/aiddata/gcdf3_sample.csv; every row, shape id and centroid is invented.
"""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cca.core.errors import BadCells, DatasetError, Problem
from cca.io.importers import locations
from cca.io.importers.locations import Unit, group, read_units, shares

ROOT = Path(__file__).resolve().parent.parent
ADM = ROOT / "tests" / "fixtures" / "aiddata" / "adm"
ADM1 = ADM / "GCDF_3.0_ADM1_Locations.csv"
ADM2 = ADM / "GCDF_3.0_ADM2_Locations.csv"
SAMPLE = ROOT / "tests" / "fixtures" / "aiddata" / "gcdf3_sample.csv"
SCHEMA = json.loads((ROOT / "data" / "knowledge.schema.json").read_text(encoding="utf-8"))


def _sample() -> dict[int, tuple[str, Decimal | None]]:
    """Record id -> (recipient ISO-3, constant-2021 amount) from the GCDF 3.0 sample."""
    with SAMPLE.open(encoding="utf-8", newline="") as handle:
        return {
            int(row["AidData Record ID"]): (
                row["Recipient ISO-3"],
                Decimal(row["Amount (Constant USD 2021)"]) if row["Amount (Constant USD 2021)"] else None,
            )
            for row in csv.DictReader(handle)
        }


def _write(tmp_path: Path, name: str, rows: list[list[str]], header: tuple[str, ...] = locations.COLUMNS) -> Path:
    path = tmp_path / name
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


GOOD = [
    "990001",
    "10000001B10000000000000001",
    "LAO",
    "Vientiane Capital",
    "0.4",
    "0.25",
    "1.0",
    "2.0",
    "102.6",
    "18.0",
]


def test_the_header_is_aiddatas() -> None:
    with ADM1.open(encoding="utf-8") as handle:
        assert tuple(handle.readline().strip().split(",")) == locations.COLUMNS


def test_the_units_of_the_adm1_file_are_typed_and_exact() -> None:
    units = list(read_units(ADM1, "adm1.csv"))
    assert len(units) == 9 and {unit.level for unit in units} == {"adm1"}
    first = units[0]
    assert first == Unit(
        record=990001, level="adm1", shape_id="10000001B10000000000000001", iso3="LAO", name="Vientiane Capital",
        intersection_ratio=Decimal("0.4"), even_ratio=Decimal("0.25"), intersection_amount=Decimal("684497819.08"),
        even_amount=Decimal("427811136.93"), longitude=102.6131, latitude=18.0894, row=2,
    )  # fmt: skip
    jawa = next(unit for unit in units if unit.name == "Jawa Barat")
    assert jawa.even_amount is None and jawa.intersection_amount == Decimal("642976227.68")  # the blank cell


def test_every_unit_belongs_to_a_record_of_the_sample() -> None:
    sample = _sample()
    for path in (ADM1, ADM2):
        assert set(group(read_units(path, path.name))) <= set(sample)


def test_the_level_comes_from_the_file_name_or_a_parameter(tmp_path: Path) -> None:
    assert {unit.level for unit in read_units(ADM2, "adm2.csv")} == {"adm2"}
    assert locations.level_of(Path("gcdf_v3_adm1.csv")) == "adm1"
    unnamed = _write(tmp_path, "units.csv", [GOOD])
    with pytest.raises(DatasetError, match="does not say ADM1 or ADM2"):
        list(read_units(unnamed, "units.csv"))
    assert [unit.level for unit in read_units(unnamed, "units.csv", "adm2")] == ["adm2"]
    with pytest.raises(DatasetError, match="the file name says ADM1, not ADM2"):
        list(read_units(ADM1, "adm1.csv", "adm2"))


def test_record_ids_are_exact() -> None:
    assert locations.record_id("34960") == 34960
    assert locations.record_id("34960.0") == 34960  # pandas' float column
    assert locations.record_id("C-12") == "C-12"
    assert locations.record_id(" ") is None


def test_a_header_not_in_the_layout_is_refused_naming_what_differs(tmp_path: Path) -> None:
    header = list(locations.COLUMNS)
    header[5] = "even_split_ratios"
    path = _write(tmp_path, "x_adm1.csv", [GOOD], tuple(header))
    with pytest.raises(DatasetError) as caught:
        list(read_units(path, "x_adm1.csv"))
    assert str(caught.value) == (
        "x_adm1.csv: not AidData's GCDF 3.0 ADM1 locations layout (10 columns, expected 10): "
        "'even_split_ratio' is named 'even_split_ratios'"
    )


def test_bad_cells_are_positioned(tmp_path: Path) -> None:
    rows = [
        GOOD,
        ["990002", "s", "Lao", "Vientiane", "1.4", "x", "-5", "", "200", "18"],
        ["", "s", "LAO", "", "0.5", "0.5", "", "", "", ""],
    ]
    path = _write(tmp_path, "bad_adm1.csv", rows)
    with pytest.raises(BadCells) as caught:
        list(read_units(path, "bad_adm1.csv"))
    assert [str(problem) for problem in caught.value.problems] == [
        "bad_adm1.csv:3:3: shapeGroup: 'Lao' is not an ISO 3166-1 alpha-3 code",
        "bad_adm1.csv:3:5: intersection_ratio: 1.4 is not a ratio from 0 to 1",
        "bad_adm1.csv:3:6: even_split_ratio: 'x' is not a number",
        "bad_adm1.csv:3:7: intersection_ratio_commitment_value: -5 is not an amount (it is negative)",
        "bad_adm1.csv:3:9: centroid_longitude: 200 is not a coordinate within ±180",
        "bad_adm1.csv:4:1: id: empty: every row needs its AidData Record ID",
        "bad_adm1.csv:4:4: shapeName: empty: every row needs the unit's name",
    ]
    problems: list[Problem] = []
    assert [unit.record for unit in read_units(path, "bad_adm1.csv", problems=problems)] == [990001]
    assert len(problems) == 7


def _units_of(path: Path, record: int) -> list[Unit]:
    return group(read_units(path, path.name))[record]


def test_an_even_split_adds_up_to_the_amount_and_an_intersection_split_need_not() -> None:
    """AidData rounds each even share to the cent: n of them add up to the amount within n half-cents.

    Computed shares add up exactly (see the property test below).
    """
    sample = _sample()
    for path in (ADM1, ADM2):
        for record, units in group(read_units(path, path.name)).items():
            amount = sample[record][1]
            assert amount is not None
            even = shares(amount, units, "even")
            slack = Decimal("0.005") * (len(units) + 1)
            assert abs(sum(share.usd_2021 or 0 for share in even) - amount) <= slack, (path.name, record)
            assert sum(unit.even_ratio for unit in units) == 1
    jakarta = _units_of(ADM1, 990003)
    amount = sample[990003][1]
    assert amount is not None
    intersection = shares(amount, jakarta, "intersection")
    assert sum(unit.intersection_ratio for unit in jakarta) == Decimal("0.7")  # partly outside every unit
    assert sum(share.usd_2021 or 0 for share in intersection) < amount
    assert [share.computed for share in intersection] == [False, False]  # AidData's own column


def test_a_blank_split_amount_is_computed_and_marked() -> None:
    amount = _sample()[990003][1]
    jawa, jakarta = _units_of(ADM1, 990003)[1], _units_of(ADM1, 990003)[0]
    even = shares(amount, [jakarta, jawa], "even")
    assert (even[0].usd_2021, even[0].computed) == (Decimal("1071627046.13"), False)
    assert (even[1].usd_2021, even[1].computed) == (Decimal("1071627046.13"), True)  # amount / 2, to the cent


def test_without_an_amount_a_blank_share_stays_blank() -> None:
    unit = _units_of(ADM1, 990003)[1]
    (share,) = shares(None, [unit], "even")
    assert share.usd_2021 is None and share.computed is False


def test_the_two_place_even_ratio_is_not_used_for_the_computed_share() -> None:
    """Three units at 0.33 would lose 1% of the amount: the even share is amount / 3, its cents given out."""
    units = [
        Unit(7, "adm1", f"s{n}", "MYS", f"State {n}", Decimal("0.3"), Decimal("0.33"), None, None, None, None, n)
        for n in range(3)
    ]
    even = shares(Decimal("100.00"), units, "even")
    assert [share.usd_2021 for share in even] == [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]
    assert all(share.computed for share in even)
    intersection = shares(100, units, "intersection")
    assert [share.usd_2021 for share in intersection] == [Decimal("30.00")] * 3


def test_a_unit_in_another_country_is_flagged() -> None:
    units = _units_of(ADM1, 990008)
    recipient = _sample()[990008][0]
    assert [unit.name for unit in locations.foreign_units(units, recipient)] == ["Sa Kaeo"]
    assert [share.foreign for share in shares(131324426.5872, units, "intersection", recipient)] == [False, True]


def test_shares_are_of_one_record_at_one_level() -> None:
    mixed = [_units_of(ADM1, 990001)[0], _units_of(ADM2, 990001)[0]]
    with pytest.raises(ValueError, match="one record at one level"):
        shares(1, mixed, "even")


def test_the_fixture_rows_agree_with_their_amounts() -> None:
    sample = _sample()
    for path in (ADM1, ADM2):
        for record, units in group(read_units(path, path.name)).items():
            assert locations.disagreements(sample[record][1], units) == [], (path.name, record)


def test_disagreements_are_named() -> None:
    units = _units_of(ADM1, 990001)
    wrong = [units[0]._replace(even_ratio=Decimal("0.5"), intersection_amount=Decimal("1")), *units[1:]]
    assert locations.disagreements(Decimal("1711244547.70646"), wrong) == [
        "row 2: even_split_ratio 0.5 is not 1/4 (the record has 4 ADM1 units here)",
        "row 2: intersection_ratio_commitment_value 1 is not the amount 1711244547.70646 x 0.4",
    ]


def test_location_units_are_valid_knowledge() -> None:
    units = _units_of(ADM1, 990008)
    items = locations.location_units(Decimal("131324426.5872"), units, "KHM")
    assert items[1] == {
        "level": "adm1",
        "shape_id": "40000004B40000000000000001",
        "iso3": "THA",
        "name": "Sa Kaeo",
        "centroid": {"lat": 13.8241, "lon": 102.3162},
        "intersection": {"ratio": 0.1, "usd_2021": 13132442.66, "computed": False},
        "even": {"ratio": 0.5, "usd_2021": 65662213.29, "computed": False},
        "foreign": True,
    }
    validator = jsonschema.Draft202012Validator({"$defs": SCHEMA["$defs"], "$ref": "#/$defs/admin_unit"})
    for item in items:
        validator.validate(item)


@given(
    cents=st.integers(min_value=0, max_value=10**15),
    count=st.integers(min_value=1, max_value=40),
)
def test_a_computed_even_split_always_adds_up_to_the_cent(cents: int, count: int) -> None:
    amount = Decimal(cents) / 100
    units = [
        Unit(1, "adm2", f"s{n}", "LAO", f"D{n}", Decimal(0), Decimal(1) / count, None, None, None, None, n)
        for n in range(count)
    ]
    even = shares(amount, units, "even")
    assert sum(share.usd_2021 or 0 for share in even) == amount
    assert max(share.usd_2021 or 0 for share in even) - min(share.usd_2021 or 0 for share in even) <= Decimal("0.01")


@given(ratios=st.lists(st.integers(min_value=0, max_value=100), min_size=1, max_size=12), amount=st.integers(0, 10**12))
def test_an_intersection_split_is_amount_times_ratio(ratios: list[int], amount: int) -> None:
    units = [
        Unit(1, "adm1", f"s{n}", "LAO", f"P{n}", Decimal(r) / 100, Decimal(1), None, None, None, None, n)
        for n, r in enumerate(ratios)
    ]
    for share, ratio in zip(shares(amount, units, "intersection"), ratios, strict=True):
        assert share.usd_2021 == (Decimal(amount) * ratio / 100).quantize(Decimal("0.01"))
