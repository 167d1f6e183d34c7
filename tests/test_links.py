"""Links between sources (issues 17 and 20): confirm and reject them, suggestions that rank right, at a bounded cost."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cca.core import schema as cca_schema
from cca.io import yaml as reader

# -- a file holding only `updates:` is a knowledge file ---------------------------------------------------

ONLY_UPDATES = {
    "block": "updates:\n  - id: china-laos-railway\n    same_as: [aiddata-990001]\n",
    "flow": "updates: [{id: china-laos-railway, same_as: [aiddata-990001]}]\n",
}


@pytest.mark.parametrize("layout", sorted(ONLY_UPDATES))
def test_format_is_optional_for_both_readers_and_the_schema(layout: str) -> None:
    text = ONLY_UPDATES[layout]
    document = reader.parse(text, "links.yaml")
    assert cca_schema.validate(document, "links.yaml") == []
    items: list[Any] = []
    if layout == "block":  # the fast reader takes it as it is (a flow list goes to the reference reader)
        skeleton = reader.parse_items_fast(text, lambda *a: items.append(a[2]))
        assert skeleton == {"updates": []} and items == document["updates"]
        assert cca_schema.FastCheck(cca_schema.knowledge_schema()).item("updates", items[0])
    else:
        with pytest.raises(reader.Unsuitable):
            reader.parse_items_fast(text, lambda *a: items.append(a[2]))


def test_a_wrong_format_is_still_refused() -> None:
    problems = cca_schema.validate(reader.parse("format: 2\nupdates: []\n", "k.yaml"), "k.yaml")
    assert [p.message for p in problems] == ["format: 2 is not one of: 1"]


# -- the fixture import ----------------------------------------------------------------------------------

FIXTURES = Path(__file__).parent / "fixtures" / "aiddata"
SAMPLE = FIXTURES / "gcdf3_sample.csv"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def imported(cca: Any, data_dir: Path) -> Any:
    """The sample imported with every recipient; returns a runner with the data directory set."""
    result = cca("--data-dir", str(data_dir), "import", "aiddata", str(SAMPLE), "--all")
    assert result.exit_code == 0, result.stderr

    def run(*args: str, env: dict[str, str] | None = None) -> Any:
        return cca("--data-dir", str(data_dir), *args, env=env)

    return run


def _linked(run: Any, record: str) -> list[str]:
    shown = run("show", record, "--format", "plain").stdout
    part = shown.split("== The same project in other sources\n", 1)
    return [line.split(":", 1)[0] for line in part[1].split("\n\n", 1)[0].splitlines()] if len(part) > 1 else []


def test_the_hint_as_written_links_and_removing_it_unlinks(imported: Any, data_dir: Path) -> None:
    """The line the old hint printed is a valid file; deleting it takes the link away (the cache forgets it)."""
    links = data_dir / "links.yaml"
    links.write_text(
        ONLY_UPDATES["flow"].replace(
            "china-laos-railway, same_as: [aiddata-990001]", "aiddata-990002, same_as: [china-laos-railway]"
        )
    )
    assert imported("validate").exit_code == 0
    assert _linked(imported, "china-laos-railway") == ["aiddata-990002", "total"]
    links.unlink()
    assert _linked(imported, "china-laos-railway") == []
    assert "aiddata-990002" in {s["candidate"] for s in imported("link", "suggest", "--json").json()}


# -- rejected_same_as: declared, checked, never shown as a fact ------------------------------------------


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        (
            "  - id: china-laos-railway\n    rejected_same_as: [china-laos-railway]\n",
            "links.yaml:3:24: rejected_same_as: 'china-laos-railway' is this record itself: rejected_same_as names "
            "another source's record",
        ),
        (
            "  - id: china-laos-railway\n    rejected_same_as: [aiddata-99001]\n",
            "links.yaml:3:24: rejected_same_as: unknown project 'aiddata-99001' (did you mean 'aiddata-990012'?)",
        ),
        (
            "  - id: china-laos-railway\n    same_as: [aiddata-990001]\n"
            "  - id: aiddata-990001\n    rejected_same_as: [china-laos-railway]\n",
            "links.yaml:5:24: rejected_same_as: 'china-laos-railway' is also linked to 'aiddata-990001' as the same "
            "project (same_as): keep one",
        ),
    ],
    ids=["itself", "unknown", "confirmed"],
)
def test_rejections_are_checked(imported: Any, data_dir: Path, entries: str, message: str) -> None:
    (data_dir / "links.yaml").write_text("updates:\n" + entries)
    result = imported("validate")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [f"{data_dir / message}", "cca: 1 problem in the knowledge files"]


def test_a_rejection_is_no_field_of_the_record(imported: Any, data_dir: Path) -> None:
    (data_dir / "links.yaml").write_text(
        "updates:\n  - id: china-laos-railway\n    rejected_same_as: [aiddata-990001]\n"
    )
    shown = imported("show", "china-laos-railway", "--json").json()
    assert "rejected_same_as" not in json.dumps(shown)
    assert _linked(imported, "china-laos-railway") == []


def test_the_library_lists_references_where_they_are_written(tmp_path: Path, data_dir: Path, cca: Any) -> None:
    import cca as cca_lib
    from cca.core.settings import Settings

    assert cca("--data-dir", str(data_dir), "import", "aiddata", str(SAMPLE)).exit_code == 0
    (data_dir / "links.yaml").write_text(
        "# mine\nupdates:\n  - id: china-laos-railway\n    same_as: [aiddata-990001]\n"
        "  - id: china-laos-railway\n    rejected_same_as: [aiddata-990011]\n"
    )
    kb = cca_lib.load(settings=Settings(data_dir=data_dir))
    (confirmed,) = kb.through("same_as[]")
    (rejected,) = kb.through("rejected_same_as[]")
    assert (confirmed.source, confirmed.target, str(confirmed.origin.defined_at)) == (
        "china-laos-railway",
        "aiddata-990001",
        "links.yaml:3:5",
    )
    assert (rejected.source, rejected.target, rejected.origin.defined_at) == (
        "china-laos-railway",
        "aiddata-990011",
        "links.yaml:5:5",
    )


# -- suggestions that rank right ------------------------------------------------------------------------

#: Invented rows in GCDF 3.0's 126-column layout (the sample's header), with titles in AidData's style.
MALAYSIA = FIXTURES / "gcdf3_links.csv"
ECRL, PARK, QINZHOU, STEEL = (
    "malaysia-eastern-coastal-railway",
    "malaysia-china-kuantan-industrial-park",
    "china-malaysia-qinzhou-industrial-park",
    "alliance-steel-plant",
)


@pytest.fixture
def malaysia(cca: Any, data_dir: Path) -> Any:
    result = cca("--data-dir", str(data_dir), "import", "aiddata", str(MALAYSIA))
    assert result.exit_code == 0, result.stderr

    def run(*args: str, env: dict[str, str] | None = None) -> Any:
        return cca("--data-dir", str(data_dir), *args, env=env)

    return run


def _scored(run: Any, *args: str) -> dict[tuple[str, str], dict[str, Any]]:
    return {(s["curated"], s["candidate"]): s for s in run("link", "suggest", *args, "--json").json()}


def test_the_header_is_the_datasets(malaysia: Any) -> None:
    assert (
        MALAYSIA.read_text(encoding="utf-8").split("\n", 1)[0] == SAMPLE.read_text(encoding="utf-8").split("\n", 1)[0]
    )


def test_the_real_cases_rank_right(malaysia: Any) -> None:
    everything = _scored(malaysia, "--min-score", "0")
    suggested = {
        (ECRL, "aiddata-991001"),  # East Coast Rail Link (ECRL): the alias, every word
        (ECRL, "aiddata-991002"),  # ECRL Phase 2: the acronym
        (PARK, "aiddata-991003"),  # the park's infrastructure
        (PARK, "aiddata-991004"),  # its phase 2
        (STEEL, "aiddata-991007"),  # ICBC provides loan for Alliance Steel integrated steel plant in Kuantan
        (STEEL, "aiddata-991008"),  # a steel plant loan received by Alliance Steel (M) Sdn. Bhd.
    }
    assert set(_scored(malaysia)) == suggested
    assert {pair: s["score"] for pair, s in everything.items() if pair in suggested} == dict.fromkeys(suggested, 100)
    # the Qinzhou park is in Guangxi: no dataset row of China's finance abroad is compared with it (was 75)
    assert not [pair for pair in everything if pair[0] == QINZHOU]
    # two mask donations name the park (were 100): a health grant is no industrial park
    for mask in ("aiddata-991005", "aiddata-991006"):
        assert everything[(PARK, mask)]["score"] == 25
        assert "sector: health, unrelated to industrial-parks (\u221250)" in everything[(PARK, mask)]["reasons"]
    # a property developer's loan shares only 'Sdn. Bhd.' with Alliance Steel (was 60): no candidate
    assert not [pair for pair in everything if pair[1] == "aiddata-991009"]
    # another Malaysian railway shares one word with the article's name for the ECRL
    assert everything[(ECRL, "aiddata-991010")]["score"] == 56


def test_reasons_say_what_each_part_gave(malaysia: Any) -> None:
    everything = _scored(malaysia, "--min-score", "0")
    assert everything[(STEEL, "aiddata-991008")]["reasons"] == [
        "country: Malaysia (required)",
        "name: 2 of 2 telling words of 'Alliance Steel (M) Sdn. Bhd.' (+50)",  # from the receiving agency
        "sector: industry holds steel (+25)",
    ]
    assert everything[(PARK, "aiddata-991003")]["reasons"] == [
        "country: Malaysia (required)",
        "name: 3 of 3 telling words of 'Malaysia-China Kuantan Industrial Park' (+50)",
        "sector: industry holds industrial-parks (+25)",
        "place: Kuantan named (+25)",
    ]
    assert everything[(ECRL, "aiddata-991010")]["reasons"][1:] == [
        "name: 1 of 3 telling words of 'Malaysia\u2019s eastern coastal railway' (+17)",
        "sector: transport holds railway (+25)",
    ]


def test_another_place_named_outweighs_the_name(malaysia: Any, data_dir: Path) -> None:
    """Were the Qinzhou park compared with a Kuantan row, the places would tell them apart."""
    import cca as cca_lib
    from cca.core.links import Scorer
    from cca.core.settings import Settings

    kb = cca_lib.load(settings=Settings(data_dir=data_dir))
    scorer = Scorer(kb)
    qinzhou = scorer.profile(kb.get(QINZHOU))
    assert qinzhou.partners == ()  # its place is in China
    kuantan_row = kb.get("aiddata-991003")
    assert kuantan_row is not None
    match = scorer.score(qinzhou._replace(partners=("malaysia",)), scorer.row(kuantan_row))
    assert match.score == 8 and "place: names Kuantan, not Qinzhou (\u221250)" in match.reasons


def test_a_common_word_alone_counts_half(imported: Any) -> None:
    suggested = _scored(imported)
    assert suggested[("china-laos-railway", "aiddata-990001")]["reasons"][1] == (
        "name: 3 of 3 telling words of 'Boten\u2013Vientiane railway' (+50)"
    )
    assert suggested[("china-laos-railway", "aiddata-990002")]["reasons"][1] == (
        "name: 1 of 1 telling words of '中老铁路' (+50)"
    )
    import cca as cca_lib
    from cca.core.links import Scorer

    scorer = Scorer(cca_lib.load())
    (name,) = [n for n in scorer.profile(scorer.kb.get("china-laos-railway")).names if n.text == "China-Laos Railway"]
    assert (name.words, name.out_of) == ({"railway"}, 2)


# -- bounded cost: score computations follow the candidates found ------------------------------------------

COUNTRIES = ("laos", "cambodia", "indonesia", "malaysia", "myanmar", "philippines", "thailand", "vietnam")


def _world(path: Path, curated: int, rows: int, extra: int = 0, filler: str = "Road") -> Path:
    """Curated projects, each named by a word of its own and a shared one (Aqueduct or Waterworks), and
    dataset rows of which two name each project's own word; the rest (and ``extra`` more) are named
    ``Filler<n> <filler>``."""
    from cca.io.formats import knowledge_text

    row_source = {"source": "test-gcdf", "record": ""}
    document: dict[str, Any] = {
        "sources": [
            {"id": "test-article", "title": "T", "publisher": "P", "date": "2021-03-04"},
            {
                "id": "test-gcdf",
                "title": "D",
                "publisher": "P",
                "date": "2023-11-06",
                "dataset": {
                    "name": "D",
                    "importer": "aiddata",
                    "file": "d.csv",
                    "sha256": "0" * 64,
                    "rows": rows + extra,
                    "imported": "2024-01-01",
                    "licence": "ODC-By",
                },
            },
        ],  # fmt: skip
        "projects": [],
    }
    quote = [{"source": "test-article", "quote": "q"}]
    for i in range(curated):
        document["projects"].append(
            {"id": f"curated-{i}", "name": f"Zeta{i} Aqueduct" if i % 2 else f"Zeta{i} Waterworks",
             "type": "other", "countries": ["china", COUNTRIES[i % len(COUNTRIES)]], "sectors": ["transport"],
             "status": [{"value": "planned", "evidence": quote}], "evidence": quote},
        )  # fmt: skip
    titles = [
        (f"China Eximbank provides loan for Zeta{i} Works", COUNTRIES[i % len(COUNTRIES)]) for i in range(curated)
    ]
    titles += titles  # two rows of each project
    titles += [
        (f"CDB provides loan for Filler{j} {filler}", COUNTRIES[j % len(COUNTRIES)]) for j in range(rows + extra)
    ]
    for number, (title, country) in enumerate(titles[: rows + extra]):
        locator = {**row_source, "record": str(number)}
        document["projects"].append(
            {"id": f"row-{number}", "name": title, "type": "loan", "countries": ["china", country],
             "sectors": ["transport"], "status": [{"value": "completed", "as_of": "2023-11-06",
                                                   "evidence": [locator]}],
             "dataset": {"source": "test-gcdf", "record": str(number)}, "evidence": [locator]},
        )  # fmt: skip
    path.write_text(knowledge_text(document), encoding="utf-8")
    return path


def _counted(monkeypatch: pytest.MonkeyPatch, path: Path) -> tuple[int, int]:
    """(score computations, suggestions) of link suggest over the bundled knowledge and ``path``."""
    import cca as cca_lib
    from cca.core import links

    calls = [0]
    score = links.Scorer.score

    def counting(self: links.Scorer, profile: links.Profile, row: links.Row) -> links.Match:
        calls[0] += 1
        return score(self, profile, row)

    monkeypatch.setattr(links.Scorer, "score", counting)
    found = links.suggest(cca_lib.load(extra=[path]))
    return calls[0], len([s for s in found if s.curated.startswith("curated-")])


def test_score_computations_follow_the_candidates_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    curated, rows = 300, 3000
    calls, suggested = _counted(monkeypatch, _world(tmp_path / "k.yaml", curated, rows))
    assert suggested == 2 * curated  # each project's two rows, and nothing else
    assert calls == 2 * curated  # one computation per candidate: not curated × rows (900,000)
    more, _ = _counted(monkeypatch, _world(tmp_path / "k2.yaml", curated, rows, extra=3000))
    assert more == calls  # twice the rows, no more candidates: no more work
    # rows that share the word Aqueduct are candidates of every Aqueduct project in their country
    shared, _ = _counted(monkeypatch, _world(tmp_path / "k3.yaml", curated, rows, filler="Aqueduct"))
    fillers = [COUNTRIES[j % len(COUNTRIES)] for j in range(rows - 2 * curated)]
    aqueducts = [COUNTRIES[i % len(COUNTRIES)] for i in range(curated) if i % 2]
    assert shared == 2 * curated + sum(fillers.count(country) for country in aqueducts)


# -- confirm, reject, list --------------------------------------------------------------------------------


def test_confirm_writes_links_yaml_and_show_adds_up_the_loans(imported: Any, data_dir: Path) -> None:
    confirmed = imported("link", "confirm", "china-laos-railway", "aiddata-990001", "aiddata-990002")
    assert (confirmed.exit_code, confirmed.stdout) == (0, "")
    assert confirmed.stderr == (
        "cca: note: confirmed: aiddata-990001, aiddata-990002 are the same project as china-laos-railway; "
        f"written to {data_dir / 'links.yaml'}\n"
    )
    text = (data_dir / "links.yaml").read_text(encoding="utf-8")
    assert text.endswith("updates:\n  - id: china-laos-railway\n    same_as: [aiddata-990001, aiddata-990002]\n")
    assert text.startswith("# Links between curated projects and dataset records")
    assert _linked(imported, "china-laos-railway") == ["aiddata-990001", "aiddata-990002", "total"]
    assert "US$ 2.24 bn (2021 USD)" in imported("show", "china-laos-railway", "--format", "plain").stdout
    assert ("china-laos-railway", "aiddata-990001") not in _scored(imported)
    assert imported("link", "list", "--json").json() == [
        {
            "curated": "china-laos-railway",
            "state": "confirmed",
            "record": record,
            "record_name": name,
            "defined_at": "links.yaml:5:5",
        }
        for record, name in (
            ("aiddata-990001", imported("show", "aiddata-990001", "--json").json()["record"]["name"]),
            ("aiddata-990002", "中老铁路项目贷款（机车车辆采购）"),
        )
    ]


def test_reject_is_remembered_and_never_suggested_again(imported: Any, data_dir: Path) -> None:
    rejected = imported("link", "reject", "jakarta-bandung-high-speed-railway", "aiddata-990003")
    assert rejected.exit_code == 0
    assert rejected.stderr == (
        "cca: note: rejected: aiddata-990003 is not jakarta-bandung-high-speed-railway (never suggested again); "
        f"written to {data_dir / 'links.yaml'}\n"
    )
    assert "jakarta-bandung-high-speed-railway" not in {c for c, _ in _scored(imported, "--min-score", "0")}
    assert _linked(imported, "jakarta-bandung-high-speed-railway") == []
    listed = imported("link").stdout  # in a pipe: plain
    assert listed.startswith("jakarta-bandung-high-speed-railway\trejected\taiddata-990003\tCDB provides")
    assert listed.endswith("\tlinks.yaml:5:5\n")


def test_deciding_again_says_so_and_the_other_way_is_refused(imported: Any, data_dir: Path) -> None:
    assert imported("link", "confirm", "china-laos-railway", "aiddata-990001").exit_code == 0
    assert imported("link", "reject", "china-laos-railway", "aiddata-990011").exit_code == 0
    before = (data_dir / "links.yaml").read_bytes()
    again = imported("link", "confirm", "china-laos-railway", "aiddata-990001")
    assert (again.exit_code, again.stderr) == (
        0,
        f"cca: note: already confirmed: china-laos-railway same_as aiddata-990001 ({data_dir / 'links.yaml'}:5:5)\n",
    )
    undo = imported("link", "reject", "china-laos-railway", "aiddata-990001")
    assert (undo.exit_code, undo.stderr) == (
        2,
        f"cca: aiddata-990001 is confirmed for china-laos-railway already ({data_dir / 'links.yaml'}:5:5): "
        "remove that link there first to make it rejected\n",
    )
    redo = imported("link", "confirm", "china-laos-railway", "aiddata-990002", "aiddata-990011")
    assert (redo.exit_code, redo.stderr) == (
        2,
        f"cca: aiddata-990011 is rejected for china-laos-railway already ({data_dir / 'links.yaml'}:7:5): "
        "remove that rejection there first to make it confirmed\n",
    )
    assert (data_dir / "links.yaml").read_bytes() == before  # all or nothing: 990002 was not written either
    mixed = imported("link", "confirm", "china-laos-railway", "aiddata-990001", "aiddata-990002")
    assert mixed.exit_code == 0 and mixed.stderr.count("\n") == 2
    assert (data_dir / "links.yaml").read_text().endswith("  - id: china-laos-railway\n    same_as: [aiddata-990002]\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("aiddata-990001", "china-laos-railway"),
            "aiddata-990001 is a dataset row, not a curated project: name the curated project first "
            "(cca link confirm CURATED RECORD...)",
        ),
        (
            ("china-laos-railwy", "aiddata-990001"),
            "no curated project 'china-laos-railwy' \u2014 did you mean china-laos-railway? (see: cca projects)",
        ),
        (("rcep", "aiddata-990001"), "rcep is an agreement, not a project"),
        (
            ("china-laos-railway", "aiddata-990001x"),
            "no dataset record 'aiddata-990001x' \u2014 did you mean aiddata-990001 or aiddata-990012 or "
            "aiddata-990011? (see: cca link suggest)",
        ),
        (
            ("china-laos-railway", "jakarta-bandung-high-speed-railway"),
            "jakarta-bandung-high-speed-railway is a curated project, not a dataset record",
        ),
        (
            ("china-laos-railway",),
            "cca link confirm needs a curated project and one or more dataset records: CURATED RECORD...",
        ),  # fmt: skip
    ],
    ids=["row-first", "typo", "not-a-project", "unknown-record", "curated-as-record", "no-record"],
)
def test_ids_are_checked_before_anything_is_written(
    imported: Any, data_dir: Path, args: tuple[str, ...], message: str
) -> None:
    result = imported("link", "confirm", *args)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"cca: {message}\n")
    assert not (data_dir / "links.yaml").exists()


def test_list_and_suggest_take_no_ids(imported: Any) -> None:
    empty = imported("link")
    assert (empty.exit_code, empty.stdout) == (0, "")
    assert empty.stderr == "cca: note: no link is confirmed or rejected yet; see cca link suggest\n"
    extra = imported("link", "suggest", "china-laos-railway")
    assert (extra.exit_code, extra.stderr) == (
        2,
        "cca: cca link suggest takes no ids (cca link confirm CURATED RECORD... does)\n",
    )
    bad = imported("link", "approve")
    assert bad.exit_code == 2 and "approve" in bad.stderr and "Traceback" not in bad.stderr


def test_the_suggestions_say_how_to_confirm(imported: Any) -> None:
    table = imported("link", "suggest", "--format", "table", env={"COLUMNS": "200"}).stdout
    caption = "Confirm one: cca link confirm china-laos-railway aiddata-990001; rule one out: cca link reject "
    assert caption + "china-laos-railway aiddata-990001\n" in table
    assert "Why" in table and "sector: transport holds high-speed-rail (+25)" in table
    plain = imported("link", "suggest", "--format", "plain").stdout
    assert "\tname: 5 of 5 telling words of 'Jakarta-Bandung High-Speed Railway' (+50); sector: " in plain


# -- the user's file is theirs -------------------------------------------------------------------------------

MINE = """\
# my links, checked against the loan agreements
format: 1
updates:
  - id: china-laos-railway   # the 2016 loan
    same_as: [aiddata-990001]
    notes: |
      Checked by hand.

  # - id: china-laos-railway
  #   same_as: [aiddata-990002]   (not sure yet)
