"""Tables for people: golden files at every width, and the rules they must keep (issues 11 and 19).

Every golden is checked for what a person must be able to rely on, whatever the width: no
id, status, date, amount or percentage cut across lines; the columns that carry the answer
shown (or the table become blocks, which show every column); and every column a table
leaves out named under it, with a way to see it that works.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from cca import load
from cca.cli.output import View, views
from cca.core.kinds import KINDS
from cca.core.model import STATUSES
from cca.core.text import fold

GOLDEN = Path(__file__).resolve().parent / "golden"
SAMPLE = Path(__file__).resolve().parent / "fixtures" / "aiddata" / "gcdf3_sample.csv"

GOLDEN_WIDTHS = (50, 80, 120, 200)
#: Where the answer must hold: from the narrowest usual terminal to a wide one (issue 19).
ANSWER_WIDTHS = (60, 80, 100, 120, 200)
GOLDEN_COMMANDS = [
    *([kind.plural] for kind in KINDS),
    ["projects", "-c", "Laos"],
    ["search", "railway"],
    ["show", "china-laos-railway"],
    ["show", "qin-rupei-on-win-win-cooperation"],
    ["country", "Laos"],
]
#: The article alone, where progress is the answer: at the widths the listing goldens lack.
ANSWER_COMMANDS = [["projects"], ["projects", "-c", "Laos"], ["show", "china-laos-railway"]]
#: With the AidData fixture imported (``cca import aiddata``): dataset rows alone, filtered on money,
#: mixed with the article's, the links to confirm, the sums, and one record of each source.
DATASET_COMMANDS = [
    ["projects", "-c", "Cambodia"],
    ["projects", "--min-usd", "1m"],
    ["projects", "-c", "Laos"],
    ["link", "suggest"],
    ["stats", "--by", "country"],
    ["show", "china-laos-railway"],
    ["show", "aiddata-990008"],
]

#: Every listing, show and country at every width (issue 11), the answer's widths (issue 19), the Markdown forms.
GOLDEN_CASES = list(
    dict.fromkeys(
        [
            *(((*command, "-f", "table"), width) for command in GOLDEN_COMMANDS for width in GOLDEN_WIDTHS),
            *(((*command, "-f", "table"), width) for command in ANSWER_COMMANDS for width in ANSWER_WIDTHS),
            (("projects", "-f", "markdown"), 80),
            (("aspects", "-f", "markdown"), 120),
            (("country", "Laos", "-f", "markdown"), 80),
            (("statements", "-f", "markdown"), 80),
        ]
    )
)
DATASET_CASES = [((*command, "-f", "table"), width) for command in DATASET_COMMANDS for width in ANSWER_WIDTHS]


def _name(args: Any) -> str:
    return "-".join(args) if isinstance(args, (list, tuple)) else str(args)


@pytest.fixture
def dataset(cca: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """cca with the AidData fixture imported into a data directory (imported once per worker)."""
    home = tmp_path_factory.getbasetemp() / "aiddata-home"
    if not (home / "aiddata.yaml").exists():
        home.mkdir(exist_ok=True)
        result = cca("--data-dir", str(home), "import", "aiddata", str(SAMPLE))
        assert result.exit_code == 0, result.stderr

    def run(*args: str, env: dict[str, str] | None = None) -> Any:
        return cca("--data-dir", str(home), *args, env=env)

    return run


@pytest.mark.parametrize(("args", "width"), GOLDEN_CASES, ids=_name)
def test_golden(cca: Any, args: tuple[str, ...], width: int) -> None:
    _golden(cca, list(args), width, "")


@pytest.mark.parametrize(("args", "width"), DATASET_CASES, ids=_name)
def test_golden_with_a_dataset(dataset: Any, args: tuple[str, ...], width: int) -> None:
    _golden(dataset, list(args), width, "aiddata_")


def _golden(run: Any, args: list[str], width: int, prefix: str) -> None:
    result = run(*args, env={"COLUMNS": str(width)})
    assert result.exit_code == 0, result.stderr
    path = GOLDEN / f"{prefix}{'_'.join(a.lstrip('-') for a in args)}.{width}.txt"
    if os.environ.get("CCA_UPDATE_GOLDEN"):
        path.write_text(result.stdout, encoding="utf-8")
    assert path.exists(), f"missing golden file {path.name}: run with CCA_UPDATE_GOLDEN=1"
    assert result.stdout == path.read_text(encoding="utf-8")
    if "markdown" in args:  # markdown rows are one line each by design
        return
    text = result.stdout
    assert max(len(line) for line in text.splitlines()) <= width
    assert "\x1b" not in text
    ids = _ids(run) if prefix else _IDS
    fits = [word for word in ids if len(word) + 2 <= width - 4]  # with its brackets, inside a panel
    assert not _broken(text, fits), "an id, date or status is broken across lines"
    assert not _cut(text), "an amount, a percentage or a date is cut across lines"
    _answer_kept(run, args, text, width)


# -- nothing cut across lines -------------------------------------------------------------------------------

#: Every id, status and date the tables may show: none may be cut across lines.
_IDS = sorted({*load().all_ids(), *STATUSES, "2021-03-04", "2020-11-15", "2023-11-06"}, key=len)
_DATASET_IDS: list[str] = []


def _ids(run: Any) -> list[str]:
    """With a dataset imported: its records' ids too."""
    if not _DATASET_IDS:
        found = {row["id"] for kind in ("projects", "sources") for row in run(kind, "--json").json()}
        _DATASET_IDS.extend(sorted({*_IDS, *found}, key=len))
    return _DATASET_IDS


