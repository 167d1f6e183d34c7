"""Citations (issue 18): CSL-JSON valid against the CSL schema, BibTeX a parser reads back, and a plain list.

Covers the bundled article (author, translator, publisher, date, title), AidData's GCDF 3.0 and two
of its rows (their own source titles, publishers and URLs), the China Global Investment Tracker
and one of its rows, and a news report. tests/fixtures/csl/csl-data.json is the CSL project's schema.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import bibtexparser
import jsonschema
import pytest
import yaml

from cca.core import cite
from cca.io.importers import aiddata, cgit
from cca.io.importers.layout import fold

ROOT = Path(__file__).resolve().parent.parent
CSL_SCHEMA = json.loads((ROOT / "tests" / "fixtures" / "csl" / "csl-data.json").read_text(encoding="utf-8"))
SAMPLE = ROOT / "tests" / "fixtures" / "aiddata" / "gcdf3_sample.csv"
ARTICLE = yaml.safe_load((ROOT / "data" / "knowledge.yaml").read_text(encoding="utf-8"))["sources"][0]
NEWS = {
    "id": "example-news-2024-01-02-rail-opens",
    "title": "Invented rail line opens to passengers",
    "publisher": "Example News",
    "date": "2024-01-02",
    "url": "https://example.com/news/2024/01/02/rail-opens?ref=a_b",
}


@pytest.fixture(scope="module")
def gcdf() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    from cca.io.importers import ImportOptions, Tally

    places = aiddata.Lookup(
        {"LAO": "laos", "IDN": "indonesia"},
        frozenset(),
        aiddata.crs_sectors(ROOT / "data" / "crs-sectors.tsv"),
        "china",
    )
    found = aiddata.read(SAMPLE, "gcdf3_sample.csv", places, ImportOptions(every_recipient=True), Tally())
    rows = {project["id"]: project for project, _ in found}
    return aiddata.IMPORTER.source(), [rows["aiddata-990001"], rows["aiddata-990003"]]


@pytest.fixture(scope="module")
def tracker(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, Any]]:
    spec = importlib.util.spec_from_file_location("cgit_build", ROOT / "tests" / "fixtures" / "cgit" / "build.py")
    assert spec is not None and spec.loader is not None
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    path = build.write(tmp_path_factory.mktemp("cite") / "China-Global-Investment-Tracker-2024-SPRING.xlsx")
    read = cgit.read(path, path.name, {fold("Laos"): "laos"})
    sectors = cgit.sector_table(ROOT / "data" / "cgit-sectors.tsv")
    return cgit.source(read, imported="2024-06-01"), cgit.project(read.rows[0], "china", sectors)


@pytest.fixture(scope="module")
def everything(
    gcdf: tuple[dict[str, Any], list[dict[str, Any]]], tracker: tuple[dict[str, Any], dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return [ARTICLE, gcdf[0], tracker[0], NEWS], [*gcdf[1], tracker[1]]


# -- CSL-JSON ------------------------------------------------------------------------------------------------


def test_csl_json_is_valid_against_the_csl_schema(everything: Any) -> None:
    items = cite.csl_json(*everything)
    jsonschema.Draft7Validator(CSL_SCHEMA).validate(items)
    ids = [item["id"] for item in items]
    assert len(set(ids)) == len(ids)


def test_csl_json_of_the_article() -> None:
    (item,) = cite.csl_json([ARTICLE])
    assert item == {
        "id": "panorama-2021-03-04-four-new-aspects",
        "type": "article-newspaper",
        "title": ARTICLE["title"],
        "author": [{"literal": "Zhong Shuangxia"}],
        "translator": [{"literal": "Chen Zhiying"}],
        "container-title": "China-ASEAN Panorama",
        "section": ARTICLE["section"],
        "issued": {"date-parts": [[2021, 3, 4]]},
        "language": "en",
        "note": ARTICLE["copyright"],
    }


def test_csl_json_of_a_news_report() -> None:
    assert cite.csl_json([NEWS]) == [
        {
            "id": "example-news-2024-01-02-rail-opens",
            "type": "article-newspaper",
            "title": "Invented rail line opens to passengers",
            "container-title": "Example News",
            "issued": {"date-parts": [[2024, 1, 2]]},
            "URL": "https://example.com/news/2024/01/02/rail-opens?ref=a_b",
        }
    ]


def test_csl_json_of_gcdf_and_its_rows(gcdf: tuple[dict[str, Any], list[dict[str, Any]]]) -> None:
    source, rows = gcdf
    items = {item["id"]: item for item in cite.csl_json([source], rows)}
    dataset = items["aiddata-gcdf-3"]
    assert (dataset["type"], dataset["publisher"], dataset["version"]) == ("dataset", aiddata.PUBLISHER, "3.0")
    assert dataset["note"] == f"Cite as: {aiddata.ATTRIBUTION}"
    assert dataset["issued"] == {"date-parts": [[2023, 11, 6]]} and dataset["URL"] == aiddata.URL
    row = items["aiddata-990001"]
    assert (row["type"], row["container-title"], row["locator"]) == (
        "dataset",
        "AidData's Global Chinese Development Finance Dataset, Version 3.0",
        "record 990001",
    )
    assert [(items[f"aiddata-990001-source-{n}"].get("title"), items[f"aiddata-990001-source-{n}"].get("publisher"),
             items[f"aiddata-990001-source-{n}"].get("URL")) for n in (1, 2, 3)] == [  # fmt: skip
        ("Laos railway loan agreement signed in Beijing", "Example News",
         "https://example.org/news/laos-railway-loan-2016"),
        ("Annual Report 2016", None, "https://www.example.com/reports/eximbank-annual-report-2016.pdf"),
        ("ສັນຍາເງິນກູ້ທາງລົດໄຟ ລາວ-ຈີນ", "Example Ministry of Public Works", "http://example.org/lo/railway?id=7&lang=lo"),
    ]  # fmt: skip


def test_a_row_whose_urls_do_not_pair_with_its_titles_lists_them_apart(
    gcdf: tuple[dict[str, Any], list[dict[str, Any]]],
) -> None:
    sources = cite.row_sources(gcdf[1][1])  # six titles, five URLs
    assert [s.url for s in sources[:6]] == [None] * 6
    assert [s.title for s in sources[6:]] == [None] * 5 and all(s.url for s in sources[6:])


def test_csl_json_of_cgit_and_a_row(tracker: tuple[dict[str, Any], dict[str, Any]]) -> None:
    source, row = tracker
    items = {item["id"]: item for item in cite.csl_json([source], [row])}
    dataset = items["aei-cgit"]
    assert (dataset["type"], dataset["title"], dataset["publisher"]) == (
        "dataset",
        "China Global Investment Tracker",
        "American Enterprise Institute and The Heritage Foundation",
    )
    assert dataset["note"].startswith("Cite as: Free for public use with the proper citation")
    assert items[row["id"]]["locator"] == f"record {row['id']}, sheet Dataset 1, row 7"


# -- BibTeX --------------------------------------------------------------------------------------------------


def test_bibtex_reads_back(everything: Any) -> None:
    text = cite.bibtex(*everything)
    library = bibtexparser.parse_string(text)
    assert library.failed_blocks == []
    entries = {entry.key: entry for entry in library.entries}
    assert list(entries) == [item["id"] for item in cite.csl_json(*everything)]
    article = entries["panorama-2021-03-04-four-new-aspects"]
    assert article.entry_type == "article"
    assert (article["author"], article["translator"], article["journal"]) == (
        "{Zhong Shuangxia}",
        "{Chen Zhiying}",
        "China-ASEAN Panorama",
    )
    assert (article["year"], article["day"], article["title"]) == ("2021", "4", ARTICLE["title"])
    gcdf = entries["aiddata-gcdf-3"]
    assert gcdf.entry_type == "misc" and gcdf["version"] == "3.0"
    assert gcdf["note"] == "Cite as: " + aiddata.ATTRIBUTION.replace("&", r"\&")
    news = entries["example-news-2024-01-02-rail-opens"]
    assert (news["journal"], news["url"]) == ("Example News", NEWS["url"])
    assert entries["aiddata-990003-source-10"]["url"] == r"http://news.example.com/a/2021/10/cost-overrun\%2C-update"


def test_bibtex_escapes_what_would_break_an_entry() -> None:
    odd = {**NEWS, "id": "odd", "title": "Costs {rise} 50% & more_than #1 ~ ^ \\ $"}
    (entry,) = bibtexparser.parse_string(cite.bibtex([odd])).entries
    assert entry["title"] == (
        r"Costs \{rise\} 50\% \& more\_than \#1 \textasciitilde{} \textasciicircum{} \textbackslash{} \$"
    )


# -- plain text ----------------------------------------------------------------------------------------------


def test_a_plain_reference_list(everything: Any) -> None:
    text = cite.text(*everything)
    lines = text.splitlines()
    assert lines[0] == (
        f"[1] Zhong Shuangxia (2021-03-04). {ARTICLE['title']}. Translated by Chen Zhiying. China-ASEAN Panorama."
    )
    assert lines[1] == (
        f"[2] {aiddata.DATASET}, Version 3.0 [dataset]. {aiddata.PUBLISHER}, 2023-11-06. {aiddata.URL} "
        f"Cite as: {aiddata.ATTRIBUTION}"
    )
    assert lines[2].startswith("[3] China Global Investment Tracker [dataset]. American Enterprise Institute and The ")
    assert lines[3] == (
        "[4] Invented rail line opens to passengers. Example News, 2024-01-02. "
        "https://example.com/news/2024/01/02/rail-opens?ref=a_b"
    )
    assert lines[4].startswith("- China Eximbank provides RMB 9.85 billion loan")
    assert lines[4].endswith(f". In: {aiddata.DATASET}, Version 3.0 (record 990001).")
    assert lines[5] == (
        "    Laos railway loan agreement signed in Beijing. Example News. https://example.org/news/laos-railway-loan-2016."
    )
    assert text.endswith("\n") and cite.text([]) == ""


def test_records_that_are_not_dataset_rows_add_nothing() -> None:
    record = {"id": "x", "name": "X", "evidence": [{"source": "s", "quote": "q"}]}
    assert cite.csl_json([NEWS], [record]) == cite.csl_json([NEWS])
    assert cite.text([NEWS], [record]) == cite.text([NEWS])
