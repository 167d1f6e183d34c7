"""The bundled knowledge: every quote verbatim, every fact of the article present, the article never stored."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

import cca
from cca.core.checks import fold_space
from cca.core.kb import KnowledgeBase
from cca.core.model import Project

ROOT = Path(__file__).resolve().parent.parent
SOURCE_FILE = "china-asean-panorama-2021-03-04-four-new-aspects.txt"
ARTICLE = "panorama-2021-03-04-four-new-aspects"


@pytest.fixture(scope="module")
def article(sources_dir: Path) -> str:
    return fold_space((sources_dir / SOURCE_FILE).read_text(encoding="utf-8"))


def test_every_quote_is_verbatim_in_its_source(sources_dir: Path) -> None:
    kb = cca.load(sources_dir=sources_dir)  # raises KnowledgeError listing any miss
    assert len(kb) > 150


def test_validate_command_checks_quotes(cca: object, sources_dir: Path) -> None:
    result = cca("validate", "--sources", str(sources_dir))  # type: ignore[operator]
    assert result.exit_code == 0, result.stderr
    assert "with every quote found verbatim" in result.stderr


def _quotes(kb: KnowledgeBase) -> list[str]:
    found: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, dict):
            for key in ("quote", "attribution"):  # an attribution is the article's words too
                if isinstance(value.get(key), str):
                    found.append(fold_space(value[key]))
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for record in (kb.get(i) for i in kb.all_ids()):
        walk(record.data)
    return found


def _covered(article: str, quotes: list[str]) -> list[bool]:
    covered = [False] * len(article)
    for quote in set(quotes):
        start = article.find(quote)
        while start != -1:
            covered[start : start + len(quote)] = [True] * len(quote)
            start = article.find(quote, start + 1)
    return covered


def test_quotes_cite_the_article_without_storing_it(kb: KnowledgeBase, article: str) -> None:
    body_start, body_end = article.index("(Written by"), article.index("Source: China-ASEAN Panorama")
    covered = _covered(article, _quotes(kb))[body_start:body_end]
    share = sum(covered) / len(covered)
    longest = max(len(run) for run in "".join("x" if c else " " for c in covered).split())
    assert share <= 0.62, f"quotes cover {share:.0%} of the article body"
    assert longest <= 250, f"quotes reassemble {longest} consecutive characters of the article"
    assert max(len(q) for q in _quotes(kb)) <= 300


def test_no_tracked_file_holds_a_long_passage_of_the_article(article: str) -> None:
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    windows = {article[i : i + 310] for i in range(0, max(1, len(article) - 310), 50)}
    for name in files:
        path = ROOT / name
        if path.suffix in (".png", ".whl") or not path.is_file():
            continue
        text = fold_space(path.read_text(encoding="utf-8", errors="replace"))
        assert not any(window in text for window in windows), f"{name} holds a long passage of the article"


# -- completeness: the article's facts are all there ----------------------------------------------------------

PROJECTS = {
    "China-Laos Railway",
    "China-Thailand Railway",
    "Jakarta-Bandung High-Speed Railway",
    "eastern coastal railway",
    "Phnom Penh Sihanouk Port expressway",
    "China-Malaysia Qinzhou Industrial Park",
    "Malaysia-China Kuantan Industrial Park",
    "Alliance Steel",
    "SAIC GM Wuling",
    "China-Cambodia agricultural promotion center",
    "Brunei Muara Port",
}


def test_every_named_project_is_a_project(kb: KnowledgeBase) -> None:
    names = [r.name for r in kb.of_kind("project")]
    for expected in PROJECTS:
        assert any(expected.lower() in name.lower() for name in names), expected


def test_progress_figures_of_the_article(kb: KnowledgeBase) -> None:
    laos = kb.get("china-laos-railway")
    assert isinstance(laos, Project)
    assert {(p.metric, p.value, p.unit, p.as_of, p.reported) for p in laos.progress if p.source == ARTICLE} == {
        ("overall", 54, "percent", None, "2021-03-04"),  # undated in the article: reported, not as of
        ("track-laying", 40, "percent", None, "2021-03-04"),
    }
    jakarta = kb.get("jakarta-bandung-high-speed-railway")
    assert isinstance(jakarta, Project)
    (civil,) = [p for p in jakarta.progress if p.source == ARTICLE]
    assert (civil.value, civil.unit, civil.qualifier) == (70, "percent", "about")


# -- later reports: the article's projects brought up to date ---------------------------------------------------

#: No public report of a later stage was found for these (their notes say so).
NOTHING_LATER = {"china-cambodia-agricultural-promotion-center"}


def _reports(kb: KnowledgeBase) -> set[str]:
    return {s.id for s in kb.of_kind("source") if s.get("type") == "report"}


def test_every_project_of_the_article_has_a_later_report_or_says_why_not(kb: KnowledgeBase) -> None:
    reports = _reports(kb)
    projects = [r for r in kb.of_kind("project") if isinstance(r, Project) and r.get("name")]
    assert len(projects) == 11
    for project in projects:
        observed = {e.source for o in [*project.status_history, *project.progress] for e in o.evidence}
        if project.id in NOTHING_LATER:
            assert not observed & reports and "No public report" in (project.notes or ""), project.id
        else:
            assert observed & reports, f"{project.id}: no observation from a later report"
            assert ARTICLE in observed, f"{project.id}: the article's observations stay as history"


def test_report_sources_are_cited_by_address_only(kb: KnowledgeBase) -> None:
    reports = [s for s in kb.of_kind("source") if s.get("type") == "report"]
    assert len(reports) >= 11
    for source in reports:
        assert source.get("url", "").startswith("http") and "file" not in source.data, source.id
        assert source.get("title") and source.get("publisher") and source.get("date"), source.id
    for record in (kb.get(i) for i in kb.all_ids()):
        assert record is not None
        observations = [*record.get("status", ()), *record.get("progress", ())]
        for item in [*record.get("evidence", ()), *(e for o in observations for e in o["evidence"])]:
            if item["source"] in {s.id for s in reports}:
                assert set(item) == {"source", "url"} and item["url"].startswith("http"), (record.id, item)


def test_the_china_laos_railway_is_open_and_its_2021_status_stays_as_history(kb: KnowledgeBase) -> None:
    laos = kb.get("china-laos-railway")
    assert isinstance(laos, Project)
    history = [(o.value, o.as_of, o.source) for o in laos.status_history]
    assert history[0] == ("under-construction", None, ARTICLE)
    assert ("operational", "2021-12-03", "cgtn-2021-12-04") in history
    assert laos.status is not None and laos.status.value == "operational"


def test_where_reports_disagree_both_observations_say_so(kb: KnowledgeBase) -> None:
    disagreeing: dict[str, int] = {}
    for project in kb.of_kind("project"):
        assert isinstance(project, Project)
        for observation in [*project.status_history, *project.progress]:
            if "disagree" in (observation.notes or ""):
                disagreeing[project.id] = disagreeing.get(project.id, 0) + 1
    assert {"jakarta-bandung-high-speed-railway", "malaysia-eastern-coastal-railway"} <= set(disagreeing)
    assert all(count >= 2 for name, count in disagreeing.items() if name != "china-thailand-railway-phase-one")


# -- region-wide records and attributed words -------------------------------------------------------------------


@pytest.mark.parametrize(
    "record_id",
    [
        "rcep",
        "china-asean-free-trade-area",
        "china-asean-joint-declaration-production-capacity-cooperation",
        "china-asean-dialogue-relations",
        "asean-development-plan",
        "china-asean-production-capacity-investment-cooperation-forum",
        "china-asean-fta-10th-anniversary",
        "china-asean-dialogue-30th-anniversary",
        "asean",
    ],
)
def test_region_wide_records_name_the_region(kb: KnowledgeBase, record_id: str) -> None:
    record = kb.get(record_id)
    assert record is not None and record.get("regions") == ["asean"], record_id


def test_a_persons_words_hold_no_attribution(kb: KnowledgeBase) -> None:
    said = re.compile(r"\b(said|According to|put forward)\b")
    for statement in kb.of_kind("statement"):
        if statement.get("person") is None:
            continue  # narration: the source's own words, quotation marks and all
        for evidence in statement.evidence:
            assert evidence.quote is None or not said.search(evidence.quote), (statement.id, evidence.quote)
            assert evidence.quote is None or "”" not in evidence.quote, (statement.id, evidence.quote)
    by_id = {s.id: [e.attribution for e in s.evidence if e.attribution] for s in kb.of_kind("statement")}
    assert by_id["qin-rupei-on-win-win-cooperation"] == ["said Qin Rup"]
    assert by_id["ning-jizhe-on-steady-progress"] == ["According to Ning Jizhe"]
    assert by_id["qin-rupei-on-guangxi-overseas-investment"] == ["said Qin Rupei"]


@pytest.mark.parametrize("value", [54, 40, 70, 3.5, 32, 80, 15, 10, 30, 17, 5, 4])
def test_every_number_is_a_figure(kb: KnowledgeBase, value: float) -> None:
    assert any(r.get("value") == value for r in kb.of_kind("figure")), value


@pytest.mark.parametrize("country", ["cambodia", "laos", "malaysia", "myanmar", "philippines", "singapore", "vietnam"])
def test_an_agreement_with_each_named_country(kb: KnowledgeBase, country: str) -> None:
    assert any(
        r.get("type") == "bilateral-agreement" and country in r.get("countries", ()) for r in kb.of_kind("agreement")
    ), country


def test_frameworks_and_dates(kb: KnowledgeBase) -> None:
    names = " | ".join(r.name for r in kb.of_kind("agreement"))
    for expected in (
        "Joint Declaration",
        "Regional Comprehensive Economic Partnership",
        "Free Trade Area",
        "Belt and Road",
        "Lancang-Mekong",
        "eastern",
    ):
        assert expected.lower() in names.lower(), expected
    rcep = kb.get("rcep")
    assert rcep is not None and rcep.get("date") == "2020-11-15" and rcep.get("signatories") == 15
    dates = {r.get("date") for r in kb.of_kind("event")}
    assert {"2020-11-15", "2020-07", "2020", "2021"} <= dates


def test_four_aspects_in_order_with_actions(kb: KnowledgeBase) -> None:
    aspects = sorted(kb.of_kind("aspect"), key=lambda r: r.get("number"))
    assert [a.get("number") for a in aspects] == [1, 2, 3, 4]
    assert all(len(a.get("actions")) >= 4 for a in aspects)
    assert len(kb.of_kind("action")) >= 35


def test_people_roles_and_statements(kb: KnowledgeBase) -> None:
    ning, qin = kb.get("ning-jizhe"), kb.get("qin-rupei")
    assert ning is not None and qin is not None
    titles = [role["title"] for role in ning.get("roles")]
    assert any(t.startswith("Deputy Director") for t in titles) and any(t.startswith("Director") for t in titles)
    assert any("Executive Vice Governor" in role["title"] for role in qin.get("roles"))
    speakers = {r.get("person") for r in kb.of_kind("statement")}
    assert {"ning-jizhe", "qin-rupei"} <= speakers


@pytest.mark.parametrize("kind", ["project", "person", "organisation"])
def test_names_are_the_articles_own(kb: KnowledgeBase, article: str, kind: str) -> None:
    folded = article.lower()
    for record in kb.of_kind(kind):
        assert fold_space(record.name).lower() in folded, f"{record.id}: {record.name!r} is not the article's name"


def test_general_knowledge_stays_out_of_names(kb: KnowledgeBase) -> None:
    ecrl = kb.get("malaysia-eastern-coastal-railway")
    assert ecrl is not None
    assert "East Coast Rail Link" in ecrl.aliases and "East Coast Rail Link" not in ecrl.name
    assert "中老铁路" in kb.get("china-laos-railway").aliases  # type: ignore[union-attr]


def test_timor_leste_is_a_member(kb: KnowledgeBase) -> None:
    members = {r.get("iso2") for r in kb.of_kind("country") if r.get("asean_member")}
    assert members == {"BN", "KH", "ID", "LA", "MY", "MM", "PH", "SG", "TH", "TL", "VN"}


def test_ids_are_kebab_case_everywhere(kb: KnowledgeBase) -> None:
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", record_id) for record_id in kb.all_ids())


def _prose(kb: KnowledgeBase) -> str:
    """Every text field but the quotes: summaries, action texts, names, notes, titles."""
    found: list[str] = []

    def walk(value: object, key: str | None = None) -> None:
        if isinstance(value, dict):
            for child_key, item in value.items():
                walk(item, child_key)
        elif isinstance(value, list):
            for item in value:
                walk(item, key)
        elif isinstance(value, str) and key != "quote":
            found.append(fold_space(value))

    for record in (kb.get(i) for i in kb.all_ids()):
        walk(record.data)
    return "\n".join(found)


def test_prose_fields_paraphrase_rather_than_copy(kb: KnowledgeBase, article: str) -> None:
    prose = _prose(kb)
    body_start, body_end = article.index("(Written by"), article.index("Source: China-ASEAN Panorama")
    window = 40
    copied = [False] * len(article)
    for start in range(body_start, body_end - window):
        if article[start : start + window] in prose:
            copied[start : start + window] = [True] * window
    share = sum(copied[body_start:body_end]) / (body_end - body_start)
    assert share <= 0.12, f"summaries, texts and notes copy {share:.0%} of the article body"


def test_missing_sources_fail_rather_than_skip_in_ci(tmp_path: Path) -> None:
    import os
    import sys

    env = {**os.environ, "CI": "true", "CCA_SOURCES": str(tmp_path / "nowhere")}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            f"{Path(__file__)}::test_every_quote_is_verbatim_in_its_source",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 1, result.stdout
    assert "source texts missing" in result.stdout and "1 error" in result.stdout