def _prose_words() -> set[str]:
    """Hyphenated words the knowledge's own text uses ("high-speed" in a report's title): words, not cut ids."""
    kb = load()
    words: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, str):
            words.update(token.strip("[](),;:“”‘’'\"") for token in value.split() if "-" in token)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for record_id in kb.all_ids():
        record = kb.get(record_id)
        if record is not None:
            walk({key: value for key, value in record.data.items() if key != "id"})
    return words


_PROSE = _prose_words()


def _broken(text: str, whole: list[str]) -> list[str]:
    """Tokens that are a proper beginning of an id (or status, or date) and not a whole one, nor a word of the text."""
    tokens = {token.strip("[](),;:“”") for token in text.replace("│", " ").split()}
    complete = set(whole)
    return sorted(
        token
        for token in tokens
        if len(token) >= 6
        and "-" in token
        and token not in complete
        and token not in _PROSE
        and any(w.startswith(token) for w in whole)
    )


#: A piece of a cell that ends where a value must not (an amount's currency, a date's first half) or
#: starts where one must not (a percentage's sign, an amount's scale, its basis without its year).
_CUT_END = re.compile(r"(US\$|\(\d{4}|\b\d{4}-(\d{2}-)?)$")
_CUT_START = re.compile(r"^(%|USD\)|bn\b|tn\b|m \()")


def _cut(text: str) -> list[str]:
    """Pieces of cells (split where a table or panel puts two spaces or a border) cut mid-value."""
    cut = []
    for line in text.splitlines():
        for piece in re.split(r"\s{2,}|│|╭─|─╮", line):
            piece = piece.strip(" ─")
            if piece and (_CUT_END.search(piece) or _CUT_START.search(piece)):
                cut.append(piece)
    return cut


def test_the_cut_check_sees_cut_values() -> None:
    assert _cut("  Project   US$\n            1.71 bn (2021 USD)")
    assert _cut("  █████░░░░░ 54\n             % overall")
    assert _cut("  China-Laos   reported 2021-03-\n               04")
    assert not _cut("  Laos   3   2   ██████████ US$ 2.24 bn\n  as of 2023-11-06   (2021 USD)\n  Records   12")


# -- the answer kept, and what is left out said ---------------------------------------------------------------

_MONEY = {"--min-usd": "min_usd", "--financier": "financier", "--since": "since", "--until": "until"}


class Expected(NamedTuple):
    key: str
    header: str
    answer: bool


