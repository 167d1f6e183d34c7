"""The record worked as an analyst works it: sectors that meet, names a reader types, honest sums, families.

The rows are written here in AidData's exact GCDF 3.0 layout (the sample's header), from the titles and
patterns an analyst meets in the real file; none is taken from AidData.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pytest

SAMPLE = Path(__file__).resolve().parent / "fixtures" / "aiddata" / "gcdf3_sample.csv"


def _sample() -> tuple[list[str], list[dict[str, str]]]:
    with SAMPLE.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or ()), list(reader)


def write_rows(path: Path, changes: list[dict[str, str]]) -> Path:
    """A GCDF 3.0 file: each row is the sample's Cambodian road loan (990008) with these cells changed."""
    header, rows = _sample()
    template = next(row for row in rows if row["AidData Record ID"] == "990008")
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, header)
        writer.writeheader()
        for change in changes:
            assert set(change) <= set(header), set(change) - set(header)
            writer.writerow({**template, "AidData Parent ID": "", "Umbrella": "No", **change})
    return path


@pytest.fixture
def run(cca: Any, tmp_path: Path) -> Any:
    data = tmp_path / "data"

    def invoke(*args: str) -> Any:
        return cca("--data-dir", str(data), *args)

    return invoke


@pytest.fixture
def sample(run: Any) -> Any:
    result = run("import", "aiddata", str(SAMPLE))
    assert result.exit_code == 0, result.stderr
    return run


# -- sectors that meet -------------------------------------------------------------------------------------


def test_rail_loans_coded_transport_are_found_as_railways_and_marked_derived(sample: Any) -> None:
    found = {row["id"]: row for row in sample("projects", "--sector", "railway", "--json").json()}
    assert {"aiddata-990001", "aiddata-990002", "aiddata-990003", "china-laos-railway"} <= set(found)
    assert "aiddata-990008" not in found  # a road loan
    loan = found["aiddata-990001"]
    assert loan["sectors"] == ["transport"]  # the dataset's own coding, unchanged
    assert {"sector": "railway", "sector_source": "derived-from-title", "words": "railway"} in loan["derived_sectors"]
    assert "derived_sectors" not in found["china-laos-railway"]  # curated: its sectors are the source's


def test_sector_source_keeps_the_datasets_coding_or_only_the_rules(sample: Any) -> None:
    dataset = {
        row["id"] for row in sample("projects", "--sector", "railway", "--sector-source", "dataset", "--json").json()
    }
    derived = {
        row["id"] for row in sample("projects", "--sector", "railway", "--sector-source", "derived", "--json").json()
    }
    assert not any(i.startswith("aiddata-") for i in dataset) and "china-laos-railway" in dataset
    assert derived == {"aiddata-990001", "aiddata-990002", "aiddata-990003"}
    wrong = sample("projects", "--sector-source", "title")
    assert wrong.exit_code == 2 and "--sector-source 'title'" in wrong.stderr


def test_a_derived_sector_is_shown_as_cca_s_reading(sample: Any) -> None:
    shown = sample("show", "aiddata-990003", "-f", "plain").stdout
    assert "derived sector" in shown and "high-speed-rail (derived-from-title" in shown


def test_sums_by_sector_count_a_row_once_under_the_datasets_coding(sample: Any) -> None:
    by_sector = sample("stats", "--by", "sector", "--json").json()
    overall = sample("stats", "--json").json()
    assert [row["sector"] for row in by_sector if row["sector"] in ("Railway", "Road")] == []
    assert sum(row["records"] for row in by_sector) == overall[0]["records"]


# -- names a reader types -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("槟城二桥", "aiddata-991001"),  # a Chinese name AidData gives in Staff Comments
        ("第二跨海大桥", "aiddata-991001"),  # in Source Titles
        ("Jambatan Sultan", "aiddata-991001"),  # a local-language name in Source Titles
        ("price catalogues", "aiddata-990011"),  # Staff Comments of the sample
    ],
)
def test_search_covers_staff_comments_and_source_titles(run: Any, tmp_path: Path, text: str, expected: str) -> None:
    rows = write_rows(
        tmp_path / "bridge.csv",
        [
            {
                "AidData Record ID": "991001",
                "Recipient": "Malaysia",
                "Recipient ISO-3": "MYS",
                "Title": "China Eximbank provides loan for Penang Second Bridge Project",
                "Staff Comments": "The Chinese project title is 槟城二桥. 1. Fictional record written for cca tests.",
                "Source Titles": "马来西亚槟城第二跨海大桥通车|Jambatan Sultan Abdul Halim Muadzam Shah dibuka",
            }
        ],
    )
    assert run("import", "aiddata", str(SAMPLE)).exit_code == 0
    assert run("import", "aiddata", str(rows), "--name", "bridge").exit_code == 0
    found = [row["id"] for row in run("search", text, "--json").json()]
    assert found[:1] == [expected]
    assert expected in [row["id"] for row in run("projects", "--search", text, "--json").json()]


# -- adjusted amounts ----------------------------------------------------------------------------------------


