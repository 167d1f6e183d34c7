"""Provinces (issue 18, part 1): GCDF 3.0's ADM1/ADM2 files joined at import, filters, sums by unit under both splits.

The fixtures in tests/fixtures/aiddata/adm are in AidData's exact layout, with invented rows for the
record ids of tests/fixtures/aiddata/gcdf3_sample.csv: record 990003's two ADM1 intersection shares add
up to 0.70 (it lies partly outside every unit, as one real record's seven states do), one of its even
split amounts is blank (cca computes it), and record 990008 (Cambodia) touches a unit in Thailand.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.conftest import Run

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "aiddata"
SAMPLE = FIXTURES / "gcdf3_sample.csv"
ADM1 = FIXTURES / "adm" / "GCDF_3.0_ADM1_Locations.csv"
ADM2 = FIXTURES / "adm" / "GCDF_3.0_ADM2_Locations.csv"
CENT = Decimal("0.01")


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


SAMPLE_ROWS = {row["AidData Record ID"]: row for row in _csv(SAMPLE)}
#: Records a default import selects (ASEAN and Timor-Leste) that AidData recommends for aggregates.
SUMMED = {
    record_id
    for record_id, row in SAMPLE_ROWS.items()
    if row["Recommended For Aggregates"] == "Yes" and row["Recipient ISO-3"] in {"LAO", "IDN", "KHM", "THA", "TLS"}
}


def _amount(record_id: str) -> Decimal:
    return Decimal(SAMPLE_ROWS[record_id]["Amount (Constant USD 2021)"])


@pytest.fixture(scope="module")
def run(cli_app: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """GCDF 3.0's sample imported with both location files, once for the module; a runner over it."""
    data = tmp_path_factory.mktemp("provinces") / "data"
    runner = CliRunner()

    def invoke(*args: str, env: dict[str, str] | None = None) -> Run:
        result = runner.invoke(cli_app, ["--data-dir", str(data), *args], env=env, prog_name="cca")
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Run(result.exit_code, result.stdout, result.stderr)

    done = invoke("import", "aiddata", str(SAMPLE), "--locations", str(ADM1), "--locations", str(ADM2))
    assert done.exit_code == 0, done.stderr
    assert "4 records have ADM1 units, 3 records have ADM2 units" in done.stderr
    assert "1 record has a unit outside the recipient's country" in done.stderr
    yield invoke


def _by_unit(run: Any, level: str, split: str, *more: str) -> dict[str, dict[str, Any]]:
    rows = run("stats", "--by", level, "--split", split, *more, "--json").json()
    return {row[level]: row for row in rows}


def _theirs(path: Path, column: str) -> dict[str, Decimal]:
    """AidData's own split-amount column summed per unit over the records the sum takes."""
    out: dict[str, Decimal] = {}
    for row in _csv(path):
        if row["id"] in SUMMED:
            key = f"{row['shapeName']} ({row['shapeGroup']})"
            amount = Decimal(row[column]) if row[column] else _amount(row["id"]) * Decimal(row["even_split_ratio"])
            out[key] = out.get(key, Decimal(0)) + amount
    return out


@pytest.mark.parametrize(("level", "path"), [("adm1", ADM1), ("adm2", ADM2)])
@pytest.mark.parametrize(
    ("split", "column"),
    [("intersection", "intersection_ratio_commitment_value"), ("even", "even_split_ratio_commitment_value")],
)
def test_sums_by_unit_are_aiddatas_split_columns(run: Any, level: str, path: Path, split: str, column: str) -> None:
    ours = _by_unit(run, level, split)
    theirs = _theirs(path, column)
    assert set(ours) == set(theirs)
    for unit, expected in theirs.items():
        got = Decimal(repr(ours[unit]["usd_2021"]))
        if split == "even" and unit == "Jawa Barat (IDN)":
            # the file's cell is blank: cca's own share, the amount over the record's two units, to the cent
            expected = (_amount("990003") / 2).quantize(CENT)
        assert abs(got - expected) <= CENT, (unit, got, expected)