# sources I may add later
"""


def test_confirm_keeps_every_line_of_the_users_file(imported: Any, data_dir: Path) -> None:
    path = data_dir / "links.yaml"
    path.write_text(MINE, encoding="utf-8")
    path.chmod(0o600)
    assert imported("link", "reject", "china-laos-railway", "aiddata-990002").exit_code == 0
    lines = MINE.splitlines(keepends=True)
    assert path.read_text(encoding="utf-8") == "".join(
        [*lines[:8], "  - id: china-laos-railway\n", "    rejected_same_as: [aiddata-990002]\n", *lines[8:]]
    )
    assert path.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in data_dir.iterdir()) == [
        ".cca-import.lock",
        ".cca-imports.json",
        "aiddata.jsonl",
        "links.yaml",
    ]  # no temporary left


def test_confirm_adds_to_the_hints_one_line_file(imported: Any, data_dir: Path) -> None:
    path = data_dir / "links.yaml"
    path.write_text(ONLY_UPDATES["flow"], encoding="utf-8")
    assert imported("link", "confirm", "china-laos-railway", "aiddata-990002").exit_code == 0
    assert path.read_text(encoding="utf-8") == (
        "updates: [{id: china-laos-railway, same_as: [aiddata-990001]}, "
        "{id: china-laos-railway, same_as: [aiddata-990002]}]\n"
    )
    assert _linked(imported, "china-laos-railway") == ["aiddata-990001", "aiddata-990002", "total"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("format: 1\n", "format: 1\nupdates:\n  - id: a\n    same_as: [b]\n"),
        ("format: 1", "format: 1\nupdates:\n  - id: a\n    same_as: [b]\n"),
        (
            "updates:\n- id: x\n  same_as: [y]\n# end\n",
            "updates:\n- id: x\n  same_as: [y]\n- id: a\n  same_as: [b]\n# end\n",
        ),
        (
            "updates:\n  - id: x\n    same_as:\n      - y\nsources: []\n",
            "updates:\n  - id: x\n    same_as:\n      - y\n  - id: a\n    same_as: [b]\nsources: []\n",
        ),
        ("updates: []  # none yet\n", "updates: [{id: a, same_as: [b]}]  # none yet\n"),
    ],
    ids=["no-list", "no-newline", "unindented", "nested-block", "empty-flow"],
)
def test_an_entry_goes_where_the_list_ends(text: str, expected: str) -> None:
    from cca.io.linkfile import appended

    assert appended(text, [{"id": "a", "same_as": ["b"]}], "k.yaml") == expected


def test_a_layout_it_cannot_keep_is_left_alone() -> None:
    from cca.core.errors import CcaError
    from cca.io.linkfile import _checked, appended, scalar

    with pytest.raises(CcaError, match="its top level is not a block mapping: add it by hand"):
        appended("{updates: []}\n", [{"id": "a", "same_as": ["b"]}], "k.yaml")
    with pytest.raises(CcaError, match="cannot add to without changing what it says"):
        _checked("updates: []\n", "updates: [{id: a}]\n", [{"id": "a", "same_as": ["b"]}], "k.yaml")
    assert [scalar(v) for v in ("aiddata-1", "123", "yes", "1e5")] == ["aiddata-1", '"123"', '"yes"', '"1e5"']


def test_it_refuses_where_it_may_not_write(imported: Any, data_dir: Path, tmp_path: Path) -> None:
    off = imported("--no-data-dir", "link", "confirm", "china-laos-railway", "aiddata-990001")
    assert (off.exit_code, off.stderr) == (
        2,
        "cca: links are written to your knowledge directory, which --no-data-dir (or CCA_NO_DATA_DIR) turns off\n",
    )
    elsewhere = tmp_path / "elsewhere.yaml"
    elsewhere.write_text("updates: []\n")
    (data_dir / "links.yaml").symlink_to(elsewhere)
    linked = imported("link", "confirm", "china-laos-railway", "aiddata-990001")
    assert (linked.exit_code, linked.stderr) == (
        2,
        f"cca: {data_dir / 'links.yaml'} is a symbolic link: cca writes only regular files\n",
    )
    assert elsewhere.read_text() == "updates: []\n"
    (data_dir / "links.yaml").unlink()
    (data_dir / "links.yaml").mkdir()
    directory = imported("link", "reject", "china-laos-railway", "aiddata-990001")
    assert directory.exit_code == 1  # the loader refuses it before the command runs
    assert directory.stderr.startswith(f"{data_dir / 'links.yaml'}:1:1: is a directory, not a regular file\n")


def test_an_unwritable_directory_is_status_73(imported: Any, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno
    import tempfile

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    result = imported("link", "confirm", "china-laos-railway", "aiddata-990001")
    assert (result.exit_code, result.stderr) == (
        73,
        f"cca: cannot write {data_dir / 'links.yaml'}: permission denied\n",
    )
    assert not (data_dir / "links.yaml").exists()


def test_place_names_alone_find_no_candidates() -> None:
    """A row naming Phnom Penh is no candidate for the Phnom Penh expressway unless it shares another word."""
    import cca as cca_lib
    from cca.core.links import Scorer

    kb = cca_lib.load()
    scorer = Scorer(kb)
    expressway = kb.get("phnom-penh-sihanouk-port-expressway")
    assert expressway is not None
    profile = scorer.profile(expressway)
    assert (profile.keys, [p.label for p in profile.places]) == ({"expressway"}, ["Phnom Penh", "Sihanouk Port"])
    park = kb.get(PARK)
    assert park is not None and scorer.profile(park).keys == {"industrial", "park", "mckip"}


def test_a_row_of_another_country_is_confirmed_with_a_word(imported: Any, data_dir: Path) -> None:
    result = imported("link", "confirm", "china-laos-railway", "aiddata-990011")
    assert result.exit_code == 0
    assert result.stderr.splitlines()[1] == (
        "cca: note: aiddata-990011 is not in a country of china-laos-railway: if the id is mistyped, edit links.yaml"
    )
    assert imported("link", "reject", "jakarta-bandung-high-speed-railway", "aiddata-990001").stderr.count("\n") == 1