def _expected(run: Any, args: list[str]) -> list[Expected] | None:
    """The columns a listing's table may show, and which carry the answer; None: not a listing."""
    command, rest = args[0], [a for a in args[1:] if a not in ("-f", "table")]
    if command == "link":
        return [
            Expected("curated", "Curated project", False),
            Expected("score", "Score", False),
            Expected("candidate", "Dataset record", False),
            Expected("candidate_name", "Its name", True),
            Expected("reasons", "Why", False),
        ]
    if command == "stats":
        by = [Expected(rest[1], rest[1].capitalize(), False)]
        return [
            *by,
            Expected("records", "Records", False),
            Expected("with_amount", "With amount", False),
            Expected("adjusted_usd_2021", "Adjusted 2021 USD", True),
        ]
    if command == "search":
        return [
            Expected(k, h, False) for k, h in (("kind", "Kind"), ("name", "Name"), ("id", "ID"), ("score", "Score"))
        ]
    kind = KINDS.lookup(command)
    if kind is None or kind.plural != command:
        return None  # show, country: one record in panels
    rows = run(command, *rest, "--json").json()
    asked = {name for flag, name in _MONEY.items() if flag in rest}
    names = [fold(str(row.get("name") or "")) for row in rows]
    twins = len(set(names)) < len(names)
    out = []
    for column, view in zip(kind.columns, views(kind.columns), strict=True):
        if column.optional and not any(_cell(view, row) for row in rows):
            continue
        answer = column.answer or bool(asked & set(column.answer_when)) or (column.key == "id" and twins)
        out.append(Expected(column.key, column.header, answer))
    return out


def _cell(view: View, row: dict[str, Any]) -> str:
    return view.cell(row)


def _note(text: str) -> tuple[int, list[str]] | None:
    """The line under a table that names the columns it left out: the width it gives, and those names."""
    paragraphs = [" ".join(p.split()) for p in text.split("\n\n")]
    notes = [p for p in paragraphs if p.startswith("Not shown at ")]
    if not notes:
        return None
    (note,) = notes
    match = re.fullmatch(
        r"Not shown at (\d+) columns: (.*?) — see (?:it|them) at (\d+) columns, with --format plain, "
        r"or with --fields [a-z_,]+",
        note,
    )
    assert match, note
    return int(match.group(3)), match.group(2).split(", ")


def _header_words(text: str) -> set[str] | None:
    """The words of a table's header; None: the answer was laid out as blocks."""
    lines = text.splitlines()
    rule = next((i for i, line in enumerate(lines) if line.startswith(" ─")), None)
    if rule is None:
        return None
    start = max(i for i in range(rule) if not lines[i].strip()) + 1
    return {word for line in lines[start:rule] for word in line.split()}


def _named(column: Expected, shown: set[str], text: str) -> bool:
    if column.key == "timeline":  # headed by its years: "2020…2021"
        return any("…" in word for word in shown)
    return set(column.header.split()) <= shown


def _answer_kept(run: Any, args: list[str], text: str, width: int) -> None:
    expected = _expected(run, args)
    if expected is None:
        return  # one record in panels: nothing is left out
    note = _note(text)
    heads = _header_words(text)
    if heads is None:  # blocks: every column, by name, on the records that have a value
        assert note is None, "blocks leave nothing out, so say nothing is left out"
        for column in expected[1:]:
            if column.answer:
                assert f"  {column.header}: " in text, column
        return
    missing = [c for c in expected if not _named(c, heads, text)]
    for column in missing:
        assert not column.answer, f"the answer's column {column.header!r} is dropped at {width} columns"
    if not missing:
        assert note is None, "a note says columns are left out, but all are shown"
        return
    assert note is not None, f"{[c.header for c in missing]} left out at {width} columns without a word"
    full, said = note
    # a column headed by no word (a timeline's years, "#") is named by its field
    assert said == [
        c.key if c.key == "timeline" or not any(ch.isalpha() for ch in c.header) else c.header for c in missing
    ]
    # the width it names shows every column; one less does not
    wide = run(*args, env={"COLUMNS": str(full)}).stdout
    assert _note(wide) is None and all(_named(c, _header_words(wide) or set(), wide) for c in expected), full
    assert _note(run(*args, env={"COLUMNS": str(full - 1)}).stdout) is not None, full