def test_an_even_split_adds_up_to_each_amount_an_intersection_split_need_not(run: Any) -> None:
    shown = run("show", "aiddata-990003", "--json").json()["record"]
    units = [unit for unit in shown["location"]["units"] if unit["level"] == "adm1"]
    assert sum(Decimal(repr(unit["intersection"]["ratio"])) for unit in units) == Decimal("0.7")  # less than one
    even = sum(Decimal(repr(unit["even"]["usd_2021"])) for unit in units)
    intersection = sum(Decimal(repr(unit["intersection"]["usd_2021"])) for unit in units)
    assert abs(even - _amount("990003")) <= CENT
    assert intersection < _amount("990003") * Decimal("0.71")
    blank = next(unit for unit in units if unit["name"] == "Jawa Barat")
    assert blank["even"]["computed"] is True and blank["intersection"]["computed"] is False
    for record_id in SUMMED:
        view = run("show", f"aiddata-{record_id}", "--json").json()["record"]
        for level in ("adm1", "adm2"):
            found = [u for u in (view.get("location") or {}).get("units") or () if u["level"] == level]
            if found:  # AidData rounds each share to the cent: at most half a cent off per unit
                total = sum(Decimal(repr(unit["even"]["usd_2021"])) for unit in found)
                assert abs(total - _amount(record_id)) <= CENT * len(found) / 2 + CENT, (record_id, level)


def test_the_caption_says_how_it_split_and_what_it_leaves_out(run: Any) -> None:
    even = " ".join(run("stats", "--by", "adm1", "--format", "table", env={"COLUMNS": "200"}).stdout.split())
    assert "split evenly among its ADM1 units" in even and "--split even, the default" in even
    assert "3 records without ADM1 units" in even and "are in no unit's sum" in even
    assert "1 share computed by cca" in even and "1 share in a unit outside the record's recipient country" in even
    cut = " ".join(run("stats", "--by", "adm1", "--split", "intersection", "-f", "table").stdout.split())
    assert "an intersection split need not add up to a record's amount" in cut


def test_units_of_one_country_add_up_to_its_located_total(run: Any) -> None:
    by_unit = _by_unit(run, "adm1", "even", "--country", "Laos")
    with_units = {row["id"] for row in _csv(ADM1)}
    laos = [r for r in SUMMED if SAMPLE_ROWS[r]["Recipient ISO-3"] == "LAO"]
    located = sum(_amount(r) for r in laos if r in with_units)
    assert len(laos) == 2 and located == _amount("990001")
    assert abs(sum(Decimal(repr(row["usd_2021"])) for row in by_unit.values()) - located) <= 2 * CENT
    table = " ".join(run("stats", "--by", "adm1", "-c", "Laos", "-f", "table").stdout.split())
    assert "1 record without ADM1 units" in table  # 990002 has no location rows


def test_filters_by_unit_fold_names_and_narrow_the_groups(run: Any) -> None:
    ids = [p["id"] for p in run("projects", "--adm1", "vientiane capital", "--json").json()]
    assert ids == ["aiddata-990001"]
    assert [p["id"] for p in run("projects", "--adm2", "XAYTHANY", "--adm2", "Bandung", "--json").json()] == [
        "aiddata-990001",
        "aiddata-990003",
    ]
    only = _by_unit(run, "adm1", "even", "--adm1", "Sa Kaeo")
    assert list(only) == ["Sa Kaeo (THA)"]
    none = run("projects", "--adm1", "Nowhere")
    assert none.exit_code == 0 and none.stdout.strip() in ("", "[]")


def test_unit_names_complete_from_the_store(run: Any, tmp_path: Path) -> None:
    from cca.cli.complete import source
    from cca.cli.session import State

    State.session = None
    done = run("projects", "--adm1", "Bangkok", "--json")  # opens the session on this data directory
    assert done.exit_code == 0
    found = source("adm1")("vien")
    assert ("Vientiane Capital", "LAO") in found and ("Vientiane Province", "LAO") in found
    assert all(name.lower().startswith("vien") for name, _ in found)


