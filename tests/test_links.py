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
            "links.yaml:3:24: rejected_same_as: 'china-laos-railway' is the record itself",
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