def test_the_fields_a_note_offers_show_what_was_left_out(dataset: Any) -> None:
    """`--fields` from the line under the table shows those columns at the same width (or blocks)."""
    text = dataset("projects", "-c", "Cambodia", "-f", "table", env={"COLUMNS": "80"}).stdout
    note = " ".join(text.split("Not shown at 80 columns: ")[1].split("\n\n")[0].split())
    fields = re.search(r"--fields (\S+)$", note)
    assert fields, note
    shown = dataset("projects", "-c", "Cambodia", "-f", "table", "--fields", fields.group(1), env={"COLUMNS": "80"})
    assert "Not shown" not in shown.stdout
    assert "aiddata-990008" in shown.stdout and "ID" in (_header_words(shown.stdout) or {"ID"})


def test_the_note_is_for_people_only(dataset: Any) -> None:
    """Plain, JSON and CSV leave nothing out, so never carry the note."""
    for fmt in ("plain", "json", "csv", "tsv", "jsonl", "markdown"):
        out = dataset("projects", "-c", "Cambodia", "-f", fmt, env={"COLUMNS": "60"})
        assert "Not shown" not in out.stdout + out.stderr, fmt


# -- the rules, one by one -----------------------------------------------------------------------------------


def _cols(**answer: bool) -> list[Any]:
    from cca.cli.terminal import Col

    return [
        Col("Project", ["China-Laos Railway"], "prose", key="name"),
        Col("Countries", ["China; Laos"], "words", 2, key="countries"),
        Col("Status", ["under-construction\nreported 2021-03-04"], "units", key="status"),
        Col(
            "Figure",
            ["54 % overall, reported 2021-03-04"],
            "words",
            3,
            key="figure",
            answer=answer.get("figure", False),
        ),
        Col("ID", ["china-laos-railway"], "never", 3, key="id"),
    ]


def test_a_table_wraps_and_narrows_before_it_drops_a_column() -> None:
    from cca.cli.terminal import layout

    natural = layout(_cols(), 1000)
    assert natural.shown is not None and sum(c.natural for c in natural.shown) + 16 == 115
    plan = layout(_cols(), 90)
    assert plan.shown is not None and not plan.dropped, "all fit at 90 once names, countries and statuses wrap"
    assert plan.full == 83
    narrow = layout(_cols(), 82)
    assert narrow.shown is not None and [c.key for c in narrow.dropped] == ["id"], "then the least important goes"


def test_the_answer_is_kept_and_blocks_take_over_below_it() -> None:
    from cca.cli.terminal import layout

    plain = layout(_cols(), 50)
    answered = layout(_cols(figure=True), 50)
    assert plain.shown is not None and "figure" in [c.key for c in plain.dropped]
    assert answered.shown is not None and "figure" in [c.key for c in answered.shown]
    assert "countries" in [c.key for c in answered.dropped], "a less important column gives way to the answer"
    assert layout(_cols(figure=True), 30).shown is None, "too narrow for the answer: one block per record"


def test_the_line_under_the_table() -> None:
    from cca.cli.output import hidden

    assert hidden([("financing", "Financing"), ("id", "ID")], "name", 80, 122) == (
        "Not shown at 80 columns: Financing, ID — see them at 122 columns, with --format plain, "
        "or with --fields id,name,financing"
    )
    assert hidden([("timeline", "2020…2021")], "date", 50, 1200) == (
        "Not shown at 50 columns: timeline — see it on a wider terminal, with --format plain, "
        "or with --fields date,timeline"
    )


def test_money_filters_make_financing_the_answer() -> None:
    """The filters a column answers are the listing's own: a renamed filter would fail here."""
    from cca.core.filters import FILTERS

    financing = next(c for c in KINDS["project"].columns if c.key == "financing")
    filters = {item.name for item in FILTERS.for_kind(KINDS["project"])}
    assert set(_MONEY.values()) <= set(financing.answer_when) <= filters
    assert financing.answers({"min_usd"}) and not financing.answers({"country"})
    assert next(c for c in KINDS["project"].columns if c.key == "progress").answers(())


def test_repeated_names_make_the_id_the_answer() -> None:
    from cca.cli.answers import kind_views

    rows = [{"id": "a", "name": "Road loan", "countries": []}, {"id": "b", "name": "Road Loan", "countries": []}]
    by_key = {view.key: view for view in kind_views(KINDS["project"], rows)}
    assert by_key["id"].answer
    assert not {view.key: view for view in kind_views(KINDS["project"], rows[:1])}["id"].answer