def test_show_lists_units_with_their_shares_and_flags_a_foreign_one(run: Any) -> None:
    plain = run("show", "aiddata-990008", "--format", "plain").stdout
    assert "== ADM1 units (2)" in plain
    assert (
        "Sa Kaeo (THA): intersection 0.1 = US$ 13.1 m (2021 USD); even 0.5 = US$ 65.7 m (2021 USD); centroid "
        "13.8241, 102.3162; outside the recipient's country (Cambodia)"
    ) in plain
    assert "together: intersection 1 of the amount = US$ 131 m (2021 USD)" in plain
    record = run("show", "aiddata-990008", "--json").json()["record"]
    (foreign,) = [u for u in record["location"]["units"] if u.get("foreign")]
    assert foreign["iso3"] == "THA" and foreign["centroid"] == {"lat": 13.8241, "lon": 102.3162}


def test_validate_names_a_unit_outside_the_recipient(run: Any) -> None:
    done = run("validate")
    assert done.exit_code == 0
    assert "aiddata-990008: ADM1 unit 'Sa Kaeo' is in THA, outside the recipient's country (Cambodia)" in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--by", "adm1", "--by", "adm2"), "--by adm1 and --by adm2 would split each amount twice"),
        (("--by", "adm1", "--amount", "usd-nominal"), "sums the units' shares of the Amount (Constant USD 2021)"),
        (("--by", "adm1", "--split", "area"), "no split 'area': choose intersection or even"),
    ],
)
def test_sums_that_cannot_be_are_usage_errors(run: Any, args: tuple[str, ...], message: str) -> None:
    done = run("stats", *args)
    assert done.exit_code == 2 and message in done.stderr and len(done.stderr.splitlines()) == 1


def test_location_files_that_are_wrong_are_refused(cca: Any, tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    unnamed = tmp_path / "units.csv"
    unnamed.write_bytes(ADM1.read_bytes())
    done = cca("--data-dir", data, "import", "aiddata", str(SAMPLE), "--locations", str(unnamed))
    assert done.exit_code == 1 and "does not say ADM1 or ADM2: give it as --locations adm1=" in done.stderr
    named = cca("--data-dir", data, "import", "aiddata", str(SAMPLE), "--locations", f"adm1={unnamed}")
    assert named.exit_code == 0, named.stderr
    both = ("--locations", str(ADM1), "--locations", str(ADM1))
    twice = cca("--data-dir", data, "import", "aiddata", str(SAMPLE), *both)
    assert twice.exit_code == 1 and "a second ADM1 file" in twice.stderr
    bad = tmp_path / "GCDF_3.0_ADM2_Locations.csv"
    lines = ADM2.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace("0.3,0.25", "1.3,0.25")
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    refused = cca("--data-dir", data, "import", "aiddata", str(SAMPLE), "--locations", str(bad))
    assert refused.exit_code == 1
    assert f"{bad}:3:5: intersection_ratio: 1.3 is not a ratio from 0 to 1" in refused.stderr
    v2 = str(FIXTURES / "gcdf2_sample.csv")
    version_2 = cca("--data-dir", data, "import", "aiddata", v2, "--locations", str(ADM1))
    assert version_2.exit_code == 2 and "the ADM1/ADM2 location files are GCDF 3.0's" in version_2.stderr


def test_sums_by_unit_without_location_files_say_how_to_get_them(cca: Any, tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    assert cca("--data-dir", data, "import", "aiddata", str(SAMPLE)).exit_code == 0
    done = cca("--data-dir", data, "stats", "--by", "adm2", "--json")
    assert done.exit_code == 0 and done.stdout.strip() == "[]"
    assert (
        "no record has ADM2 units: import a dataset with its location files "
        "(cca import aiddata FILE --locations GCDF_3.0_ADM2_Locations.csv)" in done.stderr
    )