def test_the_default_sum_is_the_adjusted_amount_and_says_so(run: Any, tmp_path: Path) -> None:
    """A real pattern: US$ 1.02 bn as committed and 0 adjusted (another record carries the money)."""
    rows = write_rows(
        tmp_path / "overlap.csv",
        [
            {
                "AidData Record ID": "991101",
                "Amount (Constant USD 2021)": "1020000000.00",
                "Adjusted Amount (Constant USD 2021)": "0",
                "Amount (Nominal USD)": "950000000.00",
                "Adjusted Amount (Nominal USD)": "0",
            },
            {
                "AidData Record ID": "991102",
                "Amount (Constant USD 2021)": "250000000.50",
                "Adjusted Amount (Constant USD 2021)": "250000000.50",
            },
        ],
    )
    assert run("import", "aiddata", str(rows)).exit_code == 0
    default = run("stats", "--json").json()
    assert default == [{"records": 2, "with_amount": 2, "adjusted_usd_2021": 250000000.5}]
    assert run("stats", "--amount", "adjusted", "--json").json() == default
    original = run("stats", "--amount", "original", "--json").json()
    assert original == [{"records": 2, "with_amount": 2, "usd_2021": 1270000000.5}]
    assert run("stats", "--amount", "usd-2021", "--json").json() == original
    table = " ".join(run("stats", "-f", "table").stdout.split())
    assert "Sums of Adjusted Amount (Constant USD 2021), AidData's amount for aggregates (overlaps" in table
    assert "--amount original" in table
    assert "Sums of Amount (Constant USD 2021) over" in " ".join(
        run("stats", "--amount", "original", "-f", "table").stdout.split()
    )
    wrong = run("stats", "--amount", "gross")
    assert wrong.exit_code == 2 and "choose from original, adjusted" in wrong.stderr


# -- families ---------------------------------------------------------------------------------------------


def test_show_lists_the_family_with_amounts_and_aggregate_flags(sample: Any, cca: Any) -> None:
    value = sample("show", "aiddata-990008", "--json").json()
    jsonschema.validate(value, cca("schema", "show").json())
    family = {member["id"]: member for member in value["family"]}
    assert set(family) == {"aiddata-990007", "aiddata-990009"}
    umbrella = family["aiddata-990007"]
    assert umbrella["relation"] == ["same parent group 9902", "named in this record's title"]
    assert umbrella["for_aggregates"] is False and umbrella["adjusted_usd_2021"] is None
    assert umbrella["usd_2021"] == pytest.approx(328311066.66873)
    assert family["aiddata-990009"]["relation"] == ["same parent group 9902", "names this record in its title"]
    assert family["aiddata-990009"]["for_aggregates"] is True
    # the family's total counts the summed records once each, as stats does for the same rows
    shown = " ".join(sample("show", "aiddata-990008", "-f", "plain").stdout.split())
    assert "not summed: would count twice" in shown and "over the 2 summed records" in shown
    cambodia = sample("stats", "--country", "Cambodia", "--json").json()[0]["adjusted_usd_2021"]
    own = sample("show", "aiddata-990008", "--json").json()["record"]["adjusted_usd_2021"]
    assert Decimal(str(cambodia)) == Decimal(str(own)) + Decimal(str(family["aiddata-990009"]["adjusted_usd_2021"]))


def test_a_record_named_in_staff_comments_is_family_both_ways(run: Any, tmp_path: Path) -> None:
    rows = write_rows(
        tmp_path / "linked.csv",
        [
            {"AidData Record ID": "991201", "Title": "China Eximbank provides loan for Kuantan Port expansion"},
            {
                "AidData Record ID": "991202",
                "Title": "China Eximbank provides supplementary loan for Kuantan Port expansion",
                "Staff Comments": "This loan supplements the one captured in project ID# 991201. 1. Fictional.",
            },
            {"AidData Record ID": "991203", "Title": "Unrelated loan for a hospital"},
        ],
    )
    assert run("import", "aiddata", str(rows)).exit_code == 0
    first = run("show", "aiddata-991201", "--json").json()["family"]
    second = run("show", "aiddata-991202", "--json").json()["family"]
    assert [(m["id"], m["relation"]) for m in first] == [
        ("aiddata-991202", ["names this record in its Staff Comments"])
    ]
    assert [(m["id"], m["relation"]) for m in second] == [("aiddata-991201", ["named in this record's Staff Comments"])]
    assert run("show", "aiddata-991203", "--json").json()["family"] == []
    assert "Family" not in run("show", "aiddata-991203", "-f", "plain").stdout


# -- sums that overflow a float ------------------------------------------------------------------------


def test_finite_amounts_whose_sum_overflows_a_float_are_added_exactly(run: Any, tmp_path: Path) -> None:
    """1.7e308 + 1.7e308 + 1e308 is inf in floating point: cca's sums are exact and print as numbers."""
    big, other = "17" + "0" * 307, "1" + "0" * 308
    rows = write_rows(
        tmp_path / "huge.csv",
        [
            {"AidData Record ID": f"99140{n}", "Amount (Constant USD 2021)": value}
            | {"Adjusted Amount (Constant USD 2021)": value}
            for n, value in enumerate((big, big, other), 1)
        ],
    )
    assert run("import", "aiddata", str(rows)).exit_code == 0
    exact = Decimal(big) * 2 + Decimal(other)
    (row,) = run("stats", "--json").json()
    assert Decimal(str(row["adjusted_usd_2021"])) == exact
    for fmt in ("csv", "tsv", "plain", "table", "markdown", "yaml"):
        shown = run("stats", "-f", fmt)
        assert shown.exit_code == 0 and "inf" not in shown.stdout.lower().replace("information", ""), (fmt, shown)
    assert "4.4e+296 tn" in run("stats", "-f", "table").stdout
    shown = run("show", "aiddata-991403", "-f", "plain").stdout
    assert "US$ 1e+296 tn (2021 USD)" in shown and " inf" not in shown.lower()
    assert len(max(shown.splitlines(), key=len)) < 300  # never three hundred digits
